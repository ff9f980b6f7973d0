"""Drives the pcf-mcp container image over stdio the way a desktop MCP
client does, with the arguments of README.md's Claude Desktop example
(`docker run -i --rm -e ... -v TOKEN_FILE:... pcf-mcp serve`): initialize,
list the tools, and call list_projects against the fake PCF on the host.
Usage: container-stdio.py IMAGE ENGINE [GLOBAL OPTION ...]
(extra `run` options in PCFMCP_CONTAINER_RUN_OPTS, space-separated)
Standard library only."""

import json
import os
import re
import shutil
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "hardening"))

import harness as h  # noqa: E402  (tests/hardening/harness.py)
import fakeproc  # noqa: E402  (tests/contract/fakeproc.py, on the path harness sets)


def readme_client_config():
    """The container entry of the README's Claude Desktop example, parsed from
    README.md: what a desktop client would run, taken literally."""
    with open(os.path.join(HERE, "..", "README.md")) as fh:
        readme = fh.read()
    for block in re.findall(r"```json\n(.*?)```", readme, re.S):
        server = json.loads(block)["mcpServers"]["pcf"]
        if server["command"] == "docker":
            return server
    raise h.Failure("README.md has no docker-based client configuration")


def main():
    image, engine, global_opts = sys.argv[1], sys.argv[2], sys.argv[3:]
    run_opts = os.environ.get("PCFMCP_CONTAINER_RUN_OPTS", "").split()
    fake = fakeproc.Fake("--seed", "demo", "--token", h.TOKEN)
    tmp = tempfile.mkdtemp(prefix="pcfmcp-container-")
    # The README's configuration, with this machine's paths: the token file it
    # mounts (readable by the image's user only) and the test image.
    server = readme_client_config()
    args = list(server["args"])
    token = os.path.join(tmp, "token")
    with open(token, "w") as fh:
        fh.write(h.TOKEN + "\n")
    os.chmod(token, 0o600)
    os.chown(token, 10001, 10001)
    args = [a.replace("/home/you/.config/pcf-mcp/token", token) for a in args]
    h.check(args[:3] == ["run", "-i", "--rm"] and "pcf-mcp" in args,
            "unexpected README arguments: {}".format(args))
    args[args.index("pcf-mcp")] = image
    env = dict(server.get("env", {}))
    env["PCF_MCP_PCF_URL"] = fake.base
    # This machine's engine needs its own options; the fake PCF is on loopback.
    run = global_opts + args[:3] + ["--network=host"] + run_opts + args[3:]
    h.binary = lambda: engine
    proc = h.PcfMcp(run, env=env)
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
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    h.run(main)
