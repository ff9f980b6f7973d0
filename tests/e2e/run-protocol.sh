#!/bin/sh
# The official MCP TypeScript SDK client drives `pcf-mcp serve` over stdio
# through initialize, paginated tools/list, calls, bad calls and cancellation.
set -eu
. "$(cd "$(dirname "$0")" && pwd)/prepare.sh"
command -v python3 >/dev/null 2>&1 || { echo "e2e: python3 is not installed" >&2; exit 1; }
PCF_MCP_BIN="$top_builddir/pcf-mcp"
export PCF_MCP_BIN
exec node "$E2E/stdio-protocol.mjs"
