"""Every PCF operation by name (Pcf.operation, pcfmcp.operations) against
the fake PCF, including the project-workspace ones that exist only there."""

import unittest

import support
import pcfmcp
from pcfmcp import ErrorCode, PcfError


class OperationsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fake = support.fake()

    @classmethod
    def tearDownClass(cls):
        cls.fake.stop()

    def setUp(self):
        self.fake.control("reset", {"seed": "minimal"})
        self.pcf = pcfmcp.Pcf(self.fake.base, email=support.EMAIL, password=support.PASSWORD)
        self.project = self.pcf.projects_list()["projects"][0]["id"]

    def tearDown(self):
        self.pcf.close()

    def test_operations_lists_every_name_with_its_arguments(self):
        ops = {o["name"]: o for o in pcfmcp.operations()}
        self.assertIn("hosts_list", ops)
        self.assertEqual(ops["task_create"]["required"], ["name"])
        self.assertEqual(ops["file_download"]["ids"], ["project_id", "file_id"])
        self.assertTrue(ops["chat_post"]["writes"] and ops["chat_post"]["web_session"])
        self.assertFalse(ops["tasks_list"]["writes"])

    def test_workspace_operations_round_trip(self):
        pid = self.project
        tid = self.pcf.operation("task_create", {"project_id": pid, "name": "Scan"})["task_id"]
        tasks = self.pcf.operation("tasks_list", {"project_id": pid})["tasks"]
        self.assertEqual(tasks[tid]["name"], "Scan")
        up = self.pcf.operation("file_upload", {"project_id": pid, "filename": "a.txt",
                                                "filetype": "text", "b64content": "aGk="})
        r = self.pcf.operation_result("file_download", {"project_id": pid,
                                                        "file_id": up["file_id"]})
        self.assertEqual(r["error"], 0)
        self.assertEqual(r["data"], b"hi")
        self.assertEqual(r["filename"], "a.txt")

    def test_failures_raise_pcf_error(self):
        with self.assertRaises(PcfError) as cm:
            self.pcf.operation("task_update", {"project_id": self.project,
                                               "task_id": "00000000-0000-4000-8000-000000000000",
                                               "name": "x"})
        self.assertEqual(cm.exception.code, ErrorCode.NOT_FOUND)
        with self.assertRaises(PcfError) as cm:
            self.pcf.operation("no_such_operation")
        self.assertEqual(cm.exception.code, ErrorCode.INVALID_ARG)
        r = self.pcf.operation_result("tasks_list", {})
        self.assertEqual(r["error"], ErrorCode.INVALID_ARG)


if __name__ == "__main__":
    unittest.main()


class DynamicToolsetsTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fake = support.fake()

    @classmethod
    def tearDownClass(cls):
        cls.fake.stop()

    def setUp(self):
        self.pcf = pcfmcp.Pcf(self.fake.base, token=support.TOKEN)
        self.engine = pcfmcp.Engine("dynamic-test", "1", threads=2)

    def tearDown(self):
        self.engine.close()
        self.pcf.close()

    def test_enable_toolset_adds_its_tools_at_run_time(self):
        ts = pcfmcp.Toolset()
        ts.set_pcf(self.pcf)
        ts.set_toolsets("default")
        ts.set_dynamic(True)
        ts.register(self.engine)
        s = self.engine.session()
        s.initialize()
        names = {t["name"] for t in self.engine.tools()}
        self.assertIn("enable_toolset", names)
        self.assertNotIn("list_teams", names)
        r = s.request("tools/call", {"name": "enable_toolset", "arguments": {"toolset": "teams"}})
        self.assertEqual(r["structuredContent"]["tools"], ["list_teams", "get_team", "get_user"])
        self.assertIn("list_teams", {t["name"] for t in self.engine.tools()})
        r = s.request("tools/call", {"name": "list_teams", "arguments": {}})
        self.assertNotIn("isError", r)

    def test_engine_batches_list_changed_notifications(self):
        before = self.engine.tool_count
        self.engine.batch_begin()

        def one(args):
            return "1"
        self.engine.add_tool(one, "one", "a tool", {"type": "object"})
        self.engine.batch_end()
        self.assertEqual(self.engine.tool_count, before + 1)
        with self.assertRaises(pcfmcp.PcfmcpError) as cm:
            self.engine.batch_end()
        self.assertEqual(cm.exception.code, ErrorCode.STATE)
