"""Drives the pcf-mcp container image over stdio the way a desktop MCP
client does (`docker run -i --rm ... IMAGE serve`): initialize, list the
tools, and call list_projects against the fake PCF on the host.
Usage: container-stdio.py IMAGE ENGINE [GLOBAL OPTION ...]
(extra `run` options in PCFMCP_CONTAINER_RUN_OPTS, space-separated)
Standard library only."""

import os
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "hardening"))

import harness as h  # noqa: E402  (tests/hardening/harness.py)
import fakeproc  # noqa: E402  (tests/contract/fakeproc.py, on the path harness sets)


def main():
    image, engine, global_opts = sys.argv[1], sys.argv[2], sys.argv[3:]
    run_opts = os.environ.get("PCFMCP_CONTAINER_RUN_OPTS", "").split()
    fake = fakeproc.Fake("--seed", "demo", "--token", h.TOKEN)
    # The client's configuration: the environment, the image, `serve`.
    run = global_opts + ["run", "-i", "--rm", "--network=host"] + run_opts + [
        "-e", "PCF_MCP_PCF_URL", "-e", "PCF_MCP_PCF_TOKEN", image, "serve"]
    h.binary = lambda: engine
    proc = h.PcfMcp(run, env={"PCF_MCP_PCF_URL": fake.base, "PCF_MCP_PCF_TOKEN": h.TOKEN})
    try:
        init = proc.initialize()
        info = init["result"]["serverInfo"]
        h.check(info["name"] == "pcf-mcp", "serverInfo: {}".format(info))
        tools = [t["name"] for t in proc.tools()]
        h.check("list_projects" in tools, "tools/list: {}".format(tools))
        r = proc.request("tools/call", {"name": "list_projects", "arguments": {}}, timeout=60)
        result = r.get("result") or {}
        h.check(not result.get("isError"), "list_projects failed: {}".format(r))
        projects = (result.get("structuredContent") or {}).get("projects") or []
        h.check(projects, "list_projects returned no project: {}".format(r))
        proc.close_input()
        rc = proc.wait(60)
        h.check(rc == 0, "the container exited {} (stderr: {})".format(
            rc, proc.stderr_text()[-2000:]))
        print("container {} over stdio: {} {}, {} tools, {} project(s) from the fake PCF".format(
            image, info["name"], info["version"], len(tools), len(projects)))
    finally:
        proc.cleanup()
        fake.stop()


if __name__ == "__main__":
    h.run(main)
