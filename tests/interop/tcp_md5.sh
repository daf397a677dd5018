#!/bin/sh
# Interop: TCP MD5 signatures (RFC 2385) between Strata and the Linux kernel.
#
# examples/tcp-client (Strata, TAP smcNNN, 10.205.0.2/24) uploads to
# md5_listen (the kernel, in a fresh network namespace, 10.205.0.1/24),
# which sets TCP_MD5SIG for the client's address.  Each on its own line:
#   md5_upload_1mb   with the same key on both sides the upload arrives
#                    byte-exact, and the kernel counted no MD5 failures
#   md5_wrong_key    with another key the kernel drops every SYN
#                    (TcpExtTCPMD5Failure grows) and the client gives up
#   md5_no_key       without a key the kernel finds no signature
#                    (TcpExtTCPMD5NotFound grows) and nothing connects
#
# Usage: sh tests/interop/tcp_md5.sh BUILD_DIR   (root; SKIPs otherwise)
set -u
B=${1:-build}

if [ "$(id -u)" -ne 0 ]; then
        echo "SKIP tcp_md5: needs root"
        exit 0
fi
for tool in ip nstat timeout; do
        if ! command -v "$tool" >/dev/null 2>&1; then
                echo "SKIP tcp_md5: $tool not installed"
                exit 0
        fi
done
for bin in bin/tcp-client tests/interop/peers/md5_listen; do
        if [ ! -x "$B/$bin" ]; then
                echo "FAIL tcp_md5: $B/$bin is not built"
                exit 1
        fi
done

NS=strata-tcp-md5-$$
TAP=smc$$
C_IP=10.205.0.2
K_IP=10.205.0.1
KEY=strata-md5-secret
tmp=$(mktemp -d /tmp/strata-tcp-md5.XXXXXX) || exit 1
pids=
failed=0

# Only what this script started, by PID; then the namespace and the files.
# shellcheck disable=SC2317 # (called from the trap)
cleanup() {
        exec 3>&- 2>/dev/null
        for p in $pids; do
                kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
        done
        pids=
        ip netns del "$NS" 2>/dev/null
        rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

fail() {
        echo "FAIL $1: $2"
        failed=1
}

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
        echo "FAIL tcp_md5: $1"
        for f in "$tmp"/*.log; do
                [ -f "$f" ] && sed "s|^|    $(basename "$f"): |" "$f" | tail -n 8
        done
        exit 1
}

kcounter() { ip netns exec "$NS" nstat -az "$1" 2>/dev/null | awk -v k="$1" '$1 == k { print $2 }'; }

ip netns add "$NS" || setup_fail "cannot create network namespace $NS"
ip -n "$NS" link set lo up

# One run: md5_listen with key $1 (or none: "-"), tcp-client with key $2
# (or none), upload $3 bytes, give up after $4 s.  Leaves the logs.
run() {
        lkey=$1 ckey=$2 bytes=$3 secs=$4 tag=$5
        if [ "$lkey" != - ]; then
                ip netns exec "$NS" "$B/tests/interop/peers/md5_listen" 9000 "$C_IP" "$lkey" \
                        $((secs + 5)) >"$tmp/$tag-listen.log" 2>&1 &
                lpid=$!
                pids="$pids $lpid"
                wait_for 50 grep -q '^listening' "$tmp/$tag-listen.log" ||
                        setup_fail "md5_listen did not come up"
        fi
        set -- --tap "$TAP" --addr "$C_IP/24" --connect "$K_IP:9000" --bytes "$bytes" \
                --seconds "$secs"
        [ "$ckey" != - ] && set -- "$@" --md5-key "$ckey"
        mkfifo "$tmp/go-$tag" || setup_fail "mkfifo"
        "$B/bin/tcp-client" "$@" <"$tmp/go-$tag" >"$tmp/$tag-client.log" 2>&1 &
        cpid=$!
        pids="$pids $cpid"
        exec 3>"$tmp/go-$tag"
        wait_for 50 grep -q '^tcp-client: eth0 on TAP' "$tmp/$tag-client.log" ||
                setup_fail "tcp-client did not come up"
        ip link set dev "$TAP" netns "$NS" && ip -n "$NS" addr add "$K_IP/24" dev "$TAP" &&
                ip -n "$NS" link set "$TAP" up || setup_fail "cannot move $TAP into $NS"
        echo go >&3
        exec 3>&-
        wait "$cpid"
        crc=$?
}

# --- the same key on both sides --------------------------------------------------
fail0=$(kcounter TcpExtTCPMD5Failure)
run "$KEY" "$KEY" 1048576 30 ok
if [ "$crc" -ne 0 ]; then
        fail md5_upload_1mb "tcp-client exit $crc: $(tail -n 3 "$tmp/ok-client.log" | tr '\n' ' ')"
elif ! wait "$lpid" || ! grep -q '^received 1048576 bytes, body ok' "$tmp/ok-listen.log"; then
        fail md5_upload_1mb "kernel side: $(tr '\n' ' ' <"$tmp/ok-listen.log")"
elif [ "$(kcounter TcpExtTCPMD5Failure)" != "${fail0:-0}" ]; then
        fail md5_upload_1mb "the kernel counted MD5 failures"
else
        echo "PASS md5_upload_1mb"
fi
pids=
ip netns exec "$NS" ip link del "$TAP" 2>/dev/null

# --- another key: the kernel drops the signed SYNs --------------------------------
fail0=$(kcounter TcpExtTCPMD5Failure)
run "$KEY" wrong-key 1000 3 bad
kill "$lpid" 2>/dev/null
wait "$lpid" 2>/dev/null
fail1=$(kcounter TcpExtTCPMD5Failure)
if [ "$crc" -eq 0 ]; then
        fail md5_wrong_key "tcp-client connected with the wrong key"
elif [ "${fail1:-0}" -le "${fail0:-0}" ]; then
        fail md5_wrong_key "TcpExtTCPMD5Failure did not grow (${fail0:-0} -> ${fail1:-0})"
else
        echo "PASS md5_wrong_key"
fi
pids=
ip netns exec "$NS" ip link del "$TAP" 2>/dev/null

# --- no key on the client: nothing to check, nothing connects ---------------------
nf0=$(kcounter TcpExtTCPMD5NotFound)
run "$KEY" - 1000 3 none
kill "$lpid" 2>/dev/null
wait "$lpid" 2>/dev/null
nf1=$(kcounter TcpExtTCPMD5NotFound)
if [ "$crc" -eq 0 ]; then
        fail md5_no_key "tcp-client connected without a signature"
elif [ "${nf1:-0}" -le "${nf0:-0}" ]; then
        fail md5_no_key "TcpExtTCPMD5NotFound did not grow (${nf0:-0} -> ${nf1:-0})"
else
        echo "PASS md5_no_key"
fi
exit "$failed"
