#!/bin/sh
# Interop: urgent data between the Linux kernel's TCP and Strata's, over
# TAP.  examples/tcp-oob (Strata, TAP sturNNN, 10.208.0.2/24, port 7000)
# and a kernel client (tests/interop/peers/oob_client) in a fresh network
# namespace (10.208.0.1/24):
#
#   urg_kernel_to_strata  the kernel sends "abc" with MSG_OOB: Strata sees
#                         POLLPRI, reads "ab" up to the mark (SIOCATMARK)
#                         and 'c' with recv(MSG_OOB) -- the kernel's URG
#                         pointer read as Linux reads it
#   urg_strata_to_kernel  Strata sends "xyz" with MSG_OOB: the kernel's
#                         recv(MSG_OOB) returns 'z' and its stream "xy"
#
# Only what this script started is stopped, by PID; the namespace and the
# temporary files are removed.
#
# Usage: sh tests/interop/tcp_urg.sh BUILD_DIR   (root; SKIPs otherwise)
set -u
B=${1:-build}

if [ "$(id -u)" -ne 0 ]; then
        echo "SKIP tcp_urg: needs root"
        exit 0
fi
for tool in ip timeout; do
        if ! command -v "$tool" >/dev/null 2>&1; then
                echo "SKIP tcp_urg: $tool not installed"
                exit 0
        fi
done
for bin in bin/tcp-oob tests/interop/peers/oob_client; do
        if [ ! -x "$B/$bin" ]; then
                echo "FAIL tcp_urg: $B/$bin is not built"
                exit 1
        fi
done

NS=strata-tcp-urg-$$
TAP=stur$$
S_IP=10.208.0.2
K_IP=10.208.0.1
tmp=$(mktemp -d /tmp/strata-tcp-urg.XXXXXX) || exit 1
peer_pid=
failed=0

# shellcheck disable=SC2317 # (called from the trap)
cleanup() {
        if [ -n "$peer_pid" ]; then
                kill "$peer_pid" 2>/dev/null && wait "$peer_pid" 2>/dev/null
        fi
        peer_pid=
        ip netns del "$NS" 2>/dev/null
        rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

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
        echo "FAIL tcp_urg: $1"
        [ -f "$tmp/peer.log" ] && sed 's|^|    peer.log: |' "$tmp/peer.log" | tail -n 8
        exit 1
}

ip netns add "$NS" || setup_fail "cannot create network namespace $NS"
ip -n "$NS" link set lo up
"$B/bin/tcp-oob" --tap "$TAP" --addr "$S_IP/24" --port 7000 >"$tmp/peer.log" 2>&1 &
peer_pid=$!
wait_for 50 grep -q '^tcp-oob: eth0 on TAP' "$tmp/peer.log" ||
        setup_fail "tcp-oob did not come up"
ip link set dev "$TAP" netns "$NS" && ip -n "$NS" addr add "$K_IP/24" dev "$TAP" &&
        ip -n "$NS" link set "$TAP" up || setup_fail "cannot move $TAP into $NS"

ip netns exec "$NS" timeout 30 "$B/tests/interop/peers/oob_client" "$S_IP" 7000 20 \
        >"$tmp/client.log" 2>&1
wait "$peer_pid" 2>/dev/null
peer_rc=$?
peer_pid=

if grep -q '^received normal=ab oob=c$' "$tmp/peer.log"; then
        echo "PASS urg_kernel_to_strata"
else
        echo "FAIL urg_kernel_to_strata: $(tail -n 3 "$tmp/peer.log" | tr '\n' ' ')"
        failed=1
fi
if grep -q '^kernel received normal=xy oob=z$' "$tmp/client.log" && [ "$peer_rc" -eq 0 ]; then
        echo "PASS urg_strata_to_kernel"
else
        echo "FAIL urg_strata_to_kernel: $(tail -n 3 "$tmp/client.log" | tr '\n' ' ') (peer exit $peer_rc)"
        failed=1
fi
exit "$failed"
