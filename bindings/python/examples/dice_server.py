#!/usr/bin/env python3
"""A tiny MCP server written in Python on libpcfmcp's engine and stdio transport.

One tool, ``roll_dice``, rolls N dice with S sides. Try it with any MCP
client, e.g. Claude Code:

    claude mcp add dice -- python3 /path/to/dice_server.py

Logs go to stderr (stdout carries the protocol).
"""

import logging
import random
import sys

import pcfmcp


def main():
    logging.basicConfig(stream=sys.stderr, level=logging.INFO,
                        format="dice-server %(levelname)s %(message)s")
    logger = pcfmcp.Logger()
    logger.to_logging(logging.getLogger("dice-server.lib"))

    # Worker threads let the client cancel a call while it runs.
    engine = pcfmcp.Engine("dice-server", "1.0.0", threads=2, logger=logger)
    engine.set_instructions("Rolls dice. Ask for how many and how many sides.")

    @engine.tool(
        title="Roll dice",
        input_schema={
            "type": "object",
            "properties": {
                "count": {"type": "integer", "minimum": 1, "maximum": 100},
                "sides": {"type": "integer", "minimum": 2, "maximum": 1000},
                "seed": {"type": "integer", "description": "repeatable rolls for tests"},
            },
            "required": ["count"],
        },
        outputSchema={
            "type": "object",
            "properties": {"rolls": {"type": "array", "items": {"type": "integer"}},
                           "total": {"type": "integer"}},
            "required": ["rolls", "total"],
        },
        annotations={"readOnlyHint": True, "openWorldHint": False},
    )
    def roll_dice(ctx, args):
        """Rolls `count` dice with `sides` sides (default 6) and returns each roll and the total."""
        sides = args.get("sides", 6)
        rng = random.Random(args.get("seed"))
        rolls = [rng.randint(1, sides) for _ in range(args["count"])]
        ctx.log("info", {"rolled": len(rolls), "identity": ctx.identity}, "dice")
        return {"rolls": rolls, "total": sum(rolls)}

    rc = pcfmcp.serve_stdio(engine, identity="local")
    engine.close()
    return 0 if rc == pcfmcp.ErrorCode.OK else 3


if __name__ == "__main__":
    sys.exit(main())
