/* The PCF client's answer classification and HTML/header readers, fed with
 * every recorded answer of a real PCF (tests/fixtures/pcf) plus edge cases. */
#include <check.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "core/util.h"
#include "pcf/impl.h"
#include "pcf/importers.h"

/* Every fixture file and what reads it; a new file must be added here. */
typedef enum { F_API, F_UI, F_WS } fixture_kind;
static const struct {
    const char *name;
    fixture_kind kind;
} fixture_files[] = {
    { "check_token.json", F_API },
    { "create_token.json", F_API },
    { "disable_token.json", F_API },
    { "nonexistent.json", F_API },
    { "project_PROJECT_ID_host_HOST_ID_delete.json", F_API },
    { "project_PROJECT_ID_host_HOST_ID_edit.json", F_API },
    { "project_PROJECT_ID_host_HOST_ID_info.json", F_API },
    { "project_PROJECT_ID_host_new.json", F_API },
    { "project_PROJECT_ID_hostname_add.json", F_API },
    { "project_PROJECT_ID_hostnames.json", F_API },
    { "project_PROJECT_ID_hosts.json", F_API },
    { "project_PROJECT_ID_issues_ISSUE_ID_delete.json", F_API },
    { "project_PROJECT_ID_issues_ISSUE_ID_edit.json", F_API },
    { "project_PROJECT_ID_issues_ISSUE_ID_info.json", F_API },
    { "project_PROJECT_ID_issues_ISSUE_ID_poc_POC_ID_delete.json", F_API },
    { "project_PROJECT_ID_issues_ISSUE_ID_poc_POC_ID_info.json", F_API },
    { "project_PROJECT_ID_issues_ISSUE_ID_poc_add.json", F_API },
    { "project_PROJECT_ID_issues_create.json", F_API },
    { "project_PROJECT_ID_issues_list.json", F_API },
    { "project_PROJECT_ID_issues_rules_use.json", F_API },
    { "project_PROJECT_ID_issues_search.json", F_API },
    { "project_PROJECT_ID_network_NETWORK_ID_delete.json", F_API },
    { "project_PROJECT_ID_network_NETWORK_ID_edit.json", F_API },
    { "project_PROJECT_ID_network_NETWORK_ID_info.json", F_API },
    { "project_PROJECT_ID_network_create.json", F_API },
    { "project_PROJECT_ID_networks.json", F_API },
    { "project_PROJECT_ID_port_PORT_ID_delete.json", F_API },
    { "project_PROJECT_ID_port_PORT_ID_edit.json", F_API },
    { "project_PROJECT_ID_port_PORT_ID_info.json", F_API },
    { "project_PROJECT_ID_port_new.json", F_API },
    { "project_PROJECT_ID_settings.json", F_API },
    { "project_PROJECT_ID_settings_edit.json", F_API },
    { "project_new.json", F_API },
    { "projects.json", F_API },
    { "rules.json", F_API },
    { "swagger_v1_0_0_json.json", F_API },
    { "team_TEAM_ID_info.json", F_API },
    { "team_TEAM_ID_info_update.json", F_API },
    { "team_TEAM_ID_logs.json", F_API },
    { "team_TEAM_ID_projects.json", F_API },
    { "team_TEAM_ID_users.json", F_API },
    { "team_TEAM_ID_users_add.json", F_API },
    { "team_TEAM_ID_users_delete.json", F_API },
    { "team_TEAM_ID_users_devote.json", F_API },
    { "team_TEAM_ID_users_set_admin.json", F_API },
    { "teams.json", F_API },
    { "user_USER_ID_info.json", F_API },
    { "user_me.json", F_API },
    { "ui/create_team.json", F_UI },
    { "ui/credentials.json", F_UI },
    { "ui/exporter.json", F_UI },
    { "ui/issues.json", F_UI },
    { "ui/issues_fb68b26.json", F_UI },
    { "ui/login.json", F_UI },
    { "ui/nmap_import.json", F_UI },
    { "ui/notes.json", F_UI },
    { "ui/poc_file.json", F_UI },
    { "ui/projects_page.json", F_UI },
    { "ui/reports.json", F_UI },
    /* The project workspace (issue 12): replayed against the fake PCF by
     * tests/contract; here the generic readers run over them. */
    { "ui/ws_chats.json", F_WS },
    { "ui/ws_credentials_io.json", F_WS },
    { "ui/ws_files.json", F_WS },
    { "ui/ws_hosts_import.json", F_WS },
    { "ui/ws_issue_templates.json", F_WS },
    { "ui/ws_issues_bulk.json", F_WS },
    { "ui/ws_network_paths.json", F_WS },
    { "ui/ws_services.json", F_WS },
    { "ui/ws_share.json", F_WS },
    { "ui/ws_tasks.json", F_WS },
    { "ui/ws_team_admin.json", F_WS },
};

static const char *fixture_dir(void)
{
    static char dir[1024];
    const char *base = getenv("PCFMCP_TEST_FIXTURES");
    snprintf(dir, sizeof(dir), "%s/pcf", base ? base : "tests/fixtures");
    return dir;
}

static cJSON *load_json(const char *path)
{
    char *text = NULL;
    size_t len = 0;
    ck_assert_msg(pcfmcp__read_file(path, 64u << 20, false, &text, &len) == 0, "read %s", path);
    cJSON *doc = cJSON_ParseWithLength(text, len);
    pcfmcp__free(text);
    ck_assert_msg(doc != NULL, "parse %s", path);
    return doc;
}

static cJSON *load_fixture(const char *name)
{
    char path[1200];
    snprintf(path, sizeof(path), "%s/%s", fixture_dir(), name);
    return load_json(path);
}

/* The recorded body as the wire carried it. */
static char *body_text(const cJSON *resp, size_t *len)
{
    const cJSON *b = cJSON_GetObjectItem(resp, "body");
    const cJSON *ex = cJSON_GetObjectItem(resp, "body_excerpt");
    char *s;
    if (cJSON_IsString(ex))
        s = pcfmcp__strdup(ex->valuestring);
    else if (cJSON_IsString(b))
        s = pcfmcp__strdup(b->valuestring);
    else if (!b || cJSON_IsNull(b))
        s = pcfmcp__strdup("");
    else {
        char *p = cJSON_PrintUnformatted(b);
        s = pcfmcp__strdup(p);
        cJSON_free(p);
    }
    ck_assert_ptr_nonnull(s);
    *len = strlen(s);
    return s;
}

static const char *header(const cJSON *resp, const char *name)
{
    const char *v = pcfmcp__json_str(pcfmcp__json_obj(resp, "headers"), name);
    return v ? v : pcfmcp__json_str(pcfmcp__json_obj(resp, "extra_headers"), name);
}

START_TEST(every_fixture_file_is_covered)
{
    const char *subdirs[] = { "", "ui/" };
    size_t seen = 0;
    for (int d = 0; d < 2; d++) {
        char path[1200];
        snprintf(path, sizeof(path), "%s/%s", fixture_dir(), subdirs[d]);
        DIR *dir = opendir(path);
        ck_assert_msg(dir != NULL, "open %s", path);
        struct dirent *e;
        while ((e = readdir(dir)) != NULL) {
            size_t n = strlen(e->d_name);
            if (n < 5 || strcmp(e->d_name + n - 5, ".json") != 0)
                continue;
            char rel[600];
            snprintf(rel, sizeof(rel), "%s%s", subdirs[d], e->d_name);
            bool known = false;
            for (size_t i = 0; i < PCFMCP_ARRAY_LEN(fixture_files); i++)
                known |= strcmp(fixture_files[i].name, rel) == 0;
            ck_assert_msg(known, "fixture %s is not covered by test_pcf_parse.c", rel);
            seen++;
        }
        closedir(dir);
    }
    ck_assert_uint_eq(seen, PCFMCP_ARRAY_LEN(fixture_files));
}
END_TEST

/* What API.md says each recorded answer means. */
static void check_api_case(const char *file, const cJSON *c)
{
    const char *name = pcfmcp__json_str(c, "name");
    const cJSON *resp = cJSON_GetObjectItem(c, "response");
    long status = (long)pcfmcp__json_num(resp, "status", 0);
    size_t len;
    char *body = body_text(resp, &len);
    if (strcmp(file, "swagger_v1_0_0_json.json") == 0) {
        /* The fixture points at the spec file instead of repeating it. */
        pcfmcp__free(body);
        char path[1200];
        snprintf(path, sizeof(path), "%s/../../../docs/pcf-api/swagger_v1.0.0.json",
                 fixture_dir());
        ck_assert_int_eq(pcfmcp__read_file(path, 8u << 20, false, &body, &len), 0);
    }
    pcfmcp__pcf_answer a = { .status = status,
                             .content_type = header(resp, "content-type"),
                             .body = body,
                             .len = len };
    pcfmcp_pcf_result_t *r = pcfmcp__pcf_result_new();
    pcfmcp__pcf_classify_api(r, &a);

    const cJSON *b = cJSON_GetObjectItem(resp, "body");
    const cJSON *errors = cJSON_GetObjectItem(b, "errors");
    const char *first = cJSON_IsString(cJSON_GetArrayItem(errors, 0))
                            ? cJSON_GetArrayItem(errors, 0)->valuestring
                            : NULL;
    pcfmcp_error_t want;
    if (status == 200 && cJSON_GetObjectItem(b, "error"))
        want = PCFMCP_ERR_NOT_FOUND;
    else if (status == 200)
        want = PCFMCP_OK;
    else if (status == 400 && first &&
             (!strcmp(first, "Token not found!") || !strcmp(first, "Token expired!") ||
              !strcmp(first, "Auth error!") || !strcmp(first, "User not found!")))
        want = PCFMCP_ERR_AUTH;
    else if (status == 400 && first)
        want = PCFMCP_ERR_PCF;
    else
        want = PCFMCP_ERR_HTTP;
    ck_assert_msg(r->err == want, "%s/%s: got %s, want %s (%s)", file, name,
                  pcfmcp_error_name(r->err), pcfmcp_error_name(want), r->message);
    ck_assert_int_eq(r->status, (int)status);
    ck_assert_ptr_nonnull(r->message);
    ck_assert_msg(strlen(r->message) <= 520, "%s/%s: message too long", file, name);
    if (want == PCFMCP_ERR_PCF) {
        ck_assert_str_eq(r->message, first);
        ck_assert_ptr_nonnull(r->pcf_errors);
        cJSON *arr = cJSON_Parse(r->pcf_errors);
        ck_assert_str_eq(cJSON_GetArrayItem(arr, 0)->valuestring, first);
        cJSON_Delete(arr);
    }
    if (want == PCFMCP_ERR_AUTH && first && strncmp(first, "Token", 5) == 0) {
        ck_assert(r->token_rejected);
        ck_assert_ptr_nonnull(strstr(r->message, first));
    }
    if (want == PCFMCP_ERR_HTTP) {
        char code[16];
        snprintf(code, sizeof(code), "HTTP %ld", status);
        ck_assert_ptr_nonnull(strstr(r->message, code));
    }
    if (want == PCFMCP_OK || want == PCFMCP_ERR_PCF || want == PCFMCP_ERR_NOT_FOUND) {
        /* JSON answers are handed out verbatim and parsed. */
        ck_assert_ptr_nonnull(r->json);
        ck_assert_ptr_nonnull(r->parsed);
    }
    /* The token sent with the request never shows up in a message. */
    const char *tok = pcfmcp__json_str(pcfmcp__json_obj(cJSON_GetObjectItem(c, "request"), "body"),
                                       "access_token");
    if (tok && strlen(tok) > 8)
        ck_assert_msg(strstr(r->message, tok) == NULL, "%s/%s leaks the token", file, name);
    pcfmcp_pcf_result_free(r);
    pcfmcp__free(body);
}

START_TEST(api_fixtures_classify_as_documented)
{
    size_t cases = 0;
    for (size_t i = 0; i < PCFMCP_ARRAY_LEN(fixture_files); i++) {
        if (fixture_files[i].kind != F_API)
            continue;
        cJSON *doc = load_fixture(fixture_files[i].name);
        const cJSON *c;
        cJSON_ArrayForEach(c, doc) {
            check_api_case(fixture_files[i].name, c);
            cases++;
        }
        cJSON_Delete(doc);
    }
    ck_assert_uint_gt(cases, 200);
}
END_TEST

/* Counters over the web-UI fixtures, so the test notices when a reader
 * silently stops finding anything. */
typedef struct {
    int csrf, errors, issue_ids, note_ids, team_ids, login_redirects, filenames, uploads, exports,
        api;
} ui_counts;

static void check_ui_case(const char *file, const cJSON *c, ui_counts *n)
{
    const char *name = pcfmcp__json_str(c, "name");
    const cJSON *req = cJSON_GetObjectItem(c, "request");
    const cJSON *resp = cJSON_GetObjectItem(c, "response");
    const char *path = pcfmcp__json_str(req, "path");
    long status = (long)pcfmcp__json_num(resp, "status", 0);
    size_t len;
    char *body = body_text(resp, &len);

    if (pcfmcp__has_prefix(path, "/api/v1/")) {
        pcfmcp__pcf_answer a = { .status = status, .content_type = header(resp, "content-type"),
                                 .body = body, .len = len };
        pcfmcp_pcf_result_t *r = pcfmcp__pcf_result_new();
        pcfmcp__pcf_classify_api(r, &a);
        ck_assert_msg(r->err == PCFMCP_OK, "%s/%s: %s", file, name, r->message);
        pcfmcp_pcf_result_free(r);
        n->api++;
    }
    char *csrf = pcfmcp__pcf_html_csrf(body, len);
    if (strstr(body, "name=\"csrf_token\" value=")) {
        ck_assert_msg(csrf != NULL, "%s/%s: csrf not found", file, name);
        ck_assert_str_eq(csrf, "<csrf token>");
        n->csrf++;
    } else {
        ck_assert_ptr_null(csrf);
    }
    pcfmcp__free(csrf);

    cJSON *errors = NULL;
    bool has_errors = pcfmcp__pcf_html_errors(body, len, &errors);
    ck_assert(has_errors == (strstr(body, "There were some errors with") != NULL));
    if (has_errors) {
        ck_assert_msg(cJSON_GetArraySize(errors) >= 1, "%s/%s: no error text", file, name);
        const char *e0 = cJSON_GetArrayItem(errors, 0)->valuestring;
        ck_assert(strchr(e0, '<') == NULL || strcmp(e0, "<") == 0);
        if (strcmp(name, "create_missing_name") == 0)
            ck_assert_str_eq(e0, "Name required!");
        if (strcmp(name, "create_port_id_not_uuid") == 0)
            ck_assert_str_eq(e0, "['Wrong port id!']");
        n->errors++;
    }
    cJSON_Delete(errors);

    const char *loc = header(resp, "location");
    if (loc) {
        char id[37];
        char *p = pcfmcp__pcf_location_path(loc);
        char *frag = pcfmcp__pcf_location_fragment(loc);
        ck_assert_ptr_nonnull(p);
        ck_assert_msg(p[0] == '/', "%s/%s: path %s", file, name, p);
        ck_assert(strchr(p, '#') == NULL);
        bool login = pcfmcp__pcf_location_is_login(loc);
        ck_assert(login == (pcfmcp__has_prefix(p, "/login") || pcfmcp__has_prefix(p, "/logout")));
        n->login_redirects += login;
        if (pcfmcp__pcf_find_uuid_after(p, "/issue/", id)) {
            ck_assert(strstr(loc, id) != NULL);
            n->issue_ids++;
        }
        if (pcfmcp__pcf_find_uuid_after(frag, "note_", id)) {
            ck_assert_str_eq(frag + strlen(frag) - 36, id);
            n->note_ids++;
        }
        if (pcfmcp__pcf_find_uuid_after(p, "/team/", id))
            n->team_ids++;
        pcfmcp__free(p);
        pcfmcp__free(frag);
    }
    const char *cd = header(resp, "content-disposition");
    if (cd) {
        char *fn = pcfmcp__pcf_content_disposition_filename(cd);
        ck_assert_ptr_nonnull(fn);
        if (strstr(cd, "passwords.txt"))
            ck_assert_str_eq(fn, "passwords.txt");
        else if (pcfmcp__has_prefix(file, "ui/ws_"))
            ck_assert_msg(*fn && !strchr(fn, '/') && strstr(cd, fn), "%s/%s: file name %s of %s",
                          file, name, fn, cd);
        else
            ck_assert_str_eq(fn, "Fixture report_2026-11-25T18_23_06.txt");
        pcfmcp__free(fn);
        n->filenames++;
    }
    if (pcfmcp__pcf_html_has(body, len, "Successfully uploaded!"))
        n->uploads++;
    if (strstr(path, "/reports/export/json") && status == 200) {
        cJSON *d = NULL;
        ck_assert_int_eq(pcfmcp__json_parse(body, len, PCF_JSON_DEPTH, &d, NULL), PCFMCP__JSON_OK);
        ck_assert(cJSON_IsObject(d));
        cJSON_Delete(d);
        n->exports++;
    }
    pcfmcp__free(body);
}

START_TEST(ui_fixtures_yield_csrf_ids_markers_and_filenames)
{
    ui_counts n;
    memset(&n, 0, sizeof(n));
    for (size_t i = 0; i < PCFMCP_ARRAY_LEN(fixture_files); i++) {
        if (fixture_files[i].kind != F_UI)
            continue;
        cJSON *doc = load_fixture(fixture_files[i].name);
        const cJSON *c;
        cJSON_ArrayForEach(c, doc)
            check_ui_case(fixture_files[i].name, c, &n);
        cJSON_Delete(doc);
    }
    ck_assert_int_ge(n.csrf, 3);
    ck_assert_int_ge(n.errors, 15);
    ck_assert_int_ge(n.issue_ids, 10);
    ck_assert_int_eq(n.note_ids, 1);
    ck_assert_int_eq(n.team_ids, 1);
    ck_assert_int_ge(n.login_redirects, 2);
    ck_assert_int_eq(n.filenames, 3);
    ck_assert_int_eq(n.uploads, 3);
    ck_assert_int_ge(n.exports, 8);
    ck_assert_int_ge(n.api, 8);
}
END_TEST

START_TEST(workspace_fixtures_pass_the_generic_readers)
{
    ui_counts n;
    memset(&n, 0, sizeof(n));
    size_t cases = 0;
    for (size_t i = 0; i < PCFMCP_ARRAY_LEN(fixture_files); i++) {
        if (fixture_files[i].kind != F_WS)
            continue;
        cJSON *doc = load_fixture(fixture_files[i].name);
        const cJSON *c;
        cJSON_ArrayForEach(c, doc) {
            check_ui_case(fixture_files[i].name, c, &n);
            cases++;
        }
        cJSON_Delete(doc);
    }
    /* Form errors (templates, tasks, services...), issue redirects, the two
     * exports with a file name (issue templates, credentials), API answers. */
    ck_assert_uint_ge(cases, 150);
    ck_assert_int_ge(n.errors, 15);
    ck_assert_int_ge(n.issue_ids, 6);
    ck_assert_int_eq(n.filenames, 2);
    ck_assert_int_ge(n.api, 40);
}
END_TEST

/* ------------------------------------------------------------------ edge cases */

static pcfmcp_pcf_result_t *classify(long status, const char *ct, const char *body)
{
    pcfmcp__pcf_answer a = { .status = status, .content_type = ct, .body = body,
                             .len = strlen(body) };
    pcfmcp_pcf_result_t *r = pcfmcp__pcf_result_new();
    pcfmcp__pcf_classify_api(r, &a);
    return r;
}

START_TEST(garbage_body_gives_short_sanitized_excerpt)
{
    char body[600];
    memset(body, 'A', sizeof(body) - 1);
    body[sizeof(body) - 1] = '\0';
    memcpy(body, "\x1b[31mred\x07\r\nline\xff\xfe", 17);
    pcfmcp_pcf_result_t *r = classify(200, "application/json", body);
    ck_assert_int_eq(r->err, PCFMCP_ERR_BAD_RESPONSE);
    const char *ex = strstr(r->message, ": ") + 2;
    ck_assert_uint_le(strlen(ex), PCF_EXCERPT_MAX);
    for (const char *p = r->message; *p; p++)
        ck_assert((unsigned char)*p >= 0x20 && *p != 0x7f);
    ck_assert(pcfmcp__utf8_valid(r->message, strlen(r->message), NULL));
    ck_assert_ptr_nonnull(strstr(r->message, "[31mred line??"));
    pcfmcp_pcf_result_free(r);
}
END_TEST

START_TEST(excerpt_never_splits_a_utf8_character)
{
    char body[200] = "";
    for (int i = 0; i < 60; i++)
        strcat(body, "\xc3\xa9"); /* é */
    char out[PCF_EXCERPT_MAX + 1];
    pcfmcp__pcf_excerpt(body, strlen(body), out, sizeof(out));
    ck_assert_uint_eq(strlen(out), 120);
    ck_assert(pcfmcp__utf8_valid(out, strlen(out), NULL));
    memmove(body + 1, body, strlen(body) + 1);
    body[0] = 'x';
    pcfmcp__pcf_excerpt(body, strlen(body), out, sizeof(out));
    ck_assert_uint_eq(strlen(out), 119);
    ck_assert(pcfmcp__utf8_valid(out, strlen(out), NULL));
}
END_TEST

/* Property: whatever the text and the buffer size, the excerpt stays inside
 * the buffer, is NUL-terminated there and is valid UTF-8. */
START_TEST(excerpt_stays_inside_any_buffer)
{
    static const char *const bodies[] = {
        "plain ascii text that is long enough to be cut somewhere in the middle of it, "
        "and then some more words so that it passes the excerpt limit easily, really",
        "\xc3\xa9\xc3\xa9\xc3\xa9\xe2\x82\xac\xe2\x82\xac\xf0\x9f\x98\x80\xf0\x9f\x98\x80 mixed widths",
        "\x01\x02 \t\n control \x7f and \xff\xfe invalid bytes \xc3",
    };
    char buf[PCF_EXCERPT_MAX + 16];
    for (size_t b = 0; b < PCFMCP_ARRAY_LEN(bodies); b++) {
        for (size_t size = 1; size <= PCF_EXCERPT_MAX + 1; size++) {
            memset(buf, '#', sizeof(buf));
            pcfmcp__pcf_excerpt(bodies[b], strlen(bodies[b]), buf, size);
            ck_assert_uint_lt(strlen(buf), size);
            for (size_t k = size; k < sizeof(buf); k++)
                ck_assert_int_eq(buf[k], '#');
            ck_assert(pcfmcp__utf8_valid(buf, strlen(buf), NULL));
        }
    }
}
END_TEST

/* Found by fuzz/fuzz_pcfapi.c: a long Content-Type on an error answer
 * overflowed the 48-byte buffer its excerpt went into, and the cut at 40
 * bytes could split a character. */
START_TEST(long_content_type_is_cut_on_a_character_boundary)
{
    char ct[200] = "x";
    for (int i = 0; i < 60; i++)
        strcat(ct, "\xc3\xa9"); /* é, so byte 40 falls inside one */
    pcfmcp_pcf_result_t *r = classify(500, ct, "oops");
    ck_assert_int_eq(r->err, PCFMCP_ERR_HTTP);
    ck_assert(pcfmcp__utf8_valid(r->message, strlen(r->message), NULL));
    const char *shown = strstr(r->message, "; x");
    ck_assert_ptr_nonnull(shown);
    ck_assert_uint_le(strlen(shown + 2) - 1, 40); /* the content type, without ")" */
    pcfmcp_pcf_result_free(r);
}
END_TEST

START_TEST(basic_auth_401_names_the_basic_credentials)
{
    pcfmcp_pcf_result_t *r = classify(401, "application/json", "{\"message\": \"Authenticate.\"}");
    ck_assert_int_eq(r->err, PCFMCP_ERR_AUTH);
    ck_assert_ptr_nonnull(strstr(r->message, "HTTP Basic"));
    ck_assert_ptr_nonnull(strstr(r->message, "configure"));
    pcfmcp_pcf_result_free(r);
    pcfmcp__pcf_answer a = { .status = 401, .body = "", .len = 0, .basic_configured = true };
    r = pcfmcp__pcf_result_new();
    pcfmcp__pcf_classify_api(r, &a);
    ck_assert_ptr_nonnull(strstr(r->message, "rejected"));
    pcfmcp_pcf_result_free(r);
}
END_TEST

START_TEST(status_429_is_rate_limited_and_json_array_is_bad_response)
{
    pcfmcp_pcf_result_t *r = classify(429, "text/html", "<h1>slow down</h1>");
    ck_assert_int_eq(r->err, PCFMCP_ERR_RATE_LIMITED);
    pcfmcp_pcf_result_free(r);
    r = classify(200, "application/json", "[1,2]");
    ck_assert_int_eq(r->err, PCFMCP_ERR_BAD_RESPONSE);
    pcfmcp_pcf_result_free(r);
    r = classify(200, "application/json", "");
    ck_assert_int_eq(r->err, PCFMCP_ERR_BAD_RESPONSE);
    ck_assert_ptr_nonnull(strstr(r->message, "empty"));
    pcfmcp_pcf_result_free(r);
}
END_TEST

START_TEST(csrf_reader_handles_attribute_order_quotes_and_absence)
{
    const char *a = "<form><input id=\"csrf_token\" name=\"csrf_token\" type=\"hidden\" "
                    "value=\"IjA5Zm.Y2Q-x_z\"></form>";
    char *t = pcfmcp__pcf_html_csrf(a, strlen(a));
    ck_assert_str_eq(t, "IjA5Zm.Y2Q-x_z");
    pcfmcp__free(t);
    const char *b = "<input value='v>1' type=hidden name=csrf_token>";
    t = pcfmcp__pcf_html_csrf(b, strlen(b));
    ck_assert_str_eq(t, "v>1");
    pcfmcp__free(t);
    const char *c = "<INPUT VALUE='v>1' NAME=\"csrf_token\">";
    t = pcfmcp__pcf_html_csrf(c, strlen(c));
    ck_assert_str_eq(t, "v>1");
    pcfmcp__free(t);
    const char *d = "<input name=\"other\" value=\"x\"><meta name=\"csrf_token\" value=\"no\">";
    ck_assert_ptr_null(pcfmcp__pcf_html_csrf(d, strlen(d)));
    const char *e = "<input name=\"csrf_token\" value=\"\">";
    ck_assert_ptr_null(pcfmcp__pcf_html_csrf(e, strlen(e)));
    const char *f = "<input name=\"csrf_token\" value=\"a\nb\">";
    ck_assert_ptr_null(pcfmcp__pcf_html_csrf(f, strlen(f)));
    const char *g = "<input name=\"csrf_token\" value=\"unterminated";
    char *u = pcfmcp__pcf_html_csrf(g, strlen(g));
    ck_assert_str_eq(u, "unterminated");
    pcfmcp__free(u);
}
END_TEST

START_TEST(location_reader_splits_absolute_urls_and_fragments)
{
    const char *l = "http://127.0.0.1:1/project/p/host/h/#/notes/note_1a7a4a9b-c78a-4956-a3cb-"
                    "361f147986b1";
    char *p = pcfmcp__pcf_location_path(l), *f = pcfmcp__pcf_location_fragment(l);
    ck_assert_str_eq(p, "/project/p/host/h/");
    ck_assert_str_eq(f, "/notes/note_1a7a4a9b-c78a-4956-a3cb-361f147986b1");
    pcfmcp__free(p);
    pcfmcp__free(f);
    ck_assert(pcfmcp__pcf_location_is_login("/logout?redirect=%2Fproject"));
    ck_assert(pcfmcp__pcf_location_is_login("https://pcf.example/login"));
    ck_assert(!pcfmcp__pcf_location_is_login("/projects/"));
    ck_assert(!pcfmcp__pcf_location_is_login(NULL));
    char id[37];
    ck_assert(!pcfmcp__pcf_find_uuid_after("/project/x/issue/not-a-uuid/", "/issue/", id));
}
END_TEST

/* Found by fuzz/fuzz_pcfweb.c: a Location with a UUID cut short left its
 * first 36 bytes in the output, and issue_create reported that as the id of
 * the issue it had made. */
START_TEST(uuid_reader_leaves_nothing_behind_when_it_finds_none)
{
    char id[37] = "untouched";
    ck_assert(!pcfmcp__pcf_find_uuid_after(
        "/project/p/issue/47b58234-78ed-4082-809e-a3a789ac8\xff\xff\xff\xff", "/issue/", id));
    ck_assert_str_eq(id, "");
    memcpy(id, "untouched", 10);
    ck_assert(!pcfmcp__pcf_find_uuid_after(NULL, "/issue/", id));
    ck_assert_str_eq(id, "");
    ck_assert(pcfmcp__pcf_find_uuid_after("/issue/x/issue/47b58234-78ed-4082-809e-a3a789ac8ed1/",
                                          "/issue/", id));
    ck_assert_str_eq(id, "47b58234-78ed-4082-809e-a3a789ac8ed1");
}
END_TEST

/* Found by fuzz/fuzz_pcfweb.c: PCF's header values reached results (a
 * report's content type) with control characters in them. RFC 9110 5.5:
 * a recipient replaces CR, LF and NUL with SP; every other control too. */
START_TEST(header_values_hold_no_control_characters)
{
    static const char line[] = "Content-Type: \t text/plain;\x1d charset=utf-8\x01\x7f \r\n";
    char *v = pcfmcp__pcf_header_value(line, sizeof(line) - 1, 12);
    ck_assert_str_eq(v, "text/plain;  charset=utf-8");
    pcfmcp__free(v);
    static const char nul[] = "Location: /a\0/b\r\n";
    v = pcfmcp__pcf_header_value(nul, sizeof(nul) - 1, 8);
    ck_assert_str_eq(v, "/a /b");
    pcfmcp__free(v);
}
END_TEST

/* Found by fuzz/fuzz_pcfweb.c: a header value that is not UTF-8 (a report's
 * content type) reached results byte for byte. Each byte that begins no
 * valid sequence becomes U+FFFD; valid UTF-8 stays as it is. */
START_TEST(header_values_are_utf8)
{
    static const char line[] = "Content-Type: tex\xe8" "et=utf-8\xff\r\n";
    char *v = pcfmcp__pcf_header_value(line, sizeof(line) - 1, 12);
    ck_assert_str_eq(v, "tex\xef\xbf\xbd" "et=utf-8\xef\xbf\xbd");
    pcfmcp__free(v);
    static const char ok[] = "Content-Disposition: attachment; filename=\"caf\xc3\xa9.txt\"\r\n";
    v = pcfmcp__pcf_header_value(ok, sizeof(ok) - 1, 19);
    ck_assert_str_eq(v, "attachment; filename=\"caf\xc3\xa9.txt\"");
    pcfmcp__free(v);
}
END_TEST

START_TEST(content_disposition_reader_prefers_extended_name_and_drops_directories)
{
    char *f = pcfmcp__pcf_content_disposition_filename(
        "attachment; filename=\"../../etc/passwd\"");
    ck_assert_str_eq(f, "passwd");
    pcfmcp__free(f);
    f = pcfmcp__pcf_content_disposition_filename(
        "attachment; filename=\"plain.txt\"; filename*=UTF-8''r%C3%A9sum%C3%A9.docx");
    ck_assert_str_eq(f, "r\xc3\xa9sum\xc3\xa9.docx");
    pcfmcp__free(f);
    f = pcfmcp__pcf_content_disposition_filename("attachment; filename=\"a\\\"b\r.txt\"");
    ck_assert_str_eq(f, "a_b_.txt");
    pcfmcp__free(f);
    ck_assert_ptr_null(pcfmcp__pcf_content_disposition_filename("attachment"));
    ck_assert_ptr_null(pcfmcp__pcf_content_disposition_filename("attachment; filename=\"..\""));
}
END_TEST

/* Every allocation of the readers may fail: each time the outcome is a clean
 * error (or, past the last allocation, the normal result) and nothing leaks. */
START_TEST(readers_fail_cleanly_under_every_allocation_failure)
{
    ck_assert_int_eq(pcfmcp_global_init(), PCFMCP_OK); /* cJSON allocates through our hooks */
    const char *json = "{\"errors\": [\"Host not found!\", \"second\"]}";
    const char *html = "<input name=\"csrf_token\" value=\"tok\"><div>There were some "
                       "errors with issue</div><ul><li>A &amp; B</li><li>C</li></ul>";
    const char *xml = "<a><script id=\"x\">y</script><hostscript/></a>";
    for (long n = 0; n < 400; n++) {
        pcfmcp__alloc_fail_after(n);
        pcfmcp_pcf_result_t *r = pcfmcp__pcf_result_new();
        if (r) {
            pcfmcp__pcf_answer a = { .status = 400, .content_type = "application/json",
                                     .body = json, .len = strlen(json) };
            pcfmcp__pcf_classify_api(r, &a);
            ck_assert_int_ne(r->err, PCFMCP_OK);
            pcfmcp_pcf_result_free(r);
        }
        pcfmcp__free(pcfmcp__pcf_html_csrf(html, strlen(html)));
        cJSON *errors = NULL;
        pcfmcp__pcf_html_errors(html, strlen(html), &errors);
        cJSON_Delete(errors);
        pcfmcp__free(pcfmcp__pcf_content_disposition_filename(
            "attachment; filename=\"a.txt\"; filename*=UTF-8''b%20c.txt"));
        imp_nmap nm;
        imp_nmap_opts no = { .drop_all_scripts = true };
        pcfmcp__imp_nmap_scan(xml, strlen(xml), &no, &nm);
        pcfmcp__imp_nmap_free(&nm);
        pcfmcp__free(pcfmcp__pcf_location_path("http://h/x#y"));
        long used = pcfmcp__alloc_fail_after(-1);
        if (used < n)
            break;
    }
    pcfmcp_pcf_result_t *r = pcfmcp__pcf_result_new();
    pcfmcp__pcf_answer a = { .status = 400, .content_type = "application/json", .body = json,
                             .len = strlen(json) };
    pcfmcp__pcf_classify_api(r, &a);
    ck_assert_int_eq(r->err, PCFMCP_ERR_PCF);
    ck_assert_str_eq(r->message, "Host not found!; second");
    pcfmcp_pcf_result_free(r);
    pcfmcp_global_cleanup();
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("pcf_parse");
    TCase *t = tcase_create("fixtures");
    tcase_add_test(t, every_fixture_file_is_covered);
    tcase_add_test(t, api_fixtures_classify_as_documented);
    tcase_add_test(t, ui_fixtures_yield_csrf_ids_markers_and_filenames);
    tcase_add_test(t, workspace_fixtures_pass_the_generic_readers);
    suite_add_tcase(s, t);
    t = tcase_create("edges");
    tcase_add_test(t, garbage_body_gives_short_sanitized_excerpt);
    tcase_add_test(t, excerpt_never_splits_a_utf8_character);
    tcase_add_test(t, long_content_type_is_cut_on_a_character_boundary);
    tcase_add_test(t, excerpt_stays_inside_any_buffer);
    tcase_add_test(t, basic_auth_401_names_the_basic_credentials);
    tcase_add_test(t, status_429_is_rate_limited_and_json_array_is_bad_response);
    tcase_add_test(t, csrf_reader_handles_attribute_order_quotes_and_absence);
    tcase_add_test(t, location_reader_splits_absolute_urls_and_fragments);
    tcase_add_test(t, uuid_reader_leaves_nothing_behind_when_it_finds_none);
    tcase_add_test(t, header_values_hold_no_control_characters);
    tcase_add_test(t, header_values_are_utf8);
    tcase_add_test(t, content_disposition_reader_prefers_extended_name_and_drops_directories);
    tcase_add_test(t, readers_fail_cleanly_under_every_allocation_failure);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
