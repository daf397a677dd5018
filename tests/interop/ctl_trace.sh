#!/bin/sh
# Interop: `strata trace` and `strata capture` against a running stratad.
# stratad serves a namespace on TAP device stoNNN, which is moved into a
# kernel namespace (10.212.0.1/24; Strata is 10.212.0.2/24).  While the
# kernel pings Strata, `strata trace host 10.212.0.1 proto icmp` prints the
# echo requests and replies layer by layer, a second tracer is refused,
# and `strata capture stoNNN -w FILE` writes a pcap that tcpdump reads back
# with the same echoes.
#
# Usage: sh tests/interop/ctl_trace.sh BUILD_DIR   (root; SKIPs otherwise)
set -u
B=${1:-build}
T=ctl_trace
. "$(dirname "$0")/lib/ctl.sh"
ctl_require ip ping tcpdump
TAP=sto$$
CTL_STRATAD_ARGS="--tap $TAP"
ctl_up ctltrace noipv6

pass() { echo "PASS $T: $1"; }
fail() {
        echo "FAIL $T: $1"
        failed=1
}

ip link set "$TAP" netns "$NS" || { fail "cannot move $TAP into $NS"; exit 1; }
kip addr add 10.212.0.1/24 dev "$TAP"
kip link set "$TAP" up
sip addr add 10.212.0.2/24 dev "$TAP"
sip link set "$TAP" up

S="$B/bin/strata"
"$S" trace --netns "$SNS" --runtime-dir "$tmp" host 10.212.0.1 proto icmp -t 4 \
        >"$tmp/trace.out" 2>"$tmp/trace.err" &
tpid=$!
"$S" capture --netns "$SNS" --runtime-dir "$tmp" -t 4 "$TAP" -w "$tmp/cap.pcap" \
        2>"$tmp/cap.err" &
cpid=$!
cleanup_extra() {
        kill "$tpid" "$cpid" 2>/dev/null
}
sleep 0.5
if "$S" trace --netns "$SNS" --runtime-dir "$tmp" -t 1 >/dev/null 2>"$tmp/busy.err"; then
        fail "a second tracer was accepted"
elif grep -q "another client is tracing" "$tmp/busy.err"; then
        pass "a second tracer is refused while one traces"
else
        fail "second tracer: $(cat "$tmp/busy.err")"
fi
ip netns exec "$NS" ping -c 3 -i 0.3 -W 2 10.212.0.2 >"$tmp/ping.out" 2>&1 ||
        fail "kernel ping of Strata: $(tail -2 "$tmp/ping.out")"
wait "$tpid"
trc=$?
wait "$cpid"
crc=$?

req=$(grep -c "echo request" "$tmp/trace.out")
rep=$(grep -c "send type 0 code 0" "$tmp/trace.out")
if [ "$trc" -eq 0 ] && [ "$req" -ge 3 ] && [ "$rep" -ge 3 ] &&
        grep -q "dev rx" "$tmp/trace.out" && grep -q "dev tx" "$tmp/trace.out"; then
        pass "strata trace shows each echo request and reply through the layers"
else
        fail "strata trace (exit $trc, $req requests, $rep replies)"
        sed 's/^/    /' "$tmp/trace.out" "$tmp/trace.err" | head -20
fi
if grep -v "icmp\|echo\|ICMP" "$tmp/trace.out" | grep -q "proto 17\|ARP\|arp"; then
        fail "the icmp filter let other packets through"
        grep -v "echo" "$tmp/trace.out" | head -5 | sed 's/^/    /'
else
        pass "the trace filter keeps only ICMP to and from 10.212.0.1"
fi

tcpdump -nr "$tmp/cap.pcap" icmp >"$tmp/cap.txt" 2>"$tmp/tcpdump.err"
creq=$(grep -c "ICMP echo request" "$tmp/cap.txt")
crep=$(grep -c "ICMP echo reply" "$tmp/cap.txt")
if [ "$crc" -eq 0 ] && [ "$creq" -eq 3 ] && [ "$crep" -eq 3 ]; then
        pass "strata capture writes a pcap tcpdump reads: 3 requests, 3 replies"
else
        fail "strata capture (exit $crc): $creq requests, $crep replies"
        sed 's/^/    /' "$tmp/cap.err" "$tmp/tcpdump.err" "$tmp/cap.txt" | head -20
fi
if "$S" capture --netns "$SNS" --runtime-dir "$tmp" -t 1 nosuch0 -w "$tmp/x.pcap" \
        2>"$tmp/nodev.err"; then
        fail "capture of a missing device succeeded"
elif grep -q "no such device" "$tmp/nodev.err"; then
        pass "capture of a missing device says so"
else
        fail "capture of a missing device: $(cat "$tmp/nodev.err")"
fi
exit $failed
