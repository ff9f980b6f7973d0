/* What a handler can do with its request context: read who is asking and
 * under which revision, report progress, send log notifications, ask the
 * client for input, and notice cancellation. */
#include "core/internal.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/json.h"
#include "core/log.h"
#include "core/util.h"
#include "mcp/ctxlog.h"
#include "mcp/engine_internal.h"

const char *const pcfmcp__mcp_levels[8] = { "debug",    "info",  "notice", "warning",
                                            "error",    "critical", "alert", "emergency" };

int pcfmcp__mcp_level_index(const char *level)
{
    for (int i = 0; level && i < 8; i++)
        if (strcmp(level, pcfmcp__mcp_levels[i]) == 0)
            return i;
    return -1;
}

void pcfmcp__ctx_emit(pcfmcp_ctx_t *ctx, const char *json, size_t len, unsigned flags)
{
    pthread_mutex_lock(&ctx->emit_lock);
    if (!ctx->answered) {
        ctx->emitted = true;
        if (flags & PCFMCP_EMIT_FINAL)
            ctx->answered = true;
        ctx->emit(json, len, flags, ctx->emit_ud);
    }
    pthread_mutex_unlock(&ctx->emit_lock);
}

void pcfmcp__ctx_log_fields(const pcfmcp_ctx_t *ctx, pcfmcp__log_fields *f, char trace_buf[33])
{
    memset(f, 0, sizeof(*f));
    trace_buf[0] = '\0';
    if (!ctx)
        return;
    f->request_id = ctx->id_text;
    f->session = ctx->session ? ctx->session->id : NULL;
    f->identity = ctx->session ? ctx->session->identity : NULL;
    /* "00-<trace id>-<span id>-<flags>": the trace id is characters 3..34. */
    if (ctx->traceparent && strlen(ctx->traceparent) >= 35) {
        memcpy(trace_buf, ctx->traceparent + 3, 32);
        trace_buf[32] = '\0';
        f->trace_id = trace_buf;
    }
}

uint64_t pcfmcp__ctx_received_ms(const pcfmcp_ctx_t *ctx)
{
    return ctx ? ctx->start_ns / 1000000u : 0;
}

PCFMCP_API void pcfmcp_ctx_set_hook_data(pcfmcp_ctx_t *ctx, void *data)
{
    if (ctx)
        ctx->hook_data = data;
}

PCFMCP_API void *pcfmcp_ctx_hook_data(const pcfmcp_ctx_t *ctx)
{
    return ctx ? ctx->hook_data : NULL;
}

PCFMCP_API const char *pcfmcp_ctx_session_id(const pcfmcp_ctx_t *ctx)
{
    return ctx && ctx->session ? ctx->session->id : NULL;
}

PCFMCP_API const char *pcfmcp_ctx_identity(const pcfmcp_ctx_t *ctx)
{
    return ctx && ctx->session ? ctx->session->identity : NULL;
}

PCFMCP_API const char *pcfmcp_ctx_protocol_version(const pcfmcp_ctx_t *ctx)
{
    return ctx ? ctx->version : NULL;
}

PCFMCP_API const char *pcfmcp_ctx_method(const pcfmcp_ctx_t *ctx)
{
    return ctx ? ctx->method : NULL;
}

PCFMCP_API const char *pcfmcp_ctx_request_id(const pcfmcp_ctx_t *ctx)
{
    return ctx ? ctx->id_text : NULL;
}

PCFMCP_API const char *pcfmcp_ctx_client_capabilities(const pcfmcp_ctx_t *ctx)
{
    return ctx && ctx->caps_text ? ctx->caps_text : "{}";
}

PCFMCP_API const char *pcfmcp_ctx_client_info(const pcfmcp_ctx_t *ctx)
{
    return ctx ? ctx->client_info_text : NULL;
}

PCFMCP_API const char *pcfmcp_ctx_meta(const pcfmcp_ctx_t *cctx)
{
    if (!cctx || !cctx->meta)
        return NULL;
    pcfmcp_ctx_t *ctx = (pcfmcp_ctx_t *)cctx;
    if (!ctx->meta_text)
        ctx->meta_text = pcfmcp__json_print(ctx->meta, NULL);
    return ctx->meta_text;
}

PCFMCP_API int pcfmcp_ctx_is_cancelled(const pcfmcp_ctx_t *ctx)
{
    return ctx ? pcfmcp__ctx_cancelled(ctx) != 0 : 1;
}

PCFMCP_API const volatile int *pcfmcp_ctx_cancel_flag(const pcfmcp_ctx_t *ctx)
{
    return ctx ? &ctx->cancelled : NULL;
}

PCFMCP_API const char *pcfmcp_ctx_traceparent(const pcfmcp_ctx_t *ctx)
{
    return ctx ? ctx->traceparent : NULL;
}

PCFMCP_API const char *pcfmcp_ctx_tracestate(const pcfmcp_ctx_t *ctx)
{
    return ctx ? ctx->tracestate : NULL;
}

PCFMCP_API pcfmcp_error_t pcfmcp_ctx_set_trace(pcfmcp_ctx_t *ctx, const char *traceparent,
                                               const char *tracestate)
{
    if (!ctx)
        return PCFMCP_ERR_INVALID_ARG;
    char *tp = NULL, *ts = NULL;
    if ((traceparent && !(tp = pcfmcp__strdup(traceparent))) ||
        (tracestate && !(ts = pcfmcp__strdup(tracestate)))) {
        pcfmcp__free(tp);
        return PCFMCP_ERR_NOMEM;
    }
    pcfmcp__free(ctx->traceparent);
    pcfmcp__free(ctx->tracestate);
    ctx->traceparent = tp;
    ctx->tracestate = ts;
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_ctx_close_stream(pcfmcp_ctx_t *ctx)
{
    if (!ctx)
        return PCFMCP_ERR_INVALID_ARG;
    if (!ctx->modern && !pcfmcp__ctx_cancelled(ctx))
        pcfmcp__ctx_emit(ctx, NULL, 0, PCFMCP_EMIT_CLOSE_STREAM);
    return PCFMCP_OK;
}

PCFMCP_API const char *pcfmcp_ctx_errmsg(const pcfmcp_ctx_t *ctx)
{
    if (!ctx)
        return "no context";
    return pcfmcp__error_text(&ctx->err);
}

PCFMCP_API pcfmcp_error_t pcfmcp_ctx_set_refusal(pcfmcp_ctx_t *ctx, const char *message)
{
    if (!ctx || !message)
        return PCFMCP_ERR_INVALID_ARG;
    char *m = pcfmcp__strdup(message);
    if (!m)
        return PCFMCP_ERR_NOMEM;
    pcfmcp__free(ctx->refusal);
    ctx->refusal = m;
    return PCFMCP_OK;
}

static pcfmcp_error_t emit_notification(pcfmcp_ctx_t *ctx, const char *method, cJSON *params)
{
    size_t len = 0;
    char *msg = pcfmcp__rpc_message(NULL, method, params, &len);
    cJSON_Delete(params);
    if (!msg)
        return PCFMCP_ERR_NOMEM;
    pcfmcp__ctx_emit(ctx, msg, len, PCFMCP_EMIT_NOTIFICATION);
    pcfmcp__free(msg);
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_ctx_progress(pcfmcp_ctx_t *ctx, double progress, double total,
                                              const char *message)
{
    if (!ctx || !isfinite(progress))
        return PCFMCP_ERR_INVALID_ARG;
    /* Checked with or without a token, so a handler's bug shows in every test. */
    if (ctx->has_progress && progress <= ctx->last_progress)
        return pcfmcp__fail_in(&ctx->err, PCFMCP_ERR_INVALID_ARG,
                               "progress must increase with every notification");
    ctx->has_progress = true;
    ctx->last_progress = progress;
    if (!ctx->progress_token || pcfmcp__ctx_cancelled(ctx) || ctx->answered)
        return PCFMCP_OK;
    cJSON *p = cJSON_CreateObject();
    bool ok = pcfmcp__json_put(p, "progressToken", pcfmcp__json_dup_exact(ctx->progress_token));
    ok &= pcfmcp__json_put_num(p, "progress", progress);
    if (total >= 0 && isfinite(total))
        ok &= pcfmcp__json_put_num(p, "total", total);
    if (message)
        ok &= pcfmcp__json_put_str(p, "message", message);
    if (!ok) {
        cJSON_Delete(p);
        return PCFMCP_ERR_NOMEM;
    }
    return emit_notification(ctx, "notifications/progress", p);
}

PCFMCP_API pcfmcp_error_t pcfmcp_ctx_log(pcfmcp_ctx_t *ctx, const char *level,
                                         const char *logger, const char *data_json)
{
    if (!ctx || !level || !data_json)
        return PCFMCP_ERR_INVALID_ARG;
    int idx = pcfmcp__mcp_level_index(level);
    if (idx < 0)
        return pcfmcp__fail_in(&ctx->err, PCFMCP_ERR_INVALID_ARG, "unknown log level \"%s\"",
                               level);
    cJSON *data = NULL;
    if (pcfmcp__json_parse(data_json, strlen(data_json), 64, &data, NULL) != PCFMCP__JSON_OK)
        return pcfmcp__fail_in(&ctx->err, PCFMCP_ERR_INVALID_ARG, "log data is not valid JSON");
    /* -2: the 2026-07-28 request did not opt in; -1: no level set (send all). */
    int threshold = ctx->log_level;
    if (threshold == -1 && !ctx->modern)
        threshold = pcfmcp__session_log_level(ctx->session);
    if (threshold == -2 || (threshold >= 0 && idx < threshold) || pcfmcp__ctx_cancelled(ctx)) {
        cJSON_Delete(data);
        return PCFMCP_OK;
    }
    cJSON *p = cJSON_CreateObject();
    bool ok = pcfmcp__json_put_str(p, "level", level);
    if (logger)
        ok &= pcfmcp__json_put_str(p, "logger", logger);
    ok &= pcfmcp__json_put(p, "data", data);
    if (!ok) {
        cJSON_Delete(p);
        return PCFMCP_ERR_NOMEM;
    }
    return emit_notification(ctx, "notifications/message", p);
}

/* Which client capability a server-to-client request needs. */
static const char *needed_capability(const char *method)
{
    if (strcmp(method, "sampling/createMessage") == 0)
        return "sampling";
    if (strcmp(method, "elicitation/create") == 0)
        return "elicitation";
    if (strcmp(method, "roots/list") == 0)
        return "roots";
    return NULL;
}

static pcfmcp_error_t request_modern(pcfmcp_ctx_t *ctx, const char *given_key, const char *method,
                                     cJSON *params, char **out)
{
    /* Multi round-trip: the handler is re-run from the start on every retry,
     * so the n-th input request of a run has the same key every time. */
    char key[72];
    if (given_key)
        snprintf(key, sizeof(key), "%s", given_key);
    else
        snprintf(key, sizeof(key), "%s-%u", strchr(method, '/') ? strchr(method, '/') + 1 : method,
                 ++ctx->input_seq);
    const cJSON *answer = ctx->input_responses
                              ? cJSON_GetObjectItemCaseSensitive(ctx->input_responses, key)
                              : NULL;
    /* Every client answer (elicitation, sampling, roots result) is an
     * object; anything else is treated as no answer and asked again. */
    if (answer && !cJSON_IsObject(answer))
        answer = NULL;
    if (answer) {
        cJSON_Delete(params);
        char *s = pcfmcp__json_print(answer, NULL);
        if (!s)
            return PCFMCP_ERR_NOMEM;
        *out = s;
        return PCFMCP_OK;
    }
    if (!ctx->input_requests && !(ctx->input_requests = cJSON_CreateObject())) {
        cJSON_Delete(params);
        return PCFMCP_ERR_NOMEM;
    }
    cJSON *req = cJSON_CreateObject();
    bool ok = pcfmcp__json_put_str(req, "method", method);
    if (params)
        ok &= pcfmcp__json_put(req, "params", params);
    if (!ok) {
        cJSON_Delete(req);
        return PCFMCP_ERR_NOMEM;
    }
    if (!pcfmcp__json_put(ctx->input_requests, key, req))
        return PCFMCP_ERR_NOMEM;
    return pcfmcp__fail_in(&ctx->err, PCFMCP_ERR_INPUT_REQUIRED,
                           "waiting for the client to answer %s", method);
}

static pcfmcp_error_t request_legacy(pcfmcp_ctx_t *ctx, const char *method, cJSON *params,
                                     char **out)
{
    pcfmcp_session_t *s = ctx->session;
    pcfmcp__pending *p = pcfmcp__calloc(1, sizeof(*p));
    if (!p) {
        cJSON_Delete(params);
        return PCFMCP_ERR_NOMEM;
    }
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&p->cond, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_lock(&s->lock);
    snprintf(p->id, sizeof(p->id), "srv-%llu", (unsigned long long)++s->next_out_id);
    p->next = s->pending;
    s->pending = p;
    pthread_mutex_unlock(&s->lock);

    char id_text[48];
    snprintf(id_text, sizeof(id_text), "\"%s\"", p->id);
    size_t len = 0;
    char *msg = pcfmcp__rpc_message(id_text, method, params, &len);
    cJSON_Delete(params);
    pcfmcp_error_t rc = PCFMCP_OK;
    if (!msg) {
        rc = PCFMCP_ERR_NOMEM;
    } else {
        pcfmcp__ctx_emit(ctx, msg, len, PCFMCP_EMIT_REQUEST);
        pcfmcp__free(msg);
    }

    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    uint64_t ms = ctx->engine->request_timeout_ms;
    deadline.tv_sec += (time_t)(ms / 1000);
    deadline.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (deadline.tv_nsec >= 1000000000L) {
        deadline.tv_sec++;
        deadline.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&s->lock);
    while (rc == PCFMCP_OK && !p->done) {
        if (pcfmcp__ctx_cancelled(ctx) || s->closed) {
            rc = PCFMCP_ERR_CANCELLED;
            break;
        }
        if (pthread_cond_timedwait(&p->cond, &s->lock, &deadline) == ETIMEDOUT && !p->done) {
            rc = PCFMCP_ERR_TIMEOUT;
            break;
        }
    }
    /* Unlink before reading so a late response finds nothing to fill. */
    for (pcfmcp__pending **pp = &s->pending; *pp; pp = &(*pp)->next)
        if (*pp == p) {
            *pp = p->next;
            break;
        }
    pthread_mutex_unlock(&s->lock);

    if (rc == PCFMCP_OK) {
        if (p->error) {
            const char *m = pcfmcp__json_str(p->error, "message");
            rc = pcfmcp__fail_in(&ctx->err, PCFMCP_ERR_PROTOCOL,
                                 "the client answered with an error: %s", m ? m : "(no message)");
        } else if (!p->result) {
            rc = PCFMCP_ERR_NOMEM;
        } else if (!(*out = pcfmcp__json_print(p->result, NULL))) {
            rc = PCFMCP_ERR_NOMEM;
        }
    } else if (rc == PCFMCP_ERR_TIMEOUT) {
        pcfmcp__fail_in(&ctx->err, rc, "the client did not answer %s in time", method);
    } else if (rc == PCFMCP_ERR_CANCELLED) {
        pcfmcp__fail_in(&ctx->err, rc, "the request was cancelled while waiting for %s", method);
    }
    cJSON_Delete(p->result);
    cJSON_Delete(p->error);
    pthread_cond_destroy(&p->cond);
    pcfmcp__free(p);
    return rc;
}

static bool valid_key(const char *k)
{
    size_t n = strlen(k);
    if (n == 0 || n > 64)
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = k[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '_' || c == '-' || c == '.'))
            return false;
    }
    return true;
}

static pcfmcp_error_t ctx_request(pcfmcp_ctx_t *ctx, const char *key, const char *method,
                                  const char *params_json, char **out_result_json);

PCFMCP_API pcfmcp_error_t pcfmcp_ctx_request(pcfmcp_ctx_t *ctx, const char *method,
                                             const char *params_json, char **out_result_json)
{
    return ctx_request(ctx, NULL, method, params_json, out_result_json);
}

PCFMCP_API pcfmcp_error_t pcfmcp_ctx_request_keyed(pcfmcp_ctx_t *ctx, const char *key,
                                                   const char *method, const char *params_json,
                                                   char **out_result_json)
{
    if (!key || !valid_key(key))
        return PCFMCP_ERR_INVALID_ARG;
    return ctx_request(ctx, key, method, params_json, out_result_json);
}

PCFMCP_API const char *pcfmcp_ctx_request_state(const pcfmcp_ctx_t *ctx)
{
    return ctx ? ctx->state_in : NULL;
}

PCFMCP_API pcfmcp_error_t pcfmcp_ctx_set_request_state(pcfmcp_ctx_t *ctx, const char *state)
{
    if (!ctx || !state || !pcfmcp__utf8_valid(state, strlen(state), NULL))
        return PCFMCP_ERR_INVALID_ARG;
    char *c = pcfmcp__strdup(state);
    if (!c)
        return PCFMCP_ERR_NOMEM;
    pcfmcp__free(ctx->state_out);
    ctx->state_out = c;
    return PCFMCP_OK;
}

static pcfmcp_error_t ctx_request(pcfmcp_ctx_t *ctx, const char *key, const char *method,
                                  const char *params_json, char **out_result_json)
{
    if (!ctx || !method || !out_result_json)
        return PCFMCP_ERR_INVALID_ARG;
    cJSON *params = NULL;
    if (params_json && !(params = pcfmcp__json_parse_object(params_json, strlen(params_json))))
        return pcfmcp__fail_in(&ctx->err, PCFMCP_ERR_INVALID_ARG,
                               "request params must be a JSON object");
    const char *cap = needed_capability(method);
    if (cap && !cJSON_GetObjectItemCaseSensitive(ctx->caps, cap)) {
        cJSON_Delete(params);
        pcfmcp__fail_in(&ctx->err, PCFMCP_ERR_UNSUPPORTED,
                        "the client did not declare the \"%s\" capability", cap);
        if (ctx->modern) {
            /* 2026-07-28 answers this with MissingRequiredClientCapability. */
            if (!ctx->missing_caps)
                ctx->missing_caps = cJSON_CreateObject();
            if (ctx->missing_caps && !cJSON_GetObjectItemCaseSensitive(ctx->missing_caps, cap))
                pcfmcp__json_put(ctx->missing_caps, cap, cJSON_CreateObject());
        }
        return PCFMCP_ERR_UNSUPPORTED;
    }
    if (pcfmcp__ctx_cancelled(ctx)) {
        cJSON_Delete(params);
        return pcfmcp__fail_in(&ctx->err, PCFMCP_ERR_CANCELLED, "the request was cancelled");
    }
    if (ctx->modern)
        return request_modern(ctx, key, method, params, out_result_json);
    if (ctx->session->flags & PCFMCP_SESSION_STATELESS) {
        cJSON_Delete(params);
        return pcfmcp__fail_in(&ctx->err, PCFMCP_ERR_UNSUPPORTED,
                               "a stateless server cannot receive the client's answer to %s",
                               method);
    }
    return request_legacy(ctx, method, params, out_result_json);
}
