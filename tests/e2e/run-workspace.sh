#!/bin/sh
# Runs the project-workspace tool tests (toolsets, dynamic mode, the context
# budget included): the official MCP TypeScript SDK client against
# `pcf-mcp serve` and the fake PCF. A missing Node or python3 is a failure.
set -eu
. "$(cd "$(dirname "$0")" && pwd)/prepare.sh"
command -v python3 >/dev/null 2>&1 || { echo "e2e: python3 is not installed" >&2; exit 1; }
PCF_MCP_BIN="$top_builddir/pcf-mcp"
export PCF_MCP_BIN
exec node "$E2E/stdio-workspace.mjs"
