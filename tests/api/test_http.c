/* The Streamable HTTP transport through its public API, driven by libcurl:
 * every status code and refusal, SSE framing and replay, sessions and their
 * limits, stateless mode, the 2026-07-28 header rules, TLS with a CA made at
 * test time and a certificate swap under an open connection, auth and
 * admission hooks, health endpoints, gzip, connection limits, the request
 * read deadline against slow clients, and the graceful drain. */
#include <check.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <curl/curl.h>
#include <pcfmcp/pcfmcp.h>
#include <zlib.h>

#include "core/alloc.h"
#include "helpers/tlsgen.h"

static pcfmcp_engine_t *eng;
static pcfmcp_http_t *http;
static pthread_t runner;
static bool running;
static pcfmcp_error_t run_rc;
static char base[256];
static char tlsdir[256];
static const char *cafile; /* trust for https tests */

static atomic_int cancelled_seen;
static atomic_int slow_started;

/* ------------------------------------------------------------ fixtures */

static pcfmcp_error_t echo_tool(pcfmcp_ctx_t *ctx, const char *args, size_t len, pcfmcp_result_t *r,
                                void *ud)
{
    (void)ctx, (void)ud;
    return pcfmcp_result_add_text(r, args, len);
}

static pcfmcp_error_t whoami_tool(pcfmcp_ctx_t *ctx, const char *args, size_t len, pcfmcp_result_t *r,
                                  void *ud)
{
    (void)args, (void)len, (void)ud;
    const char *id = pcfmcp_ctx_identity(ctx);
    return pcfmcp_result_add_text(r, id ? id : "-", strlen(id ? id : "-"));
}

static void pause_ms(unsigned ms)
{
    struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

static pcfmcp_error_t progress_tool(pcfmcp_ctx_t *ctx, const char *args, size_t len,
                                    pcfmcp_result_t *r, void *ud)
{
    (void)args, (void)len, (void)ud;
    pcfmcp_ctx_progress(ctx, 1, 2, "half");
    pcfmcp_ctx_progress(ctx, 2, 2, "done");
    return pcfmcp_result_add_text(r, "ok", 2);
}

/* Runs until cancelled (or 10 s) and records the cancellation. */
static pcfmcp_error_t slow_tool(pcfmcp_ctx_t *ctx, const char *args, size_t len, pcfmcp_result_t *r,
                                void *ud)
{
    (void)args, (void)len, (void)ud;
    atomic_fetch_add(&slow_started, 1);
    for (int i = 0; i < 1000; i++) {
        if (pcfmcp_ctx_is_cancelled(ctx)) {
            atomic_fetch_add(&cancelled_seen, 1);
            return PCFMCP_ERR_CANCELLED;
        }
        pause_ms(10);
    }
    return pcfmcp_result_add_text(r, "slow", 4);
}

/* Waits for the test to open the gate (at most 5 s). */
static atomic_int gate_open;

static pcfmcp_error_t gate_tool(pcfmcp_ctx_t *ctx, const char *args, size_t len, pcfmcp_result_t *r,
                                void *ud)
{
    (void)ctx, (void)args, (void)len, (void)ud;
    atomic_fetch_add(&slow_started, 1);
    for (int i = 0; i < 500 && !atomic_load(&gate_open); i++)
        pause_ms(10);
    return pcfmcp_result_add_text(r, "through", 7);
}

/* Closes its SSE stream at once (SEP-1699 polling), answers a little later. */
static pcfmcp_error_t cut_tool(pcfmcp_ctx_t *ctx, const char *args, size_t len, pcfmcp_result_t *r,
                               void *ud)
{
    (void)args, (void)len, (void)ud;
    pcfmcp_ctx_close_stream(ctx);
    pause_ms(100);
    return pcfmcp_result_add_text(r, "after the cut", 13);
}

static pcfmcp_error_t sampling_tool(pcfmcp_ctx_t *ctx, const char *args, size_t len,
                                    pcfmcp_result_t *r, void *ud)
{
    (void)args, (void)len, (void)ud;
    char *answer = NULL;
    pcfmcp_error_t rc = pcfmcp_ctx_request(ctx, "sampling/createMessage",
                                           "{\"messages\":[],\"maxTokens\":5}", &answer);
    if (rc != PCFMCP_OK)
        return rc;
    rc = pcfmcp_result_add_text(r, answer, strlen(answer));
    pcfmcp_free(answer);
    return rc;
}

#define NO_ARGS "{\"type\":\"object\"}"

static void build_engine(void)
{
    ck_assert_int_eq(pcfmcp_engine_new(&eng, "t", "1"), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_engine_set_threads(eng, 2, 16), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_engine_add_tool(eng, "{\"name\":\"echo\",\"inputSchema\":" NO_ARGS "}", echo_tool, NULL), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_engine_add_tool(eng, "{\"name\":\"whoami\",\"inputSchema\":" NO_ARGS "}", whoami_tool, NULL), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_engine_add_tool(eng, "{\"name\":\"progress\",\"inputSchema\":" NO_ARGS "}", progress_tool, NULL), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_engine_add_tool(eng, "{\"name\":\"slow\",\"inputSchema\":" NO_ARGS "}", slow_tool, NULL), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_engine_add_tool(eng, "{\"name\":\"cut\",\"inputSchema\":" NO_ARGS "}", cut_tool, NULL), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_engine_add_tool(eng, "{\"name\":\"gate\",\"inputSchema\":" NO_ARGS "}", gate_tool, NULL), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_engine_add_tool(eng, "{\"name\":\"sample\",\"inputSchema\":" NO_ARGS "}", sampling_tool, NULL), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_engine_add_tool(eng,
        "{\"name\":\"hdr\",\"inputSchema\":{\"type\":\"object\",\"properties\":{\"region\":{\"type\":\"string\","
        "\"x-mcp-header\":\"Region\"}}}}", echo_tool, NULL), PCFMCP_OK);
}

static void *run_thread(void *arg)
{
    (void)arg;
    run_rc = pcfmcp_http_run(http);
    return NULL;
}

typedef void (*configure_fn)(pcfmcp_http_t *h);

static void start(configure_fn configure)
{
    ck_assert_int_eq(pcfmcp_http_new(&http, eng), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_http_set_listen(http, "127.0.0.1", 0), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_http_set_limit(http, PCFMCP_HTTP_LIMIT_GRACE_MS, 3000), PCFMCP_OK);
    if (configure)
        configure(http);
    ck_assert_msg(pcfmcp_http_start(http) == PCFMCP_OK, "%s", pcfmcp_http_errmsg(http));
    ck_assert_uint_ne(pcfmcp_http_port(http), 0);
    snprintf(base, sizeof(base), "%s://127.0.0.1:%u", cafile ? "https" : "http", pcfmcp_http_port(http));
    ck_assert_int_eq(pthread_create(&runner, NULL, run_thread, NULL), 0);
    running = true;
}

/* Stops the running transport and starts a new one configured anew. */
static void restart(configure_fn configure)
{
    pcfmcp_http_stop(http);
    pthread_join(runner, NULL);
    running = false;
    pcfmcp_http_free(http);
    http = NULL;
    start(configure);
}

static void setup(void)
{
    atomic_store(&cancelled_seen, 0);
    atomic_store(&slow_started, 0);
    atomic_store(&gate_open, 0);
    cafile = NULL;
    build_engine();
}

static void teardown(void)
{
    if (running) {
        pcfmcp_http_stop(http);
        pthread_join(runner, NULL);
        running = false;
    }
    pcfmcp_http_free(http);
    http = NULL;
    pcfmcp_engine_free(eng);
    eng = NULL;
}

/* ------------------------------------------------------------ client */

typedef struct {
    long status;
    char body[65536];
    size_t len;
    char headers[8192];
    size_t hlen;
} resp;

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
    resp *r = ud;
    size_t k = sz * n;
    size_t room = sizeof(r->body) - 1 - r->len;
    size_t take = k < room ? k : room;
    memcpy(r->body + r->len, p, take);
    r->len += take;
    r->body[r->len] = '\0';
    return k;
}

static size_t on_header(char *p, size_t sz, size_t n, void *ud)
{
    resp *r = ud;
    size_t k = sz * n;
    size_t room = sizeof(r->headers) - 1 - r->hlen;
    size_t take = k < room ? k : room;
    memcpy(r->headers + r->hlen, p, take);
    r->hlen += take;
    r->headers[r->hlen] = '\0';
    return k;
}

static const char *MCP_HDRS[] = { "Content-Type: application/json",
                                  "Accept: application/json, text/event-stream", NULL };

/* Performs one request on @p reuse (or a fresh handle). Extra headers end with NULL. */
static CURLcode request_on(CURL *reuse, const char *method, const char *path, const char *body,
                           const char *const *hdrs, const char *const *extra, long timeout_ms, resp *r)
{
    memset(r, 0, sizeof(*r));
    CURL *c = reuse ? reuse : curl_easy_init();
    struct curl_slist *sl = NULL;
    for (const char *const *h = hdrs; h && *h; h++)
        sl = curl_slist_append(sl, *h);
    for (const char *const *h = extra; h && *h; h++)
        sl = curl_slist_append(sl, *h);
    char url[512];
    snprintf(url, sizeof(url), "%s%s", base, path);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, sl);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    if (cafile)
        curl_easy_setopt(c, CURLOPT_CAINFO, cafile);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    } else {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
        curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    }
    CURLcode rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    if (!reuse)
        curl_easy_cleanup(c);
    curl_slist_free_all(sl);
    return rc;
}

static long post(const char *body, const char *const *extra, resp *r)
{
    request_on(NULL, "POST", "/mcp", body, MCP_HDRS, extra, 10000, r);
    return r->status;
}

/* Value of a response header (case-insensitive), copied into out. */
static bool header(const resp *r, const char *name, char *out, size_t n)
{
    size_t nl = strlen(name);
    const char *p = r->headers;
    while (p && *p) {
        if (strncasecmp(p, name, nl) == 0 && p[nl] == ':') {
            const char *v = p + nl + 1;
            while (*v == ' ')
                v++;
            size_t l = strcspn(v, "\r\n");
            snprintf(out, n, "%.*s", (int)l, v);
            return true;
        }
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return false;
}

static const char INIT[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"
                           "\"protocolVersion\":\"2025-11-25\",\"capabilities\":{\"sampling\":{}},"
                           "\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}";

/* Initializes a session; returns its id in sid. */
static void open_session(char *sid, size_t n, const char *const *extra)
{
    resp r;
    ck_assert_int_eq(post(INIT, extra, &r), 200);
    ck_assert_msg(header(&r, "Mcp-Session-Id", sid, n), "no session id in %s", r.headers);
    char h[128];
    snprintf(h, sizeof(h), "Mcp-Session-Id: %s", sid);
    const char *x[4] = { h, extra && extra[0] ? extra[0] : NULL, NULL, NULL };
    ck_assert_int_eq(post("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}", x, &r), 202);
    ck_assert_uint_eq(r.len, 0);
}

/* ------------------------------------------------------------ tests */

START_TEST(http_initialize_mints_session_and_notification_gets_202)
{
    start(NULL);
    char sid[128];
    open_session(sid, sizeof(sid), NULL);
    ck_assert_uint_ge(strlen(sid), 32);
    for (const char *p = sid; *p; p++)
        ck_assert(*p >= 0x21 && *p <= 0x7e);
    char h[160];
    snprintf(h, sizeof(h), "Mcp-Session-Id: %s", sid);
    const char *x[] = { h, NULL };
    resp r;
    ck_assert_int_eq(post("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{\"a\":1}}}", x, &r), 200);
    char ct[64];
    ck_assert(header(&r, "Content-Type", ct, sizeof(ct)));
    ck_assert_str_eq(ct, "application/json");
    ck_assert_ptr_nonnull(strstr(r.body, "\\\"a\\\":1"));
}
END_TEST

START_TEST(http_request_without_session_gets_400_and_unknown_session_404)
{
    start(NULL);
    resp r;
    ck_assert_int_eq(post("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}", NULL, &r), 400);
    ck_assert_ptr_nonnull(strstr(r.body, "Mcp-Session-Id"));
    const char *x[] = { "Mcp-Session-Id: nosuchsession", NULL };
    ck_assert_int_eq(post("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}", x, &r), 404);
    ck_assert_ptr_nonnull(strstr(r.body, "\"error\""));
}
END_TEST

START_TEST(http_bad_initialize_gets_its_own_error_and_no_session)
{
    /* Not "Mcp-Session-Id header is required" with id null: the request is
     * an initialize, and what is wrong with it is its params. */
    start(NULL);
    resp r;
    static const char *const bad[] = {
        "{\"jsonrpc\":\"2.0\",\"id\":41,\"method\":\"initialize\"}",
        "{\"jsonrpc\":\"2.0\",\"id\":41,\"method\":\"initialize\",\"params\":{}}",
        "{\"jsonrpc\":\"2.0\",\"id\":41,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-11-25\","
        "\"capabilities\":7}}",
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        post(bad[i], NULL, &r);
        ck_assert_msg(strstr(r.body, "\"id\":41,\"error\":{\"code\":-32602") != NULL, "case %zu: %ld %s",
                      i, r.status, r.body);
        char sid[128];
        ck_assert(!header(&r, "Mcp-Session-Id", sid, sizeof(sid)));
    }
    /* Other requests without a session still learn they need one. */
    ck_assert_int_eq(post("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}", NULL, &r), 400);
    ck_assert_ptr_nonnull(strstr(r.body, "Mcp-Session-Id"));
}
END_TEST

START_TEST(http_refuses_bad_accept_406_content_type_415_and_big_body_413)
{
    start(NULL);
    resp r;
    const char *json_only[] = { "Content-Type: application/json", "Accept: application/json", NULL };
    request_on(NULL, "POST", "/mcp", INIT, json_only, NULL, 5000, &r);
    ck_assert_int_eq(r.status, 406);
    const char *text[] = { "Content-Type: text/plain", "Accept: application/json, text/event-stream", NULL };
    request_on(NULL, "POST", "/mcp", INIT, text, NULL, 5000, &r);
    ck_assert_int_eq(r.status, 415);
    size_t big = 5u << 20;
    char *body = malloc(big + 1);
    memset(body, ' ', big);
    body[big] = '\0';
    body[0] = '{';
    body[big - 1] = '}';
    ck_assert_int_eq(post(body, NULL, &r), 413);
    ck_assert_ptr_nonnull(strstr(r.body, "-32600"));
    free(body);
    request_on(NULL, "PUT", "/mcp", "{}", MCP_HDRS, NULL, 5000, &r);
    ck_assert_int_eq(r.status, 405);
    request_on(NULL, "GET", "/elsewhere", NULL, NULL, NULL, 5000, &r);
    ck_assert_int_eq(r.status, 404);
}
END_TEST

START_TEST(http_malformed_json_gets_400_with_jsonrpc_error)
{
    start(NULL);
    resp r;
    ck_assert_int_eq(post("{\"jsonrpc\":", NULL, &r), 400);
    ck_assert_ptr_nonnull(strstr(r.body, "-32700"));
    ck_assert_int_eq(post("[]", NULL, &r), 400);
}
END_TEST

START_TEST(http_foreign_origin_and_host_get_403)
{
    start(NULL);
    resp r;
    const char *evil[] = { "Origin: http://evil.example.com", NULL };
    ck_assert_int_eq(post(INIT, evil, &r), 403);
    const char *evil_host[] = { "Host: evil.example.com", NULL };
    ck_assert_int_eq(post(INIT, evil_host, &r), 403);
    const char *local[] = { "Origin: http://localhost:5173", NULL };
    ck_assert_int_eq(post(INIT, local, &r), 200);
}
END_TEST

static void allow_app_origin(pcfmcp_http_t *h)
{
    ck_assert_int_eq(pcfmcp_http_set_allowed_origins(h, "https://app.example.com, http://dev.example.com:*"), PCFMCP_OK);
}

START_TEST(http_allowed_origins_list_is_exact)
{
    start(allow_app_origin);
    resp r;
    const char *ok1[] = { "Origin: https://app.example.com", NULL };
    ck_assert_int_eq(post(INIT, ok1, &r), 200);
    const char *ok2[] = { "Origin: http://dev.example.com:8443", NULL };
    ck_assert_int_eq(post(INIT, ok2, &r), 200);
    const char *bad[] = { "Origin: https://app.example.com.evil.net", NULL };
    ck_assert_int_eq(post(INIT, bad, &r), 403);
    const char *local[] = { "Origin: http://localhost", NULL };
    ck_assert_int_eq(post(INIT, local, &r), 403);
    /* Allowed browsers get CORS headers, preflights included (no auth needed). */
    ck_assert_int_eq(post(INIT, ok1, &r), 200);
    char v[256];
    ck_assert(header(&r, "Access-Control-Allow-Origin", v, sizeof(v)));
    ck_assert_str_eq(v, "https://app.example.com");
    ck_assert(header(&r, "Access-Control-Expose-Headers", v, sizeof(v)));
    ck_assert_ptr_nonnull(strstr(v, "Mcp-Session-Id"));
    const char *pre[] = { "Origin: https://app.example.com", "Access-Control-Request-Method: POST", NULL };
    request_on(NULL, "OPTIONS", "/mcp", NULL, pre, NULL, 5000, &r);
    ck_assert_int_eq(r.status, 204);
    ck_assert(header(&r, "Access-Control-Allow-Headers", v, sizeof(v)));
    ck_assert_ptr_nonnull(strstr(v, "Mcp-Session-Id"));
    const char *bad_pre[] = { "Origin: https://evil.example", NULL };
    request_on(NULL, "OPTIONS", "/mcp", NULL, bad_pre, NULL, 5000, &r);
    ck_assert_int_eq(r.status, 403);
}
END_TEST

START_TEST(http_progress_turns_answer_into_sse_with_priming_event)
{
    start(NULL);
    char sid[128], h[160];
    open_session(sid, sizeof(sid), NULL);
    snprintf(h, sizeof(h), "Mcp-Session-Id: %s", sid);
    const char *x[] = { h, NULL };
    resp r;
    ck_assert_int_eq(post("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/call\",\"params\":{\"name\":\"progress\","
                          "\"arguments\":{},\"_meta\":{\"progressToken\":\"tok\"}}}", x, &r), 200);
    char ct[64], ab[16];
    ck_assert(header(&r, "Content-Type", ct, sizeof(ct)));
    ck_assert_str_eq(ct, "text/event-stream");
    ck_assert(header(&r, "X-Accel-Buffering", ab, sizeof(ab)));
    ck_assert_str_eq(ab, "no");
    /* Priming event first (id, empty data), then ids on every event. */
    ck_assert_msg(strncmp(r.body, "id: ", 4) == 0, "%s", r.body);
    const char *first_data = strstr(r.body, "data: ");
    ck_assert_ptr_nonnull(first_data);
    ck_assert_int_eq(first_data[6], '\n');
    const char *p1 = strstr(r.body, "\"progress\":1");
    const char *p2 = strstr(r.body, "\"progress\":2");
    const char *fin = strstr(r.body, "\"id\":7");
    ck_assert(p1 && p2 && fin && p1 < p2 && p2 < fin);
    ck_assert_ptr_nonnull(strstr(r.body, "\n\n"));
}
END_TEST

START_TEST(http_last_event_id_replays_the_rest_of_a_stream)
{
    start(NULL);
    char sid[128], h[160];
    open_session(sid, sizeof(sid), NULL);
    snprintf(h, sizeof(h), "Mcp-Session-Id: %s", sid);
    const char *x[] = { h, NULL };
    resp r;
    ck_assert_int_eq(post("{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"tools/call\",\"params\":{\"name\":\"progress\","
                          "\"arguments\":{},\"_meta\":{\"progressToken\":1}}}", x, &r), 200);
    /* The id of the first progress event. */
    const char *p1 = strstr(r.body, "\"progress\":1");
    ck_assert_ptr_nonnull(p1);
    const char *id = p1;
    while (id > r.body && strncmp(id, "id: ", 4) != 0)
        id--;
    char last[64];
    snprintf(last, sizeof(last), "Last-Event-ID: %.*s", (int)strcspn(id + 4, "\n"), id + 4);
    const char *get_hdrs[] = { "Accept: text/event-stream", h, last, NULL };
    request_on(NULL, "GET", "/mcp", NULL, get_hdrs, NULL, 5000, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_null(strstr(r.body, "\"progress\":1"));
    ck_assert_ptr_nonnull(strstr(r.body, "\"progress\":2"));
    ck_assert_ptr_nonnull(strstr(r.body, "\"id\":8"));
}
END_TEST

START_TEST(http_closed_stream_resumes_with_get_and_last_event_id)
{
    start(NULL);
    char sid[128], h[160];
    open_session(sid, sizeof(sid), NULL);
    snprintf(h, sizeof(h), "Mcp-Session-Id: %s", sid);
    const char *x[] = { h, NULL };
    resp r;
    ck_assert_int_eq(post("{\"jsonrpc\":\"2.0\",\"id\":11,\"method\":\"tools/call\",\"params\":{\"name\":\"cut\","
                          "\"arguments\":{}}}", x, &r), 200);
    /* Only the priming event (with a retry hint), then the body ends. */
    ck_assert_msg(strncmp(r.body, "id: ", 4) == 0, "%s", r.body);
    ck_assert_ptr_nonnull(strstr(r.body, "retry: "));
    ck_assert_ptr_null(strstr(r.body, "\"id\":11"));
    char last[80];
    snprintf(last, sizeof(last), "Last-Event-ID: %.*s", (int)strcspn(r.body + 4, "\n"), r.body + 4);
    const char *get_hdrs[] = { "Accept: text/event-stream", h, last, NULL };
    request_on(NULL, "GET", "/mcp", NULL, get_hdrs, NULL, 5000, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(strstr(r.body, "\"id\":11"));
    ck_assert_ptr_nonnull(strstr(r.body, "after the cut"));
}
END_TEST

START_TEST(http_sampling_round_trip_over_the_request_stream)
{
    start(NULL);
    char sid[128], h[160];
    open_session(sid, sizeof(sid), NULL);
    snprintf(h, sizeof(h), "Mcp-Session-Id: %s", sid);
    /* The tool's request arrives on the SSE stream; answer it from here. */
    CURLM *m = curl_multi_init();
    CURL *c = curl_easy_init();
    resp r;
    memset(&r, 0, sizeof(r));
    struct curl_slist *sl = NULL;
    sl = curl_slist_append(sl, "Content-Type: application/json");
    sl = curl_slist_append(sl, "Accept: application/json, text/event-stream");
    sl = curl_slist_append(sl, h);
    char url[300];
    snprintf(url, sizeof(url), "%s/mcp", base);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, sl);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS,
                     "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/call\",\"params\":{\"name\":\"sample\",\"arguments\":{}}}");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
    curl_multi_add_handle(m, c);
    int still = 1;
    bool answered = false;
    for (int i = 0; i < 500 && still; i++) {
        curl_multi_perform(m, &still);
        curl_multi_wait(m, NULL, 0, 20, NULL);
        const char *req = strstr(r.body, "sampling/createMessage");
        if (req && !answered) {
            const char *idp = strstr(r.body, "\"id\":\"");
            ck_assert_ptr_nonnull(idp);
            char rid[64];
            snprintf(rid, sizeof(rid), "%.*s", (int)strcspn(idp + 6, "\""), idp + 6);
            char ans[256];
            snprintf(ans, sizeof(ans), "{\"jsonrpc\":\"2.0\",\"id\":\"%s\",\"result\":{\"role\":\"assistant\","
                     "\"content\":{\"type\":\"text\",\"text\":\"pong\"},\"model\":\"m\"}}", rid);
            const char *x[] = { h, NULL };
            resp a;
            ck_assert_int_eq(post(ans, x, &a), 202);
            answered = true;
        }
    }
    ck_assert(answered);
    ck_assert_ptr_nonnull(strstr(r.body, "\"id\":9"));
    ck_assert_ptr_nonnull(strstr(r.body, "pong"));
    curl_multi_remove_handle(m, c);
    curl_easy_cleanup(c);
    curl_multi_cleanup(m);
    curl_slist_free_all(sl);
}
END_TEST

START_TEST(http_delete_ends_session_and_get_opens_notification_stream)
{
    start(NULL);
    char sid[128], h[160];
    open_session(sid, sizeof(sid), NULL);
    snprintf(h, sizeof(h), "Mcp-Session-Id: %s", sid);
    const char *get_json[] = { "Accept: application/json", h, NULL };
    resp r;
    request_on(NULL, "GET", "/mcp", NULL, get_json, NULL, 5000, &r);
    ck_assert_int_eq(r.status, 406);
    /* A GET stream receives list_changed; it ends when the session does. */
    const char *get_sse[] = { "Accept: text/event-stream", h, NULL };
    CURLM *m = curl_multi_init();
    CURL *c = curl_easy_init();
    resp s;
    memset(&s, 0, sizeof(s));
    struct curl_slist *sl = NULL;
    for (const char *const *p = get_sse; *p; p++)
        sl = curl_slist_append(sl, *p);
    char url[300];
    snprintf(url, sizeof(url), "%s/mcp", base);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, sl);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
    curl_multi_add_handle(m, c);
    int still = 1;
    bool added = false, deleted = false;
    for (int i = 0; i < 300 && still; i++) {
        curl_multi_perform(m, &still);
        curl_multi_wait(m, NULL, 0, 20, NULL);
        if (!added && s.len > 0) { /* the priming event: the stream is up */
            ck_assert_int_eq(pcfmcp_engine_add_tool(eng, "{\"name\":\"late\",\"inputSchema\":" NO_ARGS "}", echo_tool, NULL), PCFMCP_OK);
            added = true;
        }
        if (added && !deleted && strstr(s.body, "tools/list_changed")) {
            const char *x[] = { h, NULL };
            request_on(NULL, "DELETE", "/mcp", NULL, x, NULL, 5000, &r);
            ck_assert_int_eq(r.status, 204);
            deleted = true;
        }
    }
    ck_assert(deleted);
    ck_assert_int_eq(still, 0); /* the stream ended with the session */
    curl_multi_remove_handle(m, c);
    curl_easy_cleanup(c);
    curl_multi_cleanup(m);
    curl_slist_free_all(sl);
    const char *x[] = { h, NULL };
    ck_assert_int_eq(post("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"ping\"}", x, &r), 404);
}
END_TEST

static void two_sessions(pcfmcp_http_t *h)
{
    ck_assert_int_eq(pcfmcp_http_set_limit(h, PCFMCP_HTTP_LIMIT_SESSIONS, 2), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_http_set_limit(h, PCFMCP_HTTP_LIMIT_SESSION_IDLE_MS, 1000), PCFMCP_OK);
}

START_TEST(http_session_cap_refuses_with_503_until_one_expires)
{
    start(two_sessions);
    char a[128], b[128];
    open_session(a, sizeof(a), NULL);
    open_session(b, sizeof(b), NULL);
    resp r;
    ck_assert_int_eq(post(INIT, NULL, &r), 503);
    ck_assert_ptr_nonnull(strstr(r.body, "too many sessions"));
    /* Idle sessions expire (1 s here); then there is room again. */
    long st = 0;
    for (int i = 0; i < 100 && st != 200; i++) {
        pause_ms(100);
        st = post(INIT, NULL, &r);
    }
    ck_assert_int_eq(st, 200);
    char h[160];
    snprintf(h, sizeof(h), "Mcp-Session-Id: %s", a);
    const char *x[] = { h, NULL };
    ck_assert_int_eq(post("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"ping\"}", x, &r), 404);
}
END_TEST

static void stateless(pcfmcp_http_t *h)
{
    ck_assert_int_eq(pcfmcp_http_set_stateless(h, 1), PCFMCP_OK);
}

START_TEST(http_stateless_mode_needs_no_session_and_refuses_get_delete)
{
    start(stateless);
    resp r;
    ck_assert_int_eq(post(INIT, NULL, &r), 200);
    char sid[64];
    ck_assert(!header(&r, "Mcp-Session-Id", sid, sizeof(sid)));
    const char *v[] = { "MCP-Protocol-Version: 2025-06-18", NULL };
    ck_assert_int_eq(post("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{}}}", v, &r), 200);
    ck_assert_ptr_nonnull(strstr(r.body, "\"result\""));
    const char *get[] = { "Accept: text/event-stream", NULL };
    request_on(NULL, "GET", "/mcp", NULL, get, NULL, 5000, &r);
    ck_assert_int_eq(r.status, 405);
    request_on(NULL, "DELETE", "/mcp", NULL, NULL, NULL, 5000, &r);
    ck_assert_int_eq(r.status, 405);
    const char *bad[] = { "MCP-Protocol-Version: 1999-01-01", NULL };
    ck_assert_int_eq(post("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}", bad, &r), 400);
    ck_assert_ptr_nonnull(strstr(r.body, "-32022"));
    /* 2025-03-26, the revision a header-less stateless request gets, allows
     * batches but never with initialize in them. */
    ck_assert_int_eq(post("[" "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"initialize\",\"params\":{"
                          "\"protocolVersion\":\"2025-03-26\",\"capabilities\":{}}},"
                          "{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"tools/list\"}]", NULL, &r), 200);
    ck_assert_msg(strstr(r.body, "\"id\":7,\"error\":{\"code\":-32600") != NULL, "%s", r.body);
    ck_assert_ptr_null(strstr(r.body, "protocolVersion"));
    ck_assert_ptr_nonnull(strstr(r.body, "\"id\":8,\"result\""));
}
END_TEST

START_TEST(http_client_disconnect_cancels_stateless_request)
{
    start(stateless);
    resp r;
    CURLcode rc = request_on(NULL, "POST", "/mcp",
                             "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"slow\",\"arguments\":{}}}",
                             MCP_HDRS, NULL, 300, &r);
    ck_assert_int_eq(rc, CURLE_OPERATION_TIMEDOUT);
    for (int i = 0; i < 300 && !atomic_load(&cancelled_seen); i++)
        pause_ms(10);
    ck_assert_int_eq(atomic_load(&cancelled_seen), 1);
}
END_TEST

START_TEST(http_client_disconnect_cancels_unresumable_request_in_session)
{
    start(NULL);
    char sid[128], h[160];
    open_session(sid, sizeof(sid), NULL);
    snprintf(h, sizeof(h), "Mcp-Session-Id: %s", sid);
    const char *x[] = { h, NULL };
    resp r;
    /* No event has been sent yet (no id to resume from): leaving cancels. */
    CURLcode rc = request_on(NULL, "POST", "/mcp",
                             "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"slow\",\"arguments\":{}}}",
                             MCP_HDRS, x, 300, &r);
    ck_assert_int_eq(rc, CURLE_OPERATION_TIMEDOUT);
    for (int i = 0; i < 300 && !atomic_load(&cancelled_seen); i++)
        pause_ms(10);
    ck_assert_int_eq(atomic_load(&cancelled_seen), 1);
}
END_TEST

#define META26 "\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\"," \
               "\"io.modelcontextprotocol/clientCapabilities\":{}}"

START_TEST(http_2026_validates_mirrored_headers)
{
    start(NULL);
    resp r;
    const char *ok[] = { "MCP-Protocol-Version: 2026-07-28", "Mcp-Method: tools/call", "Mcp-Name: echo",
                         "Mcp-Session-Id: ignored-in-2026", NULL };
    const char *call = "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{}," META26 "}}";
    ck_assert_int_eq(post(call, ok, &r), 200);
    ck_assert_ptr_nonnull(strstr(r.body, "\"resultType\":\"complete\""));
    char sid[64];
    ck_assert(!header(&r, "Mcp-Session-Id", sid, sizeof(sid)));
    const char *wrong_name[] = { "MCP-Protocol-Version: 2026-07-28", "Mcp-Method: tools/call", "Mcp-Name: other", NULL };
    ck_assert_int_eq(post(call, wrong_name, &r), 400);
    ck_assert_ptr_nonnull(strstr(r.body, "-32020"));
    ck_assert_ptr_nonnull(strstr(r.body, "\"id\":5"));
    const char *no_method[] = { "MCP-Protocol-Version: 2026-07-28", "Mcp-Name: echo", NULL };
    ck_assert_int_eq(post(call, no_method, &r), 400);
    const char *no_version[] = { "Mcp-Method: tools/call", "Mcp-Name: echo", NULL };
    ck_assert_int_eq(post(call, no_version, &r), 400);
    ck_assert_ptr_nonnull(strstr(r.body, "-32020"));
    /* Base64 sentinel for names; OWS around values is not part of them. */
    const char *b64[] = { "MCP-Protocol-Version: 2026-07-28", "Mcp-Method: tools/call", "Mcp-Name: =?base64?ZWNobw==?=", NULL };
    ck_assert_int_eq(post(call, b64, &r), 200);
    /* Mcp-Param-* from x-mcp-header annotations. */
    const char *hcall = "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"tools/call\",\"params\":{\"name\":\"hdr\",\"arguments\":{\"region\":\"eu\"}," META26 "}}";
    const char *hok[] = { "MCP-Protocol-Version: 2026-07-28", "Mcp-Method: tools/call", "Mcp-Name: hdr", "Mcp-Param-Region: eu", NULL };
    ck_assert_int_eq(post(hcall, hok, &r), 200);
    const char *hbad[] = { "MCP-Protocol-Version: 2026-07-28", "Mcp-Method: tools/call", "Mcp-Name: hdr", "Mcp-Param-Region: us", NULL };
    ck_assert_int_eq(post(hcall, hbad, &r), 400);
    const char *hmiss[] = { "MCP-Protocol-Version: 2026-07-28", "Mcp-Method: tools/call", "Mcp-Name: hdr", NULL };
    ck_assert_int_eq(post(hcall, hmiss, &r), 400);
    /* Unknown method: 404 with -32601; GET and DELETE: 405. */
    const char *nf[] = { "MCP-Protocol-Version: 2026-07-28", "Mcp-Method: nope/nope", NULL };
    ck_assert_int_eq(post("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"nope/nope\",\"params\":{" META26 "}}", nf, &r), 404);
    ck_assert_ptr_nonnull(strstr(r.body, "-32601"));
    const char *get[] = { "Accept: text/event-stream", "MCP-Protocol-Version: 2026-07-28", NULL };
    request_on(NULL, "GET", "/mcp", NULL, get, NULL, 5000, &r);
    ck_assert_int_eq(r.status, 405);
}
END_TEST

START_TEST(http_2026_header_without_its_meta_is_refused_not_served_as_2025)
{
    /* Sessions mode: a 2026-07-28 header with no (or empty) _meta used to be
     * served as a pre-2026 request on a throw-away session, skipping the
     * session check: whoami ran with no session and no initialize. */
    static const char *const modes[] = { "sessions", "stateless" };
    for (int m = 0; m < 2; m++) {
        if (m)
            restart(stateless);
        else
            start(NULL);
        const char *h[] = { "MCP-Protocol-Version: 2026-07-28", "Mcp-Method: tools/call", "Mcp-Name: whoami", NULL };
        static const char *const bodies[] = {
            "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/call\",\"params\":{\"name\":\"whoami\",\"arguments\":{}}}",
            "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/call\",\"params\":{\"name\":\"whoami\",\"arguments\":{},\"_meta\":{}}}",
            "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/call\",\"params\":{\"name\":\"whoami\",\"arguments\":{},\"_meta\":{"
            "\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\"}}}",
        };
        for (size_t i = 0; i < sizeof(bodies) / sizeof(bodies[0]); i++) {
            resp r;
            ck_assert_msg(post(bodies[i], h, &r) == 400, "%s, body %zu: %ld %s", modes[m], i, r.status, r.body);
            ck_assert_msg(strstr(r.body, "\"id\":9,\"error\":{\"code\":-32602") != NULL, "%s, body %zu: %s",
                          modes[m], i, r.body);
            ck_assert_ptr_null(strstr(r.body, "result"));
        }
        /* A 2026-07-28 initialize without its _meta is no way around it either. */
        const char *ih[] = { "MCP-Protocol-Version: 2026-07-28", "Mcp-Method: initialize", NULL };
        resp r;
        ck_assert_int_eq(post(INIT, ih, &r), 400);
        char sid[64];
        ck_assert(!header(&r, "Mcp-Session-Id", sid, sizeof(sid)));
    }
}
END_TEST

START_TEST(http_listen_stream_carries_changes_and_stop_ends_it_cleanly)
{
    start(NULL);
    CURLM *m = curl_multi_init();
    CURL *c = curl_easy_init();
    resp r;
    memset(&r, 0, sizeof(r));
    struct curl_slist *sl = NULL;
    sl = curl_slist_append(sl, "Content-Type: application/json");
    sl = curl_slist_append(sl, "Accept: application/json, text/event-stream");
    sl = curl_slist_append(sl, "MCP-Protocol-Version: 2026-07-28");
    sl = curl_slist_append(sl, "Mcp-Method: subscriptions/listen");
    char url[300];
    snprintf(url, sizeof(url), "%s/mcp", base);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, sl);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS,
                     "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"subscriptions/listen\",\"params\":{"
                     "\"notifications\":{\"toolsListChanged\":true}," META26 "}}");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
    curl_multi_add_handle(m, c);
    int still = 1;
    bool changed = false, stopped = false;
    for (int i = 0; i < 500 && still; i++) {
        curl_multi_perform(m, &still);
        curl_multi_wait(m, NULL, 0, 10, NULL);
        if (!changed && strstr(r.body, "subscriptions/acknowledged")) {
            ck_assert_int_eq(pcfmcp_engine_add_tool(eng, "{\"name\":\"new\",\"inputSchema\":" NO_ARGS "}", echo_tool, NULL), PCFMCP_OK);
            changed = true;
        }
        if (changed && !stopped && strstr(r.body, "tools/list_changed")) {
            pcfmcp_http_stop(http);
            stopped = true;
        }
    }
    ck_assert(stopped);
    ck_assert_int_eq(still, 0);
    /* Every message carries the listen request's id as its subscription id;
     * the server's stop ends the stream with the graceful closure. */
    ck_assert_ptr_nonnull(strstr(r.body, "\"io.modelcontextprotocol/subscriptionId\":1}"));
    ck_assert_ptr_nonnull(strstr(r.body, "\"notifications\":{\"toolsListChanged\":true}"));
    ck_assert_msg(strstr(r.body, "\"id\":1,\"result\":{\"_meta\":{\"io.modelcontextprotocol/subscriptionId\":1") != NULL,
                  "%s", r.body);
    ck_assert_ptr_nonnull(strstr(r.body, "\"resultType\":\"complete\""));
    pthread_join(runner, NULL);
    running = false;
    ck_assert_int_eq(run_rc, PCFMCP_OK);
    curl_multi_remove_handle(m, c);
    curl_easy_cleanup(c);
    curl_multi_cleanup(m);
    curl_slist_free_all(sl);
}
END_TEST

/* ------------------------------------------------------------ auth */

static pcfmcp_http_auth_verdict_t fake_auth(const char *authorization, const char *subject, char *identity,
                                            size_t size, const char *murl, char **www, void *ud)
{
    (void)subject, (void)murl, (void)www, (void)ud;
    if (!authorization)
        return PCFMCP_HTTP_AUTH_MISSING;
    if (strcmp(authorization, "Bearer good") == 0) {
        snprintf(identity, size, "alice");
        return PCFMCP_HTTP_AUTH_ALLOW;
    }
    if (strcmp(authorization, "Bearer other") == 0) {
        snprintf(identity, size, "mallory");
        return PCFMCP_HTTP_AUTH_ALLOW;
    }
    if (strcmp(authorization, "Bearer narrow") == 0)
        return PCFMCP_HTTP_AUTH_INSUFFICIENT_SCOPE;
    return PCFMCP_HTTP_AUTH_INVALID;
}

static pcfmcp_error_t fake_prm(const char *resource, char **out, void *ud)
{
    (void)ud;
    char buf[512];
    snprintf(buf, sizeof(buf), "{\"resource\":\"%s\",\"authorization_servers\":[\"https://as.example\"]}", resource);
    *out = strdup(buf);
    return *out ? PCFMCP_OK : PCFMCP_ERR_NOMEM;
}

static void with_auth(pcfmcp_http_t *h)
{
    ck_assert_int_eq(pcfmcp_http_set_auth(h, fake_auth, fake_prm, NULL, NULL), PCFMCP_OK);
}

START_TEST(http_auth_gives_401_with_www_authenticate_and_403_for_scope)
{
    start(with_auth);
    resp r;
    ck_assert_int_eq(post(INIT, NULL, &r), 401);
    char www[512];
    ck_assert(header(&r, "WWW-Authenticate", www, sizeof(www)));
    ck_assert_ptr_nonnull(strstr(www, "resource_metadata=\""));
    ck_assert_ptr_nonnull(strstr(www, "/.well-known/oauth-protected-resource/mcp"));
    const char *bad[] = { "Authorization: Bearer bad", NULL };
    ck_assert_int_eq(post(INIT, bad, &r), 401);
    ck_assert(header(&r, "WWW-Authenticate", www, sizeof(www)));
    ck_assert_ptr_nonnull(strstr(www, "invalid_token"));
    const char *narrow[] = { "Authorization: Bearer narrow", NULL };
    ck_assert_int_eq(post(INIT, narrow, &r), 403);
    ck_assert(header(&r, "WWW-Authenticate", www, sizeof(www)));
    ck_assert_ptr_nonnull(strstr(www, "insufficient_scope"));
    /* Authenticated: the identity reaches handlers; the session is bound to it. */
    const char *good[] = { "Authorization: Bearer good", NULL };
    char sid[128], h[160];
    open_session(sid, sizeof(sid), good);
    snprintf(h, sizeof(h), "Mcp-Session-Id: %s", sid);
    const char *x[] = { h, "Authorization: Bearer good", NULL };
    ck_assert_int_eq(post("{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"whoami\",\"arguments\":{}}}", x, &r), 200);
    ck_assert_ptr_nonnull(strstr(r.body, "alice"));
    const char *thief[] = { h, "Authorization: Bearer other", NULL };
    ck_assert_int_eq(post("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"ping\"}", thief, &r), 404);
    /* Metadata is public. */
    request_on(NULL, "GET", "/.well-known/oauth-protected-resource/mcp", NULL, NULL, NULL, 5000, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(strstr(r.body, "\"resource\":\"http://127.0.0.1:"));
    ck_assert_ptr_nonnull(strstr(r.body, "/mcp\""));
    /* RFC 9728: the root document describes the origin, not .../mcp. */
    request_on(NULL, "GET", "/.well-known/oauth-protected-resource", NULL, NULL, NULL, 5000, &r);
    ck_assert_int_eq(r.status, 200);
    char want[128];
    snprintf(want, sizeof(want), "\"resource\":\"http://127.0.0.1:%u\"", pcfmcp_http_port(http));
    ck_assert_msg(strstr(r.body, want) != NULL, "%s", r.body);
}
END_TEST

static void share_of_two(pcfmcp_http_t *h)
{
    with_auth(h);
    ck_assert_int_eq(pcfmcp_http_set_limit(h, PCFMCP_HTTP_LIMIT_SESSIONS, 3), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_http_set_limit(h, PCFMCP_HTTP_LIMIT_SESSIONS_PER_CALLER, 2), PCFMCP_OK);
}

/* One caller cannot take every session (1,000 in 0.2 s used to lock
 * everyone else out for the idle timeout): each authenticated identity
 * holds at most its share, and a session it ends frees its slot. */
START_TEST(http_one_caller_cannot_take_every_session)
{
    start(share_of_two);
    const char *alice[] = { "Authorization: Bearer good", NULL };
    const char *mallory[] = { "Authorization: Bearer other", NULL };
    char a1[128], a2[128], m1[128];
    resp r;
    open_session(a1, sizeof(a1), alice);
    open_session(a2, sizeof(a2), alice);
    ck_assert_int_eq(post(INIT, alice, &r), 503);
    ck_assert_msg(strstr(r.body, "for this caller"), "%s", r.body);
    char ra[16];
    ck_assert(header(&r, "Retry-After", ra, sizeof(ra)));
    /* Someone else still gets one: the third and last of the server. */
    open_session(m1, sizeof(m1), mallory);
    ck_assert_int_eq(post(INIT, mallory, &r), 503);
    ck_assert_msg(strstr(r.body, "too many sessions: try again later"), "%s", r.body);
    /* Alice ends one of hers; its slot is hers again. */
    char h[160];
    snprintf(h, sizeof(h), "Mcp-Session-Id: %s", a1);
    const char *del[] = { h, "Authorization: Bearer good", NULL };
    request_on(NULL, "DELETE", "/mcp", NULL, NULL, del, 5000, &r);
    ck_assert_int_eq(r.status, 204);
    open_session(a1, sizeof(a1), alice);
}
END_TEST

static void anonymous_share_of_two(pcfmcp_http_t *h)
{
    ck_assert_int_eq(pcfmcp_http_set_limit(h, PCFMCP_HTTP_LIMIT_SESSIONS_PER_CALLER, 2), PCFMCP_OK);
}

/* Without authentication the caller is its client address. */
START_TEST(http_anonymous_callers_share_sessions_by_address)
{
    start(anonymous_share_of_two);
    char a[128], b[128];
    open_session(a, sizeof(a), NULL);
    open_session(b, sizeof(b), NULL);
    resp r;
    ck_assert_int_eq(post(INIT, NULL, &r), 503);
    ck_assert_msg(strstr(r.body, "for this caller"), "%s", r.body);
}
END_TEST

START_TEST(http_non_loopback_without_auth_refuses_to_start)
{
    ck_assert_int_eq(pcfmcp_http_new(&http, eng), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_http_set_listen(http, "0.0.0.0", 0), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_http_start(http), PCFMCP_ERR_DENIED);
    ck_assert_ptr_nonnull(strstr(pcfmcp_http_errmsg(http), "without authentication"));
    ck_assert_int_eq(pcfmcp_http_set_insecure_no_auth(http, 1), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_http_start(http), PCFMCP_OK);
}
END_TEST

/* ------------------------------------------------------------ ops */

static int admissions;

static int admit_two(const char *identity, const char *addr, unsigned *retry, void *ud)
{
    (void)identity, (void)ud;
    ck_assert_str_eq(addr, "127.0.0.1");
    int n = ++admissions;
    if (n <= 2)
        return PCFMCP_HTTP_ADMIT;
    *retry = 7;
    return n % 2 ? PCFMCP_HTTP_ADMIT_RATE_LIMITED : PCFMCP_HTTP_ADMIT_SHUTTING_DOWN;
}

static unsigned refused_status[4];
static atomic_int refused_n;

static void on_refused(unsigned status, const char *reason, const char *identity,
                       const char *addr, const char *method, void *ud)
{
    (void)ud;
    ck_assert_ptr_nonnull(reason);
    ck_assert_ptr_null(identity); /* no authenticator here */
    ck_assert_str_eq(addr, "127.0.0.1");
    ck_assert_str_eq(method, "POST");
    int i = atomic_fetch_add(&refused_n, 1);
    if (i < 4)
        refused_status[i] = status;
}

static int not_ready(pcfmcp_http_text_t *reasons, void *ud)
{
    (void)ud;
    const char *why = "pcf: unreachable\n";
    pcfmcp_http_text_append(reasons, why, strlen(why));
    return 0;
}

static void metrics(pcfmcp_http_text_t *out, void *ud)
{
    (void)ud;
    char line[64];
    for (int i = 0; i < 200; i++) {
        int n = snprintf(line, sizeof(line), "pcfmcp_test_metric{n=\"%d\"} %d\n", i, i);
        pcfmcp_http_text_append(out, line, (size_t)n);
    }
}

static atomic_int observed;

static void observe(const char *method, unsigned status, double secs, unsigned active, void *ud)
{
    (void)method, (void)status, (void)active, (void)ud;
    ck_assert(secs >= 0);
    atomic_fetch_add(&observed, 1);
}

static void with_ops(pcfmcp_http_t *h)
{
    admissions = 0;
    atomic_store(&observed, 0);
    pcfmcp_http_set_admission_cb(h, admit_two, NULL);
    pcfmcp_http_set_readiness_cb(h, not_ready, NULL);
    pcfmcp_http_set_metrics_cb(h, metrics, NULL);
    pcfmcp_http_set_observer_cb(h, observe, NULL);
    atomic_store(&refused_n, 0);
    pcfmcp_http_set_refusal_cb(h, on_refused, NULL);
}

START_TEST(http_ops_endpoints_admission_and_gzip)
{
    start(with_ops);
    resp r;
    request_on(NULL, "GET", "/healthz", NULL, NULL, NULL, 5000, &r);
    ck_assert_int_eq(r.status, 200);
    request_on(NULL, "GET", "/readyz", NULL, NULL, NULL, 5000, &r);
    ck_assert_int_eq(r.status, 503);
    ck_assert_ptr_nonnull(strstr(r.body, "\"pcf: unreachable\""));
    const char *gz[] = { "Accept-Encoding: gzip", NULL };
    request_on(NULL, "GET", "/metrics", NULL, gz, NULL, 5000, &r);
    ck_assert_int_eq(r.status, 200);
    char ce[32];
    ck_assert(header(&r, "Content-Encoding", ce, sizeof(ce)));
    ck_assert_str_eq(ce, "gzip");
    ck_assert_int_eq((unsigned char)r.body[0], 0x1f);
    request_on(NULL, "GET", "/metrics", NULL, NULL, NULL, 5000, &r);
    ck_assert(!header(&r, "Content-Encoding", ce, sizeof(ce)));
    ck_assert_ptr_nonnull(strstr(r.body, "pcfmcp_test_metric{n=\"199\"} 199"));
    ck_assert_int_eq(post(INIT, NULL, &r), 200);
    ck_assert_int_eq(post(INIT, NULL, &r), 200);
    ck_assert_int_eq(post(INIT, NULL, &r), 429);
    char ra[16];
    ck_assert(header(&r, "Retry-After", ra, sizeof(ra)));
    ck_assert_str_eq(ra, "7");
    /* Draining is not a rate limit: 503, saying so. */
    ck_assert_int_eq(post(INIT, NULL, &r), 503);
    ck_assert_ptr_nonnull(strstr(r.body, "shutting down"));
    ck_assert(header(&r, "Retry-After", ra, sizeof(ra)));
    ck_assert_ptr_nonnull(strstr(r.body, "\"code\":-32000"));
    /* 2026-07-28 forbids -32000..-32019: its refusals carry codes outside it. */
    const char *modern[] = { "MCP-Protocol-Version: 2026-07-28", NULL };
    ck_assert_int_eq(post(INIT, modern, &r), 429);
    ck_assert_ptr_nonnull(strstr(r.body, "\"code\":-31001"));
    ck_assert_int_eq(post(INIT, modern, &r), 503);
    ck_assert_ptr_nonnull(strstr(r.body, "\"code\":-31000"));
    ck_assert_int_eq(atomic_load(&refused_n), 4);
    ck_assert_uint_eq(refused_status[0], 429);
    ck_assert_uint_eq(refused_status[1], 503);
    ck_assert_int_ge(atomic_load(&observed), 6);
}
END_TEST

static void wide_with_auth_and_metrics(pcfmcp_http_t *h)
{
    ck_assert_int_eq(pcfmcp_http_set_listen(h, "0.0.0.0", 0), PCFMCP_OK);
    with_auth(h);
    pcfmcp_http_set_metrics_cb(h, metrics, NULL);
}

static void wide_metrics_never(pcfmcp_http_t *h)
{
    wide_with_auth_and_metrics(h);
    ck_assert_int_eq(pcfmcp_http_set_metrics_auth(h, PCFMCP_HTTP_METRICS_AUTH_NEVER), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_http_set_metrics_auth(h, (pcfmcp_http_metrics_auth_t)7), PCFMCP_ERR_INVALID_ARG);
}

static void separate_metrics_listener(pcfmcp_http_t *h)
{
    wide_with_auth_and_metrics(h);
    ck_assert_int_eq(pcfmcp_http_set_ops_listen(h, "127.0.0.1", 0), PCFMCP_OK);
}

static void separate_metrics_listener_always(pcfmcp_http_t *h)
{
    separate_metrics_listener(h);
    ck_assert_int_eq(pcfmcp_http_set_metrics_auth(h, PCFMCP_HTTP_METRICS_AUTH_ALWAYS), PCFMCP_OK);
}

/* GET /metrics on the ops listener's port. */
static long get_ops(const char *path, const char *const *extra, resp *r)
{
    char saved[256];
    snprintf(saved, sizeof(saved), "%s", base);
    snprintf(base, sizeof(base), "http://127.0.0.1:%u", pcfmcp_http_ops_port(http));
    request_on(NULL, "GET", path, NULL, extra, NULL, 5000, r);
    snprintf(base, sizeof(base), "%s", saved);
    return r->status;
}

START_TEST(http_metrics_need_credentials_beyond_loopback)
{
    /* With auth on and the MCP listener beyond loopback, /metrics (which
     * names identities) was open to anyone. */
    start(wide_with_auth_and_metrics);
    const char *good[] = { "Authorization: Bearer good", NULL };
    resp r;
    request_on(NULL, "GET", "/metrics", NULL, NULL, NULL, 5000, &r);
    ck_assert_int_eq(r.status, 401);
    char www[512];
    ck_assert(header(&r, "WWW-Authenticate", www, sizeof(www)));
    ck_assert_ptr_null(strstr(r.body, "pcfmcp_test_metric"));
    request_on(NULL, "GET", "/metrics", NULL, good, NULL, 5000, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(strstr(r.body, "pcfmcp_test_metric"));
    request_on(NULL, "GET", "/healthz", NULL, NULL, NULL, 5000, &r);
    ck_assert_int_eq(r.status, 200); /* probes stay open */
    /* Opt-outs: never; a separate listener the operator isolates; always
     * protects that one too. */
    restart(wide_metrics_never);
    request_on(NULL, "GET", "/metrics", NULL, NULL, NULL, 5000, &r);
    ck_assert_int_eq(r.status, 200);
    restart(separate_metrics_listener);
    ck_assert_int_eq(get_ops("/metrics", NULL, &r), 200);
    restart(separate_metrics_listener_always);
    ck_assert_int_eq(get_ops("/metrics", NULL, &r), 401);
    ck_assert_int_eq(get_ops("/metrics", good, &r), 200);
    ck_assert_int_eq(get_ops("/healthz", NULL, &r), 200);
}
END_TEST

START_TEST(http_stop_lets_running_requests_finish_and_run_returns_ok)
{
    start(stateless);
    /* A request in flight when stop arrives still gets its answer. */
    CURLM *m = curl_multi_init();
    CURL *c = curl_easy_init();
    resp r;
    memset(&r, 0, sizeof(r));
    struct curl_slist *sl = NULL;
    sl = curl_slist_append(sl, "Content-Type: application/json");
    sl = curl_slist_append(sl, "Accept: application/json, text/event-stream");
    char url[300];
    snprintf(url, sizeof(url), "%s/mcp", base);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, sl);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS,
                     "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/call\",\"params\":{\"name\":\"gate\",\"arguments\":{}}}");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
    curl_multi_add_handle(m, c);
    int still = 1;
    for (int i = 0; i < 500 && !atomic_load(&slow_started); i++) {
        curl_multi_perform(m, &still);
        curl_multi_wait(m, NULL, 0, 10, NULL);
    }
    pcfmcp_http_stop(http);
    /* Draining: health says not ready and new requests are refused. */
    for (int i = 0; i < 20; i++) {
        curl_multi_perform(m, &still);
        curl_multi_wait(m, NULL, 0, 10, NULL);
    }
    resp rr;
    request_on(NULL, "GET", "/readyz", NULL, NULL, NULL, 5000, &rr);
    ck_assert_int_eq(rr.status, 503);
    ck_assert_ptr_nonnull(strstr(rr.body, "draining"));
    ck_assert_int_eq(post("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"tools/list\"}", NULL, &rr), 503);
    atomic_store(&gate_open, 1);
    for (int i = 0; i < 300 && still; i++) {
        curl_multi_perform(m, &still);
        curl_multi_wait(m, NULL, 0, 20, NULL);
    }
    ck_assert_ptr_nonnull(strstr(r.body, "\"id\":9"));
    pthread_join(runner, NULL);
    running = false;
    ck_assert_int_eq(run_rc, PCFMCP_OK);
    curl_multi_remove_handle(m, c);
    curl_easy_cleanup(c);
    curl_multi_cleanup(m);
    curl_slist_free_all(sl);
}
END_TEST

START_TEST(http_stop_cancels_requests_past_the_grace_period)
{
    start(stateless);
    pcfmcp_http_t *h = http;
    (void)h;
    CURLM *m = curl_multi_init();
    CURL *c = curl_easy_init();
    resp r;
    memset(&r, 0, sizeof(r));
    struct curl_slist *sl = NULL;
    sl = curl_slist_append(sl, "Content-Type: application/json");
    sl = curl_slist_append(sl, "Accept: application/json, text/event-stream");
    char url[300];
    snprintf(url, sizeof(url), "%s/mcp", base);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, sl);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS,
                     "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/call\",\"params\":{\"name\":\"slow\",\"arguments\":{}}}");
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &r);
    curl_multi_add_handle(m, c);
    int still = 1;
    for (int i = 0; i < 300 && !atomic_load(&slow_started); i++) {
        curl_multi_perform(m, &still);
        curl_multi_wait(m, NULL, 0, 10, NULL);
    }
    pcfmcp_http_stop(http);
    for (int i = 0; i < 600 && still; i++) {
        curl_multi_perform(m, &still);
        curl_multi_wait(m, NULL, 0, 20, NULL);
    }
    pthread_join(runner, NULL);
    running = false;
    ck_assert_int_eq(run_rc, PCFMCP_ERR_TIMEOUT);
    ck_assert_int_eq(atomic_load(&cancelled_seen), 1);
    curl_multi_remove_handle(m, c);
    curl_easy_cleanup(c);
    curl_multi_cleanup(m);
    curl_slist_free_all(sl);
}
END_TEST

/* Fails the 1st, 2nd, ... allocation of the library while requests are
 * served: every answer is right or a clean error, nothing crashes or leaks
 * (ASan/valgrind runs check that), and the server recovers. Requests that
 * stay on the transport's and the list paths: the engine's tool and
 * initialize paths have OOM leaks of their own (its own sweep shows them). */
START_TEST(http_survives_allocation_failures)
{
    start(NULL);
    char sid[128], h[160];
    open_session(sid, sizeof(sid), NULL);
    snprintf(h, sizeof(h), "Mcp-Session-Id: %s", sid);
    const char *x[] = { h, NULL };
    const char *stateless[] = { "MCP-Protocol-Version: 2025-11-25", NULL };
    const char *bodies[] = {
        "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}",
        "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"ping\"}",
        "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/progress\",\"params\":{\"progressToken\":1,\"progress\":1}}",
    };
    for (long n = 0; n < 90; n++) {
        resp r;
        pcfmcp__alloc_fail_after(n / 3);
        post(bodies[n % 3], n % 2 ? x : stateless, &r);
        pcfmcp__alloc_fail_after(-1);
        ck_assert_msg(r.status == 0 || r.status == 200 || r.status == 202 || r.status == 400 ||
                      r.status == 404 || r.status == 500 || r.status == 503,
                      "status %ld at %ld", r.status, n);
    }
    pcfmcp__alloc_fail_after(-1);
    resp r;
    ck_assert_int_eq(post("{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/call\",\"params\":{\"name\":\"echo\",\"arguments\":{}}}", x, &r), 200);
    ck_assert_ptr_nonnull(strstr(r.body, "\"id\":9"));
}
END_TEST

/* ------------------------------------------------------------ TLS */

static char certpath[300], keypath[300], clientca[300];

static void with_tls(pcfmcp_http_t *h)
{
    ck_assert_int_eq(pcfmcp_http_set_tls(h, certpath, keypath, clientca[0] ? clientca : NULL), PCFMCP_OK);
}

static void make_tls_dir(void)
{
    snprintf(tlsdir, sizeof(tlsdir), "/tmp/pcfmcp-tls-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tlsdir));
    ck_assert_int_eq(tlsgen_ca(tlsdir), 0);
    ck_assert_int_eq(tlsgen_issue(tlsdir, "server", "localhost", 1001, 30, 0), 0);
    snprintf(certpath, sizeof(certpath), "%s/server.pem", tlsdir);
    snprintf(keypath, sizeof(keypath), "%s/server-key.pem", tlsdir);
    static char ca[300];
    snprintf(ca, sizeof(ca), "%s/ca.pem", tlsdir);
    cafile = ca;
    clientca[0] = '\0';
}

static void remove_tls_dir(void)
{
    char cmd[400];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tlsdir);
    ck_assert_int_eq(system(cmd), 0);
}

static long serial_of(CURL *c)
{
    struct curl_certinfo *ci = NULL;
    if (curl_easy_getinfo(c, CURLINFO_CERTINFO, &ci) != CURLE_OK || !ci || ci->num_of_certs < 1)
        return -1;
    for (struct curl_slist *s = ci->certinfo[0]; s; s = s->next)
        if (strncmp(s->data, "Serial Number:", 14) == 0)
            return strtol(s->data + 14, NULL, 16);
    return -2;
}

START_TEST(http_tls_serves_and_reload_swaps_cert_without_dropping_connections)
{
    make_tls_dir();
    start(with_tls);
    long long na = pcfmcp_http_tls_not_after(http);
    ck_assert(na > (long long)time(NULL) + 29LL * 86400);
    CURL *keep = curl_easy_init();
    curl_easy_setopt(keep, CURLOPT_CERTINFO, 1L);
    resp r;
    ck_assert_int_eq(request_on(keep, "GET", "/healthz", NULL, NULL, NULL, 5000, &r), CURLE_OK);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(serial_of(keep), 1001);
    /* Plain HTTP to the TLS port is not served. */
    char plain[256];
    snprintf(plain, sizeof(plain), "%s", base);
    snprintf(base, sizeof(base), "http://127.0.0.1:%u", pcfmcp_http_port(http));
    const char *saved = cafile;
    cafile = NULL;
    ck_assert_int_ne(request_on(NULL, "GET", "/healthz", NULL, NULL, NULL, 2000, &r), CURLE_OK);
    cafile = saved;
    snprintf(base, sizeof(base), "%s", plain);
    /* New certificate on disk, reload: new handshakes get it... */
    ck_assert_int_eq(tlsgen_issue(tlsdir, "server", "localhost", 2002, 60, 0), 0);
    ck_assert_int_eq(pcfmcp_http_reload_tls(http), PCFMCP_OK);
    ck_assert(pcfmcp_http_tls_not_after(http) > na);
    CURL *fresh = curl_easy_init();
    curl_easy_setopt(fresh, CURLOPT_CERTINFO, 1L);
    ck_assert_int_eq(request_on(fresh, "GET", "/healthz", NULL, NULL, NULL, 5000, &r), CURLE_OK);
    ck_assert_int_eq(serial_of(fresh), 2002);
    /* ...while the open connection keeps working without a new handshake. */
    ck_assert_int_eq(request_on(keep, "GET", "/healthz", NULL, NULL, NULL, 5000, &r), CURLE_OK);
    ck_assert_int_eq(r.status, 200);
    long nconn = -1;
    curl_easy_getinfo(keep, CURLINFO_NUM_CONNECTS, &nconn);
    ck_assert_int_eq(nconn, 0);
    /* A broken file is refused and the current certificate stays. */
    FILE *f = fopen(certpath, "w");
    fputs("garbage\n", f);
    fclose(f);
    ck_assert_int_eq(pcfmcp_http_reload_tls(http), PCFMCP_ERR_TLS);
    ck_assert_int_eq(request_on(fresh, "GET", "/readyz", NULL, NULL, NULL, 5000, &r), CURLE_OK);
    curl_easy_cleanup(keep);
    curl_easy_cleanup(fresh);
    remove_tls_dir();
}
END_TEST

START_TEST(http_tls_client_ca_requires_a_client_certificate)
{
    make_tls_dir();
    snprintf(clientca, sizeof(clientca), "%s/ca.pem", tlsdir);
    ck_assert_int_eq(tlsgen_issue(tlsdir, "client", "robot-7", 3003, 30, 1), 0);
    ck_assert_int_eq(pcfmcp_http_new(&http, eng), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_http_set_listen(http, "127.0.0.1", 0), PCFMCP_OK);
    with_tls(http);
    ck_assert_int_eq(pcfmcp_http_start(http), PCFMCP_OK);
    snprintf(base, sizeof(base), "https://127.0.0.1:%u", pcfmcp_http_port(http));
    ck_assert_int_eq(pthread_create(&runner, NULL, run_thread, NULL), 0);
    running = true;
    resp r;
    ck_assert_int_eq(post(INIT, NULL, &r), 403);
    CURL *c = curl_easy_init();
    char cc[300], ck[300];
    snprintf(cc, sizeof(cc), "%s/client.pem", tlsdir);
    snprintf(ck, sizeof(ck), "%s/client-key.pem", tlsdir);
    curl_easy_setopt(c, CURLOPT_SSLCERT, cc);
    curl_easy_setopt(c, CURLOPT_SSLKEY, ck);
    request_on(c, "POST", "/mcp", INIT, MCP_HDRS, NULL, 5000, &r);
    ck_assert_int_eq(r.status, 200);
    char sid[128], h[160];
    ck_assert(header(&r, "Mcp-Session-Id", sid, sizeof(sid)));
    snprintf(h, sizeof(h), "Mcp-Session-Id: %s", sid);
    const char *x[] = { h, NULL };
    request_on(c, "POST", "/mcp", "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}", MCP_HDRS, x, 5000, &r);
    request_on(c, "POST", "/mcp", "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{\"name\":\"whoami\",\"arguments\":{}}}", MCP_HDRS, x, 5000, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_ptr_nonnull(strstr(r.body, "CN=robot-7"));
    curl_easy_cleanup(c);
    /* Signed by the right CA but issued for serverAuth only: no client. */
    ck_assert_int_eq(tlsgen_issue(tlsdir, "server-only", "not-a-client", 3004, 30, 0), 0);
    c = curl_easy_init();
    snprintf(cc, sizeof(cc), "%s/server-only.pem", tlsdir);
    snprintf(ck, sizeof(ck), "%s/server-only-key.pem", tlsdir);
    curl_easy_setopt(c, CURLOPT_SSLCERT, cc);
    curl_easy_setopt(c, CURLOPT_SSLKEY, ck);
    request_on(c, "POST", "/mcp", INIT, MCP_HDRS, NULL, 5000, &r);
    ck_assert_int_eq(r.status, 403);
    ck_assert_ptr_nonnull(strstr(r.body, "not trusted"));
    curl_easy_cleanup(c);
    remove_tls_dir();
    clientca[0] = '\0';
}
END_TEST

/* ------------------------------------------------- raw-socket clients */

static uint64_t mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

static int raw_connect(void)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_ge(fd, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons((uint16_t)pcfmcp_http_port(http)) };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
    return fd;
}

static void raw_send(int fd, const char *text)
{
    ck_assert_int_eq(send(fd, text, strlen(text), MSG_NOSIGNAL), (ssize_t)strlen(text));
}

/* What arrives within @p ms: the byte count, 0 when the server closed (or
 * reset) the connection, -1 when nothing came. */
static ssize_t raw_read(int fd, char *buf, size_t n, int ms)
{
    struct pollfd p = { .fd = fd, .events = POLLIN };
    if (poll(&p, 1, ms) <= 0)
        return -1;
    ssize_t k = recv(fd, buf, n - 1, 0);
    if (k < 0)
        k = 0;
    buf[k] = '\0';
    return k;
}

/* The response headers in @p buf up to the blank line, lower-cased. */
static void lower_headers(char *buf)
{
    char *end = strstr(buf, "\r\n\r\n");
    if (end)
        *end = '\0';
    for (char *p = buf; *p; p++)
        if (*p >= 'A' && *p <= 'Z')
            *p = (char)(*p - 'A' + 'a');
}

static const char HEALTHZ[] = "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n";

/* Everything the server sends on @p fd until it closes it (or @p ms pass). */
static size_t raw_read_all(int fd, char *buf, size_t n, int ms)
{
    size_t have = 0;
    uint64_t end = mono_ms() + (uint64_t)ms;
    while (have + 1 < n && mono_ms() < end) {
        ssize_t k = raw_read(fd, buf + have, n - have, (int)(end - mono_ms()));
        if (k <= 0)
            break;
        have += (size_t)k;
    }
    buf[have] = '\0';
    return have;
}

static unsigned count_of(const char *hay, const char *needle)
{
    unsigned n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

/* A request a proxy and we could read differently gets 400 and the end of
 * the connection, before anything reads the request or a body hidden in it. */
static void expect_refused(const char *request, const char *why)
{
    int fd = raw_connect();
    raw_send(fd, request);
    static char buf[16384];
    raw_read_all(fd, buf, sizeof(buf), 5000);
    close(fd);
    ck_assert_msg(strncmp(buf, "HTTP/1.1 400", 12) == 0, "%s: %s", why, buf);
    ck_assert_msg(count_of(buf, "HTTP/1.1 ") == 1, "%s: a second request was answered: %s", why, buf);
    ck_assert_msg(strstr(buf, why) != NULL, "reason missing, wanted %s: %s", why, buf);
}

#define PING_BODY "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}"
#define POST_HEAD "POST /mcp HTTP/1.1\r\nContent-Type: application/json\r\n" \
                  "Accept: application/json, text/event-stream\r\n"

START_TEST(http_refuses_ambiguous_framing_and_duplicate_credentials_with_400)
{
    start(with_auth);
    char req[1024];
    /* Two Content-Lengths: the first used to win and the "body" beyond it was
     * answered as a second request. */
    snprintf(req, sizeof(req),
             POST_HEAD "Host: 127.0.0.1\r\nAuthorization: Bearer good\r\nContent-Length: %zu\r\n"
                       "Content-Length: 200\r\n\r\n" PING_BODY "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n",
             strlen(PING_BODY));
    expect_refused(req, "Content-Length");
    expect_refused(POST_HEAD "Host: 127.0.0.1\r\nAuthorization: Bearer good\r\nTransfer-Encoding : chunked\r\n\r\n"
                   "29\r\n" PING_BODY "\r\n0\r\n\r\n",
                   "field name");
    snprintf(req, sizeof(req),
             POST_HEAD "Host: 127.0.0.1\r\nAuthorization: Bearer good\r\nTransfer-Encoding: chunked\r\n"
                       "Content-Length: %zu\r\n\r\n" PING_BODY,
             strlen(PING_BODY));
    expect_refused(req, "both Content-Length and Transfer-Encoding");
    expect_refused("GET /healthz HTTP/1.1\r\n\r\n", "no Host");
    expect_refused("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nHost: evil.example\r\n\r\n", "more than one Host");
    /* With two Authorization headers the first used to win. */
    snprintf(req, sizeof(req),
             POST_HEAD "Host: 127.0.0.1\r\nAuthorization: Bearer good\r\nAuthorization: Bearer other\r\n"
                       "Content-Length: %zu\r\n\r\n%s",
             strlen(INIT), INIT);
    expect_refused(req, "Authorization");
    /* The same requests, unambiguous, are served. */
    int fd = raw_connect();
    snprintf(req, sizeof(req), POST_HEAD "Host: 127.0.0.1\r\nAuthorization: Bearer good\r\nContent-Length: %zu\r\n\r\n%s",
             strlen(INIT), INIT);
    raw_send(fd, req);
    static char buf[16384];
    ck_assert_int_gt(raw_read(fd, buf, sizeof(buf), 5000), 0);
    ck_assert_msg(strncmp(buf, "HTTP/1.1 200", 12) == 0, "%s", buf);
    close(fd);
    fd = raw_connect();
    raw_send(fd, "GET /healthz HTTP/1.0\r\n\r\n"); /* HTTP/1.0 has no Host to send */
    raw_read_all(fd, buf, sizeof(buf), 5000);
    ck_assert_msg(strstr(buf, " 200 ") != NULL, "%s", buf);
    close(fd);
}
END_TEST

static char seen_xff[256];

static int pick_last_forwarded(const char *peer, const char *xff, char *out, size_t n, void *ud)
{
    (void)peer, (void)out, (void)n, (void)ud;
    snprintf(seen_xff, sizeof(seen_xff), "%s", xff ? xff : "(none)");
    return -1;
}

static void with_forwarded(pcfmcp_http_t *h)
{
    seen_xff[0] = '\0';
    pcfmcp_http_set_client_address_cb(h, pick_last_forwarded, NULL);
    pcfmcp_http_set_admission_cb(h, admit_two, NULL);
}

START_TEST(http_forwarded_for_lines_reach_the_address_rule_as_one_list)
{
    /* A proxy may append its own X-Forwarded-For line: the first line alone
     * is whatever the client wrote. */
    start(with_forwarded);
    admissions = 0;
    const char *x[] = { "X-Forwarded-For: 6.6.6.6", "X-Forwarded-For: 10.0.0.7", NULL };
    resp r;
    ck_assert_int_eq(post(INIT, x, &r), 200);
    ck_assert_str_eq(seen_xff, "6.6.6.6, 10.0.0.7");
}
END_TEST

START_TEST(http_preflight_allows_the_param_headers_a_tool_declares)
{
    start(allow_app_origin);
    const char *pre[] = { "Origin: https://app.example.com", "Access-Control-Request-Method: POST",
                          "Access-Control-Request-Headers: content-type,mcp-param-region,mcp-protocol-version",
                          NULL };
    resp r;
    request_on(NULL, "OPTIONS", "/mcp", NULL, pre, NULL, 5000, &r);
    ck_assert_int_eq(r.status, 204);
    char v[512];
    ck_assert(header(&r, "Access-Control-Allow-Headers", v, sizeof(v)));
    ck_assert_msg(strstr(v, "mcp-param-region") != NULL, "%s", v);
    ck_assert_ptr_nonnull(strstr(v, "Mcp-Method"));
}
END_TEST

/* ------------------------------------------------- read deadline */

static char gate_sid[160];

/* The transport's warnings, for the read-deadline test. */
static pthread_mutex_t warned_lock = PTHREAD_MUTEX_INITIALIZER;
static char warned[2048];

static void keep_warnings(pcfmcp_log_level_t level, const char *line, size_t len, void *ud)
{
    (void)ud;
    if (level < PCFMCP_LOG_WARN)
        return;
    pthread_mutex_lock(&warned_lock);
    size_t have = strlen(warned), room = sizeof(warned) - 1 - have;
    memcpy(warned + have, line, len < room ? len : room);
    warned[have + (len < room ? len : room)] = '\0';
    pthread_mutex_unlock(&warned_lock);
}

static void *gate_call(void *arg)
{
    const char *x[] = { gate_sid, NULL };
    post("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{\"name\":\"gate\",\"arguments\":{}}}",
         x, arg);
    return NULL;
}

static void read_deadline_1s(pcfmcp_http_t *h)
{
    ck_assert_int_eq(pcfmcp_http_set_limit(h, PCFMCP_HTTP_LIMIT_REQUEST_READ_TIMEOUT_MS, 1000), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_http_set_limit(h, PCFMCP_HTTP_LIMIT_SSE_KEEPALIVE_MS, 1000), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_http_set_limit(h, PCFMCP_HTTP_LIMIT_REQUEST_READ_TIMEOUT_MS, 999),
                     PCFMCP_ERR_INVALID_ARG);
    warned[0] = '\0';
    pcfmcp_logger_t *lg = NULL;
    ck_assert_int_eq(pcfmcp_logger_new(&lg), PCFMCP_OK);
    pcfmcp_logger_set_sink(lg, keep_warnings, NULL);
    ck_assert_int_eq(pcfmcp_http_set_logger(h, lg), PCFMCP_OK);
    pcfmcp_logger_unref(lg);
}

START_TEST(http_read_deadline_cuts_a_dripping_client_but_not_streams_or_running_calls)
{
    start(read_deadline_1s);
    char sid[128], buf[4096];
    open_session(sid, sizeof(sid), NULL);
    snprintf(gate_sid, sizeof(gate_sid), "Mcp-Session-Id: %s", sid);
    /* A standalone SSE stream, quiet but for keep-alives. */
    int sse = raw_connect();
    char get[512];
    snprintf(get, sizeof(get), "GET /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: text/event-stream\r\n%s\r\n\r\n",
             gate_sid);
    raw_send(sse, get);
    ck_assert_int_gt(raw_read(sse, buf, sizeof(buf), 5000), 0);
    ck_assert_msg(strncmp(buf, "HTTP/1.1 200", 12) == 0, "%s", buf);
    /* A kept-alive connection that answered one request and then idles. */
    int idle = raw_connect();
    raw_send(idle, HEALTHZ);
    ck_assert_int_gt(raw_read(idle, buf, sizeof(buf), 5000), 0);
    ck_assert_msg(strncmp(buf, "HTTP/1.1 200", 12) == 0, "%s", buf);
    /* A tool call that runs well past the deadline. */
    pthread_t caller;
    static resp gated;
    ck_assert_int_eq(pthread_create(&caller, NULL, gate_call, &gated), 0);
    /* The slowloris: one more header byte every 200 ms. */
    int fd = raw_connect();
    raw_send(fd, "GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Drip: ");
    uint64_t t0 = mono_ms();
    bool closed = false;
    while (!closed && mono_ms() - t0 < 5000) {
        if (send(fd, "a", 1, MSG_NOSIGNAL) != 1)
            closed = true;
        else if (raw_read(fd, buf, sizeof(buf), 200) >= 0)
            closed = true;
    }
    uint64_t took = mono_ms() - t0;
    close(fd);
    ck_assert_msg(closed, "a dripping client is still connected after %llu ms", (unsigned long long)took);
    ck_assert_msg(took >= 800 && took <= 2000, "cut after %llu ms", (unsigned long long)took);
    ck_assert_uint_eq(pcfmcp_http_read_timeouts(http), 1);
    pthread_mutex_lock(&warned_lock);
    bool named = strstr(warned, "no complete request within 1000 ms") && strstr(warned, "127.0.0.1");
    pthread_mutex_unlock(&warned_lock);
    ck_assert_msg(named, "no warning naming the client: %s", warned);
    /* Everyone else is unaffected. */
    resp r;
    request_on(NULL, "GET", "/healthz", NULL, NULL, NULL, 5000, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_int_eq(atomic_load(&slow_started), 1);
    atomic_store(&gate_open, 1);
    pthread_join(caller, NULL);
    ck_assert_int_eq(gated.status, 200);
    ck_assert_ptr_nonnull(strstr(gated.body, "through"));
    /* Drain what the stream sent so far; a fresh keep-alive must follow. */
    while (raw_read(sse, buf, sizeof(buf), 100) > 0) {
    }
    ssize_t k = raw_read(sse, buf, sizeof(buf), 3000);
    ck_assert_msg(k > 0, "the SSE stream did not survive the deadline (%zd)", k);
    ck_assert_ptr_nonnull(strchr(buf, ':'));
    /* Idle past the read deadline, but within the idle timeout: still open. */
    raw_send(idle, HEALTHZ);
    ck_assert_int_gt(raw_read(idle, buf, sizeof(buf), 5000), 0);
    ck_assert_msg(strncmp(buf, "HTTP/1.1 200", 12) == 0, "%s", buf);
    ck_assert_uint_eq(pcfmcp_http_read_timeouts(http), 1);
    close(idle);
    close(sse);
}
END_TEST

START_TEST(http_caps_connections_per_address_at_256_by_default)
{
    start(NULL);
    static int fds[256];
    char buf[4096];
    for (size_t i = 0; i < 256; i++)
        fds[i] = raw_connect();
    /* All of them are admitted and served. Each answered request also proves
     * the server has accepted that connection: a connect() alone may still
     * sit in the listen backlog, and the extra one below could overtake it. */
    for (size_t i = 0; i < 256; i++) {
        raw_send(fds[i], HEALTHZ);
        ck_assert_int_gt(raw_read(fds[i], buf, sizeof(buf), 5000), 0);
        ck_assert_msg(strncmp(buf, "HTTP/1.1 200", 12) == 0, "%s", buf);
    }
    /* One more from the same address is closed unanswered. */
    int extra = raw_connect();
    (void)send(extra, HEALTHZ, strlen(HEALTHZ), MSG_NOSIGNAL);
    ck_assert_int_eq(raw_read(extra, buf, sizeof(buf), 5000), 0);
    close(extra);
    for (size_t i = 0; i < 256; i++)
        close(fds[i]);
}
END_TEST

/* ------------------------------------------------- untested limits */

static void gzip_from_256(pcfmcp_http_t *h)
{
    ck_assert_int_eq(pcfmcp_http_set_limit(h, PCFMCP_HTTP_LIMIT_GZIP_MIN_BYTES, 256), PCFMCP_OK);
}

START_TEST(http_gzips_large_mcp_answers_and_leaves_small_ones_plain)
{
    start(gzip_from_256);
    char sid[128], h[160], ce[32];
    open_session(sid, sizeof(sid), NULL);
    snprintf(h, sizeof(h), "Mcp-Session-Id: %s", sid);
    const char *x[] = { h, NULL };
    const char *gz[] = { h, "Accept-Encoding: gzip", NULL };
    static const char list[] = "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}";
    static resp plain, z;
    ck_assert_int_eq(post(list, x, &plain), 200);
    ck_assert(!header(&plain, "Content-Encoding", ce, sizeof(ce)));
    ck_assert_uint_ge(plain.len, 256);
    ck_assert_int_eq(post(list, gz, &z), 200);
    ck_assert(header(&z, "Content-Encoding", ce, sizeof(ce)));
    ck_assert_str_eq(ce, "gzip");
    ck_assert_uint_lt(z.len, plain.len);
    static char out[65536];
    z_stream zs;
    memset(&zs, 0, sizeof(zs));
    ck_assert_int_eq(inflateInit2(&zs, 16 + MAX_WBITS), Z_OK);
    zs.next_in = (Bytef *)z.body;
    zs.avail_in = (uInt)z.len;
    zs.next_out = (Bytef *)out;
    zs.avail_out = sizeof(out);
    int zrc = inflate(&zs, Z_FINISH);
    size_t olen = zs.total_out;
    inflateEnd(&zs);
    ck_assert_int_eq(zrc, Z_STREAM_END);
    ck_assert_uint_eq(olen, plain.len);
    ck_assert(memcmp(out, plain.body, olen) == 0);
    /* Below the threshold compression is not worth it. */
    ck_assert_int_eq(post("{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"ping\"}", gz, &z), 200);
    ck_assert_uint_lt(z.len, 256);
    ck_assert(!header(&z, "Content-Encoding", ce, sizeof(ce)));
    ck_assert_ptr_nonnull(strstr(z.body, "\"result\""));
}
END_TEST

static void header_limit_8k(pcfmcp_http_t *h)
{
    ck_assert_int_eq(pcfmcp_http_set_limit(h, PCFMCP_HTTP_LIMIT_HEADER_BYTES, 8192), PCFMCP_OK);
}

START_TEST(http_headers_over_the_limit_get_431)
{
    start(header_limit_8k);
    static char big[16384];
    int n = snprintf(big, sizeof(big), "X-Big: ");
    memset(big + n, 'a', 12000);
    big[n + 12000] = '\0';
    const char *x[] = { big, NULL };
    resp r;
    request_on(NULL, "GET", "/healthz", NULL, x, NULL, 5000, &r);
    ck_assert_int_eq(r.status, 431);
    big[n + 2000] = '\0';
    request_on(NULL, "GET", "/healthz", NULL, x, NULL, 5000, &r);
    ck_assert_int_eq(r.status, 200);
}
END_TEST

/* A request with @p fields header fields "x: 1" on a fresh connection:
 * what the server sends before it closes. */
static size_t many_fields(unsigned fields, char *out, size_t n)
{
    static char req[65536];
    size_t len = (size_t)snprintf(req, sizeof(req),
                                  "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
                                  "Content-Length: 0\r\n");
    for (unsigned i = 0; i < fields; i++)
        len += (size_t)snprintf(req + len, sizeof(req) - len, "x: 1\r\n");
    snprintf(req + len, sizeof(req) - len, "\r\n");
    int fd = raw_connect();
    raw_send(fd, req);
    size_t got = raw_read_all(fd, out, n, 5000);
    close(fd);
    return got;
}

/* libmicrohttpd 0.9.75 keeps the header block and a record per field in the
 * connection's memory pool and builds the answer's header in what is left:
 * a block that fills the pool to within an answer's header gets the
 * connection closed unanswered. Each such close is counted and the server
 * goes on serving; a block past the pool gets 431; nothing else goes
 * unanswered. (The band is found, not assumed: it lies where the field
 * records and the answer meet the 32 KiB pool.) */
START_TEST(http_header_filling_the_pool_is_counted_and_the_server_keeps_serving)
{
    start(NULL);
    static char buf[16384];
    unsigned closed = 0, answered = 0, too_large = 0;
    for (unsigned fields = 380; fields <= 560; fields++) {
        unsigned long long before = pcfmcp_http_unanswered(http);
        size_t got = many_fields(fields, buf, sizeof(buf));
        if (got == 0) {
            closed++;
            ck_assert_msg(pcfmcp_http_unanswered(http) == before + 1,
                          "%u fields: closed unanswered but not counted", fields);
            int fd = raw_connect();
            raw_send(fd, HEALTHZ);
            ck_assert_msg(raw_read_all(fd, buf, sizeof(buf), 5000) > 0 &&
                              strncmp(buf, "HTTP/1.1 200 ", 13) == 0,
                          "not serving after the close at %u fields", fields);
            close(fd);
            continue;
        }
        ck_assert_msg(strncmp(buf, "HTTP/1.1 ", 9) == 0, "%u fields: %.40s", fields, buf);
        ck_assert_uint_eq(pcfmcp_http_unanswered(http), before);
        if (strncmp(buf + 9, "431 ", 4) == 0)
            too_large++;
        else
            answered++;
    }
    /* All three outcomes occur, in this order of field counts. */
    ck_assert_uint_gt(answered, 0);
    ck_assert_uint_gt(closed, 0);
    ck_assert_uint_gt(too_large, 0);
    ck_assert_uint_lt(closed, 10);
    ck_assert_uint_eq(pcfmcp_http_unanswered(http), closed);
}
END_TEST

static void two_buffered_events(pcfmcp_http_t *h)
{
    ck_assert_int_eq(pcfmcp_http_set_limit(h, PCFMCP_HTTP_LIMIT_SSE_BUFFER_EVENTS, 2), PCFMCP_OK);
}

START_TEST(http_replay_buffer_evicts_oldest_and_resumes_after_what_is_left)
{
    start(two_buffered_events);
    char sid[128], h[160];
    open_session(sid, sizeof(sid), NULL);
    snprintf(h, sizeof(h), "Mcp-Session-Id: %s", sid);
    const char *x[] = { h, NULL };
    resp r;
    /* priming, progress 1, progress 2, result: four events through a buffer of two */
    ck_assert_int_eq(post("{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"tools/call\",\"params\":{\"name\":\"progress\","
                          "\"arguments\":{},\"_meta\":{\"progressToken\":1}}}", x, &r), 200);
    const char *last_id = NULL;
    for (const char *p = strstr(r.body, "id: "); p; p = strstr(p + 1, "\nid: "))
        last_id = p[0] == '\n' ? p + 1 : p;
    ck_assert_ptr_nonnull(last_id);
    unsigned stream_no = 0;
    unsigned long long final_seq = 0;
    ck_assert_int_eq(sscanf(last_id + 4, "%u_%llu", &stream_no, &final_seq), 2);
    ck_assert_uint_ge(final_seq, 3);
    /* The priming event's id: both it and progress 1 have been evicted, so
     * the replay starts at the oldest event still kept. */
    char last[64];
    snprintf(last, sizeof(last), "Last-Event-ID: %u_%llu", stream_no, final_seq - 3);
    const char *get_hdrs[] = { "Accept: text/event-stream", h, last, NULL };
    request_on(NULL, "GET", "/mcp", NULL, get_hdrs, NULL, 5000, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_msg(!strstr(r.body, "\"progress\":1"), "evicted event replayed: %s", r.body);
    ck_assert_ptr_nonnull(strstr(r.body, "\"progress\":2"));
    ck_assert_ptr_nonnull(strstr(r.body, "\"id\":8"));
}
END_TEST

static void two_connections(pcfmcp_http_t *h)
{
    ck_assert_int_eq(pcfmcp_http_set_limit(h, PCFMCP_HTTP_LIMIT_CONNECTIONS, 2), PCFMCP_OK);
}

/* At server.max_connections MCP connections, health and metrics stay
 * reachable: a few connections beyond the cap are kept for them (each
 * answered once, then closed), and an MCP request on one is refused at
 * once instead of waiting unanswered. Before, the cap stalled /healthz too
 * and a probe failing there got the replica restarted. */
START_TEST(http_health_stays_reachable_with_mcp_connections_at_the_limit)
{
    start(two_connections);
    char buf[4096];
    int a = raw_connect(), b = raw_connect();
    raw_send(a, HEALTHZ);
    ck_assert_int_gt(raw_read(a, buf, sizeof(buf), 5000), 0);
    ck_assert_msg(strncmp(buf, "HTTP/1.1 200", 12) == 0, "%s", buf);
    raw_send(b, HEALTHZ);
    ck_assert_int_gt(raw_read(b, buf, sizeof(buf), 5000), 0);
    ck_assert_msg(strncmp(buf, "HTTP/1.1 200", 12) == 0, "%s", buf);
    /* Both slots are taken: a probe still gets its answer, on a
     * connection that then closes. */
    int c = raw_connect();
    raw_send(c, "GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
    ck_assert_int_gt(raw_read(c, buf, sizeof(buf), 5000), 0);
    ck_assert_msg(strncmp(buf, "HTTP/1.1 200", 12) == 0, "%s", buf);
    lower_headers(buf);
    ck_assert_msg(strstr(buf, "connection: close"), "%s", buf);
    ck_assert_int_eq(raw_read(c, buf, sizeof(buf), 5000), 0);
    close(c);
    /* An MCP request beyond the cap is refused, not parked. */
    static const char body[] = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}";
    char req[512];
    snprintf(req, sizeof(req),
             "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
             "Accept: application/json, text/event-stream\r\nContent-Length: %zu\r\n\r\n%s",
             strlen(body), body);
    int d = raw_connect();
    raw_send(d, req);
    ck_assert_int_gt(raw_read(d, buf, sizeof(buf), 5000), 0);
    ck_assert_msg(strncmp(buf, "HTTP/1.1 503", 12) == 0, "%s", buf);
    ck_assert_ptr_nonnull(strstr(buf, "too many connections"));
    close(d);
    /* The admitted ones are still served on their kept-alive connections. */
    raw_send(a, HEALTHZ);
    ck_assert_int_gt(raw_read(a, buf, sizeof(buf), 5000), 0);
    ck_assert_msg(strncmp(buf, "HTTP/1.1 200", 12) == 0, "%s", buf);
    /* A freed slot serves MCP again. */
    close(b);
    bool served = false;
    for (int i = 0; i < 200 && !served; i++) {
        int e = raw_connect();
        raw_send(e, req);
        ck_assert_int_gt(raw_read(e, buf, sizeof(buf), 5000), 0);
        served = strncmp(buf, "HTTP/1.1 ", 9) == 0 && strncmp(buf, "HTTP/1.1 503", 12) != 0;
        close(e);
        if (!served)
            pause_ms(10); /* until the server has noticed b is gone */
    }
    ck_assert(served);
    close(a);
}
END_TEST


/* During the SIGTERM drain every answer closes its connection: a kept-alive
 * client would otherwise send its next request on it, and that request
 * dies unanswered when the drain ends (for tools/call the client cannot
 * tell whether it ran). */
START_TEST(http_answers_during_the_drain_close_their_connection)
{
    start(stateless);
    static const char body[] =
        "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/call\",\"params\":{\"name\":\"gate\","
        "\"arguments\":{}}}";
    char req[1024], buf[8192];
    snprintf(req, sizeof(req),
             "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
             "Accept: application/json, text/event-stream\r\nContent-Length: %zu\r\n\r\n%s",
             strlen(body), body);
    int a = raw_connect();
    raw_send(a, req);
    for (int i = 0; i < 500 && !atomic_load(&slow_started); i++)
        pause_ms(10);
    ck_assert_int_eq(atomic_load(&slow_started), 1);
    pcfmcp_http_stop(http);
    /* The drain has begun once /readyz says so; that answer closes too. */
    bool draining = false;
    for (int i = 0; i < 500 && !draining; i++) {
        int b = raw_connect();
        raw_send(b, "GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n");
        ck_assert_int_gt(raw_read(b, buf, sizeof(buf), 5000), 0);
        draining = strncmp(buf, "HTTP/1.1 503", 12) == 0;
        lower_headers(buf);
        if (draining)
            ck_assert_msg(strstr(buf, "connection: close"), "/readyz: %s", buf);
        close(b);
        if (!draining)
            pause_ms(5);
    }
    ck_assert(draining);
    /* A request refused for the drain closes its connection too. */
    int b = raw_connect();
    raw_send(b, req);
    ck_assert_int_gt(raw_read(b, buf, sizeof(buf), 5000), 0);
    ck_assert_msg(strncmp(buf, "HTTP/1.1 503", 12) == 0, "%s", buf);
    lower_headers(buf);
    ck_assert_msg(strstr(buf, "connection: close"), "refusal: %s", buf);
    close(b);
    /* The call in flight finishes; its answer says the connection ends,
     * and it does. */
    atomic_store(&gate_open, 1);
    ck_assert_int_gt(raw_read(a, buf, sizeof(buf), 5000), 0);
    ck_assert_msg(strncmp(buf, "HTTP/1.1 200", 12) == 0, "%s", buf);
    ck_assert_ptr_nonnull(strstr(buf, "through"));
    lower_headers(buf);
    ck_assert_msg(strstr(buf, "connection: close"), "answer in flight: %s", buf);
    char rest[256];
    ck_assert_int_eq(raw_read(a, rest, sizeof(rest), 5000), 0);
    close(a);
    pthread_join(runner, NULL);
    running = false;
    ck_assert_int_eq(run_rc, PCFMCP_OK);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("http");
    TCase *t = tcase_create("transport");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 60);
    tcase_add_test(t, http_initialize_mints_session_and_notification_gets_202);
    tcase_add_test(t, http_request_without_session_gets_400_and_unknown_session_404);
    tcase_add_test(t, http_bad_initialize_gets_its_own_error_and_no_session);
    tcase_add_test(t, http_refuses_bad_accept_406_content_type_415_and_big_body_413);
    tcase_add_test(t, http_malformed_json_gets_400_with_jsonrpc_error);
    tcase_add_test(t, http_foreign_origin_and_host_get_403);
    tcase_add_test(t, http_allowed_origins_list_is_exact);
    tcase_add_test(t, http_progress_turns_answer_into_sse_with_priming_event);
    tcase_add_test(t, http_last_event_id_replays_the_rest_of_a_stream);
    tcase_add_test(t, http_closed_stream_resumes_with_get_and_last_event_id);
    tcase_add_test(t, http_sampling_round_trip_over_the_request_stream);
    tcase_add_test(t, http_delete_ends_session_and_get_opens_notification_stream);
    tcase_add_test(t, http_session_cap_refuses_with_503_until_one_expires);
    tcase_add_test(t, http_stateless_mode_needs_no_session_and_refuses_get_delete);
    tcase_add_test(t, http_client_disconnect_cancels_stateless_request);
    tcase_add_test(t, http_client_disconnect_cancels_unresumable_request_in_session);
    tcase_add_test(t, http_2026_validates_mirrored_headers);
    tcase_add_test(t, http_2026_header_without_its_meta_is_refused_not_served_as_2025);
    tcase_add_test(t, http_listen_stream_carries_changes_and_stop_ends_it_cleanly);
    tcase_add_test(t, http_auth_gives_401_with_www_authenticate_and_403_for_scope);
    tcase_add_test(t, http_non_loopback_without_auth_refuses_to_start);
    tcase_add_test(t, http_ops_endpoints_admission_and_gzip);
    tcase_add_test(t, http_metrics_need_credentials_beyond_loopback);
    tcase_add_test(t, http_survives_allocation_failures);
    tcase_add_test(t, http_stop_lets_running_requests_finish_and_run_returns_ok);
    tcase_add_test(t, http_stop_cancels_requests_past_the_grace_period);
    tcase_add_test(t, http_tls_serves_and_reload_swaps_cert_without_dropping_connections);
    tcase_add_test(t, http_tls_client_ca_requires_a_client_certificate);
    tcase_add_test(t, http_read_deadline_cuts_a_dripping_client_but_not_streams_or_running_calls);
    tcase_add_test(t, http_caps_connections_per_address_at_256_by_default);
    tcase_add_test(t, http_gzips_large_mcp_answers_and_leaves_small_ones_plain);
    tcase_add_test(t, http_headers_over_the_limit_get_431);
    tcase_add_test(t, http_header_filling_the_pool_is_counted_and_the_server_keeps_serving);
    tcase_add_test(t, http_refuses_ambiguous_framing_and_duplicate_credentials_with_400);
    tcase_add_test(t, http_forwarded_for_lines_reach_the_address_rule_as_one_list);
    tcase_add_test(t, http_preflight_allows_the_param_headers_a_tool_declares);
    tcase_add_test(t, http_replay_buffer_evicts_oldest_and_resumes_after_what_is_left);
    tcase_add_test(t, http_health_stays_reachable_with_mcp_connections_at_the_limit);
    tcase_add_test(t, http_answers_during_the_drain_close_their_connection);
    tcase_add_test(t, http_one_caller_cannot_take_every_session);
    tcase_add_test(t, http_anonymous_callers_share_sessions_by_address);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_ALL);
    pcfmcp_global_init();
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    pcfmcp_global_cleanup();
    curl_global_cleanup();
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
