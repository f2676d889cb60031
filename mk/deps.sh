#!/bin/sh
# SPDX-License-Identifier: Apache-2.0
# Installs the Debian packages tessera builds, tests and benchmarks with (docs/design.md,
# "Dependencies"), only those missing.
# Idempotent: prints "deps: all present" and does nothing when nothing is missing.
set -eu
PKGS="build-essential pkg-config libmicrohttpd-dev libgnutls28-dev libssl-dev libjansson-dev \
libsodium-dev libcrypt-dev libsqlite3-dev libpq-dev postgresql libcurl4-openssl-dev \
libinih-dev libcmocka-dev python3 python3-pytest python3-pytest-xdist python3-requests \
python3-jwt python3-jwcrypto python3-authlib clang libclang-rt-14-dev wrk nginx-light \
sqlite3 curl jq dpkg-dev debhelper lintian systemd man-db nodejs node-jose chromium \
chromium-driver python3-selenium"
missing=""
for p in $PKGS; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing="$missing $p"
    fi
done
if [ -z "$missing" ]; then
    echo "deps: all present"
    exit 0
fi
echo "deps: installing$missing"
SUDO=""
if [ "$(id -u)" != 0 ]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
# shellcheck disable=SC2086
$SUDO apt-get install -y -q --no-install-recommends $missing
