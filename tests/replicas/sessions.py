"""Sessions across replicas (without --stateless): pcf-mcp keeps a session
on the replica that created it and does not share it. With the store, a
request that a load balancer sends to another replica is refused with 421
and a message naming sticky routing (or --stateless) as the fix, instead
of the 404 that would make the client start a new session there, which the
next request may miss again. When the owning replica is gone, the answer
is the ordinary 404 (the client re-initializes). Without the store every
replica can only answer 404 -- the control."""

import json

import replicas as r


def rpc(rep, sid, rid, method="tools/list"):
    return rep.post({"jsonrpc": "2.0", "id": rid, "method": method}, session=sid)


def main():
    r.require("tests/replicas/sessions")
    with r.Bench() as t:
        redis = t.store(password="sessions-pw-1")
        a, b = t.pair(redis.url())
        sid = a.initialize()
        st, _, body = rpc(a, sid, 1)
        r.check(st == 200 and "result" in body, "tools/list on the owner: {} {}".format(st, body))
        st, _, body = rpc(b, sid, 2)
        r.check(st == 421, "misrouted POST: {} {}".format(st, body))
        msg = body["error"]["message"]
        r.check("sticky routing" in msg and "Mcp-Session-Id" in msg and "--stateless" in msg,
                "the refusal does not name the fix: " + msg)
        st, _, _ = b.request("GET", "/mcp", headers={"Accept": "text/event-stream",
                                                     "Mcp-Session-Id": sid,
                                                     "MCP-Protocol-Version": "2025-11-25"},
                             timeout=10)
        r.check(st == 421, "misrouted GET: {}".format(st))
        st, _, _ = b.request("DELETE", "/mcp", headers={"Mcp-Session-Id": sid,
                                                        "MCP-Protocol-Version": "2025-11-25"},
                             timeout=10)
        r.check(st == 421, "misrouted DELETE: {}".format(st))
        st, _, body = rpc(a, sid, 3)
        r.check(st == 200, "the owner lost the session: {} {}".format(st, body))
        r.check(b.metric("pcf_mcp_http_requests_total", {"code": "421"}) >= 3,
                "421 answers are not counted")
        r.check("does not route sessions stickily" in b.stderr_text(),
                "no log line tells the operator")
        print("misrouted POST, GET and DELETE: 421 naming sticky routing; the owner still serves")
        # Unknown everywhere: the plain 404.
        st, _, body = rpc(b, "no-such-session", 4)
        r.check(st == 404, "an unknown session: {} {}".format(st, body))
        # The tag is random base64: change its first character to another.
        st, _, body = rpc(b, ("y" if sid[0] == "x" else "x") + sid[1:], 5)
        r.check(st == 404, "a forged tag: {} {}".format(st, body))
        # The owner stops: its sessions are gone, and the answer says so.
        t.stop(a)
        st, _, body = rpc(b, sid, 6)
        r.check(st == 404, "the session of a stopped replica: {} {}".format(st, body))
        print("owner stopped: 404, the client starts a new session")
        t.stop_replicas()

        # Control: without the store nobody can tell.
        a, b = t.pair(None, (), ("a2", "b2"))
        sid = a.initialize()
        r.check("." not in sid, "without the store session ids name no replica: " + sid)
        st, _, body = rpc(b, sid, 7)
        r.check(st == 404, "control: {} {}".format(st, json.dumps(body)[:200]))
        print("control without the store: 404")


if __name__ == "__main__":
    r.run(main)
