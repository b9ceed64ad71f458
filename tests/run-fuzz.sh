#!/bin/sh
# Runs each libFuzzer target for a bounded number of inputs, starting from its
# seed corpus under tests/fuzz/corpus/NAME (kept read-only: new inputs go to a
# scratch folder). A crash fails the run and leaves the input in build/fuzz.
set -e
runs=$1; shift
for bin in "$@"; do
    name=$(basename "$bin")
    seeds=tests/fuzz/corpus/$name
    scratch=build/fuzz/work-$name
    rm -rf "$scratch"; mkdir -p "$scratch"
    echo "fuzz: $name ($runs runs)"
    "$bin" -runs="$runs" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix=build/fuzz/ "$scratch" ${seeds:+$( [ -d "$seeds" ] && echo "$seeds")} \
        2>build/fuzz/$name.log || { tail -50 build/fuzz/$name.log; exit 1; }
done
echo "fuzz: all targets ran clean"
