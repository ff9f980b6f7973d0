"""/readyz follows PCF: 503 with a reason until the background check_token
probe has succeeded, 200 once PCF accepts the credential, 503 again (with
PCF's own reason) when PCF starts refusing it; /healthz stays 200 throughout.
No health request ever waits on PCF."""

import http.client
import json
import os
import subprocess
import tempfile
import time

import harness as h  # puts tests/contract on sys.path
import fakeproc  # noqa: E402


def get(port, path):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    t = time.monotonic()
    c.request("GET", path)
    r = c.getresponse()
    body = r.read().decode()
    c.close()
    h.check(time.monotonic() - t < 2, "{} took {:.1f} s: health checks must not wait on PCF"
            .format(path, time.monotonic() - t))
    return r.status, body


def main():
    tmp = tempfile.mkdtemp(prefix="pcfmcp-ready-")
    fake = fakeproc.Fake("--seed", "minimal", "--token", h.TOKEN)
    port = h.free_port()
    errf = open(os.path.join(tmp, "log"), "wb")
    proc = subprocess.Popen([h.binary(), "--transport", "http", "--server-port", str(port),
                             "--server-readiness-ttl", "200ms"], stdin=subprocess.DEVNULL,
                            stdout=subprocess.DEVNULL, stderr=errf,
                            env=h.clean_env({"PCF_MCP_PCF_URL": "http://127.0.0.1:{}".format(fake.port),
                                             "PCF_MCP_PCF_TOKEN": h.TOKEN}))
    try:
        def up():
            try:
                return get(port, "/healthz")[0] == 200
            except OSError:
                return False
        h.wait_for(up, 10, "the HTTP listener")
        status, body = get(port, "/readyz")
        h.check(status in (200, 503), "first /readyz: {}".format(status))
        h.wait_for(lambda: get(port, "/readyz")[0] == 200, 10, "readiness with PCF up")
        print("ready once PCF accepts the token")
        fake.control("expire_tokens", {})
        def refused():
            st, b = get(port, "/readyz")
            return st == 503 and "Token expired" in b
        h.wait_for(refused, 10, "readiness to follow PCF refusing the token")
        st, b = get(port, "/readyz")
        reasons = json.loads(b)["reasons"]
        h.check(any("Token expired" in r for r in reasons), "reason: {}".format(reasons))
        h.check(h.TOKEN not in b, "the token reached /readyz")
        h.check(get(port, "/healthz")[0] == 200, "/healthz must not depend on PCF")
        print("not ready, with PCF's reason, once PCF refuses the token; /healthz unaffected")
    finally:
        proc.terminate()
        proc.wait(timeout=20)
        fake.stop()


if __name__ == "__main__":
    h.run(main)
