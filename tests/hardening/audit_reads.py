"""Reading client data through resources and prompts leaves an audit
record, as a tool call does: resources/read of a project's issues and
prompts/get of triage_findings (both read PCF) each write one, naming the
resource or prompt, who asked and the outcome. A read that is refused
(unknown project) is recorded too."""

import json
import os

import harness as h


def main():
    fake = h.fakeproc.Fake("--seed", "minimal", "--token", h.TOKEN)
    tmp = h.tempfile.mkdtemp(prefix="pcfmcp-audit-reads-")
    token_file = os.path.join(tmp, "token")
    with open(token_file, "w") as f:
        f.write(h.TOKEN)
    audit = os.path.join(tmp, "audit.jsonl")
    proc = h.PcfMcp(["--pcf-url", fake.base, "--pcf-token-file", token_file,
                     "--audit-file", audit], workdir=tmp)
    try:
        project = h.first_project(fake)
        proc.initialize()
        uri = "pcf://projects/{}/issues".format(project)
        r = proc.request("resources/read", {"uri": uri})
        h.check("result" in r, "resources/read failed: {}".format(r))
        r = proc.request("prompts/get", {"name": "triage_findings",
                                         "arguments": {"project": project}})
        h.check("result" in r, "prompts/get failed: {}".format(r))
        missing = "pcf://projects/00000000-0000-4000-8000-000000000000/issues"
        r = proc.request("resources/read", {"uri": missing})
        h.check("error" in r, "an unknown project was read: {}".format(r))
        proc.close_input()
        h.check(proc.wait() == 0, "unclean exit")
        with open(audit) as f:
            recs = [json.loads(l) for l in f if l.strip()]
        reads = [r for r in recs if r.get("event") == "resource_read"]
        prompts = [r for r in recs if r.get("event") == "prompt_get"]
        h.check(any(r.get("resource") == uri and r.get("outcome") == "ok" for r in reads),
                "no audit record for resources/read {}: {}".format(uri, recs))
        h.check(any(r.get("resource") == missing and r.get("outcome") != "ok" for r in reads),
                "no audit record for the refused read: {}".format(recs))
        h.check(any(r.get("prompt") == "triage_findings" and r.get("outcome") == "ok"
                    and r.get("targets", {}).get("project") == project for r in prompts),
                "no audit record for prompts/get triage_findings: {}".format(recs))
        for r in reads + prompts:
            h.check(r.get("identity"), "a read without an identity: {}".format(r))
        print("audit: resources/read and prompts/get recorded")
        print(json.dumps(reads[0]))
        return 0
    finally:
        proc.cleanup()
        fake.stop()
        h.shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    h.run(main)
