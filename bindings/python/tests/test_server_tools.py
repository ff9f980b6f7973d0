"""Server built from a Config, and the PCF Toolset registered on an Engine."""

import json
import unittest

import support
import pcfmcp
from pcfmcp import ErrorCode, PcfmcpError


class ToolsetTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fake = support.fake()

    @classmethod
    def tearDownClass(cls):
        cls.fake.stop()

    def setUp(self):
        self.pcf = pcfmcp.Pcf(self.fake.base, token=support.TOKEN)
        self.engine = pcfmcp.Engine("toolset-test", "1", threads=2)

    def tearDown(self):
        self.engine.close()
        self.pcf.close()

    def serve(self, ts):
        ts.register(self.engine)
        s = self.engine.session()
        s.initialize()
        return s

    def test_known_tools_lists_the_registry(self):
        names = pcfmcp.known_tools()
        self.assertIn("list_projects", names)
        self.assertIn("delete_host", names)

    def test_registered_toolset_calls_pcf(self):
        ts = pcfmcp.Toolset()
        ts.set_pcf(self.pcf)
        ts.set_read_only(True)
        ts.set_max_response_bytes(32768)
        ts.set_max_field_chars(500)
        ts.set_default_project("Minimal project")
        ts.set_report_dir(None)
        ts.set_imports("/tmp", 1 << 20, "broken")
        self.assertRaises(PcfmcpError, ts.set_imports, None, 10, None)
        lg = pcfmcp.Logger()
        lg.set_sink(lambda level, line: None)
        ts.set_logger(lg)
        s = self.serve(ts)
        names = {t["name"] for t in self.engine.tools()}
        self.assertIn("list_hosts", names)
        self.assertNotIn("add_host", names)
        r = s.request("tools/call", {"name": "list_hosts", "arguments": {}})
        self.assertNotIn("isError", r)
        self.assertIn("10.0.0.10", json.dumps(r["structuredContent"]))
        with self.assertRaises(PcfmcpError) as cm:
            ts.close()  # the engine still uses it
        self.assertEqual(cm.exception.code, ErrorCode.STATE)
        with self.assertRaises(PcfmcpError) as cm:
            ts.register(self.engine)
        self.assertEqual(cm.exception.code, ErrorCode.STATE)
        self.engine.close()
        ts.close()
        lg.close()

    def test_gates_allow_deny_projects_groups(self):
        ts = pcfmcp.Toolset()
        ts.set_toolsets(["projects", "hosts"])
        ts.set_allow("list_projects,list_hosts,delete_host")
        ts.set_deny(["list_hosts"])
        ts.set_enable_destructive(True)
        ts.set_projects(["Minimal project"])
        ts.set_pcf(self.pcf)
        with self.assertRaises(PcfmcpError) as cm:
            ts.set_allow("no_such_tool")
        self.assertEqual(cm.exception.code, ErrorCode.CONFIG)
        self.assertIn("no_such_tool", cm.exception.message)
        with self.assertRaises(PcfmcpError):
            ts.set_toolsets("nonsense")
        self.serve(ts)
        self.assertEqual(sorted(t["name"] for t in self.engine.tools()),
                         ["delete_host", "list_projects"])
        with self.assertRaises(PcfmcpError) as cm:
            ts.set_read_only(True)  # registered: configuration is frozen
        self.assertEqual(cm.exception.code, ErrorCode.STATE)

    def test_resolver_picks_a_client_per_identity(self):
        ts = pcfmcp.Toolset()

        def resolve(identity):
            if identity == "key:alice":
                return self.pcf
            raise PermissionError("%s has no PCF account here" % identity)

        ts.set_resolver(resolve)
        s = self.serve(ts)
        s.set_identity("key:mallory")
        r = s.request("tools/call", {"name": "list_projects", "arguments": {}})
        self.assertTrue(r["isError"])
        self.assertIn("key:mallory has no PCF account here", json.dumps(r))
        s.set_identity("key:alice")
        r = s.request("tools/call", {"name": "list_projects", "arguments": {}}, request_id=2)
        self.assertNotIn("isError", r)
        self.assertIn("Minimal project", json.dumps(r))

    def test_from_config(self):
        with pcfmcp.Config() as cfg:
            cfg["tools.read_only"] = True
            with pcfmcp.Toolset.from_config(cfg) as ts:
                ts.set_pcf(self.pcf)
            cfg["tools.allow"] = "not_a_tool"
            with self.assertRaises(PcfmcpError) as cm:
                pcfmcp.Toolset.from_config(cfg)
            self.assertEqual(cm.exception.code, ErrorCode.CONFIG)
            self.assertIn("not_a_tool", cm.exception.message)


class ServerTest(unittest.TestCase):
    def config(self, **values):
        cfg = pcfmcp.Config()
        cfg["pcf.url"] = "http://127.0.0.1:1"
        cfg["pcf.token"] = support.TOKEN
        cfg["log.level"] = "warn"
        for k, v in values.items():
            cfg[k.replace("__", ".")] = v
        return cfg

    def test_server_exposes_engine_logger_and_reloads(self):
        with self.config(log__level="warn") as cfg, pcfmcp.Server(cfg) as srv:
            lines = []
            lg = srv.logger
            lg.set_sink(lambda level, line: lines.append(line))
            self.assertEqual(lg.level, pcfmcp.LogLevel.WARN)
            eng = srv.engine
            self.assertIs(eng, srv.engine)
            eng.add_tool(lambda c, a: "from python", name="py_tool", description="x")
            self.assertIn("py_tool", [t["name"] for t in eng.tools()])
            s = eng.session()
            s.initialize()
            r = s.request("tools/call", {"name": "py_tool", "arguments": {}})
            self.assertEqual(r["content"][0]["text"], "from python")
            cfg["log.level"] = "debug"
            srv.reload(cfg)
            self.assertEqual(lg.level, pcfmcp.LogLevel.DEBUG)
            self.assertTrue(any("log.level" in l for l in lines))
            srv.stop()  # a stop before run() still counts
            self.assertEqual(srv.run(handle_signals=False), ErrorCode.OK)
            lg.close()
        self.assertTrue(s.closed)
        self.assertTrue(eng.closed)

    def test_bad_configuration_raises_with_the_servers_message(self):
        with self.config(tools__allow="not_a_tool") as cfg:
            with self.assertRaises(PcfmcpError) as cm:
                pcfmcp.Server(cfg)
        self.assertEqual(cm.exception.code, ErrorCode.CONFIG)
        self.assertIn("not_a_tool", cm.exception.message)


if __name__ == "__main__":
    unittest.main()
