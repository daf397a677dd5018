#!/bin/sh
# Interop: path MTU discovery against real kernel routers.  examples/
# tcp-client (Strata, TAP stpcNNN, 10.206.0.2/24, default via 10.206.0.1)
# uploads 2 MB to the kernel's `nc -l` behind a kernel router whose link
# toward the server has MTU 1000 while the server's own interface keeps
# 1500 -- so the server offers MSS 1460 and only the router's
# "fragmentation needed" can tell the client:
#
#   router (namespace R): the TAP 10.206.0.1/24, forwarding, veth r1
#                         10.207.0.1/24 with MTU 1000
#   server (namespace S): veth s0 10.207.0.2/24 (MTU 1500), nc -l 9000
#
#   tcp_pmtu_upload   the upload arrives byte-exact and in order, and the
#                     client's counters show the ICMP it took (the router
#                     counted the "fragmentation needed" it sent)
#
# Only what this script started is stopped, by PID; the namespaces and
# temporary files are removed.
#
# Usage: sh tests/interop/tcp_pmtu.sh BUILD_DIR   (root; SKIPs otherwise)
set -u
B=${1:-build}

if [ "$(id -u)" -ne 0 ]; then
        echo "SKIP tcp_pmtu: needs root"
        exit 0
fi
for tool in ip nc nstat sha256sum seq timeout; do
        if ! command -v "$tool" >/dev/null 2>&1; then
                echo "SKIP tcp_pmtu: $tool not installed"
                exit 0
        fi
done
if [ ! -x "$B/bin/tcp-client" ]; then
        echo "FAIL tcp_pmtu: $B/bin/tcp-client is not built"
        exit 1
fi

R=strata-pmtu-r-$$
S=strata-pmtu-s-$$
TAP=stpc$$
UP=2097152
tmp=$(mktemp -d /tmp/strata-tcp-pmtu.XXXXXX) || exit 1
client_pid=
nc_pid=

# shellcheck disable=SC2317 # (called from the trap)
cleanup() {
        exec 3>&- 2>/dev/null
        for p in $nc_pid $client_pid; do
                kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
        done
        ip netns del "$R" 2>/dev/null
        ip netns del "$S" 2>/dev/null
        rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

fail() {
        echo "FAIL tcp_pmtu_upload: $1"
        sed "s/^/    client: /" "$tmp/client.log" 2>/dev/null | head -n 12
        exit 1
}

wait_for() {
        n=$1
        shift
        while [ "$n" -gt 0 ]; do
                "$@" && return 0
                sleep 0.1
                n=$((n - 1))
        done
        return 1
}

ip netns add "$R" && ip netns add "$S" || fail "cannot create the namespaces"
ip -n "$R" link set lo up
ip -n "$S" link set lo up
ip link add r1 netns "$R" type veth peer name s0 netns "$S" || fail "cannot make the veth pair"
ip -n "$R" addr add 10.207.0.1/24 dev r1
ip -n "$R" link set r1 mtu 1000 up
ip -n "$S" addr add 10.207.0.2/24 dev s0
ip -n "$S" link set s0 up
ip -n "$S" route add default via 10.207.0.1
ip netns exec "$R" sysctl -qw net.ipv4.ip_forward=1

mkfifo "$tmp/go" || fail "mkfifo"
"$B/bin/tcp-client" --tap "$TAP" --addr 10.206.0.2/24 --via 10.206.0.1 \
        --connect 10.207.0.2:9000 --bytes "$UP" --seconds 60 <"$tmp/go" >"$tmp/client.log" 2>&1 &
client_pid=$!
exec 3>"$tmp/go"
wait_for 50 grep -q '^tcp-client: eth0 on TAP' "$tmp/client.log" || fail "tcp-client did not come up"
ip link set dev "$TAP" netns "$R" || fail "cannot move $TAP into $R"
ip -n "$R" addr add 10.206.0.1/24 dev "$TAP"
ip -n "$R" link set "$TAP" up

ip netns exec "$S" timeout 60 nc -l 10.207.0.2 9000 </dev/null >"$tmp/upload" 2>"$tmp/nc.err" &
nc_pid=$!
wait_for 50 sh -c "ip netns exec $S ss -tln | grep -q ':9000'" || fail "nc -l did not listen"
ip netns exec "$R" nstat -n >/dev/null 2>&1
echo go >&3
exec 3>&-
wait "$client_pid"
crc=$?
client_pid=
wait "$nc_pid"
nc_pid=
want=$(seq -f '%015.0f' 0 $((UP / 16)) | head -c "$UP" | sha256sum | cut -d' ' -f1)
got=$(sha256sum <"$tmp/upload" | cut -d' ' -f1)
frag=$(ip netns exec "$R" nstat -az IcmpOutDestUnreachs | awk '/IcmpOutDestUnreachs/ { print $2 }')
# the client prints its counters as /proc/net/snmp does: names, then values
took=$(awk '$1 == "Icmp:" { if (!n) { for (i = 2; i <= NF; i++) if ($i == "InDestUnreachs") c = i; n = 1 }
        else if (c) { print $c; exit } }' "$tmp/client.log")
if [ "$crc" -ne 0 ]; then
        fail "tcp-client exit $crc: $(grep '^tcp-client:' "$tmp/client.log" | tail -n 1)"
elif [ "$got" != "$want" ]; then
        fail "nc wrote $(wc -c <"$tmp/upload") of $UP bytes, sha256 differs"
elif [ "${frag:-0}" -lt 1 ]; then
        fail "the router sent no fragmentation needed (IcmpOutDestUnreachs ${frag:-none})"
elif [ "${took:-0}" -lt 1 ]; then
        fail "the client counted no destination unreachable (${took:-no counter line})"
else
        echo "PASS tcp_pmtu_upload ($frag frag needed from the router)"
fi
exit 0
