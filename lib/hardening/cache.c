/* A TTL + LRU cache under one mutex: lookups are a hash and a list splice,
 * cheap next to the PCF round trip they save.
 *
 * A read that started before a write must never be kept after it: the
 * lookup that misses hands out a ticket with the count of invalidations so
 * far, and the put that follows the PCF round trip is dropped if that count
 * moved meanwhile. With a shared store the same holds across replicas: the
 * ticket also carries the store's generations for the entry's tag, the
 * entry keeps them, and every hit first reads them again (one round trip)
 * and is dropped if a write anywhere moved them. A store that does not
 * answer means no hit can be proven fresh, so the cache is bypassed. */
#include "core/internal.h"

#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include <pcfmcp/sys/cache.h>

#include "core/alloc.h"
#include "core/util.h"
#include "hardening/cache_internal.h"
#include "hardening/store.h"
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
    bool shared;           /* stamped with the store's generations */
    pcfmcp__store_gen gen; /* valid when shared */
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
    _Atomic uint64_t invalidations; /* local: tickets older than this are void */
    pcfmcp__store *_Atomic store;
    atomic_bool lost_bump; /* a write could not tell the store: bump "*" first */
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
    atomic_init(&c->store, NULL);
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

void pcfmcp__cache_set_store(pcfmcp_cache_t *c, pcfmcp__store *st)
{
    if (!c)
        return;
    atomic_store(&c->store, st);
    pthread_mutex_lock(&c->lock);
    clear_all(c); /* nothing kept so far carries the store's stamps */
    pthread_mutex_unlock(&c->lock);
    atomic_fetch_add(&c->invalidations, 1);
}

bool pcfmcp__cache_shared(pcfmcp_cache_t *c)
{
    return c && atomic_load(&c->store) != NULL;
}

/* Tells the store about a write it missed while it was down, before
 * anything is read from it again. */
static pcfmcp_error_t flush_lost_bump(pcfmcp_cache_t *c, pcfmcp__store *st)
{
    if (!atomic_load(&c->lost_bump))
        return PCFMCP_OK;
    pcfmcp_error_t rc = pcfmcp__store_gen_bump(st, NULL);
    if (rc == PCFMCP_OK)
        atomic_store(&c->lost_bump, false);
    return rc;
}

static bool same_gen(const pcfmcp__store_gen *a, const pcfmcp__store_gen *b)
{
    return a->epoch == b->epoch && a->all == b->all && a->scope == b->scope;
}

static void move_to_front(pcfmcp_cache_t *c, centry *e)
{
    if (e == c->head)
        return;
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

pcfmcp_error_t pcfmcp__cache_lookup(pcfmcp_cache_t *c, const char *key, const char *tag,
                                    char **out, size_t *out_len, pcfmcp__cache_ticket *t)
{
    if (!c || !key || !out || !t)
        return PCFMCP_ERR_INVALID_ARG;
    memset(t, 0, sizeof(*t));
    /* First, so that an invalidation from here on voids the ticket. */
    t->local = atomic_load(&c->invalidations);
    snprintf(t->tag, sizeof(t->tag), "%s", tag ? tag : "");
    pcfmcp__store *st = atomic_load(&c->store);
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
    char *copy = NULL;
    size_t len = 0;
    bool shared = false;
    pcfmcp__store_gen stamp = { 0 };
    char etag[sizeof(t->tag)] = "";
    if (e) {
        if (!(copy = pcfmcp__malloc(e->len + 1))) {
            rc = PCFMCP_ERR_NOMEM;
        } else {
            memcpy(copy, e->value, e->len);
            copy[e->len] = '\0';
            len = e->len;
            shared = e->shared;
            stamp = e->gen;
            snprintf(etag, sizeof(etag), "%s", e->tag ? e->tag : "");
            move_to_front(c, e);
        }
    }
    pthread_mutex_unlock(&c->lock);
    if (rc == PCFMCP_ERR_NOMEM)
        return rc;
    if (st) {
        pcfmcp__store_gen now_gen;
        /* A hit is checked against its own tag's counters; a miss reads
         * those of the entry the caller is about to put. */
        const char *which = copy ? etag : t->tag;
        if (flush_lost_bump(c, st) != PCFMCP_OK ||
            pcfmcp__store_gen_read(st, which, &now_gen) != PCFMCP_OK) {
            pcfmcp__free(copy);
            atomic_fetch_add(&c->misses, 1);
            return PCFMCP_ERR_UNAVAILABLE;
        }
        if (copy && (!shared || !same_gen(&stamp, &now_gen))) {
            /* Written elsewhere since: drop it, unless it was replaced meanwhile. */
            pthread_mutex_lock(&c->lock);
            centry *cur = find(c, key);
            if (cur && cur->shared == shared && same_gen(&cur->gen, &stamp))
                unlink_entry(c, cur);
            pthread_mutex_unlock(&c->lock);
            pcfmcp__free(copy);
            copy = NULL;
            if (strcmp(etag, t->tag) != 0 &&
                pcfmcp__store_gen_read(st, t->tag, &now_gen) != PCFMCP_OK) {
                atomic_fetch_add(&c->misses, 1);
                return PCFMCP_ERR_UNAVAILABLE;
            }
        }
        if (!copy) {
            t->shared = true;
            t->gen = now_gen;
        }
    }
    if (copy) {
        *out = copy;
        if (out_len)
            *out_len = len;
        atomic_fetch_add(&c->hits, 1);
        return PCFMCP_OK;
    }
    atomic_fetch_add(&c->misses, 1);
    return PCFMCP_ERR_NOT_FOUND;
}

PCFMCP_API pcfmcp_error_t pcfmcp_cache_get(pcfmcp_cache_t *c, const char *key, char **out,
                                           size_t *out_len)
{
    pcfmcp__cache_ticket t;
    pcfmcp_error_t rc = pcfmcp__cache_lookup(c, key, NULL, out, out_len, &t);
    return rc == PCFMCP_ERR_UNAVAILABLE ? PCFMCP_ERR_NOT_FOUND : rc;
}

pcfmcp_error_t pcfmcp__cache_put_ticket(pcfmcp_cache_t *c, const char *key, const char *tag,
                                        const void *value, size_t len,
                                        const pcfmcp__cache_ticket *t)
{
    if (!c || !key || (!value && len) || !t)
        return PCFMCP_ERR_INVALID_ARG;
    pcfmcp__store *st = atomic_load(&c->store);
    /* A ticket for another tag, or one issued before the store was
     * attached, proves nothing. */
    if (strcmp(t->tag, tag ? tag : "") != 0 || (st && !t->shared))
        return PCFMCP_OK;
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
    e->shared = t->shared;
    e->gen = t->gen;
    pthread_mutex_lock(&c->lock);
    /* Checked under the lock that invalidation takes to drop entries: an
     * invalidation either happened before (the count moved) or drops this. */
    if (atomic_load(&c->invalidations) != t->local) {
        pthread_mutex_unlock(&c->lock);
        entry_free(e);
        return PCFMCP_OK;
    }
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

PCFMCP_API pcfmcp_error_t pcfmcp_cache_put(pcfmcp_cache_t *c, const char *key, const char *tag,
                                           const void *value, size_t len)
{
    if (!c || !key || (!value && len))
        return PCFMCP_ERR_INVALID_ARG;
    /* Without a lookup before it, the generations are those of now. */
    pcfmcp__cache_ticket t;
    memset(&t, 0, sizeof(t));
    t.local = atomic_load(&c->invalidations);
    snprintf(t.tag, sizeof(t.tag), "%s", tag ? tag : "");
    pcfmcp__store *st = atomic_load(&c->store);
    if (st) {
        if (flush_lost_bump(c, st) != PCFMCP_OK || pcfmcp__store_gen_read(st, tag, &t.gen) != PCFMCP_OK)
            return PCFMCP_OK; /* cannot be proven fresh later: not kept */
        t.shared = true;
    }
    return pcfmcp__cache_put_ticket(c, key, tag, value, len, &t);
}

PCFMCP_API size_t pcfmcp_cache_invalidate(pcfmcp_cache_t *c, const char *tag)
{
    if (!c)
        return 0;
    size_t n = 0;
    pthread_mutex_lock(&c->lock);
    atomic_fetch_add(&c->invalidations, 1);
    for (centry *e = c->head, *next; e; e = next) {
        next = e->next;
        bool match = !tag || (!*tag && !e->tag) || (*tag && e->tag && strcmp(e->tag, tag) == 0);
        if (match) {
            unlink_entry(c, e);
            n++;
        }
    }
    pthread_mutex_unlock(&c->lock);
    pcfmcp__store *st = atomic_load(&c->store);
    /* The other replicas drop their copies on their next read. A store that
     * does not answer hears about it (as "everything changed") once it does. */
    if (st && (flush_lost_bump(c, st) != PCFMCP_OK || pcfmcp__store_gen_bump(st, tag) != PCFMCP_OK))
        atomic_store(&c->lost_bump, true);
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
