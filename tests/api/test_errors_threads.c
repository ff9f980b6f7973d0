/* Error detail under threads: an engine may have tools registered and
 * removed from any thread while it serves requests on others (engine.h).
 * Every call's error code and message must be the caller's own, whatever
 * the other threads do at the same moment. */
#define _GNU_SOURCE /* memmem */
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <check.h>
#include <cjson/cJSON.h>

#include <pcfmcp/pcfmcp.h>

#define REGISTRARS 3
#define SERVERS 2
/* Rounds per registrar: enough for the old shared errmsg buffer to show
 * wrong codes and messages in every run; fewer under valgrind, which
 * serialises threads and runs slowly anyway. */
#define ROUNDS 5000
#define ROUNDS_VALGRIND 200

static int rounds = ROUNDS;

static pcfmcp_engine_t *eng;
static pcfmcp_session_t *ses;
static atomic_int serving;

/* A failure seen by a thread, kept as text for one report at the end. */
typedef struct {
    char what[512];
    int failures;
    long checks;
} tally;

/* Keeps the first wrong result of a thread as text. */
static void wrong(tally *t, pcfmcp_error_t got, pcfmcp_error_t want, const char *errmsg,
                  const char *msg)
{
    if (t->failures++ == 0)
        snprintf(t->what, sizeof(t->what), "code %d (expected %d), message \"%s\" (expected \"%s\")",
                 (int)got, (int)want, errmsg, msg ? msg : "");
}

/* Checks one call: @p got against @p want, and the handle's message
 * against @p msg exactly. */
static void expect(tally *t, pcfmcp_error_t got, pcfmcp_error_t want, const char *errmsg,
                   const char *msg)
{
    t->checks++;
    if (got != want || (msg && strcmp(errmsg, msg) != 0))
        wrong(t, got, want, errmsg, msg);
}

/* The tool the servers call: it asks the client for something it never
 * declared, and checks the per-call error it gets while registrations
 * fail on other threads. */
static pcfmcp_error_t probe(pcfmcp_ctx_t *ctx, const char *args, size_t len,
                            pcfmcp_result_t *res, void *ud)
{
    (void)args, (void)len, (void)ud;
    char *answer = NULL;
    pcfmcp_error_t rc = pcfmcp_ctx_request(ctx, "sampling/createMessage", "{}", &answer);
    const char *want = "the client did not declare the \"sampling\" capability";
    if (rc != PCFMCP_ERR_UNSUPPORTED || strcmp(pcfmcp_ctx_errmsg(ctx), want) != 0) {
        char msg[400];
        snprintf(msg, sizeof(msg), "ctx: code %d, message \"%s\"", (int)rc, pcfmcp_ctx_errmsg(ctx));
        return pcfmcp_result_set_error(res, msg) == PCFMCP_OK ? PCFMCP_ERR_CALLBACK
                                                              : PCFMCP_ERR_NOMEM;
    }
    return pcfmcp_result_add_text(res, "probed", 6);
}

typedef struct {
    int final_ok, final_bad;
    char bad[512];
} served;

static void emit(const char *json, size_t len, unsigned flags, void *ud)
{
    served *s = ud;
    if (!(flags & PCFMCP_EMIT_FINAL) || !json)
        return;
    /* A good answer is a result that is not a tool error. */
    bool ok = memmem(json, len, "\"result\"", 8) && !memmem(json, len, "\"isError\":true", 14);
    if (ok) {
        s->final_ok++;
    } else if (s->final_bad++ == 0) {
        snprintf(s->bad, sizeof(s->bad), "%.*s", (int)(len < 500 ? len : 500), json);
    }
}

static void *server_thread(void *arg)
{
    served *s = arg;
    static const char *const reqs[] = {
        "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\","
        "\"params\":{\"name\":\"probe\",\"arguments\":{}}}",
        "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}",
    };
    for (unsigned i = 0; atomic_load(&serving); i++) {
        const char *m = reqs[i % 2];
        pcfmcp_handled_t h;
        if (pcfmcp_engine_handle(eng, ses, m, strlen(m), emit, s, &h) != PCFMCP_OK &&
            s->final_bad++ == 0)
            snprintf(s->bad, sizeof(s->bad), "pcfmcp_engine_handle failed");
    }
    return NULL;
}

static void *registrar(void *arg)
{
    int me = *(int *)arg;
    tally *t = calloc(1, sizeof(*t));
    char def[512], msg[512], name[64];
    for (int i = 0; i < rounds && t; i++) {
        /* A valid tool comes and goes. */
        snprintf(name, sizeof(name), "ok_%d_%d", me, i);
        snprintf(def, sizeof(def), "{\"name\":\"%s\",\"inputSchema\":{\"type\":\"object\"}}", name);
        expect(t, pcfmcp_engine_add_tool(eng, def, probe, NULL), PCFMCP_OK, "", NULL);
        /* Registered twice: the duplicate names this thread's tool. */
        pcfmcp_error_t rc = pcfmcp_engine_add_tool(eng, def, probe, NULL);
        snprintf(msg, sizeof(msg), "a tool named \"%s\" is already registered", name);
        expect(t, rc, PCFMCP_ERR_STATE, pcfmcp_engine_errmsg(eng), msg);
        expect(t, pcfmcp_engine_remove_tool(eng, name), PCFMCP_OK, "", NULL);
        /* Removing it again: not found, naming it. */
        rc = pcfmcp_engine_remove_tool(eng, name);
        snprintf(msg, sizeof(msg), "no tool named \"%s\"", name);
        expect(t, rc, PCFMCP_ERR_NOT_FOUND, pcfmcp_engine_errmsg(eng), msg);
        /* An invalid schema: INVALID_ARG (never NOMEM), naming this tool. */
        snprintf(name, sizeof(name), "bad_%d_%d", me, i);
        snprintf(def, sizeof(def), "{\"name\":\"%s\",\"inputSchema\":{\"type\":\"string\"}}", name);
        rc = pcfmcp_engine_add_tool(eng, def, probe, NULL);
        snprintf(msg, sizeof(msg), "tool \"%s\": \"inputSchema\" must have \"type\": \"object\"",
                 name);
        expect(t, rc, PCFMCP_ERR_INVALID_ARG, pcfmcp_engine_errmsg(eng), msg);
        /* Not JSON at all. */
        rc = pcfmcp_engine_add_tool(eng, "{not json", probe, NULL);
        expect(t, rc, PCFMCP_ERR_INVALID_ARG, pcfmcp_engine_errmsg(eng),
               "tool definition must be a JSON object");
    }
    return t;
}

static void setup(void)
{
    ck_assert_int_eq(pcfmcp_engine_new(&eng, "threads", "1.0"), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_engine_add_tool(eng,
                                            "{\"name\":\"probe\",\"inputSchema\":{\"type\":"
                                            "\"object\"}}",
                                            probe, NULL),
                     PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_session_new(&ses, eng, 0), PCFMCP_OK);
    const char *init = "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{"
                       "\"protocolVersion\":\"2025-06-18\",\"capabilities\":{},"
                       "\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}";
    served s = { 0 };
    pcfmcp_handled_t h;
    ck_assert_int_eq(pcfmcp_engine_handle(eng, ses, init, strlen(init), emit, &s, &h), PCFMCP_OK);
    ck_assert_int_eq(s.final_ok, 1);
}

static void teardown(void)
{
    pcfmcp_session_free(ses);
    pcfmcp_engine_free(eng);
}

START_TEST(registration_errors_are_the_callers_own_while_serving)
{
    pthread_t srv[SERVERS], reg[REGISTRARS];
    served s[SERVERS];
    int ids[REGISTRARS];
    memset(s, 0, sizeof(s));
    atomic_store(&serving, 1);
    for (int i = 0; i < SERVERS; i++)
        ck_assert_int_eq(pthread_create(&srv[i], NULL, server_thread, &s[i]), 0);
    for (int i = 0; i < REGISTRARS; i++) {
        ids[i] = i;
        ck_assert_int_eq(pthread_create(&reg[i], NULL, registrar, &ids[i]), 0);
    }
    long checks = 0;
    int failures = 0;
    char first[512] = "";
    for (int i = 0; i < REGISTRARS; i++) {
        void *r = NULL;
        pthread_join(reg[i], &r);
        tally *t = r;
        ck_assert_ptr_nonnull(t);
        checks += t->checks;
        if (t->failures && !failures)
            snprintf(first, sizeof(first), "%s", t->what);
        failures += t->failures;
        free(t);
    }
    atomic_store(&serving, 0);
    int answered = 0;
    for (int i = 0; i < SERVERS; i++) {
        pthread_join(srv[i], NULL);
        ck_assert_msg(s[i].final_bad == 0, "server thread %d: %d bad answers, first: %s", i,
                      s[i].final_bad, s[i].bad);
        answered += s[i].final_ok;
    }
    ck_assert_int_eq(checks, (long)REGISTRARS * rounds * 6);
    ck_assert_msg(failures == 0, "%d of %ld registration results were wrong; first: %s", failures,
                  checks, first);
    ck_assert_int_gt(answered, 0);
}
END_TEST

/* ------------------------------------------------------------ detail */

START_TEST(errmsg_belongs_to_the_handle_that_failed)
{
    pcfmcp_engine_t *a = NULL, *b = NULL;
    ck_assert_int_eq(pcfmcp_engine_new(&a, "a", "1"), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_engine_new(&b, "b", "1"), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_engine_remove_tool(a, "nothing"), PCFMCP_ERR_NOT_FOUND);
    ck_assert_str_eq(pcfmcp_engine_errmsg(a), "no tool named \"nothing\"");
    /* b did not fail: its message is not a's. */
    ck_assert_str_eq(pcfmcp_engine_errmsg(b), "no error");
    ck_assert_str_eq(pcfmcp_error_last(), "no tool named \"nothing\"");
    pcfmcp_engine_free(a);
    pcfmcp_engine_free(b);
}
END_TEST

START_TEST(a_failed_constructor_explains_itself_through_error_last)
{
    pcfmcp_proxies_t *p = NULL;
    ck_assert_int_eq(pcfmcp_proxies_new(&p, "10.0.0.0/8, bogus"), PCFMCP_ERR_INVALID_ARG);
    const char *want = "\"bogus\" is not an IP address or network (like 10.0.0.0/8 or fd00::/8)";
    ck_assert_str_eq(pcfmcp_error_last(), want);
    ck_assert_str_eq(pcfmcp_proxies_errmsg(p), want);
    pcfmcp_proxies_free(p);
}
END_TEST

/* A message longer than what is kept is cut at a character boundary. */
START_TEST(a_long_message_is_cut_between_characters)
{
    pcfmcp_engine_t *e = NULL;
    ck_assert_int_eq(pcfmcp_engine_new(&e, "e", "1"), PCFMCP_OK);
    /* "x" then é (two bytes each): the cut at the last kept byte would
     * split a character whatever the limit's parity with "no tool named
     * \"x" before it, unless it backs up. */
    static char name[3002];
    name[0] = 'x';
    for (size_t i = 1; i + 2 < sizeof(name); i += 2)
        memcpy(name + i, "\xc3\xa9", 2);
    ck_assert_int_eq(pcfmcp_engine_remove_tool(e, name), PCFMCP_ERR_NOT_FOUND);
    const char *m = pcfmcp_engine_errmsg(e);
    size_t n = strlen(m);
    ck_assert_uint_gt(n, 1000);
    ck_assert_uint_lt(n, sizeof(name));
    ck_assert(strncmp(m, "no tool named \"x", 16) == 0);
    ck_assert_uint_eq((n - 16) % 2, 0);
    ck_assert_int_eq((unsigned char)m[n - 1], 0xa9);
    pcfmcp_engine_free(e);
}
END_TEST

typedef struct {
    pcfmcp_engine_t *e;
    int me;
    int wrong;
} solo;

/* Each thread fails on the same engine with its own name, many times, and
 * reads its own failure through pcfmcp_error_last() too. */
static void *fail_alone(void *arg)
{
    solo *s = arg;
    char name[32], want[64];
    for (int i = 0; i < rounds; i++) {
        snprintf(name, sizeof(name), "t%d_%d", s->me, i);
        snprintf(want, sizeof(want), "no tool named \"%s\"", name);
        if (pcfmcp_engine_remove_tool(s->e, name) != PCFMCP_ERR_NOT_FOUND ||
            strcmp(pcfmcp_error_last(), want) != 0 || strcmp(pcfmcp_engine_errmsg(s->e), want) != 0)
            s->wrong++;
    }
    return NULL;
}

START_TEST(error_last_is_each_threads_own)
{
    pcfmcp_engine_t *e = NULL;
    ck_assert_int_eq(pcfmcp_engine_new(&e, "e", "1"), PCFMCP_OK);
    pthread_t t[4];
    solo s[4];
    for (int i = 0; i < 4; i++) {
        s[i] = (solo){ e, i, 0 };
        ck_assert_int_eq(pthread_create(&t[i], NULL, fail_alone, &s[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        ck_assert_msg(s[i].wrong == 0, "thread %d read %d foreign messages", i, s[i].wrong);
    }
    /* This thread made no call: nothing of the others shows here. */
    ck_assert_str_eq(pcfmcp_engine_errmsg(e), "no error");
    pcfmcp_engine_free(e);
}
END_TEST

int main(void)
{
    if (getenv("PCFMCP_UNDER_VALGRIND"))
        rounds = ROUNDS_VALGRIND;
    Suite *s = suite_create("errors-threads");
    TCase *tc = tcase_create("engine");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, registration_errors_are_the_callers_own_while_serving);
    suite_add_tcase(s, tc);
    TCase *detail = tcase_create("detail");
    tcase_set_timeout(detail, 300);
    tcase_add_test(detail, errmsg_belongs_to_the_handle_that_failed);
    tcase_add_test(detail, a_failed_constructor_explains_itself_through_error_last);
    tcase_add_test(detail, a_long_message_is_cut_between_characters);
    tcase_add_test(detail, error_last_is_each_threads_own);
    suite_add_tcase(s, detail);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
