#!/usr/bin/env python3
"""Lists the PCF projects an account can see, with the libpcfmcp PCF client.

Credentials come from the environment, as for pcf-mcp itself:

    PCF_MCP_PCF_URL=https://pcf.example.com \
    PCF_MCP_PCF_TOKEN_FILE=~/.config/pcf-mcp/token  python3 list_projects.py

(or PCF_MCP_PCF_TOKEN, or PCF_MCP_PCF_EMAIL + PCF_MCP_PCF_PASSWORD[_FILE]).
"""

import sys

import pcfmcp


def main():
    # The library's own configuration rules read the environment and the
    # *_FILE secrets, so this script behaves exactly like pcf-mcp does.
    with pcfmcp.Config() as cfg:
        try:
            cfg.load_env()
            cfg.resolve_secrets()
        except pcfmcp.PcfmcpError as e:
            print("configuration: %s" % e.message, file=sys.stderr)
            return 2
        url, token = cfg["pcf.url"], cfg["pcf.token"]
        email, password = cfg["pcf.email"], cfg["pcf.password"]
    if not url or not (token or (email and password)):
        print("set PCF_MCP_PCF_URL and PCF_MCP_PCF_TOKEN (or _EMAIL + _PASSWORD)", file=sys.stderr)
        return 2

    with pcfmcp.Pcf(url, token=token or None,
                    email=email or None, password=password or None) as pcf:
        try:
            answer = pcf.projects_list()
        except pcfmcp.PcfError as e:
            print("PCF: %s" % e, file=sys.stderr)
            return 1
    projects = answer.get("projects", [])
    for p in projects:
        print("%s  %-8s  %s" % (p["id"], p.get("status", ""), p["name"]))
    print("%d project(s)" % len(projects), file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
