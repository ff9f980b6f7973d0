/* The authenticator through its public API: API keys (load, check, reload,
 * concurrency, allocation failures), challenges, resource metadata. */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pcfmcp/pcfmcp.h>

/* Internal test hook of lib/core/alloc.c. */
long pcfmcp__alloc_fail_after(long n);

#define ALICE "alice-key-0123456789"
#define BOB "bob-key-0123456789ab"
#define SHARED "shared-key-0123456789"

static char dir[64];
static pcfmcp_auth_t *auth;

static void setup(void)
{
    snprintf(dir, sizeof(dir), "/tmp/pcfmcp-auth-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    ck_assert_int_eq(pcfmcp_auth_new(&auth, NULL), PCFMCP_OK);
}

static void teardown(void)
{
    pcfmcp_auth_free(auth);
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
    ck_assert_int_eq(system(cmd), 0);
}

/* Writes @p text to dir/name and returns the path (static buffer per slot). */
static const char *write_file(const char *name, const char *text)
{
    static char paths[4][128];
    static int slot;
    char *p = paths[slot++ % 4];
    snprintf(p, 128, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    return p;
}

/* "name sha256:<hex>" for a key. */
static void key_line(char *out, size_t n, const char *name, const char *key)
{
    char *h = NULL;
    ck_assert_int_eq(pcfmcp_auth_hash_key(key, &h), PCFMCP_OK);
    snprintf(out, n, "%s %s\n", name, h);
    pcfmcp_free(h);
}

static const char *keys_file(const char *name, const char *n1, const char *k1, const char *n2,
                             const char *k2)
{
    char text[512] = "# test keys\n", line[200];
    key_line(line, sizeof(line), n1, k1);
    strcat(text, line);
    if (n2) {
        key_line(line, sizeof(line), n2, k2);
        strcat(text, line);
    }
    return write_file(name, text);
}

static pcfmcp_auth_verdict_t check(const char *header, char *identity, char *detail)
{
    char scopes[PCFMCP_AUTH_SCOPES_MAX] = "x";
    pcfmcp_auth_verdict_t v = pcfmcp_auth_check(auth, header, identity, PCFMCP_AUTH_IDENTITY_MAX,
                                                scopes, sizeof(scopes), detail, 128);
    ck_assert_str_eq(scopes, "");
    return v;
}

static pcfmcp_auth_verdict_t check_bearer(const char *key, char *identity)
{
    char header[256], detail[128];
    snprintf(header, sizeof(header), "Bearer %s", key);
    return check(header, identity, detail);
}

/* ------------------------------------------------------------ API keys */

START_TEST(auth_starts_disabled_and_refuses_everything)
{
    char id[PCFMCP_AUTH_IDENTITY_MAX], detail[128];
    ck_assert_int_eq(pcfmcp_auth_enabled(auth), 0);
    ck_assert_int_eq(pcfmcp_auth_oauth_enabled(auth), 0);
    ck_assert_int_eq(check(NULL, id, detail), PCFMCP_AUTH_MISSING);
    ck_assert_str_eq(detail, "no credentials");
    ck_assert_int_eq(check("Bearer " ALICE, id, detail), PCFMCP_AUTH_INVALID);
    ck_assert_str_eq(detail, "no authentication method configured");
    ck_assert_str_eq(id, "");
    ck_assert_str_eq(pcfmcp_auth_errmsg(auth), "no error");
}
END_TEST

START_TEST(api_key_allows_listed_keys_under_their_name)
{
    size_t n = 0;
    const char *path = keys_file("keys", "alice", ALICE, "bob", BOB);
    ck_assert_int_eq(pcfmcp_auth_load_api_keys(auth, path, &n), PCFMCP_OK);
    ck_assert_uint_eq(n, 2);
    ck_assert_int_eq(pcfmcp_auth_enabled(auth), 1);
    char id[PCFMCP_AUTH_IDENTITY_MAX], detail[128];
    ck_assert_int_eq(check("Bearer " ALICE, id, detail), PCFMCP_AUTH_ALLOW);
    ck_assert_str_eq(id, "key:alice");
    ck_assert_str_eq(detail, "API key accepted");
    ck_assert_int_eq(check("Bearer " BOB, id, detail), PCFMCP_AUTH_ALLOW);
    ck_assert_str_eq(id, "key:bob");
    /* Scheme case and surrounding blanks do not matter (RFC 7235). */
    ck_assert_int_eq(check("  bEaReR \t " ALICE "  ", id, detail), PCFMCP_AUTH_ALLOW);
    ck_assert_str_eq(id, "key:alice");
}
END_TEST

START_TEST(api_key_check_denies_unknown_malformed_and_foreign)
{
    const char *path = keys_file("keys", "alice", ALICE, NULL, NULL);
    ck_assert_int_eq(pcfmcp_auth_load_api_keys(auth, path, NULL), PCFMCP_OK);
    char id[PCFMCP_AUTH_IDENTITY_MAX], detail[128];
    ck_assert_int_eq(check("Bearer " BOB, id, detail), PCFMCP_AUTH_INVALID);
    ck_assert_str_eq(detail, "unknown API key");
    ck_assert_str_eq(id, "");
    ck_assert_int_eq(check("Bearer " ALICE "x", id, detail), PCFMCP_AUTH_INVALID);
    ck_assert_int_eq(check("Basic YWxpY2U6c2VjcmV0", id, detail), PCFMCP_AUTH_MISSING);
    ck_assert_str_eq(detail, "not a Bearer credential");
    ck_assert_int_eq(check("", id, detail), PCFMCP_AUTH_MISSING);
    ck_assert_str_eq(detail, "no credentials");
    ck_assert_int_eq(check("BearerX " ALICE, id, detail), PCFMCP_AUTH_MISSING);
    ck_assert_int_eq(check("Bearer", id, detail), PCFMCP_AUTH_INVALID);
    ck_assert_str_eq(detail, "malformed Bearer credential");
    ck_assert_int_eq(check("Bearer a b", id, detail), PCFMCP_AUTH_INVALID);
    ck_assert_int_eq(check("Bearer =abc", id, detail), PCFMCP_AUTH_INVALID);
    ck_assert_int_eq(check("Bearer ab=c", id, detail), PCFMCP_AUTH_INVALID);
    ck_assert_int_eq(check("Bearer \"" ALICE "\"", id, detail), PCFMCP_AUTH_INVALID);
    char *huge = malloc(PCFMCP_AUTH_TOKEN_MAX + 16);
    strcpy(huge, "Bearer ");
    memset(huge + 7, 'a', PCFMCP_AUTH_TOKEN_MAX + 1);
    huge[7 + PCFMCP_AUTH_TOKEN_MAX + 1] = '\0';
    ck_assert_int_eq(check(huge, id, detail), PCFMCP_AUTH_INVALID);
    ck_assert_str_eq(detail, "Bearer credential too long");
    free(huge);
}
END_TEST

START_TEST(api_key_match_is_found_at_every_position)
{
    /* The comparison walks all entries whatever matches; make sure the
     * branch-free selection picks the right one wherever it sits. */
    char text[64 * 120] = "", line[200], key[64];
    for (int i = 0; i < 50; i++) {
        char name[16];
        snprintf(name, sizeof(name), "k%02d", i);
        snprintf(key, sizeof(key), "position-key-%02d-abcdefgh", i);
        key_line(line, sizeof(line), name, key);
        strcat(text, line);
    }
    ck_assert_int_eq(pcfmcp_auth_load_api_keys(auth, write_file("keys", text), NULL), PCFMCP_OK);
    for (int i = 0; i < 50; i++) {
        char id[PCFMCP_AUTH_IDENTITY_MAX], want[16];
        snprintf(key, sizeof(key), "position-key-%02d-abcdefgh", i);
        snprintf(want, sizeof(want), "key:k%02d", i);
        ck_assert_int_eq(check_bearer(key, id), PCFMCP_AUTH_ALLOW);
        ck_assert_str_eq(id, want);
    }
}
END_TEST

START_TEST(identity_buffer_too_small_is_refused_not_truncated)
{
    ck_assert_int_eq(pcfmcp_auth_load_api_keys(auth, keys_file("keys", "alice", ALICE, NULL, NULL), NULL),
                     PCFMCP_OK);
    char id[8] = "zzzzzzz", detail[64];
    ck_assert_int_eq(pcfmcp_auth_check(auth, "Bearer " ALICE, id, sizeof(id), NULL, 0, detail,
                                       sizeof(detail)),
                     PCFMCP_AUTH_INVALID);
    ck_assert_str_eq(id, "");
    ck_assert_str_eq(detail, "identity buffer too small");
    char big[PCFMCP_AUTH_IDENTITY_MAX];
    ck_assert_int_eq(pcfmcp_auth_check(auth, "Bearer " ALICE, big, sizeof(big), NULL, 0, NULL, 0),
                     PCFMCP_AUTH_ALLOW);
    ck_assert_int_eq(pcfmcp_auth_check(NULL, "Bearer " ALICE, big, sizeof(big), NULL, 0, NULL, 0),
                     PCFMCP_AUTH_INVALID);
    ck_assert_int_eq(pcfmcp_auth_check(auth, "Bearer " ALICE, NULL, 5, NULL, 0, NULL, 0),
                     PCFMCP_AUTH_INVALID);
}
END_TEST

START_TEST(hash_key_gives_sha256_line_fragment_and_refuses_weak_keys)
{
    char *h = NULL;
    ck_assert_int_eq(pcfmcp_auth_hash_key("correct-horse-battery-staple", &h), PCFMCP_OK);
    ck_assert_str_eq(h, "sha256:87cbebfeebc05f7c54ac9336c4b4bbec831227a641951a4bde7edd56020f8590");
    pcfmcp_free(h);
    h = NULL;
    ck_assert_int_eq(pcfmcp_auth_hash_key("short-key", &h), PCFMCP_ERR_INVALID_ARG);
    ck_assert_int_eq(pcfmcp_auth_hash_key("has spaces in the key", &h), PCFMCP_ERR_INVALID_ARG);
    ck_assert_int_eq(pcfmcp_auth_hash_key(NULL, &h), PCFMCP_ERR_INVALID_ARG);
    ck_assert_ptr_null(h);
}
END_TEST

START_TEST(generated_keys_are_distinct_and_accepted)
{
    char *k1 = NULL, *k2 = NULL;
    ck_assert_int_eq(pcfmcp_auth_generate_key(&k1), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_auth_generate_key(&k2), PCFMCP_OK);
    ck_assert_uint_eq(strlen(k1), 7 + 43);
    ck_assert(strncmp(k1, "pcfmcp_", 7) == 0);
    ck_assert_str_ne(k1, k2);
    ck_assert_int_eq(pcfmcp_auth_load_api_keys(auth, keys_file("keys", "gen", k1, NULL, NULL), NULL),
                     PCFMCP_OK);
    char id[PCFMCP_AUTH_IDENTITY_MAX];
    ck_assert_int_eq(check_bearer(k1, id), PCFMCP_AUTH_ALLOW);
    ck_assert_str_eq(id, "key:gen");
    ck_assert_int_eq(check_bearer(k2, id), PCFMCP_AUTH_INVALID);
    pcfmcp_free(k1);
    pcfmcp_free(k2);
}
END_TEST

START_TEST(reload_swaps_keys_and_a_bad_file_keeps_the_old_set)
{
    char id[PCFMCP_AUTH_IDENTITY_MAX];
    size_t n = 0;
    ck_assert_int_eq(pcfmcp_auth_load_api_keys(auth, keys_file("a", "alice", ALICE, NULL, NULL), &n),
                     PCFMCP_OK);
    ck_assert_int_eq(check_bearer(ALICE, id), PCFMCP_AUTH_ALLOW);
    ck_assert_int_eq(check_bearer(BOB, id), PCFMCP_AUTH_INVALID);

    ck_assert_int_eq(pcfmcp_auth_load_api_keys(auth, keys_file("b", "bob", BOB, NULL, NULL), &n),
                     PCFMCP_OK);
    ck_assert_int_eq(check_bearer(ALICE, id), PCFMCP_AUTH_INVALID);
    ck_assert_int_eq(check_bearer(BOB, id), PCFMCP_AUTH_ALLOW);

    n = 99;
    const char *bad = write_file("bad", "carol sha256:1234\n");
    ck_assert_int_eq(pcfmcp_auth_load_api_keys(auth, bad, &n), PCFMCP_ERR_CONFIG);
    ck_assert_uint_eq(n, 99);
    ck_assert_int_eq(check_bearer(BOB, id), PCFMCP_AUTH_ALLOW);
    ck_assert_str_eq(id, "key:bob");
    char missing[200];
    snprintf(missing, sizeof(missing), "%s/none", dir);
    ck_assert_int_eq(pcfmcp_auth_load_api_keys(auth, missing, &n), PCFMCP_ERR_IO);
    ck_assert_int_eq(check_bearer(BOB, id), PCFMCP_AUTH_ALLOW);

    /* NULL removes API keys; an empty file keeps authentication on but
     * lets nobody in (fails closed). */
    ck_assert_int_eq(pcfmcp_auth_load_api_keys(auth, NULL, &n), PCFMCP_OK);
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(pcfmcp_auth_enabled(auth), 0);
    ck_assert_int_eq(pcfmcp_auth_load_api_keys(auth, write_file("empty", "# nobody\n"), &n), PCFMCP_OK);
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(pcfmcp_auth_enabled(auth), 1);
    ck_assert_int_eq(check_bearer(BOB, id), PCFMCP_AUTH_INVALID);
}
END_TEST

START_TEST(load_errors_name_file_and_line)
{
    char good[200];
    key_line(good, sizeof(good), "alice", ALICE);
    char text[2048];
    snprintf(text, sizeof(text),
             "# comment\n"
             "%s"                                  /* 2: alice */
             "bob\n"                               /* 3 */
             "carol md5:0123\n"                    /* 4 */
             "dave sha256:%064d\n"                 /* 5 */
             "%s"                                  /* 6: alice again */
             "eve sha256:zz%062d\n"                /* 7 */
             "fr@nk! sha256:%064d\n"               /* 8 */
             "gina sha256:%064d extra\n",          /* 9 */
             good, 0, good, 0, 0, 0);
    const char *path = write_file("keys", text);
    ck_assert_int_eq(pcfmcp_auth_load_api_keys(auth, path, NULL), PCFMCP_ERR_CONFIG);
    char want[2048];
    snprintf(want, sizeof(want),
             "%1$s:3: expected `<name> sha256:<64 hex digits>`\n"
             "%1$s:4: key \"carol\": hash must start with sha256:\n"
             "%1$s:7: key \"eve\": hash is not hexadecimal\n"
             "%1$s:8: key name \"fr@nk!\" may only hold A-Z a-z 0-9 . _ @ -\n"
             "%1$s:9: expected `<name> sha256:<64 hex digits>`\n"
             "%1$s:6: duplicate key name \"alice\" (first on line 2)\n"
             "%1$s:6: key \"alice\" has the same hash as \"alice\" (line 2)",
             path);
    ck_assert_str_eq(pcfmcp_auth_errmsg(auth), want);
    ck_assert_int_eq(pcfmcp_auth_enabled(auth), 0);
}
END_TEST

START_TEST(load_refuses_oversized_files)
{
    char path[200];
    snprintf(path, sizeof(path), "%s/big", dir);
    FILE *f = fopen(path, "w");
    for (int i = 0; i < 20000; i++)
        fprintf(f, "# padding line number %06d to grow the file past one mebibyte.......\n", i);
    fclose(f);
    ck_assert_int_eq(pcfmcp_auth_load_api_keys(auth, path, NULL), PCFMCP_ERR_LIMIT);
    ck_assert_ptr_nonnull(strstr(pcfmcp_auth_errmsg(auth), "larger than 1 MiB"));
}
END_TEST

/* ----------------------------------------------------------- concurrency */

typedef struct {
    atomic_int stop;
    atomic_long checks;
    atomic_int wrong;
} race;

static void *checker(void *arg)
{
    race *r = arg;
    char id[PCFMCP_AUTH_IDENTITY_MAX], detail[128];
    while (!atomic_load(&r->stop) || atomic_load(&r->checks) < 2000) {
        /* SHARED is in every file under one name: always allowed as it. */
        pcfmcp_auth_verdict_t v = pcfmcp_auth_check(auth, "Bearer " SHARED, id, sizeof(id), NULL, 0,
                                                    detail, sizeof(detail));
        if (v != PCFMCP_AUTH_ALLOW || strcmp(id, "key:shared") != 0)
            atomic_fetch_add(&r->wrong, 1);
        /* ALICE comes and goes, but is never seen under another name. */
        v = pcfmcp_auth_check(auth, "Bearer " ALICE, id, sizeof(id), NULL, 0, detail, sizeof(detail));
        if (!(v == PCFMCP_AUTH_ALLOW && strcmp(id, "key:alice") == 0) && v != PCFMCP_AUTH_INVALID)
            atomic_fetch_add(&r->wrong, 1);
        atomic_fetch_add(&r->checks, 1);
    }
    return NULL;
}

START_TEST(checks_stay_consistent_while_another_thread_reloads)
{
    const char *with = keys_file("with", "shared", SHARED, "alice", ALICE);
    const char *without = keys_file("without", "shared", SHARED, "bob", BOB);
    const char *bad = write_file("bad", "shared\n");
    ck_assert_int_eq(pcfmcp_auth_load_api_keys(auth, with, NULL), PCFMCP_OK);
    race r;
    atomic_init(&r.stop, 0);
    atomic_init(&r.checks, 0);
    atomic_init(&r.wrong, 0);
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, checker, &r), 0);
    for (int i = 0; i < 300; i++) {
        const char *p = i % 3 == 0 ? with : i % 3 == 1 ? without : bad;
        pcfmcp_error_t rc = pcfmcp_auth_load_api_keys(auth, p, NULL);
        ck_assert_int_eq(rc, p == bad ? PCFMCP_ERR_CONFIG : PCFMCP_OK);
    }
    atomic_store(&r.stop, 1);
    for (int i = 0; i < 4; i++)
        pthread_join(th[i], NULL);
    ck_assert_int_eq(atomic_load(&r.wrong), 0);
    ck_assert_int_ge(atomic_load(&r.checks), 2000);
}
END_TEST

/* ------------------------------------------------------------- oom sweep */

START_TEST(key_loading_survives_allocation_failures)
{
    const char *old = keys_file("old", "bob", BOB, NULL, NULL);
    const char *path = keys_file("keys", "alice", ALICE, "shared", SHARED);
    char id[PCFMCP_AUTH_IDENTITY_MAX];
    int done = 0;
    for (long n = 0; n < 200 && !done; n++) {
        ck_assert_int_eq(pcfmcp_auth_load_api_keys(auth, old, NULL), PCFMCP_OK);
        pcfmcp__alloc_fail_after(n);
        pcfmcp_error_t rc = pcfmcp_auth_load_api_keys(auth, path, NULL);
        long used = pcfmcp__alloc_fail_after(-1);
        if (rc == PCFMCP_OK) {
            ck_assert_int_le(used, n);
            done = 1;
            ck_assert_int_eq(check_bearer(ALICE, id), PCFMCP_AUTH_ALLOW);
        } else {
            ck_assert_int_eq(rc, PCFMCP_ERR_NOMEM);
            ck_assert_str_eq(pcfmcp_auth_errmsg(auth), "out of memory");
            /* The old set is intact. */
            ck_assert_int_eq(check_bearer(BOB, id), PCFMCP_AUTH_ALLOW);
            ck_assert_int_eq(check_bearer(ALICE, id), PCFMCP_AUTH_INVALID);
        }
    }
    ck_assert(done);
    /* Key checks allocate nothing, so they cannot fail for lack of memory. */
    pcfmcp__alloc_fail_after(0);
    pcfmcp_auth_verdict_t v = check_bearer(ALICE, id);
    pcfmcp__alloc_fail_after(-1);
    ck_assert_int_eq(v, PCFMCP_AUTH_ALLOW);
}
END_TEST

/* --------------------------------------------------- challenges, metadata */

static char *www(pcfmcp_auth_verdict_t v, const char *url)
{
    char *s = NULL;
    ck_assert_int_eq(pcfmcp_auth_www_authenticate(auth, v, url, &s), PCFMCP_OK);
    return s;
}

#define ASSERT_WWW(v, url, want)                                                                   \
    do {                                                                                           \
        char *got_ = www((v), (url));                                                              \
        ck_assert_str_eq(got_, (want));                                                            \
        pcfmcp_free(got_);                                                                         \
    } while (0)

START_TEST(www_authenticate_values_are_exact)
{
    const char *md = "https://mcp.example.com/.well-known/oauth-protected-resource/mcp";
    ASSERT_WWW(PCFMCP_AUTH_MISSING, md,
               "Bearer realm=\"pcf-mcp\", resource_metadata=\"https://mcp.example.com/.well-known/"
               "oauth-protected-resource/mcp\"");
    ASSERT_WWW(PCFMCP_AUTH_MISSING, NULL, "Bearer realm=\"pcf-mcp\"");
    ASSERT_WWW(PCFMCP_AUTH_INVALID, NULL, "Bearer realm=\"pcf-mcp\", error=\"invalid_token\"");
    ASSERT_WWW(PCFMCP_AUTH_EXPIRED, "https://m/x",
               "Bearer realm=\"pcf-mcp\", error=\"invalid_token\", resource_metadata=\"https://m/x\"");
    ASSERT_WWW(PCFMCP_AUTH_INSUFFICIENT_SCOPE, NULL,
               "Bearer realm=\"pcf-mcp\", error=\"insufficient_scope\"");

    ck_assert_int_eq(pcfmcp_auth_set_oauth(auth, "https://idp.example.com", "https://mcp.example.com/mcp",
                                           NULL, "pcf:read  pcf:write"),
                     PCFMCP_OK);
    ASSERT_WWW(PCFMCP_AUTH_MISSING, "https://m/x",
               "Bearer realm=\"pcf-mcp\", scope=\"pcf:read pcf:write\", resource_metadata=\"https://m/x\"");
    ASSERT_WWW(PCFMCP_AUTH_INVALID, "https://m/x",
               "Bearer realm=\"pcf-mcp\", error=\"invalid_token\", resource_metadata=\"https://m/x\"");
    ASSERT_WWW(PCFMCP_AUTH_INSUFFICIENT_SCOPE, "https://m/x",
               "Bearer realm=\"pcf-mcp\", error=\"insufficient_scope\", scope=\"pcf:read pcf:write\", "
               "resource_metadata=\"https://m/x\"");

    char *s = NULL;
    ck_assert_int_eq(pcfmcp_auth_www_authenticate(auth, PCFMCP_AUTH_ALLOW, NULL, &s),
                     PCFMCP_ERR_INVALID_ARG);
    ck_assert_int_eq(pcfmcp_auth_www_authenticate(auth, PCFMCP_AUTH_UNAVAILABLE, NULL, &s),
                     PCFMCP_ERR_INVALID_ARG);
    ck_assert_int_eq(pcfmcp_auth_www_authenticate(auth, PCFMCP_AUTH_MISSING, "https://a/\"x", &s),
                     PCFMCP_ERR_INVALID_ARG);
    ck_assert_int_eq(pcfmcp_auth_www_authenticate(auth, PCFMCP_AUTH_MISSING, "https://a/\r\nX: y", &s),
                     PCFMCP_ERR_INVALID_ARG);
    ck_assert_ptr_null(s);
}
END_TEST

START_TEST(resource_metadata_json_is_exact)
{
    char *j = NULL;
    ck_assert_int_eq(pcfmcp_auth_resource_metadata(auth, NULL, &j), PCFMCP_ERR_STATE);
    ck_assert_int_eq(pcfmcp_auth_set_oauth(auth, "https://idp.example.com/realms/pcf",
                                           "https://mcp.example.com/mcp", NULL, NULL),
                     PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_auth_oauth_enabled(auth), 1);
    ck_assert_int_eq(pcfmcp_auth_resource_metadata(auth, NULL, &j), PCFMCP_OK);
    ck_assert_str_eq(j, "{\"resource\":\"https://mcp.example.com/mcp\","
                        "\"authorization_servers\":[\"https://idp.example.com/realms/pcf\"],"
                        "\"bearer_methods_supported\":[\"header\"]}");
    pcfmcp_free(j);
    ck_assert_int_eq(pcfmcp_auth_set_oauth(auth, "https://idp.example.com/realms/pcf",
                                           "https://mcp.example.com/mcp", NULL, "pcf mcp:tools"),
                     PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_auth_resource_metadata(auth, "https://other.example.com/mcp", &j), PCFMCP_OK);
    ck_assert_str_eq(j, "{\"resource\":\"https://other.example.com/mcp\","
                        "\"authorization_servers\":[\"https://idp.example.com/realms/pcf\"],"
                        "\"scopes_supported\":[\"pcf\",\"mcp:tools\"],"
                        "\"bearer_methods_supported\":[\"header\"]}");
    pcfmcp_free(j);
    /* Turning OAuth off leaves nothing to describe. */
    ck_assert_int_eq(pcfmcp_auth_set_oauth(auth, NULL, NULL, NULL, NULL), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_auth_resource_metadata(auth, NULL, &j), PCFMCP_ERR_STATE);
    ck_assert_int_eq(pcfmcp_auth_enabled(auth), 0);
}
END_TEST

START_TEST(oauth_settings_are_validated)
{
    ck_assert_int_eq(pcfmcp_auth_set_oauth(auth, "https://idp", NULL, NULL, NULL), PCFMCP_ERR_CONFIG);
    ck_assert_int_eq(pcfmcp_auth_set_oauth(auth, NULL, "https://mcp", NULL, NULL),
                     PCFMCP_ERR_INVALID_ARG);
    ck_assert_int_eq(pcfmcp_auth_set_oauth(auth, "https://idp", "https://mcp", "http://idp.example.com/jwks", NULL),
                     PCFMCP_ERR_CONFIG);
    ck_assert_str_eq(pcfmcp_auth_errmsg(auth), "JWKS URL must use https (http only to a loopback host)");
    ck_assert_int_eq(pcfmcp_auth_set_oauth(auth, "https://idp", "https://mcp", "https://u:p@idp/jwks", NULL),
                     PCFMCP_ERR_CONFIG);
    ck_assert_int_eq(pcfmcp_auth_set_oauth(auth, "https://idp", "https://mcp", "idp/jwks", NULL),
                     PCFMCP_ERR_CONFIG);
    ck_assert_int_eq(pcfmcp_auth_set_oauth(auth, "https://idp", "https://mcp", NULL, "a \"b\""),
                     PCFMCP_ERR_CONFIG);
    ck_assert_int_eq(pcfmcp_auth_oauth_enabled(auth), 0);
    ck_assert_int_eq(pcfmcp_auth_set_oauth(auth, "https://idp", "https://mcp", "http://127.0.0.1:9/jwks", NULL),
                     PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_auth_set_oauth(auth, "https://idp", "https://mcp", "https://idp/jwks", NULL),
                     PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_auth_set_clock_skew(auth, 601), PCFMCP_ERR_INVALID_ARG);
    ck_assert_int_eq(pcfmcp_auth_set_clock_skew(auth, 0), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_auth_set_jwks_limits(auth, 60, 5, 0, 4096), PCFMCP_ERR_INVALID_ARG);
    ck_assert_int_eq(pcfmcp_auth_set_jwks_limits(auth, 60, 5, 1000, 10), PCFMCP_ERR_INVALID_ARG);
    ck_assert_int_eq(pcfmcp_auth_set_jwks_limits(auth, 60, 5, 1000, 4096), PCFMCP_OK);
    char missing[200];
    snprintf(missing, sizeof(missing), "%s/no-ca.pem", dir);
    ck_assert_int_eq(pcfmcp_auth_set_jwks_ca_file(auth, missing), PCFMCP_ERR_CONFIG);
    ck_assert_int_eq(pcfmcp_auth_set_jwks_ca_file(auth, write_file("ca.pem", "x")), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_auth_set_jwks_ca_file(auth, NULL), PCFMCP_OK);
}
END_TEST

START_TEST(verdicts_have_names_and_http_statuses)
{
    ck_assert_str_eq(pcfmcp_auth_verdict_name(PCFMCP_AUTH_ALLOW), "allow");
    ck_assert_str_eq(pcfmcp_auth_verdict_name(PCFMCP_AUTH_MISSING), "missing");
    ck_assert_str_eq(pcfmcp_auth_verdict_name(PCFMCP_AUTH_INVALID), "invalid");
    ck_assert_str_eq(pcfmcp_auth_verdict_name(PCFMCP_AUTH_EXPIRED), "expired");
    ck_assert_str_eq(pcfmcp_auth_verdict_name(PCFMCP_AUTH_INSUFFICIENT_SCOPE), "insufficient_scope");
    ck_assert_str_eq(pcfmcp_auth_verdict_name(PCFMCP_AUTH_UNAVAILABLE), "unavailable");
    ck_assert_str_eq(pcfmcp_auth_verdict_name((pcfmcp_auth_verdict_t)42), "unknown");
    ck_assert_int_eq(pcfmcp_auth_verdict_http_status(PCFMCP_AUTH_ALLOW), 200);
    ck_assert_int_eq(pcfmcp_auth_verdict_http_status(PCFMCP_AUTH_MISSING), 401);
    ck_assert_int_eq(pcfmcp_auth_verdict_http_status(PCFMCP_AUTH_INVALID), 401);
    ck_assert_int_eq(pcfmcp_auth_verdict_http_status(PCFMCP_AUTH_EXPIRED), 401);
    ck_assert_int_eq(pcfmcp_auth_verdict_http_status(PCFMCP_AUTH_INSUFFICIENT_SCOPE), 403);
    ck_assert_int_eq(pcfmcp_auth_verdict_http_status(PCFMCP_AUTH_UNAVAILABLE), 503);
}
END_TEST

START_TEST(auth_config_keys_are_in_the_table)
{
    static const char *const keys[] = {
        "auth.api_keys_file", "auth.oauth_issuer", "auth.oauth_audience", "auth.oauth_jwks_url",
        "auth.oauth_jwks_ca_file", "auth.oauth_jwks_cache_ttl", "auth.oauth_scopes",
        "auth.clock_skew", "auth.identities_file", "auth.require_identity_mapping",
        "auth.insecure_no_auth",
    };
    pcfmcp_config_t *cfg = NULL;
    ck_assert_int_eq(pcfmcp_config_new(&cfg), PCFMCP_OK);
    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
        ck_assert_ptr_nonnull(pcfmcp_config_get(cfg, keys[i]));
    ck_assert_int_eq(pcfmcp_config_get_int(cfg, "auth.clock_skew"), 60000);
    ck_assert_int_eq(pcfmcp_config_key_reloadable("auth.api_keys_file"), 1);
    ck_assert_int_eq(pcfmcp_config_key_reloadable("auth.identities_file"), 1);
    ck_assert_int_eq(pcfmcp_config_set(cfg, "auth.clock_skew", "11m", PCFMCP_CONFIG_API),
                     PCFMCP_ERR_CONFIG);
    int found = 0;
    for (size_t i = 0; i < pcfmcp_config_key_count(); i++) {
        const char *name = NULL, *flag = NULL;
        pcfmcp_config_key_info(i, &name, NULL, NULL, NULL, &flag, NULL);
        if (strcmp(name, "auth.insecure_no_auth") == 0) {
            ck_assert_str_eq(flag, "insecure-no-auth");
            found = 1;
        }
    }
    ck_assert(found);
    pcfmcp_config_free(cfg);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("auth_keys");
    TCase *t = tcase_create("api_keys");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, auth_starts_disabled_and_refuses_everything);
    tcase_add_test(t, api_key_allows_listed_keys_under_their_name);
    tcase_add_test(t, api_key_check_denies_unknown_malformed_and_foreign);
    tcase_add_test(t, api_key_match_is_found_at_every_position);
    tcase_add_test(t, identity_buffer_too_small_is_refused_not_truncated);
    tcase_add_test(t, hash_key_gives_sha256_line_fragment_and_refuses_weak_keys);
    tcase_add_test(t, generated_keys_are_distinct_and_accepted);
    tcase_add_test(t, reload_swaps_keys_and_a_bad_file_keeps_the_old_set);
    tcase_add_test(t, load_errors_name_file_and_line);
    tcase_add_test(t, load_refuses_oversized_files);
    suite_add_tcase(s, t);

    t = tcase_create("concurrency");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, checks_stay_consistent_while_another_thread_reloads);
    suite_add_tcase(s, t);

    t = tcase_create("oom");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, key_loading_survives_allocation_failures);
    suite_add_tcase(s, t);

    t = tcase_create("answers");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, www_authenticate_values_are_exact);
    tcase_add_test(t, resource_metadata_json_is_exact);
    tcase_add_test(t, oauth_settings_are_validated);
    tcase_add_test(t, verdicts_have_names_and_http_statuses);
    tcase_add_test(t, auth_config_keys_are_in_the_table);
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
