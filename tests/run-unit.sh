#!/bin/sh
# Runs every unit test binary and ends with one summary line that counts the
# tests (cmocka's own lines are per binary). A skipped test's reason is shown
# once; a run in which no test passed fails, since "0 passed, 0 failed" says
# nothing was checked.
passed=0 failed=0 skipped=0 bad="" reasons=""
for t in "$@"; do
    out=$("$t" 2>&1); rc=$?
    printf '%s\n' "$out" | grep -E '^\[  (PASSED|FAILED) \]|^\[  ERROR   \]' | sed "s|^|$(basename "$t"): |"
    # A binary may run several groups, each with its own summary lines.
    p=$(printf '%s\n' "$out" | awk '/^\[  PASSED  \] [0-9]+ test/ {n += $4; y = 1} END {if (y) print n}')
    f=$(printf '%s\n' "$out" | awk '/^\[  FAILED  \] [0-9]+ test/ {n += $4; y = 1} END {if (y) print n}')
    s=$(printf '%s\n' "$out" | awk '/^\[  SKIPPED \] [0-9]+ test/ {n += $4; y = 1} END {if (y) print n}')
    r=$(printf '%s\n' "$out" | grep '^skipped: ')
    passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${s:-0}))
    [ -n "$r" ] && reasons="$reasons$r
"
    if [ $rc -ne 0 ]; then
        bad="$bad $(basename "$t")"
        printf '%s\n' "$out" | tail -40
        [ -z "$f" ] && failed=$((failed + 1))
    fi
done
[ -n "$reasons" ] && printf '%s' "$reasons" | sort -u
echo "unit: $passed passed, $failed failed, $skipped skipped"
[ -z "$bad" ] || { echo "failing:$bad"; exit 1; }
[ "$passed" -gt 0 ] || { echo "unit: no test passed (all skipped or none found)"; exit 1; }
