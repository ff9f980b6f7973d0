#!/bin/sh
# make check entry for deploy/check-deploy.py (offline validation of deploy/).
: "${top_srcdir:=$(cd "$(dirname "$0")/.." && pwd)}"
export top_srcdir
PYTHONDONTWRITEBYTECODE=1 exec python3 "$top_srcdir/deploy/check-deploy.py" "$@"
