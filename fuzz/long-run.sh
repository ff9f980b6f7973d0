#!/bin/sh
# The long runs behind the figures in README.md ("Fuzzing"): each target in
# turn for RUNS executions (default 10 million), or for FUZZ_SECONDS when
# that is set (a time-boxed run where 10 million do not fit), niced, one at a time,
# from its committed corpus plus what earlier runs found. Logs go to
# build-fuzz/long-TARGET.log.
#   nohup fuzz/long-run.sh [TARGET...] >/dev/null 2>&1 &
#   FUZZ_SECONDS=600 nohup fuzz/long-run.sh [TARGET...] >/dev/null 2>&1 &
#   fuzz/long-run.sh report [TARGET...]   the README table rows from the logs
#                                         (and from fuzz/coverage.sh's last figures)
# After a run: fuzz/run.sh merge TARGET, then fuzz/coverage.sh TARGET.
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
runs=${RUNS:-10000000}
# Not $SECONDS: the shell's own counter.
secs=${FUZZ_SECONDS:-}

report() {
    [ $# -gt 0 ] || set -- $("$top/fuzz/run.sh" list)
    echo "| target | limit | executions | exec/s | cov / ft | corpus | crashes, leaks, timeouts | lines covered | date, commit |"
    echo "| --- | --- | ---: | ---: | --- | ---: | --- | ---: | --- |"
    for t in "$@"; do
        log="$top/build-fuzz/long-$t.log"
        [ -f "$log" ] || continue
        # Line coverage of the target's parser files by its committed corpus,
        # as fuzz/coverage.sh last measured it.
        lines=$(awk '/^TOTAL/ { print $(NF-3) }' "$top/build-fuzzcov/cov-$t.txt" 2>/dev/null || true)
        # "# T: N runs from DATE, commit C", libFuzzer's status lines
        # ("#N REDUCE cov: X ft: Y corp: A/B ..."), its final stats.
        awk -v t="$t" -v lines="${lines:-}" '
            NR == 1 { limit = $3 " " $4; date = $6; sub(/,$/, "", date); commit = $8 }
            /^#[0-9]+[ \t].* cov: / { last = substr($1, 2); cov = $4; ft = $6; corp = $8 }
            /^stat::number_of_executed_units:/ { n = $2 }
            /^stat::average_exec_per_sec:/ { eps = $2 }
            /ERROR|SUMMARY|deadly signal|Test unit written|runtime error/ { bad++ }
            /^# .*: exit / { rc = $4 }
            END {
                if (n == "") {
                    # No final stats: still running, or cut off (the lines so far hold).
                    printf "| %s | %s | %s at %s | | %s / %s | %s | %s | %s | %s, %s |\n", t, limit,
                           rc == "" ? "running" : "stopped", last, cov, ft, corp,
                           bad ? "see log" : "none so far", lines, date, commit
                    exit
                }
                printf "| %s | %s | %d | %d | %s / %s | %s | %s | %s | %s, %s |\n", t, limit, n, eps, cov,
                       ft, corp, (bad || rc != 0) ? "see log" : "0, 0, 0", lines, date, commit
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
    if [ -n "$secs" ]; then
        limit="$secs seconds" how=$secs
    else
        limit="$runs runs" how="runs $runs"
    fi
    echo "# $t: $limit from $(date -u +%Y-%m-%dT%H:%MZ), commit $(git -C "$top" rev-parse --short HEAD)" >"$log"
    start=$(date +%s)
    rc=0
    # shellcheck disable=SC2086
    nice -n 19 "$top/fuzz/run.sh" "$t" $how >>"$log" 2>&1 || rc=$?
    echo "# $t: exit $rc after $(( $(date +%s) - start )) s" >>"$log"
done
