#!/bin/sh
# Runs tests/e2e/redteam.mjs (issue #10 re-verification: other instances of
# its defect classes) with the official MCP SDK client over stdio against
# `pcf-mcp serve` and the fake PCF. A missing Node or python3 is a failure,
# never a skip.
set -eu
. "$(cd "$(dirname "$0")" && pwd)/prepare.sh"
command -v python3 >/dev/null 2>&1 || { echo "e2e: python3 is not installed" >&2; exit 1; }
PCF_MCP_BIN="$top_builddir/pcf-mcp"
export PCF_MCP_BIN
exec node "$E2E/redteam.mjs"
