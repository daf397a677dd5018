#!/bin/sh
# Interop: the Linux kernel's UDP (nc, socat) against Strata's UDP sockets
# over a TAP interface.
#
# examples/udp-echo runs a Strata echo server on TAP stuNNN (10.202.0.2/24,
# port 7); the TAP is moved into a fresh kernel network namespace
# (10.202.0.1/24) so the test touches nothing of the machine's own
# networking.  Then, each reported on its own line: nc gets "hello" echoed;
# socat gets payloads of 1000 and 1472 bytes back byte for byte; a datagram
# to a closed port draws an ICMP port unreachable that the kernel turns into
# "Connection refused" for socat's connected socket (and counts in its
# Icmp InDestUnreachs); udp-echo stops cleanly on SIGTERM and its counters
# say what happened (Udp InDatagrams, OutDatagrams, NoPorts).  All of it
# twice: with the blocking server and with --epoll (names end in _epoll).
#
# Usage: sh tests/interop/udp_echo.sh BUILD_DIR   (root; SKIPs otherwise)
set -u
B=${1:-build}

if [ "$(id -u)" -ne 0 ]; then
        echo "SKIP udp_echo: needs root"
        exit 0
fi
for tool in ip nc socat cmp timeout; do
        if ! command -v "$tool" >/dev/null 2>&1; then
                echo "SKIP udp_echo: $tool not installed"
                exit 0
        fi
done
if [ ! -x "$B/bin/udp-echo" ]; then
        echo "FAIL udp_echo: $B/bin/udp-echo is not built"
        exit 1
fi

STRATA_IP=10.202.0.2
KERNEL_IP=10.202.0.1
tmp=$(mktemp -d /tmp/strata-udp-echo.XXXXXX) || exit 1
NS=
host_pid=
failed=0

# Only what this script started, by PID; then the namespace and the files.
# shellcheck disable=SC2317 # (called from the trap)
cleanup() {
        if [ -n "$host_pid" ]; then
                kill "$host_pid" 2>/dev/null && wait "$host_pid" 2>/dev/null
        fi
        host_pid=
        [ -n "$NS" ] && ip netns del "$NS" 2>/dev/null
        NS=
}
trap 'cleanup; rm -rf "$tmp"' EXIT
trap 'exit 1' INT TERM HUP

pass() { echo "PASS $1"; }
fail() {
        echo "FAIL $1: $2"
        failed=1
}

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

# snmp_field FILE GROUP NAME: the value of NAME in a /proc/net/snmp-style
# pair of lines ("Udp: InDatagrams ..." then "Udp: 3 ..."), Strata's or the
# kernel's.
snmp_field() {
        awk -v g="$2:" -v n="$3" '
                $1 == g && !seen { for (i = 2; i <= NF; i++) if ($i == n) c = i; seen = 1; next }
                $1 == g && seen && c { print $c; exit }' "$1"
}

kernel_snmp() { ip netns exec "$NS" cat /proc/net/snmp >"$1"; }

# One(line) summary of a file for a FAIL message.
summary() { tail -n "${2:-3}" "$1" 2>/dev/null | tr '\n' ' ' | cut -c1-300; }

# run_mode SUFFIX TAP [--epoll]: the whole scenario against one server.
run_mode() {
        sfx=$1
        tap=$2
        shift 2
        log="$tmp/udp-echo$sfx.log"
        NS=strata-udp-echo-$$$sfx
        if ! ip netns add "$NS"; then
                fail "udp_echo_setup$sfx" "cannot create network namespace $NS"
                NS=
                return
        fi
        "$B/bin/udp-echo" --tap "$tap" --addr "$STRATA_IP/24" --seconds 25 "$@" >"$log" 2>&1 &
        host_pid=$!
        # Wait for udp-echo to have finished setting up (it announces itself)
        # before moving the TAP: it configures it by name on the host.
        if ! wait_for 50 grep -q '^udp-echo: eth0 on TAP' "$log"; then
                fail "udp_echo_setup$sfx" "udp-echo did not come up: $(summary "$log" 5)"
                cleanup
                return
        fi
        if ! ip link set dev "$tap" netns "$NS" ||
                ! ip -n "$NS" link set lo up ||
                ! ip -n "$NS" addr add "$KERNEL_IP/24" dev "$tap" ||
                ! ip -n "$NS" link set "$tap" up; then
                fail "udp_echo_setup$sfx" "cannot move $tap into $NS and configure it"
                cleanup
                return
        fi

        # nc: one line out, the same line back
        out=$(echo hello | ip netns exec "$NS" timeout 10 nc -u -w1 "$STRATA_IP" 7 2>"$tmp/nc.err")
        if [ "$out" = hello ]; then
                pass "nc_udp_echo$sfx"
        else
                fail "nc_udp_echo$sfx" "expected 'hello' back, got '$out' $(summary "$tmp/nc.err")"
        fi

        # socat: binary payloads, byte-exact (one datagram each: socat reads
        # its input in 8 KB blocks)
        ok=1
        why=
        for size in 1000 1472; do
                head -c "$size" /dev/urandom >"$tmp/in"
                ip netns exec "$NS" timeout 10 socat -t 2 - "UDP:$STRATA_IP:7" \
                        <"$tmp/in" >"$tmp/out" 2>"$tmp/socat.err"
                if ! cmp -s "$tmp/in" "$tmp/out"; then
                        ok=0
                        why="$why $size bytes sent, $(wc -c <"$tmp/out") came back$(
                                cmp "$tmp/in" "$tmp/out" 2>&1 | head -n 1 | sed 's/^/ (/; s/$/)/'
                        ) $(summary "$tmp/socat.err" 2);"
                fi
        done
        if [ "$ok" -eq 1 ]; then
                pass "socat_udp_echo$sfx"
        else
                fail "socat_udp_echo$sfx" "$why"
        fi

        # A closed port: Strata answers ICMP port unreachable; the kernel
        # counts it and gives socat's connected socket ECONNREFUSED.
        kernel_snmp "$tmp/snmp.before"
        echo probe | ip netns exec "$NS" timeout 10 socat -t 2 - "UDP:$STRATA_IP:9" \
                >/dev/null 2>"$tmp/refused.err"
        kernel_snmp "$tmp/snmp.after"
        before=$(snmp_field "$tmp/snmp.before" Icmp InDestUnreachs)
        after=$(snmp_field "$tmp/snmp.after" Icmp InDestUnreachs)
        unreach=$((${after:-0} - ${before:-0}))
        if grep -q 'Connection refused' "$tmp/refused.err" && [ "$unreach" -eq 1 ]; then
                pass "port_unreachable$sfx"
        else
                fail "port_unreachable$sfx" "kernel Icmp InDestUnreachs +$unreach (want +1); socat said: $(summary "$tmp/refused.err" 2)"
        fi

        # SIGTERM: exit 0, then the counters: 3 echoes (nc, 2 x socat) and
        # one datagram to a port nobody has.
        kill -TERM "$host_pid" 2>/dev/null
        wait "$host_pid"
        rc=$?
        host_pid=
        if [ "$rc" -ne 0 ]; then
                fail "udp_echo_sigterm$sfx" "udp-echo exited with status $rc: $(summary "$log")"
        elif ! grep -q '^udp-echo: Terminated, stopping' "$log"; then
                fail "udp_echo_sigterm$sfx" "udp-echo did not report stopping on SIGTERM: $(summary "$log")"
        else
                pass "udp_echo_sigterm$sfx"
        fi
        in_dg=$(snmp_field "$log" Udp InDatagrams)
        out_dg=$(snmp_field "$log" Udp OutDatagrams)
        noports=$(snmp_field "$log" Udp NoPorts)
        if [ "${in_dg:-x}" = 3 ] && [ "${out_dg:-x}" = 3 ] && [ "${noports:-x}" = 1 ]; then
                pass "udp_echo_counters$sfx"
        else
                fail "udp_echo_counters$sfx" "Strata's Udp InDatagrams ${in_dg:-?} OutDatagrams ${out_dg:-?} NoPorts ${noports:-?} (want 3 3 1)"
        fi
        cleanup
}

run_mode "" "stu$$"
run_mode _epoll "stue$$" --epoll
exit "$failed"
