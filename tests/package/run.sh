#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The Debian packages: builds them (make deb, into build-deb/), then runs
# tests/package/ (lintian, their contents, the packaged server serving a login, the
# unit, man pages and completion, the license). Ends with one tally line:
# "package: N passed, N failed". Run by tests/run-all.sh (make test).
set -u
cd "$(dirname "$0")/../.."
log=$(mktemp)
echo "== Debian packages (make deb, lintian, tests/package)"
if ! make -s deb >"$log" 2>&1; then
    cat "$log"; rm -f "$log"
    echo "package: 0 passed, 1 failed"
    exit 1
fi
TESSERA_DEB_DIR="$PWD/build-deb" /usr/bin/python3 -m pytest -q -p no:cacheprovider \
    tests/package >"$log" 2>&1
rc=$?
cat "$log"
line=$(grep -E '(passed|failed|error)' "$log" | tail -1)
p=$(echo "$line" | grep -oE '[0-9]+ passed' | cut -d' ' -f1)
f=$(echo "$line" | grep -oE '[0-9]+ failed' | cut -d' ' -f1)
e=$(echo "$line" | grep -oE '[0-9]+ errors?' | cut -d' ' -f1)
if [ -z "$p$f$e" ] || { [ "$rc" != 0 ] && [ -z "$f$e" ]; }; then f=1; fi
rm -f "$log"
echo "package: ${p:-0} passed, $(( ${f:-0} + ${e:-0} )) failed"
[ "$rc" = 0 ]
