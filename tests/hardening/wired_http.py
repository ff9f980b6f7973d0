"""Behaviour that is wired into pcf-mcp, asserted through the binary over
HTTP with the real toolset and the fake PCF:

1. Read cache: a repeated list_hosts is answered without reaching PCF (the
   fake's request count stays put, cache hits grow); add_host to the same
   project invalidates it, and the next list_hosts reaches PCF and shows
   the new host.
2. Tracing: `traceparent`/`tracestate` HTTP headers make the tools/call
   span a child of the header's span, in its trace, carrying its state.
3. Metrics move with traffic: pcf_mcp_request_duration_seconds,
   pcf_mcp_pcf_request_duration_seconds, pcf_mcp_pcf_retries_total (a 503
   from the fake PCF is retried) and pcf_mcp_sessions (1 while a session
   lives, 0 after DELETE)."""

import os

import harness as h

TRACE = "5bf92f3577b34da6a3ce929d0e0e4737"
PARENT = "10f067aa0ba902b8"


def total(metrics, prefix):
    return sum(v for k, v in metrics.items() if k.startswith(prefix))


def main():
    collector = h.Collector()
    fake = h.fakeproc.Fake("--seed", "minimal", "--token", h.TOKEN)
    tmp = h.tempfile.mkdtemp(prefix="pcfmcp-wired-")
    token_file = os.path.join(tmp, "token")
    with open(token_file, "w") as f:
        f.write(h.TOKEN)
    proc = None
    try:
        project = h.first_project(fake)
        proc = h.HttpPcfMcp(["--pcf-url", fake.base, "--pcf-token-file", token_file,
                             "--cache-enabled", "--cache-ttl", "5m",
                             "--tracing-enabled", "--tracing-endpoint", collector.url,
                             "--tracing-sample-ratio", "0.001", "--tracing-interval", "200ms"],
                            workdir=tmp)
        m0 = proc.metrics()
        h.check(m0.get("pcf_mcp_sessions") == 0, "sessions before any: {}".format(
            m0.get("pcf_mcp_sessions")))
        sid = proc.initialize()
        h.check(proc.metrics().get("pcf_mcp_sessions") == 1, "pcf_mcp_sessions did not count 1")

        def pcf_calls():
            return fake.control("stats").get("total", 0)

        def list_hosts(rid, **extra):
            args = {"project": project}
            args.update(extra)
            st, _, body = proc.call("list_hosts", args, session=sid, rid=rid)
            h.check(st == 200 and "result" in body and not body["result"].get("isError"),
                    "list_hosts: {} {}".format(st, body))
            return body["result"]

        # 1. cache
        list_hosts(1)
        before, hits = pcf_calls(), proc.metrics().get("pcf_mcp_cache_hits_total", 0)
        list_hosts(2)
        h.check(pcf_calls() == before, "a cached list_hosts reached PCF ({} -> {})".format(
            before, pcf_calls()))
        h.check(proc.metrics().get("pcf_mcp_cache_hits_total", 0) > hits, "no cache hit counted")
        st, _, body = proc.call("add_host", {"project": project, "ip": "10.77.0.1"},
                                session=sid, rid=3)
        h.check(st == 200 and not body["result"].get("isError"), "add_host: {}".format(body))
        after_add = pcf_calls()
        res = list_hosts(4)
        h.check(pcf_calls() > after_add, "list_hosts after add_host did not reach PCF")
        h.check("10.77.0.1" in str(res), "the new host is missing after invalidation")

        # 2. trace context from HTTP headers
        st, _, body = proc.call("list_hosts", {"project": project, "text": "10.77"},
                                session=sid, rid=5,
                                headers={"traceparent": "00-{}-{}-01".format(TRACE, PARENT),
                                         "tracestate": "acme=t61rcWkgMzE"})
        h.check(st == 200 and not body["result"].get("isError"), "traced call: {}".format(body))
        h.wait_for(lambda: [s for s in collector.find("tools/call") if s["traceId"] == TRACE],
                   timeout=20, what="the traced tools/call span")
        span = [s for s in collector.find("tools/call") if s["traceId"] == TRACE][0]
        h.check(span.get("parentSpanId") == PARENT,
                "tools/call span is not the header span's child: {}".format(span))
        h.check(span.get("traceState") == "acme=t61rcWkgMzE",
                "tracestate header not carried: {}".format(span))

        # 3. metrics after traffic, and a retried 503 from PCF
        m1 = proc.metrics()
        key = 'pcf_mcp_request_duration_seconds_count{method="tools/call"}'
        h.check(m1.get(key, 0) == 5, "{} is {}".format(key, m1.get(key)))
        h.check(total(m1, "pcf_mcp_pcf_request_duration_seconds_count{") >=
                total(m1, "pcf_mcp_pcf_requests_total{") > 0,
                "pcf_mcp_pcf_request_duration_seconds does not count PCF requests")
        retries = m1.get("pcf_mcp_pcf_retries_total", 0)
        fake.control("faults", {"mode": "status", "status": 503, "count": 1})
        # list_issues reads an endpoint nothing has cached yet.
        st, _, body = proc.call("list_issues", {"project": project}, session=sid, rid=7)
        h.check(st == 200 and not body["result"].get("isError"),
                "list_issues after one 503: {}".format(body))
        left = fake.control("faults").get("faults", [])
        h.check(not left, "the 503 fault was never served: {}".format(left))
        fake.control("faults/clear", {})
        m2 = proc.metrics()
        h.check(m2.get("pcf_mcp_pcf_retries_total", 0) == retries + 1,
                "pcf_mcp_pcf_retries_total {} -> {} after one 503".format(
                    retries, m2.get("pcf_mcp_pcf_retries_total")))
        h.check(total(m2, "pcf_mcp_pcf_request_duration_seconds_count{") >
                total(m1, "pcf_mcp_pcf_request_duration_seconds_count{"),
                "PCF duration histogram did not move")
        st, _, _ = proc.request("DELETE", "/mcp", headers={"Mcp-Session-Id": sid,
                                                            "MCP-Protocol-Version": "2025-11-25"})
        h.check(st in (200, 204), "DELETE session: {}".format(st))
        h.check(proc.metrics().get("pcf_mcp_sessions") == 0, "pcf_mcp_sessions did not drop")
        print("wired: cache hit/invalidate, header trace context, metrics moving")
        return 0
    finally:
        if proc:
            proc.stop()
        fake.stop()
        collector.stop()
        h.shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    h.run(main)
