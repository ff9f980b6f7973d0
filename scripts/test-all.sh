#!/bin/sh
# Sets up a fresh Debian 12 machine (as root) and passes every test:
# warnings-as-errors build, the unit/API/contract/end-to-end suites, the C
# tests again under valgrind and under ASan+UBSan, the API docs, and
# `make distcheck`; the threaded tests under ThreadSanitizer.
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)
jobs=$(nproc 2>/dev/null || echo 2)
TSAN_TESTS="tests/api/test_errors_threads tests/api/test_engine"

./scripts/deps.sh
# The pinned MCP SDK and conformance clients; every build tree (including
# distcheck's) links to this one install.
npm ci --prefix tests/e2e --no-audit --no-fund --loglevel=error
PCFMCP_E2E_MODULES="$top/tests/e2e/node_modules"
export PCFMCP_E2E_MODULES
[ -x configure ] || ./autogen.sh

# Out-of-tree builds keep the source tree clean, so several can coexist.
mkdir -p build
(cd build && "$top/configure" --enable-werror && make -j"$jobs" && make -j"$jobs" check && make check-valgrind && make docs)

mkdir -p build-asan
(cd build-asan && "$top/configure" --enable-werror --enable-sanitizers && make -j"$jobs" && make -j"$jobs" check)

# The tests that share handles between threads, under ThreadSanitizer: a
# data race fails them even when the run happened to give right answers.
mkdir -p build-tsan
(cd build-tsan && "$top/configure" --enable-werror --enable-tsan --disable-shared \
    --disable-e2e-tests && make -j"$jobs" $TSAN_TESTS && \
    for t in $TSAN_TESTS; do ./"$t" || exit 1; done)

(cd build && make -j"$jobs" distcheck)
echo "all tests passed"
