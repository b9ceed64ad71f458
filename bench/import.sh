#!/bin/sh
# bench/import: rows per second of `kanal import` on a large generated
# NDJSON and CSV (the same rows: one post with one metric snapshot each),
# beside, in the same rounds, SQLite's own time for the same rows in kanal's
# schema with nothing else to do (FLOOR_BIN, bench/import-floor.c, built by
# `make bench-import`) and sqlite3's `.import` of the same CSV into one
# comparable table. One run is not a measurement: ROUNDS rounds, each
# starting with a different program so that none always meets a warmer
# machine, and the ratios to the floor are taken round by round and their
# median and spread quoted. Prints numbers, never pass/fail.
# Usage: bench/import.sh [ROWS] [ROUNDS]   (defaults 200000, 5)
set -e
rows=${1:-200000}
rounds=${2:-5}
kanal=${KANAL_BIN:-build/kanal}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
python3 bench/import-gen.py "$rows" "$dir/rows"

now() { date +%s.%N; }
rate() { python3 -c "import sys; n,a,b=int(sys.argv[1]),float(sys.argv[2]),float(sys.argv[3]); print(f'{n/(b-a):.0f}')" "$@"; }

# Each program starts from an empty database of kanal's schema, made
# before its clock starts (the floor's is made the same way below).
run_nd() {
    rm -f "$dir/nd.db"*
    "$kanal" migrate --db "$dir/nd.db" >/dev/null
    t0=$(now)
    "$kanal" import --db "$dir/nd.db" "$dir/rows.ndjson" >/dev/null
    rate "$rows" "$t0" "$(now)"
}
run_csv() {
    rm -f "$dir/csv.db"*
    "$kanal" migrate --db "$dir/csv.db" >/dev/null
    t0=$(now)
    "$kanal" import --db "$dir/csv.db" --mapping "$dir/rows.mapping" "$dir/rows.csv" >/dev/null
    rate "$rows" "$t0" "$(now)"
}
run_lite() {
    rm -f "$dir/lite.db"*
    t0=$(now)
    sqlite3 "$dir/lite.db" "CREATE TABLE posts_import (id TEXT PRIMARY KEY, account_id TEXT,
        published_at INTEGER, format TEXT, body TEXT, reach INTEGER, impressions INTEGER,
        reactions INTEGER, comments INTEGER, shares INTEGER);" \
        ".mode csv" ".import --skip 1 $dir/rows.csv posts_import"
    rate "$rows" "$t0" "$(now)"
}
run_floor() {
    if [ -z "$FLOOR_BIN" ]; then echo 0; return; fi
    rm -f "$dir/floor.db"*
    "$kanal" migrate --db "$dir/floor.db" >/dev/null
    "$FLOOR_BIN" "$dir/floor.db" "$dir/rows.csv"
}

: >"$dir/results"
for r in $(seq "$rounds"); do
    case $((r % 4)) in
    1) nd=$(run_nd); csv=$(run_csv); floor=$(run_floor); lite=$(run_lite) ;;
    2) floor=$(run_floor); lite=$(run_lite); nd=$(run_nd); csv=$(run_csv) ;;
    3) csv=$(run_csv); floor=$(run_floor); nd=$(run_nd); lite=$(run_lite) ;;
    0) lite=$(run_lite); nd=$(run_nd); floor=$(run_floor); csv=$(run_csv) ;;
    esac
    echo "$r $nd $csv $floor $lite" >>"$dir/results"
done

echo "bench/import: $rows generated posts with one metric snapshot each, SQLite, $(nproc) CPUs, $rounds rounds"
python3 - "$dir/results" <<'PY'
import statistics, sys
rows = [list(map(float, l.split())) for l in open(sys.argv[1])]
print(f"  {'round':>5} {'NDJSON':>10} {'CSV':>10} {'floor':>10} {'.import':>10}   rows/s")
for r in rows:
    print(f"  {int(r[0]):>5} {r[1]:>10.0f} {r[2]:>10.0f} {r[3]:>10.0f} {r[4]:>10.0f}")
def spread(name, vals, target):
    vals = sorted(vals)
    print(f"  {name}: median {statistics.median(vals):.2f}, min {vals[0]:.2f}, max {vals[-1]:.2f} (target {target})")
if all(r[3] > 0 for r in rows):
    spread("NDJSON / floor", [r[1] / r[3] for r in rows], "0.90")
    spread("CSV / floor   ", [r[2] / r[3] for r in rows], "0.90")
    print("  (floor: SQLite alone writing the same rows in kanal's schema: a lookup and 3 prepared inserts a row)")
spread("NDJSON / .import", [r[1] / r[4] for r in rows], "none; .import fills one table")
PY
