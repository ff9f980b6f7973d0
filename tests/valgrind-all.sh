#!/bin/sh
# make check-valgrind: each C test program once under valgrind (memcheck,
# definite leaks are errors), VALGRIND_JOBS at a time (default: the CPUs);
# the tests are parallel-safe, as `make -j check` runs them. Each program's
# output goes to PROGRAM.valgrind.log; a failure prints its tail.
# Usage (from the build tree, with the test environment exported):
#   valgrind-all.sh PROGRAM...      (LIBTOOL, VALGRIND_SUPP, FUZZ_CORPUS set)
jobs=${VALGRIND_JOBS:-$(nproc 2>/dev/null || echo 2)}
# shellcheck disable=SC2016
printf '%s\n' "$@" | xargs -P "$jobs" -n 1 sh -c '
t=$1
args=
case $t in fuzz/replay-*) args=$FUZZ_CORPUS/${t#fuzz/replay-} ;; esac
echo "valgrind $t"
# shellcheck disable=SC2086
if $LIBTOOL --mode=execute valgrind -q --error-exitcode=97 --leak-check=full \
    --errors-for-leak-kinds=definite --show-leak-kinds=definite \
    --suppressions="$VALGRIND_SUPP" "./$t" $args >"$t.valgrind.log" 2>&1; then
    exit 0
fi
echo "FAIL: $t (see $t.valgrind.log)"
tail -30 "$t.valgrind.log"
exit 1' sh || exit 1
