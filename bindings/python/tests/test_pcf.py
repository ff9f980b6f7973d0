"""The PCF client against the fake PCF: every endpoint method, the generic
call path, and how failures map to PcfError."""

import unittest

import support
import pcfmcp
from pcfmcp import ErrorCode, PcfError, PcfmcpError

NMAP = b"""<?xml version="1.0"?>
<nmaprun><host><status state="up"/><address addr="10.0.0.77" addrtype="ipv4"/>
<ports><port protocol="tcp" portid="22"><state state="open"/>
<service name="ssh" product="OpenSSH"/></port></ports></host></nmaprun>"""


class PcfTestCase(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.fake = support.fake()
        cls.logger = pcfmcp.Logger()
        cls.lines = []
        cls.logger.set_sink(lambda level, line: cls.lines.append(line))

    @classmethod
    def tearDownClass(cls):
        cls.fake.stop()
        cls.logger.close()

    def setUp(self):
        self.fake.control("reset", {"seed": "minimal"})
        self.fake.control("faults/clear", {})
        self.pcf = pcfmcp.Pcf(self.fake.base, self.logger, token=support.TOKEN,
                              email=support.EMAIL, password=support.PASSWORD)
        self.pcf.set_retry(1, 10, 10)
        self.project = self.pcf.projects_list()["projects"][0]["id"]

    def tearDown(self):
        self.pcf.close()

    def first_host(self):
        return self.pcf.hosts_list(self.project)["hosts"][0]

    def first_issue(self):
        return self.pcf.issues_list(self.project)["issues"][0]


class EndpointsTest(PcfTestCase):
    def test_tokens_and_users(self):
        self.assertIn("time_left", self.pcf.check())
        self.assertGreater(self.pcf.token_expiry, 0)
        self.assertIn("time_left", self.pcf.token_check())
        created = self.pcf.token_create(support.EMAIL, support.PASSWORD, "py", 3600)
        self.assertRegex(created["access_token"], r"^[0-9a-f-]{36}$")
        me = self.pcf.user_me()
        uid = me["id"]
        self.assertEqual(self.pcf.user_info(uid)["id"], uid)
        other = self.pcf.sibling()
        other.set_token(created["access_token"])
        self.assertTrue(other.token_disable() is not None)
        with self.assertRaises(PcfError) as cm:
            other.projects_list()
        self.assertEqual(cm.exception.code, ErrorCode.AUTH)
        other.close()

    def test_teams(self):
        team = self.pcf.teams_list()["teams"][0]["id"]
        self.assertEqual(self.pcf.team_info(team)["id"], team)
        users = self.pcf.team_users(team)
        self.assertTrue(users)
        names = [p["name"] for p in self.pcf.team_projects(team)["projects"]]
        self.assertEqual(names, ["Minimal project"])
        self.pcf.team_update(team, {"description": "updated from Python"})
        self.assertEqual(self.pcf.team_info(team)["description"], "updated from Python")
        logs = self.pcf.team_logs(team, 10, 0)
        self.assertTrue(logs)
        second = [u for u in self.pcf.team_users(team)["users"]
                  if u["email"] == "pcf-second@example.com"][0]["id"]
        self.pcf.team_user_set_admin(team, second)
        self.pcf.team_user_devote(team, second)
        self.pcf.team_user_delete(team, second)
        self.pcf.team_user_add(team, "pcf-second@example.com", False)

    def test_projects(self):
        new = self.pcf.project_create("From Python", {"description": "made by the bindings"})
        pid = new["project_id"]
        self.assertEqual(self.pcf.project_settings(pid)["name"], "From Python")
        self.pcf.project_update(pid, {"description": "changed"})
        self.assertEqual(self.pcf.project_settings(pid)["description"], "changed")

    def test_hosts_ports_hostnames(self):
        hid = self.pcf.host_create(self.project, "10.0.0.20", {"description": "db"})["host_id"]
        self.pcf.host_update(self.project, hid, {"os": "Linux"})
        self.assertEqual(self.pcf.host_info(self.project, hid)["os"], "Linux")
        port = self.pcf.port_create(self.project, hid, 5432, True, {"service": "postgres"})["port_id"]
        self.assertEqual(self.pcf.port_info(self.project, port)["port"], 5432)
        self.pcf.port_update(self.project, port, {"description": "primary"})
        self.pcf.hostname_add(self.project, hid, "db.minimal.example")
        names = [h["hostname"] for h in self.pcf.hostnames_list(self.project)["hostnames"]]
        self.assertIn("db.minimal.example", names)
        self.pcf.port_delete(self.project, port)
        self.pcf.host_delete(self.project, hid)
        ips = [h["ip"] for h in self.pcf.hosts_list(self.project)["hosts"]]
        self.assertNotIn("10.0.0.20", ips)

    def test_networks(self):
        nid = self.pcf.network_create(self.project, "10.9.0.0", 16, {"name": "lab"})["network_id"]
        self.assertEqual(self.pcf.network_info(self.project, nid)["name"], "lab")
        self.pcf.network_update(self.project, nid, {"description": "lab net"})
        self.assertEqual(self.pcf.network_info(self.project, nid)["description"], "lab net")
        self.assertIn(nid, str(self.pcf.networks_list(self.project)))
        self.pcf.network_delete(self.project, nid)

    def test_issues_and_pocs(self):
        issue = self.first_issue()["issue_id"]
        self.assertEqual(self.pcf.issue_info(self.project, issue)["name"],
                         "Directory listing enabled")
        found = self.pcf.issues_search(self.project, {"name": "%listing%"})
        self.assertIn(issue, str(found))
        new = self.pcf.issue_create(self.project, "Weak TLS", {"cvss": 5.0, "description": "TLS 1.0"})
        nid = new["issue_id"]
        self.pcf.issue_update(self.project, nid, {"fix": "Disable TLS 1.0"})
        self.assertEqual(self.pcf.issue_info(self.project, nid)["fix"], "Disable TLS 1.0")
        poc = self.pcf.poc_add(self.project, nid, "curl -v https://x", "text",
                               {"description": "proof"})["poc_id"]
        self.assertEqual(self.pcf.poc_info(self.project, nid, poc)["id"], poc)
        self.pcf.poc_delete(self.project, nid, poc)
        self.pcf.issue_delete(self.project, nid)

    def test_rules_and_swagger(self):
        self.assertEqual(self.pcf.rules_list({"rule_ids": []}), {"result": []})
        self.assertIn("/projects", self.pcf.swagger()["paths"])
        with support.fake("--seed", "demo") as demo, \
                pcfmcp.Pcf(demo.base, token=support.TOKEN) as pcf:
            rules = pcf.rules_list()["result"]
            self.assertEqual(len(rules), 2)
            project = [p for p in pcf.projects_list()["projects"]
                       if p["name"] == "ACME external pentest"][0]["id"]
            issues = [i["issue_id"] for i in pcf.issues_list(project)["issues"]]
            used = pcf.rules_use(project, [r["id"] for r in rules], issues)
            self.assertEqual(used["status"], "ok")
            self.assertIn("updated_issues", used)

    def test_web_ui_features(self):
        snap = self.pcf.project_snapshot(self.project)
        self.assertIn("hosts", snap)
        cred = self.pcf.credential_create(self.project, "admin",
                                          {"cleartext_password": "pw", "comment": "py"})
        cid = cred["credential_id"]
        self.assertIn(cid, self.pcf.credentials_list(self.project)["credentials"])
        self.pcf.credential_update(self.project, cid, {"comment": "changed"})
        self.pcf.credential_delete(self.project, cid)
        note = self.pcf.note_create(self.project, "py note", None, "<p>hi</p>")["note_id"]
        self.pcf.note_update(self.project, note, "<p>hello</p>")
        self.pcf.note_rename(self.project, note, "renamed")
        self.assertEqual(self.pcf.notes_list(self.project)["notes"][note]["name"], "renamed")
        self.pcf.note_delete(self.project, note)
        imp = self.pcf.nmap_import(self.project, NMAP, {"rule": "open"})
        self.assertEqual(imp["status"], "ok")
        csv = "Hostname,IPs,CNAME,Aliases\r\nvpn.example,10.0.0.78,,\r\n"
        self.assertRaisesRegex(PcfmcpError, "its form class is gone",
                               self.pcf.scan_import, self.project, "aiodnsbrute", csv)
        imp = self.pcf.scan_import(self.project, "dnsrecon",
                                   "Domain,Type,Name,Address,Target,Port,String\r\n"
                                   "example,A,vpn.example,10.0.0.78,,,\r\n",
                                   {"hosts_description": "from dnsrecon"})
        self.assertEqual((imp["format"], imp["kind"]), ("dnsrecon", "csv"))
        self.assertIn("10.0.0.77", [h["ip"] for h in self.pcf.hosts_list(self.project)["hosts"]])
        rep = self.pcf.report_render(self.project, template_data="Report for {{ project.name }}",
                                     template_filename="r.txt")
        self.assertEqual(rep.data, b"Report for Minimal project")
        self.assertEqual(rep.info["size"], len(rep.data))
        self.assertTrue(rep.filename.endswith(".txt"))
        self.assertTrue(rep.content_type.startswith("text/plain"))

    def test_secrets_never_reach_the_log(self):
        self.pcf.projects_list()
        self.assertFalse([l for l in self.lines if support.TOKEN in l or support.PASSWORD in l])


class GenericAndErrorsTest(PcfTestCase):
    def test_generic_call_path(self):
        self.assertEqual(self.pcf.call("hosts_list", self.project),
                         self.pcf.hosts_list(self.project))
        r = self.pcf.call_result("project_settings", self.project)
        self.assertEqual((r["error"], r["http_status"], r["attempts"]), (ErrorCode.OK, 200, 1))
        self.assertEqual(r["pcf_errors"], [])
        with self.assertRaises(PcfmcpError) as cm:
            self.pcf.call("no_such_endpoint")
        self.assertEqual(cm.exception.code, ErrorCode.NOT_FOUND)

    def test_bad_uuid_fails_before_sending(self):
        with self.assertRaises(PcfError) as cm:
            self.pcf.hosts_list("not-a-uuid")
        e = cm.exception
        self.assertEqual((e.code, e.http_status, e.attempts), (ErrorCode.INVALID_ARG, 0, 0))
        self.assertIn("project_id", e.message)

    def test_pcf_error_list_is_exposed(self):
        with self.assertRaises(PcfError) as cm:
            self.pcf.hosts_list("00000000-0000-4000-8000-000000000000")
        e = cm.exception
        self.assertEqual(e.code, ErrorCode.PCF)
        self.assertEqual(e.http_status, 400)
        self.assertEqual(e.pcf_errors, ["Project not found!"])
        self.assertEqual(e.json, {"errors": ["Project not found!"]})
        self.assertIn("Project not found!", str(e))

    def test_unknown_user_is_not_found(self):
        with self.assertRaises(PcfError) as cm:
            self.pcf.user_info("00000000-0000-4000-8000-000000000000")
        self.assertEqual(cm.exception.code, ErrorCode.NOT_FOUND)

    def test_http_status_and_bad_body(self):
        self.fake.control("faults", {"mode": "status", "status": 500, "count": 1})
        with self.assertRaises(PcfError) as cm:
            self.pcf.projects_list()
        self.assertEqual((cm.exception.code, cm.exception.http_status), (ErrorCode.HTTP, 500))
        self.fake.control("faults", {"mode": "garbage", "count": 1})
        with self.assertRaises(PcfError) as cm:
            self.pcf.projects_list()
        self.assertEqual(cm.exception.code, ErrorCode.BAD_RESPONSE)

    def test_refused_connection(self):
        with pcfmcp.Pcf("http://127.0.0.1:1", token=support.TOKEN) as dead:
            dead.set_retry(1, 10, 10)
            dead.set_timeouts(2000, 2000, 4000)
            with self.assertRaises(PcfError) as cm:
                dead.projects_list()
        self.assertEqual((cm.exception.code, cm.exception.http_status), (ErrorCode.CONNECT, 0))

    def test_setters_validate_and_freeze_after_first_use(self):
        with pcfmcp.Pcf(self.fake.base) as p:
            p.set_token_duration(600)
            p.set_timeouts(1000, 2000, 3000)
            p.set_max_body(1 << 20)
            p.set_channel("issues_write", "api")
            p.set_allow_api_issue_writes(True)
            p.set_token_state_file("/tmp/pcf-mcp-token-state.json")
            p.set_token_state_file(None)
            with self.assertRaises(PcfmcpError) as cm:
                p.set_token_state_file("")
            self.assertEqual(cm.exception.code, ErrorCode.INVALID_ARG)
            p.set_basic_auth("u", "p4ssword")
            p.set_insecure(False)
            with self.assertRaises(PcfmcpError) as cm:
                p.set_channel("teleport", "api")
            self.assertEqual(cm.exception.code, ErrorCode.NOT_FOUND)
            with self.assertRaises(PcfmcpError) as cm:
                p.set_token("not a uuid")
            self.assertEqual(cm.exception.code, ErrorCode.INVALID_ARG)
            p.set_ca_dir("/etc/ssl/certs")
            p.set_token(support.TOKEN)
            p.projects_list()
            with self.assertRaises(PcfmcpError) as cm:
                p.set_token(support.TOKEN)
            self.assertEqual(cm.exception.code, ErrorCode.STATE)
        with self.assertRaises(PcfmcpError) as cm:
            pcfmcp.Pcf("ftp://example.com")
        self.assertEqual(cm.exception.code, ErrorCode.INVALID_ARG)

    def test_capabilities(self):
        self.assertEqual(self.pcf.capability("notes"), (True, None))
        with pcfmcp.Pcf(self.fake.base, token=support.TOKEN) as token_only:
            ok, why = token_only.capability("notes")
            self.assertFalse(ok)
            self.assertIn("pcf.email", why)
            with self.assertRaises(PcfmcpError) as cm:
                token_only.capability("teleport")
            self.assertEqual(cm.exception.code, ErrorCode.NOT_FOUND)

    def test_observer_sees_every_attempt(self):
        seen = []
        self.pcf.set_observer(lambda *a: seen.append(a))
        self.pcf.hosts_list(self.project)
        endpoint, status, error, seconds, attempt, is_retry = seen[-1]
        self.assertEqual((status, error, attempt, is_retry), (200, ErrorCode.OK, 1, False))
        self.assertIsInstance(endpoint, str)
        self.assertGreaterEqual(seconds, 0)
        self.pcf.set_observer(lambda *a: 1 / 0)  # a raising observer changes nothing
        self.pcf.hosts_list(self.project)
        self.pcf.set_observer(None)


if __name__ == "__main__":
    unittest.main()
