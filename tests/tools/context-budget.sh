#!/bin/sh
# The default tool list must stay within 8000 tokens (bytes/4, without
# output schemas) with destructive tools off or on and in dynamic mode:
# every new tool either fits or goes into a toolset that is off by default.
# scripts/context-cost.py measures it from the server's own tools/list.
set -eu
: "${top_srcdir:?}" "${top_builddir:?}"
command -v python3 >/dev/null 2>&1 || { echo "context-budget: python3 is not installed" >&2; exit 1; }
exec python3 "$top_srcdir/scripts/context-cost.py" --bin "$top_builddir/pcf-mcp" \
    --max-default-tokens 8000
