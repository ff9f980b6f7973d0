#!/usr/bin/env python3
"""Replays every importer fixture (tests/fixtures/pcf/imports/, captured from
a real PCF with tests/fixtures/scans/capture.py) against the fake PCF: the
same form with the same sample file goes to the fake, and the fake must
answer as PCF did (status, success banner or error list, a 500, or a hang)
and leave the project holding exactly what PCF's project held afterwards
(hosts, ports, hostnames, findings, PoCs, notes, credentials, by value).

Cases captured on 6c83154 run against `--bugs` (flavor head), those of
fb68b26 against `--flavor fb68b26`.  A case that reuses an earlier case's
project (a re-import) reuses the fake project made for that case.  The one
thing the fake does not model is PingCastle's rule texts (PCF reads them
from a description file it ships, which pcf-mcp does not copy): for
PingCastle findings the names and texts are left out of the comparison.
"""

import hashlib
import json
import os
import re
import socket
import sys
import uuid

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.dont_write_bytecode = True
from fakeproc import Fake, fixtures_dir, srcdir  # noqa: E402

sys.path.insert(0, os.path.join(srcdir(), "tests", "fakepcf"))
import importers_effect  # noqa: E402

EMAIL, PASSWORD = "pcf-tester@example.com", "pcf-tester-pass"
UUID_RX = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"


class Session:
    """A logged-in web session plus an API token on one fake."""

    def __init__(self, fake):
        self.fake = fake
        self.token = fake.control("token", {"email": EMAIL})["access_token"]
        st, h, body = fake.request("GET", "/login")
        self.cookie = h["set-cookie"].split(";")[0]
        csrf = re.search(r'name="csrf_token" value="([^"]+)"', body.decode()).group(1)
        st, h, _ = fake.request("POST", "/login",
                                "csrf_token={}&email={}&password={}".format(
                                    csrf, EMAIL.replace("@", "%40"), PASSWORD),
                                {"Content-Type": "application/x-www-form-urlencoded",
                                 "Cookie": self.cookie})
        if st != 302:
            raise AssertionError("login failed: {}".format(st))
        if "set-cookie" in h:
            self.cookie = h["set-cookie"].split(";")[0]

    def api(self, path, body=None):
        st, doc = self.fake.api(path, dict(body or {}, access_token=self.token))
        return doc

    def get(self, path):
        return self.fake.request("GET", path, headers={"Cookie": self.cookie})

    def new_project(self, name):
        return self.api("/project/new", {"name": name, "type": "pentest",
                                         "start_date": 1700000000, "end_date": 4102444800,
                                         "auto_archive": False})["project_id"]

    def csrf(self, path):
        st, _, body = self.get(path)
        return re.search(r'name="csrf_token" value="([^"]+)"', body.decode()).group(1)

    def post_form(self, path, fields, files, timeout):
        boundary = "----pcfmcpreplay" + uuid.uuid4().hex
        parts = []
        for k, v in fields:
            parts.append(("--{}\r\nContent-Disposition: form-data; name=\"{}\"\r\n\r\n"
                          .format(boundary, k)).encode() + v.encode() + b"\r\n")
        for field, name, data in files:
            parts.append(("--{}\r\nContent-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\n"
                          "Content-Type: application/octet-stream\r\n\r\n")
                         .format(boundary, field, name).encode() + data + b"\r\n")
        body = b"".join(parts) + "--{}--\r\n".format(boundary).encode()
        return self.fake.request("POST", path, body, {
            "Cookie": self.cookie, "Content-Type": "multipart/form-data; boundary=" + boundary},
            timeout=timeout)

    def effect(self, pid):
        st, _, body = self.get("/project/{}/reports/export/json".format(pid))
        hosts = self.api("/project/{}/hosts".format(pid)).get("hosts", [])
        if st == 200:
            return importers_effect.summarize(json.loads(body.decode()), hosts)
        return importers_effect.summarize_api(
            st, hosts, lambda hid: self.api("/project/{}/host/{}/info".format(pid, hid)),
            self.api("/project/{}/hostnames".format(pid)).get("hostnames", []),
            self.api("/project/{}/issues/list".format(pid)).get("issues", []))


def markers(excerpt):
    """What the answer page says: success banner, error items."""
    ok = "Successfully uploaded!" in excerpt
    errors = re.findall(r"<li>(.*?)</li>", excerpt)
    return ok, [e.strip() for e in errors]


def page_markers(html):
    m = re.findall(r'<div class="ui error message visible">(.*?)</ul>', html, re.S)
    errors = re.findall(r"<li>(.*?)</li>", " ".join(m)) if m else []
    return "Successfully uploaded!" in html, [e.strip() for e in errors]


def strip_pingcastle(effect):
    for i in effect.get("issues", []):
        if i["name"].startswith("PingCastle: "):
            for k in ("name", "description", "fix"):
                i[k] = "<PingCastle rule text>"
    if "issues" in effect:
        effect["issues"].sort(key=lambda x: (x["cvss"], x["services"]))
    return effect


def run_case(sess, case, projects, problems):
    req = case["request"]
    body = dict(req["body"])
    files_spec = body.pop("__files__")
    body.pop("csrf_token", None)
    captured_pid = re.search(UUID_RX, req["path"]).group(0)
    if captured_pid not in projects:
        projects[captured_pid] = sess.new_project(case["name"])
    pid = projects[captured_pid]
    path = req["path"].replace(captured_pid, pid)
    fields = [("csrf_token", sess.csrf(path))]
    for k, v in body.items():
        for x in (v if isinstance(v, list) else [v]):
            fields.append((k, x))
    files = []
    for field, spec in files_spec.items():
        sample = os.path.join(srcdir(), spec["sample"])
        data = open(sample, "rb").read()
        if hashlib.sha256(data).hexdigest() != spec["sha256"]:
            problems.append("sample {} changed since the capture".format(spec["sample"]))
            return
        files.append((field, os.path.basename(sample), data))
    resp = case["response"]
    if resp.get("hang"):
        try:
            st, _, _ = sess.post_form(path, fields, files, timeout=3)
            problems.append("PCF hung here; the fake answered {}".format(st))
        except (socket.timeout, TimeoutError, OSError):
            if not sess.fake.control("health")["wedged"]:
                problems.append("the fake did not answer but is not wedged")
        return "reset"
    st, hdrs, page = sess.post_form(path, fields, files, timeout=30)
    if st != resp["status"]:
        problems.append("status {} (PCF: {})".format(st, resp["status"]))
    if st == 200 and "body_excerpt" in resp:
        want = markers(resp["body_excerpt"])
        got = page_markers(page.decode(errors="replace"))
        if want != got:
            problems.append("page says {} (PCF: {})".format(got, want))
    want = case["effect"]
    got = sess.effect(pid)
    if case["request"]["path"].find("/tools/pingcastle/") >= 0:
        want, got = strip_pingcastle(json.loads(json.dumps(want))), strip_pingcastle(got)
    if got != want:
        for k in sorted(set(want) | set(got)):
            if want.get(k) != got.get(k):
                problems.append("{}: fake {} / PCF {}".format(
                    k, json.dumps(got.get(k))[:600], json.dumps(want.get(k))[:600]))


def main():
    base = os.path.join(fixtures_dir(), "imports")
    files = sorted(f for f in os.listdir(base) if f.endswith(".json"))
    groups = {"6c83154": ["--seed", "empty", "--bugs"],
              "fb68b26": ["--seed", "empty", "--flavor", "fb68b26"]}
    passed, failed, total = 0, [], 0
    for commit, args in groups.items():
        fake = Fake(*args)
        try:
            sess = Session(fake)
            for f in files:
                projects = {}
                for case in json.load(open(os.path.join(base, f))):
                    if case["pcf_commit"] != commit:
                        continue
                    total += 1
                    problems = []
                    try:
                        outcome = run_case(sess, case, projects, problems)
                    except Exception as e:  # noqa: BLE001  (a replay error is a failure)
                        problems.append("replay error: {!r}".format(e))
                        outcome = None
                    if outcome == "reset":
                        fake.control("reset", {"seed": "empty"})
                        sess = Session(fake)
                        projects = {}
                    name = "{} {} [{}]".format(f, case["name"], commit)
                    if problems:
                        failed.append((name, problems))
                        print("not ok - " + name)
                        for p in problems:
                            print("#   " + p)
                    else:
                        passed += 1
                        print("ok - " + name)
        finally:
            fake.stop()
    print("# importer fixtures: {} passed, {} failed of {}".format(passed, len(failed), total))
    if failed or total == 0:
        sys.exit(1)


if __name__ == "__main__":
    main()
