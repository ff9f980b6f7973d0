#!/bin/sh
# make check entry for tests/replicas/store_outage.py (see its docstring).
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
export top_srcdir
PYTHONDONTWRITEBYTECODE=1 exec python3 "$top_srcdir/tests/replicas/store_outage.py" "$@"
