#!/bin/sh
# Interop: Debian's own `ss` lists a stratad namespace's sockets through
# the control socket's sock_diag (NETLINK_SOCK_DIAG) and the preload
# shim, printing what the kernel prints for the same (here: no) sockets.
#
# stratad's namespace holds no sockets (programs run their own
# namespaces), so each view -- ss -tan, -uan, -ltn, -tuln, -tm, -ti,
# -tanmi, -4tan, -6tan, -tanep, -uanep, and -s (whose /proc/net files the
# shim serves; the machine-wide TCP alloc count left out) -- is compared
# byte for byte with ss in a fresh kernel network namespace; sockets themselves are checked by
# tests/unit/test_sock_diag.c, which runs the same ss against a namespace
# with a listener, connections and a bound UDP socket.  A canary listener
# (and UDP socket) on the host must not show: ss falls back to
# /proc/net/tcp when sock_diag fails, which would list the host's sockets
# as the namespace's (the shim serves the namespace's own /proc/net/tcp);
# strace, when installed, confirms ss never opens /proc/net/{tcp,udp}.  Only what is started here is stopped, by PID.
#
# Usage: sh tests/interop/ctl_ss.sh BUILD_DIR   (root; SKIPs otherwise)
set -u
B=${1:-build}
T=ctl_ss
. "$(dirname "$0")/lib/ctl.sh"
ctl_require ss
canary=
cleanup_extra() {
        [ -n "$canary" ] && kill "$canary" 2>/dev/null && wait "$canary" 2>/dev/null
}
ctl_up ctlss

# a host listener and UDP socket that must never appear in Strata's views
CPORT=$((40000 + $$ % 20000))
if command -v socat >/dev/null 2>&1; then
        socat TCP-LISTEN:$CPORT,bind=127.0.0.1,reuseaddr UDP-RECV:$CPORT,bind=127.0.0.1 \
                2>/dev/null &
        canary=$!
        sleep 0.2
fi

kss() { ip netns exec "$NS" ss "$@"; }
sss() { sexec ss "$@"; }

# NORM: a sed script applied to both outputs before comparing
NORM=
view() {
        kss "$@" >"$tmp/k.raw" 2>&1
        krc=$?
        sss "$@" >"$tmp/s.raw" 2>&1
        src=$?
        sed "${NORM:-p;d}" "$tmp/k.raw" >"$tmp/k.out"
        sed "${NORM:-p;d}" "$tmp/s.raw" >"$tmp/s.out"
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
view -tanep
view -uanep
# ss -s reads /proc/net/sockstat, sockstat6 and snmp, which the shim serves
# from the namespace; the kernel's TCP alloc count (the summary's total and
# "closed") is one for the whole machine, so it is left out of the match
NORM='s/^TCP: *[0-9]* (estab \([0-9]*\), closed [0-9]*,/TCP: (estab \1,/'
view -s
NORM=
# /proc/net/tcp is the namespace's (served by the shim: its header, none
# of the host's sockets); /proc/net/udp, not served, is not found
cport_hex=$(printf ':%04X ' "$CPORT")
if ! sexec cat /proc/net/tcp >"$tmp/proc_tcp" 2>&1 || ! grep -q '^  sl  local_address' "$tmp/proc_tcp"; then
        echo "FAIL ctl_ss: /proc/net/tcp is not served under strata exec: $(head -c 200 "$tmp/proc_tcp")"
        failed=1
elif [ -n "$canary" ] && grep -q "$cport_hex" "$tmp/proc_tcp"; then
        echo "FAIL ctl_ss: the host canary shows in /proc/net/tcp under strata exec"
        failed=1
elif sexec cat /proc/net/udp >/dev/null 2>&1; then
        echo "FAIL ctl_ss: /proc/net/udp of the host is readable under strata exec"
        failed=1
else
        echo "PASS ctl_ss: /proc/net/tcp is the namespace's and the host's /proc/net/udp is not found under strata exec"
fi

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
