/* Configuration: every error names where the value came from (file and
 * line, environment variable, flag) and the key, also for secret files and
 * cross-key rules; the key table is well-formed for the generated
 * reference; the hardening keys parse with their ranges. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pcfmcp/pcfmcp.h>

#include "config.h" /* HAVE_HIREDIS */

/* Internal test hook of lib/core/alloc.c. */
long pcfmcp__alloc_fail_after(long n);

static char dir[64];

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/pcfmcp-cfg-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
}

static void teardown(void)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static const char *write_file(const char *name, const char *text)
{
    static char path[256];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    return path;
}

START_TEST(file_errors_name_file_line_and_key)
{
    const char *p = write_file("c.yaml", "log:\n  level: info\nrate_limit:\n"
                                         "  burst: 0\n  requests_per_second: fast\n");
    pcfmcp_config_t *c = NULL;
    ck_assert_int_eq(pcfmcp_config_new(&c), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_config_load_file(c, p), PCFMCP_ERR_CONFIG);
    const char *e = pcfmcp_config_errmsg(c);
    char want[300];
    snprintf(want, sizeof(want), "%s:4: rate_limit.burst: expected an integer from 1", p);
    ck_assert_msg(strstr(e, want), "got: %s", e);
    snprintf(want, sizeof(want), "%s:5: rate_limit.requests_per_second: expected a number", p);
    ck_assert_msg(strstr(e, want), "got: %s", e);
    pcfmcp_config_free(c);
}
END_TEST

START_TEST(secret_file_errors_name_where_the_file_key_was_set)
{
    const char *p = write_file("c.yaml", "pcf:\n  url: http://pcf\n  token_file: /nonexistent/tok\n");
    pcfmcp_config_t *c = NULL;
    ck_assert_int_eq(pcfmcp_config_new(&c), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_config_load_file(c, p), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_config_resolve_secrets(c), PCFMCP_ERR_CONFIG);
    char want[300];
    snprintf(want, sizeof(want), "%s:3: pcf.token_file: cannot read /nonexistent/tok", p);
    ck_assert_msg(strstr(pcfmcp_config_errmsg(c), want), "got: %s", pcfmcp_config_errmsg(c));
    /* From the environment: the variable is named. */
    pcfmcp_config_free(c);
    ck_assert_int_eq(pcfmcp_config_new(&c), PCFMCP_OK);
    const char *empty = write_file("empty", "");
    ck_assert_int_eq(pcfmcp_config_set(c, "pcf.password_file", empty, PCFMCP_CONFIG_ENV),
                     PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_config_resolve_secrets(c), PCFMCP_ERR_CONFIG);
    ck_assert_msg(strstr(pcfmcp_config_errmsg(c),
                         "environment PCF_MCP_PCF_PASSWORD_FILE: pcf.password_file:"),
                  "got: %s", pcfmcp_config_errmsg(c));
    ck_assert_ptr_nonnull(strstr(pcfmcp_config_errmsg(c), "is empty"));
    pcfmcp_config_free(c);
}
END_TEST

START_TEST(cross_key_rules_name_the_origin_of_the_offending_value)
{
    const char *p = write_file("c.yaml", "pcf:\n  url: http://pcf\n  client_cert: /x/cert.pem\n"
                                         "tracing:\n  enabled: true\n  batch_size: 100\n"
                                         "  queue_size: 10\n");
    pcfmcp_config_t *c = NULL;
    ck_assert_int_eq(pcfmcp_config_new(&c), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_config_load_file(c, p), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_config_check(c), PCFMCP_ERR_CONFIG);
    const char *e = pcfmcp_config_errmsg(c);
    char want[300];
    snprintf(want, sizeof(want), "%s:3: pcf.client_cert is set but pcf.client_key is not", p);
    ck_assert_msg(strstr(e, want), "got: %s", e);
    snprintf(want, sizeof(want), "%s:5: tracing.enabled is true but tracing.endpoint is empty",
             p);
    ck_assert_msg(strstr(e, want), "got: %s", e);
    snprintf(want, sizeof(want), "%s:6: tracing.batch_size (100) is larger than", p);
    ck_assert_msg(strstr(e, want), "got: %s", e);
    /* Fixing them through flags clears the errors. */
    pcfmcp_config_set(c, "pcf.client_key", "/x/key.pem", PCFMCP_CONFIG_FLAG);
    pcfmcp_config_set(c, "tracing.endpoint", "http://otel:4318", PCFMCP_CONFIG_FLAG);
    pcfmcp_config_set(c, "tracing.queue_size", "1000", PCFMCP_CONFIG_FLAG);
    ck_assert_int_eq(pcfmcp_config_check(c), PCFMCP_OK);
    char o[300];
    ck_assert_int_eq(pcfmcp_config_origin(c, "pcf.client_key", o, sizeof(o)), PCFMCP_OK);
    ck_assert_str_eq(o, "--pcf-client-key");
    ck_assert_int_eq(pcfmcp_config_origin(c, "pcf.url", o, sizeof(o)), PCFMCP_OK);
    snprintf(want, sizeof(want), "%s:2", p);
    ck_assert_str_eq(o, want);
    ck_assert_int_eq(pcfmcp_config_origin(c, "cache.ttl", o, sizeof(o)), PCFMCP_OK);
    ck_assert_str_eq(o, "default");
    ck_assert_int_eq(pcfmcp_config_origin(c, "nope", o, sizeof(o)), PCFMCP_ERR_NOT_FOUND);
    pcfmcp_config_free(c);
}
END_TEST

START_TEST(server_check_names_bad_proxy_networks_and_endpoints)
{
    const char *p = write_file("c.yaml", "rate_limit:\n  trusted_proxies:\n    - 10.0.0.0/8\n"
                                         "    - 300.1.2.3\n");
    pcfmcp_config_t *c = NULL;
    ck_assert_int_eq(pcfmcp_config_new(&c), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_config_load_file(c, p), PCFMCP_OK);
    pcfmcp_config_set(c, "tracing.enabled", "true", PCFMCP_CONFIG_ENV);
    pcfmcp_config_set(c, "tracing.endpoint", "ftp://collector", PCFMCP_CONFIG_ENV);
    char *errors = NULL;
    ck_assert_int_eq(pcfmcp_server_check_config(c, &errors), PCFMCP_ERR_CONFIG);
    char want[300];
    snprintf(want, sizeof(want), "%s:2: rate_limit.trusted_proxies: \"300.1.2.3\"", p);
    ck_assert_msg(strstr(errors, want), "got: %s", errors);
    ck_assert_msg(strstr(errors, "environment PCF_MCP_TRACING_ENDPOINT: tracing.endpoint:"),
                  "got: %s", errors);
    pcfmcp_free(errors);
    pcfmcp_config_free(c);
}
END_TEST

/* store.url: a malformed URL is named with its origin, the password in it
 * is not repeated; a build without hiredis says so instead. */
START_TEST(server_check_names_a_bad_store_url_without_its_password)
{
    pcfmcp_config_t *c = NULL;
    ck_assert_int_eq(pcfmcp_config_new(&c), PCFMCP_OK);
    pcfmcp_config_set(c, "store.url", "redis://:hunter2@cache:99999/0", PCFMCP_CONFIG_ENV);
    char *errors = NULL;
    ck_assert_int_eq(pcfmcp_server_check_config(c, &errors), PCFMCP_ERR_CONFIG);
    ck_assert_msg(strstr(errors, "environment PCF_MCP_STORE_URL: store.url:"), "got: %s", errors);
    ck_assert_msg(!strstr(errors, "hunter2"), "the password reached the message: %s", errors);
#ifdef HAVE_HIREDIS
    ck_assert_msg(strstr(errors, "port"), "got: %s", errors);
    pcfmcp_free(errors);
    errors = NULL;
    pcfmcp_config_set(c, "store.url", "redis://cache:6379/0", PCFMCP_CONFIG_ENV);
    ck_assert_int_eq(pcfmcp_server_check_config(c, &errors), PCFMCP_OK);
#else
    ck_assert_msg(strstr(errors, "built without hiredis"), "got: %s", errors);
#endif
    pcfmcp_free(errors);
    pcfmcp_config_free(c);
}
END_TEST

START_TEST(hardening_keys_parse_with_their_ranges)
{
    pcfmcp_config_t *c = NULL;
    ck_assert_int_eq(pcfmcp_config_new(&c), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_config_set(c, "tracing.sample_ratio", "0.0005", PCFMCP_CONFIG_API),
                     PCFMCP_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(pcfmcp_config_errmsg(c), "from 0.001 to 1"));
    ck_assert_int_eq(pcfmcp_config_set(c, "tracing.sample_ratio", "0.001", PCFMCP_CONFIG_API),
                     PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_config_set(c, "tools.timeout", "90s", PCFMCP_CONFIG_API), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_config_get_int(c, "tools.timeout"), 90000);
    ck_assert_int_eq(pcfmcp_config_set(c, "rate_limit.requests_per_second", "2.5",
                                       PCFMCP_CONFIG_API),
                     PCFMCP_OK);
    ck_assert(pcfmcp_config_get_double(c, "rate_limit.requests_per_second") == 2.5);
    ck_assert_int_eq(pcfmcp_config_set(c, "audit.args", "plain", PCFMCP_CONFIG_API),
                     PCFMCP_ERR_CONFIG);
    double lo = 0, hi = 0;
    ck_assert_int_eq(pcfmcp_config_key_range("tracing.sample_ratio", &lo, &hi), 1);
    ck_assert(lo == 0.001 && hi == 1.0);
    ck_assert_int_eq(pcfmcp_config_key_range("server.port", &lo, &hi), 1);
    ck_assert(lo == 0 && hi == 65535);
    ck_assert_int_eq(pcfmcp_config_key_range("pcf.url", &lo, &hi), 0);
    ck_assert_int_eq(pcfmcp_config_key_reloadable("rate_limit.burst"), 1);
    ck_assert_int_eq(pcfmcp_config_key_reloadable("tracing.endpoint"), 0);
    pcfmcp_config_free(c);
    /* The environment names the brief asks for. */
    setenv("PCF_MCP_RATE_LIMIT_REQUESTS_PER_SECOND", "3", 1);
    setenv("PCF_MCP_RATE_LIMIT_BURST", "7", 1);
    ck_assert_int_eq(pcfmcp_config_new(&c), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_config_load_env(c), PCFMCP_OK);
    ck_assert(pcfmcp_config_get_double(c, "rate_limit.requests_per_second") == 3);
    ck_assert_int_eq(pcfmcp_config_get_int(c, "rate_limit.burst"), 7);
    unsetenv("PCF_MCP_RATE_LIMIT_REQUESTS_PER_SECOND");
    unsetenv("PCF_MCP_RATE_LIMIT_BURST");
    pcfmcp_config_free(c);
}
END_TEST

START_TEST(syntax_error_inside_a_list_fails_the_whole_file)
{
    /* The unclosed flow list used to end the walk silently: the load
     * succeeded and every key after the list was dropped. */
    const char *p = write_file("c.yaml", "auth:\n  oauth_scopes: [a, b\nlog:\n  level: debug\n");
    pcfmcp_config_t *c = NULL;
    ck_assert_int_eq(pcfmcp_config_new(&c), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_config_load_file(c, p), PCFMCP_ERR_CONFIG);
    char want[300];
    snprintf(want, sizeof(want), "%s:3: YAML syntax error:", p);
    ck_assert_msg(strstr(pcfmcp_config_errmsg(c), want), "got: %s", pcfmcp_config_errmsg(c));
    pcfmcp_config_free(c);
}
END_TEST

START_TEST(file_load_under_allocation_failures_is_whole_or_out_of_memory)
{
    const char *p = write_file("c.yaml", "auth:\n  oauth_scopes:\n    - read\n    - write\n"
                                         "    - admin\nlog:\n  level: debug\n");
    int done = 0;
    for (long n = 0; n < 500 && !done; n++) {
        pcfmcp_config_t *c = NULL;
        ck_assert_int_eq(pcfmcp_config_new(&c), PCFMCP_OK);
        pcfmcp__alloc_fail_after(n);
        pcfmcp_error_t rc = pcfmcp_config_load_file(c, p);
        long used = pcfmcp__alloc_fail_after(-1);
        if (rc == PCFMCP_OK) {
            /* Never a list cut short by a failed append. */
            ck_assert_str_eq(pcfmcp_config_get(c, "auth.oauth_scopes"), "read,write,admin");
            ck_assert_str_eq(pcfmcp_config_get(c, "log.level"), "debug");
            done = used <= n;
        } else {
            ck_assert_msg(rc == PCFMCP_ERR_NOMEM, "allocation %ld: rc %d: %s", n, rc,
                          pcfmcp_config_errmsg(c));
        }
        pcfmcp_config_free(c);
    }
    ck_assert(done);
}
END_TEST

/* The full dynamic-programming edit distance, unbounded: what the "did you
 * mean" search must agree with, however it prunes. */
static size_t reference_distance(const char *a, size_t la, const char *b)
{
    size_t lb = strlen(b);
    size_t d[40][40];
    ck_assert(la < 40 && lb < 40);
    for (size_t i = 0; i <= la; i++)
        d[i][0] = i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            size_t best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < best)
                best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            d[i][j] = best;
        }
    return d[la][lb];
}

/* What pcfmcp_config_suggest_flag documents, computed the slow way: the
 * first flag at the smallest distance within its allowance. */
static const char *reference_suggestion(const char *name, size_t len)
{
    size_t best = SIZE_MAX;
    const char *pick = NULL;
    for (size_t i = 0; i < pcfmcp_config_key_count(); i++) {
        const char *flag = NULL;
        pcfmcp_config_key_info(i, NULL, NULL, NULL, NULL, &flag, NULL);
        if (!flag)
            continue;
        size_t fl = strlen(flag), limit = fl / 4;
        if (limit < 2)
            limit = fl <= 3 ? 1 : 2;
        if (limit > 3)
            limit = 3;
        size_t d = reference_distance(name, len, flag);
        if (d <= limit && d < best) {
            best = d;
            pick = flag;
        }
    }
    return pick;
}

START_TEST(flag_suggestions_match_the_unbounded_edit_distance)
{
    /* Names a few random edits away from real flags, and random names. */
    const char alphabet[] = "abcdeilmnorstu-._";
    unsigned seed = 20261207;
    size_t nflags = 0, offered = 0;
    const char *flags[256];
    for (size_t i = 0; i < pcfmcp_config_key_count() && nflags < 256; i++) {
        const char *flag = NULL;
        pcfmcp_config_key_info(i, NULL, NULL, NULL, NULL, &flag, NULL);
        if (flag && strlen(flag) < 30)
            flags[nflags++] = flag;
    }
    ck_assert_uint_gt(nflags, 20);
    for (int round = 0; round < 4000; round++) {
        char name[40];
        size_t len;
        if (round % 5 == 4) {
            len = (size_t)(rand_r(&seed) % 20);
            for (size_t k = 0; k < len; k++)
                name[k] = alphabet[rand_r(&seed) % (sizeof(alphabet) - 1)];
        } else {
            const char *flag = flags[(size_t)rand_r(&seed) % nflags];
            len = strlen(flag);
            memcpy(name, flag, len);
            for (int edits = rand_r(&seed) % 5; edits > 0; edits--) {
                size_t at = len ? (size_t)rand_r(&seed) % (len + 1) : 0;
                char c = alphabet[rand_r(&seed) % (sizeof(alphabet) - 1)];
                switch (rand_r(&seed) % 3) {
                case 0: /* insert */
                    if (len < 38) {
                        memmove(name + at + 1, name + at, len - at);
                        name[at] = c;
                        len++;
                    }
                    break;
                case 1: /* delete */
                    if (at < len) {
                        memmove(name + at, name + at + 1, len - at - 1);
                        len--;
                    }
                    break;
                default: /* substitute */
                    if (at < len)
                        name[at] = c;
                }
            }
        }
        name[len] = '\0';
        const char *want = reference_suggestion(name, len);
        const char *got = pcfmcp_config_suggest_flag(name, len, NULL, 0);
        ck_assert_msg(want == got || (want && got && strcmp(want, got) == 0),
                      "\"%s\": suggested %s, the full edit distance says %s", name,
                      got ? got : "nothing", want ? want : "nothing");
        offered += got != NULL;
    }
    /* The sample exercises both answers. */
    ck_assert_uint_gt(offered, 200);
    ck_assert_uint_lt(offered, 3800);
}
END_TEST

START_TEST(key_table_has_docs_and_contiguous_sections)
{
    char seen[64][32];
    size_t nseen = 0;
    char prev[32] = "";
    for (size_t i = 0; i < pcfmcp_config_key_count(); i++) {
        const char *key = NULL, *doc = NULL;
        ck_assert_int_eq(pcfmcp_config_key_info(i, &key, NULL, NULL, NULL, NULL, &doc),
                         PCFMCP_OK);
        ck_assert_msg(doc && strlen(doc) > 10, "%s has no documentation", key);
        char sec[32];
        snprintf(sec, sizeof(sec), "%.*s", (int)strcspn(key, "."), key);
        if (strcmp(sec, prev) != 0) {
            for (size_t k = 0; k < nseen; k++)
                ck_assert_msg(strcmp(seen[k], sec) != 0,
                              "section %s is split in the key table (at %s)", sec, key);
            snprintf(seen[nseen++], sizeof(seen[0]), "%s", sec);
            snprintf(prev, sizeof(prev), "%s", sec);
        }
    }
}
END_TEST

START_TEST(dump_never_prints_credentials_in_urls_whatever_key_holds_them)
{
    /* pcf.url, tracing.endpoint, auth.oauth_jwks_url were printed as set;
     * the property holds for every free-text key, lists included. */
    pcfmcp_config_t *c = NULL;
    ck_assert_int_eq(pcfmcp_config_new(&c), PCFMCP_OK);
    size_t tried = 0;
    for (size_t i = 0; i < pcfmcp_config_key_count(); i++) {
        const char *key = NULL;
        pcfmcp_config_type_t type;
        pcfmcp_config_key_info(i, &key, &type, NULL, NULL, NULL, NULL);
        if (type != PCFMCP_CONFIG_STRING && type != PCFMCP_CONFIG_LIST && type != PCFMCP_CONFIG_PATH)
            continue;
        char v[256];
        snprintf(v, sizeof(v), "https://ada:Pw-%zu-x@pcf.example.com:8443/a?x=1&access_token=Tk-%zu-y#f", i, i);
        if (pcfmcp_config_set(c, key, v, PCFMCP_CONFIG_API) != PCFMCP_OK)
            continue;
        tried++;
        char *dump = NULL;
        ck_assert_int_eq(pcfmcp_config_dump(c, &dump), PCFMCP_OK);
        char pw[32], tk[32];
        snprintf(pw, sizeof(pw), "Pw-%zu-x", i);
        snprintf(tk, sizeof(tk), "Tk-%zu-y", i);
        ck_assert_msg(!strstr(dump, pw) && !strstr(dump, tk), "%s printed a credential:\n%s", key, dump);
        ck_assert_msg(strstr(dump, "https://[REDACTED]@pcf.example.com:8443/a?x=1&access_token=[REDACTED]#f"),
                      "%s: %s", key, dump);
        pcfmcp_free(dump);
        pcfmcp_config_unset(c, key);
    }
    ck_assert_uint_ge(tried, 10);
    pcfmcp_config_free(c);
}
END_TEST

START_TEST(pcf_url_with_credentials_is_refused)
{
    const char *p = write_file("u.yaml", "pcf:\n  url: https://admin:hunter2@pcf.example.com\n");
    pcfmcp_config_t *c = NULL;
    ck_assert_int_eq(pcfmcp_config_new(&c), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_config_load_file(c, p), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_config_check(c), PCFMCP_ERR_CONFIG);
    char want[300];
    snprintf(want, sizeof(want), "%s:2: pcf.url carries credentials", p);
    ck_assert_msg(strstr(pcfmcp_config_errmsg(c), want), "got: %s", pcfmcp_config_errmsg(c));
    ck_assert_ptr_null(strstr(pcfmcp_config_errmsg(c), "hunter2"));
    /* A user name alone is still user info; an @ in the path is not. */
    pcfmcp_config_set(c, "pcf.url", "https://admin@pcf.example.com", PCFMCP_CONFIG_API);
    ck_assert_int_eq(pcfmcp_config_check(c), PCFMCP_ERR_CONFIG);
    pcfmcp_config_set(c, "pcf.url", "https://pcf.example.com/team@acme", PCFMCP_CONFIG_API);
    ck_assert_int_eq(pcfmcp_config_check(c), PCFMCP_OK);
    pcfmcp_config_free(c);
}
END_TEST

START_TEST(check_warns_about_secrets_every_user_can_read)
{
    const char *token = write_file("token", "11111111-2222-4333-8444-555555555555\n");
    char token_path[256], audit_path[256];
    snprintf(token_path, sizeof(token_path), "%s", token);
    const char *audit = write_file("audit.jsonl", "");
    snprintf(audit_path, sizeof(audit_path), "%s", audit);
    chmod(token_path, 0644);
    chmod(audit_path, 0644);
    char yaml[700];
    snprintf(yaml, sizeof(yaml),
             "pcf:\n  url: https://pcf.example.com\n  token_file: %s\n  basic_user: u\n"
             "  basic_password: inline-secret\naudit:\n  file: %s\n",
             token_path, audit_path);
    const char *cfg = write_file("c.yaml", yaml);
    chmod(cfg, 0644);
    pcfmcp_config_t *c = NULL;
    ck_assert_int_eq(pcfmcp_config_new(&c), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_config_load_file(c, cfg), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_config_check(c), PCFMCP_OK); /* warnings, not refusals */
    const char *w = pcfmcp_config_warnings(c);
    char want[400];
    snprintf(want, sizeof(want), "%s:3: pcf.token_file: %s is readable by every user (mode 0644)", cfg, token_path);
    ck_assert_msg(strstr(w, want), "got: %s", w);
    snprintf(want, sizeof(want), "audit.file: %s is readable by every user", audit_path);
    ck_assert_msg(strstr(w, want), "got: %s", w);
    snprintf(want, sizeof(want), "%s: holds secrets inline and is readable by every user", cfg);
    ck_assert_msg(strstr(w, want), "got: %s", w);
    ck_assert_ptr_null(strstr(w, "inline-secret"));
    /* 0600 everywhere: nothing to say. */
    chmod(token_path, 0600);
    chmod(audit_path, 0600);
    chmod(cfg, 0600);
    ck_assert_int_eq(pcfmcp_config_check(c), PCFMCP_OK);
    ck_assert_str_eq(pcfmcp_config_warnings(c), "");
    pcfmcp_config_free(c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("config-reference");
    TCase *tc = tcase_create("config");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, file_errors_name_file_line_and_key);
    tcase_add_test(tc, secret_file_errors_name_where_the_file_key_was_set);
    tcase_add_test(tc, cross_key_rules_name_the_origin_of_the_offending_value);
    tcase_add_test(tc, server_check_names_bad_proxy_networks_and_endpoints);
    tcase_add_test(tc, server_check_names_a_bad_store_url_without_its_password);
    tcase_add_test(tc, hardening_keys_parse_with_their_ranges);
    tcase_add_test(tc, key_table_has_docs_and_contiguous_sections);
    tcase_add_test(tc, flag_suggestions_match_the_unbounded_edit_distance);
    tcase_add_test(tc, syntax_error_inside_a_list_fails_the_whole_file);
    tcase_add_test(tc, file_load_under_allocation_failures_is_whole_or_out_of_memory);
    tcase_add_test(tc, dump_never_prints_credentials_in_urls_whatever_key_holds_them);
    tcase_add_test(tc, pcf_url_with_credentials_is_refused);
    tcase_add_test(tc, check_warns_about_secrets_every_user_can_read);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
