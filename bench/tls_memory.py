#!/usr/bin/env python3
"""Memory of pcf-mcp per mcp.workers thread when PCF is reached over HTTPS.

Not a test: prints one line per worker count.
  bench/tls_memory.py PCF_MCP_BINARY [WORKERS...]   (default 8 32)

For each worker count: the fake PCF (tests/fakepcf) serves HTTPS with a CA
made here by openssl; pcf-mcp serves stdio with that many workers, the read
cache off and no rate limits; a client keeps 2 x workers list_projects calls
in flight for ROUNDS rounds (PCF answers after 20 ms, so the workers overlap)
and reads /proc at the end. Plain HTTP to PCF is measured as the baseline;
"https+sys" trusts the system CA bundle plus the test CA (pcf.ca_file), the
size of trust store a PCF with a public certificate needs.
The environment is passed through (MALLOC_ARENA_MAX, for one).
Loopback only; bounded (each run ends after ROUNDS rounds)."""
import json
import os
import shutil
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "..", "tests", "fakepcf", "fake_pcf.py")
TOKEN = "11111111-2222-4333-8444-555555555555"
ROUNDS = int(os.environ.get("ROUNDS", "20"))


def make_ca(tmp):
    """A CA and a certificate for 127.0.0.1 it signed."""
    def run(*args):
        subprocess.run(["openssl"] + list(args), check=True, capture_output=True, cwd=tmp)
    run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=bench CA")
    run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", "srv.key", "-out", "srv.csr", "-subj", "/CN=127.0.0.1")
    with open(os.path.join(tmp, "ext"), "w") as fh:
        fh.write("subjectAltName=IP:127.0.0.1\n")
    run("x509", "-req", "-in", "srv.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "srv.pem", "-days", "2", "-extfile", "ext")
    return [os.path.join(tmp, n) for n in ("ca.pem", "srv.pem", "srv.key")]


def start_fake(tmp, tls):
    pf = os.path.join(tmp, "port")
    if os.path.exists(pf):
        os.unlink(pf)
    args = ["python3", FAKE, "--seed", "demo", "--token", TOKEN, "--port", "0",
            "--port-file", pf, "--fault", "mode=latency,latency_ms=20,path=^/api/"]
    if tls:
        args += ["--tls-cert", tls[1], "--tls-key", tls[2]]
    proc = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    for _ in range(200):
        if os.path.exists(pf) and open(pf).read().strip():
            break
        time.sleep(0.05)
    port = int(open(pf).read())
    return proc, "{}://127.0.0.1:{}".format("https" if tls else "http", port)


def status(pid):
    out = {}
    with open("/proc/{}/status".format(pid)) as fh:
        for line in fh:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "VmHWM", "RssAnon", "Threads"):
                out[k] = int(v.split()[0])
    return out


def measure(binary, url, ca, workers):
    env = dict(os.environ, PCF_MCP_PCF_URL=url, PCF_MCP_PCF_TOKEN=TOKEN,
               PCF_MCP_MCP_WORKERS=str(workers), PCF_MCP_CACHE_ENABLED="false",
               PCF_MCP_RATE_LIMIT_REQUESTS_PER_SECOND="0", PCF_MCP_AUDIT_ENABLED="false",
               PCF_MCP_LOG_LEVEL="error")
    if ca:
        env["PCF_MCP_PCF_CA_FILE"] = ca
    p = subprocess.Popen([binary], stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env)

    def send(obj):
        p.stdin.write((json.dumps(obj) + "\n").encode())
        p.stdin.flush()
    send({"jsonrpc": "2.0", "id": 0, "method": "initialize",
          "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                     "clientInfo": {"name": "bench", "version": "1"}}})
    p.stdout.readline()
    send({"jsonrpc": "2.0", "method": "notifications/initialized"})
    errors = 0
    inflight = 2 * workers
    rid = 1
    for _ in range(ROUNDS):
        batch = b""
        for _ in range(inflight):
            batch += (json.dumps({"jsonrpc": "2.0", "id": rid, "method": "tools/call",
                                  "params": {"name": "list_projects", "arguments": {}}}) + "\n").encode()
            rid += 1
        p.stdin.write(batch)
        p.stdin.flush()
        for _ in range(inflight):
            m = json.loads(p.stdout.readline())
            if "error" in m or m.get("result", {}).get("isError"):
                errors += 1
    st = status(p.pid)
    p.stdin.close()
    p.wait()
    return st, errors


def main():
    binary = sys.argv[1]
    counts = [int(a) for a in sys.argv[2:]] or [8, 32]
    tmp = tempfile.mkdtemp(prefix="pcfmcp-tlsmem-")
    try:
        tls = make_ca(tmp)
        print("{:<10} {:>8} {:>10} {:>10} {:>10} {:>8} {:>7}".format(
            "PCF", "workers", "RSS MiB", "peak MiB", "anon MiB", "threads", "errors"))
        sysca = os.path.join(tmp, "system+test.pem")
        with open(sysca, "wb") as out:
            for src in ("/etc/ssl/certs/ca-certificates.crt", tls[0]):
                with open(src, "rb") as fh:
                    out.write(fh.read())
        for scheme, ca in (("http", None), ("https", tls[0]), ("https+sys", sysca)):
            fake, url = start_fake(tmp, tls if ca else None)
            try:
                for n in counts:
                    st, errors = measure(binary, url, ca, n)
                    print("{:<10} {:>8} {:>10.1f} {:>10.1f} {:>10.1f} {:>8} {:>7}".format(
                        scheme, n, st["VmRSS"] / 1024, st["VmHWM"] / 1024,
                        st["RssAnon"] / 1024, st["Threads"], errors), flush=True)
            finally:
                fake.terminate()
                fake.wait()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
