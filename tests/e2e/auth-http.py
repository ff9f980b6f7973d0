#!/usr/bin/env python3
"""pcf-mcp serve --transport http with API keys: 401 and a Bearer challenge
without a key, the session bound to the key's identity, SIGHUP re-reads the
keys file. Usage: auth-http.py PCF_MCP_BINARY WORKDIR"""
import hashlib, http.client, json, os, re, signal, subprocess, sys, time

binary, work = sys.argv[1], sys.argv[2]
os.makedirs(work, exist_ok=True)
alice, bob = "alice-key-" + os.urandom(16).hex(), "bob-key-" + os.urandom(16).hex()
keys = os.path.join(work, "keys")
def write_keys(*pairs):
    with open(keys, "w") as f:
        for name, key in pairs:
            f.write(f"{name} sha256:{hashlib.sha256(key.encode()).hexdigest()}\n")
write_keys(("alice", alice))
proc = subprocess.Popen([binary, "serve", "--transport", "http", "--server-port", "0", "--log-format", "text",
                         "--auth-api-keys-file", keys], stderr=subprocess.PIPE, text=True)
failures = 0
def check(name, ok, detail=""):
    global failures
    print(("PASS " if ok else "FAIL ") + name + ("" if ok else ": " + str(detail)))
    failures += 0 if ok else 1
def wait_log(pattern, seconds=10):
    deadline = time.time() + seconds
    while time.time() < deadline:
        line = proc.stderr.readline()
        m = re.search(pattern, line)
        if m:
            return m
    return None
INIT = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
    "protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "e2e", "version": "1"}}})
def post(port, body, **headers):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    h = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}
    h.update(headers)
    c.request("POST", "/mcp", body, h)
    r = c.getresponse()
    return r.status, dict((k.lower(), v) for k, v in r.getheaders()), r.read().decode()
try:
    m = wait_log(r"http://127\.0\.0\.1:(\d+)/mcp")
    port = int(m.group(1))
    st, hd, body = post(port, INIT)
    check("no key: 401", st == 401, st)
    check("no key: Bearer challenge", hd.get("www-authenticate", "").startswith("Bearer"), hd)
    st, hd, body = post(port, INIT, Authorization="Bearer wrong-key-0123456789abcdef")
    check("wrong key: 401 invalid_token", st == 401 and "invalid_token" in hd.get("www-authenticate", ""), hd)
    st, hd, body = post(port, INIT, Authorization="Bearer " + alice)
    sid = hd.get("mcp-session-id")
    check("alice: initialize", st == 200 and sid, (st, body))
    ping = json.dumps({"jsonrpc": "2.0", "id": 2, "method": "ping"})
    st, hd, body = post(port, ping, Authorization="Bearer " + alice, **{"Mcp-Session-Id": sid})
    check("alice: her session", st == 200, st)
    st, hd, body = post(port, ping, Authorization="Bearer " + bob, **{"Mcp-Session-Id": sid})
    check("bob unknown before reload", st == 401, st)
    write_keys(("alice", alice), ("bob", bob))
    proc.send_signal(signal.SIGHUP)
    check("SIGHUP reloads the keys", wait_log(r"reload: 2 API key") is not None)
    st, hd, body = post(port, ping, Authorization="Bearer " + bob, **{"Mcp-Session-Id": sid})
    check("bob cannot use alice's session", st == 404, st)
    st, hd, body = post(port, INIT, Authorization="Bearer " + bob)
    check("bob: own session", st == 200 and hd.get("mcp-session-id"), st)
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    c.request("GET", "/healthz")
    check("health needs no key", c.getresponse().status == 200)
finally:
    proc.send_signal(signal.SIGTERM)
    proc.wait(timeout=15)
print("all passed" if not failures else f"{failures} failed")
sys.exit(1 if failures else 0)
