#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The layers of src/ (docs/design.md) as a rule on #include "dir/...": each directory
# names the directories whose headers it may include; any other is an arrow running
# back up, and fails `make test`. lib/ (libtessera) includes only its own headers.
#   mk/check-includes.sh        prints every forbidden include; exit 1 if any
set -u
cd "$(dirname "$0")/.."

# directory: the directories it may include (its own is always allowed)
rules='
base:
store: base
core: base store
http: base store core
api: base store core http
routes: base http api
server: base store core http routes
client: base
cli: base store core server
'

bad=0
for dir in $(ls -d src/*/ | sed 's#src/##; s#/##'); do
    allowed=$(printf '%s\n' "$rules" | sed -n "s/^$dir: *//p")
    if ! printf '%s\n' "$rules" | grep -q "^$dir:"; then
        echo "mk/check-includes.sh: src/$dir/ has no rule: add one" >&2
        bad=1
        continue
    fi
    for f in src/"$dir"/*.[ch]; do
        [ -e "$f" ] || continue
        for inc in $(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*"\([a-z_]*\)\/.*/\1/p' "$f" | sort -u); do
            case " $dir $allowed " in
                *" $inc "*) ;;
                *) echo "$f: includes $inc/ (src/$dir/ may include: $dir $allowed)"; bad=1 ;;
            esac
        done
    done
done
# main.c sits on top and may include anything; lib/ includes nothing of src/.
for f in lib/*.[ch]; do
    if grep -q '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[a-z_]*/' "$f"; then
        echo "$f: libtessera includes a header of src/"; bad=1
    fi
done
exit $bad
