"""Refusals over HTTP are answered right and audited.

1. Two unauthenticated POSTs (no key, a wrong key) get 401, a storm past
   the caller's bucket gets 429, and two tool calls succeed: the audit file
   holds one "refusal" record per 401 (identity "anonymous") and per 429
   (the caller's key name), each with the status and the client address,
   plus one "tool_call" record per call.
2. SIGTERM during a slow PCF call (the fake PCF's latency fault): a new
   POST gets 503 "server is shutting down" with Retry-After (not 429),
   /readyz names the drain once, the call in flight still completes, the
   503 is audited and pcf-mcp exits 0."""

import json
import os
import signal
import threading

import harness as h

KEY = "alice-secret-0123456789"


def audit_records(path):
    with open(path) as f:
        return [json.loads(l) for l in f if l.strip()]


def refusals(tmp, fake, token_file, project):
    keys = os.path.join(tmp, "keys")
    with open(keys, "w") as f:
        f.write(h.key_line("alice", KEY) + "\n")
    audit = os.path.join(tmp, "audit.jsonl")
    proc = h.HttpPcfMcp(["--pcf-url", fake.base, "--pcf-token-file", token_file,
                         "--auth-api-keys-file", keys, "--audit-file", audit,
                         "--rate-limit-requests-per-second", "0.01",
                         "--rate-limit-burst", "8"], workdir=tmp)
    try:
        ping = {"jsonrpc": "2.0", "id": 9, "method": "ping"}
        h.check(proc.post(ping)[0] == 401, "no key was not 401")
        h.check(proc.post(ping, key="wrong-key-0123456789")[0] == 401, "wrong key was not 401")
        sid = proc.initialize(key=KEY)  # 2 tokens: initialize, initialized
        for i in range(2):
            st, _, body = proc.call("list_hosts", {"project": project}, key=KEY, session=sid,
                                    rid=10 + i)
            h.check(st == 200 and "result" in body and not body["result"].get("isError"),
                    "list_hosts failed: {} {}".format(st, body))
        statuses = [proc.post(ping, key=KEY, session=sid)[0] for _ in range(10)]
        n429 = statuses.count(429)
        h.check(n429 >= 6 and set(statuses) <= {200, 429},
                "storm statuses: {}".format(statuses))
        proc.stop()
        recs = audit_records(audit)
        r401 = [r for r in recs if r.get("status") == 401]
        r429 = [r for r in recs if r.get("status") == 429]
        calls = [r for r in recs if r.get("event") == "tool_call"]
        h.check(len(r401) == 2, "{} audited 401s, want 2: {}".format(len(r401), recs))
        h.check(len(r429) == n429, "{} audited 429s, want {}".format(len(r429), n429))
        h.check(len(calls) == 2, "{} tool_call records, want 2".format(len(calls)))
        for r in r401:
            h.check(r["event"] == "refusal" and r["outcome"] == "refused" and
                    r["identity"] == "anonymous" and r["client_address"] == "127.0.0.1" and
                    r["tool"] == "POST" and r.get("detail"), "bad 401 record: {}".format(r))
        for r in r429:
            h.check(r["event"] == "refusal" and r["identity"] == "key:alice" and
                    r["client_address"] == "127.0.0.1" and "rate limit" in r["detail"],
                    "bad 429 record: {}".format(r))
        lines = h.log_lines(proc.stderr_text())
        auth = [l for l in lines if "refused an HTTP request" in l.get("msg", "")]
        h.check(len(auth) == 2 and all(l.get("identity") == "anonymous" for l in auth),
                "auth refusal log lines lack identity anonymous: {}".format(auth))
        print("refusals: 2x401 and {}x429 audited with status, identity and address".format(n429))
    finally:
        proc.stop()


def drain(tmp, fake, token_file, project):
    audit = os.path.join(tmp, "audit-drain.jsonl")
    fake.control("faults/clear", {})
    fake.control("stats/reset", {})
    proc = h.HttpPcfMcp(["--pcf-url", fake.base, "--pcf-token-file", token_file,
                         "--audit-file", audit, "--server-shutdown-grace", "30s"],
                        workdir=tmp)
    try:
        sid = proc.initialize()
        fake.control("stats/reset", {})
        fake.control("faults", {"mode": "latency", "latency_ms": 2500})
        slow = {}

        def call():
            slow["reply"] = proc.call("list_hosts", {"project": project}, session=sid, rid=50)

        t = threading.Thread(target=call, daemon=True)
        t.start()
        h.wait_for(lambda: fake.control("stats").get("total", 0) > 0,
                   what="the call to reach PCF")
        proc.signal(signal.SIGTERM)

        def draining():
            return "draining" in proc.request("GET", "/readyz")[2]
        h.wait_for(draining, timeout=10, what="/readyz to say draining")
        st, rh, body = proc.post({"jsonrpc": "2.0", "id": 51, "method": "ping"}, session=sid)
        h.check(st == 503, "a new POST while draining got {} {}".format(st, body))
        h.check((rh.get("retry-after") or "").isdigit(), "503 without Retry-After: {}".format(rh))
        h.check("shutting down" in json.dumps(body), "503 does not say why: {}".format(body))
        st, _, text = proc.request("GET", "/readyz")
        reasons = json.loads(text)["reasons"]
        h.check(st == 503 and reasons.count("draining: shutting down") == 1,
                "/readyz while draining: {} {}".format(st, reasons))
        t.join(30)
        st, _, body = slow.get("reply", (0, None, None))
        h.check(st == 200 and "result" in body and not body["result"].get("isError"),
                "the call in flight did not complete: {} {}".format(st, body))
        status = proc.wait(timeout=40)
        h.check(status == 0, "drain exited {}:\n{}".format(status, proc.stderr_text()[-2000:]))
        r503 = [r for r in audit_records(audit) if r.get("status") == 503]
        h.check(len(r503) == 1 and r503[0]["identity"] == "anonymous" and
                "shutting down" in r503[0]["detail"], "503 not audited: {}".format(r503))
        print("drain: new POST 503 with Retry-After, slow call completed, exit 0")
    finally:
        fake.control("faults/clear", {})
        proc.stop()


def main():
    fake = h.fakeproc.Fake("--seed", "minimal", "--token", h.TOKEN)
    tmp = h.tempfile.mkdtemp(prefix="pcfmcp-refusals-")
    token_file = os.path.join(tmp, "token")
    with open(token_file, "w") as f:
        f.write(h.TOKEN)
    try:
        project = h.first_project(fake)
        refusals(tmp, fake, token_file, project)
        drain(tmp, fake, token_file, project)
        return 0
    finally:
        fake.stop()
        h.shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    h.run(main)
