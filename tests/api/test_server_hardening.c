/* The server's hardening wiring end to end, in process: a server serving
 * stdio over pipes, with host tools that call the fake PCF exactly as the
 * PCF toolset does (a per-call context built from the request). Covers rate
 * limits, tool timeout, audit, metrics, SIGHUP-style reload, traced calls
 * reaching a fake collector, the read cache, and stopping during a slow PCF
 * call. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <check.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <pcfmcp/pcfmcp.h>

#include "helpers/fakepcf.h"
#include "helpers/otlpsink.h"
#include "helpers/promtext.h"
#include "pcf/client.h"
#include "server/guards.h"

/* Internal test hook of lib/core/alloc.c. */
long pcfmcp__alloc_fail_after(long n);

#define TOKEN "11111111-2222-4333-8444-555555555555"
#define PARENT "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01"

/* ------------------------------------------------------------ harness */

typedef struct {
    pcfmcp_server_t *s;
    int to_srv, from_srv, srv_in, srv_out;
    FILE *rd;
    pthread_t th;
    pcfmcp_error_t rc;
    bool running;
} srv;

static char tmpdir[64];
static char audit_path[128];
static fakepcf_t *fake;
static pcfmcp_pcf_t *pcf;
static char project[40];

static pthread_mutex_t loglock = PTHREAD_MUTEX_INITIALIZER;
static char logbuf[1 << 18];
static size_t loglen;

static void log_sink(pcfmcp_log_level_t level, const char *line, size_t len, void *ud)
{
    (void)level;
    (void)ud;
    pthread_mutex_lock(&loglock);
    if (loglen + len + 2 < sizeof(logbuf)) {
        memcpy(logbuf + loglen, line, len);
        loglen += len;
        logbuf[loglen++] = '\n';
        logbuf[loglen] = '\0';
    }
    pthread_mutex_unlock(&loglock);
}

static bool log_has(const char *needle)
{
    pthread_mutex_lock(&loglock);
    bool r = strstr(logbuf, needle) != NULL;
    pthread_mutex_unlock(&loglock);
    return r;
}

static pcfmcp_config_t *base_config(void)
{
    pcfmcp_config_t *c = NULL;
    ck_assert_int_eq(pcfmcp_config_new(&c), PCFMCP_OK);
    pcfmcp_config_set(c, "audit.file", audit_path, PCFMCP_CONFIG_API);
    pcfmcp_config_set(c, "mcp.workers", "4", PCFMCP_CONFIG_API);
    return c;
}

static void *run_thread(void *arg)
{
    srv *v = arg;
    v->rc = pcfmcp_server_run(v->s);
    return NULL;
}

typedef void (*add_tools_fn)(pcfmcp_server_t *s);

static void srv_start(srv *v, pcfmcp_config_t *cfg, add_tools_fn add)
{
    memset(v, 0, sizeof(*v));
    int a[2], b[2];
    ck_assert_int_eq(pipe2(a, O_CLOEXEC), 0);
    ck_assert_int_eq(pipe2(b, O_CLOEXEC), 0);
    pcfmcp_error_t rc = pcfmcp_server_new(&v->s, cfg);
    ck_assert_msg(rc == PCFMCP_OK, "server_new: %s", pcfmcp_server_errmsg(v->s));
    pcfmcp_config_free(cfg);
    loglen = 0;
    logbuf[0] = '\0';
    pcfmcp_logger_set_sink(pcfmcp_server_logger(v->s), log_sink, NULL);
    pcfmcp__server_set_stdio_fds(v->s, a[0], b[1]);
    v->to_srv = a[1];
    v->from_srv = b[0];
    v->rd = fdopen(b[0], "r");
    if (add)
        add(v->s);
    if (pcf)
        ck_assert_int_eq(pcfmcp_server_attach_pcf(v->s, pcf), PCFMCP_OK);
    v->srv_in = a[0];
    v->srv_out = b[1];
    ck_assert_int_eq(pthread_create(&v->th, NULL, run_thread, v), 0);
    v->running = true;
}

static void srv_send(srv *v, const char *json)
{
    size_t n = strlen(json);
    ck_assert_int_eq(write(v->to_srv, json, n), (ssize_t)n);
    ck_assert_int_eq(write(v->to_srv, "\n", 1), 1);
}

/* Next message from the server, parsed; NULL after 15 s or at EOF. */
static cJSON *srv_recv(srv *v)
{
    struct pollfd p = { .fd = fileno(v->rd), .events = POLLIN };
    static char line[1 << 20];
    if (poll(&p, 1, 15000) <= 0)
        return NULL;
    if (!fgets(line, sizeof(line), v->rd))
        return NULL;
    return cJSON_Parse(line);
}

/* The response to request id @p id (notifications in between are skipped). */
static cJSON *srv_reply(srv *v, int id)
{
    for (int i = 0; i < 100; i++) {
        cJSON *m = srv_recv(v);
        if (!m)
            return NULL;
        const cJSON *mid = cJSON_GetObjectItem(m, "id");
        if (cJSON_IsNumber(mid) && mid->valueint == id)
            return m;
        cJSON_Delete(m);
    }
    return NULL;
}

static pcfmcp_error_t srv_finish(srv *v)
{
    if (!v->running)
        return v->rc;
    close(v->to_srv);
    pthread_join(v->th, NULL);
    v->running = false;
    fclose(v->rd);
    pcfmcp_error_t rc = v->rc;
    pcfmcp_server_free(v->s);
    v->s = NULL;
    close(v->srv_in);
    close(v->srv_out);
    return rc;
}

static void initialize(srv *v)
{
    srv_send(v, "{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{"
                "\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},"
                "\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}");
    cJSON *r = srv_reply(v, 0);
    ck_assert_ptr_nonnull(cJSON_GetObjectItem(r, "result"));
    cJSON_Delete(r);
    srv_send(v, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/initialized\"}");
}

static cJSON *call(srv *v, int id, const char *tool, const char *meta)
{
    char msg[1024];
    snprintf(msg, sizeof(msg),
             "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"tools/call\",\"params\":{\"name\":\"%s\","
             "\"arguments\":{\"project_id\":\"%s\"}%s%s%s}}",
             id, tool, project, meta ? ",\"_meta\":" : "", meta ? meta : "", "");
    srv_send(v, msg);
    return srv_reply(v, id);
}

static const char *text_of(const cJSON *r)
{
    const cJSON *c = cJSON_GetObjectItem(cJSON_GetObjectItem(r, "result"), "content");
    const cJSON *t = cJSON_GetObjectItem(cJSON_GetArrayItem(c, 0), "text");
    return cJSON_IsString(t) ? t->valuestring : "";
}

static bool is_tool_error(const cJSON *r)
{
    return cJSON_IsTrue(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "result"), "isError"));
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "r");
    if (!f)
        return strdup("");
    static char buf[1 << 20];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    buf[n] = '\0';
    fclose(f);
    return strdup(buf);
}

static char *metrics_text(pcfmcp_server_t *s)
{
    char *t = NULL;
    ck_assert_int_eq(pcfmcp_metrics_render(pcfmcp_server_metrics(s), &t, NULL), PCFMCP_OK);
    char err[256];
    if (promtext_validate(t, err, sizeof(err)) != 0)
        ck_abort_msg("invalid exposition: %s", err);
    return t;
}

static double metric_now(pcfmcp_server_t *s, const char *series)
{
    char *t = metrics_text(s);
    double v = -1;
    promtext_value(t, series, &v);
    pcfmcp_free(t);
    return v;
}

/* The hooks record a request after its answer is out: a series may lag the
 * reply by a moment, so wait (bounded) for the expected value. */
static double metric_is(pcfmcp_server_t *s, const char *series, double want)
{
    double v = metric_now(s, series);
    for (int i = 0; i < 2500 && v != want; i++) {
        usleep(2000);
        v = metric_now(s, series);
    }
    return v;
}

#define metric(s, series) metric_now(s, series)
#define metric_eq(s, series, want) (metric_is(s, series, want) == (want))

static int pcf_requests(void)
{
    char *body = NULL;
    ck_assert_int_eq(fakepcf_control(fake, "/__fake__/stats", NULL, &body), 200);
    cJSON *j = cJSON_Parse(body);
    free(body);
    int n = cJSON_GetObjectItem(j, "total")->valueint;
    cJSON_Delete(j);
    return n;
}

/* ------------------------------------------------------------ tools */

static pcfmcp_error_t pcf_tool(pcfmcp_ctx_t *ctx, const char *args, size_t len,
                               pcfmcp_result_t *r, void *ud)
{
    pcfmcp__pcf_op op = (pcfmcp__pcf_op)(intptr_t)ud;
    cJSON *a = cJSON_ParseWithLength(args, len);
    if (op == PCFMCP__PCF_OP_HOST_CREATE) {
        static int n;
        char ip[32];
        snprintf(ip, sizeof(ip), "10.0.0.%d", 100 + __atomic_add_fetch(&n, 1, __ATOMIC_SEQ_CST));
        cJSON_AddStringToObject(a, "ip", ip);
    }
    pcfmcp__pcf_callctx cx = { .traceparent = pcfmcp_ctx_traceparent(ctx),
                               .tracestate = pcfmcp_ctx_tracestate(ctx),
                               .cancelled = pcfmcp_ctx_cancel_flag(ctx),
                               .request_id = pcfmcp_ctx_request_id(ctx),
                               .session = pcfmcp_ctx_session_id(ctx),
                               .identity = pcfmcp_ctx_identity(ctx) };
    pcfmcp_pcf_result_t *res = NULL;
    pcfmcp_error_t rc = pcfmcp__pcf_call(pcf, &cx, op, a, &res);
    cJSON_Delete(a);
    if (rc == PCFMCP_OK)
        pcfmcp_result_add_text(r, "ok", 2);
    else
        pcfmcp_result_set_error(r, pcfmcp_pcf_result_message(res));
    pcfmcp_pcf_result_free(res);
    return rc;
}

static pcfmcp_error_t slow_tool(pcfmcp_ctx_t *ctx, const char *args, size_t len,
                                pcfmcp_result_t *r, void *ud)
{
    (void)args;
    (void)len;
    (void)ud;
    for (int i = 0; i < 10000 && !pcfmcp_ctx_is_cancelled(ctx); i++)
        usleep(1000);
    return pcfmcp_result_add_text(r, "late", 4);
}

static void add_tools(pcfmcp_server_t *s)
{
    pcfmcp_engine_t *e = pcfmcp_server_engine(s);
    ck_assert_int_eq(pcfmcp_engine_add_tool(
                         e,
                         "{\"name\":\"pcf_hosts\",\"inputSchema\":{\"type\":\"object\"},"
                         "\"annotations\":{\"readOnlyHint\":true}}",
                         pcf_tool, (void *)(intptr_t)PCFMCP__PCF_OP_HOSTS_LIST),
                     PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_engine_add_tool(
                         e,
                         "{\"name\":\"pcf_add_host\",\"inputSchema\":{\"type\":\"object\"},"
                         "\"annotations\":{\"readOnlyHint\":false}}",
                         pcf_tool, (void *)(intptr_t)PCFMCP__PCF_OP_HOST_CREATE),
                     PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_engine_add_tool(
                         e,
                         "{\"name\":\"slow\",\"inputSchema\":{\"type\":\"object\"},"
                         "\"annotations\":{\"readOnlyHint\":true}}",
                         slow_tool, NULL),
                     PCFMCP_OK);
}

/* ------------------------------------------------------------ fixture */

static void setup(void)
{
    snprintf(tmpdir, sizeof(tmpdir), "/tmp/pcfmcp-srv-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    snprintf(audit_path, sizeof(audit_path), "%s/audit.jsonl", tmpdir);
    ck_assert_int_eq(pcfmcp_global_init(), PCFMCP_OK);
    const char *args[] = { "--seed", "minimal", "--token", TOKEN, NULL };
    ck_assert_int_eq(fakepcf_start(&fake, args), 0);
    ck_assert_int_eq(pcfmcp_pcf_new(&pcf, fakepcf_url(fake), NULL), PCFMCP_OK);
    pcfmcp_pcf_set_token(pcf, TOKEN);
    pcfmcp_pcf_set_retry(pcf, 1, 5, 20);
    pcfmcp_pcf_result_t *r = NULL;
    ck_assert_int_eq(pcfmcp_pcf_projects_list(pcf, &r), PCFMCP_OK);
    cJSON *j = cJSON_Parse(pcfmcp_pcf_result_json(r, NULL));
    const cJSON *id = cJSON_GetObjectItem(
        cJSON_GetArrayItem(cJSON_GetObjectItem(j, "projects"), 0), "id");
    ck_assert(cJSON_IsString(id));
    snprintf(project, sizeof(project), "%s", id->valuestring);
    cJSON_Delete(j);
    pcfmcp_pcf_result_free(r);
}

static void teardown(void)
{
    pcfmcp_pcf_free(pcf);
    pcf = NULL;
    fakepcf_stop(fake);
    fake = NULL;
    pcfmcp_global_cleanup();
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf '%s'", tmpdir);
    ck_assert_int_eq(system(cmd), 0);
}

/* ------------------------------------------------------------ tests */

static int path_count(const char *path)
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

/* pcf.channels is applied to the client the server builds from pcf.*: with
 * only a token, creating an issue needs the web session by default; forced
 * to API v1 (with the opt-in) the same tool call reaches issues/create. */
static int create_issue_via_config(const char *channels, cJSON **reply)
{
    pcfmcp_config_t *c = base_config();
    pcfmcp_config_set(c, "pcf.url", fakepcf_url(fake), PCFMCP_CONFIG_API);
    pcfmcp_config_set(c, "pcf.token", TOKEN, PCFMCP_CONFIG_API);
    if (channels) {
        ck_assert_int_eq(pcfmcp_config_set(c, "pcf.channels", channels, PCFMCP_CONFIG_API),
                         PCFMCP_OK);
        ck_assert_int_eq(pcfmcp_config_set(c, "pcf.allow_api_issue_writes", "true",
                                           PCFMCP_CONFIG_API),
                         PCFMCP_OK);
    }
    pcfmcp_pcf_t *own = pcf;
    pcf = NULL; /* the server must use the client it builds from its configuration */
    srv v;
    srv_start(&v, c, NULL);
    pcf = own;
    initialize(&v);
    char path[128];
    snprintf(path, sizeof(path), "/api/v1/project/%s/issues/create", project);
    int before = path_count(path);
    char msg[512];
    snprintf(msg, sizeof(msg),
             "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/call\",\"params\":{"
             "\"name\":\"create_issue\",\"arguments\":{\"project\":\"%s\","
             "\"name\":\"Channel test\"}}}",
             project);
    srv_send(&v, msg);
    *reply = srv_reply(&v, 5);
    ck_assert_ptr_nonnull(*reply);
    ck_assert_int_eq(srv_finish(&v), PCFMCP_OK);
    return path_count(path) - before;
}

START_TEST(pcf_channels_from_the_configuration_reach_the_client)
{
    cJSON *r = NULL;
    /* A token only and the default channel: create_issue cannot work, so it
     * is not offered, and calling it says which setting would bring it. */
    ck_assert_int_eq(create_issue_via_config(NULL, &r), 0);
    const cJSON *reason =
        cJSON_GetObjectItem(cJSON_GetObjectItem(cJSON_GetObjectItem(r, "error"), "data"), "reason");
    ck_assert_msg(cJSON_IsString(reason) && strstr(reason->valuestring, "web session") &&
                      strstr(reason->valuestring, "pcf.allow_api_issue_writes=true"),
                  "default: %s", cJSON_PrintUnformatted(r));
    cJSON_Delete(r);
    ck_assert_int_eq(create_issue_via_config("issues_write=api", &r), 1);
    ck_assert_msg(!is_tool_error(r), "forced to api: %s", text_of(r));
    cJSON_Delete(r);
}
END_TEST

/* The stdio client is the one local user who started the server, held to
 * the workers' pace by back-pressure: the per-caller and global request
 * limits are for HTTP crowds and do not apply to it unless asked for
 * (19,931 of 20,000 pipelined tools/list were refused before). */
START_TEST(stdio_client_is_not_rate_limited_by_default)
{
    pcfmcp_config_t *c = base_config();
    pcfmcp_config_set(c, "rate_limit.requests_per_second", "0.01", PCFMCP_CONFIG_API);
    pcfmcp_config_set(c, "rate_limit.burst", "3", PCFMCP_CONFIG_API);
    srv v;
    srv_start(&v, c, add_tools);
    initialize(&v);
    for (int i = 1; i <= 10; i++) {
        char m[128];
        snprintf(m, sizeof(m), "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"tools/list\"}", i);
        srv_send(&v, m);
    }
    for (int i = 1; i <= 10; i++) {
        cJSON *r = srv_reply(&v, i);
        ck_assert_msg(cJSON_GetObjectItem(r, "result"), "request %d refused", i);
        cJSON_Delete(r);
    }
    ck_assert(metric(v.s, "pcf_mcp_rate_limited_total") == 0);
    ck_assert_int_eq(srv_finish(&v), PCFMCP_OK);
}
END_TEST

START_TEST(stdio_requests_beyond_the_burst_are_refused_with_a_retry_time)
{
    pcfmcp_config_t *c = base_config();
    ck_assert_int_eq(pcfmcp_config_set(c, "rate_limit.stdio", "true", PCFMCP_CONFIG_API),
                     PCFMCP_OK);
    pcfmcp_config_set(c, "rate_limit.requests_per_second", "0.01", PCFMCP_CONFIG_API);
    pcfmcp_config_set(c, "rate_limit.burst", "3", PCFMCP_CONFIG_API);
    srv v;
    srv_start(&v, c, add_tools);
    initialize(&v); /* exempt */
    for (int i = 1; i <= 3; i++) {
        char m[128];
        snprintf(m, sizeof(m), "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"tools/list\"}", i);
        srv_send(&v, m);
        cJSON *r = srv_reply(&v, i);
        ck_assert_ptr_nonnull(cJSON_GetObjectItem(r, "result"));
        cJSON_Delete(r);
    }
    cJSON *r = call(&v, 4, "pcf_hosts", NULL);
    ck_assert(is_tool_error(r));
    /* One token every 100 s, the bucket empty: about 100 s to wait, less
     * the time the three answered requests took (long under valgrind). */
    const char *why = strstr(text_of(r), "Rate limit exceeded. Retry after ");
    ck_assert_ptr_nonnull(why);
    double wait_s = strtod(why + strlen("Rate limit exceeded. Retry after "), NULL);
    ck_assert_msg(wait_s > 80.0 && wait_s <= 100.0, "retry after %.1f s", wait_s);
    cJSON_Delete(r);
    srv_send(&v, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"tools/list\"}");
    r = srv_reply(&v, 5);
    const cJSON *e = cJSON_GetObjectItem(r, "error");
    ck_assert_int_eq(cJSON_GetObjectItem(e, "code")->valueint, -32001);
    ck_assert_ptr_nonnull(strstr(cJSON_GetObjectItem(e, "message")->valuestring, "Retry after"));
    cJSON_Delete(r);
    srv_send(&v, "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"ping\"}"); /* exempt */
    r = srv_reply(&v, 6);
    ck_assert_ptr_nonnull(cJSON_GetObjectItem(r, "result"));
    cJSON_Delete(r);
    ck_assert(metric(v.s, "pcf_mcp_rate_limited_total") == 2);
    ck_assert(metric_eq(v.s, "pcf_mcp_requests_total{method=\"tools/list\",status=\"refused\"}",
                        1));
    ck_assert(metric_eq(v.s, "pcf_mcp_tool_calls_total{tool=\"pcf_hosts\",outcome=\"refused\"}",
                        1));
    /* All seven requests, answered, refused and exempt alike, under the
     * stdio caller's fixed label rather than its user name. */
    ck_assert(metric_eq(v.s, "pcf_mcp_identity_requests_total{identity=\"local\"}", 7));
    ck_assert_int_eq(srv_finish(&v), PCFMCP_OK);
    char *audit = read_all(audit_path);
    ck_assert_ptr_nonnull(strstr(audit, "\"event\":\"refusal\",\"identity\":\"local:"));
    ck_assert_ptr_nonnull(strstr(audit, "\"tool\":\"tools/list\""));
    ck_assert_ptr_nonnull(strstr(audit, "\"outcome\":\"refused\""));
    ck_assert_ptr_nonnull(strstr(audit, "\"detail\":\"rate limited\""));
    free(audit);
}
END_TEST

START_TEST(tools_that_change_data_have_their_own_lower_limit)
{
    pcfmcp_config_t *c = base_config();
    pcfmcp_config_set(c, "rate_limit.write_requests_per_second", "0.01", PCFMCP_CONFIG_API);
    pcfmcp_config_set(c, "rate_limit.write_burst", "1", PCFMCP_CONFIG_API);
    srv v;
    srv_start(&v, c, add_tools);
    initialize(&v);
    cJSON *r = call(&v, 1, "pcf_add_host", NULL);
    ck_assert_msg(!is_tool_error(r), "%s", text_of(r));
    cJSON_Delete(r);
    r = call(&v, 2, "pcf_add_host", NULL);
    ck_assert(is_tool_error(r));
    ck_assert_ptr_nonnull(strstr(text_of(r), "tools that change data"));
    cJSON_Delete(r);
    r = call(&v, 3, "pcf_hosts", NULL); /* reads are not charged to it */
    ck_assert(!is_tool_error(r));
    cJSON_Delete(r);
    ck_assert_int_eq(srv_finish(&v), PCFMCP_OK);
}
END_TEST

START_TEST(tool_timeout_from_the_configuration_cancels_and_is_audited)
{
    pcfmcp_config_t *c = base_config();
    pcfmcp_config_set(c, "tools.timeout", "50ms", PCFMCP_CONFIG_API);
    pcfmcp_config_set(c, "audit.args", "redacted", PCFMCP_CONFIG_API);
    srv v;
    srv_start(&v, c, add_tools);
    initialize(&v);
    cJSON *r = call(&v, 1, "slow", NULL);
    ck_assert(is_tool_error(r));
    ck_assert_ptr_nonnull(strstr(text_of(r), "timed out after 50 ms"));
    cJSON_Delete(r);
    ck_assert(metric_eq(v.s, "pcf_mcp_tool_calls_total{tool=\"slow\",outcome=\"timeout\"}", 1));
    /* The Go server's names count the same call. */
    ck_assert(metric_eq(v.s, "pcf_mcp_tool_executions_total{tool=\"slow\",status=\"timeout\"}", 1));
    ck_assert(metric_eq(v.s, "pcf_mcp_tool_errors_total{tool=\"slow\"}", 1));
    ck_assert_int_eq(srv_finish(&v), PCFMCP_OK);
    char *audit = read_all(audit_path);
    ck_assert_ptr_nonnull(strstr(audit, "\"tool\":\"slow\""));
    ck_assert_ptr_nonnull(strstr(audit, "\"outcome\":\"timeout\""));
    char want[128];
    snprintf(want, sizeof(want), "\"targets\":{\"project_id\":\"%s\"}", project);
    ck_assert_ptr_nonnull(strstr(audit, want));
    free(audit);
}
END_TEST

START_TEST(reload_applies_all_or_nothing_and_names_what_needs_a_restart)
{
    /* The per-caller limit of the stdio client shows the reload at work. */
    pcfmcp_config_t *c = base_config();
    pcfmcp_config_set(c, "rate_limit.stdio", "true", PCFMCP_CONFIG_API);
    srv v;
    srv_start(&v, c, add_tools);
    initialize(&v);
    pcfmcp_config_t *n = base_config();
    pcfmcp_config_set(n, "rate_limit.stdio", "true", PCFMCP_CONFIG_API);
    pcfmcp_config_set(n, "log.level", "debug", PCFMCP_CONFIG_API);
    pcfmcp_config_set(n, "rate_limit.burst", "1", PCFMCP_CONFIG_API);
    pcfmcp_config_set(n, "rate_limit.requests_per_second", "0.01", PCFMCP_CONFIG_API);
    pcfmcp_config_set(n, "tracing.service_name", "renamed", PCFMCP_CONFIG_API);
    ck_assert_int_eq(pcfmcp_server_reload(v.s, n), PCFMCP_OK);
    pcfmcp_config_free(n);
    ck_assert_int_eq(pcfmcp_logger_get_level(pcfmcp_server_logger(v.s)), PCFMCP_LOG_DEBUG);
    ck_assert(log_has("needs a restart, not applied: tracing.service_name"));
    ck_assert(log_has("reload applied; changed: log.level, rate_limit.requests_per_second, "
                      "rate_limit.burst"));
    /* The new burst is live. */
    cJSON *r = call(&v, 1, "pcf_hosts", NULL);
    ck_assert(!is_tool_error(r));
    cJSON_Delete(r);
    r = call(&v, 2, "pcf_hosts", NULL);
    ck_assert(is_tool_error(r));
    cJSON_Delete(r);

    /* A reload with one bad value changes nothing at all. */
    n = base_config();
    pcfmcp_config_set(n, "rate_limit.stdio", "true", PCFMCP_CONFIG_API);
    pcfmcp_config_set(n, "log.level", "error", PCFMCP_CONFIG_API);
    pcfmcp_config_set(n, "rate_limit.burst", "50", PCFMCP_CONFIG_API);
    pcfmcp_config_set(n, "rate_limit.trusted_proxies", "10.0.0.0/99", PCFMCP_CONFIG_API);
    ck_assert_int_eq(pcfmcp_server_reload(v.s, n), PCFMCP_ERR_CONFIG);
    pcfmcp_config_free(n);
    ck_assert(log_has("reload refused, nothing changed: api: rate_limit.trusted_proxies"));
    ck_assert_int_eq(pcfmcp_logger_get_level(pcfmcp_server_logger(v.s)), PCFMCP_LOG_DEBUG);
    r = call(&v, 3, "pcf_hosts", NULL);
    ck_assert(is_tool_error(r)); /* still the burst of 1 */
    cJSON_Delete(r);
    ck_assert_int_eq(srv_finish(&v), PCFMCP_OK);
}
END_TEST

/* The args_hmac of the record with request id @p rid in @p text, into out[65]. */
static bool args_hmac_of(const char *text, int rid, char out[65])
{
    char want[64];
    snprintf(want, sizeof(want), "\"request_id\":\"%d\"", rid);
    const char *line = strstr(text, want);
    while (line && line > text && line[-1] != '\n')
        line--;
    const char *h = line ? strstr(line, "\"args_hmac\":\"") : NULL;
    const char *eol = line ? strchr(line, '\n') : NULL;
    if (!h || (eol && h > eol))
        return false;
    snprintf(out, 65, "%.64s", h + strlen("\"args_hmac\":\""));
    return strlen(out) == 64;
}

START_TEST(audit_digests_are_keyed_with_the_configured_key)
{
    char keyfile[200], digest_want[65], digest_got[65];
    snprintf(keyfile, sizeof(keyfile), "%s/args.key", tmpdir);
    FILE *f = fopen(keyfile, "w");
    fputs("5f1e8c2d0a9b47e3b6c4d2e1f0a9b8c7\n", f);
    fclose(f);
    pcfmcp_config_t *c = base_config();
    pcfmcp_config_set(c, "audit.args_key_file", keyfile, PCFMCP_CONFIG_API);
    srv v;
    srv_start(&v, c, add_tools);
    initialize(&v);
    cJSON_Delete(call(&v, 31, "pcf_hosts", NULL));
    ck_assert_int_eq(srv_finish(&v), PCFMCP_OK);
    char *audit = read_all(audit_path);
    ck_assert_msg(args_hmac_of(audit, 31, digest_got), "%s", audit);
    free(audit);
    /* What a trail keyed the same way says of the same arguments (the
     * file's trailing newline is not part of the key). */
    pcfmcp_audit_t *au = NULL;
    ck_assert_int_eq(pcfmcp_audit_new(&au), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_audit_set_args_key(au, "5f1e8c2d0a9b47e3b6c4d2e1f0a9b8c7", 32), PCFMCP_OK);
    char args[128], *d = NULL;
    snprintf(args, sizeof(args), "{\"project_id\":\"%s\"}", project);
    ck_assert_int_eq(pcfmcp_audit_args_digest(au, args, strlen(args), &d), PCFMCP_OK);
    snprintf(digest_want, sizeof(digest_want), "%s", d);
    pcfmcp_free(d);
    pcfmcp_audit_free(au);
    ck_assert_str_eq(digest_got, digest_want);
    /* A key too short to be one is refused with the key named. */
    f = fopen(keyfile, "w");
    fputs("short\n", f);
    fclose(f);
    c = base_config();
    pcfmcp_config_set(c, "audit.args_key_file", keyfile, PCFMCP_CONFIG_API);
    pcfmcp_server_t *bad = NULL;
    ck_assert_int_eq(pcfmcp_server_new(&bad, c), PCFMCP_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(pcfmcp_server_errmsg(bad), "audit.args_key_file"));
    pcfmcp_server_free(bad);
    pcfmcp_config_free(c);
    unlink(keyfile);
}
END_TEST

START_TEST(reload_reopens_the_audit_file_after_rotation)
{
    pcfmcp_config_t *c = base_config();
    srv v;
    srv_start(&v, c, add_tools);
    initialize(&v);
    cJSON *r = call(&v, 1, "pcf_hosts", NULL);
    cJSON_Delete(r);
    /* The record is written just after the answer: rotate once it is there. */
    for (int i = 0; i < 2500; i++) {
        char *now = read_all(audit_path);
        bool there = strstr(now, "\"request_id\":\"1\"") != NULL;
        free(now);
        if (there)
            break;
        usleep(2000);
    }
    char rotated[200];
    snprintf(rotated, sizeof(rotated), "%s.1", audit_path);
    ck_assert_int_eq(rename(audit_path, rotated), 0);
    pcfmcp_config_t *n = base_config();
    ck_assert_int_eq(pcfmcp_server_reload(v.s, n), PCFMCP_OK);
    pcfmcp_config_free(n);
    r = call(&v, 2, "pcf_hosts", NULL);
    cJSON_Delete(r);
    ck_assert_int_eq(srv_finish(&v), PCFMCP_OK);
    char *old = read_all(rotated), *now = read_all(audit_path);
    ck_assert_ptr_nonnull(strstr(old, "\"request_id\":\"1\""));
    ck_assert_ptr_null(strstr(old, "\"request_id\":\"2\""));
    ck_assert_ptr_nonnull(strstr(now, "\"request_id\":\"2\""));
    /* The key drawn at start outlives the reload's new trail: the same
     * arguments still have the same digest. */
    char h1[65], h2[65];
    ck_assert(args_hmac_of(old, 1, h1));
    ck_assert(args_hmac_of(now, 2, h2));
    ck_assert_str_eq(h1, h2);
    free(old);
    free(now);
}
END_TEST

START_TEST(traced_call_reaches_the_collector_with_the_right_parents)
{
    otlpsink *sink = otlpsink_start(200);
    pcfmcp_config_t *c = base_config();
    pcfmcp_config_set(c, "tracing.enabled", "true", PCFMCP_CONFIG_API);
    pcfmcp_config_set(c, "tracing.endpoint", otlpsink_url(sink), PCFMCP_CONFIG_API);
    pcfmcp_config_set(c, "tracing.sample_ratio", "0.001", PCFMCP_CONFIG_API);
    srv v;
    srv_start(&v, c, add_tools);
    initialize(&v);
    cJSON *r = call(&v, 7, "pcf_hosts", "{\"traceparent\":\"" PARENT "\"}");
    ck_assert_msg(!is_tool_error(r), "%s", text_of(r));
    cJSON_Delete(r);
    ck_assert_int_eq(srv_finish(&v), PCFMCP_OK); /* shutdown flushes the spans */
    cJSON *spans = otlpsink_spans(sink);
    const cJSON *req = otlpsink_find(spans, "tools/call");
    const cJSON *tool = otlpsink_find(spans, "tool pcf_hosts");
    const cJSON *pc = otlpsink_find(spans, "PCF hosts_list");
    ck_assert_ptr_nonnull(req);
    ck_assert_ptr_nonnull(tool);
    ck_assert_ptr_nonnull(pc);
#define S(o, k) cJSON_GetObjectItem(o, k)->valuestring
    ck_assert_str_eq(S(req, "traceId"), "0af7651916cd43dd8448eb211c80319c");
    ck_assert_str_eq(S(tool, "traceId"), "0af7651916cd43dd8448eb211c80319c");
    ck_assert_str_eq(S(pc, "traceId"), "0af7651916cd43dd8448eb211c80319c");
    ck_assert_str_eq(S(req, "parentSpanId"), "b7ad6b7169203331");
    ck_assert_str_eq(S(tool, "parentSpanId"), S(req, "spanId"));
    ck_assert_str_eq(S(pc, "parentSpanId"), S(tool, "spanId"));
    ck_assert_str_eq(S(req, "_service"), "pcf-mcp");
#undef S
    /* The initialize of that session was sampled out (a root at 0.001), or
     * exported as its own trace: never a child of the client's span. */
    cJSON_Delete(spans);
    otlpsink_stop(sink);
}
END_TEST

START_TEST(cache_answers_repeated_reads_and_a_write_invalidates_them)
{
    pcfmcp_config_t *c = base_config();
    pcfmcp_config_set(c, "cache.enabled", "true", PCFMCP_CONFIG_API);
    srv v;
    srv_start(&v, c, add_tools);
    initialize(&v);
    int before = pcf_requests();
    cJSON *r = call(&v, 1, "pcf_hosts", NULL);
    cJSON_Delete(r);
    r = call(&v, 2, "pcf_hosts", NULL);
    cJSON_Delete(r);
    ck_assert_int_eq(pcf_requests(), before + 1);
    r = call(&v, 3, "pcf_add_host", NULL);
    ck_assert(!is_tool_error(r));
    cJSON_Delete(r);
    r = call(&v, 4, "pcf_hosts", NULL);
    cJSON_Delete(r);
    ck_assert_int_eq(pcf_requests(), before + 3);
    ck_assert(metric(v.s, "pcf_mcp_cache_hits_total") == 1);
    ck_assert(metric(v.s, "pcf_mcp_cache_misses_total") == 2);
    ck_assert(metric(v.s, "pcf_mcp_pcf_requests_total{endpoint=\"hosts_list\",code=\"200\"}") ==
              2);
    ck_assert_int_eq(srv_finish(&v), PCFMCP_OK);
}
END_TEST

START_TEST(stop_during_a_slow_pcf_call_lets_it_finish_within_the_grace)
{
    pcfmcp_config_t *c = base_config();
    pcfmcp_config_set(c, "server.shutdown_grace", "20s", PCFMCP_CONFIG_API);
    srv v;
    srv_start(&v, c, add_tools);
    initialize(&v);
    ck_assert_int_eq(fakepcf_control(fake, "/__fake__/faults",
                                     "{\"mode\":\"latency\",\"latency_ms\":400,\"path\":\"/hosts$\"}",
                                     NULL),
                     200);
    int before = pcf_requests();
    char msg[512];
    snprintf(msg, sizeof(msg),
             "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/call\",\"params\":{\"name\":"
             "\"pcf_hosts\",\"arguments\":{\"project_id\":\"%s\"}}}",
             project);
    srv_send(&v, msg);
    while (pcf_requests() == before) /* the request reached PCF and sleeps there */
        usleep(2000);
    pcfmcp_server_stop(v.s); /* what SIGTERM does */
    ck_assert_int_eq(pcfmcp__server_ready(v.s), 0);
    double wait = 0;
    ck_assert_int_eq(pcfmcp__server_admit(v.s, "x", "127.0.0.1", &wait), PCFMCP_ERR_UNAVAILABLE);
    cJSON *r = srv_reply(&v, 9);
    ck_assert_ptr_nonnull(r);
    ck_assert_msg(!is_tool_error(r), "%s", text_of(r));
    cJSON_Delete(r);
    ck_assert_int_eq(srv_finish(&v), PCFMCP_OK); /* a clean drain */
}
END_TEST

START_TEST(stop_with_a_call_outlasting_the_grace_reports_an_unclean_drain)
{
    pcfmcp_config_t *c = base_config();
    pcfmcp_config_set(c, "server.shutdown_grace", "100ms", PCFMCP_CONFIG_API);
    srv v;
    srv_start(&v, c, add_tools);
    initialize(&v);
    ck_assert_int_eq(fakepcf_control(fake, "/__fake__/faults",
                                     "{\"mode\":\"hang\",\"path\":\"/hosts$\"}", NULL),
                     200);
    int before = pcf_requests();
    char msg[512];
    snprintf(msg, sizeof(msg),
             "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"tools/call\",\"params\":{\"name\":"
             "\"pcf_hosts\",\"arguments\":{\"project_id\":\"%s\"}}}",
             project);
    srv_send(&v, msg);
    while (pcf_requests() == before)
        usleep(2000);
    pcfmcp_server_stop(v.s);
    pthread_join(v.th, NULL);
    v.running = false;
    ck_assert_int_eq(v.rc, PCFMCP_ERR_TIMEOUT);
    fclose(v.rd);
    close(v.to_srv);
    pcfmcp_server_free(v.s);
    close(v.srv_in);
    close(v.srv_out);
    fakepcf_control(fake, "/__fake__/faults/clear", "{}", NULL);
}
END_TEST

/* pcf.total_timeout bounds what a tool call waits for PCF, the wait for a
 * free worker included: a call queued behind a busy worker for longer than
 * its whole budget is answered at once, without reaching PCF (it used to
 * start a fresh budget once a worker took it, doubling the wait). */
START_TEST(waiting_for_a_worker_counts_against_the_pcf_budget)
{
    pcfmcp_config_t *c = base_config();
    pcfmcp_config_set(c, "mcp.workers", "1", PCFMCP_CONFIG_API);
    pcfmcp_config_set(c, "pcf.url", fakepcf_url(fake), PCFMCP_CONFIG_API);
    pcfmcp_config_set(c, "pcf.token", TOKEN, PCFMCP_CONFIG_API);
    pcfmcp_config_set(c, "pcf.total_timeout", "300ms", PCFMCP_CONFIG_API);
    pcfmcp_config_set(c, "cache.enabled", "false", PCFMCP_CONFIG_API);
    pcfmcp_pcf_t *own = pcf;
    pcf = NULL; /* the server's own client, the one the PCF toolset uses */
    srv v;
    srv_start(&v, c, add_tools);
    pcf = own;
    initialize(&v);
    int before = path_count("/api/v1/projects");
    /* The only worker is taken; list_projects queues behind it. */
    srv_send(&v, "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/call\",\"params\":{"
                 "\"name\":\"slow\",\"arguments\":{}}}");
    srv_send(&v, "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/call\",\"params\":{"
                 "\"name\":\"list_projects\",\"arguments\":{}}}");
    /* Not a timing check: the queued call's budget has certainly run out. */
    usleep(600 * 1000);
    srv_send(&v, "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{"
                 "\"requestId\":1}}");
    cJSON *r = srv_reply(&v, 2);
    ck_assert_ptr_nonnull(r);
    ck_assert_msg(is_tool_error(r) && strstr(text_of(r), "time budget"), "%s", text_of(r));
    cJSON_Delete(r);
    ck_assert_int_eq(path_count("/api/v1/projects"), before);
    ck_assert_int_eq(srv_finish(&v), PCFMCP_OK);
}
END_TEST

START_TEST(admission_charges_callers_and_picks_client_addresses)
{
    pcfmcp_config_t *c = base_config();
    pcfmcp_config_set(c, "rate_limit.requests_per_second", "0.01", PCFMCP_CONFIG_API);
    pcfmcp_config_set(c, "rate_limit.burst", "2", PCFMCP_CONFIG_API);
    pcfmcp_config_set(c, "rate_limit.trusted_proxies", "10.0.0.0/8", PCFMCP_CONFIG_API);
    pcfmcp_server_t *s = NULL;
    ck_assert_int_eq(pcfmcp_server_new(&s, c), PCFMCP_OK);
    pcfmcp_config_free(c);
    double wait = 0;
    ck_assert_int_eq(pcfmcp__server_admit(s, "alice", "1.2.3.4", &wait), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp__server_admit(s, "alice", "5.6.7.8", &wait), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp__server_admit(s, "alice", "1.2.3.4", &wait), PCFMCP_ERR_RATE_LIMITED);
    ck_assert(wait > 99 && wait <= 100);
    /* Without an identity the address is the caller; it has its own bucket. */
    ck_assert_int_eq(pcfmcp__server_admit(s, NULL, "alice", &wait), PCFMCP_OK);
    char addr[64];
    ck_assert_int_eq(pcfmcp__server_client_address(s, "10.1.1.1", "203.0.113.9", addr,
                                                   sizeof(addr)),
                     PCFMCP_OK);
    ck_assert_str_eq(addr, "203.0.113.9");
    ck_assert_int_eq(pcfmcp__server_client_address(s, "192.0.2.1", "203.0.113.9", addr,
                                                   sizeof(addr)),
                     PCFMCP_OK);
    ck_assert_str_eq(addr, "192.0.2.1");
    pcfmcp__server_observe_http(s, "POST", 200, 0.01, 3);
    pcfmcp__server_observe_http(s, "GET /healthz", 418, 0.01, 2);
    pcfmcp__server_count_auth_failure(s, "invalid");
    pcfmcp__server_count_auth_failure(s, "made-up");
    ck_assert(metric(s, "pcf_mcp_http_requests_total{method=\"POST\",code=\"200\"}") == 1);
    ck_assert(metric(s, "pcf_mcp_http_requests_total{method=\"GET /healthz\",code=\"other\"}") ==
              1);
    ck_assert(metric(s, "pcf_mcp_active_connections") == 2);
    ck_assert(metric(s, "pcf_mcp_auth_failures_total{reason=\"other\"}") == 1);
    ck_assert(metric(s, "pcf_mcp_build_info{version=\"" PCFMCP_VERSION "\"}") == 1);
    ck_assert(metric(s, "pcf_mcp_ready") == 1);
    pcfmcp_server_free(s);
}
END_TEST

START_TEST(http_setup_out_of_memory_is_not_called_a_configuration_error)
{
    /* Authentication and the HTTP transport are set up when the server
     * runs; a failed allocation there used to come back as
     * PCFMCP_ERR_CONFIG, sending operators to a configuration that was fine. */
    char keys[160], *hash = NULL;
    snprintf(keys, sizeof(keys), "%s/keys", tmpdir);
    ck_assert_int_eq(pcfmcp_auth_hash_key("alice-key-0123456789", &hash), PCFMCP_OK);
    FILE *f = fopen(keys, "w");
    ck_assert_ptr_nonnull(f);
    fprintf(f, "alice %s\n", hash);
    fclose(f);
    pcfmcp_free(hash);
    int done = 0;
    for (long n = 0; n < 300 && !done; n++) {
        pcfmcp_config_t *c = base_config();
        pcfmcp_config_set(c, "log.level", "error", PCFMCP_CONFIG_API);
        pcfmcp_config_set(c, "server.transport", "http", PCFMCP_CONFIG_API);
        pcfmcp_config_set(c, "server.port", "0", PCFMCP_CONFIG_API);
        pcfmcp_config_set(c, "pcf.url", fakepcf_url(fake), PCFMCP_CONFIG_API);
        pcfmcp_config_set(c, "auth.api_keys_file", keys, PCFMCP_CONFIG_API);
        pcfmcp_server_t *s = NULL;
        ck_assert_int_eq(pcfmcp_server_new(&s, c), PCFMCP_OK);
        pcfmcp_config_free(c);
        pcfmcp_server_stop(s); /* run sets everything up, then returns */
        pcfmcp__alloc_fail_after(n);
        pcfmcp_error_t rc = pcfmcp_server_run(s);
        long used = pcfmcp__alloc_fail_after(-1);
        ck_assert_msg(rc == PCFMCP_OK || rc == PCFMCP_ERR_NOMEM, "allocation %ld: rc %d: %s", n,
                      rc, pcfmcp_server_errmsg(s));
        done = rc == PCFMCP_OK && used <= n;
        pcfmcp_server_free(s);
    }
    ck_assert(done);
}
END_TEST

static void *serve_http(void *arg)
{
    pcfmcp_server_run(arg);
    return NULL;
}

START_TEST(http_read_timeouts_and_unanswered_closes_are_counted_in_metrics)
{
    /* A port that was free a moment ago: the server has no port accessor. */
    struct sockaddr_in a = { .sin_family = AF_INET };
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof(a);
    int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_eq(bind(l, (struct sockaddr *)&a, sizeof(a)), 0);
    ck_assert_int_eq(getsockname(l, (struct sockaddr *)&a, &alen), 0);
    close(l);
    char port[16];
    snprintf(port, sizeof(port), "%u", (unsigned)ntohs(a.sin_port));
    pcfmcp_config_t *c = base_config();
    pcfmcp_config_set(c, "log.level", "error", PCFMCP_CONFIG_API);
    pcfmcp_config_set(c, "server.transport", "http", PCFMCP_CONFIG_API);
    pcfmcp_config_set(c, "server.port", port, PCFMCP_CONFIG_API);
    pcfmcp_config_set(c, "pcf.url", fakepcf_url(fake), PCFMCP_CONFIG_API);
    ck_assert_int_eq(pcfmcp_config_set(c, "server.request_read_timeout", "1s", PCFMCP_CONFIG_API),
                     PCFMCP_OK);
    pcfmcp_server_t *s = NULL;
    ck_assert_int_eq(pcfmcp_server_new(&s, c), PCFMCP_OK);
    pcfmcp_config_free(c);
    pthread_t th;
    ck_assert_int_eq(pthread_create(&th, NULL, serve_http, s), 0);
    int fd = -1;
    for (int i = 0; i < 500 && fd < 0; i++) {
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (connect(fd, (struct sockaddr *)&a, sizeof(a)) != 0) {
            close(fd);
            fd = -1;
            usleep(10000);
        }
    }
    ck_assert_int_ge(fd, 0);
    ck_assert(metric(s, "pcf_mcp_http_timeouts_total") == 0);
    /* Say nothing: the request never completes, so the deadline closes it. */
    struct pollfd p = { .fd = fd, .events = POLLIN };
    char b[64];
    ck_assert_int_eq(poll(&p, 1, 4000), 1);
    ck_assert_int_le(recv(fd, b, sizeof(b), 0), 0);
    close(fd);
    ck_assert(metric_eq(s, "pcf_mcp_http_timeouts_total", 1));
    /* A header that fills server.max_header_bytes so nearly that the answer's
     * header no longer fits: closed unanswered by libmicrohttpd, and in
     * the metrics (pcfmcp_http_unanswered(), see test_http). More fields
     * than the pool holds get 431, which ends the search. */
    ck_assert(metric(s, "pcf_mcp_http_unanswered_total") == 0);
    static char req[65536], got[4096];
    unsigned closed = 0;
    bool too_large = false;
    for (unsigned fields = 300; fields <= 700 && !too_large; fields++) {
        int n = snprintf(req, sizeof(req), "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                                           "Connection: close\r\nContent-Length: 0\r\n");
        for (unsigned i = 0; i < fields; i++)
            n += snprintf(req + n, sizeof(req) - (size_t)n, "x: 1\r\n");
        n += snprintf(req + n, sizeof(req) - (size_t)n, "\r\n");
        fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        ck_assert_int_eq(connect(fd, (struct sockaddr *)&a, sizeof(a)), 0);
        ck_assert_int_eq(send(fd, req, (size_t)n, MSG_NOSIGNAL), n);
        p.fd = fd;
        size_t have = 0;
        ssize_t k;
        while (have + 1 < sizeof(got) && poll(&p, 1, 4000) == 1 &&
               (k = recv(fd, got + have, sizeof(got) - 1 - have, 0)) > 0)
            have += (size_t)k;
        got[have] = '\0';
        close(fd);
        if (have == 0) {
            closed++;
            ck_assert_msg(metric_eq(s, "pcf_mcp_http_unanswered_total", closed),
                          "%u fields: closed unanswered, not counted", fields);
        } else {
            too_large = strncmp(got, "HTTP/1.1 431 ", 13) == 0;
        }
    }
    ck_assert(too_large);
    ck_assert_uint_gt(closed, 0);
    pcfmcp_server_stop(s);
    pthread_join(th, NULL);
    pcfmcp_server_free(s);
}
END_TEST

/* ------------------------------------------------------------ HTTP server */

typedef struct {
    pcfmcp_server_t *s;
    pthread_t th;
    struct sockaddr_in a;
} hsrv;

/* Serves @p c (taken) over HTTP on a loopback port that was free a moment
 * ago (the server has no port accessor), with the fake PCF as pcf.url. */
static void hsrv_start(hsrv *v, pcfmcp_config_t *c)
{
    memset(v, 0, sizeof(*v));
    v->a.sin_family = AF_INET;
    v->a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof(v->a);
    int l = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    ck_assert_int_eq(bind(l, (struct sockaddr *)&v->a, sizeof(v->a)), 0);
    ck_assert_int_eq(getsockname(l, (struct sockaddr *)&v->a, &alen), 0);
    close(l);
    char port[16];
    snprintf(port, sizeof(port), "%u", (unsigned)ntohs(v->a.sin_port));
    pcfmcp_config_set(c, "server.transport", "http", PCFMCP_CONFIG_API);
    pcfmcp_config_set(c, "server.port", port, PCFMCP_CONFIG_API);
    pcfmcp_config_set(c, "pcf.url", fakepcf_url(fake), PCFMCP_CONFIG_API);
    ck_assert_int_eq(pcfmcp_server_new(&v->s, c), PCFMCP_OK);
    pcfmcp_config_free(c);
    ck_assert_int_eq(pthread_create(&v->th, NULL, serve_http, v->s), 0);
}

/* A connection to the server, once it listens. */
static int hsrv_connect(hsrv *v)
{
    for (int i = 0; i < 500; i++) {
        int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
        if (connect(fd, (struct sockaddr *)&v->a, sizeof(v->a)) == 0)
            return fd;
        close(fd);
        usleep(10000);
    }
    ck_abort_msg("the HTTP server does not listen");
    return -1;
}

/* Everything the server sends on @p fd until it closes (or 10 s pass). */
static char *read_until_close(int fd)
{
    static char buf[1 << 16];
    size_t n = 0;
    for (;;) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        if (poll(&p, 1, 10000) <= 0)
            break;
        ssize_t k = recv(fd, buf + n, sizeof(buf) - 1 - n, 0);
        if (k <= 0)
            break;
        n += (size_t)k;
    }
    buf[n] = '\0';
    return buf;
}

/* GET @p path on a connection of its own; the status, the body in @p body. */
static int hsrv_get(hsrv *v, const char *path, char *body, size_t n)
{
    int fd = hsrv_connect(v);
    char req[256];
    snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n",
             path);
    ck_assert_int_eq(send(fd, req, strlen(req), MSG_NOSIGNAL), (ssize_t)strlen(req));
    const char *resp = read_until_close(fd);
    close(fd);
    int status = 0;
    sscanf(resp, "HTTP/1.%*d %d", &status);
    const char *b = strstr(resp, "\r\n\r\n");
    snprintf(body, n, "%s", b ? b + 4 : "");
    return status;
}

static void hsrv_stop(hsrv *v)
{
    pcfmcp_server_stop(v->s);
    pthread_join(v->th, NULL);
    pcfmcp_server_free(v->s);
}

/* /readyz and pcf_mcp_pcf_up follow PCF through checks made in the
 * background every server.readiness_ttl, whether or not anyone polls:
 * polled less often than twice the TTL, the server used to find its last
 * check overdue and answer "not ready" with PCF healthy. */
START_TEST(pcf_is_checked_in_the_background_whoever_polls)
{
    pcfmcp_config_t *c = base_config();
    pcfmcp_config_set(c, "log.level", "error", PCFMCP_CONFIG_API);
    pcfmcp_config_set(c, "pcf.token", TOKEN, PCFMCP_CONFIG_API);
    pcfmcp_config_set(c, "server.readiness_ttl", "100ms", PCFMCP_CONFIG_API);
    hsrv v;
    hsrv_start(&v, c);
    int before = path_count("/api/v1/check_token");
    /* Nobody polls; three checks reach PCF anyway, two TTLs apart at least. */
    for (int i = 0; i < 1000 && path_count("/api/v1/check_token") < before + 3; i++)
        usleep(10000);
    ck_assert_int_ge(path_count("/api/v1/check_token"), before + 3);
    char body[2048];
    ck_assert_int_eq(hsrv_get(&v, "/readyz", body, sizeof(body)), 200);
    ck_assert_msg(strstr(body, "\"ready\""), "%s", body);
    ck_assert(metric_eq(v.s, "pcf_mcp_pcf_up", 1));
    double at = metric(v.s, "pcf_mcp_pcf_last_check_timestamp_seconds");
    ck_assert_msg(at > time(NULL) - 60 && at <= time(NULL) + 1, "last check at %f", at);
    /* PCF starts refusing: the next checks see it, with nobody asking. */
    ck_assert_int_eq(fakepcf_control(fake, "/__fake__/faults",
                                     "{\"mode\":\"status\",\"status\":503,"
                                     "\"path\":\"check_token\"}",
                                     NULL),
                     200);
    ck_assert(metric_eq(v.s, "pcf_mcp_pcf_up", 0));
    ck_assert_int_eq(hsrv_get(&v, "/readyz", body, sizeof(body)), 503);
    ck_assert_msg(strstr(body, "PCF"), "%s", body);
    ck_assert_int_eq(hsrv_get(&v, "/healthz", body, sizeof(body)), 200);
    hsrv_stop(&v);
    fakepcf_control(fake, "/__fake__/faults/clear", "{}", NULL);
}
END_TEST

static const char INIT_BODY[] =
    "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{"
    "\"protocolVersion\":\"2025-11-25\",\"capabilities\":{},"
    "\"clientInfo\":{\"name\":\"t\",\"version\":\"1\"}}}";

/* POSTs @p body to /mcp on a connection of its own; the status. */
static int hsrv_post(hsrv *v, const char *body, const char *extra_headers)
{
    int fd = hsrv_connect(v);
    char req[2048];
    snprintf(req, sizeof(req),
             "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n"
             "Content-Type: application/json\r\nAccept: application/json, text/event-stream\r\n"
             "%sContent-Length: %zu\r\n\r\n%s",
             extra_headers ? extra_headers : "", strlen(body), body);
    ck_assert_int_eq(send(fd, req, strlen(req), MSG_NOSIGNAL), (ssize_t)strlen(req));
    const char *resp = read_until_close(fd);
    close(fd);
    int status = 0;
    sscanf(resp, "HTTP/1.%*d %d", &status);
    return status;
}

/* A request that never got an answer is not a server error: one the read
 * deadline cut is counted as code="timeout", one whose client hung up as
 * code="aborted". Both used to be counted as 500 and fired the 5xx alert
 * under slowloris. */
START_TEST(http_requests_without_an_answer_are_counted_as_aborted_or_timeout)
{
    pcfmcp_config_t *c = base_config();
    pcfmcp_config_set(c, "log.level", "error", PCFMCP_CONFIG_API);
    /* Long enough that the hang-up below is seen before its deadline,
     * even on a loaded machine under a sanitizer. */
    ck_assert_int_eq(pcfmcp_config_set(c, "server.request_read_timeout", "3s", PCFMCP_CONFIG_API),
                     PCFMCP_OK);
    hsrv v;
    hsrv_start(&v, c);
    static const char head[] = "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                               "Content-Type: application/json\r\n"
                               "Accept: application/json, text/event-stream\r\n"
                               "Content-Length: 100\r\n\r\n{\"jsonrpc\":";
    /* Headers and part of the body, then silence: the deadline cuts it. */
    int slow = hsrv_connect(&v);
    ck_assert_int_eq(send(slow, head, strlen(head), MSG_NOSIGNAL), (ssize_t)strlen(head));
    ck_assert(metric_eq(v.s, "pcf_mcp_http_timeouts_total", 1));
    read_until_close(slow);
    close(slow);
    ck_assert(metric_eq(v.s, "pcf_mcp_http_requests_total{method=\"POST\",code=\"timeout\"}", 1));
    /* The same, but the client hangs up. It asks for 100 Continue and waits
     * for it first: a hang-up that reaches the server together with the
     * request (a loaded machine, valgrind) ends the connection before any
     * request exists, and there is nothing to count. */
    static const char ask[] = "POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                              "Content-Type: application/json\r\n"
                              "Accept: application/json, text/event-stream\r\n"
                              "Expect: 100-continue\r\nContent-Length: 100\r\n\r\n";
    int gone = hsrv_connect(&v);
    ck_assert_int_eq(send(gone, ask, strlen(ask), MSG_NOSIGNAL), (ssize_t)strlen(ask));
    char cont[64] = "";
    ssize_t got = recv(gone, cont, sizeof(cont) - 1, 0);
    ck_assert_msg(got > 0 && strstr(cont, " 100 "), "no 100 Continue: %s", got > 0 ? cont : "");
    close(gone);
    ck_assert(metric_eq(v.s, "pcf_mcp_http_requests_total{method=\"POST\",code=\"aborted\"}", 1));
    double v500 = metric(v.s, "pcf_mcp_http_requests_total{method=\"POST\",code=\"500\"}");
    ck_assert_msg(v500 <= 0, "unanswered requests counted as 500: %f", v500);
    hsrv_stop(&v);
}
END_TEST

/* A session refused at server.max_sessions is a refusal, not an
 * initialize that went well: the engine never runs it. */
START_TEST(session_cap_refusals_are_not_counted_as_successful_initializes)
{
    pcfmcp_config_t *c = base_config();
    pcfmcp_config_set(c, "log.level", "error", PCFMCP_CONFIG_API);
    pcfmcp_config_set(c, "server.max_sessions", "1", PCFMCP_CONFIG_API);
    hsrv v;
    hsrv_start(&v, c);
    ck_assert_int_eq(hsrv_post(&v, INIT_BODY, NULL), 200);
    ck_assert_int_eq(hsrv_post(&v, INIT_BODY, NULL), 503);
    ck_assert(metric_eq(v.s, "pcf_mcp_http_requests_total{method=\"initialize\",code=\"503\"}", 1));
    ck_assert(metric_eq(v.s, "pcf_mcp_http_requests_total{method=\"initialize\",code=\"200\"}", 1));
    ck_assert(metric(v.s, "pcf_mcp_requests_total{method=\"initialize\",status=\"ok\"}") == 1);
    hsrv_stop(&v);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("server-hardening");
    TCase *tc = tcase_create("server");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, stdio_client_is_not_rate_limited_by_default);
    tcase_add_test(tc, stdio_requests_beyond_the_burst_are_refused_with_a_retry_time);
    tcase_add_test(tc, pcf_channels_from_the_configuration_reach_the_client);
    tcase_add_test(tc, tools_that_change_data_have_their_own_lower_limit);
    tcase_add_test(tc, tool_timeout_from_the_configuration_cancels_and_is_audited);
    tcase_add_test(tc, reload_applies_all_or_nothing_and_names_what_needs_a_restart);
    tcase_add_test(tc, reload_reopens_the_audit_file_after_rotation);
    tcase_add_test(tc, audit_digests_are_keyed_with_the_configured_key);
    tcase_add_test(tc, traced_call_reaches_the_collector_with_the_right_parents);
    tcase_add_test(tc, cache_answers_repeated_reads_and_a_write_invalidates_them);
    tcase_add_test(tc, stop_during_a_slow_pcf_call_lets_it_finish_within_the_grace);
    tcase_add_test(tc, stop_with_a_call_outlasting_the_grace_reports_an_unclean_drain);
    tcase_add_test(tc, waiting_for_a_worker_counts_against_the_pcf_budget);
    tcase_add_test(tc, admission_charges_callers_and_picks_client_addresses);
    tcase_add_test(tc, http_setup_out_of_memory_is_not_called_a_configuration_error);
    tcase_add_test(tc, http_read_timeouts_and_unanswered_closes_are_counted_in_metrics);
    tcase_add_test(tc, pcf_is_checked_in_the_background_whoever_polls);
    tcase_add_test(tc, http_requests_without_an_answer_are_counted_as_aborted_or_timeout);
    tcase_add_test(tc, session_cap_refusals_are_not_counted_as_successful_initializes);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
