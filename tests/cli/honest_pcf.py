"""pcf-mcp is honest with PCF and with the user (issue 10 section 5), from the
outside: the built binary against the fake PCF.

* Offering: for a matrix of credential and channel settings, `pcf-mcp tools`
  lists exactly what `serve` offers (the same JSON), every offered tool gets
  past the credential gate, and every withheld tool says why and what to set.
* Tokens: start/stop cycles with email and password leave no live PCF token,
  whether stdin closes or SIGTERM arrives; after a SIGKILL the token is live
  (nothing could disable it) and the next start with pcf.token_state_file
  takes it over and disables it at its stop.
* Without credentials the model hears that none are configured, never that
  PCF rejected them, and PCF is not contacted.
* PCF's known defects: the 500 of an API issue create, the hang after it
  (later timeouts say since when), the 500 of rules/use, the report title
  outside Latin-1 (refused before anything is sent).

Standard library only."""

import json
import os
import signal
import subprocess
import sys
import tempfile
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "hardening"))

import harness as h  # noqa: E402  (tests/hardening/harness.py)

check = h.check
EMAIL, PASSWORD = "pcf-tester@example.com", "pcf-tester-pass"
PROJECT = "ACME external pentest"
GATE = "cannot run with this server's PCF configuration"


def login(fake, **extra):
    env = {"PCF_MCP_PCF_URL": fake.base, "PCF_MCP_PCF_EMAIL": EMAIL,
           "PCF_MCP_PCF_PASSWORD": PASSWORD}
    env.update(extra)
    return env


def token_env(fake, token, **extra):
    env = {"PCF_MCP_PCF_URL": fake.base, "PCF_MCP_PCF_TOKEN": token}
    env.update(extra)
    return env


def listing(env, args=()):
    r = subprocess.run([h.binary()] + list(args) + ["tools", "--format", "json"],
                       capture_output=True, text=True, env=h.clean_env(env), timeout=60)
    check(r.returncode == 0, "pcf-mcp tools failed ({}): {}".format(r.returncode, r.stderr))
    return json.loads(r.stdout)


def text_of(reply):
    res = reply.get("result") or {}
    return " ".join(c.get("text", "") for c in res.get("content", []))


def call(proc, name, args):
    return proc.request("tools/call", {"name": name, "arguments": args}, timeout=60)


def value_for(schema, name):
    """Some value of the right type: the gate under test runs before the
    arguments are used, so any well-formed value will do."""
    if "enum" in schema:
        return schema["enum"][0]
    t = schema.get("type")
    if t == "array":
        return [value_for(schema.get("items") or {}, name)] * schema.get("minItems", 0)
    if t == "integer" or t == "number":
        return schema.get("minimum", 1)
    if t == "boolean":
        return False
    if t == "object":
        props = schema.get("properties") or {}
        return {k: value_for(props.get(k) or {}, k) for k in schema.get("required") or []}
    fmt = schema.get("format")
    if fmt == "uuid":
        return str(uuid.UUID(int=0x1000 + len(name)))
    if fmt == "date":
        return "2026-01-01"
    if fmt == "hostname":
        return "example.com"
    if fmt == "email":
        return "someone@example.com"
    if "anyOf" in schema:
        return "10.0.0.1"
    return "x" * max(1, schema.get("minLength", 1))


def minimal_args(tool):
    schema = tool.get("inputSchema") or {}
    props = schema.get("properties") or {}
    args = {k: value_for(props.get(k) or {}, k) for k in schema.get("required") or []}
    if "project" in props:
        args["project"] = PROJECT
    return args


def test_offering_is_one_decision(fake):
    tok = fake.control("token", {"email": EMAIL})["access_token"]
    matrix = [
        ("no credentials", {"PCF_MCP_PCF_URL": fake.base}, ()),
        ("token", token_env(fake, tok), ()),
        ("token, destructive", token_env(fake, tok), ("--tools-enable-destructive",)),
        ("token, API issue writes", token_env(fake, tok, PCF_MCP_PCF_ALLOW_API_ISSUE_WRITES="true"),
         ()),
        ("token, issues_write=api", token_env(fake, tok, PCF_MCP_PCF_CHANNELS="issues_write=api"),
         ()),
        ("token, pocs=ui", token_env(fake, tok, PCF_MCP_PCF_CHANNELS="pocs=ui"), ()),
        ("login", login(fake), ()),
        ("login, destructive", login(fake), ("--tools-enable-destructive",)),
        ("token and login", login(fake, PCF_MCP_PCF_TOKEN=tok), ()),
        ("token, read-only", token_env(fake, tok), ("--read-only",)),
    ]
    # Every toolset (tools.toolsets=all), so that the whole registry meets
    # the credential gates, not only the default toolsets.
    universe = {t["name"]: t for t in listing(dict(login(fake), PCF_MCP_TOOLS_TOOLSETS="all"),
                                              ("--tools-enable-destructive",))}
    check(len(universe) >= 47, "the whole registry has {} tools".format(len(universe)))
    web_only = {"create_issue", "update_issue", "list_credentials", "add_credential",
                "update_credential", "delete_credential", "list_notes", "add_note", "edit_note",
                "delete_note", "import_nmap", "get_project_snapshot"}
    # Every tool is called once per configuration: no rate limit in the way
    # (0 = unlimited; it does not change what is offered).
    unlimited = {"PCF_MCP_RATE_LIMIT_REQUESTS_PER_SECOND": "0",
                 "PCF_MCP_RATE_LIMIT_WRITE_REQUESTS_PER_SECOND": "0",
                 "PCF_MCP_TOOLS_TOOLSETS": "all"}
    for label, env, args in matrix:
        env = dict(env, **unlimited)
        cli = listing(env, args)
        proc = h.PcfMcp(list(args), env=env)
        try:
            proc.initialize()
            served = proc.tools()
            check(served == cli, "{}: `pcf-mcp tools` lists {} tools, serve offers {}: {}".format(
                label, len(cli), len(served),
                sorted({t["name"] for t in cli} ^ {t["name"] for t in served})))
            offered = {t["name"]: t for t in served}
            if label.startswith("token") and "login" not in label:
                absent = web_only
                if "API" in label or "=api" in label:
                    absent = web_only - {"create_issue", "update_issue"}
                    check({"create_issue", "update_issue"} <= set(offered),
                          "{}: one setting should bring the issue writes".format(label))
                check(not (absent & set(offered)),
                      "{}: web-session tools offered: {}".format(label, absent & set(offered)))
            for name, tool in sorted(universe.items()):
                if name in offered:
                    r = call(proc, name, minimal_args(offered[name]))
                    check("error" not in r, "{}: {}: {}".format(label, name, r))
                    if label == "no credentials":
                        # Nothing could work: everything stays listed and
                        # each call says what to configure.
                        check("no PCF credentials are configured" in text_of(r),
                              "{}: {}: {}".format(label, name, r))
                    else:
                        check(GATE not in text_of(r),
                              "{}: offered tool {} refused at the gate: {}".format(label, name, r))
                    continue
                r = call(proc, name, {})
                err = r.get("error") or {}
                reason = (err.get("data") or {}).get("reason", "")
                check(err.get("code") == -32602 and reason,
                      "{}: withheld {} answered without a reason: {}".format(label, name, r))
                if "credentials" in reason:
                    check("pcf." in reason and "PCF_MCP_" in reason,
                          "{}: {}: the reason names no setting: {}".format(label, name, reason))
                    check("cannot reach" not in reason,
                          "{}: {}: the old false claim: {}".format(label, name, reason))
        finally:
            proc.cleanup()
    # The token-only refusal of an issue write names the one setting that helps.
    proc = h.PcfMcp([], env=token_env(fake, tok))
    try:
        proc.initialize()
        r = call(proc, "create_issue", {"project": PROJECT, "name": "x"})
        reason = ((r.get("error") or {}).get("data") or {}).get("reason", "")
        check("pcf.allow_api_issue_writes=true" in reason and "fb68b26" in reason,
              "create_issue with a token: {}".format(r))
    finally:
        proc.cleanup()


def live_tokens(fake, name="pcf-mcp"):
    return [t for t in fake.control("tokens")["tokens"]
            if t["live"] and not t["disabled"] and (name is None or t["name"] == name)]


def created(fake):
    return fake.control("stats")["paths"].get("/api/v1/create_token", 0)


def one_session(env, stop):
    proc = h.PcfMcp([], env=env)
    try:
        proc.initialize()
        r = call(proc, "list_projects", {})
        check("result" in r and not r["result"].get("isError"), "list_projects: {}".format(r))
        if stop == "eof":
            proc.close_input()
        else:
            proc.signal(stop)
        code = proc.wait()
        check(code == 0 or stop == signal.SIGKILL, "pcf-mcp exited {} after {}".format(code, stop))
        return proc.stderr_text()
    finally:
        proc.cleanup()


def test_no_token_outlives_pcf_mcp(fake, tmp):
    fake.control("reset", {})
    fake.control("stats/reset", {})
    for cycle, stop in enumerate(("eof", signal.SIGTERM), 1):
        one_session(login(fake), stop)
        check(not live_tokens(fake), "cycle {} ({}) left live tokens: {}".format(
            cycle, stop, live_tokens(fake)))
    check(created(fake) == 2, "two sessions created {} tokens".format(created(fake)))

    state = os.path.join(tmp, "token-state.json")
    env = login(fake, PCF_MCP_PCF_TOKEN_STATE_FILE=state)
    one_session(env, signal.SIGKILL)
    check(len(live_tokens(fake)) == 1, "a killed pcf-mcp could not have disabled its token")
    check(os.stat(state).st_mode & 0o777 == 0o600, "the state file is not private")
    err = one_session(env, "eof")
    check(created(fake) == 3, "the start after the crash created a token instead of reusing it")
    check("reusing the PCF access token" in err, "no word of the reuse: " + err[-800:])
    check(not live_tokens(fake, None), "tokens live after the restart's stop: {}".format(
        live_tokens(fake, None)))
    check(not os.path.exists(state), "the state file outlived its token")


def test_no_credentials_is_not_a_rejection(fake):
    fake.control("stats/reset", {})
    proc = h.PcfMcp([], env={"PCF_MCP_PCF_URL": fake.base, "PCF_MCP_TOOLS_TOOLSETS": "all"})
    try:
        proc.initialize()
        check(len(proc.tools()) >= 40, "unconfigured: the tools stay listed and explain")
        for name, args in (("list_projects", {}), ("list_hosts", {"project": PROJECT}),
                           ("list_notes", {"project": PROJECT})):
            r = call(proc, name, args)
            t = text_of(r)
            check(r["result"].get("isError") and "no PCF credentials are configured" in t and
                  "PCF_MCP_PCF_TOKEN" in t and "reject" not in t,
                  "{} without credentials: {}".format(name, r))
        proc.close_input()
        proc.wait()
        log = proc.stderr_text()
        check("rejected" not in log, "the log speaks of a rejection: " + log[-800:])
    finally:
        proc.cleanup()
    check(fake.control("stats")["total"] == 0, "PCF was contacted without credentials")


def test_known_defects_are_named(fake):
    fake.control("reset", {})
    fake.control("config", {"bugs": True})
    tok = fake.control("token", {"email": EMAIL})["access_token"]
    env = token_env(fake, tok, PCF_MCP_PCF_ALLOW_API_ISSUE_WRITES="true",
                    PCF_MCP_PCF_TOTAL_TIMEOUT="1500ms", PCF_MCP_PCF_REQUEST_TIMEOUT="700ms",
                    PCF_MCP_PCF_RETRIES="0")
    proc = h.PcfMcp([], env=env)
    try:
        proc.initialize()
        rules = call(proc, "list_issue_rules", {})["result"]["structuredContent"]["rules"]
        issues = call(proc, "list_issues", {"project": PROJECT})["result"]["structuredContent"]
        r = call(proc, "apply_issue_rules", {"project": PROJECT,
                                             "rule_ids": [x["id"] for x in rules],
                                             "issue_ids": [x["id"] for x in issues["issues"]]})
        t = text_of(r)
        check(r["result"].get("isError") and "known PCF defect" in t and "Use rules" in t,
              "apply_issue_rules on PCF HEAD: {}".format(t))
        r = call(proc, "create_issue", {"project": PROJECT, "name": "Hangs PCF", "cvss": 5})
        t = text_of(r)
        check("known PCF defect" in t and "Restart PCF" in t, "create_issue: " + t)
        r = call(proc, "list_hosts", {"project": PROJECT})
        t = text_of(r)
        check("appears hung since the write issue_create at" in t and "Retry later" not in t,
              "the call after the hang: " + t)
    finally:
        proc.cleanup()
        fake.control("reset", {})
        fake.control("config", {"bugs": False})


def test_report_title_checked_first(fake):
    fake.control("reset", {})
    proc = h.PcfMcp([], env=login(fake))
    try:
        proc.initialize()
        r = call(proc, "update_project", {"project": PROJECT, "report_title": "Отчёт"})
        check(not r["result"].get("isError"), "update_project: {}".format(r))
        tid = fake.control("templates")["templates"][0]["id"]
        fake.control("stats/reset", {})
        r = call(proc, "generate_report", {"project": PROJECT, "template_id": tid})
        t = text_of(r)
        check(r["result"].get("isError") and "outside Latin-1" in t, "template report: " + t)
        paths = fake.control("stats")["paths"]
        check(not [p for p in paths if p.endswith("/reports/") or p.endswith("/settings")],
              "requests made before refusing: {}".format(paths))
    finally:
        proc.cleanup()


def main():
    import shutil
    tmp = tempfile.mkdtemp(prefix="pcfmcp-honest-")
    fake = h.fakeproc.Fake("--seed", "demo")
    try:
        test_no_credentials_is_not_a_rejection(fake)
        test_no_token_outlives_pcf_mcp(fake, tmp)
        test_known_defects_are_named(fake)
        test_report_title_checked_first(fake)
        test_offering_is_one_decision(fake)
    finally:
        fake.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print("honest with PCF: offering, token life cycle, no-credentials, known defects")
    return 0


if __name__ == "__main__":
    h.run(main)
