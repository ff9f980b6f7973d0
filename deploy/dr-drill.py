#!/usr/bin/env python3
"""Disaster-recovery drill against the fake PCF, on this machine only.

Runs the recovery plan of docs/operations.md ("stateless: recovery is
redeploying") end to end and times it:

 1. two stateless HTTP replicas start from the production configuration
    (deploy/kubernetes/config.yaml, rendered for the drill with
    deploy/render.py) and the restored secrets, after `config check`;
 2. replica loss: one is killed (SIGKILL); the other answers the same
    stateless request, and the killed one's audit records are all on disk;
 3. PCF outage: the fake PCF stops; /readyz turns 503 with a reason while
    /healthz stays 200; PCF comes back on the same address and readiness
    returns by itself;
 4. redeploy: a new replica starts from the same configuration and serves
    (the RTO of pcf-mcp itself).

Usage: deploy/dr-drill.py BUILDDIR   (needs BUILDDIR/pcf-mcp; python3 only)
Exit status 0 when every step held; the timings are printed.
"""

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SRC = os.path.normpath(os.path.join(HERE, ".."))
sys.path.insert(0, os.path.join(SRC, "tests", "hardening"))
import harness as h  # noqa: E402
import fakeproc  # noqa: E402

KEY = "drill-key-0123456789abcdef0123456789"
TTL = "300ms"  # server.readiness_ttl for the drill: fast verdicts


def render_site(tmp, pcf_port):
    site = os.path.join(tmp, "site.env")
    with open(site, "w") as f:
        f.write("PCF_URL=http://127.0.0.1:{}\nPCF_CIDR=127.0.0.1/32\nIMAGE=localhost/pcf-mcp\n"
                "HOSTNAME=drill.localhost\nTRUSTED_PROXIES=127.0.0.0/8\n"
                "OTLP_ENDPOINT=http://127.0.0.1:9/drill\nLOKI_HOST=loki.localhost\n"
                "AUDIT_BUCKET=drill-audit\nAUDIT_REGION=local\n".format(pcf_port))
    out = os.path.join(tmp, "rendered")
    subprocess.run([sys.executable, os.path.join(HERE, "render.py"), site, out], check=True,
                   stdout=subprocess.DEVNULL)
    return os.path.join(out, "kubernetes", "config.yaml")


def restore_secrets(tmp):
    """The Secret mounts, as restored from the secret manager."""
    token = os.path.join(tmp, "pcf-token")
    with open(token, "w") as f:
        f.write(h.TOKEN + "\n")
    keys = os.path.join(tmp, "api-keys")
    with open(keys, "w") as f:
        f.write(h.key_line("drill", KEY) + "\n")
    for p in (token, keys):
        os.chmod(p, 0o600)
    return token, keys


def drill_env(tmp, token, keys, n):
    # The drill runs on loopback, with no collector and a local audit file.
    return {"PCF_MCP_PCF_TOKEN_FILE": token, "PCF_MCP_AUTH_API_KEYS_FILE": keys,
            "PCF_MCP_TRACING_ENABLED": "false",
            "PCF_MCP_AUDIT_FILE": os.path.join(tmp, "audit-{}.jsonl".format(n)),
            "PCF_MCP_AUDIT_FSYNC": "true", "PCF_MCP_SERVER_READINESS_TTL": TTL}


def replica(cfg, env, tmp, n):
    return h.HttpPcfMcp(["--config", cfg, "--log-level", "warn"],
                        workdir=os.path.join(tmp, "r{}".format(n)), env=env)


def ready(r):
    try:
        return r.request("GET", "/readyz", timeout=5)[0] == 200
    except OSError:
        return False


def list_projects(r):
    return call(r, "list_projects", {})


def call(r, tool, args):
    status, _, body = r.call(tool, args, key=KEY,
                             headers={"MCP-Protocol-Version": "2025-11-25"})
    return status, body


def timed(what, pred, timeout=30.0):
    t = time.monotonic()
    h.wait_for(pred, timeout, what)
    return time.monotonic() - t


def main():
    if len(sys.argv) != 2:
        raise SystemExit(__doc__)
    os.environ["top_builddir"] = os.path.abspath(sys.argv[1])
    h.BUILDDIR = os.environ["top_builddir"]
    tmp = tempfile.mkdtemp(prefix="pcfmcp-dr-")
    os.makedirs(os.path.join(tmp, "r1"))
    os.makedirs(os.path.join(tmp, "r2"))
    os.makedirs(os.path.join(tmp, "r3"))
    pcf_port = h.free_port()
    fake = fakeproc.Fake("--seed", "demo", "--token", h.TOKEN, "--port", str(pcf_port))
    replicas = []
    report = []
    try:
        cfg = render_site(tmp, pcf_port)
        token, keys = restore_secrets(tmp)
        envs = [drill_env(tmp, token, keys, n) for n in (1, 2, 3)]
        r = subprocess.run([h.binary(), "--config", cfg, "config", "check"],
                           capture_output=True, text=True, env=h.clean_env(envs[0]))
        h.check(r.returncode == 0, "config check refused the restored configuration: "
                + r.stderr)
        t0 = time.monotonic()
        replicas = [replica(cfg, envs[i], tmp, i + 1) for i in (0, 1)]
        for rep in replicas:
            h.wait_for(lambda rep=rep: ready(rep), 30, "replica readiness")
        report.append(("two replicas ready from the restored configuration",
                       time.monotonic() - t0))
        for rep in replicas:
            status, body = list_projects(rep)
            h.check(status == 200 and not body["result"].get("isError"),
                    "baseline call: {} {}".format(status, body))
        project = body["result"]["structuredContent"]["projects"][0]["id"]

        # Replica loss.
        replicas[0].proc.send_signal(signal.SIGKILL)
        replicas[0].proc.wait()
        status, body = list_projects(replicas[1])
        h.check(status == 200 and not body["result"].get("isError"),
                "the surviving replica did not answer: {} {}".format(status, body))
        with open(envs[0]["PCF_MCP_AUDIT_FILE"]) as f:
            records = [json.loads(line) for line in f if line.strip()]
        h.check(any(r.get("tool") == "list_projects" and r.get("outcome") == "ok"
                    for r in records), "the killed replica's audit record is lost")
        report.append(("replica killed: the other answers, audit intact ({} record(s))"
                       .format(len(records)), 0.0))

        # PCF outage and return.
        fake.stop()
        took = timed("/readyz to follow PCF down", lambda: not ready(replicas[1]))
        st, _, body = replicas[1].request("GET", "/readyz")
        h.check(st == 503 and json.loads(body).get("reasons"), "/readyz during the outage: "
                "{} {}".format(st, body))
        h.check(replicas[1].request("GET", "/healthz")[0] == 200,
                "/healthz must not follow PCF")
        # A read the cache (cache.ttl) has not seen must say PCF is unreachable.
        status, body = call(replicas[1], "list_hosts", {"project_id": project})
        h.check(status == 200 and body["result"].get("isError"),
                "a call during the outage must be a tool error: {}".format(body))
        report.append(("PCF down: /readyz 503 (healthz 200), calls say why", took))
        fake = fakeproc.Fake("--seed", "demo", "--token", h.TOKEN, "--port", str(pcf_port))
        took = timed("readiness after PCF's return", lambda: ready(replicas[1]))
        status, body = list_projects(replicas[1])
        h.check(status == 200 and not body["result"].get("isError"),
                "after PCF's return: {}".format(body))
        report.append(("PCF back: ready again without intervention", took))

        # Redeploy.
        t0 = time.monotonic()
        replicas.append(replica(cfg, envs[2], tmp, 3))
        h.wait_for(lambda: ready(replicas[2]), 30, "the redeployed replica")
        status, body = list_projects(replicas[2])
        h.check(status == 200 and not body["result"].get("isError"),
                "the redeployed replica: {}".format(body))
        report.append(("redeployed replica serving (pcf-mcp's part of the RTO)",
                       time.monotonic() - t0))
        for what, secs in report:
            print("dr-drill: {:<68} {:6.2f} s".format(what, secs))
        print("dr-drill: passed (RPO 0: pcf-mcp keeps no state; audit fsynced per record)")
        return 0
    finally:
        for rep in replicas:
            try:
                rep.proc.kill()
                rep.proc.wait()
            except OSError:
                pass
        fake.stop()
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    h.run(main)
