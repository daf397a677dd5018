#!/bin/sh
# Interop: stratad's attachments and sharing.
#  --packet IFNAME: stratad drives an existing veth end (paNNN) through
#    AF_PACKET; its peer pbNNN sits in a kernel namespace (10.213.0.1/24),
#    Strata is 10.213.0.2/24 on paNNN: the kernel resolves and pings it,
#    small and large.
#  --group GROUP: the control socket is 0660 of GROUP, and a process of
#    another user that is in GROUP may use it, one that is not may not.
#  --syslog: nothing goes to stderr.
#
# Usage: sh tests/interop/stratad_opts.sh BUILD_DIR   (root; SKIPs otherwise)
set -u
B=${1:-build}
T=stratad_opts
. "$(dirname "$0")/lib/ctl.sh"
ctl_require ip ping setpriv
PA=pa$$
PB=pb$$
ip link add "$PA" type veth peer name "$PB" || { echo "FAIL $T: cannot make a veth pair"; exit 1; }
cleanup_extra() {
        ip link del "$PA" 2>/dev/null
        [ -n "${pid2:-}" ] && kill "$pid2" 2>/dev/null && wait "$pid2" 2>/dev/null
}
ip link set "$PA" up
CTL_STRATAD_ARGS="--packet $PA --group nogroup --syslog"
ctl_up ctlopts noipv6

pass() { echo "PASS $T: $1"; }
fail() {
        echo "FAIL $T: $1"
        failed=1
}

ip link set "$PB" netns "$NS"
kip addr add 10.213.0.1/24 dev "$PB"
kip link set "$PB" up
sip addr add 10.213.0.2/24 dev "$PA"
sip link set "$PA" up
if ip netns exec "$NS" ping -c 3 -i 0.2 -W 2 10.213.0.2 >"$tmp/ping.out" 2>&1 &&
        ip netns exec "$NS" ping -c 2 -i 0.2 -W 2 -s 1400 10.213.0.2 >>"$tmp/ping.out" 2>&1; then
        pass "the kernel pings Strata on an AF_PACKET-attached veth end"
else
        fail "ping over --packet"
        sed 's/^/    /' "$tmp/ping.out" | tail -6
fi
if kip neigh show 10.213.0.2 | grep -q "lladdr"; then
        pass "the kernel resolved Strata's own MAC address"
else
        fail "no neighbour entry for 10.213.0.2: $(kip neigh show)"
fi

sock="$tmp/$SNS.sock"
mode=$(stat -c '%a %G' "$sock")
if [ "$mode" = "660 nogroup" ]; then
        pass "--group: the socket is 0660 of the group"
else
        fail "--group: socket is $mode"
fi
chmod 0711 "$tmp"
S="$B/bin/strata"
if setpriv --reuid=65534 --regid=65534 --clear-groups \
        "$S" sysctl --netns "$SNS" --runtime-dir "$tmp" -n net.core.somaxconn >"$tmp/m.out" 2>&1 &&
        [ "$(cat "$tmp/m.out")" = 4096 ]; then
        pass "--group: a member of the group is served"
else
        fail "--group: member refused: $(cat "$tmp/m.out")"
fi
if setpriv --reuid=65534 --regid=65533 --clear-groups \
        "$S" sysctl --netns "$SNS" --runtime-dir "$tmp" -n net.core.somaxconn >"$tmp/n.out" 2>&1; then
        fail "--group: a process outside the group was served"
else
        pass "--group: a process outside the group is refused"
fi
if [ -s "$tmp/stratad.log" ]; then
        fail "--syslog: stratad still wrote to stderr: $(head -3 "$tmp/stratad.log")"
else
        pass "--syslog: nothing on stderr"
fi
"$B/bin/stratad" --name "x$SNS" --runtime-dir "$tmp" --packet nosuch$$ 2>"$tmp/nodev.err"
rc=$?
if [ $rc -ne 0 ] && grep -q "no such interface" "$tmp/nodev.err"; then
        pass "--packet of a missing interface fails with a message"
else
        fail "--packet nosuch: exit $rc, $(cat "$tmp/nodev.err")"
fi
exit $failed
