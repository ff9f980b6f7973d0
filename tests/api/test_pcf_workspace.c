/* The project-workspace operations through the public API
 * (pcfmcp_pcf_call, pcfmcp_pcf_operations) against the fake PCF, which
 * answers like the captures in tests/fixtures/pcf/ui/ws_*.json: each
 * operation's effect, its refusals, and the PCF defects it works around.
 * The tool-level behaviour is tested in tests/e2e/stdio-workspace.mjs; this
 * suite puts the C parsers of PCF's pages under ASan and valgrind. */
#include <check.h>
#include <cjson/cJSON.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcfmcp/pcfmcp.h>

#include "api/pcf_fake.h"

#define EMAIL "pcf-tester@example.com"
#define PASSWORD "pcf-tester-pass"
#define NO_ID "00000000-0000-4000-8000-000000000000"

static pcf_fake F;
static pcfmcp_pcf_t *P;
static char PID[40];

/* Runs @p op with @p args_json (printf format); returns the answer document
 * (caller frees) and asserts the outcome is @p want. */
static cJSON *run(pcfmcp_error_t want, const char *op, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static cJSON *run(pcfmcp_error_t want, const char *op, const char *fmt, ...)
{
    char args[8192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(args, sizeof(args), fmt, ap);
    va_end(ap);
    pcfmcp_pcf_result_t *r = NULL;
    pcfmcp_error_t rc = pcfmcp_pcf_call(P, op, args, &r);
    ck_assert_ptr_nonnull(r);
    ck_assert_msg(rc == want, "%s %s: %s (%s), wanted %s", op, args, pcfmcp_error_name(rc),
                  pcfmcp_pcf_result_message(r), pcfmcp_error_name(want));
    const char *j = pcfmcp_pcf_result_json(r, NULL);
    cJSON *d = j ? cJSON_Parse(j) : NULL;
    if (want != PCFMCP_OK) {
        cJSON_Delete(d);
        d = cJSON_CreateString(pcfmcp_pcf_result_message(r));
    }
    pcfmcp_pcf_result_free(r);
    return d;
}

static const char *str(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItem(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static void setup(void)
{
    free(pcf_fake_control(&F, "POST", "/__fake__/reset", NULL));
    free(pcf_fake_control(&F, "POST", "/__fake__/config", "{\"bugs\": false}"));
    ck_assert_int_eq(pcfmcp_pcf_new(&P, F.url, NULL), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_pcf_set_login(P, EMAIL, PASSWORD), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_pcf_set_retry(P, 2, 5, 20), PCFMCP_OK);
    pcfmcp_pcf_result_t *r = NULL;
    ck_assert_int_eq(pcfmcp_pcf_projects_list(P, &r), PCFMCP_OK);
    cJSON *d = cJSON_Parse(pcfmcp_pcf_result_json(r, NULL));
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItem(d, "projects"))
        if (strcmp(str(p, "name"), "ACME external pentest") == 0)
            snprintf(PID, sizeof(PID), "%s", str(p, "id"));
    cJSON_Delete(d);
    pcfmcp_pcf_result_free(r);
    ck_assert(PID[0]);
}

static void teardown(void)
{
    pcfmcp_pcf_free(P);
    P = NULL;
}

START_TEST(operations_are_listed_and_unknown_names_refused)
{
    char *ops = NULL;
    ck_assert_int_eq(pcfmcp_pcf_operations(&ops), PCFMCP_OK);
    cJSON *d = cJSON_Parse(ops);
    pcfmcp_free(ops);
    int n = 0, ws = 0;
    const cJSON *o;
    cJSON_ArrayForEach(o, d) {
        n++;
        if (strcmp(str(o, "name"), "task_create") == 0) {
            ws++;
            ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(o, "writes")));
            ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(o, "web_session")));
            ck_assert_str_eq(cJSON_GetArrayItem(cJSON_GetObjectItem(o, "required"), 0)->valuestring,
                             "name");
        }
        if (strcmp(str(o, "name"), "host_info") == 0) {
            const cJSON *ids = cJSON_GetObjectItem(o, "ids");
            ck_assert_int_eq(cJSON_GetArraySize(ids), 2); /* project_id host_id */
        }
    }
    ck_assert_int_eq(ws, 1);
    ck_assert_int_gt(n, 80);
    cJSON_Delete(d);
    ck_assert_int_eq(pcfmcp_pcf_operations(NULL), PCFMCP_ERR_INVALID_ARG);
    cJSON_Delete(run(PCFMCP_ERR_INVALID_ARG, "no_such_operation", "{}"));
    cJSON_Delete(run(PCFMCP_ERR_INVALID_ARG, "tasks_list", "[1]"));
    cJSON_Delete(run(PCFMCP_ERR_INVALID_ARG, "tasks_list", "{}")); /* no project_id */
}
END_TEST

START_TEST(templates_tasks_chats_files_and_paths_round_trip)
{
    cJSON *t = run(PCFMCP_OK, "issue_templates", "{\"project_id\":\"%s\"}", PID);
    const cJSON *tpl = cJSON_GetArrayItem(cJSON_GetObjectItem(t, "templates"), 0);
    ck_assert_str_eq(str(tpl, "owner"), "Personal");
    char tid[40];
    snprintf(tid, sizeof(tid), "%s", str(tpl, "id"));
    cJSON_Delete(t);
    cJSON *i = run(PCFMCP_OK, "issue_from_template",
                   "{\"project_id\":\"%s\",\"template_id\":\"%s\",\"variables\":{\"product\":"
                   "\"IIS\",\"version\":7}}",
                   PID, tid);
    ck_assert_str_eq(str(i, "name"), "Outdated IIS 7");
    cJSON_Delete(i);
    cJSON_Delete(run(PCFMCP_ERR_INVALID_ARG, "issue_from_template",
                     "{\"project_id\":\"%s\",\"template_id\":\"%s\",\"variables\":{\"x\":1}}",
                     PID, tid));

    cJSON *c = run(PCFMCP_OK, "task_create",
                   "{\"project_id\":\"%s\",\"name\":\"Sweep\",\"criticality\":\"low\"}", PID);
    char task[40];
    snprintf(task, sizeof(task), "%s", str(c, "task_id"));
    cJSON_Delete(c);
    cJSON *u = run(PCFMCP_OK, "task_update",
                   "{\"project_id\":\"%s\",\"task_id\":\"%s\",\"description\":\"d\"}", PID, task);
    ck_assert_str_eq(str(cJSON_GetObjectItem(u, "task"), "criticality"), "low");
    cJSON_Delete(u);
    cJSON_Delete(run(PCFMCP_ERR_INVALID_ARG, "task_create",
                     "{\"project_id\":\"%s\",\"name\":\"x\",\"status\":\"later\"}", PID));
    cJSON_Delete(run(PCFMCP_OK, "task_delete", "{\"project_id\":\"%s\",\"task_id\":\"%s\"}", PID,
                     task));
    cJSON_Delete(run(PCFMCP_ERR_NOT_FOUND, "task_delete",
                     "{\"project_id\":\"%s\",\"task_id\":\"%s\"}", PID, task));

    cJSON *ch = run(PCFMCP_OK, "chat_create", "{\"project_id\":\"%s\",\"name\":\"ops\"}", PID);
    char chat[40];
    snprintf(chat, sizeof(chat), "%s", str(ch, "chat_id"));
    cJSON_Delete(ch);
    cJSON_Delete(run(PCFMCP_OK, "chat_post",
                     "{\"project_id\":\"%s\",\"chat_id\":\"%s\",\"message\":\"<b>hi</b> & bye\"}",
                     PID, chat));
    cJSON *m = run(PCFMCP_OK, "chat_messages", "{\"project_id\":\"%s\",\"chat_id\":\"%s\"}", PID,
                   chat);
    ck_assert_str_eq(str(cJSON_GetArrayItem(cJSON_GetObjectItem(m, "messages"), 0), "message"),
                     "<b>hi</b> & bye");
    cJSON_Delete(m);
    cJSON *l = run(PCFMCP_OK, "chats_list", "{\"project_id\":\"%s\"}", PID);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(l, "chats")), 2);
    cJSON_Delete(l);

    /* "a&b <c>\n" as base64: the viewer's HTML escaping is undone exactly. */
    cJSON *f = run(PCFMCP_OK, "file_upload",
                   "{\"project_id\":\"%s\",\"filename\":\"x&y.txt\",\"filetype\":\"text\","
                   "\"b64content\":\"YSZiIDxjPgo=\",\"description\":\"<d>\"}",
                   PID);
    char file[40];
    snprintf(file, sizeof(file), "%s", str(f, "file_id"));
    cJSON_Delete(f);
    cJSON *fl = run(PCFMCP_OK, "files_list", "{\"project_id\":\"%s\"}", PID);
    const cJSON *row = cJSON_GetArrayItem(cJSON_GetObjectItem(fl, "files"), 0);
    ck_assert_str_eq(str(row, "filename"), "x&y.txt");
    ck_assert_str_eq(str(row, "description"), "<d>");
    cJSON_Delete(fl);
    pcfmcp_pcf_result_t *r = NULL;
    char args[200];
    snprintf(args, sizeof(args), "{\"project_id\":\"%s\",\"file_id\":\"%s\"}", PID, file);
    ck_assert_int_eq(pcfmcp_pcf_call(P, "file_download", args, &r), PCFMCP_OK);
    size_t n = 0;
    const void *data = pcfmcp_pcf_result_data(r, &n);
    ck_assert_uint_eq(n, 8);
    ck_assert_int_eq(memcmp(data, "a&b <c>\n", 8), 0);
    ck_assert_str_eq(pcfmcp_pcf_result_filename(r), "x&y.txt");
    pcfmcp_pcf_result_free(r);
    cJSON_Delete(run(PCFMCP_OK, "file_delete", "{\"project_id\":\"%s\",\"file_id\":\"%s\"}", PID,
                     file));
    cJSON_Delete(run(PCFMCP_ERR_NOT_FOUND, "file_download",
                     "{\"project_id\":\"%s\",\"file_id\":\"%s\"}", PID, file));

    cJSON *paths = run(PCFMCP_OK, "paths_list", "{\"project_id\":\"%s\"}", PID);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(paths, "paths")), 0);
    cJSON_Delete(paths);
    cJSON_Delete(run(PCFMCP_ERR_NOT_FOUND, "path_delete",
                     "{\"project_id\":\"%s\",\"path_id\":\"%s\"}", PID, NO_ID));
}
END_TEST

START_TEST(list_imports_clean_their_input_and_keep_existing_hosts)
{
    cJSON *c = run(PCFMCP_OK, "credentials_import",
                   "{\"project_id\":\"%s\",\"content\":\"u1;h1\\r\\n\\nu2;h2\\nshort\","
                   "\"login_column\":1,\"hash_column\":2}",
                   PID);
    ck_assert_int_eq((int)cJSON_GetObjectItem(c, "added")->valuedouble, 2);
    ck_assert_int_eq((int)cJSON_GetObjectItem(c, "blank_lines")->valuedouble, 1);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(c, "rejected")), 1);
    cJSON_Delete(c);
    cJSON_Delete(run(PCFMCP_ERR_INVALID_ARG, "credentials_import",
                     "{\"project_id\":\"%s\",\"content\":\"x\",\"login_column\":0}", PID));
    cJSON *e = run(PCFMCP_OK, "credentials_export",
                   "{\"project_id\":\"%s\",\"export_type\":\"usernames\"}", PID);
    ck_assert_int_gt(cJSON_GetArraySize(cJSON_GetObjectItem(e, "lines")), 2);
    cJSON_Delete(e);
    cJSON *h = run(PCFMCP_OK, "hosts_import",
                   "{\"project_id\":\"%s\",\"hosts\":[{\"ip\":\"198.19.0.1\",\"hostname\":"
                   "\"a.example.com\",\"description\":\"x\\ny\\u001fz\"},{\"ip\":\"203.0.113.10\","
                   "\"os\":\"Nope\"},{\"ip\":\"::1\"},{\"ip\":\"bad\"}]}",
                   PID);
    ck_assert_int_eq((int)cJSON_GetObjectItem(h, "created")->valuedouble, 2);
    ck_assert_int_eq((int)cJSON_GetObjectItem(h, "existing")->valuedouble, 1);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(h, "rejected")), 1);
    cJSON_Delete(h);
    cJSON_Delete(run(PCFMCP_ERR_INVALID_ARG, "hosts_import", "{\"project_id\":\"%s\",\"hosts\":[]}",
                     PID));
}
END_TEST

START_TEST(bulk_issue_operations_report_what_really_happened)
{
    pcfmcp_pcf_result_t *r = NULL;
    ck_assert_int_eq(pcfmcp_pcf_issues_list(P, PID, &r), PCFMCP_OK);
    cJSON *d = cJSON_Parse(pcfmcp_pcf_result_json(r, NULL));
    const cJSON *list = cJSON_GetObjectItem(d, "issues");
    char a[40], b[40];
    snprintf(a, sizeof(a), "%s", str(cJSON_GetArrayItem(list, 0), "issue_id"));
    snprintf(b, sizeof(b), "%s", str(cJSON_GetArrayItem(list, 1), "issue_id"));
    int total = cJSON_GetArraySize(list);
    cJSON_Delete(d);
    pcfmcp_pcf_result_free(r);
    cJSON *e = run(PCFMCP_OK, "issues_bulk_edit",
                   "{\"project_id\":\"%s\",\"issue_ids\":[\"%s\",\"%s\",\"%s\"],"
                   "\"status\":\"Fixed\"}",
                   PID, a, b, NO_ID);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(e, "updated")), 2);
    ck_assert_str_eq(cJSON_GetArrayItem(cJSON_GetObjectItem(e, "not_found"), 0)->valuestring, NO_ID);
    cJSON_Delete(e);
    cJSON_Delete(run(PCFMCP_ERR_NOT_FOUND, "issues_bulk_edit",
                     "{\"project_id\":\"%s\",\"issue_ids\":[\"%s\"],\"cvss\":1}", PID, NO_ID));
    cJSON_Delete(run(PCFMCP_ERR_INVALID_ARG, "issues_bulk_edit",
                     "{\"project_id\":\"%s\",\"issue_ids\":[\"%s\"],\"cvss\":11}", PID, a));
    cJSON_Delete(run(PCFMCP_ERR_INVALID_ARG, "issues_bulk_edit",
                     "{\"project_id\":\"%s\",\"issue_ids\":[\"nope\"],\"cvss\":1}", PID));
    /* Two different findings: nothing to merge, and why. */
    cJSON *m = run(PCFMCP_OK, "issues_merge",
                   "{\"project_id\":\"%s\",\"issue_ids\":[\"%s\",\"%s\"]}", PID, a, b);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(m, "merged")), 0);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(m, "not_merged")), 2);
    cJSON_Delete(m);
    cJSON_Delete(run(PCFMCP_ERR_INVALID_ARG, "issues_merge",
                     "{\"project_id\":\"%s\",\"issue_ids\":[\"%s\"]}", PID, a));
    cJSON *del = run(PCFMCP_OK, "issues_bulk_delete",
                     "{\"project_id\":\"%s\",\"issue_ids\":[\"%s\"]}", PID, a);
    ck_assert_str_eq(cJSON_GetArrayItem(cJSON_GetObjectItem(del, "deleted"), 0)->valuestring, a);
    cJSON_Delete(del);
    ck_assert_int_eq(pcfmcp_pcf_issues_list(P, PID, &r), PCFMCP_OK);
    d = cJSON_Parse(pcfmcp_pcf_result_json(r, NULL));
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(d, "issues")), total - 1);
    cJSON_Delete(d);
    pcfmcp_pcf_result_free(r);
    cJSON *s1 = run(PCFMCP_OK, "issue_share", "{\"project_id\":\"%s\",\"issue_id\":\"%s\"}", PID, b);
    ck_assert_ptr_nonnull(strstr(str(s1, "url"), "/share/issue/"));
    cJSON_Delete(s1);
}
END_TEST

START_TEST(team_kick_reports_pcf_refusals)
{
    pcfmcp_pcf_result_t *r = NULL;
    ck_assert_int_eq(pcfmcp_pcf_teams_list(P, &r), PCFMCP_OK);
    cJSON *d = cJSON_Parse(pcfmcp_pcf_result_json(r, NULL));
    char team[40];
    snprintf(team, sizeof(team), "%s", str(cJSON_GetArrayItem(cJSON_GetObjectItem(d, "teams"), 0), "id"));
    cJSON_Delete(d);
    pcfmcp_pcf_result_free(r);
    ck_assert_int_eq(pcfmcp_pcf_user_me(P, &r), PCFMCP_OK);
    d = cJSON_Parse(pcfmcp_pcf_result_json(r, NULL));
    char me[40];
    snprintf(me, sizeof(me), "%s", str(d, "id"));
    cJSON_Delete(d);
    pcfmcp_pcf_result_free(r);
    cJSON *k = run(PCFMCP_ERR_PCF, "team_user_kick", "{\"team_id\":\"%s\",\"user_id\":\"%s\"}",
                   team, me);
    ck_assert_str_eq(k->valuestring, "PCF refused: Can't kick team creator.");
    cJSON_Delete(k);
    k = run(PCFMCP_ERR_PCF, "team_user_kick", "{\"team_id\":\"%s\",\"user_id\":\"%s\"}", NO_ID,
            me);
    ck_assert_ptr_nonnull(strstr(k->valuestring, "not its admin"));
    cJSON_Delete(k);
}
END_TEST

static void start(void)
{
    pcf_fake_start(&F, NULL, false);
}

static void stop(void)
{
    pcf_fake_stop(&F);
}

int main(void)
{
    if (!pcf_fake_available()) {
        fprintf(stderr, "tests/fakepcf/fake_pcf.py or python3 missing: cannot run\n");
        return EXIT_FAILURE;
    }
    pcfmcp_global_init();
    Suite *s = suite_create("pcf_workspace");
    TCase *t = tcase_create("workspace");
    tcase_add_unchecked_fixture(t, start, stop);
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 120);
    tcase_add_test(t, operations_are_listed_and_unknown_names_refused);
    tcase_add_test(t, templates_tasks_chats_files_and_paths_round_trip);
    tcase_add_test(t, list_imports_clean_their_input_and_keep_existing_hosts);
    tcase_add_test(t, bulk_issue_operations_report_what_really_happened);
    tcase_add_test(t, team_kick_reports_pcf_refusals);
    suite_add_tcase(s, t);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    pcfmcp_global_cleanup();
    return failed ? 1 : 0;
}
