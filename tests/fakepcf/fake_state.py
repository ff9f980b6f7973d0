"""Control endpoints over the fake PCF's own state, for the property tests
(tests/e2e/write-property.mjs and hostile-property.mjs): they read back what
a tool wrote without going through pcf-mcp, and plant hostile text in every
field the fake holds.

    GET  /__fake__/object/<uuid>   {"table", "record"}: the stored row, as PCF
                                   keeps it (PoC content as text or base64)
    POST /__fake__/object/<uuid>   {"set": {member: value}}: change a stored row
    GET  /__fake__/ids             {"projects": [ids], "hosts": [...], ...}
    POST /__fake__/plant           {"texts": [...]}: every text field of every
                                   row (names, descriptions, statuses, banners,
                                   custom fields, threats, PoC content, team and
                                   user names, logs, ...) gets one of the texts
                                   (round robin); ids, numbers, the maps that
                                   tie objects together, emails and passwords
                                   stay, so the data still hangs together and
                                   pcf-mcp can still log in.
                                   Optional "formulas": [...] become the whole
                                   value of the fields a CSV report shows
                                   (spreadsheet formula injection), and "keys":
                                   [...] the names of extra custom fields.
"""
import base64
import json

# table name in the State -> what the tests call it
TABLES = ("users", "teams", "projects", "hosts", "ports", "hostnames", "networks", "issues",
          "pocs", "files", "creds", "notes", "rules", "templates")

# Members that hold structure or credentials, never planted.
KEEP = {"id", "project_id", "host_id", "port_id", "hostname_id", "issue_id", "user_id",
        "team_id", "admin_id", "email", "password", "admin_email", "services", "access_from",
        "users", "testers", "teams", "is_tcp", "is_ipv6", "priority", "status", "filename",
        "type", "project"}
# ...except where the text is the point: an issue's status is free text.
PLANT_ANYWAY = {("issues", "status"), ("pocs", "filename")}


def _jsonable(v):
    if isinstance(v, (bytes, bytearray)):
        try:
            return {"text": bytes(v).decode("utf-8")}
        except UnicodeDecodeError:
            return {"base64": base64.b64encode(bytes(v)).decode("ascii")}
    if isinstance(v, dict):
        return {str(k): _jsonable(x) for k, x in v.items()}
    if isinstance(v, (list, tuple)):
        return [_jsonable(x) for x in v]
    return v


def _find(st, oid):
    for name in TABLES:
        rows = getattr(st, name, None)
        if isinstance(rows, dict) and oid in rows:
            return name, rows[oid]
    return None, None


class _Texts:
    def __init__(self, texts):
        self.texts = texts
        self.i = 0

    def next(self):
        t = self.texts[self.i % len(self.texts)]
        self.i += 1
        return t


def _plant_row(table, row, texts):
    for k, v in list(row.items()):
        if k in KEEP and (table, k) not in PLANT_ANYWAY:
            continue
        if isinstance(v, str):
            row[k] = texts.next()
        elif isinstance(v, (bytes, bytearray)) and table == "pocs":
            # Text PoCs carry hostile text; image PoCs stay images.
            if not bytes(v).startswith((b"\x89PNG", b"\xff\xd8", b"GIF8", b"BM", b"RIFF")):
                row[k] = texts.next().encode("utf-8")
        elif isinstance(v, list) and all(isinstance(x, str) for x in v) and k == "threats":
            row[k] = [texts.next(), texts.next()]
        elif isinstance(v, dict) and k == "fields":
            for fname, f in v.items():
                if f.get("type") == "text":
                    f["value"] = texts.next()
            v["hostile" + str(texts.i)] = {"type": "text", "value": texts.next()}


def control(app, req, body, json_resp):
    """Answers the endpoints above, or None for any other path."""
    p, m = req.path.rstrip("/"), req.method
    if p.startswith("/__fake__/object/") and m == "GET":
        oid = p.rsplit("/", 1)[1].lower()
        with app.db_lock:
            table, row = _find(app.state, oid)
            if row is None:
                return json_resp({"status": "error", "error": "no such object"}, 404)
            return json_resp({"status": "ok", "table": table,
                              "record": json.loads(json.dumps(_jsonable(row)))})
    if p.startswith("/__fake__/object/") and m == "POST":
        # {"set": {member: value}}: what another PCF user (or PCF's own UI)
        # may have stored, for tests of what pcf-mcp must keep.
        oid = p.rsplit("/", 1)[1].lower()
        changes = body.get("set") if isinstance(body, dict) else None
        if not isinstance(changes, dict):
            return json_resp({"status": "error", "error": "set: an object"}, 400)
        with app.db_lock:
            table, row = _find(app.state, oid)
            if row is None:
                return json_resp({"status": "error", "error": "no such object"}, 404)
            row.update(changes)
            return json_resp({"status": "ok", "table": table})
    if p == "/__fake__/ids" and m == "GET":
        with app.db_lock:
            st = app.state
            return json_resp(dict({name: list(getattr(st, name).keys()) for name in TABLES},
                                  status="ok"))
    if p == "/__fake__/plant" and m == "POST":
        texts = body.get("texts") if isinstance(body, dict) else None
        if not texts or not all(isinstance(t, str) and t for t in texts):
            return json_resp({"status": "error", "error": "texts: a list of strings"}, 400)
        t = _Texts(texts)
        formulas = body.get("formulas") or []
        keys = body.get("keys") or []
        with app.db_lock:
            st = app.state
            for name in TABLES:
                for row in getattr(st, name).values():
                    _plant_row(name, row, t)
            for log in st.logs:
                log["description"] = t.next()
            if formulas:
                f = _Texts(formulas)
                for table, members in (("issues", ("name", "status", "cve", "url_path", "fix")),
                                       ("ports", ("service",)), ("hostnames", ("hostname",))):
                    for row in getattr(st, table).values():
                        for k in members:
                            if isinstance(row.get(k), str):
                                row[k] = f.next()
            for i, row in enumerate(st.issues.values()):
                for k in keys[i % 2::2] if keys else ():
                    row["fields"][k] = {"type": "text", "value": t.next()}
        return json_resp({"status": "ok", "planted": t.i})
    return None
