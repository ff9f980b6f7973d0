"""tools.projects names are resolved to UUIDs with the server's own view
of PCF, never with the first caller's.

Mallory (a PCF user of her own, with per-person credentials) creates a
project with exactly the scoped name and adds alice as a tester; her client
sees only her look-alike. PCF cannot be read when the server starts, so
the names are resolved at the first call, and mallory calls first. Were
they resolved with her client, the scope would be her project's UUID from
then on for everyone, and alice's findings and hosts would land in
mallory's project. They are resolved with the server's credentials, which see both
projects: the scope is ambiguous and everyone is refused until the
operator names the project by UUID. Without PCF credentials of the
server's own, names in tools.projects cannot be resolved safely at all:
the server refuses to start and says to give UUIDs."""

import hashlib
import http.client
import json
import os
import subprocess
import tempfile
import time

import harness as h  # puts tests/contract on sys.path
import fakeproc  # noqa: E402
from per_person import Http, write, _listening  # the HTTP client of the per-person test

ALICE_KEY = "pcfmcp_alice_" + "a" * 40
MALLORY_KEY = "pcfmcp_mallory_" + "m" * 40
SCOPED = "ACME external pentest"


def call(client, name, args):
    return client.rpc("tools/call", {"name": name, "arguments": args})["result"]


def api(fake, route, body):
    c = http.client.HTTPConnection("127.0.0.1", fake.port, timeout=20)
    c.request("POST", "/api/v1" + route, json.dumps(body), {"Content-Type": "application/json"})
    r = c.getresponse()
    out = json.loads(r.read().decode())
    c.close()
    return out


def main():
    tmp = tempfile.mkdtemp(prefix="pcfmcp-scope-")
    fake = fakeproc.Fake("--seed", "demo")
    proc = None
    try:
        users = {u["email"]: u["id"] for u in fake.control("users")["users"]}
        alice_id = users["pcf-tester@example.com"]
        alice_token = fake.control("token", {"email": "pcf-tester@example.com"})["access_token"]
        mallory_token = fake.control("token", {"email": "pcf-second@example.com"})["access_token"]
        # Mallory is in nobody's project but her own.
        for p in api(fake, "/projects", {"access_token": alice_token})["projects"]:
            fake.control("object/" + p["id"], {"set": {"testers": [alice_id], "teams": []}})
        now = int(time.time())
        look = api(fake, "/project/new", {"access_token": mallory_token, "name": SCOPED,
                                          "type": "pentest", "start_date": now,
                                          "end_date": now + 86400, "auto_archive": False,
                                          "testers": [alice_id]})
        h.check("project_id" in look, "the look-alike was not created: {}".format(look))
        real = [p["id"] for p in api(fake, "/projects", {"access_token": alice_token})["projects"]
                if p["name"] == SCOPED and p["id"] != look["project_id"]]
        h.check(len(real) == 1, "the real project: {}".format(real))
        keys = os.path.join(tmp, "keys")
        write(keys, "alice sha256:{}\nmallory sha256:{}\n".format(
            hashlib.sha256(ALICE_KEY.encode()).hexdigest(),
            hashlib.sha256(MALLORY_KEY.encode()).hexdigest()))
        ids = os.path.join(tmp, "identities.yaml")
        write(ids, 'identities:\n  - identity: "key:alice"\n    token: "{}"\n'
                   '  - identity: "key:mallory"\n    token: "{}"\n'.format(alice_token, mallory_token))
        cfg = os.path.join(tmp, "pcf-mcp.yaml")
        write(cfg, "auth:\n  api_keys_file: {}\n  identities_file: {}\n"
                   "  require_identity_mapping: true\ntools:\n  projects: [\"{}\"]\n"
              .format(keys, ids, SCOPED))
        # PCF's project list fails while the server starts.
        fake.control("faults", {"mode": "status", "status": 503, "path": "^/api/v1/projects$"})
        port = h.free_port()
        log = os.path.join(tmp, "stderr.log")
        errf = open(log, "wb")
        service = fake.control("token", {"email": "pcf-tester@example.com"})["access_token"]
        env = {"PCF_MCP_PCF_URL": "http://127.0.0.1:{}".format(fake.port), "PCF_MCP_PCF_TOKEN": service}
        proc = subprocess.Popen([h.binary(), "--config", cfg, "--transport", "http", "--server-port",
                                 str(port)], stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                stderr=errf, env=h.clean_env(env))
        h.wait_for(lambda: _listening(port), 10, "the HTTP listener")
        h.wait_for(lambda: "retrying at the first call" in open(log).read(), 10, "the failed resolution")
        fake.control("faults/clear", {})
        alice, mallory = Http(port, ALICE_KEY), Http(port, MALLORY_KEY)
        mallory.start()
        call(mallory, "list_projects", {})
        alice.start()
        r = call(alice, "list_projects", {})
        seen = [p["id"] for p in (r.get("structuredContent") or {}).get("projects", [])]
        h.check(look["project_id"] not in seen,
                "alice's scope became mallory's look-alike (first caller resolved it): {}".format(r))
        r = call(alice, "add_host", {"project": SCOPED, "ip": "10.66.0.1",
                                    "description": "db with the client's PII"})
        h.check(r.get("isError") and "ambiguous" in r["content"][0]["text"],
                "alice should be refused as ambiguous: {}".format(r))
        proc.terminate()
        proc.wait(timeout=20)
        proc = None

        # No PCF credentials of the server's own: names cannot be resolved safely.
        env.pop("PCF_MCP_PCF_TOKEN")
        r = subprocess.run([h.binary(), "--config", cfg, "--transport", "http", "--server-port",
                            str(h.free_port())], stdin=subprocess.DEVNULL, capture_output=True,
                           env=h.clean_env(env), timeout=30)
        err = r.stderr.decode()
        h.check(r.returncode != 0 and "UUID" in err,
                "a server without credentials of its own started with names in tools.projects: "
                "{} {}".format(r.returncode, err[-600:]))
        print("scope names resolve with the server's view, never with the first caller's")
        return 0
    finally:
        if proc:
            proc.terminate()
            proc.wait(timeout=20)
        fake.stop()


if __name__ == "__main__":
    h.run(main)
