#!/bin/sh
# Interop: the Linux kernel pings Strata over a TAP interface.
#
# examples/tap-host runs a Strata host on TAP stNNN (10.201.0.2/24); the
# TAP is moved into a fresh kernel network namespace (10.201.0.1/24) so
# the test touches nothing of the machine's own networking.  Then, each
# reported on its own line: the kernel's ping and arping get answers, the
# kernel's neighbour table holds Strata's MAC, tcpdump on the kernel side
# sees the echo replies, tap-host stops cleanly on SIGTERM, and Strata's
# own capture reads in tshark without a complaint.
#
# Usage: sh tests/interop/tap_ping.sh BUILD_DIR   (root; SKIPs otherwise)
set -u
B=${1:-build}

if [ "$(id -u)" -ne 0 ]; then
        echo "SKIP tap_ping: needs root"
        exit 0
fi
for tool in ip ping arping tcpdump tshark; do
        if ! command -v "$tool" >/dev/null 2>&1; then
                echo "SKIP tap_ping: $tool not installed"
                exit 0
        fi
done
if [ ! -x "$B/bin/tap-host" ]; then
        echo "FAIL tap_ping: $B/bin/tap-host is not built"
        exit 1
fi

NS=strata-tap-ping-$$
TAP=st$$ # < 16 characters whatever the pid
STRATA_IP=10.201.0.2
KERNEL_IP=10.201.0.1
tmp=$(mktemp -d /tmp/strata-tap-ping.XXXXXX) || exit 1
host_pid=
dump_pid=
failed=0

# Only what this script started, by PID; then the namespace and the files.
# shellcheck disable=SC2317 # (called from the trap)
cleanup() {
        for p in $dump_pid $host_pid; do
                kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
        done
        ip netns del "$NS" 2>/dev/null
        rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

pass() { echo "PASS $1"; }
fail() {
        echo "FAIL $1: $2"
        failed=1
}
# The root warning tshark always prints is about us, not about the file.
tshark_complaints() { grep -v 'Running as user "root"' "$1"; }

# Wait up to $1 tenths of a second for command "$2..." to succeed.
wait_for() {
        n=$1
        shift
        while [ "$n" -gt 0 ]; do
                "$@" >/dev/null 2>&1 && return 0
                sleep 0.1
                n=$((n - 1))
        done
        return 1
}

setup_fail() {
        echo "FAIL tap_ping: $1"
        sed 's/^/    /' "$tmp/tap-host.log" 2>/dev/null
        exit 1
}

ip netns add "$NS" || setup_fail "cannot create network namespace $NS"
"$B/bin/tap-host" --tap "$TAP" --addr "$STRATA_IP/24" --pcap "$tmp/strata.pcap" \
        --seconds 20 >"$tmp/tap-host.log" 2>&1 &
host_pid=$!
# Wait for tap-host to have finished setting up (it announces itself), not
# just for the interface: moving it while tap-host still configures it by
# name on the host would make that fail.
wait_for 50 grep -q '^tap-host: eth0 on TAP' "$tmp/tap-host.log" ||
        setup_fail "tap-host did not come up"
ip link show dev "$TAP" >/dev/null 2>&1 || setup_fail "tap-host did not create $TAP"
# Moving it keeps tap-host's fd working; the interface comes over down.
ip link set dev "$TAP" netns "$NS" || setup_fail "cannot move $TAP into $NS"
ip -n "$NS" link set lo up
ip -n "$NS" addr add "$KERNEL_IP/24" dev "$TAP" || setup_fail "cannot address $TAP"
ip -n "$NS" link set "$TAP" up || setup_fail "cannot bring $TAP up"

ip netns exec "$NS" tcpdump -n -U -i "$TAP" -w "$tmp/kernel.pcap" >"$tmp/tcpdump.log" 2>&1 &
dump_pid=$!
wait_for 50 grep -q 'listening on' "$tmp/tcpdump.log" || setup_fail "tcpdump did not start"

if ip netns exec "$NS" ping -c 3 -W 2 "$STRATA_IP" >"$tmp/ping.log" 2>&1; then
        pass kernel_ping
else
        fail kernel_ping "$(tail -n 2 "$tmp/ping.log" | tr '\n' ' ')"
fi

if ip netns exec "$NS" arping -c 2 -I "$TAP" "$STRATA_IP" >"$tmp/arping.log" 2>&1 &&
        grep -q 'Unicast reply from' "$tmp/arping.log"; then
        pass kernel_arping
else
        fail kernel_arping "$(tail -n 2 "$tmp/arping.log" | tr '\n' ' ')"
fi

# tcpdump writes each packet as it comes (-U); stop it to have the whole file.
kill -INT "$dump_pid" 2>/dev/null
wait "$dump_pid" 2>/dev/null
dump_pid=

# Strata's MAC as the wire shows it: source of its echo replies.
strata_mac=$(tcpdump -n -e -r "$tmp/kernel.pcap" "icmp[icmptype] == icmp-echoreply and src host $STRATA_IP" 2>/dev/null |
        head -n 1 | awk '{print $2}')
replies=$(tcpdump -n -r "$tmp/kernel.pcap" "icmp[icmptype] == icmp-echoreply and src host $STRATA_IP" 2>/dev/null |
        grep -c 'ICMP echo reply')
if [ "$replies" -ge 3 ]; then
        pass tcpdump_echo_replies
else
        fail tcpdump_echo_replies "$replies echo replies from $STRATA_IP in the kernel-side capture"
fi

neigh=$(ip -n "$NS" neigh show "$STRATA_IP" dev "$TAP")
# (an empty $strata_mac cannot match: the pattern then has two spaces)
case "$neigh" in
*" lladdr $strata_mac "*REACHABLE* | *" lladdr $strata_mac "*STALE* | *" lladdr $strata_mac "*DELAY*)
        pass kernel_neigh
        ;;
*)
        fail kernel_neigh "expected $STRATA_IP lladdr ${strata_mac:-?} REACHABLE/STALE, got: ${neigh:-nothing}"
        ;;
esac

kill -TERM "$host_pid" 2>/dev/null
wait "$host_pid"
rc=$?
host_pid=
if [ "$rc" -eq 0 ]; then
        pass tap_host_sigterm
else
        fail tap_host_sigterm "tap-host exited with status $rc: $(tail -n 3 "$tmp/tap-host.log" | tr '\n' ' ')"
fi

tshark -r "$tmp/strata.pcap" >"$tmp/tshark.out" 2>"$tmp/tshark.err"
rc=$?
complaints=$(tshark_complaints "$tmp/tshark.err")
requests=$(grep -c 'Echo (ping) request' "$tmp/tshark.out")
answers=$(grep -c 'Echo (ping) reply' "$tmp/tshark.out")
if [ "$rc" -ne 0 ] || [ -n "$complaints" ]; then
        fail strata_pcap_tshark "tshark exit $rc: $complaints"
elif [ "$requests" -lt 3 ] || [ "$answers" -lt 3 ]; then
        fail strata_pcap_tshark "Strata's capture has $requests echo requests and $answers replies"
else
        pass strata_pcap_tshark
fi

exit "$failed"
