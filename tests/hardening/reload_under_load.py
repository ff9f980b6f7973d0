"""Reload under load: while a client keeps requests in flight, pcf-mcp gets
SIGHUP after SIGHUP with a changed configuration (log level, rate limits,
a key that needs a restart, and once an invalid value). Every request must
be answered, each reload must be logged as applied (or refused, changing
nothing), the new log level must take effect, and the run must end cleanly."""

import os
import signal
import threading

import harness as h

REQUESTS = 600


def main():
    tmp = h.tempfile.mkdtemp(prefix="pcfmcp-reload-")
    cfg = os.path.join(tmp, "config.yaml")

    def write(level, burst, workers="4", bad=False):
        with open(cfg, "w") as f:
            f.write("log:\n  level: {}\nrate_limit:\n  requests_per_second: 100000\n"
                    "  burst: {}\nmcp:\n  workers: {}\naudit:\n  file: {}\n"
                    .format(level, burst, workers, os.path.join(tmp, "audit.jsonl")))
            if bad:
                f.write("tools:\n  timeout: soon\n")

    write("info", 100000)
    proc = h.PcfMcp(["--config", cfg], workdir=tmp)
    try:
        proc.initialize()
        ids = []
        stop = threading.Event()

        def load():
            # Keeps a window of requests in flight until the reloads are done.
            i = 0
            while not stop.is_set() or i < REQUESTS:
                method = "ping" if i % 2 else "tools/list"
                ids.append(proc.request(method, wait=False))
                if i >= 16:
                    proc.reply(ids[i - 16], timeout=30)
                i += 1

        t = threading.Thread(target=load, daemon=True)
        t.start()
        plan = [("debug", 50000, "4", False), ("info", 90000, "8", False),
                ("debug", 80000, "8", True), ("debug", 70000, "8", False)]
        applied = 0
        for level, burst, workers, bad in plan:
            want = "reload refused" if bad else "reload applied"
            n = proc.stderr_text().count(want)
            write(level, burst, workers, bad)
            proc.signal(signal.SIGHUP)
            h.wait_for(lambda: proc.stderr_text().count(want) > n, timeout=60, what=want)
            applied += 0 if bad else 1
        stop.set()
        t.join()
        for rid in ids:
            r = proc.reply(rid, timeout=30)
            h.check("result" in r or r.get("error", {}).get("code") == -32601,
                    "request {} failed during reloads: {}".format(rid, r))
        proc.close_input()
        status = proc.wait()
        logs = proc.stderr_text()
        h.check(status == 0, "exit status {}:\n{}".format(status, logs[-3000:]))
        h.check(logs.count("reload applied") == applied,
                "expected {} applied reloads:\n{}".format(applied, logs[-3000:]))
        h.check("log.level info -> debug" in logs and "log.level debug -> info" in logs,
                "log level changes not logged")
        h.check("needs a restart, not applied: mcp.workers" in logs,
                "mcp.workers change not reported as needing a restart")
        h.check("tools.timeout: expected a duration" in logs,
                "refused reload does not say why")
        h.check("changed: log.level, rate_limit.burst" in logs, "changed keys not listed")
        debug = [l for l in h.log_lines(logs) if l.get("level") == "debug"]
        h.check(debug, "debug lines never appeared after the reload to debug")
        print("reload under load: {} requests answered across {} reloads".format(
            len(ids), len(plan)))
        return 0
    finally:
        proc.cleanup()


if __name__ == "__main__":
    h.run(main)
