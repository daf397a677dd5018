#!/bin/sh
# Interop: multipath (ECMP) routes configured and shown as the kernel does.
# The same uplinks and multipath routes (weights, a device-only next hop,
# a single "nexthop" that is a plain route, a bad gateway) are added with
# Debian's `ip` in a kernel network namespace and in stratad through
# `strata exec -- ip`; `ip route`, `ip -d route`, `ip -j route` and
# `ip route get fibmatch` are compared, output and exit status.  Which next
# hop `ip route get` names for one address depends on each side's secret
# hash key, so that is checked for membership only: every answer must be
# one of the route's next hops, and both next hops must be seen over 64
# destinations.  One PASS/FAIL line per view.  Only the stratad started
# here is stopped, by PID; the namespace and temporary files are removed.
#
# Usage: sh tests/interop/route_ecmp.sh BUILD_DIR   (root; SKIPs otherwise)
set -u
B=${1:-build}
T=route_ecmp
. "$(dirname "$0")/lib/ctl.sh"
ctl_require ip
ctl_up re noipv6

both() {
        name=$1
        shift
        kip "$@" >"$tmp/k.out" 2>&1
        krc=$?
        sip "$@" >"$tmp/s.out" 2>&1
        src=$?
        if [ $krc -eq $src ] && cmp -s "$tmp/k.out" "$tmp/s.out"; then
                [ -n "$name" ] && echo "PASS route_ecmp: ip $*"
        else
                echo "FAIL route_ecmp: ip $* (kernel status $krc, strata $src)"
                diff -u "$tmp/k.out" "$tmp/s.out" | sed 's/^/    /' | head -20
                failed=1
        fi
}

both "" link add name u1 type veth peer name u1p
both "" link add name u2 type veth peer name u2p
for d in u1 u1p u2 u2p; do both "" link set dev $d up; done
both "" addr add 10.1.0.2/24 dev u1
both "" addr add 10.2.0.2/24 dev u2
both x route add 10.9.0.0/24 nexthop via 10.1.0.1 dev u1 weight 1 nexthop via 10.2.0.1 dev u2 weight 2
both x route add 10.8.0.0/24 nexthop via 10.1.0.1 nexthop dev u2
both x route add 10.7.0.0/24 nexthop via 10.1.0.1 weight 7
both x route add 10.6.0.0/24 nexthop via 10.1.0.1 nexthop via 10.3.0.1
both x route add 10.5.0.0/24 table 100 metric 5 nexthop via 10.1.0.1 weight 3 nexthop via 10.2.0.1 weight 256
both x route append 10.9.0.0/24 nexthop via 10.1.0.3
both x route
both x -d route
both x -j route
both x route show table 100
both x route get fibmatch 10.9.0.5
both x route del 10.8.0.0/24
both x route
# a next hop whose device is down is dead and takes no flow; without
# carrier it is linkdown
both "" link set dev u2 down
both x route
both x route get 10.9.0.5
both x route get 10.9.0.6
both "" link set dev u2 up
both x route
both "" link set dev u2p down
both x route
both "" link set dev u2p up

# ip route get: always one of the next hops, both of them over 64 flows
seen1=0
seen2=0
i=0
while [ $i -lt 64 ]; do
        out=$(sip route get 10.9.0.$i | head -1)
        case "$out" in
        *"via 10.1.0.1 dev u1 src 10.1.0.2"*) seen1=1 ;;
        *"via 10.2.0.1 dev u2 src 10.2.0.2"*) seen2=1 ;;
        *)
                echo "FAIL route_ecmp: ip route get 10.9.0.$i: $out"
                failed=1
                ;;
        esac
        i=$((i + 1))
done
if [ $seen1 -eq 1 ] && [ $seen2 -eq 1 ]; then
        echo "PASS route_ecmp: ip route get spreads 64 destinations over both next hops"
else
        echo "FAIL route_ecmp: ip route get used only one next hop (u1 $seen1, u2 $seen2)"
        failed=1
fi

kill "$pid"
wait "$pid"
pid=
exit $failed
