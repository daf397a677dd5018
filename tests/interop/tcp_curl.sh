#!/bin/sh
# Interop: the Linux kernel's TCP (curl, nc) against Strata's TCP over TAP.
#
# examples/http-server runs a Strata HTTP server on TAP sthNNN
# (10.203.0.2/24, port 8080) answering every GET with a generated body
# (16-byte lines "%015llu\n" counting from 0, which `seq` rebuilds here);
# examples/tcp-client runs a Strata client on TAP stcNNN (10.204.0.2/24).
# Both TAPs move into one fresh kernel network namespace (10.203.0.1/24 and
# 10.204.0.1/24), so the test touches nothing of the machine's networking.
# Then, each on its own line:
#   curl_10mb          curl downloads 10 MB, sha256 equal to the expected body
#   curl_parallel_3    three curls at once, each body byte-exact
#   ss_kernel_side     during a rate-limited download, the kernel's `ss -tani`
#                      shows its open connection to 10.203.0.2:8080 sending
#                      with Strata's window scale (7), and Strata's SYN-ACK
#                      (tcpdump) offers mss 1460, sackOK, TS and wscale 7 in
#                      Linux's order
#   nc_upload_2mb      tcp-client uploads 2 MB to the kernel's `nc -l`,
#                      byte-exact, and both sides close in order
#   http_server_sigterm  http-server stops on SIGTERM with exit 0 and its
#                      counters say 5 requests answered 200
#
# Usage: sh tests/interop/tcp_curl.sh BUILD_DIR   (root; SKIPs otherwise)
set -u
B=${1:-build}

if [ "$(id -u)" -ne 0 ]; then
        echo "SKIP tcp_curl: needs root"
        exit 0
fi
for tool in ip curl nc ss sha256sum seq timeout; do
        if ! command -v "$tool" >/dev/null 2>&1; then
                echo "SKIP tcp_curl: $tool not installed"
                exit 0
        fi
done
for bin in http-server tcp-client; do
        if [ ! -x "$B/bin/$bin" ]; then
                echo "FAIL tcp_curl: $B/bin/$bin is not built"
                exit 1
        fi
done

NS=strata-tcp-curl-$$
TAP_S=sth$$ # < 16 characters whatever the pid
TAP_C=stc$$
S_IP=10.203.0.2
K_IP=10.203.0.1
C_IP=10.204.0.2
KC_IP=10.204.0.1
BIG=10485760
UP=2097152
tmp=$(mktemp -d /tmp/strata-tcp-curl.XXXXXX) || exit 1
server_pid=
client_pid=
nc_pid=
dump_pid=
curl_pids=
failed=0

# Only what this script started, by PID; then the namespace and the files.
# shellcheck disable=SC2317 # (called from the trap)
cleanup() {
        exec 3>&- 2>/dev/null
        for p in $dump_pid $curl_pids $nc_pid $client_pid $server_pid; do
                kill "$p" 2>/dev/null && wait "$p" 2>/dev/null
        done
        dump_pid=
        curl_pids=
        nc_pid=
        client_pid=
        server_pid=
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
summary() { tail -n "${2:-3}" "$1" 2>/dev/null | tr '\n' ' ' | cut -c1-300; }

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
        echo "FAIL tcp_curl: $1"
        for f in "$tmp"/*.log; do
                [ -f "$f" ] && sed "s|^|    $(basename "$f"): |" "$f" | tail -n 8
        done
        exit 1
}

# The body http-server --bytes N generates, rebuilt independently.
expected_sha() { seq -f '%015.0f' 0 $(($1 / 16)) | head -c "$1" | sha256sum | cut -d' ' -f1; }

# Move a TAP into the namespace with the kernel's address on it.
adopt_tap() {
        ip link set dev "$1" netns "$NS" &&
                ip -n "$NS" addr add "$2/24" dev "$1" &&
                ip -n "$NS" link set "$1" up
}

ip netns add "$NS" || setup_fail "cannot create network namespace $NS"
ip -n "$NS" link set lo up

"$B/bin/http-server" --tap "$TAP_S" --addr "$S_IP/24" --bytes "$BIG" --seconds 120 \
        >"$tmp/server.log" 2>&1 &
server_pid=$!
wait_for 50 grep -q '^http-server: eth0 on TAP' "$tmp/server.log" ||
        setup_fail "http-server did not come up"
adopt_tap "$TAP_S" "$K_IP" || setup_fail "cannot move $TAP_S into $NS"

mkfifo "$tmp/go" || setup_fail "mkfifo"
"$B/bin/tcp-client" --tap "$TAP_C" --addr "$C_IP/24" --connect "$KC_IP:9000" --bytes "$UP" \
        --seconds 60 <"$tmp/go" >"$tmp/client.log" 2>&1 &
client_pid=$!
exec 3>"$tmp/go" # the client's stdin: a line on it starts the upload
wait_for 50 grep -q '^tcp-client: eth0 on TAP' "$tmp/client.log" ||
        setup_fail "tcp-client did not come up"
adopt_tap "$TAP_C" "$KC_IP" || setup_fail "cannot move $TAP_C into $NS"

want_big=$(expected_sha "$BIG")
URL=http://$S_IP:8080

# --- one 10 MB download ---------------------------------------------------------
if ip netns exec "$NS" timeout 60 curl -s -S --max-time 50 -o "$tmp/one" "$URL/x" \
        2>"$tmp/curl.err"; then
        got=$(sha256sum <"$tmp/one" | cut -d' ' -f1)
        if [ "$got" = "$want_big" ]; then
                pass curl_10mb
        else
                fail curl_10mb "sha256 differs: $(wc -c <"$tmp/one") bytes received of $BIG$(
                        seq -f '%015.0f' 0 $((BIG / 16)) | head -c "$BIG" | cmp - "$tmp/one" 2>&1 |
                                head -n 1 | sed 's/^/ (/; s/$/)/'
                )"
        fi
else
        fail curl_10mb "curl failed: $(summary "$tmp/curl.err") $(wc -c <"$tmp/one" 2>/dev/null) bytes"
fi

# --- three at once --------------------------------------------------------------
for i in 1 2 3; do
        ip netns exec "$NS" timeout 90 curl -s -S --max-time 80 -o "$tmp/par$i" "$URL/p$i" \
                2>"$tmp/par$i.err" &
        curl_pids="$curl_pids $!"
done
ok=1
why=
i=0
for p in $curl_pids; do
        i=$((i + 1))
        wait "$p"
        rc=$?
        got=$(sha256sum <"$tmp/par$i" 2>/dev/null | cut -d' ' -f1)
        if [ "$rc" -ne 0 ] || [ "$got" != "$want_big" ]; then
                ok=0
                why="$why curl $i: exit $rc, $(wc -c <"$tmp/par$i" 2>/dev/null || echo 0) bytes $(summary "$tmp/par$i.err" 1);"
        fi
done
curl_pids=
if [ "$ok" -eq 1 ]; then
        pass curl_parallel_3
else
        fail curl_parallel_3 "$why"
fi

# --- the kernel's view of a connection in progress --------------------------------
# ss -tani shows the kernel's side; what was negotiated is read from the
# handshake as tcpdump decodes it (iproute2 6.1's ss does not print "ts sack"
# on this kernel even between two kernel sockets).
dump_pid=
if command -v tcpdump >/dev/null 2>&1; then
        ip netns exec "$NS" tcpdump -n -U -i "$TAP_S" -w "$tmp/hs.pcap" 'tcp[tcpflags] & tcp-syn != 0' \
                >"$tmp/tcpdump.log" 2>&1 &
        dump_pid=$!
        wait_for 50 grep -q 'listening on' "$tmp/tcpdump.log"
fi
ip netns exec "$NS" timeout 60 curl -s --limit-rate 2M -o "$tmp/slow" "$URL/slow" \
        2>"$tmp/slow.err" &
curl_pids=$!
# the connection as the kernel holds it, once it is there (a loaded
# machine may take a while to start curl): looked at every 0.1 s for 4 s
n=40
while [ "$n" -gt 0 ]; do
        ip netns exec "$NS" ss -tani "dst $S_IP" >"$tmp/ss.out" 2>&1
        grep -qE "^(ESTAB|CLOSE-WAIT) .* $K_IP:[0-9]* *$S_IP:8080" "$tmp/ss.out" &&
                grep -q ' wscale:' "$tmp/ss.out" && break
        sleep 0.1
        n=$((n - 1))
done
wait "$curl_pids"
rc=$?
curl_pids=
hs=
if [ -n "$dump_pid" ]; then
        kill -INT "$dump_pid" 2>/dev/null
        wait "$dump_pid" 2>/dev/null
        hs=$(tcpdump -n -v -r "$tmp/hs.pcap" "src host $S_IP" 2>/dev/null | grep 'Flags \[S\.\]' | head -n 1)
fi
dump_pid=
# ESTAB, or CLOSE-WAIT once Strata (its send buffer grown with cwnd, as
# tcp_sndbuf_expand grows Linux's) has written the whole body and closed
# while curl still reads what the kernel holds
estab=$(grep -cE "^(ESTAB|CLOSE-WAIT) .* $K_IP:[0-9]* *$S_IP:8080" "$tmp/ss.out")
if [ "$estab" -ne 1 ]; then
        fail ss_kernel_side "ss -tani shows $estab open connections to $S_IP:8080: $(summary "$tmp/ss.out" 4)"
elif ! grep -q ' wscale:7,[0-9]* ' "$tmp/ss.out"; then
        fail ss_kernel_side "the kernel does not send with Strata's window scale 7: $(summary "$tmp/ss.out" 4)"
elif [ -n "$hs" ] && ! echo "$hs" | grep -q 'options \[mss 1460,sackOK,TS val [0-9]* ecr [0-9]*,nop,wscale 7\]'; then
        fail ss_kernel_side "Strata's SYN-ACK: $hs"
elif [ "$rc" -ne 0 ] || [ "$(sha256sum <"$tmp/slow" | cut -d' ' -f1)" != "$want_big" ]; then
        fail ss_kernel_side "the rate-limited download failed (exit $rc) or differs"
else
        pass ss_kernel_side
fi

# --- a Strata client uploads to the kernel's nc -l ---------------------------------
ip netns exec "$NS" timeout 60 nc -l "$KC_IP" 9000 </dev/null >"$tmp/upload" 2>"$tmp/nc.err" &
nc_pid=$!
wait_for 50 sh -c "ip netns exec $NS ss -tln | grep -q '$KC_IP:9000'" ||
        fail nc_upload_2mb "nc -l did not listen"
echo go >&3
exec 3>&-
wait "$client_pid"
crc=$?
client_pid=
wait "$nc_pid"
nrc=$?
nc_pid=
want_up=$(expected_sha "$UP")
got_up=$(sha256sum <"$tmp/upload" | cut -d' ' -f1)
if [ "$crc" -ne 0 ]; then
        fail nc_upload_2mb "tcp-client exit $crc: $(grep '^tcp-client:' "$tmp/client.log" | tail -n 1)"
elif [ "$nrc" -ne 0 ]; then
        fail nc_upload_2mb "nc exit $nrc: $(summary "$tmp/nc.err")"
elif [ "$got_up" != "$want_up" ]; then
        fail nc_upload_2mb "nc wrote $(wc -c <"$tmp/upload") bytes, sha256 differs"
else
        pass nc_upload_2mb
fi

# --- the server stops cleanly ----------------------------------------------------
kill -TERM "$server_pid" 2>/dev/null
wait "$server_pid"
rc=$?
server_pid=
line=$(grep '^http-server: Terminated, stopping' "$tmp/server.log")
if [ "$rc" -ne 0 ]; then
        fail http_server_sigterm "exit $rc: $(summary "$tmp/server.log")"
elif ! echo "$line" | grep -q ' 5 answered 200, 0 errors answered, 0 aborted'; then
        fail http_server_sigterm "counters: ${line:-no stopping line}"
else
        pass http_server_sigterm
fi

exit "$failed"
