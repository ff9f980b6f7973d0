/* Fuzz target: 2026-07-28 requests as the engine reads them: `_meta`
 * (protocol version, client capabilities and info, log level, trace
 * context), server/discover, multi round-trip requests (inputRequests,
 * inputResponses and the HMAC-protected requestState), and their mix with
 * 2025 sessions.
 *
 * Input (text): newline-separated JSON-RPC messages into one session; a
 * first line "!session" makes it a 2025 session (default: stateless, as on
 * the 2026-07-28 HTTP path). "$STATE" in a message is replaced with the last
 * requestState the engine issued, so answers to input
 * requests reach the verified path. Every message the engine emits must be
 * a JSON-RPC object; a 2026-07-28 result carries resultType and the server's
 * info in _meta. */
#include "core/internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include <pcfmcp/pcfmcp.h>

#include "core/buf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static pcfmcp_engine_t *engine;

static void die(const char *what)
{
    fprintf(stderr, "fuzz_meta: %s\n", what);
    abort();
}

static bool modern(pcfmcp_ctx_t *ctx)
{
    const char *v = pcfmcp_ctx_protocol_version(ctx);
    return v && strcmp(v, "2026-07-28") == 0;
}

/* Asks for two answers in turn, keeping what it learnt in requestState. */
static pcfmcp_error_t confirm(pcfmcp_ctx_t *ctx, const char *args, size_t len, pcfmcp_result_t *r,
                              void *ud)
{
    (void)args, (void)len, (void)ud;
    pcfmcp_ctx_log(ctx, "debug", "fuzz", "{\"round\":true}");
    pcfmcp_ctx_progress(ctx, 1, 3, "asking");
    if (!modern(ctx))
        return pcfmcp_result_set_error(r, "confirm needs 2026-07-28");
    const char *before = pcfmcp_ctx_request_state(ctx);
    char *a1 = NULL, *a2 = NULL;
    pcfmcp_error_t rc = pcfmcp_ctx_request_keyed(
        ctx, "sure", "elicitation/create",
        "{\"message\":\"sure?\",\"requestedSchema\":{\"type\":\"object\",\"properties\":"
        "{\"ok\":{\"type\":\"boolean\"}}}}",
        &a1);
    if (rc == PCFMCP_OK) {
        pcfmcp_ctx_set_request_state(ctx, before ? "second" : "first");
        rc = pcfmcp_ctx_request_keyed(ctx, "roots", "roots/list", "{}", &a2);
    }
    if (rc == PCFMCP_OK) {
        rc = pcfmcp_result_add_text(r, a1, strlen(a1));
        if (rc == PCFMCP_OK)
            rc = pcfmcp_result_add_text(r, a2, strlen(a2));
    }
    pcfmcp_free(a1);
    pcfmcp_free(a2);
    return rc;
}

static pcfmcp_error_t structured(pcfmcp_ctx_t *ctx, const char *args, size_t len,
                                 pcfmcp_result_t *r, void *ud)
{
    (void)ctx, (void)ud;
    pcfmcp_result_set_meta(r, "{\"io.modelcontextprotocol/serverInfo\":\"spoofed\",\"x\":1}");
    return pcfmcp_result_set_structured(r, args, len);
}

static pcfmcp_error_t read_cb(pcfmcp_ctx_t *ctx, const char *uri, const char *vars,
                              pcfmcp_result_t *r, void *ud)
{
    (void)ud;
    const char *meta = pcfmcp_ctx_meta(ctx);
    return pcfmcp_result_add_contents_text(r, uri, "application/json", meta ? meta : vars,
                                           strlen(meta ? meta : vars));
}

static pcfmcp_error_t prompt_cb(pcfmcp_ctx_t *ctx, const char *args, pcfmcp_result_t *r, void *ud)
{
    (void)ud;
    const char *caps = pcfmcp_ctx_client_capabilities(ctx);
    return pcfmcp_result_add_message_text(r, "user", caps ? caps : args);
}

static pcfmcp_error_t complete_cb(pcfmcp_ctx_t *ctx, const char *arg, const char *value,
                                  const char *context, pcfmcp_result_t *r, void *ud)
{
    (void)ctx, (void)arg, (void)context, (void)ud;
    return pcfmcp_result_add_completion(r, value);
}

static void setup(void)
{
    if (pcfmcp_engine_new(&engine, "fuzz", "1") != PCFMCP_OK ||
        pcfmcp_engine_set_page_size(engine, 2) != PCFMCP_OK ||
        pcfmcp_engine_set_validate_output(engine, 1) != PCFMCP_OK ||
        pcfmcp_engine_set_request_timeout(engine, 100) != PCFMCP_OK ||
        pcfmcp_engine_set_state_key(engine, "0123456789abcdef0123456789abcdef", 32) != PCFMCP_OK ||
        pcfmcp_engine_add_tool(engine,
                               "{\"name\":\"confirm\",\"inputSchema\":{\"type\":\"object\"}}",
                               confirm, NULL) != PCFMCP_OK ||
        pcfmcp_engine_add_tool(engine,
                               "{\"name\":\"structured\",\"inputSchema\":{\"type\":\"object\"},"
                               "\"outputSchema\":{\"type\":\"object\",\"properties\":{\"n\":"
                               "{\"type\":\"number\"}}}}",
                               structured, NULL) != PCFMCP_OK ||
        pcfmcp_engine_add_resource(engine, "{\"uri\":\"test://a\",\"name\":\"a\"}", read_cb,
                                   NULL) != PCFMCP_OK ||
        pcfmcp_engine_add_resource_template(
            engine, "{\"uriTemplate\":\"test://t/{id}\",\"name\":\"t\"}", read_cb, NULL) !=
            PCFMCP_OK ||
        pcfmcp_engine_add_prompt(engine, "{\"name\":\"p\",\"arguments\":[{\"name\":\"x\"}]}",
                                 prompt_cb, NULL) != PCFMCP_OK ||
        pcfmcp_engine_add_completion(engine, "ref/prompt", "p", complete_cb, NULL) != PCFMCP_OK ||
        pcfmcp_engine_enable_subscriptions(engine) != PCFMCP_OK)
        die("engine");
}

typedef struct {
    char *state; /* last requestState, or NULL */
} run;

static void check_message(run *rn, const cJSON *m)
{
    if (!cJSON_IsObject(m))
        die("the engine emitted something that is not a JSON-RPC object");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(m, "jsonrpc");
    if (!cJSON_IsString(v) || strcmp(v->valuestring, "2.0") != 0)
        die("an emitted message is not JSON-RPC 2.0");
    const cJSON *res = cJSON_GetObjectItemCaseSensitive(m, "result");
    const cJSON *rs = cJSON_GetObjectItemCaseSensitive(res, "requestState");
    if (cJSON_IsString(rs)) {
        free(rn->state);
        rn->state = strdup(rs->valuestring);
    }
    /* A 2026-07-28 result says it is one, and names this server, whatever a
     * handler put in its own _meta. */
    const cJSON *rt = cJSON_GetObjectItemCaseSensitive(res, "resultType");
    if (rt) {
        const cJSON *si = cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(res, "_meta"), "io.modelcontextprotocol/serverInfo");
        if (!cJSON_IsString(rt) || !cJSON_IsObject(si))
            die("a 2026-07-28 result without resultType or serverInfo");
    }
}

static void on_emit(const char *json, size_t len, unsigned flags, void *ud)
{
    if (!json) {
        /* A cancelled request's end, or a stream closing: nothing to read. */
        if (!(flags & (PCFMCP_EMIT_FINAL | PCFMCP_EMIT_CLOSE_STREAM)))
            die("an emitted message without text");
        return;
    }
    /* FUZZ_META_VERBOSE=1 shows what the engine said (for writing seeds). */
    static int verbose = -1;
    if (verbose < 0)
        verbose = getenv("FUZZ_META_VERBOSE") != NULL;
    if (verbose)
        fprintf(stderr, "fuzz_meta: %.*s\n", (int)(len > 400 ? 400 : len), json);
    cJSON *m = cJSON_ParseWithLength(json, len);
    if (!m) {
        fprintf(stderr, "fuzz_meta: emitted %.*s\n", (int)(len > 300 ? 300 : len), json);
        die("the engine emitted something that is not JSON");
    }
    if (cJSON_IsArray(m)) { /* a batch's answers */
        const cJSON *e;
        cJSON_ArrayForEach(e, m)
            check_message(ud, e);
    } else {
        check_message(ud, m);
    }
    cJSON_Delete(m);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!engine)
        setup();
    const char *p = (const char *)data, *end = p + size;
    unsigned flags = PCFMCP_SESSION_STATELESS;
    if (size >= 9 && memcmp(p, "!session\n", 9) == 0) {
        flags = 0;
        p += 9;
    }
    pcfmcp_session_t *s = NULL;
    if (pcfmcp_session_new(&s, engine, flags) != PCFMCP_OK)
        die("session");
    run rn = { NULL };
    pcfmcp__buf msg;
    pcfmcp__buf_init(&msg);
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        msg.len = 0;
        for (size_t i = 0; i < n;) {
            if (n - i >= 6 && memcmp(p + i, "$STATE", 6) == 0) {
                const char *st = rn.state ? rn.state : "none";
                pcfmcp__buf_append(&msg, st, strlen(st));
                i += 6;
            } else {
                pcfmcp__buf_putc(&msg, p[i++]);
            }
        }
        if (!pcfmcp__buf_ok(&msg))
            die("out of memory");
        pcfmcp_engine_handle(engine, s, msg.data ? msg.data : "", msg.len, on_emit, &rn, NULL);
        p += n + (nl ? 1 : 0);
    }
    pcfmcp__buf_free(&msg);
    free(rn.state);
    pcfmcp_session_free(s);
    return 0;
}
