#!/bin/sh
# Interop: Debian's own `ip monitor` on Strata.  An `ip monitor` run
# through strata exec hears the changes other `ip` commands make to the
# stratad namespace (rtnetlink multicast groups through the control
# socket), and prints what the same `ip monitor` prints for a kernel
# network namespace given the same commands.
#
# Per scenario: start `ip [-ts] monitor OBJECT` on both sides, run the
# same commands on both, stop the monitors, compare their output after
# normalising what must differ (veth MACs; -ts timestamps).  One PASS/FAIL
# line per scenario.  Only the stratad and monitors started here are
# stopped, by PID; the namespace and temporary files are removed.
#
# Usage: sh tests/interop/ctl_monitor.sh BUILD_DIR   (root; SKIPs otherwise)
set -u
B=${1:-build}
T=ctl_monitor
. "$(dirname "$0")/lib/ctl.sh"
ctl_require ip
kmon=
smon=
cleanup_extra() {
        [ -n "$kmon" ] && kill "$kmon" 2>/dev/null
        [ -n "$smon" ] && kill "$smon" 2>/dev/null
}
ctl_up ctlmon noipv6

norm() {
        sed -E -e 's/^\[[0-9T:.+-]+\]/[TS]/' -e 's/^Timestamp: .*/Timestamp: TS/' \
                -e 's/([0-9a-f]{2}:){5}[0-9a-f]{2}/MAC/g'
}

# The same starting point on both sides.
for f in kip sip; do
        $f link add va type veth peer name vb
        $f addr add 10.9.0.1/24 dev va
        $f link set va up
        $f link set vb up
done

# watch NAME "MONITOR ARGS" then the commands, one per argument: run the
# commands on both sides under a monitor each, compare what they printed.
watch() {
        name=$1
        margs=$2
        shift 2
        # not through kip/sip: $! must be the monitor itself, not a subshell
        # shellcheck disable=SC2086
        ip -n "$NS" $margs >"$tmp/k.out" 2>&1 &
        kmon=$!
        # shellcheck disable=SC2086
        "$B/bin/strata" exec -n "$SNS" --runtime-dir "$tmp" -- ip $margs >"$tmp/s.out" 2>&1 &
        smon=$!
        sleep 0.5
        for c in "$@"; do
                # shellcheck disable=SC2086
                kip $c >/dev/null 2>&1
                # shellcheck disable=SC2086
                sip $c >/dev/null 2>&1
        done
        sleep 0.5
        kill "$kmon" "$smon" 2>/dev/null
        wait "$kmon" "$smon" 2>/dev/null
        kmon=
        smon=
        norm <"$tmp/k.out" >"$tmp/k.norm"
        norm <"$tmp/s.out" >"$tmp/s.norm"
        if [ ! -s "$tmp/k.norm" ]; then
                echo "FAIL ctl_monitor: $name (the kernel printed nothing)"
                failed=1
        elif cmp -s "$tmp/k.norm" "$tmp/s.norm"; then
                echo "PASS ctl_monitor: $name ($(wc -l <"$tmp/k.norm") lines)"
        else
                echo "FAIL ctl_monitor: $name"
                diff "$tmp/k.norm" "$tmp/s.norm" | sed 's/^/    /'
                failed=1
        fi
}

watch "ip monitor address" "monitor address" \
        "addr add 10.9.0.7/24 dev va" "addr add 10.8.0.1/16 brd + dev vb label vb:1" \
        "addr del 10.9.0.7/24 dev va" "addr del 10.8.0.1/16 dev vb"
watch "ip monitor route" "monitor route" \
        "route add 10.20.0.0/16 via 10.9.0.2" "route add 10.30.0.0/16 dev va metric 7" \
        "route add blackhole 10.40.0.0/16" "route del 10.20.0.0/16" \
        "route del 10.30.0.0/16 dev va metric 7" "route del blackhole 10.40.0.0/16"
watch "ip -ts monitor route (addresses' kernel routes)" "-ts monitor route" \
        "addr add 10.7.0.1/24 dev va"
watch "ip monitor neigh" "monitor neigh" \
        "neigh add 10.9.0.5 lladdr 02:00:00:00:00:05 dev va" \
        "neigh replace 10.9.0.5 lladdr 02:00:00:00:00:06 dev va nud reachable" \
        "neigh del 10.9.0.5 dev va"
watch "ip monitor link" "monitor link" \
        "link set va mtu 1400" "link set va address 02:00:00:00:01:01"
watch "ip monitor (all objects)" "monitor" \
        "addr add 10.6.0.1/32 dev va" "route add 10.50.0.0/16 via 10.9.0.2" \
        "neigh add 10.9.0.6 lladdr 02:00:00:00:00:07 dev va"

# a monitor subscribed to nothing but links hears no address change
"$B/bin/strata" exec -n "$SNS" --runtime-dir "$tmp" -- ip monitor link >"$tmp/s.out" 2>&1 &
smon=$!
sleep 0.5
sip addr add 10.5.0.1/24 dev va
sip route add 10.60.0.0/16 via 10.9.0.2
sleep 0.5
kill "$smon" 2>/dev/null
wait "$smon" 2>/dev/null
smon=
if [ ! -s "$tmp/s.out" ]; then
        echo "PASS ctl_monitor: ip monitor link hears no address or route change"
else
        echo "FAIL ctl_monitor: ip monitor link printed:"
        sed 's/^/    /' "$tmp/s.out"
        failed=1
fi

kill "$pid"
wait "$pid"
rc=$?
pid=
if [ $rc -eq 0 ] && [ ! -e "$tmp/$SNS.sock" ]; then
        echo "PASS ctl_monitor: stratad stops on SIGTERM with monitors gone"
else
        echo "FAIL ctl_monitor: stratad exit status $rc"
        failed=1
fi
exit $failed
