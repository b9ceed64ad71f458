#!/bin/sh
# Stops a cluster started by tests/pg-start.sh and removes it.
dir=$1
bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
as=""
[ "$(id -u)" -eq 0 ] && as="runuser -u postgres --"
[ -d "$dir/data" ] && $as "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1
rm -rf "$dir"
