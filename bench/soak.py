#!/usr/bin/env python3
"""Soak test of pcf-mcp over Streamable HTTP against the fake PCF.

Not a unit test: bounded in time, prints a table. Usage:
  bench/soak.py PCF_MCP_BINARY [--minutes 30] [--rate 40] [--cache on|off]
                [--interval 30] [--warmup 10] [--clients 4]

Starts tests/fakepcf/fake_pcf.py (demo engagement) and `pcf-mcp --transport
http` with its read cache on or off, then keeps a fixed rate of requests
(half tools/list, half tools/call over list_projects, get_project,
list_hosts and list_issues) coming from --clients clients, each with a
session and a kept-alive connection, for --minutes. Every --interval
seconds it records the server's RSS and private memory, its open
descriptors (and how many belong to the pool of libcurl handles that talk
to PCF), its threads, the requests done and the errors (HTTP status not
200, a JSON-RPC error or a tool result with isError) in that window.

The verdict compares the samples after --warmup minutes: RSS growth from
the first sample after warm-up to the last under 2 %, every descriptor
outside the libcurl pool back to the same count (the pool follows the
load: at most 16 handles), 0 errors. Rate limits are off (the rate is
fixed here; one address would otherwise be limited). Exit status 0 when
the targets hold, 1 otherwise. Loopback only; everything it starts is
stopped at the end or on SIGINT/SIGTERM."""
import argparse
import http.client
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

HERE = os.path.dirname(os.path.abspath(__file__))
FAKE = os.path.join(HERE, "..", "tests", "fakepcf", "fake_pcf.py")
TOKEN = "11111111-2222-4333-8444-555555555555"
ACCEPT = "application/json, text/event-stream"


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def proc_sample(pid, server_port):
    """Memory, threads and descriptors of the process. Descriptors are split
    into the libcurl pool's (its connections to PCF, the socket pair of each
    handle's internal multi handle, and connections PCF closed that a handle
    still holds until its next use) and the rest: files, pipes, event
    descriptors and the HTTP side (the listener and the clients'
    connections, on the server's own port)."""
    st = {}
    with open("/proc/{}/status".format(pid)) as fh:
        for line in fh:
            k, _, v = line.partition(":")
            if k in ("VmRSS", "RssAnon", "Threads"):
                st[k] = int(v.split()[0])
    inodes = []
    other = 0
    for fd in os.listdir("/proc/{}/fd".format(pid)):
        try:
            target = os.readlink("/proc/{}/fd/{}".format(pid, fd))
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.append(target[8:-1])
        else:
            other += 1
    http_side = set()
    for table in ("tcp", "tcp6"):
        try:
            with open("/proc/{}/net/{}".format(pid, table)) as fh:
                next(fh)
                for line in fh:
                    f = line.split()
                    if int(f[1].rsplit(":", 1)[1], 16) == server_port:
                        http_side.add(f[9])
        except OSError:
            pass
    st["pool"] = sum(1 for i in inodes if i not in http_side)
    st["other"] = other + len(inodes) - st["pool"]
    st["fds"] = st["other"] + st["pool"]
    return st


class Client:
    """One MCP client: a session on a kept-alive connection."""

    def __init__(self, port):
        self.port = port
        self.conn = None
        self.sid = None
        self.next_id = 1

    def _post(self, msg):
        if self.conn is None:
            self.conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        hdrs = {"Content-Type": "application/json", "Accept": ACCEPT}
        if self.sid:
            hdrs["Mcp-Session-Id"] = self.sid
        try:
            self.conn.request("POST", "/mcp", body=json.dumps(msg), headers=hdrs)
            r = self.conn.getresponse()
            body = r.read()
        except (OSError, http.client.HTTPException):
            self.conn.close()
            self.conn = None
            raise
        return r, body

    def open(self):
        r, _ = self._post({"jsonrpc": "2.0", "id": 0, "method": "initialize",
                           "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                                      "clientInfo": {"name": "soak", "version": "1"}}})
        self.sid = r.getheader("Mcp-Session-Id")
        self._post({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def call(self, method, params):
        """True when the request was answered without any kind of error."""
        self.next_id += 1
        msg = {"jsonrpc": "2.0", "id": self.next_id, "method": method}
        if params is not None:
            msg["params"] = params
        try:
            r, body = self._post(msg)
        except (OSError, http.client.HTTPException):
            return False
        if r.status != 200:
            return False
        try:
            m = json.loads(body)
        except ValueError:
            return False
        if "error" in m:
            return False
        return not m.get("result", {}).get("isError", False)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("binary")
    ap.add_argument("--minutes", type=float, default=30.0)
    ap.add_argument("--rate", type=float, default=40.0, help="requests per second")
    ap.add_argument("--cache", choices=["on", "off"], default="on")
    ap.add_argument("--interval", type=float, default=30.0, help="seconds between samples")
    # The heap settles in 10 to 15 minutes at 40 req/s (30-minute runs,
    # 2026-12-07): measured from 5 minutes, that settling alone came to 2 %.
    ap.add_argument("--warmup", type=float, default=10.0, help="minutes before the baseline")
    ap.add_argument("--clients", type=int, default=4)
    a = ap.parse_args()

    tmp = tempfile.mkdtemp(prefix="pcfmcp-soak-")
    procs = []

    def cleanup(*_):
        for p in procs:
            if p.poll() is None:
                p.terminate()
                try:
                    p.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    p.kill()
        shutil.rmtree(tmp, ignore_errors=True)

    def on_signal(signum, _frame):
        cleanup()
        sys.exit(128 + signum)

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    try:
        pf = os.path.join(tmp, "port")
        fake = subprocess.Popen(["python3", FAKE, "--seed", "demo", "--token", TOKEN, "--port", "0",
                                 "--port-file", pf], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        procs.append(fake)
        for _ in range(200):
            if os.path.exists(pf) and open(pf).read().strip():
                break
            time.sleep(0.05)
        pcf_port = int(open(pf).read())
        fake_url = "http://127.0.0.1:{}".format(pcf_port)
        port = free_port()
        env = {k: v for k, v in os.environ.items() if not k.startswith("PCF_MCP_")}
        env.update({"PCF_MCP_PCF_URL": fake_url, "PCF_MCP_PCF_TOKEN": TOKEN,
                    "PCF_MCP_CACHE_ENABLED": "true" if a.cache == "on" else "false",
                    "PCF_MCP_RATE_LIMIT_REQUESTS_PER_SECOND": "0",
                    "PCF_MCP_AUDIT_FILE": os.path.join(tmp, "audit.jsonl"),
                    "PCF_MCP_LOG_LEVEL": "warn"})
        errlog = open(os.path.join(tmp, "stderr.log"), "wb")
        server = subprocess.Popen([a.binary, "--transport", "http", "--server-port", str(port)],
                                  stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                  stderr=errlog, env=env)
        procs.append(server)
        for _ in range(200):
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                time.sleep(0.05)

        probe = Client(port)
        probe.open()
        probe.next_id += 1
        r, body = probe._post({"jsonrpc": "2.0", "id": probe.next_id, "method": "tools/call",
                               "params": {"name": "list_projects", "arguments": {}}})
        doc = json.loads(body)["result"].get("structuredContent", {})
        projects = [p["id"] for p in doc.get("projects", []) if p.get("status") != "archived"]
        if not projects:
            raise SystemExit("no project in the fake PCF's answer: {}".format(body[:300]))
        mix = [("tools/list", None)]
        for pid in projects[:2]:
            mix += [("tools/list", None),
                    ("tools/call", {"name": "list_projects", "arguments": {}}),
                    ("tools/list", None),
                    ("tools/call", {"name": "get_project", "arguments": {"project": pid}}),
                    ("tools/list", None),
                    ("tools/call", {"name": "list_hosts", "arguments": {"project": pid}}),
                    ("tools/call", {"name": "list_issues", "arguments": {"project": pid}})]

        lock = threading.Lock()
        win = {"done": 0, "errors": 0, "lat": []}
        total = {"done": 0, "errors": 0}
        stop = threading.Event()
        end = time.monotonic() + a.minutes * 60.0
        period = a.clients / a.rate  # each client sends one request per period

        def run_client(k):
            c = Client(port)
            c.open()
            nxt = time.monotonic() + period * k / a.clients
            i = k
            while not stop.is_set():
                delay = nxt - time.monotonic()
                if delay > 0:
                    stop.wait(delay)
                    if stop.is_set():
                        break
                nxt += period
                method, params = mix[i % len(mix)]
                i += 1
                t0 = time.monotonic()
                ok = c.call(method, params)
                dt = time.monotonic() - t0
                with lock:
                    win["done"] += 1
                    win["lat"].append(dt)
                    total["done"] += 1
                    if not ok:
                        win["errors"] += 1
                        total["errors"] += 1

        threads = [threading.Thread(target=run_client, args=(k,), daemon=True)
                   for k in range(a.clients)]
        for t in threads:
            t.start()
        print("pcf-mcp soak: HTTP, cache {}, {:.0f} req/s from {} clients, {:g} min, "
              "sample every {:g} s, warm-up {:g} min".format(a.cache, a.rate, a.clients,
                                                              a.minutes, a.interval, a.warmup))
        print("{:>7} {:>9} {:>9} {:>5} {:>5} {:>7} {:>8} {:>7} {:>7} {:>7}".format(
            "t min", "RSS KiB", "anon KiB", "fds", "pool", "threads", "requests", "errors",
            "p50 ms", "p99 ms"), flush=True)
        t_start = time.monotonic()
        samples = []
        while True:
            now = time.monotonic()
            if now >= end:
                break
            time.sleep(min(a.interval, end - now))
            if server.poll() is not None:
                print("pcf-mcp exited with status {}".format(server.returncode))
                break
            st = proc_sample(server.pid, port)
            with lock:
                done, errors, lat = win["done"], win["errors"], sorted(win["lat"])
                win.update(done=0, errors=0, lat=[])
            t_min = (time.monotonic() - t_start) / 60.0
            p50 = lat[len(lat) // 2] * 1000 if lat else 0.0
            p99 = lat[min(len(lat) - 1, int(len(lat) * 0.99))] * 1000 if lat else 0.0
            samples.append(dict(st, t=t_min, done=done, errors=errors))
            print("{:>7.1f} {:>9} {:>9} {:>5} {:>5} {:>7} {:>8} {:>7} {:>7.1f} {:>7.1f}".format(
                t_min, st["VmRSS"], st["RssAnon"], st["fds"], st["pool"], st["Threads"], done,
                errors, p50, p99), flush=True)
        stop.set()
        for t in threads:
            t.join(timeout=40)

        after = [s for s in samples if s["t"] >= a.warmup - 1e-9]
        if len(after) < 2:
            print("too short for a verdict: {} sample(s) after the warm-up".format(len(after)))
            return 1
        base, last = after[0], after[-1]
        growth = (last["VmRSS"] - base["VmRSS"]) * 100.0 / base["VmRSS"]
        peak = max(s["VmRSS"] for s in after)
        anon_growth = (last["RssAnon"] - base["RssAnon"]) * 100.0 / base["RssAnon"]
        # The libcurl pool's descriptors come and go with the load (at most
        # 16 handles of three each); every other one must be back where it was.
        fds_ok = last["other"] <= base["other"] and max(s["pool"] for s in after) <= 3 * 16
        ok = growth < 2.0 and total["errors"] == 0 and fds_ok and server.poll() is None
        print("summary: cache {} requests {} errors {} | RSS {} -> {} KiB ({:+.2f} %, peak {} KiB)"
              " | private {} -> {} KiB ({:+.2f} %) | fds {} -> {} (of the PCF pool {} -> {})"
              " | rate {:.1f} req/s | {}".format(
                  a.cache, total["done"], total["errors"], base["VmRSS"], last["VmRSS"], growth,
                  peak, base["RssAnon"], last["RssAnon"], anon_growth, base["fds"], last["fds"],
                  base["pool"], last["pool"],
                  statistics.mean(s["done"] for s in after) / a.interval,
                  "PASS" if ok else "FAIL"), flush=True)
        return 0 if ok else 1
    finally:
        cleanup()


if __name__ == "__main__":
    sys.exit(main())
