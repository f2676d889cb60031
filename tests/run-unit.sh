#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Runs each cmocka binary given, each in its own process, and prints
# "unit: N passed, N failed" for the tally in tests/run-all.sh.
#   tests/run-unit.sh [-j N] BINARY...
# -j N runs N binaries at a time (default 1); each one's output is printed whole, in
# the order given, whatever the order they finish in.
set -u
jobs=1
if [ "${1:-}" = "-j" ]; then jobs=$2; shift 2; fi
passed=0; failed=0
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
i=0
for t in "$@"; do
    i=$((i + 1))
    printf '%s %s\n' "$i" "$t"
done | xargs -P "$jobs" -L 1 sh -c \
    'timeout 300 "$2" >"$0/$1.out" 2>&1; echo $? >"$0/$1.rc"' "$out"
i=0
for t in "$@"; do
    i=$((i + 1))
    cat "$out/$i.out" 2>/dev/null
    rc=$(cat "$out/$i.rc" 2>/dev/null || echo 127)
    # a binary may run several groups (test_store: the contract suite, then its own)
    p=$(sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p' "$out/$i.out" |
        awk '{ n += $1 } END { if (NR) print n }')
    f=$(sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p' "$out/$i.out" |
        awk '{ n += $1 } END { if (NR) print n }')
    passed=$((passed + ${p:-0}))
    if [ -n "$f" ]; then failed=$((failed + f));
    elif [ "$rc" != 0 ]; then failed=$((failed + 1)); echo "$t: exited $rc"; fi
done
echo "unit: $passed passed, $failed failed"
[ "$failed" = 0 ]
