/* The PCF client's hardening hooks against the fake PCF: the read cache
 * (hits, misses, per-identity keys, invalidation by writes), client spans
 * whose id is what PCF receives, the concurrency gate, and request fields
 * on PCF log lines. */
#include <check.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <microhttpd.h>
#include <pcfmcp/pcfmcp.h>

#include "helpers/fakepcf.h"
#include "helpers/otlpsink.h"
#include "pcf/client.h"

#define TOKEN "11111111-2222-4333-8444-555555555555"
#define PARENT "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"

static fakepcf_t *fake;
static pcfmcp_pcf_t *pcf;
static pcfmcp_cache_t *cache;
static char project[40];

static int pcf_requests(void)
{
    char *body = NULL;
    ck_assert_int_eq(fakepcf_control(fake, "/__fake__/stats", NULL, &body), 200);
    cJSON *j = cJSON_Parse(body);
    free(body);
    int n = cJSON_GetObjectItem(j, "total")->valueint;
    cJSON_Delete(j);
    return n;
}

static pcfmcp_pcf_t *client(const char *token)
{
    pcfmcp_pcf_t *p = NULL;
    ck_assert_int_eq(pcfmcp_pcf_new(&p, fakepcf_url(fake), NULL), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_pcf_set_token(p, token), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_pcf_set_retry(p, 1, 5, 20), PCFMCP_OK);
    return p;
}

static void setup(void)
{
    ck_assert_int_eq(pcfmcp_global_init(), PCFMCP_OK);
    const char *args[] = { "--seed", "minimal", "--token", TOKEN, NULL };
    ck_assert_int_eq(fakepcf_start(&fake, args), 0);
    pcf = client(TOKEN);
    ck_assert_int_eq(pcfmcp_cache_new(&cache, 100, 1 << 20, 60000), PCFMCP_OK);
    pcfmcp_pcf_result_t *r = NULL;
    ck_assert_int_eq(pcfmcp_pcf_projects_list(pcf, &r), PCFMCP_OK);
    cJSON *j = cJSON_Parse(pcfmcp_pcf_result_json(r, NULL));
    const cJSON *first = cJSON_GetArrayItem(cJSON_GetObjectItem(j, "projects"), 0);
    const cJSON *id = cJSON_GetObjectItem(first, "id");
    ck_assert(cJSON_IsString(id));
    snprintf(project, sizeof(project), "%s", id->valuestring);
    cJSON_Delete(j);
    pcfmcp_pcf_result_free(r);
}

static void teardown(void)
{
    pcfmcp_pcf_free(pcf);
    pcfmcp_cache_free(cache);
    fakepcf_stop(fake);
    pcfmcp_global_cleanup();
}

static pcfmcp_error_t hosts(pcfmcp_pcf_t *p)
{
    pcfmcp_pcf_result_t *r = NULL;
    pcfmcp_error_t rc = pcfmcp_pcf_hosts_list(p, project, &r);
    pcfmcp_pcf_result_free(r);
    return rc;
}

START_TEST(second_read_is_served_from_the_cache)
{
    ck_assert_int_eq(pcfmcp_pcf_set_cache(pcf, cache), PCFMCP_OK);
    int before = pcf_requests();
    pcfmcp_pcf_result_t *a = NULL, *b = NULL;
    ck_assert_int_eq(pcfmcp_pcf_hosts_list(pcf, project, &a), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_pcf_hosts_list(pcf, project, &b), PCFMCP_OK);
    ck_assert_int_eq(pcf_requests(), before + 1);
    ck_assert_str_eq(pcfmcp_pcf_result_json(a, NULL), pcfmcp_pcf_result_json(b, NULL));
    ck_assert_int_eq(pcfmcp_pcf_result_http_status(b), 200);
    ck_assert_int_eq(pcfmcp_pcf_result_attempts(b), 0);
    pcfmcp_pcf_result_free(a);
    pcfmcp_pcf_result_free(b);
    uint64_t hits, misses;
    pcfmcp_cache_stats(cache, &hits, &misses, NULL, NULL);
    ck_assert_uint_eq(hits, 1);
    ck_assert_uint_eq(misses, 1);
}
END_TEST

START_TEST(write_to_the_project_invalidates_its_reads)
{
    ck_assert_int_eq(pcfmcp_pcf_set_cache(pcf, cache), PCFMCP_OK);
    ck_assert_int_eq(hosts(pcf), PCFMCP_OK);
    pcfmcp_pcf_result_t *r = NULL;
    ck_assert_int_eq(pcfmcp_pcf_projects_list(pcf, &r), PCFMCP_OK);
    pcfmcp_pcf_result_free(r);
    int before = pcf_requests();
    ck_assert_int_eq(hosts(pcf), PCFMCP_OK); /* cached */
    ck_assert_int_eq(pcf_requests(), before);
    ck_assert_int_eq(pcfmcp_pcf_host_create(pcf, project, "10.0.0.99", NULL, &r), PCFMCP_OK);
    pcfmcp_pcf_result_free(r);
    before = pcf_requests();
    ck_assert_int_eq(hosts(pcf), PCFMCP_OK); /* the write made it stale */
    ck_assert_int_eq(pcfmcp_pcf_projects_list(pcf, &r), PCFMCP_OK);
    ck_assert_int_eq(pcf_requests(), before + 2);
    ck_assert_ptr_nonnull(strstr(pcfmcp_pcf_result_json(r, NULL), project));
    pcfmcp_pcf_result_free(r);
}
END_TEST

START_TEST(identities_do_not_share_cached_answers)
{
    /* A second PCF identity (a sibling with its own token) on the same cache. */
    char *body = NULL;
    ck_assert_int_eq(fakepcf_control(fake, "/__fake__/token",
                                     "{\"email\":\"pcf-second@example.com\"}", &body),
                     200);
    cJSON *j = cJSON_Parse(body);
    free(body);
    const cJSON *t = cJSON_GetObjectItem(j, "token");
    if (!t)
        t = cJSON_GetObjectItem(j, "access_token");
    ck_assert_ptr_nonnull(t);
    pcfmcp_pcf_t *other = NULL;
    ck_assert_int_eq(pcfmcp_pcf_set_cache(pcf, cache), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_pcf_new_sibling(&other, pcf), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_pcf_set_token(other, t->valuestring), PCFMCP_OK);
    cJSON_Delete(j);
    pcfmcp_pcf_result_t *a = NULL, *b = NULL;
    int before = pcf_requests();
    ck_assert_int_eq(pcfmcp_pcf_projects_list(pcf, &a), PCFMCP_OK);
    pcfmcp_pcf_projects_list(other, &b); /* inherits the cache, but its own key */
    ck_assert_int_eq(pcf_requests(), before + 2);
    pcfmcp_pcf_result_free(a);
    pcfmcp_pcf_result_free(b);
    pcfmcp_pcf_free(other);
}
END_TEST

START_TEST(failures_and_probes_are_never_cached)
{
    ck_assert_int_eq(pcfmcp_pcf_set_cache(pcf, cache), PCFMCP_OK);
    pcfmcp_pcf_result_t *r = NULL;
    const char *missing = "00000000-0000-4000-8000-000000000000";
    int before = pcf_requests();
    ck_assert_int_ne(pcfmcp_pcf_hosts_list(pcf, missing, &r), PCFMCP_OK);
    pcfmcp_pcf_result_free(r);
    ck_assert_int_ne(pcfmcp_pcf_hosts_list(pcf, missing, &r), PCFMCP_OK);
    pcfmcp_pcf_result_free(r);
    ck_assert_int_eq(pcfmcp_pcf_check(pcf, &r), PCFMCP_OK);
    pcfmcp_pcf_result_free(r);
    ck_assert_int_eq(pcfmcp_pcf_check(pcf, &r), PCFMCP_OK);
    pcfmcp_pcf_result_free(r);
    ck_assert_int_eq(pcf_requests(), before + 4);
    /* A disabled cache is bypassed. */
    pcfmcp_cache_set_enabled(cache, 0);
    before = pcf_requests();
    hosts(pcf);
    hosts(pcf);
    ck_assert_int_eq(pcf_requests(), before + 2);
}
END_TEST

/* ---------------------------------------------------------------- tracing */

/* A one-route stand-in for PCF that remembers the traceparent it got. */
static char seen_traceparent[128];
static char seen_request_id[64];

#if MHD_VERSION < 0x00097002
typedef int mhd_result;
#else
typedef enum MHD_Result mhd_result;
#endif

static mhd_result echo(void *cls, struct MHD_Connection *c, const char *url, const char *method,
                       const char *version, const char *data, size_t *size, void **con)
{
    (void)cls;
    (void)url;
    (void)method;
    (void)version;
    (void)data;
    if (!*con) {
        *con = (void *)1;
        return MHD_YES;
    }
    if (*size) {
        *size = 0;
        return MHD_YES;
    }
    const char *tp = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "traceparent");
    const char *rid = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "X-Request-Id");
    snprintf(seen_traceparent, sizeof(seen_traceparent), "%s", tp ? tp : "");
    snprintf(seen_request_id, sizeof(seen_request_id), "%s", rid ? rid : "");
    static const char body[] = "{\"projects\":[]}";
    struct MHD_Response *r = MHD_create_response_from_buffer(sizeof(body) - 1, (void *)body,
                                                             MHD_RESPMEM_PERSISTENT);
    MHD_add_response_header(r, "Content-Type", "application/json");
    mhd_result ret = MHD_queue_response(c, 200, r);
    MHD_destroy_response(r);
    return ret;
}

START_TEST(pcf_receives_the_id_of_its_own_client_span)
{
    otlpsink *sink = otlpsink_start(200);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof(sa));
    sa.sin_family = AF_INET;
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, echo,
                                            NULL, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_END);
    ck_assert_ptr_nonnull(d);
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%u",
             MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port);
    pcfmcp_pcf_t *p = NULL;
    ck_assert_int_eq(pcfmcp_pcf_new(&p, url, NULL), PCFMCP_OK);
    pcfmcp_pcf_set_token(p, TOKEN);
    pcfmcp_tracer_t *tr = NULL;
    ck_assert_int_eq(pcfmcp_tracer_new(&tr, "pcf-mcp", NULL), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_tracer_set_endpoint(tr, otlpsink_url(sink)), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_tracer_start(tr), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_pcf_set_tracer(p, tr), PCFMCP_OK);

    pcfmcp__pcf_callctx cx = { .traceparent = PARENT, .request_id = "42" };
    pcfmcp_pcf_result_t *r = NULL;
    ck_assert_int_eq(pcfmcp__pcf_call(p, &cx, PCFMCP__PCF_OP_PROJECTS_LIST, NULL, &r), PCFMCP_OK);
    pcfmcp_pcf_result_free(r);
    ck_assert_int_eq(pcfmcp_tracer_flush(tr, 10000), PCFMCP_OK);

    cJSON *spans = otlpsink_spans(sink);
    const cJSON *s = otlpsink_find(spans, "PCF projects_list");
    ck_assert_ptr_nonnull(s);
    ck_assert_str_eq(cJSON_GetObjectItem(s, "parentSpanId")->valuestring, "00f067aa0ba902b7");
    ck_assert_str_eq(cJSON_GetObjectItem(s, "traceId")->valuestring,
                     "4bf92f3577b34da6a3ce929d0e0e4736");
    ck_assert_int_eq(cJSON_GetObjectItem(s, "kind")->valueint, 3);
    char expect[64];
    snprintf(expect, sizeof(expect), "00-4bf92f3577b34da6a3ce929d0e0e4736-%s-01",
             cJSON_GetObjectItem(s, "spanId")->valuestring);
    ck_assert_str_eq(seen_traceparent, expect);
    ck_assert_str_eq(seen_request_id, "42");
    cJSON_Delete(spans);

    /* Without a trace context no span is made and nothing is sent. */
    seen_traceparent[0] = '\0';
    ck_assert_int_eq(pcfmcp__pcf_call(p, NULL, PCFMCP__PCF_OP_PROJECTS_LIST, NULL, &r), PCFMCP_OK);
    pcfmcp_pcf_result_free(r);
    ck_assert_str_eq(seen_traceparent, "");
    pcfmcp_pcf_free(p);
    pcfmcp_tracer_free(tr);
    MHD_stop_daemon(d);
    otlpsink_stop(sink);
}
END_TEST

/* ------------------------------------------------------------------ gate */

typedef struct {
    pcfmcp_pcf_t *p;
    pcfmcp__pcf_callctx cx;
    volatile int cancel;
    pcfmcp_error_t rc;
} caller;

static void *call_hosts(void *arg)
{
    caller *c = arg;
    c->cx.cancelled = &c->cancel;
    cJSON *args = cJSON_CreateObject();
    cJSON_AddStringToObject(args, "project_id", project);
    pcfmcp_pcf_result_t *r = NULL;
    c->rc = pcfmcp__pcf_call(c->p, &c->cx, PCFMCP__PCF_OP_HOSTS_LIST, args, &r);
    pcfmcp_pcf_result_free(r);
    cJSON_Delete(args);
    return NULL;
}

START_TEST(gate_makes_the_second_call_wait_then_gives_up_at_the_deadline)
{
    pcfmcp_gate_t *g = NULL;
    ck_assert_int_eq(pcfmcp_gate_new(&g, 1), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_pcf_set_gate(pcf, g), PCFMCP_OK);
    ck_assert_int_eq(fakepcf_control(fake, "/__fake__/faults",
                                     "{\"mode\":\"hang\",\"path\":\"/hosts$\",\"count\":1}", NULL),
                     200);
    caller a = { .p = pcf };
    pthread_t ta;
    pthread_create(&ta, NULL, call_hosts, &a);
    while (pcfmcp_gate_in_use(g) == 0)
        usleep(1000);
    /* Second call: a short budget it spends waiting for the gate. */
    caller b = { .p = pcf };
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    b.cx.deadline_ms = (uint64_t)now.tv_sec * 1000 + (uint64_t)now.tv_nsec / 1000000 + 200;
    call_hosts(&b);
    ck_assert_int_eq(b.rc, PCFMCP_ERR_UNAVAILABLE);
    /* Cancel the hung call; the gate is free again. */
    a.cancel = 1;
    pthread_join(ta, NULL);
    ck_assert_int_eq(a.rc, PCFMCP_ERR_CANCELLED);
    ck_assert_uint_eq(pcfmcp_gate_in_use(g), 0);
    ck_assert_int_eq(hosts(pcf), PCFMCP_OK);
    pcfmcp_pcf_set_gate(pcf, NULL);
    pcfmcp_gate_free(g);
}
END_TEST

/* ------------------------------------------------------------------ logs */

static char logbuf[65536];
static size_t loglen;
static pthread_mutex_t loglock = PTHREAD_MUTEX_INITIALIZER;

static void sink(pcfmcp_log_level_t level, const char *line, size_t len, void *ud)
{
    (void)level;
    (void)ud;
    pthread_mutex_lock(&loglock);
    if (loglen + len + 2 < sizeof(logbuf)) {
        memcpy(logbuf + loglen, line, len);
        loglen += len;
        logbuf[loglen++] = '\n';
        logbuf[loglen] = '\0';
    }
    pthread_mutex_unlock(&loglock);
}

START_TEST(pcf_log_lines_carry_the_request_fields)
{
    pcfmcp_logger_t *lg = NULL;
    ck_assert_int_eq(pcfmcp_logger_new(&lg), PCFMCP_OK);
    pcfmcp_logger_set_level(lg, PCFMCP_LOG_DEBUG);
    pcfmcp_logger_set_sink(lg, sink, NULL);
    pcfmcp_pcf_t *p = NULL;
    ck_assert_int_eq(pcfmcp_pcf_new(&p, fakepcf_url(fake), lg), PCFMCP_OK);
    pcfmcp_pcf_set_token(p, TOKEN);
    pcfmcp__pcf_callctx cx = { .traceparent = PARENT,
                               .request_id = "\"req-9\"",
                               .session = "sess-1",
                               .identity = "alice" };
    cJSON *args = cJSON_CreateObject();
    cJSON_AddStringToObject(args, "project_id", "00000000-0000-4000-8000-000000000000");
    pcfmcp_pcf_result_t *r = NULL;
    ck_assert_int_ne(pcfmcp__pcf_call(p, &cx, PCFMCP__PCF_OP_HOSTS_LIST, args, &r), PCFMCP_OK);
    pcfmcp_pcf_result_free(r);
    cJSON_Delete(args);
    pcfmcp_pcf_free(p);
    pcfmcp_logger_unref(lg);
    int lines = 0;
    for (char *s = logbuf, *nl; (nl = strchr(s, '\n')) != NULL; s = nl + 1) {
        *nl = '\0';
        cJSON *j = cJSON_Parse(s);
        ck_assert_ptr_nonnull(j);
        ck_assert_str_eq(cJSON_GetObjectItem(j, "session")->valuestring, "sess-1");
        ck_assert_str_eq(cJSON_GetObjectItem(j, "identity")->valuestring, "alice");
        ck_assert_str_eq(cJSON_GetObjectItem(j, "request_id")->valuestring, "\"req-9\"");
        ck_assert_str_eq(cJSON_GetObjectItem(j, "trace_id")->valuestring,
                         "4bf92f3577b34da6a3ce929d0e0e4736");
        cJSON_Delete(j);
        lines++;
    }
    ck_assert_int_ge(lines, 2); /* the attempt (debug) and the failure (info) */
}
END_TEST

int main(void)
{
    Suite *s = suite_create("pcf-hooks");
    TCase *tc = tcase_create("hooks");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, second_read_is_served_from_the_cache);
    tcase_add_test(tc, write_to_the_project_invalidates_its_reads);
    tcase_add_test(tc, identities_do_not_share_cached_answers);
    tcase_add_test(tc, failures_and_probes_are_never_cached);
    tcase_add_test(tc, pcf_receives_the_id_of_its_own_client_span);
    tcase_add_test(tc, gate_makes_the_second_call_wait_then_gives_up_at_the_deadline);
    tcase_add_test(tc, pcf_log_lines_carry_the_request_fields);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
