#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# make test: builds, runs the unit and end-to-end suites and a short libFuzzer smoke,
# then the unit and end-to-end suites again on the ASan+UBSan build. Ends with one
# tally line: "tests: N passed, N failed".
#
# It uses every core: builds run make -j, unit binaries run TEST_JOBS at a time, and the
# end-to-end suite runs on E2E_WORKERS pytest-xdist workers (python3-pytest-xdist),
# each with its own servers on free ports and its own PostgreSQL cluster; one work
# unit is a test module on one backend (conftest.py). TEST_JOBS defaults to the number of
# cores (at least 2), E2E_WORKERS to twice that: the end-to-end tests mostly wait
# (token lifetimes, sync polls), a worker uses a fraction of a core. Every section
# prints how long it took.
set -u
cd "$(dirname "$0")/.."
PY=/usr/bin/python3
JOBS=${TEST_JOBS:-$(nproc 2>/dev/null || echo 2)}
[ "$JOBS" -ge 2 ] 2>/dev/null || JOBS=2
E2E_WORKERS=${E2E_WORKERS:-$((JOBS * 2))}
total_p=0; total_f=0; log=$(mktemp)
start=$(date +%s); t0=$start

took() {  # $1: what ended; prints its time since the last call
    now=$(date +%s); echo "($1: $((now - t0)) s)"; t0=$now
}

tally() {  # $1: a line "X: N passed, N failed"
    p=$(echo "$1" | sed -n 's/.* \([0-9]*\) passed.*/\1/p')
    f=$(echo "$1" | sed -n 's/.* \([0-9]*\) failed.*/\1/p')
    total_p=$((total_p + ${p:-0})); total_f=$((total_f + ${f:-0}))
}

pytest_tally() {  # reads pytest's last line: "== 3 failed, 40 passed in 9s =="
    line=$(grep -E '(passed|failed|error)' "$log" | tail -1)
    p=$(echo "$line" | grep -oE '[0-9]+ passed' | cut -d' ' -f1)
    f=$(echo "$line" | grep -oE '[0-9]+ failed' | cut -d' ' -f1)
    e=$(echo "$line" | grep -oE '[0-9]+ errors?' | cut -d' ' -f1)
    if [ -z "$p$f$e" ]; then f=1; fi
    tally "pytest: ${p:-0} passed, $(( ${f:-0} + ${e:-0} )) failed"
}

suite() {  # $1: build dir, $2: label
    b=$1
    echo "== unit tests ($2)"
    sh tests/run-unit.sh -j "$JOBS" "$b"/tests/test_* >"$log" 2>&1
    cat "$log"; tally "$(tail -1 "$log")"; took "unit tests ($2)"
    echo "== end-to-end tests ($2, $E2E_WORKERS workers)"
    TESSERA_BIN="$PWD/$b/tessera" $PY -m pytest -q -p no:cacheprovider \
        -n "$E2E_WORKERS" --dist loadgroup tests/e2e >"$log" 2>&1
    cat "$log"; pytest_tally; took "end-to-end tests ($2)"
}

if ! $PY -c 'import xdist' 2>/dev/null; then
    echo "run-all.sh: pytest-xdist is missing (Debian python3-pytest-xdist): make deps"
    echo "tests: 0 passed, 1 failed"; exit 1
fi

# The layers of src/ (docs/design.md): no include may run back up.
echo "== include layers (mk/check-includes.sh)"
if sh mk/check-includes.sh; then tally "includes: 1 passed, 0 failed"
else tally "includes: 0 passed, 1 failed"; fi

if ! make -s -j"$JOBS" all $(ls tests/unit/test_*.c 2>/dev/null | sed 's|tests/unit/\(.*\)\.c|build/tests/\1|'); then
    echo "tests: 0 passed, 1 failed"; exit 1
fi
took "build"
suite build "release"
# libFuzzer smoke: each target of tests/fuzz/ for a few seconds (make fuzz-smoke; its
# last line is "fuzz: N passed, N failed", one per target; no such line: the build failed).
echo "== fuzz smoke (${FUZZ_SMOKE_SECONDS:-5} s a target)"
make -s -j"$JOBS" fuzz-build >"$log" 2>&1 && make -s fuzz-smoke >"$log" 2>&1
cat "$log"
line=$(grep -E '^fuzz: [0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
tally "${line:-fuzz: 0 passed, 1 failed}"; took "fuzz smoke"
# The Debian packages: make deb, lintian, the packaged server, unit, man pages
# (tests/package/run.sh; its last line is "package: N passed, N failed").
sh tests/package/run.sh >"$log" 2>&1
cat "$log"
line=$(grep -E '^package: [0-9]+ passed, [0-9]+ failed' "$log" | tail -1)
tally "${line:-package: 0 passed, 1 failed}"; took "packages"
# ThreadSanitizer: libtessera's verifier with many threads, key rotation and the
# revocation feed's poller (make tsan builds it; run-unit.sh prints the tally line).
echo "== ThreadSanitizer (libtessera verifier)"
if make -s -j"$JOBS" tsan-build >"$log" 2>&1; then
    TSAN_OPTIONS="halt_on_error=1 second_deadlock_stack=1" \
        sh tests/run-unit.sh build-tsan/tests/test_verifier >"$log" 2>&1
    cat "$log"; tally "$(tail -1 "$log")"
else
    cat "$log"; tally "tsan: 0 passed, 1 failed"
fi
took "ThreadSanitizer"
if ! make -s -j"$JOBS" asan; then
    echo "tests: $total_p passed, $((total_f + 1)) failed"; exit 1
fi
took "ASan+UBSan build"
export ASAN_OPTIONS=detect_leaks=1 UBSAN_OPTIONS=print_stacktrace=1
suite build-asan "asan+ubsan"
rm -f "$log"
echo "(make test: $(($(date +%s) - start)) s)"
echo "tests: $total_p passed, $total_f failed"
[ "$total_f" = 0 ]
