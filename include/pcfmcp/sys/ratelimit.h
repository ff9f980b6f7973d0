/**
 * @file sys/ratelimit.h
 * @brief Token-bucket rate limits per identity and overall, a concurrency
 *        gate, and the client-address rule for requests behind proxies.
 *
 * A rate limiter keeps one bucket per identity (API key name, JWT subject or
 * client address), a second, usually smaller bucket per identity for calls
 * that change data, and one global bucket. Each bucket holds at most
 * `burst` tokens and refills at `rate` tokens per second; a request takes
 * one token from every bucket it is charged to, or none at all if any of
 * them is empty, and is then told how long to wait. The identity table is
 * bounded: when it is full the identity used least recently is forgotten
 * (it starts again with a full bucket; the global bucket still applies).
 *
 * The clock is injectable so that the arithmetic can be tested without
 * sleeping.
 *
 * Thread safety: every function may be called from any thread at once,
 * except the `_free` functions and a settings object, which belongs to one
 * thread. pcfmcp_ratelimit_apply() and pcfmcp_gate_set_limit() may be
 * called while other threads take tokens (that is how a configuration
 * reload changes the limits).
 */
#ifndef PCFMCP_SYS_RATELIMIT_H
#define PCFMCP_SYS_RATELIMIT_H

#include <pcfmcp/common.h>

PCFMCP_BEGIN_DECLS

/** A rate limiter. Opaque. */
typedef struct pcfmcp_ratelimit pcfmcp_ratelimit_t;

/** Which buckets pcfmcp_ratelimit_take() charges (combine with `|`). */
enum {
    PCFMCP_RATELIMIT_IDENTITY = 1u << 0, /**< the caller's own bucket */
    PCFMCP_RATELIMIT_GLOBAL = 1u << 1,   /**< the bucket every caller shares */
    PCFMCP_RATELIMIT_WRITE = 1u << 2     /**< the caller's bucket for calls that change data */
};

/** Creates a limiter that limits nothing until pcfmcp_ratelimit_apply(). */
PCFMCP_API pcfmcp_error_t pcfmcp_ratelimit_new(pcfmcp_ratelimit_t **out);

/** Frees @p rl. NULL does nothing. */
PCFMCP_API void pcfmcp_ratelimit_free(pcfmcp_ratelimit_t *rl);

/**
 * The rates and bursts pcfmcp_ratelimit_apply() gives a limiter, set by
 * name instead of by position. Opaque; every kind of bucket starts off
 * (rate 0, burst 1). Used by one thread at a time.
 */
typedef struct pcfmcp_ratelimit_settings pcfmcp_ratelimit_settings_t;

/** Creates settings with every kind of bucket off. */
PCFMCP_API pcfmcp_error_t pcfmcp_ratelimit_settings_new(pcfmcp_ratelimit_settings_t **out);

/** Frees @p settings. NULL does nothing. */
PCFMCP_API void pcfmcp_ratelimit_settings_free(pcfmcp_ratelimit_settings_t *settings);

/**
 * Sets the rate, in tokens per second, of one kind of bucket: @p bucket is
 * PCFMCP_RATELIMIT_IDENTITY, PCFMCP_RATELIMIT_GLOBAL or
 * PCFMCP_RATELIMIT_WRITE. 0 switches that kind off.
 * @return PCFMCP_ERR_INVALID_ARG (pcfmcp_error_last() says why) for a
 *         negative or non-finite rate or not exactly one kind of bucket;
 *         the settings are then unchanged.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_ratelimit_settings_set_rate(pcfmcp_ratelimit_settings_t *settings,
                                                             unsigned bucket,
                                                             double tokens_per_second);

/**
 * Sets the burst (bucket size, in tokens) of one kind of bucket; below 1
 * counts as 1. Errors as pcfmcp_ratelimit_settings_set_rate().
 */
PCFMCP_API pcfmcp_error_t pcfmcp_ratelimit_settings_set_burst(pcfmcp_ratelimit_settings_t *settings,
                                                              unsigned bucket, double tokens);

/**
 * Gives @p rl the rates and bursts of @p settings, all kinds at once.
 * Existing buckets keep their tokens, clipped to the new burst. May be
 * called while other threads take tokens.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_ratelimit_apply(pcfmcp_ratelimit_t *rl,
                                                 const pcfmcp_ratelimit_settings_t *settings);

/**
 * Sets the rates (tokens per second) and bursts (bucket sizes) of the three
 * kinds of bucket. A rate of 0 switches that kind off; a burst below 1 is
 * treated as 1. Existing buckets keep their tokens, clipped to the new burst.
 * @return PCFMCP_ERR_INVALID_ARG for a negative or non-finite number.
 * @deprecated Six numbers told apart only by their position: use a
 *             pcfmcp_ratelimit_settings_t and pcfmcp_ratelimit_apply(). Kept,
 *             with the same behaviour, for one release.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_ratelimit_configure(pcfmcp_ratelimit_t *rl,
                                                     double identity_rate, double identity_burst,
                                                     double global_rate, double global_burst,
                                                     double write_rate, double write_burst);

/** Bounds the identity table (default 10000, at least 16). Takes effect as identities come and go. */
PCFMCP_API pcfmcp_error_t pcfmcp_ratelimit_set_max_identities(pcfmcp_ratelimit_t *rl, size_t max);

/** Replaces the monotonic clock (tests). NULL restores the system clock. */
PCFMCP_API pcfmcp_error_t pcfmcp_ratelimit_set_clock(pcfmcp_ratelimit_t *rl, pcfmcp_clock_cb cb,
                                                     void *userdata);

/**
 * Takes one token from each bucket named in @p buckets, or from none.
 *
 * @param rl       the limiter
 * @param identity who is asking; NULL or "" counts as "anonymous". Copied
 *                 into the table (at most 256 bytes are kept).
 * @param buckets  a combination of PCFMCP_RATELIMIT_* values
 * @param[out] retry_after_seconds when refused, how long until every bucket
 *                 involved has a token again (> 0); may be NULL
 * @return PCFMCP_OK, PCFMCP_ERR_RATE_LIMITED, PCFMCP_ERR_NOMEM.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_ratelimit_take(pcfmcp_ratelimit_t *rl, const char *identity,
                                                unsigned buckets, double *retry_after_seconds);

/** Number of identities currently tracked. */
PCFMCP_API size_t pcfmcp_ratelimit_identities(pcfmcp_ratelimit_t *rl);

/* ------------------------------------------------------------------ gate */

/** A counting semaphore that caps concurrent work (calls into PCF). Opaque. */
typedef struct pcfmcp_gate pcfmcp_gate_t;

/** Creates a gate admitting @p limit holders at once (0 = no limit). */
PCFMCP_API pcfmcp_error_t pcfmcp_gate_new(pcfmcp_gate_t **out, unsigned limit);

/** Frees @p gate; nobody may hold or wait on it. NULL does nothing. */
PCFMCP_API void pcfmcp_gate_free(pcfmcp_gate_t *gate);

/** Changes the limit (0 = no limit). Raising it wakes waiters; lowering it
 *  lets current holders finish and admits no one until they are below it. */
PCFMCP_API pcfmcp_error_t pcfmcp_gate_set_limit(pcfmcp_gate_t *gate, unsigned limit);

/**
 * Waits until the gate admits the caller.
 * @param gate       the gate
 * @param timeout_ms how long to wait at most (0 = do not wait)
 * @param cancel     polled while waiting (every 50 ms at most); NULL = never
 * @return PCFMCP_OK (call pcfmcp_gate_leave() later), PCFMCP_ERR_TIMEOUT,
 *         PCFMCP_ERR_CANCELLED.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_gate_enter(pcfmcp_gate_t *gate, unsigned timeout_ms,
                                            const volatile int *cancel);

/** Releases what pcfmcp_gate_enter() admitted. */
PCFMCP_API void pcfmcp_gate_leave(pcfmcp_gate_t *gate);

/** Number of current holders. */
PCFMCP_API unsigned pcfmcp_gate_in_use(pcfmcp_gate_t *gate);

/** Number of callers waiting in pcfmcp_gate_enter(). */
PCFMCP_API unsigned pcfmcp_gate_waiting(pcfmcp_gate_t *gate);

/* ------------------------------------------------------------------ proxies */

/** A list of trusted proxy networks. Opaque; immutable once built. */
typedef struct pcfmcp_proxies pcfmcp_proxies_t;

/**
 * Parses @p cidrs, a comma-separated list of addresses or networks
 * ("10.0.0.0/8, 192.168.1.10, fd00::/8"); NULL or "" trusts no proxy.
 * @param cidrs the list
 * @param[out] out on PCFMCP_ERR_INVALID_ARG, *out is still set so that
 *             pcfmcp_proxies_errmsg() can name the bad entry; free it.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_proxies_new(pcfmcp_proxies_t **out, const char *cidrs);

/** Frees @p proxies. NULL does nothing. */
PCFMCP_API void pcfmcp_proxies_free(pcfmcp_proxies_t *proxies);

/** Why pcfmcp_proxies_new() failed on this thread.
 *  Never NULL; "no error" when this thread's last failure was not on it. Valid until
 *  this thread's next failed call (see "Error detail" in common.h). */
PCFMCP_API const char *pcfmcp_proxies_errmsg(const pcfmcp_proxies_t *proxies);

/**
 * Picks the address of the client behind a request.
 *
 * X-Forwarded-For is believed only from trusted proxies: when @p peer (the
 * TCP peer) is trusted, the header is read from the right and the first
 * address that is not a trusted proxy is the client; if every entry is
 * trusted, the leftmost one. An unparsable entry ends the walk at the
 * proxy that added it. Otherwise the client is @p peer itself. The result is
 * written in canonical form (IPv4-mapped IPv6 addresses as IPv4).
 *
 * @param proxies may be NULL (trust nobody)
 * @param peer    the TCP peer address, without port
 * @param xff     the X-Forwarded-For header value(s), or NULL
 * @param out     receives a NUL-terminated address; 46 bytes are always enough
 * @param out_size size of @p out
 * @return PCFMCP_ERR_INVALID_ARG if @p peer is not an IP address or @p out is too small.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_proxies_client_address(const pcfmcp_proxies_t *proxies,
                                                        const char *peer, const char *xff,
                                                        char *out, size_t out_size);

PCFMCP_END_DECLS

#endif /* PCFMCP_SYS_RATELIMIT_H */
