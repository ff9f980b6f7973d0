"""The project workspace of the fake PCF: issue templates, bulk issue
operations, share links, the task board, project files, chats, credential
and host list imports, services, network paths and the team page's member
actions, answering like PCF HEAD 6c83154 does in
tests/fixtures/pcf/ui/ws_*.json (captured by scripts/capture-workspace.py),
defects included (docs/pcf-api/UI-ENDPOINTS.md section 11).

fake_pcf.py calls build(app, u) to register the routes, seed(st, name) after
every reset, and the helpers below from its export and issues page.
State lives in st.ws (reset with the rest of the state)."""

import base64
import ipaddress
import json
import re
import urllib.parse

# fake_pcf imports this module; these names come back from it at build().
F = None


def _bind(mod):
    global F
    F = mod


def ws(st):
    if not getattr(st, "ws", None):
        st.ws = {"issue_templates": {}, "tasks": {}, "chats": {}, "messages": [], "paths": {}}
    return st.ws


# ------------------------------------------------------------------ seeds

def seed(st, name):
    """Two issue templates (personal and team) and a chat for the demo seed."""
    w = ws(st)
    if name != "demo":
        return
    main = st.user_by_email(F.MAIN_EMAIL)
    team = next(iter(st.teams.values()), None)
    add_template(st, main["id"], "", {
        "tpl_name": "Outdated __product__", "name": "Outdated __product__ __version__",
        "description": "__product__ __version__ is no longer supported and has known "
                       "vulnerabilities.",
        "url_path": "", "cvss": 7.5, "cvss_vector": "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N",
        "status": "Need to check", "cve": "", "cwe": 1104, "type": "vulnerability",
        "fix": "Upgrade __product__ to a supported release.", "param": "",
        "fields": {"owasp": {"type": "text", "value": "A06"}},
        "variables": {"product": {"type": "text", "value": "nginx"},
                      "version": {"type": "text", "value": "1.0"}},
        "technical": "Banner: __product__/__version__", "risks": "Public exploits.",
        "references": "https://owasp.org/Top10/A06_2021/", "intruder": "external"})
    if team:
        add_template(st, "", team["id"], {
            "tpl_name": "Weak TLS on __port__", "name": "Weak TLS configuration on port __port__",
            "description": "The service on port __port__ accepts TLS 1.0.", "url_path": "",
            "cvss": 5.3, "cvss_vector": "", "status": "Need to check", "cve": "", "cwe": 326,
            "type": "vulnerability", "fix": "Allow TLS 1.2 and later only.", "param": "",
            "fields": {}, "variables": {"port": {"type": "number", "value": 443}},
            "technical": "", "risks": "", "references": "", "intruder": ""})
    pid = next((p["id"] for p in st.projects.values() if p["name"] == "ACME external pentest"),
               None)
    if pid:
        cid = F.gen_id()
        w["chats"][cid] = {"id": cid, "project_id": pid, "name": "general", "user_id": main["id"]}
        w["messages"].append({"chat_id": cid, "user_id": main["id"], "message": "Kick-off done.",
                              "time": st.cfg.clock.now() * 1000})


def add_template(st, user_id, team_id, values):
    tid = F.gen_id()
    t = dict(values, id=tid, user_id=user_id, team_id=team_id)
    ws(st)["issue_templates"][tid] = t
    return tid


def visible_issue_templates(st, user):
    teams = {t["id"] for t in st.user_teams(user["id"])}
    return [t for t in ws(st)["issue_templates"].values()
            if t["user_id"] == user["id"] or (t["team_id"] and t["team_id"] in teams)]


def template_menu(c, project_id):
    """The "Add from template" menu entries of the issues page."""
    out = []
    for t in visible_issue_templates(c.st, c.user):
        cvss = t["cvss"]
        color = ("blue" if cvss == 0 else "green" if cvss <= 3.9 else "yellow" if cvss <= 6.9
                 else "orange" if cvss <= 8.9 else "red")
        owner = "Personal" if t["user_id"] else "Team: " + c.st.teams[t["team_id"]]["name"]
        out.append('<a target="_blank" rel="noopener noreferrer" class="item" '
                   'href="/project/{}/issue_template/{}/" style="width: 100%; white-space:normal; '
                   'word-break: break-all"> <div class="ui {} empty circular label"></div> {} ({})'
                   '</a>'.format(project_id, t["id"], color, F.esc(t["tpl_name"]), F.esc(owner)))
    return "\n".join(out)


# ------------------------------------------------------------------ export parts

def export_tasks(st, pid):
    return {t["id"]: {"name": t["name"], "description": t["description"],
                      "start_date": t["start_date"], "finish_date": t["finish_date"],
                      "criticality": t["criticality"], "status": t["status"],
                      "users": list(t["users"]), "teams": list(t["teams"]),
                      "services": json.loads(json.dumps(t["services"]))}
            for t in ws(st)["tasks"].values() if t["project_id"] == pid}


def export_paths(st, pid):
    return {p["id"]: {k: p[k] for k in ("host_out", "network_out", "host_in", "network_in",
                                        "description", "type", "direction")}
            for p in ws(st)["paths"].values() if p["project_id"] == pid}


# ------------------------------------------------------------------ helpers

def fint(v, default=0):
    """WTForms IntegerField: None when the value does not parse."""
    if v is None or v == "":
        return default
    try:
        return int(v)
    except ValueError:
        return None


def ffloat(v, default):
    if v is None:
        return default
    try:
        return float(v)
    except ValueError:
        return None


def indexed(c, prefix):
    items = []
    for k, v in c.req.form()[0]:
        m = re.fullmatch(re.escape(prefix) + r"-(\d+)", k)
        if m:
            items.append((int(m.group(1)), v))
    return [v for _, v in sorted(items)]


def convert_variables(names, types, values):
    """PCF's variable/field conversion; an unconvertible value is dropped."""
    out = {}
    for i, name in enumerate(names):
        if i >= len(types) or i >= len(values):
            break
        vtype, value = types[i], values[i]
        if vtype not in ("text", "number", "float", "boolean"):
            continue
        try:
            if vtype == "text":
                v = value
            elif vtype == "number":
                v = int(value) if value else 0
            elif vtype == "float":
                v = float(value) if value else 0.0
            else:
                v = bool(int(value)) if value else False
        except ValueError:
            continue
        out[name] = {"type": vtype, "value": v}
    return out


def py_str(v):
    if isinstance(v, bool):
        return str(int(v))
    return str(v)


def services_of_pairs(c, pid, pairs, port_err, hn_err):
    """task/file "port_id:hostname_id" lists -> {port_id: [hostname_id or "0"]}."""
    out = {}
    for s in pairs:
        parts = str(s).split(":")
        if len(parts) < 2:
            raise F.ServerError("bad host pair")
        port_id, hn_id = parts[0].lower(), parts[1].lower()
        port = c.st.project_port(pid, port_id)
        if port is None:
            return None, port_err
        if hn_id != "0":
            hn = c.st.hostnames.get(hn_id)
            if hn is None or hn["host_id"] != port["host_id"]:
                return None, hn_err
        out.setdefault(port["id"], [])
        if hn_id not in out[port["id"]]:
            out[port["id"]].append(hn_id)
    return out, None


def page_errors(c, title, what, errors, extra=""):
    return c.page(title, F.nav(c) + (F.error_block(what, errors) + "\n" if errors else "") + extra)


# ------------------------------------------------------------------ routes

def build(app, u):
    # ---------------------------------------------------------- issue templates
    @u(["GET", "POST"], "/new_issue_template")
    def new_issue_template(c):
        if c.req.method == "GET":
            return c.page("New template", F.csrf_input(c.csrf))
        f = c.req.fget
        errors = []
        cvss, crit = ffloat(f("cvss"), 0.0), ffloat(f("criticality"), -1.0)
        if cvss is None:
            errors.append("Not a valid float value.")
        elif not 0 <= cvss <= 10:
            errors.append("CVSS must be from 0.0 to 10.0!")
        if crit is None:
            errors.append("Not a valid float value.")
        elif not -1 <= crit <= 10:
            errors.append("criticality must be from 0.0 to 10.0!")
        if f("issue_type", "vulnerability") not in ("vulnerability", "remark"):
            errors.append("Invalid value, must be one of: vulnerability, remark.")
        cwe = fint(f("cwe"))
        if cwe is None:
            errors.append("Not a valid integer value.")
        names, types, values = (c.req.fall("variable_name"), c.req.fall("variable_type"),
                                c.req.fall("variable_value"))
        if not len(names) == len(types) == len(values):
            errors.append("Error with variables form!")
        fn, ft, fv = (c.req.fall("additional_field_name"), c.req.fall("additional_field_type"),
                      c.req.fall("additional_field_value"))
        if not len(fn) == len(ft) == len(fv):
            errors.append("Error with additional fields form!")
        team_id = f("team_id", "") or ""
        user_id = ""
        if team_id and F.is_uuid(team_id):
            if not any(t["id"] == team_id.lower() for t in c.st.user_teams(c.user["id"])):
                errors.append("Team not found!")
            team_id = team_id.lower()
        else:
            team_id, user_id = "", c.user["id"]
        if errors:
            return c.page("New template", F.error_block("issue", errors))
        if crit is not None and 0 <= crit <= 10:
            cvss = crit
        add_template(c.st, user_id, team_id, {
            "tpl_name": f("template_name", ""), "name": f("name", ""),
            "description": f("description", ""), "url_path": f("url", ""), "cvss": cvss,
            "cvss_vector": f("cvss_vector", ""), "status": f("status", "Need to check"),
            "cve": f("cve", ""), "cwe": cwe, "type": f("issue_type", "vulnerability"),
            "fix": f("fix", ""), "param": f("param", ""),
            "fields": convert_variables(fn, ft, fv),
            "variables": convert_variables(names, types, values),
            "technical": f("technical", ""), "risks": f("risks", ""),
            "references": f("references", ""), "intruder": f("intruder", "")})
        return F.redirect("/profile#/config" if user_id else "/team/{}/#/configs".format(team_id))

    def template_access(c, tid):
        t = ws(c.st)["issue_templates"].get(tid)
        if t is None or t not in visible_issue_templates(c.st, c.user):
            return None
        return t

    @u(["POST"], "/download_issue_templates")
    def download_issue_templates(c):
        ids = c.req.fall("template_id")
        if any(not F.is_uuid(x) for x in ids):
            return F.redirect("/projects/")
        out = []
        for tid in ids:
            t = template_access(c, tid.lower())
            if t is None:
                continue
            out.append({k: t[k] for k in ("tpl_name", "name", "description", "url_path", "cvss",
                                          "cwe", "cve", "status", "type", "fix", "param",
                                          "fields", "variables", "technical", "risks",
                                          "references", "intruder")})
        r = F.json_resp(out)
        r.headers.append(("Content-Disposition", "attachment;filename=IssueTemplates.json"))
        return r

    @u(["GET", "POST"], "/project/<uuid:project_id>/issue_template/<uuid:template_id>/",
       project=True, write=True)
    def issue_from_template(c, project_id, template_id):
        if c.req.method == "GET" and c.st.archived_check(c.project):
            return F.redirect("/project/{}/".format(project_id))
        t = template_access(c, template_id)
        if t is None:
            return F.redirect("/project/{}/issues".format(project_id))
        if c.req.method == "GET":
            return c.page("New issue", F.csrf_input(c.csrf))
        names, types, values = (c.req.fall("variable_name"), c.req.fall("variable_type"),
                                c.req.fall("variable_value"))
        if any(x not in ("", "text", "number", "float", "boolean") for x in types) or \
                not len(names) == len(types) == len(values):
            # PCF's template page does not show the errors it collected.
            return c.page("New issue", F.csrf_input(c.csrf))
        form = dict(c.req.form()[0])
        if any(k not in form for k in ("cvss_graph", "impact", "exploitability", "risk")):
            return F.Response(400, F.WERKZEUG_400)
        variables = convert_variables(names, types, values)

        def fill(text):
            for name, v in variables.items():
                text = text.replace("__" + name + "__", py_str(v["value"]))
            return text
        fields = json.loads(json.dumps(t["fields"]))
        for fdef in fields.values():
            if fdef["type"] == "text":
                fdef["value"] = fill(fdef["value"])
        values = {"name": fill(t["name"]), "description": fill(t["description"]),
                  "url_path": fill(t["url_path"]), "cvss": t["cvss"], "cwe": t["cwe"],
                  "cve": fill(t["cve"]), "status": fill(t["status"]), "type": fill(t["type"]),
                  "fix": fill(t["fix"]), "param": fill(t["param"]),
                  "technical": fill(t["technical"]), "risks": fill(t["risks"]),
                  "references": fill(t["references"]), "intruder": fill(t["intruder"]),
                  "cvss_vector": t["cvss_vector"], "cvss_graph": form["cvss_graph"],
                  "impact": form["impact"], "exploitability": form["exploitability"],
                  "risk": form["risk"]}
        iid = c.st.new_issue(project_id, c.user["id"], fields=fields, services={}, **values)
        return F.redirect("/project/{}/issue/{}/".format(project_id, iid))

    # ---------------------------------------------------------- bulk issue routes
    def project_issue(c, pid, iid):
        i = c.st.issues.get((iid or "").strip().lower())
        return i if i is not None and i["project_id"] == pid else None

    @u(["POST"], "/project/<uuid:project_id>/issues/multiple_edit", project=True, write=True)
    def multiple_edit(c, project_id):
        ids = indexed(c, "issue")
        crit = ffloat(c.req.fget("criticality"), -1.0)
        # Form errors are collected and silently ignored: the answer is "ok".
        if any(not F.is_uuid(x.strip()) for x in ids) or crit is None or not -1 <= crit <= 10:
            return F.Response(200, b"ok")
        status = c.req.fget("status", "Need to check")
        for x in ids:
            i = project_issue(c, project_id, x)
            if i is None:
                continue
            if crit >= 0:
                i["cvss"] = crit
            if status != "-1":
                i["status"] = status
        return F.Response(200, b"ok")

    @u(["POST"], "/project/<uuid:project_id>/issues/join_issues", project=True, write=True)
    def join_issues(c, project_id):
        ids = indexed(c, "issue")
        if any(not F.is_uuid(x.strip()) for x in ids):
            return F.Response(200, b"ok")
        # SQLite walks the IN list in id order; PCF keeps the first of each
        # group of issues equal in every column but id, user_id and services,
        # and deletes the others without touching their PoCs.
        found = sorted({i["id"] for i in (project_issue(c, project_id, x) for x in ids) if i})

        def key(i):
            return {k: v for k, v in i.items() if k not in ("id", "user_id", "services")}
        gone = set()
        for n, iid in enumerate(found):
            if iid in gone:
                continue
            keep = c.st.issues[iid]
            for other in found[n + 1:]:
                if other in gone:
                    continue
                dup = c.st.issues[other]
                if key(dup) == key(keep):
                    for port_id, hns in dup["services"].items():
                        cur = keep["services"].setdefault(port_id, [])
                        for h in hns:
                            if h not in cur:
                                cur.append(h)
                    gone.add(other)
        for iid in gone:
            pocs = [p for p in c.st.pocs.values() if p["issue_id"] == iid]
            del c.st.issues[iid]
            for p in pocs:
                p["orphan"] = True      # kept in the table, no longer reachable
        return F.Response(200, b"ok")

    @u(["GET"], "/share/issue/<uuid:issue_id>/", login=False)
    def share_issue(c, issue_id):
        i = c.st.issues.get(issue_id)
        if i is None:
            return F.redirect("/404")
        return c.page(i["name"] or "Issue", "<h1>{}</h1>\n<p>{}</p>".format(
            F.esc(i["name"]), F.esc(i["description"])))

    # ---------------------------------------------------------- tasks
    def task_form(c, with_id):
        f = c.req.fget
        errors = []
        if with_id and not F.is_uuid((f("task_id") or "").strip()):
            errors.append("Invalid task_id")
        if with_id != "move":
            if not f("name"):
                errors.append("Name required!")
            crit = f("criticality", "info")
            if not crit:
                errors.append("Criticality required!")
            elif crit not in ("info", "low", "medium", "high", "critical"):
                errors.append("Invalid value, must be one of: info, low, medium, high, critical.")
            for k in ("start_date", "end_date"):
                if fint(f(k)) is None:
                    errors.append("Not a valid integer value.")
        status = f("status", "todo" if with_id != "move" else None)
        if with_id == "move" and not status:
            errors.append("Status required!")
        elif status not in ("todo", "progress", "review", "done"):
            errors.append("Invalid value, must be one of: todo, progress, review, done.")
        return errors

    def task_people(c, project_id):
        f = c.req.fget
        try:
            users = json.loads(f("users", "[]") or "[]")
            teams = json.loads(f("teams", "[]") or "[]")
            hosts = json.loads(f("hosts", "[]") or "[]")
        except ValueError:
            raise F.ServerError("bad JSON")
        errors = []
        testers = set(c.project["testers"])
        for t in c.project["teams"]:
            testers |= set(c.st.teams[t]["users"]) if t in c.st.teams else set()
        for uid in users:
            if uid not in testers:
                errors.append("One of users was not found!")
        for tid in teams:
            if tid not in c.project["teams"]:
                errors.append("One of teams was not found!")
        if errors:
            return None, errors
        svc, err = services_of_pairs(c, project_id, hosts, "Port was not found!",
                                     "Hostname was not found!")
        if err:
            return None, [err]
        return (users, teams, svc), None

    @u(["POST"], "/project/<uuid:project_id>/new_task", project=True, write=True)
    def new_task(c, project_id):
        errors = task_form(c, False)
        if errors:
            return F.json_resp({"errors": errors})
        people, errors = task_people(c, project_id)
        if errors:
            return F.json_resp({"errors": errors})
        tid = F.gen_id()
        f = c.req.fget
        ws(c.st)["tasks"][tid] = {
            "id": tid, "project_id": project_id, "name": f("name"),
            "description": f("description", ""), "criticality": f("criticality", "info"),
            "status": f("status", "todo"), "start_date": fint(f("start_date")),
            "finish_date": fint(f("end_date")), "users": people[0], "teams": people[1],
            "services": people[2]}
        return F.json_resp({"status": "ok"})

    def task_of(c, project_id):
        t = ws(c.st)["tasks"].get((c.req.fget("task_id") or "").strip().lower())
        return t if t is not None and t["project_id"] == project_id else None

    @u(["POST"], "/project/<uuid:project_id>/move_task", project=True, write=True)
    def move_task(c, project_id):
        errors = task_form(c, "move")
        if errors:
            return F.json_resp({"errors": errors})
        t = task_of(c, project_id)
        if t is None:
            return F.json_resp({"errors": ["Task was not found!"]})
        t["status"] = c.req.fget("status")
        return F.json_resp({"status": "ok"})

    @u(["POST"], "/project/<uuid:project_id>/delete_task", project=True, write=True)
    def delete_task(c, project_id):
        if not F.is_uuid((c.req.fget("task_id") or "").strip()):
            return F.json_resp({"errors": ["Invalid task_id"]})
        t = task_of(c, project_id)
        if t is None:
            return F.json_resp({"errors": ["Task was not found!"]})
        del ws(c.st)["tasks"][t["id"]]
        return F.json_resp({"status": "ok"})

    @u(["POST"], "/project/<uuid:project_id>/edit_task", project=True, write=True)
    def edit_task(c, project_id):
        errors = task_form(c, True)
        if errors:
            return F.json_resp({"errors": errors})
        t = task_of(c, project_id)
        if t is None:
            return F.json_resp({"errors": "Task was not found!"})   # a string, as PCF does
        people, errors = task_people(c, project_id)
        if errors:
            return F.json_resp({"errors": errors})
        f = c.req.fget
        # A full replace: omitted fields take the form defaults.
        t.update({"name": f("name"), "description": f("description", ""),
                  "criticality": f("criticality", "info"), "status": f("status", "todo"),
                  "start_date": fint(f("start_date")), "finish_date": fint(f("end_date")),
                  "users": people[0], "teams": people[1], "services": people[2]})
        return F.json_resp({"status": "ok"})

    # ---------------------------------------------------------- files
    def project_files(c, project_id):
        return [x for x in c.st.files.values() if x["project_id"] == project_id]

    def files_page(c, project_id, errors=()):
        pid = project_id
        rows = []
        for x in project_files(c, pid):
            lis = []
            for port_id, hns in (x.get("services") or {}).items():
                port = c.st.ports.get(port_id)
                host = c.st.hosts.get(port["host_id"]) if port else None
                if host is None:
                    continue
                for h in hns:
                    label = host["ip"] if h == "0" else c.st.hostnames.get(h, {}).get("hostname", "")
                    if port["port"] != 0:
                        label += ": {}{}".format(port["port"], "" if port["is_tcp"] else " (udp) ")
                    lis.append(" <li> {}</li>".format(F.esc(label)))
            binary = x.get("type", "binary") == "binary"
            link = ('<a class="ui button blue" href="/static/files/code/{}">'.format(x["id"])
                    if binary else
                    '<a class="ui button purple" href="/project/{}/files/{}/">'.format(pid, x["id"]))
            rows.append('<tr> <td>{}</td> <td>{}</td> <td> <ul class="ui list">{} </ul> </td> '
                        '<td style="float:left;"> <form action="/project/{}/files/{}/" '
                        'method="post" onsubmit="return delete_prompt(this,\'Are you sure to '
                        'delete file {}?\')"> {} <i class="ui {} icon"></i>{} </a> '
                        '<input type="hidden" name="action" value="delete"> {} '
                        '<button type="submit" class="ui button red"><i class="ui trash icon">'
                        '</i>Delete </button> </form> </td> </tr>'.format(
                            F.esc(x["filename"]), F.esc(x.get("description", "")), "".join(lis),
                            pid, x["id"], F.esc(x["filename"]), link,
                            "download" if binary else "eye", "Download" if binary else "View",
                            F.csrf_input(c.csrf)))
        body = ('<h1 class="ui dividing header">Project files: {}</h1>\n'
                '<table id="files_list" class="ui table"><tbody>\n{}\n</tbody></table>'.format(
                    len(rows), "\n".join(rows)))
        return page_errors(c, "Files", "project creation:", list(errors), body)

    @u(["GET"], "/project/<uuid:project_id>/files/", project=True)
    def files_list(c, project_id):
        return files_page(c, project_id)

    @u(["POST"], "/project/<uuid:project_id>/files/new", project=True, write=True)
    def files_new(c, project_id):
        errors = []
        files = c.req.files("file")
        if not files or not files[0][0]:
            errors.append("File required!")
        ftype = c.req.fget("filetype", "")
        if ftype not in ("binary", "text", "image"):
            errors.append("Invalid value, must be one of: binary, text, image.")
        referer = c.req.headers.get("Referer")
        services = {}
        if not errors:
            for pair in c.req.fall("services"):
                port_id, _, hn = pair.partition(":")
                port = c.st.project_port(project_id, port_id.lower())
                if port is None:
                    raise F.ServerError("port_data[0] of an empty list")
                if hn != "0":
                    h = c.st.hostnames.get(hn.lower())
                    if h is None or h["host_id"] != port["host_id"]:
                        errors.append("Hostname not found!")
                        break
                services.setdefault(port["id"], [])
                if hn.lower() not in services[port["id"]]:
                    services[port["id"]].append(hn.lower())
        if not errors:
            upname, _, data = files[0]
            fid = F.gen_id()
            c.st.files[fid] = {"id": fid, "project_id": project_id, "filename": upname,
                               "content": data, "description": c.req.fget("description", ""),
                               "type": ftype, "services": services}
            if referer is None:
                raise F.ServerError("'/host/' in None")   # stored, then 500
            if "/host/" in referer:
                return F.redirect(referer + "/#/files")
            return F.redirect("/project/{}/files/".format(project_id))
        if referer is None:
            raise F.ServerError("'/host/' in None")
        if "/host/" in referer:
            return F.redirect(referer + "/#/files")
        return files_page(c, project_id, errors)

    def file_of(c, project_id, file_id):
        x = c.st.files.get(file_id)
        return x if x is not None and x["project_id"] == project_id else None

    @u(["GET", "POST"], "/project/<uuid:project_id>/files/<uuid:file_id>/", project=True,
       write=True)
    def file_view(c, project_id, file_id):
        x = file_of(c, project_id, file_id)
        if x is None:
            return F.redirect("/project/{}/files/".format(project_id))
        if c.req.method == "POST":
            if c.req.fget("action", "delete") == "delete":
                del c.st.files[file_id]
                referer = c.req.headers.get("Referer")
                if referer is None:
                    raise F.ServerError("'reports' in None")    # deleted, then 500
                if "reports" in referer:
                    return F.redirect(referer)
                if "/host/" in referer:
                    return F.redirect(referer + "/#/files")
                return F.redirect("/project/{}/files/".format(project_id))
        ftype = x.get("type", "binary")
        body = '<h1 class="ui dividing header">{}: {}</h1>\n'.format(F.esc(ftype),
                                                                      F.esc(x["filename"]))
        if ftype == "text":
            body += '<pre style="height:490px">\n<code style="height: 465px">{}</code>\n</pre>'.format(
                F.esc(x["content"].decode("latin-1")))
        elif ftype == "image":
            body += '<img style="max-height: 465px; max-width: 100%" src="/static/files/code/{}">'.format(
                x["id"])
        return c.page(x["filename"], F.nav(c) + body)

    @u(["GET"], "/project/<uuid:project_id>/files/<uuid:file_id>/download", project=True)
    def file_download(c, project_id, file_id):
        if file_of(c, project_id, file_id) is None:
            return F.redirect("/project/{}/files/".format(project_id))
        # As captured: Debian's Flask 2.2 rejects send_file(attachment_filename=...).
        raise F.ServerError("attachment_filename")

    # ---------------------------------------------------------- chats
    def chat_of(c, project_id, chat_id):
        ch = ws(c.st)["chats"].get(chat_id)
        return ch if ch is not None and ch["project_id"] == project_id else None

    @u(["GET"], "/project/<uuid:project_id>/chats/", project=True)
    def chats_page(c, project_id):
        items = "\n".join('<a class="item" data-tab="chat_{}"> {}<i class="comment icon"></i> </a>'
                          .format(ch["id"], F.esc(ch["name"]))
                          for ch in ws(c.st)["chats"].values() if ch["project_id"] == project_id)
        return c.page("Chats", F.nav(c) + '<div class="ui vertical fluid tabular menu">\n'
                      + items + "\n</div>\n" + F.csrf_input(c.csrf))

    @u(["POST"], "/project/<uuid:project_id>/chats/add", project=True, write=True)
    def chat_add(c, project_id):
        name = c.req.fget("name", "")
        if name:
            cid = F.gen_id()
            ws(c.st)["chats"][cid] = {"id": cid, "project_id": project_id, "name": name,
                                      "user_id": c.user["id"]}
        return F.redirect("/project/{}/chats/".format(project_id))

    @u(["POST"], "/project/<uuid:project_id>/chats/<uuid:chat_id>/edit", project=True)
    def chat_edit(c, project_id, chat_id):
        ch = chat_of(c, project_id, chat_id)
        if ch is None:
            return F.redirect("/projects/")
        name, action = c.req.fget("name", ""), c.req.fget("action", "")
        if name and action in ("rename", "delete"):
            if action == "delete":
                del ws(c.st)["chats"][chat_id]
                if c.req.fget("del_messages", "0") == "1":
                    ws(c.st)["messages"] = [m for m in ws(c.st)["messages"]
                                            if m["chat_id"] != chat_id]
                return F.redirect("/project/{}/chats/".format(project_id))
            ch["name"] = name
            return F.redirect("/project/{}/chats/#/chat_{}".format(project_id, chat_id))
        return F.redirect("/project/{}/chats/".format(project_id))

    def messages(c, chat_id, since=0):
        out = []
        for m in ws(c.st)["messages"]:
            if m["chat_id"] == chat_id and m["time"] > since:
                u_ = c.st.users.get(m["user_id"])
                out.append({"email": u_["email"] if u_ else "", "message": m["message"],
                            "time": m["time"]})
        return out

    @u(["GET"], "/project/<uuid:project_id>/chats/<uuid:chat_id>/getall.json", project=True)
    def chat_getall(c, project_id, chat_id):
        if chat_of(c, project_id, chat_id) is None:
            return F.redirect("/projects/")
        return F.json_resp(messages(c, chat_id))

    @u(["GET"], "/project/<uuid:project_id>/chats/<uuid:chat_id>/getnewmessages/<int:since>/",
       project=True, write=True)
    def chat_new(c, project_id, chat_id, since):
        if chat_of(c, project_id, chat_id) is None:
            return F.redirect("/projects/")
        return F.json_resp(messages(c, chat_id, int(since)))

    @u(["POST"], "/project/<uuid:project_id>/chats/<uuid:chat_id>/sendmessage", project=True,
       write=True)
    def chat_send(c, project_id, chat_id):
        if chat_of(c, project_id, chat_id) is None:
            return F.redirect("/projects/")
        msg = c.req.fget("message", "")
        if not msg:
            return F.Response(200, b"Error!")
        t = c.st.cfg.clock.now() * 1000
        last = max([m["time"] for m in ws(c.st)["messages"]] or [0])
        t = max(t, last + 1)
        ws(c.st)["messages"].append({"chat_id": chat_id, "user_id": c.user["id"],
                                     "message": msg, "time": t})
        return F.Response(200, str(t).encode())

    # ---------------------------------------------------------- list imports
    def columns(c, names, errors):
        nums = []
        for n in names:
            v = fint(c.req.fget(n))
            if v is None:
                errors.append("Not a valid integer value.")
                v = 0
            nums.append(v)
        return nums

    def lines_of(c, strip_chars=None):
        content = c.req.fget("content", "") or ""
        files = c.req.files("file")
        if files and files[0][0]:
            content = files[0][2].decode("utf-8", "replace")
        sep = c.req.fget("delimiter", ";")
        return [line.strip(strip_chars).split(sep) if strip_chars is not None else line.split(sep)
                for line in content.split("\n")], content

    @u(["GET", "POST"], "/project/<uuid:project_id>/credentials/import_creds", project=True,
       write=True)
    def import_creds(c, project_id):
        if c.req.method == "GET":
            return page_errors(c, "Many Users", "credentials", [], F.csrf_input(c.csrf))
        errors = []
        nums = columns(c, ("login_num", "hash_num", "cleartext_num", "comment_num",
                           "source_num"), errors)
        lines, content = lines_of(c)
        if content == "":
            errors.append("File content does not exist!")
        if errors:
            return page_errors(c, "Many Users", "credentials", errors)
        used = [n for n in nums if n > 0]
        if not used:
            errors.append("No comumn numbers were selected!")
        if len(used) > len(set(used)):
            errors.append("Some column indexes are same!")
        if errors:
            return page_errors(c, "Many Users", "credentials", errors)
        # do_not_check_columns is compared with the string '1' but parsed as an
        # integer, so the check always runs (a PCF defect).
        if any(max(used) > len(line) for line in lines):
            return page_errors(c, "Many Users", "credentials",
                               ["Some rows are incorrect! len(columns) less than index of "
                                "searching column"])
        f = c.req.fget
        login_n, hash_n, clr_n, _, src_n = nums
        for line in lines:
            login, hsh, clr = f("login", ""), f("password_hash", ""), f("cleartext_password", "")
            if login_n:
                login = line[login_n - 1]
            if hash_n:
                hsh = line[hash_n - 1]
            if clr_n:
                clr = line[clr_n - 1]
            if src_n:
                login = line[src_n - 1]     # PCF writes the source column into the login
            cid = F.gen_id()
            c.st.creds[cid] = {"id": cid, "project_id": project_id, "login": login, "hash": hsh,
                               "hash_type": f("hash_type", ""), "cleartext": clr,
                               "description": f("comment", ""), "source": f("info_source", ""),
                               "services": {}}
        return page_errors(c, "Many Users", "credentials", [])

    @u(["GET", "POST"], "/project/<uuid:project_id>/hosts/import_hosts", project=True,
       write=True)
    def import_hosts(c, project_id):
        if c.req.method == "GET":
            return page_errors(c, "New hosts", "hosts", [], F.csrf_input(c.csrf))
        errors = []
        nums = columns(c, ("host_num", "hostname_num", "description_num", "os_num",
                           "online_num", "scope_num"), errors)
        lines, content = lines_of(c, "\t\r\n")
        if content == "":
            errors.append("File content does not exist!")
        if errors:
            return page_errors(c, "New hosts", "hosts", errors)
        used = [n for n in nums if n > 0]
        if not used:
            errors.append("No comumn numbers were selected!")
        if len(used) > len(set(used)):
            errors.append("Some column indexes are same!")
        if errors:
            return page_errors(c, "New hosts", "hosts", errors)
        if any(max(used) > len(line) for line in lines):
            return page_errors(c, "New hosts", "hosts",
                               ["Some rows are incorrect! len(columns) less than index of "
                                "searching column"])
        f = c.req.fget
        host_n, hn_n, desc_n, os_n = nums[:4]
        threats = c.req.fall("threats")
        bad = 0
        for line in lines:
            host, hn = f("host", ""), f("hostname", "")
            desc, os_name = f("description", ""), f("os", "")
            if host_n:
                host = line[host_n - 1]
            if hn_n:
                hn = line[hn_n - 1]
            if desc_n:
                desc = line[desc_n - 1]
            if os_n:
                os_name = line[os_n - 1]
            ok = F.ip_or_none(host) is not None and (not hn or F.valid_hostname(hn))
            if not ok:
                bad += 1
                continue
            h = c.st.host_by_ip(project_id, host)
            if h is not None:
                # PCF overwrites an existing host's description, OS and tags.
                h["comment"], h["os"], h["threats"] = desc, os_name, list(threats)
            else:
                hid = c.st.add_host(project_id, host, c.user["id"], desc, threats, os_name)
                h = c.st.hosts[hid]
            if hn and not c.st.find_hostname(h["id"], hn):
                c.st.add_hostname(h["id"], hn, "", c.user["id"])
        if bad:
            errors.append("{} lines were not added due to format error!".format(bad))
        return page_errors(c, "New hosts", "hosts", errors)

    # ---------------------------------------------------------- services
    @u(["GET", "POST"], "/project/<uuid:project_id>/services/new_service", project=True,
       write=True)
    def new_service(c, project_id):
        if c.req.method == "GET":
            return page_errors(c, "New Service", "network", [], F.csrf_input(c.csrf))
        errors = []
        port_s = c.req.fget("port", "")
        if not port_s:
            errors.append("Port required!")
        proto = "udp" if port_s.endswith("/udp") else "tcp"
        try:
            num = int(port_s.replace("/" + proto, ""))
            if num < 1 or num > 65535:
                errors.append("UDP port number invalid {1..65535}")
        except ValueError:
            errors.append("Port number invalid format")
        hosts = indexed(c, "host")
        if any(not F.is_uuid(h) for h in hosts):
            errors.append("Wrong host id!")
        if not hosts:
            errors.append("Hosts were not selected!")
        if not errors:
            for hid in hosts:
                h = c.st.hosts.get(hid.lower())
                if h is None or h["project_id"] != project_id:
                    continue
                if not any(p["port"] == num and p["is_tcp"] == (proto == "tcp")
                           for p in c.st.host_ports(h["id"], full=True)):
                    c.st.add_port(h["id"], num, proto == "tcp", c.req.fget("service", "other"),
                                  c.req.fget("description", ""), c.user["id"])
        return page_errors(c, "New Service", "network", errors)

    @u(["GET", "POST"], "/project/<uuid:project_id>/services/edit", project=True, write=True)
    def edit_service(c, project_id):
        q = lambda k, d: (c.req.query.get(k) or [d])[0]
        try:
            qport = int(q("port", ""))
        except ValueError:
            qport = None
        q_tcp = q("is_tcp", "1") == "1"
        group = [p for h in c.st.project_hosts(project_id) for p in c.st.host_ports(h["id"])
                 if p["port"] == qport and p["is_tcp"] == q_tcp and
                 p["service"] == q("service", "") and p["description"] == q("info", "")]
        if not group:
            return F.redirect("/project/{}/services/".format(project_id))
        if c.req.method == "GET":
            return c.page("Edit service", F.csrf_input(c.csrf))
        f = c.req.fget
        errors = []
        hosts = [h.lower() for h in indexed(c, "host")]
        for h in hosts:
            hh = c.st.hosts.get(h)
            if hh is None or hh["project_id"] != project_id:
                return page_errors(c, "Edit service", "service", ["Host not found!"])

        def parse(v):
            try:
                n = int((v or "").split("/")[0])
            except ValueError:
                return None, None
            return n, "udp" not in (v or "").lower()
        port, tcp = parse(f("port"))
        if port is None:
            errors.append("Port field parsing error!")
        elif not 1 <= port <= 65535:
            errors.append("Port is not in 1..65535")
        old_port, old_tcp = parse(f("old_port"))
        if not errors and old_port is None:
            errors.append("Old port field parsing error!")
        if errors:
            return page_errors(c, "Edit service", "service", errors)
        svc, desc = f("service", ""), f("description", "")
        matching = [p for h in c.st.project_hosts(project_id) for p in c.st.host_ports(h["id"])
                    if p["port"] == old_port and p["is_tcp"] == old_tcp and
                    p["service"] == f("old_service", "") and
                    p["description"] == f("old_description", "")]
        for p in matching:
            p.update({"port": port, "is_tcp": tcp, "service": svc, "description": desc})
        now = [p for p in matching]
        have = {p["host_id"] for p in now}
        for p in now:
            if p["host_id"] not in hosts:
                c.st.delete_port(p["id"])     # PCF removes it from unlisted hosts
        for h in hosts:
            if h not in have:
                c.st.add_port(h, port, tcp, svc, desc, c.user["id"])
        return F.redirect("/project/{}/services/edit?{}".format(project_id, urllib.parse.urlencode(
            {"port": port, "is_tcp": str(int(tcp)), "service": svc, "info": desc})))

    # ---------------------------------------------------------- network paths
    def networks_page(c, errors):
        return page_errors(c, "Networks", "path editing/creation", errors)

    @u(["POST"], "/project/<uuid:project_id>/networks/add_path", project=True, write=True)
    def add_path(c, project_id):
        f = c.req.fget
        errors = []
        for k, msg in (("out_id", "Need out UUID!"), ("in_id", "Need in UUID!")):
            v = f(k, "")
            if not v:
                errors.append(msg)
            elif not F.is_uuid(v):
                errors.append("Wrong UUID!")
        for k in ("type_out", "type_in"):
            if f(k) not in ("host", "network"):
                errors.append("Invalid value, must be one of: host, network.")
        if f("type", "connection") not in ("connection", "attack"):
            errors.append("Invalid value, must be one of: connection, attack.")
        if f("direction", "forward") not in ("forward", "backward", "two_side"):
            errors.append("Invalid value, must be one of: forward, backward, two_side.")
        ends = {}
        if not errors:
            for side in ("out", "in"):
                oid = f(side + "_id").lower()
                if f("type_" + side) == "host":
                    h = c.st.hosts.get(oid)
                    if h is None or h["project_id"] != project_id:
                        errors.append("Wrong HOST_ID!")
                    else:
                        ends[side] = (oid, "")
                else:
                    n = c.st.networks.get(oid)
                    if n is None or n["project_id"] != project_id:
                        errors.append("Wrong NETWORK_ID!")
                    else:
                        ends[side] = ("", oid)
        if not errors and ends["out"] == ends["in"]:
            errors.append("Source and destination are the same!")
        if errors:
            return networks_page(c, errors)
        ho, no = ends["out"]
        hi, ni = ends["in"]
        paths = ws(c.st)["paths"]
        for p in paths.values():
            if p["project_id"] == project_id and (p["host_out"], p["network_out"], p["host_in"],
                                                  p["network_in"]) == (ho, no, hi, ni):
                p.update({"description": f("description", ""), "type": f("type", "connection"),
                          "direction": f("direction", "forward")})
                return networks_page(c, [])
        pid = F.gen_id()
        paths[pid] = {"id": pid, "project_id": project_id, "host_out": ho, "network_out": no,
                      "host_in": hi, "network_in": ni, "description": f("description", ""),
                      "type": f("type", "connection"), "direction": f("direction", "forward")}
        return networks_page(c, [])

    @u(["POST"], "/project/<uuid:project_id>/networks/delete_path", project=True, write=True)
    def delete_path(c, project_id):
        pid = (c.req.fget("path_id") or "").lower()
        p = ws(c.st)["paths"].get(pid)
        if p is not None and p["project_id"] == project_id:
            del ws(c.st)["paths"][pid]
        return F.redirect("/project/{}/networks/#/paths".format(project_id))

    # ---------------------------------------------------------- team page member actions
    @u(["POST"], "/team/<uuid:team_id>/user/<uuid:user_id>/<action>")
    def team_user_action(c, team_id, user_id, action):
        t = c.st.teams.get(team_id)
        if t is None or not (c.user["id"] in t["users"] or t["admin_id"] == c.user["id"]):
            return F.redirect("/create_team")
        if not c.st.team_is_admin(t, c.user):
            return F.redirect("/create_team")
        error = ""
        if action == "kick":
            if user_id == t["admin_id"]:
                error = "Can't kick team creator."
            elif user_id not in t["users"]:
                error = "User is not in team"
            else:
                del t["users"][user_id]
        elif action in ("set_admin", "devote"):
            if user_id not in t["users"]:
                error = "User is not in team"
            else:
                t["users"][user_id] = "admin" if action == "set_admin" else "tester"
        # Werkzeug's redirect quotes the URL the way iri_to_uri does.
        return F.redirect("/team/{}/?edit_error={}#/users".format(
            team_id, urllib.parse.quote(error, safe="/:?#[]@!$&'()*+,;=%")))
