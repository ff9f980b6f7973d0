"""Stdio servers driven over pipes: the Stdio class in-process, the example
server as a child process, and a Server (PCF toolset + a Python tool) as a
child process against the fake PCF."""

import json
import os
import select
import subprocess
import sys
import textwrap
import threading
import time
import unittest

import support
import pcfmcp

EXAMPLES = os.path.join(support.PYDIR, "examples")
INIT = {"jsonrpc": "2.0", "id": 0, "method": "initialize",
        "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                   "clientInfo": {"name": "pipe-test", "version": "0"}}}
INITIALIZED = {"jsonrpc": "2.0", "method": "notifications/initialized"}


class LineClient:
    """Newline-delimited JSON-RPC over a pair of file descriptors."""

    def __init__(self, wfd, rfd):
        self.wfd, self.rfd, self.buf = wfd, rfd, b""

    def send(self, msg):
        os.write(self.wfd, (json.dumps(msg) + "\n").encode())

    def recv(self, want_id, timeout=20.0):
        deadline = time.monotonic() + timeout
        while True:
            while b"\n" in self.buf:
                line, self.buf = self.buf.split(b"\n", 1)
                msg = json.loads(line)
                if msg.get("id") == want_id and "method" not in msg:
                    return msg
            left = deadline - time.monotonic()
            if left <= 0 or not select.select([self.rfd], [], [], left)[0]:
                raise AssertionError("no answer to id %r" % want_id)
            chunk = os.read(self.rfd, 65536)
            if not chunk:
                raise AssertionError("server closed its output before answering %r" % want_id)
            self.buf += chunk

    def call(self, msg):
        self.send(msg)
        return self.recv(msg["id"])


def child(args, env=None):
    return subprocess.Popen([sys.executable] + args, stdin=subprocess.PIPE,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=env or support.call_env())


class InProcessStdioTest(unittest.TestCase):
    def test_stdio_serves_an_engine_over_pipes_until_input_ends(self):
        engine = pcfmcp.Engine("pipe", "1", threads=2)
        engine.add_tool(lambda ctx, a: "hi %s" % ctx.identity, name="hello", description="x")
        c2s_r, c2s_w = os.pipe()
        s2c_r, s2c_w = os.pipe()
        stdio = pcfmcp.Stdio(engine, c2s_r, s2c_w, identity="pipe-user")
        stdio.set_max_line(1 << 20)
        stdio.set_grace(2000)
        lg = pcfmcp.Logger()
        lg.set_sink(lambda level, line: None)
        stdio.set_logger(lg)
        result = {}
        t = threading.Thread(target=lambda: result.setdefault("rc", stdio.run(handle_signals=False)))
        t.start()
        try:
            cl = LineClient(c2s_w, s2c_r)
            self.assertEqual(cl.call(INIT)["result"]["serverInfo"]["name"], "pipe")
            cl.send(INITIALIZED)
            r = cl.call({"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                         "params": {"name": "hello", "arguments": {}}})
            self.assertEqual(r["result"]["content"][0]["text"], "hi pipe-user")
        finally:
            os.close(c2s_w)  # end of input ends the session
            t.join(20)
        self.assertFalse(t.is_alive())
        self.assertEqual(result["rc"], pcfmcp.ErrorCode.OK)
        stdio.close()
        engine.close()
        for fd in (c2s_r, s2c_r, s2c_w):
            os.close(fd)

    def test_stop_ends_a_running_transport(self):
        engine = pcfmcp.Engine("pipe", "1", threads=1)
        r, w = os.pipe()
        out_r, out_w = os.pipe()
        with pcfmcp.Stdio(engine, r, out_w) as stdio:
            t = threading.Thread(target=stdio.run, kwargs={"handle_signals": False})
            t.start()
            stdio.stop()  # before or after run() starts: either way it returns
            t.join(20)
            self.assertFalse(t.is_alive())
        engine.close()
        for fd in (r, w, out_r, out_w):
            os.close(fd)


class ExampleServerTest(unittest.TestCase):
    def test_dice_server_answers_over_a_pipe_and_exits_at_eof(self):
        p = child([os.path.join(EXAMPLES, "dice_server.py")])
        try:
            cl = LineClient(p.stdin.fileno(), p.stdout.fileno())
            init = cl.call(INIT)["result"]
            self.assertEqual(init["serverInfo"]["name"], "dice-server")
            self.assertIn("Rolls dice", init["instructions"])
            cl.send(INITIALIZED)
            tools = cl.call({"jsonrpc": "2.0", "id": 1, "method": "tools/list"})["result"]["tools"]
            self.assertEqual([t["name"] for t in tools], ["roll_dice"])
            r = cl.call({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                         "params": {"name": "roll_dice", "arguments": {"count": 3, "sides": 6}}})
            sc = r["result"]["structuredContent"]
            self.assertEqual(len(sc["rolls"]), 3)
            self.assertEqual(sum(sc["rolls"]), sc["total"])
            self.assertTrue(all(1 <= x <= 6 for x in sc["rolls"]))
            bad = cl.call({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
                           "params": {"name": "roll_dice", "arguments": {"count": 0}}})
            self.assertTrue(bad["result"]["isError"])
            p.stdin.close()
            self.assertEqual(p.wait(20), 0)
        finally:
            if p.poll() is None:
                p.kill()
                p.wait()
            p.stdout.close()
            p.stderr.close()

    def test_list_projects_example_prints_the_projects(self):
        with support.fake() as f:
            env = support.call_env()
            env.update(PCF_MCP_PCF_URL=f.base, PCF_MCP_PCF_TOKEN=support.TOKEN)
            out = subprocess.run([sys.executable, os.path.join(EXAMPLES, "list_projects.py")],
                                 env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 0, out.stderr)
        self.assertIn("Minimal project", out.stdout)
        self.assertIn("1 project(s)", out.stderr)

    def test_list_projects_example_reports_a_rejected_token(self):
        with support.fake() as f:
            env = support.call_env()
            env.update(PCF_MCP_PCF_URL=f.base,
                       PCF_MCP_PCF_TOKEN="99999999-2222-4333-8444-555555555555")
            out = subprocess.run([sys.executable, os.path.join(EXAMPLES, "list_projects.py")],
                                 env=env, capture_output=True, text=True, timeout=60)
        self.assertEqual(out.returncode, 1)
        self.assertIn("PCFMCP_ERR_AUTH", out.stderr)


SERVER_SCRIPT = textwrap.dedent("""
    import sys, pcfmcp
    cfg = pcfmcp.Config()
    cfg.load_env()
    cfg.resolve_secrets()
    srv = pcfmcp.Server(cfg)
    lg = srv.logger
    lg.set_sink(lambda level, line: sys.stderr.write(line + "\\n"))
    srv.engine.add_tool(lambda ctx, a: "python inside pcf-mcp", name="py_extra",
                        description="a Python tool on the server's engine")
    rc = srv.run()
    srv.close()
    lg.close()
    sys.exit(0 if rc == pcfmcp.ErrorCode.OK else 3)
""")


class ServerOverStdioTest(unittest.TestCase):
    def test_server_serves_pcf_tools_and_a_python_tool(self):
        with support.fake() as f:
            env = support.call_env()
            for k in [k for k in env if k.startswith("PCF_MCP_")]:
                del env[k]
            env.update(PCF_MCP_PCF_URL=f.base, PCF_MCP_PCF_TOKEN=support.TOKEN,
                       PCF_MCP_LOG_LEVEL="debug", PCF_MCP_TOOLS_READ_ONLY="true")
            p = child(["-c", SERVER_SCRIPT], env)
            try:
                cl = LineClient(p.stdin.fileno(), p.stdout.fileno())
                self.assertEqual(cl.call(INIT)["result"]["serverInfo"]["name"], "pcf-mcp")
                cl.send(INITIALIZED)
                tools = cl.call({"jsonrpc": "2.0", "id": 1, "method": "tools/list",
                                 "params": {}})["result"]["tools"]
                names = {t["name"] for t in tools}
                self.assertIn("py_extra", names)
                self.assertIn("list_projects", names)
                self.assertNotIn("add_host", names)  # read-only mode
                r = cl.call({"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                             "params": {"name": "list_projects", "arguments": {}}})["result"]
                self.assertNotIn("isError", r)
                self.assertIn("Minimal project", json.dumps(r))
                r = cl.call({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
                             "params": {"name": "py_extra", "arguments": {}}})["result"]
                self.assertEqual(r["content"][0]["text"], "python inside pcf-mcp")
                p.stdin.close()
                self.assertEqual(p.wait(30), 0)
                err = p.stderr.read().decode()
                self.assertIn("serving MCP on stdio", err)  # the logger sink saw the server
                self.assertNotIn(support.TOKEN, err)
            finally:
                if p.poll() is None:
                    p.kill()
                    p.wait()
                p.stdout.close()
                p.stderr.close()


if __name__ == "__main__":
    unittest.main()
