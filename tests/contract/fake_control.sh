#!/bin/sh
# make check entry: the fake PCF's CLI, control API, fault modes and --bugs.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
export top_srcdir
PYTHONDONTWRITEBYTECODE=1 exec python3 "$top_srcdir/tests/contract/fake_control.py" "$@"
