#!/bin/sh
# make check entry: replays every importer fixture (real PCF) against the fake.
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
export top_srcdir
PYTHONDONTWRITEBYTECODE=1 exec python3 "$top_srcdir/tests/contract/replay_imports.py" "$@"
