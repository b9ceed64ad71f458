#!/bin/sh
# Runs test lanes side by side (the machine has two cores and the suites
# wait on servers and PostgreSQL much of the time), each lane's commands in
# turn. Each lane writes to build/lanes/NAME.log, shown whole when the lane
# ends so that its lines stay together; the run fails, naming the lanes
# that failed, when any lane does.
# Usage: run-lanes.sh 'NAME: COMMAND' ...
mkdir -p build/lanes
pids="" names=""
for lane in "$@"; do
    name=${lane%%:*}; cmd=${lane#*:}
    log=build/lanes/$name.log
    ( start=$(date +%s)
      sh -c "$cmd" > "$log" 2>&1; rc=$?
      echo "lane $name: exit $rc after $(( $(date +%s) - start )) s" >> "$log"
      exit $rc ) &
    pids="$pids $!"; names="$names $name"
done
failed=""
set -- $names
for pid in $pids; do
    name=$1; shift
    if wait "$pid"; then :; else failed="$failed $name"; fi
    echo "==== lane $name ===="
    cat "build/lanes/$name.log"
done
[ -z "$failed" ] || { echo "failing lanes:$failed"; exit 1; }
