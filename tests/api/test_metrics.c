/* The metrics registry through its public API: registration rules, bounded
 * label sets, exact counts under concurrency, and exposition text that a
 * strict parser accepts. */
#include <check.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcfmcp/pcfmcp.h>
#include <pcfmcp/sys/metrics.h>

#include "helpers/promtext.h"

static pcfmcp_metrics_t *reg;

static void setup(void)
{
    ck_assert_int_eq(pcfmcp_metrics_new(&reg), PCFMCP_OK);
}

static void teardown(void)
{
    pcfmcp_metrics_free(reg);
    reg = NULL;
}

static char *render(void)
{
    char *text = NULL;
    size_t len = 0;
    ck_assert_int_eq(pcfmcp_metrics_render(reg, &text, &len), PCFMCP_OK);
    ck_assert_uint_eq(len, strlen(text));
    char err[256];
    if (promtext_validate(text, err, sizeof(err)) != 0)
        ck_abort_msg("invalid exposition: %s\n%s", err, text);
    return text;
}

static double value_of(const char *text, const char *series)
{
    double v = -1;
    if (promtext_value(text, series, &v) != 0)
        ck_abort_msg("series %s not found in:\n%s", series, text);
    return v;
}

START_TEST(registry_refuses_bad_names_and_duplicates)
{
    pcfmcp_metric_t *m = NULL;
    ck_assert_int_eq(pcfmcp_metrics_add(reg, PCFMCP_METRIC_COUNTER, "9bad", "h", NULL, &m),
                     PCFMCP_ERR_INVALID_ARG);
    ck_assert_int_eq(pcfmcp_metrics_add(reg, PCFMCP_METRIC_COUNTER, "bad-name", "h", NULL, &m),
                     PCFMCP_ERR_INVALID_ARG);
    ck_assert_int_eq(pcfmcp_metrics_add(reg, PCFMCP_METRIC_COUNTER, "ok_total", "h", "a,a", &m),
                     PCFMCP_ERR_INVALID_ARG);
    ck_assert_int_eq(pcfmcp_metrics_add(reg, PCFMCP_METRIC_COUNTER, "ok_total", "h", "__x", &m),
                     PCFMCP_ERR_INVALID_ARG);
    ck_assert_int_eq(pcfmcp_metrics_add_histogram(reg, "h_seconds", "h", "le", NULL, 0, &m),
                     PCFMCP_ERR_INVALID_ARG);
    double bad[] = { 1, 1 };
    ck_assert_int_eq(pcfmcp_metrics_add_histogram(reg, "h_seconds", "h", NULL, bad, 2, &m),
                     PCFMCP_ERR_INVALID_ARG);
    ck_assert_int_eq(pcfmcp_metrics_add(reg, PCFMCP_METRIC_HISTOGRAM, "h2", "h", NULL, &m),
                     PCFMCP_ERR_INVALID_ARG);
    ck_assert_int_eq(pcfmcp_metrics_add(reg, PCFMCP_METRIC_COUNTER, "ok_total", "h", "a,b", &m),
                     PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_metrics_add(reg, PCFMCP_METRIC_GAUGE, "ok_total", "h", NULL, &m),
                     PCFMCP_ERR_STATE);
    ck_assert_ptr_nonnull(strstr(pcfmcp_metrics_errmsg(reg), "already registered"));
    ck_assert_ptr_nonnull(pcfmcp_metrics_find(reg, "ok_total"));
    ck_assert_ptr_null(pcfmcp_metrics_find(reg, "nope"));
}
END_TEST

START_TEST(counter_refuses_to_go_down)
{
    pcfmcp_metric_t *c = NULL;
    ck_assert_int_eq(pcfmcp_metrics_add(reg, PCFMCP_METRIC_COUNTER, "c_total", "h", NULL, &c),
                     PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_metric_add(c, NULL, -1), PCFMCP_ERR_INVALID_ARG);
    ck_assert_int_eq(pcfmcp_metric_add(c, NULL, 2.5), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_metric_set(c, NULL, 1), PCFMCP_OK);
    ck_assert(pcfmcp_metric_value(c, NULL) == 2.5);
    ck_assert_int_eq(pcfmcp_metric_set(c, NULL, 7), PCFMCP_OK);
    ck_assert(pcfmcp_metric_value(c, NULL) == 7);
    ck_assert_int_eq(pcfmcp_metric_observe(c, NULL, 1), PCFMCP_ERR_INVALID_ARG);
}
END_TEST

START_TEST(unknown_label_values_become_other)
{
    pcfmcp_metric_t *r = NULL;
    ck_assert_int_eq(pcfmcp_metrics_add(reg, PCFMCP_METRIC_COUNTER, "pcf_mcp_requests_total",
                                        "MCP requests.", "method,status", &r),
                     PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_metric_allow(r, "method", "initialize|tools/call"), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_metric_allow(r, "nope", "x"), PCFMCP_ERR_NOT_FOUND);
    pcfmcp_metric_add(r, (const char *[]){ "tools/call", "ok" }, 1);
    pcfmcp_metric_add(r, (const char *[]){ "evil/method", "ok" }, 1);
    pcfmcp_metric_add(r, (const char *[]){ "tools", "ok" }, 1); /* a prefix of an allowed value */
    pcfmcp_metric_add(r, (const char *[]){ "tools/call|initialize", "ok" }, 1);
    pcfmcp_metric_add(r, (const char *[]){ NULL, "ok" }, 1);
    pcfmcp_metric_add(r, (const char *[]){ "initialize", "bad\xff" }, 1);
    ck_assert_int_eq(pcfmcp_metric_allow(r, "method", "ping"), PCFMCP_ERR_STATE);
    char *t = render();
    ck_assert(value_of(t, "pcf_mcp_requests_total{method=\"tools/call\",status=\"ok\"}") == 1);
    ck_assert(value_of(t, "pcf_mcp_requests_total{method=\"other\",status=\"ok\"}") == 4);
    ck_assert(value_of(t, "pcf_mcp_requests_total{method=\"initialize\",status=\"other\"}") == 1);
    ck_assert_ptr_null(strstr(t, "evil"));
    pcfmcp_free(t);
}
END_TEST

START_TEST(series_beyond_the_cap_fold_into_one_overflow_series)
{
    pcfmcp_metric_t *g = NULL;
    ck_assert_int_eq(pcfmcp_metrics_add(reg, PCFMCP_METRIC_COUNTER, "per_id_total", "h", "id", &g),
                     PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_metric_set_max_series(g, 3), PCFMCP_OK);
    for (int i = 0; i < 100; i++) {
        char id[16];
        snprintf(id, sizeof(id), "id%d", i);
        ck_assert_int_eq(pcfmcp_metric_add(g, (const char *[]){ id }, 1), PCFMCP_OK);
    }
    ck_assert_int_eq(pcfmcp_metric_set_max_series(g, 10), PCFMCP_ERR_STATE);
    char *t = render();
    ck_assert(value_of(t, "per_id_total{id=\"id0\"}") == 1);
    ck_assert(value_of(t, "per_id_total{id=\"id2\"}") == 1);
    ck_assert(value_of(t, "per_id_total{id=\"other\"}") == 97);
    ck_assert_ptr_null(strstr(t, "id3\""));
    pcfmcp_free(t);
}
END_TEST

START_TEST(histogram_renders_cumulative_buckets_sum_and_count)
{
    pcfmcp_metric_t *h = NULL;
    double bounds[] = { 0.1, 1, 10 };
    ck_assert_int_eq(pcfmcp_metrics_add_histogram(reg, "pcf_mcp_tool_duration_seconds",
                                                  "Tool time.", "tool", bounds, 3, &h),
                     PCFMCP_OK);
    const char *tool[] = { "list_projects" };
    double obs[] = { 0.05, 0.1, 0.5, 2, 20, 1 };
    for (size_t i = 0; i < 6; i++)
        ck_assert_int_eq(pcfmcp_metric_observe(h, tool, obs[i]), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_metric_observe(h, tool, NAN), PCFMCP_ERR_INVALID_ARG);
    char *t = render();
#define B(le) "pcf_mcp_tool_duration_seconds_bucket{tool=\"list_projects\",le=\"" le "\"}"
    ck_assert(value_of(t, B("0.1")) == 2);
    ck_assert(value_of(t, B("1")) == 4);
    ck_assert(value_of(t, B("10")) == 5);
    ck_assert(value_of(t, B("+Inf")) == 6);
#undef B
    ck_assert(value_of(t, "pcf_mcp_tool_duration_seconds_count{tool=\"list_projects\"}") == 6);
    ck_assert(fabs(value_of(t, "pcf_mcp_tool_duration_seconds_sum{tool=\"list_projects\"}") -
                   23.65) < 1e-9);
    ck_assert(pcfmcp_metric_value(h, tool) == 6);
    pcfmcp_free(t);
}
END_TEST

START_TEST(default_buckets_are_prometheus_defaults)
{
    pcfmcp_metric_t *h = NULL;
    ck_assert_int_eq(pcfmcp_metrics_add_histogram(reg, "d_seconds", "h", NULL, NULL, 0, &h),
                     PCFMCP_OK);
    pcfmcp_metric_observe(h, NULL, 0.003);
    char *t = render();
    ck_assert(value_of(t, "d_seconds_bucket{le=\"0.005\"}") == 1);
    ck_assert(value_of(t, "d_seconds_bucket{le=\"2.5\"}") == 1);
    ck_assert(value_of(t, "d_seconds_bucket{le=\"10\"}") == 1);
    pcfmcp_free(t);
}
END_TEST

START_TEST(label_values_and_help_are_escaped)
{
    pcfmcp_metric_t *g = NULL;
    ck_assert_int_eq(pcfmcp_metrics_add(reg, PCFMCP_METRIC_GAUGE, "g", "Back\\slash\nnewline",
                                        "v", &g),
                     PCFMCP_OK);
    pcfmcp_metric_set(g, (const char *[]){ "a\"b\\c\nd" }, -1.5);
    char *t = render();
    ck_assert_ptr_nonnull(strstr(t, "# HELP g Back\\\\slash\\nnewline\n"));
    ck_assert(value_of(t, "g{v=\"a\\\"b\\\\c\\nd\"}") == -1.5);
    pcfmcp_free(t);
}
END_TEST

START_TEST(unlabelled_families_render_zero_before_first_use)
{
    pcfmcp_metric_t *c = NULL;
    ck_assert_int_eq(pcfmcp_metrics_add(reg, PCFMCP_METRIC_COUNTER, "pcf_mcp_pcf_retries_total",
                                        "Retries.", NULL, &c),
                     PCFMCP_OK);
    char *t = render();
    ck_assert(value_of(t, "pcf_mcp_pcf_retries_total") == 0);
    pcfmcp_free(t);
}
END_TEST

static void collect(pcfmcp_metrics_t *m, void *ud)
{
    int *calls = ud;
    (*calls)++;
    pcfmcp_metric_set(pcfmcp_metrics_find(m, "pcf_mcp_sessions"), NULL, 42);
}

START_TEST(collectors_run_before_every_render)
{
    pcfmcp_metric_t *g = NULL;
    int calls = 0;
    ck_assert_int_eq(pcfmcp_metrics_add(reg, PCFMCP_METRIC_GAUGE, "pcf_mcp_sessions", "S.", NULL, &g),
                     PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_metrics_add_collector(reg, collect, &calls), PCFMCP_OK);
    char *t = render();
    ck_assert(value_of(t, "pcf_mcp_sessions") == 42);
    pcfmcp_free(t);
    t = render();
    pcfmcp_free(t);
    ck_assert_int_eq(calls, 2);
}
END_TEST

START_TEST(process_metrics_come_from_proc)
{
    ck_assert_int_eq(pcfmcp_metrics_add_process(reg), PCFMCP_OK);
    char *t = render();
    ck_assert(value_of(t, "process_resident_memory_bytes") > 0);
    ck_assert(value_of(t, "process_open_fds") >= 3);
    ck_assert(value_of(t, "process_max_fds") > 0);
    ck_assert(value_of(t, "process_start_time_seconds") > 1.6e9);
    ck_assert(value_of(t, "process_cpu_seconds_total") >= 0);
    pcfmcp_free(t);
}
END_TEST

typedef struct {
    pcfmcp_metric_t *c, *h;
    int id;
} worker_arg;

#define THREADS 8
#define PER_THREAD 20000

static void *hammer(void *p)
{
    worker_arg *a = p;
    const char *status[] = { a->id % 2 ? "ok" : "error" };
    for (int i = 0; i < PER_THREAD; i++) {
        pcfmcp_metric_add(a->c, status, 1);
        pcfmcp_metric_observe(a->h, NULL, (double)(i % 100) / 100.0);
    }
    return NULL;
}

static void *renderer(void *p)
{
    (void)p;
    for (int i = 0; i < 50; i++) {
        char *t = NULL;
        ck_assert_int_eq(pcfmcp_metrics_render(reg, &t, NULL), PCFMCP_OK);
        char err[256];
        if (promtext_validate(t, err, sizeof(err)) != 0)
            ck_abort_msg("invalid exposition while writers run: %s", err);
        pcfmcp_free(t);
    }
    return NULL;
}

START_TEST(concurrent_observations_are_all_counted)
{
    pcfmcp_metric_t *c = NULL, *h = NULL;
    ck_assert_int_eq(pcfmcp_metrics_add(reg, PCFMCP_METRIC_COUNTER, "n_total", "h", "status", &c),
                     PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_metrics_add_histogram(reg, "n_seconds", "h", NULL, NULL, 0, &h),
                     PCFMCP_OK);
    pthread_t th[THREADS + 1];
    worker_arg args[THREADS];
    for (int i = 0; i < THREADS; i++) {
        args[i] = (worker_arg){ c, h, i };
        pthread_create(&th[i], NULL, hammer, &args[i]);
    }
    pthread_create(&th[THREADS], NULL, renderer, NULL);
    for (int i = 0; i <= THREADS; i++)
        pthread_join(th[i], NULL);
    ck_assert(pcfmcp_metric_value(c, (const char *[]){ "ok" }) == THREADS / 2 * PER_THREAD);
    ck_assert(pcfmcp_metric_value(c, (const char *[]){ "error" }) == THREADS / 2 * PER_THREAD);
    ck_assert(pcfmcp_metric_value(h, NULL) == THREADS * PER_THREAD);
    char *t = render();
    ck_assert(value_of(t, "n_seconds_count") == THREADS * PER_THREAD);
    pcfmcp_free(t);
}
END_TEST

START_TEST(arguments_are_checked)
{
    ck_assert_int_eq(pcfmcp_metrics_new(NULL), PCFMCP_ERR_INVALID_ARG);
    ck_assert_int_eq(pcfmcp_metric_add(NULL, NULL, 1), PCFMCP_ERR_INVALID_ARG);
    ck_assert_int_eq(pcfmcp_metrics_render(NULL, NULL, NULL), PCFMCP_ERR_INVALID_ARG);
    ck_assert_int_eq(pcfmcp_metrics_add_collector(reg, NULL, NULL), PCFMCP_ERR_INVALID_ARG);
    ck_assert(pcfmcp_metric_value(NULL, NULL) == 0);
    pcfmcp_metrics_free(NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("metrics");
    TCase *tc = tcase_create("registry");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, registry_refuses_bad_names_and_duplicates);
    tcase_add_test(tc, counter_refuses_to_go_down);
    tcase_add_test(tc, unknown_label_values_become_other);
    tcase_add_test(tc, series_beyond_the_cap_fold_into_one_overflow_series);
    tcase_add_test(tc, histogram_renders_cumulative_buckets_sum_and_count);
    tcase_add_test(tc, default_buckets_are_prometheus_defaults);
    tcase_add_test(tc, label_values_and_help_are_escaped);
    tcase_add_test(tc, unlabelled_families_render_zero_before_first_use);
    tcase_add_test(tc, collectors_run_before_every_render);
    tcase_add_test(tc, process_metrics_come_from_proc);
    tcase_add_test(tc, concurrent_observations_are_all_counted);
    tcase_add_test(tc, arguments_are_checked);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
