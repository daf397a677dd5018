#!/bin/sh
# Runs every test suite and prints one closing line: N passed, N failed, N skipped.
#
# Each test program or script prints one line per case: "PASS name",
# "FAIL name: ...", "SKIP name: why".  A program that exits non-zero without
# printing a FAIL line (a crash, a sanitizer report) counts as one failure.
# Suites: unit and sim (normal and ASan+UBSan builds), interop (root only:
# real kernel peers in namespaces the tests create), conformance (the
# packetdrill corpus; scripts expected to fail print XFAIL, not counted),
# fuzz (brief runs).
set -u
cd "$(dirname "$0")/.." || exit 1
B=${B:-build}
SANB=${SANB:-build/san}
FUZZ_SECONDS=${FUZZ_SECONDS:-15}
log=$(mktemp -d)
trap 'rm -rf "$log"' EXIT
pass=0 fail=0 skip=0

run_one() { # label command...
        label=$1
        shift
        out="$log/out"
        "$@" >"$out" 2>&1
        rc=$?
        p=$(grep -c '^PASS ' "$out")
        f=$(grep -c '^FAIL ' "$out")
        s=$(grep -c '^SKIP ' "$out")
        if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
                f=1
                echo "FAIL $label: exited with status $rc"
                tail -n 30 "$out" | sed 's/^/    /'
        fi
        grep '^FAIL ' "$out" | sed "s|^FAIL |FAIL $label: |"
        grep '^SKIP ' "$out" | sed "s|^SKIP |SKIP $label: |"
        echo "  $label: $p passed, $f failed, $s skipped"
        pass=$((pass + p))
        fail=$((fail + f))
        skip=$((skip + s))
}

echo "== unit and sim tests"
for t in "$B"/tests/unit/* "$B"/tests/sim/*; do
        [ -x "$t" ] && [ ! -d "$t" ] || continue
        case "$t" in *.o | *.d) continue ;; esac
        run_one "${t#"$B"/tests/}" "$t"
done

echo "== unit and sim tests under ASan+UBSan"
for t in "$SANB"/tests/unit/* "$SANB"/tests/sim/*; do
        [ -x "$t" ] && [ ! -d "$t" ] || continue
        case "$t" in *.o | *.d) continue ;; esac
        run_one "san/${t#"$SANB"/tests/}" env ASAN_OPTIONS=detect_leaks=1:abort_on_error=0 \
                UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 "$t"
done

echo "== threaded tests under ThreadSanitizer"
for t in build/tsan/tests/sim/*; do
        [ -x "$t" ] && [ ! -d "$t" ] || continue
        case "$t" in *.o | *.d) continue ;; esac
        run_one "tsan/${t#build/tsan/tests/}" env TSAN_OPTIONS=halt_on_error=1:exitcode=66 "$t"
done

echo "== interop tests (root, kernel peers in network namespaces)"
for t in tests/interop/*.sh; do
        [ -f "$t" ] || continue
        run_one "interop/$(basename "$t" .sh)" sh "$t" "$B"
done
for t in "$B"/tests/interop/*; do
        [ -x "$t" ] && [ ! -d "$t" ] || continue
        case "$t" in *.o | *.d) continue ;; esac
        run_one "${t#"$B"/tests/}" "$t"
done

echo "== conformance (packetdrill's TCP corpus, ../shared; see tests/conformance/)"
if [ -x "$B"/tests/conformance/packetdrill ] && [ -d ../shared/conformance/packetdrill/tcp ]; then
        run_one conformance "$B"/tests/conformance/packetdrill \
                --corpus ../shared/conformance/packetdrill/tcp \
                --expected tests/conformance/expected-failures.txt
else
        echo "SKIP conformance: no runner built or no corpus in ../shared"
        skip=$((skip + 1))
fi
# the project's own scripts (Linux behaviour the corpus does not cover):
# every one must pass
if [ -x "$B"/tests/conformance/packetdrill ]; then
        run_one conformance-strata "$B"/tests/conformance/packetdrill \
                --corpus tests/conformance/strata --expected /dev/null
fi

echo "== fuzz targets (${FUZZ_SECONDS}s each)"
for t in build/fuzz/*; do
        [ -x "$t" ] || continue
        name=$(basename "$t")
        corpus="$log/corpus-$name"
        mkdir -p "$corpus"
        if "$t" -max_total_time="$FUZZ_SECONDS" -print_final_stats=1 -artifact_prefix="$log/" "$corpus" >"$log/fuzz" 2>&1; then
                echo "PASS fuzz/$name ($(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log/fuzz" | grep -o '[0-9]*$' || echo '?') runs)"
                pass=$((pass + 1))
        else
                echo "FAIL fuzz/$name:"
                tail -n 40 "$log/fuzz" | sed 's/^/    /'
                fail=$((fail + 1))
        fi
done

echo
echo "$pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ]
