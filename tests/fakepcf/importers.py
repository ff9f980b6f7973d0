"""The fake PCF's scanner importers (web UI, /project/<pid>/tools/<route>/).

Each importer creates the hosts, ports, hostnames, findings, PoCs and notes
PCF's own importer creates from the same file, including its defects, as
read from PCF's routes/ui/tools.py (6c83154 and fb68b26 share these routes
except for issue type strings) and checked against the real server by the
fixtures in tests/fixtures/pcf/imports/.  Standard library only: XML goes
through ElementTree with tag names lowered (PCF reads XML with an HTML
parser), HTML through html.parser.

Defects present in every release are always reproduced (Burp on a new host
or port, Netsparker's confirmed-only filter, Nuclei's fixed CVSS, kube-hunter
skipping findings on new ports, Dependency-Check breaking the project's JSON
export, theHarvester on unresolved hosts).  The outdated issue call of
6c83154 is reproduced only with --bugs at flavor head, as for API v1: the
first new finding hangs PCF (Wedge), or answers 500, or is stored outside the
project, depending on the importer.

Hooked into fake_pcf.py by build_ui_tools(): register(u, fake).
"""

import base64
import csv
import html.parser
import io
import ipaddress
import json
import re
import urllib.parse
import xml.etree.ElementTree as ET


class ImportError_(Exception):
    """A file PCF's importer cannot read: PCF answers 500."""


def ip_ok(s):
    try:
        ipaddress.ip_address(s)
        return True
    except ValueError:
        return False


def lowered(data):
    """Parses XML with tag and attribute names lowered and namespaces dropped.
    An empty CDATA section reads as one space, as BeautifulSoup's html.parser
    turns it."""
    try:
        root = ET.fromstring(data.replace(b"<![CDATA[]]>", b"<![CDATA[ ]]>"))
    except ET.ParseError:
        raise ImportError_()
    for el in root.iter():
        tag = el.tag if isinstance(el.tag, str) else ""
        el.tag = tag.split("}")[-1].lower()
        el.attrib = {k.split("}")[-1].lower(): v for k, v in el.attrib.items()}
    return root


def txt(el):
    return "".join(el.itertext()) if el is not None else ""


def need(el, path):
    """el.find(path) that must exist (PCF: AttributeError -> 500)."""
    x = el.find(path) if el is not None else None
    if x is None:
        raise ImportError_()
    return x


class Ctx:
    """What one import works on: the fake's state plus PCF's helpers."""

    def __init__(self, c, fake):
        self.c, self.fake = c, fake
        self.st, self.pid, self.uid = c.st, c.project["id"], c.user["id"]
        self.head_bugs = c.cfg.head_bugs()
        self.flavor = c.cfg.flavor

    def typ(self, head, fb):
        return head if self.flavor == "head" else fb

    # ---- PCF's database helpers
    def host(self, ip, desc):
        """select_project_host_by_ip or insert_host: (host, created)."""
        h = self.st.host_by_ip(self.pid, ip)
        if h is not None:
            return h, False
        return self.st.hosts[self.st.add_host(self.pid, ip, self.uid, desc)], True

    def port(self, host, num, tcp, service, desc):
        p = self.find_port(host, num, tcp)
        if p is not None:
            return p, False
        pid_ = self.st.add_port(host["id"], int(num), bool(tcp), service, desc, self.uid)
        return self.st.ports[pid_], True

    def find_port(self, host, num, tcp):
        return next((p for p in self.st.host_ports(host["id"], full=True)
                     if p["port"] == int(num) and p["is_tcp"] == bool(tcp)), None)

    def hostname(self, host, name, desc):
        h = self.st.find_hostname(host["id"], name)
        if h is not None:
            return h
        return self.st.hostnames[self.st.add_hostname(host["id"], name, desc, self.uid)]

    def zero_port(self, host):
        return self.find_port(host, 0, True)

    def _issue(self, fields):
        raw_cwe, raw_cve = fields.get("cwe", 0), fields.get("cve", "")
        kw = dict(fields)
        kw["cwe"] = 0
        iid = self.st.new_issue(self.pid, self.uid, **kw)
        issue = self.st.issues[iid]
        issue["cwe"] = raw_cwe if not isinstance(raw_cwe, str) or not raw_cwe.isdigit() \
            else int(raw_cwe)
        issue["cve"] = str(raw_cve)
        return issue

    def issue(self, **fields):
        """insert_new_issue (no duplicate check).  At HEAD its callers pass
        8 positional arguments where 13 are required: TypeError, 500."""
        if self.head_bugs:
            raise ImportError_()
        fields.setdefault("type", self.c.cfg.default_issue_type())
        return self._issue(fields)

    def issue_lost(self, **fields):
        """Dependency-Check's call: at HEAD the shifted arguments file the
        finding under a project named after the file."""
        fields.setdefault("type", self.c.cfg.default_issue_type())
        if self.head_bugs:
            project = fields.pop("lost_project")
            fields.pop("lost_project", None)
            issue = self._issue(fields)
            issue["project_id"] = project
            return issue
        fields.pop("lost_project", None)
        return self._issue(fields)

    def issue_nodup(self, services, **fields):
        """insert_new_issue_no_dublicate: an identical finding gains the
        services; a new one hangs HEAD (--bugs)."""
        fields.setdefault("type", self.c.cfg.default_issue_type())
        keys = ("name", "description", "url_path", "cvss", "status", "cve", "cwe", "type", "fix",
                "param", "technical", "risks", "references", "intruder")
        want = {k: fields.get(k, "" if k not in ("cvss", "cwe") else 0) for k in keys}
        want["cvss"] = float(want["cvss"])
        want["cve"] = str(want["cve"])
        for i in self.st.project_issues(self.pid):
            if all(str(i.get(k)) == str(want[k]) if k not in ("cvss",) else
                   float(i.get(k) or 0) == want[k] for k in keys):
                for port_id, hns in services.items():
                    cur = i["services"].setdefault(port_id, [])
                    for h in hns:
                        if h not in cur:
                            cur.append(h)
                return i
        if self.head_bugs:
            w = self.fake.Wedge()
            w.hang = True
            raise w
        fields["services"] = {k: list(v) for k, v in services.items()}
        return self._issue(fields)

    def poc(self, issue, port_id, hostname_id, comment, filename, text):
        self.st.add_poc(issue["id"], port_id, hostname_id, comment, "text", text.encode("latin-1",
                        "replace"), filename=filename, user_id=self.uid)

    def note(self, name, host_id, html_text):
        nid = self.fake.gen_id()
        self.st.notes[nid] = {"id": nid, "project_id": self.pid, "name": name, "html": html_text,
                              "host_id": host_id, "user_id": self.uid}


def f_get(c, name, default):
    v = c.req.fget(name)
    return default if v is None else v


def f_int(c, name):
    try:
        return int(c.req.fget(name) or 0)
    except ValueError:
        return 0


# --------------------------------------------------------------------- nmap

def nmap_parse(data):
    root = lowered(data)
    if root.tag != "nmaprun":
        raise ImportError_()
    hosts = []
    for h in root.findall("host"):
        addr = None
        for a in h.findall("address"):
            if a.get("addrtype") in ("ipv4", "ipv6"):
                addr = a.get("addr")
                break
        if not addr:
            continue
        names = [x.get("name") for x in h.findall("hostnames/hostname") if x.get("name")]
        osm = h.find("os/osmatch")
        ports = []
        for p in h.findall("ports/port"):
            state = p.find("state")
            svc = p.find("service")
            a = svc.attrib if svc is not None else {}
            ports.append({"port": int(p.get("portid", "0")), "tcp": p.get("protocol") == "tcp",
                          "state": state.get("state") if state is not None else "",
                          "service": a.get("name", ""), "attrs": a,
                          "scripts": [(s.get("id", ""), s.get("output", ""))
                                      for s in p.findall("script")]})
        hosts.append({"ip": addr, "hostnames": names,
                      "os": osm.get("name") if osm is not None else "",
                      "ports": ports,
                      "hostscripts": [(s.get("id", ""), s.get("output", ""))
                                      for s in h.findall("hostscript/script")]})
    return hosts


def nmap_service_issues(sid, out):
    """PCF's tools_addons/nmap_scripts plugins that create findings."""
    if sid == "vulners":
        res = []
        for line in out.replace(" ", "").split("\n"):
            if line.lower().strip("\t").startswith("cve-"):
                cols = line.split("\t")
                res.append({"name": "Vulners: {}".format(cols[1]), "cve": cols[1],
                            "cvss": float(cols[2]), "description": cols[3]})
        return res
    if sid == "zone-transfer" and out:
        return [{"name": "DNS Zone Transfer", "description": "Rezolved domains:\n\n" + out,
                 "cvss": 2.0, "path": "DNS service",
                 "fix": "Create list of trusted DNS servers for zone transfer."}]
    if sid == "SSLv2" and ("server still supports SSLv2" in out or "SSLv2 supported" in out):
        return [{"name": "SSLv2 support", "cvss": 2.0, "fix": "Disable SSLv2",
                 "description": "Server supports SSLv2\n\nOutput nmap: \n" + out}]
    if sid == "Anonymous FTP" and "Anonymous login allowed" in out:
        return [{"name": "Anonymous access", "path": "FTP Server",
                 "description": "Anonymous access to ftp server anonymous/anonymous",
                 "fix": "Turn off anonymous account access"}]
    return []


def nmap_host_issues(sid, out):
    if sid == "smb2-security-mode":
        if "Message signing enabled but not required" in out:
            return [{"cvss": 6, "description": "SMBv2 message signing enabled but not required",
                     "name": "SMBv2 without required message signing",
                     "fix": "Add SMBv2 required message signing", "path": "SMB service"}]
        if "Message signing is disabled" in out:
            return [{"cvss": 6, "description": "SMBv2 disabled message signing",
                     "name": "SMBv2 without message signing",
                     "fix": "Enable SMBv2 message signing", "path": "SMB service"}]
    return []


def nmap_import(x, files):
    c = x.c
    rule = f_get(c, "rule", "open") or "open"
    if rule not in ("open", "filtered", "closed"):
        return ["Invalid value, must be one of: open, filtered, closed."]
    ignore_ports = []
    for item in (f_get(c, "ignore_ports", "") or "").replace(" ", "").split(","):
        if not item:
            continue
        num, _, proto = item.partition("/")
        try:
            ignore_ports.append((int(num), "udp" if proto.lower() == "udp" else "tcp"))
        except ValueError:
            raise ImportError_()
    ignore_services = [s.lower() for s in (f_get(c, "ignore_services", "") or "")
                       .replace(" ", "").split(",")]
    hosts_desc = f_get(c, "hosts_description", "Added from NMAP scan")
    hn_desc = f_get(c, "hostnames_description", "Added from NMAP scan")
    add_empty = f_int(c, "add_no_open")
    parsed = []
    for _, _, data in files:
        try:
            parsed.append(nmap_parse(data))
        except ImportError_:
            return ["\u041ene of uploaded files was incorrect!"]
    for hosts in parsed:
        for h in hosts:
            def kept(p):
                proto = "tcp" if p["tcp"] else "udp"
                if (p["port"], proto) in ignore_ports or p["service"].lower() in ignore_services:
                    return None
                if p["state"] == "open":
                    return ""
                if p["state"] == "filtered" and rule in ("filtered", "closed"):
                    return "\nstate: filtered"
                if p["state"] == "closed" and rule == "closed":
                    return "\nstate: closed"
                return None
            keep = [(p, kept(p)) for p in h["ports"] if kept(p) is not None]
            if not keep and not add_empty:
                continue
            host, _ = x.host(h["ip"], hosts_desc)
            if h["os"]:
                host["os"] = h["os"]
            for name in h["hostnames"]:
                if name != h["ip"]:
                    x.hostname(host, name, hn_desc)
            for p, extra in keep:
                a = p["attrs"]
                banner = " ".join("{}: {}".format(k, a[k]) for k in
                                  ("product", "version", "extrainfo", "ostype") if a.get(k))
                banner += extra
                port, created = x.port(host, p["port"], p["tcp"], p["service"], banner)
                if not created:
                    port["service"], port["description"] = p["service"], banner
                for sid, out in p["scripts"]:
                    for i in nmap_service_issues(sid, out):
                        x.issue_nodup({port["id"]: ["0"]}, name=i["name"],
                                      description=i.get("description", ""),
                                      url_path=i.get("path", ""), cvss=i.get("cvss", 0.0),
                                      status="need to recheck", cve=i.get("cve", ""),
                                      cwe=i.get("cwe", 0), type="service", fix=i.get("fix", ""),
                                      param=i.get("params", ""))
            zero = x.zero_port(host)
            for sid, out in h["hostscripts"]:
                for i in nmap_host_issues(sid, out):
                    x.issue_nodup({zero["id"]: ["0"]}, name=i["name"],
                                  description=i.get("description", ""),
                                  url_path=i.get("path", ""), cvss=i.get("cvss", 0.0),
                                  status="need to recheck", cve=i.get("cve", ""),
                                  cwe=i.get("cwe", 0), type="service", fix=i.get("fix", ""),
                                  param=i.get("params", ""))
    return []


# --------------------------------------------------------------------- nessus

def nessus_import(x, files):
    """libnessus reads NessusClientData_v2; PCF's use of it (the real
    harness cannot run it: derived from routes/ui/tools.py)."""
    c = x.c
    add_info = f_int(c, "add_info_issues")
    hosts_desc = f_get(c, "hosts_description", "Added from Nessus scan")
    hn_desc = f_get(c, "hostnames_description", "Added from Nessus scan")
    ports_desc = f_get(c, "ports_description", "Added from Nessus scan")
    for _, _, data in files:
        try:
            root = ET.fromstring(data)
        except ET.ParseError:
            raise ImportError_()
        if root.tag != "NessusClientData_v2":
            raise ImportError_()
        report = root.find("Report")
        hosts = []
        for rh in (report.findall("ReportHost") if report is not None else []):
            props = {t.get("name"): t.text for t in rh.find("HostProperties") or []}
            props["name"] = rh.get("name", "none")
            if not all(k in props for k in ("HOST_START", "HOST_END", "host-ip", "name")):
                raise ImportError_()
            items = []
            for ri in rh.findall("ReportItem"):
                d = dict(ri.attrib)
                for el in ri:
                    if el.tag in ("cve", "bid", "osvdb", "iava", "iavb", "xref"):
                        d.setdefault(el.tag, []).append(el.text)
                    else:
                        d[el.tag] = el.text
                for k in ("pluginID", "port", "svc_name", "protocol", "severity"):
                    if k not in d:
                        raise ImportError_()
                items.append(d)
            hosts.append((props, items))
        for props, _ in hosts:
            if x.st.host_by_ip(x.pid, props["host-ip"]) is None and not ip_ok(props["host-ip"]):
                return ["Wrong IP!"]
        by_ip = {}
        for props, _ in hosts:
            by_ip[props["host-ip"]], _c = x.host(props["host-ip"], hosts_desc)
        names = {}
        for props, _ in hosts:
            hn = ""
            if props["name"] != props["host-ip"] and props["name"]:
                hn = props["name"].strip(" \r\n\t")
            elif props.get("host-fqdn") and props["host-fqdn"] != props["host-ip"]:
                hn = props["host-fqdn"].strip(" \r\n\t")
            if hn:
                names[props["host-ip"]] = x.hostname(by_ip[props["host-ip"]], hn, hn_desc)
        for props, items in hosts:
            for d in items:
                if d.get("pluginName") == "OS Identification":
                    out = d.get("plugin_output") or ""
                    by_ip[props["host-ip"]]["os"] = out.split("\n")[1].split(" : ")[1]
        for props, items in hosts:
            host = by_ip[props["host-ip"]]
            for d in items:
                num = int(d["port"])
                tcp = d["protocol"] == "tcp" or num == 0
                p = x.find_port(host, num, tcp)
                if p is None:
                    x.st.add_port(host["id"], num, tcp, d["svc_name"], ports_desc, x.uid)
                else:
                    p["service"] = d["svc_name"]
        for props, items in hosts:
            host = by_ip[props["host-ip"]]
            hn_id = "0"
            name = props["name"] if props["name"] != props["host-ip"] else ""
            if name and props["host-ip"] in names and names[props["host-ip"]]["hostname"] == name:
                hn_id = names[props["host-ip"]]["id"]
            for d in items:
                sev = float(d["severity"])
                if not (sev > 0 or (sev == 0 and add_info)):
                    continue
                out = (d.get("plugin_output") or "").strip("\n")
                info = d.get("synopsis") or ""
                name_ = d.get("plugin_name", d.get("pluginName"))
                desc = "Plugin name: {}\r\n\r\nInfo: \r\n{} \r\n\r\nOutput: \r\n {}".format(
                    name_, info, out)
                cve = ""
                if d.get("cve"):
                    cve = str(d["cve"]).replace("[", "").replace("]", "").replace("'", "") \
                        .replace(",", ", ")
                if sev == 0 and d.get("risk_factor") in (None, "None"):
                    cvss = 0
                elif "cvss3_base_score" in d:
                    cvss = float(d["cvss3_base_score"])
                elif "cvss_base_score" in d:
                    cvss = float(d["cvss_base_score"])
                else:
                    cvss = sev
                num = int(d["port"])
                tcp = d["protocol"] == "tcp" or num == 0
                port = x.find_port(host, num, tcp)
                services = {port["id"] if port else "": [hn_id]}
                fields = dict(name="Nessus: {}".format(name_), description=desc, url_path="",
                              cvss=cvss, status="need to check", cve=cve, cwe=0,
                              type=x.typ("vulnerability", "custom"), fix="", param="")
                same = next((i for i in x.st.project_issues(x.pid)
                             if all(str(i[k]) == str(v) if k != "cvss" else float(i[k]) == float(v)
                                    for k, v in fields.items())), None)
                if same is not None:
                    cur = same["services"].setdefault(services and list(services)[0], [])
                    if hn_id not in cur:
                        cur.append(hn_id)
                    continue
                issue = x._issue(dict(fields, services=services,
                                      fields={"nessus_plugin_id": {"type": "number",
                                                                   "value": int(d["pluginID"])}}))
                issue["cwe"] = 0
    return []


# --------------------------------------------------------------------- nikto

def nikto_issue(x, port, hostname, info, url):
    services = {port["id"]: ["0", hostname["id"]] if hostname else ["0"]}
    x.issue(name="Nikto scan", description=info, url_path=url, cvss=0, services=services,
            status="need to check", cve=0, cwe=0)


def nikto_import(x, files):
    c = x.c
    hosts_desc = f_get(c, "hosts_description", "Added from Nikto scan")
    hn_desc = f_get(c, "hostnames_description", "Added from Nikto scan")
    ports_desc = f_get(c, "ports_description", "Added from Nikto scan")
    for _, _, data in c.req.files("json_files"):
        doc = json.loads(data.decode("latin-1").replace(",]", "]").replace(",}", "}"))
        ip = doc["ip"]
        name = doc["host"] if doc["ip"] != doc["host"] else ""
        num = int(doc["port"])
        proto = "https" if "443" in str(num) else "http"
        desc = "Nikto banner: {}".format(doc["banner"]) if doc["banner"] else \
            "Added by Nikto scan"
        host, _ = x.host(ip, hosts_desc)
        hn = x.hostname(host, name, hn_desc) if name and name != ip else None
        port, _ = x.port(host, num, True, proto, desc)
        for v in doc["vulnerabilities"]:
            nikto_issue(x, port, hn, "OSVDB: {}\n\n{}".format(int(v["OSVDB"]), v["msg"]),
                        "{} {}".format(v["method"], v["url"]))
    for _, _, data in c.req.files("csv_files"):
        for row in csv.reader(io.StringIO(data.decode("latin-1"))):
            if len(row) != 7:
                continue
            name, ip, num = row[0], row[1], int(row[2])
            proto = "https" if "443" in str(num) else "http"
            host, _ = x.host(ip, hosts_desc)
            hn = x.hostname(host, name, hn_desc) if name and name != ip else None
            port, _ = x.port(host, num, True, proto, ports_desc)
            nikto_issue(x, port, hn, "OSVDB: {}\n{}".format(row[3], row[6]),
                        "{} {}".format(row[4], row[5]))
    for _, _, data in c.req.files("xml_files"):
        root = lowered(data)
        sd = need(root, "scandetails") if root.tag == "niktoscan" else None
        if sd is None:
            raise ImportError_()
        ip, num = sd.get("targetip"), int(sd.get("targetport"))
        name, banner = sd.get("targethostname"), sd.get("targetbanner")
        proto = "https" if "443" in str(num) else "http"
        host, _ = x.host(ip, hosts_desc)
        hn = x.hostname(host, name, hn_desc) if name and name != ip else None
        port, _ = x.port(host, num, True, proto,
                         "Nikto banner: {}".format(banner) if banner else "")
        for it in sd.findall("item"):
            nikto_issue(x, port, hn, "OSVDB: {}\n\n{}".format(int(it.get("osvdbid")),
                                                              txt(need(it, "description"))),
                        "{} {}".format(it.get("method"), txt(need(it, "uri"))))
    return []


# --------------------------------------------------------------------- acunetix

def acunetix_import(x, files):
    c = x.c
    errors = []
    for _, _, data in files:
        root = lowered(data)
        scan = need(root, "scan")
        url = urllib.parse.urlparse(txt(need(scan, "starturl")))
        proto, hostname = url.scheme, url.hostname or url.path
        num = url.port or (443 if proto == "https" else 80)
        port_desc = "Banner: {} Web: {}".format(txt(need(scan, "banner")),
                                                txt(need(scan, "webserver")))
        host_desc = "OS: {}".format(txt(need(scan, "os")))
        if ip_ok(hostname):
            ip, hostname = hostname, ""
        elif f_get(c, "host", ""):
            if not ip_ok(f_get(c, "host", "")):
                raise ImportError_()
            ip = f_get(c, "host", "")
        else:
            # auto_resolve: the fake resolves nothing
            if f_int(c, "auto_resolve") == 1:
                raise ImportError_()
            errors.append("ip not resolved!")
            continue
        host, created = x.host(ip, host_desc)
        if not created:
            host["comment"] = host_desc
        hn = x.hostname(host, hostname, "Added from Acunetix scan") if hostname and \
            hostname != ip else None
        port, created = x.port(host, num, True, proto, port_desc)
        if not created:
            port["service"], port["description"] = proto, port_desc
        for it in need(scan, "reportitems").findall("reportitem"):
            desc = txt(need(it, "description"))
            for a, b in (("<br/>", "\n"), ("<strong>", ""), ("</strong>", ""), ("<code>", "\n"),
                         ("</code>", "\n"), ("<pre>", ""), ("</pre>", "")):
                desc = desc.replace(a, b)
            refs = ""
            for r in need(it, "references").findall("reference"):
                refs += "- {}: {}".format(txt(r.find("database")), txt(r.find("url"))) \
                    .strip(" \t\n\r") + "\n"
            cwe_el = it.find("cwelist/cwe")
            cwe = int(cwe_el.get("id").replace("CWE-", "")) if cwe_el is not None else 0
            services = {port["id"]: ["0", hn["id"]] if hn else ["0"]}
            x.issue(name=txt(need(it, "name")), description=desc, url_path=txt(need(it, "affects")),
                    cvss=float(txt(need(it, "cvss/score"))), services=services,
                    status="need to check", cve=0, cwe=cwe, type="web",
                    fix=txt(need(it, "recommendation")), param=txt(need(it, "parameter")),
                    technical=txt(need(it, "technicaldetails/request")),
                    references=refs.strip(" \t\n\r"),
                    fields={"acunetix_module": {"type": "text",
                                                "value": txt(need(it, "modulename"))}},
                    risks=txt(need(it, "impact")))
    return errors


# --------------------------------------------------------------------- openvas

def openvas_import(x, files):
    c = x.c
    hosts_desc = f_get(c, "hosts_description", "Added from OpenVAS scan")
    hn_desc = f_get(c, "hostnames_description", "Added from OpenVAS scan")
    ports_desc = f_get(c, "ports_description", "Added from OpenVAS scan")
    for _, _, data in files:
        root = lowered(data)
        for r in root.iter("result"):
            h = r.find("host")
            if h is None:
                continue
            ip = txt(h).split("\n")[0]
            hostname = txt(need(h, "hostname"))
            port_txt = txt(need(r, "port"))
            num = 0 if port_txt.split("/")[0] == "general" else int(port_txt.split("/")[0])
            tcp = port_txt.split("/")[1] == "tcp"
            nvt = need(r, "nvt")
            sol = need(nvt, "solution")
            solution = txt(sol) if sol.get("type") != "WillNotFix" else ""
            cves, links = [], []
            for ref in nvt.findall("refs/ref"):
                if ref.get("type") == "url":
                    links.append(ref.get("id"))
                if ref.get("type") == "cve":
                    cves.append(ref.get("id"))
            short = txt(r.find("description")) if r.find("description") is not None else ""
            host, _ = x.host(ip, hosts_desc)
            port, _ = x.port(host, num, tcp, "unknown", ports_desc)
            hn = x.hostname(host, hostname, hn_desc) if hostname != "" else None
            desc = "Short description: \n{}\n\nFull description:\n{}".format(
                short, txt(need(nvt, "tags")))
            if links:
                desc += "\n\nLinks:\n" + "\n".join(links)
            x.issue_nodup({port["id"]: [hn["id"]] if hn else ["0"]}, name=txt(need(nvt, "name")),
                          description=desc, url_path="", cvss=float(txt(need(nvt, "cvss_base"))),
                          status="need to recheck", cve=",".join(cves), cwe=0,
                          type=x.typ("vulnerability", "custom"), fix=solution, param="")
    return []


# --------------------------------------------------------------------- qualys

def qualys_beautify(s):
    return s.replace("<p>", "\t").replace("<P>", "\t").replace("<BR>", "\n").replace("</p>", "\n")


def qualys_cvss(el):
    for tag in ("cvss3_base", "cvss3_temporal", "cvss_temporal"):
        v = el.find(".//" + tag)
        if v is not None and txt(v) not in ("-", ""):
            return float(txt(v))
    return 0


def qualys_import(x, files):
    c = x.c
    add_empty = f_int(c, "add_empty_host")
    hosts_desc = f_get(c, "hosts_description", "Added from Qualys scan")
    ports_desc = f_get(c, "ports_description", "Added from Qualys scan")
    typ = x.typ("vulnerability", "custom")
    for _, _, data in files:
        root = lowered(data)
        for ipel in root.iter("ip"):
            ip = ipel.get("value")
            host = x.st.host_by_ip(x.pid, ip)
            if add_empty and host is None:
                host, _ = x.host(ip, hosts_desc)
            svcs = ipel.find("services")
            for cat in (svcs.iter("cat") if svcs is not None else []):
                if "port" in cat.attrib and "protocol" in cat.attrib:
                    if host is None:
                        host, _ = x.host(ip, hosts_desc)
                    num, tcp = int(cat.get("port")), cat.get("protocol") == "tcp"
                    p = x.find_port(host, num, tcp)
                    if p is not None:
                        p["service"] = cat.get("value")
                    else:
                        x.port(host, num, tcp, cat.get("value"), ports_desc)
            vulns = ipel.find("vulns")
            for cat in (vulns.iter("cat") if vulns is not None else []):
                if host is None:
                    host, _ = x.host(ip, hosts_desc)
                num, tcp = 0, True
                if "port" in cat.attrib and "protocol" in cat.attrib:
                    num, tcp = int(cat.get("port")), cat.get("protocol") == "tcp"
                port, _ = x.port(host, num, tcp, "unknown", ports_desc)
                desc = qualys_beautify("Diagnosis: \n{} \n\nConsequence: \n{}".format(
                    txt(need(cat, ".//diagnosis")), txt(need(cat, ".//consequence"))))
                x.issue_nodup({port["id"]: ["0"]}, name=txt(need(cat, ".//title")),
                              description=desc, url_path="", cvss=qualys_cvss(cat),
                              status="need to recheck", cve="", cwe=0, type=typ,
                              fix=qualys_beautify(txt(need(cat, ".//solution"))), param="")
            practices = ipel.find("practices")
            for pr in (practices.iter("practice") if practices is not None else []):
                if host is None:
                    host, _ = x.host(ip, hosts_desc)
                cve = pr.get("cveid", "")
                output = txt(pr.find(".//result")) if pr.find(".//result") is not None else ""
                desc = qualys_beautify("Diagnosis: \n{} \n\nConsequence: \n{}".format(
                    txt(need(pr, ".//diagnosis")), txt(need(pr, ".//consequence"))))
                links = [txt(u) for u in pr.iter("url")] + [txt(u) for u in pr.iter("link")]
                if links:
                    desc += "\n\nLinks:\n" + "\n".join("- " + u for u in links)
                num, tcp = 0, True
                first = output.split("\n")[0]
                if " detected on port " in first:
                    rest = first.split(" detected on port ")[1]
                    num = int(rest.split(" ")[0].split(".")[0])
                    if " over " in rest:
                        tcp = rest.split(" over ")[1].split(" ")[0] == "TCP"
                port, _ = x.port(host, num, tcp, "unknown", ports_desc)
                # PCF passes the CVE where the URL path goes (positional slip).
                x.issue_nodup({port["id"]: ["0"]}, name=txt(need(pr, ".//title")), description=desc,
                              url_path=cve, cvss=qualys_cvss(pr), status="need to recheck",
                              cve="", cwe=0, type=typ,
                              fix=qualys_beautify(txt(need(pr, ".//solution"))), param="")
    return []


# --------------------------------------------------------------------- netsparker

def ns_beautify(s):
    if s == "  ":
        s = ""
    for a, b in (("<p>", "\t"), ("</p>", "\n"), ("<li>", "* "), ("</li>", "\n"), ("<ol>", "\n"),
                 ("</ol>", "\n"), ("<div>", ""), ("</div>", "\n"),
                 ("<a target='_blank' href='", ""), ("'><i class='icon-external-link'></i>", " - "),
                 ("<ul>", ""), ("</ul>", ""), ("</a>", "\n")):
        s = s.replace(a, b)
    return s


def netsparker_import(x, files):
    c = x.c
    hosts_desc = f_get(c, "hosts_description", "Added from NetSparker scan")
    hn_desc = f_get(c, "hostnames_description", "Added from NetSparker scan")
    ports_desc = f_get(c, "ports_description", "Added from NetSparker scan")
    for _, _, data in files:
        root = lowered(data)
        for v in root.iter("vulnerability"):
            # PCF tests the form field object, not its value: confirmed only.
            if v.get("confirmed") != "True":
                continue
            url = txt(need(v, "url"))
            desc = ns_beautify(txt(need(v, "description")))
            impact = ns_beautify(txt(need(v, "impact")))
            fix, fix1 = ns_beautify(txt(need(v, "actionstotake"))), ns_beautify(txt(need(v, "remedy")))
            skills = ns_beautify(txt(need(v, "requiredskillsforexploitation")))
            links = ns_beautify(txt(need(v, "externalreferences")))
            fix_links = ns_beautify(txt(need(v, "remedyreferences")))
            req, resp = ns_beautify(txt(need(v, "rawrequest"))), ns_beautify(txt(need(v, "rawresponse")))
            poc = ns_beautify(txt(need(v, "proofofconcept")))
            path, args = "", ""
            for info in need(v, "extrainformation").iter("info"):
                n = info.get("name")
                if n in ("ParserAnalyzerEngine_InputName", "ParserAnalyzerEngine_IdentifiedFieldName"):
                    args += ", (Input) " + n
                elif n in ("ParserAnalyzerEngine_FormTargetAction", "CustomField_FormAction"):
                    path = n
                elif n == "CookieAnalyzerEngine_IdentifiedCookies":
                    args += ", (Cookie) " + n
                elif n == "ParserAnalyzerEngine_FormName":
                    args += ", (Form) " + n
                elif n == "ExtractedVersion":
                    desc += "\n\nExtracted version: " + n
                elif n == "IdentifiedErrorMessage":
                    desc += "\n\nError message: \n" + n
                elif n == "ExtractedIPAddresses":
                    desc += "\n\nExtracted IP: " + n
                elif n == "ParserAnalyzerEngine_ExternalLinks":
                    desc += "\n\nExternal links: \n" + n
                elif n == "EmailDisclosure_EmailAddresses":
                    desc += "\n\nFound email: " + n
                elif n == "Options_Allowed_Methods":
                    desc += "\n\nAllowed methods: " + n
            cls = need(v, "classification")
            cwe = txt(need(cls, "cwe")) or 0
            cvss = 0
            if cls.find("cvss") is not None:
                for sc in cls.find("cvss").findall("score"):
                    if txt(sc.find("type")) == "Base":
                        cvss = float(txt(sc.find("value")))
            u = urllib.parse.urlsplit(url)
            scheme = u.scheme or "http"
            num = u.port or (443 if scheme == "https" else 21 if scheme == "ftp" else 80)
            path = path or u.path
            ip, hostname = "", ""
            if u.hostname and ip_ok(u.hostname):
                ip = str(ipaddress.ip_address(u.hostname))
            else:
                hostname = u.hostname  # the fake resolves no names (as offline PCF)
            port = hn = None
            if ip:
                host, _ = x.host(ip, hosts_desc)
                port, _ = x.port(host, num, True, scheme, ports_desc)
                if hostname:
                    hn = x.hostname(host, hostname, hn_desc)
            full = "URL: {}\n\nDescription: \n{}\n\n".format(url, desc)
            if impact:
                full += "Impact: " + impact + "\n\n"
            if skills:
                full += "Skills: " + skills + "\n\n"
            if poc:
                full += "PoC: " + poc + "\n\n"
            if links:
                full += "Links: \n" + links + "\n\n"
            services = {}
            if hn:
                services[port["id"]] = [hn["id"]]
            elif port:
                services[port["id"]] = ["0"]
            issue = x.issue_nodup(services, name="Netsparker: " + txt(need(v, "type")),
                                  description=full, url_path=path, cvss=cvss,
                                  status="need to recheck", cve="",
                                  cwe=int(cwe) if str(cwe).isdigit() else cwe, type="web",
                                  fix="Actions: " + fix + "\n Fix:" + fix1 + "\n Links: " + fix_links,
                                  param=args)
            x.poc(issue, port["id"] if port else "0", hn["id"] if hn else "0",
                  "Added from Netsparker", "HTTP.txt", (req + resp).replace("\r", ""))
    return []


# --------------------------------------------------------------------- wpscan

def hsc(s):
    """PCF's htmlspecialchars (no single quotes)."""
    return s.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace(">", "&gt;")


def wpscan_issue(x, port, hn_id, path, vuln, fix, cve):
    desc = "{}\n\nURLs:\n{}\n\nwpvulndb: {}".format(
        vuln["title"], "\n".join(" - " + u for u in vuln["references"]["url"]),
        ", ".join(vuln["references"]["wpvulndb"]))
    if "exploitdb" in vuln:
        desc += "\n\nExploitDB: {}".format(vuln["exploitdb"])
    if "youtube" in vuln:
        desc += "\n\nYoutube: {}".format(vuln["youtube"])
    x.issue_nodup({port["id"]: [hn_id]}, name=vuln["title"], description=desc, url_path=path,
                  cvss=0, status="Need to recheck", cve=cve, cwe=0, type="web", fix=fix, param="")


def wpscan_import(x, files):
    errors = []
    for _, _, data in files:
        try:
            d = json.loads(data.decode("latin-1"))
            ip = d["target_ip"]
            ipaddress.ip_address(ip)
        except ValueError as e:
            errors.append("One of files was corrupted: {}".format(e))
            continue
        host, _ = x.host(ip, "Added from WPScan")
        url = urllib.parse.urlparse(d["target_url"])
        scheme = url.scheme.lower()
        note = "<h1>Scan of {} </h1></br></br>".format(d["target_url"])
        num = url.port or (80 if scheme == "http" else 443 if scheme == "https" else None)
        if num is None or num < 1 or num > 65535:
            raise ImportError_()
        port, _ = x.port(host, num, True, scheme, "WordPress")
        hn_id = "0" if url.hostname == ip else x.hostname(host, url.hostname,
                                                          "Added from WPScan")["id"]
        path = url.path
        if d["interesting_findings"]:
            note += "<h1>Interesting findings </h1></br>"
            for f in d["interesting_findings"]:
                note += "<h2><b>URL:</b> " + f["url"] + "</h2></br>"
                note += "<b>Type:</b> " + f["type"] + "</br>"
                note += "<b>Description:</b> " + f["to_s"] + "</br>"
                note += "<b>Found by:</b> " + f["found_by"] + "</br>"
                note += "<b>Interesting entries:</b> <ol>"
                note += "".join("<li>" + hsc(e) + "</li>" for e in f["interesting_entries"])
                note += "</ol></br>"
                if "url" in f["references"]:
                    note += "<b>Reference urls:</b> <ol>" + "".join(
                        "<li>" + hsc(u) + "</li>" for u in f["references"]["url"]) + "</ol></br>"
                if "metasploit" in f["references"]:
                    note += "<b>Reference metasploit:</b> <ol>" + "".join(
                        "<li>" + hsc(u) + "</li>" for u in f["references"]["metasploit"]) + \
                        "</ol></br>"
        ver = d["version"]
        if ver:
            note += "<h1>Version detection </h1></br>"
            note += "<b>Version:</b> " + ver["number"] + "</br>"
            note += "<b>Found by:</b> " + ver["found_by"] + "</br>"
            note += "<b>Interesting entries:</b> <ol>" + "".join(
                "<li>" + hsc(e) + "</li>" for e in ver["interesting_entries"]) + "</ol></br>"
            for v in ver["vulnerabilities"]:
                wpscan_issue(x, port, hn_id, path, v, "Upgrade WordPress to version >= " +
                             v["fixed_in"], ",".join(v["references"].get("cve", [])))
        theme = d["main_theme"]
        if theme:
            note += "<h1>Main theme </h1></br>"
            note += "<b>Name:</b> " + theme["slug"] + "</br>"
            note += "<b>Location:</b> " + theme["location"] + "</br>"
            if "readme_url" in theme:
                note += "<b>Readme URL:</b> " + theme["readme_url"] + "</br>"
            if "style_uri" in theme:
                note += "<b>Official URL:</b> " + theme["style_uri"] + "</br>"
            if theme.get("version"):
                note += "<b>Version:</b> " + theme["version"]["number"] + "</br>"
                note += "<b>Interesting entries:</b> <ol>" + "".join(
                    "<li>" + hsc(e) + "</li>" for e in theme["version"]["interesting_entries"]) + \
                    "</ol></br>"
            for v in theme["vulnerabilities"]:
                wpscan_issue(x, port, hn_id, path, v, "Upgrade main theme {} to version >= {}"
                             .format(theme["slug"], v["fixed_in"]),
                             ",".join(v["references"]["cve"]))
        plugins = d["plugins"]
        if plugins:
            note += "<h1>Plugins</h1></br>"
            for name, p in plugins.items():
                note += "<h2>" + name + "</h2></br>"
                note += "<b>Location:</b> " + p["location"] + "</br>"
                note += "<b>Found by:</b> " + p["found_by"] + "</br>"
                if "error_log_url" in plugins and p["error_log_url"]:
                    note += "<b>Error log URL:</b> " + p["error_log_url"] + "</br>"
                if p.get("directory_listing"):
                    note += "<b>Dir listing URL:</b> " + p["directory_listing"] + "</br>"
                if p.get("changelog_url"):
                    note += "<b>Changelog URL:</b> " + p["changelog_url"] + "</br>"
                if p.get("readme_url"):
                    note += "<b>Readme URL:</b> " + p["readme_url"] + "</br>"
                note += "<b>Interesting entries:</b> <ol>" + "".join(
                    "<li>" + hsc(e) + "</li>" for e in p["interesting_entries"]) + "</ol></br>"
                if p.get("version"):
                    note += "<b>Version:</b> " + p["version"]["number"] + "</br>"
                    note += "<b>Version entries:</b> <ol>" + "".join(
                        "<li>" + hsc(e) + "</li>" for e in p["version"]["interesting_entries"]) + \
                        "</ol></br>"
                for v in p["vulnerabilities"]:
                    wpscan_issue(x, port, hn_id, path, v, "Upgrade plugin {} to version >= {}"
                                 .format(name, v["fixed_in"]), ",".join(v["references"]["cve"]))
        x.note("WPScan: {}".format(num), host["id"], note)
    return errors


# --------------------------------------------------------------------- metasploit

def metasploit_import(x, files):
    c = x.c
    ports_desc = f_get(c, "ports_description", "Added from Metasploit scan")
    hn_desc = f_get(c, "hostnames_description", "Added from Metasploit scan")
    scripts, only_nmap = f_int(c, "add_nmap_scripts"), f_int(c, "only_nmap")
    for _, _, data in files:
        root = lowered(data)
        hosts, ports = {}, {}
        for h in need(root, "hosts").findall("host"):
            g = lambda t, h=h: txt(need(h, t))  # noqa: E731
            os_full = g("os-name")
            if g("os-family") and g("os-family") != g("os-name"):
                os_full += "({})".format(g("os-family"))
            for tag, fmt in (("os-flavor", " {}"), ("os-sp", " {}"), ("os-lang", " Lang:{}"),
                             ("arch", " Arch:{}")):
                if g(tag):
                    os_full += fmt.format(g(tag))
            if g("detected-arch") and g("detected-arch") != g("arch"):
                os_full += " Arch detected:{}".format(g("detected-arch"))
            desc = ""
            for tag, label in (("mac", "MAC"), ("state", "State"), ("purpose", "Type"),
                               ("info", "Info"), ("comments", "Comments")):
                if g(tag):
                    desc += "\n{}: {}".format(label, g(tag))
            if not ip_ok(g("address")):
                raise ImportError_()
            rid = g("id")
            hosts[rid] = {"ip": g("address"), "description": desc.strip(" \t\n\r"), "os": os_full}
            for s in need(h, "services").findall("service"):
                num = int(txt(need(s, "port")))
                if 0 < num < 65536:
                    ports[txt(need(s, "id"))] = {"port": num, "tcp": txt(need(s, "proto")) == "tcp",
                                                 "service": txt(need(s, "name")),
                                                 "info": txt(need(s, "info")), "host": rid}
            if scripts:
                for n in need(h, "notes").findall("note"):
                    kind = txt(need(n, "ntype"))
                    if kind in ("host.comments", "host.info", "host.os.nmap_fingerprint",
                                "host.name"):
                        continue
                    raw = txt(need(n, "data"))
                    try:
                        out = base64.b64decode(raw)[16:].decode("latin-1").strip(" \n\t\r")
                    except (ValueError, TypeError):
                        out = raw.strip(" \n\t\r")
                    while "  " in out:
                        out = out.replace("  ", " ")
                    full = "Script: {}".format(kind)
                    if txt(n.find("critical")):
                        full += "\nCritical: {}".format(txt(n.find("critical")))
                    if out:
                        full += "\nOutput:\n\n{}\n\n".format(out)
                    full = full.strip(" \t\n\r")
                    sid, hid = txt(n.find("service-id")), txt(n.find("host-id"))
                    if sid:
                        ports[sid]["info"] += "\n" + full
                    elif hid:
                        hosts[hid]["description"] += "\n" + full
        for h in hosts.values():
            host, created = x.host(h["ip"], h["description"])
            if created:
                host["os"] = h["os"]
            else:
                if h["description"]:
                    host["comment"] = h["description"]
                if h["os"]:
                    host["os"] = h["os"]
            h["pcf"] = host
        for p in ports.values():
            host = hosts[p["host"]]["pcf"]
            port, created = x.port(host, p["port"], p["tcp"], p["service"], p["info"])
            if not created:
                port["service"], port["description"] = p["service"], p["info"]
            p["pcf"] = port
        if only_nmap:
            continue
        sites = {}
        for w in need(root, "web_sites").findall("web_site"):
            p = ports[txt(need(w, "service-id"))]
            host = hosts[p["host"]]["pcf"]
            vhost = txt(need(w, "vhost"))
            sites[txt(need(w, "id"))] = (p["pcf"], x.hostname(host, vhost, hn_desc)["id"]
                                         if vhost else "0")
        for v in need(root, "web_vulns").findall("web_vuln"):
            params = base64.b64decode(txt(need(v, "params"))).decode("latin-1")[4:]
            desc = txt(need(v, "description"))
            for tag, label in (("proof", "PoC"), ("query", "Query")):
                if txt(need(v, tag)):
                    desc += "\n{}: {}".format(label, txt(need(v, tag)))
            if params:
                desc += "\nParams: {}".format(params)
            if txt(need(v, "payload")):
                desc += "\nPayload: {}".format(txt(need(v, "payload")))
            cvss = float(txt(need(v, "risk")))
            cvss = 0 if cvss < 0 or cvss > 10 else cvss
            port, hn_id = sites[txt(need(v, "web-site-id"))]
            x.issue_nodup({port["id"]: [hn_id]}, name="Metasploit: {}".format(txt(need(v, "name"))),
                          description=desc, url_path=txt(need(v, "path")), cvss=cvss,
                          status="Need to recheck", cve="", cwe="", type="web", fix="",
                          param="({}) {}".format(txt(need(v, "method")), txt(need(v, "pname"))))
    return []


# --------------------------------------------------------------------- nuclei

def resolve_map(c):
    names, ips = c.req.fall("hostnames"), c.req.fall("ips")
    if len(names) != len(ips):
        return None
    for ip in ips:
        if not ip_ok(ip):
            raise ValueError("Wrong IPv4 or TPv6 format!")
    return dict(zip(names, ips))


def nuclei_import(x, files):
    c = x.c
    hosts_desc = f_get(c, "hosts_description", "Added from Nuclei scan")
    hn_desc = f_get(c, "hostnames_description", "Added from Nuclei scan")
    ports_desc = f_get(c, "ports_description", "Added from Nuclei scan")
    mapping = resolve_map(c)
    if mapping is None:
        return ["Error with hostnames"]
    for _, _, data in files:
        text = data.decode("latin-1").strip(" \t\r\n").replace("\r", "").replace("\n", ",")
        for o in json.loads("[{}]".format(text)):
            info = o["info"]
            name = "Nuclei: {}".format(info["name"])
            tags = "Tags: {}".format(", ".join(info["tags"])) if info["tags"] else ""
            description = info.get("description", "")
            refs = "Links:\n{}".format("\n".join(" - {}".format(r) for r in info["reference"])) \
                if info["reference"] else ""
            matcher = "Matched: {}".format(o["matcher-name"]) if "matcher-name" in o else ""
            stype = "Script type: {}".format(o["type"]) if o["type"] else ""
            curl = "Curl: {}".format(o["curl-command"]) if "curl-command" in o else ""
            ip, host_url = o.get("ip", ""), o.get("host", "")
            url_path, proto, num, hostname = "", o.get("protocol", ""), 0, ""
            cve, cwe = o.get("cve", ""), o.get("cwe", "")
            if ip and not ip_ok(ip):
                ip = ""
            if host_url:
                u = urllib.parse.urlparse(host_url)
                proto = u.scheme or "http"
                num = 80 if proto == "http" else 443 if proto == "https" else 0
                if u.port:
                    num = u.port
                if o["matched-at"].startswith(host_url):
                    url_path = o["matched-at"][len(host_url):]
                if not ip and u.hostname:
                    if ip_ok(u.hostname):
                        ip = u.hostname
                    else:
                        hostname = u.hostname
                elif u.hostname:
                    hostname = u.hostname
            if "port" in o:
                num = int(o["port"])
            skip = {"template-id", "info", "host", "matched-at", "timestamp", "curl-command",
                    "type", "port", "matcher-name", "matcher-status", "template", "template-url",
                    "protocol", "cve", "cwe", "ip"}
            other = "".join("{}: {}\n".format(k, str(v) if not isinstance(v, list) else
                                              "[" + ", ".join(repr(i) for i in v) + "]")
                            for k, v in o.items() if k not in skip)
            if num < 0 or num > 65535:
                num = 0
            if not ip and hostname and hostname in mapping:
                ip = mapping[hostname]
            services = {}
            if ip:
                host, _ = x.host(ip, hosts_desc)
                port, _ = x.port(host, num, True, proto, ports_desc)
                hn_id = x.hostname(host, hostname, hn_desc)["id"] if hostname else "0"
                services = {port["id"]: [hn_id]}
            full = description + "\n"
            for part in (matcher, tags, stype, curl, refs, other):
                if part:
                    full += "\n" + part
            x.issue_nodup(services, name=name, description=full.strip("\n\r\t "),
                          url_path=url_path, cvss=0.0, status="Need to recheck", cve=cve, cwe=cwe,
                          type=x.typ("vulnerability", "web" if proto.startswith("http")
                                     else "custom"), fix="", param="")
    return None  # PCF renders the nuclei page without errors (no banner)


# --------------------------------------------------------------------- burp

class _Node:
    def __init__(self, tag, attrs, parent):
        self.tag, self.attrs, self.parent, self.children = tag, dict(attrs), parent, []

    def text(self):
        return "".join(ch if isinstance(ch, str) else ch.text() for ch in self.children)

    def iter(self, tag=None):
        for ch in self.children:
            if isinstance(ch, _Node):
                if tag is None or ch.tag == tag:
                    yield ch
                yield from ch.iter(tag)

    def find(self, tag, **attrs):
        return next((n for n in self.iter(tag)
                     if all(n.attrs.get(k) == v for k, v in attrs.items())), None)


class _Tree(html.parser.HTMLParser):
    VOID = {"meta", "br", "img", "link", "input", "hr"}

    def __init__(self, data):
        super().__init__(convert_charrefs=True)
        self.root = _Node("#root", {}, None)
        self.cur = self.root
        self.feed(data)

    def handle_starttag(self, tag, attrs):
        n = _Node(tag, attrs, self.cur)
        self.cur.children.append(n)
        if tag not in self.VOID:
            self.cur = n

    def handle_endtag(self, tag):
        n = self.cur
        while n is not self.root and n.tag != tag:
            n = n.parent
        if n is not self.root:
            self.cur = n.parent

    def handle_data(self, data):
        self.cur.children.append(data)


def _next_el(node):
    """BeautifulSoup's find_next(): the next element in document order."""
    n = node
    while n is not None and n.parent is not None:
        sib = n.parent.children
        i = sib.index(n)
        for ch in sib[i + 1:]:
            if isinstance(ch, _Node):
                return ch
        n = n.parent
    return None


def _squash(s):
    while "  " in s:
        s = s.replace("  ", " ")
    while "\n\n\n" in s:
        s = s.replace("\n\n\n", "\n\n")
    return s


def burp_import(x, files):
    c = x.c
    hosts_desc = f_get(c, "hosts_description", "Added from BurpSuite scan")
    hn_desc = f_get(c, "hostnames_description", "Added from BurpSuite scan")
    ports_desc = f_get(c, "ports_description", "Added from BurpSuite scan")
    mapping = resolve_map(c)
    if mapping is None:
        return ["Error with hostnames"]
    errors = []
    for _, _, data in files:
        tree = _Tree(data.decode("utf-8", "replace")).root
        for h1 in tree.iter("h1"):
            if "Issues found on" not in h1.text():
                continue
            url = h1.text().split("Issues found on ")[1].strip()
            u = urllib.parse.urlparse(url)
            proto, hostname = u.scheme, u.netloc
            num = u.port or (443 if proto == "https" else 80)
            ip = ""
            if ip_ok(hostname):
                ip, hostname = hostname, ""
            if hostname and not re.fullmatch(r"(?=.{1,253}$)([A-Za-z0-9-]{1,63}\.)+[A-Za-z]{2,63}",
                                              hostname):
                errors.append("Hostname not valid!")
                hostname = ""
            if not ip:
                ip = mapping.get(hostname, "")
            if not ip or errors:
                continue
            # PCF indexes the id insert_host / insert_host_port returns as if it
            # were a row: a new host or port ends the request with 500.
            host, created = x.host(ip, hosts_desc)
            if created:
                raise ImportError_()
            port = x.find_port(host, num, True)
            if port is not None:
                port["service"] = proto
            else:
                x.st.add_port(host["id"], num, True, proto, ports_desc, x.uid)
                raise ImportError_()
            hn = None
            if hostname:
                hn = x.st.find_hostname(host["id"], hostname)
                if hn is None:
                    x.st.add_hostname(host["id"], hostname, hn_desc, x.uid)
                    raise ImportError_()
            table = h1.parent
            rows = list(table.iter("tr"))[1:]
            for row in rows:
                if "issue-type-row" in (row.attrs.get("class") or "").split():
                    continue
                tds = list(row.iter("td"))
                path = next(t for t in tds if t.attrs.get("class") == "issue-path").text().strip()
                dom = row.find("a").attrs["href"].replace("#", "")
                sev = tds[1].text()
                cvss = {"Low": 2.0, "Medium": 5.0, "High": 8.0, "Critical": 10.0}.get(sev, 0.0)
                box = tree.find("a", name=dom).parent
                name = box.find("h2").text()
                desc = _squash(box.find("div").text())
                fix = ""
                heads = {h.text(): h for h in box.iter("h3")}
                for key in ("Remediation detail", "Issue remediation"):
                    if key in heads:
                        nxt = _next_el(heads[key])
                        fix += nxt.text() + ("\n\n" if key == "Remediation detail" else "")
                fix = _squash(fix)
                refs = ""
                if "References" in heads:
                    refs = "\n\nReferences:\n" + "".join(
                        " - " + a.text() + ": " + a.attrs["href"] + "\n"
                        for a in _next_el(heads["References"]).iter("a"))
                cls = ""
                if "Vulnerability classifications" in heads:
                    cls = "\n\nClassification:\n" + "".join(
                        a.text() + ": " + a.attrs["href"] + "\n"
                        for a in _next_el(heads["Vulnerability classifications"]).iter("a"))
                full = _squash(desc + refs + cls)
                services = {port["id"]: [hn["id"]] if hn else ["0"]}
                issue = x.issue_nodup(services, name="Burp: " + name, description=full,
                                      url_path=path, cvss=cvss, status="Need to recheck", cve="",
                                      cwe=0, type="web", fix=fix, param="")
                for key, comment, fname in (("Request:", "HTTP request", "request.txt"),
                                            ("Response:", "HTTP response", "response.txt")):
                    if key in heads:
                        x.poc(issue, port["id"], hn["id"] if hn else "0", comment, fname,
                              _next_el(heads[key]).text().replace("\r", ""))
    return errors


# --------------------------------------------------------------------- dnsrecon

def dnsrecon_rows(x, rows, hostnames, ports):
    rows = list(rows)
    for r in rows:
        target, name, ip = r.get("target", ""), r.get("mname", ""), r.get("address", "")
        port, info, typ = r.get("port", ""), r.get("strings", ""), r.get("type", "")
        if ip and not ip_ok(ip):
            old, ip = ip, ""
            for r2 in rows:
                if old == r2.get("mname", "") and ip_ok(r2.get("address", "")):
                    ip = r2["address"]
        if name and ip:
            if not target:
                if name not in hostnames:
                    hostnames[name] = {"ip": [ip], "description": "Type: {}".format(typ)}
                elif ip not in hostnames[name]["ip"]:
                    hostnames[name]["ip"].append(ip)
            elif target not in hostnames:
                hostnames[target] = {"ip": [ip], "description": "Type: {}\nName: {}".format(
                    typ, name)}
        elif name and not ip and info:
            if name not in hostnames:
                hostnames[name] = {"ip": [], "description": "Type: {}\nInfo: {}".format(typ, info)}
            else:
                hostnames[name]["description"] += "\nType: {}\nInfo: {}".format(typ, info)
        elif target and ip and not name:
            if target not in hostnames:
                hostnames[target] = {"ip": [ip], "description": "Type: {}".format(typ)}
        if port and ip:
            ports.setdefault(ip, [])
            if port not in ports[ip]:
                ports[ip].append(port)


def dnsrecon_import(x, files):
    c = x.c
    hosts_desc = f_get(c, "hosts_description", "Added from DNSrecon scan")
    ports_desc = f_get(c, "ports_description", "Added from DNSrecon scan")
    no6 = f_int(c, "ignore_ipv6")
    hostnames, ports = {}, {}
    for _, _, data in c.req.files("json_files"):
        dnsrecon_rows(x, json.loads(data.decode("latin-1")), hostnames, ports)
    for _, _, data in c.req.files("csv_files"):
        rows = csv.DictReader(io.StringIO(data.decode("latin-1")))
        dnsrecon_rows(x, ({"target": r["Target"], "mname": r["Name"], "address": r["Address"],
                           "port": r["Port"], "strings": r["String"], "type": r["Type"]}
                          for r in rows), hostnames, ports)
    for _, _, data in c.req.files("xml_files"):
        root = lowered(data)
        dnsrecon_rows(x, ({"target": e.get("target") or "", "mname": e.get("name") or "",
                           "address": e.get("address") or "", "port": e.get("port") or "",
                           "strings": e.get("strings") or "", "type": e.get("type") or ""}
                          for e in root.iter("record")), hostnames, ports)
    for name, d in hostnames.items():
        for ip in d["ip"]:
            ipaddress.ip_address(ip)
            if ":" in ip and no6:
                continue
            host, _ = x.host(ip, hosts_desc)
            hn = x.st.find_hostname(host["id"], name)
            if hn is None:
                x.st.add_hostname(host["id"], name, d["description"], x.uid)
            else:
                hn["description"] = d["description"]
    for ip, nums in ports.items():
        ipaddress.ip_address(ip)
        if ":" in ip and no6:
            continue
        host, _ = x.host(ip, hosts_desc)
        for n in set(nums):
            if 0 < int(n) < 65536:
                x.port(host, int(n), True, "unknown", ports_desc)
    return []


# --------------------------------------------------------------------- theHarvester

def theharvester_import(x, files):
    c = x.c
    hosts_desc = f_get(c, "hosts_description", "Added from theHarvester scan")
    hn_desc = f_get(c, "hostnames_description", "Added from theHarvester scan")
    for _, _, data in files:
        root = lowered(data)
        for h in root.iter("host"):
            ips, name = txt(need(h, "ip")), txt(need(h, "hostname"))
            for ip in ips.split(", "):
                if not ip_ok(ip):
                    raise ImportError_()
                host, _ = x.host(ip, hosts_desc)
                if x.st.find_hostname(host["id"], name) is None:
                    x.st.add_hostname(host["id"], name, hn_desc, x.uid)
    return []


# --------------------------------------------------------------------- kube-hunter

def kubehunter_import(x, files):
    c = x.c
    hosts_desc = f_get(c, "hosts_description", "Added from kube-hunter scan")
    ports_desc = f_get(c, "ports_description", "Added from kube-hunter scan")
    for _, _, data in files:
        doc = json.loads(data.decode("latin-1"))
        for node in doc["nodes"]:
            try:
                desc = "Kubernetes " + node["type"] if "type" in node else hosts_desc
                ipaddress.ip_address(node["location"])
                host, created = x.host(node["location"], desc)
                if not created:
                    host["comment"] = desc
            except (ValueError, KeyError):
                pass
        for s in doc["services"]:
            try:
                ip, num = s["location"].split(":")[0], int(s["location"].split(":")[1])
                ipaddress.ip_address(ip)
                host, created = x.host(ip, hosts_desc)
                if created:
                    continue  # insert_host's id indexed as a row: TypeError, caught
                port = x.find_port(host, num, True)
                if port is not None:
                    port["service"] = s["service"]
                else:
                    x.st.add_port(host["id"], num, True, s["service"], ports_desc, x.uid)
            except (ValueError, KeyError, IndexError):
                pass
        for v in doc["vulnerabilities"]:
            try:
                ip = v["location"].split(":")[0]
                num = int(v["location"].split(":")[1]) if ":" in v["location"] else 0
                ipaddress.ip_address(ip)
                cvss = {"low": 2.0, "medium": 5.0, "high": 8.0, "critical": 10.0}.get(
                    v["severity"], 0)
                desc = "Category: {}\nEvidence: {}\nModule: {}\nLink: {}\nNumber: {}\n\n{}".format(
                    v["category"], v["evidence"], v["hunter"], v["avd_reference"], v["vid"],
                    v["description"])
                host, created = x.host(ip, hosts_desc)
                if created:
                    continue
                port = x.find_port(host, num, True)
                if port is None:
                    x.st.add_port(host["id"], num, True, "kubernetes", ports_desc, x.uid)
                    continue  # the new port's id indexed as a row: finding skipped
                port["service"] = ports_desc
                x.issue_nodup({port["id"]: ["0"]}, name=v["vulnerability"], description=desc,
                              url_path="", cvss=cvss, status="need to recheck", cve="", cwe=0,
                              type=x.typ("vulnerability", "custom"), fix="", param="")
            except (ValueError, KeyError, IndexError):
                pass
    return []


# --------------------------------------------------------------------- pingcastle

def pingcastle_import(x, files):
    """PCF names and explains the findings from PingCastle's own rule
    descriptions (a .resx it ships); the fake has no copy, so it uses PCF's
    fallback for rules that file lacks: "PingCastle: <RiskId>"."""
    for _, _, data in files:
        root = lowered(data)
        dcs = {}
        for dc in root.iter("healthcheckdomaincontroller"):
            os_ = txt(dc.find("operatingsystem"))
            lines = []
            for tag, fmt in (("dcname", "DC name: {}"), ("lastcomputerlogondate", "Last Logon: {}"),
                             ("distinguishedname", "Distinguished Name: {}"),
                             ("ownersid", "Owner SID: {}"), ("ownername", "Owner Name: {}")):
                if dc.find(tag) is not None:
                    lines.append(fmt.format(txt(dc.find(tag))))
            if txt(dc.find("supportsmb1")) == "true":
                lines.append("Supports SMB1!")
                if txt(dc.find("smb1securitymode")) == "NotTested":
                    lines.append("SMB1SecurityMode: NotTested")
            if txt(dc.find("supportsmb2orsmb3")) == "true":
                lines.append("Supports SMBv2 or SMBv3.")
            if dc.find("smb2securitymode") is not None:
                lines.append("SMB2 security mode: {}".format(txt(dc.find("smb2securitymode"))))
            if txt(dc.find("remotespoolerdetected")) == "true":
                lines.append("Detected remote spooler.")
            if dc.find("pwdlastset") is not None:
                lines.append("Last pwd set: {}.".format(txt(dc.find("pwdlastset"))))
            if txt(dc.find("rodc")) == "true":
                lines.append("Read-Only DC")
            if dc.find("fsmo") is not None:
                fsmo = ", ".join(txt(s) for s in dc.find("fsmo").iter("string"))
                if fsmo:
                    lines.append("FSMO: {}".format(fsmo))
            desc = "\n".join(lines).strip(" \n\t\r")
            for s in (dc.find("ip").iter("string") if dc.find("ip") is not None else []):
                ip = txt(s)
                if not ip_ok(ip):
                    break
                host, created = x.host(ip, "Added from PingCastle")
                if created or os_:
                    host["os"] = os_ if os_ else host["os"]
                port, created = x.port(host, 88, True, "kerberos", desc)
                if not created and desc:
                    port["service"], port["description"] = "kerberos", desc
                dcs[port["id"]] = ["0"]
        for r in root.iter("healthcheckriskrule"):
            points = int(txt(need(r, "points")))
            cvss = 0 if points < 1 else 3 if points < 10 else 6 if points < 30 else 9.5
            desc = "Brief: {}\n\nTechnical information: \n\nTest purpose: \n\nLinks: \n".format(
                txt(need(r, "rationale")))
            x.issue_nodup(dcs, name="PingCastle: {}".format(txt(need(r, "riskid"))),
                          description=desc, url_path="", cvss=cvss, status="need to recheck",
                          cve="", cwe=0, fix="", param="")
    return []


# --------------------------------------------------------------------- dependency-check

def depcheck_import(x, files):
    for _, upname, data in files:
        root = lowered(data)
        for dep in root.iter("dependency"):
            filename, filepath = txt(need(dep, "filename")), txt(need(dep, "filepath"))
            for v in dep.iter("vulnerability"):
                name = txt(need(v, "name"))
                cve = name if name.startswith("CVE") else ""
                if v.find("cvssv3") is not None:
                    cvss = float(txt(need(v, "cvssv3/basescore")))
                elif v.find("cvssscore") is not None:
                    cvss = float(txt(v.find("cvssscore")))
                elif v.find("cvssv2") is not None:
                    cvss = float(txt(need(v, "cvssv2/score")))
                else:
                    cvss = 0
                cwes = list(v.iter("cwe"))
                cwe = int(txt(cwes[0]).replace("CWE-", "").split(" ")[0]) if cwes else 0
                soft = []
                for s in v.iter("software"):
                    a, vers = s.attrib, ""
                    if "versionstartincluding" in a:
                        vers += a["versionstartincluding"] + "<=x"
                    if "versionstartexcluding" in a:
                        vers += a["versionendexcluding"] + "<x"
                    if "versionendincluding" in a:
                        vers += "<=" + a["versionendincluding"]
                    if "versionendexcluding" in a:
                        vers += "<" + a["versionendexcluding"]
                    soft.append(txt(s) + (" versions ({})".format(vers) if vers else ""))
                desc = "File: " + filepath + "\n\n" + txt(need(v, "description")) + \
                    "\n\nVulnerable versions: \n" + "\n\n".join(soft)
                # PCF passes services as the string '{}'; the issue list shows
                # it as is and the project's JSON export fails on it.
                x.issue_lost(name=name, description=desc, url_path=filepath, cvss=cvss,
                             services="{}", status="need to recheck", cve=cve, cwe=cwe,
                             type=x.typ("vulnerability", "custom"), fix="", param=filename,
                             lost_project=filename)
    return []


# --------------------------------------------------------------------- checkmarx

def checkmarx_import(x, files):
    for _, _, data in files:
        root = lowered(data)
        for q in root.iter("query"):
            name = re.sub(" Version:[0-9]+", "", q.get("querypath").split("\\")[-1])
            for res in q.iter("result"):
                filename = res.get("filename")
                paths = []
                found = list(res.iter("path"))
                for i, _path in enumerate(found):
                    s = ""
                    nodes = list(res.iter("pathnode"))
                    if nodes:
                        s = "########## Path {} ###########\n".format(i + 1)
                    for n in nodes:
                        filename = txt(need(n, "filename"))
                        ns = "Filename: {}\nLine: {} Column: {}".format(
                            filename, int(txt(need(n, "line"))), int(txt(need(n, "column"))))
                        for code in n.iter("code"):
                            ns += "\n" + txt(code).strip(" \t")
                        s += ns + "\n\n"
                    if s:
                        paths.append(s + "\n\n")
                cvss = {"High": 9.5, "Medium": 8.0, "Low": 2.0}.get(res.get("severity"), 0)
                x.issue(name=name, description="Language: {}\n".format(q.get("language")) +
                        "\n".join(paths), url_path=filename, cvss=cvss, services={},
                        status="need to check", cwe=int(q.get("cweid")),
                        type=x.typ("vulnerability", "custom"))
    return []


# --------------------------------------------------------------------- maxpatrol

def maxpatrol_import(x, files):
    c = x.c
    hosts_desc = f_get(c, "hosts_description", "Added from MaxPatrol scan")
    ports_desc = f_get(c, "ports_description", "Added from MaxPatrol scan")
    for _, _, data in files:
        root = lowered(data)
        content = root if root.tag == "content" else need(root, ".//content")
        db = content.find("vulners")
        for h in need(content, "data").iter("host"):
            ip = h.get("ip")
            ipaddress.ip_address(ip)
            host, _ = x.host(ip, hosts_desc)
            for soft in need(h, "scan_objects").iter("soft"):
                num = int(soft.get("port"))
                if not 0 <= num <= 63353:
                    continue
                svc = txt(need(soft, "name"))
                port = x.find_port(host, num, True)
                if port is not None:
                    if svc:
                        port["service"] = svc
                else:
                    port, _ = x.port(host, num, True, svc, ports_desc)
                for ref in (soft.find("vulners").iter("vulner")
                            if soft.find("vulners") is not None else []):
                    if int(ref.get("level")) <= 0:
                        continue
                    v = next(e for e in db.findall("vulner") if e.get("id") == ref.get("id"))
                    links = txt(need(v, "links")).strip("\n").replace("\n", "\n- ")
                    cvss = float(need(v, "cvss3").get("base_score"))
                    vector = need(v, "cvss3").get("base_score_decomp").strip("()")
                    if cvss == 0:
                        cvss = float(need(v, "cvss").get("base_score"))
                    cve = ""
                    g = v.find("global_id")
                    if g is not None and g.get("name") == "CVE":
                        cve = g.get("value")
                    fstec = ",".join(e.get("value") for e in v.findall("global_id")
                                     if e.get("name") == "fstec")
                    desc = txt(need(v, "short_description")) + "\n\n" + txt(need(v, "description"))
                    if links:
                        desc += "\n\nLinks:\n" + links
                    if v.find("publication_date") is not None and txt(v.find("publication_date")):
                        desc += "\n\nPublication date:\n" + txt(v.find("publication_date"))
                    if fstec:
                        desc += "\n\nFSTEC:\n" + fstec
                    issue = x.issue_nodup({port["id"]: ["0"]}, name=txt(need(v, "title")),
                                          description=desc, url_path="", cvss=cvss,
                                          status="need to recheck", cve=cve, cwe=0,
                                          fix=txt(need(v, "how_to_fix")), param="")
                    if vector:
                        issue["fields"]["cvss_vector"] = {"type": "text", "value": vector}
    return []


# --------------------------------------------------------------------- scanvus

def scanvus_import(x, files):
    c = x.c
    host = None
    hid, ip = f_get(c, "host_id", "-"), f_get(c, "ip", "")
    if hid and re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", hid):
        h = x.st.hosts.get(hid)
        host = h if h is not None and h["project_id"] == x.pid else None
    elif ip and ip_ok(ip):
        host = x.st.host_by_ip(x.pid, ip)
        if host is None:
            host = x.st.hosts[x.st.add_host(x.pid, ip, x.uid, f_get(c, "host_description", ""),
                                            os_name="Linux")]
    port = x.zero_port(host) if host else None
    for _, _, data in files:
        doc = json.loads(data.decode("latin-1"))
        for script, v in doc.items():
            versions = ""
            for pkg, p in v["packages"].items():
                op = p["operator"].replace("lt", "<").replace("gt", ">")
                versions += "{} {}{},".format(pkg, op, p["bulletinVersion"])
            desc = "Vulnerable software: " + versions.strip("\n") if versions else ""
            x.issue_nodup({port["id"]: ["0"]} if port else {}, name="Scanvus: {}".format(script),
                          description=desc, url_path="", cvss=v["vuln"]["CVSS"]["score"],
                          status="need to recheck", cve=",".join(v["vuln"]["CVE List"]), cwe=0,
                          fix="", param="")
    return []


# --------------------------------------------------------------------- aiodnsbrute

def aiodnsbrute_import(x, files):
    c = x.c
    if x.head_bugs:
        raise ImportError_()  # the route's form class is gone at HEAD: NameError
    hosts_desc = f_get(c, "hosts_description", "Added from aiodnsbrute scan")
    hn_desc = f_get(c, "hostnames_description", "Added from aiodnsbrute scan")
    no6 = f_int(c, "ignore_ipv6")

    def add(ips, names):
        for ip in ips:
            host, _ = x.host(ip, hosts_desc)
            have = [h["hostname"] for h in x.st.host_hostnames(host["id"])]
            for n in names:
                if n not in have:
                    x.st.add_hostname(host["id"], n, hn_desc, x.uid)

    for _, _, data in c.req.files("json_files"):
        for row in json.loads(data.decode("latin-1")):
            ips = []
            for ip in set(filter(None, row.get("ip", []))):
                try:
                    if not (ipaddress.ip_address(ip).version == 6 and no6 == 1):
                        ips.append(ip)
                except ValueError:
                    pass
            names = list(set(filter(None, [row["domain"], row.get("cname", "")]
                                    + row.get("aliases", []))))
            if ips and names:
                add(ips, names)
    for _, _, data in c.req.files("csv_files"):
        for row in csv.DictReader(io.StringIO(data.decode("latin-1"))):
            ip = row["IPs"]
            try:
                if ipaddress.ip_address(ip).version == 6 and no6 == 1:
                    ip = ""
            except ValueError:
                ip = ""
            names = list(set(filter(None, [row["Hostname"], row["CNAME"], row["Aliases"]])))
            if ip and names:
                add([ip], names)
    return []


# --------------------------------------------------------------------- routes

# route, page title, importer, file fields, error block noun
IMPORTERS = [
    ("nessus", "Nessus", nessus_import, ("xml_files",), "host"),
    ("nikto", "Nikto", nikto_import, ("xml_files", "json_files", "csv_files"), "host"),
    ("acunetix", "Acunetix", acunetix_import, ("files",), "host"),
    ("openvas", "OpenVAS", openvas_import, ("xml_files",), "host"),
    ("qualys", "Qualys", qualys_import, ("xml_files",), "host"),
    ("netsparker", "NetSparker", netsparker_import, ("xml_files",), "host"),
    ("wpscan", "WPScan", wpscan_import, ("json_files",), "host"),
    ("metasploit", "Metasploit", metasploit_import, ("xml_files",), "host"),
    ("nuclei", "Nuclei", nuclei_import, ("json_files",), "host"),
    ("burp_enterprise", "Burp Suite Enterprise Edition", burp_import, ("html_files",), "host"),
    ("dnsrecon", "DNSrecon", dnsrecon_import, ("xml_files", "json_files", "csv_files"), "host"),
    ("theharvester", "theHarvester", theharvester_import, ("xml_files",), "host"),
    ("kube-hunter", "kube-hunter", kubehunter_import, ("json_files",), "host"),
    ("pingcastle", "PingCastle", pingcastle_import, ("xml_files",), "host"),
    ("depcheck", "DepCheck", depcheck_import, ("xml_files",), "host"),
    ("checkmarx", "Checkmarx", checkmarx_import, ("xml_files",), "host"),
    ("maxpatrol", "MaxPatrol", maxpatrol_import, ("xml_files",), "host"),
    ("scanvus", "Scanvus", scanvus_import, ("json_files",), "import"),
    ("aiodnsbrute", "aiodnsbrute", aiodnsbrute_import, ("json_files", "csv_files"), "host"),
]


def register(u, fake):
    """Adds the nmap route and every other importer route to the fake's UI."""

    def make(route, title, fn, fields, noun):
        @u(["GET", "POST"], "/project/<uuid:project_id>/tools/{}/".format(route), project=True,
           write=True)
        def page(c, project_id):
            msg = ""
            if c.req.method == "POST":
                x = Ctx(c, fake)
                files = [f for name in fields for f in c.req.files(name) if f[0]]
                try:
                    errors = fn(x, files)
                except (ImportError_, ValueError, KeyError, IndexError, TypeError,
                        AttributeError, StopIteration):
                    raise fake.ServerError("importer failed")
                if errors is None:
                    msg = ""
                else:
                    msg = (fake.error_block(noun, errors) if errors else fake.SUCCESS_UPLOAD) + "\n"
            body = (fake.nav(c) + msg + '<form class="ui form" enctype="multipart/form-data" '
                    'method="post" action="/project/{}/tools/{}/">\n'.format(project_id, route)
                    + fake.csrf_input(c.csrf) + "\n</form>")
            return c.page(title, body)
        return page

    @u(["GET", "POST"], "/project/<uuid:project_id>/tools/nmap/", project=True, write=True)
    def nmap_page(c, project_id):
        msg = ""
        if c.req.method == "POST":
            x = Ctx(c, fake)
            try:
                errors = nmap_import(x, c.req.files("files"))
            except ImportError_:
                raise fake.ServerError("nmap importer failed")
            msg = (fake.error_block("host", errors) if errors else fake.SUCCESS_UPLOAD) + "\n"
        body = (fake.nav(c) + msg + '<form class="ui form" enctype="multipart/form-data" '
                'method="post" action="/project/{}/tools/nmap/">\n'.format(project_id)
                + fake.csrf_input(c.csrf) + "\n</form>")
        return c.page("Nmap", body)

    for spec in IMPORTERS:
        make(*spec)
