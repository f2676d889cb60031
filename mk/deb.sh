#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# make deb: the Debian packages tessera, libtessera0 and libtessera-dev, built by
# dpkg-buildpackage from a copy of the tree's files (tracked, and new ones git does
# not ignore) in build-deb/tessera-VERSION/. The .deb, .changes and .buildinfo files
# land in build-deb/; the work tree is left as it was. Prints the .changes file's path
# last. The build log is build-deb/build.log.
set -eu
cd "$(dirname "$0")/.."
if ! git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    echo "deb: needs a git work tree (it packages the files git knows)" >&2
    exit 1
fi
version=$(dpkg-parsechangelog -S Version)
out=build-deb
src=$out/tessera-$version
rm -rf "$out"
mkdir -p "$src"
git ls-files -co --exclude-standard | while IFS= read -r f; do
    if [ -e "$f" ] || [ -L "$f" ]; then printf '%s\0' "$f"; fi
done | xargs -0 cp -P --parents -t "$src"
if ! (cd "$src" && dpkg-buildpackage -us -uc -b -jauto) >"$out/build.log" 2>&1; then
    tail -n 40 "$out/build.log" >&2
    echo "deb: dpkg-buildpackage failed; the whole log is $out/build.log" >&2
    exit 1
fi
arch=$(dpkg-architecture -qDEB_HOST_ARCH)
ls "$out"/*.deb
echo "$out/tessera_${version}_$arch.changes"
