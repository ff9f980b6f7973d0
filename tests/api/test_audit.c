/* The audit trail through its public API: record shape, argument hashing
 * and redaction, targets, file handling (append, rotation, failures) and
 * concurrent writers. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <pcfmcp/pcfmcp.h>
#include <pcfmcp/sys/audit.h>

static char dir[256];
static char path[300];
static pcfmcp_audit_t *au;

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/pcfmcp-audit-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(path, sizeof(path), "%s/audit.jsonl", dir);
    ck_assert_int_eq(pcfmcp_audit_new(&au), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_audit_open(au, path), PCFMCP_OK);
}

static void teardown(void)
{
    pcfmcp_audit_free(au);
    au = NULL;
    char cmd[600];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static char *slurp(const char *p)
{
    FILE *f = fopen(p, "rb");
    if (!f)
        return strdup("");
    char *buf = malloc(1 << 22);
    size_t n = fread(buf, 1, (1 << 22) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return buf;
}

/* The n-th line (0-based) of the file, parsed. */
static cJSON *line_json(const char *p, int n)
{
    char *all = slurp(p);
    char *s = all;
    for (int i = 0; i < n && s; i++) {
        s = strchr(s, '\n');
        if (s)
            s++;
    }
    ck_assert_ptr_nonnull(s);
    char *nl = strchr(s, '\n');
    ck_assert_ptr_nonnull(nl);
    *nl = '\0';
    cJSON *j = cJSON_Parse(s);
    if (!j)
        ck_abort_msg("not JSON: %s", s);
    free(all);
    return j;
}

static const char *str(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

START_TEST(tool_call_record_has_every_field)
{
    ck_assert_int_eq(
        pcfmcp_audit_record(au, "tool_call", "alice", "alice@example.com", "sess-1", "7",
                            "4bf92f3577b34da6a3ce929d0e0e4736", "host_create",
                            "{\"project_id\":\"11111111-2222-4333-8444-555555555555\","
                            "\"ip\":\"10.0.0.1\",\"host_id\":7,\"note_id\":\"bad id!\"}",
                            "ok", 0.0125, NULL),
        PCFMCP_OK);
    cJSON *j = line_json(path, 0);
    ck_assert_ptr_nonnull(str(j, "ts"));
    ck_assert_str_eq(str(j, "event"), "tool_call");
    ck_assert_str_eq(str(j, "identity"), "alice");
    ck_assert_str_eq(str(j, "pcf_user"), "alice@example.com");
    ck_assert_str_eq(str(j, "session"), "sess-1");
    ck_assert_str_eq(str(j, "request_id"), "7");
    ck_assert_str_eq(str(j, "trace_id"), "4bf92f3577b34da6a3ce929d0e0e4736");
    ck_assert_str_eq(str(j, "tool"), "host_create");
    ck_assert_str_eq(str(j, "outcome"), "ok");
    ck_assert(cJSON_GetObjectItem(j, "duration_ms")->valuedouble == 12.5);
    const cJSON *t = cJSON_GetObjectItem(j, "targets");
    ck_assert_str_eq(str(t, "project_id"), "11111111-2222-4333-8444-555555555555");
    ck_assert_int_eq(cJSON_GetObjectItem(t, "host_id")->valueint, 7);
    ck_assert_ptr_null(cJSON_GetObjectItem(t, "note_id")); /* not id-like */
    ck_assert_ptr_null(cJSON_GetObjectItem(t, "ip"));
    ck_assert_int_eq((int)strlen(str(j, "args_hmac")), 64);
    ck_assert_ptr_null(cJSON_GetObjectItem(j, "args_sha256"));
    ck_assert_ptr_null(cJSON_GetObjectItem(j, "args"));
    ck_assert_uint_eq(pcfmcp_audit_written(au), 1);
    cJSON_Delete(j);
}
END_TEST

START_TEST(argument_hash_is_over_the_canonical_form)
{
    char *h1 = NULL, *h2 = NULL;
    const char *a = "{\"b\":1,\"a\":[1.0,\"x\"]}";
    const char *b = "{ \"a\" : [1, \"x\"],\n \"b\": 1.0 }";
    ck_assert_int_eq(pcfmcp_audit_args_hash(a, strlen(a), &h1), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_audit_args_hash(b, strlen(b), &h2), PCFMCP_OK);
    ck_assert_str_eq(h1, h2);
    /* sha256('{"a":[1,"x"],"b":1}') */
    ck_assert_str_eq(h1, "a88dede55f330dbae7d6c99cb78c43213f114625ed11c8fd0b769d117c06bb50");
    pcfmcp_free(h1);
    pcfmcp_free(h2);
    ck_assert_int_eq(pcfmcp_audit_args_hash("{nope", 5, &h1), PCFMCP_ERR_INVALID_ARG);
    pcfmcp_audit_record(au, "tool_call", NULL, NULL, NULL, NULL, NULL, "t", b, "ok", -1, NULL);
    cJSON *j = line_json(path, 0);
    /* The record's digest is the keyed one, the same for both spellings. */
    ck_assert_int_eq(pcfmcp_audit_args_digest(au, a, strlen(a), &h1), PCFMCP_OK);
    ck_assert_str_eq(str(j, "args_hmac"), h1);
    pcfmcp_free(h1);
    ck_assert_ptr_null(cJSON_GetObjectItem(j, "duration_ms"));
    cJSON_Delete(j);
}
END_TEST

START_TEST(argument_digest_is_keyed_and_blind_to_secrets)
{
    /* A plain SHA-256 of the full arguments gave a redacted cleartext
     * password away to a 5-word guess list. The digest is an HMAC with a
     * server-held key over the redacted arguments: a secret does not change
     * it at all, and without the key nothing can be confirmed. */
    static const char *const guesses[] = { "hunter2", "Winter2026!", "admin", "letmein", "acme" };
    char *first = NULL;
    for (size_t i = 0; i < sizeof(guesses) / sizeof(guesses[0]); i++) {
        char args[256], *d = NULL, *plain = NULL;
        snprintf(args, sizeof(args), "{\"login\":\"admin\",\"password\":\"%s\",\"host_id\":7}", guesses[i]);
        ck_assert_int_eq(pcfmcp_audit_args_digest(au, args, strlen(args), &d), PCFMCP_OK);
        ck_assert_int_eq(pcfmcp_audit_args_hash(args, strlen(args), &plain), PCFMCP_OK);
        ck_assert_str_ne(d, plain);
        if (first)
            ck_assert_str_eq(d, first);
        else
            first = strdup(d);
        pcfmcp_free(d);
        pcfmcp_free(plain);
    }
    /* Everything else still tells calls apart. */
    char *other = NULL;
    const char *o = "{\"login\":\"root\",\"password\":\"hunter2\",\"host_id\":7}";
    ck_assert_int_eq(pcfmcp_audit_args_digest(au, o, strlen(o), &other), PCFMCP_OK);
    ck_assert_str_ne(other, first);
    pcfmcp_free(other);
    /* Another trail without a key set has its own random key. */
    pcfmcp_audit_t *au2 = NULL;
    ck_assert_int_eq(pcfmcp_audit_new(&au2), PCFMCP_OK);
    const char *g = "{\"login\":\"admin\",\"password\":\"x\",\"host_id\":7}";
    ck_assert_int_eq(pcfmcp_audit_args_digest(au2, g, strlen(g), &other), PCFMCP_OK);
    ck_assert_str_ne(other, first);
    pcfmcp_free(other);
    /* A configured key makes digests comparable across trails: HMAC-SHA256
     * over the canonical redacted form, '{"a":[1,"x"],"b":1,"password":"[REDACTED]"}'. */
    ck_assert_int_eq(pcfmcp_audit_set_args_key(au2, "0123456789abcdef", 16), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_audit_set_args_key(au2, "short", 5), PCFMCP_ERR_INVALID_ARG);
    const char *v = "{\"b\":1,\"password\":\"hunter2\",\"a\":[1.0,\"x\"]}";
    ck_assert_int_eq(pcfmcp_audit_args_digest(au2, v, strlen(v), &other), PCFMCP_OK);
    ck_assert_str_eq(other, "9bec864a84cb7fea84b5a8aedaaef17189e6e9ee028c858f5549ca8983393f9c");
    pcfmcp_free(other);
    pcfmcp_audit_free(au2);
    free(first);
}
END_TEST

START_TEST(redacted_arguments_never_hold_credentials)
{
    ck_assert_int_eq(pcfmcp_audit_set_args(au, PCFMCP_AUDIT_ARGS_REDACTED), PCFMCP_OK);
    char longtext[1000];
    memset(longtext, 'a', sizeof(longtext) - 1);
    longtext[sizeof(longtext) - 1] = '\0';
    char args[2000];
    snprintf(args, sizeof(args),
             "{\"login\":\"admin\",\"password\":\"hunter2-secret\",\"cleartext\":\"pw1\","
             "\"nested\":{\"api_key\":\"k-123456\",\"ok\":true},\"b64content\":\"QUJD\","
             "\"description\":\"%s\"}",
             longtext);
    pcfmcp_audit_record(au, "tool_call", "bob", NULL, NULL, NULL, NULL, "credential_create", args, "ok",
                        0, NULL);
    char *all = slurp(path);
    ck_assert_ptr_null(strstr(all, "hunter2"));
    ck_assert_ptr_null(strstr(all, "pw1"));
    ck_assert_ptr_null(strstr(all, "k-123456"));
    ck_assert_ptr_null(strstr(all, "QUJD"));
    ck_assert_ptr_null(strstr(all, longtext));
    free(all);
    cJSON *j = line_json(path, 0);
    const cJSON *a = cJSON_GetObjectItem(j, "args");
    ck_assert_str_eq(str(a, "login"), "admin");
    ck_assert_str_eq(str(a, "password"), "[REDACTED]");
    ck_assert_str_eq(str(cJSON_GetObjectItem(a, "nested"), "api_key"), "[REDACTED]");
    ck_assert_ptr_nonnull(strstr(str(a, "description"), "[+743 bytes]"));
    ck_assert_ptr_nonnull(str(j, "args_hmac"));
    cJSON_Delete(j);
}
END_TEST

START_TEST(targets_use_the_tools_argument_names)
{
    /* The PCF tools say `project` and `host` (a name or an id), not *_id. */
    ck_assert_int_eq(
        pcfmcp_audit_record(au, "tool_call", NULL, NULL, NULL, NULL, NULL, "add_issue",
                            "{\"project\":\"ACME external 2026\",\"host\":\"10.0.0.5\","
                            "\"issue\":\"6f1c7a1e-0c1d-4b59-9f55-0d5c1a2b3c4d\",\"port\":443,"
                            "\"network\":\"n1\",\"credential\":\"c1\",\"note\":\"x\","
                            "\"poc\":{\"content_base64\":\"QUFB\"},\"name\":\"SQLi\","
                            "\"ip\":\"10.0.0.6\",\"port_id\":\"p9\","
                            "\"host_id\":\"line\\nbreak\"}",
                            "ok", 0, NULL),
        PCFMCP_OK);
    cJSON *j = line_json(path, 0);
    const cJSON *t = cJSON_GetObjectItem(j, "targets");
    ck_assert_str_eq(str(t, "project"), "ACME external 2026");
    ck_assert_str_eq(str(t, "host"), "10.0.0.5");
    ck_assert_str_eq(str(t, "issue"), "6f1c7a1e-0c1d-4b59-9f55-0d5c1a2b3c4d");
    ck_assert_int_eq(cJSON_GetObjectItem(t, "port")->valueint, 443);
    ck_assert_str_eq(str(t, "network"), "n1");
    ck_assert_str_eq(str(t, "credential"), "c1");
    ck_assert_str_eq(str(t, "note"), "x");
    ck_assert_str_eq(str(t, "port_id"), "p9");
    ck_assert_ptr_null(cJSON_GetObjectItem(t, "poc"));     /* the file, not an id */
    ck_assert_ptr_null(cJSON_GetObjectItem(t, "name"));    /* not a target */
    ck_assert_ptr_null(cJSON_GetObjectItem(t, "ip"));
    ck_assert_ptr_null(cJSON_GetObjectItem(t, "host_id")); /* not id-like */
    cJSON_Delete(j);
}
END_TEST

START_TEST(args_mode_none_records_no_trace_of_arguments)
{
    ck_assert_int_eq(pcfmcp_audit_set_args(au, PCFMCP_AUDIT_ARGS_NONE), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_audit_set_args(au, (pcfmcp_audit_args_t)9), PCFMCP_ERR_INVALID_ARG);
    pcfmcp_audit_record(au, "tool_call", NULL, NULL, NULL, NULL, NULL, "t",
                        "{\"project_id\":\"p1\",\"x\":1}", "ok", 0, NULL);
    cJSON *j = line_json(path, 0);
    ck_assert_ptr_null(cJSON_GetObjectItem(j, "args_hmac"));
    ck_assert_ptr_null(cJSON_GetObjectItem(j, "args"));
    ck_assert_str_eq(str(cJSON_GetObjectItem(j, "targets"), "project_id"), "p1");
    cJSON_Delete(j);
}
END_TEST

START_TEST(logger_secrets_are_redacted_from_every_field)
{
    pcfmcp_logger_t *lg = NULL;
    ck_assert_int_eq(pcfmcp_logger_new(&lg), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_logger_add_secret(lg, "s3cr3t-token-value"), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_audit_set_logger(au, lg), PCFMCP_OK);
    pcfmcp_logger_unref(lg); /* the audit trail keeps its own reference */
    pcfmcp_audit_record(au, "refusal", "s3cr3t-token-value", NULL, NULL, NULL, NULL, "t", NULL,
                        "refused", -1, "bad key s3cr3t-token-value given");
    char *all = slurp(path);
    ck_assert_ptr_null(strstr(all, "s3cr3t"));
    ck_assert_ptr_nonnull(strstr(all, "[REDACTED]"));
    free(all);
}
END_TEST

START_TEST(reopen_follows_a_rotated_file)
{
    pcfmcp_audit_record(au, "tool_call", NULL, NULL, NULL, NULL, NULL, "a", NULL, "ok", 0, NULL);
    char rotated[400];
    snprintf(rotated, sizeof(rotated), "%s.1", path);
    ck_assert_int_eq(rename(path, rotated), 0);
    pcfmcp_audit_record(au, "tool_call", NULL, NULL, NULL, NULL, NULL, "b", NULL, "ok", 0, NULL);
    ck_assert_int_eq(pcfmcp_audit_reopen(au), PCFMCP_OK);
    pcfmcp_audit_record(au, "tool_call", NULL, NULL, NULL, NULL, NULL, "c", NULL, "ok", 0, NULL);
    char *old = slurp(rotated), *now = slurp(path);
    ck_assert_ptr_nonnull(strstr(old, "\"tool\":\"a\""));
    ck_assert_ptr_nonnull(strstr(old, "\"tool\":\"b\""));
    ck_assert_ptr_null(strstr(old, "\"tool\":\"c\""));
    ck_assert_ptr_nonnull(strstr(now, "\"tool\":\"c\""));
    free(old);
    free(now);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);
}
END_TEST

START_TEST(existing_file_is_appended_to)
{
    pcfmcp_audit_record(au, "tool_call", NULL, NULL, NULL, NULL, NULL, "first", NULL, "ok", 0, NULL);
    pcfmcp_audit_free(au);
    ck_assert_int_eq(pcfmcp_audit_new(&au), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_audit_open(au, path), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_audit_set_fsync(au, 1), PCFMCP_OK);
    pcfmcp_audit_record(au, "tool_call", NULL, NULL, NULL, NULL, NULL, "second", NULL, "ok", 0, NULL);
    ck_assert_int_eq(pcfmcp_audit_flush(au), PCFMCP_OK);
    cJSON *a = line_json(path, 0), *b = line_json(path, 1);
    ck_assert_str_eq(str(a, "tool"), "first");
    ck_assert_str_eq(str(b, "tool"), "second");
    cJSON_Delete(a);
    cJSON_Delete(b);
}
END_TEST

START_TEST(unopenable_file_is_refused_and_the_old_one_kept)
{
    char bad[400];
    snprintf(bad, sizeof(bad), "%s/missing-dir/audit.jsonl", dir);
    ck_assert_int_eq(pcfmcp_audit_open(au, bad), PCFMCP_ERR_IO);
    ck_assert_ptr_nonnull(strstr(pcfmcp_audit_errmsg(au), "missing-dir"));
    pcfmcp_audit_record(au, "tool_call", NULL, NULL, NULL, NULL, NULL, "kept", NULL, "ok", 0, NULL);
    cJSON *j = line_json(path, 0);
    ck_assert_str_eq(str(j, "tool"), "kept");
    cJSON_Delete(j);
}
END_TEST

static char sink_buf[4096];

static void sink(const char *line, size_t len, void *ud)
{
    (void)ud;
    snprintf(sink_buf, sizeof(sink_buf), "%.*s", (int)len, line);
}

START_TEST(sink_receives_records_instead_of_the_file)
{
    ck_assert_int_eq(pcfmcp_audit_set_sink(au, sink, NULL), PCFMCP_OK);
    pcfmcp_audit_record(au, "refusal", "x", NULL, NULL, NULL, NULL, NULL, NULL, "refused", -1,
                        "rate limited");
    ck_assert_ptr_nonnull(strstr(sink_buf, "\"detail\":\"rate limited\""));
    char *all = slurp(path);
    ck_assert_str_eq(all, "");
    free(all);
    ck_assert_int_eq(pcfmcp_audit_record(au, NULL, NULL, NULL, NULL, NULL, NULL, NULL, NULL, "x",
                                         0, NULL),
                     PCFMCP_ERR_INVALID_ARG);
}
END_TEST

#define WRITERS 8
#define PER_WRITER 250

static void *writer(void *p)
{
    long id = (long)p;
    char tool[32];
    snprintf(tool, sizeof(tool), "tool-%ld", id);
    for (int i = 0; i < PER_WRITER; i++)
        pcfmcp_audit_record(au, "tool_call", "w", NULL, NULL, NULL, NULL, tool,
                            "{\"project_id\":\"p\"}", "ok", 0.001, NULL);
    return NULL;
}

START_TEST(concurrent_records_are_whole_lines)
{
    pthread_t th[WRITERS];
    for (long i = 0; i < WRITERS; i++)
        pthread_create(&th[i], NULL, writer, (void *)i);
    for (int i = 0; i < WRITERS; i++)
        pthread_join(th[i], NULL);
    char *all = slurp(path);
    int lines = 0;
    for (char *s = all, *nl; (nl = strchr(s, '\n')) != NULL; s = nl + 1) {
        *nl = '\0';
        cJSON *j = cJSON_Parse(s);
        if (!j)
            ck_abort_msg("torn line: %s", s);
        cJSON_Delete(j);
        lines++;
    }
    free(all);
    ck_assert_int_eq(lines, WRITERS * PER_WRITER);
    ck_assert_uint_eq(pcfmcp_audit_written(au), WRITERS * PER_WRITER);
    ck_assert_uint_eq(pcfmcp_audit_failed(au), 0);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("audit");
    TCase *tc = tcase_create("records");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, tool_call_record_has_every_field);
    tcase_add_test(tc, targets_use_the_tools_argument_names);
    tcase_add_test(tc, argument_hash_is_over_the_canonical_form);
    tcase_add_test(tc, argument_digest_is_keyed_and_blind_to_secrets);
    tcase_add_test(tc, redacted_arguments_never_hold_credentials);
    tcase_add_test(tc, args_mode_none_records_no_trace_of_arguments);
    tcase_add_test(tc, logger_secrets_are_redacted_from_every_field);
    tcase_add_test(tc, reopen_follows_a_rotated_file);
    tcase_add_test(tc, existing_file_is_appended_to);
    tcase_add_test(tc, unopenable_file_is_refused_and_the_old_one_kept);
    tcase_add_test(tc, sink_receives_records_instead_of_the_file);
    tcase_add_test(tc, concurrent_records_are_whole_lines);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
