/* The per-person PCF identity map through its public API: parsing,
 * lookup, policy, reload, file permissions, redaction, allocation failures. */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pcfmcp/pcfmcp.h>

#include "server/people.h"

/* Internal test hook of lib/core/alloc.c. */
long pcfmcp__alloc_fail_after(long n);

static char dir[64];
static pcfmcp_identity_map_t *map;
static pcfmcp_logger_t *lg;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static char logged[16384];

static void sink(pcfmcp_log_level_t level, const char *line, size_t len, void *ud)
{
    (void)level;
    (void)ud;
    pthread_mutex_lock(&log_lock);
    size_t have = strlen(logged);
    if (have + len + 2 < sizeof(logged)) {
        memcpy(logged + have, line, len);
        logged[have + len] = '\n';
        logged[have + len + 1] = '\0';
    }
    pthread_mutex_unlock(&log_lock);
}

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/pcfmcp-ids-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    logged[0] = '\0';
    ck_assert_int_eq(pcfmcp_logger_new(&lg), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_logger_set_format(lg, PCFMCP_LOG_FORMAT_TEXT), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_logger_set_sink(lg, sink, NULL), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_identity_map_new(&map, lg), PCFMCP_OK);
}

static void teardown(void)
{
    pcfmcp_identity_map_free(map);
    pcfmcp_logger_unref(lg);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

static const char *write_file(const char *name, const char *text, mode_t mode)
{
    static char paths[8][128];
    static int slot;
    char *p = paths[slot++ % 8];
    snprintf(p, 128, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    ck_assert_int_eq(chmod(p, mode), 0);
    return p;
}

static const char *const MAP =
    "# who is who in PCF\n"
    "identities:\n"
    "  - identity: \"key:alice\"\n"
    "    token_file: alice.token\n"
    "  - identity: \"jwt:248289761001\"\n"
    "    email: bob@example.com\n"
    "    password_file: secrets/bob.password\n"
    "  - identity: key:ci-bot\n"
    "    token: ci-bot-pcf-token-value\n"
    "    email_file: ci.email\n"
    "    password: ci-bot-password\n";

static const char *write_map(void)
{
    char sub[128];
    snprintf(sub, sizeof(sub), "%s/secrets", dir);
    if (mkdir(sub, 0700) != 0)
        ck_assert_int_eq(access(sub, F_OK), 0); /* made by an earlier call */
    write_file("alice.token", "alice-pcf-token-value\n", 0600);
    write_file("secrets/bob.password", "bob-password\n", 0600);
    write_file("ci.email", "ci@example.com", 0600);
    return write_file("ids.yaml", MAP, 0600);
}

START_TEST(identity_map_resolves_tokens_and_logins_from_files)
{
    size_t n = 0;
    ck_assert_int_eq(pcfmcp_identity_map_load(map, write_map(), &n), PCFMCP_OK);
    ck_assert_uint_eq(n, 3);
    ck_assert_uint_eq(pcfmcp_identity_map_count(map), 3);
    pcfmcp_credentials_t *c = NULL;
    ck_assert_int_eq(pcfmcp_identity_map_lookup(map, "key:alice", &c), PCFMCP_OK);
    ck_assert_str_eq(pcfmcp_credentials_token(c), "alice-pcf-token-value");
    ck_assert_ptr_null(pcfmcp_credentials_email(c));
    ck_assert_ptr_null(pcfmcp_credentials_password(c));
    pcfmcp_credentials_free(c);
    ck_assert_int_eq(pcfmcp_identity_map_lookup(map, "jwt:248289761001", &c), PCFMCP_OK);
    ck_assert_ptr_null(pcfmcp_credentials_token(c));
    ck_assert_str_eq(pcfmcp_credentials_email(c), "bob@example.com");
    ck_assert_str_eq(pcfmcp_credentials_password(c), "bob-password");
    pcfmcp_credentials_free(c);
    ck_assert_int_eq(pcfmcp_identity_map_lookup(map, "key:ci-bot", &c), PCFMCP_OK);
    ck_assert_str_eq(pcfmcp_credentials_token(c), "ci-bot-pcf-token-value");
    ck_assert_str_eq(pcfmcp_credentials_email(c), "ci@example.com");
    ck_assert_str_eq(pcfmcp_credentials_password(c), "ci-bot-password");
    pcfmcp_credentials_free(c);
    /* Prefixes matter: a JWT subject "alice" is not the API key "alice". */
    c = NULL;
    ck_assert_int_eq(pcfmcp_identity_map_lookup(map, "jwt:alice", &c), PCFMCP_ERR_NOT_FOUND);
    ck_assert_int_eq(pcfmcp_identity_map_lookup(map, "alice", &c), PCFMCP_ERR_NOT_FOUND);
    ck_assert_ptr_null(c);
    pcfmcp_credentials_free(NULL);
}
END_TEST

START_TEST(require_mapping_turns_not_found_into_denied)
{
    ck_assert_int_eq(pcfmcp_identity_map_load(map, write_map(), NULL), PCFMCP_OK);
    pcfmcp_credentials_t *c = NULL;
    ck_assert_int_eq(pcfmcp_identity_map_require_mapping(map), 0);
    ck_assert_int_eq(pcfmcp_identity_map_lookup(map, "key:mallory", &c), PCFMCP_ERR_NOT_FOUND);
    ck_assert_int_eq(pcfmcp_identity_map_set_require_mapping(map, 1), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_identity_map_require_mapping(map), 1);
    ck_assert_int_eq(pcfmcp_identity_map_lookup(map, "key:mallory", &c), PCFMCP_ERR_DENIED);
    ck_assert_int_eq(pcfmcp_identity_map_lookup(map, "key:alice", &c), PCFMCP_OK);
    pcfmcp_credentials_free(c);
    /* An empty map with the policy on refuses everybody. */
    ck_assert_int_eq(pcfmcp_identity_map_load(map, NULL, NULL), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_identity_map_lookup(map, "key:alice", &c), PCFMCP_ERR_DENIED);
}
END_TEST

START_TEST(reload_swaps_and_a_bad_file_keeps_the_old_map)
{
    ck_assert_uint_eq(pcfmcp_identity_map_generation(map), 0);
    ck_assert_int_eq(pcfmcp_identity_map_load(map, write_map(), NULL), PCFMCP_OK);
    ck_assert_uint_eq(pcfmcp_identity_map_generation(map), 1);
    const char *bad = write_file("bad.yaml", "identities:\n  - identity: key:x\n", 0600);
    size_t n = 77;
    ck_assert_int_eq(pcfmcp_identity_map_load(map, bad, &n), PCFMCP_ERR_CONFIG);
    ck_assert_uint_eq(n, 77);
    ck_assert_uint_eq(pcfmcp_identity_map_generation(map), 1);
    pcfmcp_credentials_t *c = NULL;
    ck_assert_int_eq(pcfmcp_identity_map_lookup(map, "key:alice", &c), PCFMCP_OK);
    pcfmcp_credentials_free(c);
    /* A rotated secret file is picked up by the next load. */
    write_file("alice.token", "rotated-alice-token\n", 0600);
    const char *next = write_file("next.yaml",
                                  "identities:\n  - identity: key:alice\n    token_file: alice.token\n",
                                  0600);
    ck_assert_int_eq(pcfmcp_identity_map_load(map, next, &n), PCFMCP_OK);
    ck_assert_uint_eq(n, 1);
    ck_assert_uint_eq(pcfmcp_identity_map_generation(map), 2);
    ck_assert_int_eq(pcfmcp_identity_map_lookup(map, "key:alice", &c), PCFMCP_OK);
    ck_assert_str_eq(pcfmcp_credentials_token(c), "rotated-alice-token");
    pcfmcp_credentials_free(c);
    ck_assert_int_eq(pcfmcp_identity_map_lookup(map, "key:ci-bot", &c), PCFMCP_ERR_NOT_FOUND);
}
END_TEST

START_TEST(map_errors_name_file_and_line)
{
    write_file("empty.token", "\n", 0600);
    const char *path = write_file("ids.yaml",
                                  "identities:\n"                           /* 1 */
                                  "  - identity: key:a\n"                   /* 2 */
                                  "    token: t1\n"                         /* 3 */
                                  "    token_file: a.token\n"               /* 4 */
                                  "  - identity: key:b\n"                   /* 5 */
                                  "    email: b@example.com\n"              /* 6 */
                                  "  - token: orphan\n"                     /* 7 */
                                  "  - identity: key:c\n"                   /* 8 */
                                  "    tokn: typo\n"                        /* 9 */
                                  "  - identity: key:d\n"                   /* 10 */
                                  "    token_file: missing.token\n"         /* 11 */
                                  "  - identity: key:e\n"                   /* 12 */
                                  "    token_file: empty.token\n"           /* 13 */
                                  "  - identity: key:f\n"                   /* 14 */
                                  "    token: ok\n"                         /* 15 */
                                  "  - identity: key:f\n"                   /* 16 */
                                  "    token: again\n"                      /* 17 */
                                  "  - just a string\n"                     /* 18 */
                                  "groups: []\n",                           /* 19 */
                                  0600);
    ck_assert_int_eq(pcfmcp_identity_map_load(map, path, NULL), PCFMCP_ERR_CONFIG);
    char want[4096];
    snprintf(want, sizeof(want),
             "%1$s:4: give token or token_file, not both\n"
             "%1$s:5: identity \"key:b\": email and password go together\n"
             "%1$s:7: entry has no identity\n"
             "%1$s:9: unknown field \"tokn\" (expected identity, token, token_file, email, "
             "email_file, password or password_file)\n"
             "%1$s:11: token_file: cannot read %2$s/missing.token: No such file or directory\n"
             "%1$s:13: token_file: %2$s/empty.token is empty or holds a NUL byte\n"
             "%1$s:18: each identity must be a mapping with identity: and credentials\n"
             "%1$s:19: unknown key \"groups\" (expected identities)\n"
             "%1$s:16: duplicate identity \"key:f\" (first on line 14)",
             path, dir);
    ck_assert_str_eq(pcfmcp_identity_map_errmsg(map), want);
    ck_assert_uint_eq(pcfmcp_identity_map_count(map), 0);

    const char *syntax = write_file("syntax.yaml", "identities:\n  - identity: [\n", 0600);
    ck_assert_int_eq(pcfmcp_identity_map_load(map, syntax, NULL), PCFMCP_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(pcfmcp_identity_map_errmsg(map), "syntax.yaml:3: YAML syntax error"));
    const char *notlist = write_file("notlist.yaml", "identities: key:a\n", 0600);
    ck_assert_int_eq(pcfmcp_identity_map_load(map, notlist, NULL), PCFMCP_ERR_CONFIG);
    char want2[256];
    snprintf(want2, sizeof(want2), "%s:1: identities must be a list", notlist);
    ck_assert_str_eq(pcfmcp_identity_map_errmsg(map), want2);
    const char *ctl = write_file("ctl.yaml", "identities:\n  - identity: key:a\n    token: \"a\\nb\"\n", 0600);
    ck_assert_int_eq(pcfmcp_identity_map_load(map, ctl, NULL), PCFMCP_ERR_CONFIG);
    snprintf(want2, sizeof(want2), "%s:3: token is empty or holds control characters", ctl);
    ck_assert_str_eq(pcfmcp_identity_map_errmsg(map), want2);
    char missing[128];
    snprintf(missing, sizeof(missing), "%s/nope.yaml", dir);
    ck_assert_int_eq(pcfmcp_identity_map_load(map, missing, NULL), PCFMCP_ERR_IO);
    ck_assert_int_eq(pcfmcp_identity_map_load(map, "", NULL), PCFMCP_ERR_INVALID_ARG);
}
END_TEST

START_TEST(empty_file_and_empty_list_map_nobody)
{
    size_t n = 5;
    ck_assert_int_eq(pcfmcp_identity_map_load(map, write_file("e.yaml", "", 0600), &n), PCFMCP_OK);
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(pcfmcp_identity_map_load(map, write_file("l.yaml", "identities:\n", 0600), &n),
                     PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_identity_map_load(map, write_file("m.yaml", "identities: []\n", 0600), &n),
                     PCFMCP_OK);
    ck_assert_uint_eq(n, 0);
}
END_TEST

START_TEST(readable_secret_files_are_loaded_with_a_warning)
{
    write_file("alice.token", "alice-pcf-token-value\n", 0644);
    const char *path = write_file("ids.yaml",
                                  "identities:\n  - identity: key:alice\n    token_file: alice.token\n"
                                  "  - identity: alice\n    token: plain-token-value\n",
                                  0640);
    ck_assert_int_eq(pcfmcp_identity_map_load(map, path, NULL), PCFMCP_OK);
    char want[512];
    snprintf(want, sizeof(want), "identity map %s is accessible to group or others (mode 0640)", path);
    ck_assert_msg(strstr(logged, want), "log: %s", logged);
    snprintf(want, sizeof(want), "token_file %s/alice.token is accessible to group or others (mode 0644)",
             dir);
    ck_assert_msg(strstr(logged, want), "log: %s", logged);
    ck_assert_msg(strstr(logged, "identity \"alice\" starts with neither key: nor jwt:"), "log: %s", logged);
    /* 0600 files draw no warning. */
    logged[0] = '\0';
    ck_assert_int_eq(pcfmcp_identity_map_load(map, write_map(), NULL), PCFMCP_OK);
    ck_assert_ptr_null(strstr(logged, "accessible"));
}
END_TEST

START_TEST(loaded_secrets_are_redacted_from_logs)
{
    ck_assert_int_eq(pcfmcp_identity_map_load(map, write_map(), NULL), PCFMCP_OK);
    logged[0] = '\0';
    ck_assert_int_eq(pcfmcp_logger_log(lg, PCFMCP_LOG_WARN, "test",
                                       "leak alice-pcf-token-value bob-password ci-bot-password "
                                       "bob@example.com", NULL),
                     PCFMCP_OK);
    ck_assert_ptr_null(strstr(logged, "alice-pcf-token-value"));
    ck_assert_ptr_null(strstr(logged, "bob-password"));
    ck_assert_ptr_null(strstr(logged, "ci-bot-password"));
    ck_assert_ptr_nonnull(strstr(logged, "[REDACTED]"));
    ck_assert_ptr_nonnull(strstr(logged, "bob@example.com")); /* emails are no secret */
}
END_TEST

typedef struct {
    atomic_int stop;
    atomic_int wrong;
} race;

static void *looker(void *arg)
{
    race *r = arg;
    for (int i = 0; !atomic_load(&r->stop) || i < 2000; i++) {
        pcfmcp_credentials_t *c = NULL;
        pcfmcp_error_t rc = pcfmcp_identity_map_lookup(map, "key:alice", &c);
        const char *t = rc == PCFMCP_OK ? pcfmcp_credentials_token(c) : NULL;
        if (rc != PCFMCP_OK || (strcmp(t, "alice-pcf-token-value") != 0 && strcmp(t, "other") != 0))
            atomic_fetch_add(&r->wrong, 1);
        pcfmcp_credentials_free(c);
    }
    return NULL;
}

START_TEST(lookups_stay_consistent_while_another_thread_reloads)
{
    const char *a = write_map();
    const char *b = write_file("b.yaml", "identities:\n  - identity: key:alice\n    token: other\n", 0600);
    const char *bad = write_file("bad.yaml", "identities: 1\n", 0600);
    ck_assert_int_eq(pcfmcp_identity_map_load(map, a, NULL), PCFMCP_OK);
    race r;
    atomic_init(&r.stop, 0);
    atomic_init(&r.wrong, 0);
    pthread_t th[3];
    for (int i = 0; i < 3; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, looker, &r), 0);
    for (int i = 0; i < 200; i++)
        pcfmcp_identity_map_load(map, i % 3 == 0 ? a : i % 3 == 1 ? b : bad, NULL);
    atomic_store(&r.stop, 1);
    for (int i = 0; i < 3; i++)
        pthread_join(th[i], NULL);
    ck_assert_int_eq(atomic_load(&r.wrong), 0);
}
END_TEST

START_TEST(map_loading_survives_allocation_failures)
{
    const char *path = write_map();
    const char *old = write_file("old.yaml", "identities:\n  - identity: key:old\n    token: old-token\n", 0600);
    int done = 0;
    for (long n = 0; n < 400 && !done; n++) {
        ck_assert_int_eq(pcfmcp_identity_map_load(map, old, NULL), PCFMCP_OK);
        pcfmcp__alloc_fail_after(n);
        pcfmcp_error_t rc = pcfmcp_identity_map_load(map, path, NULL);
        long used = pcfmcp__alloc_fail_after(-1);
        pcfmcp_credentials_t *c = NULL;
        done = used <= n; /* nothing failed: swept */
        if (rc == PCFMCP_OK) {
            /* Only the closing log line may have lost its memory. */
            ck_assert_int_eq(pcfmcp_identity_map_lookup(map, "key:alice", &c), PCFMCP_OK);
        } else {
            ck_assert(!done);
            ck_assert_int_eq(rc, PCFMCP_ERR_NOMEM);
            ck_assert_int_eq(pcfmcp_identity_map_lookup(map, "key:old", &c), PCFMCP_OK);
        }
        pcfmcp_credentials_free(c);
    }
    ck_assert(done);
    /* Lookups under memory pressure fail cleanly. */
    for (long n = 0; n < 10; n++) {
        pcfmcp_credentials_t *c = NULL;
        pcfmcp__alloc_fail_after(n);
        pcfmcp_error_t rc = pcfmcp_identity_map_lookup(map, "key:ci-bot", &c);
        long used = pcfmcp__alloc_fail_after(-1);
        ck_assert_int_eq(rc, used <= n ? PCFMCP_OK : PCFMCP_ERR_NOMEM);
        pcfmcp_credentials_free(c);
    }
}
END_TEST

/* The server side of the map: a mapped caller gets a PCF client of its own.
 * Running out of memory there used to be reported as unusable credentials
 * (and loading the map as a configuration error). */
/* A caller missing from the identities file (a key removed on SIGHUP, an
 * unmapped token subject) used to act with the server's own credential,
 * possibly PCF's admin. It is refused unless the fallback is asked for. */
START_TEST(unmapped_callers_are_refused_once_an_identities_file_is_set)
{
    const char *path = write_file("people.yaml",
                                  "identities:\n  - identity: key:alice\n"
                                  "    token: 11111111-2222-4333-8444-555555555555\n",
                                  0600);
    pcfmcp_config_t *cfg = NULL;
    ck_assert_int_eq(pcfmcp_config_new(&cfg), PCFMCP_OK);
    pcfmcp_config_set(cfg, "log.level", "error", PCFMCP_CONFIG_API);
    pcfmcp_config_set(cfg, "pcf.url", "http://127.0.0.1:9", PCFMCP_CONFIG_API);
    pcfmcp_server_t *s = NULL;
    ck_assert_int_eq(pcfmcp_server_new(&s, cfg), PCFMCP_OK);
    pcfmcp_pcf_t *base = NULL, *c = NULL;
    ck_assert_int_eq(pcfmcp_pcf_new(&base, "http://127.0.0.1:9", NULL), PCFMCP_OK);
    char why[256];
    /* No identities file: everyone acts with the server's credential. */
    pcfmcp__people *p = NULL;
    ck_assert_int_eq(pcfmcp__people_new(&p, s, base, cfg, why, sizeof(why)), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp__people_resolve(p, "jwt:stranger", &c, why, sizeof(why)), PCFMCP_OK);
    ck_assert_ptr_eq(c, base);
    pcfmcp__people_free(p);
    /* With one, by default: the mapped caller gets its own client, the
     * unmapped one is refused and told why. */
    pcfmcp_config_set(cfg, "auth.identities_file", path, PCFMCP_CONFIG_API);
    ck_assert_int_eq(pcfmcp__people_new(&p, s, base, cfg, why, sizeof(why)), PCFMCP_OK);
    c = NULL;
    ck_assert_int_eq(pcfmcp__people_resolve(p, "key:alice", &c, why, sizeof(why)), PCFMCP_OK);
    ck_assert_ptr_ne(c, base);
    c = NULL;
    ck_assert_int_eq(pcfmcp__people_resolve(p, "jwt:stranger", &c, why, sizeof(why)), PCFMCP_ERR_DENIED);
    ck_assert_ptr_null(c);
    ck_assert_ptr_nonnull(strstr(why, "jwt:stranger has no PCF credentials"));
    ck_assert_int_eq(pcfmcp__people_resolve(p, NULL, &c, why, sizeof(why)), PCFMCP_ERR_DENIED);
    pcfmcp__people_free(p);
    /* The fallback only when asked for. */
    pcfmcp_config_set(cfg, "auth.require_identity_mapping", "false", PCFMCP_CONFIG_API);
    ck_assert_int_eq(pcfmcp__people_new(&p, s, base, cfg, why, sizeof(why)), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp__people_resolve(p, "jwt:stranger", &c, why, sizeof(why)), PCFMCP_OK);
    ck_assert_ptr_eq(c, base);
    pcfmcp__people_free(p);
    pcfmcp_server_free(s);
    pcfmcp_pcf_free(base);
    pcfmcp_config_free(cfg);
}
END_TEST

START_TEST(person_clients_under_allocation_failures_blame_memory_not_credentials)
{
    const char *path = write_file("people.yaml",
                                  "identities:\n  - identity: key:ci-bot\n"
                                  "    token: 11111111-2222-4333-8444-555555555555\n"
                                  "    email: ci@example.com\n    password: ci-bot-password\n",
                                  0600);
    pcfmcp_config_t *cfg = NULL;
    ck_assert_int_eq(pcfmcp_config_new(&cfg), PCFMCP_OK);
    pcfmcp_config_set(cfg, "log.level", "error", PCFMCP_CONFIG_API);
    pcfmcp_config_set(cfg, "pcf.url", "http://127.0.0.1:9", PCFMCP_CONFIG_API);
    pcfmcp_config_set(cfg, "auth.identities_file", path, PCFMCP_CONFIG_API);
    pcfmcp_server_t *s = NULL;
    ck_assert_int_eq(pcfmcp_server_new(&s, cfg), PCFMCP_OK);
    pcfmcp_pcf_t *base = NULL;
    ck_assert_int_eq(pcfmcp_pcf_new(&base, "http://127.0.0.1:9", NULL), PCFMCP_OK);
    char why[256];
    int done = 0;
    for (long n = 0; n < 400 && !done; n++) {
        pcfmcp__people *p = NULL;
        why[0] = '\0';
        pcfmcp__alloc_fail_after(n);
        pcfmcp_error_t rc = pcfmcp__people_new(&p, s, base, cfg, why, sizeof(why));
        long used = pcfmcp__alloc_fail_after(-1);
        ck_assert_msg(rc == PCFMCP_OK || rc == PCFMCP_ERR_NOMEM, "allocation %ld: rc %d: %s", n,
                      rc, why);
        done = rc == PCFMCP_OK && used <= n;
        pcfmcp__people_free(p);
    }
    ck_assert(done);
    pcfmcp__people *p = NULL;
    ck_assert_int_eq(pcfmcp__people_new(&p, s, base, cfg, why, sizeof(why)), PCFMCP_OK);
    done = 0;
    for (long n = 0; n < 400 && !done; n++) {
        pcfmcp_pcf_t *c = NULL;
        why[0] = '\0';
        pcfmcp__alloc_fail_after(n);
        pcfmcp_error_t rc = pcfmcp__people_resolve(p, "key:ci-bot", &c, why, sizeof(why));
        long used = pcfmcp__alloc_fail_after(-1);
        if (rc == PCFMCP_OK) {
            ck_assert_ptr_nonnull(c);
            ck_assert_ptr_ne(c, base);
            done = used <= n;
        } else {
            ck_assert_msg(rc == PCFMCP_ERR_NOMEM, "allocation %ld: rc %d: %s", n, rc, why);
            ck_assert_msg(strstr(why, "out of memory"), "allocation %ld: %s", n, why);
        }
    }
    ck_assert(done);
    char who[128];
    ck_assert(pcfmcp__people_who(p, "key:ci-bot", who, sizeof(who)));
    ck_assert_str_eq(who, "ci@example.com");
    pcfmcp__people_free(p);
    pcfmcp_server_free(s);
    pcfmcp_pcf_free(base);
    pcfmcp_config_free(cfg);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("identity");
    TCase *t = tcase_create("map");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, identity_map_resolves_tokens_and_logins_from_files);
    tcase_add_test(t, require_mapping_turns_not_found_into_denied);
    tcase_add_test(t, reload_swaps_and_a_bad_file_keeps_the_old_map);
    tcase_add_test(t, map_errors_name_file_and_line);
    tcase_add_test(t, empty_file_and_empty_list_map_nobody);
    tcase_add_test(t, readable_secret_files_are_loaded_with_a_warning);
    tcase_add_test(t, loaded_secrets_are_redacted_from_logs);
    tcase_add_test(t, lookups_stay_consistent_while_another_thread_reloads);
    tcase_add_test(t, map_loading_survives_allocation_failures);
    tcase_add_test(t, person_clients_under_allocation_failures_blame_memory_not_credentials);
    tcase_add_test(t, unmapped_callers_are_refused_once_an_identities_file_is_set);
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
