/**
 * @file sys/cache.h
 * @brief A small, short-lived, size-bounded cache of byte strings with
 *        tag-based invalidation (PCF read results).
 *
 * Entries live for the cache's TTL and are evicted least-recently-used
 * first when the entry or byte budget is exceeded. Each entry may carry a
 * tag (for PCF: the project it belongs to) so that a write can drop
 * everything it may have made stale. Hits and misses are counted for
 * metrics.
 *
 * Thread safety: every function may be called from any thread at once,
 * except pcfmcp_cache_free().
 */
#ifndef PCFMCP_SYS_CACHE_H
#define PCFMCP_SYS_CACHE_H

#include <pcfmcp/common.h>

PCFMCP_BEGIN_DECLS

/** A cache. Opaque. */
typedef struct pcfmcp_cache pcfmcp_cache_t;

/**
 * Creates a cache of at most @p max_entries entries and @p max_bytes bytes
 * (keys and values plus a small per-entry overhead), each valid for
 * @p ttl_ms milliseconds. All three must be positive.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_cache_new(pcfmcp_cache_t **out, size_t max_entries,
                                           size_t max_bytes, unsigned ttl_ms);

/** Frees @p cache. NULL does nothing. */
PCFMCP_API void pcfmcp_cache_free(pcfmcp_cache_t *cache);

/** Changes the bounds and TTL (configuration reload); evicts what no longer fits. */
PCFMCP_API pcfmcp_error_t pcfmcp_cache_configure(pcfmcp_cache_t *cache, size_t max_entries,
                                                 size_t max_bytes, unsigned ttl_ms);

/** Switches the cache on or off; off empties it, and lookups miss without being counted. */
PCFMCP_API pcfmcp_error_t pcfmcp_cache_set_enabled(pcfmcp_cache_t *cache, int on);

/** 1 when the cache is on. */
PCFMCP_API int pcfmcp_cache_enabled(const pcfmcp_cache_t *cache);

/** Replaces the monotonic clock (tests). NULL restores the system clock. */
PCFMCP_API pcfmcp_error_t pcfmcp_cache_set_clock(pcfmcp_cache_t *cache, pcfmcp_clock_cb cb,
                                                 void *userdata);

/**
 * Looks up @p key.
 * @param cache the cache
 * @param key   the key (NUL-terminated)
 * @param[out] out     a copy of the value (NUL-terminated for convenience),
 *                     freed with pcfmcp_free()
 * @param[out] out_len its length; may be NULL
 * @return PCFMCP_OK on a hit, PCFMCP_ERR_NOT_FOUND on a miss (or an expired
 *         entry, which is dropped).
 */
PCFMCP_API pcfmcp_error_t pcfmcp_cache_get(pcfmcp_cache_t *cache, const char *key, char **out,
                                           size_t *out_len);

/**
 * Stores @p len bytes of @p value under @p key (both copied), replacing any
 * previous entry, with tag @p tag (NULL or "" = untagged).
 * @return PCFMCP_ERR_LIMIT if the entry alone exceeds the byte budget
 *         (nothing is stored); PCFMCP_OK also when the cache is off.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_cache_put(pcfmcp_cache_t *cache, const char *key,
                                           const char *tag, const void *value, size_t len);

/**
 * Drops entries: those tagged @p tag; with "" the untagged ones; with NULL
 * every entry. Returns how many were dropped (0 for a NULL cache).
 */
PCFMCP_API size_t pcfmcp_cache_invalidate(pcfmcp_cache_t *cache, const char *tag);

/** Counters and sizes; any output may be NULL. */
PCFMCP_API void pcfmcp_cache_stats(const pcfmcp_cache_t *cache, uint64_t *hits, uint64_t *misses,
                                   size_t *entries, size_t *bytes);

PCFMCP_END_DECLS

#endif /* PCFMCP_SYS_CACHE_H */
