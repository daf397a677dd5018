#!/bin/sh
# Interop: next hops as the kernel takes and shows them -- onlink gateways
# (no route reaches them; the device must be named and up; never one of
# our addresses), single and multipath, on a device with and without
# carrier.  The same commands run with Debian's `ip` in a kernel network
# namespace and in stratad through `strata exec -- ip`; output and exit
# status compared.  One PASS/FAIL line per view.  Only the stratad started
# here is stopped, by PID; the namespace and temporary files are removed.
#
# Usage: sh tests/interop/route_nexthop.sh BUILD_DIR   (root; SKIPs otherwise)
set -u
B=${1:-build}
T=route_nexthop
. "$(dirname "$0")/lib/ctl.sh"
ctl_require ip
ctl_up routingnh noipv6

both() {
        name=$1
        shift
        kip "$@" >"$tmp/k.out" 2>&1
        krc=$?
        sip "$@" >"$tmp/s.out" 2>&1
        src=$?
        if [ $krc -eq $src ] && cmp -s "$tmp/k.out" "$tmp/s.out"; then
                [ -n "$name" ] && echo "PASS route_nexthop: ip $*"
        else
                echo "FAIL route_nexthop: ip $* (kernel status $krc, strata $src)"
                diff -u "$tmp/k.out" "$tmp/s.out" | sed 's/^/    /' | head -20
                failed=1
        fi
}

both "" link add name rnh0 type veth peer name rnh1
both "" link add name rnh2 type veth peer name rnh3
both "" link set dev rnh0 up
both "" addr add 192.168.0.1/24 dev rnh0

both x route add 10.9.0.0/16 via 192.0.2.1 dev rnh0 onlink
both x route add 10.8.0.0/16 via 192.0.2.1 onlink
both x route add 10.7.0.0/16 via 192.0.2.1 dev rnh2 onlink
both x route add 10.6.0.0/16 via 127.0.0.1 dev rnh0 onlink
both x route add 10.5.0.0/16 via 192.168.0.1 dev rnh0 onlink
both x route add 10.4.0.0/16 nexthop via 192.0.2.1 dev rnh0 onlink nexthop via 192.0.2.2 dev rnh0 onlink
both x route add 10.3.0.0/16 via 192.168.0.9 dev rnh0 onlink
both x route add 10.2.0.0/16 via 192.0.2.1 dev rnh0 onlink scope link
both x route
both x -d route show 10.9.0.0/16
both x route get 10.9.1.1
both "" link set dev rnh1 up
both "" link set dev rnh2 up
both x route add 10.7.0.0/16 via 192.0.2.1 dev rnh2 onlink
both x route
both x route show dev rnh2
both x route get 10.7.1.1
both x route del 10.9.0.0/16 via 192.0.2.1 dev rnh0
both x route

kill "$pid"
wait "$pid"
pid=
exit $failed
