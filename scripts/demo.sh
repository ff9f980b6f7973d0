#!/bin/sh
# Demo: the fake PCF with the demo engagement, pcf-mcp over stdio under an
# MCP client session, and a transcript of listing projects, hosts and
# issues, recording a finding and producing a report.
#   ./autogen.sh && ./configure && make -j2 && scripts/demo.sh
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
builddir=${top_builddir:-$top}
if [ ! -x "$builddir/pcf-mcp" ]; then
    echo "demo: build pcf-mcp first (./autogen.sh && ./configure && make -j2)" >&2
    exit 1
fi
command -v node >/dev/null || { echo "demo: needs node (20 or newer)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "demo: needs python3 for the fake PCF" >&2; exit 1; }
if [ ! -d "$top/tests/e2e/node_modules/@modelcontextprotocol/sdk" ]; then
    echo "demo: installing the pinned MCP SDK into tests/e2e (npm ci)" >&2
    (cd "$top/tests/e2e" && npm ci --no-audit --no-fund >/dev/null)
fi
top_srcdir=$top top_builddir=$builddir PCF_MCP_BIN="$builddir/pcf-mcp" \
    exec node "$top/scripts/demo.mjs"
