/* The MCP engine through its public API: framing errors, lifecycle, every
 * method, both protocol eras, cancellation, progress, logging, concurrency. */
#include <check.h>
#include <pthread.h>
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

/* ------------------------------------------------------------ fixtures */

static pcfmcp_error_t echo_tool(pcfmcp_ctx_t *ctx, const char *args, size_t len,
                                pcfmcp_result_t *r, void *ud)
{
    (void)ctx;
    (void)ud;
    return pcfmcp_result_add_text(r, args, len);
}

static pcfmcp_error_t structured_tool(pcfmcp_ctx_t *ctx, const char *args, size_t len,
                                      pcfmcp_result_t *r, void *ud)
{
    (void)ctx;
    (void)args;
    (void)len;
    const char *mode = ud;
    if (strcmp(mode, "ok") == 0)
        return pcfmcp_result_set_structured(r, "{\"count\":3}", 11);
    if (strcmp(mode, "bad") == 0)
        return pcfmcp_result_set_structured(r, "{\"count\":\"three\"}", 17);
    return PCFMCP_OK; /* "none": forgets structured content */
}

static pcfmcp_error_t failing_tool(pcfmcp_ctx_t *ctx, const char *args, size_t len,
                                   pcfmcp_result_t *r, void *ud)
{
    (void)ctx;
    (void)args;
    (void)len;
    (void)ud;
    pcfmcp_result_set_error(r, "PCF said: Project not found!");
    return PCFMCP_ERR_PCF;
}

static volatile int saw_cancel;

static pcfmcp_error_t slow_tool(pcfmcp_ctx_t *ctx, const char *args, size_t len,
                                pcfmcp_result_t *r, void *ud)
{
    (void)args;
    (void)len;
    (void)ud;
    /* Waits for cancellation, bounded so a broken engine fails the test
     * instead of hanging it. */
    for (int i = 0; i < 5000 && !pcfmcp_ctx_is_cancelled(ctx); i++)
        usleep(1000);
    saw_cancel = pcfmcp_ctx_is_cancelled(ctx);
    return pcfmcp_result_add_text(r, "late", 4);
}

static pcfmcp_error_t progress_tool(pcfmcp_ctx_t *ctx, const char *args, size_t len,
                                    pcfmcp_result_t *r, void *ud)
{
    (void)args;
    (void)len;
    (void)ud;
    ck_assert_int_eq(pcfmcp_ctx_progress(ctx, 1, 3, "one"), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_ctx_progress(ctx, 2, 3, NULL), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_ctx_progress(ctx, 2, 3, NULL), PCFMCP_ERR_INVALID_ARG);
    ck_assert_int_eq(pcfmcp_ctx_log(ctx, "info", "test", "{\"step\":\"done\"}"), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_ctx_log(ctx, "debug", "test", "\"detail\""), PCFMCP_OK);
    return pcfmcp_result_add_text(r, "done", 4);
}

static pcfmcp_error_t ask_tool(pcfmcp_ctx_t *ctx, const char *args, size_t len,
                               pcfmcp_result_t *r, void *ud)
{
    (void)args;
    (void)len;
    (void)ud;
    char *answer = NULL;
    pcfmcp_error_t rc = pcfmcp_ctx_request(
        ctx, "elicitation/create",
        "{\"message\":\"Name?\",\"requestedSchema\":{\"type\":\"object\",\"properties\":{}}}",
        &answer);
    if (rc != PCFMCP_OK) {
        if (rc != PCFMCP_ERR_INPUT_REQUIRED)
            pcfmcp_result_set_error(r, pcfmcp_ctx_errmsg(ctx));
        return rc;
    }
    rc = pcfmcp_result_add_text(r, answer, strlen(answer));
    pcfmcp_free(answer);
    return rc;
}

static pcfmcp_error_t read_static(pcfmcp_ctx_t *ctx, const char *uri, const char *vars,
                                  pcfmcp_result_t *r, void *ud)
{
    (void)ctx;
    (void)vars;
    (void)ud;
    return pcfmcp_result_add_contents_text(r, uri, "text/plain", "hello", 5);
}

static pcfmcp_error_t read_template(pcfmcp_ctx_t *ctx, const char *uri, const char *vars,
                                    pcfmcp_result_t *r, void *ud)
{
    (void)ctx;
    (void)ud;
    if (strstr(uri, "missing"))
        return PCFMCP_ERR_NOT_FOUND;
    return pcfmcp_result_add_contents_text(r, uri, "application/json", vars, strlen(vars));
}

static pcfmcp_error_t prompt_cb(pcfmcp_ctx_t *ctx, const char *args, pcfmcp_result_t *r, void *ud)
{
    (void)ctx;
    (void)ud;
    pcfmcp_result_set_description(r, "triage");
    return pcfmcp_result_add_message_text(r, "user", args);
}

static pcfmcp_error_t complete_cb(pcfmcp_ctx_t *ctx, const char *arg, const char *value,
                                  const char *context, pcfmcp_result_t *r, void *ud)
{
    (void)ctx;
    (void)arg;
    (void)context;
    (void)ud;
    for (int i = 0; i < 150; i++) {
        char v[32];
        snprintf(v, sizeof(v), "%s%03d", value, i);
        pcfmcp_result_add_completion(r, v);
    }
    return pcfmcp_result_set_completion_total(r, 150, 0);
}

static const char *const PORT_TOOL =
    "{\"name\":\"add_port\",\"title\":\"Add port\",\"description\":\"d\","
    "\"inputSchema\":{\"type\":\"object\",\"properties\":{"
    "\"port\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":65535},"
    "\"proto\":{\"type\":\"string\",\"enum\":[\"tcp\",\"udp\"]}},"
    "\"required\":[\"port\"],\"additionalProperties\":false}}";

static void register_all(pcfmcp_engine_t *e)
{
    ck_assert_int_eq(pcfmcp_engine_add_tool(e, PORT_TOOL, echo_tool, NULL), PCFMCP_OK);
    ck_assert_int_eq(
        pcfmcp_engine_add_tool(e,
                               "{\"name\":\"count\",\"description\":\"d\",\"inputSchema\":{"
                               "\"type\":\"object\"},\"outputSchema\":{\"type\":\"object\","
                               "\"properties\":{\"count\":{\"type\":\"integer\"}},\"required\":[\"count\"]}}",
                               structured_tool, (void *)"ok"),
        PCFMCP_OK);
    ck_assert_int_eq(
        pcfmcp_engine_add_tool(e,
                               "{\"name\":\"count_bad\",\"description\":\"d\",\"inputSchema\":{"
                               "\"type\":\"object\"},\"outputSchema\":{\"type\":\"object\","
                               "\"properties\":{\"count\":{\"type\":\"integer\"}}}}",
                               structured_tool, (void *)"bad"),
        PCFMCP_OK);
    ck_assert_int_eq(
        pcfmcp_engine_add_tool(e,
                               "{\"name\":\"count_none\",\"description\":\"d\",\"inputSchema\":{"
                               "\"type\":\"object\"},\"outputSchema\":{\"type\":\"object\"}}",
                               structured_tool, (void *)"none"),
        PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_engine_add_tool(e,
                                            "{\"name\":\"fail\",\"description\":\"d\","
                                            "\"inputSchema\":{\"type\":\"object\"}}",
                                            failing_tool, NULL),
                     PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_engine_add_tool(e,
                                            "{\"name\":\"slow\",\"description\":\"d\","
                                            "\"inputSchema\":{\"type\":\"object\"}}",
                                            slow_tool, NULL),
                     PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_engine_add_tool(e,
                                            "{\"name\":\"progress\",\"description\":\"d\","
                                            "\"inputSchema\":{\"type\":\"object\"}}",
                                            progress_tool, NULL),
                     PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_engine_add_tool(e,
                                            "{\"name\":\"ask\",\"description\":\"d\","
                                            "\"inputSchema\":{\"type\":\"object\"}}",
                                            ask_tool, NULL),
                     PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_engine_add_resource(e, "{\"uri\":\"test://static\",\"name\":\"s\"}",
                                                read_static, NULL),
                     PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_engine_add_resource_template(
                         e, "{\"uriTemplate\":\"test://item/{id}\",\"name\":\"item\"}",
                         read_template, NULL),
                     PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_engine_add_prompt(e,
                                              "{\"name\":\"triage\",\"arguments\":[{\"name\":"
                                              "\"project\",\"required\":true},{\"name\":\"focus\"}]}",
                                              prompt_cb, NULL),
                     PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_engine_add_completion(e, "ref/prompt", "triage", complete_cb, NULL),
                     PCFMCP_OK);
}

static void setup_threads(unsigned threads)
{
    ck_assert_int_eq(pcfmcp_engine_new(&eng, "test-server", "1.2.3"), PCFMCP_OK);
    if (threads)
        ck_assert_int_eq(pcfmcp_engine_set_threads(eng, threads, 16), PCFMCP_OK);
    pcfmcp_engine_set_validate_output(eng, 1);
    register_all(eng);
    ck_assert_int_eq(pcfmcp_session_new(&ses, eng, 0), PCFMCP_OK);
    collector_init(&col);
}

static void setup(void)
{
    setup_threads(0);
}

static void setup_pool(void)
{
    setup_threads(2);
}

static void teardown(void)
{
    pcfmcp_session_free(ses);
    pcfmcp_engine_free(eng);
    collector_free(&col);
}

/* Sends one message and returns the final answer, parsed (or NULL if none). */
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

/* Whether the compact JSON of `j` contains `needle`. */
static bool contains(const cJSON *j, const char *needle)
{
    char *s = cJSON_PrintUnformatted(j);
    bool found = s && strstr(s, needle) != NULL;
    free(s);
    return found;
}

static int error_code(const cJSON *resp)
{
    const cJSON *e = cJSON_GetObjectItem(resp, "error");
    ck_assert_msg(e != NULL, "expected an error response");
    return cJSON_GetObjectItem(e, "code")->valueint;
}

static const cJSON *result_of(const cJSON *resp)
{
    const cJSON *r = cJSON_GetObjectItem(resp, "result");
    ck_assert_msg(r != NULL, "expected a result, got %s", cJSON_PrintUnformatted(resp));
    return r;
}

static void initialize(const char *version)
{
    char msg[256];
    snprintf(msg, sizeof(msg),
             "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":"
             "\"%s\",\"capabilities\":{\"elicitation\":{}},\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}",
             version);
    cJSON *r = send_msg(msg);
    result_of(r);
    cJSON_Delete(r);
    ck_assert_ptr_null(send_msg("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}"));
}

static cJSON *call(const char *tool, const char *args)
{
    char msg[1024];
    snprintf(msg, sizeof(msg),
             "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\"%s\","
             "\"arguments\":%s}}",
             tool, args);
    return send_msg(msg);
}

/* -------------------------------------------------------------- framing */

START_TEST(engine_answers_garbage_with_parse_error)
{
    cJSON *r = send_msg("{not json");
    ck_assert_int_eq(error_code(r), -32700);
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(r, "id")));
    cJSON_Delete(r);
}
END_TEST

START_TEST(engine_rejects_invalid_utf8_as_parse_error)
{
    cJSON *r = send_msg("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"p\xff\"}");
    ck_assert_int_eq(error_code(r), -32700);
    ck_assert(strstr(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "error"), "message")->valuestring,
                     "UTF-8"));
    cJSON_Delete(r);
}
END_TEST

START_TEST(engine_rejects_json_nested_too_deep)
{
    char deep[300];
    memset(deep, '[', 100);
    memset(deep + 100, ']', 100);
    deep[200] = '\0';
    cJSON *r = send_msg(deep);
    ck_assert_int_eq(error_code(r), -32700);
    cJSON_Delete(r);
}
END_TEST

START_TEST(engine_rejects_malformed_requests_as_invalid_request)
{
    const char *bad[] = {
        "[]x",
        "42",
        "{\"id\":1,\"method\":\"ping\"}",
        "{\"jsonrpc\":\"1.0\",\"id\":1,\"method\":\"ping\"}",
        "{\"jsonrpc\":\"2.0\",\"id\":null,\"method\":\"ping\"}",
        "{\"jsonrpc\":\"2.0\",\"id\":true,\"method\":\"ping\"}",
        "{\"jsonrpc\":\"2.0\",\"id\":1.5,\"method\":\"ping\"}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":7}",
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":[1]}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        cJSON *r = send_msg(bad[i]);
        int code = error_code(r);
        ck_assert_msg(code == -32600 || (i == 0 && code == -32700), "case %zu got %d", i, code);
        cJSON_Delete(r);
    }
}
END_TEST

START_TEST(engine_echoes_string_and_integer_ids)
{
    cJSON *r = send_msg("{\"jsonrpc\":\"2.0\",\"id\":\"abc\",\"method\":\"ping\"}");
    ck_assert_str_eq(cJSON_GetObjectItem(r, "id")->valuestring, "abc");
    cJSON_Delete(r);
    r = send_msg("{\"jsonrpc\":\"2.0\",\"id\":9007199254740991,\"method\":\"ping\"}");
    /* The raw text, not a reprint: the id must come back digit for digit. */
    ck_assert(strstr(col.msgs[0], "\"id\":9007199254740991,") != NULL);
    cJSON_Delete(r);
}
END_TEST

START_TEST(engine_echoes_integer_ids_beyond_2_53_digit_for_digit)
{
    /* A double holds 9007199254740993 as ...992: the id must not go through one. */
    static const char *const ids[] = { "9007199254740993", "-9007199254740993",
                                       "123456789012345678901234567890" };
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        char msg[256], want[128];
        snprintf(msg, sizeof(msg), "{\"jsonrpc\":\"2.0\",\"id\":%s,\"method\":\"ping\"}", ids[i]);
        snprintf(want, sizeof(want), "\"id\":%s,", ids[i]);
        cJSON *r = send_msg(msg);
        ck_assert_msg(strstr(col.msgs[0], want) != NULL, "sent %s, got %s", ids[i], col.msgs[0]);
        ck_assert_ptr_null(cJSON_GetObjectItem(r, "error"));
        cJSON_Delete(r);
        /* Errors echo it the same way. */
        snprintf(msg, sizeof(msg), "{\"jsonrpc\":\"2.0\",\"id\":%s,\"method\":\"no/such\"}", ids[i]);
        r = send_msg(msg);
        ck_assert_msg(strstr(col.msgs[0], want) != NULL, "sent %s, got %s", ids[i], col.msgs[0]);
        cJSON_Delete(r);
    }
    /* A progress token comes back as sent too. */
    initialize("2025-11-25");
    cJSON *r = send_msg("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":\"progress\","
                        "\"arguments\":{},\"_meta\":{\"progressToken\":18014398509481985}}}");
    cJSON_Delete(r);
    bool seen = false;
    for (size_t i = 0; i < col.n; i++)
        seen |= strstr(col.msgs[i], "\"progressToken\":18014398509481985") != NULL;
    ck_assert_msg(seen, "the progress token was changed: %s", col.msgs[0]);
}
END_TEST

START_TEST(engine_refuses_nul_in_strings_instead_of_truncating)
{
    /* cJSON hands strings over NUL-terminated: "x\u0000y" would become "x". */
    cJSON *r = send_msg("{\"jsonrpc\":\"2.0\",\"id\":\"x\\u0000y\",\"method\":\"ping\"}");
    ck_assert_int_eq(error_code(r), -32700);
    ck_assert(cJSON_IsNull(cJSON_GetObjectItem(r, "id")));
    ck_assert_ptr_nonnull(strstr(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "error"), "message")->valuestring,
                                 "U+0000"));
    cJSON_Delete(r);
    initialize("2025-11-25");
    r = call("add_port", "{\"port\":1,\"proto\":\"tcp\\u0000udp\"}");
    ck_assert_int_eq(error_code(r), -32700);
    ck_assert(!contains(r, "tcp"));
    cJSON_Delete(r);
}
END_TEST

START_TEST(engine_refuses_duplicate_member_names)
{
    /* cJSON keeps the first "method", a proxy or log reader in JavaScript
     * or Python the last: the server must not serve one request that others
     * read as another. */
    cJSON *r = send_msg("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"method\":\"tools/list\"}");
    ck_assert_int_eq(error_code(r), -32700);
    ck_assert_ptr_nonnull(strstr(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "error"), "message")->valuestring,
                                 "twice"));
    cJSON_Delete(r);
    initialize("2025-11-25");
    r = call("add_port", "{\"port\":1,\"port\":2}");
    ck_assert_int_eq(error_code(r), -32700);
    cJSON_Delete(r);
}
END_TEST

START_TEST(engine_ignores_notifications_and_unknown_responses)
{
    ck_assert_ptr_null(send_msg("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/whatever\"}"));
    ck_assert_ptr_null(send_msg("{\"jsonrpc\":\"2.0\",\"id\":\"srv-99\",\"result\":{}}"));
    ck_assert_uint_eq(collector_count(&col), 0);
}
END_TEST

/* ------------------------------------------------------------ lifecycle */

START_TEST(initialize_echoes_a_supported_version)
{
    const char *versions[] = { "2025-11-25", "2025-06-18", "2025-03-26", "2024-11-05" };
    for (size_t i = 0; i < 4; i++) {
        pcfmcp_session_t *s2;
        pcfmcp_session_new(&s2, eng, 0);
        char msg[200];
        snprintf(msg, sizeof(msg),
                 "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"
                 "\"protocolVersion\":\"%s\",\"capabilities\":{}}}",
                 versions[i]);
        collector_reset(&col);
        pcfmcp_engine_handle(eng, s2, msg, strlen(msg), collector_emit, &col, NULL);
        cJSON *r = collector_last(&col);
        ck_assert_str_eq(cJSON_GetObjectItem(result_of(r), "protocolVersion")->valuestring,
                         versions[i]);
        ck_assert_str_eq(pcfmcp_session_protocol_version(s2), versions[i]);
        cJSON_Delete(r);
        pcfmcp_session_free(s2);
    }
}
END_TEST

START_TEST(initialize_offers_latest_for_unknown_version)
{
    cJSON *r = send_msg("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"
                        "\"protocolVersion\":\"1999-01-01\",\"capabilities\":{}}}");
    const cJSON *res = result_of(r);
    ck_assert_str_eq(cJSON_GetObjectItem(res, "protocolVersion")->valuestring, "2025-11-25");
    const cJSON *info = cJSON_GetObjectItem(res, "serverInfo");
    ck_assert_str_eq(cJSON_GetObjectItem(info, "name")->valuestring, "test-server");
    ck_assert_str_eq(cJSON_GetObjectItem(info, "version")->valuestring, "1.2.3");
    const cJSON *caps = cJSON_GetObjectItem(res, "capabilities");
    ck_assert_ptr_nonnull(cJSON_GetObjectItem(caps, "tools"));
    ck_assert_ptr_nonnull(cJSON_GetObjectItem(caps, "resources"));
    ck_assert_ptr_nonnull(cJSON_GetObjectItem(caps, "prompts"));
    ck_assert_ptr_nonnull(cJSON_GetObjectItem(caps, "completions"));
    ck_assert_ptr_nonnull(cJSON_GetObjectItem(caps, "logging"));
    cJSON_Delete(r);
}
END_TEST

START_TEST(initialize_needs_a_protocol_version)
{
    cJSON *r = send_msg("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{}}");
    ck_assert_int_eq(error_code(r), -32602);
    cJSON_Delete(r);
}
END_TEST

START_TEST(initialize_twice_is_refused)
{
    initialize("2025-11-25");
    cJSON *r = send_msg("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"initialize\",\"params\":{"
                        "\"protocolVersion\":\"2025-11-25\"}}");
    ck_assert_int_eq(error_code(r), -32600);
    cJSON_Delete(r);
}
END_TEST

START_TEST(requests_before_initialize_are_refused_but_ping_works)
{
    cJSON *r = send_msg("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}");
    ck_assert_int_eq(error_code(r), -32600);
    cJSON_Delete(r);
    r = send_msg("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}");
    ck_assert_int_eq(cJSON_GetArraySize(result_of(r)), 0);
    cJSON_Delete(r);
}
END_TEST

START_TEST(unknown_method_is_method_not_found)
{
    initialize("2025-11-25");
    cJSON *r = send_msg("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/frobnicate\"}");
    ck_assert_int_eq(error_code(r), -32601);
    cJSON_Delete(r);
}
END_TEST

START_TEST(capabilities_only_for_what_is_served)
{
    pcfmcp_engine_t *bare;
    pcfmcp_engine_new(&bare, "bare", "0");
    char *caps = NULL;
    ck_assert_int_eq(pcfmcp_engine_capabilities_json(bare, &caps), PCFMCP_OK);
    ck_assert_ptr_null(strstr(caps, "tools"));
    ck_assert_ptr_null(strstr(caps, "prompts"));
    ck_assert_ptr_null(strstr(caps, "resources"));
    pcfmcp_free(caps);
    pcfmcp_session_t *s2;
    pcfmcp_session_new(&s2, bare, 0);
    const char *init = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"
                       "\"protocolVersion\":\"2025-11-25\"}}";
    pcfmcp_engine_handle(bare, s2, init, strlen(init), collector_emit, &col, NULL);
    collector_reset(&col);
    const char *pl = "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"prompts/list\"}";
    pcfmcp_engine_handle(bare, s2, pl, strlen(pl), collector_emit, &col, NULL);
    cJSON *r = collector_last(&col);
    ck_assert_int_eq(error_code(r), -32601);
    cJSON_Delete(r);
    pcfmcp_session_free(s2);
    pcfmcp_engine_free(bare);
}
END_TEST

/* ------------------------------------------------------------ registry */

START_TEST(registration_rejects_bad_definitions)
{
    ck_assert_int_eq(pcfmcp_engine_add_tool(eng, "{\"name\":\"bad name!\",\"inputSchema\":{\"type\":\"object\"}}",
                                            echo_tool, NULL),
                     PCFMCP_ERR_INVALID_ARG);
    ck_assert_int_eq(pcfmcp_engine_add_tool(eng, "{\"name\":\"x\",\"inputSchema\":{\"type\":\"string\"}}",
                                            echo_tool, NULL),
                     PCFMCP_ERR_INVALID_ARG);
    ck_assert(strstr(pcfmcp_engine_errmsg(eng), "inputSchema") != NULL);
    ck_assert_int_eq(pcfmcp_engine_add_tool(eng, PORT_TOOL, echo_tool, NULL), PCFMCP_ERR_STATE);
    ck_assert_int_eq(pcfmcp_engine_add_tool(eng, "not json", echo_tool, NULL), PCFMCP_ERR_INVALID_ARG);
    ck_assert_int_eq(pcfmcp_engine_add_resource_template(eng, "{\"uriTemplate\":\"x://{\",\"name\":\"n\"}",
                                                         read_template, NULL),
                     PCFMCP_ERR_INVALID_ARG);
    ck_assert_int_eq(pcfmcp_engine_add_prompt(eng, "{\"name\":\"p\",\"arguments\":{}}", prompt_cb, NULL),
                     PCFMCP_ERR_INVALID_ARG);
}
END_TEST

START_TEST(tools_list_pages_with_opaque_cursors)
{
    ck_assert_int_eq(pcfmcp_engine_set_page_size(eng, 3), PCFMCP_OK);
    initialize("2025-11-25");
    size_t seen = 0;
    char cursor[256] = "";
    for (int page = 0; page < 10; page++) {
        char msg[512];
        if (cursor[0])
            snprintf(msg, sizeof(msg),
                     "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":{\"cursor\":\"%s\"}}",
                     cursor);
        else
            snprintf(msg, sizeof(msg), "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}");
        cJSON *r = send_msg(msg);
        const cJSON *res = result_of(r);
        seen += (size_t)cJSON_GetArraySize(cJSON_GetObjectItem(res, "tools"));
        const cJSON *next = cJSON_GetObjectItem(res, "nextCursor");
        cursor[0] = '\0';
        if (next)
            snprintf(cursor, sizeof(cursor), "%s", next->valuestring);
        cJSON_Delete(r);
        if (!cursor[0])
            break;
    }
    ck_assert_uint_eq(seen, pcfmcp_engine_tool_count(eng));
    cJSON *r = send_msg("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":{\"cursor\":\"bogus\"}}");
    ck_assert_int_eq(error_code(r), -32602);
    cJSON_Delete(r);
}
END_TEST

/* One list request, with `cursor` when it is not empty. */
static cJSON *list_page(const char *method, const char *cursor)
{
    char msg[512];
    if (cursor && cursor[0])
        snprintf(msg, sizeof(msg),
                 "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"%s\",\"params\":{\"cursor\":\"%s\"}}",
                 method, cursor);
    else
        snprintf(msg, sizeof(msg), "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"%s\"}", method);
    return send_msg(msg);
}

/* The cursor of the first page of `method`, copied into `out`. */
static void first_cursor(const char *method, char *out, size_t cap)
{
    cJSON *r = list_page(method, NULL);
    const cJSON *next = cJSON_GetObjectItem(result_of(r), "nextCursor");
    ck_assert_msg(cJSON_IsString(next), "%s: the first page should have a next cursor", method);
    snprintf(out, cap, "%s", next->valuestring);
    cJSON_Delete(r);
}

/* Walks every page of `method` and checks that the items, identified by
 * `key`, are exactly `want` (each once, in any order), over several pages. */
static void check_full_traversal(const char *method, const char *member, const char *key,
                                 const char *const *want, size_t nwant)
{
    int *seen = calloc(nwant, sizeof(*seen));
    size_t total = 0, pages = 0;
    char cursor[256] = "";
    do {
        ck_assert_uint_lt(pages, 20);
        cJSON *r = list_page(method, cursor);
        const cJSON *res = result_of(r);
        const cJSON *items = cJSON_GetObjectItem(res, member);
        ck_assert_msg(cJSON_IsArray(items), "%s: no %s array", method, member);
        ck_assert_int_le(cJSON_GetArraySize(items), 3);
        const cJSON *it;
        cJSON_ArrayForEach(it, items) {
            const char *k = cJSON_GetObjectItem(it, key)->valuestring;
            size_t i = 0;
            while (i < nwant && strcmp(want[i], k) != 0)
                i++;
            ck_assert_msg(i < nwant, "%s: unexpected item %s", method, k);
            ck_assert_msg(seen[i] == 0, "%s: %s listed twice", method, k);
            seen[i]++;
            total++;
        }
        const cJSON *next = cJSON_GetObjectItem(res, "nextCursor");
        cursor[0] = '\0';
        if (next)
            snprintf(cursor, sizeof(cursor), "%s", next->valuestring);
        cJSON_Delete(r);
        pages++;
    } while (cursor[0]);
    ck_assert_uint_eq(total, nwant);
    ck_assert_uint_eq(pages, (nwant + 2) / 3);
    free(seen);
}

static void check_bad_cursors(const char *method, const char *other_method)
{
    cJSON *r = list_page(method, "bogus");
    ck_assert_int_eq(error_code(r), -32602);
    ck_assert(contains(r, "cursor"));
    cJSON_Delete(r);
    /* A valid cursor of another list is not a cursor of this one. */
    char other[256];
    first_cursor(other_method, other, sizeof(other));
    r = list_page(method, other);
    ck_assert_int_eq(error_code(r), -32602);
    cJSON_Delete(r);
}

START_TEST(resources_list_pages_with_opaque_cursors)
{
    ck_assert_int_eq(pcfmcp_engine_set_page_size(eng, 3), PCFMCP_OK);
    static const char *const want[] = { "test://static", "test://r1", "test://r2", "test://r3",
                                        "test://r4", "test://r5", "test://r6" };
    for (int i = 1; i <= 6; i++) {
        char def[128];
        snprintf(def, sizeof(def), "{\"uri\":\"test://r%d\",\"name\":\"r%d\"}", i, i);
        ck_assert_int_eq(pcfmcp_engine_add_resource(eng, def, read_static, NULL), PCFMCP_OK);
    }
    initialize("2025-11-25");
    check_full_traversal("resources/list", "resources", "uri", want, 7);
    check_bad_cursors("resources/list", "tools/list");
    /* A cursor from before the list changed is stale, not silently shifted. */
    char cursor[256];
    first_cursor("resources/list", cursor, sizeof(cursor));
    ck_assert_int_eq(pcfmcp_engine_add_resource(eng, "{\"uri\":\"test://r7\",\"name\":\"r7\"}",
                                                read_static, NULL),
                     PCFMCP_OK);
    cJSON *r = list_page("resources/list", cursor);
    ck_assert_int_eq(error_code(r), -32602);
    cJSON_Delete(r);
}
END_TEST

START_TEST(resource_templates_list_pages_with_opaque_cursors)
{
    ck_assert_int_eq(pcfmcp_engine_set_page_size(eng, 3), PCFMCP_OK);
    static const char *const want[] = { "test://item/{id}", "test://t1/{id}", "test://t2/{id}",
                                        "test://t3/{id}",   "test://t4/{id}", "test://t5/{id}",
                                        "test://t6/{id}" };
    for (int i = 1; i <= 6; i++) {
        char def[128];
        snprintf(def, sizeof(def), "{\"uriTemplate\":\"test://t%d/{id}\",\"name\":\"t%d\"}", i, i);
        ck_assert_int_eq(pcfmcp_engine_add_resource_template(eng, def, read_template, NULL),
                         PCFMCP_OK);
    }
    initialize("2025-11-25");
    check_full_traversal("resources/templates/list", "resourceTemplates", "uriTemplate", want, 7);
    check_bad_cursors("resources/templates/list", "tools/list");
    char cursor[256];
    first_cursor("resources/templates/list", cursor, sizeof(cursor));
    ck_assert_int_eq(pcfmcp_engine_add_resource_template(
                         eng, "{\"uriTemplate\":\"test://t7/{id}\",\"name\":\"t7\"}", read_template,
                         NULL),
                     PCFMCP_OK);
    cJSON *r = list_page("resources/templates/list", cursor);
    ck_assert_int_eq(error_code(r), -32602);
    cJSON_Delete(r);
}
END_TEST

START_TEST(prompts_list_pages_with_opaque_cursors)
{
    ck_assert_int_eq(pcfmcp_engine_set_page_size(eng, 3), PCFMCP_OK);
    static const char *const want[] = { "triage", "p1", "p2", "p3", "p4", "p5", "p6" };
    for (int i = 1; i <= 6; i++) {
        char def[128];
        snprintf(def, sizeof(def), "{\"name\":\"p%d\"}", i);
        ck_assert_int_eq(pcfmcp_engine_add_prompt(eng, def, prompt_cb, NULL), PCFMCP_OK);
    }
    initialize("2025-11-25");
    check_full_traversal("prompts/list", "prompts", "name", want, 7);
    check_bad_cursors("prompts/list", "tools/list");
    char cursor[256];
    first_cursor("prompts/list", cursor, sizeof(cursor));
    ck_assert_int_eq(pcfmcp_engine_add_prompt(eng, "{\"name\":\"p7\"}", prompt_cb, NULL), PCFMCP_OK);
    cJSON *r = list_page("prompts/list", cursor);
    ck_assert_int_eq(error_code(r), -32602);
    cJSON_Delete(r);
}
END_TEST

START_TEST(a_batch_of_registry_changes_notifies_once)
{
    initialize("2025-11-25");
    collector notes;
    collector_init(&notes);
    pcfmcp_session_set_notify(ses, collector_emit, &notes);
    static const char t1[] = "{\"name\":\"b1\",\"inputSchema\":{\"type\":\"object\"}}";
    static const char t2[] = "{\"name\":\"b2\",\"inputSchema\":{\"type\":\"object\"}}";
    ck_assert_int_eq(pcfmcp_engine_batch_end(eng), PCFMCP_ERR_STATE);
    ck_assert_int_eq(pcfmcp_engine_batch_begin(eng), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_engine_add_tool(eng, t1, echo_tool, NULL), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_engine_batch_begin(eng), PCFMCP_OK); /* nested */
    ck_assert_int_eq(pcfmcp_engine_add_tool(eng, t2, echo_tool, NULL), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_engine_remove_tool(eng, "fail"), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_engine_batch_end(eng), PCFMCP_OK);
    /* The changes are visible at once; only the notification waits. */
    ck_assert_uint_eq(collector_count(&notes), 0);
    cJSON *r = send_msg("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}");
    ck_assert(contains(r, "\"b1\"") && contains(r, "\"b2\"") && !contains(r, "\"fail\""));
    cJSON_Delete(r);
    ck_assert_int_eq(pcfmcp_engine_batch_end(eng), PCFMCP_OK);
    ck_assert_uint_eq(collector_count(&notes), 1);
    cJSON *n = collector_json(&notes, 0);
    ck_assert_str_eq(cJSON_GetObjectItem(n, "method")->valuestring,
                     "notifications/tools/list_changed");
    cJSON_Delete(n);
    /* Outside a batch each change is told at once again. */
    ck_assert_int_eq(pcfmcp_engine_remove_tool(eng, "b1"), PCFMCP_OK);
    ck_assert_uint_eq(collector_count(&notes), 2);
    pcfmcp_session_set_notify(ses, NULL, NULL);
    collector_free(&notes);
}
END_TEST

START_TEST(removing_a_tool_notifies_sessions)
{
    initialize("2025-11-25");
    collector notes;
    collector_init(&notes);
    pcfmcp_session_set_notify(ses, collector_emit, &notes);
    ck_assert_int_eq(pcfmcp_engine_remove_tool(eng, "fail"), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_engine_remove_tool(eng, "fail"), PCFMCP_ERR_NOT_FOUND);
    ck_assert_uint_eq(collector_count(&notes), 1);
    cJSON *n = collector_json(&notes, 0);
    ck_assert_str_eq(cJSON_GetObjectItem(n, "method")->valuestring,
                     "notifications/tools/list_changed");
    cJSON_Delete(n);
    pcfmcp_session_set_notify(ses, NULL, NULL);
    collector_free(&notes);
    cJSON *r = call("fail", "{}");
    ck_assert_int_eq(error_code(r), -32602);
    cJSON_Delete(r);
}
END_TEST

/* ----------------------------------------------------------- tools/call */

START_TEST(unknown_tool_is_invalid_params)
{
    initialize("2025-11-25");
    cJSON *r = call("nope", "{}");
    ck_assert_int_eq(error_code(r), -32602);
    cJSON_Delete(r);
}
END_TEST

START_TEST(withheld_tool_says_why_with_the_same_code)
{
    initialize("2025-11-25");
    ck_assert_int_eq(pcfmcp_engine_withhold_tool(NULL, "x", "r"), PCFMCP_ERR_INVALID_ARG);
    ck_assert_int_eq(pcfmcp_engine_withhold_tool(eng, "", "r"), PCFMCP_ERR_INVALID_ARG);
    ck_assert_int_eq(pcfmcp_engine_withhold_tool(eng, "x", ""), PCFMCP_ERR_INVALID_ARG);
    ck_assert_int_eq(pcfmcp_engine_withhold_tool(eng, "wipe", "first reason"), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_engine_withhold_tool(eng, "wipe", "destructive tools are off (x.y)"),
                     PCFMCP_OK);
    size_t before = pcfmcp_engine_tool_count(eng);
    cJSON *r = call("wipe", "{}");
    ck_assert_int_eq(error_code(r), -32602);
    const cJSON *e = cJSON_GetObjectItem(r, "error");
    ck_assert_str_eq(cJSON_GetObjectItem(e, "message")->valuestring,
                     "wipe is not offered: destructive tools are off (x.y)");
    const cJSON *d = cJSON_GetObjectItem(e, "data");
    ck_assert_str_eq(cJSON_GetObjectItem(d, "name")->valuestring, "wipe");
    ck_assert_str_eq(cJSON_GetObjectItem(d, "reason")->valuestring,
                     "destructive tools are off (x.y)");
    cJSON_Delete(r);
    /* Withheld tools are not listed and do not count as tools. */
    ck_assert_uint_eq(pcfmcp_engine_tool_count(eng), before);
    /* Forgotten, the name is plain unknown again. */
    ck_assert_int_eq(pcfmcp_engine_withhold_tool(eng, "wipe", NULL), PCFMCP_OK);
    r = call("wipe", "{}");
    ck_assert_int_eq(error_code(r), -32602);
    e = cJSON_GetObjectItem(r, "error");
    ck_assert_str_eq(cJSON_GetObjectItem(e, "message")->valuestring, "unknown tool: wipe");
    ck_assert_ptr_null(cJSON_GetObjectItem(e, "data"));
    cJSON_Delete(r);
    /* A registered tool wins over a withheld name. */
    ck_assert_int_eq(pcfmcp_engine_withhold_tool(eng, "count", "not here"), PCFMCP_OK);
    r = call("count", "{}");
    ck_assert(!contains(r, "not offered"));
    result_of(r);
    cJSON_Delete(r);
}
END_TEST

START_TEST(invalid_arguments_come_back_as_tool_error)
{
    initialize("2025-11-25");
    cJSON *r = call("add_port", "{\"port\":70000,\"proto\":\"sctp\",\"extra\":1}");
    const cJSON *res = result_of(r);
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(res, "isError")));
    const char *text = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(res, "content"), 0),
                                           "text")->valuestring;
    ck_assert_msg(strstr(text, "/port") && strstr(text, "65535"), "%s", text);
    ck_assert_msg(strstr(text, "/proto"), "%s", text);
    ck_assert_msg(strstr(text, "extra"), "%s", text);
    cJSON_Delete(r);
    r = call("add_port", "{}");
    res = result_of(r);
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(res, "isError")));
    cJSON_Delete(r);
    r = send_msg("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/call\",\"params\":{\"name\":"
                 "\"add_port\",\"arguments\":[1]}}");
    ck_assert_int_eq(error_code(r), -32602);
    cJSON_Delete(r);
}
END_TEST

START_TEST(valid_call_returns_handler_content)
{
    initialize("2025-11-25");
    cJSON *r = call("add_port", "{\"port\":443,\"proto\":\"tcp\"}");
    const cJSON *res = result_of(r);
    ck_assert_ptr_null(cJSON_GetObjectItem(res, "isError"));
    const cJSON *c0 = cJSON_GetArrayItem(cJSON_GetObjectItem(res, "content"), 0);
    ck_assert_str_eq(cJSON_GetObjectItem(c0, "type")->valuestring, "text");
    ck_assert(strstr(cJSON_GetObjectItem(c0, "text")->valuestring, "443") != NULL);
    cJSON_Delete(r);
}
END_TEST

START_TEST(structured_content_gets_a_text_block_and_is_checked)
{
    initialize("2025-11-25");
    cJSON *r = call("count", "{}");
    const cJSON *res = result_of(r);
    ck_assert_int_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(res, "structuredContent"), "count")->valueint, 3);
    const cJSON *c0 = cJSON_GetArrayItem(cJSON_GetObjectItem(res, "content"), 0);
    ck_assert_str_eq(cJSON_GetObjectItem(c0, "text")->valuestring, "{\"count\":3}");
    cJSON_Delete(r);
    r = call("count_bad", "{}");
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(result_of(r), "isError")));
    ck_assert_ptr_null(cJSON_GetObjectItem(result_of(r), "structuredContent"));
    cJSON_Delete(r);
    r = call("count_none", "{}");
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(result_of(r), "isError")));
    cJSON_Delete(r);
}
END_TEST

START_TEST(handler_failure_is_a_readable_tool_error)
{
    initialize("2025-11-25");
    cJSON *r = call("fail", "{}");
    const cJSON *res = result_of(r);
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(res, "isError")));
    ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(res, "content"), 0),
                                         "text")->valuestring,
                     "PCF said: Project not found!");
    cJSON_Delete(r);
}
END_TEST

static pcfmcp_error_t refuse_writes(pcfmcp_ctx_t *ctx, const char *method, const char *name,
                                    const char *args, void *ud)
{
    (void)args;
    int *calls = ud;
    (*calls)++;
    if (strcmp(method, "tools/call") == 0 && name && strcmp(name, "add_port") == 0) {
        pcfmcp_ctx_set_refusal(ctx, "read-only mode: add_port is disabled");
        return PCFMCP_ERR_DENIED;
    }
    return PCFMCP_OK;
}

static int after_outcome = -1;
static void after_hook(pcfmcp_ctx_t *ctx, const char *method, const char *name,
                       pcfmcp_outcome_t outcome, int code, double secs, void *ud)
{
    (void)ctx;
    (void)method;
    (void)name;
    (void)code;
    (void)ud;
    ck_assert(secs >= 0);
    after_outcome = (int)outcome;
}

START_TEST(before_hook_can_refuse_a_call_with_a_reason)
{
    int calls = 0;
    pcfmcp_engine_set_hooks(eng, refuse_writes, after_hook, &calls);
    initialize("2025-11-25");
    cJSON *r = call("add_port", "{\"port\":1}");
    const cJSON *res = result_of(r);
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(res, "isError")));
    ck_assert(contains(res, "read-only mode"));
    ck_assert_int_eq(after_outcome, PCFMCP_OUTCOME_REFUSED);
    cJSON_Delete(r);
    r = call("count", "{}");
    ck_assert_int_eq(after_outcome, PCFMCP_OUTCOME_OK);
    cJSON_Delete(r);
    ck_assert_int_ge(calls, 2);
}
END_TEST

/* ----------------------------------------------------------- utilities */

START_TEST(progress_and_log_notifications_precede_the_result)
{
    initialize("2025-11-25");
    cJSON *lv = send_msg("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"logging/setLevel\",\"params\":{\"level\":\"info\"}}");
    result_of(lv);
    cJSON_Delete(lv);
    cJSON *r = send_msg("{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"tools/call\",\"params\":{"
                        "\"name\":\"progress\",\"arguments\":{},\"_meta\":{\"progressToken\":\"tok\"}}}");
    result_of(r);
    cJSON_Delete(r);
    /* two progress + one info log (debug filtered) + final */
    ck_assert_uint_eq(collector_count(&col), 4);
    cJSON *p0 = collector_json(&col, 0);
    ck_assert_str_eq(cJSON_GetObjectItem(p0, "method")->valuestring, "notifications/progress");
    const cJSON *pp = cJSON_GetObjectItem(p0, "params");
    ck_assert_str_eq(cJSON_GetObjectItem(pp, "progressToken")->valuestring, "tok");
    ck_assert_int_eq(cJSON_GetObjectItem(pp, "total")->valueint, 3);
    cJSON_Delete(p0);
    cJSON *l = collector_json(&col, 2);
    ck_assert_str_eq(cJSON_GetObjectItem(l, "method")->valuestring, "notifications/message");
    cJSON_Delete(l);
    cJSON *bad = send_msg("{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"logging/setLevel\",\"params\":{\"level\":\"loud\"}}");
    ck_assert_int_eq(error_code(bad), -32602);
    cJSON_Delete(bad);
}
END_TEST

START_TEST(no_progress_without_a_token)
{
    initialize("2025-11-25");
    cJSON *r = call("progress", "{}");
    result_of(r);
    cJSON_Delete(r);
    /* only the two log notifications (no level set: all sent) + final */
    ck_assert_uint_eq(collector_count(&col), 3);
}
END_TEST

START_TEST(cancelled_request_gets_no_response)
{
    initialize("2025-11-25");
    saw_cancel = 0;
    collector_reset(&col);
    const char *m = "{\"jsonrpc\":\"2.0\",\"id\":\"slow-1\",\"method\":\"tools/call\",\"params\":{"
                    "\"name\":\"slow\",\"arguments\":{}}}";
    pcfmcp_handled_t h;
    pcfmcp_engine_handle(eng, ses, m, strlen(m), collector_emit, &col, &h);
    ck_assert_int_eq(h, PCFMCP_HANDLED_PENDING);
    for (int i = 0; i < 1000 && pcfmcp_session_inflight(ses) == 0; i++)
        usleep(1000);
    const char *c = "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{"
                    "\"requestId\":\"slow-1\",\"reason\":\"user\"}}";
    pcfmcp_engine_handle(eng, ses, c, strlen(c), collector_emit, &col, &h);
    ck_assert_int_eq(h, PCFMCP_HANDLED_NOTHING);
    ck_assert(collector_wait_finals(&col, 1));
    ck_assert_int_eq(saw_cancel, 1);
    ck_assert_uint_eq(collector_count(&col), 1);
    ck_assert_ptr_null(col.msgs[0]); /* final without a message */
}
END_TEST

START_TEST(client_request_roundtrip_on_a_2025_session)
{
    initialize("2025-11-25");
    collector_reset(&col);
    const char *m = "{\"jsonrpc\":\"2.0\",\"id\":11,\"method\":\"tools/call\",\"params\":{"
                    "\"name\":\"ask\",\"arguments\":{}}}";
    pcfmcp_handled_t h;
    pcfmcp_engine_handle(eng, ses, m, strlen(m), collector_emit, &col, &h);
    ck_assert_int_eq(h, PCFMCP_HANDLED_PENDING);
    ck_assert(collector_wait_count(&col, 1));
    cJSON *req = collector_json(&col, 0);
    ck_assert_str_eq(cJSON_GetObjectItem(req, "method")->valuestring, "elicitation/create");
    char resp[256];
    snprintf(resp, sizeof(resp),
             "{\"jsonrpc\":\"2.0\",\"id\":\"%s\",\"result\":{\"action\":\"accept\",\"content\":{\"n\":\"Ada\"}}}",
             cJSON_GetObjectItem(req, "id")->valuestring);
    cJSON_Delete(req);
    collector other;
    collector_init(&other);
    pcfmcp_engine_handle(eng, ses, resp, strlen(resp), collector_emit, &other, &h);
    ck_assert_int_eq(h, PCFMCP_HANDLED_NOTHING);
    ck_assert(collector_wait_finals(&col, 1));
    cJSON *r = collector_last(&col);
    ck_assert(contains(r, "Ada"));
    cJSON_Delete(r);
    collector_free(&other);
}
END_TEST

START_TEST(batch_only_on_2025_03_26)
{
    initialize("2025-11-25");
    cJSON *r = send_msg("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]");
    ck_assert_int_eq(error_code(r), -32600);
    cJSON_Delete(r);
}
END_TEST

START_TEST(batch_answers_with_an_array_on_2025_03_26)
{
    initialize("2025-03-26");
    cJSON *r = send_msg("[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"},"
                        "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/x\"},"
                        "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"nope\"}]");
    ck_assert(cJSON_IsArray(r));
    ck_assert_int_eq(cJSON_GetArraySize(r), 2);
    cJSON_Delete(r);
    r = send_msg("[]");
    ck_assert_int_eq(error_code(r), -32600);
    cJSON_Delete(r);
}
END_TEST

START_TEST(batch_never_carries_initialize_or_2026_requests)
{
    /* A stateless 2025-03-26 session (HTTP --stateless) accepts batches, but
     * 2025-03-26 forbids initialize in one; 2026-07-28 has no batches. */
    pcfmcp_session_t *st;
    ck_assert_int_eq(pcfmcp_session_new(&st, eng, PCFMCP_SESSION_STATELESS), PCFMCP_OK);
    const char *m = "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"
                    "\"protocolVersion\":\"2025-03-26\",\"capabilities\":{}}},"
                    "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"},"
                    "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/list\",\"params\":{\"_meta\":{"
                    "\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\","
                    "\"io.modelcontextprotocol/clientCapabilities\":{}}}}]";
    collector_reset(&col);
    pcfmcp_engine_handle(eng, st, m, strlen(m), collector_emit, &col, NULL);
    ck_assert(collector_wait_finals(&col, 1));
    cJSON *r = collector_last(&col);
    ck_assert(cJSON_IsArray(r));
    ck_assert_int_eq(cJSON_GetArraySize(r), 3);
    const cJSON *first = cJSON_GetArrayItem(r, 0);
    ck_assert_int_eq(cJSON_GetObjectItem(first, "id")->valueint, 1);
    ck_assert_int_eq(error_code(first), -32600);
    ck_assert(contains(first, "batch"));
    ck_assert_ptr_nonnull(cJSON_GetObjectItem(cJSON_GetArrayItem(r, 1), "result"));
    ck_assert_int_eq(error_code(cJSON_GetArrayItem(r, 2)), -32600);
    cJSON_Delete(r);
    pcfmcp_session_free(st);
}
END_TEST

START_TEST(resources_read_static_template_and_missing)
{
    initialize("2025-11-25");
    cJSON *r = send_msg("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resources/read\",\"params\":{\"uri\":\"test://static\"}}");
    ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(result_of(r), "contents"), 0), "text")->valuestring,
                     "hello");
    cJSON_Delete(r);
    r = send_msg("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resources/read\",\"params\":{\"uri\":\"test://item/42\"}}");
    ck_assert(contains(r, "\\\"id\\\":\\\"42\\\""));
    cJSON_Delete(r);
    r = send_msg("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resources/read\",\"params\":{\"uri\":\"nowhere://x\"}}");
    ck_assert_int_eq(error_code(r), -32002);
    cJSON_Delete(r);
    r = send_msg("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resources/read\",\"params\":{\"uri\":\"test://item/missing\"}}");
    ck_assert_int_eq(error_code(r), -32002);
    cJSON_Delete(r);
    r = send_msg("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"resources/templates/list\"}");
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(result_of(r), "resourceTemplates")), 1);
    cJSON_Delete(r);
}
END_TEST

START_TEST(prompts_check_their_arguments)
{
    initialize("2025-11-25");
    cJSON *r = send_msg("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"prompts/get\",\"params\":{\"name\":\"triage\"}}");
    ck_assert_int_eq(error_code(r), -32602);
    cJSON_Delete(r);
    r = send_msg("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"prompts/get\",\"params\":{\"name\":\"triage\","
                 "\"arguments\":{\"project\":\"Acme\"}}}");
    const cJSON *res = result_of(r);
    ck_assert_str_eq(cJSON_GetObjectItem(res, "description")->valuestring, "triage");
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(res, "messages")), 1);
    cJSON_Delete(r);
    r = send_msg("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"prompts/get\",\"params\":{\"name\":\"triage\","
                 "\"arguments\":{\"project\":1}}}");
    ck_assert_int_eq(error_code(r), -32602);
    cJSON_Delete(r);
    r = send_msg("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"prompts/get\",\"params\":{\"name\":\"nope\"}}");
    ck_assert_int_eq(error_code(r), -32602);
    cJSON_Delete(r);
}
END_TEST

START_TEST(completion_caps_values_at_100)
{
    initialize("2025-11-25");
    cJSON *r = send_msg("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"completion/complete\",\"params\":{"
                        "\"ref\":{\"type\":\"ref/prompt\",\"name\":\"triage\"},\"argument\":{\"name\":"
                        "\"project\",\"value\":\"Ac\"}}}");
    const cJSON *c = cJSON_GetObjectItem(result_of(r), "completion");
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(c, "values")), 100);
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(c, "hasMore")));
    ck_assert_int_eq(cJSON_GetObjectItem(c, "total")->valueint, 150);
    cJSON_Delete(r);
    r = send_msg("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"completion/complete\",\"params\":{"
                 "\"ref\":{\"type\":\"ref/prompt\",\"name\":\"ghost\"},\"argument\":{\"name\":\"a\",\"value\":\"\"}}}");
    ck_assert_int_eq(error_code(r), -32602);
    cJSON_Delete(r);
}
END_TEST

/* ------------------------------------------------------ 2026-07-28 era */

#define MODERN_META "\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\"," \
                    "\"io.modelcontextprotocol/clientCapabilities\":{}}"

START_TEST(modern_requests_need_no_initialize)
{
    cJSON *r = send_msg("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":{" MODERN_META "}}");
    const cJSON *res = result_of(r);
    ck_assert_str_eq(cJSON_GetObjectItem(res, "resultType")->valuestring, "complete");
    ck_assert_ptr_nonnull(cJSON_GetObjectItem(res, "ttlMs"));
    ck_assert_str_eq(cJSON_GetObjectItem(res, "cacheScope")->valuestring, "public");
    const cJSON *info = cJSON_GetObjectItem(cJSON_GetObjectItem(res, "_meta"),
                                            "io.modelcontextprotocol/serverInfo");
    ck_assert_str_eq(cJSON_GetObjectItem(info, "name")->valuestring, "test-server");
    cJSON_Delete(r);
    r = call("count", "{}");
    ck_assert_int_eq(error_code(r), -32600); /* no _meta, no session: refused */
    cJSON_Delete(r);
    r = send_msg("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"count\","
                 "\"arguments\":{}," MODERN_META "}}");
    ck_assert_str_eq(cJSON_GetObjectItem(result_of(r), "resultType")->valuestring, "complete");
    cJSON_Delete(r);
}
END_TEST

START_TEST(modern_request_errors_use_the_new_codes)
{
    cJSON *r = send_msg("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":{\"_meta\":{"
                        "\"io.modelcontextprotocol/protocolVersion\":\"2030-01-01\","
                        "\"io.modelcontextprotocol/clientCapabilities\":{}}}}");
    ck_assert_int_eq(error_code(r), -32022);
    const cJSON *data = cJSON_GetObjectItem(cJSON_GetObjectItem(r, "error"), "data");
    ck_assert_str_eq(cJSON_GetObjectItem(data, "requested")->valuestring, "2030-01-01");
    ck_assert_str_eq(cJSON_GetArrayItem(cJSON_GetObjectItem(data, "supported"), 0)->valuestring,
                     "2026-07-28");
    cJSON_Delete(r);
    r = send_msg("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\",\"params\":{\"_meta\":{"
                 "\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\"}}}");
    ck_assert_int_eq(error_code(r), -32602);
    cJSON_Delete(r);
    r = send_msg("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\",\"params\":{" MODERN_META "}}");
    ck_assert_int_eq(error_code(r), -32601);
    cJSON_Delete(r);
    r = send_msg("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"ask\","
                 "\"arguments\":{}," MODERN_META "}}");
    ck_assert_int_eq(error_code(r), -32021);
    ck_assert_ptr_nonnull(cJSON_GetObjectItem(
        cJSON_GetObjectItem(cJSON_GetObjectItem(r, "error"), "data"), "requiredCapabilities"));
    cJSON_Delete(r);
}
END_TEST

START_TEST(server_discover_lists_versions_and_capabilities)
{
    cJSON *r = send_msg("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"server/discover\",\"params\":{" MODERN_META "}}");
    const cJSON *res = result_of(r);
    const cJSON *v = cJSON_GetObjectItem(res, "supportedVersions");
    ck_assert_str_eq(cJSON_GetArrayItem(v, 0)->valuestring, "2026-07-28");
    ck_assert_int_eq(cJSON_GetArraySize(v), 5);
    ck_assert_ptr_nonnull(cJSON_GetObjectItem(cJSON_GetObjectItem(res, "capabilities"), "tools"));
    ck_assert_str_eq(cJSON_GetObjectItem(res, "resultType")->valuestring, "complete");
    cJSON_Delete(r);
}
END_TEST

START_TEST(modern_client_input_is_a_multi_round_trip)
{
    const char *meta = "\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\","
                       "\"io.modelcontextprotocol/clientCapabilities\":{\"elicitation\":{}}}";
    char msg[768];
    snprintf(msg, sizeof(msg),
             "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"ask\","
             "\"arguments\":{},%s}}",
             meta);
    cJSON *r = send_msg(msg);
    const cJSON *res = result_of(r);
    ck_assert_str_eq(cJSON_GetObjectItem(res, "resultType")->valuestring, "input_required");
    const cJSON *ir = cJSON_GetObjectItem(res, "inputRequests");
    const cJSON *first = cJSON_GetArrayItem(ir, 0);
    ck_assert_str_eq(cJSON_GetObjectItem(first, "method")->valuestring, "elicitation/create");
    char key[64];
    snprintf(key, sizeof(key), "%s", first->string);
    cJSON_Delete(r);
    snprintf(msg, sizeof(msg),
             "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"ask\","
             "\"arguments\":{},\"inputResponses\":{\"%s\":{\"action\":\"accept\",\"content\":{\"n\":\"Bo\"}}},%s}}",
             key, meta);
    r = send_msg(msg);
    res = result_of(r);
    ck_assert_str_eq(cJSON_GetObjectItem(res, "resultType")->valuestring, "complete");
    ck_assert(contains(res, "Bo"));
    cJSON_Delete(r);
}
END_TEST

START_TEST(stateless_sessions_serve_without_initialize)
{
    pcfmcp_session_t *s2;
    ck_assert_int_eq(pcfmcp_session_new(&s2, eng, PCFMCP_SESSION_STATELESS), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_session_set_protocol_version(s2, "2025-06-18"), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_session_set_protocol_version(s2, "1.0"), PCFMCP_ERR_INVALID_ARG);
    const char *m = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}";
    pcfmcp_engine_handle(eng, s2, m, strlen(m), collector_emit, &col, NULL);
    cJSON *r = collector_last(&col);
    ck_assert_ptr_nonnull(cJSON_GetObjectItem(result_of(r), "tools"));
    cJSON_Delete(r);
    pcfmcp_session_free(s2);
}
END_TEST

/* --------------------------------------------------------- concurrency */

typedef struct {
    pcfmcp_engine_t *e;
    int ok;
} worker_arg;

static void *hammer(void *arg)
{
    worker_arg *w = arg;
    pcfmcp_session_t *s;
    pcfmcp_session_new(&s, w->e, 0);
    collector c;
    collector_init(&c);
    const char *init = "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-11-25\"}}";
    pcfmcp_engine_handle(w->e, s, init, strlen(init), collector_emit, &c, NULL);
    for (int i = 0; i < 200; i++) {
        const char *m = (i % 2) ? "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}"
                                : "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"count\",\"arguments\":{}}}";
        pcfmcp_engine_handle(w->e, s, m, strlen(m), collector_emit, &c, NULL);
    }
    w->ok = collector_wait_finals(&c, 201);
    collector_free(&c);
    pcfmcp_session_free(s);
    return NULL;
}

START_TEST(engine_serves_many_threads_at_once)
{
    pthread_t th[4];
    worker_arg args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (worker_arg){ eng, 0 };
        pthread_create(&th[i], NULL, hammer, &args[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        ck_assert(args[i].ok);
    }
}
END_TEST

/* ------------------------------------------------------------- oom sweep */

/* Internal test hook of lib/core/alloc.c. */
long pcfmcp__alloc_fail_after(long n);

/* Checks what one request produced while allocations were failing: nothing
 * at all, or one final message that is a complete JSON-RPC answer to this
 * request (a result, or -32603), never an answer with a lost id. Returns
 * whether that answer was -32603. */
static bool check_oom_reply(const char *request, long n)
{
    size_t finals = 0;
    bool internal = false;
    cJSON *req = cJSON_Parse(request);
    const cJSON *want_id = cJSON_GetObjectItem(req, "id");
    for (size_t i = 0; i < collector_count(&col); i++) {
        if (!(col.flags[i] & PCFMCP_EMIT_FINAL) || !col.msgs[i])
            continue;
        finals++;
        cJSON *j = collector_json(&col, i);
        ck_assert_msg(j != NULL, "failing allocation %ld: unparsable reply %s", n, col.msgs[i]);
        const cJSON *v = cJSON_GetObjectItem(j, "jsonrpc");
        ck_assert_msg(cJSON_IsString(v) && strcmp(v->valuestring, "2.0") == 0,
                      "failing allocation %ld: no jsonrpc 2.0 in %s", n, col.msgs[i]);
        const cJSON *err = cJSON_GetObjectItem(j, "error");
        /* Only a request that could not even be parsed has no id to echo. */
        bool unread = err && strcmp(cJSON_GetObjectItem(err, "message")->valuestring,
                                    "out of memory reading the request") == 0;
        if (unread)
            ck_assert(cJSON_IsNull(cJSON_GetObjectItem(j, "id")));
        else
            ck_assert_msg(cJSON_Compare(cJSON_GetObjectItem(j, "id"), want_id, true),
                          "failing allocation %ld: reply lost the request id: %s", n, col.msgs[i]);
        if (err) {
            ck_assert_msg(cJSON_GetObjectItem(err, "code")->valueint == -32603,
                          "failing allocation %ld: expected -32603, got %s", n, col.msgs[i]);
            ck_assert(cJSON_IsString(cJSON_GetObjectItem(err, "message")));
            internal = true;
        } else {
            ck_assert_msg(cJSON_IsObject(cJSON_GetObjectItem(j, "result")),
                          "failing allocation %ld: neither result nor error: %s", n, col.msgs[i]);
        }
        cJSON_Delete(j);
    }
    ck_assert_uint_le(finals, 1);
    cJSON_Delete(req);
    return internal;
}

START_TEST(engine_answers_allocation_failures_with_internal_error)
{
    initialize("2025-11-25");
    const char *msgs[] = {
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}",
        "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"add_port\",\"arguments\":{\"port\":22}}}",
        "{\"jsonrpc\":\"2.0\",\"id\":\"three\",\"method\":\"tools/call\",\"params\":{\"name\":\"count\",\"arguments\":{}}}",
        "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"resources/read\",\"params\":{\"uri\":\"test://item/1\"}}",
        "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"prompts/get\",\"params\":{\"name\":\"triage\",\"arguments\":{\"project\":\"a\"}}}",
    };
    for (size_t m = 0; m < sizeof(msgs) / sizeof(msgs[0]); m++) {
        size_t internal = 0, silent = 0;
        for (long n = 0; n < 400; n++) {
            collector_reset(&col);
            pcfmcp__alloc_fail_after(n);
            pcfmcp_engine_handle(eng, ses, msgs[m], strlen(msgs[m]), collector_emit, &col, NULL);
            long used = pcfmcp__alloc_fail_after(-1);
            if (check_oom_reply(msgs[m], n))
                internal++;
            else if (collector_count(&col) == 0)
                silent++;
            if (used <= n)
                break; /* this message needed fewer allocations: swept */
        }
        /* Every allocation of a request is on the path to its answer, so
         * failing any of them must have been reported, not swallowed. */
        ck_assert_msg(internal > 0, "%s: no -32603 under allocation failure", msgs[m]);
        ck_assert_msg(silent == 0, "%s: %zu failing allocations got no answer", msgs[m], silent);
    }
    /* The engine still works normally afterwards. */
    cJSON *r = call("add_port", "{\"port\":22}");
    result_of(r);
    cJSON_Delete(r);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("engine");
    TCase *t = tcase_create("framing");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, engine_answers_garbage_with_parse_error);
    tcase_add_test(t, engine_rejects_invalid_utf8_as_parse_error);
    tcase_add_test(t, engine_rejects_json_nested_too_deep);
    tcase_add_test(t, engine_rejects_malformed_requests_as_invalid_request);
    tcase_add_test(t, engine_echoes_string_and_integer_ids);
    tcase_add_test(t, engine_echoes_integer_ids_beyond_2_53_digit_for_digit);
    tcase_add_test(t, engine_refuses_nul_in_strings_instead_of_truncating);
    tcase_add_test(t, engine_refuses_duplicate_member_names);
    tcase_add_test(t, engine_ignores_notifications_and_unknown_responses);
    suite_add_tcase(s, t);

    t = tcase_create("lifecycle");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, initialize_echoes_a_supported_version);
    tcase_add_test(t, initialize_offers_latest_for_unknown_version);
    tcase_add_test(t, initialize_needs_a_protocol_version);
    tcase_add_test(t, initialize_twice_is_refused);
    tcase_add_test(t, requests_before_initialize_are_refused_but_ping_works);
    tcase_add_test(t, unknown_method_is_method_not_found);
    tcase_add_test(t, capabilities_only_for_what_is_served);
    suite_add_tcase(s, t);

    t = tcase_create("registry");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, registration_rejects_bad_definitions);
    tcase_add_test(t, tools_list_pages_with_opaque_cursors);
    tcase_add_test(t, resources_list_pages_with_opaque_cursors);
    tcase_add_test(t, resource_templates_list_pages_with_opaque_cursors);
    tcase_add_test(t, prompts_list_pages_with_opaque_cursors);
    tcase_add_test(t, removing_a_tool_notifies_sessions);
    tcase_add_test(t, a_batch_of_registry_changes_notifies_once);
    suite_add_tcase(s, t);

    t = tcase_create("tools");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, unknown_tool_is_invalid_params);
    tcase_add_test(t, withheld_tool_says_why_with_the_same_code);
    tcase_add_test(t, invalid_arguments_come_back_as_tool_error);
    tcase_add_test(t, valid_call_returns_handler_content);
    tcase_add_test(t, structured_content_gets_a_text_block_and_is_checked);
    tcase_add_test(t, handler_failure_is_a_readable_tool_error);
    tcase_add_test(t, before_hook_can_refuse_a_call_with_a_reason);
    suite_add_tcase(s, t);

    t = tcase_create("utilities");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, progress_and_log_notifications_precede_the_result);
    tcase_add_test(t, no_progress_without_a_token);
    tcase_add_test(t, batch_only_on_2025_03_26);
    tcase_add_test(t, batch_answers_with_an_array_on_2025_03_26);
    tcase_add_test(t, batch_never_carries_initialize_or_2026_requests);
    tcase_add_test(t, resources_read_static_template_and_missing);
    tcase_add_test(t, prompts_check_their_arguments);
    tcase_add_test(t, completion_caps_values_at_100);
    suite_add_tcase(s, t);

    t = tcase_create("async");
    tcase_add_checked_fixture(t, setup_pool, teardown);
    tcase_add_test(t, cancelled_request_gets_no_response);
    tcase_add_test(t, client_request_roundtrip_on_a_2025_session);
    tcase_add_test(t, engine_serves_many_threads_at_once);
    suite_add_tcase(s, t);

    t = tcase_create("modern");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, modern_requests_need_no_initialize);
    tcase_add_test(t, modern_request_errors_use_the_new_codes);
    tcase_add_test(t, server_discover_lists_versions_and_capabilities);
    tcase_add_test(t, modern_client_input_is_a_multi_round_trip);
    tcase_add_test(t, stateless_sessions_serve_without_initialize);
    suite_add_tcase(s, t);

    t = tcase_create("oom");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 120);
    tcase_add_test(t, engine_answers_allocation_failures_with_internal_error);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    pcfmcp_global_init();
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    pcfmcp_global_cleanup();
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
