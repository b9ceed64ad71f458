#!/bin/sh
# Installs what kanal needs to build, test and run on a Debian machine, and
# nothing that is already there. Safe to run again and again.
set -eu

PKGS="build-essential pkg-config clang libclang-rt-dev
libsqlite3-dev sqlite3 libmicrohttpd-dev libjansson-dev libsodium-dev libpq-dev
libstemmer-dev libvoikko-dev voikko-fi dict-freedict-fin-eng libqrencode-dev libcmocka-dev libpng-dev libidn2-dev libfreexl-dev libicu-dev python3-xlwt python3-icalendar libcurl4-openssl-dev libxml2-dev libhyperscan-dev libpcre2-dev wrk nginx-light
python3 python3-pytest python3-pytest-xdist postgresql chromium fonts-dejavu-core zbar-tools strace"

missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
        missing="$missing $p"
done

# Node.js may come from elsewhere (with its own npm); Debian's packages only
# when there is none, since Debian's npm conflicts with such builds.
command -v node >/dev/null 2>&1 || missing="$missing nodejs"
command -v npm >/dev/null 2>&1 || missing="$missing npm"

if [ -n "$missing" ]; then
    echo "install-deps: installing:$missing"
    SUDO=""
    [ "$(id -u)" -eq 0 ] || SUDO="sudo"
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends $missing
fi

# Front-end packages, from package-lock.json, when it changed since the last
# install. PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: the tests use Debian's Chromium.
if [ -f package-lock.json ] && ! cmp -s package-lock.json node_modules/.kanal-installed-lock; then
    PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
    cp package-lock.json node_modules/.kanal-installed-lock
fi
