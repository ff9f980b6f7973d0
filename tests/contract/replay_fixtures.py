#!/usr/bin/env python3
"""Replays every case of every PCF fixture file against the fake PCF server
and compares the answers with what the real PCF returned.

For each fixture file the cases are split into three groups, each replayed in
order on its own fake process, with the world the captured cases relied on
rebuilt first through the fake's own API / UI:
  head  captured on HEAD 6c83154 (not a server_error_* case) -> default fake
  fb    captured on fb68b26                                   -> --flavor fb68b26
  bug   HEAD server_error_* cases (one fresh world each)        -> --bugs
Captured ids/tokens are mapped to the fake's (learned from answers or created
from the catalogue below).  Compared: status, content type, JSON shape (keys,
types, nesting, list lengths, id kinds and id identity), error texts, HTML
markers (title, error lists, excerpt lines), Location / Content-Disposition,
text bodies line by line.  Any skipped or mismatched case fails the run.
"""

import base64
import io
import json
import os
import re
import socket
import sys
import time
import urllib.parse
import uuid
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
sys.dont_write_bytecode = True
from fakeproc import Fake, FakeError, fixtures_dir, srcdir  # noqa: E402

UUID_RX = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
UUID_FULL = re.compile("^" + UUID_RX + "$")
CAPTURED_PASSWORD = "f71f5f3fe018112d8d"
MAIN_EMAIL, MAIN_PASSWORD = "pcf-tester@example.com", "pcf-tester-pass"
SECOND_EMAIL = "pcf-second@example.com"
CAPTURED_BASE = "http://127.0.0.1:15731"
ZERO = "00000000-0000-4000-8000-000000000000"
VERBOSE = "-v" in sys.argv


def is_uuid(s):
    return isinstance(s, str) and UUID_FULL.match(s) is not None


# --------------------------------------------------------------- catalogue
# Every captured id a case may refer to without having created it itself,
# with how to build the equivalent in the fake.

U1, U2 = "4d0a3217-8c5d-416a-914b-0a7ab761391c", "bac64112-6688-442a-bb70-81e49cf50b52"
TOK, TOKF = "ee8358e3-118d-453e-889c-169871af82e2", "c455de30-767f-458d-86f0-ec2aeb29b6e7"
TOK_EXP, TOK_DIS = "45ca33dd-cab1-4b7e-9875-f505a9b3196d", "a9f7e781-3792-4406-a804-eb3862e5bfe9"
T1 = "b75364f5-1e6b-43e1-b238-b66195f311f7"
P1, P2, P3 = ("ed881b71-614c-45d5-a36d-76bdd0e4afcf", "c5987860-22b9-4f68-a821-9f044b07f96a",
              "e54f1632-6960-4222-a78d-9c8b0a592524")
H1, H2, H3 = ("89a273fe-9d0b-4cc8-a721-ec68aa2903df", "e6d1e0d5-6bc2-4c18-b693-8be3a4abea96",
              "0e4eae60-2bc7-4cdd-9ee9-c5de07dce744")
PT1, PT2 = "1ab7abdc-ece3-4589-8f16-ef5326a81105", "659632ee-6cdd-4c47-b48a-096247a87251"
HN1 = "01aa2d95-15d4-4eba-af4b-9ac0a5a4fe91"
N1, N2 = "efdf8949-1f77-4ca3-b50b-83f9eda1a180", "6bf0a232-a4b9-458f-b939-4d4c19a9c36f"
C1, C2, C3 = ("f4e8237f-3bd1-4856-acb2-6e1029d5e3d0", "17784722-d07f-4cbb-9fc5-813923dd00c7",
              "0f3e768a-6750-4d93-8645-d8471cc54994")
P4, P5 = "b333e0e7-cedd-457b-b395-611676d0f6d4", "b66ece1d-88fe-4f2f-b757-e35319149011"
PTF1, HNF1, PTF2 = ("ccf94c08-2c85-48b2-a3ae-1b6ea6a28b8a", "7599826b-1f0c-4a44-9f5a-9c77cc35ba1a",
                    "4f652fae-71e2-4e6e-862e-0b786caf0676")
I1, I2 = "be19cacb-6140-4fce-b277-757ccd98beb3", "434af101-e505-4ced-9494-9f8d2c38bf26"
POC1, POC2 = "bdaf783c-2d6a-456b-9b38-969b4a2d97b1", "a76b4b41-e9bf-41ea-a07f-b254610a0822"
P6 = "743f8a4c-bf3f-4bfe-b64d-15c8dc79eec4"
H6A, H6B = "07e50f99-0088-4a53-b91f-d0a02955f81a", "71a56203-8e8d-4c8c-9b71-592e42ee63d5"
HN6A, HN6B = "bb83efee-f5d6-4ed1-8400-9d6575051181", "12382d11-2836-450c-b839-1c108ce0ab03"
PT6A, PT6B, PT6C = ("1f0d7cc5-233b-4d38-b482-b18838f839bd", "88eafc65-aec3-4692-a845-302bce43111f",
                    "83cf6afc-bbdf-4c33-bcad-5c148e0e881e")
P7 = "906e3259-2acb-473a-bf5d-a133549524c6"
P8 = "ffb0ce03-ef89-46b4-b431-a43190cb9edf"   # report title outside Latin-1
PT7A, PT7B, PT7C = ("0769b9de-f8dd-46b1-bf32-e1c38d954ba1", "90836938-9787-4dfe-8806-99089a16257b",
                    "e2c7f851-5b28-44fa-ab6f-db20b90f8df1")
HN7A, HN7B = "6326af9d-6033-4392-bf86-010de43efe2e", "aa7c7de4-8133-484f-8aa9-980bb91a491e"
NOTE_RECON = "974bb475-1abe-41e5-9ef5-6d46a1ba51f6"
ACCESS = "<access_token>"

FAR = 4102444800   # 2100-01-01: fb68b26 projects were still active when captured


def project(name, **kw):
    body = {"name": name, "type": "pentest", "start_date": 1795630986, "end_date": 1795717386,
            "auto_archive": False}
    body.update(kw)
    return ("project", body)


CAT = {
    U1: ("user", MAIN_EMAIL), U2: ("user", SECOND_EMAIL),
    TOK: ("token", "valid"), TOKF: ("token", "valid"), ACCESS: ("token", "valid"),
    TOK_EXP: ("token", "expired"), TOK_DIS: ("token", "disabled"),
    T1: ("team", {"name": "Fixture team", "description": "created by capture"}),
    "T1+U2": ("team_add", (T1, SECOND_EMAIL)),
    "T1:U2admin": ("team_set_admin", (T1, U2), ["T1+U2"]),
    P1: project("Fixture project", description="desc", scope="10.0.0.0/24",
                start_date=1795544586, end_date=1798222986, folder="fx",
                report_title="Fixture report", teams=[T1], testers=[U2]) + (["T1+U2"],),
    P2: project("Minimal project"),
    P3: project("Scratch"),
    "P2:archived": ("archive", P2),
    H1: ("host", (P1, "10.0.0.5", "web server")),
    H2: ("host", (P1, "10.0.0.6", "")),
    H3: ("host", (P3, "not-an-ip", "")),
    "H1:edited": ("host_edit", (P1, H1, {"description": "edited host", "os": "Linux",
                                         "threats": ["high", "checked"]})),
    PT1: ("port", (P1, H1, 443, True, "https", "nginx")),
    PT2: ("port", (P1, H1, 53, False, "", "")),
    "PT1:edited": ("port_edit", (P1, PT1, {"service": "http-alt", "description": "edited"})),
    HN1: ("hostname", (P1, H1, "www.example.com", "main site")),
    N1: ("network", (P1, {"ip": "10.0.0.0", "mask": 24, "name": "1", "description": "office",
                          "asn": 64512, "internal_ip": "10.0.0.1", "cmd": "ssh -D 1080 jump",
                          "access_from": {PT1: ["0", HN1]}}), [PT1, HN1]),
    N2: ("network", (P1, {"ip": "fd00::", "mask": 64, "name": "9"})),
    C1: ("cred", (P1, {"login": "admin", "password_hash": "21232f297a57a5a743894a0e4a801fc3",
                       "hash_type": "md5_hex", "cleartext_password": "admin",
                       "comment": "default creds", "info_source": "manual"})),
    C2: ("cred", (P1, {"login": "root"}), [C1]),
    C3: ("cred", (P1, {"login": "svc_backup", "cleartext_password": "Winter2024!",
                       "info_source": "responder"}), [C2]),
    P4: project("fb68b26 project", start_date=1675555200, end_date=FAR),
    P5: project("fb68b26 archived project", start_date=1675555200, end_date=FAR),
    "P5:archived": ("archive", P5),
    "HF1": ("host", (P4, "10.1.0.5", "app server")),
    PTF1: ("port", (P4, "HF1", 80, True, "http", "")),
    PTF2: ("port", (P4, "HF1", 8443, True, "https-alt", "")),
    HNF1: ("hostname", (P4, "HF1", "app.example.com", "")),
    I1: ("issue", (P4, {"name": "SQL injection", "cvss": 9.8, "url_path": "/login",
                        "description": "SQLi in login", "cve": "CVE-2020-1234", "cwe": 89,
                        "status": "confirmed", "fix": "Use prepared statements", "type": "web",
                        "param": "POST user=", "technical": "payload: ' or 1=1--",
                        "risks": "DB dump", "references": "https://owasp.org",
                        "intruder": "External", "services": {PTF1: ["0", HNF1]},
                        "fields": {"nessusid": {"type": "number", "value": "1337"},
                                   "note": {"type": "text", "value": "hello"},
                                   "ratio": {"type": "float", "value": "0.5"},
                                   "flag": {"type": "boolean", "value": "1"}}}),
         [PTF1, HNF1]),
    "I1:edited": ("issue_edit", (P4, I1, {"status": "fixed", "cvss": 7.5, "fields": {
        "nessusid": {"type": "number", "value": "42"}}})),
    I2: ("issue", (P4, {"name": "Info leak"}), [I1]),
    POC1: ("poc", (P4, I1, {"description": "request/response", "type": "text",
                            "b64content": "R0VUIC9sb2dpbj91c2VyPSUyNyBIVFRQLzEuMQo=",
                            "port_id": PTF1, "hostname_id": HNF1})),
    POC2: ("poc", (P4, I1, {"type": "image", "b64content": (
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP4z8DwHwAFAAIBo+aoPAAAAABJRU5E"
        "rkJggg==")}), [POC1]),
    P6: project("UI project", start_date=1795544586, end_date=FAR),
    H6A: ("host", (P6, "10.10.0.5", "web")),
    H6B: ("host", (P6, "10.10.0.6", "db")),
    HN6A: ("hostname", (P6, H6A, "www.example.com", "")),
    HN6B: ("hostname", (P6, H6B, "db.example.com", "")),
    PT6A: ("port", (P6, H6A, 80, True, "http", "")),
    PT6B: ("port", (P6, H6A, 443, True, "https", "")),
    PT6C: ("port", (P6, H6B, 5432, True, "postgresql", "")),
    "NMAP": ("nmap", P6, [HN6A, HN6B]),
    "THREAT5610": ("threat", (P6, "192.168.56.10", ["high"]), ["NMAP"]),
    NOTE_RECON: ("note", (P6, "Recon notes")),
    P7: project("UI project fb68b26", start_date=1675555200, end_date=FAR),
    P8: project("Fixture report title", report_title="\u041e\u0442\u0447\u0451\u0442"),
    "H7A": ("host", (P7, "10.10.0.5", "web")),
    "H7B": ("host", (P7, "10.10.0.6", "db")),
    HN7A: ("hostname", (P7, "H7A", "www.example.com", "")),
    HN7B: ("hostname", (P7, "H7B", "db.example.com", "")),
    PT7A: ("port", (P7, "H7A", 80, True, "http", "")),
    PT7B: ("port", (P7, "H7A", 443, True, "https", "")),
    PT7C: ("port", (P7, "H7B", 5432, True, "postgresql", "")),
}
LOOKUP_KINDS = ("cred", "note")

# Per fixture file: entities that existed when each group started, and
# entities that appeared between two cases (hooks, keyed "group:case").
PRE = "project_PROJECT_ID_"
SPECS = {
    "check_token": {"head": [TOK, TOK_EXP, TOK_DIS]},
    "create_token": {"head": []},
    "disable_token": {"head": [(TOK_DIS, "valid")]},
    "nonexistent": {"head": [TOK]},
    PRE + "host_HOST_ID_delete": {"head": [P1, H2]},
    PRE + "host_HOST_ID_edit": {"head": [P1, H1]},
    PRE + "host_HOST_ID_info": {"head": [P1, "H1:edited", HN1, PT2, PT1, P2]},
    PRE + "host_new": {"head": [P1, P3, "P2:archived"]},
    PRE + "hostname_add": {"head": [P1, H1]},
    PRE + "hostnames": {"head": [P1, "H1:edited", HN1]},
    PRE + "hosts": {"head": [P1, H1, H2, "P2:archived"]},
    PRE + "issues_ISSUE_ID_delete": {"head": [P1], "fb": [P4, I2]},
    PRE + "issues_ISSUE_ID_edit": {"head": [P1], "fb": [P4, I1]},
    PRE + "issues_ISSUE_ID_info": {"head": [P1], "fb": [P4, I1, P5],
                                   "hooks": {"fb:success_after_edit": ["I1:edited"],
                                             "fb:success_with_pocs": [POC1, POC2]}},
    PRE + "issues_ISSUE_ID_poc_POC_ID_delete": {"head": [P1], "fb": [P4, I1, POC2]},
    PRE + "issues_ISSUE_ID_poc_POC_ID_info": {"head": [P1], "fb": [P4, I2, POC2]},
    PRE + "issues_ISSUE_ID_poc_add": {"head": [P1], "fb": [P4, I1, PTF2]},
    PRE + "issues_create": {"head": [P1, "P2:archived"], "bug": [P1],
                            "fb": [P4, PTF1, HNF1, "P5:archived"]},
    PRE + "issues_list": {"head": [P1], "fb": [P4, P5], "hooks": {"fb:success": [I1, I2]}},
    PRE + "issues_rules_use": {"head": [P1], "fb": [P4, I2]},
    PRE + "issues_search": {"head": [P1], "fb": [P4],
                            "hooks": {"fb:success_name_like": [I1, I2]}},
    PRE + "network_NETWORK_ID_delete": {"head": [P1, N2]},
    PRE + "network_NETWORK_ID_edit": {"head": [P1, N1]},
    PRE + "network_NETWORK_ID_info": {"head": [P1, H1, H2, N1]},
    PRE + "network_create": {"head": [P1, H1, PT1, HN1], "bug": [P1]},
    PRE + "networks": {"head": [P3, H3, P1, H1, H2, N1]},
    PRE + "port_PORT_ID_delete": {"head": [P1, PT2]},
    PRE + "port_PORT_ID_edit": {"head": [P1, PT1]},
    PRE + "port_PORT_ID_info": {"head": [P1, PT1]},
    PRE + "port_new": {"head": [P1, H1]},
    PRE + "settings": {"head": [P1, P2], "hooks": {"head:success_archived": ["P2:archived"]}},
    PRE + "settings_edit": {"head": [P1, P2]},
    "project_new": {"head": [TOK, "T1+U2"], "bug": [T1]},
    "projects": {"head": [TOK_EXP, TOK, P1, P2], "hooks": {"head:success_final": [P3]}},
    "rules": {"head": [T1, U2], "bug": []},
    "swagger_v1_0_0_json": {"head": []},
    "team_TEAM_ID_info": {"head": [T1]},
    "team_TEAM_ID_info_update": {"head": [T1]},
    "team_TEAM_ID_logs": {"head": [T1]},
    "team_TEAM_ID_projects": {"head": [T1]},
    "team_TEAM_ID_users": {"head": [T1], "hooks": {"head:success_after_add": ["T1+U2"]}},
    "team_TEAM_ID_users_add": {"head": [T1]},
    "team_TEAM_ID_users_delete": {"head": [T1, U2], "bug": ["T1+U2"]},
    "team_TEAM_ID_users_devote": {"head": ["T1:U2admin"]},
    "team_TEAM_ID_users_set_admin": {"head": ["T1+U2"]},
    "teams": {"head": [T1]},
    "user_USER_ID_info": {"head": [U1, U2]},
    "user_me": {"head": [TOK_DIS, TOK], "hooks": {"head:success": [T1]}},
    "ui/login": {"head": [], "anonymous": True},
    "ui/create_team": {"head": []},
    "ui/projects_page": {"head": []},
    "ui/poc_file": {"fb": [P4, POC1]},
    "ui/credentials": {"head": [P1, H1, PT1, HN1]},
    "ui/reports": {"head": [P1, "H1:edited", HN1, "PT1:edited", N1, C1, C2, C3, P8]},
    "ui/notes": {"head": [P6, H6A]},
    "ui/issues": {"head": [P6, HN6A, PT6A, PT6B, HN6B, PT6C]},
    "ui/issues_fb68b26": {"fb": [P7, HN7A, PT7A, PT7B, HN7B, PT7C]},
    "ui/nmap_import": {"head": [P6, HN6A, HN6B]},
    "ui/exporter": {"head": [P6, HN6A, PT6A, PT6B, HN6B, PT6C, "NMAP", "THREAT5610"]},
    # The project workspace (scripts/capture-workspace.py): each file builds
    # its own world through recorded calls, so every id is learned.
    "ui/ws_issue_templates": {"head": []},
    # PCF's join_issues keeps the duplicate with the smallest id; in the
    # capture that was the first one created, so the fake hands out
    # ascending ids here to keep the same one.
    "ui/ws_issues_bulk": {"head": [], "ascending_ids": True},
    "ui/ws_share": {"head": []},
    "ui/ws_tasks": {"head": []},
    "ui/ws_files": {"head": []},
    "ui/ws_chats": {"head": []},
    "ui/ws_credentials_io": {"head": []},
    "ui/ws_hosts_import": {"head": []},
    "ui/ws_services": {"head": []},
    "ui/ws_network_paths": {"head": []},
    "ui/ws_team_admin": {"head": []},
}


class ReplayError(Exception):
    pass


# -------------------------------------------------------------------- world

class World:
    """The fake-side counterpart of one captured run: id map, tokens and the
    sessions used to build entities and to replay UI cases."""

    def __init__(self, fake, group, fixture_cases):
        self.fake = fake
        self.group = group
        self.idmap = {}
        self.fixture_cases = fixture_cases
        fake.control("reset", {"seed": "empty"})
        fake.control("clock", {"freeze": True})
        users = {u["email"]: u["id"] for u in fake.control("users")["users"]}
        self.users = users
        self.idmap[U1], self.idmap[U2] = users[MAIN_EMAIL], users[SECOND_EMAIL]
        self.builder_token = fake.control("token", {"email": MAIN_EMAIL})["access_token"]
        self.builder = self.login()

    # ---- sessions
    def new_session(self):
        status, hdrs, body = self.fake.request("GET", "/login")
        cookie = re.search(r"session=([^;]+)", hdrs.get("set-cookie", "")).group(1)
        csrf = re.search(r'name="csrf_token" value="([^"]*)"', body.decode()).group(1)
        return {"cookie": cookie, "csrf": csrf}

    def login(self):
        s = self.new_session()
        status, hdrs, _ = self.ui("POST", "/login", {"csrf_token": s["csrf"], "email": MAIN_EMAIL,
                                                     "password": MAIN_PASSWORD}, sess=s)
        if status != 302:
            raise ReplayError("builder login failed: {}".format(status))
        return s

    def ui(self, method, path, form=None, sess=None, headers=None):
        sess = sess or self.builder
        h = {"Cookie": "session=" + sess["cookie"]}
        h.update(headers or {})
        body = None
        if form is not None:
            if "csrf_token" not in form:
                form = dict(form, csrf_token=sess["csrf"])
            body = urllib.parse.urlencode(form, doseq=True)
            h["Content-Type"] = "application/x-www-form-urlencoded"
        return self.fake.request(method, path, body, h)

    def api(self, path, obj):
        obj = dict(obj, access_token=self.builder_token)
        status, body = self.fake.api(path, obj)
        if status != 200 or not isinstance(body, dict) or "errors" in body:
            raise ReplayError("world setup {} failed: {} {}".format(path, status, body))
        return body

    def export(self, pid):
        status, _, body = self.ui("GET", "/project/{}/reports/export/json".format(pid))
        if status != 200:
            raise ReplayError("export of {} failed: {}".format(pid, status))
        return json.loads(body.decode())

    # ---- entities
    def m(self, key):
        """The fake-side id of a catalogue entity, building it if needed."""
        self.ensure(key)
        return self.idmap[key]

    def tr(self, obj):
        """Translates captured ids inside catalogue parameters."""
        if isinstance(obj, str):
            return self.m(obj) if obj in CAT or obj in self.idmap else obj
        if isinstance(obj, list):
            return [self.tr(x) for x in obj]
        if isinstance(obj, dict):
            return {self.tr(k): self.tr(v) for k, v in obj.items()}
        return obj

    def ensure(self, key, role=None):
        if key in self.idmap:
            return
        entry = CAT.get(key)
        if entry is None:
            raise ReplayError("no catalogue entry for {}".format(key))
        kind, arg = entry[0], entry[1]
        for dep in (entry[2] if len(entry) > 2 else []):
            self.ensure(dep)
        if kind == "user":
            self.idmap[key] = self.users[arg]
        elif kind == "token":
            role = role or arg
            if role == "expired":
                tok = self.fake.control("token", {"email": MAIN_EMAIL, "duration": 1,
                                                  "age": 10})["access_token"]
            else:
                tok = self.fake.control("token", {"email": MAIN_EMAIL})["access_token"]
                if role == "disabled":
                    st, body = self.fake.api("/disable_token", {"access_token": tok})
                    assert st == 200, body
            self.idmap[key] = tok
        elif kind == "team":
            st, hdrs, _ = self.ui("POST", "/create_team", arg)
            m = re.search(UUID_RX, hdrs.get("location", ""))
            if st != 302 or not m:
                raise ReplayError("create_team failed")
            self.idmap[key] = m.group(0)
        elif kind == "team_add":
            self.api("/team/{}/users/add".format(self.m(arg[0])), {"email": arg[1]})
            self.idmap[key] = key
        elif kind == "team_set_admin":
            self.api("/team/{}/users/set_admin".format(self.m(arg[0])), {"user_id": self.m(arg[1])})
            self.idmap[key] = key
        elif kind == "project":
            body = self.tr(arg)
            self.idmap[key] = self.api("/project/new", body)["project_id"]
        elif kind == "archive":
            # settings/edit re-checks every tester (the caller included) for a
            # shared team, so the caller needs one, as in the captured runs.
            self.ensure(T1)
            self.api("/project/{}/settings/edit".format(self.m(arg)), {"status": "archived"})
            self.idmap[key] = key
        elif kind == "host":
            pid, ip, desc = arg
            self.idmap[key] = self.api("/project/{}/host/new".format(self.m(pid)),
                                       {"ip": ip, "description": desc})["host_id"]
        elif kind == "host_edit":
            pid, hid, body = arg
            self.api("/project/{}/host/{}/edit".format(self.m(pid), self.m(hid)), body)
            self.idmap[key] = key
        elif kind == "port":
            pid, hid, num, tcp, service, desc = arg
            self.idmap[key] = self.api("/project/{}/port/new".format(self.m(pid)), {
                "host_id": self.m(hid), "port": num, "is_tcp": tcp, "service": service,
                "description": desc})["port_id"]
        elif kind == "port_edit":
            pid, port, body = arg
            self.api("/project/{}/port/{}/edit".format(self.m(pid), self.m(port)), body)
            self.idmap[key] = key
        elif kind == "hostname":
            pid, hid, name, desc = arg
            self.idmap[key] = self.api("/project/{}/hostname/add".format(self.m(pid)), {
                "host_id": self.m(hid), "hostname": name, "description": desc})["id"]
        elif kind == "network":
            pid, body = arg
            self.idmap[key] = self.api("/project/{}/network/create".format(self.m(pid)),
                                       self.tr(body))["network_id"]
        elif kind == "cred":
            pid, form = arg
            st, hdrs, _ = self.ui("POST", "/project/{}/credentials/new_creds".format(self.m(pid)),
                                  form)
            if st != 302:
                raise ReplayError("new_creds failed: {}".format(st))
            self.lookup(key)
        elif kind == "note":
            pid, name = arg
            path = "/project/{}/notes/".format(self.m(pid))
            self.ui("POST", "/project/{}/notes/add".format(self.m(pid)), {"name": name},
                    headers={"Referer": self.fake.base + path})
            self.lookup(key)
        elif kind == "issue":
            pid, body = arg
            if self.group == "bug":
                raise ReplayError("issues cannot be built on the --bugs fake")
            self.idmap[key] = self.api("/project/{}/issues/create".format(self.m(pid)),
                                       self.tr(body))["issue_id"]
        elif kind == "issue_edit":
            pid, iid, body = arg
            self.api("/project/{}/issues/{}/edit".format(self.m(pid), self.m(iid)), self.tr(body))
            self.idmap[key] = key
        elif kind == "poc":
            pid, iid, body = arg
            self.idmap[key] = self.api("/project/{}/issues/{}/poc/add".format(
                self.m(pid), self.m(iid)), self.tr(body))["poc_id"]
        elif kind == "nmap":
            self.nmap_imports(self.m(arg))
            self.idmap[key] = key
        elif kind == "threat":
            pid, ip, threats = arg
            hosts = self.api("/project/{}/hosts".format(self.m(pid)), {})["hosts"]
            hid = next(h["id"] for h in hosts if h["ip"] == ip)
            self.api("/project/{}/host/{}/edit".format(self.m(pid), hid), {"threats": threats})
            self.idmap[key] = key
        else:
            raise ReplayError("unknown catalogue kind " + kind)

    def lookup(self, key):
        """Finds an entity a UI form created (PCF returns no id) by name."""
        kind, arg = CAT[key][0], CAT[key][1]
        pid = self.m(arg[0])
        data = self.export(pid)
        if kind == "cred":
            for cid, cr in data["credentials"].items():
                if cr["login"] == arg[1]["login"] and cid not in self.idmap.values():
                    self.idmap[key] = cid
                    return True
        elif kind == "note":
            for nid, n in data["notes"].items():
                if n["name"] == arg[1] and nid not in self.idmap.values():
                    self.idmap[key] = nid
                    return True
        return False

    def nmap_imports(self, pid):
        xml = None
        for c in self.fixture_cases("ui/nmap_import"):
            files = (c["request"].get("body") or {}).get("__files__") if isinstance(
                c["request"].get("body"), dict) else None
            if files and "files" in files and files["files"]["content"].startswith("<?xml"):
                xml = files["files"]["content"]
                break
        for rule, ignore in (("open", ""), ("filtered", "53/udp")):
            form = {"csrf_token": self.builder["csrf"], "rule": rule, "ignore_ports": ignore,
                    "ignore_services": "tcpwrapped, realserver",
                    "hosts_description": "Added from NMAP scan",
                    "hostnames_description": "Added from NMAP scan"}
            body, ctype = multipart(form, {"files": {"filename": "scan.xml",
                                                      "content_type": "text/xml",
                                                      "content": xml}})
            st, _, page = self.fake.request("POST", "/project/{}/tools/nmap/".format(pid), body, {
                "Cookie": "session=" + self.builder["cookie"], "Content-Type": ctype})
            if st != 200 or b"Successfully uploaded!" not in page:
                raise ReplayError("nmap import for the exporter world failed")


def multipart(form, files):
    boundary = "----fakepcf" + uuid.uuid4().hex
    out = io.BytesIO()
    for k, v in form.items():
        for item in (v if isinstance(v, list) else [v]):
            out.write("--{}\r\nContent-Disposition: form-data; name=\"{}\"\r\n\r\n".format(
                boundary, k).encode())
            out.write(str(item).encode() + b"\r\n")
    for k, f in (files or {}).items():
        content = f["content"]
        data = content if isinstance(content, bytes) else content.encode()
        out.write("--{}\r\nContent-Disposition: form-data; name=\"{}\"; filename=\"{}\"\r\n"
                  "Content-Type: {}\r\n\r\n".format(boundary, k, f.get("filename", "file"),
                                                   f.get("content_type",
                                                         "application/octet-stream")).encode())
        out.write(data + b"\r\n")
    out.write("--{}--\r\n".format(boundary).encode())
    return out.getvalue(), "multipart/form-data; boundary=" + boundary


# ------------------------------------------------------------- translation

class Translator:
    def __init__(self, world):
        self.w = world

    def map_id(self, s):
        """Captured id -> fake id (building catalogue entities on demand)."""
        if s in self.w.idmap:
            return self.w.idmap[s]
        low = s.lower()
        if low in self.w.idmap:
            return self.w.idmap[low]
        if low in CAT:
            kind = CAT[low][0]
            if kind in LOOKUP_KINDS and self.w.lookup(low):
                return self.w.idmap[low]
            self.w.ensure(low)
            return self.w.idmap[low]
        return s

    def text(self, s):
        s = s.replace(CAPTURED_BASE, self.w.fake.base)
        if s == ACCESS:
            return self.map_id(ACCESS)
        return re.sub(UUID_RX, lambda m: self.map_id(m.group(0)), s)

    def deep(self, obj):
        if isinstance(obj, str):
            if obj == CAPTURED_PASSWORD:
                return MAIN_PASSWORD
            return self.text(obj)
        if isinstance(obj, list):
            return [self.deep(x) for x in obj]
        if isinstance(obj, dict):
            return {self.deep(k): self.deep(v) for k, v in obj.items()}
        return obj


def binary_for(name, filename, n, all_cases):
    """Content for '<binary N bytes>' uploads: the PNG comes back base64 in
    a later export of the same file; anything else is a small zip."""
    if filename.endswith(".png"):
        for c in all_cases:
            body = c["response"].get("body")
            if isinstance(body, dict) and isinstance(body.get("pocs"), dict):
                for p in body["pocs"].values():
                    if p.get("filename") == filename:
                        return base64.b64decode(p["content_base64"])
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("poc.bin", b"\x00\x01\x02" * max(1, n // 8))
    return buf.getvalue()


def build_request(tr, case, sess, all_cases):
    req = case["request"]
    method, path = req["method"], tr.text(req["path"])
    headers = {}
    body = req.get("body")
    ctype = None
    for k, v in (req.get("headers") or {}).items():
        if k.lower() == "cookie":
            if sess is not None:
                headers["Cookie"] = "session=" + sess["cookie"]
        elif k.lower() == "content-type":
            ctype = v
        elif k.lower() == "referer":
            headers["Referer"] = tr.text(v)
        else:
            headers[k] = v
    data = None
    if body is not None:
        if ctype == "application/json" and not isinstance(body, str):
            data = json.dumps(tr.deep(body)).encode()
            headers["Content-Type"] = ctype
        elif isinstance(body, str):
            data = tr.text(body).encode()
            if ctype:
                headers["Content-Type"] = ctype
        else:
            form = {}
            files = {}
            for k, v in body.items():
                if k == "__files__":
                    for fk, f in v.items():
                        content = f["content"]
                        m = re.fullmatch(r"<binary (\d+) bytes>", content)
                        if m:
                            content = binary_for(fk, f.get("filename", ""), int(m.group(1)),
                                                 all_cases)
                        files[fk] = dict(f, content=content)
                    continue
                if v == "<csrf_token from the page>":
                    v = sess["csrf"] if sess else ""
                elif isinstance(v, list):
                    v = [tr.deep(x) for x in v]
                else:
                    v = tr.deep(v)
                form[k] = v
            if ctype and ctype.startswith("multipart/form-data"):
                data, headers["Content-Type"] = multipart(form, files)
            else:
                data = urllib.parse.urlencode(form, doseq=True).encode()
                headers["Content-Type"] = ctype or "application/x-www-form-urlencoded"
    return method, path, data, headers


# -------------------------------------------------------------- comparison

def kind_of(v):
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, int):
        return "int"
    if isinstance(v, float):
        return "float"
    if isinstance(v, str):
        return "uuid" if is_uuid(v) else "str"
    if v is None:
        return "null"
    if isinstance(v, list):
        return "list"
    return "dict"


def is_ip_key(k):
    return re.fullmatch(r"[0-9a-fA-F:.]+", k) is not None and ("." in k or ":" in k)


class Comparer:
    def __init__(self, world):
        self.w = world
        self.errors = []

    def err(self, path, msg):
        self.errors.append("{}: {}".format(path or "<body>", msg))

    def images(self):
        return set(self.w.idmap.values())

    def learn(self, exp, got, path):
        if exp in self.w.idmap:
            if self.w.idmap[exp] != got:
                self.err(path, "id {} is {} in the fake, answer has {}".format(
                    exp, self.w.idmap[exp], got))
            return
        if got == self.w.idmap.get(ACCESS):
            self.w.idmap[exp] = got          # the "<access_token>" placeholder's value
            return
        if got in self.images():
            self.err(path, "fresh id {} answered with an id already in use ({})".format(exp, got))
            return
        self.w.idmap[exp] = got

    def scalar(self, exp, got, path):
        ke, kg = kind_of(exp), kind_of(got)
        if ke != kg:
            self.err(path, "expected {} ({!r}), got {} ({!r})".format(ke, exp, kg, got))
            return
        if ke == "uuid":
            self.learn(exp, got, path)

    def similarity(self, exp, got):
        if not isinstance(exp, dict) or not isinstance(got, dict):
            return 0
        score = len(set(exp) & set(got))
        for k, v in exp.items():
            g = got.get(k)
            if isinstance(v, (str, int, float, bool)) and not isinstance(v, dict):
                if is_uuid(v):
                    if self.w.idmap.get(v) == g:
                        score += 20
                elif v == g:
                    score += 5
            elif isinstance(v, (list, dict)) and isinstance(g, type(v)) and len(v) == len(g):
                score += 1
        return score

    def value(self, exp, got, path, excerpt=False):
        if isinstance(exp, dict):
            if not isinstance(got, dict):
                self.err(path, "expected an object, got {}".format(kind_of(got)))
                return
            keys = [k for k in exp if k != "_note"]
            if keys and all(is_uuid(k) or is_ip_key(k) for k in keys):
                self.mapping(exp, got, path, excerpt)
                return
            if not excerpt:
                if set(keys) != set(got):
                    self.err(path, "keys differ: expected {}, got {}".format(
                        sorted(keys), sorted(got)))
                    return
            for k in keys:
                if k not in got:
                    self.err(path, "missing key {}".format(k))
                    continue
                self.value(exp[k], got[k], "{}.{}".format(path, k), excerpt and path == "")
            return
        if isinstance(exp, list):
            if not isinstance(got, list):
                self.err(path, "expected a list, got {}".format(kind_of(got)))
                return
            if len(exp) != len(got):
                self.err(path, "expected {} items, got {}".format(len(exp), len(got)))
                return
            if all(isinstance(x, dict) for x in exp):
                self.match_items(exp, got, path)
            else:
                self.scalar_list(exp, got, path)
            return
        self.scalar(exp, got, path)

    def mapping(self, exp, got, path, excerpt):
        keys = [k for k in exp if k != "_note"]
        if not excerpt and len(keys) != len(got):
            self.err(path, "expected {} entries, got {}".format(len(keys), len(got)))
            return
        used = set()
        pending = []
        for k in keys:
            if is_uuid(k) and k in self.w.idmap:
                gk = self.w.idmap[k]
                if gk not in got:
                    self.err(path, "entry for {} ({}) missing".format(k, gk))
                    continue
                used.add(gk)
                self.value(exp[k], got[gk], "{}[{}]".format(path, k[:8]))
            elif not is_uuid(k):
                if k not in got:
                    self.err(path, "entry {} missing".format(k))
                    continue
                used.add(k)
                self.value(exp[k], got[k], "{}[{}]".format(path, k))
            else:
                pending.append(k)
        for k in pending:
            images = self.images()
            cands = [g for g in got if g not in used and g not in images and is_uuid(g)]
            if not cands:
                self.err(path, "no entry left to match {}".format(k))
                continue
            best = max(cands, key=lambda g: self.similarity(exp[k], got[g]))
            used.add(best)
            self.learn(k, best, path)
            self.value(exp[k], got[best], "{}[{}]".format(path, k[:8]))

    def match_items(self, exp, got, path):
        left = list(range(len(got)))
        for i, e in enumerate(exp):
            best = max(left, key=lambda j: (self.similarity(e, got[j]), -j))
            left.remove(best)
            self.value(e, got[best], "{}[{}]".format(path, i))

    def scalar_list(self, exp, got, path):
        pool = list(got)
        unmatched = []
        for e in exp:
            target = self.w.idmap.get(e, e) if isinstance(e, str) else e
            if target in pool and (not is_uuid(e) or e in self.w.idmap or not is_uuid(target)):
                pool.remove(target)
            else:
                unmatched.append(e)
        for e in unmatched:
            same = [g for g in pool if kind_of(g) == kind_of(e)]
            if not same:
                self.err(path, "no item matching {!r} in {!r}".format(e, got))
                continue
            pool.remove(same[0])
            self.scalar(e, same[0], path)

    # ---- texts
    def pattern(self, text):
        """Regex for a captured text: mapped ids exact, unknown ids captured."""
        out, groups = [], []
        pos = 0
        for m in re.finditer(UUID_RX, text):
            out.append(re.escape(text[pos:m.start()]))
            cid = m.group(0)
            if cid in self.w.idmap:
                out.append(re.escape(self.w.idmap[cid]))
            else:
                out.append("(" + UUID_RX + ")")
                groups.append(cid)
            pos = m.end()
        out.append(re.escape(text[pos:]))
        return "".join(out), groups

    def text_match(self, exp, got, path, full=True):
        exp = exp.replace(CAPTURED_BASE, self.w.fake.base)
        rx, groups = self.pattern(exp)
        rx = rx.replace(re.escape("<csrf token>"), '[^"]*')
        m = (re.fullmatch if full else re.search)(rx, got, re.DOTALL)
        if not m:
            self.err(path, "expected {!r}, got {!r}".format(exp[:300], got[:300]))
            return False
        for cid, val in zip(groups, m.groups()):
            self.learn(cid, val, path)
        return True

    def messages(self, exp, got, path):
        if not isinstance(got, list) or len(got) != len(exp):
            self.err(path, "expected messages {!r}, got {!r}".format(exp, got))
            return
        for e, g in zip(exp, got):
            if not isinstance(g, str):
                self.err(path, "message is not a string: {!r}".format(g))
            elif e.startswith("Fields with errors: "):
                fe = set(re.findall(r"`([^`]*)`", e))
                fg = set(re.findall(r"`([^`]*)`", g)) if g.startswith("Fields with errors: ") \
                    else None
                if fe != fg:
                    self.err(path, "expected {!r}, got {!r}".format(e, g))
            else:
                self.text_match(e, g, path)


def title_of(html):
    m = re.search(r"<title>(.*?)</title>", html, re.DOTALL)
    return m.group(1) if m else None


def check_case(world, case, status, hdrs, body, cmp):
    resp = case["response"]
    if status != resp["status"]:
        cmp.err("status", "expected {}, got {} ({!r})".format(resp["status"], status, body[:200]))
        return
    exp_ct = (resp.get("headers") or {}).get("content-type")
    got_ct = hdrs.get("content-type")
    if exp_ct and exp_ct != got_ct:
        cmp.err("content-type", "expected {!r}, got {!r}".format(exp_ct, got_ct))
        return
    extra = dict(resp.get("extra_headers") or {})
    for k, v in (resp.get("headers") or {}).items():
        if k in ("location", "content-disposition"):
            extra[k] = v
    for k, v in extra.items():
        got = hdrs.get(k)
        if got is None:
            cmp.err(k, "header missing (expected {!r})".format(v))
            continue
        if k == "content-disposition":
            rx = re.escape(v)
            rx = re.sub(r"\d{4}\\-\d\d\\-\d\dT\d\d:\d\d:\d\d", r"\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d", rx)
            if not re.fullmatch(rx, got):
                cmp.err(k, "expected {!r}, got {!r}".format(v, got))
        else:
            cmp.text_match(v, got, k)
    text = body.decode("utf-8", "replace")
    if "body_excerpt" in resp:
        exc = resp["body_excerpt"]
        if exc == "ok":
            if text != "ok":
                cmp.err("body", "expected 'ok', got {!r}".format(text[:200]))
            return
        if re.fullmatch(r"\d{10,}", exc):
            # A time stamp (chat messages answer their time in ms): its kind.
            if not re.fullmatch(r"\d{10,}", text):
                cmp.err("body", "expected a time stamp, got {!r}".format(text[:200]))
            return
        for line in exc.split("\n"):
            if line.startswith("<title>"):
                t = title_of(line)
                if title_of(text) != t:
                    cmp.err("title", "expected {!r}, got {!r}".format(t, title_of(text)))
            else:
                cmp.text_match(line, text, "html", full=False)
        return
    exp = resp.get("body")
    if exp_ct and exp_ct.startswith("application/json"):
        try:
            got = json.loads(text)
        except ValueError:
            cmp.err("body", "not JSON: {!r}".format(text[:200]))
            return
        if isinstance(exp, str) and exp.startswith("<the swagger file"):
            with open(os.path.join(srcdir(), "docs", "pcf-api", "swagger_v1.0.0.json")) as fh:
                if json.load(fh) != got:
                    cmp.err("body", "swagger file differs")
            return
        if isinstance(exp, dict) and ("errors" in exp or "error" in exp) and len(exp) == 1:
            key = next(iter(exp))
            if not isinstance(got, dict) or set(got) != {key}:
                cmp.err("body", "expected {!r}, got {!r}".format(exp, got))
                return
            if isinstance(exp[key], str):
                # One PCF route answers a bare string instead of a list.
                if exp[key] != got[key]:
                    cmp.err(key, "expected {!r}, got {!r}".format(exp[key], got[key]))
                return
            cmp.messages(exp[key], got[key], key)
            return
        excerpt = isinstance(exp, dict) and str(exp.get("_note", "")).startswith("excerpt")
        cmp.value(exp, got, "", excerpt)
        return
    if exp_ct and exp_ct.startswith("text/html"):
        if resp.get("body_truncated") or (isinstance(exp, str) and "<title>" in exp):
            t = title_of(exp)
            if t is not None and title_of(text) != t:
                cmp.err("title", "expected {!r}, got {!r}".format(t, title_of(text)))
            if not resp.get("body_truncated") and "<title>" not in exp and exp != text:
                cmp.err("body", "expected {!r}, got {!r}".format(exp, text[:300]))
        elif exp != text:
            cmp.err("body", "expected {!r}, got {!r}".format(exp, text[:300]))
        return
    if isinstance(exp, str):
        exp_t = re.sub(UUID_RX, lambda m: world.idmap.get(m.group(0), m.group(0)),
                       exp.replace(CAPTURED_BASE, world.fake.base))
        if sorted(exp_t.splitlines()) != sorted(text.splitlines()) or \
                exp_t.endswith("\n") != text.endswith("\n"):
            cmp.err("body", "expected {!r}, got {!r}".format(exp_t[:400], text[:400]))


# -------------------------------------------------------------------- main

def group_of(case):
    if case["pcf_commit"] == "fb68b26":
        return "fb"
    if case["name"].startswith("server_error_"):
        return "bug"
    return "head"


def learnable_before(cases, idx, cid):
    for c in cases[:idx]:
        r = c["response"]
        blob = json.dumps([r.get("body"), r.get("headers"), r.get("extra_headers")])
        if cid in blob:
            return True
    return False


class Runner:
    def __init__(self):
        self.fakes = {}
        self.cases_by_file = {}
        self.passed = 0
        self.failed = []
        self.total = 0

    def fake(self, group):
        if group not in self.fakes:
            args = {"head": ["--seed", "empty"], "fb": ["--seed", "empty", "--flavor", "fb68b26"],
                    "bug": ["--seed", "empty", "--bugs"]}[group]
            self.fakes[group] = Fake(*args)
        return self.fakes[group]

    def fixture_cases(self, key):
        return self.cases_by_file[key]

    def run_group(self, key, group, cases, spec):
        before = self.total
        try:
            self._run_group(key, group, cases, spec)
        except (ReplayError, FakeError, OSError, AssertionError, KeyError) as e:
            self.total = before + len(cases)
            self.failed.append(("{} [{}]".format(key, group), ["world setup: {!r}".format(e)]))

    def _run_group(self, key, group, cases, spec):
        fake = self.fake(group)
        world = World(fake, group, self.fixture_cases)
        if spec.get("ascending_ids"):
            fake.control("config", {"ascending_ids": True})
        for item in spec.get(group, []):
            if isinstance(item, tuple):
                world.ensure(item[0], role=item[1])
            else:
                world.ensure(item)
        for idx, case in enumerate(cases):
            blob = json.dumps(case["request"])
            for cid in set(re.findall(UUID_RX, blob)) | ({ACCESS} if ACCESS in blob else set()):
                if cid in CAT and cid not in world.idmap and CAT[cid][0] not in LOOKUP_KINDS \
                        and not learnable_before(cases, idx, cid):
                    world.ensure(cid)
        sess = None
        if cases and any("Cookie" in (c["request"].get("headers") or {}) for c in cases):
            sess = world.new_session() if spec.get("anonymous") else world.login()
        tr = Translator(world)
        hooks = spec.get("hooks", {})
        done_hooks = set()
        for case in cases:
            hk = "{}:{}".format(group, case["name"])
            if hk in hooks and hk not in done_hooks:
                done_hooks.add(hk)
                for item in hooks[hk]:
                    world.ensure(item)
            self.total += 1
            label = "{} [{}] {}".format(key, group, case["name"])
            try:
                method, path, data, headers = build_request(tr, case, sess,
                                                            self.fixture_cases(key))
                status, hdrs, body = fake.request(method, path, data, headers)
                cmp = Comparer(world)
                check_case(world, case, status, hdrs, body, cmp)
                if not cmp.errors and case["name"] == "server_error_then_server_deadlocks":
                    self.prove_hang(fake, world, cmp)
            except (ReplayError, FakeError, OSError, AssertionError) as e:
                self.failed.append((label, ["exception: {!r}".format(e)]))
                continue
            if cmp.errors:
                self.failed.append((label, cmp.errors))
            else:
                self.passed += 1
                if VERBOSE:
                    print("ok   " + label)

    def prove_hang(self, fake, world, cmp):
        """After the HEAD issues/create 500 every DB-touching request must
        hang until the fake is reset."""
        tok = world.m(TOK)
        try:
            st, _, _ = fake.request("POST", "/api/v1/projects", json.dumps(
                {"access_token": tok}).encode(), {"Content-Type": "application/json"},
                timeout=0.5)
            cmp.err("hang", "a request after the 500 was answered ({})".format(st))
            return
        except socket.timeout:
            pass
        stats = fake.control("stats")
        if not stats["paths"].get("/api/v1/projects"):
            cmp.err("hang", "the hanging request never reached the fake")
        fake.control("reset", {"seed": "empty"})
        st, body = fake.api("/create_token", {"email": MAIN_EMAIL, "password": MAIN_PASSWORD})
        if st != 200:
            cmp.err("hang", "fake not usable after reset: {} {}".format(st, body))

    def main(self):
        base = fixtures_dir()
        files = sorted(f for f in os.listdir(base) if f.endswith(".json"))
        files += sorted("ui/" + f for f in os.listdir(os.path.join(base, "ui"))
                        if f.endswith(".json"))
        for f in files:
            with open(os.path.join(base, f), encoding="utf-8") as fh:
                self.cases_by_file[f[:-5]] = json.load(fh)
        started = time.monotonic()
        try:
            for f in files:
                key = f[:-5]
                spec = SPECS.get(key)
                cases = self.cases_by_file[key]
                if spec is None:
                    self.total += len(cases)
                    self.failed.append((key, ["no replay spec for this fixture file"]))
                    continue
                for group in ("head", "fb", "bug"):
                    gcases = [c for c in cases if group_of(c) == group]
                    if not gcases:
                        continue
                    if group == "bug":
                        for c in gcases:
                            self.run_group(key, group, [c], spec)
                    else:
                        self.run_group(key, group, gcases, spec)
        finally:
            errs = {g: f.stderr_text() for g, f in self.fakes.items()}
            for f in self.fakes.values():
                f.stop()
        for label, errors in self.failed:
            print("FAIL " + label)
            for e in errors[:12]:
                print("     " + e)
        for g, e in errs.items():
            if "Traceback" in e:
                print("fake ({}) stderr:\n{}".format(g, e[-3000:]))
                self.failed.append(("fake " + g, ["the fake raised an exception"]))
        print("replay: {} files, {} cases, {} passed, {} failed, {:.1f}s".format(
            len(files), self.total, self.passed, self.total - self.passed,
            time.monotonic() - started))
        return 0 if not self.failed and self.passed == self.total else 1


if __name__ == "__main__":
    sys.exit(Runner().main())
