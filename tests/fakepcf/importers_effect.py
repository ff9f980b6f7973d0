"""What a project holds, by value, as the importer fixtures record it.

Shared by the capture script (tests/fixtures/scans/capture.py, against the
real PCF) and the contract replay (tests/contract/replay_imports.py, against
the fake), so both sides summarise a project the same way.  Ids differ on
every run, so everything is keyed by IP, port, name.
"""


def summarize(export, api_hosts):
    """@export: PCF's /project/<pid>/reports/export/json; @api_hosts: API v1
    hosts (for the OS, which the export leaves out, and note hosts)."""
    os_of = {h["ip"]: h.get("os", "") for h in api_hosts}
    ip_of_id = {h["id"]: h["ip"] for h in api_hosts}
    port_host, hn_host = {}, {}
    for ip, h in export["hosts"].items():
        for p in h["ports"]:
            port_host[p] = ip
        for n in h["hostnames"]:
            hn_host[n] = ip
    for i in export["issues"].values():
        for p, s in i["services"].items():
            port_host.setdefault(p, s["ip"])

    def svc(port_id, hostnames):
        p = export["ports"].get(port_id)
        where = "%s:%s/%s" % (port_host.get(port_id, "?"), p["port"] if p else "?",
                              ("tcp" if p["is_tcp"] else "udp") if p else "?")
        return [where + ((" " + export["hostnames"][h]["hostname"])
                         if h in export["hostnames"] else "") for h in hostnames] or [where]

    out = {
        "hosts": sorted(({"ip": ip, "description": h["comment"], "os": os_of.get(ip, "")}
                         for ip, h in export["hosts"].items()), key=lambda x: x["ip"]),
        "ports": sorted(({"host": port_host.get(pid, "?"), "port": p["port"], "tcp": p["is_tcp"],
                          "service": p["service"], "description": p["comment"]}
                         for pid, p in export["ports"].items()
                         if not (p["port"] == 0 and p["service"] == "info"
                                 and p["comment"] == "Information about whole host")),
                        key=lambda x: (x["host"], x["port"], x["tcp"])),
        "hostnames": sorted(({"host": hn_host.get(i, "?"), "hostname": n["hostname"],
                              "description": n["comment"]}
                             for i, n in export["hostnames"].items()),
                            key=lambda x: (x["host"], x["hostname"])),
        "issues": [],
        "pocs": [],
        "notes": sorted(({"name": n["name"], "host": ip_of_id.get(n.get("host_id", ""), ""),
                          "html": n["html"]} for n in export["notes"].values()),
                        key=lambda x: x["name"]),
        "credentials": sorted(({"login": c["login"], "cleartext": c["cleartext"],
                                "hash": c["hash"], "source": c["source"],
                                "description": c["description"]}
                               for c in export["credentials"].values()),
                              key=lambda x: x["login"]),
    }
    names = {}
    for i in export["issues"].values():
        for poc_id in i.get("pocs", []):
            names[poc_id] = i["name"]
        item = {k: i[k] for k in ("name", "cvss", "cve", "cwe", "url_path", "status", "type",
                                  "fix", "param", "technical", "risks", "references",
                                  "intruder", "description", "fields")}
        item["services"] = sorted(s for p, v in i["services"].items()
                                  for s in svc(p, list(v["hostnames"])
                                               + (["0"] if v["is_ip"] and v["hostnames"] else [])))
        out["issues"].append(item)
    out["issues"].sort(key=lambda x: (x["name"], x["url_path"], x["description"]))
    for poc_id, poc in export["pocs"].items():
        out["pocs"].append({"issue": names.get(poc_id, ""), "filename": poc["filename"],
                            "comment": poc.get("comment", ""), "type": poc.get("filetype", "")})
    out["pocs"].sort(key=lambda x: (x["issue"], x["filename"], x["comment"]))
    return out


def summarize_api(export_status, hosts, host_info, hostnames, issues):
    """The same from API v1 when the export fails (a defect an import can
    cause); API v1 shows no PoCs, notes or credentials."""
    out = {"export_status": export_status, "hosts": [], "ports": [], "hostnames": [],
           "issues": []}
    for h in sorted(hosts, key=lambda x: x["ip"]):
        out["hosts"].append({"ip": h["ip"], "description": h["description"], "os": h["os"]})
        for p in host_info(h["id"]).get("ports", []):
            out["ports"].append({"host": h["ip"], "port": p["port"], "tcp": p["is_tcp"],
                                 "service": p["service"], "description": p["description"]})
    for i in issues:
        out["issues"].append({k: i[k] for k in ("name", "cvss", "cve", "cwe", "url_path",
                                                "status", "type", "fix", "param", "technical",
                                                "risks", "references", "intruder",
                                                "description", "fields", "services")})
    out["issues"].sort(key=lambda x: (x["name"], x["url_path"], x["description"]))
    out["hostnames"] = sorted(h["hostname"] for h in hostnames)
    return out
