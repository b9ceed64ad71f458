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
    # The ingest parsers also start from the real samples in ../shared/data
    # (read in place: libFuzzer writes only to the first folder, the scratch).
    shared=
    case $name in
    fuzz_ingest_meta_graph) shared=../shared/data/meta/graph ;;
    fuzz_ingest_meta_webhook) shared=../shared/data/meta/webhooks ;;
    fuzz_ingest_instagram) shared=../shared/data/instagram ;;
    fuzz_ingest_x_api) shared=../shared/data/x ;;
    fuzz_ingest_youtube) shared=../shared/data/youtube ;;
    fuzz_ingest_csv) shared=../shared/data/metrics ;;
    fuzz_listen_feed) shared=../shared/data/feeds/feedparser/wellformed/rss ;;
    esac
    [ -n "$shared" ] && [ -d "$shared" ] || shared=
    # The .xls reader forks a child per input (libfreexl overruns its stack on
    # crafted files, so it never runs in kanal's own process): a tenth of the
    # runs costs as much time as the other targets' whole runs.
    # The click log's reader writes, opens, stores into SQLite and reopens a
    # file per input: a quarter of the runs.
    n=$runs
    case $name in
    fuzz_ingest_linkedin_xls) n=$((runs / 10)) ;;
    fuzz_clicklog) n=$((runs / 4)) ;;
    esac
    echo "fuzz: $name ($n runs)"
    "$bin" -runs="$n" -max_len=65536 -timeout=10 -rss_limit_mb=2048 \
        -artifact_prefix=build/fuzz/ "$scratch" ${seeds:+$( [ -d "$seeds" ] && echo "$seeds")} $shared \
        2>build/fuzz/$name.log || { tail -50 build/fuzz/$name.log; exit 1; }
done
echo "fuzz: all targets ran clean"
