"""The built pcf-mcp binary from the outside: --version matches configure.ac,
file < environment < flag precedence as `config dump` shows it, stdout
carries nothing but JSON-RPC even at --log-level debug, the default 16 MiB
stdio line cap, and wrong PCF credentials at serve level come back as tool
errors that name the settings to check.  Standard library only."""

import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "hardening"))

import harness as h  # noqa: E402  (tests/hardening/harness.py)

check = h.check
WRONG_TOKEN = "99999999-2222-4333-8444-555555555555"


def run_bin(args, env=None):
    return subprocess.run([h.binary()] + args, capture_output=True, text=True,
                          env=h.clean_env(env), timeout=60)


def test_version():
    with open(os.path.join(h.SRCDIR, "configure.ac")) as fh:
        m = re.search(r"^AC_INIT\(\[pcf-mcp\],\s*\[([^\]]+)\]", fh.read(), re.M)
    check(m, "no version in configure.ac's AC_INIT")
    for flag in ("--version", "-V"):
        r = run_bin([flag])
        check(r.returncode == 0, "{} exited {}".format(flag, r.returncode))
        check(r.stdout == "pcf-mcp {}\n".format(m.group(1)),
              "{} printed {!r}, configure.ac says {}".format(flag, r.stdout, m.group(1)))


def dumped(dump, section, key):
    """(value, source) of section.key in `config dump` output."""
    current = None
    for line in dump.splitlines():
        if re.match(r"^[a-z_]+:\s*$", line):
            current = line.rstrip(": ")
            continue
        m = re.match(r'^\s+([a-z_]+): "?([^"#]*?)"?\s+# (\w+)', line)
        if current == section and m and m.group(1) == key:
            return m.group(2), m.group(3)
    raise h.Failure("{}.{} missing from config dump:\n{}".format(section, key, dump))


def test_precedence(tmp):
    cfg = os.path.join(tmp, "precedence.yaml")
    with open(cfg, "w") as fh:
        fh.write("log:\n  level: warn\n")
    cases = [
        ([], None, ("info", "default")),
        (["--config", cfg], None, ("warn", "file")),
        (["--config", cfg], {"PCF_MCP_LOG_LEVEL": "error"}, ("error", "environment")),
        (["--config", cfg, "--log-level", "debug"], {"PCF_MCP_LOG_LEVEL": "error"},
         ("debug", "flag")),
        # The order on the command line does not matter: the flag still wins.
        (["--log-level=debug", "--config", cfg], {"PCF_MCP_LOG_LEVEL": "error"},
         ("debug", "flag")),
    ]
    for args, env, want in cases:
        r = run_bin(args + ["config", "dump"], env)
        check(r.returncode == 0, "config dump {} failed: {}".format(args, r.stderr))
        got = dumped(r.stdout, "log", "level")
        check(got == want, "args {} env {}: log.level is {}, want {}".format(args, env, got, want))


def check_stdout_is_jsonrpc(proc, label):
    lines = proc.stdout_text().splitlines()
    check(lines, label + ": nothing on stdout")
    for i, line in enumerate(lines, 1):
        try:
            msg = json.loads(line)
        except ValueError:
            raise h.Failure("{}: stdout line {} is not JSON: {!r}".format(label, i, line[:200]))
        check(isinstance(msg, dict) and msg.get("jsonrpc") == "2.0",
              "{}: stdout line {} is not JSON-RPC 2.0: {!r}".format(label, i, line[:200]))


def test_stdout_only_protocol(fake, project):
    for fmt in ("text", "json"):
        proc = h.PcfMcp(["--pcf-url", fake.base, "--log-level", "debug", "--log-format", fmt],
                        env={"PCF_MCP_PCF_TOKEN": h.TOKEN})
        try:
            proc.initialize()
            proc.request("logging/setLevel", {"level": "debug"})
            tools = proc.tools()
            tool = h.read_tool_for_project(tools)
            check(tool, "no read-only tool to call")
            args = {"project_id": project} if "project_id" in \
                (tool.get("inputSchema") or {}).get("properties", {}) else {}
            r = proc.request("tools/call", {"name": tool["name"], "arguments": args})
            check("result" in r, "tools/call failed: {}".format(r))
            proc.request("no/such/method")
            proc.send("this is not json")
            proc.request("ping")
            proc.close_input()
            check(proc.wait() == 0, fmt + ": pcf-mcp did not exit 0 at EOF")
            # The session did log (so stdout had something to be polluted by).
            err = proc.stderr_text()
            check(err.count("\n") >= 3 and "debug" in err.lower(),
                  fmt + ": expected debug logs on stderr, got: " + err[-500:])
            check_stdout_is_jsonrpc(proc, "--log-format " + fmt)
        finally:
            proc.cleanup()


def test_line_cap():
    proc = h.PcfMcp([])
    try:
        proc.initialize()
        big = '{"jsonrpc":"2.0","id":1,"method":"ping","params":{"pad":"' + \
            "x" * (17 * 1024 * 1024) + '"}}'
        proc.send(big)
        r = proc.reply(None, timeout=60)
        err = r.get("error") or {}
        check(err.get("code") == -32600, "17 MiB line: want -32600, got {}".format(r))
        check("16777216" in err.get("message", ""),
              "17 MiB line: the error does not name the limit: {}".format(err))
        r = proc.request("ping", rid=2)
        check("result" in r, "no answer after the discarded line: {}".format(r))
    finally:
        proc.cleanup()


def tool_error(env, fake, want):
    proc = h.PcfMcp(["--pcf-url", fake.base], env=env)
    try:
        proc.initialize()  # serves although the credentials are wrong
        r = proc.request("tools/call", {"name": "list_projects", "arguments": {}})
        res = r.get("result") or {}
        check(res.get("isError") is True, "wrong credentials: want a tool error, got {}".format(r))
        text = " ".join(c.get("text", "") for c in res.get("content", []))
        for w in want:
            check(w in text, "wrong credentials: {!r} not named in: {}".format(w, text))
    finally:
        proc.cleanup()


def test_wrong_credentials(fake):
    tool_error({"PCF_MCP_PCF_TOKEN": WRONG_TOKEN}, fake,
               ["rejected the access token", "pcf.token"])
    tool_error({"PCF_MCP_PCF_EMAIL": "pcf-tester@example.com",
                "PCF_MCP_PCF_PASSWORD": "not-the-password"}, fake,
               ["rejected the email or password", "pcf.email", "pcf.password"])


def main():
    import tempfile
    import shutil
    tmp = tempfile.mkdtemp(prefix="pcfmcp-cli-")
    fake = h.fakeproc.Fake("--seed", "minimal", "--token", h.TOKEN)
    try:
        test_version()
        test_precedence(tmp)
        test_line_cap()
        project = h.first_project(fake)
        test_stdout_only_protocol(fake, project)
        test_wrong_credentials(fake)
    finally:
        fake.stop()
        shutil.rmtree(tmp, ignore_errors=True)
    print("pcf-mcp binary: version, precedence, stdout purity, line cap, credential errors")
    return 0


if __name__ == "__main__":
    h.run(main)
