#!/bin/sh
# examples/everything-server in its default stdio mode under the official
# MCP TypeScript SDK client (tests/e2e/everything-stdio.mjs).
set -eu
. "$(cd "$(dirname "$0")" && pwd)/prepare.sh"
exec node "$E2E/everything-stdio.mjs"
