"""Secret sweep: runs pcf-mcp end to end (stdio, a fake PCF behind HTTP
Basic, a fake trace collector) with every secret of the key table set --
PCF token (from a file), login password, Basic password, and whatever else
is a secret (API keys ...) -- through many code paths: every tool with
empty and synthesised arguments, protocol errors, rate-limit refusals, PCF
token expiry and renewal, PCF 503 retries, a reload to debug logging and a
refused reload, `config dump` and `config check`. Every log line, audit
record, exported span and CLI output is collected; the test fails if any
configured secret appears in it, raw or base64-encoded."""

import json
import os
import re
import secrets
import signal
import subprocess

import harness as h


def secret_keys():
    out = subprocess.run([h.binary(), "config", "reference", "--format", "markdown"],
                         capture_output=True, text=True, env=h.clean_env(), check=True).stdout
    return re.findall(r"^\| `([a-z_.]+)` \| secret \|", out, re.M)


def synth_args(tool, project, password):
    """Plausible arguments from the input schema."""
    schema = tool.get("inputSchema") or {}
    args = {}
    for name, prop in (schema.get("properties") or {}).items():
        t = prop.get("type")
        if name == "project_id":
            args[name] = project
        elif name.endswith("_id"):
            args[name] = "00000000-0000-4000-8000-000000000001"
        elif "enum" in prop:
            args[name] = prop["enum"][0]
        elif t == "string":
            args[name] = password if "pass" in name else "sweep"
        elif t in ("integer", "number"):
            args[name] = 1
        elif t == "boolean":
            args[name] = False
        elif t == "array":
            args[name] = []
    return args


def has_key(key):
    out = subprocess.run([h.binary(), "config", "reference", "--format", "markdown"],
                         capture_output=True, text=True, env=h.clean_env(), check=True).stdout
    return "| `{}` |".format(key) in out


def http_phase(tmp, cfg_args, env, api_key):
    """Serves HTTP with an API key; drives valid, wrong and missing keys.
    Returns the stderr text, or None when the build cannot serve HTTP."""
    import hashlib
    import http.client
    import socket
    import time
    keys = os.path.join(tmp, "api-keys")
    with open(keys, "w") as f:
        f.write("sweeper sha256:{}\n".format(hashlib.sha256(api_key.encode()).hexdigest()))
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    errp = os.path.join(tmp, "http-stderr.log")
    with open(errp, "wb") as errf:
        proc = subprocess.Popen([h.binary()] + cfg_args +
                                ["--transport", "http", "--server-host", "127.0.0.1",
                                 "--server-port", str(port), "--auth-api-keys-file", keys],
                                stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=errf, env=h.clean_env(env))
    try:
        deadline = time.monotonic() + 15
        while True:
            if proc.poll() is not None:
                text = open(errp).read()
                if "not available in this build" in text:
                    return None
                raise h.Failure("HTTP pcf-mcp exited: " + text[-2000:])
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise h.Failure("HTTP transport did not listen")
                time.sleep(0.02)

        def post(body, key):
            c = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
            hdrs = {"Content-Type": "application/json",
                    "Accept": "application/json, text/event-stream",
                    "MCP-Protocol-Version": "2025-11-25"}
            if key:
                hdrs["Authorization"] = "Bearer " + key
            c.request("POST", "/mcp", body=json.dumps(body), headers=hdrs)
            r = c.getresponse()
            data = r.read()
            c.close()
            return r.status, r.getheader("Mcp-Session-Id"), data

        init = {"jsonrpc": "2.0", "id": 0, "method": "initialize",
                "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                           "clientInfo": {"name": "sweep", "version": "1"}}}
        status, sid, _ = post(init, api_key)
        h.check(status == 200, "HTTP initialize with the API key: {}".format(status))
        for key in (api_key, "wrong-" + secrets.token_hex(16), None):
            for i, method in enumerate(("tools/list", "ping", "no/such")):
                c = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
                hdrs = {"Content-Type": "application/json",
                        "Accept": "application/json, text/event-stream",
                        "MCP-Protocol-Version": "2025-11-25"}
                if sid:
                    hdrs["Mcp-Session-Id"] = sid
                if key:
                    hdrs["Authorization"] = "Bearer " + key
                c.request("POST", "/mcp", body=json.dumps(
                    {"jsonrpc": "2.0", "id": i + 1, "method": method}), headers=hdrs)
                c.getresponse().read()
                c.close()
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=20)
        c.request("GET", "/metrics")
        metrics = c.getresponse().read().decode()
        c.close()
        m = h.parse_metrics(metrics)
        h.check(sum(v for k, v in m.items() if k.startswith("pcf_mcp_auth_failures_total")) >= 3,
                "auth failures are not counted")
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    return open(errp).read() + metrics


def main():
    basic_pw = "basic-" + secrets.token_hex(12)
    login_pw = "pcf-tester-pass"  # the fake's seeded password: still a secret here
    tmp = h.tempfile.mkdtemp(prefix="pcfmcp-sweep-")
    collector = h.Collector()
    fake = h.fakeproc.Fake("--seed", "minimal", "--token", h.TOKEN,
                           "--basic-auth", "gatekeeper:" + basic_pw)
    proc = None
    try:
        project = None
        status, _, data = fake.request(
            "POST", "/api/v1/projects", {"access_token": h.TOKEN},
            headers={"Authorization": "Basic " + h.b64("gatekeeper:" + basic_pw)})
        project = json.loads(data.decode())["projects"][0]["id"]

        token_file = os.path.join(tmp, "token")
        basic_file = os.path.join(tmp, "basic")
        with open(token_file, "w") as f:
            f.write(h.TOKEN + "\n")
        with open(basic_file, "w") as f:
            f.write(basic_pw + "\n")
        audit = os.path.join(tmp, "audit.jsonl")
        cfg = os.path.join(tmp, "config.yaml")

        def write_config(level, burst):
            with open(cfg, "w") as f:
                f.write("pcf:\n  url: {}\n  token_file: {}\n  email: pcf-tester@example.com\n"
                        "  basic_user: gatekeeper\n  basic_password_file: {}\n  retries: 2\n"
                        "log:\n  level: {}\n"
                        "audit:\n  file: {}\n  args: redacted\n"
                        "rate_limit:\n  requests_per_second: 1\n  burst: {}\n"
                        "tracing:\n  enabled: true\n  endpoint: {}\n  sample_ratio: 1\n"
                        .format(fake.base, token_file, basic_file, level, audit, burst,
                                collector.url))

        write_config("info", 400)
        env = {"PCF_MCP_PCF_PASSWORD": login_pw}
        values = {"pcf.token": h.TOKEN, "pcf.password": login_pw, "pcf.basic_password": basic_pw}
        for key in secret_keys():
            if key not in values:
                v = "S3cr3t-" + secrets.token_hex(10)
                values[key] = v
                env["PCF_MCP_" + key.upper().replace(".", "_")] = v

        proc = h.PcfMcp(["--config", cfg], env=env, workdir=tmp)
        proc.initialize()
        # Reload first, so that everything after runs with debug logging.
        write_config("debug", 400)
        proc.signal(signal.SIGHUP)
        h.wait_for(lambda: "log.level info -> debug" in proc.stderr_text(), timeout=60,
                   what="reload")

        tools = proc.tools()
        for t in tools:
            proc.request("tools/call", {"name": t["name"], "arguments": {}})
            proc.request("tools/call", {"name": t["name"],
                                        "arguments": synth_args(t, project, login_pw)})
        fake.control("expire_tokens", {})          # renewal with email + password
        fake.control("faults", {"mode": "status", "status": 503, "count": 2})  # retries
        for t in tools[:5]:
            proc.request("tools/call", {"name": t["name"],
                                        "arguments": synth_args(t, project, login_pw)})
        fake.control("faults/clear", {})
        proc.request("tools/call", {"name": "no_such_tool", "arguments": {"password": login_pw}})
        proc.request("no/such/method")
        proc.request("resources/list")
        proc.request("prompts/list")
        proc.request("logging/setLevel", {"level": "debug"})
        proc.send('{"jsonrpc":"2.0","id":"bad", "method": ')
        proc.send("[" + json.dumps({"jsonrpc": "2.0", "id": 900, "method": "ping"}) + "]")
        proc.request("ping", {"_meta": {"traceparent":
                                        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"}})
        # A refused reload (bad value) and rate-limit refusals.
        with open(cfg, "a") as f:
            f.write("cache:\n  ttl: forever\n")
        proc.signal(signal.SIGHUP)
        h.wait_for(lambda: "reload refused" in proc.stderr_text(), timeout=60,
                   what="refused reload")
        write_config("debug", 2)
        proc.signal(signal.SIGHUP)
        h.wait_for(lambda: proc.stderr_text().count("reload applied") >= 2, timeout=60,
                   what="reload 2")
        for _ in range(6):
            proc.request("tools/list")
        proc.close_input()
        proc.wait()
        logs = proc.stderr_text()
        with open(audit) as f:
            audit_text = f.read()
        with collector.lock:
            spans_text = json.dumps(collector.spans)

        cli_env = h.clean_env(env)
        dump = subprocess.run([h.binary(), "--config", cfg, "config", "dump"], env=cli_env,
                              capture_output=True, text=True)
        check_ok = subprocess.run([h.binary(), "config", "check", cfg], env=cli_env,
                                  capture_output=True, text=True)
        bad_env = dict(cli_env, PCF_MCP_NO_SUCH_KEY="x", PCF_MCP_PCF_RETRIES="lots")
        check_bad = subprocess.run([h.binary(), "config", "check", cfg], env=bad_env,
                                   capture_output=True, text=True)
        api_key = "sweepkey-" + secrets.token_urlsafe(24)
        http_text = None
        if has_key("auth.api_keys_file"):
            http_text = http_phase(tmp, ["--config", cfg], env, api_key)
            values["API key"] = api_key
            with open(audit) as f:  # the HTTP run appended its records
                audit_text = f.read()
        outputs = {
            "log": logs,
            "HTTP log and metrics": http_text or "",
            "audit": audit_text,
            "spans": spans_text,
            "config dump": dump.stdout + dump.stderr,
            "config check": check_ok.stdout + check_ok.stderr + check_bad.stdout +
            check_bad.stderr,
        }
        h.check(len(h.log_lines(logs)) > 20, "too few log lines to be a sweep:\n" + logs)
        h.check(audit_text.count("\n") >= len(tools), "too few audit records")
        h.check("rate limited" in audit_text, "no rate-limit refusal was exercised")
        forms = {}
        for key, v in values.items():
            forms[key] = v
            forms[key + " (base64)"] = h.b64(v)
            forms[key + " (base64url)"] = h.b64(v).replace("+", "-").replace("/", "_").rstrip("=")
        forms["basic credentials (base64)"] = h.b64("gatekeeper:" + basic_pw)
        leaks = []
        for where, text in outputs.items():
            for what, needle in forms.items():
                if needle and needle in text:
                    line = next(l for l in text.splitlines() if needle in l)
                    leaks.append("{} leaks {}: {}".format(where, what, line[:300]))
        h.check(not leaks, "\n".join(leaks))
        print("secret sweep: {} log lines, {} audit records, {} spans, {} tools, {} secrets{}; "
              "no leak".format(len(h.log_lines(logs)), audit_text.count("\n"),
                               len(collector.spans), len(tools), len(values),
                               ", HTTP with an API key" if http_text else ""))
        return 0
    finally:
        if proc:
            proc.stop()
        fake.stop()
        collector.stop()
        h.shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    h.run(main)
