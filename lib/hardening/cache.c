/* A TTL + LRU cache under one mutex: lookups are a hash and a list splice,
 * cheap next to the PCF round trip they save. */
#include "core/internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <string.h>

#include <pcfmcp/sys/cache.h>

#include "core/alloc.h"
#include "core/util.h"
#include "hardening/sys_abi.h"

PCFMCP__SYS_CACHE(PCFMCP__SYS_ABI)

#define NBUCKETS 1024
#define OVERHEAD 96 /* bookkeeping charged per entry */

typedef struct centry {
    char *key;
    char *tag; /* NULL = untagged */
    char *value;
    size_t len;
    size_t cost;
    uint64_t expires_ns;
    struct centry *chain;
    struct centry *prev, *next; /* LRU: head = most recent */
} centry;

struct pcfmcp_cache {
    pthread_mutex_t lock;
    centry *buckets[NBUCKETS];
    centry *head, *tail;
    size_t count, bytes;
    size_t max_entries, max_bytes;
    uint64_t ttl_ns;
    bool enabled;
    pcfmcp_clock_cb clock;
    void *clock_ud;
    _Atomic uint64_t hits, misses;
};

static uint64_t system_clock(void *ud)
{
    (void)ud;
    return pcfmcp__now_ns();
}

static size_t bucket_of(const char *key)
{
    uint64_t h = 1469598103934665603ULL;
    for (const char *p = key; *p; p++) {
        h ^= (unsigned char)*p;
        h *= 1099511628211ULL;
    }
    return (size_t)(h % NBUCKETS);
}

PCFMCP_API pcfmcp_error_t pcfmcp_cache_new(pcfmcp_cache_t **out, size_t max_entries,
                                           size_t max_bytes, unsigned ttl_ms)
{
    if (!out || !max_entries || !max_bytes || !ttl_ms)
        return PCFMCP_ERR_INVALID_ARG;
    pcfmcp_cache_t *c = pcfmcp__calloc(1, sizeof(*c));
    if (!c)
        return PCFMCP_ERR_NOMEM;
    pthread_mutex_init(&c->lock, NULL);
    c->max_entries = max_entries;
    c->max_bytes = max_bytes;
    c->ttl_ns = (uint64_t)ttl_ms * 1000000ULL;
    c->enabled = true;
    c->clock = system_clock;
    *out = c;
    return PCFMCP_OK;
}

static void entry_free(centry *e)
{
    pcfmcp__free(e->key);
    pcfmcp__free(e->tag);
    pcfmcp__free(e->value);
    pcfmcp__free(e);
}

static void unlink_entry(pcfmcp_cache_t *c, centry *e)
{
    centry **pp = &c->buckets[bucket_of(e->key)];
    while (*pp && *pp != e)
        pp = &(*pp)->chain;
    if (*pp)
        *pp = e->chain;
    if (e->prev)
        e->prev->next = e->next;
    else
        c->head = e->next;
    if (e->next)
        e->next->prev = e->prev;
    else
        c->tail = e->prev;
    c->count--;
    c->bytes -= e->cost;
    entry_free(e);
}

static void clear_all(pcfmcp_cache_t *c)
{
    while (c->head)
        unlink_entry(c, c->head);
}

PCFMCP_API void pcfmcp_cache_free(pcfmcp_cache_t *c)
{
    if (!c)
        return;
    clear_all(c);
    pthread_mutex_destroy(&c->lock);
    pcfmcp__free(c);
}

static void shrink(pcfmcp_cache_t *c)
{
    while (c->tail && (c->count > c->max_entries || c->bytes > c->max_bytes))
        unlink_entry(c, c->tail);
}

PCFMCP_API pcfmcp_error_t pcfmcp_cache_configure(pcfmcp_cache_t *c, size_t max_entries,
                                                 size_t max_bytes, unsigned ttl_ms)
{
    if (!c || !max_entries || !max_bytes || !ttl_ms)
        return PCFMCP_ERR_INVALID_ARG;
    pthread_mutex_lock(&c->lock);
    c->max_entries = max_entries;
    c->max_bytes = max_bytes;
    c->ttl_ns = (uint64_t)ttl_ms * 1000000ULL;
    shrink(c);
    pthread_mutex_unlock(&c->lock);
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_cache_set_enabled(pcfmcp_cache_t *c, int on)
{
    if (!c)
        return PCFMCP_ERR_INVALID_ARG;
    pthread_mutex_lock(&c->lock);
    c->enabled = on != 0;
    if (!on)
        clear_all(c);
    pthread_mutex_unlock(&c->lock);
    return PCFMCP_OK;
}

PCFMCP_API int pcfmcp_cache_enabled(const pcfmcp_cache_t *c)
{
    if (!c)
        return 0;
    pthread_mutex_lock(&((pcfmcp_cache_t *)c)->lock);
    int on = c->enabled;
    pthread_mutex_unlock(&((pcfmcp_cache_t *)c)->lock);
    return on;
}

PCFMCP_API pcfmcp_error_t pcfmcp_cache_set_clock(pcfmcp_cache_t *c, pcfmcp_clock_cb cb, void *ud)
{
    if (!c)
        return PCFMCP_ERR_INVALID_ARG;
    pthread_mutex_lock(&c->lock);
    c->clock = cb ? cb : system_clock;
    c->clock_ud = cb ? ud : NULL;
    pthread_mutex_unlock(&c->lock);
    return PCFMCP_OK;
}

static centry *find(pcfmcp_cache_t *c, const char *key)
{
    for (centry *e = c->buckets[bucket_of(key)]; e; e = e->chain)
        if (strcmp(e->key, key) == 0)
            return e;
    return NULL;
}

PCFMCP_API pcfmcp_error_t pcfmcp_cache_get(pcfmcp_cache_t *c, const char *key, char **out,
                                           size_t *out_len)
{
    if (!c || !key || !out)
        return PCFMCP_ERR_INVALID_ARG;
    pthread_mutex_lock(&c->lock);
    if (!c->enabled) {
        pthread_mutex_unlock(&c->lock);
        return PCFMCP_ERR_NOT_FOUND;
    }
    uint64_t now = c->clock(c->clock_ud);
    centry *e = find(c, key);
    if (e && now >= e->expires_ns) {
        unlink_entry(c, e);
        e = NULL;
    }
    pcfmcp_error_t rc = PCFMCP_ERR_NOT_FOUND;
    if (e) {
        char *copy = pcfmcp__malloc(e->len + 1);
        if (!copy) {
            rc = PCFMCP_ERR_NOMEM;
        } else {
            memcpy(copy, e->value, e->len);
            copy[e->len] = '\0';
            *out = copy;
            if (out_len)
                *out_len = e->len;
            rc = PCFMCP_OK;
            /* Most recently used to the front. */
            if (e != c->head) {
                e->prev->next = e->next;
                if (e->next)
                    e->next->prev = e->prev;
                else
                    c->tail = e->prev;
                e->prev = NULL;
                e->next = c->head;
                c->head->prev = e;
                c->head = e;
            }
        }
    }
    pthread_mutex_unlock(&c->lock);
    if (rc == PCFMCP_OK)
        atomic_fetch_add(&c->hits, 1);
    else if (rc == PCFMCP_ERR_NOT_FOUND)
        atomic_fetch_add(&c->misses, 1);
    return rc;
}

PCFMCP_API pcfmcp_error_t pcfmcp_cache_put(pcfmcp_cache_t *c, const char *key, const char *tag,
                                           const void *value, size_t len)
{
    if (!c || !key || (!value && len))
        return PCFMCP_ERR_INVALID_ARG;
    size_t cost = strlen(key) + len + (tag ? strlen(tag) : 0) + OVERHEAD;
    centry *e = pcfmcp__calloc(1, sizeof(*e));
    if (!e)
        return PCFMCP_ERR_NOMEM;
    e->key = pcfmcp__strdup(key);
    e->tag = tag && *tag ? pcfmcp__strdup(tag) : NULL;
    e->value = pcfmcp__malloc(len ? len : 1);
    if (!e->key || (tag && *tag && !e->tag) || !e->value) {
        entry_free(e);
        return PCFMCP_ERR_NOMEM;
    }
    if (len)
        memcpy(e->value, value, len);
    e->len = len;
    e->cost = cost;
    pthread_mutex_lock(&c->lock);
    if (!c->enabled || cost > c->max_bytes) {
        bool too_big = c->enabled;
        pthread_mutex_unlock(&c->lock);
        entry_free(e);
        return too_big ? PCFMCP_ERR_LIMIT : PCFMCP_OK;
    }
    centry *old = find(c, key);
    if (old)
        unlink_entry(c, old);
    e->expires_ns = c->clock(c->clock_ud) + c->ttl_ns;
    size_t b = bucket_of(key);
    e->chain = c->buckets[b];
    c->buckets[b] = e;
    e->next = c->head;
    if (c->head)
        c->head->prev = e;
    c->head = e;
    if (!c->tail)
        c->tail = e;
    c->count++;
    c->bytes += cost;
    shrink(c);
    pthread_mutex_unlock(&c->lock);
    return PCFMCP_OK;
}

PCFMCP_API size_t pcfmcp_cache_invalidate(pcfmcp_cache_t *c, const char *tag)
{
    if (!c)
        return 0;
    size_t n = 0;
    pthread_mutex_lock(&c->lock);
    for (centry *e = c->head, *next; e; e = next) {
        next = e->next;
        bool match = !tag || (!*tag && !e->tag) || (*tag && e->tag && strcmp(e->tag, tag) == 0);
        if (match) {
            unlink_entry(c, e);
            n++;
        }
    }
    pthread_mutex_unlock(&c->lock);
    return n;
}

PCFMCP_API void pcfmcp_cache_stats(const pcfmcp_cache_t *c, uint64_t *hits, uint64_t *misses,
                                   size_t *entries, size_t *bytes)
{
    pcfmcp_cache_t *m = (pcfmcp_cache_t *)c;
    if (hits)
        *hits = m ? atomic_load(&m->hits) : 0;
    if (misses)
        *misses = m ? atomic_load(&m->misses) : 0;
    if (!m) {
        if (entries)
            *entries = 0;
        if (bytes)
            *bytes = 0;
        return;
    }
    pthread_mutex_lock(&m->lock);
    if (entries)
        *entries = m->count;
    if (bytes)
        *bytes = m->bytes;
    pthread_mutex_unlock(&m->lock);
}
