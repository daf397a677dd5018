#!/bin/sh
# Interop: Debian's ss against a Strata namespace holding sockets, and
# against a kernel namespace holding the same ones, compared.
#
# The same state on both sides, all over lo: a TCP listener on :8080
# (backlog 16), a TCP socket never bound, two connections to it -- one
# accepted with 100 bytes unread, one still in the accept queue -- and a
# UDP socket on :5353 with a 10-byte datagram queued from a second one.
# The kernel's is made by a Python script in a fresh network namespace,
# Strata's by build/tests/interop/helpers/ss_sockets, which serves its namespace
# on a control socket.  Compared: ss -s (sockstat through the shim; the
# TCP total, "closed" and "orphaned" are counts for the whole machine in
# the kernel and are left out), ss -tan, ss -tane (inode numbers, socket
# cookies and the cgroup normalised: they name different things on the
# two sides; ino:0 -- the connection nobody accepted -- kept) and ss -tanp
# (no owner found for Strata's sockets: no users: column, as the kernel
# prints a socket whose owner it cannot see -- the kernel's here has one,
# so the column is left out of the match).  Client ports are ephemeral on
# both sides and lines come in each side's hash order: ports are
# normalised and the lines sorted.  UDP Recv-Q is the datagram's truesize,
# which differs by design, so it is normalised.
#
# Usage: sh tests/interop/ctl_ss_sockets.sh BUILD_DIR   (root; SKIPs otherwise)
set -u
B=${1:-build}
T=ctl_ss_sockets
if [ "$(id -u)" -ne 0 ]; then
        echo "SKIP $T: needs root"
        exit 0
fi
for c in ss ip python3; do
        if ! command -v $c >/dev/null 2>&1; then
                echo "SKIP $T: $c not installed"
                exit 0
        fi
done
for f in "$B/tests/interop/helpers/ss_sockets" "$B/bin/strata" "$B/lib/libstrata-preload.so"; do
        if [ ! -e "$f" ]; then
                echo "FAIL $T: $f is not built"
                exit 1
        fi
done
NS=strata-ctlssk-$$
tmp=$(mktemp -d /tmp/strata-ctlssk.XXXXXX) || exit 1
kpid=
spid=
failed=0
cleanup() {
        [ -n "$kpid" ] && kill "$kpid" 2>/dev/null && wait "$kpid" 2>/dev/null
        [ -n "$spid" ] && kill "$spid" 2>/dev/null && wait "$spid" 2>/dev/null
        ip netns del "$NS" 2>/dev/null
        rm -rf "$tmp"
}
trap cleanup EXIT INT TERM

ip netns add "$NS" || { echo "FAIL $T: cannot create a network namespace"; exit 1; }
ip -n "$NS" link set lo up
mkfifo "$tmp/kready" "$tmp/sready"
ip netns exec "$NS" python3 -c '
import socket, time
l = socket.socket(); l.bind(("0.0.0.0", 8080)); l.listen(16)
n = socket.socket()
c1 = socket.create_connection(("127.0.0.1", 8080)); s1, _ = l.accept()
c2 = socket.create_connection(("127.0.0.1", 8080))
c1.send(b"\x01" + bytes(99))
u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM); u.bind(("0.0.0.0", 5353))
ua = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
ua.sendto(b"\x01" + bytes(9), ("127.0.0.1", 5353))
time.sleep(0.2)
print("ready", flush=True)
time.sleep(600)
' >"$tmp/kready" &
kpid=$!
"$B/tests/interop/helpers/ss_sockets" "$tmp/ss.sock" >"$tmp/sready" &
spid=$!
read -r k <"$tmp/kready"
read -r s <"$tmp/sready"
if [ "$k" != ready ] || [ "$s" != ready ]; then
        echo "FAIL $T: the sockets were not made (kernel: $k, strata: $s)"
        exit 1
fi

kss() { ip netns exec "$NS" ss "$@"; }
sss() { "$B/bin/strata" exec --runtime-dir "$tmp" -n ss -- ss "$@"; }

# view NAME SED ARGS...: both outputs through SED (header kept first, the
# rest sorted), compared
view() {
        name=$1
        norm=$2
        shift 2
        kss "$@" >"$tmp/k.raw" 2>&1
        krc=$?
        sss "$@" >"$tmp/s.raw" 2>&1
        src=$?
        for x in k s; do
                # ss in a kernel namespace without cgroup2 says so on stderr
                grep -v '^Failed to find cgroup2 mount' "$tmp/$x.raw" |
                        sed -E "$norm" >"$tmp/$x.n1"
                { head -1 "$tmp/$x.n1"; tail -n +2 "$tmp/$x.n1" | sort; } >"$tmp/$x.n"
        done
        if [ $krc -eq $src ] && cmp -s "$tmp/k.n" "$tmp/s.n"; then
                echo "PASS $T: $name"
        else
                echo "FAIL $T: $name (kernel status $krc, strata $src)"
                diff -u "$tmp/k.n" "$tmp/s.n" | sed 's/^/    /' | head -40
                failed=1
        fi
}

# ephemeral ports: ip_local_port_range, 32768-60999 on both sides
PORTS='s/:(3[2-9][0-9]{3}|[4-6][0-9]{4})\b/:EPH/g'
SPACES='s/ +/ /g;s/ $//'
view "ss -s" "s/^TCP: +[0-9]+ \(estab ([0-9]+), closed [0-9]+, orphaned [0-9]+,/TCP: (estab \1,/" -s
[ -n "${SHOW:-}" ] && cat "$tmp/k.raw" "$tmp/s.raw"
view "ss -tan" "$PORTS;$SPACES" -tan
view "ss -tane" "$PORTS;s/ino:[1-9][0-9]*/ino:N/;s/ sk:[0-9a-f]+//;s/ cgroup:[^ ]+//;$SPACES" -tane
view "ss -tanp" "$PORTS;s/ users:\(.*\)//;$SPACES" -tanp
view "ss -uan" "$PORTS;s/^UNCONN [0-9]+ /UNCONN Q /;$SPACES" -uan

# /proc/net/tcp through the shim, as netstat and scripts read it: the
# addresses, state and queues (timers, inodes, uids and pointers name
# different things on the two sides); ephemeral ports (0x8000 up) normalised
for x in k s; do
        if [ $x = k ]; then
                ip netns exec "$NS" cat /proc/net/tcp >"$tmp/$x.raw" 2>&1
        else
                "$B/bin/strata" exec --runtime-dir "$tmp" -n ss -- cat /proc/net/tcp >"$tmp/$x.raw" 2>&1
        fi
        awk '{ print $2, $3, $4, $5 }' "$tmp/$x.raw" |
                sed -E 's/:(8|9|A|B|C|D|E)[0-9A-F]{3}( |$)/:EPH\2/g' >"$tmp/$x.n1"
        { head -1 "$tmp/$x.n1"; tail -n +2 "$tmp/$x.n1" | sort; } >"$tmp/$x.n"
done
if cmp -s "$tmp/k.n" "$tmp/s.n" && [ "$(awk 'NR == 1 { print length($0) }' "$tmp/s.raw")" = 149 ]; then
        echo "PASS $T: /proc/net/tcp"
else
        echo "FAIL $T: /proc/net/tcp"
        diff -u "$tmp/k.n" "$tmp/s.n" | sed 's/^/    /' | head -40
        failed=1
fi

kill "$spid"
wait "$spid"
spid=
exit $failed
