"""The store going away and coming back, survived by two --stateless
replicas (cache on, store.timeout 300 ms):

1. Blackholed (redis-server frozen: connections are accepted, nothing is
   answered): every request is still answered -- reads from PCF, limits
   per replica -- and none waits much past store.timeout; once the first
   timeout marked the store down, requests do not wait for it at all.
   /readyz stays 200 and names the store; with store.required it is 503.
   pcf_mcp_store_up is 0 and the timeouts are counted.
2. Thawed: both replicas use it again within the reconnect backoff (<= 5 s).
3. Killed and restarted empty on the same port: requests never fail, the
   replicas reconnect, and the shared write limit and cache invalidation
   work again."""

import threading
import time

import replicas as r

TIMEOUT_S = 0.3
SLACK_S = 1.0  # scheduling on a loaded CI machine plus a PCF round trip


def burst(reps, project, n, tag):
    """n requests at once, spread over the replicas: latencies (all answered)."""
    lat, errors = [], []
    lock = threading.Lock()

    def one(i):
        rep = reps[i % len(reps)]
        if i % 2:
            st, body, secs = r.call(rep, 500 + i, "list_hosts", {"project": project})
        else:
            st, body, secs = r.stateless_post(rep, {"jsonrpc": "2.0", "id": i, "method": "ping"})
        with lock:
            lat.append(secs)
            if st != 200 or not isinstance(body, dict) or "result" not in body or \
                    body["result"].get("isError"):
                errors.append("{} {}: {} {}".format(tag, rep.name, st, body))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    r.check(not errors, "requests failed while the store was away: {}".format(errors[:3]))
    r.check(len(lat) == n, "{} of {} requests answered".format(len(lat), n))
    return sorted(lat)


def main():
    r.require("tests/replicas/store_outage")
    args = ["--stateless", "--cache-enabled", "--cache-ttl", "5m",
            "--store-timeout", "{}ms".format(int(TIMEOUT_S * 1000)),
            "--rate-limit-requests-per-second", "1000", "--rate-limit-burst", "1000",
            "--rate-limit-write-requests-per-second", "0.01", "--rate-limit-write-burst", "2"]
    with r.Bench() as t:
        redis = t.store()
        project = r.h.first_project(t.pcf())
        a, b = t.pair(redis.url(), args)
        reps = [a, b]
        burst(reps, project, 8, "warm-up")

        # 1. blackhole
        redis.freeze()
        first = burst(reps, project, 24, "blackhole")
        r.check(first[-1] <= TIMEOUT_S + SLACK_S,
                "a request waited {:.2f} s on a blackholed store (store.timeout {:.1f} s)"
                .format(first[-1], TIMEOUT_S))
        for rep in reps:
            rep.wait_store(False, 10)
        down = burst(reps, project, 24, "down")
        r.check(down[-1] <= SLACK_S, "with the store known down a request still took {:.2f} s"
                .format(down[-1]))
        print("blackholed store: 24 requests at once all answered, slowest {:.0f} ms "
              "(store.timeout {:.0f} ms); once down: slowest {:.0f} ms, p50 {:.1f} ms".format(
                  first[-1] * 1000, TIMEOUT_S * 1000, down[-1] * 1000,
                  down[len(down) // 2] * 1000))
        # The store's own share of that: no operation, not even the ones
        # that met the frozen store, took longer than the 0.5 s bucket.
        for rep in reps:
            within = rep.metric("pcf_mcp_store_request_duration_seconds_bucket", {"le": "0.5"})
            total = rep.metric("pcf_mcp_store_request_duration_seconds_count")
            r.check(total > 0 and within == total,
                    "{}: {} of {} store operations took more than 0.5 s (timeout {:.1f} s)"
                    .format(rep.name, total - within, total, TIMEOUT_S))
        timeouts = sum(rep.metric("pcf_mcp_store_requests_total", {"result": "timeout"})
                       for rep in reps)
        skipped = sum(rep.metric("pcf_mcp_store_requests_total", {"result": "unavailable"})
                      for rep in reps)
        r.check(timeouts >= 1 and skipped >= 10, "store metrics: {} timeouts, {} skipped"
                .format(timeouts, skipped))
        # (The PCF half of /readyz is probed when asked: poll until it is in.)
        r.h.wait_for(lambda: b.ready()[0] == 200, 15, "/readyz 200 while the store is down")
        st, rd = b.ready()
        r.check(st == 200 and any("unreachable" in x for x in rd["reasons"]),
                "/readyz while the store is down: {} {}".format(st, rd))
        c = t.replica("c", redis.url(), args + ["--store-required"], wait=False)
        r.h.wait_for(lambda: c.ready()[0] == 503 and any(
            "store.required" in x for x in c.ready()[1]["reasons"]), 15,
            "store.required: /readyz 503 while the store is down")
        print("/readyz while down: 200 naming the store; 503 with store.required")

        # 2. back
        t0 = time.monotonic()
        redis.thaw()
        for rep in reps + [c]:
            rep.wait_store(True, 15)
        back = time.monotonic() - t0
        r.h.wait_for(lambda: c.ready()[0] == 200, 15, "store.required: ready again")
        t.stop(c)
        print("thawed: all replicas use the store again after {:.1f} s".format(back))

        # 3. killed, restarted empty
        redis.kill()
        burst(reps, project, 12, "killed")
        for rep in reps:
            rep.wait_store(False, 10)
        redis.start()
        t0 = time.monotonic()
        for rep in reps:
            rep.wait_store(True, 15)
        print("killed and restarted: reconnected after {:.1f} s".format(time.monotonic() - t0))
        # Invalidation works again...
        r.call(b, 900, "list_hosts", {"project": project})
        r.call(b, 901, "list_hosts", {"project": project})
        st, body, _ = r.call(a, 902, "add_host", {"project": project, "ip": "10.55.0.1"})
        r.ok_result(st, body, "add_host on A after the restart")
        st, body, _ = r.call(b, 903, "list_hosts", {"project": project})
        r.check("10.55.0.1" in str(r.ok_result(st, body, "list_hosts on B")),
                "after the restart B does not see A's write")
        # ...and the write limit (burst 2) is one for both again.
        st, body, _ = r.call(b, 904, "add_host", {"project": project, "ip": "10.55.0.2"})
        r.ok_result(st, body, "second write")
        for i, rep in enumerate((a, b)):
            st, body, _ = r.call(rep, 905 + i, "add_host",
                                 {"project": project, "ip": "10.55.1.{}".format(i)})
            r.check("Rate limit exceeded" in str(body), "third write on {} admitted: {}"
                    .format(rep.name, body))
        print("after the restart: invalidation and the shared write limit work again")
        for rep in reps:
            r.check("hunter" not in rep.stderr_text(), "unexpected secret in the log")


if __name__ == "__main__":
    r.run(main)
