#!/bin/sh
# The long runs behind the figures in README.md ("Fuzzing"): each target in
# turn for RUNS executions (default 10 million), niced, one at a time, from
# its committed corpus plus what earlier runs found. Logs go to
# build-fuzz/long-TARGET.log.
#   nohup fuzz/long-run.sh [TARGET...] >/dev/null 2>&1 &
#   fuzz/long-run.sh report [TARGET...]   the README table rows from the logs
# After a run: fuzz/run.sh merge TARGET, then fuzz/coverage.sh TARGET.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-10000000}

report() {
    [ $# -gt 0 ] || set -- $("$top/fuzz/run.sh" list)
    echo "| target | executions | exec/s | cov / ft | corpus | crashes, leaks, timeouts | date, commit |"
    echo "| --- | ---: | ---: | --- | ---: | --- | --- |"
    for t in "$@"; do
        log="$top/build-fuzz/long-$t.log"
        [ -f "$log" ] || continue
        # "# T: N runs from DATE, commit C", libFuzzer's status lines
        # ("#N REDUCE cov: X ft: Y corp: A/B ..."), its final stats.
        awk -v t="$t" '
            NR == 1 { date = $6; sub(/,$/, "", date); commit = $8 }
            /^#[0-9]+[ \t].* cov: / { cov = $4; ft = $6; corp = $8 }
            /^stat::number_of_executed_units:/ { n = $2 }
            /^stat::average_exec_per_sec:/ { eps = $2 }
            /ERROR|SUMMARY|deadly signal|Test unit written|runtime error/ { bad++ }
            /^# .*: exit / { rc = $4 }
            END {
                if (n == "") { printf "| %s | (running) | | | | | %s, %s |\n", t, date, commit; exit }
                printf "| %s | %d | %d | %s / %s | %s | %s | %s, %s |\n", t, n, eps, cov, ft,
                       corp, (bad || rc != 0) ? "see log" : "0, 0, 0", date, commit
            }' "$log"
    done
}

if [ "${1:-}" = report ]; then
    shift
    report "$@"
    exit 0
fi
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
