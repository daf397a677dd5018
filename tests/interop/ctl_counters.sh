#!/bin/sh
# Interop: `strata nstat` prints a stratad namespace's counters as iproute2's
# nstat -az prints a fresh kernel namespace's (same names, order, columns,
# the same fields left out), and `strata drops` names what was dropped.
# Only the groups whose fields Strata and this kernel share are compared.
# Then nstat's history: the same sequence of runs (-r, plain, -s, -a,
# patterns) against the kernel's nstat with a history file of its own and
# against `strata nstat`; and Debian's nstat itself under `strata exec`,
# reading the namespace's /proc/net/snmp and netstat through the shim.
#
# Usage: sh tests/interop/ctl_counters.sh BUILD_DIR   (root; SKIPs otherwise)
set -u
B=${1:-build}
T=ctl_counters
. "$(dirname "$0")/lib/ctl.sh"
ctl_require ip nstat
ctl_up ctlcnt noipv6

check() {
        name=$1
        shift
        ip netns exec "$NS" nstat -az "$@" >"$tmp/k.out" 2>&1
        "$B/bin/strata" nstat --netns "$SNS" --runtime-dir "$tmp" -az "$@" >"$tmp/s.out" 2>&1
        if [ -s "$tmp/k.out" ] && cmp -s "$tmp/k.out" "$tmp/s.out"; then
                echo "PASS $T: $name"
        else
                echo "FAIL $T: $name"
                diff -u "$tmp/k.out" "$tmp/s.out" | sed 's/^/    /' | head -20
                failed=1
        fi
}

check "nstat -az Tcp fields" 'Tcp[!E]*'
check "nstat -az Udp fields" 'Udp[!L6]*'
check "nstat -az one Ip field" IpInReceives IpOutNoRoutes

# Debian's nstat under strata exec reads the namespace's /proc/net files
sexec_nstat() { NSTAT_HISTORY="$tmp/x.hist" sexec nstat "$@"; }
check2() {
        name=$1
        shift
        NSTAT_HISTORY="$tmp/k.hist" ip netns exec "$NS" nstat "$@" >"$tmp/k.out" 2>&1
        NSTAT_HISTORY="$tmp/s.hist" "$B/bin/strata" nstat --netns "$SNS" --runtime-dir "$tmp" \
                "$@" >"$tmp/s.out" 2>&1
        sexec_nstat "$@" >"$tmp/x.out" 2>&1
        if cmp -s "$tmp/k.out" "$tmp/s.out" && cmp -s "$tmp/k.out" "$tmp/x.out"; then
                echo "PASS $T: $name"
        else
                echo "FAIL $T: $name"
                diff -u "$tmp/k.out" "$tmp/s.out" | sed 's/^/    strata nstat: /' | head -20
                diff -u "$tmp/k.out" "$tmp/x.out" | sed 's/^/    nstat under strata exec: /' | head -20
                failed=1
        fi
}
check2 "history: nstat -rz (reset: the values)" -rz 'Tcp[!E]*' 'Udp[!L6]*'
check2 "history: nstat -z (what grew)" -z 'Tcp[!E]*' 'Udp[!L6]*'
check2 "history: nstat -sz" -sz 'Udp[!L6]*'
check2 "history: nstat -az" -az 'Udp[!L6]*'
check2 "history: nstat (nothing grew)" 'Tcp[!E]*'
check2 "history: nstat -n" -n
for h in k s x; do
        if ! head -1 "$tmp/$h.hist" | grep -qx '#kernel'; then
                echo "FAIL $T: history file $h.hist is not nstat's"
                failed=1
        fi
done

# a fresh namespace has dropped nothing
out=$("$B/bin/strata" drops --netns "$SNS" --runtime-dir "$tmp")
if [ -z "$out" ]; then
        echo "PASS $T: strata drops is empty on a fresh namespace"
else
        echo "FAIL $T: strata drops on a fresh namespace printed: $out"
        failed=1
fi
if "$B/bin/strata" nstat --netns nosuch --runtime-dir "$tmp" >/dev/null 2>&1; then
        echo "FAIL $T: strata nstat against no stratad succeeded"
        failed=1
else
        echo "PASS $T: strata nstat without a stratad fails with a message"
fi
exit $failed
