"""SIGTERM during a slow PCF call: the call (held up by the fake PCF's
latency fault) completes within server.shutdown_grace, its answer is
delivered, new requests are refused, and pcf-mcp exits 0; with a grace
shorter than a hung call it exits 3 (unclean drain)."""

import signal

import harness as h


def run_case(fake, token_file, tool, project, grace, fault):
    fake.control("faults/clear", {})
    fake.control("stats/reset", {})
    fake.control("faults", fault)
    proc = h.PcfMcp(["--pcf-url", fake.base, "--pcf-token-file", token_file,
                     "--server-shutdown-grace", grace])
    try:
        proc.initialize()
        args = {"project_id": project} if "project_id" in (
            tool.get("inputSchema", {}).get("properties") or {}) else {}
        rid = proc.request("tools/call", {"name": tool["name"], "arguments": args}, wait=False)
        h.wait_for(lambda: fake.control("stats").get("total", 0) > 0,
                   what="the call to reach PCF")
        proc.signal(signal.SIGTERM)
        status = proc.wait(timeout=60)
        return proc, rid, status
    except Exception:
        proc.cleanup()
        raise


def main():
    probe = h.PcfMcp([])
    try:
        probe.initialize()
        tool = h.read_tool_for_project(probe.tools())
    finally:
        probe.cleanup()
    h.check(tool is not None, "pcf-mcp lists no tool that reads a project")
    fake = h.fakeproc.Fake("--seed", "minimal", "--token", h.TOKEN)
    tmp = h.tempfile.mkdtemp(prefix="pcfmcp-term-")
    token_file = tmp + "/token"
    with open(token_file, "w") as f:
        f.write(h.TOKEN)
    try:
        project = h.first_project(fake)
        proc, rid, status = run_case(fake, token_file, tool, project, "30s",
                                     {"mode": "latency", "latency_ms": 1500})
        try:
            r = proc.reply(rid, timeout=5)
            h.check("result" in r and not r["result"].get("isError"),
                    "slow call was not completed: {}".format(r))
            h.check(status == 0, "clean drain exited {}".format(status))
        finally:
            proc.cleanup()
        proc, rid, status = run_case(fake, token_file, tool, project, "200ms",
                                     {"mode": "hang"})
        try:
            h.check(status == 3, "unclean drain exited {} (want 3)".format(status))
        finally:
            proc.cleanup()
        print("SIGTERM drain: slow call completed within the grace (exit 0); "
              "hung call cancelled after it (exit 3)")
        return 0
    finally:
        fake.stop()
        h.shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    h.run(main)
