"""Several pcf-mcp replicas sharing a real redis-server on loopback, for the
tests of the shared store (store.url).  Standard library only.

Without redis-server the tests say so loudly and are skipped (exit 77); with
PCFMCP_REQUIRE_REDIS=1 (CI, scripts/test-all.sh) that is a failure.  A build
without hiredis must refuse store.url with a clear message; the tests check
that and are then skipped the same way."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRCDIR = os.environ.get("top_srcdir") or os.path.normpath(os.path.join(HERE, "..", ".."))
sys.path.insert(0, os.path.join(SRCDIR, "tests", "hardening"))

import harness as h  # noqa: E402  (tests/hardening/harness.py)

fakeproc = h.fakeproc
check = h.check
Failure = h.Failure


def redis_binary():
    env = os.environ.get("PCFMCP_REDIS_SERVER")
    if env:
        return env if os.access(env, os.X_OK) else None
    for name in ("redis-server", "valkey-server"):
        path = shutil.which(name, path=os.environ.get("PATH", "") + ":/usr/bin:/usr/sbin")
        if path:
            return path
    return None


def _banner(test, what):
    required = os.environ.get("PCFMCP_REQUIRE_REDIS") == "1"
    bar = "#" * 78
    sys.stderr.write("\n{0}\n##  {1}: {2}\n##  The shared-store tests DID NOT RUN.\n##  {3}\n{0}\n\n".format(
        bar, test, what,
        "PCFMCP_REQUIRE_REDIS=1: this is a FAILURE." if required else
        "Install redis-server and libhiredis-dev (scripts/deps.sh); CI requires them."))
    sys.exit(1 if required else 77)


def require(test):
    """Exits (77, or 1 under PCFMCP_REQUIRE_REDIS=1) unless the tests can run."""
    if not redis_binary():
        _banner(test, "redis-server NOT FOUND")
    r = subprocess.run([h.binary(), "config", "check", os.devnull], capture_output=True,
                       text=True, env=h.clean_env({"PCF_MCP_STORE_URL": "redis://127.0.0.1:6379"}))
    if r.returncode != 0:
        msg = r.stdout + r.stderr
        check("built without hiredis" in msg and "store.url" in msg,
              "a build without the store must refuse store.url clearly: " + msg)
        _banner(test, "pcf-mcp was built without hiredis (and says so)")


# ------------------------------------------------------------------ RESP

def _encode(args):
    out = ["*{}\r\n".format(len(args)).encode()]
    for a in args:
        b = a if isinstance(a, bytes) else str(a).encode()
        out.append("${}\r\n".format(len(b)).encode() + b + b"\r\n")
    return b"".join(out)


def _read_reply(f):
    line = f.readline()
    if not line:
        raise Failure("redis closed the connection")
    kind, rest = line[:1], line[1:-2]
    if kind == b"+":
        return rest.decode()
    if kind == b"-":
        raise Failure("redis: " + rest.decode())
    if kind == b":":
        return int(rest)
    if kind == b"$":
        n = int(rest)
        if n < 0:
            return None
        data = f.read(n + 2)[:-2]
        return data.decode(errors="replace")
    if kind == b"*":
        n = int(rest)
        return None if n < 0 else [_read_reply(f) for _ in range(n)]
    raise Failure("redis: unexpected reply " + repr(line))


class Redis:
    """One redis-server on a loopback port: no persistence, its own
    directory; readiness is read from its log."""

    def __init__(self, tmp, password=None, tls=None, port=None, acl=None):
        self.tmp = tmp
        self.password = password
        self.tls = tls  # dict(cert=, key=, ca=, auth_clients="yes"|"no")
        self.acl = acl  # text of an ACL file (users and their rights)
        self.port = port or h.free_port()
        self.dir = tempfile.mkdtemp(prefix="redis-", dir=tmp)
        self.proc = None
        self.log = []
        self.start()

    def start(self):
        args = [redis_binary(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                "--dir", self.dir, "--daemonize", "no"]
        if self.tls:
            args += ["--port", "0", "--tls-port", str(self.port),
                     "--tls-cert-file", self.tls["cert"], "--tls-key-file", self.tls["key"],
                     "--tls-ca-cert-file", self.tls["ca"],
                     "--tls-auth-clients", self.tls.get("auth_clients", "no")]
        else:
            args += ["--port", str(self.port)]
        if self.password:
            args += ["--requirepass", self.password]
        if self.acl:
            path = os.path.join(self.dir, "users.acl")
            with open(path, "w") as f:
                f.write(self.acl)
            args += ["--aclfile", path]
        self.proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                                     stdin=subprocess.DEVNULL)
        deadline = time.monotonic() + 15
        while True:
            line = self.proc.stdout.readline()
            if not line:
                raise Failure("redis-server did not start: " + "".join(self.log[-20:]))
            self.log.append(line.decode(errors="replace"))
            if b"Ready to accept connections" in line:
                break
            if time.monotonic() > deadline:
                raise Failure("redis-server did not get ready: " + "".join(self.log[-20:]))
        proc = self.proc

        def drain():
            for line in proc.stdout:
                self.log.append(line.decode(errors="replace"))
        threading.Thread(target=drain, daemon=True).start()

    def url(self, password=True):
        auth = ":{}@".format(self.password) if self.password and password else ""
        return "{}://{}127.0.0.1:{}/0".format("rediss" if self.tls else "redis", auth, self.port)

    def command(self, *args):
        """One command over plain TCP (not for the TLS server)."""
        s = socket.create_connection(("127.0.0.1", self.port), timeout=5)
        try:
            f = s.makefile("rb")
            if self.password:
                s.sendall(_encode(["AUTH", self.password]))
                _read_reply(f)
            s.sendall(_encode(list(args)))
            return _read_reply(f)
        finally:
            s.close()

    def freeze(self):
        """Accepts connections (the kernel does) but answers nothing."""
        self.proc.send_signal(signal.SIGSTOP)

    def thaw(self):
        self.proc.send_signal(signal.SIGCONT)

    def kill(self):
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGCONT)
            self.proc.kill()
            self.proc.wait()

    def stop(self):
        self.kill()


# ------------------------------------------------------------------ replicas

class Replica(h.HttpPcfMcp):
    """One pcf-mcp serving HTTP, with the store (if any) and a PCF."""

    def __init__(self, tmp, name, fake=None, store=None, args=(), env=None):
        work = os.path.join(tmp, name)
        os.makedirs(work, exist_ok=True)
        self.name = name
        extra = {}
        if store:
            extra["PCF_MCP_STORE_URL"] = store
        if fake:
            token_file = os.path.join(work, "token")
            with open(token_file, "w") as f:
                f.write(h.TOKEN)
            args = ["--pcf-url", fake.base, "--pcf-token-file", token_file] + list(args)
        extra.update(env or {})
        super().__init__(list(args), workdir=work, env=extra)

    def metric(self, name, labels=None):
        """Sum of the series of @name whose labels include @labels."""
        total = 0.0
        for key, v in self.metrics().items():
            base = key.split("{", 1)[0]
            if base != name:
                continue
            if labels and not all('{}="{}"'.format(k, val) in key for k, val in labels.items()):
                continue
            total += v
        return total

    def wait_store(self, up, timeout=20):
        h.wait_for(lambda: self.metric("pcf_mcp_store_up") == (1 if up else 0), timeout,
                   "{}: store {}".format(self.name, "up" if up else "down"))

    def ready(self):
        import json
        status, _, text = self.request("GET", "/readyz", timeout=10)
        return status, json.loads(text)


def stateless_post(replica, msg, timeout=30, headers=None):
    """A POST without a session (the replicas run --stateless); returns
    (status, reply or text, seconds)."""
    t = time.monotonic()
    status, _, body = replica.post(msg, timeout=timeout, headers=headers)
    return status, body, time.monotonic() - t


def call(replica, rid, name, args, timeout=30):
    return stateless_post(replica, {"jsonrpc": "2.0", "id": rid, "method": "tools/call",
                                    "params": {"name": name, "arguments": args}}, timeout)


def ok_result(status, body, what):
    check(status == 200 and isinstance(body, dict) and "result" in body and
          not body["result"].get("isError"), "{}: {} {}".format(what, status, body))
    return body["result"]


class Bench:
    """What one test runs: a temporary directory, a redis-server, a fake
    PCF and replicas, all stopped on leaving the `with` block. The
    directory (the logs) is kept when the test fails."""

    def __init__(self, prefix="pcfmcp-replicas-"):
        self.tmp = tempfile.mkdtemp(prefix=prefix)
        self.reps = []
        self.redis = None
        self.fake = None

    def __enter__(self):
        return self

    def store(self, **kw):
        self.redis = Redis(self.tmp, **kw)
        return self.redis

    def pcf(self):
        self.fake = fakeproc.Fake("--seed", "minimal", "--token", h.TOKEN)
        return self.fake

    def replica(self, name, store, args=(), wait=True):
        """A replica of the bench's PCF (if any); @wait for its store to be up."""
        rep = Replica(self.tmp, name, self.fake, store, args)
        self.reps.append(rep)
        if store and wait:
            rep.wait_store(True)
        return rep

    def pair(self, store, args=(), names=("a", "b")):
        return [self.replica(n, store, args) for n in names]

    def stop(self, rep):
        rep.stop()
        self.reps.remove(rep)

    def stop_replicas(self):
        for rep in self.reps:
            rep.stop()
        self.reps = []

    def __exit__(self, kind, value, tb):
        self.stop_replicas()
        if self.redis:
            self.redis.stop()
        if self.fake:
            self.fake.stop()
        if kind is None:
            shutil.rmtree(self.tmp, ignore_errors=True)
        else:
            sys.stderr.write("logs kept in {}\n".format(self.tmp))
        return False


def deployed_acl(password):
    """The ACL deploy/kubernetes/redis/redis.yaml gives pcf-mcp, with
    @password: the tests use it, so it cannot lack a command pcf-mcp sends."""
    import re
    with open(os.path.join(SRCDIR, "deploy", "kubernetes", "redis", "redis.yaml")) as f:
        text = f.read()
    lines = re.findall(r"^ *(user \S+ .*)$", text, re.M)
    check(lines, "no ACL in deploy/kubernetes/redis/redis.yaml")
    return "".join(l.replace("{{ .password }}", password) + "\n" for l in lines)


def run(main):
    h.run(main)
