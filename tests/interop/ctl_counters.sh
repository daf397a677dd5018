#!/bin/sh
# Interop: `strata nstat` prints a stratad namespace's counters as iproute2's
# nstat -az prints a fresh kernel namespace's (same names, order, columns,
# the same fields left out), and `strata drops` names what was dropped.
# Only the groups whose fields Strata and this kernel share are compared.
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
        "$B/bin/strata" nstat --netns "$SNS" --runtime-dir "$tmp" -z "$@" >"$tmp/s.out" 2>&1
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
