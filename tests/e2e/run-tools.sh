#!/bin/sh
# Runs the stdio tool tests (official MCP TypeScript SDK client against
# `pcf-mcp serve` and the fake PCF). Installs the pinned SDK from
# package-lock.json on first use; skips (exit 77) without node or npm.
set -eu
srcdir=${top_srcdir:-$(cd "$(dirname "$0")/../.." && pwd)}
builddir=${top_builddir:-$srcdir}
e2e="$srcdir/tests/e2e"
command -v node >/dev/null 2>&1 || { echo "node not found: skipping"; exit 77; }
command -v python3 >/dev/null 2>&1 || { echo "python3 not found: skipping"; exit 77; }
if [ ! -d "$e2e/node_modules/@modelcontextprotocol/sdk" ]; then
    command -v npm >/dev/null 2>&1 || { echo "npm not found: skipping"; exit 77; }
    (cd "$e2e" && npm ci --no-audit --no-fund >/dev/null) ||
        { echo "npm ci failed: skipping"; exit 77; }
fi
export top_srcdir="$srcdir" top_builddir="$builddir"
PCF_MCP_BIN="$builddir/pcf-mcp"
export PCF_MCP_BIN
exec node "$e2e/stdio-tools.mjs"
