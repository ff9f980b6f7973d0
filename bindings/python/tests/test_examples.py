"""Every example of the README's common cases is a file in examples/, the
README shows it verbatim, and each runs and does what the README says."""

import json
import os
import re
import subprocess
import sys
import unittest

import support

EXAMPLES = os.path.join(support.PYDIR, "examples")


def run(script, stdin="", env=None, args=()):
    e = support.call_env()
    e.update(env or {})
    return subprocess.run([sys.executable, os.path.join(EXAMPLES, script)] + list(args),
                          input=stdin, capture_output=True, text=True, env=e, timeout=120)


def rpc(*msgs):
    return "".join(json.dumps(m) + "\n" for m in msgs)


INIT = [{"jsonrpc": "2.0", "id": 0, "method": "initialize",
         "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                    "clientInfo": {"name": "t", "version": "1"}}},
        {"jsonrpc": "2.0", "method": "notifications/initialized"}]


def replies(stdout):
    return {m["id"]: m for m in map(json.loads, stdout.splitlines()) if "id" in m}


class ReadmeExamplesTest(unittest.TestCase):
    def test_readme_shows_the_example_files_verbatim(self):
        with open(os.path.join(support.PYDIR, "README.md")) as fh:
            readme = fh.read()
        shown = re.findall(r"<!-- examples/(\S+) -->\n```python\n(.*?)```", readme, re.S)
        self.assertEqual(sorted(n for n, _ in shown), ["call_tool.py", "pcf_server.py"])
        for name, body in shown:
            with open(os.path.join(EXAMPLES, name)) as fh:
                self.assertEqual(body, fh.read(), name)

    def test_call_tool(self):
        r = run("call_tool.py")
        self.assertEqual(r.returncode, 0, r.stderr)
        self.assertEqual(r.stdout, "5\n['add']\n")

    def test_dice_server_over_stdio(self):
        r = run("dice_server.py", rpc(*INIT, {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                                              "params": {"name": "roll_dice",
                                                         "arguments": {"count": 3, "seed": 7}}}))
        self.assertEqual(r.returncode, 0, r.stderr)
        res = replies(r.stdout)[1]["result"]["structuredContent"]
        self.assertEqual(len(res["rolls"]), 3)
        self.assertEqual(sum(res["rolls"]), res["total"])

    def test_pcf_server_with_an_own_tool(self):
        fake = support.fake()
        try:
            env = {"PCF_MCP_PCF_URL": fake.base, "PCF_MCP_PCF_TOKEN": support.TOKEN,
                   "PCF_MCP_LOG_LEVEL": "warn"}
            r = run("pcf_server.py", rpc(
                *INIT,
                {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                 "params": {"name": "caller", "arguments": {}}},
                {"jsonrpc": "2.0", "id": 2, "method": "tools/call",
                 "params": {"name": "list_projects", "arguments": {}}}), env)
        finally:
            fake.stop()
        self.assertEqual(r.returncode, 0, r.stderr)
        got = replies(r.stdout)
        self.assertTrue(got[1]["result"]["content"][0]["text"].startswith("local:"), got[1])
        self.assertFalse(got[2]["result"].get("isError"), got[2])
        self.assertTrue(got[2]["result"]["structuredContent"]["projects"], got[2])

    def test_check_config_lists_what_the_server_refuses(self):
        import pcfmcp

        cfg = pcfmcp.Config()
        self.assertEqual(pcfmcp.check_config(cfg), [])
        cfg["pcf.url"] = "ftp://pcf"
        cfg["tools.allow"] = "list_projectz"
        problems = pcfmcp.check_config(cfg)
        self.assertEqual(len(problems), 2, problems)
        with self.assertRaises(pcfmcp.PcfmcpError) as e:
            pcfmcp.Server(cfg)
        self.assertEqual(str(e.exception.message).splitlines(), problems)
        cfg.close()

    def test_pcf_server_refuses_what_config_check_refuses(self):
        r = run("pcf_server.py", env={"PCF_MCP_PCF_URL": "ftp://pcf"})
        self.assertNotEqual(r.returncode, 0)
        self.assertIn("environment PCF_MCP_PCF_URL: pcf.url: not an http(s) URL", r.stderr)


if __name__ == "__main__":
    unittest.main()
