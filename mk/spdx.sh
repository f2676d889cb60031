#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Adds the SPDX license line to every source file git tracks that lacks it:
#   .c .h               /* SPDX-License-Identifier: Apache-2.0 */
#   .py .sh Makefile *.mk   # SPDX-License-Identifier: Apache-2.0
#   .sql .lua           -- SPDX-License-Identifier: Apache-2.0   (their comment syntax)
# as the first line, or the second after a "#!" line. Idempotent: a file whose first
# line (second after "#!") already names a license identifier is left alone.
# Usage: sh mk/spdx.sh [--list]   (--list: print the files it would consider, change none)
# tests/package/test_license.py runs the same listing.
set -eu
cd "$(dirname "$0")/.."
id="SPDX-License-Identifier: Apache-2.0"

files() {
    git ls-files -- '*.c' '*.h' '*.py' '*.sh' '*.lua' '*.sql' Makefile '*/Makefile' \
        'mk/*.mk'
}

if [ "${1:-}" = "--list" ]; then
    files
    exit 0
fi

files | {
changed=0
while IFS= read -r f; do
    [ -f "$f" ] || continue
    if head -n 1 "$f" | grep -q '^#!'; then n=2; else n=1; fi
    if sed -n "${n}p" "$f" | grep -q 'SPDX-License-Identifier:'; then
        continue
    fi
    case "$f" in
    *.c|*.h) line="/* $id */" ;;
    *.sql|*.lua) line="-- $id" ;;
    *) line="# $id" ;;
    esac
    tmp="$f.spdx.$$"
    if [ "$n" = 2 ]; then
        { head -n 1 "$f"; echo "$line"; tail -n +2 "$f"; } > "$tmp"
    else
        { echo "$line"; cat "$f"; } > "$tmp"
    fi
    # keep the file's mode (scripts stay executable)
    chmod "$(stat -c %a "$f")" "$tmp"
    mv "$tmp" "$f"
    changed=$((changed + 1))
done
echo "spdx: $changed files changed"
}
