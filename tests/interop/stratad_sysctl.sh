#!/bin/sh
# stratad's sysctls across a restart, as Linux's across a reboot: values
# from the sysctl.d directory (*.conf in lexical order, a later file
# winning, a '-' key whose absence is no error) are there at every start;
# a value written with `strata sysctl -w` is gone after a restart.  Then
# twenty clients dump every sysctl at once and each gets the whole list.
# Needs no root: stratad without devices, its socket in a directory the
# test makes and removes.
#
# Usage: sh tests/interop/stratad_sysctl.sh BUILD_DIR
set -u
B=${1:-build}
T=stratad_sysctl
for f in "$B/bin/stratad" "$B/bin/strata"; do
        [ -x "$f" ] || { echo "FAIL $T: $f is not built"; exit 1; }
done
tmp=$(mktemp -d /tmp/strata-sysctl.XXXXXX) || exit 1
pid=
failed=0
trap '[ -n "$pid" ] && kill "$pid" 2>/dev/null; rm -rf "$tmp"' EXIT INT TERM
mkdir "$tmp/sysctl.d"
printf 'net.core.somaxconn = 1000\n-net.nosuch.key = 1\nnet.ipv4.tcp_keepalive_time=600\n' \
        >"$tmp/sysctl.d/10-a.conf"
printf '# later file wins\nnet.core.somaxconn=2000\n' >"$tmp/sysctl.d/20-b.conf"
NAME=sysctl$$

start() {
        "$B/bin/stratad" --name "$NAME" --runtime-dir "$tmp" --sysctl-dir "$tmp/sysctl.d" \
                2>>"$tmp/stratad.log" &
        pid=$!
        i=0
        while [ ! -S "$tmp/$NAME.sock" ] && [ $i -lt 50 ]; do
                sleep 0.1
                i=$((i + 1))
        done
        [ -S "$tmp/$NAME.sock" ] || { echo "FAIL $T: stratad did not start"; cat "$tmp/stratad.log"; exit 1; }
}
stop() {
        kill "$pid"
        wait "$pid"
        pid=
}
get() { "$B/bin/strata" sysctl --netns "$NAME" --runtime-dir "$tmp" -n "$1" 2>&1; }
expect() { # what key value
        got=$(get "$2")
        if [ "$got" = "$3" ]; then
                echo "PASS $T: $1"
        else
                echo "FAIL $T: $1: $2 is '$got', expected '$3'"
                failed=1
        fi
}

start
expect "sysctl.d applied at start, the later file winning" net.core.somaxconn 2000
expect "sysctl.d values set" net.ipv4.tcp_keepalive_time 600
"$B/bin/strata" sysctl --netns "$NAME" --runtime-dir "$tmp" -q -w net.ipv4.tcp_keepalive_time=99
expect "sysctl -w changes the running value" net.ipv4.tcp_keepalive_time 99
stop
start
expect "after a restart, -w is gone" net.ipv4.tcp_keepalive_time 600
expect "after a restart, sysctl.d is kept" net.core.somaxconn 2000

"$B/bin/strata" sysctl --netns "$NAME" --runtime-dir "$tmp" -a >"$tmp/all.0" 2>&1
n0=$(wc -l <"$tmp/all.0")
i=1
clients=
while [ $i -le 20 ]; do
        "$B/bin/strata" sysctl --netns "$NAME" --runtime-dir "$tmp" -a >"$tmp/all.$i" 2>&1 &
        clients="$clients $!"
        i=$((i + 1))
done
wait_ok=1
for c in $clients; do
        wait "$c" || wait_ok=0
done
i=1
while [ $i -le 20 ]; do
        cmp -s "$tmp/all.0" "$tmp/all.$i" || wait_ok=0
        i=$((i + 1))
done
if [ "$n0" -gt 100 ] && [ $wait_ok -eq 1 ]; then
        echo "PASS $T: twenty concurrent clients each get all $n0 sysctls"
else
        echo "FAIL $T: concurrent dumps differ ($n0 lines in the first)"
        failed=1
fi
stop
exit $failed
