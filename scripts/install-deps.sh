#!/bin/sh
# Installs what kanal needs to build, test and run on a Debian machine, and
# nothing that is already there. Safe to run again and again.
set -eu

PKGS="build-essential pkg-config clang libclang-rt-dev
libsqlite3-dev sqlite3 libmicrohttpd-dev libjansson-dev libsodium-dev libpq-dev
libstemmer-dev libqrencode-dev libcmocka-dev
python3 python3-pytest postgresql nodejs npm"

missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done

if [ -n "$missing" ]; then
    echo "install-deps: installing:$missing"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi

# Front-end packages, when the web UI declares any.
if [ -f package.json ] && [ ! -d node_modules ]; then
    npm ci --no-audit --no-fund 2>/dev/null || npm install --no-audit --no-fund
fi
