"""Rate limits shared by two --stateless replicas through a real
redis-server: a caller alternating between replica A and replica B gets the
burst once, not once per replica, and the limit for tools that change data
is shared too. The same traffic without the store is the control: each
replica then admits its own burst (twice the limit), which is what the
store is for."""

import tempfile
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
    tmp = tempfile.mkdtemp(prefix="pcfmcp-replicas-")
    redis = r.Redis(tmp, password="limits-" + str(time.monotonic_ns()))
    fake = r.fakeproc.Fake("--seed", "minimal", "--token", r.h.TOKEN)
    limits = ["--stateless", "--rate-limit-requests-per-second", str(RATE),
              "--rate-limit-burst", str(BURST)]
    reps = []
    try:
        project = r.h.first_project(fake)
        a = r.Replica(tmp, "a", fake, redis.url(), limits)
        b = r.Replica(tmp, "b", fake, redis.url(), limits)
        reps += [a, b]
        a.wait_store(True)
        b.wait_store(True)
        admitted, secs = storm(a, b)
        refilled = int(secs * RATE) + 1
        r.check(BURST <= admitted <= BURST + refilled,
                "{} of {} admitted across two replicas in {:.2f} s; the shared limit allows "
                "{}..{}".format(admitted, STORM, secs, BURST, BURST + refilled))
        print("shared: {} of {} pings admitted across 2 replicas in {:.2f} s (burst {}, {}/s)"
              .format(admitted, STORM, secs, BURST, RATE))
        buckets = redis.command("KEYS", "pcf-mcp:rl:*")
        r.check(buckets, "no bucket in the store")
        for rep in (a, b):
            r.check(rep.metric("pcf_mcp_store_requests_total",
                               {"op": "ratelimit", "result": "ok"}) > 0,
                    "{} did not ask the store".format(rep.name))
            rep.stop()
        reps = []

        # Writes: their own, smaller limit (2 at once), shared as well. The
        # store outlives replicas: start from empty buckets.
        redis.command("FLUSHALL")
        wl = ["--stateless", "--rate-limit-write-requests-per-second", "0.01",
              "--rate-limit-write-burst", "2"]
        a = r.Replica(tmp, "a2", fake, redis.url(), wl)
        b = r.Replica(tmp, "b2", fake, redis.url(), wl)
        reps += [a, b]
        a.wait_store(True)
        b.wait_store(True)
        done = writes(a, b, project, 91)
        r.check(done == 2, "{} of 6 writes admitted across two replicas; the write burst is 2"
                .format(done))
        print("shared: 2 of 6 writes admitted across 2 replicas (write burst 2)")
        for rep in reps:
            rep.stop()
        reps = []

        # Control: the same traffic without the store.
        a = r.Replica(tmp, "a3", fake, None, limits)
        b = r.Replica(tmp, "b3", fake, None, limits)
        reps += [a, b]
        alone, secs = storm(a, b)
        r.check(alone >= 2 * BURST, "without the store each replica should admit its own "
                "burst: {} admitted".format(alone))
        print("control without the store: {} of {} admitted in {:.2f} s (a burst per replica)"
              .format(alone, STORM, secs))
    finally:
        for rep in reps:
            rep.stop()
        redis.stop()
        fake.stop()
        r.cleanup(tmp)


if __name__ == "__main__":
    r.run(main)
