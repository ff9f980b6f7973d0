"""Register a Python tool and call it in-process: no client, no transport."""
import pcfmcp

engine = pcfmcp.Engine("calculator", "1.0")


@engine.tool(input_schema={"type": "object",
                           "properties": {"a": {"type": "number"}, "b": {"type": "number"}},
                           "required": ["a", "b"]})
def add(ctx: pcfmcp.Context, args: dict) -> dict:
    """Adds two numbers."""
    return {"sum": args["a"] + args["b"]}


result = engine.call_tool("add", {"a": 2, "b": 3})
print(result["structuredContent"]["sum"])   # 5
# The same through raw JSON-RPC, as a transport would deliver it:
reply = engine.answer({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})
print([t["name"] for t in reply["result"]["tools"]])   # ['add']
engine.close()
