#!/bin/sh
# The long runs behind the figures in README.md ("Fuzzing"): each target in
# turn for RUNS executions (default 10 million), niced, one at a time, from
# its committed corpus plus what earlier runs found. Logs go to
# build-fuzz/long-TARGET.log; the last line of each is libFuzzer's final
# status (executions, cov:, ft:, corpus size), followed by its final stats.
#   nohup fuzz/long-run.sh [TARGET...] >/dev/null 2>&1 &
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-10000000}
[ $# -gt 0 ] || set -- $("$top/fuzz/run.sh" list)
"$top/fuzz/run.sh" build "$@"
for t in "$@"; do
    log="$top/build-fuzz/long-$t.log"
    echo "# $t: $runs runs from $(date -u +%Y-%m-%dT%H:%MZ), commit $(git -C "$top" rev-parse --short HEAD)" >"$log"
    start=$(date +%s)
    rc=0
    nice -n 19 "$top/fuzz/run.sh" "$t" runs "$runs" >>"$log" 2>&1 || rc=$?
    echo "# $t: exit $rc after $(( $(date +%s) - start )) s" >>"$log"
done
