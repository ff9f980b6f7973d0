"""A 2026-07-28 subscriptions/listen over stdio, against the pcf-mcp binary:
notifications/cancelled ends it (no response), end of input ends the
process at once with status 0 (it used to hang past the grace period and
ignore SIGTERM), and SIGTERM while one is open ends it with its completion
result (tagged with the listen request's id) and status 0. The grace period
is long (60 s), so exiting well within it shows nothing waited for it."""

import json
import signal

import harness as h

META = {"io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {}}


def listen(proc, rid):
    proc.send({"jsonrpc": "2.0", "id": rid, "method": "subscriptions/listen",
               "params": {"notifications": {"toolsListChanged": True}, "_meta": META}})

    def acked():
        for line in proc.stdout_text().splitlines():
            try:
                m = json.loads(line)
            except ValueError:
                continue
            if m.get("method") == "notifications/subscriptions/acknowledged":
                sid = m["params"]["_meta"]["io.modelcontextprotocol/subscriptionId"]
                h.check(sid == rid, "subscription id {!r}, want the request id {!r}".format(sid, rid))
                h.check(m["params"].get("notifications") == {"toolsListChanged": True},
                        "acknowledged filter: {}".format(m["params"].get("notifications")))
                return True
        return False
    h.wait_for(acked, what="the acknowledgement")


def with_listen(rid, then):
    """A fresh pcf-mcp (60 s grace) with a listen open as request @rid, then @then(proc)."""
    proc = h.PcfMcp(["--server-shutdown-grace", "60s"])
    try:
        listen(proc, rid)
        then(proc)
    finally:
        proc.cleanup()


def cancelled_then_eof(proc):
    proc.send({"jsonrpc": "2.0", "method": "notifications/cancelled", "params": {"requestId": 7}})
    r = proc.request("server/discover", {"_meta": META}, rid=8)
    h.check("result" in r, "server/discover after the cancel: {}".format(r))
    h.check(json.dumps(7) not in proc.replies, "the cancelled listen got a response")
    proc.close_input()
    status = proc.wait(timeout=20)
    h.check(status == 0, "exit status {} after end of input".format(status))


def eof(proc):
    proc.close_input()
    status = proc.wait(timeout=20)
    h.check(status == 0, "exit status {} with a listen open at end of input".format(status))


def sigterm(proc):
    proc.signal(signal.SIGTERM)
    status = proc.wait(timeout=20)
    h.check(status == 0, "exit status {} after SIGTERM".format(status))
    r = proc.reply("term", timeout=1)
    res = r.get("result", {})
    h.check(res.get("resultType") == "complete" and
            res.get("_meta", {}).get("io.modelcontextprotocol/subscriptionId") == "term",
            "completion result: {}".format(r))


def main():
    with_listen(7, cancelled_then_eof)      # cancelled, then end of input
    with_listen("open", eof)                # still open at end of input
    with_listen("term", sigterm)            # still open at SIGTERM: the graceful closure
    print("listen over stdio: cancel ends it, end of input and SIGTERM end the process at once")
    return 0


if __name__ == "__main__":
    h.run(main)
