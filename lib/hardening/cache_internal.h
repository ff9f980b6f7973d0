/* The cache's ticketed lookup, for callers that read the source between a
 * miss and the put (the PCF client): see cache.c for why. */
#ifndef PCFMCP_HARDENING_CACHE_INTERNAL_H
#define PCFMCP_HARDENING_CACHE_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include <pcfmcp/sys/cache.h>

#include "hardening/store.h"

/* What a miss knew when it happened; handed back with the put. */
typedef struct {
    uint64_t local;        /* the cache's invalidation count */
    bool shared;           /* gen was read from the store */
    pcfmcp__store_gen gen;
    char tag[64];          /* the tag the put is for ("" = untagged) */
} pcfmcp__cache_ticket;

/* Shares invalidation with the other replicas through @p st (NULL
 * detaches). Empties the cache. @p st must outlive the cache's use. */
void pcfmcp__cache_set_store(pcfmcp_cache_t *c, pcfmcp__store *st);

/* Whether a shared store is attached: every lookup then reads it (a
 * network round trip), which a caller that must not wait avoids. */
bool pcfmcp__cache_shared(pcfmcp_cache_t *c);

/* pcfmcp_cache_get() for an entry that would be tagged @p tag. PCFMCP_OK:
 * a hit, fresh as far as every replica knows. PCFMCP_ERR_NOT_FOUND: a
 * miss; pass @p t to pcfmcp__cache_put_ticket(). PCFMCP_ERR_UNAVAILABLE:
 * the store cannot vouch for anything; read the source and keep nothing. */
pcfmcp_error_t pcfmcp__cache_lookup(pcfmcp_cache_t *c, const char *key, const char *tag,
                                    char **out, size_t *out_len, pcfmcp__cache_ticket *t);
/* pcfmcp_cache_put() that keeps nothing if anything was invalidated since
 * the lookup that issued @p t (here or, through the store, anywhere). */
pcfmcp_error_t pcfmcp__cache_put_ticket(pcfmcp_cache_t *c, const char *key, const char *tag,
                                        const void *value, size_t len,
                                        const pcfmcp__cache_ticket *t);

#endif
