#!/bin/sh
# make check entry for tests/layers/check-layers.py (see its docstring): the
# layers of lib/ (lib/layers.txt) hold in the objects just built.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=.}"
PYTHONDONTWRITEBYTECODE=1 exec python3 "$top_srcdir/tests/layers/check-layers.py" \
    "$top_srcdir" "$top_builddir/.libs"
