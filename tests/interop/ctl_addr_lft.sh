#!/bin/sh
# Interop: address lifetimes through Debian's own `ip`, against the kernel.
#
# The same commands run in a fresh kernel network namespace (IPv6 off) and
# a stratad namespace: addresses with valid_lft/preferred_lft (one
# deprecated from the start), `ip addr change` and `ip addr replace`, the
# refusals (an address already assigned; iproute2's own checks), then `ip
# addr` and `ip -j addr` compared at once and again after the shortest
# lifetime (3 s) has run out -- deprecated after 2 s, deleted after 3 s on
# Strata's timer -- with `ip monitor address` listening on both sides the
# whole time (timestamps left out).  After the wait the seconds left are
# normalised: the two sides started their clocks a moment apart.
#
# Usage: sh tests/interop/ctl_addr_lft.sh BUILD_DIR   (root; SKIPs otherwise)
set -u
B=${1:-build}
T=ctl_addr_lft
. "$(dirname "$0")/lib/ctl.sh"
ctl_require ip
mons=
cleanup_extra() {
        for m in $mons; do
                kill "$m" 2>/dev/null && wait "$m" 2>/dev/null
        done
}
ctl_up ctllft noipv6

NORM=cat
# both NAME ARGS...: run the command on both sides, compare output and status
both() {
        name=$1
        shift
        kip "$@" >"$tmp/k.out" 2>&1
        krc=$?
        sip "$@" >"$tmp/s.out" 2>&1
        src=$?
        $NORM <"$tmp/k.out" >"$tmp/k.n"
        $NORM <"$tmp/s.out" >"$tmp/s.n"
        if [ $krc -eq $src ] && cmp -s "$tmp/k.n" "$tmp/s.n"; then
                [ -n "$name" ] && echo "PASS $T: $name: ip $*"
        else
                echo "FAIL $T: ${name:-setup}: ip $* (kernel status $krc, strata $src)"
                diff -u "$tmp/k.n" "$tmp/s.n" | sed 's/^/    /' | head -40
                failed=1
        fi
}

ip -n "$NS" monitor address >"$tmp/k.mon" 2>&1 &
mons="$!"
sexec ip monitor address >"$tmp/s.mon" 2>&1 &
mons="$mons $!"
sleep 0.3

both "" link set lo up
both "" addr add 10.9.0.1/24 dev lo valid_lft 100 preferred_lft 50
both "" addr add 10.9.0.2/24 dev lo valid_lft 200 preferred_lft 0
both "" addr add 10.9.1.1/24 dev lo
both "" addr add 10.9.2.1/24 dev lo valid_lft forever preferred_lft 40
both "already assigned" addr add 10.9.0.1/24 dev lo valid_lft 10 preferred_lft 5
both "valid_lft zero" addr add 10.9.4.1/24 dev lo valid_lft 0
both "preferred > valid" addr add 10.9.4.1/24 dev lo valid_lft 5 preferred_lft 6
both "change" addr change 10.9.0.1/24 dev lo valid_lft 30 preferred_lft 20
both "change of a new address" addr change 10.9.3.1/24 dev lo valid_lft 60 preferred_lft 60
both "replace" addr replace 10.9.1.1/24 dev lo valid_lft 3 preferred_lft 2
both "lifetimes" addr show dev lo
both "lifetimes" -j addr show dev lo
both "lifetimes" -br addr

sleep 3.6
NORM="sed -E s/[0-9]+sec/Nsec/g;s/life_time\":[0-9]+/life_time\":N/g"
both "after 3.6 s" addr show dev lo
both "after 3.6 s" -j addr show dev lo
NORM=cat

cleanup_extra
mons=
# the monitors: announcements of every change, deprecation and expiry
# included (stratad's, like the kernel's, after the change's ACK)
norm_mon() { sed -E 's/[0-9]+sec/Nsec/g' "$1"; }
norm_mon "$tmp/k.mon" >"$tmp/k.n"
norm_mon "$tmp/s.mon" >"$tmp/s.n"
if cmp -s "$tmp/k.n" "$tmp/s.n" && grep -q "^Deleted.*10.9.1.1" "$tmp/s.n"; then
        echo "PASS $T: ip monitor address (deprecation and expiry announced)"
else
        echo "FAIL $T: ip monitor address"
        diff -u "$tmp/k.n" "$tmp/s.n" | sed 's/^/    /' | head -40
        failed=1
fi

kill "$pid"
wait "$pid"
pid=
exit $failed
