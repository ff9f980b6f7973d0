#!/usr/bin/env python3
"""Writes the seed inputs of the fuzz targets into fuzz/corpus/<target>/seed-*.

    fuzz/seed.py [TARGET...]     (default: every target it knows)

Seeds come from the PCF fixtures captured from a real server
(tests/fixtures/pcf/, the same files as /work/shared/pcf-api/fixtures) and
from the documented file formats and protocol exchanges. Running it again
rewrites the seed-* files only: what fuzzing added (and regress-* inputs)
stays. The input format of each target is described at the top of
fuzz/fuzz_<target>.c.
"""
import base64
import glob
import hashlib
import json
import os
import sys

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FIXTURES = os.path.join(TOP, "tests", "fixtures", "pcf")


def b64url(data):
    if isinstance(data, str):
        data = data.encode()
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def write(target, seeds):
    d = os.path.join(TOP, "fuzz", "corpus", target)
    os.makedirs(d, exist_ok=True)
    for f in glob.glob(os.path.join(d, "seed-*")):
        os.unlink(f)
    for name, data in seeds.items():
        if isinstance(data, str):
            data = data.encode()
        with open(os.path.join(d, "seed-" + name), "wb") as f:
            f.write(data)
    print("fuzz/corpus/%s: %d seeds" % (target, len(seeds)))


# ------------------------------------------------------------------ apikeys

def sha(text):
    return "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def apikeys():
    h0, h1 = sha("pcfmcp_alice-key-0000000000"), sha("pcfmcp_bob-key-11111111111")
    return {
        "good": "# name sha256:<hex>\nalice %s\nbob.smith@corp-1\t%s  # laptop\r\n\n" % (h0, h1),
        "bearer": "Bearer pcfmcp_alice-key-0000000000\nalice %s\nbearer\tpcfmcp_bob-key-11111111111 \n"
                  % h0,
        "upper-hex": "carol sha256:" + "22" * 31 + "AA\n",
        "bad-lines": "a sha256:" + "0" * 63 + "\n" + "n" * 65 + " " + h0 + "\nb %s\ne %s\nx md5:00\n"
                     % (h1, h1),
        "nul": "c\0d " + h0 + "\n",
        "schemes": "Basic YWxpY2U6cHc=\nBearer\nBearer a b\nBearer ===\nBearer abc==\n",
    }


# ---------------------------------------------------------------------- jwt

ISS, AUD = "https://issuer.example", "https://mcp.example/mcp"
CLAIMS = {"iss": ISS, "aud": AUD, "sub": "248289761001", "exp": 4102444800,
          "iat": 1700000000, "scope": "pcf:read pcf:write"}


def claims(**kw):
    c = dict(CLAIMS)
    for k, v in kw.items():
        if v is None:
            c.pop(k, None)
        else:
            c[k] = v
    return json.dumps(c, separators=(",", ":"))


def jwt():
    es = '{"alg":"ES256","typ":"JWT","kid":"ec-1"}'
    seeds = {
        "header-key": "\0Bearer 123456",
        "header-basic": "\0Basic YWxpY2U6cHc=",
        "header-empty": "\0Bearer   ",
        "header-jwt": "\0bearer\t" + b64url(es) + "." + b64url(claims()) + "." + b64url(b"\1" * 64),
        "signed": "\1" + es + "\0" + claims(),
        "signed-at-jwt": "\1" + '{"alg":"ES256","typ":"at+jwt"}' + "\0"
                         + claims(aud=[AUD, "other"], scope=None, scp=["pcf:read"]),
        "signed-expired": "\1" + es + "\0" + claims(exp=1000000000),
        "signed-nbf": "\1" + es + "\0" + claims(nbf=4102444000),
        "signed-iat": "\1" + es + "\0" + claims(iat=4102444000),
        "signed-wrong-iss": "\1" + es + "\0" + claims(iss="https://evil.example"),
        "signed-no-sub": "\1" + es + "\0" + claims(sub=None),
        "signed-scope": "\1" + es + "\0" + claims(scope="pcf:write"),
        "signed-scp-string": "\1" + es + "\0" + claims(scope=None, scp="pcf:read x"),
        "signed-crit": "\1" + '{"alg":"ES256","kid":"ec-1","crit":["b64"]}' + "\0" + claims(),
        "signed-rsa-kid": "\1" + '{"alg":"RS256","kid":"rsa-1"}' + "\0" + claims(),
        "signed-none": "\1" + '{"alg":"none"}' + "\0" + claims(),
        "signed-hs": "\1" + '{"alg":"HS256","kid":"ec-1"}' + "\0" + claims(),
        "signed-dup": "\1" + '{"alg":"ES256","alg":"ES256"}' + "\0" + claims(),
        "signed-der": "\3" + es + "\0" + claims(),
        "parse": "\2" + b64url(es) + "." + b64url(claims()) + "." + b64url(b"\0" * 64),
        "parse-rsa": "\2" + b64url('{"alg":"RS256","kid":"rsa-1"}') + "." + b64url(claims())
                     + "." + b64url(b"\x55" * 256),
        "parse-padded": "\2" + b64url(es) + "==." + b64url(claims()) + ".AA",
        "parse-jku": "\2" + b64url('{"alg":"ES256","jku":"https://evil.example/jwks"}') + "."
                     + b64url(claims()) + ".AA",
    }
    return seeds


# --------------------------------------------------------------------- jwks

# The P-256 base point: a valid public key whose private key is 1.
GX = bytes.fromhex("6B17D1F2E12C4247F8BCE6E563A440F277037D812DEB33A0F4A13945D898C296")
GY = bytes.fromhex("4FE342E2FE1A7F9B8EE7EB4A7C0F9E162BCE33576B315ECECBB6406837BF51F5")
RSA_N = ("pj-1WLZncXsZ6_ZIc5Uokb380wGCQRUljB2Xy6jswGTtcYzq5LsoaHZIaRWu8GJse41sBW_C4oTUpb4pqHasac5C"
         "wsvZKgYK7c9dhiZEM9BlEhphPqgioXThV0HlEBUBZdEi89WjcN6ny22cYJlEoFCsR89SCAjiNlY71Pdf7VWhu5KPi"
         "FJsNly-koKTD752DTwd_M8TXJ1RzJdbsKVyeZ1NsOxbbwXa-vIOEbEji2mAHILyBPjaP06QOIFjSmLu4mJV17byjK"
         "6TKgESWAtTKoFe_YHZxJO4JfMmEnZprnILHpIG8-5n09MkumpqVGjYKZwVoZ4QgxxX9Ru3NsrySw")


def jwks():
    ec = {"kty": "EC", "crv": "P-256", "kid": "ec-1", "x": b64url(GX), "y": b64url(GY)}
    rsa = {"kty": "RSA", "kid": "rsa-1", "n": RSA_N, "e": "AQAB", "use": "sig", "alg": "RS256"}
    mixed = [rsa, dict(ec, key_ops=["verify"]), dict(rsa, use="enc"), dict(rsa, alg="PS256"),
             {"kty": "oct", "k": "AAAA"}, {"kty": "EC", "crv": "P-384", "x": "AA", "y": "AA"},
             {"kty": "OKP", "crv": "Ed25519", "x": "AA"},
             {"kty": "RSA", "kid": "broken", "n": "!!", "e": "AQAB"},
             {"kty": "RSA", "kid": "tiny", "n": "AQAB", "e": "AQAB"},
             {"kty": "EC", "crv": "P-256", "kid": "short", "x": "AQAB", "y": "AQAB"},
             {"use": "sig"}, 7]
    one = b64url(b"\0" * 31 + b"\1")
    return {
        "two": json.dumps({"keys": [rsa, ec]}),
        "mixed": json.dumps({"keys": mixed, "extra": True}),
        "off-curve": json.dumps({"keys": [{"kty": "EC", "crv": "P-256", "kid": "bad", "x": one,
                                           "y": one}]}),
        "same-kid": json.dumps({"keys": [ec, dict(ec, alg="ES256")]}),
        "even-exponent": json.dumps({"keys": [dict(rsa, e="AQAA")]}),
        "not-jwks": '{"keys":{}}',
        "too-many": json.dumps({"keys": [ec] * 65}),
    }


# ----------------------------------------------------------------- identity

def identity():
    return {
        "doc": "identities:\n"
               "  - identity: \"key:alice\"               # as pcfmcp_auth_check() writes it\n"
               "    token_file: token\n"
               "  - identity: \"jwt:248289761001\"\n"
               "    email: bob@example.com\n"
               "    password_file: password\n"
               "  - identity: key:ci-bot\n"
               "    token: ci-bot-pcf-token-value\n"
               "    email_file: email\n"
               "    password: inline-password\n",
        "problems": "identities:\n"
                    "  - identity: key:a\n    token: t1\n    token_file: token\n"
                    "  - identity: key:b\n    email: b@example.com\n"
                    "  - token: orphan\n"
                    "  - identity: key:c\n    tokn: typo\n"
                    "  - identity: key:a\n    token: again\n"
                    "  - identity: plain\n    token: t\n"
                    "  - identity: key:d\n    token_file: empty\n"
                    "  - identity: key:e\n    token_file: nul\n"
                    "  - identity: key:f\n    password_file: control\n    email: x@y\n"
                    "  - identity: key:g\n    token_file: missing\n",
        "syntax": "identities:\n  - identity: [\n",
        "not-list": "identities: key:a\n",
        "empty-list": "identities: []\n",
        "anchors": "identities:\n  - &e {identity: key:x, token: \"a\\nb\"}\n  - *e\n"
                   "other: 1\n---\nidentities: []\n",
    }


# ---------------------------------------------------------------- pcf peers

UUID_RE = __import__("re").compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# The segment before an id names it.
ID_NAMES = {"project": "project_id", "host": "host_id", "port": "port_id",
            "network": "network_id", "issues": "issue_id", "issue": "issue_id",
            "poc": "poc_id", "team": "team_id", "user": "user_id",
            "credentials": "credential_id"}
API_OPS = {
    "check_token": "token_check", "create_token": "token_create",
    "disable_token": "token_disable", "nonexistent": "user_me",
    "project_PROJECT_ID_host_HOST_ID_delete": "host_delete",
    "project_PROJECT_ID_host_HOST_ID_edit": "host_update",
    "project_PROJECT_ID_host_HOST_ID_info": "host_info",
    "project_PROJECT_ID_host_new": "host_create",
    "project_PROJECT_ID_hostname_add": "hostname_add",
    "project_PROJECT_ID_hostnames": "hostnames_list",
    "project_PROJECT_ID_hosts": "hosts_list",
    "project_PROJECT_ID_issues_ISSUE_ID_delete": "issue_delete",
    "project_PROJECT_ID_issues_ISSUE_ID_edit": "issue_update",
    "project_PROJECT_ID_issues_ISSUE_ID_info": "issue_info",
    "project_PROJECT_ID_issues_ISSUE_ID_poc_POC_ID_delete": "poc_delete",
    "project_PROJECT_ID_issues_ISSUE_ID_poc_POC_ID_info": "poc_info",
    "project_PROJECT_ID_issues_ISSUE_ID_poc_add": "poc_add",
    "project_PROJECT_ID_issues_create": "issue_create",
    "project_PROJECT_ID_issues_list": "issues_list",
    "project_PROJECT_ID_issues_rules_use": "rules_use",
    "project_PROJECT_ID_issues_search": "issues_search",
    "project_PROJECT_ID_network_NETWORK_ID_delete": "network_delete",
    "project_PROJECT_ID_network_NETWORK_ID_edit": "network_update",
    "project_PROJECT_ID_network_NETWORK_ID_info": "network_info",
    "project_PROJECT_ID_network_create": "network_create",
    "project_PROJECT_ID_networks": "networks_list",
    "project_PROJECT_ID_port_PORT_ID_delete": "port_delete",
    "project_PROJECT_ID_port_PORT_ID_edit": "port_update",
    "project_PROJECT_ID_port_PORT_ID_info": "port_info",
    "project_PROJECT_ID_port_new": "port_create",
    "project_PROJECT_ID_settings": "project_settings",
    "project_PROJECT_ID_settings_edit": "project_update",
    "project_new": "project_create", "projects": "projects_list", "rules": "rules_list",
    "swagger_v1_0_0_json": "swagger", "team_TEAM_ID_info": "team_info",
    "team_TEAM_ID_info_update": "team_update", "team_TEAM_ID_logs": "team_logs",
    "team_TEAM_ID_projects": "team_projects", "team_TEAM_ID_users": "team_users",
    "team_TEAM_ID_users_add": "team_user_add", "team_TEAM_ID_users_delete": "team_user_delete",
    "team_TEAM_ID_users_devote": "team_user_devote",
    "team_TEAM_ID_users_set_admin": "team_user_set_admin", "teams": "teams_list",
    "user_USER_ID_info": "user_info", "user_me": "user_me",
}


def fixture(name):
    with open(os.path.join(FIXTURES, name + ".json")) as f:
        return json.load(f)


def case(name, case_name):
    for c in fixture(name):
        if c["name"] == case_name:
            return c
    raise KeyError("%s: no case %s" % (name, case_name))


def path_ids(path):
    """{id name: uuid} for the ids in a request path."""
    out = {}
    segs = [s for s in path.split("?")[0].split("/") if s]
    for i, seg in enumerate(segs):
        if UUID_RE.fullmatch(seg) and i > 0 and segs[i - 1] in ID_NAMES:
            out[ID_NAMES[segs[i - 1]]] = seg
    return out


def suffix_of(path):
    """The request path after its first id (the project's, the team's...)."""
    path = "/" + path.split("?")[0].lstrip("/")
    m = UUID_RE.search(path)
    return path[m.end():] if m else path


def answer(c, status=None, headers=None, body=None):
    req, resp = c["request"], c["response"]
    h = dict(resp.get("headers", {}))
    if headers:
        h.update(headers)
    b = body if body is not None else resp.get("body", resp.get("body_excerpt"))
    if b is None:
        b = ""
    elif not isinstance(b, str):
        b = json.dumps(b)
    lines = ["%%%% %s %s" % (req["method"], suffix_of(req["path"])),
             str(status if status is not None else resp["status"])]
    lines += ["%s: %s" % ("-".join(w.capitalize() for w in k.split("-")), v)
              for k, v in h.items()]
    return "\n".join(lines) + "\n\n" + b


def raw_answer(method, suffix, status, headers, body):
    lines = ["%%%% %s %s" % (method, suffix), str(status)] + headers
    return "\n".join(lines) + "\n\n" + body


def drive_input(label, flags, args, answers):
    return "%s %d\n%s\n%s\n" % (label, flags, json.dumps(args) if args else "",
                                "\n".join(answers))


def request_args(c):
    args = path_ids(c["request"]["path"])
    body = c["request"].get("body")
    if isinstance(body, dict):
        for k, v in body.items():
            if k != "access_token":
                args[k] = v
    return args


def pcfapi():
    seeds = {}
    seen = set()
    for f in sorted(glob.glob(os.path.join(FIXTURES, "*.json"))):
        base = os.path.basename(f)[:-5]
        label = API_OPS[base]
        for i, c in enumerate(fixture(base)):
            text = drive_input(label, 1, request_args(c), [answer(c)])
            if text in seen:
                continue
            seen.add(text)
            seeds["%s-%d-%s" % (label, i, c["name"])] = text
    hosts = case("project_PROJECT_ID_hosts", "success")
    expired = case("projects", "expired_token")
    token = case("create_token", "success")
    # An expired token renewed with email and password, the call repeated.
    seeds["renewal"] = drive_input("hosts_list", 3, {}, [
        answer(expired, headers={}, body=expired["response"]["body"]).replace(
            "%% POST /api/v1/projects", "%% POST /hosts"),
        answer(token), answer(hosts)])
    seeds["create-first"] = drive_input("hosts_list", 2, {}, [answer(token), answer(hosts)])
    seeds["retry-after"] = drive_input("hosts_list", 1, {}, [
        raw_answer("POST", "/hosts", 429, ["Retry-After: Wed, 21 Oct 2015 07:28:00 GMT"], "")])
    seeds["gzip"] = drive_input("projects_list", 1, {}, [
        raw_answer("POST", "/projects", 200, ["Content-Encoding: gzip"], "{}")])
    seeds["long-content-type"] = drive_input("hosts_list", 1, {}, [
        raw_answer("POST", "/hosts", 502, ["Content-Type: text/html; charset=" + "x" * 100], "")])
    return seeds


# The captured login page is cut before its form: the field is added back
# as Flask-WTF writes it.
CSRF_FIELD = ('<input id="csrf_token" name="csrf_token" type="hidden" '
              'value="IjUyNmQ2ZjQ1YjE0ZjBlMjI0NGQ0ZDc4OTk0Y2YwMmE0NzQ0YjQ5Nzci.ZvQ6Ag.'
              'q3sUaS7bK1yYlq7RkH4b6wC0cZ8">')


def login_page():
    c = case("ui/login", "get_login_page")
    return answer(c, body=c["response"]["body"] + CSRF_FIELD)


def login():
    return [login_page(), answer(case("ui/login", "success"))]


def web(label, args, refs, flags=3):
    answers = login()
    for f, n in refs:
        answers.append(login_page() if (f, n) == ("login", "get_login_page")
                       else answer(case("ui/" + f, n)))
    return drive_input(label, flags, args, answers)


def without_credential(c, cid):
    body = json.loads(json.dumps(c["response"]["body"]))
    body.get("credentials", {}).pop(cid, None)
    return answer(c, body=body)


def pcfweb():
    p = "ed881b71-614c-45d5-a36d-76bdd0e4afcf"
    cred = "0f3e768a-6750-4d93-8645-d8471cc54994"
    notes_p = "743f8a4c-bf3f-4bfe-b64d-15c8dc79eec4"
    issue = "47b58234-78ed-4082-809e-a3a789ac8ed1"
    exp_all = ("reports", "export_json_all_project_data")
    seeds = {
        "snapshot": web("project_snapshot", {"project_id": p}, [exp_all]),
        "snapshot-gone": web("project_snapshot", {"project_id": p},
                             [("reports", "export_json_not_logged_in")]),
        "credentials": web("credentials_list", {"project_id": p}, [exp_all]),
        "notes": web("notes_list", {"project_id": notes_p}, [("notes", "export_json_notes")]),
        "credential-create": drive_input(
            "credential_create", 3, {"project_id": p, "login": "svc_backup",
                                     "cleartext_password": "Winter2024!"},
            login() + [without_credential(case("ui/reports", exp_all[1]), cred),
                       answer(case("ui/credentials", "add_success")),
                       answer(case("ui/reports", exp_all[1]))]),
        "credential-update": drive_input(
            "credential_update", 3, {"project_id": p, "credential_id": cred, "comment": "x"},
            login() + [answer(case("ui/reports", exp_all[1])),
                       raw_answer("POST", "/credentials/%s/" % cred, 200,
                                  ["Content-Type: text/html; charset=utf-8"],
                                  case("ui/credentials", "view_one_html")["response"]["body"])]),
        "credential-delete": drive_input(
            "credential_delete", 3, {"project_id": p, "credential_id": cred},
            login() + [answer(case("ui/reports", exp_all[1])),
                       raw_answer("POST", "/credentials/%s/" % cred, 302,
                                  ["Location: /project/%s/credentials/" % p], ""),
                       without_credential(case("ui/reports", exp_all[1]), cred)]),
        "note-create": web("note_create", {"project_id": notes_p, "name": "Recon notes v2",
                                           "text": "x"},
                           [("notes", "export_json_notes_after_delete"),
                            ("notes", "add_success_referer_notes_page"),
                            ("notes", "export_json_notes"), ("notes", "edit_update_text")]),
        "note-create-host": web("note_create", {"project_id": notes_p, "name": "n",
                                                "host_id": "07e50f99-0088-4a53-b91f-d0a02955f81a"},
                                [("notes", "add_success_referer_host_page_returns_id")]),
        "note-update-500": web("note_update", {"project_id": notes_p, "text": "t"},
                               [("notes", "edit_unknown_note_id"), ("notes", "export_json_notes")]),
        "note-delete": web("note_delete", {"project_id": notes_p}, [("notes", "edit_delete")]),
        "nmap": web("nmap_import", {"project_id": notes_p},
                    [("nmap_import", "import_without_csrf"), ("login", "get_login_page"),
                     ("login", "success"), ("nmap_import", "import_not_xml")]),
        "nmap-ok": web("nmap_import", {"project_id": notes_p},
                       [("nmap_import", "import_success_open_only")]),
        "report": drive_input("report_render", 3, {"project_id": p, "report_title": "Report"}, login() + [
            answer(case("ui/reports", "generate_txt_from_uploaded_template"),
                   headers={"content-disposition": "attachment; filename*=UTF-8''..%2Fr%C3%A9port.txt"})]),
        "report-settings": drive_input("report_render", 3, {"project_id": p}, [
            answer(case("project_PROJECT_ID_settings", "success"))] + login() + [
            answer(case("ui/reports", "generate_unknown_template_id_500"))]),
        "issue-create": web("issue_create", {"project_id": notes_p, "name": "SQL injection"},
                            [("issues", "create_missing_name")]),
        "issue-create-ok": web("issue_create", {"project_id": notes_p, "name": "SQL injection",
                                                "cvss": 9.8},
                               [("issues", "create_full_multipart"),
                                ("issues", "export_json_issue_after_create")]),
        "issue-update": web("issue_update", {"project_id": notes_p, "issue_id": issue,
                                             "name": "edited", "description": "d"},
                            [("issues", "export_json_issue_after_create"),
                             ("issues", "edit_success"), ("issues", "edit_text_fields")]),
        "issue-delete": web("issue_delete", {"project_id": notes_p, "issue_id": issue},
                            [("issues", "export_json_issue_after_create"),
                             ("issues", "delete_issue_success"),
                             ("issues", "export_json_after_delete")]),
        "poc-add": web("poc_add", {"project_id": notes_p, "issue_id": issue, "content": "sqlmap",
                                   "description": "sqlmap output"},
                       [("issues", "export_json_issue_after_create"),
                        ("issues", "poc_add_text_success"), ("issues", "export_json_pocs_after_add")]),
        "relogin": drive_input("project_snapshot", 3, {"project_id": p}, login() + [
            answer(case("ui/reports", "export_json_not_logged_in"), headers={"location": "/logout"})]
            + login() + [answer(case("ui/reports", exp_all[1]))]),
        "login-wrong-password": drive_input("notes_list", 2, {}, [
            login_page(), answer(case("ui/login", "wrong_password"))]),
        "login-csrf": drive_input("notes_list", 2, {}, [
            login_page(), answer(case("ui/login", "post_without_csrf"))]),
        "login-no-csrf": drive_input("notes_list", 2, {}, [
            answer(case("ui/login", "get_login_page"), body="<html>no form</html>")]),
        "login-to-login": drive_input("notes_list", 2, {}, [
            login_page(),
            answer(case("ui/login", "success"), headers={"location": "http://127.0.0.1/login?next=%2F"})]),
    }
    # The workspace operations: their captured pages in order, after a login.
    ws_files = {"tasks": "ws_tasks", "task": "ws_tasks", "files": "ws_files", "file": "ws_files",
                "chats": "ws_chats", "chat": "ws_chats", "credentials_import": "ws_credentials_io",
                "credentials_export": "ws_credentials_io", "hosts_import": "ws_hosts_import",
                "issue_templates": "ws_issue_templates", "issue_from_template": "ws_issue_templates",
                "issues_bulk_edit": "ws_issues_bulk", "issues_merge": "ws_issues_bulk",
                "issues_bulk_delete": "ws_issues_bulk", "poc_set_main": "ws_issues_bulk",
                "issue_share": "ws_share", "services": "ws_services", "service": "ws_services",
                "paths": "ws_network_paths", "path": "ws_network_paths",
                "token_info": "ws_team_admin", "team_user_kick": "ws_team_admin"}
    import re
    table = open(os.path.join(TOP, "lib", "pcf", "endpoints.c")).read()
    for label in re.findall(r'WS\([A-Z_]+, "([a-z_]+)"', table):
        f = ws_files.get(label) or ws_files.get(label.split("_")[0])
        if not f or not os.path.exists(os.path.join(FIXTURES, "ui", f + ".json")):
            continue
        cases = fixture("ui/" + f)
        args = {}
        for c in cases:
            args.update(path_ids(c["request"]["path"]))
        answers = login() + [answer(c) for c in cases[:40]]
        text = drive_input(label, 3, args, answers)
        while len(text) > 60000 and len(answers) > 3:
            answers.pop()
            text = drive_input(label, 3, args, answers)
        seeds["ws-" + label] = text
    return seeds


# --------------------------------------------------------------------- http

ACCEPT = "Accept: application/json, text/event-stream"
CTYPE = "Content-Type: application/json"
MODERN = "2026-07-28"
META = {"io.modelcontextprotocol/protocolVersion": MODERN,
        "io.modelcontextprotocol/clientCapabilities": {"elicitation": {}, "roots": {}},
        "io.modelcontextprotocol/clientInfo": {"name": "fuzz", "version": "1"}}


def rpc(method, params=None, id_=1):
    m = {"jsonrpc": "2.0", "method": method}
    if id_ is not None:
        m["id"] = id_
    if params is not None:
        m["params"] = params
    return json.dumps(m)


def http_req(method, path, headers, body=""):
    return "\n".join(["%s %s" % (method, path)] + headers) + "\n\n" + body


def requests(*reqs):
    return "\n%%\n".join(reqs)


INIT = rpc("initialize", {"protocolVersion": "2025-11-25", "capabilities": {},
                          "clientInfo": {"name": "fuzz", "version": "1"}})


def post(body, *extra):
    return http_req("POST", "/mcp", [ACCEPT, CTYPE] + list(extra), body)


def session(*extra):
    return post(rpc("notifications/initialized", id_=None), "Mcp-Session-Id: $SID",
                "MCP-Protocol-Version: 2025-11-25", *extra)


def in_session(body, *extra):
    return post(body, "Mcp-Session-Id: $SID", "MCP-Protocol-Version: 2025-11-25", *extra)


def modern(method, params, *extra):
    params = dict(params or {})
    params["_meta"] = META
    return post(rpc(method, params), "MCP-Protocol-Version: " + MODERN, "Mcp-Method: " + method,
                *extra)


def http():
    b64 = lambda t: "=?base64?" + base64.b64encode(t.encode()).decode() + "?="
    return {
        "session": requests(post(INIT), session(), in_session(rpc("tools/list", id_=2)),
                            in_session(rpc("tools/call", {"name": "echo",
                                                          "arguments": {"region": "eu"}}, 3)),
                            in_session(rpc("tools/call", {"name": "progress", "arguments": {},
                                                          "_meta": {"progressToken": "p"}}, 4)),
                            http_req("GET", "/mcp", ["Accept: text/event-stream",
                                                     "Mcp-Session-Id: $SID"]),
                            http_req("DELETE", "/mcp", ["Mcp-Session-Id: $SID"])),
        "resume": requests(post(INIT), session(),
                           in_session(rpc("tools/call", {"name": "cut", "arguments": {}}, 2)),
                           http_req("GET", "/mcp", ["Accept: text/event-stream",
                                                    "Mcp-Session-Id: $SID", "Last-Event-ID: $EID"]),
                           http_req("GET", "/mcp", ["Accept: text/event-stream",
                                                    "Mcp-Session-Id: $SID", "Last-Event-ID: 1_0"])),
        "subscribe": requests(post(INIT), session(),
                              in_session(rpc("resources/subscribe", {"uri": "test://a"}, 2)),
                              in_session(rpc("resources/read", {"uri": "test://t/7"}, 3)),
                              in_session(rpc("logging/setLevel", {"level": "debug"}, 4)),
                              in_session(rpc("prompts/get", {"name": "p",
                                                             "arguments": {"x": "y"}}, 5))),
        "batch": requests(post(INIT.replace("2025-11-25", "2025-03-26")),
                          post("[" + rpc("notifications/initialized", id_=None) + "," +
                               rpc("ping", id_=7) + "," + rpc("tools/list", id_=8) + "]",
                               "Mcp-Session-Id: $SID", "MCP-Protocol-Version: 2025-03-26")),
        "modern": requests(modern("tools/call", {"name": "echo",
                                                 "arguments": {"region": "eu", "count": 3,
                                                               "flag": True,
                                                               "where": {"zone": "z1"}}},
                                  "Mcp-Name: echo", "Mcp-Param-Region: eu", "Mcp-Param-Count: 3",
                                  "Mcp-Param-Flag: true", "Mcp-Param-Zone: z1")),
        "modern-base64": requests(modern("tools/call", {"name": "echo",
                                                        "arguments": {"region": "zürich"}},
                                         "Mcp-Name: " + b64("echo"),
                                         "Mcp-Param-Region: " + b64("zürich"))),
        "modern-mismatch": requests(modern("tools/call", {"name": "echo", "arguments": {}},
                                           "Mcp-Name: other"),
                                    modern("resources/read", {"uri": "test://a"},
                                           "Mcp-Name: test://a"),
                                    modern("prompts/get", {"name": "p"}, "Mcp-Name: =?base64?!!?=")),
        "modern-ask": requests(modern("tools/call", {"name": "ask", "arguments": {}},
                                      "Mcp-Name: ask"),
                               modern("server/discover", {})),
        "modern-no-header": requests(post(rpc("tools/list", {"_meta": META}))),
        "version": requests(post(INIT, "MCP-Protocol-Version: 1999-01-01"),
                            post(rpc("ping"), "MCP-Protocol-Version: 2025-06-18")),
        "refusals": requests(http_req("POST", "/mcp", ["Accept: text/html", CTYPE], rpc("ping")),
                             http_req("POST", "/mcp", [ACCEPT, "Content-Type: text/plain"],
                                      rpc("ping")),
                             post(rpc("ping"), "Origin: https://evil.example"),
                             post(rpc("ping"), "Host: evil.example"),
                             post(rpc("ping"), "Mcp-Session-Id: unknown"),
                             http_req("PUT", "/mcp", [ACCEPT], ""),
                             http_req("GET", "/other", [], "")),
        "auth": requests(post(INIT, "Authorization: Bearer 123456"),
                         post(rpc("ping"), "Authorization: Bearer wrong-key"),
                         post(rpc("ping"), "Authorization: Basic YWxpY2U6cHc="),
                         post(rpc("ping"), "Authorization: Bearer a.b.c"),
                         http_req("DELETE", "/mcp", ["Mcp-Session-Id: $SID",
                                                     "Authorization: Bearer 123456"])),
        "cors": requests(http_req("OPTIONS", "/mcp", ["Origin: http://localhost:5173",
                                                      "Access-Control-Request-Method: POST"]),
                         post(INIT, "Origin: http://localhost:5173")),
        "ops": requests(http_req("GET", "/healthz", []), http_req("GET", "/readyz", []),
                        http_req("GET", "/metrics", ["Accept-Encoding: gzip"]),
                        http_req("GET", "/.well-known/oauth-protected-resource/mcp", []),
                        http_req("POST", "/healthz", [])),
        "gzip": requests(post(INIT, "Accept-Encoding: gzip, deflate"),
                         in_session(rpc("tools/list", id_=2), "Accept-Encoding: gzip")),
        "trace": requests(post(INIT), in_session(rpc("ping"),
                               "traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01",
                               "tracestate: vendor=x")),
        "stateless": "!stateless\n" + requests(post(INIT), post(rpc("tools/list", id_=2)),
                                              http_req("GET", "/mcp", ["Accept: text/event-stream"]),
                                              http_req("DELETE", "/mcp", ["Mcp-Session-Id: x"])),
        "garbage": requests(post("{"), post(""), post(rpc("tools/call", {"name": 7}))),
        "header-values": "!headers\n" + "\n".join([
            b64("echo"), b64("zürich"), "=?base64?!!?=", "=?base64?AA==?=", "=?base64?/w==?=",
            "=?base64??=", " \techo \t", "", "application/json, text/event-stream",
            "text/*;q=0.5, application/json;q=0", "*/*;q=0.001", "gzip;q=0, deflate", "GZIP",
            "application/json; charset=utf-8", "Application/JSON ;x=y", "http://localhost:5173",
            "https://app.example", "http://[::1]:8080", "null", "[::1]:8080", "example.com:80",
            "127.0.0.1", "localhost.:65536"]) + "\n",
    }


# --------------------------------------------------------------------- meta

def meta_msg(method, params=None, id_=1, meta=None):
    params = dict(params or {})
    params["_meta"] = dict(META, **(meta or {}))
    return rpc(method, params, id_)


def meta():
    lines = lambda *m: "\n".join(m) + "\n"
    call = lambda extra=None, id_=1: meta_msg("tools/call", dict({"name": "confirm", "arguments": {}},
                                                                 **(extra or {})), id_)
    return {
        "discover": lines(meta_msg("server/discover"), meta_msg("tools/list", id_=2),
                          meta_msg("resources/list", {"cursor": None}, 3),
                          meta_msg("resources/templates/list", id_=4), meta_msg("prompts/list", id_=5)),
        "rounds": lines(call(),
                        call({"inputResponses": {"sure": {"action": "accept",
                                                          "content": {"ok": True}}},
                              "requestState": "$STATE"}, 2),
                        call({"inputResponses": {"roots": {"roots": []}},
                              "requestState": "$STATE"}, 3)),
        "tampered": lines(call(), call({"inputResponses": {"sure": {}},
                                        "requestState": "AAAA.BBBB"}, 2),
                          meta_msg("tools/call", {"name": "structured", "arguments": {"n": 1},
                                                  "requestState": "$STATE"}, 3)),
        "log-trace": lines(meta_msg("tools/call", {"name": "confirm", "arguments": {}}, 1,
                                    {"io.modelcontextprotocol/logLevel": "debug",
                                     "progressToken": 7,
                                     "traceparent": "00-4bf92f3577b34da6a3ce929d0e0e4736-"
                                                    "00f067aa0ba902b7-01"}),
                           meta_msg("tools/call", {"name": "confirm"}, 2,
                                    {"io.modelcontextprotocol/logLevel": "loud"})),
        "missing": lines(rpc("tools/list", {"_meta": {"io.modelcontextprotocol/protocolVersion":
                                                      MODERN}}),
                         rpc("tools/list", {"_meta": {"io.modelcontextprotocol/protocolVersion": 7}}, 2),
                         rpc("server/discover", {}, 3),
                         rpc("tools/list", {"_meta": {"io.modelcontextprotocol/protocolVersion":
                                                      "2099-01-01"}}, 4),
                         meta_msg("initialize", {"protocolVersion": MODERN}, 5),
                         meta_msg("resources/subscribe", {"uri": "test://a"}, 6),
                         meta_msg("ping", id_=7)),
        "others": lines(meta_msg("resources/read", {"uri": "test://t/9"}),
                        meta_msg("prompts/get", {"name": "p", "arguments": {"x": "y"}}, 2),
                        meta_msg("completion/complete", {"ref": {"type": "ref/prompt", "name": "p"},
                                                         "argument": {"name": "x", "value": "a"}}, 3),
                        meta_msg("tools/call", {"name": "structured", "arguments": {"n": "x"}}, 4),
                        meta_msg("subscriptions/listen", {"notifications": {}}, 5)),
        "session-mix": "!session\n" + lines(INIT, rpc("notifications/initialized", id_=None),
                                            rpc("tools/list", {"_meta": {
                                                "io.modelcontextprotocol/protocolVersion":
                                                "2025-11-25"}}, 2),
                                            meta_msg("tools/call", {"name": "confirm"}, 3),
                                            rpc("tools/call", {"name": "confirm"}, 4)),
        "batch": lines("[" + meta_msg("tools/list") + "," + meta_msg("ping", id_=2) + "]"),
    }


# ------------------------------------------------ the older targets' seeds

def pcf_mcp():
    """The built CLI (for tool schemas and the configuration dump), if any:
    $PCF_MCP, else build/pcf-mcp. Seeds that need it are skipped without."""
    import shutil
    for cand in (os.environ.get("PCF_MCP"), os.path.join(TOP, "build", "pcf-mcp"),
                 shutil.which("pcf-mcp")):
        if cand and os.access(cand, os.X_OK):
            return cand
    print("note: no built pcf-mcp (set PCF_MCP): tool schema and config dump seeds skipped")
    return None


def run_cli(*args):
    import subprocess
    exe = pcf_mcp()
    if not exe:
        return None
    env = {k: v for k, v in os.environ.items() if not k.startswith("PCF_MCP_")}
    # Every tool, not only the default toolsets.
    env.update(PCF_MCP_TOOLS_TOOLSETS="all", PCF_MCP_TOOLS_ENABLE_DESTRUCTIVE="true")
    return subprocess.run([exe] + list(args), capture_output=True, env=env, check=True).stdout


def schema():
    """Every tool's input and output schema with an instance (split by NUL)."""
    seeds = {}
    out = run_cli("tools", "--format", "json")
    for t in json.loads(out) if out else []:
        for kind in ("inputSchema", "outputSchema"):
            if kind not in t:
                continue
            props = t[kind].get("properties", {})
            inst = {}
            for name, p in list(props.items())[:4]:
                ty = p.get("type")
                inst[name] = (p["enum"][0] if "enum" in p else
                              "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d" if p.get("format") == "uuid" else
                              p.get("minimum", 1) if ty in ("integer", "number") else
                              True if ty == "boolean" else [] if ty == "array" else
                              {} if ty == "object" else "x")
            seeds["%s-%s" % (t["name"], kind)] = json.dumps(t[kind]) + "\0" + json.dumps(inst)
    return seeds


def uritemplate():
    p = "pcf://projects/{project_id}"
    pid = "ed881b71-614c-45d5-a36d-76bdd0e4afcf"
    pairs = [
        (p + "/hosts/{host_id}.md", "pcf://projects/%s/hosts/10.0.0.5.md" % pid),
        (p + "/issues/{issue_id}.md", "pcf://projects/%s/issues/%s.md" % (pid, pid)),
        (p + "/hosts.md", "pcf://projects/Acme%%20Corp/hosts.md"),
        (p + ".md", "pcf://projects/%s.md" % pid),
        (p + "/hosts/{host_id}", "pcf://projects/%s/hosts/fe80%%3A%%3A1" % pid),
        (p + "/issues", "pcf://projects/%s/issues" % pid),
        (p, "pcf://projects/%s" % pid),
        ("test://t/{id}{?q,r}", "test://t/7?q=a&r=%E2%82%AC"),
        ("file:///{+path}{#frag}", "file:///etc/x#y"),
        ("x://{/seg*}{;p}{.ext}{&more}", "x:///a/b;p=1.json&more=2"),
    ]
    return {"pcf-%d" % i: t + "\0" + u for i, (t, u) in enumerate(pairs)}


def yaml_blocks(path):
    text = open(path).read()
    out, on = [], None
    for line in text.splitlines(keepends=True):
        if line.startswith("```"):
            if on is None and line.strip() in ("```yaml", "```"):
                on = []
            elif on is not None:
                out.append("".join(on))
                on = None
        elif on is not None:
            on.append(line)
    return [b for b in out if ":" in b]


def config():
    seeds = {"deploy-kubernetes": open(os.path.join(TOP, "deploy", "kubernetes",
                                                    "config.yaml")).read()}
    for f in sorted(glob.glob(os.path.join(TOP, "docs", "*.md"))):
        for i, b in enumerate(yaml_blocks(f)):
            seeds["%s-%d" % (os.path.basename(f)[:-3], i)] = b
    dump = run_cli("config", "dump")
    if dump:
        seeds["dump"] = dump
    return seeds


def html():
    """Every web page, Location and Content-Disposition of the UI fixtures."""
    seeds = {}
    for f in sorted(glob.glob(os.path.join(FIXTURES, "ui", "*.json"))):
        base = os.path.basename(f)[:-5]
        for c in fixture("ui/" + base):
            r = c["response"]
            body = r.get("body", r.get("body_excerpt"))
            if isinstance(body, str) and "<" in body:
                seeds["%s-%s" % (base, c["name"])] = body
            for h in ("location", "content-disposition"):
                if h in r.get("headers", {}):
                    seeds["%s-%s-%s" % (base, c["name"], h)] = r["headers"][h]
    seeds["login-form"] = CSRF_FIELD + '<div class="alert alert-danger">There were some errors ' \
        'with your login<ul><li>Wrong password!</li><li>&lt;b&gt;x&#x27;</li></ul></div>'
    return seeds


def engine():
    """Sessions as a client drives them. The first byte's low bit makes the
    session stateless ("{" is odd): 2025 sessions start with an empty line."""
    lines = lambda *m: "\n" + "\n".join(m) + "\n"
    legacy = INIT.replace("2025-11-25", "2025-06-18")
    return {
        "tools": lines(legacy, rpc("notifications/initialized", id_=None),
                       rpc("tools/list", id_=2), rpc("tools/list", {"cursor": "$bad"}, 3),
                       rpc("tools/call", {"name": "echo", "arguments": {
                           "port": 443, "id": "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d",
                           "tags": ["a"], "name": "abc"}, "_meta": {"progressToken": 1}}, 4),
                       rpc("tools/call", {"name": "echo", "arguments": {"port": 0, "x": 1}}, 5),
                       rpc("tools/call", {"name": "structured", "arguments": {"n": "no"}}, 6)),
        "resources": lines(legacy, rpc("notifications/initialized", id_=None),
                           rpc("resources/list", id_=2), rpc("resources/templates/list", id_=3),
                           rpc("resources/read", {"uri": "test://t/1?q=2"}, 4),
                           rpc("resources/read", {"uri": "test://missing"}, 5),
                           rpc("resources/subscribe", {"uri": "test://a"}, 6),
                           rpc("resources/unsubscribe", {"uri": "test://a"}, 7)),
        "prompts": lines(legacy, rpc("notifications/initialized", id_=None),
                         rpc("prompts/list", id_=2),
                         rpc("prompts/get", {"name": "p", "arguments": {"x": "y"}}, 3),
                         rpc("prompts/get", {"name": "p", "arguments": {}}, 4),
                         rpc("completion/complete", {"ref": {"type": "ref/prompt", "name": "p"},
                                                     "argument": {"name": "x", "value": "a"}}, 5),
                         rpc("logging/setLevel", {"level": "debug"}, 6),
                         rpc("notifications/cancelled", {"requestId": 5}, None),
                         rpc("ping", id_=7)),
        "answers": lines(legacy, '{"jsonrpc":"2.0","id":"srv-1","result":{}}',
                         '{"jsonrpc":"2.0","id":"srv-2","error":{"code":-1,"message":"no"}}',
                         '[]', '[1]', '{"jsonrpc":"2.0"}', '{"jsonrpc":"1.0","id":1,"method":"ping"}'),
        "modern": "\n".join([meta_msg("tools/list"), meta_msg("server/discover", id_=2)]) + "\n",
    }


# -------------------------------------------------------------------- tools

# One success answer per API route (and the web login and export), so that
# any tool finds what it asks PCF for; the fuzzer trims what a call does not
# use.
POOL = [("project_PROJECT_ID_settings", "success"), ("projects", "success"),
        ("project_PROJECT_ID_hosts", "success"), ("project_PROJECT_ID_host_HOST_ID_info", "success"),
        ("project_PROJECT_ID_port_PORT_ID_info", "success"),
        ("project_PROJECT_ID_hostnames", "success"), ("project_PROJECT_ID_networks", "success"),
        ("project_PROJECT_ID_network_NETWORK_ID_info", "success"),
        ("project_PROJECT_ID_issues_list", "success"),
        ("project_PROJECT_ID_issues_ISSUE_ID_info", "success_with_pocs"),
        ("project_PROJECT_ID_issues_ISSUE_ID_poc_POC_ID_info", "success"),
        ("project_PROJECT_ID_issues_search", "success_name_like"), ("teams", "success"),
        ("team_TEAM_ID_info", "success"), ("team_TEAM_ID_users", "success"),
        ("team_TEAM_ID_projects", "success"), ("team_TEAM_ID_logs", "success"),
        ("user_me", "success"), ("rules", "success_all"), ("check_token", "success"),
        ("project_PROJECT_ID_host_new", "success"), ("project_PROJECT_ID_port_new", "success"),
        ("project_PROJECT_ID_hostname_add", "success"),
        ("project_PROJECT_ID_host_HOST_ID_edit", "success"),
        ("project_PROJECT_ID_settings_edit", "success"), ("project_new", "success")]


def minified(c):
    b = c["response"].get("body")
    if isinstance(b, (dict, list)):
        b = json.dumps(b, separators=(",", ":"))
    return answer(c, body=b)


def tools():
    out = run_cli("tools", "--format", "json")
    if not out:
        return {}
    pid = "ed881b71-614c-45d5-a36d-76bdd0e4afcf"
    pool = [minified(case(f, n)) for f, n in POOL]
    web = login() + [minified(case("ui/reports", "export_json_all_project_data"))]
    values = {"project": pid, "host": "10.0.0.5", "ip": "10.0.0.6", "port": 443,
              "issue": "47b58234-78ed-4082-809e-a3a789ac8ed1", "name": "fuzz",
              "confirm": "47b58234-78ed-4082-809e-a3a789ac8ed1", "team": "Red team"}
    seeds = {}
    for t in json.loads(out):
        schema_ = t.get("inputSchema", {})
        props = schema_.get("properties", {})
        args = {}
        for name in schema_.get("required", []):
            p = props.get(name, {})
            ty = p.get("type")
            args[name] = (values.get(name) if name in values else
                          p["enum"][0] if "enum" in p else
                          "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d" if p.get("format") == "uuid" else
                          p.get("minimum", 1) if ty in ("integer", "number") else
                          True if ty == "boolean" else [] if ty == "array" else
                          {} if ty == "object" else "x")
        if "project" in props:
            args.setdefault("project", pid)
        text = drive_input(t["name"], 3, args, pool + web)
        while len(text) > 60000 and len(pool) > 5:
            pool = pool[:-1]
            text = drive_input(t["name"], 3, args, pool + web)
        seeds[t["name"]] = text
    return seeds


def importers():
    """Every captured scan file under its format (the first byte is the
    format's index in lib/pcf/importers.c's table, the second the nmap
    options)."""
    import re
    table = open(os.path.join(TOP, "lib", "pcf", "importers.c")).read()
    names = re.findall(r'^    \{ "([a-z0-9_-]+)", "', table, re.M)
    seeds = {}
    for f in sorted(glob.glob(os.path.join(TOP, "tests", "fixtures", "scans", "*"))):
        base = os.path.basename(f)
        if base.endswith(".py"):
            continue
        stem = base.split(".")[0].split("-")[0]
        data = open(f, "rb").read()
        idx = names.index(stem) if stem in names else 0
        seeds[base] = bytes([idx, 0]) + data
        if stem == "nmap":  # each option once
            for bit in range(0, 7):
                seeds["%s-opt%d" % (base, bit)] = bytes([idx, 1 << bit]) + data
    return seeds


TARGETS = {
    "engine": engine,
    "schema": schema,
    "uritemplate": uritemplate,
    "config": config,
    "html": html,
    "apikeys": apikeys,
    "jwt": jwt,
    "jwks": jwks,
    "identity": identity,
    "pcfapi": pcfapi,
    "pcfweb": pcfweb,
    "tools": tools,
    "http": http,
    "meta": meta,
    "importers": importers,
}


def main(argv):
    names = argv[1:] or list(TARGETS)
    for n in names:
        if n not in TARGETS:
            sys.exit("unknown target %s (known: %s)" % (n, " ".join(TARGETS)))
        write(n, TARGETS[n]())


if __name__ == "__main__":
    main(sys.argv)
