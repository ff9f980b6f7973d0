/* Tracing through the public API: W3C traceparent handling, parent-based
 * ratio sampling, and export to a fake OTLP collector (batches, drops,
 * failures, flush with timeout). */
#include <check.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <pcfmcp/pcfmcp.h>
#include <pcfmcp/sys/trace.h>

#include "helpers/otlpsink.h"

#define PARENT "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

static pcfmcp_tracer_t *tr;

static void setup(void)
{
    ck_assert_int_eq(pcfmcp_global_init(), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_tracer_new(&tr, "pcf-mcp", "9.9.9"), PCFMCP_OK);
}

static void teardown(void)
{
    pcfmcp_tracer_free(tr);
    tr = NULL;
    pcfmcp_global_cleanup();
}

static const char *sval(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItem(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

START_TEST(span_continues_a_remote_parent)
{
    pcfmcp_span_t *s = NULL;
    ck_assert_int_eq(pcfmcp_span_start(tr, "tools/call", PCFMCP_SPAN_SERVER, PARENT, "vendor=x",
                                       &s),
                     PCFMCP_OK);
    const char *tp = pcfmcp_span_traceparent(s);
    ck_assert_int_eq((int)strlen(tp), 55);
    ck_assert(strncmp(tp, "00-4bf92f3577b34da6a3ce929d0e0e4736-", 36) == 0);
    ck_assert(strncmp(tp + 36, "00f067aa0ba902b7", 16) != 0); /* its own span id */
    ck_assert_str_eq(tp + 52, "-01");
    ck_assert_str_eq(pcfmcp_span_trace_id(s), "4bf92f3577b34da6a3ce929d0e0e4736");
    ck_assert_str_eq(pcfmcp_span_tracestate(s), "vendor=x");
    ck_assert_int_eq(pcfmcp_span_is_sampled(s), 1);
    pcfmcp_span_end(s);
}
END_TEST

START_TEST(unsampled_parent_is_followed_whatever_the_ratio)
{
    pcfmcp_span_t *s = NULL;
    ck_assert_int_eq(pcfmcp_span_start(tr, "x", PCFMCP_SPAN_SERVER,
                                       "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-00",
                                       NULL, &s),
                     PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_span_is_sampled(s), 0);
    ck_assert_str_eq(pcfmcp_span_traceparent(s) + 52, "-00");
    pcfmcp_span_end(s);
}
END_TEST

START_TEST(invalid_traceparents_start_new_traces)
{
    static const char *const bad[] = {
        "00-4BF92F3577B34DA6A3CE929D0E0E4736-00f067aa0ba902b7-01", /* upper case */
        "00-00000000000000000000000000000000-00f067aa0ba902b7-01", /* zero trace id */
        "00-4bf92f3577b34da6a3ce929d0e0e4736-0000000000000000-01", /* zero span id */
        "ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01", /* version ff */
        "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra",
        "00-4bf92f3577b34da6a3ce929d0e0e473-00f067aa0ba902b7-01",
        "garbage",
        "",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        pcfmcp_span_t *s = NULL;
        ck_assert_int_eq(pcfmcp_span_start(tr, "x", PCFMCP_SPAN_SERVER, bad[i], "a=b", &s),
                         PCFMCP_OK);
        ck_assert_str_ne(pcfmcp_span_trace_id(s), "4bf92f3577b34da6a3ce929d0e0e4736");
        ck_assert_ptr_null(pcfmcp_span_tracestate(s));
        pcfmcp_span_end(s);
    }
    /* A later version may carry more fields: the known prefix is used. */
    pcfmcp_span_t *s = NULL;
    ck_assert_int_eq(pcfmcp_span_start(tr, "x", PCFMCP_SPAN_SERVER,
                                       "01-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-xyz",
                                       NULL, &s),
                     PCFMCP_OK);
    ck_assert_str_eq(pcfmcp_span_trace_id(s), "4bf92f3577b34da6a3ce929d0e0e4736");
    pcfmcp_span_end(s);
}
END_TEST

static int sampled_of(int n)
{
    int k = 0;
    for (int i = 0; i < n; i++) {
        pcfmcp_span_t *s = NULL;
        ck_assert_int_eq(pcfmcp_span_start(tr, "x", PCFMCP_SPAN_SERVER, NULL, NULL, &s),
                         PCFMCP_OK);
        k += pcfmcp_span_is_sampled(s);
        pcfmcp_span_end(s);
    }
    return k;
}

START_TEST(root_spans_are_sampled_at_the_ratio)
{
    ck_assert_int_eq(pcfmcp_tracer_set_sample_ratio(tr, 1.5), PCFMCP_ERR_INVALID_ARG);
    ck_assert_int_eq(pcfmcp_tracer_set_sample_ratio(tr, 0), PCFMCP_OK);
    ck_assert_int_eq(sampled_of(500), 0);
    ck_assert_int_eq(pcfmcp_tracer_set_sample_ratio(tr, 1), PCFMCP_OK);
    ck_assert_int_eq(sampled_of(500), 500);
    ck_assert_int_eq(pcfmcp_tracer_set_sample_ratio(tr, 0.25), PCFMCP_OK);
    int k = sampled_of(8000);
    /* Binomial(8000, 0.25): mean 2000, sd ~39; 10 sd either side. */
    ck_assert_int_gt(k, 1600);
    ck_assert_int_lt(k, 2400);
}
END_TEST

START_TEST(spans_reach_the_collector_with_their_parents)
{
    otlpsink *sink = otlpsink_start(200);
    ck_assert_ptr_nonnull(sink);
    ck_assert_int_eq(pcfmcp_tracer_set_endpoint(tr, otlpsink_url(sink)), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_tracer_start(tr), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_tracer_set_sample_ratio(tr, 0.5), PCFMCP_ERR_STATE);

    pcfmcp_span_t *req = NULL, *tool = NULL, *pcf = NULL;
    ck_assert_int_eq(pcfmcp_span_start(tr, "tools/call", PCFMCP_SPAN_SERVER, PARENT, NULL, &req),
                     PCFMCP_OK);
    pcfmcp_span_set_attribute(req, "mcp.method", "tools/call");
    ck_assert_int_eq(pcfmcp_span_start(tr, "tool list_hosts", PCFMCP_SPAN_INTERNAL,
                                       pcfmcp_span_traceparent(req), NULL, &tool),
                     PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_span_start(tr, "PCF hosts_list", PCFMCP_SPAN_CLIENT,
                                       pcfmcp_span_traceparent(tool), NULL, &pcf),
                     PCFMCP_OK);
    char pcf_id[17], tool_id[17], req_id[17];
    snprintf(pcf_id, sizeof(pcf_id), "%.16s", pcfmcp_span_traceparent(pcf) + 36);
    snprintf(tool_id, sizeof(tool_id), "%.16s", pcfmcp_span_traceparent(tool) + 36);
    snprintf(req_id, sizeof(req_id), "%.16s", pcfmcp_span_traceparent(req) + 36);
    pcfmcp_span_set_attribute_int(pcf, "http.response.status_code", 503);
    pcfmcp_span_set_error(pcf, "HTTP 503");
    pcfmcp_span_end(pcf);
    pcfmcp_span_end(tool);
    pcfmcp_span_end(req);
    ck_assert_int_eq(pcfmcp_tracer_flush(tr, 10000), PCFMCP_OK);

    cJSON *spans = otlpsink_spans(sink);
    ck_assert_int_eq(cJSON_GetArraySize(spans), 3);
    const cJSON *r = otlpsink_find(spans, "tools/call");
    const cJSON *t = otlpsink_find(spans, "tool list_hosts");
    const cJSON *p = otlpsink_find(spans, "PCF hosts_list");
    ck_assert_ptr_nonnull(r);
    ck_assert_ptr_nonnull(t);
    ck_assert_ptr_nonnull(p);
    ck_assert_str_eq(sval(r, "traceId"), "4bf92f3577b34da6a3ce929d0e0e4736");
    ck_assert_str_eq(sval(p, "traceId"), "4bf92f3577b34da6a3ce929d0e0e4736");
    ck_assert_str_eq(sval(r, "parentSpanId"), "00f067aa0ba902b7");
    ck_assert_str_eq(sval(r, "spanId"), req_id);
    ck_assert_str_eq(sval(t, "parentSpanId"), req_id);
    ck_assert_str_eq(sval(t, "spanId"), tool_id);
    ck_assert_str_eq(sval(p, "parentSpanId"), tool_id);
    ck_assert_str_eq(sval(p, "spanId"), pcf_id);
    ck_assert_int_eq(cJSON_GetObjectItem(r, "kind")->valueint, 2);
    ck_assert_int_eq(cJSON_GetObjectItem(t, "kind")->valueint, 1);
    ck_assert_int_eq(cJSON_GetObjectItem(p, "kind")->valueint, 3);
    ck_assert_str_eq(sval(p, "_service"), "pcf-mcp");
    const cJSON *st = cJSON_GetObjectItem(p, "status");
    ck_assert_int_eq(cJSON_GetObjectItem(st, "code")->valueint, 2);
    ck_assert_str_eq(sval(st, "message"), "HTTP 503");
    const cJSON *a = cJSON_GetArrayItem(cJSON_GetObjectItem(p, "attributes"), 0);
    ck_assert_str_eq(sval(a, "key"), "http.response.status_code");
    ck_assert_str_eq(sval(cJSON_GetObjectItem(a, "value"), "intValue"), "503");
    ck_assert(strtoull(sval(p, "endTimeUnixNano"), NULL, 10) >=
              strtoull(sval(p, "startTimeUnixNano"), NULL, 10));
    cJSON_Delete(spans);
    ck_assert_uint_eq(pcfmcp_tracer_exported(tr), 3);
    ck_assert_uint_eq(pcfmcp_tracer_dropped(tr), 0);
    pcfmcp_tracer_free(tr);
    tr = NULL;
    ck_assert_int_eq(pcfmcp_tracer_new(&tr, "pcf-mcp", NULL), PCFMCP_OK);
    otlpsink_stop(sink);
}
END_TEST

static void end_spans(int n)
{
    for (int i = 0; i < n; i++) {
        pcfmcp_span_t *s = NULL;
        ck_assert_int_eq(pcfmcp_span_start(tr, "s", PCFMCP_SPAN_INTERNAL, NULL, NULL, &s),
                         PCFMCP_OK);
        pcfmcp_span_end(s);
    }
}

START_TEST(full_queue_drops_and_counts_instead_of_blocking)
{
    otlpsink *sink = otlpsink_start(200);
    ck_assert_int_eq(pcfmcp_tracer_set_endpoint(tr, otlpsink_url(sink)), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_tracer_set_limits(tr, 4, 2, 60000), PCFMCP_OK);
    end_spans(10); /* exporter not started: the queue fills */
    ck_assert_uint_eq(pcfmcp_tracer_dropped(tr), 6);
    ck_assert_int_eq(pcfmcp_tracer_start(tr), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_tracer_flush(tr, 10000), PCFMCP_OK);
    ck_assert_uint_eq(pcfmcp_tracer_exported(tr), 4);
    ck_assert_int_eq(otlpsink_span_count(sink), 4);
    ck_assert_int_eq(otlpsink_requests(sink), 2); /* batches of 2 */
    pcfmcp_tracer_free(tr);
    ck_assert_int_eq(pcfmcp_tracer_new(&tr, "pcf-mcp", NULL), PCFMCP_OK);
    otlpsink_stop(sink);
}
END_TEST

START_TEST(failed_exports_are_counted_as_dropped)
{
    otlpsink *sink = otlpsink_start(500);
    pcfmcp_logger_t *lg = NULL;
    ck_assert_int_eq(pcfmcp_logger_new(&lg), PCFMCP_OK);
    pcfmcp_logger_set_level(lg, PCFMCP_LOG_OFF);
    ck_assert_int_eq(pcfmcp_tracer_set_logger(tr, lg), PCFMCP_OK);
    pcfmcp_logger_unref(lg);
    ck_assert_int_eq(pcfmcp_tracer_set_endpoint(tr, otlpsink_url(sink)), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_tracer_start(tr), PCFMCP_OK);
    end_spans(3);
    ck_assert_int_eq(pcfmcp_tracer_flush(tr, 10000), PCFMCP_OK);
    ck_assert_uint_eq(pcfmcp_tracer_dropped(tr), 3);
    ck_assert_uint_eq(pcfmcp_tracer_exported(tr), 0);
    pcfmcp_tracer_free(tr);
    ck_assert_int_eq(pcfmcp_tracer_new(&tr, "pcf-mcp", NULL), PCFMCP_OK);
    otlpsink_stop(sink);
}
END_TEST

START_TEST(flush_gives_up_at_its_timeout_when_the_collector_hangs)
{
    /* A socket that accepts connections (the kernel does) but never answers. */
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    ck_assert_int_eq(listen(fd, 8), 0);
    socklen_t sl = sizeof(sa);
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/v1/traces", ntohs(sa.sin_port));
    pcfmcp_logger_t *lg = NULL;
    ck_assert_int_eq(pcfmcp_logger_new(&lg), PCFMCP_OK);
    pcfmcp_logger_set_level(lg, PCFMCP_LOG_OFF);
    pcfmcp_tracer_set_logger(tr, lg);
    pcfmcp_logger_unref(lg);
    ck_assert_int_eq(pcfmcp_tracer_set_endpoint(tr, url), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_tracer_set_timeout(tr, 500), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_tracer_start(tr), PCFMCP_OK);
    end_spans(2);
    ck_assert_int_eq(pcfmcp_tracer_flush(tr, 100), PCFMCP_ERR_TIMEOUT);
    pcfmcp_tracer_free(tr); /* waits for the export's own timeout */
    ck_assert_int_eq(pcfmcp_tracer_new(&tr, "pcf-mcp", NULL), PCFMCP_OK);
    close(fd);
}
END_TEST

START_TEST(endpoint_and_arguments_are_checked)
{
    ck_assert_int_eq(pcfmcp_tracer_set_endpoint(tr, "ftp://x"), PCFMCP_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(pcfmcp_tracer_errmsg(tr), "http"));
    ck_assert_int_eq(pcfmcp_tracer_set_endpoint(tr, "http://a b"), PCFMCP_ERR_INVALID_ARG);
    ck_assert_int_eq(pcfmcp_tracer_set_endpoint(tr, "http://collector:4318/"), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_tracer_set_endpoint(tr, ""), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_tracer_set_limits(tr, 0, 1, 1), PCFMCP_ERR_INVALID_ARG);
    ck_assert_int_eq(pcfmcp_tracer_new(NULL, "x", NULL), PCFMCP_ERR_INVALID_ARG);
    pcfmcp_span_t *s = NULL;
    ck_assert_int_eq(pcfmcp_span_start(tr, "x", (pcfmcp_span_kind_t)9, NULL, NULL, &s),
                     PCFMCP_ERR_INVALID_ARG);
    /* Without an endpoint spans still get ids and end cleanly. */
    ck_assert_int_eq(pcfmcp_span_start(tr, "x", PCFMCP_SPAN_SERVER, NULL, NULL, &s), PCFMCP_OK);
    for (int i = 0; i < 40; i++)
        pcfmcp_span_set_attribute(s, "k", "v");
    ck_assert_int_eq(pcfmcp_span_set_attribute(s, "k", "v"), PCFMCP_ERR_LIMIT);
    pcfmcp_span_end(s);
    pcfmcp_span_end(NULL);
    ck_assert_int_eq(pcfmcp_tracer_flush(tr, 10), PCFMCP_OK);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("trace");
    TCase *tc = tcase_create("trace");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, span_continues_a_remote_parent);
    tcase_add_test(tc, unsampled_parent_is_followed_whatever_the_ratio);
    tcase_add_test(tc, invalid_traceparents_start_new_traces);
    tcase_add_test(tc, root_spans_are_sampled_at_the_ratio);
    tcase_add_test(tc, spans_reach_the_collector_with_their_parents);
    tcase_add_test(tc, full_queue_drops_and_counts_instead_of_blocking);
    tcase_add_test(tc, failed_exports_are_counted_as_dropped);
    tcase_add_test(tc, flush_gives_up_at_its_timeout_when_the_collector_hangs);
    tcase_add_test(tc, endpoint_and_arguments_are_checked);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
