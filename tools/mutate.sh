#!/bin/sh
# Puts one deliberate bug at a time into a copy of the tree (a sed line of
# tools/mutations.tsv), builds the copy and runs the tests that should see it.
# A mutation the tests do not notice is a survivor: docs/testing.md lists the
# known ones. Usage: tools/mutate.sh [PATTERN]  (only mutations whose name
# contains PATTERN). Exits 1 if a listed mutation no longer applies or survives.
set -u
top=$(cd "$(dirname "$0")/.." && pwd)
list="$top/tools/mutations.tsv"
only=${1:-}
parent=$(mktemp -d /tmp/kanal-mutate.XXXXXX)
work=$parent/kanal
mkdir "$work"
trap 'rm -rf "$parent"' EXIT INT TERM

# A copy of what git tracks, plus the npm packages the build reads.
(cd "$top" && git ls-files -z | xargs -0 tar cf - 2>/dev/null) | (cd "$work" && tar xf -)
[ -d "$top/node_modules" ] && ln -s "$top/node_modules" "$work/node_modules"
# Tests read ../shared/data beside the repository, as in the real tree.
[ -e "$top/../shared" ] && ln -s "$(cd "$top/../shared" && pwd)" "$parent/shared"
echo "mutate: building the copy in $work"
make -C "$work" -j2 all >"$work/build.log" 2>&1 || { tail -20 "$work/build.log"; exit 2; }

killed=0 survived=0 stale=0 survivors=""
tab=$(printf '\t')
while IFS="$tab" read -r name file expr tests; do
    case "$name" in ''|'#'*) continue ;; esac
    [ -n "$only" ] && case "$name" in *"$only"*) ;; *) continue ;; esac
    cp "$work/$file" "$work/$file.orig"
    sed -i "$expr" "$work/$file"
    if cmp -s "$work/$file" "$work/$file.orig"; then
        echo "STALE    $name: '$expr' changes nothing in $file"
        stale=$((stale + 1))
    elif ! make -C "$work" -j2 all >"$work/build.log" 2>&1; then
        echo "KILLED   $name (does not build)"
        killed=$((killed + 1))
    elif (cd "$work" && KANAL_BIN="$work/build/kanal" sh -c "$tests") >"$work/test.log" 2>&1; then
        echo "SURVIVED $name: $tests"
        survived=$((survived + 1))
        survivors="$survivors $name"
    else
        echo "KILLED   $name"
        killed=$((killed + 1))
    fi
    mv "$work/$file.orig" "$work/$file"
    touch "$work/$file"
done <"$list"
echo "mutate: $killed killed, $survived survived, $stale stale"
[ -z "$survivors" ] || echo "survivors:$survivors"
[ "$survived" -eq 0 ] && [ "$stale" -eq 0 ]
