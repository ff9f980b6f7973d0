/* What an embedding host needs beyond the engine: one call to answer one
 * JSON-RPC message in memory (no emit callback, no initialize handshake),
 * and reading tool arguments without a JSON parser of its own. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcfmcp/pcfmcp.h>

/* A tool written with the argument accessors only. */
static pcfmcp_error_t greet(pcfmcp_ctx_t *ctx, const char *args, size_t len,
                            pcfmcp_result_t *result, void *userdata)
{
    (void)ctx;
    (void)userdata;
    char *name = NULL;
    long long times = 1;
    int shout = 0;
    if (pcfmcp_args_get_string(args, len, "name", &name) != PCFMCP_OK)
        return PCFMCP_ERR_INVALID_ARG;
    pcfmcp_args_get_int(args, len, "times", &times);
    pcfmcp_args_get_bool(args, len, "shout", &shout);
    char text[256];
    snprintf(text, sizeof(text), "%s %s x%lld", shout ? "HELLO" : "hello", name, times);
    pcfmcp_free(name);
    return pcfmcp_result_add_text(result, text, strlen(text));
}

static pcfmcp_engine_t *engine_with_greet(unsigned threads)
{
    pcfmcp_engine_t *e = NULL;
    ck_assert_int_eq(pcfmcp_engine_new(&e, "embed", "1.0"), PCFMCP_OK);
    if (threads)
        ck_assert_int_eq(pcfmcp_engine_set_threads(e, threads, 8), PCFMCP_OK);
    ck_assert_int_eq(
        pcfmcp_engine_add_tool(
            e,
            "{\"name\":\"greet\",\"description\":\"Greets.\",\"inputSchema\":{\"type\":\"object\","
            "\"properties\":{\"name\":{\"type\":\"string\"},\"times\":{\"type\":\"integer\"},"
            "\"shout\":{\"type\":\"boolean\"}},\"required\":[\"name\"]}}",
            greet, NULL),
        PCFMCP_OK);
    return e;
}

static char *answer(pcfmcp_engine_t *e, const char *msg)
{
    char *out = NULL;
    ck_assert_int_eq(pcfmcp_engine_answer(e, msg, strlen(msg), &out), PCFMCP_OK);
    return out;
}

START_TEST(one_call_answers_a_tool_call_without_a_handshake)
{
    /* Inline and on worker threads: the answer waits for the worker. */
    pcfmcp_engine_t *e = engine_with_greet(_i ? 2 : 0);
    char *r = answer(e, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":"
                        "{\"name\":\"greet\",\"arguments\":{\"name\":\"ada\",\"times\":3,"
                        "\"shout\":true}}}");
    ck_assert_ptr_nonnull(r);
    ck_assert_msg(strstr(r, "\"id\":7") && strstr(r, "HELLO ada x3"), "got %s", r);
    ck_assert_ptr_null(strstr(r, "\"isError\":true"));
    pcfmcp_free(r);
    r = answer(e, "{\"jsonrpc\":\"2.0\",\"id\":\"l\",\"method\":\"tools/list\"}");
    ck_assert_msg(strstr(r, "\"greet\""), "got %s", r);
    pcfmcp_free(r);
    /* The 2026-07-28 revision, chosen by the message itself. */
    r = answer(e, "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"tools/call\",\"params\":{\"name\":"
                  "\"greet\",\"arguments\":{\"name\":\"bo\"},\"_meta\":{\"io.modelcontextprotocol/"
                  "protocolVersion\":\"2026-07-28\",\"io.modelcontextprotocol/"
                  "clientCapabilities\":{}}}}");
    ck_assert_msg(strstr(r, "hello bo x1"), "got %s", r);
    pcfmcp_free(r);
    pcfmcp_engine_free(e);
}
END_TEST

START_TEST(notifications_get_no_answer_and_garbage_gets_an_error)
{
    pcfmcp_engine_t *e = engine_with_greet(0);
    char *out = (char *)"untouched";
    const char *n = "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}";
    ck_assert_int_eq(pcfmcp_engine_answer(e, n, strlen(n), &out), PCFMCP_OK);
    ck_assert_ptr_null(out);
    char *r = answer(e, "{not json");
    ck_assert_msg(strstr(r, "-32700"), "got %s", r);
    pcfmcp_free(r);
    /* A tool error is an answer too. */
    r = answer(e, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":"
                  "{\"name\":\"greet\",\"arguments\":{}}}");
    ck_assert_msg(strstr(r, "\"id\":1"), "got %s", r);
    pcfmcp_free(r);
    ck_assert_int_eq(pcfmcp_engine_answer(NULL, n, strlen(n), &out), PCFMCP_ERR_INVALID_ARG);
    ck_assert_int_eq(pcfmcp_engine_answer(e, NULL, 0, &out), PCFMCP_ERR_INVALID_ARG);
    ck_assert_int_eq(pcfmcp_engine_answer(e, n, strlen(n), NULL), PCFMCP_ERR_INVALID_ARG);
    pcfmcp_engine_free(e);
}
END_TEST

START_TEST(argument_accessors_read_each_type_and_say_what_is_wrong)
{
    const char *a = "{\"s\":\"text\",\"i\":42,\"f\":1.5,\"b\":false,\"n\":null,"
                    "\"o\":{\"k\":[1,2]},\"big\":1e300}";
    size_t len = strlen(a);
    char *s = NULL;
    long long i = 0;
    double d = 0;
    int b = 7;
    ck_assert_int_eq(pcfmcp_args_get_string(a, len, "s", &s), PCFMCP_OK);
    ck_assert_str_eq(s, "text");
    pcfmcp_free(s);
    ck_assert_int_eq(pcfmcp_args_get_int(a, len, "i", &i), PCFMCP_OK);
    ck_assert_int_eq(i, 42);
    ck_assert_int_eq(pcfmcp_args_get_number(a, len, "f", &d), PCFMCP_OK);
    ck_assert(d == 1.5);
    ck_assert_int_eq(pcfmcp_args_get_bool(a, len, "b", &b), PCFMCP_OK);
    ck_assert_int_eq(b, 0);
    ck_assert_int_eq(pcfmcp_args_get_json(a, len, "o", &s), PCFMCP_OK);
    ck_assert_str_eq(s, "{\"k\":[1,2]}");
    char *k = NULL;
    ck_assert_int_eq(pcfmcp_args_get_json(s, strlen(s), "k", &k), PCFMCP_OK);
    ck_assert_str_eq(k, "[1,2]");
    pcfmcp_free(k);
    pcfmcp_free(s);
    /* Absent and null are "not found"; outputs untouched. */
    i = 5;
    ck_assert_int_eq(pcfmcp_args_get_int(a, len, "missing", &i), PCFMCP_ERR_NOT_FOUND);
    ck_assert_int_eq(pcfmcp_args_get_int(a, len, "n", &i), PCFMCP_ERR_NOT_FOUND);
    ck_assert_int_eq(i, 5);
    /* Wrong types, fractions, integers beyond 2^53, non-objects. */
    ck_assert_int_eq(pcfmcp_args_get_string(a, len, "i", &s), PCFMCP_ERR_INVALID_ARG);
    ck_assert_int_eq(pcfmcp_args_get_int(a, len, "f", &i), PCFMCP_ERR_INVALID_ARG);
    ck_assert_int_eq(pcfmcp_args_get_int(a, len, "big", &i), PCFMCP_ERR_INVALID_ARG);
    ck_assert_int_eq(pcfmcp_args_get_bool(a, len, "i", &b), PCFMCP_ERR_INVALID_ARG);
    ck_assert_int_eq(pcfmcp_args_get_int("[1]", 3, "x", &i), PCFMCP_ERR_INVALID_ARG);
    ck_assert_int_eq(pcfmcp_args_get_int("{\"x\":", 5, "x", &i), PCFMCP_ERR_INVALID_ARG);
    ck_assert_int_eq(pcfmcp_args_get_int(NULL, 0, "x", &i), PCFMCP_ERR_INVALID_ARG);
    ck_assert_int_eq(pcfmcp_args_get_int(a, len, NULL, &i), PCFMCP_ERR_INVALID_ARG);
    ck_assert_int_eq(pcfmcp_args_get_int(a, len, "i", NULL), PCFMCP_ERR_INVALID_ARG);
    /* Only @p len bytes are read. */
    ck_assert_int_eq(pcfmcp_args_get_int("{\"i\":1}garbage", 7, "i", &i), PCFMCP_OK);
    ck_assert_int_eq(i, 1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("embed");
    TCase *tc = tcase_create("embed");
    tcase_add_loop_test(tc, one_call_answers_a_tool_call_without_a_handshake, 0, 2);
    tcase_add_test(tc, notifications_get_no_answer_and_garbage_gets_an_error);
    tcase_add_test(tc, argument_accessors_read_each_type_and_say_what_is_wrong);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
