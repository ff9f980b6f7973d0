"""Every C function the bindings declare is wrapped, and the wrappers the other
suites do not reach are exercised here."""

import glob
import json
import os
import tempfile
import unittest

import support
import pcfmcp
from pcfmcp import ErrorCode, PcfmcpError, _lib


class CompletenessTest(unittest.TestCase):
    def test_every_declared_function_is_used_by_a_wrapper(self):
        sources = ""
        for path in glob.glob(os.path.join(os.path.dirname(pcfmcp.__file__), "*.py")):
            with open(path) as fh:
                sources += fh.read()
        # One mention is the declaration in _lib.py; a wrapper makes two.
        unused = [name for name in _lib._PROTOTYPES if sources.count(name) < 2]
        self.assertEqual(unused, [])

    def test_every_pcf_request_function_has_a_method(self):
        missing = [n for n in _lib.PCF_CALLS if not callable(getattr(pcfmcp.Pcf, n, None))]
        self.assertEqual(missing, [])


class RemainingWrappersTest(unittest.TestCase):
    def test_engine_logs_through_its_logger(self):
        lines = []
        lg = pcfmcp.Logger()
        lg.level = "debug"
        lg.set_sink(lambda level, line: lines.append(line))
        lg.debug("d", "py")
        lg.warn("w", "py")
        self.assertEqual([json.loads(l)["msg"] for l in lines], ["d", "w"])
        with pcfmcp.Engine("logged", "1", logger=lg) as e, e.session() as s:
            s.initialize()
            s.handle({"jsonrpc": "2.0", "id": 5, "method": "no/such/method"})
        self.assertGreater(len(lines), 2)
        lg.close()

    def test_context_roots_refusal_and_errmsg(self):
        seen = {}
        e = pcfmcp.Engine("ctx", "1", threads=1)

        def roots(ctx, args):
            seen["roots"] = ctx.list_roots()
            try:
                ctx.progress(1)
                ctx.progress(0.5)  # must increase
            except PcfmcpError as err:
                seen["err"] = (err.code, ctx.errmsg)
            return "ok"

        def before(ctx, method, name, args):
            if name == "refused":
                ctx.set_refusal("set with set_refusal")
                return False
            return True

        e.add_tool(roots, description="roots")
        e.add_tool(lambda c, a: "", name="refused", description="x")
        e.set_hooks(before=before)
        with e.session() as s:
            s.initialize(capabilities={"roots": {}})
            r = s.request("tools/call", {"name": "roots", "arguments": {},
                                         "_meta": {"progressToken": 1}},
                          responder=lambda req: {"roots": [{"uri": "file:///w", "name": "w"}]})
            self.assertEqual(r["content"][0]["text"], "ok")
            r = s.request("tools/call", {"name": "refused", "arguments": {}}, request_id=2)
            self.assertIn("set with set_refusal", json.dumps(r))
        e.close()
        self.assertEqual(seen["roots"], [{"uri": "file:///w", "name": "w"}])
        self.assertEqual(seen["err"][0], ErrorCode.INVALID_ARG)
        self.assertTrue(seen["err"][1])

    def test_pcf_tls_setters(self):
        with pcfmcp.Pcf("https://127.0.0.1:1") as p:
            p.set_ca_file("/etc/ssl/certs/ca-certificates.crt")
            p.set_client_cert("/etc/pcf-mcp/client.pem", "/etc/pcf-mcp/client.key", "pw")
            with self.assertRaises(PcfmcpError) as cm:
                p.set_client_cert(None, None)
            self.assertEqual(cm.exception.code, ErrorCode.INVALID_ARG)

    def test_auth_and_identity_map_errors(self):
        with pcfmcp.Auth() as auth:
            auth.set_jwks_ca_file("/etc/ssl/certs/ca-certificates.crt")
            with self.assertRaises(PcfmcpError):
                auth.load_api_keys("/nonexistent/keys")
            self.assertTrue(auth.errmsg)
            self.assertEqual(auth.load_api_keys(None), 0)
        with pcfmcp.IdentityMap() as m, tempfile.TemporaryDirectory() as d:
            bad = os.path.join(d, "ids.yaml")
            with open(bad, "w") as fh:
                fh.write("identities:\n  - identity: key:x\n    colour: blue\n")
            os.chmod(bad, 0o600)
            with self.assertRaises(PcfmcpError) as cm:
                m.load(bad)
            self.assertEqual(cm.exception.code, ErrorCode.CONFIG)
            self.assertIn("ids.yaml", m.errmsg)
            self.assertEqual(m.load(None), 0)


if __name__ == "__main__":
    unittest.main()
