#!/bin/sh
# Replays every seed (and every saved crash) through its fuzz target.
set -eu
: "${top_srcdir:?}" "${top_builddir:?}"
for t in engine schema uritemplate config html; do
    dir="$top_srcdir/fuzz/corpus/$t"
    [ -d "$dir" ] || { echo "FAIL: no corpus for $t"; exit 1; }
    "$top_builddir/fuzz/replay-$t" "$dir"
done
