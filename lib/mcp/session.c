#include "core/internal.h"

#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "core/log.h"
#include "mcp/engine_internal.h"

PCFMCP_API pcfmcp_error_t pcfmcp_session_new(pcfmcp_session_t **out, pcfmcp_engine_t *e,
                                             unsigned flags)
{
    if (!out || !e || (flags & ~PCFMCP_SESSION_STATELESS))
        return PCFMCP_ERR_INVALID_ARG;
    pcfmcp_session_t *s = pcfmcp__calloc(1, sizeof(*s));
    if (!s)
        return PCFMCP_ERR_NOMEM;
    atomic_init(&s->refs, 1);
    s->engine = e;
    s->flags = flags;
    s->log_level = -1;
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->notify_idle, NULL);
    if (flags & PCFMCP_SESSION_STATELESS) {
        /* Without a handshake the transport's header (or the spec's
         * fallback for a missing one) decides the revision. */
        s->state = PCFMCP__SESSION_READY;
        s->version = pcfmcp__strdup("2025-03-26");
        s->client_caps_text = pcfmcp__strdup("{}");
        s->client_caps = cJSON_CreateObject();
        if (!s->version || !s->client_caps_text || !s->client_caps) {
            pcfmcp__session_unref(s);
            return PCFMCP_ERR_NOMEM;
        }
    }
    /* Stateless sessions live for one request and have no notify sink:
     * broadcasts never reach them, so they stay off the engine-wide list
     * and its lock (HTTP creates one per request). */
    if (!(flags & PCFMCP_SESSION_STATELESS)) {
        pthread_mutex_lock(&e->sessions_lock);
        s->next = e->sessions;
        if (e->sessions)
            e->sessions->prev = s;
        e->sessions = s;
        pthread_mutex_unlock(&e->sessions_lock);
    }
    *out = s;
    return PCFMCP_OK;
}

pcfmcp_session_t *pcfmcp__session_ref(pcfmcp_session_t *s)
{
    atomic_fetch_add(&s->refs, 1);
    return s;
}

void pcfmcp__session_unref(pcfmcp_session_t *s)
{
    if (!s || atomic_fetch_sub(&s->refs, 1) != 1)
        return;
    pthread_mutex_destroy(&s->lock);
    pthread_cond_destroy(&s->notify_idle);
    pcfmcp__free(s->version);
    pcfmcp__free(s->client_caps_text);
    cJSON_Delete(s->client_caps);
    pcfmcp__free(s->client_info_text);
    pcfmcp__free(s->identity);
    pcfmcp__free(s->id);
    for (size_t i = 0; i < s->nsubs; i++)
        pcfmcp__free(s->subs[i]);
    pcfmcp__free(s->subs);
    pcfmcp__free(s);
}

static void unlink_session(pcfmcp_session_t *s)
{
    pcfmcp_engine_t *e = s->engine;
    if (s->flags & PCFMCP_SESSION_STATELESS)
        return;
    pthread_mutex_lock(&e->sessions_lock);
    if (s->prev)
        s->prev->next = s->next;
    else if (e->sessions == s)
        e->sessions = s->next;
    if (s->next)
        s->next->prev = s->prev;
    s->prev = s->next = NULL;
    pthread_mutex_unlock(&e->sessions_lock);
}

PCFMCP_API void pcfmcp_session_cancel_all(pcfmcp_session_t *s)
{
    if (!s)
        return;
    pthread_mutex_lock(&s->lock);
    for (pcfmcp_ctx_t *c = s->inflight; c; c = c->next)
        pcfmcp__ctx_cancel(c);
    for (pcfmcp__pending *p = s->pending; p; p = p->next)
        pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&s->lock);
    pcfmcp__engine_reap_listeners(s->engine);
}

PCFMCP_API void pcfmcp_session_free(pcfmcp_session_t *s)
{
    if (!s)
        return;
    unlink_session(s);
    pthread_mutex_lock(&s->lock);
    s->closed = true;
    s->notify = NULL;
    s->notify_ud = NULL;
    while (s->notify_calls > 0)
        pthread_cond_wait(&s->notify_idle, &s->lock);
    pthread_mutex_unlock(&s->lock);
    pcfmcp_session_cancel_all(s);
    pcfmcp__session_unref(s);
}

PCFMCP_API pcfmcp_error_t pcfmcp_session_set_notify(pcfmcp_session_t *s, pcfmcp_emit_cb emit,
                                                    void *userdata)
{
    if (!s)
        return PCFMCP_ERR_INVALID_ARG;
    pthread_mutex_lock(&s->lock);
    s->notify = emit;
    s->notify_ud = emit ? userdata : NULL;
    /* The old sink's userdata may be freed once we return: wait for calls
     * that picked it up before the swap. */
    while (s->notify_calls > 0)
        pthread_cond_wait(&s->notify_idle, &s->lock);
    pthread_mutex_unlock(&s->lock);
    return PCFMCP_OK;
}

static pcfmcp_error_t set_string(pcfmcp_session_t *s, char **slot, const char *v)
{
    char *copy = NULL;
    if (v && !(copy = pcfmcp__strdup(v)))
        return PCFMCP_ERR_NOMEM;
    pthread_mutex_lock(&s->lock);
    pcfmcp__free(*slot);
    *slot = copy;
    pthread_mutex_unlock(&s->lock);
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_session_set_identity(pcfmcp_session_t *s, const char *identity)
{
    return s ? set_string(s, &s->identity, identity) : PCFMCP_ERR_INVALID_ARG;
}

PCFMCP_API pcfmcp_error_t pcfmcp_session_set_id(pcfmcp_session_t *s, const char *id)
{
    return s ? set_string(s, &s->id, id) : PCFMCP_ERR_INVALID_ARG;
}

PCFMCP_API pcfmcp_error_t pcfmcp_session_set_protocol_version(pcfmcp_session_t *s,
                                                              const char *version)
{
    if (!s || !version ||
        !(pcfmcp__is_legacy_version(version) || strcmp(version, PCFMCP_PROTOCOL_STATELESS) == 0))
        return PCFMCP_ERR_INVALID_ARG;
    if (!(s->flags & PCFMCP_SESSION_STATELESS))
        return PCFMCP_ERR_STATE;
    return set_string(s, &s->version, version);
}

PCFMCP_API const char *pcfmcp_session_protocol_version(const pcfmcp_session_t *cs)
{
    if (!cs)
        return NULL;
    pcfmcp_session_t *s = (pcfmcp_session_t *)cs;
    pthread_mutex_lock(&s->lock);
    const char *v = s->state == PCFMCP__SESSION_NEW ? NULL : s->version;
    pthread_mutex_unlock(&s->lock);
    return v;
}

PCFMCP_API int pcfmcp_session_is_initialized(const pcfmcp_session_t *cs)
{
    if (!cs)
        return 0;
    pcfmcp_session_t *s = (pcfmcp_session_t *)cs;
    pthread_mutex_lock(&s->lock);
    int r = s->state != PCFMCP__SESSION_NEW;
    pthread_mutex_unlock(&s->lock);
    return r;
}

PCFMCP_API size_t pcfmcp_session_inflight(const pcfmcp_session_t *cs)
{
    if (!cs)
        return 0;
    pcfmcp_session_t *s = (pcfmcp_session_t *)cs;
    size_t n = 0;
    pthread_mutex_lock(&s->lock);
    for (pcfmcp_ctx_t *c = s->inflight; c; c = c->next)
        n++;
    pthread_mutex_unlock(&s->lock);
    return n;
}

void pcfmcp__session_track(pcfmcp_session_t *s, pcfmcp_ctx_t *ctx)
{
    pthread_mutex_lock(&s->lock);
    ctx->prev = NULL;
    ctx->next = s->inflight;
    if (s->inflight)
        s->inflight->prev = ctx;
    s->inflight = ctx;
    if (s->closed)
        pcfmcp__ctx_cancel(ctx);
    pthread_mutex_unlock(&s->lock);
}

void pcfmcp__session_untrack(pcfmcp_session_t *s, pcfmcp_ctx_t *ctx)
{
    pthread_mutex_lock(&s->lock);
    if (ctx->prev)
        ctx->prev->next = ctx->next;
    else if (s->inflight == ctx)
        s->inflight = ctx->next;
    if (ctx->next)
        ctx->next->prev = ctx->prev;
    ctx->prev = ctx->next = NULL;
    pthread_mutex_unlock(&s->lock);
}

static bool same_id(const cJSON *a, const char *id_text)
{
    pcfmcp__buf b;
    pcfmcp__buf_init(&b);
    pcfmcp__rpc_append_id(&b, a);
    bool eq = pcfmcp__buf_ok(&b) && strcmp(b.data, id_text) == 0;
    pcfmcp__buf_free(&b);
    return eq;
}

void pcfmcp__session_cancel(pcfmcp_session_t *s, const cJSON *request_id)
{
    pthread_mutex_lock(&s->lock);
    for (pcfmcp_ctx_t *c = s->inflight; c; c = c->next) {
        /* initialize cannot be cancelled (spec); everything else can. */
        if (strcmp(c->method, "initialize") != 0 && same_id(request_id, c->id_text)) {
            pcfmcp__ctx_cancel(c);
            /* A handler blocked on a client request must wake up too. */
            for (pcfmcp__pending *p = s->pending; p; p = p->next)
                pthread_cond_broadcast(&p->cond);
        }
    }
    pthread_mutex_unlock(&s->lock);
    pcfmcp__engine_reap_listeners(s->engine);
}

size_t pcfmcp__session_cancel_ud(pcfmcp_session_t *s, const void *ud)
{
    size_t n = 0;
    pthread_mutex_lock(&s->lock);
    for (pcfmcp_ctx_t *c = s->inflight; c; c = c->next) {
        if (c->emit_ud == ud && strcmp(c->method, "initialize") != 0) {
            pcfmcp__ctx_cancel(c);
            n++;
        }
    }
    if (n)
        for (pcfmcp__pending *p = s->pending; p; p = p->next)
            pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&s->lock);
    if (n)
        pcfmcp__engine_reap_listeners(s->engine);
    return n;
}

bool pcfmcp__session_deliver_response(pcfmcp_session_t *s, const cJSON *id, const cJSON *result,
                                      const cJSON *error)
{
    if (!cJSON_IsString(id))
        return false; /* we only ever send string ids */
    bool found = false;
    pthread_mutex_lock(&s->lock);
    for (pcfmcp__pending *p = s->pending; p; p = p->next) {
        if (p->done || strcmp(p->id, id->valuestring) != 0)
            continue;
        p->result = result ? cJSON_Duplicate(result, true) : NULL;
        p->error = error ? cJSON_Duplicate(error, true) : NULL;
        if ((result && !p->result) || (error && !p->error)) {
            cJSON_Delete(p->result);
            p->result = NULL;
            /* Out of memory: report it to the waiter as an error object. */
            p->error = NULL;
        }
        p->done = true;
        pthread_cond_broadcast(&p->cond);
        found = true;
        break;
    }
    pthread_mutex_unlock(&s->lock);
    return found;
}

int pcfmcp__session_log_level(pcfmcp_session_t *s)
{
    pthread_mutex_lock(&s->lock);
    int l = s->log_level;
    pthread_mutex_unlock(&s->lock);
    return l;
}

bool pcfmcp__session_subscribed(pcfmcp_session_t *s, const char *uri)
{
    bool sub = false;
    pthread_mutex_lock(&s->lock);
    for (size_t i = 0; i < s->nsubs && !sub; i++)
        sub = strcmp(s->subs[i], uri) == 0;
    pthread_mutex_unlock(&s->lock);
    return sub;
}

/* Sends one notification to every live session with a notify sink that
 * passes `want`. The engine's session list lock is held only to collect
 * references, never while calling out. */
typedef bool (*want_fn)(pcfmcp_session_t *s, const void *arg);

static void broadcast(pcfmcp_engine_t *e, const char *json, size_t len, want_fn want,
                      const void *arg)
{
    size_t cap = 16, n = 0;
    pcfmcp_session_t **list = pcfmcp__malloc(cap * sizeof(*list));
    if (!list)
        return;
    pthread_mutex_lock(&e->sessions_lock);
    for (pcfmcp_session_t *s = e->sessions; s; s = s->next) {
        if (n == cap) {
            pcfmcp_session_t **nl = pcfmcp__realloc(list, cap * 2 * sizeof(*nl));
            if (!nl)
                break;
            list = nl;
            cap *= 2;
        }
        list[n++] = pcfmcp__session_ref(s);
    }
    pthread_mutex_unlock(&e->sessions_lock);
    for (size_t i = 0; i < n; i++) {
        pcfmcp_session_t *s = list[i];
        if (want && !want(s, arg)) {
            pcfmcp__session_unref(s);
            continue;
        }
        pthread_mutex_lock(&s->lock);
        pcfmcp_emit_cb cb = s->state != PCFMCP__SESSION_NEW ? s->notify : NULL;
        void *ud = s->notify_ud;
        if (cb)
            s->notify_calls++;
        pthread_mutex_unlock(&s->lock);
        if (cb) {
            cb(json, len, PCFMCP_EMIT_NOTIFICATION, ud);
            pthread_mutex_lock(&s->lock);
            if (--s->notify_calls == 0)
                pthread_cond_broadcast(&s->notify_idle);
            pthread_mutex_unlock(&s->lock);
        }
        pcfmcp__session_unref(s);
    }
    pcfmcp__free(list);
}

void pcfmcp__engine_broadcast_list_changed(pcfmcp_engine_t *e, pcfmcp__list_kind kind)
{
    static const char *const msgs[PCFMCP__LIST_COUNT] = {
        "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/tools/list_changed\"}",
        "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/resources/list_changed\"}",
        "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/resources/list_changed\"}",
        "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/prompts/list_changed\"}",
    };
    broadcast(e, msgs[kind], strlen(msgs[kind]), NULL, NULL);
    pcfmcp__engine_notify_listeners(e, kind, NULL);
}

static bool wants_uri(pcfmcp_session_t *s, const void *uri)
{
    return pcfmcp__session_subscribed(s, uri);
}

PCFMCP_API pcfmcp_error_t pcfmcp_engine_notify_resource_updated(pcfmcp_engine_t *e,
                                                                const char *uri)
{
    if (!e || !uri)
        return PCFMCP_ERR_INVALID_ARG;
    cJSON *params = cJSON_CreateObject();
    if (!params || !cJSON_AddStringToObject(params, "uri", uri)) {
        cJSON_Delete(params);
        return PCFMCP_ERR_NOMEM;
    }
    size_t len = 0;
    char *msg = pcfmcp__rpc_message(NULL, "notifications/resources/updated", params, &len);
    cJSON_Delete(params);
    if (!msg)
        return PCFMCP_ERR_NOMEM;
    broadcast(e, msg, len, wants_uri, uri);
    pcfmcp__free(msg);
    pcfmcp__engine_notify_listeners(e, PCFMCP__LIST_RESOURCES, uri);
    return PCFMCP_OK;
}
