"""Per-person PCF identities through pcf-mcp over Streamable HTTP.

Two API keys, alice and bob. auth.identities_file gives key:alice her own
PCF credentials (the second PCF user's token); bob is not mapped. Alice's
whoami names her PCF account, bob's names the server's; the log says who
acts as whom, and every audit record names the PCF account. With auth.require_identity_mapping, bob is refused with a
reason, alice still works. A SIGHUP that maps bob takes effect at once."""

import hashlib
import http.client
import json
import os
import signal
import socket
import subprocess
import tempfile
import time

import harness as h  # puts tests/contract on sys.path
import fakeproc  # noqa: E402

ALICE_KEY = "pcfmcp_alice_" + "a" * 40
BOB_KEY = "pcfmcp_bob_" + "b" * 40


class Http:
    def __init__(self, port, key):
        self.port, self.key, self.session, self.next_id = port, key, None, 1

    def rpc(self, method, params=None):
        body = {"jsonrpc": "2.0", "id": self.next_id, "method": method}
        self.next_id += 1
        if params is not None:
            body["params"] = params
        headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream",
                   "Authorization": "Bearer " + self.key, "MCP-Protocol-Version": "2025-11-25"}
        if self.session:
            headers["Mcp-Session-Id"] = self.session
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=20)
        c.request("POST", "/mcp", json.dumps(body), headers)
        r = c.getresponse()
        data = r.read().decode()
        sid = r.getheader("Mcp-Session-Id")
        c.close()
        if sid:
            self.session = sid
        h.check(r.status == 200, "{} -> HTTP {}: {}".format(method, r.status, data[:300]))
        if r.getheader("Content-Type", "").startswith("text/event-stream"):
            msgs = [json.loads(l[5:]) for l in data.splitlines() if l.startswith("data:") and l[5:].strip()]
            data = json.dumps([m for m in msgs if "id" in m][-1])
        return json.loads(data)

    def start(self):
        r = self.rpc("initialize", {"protocolVersion": "2025-11-25", "capabilities": {},
                                    "clientInfo": {"name": "per-person", "version": "1"}})
        h.check("result" in r, "initialize: {}".format(r))

    def whoami(self):
        r = self.rpc("tools/call", {"name": "whoami", "arguments": {}})
        return r["result"]


def write(path, text, mode=0o600):
    with open(path, "w") as f:
        f.write(text)
    os.chmod(path, mode)


def main():
    tmp = tempfile.mkdtemp(prefix="pcfmcp-people-")
    fake = fakeproc.Fake("--seed", "demo", "--token", h.TOKEN)
    proc = None
    try:
        users = fake.control("users")["users"]
        by_mail = {u["email"]: u["id"] for u in users}
        main_id, second_id = by_mail["pcf-tester@example.com"], by_mail["pcf-second@example.com"]
        alice_token = fake.control("token", {"email": "pcf-second@example.com"})["access_token"]
        keys = os.path.join(tmp, "keys")
        write(keys, "alice sha256:{}\nbob sha256:{}\n".format(
            hashlib.sha256(ALICE_KEY.encode()).hexdigest(), hashlib.sha256(BOB_KEY.encode()).hexdigest()))
        ids = os.path.join(tmp, "identities.yaml")
        write(ids, 'identities:\n  - identity: "key:alice"\n    token: "{}"\n'.format(alice_token))
        cfg = os.path.join(tmp, "pcf-mcp.yaml")
        write(cfg, "auth:\n  api_keys_file: {}\n  identities_file: {}\n  require_identity_mapping: false\n"
              .format(keys, ids))
        port = h.free_port()
        log = os.path.join(tmp, "stderr.log")
        errf = open(log, "wb")
        audit = os.path.join(tmp, "audit.jsonl")
        proc = subprocess.Popen([h.binary(), "--config", cfg, "--transport", "http", "--server-port",
                                 str(port), "--log-level", "info", "--audit-file", audit], stdin=subprocess.DEVNULL,
                                stdout=subprocess.DEVNULL, stderr=errf,
                                env=h.clean_env({"PCF_MCP_PCF_URL": "http://127.0.0.1:{}".format(fake.port), "PCF_MCP_PCF_TOKEN": h.TOKEN}))
        h.wait_for(lambda: _listening(port), 10, "the HTTP listener")

        alice, bob = Http(port, ALICE_KEY), Http(port, BOB_KEY)
        alice.start()
        bob.start()
        a, b = alice.whoami(), bob.whoami()
        h.check(not a.get("isError") and a["structuredContent"]["user"]["id"] == second_id,
                "alice should act as the second PCF user: {}".format(a))
        h.check(not b.get("isError") and b["structuredContent"]["user"]["id"] == main_id,
                "bob should use the server credential: {}".format(b))
        text = open(log).read()
        h.check("key:alice acts in PCF as" in text, "the log does not say who alice acts as")
        h.check(alice_token not in text and h.TOKEN not in text, "a token reached the log")
        fp = lambda t: "token-sha256:" + hashlib.sha256(t.encode()).hexdigest()[:12]
        # The record follows the answer (it is written once the call has ended).
        def audited():
            recs = [json.loads(l) for l in open(audit) if l.strip()]
            return {r["identity"]: r.get("pcf_user") for r in recs if r.get("tool") == "whoami"}
        h.wait_for(lambda: len(audited()) == 2, 10, "both audit records")
        who = audited()
        h.check(who.get("key:alice") == fp(alice_token), "audit of alice: {}".format(who))
        h.check(who.get("key:bob") == fp(h.TOKEN), "audit of bob: {}".format(who))
        h.check(alice_token not in open(audit).read(), "a token reached the audit trail")
        print("mapped identity acts as its own PCF user; unmapped uses the server's")

        # Require a mapping: bob is refused with a reason, alice keeps working.
        write(cfg, "auth:\n  api_keys_file: {}\n  identities_file: {}\n  require_identity_mapping: true\n"
              .format(keys, ids))
        proc.send_signal(signal.SIGHUP)
        h.wait_for(lambda: "reload: per-person PCF identities" in open(log).read(), 10, "the reload")
        r = bob.whoami()
        h.check(r.get("isError") and "require_identity_mapping" in r["content"][0]["text"],
                "bob should be refused with a reason: {}".format(r))
        h.check(alice.whoami()["structuredContent"]["user"]["id"] == second_id, "alice broke after reload")

        # Map bob too: the next call uses his own credentials.
        bob_token = fake.control("token", {"email": "pcf-tester@example.com"})["access_token"]
        write(ids, 'identities:\n  - identity: "key:alice"\n    token: "{}"\n'
                   '  - identity: "key:bob"\n    token: "{}"\n'.format(alice_token, bob_token))
        n = open(log).read().count("reload: per-person PCF identities")
        proc.send_signal(signal.SIGHUP)
        h.wait_for(lambda: open(log).read().count("reload: per-person PCF identities") > n, 10,
                   "the second reload")
        r = bob.whoami()
        h.check(not r.get("isError") and r["structuredContent"]["user"]["id"] == main_id,
                "bob should now act with his own token: {}".format(r))
        print("require_identity_mapping refuses unmapped callers; SIGHUP maps new ones")
    finally:
        if proc:
            proc.terminate()
            proc.wait(timeout=20)
        fake.stop()


def _listening(port):
    try:
        socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        return True
    except OSError:
        return False


if __name__ == "__main__":
    try:
        main()
    except h.Failure as e:
        print("FAIL:", e)
        raise SystemExit(1)
