"""Driving the pcf-mcp binary over stdio from the hardening integration
tests, plus a fake OpenTelemetry collector and helpers to find a tool that
reaches PCF.  Standard library only."""

import base64
import http.server
import json
import os
import queue
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.environ.get("top_srcdir") or os.path.normpath(os.path.join(HERE, "..", ".."))
BUILDDIR = os.environ.get("top_builddir") or SRCDIR
sys.path.insert(0, os.path.join(SRCDIR, "tests", "contract"))

import fakeproc  # noqa: E402  (tests/contract/fakeproc.py)

TOKEN = "11111111-2222-4333-8444-555555555555"


def binary():
    return os.path.join(BUILDDIR, "pcf-mcp")


def clean_env(extra=None):
    """The environment without any PCF_MCP_* variable of the caller."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PCF_MCP_")}
    env.update(extra or {})
    return env


class Failure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


class PcfMcp:
    """One pcf-mcp process serving stdio; replies are collected by id."""

    def __init__(self, args=(), env=None, workdir=None):
        self.tmp = workdir or tempfile.mkdtemp(prefix="pcfmcp-e2e-")
        self.err_path = os.path.join(self.tmp, "stderr.log")
        self.out_lines = []
        self.replies = {}
        self.cond = threading.Condition()
        self.errf = open(self.err_path, "wb")
        self.proc = subprocess.Popen([binary()] + list(args), stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.errf,
                                     env=clean_env(env))
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.next_id = 100

    def _read(self):
        for raw in self.proc.stdout:
            line = raw.decode("utf-8", errors="replace").rstrip("\n")
            with self.cond:
                self.out_lines.append(line)
                try:
                    msg = json.loads(line)
                except ValueError:
                    msg = None
                if isinstance(msg, dict) and "id" in msg and ("result" in msg or "error" in msg):
                    self.replies[json.dumps(msg["id"])] = msg
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def send(self, obj):
        data = (obj if isinstance(obj, str) else json.dumps(obj)) + "\n"
        self.proc.stdin.write(data.encode())
        self.proc.stdin.flush()

    def request(self, method, params=None, rid=None, wait=True, timeout=20.0):
        if rid is None:
            rid = self.next_id
            self.next_id += 1
        msg = {"jsonrpc": "2.0", "id": rid, "method": method}
        if params is not None:
            msg["params"] = params
        self.send(msg)
        return self.reply(rid, timeout) if wait else rid

    def reply(self, rid, timeout=20.0):
        key = json.dumps(rid)
        deadline = time.monotonic() + timeout
        with self.cond:
            while key not in self.replies:
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self.reader.is_alive()):
                    raise Failure("no reply to request {} (stderr: {})".format(
                        rid, self.stderr_text()[-2000:]))
                self.cond.wait(min(left, 0.5))
            return self.replies[key]

    def initialize(self):
        r = self.request("initialize", {"protocolVersion": "2025-11-25", "capabilities": {},
                                        "clientInfo": {"name": "e2e", "version": "1"}}, rid=0)
        check("result" in r, "initialize failed: {}".format(r))
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
        return r

    def tools(self):
        r = self.request("tools/list")
        return r.get("result", {}).get("tools", [])

    def close_input(self):
        try:
            self.proc.stdin.close()
        except OSError:
            pass

    def wait(self, timeout=30.0):
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise Failure("pcf-mcp did not exit within {} s".format(timeout))

    def signal(self, sig):
        self.proc.send_signal(sig)

    def stderr_text(self):
        self.errf.flush()
        with open(self.err_path, "rb") as fh:
            return fh.read().decode("utf-8", errors="replace")

    def stdout_text(self):
        with self.cond:
            return "\n".join(self.out_lines)

    def stop(self):
        if self.proc.poll() is None:
            self.close_input()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.errf.close()

    def cleanup(self):
        self.stop()
        shutil.rmtree(self.tmp, ignore_errors=True)


def log_lines(text):
    out = []
    for line in text.splitlines():
        try:
            out.append(json.loads(line))
        except ValueError:
            pass
    return out


def wait_for(pred, timeout=20.0, what="condition"):
    deadline = time.monotonic() + timeout
    while not pred():
        if time.monotonic() > deadline:
            raise Failure("timed out waiting for " + what)
        time.sleep(0.01)


# ------------------------------------------------------------------ collector

class Collector:
    """A fake OTLP/HTTP collector: keeps every span POSTed to /v1/traces."""

    def __init__(self):
        self.spans = []
        self.lock = threading.Lock()
        outer = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n)
                ok = self.path == "/v1/traces" and \
                    self.headers.get("Content-Type", "").startswith("application/json")
                if ok:
                    try:
                        doc = json.loads(body.decode())
                        with outer.lock:
                            for rs in doc.get("resourceSpans", []):
                                for ss in rs.get("scopeSpans", []):
                                    outer.spans.extend(ss.get("spans", []))
                    except ValueError:
                        ok = False
                self.send_response(200 if ok else 400)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *a):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = "http://127.0.0.1:{}".format(self.server.server_address[1])
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def find(self, name):
        with self.lock:
            return [s for s in self.spans if s.get("name") == name]

    def stop(self):
        self.server.shutdown()
        self.server.server_close()


# ------------------------------------------------------------------ tools

def first_project(fake):
    status, body = fake.api("/projects", {"access_token": TOKEN})
    check(status == 200, "fake PCF projects: {} {}".format(status, body))
    return body["projects"][0]["id"]


def read_tool_for_project(tools):
    """A read-only tool that needs nothing but (at most) a project_id, or None."""
    best = None
    for t in tools:
        ann = t.get("annotations") or {}
        if not ann.get("readOnlyHint"):
            continue
        schema = t.get("inputSchema") or {}
        req = set(schema.get("required") or [])
        if req <= {"project_id"}:
            if "project_id" in req or "project_id" in (schema.get("properties") or {}):
                return t
            best = best or t
    return best


def b64(s):
    return base64.b64encode(s.encode()).decode()


def run(main):
    """Runs a test's main(); exit status 0 or 1 for automake."""
    try:
        status = main()
    except Failure as e:
        print("FAIL: {}".format(e), file=sys.stderr)
        status = 1
    sys.exit(status or 0)


# ------------------------------------------------------------------ prometheus

_SAMPLE = None


def parse_metrics(text):
    """Parses the text exposition strictly enough to catch malformed output:
    returns {series_text: value}. Raises Failure on a bad line."""
    import re
    global _SAMPLE
    if _SAMPLE is None:
        name = r"[a-zA-Z_:][a-zA-Z0-9_:]*"
        label = r'[a-zA-Z_][a-zA-Z0-9_]*="(?:[^"\\\n]|\\[\\"n])*"'
        _SAMPLE = re.compile(r"^({n})(\{{(?:{l})(?:,{l})*\}})? (\S+)$".format(n=name, l=label))
    out, typed = {}, {}
    for i, line in enumerate(text.splitlines(), 1):
        if line.startswith("# TYPE "):
            parts = line.split(" ")
            check(len(parts) == 4 and parts[3] in ("counter", "gauge", "histogram", "summary",
                                                     "untyped"), "line {}: bad TYPE".format(i))
            check(parts[2] not in typed, "line {}: second TYPE for {}".format(i, parts[2]))
            typed[parts[2]] = parts[3]
            continue
        if line.startswith("#"):
            continue
        m = _SAMPLE.match(line)
        check(m, "line {}: not a sample: {!r}".format(i, line))
        value = m.group(3)
        check(value in ("+Inf", "-Inf", "NaN") or re.match(r"^-?[0-9.]+(e[-+]?[0-9]+)?$", value),
              "line {}: bad value {!r}".format(i, value))
        key = m.group(1) + (m.group(2) or "")
        check(key not in out, "line {}: duplicate series {}".format(i, key))
        out[key] = float(value)
    return out


# ------------------------------------------------------------------ HTTP

def free_port():
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def self_signed(tmp, name="server"):
    """A fresh self-signed certificate and key (openssl), or None without openssl."""
    cert, key = os.path.join(tmp, name + ".crt"), os.path.join(tmp, name + ".key")
    if not shutil.which("openssl"):
        return None
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-days", "2", "-subj",
                    "/CN=127.0.0.1", "-keyout", key, "-out", cert],
                   check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return cert, key


def key_line(name, secret):
    """The keys-file line for API key @secret (pcf-mcp keys hash)."""
    r = subprocess.run([binary(), "keys", "hash", name], input=secret.encode(),
                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=clean_env())
    check(r.returncode == 0, "keys hash failed: {}".format(r.stderr))
    return r.stdout.decode().strip()


class HttpPcfMcp:
    """One pcf-mcp serving Streamable HTTP on a free loopback port."""

    def __init__(self, args=(), workdir=None, tls=False, env=None):
        import http.client  # noqa: F401
        self.tmp = workdir or tempfile.mkdtemp(prefix="pcfmcp-http-")
        self.port = free_port()
        self.tls = tls
        self.err_path = os.path.join(self.tmp, "stderr.log")
        self.errf = open(self.err_path, "wb")
        self.proc = subprocess.Popen([binary(), "--transport", "http", "--server-host",
                                      "127.0.0.1", "--server-port", str(self.port)] + list(args),
                                     stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                     stderr=self.errf, env=clean_env(env))
        deadline = time.monotonic() + 15
        import socket
        while True:
            if self.proc.poll() is not None:
                raise Failure("pcf-mcp --transport http exited: " + self.stderr_text()[-2000:])
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise Failure("HTTP transport did not listen")
                time.sleep(0.02)

    def conn(self, timeout=30):
        import http.client
        import ssl
        if self.tls:
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            return http.client.HTTPSConnection("127.0.0.1", self.port, timeout=timeout,
                                               context=ctx)
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)

    def request(self, method, path, body=None, headers=None, timeout=30):
        """(status, headers dict lower-cased, body text) of one request."""
        c = self.conn(timeout)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            text = r.read().decode("utf-8", errors="replace")
            return r.status, {k.lower(): v for k, v in r.getheaders()}, text
        finally:
            c.close()

    def post(self, msg, key=None, session=None, headers=None, timeout=30):
        """POSTs one JSON-RPC message to /mcp: (status, headers, reply or text)."""
        hdr = {"Content-Type": "application/json",
               "Accept": "application/json, text/event-stream",
               "MCP-Protocol-Version": "2025-11-25"}
        if key:
            hdr["Authorization"] = "Bearer " + key
        if session:
            hdr["Mcp-Session-Id"] = session
        hdr.update(headers or {})
        status, rh, text = self.request("POST", "/mcp", json.dumps(msg), hdr, timeout)
        body = text
        if rh.get("content-type", "").startswith("text/event-stream"):
            datas = [l[5:].strip() for l in text.splitlines() if l.startswith("data:")]
            text = datas[-1] if datas else ""
        try:
            body = json.loads(text)
        except ValueError:
            pass
        return status, rh, body

    def initialize(self, key=None):
        """Opens a session; returns its id."""
        status, rh, body = self.post({"jsonrpc": "2.0", "id": 0, "method": "initialize",
                                      "params": {"protocolVersion": "2025-11-25",
                                                 "capabilities": {},
                                                 "clientInfo": {"name": "e2e", "version": "1"}}},
                                     key=key)
        check(status == 200, "initialize over HTTP: {} {}".format(status, body))
        sid = rh.get("mcp-session-id")
        self.post({"jsonrpc": "2.0", "method": "notifications/initialized"}, key=key,
                  session=sid)
        return sid

    def call(self, name, args, key=None, session=None, rid=1, headers=None):
        return self.post({"jsonrpc": "2.0", "id": rid, "method": "tools/call",
                          "params": {"name": name, "arguments": args}}, key=key,
                         session=session, headers=headers)

    def metrics(self):
        status, _, text = self.request("GET", "/metrics")
        check(status == 200, "/metrics answered {}".format(status))
        return parse_metrics(text)

    def signal(self, sig):
        self.proc.send_signal(sig)

    def wait(self, timeout=30.0):
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            raise Failure("pcf-mcp did not exit within {} s".format(timeout))

    def stderr_text(self):
        if not self.errf.closed:
            self.errf.flush()
        with open(self.err_path, "rb") as fh:
            return fh.read().decode("utf-8", errors="replace")

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        if not self.errf.closed:
            self.errf.close()
