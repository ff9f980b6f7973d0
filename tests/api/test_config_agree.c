/* `pcf-mcp config check` and `pcf-mcp serve` agree: whatever
 * pcfmcp_server_new() refuses, pcfmcp_server_check_config() refuses with the
 * same message, and what the check accepts, the server accepts. A table of
 * known-bad configurations pins the messages; a sweep over every key of the
 * key table with hostile values of its type shows the class is closed, so a
 * key added later whose refusal lives only in the server fails here. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pcfmcp/pcfmcp.h>

static char dir[64];

static char oldcwd[4096];

/* The servers built here open what their settings name (an audit file
 * "x", a token state file "0", ...): relative paths land in the temporary
 * directory, not in the build tree (distcheck refuses stray files there). */
static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/pcfmcp-agree-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_ptr_nonnull(getcwd(oldcwd, sizeof(oldcwd)));
    ck_assert_int_eq(chdir(dir), 0);
}

static void teardown(void)
{
    ck_assert_int_eq(chdir(oldcwd), 0);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static const char *write_file(const char *name, const char *text)
{
    static char path[4][256];
    static int n;
    char *p = path[n++ % 4];
    snprintf(p, sizeof(path[0]), "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    return p;
}

/* Both verdicts for @p c; returns the check's errors (caller frees) or NULL. */
static char *both_verdicts(const pcfmcp_config_t *c, const char *label)
{
    char *errors = NULL;
    pcfmcp_error_t check = pcfmcp_server_check_config(c, &errors);
    pcfmcp_server_t *s = NULL;
    pcfmcp_error_t made = pcfmcp_server_new(&s, c);
    ck_assert_msg(made != PCFMCP_ERR_NOMEM, "%s: out of memory", label);
    if (check == PCFMCP_OK) {
        ck_assert_msg(made == PCFMCP_OK, "%s: config check says OK, the server refuses: %s",
                      label, s ? pcfmcp_server_errmsg(s) : pcfmcp_strerror(made));
    } else {
        ck_assert_int_eq(check, PCFMCP_ERR_CONFIG);
        ck_assert_ptr_nonnull(errors);
        ck_assert_msg(made == PCFMCP_ERR_CONFIG,
                      "%s: config check refuses (%s) but the server starts (%s)", label, errors,
                      pcfmcp_strerror(made));
        ck_assert_msg(strcmp(pcfmcp_server_errmsg(s), errors) == 0,
                      "%s: different messages\n check:  %s\n server: %s", label, errors,
                      pcfmcp_server_errmsg(s));
    }
    pcfmcp_server_free(s);
    return errors;
}

typedef struct {
    const char *name;
    const char *yaml;     /* the file; "%D" is replaced by the test's directory */
    const char *env_key;  /* one more setting, as if from the environment (or NULL) */
    const char *env_val;
    const char *expect;   /* in the message, after "<file>:<line>: " or the origin */
    int line;             /* the line of the file the message names (0: not a file origin) */
} bad_case;

static const bad_case BAD[] = {
    { "pcf.url with another scheme", "pcf:\n  url: ftp://pcf\n", NULL, NULL,
      "pcf.url: not an http(s) URL", 2 },
    { "misspelt tool in tools.allow", "tools:\n  allow: [list_projectz]\n", NULL, NULL,
      "tools.allow: unknown tool \"list_projectz\"", 2 },
    { "missing TLS files",
      "server:\n  transport: http\n  tls_cert: %D/none.crt\n  tls_key: %D/none.key\n", NULL,
      NULL, "server.tls_cert: TLS: ", 3 },
    { "missing API keys file", "server:\n  transport: http\nauth:\n  api_keys_file: %D/keys\n",
      NULL, NULL, "auth.api_keys_file: ", 4 },
    { "all interfaces without authentication", "server:\n  transport: http\n  host: 0.0.0.0\n",
      NULL, NULL, "server.host: refusing to listen on non-loopback address 0.0.0.0 without "
                  "authentication", 3 },
    { "client CA without a certificate",
      "server:\n  transport: http\n  tls_client_ca: %D/ca.pem\n", NULL, NULL,
      "server.tls_client_ca: needs server.tls_cert and server.tls_key", 3 },
    { "unresolved secret file", "pcf:\n  url: http://127.0.0.1:9\n  token_file: %D/tok\n", NULL,
      NULL, "pcf.token_file: names", 3 },
    { "bad proxy network", "rate_limit:\n  trusted_proxies: [300.1.2.3]\n", NULL, NULL,
      "rate_limit.trusted_proxies: \"300.1.2.3\"", 2 },
    { "audit file in a missing directory", "audit:\n  enabled: true\n  file: %D/no/audit.log\n",
      NULL, NULL, "audit.file: audit file ", 3 },
    { "missing identities file", "auth:\n  identities_file: %D/people.yaml\n", NULL, NULL,
      "auth.identities_file: ", 2 },
    { "tracing endpoint with another scheme", "tracing:\n  enabled: true\n", "tracing.endpoint",
      "ftp://collector", "tracing.endpoint: ", 0 },
    { "channel without a value", "pcf:\n  url: http://127.0.0.1:9\n  channels: issues_write\n",
      NULL, NULL, "pcf.channels: \"issues_write\" is not capability=channel", 3 },
    { "project names, per-person identities, no credentials of the server's own",
      "pcf:\n  url: http://127.0.0.1:9\nauth:\n  identities_file: %D/people-ok.yaml\n"
      "tools:\n  projects: [ACME external pentest]\n",
      NULL, NULL, "tools.projects: project names are resolved with the server's own PCF "
                  "credentials only", 6 },
};

static void expand(const char *in, char *out, size_t n)
{
    size_t k = 0;
    for (const char *p = in; *p && k + 1 < n; p++) {
        if (p[0] == '%' && p[1] == 'D') {
            k += (size_t)snprintf(out + k, n - k, "%s", dir);
            p++;
        } else {
            out[k++] = *p;
        }
    }
    out[k < n ? k : n - 1] = '\0';
}

START_TEST(each_refusal_of_serve_is_a_refusal_of_check_with_the_same_message)
{
    const bad_case *b = &BAD[_i];
    char yaml[1024];
    expand(b->yaml, yaml, sizeof(yaml));
    /* The token file exists: only forgetting to resolve it is wrong. */
    write_file("tok", "01234567-89ab-4cde-8f01-23456789abcd\n");
    write_file("ca.pem", "not a certificate\n");
    write_file("people-ok.yaml", "identities:\n  - identity: \"key:alice\"\n"
                                 "    token: \"01234567-89ab-4cde-8f01-23456789abcd\"\n");
    const char *p = write_file("c.yaml", yaml);
    pcfmcp_config_t *c = NULL;
    ck_assert_int_eq(pcfmcp_config_new(&c), PCFMCP_OK);
    ck_assert_msg(pcfmcp_config_load_file(c, p) == PCFMCP_OK, "%s: %s", b->name,
                  pcfmcp_config_errmsg(c));
    if (b->env_key)
        ck_assert_int_eq(pcfmcp_config_set(c, b->env_key, b->env_val, PCFMCP_CONFIG_ENV),
                         PCFMCP_OK);
    char *errors = both_verdicts(c, b->name);
    ck_assert_msg(errors, "%s: config check accepted it", b->name);
    char want[512];
    if (b->line)
        snprintf(want, sizeof(want), "%s:%d: %s", p, b->line, b->expect);
    else
        snprintf(want, sizeof(want), "%s", b->expect);
    ck_assert_msg(strstr(errors, want), "%s: want \"%s\" in: %s", b->name, want, errors);
    pcfmcp_free(errors);
    pcfmcp_config_free(c);
}
END_TEST

START_TEST(a_sound_configuration_passes_both)
{
    const char *keys = write_file("keys", "");
    char yaml[1024];
    snprintf(yaml, sizeof(yaml),
             "server:\n  transport: http\n  host: 0.0.0.0\nauth:\n  api_keys_file: %s\n"
             "pcf:\n  url: https://pcf.example.com\n  token_file: %s/tok\n"
             "tools:\n  allow: [list_projects, get_project]\n",
             keys, dir);
    write_file("tok", "01234567-89ab-4cde-8f01-23456789abcd\n");
    const char *p = write_file("c.yaml", yaml);
    pcfmcp_config_t *c = NULL;
    ck_assert_int_eq(pcfmcp_config_new(&c), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_config_load_file(c, p), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_config_resolve_secrets(c), PCFMCP_OK);
    char *errors = both_verdicts(c, "sound");
    ck_assert_msg(!errors, "refused: %s", errors);
    pcfmcp_config_free(c);
}
END_TEST

/* Values of each type that a server might refuse; a value the key table
 * itself rejects is skipped (config set refuses it before either verdict). */
static const char *const HOSTILE[] = {
    "",
    "x",
    "ftp://example.invalid",
    "http://127.0.0.1:9",
    "0.0.0.0",
    "300.1.2.3",
    "/nonexistent/pcfmcp/file",
    "%D",            /* a directory where a file is expected */
    "%D/garbage",    /* a file whose content is not what the key expects */
    "a=b,c",
    "list_projectz",
    "0",
    "1",
    "65535",
    "true",
};

START_TEST(check_and_server_agree_on_every_key_and_hostile_value)
{
    write_file("garbage", "garbage\n");
    /* Under valgrind every tenth case, starting at a different one per
     * transport, keeps the run short; the plain run covers all. */
    int stride = getenv("PCFMCP_UNDER_VALGRIND") ? 10 : 1;
    const char *transports[] = { "stdio", "http" };
    unsigned long n = 0, refused = 0;
    for (size_t t = 0; t < 2; t++) {
        for (size_t k = 0; k < pcfmcp_config_key_count(); k++) {
            const char *key = NULL;
            pcfmcp_config_key_info(k, &key, NULL, NULL, NULL, NULL, NULL);
            for (size_t v = 0; v < sizeof(HOSTILE) / sizeof(HOSTILE[0]); v++) {
                if ((k * 31 + v + t) % (size_t)stride)
                    continue;
                char value[300];
                expand(HOSTILE[v], value, sizeof(value));
                pcfmcp_config_t *c = NULL;
                ck_assert_int_eq(pcfmcp_config_new(&c), PCFMCP_OK);
                /* No PCF traffic and no log noise from the servers built here. */
                pcfmcp_config_set(c, "log.level", "error", PCFMCP_CONFIG_API);
                pcfmcp_config_set(c, "server.transport", transports[t], PCFMCP_CONFIG_API);
                if (pcfmcp_config_set(c, key, value, PCFMCP_CONFIG_API) != PCFMCP_OK ||
                    (strcmp(key, "log.level") == 0)) {
                    pcfmcp_config_free(c);
                    continue;
                }
                char label[512];
                snprintf(label, sizeof(label), "%s transport, %s = \"%s\"", transports[t], key,
                         value);
                char *errors = both_verdicts(c, label);
                refused += errors != NULL;
                n++;
                pcfmcp_free(errors);
                pcfmcp_config_free(c);
            }
        }
    }
    /* The sweep must reach both verdicts to show anything. */
    ck_assert_uint_gt(n, 100);
    ck_assert_uint_gt(refused, 5);
    ck_assert_uint_lt(refused, n);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("config-agree");
    TCase *tc = tcase_create("agree");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 600);
    tcase_add_loop_test(tc, each_refusal_of_serve_is_a_refusal_of_check_with_the_same_message, 0,
                        (int)(sizeof(BAD) / sizeof(BAD[0])));
    tcase_add_test(tc, a_sound_configuration_passes_both);
    tcase_add_test(tc, check_and_server_agree_on_every_key_and_hostile_value);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
