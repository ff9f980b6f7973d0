/* 2026-07-28 multi round-trip requests through the engine's public API:
 * keyed input requests, the integrity-protected requestState that carries
 * earlier answers and handler state, tampering, binding to the tool, shared
 * keys across engines, prompts, and answers of the wrong shape. */
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
             "\"io.modelcontextprotocol/clientCapabilities\":{\"elicitation\":{}}}"
#define ASK "{\"message\":\"?\",\"requestedSchema\":{\"type\":\"object\",\"properties\":{}}}"

static pcfmcp_error_t two_rounds(pcfmcp_ctx_t *ctx, const char *a, size_t l, pcfmcp_result_t *r, void *u)
{
    (void)a, (void)l, (void)u;
    char *first = NULL, *second = NULL;
    const char *prev = pcfmcp_ctx_request_state(ctx);
    pcfmcp_ctx_set_request_state(ctx, prev ? "round-2" : "round-1");
    pcfmcp_error_t rc = pcfmcp_ctx_request_keyed(ctx, "first", "elicitation/create", ASK, &first);
    if (rc != PCFMCP_OK)
        return rc;
    rc = pcfmcp_ctx_request_keyed(ctx, "second", "elicitation/create", ASK, &second);
    if (rc == PCFMCP_OK) {
        char text[512];
        snprintf(text, sizeof(text), "state=%s first=%s second=%s", prev ? prev : "-", first, second);
        rc = pcfmcp_result_add_text(r, text, strlen(text));
    }
    pcfmcp_free(first);
    pcfmcp_free(second);
    return rc;
}

static pcfmcp_error_t ask_prompt(pcfmcp_ctx_t *ctx, const char *a, pcfmcp_result_t *r, void *u)
{
    (void)a, (void)u;
    char *ans = NULL;
    pcfmcp_error_t rc = pcfmcp_ctx_request_keyed(ctx, "ctx", "elicitation/create", ASK, &ans);
    if (rc != PCFMCP_OK)
        return rc;
    rc = pcfmcp_result_add_message_text(r, "user", ans);
    pcfmcp_free(ans);
    return rc;
}

static void build(pcfmcp_engine_t **e)
{
    ck_assert_int_eq(pcfmcp_engine_new(e, "t", "1"), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_engine_add_tool(*e, "{\"name\":\"two\",\"inputSchema\":{\"type\":\"object\"}}", two_rounds, NULL), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_engine_add_tool(*e, "{\"name\":\"other\",\"inputSchema\":{\"type\":\"object\"}}", two_rounds, NULL), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_engine_add_prompt(*e, "{\"name\":\"p\"}", ask_prompt, NULL), PCFMCP_OK);
}

static void setup(void)
{
    build(&eng);
    ck_assert_int_eq(pcfmcp_session_new(&ses, eng, PCFMCP_SESSION_STATELESS), PCFMCP_OK);
    collector_init(&col);
}

static void teardown(void)
{
    pcfmcp_session_free(ses);
    pcfmcp_engine_free(eng);
    collector_free(&col);
}

/* Sends one message and returns the parsed answer (caller frees). */
static cJSON *send_on(pcfmcp_engine_t *e, const char *msg)
{
    collector_reset(&col);
    pcfmcp_session_t *s = NULL;
    ck_assert_int_eq(pcfmcp_session_new(&s, e, PCFMCP_SESSION_STATELESS), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_engine_handle(e, s, msg, strlen(msg), collector_emit, &col, NULL), PCFMCP_OK);
    ck_assert(collector_wait_finals(&col, 1));
    pcfmcp_session_free(s);
    return collector_last(&col);
}

static char *call(const char *tool, const char *responses, const char *state)
{
    size_t n = 512 + (responses ? strlen(responses) : 0) + (state ? strlen(state) : 0);
    char *m = malloc(n);
    snprintf(m, n, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{\"name\":\"%s\",\"arguments\":{}%s%s%s%s%s," META "}}",
             tool, responses ? ",\"inputResponses\":" : "", responses ? responses : "",
             state ? ",\"requestState\":\"" : "", state ? state : "", state ? "\"" : "");
    return m;
}

static char *state_of(const cJSON *res)
{
    const cJSON *st = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(res, "result"), "requestState");
    ck_assert_msg(cJSON_IsString(st), "no requestState");
    return strdup(st->valuestring);
}

static const char *text_of(const cJSON *res)
{
    const cJSON *c = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(res, "result"), "content");
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(cJSON_GetArrayItem(c, 0), "text");
    return cJSON_IsString(t) ? t->valuestring : "";
}

#define ANSWER(v) "{\"action\":\"accept\",\"content\":{\"v\":\"" v "\"}}"

START_TEST(mrtr_state_carries_earlier_answers_and_handler_state)
{
    char *m = call("two", NULL, NULL);
    cJSON *r1 = send_on(eng, m);
    free(m);
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(r1, "result");
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(res, "resultType")->valuestring, "input_required");
    ck_assert_ptr_nonnull(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(res, "inputRequests"), "first"));
    char *s1 = state_of(r1);
    cJSON_Delete(r1);
    /* Round 2 answers only "first"; round 3 answers only "second". */
    m = call("two", "{\"first\":" ANSWER("one") "}", s1);
    cJSON *r2 = send_on(eng, m);
    free(m);
    res = cJSON_GetObjectItemCaseSensitive(r2, "result");
    ck_assert_ptr_nonnull(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(res, "inputRequests"), "second"));
    ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(res, "inputRequests"), "first"));
    char *s2 = state_of(r2);
    ck_assert_str_ne(s1, s2);
    cJSON_Delete(r2);
    m = call("two", "{\"second\":" ANSWER("two") "}", s2);
    cJSON *r3 = send_on(eng, m);
    free(m);
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r3, "result"), "resultType")->valuestring, "complete");
    ck_assert_ptr_nonnull(strstr(text_of(r3), "state=round-2"));
    ck_assert_ptr_nonnull(strstr(text_of(r3), "\"v\":\"one\""));
    ck_assert_ptr_nonnull(strstr(text_of(r3), "\"v\":\"two\""));
    cJSON_Delete(r3);
    free(s1);
    free(s2);
}
END_TEST

START_TEST(mrtr_rejects_tampered_foreign_and_misbound_state)
{
    char *m = call("two", NULL, NULL);
    cJSON *r1 = send_on(eng, m);
    free(m);
    char *s1 = state_of(r1);
    cJSON_Delete(r1);
    char bad[4096];
    snprintf(bad, sizeof(bad), "%s-TAMPERED", s1);
    const char *cases[3][2] = { { "two", bad }, { "other", s1 }, { "two", "not-a-state" } };
    for (int i = 0; i < 3; i++) {
        m = call(cases[i][0], "{\"first\":" ANSWER("x") "}", cases[i][1]);
        cJSON *r = send_on(eng, m);
        free(m);
        const cJSON *code = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(r, "error"), "code");
        ck_assert_msg(cJSON_IsNumber(code) && code->valueint == -32602, "case %d accepted", i);
        cJSON_Delete(r);
    }
    /* Another engine with a random key does not accept it... */
    pcfmcp_engine_t *e2 = NULL;
    build(&e2);
    m = call("two", "{\"first\":" ANSWER("x") "}", s1);
    cJSON *r = send_on(e2, m);
    ck_assert_ptr_nonnull(cJSON_GetObjectItemCaseSensitive(r, "error"));
    cJSON_Delete(r);
    /* ...but replicas sharing a key do. */
    ck_assert_int_eq(pcfmcp_engine_set_state_key(eng, "shared-secret-of-the-fleet", 26), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_engine_set_state_key(e2, "shared-secret-of-the-fleet", 26), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_engine_set_state_key(e2, "short", 5), PCFMCP_ERR_INVALID_ARG);
    free(m);
    m = call("two", NULL, NULL);
    r1 = send_on(eng, m);
    free(m);
    free(s1);
    s1 = state_of(r1);
    cJSON_Delete(r1);
    m = call("two", "{\"first\":" ANSWER("x") "}", s1);
    r = send_on(e2, m);
    free(m);
    ck_assert_ptr_null(cJSON_GetObjectItemCaseSensitive(r, "error"));
    cJSON_Delete(r);
    free(s1);
    pcfmcp_engine_free(e2);
}
END_TEST

START_TEST(mrtr_asks_again_for_an_answer_that_is_not_an_object)
{
    char *m = call("two", "{\"first\":12345}", NULL);
    cJSON *r = send_on(eng, m);
    free(m);
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(r, "result");
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(res, "resultType")->valuestring, "input_required");
    ck_assert_ptr_nonnull(cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(res, "inputRequests"), "first"));
    cJSON_Delete(r);
    ck_assert_int_eq(pcfmcp_ctx_request_keyed(NULL, "k", "roots/list", NULL, NULL), PCFMCP_ERR_INVALID_ARG);
}
END_TEST

START_TEST(mrtr_prompts_can_ask_for_input)
{
    const char *m = "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"prompts/get\",\"params\":{\"name\":\"p\"," META "}}";
    cJSON *r = send_on(eng, m);
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(r, "result");
    ck_assert_str_eq(cJSON_GetObjectItemCaseSensitive(res, "resultType")->valuestring, "input_required");
    char *st = state_of(r);
    cJSON_Delete(r);
    char msg[4096];
    snprintf(msg, sizeof(msg), "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"prompts/get\",\"params\":{\"name\":\"p\","
             "\"inputResponses\":{\"ctx\":" ANSWER("hello") "},\"requestState\":\"%s\"," META "}}", st);
    r = send_on(eng, msg);
    res = cJSON_GetObjectItemCaseSensitive(r, "result");
    ck_assert_ptr_nonnull(cJSON_GetObjectItemCaseSensitive(res, "messages"));
    cJSON_Delete(r);
    free(st);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("mrtr");
    TCase *t = tcase_create("request_state");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, mrtr_state_carries_earlier_answers_and_handler_state);
    tcase_add_test(t, mrtr_rejects_tampered_foreign_and_misbound_state);
    tcase_add_test(t, mrtr_asks_again_for_an_answer_that_is_not_an_object);
    tcase_add_test(t, mrtr_prompts_can_ask_for_input);
    suite_add_tcase(s, t);
    pcfmcp_global_init();
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    pcfmcp_global_cleanup();
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
