/* Engine features the hardening layer builds on: the tool timeout, the
 * before-hook on every method with back-off error codes, per-request hook
 * data, read-only annotations and the session count. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <pcfmcp/pcfmcp.h>

#include "helpers/collector.h"

static pcfmcp_engine_t *eng;
static pcfmcp_session_t *ses;
static collector col;

static pcfmcp_error_t wait_for_cancel(pcfmcp_ctx_t *ctx, const char *a, size_t n,
                                      pcfmcp_result_t *r, void *ud)
{
    (void)a;
    (void)n;
    (void)ud;
    /* Bounded so that a broken engine fails the test instead of hanging it. */
    for (int i = 0; i < 10000 && !pcfmcp_ctx_is_cancelled(ctx); i++)
        usleep(1000);
    pcfmcp_result_add_text(r, "partial output", 14);
    return pcfmcp_ctx_is_cancelled(ctx) ? PCFMCP_ERR_CANCELLED : PCFMCP_OK;
}

static pcfmcp_error_t ask_client(pcfmcp_ctx_t *ctx, const char *a, size_t n, pcfmcp_result_t *r,
                                 void *ud)
{
    (void)a;
    (void)n;
    (void)ud;
    (void)r;
    char *answer = NULL;
    pcfmcp_error_t rc = pcfmcp_ctx_request(
        ctx, "elicitation/create",
        "{\"message\":\"?\",\"requestedSchema\":{\"type\":\"object\",\"properties\":{}}}", &answer);
    pcfmcp_free(answer);
    return rc;
}

static pcfmcp_error_t quick(pcfmcp_ctx_t *ctx, const char *a, size_t n, pcfmcp_result_t *r,
                            void *ud)
{
    (void)ctx;
    (void)a;
    (void)n;
    (void)ud;
    return pcfmcp_result_add_text(r, "done", 4);
}

static void setup(void)
{
    ck_assert_int_eq(pcfmcp_engine_new(&eng, "t", "1.0.0"), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_engine_set_threads(eng, 2, 8), PCFMCP_OK);
    ck_assert_int_eq(
        pcfmcp_engine_add_tool(eng,
                               "{\"name\":\"slow\",\"inputSchema\":{\"type\":\"object\"},"
                               "\"annotations\":{\"readOnlyHint\":true}}",
                               wait_for_cancel, NULL),
        PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_engine_add_tool(eng,
                                            "{\"name\":\"ask\",\"inputSchema\":{\"type\":\"object\"},"
                                            "\"annotations\":{\"readOnlyHint\":false}}",
                                            ask_client, NULL),
                     PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_engine_add_tool(
                         eng, "{\"name\":\"quick\",\"inputSchema\":{\"type\":\"object\"}}", quick,
                         NULL),
                     PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_session_new(&ses, eng, 0), PCFMCP_OK);
    collector_init(&col);
}

static void teardown(void)
{
    pcfmcp_session_free(ses);
    pcfmcp_engine_free(eng);
    collector_free(&col);
}

static cJSON *send_msg(const char *msg)
{
    collector_reset(&col);
    pcfmcp_handled_t h;
    ck_assert_int_eq(pcfmcp_engine_handle(eng, ses, msg, strlen(msg), collector_emit, &col, &h),
                     PCFMCP_OK);
    if (h == PCFMCP_HANDLED_NOTHING)
        return NULL;
    ck_assert(collector_wait_finals(&col, 1));
    return collector_last(&col);
}

static void initialize(void)
{
    cJSON *r = send_msg("{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{"
                        "\"protocolVersion\":\"2025-11-25\",\"capabilities\":{\"elicitation\":{}},"
                        "\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}");
    ck_assert_ptr_nonnull(cJSON_GetObjectItem(r, "result"));
    cJSON_Delete(r);
    ck_assert_ptr_null(send_msg("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}"));
}

static cJSON *call(const char *tool)
{
    char msg[256];
    snprintf(msg, sizeof(msg),
             "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\"%s\","
             "\"arguments\":{}}}",
             tool);
    return send_msg(msg);
}

static const char *first_text(const cJSON *resp)
{
    const cJSON *c = cJSON_GetObjectItem(cJSON_GetObjectItem(resp, "result"), "content");
    const cJSON *t = cJSON_GetObjectItem(cJSON_GetArrayItem(c, 0), "text");
    return cJSON_IsString(t) ? t->valuestring : "";
}

static volatile int outcome_seen = -1;

/* The after-hook runs once the answer is out: wait for it (bounded). */
static void wait_outcome(int want)
{
    for (int i = 0; i < 5000 && outcome_seen != want; i++)
        usleep(1000);
    ck_assert_int_eq(outcome_seen, want);
}
static int before_calls;
static char before_methods[512];

static void after(pcfmcp_ctx_t *ctx, const char *method, const char *name,
                  pcfmcp_outcome_t outcome, int code, double secs, void *ud)
{
    (void)method;
    (void)name;
    (void)code;
    (void)secs;
    (void)ud;
    outcome_seen = (int)outcome;
    /* The hook data set by the before-hook comes back here. */
    if (pcfmcp_ctx_hook_data(ctx))
        ck_assert_ptr_eq(pcfmcp_ctx_hook_data(ctx), &before_calls);
}

static pcfmcp_error_t before(pcfmcp_ctx_t *ctx, const char *method, const char *name,
                             const char *args, void *ud)
{
    (void)name;
    (void)args;
    (void)ud;
    before_calls++;
    strncat(before_methods, method, sizeof(before_methods) - strlen(before_methods) - 2);
    strcat(before_methods, " ");
    pcfmcp_ctx_set_hook_data(ctx, &before_calls);
    if (strcmp(method, "tools/list") == 0) {
        pcfmcp_ctx_set_refusal(ctx, "rate limit exceeded; retry in 2 s");
        return PCFMCP_ERR_RATE_LIMITED;
    }
    if (strcmp(method, "prompts/list") == 0) {
        pcfmcp_ctx_set_refusal(ctx, "shutting down");
        return PCFMCP_ERR_UNAVAILABLE;
    }
    return PCFMCP_OK;
}

START_TEST(tool_past_its_timeout_is_cancelled_and_answered_with_a_tool_error)
{
    pcfmcp_engine_set_hooks(eng, NULL, after, NULL);
    ck_assert_int_eq(pcfmcp_engine_set_tool_timeout(eng, 50), PCFMCP_OK);
    initialize();
    cJSON *r = call("slow");
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "result"), "isError")));
    ck_assert_ptr_nonnull(strstr(first_text(r), "timed out after 50 ms"));
    char *printed = cJSON_PrintUnformatted(r);
    ck_assert_ptr_null(strstr(printed, "partial output"));
    cJSON_free(printed);
    wait_outcome(PCFMCP_OUTCOME_TIMEOUT);
    cJSON_Delete(r);
    /* A fast tool under the same limit is unaffected. */
    r = call("quick");
    ck_assert_str_eq(first_text(r), "done");
    wait_outcome(PCFMCP_OUTCOME_OK);
    cJSON_Delete(r);
}
END_TEST

START_TEST(tool_timeout_wakes_a_handler_waiting_for_the_client)
{
    ck_assert_int_eq(pcfmcp_engine_set_tool_timeout(eng, 50), PCFMCP_OK);
    initialize();
    collector_reset(&col);
    const char *msg = "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/call\",\"params\":{"
                      "\"name\":\"ask\",\"arguments\":{}}}";
    pcfmcp_engine_handle(eng, ses, msg, strlen(msg), collector_emit, &col, NULL);
    /* The elicitation request goes out, the client never answers. */
    ck_assert(collector_wait_finals(&col, 1));
    cJSON *r = collector_last(&col);
    ck_assert_ptr_nonnull(strstr(first_text(r), "timed out"));
    cJSON_Delete(r);
}
END_TEST

START_TEST(client_cancel_still_sends_no_response_under_a_timeout)
{
    ck_assert_int_eq(pcfmcp_engine_set_tool_timeout(eng, 60000), PCFMCP_OK);
    initialize();
    collector_reset(&col);
    const char *msg = "{\"jsonrpc\":\"2.0\",\"id\":11,\"method\":\"tools/call\",\"params\":{"
                      "\"name\":\"slow\",\"arguments\":{}}}";
    pcfmcp_engine_handle(eng, ses, msg, strlen(msg), collector_emit, &col, NULL);
    while (pcfmcp_session_inflight(ses) == 0)
        usleep(100);
    const char *cancel = "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\","
                         "\"params\":{\"requestId\":11}}";
    pcfmcp_engine_handle(eng, ses, cancel, strlen(cancel), collector_emit, &col, NULL);
    ck_assert(collector_wait_finals(&col, 1));
    ck_assert_ptr_null(collector_last(&col));
}
END_TEST

START_TEST(zero_timeout_means_no_limit)
{
    ck_assert_int_eq(pcfmcp_engine_set_tool_timeout(eng, 0), PCFMCP_OK);
    initialize();
    cJSON *r = call("quick");
    ck_assert_str_eq(first_text(r), "done");
    cJSON_Delete(r);
    ck_assert_int_eq(pcfmcp_engine_set_tool_timeout(NULL, 5), PCFMCP_ERR_INVALID_ARG);
}
END_TEST

START_TEST(before_hook_runs_once_for_every_known_method)
{
    pcfmcp_engine_set_hooks(eng, before, after, NULL);
    initialize();
    before_calls = 0;
    before_methods[0] = '\0';
    cJSON *r = send_msg("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}");
    cJSON_Delete(r);
    r = call("quick");
    cJSON_Delete(r);
    r = send_msg("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"no/such/method\"}");
    cJSON_Delete(r);
    ck_assert_int_eq(before_calls, 2);
    ck_assert_str_eq(before_methods, "ping tools/call ");
}
END_TEST

START_TEST(refusals_keep_back_off_error_codes)
{
    pcfmcp_engine_set_hooks(eng, before, after, NULL);
    initialize();
    cJSON *r = send_msg("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/list\"}");
    const cJSON *e = cJSON_GetObjectItem(r, "error");
    ck_assert_int_eq(cJSON_GetObjectItem(e, "code")->valueint, -32001);
    ck_assert_str_eq(cJSON_GetObjectItem(e, "message")->valuestring,
                     "rate limit exceeded; retry in 2 s");
    wait_outcome(PCFMCP_OUTCOME_REFUSED);
    cJSON_Delete(r);
    r = send_msg("{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"prompts/list\"}");
    ck_assert_int_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "error"), "code")->valueint,
                     -32000);
    cJSON_Delete(r);
}
END_TEST

START_TEST(modern_refusals_use_codes_outside_the_reserved_range)
{
    /* 2026-07-28: -32000..-32019 SHOULD NOT be used, -32020..-32099 are the spec's. */
    pcfmcp_engine_set_hooks(eng, before, after, NULL);
    static const char meta[] = "\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\","
                               "\"io.modelcontextprotocol/clientCapabilities\":{}}";
    char m[256];
    snprintf(m, sizeof(m), "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/list\",\"params\":{%s}}", meta);
    cJSON *r = send_msg(m);
    ck_assert_int_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "error"), "code")->valueint, -31001);
    cJSON_Delete(r);
    snprintf(m, sizeof(m), "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"prompts/list\",\"params\":{%s}}", meta);
    r = send_msg(m);
    ck_assert_int_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "error"), "code")->valueint, -31000);
    cJSON_Delete(r);
}
END_TEST

START_TEST(read_only_annotation_and_session_count_are_visible)
{
    ck_assert_int_eq(pcfmcp_engine_tool_read_only(eng, "slow"), 1);
    ck_assert_int_eq(pcfmcp_engine_tool_read_only(eng, "ask"), 0);
    ck_assert_int_eq(pcfmcp_engine_tool_read_only(eng, "quick"), 0); /* no hint: a write */
    ck_assert_int_eq(pcfmcp_engine_tool_read_only(eng, "nope"), 0);
    ck_assert_uint_eq(pcfmcp_engine_session_count(eng), 1);
    pcfmcp_session_t *two = NULL, *per_request = NULL;
    ck_assert_int_eq(pcfmcp_session_new(&two, eng, 0), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_session_new(&per_request, eng, PCFMCP_SESSION_STATELESS), PCFMCP_OK);
    ck_assert_uint_eq(pcfmcp_engine_session_count(eng), 2); /* stateless ones hold no session */
    pcfmcp_session_free(two);
    pcfmcp_session_free(per_request);
    ck_assert_uint_eq(pcfmcp_engine_session_count(eng), 1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("engine-limits");
    TCase *tc = tcase_create("limits");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, tool_past_its_timeout_is_cancelled_and_answered_with_a_tool_error);
    tcase_add_test(tc, tool_timeout_wakes_a_handler_waiting_for_the_client);
    tcase_add_test(tc, client_cancel_still_sends_no_response_under_a_timeout);
    tcase_add_test(tc, zero_timeout_means_no_limit);
    tcase_add_test(tc, before_hook_runs_once_for_every_known_method);
    tcase_add_test(tc, refusals_keep_back_off_error_codes);
    tcase_add_test(tc, modern_refusals_use_codes_outside_the_reserved_range);
    tcase_add_test(tc, read_only_annotation_and_session_count_are_visible);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
