/* The native tool path (issue 11, item 5) and the shared pages (item 6):
 * native tools get the engine's parsed arguments and hand back serialised
 * structured content; a tool's probe answers a call on the caller's thread
 * with every hook there; a kept result is the bytes that were sent; the PCF
 * toolset's cached results are served without PCF, per identity, and
 * dropped by the writes that can change them; a list page is one shared
 * blob per registry version. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <pcfmcp/pcfmcp.h>

#include "core/alloc.h"
#include "core/blob.h"
#include "config.h"
#include "helpers/collector.h"
#include "helpers/fakepcf.h"
#include "helpers/redis.h"
#include "hardening/cache_internal.h"
#include "hardening/store.h"
#include "mcp/engine_internal.h"
#include "mcp/native.h"

#define TOKEN "11111111-2222-4333-8444-555555555555"

static pcfmcp_engine_t *eng;
static pcfmcp_session_t *ses;
static collector col;

static void engine_up(unsigned threads)
{
    collector_init(&col);
    ck_assert_int_eq(pcfmcp_engine_new(&eng, "native-test", "1.0"), PCFMCP_OK);
    if (threads)
        ck_assert_int_eq(pcfmcp_engine_set_threads(eng, threads, 16), PCFMCP_OK);
}

static void session_up(void)
{
    ck_assert_int_eq(pcfmcp_session_new(&ses, eng, 0), PCFMCP_OK);
    const char *init = "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{"
                       "\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},\"clientInfo\":{"
                       "\"name\":\"t\",\"version\":\"1\"}}}";
    ck_assert_int_eq(pcfmcp_engine_handle(eng, ses, init, strlen(init), collector_emit, &col,
                                          NULL),
                     PCFMCP_OK);
    const char *done = "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}";
    ck_assert_int_eq(pcfmcp_engine_handle(eng, ses, done, strlen(done), collector_emit, &col,
                                          NULL),
                     PCFMCP_OK);
    ck_assert(collector_wait_finals(&col, 1));
    collector_reset(&col);
}

static void engine_down(void)
{
    pcfmcp_session_free(ses);
    ses = NULL;
    pcfmcp_engine_free(eng);
    eng = NULL;
    collector_free(&col);
}

/* One request; its final message, parsed (caller frees). */
static cJSON *ask(const char *msg)
{
    collector_reset(&col);
    ck_assert_int_eq(pcfmcp_engine_handle(eng, ses, msg, strlen(msg), collector_emit, &col, NULL),
                     PCFMCP_OK);
    ck_assert(collector_wait_finals(&col, 1));
    return collector_last(&col);
}

/* A tools/call of @p tool with @p args, as JSON-RPC text in @p msg. */
static void tools_call_msg(char *msg, size_t n, const char *tool, const char *args)
{
    snprintf(msg, n,
             "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\"%s\","
             "\"arguments\":%s}}",
             tool, args);
}

/* The text of the last message the collector got (caller frees), or NULL. */
static char *last_text(void)
{
    ck_assert(collector_wait_finals(&col, 1));
    pthread_mutex_lock(&col.lock);
    char *s = NULL;
    for (size_t i = col.n; i-- > 0 && !s;)
        if (col.msgs[i])
            s = strdup(col.msgs[i]);
    pthread_mutex_unlock(&col.lock);
    return s;
}

static char *call_text(const char *tool, const char *args)
{
    char msg[1024];
    tools_call_msg(msg, sizeof(msg), tool, args);
    collector_reset(&col);
    ck_assert_int_eq(pcfmcp_engine_handle(eng, ses, msg, strlen(msg), collector_emit, &col, NULL),
                     PCFMCP_OK);
    char *s = last_text();
    ck_assert_ptr_nonnull(s);
    return s;
}

static cJSON *call(const char *tool, const char *args)
{
    char *s = call_text(tool, args);
    cJSON *j = cJSON_Parse(s);
    free(s);
    ck_assert_ptr_nonnull(j);
    return j;
}

/* ------------------------------------------------------------ engine */

static char *tool_def(const char *name)
{
    static char buf[256];
    snprintf(buf, sizeof(buf),
             "{\"name\":\"%s\",\"inputSchema\":{\"type\":\"object\"},\"outputSchema\":{"
             "\"type\":\"object\"}}",
             name);
    return buf;
}

static pcfmcp_error_t digits_tool(pcfmcp_ctx_t *ctx, const cJSON *args, pcfmcp_result_t *r,
                                  void *ud)
{
    (void)ctx;
    (void)ud;
    /* The engine's own tree: an integer past 2^53 still has its digits,
     * which a print and parse of the arguments would have rounded away. */
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(args, "n");
    ck_assert(cJSON_IsNumber(n));
    ck_assert_ptr_nonnull(n->valuestring);
    char json[128];
    snprintf(json, sizeof(json), "{\"digits\":\"%s\"}", n->valuestring);
    char *owned = pcfmcp__strdup(json);
    return pcfmcp__result_take_structured_text(r, owned, strlen(owned));
}

START_TEST(native_tool_gets_the_engines_tree_and_serialised_output)
{
    ck_assert_int_eq(pcfmcp__engine_add_tool_native(eng, tool_def("digits"), digits_tool, NULL,
                                                    NULL),
                     PCFMCP_OK);
    cJSON *r = call("digits", "{\"n\":123456789012345678901}");
    const cJSON *res = cJSON_GetObjectItem(r, "result");
    const cJSON *sc = cJSON_GetObjectItem(res, "structuredContent");
    ck_assert_str_eq(cJSON_GetObjectItem(sc, "digits")->valuestring, "123456789012345678901");
    /* Without content of its own, the text is the structured content. */
    const cJSON *text = cJSON_GetObjectItem(cJSON_GetArrayItem(cJSON_GetObjectItem(res, "content"), 0),
                                            "text");
    ck_assert_str_eq(text->valuestring, "{\"digits\":\"123456789012345678901\"}");
    cJSON_Delete(r);
    /* Listed like any other tool. */
    char *list = NULL;
    ck_assert_int_eq(pcfmcp_engine_tools_json(eng, &list), PCFMCP_OK);
    ck_assert_ptr_nonnull(strstr(list, "\"digits\""));
    pcfmcp_free(list);
}
END_TEST

typedef struct {
    pthread_t before, after, tool;
    int before_calls, after_calls, tool_calls;
    bool refuse;
    pcfmcp_outcome_t outcome;
} hook_log;

static hook_log hooks;

static pcfmcp_error_t before(pcfmcp_ctx_t *ctx, const char *method, const char *name,
                             const char *args, void *ud)
{
    (void)name;
    (void)args;
    (void)ud;
    if (strcmp(method, "tools/call") != 0)
        return PCFMCP_OK;
    hooks.before = pthread_self();
    hooks.before_calls++;
    if (hooks.refuse) {
        pcfmcp_ctx_set_refusal(ctx, "refused by the test");
        return PCFMCP_ERR_DENIED;
    }
    return PCFMCP_OK;
}

static void after(pcfmcp_ctx_t *ctx, const char *method, const char *name,
                  pcfmcp_outcome_t outcome, int rpc, double secs, void *ud)
{
    (void)ctx;
    (void)name;
    (void)rpc;
    (void)secs;
    (void)ud;
    if (strcmp(method, "tools/call") != 0)
        return;
    hooks.after = pthread_self();
    hooks.outcome = outcome;
    __atomic_add_fetch(&hooks.after_calls, 1, __ATOMIC_RELEASE); /* last: see wait_after() */
}

/* The after-hook runs once the answer is out: a worker's may still be
 * running when the client has its answer. */
static void wait_after(int calls)
{
    for (int i = 0; __atomic_load_n(&hooks.after_calls, __ATOMIC_ACQUIRE) < calls; i++) {
        ck_assert_msg(i < 10000, "the after-hook never ran");
        usleep(1000);
    }
}

static const char cached_text[] = "{\"content\":[{\"type\":\"text\",\"text\":\"from the probe\"}]}";

static pcfmcp_error_t probe_hit(pcfmcp_ctx_t *ctx, const cJSON *args, pcfmcp_result_t *r, void *ud)
{
    (void)ctx;
    (void)args;
    (void)ud;
    char *t = pcfmcp__strdup(cached_text);
    return pcfmcp__result_set_rendered(r, t, strlen(t));
}

static pcfmcp_error_t probe_miss(pcfmcp_ctx_t *ctx, const cJSON *args, pcfmcp_result_t *r,
                                 void *ud)
{
    (void)ctx;
    (void)args;
    (void)r;
    (void)ud;
    return PCFMCP__NATIVE_WOULD_BLOCK;
}

static pcfmcp_error_t counted_tool(pcfmcp_ctx_t *ctx, const cJSON *args, pcfmcp_result_t *r,
                                   void *ud)
{
    (void)ctx;
    (void)args;
    (void)ud;
    hooks.tool = pthread_self();
    hooks.tool_calls++;
    char *t = pcfmcp__strdup("{\"ran\":true}");
    return pcfmcp__result_take_structured_text(r, t, strlen(t));
}

/* One tools/call the way the HTTP transport sends it: handed over when
 * answered at once. Returns how it was handled; *answer gets the whole
 * message when it was (caller frees). */
static pcfmcp_handled_t handle_inline(const char *tool, char **answer)
{
    char msg[256];
    snprintf(msg, sizeof(msg),
             "{\"jsonrpc\":\"2.0\",\"id\":\"q\",\"method\":\"tools/call\",\"params\":{\"name\":"
             "\"%s\",\"arguments\":{}}}",
             tool);
    pcfmcp__handle_info info = { .take_final = true };
    pcfmcp_handled_t h = PCFMCP_HANDLED_DONE;
    collector_reset(&col);
    ck_assert_int_eq(pcfmcp__engine_handle(eng, ses, msg, strlen(msg), collector_emit, &col, NULL,
                                           NULL, &h, &info),
                     PCFMCP_OK);
    *answer = NULL;
    if (info.final_body) {
        size_t n = info.final_head_len + pcfmcp__blob_len(info.final_body) + 1;
        char *s = malloc(n + 1);
        memcpy(s, info.final_head, info.final_head_len);
        memcpy(s + info.final_head_len, pcfmcp__blob_data(info.final_body),
               pcfmcp__blob_len(info.final_body));
        memcpy(s + n - 1, "}", 2);
        *answer = s;
        pcfmcp_free(info.final_head);
        pcfmcp__blob_unref(info.final_body);
    } else if (info.final_msg) {
        *answer = strndup(info.final_msg, info.final_len);
        pcfmcp_free(info.final_msg);
    }
    return h;
}

START_TEST(probe_answers_on_the_callers_thread_with_every_hook_there)
{
    memset(&hooks, 0, sizeof(hooks));
    ck_assert_int_eq(pcfmcp_engine_set_hooks(eng, before, after, NULL), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp__engine_add_tool_native(eng, tool_def("hit"), counted_tool,
                                                    probe_hit, NULL),
                     PCFMCP_OK);
    char *answer = NULL;
    ck_assert_int_eq(handle_inline("hit", &answer), PCFMCP_HANDLED_DONE);
    ck_assert_ptr_nonnull(answer);
    ck_assert_str_eq(answer, "{\"jsonrpc\":\"2.0\",\"id\":\"q\",\"result\":{\"content\":[{\"type\":"
                             "\"text\",\"text\":\"from the probe\"}]}}");
    free(answer);
    ck_assert_int_eq(hooks.tool_calls, 0);
    ck_assert_int_eq(hooks.before_calls, 1);
    ck_assert_int_eq(hooks.after_calls, 1);
    ck_assert(pthread_equal(hooks.before, pthread_self()));
    ck_assert(pthread_equal(hooks.after, pthread_self()));
    ck_assert_int_eq(hooks.outcome, PCFMCP_OUTCOME_OK);
}
END_TEST

START_TEST(probe_that_would_wait_leaves_the_call_and_its_hooks_to_a_worker)
{
    memset(&hooks, 0, sizeof(hooks));
    ck_assert_int_eq(pcfmcp_engine_set_hooks(eng, before, after, NULL), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp__engine_add_tool_native(eng, tool_def("miss"), counted_tool,
                                                    probe_miss, NULL),
                     PCFMCP_OK);
    char *answer = NULL;
    ck_assert_int_eq(handle_inline("miss", &answer), PCFMCP_HANDLED_PENDING);
    ck_assert_ptr_null(answer);
    ck_assert(collector_wait_finals(&col, 1));
    cJSON *r = collector_last(&col);
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(
        cJSON_GetObjectItem(cJSON_GetObjectItem(r, "result"), "structuredContent"), "ran")));
    cJSON_Delete(r);
    ck_assert_int_eq(hooks.tool_calls, 1);
    ck_assert_int_eq(hooks.before_calls, 1);
    /* The hooks share the worker's thread, as the engine's header promises. */
    ck_assert(!pthread_equal(hooks.tool, pthread_self()));
    ck_assert(pthread_equal(hooks.before, hooks.tool));
    wait_after(1);
    ck_assert(pthread_equal(hooks.after, hooks.tool));
}
END_TEST

START_TEST(refused_call_never_gets_the_probes_answer)
{
    memset(&hooks, 0, sizeof(hooks));
    hooks.refuse = true;
    ck_assert_int_eq(pcfmcp_engine_set_hooks(eng, before, after, NULL), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp__engine_add_tool_native(eng, tool_def("hit"), counted_tool,
                                                    probe_hit, NULL),
                     PCFMCP_OK);
    char *answer = NULL;
    ck_assert_int_eq(handle_inline("hit", &answer), PCFMCP_HANDLED_DONE);
    ck_assert_ptr_nonnull(answer);
    ck_assert_ptr_null(strstr(answer, "from the probe"));
    ck_assert_ptr_nonnull(strstr(answer, "refused by the test"));
    ck_assert_ptr_nonnull(strstr(answer, "\"isError\":true"));
    free(answer);
    ck_assert_int_eq(hooks.outcome, PCFMCP_OUTCOME_REFUSED);
}
END_TEST

typedef struct {
    char *kept;
    int drops;
} keep_log;

static keep_log kl;

static void keep_cb(const char *json, size_t len, void *ud)
{
    ck_assert_ptr_eq(ud, &kl);
    free(kl.kept);
    kl.kept = strndup(json, len);
}

static void drop_cb(void *ud)
{
    ck_assert_ptr_eq(ud, &kl);
    kl.drops++;
}

static pcfmcp_error_t keeping_tool(pcfmcp_ctx_t *ctx, const cJSON *args, pcfmcp_result_t *r,
                                   void *ud)
{
    (void)ctx;
    (void)ud;
    ck_assert_int_eq(pcfmcp__result_on_sent(r, keep_cb, drop_cb, &kl), PCFMCP_OK);
    if (cJSON_IsTrue(cJSON_GetObjectItem(args, "fail"))) {
        pcfmcp_result_set_error(r, "no");
        return PCFMCP_ERR_PCF;
    }
    ck_assert_int_eq(pcfmcp_result_add_text(r, "line \"one\"\n", 11), PCFMCP_OK);
    char *t = pcfmcp__strdup("{\"n\":1}");
    return pcfmcp__result_take_structured_text(r, t, strlen(t));
}

START_TEST(kept_result_is_exactly_what_was_sent_and_errors_are_not_kept)
{
    memset(&kl, 0, sizeof(kl));
    ck_assert_int_eq(pcfmcp__engine_add_tool_native(eng, tool_def("keep"), keeping_tool, NULL,
                                                    NULL),
                     PCFMCP_OK);
    char *sent = call_text("keep", "{}");
    ck_assert_ptr_nonnull(kl.kept);
    char expect[512];
    snprintf(expect, sizeof(expect), "{\"jsonrpc\":\"2.0\",\"id\":7,\"result\":%s}", kl.kept);
    ck_assert_str_eq(sent, expect);
    ck_assert_int_eq(kl.drops, 1);
    free(sent);
    free(kl.kept);
    kl.kept = NULL;
    sent = call_text("keep", "{\"fail\":true}");
    ck_assert_ptr_nonnull(strstr(sent, "\"isError\":true"));
    ck_assert_ptr_null(kl.kept);
    ck_assert_int_eq(kl.drops, 2);
    free(sent);
}
END_TEST

/* ------------------------------------------------------------ pages */

static pcfmcp__blob *list_page(void)
{
    const char *msg = "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/list\"}";
    pcfmcp__handle_info info = { .take_final = true };
    pcfmcp_handled_t h;
    ck_assert_int_eq(pcfmcp__engine_handle(eng, ses, msg, strlen(msg), collector_emit, &col, NULL,
                                           NULL, &h, &info),
                     PCFMCP_OK);
    ck_assert_ptr_nonnull(info.final_body);
    ck_assert_str_eq(info.final_head, "{\"jsonrpc\":\"2.0\",\"id\":3,\"result\":");
    pcfmcp_free(info.final_head);
    return info.final_body;
}

START_TEST(list_page_is_one_shared_blob_until_the_list_changes)
{
    ck_assert_int_eq(pcfmcp__engine_add_tool_native(eng, tool_def("one"), counted_tool, NULL,
                                                    NULL),
                     PCFMCP_OK);
    pcfmcp__blob *a = list_page(), *b = list_page();
    ck_assert_ptr_eq(a, b); /* not rebuilt, not copied */
    ck_assert_int_eq(pcfmcp__engine_add_tool_native(eng, tool_def("two"), counted_tool, NULL,
                                                    NULL),
                     PCFMCP_OK);
    pcfmcp__blob *c = list_page();
    ck_assert_ptr_ne(a, c);
    char *text = strndup(pcfmcp__blob_data(c), pcfmcp__blob_len(c));
    ck_assert_ptr_nonnull(strstr(text, "\"two\""));
    free(text);
    /* The old page stays valid for whoever still sends it. */
    ck_assert_ptr_nonnull(strstr(pcfmcp__blob_data(a), "\"one\""));
    pcfmcp__blob_unref(a);
    pcfmcp__blob_unref(b);
    pcfmcp__blob_unref(c);
    /* A session without a transport that takes parts gets the same bytes. */
    cJSON *r = ask("{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"tools/list\"}");
    ck_assert_int_eq(cJSON_GetArraySize(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "result"),
                                                            "tools")),
                     2);
    cJSON_Delete(r);
}
END_TEST

static int makes;

static void *make_upper(const char *data, size_t len)
{
    __atomic_add_fetch(&makes, 1, __ATOMIC_SEQ_CST);
    char *u = malloc(len + 1);
    for (size_t i = 0; i < len; i++)
        u[i] = (char)(data[i] >= 'a' && data[i] <= 'z' ? data[i] - 32 : data[i]);
    u[len] = '\0';
    return u;
}

static void *derive_thread(void *arg)
{
    return pcfmcp__blob_derive(arg, make_upper, free);
}

START_TEST(derived_form_is_made_once_whatever_the_concurrency)
{
    makes = 0;
    pcfmcp__blob *b = pcfmcp__blob_take(pcfmcp__strdup("page text"), 9);
    pthread_t t[8];
    void *got[8];
    for (int i = 0; i < 8; i++)
        ck_assert_int_eq(pthread_create(&t[i], NULL, derive_thread, b), 0);
    for (int i = 0; i < 8; i++)
        ck_assert_int_eq(pthread_join(t[i], &got[i]), 0);
    ck_assert_int_eq(makes, 1);
    for (int i = 0; i < 8; i++)
        ck_assert_ptr_eq(got[i], got[0]);
    ck_assert_str_eq(got[0], "PAGE TEXT");
    pcfmcp__blob_unref(b); /* frees the derived form too (valgrind checks) */
}
END_TEST

static void engine_setup(void)
{
    engine_up(2);
    session_up();
}

/* ------------------------------------------------------------ toolset cache */

static fakepcf_t *fake;
static pcfmcp_pcf_t *pcf, *pcf2;
static pcfmcp_cache_t *cache;
static pcfmcp_toolset_t *ts;
static char project[40], other[40];

static int pcf_count(const char *path)
{
    char *body = NULL;
    ck_assert_int_eq(fakepcf_control(fake, "/__fake__/stats", NULL, &body), 200);
    cJSON *j = cJSON_Parse(body);
    free(body);
    const cJSON *n = cJSON_GetObjectItem(cJSON_GetObjectItem(j, "paths"), path);
    int v = cJSON_IsNumber(n) ? n->valueint : 0;
    cJSON_Delete(j);
    return v;
}

static pcfmcp_pcf_t *client(const char *token)
{
    pcfmcp_pcf_t *p = NULL;
    ck_assert_int_eq(pcfmcp_pcf_new(&p, fakepcf_url(fake), NULL), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_pcf_set_token(p, token), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_pcf_set_retry(p, 1, 5, 20), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_pcf_set_cache(p, cache), PCFMCP_OK);
    return p;
}

static const char *which_pcf;

static pcfmcp_error_t resolver(const char *identity, pcfmcp_pcf_t **out, char *why, size_t n,
                               void *ud)
{
    (void)identity;
    (void)why;
    (void)n;
    (void)ud;
    *out = which_pcf && strcmp(which_pcf, "other") == 0 ? pcf2 : pcf;
    return PCFMCP_OK;
}

static void toolset_setup_with(bool resolve)
{
    ck_assert_int_eq(pcfmcp_global_init(), PCFMCP_OK);
    const char *args[] = { "--seed", "demo", "--token", TOKEN, NULL };
    ck_assert_int_eq(fakepcf_start(&fake, args), 0);
    ck_assert_int_eq(pcfmcp_cache_new(&cache, 1000, 1 << 22, 60000), PCFMCP_OK);
    pcf = client(TOKEN);
    /* A second PCF identity: another tester's token. */
    char *body = NULL;
    ck_assert_int_eq(fakepcf_control(fake, "/__fake__/token",
                                     "{\"email\":\"pcf-second@example.com\"}", &body),
                     200);
    cJSON *j = cJSON_Parse(body);
    free(body);
    const cJSON *t = cJSON_GetObjectItem(j, "token");
    if (!t)
        t = cJSON_GetObjectItem(j, "access_token");
    ck_assert_ptr_nonnull(t);
    pcf2 = client(t->valuestring);
    cJSON_Delete(j);
    engine_up(2);
    ck_assert_int_eq(pcfmcp_toolset_new(&ts), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_toolset_set_pcf(ts, pcf), PCFMCP_OK);
    if (resolve)
        ck_assert_int_eq(pcfmcp_toolset_set_resolver(ts, resolver, NULL), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_toolset_register(ts, eng), PCFMCP_OK);
    session_up();
    cJSON *r = call("list_projects", "{}");
    const cJSON *ps = cJSON_GetObjectItem(
        cJSON_GetObjectItem(cJSON_GetObjectItem(r, "result"), "structuredContent"), "projects");
    ck_assert_int_ge(cJSON_GetArraySize(ps), 2);
    snprintf(project, sizeof(project), "%s",
             cJSON_GetObjectItem(cJSON_GetArrayItem(ps, 0), "id")->valuestring);
    snprintf(other, sizeof(other), "%s",
             cJSON_GetObjectItem(cJSON_GetArrayItem(ps, 1), "id")->valuestring);
    cJSON_Delete(r);
    which_pcf = NULL;
}

static void toolset_setup(void)
{
    toolset_setup_with(false);
}

static void toolset_setup_resolver(void)
{
    toolset_setup_with(true);
}

static void toolset_teardown(void)
{
    engine_down();
    pcfmcp_toolset_free(ts);
    pcfmcp_pcf_free(pcf);
    pcfmcp_pcf_free(pcf2);
    pcfmcp_cache_free(cache);
    fakepcf_stop(fake);
    pcfmcp_global_cleanup();
}

static char *hosts_args(const char *id)
{
    static char a[128];
    snprintf(a, sizeof(a), "{\"project\":\"%s\"}", id);
    return a;
}

static char *hosts_path(const char *id)
{
    static char p[128];
    snprintf(p, sizeof(p), "/api/v1/project/%s/hosts", id);
    return p;
}

/* Allocations one call makes (the counting hook armed, nothing failing). */
static long allocations(const char *tool, const char *args, char **text)
{
    pcfmcp__alloc_fail_after(1L << 40);
    *text = call_text(tool, args);
    return pcfmcp__alloc_fail_after(-1);
}

START_TEST(cached_result_is_served_again_without_pcf_byte_for_byte)
{
    int before_n = pcf_count("/api/v1/projects");
    char *a = NULL, *b = NULL;
    long first = allocations("list_projects", "{\"status\":\"active\"}", &a);
    long again = allocations("list_projects", "{\"status\":\"active\"}", &b);
    ck_assert_str_eq(a, b);
    /* Not run again: a hit is a lookup and a copy, the tool's work (the PCF
     * read parsed, normalised, cleaned, rendered twice) is hundreds. */
    ck_assert_msg(again * 5 < first, "a hit made %ld allocations, the call %ld", again, first);
    ck_assert_int_le(pcf_count("/api/v1/projects"), before_n + 1);
    /* Other arguments are another result. */
    char *c = NULL;
    long other_args = allocations("list_projects", "{\"status\":\"archived\"}", &c);
    ck_assert_int_gt(other_args, again * 5);
    free(a);
    free(b);
    free(c);
}
END_TEST

START_TEST(a_write_drops_its_projects_results_and_untagged_ones_only)
{
    free(call_text("list_projects", "{}")); /* cached by the set-up's call already */
    free(call_text("list_hosts", hosts_args(project)));
    free(call_text("list_hosts", hosts_args(other)));
    int p0 = pcf_count(hosts_path(project)), o0 = pcf_count(hosts_path(other));
    int l0 = pcf_count("/api/v1/projects");
    free(call_text("list_hosts", hosts_args(project)));
    free(call_text("list_hosts", hosts_args(other)));
    free(call_text("list_projects", "{}"));
    ck_assert_int_eq(pcf_count(hosts_path(project)), p0);
    ck_assert_int_eq(pcf_count(hosts_path(other)), o0);
    ck_assert_int_eq(pcf_count("/api/v1/projects"), l0);
    /* A host added to `project`: its list and every untagged result go. */
    char args[256];
    snprintf(args, sizeof(args), "{\"project\":\"%s\",\"ip\":\"192.0.2.77\"}", project);
    cJSON *w = call("add_host", args);
    ck_assert(!cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(w, "result"), "isError")));
    cJSON_Delete(w);
    char *after_write = call_text("list_hosts", hosts_args(project));
    ck_assert_ptr_nonnull(strstr(after_write, "192.0.2.77"));
    free(after_write);
    free(call_text("list_hosts", hosts_args(other)));
    free(call_text("list_projects", "{}"));
    ck_assert_int_eq(pcf_count(hosts_path(project)), p0 + 1);
    ck_assert_int_eq(pcf_count(hosts_path(other)), o0); /* another project's: kept */
    ck_assert_int_eq(pcf_count("/api/v1/projects"), l0 + 1);
}
END_TEST

START_TEST(a_project_named_is_untagged_because_its_name_was_looked_up)
{
    /* By name, the result depends on the project list: a write to any
     * project (a rename) must drop it. */
    cJSON *r = call("list_projects", "{}");
    const cJSON *ps = cJSON_GetObjectItem(
        cJSON_GetObjectItem(cJSON_GetObjectItem(r, "result"), "structuredContent"), "projects");
    char name[256];
    snprintf(name, sizeof(name), "{\"project\":\"%s\"}",
             cJSON_GetObjectItem(cJSON_GetArrayItem(ps, 0), "name")->valuestring);
    cJSON_Delete(r);
    free(call_text("list_hosts", name));
    int l0 = pcf_count("/api/v1/projects");
    free(call_text("list_hosts", name));
    ck_assert_int_eq(pcf_count("/api/v1/projects"), l0);
    char args[256];
    snprintf(args, sizeof(args), "{\"project\":\"%s\",\"ip\":\"192.0.2.78\"}", other);
    cJSON_Delete(call("add_host", args));
    /* Run again: the name is looked up in a fresh project list. */
    free(call_text("list_hosts", name));
    ck_assert_int_eq(pcf_count("/api/v1/projects"), l0 + 1);
}
END_TEST

START_TEST(failures_and_liveness_checks_are_never_cached)
{
    int n0 = pcf_count("/api/v1/check_token");
    cJSON_Delete(call("check_token", "{}"));
    cJSON_Delete(call("check_token", "{}"));
    ck_assert_int_eq(pcf_count("/api/v1/check_token"), n0 + 2);
    /* PCF fails once: the error is not kept, the next call reaches PCF. */
    ck_assert_int_eq(fakepcf_control(fake, "/__fake__/faults",
                                     "{\"mode\":\"status\",\"path\":\"/api/v1/teams\","
                                     "\"status\":500}",
                                     NULL),
                     200);
    int t0 = pcf_count("/api/v1/teams");
    cJSON *r = call("list_teams", "{}");
    ck_assert(cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "result"), "isError")));
    cJSON_Delete(r);
    ck_assert_int_eq(fakepcf_control(fake, "/__fake__/faults/clear", "{}", NULL), 200);
    int t1 = pcf_count("/api/v1/teams");
    ck_assert_int_gt(t1, t0);
    r = call("list_teams", "{}");
    ck_assert(!cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "result"), "isError")));
    cJSON_Delete(r);
    ck_assert_int_gt(pcf_count("/api/v1/teams"), t1);
}
END_TEST

START_TEST(identities_do_not_share_cached_results)
{
    int n0 = pcf_count("/api/v1/teams");
    which_pcf = "mine";
    cJSON_Delete(call("list_teams", "{}"));
    cJSON_Delete(call("list_teams", "{}"));
    ck_assert_int_eq(pcf_count("/api/v1/teams"), n0 + 1);
    which_pcf = "other";
    cJSON_Delete(call("list_teams", "{}"));
    ck_assert_int_eq(pcf_count("/api/v1/teams"), n0 + 2);
    cJSON_Delete(call("list_teams", "{}"));
    ck_assert_int_eq(pcf_count("/api/v1/teams"), n0 + 2);
}
END_TEST

START_TEST(without_the_cache_every_call_reaches_pcf)
{
    ck_assert_int_eq(pcfmcp_cache_set_enabled(cache, 0), PCFMCP_OK);
    int n0 = pcf_count("/api/v1/projects");
    free(call_text("list_projects", "{}"));
    free(call_text("list_projects", "{}"));
    ck_assert_int_eq(pcf_count("/api/v1/projects"), n0 + 2);
}
END_TEST

/* One tools/call while allocation @p fail_at, and only it, fails. The
 * answer's JSON text, or NULL when the engine refused the message itself. */
static char *call_text_failing_at(const char *tool, const char *args, long fail_at)
{
    char msg[1024];
    tools_call_msg(msg, sizeof(msg), tool, args);
    collector_reset(&col);
    pcfmcp__alloc_fail_nth(fail_at);
    pcfmcp_error_t rc = pcfmcp_engine_handle(eng, ses, msg, strlen(msg), collector_emit, &col, NULL);
    char *s = rc == PCFMCP_OK ? last_text() : NULL;
    pcfmcp__alloc_fail_after(-1);
    return s;
}

/* Whatever allocation fails during a tool call, the model gets the whole
 * answer or an error, never a result with members silently missing: the
 * handlers' tree building (hundreds of unchecked cJSON_Add* calls) is
 * checked at one place, the tool dispatch, by the allocation failures seen
 * on the call's thread. Swept over the allocations of each call. */
START_TEST(out_of_memory_never_gives_a_partial_answer)
{
    ck_assert_int_eq(pcfmcp_cache_set_enabled(cache, 0), PCFMCP_OK);
    char pargs[128];
    snprintf(pargs, sizeof(pargs), "{\"project\":\"%s\"}", project);
    const char *calls[][2] = { { "get_project", pargs },
                               { "list_hosts", pargs },
                               { "list_issues", pargs },
                               { "list_projects", "{}" } };
    bool slow = getenv("PCFMCP_UNDER_VALGRIND") != NULL;
    for (size_t k = 0; k < sizeof(calls) / sizeof(calls[0]); k++) {
        char *want_text = NULL;
        long total = allocations(calls[k][0], calls[k][1], &want_text);
        cJSON *want = cJSON_Parse(want_text);
        free(want_text);
        const cJSON *wr = cJSON_GetObjectItem(want, "result");
        ck_assert_msg(wr && !cJSON_IsTrue(cJSON_GetObjectItem(wr, "isError")), "%s failed",
                      calls[k][0]);
        ck_assert_int_gt(total, 50);
        /* Every allocation of a call is thousands of calls to the fake PCF:
         * an even sample of 200 (25 under valgrind) covers each phase of
         * the call, the handler's tree building included. */
        long step = total / (slow ? 25 : 200) + 1;
        int partial = 0, whole = 0, errors = 0;
        for (long n = 0; n < total; n += step) {
            char *got_text = call_text_failing_at(calls[k][0], calls[k][1], n);
            cJSON *got = got_text ? cJSON_Parse(got_text) : NULL;
            const cJSON *r = got ? cJSON_GetObjectItem(got, "result") : NULL;
            if (!r || cJSON_IsTrue(cJSON_GetObjectItem(r, "isError"))) {
                errors++;
            } else if (cJSON_Compare(cJSON_GetObjectItem(r, "structuredContent"),
                                     cJSON_GetObjectItem(wr, "structuredContent"), true) &&
                       cJSON_Compare(cJSON_GetObjectItem(r, "content"),
                                     cJSON_GetObjectItem(wr, "content"), true)) {
                whole++;
            } else {
                if (!partial)
                    fprintf(stderr, "%s, allocation %ld failing: %.600s\n", calls[k][0], n,
                            got_text);
                partial++;
            }
            cJSON_Delete(got);
            free(got_text);
        }
        fprintf(stderr, "%s: %ld allocations, step %ld: %d whole, %d errors, %d partial\n",
                calls[k][0], total, step, whole, errors, partial);
        ck_assert_msg(partial == 0,
                      "%s: %d of %ld failing allocations gave a partial answer (%d whole, %d "
                      "errors)",
                      calls[k][0], partial, total, whole, errors);
        ck_assert_int_gt(errors, 0);
        cJSON_Delete(want);
    }
}
END_TEST

START_TEST(cached_call_is_answered_on_the_transports_thread)
{
    free(call_text("list_projects", "{\"text\":\"a\"}"));
    char *answer = NULL;
    char msg[256];
    snprintf(msg, sizeof(msg), "%s",
             "{\"jsonrpc\":\"2.0\",\"id\":\"q\",\"method\":\"tools/call\",\"params\":{\"name\":"
             "\"list_projects\",\"arguments\":{\"text\":\"a\"}}}");
    pcfmcp__handle_info info = { .take_final = true };
    pcfmcp_handled_t h = PCFMCP_HANDLED_PENDING;
    ck_assert_int_eq(pcfmcp__engine_handle(eng, ses, msg, strlen(msg), collector_emit, &col, NULL,
                                           NULL, &h, &info),
                     PCFMCP_OK);
    ck_assert_int_eq(h, PCFMCP_HANDLED_DONE);
    ck_assert_ptr_nonnull(info.final_body);
    answer = strndup(pcfmcp__blob_data(info.final_body), pcfmcp__blob_len(info.final_body));
    ck_assert_ptr_nonnull(strstr(answer, "\"structuredContent\""));
    free(answer);
    pcfmcp_free(info.final_head);
    pcfmcp__blob_unref(info.final_body);
}
END_TEST

START_TEST(a_write_while_the_call_reads_keeps_nothing)
{
    /* The read is slow; a write (anyone's) lands while it is at PCF. */
    int n0 = pcf_count("/api/v1/teams");
    ck_assert_int_eq(fakepcf_control(fake, "/__fake__/faults",
                                     "{\"mode\":\"latency\",\"latency_ms\":1000,\"count\":1,"
                                     "\"path\":\"/api/v1/teams$\"}",
                                     NULL),
                     200);
    const char *msg = "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":"
                      "{\"name\":\"list_teams\",\"arguments\":{}}}";
    collector_reset(&col);
    ck_assert_int_eq(pcfmcp_engine_handle(eng, ses, msg, strlen(msg), collector_emit, &col, NULL),
                     PCFMCP_OK);
    for (int i = 0; pcf_count("/api/v1/teams") == n0; i++) {
        ck_assert_msg(i < 10000, "the read never reached PCF");
        usleep(1000);
    }
    pcfmcp_cache_invalidate(cache, NULL);
    ck_assert(collector_wait_finals(&col, 1));
    cJSON *r = collector_last(&col);
    ck_assert(!cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "result"), "isError")));
    cJSON_Delete(r);
    /* What it read may predate the write: not served again. */
    int n1 = pcf_count("/api/v1/teams");
    cJSON_Delete(call("list_teams", "{}"));
    ck_assert_int_eq(pcf_count("/api/v1/teams"), n1 + 1);
    /* That call saw no write: its answer is kept. */
    cJSON_Delete(call("list_teams", "{}"));
    ck_assert_int_eq(pcf_count("/api/v1/teams"), n1 + 1);
}
END_TEST

START_TEST(toolsets_with_other_scopes_do_not_share_cached_results)
{
    /* The set-up's toolset sees every project and has listed them (kept).
     * A host's second toolset on the same client and cache is scoped to
     * one project: it must not be handed the first one's answer. */
    free(call_text("list_projects", "{}"));
    pcfmcp_engine_t *e1 = eng;
    pcfmcp_session_t *s1 = ses;
    pcfmcp_toolset_t *ts2 = NULL;
    ck_assert_int_eq(pcfmcp_engine_new(&eng, "native-test-2", "1.0"), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_engine_set_threads(eng, 2, 16), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_toolset_new(&ts2), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_toolset_set_pcf(ts2, pcf), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_toolset_set_projects(ts2, project), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_toolset_register(ts2, eng), PCFMCP_OK);
    session_up();
    for (int round = 0; round < 2; round++) { /* uncached, then cached */
        cJSON *r = call("list_projects", "{}");
        const cJSON *ps = cJSON_GetObjectItem(
            cJSON_GetObjectItem(cJSON_GetObjectItem(r, "result"), "structuredContent"),
            "projects");
        ck_assert_int_eq(cJSON_GetArraySize(ps), 1);
        ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetArrayItem(ps, 0), "id")->valuestring,
                         project);
        cJSON_Delete(r);
    }
    pcfmcp_session_free(ses);
    pcfmcp_engine_free(eng);
    pcfmcp_toolset_free(ts2);
    eng = e1;
    ses = s1;
}
END_TEST

#ifdef HAVE_HIREDIS
START_TEST(shared_store_write_elsewhere_drops_a_cached_result_and_the_transport_never_waits)
{
    if (!test_redis_binary()) {
        ck_assert_msg(!test_redis_missing("native: cached results with a shared store"),
                      "redis-server is required");
        return;
    }
    test_redis redis;
    memset(&redis, 0, sizeof(redis));
    ck_assert_msg(test_redis_start(&redis, 0, NULL), "redis-server did not start");
    char url[96], prefix[64];
    snprintf(url, sizeof(url), "redis://127.0.0.1:%u/3", redis.port);
    snprintf(prefix, sizeof(prefix), "native-%d:", (int)getpid());
    pcfmcp__store_opts o = { .url = url, .timeout_ms = 2000, .prefix = prefix, .connections = 2 };
    pcfmcp__store *mine = NULL, *theirs = NULL;
    char why[300];
    ck_assert_msg(pcfmcp__store_new(&mine, &o, NULL, why, sizeof(why)) == PCFMCP_OK, "%s", why);
    ck_assert_msg(pcfmcp__store_new(&theirs, &o, NULL, why, sizeof(why)) == PCFMCP_OK, "%s", why);
    ck_assert_int_eq(pcfmcp__store_start(mine), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp__store_start(theirs), PCFMCP_OK);
    ck_assert(pcfmcp__store_wait_up(mine, 10000) && pcfmcp__store_wait_up(theirs, 10000));
    pcfmcp_cache_t *other_replica = NULL;
    ck_assert_int_eq(pcfmcp_cache_new(&other_replica, 100, 1 << 20, 60000), PCFMCP_OK);
    pcfmcp__cache_set_store(other_replica, theirs);
    pcfmcp__cache_set_store(cache, mine);

    int n0 = pcf_count("/api/v1/teams");
    cJSON_Delete(call("list_teams", "{}"));
    cJSON_Delete(call("list_teams", "{}"));
    ck_assert_int_eq(pcf_count("/api/v1/teams"), n0 + 1);
    /* Proving a hit fresh asks the store: not on the transport's thread. */
    const char *msg = "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"tools/call\",\"params\":"
                      "{\"name\":\"list_teams\",\"arguments\":{}}}";
    pcfmcp__handle_info info = { .take_final = true };
    pcfmcp_handled_t h = PCFMCP_HANDLED_DONE;
    collector_reset(&col);
    ck_assert_int_eq(pcfmcp__engine_handle(eng, ses, msg, strlen(msg), collector_emit, &col, NULL,
                                           NULL, &h, &info),
                     PCFMCP_OK);
    ck_assert_int_eq(h, PCFMCP_HANDLED_PENDING);
    ck_assert(collector_wait_finals(&col, 1));
    ck_assert_int_eq(pcf_count("/api/v1/teams"), n0 + 1); /* a hit, on a worker */
    /* A write on the other replica: this one's rendered result goes. */
    pcfmcp_cache_invalidate(other_replica, NULL);
    cJSON_Delete(call("list_teams", "{}"));
    ck_assert_int_eq(pcf_count("/api/v1/teams"), n0 + 2);

    pcfmcp__cache_set_store(cache, NULL);
    pcfmcp_cache_free(other_replica);
    pcfmcp__store_free(mine);
    pcfmcp__store_free(theirs);
    test_redis_stop(&redis);
}
END_TEST
#endif

static Suite *suite(void)
{
    Suite *s = suite_create("native");
    TCase *t = tcase_create("engine");
    tcase_add_checked_fixture(t, engine_setup, engine_down);
    tcase_add_test(t, native_tool_gets_the_engines_tree_and_serialised_output);
    tcase_add_test(t, probe_answers_on_the_callers_thread_with_every_hook_there);
    tcase_add_test(t, probe_that_would_wait_leaves_the_call_and_its_hooks_to_a_worker);
    tcase_add_test(t, refused_call_never_gets_the_probes_answer);
    tcase_add_test(t, kept_result_is_exactly_what_was_sent_and_errors_are_not_kept);
    tcase_add_test(t, list_page_is_one_shared_blob_until_the_list_changes);
    tcase_add_test(t, derived_form_is_made_once_whatever_the_concurrency);
    suite_add_tcase(s, t);
    t = tcase_create("cache");
    tcase_set_timeout(t, 60);
    tcase_add_checked_fixture(t, toolset_setup, toolset_teardown);
    tcase_add_test(t, cached_result_is_served_again_without_pcf_byte_for_byte);
    tcase_add_test(t, a_write_drops_its_projects_results_and_untagged_ones_only);
    tcase_add_test(t, a_project_named_is_untagged_because_its_name_was_looked_up);
    tcase_add_test(t, failures_and_liveness_checks_are_never_cached);
    tcase_add_test(t, without_the_cache_every_call_reaches_pcf);
    tcase_add_test(t, out_of_memory_never_gives_a_partial_answer);
    tcase_add_test(t, cached_call_is_answered_on_the_transports_thread);
    tcase_add_test(t, a_write_while_the_call_reads_keeps_nothing);
    tcase_add_test(t, toolsets_with_other_scopes_do_not_share_cached_results);
#ifdef HAVE_HIREDIS
    tcase_add_test(t, shared_store_write_elsewhere_drops_a_cached_result_and_the_transport_never_waits);
#endif
    suite_add_tcase(s, t);
    t = tcase_create("identities");
    tcase_set_timeout(t, 60);
    tcase_add_checked_fixture(t, toolset_setup_resolver, toolset_teardown);
    tcase_add_test(t, identities_do_not_share_cached_results);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
