#!/usr/bin/env python3
"""What pcf-mcp's tool list costs a model: bytes and tokens (bytes/4) per
toolset and in total, measured from a server's tools/list.

Tokens count the tool objects as tools/list sends them without their
outputSchema (name, title, description, inputSchema, annotations): the part
MCP clients turn into the model's tool definitions. The "wire" column adds
the output schemas.

  context-cost.py [--bin ./pcf-mcp]        start `pcf-mcp serve` over stdio
                                           (configurations below) and measure
  context-cost.py --url URL [--header H]   measure a running HTTP server's
                                           current tools/list
  --markdown                               the table as Markdown (README)
  --json                                   everything as JSON
  --max-default-tokens N                   exit 1 when the default tool list
                                           costs more than N tokens

With --bin the server runs with a placeholder PCF (nothing is contacted:
listing tools needs no PCF) and its web-session login: every toolset in
dynamic mode with destructive tools (per-toolset figures, from list_toolsets),
and the default configuration with destructive tools off and on, in dynamic
mode, with a PCF token only and with no PCF credentials.
Standard library only.
"""
import argparse
import json
import os
import subprocess
import sys
import urllib.request

PLACEHOLDER_PCF = {"PCF_MCP_PCF_URL": "http://127.0.0.1:9",
                   "PCF_MCP_PCF_EMAIL": "context-cost@example.invalid",
                   "PCF_MCP_PCF_PASSWORD": "placeholder", "PCF_MCP_LOG_LEVEL": "error"}

# Without the web session the tools that need it are not offered; without
# any credentials everything is listed, each description saying what the
# tool needs (the longest list a default configuration can give).
NO_CREDENTIALS = {"PCF_MCP_PCF_EMAIL": None, "PCF_MCP_PCF_PASSWORD": None}
TOKEN_ONLY = dict(NO_CREDENTIALS, PCF_MCP_PCF_TOKEN="00000000-0000-4000-8000-000000000000")


def model_bytes(tool):
    return len(json.dumps({k: v for k, v in tool.items() if k != "outputSchema"},
                          separators=(",", ":"), ensure_ascii=False).encode())


def wire_bytes(tool):
    return len(json.dumps(tool, separators=(",", ":"), ensure_ascii=False).encode())


def tokens(n):
    return (n + 3) // 4


class Stdio:
    def __init__(self, binary, env):
        full = dict(os.environ)
        # Only this script's settings count, never the caller's PCF_MCP_*.
        for k in list(full):
            if k.startswith("PCF_MCP_"):
                del full[k]
        full.update(PLACEHOLDER_PCF)
        full.update(env)
        for k in [k for k, v in full.items() if v is None]:
            del full[k]
        self.p = subprocess.Popen([binary, "serve"], stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                  stderr=subprocess.DEVNULL, env=full, text=True)
        self.n = 0
        self.rpc("initialize", {"protocolVersion": "2025-06-18", "capabilities": {},
                                "clientInfo": {"name": "context-cost", "version": "1"}})
        self.send({"jsonrpc": "2.0", "method": "notifications/initialized"})

    def send(self, obj):
        self.p.stdin.write(json.dumps(obj) + "\n")
        self.p.stdin.flush()

    def rpc(self, method, params):
        self.n += 1
        self.send({"jsonrpc": "2.0", "id": self.n, "method": method, "params": params})
        while True:
            line = self.p.stdout.readline()
            if not line:
                raise SystemExit("context-cost: the server stopped (check its configuration)")
            msg = json.loads(line)
            if msg.get("id") == self.n:
                if "error" in msg:
                    raise SystemExit("context-cost: {} failed: {}".format(method, msg["error"]))
                return msg["result"]

    def close(self):
        self.p.stdin.close()
        self.p.wait(timeout=30)


class Http:
    def __init__(self, url, headers):
        self.url, self.headers, self.n, self.session = url, headers, 0, None
        self.version = "2025-06-18"
        self.rpc("initialize", {"protocolVersion": self.version, "capabilities": {},
                                "clientInfo": {"name": "context-cost", "version": "1"}})

    def rpc(self, method, params):
        self.n += 1
        body = json.dumps({"jsonrpc": "2.0", "id": self.n, "method": method,
                           "params": params}).encode()
        req = urllib.request.Request(self.url, data=body, method="POST")
        req.add_header("Content-Type", "application/json")
        req.add_header("Accept", "application/json, text/event-stream")
        req.add_header("MCP-Protocol-Version", self.version)
        if self.session:
            req.add_header("Mcp-Session-Id", self.session)
        for h in self.headers:
            k, _, v = h.partition(":")
            req.add_header(k.strip(), v.strip())
        with urllib.request.urlopen(req, timeout=30) as r:
            self.session = r.headers.get("Mcp-Session-Id") or self.session
            text = r.read().decode()
        if text.lstrip().startswith("{"):
            msg = json.loads(text)
        else:   # an SSE answer: the data line of our response
            msg = next(json.loads(line[5:]) for line in text.splitlines()
                       if line.startswith("data:") and '"id":%d' % self.n in line.replace(" ", ""))
        if "error" in msg:
            raise SystemExit("context-cost: {} failed: {}".format(method, msg["error"]))
        return msg["result"]

    def close(self):
        pass


def list_tools(conn):
    tools, cursor = [], None
    while True:
        r = conn.rpc("tools/list", {"cursor": cursor} if cursor else {})
        tools += r["tools"]
        cursor = r.get("nextCursor")
        if not cursor:
            return tools


def toolsets_of(conn, tools):
    """{toolset: [tool names]} from list_toolsets, when the server offers it."""
    if not any(t["name"] == "list_toolsets" for t in tools):
        return None
    r = conn.rpc("tools/call", {"name": "list_toolsets", "arguments": {}})
    DESCRIPTIONS.update({t["name"]: t.get("description", "") for t in r["structuredContent"]["toolsets"]})
    return {t["name"]: t["tools"] for t in r["structuredContent"]["toolsets"]}


DESCRIPTIONS = {}


def summary(tools):
    m = sum(model_bytes(t) for t in tools)
    return {"tools": len(tools), "bytes": m, "tokens": tokens(m),
            "wire_bytes": sum(wire_bytes(t) for t in tools)}


def measure_binary(binary):
    conn = Stdio(binary, {"PCF_MCP_TOOLS_TOOLSETS": "all", "PCF_MCP_TOOLS_DYNAMIC": "true",
                          "PCF_MCP_TOOLS_ENABLE_DESTRUCTIVE": "true"})
    try:
        every = list_tools(conn)
        sets = toolsets_of(conn, every)
    finally:
        conn.close()
    by_name = {t["name"]: t for t in every}
    defaults = {}
    for label, env in (("default", {}),
                       ("default, destructive tools on", {"PCF_MCP_TOOLS_ENABLE_DESTRUCTIVE": "true"}),
                       ("default, dynamic mode", {"PCF_MCP_TOOLS_DYNAMIC": "true"}),
                       ("default, PCF token only", TOKEN_ONLY),
                       ("default, no PCF credentials", NO_CREDENTIALS)):
        c = Stdio(binary, env)
        try:
            defaults[label] = list_tools(c)
        finally:
            c.close()
    default_names = {t["name"] for t in defaults["default, destructive tools on"]}
    rows = []
    for name, members in sets.items():
        ts = [by_name[n] for n in members if n in by_name]
        row = summary(ts)
        row["toolset"] = name
        row["names"] = [t["name"] for t in ts]
        row["default"] = bool(members) and all(n in default_names for n in members
                                               if not by_name[n]["annotations"].get("destructiveHint"))
        rows.append(row)
    meta = [by_name[n] for n in ("list_toolsets", "enable_toolset") if n in by_name]
    if meta:
        row = summary(meta)
        row.update(toolset="(dynamic mode: list_toolsets, enable_toolset)", default=False)
        rows.append(row)
    totals = {label: summary(ts) for label, ts in defaults.items()}
    totals["all toolsets, destructive and dynamic"] = summary(every)
    return {"toolsets": rows, "totals": totals}


def measure_url(url, headers):
    conn = Http(url, headers)
    tools = list_tools(conn)
    sets = toolsets_of(conn, tools) or {}
    listed = {t["name"]: t for t in tools}
    rows = []
    for name, members in sets.items():
        ts = [listed[n] for n in members if n in listed]
        if ts:
            row = summary(ts)
            row.update(toolset=name, default=None)
            rows.append(row)
    return {"toolsets": rows, "totals": {"this server's tools/list": summary(tools)}}


def render_toolsets(result):
    """The toolset reference of docs/tools.md."""
    out = ["| Toolset | Default | Tools | What for |", "|---|---|---|---|"]
    for r in result["toolsets"]:
        if r["toolset"].startswith("("):
            continue
        out.append("| `{}` | {} | {} | {} |".format(
            r["toolset"], "yes" if r["default"] else "no",
            ", ".join("[`{0}`](#{0})".format(n) for n in r["names"]),
            DESCRIPTIONS.get(r["toolset"], "")))
    return "\n".join(out)


def render(result, markdown):
    out = []
    if markdown:
        out.append("| Toolset | Default | Tools | Bytes | Tokens | With output schemas |")
        out.append("|---|---|---:|---:|---:|---:|")
        for r in result["toolsets"]:
            d = "" if r["default"] is None else ("yes" if r["default"] else "no")
            out.append("| `{}` | {} | {} | {} | {} | {} |".format(
                r["toolset"], d, r["tools"], r["bytes"], r["tokens"], r["wire_bytes"]))
        for label, t in result["totals"].items():
            out.append("| **{}** | | {} | {} | **{}** | {} |".format(
                label, t["tools"], t["bytes"], t["tokens"], t["wire_bytes"]))
    else:
        out.append("{:<48} {:>7} {:>6} {:>8} {:>7} {:>9}".format(
            "toolset", "default", "tools", "bytes", "tokens", "wire"))
        for r in result["toolsets"]:
            d = "" if r["default"] is None else ("yes" if r["default"] else "no")
            out.append("{:<48} {:>7} {:>6} {:>8} {:>7} {:>9}".format(
                r["toolset"], d, r["tools"], r["bytes"], r["tokens"], r["wire_bytes"]))
        for label, t in result["totals"].items():
            out.append("{:<48} {:>7} {:>6} {:>8} {:>7} {:>9}".format(
                label, "", t["tools"], t["bytes"], t["tokens"], t["wire_bytes"]))
    return "\n".join(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--bin", default="./pcf-mcp")
    ap.add_argument("--url")
    ap.add_argument("--header", action="append", default=[])
    ap.add_argument("--markdown", action="store_true")
    ap.add_argument("--json", action="store_true")
    ap.add_argument("--toolsets-markdown", action="store_true",
                    help="the toolsets with their tools, for docs/tools.md")
    ap.add_argument("--max-default-tokens", type=int)
    a = ap.parse_args()
    result = measure_url(a.url, a.header) if a.url else measure_binary(a.bin)
    if a.toolsets_markdown:
        print(render_toolsets(result))
        return 0
    print(json.dumps(result, indent=2) if a.json else render(result, a.markdown))
    if a.max_default_tokens is not None:
        if a.url:
            raise SystemExit("--max-default-tokens needs --bin")
        worst = max(v["tokens"] for k, v in result["totals"].items() if k.startswith("default"))
        if worst > a.max_default_tokens:
            print("FAIL: the default tool list costs {} tokens, more than {}".format(
                worst, a.max_default_tokens), file=sys.stderr)
            return 1
        print("default tool list: at most {} tokens (budget {})".format(
            worst, a.max_default_tokens))
    return 0


if __name__ == "__main__":
    sys.exit(main())
