#!/bin/sh
# Interop: Debian's own `ip` configures and inspects Strata through
# stratad's control socket and the preload shim (strata exec), and prints
# what the kernel prints for the same state.
#
# The same ip commands run against a fresh kernel network namespace (IPv6
# disabled there: Strata has none yet) and a stratad namespace; then each
# view -- ip link, ip -j link, ip -s link, ip addr, ip route (main and
# local), ip route get, ip neigh, and the error messages of refused
# commands -- is compared after normalising what must differ (the veth MAC
# addresses).  One PASS/FAIL line per view.  Only the stratad started here
# is stopped, by PID; the namespace and temporary files are removed.
#
# Usage: sh tests/interop/ctl_ip.sh BUILD_DIR   (root; SKIPs otherwise)
set -u
B=${1:-build}
T=ctl_ip
. "$(dirname "$0")/lib/ctl.sh"
ctl_require ip
ctl_up ctlip noipv6

# Normalise: the random MACs of the veth ends; the addresses set here stay.
# DETAILS: what `ip -d link` shows that Strata reports on purpose as it is
# (README): no IPv6, hence no addrgenmode; one queue per veth, where the
# kernel makes one per CPU; lo's real largest MTU, where the kernel's lo
# has no maximum (0).
DETAILS='p;d'
norm() {
        sed -E -e 's/02:00:00:00:00:/NEIGH:/g' -e 's/ff:ff:ff:ff:ff:ff/BCAST/g' \
                -e 's/00:00:00:00:00:00/ZERO/g' -e 's/([0-9a-f]{2}:){5}[0-9a-f]{2}/MAC/g' |
                sed -E -e "$DETAILS"
}

# Kernel and Strata order neighbours by their own hashes: compare sorted.
SORT=cat

# both NAME ARGS...: run the command on both sides, compare output and status
both() {
        name=$1
        shift
        kip "$@" >"$tmp/k.out" 2>&1
        krc=$?
        sip "$@" >"$tmp/s.out" 2>&1
        src=$?
        norm <"$tmp/k.out" | $SORT >"$tmp/k.n"
        norm <"$tmp/s.out" | $SORT >"$tmp/s.n"
        if [ $krc -eq $src ] && cmp -s "$tmp/k.n" "$tmp/s.n"; then
                [ -n "$name" ] && echo "PASS ctl_ip: ip $*"
        else
                echo "FAIL ctl_ip: ip $* (kernel status $krc, strata $src)"
                diff -u "$tmp/k.n" "$tmp/s.n" | sed 's/^/    /' | head -40
                failed=1
        fi
}

# configuration, checked quietly (a difference is reported all the same)
both "" link add va type veth peer name vb
both "" link set va up
both "" link set vb up
both "" link set vb mtu 9000
both "" link set va txqueuelen 500
both "" addr add 10.210.0.2/24 dev va
both "" addr add 10.210.0.9/24 dev va
both "" addr add 10.210.1.3/24 brd + dev vb label vb:1
both "" route add default via 10.210.0.1
both "" route add 10.211.0.0/16 via 10.210.0.254 dev va metric 5
both "" neigh add 10.210.0.1 lladdr 02:00:00:00:00:01 dev va
both "" neigh add 10.210.1.7 lladdr 02:00:00:00:00:07 dev vb nud stale

# the views
both x link
both x -j link
both x -s link
DETAILS='s/ addrgenmode eui64//g; s/"inet6_addr_gen_mode":"eui64",//g
s/(numtxqueues|numrxqueues) [0-9]+/\1 N/g; s/"num_(tx|rx)_queues":[0-9]+/"num_\1_queues":N/g
s/maxmtu (0|65550) /maxmtu LO /; s/"max_mtu":(0|65550),/"max_mtu":LO,/'
both x -d link
both x -d -j link
DETAILS='p;d'
both x addr
both x -j addr show dev va
both x route
both x route show table local
both x route get 1.1.1.1
both x route get 10.210.0.2
both x route get 10.211.3.4
SORT=sort
both x neigh
SORT=cat
both x link show nope
both x addr add 10.210.0.2/24 dev va
both x route add 10.50.0.0/16 via 192.0.2.1
both x route del 10.99.0.0/16
both x link set va mtu 10
both x neigh del 10.210.0.1 dev va
SORT=sort
both x neigh
SORT=cat
both x link set va down
both x link
both x link del vb
both x link

# clean shutdown: SIGTERM removes the socket
kill "$pid"
wait "$pid"
rc=$?
pid=
if [ $rc -eq 0 ] && [ ! -e "$tmp/$SNS.sock" ]; then
        echo "PASS ctl_ip: stratad stops on SIGTERM and removes its socket"
else
        echo "FAIL ctl_ip: stratad exit status $rc, socket left: $(ls "$tmp")"
        failed=1
fi
exit $failed
