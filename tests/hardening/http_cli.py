"""`pcf-mcp serve --transport http` from the command line, as an operator
runs it, against the fake PCF:
  * --server-host 0.0.0.0 without authentication exits 2 and says why;
    with --insecure-no-auth it starts and warns;
  * the MCP client's bearer key is never sent on to PCF (the fake records
    every request's path, headers and body), while the server's own PCF
    token is;
  * with --server-metrics-host/--server-metrics-port, /healthz, /readyz and
    /metrics answer on that listener and 404 on the MCP port, and
    pcf_mcp_identity_requests_total counts the caller under its key name
    (anonymous callers as "anonymous")."""

import hashlib
import http.client
import json
import os
import re
import subprocess
import tempfile
import time

import harness as h  # puts tests/contract on sys.path
import fakeproc  # noqa: E402

KEY = "pcfmcp_ops_" + os.urandom(20).hex()


class Server:
    """pcf-mcp serve over HTTP; stderr goes to a file we can grep."""

    def __init__(self, tmp, name, args, env=None):
        self.log = os.path.join(tmp, name + ".log")
        self.errf = open(self.log, "wb")
        self.proc = subprocess.Popen([h.binary(), "serve", "--transport", "http", "--log-format", "text"]
                                     + list(args), stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=self.errf, env=h.clean_env(env))

    def text(self):
        with open(self.log, errors="replace") as f:
            return f.read()

    def port(self, pattern):
        found = []
        def seen():
            m = re.search(pattern, self.text())
            if m:
                found.append(int(m.group(1)))
            h.check(self.proc.poll() is None or m, "pcf-mcp exited: " + self.text()[-1500:])
            return bool(m)
        h.wait_for(seen, 15, pattern)
        return found[0]

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.errf.close()


def get(port, path, headers=None):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    c.request("GET", path, headers=headers or {})
    r = c.getresponse()
    body = r.read().decode(errors="replace")
    c.close()
    return r.status, body


def rpc(port, body, key=None, session=None):
    headers = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream",
               "MCP-Protocol-Version": "2025-11-25"}
    if key:
        headers["Authorization"] = "Bearer " + key
    if session:
        headers["Mcp-Session-Id"] = session
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
    c.request("POST", "/mcp", json.dumps(body), headers)
    r = c.getresponse()
    data = r.read().decode()
    sid = r.getheader("Mcp-Session-Id")
    c.close()
    h.check(r.status in (200, 202), "{} -> HTTP {}: {}".format(body.get("method"), r.status, data[:300]))
    if r.getheader("Content-Type", "").startswith("text/event-stream"):
        msgs = [json.loads(l[5:]) for l in data.splitlines() if l.startswith("data:") and l[5:].strip()]
        data = json.dumps([m for m in msgs if "id" in m][-1])
    return (json.loads(data) if data else None), sid


def initialize(port, key=None):
    r, sid = rpc(port, {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
        "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "ops", "version": "1"}}}, key)
    h.check(r and "result" in r and sid, "initialize: {}".format(r))
    rpc(port, {"jsonrpc": "2.0", "method": "notifications/initialized"}, key, sid)
    return sid


def refuses_open_bind_without_auth(tmp):
    s = Server(tmp, "open", ["--server-host", "0.0.0.0", "--server-port", "0"])
    try:
        rc = s.proc.wait(15)
    except subprocess.TimeoutExpired:
        s.stop()
        raise h.Failure("pcf-mcp served 0.0.0.0 without authentication")
    s.stop()
    text = s.text()
    h.check(rc == 2, "exit status {} instead of 2: {}".format(rc, text[-800:]))
    h.check("0.0.0.0" in text and "authentication" in text and "insecure_no_auth" in text,
            "the refusal does not say what to do: " + text[-800:])
    print("0.0.0.0 without authentication: exit 2, says how to fix it")

    s = Server(tmp, "insecure", ["--server-host", "0.0.0.0", "--server-port", "0", "--insecure-no-auth"])
    try:
        port = s.port(r"listening on http://0\.0\.0\.0:(\d+)/mcp")
        h.check(re.search(r"WARN.*WITHOUT authentication", s.text()),
                "no warning about serving without authentication: " + s.text()[-800:])
        sid = initialize(port)
        r, _ = rpc(port, {"jsonrpc": "2.0", "id": 2, "method": "ping"}, session=sid)
        h.check(r and "result" in r, "ping without auth: {}".format(r))
    finally:
        s.stop()
    print("--insecure-no-auth: serves 0.0.0.0 and warns")


def ops_listener_and_no_token_passthrough(tmp, fake):
    keys = os.path.join(tmp, "keys")
    with open(keys, "w") as f:
        f.write("ops-alice sha256:{}\n".format(hashlib.sha256(KEY.encode()).hexdigest()))
    os.chmod(keys, 0o600)
    s = Server(tmp, "ops", ["--server-port", "0", "--auth-api-keys-file", keys,
                            "--server-metrics-host", "127.0.0.1", "--server-metrics-port", "0"],
               {"PCF_MCP_PCF_URL": "http://127.0.0.1:{}".format(fake.port), "PCF_MCP_PCF_TOKEN": h.TOKEN})
    try:
        ops = s.port(r"health and metrics on http://127\.0\.0\.1:(\d+)")
        port = s.port(r"listening on http://127\.0\.0\.1:(\d+)/mcp")
        h.check(ops != port, "the ops listener shares the MCP port")

        fake.control("stats/reset", {})
        sid = initialize(port, KEY)
        r, _ = rpc(port, {"jsonrpc": "2.0", "id": 3, "method": "tools/call",
                          "params": {"name": "whoami", "arguments": {}}}, KEY, sid)
        h.check(r and "result" in r and not r["result"].get("isError"), "whoami: {}".format(r))
        seen = fake.control("requests")["requests"]
        h.check(seen, "the fake PCF recorded no request: whoami did not reach PCF")
        # Everything PCF received: the path with its query, each header, the body.
        sent = [[req["path"], req["body"]] + [v for _, v in req["headers"]] for req in seen]
        # The recording sees credentials: the server's own PCF token is there...
        h.check(any(h.TOKEN in v for r in sent for v in r),
                "the server's PCF token is in no recorded request: {}".format(seen[:2]))
        # ...and the client's key is not, anywhere.
        leaked = [req for req, r in zip(seen, sent) if any(KEY in v for v in r)]
        h.check(not leaked, "the MCP client's key reached PCF: {}".format(leaked[:1]))
        print("the MCP client's key never reaches PCF ({} PCF requests checked)".format(len(seen)))

        for path in ("/healthz", "/readyz", "/metrics"):
            # /readyz turns 200 once the background PCF check has run.
            h.wait_for(lambda: get(ops, path)[0] == 200, 15, "{} on the ops port".format(path))
            st, body = get(port, path, {"Authorization": "Bearer " + KEY})
            h.check(st == 404, "{} on the MCP port: {} (expected 404)".format(path, st))
        print("/healthz /readyz /metrics answer on the ops port only")

        st, body = get(ops, "/metrics")
        m = h.parse_metrics(body)
        got = m.get('pcf_mcp_identity_requests_total{identity="key:ops-alice"}', 0)
        # initialize and tools/call, at least (the notification is not a request).
        h.check(got >= 2, "identity counter for key:ops-alice is {}: {}".format(
            got, [k for k in m if k.startswith("pcf_mcp_identity")]))
        h.check(not any(KEY in k for k in m), "the key itself is a label value")
        print("pcf_mcp_identity_requests_total counts key:ops-alice ({:g})".format(got))
    finally:
        s.stop()


def anonymous_identity(tmp):
    s = Server(tmp, "anon", ["--server-port", "0", "--server-metrics-host", "127.0.0.1",
                             "--server-metrics-port", "0"])
    try:
        ops = s.port(r"health and metrics on http://127\.0\.0\.1:(\d+)")
        port = s.port(r"listening on http://127\.0\.0\.1:(\d+)/mcp")
        sid = initialize(port)
        rpc(port, {"jsonrpc": "2.0", "id": 2, "method": "ping"}, session=sid)
        m = h.parse_metrics(get(ops, "/metrics")[1])
        got = m.get('pcf_mcp_identity_requests_total{identity="anonymous"}', 0)
        h.check(got >= 2, "anonymous requests counted {}: {}".format(
            got, [k for k in m if k.startswith("pcf_mcp_identity")]))
    finally:
        s.stop()
    print("unauthenticated loopback callers count as anonymous")


def main():
    tmp = tempfile.mkdtemp(prefix="pcfmcp-httpcli-")
    refuses_open_bind_without_auth(tmp)
    anonymous_identity(tmp)
    fake = fakeproc.Fake("--seed", "demo", "--token", h.TOKEN)
    try:
        ops_listener_and_no_token_passthrough(tmp, fake)
    finally:
        fake.stop()
    return 0


if __name__ == "__main__":
    h.run(main)
