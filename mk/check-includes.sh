#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# The layers of src/ (docs/design.md) as a rule on #include "dir/...": each directory
# names the directories whose headers it may include; any other is an arrow running
# back up, and fails `make test`. lib/ (libtessera) includes only its own headers.
#   mk/check-includes.sh        prints every forbidden include; exit 1 if any
set -u
cd "$(dirname "$0")/.."

# directory: the directories it may include (its own is always allowed). Only core/
# (the domain) calls the store: http/, api/, routes/, server/ and cli/ reach it through
# core/, and see its record types (struct user_rec ...) through core's headers.
# client/ is the end user's side: it speaks HTTP to a server and includes base/ only.
rules='
base:
store: base
core: base store
http: base core
web: base
api: base core http web
routes: base http api
server: base core http routes
client: base
cli: base core server
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
# app->st reaches every layer through core's headers: calling the store through it
# (store_x(...) or ->ops->) is the same arrow back up, without an include to show it.
store_call='->ops->|(^|[^a-z_])store_[a-z_]+[[:space:]]*\('
for dir in http api routes server cli client; do
    if grep -nE -- "$store_call" src/"$dir"/*.[ch] 2>/dev/null; then
        echo "mk/check-includes.sh: src/$dir/ calls the store: only src/core/ may" >&2
        bad=1
    fi
done
# main.c sits on top and may include anything; lib/ includes nothing of src/.
for f in lib/*.[ch]; do
    if grep -q '^[[:space:]]*#[[:space:]]*include[[:space:]]*"[a-z_]*/' "$f"; then
        echo "$f: libtessera includes a header of src/"; bad=1
    fi
done
exit $bad
