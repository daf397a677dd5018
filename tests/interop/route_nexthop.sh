#!/bin/sh
# Interop: next hops as the kernel takes and shows them -- onlink gateways
# (no route reaches them; the device must be named and up; never one of
# our addresses), single and multipath, on a device with and without
# carrier -- and nexthop objects: add, replace, groups, blackhole, routes
# naming them, deletes, a device going down, `ip monitor nexthop`.  The
# same commands run with Debian's `ip` in a kernel network
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
kmon=
smon=
cleanup_extra() {
        [ -n "$kmon" ] && kill "$kmon" 2>/dev/null
        [ -n "$smon" ] && kill "$smon" 2>/dev/null
}
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

# nexthop objects, groups, routes naming them (no `route get` through a
# group: which member a flow takes hangs on a random hash key, Strata's and
# the kernel's alike)
both x nexthop add id 1 via 192.168.0.2 dev rnh0
both x nexthop add id 2 via 192.168.0.3 dev rnh0
both x nexthop add id 3 group 1/2,3
both x nexthop add id 4 blackhole
both x nexthop add id 5 dev rnh0
both x nexthop add id 6 via 192.0.2.1 dev rnh0 onlink
both x nexthop add id 7 via 10.0.0.1
both x nexthop add id 1 via 192.168.0.4 dev rnh0
both x nexthop add id 8 group 1/99
both x nexthop add id 9 group 3
both x nexthop add id 10 via 192.168.0.5 dev rnh1
both x nexthop add id 11 via 10.9.9.9 dev rnh0
both x nexthop
both x -d nexthop
both x nexthop show dev rnh0
both x nexthop show groups
both x nexthop get id 3
both x nexthop get id 99
both x route add 10.1.0.0/16 nhid 1
both x route add 10.3.0.0/16 nhid 3
both x route add 10.44.0.0/16 nhid 4
both x route add 10.5.0.0/16 nhid 99
both x route add 10.6.0.0/16 nhid 1 via 192.168.0.2
both x route add 10.66.0.0/16 nhid 6 metric 5
both x route
both x route get 10.1.1.1
both x route get 10.44.1.1
both x nexthop replace id 1 via 192.168.0.9 dev rnh0
both x nexthop replace id 3 via 192.168.0.9 dev rnh0
both x nexthop replace id 12 via 192.168.0.12 dev rnh0
both x route
both x nexthop del id 2
both x nexthop
both x route
both x route del 10.66.0.0/16 nhid 6
both x nexthop del id 1
both x nexthop del id 1
both x route
both x nexthop
both x nexthop flush
both x nexthop

# a device that goes down, or loses its carrier, takes its nexthops along
both x nexthop add id 21 via 192.168.0.2 dev rnh0
both x nexthop add id 22 dev rnh0
both x nexthop add id 23 group 21/22
both x route add 10.21.0.0/16 nhid 23
both "" link set rnh1 down
both x nexthop
both x route
both "" link set rnh1 up
both x nexthop add id 24 via 192.168.0.2 dev rnh0
both x route add 10.24.0.0/16 nhid 24
both "" link set rnh0 down
both x nexthop
both x route

# ip monitor nexthop: what requests change is announced (a group losing
# a member included); a device's flush is not, as in Linux
ip -n "$NS" monitor nexthop >"$tmp/km.out" 2>&1 &
kmon=$!
"$B/bin/strata" exec -n "$SNS" --runtime-dir "$tmp" -- ip monitor nexthop >"$tmp/sm.out" 2>&1 &
smon=$!
sleep 0.5
for c in "link set rnh0 up" "nexthop add id 31 via 192.168.0.2 dev rnh0" \
        "nexthop add id 32 dev rnh0" "nexthop add id 33 group 31/32" \
        "nexthop replace id 31 via 192.168.0.3 dev rnh0" "nexthop del id 32" \
        "nexthop add id 34 blackhole" "nexthop del id 34" "link set rnh1 down"; do
        # shellcheck disable=SC2086
        kip $c >/dev/null 2>&1
        # shellcheck disable=SC2086
        sip $c >/dev/null 2>&1
done
sleep 0.5
kill "$kmon" "$smon" 2>/dev/null
wait "$kmon" "$smon" 2>/dev/null
kmon=
smon=
if [ -s "$tmp/km.out" ] && cmp -s "$tmp/km.out" "$tmp/sm.out"; then
        echo "PASS route_nexthop: ip monitor nexthop"
else
        echo "FAIL route_nexthop: ip monitor nexthop"
        diff -u "$tmp/km.out" "$tmp/sm.out" | sed 's/^/    /' | head -20
        failed=1
fi

kill "$pid"
wait "$pid"
pid=
exit $failed
