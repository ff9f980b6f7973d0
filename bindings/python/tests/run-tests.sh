#!/bin/sh
# make check entry for the Python bindings: runs bindings/python/tests with
# unittest against the build tree's libpcfmcp. A missing python3 is a
# failure, never a skip: the bindings are part of what we ship.
set -eu
: "${top_srcdir:=$(cd "$(dirname "$0")/../../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
command -v python3 >/dev/null 2>&1 || {
    echo "python bindings: python3 is not installed (apt-get install python3)" >&2
    exit 1
}
lib="$top_builddir/.libs/libpcfmcp.so.0"
[ -f "$lib" ] || { echo "python bindings: $lib is missing (run make first)" >&2; exit 1; }

# A sanitizer build's library needs its runtimes loaded before Python
# starts; Python's own allocations at exit are not ours to report.
rt=$(ldd "$lib" 2>/dev/null | awk '/lib(asan|ubsan)\.so/ { print $3 }' | tr '\n' ' ')
if [ -n "$rt" ]; then
    LD_PRELOAD="$rt${LD_PRELOAD:+ $LD_PRELOAD}"
    ASAN_OPTIONS="detect_leaks=0${ASAN_OPTIONS:+:$ASAN_OPTIONS}"
    PCFMCP_TEST_SANITIZERS=1
    export LD_PRELOAD ASAN_OPTIONS PCFMCP_TEST_SANITIZERS
fi

PCFMCP_LIBRARY=$lib
PYTHONPATH="$top_srcdir/bindings/python${PYTHONPATH:+:$PYTHONPATH}"
# The source tree is read-only under distcheck: no bytecode there.
PYTHONDONTWRITEBYTECODE=1
PYTHONPYCACHEPREFIX="$top_builddir/bindings/python/pycache"
export PCFMCP_LIBRARY PYTHONPATH PYTHONDONTWRITEBYTECODE PYTHONPYCACHEPREFIX top_srcdir top_builddir
exec python3 -m unittest discover -s "$top_srcdir/bindings/python/tests" -p 'test_*.py' -v
