#!/bin/sh
# Instructions per text of kanal's sentiment (sentiment_score, language
# guessed, with the learned models), counted by callgrind over warm passes:
# a figure a busy machine does not move, for comparing two builds of the text
# engine. Prints the total a text and the functions above 1%.
# Usage: sentiment-instr.sh BINARY PER PASSES FILE.tsv...
set -e
bin=$1 per=$2 passes=$3
shift 3
if ! command -v valgrind >/dev/null 2>&1; then
    echo "sentiment-instr: valgrind is not installed (apt-get install valgrind)" >&2
    exit 1
fi
out=$(mktemp)
trap 'rm -f "$out"' EXIT
valgrind --tool=callgrind --toggle-collect=measured_passes --callgrind-out-file="$out" \
    "$bin" "$per" "$passes" "$@" 2>/dev/null >"$out.txt" || { cat "$out.txt"; rm -f "$out.txt"; exit 1; }
read -r _ texts _ bytes _ _ _ sum <"$out.txt"
rm -f "$out.txt"
callgrind_annotate --inclusive=no --show-percs=no "$out" 2>/dev/null | awk -v n="$texts" -v p="$passes" -v b="$bytes" -v sum="$sum" '
    /PROGRAM TOTALS/ { gsub(",", "", $1); total = $1 + 0
        printf "%d texts (mean %.0f bytes), %d warm passes; checksum %s\n", n, b / n, p, sum
        printf "instructions a text: %.0f\n", total / (n * p); next }
    total && /^ *[0-9,]+ +[^ ]+:/ { c = $1; gsub(",", "", c); c += 0; if (c * 100 < total) exit
        name = $2; sub(/ \[.*/, "", name); sub(/.*\//, "", name)
        printf "  %7.0f  %s\n", c / (n * p), name }'
