/* The PCF client against answers a real PCF would not give, from a scripted
 * peer (tests/helpers/scriptpeer.h): what the fuzz targets found, as
 * properties over every operation they concern. */
#include "core/internal.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include <pcfmcp/pcfmcp.h>

#include "core/json.h"
#include "helpers/scriptpeer.h"
#include "pcf/client.h"
#include "pcf/impl.h"

#define PID "ed881b71-614c-45d5-a36d-76bdd0e4afcf"
#define HID "89a273fe-9d0b-4cc8-a721-ec68aa2903df"
#define IID "47b58234-78ed-4082-809e-a3a789ac8ed1"
#define NEW "0a1b2c3d-4e5f-4a6b-8c7d-9e0f1a2b3c4d"

static pcfmcp_pcf_t *client(void)
{
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%u", peer_start());
    pcfmcp_pcf_t *p = NULL;
    ck_assert_int_eq(pcfmcp_pcf_new(&p, url, NULL), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_pcf_set_token(p, "ee8358e3-118d-453e-889c-169871af82e2"), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_pcf_set_retry(p, 1, 1, 1), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_pcf_set_allow_api_issue_writes(p, 1), PCFMCP_OK);
    return p;
}

/* Every API v1 write that makes something, the member its answer names the
 * new thing by, and arguments that get it sent. */
static const struct {
    pcfmcp__pcf_op op;
    const char *route, *member, *args;
} creates[] = {
    { PCFMCP__PCF_OP_PROJECT_CREATE, "/api/v1/project/new", "project_id", "{\"name\":\"p\"}" },
    { PCFMCP__PCF_OP_HOST_CREATE, "/host/new", "host_id", "{\"project_id\":\"" PID "\",\"ip\":\"10.0.0.5\"}" },
    { PCFMCP__PCF_OP_PORT_CREATE, "/port/new", "port_id",
      "{\"project_id\":\"" PID "\",\"host_id\":\"" HID "\",\"port\":443}" },
    { PCFMCP__PCF_OP_HOSTNAME_ADD, "/hostname/add", "id",
      "{\"project_id\":\"" PID "\",\"host_id\":\"" HID "\",\"hostname\":\"www.example.com\"}" },
    { PCFMCP__PCF_OP_NETWORK_CREATE, "/network/create", "network_id",
      "{\"project_id\":\"" PID "\",\"ip\":\"10.0.0.0\",\"mask\":24}" },
    { PCFMCP__PCF_OP_ISSUE_CREATE, "/issues/create", "issue_id",
      "{\"project_id\":\"" PID "\",\"name\":\"XSS\"}" },
    { PCFMCP__PCF_OP_POC_ADD, "/poc/add", "poc_id",
      "{\"project_id\":\"" PID "\",\"issue_id\":\"" IID "\",\"content\":\"proof\"}" },
};

static pcfmcp_error_t create_with_answer(pcfmcp_pcf_t *p, size_t i, const char *body,
                                         pcfmcp_pcf_result_t **res)
{
    peer_answer a = { .method = "POST", .method_len = 4, .suffix = creates[i].route,
                      .suffix_len = strlen(creates[i].route), .status = 200,
                      .head = "Content-Type: application/json\n", .head_len = 31, .body = body,
                      .body_len = strlen(body) };
    peer_script(&a, 1);
    cJSON *args = cJSON_Parse(creates[i].args);
    ck_assert_ptr_nonnull(args);
    pcfmcp_error_t rc = pcfmcp__pcf_call(p, NULL, creates[i].op, args, res);
    cJSON_Delete(args);
    ck_assert_uint_eq(peer_answered(), 1);
    return rc;
}

/* Found by fuzz/fuzz_tools.c: network/create answered 200 without a
 * network_id, and create_network told the model it had made a network with
 * the id "". A write whose answer does not name what it made is not a
 * success: the client cannot say what exists now. */
START_TEST(a_create_answered_without_the_new_id_is_a_bad_response)
{
    pcfmcp_pcf_t *p = client();
    for (size_t i = 0; i < PCFMCP_ARRAY_LEN(creates); i++) {
        char body[160];
        const char *bad[] = { "{\"status\":\"ok\"}", NULL, NULL };
        snprintf(body, sizeof(body), "{\"status\":\"ok\",\"%s\":\"not-a-uuid\"}", creates[i].member);
        bad[1] = body;
        char wrong_type[160];
        snprintf(wrong_type, sizeof(wrong_type), "{\"%s\":7}", creates[i].member);
        bad[2] = wrong_type;
        for (size_t k = 0; k < 3; k++) {
            pcfmcp_pcf_result_t *res = NULL;
            pcfmcp_error_t rc = create_with_answer(p, i, bad[k], &res);
            ck_assert_msg(rc == PCFMCP_ERR_BAD_RESPONSE, "%s with %s: %s (%s)",
                          pcfmcp__pcf_op_label(creates[i].op), bad[k], pcfmcp_strerror(rc),
                          pcfmcp_pcf_result_message(res));
            ck_assert_ptr_nonnull(strstr(pcfmcp_pcf_result_message(res), creates[i].member));
            pcfmcp_pcf_result_free(res);
        }
        char good[160];
        snprintf(good, sizeof(good), "{\"status\":\"ok\",\"%s\":\"" NEW "\"}", creates[i].member);
        pcfmcp_pcf_result_t *res = NULL;
        ck_assert_msg(create_with_answer(p, i, good, &res) == PCFMCP_OK, "%s: %s",
                      pcfmcp__pcf_op_label(creates[i].op), pcfmcp_pcf_result_message(res));
        pcfmcp_pcf_result_free(res);
    }
    pcfmcp_pcf_free(p);
}
END_TEST

/* check_token's creation_date and duration come from PCF: an absurd pair
 * leaves the expiry unknown instead of overflowing into it. */
START_TEST(token_expiry_ignores_absurd_times)
{
    pcfmcp_pcf_t *p = client();
    static const char *const bodies[] = {
        "{\"creation_date\":1e300,\"duration\":5}",
        "{\"creation_date\":5,\"duration\":1e300}",
        "{\"creation_date\":1e400,\"duration\":1e400}",
    };
    for (size_t i = 0; i < PCFMCP_ARRAY_LEN(bodies); i++) {
        peer_answer a = { .method = "POST", .method_len = 4, .suffix = "/api/v1/check_token",
                          .suffix_len = 19, .status = 200,
                          .head = "Content-Type: application/json\n", .head_len = 31,
                          .body = bodies[i], .body_len = strlen(bodies[i]) };
        peer_script(&a, 1);
        pcfmcp_pcf_result_t *res = NULL;
        ck_assert_int_eq(pcfmcp_pcf_token_check(p, &res), PCFMCP_OK);
        ck_assert_msg(pcfmcp_pcf_token_expiry(p) == 0, "%s: %lld", bodies[i],
                      (long long)pcfmcp_pcf_token_expiry(p));
        pcfmcp_pcf_result_free(res);
    }
    pcfmcp_pcf_free(p);
}
END_TEST

/* Found by fuzz/fuzz_pcfapi.c: the client marks each U+0000 in PCF's JSON
 * as U+FFFD in what it parses, but handed out the answer's text with the
 * \u0000 escapes left in, which its own parser refuses and a C consumer's
 * cuts the strings at. The text says what the parsed document says. */
START_TEST(answer_text_marks_nul_like_the_parsed_answer)
{
    pcfmcp_pcf_t *p = client();
    static const char body[] = "{\"id\":\"\\u0000x\",\"n\":\"a\\\\u0000\"}";
    peer_answer a = { .method = "POST", .method_len = 4, .suffix = "/api/v1/user/me",
                      .suffix_len = 15, .status = 200,
                      .head = "Content-Type: application/json\n", .head_len = 31, .body = body,
                      .body_len = sizeof(body) - 1 };
    peer_script(&a, 1);
    pcfmcp_pcf_result_t *res = NULL;
    ck_assert_int_eq(pcfmcp__pcf_call(p, NULL, PCFMCP__PCF_OP_USER_ME, NULL, &res), PCFMCP_OK);
    size_t len = 0;
    const char *json = pcfmcp_pcf_result_json(res, &len);
    ck_assert_ptr_nonnull(json);
    ck_assert_ptr_null(strstr(json, "\"\\u0000"));
    cJSON *doc = NULL;
    ck_assert_int_eq(pcfmcp__json_parse(json, len, 8, &doc, NULL), PCFMCP__JSON_OK);
    ck_assert_str_eq(cJSON_GetObjectItem(doc, "id")->valuestring, "\xef\xbf\xbdx");
    /* An escaped backslash before "u0000" is no escape of U+0000. */
    ck_assert_str_eq(cJSON_GetObjectItem(doc, "n")->valuestring, "a\\u0000");
    cJSON_Delete(doc);
    pcfmcp_pcf_result_free(res);
    pcfmcp_pcf_free(p);
}
END_TEST

/* Found by fuzz/fuzz_pcfweb.c: text read from PCF's web pages went into
 * results byte for byte, so a file name that is not UTF-8 made the result's
 * JSON invalid. What the pages say reaches results as UTF-8, each invalid
 * byte shown as U+FFFD. */
START_TEST(web_page_text_reaches_results_as_utf8)
{
    pcfmcp_pcf_t *p = client();
    ck_assert_int_eq(pcfmcp_pcf_set_login(p, "pcf-tester@example.com", "pw"), PCFMCP_OK);
    static const char login_page[] =
        "<form><input id=\"csrf_token\" name=\"csrf_token\" type=\"hidden\" value=\"t0k\"></form>";
    static const char files_page[] =
        "<table><tr> <td>noref.\xff\xfe.txt</td> <td>caf\xc3</td> <td><ul class=\"ui list\">"
        "<li>10.0.0.5: \xe2\x82</li></ul></td> <td><form action=\"/project/" PID "/files/"
        NEW "/\" method=\"post\"></form></td></tr></table>";
    peer_answer a[] = {
        { .method = "GET", .method_len = 3, .suffix = "/login", .suffix_len = 6, .status = 200,
          .body = login_page, .body_len = sizeof(login_page) - 1 },
        { .method = "POST", .method_len = 4, .suffix = "/login", .suffix_len = 6, .status = 302,
          .head = "Location: /projects/\n", .head_len = 21 },
        { .method = "GET", .method_len = 3, .suffix = "/files/", .suffix_len = 7, .status = 200,
          .head = "Content-Type: text/html\n", .head_len = 24, .body = files_page,
          .body_len = sizeof(files_page) - 1 },
    };
    peer_script(a, PCFMCP_ARRAY_LEN(a));
    cJSON *args = cJSON_Parse("{\"project_id\":\"" PID "\"}");
    pcfmcp_pcf_result_t *res = NULL;
    ck_assert_int_eq(pcfmcp__pcf_call(p, NULL, PCFMCP__PCF_OP_FILES_LIST, args, &res), PCFMCP_OK);
    size_t len = 0;
    const char *json = pcfmcp_pcf_result_json(res, &len);
    cJSON *doc = NULL;
    ck_assert_int_eq(pcfmcp__json_parse(json, len, 16, &doc, NULL), PCFMCP__JSON_OK);
    const cJSON *f = cJSON_GetArrayItem(cJSON_GetObjectItem(doc, "files"), 0);
    ck_assert_str_eq(cJSON_GetObjectItem(f, "filename")->valuestring,
                     "noref.\xef\xbf\xbd\xef\xbf\xbd.txt");
    ck_assert_str_eq(cJSON_GetObjectItem(f, "description")->valuestring, "caf\xef\xbf\xbd");
    cJSON_Delete(doc);
    cJSON_Delete(args);
    pcfmcp_pcf_result_free(res);
    pcfmcp_pcf_free(p);
}
END_TEST

/* Found by fuzz/fuzz_pcfweb.c (credentials export): the class behind
 * web_page_text_reaches_results_as_utf8. Whatever the operation copies
 * from PCF into the document it builds, that document reaches the caller
 * as valid UTF-8 JSON, each invalid byte shown as U+FFFD. */
START_TEST(every_built_result_is_utf8)
{
    pcfmcp_pcf_t *p = client();
    ck_assert_int_eq(pcfmcp_pcf_set_login(p, "pcf-tester@example.com", "pw"), PCFMCP_OK);
    static const char login_page[] =
        "<form><input id=\"csrf_token\" name=\"csrf_token\" type=\"hidden\" value=\"t0k\"></form>";
    static const char export[] = "bob:pass\xff\xfe\nalice:caf\xc3\n";
    peer_answer a[] = {
        { .method = "GET", .method_len = 3, .suffix = "/login", .suffix_len = 6, .status = 200,
          .body = login_page, .body_len = sizeof(login_page) - 1 },
        { .method = "POST", .method_len = 4, .suffix = "/login", .suffix_len = 6, .status = 302,
          .head = "Location: /projects/\n", .head_len = 21 },
        { .method = "POST", .method_len = 4, .suffix = "/credentials/export", .suffix_len = 19,
          .status = 200, .head = "Content-Type: text/plain; charset=utf-8\n", .head_len = 40,
          .body = export, .body_len = sizeof(export) - 1 },
    };
    peer_script(a, PCFMCP_ARRAY_LEN(a));
    cJSON *args = cJSON_Parse("{\"project_id\":\"" PID "\",\"export_type\":\"user_pass\"}");
    pcfmcp_pcf_result_t *res = NULL;
    pcfmcp_error_t rc = pcfmcp__pcf_call(p, NULL, PCFMCP__PCF_OP_CREDENTIALS_EXPORT, args, &res);
    ck_assert_msg(rc == PCFMCP_OK, "%s", pcfmcp_pcf_result_message(res));
    size_t len = 0;
    const char *json = pcfmcp_pcf_result_json(res, &len);
    cJSON *doc = NULL;
    ck_assert_int_eq(pcfmcp__json_parse(json, len, 16, &doc, NULL), PCFMCP__JSON_OK);
    const cJSON *lines = cJSON_GetObjectItem(doc, "lines");
    ck_assert_str_eq(cJSON_GetArrayItem(lines, 0)->valuestring, "bob:pass\xef\xbf\xbd\xef\xbf\xbd");
    ck_assert_str_eq(cJSON_GetArrayItem(lines, 1)->valuestring, "alice:caf\xef\xbf\xbd");
    cJSON_Delete(doc);
    cJSON_Delete(args);
    pcfmcp_pcf_result_free(res);
    pcfmcp_pcf_free(p);
}
END_TEST

/* Found by fuzz/fuzz_pcfapi.c: PCF's "errors" holding only empty strings
 * made a failure whose message was empty. */
START_TEST(errors_that_say_nothing_still_give_a_message)
{
    pcfmcp_pcf_t *p = client();
    static const char body[] = "{\"errors\": [\"\", \" \"]}";
    peer_answer a = { .method = "POST", .method_len = 4, .suffix = "/hosts", .suffix_len = 6,
                      .status = 400, .head = "Content-Type: application/json\n", .head_len = 31,
                      .body = body, .body_len = sizeof(body) - 1 };
    peer_script(&a, 1);
    cJSON *args = cJSON_Parse("{\"project_id\":\"" PID "\"}");
    pcfmcp_pcf_result_t *res = NULL;
    ck_assert_int_ne(pcfmcp__pcf_call(p, NULL, PCFMCP__PCF_OP_HOSTS_LIST, args, &res), PCFMCP_OK);
    const char *msg = pcfmcp_pcf_result_message(res);
    ck_assert_ptr_nonnull(msg);
    ck_assert_str_eq(msg, "PCF reported an error without a message");
    cJSON_Delete(args);
    pcfmcp_pcf_result_free(res);
    pcfmcp_pcf_free(p);
}
END_TEST

/* Found by fuzz/fuzz_pcfweb.c: a team kick's refusal reason, decoded from
 * PCF's redirect, put a control character into the failure message. Every
 * message a result carries is one clean line of UTF-8, whatever went into
 * it. */
START_TEST(failure_messages_hold_no_controls_and_are_utf8)
{
    pcfmcp_pcf_result_t *r = pcfmcp__pcf_result_new();
    ck_assert_ptr_nonnull(r);
    pcfmcp__pcf_fail(r, PCFMCP_ERR_PCF, "PCF refused: %s", "Can't kick\x03team\ncreator \xff.");
    ck_assert_str_eq(pcfmcp_pcf_result_message(r), "PCF refused: Can't kick team creator \xef\xbf\xbd.");
    pcfmcp_pcf_result_free(r);
}
END_TEST

int main(void)
{
    if (pcfmcp_global_init() != PCFMCP_OK)
        return 99;
    Suite *s = suite_create("pcf_answers");
    TCase *t = tcase_create("writes");
    tcase_add_test(t, a_create_answered_without_the_new_id_is_a_bad_response);
    tcase_add_test(t, token_expiry_ignores_absurd_times);
    tcase_add_test(t, answer_text_marks_nul_like_the_parsed_answer);
    tcase_add_test(t, web_page_text_reaches_results_as_utf8);
    tcase_add_test(t, every_built_result_is_utf8);
    tcase_add_test(t, errors_that_say_nothing_still_give_a_message);
    tcase_add_test(t, failure_messages_hold_no_controls_and_are_utf8);
    suite_add_tcase(s, t);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    pcfmcp_global_cleanup();
    return failed ? 1 : 0;
}
