#!/bin/sh
# Runs every unit test binary and ends with one summary line that counts the
# tests (cmocka's own lines are per binary).
passed=0 failed=0 bad=""
for t in "$@"; do
    out=$("$t" 2>&1); rc=$?
    printf '%s\n' "$out" | grep -E '^\[  (PASSED|FAILED) \]|^\[  ERROR   \]' | sed "s|^|$(basename "$t"): |"
    p=$(printf '%s\n' "$out" | sed -n 's/^\[  PASSED  \] \([0-9]*\) test.*/\1/p')
    f=$(printf '%s\n' "$out" | sed -n 's/^\[  FAILED  \] \([0-9]*\) test.*/\1/p')
    passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0}))
    if [ $rc -ne 0 ]; then
        bad="$bad $(basename "$t")"
        printf '%s\n' "$out" | tail -40
        [ -z "$f" ] && failed=$((failed + 1))
    fi
done
echo "unit: $passed passed, $failed failed"
[ -z "$bad" ] || { echo "failing:$bad"; exit 1; }
