/* subscriptions/listen (MCP 2026-07-28) through the engine's public API:
 * acknowledgement first, filtered and tagged change notifications, no
 * response, and the end of the request when it is cancelled. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <pcfmcp/pcfmcp.h>

#include "helpers/collector.h"

static pcfmcp_engine_t *eng;
static pcfmcp_session_t *ses;
static collector col;

#define META "\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\"," \
             "\"io.modelcontextprotocol/clientCapabilities\":{}}"

static pcfmcp_error_t noop(pcfmcp_ctx_t *ctx, const char *a, size_t l, pcfmcp_result_t *r, void *u)
{
    (void)ctx, (void)a, (void)l, (void)u;
    return pcfmcp_result_add_text(r, "x", 1);
}

static pcfmcp_error_t read_res(pcfmcp_ctx_t *ctx, const char *uri, const char *v, pcfmcp_result_t *r, void *u)
{
    (void)ctx, (void)v, (void)u;
    return pcfmcp_result_add_contents_text(r, uri, NULL, "x", 1);
}

static pcfmcp_error_t prompt(pcfmcp_ctx_t *ctx, const char *a, pcfmcp_result_t *r, void *u)
{
    (void)ctx, (void)a, (void)u;
    return pcfmcp_result_add_message_text(r, "user", "x");
}

static void setup(void)
{
    ck_assert_int_eq(pcfmcp_engine_new(&eng, "t", "1"), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_engine_add_tool(eng, "{\"name\":\"a\",\"inputSchema\":{\"type\":\"object\"}}", noop, NULL), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_engine_add_resource(eng, "{\"uri\":\"test://r\",\"name\":\"r\"}", read_res, NULL), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_engine_add_prompt(eng, "{\"name\":\"p\"}", prompt, NULL), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_engine_enable_subscriptions(eng), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_session_new(&ses, eng, PCFMCP_SESSION_STATELESS), PCFMCP_OK);
    collector_init(&col);
}

static void teardown(void)
{
    pcfmcp_session_free(ses);
    pcfmcp_engine_free(eng);
    collector_free(&col);
}

static pcfmcp_handled_t listen_for(const char *notifications)
{
    char msg[512];
    snprintf(msg, sizeof(msg), "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"subscriptions/listen\",\"params\":{"
             "\"notifications\":%s," META "}}", notifications);
    pcfmcp_handled_t h = PCFMCP_HANDLED_DONE;
    ck_assert_int_eq(pcfmcp_engine_handle(eng, ses, msg, strlen(msg), collector_emit, &col, &h), PCFMCP_OK);
    return h;
}

static const char *method_of(cJSON *m)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(m, "method");
    return cJSON_IsString(v) ? v->valuestring : "";
}

START_TEST(listen_acknowledges_then_sends_only_wanted_changes_tagged)
{
    ck_assert_int_eq(listen_for("{\"toolsListChanged\":true,\"resourceSubscriptions\":[\"test://r\"]}"),
                     PCFMCP_HANDLED_PENDING);
    ck_assert_uint_eq(collector_count(&col), 1);
    cJSON *ack = collector_json(&col, 0);
    ck_assert_str_eq(method_of(ack), "notifications/subscriptions/acknowledged");
    const cJSON *sid = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(ack, "params"), "_meta"),
        "io.modelcontextprotocol/subscriptionId");
    /* The subscription is identified by the listen request's own id. */
    ck_assert(cJSON_IsNumber(sid));
    ck_assert_int_eq(sid->valueint, 1);
    /* The acknowledgement says what the server honours: here all of it. */
    const cJSON *honoured = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(ack, "params"),
                                                             "notifications");
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(honoured, "toolsListChanged")));
    ck_assert_str_eq(cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(honoured, "resourceSubscriptions"), 0)->valuestring,
                     "test://r");
    ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(honoured, "promptsListChanged"));
    /* A prompt change is filtered out; a tool change and the watched
     * resource's update arrive, with the subscription id. */
    ck_assert_int_eq(pcfmcp_engine_add_prompt(eng, "{\"name\":\"p2\"}", prompt, NULL), PCFMCP_OK);
    ck_assert_uint_eq(collector_count(&col), 1);
    ck_assert_int_eq(pcfmcp_engine_add_tool(eng, "{\"name\":\"b\",\"inputSchema\":{\"type\":\"object\"}}", noop, NULL), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_engine_notify_resource_updated(eng, "test://other"), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_engine_notify_resource_updated(eng, "test://r"), PCFMCP_OK);
    ck_assert_uint_eq(collector_count(&col), 3);
    cJSON *m1 = collector_json(&col, 1), *m2 = collector_json(&col, 2);
    ck_assert_str_eq(method_of(m1), "notifications/tools/list_changed");
    ck_assert_str_eq(method_of(m2), "notifications/resources/updated");
    const cJSON *sid1 = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(m1, "params"), "_meta"),
        "io.modelcontextprotocol/subscriptionId");
    ck_assert(cJSON_IsNumber(sid1));
    ck_assert_int_eq(sid1->valueint, 1);
    ck_assert_uint_eq(col.finals, 0);
    /* Cancellation (HTTP: the client closed the stream) ends it without a response. */
    pcfmcp_session_cancel_all(ses);
    ck_assert(collector_wait_finals(&col, 1));
    ck_assert_ptr_null(col.msgs[col.n - 1]);
    ck_assert_int_eq(pcfmcp_engine_add_tool(eng, "{\"name\":\"c\",\"inputSchema\":{\"type\":\"object\"}}", noop, NULL), PCFMCP_OK);
    ck_assert_uint_eq(collector_count(&col), 4);
    cJSON_Delete(ack);
    cJSON_Delete(m1);
    cJSON_Delete(m2);
}
END_TEST

START_TEST(listen_refuses_bad_filters_and_legacy_sessions)
{
    ck_assert_int_eq(listen_for("[1]"), PCFMCP_HANDLED_DONE);
    cJSON *r = collector_last(&col);
    ck_assert_int_eq(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r, "error"), "code")->valueint, -32602);
    cJSON_Delete(r);
    collector_reset(&col);
    ck_assert_int_eq(listen_for("{\"resourceSubscriptions\":[7]}"), PCFMCP_HANDLED_DONE);
    collector_reset(&col);
    /* 2025 sessions have no such method. */
    pcfmcp_session_t *legacy = NULL;
    ck_assert_int_eq(pcfmcp_session_new(&legacy, eng, PCFMCP_SESSION_STATELESS), PCFMCP_OK);
    const char *m = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"subscriptions/listen\",\"params\":{}}";
    ck_assert_int_eq(pcfmcp_engine_handle(eng, legacy, m, strlen(m), collector_emit, &col, NULL), PCFMCP_OK);
    r = collector_last(&col);
    ck_assert_int_eq(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r, "error"), "code")->valueint, -32601);
    cJSON_Delete(r);
    pcfmcp_session_free(legacy);
}
END_TEST

START_TEST(listen_needs_a_filter_and_acknowledges_only_what_is_offered)
{
    /* notifications is required. */
    const char *m = "{\"jsonrpc\":\"2.0\",\"id\":\"s-1\",\"method\":\"subscriptions/listen\",\"params\":{" META "}}";
    pcfmcp_handled_t h = PCFMCP_HANDLED_PENDING;
    ck_assert_int_eq(pcfmcp_engine_handle(eng, ses, m, strlen(m), collector_emit, &col, &h), PCFMCP_OK);
    ck_assert_int_eq(h, PCFMCP_HANDLED_DONE);
    cJSON *r = collector_last(&col);
    ck_assert_int_eq(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r, "error"), "code")->valueint, -32602);
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(r, "id")->valuestring, "s-1");
    cJSON_Delete(r);
    /* A server without resource subscriptions neither acknowledges nor
     * delivers them; a string id is the subscription id as it is. */
    pcfmcp_engine_t *plain = NULL;
    pcfmcp_session_t *ps = NULL;
    ck_assert_int_eq(pcfmcp_engine_new(&plain, "t", "1"), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_engine_add_resource(plain, "{\"uri\":\"test://r\",\"name\":\"r\"}", read_res, NULL), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_session_new(&ps, plain, PCFMCP_SESSION_STATELESS), PCFMCP_OK);
    collector_reset(&col);
    m = "{\"jsonrpc\":\"2.0\",\"id\":\"s-2\",\"method\":\"subscriptions/listen\",\"params\":{\"notifications\":{"
        "\"resourceSubscriptions\":[\"test://r\"],\"resourcesListChanged\":true,\"toolsListChanged\":true}," META "}}";
    ck_assert_int_eq(pcfmcp_engine_handle(plain, ps, m, strlen(m), collector_emit, &col, &h), PCFMCP_OK);
    ck_assert_int_eq(h, PCFMCP_HANDLED_PENDING);
    cJSON *ack = collector_json(&col, 0);
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(ack, "params");
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(p, "_meta"),
                                                      "io.modelcontextprotocol/subscriptionId")->valuestring, "s-2");
    const cJSON *honoured = cJSON_GetObjectItemCaseSensitive(p, "notifications");
    ck_assert(cJSON_IsObject(honoured));
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(honoured, "resourcesListChanged")));
    ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(honoured, "resourceSubscriptions"));
    ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(honoured, "toolsListChanged")); /* no tools here */
    ck_assert_int_eq(pcfmcp_engine_notify_resource_updated(plain, "test://r"), PCFMCP_OK);
    ck_assert_uint_eq(collector_count(&col), 1);
    cJSON_Delete(ack);
    pcfmcp_session_free(ps);
    pcfmcp_engine_free(plain);
}
END_TEST

START_TEST(listen_ends_when_its_session_is_freed)
{
    ck_assert_int_eq(listen_for("{\"promptsListChanged\":true}"), PCFMCP_HANDLED_PENDING);
    pcfmcp_session_free(ses);
    ses = NULL;
    ck_assert(collector_wait_finals(&col, 1));
    ck_assert_int_eq(pcfmcp_engine_add_prompt(eng, "{\"name\":\"p3\"}", prompt, NULL), PCFMCP_OK);
    ck_assert_uint_eq(collector_count(&col), 2); /* ack + the empty final */
}
END_TEST

int main(void)
{
    Suite *s = suite_create("listen");
    TCase *t = tcase_create("subscriptions");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, listen_acknowledges_then_sends_only_wanted_changes_tagged);
    tcase_add_test(t, listen_refuses_bad_filters_and_legacy_sessions);
    tcase_add_test(t, listen_ends_when_its_session_is_freed);
    tcase_add_test(t, listen_needs_a_filter_and_acknowledges_only_what_is_offered);
    suite_add_tcase(s, t);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
