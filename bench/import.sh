#!/bin/sh
# bench/import: rows per second of `kanal import` on a large generated
# NDJSON and CSV (the same rows: one post with one metric snapshot each),
# beside sqlite3's own `.import` of the same CSV into a comparable table
# (same columns, primary key on the id), measured in the same run; and, with
# FLOOR_BIN (bench/import-floor.c, built by `make bench-import`), SQLite's own
# time for the same rows in kanal's schema with nothing else to do. Prints
# numbers, never pass/fail. Usage: bench/import.sh [ROWS] (default 200000).
set -e
rows=${1:-200000}
kanal=${KANAL_BIN:-build/kanal}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
python3 bench/import-gen.py "$rows" "$dir/rows"

now() { date +%s.%N; }
rate() { python3 -c "import sys; n,a,b=int(sys.argv[1]),float(sys.argv[2]),float(sys.argv[3]); print(f'{n/(b-a):.0f}')" "$@"; }

t0=$(now)
"$kanal" import --db "$dir/nd.db" "$dir/rows.ndjson" >/dev/null
t1=$(now)
"$kanal" import --db "$dir/csv.db" --mapping "$dir/rows.mapping" "$dir/rows.csv" >/dev/null
t2=$(now)
sqlite3 "$dir/lite.db" "CREATE TABLE posts_import (id TEXT PRIMARY KEY, account_id TEXT,
    published_at INTEGER, format TEXT, body TEXT, reach INTEGER, impressions INTEGER,
    reactions INTEGER, comments INTEGER, shares INTEGER);" \
    ".mode csv" ".import --skip 1 $dir/rows.csv posts_import"
t3=$(now)

floor=
if [ -n "$FLOOR_BIN" ]; then
    "$kanal" migrate --db "$dir/floor.db" >/dev/null
    floor=$("$FLOOR_BIN" "$dir/floor.db" "$dir/rows.csv")
fi

nd=$(rate "$rows" "$t0" "$t1")
csv=$(rate "$rows" "$t1" "$t2")
lite=$(rate "$rows" "$t2" "$t3")
echo "bench/import: $rows generated posts with one metric snapshot each, SQLite, $(nproc) CPUs"
printf '  %-34s %10s rows/s\n' "kanal import (NDJSON)" "$nd" "kanal import (CSV, mapping)" "$csv" \
    "sqlite3 .import (same CSV)" "$lite"
python3 -c "import sys; nd,csv,lite=map(float,sys.argv[1:]); print(f'  ratio to .import: NDJSON {nd/lite:.2f}, CSV {csv/lite:.2f} (target 0.50)')" "$nd" "$csv" "$lite"
if [ -n "$floor" ]; then
    printf '  %-34s %10s rows/s\n' "SQLite floor, kanal's schema" "$floor"
    python3 -c "import sys; f,lite=map(float,sys.argv[1:]); print(f'  floor to .import: {f/lite:.2f} (lookup + 3 prepared inserts a row, nothing else)')" "$floor" "$lite"
fi
