#!/bin/sh
# make check entry for tests/layers/check-layers-selftest.py: the layer
# check fails on every kind of violation it claims to catch.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
PYTHONDONTWRITEBYTECODE=1 exec python3 "$top_srcdir/tests/layers/check-layers-selftest.py"
