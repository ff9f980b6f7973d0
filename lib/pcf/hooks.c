/* The PCF client's optional helpers from lib/hardening: a cache for read
 * operations, a tracer that wraps every operation in a client span (whose id
 * is what PCF receives as traceparent), and a gate that caps concurrent HTTP
 * attempts. None is owned by the client; each must outlive it. */
#include "core/internal.h"

#include <string.h>

#include <pcfmcp/sys/cache.h>
#include <pcfmcp/sys/ratelimit.h>
#include <pcfmcp/sys/trace.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/canon.h"
#include "core/json.h"
#include "core/util.h"
#include "pcf/impl.h"

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_set_cache(pcfmcp_pcf_t *pcf, pcfmcp_cache_t *cache)
{
    if (!pcf)
        return PCFMCP_ERR_INVALID_ARG;
    pthread_mutex_lock(&pcf->obs_lock);
    pcf->cache = cache;
    pthread_mutex_unlock(&pcf->obs_lock);
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_set_tracer(pcfmcp_pcf_t *pcf, pcfmcp_tracer_t *tracer)
{
    if (!pcf)
        return PCFMCP_ERR_INVALID_ARG;
    pthread_mutex_lock(&pcf->obs_lock);
    pcf->tracer = tracer;
    pthread_mutex_unlock(&pcf->obs_lock);
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_set_gate(pcfmcp_pcf_t *pcf, pcfmcp_gate_t *gate)
{
    if (!pcf)
        return PCFMCP_ERR_INVALID_ARG;
    pthread_mutex_lock(&pcf->obs_lock);
    pcf->gate = gate;
    pthread_mutex_unlock(&pcf->obs_lock);
    return PCFMCP_OK;
}

void pcfmcp__pcf_hooks_copy(pcfmcp_pcf_t *to, pcfmcp_pcf_t *from)
{
    pthread_mutex_lock(&from->obs_lock);
    to->cache = from->cache;
    to->tracer = from->tracer;
    to->gate = from->gate;
    pthread_mutex_unlock(&from->obs_lock);
}

void pcfmcp__pcf_hooks_get(pcfmcp_pcf_t *pcf, pcf_hooks *h)
{
    pthread_mutex_lock(&pcf->obs_lock);
    h->cache = pcf->cache;
    h->tracer = pcf->tracer;
    h->gate = pcf->gate;
    pthread_mutex_unlock(&pcf->obs_lock);
}

void pcfmcp__pcf_log_fields(const pcfmcp__pcf_callctx *ctx, pcfmcp__log_fields *f,
                            char trace[33])
{
    memset(f, 0, sizeof(*f));
    trace[0] = '\0';
    if (!ctx)
        return;
    f->request_id = ctx->request_id;
    f->session = ctx->session;
    f->identity = ctx->identity;
    if (ctx->traceparent && strlen(ctx->traceparent) >= 35) {
        memcpy(trace, ctx->traceparent + 3, 32);
        trace[32] = '\0';
        f->trace_id = trace;
    }
}

/* ------------------------------------------------------------------ cache */

bool pcfmcp__pcf_op_cacheable(pcfmcp__pcf_op op)
{
    /* Token checks are liveness probes: they must reach PCF every time. */
    return (pcfmcp__pcf_ops[op].flags & PCF_F_READ) && op != PCFMCP__PCF_OP_CHECK &&
           op != PCFMCP__PCF_OP_TOKEN_CHECK;
}

/* Entries are per PCF identity: the key starts with a hash of the base URL
 * and the credential (the login email when there is one, as tokens made
 * from it are renewed; else the token), never the credential itself. */
static bool namespace_of(pcfmcp_pcf_t *pcf, char out[17])
{
    /* Once the client is in use its credential no longer changes (setters
     * refuse, a renewed token keeps the login email): worked out once. */
    pthread_mutex_lock(&pcf->obs_lock);
    bool known = pcf->cache_ns[0] != '\0';
    if (known)
        memcpy(out, pcf->cache_ns, 17);
    pthread_mutex_unlock(&pcf->obs_lock);
    if (known)
        return true;
    pcfmcp__buf b;
    pcfmcp__buf_init(&b);
    pcfmcp__buf_puts(&b, pcf->cfg.base_url);
    pcfmcp__buf_putc(&b, '\n');
    if (pcf->email) {
        pcfmcp__buf_puts(&b, "e:");
        pcfmcp__buf_puts(&b, pcf->email);
    } else {
        pthread_mutex_lock(&pcf->tok_lock);
        pcfmcp__buf_puts(&b, "t:");
        pcfmcp__buf_puts(&b, pcf->token ? pcf->token : "");
        pthread_mutex_unlock(&pcf->tok_lock);
    }
    char hex[65];
    bool ok = pcfmcp__buf_ok(&b) && pcfmcp__sha256_hex(b.data, b.len, hex) == 0;
    if (b.data)
        pcfmcp__secure_zero(b.data, b.len);
    pcfmcp__buf_free(&b);
    if (ok) {
        memcpy(out, hex, 16);
        out[16] = '\0';
        if (atomic_load(&pcf->used)) {
            pthread_mutex_lock(&pcf->obs_lock);
            memcpy(pcf->cache_ns, out, 17);
            pthread_mutex_unlock(&pcf->obs_lock);
        }
    }
    return ok;
}

pcfmcp_cache_t *pcfmcp__pcf_read_cache(pcfmcp_pcf_t *pcf, char ns[17])
{
    pcf_hooks hk;
    pcfmcp__pcf_hooks_get(pcf, &hk);
    if (!hk.cache || !pcfmcp_cache_enabled(hk.cache) || !namespace_of(pcf, ns))
        return NULL;
    return hk.cache;
}

static const char *project_of(const cJSON *args)
{
    const char *p = args ? pcfmcp__json_str(args, "project_id") : NULL;
    return p && pcfmcp__uuid_valid(p) ? p : NULL;
}

bool pcfmcp__pcf_cache_lookup(pcfmcp_pcf_t *pcf, pcfmcp_cache_t *cache, pcfmcp__pcf_op op,
                              const cJSON *args, pcfmcp_pcf_result_t *res, char **key_out,
                              pcfmcp__cache_ticket *ticket)
{
    return pcfmcp__pcf_cache_lookup_fresh(pcf, cache, op, args, false, res, key_out, ticket);
}

bool pcfmcp__pcf_cache_lookup_fresh(pcfmcp_pcf_t *pcf, pcfmcp_cache_t *cache, pcfmcp__pcf_op op,
                                    const cJSON *args, bool fresh, pcfmcp_pcf_result_t *res,
                                    char **key_out, pcfmcp__cache_ticket *ticket)
{
    *key_out = NULL;
    if (!cache || !pcfmcp__pcf_op_cacheable(op) || !pcfmcp_cache_enabled(cache))
        return false;
    char ns[17];
    if (!namespace_of(pcf, ns))
        return false;
    pcfmcp__buf k;
    pcfmcp__buf_init(&k);
    pcfmcp__buf_printf(&k, "%s\x1f%s\x1f", ns, pcfmcp__pcf_ops[op].label);
    if (args)
        pcfmcp__json_canonical(args, &k);
    char *key = pcfmcp__buf_steal(&k, NULL);
    if (!key)
        return false;
    char *text = NULL;
    size_t len = 0;
    pcfmcp_error_t rc = pcfmcp__cache_lookup(cache, key, project_of(args), &text, &len, ticket);
    if (rc != PCFMCP_OK) {
        /* Unavailable: the shared store cannot vouch for a cached answer,
         * so this one is neither served nor kept. */
        if (rc == PCFMCP_ERR_NOT_FOUND)
            *key_out = key;
        else
            pcfmcp__free(key);
        return false;
    }
    if (fresh) {
        /* Not served: PCF is asked, and its answer replaces this one. */
        pcfmcp_free(text);
        *key_out = key;
        return false;
    }
    pcfmcp__free(key);
    cJSON *doc = NULL;
    if (pcfmcp__json_parse_marking_nul(text, len, PCF_JSON_DEPTH, &doc, NULL) != PCFMCP__JSON_OK) {
        pcfmcp_free(text);
        return false;
    }
    /* Same shape as a fresh answer: the text as PCF sent it, parsed. */
    pcfmcp__free(res->json);
    cJSON_Delete(res->parsed);
    res->json = pcfmcp__strndup(text, len);
    pcfmcp_free(text);
    if (!res->json) {
        cJSON_Delete(doc);
        return false;
    }
    res->json_len = len;
    res->parsed = doc;
    res->status = 200;
    pcfmcp__pcf_fail(res, PCFMCP_OK, "ok");
    return true;
}

void pcfmcp__pcf_cache_store(pcfmcp_cache_t *cache, const char *key,
                             const pcfmcp__cache_ticket *ticket, const cJSON *args,
                             const pcfmcp_pcf_result_t *res)
{
    if (!cache || !key || res->err != PCFMCP_OK || !res->json || res->data)
        return;
    pcfmcp__cache_put_ticket(cache, key, project_of(args), res->json, res->json_len, ticket);
}

void pcfmcp__pcf_cache_invalidate(pcfmcp_cache_t *cache, pcfmcp__pcf_op op, const cJSON *args)
{
    if (!cache || !(pcfmcp__pcf_ops[op].flags & PCF_F_WRITE) ||
        op == PCFMCP__PCF_OP_TOKEN_CREATE || op == PCFMCP__PCF_OP_TOKEN_DISABLE)
        return;
    /* A project write can change that project's reads and the listings
     * that show it (projects, teams); any other write may touch anything. */
    const char *project = project_of(args);
    if (project) {
        pcfmcp_cache_invalidate(cache, project);
        pcfmcp_cache_invalidate(cache, "");
    } else {
        pcfmcp_cache_invalidate(cache, NULL);
    }
}
