#!/bin/sh
# Interop: policy routing answered as the kernel answers it.  The same
# addresses, numbered table, special routes (blackhole, prohibit,
# unreachable, throw) and rules (from, to, iif, fwmark/mask, tos, goto,
# not, prohibit) are configured with Debian's `ip` in a kernel network
# namespace and in stratad through `strata exec -- ip`; then `ip rule`,
# `ip route show table N` and `ip route get` for a list of destinations,
# sources, input devices and marks are compared, output and exit status.
# One PASS/FAIL line per view.  Only the stratad started here is stopped,
# by PID; the namespace and temporary files are removed.
#
# Usage: sh tests/interop/route_get.sh BUILD_DIR   (root; SKIPs otherwise)
set -u
B=${1:-build}
T=route_get
. "$(dirname "$0")/lib/ctl.sh"
ctl_require ip
ctl_up rg noipv6

# both NAME ARGS...: run on both sides, compare output and status
both() {
        name=$1
        shift
        kip "$@" >"$tmp/k.out" 2>&1
        krc=$?
        sip "$@" >"$tmp/s.out" 2>&1
        src=$?
        if [ $krc -eq $src ] && cmp -s "$tmp/k.out" "$tmp/s.out"; then
                [ -n "$name" ] && echo "PASS route_get: ip $*"
        else
                echo "FAIL route_get: ip $* (kernel status $krc, strata $src)"
                diff -u "$tmp/k.out" "$tmp/s.out" | sed 's/^/    /' | head -20
                failed=1
        fi
}

# two uplinks, a numbered table, the special route types
both "" link add name u1 type veth peer name u2
both "" link set dev u1 up
both "" link set dev u2 up
both "" addr add 10.1.0.2/24 dev u1
both "" addr add 10.2.0.2/24 dev u2
both "" route add default via 10.1.0.1
both "" route add default via 10.2.0.1 table 100
both "" route add 10.50.0.0/16 via 10.1.0.1 table 100
both "" route add unreachable 203.0.113.0/24 table 100
both "" route add throw 8.8.0.0/16 table 100
both "" route add blackhole 192.0.2.0/24
both "" route add prohibit 198.51.100.0/24
both "" route add unreachable 198.18.0.0/15

both x rule
both x rule add from 10.2.0.2 lookup 100
both x rule add fwmark 0x5 lookup 100
both x rule add fwmark 0x10/0xf0 table 100 pref 70
both x rule add pref 50 to 10.9.0.0/16 prohibit
both x rule add pref 55 to 10.8.0.0/16 blackhole
both x rule add pref 56 to 10.7.0.0/16 unreachable
both x rule add pref 60 not from 10.0.0.0/8 iif lo tos 0x10 goto 32766
both x rule add pref 80 iif u2 lookup 100
both x rule add pref 40 goto 30
both x rule add from 10.2.0.2 lookup 100
both x rule
both x route show table 100
both x route show table all

for q in "8.8.8.8" "8.8.8.8 from 10.2.0.2" "9.9.9.9 from 10.2.0.2" \
        "9.9.9.9 mark 5" "9.9.9.9 mark 0x30" "9.9.9.9 mark 0x100" "10.1.0.2" \
        "127.0.0.1" "192.0.2.1" "198.51.100.1" "198.18.3.4" "203.0.113.1 mark 5" \
        "10.2.0.5 from 10.2.0.2" "10.50.1.1 mark 5" "10.9.1.1" "10.8.1.1" "10.7.1.1" \
        "10.1.0.9 from 10.1.0.2" "1.1.1.1 from 10.1.0.9 iif u1"; do
        # shellcheck disable=SC2086
        both x route get $q
done

ip netns exec "$NS" sysctl -qw net.ipv4.ip_forward=1
"$B/bin/strata" sysctl --netns "$SNS" --runtime-dir "$tmp" -qw net.ipv4.ip_forward=1
for q in "9.9.9.9 from 10.1.0.9 iif u2 mark 5" "9.9.9.9 from 10.1.0.9 iif u1" \
        "192.0.2.1 from 10.1.0.9 iif u2" "198.51.100.1 from 10.1.0.9 iif u2" \
        "10.1.0.2 from 10.2.0.9 iif u2" "10.1.0.7 from 10.2.0.9 iif u1"; do
        # shellcheck disable=SC2086
        both x route get $q
done

both x rule del pref 80
both x rule del fwmark 0x5 lookup 100
both x rule del pref 12345
both x rule
both x route del throw 8.8.0.0/16 table 100
both x route show table 100

kill "$pid"
wait "$pid"
pid=
exit $failed
