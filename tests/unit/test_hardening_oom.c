/* OOM sweep of the hardening primitives: the 1st..Nth allocation of each
 * key operation fails in turn; every call must fail cleanly (NOMEM or a
 * documented degradation), leave the object usable, and leak nothing
 * (run under ASan/valgrind). */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcfmcp/pcfmcp.h>

#include "core/alloc.h"

#define SWEEP(max, body)                                                                        \
    for (long n = 0; n < (max); n++) {                                                          \
        pcfmcp__alloc_fail_after(n);                                                            \
        body;                                                                                   \
        long used = pcfmcp__alloc_fail_after(-1);                                               \
        if (used <= n)                                                                          \
            break;                                                                              \
    }

static void metrics_round(void)
{
    pcfmcp_metrics_t *m = NULL;
    if (pcfmcp_metrics_new(&m) != PCFMCP_OK)
        return;
    pcfmcp_metric_t *c = NULL, *h = NULL;
    pcfmcp_error_t rc = pcfmcp_metrics_add(m, PCFMCP_METRIC_COUNTER, "a_total", "h", "x,y", &c);
    ck_assert(rc == PCFMCP_OK || rc == PCFMCP_ERR_NOMEM);
    rc = pcfmcp_metrics_add_histogram(m, "b_seconds", "h", "x", NULL, 0, &h);
    ck_assert(rc == PCFMCP_OK || rc == PCFMCP_ERR_NOMEM);
    if (c) {
        pcfmcp_metric_allow(c, "x", "a|b");
        rc = pcfmcp_metric_add(c, (const char *[]){ "a", "q" }, 1);
        ck_assert(rc == PCFMCP_OK || rc == PCFMCP_ERR_NOMEM);
    }
    if (h) {
        rc = pcfmcp_metric_observe(h, (const char *[]){ "v" }, 0.3);
        ck_assert(rc == PCFMCP_OK || rc == PCFMCP_ERR_NOMEM);
    }
    pcfmcp_metrics_add_process(m);
    char *text = NULL;
    rc = pcfmcp_metrics_render(m, &text, NULL);
    ck_assert(rc == PCFMCP_OK || rc == PCFMCP_ERR_NOMEM);
    pcfmcp_free(text);
    pcfmcp_metrics_free(m);
}

START_TEST(metrics_survive_allocation_failures)
{
    SWEEP(400, metrics_round());
    metrics_round();
}
END_TEST

static void ratelimit_round(void)
{
    pcfmcp_ratelimit_t *rl = NULL;
    if (pcfmcp_ratelimit_new(&rl) != PCFMCP_OK)
        return;
    pcfmcp_ratelimit_configure(rl, 1, 2, 1, 2, 1, 2);
    for (int i = 0; i < 4; i++) {
        char id[16];
        snprintf(id, sizeof(id), "id%d", i);
        pcfmcp_error_t rc = pcfmcp_ratelimit_take(rl, id, PCFMCP_RATELIMIT_IDENTITY |
                                                              PCFMCP_RATELIMIT_WRITE, NULL);
        ck_assert(rc == PCFMCP_OK || rc == PCFMCP_ERR_NOMEM || rc == PCFMCP_ERR_RATE_LIMITED);
    }
    pcfmcp_ratelimit_free(rl);
    pcfmcp_proxies_t *p = NULL;
    pcfmcp_error_t rc = pcfmcp_proxies_new(&p, "10.0.0.0/8,::1");
    ck_assert(rc == PCFMCP_OK || rc == PCFMCP_ERR_NOMEM);
    pcfmcp_proxies_free(p);
    pcfmcp_gate_t *g = NULL;
    if (pcfmcp_gate_new(&g, 1) == PCFMCP_OK)
        pcfmcp_gate_free(g);
}

START_TEST(rate_limits_survive_allocation_failures)
{
    SWEEP(200, ratelimit_round());
}
END_TEST

static void cache_round(void)
{
    pcfmcp_cache_t *c = NULL;
    if (pcfmcp_cache_new(&c, 2, 4096, 1000) != PCFMCP_OK)
        return;
    for (int i = 0; i < 3; i++) {
        char k[16];
        snprintf(k, sizeof(k), "k%d", i);
        pcfmcp_error_t rc = pcfmcp_cache_put(c, k, i % 2 ? "tag" : NULL, "value", 5);
        ck_assert(rc == PCFMCP_OK || rc == PCFMCP_ERR_NOMEM);
        char *v = NULL;
        rc = pcfmcp_cache_get(c, k, &v, NULL);
        ck_assert(rc == PCFMCP_OK || rc == PCFMCP_ERR_NOMEM || rc == PCFMCP_ERR_NOT_FOUND);
        pcfmcp_free(v);
    }
    pcfmcp_cache_invalidate(c, "tag");
    pcfmcp_cache_free(c);
}

START_TEST(cache_survives_allocation_failures)
{
    SWEEP(200, cache_round());
}
END_TEST

static int sunk;

static void sink(const char *line, size_t len, void *ud)
{
    (void)line;
    (void)len;
    (void)ud;
    sunk++;
}

static void audit_round(void)
{
    pcfmcp_audit_t *a = NULL;
    if (pcfmcp_audit_new(&a) != PCFMCP_OK)
        return;
    pcfmcp_audit_set_sink(a, sink, NULL);
    pcfmcp_audit_set_args(a, PCFMCP_AUDIT_ARGS_REDACTED);
    pcfmcp_logger_t *lg = NULL;
    if (pcfmcp_logger_new(&lg) == PCFMCP_OK) {
        pcfmcp_logger_add_secret(lg, "topsecret");
        pcfmcp_logger_set_level(lg, PCFMCP_LOG_OFF);
        pcfmcp_audit_set_logger(a, lg);
        pcfmcp_logger_unref(lg);
    }
    pcfmcp_error_t rc = pcfmcp_audit_record(
        a, "tool_call", "alice", "alice@example.com", "s1", "7", NULL, "t",
        "{\"project_id\":\"p1\",\"password\":\"topsecret\",\"list\":[1,2,{\"a\":\"b\"}]}", "ok",
        0.5, "detail");
    ck_assert(rc == PCFMCP_OK || rc == PCFMCP_ERR_NOMEM);
    char *hash = NULL;
    rc = pcfmcp_audit_args_hash("{\"b\":1,\"a\":2}", 13, &hash);
    ck_assert(rc == PCFMCP_OK || rc == PCFMCP_ERR_NOMEM || rc == PCFMCP_ERR_INVALID_ARG);
    pcfmcp_free(hash);
    hash = NULL;
    rc = pcfmcp_audit_args_digest(a, "{\"key\":1,\"a\":{\"token\":2}}", 25, &hash);
    ck_assert(rc == PCFMCP_OK || rc == PCFMCP_ERR_NOMEM || rc == PCFMCP_ERR_INVALID_ARG);
    pcfmcp_free(hash);
    pcfmcp_audit_free(a);
}

START_TEST(audit_survives_allocation_failures)
{
    SWEEP(400, audit_round());
    sunk = 0;
    audit_round();
    ck_assert_int_eq(sunk, 1);
}
END_TEST

static void trace_round(void)
{
    pcfmcp_tracer_t *t = NULL;
    if (pcfmcp_tracer_new(&t, "svc", "1.0") != PCFMCP_OK)
        return;
    pcfmcp_tracer_set_endpoint(t, "http://127.0.0.1:9/v1/traces");
    pcfmcp_span_t *s = NULL;
    if (pcfmcp_span_start(t, "x", PCFMCP_SPAN_SERVER,
                          "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", "k=v",
                          &s) == PCFMCP_OK) {
        pcfmcp_span_set_attribute(s, "a", "b");
        pcfmcp_span_set_attribute_int(s, "n", 1);
        pcfmcp_span_set_error(s, "bad");
        pcfmcp_span_end(s); /* queued (exporter not started) or dropped */
    }
    pcfmcp_tracer_free(t);
}

START_TEST(tracing_survives_allocation_failures)
{
    SWEEP(200, trace_round());
}
END_TEST

int main(void)
{
    Suite *s = suite_create("hardening-oom");
    TCase *tc = tcase_create("oom");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, metrics_survive_allocation_failures);
    tcase_add_test(tc, rate_limits_survive_allocation_failures);
    tcase_add_test(tc, cache_survives_allocation_failures);
    tcase_add_test(tc, audit_survives_allocation_failures);
    tcase_add_test(tc, tracing_survives_allocation_failures);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
