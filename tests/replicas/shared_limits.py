"""Rate limits shared by two --stateless replicas through a real
redis-server: a caller alternating between replica A and replica B gets the
burst once, not once per replica, and the limit for tools that change data
is shared too. The same traffic without the store is the control: each
replica then admits its own burst (twice the limit), which is what the
store is for."""

import time

import replicas as r

BURST = 5
RATE = 1  # per second
STORM = 30


def storm(a, b):
    """STORM pings alternating A/B as fast as they answer: (admitted, seconds)."""
    admitted, t0 = 0, time.monotonic()
    for i in range(STORM):
        status, body, _ = r.stateless_post(a if i % 2 == 0 else b,
                                           {"jsonrpc": "2.0", "id": i, "method": "ping"})
        r.check(status in (200, 429), "ping {}: {} {}".format(i, status, body))
        admitted += status == 200
    return admitted, time.monotonic() - t0


def writes(a, b, project, base):
    """6 add_host alternating A/B: how many were admitted."""
    done = 0
    for i in range(6):
        st, body, _ = r.call(a if i % 2 == 0 else b, 100 + i, "add_host",
                             {"project": project, "ip": "10.{}.0.{}".format(base, i + 1)})
        r.check(st == 200 and isinstance(body, dict), "add_host: {} {}".format(st, body))
        text = str(body.get("result") or body.get("error"))
        if "result" in body and not body["result"].get("isError"):
            done += 1
        else:
            r.check("Rate limit exceeded" in text, "add_host failed: {}".format(body))
    return done


def main():
    r.require("tests/replicas/shared_limits")
    limits = ["--stateless", "--rate-limit-requests-per-second", str(RATE),
              "--rate-limit-burst", str(BURST)]
    with r.Bench() as t:
        redis = t.store(password="limits-" + str(time.monotonic_ns()))
        project = r.h.first_project(t.pcf())
        a, b = t.pair(redis.url(), limits)
        admitted, secs = storm(a, b)
        refilled = int(secs * RATE) + 1
        r.check(BURST <= admitted <= BURST + refilled,
                "{} of {} admitted across two replicas in {:.2f} s; the shared limit allows "
                "{}..{}".format(admitted, STORM, secs, BURST, BURST + refilled))
        print("shared: {} of {} pings admitted across 2 replicas in {:.2f} s (burst {}, {}/s)"
              .format(admitted, STORM, secs, BURST, RATE))
        r.check(redis.command("KEYS", "pcf-mcp:rl:*"), "no bucket in the store")
        for rep in (a, b):
            r.check(rep.metric("pcf_mcp_store_requests_total",
                               {"op": "ratelimit", "result": "ok"}) > 0,
                    "{} did not ask the store".format(rep.name))
        t.stop_replicas()

        # Writes: their own, smaller limit (2 at once), shared as well. The
        # store outlives replicas: start from empty buckets.
        redis.command("FLUSHALL")
        a, b = t.pair(redis.url(), ["--stateless", "--rate-limit-write-requests-per-second",
                                    "0.01", "--rate-limit-write-burst", "2"], ("a2", "b2"))
        done = writes(a, b, project, 91)
        r.check(done == 2, "{} of 6 writes admitted across two replicas; the write burst is 2"
                .format(done))
        print("shared: 2 of 6 writes admitted across 2 replicas (write burst 2)")
        t.stop_replicas()

        # Control: the same traffic without the store.
        a, b = t.pair(None, limits, ("a3", "b3"))
        alone, secs = storm(a, b)
        r.check(alone >= 2 * BURST, "without the store each replica should admit its own "
                "burst: {} admitted".format(alone))
        print("control without the store: {} of {} admitted in {:.2f} s (a burst per replica)"
              .format(alone, STORM, secs))


if __name__ == "__main__":
    r.run(main)
