/* The PCF client through its public API against the fake PCF: every API v1
 * function, every error class, the retry rules, token renewal, HTTP Basic,
 * TLS verification, and the web-UI channel. */
#include <arpa/inet.h>
#include <check.h>
#include <cjson/cJSON.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <pcfmcp/pcfmcp.h>

#include "api/pcf_fake.h"
#include "pcf/client.h"

#define EMAIL "pcf-tester@example.com"
#define PASSWORD "pcf-tester-pass"
#define NO_ID "00000000-0000-4000-8000-000000000000"

static pcf_fake F;

/* ------------------------------------------------------------------ helpers */

typedef struct {
    pthread_mutex_t lock;
    char text[65536];
    size_t len;
} log_capture;

static log_capture LOG = { .lock = PTHREAD_MUTEX_INITIALIZER };

static void sink(pcfmcp_log_level_t level, const char *line, size_t len, void *ud)
{
    (void)level;
    log_capture *c = ud;
    pthread_mutex_lock(&c->lock);
    if (c->len + len + 2 < sizeof(c->text)) {
        memcpy(c->text + c->len, line, len);
        c->len += len;
        c->text[c->len++] = '\n';
        c->text[c->len] = '\0';
    }
    pthread_mutex_unlock(&c->lock);
}

static pcfmcp_logger_t *capture_logger(void)
{
    pcfmcp_logger_t *lg = NULL;
    ck_assert_int_eq(pcfmcp_logger_new(&lg), PCFMCP_OK);
    pcfmcp_logger_set_format(lg, PCFMCP_LOG_FORMAT_TEXT);
    pcfmcp_logger_set_level(lg, PCFMCP_LOG_DEBUG);
    LOG.len = 0;
    LOG.text[0] = '\0';
    pcfmcp_logger_set_sink(lg, sink, &LOG);
    return lg;
}

static void setup_fast(pcfmcp_pcf_t *p)
{
    ck_assert_int_eq(pcfmcp_pcf_set_retry(p, 3, 5, 20), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_pcf_set_timeouts(p, 2000, 5000, 15000), PCFMCP_OK);
}

static pcfmcp_pcf_t *login_client(const char *url, pcfmcp_logger_t *lg)
{
    pcfmcp_pcf_t *p = NULL;
    ck_assert_int_eq(pcfmcp_pcf_new(&p, url, lg), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_pcf_set_login(p, EMAIL, PASSWORD), PCFMCP_OK);
    setup_fast(p);
    return p;
}

static char *fresh_token(void)
{
    char *s = pcf_fake_control(&F, "POST", "/__fake__/token", "{\"email\":\"" EMAIL "\"}");
    cJSON *d = cJSON_Parse(s);
    free(s);
    char *t = strdup(cJSON_GetObjectItem(d, "access_token")->valuestring);
    cJSON_Delete(d);
    return t;
}

static pcfmcp_pcf_t *token_client(const char *url, const char *token)
{
    pcfmcp_pcf_t *p = NULL;
    ck_assert_int_eq(pcfmcp_pcf_new(&p, url, NULL), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_pcf_set_token(p, token), PCFMCP_OK);
    setup_fast(p);
    return p;
}

static cJSON *doc_of(const pcfmcp_pcf_result_t *r)
{
    const char *j = pcfmcp_pcf_result_json(r, NULL);
    ck_assert_ptr_nonnull(j);
    cJSON *d = cJSON_Parse(j);
    ck_assert_ptr_nonnull(d);
    return d;
}

/* Asserts success, returns a copy of the string member @p key (or NULL). */
static char *expect_ok(pcfmcp_error_t rc, pcfmcp_pcf_result_t **rp, const char *what,
                       const char *key)
{
    pcfmcp_pcf_result_t *r = *rp;
    ck_assert_msg(rc == PCFMCP_OK, "%s: %s: %s", what, pcfmcp_error_name(rc),
                  r ? pcfmcp_pcf_result_message(r) : "no result");
    ck_assert_int_eq(pcfmcp_pcf_result_error(r), PCFMCP_OK);
    char *v = NULL;
    if (key) {
        cJSON *d = doc_of(r);
        const cJSON *s = cJSON_GetObjectItem(d, key);
        ck_assert_msg(cJSON_IsString(s), "%s: no %s", what, key);
        v = strdup(s->valuestring);
        cJSON_Delete(d);
    }
    pcfmcp_pcf_result_free(r);
    return v;
}

static void expect_err(pcfmcp_error_t rc, pcfmcp_pcf_result_t **rp, pcfmcp_error_t want,
                       const char *needle)
{
    pcfmcp_pcf_result_t *r = *rp;
    ck_assert_ptr_nonnull(r);
    ck_assert_msg(rc == want, "got %s (%s), want %s", pcfmcp_error_name(rc),
                  pcfmcp_pcf_result_message(r), pcfmcp_error_name(want));
    ck_assert_int_eq(pcfmcp_pcf_result_error(r), want);
    if (needle)
        ck_assert_msg(strstr(pcfmcp_pcf_result_message(r), needle) != NULL,
                      "message \"%s\" lacks \"%s\"", pcfmcp_pcf_result_message(r), needle);
    pcfmcp_pcf_result_free(r);
}

/* Id of the first element of member @p list whose @p field equals @p value. */
static char *find_id(pcfmcp_pcf_result_t *r, const char *list, const char *field,
                     const char *value, const char *id_key)
{
    cJSON *d = doc_of(r);
    const cJSON *e;
    char *id = NULL;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(d, list)) {
        const cJSON *v = cJSON_GetObjectItem(e, field);
        if (!field || (cJSON_IsString(v) && strcmp(v->valuestring, value) == 0)) {
            id = strdup(cJSON_GetObjectItem(e, id_key)->valuestring);
            break;
        }
    }
    cJSON_Delete(d);
    pcfmcp_pcf_result_free(r);
    ck_assert_msg(id != NULL, "no %s with %s", list, value ? value : "");
    return id;
}

static char *project_id(pcfmcp_pcf_t *p)
{
    pcfmcp_pcf_result_t *r = NULL;
    ck_assert_int_eq(pcfmcp_pcf_projects_list(p, &r), PCFMCP_OK);
    return find_id(r, "projects", "name", "ACME external pentest", "id");
}

static void fault(const char *json)
{
    free(pcf_fake_control(&F, "POST", "/__fake__/faults", json));
}

static void start_fake(const char *const *args)
{
    if (!pcf_fake_available())
        return;
    pcf_fake_start(&F, args, false);
}

static void start_default(void)
{
    start_fake(NULL);
}

static void stop_fake(void)
{
    pcf_fake_stop(&F);
}

/* Each test starts from the seeded data, no faults, zero counters. */
static void reset_fake(void)
{
    if (!F.h)
        return;
    free(pcf_fake_control(&F, "POST", "/__fake__/faults/clear", NULL));
    free(pcf_fake_control(&F, "POST", "/__fake__/reset", NULL));
    free(pcf_fake_control(&F, "POST", "/__fake__/config",
                          "{\"bugs\": false, \"flavor\": \"head\"}"));
    free(pcf_fake_control(&F, "POST", "/__fake__/stats/reset", NULL));
}

#define NEED_FAKE()                                                                             \
    do {                                                                                        \
        if (!F.h) {                                                                           \
            fprintf(stderr, "%s: fake PCF not available, skipped\n", __func__);                 \
            return;                                                                             \
        }                                                                                       \
    } while (0)

/* ------------------------------------------------------------------ every function */

START_TEST(every_api_function_works_against_the_fake)
{
    NEED_FAKE();
    pcfmcp_pcf_t *p = login_client(F.url, NULL);
    pcfmcp_pcf_result_t *r = NULL;
    char *pid = project_id(p);

    /* tokens and users */
    free(expect_ok(pcfmcp_pcf_check(p, &r), &r, "check", "access_token"));
    ck_assert_int_gt(pcfmcp_pcf_token_expiry(p), 0);
    free(expect_ok(pcfmcp_pcf_token_check(p, &r), &r, "token_check", NULL));
    char *tok = expect_ok(pcfmcp_pcf_token_create(p, EMAIL, PASSWORD, "t", 60, &r), &r,
                          "token_create", "access_token");
    char *uid = expect_ok(pcfmcp_pcf_user_me(p, &r), &r, "user_me", "id");
    free(expect_ok(pcfmcp_pcf_user_info(p, uid, &r), &r, "user_info", "id"));

    /* teams */
    ck_assert_int_eq(pcfmcp_pcf_teams_list(p, &r), PCFMCP_OK);
    char *tid = find_id(r, "teams", NULL, NULL, "id");
    free(expect_ok(pcfmcp_pcf_team_info(p, tid, &r), &r, "team_info", "id"));
    ck_assert_int_eq(pcfmcp_pcf_team_users(p, tid, &r), PCFMCP_OK);
    char *second = find_id(r, "users", "email", "pcf-second@example.com", "id");
    free(expect_ok(pcfmcp_pcf_team_projects(p, tid, &r), &r, "team_projects", NULL));
    free(expect_ok(pcfmcp_pcf_team_logs(p, tid, 5, 0, &r), &r, "team_logs", NULL));
    free(expect_ok(pcfmcp_pcf_team_logs(p, tid, -1, -1, &r), &r, "team_logs defaults", NULL));
    free(expect_ok(pcfmcp_pcf_team_update(p, tid, "{\"description\":\"new\"}", &r), &r,
                   "team_update", NULL));
    free(expect_ok(pcfmcp_pcf_team_user_set_admin(p, tid, second, &r), &r, "set_admin", NULL));
    free(expect_ok(pcfmcp_pcf_team_user_devote(p, tid, second, &r), &r, "devote", NULL));
    expect_err(pcfmcp_pcf_team_user_add(p, tid, "pcf-second@example.com", 0, &r), &r,
               PCFMCP_ERR_PCF, "already in team");
    /* PCF HEAD answers 500 on every valid users/delete (the fake's --bugs). */
    free(pcf_fake_control(&F, "POST", "/__fake__/config", "{\"bugs\": true}"));
    expect_err(pcfmcp_pcf_team_user_delete(p, tid, second, &r), &r, PCFMCP_ERR_HTTP, "500");
    free(pcf_fake_control(&F, "POST", "/__fake__/config", "{\"bugs\": false}"));

    /* projects */
    char *np = expect_ok(pcfmcp_pcf_project_create(p, "client test", NULL, &r), &r,
                         "project_create", "project_id");
    free(expect_ok(pcfmcp_pcf_project_settings(p, np, &r), &r, "project_settings", "id"));
    free(expect_ok(pcfmcp_pcf_project_update(p, np, "{\"description\":\"d\"}", &r), &r,
                   "project_update", NULL));

    /* hosts, ports, hostnames */
    free(expect_ok(pcfmcp_pcf_hosts_list(p, pid, &r), &r, "hosts_list", NULL));
    char *hid = expect_ok(pcfmcp_pcf_host_create(p, np, "10.1.2.3", "{\"description\":\"h\"}",
                                                 &r),
                          &r, "host_create", "host_id");
    free(expect_ok(pcfmcp_pcf_host_update(p, np, hid, "{\"os\":\"Linux\",\"threats\":[\"high\"]}",
                                          &r),
                   &r, "host_update", NULL));
    free(expect_ok(pcfmcp_pcf_host_info(p, np, hid, &r), &r, "host_info", "id"));
    char *port = expect_ok(pcfmcp_pcf_port_create(p, np, hid, 443, 1, "{\"service\":\"https\"}",
                                                  &r),
                           &r, "port_create", "port_id");
    free(expect_ok(pcfmcp_pcf_port_info(p, np, port, &r), &r, "port_info", "id"));
    free(expect_ok(pcfmcp_pcf_port_update(p, np, port, "{\"description\":\"tls\"}", &r), &r,
                   "port_update", NULL));
    char *hn = expect_ok(pcfmcp_pcf_hostname_add(p, np, hid, "www.example.com", NULL, &r), &r,
                         "hostname_add", "id");
    free(expect_ok(pcfmcp_pcf_hostnames_list(p, np, &r), &r, "hostnames_list", NULL));

    /* networks: a non-numeric name takes the create-then-rename path */
    char *nid = expect_ok(pcfmcp_pcf_network_create(p, np, "10.1.0.0", 16,
                                                    "{\"name\":\"Office LAN\"}", &r),
                          &r, "network_create", "network_id");
    free(expect_ok(pcfmcp_pcf_network_info(p, np, nid, &r), &r, "network_info", "id"));
    ck_assert_int_eq(pcfmcp_pcf_network_info(p, np, nid, &r), PCFMCP_OK);
    cJSON *net = doc_of(r);
    ck_assert_str_eq(cJSON_GetObjectItem(net, "name")->valuestring, "Office LAN");
    cJSON_Delete(net);
    pcfmcp_pcf_result_free(r);
    free(expect_ok(pcfmcp_pcf_networks_list(p, np, &r), &r, "networks_list", NULL));
    free(expect_ok(pcfmcp_pcf_network_update(p, np, nid, "{\"asn\":64512}", &r), &r,
                   "network_update", NULL));
    free(expect_ok(pcfmcp_pcf_network_delete(p, np, nid, &r), &r, "network_delete", NULL));

    /* issues (reads through API v1), PoCs, rules */
    ck_assert_int_eq(pcfmcp_pcf_issues_list(p, pid, &r), PCFMCP_OK);
    char *iid = find_id(r, "issues", NULL, NULL, "issue_id");
    free(expect_ok(pcfmcp_pcf_issues_search(p, pid, "{\"name\":\"%\"}", &r), &r, "search", NULL));
    free(expect_ok(pcfmcp_pcf_issue_info(p, pid, iid, &r), &r, "issue_info", NULL));
    static const unsigned char png[] = { 0x89, 'P', 'N', 'G', '\r', '\n', 0x1a, '\n', 0, 0 };
    char *poc = expect_ok(pcfmcp_pcf_poc_add(p, pid, iid, png, sizeof(png), NULL,
                                             "{\"description\":\"shot\"}", &r),
                          &r, "poc_add", "poc_id");
    ck_assert_int_eq(pcfmcp_pcf_poc_info(p, pid, iid, poc, &r), PCFMCP_OK);
    cJSON *pi = doc_of(r);
    ck_assert_str_eq(cJSON_GetObjectItem(pi, "type")->valuestring, "image");
    cJSON_Delete(pi);
    pcfmcp_pcf_result_free(r);
    free(expect_ok(pcfmcp_pcf_poc_delete(p, pid, iid, poc, &r), &r, "poc_delete", NULL));
    ck_assert_int_eq(pcfmcp_pcf_rules_list(p, NULL, &r), PCFMCP_OK);
    char *rule = find_id(r, "result", NULL, NULL, "id");
    const char *rules[] = { rule }, *issues[] = { iid };
    free(expect_ok(pcfmcp_pcf_rules_use(p, pid, rules, 1, issues, 1, &r), &r, "rules_use",
                   NULL));
    free(expect_ok(pcfmcp_pcf_swagger(p, &r), &r, "swagger", "openapi"));
    free(expect_ok(pcfmcp_pcf_issue_delete(p, pid, iid, &r), &r, "issue_delete", NULL));

    /* deletes */
    free(expect_ok(pcfmcp_pcf_port_delete(p, np, port, &r), &r, "port_delete", NULL));
    free(expect_ok(pcfmcp_pcf_host_delete(p, np, hid, &r), &r, "host_delete", NULL));
    free(expect_ok(pcfmcp_pcf_token_disable(p, &r), &r, "token_disable", NULL));
    /* with email + password the client simply creates the next token */
    free(expect_ok(pcfmcp_pcf_user_me(p, &r), &r, "user_me after disable", NULL));

    free(pid), free(tok), free(uid), free(tid), free(second), free(np), free(hid), free(port);
    free(hn), free(nid), free(iid), free(poc), free(rule);
    pcfmcp_pcf_free(p);
}
END_TEST

START_TEST(bad_ids_and_missing_arguments_fail_before_anything_is_sent)
{
    NEED_FAKE();
    pcfmcp_pcf_t *p = token_client(F.url, NO_ID);
    pcfmcp_pcf_result_t *r = NULL;
    expect_err(pcfmcp_pcf_host_info(p, "not-a-uuid", NO_ID, &r), &r, PCFMCP_ERR_INVALID_ARG,
               "project_id");
    expect_err(pcfmcp_pcf_host_info(p, NO_ID, "../../admin", &r), &r, PCFMCP_ERR_INVALID_ARG,
               "host_id");
    expect_err(pcfmcp_pcf_host_create(p, NO_ID, NULL, NULL, &r), &r, PCFMCP_ERR_INVALID_ARG,
               "ip");
    expect_err(pcfmcp_pcf_port_create(p, NO_ID, NO_ID, 70000, 1, NULL, &r), &r,
               PCFMCP_ERR_INVALID_ARG, "port");
    expect_err(pcfmcp_pcf_hosts_list(p, NO_ID "x", &r), &r, PCFMCP_ERR_INVALID_ARG, NULL);
    expect_err(pcfmcp_pcf_host_update(p, NO_ID, NO_ID, "[1]", &r), &r, PCFMCP_ERR_INVALID_ARG,
               "body_json");
    const char *bad[] = { "x" };
    expect_err(pcfmcp_pcf_rules_use(p, NO_ID, bad, 1, bad, 1, &r), &r, PCFMCP_ERR_INVALID_ARG,
               "rule_ids");
    ck_assert_int_eq(pcfmcp_pcf_hosts_list(NULL, NO_ID, &r), PCFMCP_ERR_INVALID_ARG);
    ck_assert_int_eq(pcfmcp_pcf_hosts_list(p, NO_ID, NULL), PCFMCP_ERR_INVALID_ARG);
    /* ids carried in the body, not the path */
    expect_err(pcfmcp_pcf_hostname_add(p, NO_ID, "not-a-uuid", "www.example.com", NULL, &r), &r,
               PCFMCP_ERR_INVALID_ARG, "host_id must be a UUID");
    expect_err(pcfmcp_pcf_hostname_add(p, NO_ID, NULL, "www.example.com",
                                       "{\"host_id\":\"../x\"}", &r),
               &r, PCFMCP_ERR_INVALID_ARG, "host_id must be a UUID");
    expect_err(pcfmcp_pcf_team_user_set_admin(p, NO_ID, "bob", &r), &r, PCFMCP_ERR_INVALID_ARG,
               "user_id must be a UUID");
    expect_err(pcfmcp_pcf_team_user_devote(p, NO_ID, NO_ID "0", &r), &r, PCFMCP_ERR_INVALID_ARG,
               "user_id must be a UUID");
    expect_err(pcfmcp_pcf_team_user_delete(p, NO_ID, "", &r), &r, PCFMCP_ERR_INVALID_ARG,
               "user_id");
    expect_err(pcfmcp_pcf_port_create(p, NO_ID, "h", 443, 1, NULL, &r), &r,
               PCFMCP_ERR_INVALID_ARG, "host_id must be a UUID");
    expect_err(pcfmcp_pcf_project_create(p, "x", "{\"teams\":[\"" NO_ID "\",\"t\"]}", &r), &r,
               PCFMCP_ERR_INVALID_ARG, "teams must hold UUIDs");
    expect_err(pcfmcp_pcf_project_update(p, NO_ID, "{\"testers\":\"" NO_ID "\"}", &r), &r,
               PCFMCP_ERR_INVALID_ARG, "testers must be an array of UUIDs");
    expect_err(pcfmcp_pcf_network_create(p, NO_ID, "10.0.0.0", 8,
                                         "{\"access_from\":{\"p\":[\"0\"]}}", &r),
               &r, PCFMCP_ERR_INVALID_ARG, "access_from: port ids must be UUIDs");
    expect_err(pcfmcp_pcf_network_update(p, NO_ID, NO_ID,
                                         "{\"access_from\":{\"" NO_ID "\":[\"h\"]}}", &r),
               &r, PCFMCP_ERR_INVALID_ARG, "hostname ids must be UUIDs or \"0\"");
    expect_err(pcfmcp_pcf_issue_create(p, NO_ID, "n", "{\"services\":{\"p\":[]}}", &r), &r,
               PCFMCP_ERR_INVALID_ARG, "services: port ids must be UUIDs");
    expect_err(pcfmcp_pcf_issue_update(p, NO_ID, NO_ID,
                                       "{\"services\":{\"" NO_ID "\":[\"" NO_ID "\",1]}}",
                                       &r),
               &r, PCFMCP_ERR_INVALID_ARG, "services: hostname ids");
    expect_err(pcfmcp_pcf_poc_add(p, NO_ID, NO_ID, "x", 1, "text", "{\"port_id\":\"80\"}", &r),
               &r, PCFMCP_ERR_INVALID_ARG, "port_id must be a UUID or \"0\"");
    expect_err(pcfmcp_pcf_poc_add(p, NO_ID, NO_ID, "x", 1, "text",
                                  "{\"hostname_id\":\"www\"}", &r),
               &r, PCFMCP_ERR_INVALID_ARG, "hostname_id must be a UUID or \"0\"");
    expect_err(pcfmcp_pcf_rules_list(p, "{\"rule_ids\":[\"r\"]}", &r), &r,
               PCFMCP_ERR_INVALID_ARG, "rule_ids must hold UUIDs");
    expect_err(pcfmcp_pcf_rules_list(p, "{\"team_id\":\"t\"}", &r), &r,
               PCFMCP_ERR_INVALID_ARG, "team_id must be a UUID");
    expect_err(pcfmcp_pcf_rules_list(p, "{\"user_id\":7}", &r), &r, PCFMCP_ERR_INVALID_ARG,
               "user_id must be a UUID");
    expect_err(pcfmcp_pcf_credential_create(p, NO_ID, "admin", "{\"services\":[]}", &r), &r,
               PCFMCP_ERR_INVALID_ARG, "services must be an object");
    expect_err(pcfmcp_pcf_note_create(p, NO_ID, "n", "h", "t", &r), &r, PCFMCP_ERR_INVALID_ARG,
               "host_id must be a UUID");
    char *s = pcf_fake_control(&F, "GET", "/__fake__/stats", NULL);
    ck_assert_ptr_nonnull(strstr(s, "\"total\": 0"));
    free(s);
    pcfmcp_pcf_free(p);
}
END_TEST

START_TEST(pcf_errors_and_the_user_info_bug_map_to_distinct_codes)
{
    NEED_FAKE();
    char *tok = fresh_token();
    pcfmcp_pcf_t *p = token_client(F.url, tok);
    pcfmcp_pcf_result_t *r = NULL;
    ck_assert_int_eq(pcfmcp_pcf_project_settings(p, NO_ID, &r), PCFMCP_ERR_PCF);
    ck_assert_str_eq(pcfmcp_pcf_result_message(r), "Project not found!");
    ck_assert_str_eq(pcfmcp_pcf_result_pcf_errors(r), "[\"Project not found!\"]");
    ck_assert_int_eq(pcfmcp_pcf_result_http_status(r), 400);
    ck_assert_ptr_nonnull(strstr(pcfmcp_pcf_result_json(r, NULL), "errors"));
    pcfmcp_pcf_result_free(r);
    expect_err(pcfmcp_pcf_user_info(p, NO_ID, &r), &r, PCFMCP_ERR_NOT_FOUND, "User not found!");
    expect_err(pcfmcp_pcf_token_create(p, EMAIL, "wrong-password", NULL, 0, &r), &r,
               PCFMCP_ERR_AUTH, "Auth error!");
    free(tok);
    pcfmcp_pcf_free(p);
}
END_TEST

/* ------------------------------------------------------------------ error classes */

static long mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void set_bugs(bool on)
{
    free(pcf_fake_control(&F, "POST", "/__fake__/config", on ? "{\"bugs\": true}"
                                                             : "{\"bugs\": false}"));
}

static bool fake_wedged(void)
{
    char *h = pcf_fake_control(&F, "GET", "/__fake__/health", NULL);
    bool w = strstr(h, "\"wedged\": true") != NULL;
    free(h);
    return w;
}

static long status_count(const char *status)
{
    char *s = pcf_fake_control(&F, "GET", "/__fake__/stats", NULL);
    cJSON *d = cJSON_Parse(s);
    free(s);
    ck_assert_ptr_nonnull(d);
    const cJSON *n = cJSON_GetObjectItem(cJSON_GetObjectItem(d, "statuses"), status);
    long v = cJSON_IsNumber(n) ? (long)n->valuedouble : 0;
    cJSON_Delete(d);
    return v;
}

static long stat_number(const char *key)
{
    char *s = pcf_fake_control(&F, "GET", "/__fake__/stats", NULL);
    cJSON *d = cJSON_Parse(s);
    free(s);
    ck_assert_ptr_nonnull(d);
    const cJSON *n = cJSON_GetObjectItem(d, key);
    ck_assert_msg(cJSON_IsNumber(n), "stats lack %s", key);
    long v = (long)n->valuedouble;
    cJSON_Delete(d);
    return v;
}

static long route_count(const char *route)
{
    char *s = pcf_fake_control(&F, "GET", "/__fake__/stats", NULL);
    cJSON *d = cJSON_Parse(s);
    free(s);
    ck_assert_ptr_nonnull(d);
    const cJSON *n = cJSON_GetObjectItem(cJSON_GetObjectItem(d, "routes"), route);
    long v = cJSON_IsNumber(n) ? (long)n->valuedouble : 0;
    cJSON_Delete(d);
    return v;
}

START_TEST(injected_status_pages_map_to_err_http_with_the_status)
{
    NEED_FAKE();
    pcfmcp_pcf_t *p = login_client(F.url, NULL);
    pcfmcp_pcf_result_t *r = NULL;
    char *pid = project_id(p);
    /* 4xx are answers, not failures: never repeated. */
    static const int codes[] = { 404, 405 };
    for (int i = 0; i < 2; i++) {
        char f[200];
        snprintf(f, sizeof(f), "{\"mode\":\"status\",\"status\":%d,\"count\":1,\"path\":\"hosts$\"}",
                 codes[i]);
        fault(f);
        ck_assert_int_eq(pcfmcp_pcf_hosts_list(p, pid, &r), PCFMCP_ERR_HTTP);
        ck_assert_int_eq(pcfmcp_pcf_result_http_status(r), codes[i]);
        ck_assert_int_eq(pcfmcp_pcf_result_attempts(r), 1);
        pcfmcp_pcf_result_free(r);
    }
    /* Any 5xx on a read is retried: one 500, then the answer. */
    fault("{\"mode\":\"status\",\"status\":500,\"count\":1,\"path\":\"hosts$\"}");
    ck_assert_int_eq(pcfmcp_pcf_hosts_list(p, pid, &r), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_pcf_result_attempts(r), 2);
    pcfmcp_pcf_result_free(r);
    /* A 500 that persists (and a 501) uses up the attempts, then is reported. */
    fault("{\"mode\":\"status\",\"status\":501,\"count\":3,\"path\":\"hosts$\"}");
    ck_assert_int_eq(pcfmcp_pcf_hosts_list(p, pid, &r), PCFMCP_ERR_HTTP);
    ck_assert_int_eq(pcfmcp_pcf_result_http_status(r), 501);
    ck_assert_int_eq(pcfmcp_pcf_result_attempts(r), 3);
    pcfmcp_pcf_result_free(r);
    /* A write that met a 500 was received; its fate is unknown: sent once. */
    free(pcf_fake_control(&F, "POST", "/__fake__/stats/reset", NULL));
    fault("{\"mode\":\"status\",\"status\":500,\"count\":1,\"path\":\"host/new$\"}");
    ck_assert_int_eq(pcfmcp_pcf_host_create(p, pid, "10.9.9.9", NULL, &r), PCFMCP_ERR_HTTP);
    ck_assert_int_eq(pcfmcp_pcf_result_http_status(r), 500);
    ck_assert_int_eq(pcfmcp_pcf_result_attempts(r), 1);
    pcfmcp_pcf_result_free(r);
    ck_assert_int_eq(route_count("POST /api/v1/project/<uuid:project_id>/host/new"), 1);
    free(pid);
    pcfmcp_pcf_free(p);
}
END_TEST

START_TEST(a_404_without_pcf_errors_points_at_pcf_url_and_leaks_nothing)
{
    NEED_FAKE();
    char *tok = fresh_token();
    char url[200];
    /* A base URL with a path prefix PCF does not have: every route is 404. */
    snprintf(url, sizeof(url), "%s/pcf-secret-prefix", F.url);
    pcfmcp_pcf_t *p = token_client(url, tok);
    pcfmcp_pcf_result_t *r = NULL;
    ck_assert_int_eq(pcfmcp_pcf_projects_list(p, &r), PCFMCP_ERR_HTTP);
    ck_assert_int_eq(pcfmcp_pcf_result_http_status(r), 404);
    ck_assert_int_eq(pcfmcp_pcf_result_attempts(r), 1);
    const char *m = pcfmcp_pcf_result_message(r);
    ck_assert_msg(strstr(m, "HTTP 404") && strstr(m, "check that pcf.url is the base URL"),
                  "message: %s", m);
    ck_assert_ptr_null(strstr(m, tok));
    ck_assert_ptr_null(strstr(m, "pcf-secret-prefix"));
    ck_assert_ptr_null(strstr(m, "127.0.0.1"));
    pcfmcp_pcf_result_free(r);
    pcfmcp_pcf_free(p);
    /* The right URL: an unknown id is PCF's 400 "not found", never the hint. */
    p = token_client(F.url, tok);
    ck_assert_int_eq(pcfmcp_pcf_project_settings(p, NO_ID, &r), PCFMCP_ERR_PCF);
    ck_assert_ptr_null(strstr(pcfmcp_pcf_result_message(r), "pcf.url"));
    pcfmcp_pcf_result_free(r);
    free(tok);
    pcfmcp_pcf_free(p);
}
END_TEST

START_TEST(garbage_truncated_and_huge_bodies_are_refused_cleanly)
{
    NEED_FAKE();
    pcfmcp_pcf_t *p = NULL;
    ck_assert_int_eq(pcfmcp_pcf_new(&p, F.url, NULL), PCFMCP_OK);
    pcfmcp_pcf_set_login(p, EMAIL, PASSWORD);
    pcfmcp_pcf_set_retry(p, 1, 5, 5);
    pcfmcp_pcf_set_max_body(p, 1024 * 1024);
    pcfmcp_pcf_result_t *r = NULL;
    char *pid = project_id(p);
    fault("{\"mode\":\"garbage\",\"count\":1,\"path\":\"hosts$\"}");
    ck_assert_int_eq(pcfmcp_pcf_hosts_list(p, pid, &r), PCFMCP_ERR_BAD_RESPONSE);
    const char *m = pcfmcp_pcf_result_message(r);
    ck_assert_ptr_nonnull(strstr(m, "this is not JSON"));
    for (const char *c = m; *c; c++)
        ck_assert((unsigned char)*c >= 0x20 && *c != 0x7f);
    ck_assert_uint_le(strlen(m), 200);
    pcfmcp_pcf_result_free(r);
    fault("{\"mode\":\"truncated\",\"count\":1,\"path\":\"hosts$\"}");
    expect_err(pcfmcp_pcf_hosts_list(p, pid, &r), &r, PCFMCP_ERR_BAD_RESPONSE, "truncated");
    fault("{\"mode\":\"huge\",\"size_mb\":3,\"count\":1,\"path\":\"hosts$\"}");
    expect_err(pcfmcp_pcf_hosts_list(p, pid, &r), &r, PCFMCP_ERR_LIMIT, "limit");
    /* The client is still usable afterwards. */
    free(expect_ok(pcfmcp_pcf_hosts_list(p, pid, &r), &r, "hosts after faults", NULL));
    free(pid);
    pcfmcp_pcf_free(p);
}
END_TEST

static int closed_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t l = sizeof(a);
    ck_assert_int_eq(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
    getsockname(s, (struct sockaddr *)&a, &l);
    close(s);
    return ntohs(a.sin_port);
}

START_TEST(refused_connection_is_err_connect_and_retried_even_for_writes)
{
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", closed_port());
    pcfmcp_pcf_t *p = token_client(url, NO_ID);
    pcfmcp_pcf_result_t *r = NULL;
    ck_assert_int_eq(pcfmcp_pcf_host_create(p, NO_ID, "10.0.0.1", NULL, &r),
                     PCFMCP_ERR_CONNECT);
    /* Nothing left the machine, so a write may be tried again. */
    ck_assert_int_eq(pcfmcp_pcf_result_attempts(r), 3);
    ck_assert_int_eq(pcfmcp_pcf_result_http_status(r), 0);
    pcfmcp_pcf_result_free(r);
    pcfmcp_pcf_free(p);
}
END_TEST

/* A listener whose accept queue is full: Linux drops further SYNs, so a
 * connect to it neither succeeds nor is refused until the client gives up. */
static int full_listener(int fillers[3], int *port)
{
    int s = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t l = sizeof(a);
    ck_assert_int_eq(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
    ck_assert_int_eq(listen(s, 0), 0);
    getsockname(s, (struct sockaddr *)&a, &l);
    for (int i = 0; i < 3; i++) {
        fillers[i] = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
        connect(fillers[i], (struct sockaddr *)&a, sizeof(a));
    }
    *port = ntohs(a.sin_port);
    return s;
}

START_TEST(connect_timeout_bounds_each_attempt_and_allows_a_retry_of_a_write)
{
    int fillers[3], port;
    int ls = full_listener(fillers, &port);
    char url[64];
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
    pcfmcp_pcf_t *p = NULL;
    ck_assert_int_eq(pcfmcp_pcf_new(&p, url, NULL), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_pcf_set_token(p, NO_ID), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_pcf_set_retry(p, 2, 5, 5), PCFMCP_OK);
    /* The request timeout (8 s) would end each attempt far later. */
    ck_assert_int_eq(pcfmcp_pcf_set_timeouts(p, 200, 8000, 20000), PCFMCP_OK);
    pcfmcp_pcf_result_t *r = NULL;
    long t0 = mono_ms();
    ck_assert_int_eq(pcfmcp_pcf_host_create(p, NO_ID, "10.0.0.1", NULL, &r),
                     PCFMCP_ERR_TIMEOUT);
    long took = mono_ms() - t0;
    /* Nothing was sent, so even a write gets its second attempt. */
    ck_assert_int_eq(pcfmcp_pcf_result_attempts(r), 2);
    ck_assert_int_eq(pcfmcp_pcf_result_http_status(r), 0);
    pcfmcp_pcf_result_free(r);
    ck_assert_msg(took >= 400 && took < 3000, "two connect timeouts took %ld ms", took);
    pcfmcp_pcf_free(p);
    for (int i = 0; i < 3; i++)
        close(fillers[i]);
    close(ls);
}
END_TEST

START_TEST(timeout_on_a_write_is_reported_and_never_resent)
{
    NEED_FAKE();
    pcfmcp_pcf_t *p = login_client(F.url, NULL);
    pcfmcp_pcf_result_t *r = NULL;
    char *pid = project_id(p);
    pcfmcp_pcf_free(p);
    ck_assert_int_eq(pcfmcp_pcf_new(&p, F.url, NULL), PCFMCP_OK);
    pcfmcp_pcf_set_login(p, EMAIL, PASSWORD);
    pcfmcp_pcf_set_retry(p, 3, 5, 20);
    pcfmcp_pcf_set_timeouts(p, 1000, 300, 5000);
    free(expect_ok(pcfmcp_pcf_check(p, &r), &r, "check", NULL));
    fault("{\"mode\":\"latency\",\"latency_ms\":1500,\"count\":1,\"path\":\"host/new$\"}");
    free(pcf_fake_control(&F, "POST", "/__fake__/stats/reset", NULL));
    expect_err(pcfmcp_pcf_host_create(p, pid, "10.5.5.5", NULL, &r), &r, PCFMCP_ERR_TIMEOUT,
               NULL);
    char path[128];
    snprintf(path, sizeof(path), "/api/v1/project/%s/host/new", pid);
    ck_assert_int_eq(pcf_fake_path_count(&F, path), 1);
    free(pid);
    pcfmcp_pcf_free(p);
}
END_TEST

START_TEST(reset_after_sending_a_write_is_not_resent)
{
    NEED_FAKE();
    pcfmcp_pcf_t *p = login_client(F.url, NULL);
    pcfmcp_pcf_result_t *r = NULL;
    char *pid = project_id(p);
    char path[128];
    snprintf(path, sizeof(path), "/api/v1/project/%s/host/new", pid);
    /* Warm keep-alive connections first: a reused one must not make libcurl
     * resend the write on its own either. */
    free(expect_ok(pcfmcp_pcf_hosts_list(p, pid, &r), &r, "warm", NULL));
    fault("{\"mode\":\"reset\",\"count\":1,\"path\":\"host/new$\"}");
    free(pcf_fake_control(&F, "POST", "/__fake__/stats/reset", NULL));
    ck_assert_int_eq(pcfmcp_pcf_host_create(p, pid, "10.6.6.6", NULL, &r), PCFMCP_ERR_CONNECT);
    ck_assert_int_eq(pcfmcp_pcf_result_attempts(r), 1);
    pcfmcp_pcf_result_free(r);
    ck_assert_int_eq(pcf_fake_path_count(&F, path), 1);
    /* A read hit by the same fault is sent again (by libcurl itself when the
     * reset hit a reused connection, else by the retry policy) and succeeds. */
    fault("{\"mode\":\"reset\",\"count\":1,\"path\":\"hosts$\"}");
    ck_assert_int_eq(pcfmcp_pcf_hosts_list(p, pid, &r), PCFMCP_OK);
    pcfmcp_pcf_result_free(r);
    snprintf(path, sizeof(path), "/api/v1/project/%s/hosts", pid);
    ck_assert_int_eq(pcf_fake_path_count(&F, path), 2);
    free(pid);
    pcfmcp_pcf_free(p);
}
END_TEST

typedef struct {
    volatile int flag;
    int delay_ms;
} cancel_arg;

static void *cancel_later(void *ud)
{
    cancel_arg *a = ud;
    usleep((useconds_t)a->delay_ms * 1000);
    __atomic_store_n(&a->flag, 1, __ATOMIC_RELAXED);
    return NULL;
}

START_TEST(cancellation_aborts_a_hanging_transfer)
{
    NEED_FAKE();
    pcfmcp_pcf_t *p = login_client(F.url, NULL);
    pcfmcp_pcf_result_t *r = NULL;
    char *pid = project_id(p);
    fault("{\"mode\":\"hang\",\"count\":1,\"path\":\"hosts$\"}");
    cancel_arg a = { 0, 200 };
    pthread_t t;
    pthread_create(&t, NULL, cancel_later, &a);
    cJSON *args = cJSON_CreateObject();
    cJSON_AddStringToObject(args, "project_id", pid);
    pcfmcp__pcf_callctx ctx = { .cancelled = &a.flag, .request_id = "req-7",
                                .traceparent =
                                    "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01" };
    pcfmcp_error_t rc = pcfmcp__pcf_call(p, &ctx, PCFMCP__PCF_OP_HOSTS_LIST, args, &r);
    pthread_join(t, NULL);
    expect_err(rc, &r, PCFMCP_ERR_CANCELLED, "cancelled");
    /* And the parsed answer is handed to internal callers without a re-parse. */
    ck_assert_int_eq(pcfmcp__pcf_call(p, NULL, PCFMCP__PCF_OP_HOSTS_LIST, args, &r), PCFMCP_OK);
    ck_assert(cJSON_IsArray(cJSON_GetObjectItem(pcfmcp__pcf_result_cjson(r), "hosts")));
    pcfmcp_pcf_result_free(r);
    cJSON_Delete(args);
    free(pid);
    pcfmcp_pcf_free(p);
}
END_TEST

/* ------------------------------------------------------------------ retries */

typedef struct {
    int calls, retries;
    int last_status;
    char labels[512];
} obs_data;

static void observer(const char *endpoint, int status, pcfmcp_error_t err, double secs,
                     int attempt, int is_retry, void *ud)
{
    (void)err;
    (void)secs;
    obs_data *o = ud;
    o->calls++;
    o->retries += is_retry != 0;
    ck_assert(is_retry == (attempt > 1));
    o->last_status = status;
    if (strlen(o->labels) + strlen(endpoint) + 2 < sizeof(o->labels)) {
        strcat(o->labels, endpoint);
        strcat(o->labels, " ");
    }
}

START_TEST(reads_are_retried_on_503_and_429_honouring_retry_after)
{
    NEED_FAKE();
    pcfmcp_logger_t *lg = capture_logger();
    pcfmcp_pcf_t *p = login_client(F.url, lg);
    obs_data o;
    memset(&o, 0, sizeof(o));
    pcfmcp_pcf_set_observer(p, observer, &o);
    pcfmcp_pcf_result_t *r = NULL;
    char *pid = project_id(p);
    fault("{\"mode\":\"status\",\"status\":503,\"count\":2,\"path\":\"hosts$\"}");
    o.calls = o.retries = 0;
    ck_assert_int_eq(pcfmcp_pcf_hosts_list(p, pid, &r), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_pcf_result_attempts(r), 3);
    pcfmcp_pcf_result_free(r);
    ck_assert_int_eq(o.calls, 3);
    ck_assert_int_eq(o.retries, 2);
    ck_assert_ptr_nonnull(strstr(o.labels, "hosts_list"));
    ck_assert_ptr_null(strstr(o.labels, pid));
    ck_assert_ptr_nonnull(strstr(LOG.text, "retrying hosts_list (attempt 2 of 3) after HTTP 503"));

    fault("{\"mode\":\"retry_after\",\"status\":429,\"retry_after\":1,\"count\":1,"
          "\"path\":\"hosts$\"}");
    ck_assert_int_eq(pcfmcp_pcf_hosts_list(p, pid, &r), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_pcf_result_attempts(r), 2);
    pcfmcp_pcf_result_free(r);
    ck_assert_ptr_nonnull(strstr(LOG.text, "after HTTP 429; waiting 1000 ms"));

    /* Out of attempts: the last status decides. */
    fault("{\"mode\":\"status\",\"status\":429,\"count\":3,\"path\":\"hosts$\"}");
    expect_err(pcfmcp_pcf_hosts_list(p, pid, &r), &r, PCFMCP_ERR_RATE_LIMITED, "429");
    free(pid);
    pcfmcp_pcf_free(p);
    pcfmcp_logger_unref(lg);
}
END_TEST

START_TEST(writes_are_not_retried_on_503_and_retry_after_beyond_the_budget_is_not_awaited)
{
    NEED_FAKE();
    pcfmcp_pcf_t *p = login_client(F.url, NULL);
    pcfmcp_pcf_result_t *r = NULL;
    char *pid = project_id(p);
    fault("{\"mode\":\"status\",\"status\":503,\"count\":1,\"path\":\"host/new$\"}");
    ck_assert_int_eq(pcfmcp_pcf_host_create(p, pid, "10.7.7.7", NULL, &r), PCFMCP_ERR_HTTP);
    ck_assert_int_eq(pcfmcp_pcf_result_attempts(r), 1);
    ck_assert_int_eq(pcfmcp_pcf_result_http_status(r), 503);
    pcfmcp_pcf_result_free(r);
    pcfmcp_pcf_free(p);

    ck_assert_int_eq(pcfmcp_pcf_new(&p, F.url, NULL), PCFMCP_OK);
    pcfmcp_pcf_set_login(p, EMAIL, PASSWORD);
    pcfmcp_pcf_set_timeouts(p, 1000, 2000, 2500);
    fault("{\"mode\":\"retry_after\",\"status\":503,\"retry_after\":30,\"count\":1,"
          "\"path\":\"hosts$\"}");
    ck_assert_int_eq(pcfmcp_pcf_hosts_list(p, pid, &r), PCFMCP_ERR_HTTP);
    ck_assert_int_eq(pcfmcp_pcf_result_attempts(r), 2); /* create_token + one try */
    pcfmcp_pcf_result_free(r);
    free(pid);
    pcfmcp_pcf_free(p);
}
END_TEST

START_TEST(backoff_waits_are_capped_by_max_ms)
{
    NEED_FAKE();
    char *tok = fresh_token();
    pcfmcp_pcf_t *p = token_client(F.url, tok);
    /* Doubling from 100 ms would wait at least 50+100+...+1600 = 3150 ms over
     * six retries (jitter keeps half); capped at 100 ms it is 300..600 ms. */
    ck_assert_int_eq(pcfmcp_pcf_set_retry(p, 7, 100, 100), PCFMCP_OK);
    pcfmcp_pcf_result_t *r = NULL;
    fault("{\"mode\":\"status\",\"status\":503,\"count\":6,\"path\":\"projects$\"}");
    long t0 = mono_ms();
    ck_assert_int_eq(pcfmcp_pcf_projects_list(p, &r), PCFMCP_OK);
    long took = mono_ms() - t0;
    ck_assert_int_eq(pcfmcp_pcf_result_attempts(r), 7);
    pcfmcp_pcf_result_free(r);
    ck_assert_msg(took >= 300 && took < 2500, "six capped waits took %ld ms", took);
    free(tok);
    pcfmcp_pcf_free(p);
}
END_TEST

START_TEST(sequential_calls_reuse_one_connection)
{
    NEED_FAKE();
    char *tok = fresh_token();
    pcfmcp_pcf_t *p = token_client(F.url, tok);
    pcfmcp_pcf_result_t *r = NULL;
    for (int i = 0; i < 5; i++)
        free(expect_ok(pcfmcp_pcf_projects_list(p, &r), &r, "projects", NULL));
    free(expect_ok(pcfmcp_pcf_user_me(p, &r), &r, "user_me", NULL));
    ck_assert_int_eq(stat_number("total"), 6);
    ck_assert_int_eq(stat_number("connections"), 1);
    /* A second client is a second connection: the counter can tell. */
    pcfmcp_pcf_t *q = token_client(F.url, tok);
    free(expect_ok(pcfmcp_pcf_projects_list(q, &r), &r, "projects 2", NULL));
    ck_assert_int_eq(stat_number("connections"), 2);
    free(expect_ok(pcfmcp_pcf_projects_list(p, &r), &r, "projects again", NULL));
    ck_assert_int_eq(stat_number("connections"), 2);
    pcfmcp_pcf_free(q);
    free(tok);
    pcfmcp_pcf_free(p);
}
END_TEST

/* ------------------------------------------------------------------ tokens */

START_TEST(expired_token_is_renewed_once_with_email_and_password)
{
    NEED_FAKE();
    pcfmcp_logger_t *lg = capture_logger();
    pcfmcp_pcf_t *p = login_client(F.url, lg);
    pcfmcp_pcf_result_t *r = NULL;
    char *pid = project_id(p);
    free(pcf_fake_control(&F, "POST", "/__fake__/expire_tokens", NULL));
    ck_assert_int_eq(pcfmcp_pcf_hosts_list(p, pid, &r), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_pcf_result_attempts(r), 3); /* rejected, create_token, again */
    pcfmcp_pcf_result_free(r);
    ck_assert_ptr_nonnull(strstr(LOG.text, "creating a new one"));
    ck_assert_ptr_null(strstr(LOG.text, PASSWORD));
    /* A token that keeps expiring is renewed once per call, not forever. */
    fault("{\"mode\":\"expire_token\",\"path\":\"hosts$\"}");
    expect_err(pcfmcp_pcf_hosts_list(p, pid, &r), &r, PCFMCP_ERR_AUTH, "Token expired!");
    free(pid);
    pcfmcp_pcf_free(p);
    pcfmcp_logger_unref(lg);
}
END_TEST

START_TEST(expired_token_without_login_is_err_auth_with_advice)
{
    NEED_FAKE();
    char *tok = fresh_token();
    pcfmcp_logger_t *lg = capture_logger();
    pcfmcp_pcf_t *p = NULL;
    ck_assert_int_eq(pcfmcp_pcf_new(&p, F.url, lg), PCFMCP_OK);
    pcfmcp_pcf_set_token(p, tok);
    pcfmcp_pcf_result_t *r = NULL;
    free(expect_ok(pcfmcp_pcf_projects_list(p, &r), &r, "projects", NULL));
    free(pcf_fake_control(&F, "POST", "/__fake__/expire_tokens", NULL));
    ck_assert_int_eq(pcfmcp_pcf_projects_list(p, &r), PCFMCP_ERR_AUTH);
    ck_assert_str_eq(pcfmcp_pcf_result_message(r),
                     "PCF rejected the access token (Token expired!): configure a fresh token "
                     "or pcf.email/pcf.password");
    ck_assert_int_eq(pcfmcp_pcf_result_attempts(r), 1);
    pcfmcp_pcf_result_free(r);
    ck_assert_ptr_null(strstr(LOG.text, tok));
    free(tok);
    pcfmcp_pcf_free(p);
    pcfmcp_logger_unref(lg);
}
END_TEST

/* ------------------------------------------------------------------ PCF HEAD's bugs */

/* With the fake reproducing PCF HEAD's bugs, the client's workarounds keep
 * every one of these calls away from the 500s. */
START_TEST(workarounds_hold_with_the_fake_bugs_switched_on)
{
    NEED_FAKE();
    set_bugs(true);
    pcfmcp_pcf_t *p = login_client(F.url, NULL);
    pcfmcp_pcf_result_t *r = NULL;
    char *pid = project_id(p);
    free(pcf_fake_control(&F, "POST", "/__fake__/stats/reset", NULL));

    /* project/new without dates or auto_archive */
    char *np = expect_ok(pcfmcp_pcf_project_create(p, "no dates", NULL, &r), &r,
                         "project_create", "project_id");
    /* network/create with a name that is not an integer string */
    char *nid = expect_ok(pcfmcp_pcf_network_create(p, np, "10.3.0.0", 16,
                                                    "{\"name\":\"DMZ west\"}", &r),
                          &r, "network_create", "network_id");
    ck_assert_int_eq(pcfmcp_pcf_network_info(p, np, nid, &r), PCFMCP_OK);
    cJSON *d = doc_of(r);
    ck_assert_str_eq(cJSON_GetObjectItem(d, "name")->valuestring, "DMZ west");
    cJSON_Delete(d);
    pcfmcp_pcf_result_free(r);
    /* rules without rule_ids */
    ck_assert_int_eq(pcfmcp_pcf_rules_list(p, NULL, &r), PCFMCP_OK);
    d = doc_of(r);
    ck_assert_int_gt(cJSON_GetArraySize(cJSON_GetObjectItem(d, "result")), 0);
    cJSON_Delete(d);
    pcfmcp_pcf_result_free(r);
    ck_assert_int_eq(status_count("500"), 0);

    /* nmap import whose NSE output PCF HEAD would turn into issues (and hang on) */
    const char *xml = "<?xml version=\"1.0\"?><nmaprun><host><status state=\"up\"/>"
                      "<address addr=\"10.78.0.5\" addrtype=\"ipv4\"/><ports>"
                      "<port protocol=\"tcp\" portid=\"445\"><state state=\"open\"/>"
                      "<service name=\"microsoft-ds\"/></port></ports><hostscript>"
                      "<script id=\"smb2-security-mode\" output=\"Message signing enabled "
                      "but not required\"/></hostscript></host></nmaprun>";
    ck_assert_int_eq(pcfmcp_pcf_nmap_import(p, pid, xml, strlen(xml), NULL, &r), PCFMCP_OK);
    d = doc_of(r);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(d, "removed")), 1);
    cJSON_Delete(d);
    pcfmcp_pcf_result_free(r);
    ck_assert(!fake_wedged());
    ck_assert_int_eq(pcfmcp_pcf_hosts_list(p, pid, &r), PCFMCP_OK);
    ck_assert_ptr_nonnull(strstr(pcfmcp_pcf_result_json(r, NULL), "10.78.0.5"));
    pcfmcp_pcf_result_free(r);
    ck_assert_int_eq(status_count("500"), 0);

    free(np), free(nid), free(pid);
    pcfmcp_pcf_free(p);
}
END_TEST

/* The operator forced the API issues/create route on PCF HEAD: the 500 is
 * reported, the hang that follows costs one call's budget and no more, and
 * the same client works again once PCF is back. */
START_TEST(forced_api_issue_create_on_buggy_pcf_is_survived)
{
    NEED_FAKE();
    set_bugs(true);
    pcfmcp_pcf_t *p = login_client(F.url, NULL);
    ck_assert_int_eq(pcfmcp_pcf_set_channel(p, "issues_write", "api"), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_pcf_set_allow_api_issue_writes(p, 1), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_pcf_set_timeouts(p, 1000, 400, 1500), PCFMCP_OK);
    pcfmcp_pcf_result_t *r = NULL;
    char *pid = project_id(p);
    free(pcf_fake_control(&F, "POST", "/__fake__/stats/reset", NULL));

    ck_assert_int_eq(pcfmcp_pcf_issue_create(p, pid, "Forced", NULL, &r), PCFMCP_ERR_HTTP);
    ck_assert_int_eq(pcfmcp_pcf_result_http_status(r), 500);
    ck_assert_int_eq(pcfmcp_pcf_result_attempts(r), 1);
    /* The 500 is PCF's known defect, and said to be. */
    const char *m = pcfmcp_pcf_result_message(r);
    ck_assert_msg(strstr(m, "known PCF defect") && strstr(m, "3e415b6") &&
                      strstr(m, "Restart PCF"),
                  "%s", m);
    pcfmcp_pcf_result_free(r);
    ck_assert_int_eq(route_count("POST /api/v1/project/<uuid:project_id>/issues/create"), 1);
    ck_assert(fake_wedged());

    long t0 = mono_ms();
    ck_assert_int_eq(pcfmcp_pcf_hosts_list(p, pid, &r), PCFMCP_ERR_TIMEOUT);
    long took = mono_ms() - t0;
    /* A later timeout names the write since which PCF appears hung. */
    m = pcfmcp_pcf_result_message(r);
    ck_assert_msg(strstr(m, "PCF appears hung since the write issue_create at ") &&
                      strstr(m, " UTC (it answered HTTP 500; a write known to leave "
                                "PCF's database locked)") &&
                      strstr(m, "restart PCF"),
                  "%s", m);
    pcfmcp_pcf_result_free(r);
    ck_assert_msg(took >= 400 && took < 1500 + 1000, "hung call took %ld ms", took);

    /* PCF restarted: the wedge is gone, the client needs nothing new, and a
     * later timeout no longer blames that write. */
    free(pcf_fake_control(&F, "POST", "/__fake__/reset", NULL));
    ck_assert(!fake_wedged());
    free(pid);
    pid = project_id(p);
    free(expect_ok(pcfmcp_pcf_hosts_list(p, pid, &r), &r, "hosts after recovery", NULL));
    fault("{\"mode\":\"hang\",\"count\":3,\"path\":\"hosts$\"}");
    expect_err(pcfmcp_pcf_hosts_list(p, pid, &r), &r, PCFMCP_ERR_TIMEOUT, "timed out");
    free(pcf_fake_control(&F, "POST", "/__fake__/faults/clear", NULL));
    ck_assert_int_eq(pcfmcp_pcf_hosts_list(p, pid, &r), PCFMCP_OK);
    pcfmcp_pcf_result_free(r);
    fault("{\"mode\":\"hang\",\"count\":3,\"path\":\"hosts$\"}");
    ck_assert_int_eq(pcfmcp_pcf_hosts_list(p, pid, &r), PCFMCP_ERR_TIMEOUT);
    ck_assert_ptr_null(strstr(pcfmcp_pcf_result_message(r), "hung"));
    pcfmcp_pcf_result_free(r);
    free(pcf_fake_control(&F, "POST", "/__fake__/faults/clear", NULL));
    free(pid);
    pcfmcp_pcf_free(p);
}
END_TEST

/* ------------------------------------------------------------------ channels */

START_TEST(default_settings_never_call_api_issues_create)
{
    NEED_FAKE();
    free(pcf_fake_control(&F, "POST", "/__fake__/config", "{\"bugs\": true}"));
    pcfmcp_pcf_t *p = login_client(F.url, NULL);
    pcfmcp_pcf_result_t *r = NULL;
    char *pid = project_id(p);
    char *iid = expect_ok(pcfmcp_pcf_issue_create(p, pid, "Reflected XSS",
                                                  "{\"cvss\":6.1,\"cwe\":79,\"url_path\":\"/q\","
                                                  "\"fields\":{\"prio\":{\"type\":\"number\","
                                                  "\"value\":\"2\"}}}",
                                                  &r),
                          &r, "issue_create", "issue_id");
    free(expect_ok(pcfmcp_pcf_issue_update(p, pid, iid, "{\"status\":\"Confirmed\"}", &r), &r,
                   "issue_update", NULL));
    ck_assert_int_eq(pcfmcp_pcf_issue_info(p, pid, iid, &r), PCFMCP_OK);
    cJSON *d = doc_of(r);
    ck_assert_str_eq(cJSON_GetObjectItem(d, "status")->valuestring, "Confirmed");
    ck_assert_str_eq(cJSON_GetObjectItem(d, "url_path")->valuestring, "/q");
    ck_assert_int_eq(cJSON_GetObjectItem(d, "cwe")->valueint, 79);
    ck_assert_double_eq_tol(cJSON_GetObjectItem(d, "cvss")->valuedouble, 6.1, 1e-9);
    cJSON_Delete(d);
    pcfmcp_pcf_result_free(r);
    char path[160];
    snprintf(path, sizeof(path), "/api/v1/project/%s/issues/create", pid);
    ck_assert_int_eq(pcf_fake_path_count(&F, path), 0);
    snprintf(path, sizeof(path), "/api/v1/project/%s/issues/%s/edit", pid, iid);
    ck_assert_int_eq(pcf_fake_path_count(&F, path), 0);
    char *h = pcf_fake_control(&F, "GET", "/__fake__/health", NULL);
    ck_assert_ptr_nonnull(strstr(h, "\"wedged\": false"));
    free(h);
    free(iid);
    pcfmcp_pcf_free(p);

    /* Choosing the API channel is the opt-in itself (one setting), and an
     * explicit ui choice wins over pcf.allow_api_issue_writes. */
    ck_assert_int_eq(pcfmcp_pcf_new(&p, F.url, NULL), PCFMCP_OK);
    pcfmcp_pcf_set_login(p, EMAIL, PASSWORD);
    ck_assert_int_eq(pcfmcp_pcf_set_channel(p, "issues_write", "api"), PCFMCP_OK);
    const char *why = NULL;
    ck_assert_int_eq(pcfmcp_pcf_capability(p, "issues_write", &why), PCFMCP_OK);
    pcfmcp_pcf_free(p);
    ck_assert_int_eq(pcfmcp_pcf_new(&p, F.url, NULL), PCFMCP_OK);
    pcfmcp_pcf_set_login(p, EMAIL, PASSWORD);
    ck_assert_int_eq(pcfmcp_pcf_set_allow_api_issue_writes(p, 1), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_pcf_set_channel(p, "issues_write", "ui"), PCFMCP_OK);
    free(expect_ok(pcfmcp_pcf_issue_create(p, pid, "still ui", NULL, &r), &r, "ui wins", NULL));
    snprintf(path, sizeof(path), "/api/v1/project/%s/issues/create", pid);
    ck_assert_int_eq(pcf_fake_path_count(&F, path), 0);
    free(pid);
    pcfmcp_pcf_free(p);
}
END_TEST

START_TEST(api_issue_writes_work_when_allowed_on_a_fixed_pcf)
{
    NEED_FAKE();
    free(pcf_fake_control(&F, "POST", "/__fake__/config", "{\"flavor\": \"fb68b26\"}"));
    pcfmcp_pcf_t *p = login_client(F.url, NULL);
    pcfmcp_pcf_set_channel(p, "issues_write", "api");
    pcfmcp_pcf_set_allow_api_issue_writes(p, 1);
    pcfmcp_pcf_result_t *r = NULL;
    char *pid = project_id(p);
    char *iid = expect_ok(pcfmcp_pcf_issue_create(p, pid, "API issue", "{\"cvss\":5}", &r), &r,
                          "api issue_create", "issue_id");
    free(expect_ok(pcfmcp_pcf_issue_update(p, pid, iid, "{\"cwe\":20}", &r), &r,
                   "api issue_update", NULL));
    free(pcf_fake_control(&F, "POST", "/__fake__/config", "{\"flavor\": \"head\"}"));
    free(iid);
    free(pid);
    pcfmcp_pcf_free(p);
}
END_TEST

START_TEST(token_only_client_reports_web_features_as_unsupported)
{
    NEED_FAKE();
    char *tok = fresh_token();
    pcfmcp_pcf_t *p = token_client(F.url, tok);
    const char *why = NULL;
    ck_assert_int_eq(pcfmcp_pcf_capability(p, "api", &why), PCFMCP_OK);
    ck_assert_ptr_null(why);
    ck_assert_int_eq(pcfmcp_pcf_capability(p, "credentials", &why), PCFMCP_ERR_UNSUPPORTED);
    ck_assert_str_eq(why, "needs PCF's web session: configure pcf.email and pcf.password "
                          "(environment PCF_MCP_PCF_EMAIL and PCF_MCP_PCF_PASSWORD); PCF's API "
                          "v1 has no route for it, so an API token alone cannot do it");
    ck_assert_int_eq(pcfmcp_pcf_capability(p, "bogus", &why), PCFMCP_ERR_NOT_FOUND);
    ck_assert_int_eq(pcfmcp_pcf_capability(p, "pocs", &why), PCFMCP_OK);
    pcfmcp_pcf_result_t *r = NULL;
    expect_err(pcfmcp_pcf_project_snapshot(p, NO_ID, &r), &r, PCFMCP_ERR_UNSUPPORTED,
               "pcf.email");
    expect_err(pcfmcp_pcf_issue_create(p, NO_ID, "x", NULL, &r), &r, PCFMCP_ERR_UNSUPPORTED,
               "web session");
    free(tok);
    pcfmcp_pcf_free(p);
}
END_TEST

/* ------------------------------------------------------------------ settings, threads */

START_TEST(setters_are_refused_after_first_use_and_siblings_keep_own_credentials)
{
    NEED_FAKE();
    pcfmcp_pcf_t *p = login_client(F.url, NULL), *s = NULL;
    pcfmcp_pcf_result_t *r = NULL;
    ck_assert_int_eq(pcfmcp_pcf_set_token(p, "not a uuid"), PCFMCP_ERR_INVALID_ARG);
    ck_assert_int_eq(pcfmcp_pcf_new_sibling(&s, p), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_pcf_set_insecure(p, 1), PCFMCP_ERR_STATE);
    ck_assert_int_eq(pcfmcp_pcf_set_ca_file(s, "/x"), PCFMCP_ERR_STATE);
    ck_assert_int_eq(pcfmcp_pcf_set_login(s, "pcf-second@example.com", "pcf-second-pass"),
                     PCFMCP_OK);
    free(expect_ok(pcfmcp_pcf_check(p, &r), &r, "check", NULL));
    ck_assert_int_eq(pcfmcp_pcf_set_token_duration(p, 60), PCFMCP_ERR_STATE);
    ck_assert_str_ne(pcfmcp_pcf_errmsg(p), "no error");
    char *me = expect_ok(pcfmcp_pcf_user_me(p, &r), &r, "me", "id");
    char *other = expect_ok(pcfmcp_pcf_user_me(s, &r), &r, "sibling me", "id");
    ck_assert_str_ne(me, other);
    free(me);
    free(other);
    pcfmcp_pcf_free(p); /* the sibling keeps the shared cache alive */
    free(expect_ok(pcfmcp_pcf_teams_list(s, &r), &r, "sibling after parent freed", NULL));
    pcfmcp_pcf_free(s);
}
END_TEST

typedef struct {
    pcfmcp_pcf_t *p;
    const char *pid;
    int failures;
} thread_arg;

static void *hammer(void *ud)
{
    thread_arg *a = ud;
    for (int i = 0; i < 15; i++) {
        pcfmcp_pcf_result_t *r = NULL;
        if (pcfmcp_pcf_hosts_list(a->p, a->pid, &r) != PCFMCP_OK)
            a->failures++;
        pcfmcp_pcf_result_free(r);
    }
    return NULL;
}

START_TEST(many_threads_share_one_client)
{
    NEED_FAKE();
    pcfmcp_pcf_t *p = login_client(F.url, NULL);
    char *pid = project_id(p);
    free(pcf_fake_control(&F, "POST", "/__fake__/expire_tokens", NULL));
    enum { N = 6 };
    pthread_t t[N];
    thread_arg a[N];
    for (int i = 0; i < N; i++) {
        a[i] = (thread_arg){ p, pid, 0 };
        pthread_create(&t[i], NULL, hammer, &a[i]);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        ck_assert_int_eq(a[i].failures, 0);
    }
    free(pid);
    pcfmcp_pcf_free(p);
}
END_TEST

/* Connections the fake saw carry a request since its counters were reset. */
/* One counter of the fake's stats since they were last reset. */
static int fake_stat(const char *name)
{
    char *s = pcf_fake_control(&F, "GET", "/__fake__/stats", NULL);
    cJSON *d = cJSON_Parse(s);
    free(s);
    int n = cJSON_GetObjectItem(d, name)->valueint;
    cJSON_Delete(d);
    return n;
}

static int fake_connections(void)
{
    return fake_stat("connections");
}

typedef struct {
    pcfmcp_pcf_t *p;
    int failures;
} burst_arg;

static void *burst(void *ud)
{
    burst_arg *a = ud;
    for (int i = 0; i < 2; i++) {
        pcfmcp_pcf_result_t *r = NULL;
        if (pcfmcp_pcf_projects_list(a->p, &r) != PCFMCP_OK)
            a->failures++;
        pcfmcp_pcf_result_free(r);
    }
    return NULL;
}

/* Runs 32 threads of two calls each through @p p while PCF takes 100 ms
 * per answer, so they all overlap; returns the connections PCF saw. */
static int connections_for_32_threads(pcfmcp_pcf_t *p)
{
    free(pcf_fake_control(&F, "POST", "/__fake__/stats/reset", NULL));
    enum { N = 32 };
    pthread_t t[N];
    burst_arg a[N];
    for (int i = 0; i < N; i++) {
        a[i] = (burst_arg){ p, 0 };
        ck_assert_int_eq(pthread_create(&t[i], NULL, burst, &a[i]), 0);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(t[i], NULL);
        ck_assert_int_eq(a[i].failures, 0);
    }
    return fake_connections();
}

/* Every connection to PCF holds its own TLS state (the trusted CAs parsed,
 * buffers): the number of them must not follow the number of threads that
 * call PCF (mcp.workers), and with a concurrency gate it follows the gate. */
START_TEST(connections_to_pcf_do_not_grow_with_the_calling_threads)
{
    NEED_FAKE();
    fault("{\"mode\":\"latency\",\"latency_ms\":100,\"path\":\"^/api/v1/projects$\"}");
    char *tok = fresh_token();
    pcfmcp_pcf_t *p = token_client(F.url, tok);
    int n = connections_for_32_threads(p);
    ck_assert_msg(n >= 1 && n <= 16, "32 threads opened %d connections to PCF", n);
    pcfmcp_pcf_free(p);

    pcfmcp_gate_t *g = NULL;
    ck_assert_int_eq(pcfmcp_gate_new(&g, 4), PCFMCP_OK);
    p = token_client(F.url, tok);
    ck_assert_int_eq(pcfmcp_pcf_set_gate(p, g), PCFMCP_OK);
    n = connections_for_32_threads(p);
    ck_assert_msg(n >= 1 && n <= 4, "behind a gate of 4, 32 threads opened %d connections", n);
    pcfmcp_pcf_free(p);
    pcfmcp_gate_free(g);
    free(tok);
}
END_TEST

/* PCF requests the fake has counted since its stats were reset. */
static int fake_requests(void)
{
    return fake_stat("total");
}

typedef struct {
    pcfmcp_pcf_t *p;
    const char *pid;
    pcfmcp_error_t rc;
    char msg[512];
    long took_ms;
} slot_arg;

static void *hosts_call(void *ud)
{
    slot_arg *a = ud;
    pcfmcp_pcf_result_t *r = NULL;
    long t0 = mono_ms();
    a->rc = pcfmcp_pcf_hosts_list(a->p, a->pid, &r);
    a->took_ms = mono_ms() - t0;
    snprintf(a->msg, sizeof(a->msg), "%s", r ? pcfmcp_pcf_result_message(r) : "");
    pcfmcp_pcf_result_free(r);
    return NULL;
}

/* The wait for a slot at the PCF concurrency gate comes out of the call's
 * own pcf.total_timeout: behind a gate of one held by a call that PCF does
 * not answer for 4 s, a call with a 1 s budget gives up within it, says
 * why, and never reaches PCF. Counted apart, it would wait for the slot
 * and then for PCF (16 calls at concurrency 8 had p50 twice the budget). */
START_TEST(waiting_for_a_pcf_slot_counts_against_the_call_budget)
{
    NEED_FAKE();
    char *tok = fresh_token();
    pcfmcp_gate_t *g = NULL;
    ck_assert_int_eq(pcfmcp_gate_new(&g, 1), PCFMCP_OK);
    pcfmcp_pcf_t *slow = token_client(F.url, tok), *quick = token_client(F.url, tok);
    ck_assert_int_eq(pcfmcp_pcf_set_gate(slow, g), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_pcf_set_gate(quick, g), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_pcf_set_retry(slow, 1, 100, 1000), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_pcf_set_retry(quick, 1, 100, 1000), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_pcf_set_timeouts(slow, 1000, 4000, 4000), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_pcf_set_timeouts(quick, 1000, 1000, 1000), PCFMCP_OK);
    char *pid = project_id(slow);
    fault("{\"mode\":\"hang\",\"count\":2,\"path\":\"hosts$\"}");
    free(pcf_fake_control(&F, "POST", "/__fake__/stats/reset", NULL));

    slot_arg a = { .p = slow, .pid = pid }, b = { .p = quick, .pid = pid };
    pthread_t ta, tb;
    ck_assert_int_eq(pthread_create(&ta, NULL, hosts_call, &a), 0);
    /* b starts once a holds the slot (a's request is at PCF). */
    for (int i = 0; i < 200 && fake_requests() < 1; i++)
        usleep(10 * 1000);
    ck_assert_int_eq(pthread_create(&tb, NULL, hosts_call, &b), 0);
    pthread_join(tb, NULL);
    /* Only a's request reached PCF: b's budget was spent at the gate. */
    ck_assert_int_eq(fake_requests(), 1);
    pthread_join(ta, NULL);

    ck_assert_int_eq(a.rc, PCFMCP_ERR_TIMEOUT);
    ck_assert_msg(b.rc == PCFMCP_ERR_UNAVAILABLE, "b: %d %s", b.rc, b.msg);
    ck_assert_msg(strstr(b.msg, "rate_limit.pcf_concurrency"),
                  "b's error does not say it waited for a slot: %s", b.msg);
    /* Its own budget (1 s) and scheduling slack, not a's 4 s. */
    ck_assert_msg(b.took_ms < 1000 + 1500, "the second call took %ld ms", b.took_ms);
    free(pcf_fake_control(&F, "POST", "/__fake__/faults/clear", NULL));
    free(pid);
    pcfmcp_pcf_free(slow);
    pcfmcp_pcf_free(quick);
    pcfmcp_gate_free(g);
    free(tok);
}
END_TEST

START_TEST(proxy_comes_from_the_environment)
{
    NEED_FAKE();
    char proxy[64];
    snprintf(proxy, sizeof(proxy), "http://127.0.0.1:%d", closed_port());
    setenv("http_proxy", proxy, 1);
    pcfmcp_pcf_t *p = login_client(F.url, NULL);
    pcfmcp_pcf_result_t *r = NULL;
    expect_err(pcfmcp_pcf_swagger(p, &r), &r, PCFMCP_ERR_CONNECT, NULL);
    setenv("no_proxy", "127.0.0.1", 1);
    free(expect_ok(pcfmcp_pcf_swagger(p, &r), &r, "swagger with no_proxy", NULL));
    unsetenv("http_proxy");
    unsetenv("no_proxy");
    pcfmcp_pcf_free(p);
}
END_TEST

/* ------------------------------------------------------------------ web UI */

START_TEST(web_login_failure_is_err_auth_and_secret_free)
{
    NEED_FAKE();
    pcfmcp_logger_t *lg = capture_logger();
    pcfmcp_pcf_t *p = NULL;
    ck_assert_int_eq(pcfmcp_pcf_new(&p, F.url, lg), PCFMCP_OK);
    pcfmcp_pcf_set_login(p, EMAIL, "wrong-secret-password");
    pcfmcp_pcf_result_t *r = NULL;
    ck_assert_int_eq(pcfmcp_pcf_project_snapshot(p, NO_ID, &r), PCFMCP_ERR_AUTH);
    ck_assert_ptr_nonnull(strstr(pcfmcp_pcf_result_message(r), "web login failed"));
    ck_assert_ptr_null(strstr(pcfmcp_pcf_result_message(r), "wrong-secret-password"));
    pcfmcp_pcf_result_free(r);
    ck_assert_ptr_null(strstr(LOG.text, "wrong-secret-password"));
    pcfmcp_pcf_free(p);
    pcfmcp_logger_unref(lg);
}
END_TEST

START_TEST(web_features_work_and_survive_session_loss_and_csrf_refusal)
{
    NEED_FAKE();
    pcfmcp_pcf_t *p = login_client(F.url, NULL);
    pcfmcp_pcf_result_t *r = NULL;
    char *pid = project_id(p);

    /* snapshot and credentials */
    free(expect_ok(pcfmcp_pcf_project_snapshot(p, pid, &r), &r, "snapshot", NULL));
    char *cid = expect_ok(pcfmcp_pcf_credential_create(
                              p, pid, "svc_test",
                              "{\"cleartext_password\":\"S3cret!\",\"info_source\":\"manual\"}",
                              &r),
                          &r, "credential_create", "credential_id");
    free(expect_ok(pcfmcp_pcf_credential_update(p, pid, cid, "{\"comment\":\"checked\"}", &r), &r,
                   "credential_update", NULL));
    ck_assert_int_eq(pcfmcp_pcf_credentials_list(p, pid, &r), PCFMCP_OK);
    cJSON *d = doc_of(r);
    const cJSON *c = cJSON_GetObjectItem(cJSON_GetObjectItem(d, "credentials"), cid);
    ck_assert_str_eq(cJSON_GetObjectItem(c, "description")->valuestring, "checked");
    ck_assert_str_eq(cJSON_GetObjectItem(c, "cleartext")->valuestring, "S3cret!");
    cJSON_Delete(d);
    pcfmcp_pcf_result_free(r);
    free(expect_ok(pcfmcp_pcf_credential_delete(p, pid, cid, &r), &r, "credential_delete", NULL));
    expect_err(pcfmcp_pcf_credential_delete(p, pid, cid, &r), &r, PCFMCP_ERR_NOT_FOUND, NULL);

    /* the session disappears (server state reset): the client logs in again */
    free(pcf_fake_control(&F, "POST", "/__fake__/reset", NULL));
    ck_assert_int_eq(pcfmcp_pcf_hosts_list(p, pid, &r), PCFMCP_OK); /* token renewed too */
    pcfmcp_pcf_result_free(r);
    char *nid = expect_ok(pcfmcp_pcf_note_create(p, pid, "Recon", NULL, "<p>a</p>", &r), &r,
                          "note_create", "note_id");
    ck_assert_int_ge(pcf_fake_path_count(&F, "/login"), 2);

    /* a refused CSRF token: log in again and repeat once */
    fault("{\"mode\":\"status\",\"status\":400,\"count\":1,\"method\":\"POST\","
          "\"path\":\"notes/edit$\"}");
    free(expect_ok(pcfmcp_pcf_note_rename(p, pid, nid, "Recon v2", &r), &r, "note_rename", NULL));
    free(expect_ok(pcfmcp_pcf_note_update(p, pid, nid, "<p>b</p>", &r), &r, "note_update", NULL));
    ck_assert_int_eq(pcfmcp_pcf_notes_list(p, pid, &r), PCFMCP_OK);
    d = doc_of(r);
    const cJSON *n = cJSON_GetObjectItem(cJSON_GetObjectItem(d, "notes"), nid);
    ck_assert_str_eq(cJSON_GetObjectItem(n, "name")->valuestring, "Recon v2");
    ck_assert_str_eq(cJSON_GetObjectItem(n, "html")->valuestring, "<p>b</p>");
    cJSON_Delete(d);
    pcfmcp_pcf_result_free(r);
    free(expect_ok(pcfmcp_pcf_note_delete(p, pid, nid, &r), &r, "note_delete", NULL));
    expect_err(pcfmcp_pcf_note_delete(p, pid, NO_ID, &r), &r, PCFMCP_ERR_NOT_FOUND, "note");

    /* a note on a host returns its id through the redirect */
    ck_assert_int_eq(pcfmcp_pcf_hosts_list(p, pid, &r), PCFMCP_OK);
    char *hid = find_id(r, "hosts", NULL, NULL, "id");
    free(expect_ok(pcfmcp_pcf_note_create(p, pid, "Host note", hid, NULL, &r), &r,
                   "host note", "note_id"));
    expect_err(pcfmcp_pcf_note_create(p, pid, "Ghost", NO_ID, NULL, &r), &r,
               PCFMCP_ERR_NOT_FOUND, "host");

    /* nmap import: this PCF has the 6c83154 new-issue form, so the NSE output
     * PCF would turn into findings is left out */
    const char *xml = "<?xml version=\"1.0\"?><nmaprun><host><status state=\"up\"/>"
                      "<address addr=\"10.77.0.9\" addrtype=\"ipv4\"/><ports>"
                      "<port protocol=\"tcp\" portid=\"22\"><state state=\"open\"/>"
                      "<service name=\"ssh\"/><script id=\"vulners\" output=\"CVE\"/></port>"
                      "</ports><hostscript><script id=\"smb2-security-mode\"/></hostscript>"
                      "</host></nmaprun>";
    ck_assert_int_eq(pcfmcp_pcf_nmap_import(p, pid, xml, strlen(xml), NULL, &r), PCFMCP_OK);
    d = doc_of(r);
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(d, "removed")), 2);
    cJSON_Delete(d);
    pcfmcp_pcf_result_free(r);
    ck_assert_int_eq(pcfmcp_pcf_hosts_list(p, pid, &r), PCFMCP_OK);
    ck_assert_ptr_nonnull(strstr(pcfmcp_pcf_result_json(r, NULL), "10.77.0.9"));
    pcfmcp_pcf_result_free(r);
    expect_err(pcfmcp_pcf_nmap_import(p, pid, "<html>no scan</html>", 20, NULL, &r), &r,
               PCFMCP_ERR_PCF, "ne of uploaded files was incorrect");
    expect_err(pcfmcp_pcf_nmap_import(p, pid, "not xml", 7, NULL, &r), &r,
               PCFMCP_ERR_INVALID_ARG, "format nmap takes xml files");
    expect_err(pcfmcp_pcf_scan_import(p, pid, "nessus", xml, strlen(xml), "{\"rule\": \"open\"}",
                                      &r),
               &r, PCFMCP_ERR_INVALID_ARG, "format nessus has no option rule");
    expect_err(pcfmcp_pcf_scan_import(p, pid, "openvas", xml, strlen(xml), NULL, &r), &r,
               PCFMCP_ERR_UNSUPPORTED, "hang");

    /* report from an uploaded template */
    const char *tpl = "{% for ip in hosts %}{{ip}}\n{% endfor %}";
    ck_assert_int_eq(pcfmcp_pcf_report_render(p, pid, NULL, tpl, strlen(tpl), "t.txt", NULL, &r),
                     PCFMCP_OK);
    size_t len = 0;
    const char *data = pcfmcp_pcf_result_data(r, &len);
    ck_assert_uint_gt(len, 0);
    ck_assert_ptr_nonnull(memchr(data, '\n', len));
    ck_assert_ptr_nonnull(pcfmcp_pcf_result_filename(r));
    ck_assert_ptr_null(strchr(pcfmcp_pcf_result_filename(r), '/'));
    ck_assert_ptr_nonnull(strstr(pcfmcp_pcf_result_content_type(r), "text/plain"));
    pcfmcp_pcf_result_free(r);
    expect_err(pcfmcp_pcf_report_render(p, pid, NO_ID, NULL, 0, NULL, NULL, &r), &r,
               PCFMCP_ERR_NOT_FOUND, "template");

    /* issues through the web channel, including its delete */
    pcfmcp_pcf_free(p);
    p = login_client(F.url, NULL);
    ck_assert_int_eq(pcfmcp_pcf_set_channel(p, "issues_delete", "ui"), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_pcf_set_channel(p, "pocs", "ui"), PCFMCP_OK);
    char *iid = expect_ok(pcfmcp_pcf_issue_create(p, pid, "Web issue", NULL, &r), &r,
                          "ui issue_create", "issue_id");
    expect_err(pcfmcp_pcf_issue_create(p, pid, "", NULL, &r), &r, PCFMCP_ERR_INVALID_ARG, "name");
    free(expect_ok(pcfmcp_pcf_poc_add(p, pid, iid, "log line\n", 9, "text", NULL, &r), &r,
                   "ui poc_add", "poc_id"));
    free(expect_ok(pcfmcp_pcf_issue_delete(p, pid, iid, &r), &r, "ui issue_delete", NULL));
    expect_err(pcfmcp_pcf_issue_delete(p, pid, iid, &r), &r, PCFMCP_ERR_NOT_FOUND, NULL);
    expect_err(pcfmcp_pcf_issue_update(p, pid, NO_ID, "{\"name\":\"x\"}", &r), &r,
               PCFMCP_ERR_NOT_FOUND, NULL);

    free(iid), free(hid), free(nid), free(cid), free(pid);
    pcfmcp_pcf_free(p);
}
END_TEST

/* ------------------------------------------------------------------ HTTP Basic */

static void start_basic(void)
{
    static const char *const args[] = { "--basic-auth", "gate:keeper-pass", NULL };
    start_fake(args);
}

START_TEST(basic_auth_is_sent_and_its_absence_explained)
{
    NEED_FAKE();
    pcfmcp_pcf_t *p = login_client(F.url, NULL);
    pcfmcp_pcf_result_t *r = NULL;
    expect_err(pcfmcp_pcf_projects_list(p, &r), &r, PCFMCP_ERR_AUTH, "configure pcf.basic_user");
    pcfmcp_pcf_free(p);
    ck_assert_int_eq(pcfmcp_pcf_new(&p, F.url, NULL), PCFMCP_OK);
    pcfmcp_pcf_set_login(p, EMAIL, PASSWORD);
    pcfmcp_pcf_set_basic_auth(p, "gate", "wrong");
    expect_err(pcfmcp_pcf_projects_list(p, &r), &r, PCFMCP_ERR_AUTH, "rejected the HTTP Basic");
    pcfmcp_pcf_free(p);
    ck_assert_int_eq(pcfmcp_pcf_new(&p, F.url, NULL), PCFMCP_OK);
    pcfmcp_pcf_set_login(p, EMAIL, PASSWORD);
    pcfmcp_pcf_set_basic_auth(p, "gate", "keeper-pass");
    free(expect_ok(pcfmcp_pcf_projects_list(p, &r), &r, "projects with basic", NULL));
    char *pid = project_id(p);
    free(expect_ok(pcfmcp_pcf_notes_list(p, pid, &r), &r, "web with basic", NULL));
    free(pid);
    pcfmcp_pcf_free(p);
}
END_TEST

/* ------------------------------------------------------------------ TLS */

static char CERTS[256];

static void write_pem(const char *name, const gnutls_datum_t *d)
{
    char path[400];
    snprintf(path, sizeof(path), "%s/%s", CERTS, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fwrite(d->data, 1, d->size, f);
    fclose(f);
}

static void make_cert(gnutls_x509_crt_t *crt, gnutls_x509_privkey_t *key, const char *cn,
                      gnutls_x509_crt_t issuer, gnutls_x509_privkey_t issuer_key, int serial)
{
    ck_assert_int_eq(gnutls_x509_privkey_init(key), 0);
    ck_assert_int_eq(gnutls_x509_privkey_generate(*key, GNUTLS_PK_ECDSA,
                                                  GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1),
                                                  0),
                     0);
    ck_assert_int_eq(gnutls_x509_crt_init(crt), 0);
    gnutls_x509_crt_set_version(*crt, 3);
    unsigned char sn[4] = { 0, 0, 0, (unsigned char)serial };
    gnutls_x509_crt_set_serial(*crt, sn, sizeof(sn));
    time_t now = time(NULL);
    gnutls_x509_crt_set_activation_time(*crt, now - 3600);
    gnutls_x509_crt_set_expiration_time(*crt, now + 86400);
    gnutls_x509_crt_set_dn_by_oid(*crt, GNUTLS_OID_X520_COMMON_NAME, 0, cn, strlen(cn));
    gnutls_x509_crt_set_key(*crt, *key);
    if (!issuer) {
        gnutls_x509_crt_set_basic_constraints(*crt, 1, -1);
        gnutls_x509_crt_set_key_usage(*crt, GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN);
        ck_assert_int_eq(gnutls_x509_crt_sign2(*crt, *crt, *key, GNUTLS_DIG_SHA256, 0), 0);
    } else {
        unsigned char ip[4] = { 127, 0, 0, 1 };
        gnutls_x509_crt_set_basic_constraints(*crt, 0, -1);
        gnutls_x509_crt_set_subject_alt_name(*crt, GNUTLS_SAN_IPADDRESS, ip, 4,
                                             GNUTLS_FSAN_SET);
        gnutls_x509_crt_set_subject_alt_name(*crt, GNUTLS_SAN_DNSNAME, "localhost", 9,
                                             GNUTLS_FSAN_APPEND);
        gnutls_x509_crt_set_key_purpose_oid(*crt, GNUTLS_KP_TLS_WWW_SERVER, 0);
        gnutls_x509_crt_set_key_usage(*crt, GNUTLS_KEY_DIGITAL_SIGNATURE);
        ck_assert_int_eq(gnutls_x509_crt_sign2(*crt, issuer, issuer_key, GNUTLS_DIG_SHA256, 0),
                         0);
    }
}

/* A CA, a server certificate for 127.0.0.1 signed by it, and an unrelated CA. */
static void make_certs(void)
{
    snprintf(CERTS, sizeof(CERTS), "/tmp/pcf-certs-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(CERTS));
    gnutls_x509_crt_t ca, srv, other;
    gnutls_x509_privkey_t ca_key, srv_key, other_key;
    make_cert(&ca, &ca_key, "pcf-mcp test CA", NULL, NULL, 1);
    make_cert(&srv, &srv_key, "127.0.0.1", ca, ca_key, 2);
    make_cert(&other, &other_key, "someone else's CA", NULL, NULL, 3);
    gnutls_datum_t d;
    ck_assert_int_eq(gnutls_x509_crt_export2(ca, GNUTLS_X509_FMT_PEM, &d), 0);
    write_pem("ca.pem", &d);
    gnutls_free(d.data);
    ck_assert_int_eq(gnutls_x509_crt_export2(srv, GNUTLS_X509_FMT_PEM, &d), 0);
    write_pem("server.pem", &d);
    gnutls_free(d.data);
    ck_assert_int_eq(gnutls_x509_privkey_export2_pkcs8(srv_key, GNUTLS_X509_FMT_PEM, NULL,
                                                       GNUTLS_PKCS_PLAIN, &d),
                     0);
    write_pem("server.key", &d);
    gnutls_free(d.data);
    ck_assert_int_eq(gnutls_x509_crt_export2(other, GNUTLS_X509_FMT_PEM, &d), 0);
    write_pem("other.pem", &d);
    gnutls_free(d.data);
    gnutls_x509_crt_deinit(ca), gnutls_x509_crt_deinit(srv), gnutls_x509_crt_deinit(other);
    gnutls_x509_privkey_deinit(ca_key), gnutls_x509_privkey_deinit(srv_key);
    gnutls_x509_privkey_deinit(other_key);
}

static void start_tls(void)
{
    if (!pcf_fake_available())
        return;
    make_certs();
    static char cert[400], key[400];
    snprintf(cert, sizeof(cert), "%s/server.pem", CERTS);
    snprintf(key, sizeof(key), "%s/server.key", CERTS);
    const char *const args[] = { "--tls-cert", cert, "--tls-key", key, NULL };
    pcf_fake_start(&F, args, true);
}

static void stop_tls(void)
{
    pcf_fake_stop(&F);
    char cmd[300];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", CERTS);
    if (CERTS[0] && system(cmd) != 0)
        fprintf(stderr, "could not remove %s\n", CERTS);
}

START_TEST(tls_is_verified_against_the_configured_ca)
{
    NEED_FAKE();
    char ca[400], other[400];
    snprintf(ca, sizeof(ca), "%s/ca.pem", CERTS);
    snprintf(other, sizeof(other), "%s/other.pem", CERTS);
    /* Generous connect time: handshakes are slow under valgrind. */
    pcfmcp_pcf_t *p = login_client(F.url, NULL);
    pcfmcp_pcf_set_timeouts(p, 20000, 30000, 40000);
    pcfmcp_pcf_set_ca_file(p, other);
    pcfmcp_pcf_result_t *r = NULL;
    ck_assert_int_eq(pcfmcp_pcf_swagger(p, &r), PCFMCP_ERR_TLS);
    ck_assert_int_eq(pcfmcp_pcf_result_attempts(r), 1); /* a wrong CA is not transient */
    ck_assert_ptr_nonnull(strstr(pcfmcp_pcf_result_message(r), "certificate"));
    pcfmcp_pcf_result_free(r);
    pcfmcp_pcf_free(p);

    p = login_client(F.url, NULL);
    pcfmcp_pcf_set_timeouts(p, 20000, 30000, 40000);
    pcfmcp_pcf_set_ca_file(p, ca);
    free(expect_ok(pcfmcp_pcf_projects_list(p, &r), &r, "projects over TLS", NULL));
    char *pid = project_id(p);
    free(expect_ok(pcfmcp_pcf_notes_list(p, pid, &r), &r, "web over TLS", NULL));
    free(pid);
    pcfmcp_pcf_free(p);

    pcfmcp_logger_t *lg = capture_logger();
    ck_assert_int_eq(pcfmcp_pcf_new(&p, F.url, lg), PCFMCP_OK);
    pcfmcp_pcf_set_login(p, EMAIL, PASSWORD);
    pcfmcp_pcf_set_timeouts(p, 20000, 30000, 40000);
    pcfmcp_pcf_set_insecure(p, 1);
    ck_assert_ptr_nonnull(strstr(LOG.text, "turned OFF"));
    free(expect_ok(pcfmcp_pcf_swagger(p, &r), &r, "insecure", NULL));
    ck_assert_ptr_nonnull(strstr(LOG.text, "TLS verification of PCF is OFF"));
    pcfmcp_pcf_free(p);
    pcfmcp_logger_unref(lg);
}
END_TEST


/* ------------------------------------------------------------------ honest with PCF */

/* Tokens PCF still accepts, by name (NULL: any): the fake's own list, not
 * what the client believes. A disabled token counts as gone. */
static int live_tokens(const char *name)
{
    char *s = pcf_fake_control(&F, "GET", "/__fake__/tokens", NULL);
    cJSON *d = cJSON_Parse(s);
    free(s);
    ck_assert_ptr_nonnull(d);
    int n = 0;
    const cJSON *t;
    cJSON_ArrayForEach(t, cJSON_GetObjectItem(d, "tokens")) {
        const cJSON *nm = cJSON_GetObjectItem(t, "name");
        if (cJSON_IsTrue(cJSON_GetObjectItem(t, "live")) &&
            !cJSON_IsTrue(cJSON_GetObjectItem(t, "disabled")) &&
            (!name || (cJSON_IsString(nm) && strcmp(nm->valuestring, name) == 0)))
            n++;
    }
    cJSON_Delete(d);
    return n;
}

/* Two start/stop cycles of a client with email and password leave no live
 * token behind; a token the user configured is never disabled. */
START_TEST(login_client_disables_the_token_it_created)
{
    NEED_FAKE();
    for (int cycle = 1; cycle <= 2; cycle++) {
        pcfmcp_pcf_t *p = login_client(F.url, NULL);
        free(project_id(p));
        ck_assert_int_eq(live_tokens("pcf-mcp"), 1);
        pcfmcp_pcf_free(p);
        ck_assert_msg(live_tokens("pcf-mcp") == 0, "cycle %d left a live token", cycle);
    }
    ck_assert_int_eq(pcf_fake_path_count(&F, "/api/v1/create_token"), 2);
    ck_assert_int_eq(pcf_fake_path_count(&F, "/api/v1/disable_token"), 2);
    /* A client that never asked PCF anything has nothing to disable. */
    pcfmcp_pcf_t *idle = login_client(F.url, NULL);
    pcfmcp_pcf_free(idle);
    ck_assert_int_eq(pcf_fake_path_count(&F, "/api/v1/disable_token"), 2);
    char *tok = fresh_token();
    pcfmcp_pcf_t *p = token_client(F.url, tok);
    free(project_id(p));
    pcfmcp_pcf_free(p);
    ck_assert_int_eq(live_tokens(NULL), 1);
    ck_assert_int_eq(pcf_fake_path_count(&F, "/api/v1/disable_token"), 2);
    free(tok);
}
END_TEST

static void write_state(const char *path, const char *email, const char *token, int mode)
{
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "{\"pcf_url\":\"%s\",\"email\":\"%s\",\"access_token\":\"%s\",\"expires\":%lld}",
            F.url, email, token, (long long)time(NULL) + 3600);
    fclose(f);
    ck_assert_int_eq(chmod(path, (mode_t)mode), 0);
}

static pcfmcp_pcf_t *state_client(const char *path, pcfmcp_logger_t *lg)
{
    pcfmcp_pcf_t *p = login_client(F.url, lg);
    ck_assert_int_eq(pcfmcp_pcf_set_token_state_file(p, path), PCFMCP_OK);
    return p;
}

/* A process that died before it could disable its token left it in the
 * state file: the next start takes it over instead of creating another,
 * and disables it when it stops. Files that are not ours alone, or that
 * belong to another account, are not trusted. */
START_TEST(token_state_file_takes_over_the_token_a_crash_left)
{
    NEED_FAKE();
    char dir[] = "/tmp/pcfmcp-state-XXXXXX";
    ck_assert_ptr_nonnull(mkdtemp(dir));
    char path[64];
    snprintf(path, sizeof(path), "%s/token.json", dir);

    char *left = pcf_fake_control(&F, "POST", "/__fake__/token",
                                  "{\"email\":\"" EMAIL "\",\"name\":\"pcf-mcp\"}");
    cJSON *d = cJSON_Parse(left);
    free(left);
    char *tok = strdup(cJSON_GetObjectItem(d, "access_token")->valuestring);
    cJSON_Delete(d);
    write_state(path, EMAIL, tok, 0600);
    pcfmcp_pcf_t *p = state_client(path, NULL);
    free(project_id(p));
    ck_assert_int_eq(pcf_fake_path_count(&F, "/api/v1/create_token"), 0);
    pcfmcp_pcf_free(p);
    ck_assert_int_eq(live_tokens(NULL), 0);
    ck_assert_int_eq(access(path, F_OK), -1); /* nothing left to take over */

    /* No file: a new token, recorded for the next start, private. */
    p = state_client(path, NULL);
    free(project_id(p));
    ck_assert_int_eq(pcf_fake_path_count(&F, "/api/v1/create_token"), 1);
    struct stat st;
    ck_assert_int_eq(stat(path, &st), 0);
    ck_assert_int_eq(st.st_mode & 0777, 0600);
    pcfmcp_pcf_free(p);
    ck_assert_int_eq(access(path, F_OK), -1);
    ck_assert_int_eq(live_tokens(NULL), 0);

    /* Readable by others, or another account's: a fresh token instead. */
    left = pcf_fake_control(&F, "POST", "/__fake__/token", "{\"email\":\"" EMAIL "\"}");
    d = cJSON_Parse(left);
    free(left);
    free(tok);
    tok = strdup(cJSON_GetObjectItem(d, "access_token")->valuestring);
    cJSON_Delete(d);
    const struct {
        const char *email;
        int mode;
    } untrusted[] = { { EMAIL, 0644 }, { "pcf-second@example.com", 0600 } };
    for (int i = 0; i < 2; i++) {
        write_state(path, untrusted[i].email, tok, untrusted[i].mode);
        pcfmcp_logger_t *lg = capture_logger();
        p = state_client(path, lg);
        free(project_id(p));
        ck_assert_int_eq(pcf_fake_path_count(&F, "/api/v1/create_token"), 2 + i);
        if (i == 0)
            ck_assert_ptr_nonnull(strstr(LOG.text, "not a private file"));
        pcfmcp_pcf_free(p);
        pcfmcp_logger_unref(lg);
        ck_assert_int_eq(live_tokens("pcf-mcp"), 0);
    }
    ck_assert_int_eq(live_tokens(NULL), 1); /* the untrusted one was left alone */
    unlink(path);
    rmdir(dir);
    free(tok);
}
END_TEST

/* Without credentials nothing is sent, and nobody is told PCF refused. */
START_TEST(no_credentials_is_not_a_rejection_and_pcf_is_not_asked)
{
    NEED_FAKE();
    pcfmcp_pcf_t *p = NULL;
    ck_assert_int_eq(pcfmcp_pcf_new(&p, F.url, NULL), PCFMCP_OK);
    pcfmcp_pcf_result_t *r = NULL;
    ck_assert_int_eq(pcfmcp_pcf_projects_list(p, &r), PCFMCP_ERR_UNSUPPORTED);
    const char *m = pcfmcp_pcf_result_message(r);
    ck_assert_msg(strstr(m, "no PCF credentials are configured") && strstr(m, "not asked") &&
                      strstr(m, "PCF_MCP_PCF_TOKEN") && strstr(m, "PCF_MCP_PCF_EMAIL") &&
                      !strstr(m, "reject"),
                  "%s", m);
    pcfmcp_pcf_result_free(r);
    ck_assert_int_eq(pcfmcp_pcf_check(p, &r), PCFMCP_ERR_UNSUPPORTED);
    pcfmcp_pcf_result_free(r);
    const char *why = NULL;
    ck_assert_int_eq(pcfmcp_pcf_capability(p, "notes", &why), PCFMCP_ERR_UNSUPPORTED);
    ck_assert_ptr_nonnull(strstr(why, "no PCF credentials are configured"));
    ck_assert_int_eq(stat_number("total"), 0);
    pcfmcp_pcf_free(p);
}
END_TEST

/* With only a token, one setting brings issue writes (through API v1) and
 * the refusal without it names that setting, not a false "cannot reach". */
START_TEST(token_only_issue_writes_need_one_named_setting)
{
    NEED_FAKE();
    free(pcf_fake_control(&F, "POST", "/__fake__/config", "{\"flavor\": \"fb68b26\"}"));
    char *tok = fresh_token();
    pcfmcp_pcf_t *p = token_client(F.url, tok);
    const char *why = NULL;
    ck_assert_int_eq(pcfmcp_pcf_capability(p, "issues_write", &why), PCFMCP_ERR_UNSUPPORTED);
    ck_assert_msg(strstr(why, "pcf.allow_api_issue_writes=true") &&
                      strstr(why, "PCF_MCP_PCF_ALLOW_API_ISSUE_WRITES=true") &&
                      !strstr(why, "cannot reach"),
                  "%s", why);
    pcfmcp_pcf_free(p);
    p = token_client(F.url, tok);
    ck_assert_int_eq(pcfmcp_pcf_set_allow_api_issue_writes(p, 1), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_pcf_capability(p, "issues_write", &why), PCFMCP_OK);
    pcfmcp_pcf_result_t *r = NULL;
    char *pid = project_id(p);
    char *iid = expect_ok(pcfmcp_pcf_issue_create(p, pid, "Token-only issue", NULL, &r), &r,
                          "issue_create", "issue_id");
    char path[160];
    snprintf(path, sizeof(path), "/api/v1/project/%s/issues/create", pid);
    ck_assert_int_eq(pcf_fake_path_count(&F, path), 1);
    pcfmcp_pcf_free(p);
    /* An explicit issues_write=api is the other single setting. */
    p = token_client(F.url, tok);
    ck_assert_int_eq(pcfmcp_pcf_set_channel(p, "issues_write", "api"), PCFMCP_OK);
    free(expect_ok(pcfmcp_pcf_issue_update(p, pid, iid, "{\"cvss\":5}", &r), &r, "issue_update",
                   NULL));
    pcfmcp_pcf_free(p);
    free(pcf_fake_control(&F, "POST", "/__fake__/config", "{\"flavor\": \"head\"}"));
    free(iid), free(pid), free(tok);
}
END_TEST

/* rules/use fails with 500 on PCF HEAD once a rule matches: the message says
 * it is PCF's known defect, that nothing changed and where it works. */
START_TEST(rules_use_500_is_named_as_the_known_pcf_defect)
{
    NEED_FAKE();
    set_bugs(true);
    pcfmcp_pcf_t *p = login_client(F.url, NULL);
    pcfmcp_pcf_result_t *r = NULL;
    char *pid = project_id(p);
    ck_assert_int_eq(pcfmcp_pcf_rules_list(p, NULL, &r), PCFMCP_OK);
    cJSON *d = doc_of(r);
    pcfmcp_pcf_result_free(r);
    const char *rules[8];
    int nr = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, cJSON_GetObjectItem(d, "result")) if (nr < 8) rules[nr++] =
        cJSON_GetObjectItem(e, "id")->valuestring;
    ck_assert_int_eq(pcfmcp_pcf_issues_list(p, pid, &r), PCFMCP_OK);
    cJSON *il = doc_of(r);
    pcfmcp_pcf_result_free(r);
    const char *issues[64];
    int ni = 0;
    const cJSON *is = cJSON_GetObjectItem(il, "issues");
    cJSON_ArrayForEach(e, is) if (ni < 64) issues[ni++] =
        cJSON_GetObjectItem(e, "issue_id")->valuestring;
    ck_assert_int_gt(nr, 0);
    ck_assert_int_gt(ni, 0);
    ck_assert_int_eq(pcfmcp_pcf_rules_use(p, pid, rules, (size_t)nr, issues, (size_t)ni, &r),
                     PCFMCP_ERR_HTTP);
    ck_assert_int_eq(pcfmcp_pcf_result_http_status(r), 500);
    const char *m = pcfmcp_pcf_result_message(r);
    ck_assert_msg(strstr(m, "known PCF defect") && strstr(m, "6c83154") &&
                      strstr(m, "no issue was changed") && strstr(m, "Use rules"),
                  "%s", m);
    pcfmcp_pcf_result_free(r);
    ck_assert(!fake_wedged());
    cJSON_Delete(d);
    cJSON_Delete(il);
    free(pid);
    pcfmcp_pcf_free(p);
}
END_TEST

static char *settings_update(pcfmcp_pcf_t *p, const char *pid, const char *json)
{
    pcfmcp_pcf_result_t *r = NULL;
    return expect_ok(pcfmcp_pcf_project_update(p, pid, json, &r), &r, "project_update", NULL);
}

/* PCF cannot send a file named after a report title outside Latin-1 and
 * answers 500 after storing a copy: the client refuses before anything is
 * sent. An unknown template id (PCF's other 500) is explained. */
START_TEST(template_report_failures_are_explained_and_the_title_checked_first)
{
    NEED_FAKE();
    pcfmcp_pcf_t *p = login_client(F.url, NULL);
    pcfmcp_pcf_result_t *r = NULL;
    char *pid = project_id(p);
    char *tpl = pcf_fake_control(&F, "GET", "/__fake__/templates", NULL);
    cJSON *td = cJSON_Parse(tpl);
    free(tpl);
    const char *tid = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(td, "templates"),
                                                             0),
                                          "id")
                          ->valuestring;
    free(settings_update(p, pid, "{\"report_title\":\"Caf\\u00e9 report\"}"));
    free(expect_ok(pcfmcp_pcf_report_render(p, pid, tid, NULL, 0, NULL, NULL, &r), &r,
                   "Latin-1 title", NULL));
    free(settings_update(p, pid, "{\"report_title\":\"\\u041e\\u0442\\u0447\\u0451\\u0442\"}"));
    free(pcf_fake_control(&F, "POST", "/__fake__/stats/reset", NULL));
    expect_err(pcfmcp_pcf_report_render(p, pid, tid, NULL, 0, NULL, NULL, &r), &r,
               PCFMCP_ERR_PCF, "outside Latin-1");
    char path[160];
    snprintf(path, sizeof(path), "/project/%s/reports/", pid);
    ck_assert_int_eq(pcf_fake_path_count(&F, path), 0);
    ck_assert_int_eq(status_count("500"), 0);
    free(settings_update(p, pid, "{\"report_title\":\"Report\"}"));
    expect_err(pcfmcp_pcf_report_render(p, pid, NO_ID, NULL, 0, NULL, NULL, &r), &r,
               PCFMCP_ERR_NOT_FOUND, "names no report template stored in PCF");
    cJSON_Delete(td);
    free(pid);
    pcfmcp_pcf_free(p);
}
END_TEST

/* ------------------------------------------------------------------ suite */

static Suite *suite(void)
{
    Suite *s = suite_create("pcf_client");
    TCase *t = tcase_create("api");
    tcase_add_unchecked_fixture(t, start_default, stop_fake);
    tcase_add_checked_fixture(t, reset_fake, NULL);
    tcase_set_timeout(t, 60);
    tcase_add_test(t, every_api_function_works_against_the_fake);
    tcase_add_test(t, bad_ids_and_missing_arguments_fail_before_anything_is_sent);
    tcase_add_test(t, pcf_errors_and_the_user_info_bug_map_to_distinct_codes);
    tcase_add_test(t, injected_status_pages_map_to_err_http_with_the_status);
    tcase_add_test(t, a_404_without_pcf_errors_points_at_pcf_url_and_leaks_nothing);
    tcase_add_test(t, garbage_truncated_and_huge_bodies_are_refused_cleanly);
    tcase_add_test(t, refused_connection_is_err_connect_and_retried_even_for_writes);
    tcase_add_test(t, connect_timeout_bounds_each_attempt_and_allows_a_retry_of_a_write);
    tcase_add_test(t, timeout_on_a_write_is_reported_and_never_resent);
    tcase_add_test(t, reset_after_sending_a_write_is_not_resent);
    tcase_add_test(t, cancellation_aborts_a_hanging_transfer);
    tcase_add_test(t, reads_are_retried_on_503_and_429_honouring_retry_after);
    tcase_add_test(t, writes_are_not_retried_on_503_and_retry_after_beyond_the_budget_is_not_awaited);
    tcase_add_test(t, backoff_waits_are_capped_by_max_ms);
    tcase_add_test(t, sequential_calls_reuse_one_connection);
    tcase_add_test(t, expired_token_is_renewed_once_with_email_and_password);
    tcase_add_test(t, expired_token_without_login_is_err_auth_with_advice);
    tcase_add_test(t, workarounds_hold_with_the_fake_bugs_switched_on);
    tcase_add_test(t, forced_api_issue_create_on_buggy_pcf_is_survived);
    tcase_add_test(t, default_settings_never_call_api_issues_create);
    tcase_add_test(t, api_issue_writes_work_when_allowed_on_a_fixed_pcf);
    tcase_add_test(t, token_only_client_reports_web_features_as_unsupported);
    tcase_add_test(t, setters_are_refused_after_first_use_and_siblings_keep_own_credentials);
    tcase_add_test(t, many_threads_share_one_client);
    tcase_add_test(t, connections_to_pcf_do_not_grow_with_the_calling_threads);
    tcase_add_test(t, waiting_for_a_pcf_slot_counts_against_the_call_budget);
    tcase_add_test(t, proxy_comes_from_the_environment);
    tcase_add_test(t, web_login_failure_is_err_auth_and_secret_free);
    tcase_add_test(t, web_features_work_and_survive_session_loss_and_csrf_refusal);
    tcase_add_test(t, login_client_disables_the_token_it_created);
    tcase_add_test(t, token_state_file_takes_over_the_token_a_crash_left);
    tcase_add_test(t, no_credentials_is_not_a_rejection_and_pcf_is_not_asked);
    tcase_add_test(t, token_only_issue_writes_need_one_named_setting);
    tcase_add_test(t, rules_use_500_is_named_as_the_known_pcf_defect);
    tcase_add_test(t, template_report_failures_are_explained_and_the_title_checked_first);
    suite_add_tcase(s, t);
    t = tcase_create("basic");
    tcase_add_unchecked_fixture(t, start_basic, stop_fake);
    tcase_set_timeout(t, 60);
    tcase_add_test(t, basic_auth_is_sent_and_its_absence_explained);
    suite_add_tcase(s, t);
    t = tcase_create("tls");
    tcase_add_unchecked_fixture(t, start_tls, stop_tls);
    tcase_set_timeout(t, 60);
    tcase_add_test(t, tls_is_verified_against_the_configured_ca);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    if (!pcf_fake_available()) {
        /* A missing fake is a broken test setup, never a reason to pass. */
        fprintf(stderr, "tests/fakepcf/fake_pcf.py or python3 missing: cannot run\n");
        return EXIT_FAILURE;
    }
    pcfmcp_global_init();
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    pcfmcp_global_cleanup();
    return failed ? 1 : 0;
}
