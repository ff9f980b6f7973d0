/* Cached tool results: a read-only tool's whole answer, cleaned, rendered
 * and serialised, kept in the PCF client's read cache (cache.enabled) under
 * the caller's PCF identity, the toolset, the tool and its exact arguments.
 * A hit sends those bytes again: no PCF read, no parse, no cleaning, no
 * rendering. Rendering goes through the same fenced model text (TOOL_SAY /
 * TOOL_ERR) as any call: what is kept is what was sent.
 *
 * Entries live in the same cache as the PCF reads, so they expire with
 * cache.ttl and are dropped by the same invalidation, here or (with a
 * shared store) on another replica: by the tag of the one project every
 * read of the call was about, or untagged -- dropped by any write -- when
 * the call read anything else (the project list to resolve a name, teams,
 * several projects). A call that wrote, probed liveness (check_token), saw
 * a PCF call fail or read nothing from PCF is not kept. As for the PCF
 * reads themselves, a ticket taken before the call's first read voids the
 * keep when a write (here or on any replica) came in between. */
#include "core/internal.h"

#include <stdio.h>
#include <string.h>

#include <pcfmcp/sys/cache.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/canon.h"
#include "core/log.h"
#include "core/util.h"
#include "hardening/cache_internal.h"
#include "mcp/native.h"
#include "tools/toolset.h"

/* Tools whose answers may be kept at all; each call still has to qualify. */
static bool cacheable_def(const tool_def *d)
{
    return (d->flags & F_READ) && !(d->flags & F_DESTRUCTIVE);
}

/* The project a PCF read is about, or NULL. */
static const char *project_of(const cJSON *args)
{
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(args, "project_id");
    return cJSON_IsString(p) && pcfmcp__uuid_valid(p->valuestring) ? p->valuestring : NULL;
}

void pcfmcp__tools_rc_before_read(tcall *c, pcfmcp__pcf_op op, const cJSON *args)
{
    if (!c->rc_key || c->rc_ticketed || c->rc_keep == RC_NEVER)
        return;
    /* The tag the result gets if every read is about this one's project
     * (note_read); a keep under another tag is refused by the ticket. */
    const char *id = pcfmcp__pcf_op_cacheable(op) ? project_of(args) : NULL;
    char *hit = NULL;
    pcfmcp_error_t rc = pcfmcp__cache_lookup(c->rc_cache, c->rc_key, id ? id : "", &hit, NULL,
                                             &c->rc_ticket);
    pcfmcp__free(hit); /* kept by a concurrent call meanwhile: ours may replace it */
    if (rc == PCFMCP_OK || rc == PCFMCP_ERR_NOT_FOUND)
        c->rc_ticketed = true;
    else
        c->rc_keep = RC_NEVER; /* the store cannot vouch for a later hit */
}

void pcfmcp__tools_rc_note_read(tcall *c, pcfmcp__pcf_op op, const cJSON *args, bool ok)
{
    if (c->rc_keep == RC_NEVER)
        return;
    if (!ok || !pcfmcp__pcf_op_cacheable(op)) {
        c->rc_keep = RC_NEVER;
        return;
    }
    const char *id = project_of(args);
    if (c->rc_keep == RC_NONE && id) {
        c->rc_keep = RC_PROJECT;
        snprintf(c->rc_tag, sizeof(c->rc_tag), "%s", id);
    } else if (!(c->rc_keep == RC_PROJECT && id && strcmp(id, c->rc_tag) == 0)) {
        /* Another project, or data of no project: only untagged is safe. */
        c->rc_keep = RC_UNTAGGED;
    }
}

/* The key of this call's result in @p pcf's read cache, or NULL (no cache,
 * not a cached tool, out of memory): the PCF identity, the toolset (its
 * project scope and limits shape the answer), the tool, the arguments. */
static char *key_of(const pcfmcp_toolset_t *ts, pcfmcp_pcf_t *pcf, const tool_def *d,
                    const cJSON *args, pcfmcp_cache_t **cache)
{
    char ns[17], serial[32];
    if (!pcf || !cacheable_def(d) || !(*cache = pcfmcp__pcf_read_cache(pcf, ns)))
        return NULL;
    snprintf(serial, sizeof(serial), "\x1ftool\x1f%lu\x1f", ts->serial);
    pcfmcp__buf k;
    pcfmcp__buf_init(&k);
    pcfmcp__buf_puts(&k, ns);
    pcfmcp__buf_puts(&k, serial);
    pcfmcp__buf_puts(&k, d->name);
    pcfmcp__buf_putc(&k, '\x1f');
    if (!pcfmcp__json_canonical(args, &k)) {
        pcfmcp__buf_free(&k);
        return NULL;
    }
    return pcfmcp__buf_steal(&k, NULL);
}

static bool get(pcfmcp_cache_t *cache, const char *key, pcfmcp_result_t *result)
{
    char *text = NULL;
    size_t len = 0;
    if (pcfmcp_cache_get(cache, key, &text, &len) != PCFMCP_OK)
        return false;
    return pcfmcp__result_set_rendered(result, text, len) == PCFMCP_OK;
}

bool pcfmcp__tools_rc_lookup(tcall *c)
{
    pcfmcp_cache_t *cache = NULL;
    char *key = key_of(c->ts, c->pcf, c->def, c->args, &cache);
    if (!key)
        return false;
    if (get(cache, key, c->result)) {
        pcfmcp__free(key);
        return true;
    }
    c->rc_cache = cache;
    c->rc_key = key; /* kept for the store after the call (pcfmcp__tools_rc_keep) */
    return false;
}

typedef struct {
    pcfmcp_cache_t *cache;
    char *key;
    char tag[40]; /* "" = untagged */
    pcfmcp__cache_ticket ticket;
} pending;

static void keep(const char *json, size_t len, void *ud)
{
    pending *p = ud;
    pcfmcp__cache_put_ticket(p->cache, p->key, p->tag, json, len, &p->ticket);
}

static void drop(void *ud)
{
    pending *p = ud;
    pcfmcp__free(p->key);
    pcfmcp__free(p);
}

void pcfmcp__tools_rc_keep(tcall *c)
{
    /* RC_NONE: no PCF read was noted, so what the answer rests on is not
     * known to the invalidation. */
    if (!c->rc_key || !c->rc_ticketed || c->rc_keep == RC_NEVER || c->rc_keep == RC_NONE)
        return;
    pending *p = pcfmcp__calloc(1, sizeof(*p));
    if (!p)
        return;
    p->cache = c->rc_cache;
    p->key = c->rc_key;
    p->ticket = c->rc_ticket;
    c->rc_key = NULL;
    if (c->rc_keep == RC_PROJECT)
        snprintf(p->tag, sizeof(p->tag), "%s", c->rc_tag);
    /* Kept once the engine has sent it (and checked it against the output
     * schema when asked to): what is served again is what went out. */
    pcfmcp__result_on_sent(c->result, keep, drop, p);
}

pcfmcp_error_t pcfmcp__tools_rc_probe(pcfmcp_toolset_t *ts, pcfmcp_ctx_t *ctx, const tool_def *d,
                                      const cJSON *args, pcfmcp_result_t *result)
{
    /* Only what cannot wait: a host's resolver may, an unresolved scope
     * needs a PCF read, a tool's gates their error from a worker. */
    if (!cacheable_def(d) || (ts->resolve && !ts->resolver_quick))
        return PCFMCP__NATIVE_WOULD_BLOCK;
    pcfmcp_pcf_t *pcf = ts->pcf;
    if (ts->resolve) {
        char why[256];
        pcf = NULL;
        if (ts->resolve(ctx ? pcfmcp_ctx_identity(ctx) : NULL, &pcf, why, sizeof(why),
                        ts->resolve_ud) != PCFMCP_OK)
            return PCFMCP__NATIVE_WOULD_BLOCK; /* the worker says why */
    }
    if (!pcf)
        return PCFMCP__NATIVE_WOULD_BLOCK;
    if (ts->nprojects || ts->default_project) {
        pthread_mutex_lock(&ts->scope_lock);
        int state = ts->scope_state;
        pthread_mutex_unlock(&ts->scope_lock);
        if (state != 1)
            return PCFMCP__NATIVE_WOULD_BLOCK;
    }
    if (d->capability && pcfmcp__tools_unusable(ts, pcf, d, false))
        return PCFMCP__NATIVE_WOULD_BLOCK;
    pcfmcp_cache_t *cache = NULL;
    char *key = key_of(ts, pcf, d, args, &cache);
    /* A shared store is asked on every lookup: a network round trip the
     * transport's thread does not wait for. */
    bool hit = key && !pcfmcp__cache_shared(cache) && get(cache, key, result);
    pcfmcp__free(key);
    if (!hit)
        return PCFMCP__NATIVE_WOULD_BLOCK;
    if (ts->log)
        PCFMCP_LOG(ts->log, PCFMCP_LOG_DEBUG, "tools", "tool %s ok (cached result)", d->name);
    return PCFMCP_OK;
}
