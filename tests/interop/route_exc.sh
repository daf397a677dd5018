#!/bin/sh
# Interop: next-hop exceptions -- path MTU and redirects -- shown as the
# kernel shows them.  A kernel namespace ($NS, veth to a peer) and stratad
# (a TAP moved into a second peer namespace) get the same address,
# 10.1.0.2/24 with a default route via 10.1.0.1; from each peer hand-made
# ICMP messages quoting an echo reply 10.1.0.2 -> 10.2.0.2 (Linux's
# icmp_err acts on those) teach the route: "fragmentation needed" a path
# MTU (1400, then 500: locked at min_pmtu 552), redirects a new gateway
# (accepted; ignored from a router that is not the gateway, towards an
# unresolved neighbour, or with shared_media off and secure_redirects on).
# `ip route get`, `ip route show cache` and `ip route flush cache` (which
# writes /proc/sys/net/ipv4/route/flush: the shim turns that into Strata's
# sysctl) are compared, output and status.  One PASS/FAIL line per view.
# Only the stratad started here is stopped, by PID; the namespaces and
# temporary files are removed.
#
# Usage: sh tests/interop/route_exc.sh BUILD_DIR   (root; SKIPs otherwise)
set -u
B=${1:-build}
T=route_exc
. "$(dirname "$0")/lib/ctl.sh"
ctl_require ip python3
CTL_TAP=stp$$
CTL_STRATAD_ARGS="--tap $CTL_TAP" # made in the host namespace: moved below
ctl_up rp noipv6
PK=strata-rpk-$$
PS=strata-rps-$$

cleanup_extra() {
        ip netns del "$PK" 2>/dev/null
        ip netns del "$PS" 2>/dev/null
}

ip netns add "$PK" && ip netns add "$PS" || {
        echo "FAIL $T: cannot create the peer namespaces"
        exit 1
}
# Strata side: stratad's TAP, in $PS as p0 10.1.0.1
i=0
while ! ip link show "$CTL_TAP" >/dev/null 2>&1 && [ $i -lt 50 ]; do
        sleep 0.1
        i=$((i + 1))
done
ip link set "$CTL_TAP" netns "$PS" || {
        echo "FAIL $T: stratad made no TAP $CTL_TAP"
        exit 1
}
ip -n "$PS" link set "$CTL_TAP" name p0
sip addr add 10.1.0.2/24 dev "$CTL_TAP"
sip link set "$CTL_TAP" up
sip route add default via 10.1.0.1
# kernel side, the same device name: $NS $CTL_TAP 10.1.0.2 <-> $PK p0 10.1.0.1
ip link add "$CTL_TAP" netns "$NS" type veth peer name p0 netns "$PK"
kip addr add 10.1.0.2/24 dev "$CTL_TAP"
kip link set "$CTL_TAP" up
kip route add default via 10.1.0.1
for p in "$PK" "$PS"; do
        ip -n "$p" addr add 10.1.0.1/24 dev p0
        ip -n "$p" link set p0 up
        ip -n "$p" link set lo up
done

# icmp PEER TYPE CODE WORD [FROM]: from PEER (FROM: a source address it
# adds), an ICMP message (bytes 4..7: WORD, a number or an address) quoting
# a 1500-byte echo reply 10.1.0.2 -> 10.2.0.2 with DF
icmp() {
        ip netns exec "$1" python3 - "$2" "$3" "$4" "${5:-}" <<'PY'
import socket, struct, sys
def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return ~s & 0xffff
src, dst = socket.inet_aton("10.1.0.2"), socket.inet_aton("10.2.0.2")
ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 1500, 7, 0x4000, 64, 1, 0, src, dst)
ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
echo = struct.pack("!BBHHH", 0, 0, 0, 0x1234, 1)
w = sys.argv[3]
word = socket.inet_aton(w) if "." in w else struct.pack("!I", int(w))
body = struct.pack("!BBH", int(sys.argv[1]), int(sys.argv[2]), 0) + word + ip + echo
msg = body[:2] + struct.pack("!H", csum(body)) + body[4:]
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
if sys.argv[4]:
    s.bind((sys.argv[4], 0))
s.sendto(msg, ("10.1.0.2", 0))
PY
}
fragneeded() { icmp "$1" 3 4 "$2"; }
redirect() { icmp "$1" 5 1 "$2" "${3:-}"; }

# the peers must know 10.1.0.2's MAC before the raw send (no ARP delay)
ip netns exec "$PK" ping -c 1 -W 2 10.1.0.2 >/dev/null 2>&1
ip netns exec "$PS" ping -c 1 -W 2 10.1.0.2 >/dev/null 2>&1

# compare NAME: the last kernel and Strata outputs; the sides learn a few
# hundred milliseconds apart, so "expires" may differ by a second
compare() {
        name=$1
        for f in k s; do
                sed -E 's/expires (59[5-9]|600)sec/expires 59Xsec/; s/expires (29[5-9]|300)sec/expires 29Xsec/' "$tmp/$f.out" >"$tmp/$f.n"
                mv "$tmp/$f.n" "$tmp/$f.out"
        done
        if [ "$krc" -eq "$src" ] && cmp -s "$tmp/k.out" "$tmp/s.out"; then
                echo "PASS route_exc: $name"
        else
                echo "FAIL route_exc: $name (kernel status $krc, strata $src)"
                diff -u "$tmp/k.out" "$tmp/s.out" | sed 's/^/    /' | head -20
                failed=1
        fi
}

# learn MTU: teach both sides, then ip route get and show cache on each at once
learn() {
        fragneeded "$PK" "$1"
        sleep 0.2
        kip route get 10.2.0.2 >"$tmp/k.out" 2>&1
        krc=$?
        kip route show cache >>"$tmp/k.out" 2>&1
        fragneeded "$PS" "$1"
        sleep 0.2
        sip route get 10.2.0.2 >"$tmp/s.out" 2>&1
        src=$?
        sip route show cache >>"$tmp/s.out" 2>&1
        compare "frag needed mtu $1: ip route get, ip route show cache"
}

view() {
        kip "$@" >"$tmp/k.out" 2>&1
        krc=$?
        sip "$@" >"$tmp/s.out" 2>&1
        src=$?
        compare "ip $*"
}

view route get 10.2.0.2
learn 1400
view route get 10.2.0.3
view route get 10.2.0.2 from 10.1.0.2
view route flush cache
view route show cache
view route get 10.2.0.2
learn 500
view -4 route flush cache
view route show cache

# redirects: PEER, then the same views on both sides
learn_redirect() {
        redirect "$PK" "$@"
        sleep 0.2
        kip route get 10.2.0.2 >"$tmp/k.out" 2>&1
        krc=$?
        kip route show cache >>"$tmp/k.out" 2>&1
        redirect "$PS" "$@"
        sleep 0.2
        sip route get 10.2.0.2 >"$tmp/s.out" 2>&1
        src=$?
        sip route show cache >>"$tmp/s.out" 2>&1
        compare "redirect to $*: ip route get, ip route show cache"
}
kip neigh add 10.1.0.3 lladdr 02:00:00:00:00:03 dev "$CTL_TAP"
sip neigh add 10.1.0.3 lladdr 02:00:00:00:00:03 dev "$CTL_TAP"
for p in "$PK" "$PS"; do ip -n "$p" addr add 10.1.0.5/24 dev p0; done
learn_redirect 10.1.0.3 10.1.0.5 # not from the gateway: ignored
learn_redirect 10.1.0.4          # not resolved yet: ignored, resolution starts
learn_redirect 10.1.0.3
view route flush cache
for k in all "$CTL_TAP"; do
        ip netns exec "$NS" sysctl -qw "net.ipv4.conf.$k.shared_media=0"
        "$B/bin/strata" sysctl --netns "$SNS" --runtime-dir "$tmp" -qw \
                "net.ipv4.conf.$k.shared_media=0"
done
learn_redirect 10.1.0.3 # secure_redirects: not a gateway of ours
for k in all "$CTL_TAP"; do
        ip netns exec "$NS" sysctl -qw "net.ipv4.conf.$k.secure_redirects=0"
        "$B/bin/strata" sysctl --netns "$SNS" --runtime-dir "$tmp" -qw \
                "net.ipv4.conf.$k.secure_redirects=0"
done
learn_redirect 10.1.0.3
fragneeded "$PK" 1300
fragneeded "$PS" 1300
sleep 0.2
view route get 10.2.0.2

kill "$pid"
wait "$pid"
pid=
exit $failed
