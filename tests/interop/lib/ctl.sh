# Sourced by the interop tests that run the same iproute2 command against a
# kernel network namespace and against a stratad namespace (ctl_ip,
# route_get, ctl_monitor, ctl_ss).  Before sourcing: T (the test's name)
# and B (the build directory).
#
#   ctl_require CMD...  SKIP unless root and every CMD is installed; FAIL
#                       unless stratad, strata and the preload shim are built
#   ctl_up PREFIX [noipv6]
#                       start stratad (PID in $pid, socket in $tmp; more
#                       options in CTL_STRATAD_ARGS) and make
#                       the kernel namespace $NS with lo up (IPv6 off there
#                       with noipv6: Strata has none yet)
#   kip/sip ARGS        ip in the kernel namespace / through strata exec
#   sexec CMD ARGS      any command through strata exec
#
# The trap removes the namespace and $tmp and stops only the processes this
# test started: stratad, and whatever the test's own cleanup_extra stops.

ctl_require() {
        if [ "$(id -u)" -ne 0 ]; then
                echo "SKIP $T: needs root"
                exit 0
        fi
        for c in "$@"; do
                if ! command -v "$c" >/dev/null 2>&1; then
                        echo "SKIP $T: $c (iproute2) not installed"
                        exit 0
                fi
        done
        for f in "$B/bin/stratad" "$B/bin/strata" "$B/lib/libstrata-preload.so"; do
                if [ ! -e "$f" ]; then
                        echo "FAIL $T: $f is not built"
                        exit 1
                fi
        done
}

pid=
failed=0

ctl_cleanup() {
        command -v cleanup_extra >/dev/null 2>&1 && cleanup_extra
        [ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
        ip netns del "$NS" 2>/dev/null
        rm -rf "$tmp"
}

ctl_up() {
        NS=strata-$1-$$
        SNS=$1$$
        tmp=$(mktemp -d "/tmp/strata-$1.XXXXXX") || exit 1
        trap ctl_cleanup EXIT INT TERM
        # shellcheck disable=SC2086 # CTL_STRATAD_ARGS: words on purpose
        "$B/bin/stratad" --name "$SNS" --runtime-dir "$tmp" --sysctl-dir "$tmp/sysctl.d" \
                ${CTL_STRATAD_ARGS:-} 2>"$tmp/stratad.log" &
        pid=$!
        i=0
        while [ ! -S "$tmp/$SNS.sock" ] && [ $i -lt 50 ]; do
                sleep 0.1
                i=$((i + 1))
        done
        if [ ! -S "$tmp/$SNS.sock" ]; then
                echo "FAIL $T: stratad did not start"
                sed 's/^/    /' "$tmp/stratad.log"
                exit 1
        fi
        ip netns add "$NS" || { echo "FAIL $T: cannot create a network namespace"; exit 1; }
        if [ "${2:-}" = noipv6 ]; then
                for k in all default lo; do
                        ip netns exec "$NS" sysctl -qw "net.ipv6.conf.$k.disable_ipv6=1" 2>/dev/null
                done
        fi
        ip -n "$NS" link set lo up
}

kip() { ip -n "$NS" "$@"; }
sip() { "$B/bin/strata" exec -n "$SNS" --runtime-dir "$tmp" -- ip "$@"; }
sexec() { "$B/bin/strata" exec -n "$SNS" --runtime-dir "$tmp" -- "$@"; }
