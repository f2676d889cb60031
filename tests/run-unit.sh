#!/bin/sh
# Runs each cmocka binary given, each in its own process, and prints
# "unit: N passed, N failed" for the tally in tests/run-all.sh.
set -u
passed=0; failed=0
for t in "$@"; do
    out=$(timeout 300 "$t" 2>&1); rc=$?
    printf '%s\n' "$out"
    p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' | tail -1)
    f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' | tail -1)
    passed=$((passed + ${p:-0}))
    if [ -n "$f" ]; then failed=$((failed + f));
    elif [ "$rc" != 0 ]; then failed=$((failed + 1)); echo "$t: exited $rc"; fi
done
echo "unit: $passed passed, $failed failed"
[ "$failed" = 0 ]
