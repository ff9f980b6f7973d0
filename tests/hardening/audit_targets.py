"""Audit records name a call's targets under the tools' own argument names:
list_hosts, get_host and add_host through pcf-mcp against the fake PCF
record `project` (and `host`) in `targets`, never the description."""

import json
import os

import harness as h


def main():
    fake = h.fakeproc.Fake("--seed", "minimal", "--token", h.TOKEN)
    tmp = h.tempfile.mkdtemp(prefix="pcfmcp-targets-")
    token_file = os.path.join(tmp, "token")
    with open(token_file, "w") as f:
        f.write(h.TOKEN)
    audit = os.path.join(tmp, "audit.jsonl")
    proc = h.PcfMcp(["--pcf-url", fake.base, "--pcf-token-file", token_file,
                     "--audit-file", audit], workdir=tmp)
    try:
        project = h.first_project(fake)
        proc.initialize()
        calls = [("add_host", {"project": project, "ip": "10.9.8.7",
                               "description": "db server"}),
                 ("list_hosts", {"project": project}),
                 ("get_host", {"project": project, "host": "10.9.8.7"})]
        for name, args in calls:
            r = proc.request("tools/call", {"name": name, "arguments": args})
            h.check("result" in r and not r["result"].get("isError"),
                    "{} failed: {}".format(name, r))
        proc.close_input()
        h.check(proc.wait() == 0, "unclean exit")
        with open(audit) as f:
            recs = [json.loads(l) for l in f if l.strip()]
        by_tool = {r["tool"]: r for r in recs if r.get("event") == "tool_call"}
        want = {"add_host": {"project": project},
                "list_hosts": {"project": project},
                "get_host": {"project": project, "host": "10.9.8.7"}}
        for tool, targets in want.items():
            h.check(tool in by_tool, "no audit record for {}: {}".format(tool, recs))
            got = by_tool[tool].get("targets")
            h.check(got == targets, "{} targets {} (want {})".format(tool, got, targets))
        h.check("db server" not in open(audit).read(), "a description leaked into the audit")
        print("audit targets: project/host recorded for add_host, list_hosts, get_host")
        print(json.dumps(by_tool["get_host"]))
        return 0
    finally:
        proc.cleanup()
        fake.stop()
        h.shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    h.run(main)
