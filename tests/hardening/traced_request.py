"""A traced request reaches a fake OTLP collector: the client's traceparent
(in _meta) is continued, the MCP request span is its child, and -- when the
build offers a PCF tool -- the tool span is the request span's child and
the PCF client span the tool span's child. Spans are flushed at shutdown."""

import harness as h

TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
PARENT_SPAN = "00f067aa0ba902b7"
TP = "00-{}-{}-01".format(TRACE, PARENT_SPAN)


def main():
    collector = h.Collector()
    fake = h.fakeproc.Fake("--seed", "minimal", "--token", h.TOKEN)
    tmp = h.tempfile.mkdtemp(prefix="pcfmcp-trace-")
    token_file = tmp + "/token"
    with open(token_file, "w") as f:
        f.write(h.TOKEN)
    proc = h.PcfMcp(["--tracing-enabled", "--tracing-endpoint", collector.url,
                     "--tracing-sample-ratio", "0.001", "--pcf-url", fake.base,
                     "--pcf-token-file", token_file], workdir=tmp)
    try:
        proc.initialize()
        r = proc.request("tools/list", {"_meta": {"traceparent": TP}})
        tools = r.get("result", {}).get("tools", [])
        tool = h.read_tool_for_project(tools)
        if tool:
            project = h.first_project(fake)
            args = {"project_id": project} if "project_id" in (
                tool.get("inputSchema", {}).get("properties") or {}) else {}
            r = proc.request("tools/call", {"name": tool["name"], "arguments": args,
                                            "_meta": {"traceparent": TP}})
            h.check("result" in r and not r["result"].get("isError"),
                    "tool call failed: {}".format(r))
        proc.close_input()
        h.check(proc.wait() == 0, "unclean exit")
        lst = collector.find("tools/list")
        h.check(len(lst) == 1, "tools/list span not exported: {}".format(collector.spans))
        h.check(lst[0]["traceId"] == TRACE and lst[0]["parentSpanId"] == PARENT_SPAN,
                "tools/list span is not the client's child: {}".format(lst[0]))
        # initialize was a root at ratio 0.001: almost surely not exported, and
        # never part of the client's trace.
        for s in collector.find("initialize"):
            h.check(s.get("parentSpanId") is None, "initialize has a parent")
        h.check(tool is not None, "pcf-mcp lists no tool that reads a project")
        call = [s for s in collector.find("tools/call") if s["traceId"] == TRACE][0]
        tspan = collector.find("tool " + tool["name"])[0]
        pcf = [s for s in collector.spans if s["name"].startswith("PCF ")]
        h.check(call["parentSpanId"] == PARENT_SPAN, "tools/call parent")
        h.check(tspan["parentSpanId"] == call["spanId"], "tool span parent")
        h.check(pcf and all(s["parentSpanId"] == tspan["spanId"] for s in pcf),
                "PCF spans are not children of the tool span: {}".format(pcf))
        print("traced request: request -> tool -> {} PCF span(s) under the client's span"
              .format(len(pcf)))
        return 0
    finally:
        proc.cleanup()
        fake.stop()
        collector.stop()


if __name__ == "__main__":
    h.run(main)
