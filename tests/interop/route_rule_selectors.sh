#!/bin/sh
# Interop: the policy rule selectors uidrange, ipproto, sport and dport and
# the suppressors suppress_prefixlength and suppress_ifgroup, as the kernel
# takes, shows, matches and deletes them.  The same rules and routes are
# configured with Debian's `ip` in a kernel network namespace and in stratad
# through `strata exec -- ip`; `ip rule` and `ip route get` (with uid,
# ipproto, sport, dport) are compared, output and exit status, invalid
# ranges included.  One PASS/FAIL line per view.  Only the stratad started
# here is stopped, by PID; the namespace and temporary files are removed.
#
# Usage: sh tests/interop/route_rule_selectors.sh BUILD_DIR   (root; SKIPs otherwise)
set -u
B=${1:-build}
T=route_rule_selectors
. "$(dirname "$0")/lib/ctl.sh"
ctl_require ip
ctl_up routingrs noipv6

both() {
        name=$1
        shift
        kip "$@" >"$tmp/k.out" 2>&1
        krc=$?
        sip "$@" >"$tmp/s.out" 2>&1
        src=$?
        if [ $krc -eq $src ] && cmp -s "$tmp/k.out" "$tmp/s.out"; then
                [ -n "$name" ] && echo "PASS route_rule_selectors: ip $*"
        else
                echo "FAIL route_rule_selectors: ip $* (kernel status $krc, strata $src)"
                diff -u "$tmp/k.out" "$tmp/s.out" | sed 's/^/    /' | head -20
                failed=1
        fi
}

both "" link add name rrs1 type veth peer name rrs2
both "" link set dev rrs1 up
both "" link set dev rrs2 up
both "" addr add 10.1.0.2/24 dev rrs1
both "" addr add 10.2.0.2/24 dev rrs2
both "" route add default via 10.1.0.1
both "" route add default via 10.2.0.1 table 100
both "" route add 10.60.0.0/16 via 10.2.0.1 table 101
both "" route add prohibit 10.70.0.0/16 table 102

both x rule add uidrange 1000-1999 lookup 100
both x rule add pref 90 ipproto tcp dport 443 lookup 100
both x rule add pref 91 ipproto udp sport 1000-2000 lookup 100
both x rule add pref 92 ipproto 47 lookup 100
both x rule add pref 95 lookup main suppress_prefixlength 0
both x rule add pref 96 lookup 101 suppress_ifgroup 0
both x rule add pref 97 lookup 102 suppress_prefixlength 8
both x rule add pref 98 not uidrange 0-0 dport 22 prohibit
both x rule add sport 0 lookup 100
both x rule add dport 10-5 lookup 100
both x rule add uidrange 5-1 lookup 100
both x rule add uidrange 1000-1999 lookup 100
both x rule

for q in "8.8.8.8" "8.8.8.8 uid 1500" "8.8.8.8 uid 2000" "8.8.8.8 ipproto tcp dport 443" \
        "8.8.8.8 ipproto tcp dport 80" "8.8.8.8 ipproto udp sport 1500" \
        "8.8.8.8 ipproto udp sport 2001" "8.8.8.8 ipproto gre" "10.1.0.9" "10.60.1.1" \
        "10.70.1.1" "8.8.8.8 ipproto tcp dport 22 uid 7" "8.8.8.8 ipproto tcp dport 22"; do
        # shellcheck disable=SC2086
        both x route get $q
done

ip netns exec "$NS" sysctl -qw net.ipv4.ip_forward=1
"$B/bin/strata" sysctl --netns "$SNS" --runtime-dir "$tmp" -qw net.ipv4.ip_forward=1
for q in "8.8.8.8 from 10.2.0.9 iif rrs2 ipproto tcp dport 443" \
        "8.8.8.8 from 10.2.0.9 iif rrs2 ipproto tcp dport 80" \
        "8.8.8.8 from 10.2.0.9 iif rrs2 ipproto udp sport 1200"; do
        # shellcheck disable=SC2086
        both x route get $q
done

both x rule del uidrange 1000-1999
both x rule del ipproto tcp dport 443
both x rule del suppress_prefixlength 8
both x rule del suppress_prefixlength 8
both x rule

kill "$pid"
wait "$pid"
pid=
exit $failed
