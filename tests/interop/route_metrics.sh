#!/bin/sh
# Interop: route metrics (RTA_METRICS) as the kernel keeps and shows them.
# The same routes with metrics -- mtu with and without lock, advmss,
# initcwnd, initrwnd, rto_min, rtt, rttvar, quickack, hoplimit, features,
# values the kernel caps -- are added, changed (`ip route change`, which
# needs an existing route), replaced and appended with Debian's `ip` in a
# kernel network namespace and in stratad through `strata exec -- ip`;
# `ip route show` and `ip route get` are compared, output and exit status.
# One PASS/FAIL line per view.  Only the stratad started here is stopped,
# by PID; the namespace and temporary files are removed.
#
# Usage: sh tests/interop/route_metrics.sh BUILD_DIR   (root; SKIPs otherwise)
set -u
B=${1:-build}
T=route_metrics
. "$(dirname "$0")/lib/ctl.sh"
ctl_require ip
ctl_up routingmx noipv6

both() {
        name=$1
        shift
        kip "$@" >"$tmp/k.out" 2>&1
        krc=$?
        sip "$@" >"$tmp/s.out" 2>&1
        src=$?
        if [ $krc -eq $src ] && cmp -s "$tmp/k.out" "$tmp/s.out"; then
                [ -n "$name" ] && echo "PASS route_metrics: ip $*"
        else
                echo "FAIL route_metrics: ip $* (kernel status $krc, strata $src)"
                diff -u "$tmp/k.out" "$tmp/s.out" | sed 's/^/    /' | head -20
                failed=1
        fi
}

both "" link add name rmx0 type veth peer name rmx1
both "" link set dev rmx0 up
both "" link set dev rmx1 up
both "" addr add 192.168.0.1/24 dev rmx0

both x route add 192.0.2.1 via 192.168.0.2 dev rmx0 advmss 600 mtu lock 640 initcwnd 11
both x route add 192.0.2.2 via 192.168.0.2 initrwnd 20 rto_min 50ms quickack 1 hoplimit 64
both x route add 192.0.2.3 dev rmx0 window 1000 rtt 30ms rttvar 10ms ssthresh 5 cwnd lock 7
both x route add 192.0.2.4 dev rmx0 reordering 4 features ecn fastopen_no_cookie 1
both x route add 192.0.2.5 dev rmx0 mtu 70000 advmss 70000 rtt 3 rttvar 2s
both x route add 192.0.2.6 dev rmx0 mtu 9000
both x route add 192.0.2.7 dev rmx0 mtu 0
both x route add 198.51.100.0/24 via 192.168.0.2 metric 10 mtu 1400
both x route show
both x route change 192.0.2.1 via 192.168.0.2 dev rmx0 advmss 1460 mtu lock 1500
both x route change 192.0.2.9 via 192.168.0.2 dev rmx0 mtu 1400
both x route replace 192.0.2.9 via 192.168.0.2 dev rmx0 mtu 1300
both x route replace 192.0.2.2 via 192.168.0.2 initcwnd 3
both x route append 192.0.2.2 via 192.168.0.2 initcwnd 4
both x route add 192.0.2.2 via 192.168.0.2 initcwnd 5
both x route show
for q in 192.0.2.1 192.0.2.2 192.0.2.3 192.0.2.4 192.0.2.5 192.0.2.6 192.0.2.7 192.0.2.9 \
        198.51.100.7 "198.51.100.7 from 192.168.0.1"; do
        # shellcheck disable=SC2086
        both x route get $q
done
both x route del 192.0.2.2
both x route show

kill "$pid"
wait "$pid"
pid=
exit $failed
