#!/bin/sh
# Starts a throwaway PostgreSQL cluster for tests: in DIR, on 127.0.0.1:PORT
# only, trust authentication, owned by the 'postgres' system user when run as
# root (the server refuses to run as root). Prints the connection URI.
# Usage: tests/pg-start.sh DIR PORT ; stop with tests/pg-stop.sh DIR
set -eu
dir=$1 port=$2
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -x "$bindir/initdb" ] || { echo "pg-start: PostgreSQL server binaries not found" >&2; exit 1; }
rm -rf "$dir"; mkdir -p "$dir"
as=""
if [ "$(id -u)" -eq 0 ]; then
    chown postgres "$dir"
    as="runuser -u postgres --"
fi
$as "$bindir/initdb" -D "$dir/data" -U kanal -A trust --no-sync -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 ||
    { cat "$dir/initdb.log" >&2; exit 1; }
$as "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c synchronous_commit=off -c full_page_writes=off" \
    start >/dev/null || { cat "$dir/server.log" >&2; exit 1; }
$as "$bindir/createdb" -h 127.0.0.1 -p "$port" -U kanal kanal
echo "postgresql://kanal@127.0.0.1:$port/kanal"
