#!/bin/sh
# Sets up a fresh Debian 12 machine (as root) and passes every test:
# warnings-as-errors build, the unit/API/contract/end-to-end suites, the C
# tests again under valgrind and under ASan+UBSan, the API docs, the
# transport tests on the portable fallbacks, the alert unit tests, the DR
# drill, the container image over stdio, and `make distcheck` (which also
# installs and checks the examples, the man3 pages and the Python package;
# the end-to-end suites, run twice already, are left out there); the
# threaded tests under ThreadSanitizer.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
jobs=$(nproc 2>/dev/null || echo 2)
TSAN_TESTS="tests/api/test_errors_threads tests/api/test_engine tests/unit/test_store"
# Each phase's wall time, printed at the end: CI must stay under 30 minutes,
# and this says where the time goes when it creeps up.
t_start=$(date +%s)
t_last=$t_start
times=""
phase() {
    now=$(date +%s)
    times="$times
$(printf '%-34s %5d s' "$1" $((now - t_last)))"
    t_last=$now
}

./scripts/deps.sh
# The shared-store tests skip loudly without redis-server; here they must run.
PCFMCP_REQUIRE_REDIS=1
export PCFMCP_REQUIRE_REDIS
# The pinned MCP SDK and conformance clients; every build tree (including
# distcheck's) links to this one install.
npm ci --prefix tests/e2e --no-audit --no-fund --loglevel=error
PCFMCP_E2E_MODULES="$top/tests/e2e/node_modules"
export PCFMCP_E2E_MODULES
[ -x configure ] || ./autogen.sh
phase "dependencies"

# Out-of-tree builds keep the source tree clean, so several can coexist.
mkdir -p build
(cd build && "$top/configure" --enable-werror && make -j"$jobs" && make -j"$jobs" check && make check-valgrind && make docs)
phase "build, check, valgrind, docs"

mkdir -p build-asan
(cd build-asan && "$top/configure" --enable-werror --enable-sanitizers && make -j"$jobs" && make -j"$jobs" check)
phase "ASan+UBSan check"

# The tests that share handles between threads, under ThreadSanitizer: a
# data race fails them even when the run happened to give right answers.
mkdir -p build-tsan
(cd build-tsan && "$top/configure" --enable-werror --enable-tsan --disable-shared \
    --disable-e2e-tests && make -j"$jobs" $TSAN_TESTS && \
    for t in $TSAN_TESTS; do ./"$t" || exit 1; done)
phase "TSan"

# The portable fallbacks of Linux-only calls (pipe+fcntl, poll): a build
# that takes them, and the transport tests run on it.
portable_progs="tests/unit/test_sys tests/api/test_stdio tests/api/test_http tests/api/test_listen \
tests/api/test_server_hardening"
mkdir -p build-portable
(cd build-portable && "$top/configure" --enable-werror --enable-portable --disable-e2e-tests &&
    make -j"$jobs" libpcfmcp.la pcf-mcp &&
    make -j"$jobs" check check_PROGRAMS="$portable_progs" \
        TESTS="$portable_progs tests/packaging/portable.sh tests/cli/binary.sh")
phase "portable build"

# Operations: every alert fires in a promtool unit test; the DR drill.
./deploy/check-alerts.sh
python3 deploy/dr-drill.py build
phase "alerts, DR drill"

# The container image a desktop client runs (docker run -i --rm), built
# without a registry and driven over stdio.
./deploy/container-test.sh
phase "container image"

# distcheck proves the tarball: complete (its hook compares it with git),
# builds out of tree, installs, runs the installed examples and Python
# package. The end-to-end suites ran above on the same sources, twice; a
# third run here would add minutes and find nothing new.
(cd build && make -j"$jobs" distcheck DISTCHECK_CONFIGURE_FLAGS=--disable-e2e-tests)
phase "distcheck"
echo "$times"
echo "total $(( $(date +%s) - t_start )) s"
echo "all tests passed"
