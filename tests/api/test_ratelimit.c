/* Rate limits, the concurrency gate and the client-address rule through
 * the public API. Time is a fake clock the tests move by hand: no sleeps. */
#include <check.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcfmcp/pcfmcp.h>
#include <pcfmcp/sys/ratelimit.h>

static uint64_t fake_ns;

static uint64_t fake_clock(void *ud)
{
    (void)ud;
    return fake_ns;
}

static pcfmcp_ratelimit_t *rl;

static void setup(void)
{
    fake_ns = 1000000000ULL;
    ck_assert_int_eq(pcfmcp_ratelimit_new(&rl), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_ratelimit_set_clock(rl, fake_clock, NULL), PCFMCP_OK);
}

static void teardown(void)
{
    pcfmcp_ratelimit_free(rl);
    rl = NULL;
}

static void advance_ms(double ms)
{
    fake_ns += (uint64_t)(ms * 1e6);
}

#define ID PCFMCP_RATELIMIT_IDENTITY
#define GL PCFMCP_RATELIMIT_GLOBAL
#define WR PCFMCP_RATELIMIT_WRITE

START_TEST(unconfigured_limiter_admits_everything)
{
    for (int i = 0; i < 1000; i++)
        ck_assert_int_eq(pcfmcp_ratelimit_take(rl, "alice", ID | GL | WR, NULL), PCFMCP_OK);
    ck_assert_uint_eq(pcfmcp_ratelimit_identities(rl), 0);
}
END_TEST

START_TEST(burst_is_admitted_then_refused_with_exact_retry_after)
{
    ck_assert_int_eq(pcfmcp_ratelimit_configure(rl, 2, 5, 0, 0, 0, 0), PCFMCP_OK);
    for (int i = 0; i < 5; i++)
        ck_assert_int_eq(pcfmcp_ratelimit_take(rl, "alice", ID, NULL), PCFMCP_OK);
    double wait = 0;
    ck_assert_int_eq(pcfmcp_ratelimit_take(rl, "alice", ID, &wait), PCFMCP_ERR_RATE_LIMITED);
    ck_assert(fabs(wait - 0.5) < 1e-9); /* one token at 2/s */
    advance_ms(499);
    ck_assert_int_eq(pcfmcp_ratelimit_take(rl, "alice", ID, &wait), PCFMCP_ERR_RATE_LIMITED);
    ck_assert(fabs(wait - 0.001) < 1e-6);
    advance_ms(1);
    ck_assert_int_eq(pcfmcp_ratelimit_take(rl, "alice", ID, NULL), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_ratelimit_take(rl, "alice", ID, NULL), PCFMCP_ERR_RATE_LIMITED);
}
END_TEST

START_TEST(bucket_refills_at_rate_but_never_beyond_burst)
{
    ck_assert_int_eq(pcfmcp_ratelimit_configure(rl, 10, 3, 0, 0, 0, 0), PCFMCP_OK);
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(pcfmcp_ratelimit_take(rl, "bob", ID, NULL), PCFMCP_OK);
    advance_ms(60000); /* a minute idle: still only 3 */
    int ok = 0;
    while (pcfmcp_ratelimit_take(rl, "bob", ID, NULL) == PCFMCP_OK)
        ok++;
    ck_assert_int_eq(ok, 3);
    /* Sustained: exactly rate * time tokens. */
    ok = 0;
    for (int step = 0; step < 1000; step++) {
        advance_ms(10);
        if (pcfmcp_ratelimit_take(rl, "bob", ID, NULL) == PCFMCP_OK)
            ok++;
    }
    ck_assert_int_eq(ok, 100); /* 10 s at 10/s */
}
END_TEST

START_TEST(identities_have_separate_buckets)
{
    ck_assert_int_eq(pcfmcp_ratelimit_configure(rl, 1, 2, 0, 0, 0, 0), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_ratelimit_take(rl, "a", ID, NULL), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_ratelimit_take(rl, "a", ID, NULL), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_ratelimit_take(rl, "a", ID, NULL), PCFMCP_ERR_RATE_LIMITED);
    ck_assert_int_eq(pcfmcp_ratelimit_take(rl, "b", ID, NULL), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_ratelimit_take(rl, NULL, ID, NULL), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_ratelimit_take(rl, "", ID, NULL), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_ratelimit_take(rl, "anonymous", ID, NULL), PCFMCP_ERR_RATE_LIMITED);
    ck_assert_uint_eq(pcfmcp_ratelimit_identities(rl), 3);
}
END_TEST

START_TEST(global_bucket_caps_all_identities_together)
{
    ck_assert_int_eq(pcfmcp_ratelimit_configure(rl, 100, 100, 1, 3, 0, 0), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_ratelimit_take(rl, "a", ID | GL, NULL), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_ratelimit_take(rl, "b", ID | GL, NULL), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_ratelimit_take(rl, "c", ID | GL, NULL), PCFMCP_OK);
    double wait = 0;
    ck_assert_int_eq(pcfmcp_ratelimit_take(rl, "d", ID | GL, &wait), PCFMCP_ERR_RATE_LIMITED);
    ck_assert(fabs(wait - 1.0) < 1e-9);
    /* Charging only the identity bucket ignores the global one. */
    ck_assert_int_eq(pcfmcp_ratelimit_take(rl, "d", ID, NULL), PCFMCP_OK);
}
END_TEST

START_TEST(refusal_takes_no_token_from_any_bucket)
{
    /* identity 1 token, global 2: a refusal by the identity bucket must not
     * drain the global one, and vice versa. */
    ck_assert_int_eq(pcfmcp_ratelimit_configure(rl, 0.001, 1, 0.001, 2, 0, 0), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_ratelimit_take(rl, "a", ID | GL, NULL), PCFMCP_OK);
    for (int i = 0; i < 10; i++)
        ck_assert_int_eq(pcfmcp_ratelimit_take(rl, "a", ID | GL, NULL), PCFMCP_ERR_RATE_LIMITED);
    ck_assert_int_eq(pcfmcp_ratelimit_take(rl, "b", ID | GL, NULL), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_ratelimit_take(rl, "c", ID | GL, NULL), PCFMCP_ERR_RATE_LIMITED);
    /* c was refused by the global bucket: its own token is intact. */
    ck_assert_int_eq(pcfmcp_ratelimit_take(rl, "c", ID, NULL), PCFMCP_OK);
}
END_TEST

START_TEST(write_bucket_is_lower_and_separate)
{
    ck_assert_int_eq(pcfmcp_ratelimit_configure(rl, 10, 10, 0, 0, 0.5, 2), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_ratelimit_take(rl, "a", ID | WR, NULL), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_ratelimit_take(rl, "a", ID | WR, NULL), PCFMCP_OK);
    double wait = 0;
    ck_assert_int_eq(pcfmcp_ratelimit_take(rl, "a", ID | WR, &wait), PCFMCP_ERR_RATE_LIMITED);
    ck_assert(fabs(wait - 2.0) < 1e-9);
    /* Reads still pass: they are not charged to the write bucket. */
    for (int i = 0; i < 8; i++)
        ck_assert_int_eq(pcfmcp_ratelimit_take(rl, "a", ID, NULL), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_ratelimit_take(rl, "a", ID, &wait), PCFMCP_ERR_RATE_LIMITED);
    ck_assert(fabs(wait - 0.1) < 1e-9);
    advance_ms(2000);
    ck_assert_int_eq(pcfmcp_ratelimit_take(rl, "a", WR, NULL), PCFMCP_OK);
}
END_TEST

START_TEST(reconfigure_clips_tokens_to_the_new_burst)
{
    ck_assert_int_eq(pcfmcp_ratelimit_configure(rl, 1, 100, 0, 0, 0, 0), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_ratelimit_take(rl, "a", ID, NULL), PCFMCP_OK); /* 99 left */
    ck_assert_int_eq(pcfmcp_ratelimit_configure(rl, 1, 2, 0, 0, 0, 0), PCFMCP_OK);
    int ok = 0;
    while (pcfmcp_ratelimit_take(rl, "a", ID, NULL) == PCFMCP_OK)
        ok++;
    ck_assert_int_eq(ok, 2);
    ck_assert_int_eq(pcfmcp_ratelimit_configure(rl, -1, 1, 0, 0, 0, 0), PCFMCP_ERR_INVALID_ARG);
    ck_assert_int_eq(pcfmcp_ratelimit_configure(rl, NAN, 1, 0, 0, 0, 0), PCFMCP_ERR_INVALID_ARG);
    /* Switching the limit off admits at once. */
    ck_assert_int_eq(pcfmcp_ratelimit_configure(rl, 0, 0, 0, 0, 0, 0), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_ratelimit_take(rl, "a", ID, NULL), PCFMCP_OK);
}
END_TEST

/* The settings object names each bucket's rate and burst instead of six
 * positional numbers, validates each value as it is set, and applies all
 * three kinds at once. */
START_TEST(settings_object_sets_each_bucket_by_name)
{
    pcfmcp_ratelimit_settings_t *st = NULL;
    ck_assert_int_eq(pcfmcp_ratelimit_settings_new(&st), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_ratelimit_settings_set_rate(st, ID, 10), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_ratelimit_settings_set_burst(st, ID, 10), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_ratelimit_settings_set_rate(st, WR, 0.5), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_ratelimit_settings_set_burst(st, WR, 2), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_ratelimit_apply(rl, st), PCFMCP_OK);
    /* The same behaviour as configure(rl, 10, 10, 0, 0, 0.5, 2). */
    ck_assert_int_eq(pcfmcp_ratelimit_take(rl, "a", ID | WR, NULL), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_ratelimit_take(rl, "a", ID | WR, NULL), PCFMCP_OK);
    double wait = 0;
    ck_assert_int_eq(pcfmcp_ratelimit_take(rl, "a", ID | WR, &wait), PCFMCP_ERR_RATE_LIMITED);
    ck_assert(fabs(wait - 2.0) < 1e-9);
    /* The global kind was never set: it stays off. */
    for (int i = 0; i < 8; i++)
        ck_assert_int_eq(pcfmcp_ratelimit_take(rl, "b", GL, NULL), PCFMCP_OK);
    /* Bad values are refused where they are set, with a reason. */
    ck_assert_int_eq(pcfmcp_ratelimit_settings_set_rate(st, ID, -1), PCFMCP_ERR_INVALID_ARG);
    ck_assert_str_eq(pcfmcp_error_last(),
                     "rate limit: the rate must be a finite number of tokens per second >= 0");
    ck_assert_int_eq(pcfmcp_ratelimit_settings_set_burst(st, GL, NAN), PCFMCP_ERR_INVALID_ARG);
    ck_assert_int_eq(pcfmcp_ratelimit_settings_set_rate(st, ID | GL, 1), PCFMCP_ERR_INVALID_ARG);
    ck_assert_str_eq(pcfmcp_error_last(),
                     "rate limit: name one kind of bucket: PCFMCP_RATELIMIT_IDENTITY, "
                     "PCFMCP_RATELIMIT_GLOBAL or PCFMCP_RATELIMIT_WRITE");
    ck_assert_int_eq(pcfmcp_ratelimit_apply(rl, NULL), PCFMCP_ERR_INVALID_ARG);
    ck_assert_int_eq(pcfmcp_ratelimit_apply(NULL, st), PCFMCP_ERR_INVALID_ARG);
    /* A refused value left the settings as they were: applying again changes nothing. */
    ck_assert_int_eq(pcfmcp_ratelimit_apply(rl, st), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_ratelimit_take(rl, "a", WR, &wait), PCFMCP_ERR_RATE_LIMITED);
    pcfmcp_ratelimit_settings_free(st);
    pcfmcp_ratelimit_settings_free(NULL);
}
END_TEST

START_TEST(identity_table_forgets_least_recently_used)
{
    ck_assert_int_eq(pcfmcp_ratelimit_set_max_identities(rl, 8), PCFMCP_ERR_INVALID_ARG);
    ck_assert_int_eq(pcfmcp_ratelimit_set_max_identities(rl, 16), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_ratelimit_configure(rl, 0.001, 1, 0, 0, 0, 0), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_ratelimit_take(rl, "keep", ID, NULL), PCFMCP_OK);
    for (int i = 0; i < 5000; i++) {
        char id[32];
        snprintf(id, sizeof(id), "rotating-%d", i);
        pcfmcp_ratelimit_take(rl, id, ID, NULL);
        ck_assert_uint_le(pcfmcp_ratelimit_identities(rl), 16 + 16);
    }
    /* "keep" was evicted long ago and starts over with a full bucket. */
    ck_assert_int_eq(pcfmcp_ratelimit_take(rl, "keep", ID, NULL), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_ratelimit_take(rl, "keep", ID, NULL), PCFMCP_ERR_RATE_LIMITED);
}
END_TEST

typedef struct {
    int admitted;
} racer;

static void *race(void *p)
{
    racer *r = p;
    for (int i = 0; i < 1000; i++)
        if (pcfmcp_ratelimit_take(rl, i % 2 ? "x" : "y", ID | GL, NULL) == PCFMCP_OK)
            r->admitted++;
    return NULL;
}

START_TEST(concurrent_callers_never_exceed_the_global_burst)
{
    ck_assert_int_eq(pcfmcp_ratelimit_configure(rl, 1000, 1000, 0.001, 250, 0, 0), PCFMCP_OK);
    pthread_t th[8];
    racer r[8] = { { 0 } };
    for (int i = 0; i < 8; i++)
        pthread_create(&th[i], NULL, race, &r[i]);
    int total = 0;
    for (int i = 0; i < 8; i++) {
        pthread_join(th[i], NULL);
        total += r[i].admitted;
    }
    ck_assert_int_eq(total, 250);
}
END_TEST

/* ------------------------------------------------------------------ gate */

START_TEST(gate_admits_up_to_the_limit_and_times_out_beyond)
{
    pcfmcp_gate_t *g = NULL;
    ck_assert_int_eq(pcfmcp_gate_new(&g, 2), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_gate_enter(g, 0, NULL), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_gate_enter(g, 0, NULL), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_gate_enter(g, 0, NULL), PCFMCP_ERR_TIMEOUT);
    ck_assert_uint_eq(pcfmcp_gate_in_use(g), 2);
    volatile int cancel = 1;
    ck_assert_int_eq(pcfmcp_gate_enter(g, 10000, &cancel), PCFMCP_ERR_CANCELLED);
    pcfmcp_gate_leave(g);
    ck_assert_int_eq(pcfmcp_gate_enter(g, 0, NULL), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_gate_set_limit(g, 0), PCFMCP_OK); /* unlimited */
    ck_assert_int_eq(pcfmcp_gate_enter(g, 0, NULL), PCFMCP_OK);
    ck_assert_uint_eq(pcfmcp_gate_in_use(g), 3);
    ck_assert_int_eq(pcfmcp_gate_set_limit(g, 1), PCFMCP_OK);
    for (int i = 0; i < 3; i++)
        pcfmcp_gate_leave(g);
    ck_assert_int_eq(pcfmcp_gate_enter(g, 0, NULL), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_gate_enter(g, 0, NULL), PCFMCP_ERR_TIMEOUT);
    pcfmcp_gate_leave(g);
    pcfmcp_gate_free(g);
}
END_TEST

typedef struct {
    pcfmcp_gate_t *g;
    pcfmcp_error_t rc;
} waiter;

static void *wait_gate(void *p)
{
    waiter *w = p;
    w->rc = pcfmcp_gate_enter(w->g, 30000, NULL);
    return NULL;
}

START_TEST(gate_wakes_a_waiter_when_a_holder_leaves)
{
    pcfmcp_gate_t *g = NULL;
    ck_assert_int_eq(pcfmcp_gate_new(&g, 1), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_gate_enter(g, 0, NULL), PCFMCP_OK);
    waiter w = { g, PCFMCP_ERR_STATE };
    pthread_t th;
    pthread_create(&th, NULL, wait_gate, &w);
    while (pcfmcp_gate_waiting(g) == 0)
        sched_yield();
    pcfmcp_gate_leave(g);
    pthread_join(th, NULL);
    ck_assert_int_eq(w.rc, PCFMCP_OK);
    ck_assert_uint_eq(pcfmcp_gate_in_use(g), 1);
    pcfmcp_gate_leave(g);
    pcfmcp_gate_free(g);
}
END_TEST

/* ------------------------------------------------------------------ proxies */

static const char *client(const pcfmcp_proxies_t *p, const char *peer, const char *xff)
{
    static char out[64];
    ck_assert_int_eq(pcfmcp_proxies_client_address(p, peer, xff, out, sizeof(out)), PCFMCP_OK);
    return out;
}

START_TEST(forwarded_for_is_ignored_from_untrusted_peers)
{
    pcfmcp_proxies_t *p = NULL;
    ck_assert_int_eq(pcfmcp_proxies_new(&p, "10.0.0.0/8"), PCFMCP_OK);
    ck_assert_str_eq(client(p, "203.0.113.7", "1.2.3.4"), "203.0.113.7");
    ck_assert_str_eq(client(NULL, "203.0.113.7", "1.2.3.4"), "203.0.113.7");
    ck_assert_str_eq(client(p, "::ffff:203.0.113.7", NULL), "203.0.113.7");
    pcfmcp_proxies_free(p);
}
END_TEST

START_TEST(forwarded_for_is_read_from_the_right_past_trusted_hops)
{
    pcfmcp_proxies_t *p = NULL;
    ck_assert_int_eq(pcfmcp_proxies_new(&p, " 10.0.0.0/8, 192.168.1.10 ,fd00::/8"), PCFMCP_OK);
    /* The client forged the leftmost entry; the first untrusted from the right wins. */
    ck_assert_str_eq(client(p, "10.1.2.3", "6.6.6.6, 198.51.100.9, 192.168.1.10"),
                     "198.51.100.9");
    ck_assert_str_eq(client(p, "10.1.2.3", "198.51.100.9"), "198.51.100.9");
    ck_assert_str_eq(client(p, "::ffff:10.1.2.3", "198.51.100.9:4711"), "198.51.100.9");
    ck_assert_str_eq(client(p, "fd00::1", "[2001:DB8::1]:443"), "2001:db8::1");
    /* Only proxies: the leftmost is as far as we can see. */
    ck_assert_str_eq(client(p, "10.1.2.3", "10.9.9.9,192.168.1.10"), "10.9.9.9");
    /* Garbage ends the walk at the proxy that forwarded it. */
    ck_assert_str_eq(client(p, "10.1.2.3", "198.51.100.9, not-an-ip, 192.168.1.10"),
                     "192.168.1.10");
    ck_assert_str_eq(client(p, "10.1.2.3", "garbage"), "10.1.2.3");
    ck_assert_str_eq(client(p, "10.1.2.3", ""), "10.1.2.3");
    pcfmcp_proxies_free(p);
}
END_TEST

START_TEST(bad_proxy_entries_are_named)
{
    pcfmcp_proxies_t *p = NULL;
    ck_assert_int_eq(pcfmcp_proxies_new(&p, "10.0.0.0/8,10.0.0.0/33"), PCFMCP_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(pcfmcp_proxies_errmsg(p), "10.0.0.0/33"));
    pcfmcp_proxies_free(p);
    ck_assert_int_eq(pcfmcp_proxies_new(&p, "example.com"), PCFMCP_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(pcfmcp_proxies_errmsg(p), "example.com"));
    pcfmcp_proxies_free(p);
    ck_assert_int_eq(pcfmcp_proxies_new(&p, NULL), PCFMCP_OK);
    char out[64];
    ck_assert_int_eq(pcfmcp_proxies_client_address(p, "nope", NULL, out, sizeof(out)),
                     PCFMCP_ERR_INVALID_ARG);
    ck_assert_int_eq(pcfmcp_proxies_client_address(p, "1.2.3.4", NULL, out, 8),
                     PCFMCP_ERR_INVALID_ARG);
    pcfmcp_proxies_free(p);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("ratelimit");
    TCase *tc = tcase_create("buckets");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, unconfigured_limiter_admits_everything);
    tcase_add_test(tc, burst_is_admitted_then_refused_with_exact_retry_after);
    tcase_add_test(tc, bucket_refills_at_rate_but_never_beyond_burst);
    tcase_add_test(tc, identities_have_separate_buckets);
    tcase_add_test(tc, global_bucket_caps_all_identities_together);
    tcase_add_test(tc, refusal_takes_no_token_from_any_bucket);
    tcase_add_test(tc, write_bucket_is_lower_and_separate);
    tcase_add_test(tc, reconfigure_clips_tokens_to_the_new_burst);
    tcase_add_test(tc, settings_object_sets_each_bucket_by_name);
    tcase_add_test(tc, identity_table_forgets_least_recently_used);
    tcase_add_test(tc, concurrent_callers_never_exceed_the_global_burst);
    suite_add_tcase(s, tc);
    TCase *tg = tcase_create("gate");
    tcase_add_test(tg, gate_admits_up_to_the_limit_and_times_out_beyond);
    tcase_add_test(tg, gate_wakes_a_waiter_when_a_holder_leaves);
    suite_add_tcase(s, tg);
    TCase *tp = tcase_create("proxies");
    tcase_add_test(tp, forwarded_for_is_ignored_from_untrusted_peers);
    tcase_add_test(tp, forwarded_for_is_read_from_the_right_past_trusted_hops);
    tcase_add_test(tp, bad_proxy_entries_are_named);
    suite_add_tcase(s, tp);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
