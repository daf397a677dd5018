#!/bin/sh
# Interop: Debian's own `ss` lists a stratad namespace's sockets through
# the control socket's sock_diag (NETLINK_SOCK_DIAG) and the preload
# shim, printing what the kernel prints for the same (here: no) sockets.
#
# stratad's namespace holds no sockets (programs run their own
# namespaces), so each view -- ss -tan, -uan, -ltn, -tuln, -tm, -ti,
# -tanmi, -4tan, -6tan -- is compared byte for byte with ss in a fresh
# kernel network namespace; sockets themselves are checked by
# tests/unit/test_sock_diag.c, which runs the same ss against a namespace
# with a listener, connections and a bound UDP socket.  A canary listener
# (and UDP socket) on the host must not show: ss falls back to
# /proc/net/tcp when sock_diag fails, which would list the host's sockets
# as the namespace's; strace, when installed, confirms ss never opens
# /proc/net/{tcp,udp}.  Only what is started here is stopped, by PID.
#
# Usage: sh tests/interop/ctl_ss.sh BUILD_DIR   (root; SKIPs otherwise)
set -u
B=${1:-build}

if [ "$(id -u)" -ne 0 ]; then
        echo "SKIP ctl_ss: needs root"
        exit 0
fi
if ! command -v ss >/dev/null 2>&1; then
        echo "SKIP ctl_ss: ss (iproute2) not installed"
        exit 0
fi
for f in "$B/bin/stratad" "$B/bin/strata" "$B/lib/libstrata-preload.so"; do
        if [ ! -e "$f" ]; then
                echo "FAIL ctl_ss: $f is not built"
                exit 1
        fi
done

NS=strata-ss-$$
SNS=ctlss$$
tmp=$(mktemp -d /tmp/strata-ctl-ss.XXXXXX) || exit 1
pid=
canary=
failed=0

cleanup() {
        [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
        [ -n "$canary" ] && kill "$canary" 2>/dev/null && wait "$canary" 2>/dev/null
        ip netns del "$NS" 2>/dev/null
        rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

"$B/bin/stratad" --name "$SNS" --runtime-dir "$tmp" --sysctl-dir "$tmp/sysctl.d" \
        2>"$tmp/stratad.log" &
pid=$!
i=0
while [ ! -S "$tmp/$SNS.sock" ] && [ $i -lt 50 ]; do
        sleep 0.1
        i=$((i + 1))
done
if [ ! -S "$tmp/$SNS.sock" ]; then
        echo "FAIL ctl_ss: stratad did not start"
        sed 's/^/    /' "$tmp/stratad.log"
        exit 1
fi

ip netns add "$NS" || { echo "FAIL ctl_ss: cannot create a network namespace"; exit 1; }
ip -n "$NS" link set lo up

# a host listener and UDP socket that must never appear in Strata's views
CPORT=$((40000 + $$ % 20000))
if command -v socat >/dev/null 2>&1; then
        socat TCP-LISTEN:$CPORT,bind=127.0.0.1,reuseaddr UDP-RECV:$CPORT,bind=127.0.0.1 \
                2>/dev/null &
        canary=$!
        sleep 0.2
fi

kss() { ip netns exec "$NS" ss "$@"; }
sss() { "$B/bin/strata" exec -n "$SNS" --runtime-dir "$tmp" -- ss "$@"; }

view() {
        kss "$@" >"$tmp/k.out" 2>&1
        krc=$?
        sss "$@" >"$tmp/s.out" 2>&1
        src=$?
        if [ $krc -eq $src ] && cmp -s "$tmp/k.out" "$tmp/s.out" &&
                ! grep -q ":$CPORT\b" "$tmp/s.out"; then
                echo "PASS ctl_ss: ss $*"
        else
                echo "FAIL ctl_ss: ss $* (kernel status $krc, strata $src)"
                diff -u "$tmp/k.out" "$tmp/s.out" | sed 's/^/    /' | head -40
                failed=1
        fi
}

view -tan
view -uan
view -ltn
view -tuln
view -tm
view -ti
view -tanmi
view -4tan
view -6tan
view -uanm

if [ -n "$canary" ]; then
        if ss -tuln | grep -q ":$CPORT\b"; then
                echo "PASS ctl_ss: the host canary is visible to the host's ss"
        else
                echo "FAIL ctl_ss: the host canary did not start"
                failed=1
        fi
fi

if command -v strace >/dev/null 2>&1; then
        strace -f -qq -e trace=open,openat -o "$tmp/strace" \
                "$B/bin/strata" exec -n "$SNS" --runtime-dir "$tmp" -- ss -tuan >/dev/null 2>&1
        if grep -Eq '/proc/net/(tcp|udp)' "$tmp/strace"; then
                echo "FAIL ctl_ss: ss fell back to the host's /proc/net files"
                grep -E '/proc/net/' "$tmp/strace" | sed 's/^/    /' | head
                failed=1
        else
                echo "PASS ctl_ss: ss reads sock_diag only, not /proc/net/{tcp,udp}"
        fi
fi

kill "$pid"
wait "$pid"
pid=
exit $failed
