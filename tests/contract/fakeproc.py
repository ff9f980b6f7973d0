"""Starting, driving and stopping tests/fakepcf/fake_pcf.py from Python tests."""

import http.client
import json
import os
import shutil
import signal
import subprocess
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))


def srcdir():
    return os.environ.get("top_srcdir") or os.path.normpath(os.path.join(HERE, "..", ".."))


def fake_script():
    return os.path.join(srcdir(), "tests", "fakepcf", "fake_pcf.py")


def fixtures_dir():
    base = os.environ.get("PCFMCP_TEST_FIXTURES")
    if base:
        return os.path.join(base, "pcf")
    return os.path.join(srcdir(), "tests", "fixtures", "pcf")


class FakeError(Exception):
    pass


class Fake:
    """One fake PCF process on an ephemeral loopback port."""

    def __init__(self, *args, timeout=10.0):
        self.tmp = tempfile.mkdtemp(prefix="fakepcf-")
        self.port_file = os.path.join(self.tmp, "port")
        self.args = list(args)
        cmd = ["python3", fake_script(), "--port", "0", "--port-file", self.port_file] + self.args
        env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1")
        self.err_path = os.path.join(self.tmp, "stderr")
        with open(self.err_path, "wb") as errf:
            self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=errf, env=env,
                                         start_new_session=True)
        self.started = time.monotonic()
        deadline = self.started + timeout
        while True:
            if os.path.exists(self.port_file):
                with open(self.port_file) as fh:
                    txt = fh.read().strip()
                if txt:
                    self.port = int(txt)
                    break
            if self.proc.poll() is not None:
                err = self.stderr_text()
                self.stop()
                raise FakeError("fake exited early ({}): {}".format(self.proc.returncode, err))
            if time.monotonic() > deadline:
                self.stop()
                raise FakeError("fake did not write its port file in time")
            time.sleep(0.005)
        self.startup_seconds = time.monotonic() - self.started
        self.base = "http://127.0.0.1:{}".format(self.port)

    def request(self, method, path, body=None, headers=None, timeout=10.0):
        """Returns (status, {lower-case header: value}, body bytes).  Never
        follows redirects.  Raises socket.timeout / OSError on transport
        failures."""
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            if isinstance(body, (dict, list)):
                body = json.dumps(body).encode()
                headers = dict(headers or {}, **{"Content-Type": "application/json"})
            elif isinstance(body, str):
                body = body.encode()
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            data = resp.read()
            hdrs = {}
            for k, v in resp.getheaders():
                k = k.lower()
                hdrs[k] = hdrs[k] + ", " + v if k in hdrs and k != "set-cookie" else v
            return resp.status, hdrs, data
        finally:
            conn.close()

    def api(self, path, obj):
        status, _, data = self.request("POST", "/api/v1" + path, obj)
        try:
            return status, json.loads(data.decode())
        except ValueError:
            return status, data.decode(errors="replace")

    def control(self, path, obj=None, method=None):
        method = method or ("POST" if obj is not None else "GET")
        status, _, data = self.request(method, "/__fake__/" + path.lstrip("/"),
                                       obj if obj is not None else None)
        if status != 200:
            raise FakeError("control {} -> {} {}".format(path, status, data[:200]))
        return json.loads(data.decode())

    def stop(self):
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, signal.SIGTERM)
            except OSError:
                pass
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        shutil.rmtree(self.tmp, ignore_errors=True)

    def stderr_text(self):
        try:
            with open(self.err_path, "rb") as fh:
                return fh.read().decode(errors="replace")
        except OSError:
            return ""

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.stop()
