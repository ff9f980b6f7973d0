#!/usr/bin/env python3
"""import_scan end to end: pcf-mcp over stdio against the fake PCF, every
sample file of tests/fixtures/scans, both PCF releases.

* fb68b26 (importers create findings): each format lands what the real PCF's
  importer created from the same file (tests/fixtures/pcf/imports), and the
  answer's counts and new lists say so; the nmap file's NSE output becomes
  findings ("Vulners: CVE-2023-38408" 9.8, "SMBv2 without required message
  signing" 6.0) -- issue 10, where import_nmap always stripped it.
* 6c83154 with --bugs (the hang): nmap goes through with the script results
  PCF would turn into findings left out (named in the answer), the fake never
  wedges; formats whose findings would hang, fail or get lost are refused
  before anything is sent, and the project is unchanged.
* Counts: a re-import with rule=filtered says ports +1 and names the new
  3306/tcp (issue 10: it said only "0 new host(s)").
* The file: path below imports.input_dir (symlinks, .., absolute paths,
  too large refused), inline content, both or neither refused; options a
  format lacks refused with the list; dependency-check needs force.
"""

import json
import os
import re
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "hardening"))
import harness as h  # noqa: E402  (puts tests/contract on sys.path)
import fakeproc  # noqa: E402

SCANS = os.path.join(h.SRCDIR, "tests", "fixtures", "scans")
PROJECT = "ACME external pentest"
passed, failed = 0, []


def case(name):
    def deco(fn):
        global passed
        try:
            fn()
            passed += 1
            print("ok - " + name)
        except Exception as e:  # noqa: BLE001
            failed.append(name)
            print("not ok - {}: {!r}".format(name, e))
        return fn
    return deco


def sample(name):
    with open(os.path.join(SCANS, name), encoding="utf-8") as fh:
        return fh.read()


class Server:
    def __init__(self, fake_args, env=None):
        self.fake = fakeproc.Fake("--seed", "demo", *fake_args)
        self.dir = tempfile.mkdtemp(prefix="imports-")
        base = {"PCF_MCP_PCF_URL": self.fake.base, "PCF_MCP_PCF_EMAIL": "pcf-tester@example.com",
                "PCF_MCP_PCF_PASSWORD": "pcf-tester-pass", "PCF_MCP_LOG_LEVEL": "error",
                "PCF_MCP_TOOLS_DEFAULT_PROJECT": PROJECT,
                "PCF_MCP_IMPORTS_INPUT_DIR": self.dir,
                # import_scan is in the "scans" toolset, off by default.
                "PCF_MCP_TOOLS_TOOLSETS": "default,scans",
                "PCF_MCP_RATE_LIMIT_REQUESTS_PER_SECOND": "0",
                "PCF_MCP_RATE_LIMIT_WRITE_REQUESTS_PER_SECOND": "0"}
        base.update(env or {})
        self.mcp = h.PcfMcp(env=base)
        self.mcp.initialize()

    def call(self, args):
        r = self.mcp.request("tools/call", {"name": "import_scan", "arguments": args},
                             timeout=60)
        h.check("result" in r, "no result: {}".format(r))
        return r["result"]

    def ok(self, args):
        res = self.call(args)
        h.check(not res.get("isError"), "tool error: {}".format(res["content"][0]["text"]))
        return res["structuredContent"], res["content"][0]["text"]

    def err(self, args, needle):
        res = self.call(args)
        text = res["content"][0]["text"]
        h.check(res.get("isError"), "expected an error, got {}".format(text[:300]))
        h.check(needle in text, "error lacks {!r}: {}".format(needle, text[:600]))
        return text

    def issues(self):
        r = self.mcp.request("tools/call", {"name": "list_issues",
                                            "arguments": {"limit": 500}}, timeout=30)
        return r["result"]["structuredContent"]["issues"]

    def wedged(self):
        return self.fake.control("health")["wedged"]

    def close(self):
        self.mcp.cleanup()
        self.fake.stop()
        shutil.rmtree(self.dir, ignore_errors=True)


def fixture_effect(fmt_file, case_name, commit="fb68b26"):
    path = os.path.join(h.SRCDIR, "tests", "fixtures", "pcf", "imports", fmt_file)
    for c in json.load(open(path)):
        if c["name"] == case_name and c["pcf_commit"] == commit:
            return c["effect"]
    raise AssertionError("no fixture case {} {}".format(fmt_file, case_name))


# format, sample, options, fixture file, fixture case (None: derived, no capture)
FORMATS = [
    ("nessus", "nessus.nessus", {}, None, None),
    ("nuclei", "nuclei.jsonl", {}, "import_nuclei.json", "nuclei_jsonl"),
    ("openvas", "openvas.xml", {}, "import_openvas.json", "openvas_xml"),
    ("qualys", "qualys.xml", {"add_empty_hosts": True}, "import_qualys.json", "qualys_xml"),
    ("nikto", "nikto.xml", {}, "import_nikto.json", "nikto_xml"),
    ("nikto", "nikto.json", {}, "import_nikto.json", "nikto_json"),
    ("nikto", "nikto.csv", {}, "import_nikto.json", "nikto_csv"),
    ("wpscan", "wpscan.json", {}, "import_wpscan.json", "wpscan_json"),
    ("acunetix", "acunetix.xml", {"host": "198.51.100.30"}, "import_acunetix.json",
     "acunetix_host_ip"),
    ("netsparker", "netsparker.xml", {}, "import_netsparker.json", "netsparker_xml"),
    ("metasploit", "metasploit.xml", {"add_nmap_scripts": True}, "import_metasploit.json",
     "metasploit_full"),
    ("dnsrecon", "dnsrecon.xml", {"ignore_ipv6": True}, "import_dnsrecon.json", "dnsrecon_xml"),
    ("dnsrecon", "dnsrecon.json", {}, "import_dnsrecon.json", "dnsrecon_json"),
    ("dnsrecon", "dnsrecon.csv", {}, "import_dnsrecon.json", "dnsrecon_csv"),
    ("theharvester", "theharvester.xml", {}, "import_theharvester.json", "theharvester_xml"),
    ("kube-hunter", "kubehunter.json", {}, "import_kubehunter.json", "kubehunter_json"),
    ("pingcastle", "pingcastle.xml", {}, "import_pingcastle.json", "pingcastle_xml"),
    ("checkmarx", "checkmarx.xml", {}, "import_checkmarx.json", "checkmarx_xml"),
    ("maxpatrol", "maxpatrol.xml", {}, "import_maxpatrol.json", "maxpatrol_xml"),
    ("scanvus", "scanvus.json", {"host": "198.51.100.130", "hosts_description": "Added from Scanvus"},
     "import_scanvus.json", "scanvus_json"),
    ("aiodnsbrute", "aiodnsbrute.json", {}, "import_aiodnsbrute.json", "aiodnsbrute_json"),
]


def main():
    # ------------------------------------------------------------ fb68b26
    s = Server(["--flavor", "fb68b26"])
    try:
        @case("fb68b26: nmap NSE output becomes PCF's findings (issue 10)")
        def _():
            out, text = s.ok({"format": "nmap", "content": sample("nmap.xml")})
            h.check(not out.get("removed"), out.get("removed"))
            names = {i["name"]: i["cvss"] for i in out["new"]["issues"]}
            h.check(names.get("Vulners: CVE-2023-38408") == 9.8, names)
            h.check(names.get("SMBv2 without required message signing") == 6, names)
            h.check(out["after"]["issues"] - out["before"]["issues"] == 3, out)
            h.check("issues {}->{} (+3)".format(out["before"]["issues"], out["after"]["issues"])
                    in text, text[:300])

        for fmt, name, opts, fx, cname in FORMATS:
            @case("fb68b26: {} ({}) lands what PCF's importer lands".format(fmt, name))
            def _(fmt=fmt, name=name, opts=opts, fx=fx, cname=cname):
                before = {i["id"] for i in s.issues()}
                out, text = s.ok(dict(opts, format=fmt, content=sample(name)))
                if fx:
                    want = fixture_effect(fx, cname)
                    new = out["new"]
                    got_issues = sorted(i["name"] for i in new["issues"])
                    want_issues = sorted(i["name"] for i in want["issues"])
                    if fmt != "pingcastle":  # PCF's rule texts are not modelled
                        h.check(got_issues == want_issues,
                                "issues {} != PCF {}".format(got_issues, want_issues))
                    h.check(len(new["issues"]) == len(want["issues"]), new["issues"])
                    want_ports = sorted("{}:{}/{}".format(p["host"], p["port"],
                                                          "tcp" if p["tcp"] else "udp")
                                        for p in want["ports"] if p["port"])
                    got_ports = sorted(p["port"] for p in new["ports"])
                    # the demo project may hold some of these hosts/ports already
                    h.check(set(got_ports) <= set(want_ports), (got_ports, want_ports))
                    h.check(out["after"]["issues"] - out["before"]["issues"] == len(want["issues"]),
                            (out["before"], out["after"]))
                else:
                    h.check(len(out["new"]["issues"]) == 4, out["new"]["issues"])
                    h.check(any("informational" in x for x in out["skipped"]), out["skipped"])
                after = s.issues()
                h.check(len([i for i in after if i["id"] not in before]) ==
                        out["after"]["issues"] - out["before"]["issues"], "counts vs list_issues")
                h.check("->" in text.split("\n")[0], text[:200])

        @case("fb68b26: Burp works although PCF fails on hosts and ports it creates")
        def _():
            out, _ = s.ok({"format": "burp", "content": sample("burp_enterprise.html")})
            h.check(out.get("precreated") == ["host 198.51.100.90", "port 198.51.100.90:443/tcp"],
                    out.get("precreated"))
            names = sorted(i["name"] for i in out["new"]["issues"])
            h.check(names == ["Burp: SQL injection", "Burp: Strict transport security not enforced"],
                    names)
            h.check(out["after"]["pocs"] - out["before"]["pocs"] == 3, (out["before"], out["after"]))

        @case("fb68b26: netsparker says PCF skipped the unconfirmed finding")
        def _():
            out, _ = s.ok({"format": "netsparker", "content": sample("netsparker.xml")})
            h.check(any("unconfirmed" in x for x in out["skipped"]), out.get("skipped"))

        @case("dependency-check needs force (PCF then fails the project's JSON export)")
        def _():
            s.err({"format": "dependency-check", "content": sample("dependency-check.xml")},
                  "force: true imports anyway")
            res = s.call({"format": "dependency-check", "content": sample("dependency-check.xml"),
                          "force": True, "project": "ACME internal AD assessment"})
            text = res["content"][0]["text"]
            h.check("could not be read afterwards" in text, text[:400])
    finally:
        s.close()

    # ------------------------------------------------------------ 6c83154 (hangs)
    s = Server(["--bugs"])
    try:
        @case("6c83154: nmap goes through without the findings' NSE output, PCF not hung")
        def _():
            out, text = s.ok({"format": "nmap", "content": sample("nmap.xml")})
            removed = sorted((r["script"], r["where"]) for r in out["removed"])
            h.check(removed == [("smb2-security-mode", "198.51.100.11"),
                                ("vulners", "198.51.100.10:22/tcp")], removed)
            h.check(out["after"]["issues"] == out["before"]["issues"], out)
            h.check(out["new"]["hosts"] and out["after"]["ports"] > out["before"]["ports"], out)
            h.check(not s.wedged(), "the fake wedged")
            h.check("6c83154" in out["pcf_release"], out["pcf_release"])
            h.check("left out" in text, text[:400])

        @case("6c83154: a 6 MB file streams from its one buffer, scripts left out on the way")
        def _():
            body = sample("nmap.xml")
            pad = "<!-- " + "x" * (3 * 1024 * 1024) + " -->\n"
            big = body.replace("<host ", pad + "<host ", 1).replace("</nmaprun>", pad + "</nmaprun>")
            with open(os.path.join(s.dir, "big-nmap.xml"), "w") as fh:
                fh.write(big)
            out, _ = s.ok({"format": "nmap", "path": "big-nmap.xml"})
            h.check(len(out["removed"]) == 2, out["removed"])
            gone = sum(len(m.group(0)) for m in re.finditer(
                r'<script id="(vulners|smb2-security-mode)".*?</script>', big, re.S))
            h.check(out["bytes_sent"] == len(big) - gone, (len(big), gone, out["bytes_sent"]))
            h.check(not s.wedged(), "wedged")

        @case("6c83154: a re-import with rule=filtered counts the new 3306/tcp (issue 10)")
        def _():
            out, text = s.ok({"format": "nmap", "content": sample("nmap.xml"), "rule": "filtered"})
            h.check(out["after"]["ports"] - out["before"]["ports"] == 1, out)
            h.check([p["port"] for p in out["new"]["ports"]] == ["198.51.100.10:3306/tcp"],
                    out["new"]["ports"])
            h.check("ports {}->{} (+1)".format(out["before"]["ports"], out["after"]["ports"])
                    in text, text[:300])
            h.check(out["new"]["hosts"] == [], out["new"]["hosts"])

        @case("6c83154: hosts_only leaves every NSE result out")
        def _():
            out, _ = s.ok({"format": "nmap", "content": sample("nmap.xml"), "hosts_only": True})
            h.check(len(out["removed"]) == 3, out["removed"])

        @case("6c83154: metasploit imports hosts and services only")
        def _():
            out, _ = s.ok({"format": "metasploit", "content": sample("metasploit.xml")})
            h.check(out["after"]["issues"] == out["before"]["issues"], out)
            h.check(any("only_nmap" in a for a in out["adjusted"]), out["adjusted"])
            h.check(not s.wedged(), "wedged")

        refusals = [("openvas", "openvas.xml", "hang"), ("qualys", "qualys.xml", "hang"),
                    ("nuclei", "nuclei.jsonl", "hang"), ("wpscan", "wpscan.json", "hang"),
                    ("burp", "burp_enterprise.html", "hang"),
                    ("nikto", "nikto.xml", "HTTP 500"), ("acunetix", "acunetix.xml", "HTTP 500"),
                    ("checkmarx", "checkmarx.xml", "HTTP 500"),
                    ("aiodnsbrute", "aiodnsbrute.json", "form class is gone"),
                    ("dependency-check", "dependency-check.xml", "force")]
        for fmt, name, needle in refusals:
            @case("6c83154: {} is refused before anything is sent".format(fmt))
            def _(fmt=fmt, name=name, needle=needle):
                s.fake.control("stats/reset", {})
                s.err({"format": fmt, "content": sample(name), "host": "198.51.100.30"}
                      if fmt == "acunetix" else {"format": fmt, "content": sample(name)}, needle)
                paths = s.fake.control("stats")["paths"]
                h.check(not any("/tools/" in p and "new_issue" not in p for p in paths), paths)
                h.check(not s.wedged(), "wedged")

        @case("6c83154: nessus and dnsrecon work (no outdated issue call)")
        def _():
            out, _ = s.ok({"format": "nessus", "content": sample("nessus.nessus"),
                           "add_info_issues": True})
            h.check(out["after"]["issues"] - out["before"]["issues"] == 7, out)
            out, _ = s.ok({"format": "dnsrecon", "content": sample("dnsrecon.csv")})
            h.check(out["pcf_release"].startswith("not checked"), out["pcf_release"])
    finally:
        s.close()

    # ------------------------------------------------------------ the file
    s = Server(["--flavor", "fb68b26"])
    try:
        shutil.copy(os.path.join(SCANS, "theharvester.xml"), os.path.join(s.dir, "harvest.xml"))
        os.makedirs(os.path.join(s.dir, "week1"))
        shutil.copy(os.path.join(SCANS, "nikto.json"), os.path.join(s.dir, "week1", "n.json"))
        os.symlink("/etc/passwd", os.path.join(s.dir, "link.xml"))
        with open(os.path.join(s.dir, "big.xml"), "wb") as fh:
            fh.write(b"<x>" + b" " * (2 * 1024 * 1024) + b"</x>")

        @case("a path below imports.input_dir is read and imported")
        def _():
            out, _ = s.ok({"format": "theharvester", "path": "harvest.xml"})
            h.check(len(out["new"]["hostnames"]) == 4, out["new"])
            out, _ = s.ok({"format": "nikto", "path": "week1/n.json"})
            h.check(out["after"]["issues"] - out["before"]["issues"] == 3, out)

        for bad, needle in (("link.xml", "symlink"), ("../etc/passwd", "not allowed"),
                            ("/etc/passwd", "absolute paths"), ("nope.xml", "no such file"),
                            (".hidden", "plain names")):
            @case("path {} refused".format(bad))
            def _(bad=bad, needle=needle):
                s.err({"format": "nmap", "path": bad}, needle)

        @case("both path and content, or neither, refused")
        def _():
            s.err({"format": "nmap", "path": "harvest.xml", "content": "<x/>"}, "either as path")
            s.err({"format": "nmap"}, "either as path")

        @case("an option the format lacks is refused with the list")
        def _():
            s.err({"format": "theharvester", "path": "harvest.xml", "rule": "open"},
                  "format theharvester has no option rule (it takes: hosts_description, "
                  "hostnames_description)")
            s.err({"format": "acunetix", "content": sample("acunetix.xml"), "host": "portal"},
                  "the scanned site's IP address")
            s.err({"format": "nuclei", "content": sample("nuclei.jsonl"),
                   "resolve": {"app.acme.example": "somewhere"}}, "must be an IP address")

        @case("a CSV where the format takes XML is refused before sending")
        def _():
            s.err({"format": "openvas", "content": "a,b,c\n1,2,3\n"}, "takes xml files")

        @case("a file PCF cannot parse: PCF's 500, named, with the counts")
        def _():
            text = s.err({"format": "openvas", "content": "<report><result><host>x</host>"
                                                          "</result></report>"}, "HTTP 500")
            h.check("before and after" in text, text[:500])
    finally:
        s.close()

    # imports.max_bytes
    s = Server(["--flavor", "fb68b26"], {"PCF_MCP_IMPORTS_MAX_BYTES": "1048576"})
    try:
        with open(os.path.join(s.dir, "big.xml"), "wb") as fh:
            fh.write(b"<x>" + b" " * (2 * 1024 * 1024) + b"</x>")

        @case("imports.max_bytes caps paths and content")
        def _():
            s.err({"format": "nmap", "path": "big.xml"}, "imports.max_bytes allows 1048576")
            s.err({"format": "nmap", "content": "<x>" + " " * 1048576 + "</x>"},
                  "imports.max_bytes allows 1048576")
    finally:
        s.close()

    # no input directory configured
    s = Server(["--flavor", "fb68b26"], {"PCF_MCP_IMPORTS_INPUT_DIR": ""})
    try:
        @case("without imports.input_dir a path is refused with the fix")
        def _():
            s.err({"format": "nmap", "path": "a.xml"}, "configure imports.input_dir")
    finally:
        s.close()

    print("# import_scan: {} passed, {} failed".format(passed, len(failed)))
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
