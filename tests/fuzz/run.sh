#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Runs libFuzzer targets built in build-fuzz/ (make fuzz-build), each for SECONDS,
# starting from the seeds in tests/fuzz/corpus/<target>/ (read only: new inputs go to
# a working corpus). Prints one line per target and, last, the tally line that
# tests/run-all.sh reads: "fuzz: N passed, N failed". A crash, leak, sanitizer report,
# broken invariant or timeout fails the target; its input is kept under
# build-fuzz/artifacts/<target>/ and the end of its log is printed.
#
#   tests/fuzz/run.sh [-s] SECONDS TARGET...
#   -s  smoke: a fresh working corpus, removed afterwards (make fuzz-smoke). Without
#       it the working corpus build-fuzz/corpus/<target>/ is kept and grows from run
#       to run (make fuzz).
set -u
cd "$(dirname "$0")/../.."
B=build-fuzz
smoke=0
if [ "${1:-}" = "-s" ]; then smoke=1; shift; fi
secs=$1; shift
passed=0; failed=0
tmp=""
if [ $smoke = 1 ]; then
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
fi

for t in "$@"; do
    bin=$B/fuzz_$t
    # Longest input worth trying: past the limits the code enforces, not far past.
    case $t in
        jws)       max=9000 ;;   # TESSERA_MAX_TOKEN_LEN is 8192
        json_body) max=16384 ;;
        jwks)      max=8192 ;;
        *)         max=4096 ;;
    esac
    if [ $smoke = 1 ]; then work=$tmp/$t; else work=$B/corpus/$t; fi
    art=$B/artifacts/$t
    log=$B/logs/$t.log
    mkdir -p "$work" "$art" "$B/logs"
    dict=""
    if [ -f "tests/fuzz/dict/$t.dict" ]; then dict="-dict=tests/fuzz/dict/$t.dict"; fi
    if [ ! -x "$bin" ]; then
        echo "fuzz_$t: FAILED (no $bin: run make fuzz-build)"
        failed=$((failed + 1))
        continue
    fi
    start=$(date +%s)
    # shellcheck disable=SC2086
    "$bin" -max_total_time="$secs" -max_len=$max -timeout=10 -rss_limit_mb=2048 \
        -print_final_stats=1 -artifact_prefix="$art/" $dict \
        "$work" "tests/fuzz/corpus/$t" >"$log" 2>&1
    rc=$?
    took=$(( $(date +%s) - start ))
    runs=$(sed -n 's/^Done \([0-9]*\) runs.*/\1/p' "$log" | tail -1)
    cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 | cut -d' ' -f2)
    if [ $rc = 0 ]; then
        passed=$((passed + 1))
        echo "fuzz_$t: ok, ${runs:-?} runs in ${took}s, ${cov:-?} edges covered"
    else
        failed=$((failed + 1))
        echo "fuzz_$t: FAILED (exit $rc after ${took}s; log $log)"
        grep -E '^(==[0-9]+==ERROR|SUMMARY|.*invariant failed|.*runtime error)' "$log" | head -5
        tail -n 40 "$log"
        for a in $(ls -t "$art" 2>/dev/null | head -1); do
            echo "fuzz_$t: input kept in $art/$a; reproduce with $bin $art/$a"
        done
    fi
done
echo "fuzz: $passed passed, $failed failed"
[ $failed = 0 ]
