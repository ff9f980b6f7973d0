/* From an incoming message to outgoing ones: framing checks, lifecycle,
 * revision selection (2025 sessions vs. 2026-07-28 per-request metadata),
 * method dispatch, result serialisation. */
#include "core/internal.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "core/log.h"
#include "core/util.h"
#include "mcp/ctxlog.h"
#include "mcp/engine_internal.h"
#include "mcp/native.h"

#define META_VERSION "io.modelcontextprotocol/protocolVersion"
#define META_CAPS "io.modelcontextprotocol/clientCapabilities"
#define META_INFO "io.modelcontextprotocol/clientInfo"
#define META_LOGLEVEL "io.modelcontextprotocol/logLevel"
#define META_SERVERINFO "io.modelcontextprotocol/serverInfo"

/* A handler's verdict, turned into the final message by finish(). */
typedef struct {
    int rpc_code;       /* 0 = result */
    char *message;      /* error message */
    cJSON *data;        /* error data */
    char *result_text;  /* serialized result object (when rpc_code == 0) */
    size_t result_len;
    bool final_form; /* result_text already has the 2026-07-28 members */
    pcfmcp__blob *body; /* instead of result_text: a shared one (a list page) */
    pcfmcp_outcome_t outcome;
} reply;

typedef enum {
    M_INITIALIZE,
    M_PING,
    M_DISCOVER,
    M_TOOLS_LIST,
    M_TOOLS_CALL,
    M_RESOURCES_LIST,
    M_TEMPLATES_LIST,
    M_RESOURCES_READ,
    M_SUBSCRIBE,
    M_UNSUBSCRIBE,
    M_PROMPTS_LIST,
    M_PROMPTS_GET,
    M_COMPLETE,
    M_SET_LEVEL,
    M_LISTEN,
    M_UNKNOWN
} method_id;

/* Which revisions serve a method, whether it may run on a worker thread. */
static const struct {
    const char *name;
    method_id id;
    bool legacy, modern, slow;
} methods[] = {
    { "initialize", M_INITIALIZE, true, false, false },
    { "ping", M_PING, true, false, false },
    { "server/discover", M_DISCOVER, false, true, false },
    { "tools/list", M_TOOLS_LIST, true, true, false },
    { "tools/call", M_TOOLS_CALL, true, true, true },
    { "resources/list", M_RESOURCES_LIST, true, true, false },
    { "resources/templates/list", M_TEMPLATES_LIST, true, true, false },
    { "resources/read", M_RESOURCES_READ, true, true, true },
    { "resources/subscribe", M_SUBSCRIBE, true, false, false },
    { "resources/unsubscribe", M_UNSUBSCRIBE, true, false, false },
    { "prompts/list", M_PROMPTS_LIST, true, true, false },
    { "prompts/get", M_PROMPTS_GET, true, true, true },
    { "completion/complete", M_COMPLETE, true, true, true },
    { "logging/setLevel", M_SET_LEVEL, true, false, false },
    { "subscriptions/listen", M_LISTEN, false, true, false },
};

static int lookup_method(const char *name)
{
    for (size_t i = 0; i < PCFMCP_ARRAY_LEN(methods); i++)
        if (strcmp(methods[i].name, name) == 0)
            return (int)i;
    return -1;
}

static void reply_error(reply *r, int code, const char *fmt, ...) PCFMCP_PRINTF(3, 4);

static void reply_error(reply *r, int code, const char *fmt, ...)
{
    char buf[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    r->rpc_code = code;
    pcfmcp__free(r->message);
    r->message = pcfmcp__strdup(buf);
    r->outcome = PCFMCP_OUTCOME_ERROR;
}

static void reply_nomem(reply *r)
{
    reply_error(r, PCFMCP__RPC_INTERNAL_ERROR, "out of memory");
}

/* Takes ownership of `result`; `built` false means a member could not be
 * attached, which makes the whole result unusable. */
static void reply_built(reply *r, cJSON *result, bool built)
{
    if (!result || !built) {
        cJSON_Delete(result);
        reply_nomem(r);
        return;
    }
    r->result_text = pcfmcp__json_print(result, &r->result_len);
    cJSON_Delete(result);
    if (!r->result_text)
        reply_nomem(r);
}

static void reply_json(reply *r, cJSON *result)
{
    reply_built(r, result, true);
}

/* The answer when not even an error reply could be allocated, written into
 * @p buf so the client still learns which request failed. The id comes
 * from @p id_text when rendered already, else from @p id; only an id too
 * long for the buffer is replaced by null. @p message is static text that
 * needs no JSON escaping. Returns the length. */
static size_t nomem_reply(char *buf, size_t cap, const char *id_text, const cJSON *id,
                          const char *message)
{
    char idbuf[600];
    size_t n = 0;
    if (!id_text && cJSON_IsNumber(id) && id->valuestring) {
        snprintf(idbuf, sizeof(idbuf), "%s", id->valuestring);
        id_text = strlen(id->valuestring) < sizeof(idbuf) ? idbuf : NULL;
    } else if (!id_text && pcfmcp__json_is_integer(id)) {
        snprintf(idbuf, sizeof(idbuf), "%lld", (long long)id->valuedouble);
        id_text = idbuf;
    } else if (!id_text && cJSON_IsString(id)) {
        bool fits = true;
        idbuf[n++] = '"';
        for (const unsigned char *p = (const unsigned char *)id->valuestring; *p && fits; p++) {
            if (n + 8 >= sizeof(idbuf))
                fits = false;
            else if (*p == '"' || *p == '\\')
                n += (size_t)snprintf(idbuf + n, sizeof(idbuf) - n, "\\%c", *p);
            else if (*p < 0x20)
                n += (size_t)snprintf(idbuf + n, sizeof(idbuf) - n, "\\u%04x", *p);
            else
                idbuf[n++] = (char)*p;
        }
        idbuf[n++] = '"';
        idbuf[n] = '\0';
        id_text = fits ? idbuf : NULL;
    }
    int len = snprintf(buf, cap, "{\"jsonrpc\":\"2.0\",\"id\":%s,\"error\":{\"code\":%d,"
                                 "\"message\":\"%s\"}}",
                       id_text ? id_text : "null", PCFMCP__RPC_INTERNAL_ERROR, message);
    if (len < 0 || (size_t)len >= cap)
        len = snprintf(buf, cap, "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":%d,"
                                 "\"message\":\"%s\"}}",
                       PCFMCP__RPC_INTERNAL_ERROR, message);
    return (size_t)len;
}

/* ------------------------------------------------------------- context */

static void tool_call_free(struct pcfmcp__tool_call *tc);

static void ctx_free(pcfmcp_ctx_t *ctx)
{
    if (!ctx)
        return;
    tool_call_free(ctx->tool_call);
    if (ctx->session)
        pcfmcp__session_unref(ctx->session);
    cJSON_Delete(ctx->msg);
    cJSON_Delete(ctx->caps);
    cJSON_Delete(ctx->input_requests);
    cJSON_Delete(ctx->merged_inputs);
    pcfmcp__free(ctx->state_in);
    pcfmcp__free(ctx->state_out);
    cJSON_Delete(ctx->missing_caps);
    pcfmcp__free(ctx->id_text);
    pcfmcp__free(ctx->name);
    pcfmcp__free(ctx->version);
    pcfmcp__free(ctx->caps_text);
    pcfmcp__free(ctx->client_info_text);
    pcfmcp__free(ctx->meta_text);
    pcfmcp__free(ctx->traceparent);
    pcfmcp__free(ctx->tracestate);
    pcfmcp__free(ctx->refusal);
    pthread_mutex_destroy(&ctx->emit_lock);
    pcfmcp__free(ctx);
}

static char *id_to_text(const cJSON *id)
{
    pcfmcp__buf b;
    pcfmcp__buf_init(&b);
    pcfmcp__rpc_append_id(&b, id);
    return pcfmcp__buf_steal(&b, NULL);
}

/* W3C trace context is accepted from `_meta` when the transport had none. */
static bool valid_traceparent(const char *tp)
{
    if (!tp || strlen(tp) != 55 || tp[2] != '-' || tp[35] != '-' || tp[52] != '-')
        return false;
    for (int i = 0; i < 55; i++) {
        if (i == 2 || i == 35 || i == 52)
            continue;
        char c = tp[i];
        if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f')))
            return false;
    }
    return strncmp(tp, "ff", 2) != 0 && strncmp(tp + 3, "00000000000000000000000000000000", 32) != 0 &&
           strncmp(tp + 36, "0000000000000000", 16) != 0;
}

/* ----------------------------------------------------- era and lifecycle */

/* Decides the revision of one request. Returns false after filling `r` with
 * the error to send when the request cannot be served at all. */
static bool select_revision(pcfmcp_ctx_t *ctx, int midx, reply *r)
{
    pcfmcp_session_t *s = ctx->session;
    const cJSON *meta = ctx->meta;
    const cJSON *pv = meta ? cJSON_GetObjectItemCaseSensitive(meta, META_VERSION) : NULL;
    const char *want = pcfmcp__json_str(meta, META_VERSION); /* NULL unless a string */
    method_id mid = midx >= 0 ? methods[midx].id : M_UNKNOWN;

    pthread_mutex_lock(&s->lock);
    int state = s->state;
    char *sver = s->version ? pcfmcp__strdup(s->version) : NULL;
    char *scaps = s->client_caps_text ? pcfmcp__strdup(s->client_caps_text) : NULL;
    char *sinfo = s->client_info_text ? pcfmcp__strdup(s->client_info_text) : NULL;
    pthread_mutex_unlock(&s->lock);

    bool ok = true;
    bool modern = false;
    bool pinned = sver && strcmp(sver, PCFMCP_PROTOCOL_STATELESS) == 0;
    if (pinned && !(want && strcmp(want, PCFMCP_PROTOCOL_STATELESS) == 0)) {
        /* The transport was told 2026-07-28 (its header): such a request
         * must say so itself, or it would be served as a pre-2026 one
         * without the session that revision requires. */
        reply_error(r, PCFMCP__RPC_INVALID_PARAMS,
                    "missing required _meta \"" META_VERSION "\": \"" PCFMCP_PROTOCOL_STATELESS
                    "\" (the revision this request was sent as)");
        ok = false;
    } else if (mid == M_INITIALIZE && !(want && strcmp(want, PCFMCP_PROTOCOL_STATELESS) == 0)) {
        /* A 2026-07-28 request for initialize falls through to "modern",
         * where the method does not exist (-32601). */
        modern = false;
    } else if (pv) {
        if (!want) {
            reply_error(r, PCFMCP__RPC_INVALID_PARAMS, "_meta \"" META_VERSION "\" must be a string");
            ok = false;
        } else if (strcmp(want, PCFMCP_PROTOCOL_STATELESS) == 0) {
            modern = true;
        } else if (state != PCFMCP__SESSION_NEW && sver && strcmp(want, sver) == 0) {
            modern = false; /* a 2025 client repeating its negotiated version */
        } else {
            reply_error(r, PCFMCP__RPC_UNSUPPORTED_PROTOCOL_VERSION,
                        "unsupported protocol version \"%s\"", want);
            /* The same list server/discover advertises. */
            cJSON *data = cJSON_CreateObject(), *sup = cJSON_CreateArray();
            bool built = pcfmcp__json_put_str(sup, NULL, PCFMCP_PROTOCOL_STATELESS);
            for (size_t i = 0; i < PCFMCP_ARRAY_LEN(pcfmcp__legacy_versions); i++)
                built &= pcfmcp__json_put_str(sup, NULL, pcfmcp__legacy_versions[i]);
            built &= pcfmcp__json_put(data, "supported", sup);
            built &= pcfmcp__json_put_str(data, "requested", want);
            if (built)
                r->data = data;
            else
                cJSON_Delete(data);
            ok = false;
        }
    } else if (mid == M_DISCOVER) {
        reply_error(r, PCFMCP__RPC_INVALID_PARAMS,
                    "server/discover needs _meta \"" META_VERSION "\"");
        ok = false;
    } else if (state == PCFMCP__SESSION_NEW && mid != M_PING) {
        reply_error(r, PCFMCP__RPC_INVALID_REQUEST,
                    "session not initialized: send \"initialize\" first (or use protocol version "
                    PCFMCP_PROTOCOL_STATELESS " with per-request _meta)");
        ok = false;
    }

    if (ok && modern) {
        const cJSON *caps = cJSON_GetObjectItemCaseSensitive(meta, META_CAPS);
        if (!cJSON_IsObject(caps)) {
            reply_error(r, PCFMCP__RPC_INVALID_PARAMS,
                        "missing required _meta \"" META_CAPS "\" (an object)");
            ok = false;
        } else {
            ctx->modern = true;
            ctx->version = pcfmcp__strdup(PCFMCP_PROTOCOL_STATELESS);
            ctx->caps = cJSON_Duplicate(caps, true);
            ctx->caps_text = pcfmcp__json_print(caps, NULL);
            const cJSON *info = cJSON_GetObjectItemCaseSensitive(meta, META_INFO);
            if (cJSON_IsObject(info))
                ctx->client_info_text = pcfmcp__json_print(info, NULL);
            const char *lvl = pcfmcp__json_str(meta, META_LOGLEVEL);
            ctx->log_level = lvl ? pcfmcp__mcp_level_index(lvl) : -2;
            if (lvl && ctx->log_level < 0) {
                reply_error(r, PCFMCP__RPC_INVALID_PARAMS, "unknown _meta log level \"%s\"", lvl);
                ok = false;
            }
            if (!ctx->version || !ctx->caps || !ctx->caps_text)
                ok = false, reply_nomem(r);
        }
    } else if (ok) {
        ctx->version = pcfmcp__strdup(sver ? sver : pcfmcp__legacy_versions[0]);
        ctx->caps_text = pcfmcp__strdup(scaps ? scaps : "{}");
        if (ctx->caps_text)
            ctx->caps = pcfmcp__json_parse_object(ctx->caps_text, strlen(ctx->caps_text));
        ctx->client_info_text = sinfo;
        sinfo = NULL;
        ctx->log_level = -1;
        if (!ctx->version || !ctx->caps_text || !ctx->caps)
            ok = false, reply_nomem(r);
    }
    pcfmcp__free(sver);
    pcfmcp__free(scaps);
    pcfmcp__free(sinfo);
    if (!ok)
        return false;

    if (midx < 0 || (ctx->modern && !methods[midx].modern) ||
        (!ctx->modern && !methods[midx].legacy)) {
        reply_error(r, PCFMCP__RPC_METHOD_NOT_FOUND, "method not found: %s", ctx->method);
        return false;
    }
    return true;
}

/* Adds the 2026-07-28 members every result carries. */
static cJSON *modernize(pcfmcp_engine_t *e, cJSON *result)
{
    if (!result)
        return NULL;
    bool ok = true;
    if (!cJSON_GetObjectItemCaseSensitive(result, "resultType"))
        ok &= pcfmcp__json_put_str(result, "resultType", "complete");
    cJSON *meta = cJSON_GetObjectItemCaseSensitive(result, "_meta");
    if (!cJSON_IsObject(meta))
        meta = cJSON_AddObjectToObject(result, "_meta");
    pthread_rwlock_rdlock(&e->reg_lock);
    cJSON *info = pcfmcp__json_parse_text(e->server_info_text, PCFMCP__JSON_OWN_DEPTH);
    pthread_rwlock_unlock(&e->reg_lock);
    cJSON_DeleteItemFromObjectCaseSensitive(meta, META_SERVERINFO);
    ok &= meta && pcfmcp__json_put(meta, META_SERVERINFO, info);
    if (!meta)
        cJSON_Delete(info);
    if (!ok) {
        cJSON_Delete(result);
        return NULL;
    }
    return result;
}

static bool add_cache_hint(pcfmcp_engine_t *e, cJSON *result, int slot)
{
    pcfmcp__cache_hint h = e->hints[slot];
    bool ok = pcfmcp__json_put_num(result, "ttlMs", h.ttl_ms);
    ok &= pcfmcp__json_put_str(result, "cacheScope", h.public_scope ? "public" : "private");
    return ok;
}

/* ----------------------------------------------- 2026-07-28 requestState */

/* What a requestState is bound to: the method and the tool, prompt or URI. */
static const char *state_target(const pcfmcp_ctx_t *ctx)
{
    const char *t = pcfmcp__json_str(ctx->params, "name");
    return t ? t : pcfmcp__json_str(ctx->params, "uri");
}

/* requestState = base64url(payload) "." base64url(HMAC-SHA256(key, payload)),
 * payload = {"m":method,"n":target,"a":{answers so far},"h":handler state}.
 * Clients treat it as opaque; the MAC makes tampering detectable. */
static char *mint_state(pcfmcp_ctx_t *ctx)
{
    cJSON *o = cJSON_CreateObject();
    const char *target = state_target(ctx);
    bool ok = pcfmcp__json_put_str(o, "m", ctx->method);
    if (target)
        ok &= pcfmcp__json_put_str(o, "n", target);
    ok &= pcfmcp__json_put(o, "a", ctx->input_responses ? cJSON_Duplicate(ctx->input_responses, true)
                                                        : cJSON_CreateObject());
    const char *h = ctx->state_out ? ctx->state_out : ctx->state_in;
    if (h)
        ok &= pcfmcp__json_put_str(o, "h", h);
    size_t plen = 0;
    char *payload = ok ? pcfmcp__json_print(o, &plen) : NULL;
    cJSON_Delete(o);
    if (!payload)
        return NULL;
    unsigned char mac[32];
    char *p64 = NULL, *m64 = NULL, *out = NULL;
    if (pcfmcp__hmac_sha256(ctx->engine->state_key, sizeof(ctx->engine->state_key), payload, plen, mac) == 0 &&
        (p64 = pcfmcp__base64url_encode(payload, plen, NULL)) &&
        (m64 = pcfmcp__base64url_encode(mac, sizeof(mac), NULL))) {
        size_t n = strlen(p64) + strlen(m64) + 2;
        if ((out = pcfmcp__malloc(n)))
            snprintf(out, n, "%s.%s", p64, m64);
    }
    pcfmcp__free(payload);
    pcfmcp__free(p64);
    pcfmcp__free(m64);
    return out;
}

/* Verifies a client's requestState and merges the answers it carries with
 * this round's inputResponses. False (with `r` filled) when it is not ours. */
static bool take_state(pcfmcp_ctx_t *ctx, reply *r)
{
    const cJSON *rs = cJSON_GetObjectItemCaseSensitive(ctx->params, "requestState");
    if (!rs || cJSON_IsNull(rs))
        return true;
    bool ok = false;
    cJSON *payload = NULL;
    unsigned char *raw = NULL, *mac = NULL;
    size_t rlen = 0, mlen = 0;
    const char *dot = cJSON_IsString(rs) ? strchr(rs->valuestring, '.') : NULL;
    if (dot && strlen(rs->valuestring) < 1024 * 1024) {
        raw = pcfmcp__base64url_decode(rs->valuestring, (size_t)(dot - rs->valuestring), &rlen);
        mac = pcfmcp__base64url_decode(dot + 1, strlen(dot + 1), &mlen);
        unsigned char want[32];
        if (raw && mac && mlen == sizeof(want) &&
            pcfmcp__hmac_sha256(ctx->engine->state_key, sizeof(ctx->engine->state_key), raw, rlen, want) == 0 &&
            pcfmcp__ct_equal(want, sizeof(want), mac, mlen) &&
            pcfmcp__json_parse((const char *)raw, rlen, 32, &payload, NULL) == PCFMCP__JSON_OK) {
            const char *m = pcfmcp__json_str(payload, "m");
            const char *n = pcfmcp__json_str(payload, "n");
            const char *target = state_target(ctx);
            ok = m && strcmp(m, ctx->method) == 0 &&
                 ((!n && !target) || (n && target && strcmp(n, target) == 0));
        }
    }
    pcfmcp__free(raw);
    pcfmcp__free(mac);
    if (!ok) {
        cJSON_Delete(payload);
        reply_error(r, PCFMCP__RPC_INVALID_PARAMS,
                    "requestState failed integrity verification: start the request again without it");
        return false;
    }
    const char *h = pcfmcp__json_str(payload, "h");
    if (h && !(ctx->state_in = pcfmcp__strdup(h))) {
        cJSON_Delete(payload);
        reply_nomem(r);
        return false;
    }
    cJSON *merged = cJSON_DetachItemFromObjectCaseSensitive(payload, "a");
    cJSON_Delete(payload);
    if (!cJSON_IsObject(merged)) {
        cJSON_Delete(merged);
        merged = cJSON_CreateObject();
    }
    const cJSON *a;
    bool ok2 = true;
    cJSON_ArrayForEach(a, ctx->input_responses) {
        cJSON_DeleteItemFromObjectCaseSensitive(merged, a->string);
        ok2 &= pcfmcp__json_put(merged, a->string, cJSON_Duplicate(a, true));
    }
    if (!ok2) {
        cJSON_Delete(merged);
        reply_nomem(r);
        return false;
    }
    ctx->merged_inputs = merged;
    ctx->input_responses = merged;
    return true;
}

/* The InputRequiredResult for a handler that asked the client for input. */
static void reply_input_required(pcfmcp_ctx_t *ctx, reply *r)
{
    cJSON *o = cJSON_CreateObject();
    bool ok = pcfmcp__json_put_str(o, "resultType", "input_required");
    ok &= pcfmcp__json_put(o, "inputRequests", ctx->input_requests);
    ctx->input_requests = NULL;
    char *st = mint_state(ctx);
    ok &= pcfmcp__json_put_str(o, "requestState", st);
    pcfmcp__free(st);
    reply_built(r, o, ok);
}

/* ------------------------------------------------------------ methods */

static void do_initialize(pcfmcp_ctx_t *ctx, reply *r)
{
    pcfmcp_engine_t *e = ctx->engine;
    pcfmcp_session_t *s = ctx->session;
    const cJSON *p = ctx->params;
    const char *asked = pcfmcp__json_str(p, "protocolVersion");
    const cJSON *caps = cJSON_GetObjectItemCaseSensitive(p, "capabilities");
    const cJSON *info = cJSON_GetObjectItemCaseSensitive(p, "clientInfo");
    if (!asked) {
        reply_error(r, PCFMCP__RPC_INVALID_PARAMS,
                    "initialize needs params.protocolVersion (a string)");
        return;
    }
    if (caps && !cJSON_IsObject(caps)) {
        reply_error(r, PCFMCP__RPC_INVALID_PARAMS, "params.capabilities must be an object");
        return;
    }
    /* Echo a version we speak; otherwise offer our newest (never an error). */
    const char *chosen = pcfmcp__is_legacy_version(asked) ? asked : pcfmcp__legacy_versions[0];
    char *caps_text = caps ? pcfmcp__json_print(caps, NULL) : pcfmcp__strdup("{}");
    cJSON *caps_copy = caps ? cJSON_Duplicate(caps, true) : cJSON_CreateObject();
    char *info_text = cJSON_IsObject(info) ? pcfmcp__json_print(info, NULL) : NULL;
    char *ver = pcfmcp__strdup(chosen);
    if (!caps_text || !caps_copy || !ver) {
        pcfmcp__free(caps_text);
        cJSON_Delete(caps_copy);
        pcfmcp__free(info_text);
        pcfmcp__free(ver);
        reply_nomem(r);
        return;
    }
    bool again = false;
    pthread_mutex_lock(&s->lock);
    if (!(s->flags & PCFMCP_SESSION_STATELESS)) {
        if (s->state != PCFMCP__SESSION_NEW) {
            again = true;
        } else {
            s->state = PCFMCP__SESSION_INITIALIZED;
            pcfmcp__free(s->version);
            s->version = ver;
            ver = NULL;
            pcfmcp__free(s->client_caps_text);
            s->client_caps_text = caps_text;
            caps_text = NULL;
            cJSON_Delete(s->client_caps);
            s->client_caps = caps_copy;
            caps_copy = NULL;
            pcfmcp__free(s->client_info_text);
            s->client_info_text = info_text;
            info_text = NULL;
        }
    }
    pthread_mutex_unlock(&s->lock);
    pcfmcp__free(caps_text);
    cJSON_Delete(caps_copy);
    pcfmcp__free(info_text);
    pcfmcp__free(ver);
    if (again) {
        reply_error(r, PCFMCP__RPC_INVALID_REQUEST, "session is already initialized");
        return;
    }
    cJSON *res = cJSON_CreateObject();
    bool ok = pcfmcp__json_put_str(res, "protocolVersion", chosen);
    ok &= pcfmcp__json_put(res, "capabilities", pcfmcp__engine_capabilities(e, false));
    pthread_rwlock_rdlock(&e->reg_lock);
    ok &= pcfmcp__json_put(res, "serverInfo", pcfmcp__json_parse_text(e->server_info_text, PCFMCP__JSON_OWN_DEPTH));
    if (e->instructions)
        ok &= pcfmcp__json_put_str(res, "instructions", e->instructions);
    pthread_rwlock_unlock(&e->reg_lock);
    PCFMCP_LOG(e->log, PCFMCP_LOG_INFO, "mcp", "session initialized: protocol %s (client asked %s)",
               chosen, asked);
    reply_built(r, res, ok);
}

static void do_discover(pcfmcp_ctx_t *ctx, reply *r)
{
    pcfmcp_engine_t *e = ctx->engine;
    cJSON *res = cJSON_CreateObject(), *sup = cJSON_CreateArray();
    bool ok = pcfmcp__json_put_str(sup, NULL, PCFMCP_PROTOCOL_STATELESS);
    for (size_t i = 0; i < PCFMCP_ARRAY_LEN(pcfmcp__legacy_versions); i++)
        ok &= pcfmcp__json_put_str(sup, NULL, pcfmcp__legacy_versions[i]);
    ok &= pcfmcp__json_put(res, "supportedVersions", sup);
    ok &= pcfmcp__json_put(res, "capabilities", pcfmcp__engine_capabilities(e, true));
    pthread_rwlock_rdlock(&e->reg_lock);
    if (e->instructions)
        ok &= pcfmcp__json_put_str(res, "instructions", e->instructions);
    pthread_rwlock_unlock(&e->reg_lock);
    ok &= res && add_cache_hint(e, res, PCFMCP__HINT_DISCOVER);
    reply_built(r, res, ok);
}

static void do_list(pcfmcp_ctx_t *ctx, pcfmcp__list_kind kind, reply *r)
{
    pcfmcp_engine_t *e = ctx->engine;
    if (!pcfmcp__engine_has(e, kind == PCFMCP__LIST_TEMPLATES ? PCFMCP__LIST_RESOURCES : kind)) {
        reply_error(r, PCFMCP__RPC_METHOD_NOT_FOUND, "method not found: %s (capability not offered)",
                    ctx->method);
        return;
    }
    const cJSON *cur = cJSON_GetObjectItemCaseSensitive(ctx->params, "cursor");
    size_t page = 0;
    if (cur && !cJSON_IsNull(cur)) {
        if (!cJSON_IsString(cur) ||
            !pcfmcp__cursor_decode(cur->valuestring, kind, pcfmcp__engine_list_hash(e, kind),
                                   &page)) {
            reply_error(r, PCFMCP__RPC_INVALID_PARAMS,
                        "invalid or stale cursor: start again without one");
            return;
        }
    }
    pcfmcp__pages *p = pcfmcp__engine_pages(e, kind);
    if (!p) {
        reply_nomem(r);
        return;
    }
    if (page >= p->npages) {
        pcfmcp__pages_unref(p);
        reply_error(r, PCFMCP__RPC_INVALID_PARAMS, "invalid or stale cursor: start again without one");
        return;
    }
    /* Shared with every other request for it: a transport sends it as it
     * is (and keeps its compressed form with it), others copy it once. */
    r->body = pcfmcp__blob_ref(ctx->modern ? p->modern[page] : p->legacy[page]);
    r->final_form = true;
    pcfmcp__pages_unref(p);
}

static void tool_error_text(pcfmcp_result_t *res, const char *msg)
{
    pcfmcp__free(res->error_message);
    res->error_message = pcfmcp__strdup(msg);
    res->is_error = true;
}

#define PUT_LIT(b, lit) pcfmcp__buf_append((b), "" lit "", sizeof(lit) - 1)

/* Serialises a tool result straight into @p b: content (with the JSON text
 * of structuredContent when the tool gave no content), structuredContent,
 * isError, _meta. One pass over the tree, or none over a native tool's
 * serialised structured content. */
static bool write_tool_result(pcfmcp__buf *b, const pcfmcp_result_t *res)
{
    PUT_LIT(b, "{\"content\":[");
    size_t n = 0;
    if (res->is_error && res->error_message) {
        PUT_LIT(b, "{\"type\":\"text\",\"text\":");
        pcfmcp__buf_json_string(b, res->error_message, strlen(res->error_message));
        pcfmcp__buf_putc(b, '}');
        n++;
    }
    for (const cJSON *c = res->items ? res->items->child : NULL; c; c = c->next) {
        if (n++)
            pcfmcp__buf_putc(b, ',');
        pcfmcp__json_write(b, c);
    }
    bool has_structured = res->structured || res->structured_text;
    if (has_structured && n == 0) {
        PUT_LIT(b, "{\"type\":\"text\",\"text\":");
        if (res->structured_text) {
            pcfmcp__buf_json_string(b, res->structured_text, res->structured_len);
        } else {
            char *t = pcfmcp__json_print(res->structured, NULL);
            if (!t)
                b->failed = true;
            else
                pcfmcp__buf_json_string(b, t, strlen(t));
            pcfmcp__free(t);
        }
        pcfmcp__buf_putc(b, '}');
    }
    pcfmcp__buf_putc(b, ']');
    if (has_structured) {
        PUT_LIT(b, ",\"structuredContent\":");
        if (res->structured_text)
            pcfmcp__buf_append(b, res->structured_text, res->structured_len);
        else
            pcfmcp__json_write(b, res->structured);
    }
    if (res->is_error)
        PUT_LIT(b, ",\"isError\":true");
    if (res->meta) {
        PUT_LIT(b, ",\"_meta\":");
        pcfmcp__json_write(b, res->meta);
    }
    pcfmcp__buf_putc(b, '}');
    return pcfmcp__buf_ok(b);
}

/* Takes the serialised tool result into the reply. */
static void reply_tool_result(reply *r, const pcfmcp_result_t *res)
{
    pcfmcp__buf b;
    pcfmcp__buf_init(&b);
    if (!write_tool_result(&b, res)) {
        pcfmcp__buf_free(&b);
        reply_nomem(r);
        return;
    }
    r->result_text = pcfmcp__buf_steal(&b, &r->result_len);
    if (!r->result_text)
        reply_nomem(r);
}

static pcfmcp_error_t run_before_hook(pcfmcp_ctx_t *ctx, const char *args_json)
{
    pcfmcp_engine_t *e = ctx->engine;
    pcfmcp_before_hook_cb before = e->before;
    if (!before)
        return PCFMCP_OK;
    return before(ctx, ctx->method, ctx->name, args_json, e->hook_ud);
}

/* JSON-RPC code of a before-hook refusal: overload and rate limits keep
 * their own codes so clients can back off; everything else is a plain
 * invalid request. */
static int refusal_code(const pcfmcp_ctx_t *ctx, pcfmcp_error_t rc)
{
    if (rc == PCFMCP_ERR_RATE_LIMITED || rc == PCFMCP_ERR_UNAVAILABLE)
        return pcfmcp__rpc_code_for(rc, ctx->modern);
    return PCFMCP__RPC_INVALID_REQUEST;
}

/* A tools/call once its tool is known: what a worker needs when the
 * transport's thread looked the call up and its tool's probe could not
 * answer at once (see tools_call_inline). */
typedef struct pcfmcp__tool_call {
    pcfmcp__entry *tool;
    const cJSON *args; /* into ctx->msg, or `empty` */
    cJSON *empty;
    char *args_text;   /* for JSON-text tools and the before-hook */
    pcfmcp_result_t *res;
} tool_call;

static void tool_call_free(tool_call *tc)
{
    if (!tc)
        return;
    cJSON_Delete(tc->empty);
    pcfmcp__free(tc->args_text);
    pcfmcp__result_free(tc->res);
    pcfmcp__entry_unref(tc->tool);
    pcfmcp__free(tc);
}

/* The tool and its arguments. Returns the call, or NULL with @p r holding
 * the answer (unknown or withheld tool, bad params). */
static tool_call *tools_call_lookup(pcfmcp_ctx_t *ctx, reply *r)
{
    pcfmcp_engine_t *e = ctx->engine;
    const char *name = pcfmcp__json_str(ctx->params, "name");
    if (!name) {
        reply_error(r, PCFMCP__RPC_INVALID_PARAMS, "tools/call needs params.name (a string)");
        return NULL;
    }
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(ctx->params, "arguments");
    if (args && !cJSON_IsObject(args) && !cJSON_IsNull(args)) {
        reply_error(r, PCFMCP__RPC_INVALID_PARAMS, "params.arguments must be an object");
        return NULL;
    }
    pcfmcp__entry *tool = pcfmcp__engine_find(e, PCFMCP__LIST_TOOLS, name);
    if (!tool) {
        /* A withheld tool is as absent as an unknown one (same code), but the
         * caller learns which setting keeps it away instead of suspecting a typo. */
        char *why = pcfmcp__engine_withheld_reason(e, name);
        if (!why) {
            reply_error(r, PCFMCP__RPC_INVALID_PARAMS, "unknown tool: %s", name);
            return NULL;
        }
        reply_error(r, PCFMCP__RPC_INVALID_PARAMS, "%s is not offered: %s", name, why);
        r->data = cJSON_CreateObject();
        if (!r->data || !pcfmcp__json_put_str(r->data, "name", name) ||
            !pcfmcp__json_put_str(r->data, "reason", why)) {
            cJSON_Delete(r->data);
            r->data = NULL;
        }
        pcfmcp__free(why);
        return NULL;
    }
    tool_call *tc = pcfmcp__calloc(1, sizeof(*tc));
    if (!tc) {
        pcfmcp__entry_unref(tool);
        reply_nomem(r);
        return NULL;
    }
    tc->tool = tool;
    ctx->name = pcfmcp__strdup(name);
    if (!cJSON_IsObject(args))
        args = tc->empty = cJSON_CreateObject();
    tc->args = args;
    /* Text only for whoever reads text: a JSON-text tool, the before-hook. */
    pthread_rwlock_rdlock(&e->reg_lock);
    bool hooked = e->before != NULL;
    pthread_rwlock_unlock(&e->reg_lock);
    bool text = !tool->native || hooked;
    if (args && text)
        tc->args_text = pcfmcp__json_print(args, NULL);
    tc->res = pcfmcp__result_new(PCFMCP__RESULT_TOOL);
    if (!args || (text && !tc->args_text) || !tc->res || !ctx->name) {
        tool_call_free(tc);
        reply_nomem(r);
        return NULL;
    }
    return tc;
}

/* The checks before the tool's answer counts: the before-hook, then the
 * input schema. Returns false with @p r holding the answer. */
static bool tools_call_check(pcfmcp_ctx_t *ctx, reply *r, tool_call *tc)
{
    pcfmcp_result_t *res = tc->res;
    pcfmcp_error_t hrc = run_before_hook(ctx, tc->args_text);
    if (hrc != PCFMCP_OK) {
        pcfmcp__free(res->rendered); /* a probe's answer does not count */
        res->rendered = NULL;
        tool_error_text(res, ctx->refusal ? ctx->refusal : pcfmcp_strerror(hrc));
        r->outcome = PCFMCP_OUTCOME_REFUSED;
        reply_tool_result(r, res);
        return false;
    }
    pcfmcp__buf problems;
    pcfmcp__buf_init(&problems);
    bool valid = pcfmcp__schema_validate(tc->tool->input, tc->args, &problems);
    if (!valid) {
        pcfmcp__buf msg;
        pcfmcp__buf_init(&msg);
        pcfmcp__buf_printf(&msg, "Invalid arguments for tool \"%s\"; fix these and call again:\n",
                           tc->tool->key);
        pcfmcp__buf_append(&msg, problems.data ? problems.data : "", problems.len);
        pcfmcp__free(res->rendered);
        res->rendered = NULL;
        tool_error_text(res, pcfmcp__buf_ok(&msg) ? msg.data : "invalid arguments");
        pcfmcp__buf_free(&msg);
        r->outcome = PCFMCP_OUTCOME_TOOL_ERROR;
        reply_tool_result(r, res);
    }
    pcfmcp__buf_free(&problems);
    return valid;
}

/* What the engine makes of the tool's answer: errors, the output checks,
 * the serialised result (a native tool's rendered one as it is). */
static void tools_call_finish(pcfmcp_ctx_t *ctx, reply *r, tool_call *tc, pcfmcp_error_t rc)
{
    pcfmcp_engine_t *e = ctx->engine;
    pcfmcp__entry *tool = tc->tool;
    pcfmcp_result_t *res = tc->res;
    const char *name = tool->key;
    if (ctx->modern && ctx->missing_caps && rc != PCFMCP_OK) {
        reply_error(r, PCFMCP__RPC_MISSING_CLIENT_CAPABILITY, "%s", pcfmcp_ctx_errmsg(ctx));
        r->data = cJSON_CreateObject();
        if (!pcfmcp__json_put(r->data, "requiredCapabilities", ctx->missing_caps)) {
            cJSON_Delete(r->data);
            r->data = NULL;
        }
        ctx->missing_caps = NULL;
        return;
    }
    if (rc == PCFMCP_OK && !res->is_error && res->rendered) {
        /* Sent before, checked then: as it is. */
        r->outcome = PCFMCP_OUTCOME_OK;
        r->result_text = res->rendered;
        r->result_len = res->rendered_len;
        res->rendered = NULL;
        return;
    }
    if (rc != PCFMCP_OK) {
        if (!res->is_error)
            tool_error_text(res, pcfmcp_strerror(rc));
        r->outcome = PCFMCP_OUTCOME_TOOL_ERROR;
    } else if (res->is_error) {
        r->outcome = PCFMCP_OUTCOME_TOOL_ERROR;
    } else if (tool->output && !res->structured && !res->structured_text) {
        pcfmcp__log_fields f;
        char trace[33];
        pcfmcp__ctx_log_fields(ctx, &f, trace);
        PCFMCP_LOGF(e->log, PCFMCP_LOG_ERROR, "mcp", &f,
                    "tool %s declares an outputSchema but returned no structured content", name);
        tool_error_text(res, "internal error: the tool returned no structured content");
        r->outcome = PCFMCP_OUTCOME_TOOL_ERROR;
    } else if (tool->output && e->validate_output) {
        pcfmcp__buf bad;
        pcfmcp__buf_init(&bad);
        cJSON *parsed = NULL;
        const cJSON *sc = res->structured;
        if (!sc && pcfmcp__json_parse(res->structured_text, res->structured_len, 0, &parsed,
                                      NULL) == PCFMCP__JSON_OK)
            sc = parsed;
        if (!sc || !pcfmcp__schema_validate(tool->output, sc, &bad)) {
            pcfmcp__log_fields f;
            char trace[33];
            pcfmcp__ctx_log_fields(ctx, &f, trace);
            PCFMCP_LOGF(e->log, PCFMCP_LOG_ERROR, "mcp", &f,
                        "tool %s returned structured content that violates its outputSchema: %s",
                        name, bad.data ? bad.data : "");
            tool_error_text(res, "internal error: structured content violates the outputSchema");
            r->outcome = PCFMCP_OUTCOME_TOOL_ERROR;
        }
        cJSON_Delete(parsed);
        pcfmcp__buf_free(&bad);
    }
    if (r->outcome == PCFMCP_OUTCOME_TOOL_ERROR) {
        /* An error result carries no structuredContent: it would not conform. */
        cJSON_Delete(res->structured);
        res->structured = NULL;
        pcfmcp__free(res->structured_text);
        res->structured_text = NULL;
    }
    reply_tool_result(r, res);
    if (r->result_text && r->outcome == PCFMCP_OUTCOME_OK && res->keep)
        res->keep(r->result_text, r->result_len, res->keep_ud);
}

/* Runs the tool of a prepared call (on a worker) and answers. */
static void tools_call_run(pcfmcp_ctx_t *ctx, reply *r, tool_call *tc)
{
    pcfmcp_engine_t *e = ctx->engine;
    pcfmcp__entry *tool = tc->tool;
    pcfmcp__watchdog_add(e, ctx);
    pcfmcp_error_t rc =
        tool->native
            ? ((pcfmcp__native_tool_cb)tool->cb)(ctx, tc->args, tc->res, tool->ud)
            : ((pcfmcp_tool_cb)tool->cb)(ctx, tc->args_text, strlen(tc->args_text), tc->res,
                                         tool->ud);
    if (pcfmcp__watchdog_remove(e, ctx)) {
        /* Whatever the handler made of its cancellation, the client
         * learns that the call ran out of time. */
        pcfmcp_result_t *res = tc->res;
        while (cJSON_GetArraySize(res->items) > 0)
            cJSON_DeleteItemFromArray(res->items, 0);
        cJSON_Delete(res->structured);
        res->structured = NULL;
        pcfmcp__free(res->structured_text);
        res->structured_text = NULL;
        pcfmcp__free(res->rendered);
        res->rendered = NULL;
        char msg[160];
        snprintf(msg, sizeof(msg),
                 "The tool call timed out after %u ms and was cancelled; retry, or "
                 "narrow the request.",
                 atomic_load(&e->tool_timeout_ms));
        tool_error_text(res, msg);
        r->outcome = PCFMCP_OUTCOME_TIMEOUT;
        reply_tool_result(r, res);
        return;
    }
    if (ctx->input_requests && (rc == PCFMCP_ERR_INPUT_REQUIRED || rc == PCFMCP_OK)) {
        r->outcome = PCFMCP_OUTCOME_OK;
        reply_input_required(ctx, r);
        return;
    }
    tools_call_finish(ctx, r, tc, rc);
}

static void do_tools_call(pcfmcp_ctx_t *ctx, reply *r)
{
    tool_call *tc = ctx->tool_call;
    ctx->tool_call = NULL;
    if (!tc && !(tc = tools_call_lookup(ctx, r)))
        return;
    if (tools_call_check(ctx, r, tc))
        tools_call_run(ctx, r, tc);
    tool_call_free(tc);
}

/* On the transport's thread, before a tools/call goes to a worker: a native
 * tool's probe may answer it at once (a cached result). Only then do the
 * before-hook and the checks run here, so a call's hooks always share its
 * thread. Returns true when answered (the answer, or an error, in @p r);
 * false leaves the looked-up call in ctx->tool_call for the worker. */
static bool tools_call_inline(pcfmcp_ctx_t *ctx, reply *r)
{
    tool_call *tc = tools_call_lookup(ctx, r);
    if (!tc)
        return true;
    pcfmcp__entry *tool = tc->tool;
    int rc = PCFMCP__WOULD_BLOCK;
    if (tool->probe)
        rc = ((pcfmcp__native_probe_cb)tool->probe)(ctx, tc->args, tc->res, tool->ud);
    if (rc == PCFMCP__WOULD_BLOCK) {
        ctx->tool_call = tc;
        return false;
    }
    if (tools_call_check(ctx, r, tc))
        tools_call_finish(ctx, r, tc, (pcfmcp_error_t)rc);
    tool_call_free(tc);
    return true;
}

/* Maps a handler's error for non-tool methods to a JSON-RPC error. */
static void handler_error(pcfmcp_ctx_t *ctx, pcfmcp_result_t *res, pcfmcp_error_t rc,
                          const char *what, reply *r)
{
    const char *msg = res && res->error_message ? res->error_message : pcfmcp_strerror(rc);
    if (rc == PCFMCP_ERR_NOT_FOUND) {
        reply_error(r, pcfmcp__rpc_code_for(rc, ctx->modern), "%s", msg);
        r->data = cJSON_CreateObject();
        if (what)
            cJSON_AddStringToObject(r->data, "uri", what);
        return;
    }
    reply_error(r, pcfmcp__rpc_code_for(rc, ctx->modern), "%s", msg);
}

static void do_resources_read(pcfmcp_ctx_t *ctx, reply *r)
{
    pcfmcp_engine_t *e = ctx->engine;
    if (!pcfmcp__engine_has(e, PCFMCP__LIST_RESOURCES)) {
        reply_error(r, PCFMCP__RPC_METHOD_NOT_FOUND, "method not found: %s (capability not offered)",
                    ctx->method);
        return;
    }
    const char *uri = pcfmcp__json_str(ctx->params, "uri");
    if (!uri || !*uri) {
        reply_error(r, PCFMCP__RPC_INVALID_PARAMS, "resources/read needs params.uri (a string)");
        return;
    }
    ctx->name = pcfmcp__strdup(uri);
    cJSON *vars = NULL;
    pcfmcp__entry *en = pcfmcp__engine_find(e, PCFMCP__LIST_RESOURCES, uri);
    if (!en)
        en = pcfmcp__engine_match_template(e, uri, &vars);
    if (!en) {
        reply_error(r, pcfmcp__rpc_code_for(PCFMCP_ERR_NOT_FOUND, ctx->modern),
                    "resource not found: %s", uri);
        r->data = cJSON_CreateObject();
        cJSON_AddStringToObject(r->data, "uri", uri);
        return;
    }
    char *vars_text = vars ? pcfmcp__json_print(vars, NULL) : pcfmcp__strdup("{}");
    cJSON_Delete(vars);
    pcfmcp_result_t *res = pcfmcp__result_new(PCFMCP__RESULT_READ);
    pcfmcp_error_t hrc = PCFMCP_OK;
    if (!vars_text || !res || !ctx->name) {
        reply_nomem(r);
    } else if ((hrc = run_before_hook(ctx, NULL)) != PCFMCP_OK) {
        reply_error(r, refusal_code(ctx, hrc), "%s", ctx->refusal ? ctx->refusal : "request refused");
        r->outcome = PCFMCP_OUTCOME_REFUSED;
    } else {
        pcfmcp_error_t rc = ((pcfmcp_resource_cb)en->cb)(ctx, uri, vars_text, res, en->ud);
        if (ctx->input_requests && (rc == PCFMCP_ERR_INPUT_REQUIRED || rc == PCFMCP_OK)) {
            reply_input_required(ctx, r);
        } else if (rc != PCFMCP_OK) {
            handler_error(ctx, res, rc, uri, r);
        } else {
            cJSON *o = cJSON_CreateObject();
            bool ok = pcfmcp__json_put(o, "contents", res->items);
            res->items = NULL;
            if (res->meta) {
                ok &= pcfmcp__json_put(o, "_meta", res->meta);
                res->meta = NULL;
            }
            if (ctx->modern)
                ok &= o && add_cache_hint(e, o, PCFMCP__HINT_READ);
            reply_built(r, o, ok);
        }
    }
    pcfmcp__free(vars_text);
    pcfmcp__result_free(res);
    pcfmcp__entry_unref(en);
}

static void do_subscribe(pcfmcp_ctx_t *ctx, bool on, reply *r)
{
    pcfmcp_session_t *s = ctx->session;
    if (!ctx->engine->subscriptions) {
        reply_error(r, PCFMCP__RPC_METHOD_NOT_FOUND, "method not found: %s (subscriptions not offered)",
                    ctx->method);
        return;
    }
    const char *uri = pcfmcp__json_str(ctx->params, "uri");
    if (!uri || !*uri) {
        reply_error(r, PCFMCP__RPC_INVALID_PARAMS, "%s needs params.uri (a string)", ctx->method);
        return;
    }
    bool nomem = false;
    pthread_mutex_lock(&s->lock);
    size_t i = 0;
    while (i < s->nsubs && strcmp(s->subs[i], uri) != 0)
        i++;
    if (on && i == s->nsubs) {
        char **n = s->nsubs < 1024 ? pcfmcp__realloc(s->subs, (s->nsubs + 1) * sizeof(*n)) : NULL;
        char *copy = n ? pcfmcp__strdup(uri) : NULL;
        if (n)
            s->subs = n;
        if (copy)
            s->subs[s->nsubs++] = copy;
        else
            nomem = true;
    } else if (!on && i < s->nsubs) {
        pcfmcp__free(s->subs[i]);
        s->subs[i] = s->subs[--s->nsubs];
    }
    pthread_mutex_unlock(&s->lock);
    if (nomem)
        reply_error(r, PCFMCP__RPC_INVALID_PARAMS, "too many subscriptions on this session");
    else
        reply_json(r, cJSON_CreateObject());
}

static const cJSON *find_prompt_arg(const cJSON *def, const char *name)
{
    const cJSON *a;
    cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(def, "arguments")) {
        const char *n = pcfmcp__json_str(a, "name");
        if (n && strcmp(n, name) == 0)
            return a;
    }
    return NULL;
}

static void do_prompts_get(pcfmcp_ctx_t *ctx, reply *r)
{
    pcfmcp_engine_t *e = ctx->engine;
    const char *name = pcfmcp__json_str(ctx->params, "name");
    if (!name) {
        reply_error(r, PCFMCP__RPC_INVALID_PARAMS, "prompts/get needs params.name (a string)");
        return;
    }
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(ctx->params, "arguments");
    if (args && !cJSON_IsObject(args) && !cJSON_IsNull(args)) {
        reply_error(r, PCFMCP__RPC_INVALID_PARAMS, "params.arguments must be an object");
        return;
    }
    pcfmcp__entry *en = pcfmcp__engine_find(e, PCFMCP__LIST_PROMPTS, name);
    if (!en) {
        reply_error(r, PCFMCP__RPC_INVALID_PARAMS, "unknown prompt: %s", name);
        return;
    }
    ctx->name = pcfmcp__strdup(name);
    const cJSON *a;
    const cJSON *given = cJSON_IsObject(args) ? args : NULL;
    cJSON_ArrayForEach(a, given) {
        if (!cJSON_IsString(a)) {
            reply_error(r, PCFMCP__RPC_INVALID_PARAMS, "prompt argument \"%s\" must be a string",
                        a->string);
            goto out0;
        }
        if (!find_prompt_arg(en->def, a->string)) {
            reply_error(r, PCFMCP__RPC_INVALID_PARAMS, "prompt has no argument \"%s\"", a->string);
            goto out0;
        }
    }
    cJSON_ArrayForEach(a, cJSON_GetObjectItemCaseSensitive(en->def, "arguments")) {
        const char *an = pcfmcp__json_str(a, "name");
        if (pcfmcp__json_bool(a, "required", false) &&
            !(cJSON_IsObject(args) && cJSON_GetObjectItemCaseSensitive(args, an))) {
            reply_error(r, PCFMCP__RPC_INVALID_PARAMS, "missing required prompt argument \"%s\"", an);
            goto out0;
        }
    }
    char *args_text = cJSON_IsObject(args) ? pcfmcp__json_print(args, NULL) : pcfmcp__strdup("{}");
    pcfmcp_result_t *res = pcfmcp__result_new(PCFMCP__RESULT_PROMPT);
    pcfmcp_error_t hrc = PCFMCP_OK;
    if (!args_text || !res || !ctx->name) {
        reply_nomem(r);
    } else if ((hrc = run_before_hook(ctx, args_text)) != PCFMCP_OK) {
        reply_error(r, refusal_code(ctx, hrc), "%s", ctx->refusal ? ctx->refusal : "request refused");
        r->outcome = PCFMCP_OUTCOME_REFUSED;
    } else {
        pcfmcp_error_t rc = ((pcfmcp_prompt_cb)en->cb)(ctx, args_text, res, en->ud);
        if (ctx->input_requests && (rc == PCFMCP_ERR_INPUT_REQUIRED || rc == PCFMCP_OK)) {
            reply_input_required(ctx, r);
        } else if (rc != PCFMCP_OK) {
            handler_error(ctx, res, rc, NULL, r);
        } else {
            cJSON *o = cJSON_CreateObject();
            bool ok = !res->description || pcfmcp__json_put_str(o, "description", res->description);
            ok &= pcfmcp__json_put(o, "messages", res->items);
            res->items = NULL;
            reply_built(r, o, ok);
        }
    }
    pcfmcp__free(args_text);
    pcfmcp__result_free(res);
out0:
    pcfmcp__entry_unref(en);
}

static void do_complete(pcfmcp_ctx_t *ctx, reply *r)
{
    pcfmcp_engine_t *e = ctx->engine;
    if (!pcfmcp__engine_has_completions(e)) {
        reply_error(r, PCFMCP__RPC_METHOD_NOT_FOUND, "method not found: %s (capability not offered)",
                    ctx->method);
        return;
    }
    const cJSON *ref = pcfmcp__json_obj(ctx->params, "ref");
    const cJSON *arg = pcfmcp__json_obj(ctx->params, "argument");
    const char *type = pcfmcp__json_str(ref, "type");
    const char *aname = pcfmcp__json_str(arg, "name");
    const char *avalue = pcfmcp__json_str(arg, "value");
    if (!type || !aname || !avalue) {
        reply_error(r, PCFMCP__RPC_INVALID_PARAMS,
                    "completion/complete needs params.ref.type and params.argument.{name,value}");
        return;
    }
    const char *key = NULL;
    pcfmcp__entry *en = NULL;
    if (strcmp(type, "ref/prompt") == 0) {
        key = pcfmcp__json_str(ref, "name");
        en = key ? pcfmcp__engine_find(e, PCFMCP__LIST_PROMPTS, key) : NULL;
    } else if (strcmp(type, "ref/resource") == 0) {
        key = pcfmcp__json_str(ref, "uri");
        en = key ? pcfmcp__engine_find(e, PCFMCP__LIST_TEMPLATES, key) : NULL;
        if (!en && key)
            en = pcfmcp__engine_find(e, PCFMCP__LIST_RESOURCES, key);
    }
    if (!en) {
        reply_error(r, PCFMCP__RPC_INVALID_PARAMS, "unknown completion reference: %s",
                    key ? key : type);
        return;
    }
    pcfmcp__entry_unref(en);
    ctx->name = pcfmcp__strdup(key);
    pcfmcp_complete_cb cb = NULL;
    void *ud = NULL;
    pcfmcp_result_t *res = pcfmcp__result_new(PCFMCP__RESULT_COMPLETE);
    const cJSON *cargs = pcfmcp__json_obj(pcfmcp__json_obj(ctx->params, "context"), "arguments");
    char *ctx_text = cargs ? pcfmcp__json_print(cargs, NULL) : pcfmcp__strdup("{}");
    if (!res || !ctx_text || !ctx->name) {
        reply_nomem(r);
    } else if (pcfmcp__engine_find_completion(e, type, key, &cb, &ud)) {
        pcfmcp_error_t rc = cb(ctx, aname, avalue, ctx_text, res, ud);
        if (rc != PCFMCP_OK)
            handler_error(ctx, res, rc, NULL, r);
    }
    if (res && !r->rpc_code && !r->message) {
        cJSON *o = cJSON_CreateObject(), *c = cJSON_CreateObject();
        bool ok = pcfmcp__json_put(c, "values", res->items);
        res->items = NULL;
        if (res->total_set)
            ok &= pcfmcp__json_put_num(c, "total", (double)res->total);
        ok &= pcfmcp__json_put_bool(c, "hasMore", res->has_more);
        ok &= pcfmcp__json_put(o, "completion", c);
        reply_built(r, o, ok);
    }
    pcfmcp__free(ctx_text);
    pcfmcp__result_free(res);
}

static void do_set_level(pcfmcp_ctx_t *ctx, reply *r)
{
    const char *level = pcfmcp__json_str(ctx->params, "level");
    int idx = pcfmcp__mcp_level_index(level);
    if (idx < 0) {
        reply_error(r, PCFMCP__RPC_INVALID_PARAMS,
                    "params.level must be one of debug, info, notice, warning, error, critical, "
                    "alert, emergency");
        return;
    }
    pthread_mutex_lock(&ctx->session->lock);
    ctx->session->log_level = idx;
    pthread_mutex_unlock(&ctx->session->lock);
    reply_json(r, cJSON_CreateObject());
}

/* ----------------------------------------------- subscriptions/listen */

#define META_SUBSCRIPTION "io.modelcontextprotocol/subscriptionId"

static void listener_free(pcfmcp__listener *l)
{
    /* Half-built listeners come here too: no array, no URIs to free. */
    for (size_t i = 0; l->uris && i < l->nuris; i++)
        pcfmcp__free(l->uris[i]);
    pcfmcp__free(l->uris);
    pcfmcp__free(l);
}

/* Params of a message on a listener's stream: its subscription id (the
 * listen request's id, exactly as sent) in `_meta`. */
static cJSON *listen_params(const pcfmcp__listener *l)
{
    cJSON *params = cJSON_CreateObject();
    cJSON *meta = cJSON_CreateObject();
    bool ok = pcfmcp__json_put(meta, META_SUBSCRIPTION, cJSON_CreateRaw(l->ctx->id_text));
    ok &= pcfmcp__json_put(params, "_meta", meta);
    if (!ok) {
        cJSON_Delete(params);
        return NULL;
    }
    return params;
}

/* A notification tagged with the listener's subscription id. */
static char *listen_message(const pcfmcp__listener *l, const char *method, const char *uri,
                            size_t *len)
{
    cJSON *params = listen_params(l);
    bool ok = params && (!uri || pcfmcp__json_put_str(params, "uri", uri));
    char *msg = ok ? pcfmcp__rpc_message(NULL, method, params, len) : NULL;
    cJSON_Delete(params);
    return msg;
}

/* The acknowledgement: tagged like every message on the stream, carrying
 * the filter the server agreed to honour (what it cannot deliver left out). */
static char *listen_ack(const pcfmcp__listener *l, size_t *len)
{
    cJSON *params = listen_params(l);
    cJSON *n = cJSON_CreateObject();
    bool ok = params && n;
    if (l->tools)
        ok &= pcfmcp__json_put_bool(n, "toolsListChanged", true);
    if (l->prompts)
        ok &= pcfmcp__json_put_bool(n, "promptsListChanged", true);
    if (l->resources)
        ok &= pcfmcp__json_put_bool(n, "resourcesListChanged", true);
    if (l->uris) {
        cJSON *u = cJSON_CreateArray();
        for (size_t i = 0; i < l->nuris; i++)
            ok &= pcfmcp__json_put_str(u, NULL, l->uris[i]);
        ok &= pcfmcp__json_put(n, "resourceSubscriptions", u);
    }
    ok &= pcfmcp__json_put(params, "notifications", n);
    char *msg = ok ? pcfmcp__rpc_message(NULL, "notifications/subscriptions/acknowledged", params, len)
                   : NULL;
    cJSON_Delete(params);
    return msg;
}

/* Parks the request as a listener: it has no response; change
 * notifications follow on its stream until the client cancels it (closes
 * the stream, or notifications/cancelled on stdio) or the server ends it.
 * Returns false after filling `r` when the request is bad. */
static bool do_listen(pcfmcp_ctx_t *ctx, reply *r)
{
    pcfmcp_engine_t *e = ctx->engine;
    const cJSON *n = cJSON_GetObjectItemCaseSensitive(ctx->params, "notifications");
    if (!cJSON_IsObject(n)) {
        reply_error(r, PCFMCP__RPC_INVALID_PARAMS,
                    "subscriptions/listen needs params.notifications (an object)");
        return false;
    }
    pcfmcp__listener *l = pcfmcp__calloc(1, sizeof(*l));
    if (!l) {
        reply_nomem(r);
        return false;
    }
    l->ctx = ctx;
    /* Only what this server can deliver is honoured (and acknowledged). */
    l->tools = pcfmcp__json_bool(n, "toolsListChanged", false) && pcfmcp__engine_has(e, PCFMCP__LIST_TOOLS);
    l->prompts = pcfmcp__json_bool(n, "promptsListChanged", false) && pcfmcp__engine_has(e, PCFMCP__LIST_PROMPTS);
    l->resources = pcfmcp__json_bool(n, "resourcesListChanged", false) &&
                   pcfmcp__engine_has(e, PCFMCP__LIST_RESOURCES);
    const cJSON *subs = cJSON_GetObjectItemCaseSensitive(n, "resourceSubscriptions");
    if (subs && !cJSON_IsArray(subs)) {
        listener_free(l);
        reply_error(r, PCFMCP__RPC_INVALID_PARAMS, "notifications.resourceSubscriptions must be an array of URIs");
        return false;
    }
    int nsubs = cJSON_GetArraySize(subs);
    if (nsubs > 1024) {
        listener_free(l);
        reply_error(r, PCFMCP__RPC_INVALID_PARAMS, "at most 1024 resourceSubscriptions");
        return false;
    }
    const cJSON *u;
    cJSON_ArrayForEach(u, subs) {
        if (!cJSON_IsString(u)) {
            listener_free(l);
            reply_error(r, PCFMCP__RPC_INVALID_PARAMS, "resourceSubscriptions entries must be strings");
            return false;
        }
    }
    /* Resource updates are only sent by a server that offers subscriptions. */
    if (subs && e->subscriptions && !(l->uris = pcfmcp__calloc((size_t)nsubs + 1, sizeof(char *)))) {
        listener_free(l);
        reply_nomem(r);
        return false;
    }
    const cJSON *watch = l->uris ? subs : NULL;
    cJSON_ArrayForEach(u, watch) {
        if (!(l->uris[l->nuris++] = pcfmcp__strdup(u->valuestring))) {
            listener_free(l);
            reply_nomem(r);
            return false;
        }
    }
    pthread_mutex_lock(&e->listen_lock);
    size_t len = 0;
    char *ack = listen_ack(l, &len);
    if (!ack) {
        pthread_mutex_unlock(&e->listen_lock);
        listener_free(l);
        reply_nomem(r);
        return false;
    }
    /* Acknowledged first, under the lock, so no change notification can
     * overtake it. */
    pcfmcp__ctx_emit(ctx, ack, len, PCFMCP_EMIT_NOTIFICATION);
    pcfmcp__free(ack);
    l->next = e->listeners;
    e->listeners = l;
    atomic_fetch_add(&e->nlisteners, 1);
    pthread_mutex_unlock(&e->listen_lock);
    /* Cancelled before it was parked (client already gone): end it now. */
    if (pcfmcp__ctx_cancelled(ctx))
        pcfmcp__engine_reap_listeners(e);
    return true;
}

void pcfmcp__engine_notify_listeners(pcfmcp_engine_t *e, pcfmcp__list_kind kind, const char *uri)
{
    if (atomic_load(&e->nlisteners) == 0)
        return;
    static const char *const changed[PCFMCP__LIST_COUNT] = {
        "notifications/tools/list_changed", "notifications/resources/list_changed",
        "notifications/resources/list_changed", "notifications/prompts/list_changed",
    };
    pthread_mutex_lock(&e->listen_lock);
    for (pcfmcp__listener *l = e->listeners; l; l = l->next) {
        bool want = false;
        if (uri) {
            for (size_t i = 0; i < l->nuris && !want; i++)
                want = strcmp(l->uris[i], uri) == 0;
        } else {
            want = kind == PCFMCP__LIST_TOOLS     ? l->tools
                   : kind == PCFMCP__LIST_PROMPTS ? l->prompts
                                                  : l->resources;
        }
        if (!want || pcfmcp__ctx_cancelled(l->ctx))
            continue;
        size_t len = 0;
        char *msg = listen_message(l, uri ? "notifications/resources/updated" : changed[kind], uri, &len);
        if (msg)
            pcfmcp__ctx_emit(l->ctx, msg, len, PCFMCP_EMIT_NOTIFICATION);
        pcfmcp__free(msg);
    }
    pthread_mutex_unlock(&e->listen_lock);
}

static void finish(pcfmcp_ctx_t *ctx, reply *r, pcfmcp__handle_info *info);
static void ctx_release(pcfmcp_ctx_t *ctx);

void pcfmcp__engine_reap_listeners(pcfmcp_engine_t *e)
{
    if (atomic_load(&e->nlisteners) == 0)
        return;
    pcfmcp__listener *done = NULL;
    pthread_mutex_lock(&e->listen_lock);
    for (pcfmcp__listener **pp = &e->listeners; *pp;) {
        pcfmcp__listener *l = *pp;
        if (pcfmcp__ctx_cancelled(l->ctx) || l->ending) {
            *pp = l->next;
            l->next = done;
            done = l;
            atomic_fetch_sub(&e->nlisteners, 1);
        } else {
            pp = &l->next;
        }
    }
    pthread_mutex_unlock(&e->listen_lock);
    while (done) {
        pcfmcp__listener *n = done->next;
        reply r = { 0 };
        if (pcfmcp__ctx_cancelled(done->ctx)) {
            /* Cancelled: finish() sends a FINAL without message; the empty
             * result only keeps it from reporting an error nobody saw. */
            r.outcome = PCFMCP_OUTCOME_CANCELLED;
            r.result_text = pcfmcp__strdup("{}");
            r.result_len = 2;
        } else {
            /* Ended by the server: the graceful closure, a completion result
             * tagged with the subscription id like the rest of the stream. */
            cJSON *params = listen_params(done);
            r.outcome = PCFMCP_OUTCOME_OK;
            r.result_text = params ? pcfmcp__json_print(params, &r.result_len) : NULL;
            cJSON_Delete(params);
        }
        finish(done->ctx, &r, NULL);
        ctx_release(done->ctx);
        listener_free(done);
        done = n;
    }
}

void pcfmcp__engine_end_listeners(pcfmcp_engine_t *e, pcfmcp_session_t *s, const void *ud,
                                  bool graceful)
{
    if (atomic_load(&e->nlisteners) == 0)
        return;
    bool any = false;
    pthread_mutex_lock(&e->listen_lock);
    for (pcfmcp__listener *l = e->listeners; l; l = l->next) {
        if (l->ctx->session != s || (ud && l->ctx->emit_ud != ud))
            continue;
        if (graceful)
            l->ending = true;
        else
            pcfmcp__ctx_cancel(l->ctx);
        any = true;
    }
    pthread_mutex_unlock(&e->listen_lock);
    if (any)
        pcfmcp__engine_reap_listeners(e);
}

/* ------------------------------------------------------------- running */

static void finish(pcfmcp_ctx_t *ctx, reply *r, pcfmcp__handle_info *info)
{
    pcfmcp_engine_t *e = ctx->engine;
    size_t len = 0, head_len = 0;
    char *msg = NULL, *head = NULL;
    unsigned flags = PCFMCP_EMIT_FINAL;
    if (!r->message && !r->result_text && !r->body)
        reply_nomem(r);
    if (r->rpc_code) {
        if (!r->message)
            r->message = pcfmcp__strdup("internal error");
        msg = pcfmcp__rpc_error(ctx->id_text, r->rpc_code, r->message ? r->message : "internal error",
                                r->data, &len);
        flags |= PCFMCP_EMIT_ERROR;
        if (r->outcome == PCFMCP_OUTCOME_OK)
            r->outcome = PCFMCP_OUTCOME_ERROR;
    } else if (ctx->modern && !r->final_form) {
        cJSON *res = pcfmcp__json_parse_object(r->result_text, r->result_len);
        if ((res = modernize(e, res)) != NULL) {
            char *t = pcfmcp__json_print(res, NULL);
            if (t)
                msg = pcfmcp__rpc_result_text(ctx->id_text, t, strlen(t), &len);
            pcfmcp__free(t);
        }
        cJSON_Delete(res);
    } else if (!(info && info->take_final && !ctx->emitted)) {
        const char *t = r->body ? pcfmcp__blob_data(r->body) : r->result_text;
        size_t n = r->body ? pcfmcp__blob_len(r->body) : r->result_len;
        msg = pcfmcp__rpc_result_text(ctx->id_text, t, n, &len);
    } else {
        /* The transport takes the result as it is: never copied. */
        if (!r->body) {
            r->body = pcfmcp__blob_take(r->result_text, r->result_len);
            r->result_text = NULL;
        }
        head = r->body ? pcfmcp__rpc_result_head(ctx->id_text, &head_len) : NULL;
    }
    if (info) {
        info->rpc_error = r->rpc_code;
        info->modern = ctx->modern;
    }
    if (pcfmcp__ctx_cancelled(ctx) && !ctx->timed_out) {
        r->outcome = PCFMCP_OUTCOME_CANCELLED;
        pcfmcp__ctx_emit(ctx, NULL, 0, PCFMCP_EMIT_FINAL);
    } else if (head) {
        ctx->answered = true;
        info->final_head = head;
        info->final_head_len = head_len;
        info->final_body = r->body;
        head = NULL;
        r->body = NULL;
    } else if (msg && info && info->take_final && !ctx->emitted) {
        /* The transport takes the answer as it is: no copy, no emit. */
        ctx->answered = true;
        info->final_msg = msg;
        info->final_len = len;
        msg = NULL;
    } else if (msg) {
        pcfmcp__ctx_emit(ctx, msg, len, flags);
    } else {
        /* Could not even build the error: the stack still can. */
        char oom[1024];
        size_t olen = nomem_reply(oom, sizeof(oom), ctx->id_text, NULL, "out of memory");
        pcfmcp__ctx_emit(ctx, oom, olen, PCFMCP_EMIT_FINAL | PCFMCP_EMIT_ERROR);
    }
    pcfmcp__free(msg);
    double secs = (double)(pcfmcp__now_ns() - ctx->start_ns) / 1e9;
    if (e->after)
        e->after(ctx, ctx->method, ctx->name, r->outcome, r->rpc_code, secs, e->hook_ud);
    if (pcfmcp_logger_enabled(e->log, PCFMCP_LOG_DEBUG)) {
        pcfmcp__log_fields f;
        char trace[33];
        pcfmcp__ctx_log_fields(ctx, &f, trace);
        pcfmcp__log(e->log, PCFMCP_LOG_DEBUG, "mcp", &f, "%s%s%s -> %s in %.3f ms", ctx->method,
                    ctx->name ? " " : "", ctx->name ? ctx->name : "",
                    r->rpc_code ? "error" : "ok", secs * 1000.0);
    }
    pcfmcp__free(r->message);
    pcfmcp__free(head);
    pcfmcp__blob_unref(r->body);
    pcfmcp__free(r->result_text);
    cJSON_Delete(r->data);
}

/* Methods whose handlers call the before-hook themselves, once they know
 * the tool, resource or prompt. */
static bool hooks_itself(int id)
{
    return id == M_TOOLS_CALL || id == M_RESOURCES_READ || id == M_PROMPTS_GET;
}

/* Returns false when the request stays open (subscriptions/listen). */
static bool run_method(pcfmcp_ctx_t *ctx, int midx, pcfmcp__handle_info *info)
{
    reply r = { 0 };
    pcfmcp_error_t hrc = PCFMCP_OK;
    if (ctx->tool_call) {
        do_tools_call(ctx, &r); /* its revision was settled by try_inline() */
    } else if (!select_revision(ctx, midx, &r) || (ctx->modern && !take_state(ctx, &r))) {
        /* answered by select_revision or take_state */
    } else if (methods[midx].id != M_UNKNOWN && !hooks_itself(methods[midx].id) &&
               (hrc = run_before_hook(ctx, NULL)) != PCFMCP_OK) {
        reply_error(&r, refusal_code(ctx, hrc), "%s", ctx->refusal ? ctx->refusal : "request refused");
        r.outcome = PCFMCP_OUTCOME_REFUSED;
    } else {
        if (methods[midx].id == M_LISTEN && do_listen(ctx, &r))
            return false;
        switch (methods[midx].id) {
        case M_INITIALIZE: do_initialize(ctx, &r); break;
        case M_PING: reply_json(&r, cJSON_CreateObject()); break;
        case M_DISCOVER: do_discover(ctx, &r); break;
        case M_TOOLS_LIST: do_list(ctx, PCFMCP__LIST_TOOLS, &r); break;
        case M_TOOLS_CALL: do_tools_call(ctx, &r); break;
        case M_RESOURCES_LIST: do_list(ctx, PCFMCP__LIST_RESOURCES, &r); break;
        case M_TEMPLATES_LIST: do_list(ctx, PCFMCP__LIST_TEMPLATES, &r); break;
        case M_RESOURCES_READ: do_resources_read(ctx, &r); break;
        case M_SUBSCRIBE: do_subscribe(ctx, true, &r); break;
        case M_UNSUBSCRIBE: do_subscribe(ctx, false, &r); break;
        case M_PROMPTS_LIST: do_list(ctx, PCFMCP__LIST_PROMPTS, &r); break;
        case M_PROMPTS_GET: do_prompts_get(ctx, &r); break;
        case M_COMPLETE: do_complete(ctx, &r); break;
        case M_SET_LEVEL: do_set_level(ctx, &r); break;
        case M_LISTEN: break; /* refused by do_listen: r holds the error */
        case M_UNKNOWN: reply_error(&r, PCFMCP__RPC_METHOD_NOT_FOUND, "method not found: %s", ctx->method); break;
        }
    }
    finish(ctx, &r, info);
    return true;
}

/* A tools/call, before it goes to a worker: answered here when its tool's
 * probe can (see tools_call_inline). Returns true when answered. */
static bool try_inline(pcfmcp_ctx_t *ctx, int midx, pcfmcp__handle_info *info)
{
    if (methods[midx].id != M_TOOLS_CALL)
        return false;
    reply r = { 0 };
    if (select_revision(ctx, midx, &r) && (!ctx->modern || take_state(ctx, &r)) &&
        !tools_call_inline(ctx, &r))
        return false;
    finish(ctx, &r, info);
    return true;
}

static void ctx_release(pcfmcp_ctx_t *ctx)
{
    pcfmcp__session_untrack(ctx->session, ctx);
    ctx_free(ctx);
}

typedef struct {
    pcfmcp_ctx_t *ctx;
    int midx;
} job;

static void run_job(void *arg)
{
    job *j = arg;
    run_method(j->ctx, j->midx, NULL);
    pcfmcp__session_untrack(j->ctx->session, j->ctx);
    ctx_free(j->ctx);
    pcfmcp__free(j);
}

static pcfmcp_ctx_t *ctx_new(pcfmcp_engine_t *e, pcfmcp_session_t *s, cJSON *msg,
                             const pcfmcp__rpc_msg *m, pcfmcp_emit_cb emit, void *ud,
                             const char *traceparent, const char *tracestate)
{
    pcfmcp_ctx_t *ctx = pcfmcp__calloc(1, sizeof(*ctx));
    if (!ctx)
        return NULL;
    pthread_mutex_init(&ctx->emit_lock, NULL);
    ctx->engine = e;
    ctx->session = pcfmcp__session_ref(s);
    ctx->msg = msg;
    ctx->method = m->method;
    ctx->params = m->params;
    ctx->meta = m->params ? pcfmcp__json_obj(m->params, "_meta") : NULL;
    ctx->emit = emit;
    ctx->emit_ud = ud;
    ctx->log_level = -1;
    ctx->start_ns = pcfmcp__now_ns();
    ctx->id_text = id_to_text(m->id);
    if (ctx->meta) {
        const cJSON *tok = cJSON_GetObjectItemCaseSensitive(ctx->meta, "progressToken");
        if (cJSON_IsString(tok) || pcfmcp__json_is_integer(tok))
            ctx->progress_token = tok;
    }
    const cJSON *ir = m->params ? cJSON_GetObjectItemCaseSensitive(m->params, "inputResponses") : NULL;
    if (cJSON_IsObject(ir))
        ctx->input_responses = ir;
    const char *tp = traceparent;
    const char *ts = tracestate;
    if (!tp && ctx->meta) {
        tp = pcfmcp__json_str(ctx->meta, "traceparent");
        ts = pcfmcp__json_str(ctx->meta, "tracestate");
    }
    if (tp && valid_traceparent(tp)) {
        ctx->traceparent = pcfmcp__strdup(tp);
        if (ts && strlen(ts) <= 512)
            ctx->tracestate = pcfmcp__strdup(ts);
    }
    if (!ctx->id_text) {
        ctx->msg = NULL; /* caller still owns msg on failure */
        ctx_free(ctx);
        return NULL;
    }
    return ctx;
}

static void handle_notification(pcfmcp_engine_t *e, pcfmcp_session_t *s, const pcfmcp__rpc_msg *m)
{
    if (strcmp(m->method, "notifications/initialized") == 0) {
        pthread_mutex_lock(&s->lock);
        if (s->state == PCFMCP__SESSION_INITIALIZED)
            s->state = PCFMCP__SESSION_READY;
        pthread_mutex_unlock(&s->lock);
    } else if (strcmp(m->method, "notifications/cancelled") == 0) {
        const cJSON *rid = cJSON_GetObjectItemCaseSensitive(m->params, "requestId");
        if (rid) {
            const char *why = pcfmcp__json_str(m->params, "reason");
            PCFMCP_LOG(e->log, PCFMCP_LOG_DEBUG, "mcp", "client cancelled a request%s%s",
                       why ? ": " : "", why ? why : "");
            pcfmcp__session_cancel(s, rid);
        }
    }
    /* Everything else (roots/list_changed, progress, unknown) needs no action. */
}

/* Handles one non-batch element. `owned` is detached from any parent and
 * becomes the context's when the request runs on a worker. */
static pcfmcp_handled_t handle_one(pcfmcp_engine_t *e, pcfmcp_session_t *s, cJSON *owned,
                                   pcfmcp_emit_cb emit, void *ud, const char *tp, const char *ts,
                                   bool allow_async, pcfmcp__handle_info *info)
{
    pcfmcp__rpc_msg m;
    pcfmcp__rpc_classify(owned, &m);
    switch (m.kind) {
    case PCFMCP__MSG_INVALID: {
        char *idt = m.id_usable ? id_to_text(m.id) : NULL;
        size_t len = 0;
        char *msg = pcfmcp__rpc_error(idt, PCFMCP__RPC_INVALID_REQUEST, m.why, NULL, &len);
        if (msg)
            emit(msg, len, PCFMCP_EMIT_FINAL | PCFMCP_EMIT_ERROR, ud);
        pcfmcp__free(msg);
        pcfmcp__free(idt);
        cJSON_Delete(owned);
        if (info)
            info->rpc_error = PCFMCP__RPC_INVALID_REQUEST;
        return PCFMCP_HANDLED_DONE;
    }
    case PCFMCP__MSG_NOTIFICATION:
        handle_notification(e, s, &m);
        cJSON_Delete(owned);
        return PCFMCP_HANDLED_NOTHING;
    case PCFMCP__MSG_RESPONSE:
        if (!pcfmcp__session_deliver_response(s, m.id, m.result, m.error))
            PCFMCP_LOG(e->log, PCFMCP_LOG_DEBUG, "mcp",
                       "dropped a response to a request that is not pending");
        cJSON_Delete(owned);
        return PCFMCP_HANDLED_NOTHING;
    case PCFMCP__MSG_REQUEST:
        break;
    }
    if (info)
        info->initialize = strcmp(m.method, "initialize") == 0;
    pcfmcp_ctx_t *ctx = ctx_new(e, s, owned, &m, emit, ud, tp, ts);
    if (!ctx) {
        char *idt = id_to_text(m.id);
        size_t len = 0;
        char *msg = pcfmcp__rpc_error(idt, PCFMCP__RPC_INTERNAL_ERROR, "out of memory", NULL, &len);
        if (msg) {
            emit(msg, len, PCFMCP_EMIT_FINAL | PCFMCP_EMIT_ERROR, ud);
        } else {
            char oom[1024];
            emit(oom, nomem_reply(oom, sizeof(oom), idt, m.id, "out of memory"), PCFMCP_EMIT_FINAL | PCFMCP_EMIT_ERROR, ud);
        }
        pcfmcp__free(msg);
        pcfmcp__free(idt);
        cJSON_Delete(owned);
        if (info)
            info->rpc_error = PCFMCP__RPC_INTERNAL_ERROR;
        return PCFMCP_HANDLED_DONE;
    }
    int midx = lookup_method(m.method);
    pcfmcp__session_track(s, ctx);
    if (allow_async && e->pool && midx >= 0 && methods[midx].slow) {
        if (try_inline(ctx, midx, info))
            goto done;
        job *j = pcfmcp__malloc(sizeof(*j));
        if (j) {
            j->ctx = ctx;
            j->midx = midx;
            if (pcfmcp__pool_submit(e->pool, run_job, j) == PCFMCP_OK)
                return PCFMCP_HANDLED_PENDING;
            pcfmcp__free(j);
        }
        reply r = { 0 };
        /* Unless settled already (a looked-up tools/call), what the request
         * claims decides the revision. */
        const char *v = pcfmcp__json_str(ctx->meta, META_VERSION);
        bool modern = ctx->tool_call ? ctx->modern : v && strcmp(v, PCFMCP_PROTOCOL_STATELESS) == 0;
        reply_error(&r, pcfmcp__rpc_code_for(PCFMCP_ERR_UNAVAILABLE, modern),
                    "server busy: too many requests in progress, retry shortly");
        PCFMCP_LOG(e->log, PCFMCP_LOG_WARN, "mcp", "refused %s: worker queue full", m.method);
        finish(ctx, &r, info);
    } else if (!run_method(ctx, midx, info)) {
        /* Parked (subscriptions/listen): it ends when cancelled. */
        return PCFMCP_HANDLED_PENDING;
    }
done:
    pcfmcp__session_untrack(s, ctx);
    ctx_free(ctx);
    return PCFMCP_HANDLED_DONE;
}

/* Batches (2025-03-26 only) are answered with one array. */
typedef struct {
    pcfmcp_emit_cb emit;
    void *ud;
    pcfmcp__buf out;
    size_t count;
} batch_sink;

static void batch_emit(const char *json, size_t len, unsigned flags, void *ud)
{
    batch_sink *b = ud;
    if (!(flags & PCFMCP_EMIT_FINAL)) {
        b->emit(json, len, flags & ~PCFMCP_EMIT_FINAL, b->ud);
        return;
    }
    if (!json)
        return;
    pcfmcp__buf_putc(&b->out, b->count++ ? ',' : '[');
    pcfmcp__buf_append(&b->out, json, len);
}

/* Why a batch element may not run, or NULL. 2025-03-26, the only revision
 * with batches, forbids initialize in one; a 2026-07-28 request has no
 * batches at all, and a subscriptions/listen parked on a batch would keep
 * writing to a sink that is gone once the batch is answered. */
static const char *batch_refusal(const cJSON *item)
{
    const char *method = pcfmcp__json_str(item, "method");
    if (method && strcmp(method, "initialize") == 0)
        return "initialize must not be part of a JSON-RPC batch";
    const cJSON *meta = pcfmcp__json_obj(pcfmcp__json_obj(item, "params"), "_meta");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(meta, META_VERSION);
    if (method && v && !(cJSON_IsString(v) && strcmp(v->valuestring, "2025-03-26") == 0))
        return "only 2025-03-26 requests can be batched";
    return NULL;
}

static pcfmcp_handled_t handle_batch(pcfmcp_engine_t *e, pcfmcp_session_t *s, cJSON *arr,
                                     pcfmcp_emit_cb emit, void *ud, const char *tp,
                                     const char *ts)
{
    const char *why = NULL;
    pthread_mutex_lock(&s->lock);
    bool allowed = s->state != PCFMCP__SESSION_NEW && s->version &&
                   strcmp(s->version, "2025-03-26") == 0;
    pthread_mutex_unlock(&s->lock);
    int n = cJSON_GetArraySize(arr);
    if (!allowed)
        why = "JSON-RPC batches are only accepted on sessions that negotiated 2025-03-26";
    else if (n == 0)
        why = "empty batch";
    else if ((unsigned)n > e->max_batch)
        why = "batch too long";
    if (why) {
        size_t len = 0;
        char *msg = pcfmcp__rpc_error(NULL, PCFMCP__RPC_INVALID_REQUEST, why, NULL, &len);
        if (msg)
            emit(msg, len, PCFMCP_EMIT_FINAL | PCFMCP_EMIT_ERROR, ud);
        pcfmcp__free(msg);
        cJSON_Delete(arr);
        return PCFMCP_HANDLED_DONE;
    }
    batch_sink b = { .emit = emit, .ud = ud };
    pcfmcp__buf_init(&b.out);
    while (cJSON_GetArraySize(arr) > 0) {
        cJSON *item = cJSON_DetachItemFromArray(arr, 0);
        const char *no = batch_refusal(item);
        if (!no) {
            handle_one(e, s, item, batch_emit, &b, tp, ts, false, NULL);
            continue;
        }
        pcfmcp__rpc_msg m;
        pcfmcp__rpc_classify(item, &m);
        if (m.kind == PCFMCP__MSG_REQUEST) {
            char *idt = id_to_text(m.id);
            size_t len = 0;
            char *msg = idt ? pcfmcp__rpc_error(idt, PCFMCP__RPC_INVALID_REQUEST, no, NULL, &len) : NULL;
            if (msg)
                batch_emit(msg, len, PCFMCP_EMIT_FINAL | PCFMCP_EMIT_ERROR, &b);
            else
                b.out.failed = true;
            pcfmcp__free(msg);
            pcfmcp__free(idt);
        }
        cJSON_Delete(item);
    }
    cJSON_Delete(arr);
    if (!b.count) {
        pcfmcp__buf_free(&b.out);
        return PCFMCP_HANDLED_NOTHING;
    }
    pcfmcp__buf_putc(&b.out, ']');
    if (pcfmcp__buf_ok(&b.out))
        emit(b.out.data, b.out.len, PCFMCP_EMIT_FINAL, ud);
    pcfmcp__buf_free(&b.out);
    return PCFMCP_HANDLED_DONE;
}

pcfmcp_error_t pcfmcp__engine_handle(pcfmcp_engine_t *e, pcfmcp_session_t *s, const char *msg,
                                     size_t len, pcfmcp_emit_cb emit, void *ud,
                                     const char *traceparent, const char *tracestate,
                                     pcfmcp_handled_t *out, pcfmcp__handle_info *info)
{
    if (!e || !s || (!msg && len) || !emit)
        return PCFMCP_ERR_INVALID_ARG;
    if (info) {
        bool take = info->take_final;
        memset(info, 0, sizeof(*info));
        info->take_final = take;
    }
    cJSON *root = NULL;
    size_t off = 0;
    pcfmcp__json_status st = pcfmcp__json_parse(msg ? msg : "", len, (int)e->max_depth, &root, &off);
    pcfmcp_handled_t h;
    if (st == PCFMCP__JSON_NOMEM) {
        /* The id is unknown until the message is parsed, so it is null here. */
        char oom[256];
        emit(oom, nomem_reply(oom, sizeof(oom), NULL, NULL,
                                   "out of memory reading the request"), PCFMCP_EMIT_FINAL | PCFMCP_EMIT_ERROR, ud);
        if (info)
            info->rpc_error = PCFMCP__RPC_INTERNAL_ERROR;
        h = PCFMCP_HANDLED_DONE;
    } else if (st != PCFMCP__JSON_OK) {
        char why[160];
        if (st == PCFMCP__JSON_DEPTH)
            snprintf(why, sizeof(why), "parse error: JSON nested deeper than %u levels", e->max_depth);
        else if (st == PCFMCP__JSON_DUPLICATE)
            snprintf(why, sizeof(why), "parse error: %s", pcfmcp__json_status_text(st));
        else
            snprintf(why, sizeof(why), "parse error: %s at byte %zu", pcfmcp__json_status_text(st), off);
        size_t elen = 0;
        char *err = pcfmcp__rpc_error(NULL, PCFMCP__RPC_PARSE_ERROR, why, NULL, &elen);
        if (err)
            emit(err, elen, PCFMCP_EMIT_FINAL | PCFMCP_EMIT_ERROR, ud);
        pcfmcp__free(err);
        if (info)
            info->rpc_error = PCFMCP__RPC_PARSE_ERROR;
        h = PCFMCP_HANDLED_DONE;
    } else if (cJSON_IsArray(root)) {
        h = handle_batch(e, s, root, emit, ud, traceparent, tracestate);
    } else {
        h = handle_one(e, s, root, emit, ud, traceparent, tracestate, true, info);
    }
    if (out)
        *out = h;
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_engine_handle(pcfmcp_engine_t *e, pcfmcp_session_t *s,
                                               const char *message, size_t len,
                                               pcfmcp_emit_cb emit, void *userdata,
                                               pcfmcp_handled_t *out_handled)
{
    return pcfmcp__engine_handle(e, s, message, len, emit, userdata, NULL, NULL, out_handled, NULL);
}

bool pcfmcp__engine_needs_worker(pcfmcp_engine_t *e, const char *msg, size_t len)
{
    if (!e || !e->pool)
        return false;
    cJSON *root = NULL;
    if (pcfmcp__json_parse(msg ? msg : "", len, (int)e->max_depth, &root, NULL) !=
        PCFMCP__JSON_OK)
        return false; /* answered inline with a parse error */
    bool needs = false;
    if (cJSON_IsObject(root)) { /* batches run inline */
        pcfmcp__rpc_msg m;
        pcfmcp__rpc_classify(root, &m);
        int midx = m.kind == PCFMCP__MSG_REQUEST ? lookup_method(m.method) : -1;
        needs = midx >= 0 && methods[midx].slow;
    }
    cJSON_Delete(root);
    return needs;
}

bool pcfmcp__engine_wait_room(pcfmcp_engine_t *e, unsigned timeout_ms)
{
    return !e || !e->pool || pcfmcp__pool_wait_room(e->pool, timeout_ms);
}
