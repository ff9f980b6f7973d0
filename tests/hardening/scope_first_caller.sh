#!/bin/sh
# make check entry for tests/hardening/scope_first_caller.py (see its docstring).
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
export top_srcdir
PYTHONDONTWRITEBYTECODE=1 exec python3 "$top_srcdir/tests/hardening/scope_first_caller.py" "$@"
