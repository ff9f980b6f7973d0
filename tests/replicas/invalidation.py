"""A write through replica A is visible on replica B at once, with the read
cache on (TTL 5 minutes) on both --stateless replicas sharing a real
redis-server: B's cached list_hosts is answered from its cache (PCF is not
asked), A adds a host, and B's very next list_hosts -- sent the moment A's
answer arrived -- shows it. Rounds of that measure the time from A's answer
to B's fresh answer. The control, without the store, shows B serving its
stale copy, which is the failure the store removes."""

import time

import replicas as r

ROUNDS = 10


def hosts(rep, rid, project):
    st, body, secs = r.call(rep, rid, "list_hosts", {"project": project, "limit": 500})
    return str(r.ok_result(st, body, "list_hosts on " + rep.name)), secs


def pcf_calls(fake):
    return fake.control("stats").get("total", 0)


def round_trip(a, b, fake, project, i, expect_fresh):
    """B caches the list; A writes; B reads at once. Returns B's read time."""
    hosts(b, 1000 + i, project)
    before = pcf_calls(fake)
    hosts(b, 2000 + i, project)
    r.check(pcf_calls(fake) == before, "round {}: B's second read was not cached".format(i))
    ip = "10.66.{}.{}".format(i // 200, i % 200 + 1)
    st, body, _ = r.call(a, 3000 + i, "add_host", {"project": project, "ip": ip})
    r.ok_result(st, body, "add_host on A")
    seen, secs = hosts(b, 4000 + i, project)
    if expect_fresh:
        r.check(ip in seen, "round {}: B still serves the list without {} after A's write "
                "was answered".format(i, ip))
    return ip in seen, secs


def main():
    r.require("tests/replicas/invalidation")
    args = ["--stateless", "--cache-enabled", "--cache-ttl", "5m",
            "--rate-limit-requests-per-second", "1000", "--rate-limit-burst", "1000",
            "--rate-limit-write-requests-per-second", "1000", "--rate-limit-write-burst", "1000"]
    with r.Bench() as t:
        redis = t.store()
        fake = t.pcf()
        project = r.h.first_project(fake)
        a, b = t.pair(redis.url(), args)
        times = []
        for i in range(ROUNDS):
            _, secs = round_trip(a, b, fake, project, i, True)
            times.append(secs)
        times.sort()
        r.check(b.metric("pcf_mcp_cache_hits_total") >= ROUNDS, "B's cache was not used")
        r.check(a.metric("pcf_mcp_store_requests_total", {"op": "invalidate", "result": "ok"})
                >= ROUNDS, "A's writes did not reach the store")
        check_ms = 1000 * b.metric("pcf_mcp_store_request_duration_seconds_sum",
                                   {"op": "cache"}) / max(1, b.metric(
                                       "pcf_mcp_store_request_duration_seconds_count",
                                       {"op": "cache"}))
        print("a write on A is visible on B's next read in {}/{} rounds (no waiting for a TTL); "
              "that read, which goes to PCF, took p50 {:.1f} ms, max {:.1f} ms; B's freshness "
              "check in the store took {:.2f} ms on average".format(
                  ROUNDS, ROUNDS, times[len(times) // 2] * 1000, times[-1] * 1000, check_ms))
        t.stop_replicas()

        # Control: without the store B keeps serving its own copy.
        a, b = t.pair(None, args, ("a2", "b2"))
        fresh, _ = round_trip(a, b, fake, project, ROUNDS + 1, False)
        r.check(not fresh, "without the store B saw A's write: the test cannot tell")
        print("control without the store: B serves the stale list after A's write")


if __name__ == "__main__":
    r.run(main)
