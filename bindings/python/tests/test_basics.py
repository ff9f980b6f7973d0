"""Version, errors, global init, Logger, Config and its key table, Auth and IdentityMap."""

import json
import logging
import os
import re
import tempfile
import unittest

import support  # noqa: F401  (sets sys.path)
import pcfmcp
from pcfmcp import ErrorCode, PcfmcpError


class VersionTest(unittest.TestCase):
    def test_version_matches_version_num(self):
        v = pcfmcp.version()
        self.assertRegex(v, r"^\d+\.\d+\.\d+")
        major, minor, patch = (int(re.match(r"\d+", p).group()) for p in v.split(".")[:3])
        self.assertEqual(pcfmcp.version_num(), (major << 16) | (minor << 8) | patch)
        self.assertEqual(pcfmcp.__version__, v)

    def test_library_path_is_the_one_loaded(self):
        want = os.environ.get("PCFMCP_LIBRARY")
        if want:
            self.assertEqual(pcfmcp.library_path, want)


class ErrorsTest(unittest.TestCase):
    def test_every_code_has_a_name_and_text(self):
        for code in ErrorCode:
            self.assertEqual(pcfmcp.error_name(code),
                             "PCFMCP_OK" if code == 0 else "PCFMCP_ERR_" + code.name)
            self.assertTrue(pcfmcp.strerror(code))

    def test_error_carries_code_name_and_message(self):
        e = PcfmcpError(ErrorCode.TIMEOUT)
        self.assertEqual(e.code, ErrorCode.TIMEOUT)
        self.assertEqual(e.name, "PCFMCP_ERR_TIMEOUT")
        self.assertEqual(e.message, pcfmcp.strerror(ErrorCode.TIMEOUT))
        self.assertIn("PCFMCP_ERR_TIMEOUT", str(e))

    def test_error_last_is_the_detail_of_this_threads_last_failure(self):
        engine = pcfmcp.Engine("py-test", "1")
        try:
            with self.assertRaises(PcfmcpError) as cm:
                engine.remove_tool("nothing")
            self.assertEqual(cm.exception.code, ErrorCode.NOT_FOUND)
            self.assertEqual(cm.exception.message, 'no tool named "nothing"')
            self.assertEqual(pcfmcp.error_last(), 'no tool named "nothing"')
        finally:
            engine.close()

    def test_unknown_code_stays_an_int(self):
        e = PcfmcpError(-999)
        self.assertEqual(e.code, -999)
        self.assertTrue(e.name)

    def test_global_init_is_reference_counted(self):
        pcfmcp.global_init()
        pcfmcp.global_init()
        pcfmcp.global_cleanup()
        pcfmcp.global_cleanup()

    def test_closed_objects_raise_state(self):
        c = pcfmcp.Config()
        c.close()
        c.close()  # twice is fine
        with self.assertRaises(PcfmcpError) as cm:
            c.get("log.level")
        self.assertEqual(cm.exception.code, ErrorCode.STATE)

    def test_nul_in_a_string_is_refused_before_c_sees_it(self):
        with pcfmcp.Config() as c:
            with self.assertRaises(ValueError):
                c.set("pcf.url", "http://a\0b")


class LoggerTest(unittest.TestCase):
    def setUp(self):
        self.lg = pcfmcp.Logger()
        self.lines = []
        self.lg.set_sink(lambda level, line: self.lines.append((level, line)))

    def tearDown(self):
        self.lg.close()

    def test_sink_receives_json_lines_with_fields(self):
        self.lg.log(pcfmcp.LogLevel.WARN, "hello", "py", {"request_id": "7"})
        level, line = self.lines[-1]
        self.assertEqual(level, pcfmcp.LogLevel.WARN)
        obj = json.loads(line)
        self.assertEqual((obj["msg"], obj["component"], obj["request_id"], obj["level"]),
                         ("hello", "py", "7", "warn"))

    def test_level_threshold_drops_lines(self):
        self.lg.level = "error"
        self.assertEqual(self.lg.level, pcfmcp.LogLevel.ERROR)
        self.assertFalse(self.lg.enabled(pcfmcp.LogLevel.INFO))
        self.lg.info("dropped")
        self.lg.error("kept")
        self.assertEqual([json.loads(l)["msg"] for _, l in self.lines], ["kept"])

    def test_text_format(self):
        self.lg.set_format("text")
        self.lg.info("plain words", "py")
        self.assertIn("plain words", self.lines[-1][1])
        self.assertFalse(self.lines[-1][1].startswith("{"))
        self.lg.set_format(pcfmcp.LogFormat.JSON)

    def test_secrets_are_redacted_and_clearable(self):
        self.lg.add_secret("s3cr3t-value")
        self.lg.info("the token is s3cr3t-value")
        self.assertNotIn("s3cr3t-value", self.lines[-1][1])
        self.assertIn("[REDACTED]", self.lines[-1][1])
        self.assertEqual(self.lg.redact("x s3cr3t-value y"), "x [REDACTED] y")
        self.lg.clear_secrets()
        self.assertEqual(self.lg.redact("x s3cr3t-value y"), "x s3cr3t-value y")

    def test_short_secret_is_refused(self):
        with self.assertRaises(PcfmcpError) as cm:
            self.lg.add_secret("abc")
        self.assertEqual(cm.exception.code, ErrorCode.INVALID_ARG)

    def test_redact_removes_credential_looking_values(self):
        self.assertNotIn("hunter22", self.lg.redact('{"password": "hunter22"}'))

    def test_level_parse_and_names(self):
        self.assertEqual(pcfmcp.LogLevel.parse("WARNING"), pcfmcp.LogLevel.WARN)
        self.assertEqual(pcfmcp.LogLevel.INFO.label, "info")
        with self.assertRaises(PcfmcpError):
            pcfmcp.LogLevel.parse("loud")

    def test_raising_sink_loses_only_its_line(self):
        self.lg.set_sink(lambda level, line: 1 / 0)
        self.lg.info("into the void")  # must not raise or crash

    def test_logging_adapter_forwards_to_python_logging(self):
        records = []

        class H(logging.Handler):
            def emit(self, record):
                records.append(record)

        pylog = logging.getLogger("pcfmcp.test.adapter")
        pylog.propagate = False
        pylog.addHandler(H())
        pylog.setLevel(logging.DEBUG)
        self.lg.to_logging(pylog)
        self.lg.error("forwarded", "py", {"k": "v"})
        self.assertEqual(records[-1].getMessage(), "forwarded")
        self.assertEqual(records[-1].levelno, logging.ERROR)
        self.assertEqual(records[-1].pcfmcp["k"], "v")

    def test_stderr_sink_is_restored_with_none(self):
        self.lg.set_sink(None)
        self.lg.level = pcfmcp.LogLevel.OFF
        self.lg.error("nothing anywhere")


class ConfigTest(unittest.TestCase):
    def setUp(self):
        self.cfg = pcfmcp.Config()
        self.tmp = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.cfg.close()
        self.tmp.cleanup()

    def write(self, name, text, mode=0o600):
        p = os.path.join(self.tmp.name, name)
        with open(p, "w") as fh:
            fh.write(text)
        os.chmod(p, mode)
        return p

    def test_defaults_and_typed_getters(self):
        self.assertEqual(self.cfg["server.transport"], "stdio")
        self.assertEqual(self.cfg.get_int("pcf.connect_timeout"), 5000)
        self.assertFalse(self.cfg.get_bool("tools.read_only"))
        self.assertEqual(self.cfg.get_double("mcp.page_size"), 100.0)
        self.assertEqual(self.cfg.source("log.level"), pcfmcp.Source.DEFAULT)

    def test_set_converts_python_values_and_records_the_source(self):
        self.cfg.set("tools.read_only", True)
        self.cfg["mcp.page_size"] = 50
        self.cfg.set("tools.projects", ["A", "B"])
        self.assertTrue(self.cfg.get_bool("tools.read_only"))
        self.assertEqual(self.cfg.get_int("mcp.page_size"), 50)
        self.assertEqual(self.cfg.source("mcp.page_size"), pcfmcp.Source.API)
        del self.cfg["mcp.page_size"]
        self.assertEqual(self.cfg.get_int("mcp.page_size"), 100)

    def test_weaker_source_is_ignored(self):
        self.cfg.set("log.level", "debug", pcfmcp.Source.FLAG)
        self.cfg.set("log.level", "error", pcfmcp.Source.FILE)
        self.assertEqual(self.cfg["log.level"], "debug")

    def test_bad_value_raises_config_naming_the_key(self):
        with self.assertRaises(PcfmcpError) as cm:
            self.cfg.set("mcp.page_size", "many")
        self.assertEqual(cm.exception.code, ErrorCode.CONFIG)
        self.assertIn("mcp.page_size", cm.exception.message)
        self.assertIn("mcp.page_size", self.cfg.errmsg)

    def test_unknown_key_raises_not_found(self):
        for op in (lambda: self.cfg.set("no.such", "1"), lambda: self.cfg.get("no.such"),
                   lambda: self.cfg.get_int("no.such")):
            with self.assertRaises(PcfmcpError) as cm:
                op()
            self.assertEqual(cm.exception.code, ErrorCode.NOT_FOUND)

    def test_load_file_reports_file_line_and_key(self):
        good = self.write("good.yaml", "pcf:\n  url: http://127.0.0.1:1\nlog:\n  level: warn\n")
        self.cfg.load_file(good)
        self.assertEqual(self.cfg["pcf.url"], "http://127.0.0.1:1")
        self.assertEqual(self.cfg.source("pcf.url"), pcfmcp.Source.FILE)
        bad = self.write("bad.yaml", "pcf:\n  timeout_typo: 5s\n")
        with self.assertRaises(PcfmcpError) as cm:
            self.cfg.load_file(bad)
        self.assertEqual(cm.exception.code, ErrorCode.CONFIG)
        self.assertIn("bad.yaml:2", cm.exception.message)

    def test_load_env_and_resolve_secrets(self):
        secret = self.write("token", "22222222-2222-4333-8444-555555555555\n")
        saved = {k: v for k, v in os.environ.items() if k.startswith("PCF_MCP_")}
        try:
            for k in saved:
                del os.environ[k]
            os.environ["PCF_MCP_LOG_LEVEL"] = "debug"
            os.environ["PCF_MCP_PCF_TOKEN_FILE"] = secret
            self.cfg.load_env()
            self.cfg.resolve_secrets()
        finally:
            os.environ.pop("PCF_MCP_LOG_LEVEL", None)
            os.environ.pop("PCF_MCP_PCF_TOKEN_FILE", None)
            os.environ.update(saved)
        self.assertEqual(self.cfg["log.level"], "debug")
        self.assertEqual(self.cfg.source("log.level"), pcfmcp.Source.ENV)
        self.assertEqual(self.cfg["pcf.token"], "22222222-2222-4333-8444-555555555555")
        dump = self.cfg.dump()
        self.assertNotIn("22222222-2222", dump)
        self.assertIn("[REDACTED]", dump)

    def test_copy_is_deep(self):
        self.cfg["log.level"] = "error"
        with self.cfg.copy() as c2:
            c2["log.level"] = "debug"
            self.assertEqual(self.cfg["log.level"], "error")
            self.assertEqual(c2["log.level"], "debug")

    def test_suggest_flag_offers_the_nearest_flag_only(self):
        self.assertEqual(pcfmcp.suggest_flag("log-levl"), "log-level")
        self.assertEqual(pcfmcp.suggest_flag("server-prot"), "server-port")
        self.assertEqual(pcfmcp.suggest_flag("verison", ["help", "version"]), "version")
        self.assertIsNone(pcfmcp.suggest_flag("verison"))
        self.assertIsNone(pcfmcp.suggest_flag("zzzzzzzz", ["help"]))
        # Secrets have no flag: a typo of one is never "corrected" to it.
        self.assertIsNone(pcfmcp.suggest_flag("pcf-tokn"))

    def test_key_table_iterates_every_key(self):
        keys = list(pcfmcp.config_keys())
        self.assertEqual(len(keys), pcfmcp.key_count())
        by_name = {k.name: k for k in keys}
        tok = by_name["pcf.token"]
        self.assertEqual((tok.type, tok.flag, tok.env),
                         (pcfmcp.KeyType.SECRET, None, "PCF_MCP_PCF_TOKEN"))
        self.assertEqual(by_name["server.transport"].choices, ["stdio", "http"])
        self.assertTrue(by_name["log.level"].reloadable)
        self.assertFalse(by_name["pcf.url"].reloadable)
        self.assertTrue(all(k.doc for k in keys))
        with self.assertRaises(IndexError):
            pcfmcp.key_info(len(keys))


class AuthTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()

    def tearDown(self):
        self.tmp.cleanup()

    def test_generated_key_hashes_and_authenticates(self):
        key = pcfmcp.generate_key()
        self.assertTrue(key.startswith("pcfmcp_"))
        h = pcfmcp.hash_key(key)
        self.assertRegex(h, r"^sha256:[0-9a-f]{64}$")
        path = os.path.join(self.tmp.name, "keys")
        with open(path, "w") as fh:
            fh.write("alice %s  # test\n" % h)
        with pcfmcp.Auth() as auth:
            self.assertFalse(auth.enabled)
            self.assertEqual(auth.load_api_keys(path), 1)
            self.assertTrue(auth.enabled)
            self.assertFalse(auth.oauth_enabled)
            ok = auth.check("Bearer " + key)
            self.assertEqual((ok.verdict, ok.identity, ok.scopes),
                             (pcfmcp.Verdict.ALLOW, "key:alice", []))
            self.assertEqual(auth.check(None).verdict, pcfmcp.Verdict.MISSING)
            bad = auth.check("Bearer " + pcfmcp.generate_key())
            self.assertEqual(bad.verdict, pcfmcp.Verdict.INVALID)
            self.assertEqual(bad.identity, "")
            self.assertTrue(bad.detail)
            self.assertEqual(bad.verdict.http_status, 401)
            self.assertEqual(bad.verdict.label, "invalid")
            self.assertIn('error="invalid_token"', auth.www_authenticate(bad.verdict))
            with self.assertRaises(PcfmcpError) as cm:
                auth.resource_metadata()
            self.assertEqual(cm.exception.code, ErrorCode.STATE)

    def test_short_key_is_refused(self):
        with self.assertRaises(PcfmcpError) as cm:
            pcfmcp.hash_key("short")
        self.assertEqual(cm.exception.code, ErrorCode.INVALID_ARG)

    def test_bad_keys_file_names_the_line(self):
        path = os.path.join(self.tmp.name, "keys")
        with open(path, "w") as fh:
            fh.write("# header\nalice not-a-hash\n")
        with pcfmcp.Auth() as auth:
            with self.assertRaises(PcfmcpError) as cm:
                auth.load_api_keys(path)
            self.assertEqual(cm.exception.code, ErrorCode.CONFIG)
            self.assertIn(":2", cm.exception.message)

    def test_oauth_metadata(self):
        with pcfmcp.Auth() as auth:
            auth.set_oauth("https://idp.example.com", "https://mcp.example.com/mcp",
                           None, ["pcf"])
            auth.set_clock_skew(30)
            auth.set_max_token_lifetime(3600)
            with self.assertRaises(PcfmcpError):
                auth.set_max_token_lifetime(400 * 86400)
            auth.set_jwks_limits(60, 10, 1000, 65536)
            self.assertTrue(auth.oauth_enabled)
            md = auth.resource_metadata()
            self.assertEqual(md["resource"], "https://mcp.example.com/mcp")
            self.assertEqual(md["scopes_supported"], ["pcf"])
            with self.assertRaises(PcfmcpError) as cm:
                auth.set_jwks_json({"keys": []})
            self.assertEqual(cm.exception.code, ErrorCode.CONFIG)

    def test_identity_map_lookup(self):
        tok = os.path.join(self.tmp.name, "alice-token")
        with open(tok, "w") as fh:
            fh.write("33333333-2222-4333-8444-555555555555\n")
        path = os.path.join(self.tmp.name, "ids.yaml")
        with open(path, "w") as fh:
            fh.write('identities:\n  - identity: "key:alice"\n    token_file: alice-token\n')
        os.chmod(path, 0o600)
        with pcfmcp.IdentityMap() as m:
            self.assertEqual(m.load(path), 1)
            self.assertEqual(len(m), 1)
            self.assertEqual(m.generation, 1)
            c = m.lookup("key:alice")
            self.assertEqual(c.token, "33333333-2222-4333-8444-555555555555")
            self.assertIsNone(c.email)
            with self.assertRaises(PcfmcpError) as cm:
                m.lookup("key:bob")
            self.assertEqual(cm.exception.code, ErrorCode.NOT_FOUND)
            m.require_mapping = True
            self.assertTrue(m.require_mapping)
            with self.assertRaises(PcfmcpError) as cm:
                m.lookup("key:bob")
            self.assertEqual(cm.exception.code, ErrorCode.DENIED)



class AuditTest(unittest.TestCase):
    def test_records_carry_a_keyed_digest_blind_to_secrets(self):
        with tempfile.TemporaryDirectory() as d:
            path = os.path.join(d, "audit.jsonl")
            with pcfmcp.Audit() as a:
                a.open(path)
                a.set_args_key("0123456789abcdef")
                args = '{"b":1,"password":"hunter2","a":[1.0,"x"]}'
                self.assertEqual(
                    a.args_digest(args),
                    "9bec864a84cb7fea84b5a8aedaaef17189e6e9ee028c858f5549ca8983393f9c")
                self.assertEqual(a.args_digest(args.replace("hunter2", "other")),
                                 a.args_digest(args))
                self.assertNotEqual(pcfmcp.args_hash(args), a.args_digest(args))
                a.record("tool_call", "ok", identity="alice", tool="t", arguments_json=args,
                         request_id="7", duration_seconds=0.25)
                self.assertEqual(a.written, 1)
                with self.assertRaises(PcfmcpError):
                    a.set_args_key("short")
            with open(path) as fh:
                rec = json.loads(fh.readline())
            self.assertEqual(rec["args_hmac"],
                             "9bec864a84cb7fea84b5a8aedaaef17189e6e9ee028c858f5549ca8983393f9c")
            self.assertNotIn("hunter2", open(path).read())


class ConfigCheckTest(unittest.TestCase):
    def test_check_refuses_url_credentials_and_warns_about_readable_secrets(self):
        with pcfmcp.Config() as c:
            c.set("pcf.url", "https://admin:hunter2@pcf.example.com")
            with self.assertRaises(PcfmcpError) as cm:
                c.check()
            self.assertIn("pcf.url carries credentials", cm.exception.message)
            c.set("pcf.url", "https://pcf.example.com")
            c.set("tracing.endpoint", "https://u:S3cret@otel.example:4318")
            self.assertNotIn("S3cret", c.dump())
            with tempfile.TemporaryDirectory() as d:
                path = os.path.join(d, "token")
                with open(path, "w") as fh:
                    fh.write("t\n")
                os.chmod(path, 0o644)
                c.set("pcf.token_file", path)
                warnings = c.check()
                self.assertEqual(len(warnings), 1)
                self.assertIn("readable by every user", warnings[0])
                os.chmod(path, 0o600)
                self.assertEqual(c.check(), [])

if __name__ == "__main__":
    unittest.main()
