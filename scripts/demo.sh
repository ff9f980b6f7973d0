#!/bin/sh
# The main job: set up this machine (Debian 12, as root), build pcf-mcp, and
# run it against the bundled demo PCF under a real MCP client session that
# lists the demo engagement's projects, hosts and issues, records a finding
# and produces a report. Reruns skip what is already done.
#   PCF_MCP_BIN=/path/to/pcf-mcp scripts/demo.sh   uses an existing build
set -eu
top=$(cd "$(dirname "$0")/.." && pwd)
if [ -z "${PCF_MCP_BIN:-}" ]; then
    "$top/scripts/deps.sh"
    [ -x "$top/configure" ] || (cd "$top" && ./autogen.sh >/dev/null)
    mkdir -p "$top/build"
    if [ ! -f "$top/build/Makefile" ]; then
        (cd "$top/build" && "$top/configure" --quiet)
    fi
    make -C "$top/build" -j"$(nproc 2>/dev/null || echo 2)" --quiet >/dev/null
    PCF_MCP_BIN="$top/build/pcf-mcp"
fi
if [ ! -d "$top/tests/e2e/node_modules/@modelcontextprotocol/sdk" ]; then
    npm ci --prefix "$top/tests/e2e" --no-audit --no-fund --loglevel=error
fi
top_srcdir=$top
top_builddir=$(dirname "$PCF_MCP_BIN")
export top_srcdir top_builddir PCF_MCP_BIN
exec node "$top/scripts/demo.mjs"
