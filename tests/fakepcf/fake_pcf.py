#!/usr/bin/env python3
"""An in-memory stand-in for a Pentest Collaboration Framework (PCF) server.

Reproduces API v1 and the web-UI routes pcf-mcp uses, as documented in
docs/pcf-api/ (API.md, UI-ENDPOINTS.md) and proven against the captured
fixtures by tests/contract/replay_fixtures.py.  Python 3 standard library
only.  See tests/fakepcf/README.md for flags, the control API and the list
of reproduced / not reproduced behaviours.
"""

import argparse
import base64
import binascii
import datetime
import hashlib
import http.cookies
import ipaddress
import json
import os
import random
import re
import select
import signal
import socket
import ssl
import struct
import sys
import threading
import time
import urllib.parse
import uuid
import xml.etree.ElementTree as ET
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import fake_state  # noqa: E402  beside this file: control endpoints over the state
import importers  # noqa: E402  beside this file: the scanner importers
import workspace  # noqa: E402  (the project workspace: tasks, files, chats, ...)

MAIN_EMAIL = "pcf-tester@example.com"
MAIN_PASSWORD = "pcf-tester-pass"
SECOND_EMAIL = "pcf-second@example.com"
SECOND_PASSWORD = "pcf-second-pass"

UUID_RE = r"[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}"
THREATS = ["high", "medium", "low", "info", "check", "checked", "noscope",
           "recheck", "firewall", "offline", "inwork", "scope", "critical", "slow"]
DEFAULT_POC_MAX = 50 * 1024 * 1024
MAX_BODY = 160 * 1024 * 1024          # base64 of the largest PoC plus form overhead
MAX_SESSIONS = 10000
MAX_LOG_ROWS = 100000
SEEN_MAX = 1000                        # requests /__fake__/requests keeps
SEEN_BODY_MAX = 4096                   # bytes of each body it keeps
SCRIPT_DIR = os.path.dirname(os.path.abspath(__file__))


class Missing:
    """Marker for 'field not present' (distinct from JSON null)."""

    def __repr__(self):
        return "MISSING"


MISSING = Missing()


# Ids are random like PCF's uuid4; a test whose outcome depends on the
# order of ids (PCF's join_issues keeps the smallest) can ask for ascending
# ones through /__fake__/config {"ascending_ids": true} (reset turns it off).
_ascending = {"on": False, "next": 0}
_ascending_lock = threading.Lock()


def gen_id():
    with _ascending_lock:
        if _ascending["on"]:
            _ascending["next"] += 1
            return str(uuid.UUID(int=(0x4 << 76) | (0x8 << 60) | _ascending["next"]))
    return str(uuid.uuid4())


def is_uuid(s):
    return isinstance(s, str) and re.fullmatch(UUID_RE, s) is not None


def criticality(cvss):
    cvss = float(cvss or 0)
    if cvss == 0:
        return "info"
    if cvss <= 3.9:
        return "low"
    if cvss <= 6.9:
        return "medium"
    if cvss <= 8.9:
        return "high"
    return "critical"


def esc(s):
    """HTML escaping with the entities Jinja/markupsafe emits."""
    s = "" if s is None else str(s)
    return (s.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace('"', "&#34;").replace("'", "&#39;"))


def flask_json(obj):
    """Flask's jsonify: sorted keys, indent 2, ASCII-only, trailing newline."""
    return (json.dumps(obj, indent=2, separators=(",", ": "), sort_keys=True,
                       ensure_ascii=True) + "\n").encode()


def sql_like(pattern, value):
    """SQLite LIKE: % and _ wildcards, ASCII case-insensitive, no escapes."""
    rx = "".join(".*" if c == "%" else "." if c == "_" else re.escape(c) for c in pattern)
    return re.fullmatch(rx, str(value), re.IGNORECASE | re.DOTALL) is not None


def ip_or_none(s):
    try:
        return ipaddress.ip_address(s)
    except ValueError:
        return None


# --------------------------------------------------------------------- HTML

PAGE_HEAD = ('<!DOCTYPE html>\n<html lang="en">\n<head>\n    <meta charset="UTF-8">\n'
             '    <title>{title}</title>\n'
             '    <link href="/static/images/favicon.ico" rel="shortcut icon" type="image/x-icon">\n'
             '\n\n    \n        \n            <link rel="stylesheet" type="text/css" href="/static/css/all.css">\n'
             '        \n    \n\n    \n        \n'
             '            <script type="text/javascript" src="/static/js/all.js"></script>\n'
             '        \n    \n\n    \n    ')

WERKZEUG_400 = ('<!doctype html>\n<html lang=en>\n<title>400 Bad Request</title>\n'
                '<h1>Bad Request</h1>\n<p>The browser (or proxy) sent a request that this '
                'server could not understand.</p>\n')


def page(title, body):
    return (PAGE_HEAD.format(title=esc(title)) + "\n</head>\n<body>\n" + body
            + "\n</body>\n</html>\n")


def error_block(what, messages):
    items = "".join(" <li>{}</li>".format(esc(m)) for m in messages)
    return ('<div class="ui error message visible"> <i class="close icon"></i> '
            '<div class="header"> There were some errors with {} </div> '
            '<ul class="list">{} </ul></div>').format(what, items)


SUCCESS_UPLOAD = ('<div class="ui success message visible"> <i class="close icon"></i> '
                  '<div class="header"> Successfully uploaded! </div></div>')


def csrf_input(token, spaced=True):
    return '<input type="hidden" name="csrf_token" value="{}"{}/>'.format(
        esc(token), " " if spaced else "")


# ----------------------------------------------------------------- responses

class Response:
    def __init__(self, status, body=b"", ctype="text/html; charset=utf-8", headers=None):
        self.status = status
        self.body = body if isinstance(body, bytes) else body.encode("utf-8")
        self.ctype = ctype
        self.headers = list(headers or [])


def json_resp(obj, status=200):
    return Response(status, flask_json(obj), "application/json")


def fail(msgs, status=400):
    if not isinstance(msgs, list):
        msgs = [msgs]
    return json_resp({"errors": msgs}, status)


def html_resp(title, body, status=200):
    return Response(status, page(title, body))


def redirect(location):
    """PCF redirects: 302 whose body is the JSON literal null."""
    return Response(302, b"null\n", "application/json", [("Location", location)])


def error_page(status):
    words = {400: "Bad request", 404: "Page not found", 405: "Method not allowed",
             500: "Internal server error"}
    return html_resp("PCF", '<div class="ui container"><h1>{}</h1><p>{}</p></div>'.format(
        status, words.get(status, "Error")), status)


def csrf_error():
    return html_resp("PCF", '<div class="ui container"><h1>CSRF error</h1>'
                            '<p>The CSRF token is missing or invalid.</p></div>', 400)


class Wedge(Exception):
    """Raised by a handler that reproduces the HEAD bug which leaves PCF's
    sqlite lock held: the request answers 500 and the server wedges."""


class ServerError(Exception):
    """An unhandled exception in the real PCF: answered with its 500 page."""


# --------------------------------------------------------------------- clock

class Clock:
    """Unix-second clock that tests can freeze or move (token expiry,
    auto-archive) through the control API."""

    def __init__(self):
        self.lock = threading.Lock()
        self.offset = 0
        self.frozen = None

    def now(self):
        with self.lock:
            if self.frozen is not None:
                return self.frozen
            return int(time.time()) + self.offset

    def control(self, freeze=None, advance=None, set_to=None):
        with self.lock:
            cur = self.frozen if self.frozen is not None else int(time.time()) + self.offset
            if set_to is not None:
                cur = int(set_to)
            if advance:
                cur += int(advance)
            if freeze is True or (freeze is None and self.frozen is not None):
                self.frozen = cur
            else:
                self.frozen = None
            self.offset = cur - int(time.time())
            return cur, self.frozen is not None


# --------------------------------------------------------------- validation

TRUTHY = {"t", "T", "true", "True", "TRUE", "on", "On", "ON", "y", "Y", "yes", "Yes",
          "YES", "1", 1, True}
FALSY = {"f", "F", "false", "False", "FALSE", "off", "Off", "OFF", "n", "N", "no", "No",
         "NO", "0", 0, 0.0, False}
EMAIL_USER_RE = re.compile(
    r"(^[-!#$%&'*+/=?^`{}|~\w]+(\.[-!#$%&'*+/=?^`{}|~\w]+)*\Z"
    r'|^"([\001-\010\013\014\016-\037!#-\[\]-\177]|\\[\001-\011\013\014\016-\177])*"\Z)',
    re.IGNORECASE | re.UNICODE)
EMAIL_DOMAIN_RE = re.compile(
    r"(?:[A-Z0-9](?:[A-Z0-9-]{0,61}[A-Z0-9])?\.)+(?:[A-Z]{2,6}|[A-Z0-9-]{2,}(?<!-))\Z",
    re.IGNORECASE | re.UNICODE)


def valid_email(s):
    if not isinstance(s, str) or "@" not in s:
        return False
    user, domain = s.rsplit("@", 1)
    if not EMAIL_USER_RE.match(user):
        return False
    return domain == "localhost" or EMAIL_DOMAIN_RE.match(domain) is not None


class Field:
    """One webargs/marshmallow field: kind, required, default ('missing='),
    extra validator.  allow_none follows marshmallow: only when the default
    is None."""

    def __init__(self, kind, required=False, default=MISSING, check=None, choices=None):
        self.kind = kind
        self.required = required
        self.default = default
        self.check = check
        self.choices = choices

    def load(self, v):
        """Returns (ok, value)."""
        if v is None:
            return (self.default is None and not self.required), None
        k = self.kind
        try:
            if k == "str":
                ok = isinstance(v, str)
            elif k == "uuid":
                if not isinstance(v, str):
                    return False, None
                v = str(uuid.UUID(v))
                ok = True
            elif k == "int":
                if isinstance(v, bool):
                    return False, None
                v = int(v)
                ok = True
            elif k == "float":
                if isinstance(v, bool):
                    return False, None
                v = float(v)
                ok = v == v and v not in (float("inf"), float("-inf"))
            elif k == "bool":
                try:
                    if v in TRUTHY:
                        v, ok = True, True
                    elif v in FALSY:
                        v, ok = False, True
                    else:
                        ok = False
                except TypeError:
                    ok = False
            elif k == "email":
                ok = valid_email(v)
            elif k == "ip":
                ok = isinstance(v, str) and ip_or_none(v) is not None
                if ok:
                    v = str(ipaddress.ip_address(v))
            elif k == "list_uuid":
                ok = isinstance(v, list) and all(isinstance(x, str) for x in v)
                if ok:
                    v = [str(uuid.UUID(x)) for x in v]
            elif k == "list_threats":
                ok = isinstance(v, list) and all(isinstance(x, str) and x in THREATS for x in v)
            elif k == "services":
                ok = (isinstance(v, dict)
                      and all(isinstance(val, list) and all(isinstance(x, str) for x in val)
                              for val in v.values()))
            elif k == "fields":
                ok = isinstance(v, dict) and all(
                    re.fullmatch(r"[a-zA-Z0-9]+", name) and isinstance(spec, dict)
                    and all(key in ("type", "value") and isinstance(val, str)
                            for key, val in spec.items())
                    for name, spec in v.items())
            elif k == "str_dict":
                ok = isinstance(v, dict) and all(isinstance(x, str) for x in v.values())
            else:
                raise AssertionError(k)
        except (ValueError, TypeError, AttributeError):
            return False, None
        if ok and self.choices is not None and v not in self.choices:
            ok = False
        if ok and self.check is not None and not self.check(v):
            ok = False
        return ok, v


def load_args(schema, body):
    """Applies a webargs schema to a JSON body.  Returns (args, bad_fields).
    Unknown fields are errors (webargs 8 leaves marshmallow's RAISE)."""
    if body is MISSING:
        body = {}
    if not isinstance(body, dict):
        return None, ["_schema"]
    args, bad = {}, []
    for name, f in schema.items():
        if name in body:
            ok, val = f.load(body[name])
            if not ok:
                bad.append(name)
            else:
                args[name] = val
        elif f.required:
            bad.append(name)
        elif f.default is not MISSING:
            args[name] = (f.default.copy() if isinstance(f.default, (dict, list))
                          else f.default)
    for name in body:
        if name not in schema:
            bad.append(name)
    return args, bad


# --------------------------------------------------------------------- state

class State:
    """The whole PCF database.  Every access happens under Server.db_lock.
    Dict insertion order is the 'rowid' order PCF's queries return."""

    def __init__(self, cfg):
        self.cfg = cfg
        self.clear()

    def clear(self):
        self.users = {}
        self.tokens = {}
        self.teams = {}
        self.logs = []
        self.projects = {}
        self.hosts = {}
        self.ports = {}
        self.hostnames = {}
        self.networks = {}
        self.issues = {}
        self.pocs = {}
        self.files = {}
        self.creds = {}
        self.notes = {}
        self.rules = {}
        self.templates = {}
        self.sessions = {}
        self.ws = None          # workspace.py: tasks, chats, paths, issue templates

    # ---- users and tokens
    def add_user(self, email, password, fname="", lname="", company="", uid=None):
        uid = uid or gen_id()
        self.users[uid] = {"id": uid, "email": email, "password": password, "fname": fname,
                           "lname": lname, "company": company}
        return uid

    def user_by_email(self, email):
        for u in self.users.values():
            if u["email"] == email:
                return u
        return None

    def add_token(self, user_id, name="", duration=86400, create_date=None, token=None):
        token = token or gen_id()
        self.tokens[token] = {"id": token, "user_id": user_id, "name": name,
                              "create_date": self.cfg.clock.now() if create_date is None
                              else int(create_date),
                              "duration": int(duration)}
        return token

    # ---- teams and logs
    def add_team(self, name, description, admin_id, tid=None):
        tid = tid or gen_id()
        admin = self.users[admin_id]
        self.teams[tid] = {"id": tid, "name": name, "description": description,
                           "admin_id": admin_id, "admin_email": admin["email"],
                           "users": {admin_id: "admin"}}
        self.log('Team "{}" was created!'.format(name), admin_id, [tid])
        return tid

    def log(self, description, user_id="", teams=(), project=""):
        self.logs.append({"id": gen_id(), "teams": list(teams), "description": description,
                          "date": self.cfg.clock.now(), "user_id": user_id,
                          "project": project})
        if len(self.logs) > MAX_LOG_ROWS:
            del self.logs[0]

    def user_teams(self, user_id):
        return [t for t in self.teams.values()
                if t["admin_id"] == user_id or user_id in t["users"]]

    @staticmethod
    def team_is_admin(team, user):
        return (team["admin_id"] == user["id"] or team["users"].get(user["id"]) == "admin"
                or team["admin_email"] == user["email"])

    # ---- projects
    def add_project(self, name, admin_id, description="", ptype="pentest", scope="",
                    start_date=0, end_date=0, auto_archive=False, testers=(), teams=(),
                    folder="", report_title="", pid=None):
        pid = pid or gen_id()
        testers = list(testers)
        if admin_id not in testers:
            testers.append(admin_id)
        self.projects[pid] = {"id": pid, "name": name, "description": description,
                              "type": ptype, "scope": scope, "start_date": int(start_date),
                              "end_date": int(end_date), "auto_archive": int(bool(auto_archive)),
                              "status": 1, "testers": testers, "teams": list(teams),
                              "admin_id": admin_id, "folder": folder,
                              "report_title": report_title}
        self.log("Project {} was created!".format(name), admin_id, list(teams), "")
        return pid

    def user_projects(self, user_id):
        out = []
        for team in self.user_teams(user_id):
            for p in self.projects.values():
                if team["id"] in p["teams"] and p not in out:
                    out.append(p)
        for p in self.projects.values():
            if (user_id in p["testers"] or p["admin_id"] == user_id) and p not in out:
                out.append(p)
        return out

    def project_access(self, pid, user_id):
        for p in self.user_projects(user_id):
            if p["id"] == pid:
                return p
        return None

    def archived_check(self, project):
        """PCF's check_project_archived: True when writes must be refused.
        A past end_date with auto_archive flips the stored status."""
        if project["status"] == 0:
            return True
        if project["auto_archive"] and project["end_date"] < self.cfg.clock.now():
            project["status"] = 0
            return True
        return False

    # ---- hosts, ports, hostnames
    def add_host(self, pid, ip, user_id, comment="", threats=(), os_name="", hid=None):
        hid = hid or gen_id()
        self.hosts[hid] = {"id": hid, "project_id": pid, "ip": ip, "comment": comment,
                           "threats": list(threats), "os": os_name, "user_id": user_id}
        # PCF keeps a hidden port 0 per host for host-wide notes/issues.
        self.add_port(hid, 0, True, "info", "Information about whole host", user_id)
        return hid

    def project_hosts(self, pid):
        return sorted((h for h in self.hosts.values() if h["project_id"] == pid),
                      key=lambda h: h["ip"])

    def host_by_ip(self, pid, ip):
        for h in self.hosts.values():
            if h["project_id"] == pid and h["ip"] == ip:
                return h
        return None

    def add_port(self, host_id, port, is_tcp, service, description, user_id, port_id=None):
        for p in self.ports.values():
            if p["host_id"] == host_id and p["port"] == port and p["is_tcp"] == bool(is_tcp):
                return None
        port_id = port_id or gen_id()
        host = self.hosts[host_id]
        self.ports[port_id] = {"id": port_id, "project_id": host["project_id"],
                               "host_id": host_id, "port": int(port), "is_tcp": bool(is_tcp),
                               "service": service, "description": description,
                               "user_id": user_id}
        return port_id

    def host_ports(self, host_id, full=False):
        return sorted((p for p in self.ports.values()
                       if p["host_id"] == host_id and (full or p["port"] != 0)),
                      key=lambda p: p["port"])

    def project_port(self, pid, port_id):
        p = self.ports.get(port_id)
        return p if p is not None and p["project_id"] == pid else None

    def add_hostname(self, host_id, hostname, description, user_id, hn_id=None):
        hn_id = hn_id or gen_id()
        self.hostnames[hn_id] = {"id": hn_id, "host_id": host_id, "hostname": hostname,
                                 "description": description, "user_id": user_id}
        return hn_id

    def host_hostnames(self, host_id):
        return [h for h in self.hostnames.values() if h["host_id"] == host_id]

    def find_hostname(self, host_id, name):
        for h in self.hostnames.values():
            if h["host_id"] == host_id and h["hostname"] == name:
                return h
        return None

    def _drop_service_refs(self, port_id=None, hostname_id=None):
        """Forget a deleted port/hostname everywhere PCF stores service maps."""
        def scrub(services):
            if port_id is not None:
                services.pop(port_id, None)
            if hostname_id is not None:
                for k in list(services):
                    services[k] = [x for x in services[k] if x != hostname_id]
        for i in self.issues.values():
            scrub(i["services"])
        for c in self.creds.values():
            scrub(c["services"])
        for n in self.networks.values():
            scrub(n["access_from"])
        for poc in self.pocs.values():
            if port_id is not None and poc["port_id"] == port_id:
                poc["port_id"], poc["hostname_id"] = "0", "0"
            if hostname_id is not None and poc["hostname_id"] == hostname_id:
                poc["hostname_id"] = "0"

    def delete_port(self, port_id):
        if self.ports.pop(port_id, None) is not None:
            self._drop_service_refs(port_id=port_id)

    def delete_hostname(self, hn_id):
        if self.hostnames.pop(hn_id, None) is not None:
            self._drop_service_refs(hostname_id=hn_id)

    def delete_host(self, host_id):
        for p in self.host_ports(host_id, full=True):
            self.delete_port(p["id"])
        for hn in self.host_hostnames(host_id):
            self.delete_hostname(hn["id"])
        self.hosts.pop(host_id, None)

    # ---- networks
    def network_hosts(self, net):
        """Project hosts whose IP lies inside the network.  With --bugs a host
        whose 'ip' is not an address breaks the matching like at HEAD."""
        try:
            net_obj = ipaddress.ip_network("{}/{}".format(net["ip"], net["mask"]), strict=False)
        except ValueError:
            return []
        out = []
        for h in self.project_hosts(net["project_id"]):
            addr = ip_or_none(h["ip"])
            if addr is None:
                if self.cfg.bugs:
                    raise ServerError("non-IP host in network matching")
                continue
            if addr.version == net_obj.version and addr in net_obj:
                out.append(h)
        return out

    # ---- issues, PoCs, files
    def new_issue(self, pid, user_id, **kw):
        iid = kw.pop("iid", None) or gen_id()
        issue = {"id": iid, "project_id": pid, "user_id": user_id, "name": "",
                 "description": "", "url_path": "", "cvss": 0.0, "cve": "", "cwe": 0,
                 "status": "", "type": self.cfg.default_issue_type(), "fix": "", "param": "",
                 "technical": "", "risks": "", "references": "", "intruder": "",
                 "services": {}, "fields": {}, "cvss_vector": "", "cvss_graph": "",
                 "impact": "", "exploitability": "", "risk": ""}
        issue.update(kw)
        issue["cvss"] = float(issue["cvss"])
        issue["cwe"] = int(issue["cwe"])
        self.issues[iid] = issue
        return iid

    def project_issues(self, pid):
        return [i for i in self.issues.values() if i["project_id"] == pid]

    def delete_issue(self, iid):
        issue = self.issues.pop(iid, None)
        if issue is None:
            return
        for f in issue["fields"].values():
            if f.get("type") == "file":
                self.files.pop(f.get("value"), None)
        for poc_id in [p["id"] for p in self.pocs.values() if p["issue_id"] == iid]:
            del self.pocs[poc_id]

    def issue_pocs(self, iid):
        return [p for p in self.pocs.values() if p["issue_id"] == iid]

    def add_poc(self, iid, port_id, hostname_id, description, ptype, content, filename=None,
                user_id="", poc_id=None):
        poc_id = poc_id or gen_id()
        priority = 0 if self.issue_pocs(iid) else 1
        if filename is None:
            filename = poc_id + (".png" if ptype == "image" else ".txt")
        self.pocs[poc_id] = {"id": poc_id, "issue_id": iid, "port_id": port_id,
                             "hostname_id": hostname_id, "description": description,
                             "type": ptype, "filename": filename, "content": content,
                             "priority": priority, "user_id": user_id}
        return poc_id

    def host_issues(self, host_id):
        ports = {p["id"] for p in self.host_ports(host_id, full=True)}
        return [i for i in self.issues.values() if ports & set(i["services"])]

    def port_issues(self, port_id):
        return [i for i in self.issues.values() if port_id in i["services"]]

    def pair_in_services(self, services, port_id, hostname_id):
        return port_id in services and hostname_id in services[port_id]


# ---------------------------------------------------------------------- seeds

def tiny_png(width=16, height=16, rgb=(200, 30, 30)):
    """A valid RGB PNG built with zlib (no imaging library needed)."""
    import zlib

    def chunk(kind, data):
        c = struct.pack(">I", len(data)) + kind + data
        return c + struct.pack(">I", zlib.crc32(kind + data) & 0xffffffff)
    row = b"\x00" + bytes(rgb) * width
    raw = row * height
    return (b"\x89PNG\r\n\x1a\n"
            + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


SIMPLE_TXT_TEMPLATE = (
    "{{ project.name }}: hosts and findings\n"
    "{% for ip in hosts %}{{ ip }}{% for port_id in hosts[ip].ports %} {{ ports[port_id].port }}"
    "/{{ 'tcp' if ports[port_id].is_tcp else 'udp' }}{% endfor %}\n{% endfor %}"
    "\nFindings:\n{% for issue_id, issue in issues.items() %}"
    "[{{ issue.criticality | upper }}] {{ issue.name }} (CVSS {{ issue.cvss }})\n{% endfor %}")

IP_PORT_CSV_TEMPLATE = (
    "ip;port;service\n{% for host_ip in hosts %}{% for port_id in hosts[host_ip][\"ports\"] %}"
    "{{host_ip}};{{ports[port_id][\"port\"]}};{{ports[port_id][\"service\"]}}\n"
    "{% endfor %}{% endfor %}")


HOST_LIST_TEMPLATE = (
    "{% for ip, host in hosts.items() %}{{ ip }}{% if host.hostnames %} "
    "({% for hn in host.hostnames %}{{ hostnames[hn].hostname }}{% if not loop.last %}, "
    "{% endif %}{% endfor %}){% endif %}\n{% endfor %}")


class Seeder:
    """Builds the seeded database.  Ids come from a fixed-seed RNG so that the
    demo data (and every id in it) is identical on every start."""

    def __init__(self, state, name):
        self.st = state
        self.rng = random.Random("fake-pcf-seed-" + name)

    def rid(self):
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def users(self, demo=False):
        st = self.st
        if demo:
            main = st.add_user(MAIN_EMAIL, MAIN_PASSWORD, "Alice", "Tester", "Example Security",
                               uid=self.rid())
            second = st.add_user(SECOND_EMAIL, SECOND_PASSWORD, "Bob", "Second",
                                 "Example Security", uid=self.rid())
        else:
            main = st.add_user(MAIN_EMAIL, MAIN_PASSWORD, uid=self.rid())
            second = st.add_user(SECOND_EMAIL, SECOND_PASSWORD, uid=self.rid())
        return main, second

    def day0(self):
        now = self.st.cfg.clock.now()
        return now - now % 86400


def seed_empty(st):
    Seeder(st, "empty").users()


def seed_minimal(st):
    sd = Seeder(st, "minimal")
    main, second = sd.users()
    d0 = sd.day0()
    team = st.add_team("Minimal team", "Seeded by fake PCF", main, tid=sd.rid())
    st.teams[team]["users"][second] = "tester"
    pid = st.add_project("Minimal project", main, "Seeded project", scope="10.0.0.0/24",
                         start_date=d0 - 86400, end_date=d0 + 30 * 86400, teams=[team],
                         testers=[second], folder="minimal", report_title="Minimal report",
                         pid=sd.rid())
    hid = st.add_host(pid, "10.0.0.10", main, "web server", ["high"], "Debian 12",
                      hid=sd.rid())
    port = st.add_port(hid, 80, True, "http", "nginx 1.22.1", main, port_id=sd.rid())
    hn = st.add_hostname(hid, "www.minimal.example", "main site", main, hn_id=sd.rid())
    nid = sd.rid()
    st.networks[nid] = {"id": nid, "project_id": pid, "ip": "10.0.0.0", "mask": 24, "asn": 0,
                        "comment": "server LAN", "is_ipv6": False, "internal_ip": "",
                        "cmd": "", "access_from": {}, "name": "1"}
    iid = st.new_issue(pid, main, iid=sd.rid(), name="Directory listing enabled", cvss=5.3,
                       description="Directory listing is enabled on /backup/.",
                       url_path="/backup/", status="Confirmed", cwe=548,
                       fix="Disable autoindex in the nginx configuration.",
                       services={port: ["0", hn]})
    st.add_poc(iid, port, hn, "curl output", "text",
               b"GET /backup/ HTTP/1.1\nHost: www.minimal.example\n\nHTTP/1.1 200 OK\n"
               b"<title>Index of /backup/</title>\n", poc_id=sd.rid())
    tpl = sd.rid()
    st.templates[tpl] = {"id": tpl, "name": "IP/port list (csv)", "filename": "ip_port.csv",
                         "content": IP_PORT_CSV_TEMPLATE.encode(), "team_id": team,
                         "user_id": ""}


DEMO_HOSTS = [
    # project key, ip, description, os, threats, ports [(port, tcp, service, desc)], hostnames
    ("ext", "203.0.113.10", "Corporate website (DMZ)", "Ubuntu 22.04", ["high"],
     [(22, True, "ssh", "OpenSSH 8.9p1 Ubuntu 3ubuntu0.4"), (80, True, "http", "nginx 1.18.0"),
      (443, True, "https", "nginx 1.18.0")], ["www.acme.example", "acme.example"]),
    ("ext", "203.0.113.11", "Customer portal", "Ubuntu 20.04", ["critical"],
     [(443, True, "https", "Apache Tomcat 9.0.31"), (8080, True, "http-proxy", "Apache Tomcat")],
     ["portal.acme.example"]),
    ("ext", "203.0.113.12", "Mail gateway", "Debian 11", [],
     [(25, True, "smtp", "Postfix smtpd"), (587, True, "submission", "Postfix smtpd"),
      (993, True, "imaps", "Dovecot imapd")], ["mail.acme.example"]),
    ("ext", "203.0.113.13", "VPN concentrator", "FortiOS 7.0", ["high"],
     [(443, True, "https", "Fortinet SSL VPN"), (500, False, "isakmp", "IKEv2")],
     ["vpn.acme.example"]),
    ("ext", "203.0.113.14", "Public DNS", "CentOS 7", ["medium"],
     [(53, True, "domain", "ISC BIND 9.11.4"), (53, False, "domain", "ISC BIND 9.11.4")],
     ["ns1.acme.example"]),
    ("ext", "203.0.113.15", "Legacy FTP server", "Windows Server 2012 R2", ["high"],
     [(21, True, "ftp", "Microsoft ftpd"), (3389, True, "ms-wbt-server",
                                            "Microsoft Terminal Services")],
     ["ftp.acme.example"]),
    ("ext", "203.0.113.20", "Jenkins CI", "Ubuntu 18.04", ["critical"],
     [(8080, True, "http", "Jetty 9.4.z (Jenkins 2.289)")], ["ci.acme.example"]),
    ("ext", "203.0.113.21", "GitLab", "Ubuntu 22.04", [],
     [(22, True, "ssh", "OpenSSH 8.9p1"), (443, True, "https", "nginx")],
     ["git.acme.example"]),
    ("ext", "203.0.113.30", "Marketing WordPress", "Debian 10", ["medium"],
     [(80, True, "http", "Apache httpd 2.4.38"), (443, True, "https", "Apache httpd 2.4.38")],
     ["blog.acme.example"]),
    ("ext", "203.0.113.31", "Staging API", "Alpine Linux", ["check"],
     [(443, True, "https", "uvicorn"), (9200, True, "http", "Elasticsearch 7.10.2")],
     ["api-staging.acme.example"]),
    ("ext", "198.51.100.5", "Edge router", "Cisco IOS XE", ["firewall"],
     [(161, False, "snmp", "SNMPv2c public"), (22, True, "ssh", "Cisco SSH 1.25")], []),
    ("ext", "198.51.100.6", "Load balancer", "F5 BIG-IP", [],
     [(443, True, "https", "BIG-IP APM")], ["lb.acme.example"]),
    ("ext", "198.51.100.7", "Out-of-scope partner host", "", ["noscope"], [], []),
    ("ext", "198.51.100.8", "Monitoring", "Ubuntu 20.04", ["inwork"],
     [(3000, True, "http", "Grafana 8.3.0"), (9090, True, "http", "Prometheus")],
     ["grafana.acme.example"]),
    ("ext", "198.51.100.9", "Remote desktop gateway", "Windows Server 2019", ["checked"],
     [(443, True, "https", "Microsoft IIS httpd 10.0")], ["rdg.acme.example"]),
    ("ext", "198.51.100.10", "Offline backup appliance", "", ["offline"], [], []),
    ("ad", "10.20.0.10", "Domain controller DC01", "Windows Server 2019", ["critical"],
     [(53, True, "domain", "Simple DNS Plus"), (88, True, "kerberos-sec", "Microsoft Windows Kerberos"),
      (389, True, "ldap", "Microsoft Windows Active Directory LDAP"),
      (445, True, "microsoft-ds", "Windows Server 2019 microsoft-ds")],
     ["dc01.corp.acme.local"]),
    ("ad", "10.20.0.11", "Domain controller DC02", "Windows Server 2019", ["high"],
     [(88, True, "kerberos-sec", "Microsoft Windows Kerberos"),
      (389, True, "ldap", "Microsoft Windows Active Directory LDAP"),
      (445, True, "microsoft-ds", "Windows Server 2019 microsoft-ds")],
     ["dc02.corp.acme.local"]),
    ("ad", "10.20.1.20", "File server", "Windows Server 2016", ["high"],
     [(445, True, "microsoft-ds", "Windows Server 2016 microsoft-ds"),
      (3389, True, "ms-wbt-server", "Microsoft Terminal Services")], ["fs01.corp.acme.local"]),
    ("ad", "10.20.1.21", "SQL server", "Windows Server 2016", ["critical"],
     [(1433, True, "ms-sql-s", "Microsoft SQL Server 2016 13.00.4001"),
      (445, True, "microsoft-ds", "")], ["sql01.corp.acme.local"]),
    ("ad", "10.20.1.22", "Exchange", "Windows Server 2016", ["high"],
     [(443, True, "https", "Microsoft Exchange 2016 OWA"), (25, True, "smtp", "Exchange smtpd")],
     ["mail.corp.acme.local"]),
    ("ad", "10.20.2.50", "Workstation WS050", "Windows 10 21H2", ["medium"],
     [(445, True, "microsoft-ds", ""), (5985, True, "wsman", "Microsoft HTTPAPI 2.0")],
     ["ws050.corp.acme.local"]),
    ("ad", "10.20.2.51", "Workstation WS051", "Windows 10 21H2", [],
     [(445, True, "microsoft-ds", "")], ["ws051.corp.acme.local"]),
    ("ad", "10.20.3.5", "Printer", "HP JetDirect", ["low"],
     [(9100, True, "jetdirect", ""), (80, True, "http", "HP HTTP Server")], []),
    ("ad", "10.20.3.6", "IPMI interface", "Supermicro BMC", ["high"],
     [(623, False, "asf-rmcp", "IPMI-2.0"), (443, True, "https", "Supermicro BMC")], []),
    ("ad", "10.20.4.10", "Backup server", "Ubuntu 20.04", [],
     [(22, True, "ssh", "OpenSSH 8.2p1"), (10000, True, "http", "MiniServ 1.890 (Webmin)")],
     ["backup01.corp.acme.local"]),
    ("ad", "10.20.4.11", "Hypervisor", "VMware ESXi 6.7.0", ["critical"],
     [(443, True, "https", "VMware ESXi SOAP API 6.7.0"), (427, False, "svrloc", "")],
     ["esxi01.corp.acme.local"]),
    ("old", "192.0.2.40", "Globex web application", "Ubuntu 16.04", ["checked"],
     [(443, True, "https", "nginx 1.10.3")], ["app.globex.example"]),
    ("old", "192.0.2.41", "Globex API", "Ubuntu 16.04", [],
     [(443, True, "https", "gunicorn 19.7")], ["api.globex.example"]),
    ("old", "192.0.2.42", "Globex admin panel", "Ubuntu 16.04", ["medium"],
     [(8443, True, "https-alt", "Apache Tomcat 8.5")], []),
]

# (project key, host ip, port or 0 for the host itself, hostname or None, name, cvss, cve,
#  cwe, status, url_path, description, fix, technical, references, risks)
DEMO_ISSUES = [
    ("ext", "203.0.113.20", 8080, "ci.acme.example", "Jenkins script console without authentication",
     10.0, "", 306, "Confirmed", "/script",
     "The Jenkins script console is reachable without authentication and executes Groovy code "
     "as the Jenkins service account.",
     "Enable Jenkins security (matrix-based authorisation) and restrict /script to administrators.",
     "println 'id'.execute().text -> uid=115(jenkins)",
     "https://www.jenkins.io/doc/book/managing/script-console/", "Full compromise of the CI host and stored secrets."),
    ("ext", "203.0.113.11", 8080, "portal.acme.example", "Apache Tomcat AJP file read/inclusion (Ghostcat)",
     9.8, "CVE-2020-1938", 20, "Confirmed", "",
     "The AJP connector is exposed and vulnerable to Ghostcat, allowing reading of web application files.",
     "Upgrade Tomcat to 9.0.31 or later and disable the AJP connector if unused.",
     "ajpShooter.py http://portal.acme.example:8009 /WEB-INF/web.xml read",
     "https://nvd.nist.gov/vuln/detail/CVE-2020-1938", "Disclosure of configuration files and credentials."),
    ("ext", "203.0.113.13", 443, "vpn.acme.example", "FortiOS SSL-VPN heap overflow",
     9.8, "CVE-2022-42475", 122, "Need to recheck", "/remote/login",
     "The SSL-VPN portal runs a FortiOS version affected by a pre-authentication heap overflow.",
     "Upgrade FortiOS to 7.0.9 / 7.2.3 or later.", "Version banner: FortiOS 7.0.6",
     "https://www.fortiguard.com/psirt/FG-IR-22-398", "Remote code execution on the VPN gateway."),
    ("ad", "10.20.0.10", 445, "dc01.corp.acme.local", "Zerologon (Netlogon elevation of privilege)",
     10.0, "CVE-2020-1472", 330, "Confirmed", "",
     "The domain controller accepts Netlogon authentication with an all-zero client credential.",
     "Install the August 2020 security updates and enforce secure RPC (FullSecureChannelProtection=1).",
     "zerologon_tester.py DC01 10.20.0.10 -> Success! DC can be fully compromised",
     "https://msrc.microsoft.com/update-guide/vulnerability/CVE-2020-1472",
     "Domain takeover."),
    ("ad", "10.20.1.21", 1433, "sql01.corp.acme.local", "SQL Server sa account with weak password",
     9.1, "", 521, "Confirmed", "",
     "The sa login uses the password 'Password1'; xp_cmdshell can be enabled.",
     "Set a strong unique password for sa, disable it, and use Windows authentication.",
     "nxc mssql 10.20.1.21 -u sa -p Password1 --local-auth -> Pwn3d!",
     "https://learn.microsoft.com/sql/relational-databases/security/choose-an-authentication-mode",
     "Command execution as the SQL service account."),
    ("ad", "10.20.4.11", 443, "esxi01.corp.acme.local", "VMware ESXi OpenSLP heap overflow",
     8.8, "CVE-2021-21974", 787, "Need to check", "",
     "The hypervisor exposes OpenSLP (427/udp) and runs an ESXi build affected by CVE-2021-21974.",
     "Apply VMSA-2021-0002 patches and disable the SLP service.",
     "Build 6.7.0 15160138 reported by the SOAP API",
     "https://www.vmware.com/security/advisories/VMSA-2021-0002.html", "Ransomware deployment on all guests."),
    ("ext", "203.0.113.30", 443, "blog.acme.example", "Outdated WordPress plugin with SQL injection",
     8.1, "CVE-2022-0739", 89, "PoC available", "/wp-admin/admin-ajax.php",
     "The BookingPress plugin 1.0.10 is vulnerable to unauthenticated SQL injection via the "
     "'total_service' parameter.",
     "Update BookingPress to 1.0.11 or later.", "sqlmap -u ... --data 'action=bookingpress_front_get_category_services&total_service=1'",
     "https://wpscan.com/vulnerability/388cd42d-b61a-42a4-8604-99b812db2357", "Database dump including password hashes."),
    ("ext", "203.0.113.31", 9200, "api-staging.acme.example", "Elasticsearch without authentication",
     7.5, "", 306, "Confirmed", "/_cat/indices",
     "The staging Elasticsearch cluster answers queries without authentication and contains customer data.",
     "Enable X-Pack security or restrict access to the internal network.",
     "curl http://api-staging.acme.example:9200/_cat/indices -> customers-2024 ...",
     "https://www.elastic.co/guide/en/elasticsearch/reference/current/security-minimal-setup.html",
     "Disclosure of personal data."),
    ("ad", "10.20.0.10", 389, "dc01.corp.acme.local", "Kerberoastable service accounts",
     7.5, "", 916, "Confirmed", "",
     "Three service accounts with SPNs use RC4 and weak passwords that were cracked offline.",
     "Use gMSA or 25+ character passwords and enforce AES for service tickets.",
     "GetUserSPNs.py corp.acme.local/user -request; hashcat -m 13100 -> svc_backup:Winter2024!",
     "https://attack.mitre.org/techniques/T1558/003/", "Lateral movement with service account rights."),
    ("ext", "203.0.113.15", 21, "ftp.acme.example", "Anonymous FTP login allowed",
     7.5, "", 284, "Confirmed", "",
     "The FTP service accepts anonymous logins and exposes internal documents.",
     "Disable anonymous access or remove the service from the Internet.",
     "ftp> ls -> invoices/ contracts/", "", "Disclosure of internal documents."),
    ("ext", "198.51.100.8", 3000, "grafana.acme.example", "Grafana path traversal",
     7.5, "CVE-2021-43798", 22, "Need to recheck", "/public/plugins/alertlist/../../../../../../etc/passwd",
     "Grafana 8.3.0 allows unauthenticated reading of arbitrary files through plugin paths.",
     "Upgrade Grafana to 8.3.1 or later.", "curl --path-as-is .../etc/passwd -> root:x:0:0",
     "https://grafana.com/blog/2021/12/07/grafana-8.3.1-8.2.7-8.1.8-and-8.0.7-released-with-high-severity-security-fix/",
     "Disclosure of grafana.db and secrets."),
    ("ad", "10.20.3.6", 0, None, "IPMI 2.0 RAKP password hash disclosure",
     6.5, "CVE-2013-4786", 200, "Confirmed", "",
     "The BMC returns salted HMAC-SHA1 password hashes to unauthenticated RAKP requests.",
     "Restrict IPMI to a management VLAN and use long random BMC passwords.",
     "ipmi_dumphashes -> ADMIN:...", "https://nvd.nist.gov/vuln/detail/CVE-2013-4786", "Offline cracking of BMC passwords."),
    ("ad", "10.20.1.20", 445, "fs01.corp.acme.local", "SMB signing not required",
     5.3, "", 311, "Confirmed", "",
     "SMB message signing is enabled but not required, allowing NTLM relay attacks.",
     "Set 'Microsoft network server: Digitally sign communications (always)' to Enabled.",
     "nxc smb 10.20.1.0/24 --gen-relay-list", "", "NTLM relay to file shares."),
    ("ext", "203.0.113.12", 587, "mail.acme.example", "SMTP STARTTLS supports TLS 1.0",
     5.3, "", 326, "Confirmed", "",
     "The submission service negotiates TLS 1.0 and 1.1.",
     "Allow only TLS 1.2 and 1.3.", "testssl.sh -p mail.acme.example:587", "", "Weak transport encryption."),
    ("ext", "203.0.113.14", 53, "ns1.acme.example", "DNS zone transfer allowed",
     5.3, "", 200, "Confirmed", "",
     "The public name server answers AXFR requests for acme.example from any source.",
     "Restrict zone transfers to the secondary name servers.",
     "dig axfr acme.example @ns1.acme.example", "", "Disclosure of internal host names."),
    ("ext", "203.0.113.10", 443, "www.acme.example", "Missing HTTP Strict Transport Security",
     4.3, "", 319, "Confirmed", "/",
     "The site does not send a Strict-Transport-Security header.",
     "Send 'Strict-Transport-Security: max-age=31536000; includeSubDomains'.", "", "", ""),
    ("ext", "203.0.113.10", 443, "www.acme.example", "Reflected cross-site scripting in search",
     6.1, "", 79, "PoC available", "/search?q=",
     "The q parameter is reflected without encoding.", "Encode output with the template engine's escaping.",
     "/search?q=<script>alert(document.domain)</script>", "https://owasp.org/www-community/attacks/xss/",
     "Session theft of site users."),
    ("ext", "198.51.100.5", 161, None, "SNMP default community string",
     5.0, "CVE-1999-0517", 798, "Confirmed", "",
     "The router answers SNMPv2c requests with the community 'public'.",
     "Disable SNMPv2c or set a strong community with an ACL.", "snmpwalk -v2c -c public 198.51.100.5", "", ""),
    ("ad", "10.20.2.50", 5985, "ws050.corp.acme.local", "Local administrator password reuse",
     8.0, "", 521, "Confirmed", "",
     "The same local administrator password is used on every workstation.",
     "Deploy Windows LAPS.", "nxc smb 10.20.2.0/24 -u administrator -H <hash> --local-auth", "", ""),
    ("ad", "10.20.3.5", 80, None, "Printer web interface default credentials",
     3.7, "", 1392, "Confirmed", "/",
     "The printer web interface accepts admin with an empty password.", "Set an administrator password.",
     "", "", "Changing printer settings, LDAP credential capture."),
    ("ext", "203.0.113.10", 22, "www.acme.example", "SSH server supports CBC ciphers",
     2.6, "", 327, "Need to check", "",
     "The SSH daemon offers aes128-cbc and 3des-cbc.", "Remove CBC ciphers from sshd_config.", "", "", ""),
    ("ext", "203.0.113.21", 443, "git.acme.example", "Server version disclosure",
     0.0, "", 200, "Confirmed", "/help",
     "The GitLab help page reveals the exact product version.", "Hide the version for anonymous users.",
     "", "", ""),
    ("ext", "198.51.100.9", 443, "rdg.acme.example", "Remote Desktop Gateway exposed",
     0.0, "", 0, "Confirmed", "/RDWeb",
     "Information: an RD Gateway is reachable from the Internet.", "Require MFA on the gateway.", "", "", ""),
    ("ad", "10.20.4.10", 10000, "backup01.corp.acme.local", "Webmin password_change.cgi command injection",
     9.8, "CVE-2019-15107", 78, "Need to recheck", "/password_change.cgi",
     "Webmin 1.890 allows command injection through the old password parameter when password "
     "changing is enabled.", "Upgrade Webmin to 1.930 or later.", "", "https://nvd.nist.gov/vuln/detail/CVE-2019-15107", ""),
    ("old", "192.0.2.40", 443, "app.globex.example", "Insecure direct object reference on invoices",
     6.5, "", 639, "Fixed", "/api/invoices/{id}",
     "Invoices of other customers could be read by changing the id (retest: fixed).",
     "Check object ownership on the server.", "GET /api/invoices/1001 as customer 1000", "", ""),
    ("old", "192.0.2.42", 8443, None, "Tomcat manager with default credentials",
     9.8, "", 1392, "Fixed", "/manager/html",
     "tomcat:tomcat was accepted (retest: fixed).", "Remove the manager application.", "", "", ""),
]


def seed_demo(st):
    sd = Seeder(st, "demo")
    main, second = sd.users(demo=True)
    d0 = sd.day0()
    team = st.add_team("Red Team", "ACME engagement team", main, tid=sd.rid())
    st.teams[team]["users"][second] = "tester"
    st.log("User {} role was changed to tester!".format(SECOND_EMAIL), main, [team])
    projects = {
        "ext": st.add_project("ACME external pentest", main,
                              "External black-box test of ACME's Internet perimeter.",
                              scope="203.0.113.0/24, 198.51.100.0/24, *.acme.example",
                              start_date=d0 - 7 * 86400, end_date=d0 + 21 * 86400,
                              teams=[team], testers=[second], folder="acme-ext",
                              report_title="ACME External Penetration Test", pid=sd.rid()),
        "ad": st.add_project("ACME internal AD assessment", main,
                             "Assumed-breach test of the corp.acme.local domain.",
                             scope="10.20.0.0/16", start_date=d0 - 3 * 86400,
                             end_date=d0 + 30 * 86400, teams=[team], testers=[],
                             folder="acme-ad", report_title="ACME Internal Assessment",
                             pid=sd.rid()),
        "old": st.add_project("Globex web app retest 2024", main,
                              "Retest of the Globex customer portal findings.",
                              scope="192.0.2.40-42", start_date=d0 - 400 * 86400,
                              end_date=d0 - 370 * 86400, auto_archive=True, testers=[second],
                              folder="globex", report_title="Globex Retest", pid=sd.rid()),
    }
    st.projects[projects["old"]]["status"] = 0
    hosts, ports, hostnames = {}, {}, {}
    for key, ip, desc, os_name, threats, port_list, names in DEMO_HOSTS:
        pid = projects[key]
        hid = st.add_host(pid, ip, main, desc, threats, os_name, hid=sd.rid())
        hosts[ip] = hid
        for num, tcp, service, pdesc in port_list:
            ports[(ip, num)] = st.add_port(hid, num, tcp, service, pdesc, main, port_id=sd.rid())
        for name in names:
            hostnames[name] = st.add_hostname(hid, name, "", main, hn_id=sd.rid())
    for pid_key, net_ip, mask, name, comment in (
            ("ext", "203.0.113.0", 24, "1", "ACME DMZ"),
            ("ext", "198.51.100.0", 24, "2", "ACME edge"),
            ("ad", "10.20.0.0", 16, "10", "corp.acme.local"),
            ("ad", "10.20.3.0", 24, "11", "Management VLAN"),
            ("old", "192.0.2.0", 24, "1", "Globex hosting")):
        nid = sd.rid()
        st.networks[nid] = {"id": nid, "project_id": projects[pid_key], "ip": net_ip,
                            "mask": mask, "asn": 64500 if pid_key == "ext" else 0,
                            "comment": comment, "is_ipv6": False,
                            "internal_ip": "", "cmd": "", "access_from": {}, "name": name}
    issue_ids = []
    for (key, ip, port, hname, name, cvss, cve, cwe, status, url, desc, fix, technical,
         refs, risks) in DEMO_ISSUES:
        hid = hosts[ip]
        if port:
            port_id = ports[(ip, port)]
        else:
            port_id = st.host_ports(hid, full=True)[0]["id"]
        services = {port_id: ["0"] + ([hostnames[hname]] if hname else [])}
        iid = st.new_issue(projects[key], main, iid=sd.rid(), name=name, cvss=cvss, cve=cve,
                           cwe=cwe, status=status, url_path=url, description=desc, fix=fix,
                           technical=technical, references=refs, risks=risks,
                           intruder="External" if key != "ad" else "Internal",
                           services=services, type=st.cfg.default_issue_type(),
                           risk=criticality(cvss).capitalize() if cvss else "")
        issue_ids.append(iid)
    for iid in issue_ids[:6]:
        issue = st.issues[iid]
        port_id = next(iter(issue["services"]))
        hn = issue["services"][port_id][-1]
        st.add_poc(iid, port_id, hn, "Request / response", "text",
                   ("Evidence for: {}\n\n{}\n".format(issue["name"], issue["technical"])
                    ).encode(), poc_id=sd.rid(), user_id=main)
    for iid in issue_ids[:3]:
        st.add_poc(iid, "0", "0", "Screenshot", "image", tiny_png(), poc_id=sd.rid(),
                   user_id=main)
    st.issues[issue_ids[0]]["fields"] = {
        "exploited": {"type": "boolean", "value": True},
        "nessusid": {"type": "number", "value": 112233},
        "owner": {"type": "text", "value": "CI team"}}
    for key, login, pwd_hash, htype, clear, comment, source, svc in (
            ("ad", "svc_backup", "", "", "Winter2024!", "Kerberoasted", "hashcat",
             ("10.20.0.10", 389, "dc01.corp.acme.local")),
            ("ad", "sa", "", "", "Password1", "SQL sa login", "nxc", ("10.20.1.21", 1433, None)),
            ("ad", "Administrator", "8846f7eaee8fb117ad06bdd830b7586c", "ntlm_hex", "",
             "Local admin hash (reused)", "secretsdump", ("10.20.2.50", 445, None)),
            ("ext", "jenkins", "", "", "", "Jenkins service account", "script console",
             ("203.0.113.20", 8080, "ci.acme.example")),
            ("ext", "anonymous", "", "", "", "Anonymous FTP", "manual", ("203.0.113.15", 21, None)),
            ("ext", "admin", "21232f297a57a5a743894a0e4a801fc3", "md5_hex", "admin",
             "Grafana default", "manual", ("198.51.100.8", 3000, "grafana.acme.example"))):
        cid = sd.rid()
        ip, num, hname = svc
        st.creds[cid] = {"id": cid, "project_id": projects[key], "login": login,
                         "hash": pwd_hash, "hash_type": htype, "cleartext": clear,
                         "description": comment, "source": source,
                         "services": {ports[(ip, num)]: [hostnames[hname]] if hname else ["0"]}}
    for key, name, host_ip, body in (
            ("ext", "Recon", None, "<p>Subdomains from crt.sh: <b>14</b>. Wildcard DNS is "
             "not in use.</p>"),
            ("ext", "Jenkins", "203.0.113.20", "<p>Script console open; got shell as "
             "<code>jenkins</code>.</p>"),
            ("ad", "Attack path", None, "<ol><li>Kerberoast svc_backup</li><li>svc_backup is "
             "Backup Operator on DC01</li><li>DCSync</li></ol>")):
        nid = sd.rid()
        st.notes[nid] = {"id": nid, "project_id": projects[key], "name": name, "html": body,
                         "host_id": hosts[host_ip] if host_ip else ""}
    r1, r2 = sd.rid(), sd.rid()
    st.rules[r1] = {"id": r1, "name": "TLS findings are confirmed", "team_id": team,
                    "user_id": "",
                    "search_rules": [{"field_name": "name", "type": "substring", "value": "%TLS%"}],
                    "extract_vars": [],
                    "replace_rules": [{"type": "regexp", "field_name": "status",
                                       "search_filter": "^.*$", "replace_string": "Confirmed"}]}
    st.rules[r2] = {"id": r2, "name": "Tag CVE in name", "team_id": "", "user_id": main,
                    "search_rules": [{"field_name": "cve", "type": "regexp", "value": "CVE-.+"}],
                    "extract_vars": [{"name": "cve", "field_name": "cve", "type": "regexp",
                                      "value": "(CVE-[0-9]+-[0-9]+)"}],
                    "replace_rules": [{"type": "regexp", "field_name": "references",
                                       "search_filter": "^$",
                                       "replace_string": "https://nvd.nist.gov/vuln/detail/{{ cve }}"}]}
    # Templates belong to a team or a user (not a project) in PCF; these are
    # usable from every demo project.
    for name, fname, content, owner_team, owner_user in (
            ("Findings summary (txt)", "summary.txt", SIMPLE_TXT_TEMPLATE, team, ""),
            ("Host list (txt)", "hosts.txt", HOST_LIST_TEMPLATE, team, "")):
        tid = sd.rid()
        st.templates[tid] = {"id": tid, "name": name, "filename": fname,
                             "content": content.encode(), "team_id": owner_team,
                             "user_id": owner_user}
    tid = sd.rid()
    st.templates[tid] = {"id": tid, "name": "IP/port list (csv)", "filename": "ip_port.csv",
                         "content": IP_PORT_CSV_TEMPLATE.encode(), "team_id": "",
                         "user_id": main}


SEEDS = {"empty": seed_empty, "minimal": seed_minimal, "demo": seed_demo}


# -------------------------------------------------------------- Jinja subset

class TemplateError(Exception):
    pass


class _Undefined:
    """Jinja's lenient Undefined: renders empty, is falsy, iterates nothing."""

    def __str__(self):
        return ""

    def __bool__(self):
        return False

    def __iter__(self):
        return iter(())

    def __len__(self):
        return 0

    def __eq__(self, other):
        return isinstance(other, _Undefined)

    def __hash__(self):
        return 0


UNDEFINED = _Undefined()

SAFE_METHODS = {
    dict: {"items", "keys", "values", "get"},
    str: {"upper", "lower", "strip", "lstrip", "rstrip", "split", "replace", "startswith",
          "endswith", "title", "capitalize", "join", "splitlines", "count", "find"},
    list: {"count", "index"},
}


def latex_escape(s):
    table = {"&": r"\&", "%": r"\%", "$": r"\$", "#": r"\#", "_": r"\_", "{": r"\{",
             "}": r"\}", "~": r"\textasciitilde{}", "^": r"\^{}", "\\": r"\textbackslash{}",
             "<": r"\textless{}", ">": r"\textgreater{}"}
    return "".join(table.get(c, c) for c in str(s))


def _to_str(v):
    if v is None:
        return "None"
    return str(v)


def _f_round(v, precision=0, method="common"):
    v = float(v)
    if method == "floor":
        import math
        return math.floor(v * 10 ** precision) / 10 ** precision
    if method == "ceil":
        import math
        return math.ceil(v * 10 ** precision) / 10 ** precision
    return round(v, int(precision))


FILTERS = {
    "length": lambda v: len(v), "count": lambda v: len(v),
    "upper": lambda v: _to_str(v).upper(), "lower": lambda v: _to_str(v).lower(),
    "title": lambda v: _to_str(v).title(), "capitalize": lambda v: _to_str(v).capitalize(),
    "trim": lambda v: _to_str(v).strip(),
    "join": lambda v, sep="": str(sep).join(_to_str(x) for x in v),
    "default": lambda v, d="", boolean=False: d if (isinstance(v, _Undefined)
                                                    or (boolean and not v)) else v,
    "string": _to_str, "int": lambda v, d=0: int(float(v)) if _numlike(v) else d,
    "float": lambda v, d=0.0: float(v) if _numlike(v) else d,
    "round": _f_round, "abs": abs,
    "first": lambda v: next(iter(v), UNDEFINED), "last": lambda v: list(v)[-1] if v else UNDEFINED,
    "sort": lambda v, reverse=False: sorted(v, reverse=reverse),
    "reverse": lambda v: list(reversed(list(v))), "list": lambda v: list(v),
    "unique": lambda v: list(dict.fromkeys(v)),
    "replace": lambda v, a, b: _to_str(v).replace(str(a), str(b)),
    "escape": esc, "e": esc, "safe": lambda v: v, "sum": lambda v: sum(v),
    "latex_escape": latex_escape,
    "wordcount": lambda v: len(_to_str(v).split()),
}
FILTERS["d"] = FILTERS["default"]


def _numlike(v):
    try:
        float(v)
        return True
    except (TypeError, ValueError):
        return False


_TOKEN_RE = re.compile(r"""
    (?P<ws>\s+)
  | (?P<str>'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*")
  | (?P<num>\d+\.\d+|\d+)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<op>==|!=|<=|>=|//|[-+*/%~<>()\[\].,|:=])
""", re.VERBOSE)


class _Expr:
    """Recursive-descent parser over the tokens of one {{ }} / {% %} tag.
    Produces nested tuples evaluated by _eval; nothing is ever eval()'d."""

    def __init__(self, text):
        self.toks = []
        pos = 0
        while pos < len(text):
            m = _TOKEN_RE.match(text, pos)
            if not m:
                raise TemplateError("unexpected character {!r} in {!r}".format(text[pos], text))
            pos = m.end()
            kind = m.lastgroup
            if kind == "ws":
                continue
            val = m.group(kind)
            if kind == "str":
                val = bytes(val[1:-1], "utf-8").decode("unicode_escape") if "\\" in val else val[1:-1]
            elif kind == "num":
                val = float(val) if "." in val else int(val)
            self.toks.append((kind, val))
        self.i = 0

    def peek(self, k=0):
        j = self.i + k
        return self.toks[j] if j < len(self.toks) else (None, None)

    def take(self, kind=None, val=None):
        tok = self.peek()
        if tok[0] is None or (kind and tok[0] != kind) or (val is not None and tok[1] != val):
            raise TemplateError("expected {} {!r}, got {!r}".format(kind or "", val, tok[1]))
        self.i += 1
        return tok

    def at(self, kind, val=None):
        tok = self.peek()
        return tok[0] == kind and (val is None or tok[1] == val)

    def done(self):
        return self.i >= len(self.toks)

    def parse(self):
        e = self.ternary()
        if not self.done():
            raise TemplateError("unexpected {!r}".format(self.peek()[1]))
        return e

    def ternary(self):
        e = self.or_()
        if self.at("name", "if"):
            self.take()
            cond = self.or_()
            other = ("lit", UNDEFINED)
            if self.at("name", "else"):
                self.take()
                other = self.ternary()
            return ("ifexpr", cond, e, other)
        return e

    def or_(self):
        e = self.and_()
        while self.at("name", "or"):
            self.take()
            e = ("or", e, self.and_())
        return e

    def and_(self):
        e = self.not_()
        while self.at("name", "and"):
            self.take()
            e = ("and", e, self.not_())
        return e

    def not_(self):
        if self.at("name", "not"):
            self.take()
            return ("not", self.not_())
        return self.compare()

    def compare(self):
        e = self.additive()
        while True:
            if self.at("op") and self.peek()[1] in ("==", "!=", "<", ">", "<=", ">="):
                op = self.take()[1]
                e = ("cmp", op, e, self.additive())
            elif self.at("name", "in"):
                self.take()
                e = ("cmp", "in", e, self.additive())
            elif self.at("name", "not") and self.peek(1) == ("name", "in"):
                self.take()
                self.take()
                e = ("cmp", "not in", e, self.additive())
            elif self.at("name", "is"):
                self.take()
                neg = False
                if self.at("name", "not"):
                    self.take()
                    neg = True
                test = self.take("name")[1]
                e = ("test", test, e, neg)
            else:
                return e

    def additive(self):
        e = self.mult()
        while self.at("op") and self.peek()[1] in ("+", "-", "~"):
            op = self.take()[1]
            e = ("bin", op, e, self.mult())
        return e

    def mult(self):
        e = self.unary()
        while self.at("op") and self.peek()[1] in ("*", "/", "//", "%"):
            op = self.take()[1]
            e = ("bin", op, e, self.unary())
        return e

    def unary(self):
        if self.at("op", "-"):
            self.take()
            return ("neg", self.unary())
        return self.postfix()

    def args(self):
        args, kwargs = [], {}
        self.take("op", "(")
        while not self.at("op", ")"):
            if self.at("name") and self.peek(1) == ("op", "="):
                name = self.take()[1]
                self.take()
                kwargs[name] = self.ternary()
            else:
                args.append(self.ternary())
            if not self.at("op", ")"):
                self.take("op", ",")
        self.take("op", ")")
        return args, kwargs

    def postfix(self):
        e = self.primary()
        while True:
            if self.at("op", "."):
                self.take()
                e = ("attr", e, self.take("name")[1])
            elif self.at("op", "["):
                self.take()
                key = self.ternary()
                self.take("op", "]")
                e = ("item", e, key)
            elif self.at("op", "("):
                args, kwargs = self.args()
                e = ("call", e, args, kwargs)
            elif self.at("op", "|"):
                self.take()
                name = self.take("name")[1]
                args, kwargs = ([], {})
                if self.at("op", "("):
                    args, kwargs = self.args()
                e = ("filter", name, e, args, kwargs)
            else:
                return e

    def primary(self):
        kind, val = self.peek()
        if kind in ("str", "num"):
            self.take()
            return ("lit", val)
        if kind == "name":
            self.take()
            if val in ("true", "True"):
                return ("lit", True)
            if val in ("false", "False"):
                return ("lit", False)
            if val in ("none", "None"):
                return ("lit", None)
            return ("var", val)
        if kind == "op" and val == "(":
            self.take()
            e = self.ternary()
            self.take("op", ")")
            return e
        if kind == "op" and val == "[":
            self.take()
            items = []
            while not self.at("op", "]"):
                items.append(self.ternary())
                if not self.at("op", "]"):
                    self.take("op", ",")
            self.take("op", "]")
            return ("list", items)
        raise TemplateError("unexpected {!r}".format(val))


class _Loop:
    def __init__(self, length):
        self.length = length
        self.index0 = 0

    def as_dict(self):
        i = self.index0
        return {"index": i + 1, "index0": i, "first": i == 0, "last": i == self.length - 1,
                "length": self.length, "revindex": self.length - i,
                "revindex0": self.length - i - 1}


class MiniJinja:
    """The Jinja2 subset the fake renders report templates with (see README):
    {{ expr }}, {% for a[, b] in expr %}...{% else %}...{% endfor %},
    {% if %}/{% elif %}/{% else %}/{% endif %}, {% set x = expr %}, {# #},
    '-' whitespace control, dotted/indexed lookups, filters and tests."""

    MAX_OUTPUT = 32 * 1024 * 1024
    MAX_STEPS = 2000000

    def __init__(self, source, timeout=10.0):
        self.source = source
        self.timeout = timeout
        self.tree = self._parse(self._lex(source))

    @staticmethod
    def _lex(src):
        out = []
        pos = 0
        pat = re.compile(r"\{\{(-?)(.*?)(-?)\}\}|\{%(-?)(.*?)(-?)%\}|\{#.*?#\}", re.DOTALL)
        strip_next = False
        for m in pat.finditer(src):
            text = src[pos:m.start()]
            if strip_next:
                text = text.lstrip()
            if (m.group(1) or m.group(4)) == "-":
                text = text.rstrip()
            if text:
                out.append(("text", text))
            if m.group(0).startswith("{{"):
                out.append(("out", m.group(2).strip()))
                strip_next = m.group(3) == "-"
            elif m.group(0).startswith("{%"):
                out.append(("tag", m.group(5).strip()))
                strip_next = m.group(6) == "-"
            else:
                strip_next = False
            pos = m.end()
        text = src[pos:]
        if strip_next:
            text = text.lstrip()
        if text:
            out.append(("text", text))
        return out

    def _parse(self, toks):
        root = []
        stack = [("root", root, None)]
        for kind, val in toks:
            body = stack[-1][1]
            if kind == "text":
                body.append(("text", val))
            elif kind == "out":
                body.append(("out", _Expr(val).parse()))
            else:
                word = val.split(None, 1)[0] if val else ""
                rest = val[len(word):].strip()
                if word == "for":
                    m = re.fullmatch(r"([A-Za-z_]\w*)(?:\s*,\s*([A-Za-z_]\w*))?\s+in\s+(.+)",
                                     rest, re.DOTALL)
                    if not m:
                        raise TemplateError("bad for tag: " + val)
                    targets = [m.group(1)] + ([m.group(2)] if m.group(2) else [])
                    node = {"kind": "for", "targets": targets,
                            "iter": _Expr(m.group(3)).parse(), "body": [], "else": []}
                    body.append(node)
                    stack.append(("for", node["body"], node))
                elif word == "if":
                    node = {"kind": "if", "branches": [(_Expr(rest).parse(), [])], "else": None}
                    body.append(node)
                    stack.append(("if", node["branches"][0][1], node))
                elif word == "elif":
                    if stack[-1][0] != "if":
                        raise TemplateError("elif outside if")
                    node = stack[-1][2]
                    node["branches"].append((_Expr(rest).parse(), []))
                    stack[-1] = ("if", node["branches"][-1][1], node)
                elif word == "else":
                    top, _, node = stack[-1]
                    if top == "if":
                        node["else"] = []
                        stack[-1] = ("if", node["else"], node)
                    elif top == "for":
                        stack[-1] = ("for", node["else"], node)
                    else:
                        raise TemplateError("else outside if/for")
                elif word in ("endif", "endfor"):
                    if stack[-1][0] != word[3:]:
                        raise TemplateError("unexpected " + word)
                    stack.pop()
                elif word == "set":
                    m = re.fullmatch(r"([A-Za-z_]\w*)\s*=\s*(.+)", rest, re.DOTALL)
                    if not m:
                        raise TemplateError("bad set tag: " + val)
                    body.append(("set", m.group(1), _Expr(m.group(2)).parse()))
                else:
                    raise TemplateError("unsupported tag: " + (word or val))
        if len(stack) != 1:
            raise TemplateError("unclosed {} block".format(stack[-1][0]))
        return root

    def render(self, context):
        self.deadline = time.monotonic() + self.timeout
        self.steps = 0
        out = []
        self.size = 0
        self._render(self.tree, [dict(context)], out)
        return "".join(out)

    def _tick(self):
        self.steps += 1
        if self.steps > self.MAX_STEPS or (self.steps % 1000 == 0
                                           and time.monotonic() > self.deadline):
            raise TemplateError("Template rendering took too long!")

    def _emit(self, out, s):
        self.size += len(s)
        if self.size > self.MAX_OUTPUT:
            raise TemplateError("Report is too large!")
        out.append(s)

    def _render(self, nodes, scopes, out):
        for node in nodes:
            self._tick()
            if isinstance(node, tuple):
                if node[0] == "text":
                    self._emit(out, node[1])
                elif node[0] == "out":
                    self._emit(out, _to_str(self._eval(node[1], scopes)))
                elif node[0] == "set":
                    scopes[-1][node[1]] = self._eval(node[2], scopes)
            elif node["kind"] == "if":
                for cond, body in node["branches"]:
                    if self._eval(cond, scopes):
                        self._render(body, scopes, out)
                        break
                else:
                    if node["else"]:
                        self._render(node["else"], scopes, out)
            else:
                seq = self._eval(node["iter"], scopes)
                if isinstance(seq, dict):
                    seq = list(seq.keys())
                try:
                    seq = list(seq)
                except TypeError:
                    raise TemplateError("object is not iterable")
                if not seq:
                    self._render(node["else"], scopes, out)
                    continue
                loop = _Loop(len(seq))
                for i, item in enumerate(seq):
                    loop.index0 = i
                    scope = {"loop": loop.as_dict()}
                    if len(node["targets"]) == 1:
                        scope[node["targets"][0]] = item
                    else:
                        try:
                            a, b = item
                        except (TypeError, ValueError):
                            raise TemplateError("cannot unpack loop item")
                        scope[node["targets"][0]], scope[node["targets"][1]] = a, b
                    scopes.append(scope)
                    try:
                        self._render(node["body"], scopes, out)
                    finally:
                        scopes.pop()

    def _lookup(self, obj, key):
        if isinstance(obj, dict):
            if key in obj:
                return obj[key]
            if isinstance(key, str) and key in SAFE_METHODS[dict]:
                return getattr(obj, key)
            return UNDEFINED
        if isinstance(obj, (list, tuple, str)):
            if isinstance(key, int) and not isinstance(key, bool):
                try:
                    return obj[key]
                except IndexError:
                    return UNDEFINED
            methods = SAFE_METHODS[list if not isinstance(obj, str) else str]
            if isinstance(key, str) and key in methods:
                return getattr(obj, key)
        return UNDEFINED

    def _eval(self, e, scopes):
        self._tick()
        op = e[0]
        if op == "lit":
            return e[1]
        if op == "var":
            for scope in reversed(scopes):
                if e[1] in scope:
                    return scope[e[1]]
            return UNDEFINED
        if op == "attr":
            return self._lookup(self._eval(e[1], scopes), e[2])
        if op == "item":
            return self._lookup(self._eval(e[1], scopes), self._eval(e[2], scopes))
        if op == "list":
            return [self._eval(x, scopes) for x in e[1]]
        if op == "call":
            fn = self._eval(e[1], scopes)
            if not callable(fn):
                raise TemplateError("object is not callable")
            args = [self._eval(a, scopes) for a in e[2]]
            kwargs = {k: self._eval(v, scopes) for k, v in e[3].items()}
            try:
                return fn(*args, **kwargs)
            except (TypeError, ValueError, KeyError) as ex:
                raise TemplateError(str(ex))
        if op == "filter":
            f = FILTERS.get(e[1])
            if f is None:
                raise TemplateError("No filter named '{}'.".format(e[1]))
            args = [self._eval(a, scopes) for a in e[3]]
            kwargs = {k: self._eval(v, scopes) for k, v in e[4].items()}
            try:
                return f(self._eval(e[2], scopes), *args, **kwargs)
            except (TypeError, ValueError, KeyError, IndexError) as ex:
                raise TemplateError(str(ex))
        if op == "not":
            return not self._eval(e[1], scopes)
        if op == "and":
            a = self._eval(e[1], scopes)
            return a and self._eval(e[2], scopes)
        if op == "or":
            a = self._eval(e[1], scopes)
            return a or self._eval(e[2], scopes)
        if op == "ifexpr":
            return self._eval(e[2], scopes) if self._eval(e[1], scopes) else self._eval(e[3], scopes)
        if op == "neg":
            return -self._eval(e[1], scopes)
        if op == "test":
            v = self._eval(e[2], scopes)
            tests = {"defined": not isinstance(v, _Undefined),
                     "undefined": isinstance(v, _Undefined), "none": v is None,
                     "string": isinstance(v, str), "number": isinstance(v, (int, float)),
                     "mapping": isinstance(v, dict), "iterable": isinstance(v, (list, dict, str))}
            if e[1] not in tests:
                raise TemplateError("No test named '{}'.".format(e[1]))
            return tests[e[1]] != e[3]
        a, b = self._eval(e[2], scopes), self._eval(e[3], scopes)
        try:
            if op == "cmp":
                return {"==": lambda: a == b, "!=": lambda: a != b, "<": lambda: a < b,
                        ">": lambda: a > b, "<=": lambda: a <= b, ">=": lambda: a >= b,
                        "in": lambda: a in b, "not in": lambda: a not in b}[e[1]]()
            if e[1] == "~":
                return _to_str(a) + _to_str(b)
            return {"+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b,
                    "/": lambda: a / b, "//": lambda: a // b, "%": lambda: a % b}[e[1]]()
        except (TypeError, ZeroDivisionError) as ex:
            raise TemplateError(str(ex))


# -------------------------------------------------------------------- config

class Config:
    def __init__(self, args):
        self.clock = Clock()
        self.bugs = bool(args.bugs)
        self.flavor = args.flavor
        self.poc_max = args.poc_max_size
        self.seed = args.seed
        self.token = args.token
        self.token_duration = args.token_duration
        self.control = not args.no_control
        self.basic_auth = None
        if args.basic_auth:
            user, _, pwd = args.basic_auth.partition(":")
            self.basic_auth = (user, pwd)
        self.swagger = args.swagger or os.path.join(SCRIPT_DIR, "..", "..", "docs", "pcf-api",
                                                    "swagger_v1.0.0.json")

    def default_issue_type(self):
        return "vulnerability" if self.flavor == "head" else "custom"

    def issue_types(self):
        return (["vulnerability", "remark"] if self.flavor == "head"
                else ["custom", "web", "credentials", "service"])

    def head_bugs(self):
        """The issue-route bugs exist only at HEAD; the other API bugs are in
        routes.py, which is identical on both commits."""
        return self.bugs and self.flavor == "head"


# ------------------------------------------------------------------- request

class Request:
    def __init__(self, handler, method, path, query, headers, body):
        self.handler = handler
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.session_id = None
        self.session = None
        self.new_cookie = None
        self._form = None

    @property
    def ctype(self):
        return (self.headers.get("Content-Type") or "").split(";")[0].strip().lower()

    def json_body(self):
        """webargs' JSON loading: MISSING when not a JSON request or empty;
        raises ValueError on malformed JSON (Flask answers its 400 page)."""
        ct = self.ctype
        if not (ct == "application/json" or (ct.startswith("application/") and ct.endswith("+json"))):
            return MISSING
        if not self.body:
            return MISSING
        try:
            return json.loads(self.body.decode("utf-8"))
        except RecursionError:
            raise ValueError("JSON nested too deeply")

    def form(self):
        """(MultiDict as list of pairs, files dict name -> [(filename, ctype, bytes)])."""
        if self._form is None:
            pairs, files = [], {}
            ct = self.headers.get("Content-Type") or ""
            if self.ctype == "application/x-www-form-urlencoded":
                pairs = urllib.parse.parse_qsl(self.body.decode("utf-8", "replace"),
                                               keep_blank_values=True)
            elif self.ctype == "multipart/form-data":
                m = re.search(r'boundary="?([^";]+)"?', ct)
                if m:
                    pairs, files = parse_multipart(self.body, m.group(1).encode())
            self._form = (pairs, files)
        return self._form

    def fget(self, name, default=None):
        for k, v in self.form()[0]:
            if k == name:
                return v
        return default

    def fall(self, name):
        return [v for k, v in self.form()[0] if k == name]

    def files(self, name):
        return self.form()[1].get(name, [])


def parse_multipart(body, boundary):
    pairs, files = [], {}
    delim = b"--" + boundary
    for part in body.split(delim)[1:]:
        if part.startswith(b"--"):
            break
        part = part[2:] if part.startswith(b"\r\n") else part.lstrip(b"\n")
        head, sep, data = part.partition(b"\r\n\r\n")
        if not sep:
            head, sep, data = part.partition(b"\n\n")
        if data.endswith(b"\r\n"):
            data = data[:-2]
        elif data.endswith(b"\n"):
            data = data[:-1]
        headers = {}
        for line in head.decode("utf-8", "replace").splitlines():
            k, _, v = line.partition(":")
            headers[k.strip().lower()] = v.strip()
        disp = headers.get("content-disposition", "")
        nm = re.search(r'(?:^|;)\s*name="([^"]*)"', disp)
        fn = re.search(r'filename="([^"]*)"', disp)
        if not nm:
            continue
        if fn:
            if fn.group(1) == "" and not data:
                continue          # an empty file input, as browsers send it
            files.setdefault(nm.group(1), []).append(
                (fn.group(1), headers.get("content-type", "application/octet-stream"), data))
        else:
            pairs.append((nm.group(1), data.decode("utf-8", "replace")))
    return pairs, files


# -------------------------------------------------------------------- faults

FAULT_MODES = ("latency", "status", "retry_after", "garbage", "truncated", "huge", "reset",
               "hang", "expire_token")


def parse_fault_spec(spec):
    """CLI form: 'mode=status,status=503,count=2,path=^/api/v1/projects$'
    (a leading bare word is taken as the mode)."""
    out = {}
    for i, item in enumerate(spec.split(",")):
        if "=" not in item and i == 0:
            out["mode"] = item.strip()
            continue
        k, _, v = item.partition("=")
        out[k.strip()] = v.strip()
    return normalize_fault(out)


def normalize_fault(obj):
    if not isinstance(obj, dict):
        raise ValueError("a fault is a JSON object")
    mode = obj.get("mode")
    if mode not in FAULT_MODES:
        raise ValueError("mode must be one of: " + ", ".join(FAULT_MODES))
    fault = {"mode": mode}
    for key, conv, default in (("status", int, 503), ("retry_after", int, 1),
                               ("latency_ms", int, 200), ("count", int, 0),
                               ("size_mb", float, 16.0)):
        val = obj.get(key, default)
        try:
            fault[key] = conv(val)
        except (TypeError, ValueError):
            raise ValueError("{} must be a number".format(key))
    if fault["count"] < 0 or fault["latency_ms"] < 0 or fault["size_mb"] <= 0:
        raise ValueError("count/latency_ms must be >= 0 and size_mb > 0")
    if not 100 <= fault["status"] <= 599:
        raise ValueError("status must be an HTTP status code")
    path = obj.get("path", "")
    try:
        re.compile(path)
    except (re.error, TypeError):
        raise ValueError("path must be a regular expression")
    fault["path"] = path
    method = obj.get("method", "")
    fault["method"] = method.upper() if isinstance(method, str) else ""
    fault["applied"] = 0
    return fault


# -------------------------------------------------------------------- server

class FakePCF:
    def __init__(self, cfg):
        self.cfg = cfg
        self.state = State(cfg)
        self.db_lock = threading.RLock()
        self.meta_lock = threading.Lock()       # faults, stats, wedge flag
        self.wedged = False
        self.generation = 0                     # bumped by reset: hung requests drop
        self.faults = []
        self.stats = new_stats()
        # Headers and body starts of the latest requests, so a test can prove
        # what a client did (or did not) send; bounded so a long run cannot
        # grow it.
        self.seen = []
        self.stopping = threading.Event()
        self.log_file = None
        self.routes = []
        build_routes(self)
        self.reset()

    def reset(self, seed=None):
        with self.db_lock:
            if seed:
                self.cfg.seed = seed
            self.state.clear()
            with _ascending_lock:
                _ascending.update(on=False, next=0)
            SEEDS[self.cfg.seed](self.state)
            workspace.seed(self.state, self.cfg.seed)
            if self.cfg.token:
                main = self.state.user_by_email(MAIN_EMAIL)
                self.state.add_token(main["id"], "fake-pcf --token", self.cfg.token_duration,
                                     token=self.cfg.token)
        with self.meta_lock:
            self.wedged = False
            self.generation += 1

    def count(self, method, path, route_name, handler=None):
        with self.meta_lock:
            # A connection counts once per stats period, on its first PCF
            # request: control calls and idle keep-alives do not, so a client
            # that reuses its connection shows exactly one.
            if handler is not None and getattr(handler, "counted_in", None) is not self.stats:
                handler.counted_in = self.stats
                self.stats["connections"] += 1
            self.stats["total"] += 1
            self.stats["paths"][path] = self.stats["paths"].get(path, 0) + 1
            key = "{} {}".format(method, route_name or "<unrouted>")
            self.stats["routes"][key] = self.stats["routes"].get(key, 0) + 1

    def record(self, method, path, headers, body):
        with self.meta_lock:
            self.seen.append({"method": method, "path": path,
                              "headers": [[k, v] for k, v in headers.items()],
                              "body": (body or b"")[:SEEN_BODY_MAX].decode("utf-8", "replace")})
            del self.seen[:-SEEN_MAX]

    def count_status(self, status):
        with self.meta_lock:
            k = str(status)
            self.stats["statuses"][k] = self.stats["statuses"].get(k, 0) + 1

    def take_faults(self, method, path):
        """Faults that apply to this request, consuming their counts."""
        out = []
        with self.meta_lock:
            for f in list(self.faults):
                if f["method"] and f["method"] != method:
                    continue
                if f["path"] and not re.search(f["path"], path):
                    continue
                f["applied"] += 1
                out.append(dict(f))
                if f["count"]:
                    f["count"] -= 1
                    if f["count"] == 0:
                        self.faults.remove(f)
                if f["mode"] != "latency":
                    break
        return out

    def log(self, line):
        if self.log_file:
            with self.meta_lock:
                self.log_file.write(line + "\n")
                self.log_file.flush()


class Route:
    def __init__(self, methods, pattern, fn, name, kind):
        self.methods = methods
        rx = re.sub(r"<uuid:(\w+)>", r"(?P<\1>" + UUID_RE + ")", pattern)
        rx = re.sub(r"<int:(\w+)>", r"(?P<\1>[0-9]+)", rx)
        rx = re.sub(r"(?<!\?P)<(\w+)>", r"(?P<\1>[^/]+)", rx)
        self.rx = re.compile("^" + rx + "$")
        self.fn = fn
        self.name = name
        self.kind = kind        # "api", "ui", "static", "spec"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "waitress"
    sys_version = ""
    timeout = 300           # idle keep-alive connections give their thread back

    def setup(self):
        # The TLS handshake runs here, in the connection's own thread, so a
        # client that never completes it cannot stall the accept loop.
        if isinstance(self.request, ssl.SSLSocket):
            self.request.settimeout(10)
            self.request.do_handshake()
        super().setup()

    def log_message(self, fmt, *args):
        pass

    def version_string(self):
        return "waitress"

    def do_GET(self):
        self.dispatch()

    do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = do_OPTIONS = do_GET

    # ---- plumbing
    def read_body(self):
        te = (self.headers.get("Transfer-Encoding") or "").lower()
        if "chunked" in te:
            chunks, total = [], 0
            while True:
                line = self.rfile.readline(65537)
                size = int(line.split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline(65537) not in (b"\r\n", b"\n", b""):
                        pass
                    break
                total += size
                if total > MAX_BODY:
                    raise ValueError("body too large")
                chunks.append(self.rfile.read(size))
                self.rfile.readline(3)
            return b"".join(chunks)
        n = int(self.headers.get("Content-Length") or 0)
        if n < 0 or n > MAX_BODY:
            raise ValueError("body too large")
        return self.rfile.read(n) if n else b""

    def client_gone(self):
        """True once the client closed or reset the connection.  Only used
        while a request is parked (the connection is dropped afterwards), so
        reading and discarding anything the client sends is fine; this also
        works through TLS, where peeking at raw bytes would not."""
        conn = self.connection
        try:
            r, _, _ = select.select([conn], [], [], 0)
            if not r:
                return False
            old = conn.gettimeout()
            conn.settimeout(0.05)
            try:
                return conn.recv(4096) == b""
            finally:
                conn.settimeout(old)
        except socket.timeout:
            return False
        except (OSError, ValueError):
            return True

    def wait_while(self, cond, gen):
        """Blocks without answering until cond() is false, the client hangs
        up, the state is reset (gen changes) or the server stops.  Returns
        True when the request may continue."""
        while cond():
            if self.app.stopping.is_set() or self.client_gone() or self.app.generation != gen:
                return False
            time.sleep(0.05)
        return True

    def send(self, resp, req=None, counted=True):
        body = resp.body
        self.send_response(resp.status)
        self.send_header("Content-Type", resp.ctype)
        self.send_header("Content-Length", str(len(body)))
        for k, v in resp.headers:
            self.send_header(k, v)
        if req is not None and req.new_cookie:
            self.send_header("Set-Cookie", "session={}; HttpOnly; Path=/".format(req.new_cookie))
        # Counted before the answer leaves, so a client that reads /stats
        # right after its answer always sees it.
        if counted:
            self.app.count_status(resp.status)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def hard_reset(self):
        try:
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                       struct.pack("ii", 1, 0))
        except OSError:
            pass
        self.close_connection = True
        try:
            self.connection.close()
        except OSError:
            pass

    def drop(self):
        self.close_connection = True

    # ---- faults
    def apply_fault(self, f):
        """Returns True when the fault produced the whole answer."""
        mode = f["mode"]
        if mode == "latency":
            time.sleep(f["latency_ms"] / 1000.0)
            return False
        if mode == "expire_token":
            with self.app.db_lock:
                expire_all_tokens(self.app.state)
            return False
        if mode in ("status", "retry_after"):
            headers = ([("Retry-After", str(f["retry_after"]))]
                       if mode == "retry_after" or f.get("retry_after_set") else [])
            self.send(Response(f["status"], page("PCF", "<h1>{}</h1><p>Injected fault</p>".format(
                f["status"])), headers=headers))
            return True
        if mode == "garbage":
            self.send(Response(200, b"\x00\xff<html>this is not JSON\x1b[0m{\"", "application/json"))
            return True
        if mode == "truncated":
            body = b'{\n  "hosts": [\n    {\n      "id": "'
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body) + 4096))
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(body)
            self.wfile.flush()
            self.close_connection = True
            try:
                self.connection.shutdown(socket.SHUT_WR)
            except OSError:
                pass
            self.app.count_status(200)
            return True
        if mode == "huge":
            size = int(f["size_mb"] * 1024 * 1024)
            head, tail = b'{"padding": "', b'", "status": "ok"}\n'
            pad = max(0, size - len(head) - len(tail))
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(head) + pad + len(tail)))
            self.end_headers()
            self.wfile.write(head)
            chunk = b"x" * 65536
            left = pad
            while left > 0:
                n = min(left, len(chunk))
                self.wfile.write(chunk[:n])
                left -= n
            self.wfile.write(tail)
            self.app.count_status(200)
            return True
        if mode == "reset":
            self.hard_reset()
            return True
        if mode == "hang":
            gen = self.app.generation
            self.wait_while(lambda: True, gen)
            self.drop()
            return True
        return False

    # ---- main entry
    def dispatch(self):
        app = self.app
        raw_path, _, qs = self.path.partition("?")
        path = urllib.parse.unquote(raw_path)
        try:
            body = self.read_body()
        except (ValueError, OSError):
            self.send(Response(413, page("PCF", "<h1>413</h1>")))
            self.close_connection = True
            return
        headers = self.headers
        req = Request(self, self.command, path, urllib.parse.parse_qs(qs, keep_blank_values=True),
                      headers, body)
        app.log("{} {} {}".format(time.strftime("%H:%M:%S"), self.command, self.path))
        if path.startswith("/__fake__/") or path == "/__fake__":
            if app.cfg.control:
                self.send(control(app, req), counted=False)
                return
        route, params, allowed = match_route(app, self.command, path)
        app.count(self.command, path, route.name if route else None, self)
        app.record(self.command, self.path, headers, body)
        for f in app.take_faults(self.command, path):
            if self.apply_fault(f):
                return
        if app.cfg.basic_auth is not None and not basic_ok(headers, app.cfg.basic_auth):
            self.send(Response(401, flask_json({"message": "Authenticate."}), "application/json",
                               [("WWW-Authenticate", 'Basic realm="Main"')]))
            return
        if route is None:
            if allowed:
                if self.command == "OPTIONS":
                    self.send(Response(200, b"", headers=[("Allow", ", ".join(sorted(allowed)))]))
                else:
                    r = error_page(405)
                    r.headers.append(("Allow", ", ".join(sorted(allowed))))
                    self.send(r)
                return
            if params == "slash":
                self.send(Response(308, b"", headers=[("Location", raw_path + "/" + (
                    "?" + qs if qs else ""))]))
                return
            self.send(error_page(404))
            return
        if route.kind != "spec":
            gen = app.generation
            if app.wedged and not self.wait_while(lambda: app.wedged, gen):
                self.drop()
                return
            if app.generation != gen:
                self.drop()
                return
        if route.kind == "api" and "session=" not in (headers.get("Cookie") or ""):
            # Flask-Session answers every request with a cookie; API v1 ignores it.
            req.new_cookie = gen_id().replace("-", "")
        resp = self.run_route(route, req, params)
        if resp is not None:
            self.send(resp, req)

    def run_route(self, route, req, params):
        app = self.app
        try:
            with app.db_lock:
                if route.kind == "ui":
                    load_session(app, req)
                    if self.command == "POST" and not getattr(route.fn, "csrf_exempt", False):
                        if not csrf_ok(req, headers_too=True):
                            return csrf_error()
                        if isinstance(self.connection, ssl.SSLSocket) and \
                                not csrf_referrer_ok(req):
                            return csrf_error()
                return route.fn(app, req, **params)
        except Wedge as w:
            with app.meta_lock:
                app.wedged = True
            if getattr(w, "hang", False):
                # A web-UI route's error page reads the database too, so PCF
                # never answers the request that took the lock.
                self.wait_while(lambda: app.wedged, app.generation)
                self.drop()
                return None
            return error_page(500)
        except ServerError:
            return error_page(500)
        except Exception:           # a bug in the fake: show it, answer like PCF would
            import traceback
            traceback.print_exc(file=sys.stderr)
            return error_page(500)


def basic_ok(headers, creds):
    auth = headers.get("Authorization") or ""
    if not auth.lower().startswith("basic "):
        return False
    try:
        user, _, pwd = base64.b64decode(auth[6:].strip()).decode("utf-8").partition(":")
    except (binascii.Error, UnicodeDecodeError):
        return False
    return (user, pwd) == creds


def match_route(app, method, path):
    allowed = set()
    for r in app.routes:
        m = r.rx.match(path)
        if m:
            if method in r.methods or (method == "HEAD" and "GET" in r.methods):
                return r, {k: v.lower() for k, v in m.groupdict().items()}, allowed
            allowed |= set(r.methods)
    if allowed:
        allowed |= {"OPTIONS"} | ({"HEAD"} if "GET" in allowed else set())
        return None, None, allowed
    if not path.endswith("/"):
        for r in app.routes:
            if r.rx.match(path + "/"):
                return None, "slash", set()
    return None, None, set()


def expire_all_tokens(st):
    past = st.cfg.clock.now() - 1
    n = 0
    for t in st.tokens.values():
        t["create_date"], t["duration"] = past, 0
        n += 1
    return n


# --------------------------------------------------------------- control API

def control(app, req):
    def ok(obj=None, status=200):
        out = {"status": "ok"}
        out.update(obj or {})
        return json_resp(out, status)

    def bad(msg):
        return json_resp({"status": "error", "error": msg}, 400)

    try:
        body = json.loads(req.body.decode("utf-8")) if req.body.strip() else {}
    except (ValueError, UnicodeDecodeError):
        return bad("body must be JSON")
    p, m = req.path.rstrip("/"), req.method
    if p == "/__fake__/health":
        return ok({"seed": app.cfg.seed, "bugs": app.cfg.bugs, "flavor": app.cfg.flavor,
                   "wedged": app.wedged})
    if p == "/__fake__/stats" and m == "GET":
        with app.meta_lock:
            return json_resp(json.loads(json.dumps(app.stats)))
    if p == "/__fake__/stats/reset" and m == "POST":
        with app.meta_lock:
            app.stats = new_stats()
            app.seen = []
        return ok()
    if p == "/__fake__/requests" and m == "GET":
        with app.meta_lock:
            return json_resp({"requests": list(app.seen)})
    if p == "/__fake__/faults" and m == "GET":
        with app.meta_lock:
            return ok({"faults": list(app.faults)})
    if p == "/__fake__/faults" and m == "POST":
        items = body if isinstance(body, list) else [body]
        try:
            faults = [normalize_fault(x) for x in items]
        except ValueError as e:
            return bad(str(e))
        for f, raw in zip(faults, items):
            f["retry_after_set"] = "retry_after" in raw
        with app.meta_lock:
            app.faults.extend(faults)
            return ok({"faults": list(app.faults)})
    if p == "/__fake__/faults/clear" and m == "POST":
        with app.meta_lock:
            app.faults = []
            app.generation += 1         # releases requests parked by 'hang'
        return ok()
    if p == "/__fake__/reset" and m == "POST":
        seed = body.get("seed") if isinstance(body, dict) else None
        if seed is not None and seed not in SEEDS:
            return bad("unknown seed")
        app.reset(seed)
        return ok({"seed": app.cfg.seed})
    if p == "/__fake__/expire_tokens" and m == "POST":
        with app.db_lock:
            n = expire_all_tokens(app.state)
        return ok({"expired": n})
    if p == "/__fake__/token" and m == "POST":
        if not isinstance(body, dict):
            return bad("body must be an object")
        with app.db_lock:
            st = app.state
            if "user_id" in body:
                uid = str(body["user_id"])
            else:
                u = st.user_by_email(body.get("email", MAIN_EMAIL))
                if u is None:
                    return bad("unknown email")
                uid = u["id"]
            try:
                duration = int(body.get("duration", 86400))
                age = int(body.get("age", 0))
            except (TypeError, ValueError):
                return bad("duration/age must be integers")
            tok = st.add_token(uid, str(body.get("name", "control")), duration,
                               create_date=app.cfg.clock.now() - age)
        return ok({"access_token": tok})
    if p == "/__fake__/clock" and m in ("GET", "POST"):
        try:
            now, frozen = app.cfg.clock.control(
                freeze=body.get("freeze") if isinstance(body, dict) else None,
                advance=body.get("advance") if isinstance(body, dict) else None,
                set_to=body.get("set") if isinstance(body, dict) else None)
        except (TypeError, ValueError):
            return bad("advance/set must be integers")
        return ok({"now": now, "frozen": frozen})
    if p == "/__fake__/config" and m in ("GET", "POST"):
        if isinstance(body, dict) and m == "POST":
            if "bugs" in body:
                app.cfg.bugs = bool(body["bugs"])
            if "flavor" in body:
                if body["flavor"] not in ("head", "fb68b26"):
                    return bad("flavor must be head or fb68b26")
                app.cfg.flavor = body["flavor"]
            if "ascending_ids" in body:
                with _ascending_lock:
                    _ascending["on"] = bool(body["ascending_ids"])
        return ok({"bugs": app.cfg.bugs, "flavor": app.cfg.flavor, "seed": app.cfg.seed,
                   "ascending_ids": _ascending["on"]})
    if p == "/__fake__/templates" and m == "GET":
        with app.db_lock:
            return ok({"templates": [{k: t[k] for k in ("id", "name", "filename", "team_id",
                                                        "user_id")}
                                     for t in app.state.templates.values()]})
    if p == "/__fake__/tokens" and m == "GET":
        # Every token PCF holds, and whether PCF would still accept it (the
        # strict ">" on whole seconds: a disabled token counts as live until
        # the next second starts, as in PCF).
        with app.db_lock:
            now = app.cfg.clock.now()
            return ok({"tokens": [{"id": t["id"], "name": t["name"], "user_id": t["user_id"],
                                   "create_date": t["create_date"], "duration": t["duration"],
                                   "disabled": t["duration"] == 0,
                                   "live": not now > t["create_date"] + t["duration"]}
                                  for t in app.state.tokens.values()]})
    if p == "/__fake__/users" and m == "GET":
        with app.db_lock:
            return ok({"users": [{"id": u["id"], "email": u["email"], "password": u["password"]}
                                 for u in app.state.users.values()]})
    extra = fake_state.control(app, req, body, json_resp)  # state read-back, planting
    if extra is not None:
        return extra
    return json_resp({"status": "error", "error": "unknown control endpoint"}, 404)


# ------------------------------------------------------------------ sessions

def load_session(app, req):
    st = app.state
    sid = None
    raw = req.headers.get("Cookie")
    if raw:
        try:
            c = http.cookies.SimpleCookie(raw)
            if "session" in c:
                sid = c["session"].value
        except http.cookies.CookieError:
            sid = None
    if not sid or len(sid) > 128:
        sid = gen_id().replace("-", "")
        req.new_cookie = sid
    if sid not in st.sessions:
        # Flask-Session keeps an unknown sid and starts it empty.
        if len(st.sessions) >= MAX_SESSIONS:
            del st.sessions[next(iter(st.sessions))]
        st.sessions[sid] = {"user_id": None, "csrf": os.urandom(20).hex()}
    req.session_id = sid
    req.session = st.sessions[sid]


def csrf_ok(req, headers_too=False):
    """Flask-WTF: the csrf_token form field; CSRFProtect (the global check)
    also takes the X-CSRFToken / X-CSRF-Token headers."""
    tok = req.fget("csrf_token")
    if not tok and headers_too:
        tok = req.headers.get("X-CSRFToken") or req.headers.get("X-CSRF-Token")
    return bool(tok) and tok == req.session["csrf"]


def csrf_referrer_ok(req):
    """CSRFProtect on HTTPS (WTF_CSRF_SSL_STRICT): the Referer must be present
    and same-origin with https://<Host>/."""
    ref = req.headers.get("Referer")
    if not ref:
        return False
    host = req.headers.get("Host", "")
    r = urllib.parse.urlsplit(ref)
    return r.scheme == "https" and r.netloc == host


# -------------------------------------------------------------------- API v1

T = Field("uuid", required=True)


class Ctx:
    def __init__(self, app, req, args, params):
        self.app, self.req, self.args, self.params = app, req, args, params
        self.st = app.state
        self.cfg = app.cfg
        self.user = self.token = self.team = self.project = None
        self.host = self.port = self.network = self.issue = self.poc = None


def chk_token(c):
    tok = c.st.tokens.get(c.args["access_token"])
    if tok is None:
        return fail("Token not found!")
    if c.cfg.clock.now() > tok["create_date"] + tok["duration"]:
        return fail("Token expired!")
    user = c.st.users.get(tok["user_id"])
    if user is None:
        return fail("User not found!")
    c.user, c.token = user, tok
    return None


def chk_team(c):
    team = c.st.teams.get(c.params["team_id"])
    if team is None:
        return fail("Team not found!")
    if not (c.user["email"] == team["admin_email"] or c.user["id"] == team["admin_id"]
            or c.user["id"] in team["users"]):
        return fail("User does not have access to this team!")
    c.team = team
    return None


def chk_team_admin(c):
    if not c.st.team_is_admin(c.team, c.user):
        return fail("User is not a team administrator")
    return None


def chk_project(c):
    p = c.st.project_access(c.params["project_id"], c.user["id"])
    if p is None:
        return fail("Project not found!")
    c.project = p
    return None


def chk_archived(c):
    if c.st.archived_check(c.project):
        return fail("Project was archived!")
    return None


def chk_host(c):
    h = c.st.hosts.get(c.params["host_id"])
    if h is None or h["project_id"] != c.project["id"]:
        return fail("Host not found!")
    c.host = h
    return None


def chk_port(c):
    p = c.st.project_port(c.project["id"], c.params["port_id"])
    if p is None:
        return fail("Port not found!")
    h = c.st.hosts.get(p["host_id"])
    if h is None:
        return fail("Host not found!")
    c.port, c.host = p, h
    return None


def chk_network(c):
    n = c.st.networks.get(c.params["network_id"])
    if n is None or n["project_id"] != c.project["id"]:
        return fail("Network not found!")
    c.network = n
    return None


def chk_issue(c):
    i = c.st.issues.get(c.params["issue_id"])
    if i is None or i["project_id"] != c.project["id"]:
        return fail("Issue not found!")
    c.issue = i
    return None


def chk_poc(c):
    p = c.st.pocs.get(c.params["poc_id"])
    if p is None:
        return fail("PoC not found!")
    if p["issue_id"] != c.issue["id"]:
        return fail("Wrong issue id!")
    c.poc = p
    return None


def api_route(app, pattern, schema, checks=(chk_token,)):
    def deco(fn):
        def wrapped(app_, req, **params):
            try:
                body = req.json_body()
            except (ValueError, UnicodeDecodeError):
                return Response(400, WERKZEUG_400)
            args, bad = load_args(schema, body)
            if bad:
                return fail("Fields with errors: " + ", ".join("`{}`".format(b) for b in bad))
            ctx = Ctx(app_, req, args, params)
            for check in checks:
                r = check(ctx)
                if r is not None:
                    return r
            r = fn(ctx)
            return json_resp(r) if isinstance(r, dict) else r
        wrapped.__name__ = fn.__name__
        app.routes.append(Route({"POST"}, "/api/v1" + pattern, wrapped, "/api/v1" + pattern,
                                "api"))
        return fn
    return deco


def user_obj(u, with_admin=None):
    o = {"id": u["id"], "email": u["email"], "fname": u["fname"], "lname": u["lname"],
         "company": u["company"]}
    if with_admin is not None:
        o["is_admin"] = with_admin
    return o


def project_obj(st, p):
    o = {"id": p["id"], "name": p["name"], "description": p["description"], "type": p["type"],
         "scope": p["scope"], "start_date": p["start_date"], "end_date": p["end_date"],
         "folder": p["folder"], "report_title": p["report_title"],
         "status": "active" if p["status"] else "archived", "admin_id": p["admin_id"]}
    o["testers"] = [user_obj(st.users[t], st.users[t]["id"] == p["admin_id"])
                    for t in p["testers"] if t in st.users]
    o["teams"] = [{"id": t["id"], "name": t["name"], "description": t["description"],
                   "admin_email": t["admin_email"], "admin_id": t["admin_id"]}
                  for t in (st.teams.get(tid) for tid in p["teams"]) if t is not None]
    return o


def host_obj(st, h, with_ports=False):
    o = {"id": h["id"], "ip": h["ip"], "description": h["comment"],
         "threats": list(h["threats"]), "os": h["os"],
         "hostnames": [{"id": x["id"], "hostname": x["hostname"], "description": x["description"]}
                       for x in st.host_hostnames(h["id"])],
         "issues": [i["id"] for i in st.host_issues(h["id"])]}
    if with_ports:
        o["ports"] = [{"id": p["id"], "port": p["port"], "is_tcp": p["is_tcp"],
                       "service": p["service"], "description": p["description"]}
                      for p in st.host_ports(h["id"])]
    return o


def network_obj(st, n):
    return {"id": n["id"], "ip": n["ip"], "mask": n["mask"], "description": n["comment"],
            "is_ipv6": bool(n["is_ipv6"]), "asn": int(n["asn"] or 0),
            "hosts": [h["id"] for h in st.network_hosts(n)], "internal_ip": n["internal_ip"],
            "access_from": json.loads(json.dumps(n["access_from"])), "cmd": n["cmd"],
            "name": n["name"]}


ISSUE_API_KEYS = ("name", "cvss", "url_path", "description", "cve", "cwe", "status", "fix",
                  "param", "type", "technical", "risks", "references", "intruder")


def issue_obj(st, i, info=False):
    o = {k: i[k] for k in ISSUE_API_KEYS}
    o["services"] = json.loads(json.dumps(i["services"]))
    o["fields"] = json.loads(json.dumps(i["fields"]))
    if info:
        o["pocs"] = {p["id"]: {"priority": int(p["priority"])} for p in st.issue_pocs(i["id"])}
    else:
        o["issue_id"] = i["id"]
    return o


def check_services(st, pid, services):
    """API v1's services/access_from validation (port UUID, port in project,
    hostname on the port's host)."""
    for port_id, hn_ids in services.items():
        if not is_uuid(port_id):
            return "Invalid port UUID!"
        port = st.project_port(pid, port_id.lower())
        if port is None:
            return "Some ports are not in project!"
        for hn in hn_ids:
            if hn != "0":
                if not is_uuid(hn):
                    return "Invalid hostname UUID!"
                h = st.hostnames.get(hn.lower())
                if h is None or h["host_id"] != port["host_id"]:
                    return "Invalid hostname UUID!"
    return None


def convert_fields(spec):
    """Custom fields: keep text/number/float/boolean that convert, drop the rest."""
    out = {}
    for name, f in spec.items():
        ftype, val = f.get("type"), f.get("value", "")
        try:
            if ftype == "text":
                out[name] = {"type": ftype, "value": str(val)}
            elif ftype == "number":
                out[name] = {"type": ftype, "value": int(val)}
            elif ftype == "float":
                out[name] = {"type": ftype, "value": float(val)}
            elif ftype == "boolean":
                out[name] = {"type": ftype, "value": bool(int(val))}
        except (TypeError, ValueError):
            pass
    return out


def valid_hostname(name):
    """email_validator.validate_email_domain_part, which PCF uses."""
    if not isinstance(name, str) or not name or len(name) > 253 or "." not in name.strip("."):
        return False
    name = name[:-1] if name.endswith(".") else name
    labels = name.split(".")
    for lab in labels:
        if not re.fullmatch(r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?", lab):
            return False
    return not labels[-1].isdigit()


def build_api(app):
    r = lambda pattern, schema, checks=(chk_token,): api_route(app, pattern, schema, checks)
    TOK = (chk_token,)
    TEAM = (chk_token, chk_team)
    TEAM_ADMIN = (chk_token, chk_team, chk_team_admin)
    PROJ = (chk_token, chk_project)
    PROJ_W = (chk_token, chk_project, chk_archived)

    def spec(app_, req):
        try:
            with open(app_.cfg.swagger, "rb") as fh:
                data = fh.read()
        except OSError:
            return error_page(404)
        return Response(200, data, "application/json",
                        [("Content-Disposition", "inline; filename=swagger_v1.0.0.json")])
    app.routes.append(Route({"GET"}, "/api/v1/swagger_v1.0.0.json", spec,
                            "/api/v1/swagger_v1.0.0.json", "spec"))

    @r("/create_token", {"email": Field("email", True), "password": Field("str", True),
                         "name": Field("str", default=""),
                         "duration": Field("int", default=86400, check=lambda p: p > 0)}, ())
    def create_token(c):
        u = c.st.user_by_email(c.args["email"])
        if u is None or u["password"] != c.args["password"]:
            return fail("Auth error!")
        return {"access_token": c.st.add_token(u["id"], c.args["name"], c.args["duration"])}

    def token_plain(c):
        tok = c.st.tokens.get(c.args["access_token"])
        if tok is None:
            return None, fail("Token not found!")
        if c.cfg.clock.now() > tok["create_date"] + tok["duration"]:
            return None, fail("Token expired!")
        if tok["user_id"] not in c.st.users:
            return None, fail("User not found!")
        return tok, None

    @r("/check_token", {"access_token": T}, ())
    def check_token(c):
        tok, err = token_plain(c)
        if err:
            return err
        now = c.cfg.clock.now()
        return {"access_token": tok["id"], "creation_date": tok["create_date"],
                "duration": tok["duration"],
                "time_left": tok["duration"] - (now - tok["create_date"])}

    @r("/disable_token", {"access_token": T}, ())
    def disable_token(c):
        tok, err = token_plain(c)
        if err:
            return err
        tok["duration"] = 0
        return {"status": "ok"}

    def teams_of(c):
        return [{"id": t["id"], "name": t["name"], "description": t["description"],
                 "is_admin": c.st.team_is_admin(t, c.user)} for t in c.st.user_teams(c.user["id"])]

    @r("/user/me", {"access_token": T}, TOK)
    def user_me(c):
        o = user_obj(c.user)
        o["email"] = c.user["lname"]            # PCF bug: email carries lname
        o["teams"] = teams_of(c)
        return o

    @r("/user/<uuid:user_id>/info", {"access_token": T}, TOK)
    def user_info(c):
        u = c.st.users.get(c.params["user_id"])
        if u is None:
            return {"error": ["User not found!"]}
        o = user_obj(u)
        o["email"] = u["lname"]
        return o

    @r("/teams", {"access_token": T}, TOK)
    def teams(c):
        return {"teams": teams_of(c)}

    @r("/team/<uuid:team_id>/info", {"access_token": T}, TEAM)
    def team_info(c):
        t = c.team
        return {"id": t["id"], "name": t["name"], "description": t["description"],
                "admin_email": t["admin_email"], "admin_id": t["admin_id"],
                "is_admin": c.st.team_is_admin(t, c.user)}

    @r("/team/<uuid:team_id>/users", {"access_token": T}, TEAM)
    def team_users(c):
        out = []
        for uid in c.team["users"]:
            u = c.st.users.get(uid)
            if u is None:
                raise ServerError("team member without a user row")
            out.append(user_obj(u, c.st.team_is_admin(c.team, u)))
        return {"users": out}

    @r("/team/<uuid:team_id>/projects", {"access_token": T}, TEAM)
    def team_projects(c):
        now = c.cfg.clock.now()
        out = []
        for p in c.st.projects.values():
            if c.team["id"] not in p["teams"]:
                continue
            out.append({"name": p["name"], "description": p["description"], "type": p["type"],
                        "scope": p["scope"], "start_date": p["start_date"],
                        "end_date": p["end_date"],
                        "status": "archived" if (p["end_date"] < now and p["auto_archive"])
                        else "active",
                        "admin_id": p["admin_id"], "folder": p["folder"],
                        "report_title": p["folder"]})          # PCF repeats folder here
        return {"projects": out}

    @r("/team/<uuid:team_id>/logs", {"access_token": T,
                                     "offset": Field("int", default=0, check=lambda p: p >= 0),
                                     "limit": Field("int", default=100, check=lambda p: p >= 0)},
       TEAM)
    def team_logs(c):
        logs = [(i, l) for i, l in enumerate(c.st.logs) if c.team["id"] in l["teams"]]
        logs.sort(key=lambda x: (x[1]["date"], x[0]), reverse=True)
        sel = logs[c.args["offset"]:c.args["offset"] + c.args["limit"]]
        return {"logs": [{"id": l["id"], "description": l["description"], "date": l["date"],
                          "project": l["project"], "user_id": l["user_id"]} for _, l in sel]}

    @r("/team/<uuid:team_id>/info/update", {"access_token": T, "name": Field("str"),
                                            "description": Field("str"),
                                            "admin_email": Field("str")}, TEAM_ADMIN)
    def team_update(c):
        t = c.team
        for k, dst in (("name", "name"), ("description", "description"),
                       ("admin_email", "admin_email")):
            if k in c.args:
                t[dst] = c.args[k]
        c.st.log("Team information was updated!", c.user["id"], [t["id"]])
        return {"status": "ok"}

    @r("/team/<uuid:team_id>/users/add", {"access_token": T, "email": Field("email", True),
                                          "is_admin": Field("bool", default=False)}, TEAM_ADMIN)
    def team_add(c):
        t = c.team
        if c.args["email"] == t["admin_email"]:
            return fail("User is already in team!")
        u = c.st.user_by_email(c.args["email"])
        if u is None:
            return fail("Email does not exist!")
        if u["id"] in t["users"] or u["id"] == t["admin_id"]:
            return fail("User is already in team!")
        role = "admin" if c.args["is_admin"] else "tester"
        t["users"][u["id"]] = role
        c.st.log("User {} role was changed to {}!".format(u["email"], role), c.user["id"],
                 [t["id"]])
        return {"status": "ok"}

    UA = {"access_token": T, "user_id": Field("uuid", True)}

    @r("/team/<uuid:team_id>/users/delete", UA, TEAM_ADMIN)
    def team_delete(c):
        if c.cfg.bugs:
            raise ServerError("Database has no delete_user_from_team with these arguments")
        t, uid = c.team, c.args["user_id"]
        if t["admin_id"] == uid:
            return fail("Can't kick team creator.")
        if uid not in t["users"]:
            return fail("User is not in team")
        del t["users"][uid]
        c.st.log("User {} was removed from team!".format(c.st.users[uid]["email"]
                                                          if uid in c.st.users else uid),
                 c.user["id"], [t["id"]])
        return {"status": "ok"}

    @r("/team/<uuid:team_id>/users/set_admin", UA, TEAM_ADMIN)
    def team_set_admin(c):
        t, uid = c.team, c.args["user_id"]
        if t["admin_id"] == uid:
            return fail("User is already admin.")
        if uid not in t["users"]:
            return fail("User is not in team")
        if t["users"][uid] != "tester":
            return fail("User is not team tester.")
        t["users"][uid] = "admin"
        c.st.log("User {} was promoted to admin!".format(c.st.users[uid]["email"]),
                 c.user["id"], [t["id"]])
        return {"status": "ok"}

    @r("/team/<uuid:team_id>/users/devote", UA, TEAM_ADMIN)
    def team_devote(c):
        t, uid = c.team, c.args["user_id"]
        if t["admin_id"] == uid:
            return fail("Can't devote team creator.")
        if uid not in t["users"]:
            return fail("User is not in team")
        if t["users"][uid] != "admin":
            return fail("User is not team administrator.")
        t["users"][uid] = "tester"
        c.st.log("User {} was devoted to tester!".format(c.st.users[uid]["email"]),
                 c.user["id"], [t["id"]])
        return {"status": "ok"}

    @r("/projects", {"access_token": T}, TOK)
    def projects(c):
        return {"projects": [project_obj(c.st, p) for p in c.st.user_projects(c.user["id"])]}

    def check_teams_testers(c, teams, testers):
        for tid in teams:
            if tid not in c.st.teams:
                return "Team {} does not exist!".format(tid)
        my_teams = c.st.user_teams(c.user["id"])
        for uid in testers:
            shared = any(uid in t["users"] or uid == t["admin_id"] for t in my_teams)
            if not shared or uid not in c.st.users:
                return "User {} not found!".format(uid)
        return None

    @r("/project/new", {"access_token": T, "name": Field("str", True),
                        "description": Field("str", default=""),
                        "type": Field("str", True, choices=["pentest"]),
                        "scope": Field("str", default=""),
                        "start_date": Field("int", default=None),
                        "end_date": Field("int", default=None),
                        "auto_archive": Field("bool", default=None),
                        "testers": Field("list_uuid", default=[]),
                        "teams": Field("list_uuid", default=[]),
                        "folder": Field("str", default=""),
                        "report_title": Field("str", default="")}, TOK)
    def project_new(c):
        a = c.args
        err = check_teams_testers(c, a["teams"], a["testers"])
        if err:
            return fail(err)
        if None in (a["start_date"], a["end_date"], a["auto_archive"]):
            if c.cfg.bugs:
                raise ServerError("int(None) in insert_new_project")
            now = c.cfg.clock.now()
            a["start_date"] = now if a["start_date"] is None else a["start_date"]
            a["end_date"] = now + 30 * 86400 if a["end_date"] is None else a["end_date"]
            a["auto_archive"] = bool(a["auto_archive"])
        pid = c.st.add_project(a["name"], c.user["id"], a["description"], a["type"], a["scope"],
                               a["start_date"], a["end_date"], a["auto_archive"], a["testers"],
                               a["teams"], a["folder"], a["report_title"])
        return {"project_id": pid}

    @r("/project/<uuid:project_id>/settings", {"access_token": T}, PROJ)
    def project_settings(c):
        return project_obj(c.st, c.project)

    @r("/project/<uuid:project_id>/settings/edit",
       {"access_token": T, "name": Field("str", default=None),
        "folder": Field("str", default=None), "report_title": Field("str", default=None),
        "description": Field("str", default=None),
        "type": Field("str", default=None, choices=["pentest", None]),
        "scope": Field("str", default=None), "start_date": Field("int", default=None),
        "end_date": Field("int", default=None), "auto_archive": Field("bool", default=None),
        "status": Field("str", default=None, choices=["active", "archived", None]),
        "testers": Field("list_uuid", default=None), "teams": Field("list_uuid", default=None)},
       PROJ)
    def project_edit(c):
        a, p = c.args, c.project
        teams = a["teams"] if a["teams"] is not None else list(p["teams"])
        testers = a["testers"] if a["testers"] is not None else list(p["testers"])
        err = check_teams_testers(c, teams, testers)
        if err:
            return fail(err)
        for k in ("name", "description", "folder", "report_title", "type", "scope",
                  "start_date", "end_date"):
            if a[k] is not None:
                p[k] = a[k]
        if a["auto_archive"] is not None:
            p["auto_archive"] = int(a["auto_archive"])
        if a["status"] is not None:
            p["status"] = int(a["status"] == "active")
            if p["status"]:
                p["auto_archive"] = 0
        p["teams"], p["testers"] = teams, testers
        return {"status": "ok"}

    @r("/project/<uuid:project_id>/hosts", {"access_token": T}, PROJ)
    def hosts(c):
        return {"hosts": [host_obj(c.st, h) for h in c.st.project_hosts(c.project["id"])]}

    @r("/project/<uuid:project_id>/host/<uuid:host_id>/info", {"access_token": T},
       PROJ + (chk_host,))
    def host_info(c):
        return host_obj(c.st, c.host, with_ports=True)

    @r("/project/<uuid:project_id>/host/<uuid:host_id>/edit",
       {"access_token": T, "description": Field("str", default=None),
        "os": Field("str", default=None), "threats": Field("list_threats", default=None)},
       PROJ_W + (chk_host,))
    def host_edit(c):
        for k, dst in (("description", "comment"), ("os", "os"), ("threats", "threats")):
            if c.args[k] is not None:
                c.host[dst] = c.args[k]
        return {"status": "ok"}

    @r("/project/<uuid:project_id>/host/new",
       {"access_token": T, "ip": Field("str", True),
        "description": Field("str", default="")}, PROJ_W)
    def host_new(c):
        ip = c.args["ip"]
        if c.cfg.flavor != "head":
            # fb68b26 still had fields.IP here; HEAD relaxed it to a string.
            if ip_or_none(ip) is None:
                return fail("Fields with errors: `ip`")
            ip = str(ipaddress.ip_address(ip))
        if c.st.host_by_ip(c.project["id"], ip):
            return fail("Host already exist!")
        return {"host_id": c.st.add_host(c.project["id"], ip, c.user["id"],
                                         c.args["description"])}

    @r("/project/<uuid:project_id>/host/<uuid:host_id>/delete", {"access_token": T},
       PROJ_W + (chk_host,))
    def host_delete(c):
        c.st.delete_host(c.host["id"])
        return {"status": "ok"}

    PORT_EDIT = {"access_token": T, "service": Field("str", default=None),
                 "description": Field("str", default=None)}

    @r("/project/<uuid:project_id>/port/<uuid:port_id>/info", {"access_token": T},
       PROJ + (chk_port,))
    def port_info(c):
        p = c.port
        return {"id": p["id"], "port": p["port"], "is_tcp": p["is_tcp"], "service": p["service"],
                "description": p["description"], "host_id": c.host["id"],
                "issues": [i["id"] for i in c.st.port_issues(p["id"])]}

    @r("/project/<uuid:project_id>/port/<uuid:port_id>/edit", PORT_EDIT, PROJ_W + (chk_port,))
    def port_edit(c):
        for k in ("service", "description"):
            if c.args[k] is not None:
                c.port[k] = c.args[k]
        return {"status": "ok"}

    @r("/project/<uuid:project_id>/port/<uuid:port_id>/delete", PORT_EDIT, PROJ_W + (chk_port,))
    def port_delete(c):
        c.st.delete_port(c.port["id"])
        return {"status": "ok"}

    @r("/project/<uuid:project_id>/port/new",
       {"access_token": T, "host_id": Field("uuid", True),
        "port": Field("int", True, check=lambda p: 0 < p <= 65535),
        "is_tcp": Field("bool", default=True), "service": Field("str", default=""),
        "description": Field("str", default="")}, PROJ_W)
    def port_new(c):
        h = c.st.hosts.get(c.args["host_id"])
        if h is None or h["project_id"] != c.project["id"]:
            return fail("Host not found!")
        pid = c.st.add_port(h["id"], c.args["port"], c.args["is_tcp"], c.args["service"],
                            c.args["description"], c.user["id"])
        if pid is None:
            return fail("Port already exists!")
        return {"port_id": pid}

    @r("/project/<uuid:project_id>/hostnames", {"access_token": T}, PROJ)
    def hostnames(c):
        out = []
        for hn in c.st.hostnames.values():
            h = c.st.hosts.get(hn["host_id"])
            if h is None or h["project_id"] != c.project["id"]:
                continue
            out.append({"id": hn["id"], "hostname": hn["hostname"],
                        "description": hn["description"],
                        "host": {"id": h["id"], "ip": h["ip"], "description": h["comment"],
                                 "os": h["os"]}})
        return {"hostnames": out}

    @r("/project/<uuid:project_id>/hostname/add",
       {"access_token": T, "description": Field("str", default=""),
        "hostname": Field("str", True), "host_id": Field("uuid", True)}, PROJ_W)
    def hostname_add(c):
        name = c.args["hostname"]
        if not valid_hostname(name):
            return fail("Invalid hostname!")
        h = c.st.hosts.get(c.args["host_id"])
        if h is None or h["project_id"] != c.project["id"]:
            return fail("Invalid host UUID!")
        cur = c.st.find_hostname(h["id"], name)
        if cur:
            if c.args["description"] != "":
                cur["description"] = c.args["description"]
            return {"id": cur["id"]}
        return {"id": c.st.add_hostname(h["id"], name, c.args["description"], c.user["id"])}

    @r("/project/<uuid:project_id>/networks", {"access_token": T}, PROJ)
    def networks(c):
        return {"networks": [network_obj(c.st, n) for n in c.st.networks.values()
                             if n["project_id"] == c.project["id"]]}

    @r("/project/<uuid:project_id>/network/<uuid:network_id>/info", {"access_token": T},
       PROJ + (chk_network,))
    def network_info(c):
        return network_obj(c.st, c.network)

    ip_kind = "str"

    def network_checks(c, ip, mask, access_from, own_id=None):
        if ip_or_none(ip) is None:
            if c.cfg.bugs and c.cfg.flavor == "head":
                raise ServerError("ipaddress on a non-IP network address")
            return "Fields with errors: `ip`"
        if mask > 32 and ":" not in ip:
            return "Mask too large for IPv4!"
        for n in c.st.networks.values():
            if (n["project_id"] == c.project["id"] and n["ip"] == ip and n["mask"] == mask
                    and n["id"] != own_id):
                return "Network already exists!"
        return check_services(c.st, c.project["id"], access_from)

    @r("/project/<uuid:project_id>/network/create",
       {"access_token": T, "description": Field("str", default=""),
        "name": Field("str", default=""), "ip": Field(ip_kind, True),
        "mask": Field("int", True, check=lambda m: 0 <= m <= 128),
        "asn": Field("int", default=0), "internal_ip": Field("str", default=""),
        "cmd": Field("str", default=""), "access_from": Field("services", default={})}, PROJ_W)
    def network_create(c):
        a = c.args
        name = a["name"]
        if c.cfg.bugs:
            try:
                name = int(name)             # PCF does int(name): "007" is stored as 7
            except ValueError:
                raise ServerError("int() of a network name")
            if not -2 ** 63 <= name < 2 ** 63:
                # sqlite3 cannot bind it; PCF HEAD's database stays locked after
                # a failed statement, so the real server hangs from here on.
                raise ServerError("OverflowError: Python int too large to convert to SQLite INTEGER")
            name = str(name)
        err = network_checks(c, a["ip"], a["mask"], a["access_from"])
        if err:
            return fail(err)
        nid = gen_id()
        a["ip"] = str(ipaddress.ip_address(a["ip"]))
        c.st.networks[nid] = {"id": nid, "project_id": c.project["id"], "ip": a["ip"],
                              "mask": a["mask"], "asn": a["asn"], "comment": a["description"],
                              "is_ipv6": ":" in a["ip"], "internal_ip": a["internal_ip"],
                              "cmd": a["cmd"], "access_from": {k.lower(): v for k, v in
                                                               a["access_from"].items()},
                              "name": name}
        return {"status": "ok", "network_id": nid}

    @r("/project/<uuid:project_id>/network/<uuid:network_id>/edit",
       {"access_token": T, "description": Field("str", default=None),
        "ip": Field(ip_kind, default=None), "name": Field("str", default=None),
        "mask": Field("int", default=None, check=lambda m: 0 <= m <= 128),
        "asn": Field("int", default=None), "internal_ip": Field("str", default=None),
        "cmd": Field("str", default=None), "access_from": Field("services", default=None)},
       PROJ_W + (chk_network,))
    def network_edit(c):
        a, n = c.args, c.network
        new = {k: (a[k] if a[k] is not None else n[dst]) for k, dst in (
            ("description", "comment"), ("ip", "ip"), ("name", "name"), ("mask", "mask"),
            ("asn", "asn"), ("internal_ip", "internal_ip"), ("cmd", "cmd"),
            ("access_from", "access_from"))}
        err = network_checks(c, new["ip"], int(new["mask"]), new["access_from"], n["id"])
        if err:
            return fail(err)
        for k, dst in (("description", "comment"), ("ip", "ip"), ("name", "name"),
                       ("mask", "mask"), ("asn", "asn"), ("internal_ip", "internal_ip"),
                       ("cmd", "cmd"), ("access_from", "access_from")):
            n[dst] = new[k]
        n["ip"] = str(ipaddress.ip_address(n["ip"]))
        n["mask"] = int(n["mask"])
        n["access_from"] = {k.lower(): v for k, v in n["access_from"].items()}
        n["is_ipv6"] = ":" in n["ip"]
        return {"status": "ok"}

    @r("/project/<uuid:project_id>/network/<uuid:network_id>/delete", {"access_token": T},
       PROJ_W + (chk_network,))
    def network_delete(c):
        del c.st.networks[c.network["id"]]
        return {"status": "ok"}

    @r("/project/<uuid:project_id>/issues/list", {"access_token": T}, PROJ)
    def issues_list(c):
        return {"issues": [issue_obj(c.st, i) for i in c.st.project_issues(c.project["id"])]}

    SEARCH = {k: Field("str", default="%") for k in (
        "name", "cvss", "url_path", "description", "cve", "cwe", "status", "fix", "param",
        "type", "technical", "risks", "user_id", "references", "intruder")}
    SEARCH["access_token"] = T
    SEARCH["fields"] = Field("str_dict", default={})

    @r("/project/<uuid:project_id>/issues/search", SEARCH, PROJ)
    def issues_search(c):
        out = []
        for i in c.st.project_issues(c.project["id"]):
            if not all(sql_like(c.args[k], i[k]) for k in SEARCH
                       if k not in ("access_token", "fields")):
                continue
            ok = True
            for fname, pat in c.args["fields"].items():
                f = i["fields"].get(fname)
                if f is None or not sql_like(pat, f["value"] if f["type"] != "boolean"
                                             else int(f["value"])):
                    ok = False
            if ok:
                out.append(issue_obj(c.st, i))
        return {"issues": out}

    @r("/project/<uuid:project_id>/issues/<uuid:issue_id>/info", {"access_token": T},
       PROJ + (chk_issue,))
    def issue_info(c):
        return issue_obj(c.st, c.issue, info=True)

    FIELDS_SPEC = Field("fields", default={})
    CREATE = {"access_token": T, "name": Field("str", True),
              "cvss": Field("float", default=0, check=lambda v: 0 <= v <= 10),
              "url_path": Field("str", default=""), "description": Field("str", default=""),
              "cve": Field("str", default=""), "cwe": Field("int", default=0),
              "status": Field("str", default="need to recheck"), "fix": Field("str", default=""),
              "type": Field("str"),
              "param": Field("str", default=""), "technical": Field("str", default=""),
              "risks": Field("str", default=""), "references": Field("str", default=""),
              "intruder": Field("str", default=""), "services": Field("services", default={}),
              "fields": FIELDS_SPEC, "dublicate_find": Field("bool", default=False)}

    @r("/project/<uuid:project_id>/issues/create", CREATE, PROJ_W)
    def issue_create(c):
        a = c.args
        if a["name"] == "":
            return fail("Name must not be empty!")
        err = check_services(c.st, c.project["id"], a["services"])
        if err:
            return fail(err)
        services = {k.lower(): v for k, v in a["services"].items()}
        fields = convert_fields(a["fields"])
        a.setdefault("type", c.cfg.default_issue_type())
        values = {k: a[k] for k in ISSUE_API_KEYS}
        if a["dublicate_find"]:
            for i in c.st.project_issues(c.project["id"]):
                if all(i[k] == values[k] for k in ISSUE_API_KEYS):
                    i["fields"].update(fields)
                    return {"status": "ok", "issue_id": i["id"]}
        if c.cfg.head_bugs():
            raise Wedge()
        iid = c.st.new_issue(c.project["id"], c.user["id"], services=services, fields=fields,
                             **values)
        return {"status": "ok", "issue_id": iid}

    EDIT = {k: Field(f.kind, default=None, check=f.check) for k, f in CREATE.items()
            if k not in ("access_token", "dublicate_find")}
    EDIT["access_token"] = T

    @r("/project/<uuid:project_id>/issues/<uuid:issue_id>/edit", EDIT, PROJ_W + (chk_issue,))
    def issue_edit(c):
        a, i = c.args, c.issue
        if a["name"] == "":
            return fail("Name must not be empty!")
        services = a["services"] if a["services"] is not None else i["services"]
        err = check_services(c.st, c.project["id"], services)
        if err:
            return fail(err)
        if c.cfg.head_bugs():
            raise ServerError("update_issue() missing CVSS-vector arguments")
        for k in ISSUE_API_KEYS:
            if a[k] is not None:
                i[k] = float(a[k]) if k == "cvss" else a[k]
        i["services"] = {k.lower(): v for k, v in services.items()}
        if a["fields"] is not None:
            new = convert_fields(a["fields"])
            for name, f in i["fields"].items():
                if f["type"] == "file" and name not in new:
                    new[name] = f
            if new:
                i["fields"] = new
        return {"status": "ok"}

    @r("/project/<uuid:project_id>/issues/<uuid:issue_id>/delete", {"access_token": T},
       PROJ + (chk_issue,))
    def issue_delete(c):
        c.st.delete_issue(c.issue["id"])
        return {"status": "ok"}

    @r("/project/<uuid:project_id>/issues/<uuid:issue_id>/poc/add",
       {"access_token": T, "description": Field("str", default=""),
        "type": Field("str", True, choices=["image", "text"]), "b64content": Field("str", True),
        "port_id": Field("str", default="0"), "hostname_id": Field("str", default="0")},
       PROJ_W + (chk_issue,))
    def poc_add(c):
        a = c.args
        try:
            content = base64.b64decode(a["b64content"])
        except (binascii.Error, ValueError):
            return fail("Can't decode Base64!")
        if len(content) > c.cfg.poc_max:
            return fail("File too large!")
        port_id, hn_id = a["port_id"].lower(), a["hostname_id"].lower()
        if not (port_id == "0" and hn_id == "0"):
            if not c.st.pair_in_services(c.issue["services"], port_id, hn_id):
                return fail("Hostname-port id pair is not in this issue!")
        poc_id = c.st.add_poc(c.issue["id"], port_id, hn_id, a["description"], a["type"],
                              content, user_id=c.user["id"])
        return {"status": "ok", "poc_id": poc_id}

    @r("/project/<uuid:project_id>/issues/<uuid:issue_id>/poc/<uuid:poc_id>/info",
       {"access_token": T}, PROJ + (chk_issue, chk_poc))
    def poc_info(c):
        p = c.poc
        return {"id": p["id"], "description": p["description"],
                "path": "/static/files/poc/" + p["id"],
                "filename": p["id"] + (".png" if p["type"] == "image" else ".txt"),
                "port_id": p["port_id"], "hostname_id": p["hostname_id"],
                "priority": p["priority"], "type": p["type"]}

    @r("/project/<uuid:project_id>/issues/<uuid:issue_id>/poc/<uuid:poc_id>/delete",
       {"access_token": T}, PROJ_W + (chk_issue, chk_poc))
    def poc_delete(c):
        del c.st.pocs[c.poc["id"]]
        return {"status": "ok"}

    @r("/rules", {"access_token": T, "user_id": Field("uuid", default=""),
                  "team_id": Field("uuid", default=""),
                  "rule_ids": Field("list_uuid", default=None)}, TOK)
    def rules(c):
        a = c.args
        if a["rule_ids"] is None:
            if c.cfg.bugs:
                raise ServerError("iterating None rule_ids")
            a["rule_ids"] = []
        my_teams = c.st.user_teams(c.user["id"])
        names = {t["id"]: t["name"] for t in my_teams}
        if a["team_id"] and a["team_id"] not in names:
            return fail("Invalid team UUID!")
        if a["user_id"] and a["user_id"] != c.user["id"]:
            return fail("Invalid user UUID!")
        if a["user_id"]:
            sel = [x for x in c.st.rules.values() if x["user_id"] == a["user_id"]]
        elif a["team_id"]:
            sel = [x for x in c.st.rules.values() if x["team_id"] == a["team_id"]]
        else:
            sel = visible_rules(c.st, c.user)
        if a["rule_ids"]:
            sel = [x for x in sel if x["id"] in a["rule_ids"]]
        return {"result": [{"id": x["id"], "name": x["name"], "team_id": x["team_id"],
                            "user_id": x["user_id"],
                            "team_name": names.get(x["team_id"], "") if x["team_id"] else ""}
                           for x in sel]}

    @r("/project/<uuid:project_id>/issues/rules/use",
       {"access_token": T, "rule_ids": Field("list_uuid", True),
        "issue_ids": Field("list_uuid", True)}, PROJ_W)
    def rules_use(c):
        allowed = {x["id"]: x for x in visible_rules(c.st, c.user)}
        rules_ = [allowed[r_] for r_ in c.args["rule_ids"] if r_ in allowed]
        issues = [c.st.issues[i] for i in c.args["issue_ids"]
                  if i in c.st.issues and c.st.issues[i]["project_id"] == c.project["id"]]
        updated = apply_rules(c, rules_, issues)
        return {"status": "ok", "updated_issues": updated}


def visible_rules(st, user):
    team_ids = {t["id"] for t in st.user_teams(user["id"])}
    return [x for x in st.rules.values()
            if x["user_id"] == user["id"] or (x["team_id"] and x["team_id"] in team_ids)]


RULE_FIELDS = {"name": "name", "description": "description", "fix": "fix", "url": "url_path",
               "cve": "cve", "status": "status", "technical": "technical", "risks": "risks",
               "references": "references", "intruder": "intruder", "parameter": "param"}


def rule_field_value(issue, field_name):
    if field_name in RULE_FIELDS:
        return str(issue[RULE_FIELDS[field_name]])
    if field_name == "cvss":
        return str(issue["cvss"])
    if field_name == "cwe":
        return str(issue["cwe"])
    if field_name == "criticality":
        return criticality(issue["cvss"])
    f = issue["fields"].get(field_name.strip("_\t\n\r"))
    if f is not None and f["type"] != "file":
        return str(f["value"])
    return ""


def like_to_regexp(s):
    return "".join(".*" if ch == "%" else "." if ch == "_" else re.escape(ch) for ch in s) + "$"


def apply_rules(c, rules_, issues):
    """PCF's search -> extract -> replace pipeline (template replace rules
    are not reproduced).  As in PCF only the last search rule decides."""
    updated = 0
    for issue in issues:
        changed = False
        for rule in rules_:
            found = False
            for sr in rule.get("search_rules", []):
                pat = like_to_regexp(sr["value"]) if sr.get("type") == "substring" else sr["value"]
                try:
                    found = re.match(pat, rule_field_value(issue, sr["field_name"])) is not None
                except re.error:
                    found = False
            if not found:
                continue
            if c.cfg.head_bugs():
                raise ServerError("update_issue_with_fields() missing arguments")
            variables = {}
            for ev in rule.get("extract_vars", []):
                pat = (like_to_regexp(ev["value"]).replace(".*", "(.*)", 1)
                       if ev.get("type") == "substring" else ev["value"])
                try:
                    m = re.search(pat, rule_field_value(issue, ev["field_name"]))
                    variables[ev["name"]] = str(m.group(1)) if m else ""
                except (re.error, IndexError):
                    variables[ev["name"]] = ""
            for rr in rule.get("replace_rules", []):
                if rr.get("type") == "template":
                    continue
                try:
                    repl = MiniJinja(rr.get("replace_string", "")).render(variables)
                except TemplateError:
                    repl = rr.get("replace_string", "")
                filt = (re.escape(rr.get("search_filter", "")) if rr.get("type") == "substring"
                        else rr.get("search_filter", ""))
                fname = rr.get("field_name", "")
                key = RULE_FIELDS.get(fname, fname if fname in ("cvss", "cwe") else None)
                try:
                    if key:
                        new = re.sub(filt, lambda _m: repl, str(issue[key]))
                        issue[key] = (float(new) if key == "cvss" else int(new) if key == "cwe"
                                      else new)
                    else:
                        f = issue["fields"].get(fname.strip("_"))
                        if f is None or f["type"] == "file":
                            continue
                        new = re.sub(filt, lambda _m: repl, str(f["value"]))
                        f["value"] = {"text": str, "float": float, "number": int,
                                      "boolean": bool}[f["type"]](new)
                except (re.error, ValueError):
                    continue
            changed = True
        if changed:
            updated += 1
    return updated


# ----------------------------------------------------------------------- UI

def ui_route(app, methods, pattern, login=True, project=False, write=False, csrf_exempt=False):
    """Registers a web-UI route.  login: not logged in -> /logout?redirect=;
    project: membership else /projects/; write: archived project -> back."""
    def deco(fn):
        def wrapped(app_, req, **params):
            st = app_.state
            user = st.users.get(req.session.get("user_id")) if req.session else None
            if login and user is None:
                return redirect("/logout?redirect=" + urllib.parse.quote(req.path, safe=""))
            proj = None
            if project:
                proj = st.project_access(params["project_id"], user["id"])
                if proj is None:
                    return redirect("/projects/")
                if write and req.method == "POST" and st.archived_check(proj):
                    return redirect(req.headers.get("Referer")
                                    or "/project/{}/".format(proj["id"]))
            return fn(UICtx(app_, req, user, proj), **params)
        wrapped.csrf_exempt = csrf_exempt
        app.routes.append(Route(set(methods), pattern, wrapped, pattern, "ui"))
        return fn
    return deco


class UICtx:
    def __init__(self, app, req, user, project):
        self.app, self.req, self.user, self.project = app, req, user, project
        self.st, self.cfg = app.state, app.cfg

    @property
    def csrf(self):
        return self.req.session["csrf"]

    def page(self, title, body, status=200):
        return html_resp(title, body, status)


def nav(c):
    if not c.project:
        return ""
    pid = c.project["id"]
    links = [("Hosts", "/project/{}/hosts/".format(pid)), ("Issues", "/project/{}/issues/".format(pid)),
             ("Credentials", "/project/{}/credentials/".format(pid)),
             ("Notes", "/project/{}/notes/".format(pid)), ("Tools", "/project/{}/tools/".format(pid)),
             ("Reports", "/project/{}/reports/".format(pid))]
    return '<div class="ui menu">' + "".join(
        '<a class="item" href="{}">{}</a>'.format(esc(h), esc(t)) for t, h in links) + "</div>\n"


def parse_ui_services(c, pid, errors):
    """FieldLists ip_port-N / host_port-N.  Form-level errors go to errors;
    returns (services, route_error)."""
    pairs = c.req.form()[0]

    def indexed(prefix):
        items = []
        for k, v in pairs:
            m = re.fullmatch(re.escape(prefix) + r"-(\d+)", k)
            if m:
                items.append((int(m.group(1)), v))
        return [v for _, v in sorted(items, key=lambda x: x[0])]
    ip_ports, host_ports = indexed("ip_port"), indexed("host_port")
    for field_vals, check in ((ip_ports, lambda v: is_uuid(v.strip())),
                              (host_ports, lambda v: len(v.split(":")) == 2
                               and all(is_uuid(x.strip()) for x in v.split(":")))):
        per_entry = [[] if check(v) else ["Wrong port id!"] for v in field_vals]
        if any(per_entry):
            errors.extend(str(e) for e in per_entry)
    if errors:
        return {}, None
    services = {}
    for v in ip_ports:
        port = c.st.project_port(pid, v.strip().lower())
        if port is None:
            return {}, "Some ports are not in project!"
        services.setdefault(port["id"], [])
        if "0" not in services[port["id"]]:
            services[port["id"]].append("0")
    for v in host_ports:
        port_id, hn_id = (x.strip().lower() for x in v.split(":"))
        port = c.st.project_port(pid, port_id)
        if port is None:
            return {}, "Some ports are not in project!"
        hn = c.st.hostnames.get(hn_id)
        if hn is None:
            return {}, "Hostname not found error!"
        if hn["host_id"] != port["host_id"]:
            return {}, "Some ports are not with these hostnames."
        services.setdefault(port["id"], [])
        if hn_id not in services[port["id"]]:
            services[port["id"]].append(hn_id)
    return services, None


def build_ui(app):
    u = lambda methods, pattern, **kw: ui_route(app, methods, pattern, **kw)

    def login_page(c, errors=()):
        body = ('<div class="ui container"><h2>Login</h2>\n'
                + (error_block("login", errors) + "\n" if errors else "")
                + '<form class="ui form" method="post" action="/login">\n'
                + csrf_input(c.csrf) + "\n"
                + '<input type="email" name="email" placeholder="Email">\n'
                + '<input type="password" name="password" placeholder="Password">\n'
                + '<button class="ui button" type="submit">Login</button>\n</form></div>')
        return c.page("Login", body)

    @u(["GET", "POST"], "/login", login=False)
    def login(c):
        if c.req.method == "GET":
            return login_page(c)
        email, pwd = c.req.fget("email", ""), c.req.fget("password", "")
        if not valid_email(email):
            return login_page(c, ["Invalid email address."])
        user = c.st.user_by_email(email)
        if user is None:
            return login_page(c, ["Email does not exist!"])
        if user["password"] != pwd:
            return login_page(c, ["Wrong password!"])
        c.req.session["user_id"] = user["id"]
        target = (c.req.query.get("redirect") or ["/projects/"])[0]
        if not target.startswith("/") or target.startswith("//"):
            target = "/projects/"
        return redirect(target)

    @u(["GET"], "/logout", login=False)
    def logout(c):
        c.req.session["user_id"] = None
        target = (c.req.query.get("redirect") or [None])[0]
        return redirect("/login" + ("?redirect=" + urllib.parse.quote(target, safe="")
                                    if target else ""))

    @u(["GET"], "/", login=False)
    def index(c):
        return redirect("/projects/" if c.user else "/login")

    @u(["GET"], "/projects/")
    def projects_page(c):
        rows = "".join('<tr><td><a href="/project/{0}/">{1}</a></td><td>{2}</td></tr>\n'.format(
            p["id"], esc(p["name"]), "active" if p["status"] else "archived")
            for p in c.st.user_projects(c.user["id"]))
        return c.page("Projects", '<table class="ui table">\n{}</table>\n{}'.format(
            rows, csrf_input(c.csrf)))

    @u(["GET", "POST"], "/create_team")
    def create_team(c):
        errors = []
        if c.req.method == "POST":
            name = c.req.fget("name", "")
            if not name:
                errors.append("Team name is required!")
            else:
                tid = c.st.add_team(name, c.req.fget("description", ""), c.user["id"])
                return redirect("/team/{}/".format(tid))
        body = ((error_block("team", errors) + "\n" if errors else "")
                + '<form class="ui form" method="post" action="/create_team">\n'
                + csrf_input(c.csrf) + '\n<input type="text" name="name">\n'
                + '<textarea name="description"></textarea>\n</form>')
        return c.page("Create team", body)

    @u(["GET"], "/team/<uuid:team_id>/")
    def team_page(c, team_id):
        t = c.st.teams.get(team_id)
        if t is None or not (c.user["id"] in t["users"] or t["admin_id"] == c.user["id"]):
            return redirect("/projects/")
        return c.page(t["name"], "<p>{}</p>".format(esc(t["description"])))

    @u(["GET"], "/project/<uuid:project_id>/", project=True)
    def project_page(c, project_id):
        return c.page(c.project["name"], nav(c) + "<p>{}</p>".format(esc(c.project["description"])))

    @u(["GET"], "/project/<uuid:project_id>/hosts/", project=True)
    def hosts_page(c, project_id):
        rows = "".join('<tr><td><a href="/project/{}/host/{}/">{}</a></td><td>{}</td></tr>\n'.format(
            project_id, h["id"], esc(h["ip"]), esc(h["comment"]))
            for h in c.st.project_hosts(project_id))
        return c.page("Hosts", nav(c) + '<table class="ui table">\n{}</table>'.format(rows))

    @u(["GET"], "/project/<uuid:project_id>/host/<uuid:host_id>/", project=True)
    def host_page(c, project_id, host_id):
        h = c.st.hosts.get(host_id)
        if h is None or h["project_id"] != project_id:
            return redirect("/project/{}/hosts/".format(project_id))
        return c.page(h["ip"], nav(c) + csrf_input(c.csrf))

    # ---------------------------------------------------------- credentials
    def cred_form(c, values=None):
        v = values or {}
        fields = "".join('<input type="text" name="{0}" value="{1}">\n'.format(k, esc(v.get(k, "")))
                         for k in ("login", "password_hash", "hash_type", "cleartext_password",
                                   "comment", "info_source"))
        return csrf_input(c.csrf) + "\n" + fields

    def cred_values(c):
        return {"login": c.req.fget("login", ""), "hash": c.req.fget("password_hash", ""),
                "hash_type": c.req.fget("hash_type", ""),
                "cleartext": c.req.fget("cleartext_password", ""),
                "description": c.req.fget("comment", ""), "source": c.req.fget("info_source", "")}

    def crack(values, wordlist):
        if values["cleartext"] or not values["hash"] or not wordlist:
            return
        algo = {"md5_hex": "md5", "sha1_hex": "sha1", "sha256_hex": "sha256",
                "sha512_hex": "sha512"}.get(values["hash_type"])
        if not algo:
            return
        for word in WORDLIST:
            if hashlib.new(algo, word.encode()).hexdigest() == values["hash"].lower():
                values["cleartext"] = word
                return

    @u(["GET"], "/project/<uuid:project_id>/credentials/", project=True)
    def creds_list(c, project_id):
        rows = "".join(
            '<tr><td><a href="/project/{0}/credentials/{1}/">{2}</a></td><td>{3}</td></tr>\n'.format(
                project_id, x["id"], esc(x["login"]), esc(x["source"]))
            for x in c.st.creds.values() if x["project_id"] == project_id)
        return c.page("Users", nav(c) + '<table class="ui table">\n{}</table>\n{}'.format(
            rows, csrf_input(c.csrf)))

    @u(["GET", "POST"], "/project/<uuid:project_id>/credentials/new_creds", project=True,
       write=True)
    def creds_new(c, project_id):
        errors = []
        if c.req.method == "POST":
            services, route_err = parse_ui_services(c, project_id, errors)
            if route_err:
                errors.append(route_err)
            if not errors:
                values = cred_values(c)
                crack(values, c.req.fget("check_pwd", ""))
                cid = gen_id()
                c.st.creds[cid] = dict(values, id=cid, project_id=project_id, services=services)
                return redirect("/project/{}/credentials/new_creds".format(project_id))
        return c.page("New User", nav(c) + (error_block("credentials", errors) + "\n" if errors
                                            else "") + cred_form(c))

    @u(["GET", "POST"], "/project/<uuid:project_id>/credentials/<uuid:creds_id>/", project=True,
       write=True)
    def creds_edit(c, project_id, creds_id):
        cred = c.st.creds.get(creds_id)
        if cred is None or cred["project_id"] != project_id:
            return redirect("/project/{}/credentials/".format(project_id))
        errors = []
        if c.req.method == "POST":
            if c.req.fget("action") == "delete":
                del c.st.creds[creds_id]
                return redirect("/project/{}/credentials/".format(project_id))
            services, route_err = parse_ui_services(c, project_id, errors)
            if route_err:
                errors.append(route_err)
            if not errors:
                values = cred_values(c)
                crack(values, c.req.fget("check_pwd", ""))
                cred.update(values)
                cred["services"] = services
        shown = {"login": cred["login"], "password_hash": cred["hash"],
                 "hash_type": cred["hash_type"], "cleartext_password": cred["cleartext"],
                 "comment": cred["description"], "info_source": cred["source"]}
        return c.page("Login: " + cred["login"], nav(c) + (
            error_block("credentials", errors) + "\n" if errors else "") + cred_form(c, shown))

    @u(["POST"], "/project/<uuid:project_id>/credentials/export", project=True)
    def creds_export(c, project_id):
        etype = c.req.fget("export_type", "")
        if etype not in ("usernames", "passwords", "user_pass", "user_pass_variations"):
            return redirect("/project/{}/credentials/".format(project_id))
        div = c.req.fget("divider", ":") or ""
        empty = c.req.fget("empty_passwords", "0") == "1"
        login_pw = c.req.fget("login_as_password", "0") == "1"
        creds = [x for x in c.st.creds.values() if x["project_id"] == project_id]
        # PCF builds Python sets (unordered, deduplicated) of logins and
        # cleartexts; user_pass walks the credentials one by one (repeats
        # included).
        wordlist = []
        for w in c.req.fall("password_wordlist"):
            wordlist += WORDLIST[:{"top100": 4, "top1000": 8}.get(w, len(WORDLIST))]
        users = list(dict.fromkeys(x["login"] for x in creds))
        passwords = list(dict.fromkeys(x["cleartext"] for x in creds))
        if not empty and "" in passwords:
            passwords.remove("")
        if login_pw:
            passwords = list(dict.fromkeys(passwords + users))
        if etype == "usernames":
            lines = users
        elif etype == "passwords":
            lines = list(dict.fromkeys(passwords + wordlist))
        elif etype == "user_pass":
            lines = [x["login"] + div + x["cleartext"] for x in creds if empty or x["cleartext"]]
        else:
            lines = [u_ + div + p_ for u_ in users for p_ in dict.fromkeys(passwords + wordlist)]
        headers = []
        if c.req.fget("show_in_browser", "0") != "1":
            headers.append(("Content-Disposition", "attachment; filename=passwords.txt"))
        return Response(200, "\n".join(lines), "text/plain; charset=utf-8", headers)

    # ---------------------------------------------------------------- notes
    @u(["GET"], "/project/<uuid:project_id>/notes/", project=True)
    def notes_page(c, project_id):
        add_form = ('<form style="float:right" action="/project/{}/notes/add" method="post"> '
                    '{} <div class="ui action input" style="float:right"> '
                    '<input name="name" type="text" required maxlength="20" placeholder="Note name"> '
                    '<button type="submit" class="ui button blue"><i class="plus icon"></i>Add</button> '
                    '</div> </form>').format(project_id, csrf_input(c.csrf, spaced=False))
        notes = "".join('<div class="note" id="note_{}"><h3>{}</h3>{}</div>\n'.format(
            n["id"], esc(n["name"]), n["html"])
            for n in c.st.notes.values() if n["project_id"] == project_id)
        return c.page("Notes", nav(c) + add_form + "\n" + notes)

    @u(["POST"], "/project/<uuid:project_id>/notes/add", project=True, write=True)
    def notes_add(c, project_id):
        name, host_id = c.req.fget("name", ""), (c.req.fget("host_id", "") or "").lower()
        referer = c.req.headers.get("Referer")
        nid = None
        host_ok = (not host_id) or (host_id in c.st.hosts
                                    and c.st.hosts[host_id]["project_id"] == project_id)
        if name and host_ok:
            nid = gen_id()
            c.st.notes[nid] = {"id": nid, "project_id": project_id, "name": name, "html": "",
                               "host_id": host_id}
        if not referer:
            raise ServerError("redirect(None)")       # PCF: 500, but the note exists
        if nid and "/host/" in referer:
            return redirect(referer + "#/notes/note_" + nid)
        return redirect(referer)

    def notes_edit(c, project_id):
        back = redirect("/project/{}/notes/".format(project_id))
        if not csrf_ok(c.req):
            return back                    # the form's own CSRF check fails silently
        # PCF's db.update_note / delete_note read the note by id alone
        # (select_note(id)[0]: 500 when no project has it), then change it
        # WHERE id=? AND project_id=?: a note of another project is left as
        # it is and the answer is the same redirect. update_note_name reads
        # nothing: any id is a silent no-op.
        note = c.st.notes.get((c.req.fget("note_id", "") or "").lower())
        action, text = c.req.fget("action", ""), c.req.fget("text", "")
        if note is None and action in ("Update", "Delete"):
            raise ServerError("select_note(note_id)[0]: IndexError")
        if note is None or note["project_id"] != project_id:
            return back
        if action == "Update":
            note["html"] = text
        elif action == "Rename":
            note["name"] = text
        elif action == "Delete":
            del c.st.notes[note["id"]]
        return back
    ui_route(app, ["POST"], "/project/<uuid:project_id>/notes/edit", project=True, write=True,
             csrf_exempt=True)(notes_edit)

    @u(["GET"], "/project/<uuid:project_id>/print_note/<uuid:note_id>/", project=True)
    def print_note(c, project_id, note_id):
        note = c.st.notes.get(note_id)
        if note is None or note["project_id"] != project_id:
            return redirect("/project/{}/notes/".format(project_id))
        return c.page(note["name"], note["html"])

    build_ui_issues(app, u)
    build_ui_tools(app, u)

    @u(["GET"], "/static/files/poc/<uuid:poc_id>", login=False)
    def poc_file(c, poc_id):
        # PCF passes attachment_filename= to send_file, which the Flask 2.2 of
        # the reference capture rejects: 500 with or without a session.
        raise ServerError("send_file(attachment_filename=...)")


WORDLIST = ["123456", "password", "admin", "Password1", "qwerty", "Welcome1", "Winter2024!",
            "Summer2024!", "P@ssw0rd", "letmein", "root", "changeme"]


HEAD_ONLY_FIELDS = ("cvss_vector", "cvss_graph", "impact", "exploitability", "risk")


def sniff_poc(data):
    """libmagic's verdict as PCF uses it: image, text, or None (rejected)."""
    if (data.startswith(b"\x89PNG\r\n\x1a\n") or data.startswith(b"\xff\xd8\xff")
            or data[:6] in (b"GIF87a", b"GIF89a") or data.startswith(b"BM")
            or (data[:4] == b"RIFF" and data[8:12] == b"WEBP")):
        return "image"
    if not data or b"\x00" in data:
        return None
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return "text"


def ui_custom_fields(c, with_files):
    names = c.req.fall("additional_field_name")
    types = c.req.fall("additional_field_type")
    values = c.req.fall("additional_field_value")
    spec = {}
    for name, ftype, val in zip(names, types, values):
        if re.fullmatch(r"[a-zA-Z0-9_]+", name or ""):
            spec[name] = {"type": ftype, "value": val}
    out = convert_fields(spec)
    if with_files:
        fnames = c.req.fall("additional_field_filename")
        for fname, (upname, ctype, data) in zip(fnames, c.req.files("additional_field_file")):
            if not fname:
                continue
            fid = gen_id()
            c.st.files[fid] = {"id": fid, "project_id": c.project["id"], "filename": upname,
                               "content": data, "description": fname}
            out[fname] = {"type": "file", "value": fid}
    return out


def ui_issue_values(c, is_edit):
    """Validates NewIssue / UpdateIssue.  Returns (values, form_errors, route_error)."""
    f = c.req.fget
    errors = []
    name = f("name", "")
    if not name:
        errors.append("Name required!")
    cvss = 0.0
    raw = f("cvss")
    if raw is not None:
        try:
            cvss = float(raw)
        except ValueError:
            errors.append("Not a valid float value.")
            cvss = None
        if cvss is None or not 0 <= cvss <= 10:
            errors.append("CVSS must be from 0.0 to 10.0!")
    crit = -1.0
    raw = f("criticality")
    if raw is not None:
        try:
            crit = float(raw)
        except ValueError:
            errors.append("Not a valid float value.")
            crit = None
        if crit is None or not -1 <= crit <= 10:
            errors.append("Criticality must be from -1 to 10!")
    cwe = 0
    if is_edit and f("cwe") not in (None, ""):
        try:
            cwe = int(f("cwe"))
        except ValueError:
            errors.append("Not a valid integer value.")
    itype = f("issue_type")
    if itype is None:
        itype = c.cfg.default_issue_type()
    elif itype not in c.cfg.issue_types():
        errors.append("Invalid value, must be one of: {}.".format(", ".join(c.cfg.issue_types())))
    services, route_err = parse_ui_services(c, c.project["id"], errors)
    if errors or route_err:
        return None, errors, route_err
    if crit is not None and 0 <= crit <= 10:
        cvss = crit
    values = {"name": name, "description": f("description", ""), "url_path": f("url", ""),
              "cvss": float(cvss), "cve": f("cve", ""), "cwe": cwe,
              "status": f("status", "Need to check") or "Need to check", "type": itype,
              "fix": f("fix", ""), "param": f("param", ""), "technical": f("technical", ""),
              "risks": f("risks", ""), "references": f("references", ""),
              "intruder": f("intruder", ""), "services": services}
    if c.cfg.flavor == "head":
        for k in HEAD_ONLY_FIELDS:
            values[k] = f(k, "")
    return values, [], None


def issue_page(c, issue, errors=(), title=None):
    pid = c.project["id"]
    body = (nav(c) + (error_block("issue", errors) + "\n" if errors else "")
            + ('<form class="ui form" method="post" id="edit_issue_form" '
               "onsubmit=\"canva_to_b64('edit_issue_form')\" action=\"/project/{}/issue/{}/\" "
               'style="margin-top: 15px; width: 100%">\n').format(pid, issue["id"])
            + csrf_input(c.csrf) + "\n"
            + '<input type="text" name="name" placeholder="SQL injection.." required value="{}">\n'
            .format(esc(issue["name"]))
            + "".join('<textarea name="{}">{}</textarea>\n'.format(k, esc(issue[k]))
                      for k in ("description", "fix", "technical", "risks", "references"))
            + "</form>\n" + "".join(
                '<div class="poc" id="poc_{}">{}</div>\n'.format(p["id"], esc(p["description"]))
                for p in c.st.issue_pocs(issue["id"])))
    return c.page(title if title is not None else issue["name"], body)


def build_ui_issues(app, u):
    def issue_of(c, issue_id):
        i = c.st.issues.get(issue_id)
        return i if i is not None and i["project_id"] == c.project["id"] else None

    @u(["GET"], "/project/<uuid:project_id>/issues/", project=True)
    def issues_page(c, project_id):
        rows = "".join('<tr><td><a href="/project/{}/issue/{}/">{}</a></td><td>{}</td></tr>\n'.format(
            project_id, i["id"], esc(i["name"]), i["cvss"]) for i in c.st.project_issues(project_id))
        return c.page("Issues", nav(c) + workspace.template_menu(c, project_id) + "\n"
                      + '<table class="ui table">\n{}</table>\n{}'.format(rows, csrf_input(c.csrf)))

    @u(["GET", "POST"], "/project/<uuid:project_id>/new_issue", project=True, write=True)
    def new_issue(c, project_id):
        spaced = c.cfg.flavor == "head"
        errors = []
        if c.req.method == "POST":
            values, errors, route_err = ui_issue_values(c, is_edit=False)
            if route_err:
                errors = [route_err]
            if values is not None:
                fields = ui_custom_fields(c, with_files=True)
                if c.cfg.flavor == "fb68b26":
                    for k in HEAD_ONLY_FIELDS:
                        values.pop(k, None)
                iid = c.st.new_issue(project_id, c.user["id"], fields=fields, **values)
                return redirect("/project/{}/issue/{}/".format(project_id, iid))
        body = (nav(c) + (error_block("issue", errors) + "\n" if errors else "")
                + '<form class="ui form" method="post" enctype="multipart/form-data" '
                  'action="/project/{}/new_issue">\n'.format(project_id)
                + csrf_input(c.csrf, spaced) + "\n"
                + ('<input id="origin_cvss_vector" type="text" name="cvss_vector" readonly="readonly">\n'
                   if c.cfg.flavor == "head" else "") + "</form>")
        return c.page("New issue", body)

    @u(["GET", "POST"], "/project/<uuid:project_id>/issue/<uuid:issue_id>/", project=True,
       write=True)
    def issue_edit(c, project_id, issue_id):
        issue = issue_of(c, issue_id)
        if issue is None:
            return redirect("/project/{}/issues/".format(project_id))
        if c.req.method == "GET":
            return issue_page(c, issue)
        values, errors, route_err = ui_issue_values(c, is_edit=True)
        if route_err:
            errors = [route_err]
        if values is None:
            return issue_page(c, issue, errors)
        issue.update(values)
        return issue_page(c, issue)

    @u(["POST"], "/project/<uuid:project_id>/issue/<uuid:issue_id>/edit_text_fields",
       project=True, write=True)
    def edit_text_fields(c, project_id, issue_id):
        issue = issue_of(c, issue_id)
        if issue is None:
            return redirect("/project/{}/issues/".format(project_id))
        new = ui_custom_fields(c, with_files=False)
        for name, fdef in issue["fields"].items():
            if fdef["type"] == "file":
                new[name] = fdef
        issue["fields"] = new
        return redirect("/project/{}/issue/{}/#/fields".format(project_id, issue_id))

    @u(["POST"], "/project/<uuid:project_id>/issue/<uuid:issue_id>/new_poc", project=True,
       write=True)
    def new_poc(c, project_id, issue_id):
        issue = issue_of(c, issue_id)
        if issue is None:
            return redirect("/project/{}/issues/".format(project_id))
        # Every rejection below makes PCF crash while rendering its error page.
        files = c.req.files("file")
        service = c.req.fget("service", "") or ""
        if not files or not files[0][2]:
            raise ServerError("no PoC file")
        parts = service.split(":")
        if len(parts) != 2:
            raise ServerError("bad service")
        port_id, hn_id = parts[0].lower(), parts[1].lower()
        if not (port_id == "0" and hn_id == "0"):
            if not c.st.pair_in_services(issue["services"], port_id, hn_id):
                raise ServerError("service not in issue")
        upname, _, data = files[0]
        ptype = sniff_poc(data)
        if ptype is None:
            raise ServerError("unknown PoC format")
        if len(data) > c.cfg.poc_max:
            raise ServerError("PoC too large")
        c.st.add_poc(issue_id, port_id, hn_id, c.req.fget("comment", ""), ptype, data,
                     filename=upname, user_id=c.user["id"])
        return redirect("/project/{}/issue/{}/".format(project_id, issue_id))

    @u(["POST"], "/project/<uuid:project_id>/issue/<uuid:issue_id>/set_priority", project=True,
       write=True)
    def set_priority(c, project_id, issue_id):
        issue = issue_of(c, issue_id)
        if issue is None:
            return redirect("/project/{}/issues/".format(project_id))
        # PCF answers "ok" whatever happened: an unknown PoC or a priority of
        # 0 (its form's DataRequired refuses 0) changes nothing, and marking a
        # PoC main leaves the others main too.
        poc = c.st.pocs.get((c.req.fget("poc_id", "") or "").lower())
        if poc is not None and poc["issue_id"] == issue_id and c.req.fget("priority", "1") == "1":
            poc["priority"] = 1
        return Response(200, b"ok")

    @u(["POST"], "/project/<uuid:project_id>/issue/<uuid:issue_id>/delete_poc", project=True,
       write=True)
    def delete_poc(c, project_id, issue_id):
        issue = issue_of(c, issue_id)
        if issue is None:
            return redirect("/project/{}/issues/".format(project_id))
        poc = c.st.pocs.get((c.req.fget("poc_id", "") or "").lower())
        if poc is None or poc["issue_id"] != issue_id:
            raise ServerError("PoC not found")
        del c.st.pocs[poc["id"]]
        return redirect("/project/{}/issue/{}/#/poc".format(project_id, issue_id))

    @u(["POST"], "/project/<uuid:project_id>/issue/<uuid:issue_id>/delete_issue", project=True,
       write=True)
    def delete_issue(c, project_id, issue_id):
        if issue_of(c, issue_id) is not None:
            c.st.delete_issue(issue_id)
        return redirect("/project/{}/issues/".format(project_id))

    @u(["POST"], "/project/<uuid:project_id>/issues/multiple_delete", project=True, write=True)
    def multiple_delete(c, project_id):
        for k, v in c.req.form()[0]:
            if re.fullmatch(r"issue-\d+", k) and issue_of(c, (v or "").strip().lower()):
                c.st.delete_issue(v.strip().lower())
        return Response(200, b"ok")


# -------------------------------------------------------------- JSON export

def services_export(st, services):
    if isinstance(services, str):
        raise ServerError("services stored as a string")  # PCF: IndexError in the export
    out = {}
    for port_id, hns in services.items():
        port = st.ports.get(port_id)
        host = st.hosts.get(port["host_id"]) if port else None
        if host is None:
            continue
        out[port_id] = {"ip": host["ip"], "is_ip": "0" in hns,
                        "hostnames": [h for h in hns if h != "0"]}
    return out


def export_project(st, cfg, pid):
    """The report data PCF hands to templates and /reports/export/json."""
    p = st.projects[pid]
    data = {"project": {"name": p["name"], "description": p["description"], "type": p["type"],
                        "scope": p["scope"], "start_date": p["start_date"],
                        "end_date": p["end_date"], "folder": p["folder"],
                        "report_title": p["report_title"],
                        "testers": {uid: {"email": st.users[uid]["email"],
                                          "fname": st.users[uid]["fname"],
                                          "lname": st.users[uid]["lname"]}
                                    for uid in p["testers"] if uid in st.users}}}
    issues, grouped, pocs = {}, {}, {}
    for i in st.project_issues(pid):
        o = {k: i[k] for k in ISSUE_API_KEYS}
        o["criticality"] = criticality(i["cvss"])
        o["fields"] = json.loads(json.dumps(i["fields"]))
        o["services"] = services_export(st, i["services"])
        o["pocs"] = [x["id"] for x in st.issue_pocs(i["id"])]
        if cfg.flavor == "head":
            for k in HEAD_ONLY_FIELDS:
                o[k] = i.get(k, "")
        issues[i["id"]] = o
        grouped.setdefault(i["name"], {"issues": []})["issues"].append(i["id"])
        for x in st.issue_pocs(i["id"]):
            content = x["content"]
            svc = {x["port_id"]: [x["hostname_id"]]} if x["port_id"] != "0" else {}
            pocs[x["id"]] = {"filename": x["filename"], "comment": x["description"],
                             "url": "/static/files/poc/" + x["id"], "path": "",
                             "content": content.decode("latin-1"),
                             "content_base64": base64.b64encode(content).decode(),
                             "content_hex": content.hex(), "services": services_export(st, svc),
                             "filetype": x["type"], "priority": x["priority"]}
    hosts, ports, hostnames = {}, {}, {}
    for h in st.project_hosts(pid):
        hosts[h["ip"]] = {"comment": h["comment"],
                          "hostnames": [x["id"] for x in st.host_hostnames(h["id"])],
                          "ports": [x["id"] for x in st.host_ports(h["id"])],
                          "issues": [x["id"] for x in st.host_issues(h["id"])]}
        for x in st.host_ports(h["id"], full=True):
            ports[x["id"]] = {"port": x["port"], "is_tcp": x["is_tcp"], "comment": x["description"],
                              "service": x["service"]}
        for x in st.host_hostnames(h["id"]):
            hostnames[x["id"]] = {"hostname": x["hostname"], "comment": x["description"]}
    networks = {}
    for n in st.networks.values():
        if n["project_id"] != pid:
            continue
        networks[n["id"]] = {"ip": n["ip"], "mask": n["mask"], "comment": n["comment"],
                             "is_ipv6": int(bool(n["is_ipv6"])), "asn": int(n["asn"] or 0),
                             "access_from": services_export(st, n["access_from"]),
                             "internal_ip": n["internal_ip"], "cmd": n["cmd"], "name": n["name"]}
    creds = {x["id"]: {"login": x["login"], "hash": x["hash"], "hash_type": x["hash_type"],
                       "cleartext": x["cleartext"], "description": x["description"],
                       "source": x["source"], "services": services_export(st, x["services"])}
             for x in st.creds.values() if x["project_id"] == pid}
    notes = {}
    for n in st.notes.values():
        if n["project_id"] != pid:
            continue
        text = re.sub(r"\s*\n\s*", "\n", "\n".join(
            t for t in re.split(r"<[^>]*>", n["html"]) if t.strip()))
        notes[n["id"]] = {"name": n["name"], "host_id": n["host_id"], "html": n["html"],
                          "markdown": text,
                          "base64": base64.b64encode(n["html"].encode()).decode()}
    data.update({"issues": issues, "hosts": hosts, "pocs": pocs, "ports": ports,
                 "hostnames": hostnames, "grouped_issues": grouped,
                 "tasks": workspace.export_tasks(st, pid), "notes": notes,
                 "paths": workspace.export_paths(st, pid), "networks": networks,
                 "credentials": creds})
    return data


def new_stats():
    return {"total": 0, "connections": 0, "paths": {}, "routes": {}, "statuses": {}}



# ------------------------------------------------------------------ exporter

def dicttoxml_pretty(items):
    """dicttoxml(attr_type=True) + minidom toprettyxml(), as PCF does."""
    from xml.dom import minidom
    doc = minidom.Document()
    root = doc.createElement("root")
    doc.appendChild(root)

    def add(parent, name, value):
        el = doc.createElement(name)
        if isinstance(value, dict):
            el.setAttribute("type", "dict")
            for k, v in value.items():
                add(el, k, v)
        elif isinstance(value, list):
            el.setAttribute("type", "list")
            for v in value:
                add(el, "item", v)
        else:
            el.setAttribute("type", "int" if isinstance(value, int) and not isinstance(
                value, bool) else "bool" if isinstance(value, bool) else "str")
            el.appendChild(doc.createTextNode(str(value)))
        parent.appendChild(el)
    for it in items:
        add(root, "item", it)
    return doc.toprettyxml(indent="\t")


def exporter(c, form_get, form_all):
    errors = []
    ftype, hexp = form_get("filetype", ""), form_get("hosts_export", "")
    if ftype not in ("txt", "xml", "csv", "json"):
        errors.append("Invalid value, must be one of: txt, xml, csv, json.")
    if hexp not in ("ip&hostname", "ip", "hostname", "ip&hostname_unique"):
        errors.append("Invalid value, must be one of: ip&hostname, ip, hostname, "
                      "ip&hostname_unique.")
    threats = form_all("threats")
    for t in threats:
        if t not in THREATS:
            errors.append("'{}' is not a valid choice for this field.".format(t))
    if errors:
        return None, errors
    if form_get("open_in_browser", "0") != "1":
        raise ServerError("send_file(attachment_filename=...)")
    st, pid = c.st, c.project["id"]
    nets = [x.strip().lower() for x in form_get("network", "").split(",") if x.strip()]
    port_filter = set()
    for x in form_get("port", "").split(","):
        x = x.strip()
        if not x:
            continue
        num, _, proto = x.partition("/")
        try:
            port_filter.add((int(num), proto.lower() != "udp"))
        except ValueError:
            pass
    ip_hn = form_get("ip_hostname", "")
    service = form_get("service", "")
    issue_name = form_get("issue_name", "")
    comment = form_get("comment", "").lower()
    issue_ports = None
    if issue_name:
        issue_ports = set()
        for i in st.project_issues(pid):
            if issue_name.lower() == i["id"] or issue_name.lower() in i["name"].lower():
                issue_ports |= set(i["services"])
    port_level = bool(port_filter or service or issue_ports is not None)
    result = []
    for h in st.project_hosts(pid):
        names = [x["hostname"] for x in st.host_hostnames(h["id"])]
        if nets:
            inside = False
            for nid in nets:
                n = st.networks.get(nid)
                if n and n["project_id"] == pid and h in st.network_hosts(n):
                    inside = True
            if not inside:
                continue
        if ip_hn and ip_hn not in h["ip"] and not any(ip_hn in x for x in names):
            continue
        if comment and comment not in h["comment"].lower():
            continue
        if threats and not set(threats) & set(h["threats"]):
            continue
        ports = []
        for p in st.host_ports(h["id"]):
            if port_filter and (p["port"], p["is_tcp"]) not in port_filter:
                continue
            if service and ((ftype == "txt" and p["service"] != service)
                            or (ftype != "txt" and service not in p["service"])):
                continue
            if issue_ports is not None and p["id"] not in issue_ports:
                continue
            ports.append(p)
        if port_level and not ports:
            continue
        result.append((h, names, ports))
    return (ftype, hexp, result), None


def exporter_render(form_get, ftype, hexp, result):
    def labels(h, names):
        if hexp == "ip":
            return [h["ip"]]
        if hexp == "hostname":
            return list(names)
        if hexp == "ip&hostname":
            return [h["ip"]] + list(names)
        return list(names) if names else [h["ip"]]
    if ftype == "json" or ftype == "xml":
        items = [{"ip": h["ip"], "hostnames": names,
                  "ports": [{"num": p["port"], "type": "tcp" if p["is_tcp"] else "udp",
                             "service": p["service"], "description": p["description"]}
                            for p in ports]} for h, names, ports in result]
        if ftype == "json":
            return Response(200, flask_json(items), "application/json")
        return Response(200, dicttoxml_pretty(items), "text/xml")
    if ftype == "csv":
        lines = ["host;port;type;service;description"]
        for h, names, ports in result:
            for label in labels(h, names):
                for p in ports:
                    lines.append("{};{};{};{};{}".format(label, p["port"],
                                                         "tcp" if p["is_tcp"] else "udp",
                                                         p["service"], p["description"]))
        return Response(200, "".join(x + "\r\n" for x in lines), "text/plain")
    sep = form_get("separator", "[newline]") or "[newline]"
    sep = sep.replace("[newline]", "\n").replace("[tab]", "\t").replace("[space]", " ")
    prefix, postfix = form_get("prefix", ""), form_get("postfix", "")
    add_ports = form_get("add_ports", "0") == "1"
    entries = []
    for h, names, ports in result:
        for label in labels(h, names):
            if add_ports and ports:
                entries += ["{}:{}".format(label, p["port"]) for p in ports]
            else:
                entries.append(label)
    return Response(200, sep.join(prefix + e + postfix for e in entries), "text/plain")


def render_report(c, content):
    """Returns a Response: the rendered text, or the reports page with an error."""
    if content[:4] == b"PK\x03\x04":
        return None, "DOCX/ZIP templates are not supported by the fake PCF."
    try:
        text = content.decode("utf-8")
    except UnicodeDecodeError:
        return None, "Template is not UTF-8 text!"
    ctx = export_project(c.st, c.cfg, c.project["id"])
    ctx["latex_escape"] = latex_escape
    ctx["functions"] = {"latex_escape": latex_escape}
    try:
        out = MiniJinja(text).render(ctx)
    except TemplateError as e:
        return None, "Error while rendering template: {}".format(e)
    when = datetime.datetime.fromtimestamp(c.cfg.clock.now()).strftime("%Y-%m-%dT%H:%M:%S")
    fname = "{}_{}.txt".format(c.project["report_title"], when)
    fid = gen_id()
    c.st.files[fid] = {"id": fid, "project_id": c.project["id"], "filename": fname,
                       "content": out.encode(), "description": "Generated report"}
    if not header_value_ok(fname):
        # PCF names the file after the report title in the Content-Disposition
        # header; the WSGI server cannot encode a title outside Latin-1 (or
        # with a line break) and answers its own 500, after PCF has already
        # stored the report in the project's files.
        return WAITRESS_500, None
    return Response(200, out, "text/plain; charset=utf-8",
                    [("Content-Disposition", "attachment; filename=" + fname)]), None


def header_value_ok(v):
    return all(ord(ch) < 256 for ch in v) and "\r" not in v and "\n" not in v


# What waitress (PCF's production server) answers when the application's
# response cannot be sent.
WAITRESS_500 = Response(500, b"Internal Server Error\r\n\r\nThe server encountered an unexpected "
                        b"internal server error\r\n\r\n(generated by waitress)",
                        "text/plain; charset=utf-8")


def visible_templates(st, user):
    team_ids = {t["id"] for t in st.user_teams(user["id"])}
    return [t for t in st.templates.values()
            if t["user_id"] == user["id"] or (t["team_id"] and t["team_id"] in team_ids)]


def build_ui_tools(app, u):
    importers.register(u, sys.modules[__name__])   # nmap and the other scanners

    @u(["GET", "POST"], "/project/<uuid:project_id>/tools/exporter/", project=True)
    def exporter_page(c, project_id):
        msg = ""
        if c.req.method == "POST":
            res, errors = exporter(c, c.req.fget, c.req.fall)
            if res is not None:
                return exporter_render(c.req.fget, *res)
            msg = error_block("host", errors) + "\n"
        body = (nav(c) + msg
                + '<form class="ui form" method="post" action="/project/{}/tools/exporter/">\n'
                .format(project_id) + csrf_input(c.csrf) + "\n"
                '<select class="ui dropdown selection search" id="extention_list" name="filetype">'
                ' <option value="txt" selected>.txt</option> <option value="csv">.csv</option>'
                ' <option value="xml">.xml</option> <option value="json">.json</option> </select>\n'
                '<select class="ui dropdown selection search" id="hosts_list" name="hosts_export">'
                ' <option value="ip&hostname">ip-addresses &amp; hostnames</option>'
                ' <option value="ip">ip-addresses</option> <option value="hostname">hostnames</option>'
                ' <option value="ip&hostname_unique">hostnames &amp; ip without hostnames</option>'
                ' </select>\n</form>')
        return c.page("Exporter", body)

    @u(["GET", "POST"], "/project/<uuid:project_id>/reports/", project=True)
    def reports_page(c, project_id):
        msg = ""
        if c.req.method == "POST":
            content = None
            tid = (c.req.fget("template_id", "") or "").strip().lower()
            files = c.req.files("file")
            if files and files[0][2]:
                content = files[0][2]
            elif is_uuid(tid):
                # PCF looks the id up among all stored templates (no access
                # check) and, for an id it does not know, goes on with an
                # unset template path: NameError, 500.
                tpl = c.st.templates.get(tid)
                if tpl is None:
                    raise ServerError("report_path is not defined")
                content = tpl["content"]
            if content is None:
                msg = error_block("report", ["Wrong template id!"]) + "\n"
            else:
                resp, err = render_report(c, content)
                if resp is not None:
                    return resp
                msg = error_block("report", [err]) + "\n"
        rows = "".join('<option value="{}">{}</option>'.format(t["id"], esc(t["name"]))
                       for t in visible_templates(c.st, c.user))
        body = (nav(c) + msg + '<form class="ui form" method="post" enctype="multipart/form-data" '
                'action="/project/{}/reports/">\n'.format(project_id) + csrf_input(c.csrf)
                + '\n<select name="template_id">{}</select>\n<input type="file" name="file">\n'
                  '</form>'.format(rows))
        return c.page("Reports", body)

    @u(["GET"], "/project/<uuid:project_id>/reports/export/json", project=True)
    def export_json(c, project_id):
        return json_resp(export_project(c.st, c.cfg, project_id))


def build_routes(app):
    build_api(app)
    build_ui(app)
    workspace._bind(sys.modules[__name__])
    workspace.build(app, lambda methods, pattern, **kw: ui_route(app, methods, pattern, **kw))


# ---------------------------------------------------------------------- main

class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64

    def handle_error(self, request, client_address):
        # Resets, timeouts and failed TLS handshakes are what the fault modes
        # and impatient clients produce; anything else is a bug in the fake.
        exc = sys.exc_info()[1]
        if isinstance(exc, (OSError, ssl.SSLError)):
            return
        super().handle_error(request, client_address)


def main(argv=None):
    ap = argparse.ArgumentParser(description="Fake Pentest Collaboration Framework server")
    ap.add_argument("--host", default="127.0.0.1")
    ap.add_argument("--port", type=int, default=0)
    ap.add_argument("--port-file")
    ap.add_argument("--seed", choices=sorted(SEEDS), default="demo")
    ap.add_argument("--token")
    ap.add_argument("--token-duration", type=int, default=86400)
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--basic-auth")
    ap.add_argument("--bugs", action="store_true")
    ap.add_argument("--flavor", choices=["head", "fb68b26"], default="head")
    ap.add_argument("--fault", action="append", default=[])
    ap.add_argument("--no-control", action="store_true")
    ap.add_argument("--log-file")
    ap.add_argument("--poc-max-size", type=int, default=DEFAULT_POC_MAX)
    ap.add_argument("--swagger")
    args = ap.parse_args(argv)

    host = "127.0.0.1" if args.host == "localhost" else args.host
    try:
        addr = ipaddress.ip_address(host)
    except ValueError:
        ap.error("--host must be a loopback address")
    if not addr.is_loopback:
        ap.error("--host must be a loopback address (refusing {})".format(args.host))
    if bool(args.tls_cert) != bool(args.tls_key):
        ap.error("--tls-cert and --tls-key go together")
    if args.token is not None and not is_uuid(args.token):
        ap.error("--token must be a UUID (PCF tokens are UUIDs)")
    if args.basic_auth is not None and ":" not in args.basic_auth:
        ap.error("--basic-auth takes USER:PASS")
    if not 0 <= args.port <= 65535:
        ap.error("--port out of range")

    cfg = Config(args)
    if args.token:
        cfg.token = args.token.lower()
    app = FakePCF(cfg)
    for spec in args.fault:
        try:
            f = parse_fault_spec(spec)
        except ValueError as e:
            ap.error("--fault: {}".format(e))
        f["retry_after_set"] = "retry_after=" in spec
        app.faults.append(f)
    if args.log_file:
        app.log_file = open(args.log_file, "a", encoding="utf-8")

    Server.address_family = socket.AF_INET6 if addr.version == 6 else socket.AF_INET
    handler = type("BoundHandler", (Handler,), {"app": app})
    httpd = Server((host, args.port), handler)
    scheme = "http"
    if args.tls_cert:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(args.tls_cert, args.tls_key)
        httpd.socket = ctx.wrap_socket(httpd.socket, server_side=True,
                                       do_handshake_on_connect=False)
        scheme = "https"
    port = httpd.server_address[1]
    if args.port_file:
        tmp = "{}.tmp.{}".format(args.port_file, os.getpid())
        with open(tmp, "w") as fh:
            fh.write("{}\n".format(port))
        os.replace(tmp, args.port_file)

    def stop(signum, frame):
        app.stopping.set()
        threading.Thread(target=httpd.shutdown, daemon=True).start()
    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)
    shown = "[{}]".format(host) if addr.version == 6 else host
    print("fake-pcf listening on {}://{}:{}".format(scheme, shown, port), flush=True)
    try:
        httpd.serve_forever(poll_interval=0.1)
    finally:
        app.stopping.set()
        httpd.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
