"""Run the complete pcf-mcp server from Python, with a tool of your own.

Configured like `pcf-mcp serve`: PCF_MCP_* variables (PCF_MCP_PCF_URL,
PCF_MCP_PCF_TOKEN_FILE, ...) and an optional YAML file named by argv[1].
"""
import sys

import pcfmcp

config = pcfmcp.Config()
if len(sys.argv) > 1:
    config.load_file(sys.argv[1])
config.load_env()
config.resolve_secrets()

with pcfmcp.Server(config) as server:     # refuses what `config check` refuses
    @server.engine.tool(annotations={"readOnlyHint": True})
    def caller(ctx: pcfmcp.Context, args: dict) -> str:
        """Says who the server thinks is calling."""
        return ctx.identity or "nobody"

    sys.exit(0 if server.run() == pcfmcp.ErrorCode.OK else 3)
