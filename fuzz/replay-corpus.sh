#!/bin/sh
# Replays every corpus input (seeds, what fuzzing found, saved crashes)
# through its fuzz target; the list of targets is fuzz/run.sh's.
set -eu
: "${top_srcdir:?}" "${top_builddir:?}"
for t in $("$top_srcdir/fuzz/run.sh" list); do
    dir="$top_srcdir/fuzz/corpus/$t"
    [ -d "$dir" ] || { echo "FAIL: no corpus for $t"; exit 1; }
    [ -x "$top_builddir/fuzz/replay-$t" ] || { echo "FAIL: no fuzz/replay-$t"; exit 1; }
    printf "%s: " "$t"
    "$top_builddir/fuzz/replay-$t" "$dir"
done
