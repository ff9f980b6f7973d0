"""Engine, Session and Context: Python handlers driven through JSON-RPC."""

import json
import threading
import time
import unittest

import support  # noqa: F401
import pcfmcp
from pcfmcp import Emit, ErrorCode, Handled, PcfmcpError

OBJ = {"type": "object", "properties": {}}
N_SCHEMA = {"type": "object", "properties": {"n": {"type": "integer"}}, "required": ["n"]}


class EngineCase(unittest.TestCase):
    threads = 0
    client_caps = None

    def setUp(self):
        self.engine = pcfmcp.Engine("py-test", "1.2.3", threads=self.threads)
        self.register()
        self.session = self.engine.session()
        self.init = self.session.initialize(capabilities=self.client_caps or {})

    def tearDown(self):
        self.engine.close()

    def register(self):
        pass

    def call(self, name, arguments=None, **kw):
        return self.session.request("tools/call", {"name": name, "arguments": arguments or {}}, **kw)

    def text(self, result):
        return "".join(c.get("text", "") for c in result["content"])


class ToolResultsTest(EngineCase):
    def register(self):
        e = self.engine

        @e.tool(input_schema=N_SCHEMA)
        def square(ctx, args):
            "Squares n."
            return {"square": args["n"] ** 2}

        e.add_tool(lambda ctx, a: "plain text", name="text_tool", description="text")
        e.add_tool(lambda ctx, a: ["one", {"type": "text", "text": "two"},
                                   pcfmcp.Image(b"\x89PNG....", "image/png"),
                                   pcfmcp.EmbeddedText("mem://a", "embedded", "text/plain"),
                                   pcfmcp.EmbeddedBlob("mem://b", b"\x00\x01", "application/octet-stream"),
                                   pcfmcp.Audio(b"RIFF", "audio/wav"),
                                   pcfmcp.ResourceLink({"uri": "mem://c", "name": "c"})],
                   name="list_tool", description="blocks")
        e.add_tool(lambda ctx, a: pcfmcp.ToolResult(["summary"], {"k": 1}, {"m": True}),
                   name="full_tool", description="everything")
        e.add_tool(lambda ctx, a: None, name="none_tool", description="nothing")
        e.add_tool(lambda ctx, a: pcfmcp.ToolResult(error="declined politely"),
                   name="soft_error", description="x")

        def explode(ctx, args):
            raise RuntimeError("kaput")

        def tool_error(ctx, args):
            raise pcfmcp.ToolError("the host is out of scope")

        def bad_return(ctx, args):
            return 42

        def pcf_error(ctx, args):
            raise PcfmcpError(ErrorCode.DENIED, None, "read-only mode")

        e.add_tool(explode, description="raises")
        e.add_tool(tool_error, description="raises ToolError")
        e.add_tool(bad_return, description="returns an int")
        e.add_tool(pcf_error, description="raises PcfmcpError")
        e.add_tool(lambda ctx, a: "x", tool={"name": "raw_tool", "title": "Raw",
                                              "description": "complete Tool dict",
                                              "inputSchema": OBJ,
                                              "annotations": {"readOnlyHint": True}})

    def test_dict_becomes_structured_content_with_text_copy(self):
        r = self.call("square", {"n": 7})
        self.assertEqual(r["structuredContent"], {"square": 49})
        self.assertEqual(json.loads(r["content"][0]["text"]), {"square": 49})
        self.assertNotIn("isError", r)

    def test_str_list_and_tool_result(self):
        self.assertEqual(self.text(self.call("text_tool")), "plain text")
        blocks = self.call("list_tool")["content"]
        self.assertEqual([b["type"] for b in blocks],
                         ["text", "text", "image", "resource", "resource", "audio", "resource_link"])
        self.assertEqual(blocks[2]["mimeType"], "image/png")
        self.assertEqual(blocks[3]["resource"]["text"], "embedded")
        self.assertEqual(blocks[4]["resource"]["blob"], "AAE=")
        full = self.call("full_tool")
        self.assertEqual((full["structuredContent"], full["_meta"]), ({"k": 1}, {"m": True}))
        self.assertEqual(self.text(full), "summary")
        self.assertEqual(self.call("none_tool")["content"], [])

    def test_exception_in_tool_becomes_tool_error(self):
        r = self.call("explode")
        self.assertTrue(r["isError"])
        self.assertEqual(self.text(r), "RuntimeError: kaput")

    def test_tool_error_text_reaches_the_model_verbatim(self):
        r = self.call("tool_error")
        self.assertTrue(r["isError"])
        self.assertEqual(self.text(r), "the host is out of scope")
        r = self.call("soft_error")
        self.assertTrue(r["isError"])
        self.assertIn("declined politely", self.text(r))
        r = self.call("pcf_error")
        self.assertTrue(r["isError"])
        self.assertEqual(self.text(r), "read-only mode")

    def test_unsupported_return_type_is_a_tool_error(self):
        r = self.call("bad_return")
        self.assertTrue(r["isError"])
        self.assertIn("TypeError", self.text(r))

    def test_arguments_are_validated_by_the_engine(self):
        r = self.call("square", {"n": "seven"})
        self.assertTrue(r["isError"])

    def test_registry_listing_and_removal(self):
        names = [t["name"] for t in self.engine.tools()]
        self.assertEqual(names[:2], ["square", "text_tool"])
        self.assertEqual(self.engine.tool_count, len(names))
        raw = [t for t in self.engine.tools() if t["name"] == "raw_tool"][0]
        self.assertEqual(raw["annotations"], {"readOnlyHint": True})
        self.engine.remove_tool("text_tool")
        self.assertEqual(self.engine.tool_count, len(names) - 1)
        with self.assertRaises(PcfmcpError) as cm:
            self.engine.remove_tool("text_tool")
        self.assertEqual(cm.exception.code, ErrorCode.NOT_FOUND)

    def test_withheld_tool_call_says_why(self):
        def err(name):
            out = self.session.handle({"jsonrpc": "2.0", "id": 9, "method": "tools/call",
                                       "params": {"name": name, "arguments": {}}})
            return out[-1]["error"]

        self.engine.withhold_tool("wipe", "destructive tools are off")
        e = err("wipe")
        self.assertEqual(e["code"], -32602)
        self.assertEqual(e["message"], "wipe is not offered: destructive tools are off")
        self.assertEqual(e["data"], {"name": "wipe", "reason": "destructive tools are off"})
        self.engine.withhold_tool("wipe", None)
        self.assertEqual(err("wipe")["message"], "unknown tool: wipe")
        with self.assertRaises(PcfmcpError) as cm:
            self.engine.withhold_tool("", "x")
        self.assertEqual(cm.exception.code, ErrorCode.INVALID_ARG)

    def test_bad_tool_definition_raises_with_engine_message(self):
        with self.assertRaises(PcfmcpError) as cm:
            self.engine.add_tool(lambda c, a: "", name="bad name!", description="x")
        self.assertEqual(cm.exception.code, ErrorCode.INVALID_ARG)
        self.assertIn("name", cm.exception.message)
        with self.assertRaises(PcfmcpError) as cm:
            self.engine.add_tool(lambda c, a: "", name="square", description="dup")
        self.assertEqual(cm.exception.code, ErrorCode.STATE)

    def test_malformed_json_yields_parse_error(self):
        out = self.session.handle("{not json")
        self.assertEqual(out[0]["error"]["code"], -32700)
        raw_h, raw = self.session.handle_raw('{"jsonrpc":"2.0","method":"notifications/x"}')
        self.assertEqual((raw_h, raw), (Handled.NOTHING, []))

    def test_paging_follows_page_size(self):
        self.engine.set_page_size(2)
        first = self.session.request("tools/list")
        self.assertEqual(len(first["tools"]), 2)
        self.assertIn("nextCursor", first)
        second = self.session.request("tools/list", {"cursor": first["nextCursor"]}, request_id=2)
        self.assertEqual(len(second["tools"]), 2)

    def test_settings_accept_good_values_and_refuse_bad_ones(self):
        self.engine.set_limits(32, 8)
        self.engine.set_request_timeout(1000)
        self.engine.set_cache_hint("tools/list", 1000, "private")
        self.engine.set_validate_output(True)
        with self.assertRaises(PcfmcpError):
            self.engine.set_page_size(0)
        with self.assertRaises(PcfmcpError):
            self.engine.set_cache_hint("tools/list", 1, "galactic")


class ResourcesPromptsCompletionsTest(EngineCase):
    def register(self):
        e = self.engine
        e.set_info({"title": "Python test server"})
        e.set_instructions("Use the tools wisely.")
        e.add_resource(lambda ctx, uri, v: "readme text",
                       {"uri": "mem://readme", "name": "readme", "mimeType": "text/markdown"})
        e.add_resource(lambda ctx, uri, v: b"\x00\xff",
                       {"uri": "mem://blob", "name": "blob", "mimeType": "application/octet-stream"})

        def host(ctx, uri, v):
            if v["id"] == "missing":
                raise KeyError(v["id"])
            if v["id"] == "bad":
                raise ValueError("id must be a host")
            if v["id"] == "boom":
                raise RuntimeError("disk on fire")
            return [{"text": "host " + v["id"]}, {"uri": uri + "#raw", "blob": b"raw"}]

        e.add_resource_template(host, {"uriTemplate": "mem://hosts/{id}", "name": "host"})

        def greet(ctx, args):
            if args.get("name") == "nobody":
                raise RuntimeError("no one to greet")
            return {"description": "a greeting",
                    "messages": [("user", "Say hello to %s" % args["name"]),
                                 {"role": "assistant", "content": {"type": "text", "text": "Hello!"}},
                                 {"role": "user", "content": "thanks"}]}

        e.add_prompt(greet, {"name": "greet", "arguments": [{"name": "name", "required": True}]})
        e.add_prompt(lambda ctx, args: "just text", {"name": "simple"})
        e.add_completion(lambda ctx, arg, value, c: [n for n in ("alice", "albert", "bob")
                                                     if n.startswith(value)],
                         "ref/prompt", "greet")
        e.add_completion(lambda ctx, arg, value, c: {"values": ["h1"], "total": 10, "hasMore": True},
                         "ref/resource", "mem://hosts/{id}")

    def test_initialize_reports_info_instructions_and_capabilities(self):
        self.assertEqual(self.init["serverInfo"]["title"], "Python test server")
        self.assertEqual(self.init["instructions"], "Use the tools wisely.")
        caps = self.engine.capabilities()
        for c in ("resources", "prompts", "completions"):
            self.assertIn(c, caps)

    def test_resources_text_blob_and_template(self):
        r = self.session.request("resources/read", {"uri": "mem://readme"})
        self.assertEqual(r["contents"][0], {"uri": "mem://readme", "mimeType": "text/markdown",
                                            "text": "readme text"})
        r = self.session.request("resources/read", {"uri": "mem://blob"})
        self.assertEqual(r["contents"][0]["blob"], "AP8=")
        r = self.session.request("resources/read", {"uri": "mem://hosts/h7"})
        self.assertEqual(r["contents"][0]["text"], "host h7")
        self.assertEqual(r["contents"][1]["uri"], "mem://hosts/h7#raw")
        lst = self.session.request("resources/templates/list")
        self.assertEqual(lst["resourceTemplates"][0]["uriTemplate"], "mem://hosts/{id}")

    def test_resource_exceptions_map_to_json_rpc_errors(self):
        def err(uri):
            out = self.session.handle({"jsonrpc": "2.0", "id": 9, "method": "resources/read",
                                       "params": {"uri": uri}})
            return out[-1]["error"]

        self.assertEqual(err("mem://hosts/missing")["code"], -32002)
        self.assertEqual(err("mem://hosts/bad")["code"], -32602)
        self.assertIn("disk on fire", err("mem://hosts/boom")["message"])

    def test_prompts(self):
        r = self.session.request("prompts/get", {"name": "greet", "arguments": {"name": "Ann"}})
        self.assertEqual(r["description"], "a greeting")
        self.assertEqual([m["role"] for m in r["messages"]], ["user", "assistant", "user"])
        self.assertEqual(r["messages"][0]["content"]["text"], "Say hello to Ann")
        r = self.session.request("prompts/get", {"name": "simple"})
        self.assertEqual(r["messages"][0]["content"]["text"], "just text")
        out = self.session.handle({"jsonrpc": "2.0", "id": 3, "method": "prompts/get",
                                   "params": {"name": "greet", "arguments": {"name": "nobody"}}})
        self.assertIn("no one to greet", out[-1]["error"]["message"])

    def test_completions(self):
        r = self.session.request("completion/complete", {
            "ref": {"type": "ref/prompt", "name": "greet"},
            "argument": {"name": "name", "value": "al"}})
        self.assertEqual(r["completion"]["values"], ["alice", "albert"])
        r = self.session.request("completion/complete", {
            "ref": {"type": "ref/resource", "uri": "mem://hosts/{id}"},
            "argument": {"name": "id", "value": ""}})
        self.assertEqual(r["completion"], {"values": ["h1"], "total": 10, "hasMore": True})


class ContextTest(EngineCase):
    threads = 2
    client_caps = {"elicitation": {}}

    def register(self):
        self.seen = {}
        self.kept_ctx = []

        def inspect(ctx, args):
            self.seen.update(identity=ctx.identity, version=ctx.protocol_version,
                             method=ctx.method, request_id=ctx.request_id,
                             client_info=ctx.client_info, meta=ctx.meta,
                             caps=ctx.client_capabilities, cancelled=ctx.is_cancelled,
                             session_id=ctx.session_id, traceparent=ctx.traceparent)
            ctx.set_trace("00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01")
            self.seen["traceparent_after"] = ctx.traceparent
            self.kept_ctx.append(ctx)
            return "ok"

        def progress(ctx, args):
            ctx.progress(1, 2, "half way")
            ctx.progress(2, 2)
            ctx.log("warning", {"note": "careful"}, "pytool")
            return "done"

        def ask(ctx, args):
            answer = ctx.elicit("Which project?", {"type": "object",
                                                   "properties": {"p": {"type": "string"}}})
            return {"answer": answer}

        def sample(ctx, args):
            return ctx.sample("hi")  # the client declared no sampling capability

        def slow(ctx, args):
            deadline = time.monotonic() + 10
            while not ctx.is_cancelled and time.monotonic() < deadline:
                time.sleep(0.01)
            self.seen["slow_cancelled"] = ctx.is_cancelled
            return "finished"

        for fn in (inspect, progress, ask, sample, slow):
            self.engine.add_tool(fn, description=fn.__name__)

    def test_context_exposes_the_request(self):
        self.session.set_identity("key:alice")
        self.session.set_id("sess-1")
        r = self.session.request("tools/call", {"name": "inspect", "arguments": {},
                                                "_meta": {"trace": "x"}}, request_id="abc")
        self.assertEqual(self.text(r), "ok")
        s = self.seen
        self.assertEqual((s["identity"], s["version"], s["method"], s["request_id"], s["session_id"]),
                         ("key:alice", "2025-11-25", "tools/call", "abc", "sess-1"))
        self.assertEqual(s["client_info"]["name"], "pcfmcp-python")
        self.assertEqual(s["meta"], {"trace": "x"})
        self.assertIn("elicitation", s["caps"])
        self.assertFalse(s["cancelled"])
        self.assertTrue(s["traceparent_after"].startswith("00-0af7"))

    def test_context_is_dead_after_its_handler(self):
        self.call("inspect")
        with self.assertRaises(PcfmcpError) as cm:
            self.kept_ctx[0].identity
        self.assertEqual(cm.exception.code, ErrorCode.STATE)

    def test_progress_and_log_notifications(self):
        self.session.request("logging/setLevel", {"level": "debug"}, request_id=50)
        h, out = self.session.handle_raw({"jsonrpc": "2.0", "id": 51, "method": "tools/call",
                                          "params": {"name": "progress", "arguments": {},
                                                     "_meta": {"progressToken": "tok"}}})
        self.assertEqual(h, Handled.PENDING)
        msgs = [(json.loads(t), f) for t, f in out]
        notes = [m for m, f in msgs if f & Emit.NOTIFICATION]
        self.assertEqual([n["method"] for n in notes],
                         ["notifications/progress", "notifications/progress", "notifications/message"])
        self.assertEqual(notes[0]["params"]["message"], "half way")
        self.assertEqual(notes[2]["params"]["data"], {"note": "careful"})
        self.assertTrue(msgs[-1][1] & Emit.FINAL)

    def test_elicitation_goes_through_the_responder(self):
        asked = []

        def responder(req):
            asked.append(req)
            return {"action": "accept", "content": {"p": "ACME"}}

        r = self.call("ask", responder=responder)
        self.assertEqual(asked[0]["method"], "elicitation/create")
        self.assertEqual(r["structuredContent"]["answer"],
                         {"action": "accept", "content": {"p": "ACME"}})

    def test_elicitation_error_from_client_is_a_tool_error(self):
        def responder(req):
            raise RuntimeError("user closed the dialog")

        r = self.call("ask", responder=responder)
        self.assertTrue(r["isError"])

    def test_request_without_client_capability_is_a_tool_error(self):
        r = self.call("sample")
        self.assertTrue(r["isError"])

    def test_cancellation_reaches_the_handler(self):
        emitted = []
        done = threading.Event()

        def on_emit(text, flags):
            emitted.append((text, flags))
            if flags & Emit.FINAL:
                done.set()

        h = self.session.send({"jsonrpc": "2.0", "id": 77, "method": "tools/call",
                               "params": {"name": "slow", "arguments": {}}}, on_emit)
        self.assertEqual(h, Handled.PENDING)
        deadline = time.monotonic() + 5
        while self.session.inflight == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        self.session.handle({"jsonrpc": "2.0", "method": "notifications/cancelled",
                             "params": {"requestId": 77}})
        self.assertTrue(done.wait(10))
        self.assertEqual(emitted[-1], (None, Emit.FINAL))
        self.assertTrue(self.seen["slow_cancelled"])

    def test_timeout_while_waiting_for_a_pending_answer(self):
        with self.assertRaises(PcfmcpError) as cm:
            self.call("slow", timeout=0.2, request_id=88)
        self.assertEqual(cm.exception.code, ErrorCode.TIMEOUT)
        self.session.cancel_all()


class SessionNotifyHooksTest(EngineCase):
    def register(self):
        self.engine.enable_subscriptions()
        self.engine.add_resource(lambda c, u, v: "v1", {"uri": "mem://watched", "name": "w"})
        self.engine.add_tool(lambda c, a: "fine", name="allowed", description="x")
        self.engine.add_tool(lambda c, a: "never", name="forbidden", description="x")
        self.events = []

        def before(ctx, method, name, args):
            if name == "forbidden":
                return "forbidden by the test policy"
            return None

        def after(ctx, method, name, outcome, rpc_error, seconds):
            self.events.append((method, name, outcome, rpc_error))

        self.engine.set_hooks(before, after)

    def test_before_hook_refuses_and_after_hook_sees_outcomes(self):
        self.assertEqual(self.text(self.call("allowed")), "fine")
        r = self.call("forbidden")
        self.assertTrue(r["isError"])
        self.assertIn("forbidden by the test policy", self.text(r))
        outcomes = [(m, n, o) for m, n, o, _ in self.events if m == "tools/call"]
        self.assertEqual(outcomes, [("tools/call", "allowed", pcfmcp.Outcome.OK),
                                    ("tools/call", "forbidden", pcfmcp.Outcome.REFUSED)])

    def test_notify_receives_list_changed_and_resource_updates(self):
        got = []
        self.session.set_notify(got.append)
        self.engine.add_tool(lambda c, a: "", name="late", description="added while serving")
        self.session.request("resources/subscribe", {"uri": "mem://watched"}, request_id=5)
        self.engine.notify_resource_updated("mem://watched")
        methods = [m["method"] for m in got]
        self.assertIn("notifications/tools/list_changed", methods)
        self.assertIn("notifications/resources/updated", methods)
        self.session.set_notify(None)

    def test_session_state(self):
        self.assertTrue(self.session.is_initialized)
        self.assertEqual(self.session.protocol_version, "2025-11-25")
        self.assertEqual(self.session.inflight, 0)
        with self.engine.session(stateless=True) as s2:
            s2.set_protocol_version("2025-06-18")
            self.assertTrue(s2.is_initialized)
            r = s2.request("tools/list")
            self.assertTrue(r["tools"])

    def test_closing_the_engine_closes_its_sessions(self):
        s2 = self.engine.session()
        self.engine.close()
        self.assertTrue(s2.closed)
        self.assertTrue(self.session.closed)


if __name__ == "__main__":
    unittest.main()
