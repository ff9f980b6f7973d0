/* The shared store (lib/hardening/store*.c) and what rides on it: the rate
 * limiter's buckets and the cache's generations, against a real
 * redis-server started here on loopback. Two store objects stand for two
 * replicas. Clocks are fake where arithmetic is compared; the store's own
 * state changes are waited for on its condition variable, never slept on.
 *
 * URL parsing runs always. Without redis-server the rest is skipped,
 * loudly, and fails when PCFMCP_REQUIRE_REDIS=1 (CI). */
#include <check.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>
#include <unistd.h>

#include <pcfmcp/pcfmcp.h>

#include "config.h"
#include "hardening/cache_internal.h"
#include "hardening/store.h"
#include "helpers/redis.h"

#define PASSWORD "correct horse battery"

/* ------------------------------------------------------------ URLs */

START_TEST(url_parses_every_part)
{
    pcfmcp__store_url u;
    char why[200];
    ck_assert_int_eq(pcfmcp__store_url_parse("rediss://alice:p%40ss%2Fw@redis.example:6380/3", &u,
                                             why, sizeof(why)),
                     PCFMCP_OK);
    ck_assert(u.tls);
    ck_assert_str_eq(u.host, "redis.example");
    ck_assert_uint_eq(u.port, 6380);
    ck_assert_str_eq(u.username, "alice");
    ck_assert_str_eq(u.password, "p@ss/w");
    ck_assert_uint_eq(u.db, 3);
    char text[200];
    pcfmcp__store_url_describe(&u, text, sizeof(text));
    ck_assert_str_eq(text, "rediss://alice@redis.example:6380/3");
    pcfmcp__store_url_clear(&u);

    ck_assert_int_eq(pcfmcp__store_url_parse("redis://[::1]:7000", &u, why, sizeof(why)), PCFMCP_OK);
    ck_assert(!u.tls);
    ck_assert_str_eq(u.host, "::1");
    ck_assert_uint_eq(u.port, 7000);
    ck_assert_ptr_null(u.password);
    pcfmcp__store_url_describe(&u, text, sizeof(text));
    ck_assert_str_eq(text, "redis://[::1]:7000/0");
    pcfmcp__store_url_clear(&u);

    ck_assert_int_eq(pcfmcp__store_url_parse("REDIS://:pw@cache/", &u, why, sizeof(why)), PCFMCP_OK);
    ck_assert_str_eq(u.host, "cache");
    ck_assert_uint_eq(u.port, 6379);
    ck_assert_ptr_null(u.username);
    ck_assert_str_eq(u.password, "pw");
    ck_assert_uint_eq(u.db, 0);
    pcfmcp__store_url_clear(&u);
}
END_TEST

START_TEST(url_refuses_malformed_without_repeating_the_password)
{
    static const char *const bad[] = {
        "http://:hunter2@host",          "redis://:hunter2@",
        "redis://:hunter2@host:0",       "redis://:hunter2@host:65536",
        "redis://:hunter2@host:63x",     "redis://:hunter2@host/db",
        "redis://:hunter2@host/1?tls=1", "redis://:hunter2@[::1",
        "redis://:hunter2@host name",    "redis://:hunter2@host:",
        "redis://:hunter2%zz@host",      "redis://:hunter2%00@host",
        "redis://:hunter2@[::1]x",       "redis://:hunter2@ho$t",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        pcfmcp__store_url u;
        char why[200] = "";
        ck_assert_msg(pcfmcp__store_url_parse(bad[i], &u, why, sizeof(why)) == PCFMCP_ERR_CONFIG,
                      "accepted %s", bad[i]);
        ck_assert_msg(why[0], "no reason for %s", bad[i]);
        ck_assert_msg(!strstr(why, "hunter2"), "%s: the reason repeats the password: %s", bad[i], why);
    }
}
END_TEST

START_TEST(options_that_cannot_work_together_are_refused)
{
    pcfmcp__store *st = NULL;
    char why[300] = "";
    pcfmcp__store_opts o = { .url = "redis://:hunter2@127.0.0.1:1", .password = "two" };
#ifdef HAVE_HIREDIS
    ck_assert_int_eq(pcfmcp__store_new(&st, &o, NULL, why, sizeof(why)), PCFMCP_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(why, "given twice"));
    ck_assert_ptr_null(strstr(why, "hunter2"));
    o = (pcfmcp__store_opts){ .url = "redis://alice@127.0.0.1:1" };
    ck_assert_int_eq(pcfmcp__store_new(&st, &o, NULL, why, sizeof(why)), PCFMCP_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(why, "store.password_file"));
    o = (pcfmcp__store_opts){ .url = "redis://alice@127.0.0.1:1", .password = "pw" };
    ck_assert_int_eq(pcfmcp__store_new(&st, &o, NULL, why, sizeof(why)), PCFMCP_OK);
    pcfmcp__store_free(st);
    st = NULL;
    o = (pcfmcp__store_opts){ .url = "redis://127.0.0.1:1", .ca_file = "/etc/hostname" };
    ck_assert_int_eq(pcfmcp__store_new(&st, &o, NULL, why, sizeof(why)), PCFMCP_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(why, "rediss://"));
    o = (pcfmcp__store_opts){ .url = "rediss://127.0.0.1:1", .client_cert = "/etc/hostname" };
    ck_assert_int_eq(pcfmcp__store_new(&st, &o, NULL, why, sizeof(why)), PCFMCP_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(why, "go together"));
    o = (pcfmcp__store_opts){ .url = "rediss://127.0.0.1:1", .ca_file = "/nonexistent/ca.pem" };
    ck_assert_int_eq(pcfmcp__store_new(&st, &o, NULL, why, sizeof(why)), PCFMCP_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(why, "store.ca_file"));
#else
    ck_assert_int_eq(pcfmcp__store_new(&st, &o, NULL, why, sizeof(why)), PCFMCP_ERR_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(why, "built without hiredis"));
#endif
    ck_assert_ptr_null(st);
}
END_TEST

#ifdef HAVE_HIREDIS

/* ------------------------------------------------------------ fixture */

static test_redis redis;
static char prefix[64];
static unsigned prefix_n;

static void redis_up(void)
{
    memset(&redis, 0, sizeof(redis));
    ck_assert_msg(test_redis_start(&redis, 0, PASSWORD), "redis-server did not start");
}

static void redis_down(void)
{
    test_redis_stop(&redis);
}

/* Each test gets keys of its own. */
static void fresh_prefix(void)
{
    snprintf(prefix, sizeof(prefix), "test%u-%d:", ++prefix_n, (int)getpid());
}

static pcfmcp__store *open_store_at(unsigned port, const char *password, unsigned timeout_ms)
{
    /* Spaces travel %-escaped, as in any URL. */
    char pw[120] = "", url[200];
    for (size_t i = 0, o = 0; password && password[i] && o + 4 < sizeof(pw); i++)
        o += (size_t)snprintf(pw + o, sizeof(pw) - o, password[i] == ' ' ? "%%20" : "%c", password[i]);
    snprintf(url, sizeof(url), "redis://%s%s%s127.0.0.1:%u/2", password ? ":" : "", pw,
             password ? "@" : "", port);
    pcfmcp__store_opts o = { .url = url, .timeout_ms = timeout_ms, .prefix = prefix,
                             .connections = 2 };
    pcfmcp__store *st = NULL;
    char why[300];
    ck_assert_msg(pcfmcp__store_new(&st, &o, NULL, why, sizeof(why)) == PCFMCP_OK, "%s", why);
    ck_assert_int_eq(pcfmcp__store_start(st), PCFMCP_OK);
    return st;
}

/* A replica's store, connected. */
static pcfmcp__store *open_store(void)
{
    pcfmcp__store *st = open_store_at(redis.port, PASSWORD, 2000);
    ck_assert_msg(pcfmcp__store_wait_up(st, 10000), "the store did not come up");
    return st;
}

static uint64_t fake_ns = 1000000000ULL;

static uint64_t fake_clock(void *ud)
{
    (void)ud;
    return fake_ns;
}

static pcfmcp_ratelimit_t *limiter(pcfmcp__store *st, double rps, double burst, double grps,
                                   double gburst, double wrps, double wburst)
{
    pcfmcp_ratelimit_t *rl = NULL;
    ck_assert_int_eq(pcfmcp_ratelimit_new(&rl), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_ratelimit_set_clock(rl, fake_clock, NULL), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_ratelimit_configure(rl, rps, burst, grps, gburst, wrps, wburst),
                     PCFMCP_OK);
    pcfmcp__ratelimit_set_store(rl, st);
    return rl;
}

#define ID PCFMCP_RATELIMIT_IDENTITY
#define GL PCFMCP_RATELIMIT_GLOBAL
#define WR PCFMCP_RATELIMIT_WRITE

/* ------------------------------------------------------------ rate limits */

static unsigned store_ok, store_other;

static void count_ops(const char *op, const char *result, double secs, void *ud)
{
    (void)secs;
    if (strcmp(op, (const char *)ud) == 0) {
        if (strcmp(result, "ok") == 0)
            store_ok++;
        else
            store_other++;
    }
}

/* The script is the in-process bucket: any sequence of takes, identities,
 * bucket sets and pauses gets the same answers and the same waits. */
START_TEST(shared_bucket_answers_like_the_local_one)
{
    fresh_prefix();
    pcfmcp__store *st = open_store();
    store_ok = store_other = 0;
    pcfmcp__store_set_observer(st, count_ops, (void *)"ratelimit");
    pcfmcp_ratelimit_t *local = limiter(NULL, 3, 4, 7, 9, 0.5, 2);
    pcfmcp_ratelimit_t *shared = limiter(st, 3, 4, 7, 9, 0.5, 2);
    static const char *const who[] = { "alice", "bob", "carol" };
    static const unsigned sets[] = { ID, GL, WR, ID | GL, ID | WR, ID | GL | WR };
    unsigned seed = 12345, refused = 0;
    for (int i = 0; i < 1500; i++) {
        seed = seed * 1103515245u + 12345u;
        const char *id = who[(seed >> 8) % 3];
        unsigned b = sets[(seed >> 12) % 6];
        /* Mostly bursts, now and then a pause long enough to refill. */
        unsigned step = (seed >> 16) % 10;
        fake_ns += step < 7 ? (seed >> 20) % 50 * 1000000ULL : (seed >> 20) % 3000 * 1000000ULL;
        double wl = -1, ws = -1;
        pcfmcp_error_t rl_local = pcfmcp_ratelimit_take(local, id, b, &wl);
        pcfmcp_error_t rl_shared = pcfmcp_ratelimit_take(shared, id, b, &ws);
        ck_assert_msg(rl_local == rl_shared, "step %d (%s, buckets %u): local %d, store %d", i, id,
                      b, rl_local, rl_shared);
        if (rl_local == PCFMCP_ERR_RATE_LIMITED) {
            refused++;
            ck_assert_msg(fabs(wl - ws) < 1e-6, "step %d: wait %.9f here, %.9f in the store", i,
                          wl, ws);
        }
    }
    ck_assert_uint_gt(refused, 100); /* the sequence did reach the limits */
    ck_assert_uint_lt(refused, 1400);
    /* Every answer came from the store (one script run each; the first
     * loads the script, so it may be one more). */
    ck_assert_uint_eq(store_other, 0);
    ck_assert_uint_ge(store_ok, 1500);
    pcfmcp_ratelimit_free(local);
    pcfmcp_ratelimit_free(shared);
    pcfmcp__store_free(st);
}
END_TEST

START_TEST(two_replicas_draw_from_one_bucket)
{
    fresh_prefix();
    pcfmcp__store *sa = open_store(), *sb = open_store();
    pcfmcp_ratelimit_t *a = limiter(sa, 1, 5, 0, 0, 0, 0), *b = limiter(sb, 1, 5, 0, 0, 0, 0);
    int admitted = 0;
    for (int i = 0; i < 20; i++)
        admitted += pcfmcp_ratelimit_take(i % 2 ? b : a, "id:key:alice", ID, NULL) == PCFMCP_OK;
    ck_assert_int_eq(admitted, 5); /* not 5 per replica */
    double wait = 0;
    ck_assert_int_eq(pcfmcp_ratelimit_take(b, "id:key:alice", ID, &wait), PCFMCP_ERR_RATE_LIMITED);
    ck_assert(fabs(wait - 1.0) < 1e-6);
    fake_ns += 1000000000ULL; /* one token back, for both */
    ck_assert_int_eq(pcfmcp_ratelimit_take(a, "id:key:alice", ID, NULL), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_ratelimit_take(b, "id:key:alice", ID, NULL), PCFMCP_ERR_RATE_LIMITED);
    /* Another caller has a bucket of its own. */
    ck_assert_int_eq(pcfmcp_ratelimit_take(b, "id:key:bob", ID, NULL), PCFMCP_OK);
    pcfmcp_ratelimit_free(a);
    pcfmcp_ratelimit_free(b);
    pcfmcp__store_free(sa);
    pcfmcp__store_free(sb);
}
END_TEST

START_TEST(unreachable_store_leaves_the_local_limits)
{
    fresh_prefix();
    /* Nothing listens there (the port was free a moment ago). */
    test_redis gone = { 0 };
    ck_assert(test_redis_start(&gone, 0, NULL));
    unsigned port = gone.port;
    test_redis_stop(&gone);
    pcfmcp__store *st = open_store_at(port, NULL, 200);
    ck_assert(!pcfmcp__store_up(st));
    char why[400];
    pcfmcp__store_status(st, why, sizeof(why));
    ck_assert_ptr_nonnull(strstr(why, "unreachable"));
    pcfmcp_ratelimit_t *rl = limiter(st, 1, 3, 0, 0, 0, 0);
    int admitted = 0;
    for (int i = 0; i < 10; i++)
        admitted += pcfmcp_ratelimit_take(rl, "alice", ID, NULL) == PCFMCP_OK;
    ck_assert_int_eq(admitted, 3);
    pcfmcp__store_gen g;
    ck_assert_int_eq(pcfmcp__store_gen_read(st, "x", &g), PCFMCP_ERR_UNAVAILABLE);
    pcfmcp_ratelimit_free(rl);
    pcfmcp__store_free(st);
}
END_TEST

/* A store that accepts connections and never answers: nothing waits past
 * the timeout, the store is then down and the next call does not wait at
 * all; thawed, it is used again. */
START_TEST(silent_store_times_out_once_then_is_skipped_until_it_answers)
{
    fresh_prefix();
    pcfmcp__store *st = open_store_at(redis.port, PASSWORD, 300);
    ck_assert(pcfmcp__store_wait_up(st, 10000));
    uint64_t epoch = pcfmcp__store_epoch(st);
    test_redis_freeze(&redis, true);
    pcfmcp__store_gen g;
    ck_assert_int_eq(pcfmcp__store_gen_read(st, "p", &g), PCFMCP_ERR_TIMEOUT);
    ck_assert(!pcfmcp__store_up(st));
    ck_assert_int_eq(pcfmcp__store_gen_read(st, "p", &g), PCFMCP_ERR_UNAVAILABLE);
    ck_assert_uint_gt(pcfmcp__store_epoch(st), epoch);
    char why[400];
    pcfmcp__store_status(st, why, sizeof(why));
    ck_assert_msg(strstr(why, "store.timeout"), "%s", why);
    /* A second store meeting the frozen one cannot even complete its
     * handshake (PING): it never comes up. */
    pcfmcp__store *late = open_store_at(redis.port, PASSWORD, 200);
    ck_assert(!pcfmcp__store_wait_up(late, 600));
    test_redis_freeze(&redis, false);
    ck_assert(pcfmcp__store_wait_up(st, 15000));
    ck_assert(pcfmcp__store_wait_up(late, 15000));
    ck_assert_int_eq(pcfmcp__store_gen_read(st, "p", &g), PCFMCP_OK);
    pcfmcp__store_free(late);
    pcfmcp__store_free(st);
}
END_TEST

START_TEST(wrong_password_keeps_the_store_down_and_says_why)
{
    fresh_prefix();
    pcfmcp__store *st = open_store_at(redis.port, "not the password", 1000);
    ck_assert(!pcfmcp__store_wait_up(st, 1500));
    char why[400];
    pcfmcp__store_status(st, why, sizeof(why));
    ck_assert_msg(strstr(why, "AUTH"), "%s", why);
    ck_assert_msg(!strstr(why, "not the password"), "the password reached the status: %s", why);
    pcfmcp__store_free(st);
}
END_TEST

/* ------------------------------------------------------------ cache */

#define PROJECT "6a4b1e9c-8d7f-4e2a-9b3c-1d2e3f4a5b6c"

static pcfmcp_cache_t *cache_on(pcfmcp__store *st)
{
    pcfmcp_cache_t *c = NULL;
    ck_assert_int_eq(pcfmcp_cache_new(&c, 100, 1 << 20, 600000), PCFMCP_OK);
    pcfmcp__cache_set_store(c, st);
    return c;
}

/* A read that missed, then stored what the source said. */
static void read_through(pcfmcp_cache_t *c, const char *key, const char *tag, const char *value)
{
    char *out = NULL;
    pcfmcp__cache_ticket t;
    pcfmcp_error_t rc = pcfmcp__cache_lookup(c, key, tag, &out, NULL, &t);
    ck_assert_int_eq(rc, PCFMCP_ERR_NOT_FOUND);
    ck_assert_int_eq(pcfmcp__cache_put_ticket(c, key, tag, value, strlen(value), &t), PCFMCP_OK);
}

static pcfmcp_error_t lookup(pcfmcp_cache_t *c, const char *key, const char *tag, char **out)
{
    pcfmcp__cache_ticket t;
    *out = NULL;
    return pcfmcp__cache_lookup(c, key, tag, out, NULL, &t);
}

START_TEST(write_on_one_replica_drops_the_others_cached_read_at_once)
{
    fresh_prefix();
    pcfmcp__store *sa = open_store(), *sb = open_store();
    pcfmcp_cache_t *a = cache_on(sa), *b = cache_on(sb);
    read_through(b, "list_hosts", PROJECT, "[old]");
    read_through(b, "list_projects", NULL, "[projects]");
    read_through(b, "other_project", "00000000-0000-4000-8000-000000000000", "[other]");
    char *out = NULL;
    ck_assert_int_eq(lookup(b, "list_hosts", PROJECT, &out), PCFMCP_OK);
    ck_assert_str_eq(out, "[old]");
    pcfmcp_free(out);
    /* A writes to the project: its own copy and every other replica's go. */
    pcfmcp_cache_invalidate(a, PROJECT);
    ck_assert_int_eq(lookup(b, "list_hosts", PROJECT, &out), PCFMCP_ERR_NOT_FOUND);
    /* Other projects' reads and untagged reads stay. */
    ck_assert_int_eq(lookup(b, "other_project", "00000000-0000-4000-8000-000000000000", &out),
                     PCFMCP_OK);
    pcfmcp_free(out);
    ck_assert_int_eq(lookup(b, "list_projects", NULL, &out), PCFMCP_OK);
    pcfmcp_free(out);
    /* Untagged writes drop untagged reads; a write of unknown reach drops all. */
    pcfmcp_cache_invalidate(a, "");
    ck_assert_int_eq(lookup(b, "list_projects", NULL, &out), PCFMCP_ERR_NOT_FOUND);
    pcfmcp_cache_invalidate(a, NULL);
    ck_assert_int_eq(lookup(b, "other_project", "00000000-0000-4000-8000-000000000000", &out),
                     PCFMCP_ERR_NOT_FOUND);
    pcfmcp_cache_free(a);
    pcfmcp_cache_free(b);
    pcfmcp__store_free(sa);
    pcfmcp__store_free(sb);
}
END_TEST

/* B misses, asks PCF; A's write lands while B waits for the answer, which
 * may predate it. B must not keep that answer. */
START_TEST(read_racing_a_write_on_another_replica_is_not_served)
{
    fresh_prefix();
    pcfmcp__store *sa = open_store(), *sb = open_store();
    pcfmcp_cache_t *a = cache_on(sa), *b = cache_on(sb);
    char *out = NULL;
    pcfmcp__cache_ticket t;
    ck_assert_int_eq(pcfmcp__cache_lookup(b, "list_hosts", PROJECT, &out, NULL, &t),
                     PCFMCP_ERR_NOT_FOUND);
    pcfmcp_cache_invalidate(a, PROJECT);
    ck_assert_int_eq(pcfmcp__cache_put_ticket(b, "list_hosts", PROJECT, "[before]", 8, &t),
                     PCFMCP_OK);
    ck_assert_int_eq(lookup(b, "list_hosts", PROJECT, &out), PCFMCP_ERR_NOT_FOUND);
    pcfmcp_cache_free(a);
    pcfmcp_cache_free(b);
    pcfmcp__store_free(sa);
    pcfmcp__store_free(sb);
}
END_TEST

/* The same race inside one process, with no store at all. */
START_TEST(read_racing_a_local_write_is_not_kept)
{
    pcfmcp_cache_t *c = cache_on(NULL);
    char *out = NULL;
    pcfmcp__cache_ticket t;
    ck_assert_int_eq(pcfmcp__cache_lookup(c, "k", PROJECT, &out, NULL, &t), PCFMCP_ERR_NOT_FOUND);
    pcfmcp_cache_invalidate(c, PROJECT);
    ck_assert_int_eq(pcfmcp__cache_put_ticket(c, "k", PROJECT, "old", 3, &t), PCFMCP_OK);
    ck_assert_int_eq(lookup(c, "k", PROJECT, &out), PCFMCP_ERR_NOT_FOUND);
    /* Without a write in between it is kept, of course. */
    read_through(c, "k", PROJECT, "new");
    ck_assert_int_eq(lookup(c, "k", PROJECT, &out), PCFMCP_OK);
    ck_assert_str_eq(out, "new");
    pcfmcp_free(out);
    pcfmcp_cache_free(c);
}
END_TEST

/* Redis restarted without persistence: its counters are back at zero,
 * equal to what old entries were stamped with. They must not match. */
START_TEST(entries_from_before_a_store_restart_are_not_served)
{
    fresh_prefix();
    pcfmcp__store *st = open_store();
    pcfmcp_cache_t *c = cache_on(st);
    read_through(c, "list_hosts", PROJECT, "[before the restart]");
    unsigned port = redis.port;
    test_redis_kill(&redis);
    ck_assert(test_redis_start(&redis, port, PASSWORD));
    char *out = NULL;
    /* The first call finds the old connection dead... */
    ck_assert_int_ne(lookup(c, "list_hosts", PROJECT, &out), PCFMCP_OK);
    ck_assert(pcfmcp__store_wait_up(st, 15000));
    /* ...and once reconnected, the entry is a miss though the counters match. */
    ck_assert_int_eq(lookup(c, "list_hosts", PROJECT, &out), PCFMCP_ERR_NOT_FOUND);
    pcfmcp_cache_free(c);
    pcfmcp__store_free(st);
}
END_TEST

/* Down, nothing can be proven fresh: the cache is bypassed, and a write
 * made meanwhile reaches the others once the store answers again. */
START_TEST(store_down_bypasses_the_cache_and_replays_missed_writes)
{
    fresh_prefix();
    pcfmcp__store *sa = open_store_at(redis.port, PASSWORD, 300), *sb = open_store();
    ck_assert(pcfmcp__store_wait_up(sa, 10000));
    pcfmcp_cache_t *a = cache_on(sa), *b = cache_on(sb);
    read_through(a, "list_hosts", PROJECT, "[a]");
    read_through(b, "list_hosts", PROJECT, "[b]");
    test_redis_freeze(&redis, true);
    char *out = NULL;
    ck_assert_int_eq(lookup(a, "list_hosts", PROJECT, &out), PCFMCP_ERR_UNAVAILABLE);
    ck_assert(!pcfmcp__store_up(sa));
    ck_assert_int_eq(pcfmcp_cache_put(a, "x", NULL, "1", 1), PCFMCP_OK);
    ck_assert_int_eq(lookup(a, "x", NULL, &out), PCFMCP_ERR_UNAVAILABLE);
    /* A writes while it cannot tell anyone. */
    pcfmcp_cache_invalidate(a, PROJECT);
    test_redis_freeze(&redis, false);
    ck_assert(pcfmcp__store_wait_up(sa, 15000));
    ck_assert(pcfmcp__store_wait_up(sb, 15000));
    /* A's next use of the store tells the others (as "everything"). */
    ck_assert_int_eq(lookup(a, "list_hosts", PROJECT, &out), PCFMCP_ERR_NOT_FOUND);
    ck_assert_int_eq(lookup(b, "list_hosts", PROJECT, &out), PCFMCP_ERR_NOT_FOUND);
    pcfmcp_cache_free(a);
    pcfmcp_cache_free(b);
    pcfmcp__store_free(sa);
    pcfmcp__store_free(sb);
}
END_TEST

/* ------------------------------------------------------------ replicas */

START_TEST(replicas_recognise_each_other_while_alive)
{
    fresh_prefix();
    pcfmcp__store *sa = open_store(), *sb = open_store();
    const char *ta = pcfmcp__store_replica_tag(sa), *tb = pcfmcp__store_replica_tag(sb);
    ck_assert_str_ne(ta, tb);
    ck_assert_uint_ge(strlen(ta), 12);
    char name[128];
    /* A store is up only once it announced its replica. */
    ck_assert_int_eq(pcfmcp__store_replica_alive(sb, ta, name, sizeof(name)), 1);
    ck_assert(name[0]);
    ck_assert_int_eq(pcfmcp__store_replica_alive(sb, tb, name, sizeof(name)), 0); /* itself */
    ck_assert_int_eq(pcfmcp__store_replica_alive(sb, "nonexistent0", name, sizeof(name)), 0);
    ck_assert_int_eq(pcfmcp__store_replica_alive(sb, "bad tag!", name, sizeof(name)), 0);
    char tag[32];
    snprintf(tag, sizeof(tag), "%s", ta);
    pcfmcp__store_free(sa); /* withdraws its heartbeat */
    ck_assert_int_eq(pcfmcp__store_replica_alive(sb, tag, name, sizeof(name)), 0);
    pcfmcp__store_free(sb);
}
END_TEST

#endif /* HAVE_HIREDIS */

int main(void)
{
    pcfmcp_global_init();
    Suite *s = suite_create("store");
    TCase *tc = tcase_create("urls");
    tcase_add_test(tc, url_parses_every_part);
    tcase_add_test(tc, url_refuses_malformed_without_repeating_the_password);
    tcase_add_test(tc, options_that_cannot_work_together_are_refused);
    suite_add_tcase(s, tc);
    int missing = 0, missing_fails = 0;
#ifdef HAVE_HIREDIS
    if (test_redis_binary()) {
        tc = tcase_create("redis");
        tcase_set_timeout(tc, 120);
        tcase_add_checked_fixture(tc, redis_up, redis_down);
        tcase_add_test(tc, shared_bucket_answers_like_the_local_one);
        tcase_add_test(tc, two_replicas_draw_from_one_bucket);
        tcase_add_test(tc, unreachable_store_leaves_the_local_limits);
        tcase_add_test(tc, silent_store_times_out_once_then_is_skipped_until_it_answers);
        tcase_add_test(tc, wrong_password_keeps_the_store_down_and_says_why);
        tcase_add_test(tc, write_on_one_replica_drops_the_others_cached_read_at_once);
        tcase_add_test(tc, read_racing_a_write_on_another_replica_is_not_served);
        tcase_add_test(tc, read_racing_a_local_write_is_not_kept);
        tcase_add_test(tc, entries_from_before_a_store_restart_are_not_served);
        tcase_add_test(tc, store_down_bypasses_the_cache_and_replays_missed_writes);
        tcase_add_test(tc, replicas_recognise_each_other_while_alive);
        suite_add_tcase(s, tc);
    } else {
        missing = 1;
        missing_fails = test_redis_missing("tests/unit/test_store");
    }
#else
    fprintf(stderr, "tests/unit/test_store: built without hiredis; only URL parsing and the "
                    "refusal of store.url are tested\n");
#endif
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    pcfmcp_global_cleanup();
    /* 77: automake's SKIP, so the summary shows that the store went untested. */
    return failed || missing_fails ? EXIT_FAILURE : missing ? 77 : EXIT_SUCCESS;
}
