/* The shared store: Redis or Valkey, optional, so that several replicas
 * behind one load balancer share their rate limits, invalidate each
 * other's cached PCF reads and recognise each other's sessions.
 *
 * The store is an aid, never a dependency: every operation is bounded by
 * store.timeout (connect, TLS handshake, command, waiting for a pooled
 * connection), and once one fails the store is "down" and every operation
 * answers PCFMCP_ERR_UNAVAILABLE at once, without touching the network,
 * until a background thread has reconnected (backoff from 100 ms doubling
 * to 5 s). Callers then fall back to what one replica can do alone: local
 * rate limits, reads from PCF rather than from a cache that cannot be
 * proven fresh, the plain "unknown session" answer.
 *
 * hiredis 0.14 (Debian 12) has no TLS, so only its protocol layer is used
 * (redisFormatCommandArgv to encode, redisReader to parse); the connection
 * itself is ours: a non-blocking socket, or a GnuTLS session over it, with
 * our deadlines. Built without hiredis, pcfmcp__store_new() refuses with a
 * message that says so.
 *
 * Thread safety: every function may be called from any thread at once,
 * except _new/_start/_free. */
#ifndef PCFMCP_HARDENING_STORE_H
#define PCFMCP_HARDENING_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pcfmcp/common.h>
#include <pcfmcp/log.h>
#include <pcfmcp/sys/ratelimit.h>

typedef struct pcfmcp__store pcfmcp__store;

/* What a store.url says. Strings are owned (pcfmcp__store_url_clear). */
typedef struct {
    bool tls;        /* rediss:// */
    char *host;      /* name or address, without brackets */
    unsigned port;   /* default 6379 */
    char *username;  /* NULL: AUTH with the password only (the default user) */
    char *password;  /* NULL: no AUTH */
    unsigned db;     /* SELECT, 0 = none */
} pcfmcp__store_url;

/* Parses redis://[user[:password]@]host[:port][/db] or rediss://...;
 * percent-escapes are decoded in the user and password. On failure
 * @p why says what is wrong without repeating the password. */
pcfmcp_error_t pcfmcp__store_url_parse(const char *url, pcfmcp__store_url *out, char *why,
                                       size_t why_len);
void pcfmcp__store_url_clear(pcfmcp__store_url *u);
/* "rediss://user@host:port/db" without the password, for logs. */
void pcfmcp__store_url_describe(const pcfmcp__store_url *u, char *out, size_t n);

typedef struct {
    const char *url;         /* required */
    const char *password;    /* overrides none: an error when the URL has one too */
    const char *ca_file;     /* rediss: trusted CAs (default: the system store) */
    const char *client_cert; /* rediss: PEM certificate presented to the store */
    const char *client_key;  /* rediss: its key */
    unsigned timeout_ms;     /* every operation's bound */
    const char *prefix;      /* put before every key ("pcf-mcp:") */
    unsigned connections;    /* pooled connections */
} pcfmcp__store_opts;

/* Checks the options and loads the TLS material; connects nothing. The
 * built-without-hiredis answer is PCFMCP_ERR_UNSUPPORTED. @p why explains
 * any failure. */
pcfmcp_error_t pcfmcp__store_new(pcfmcp__store **out, const pcfmcp__store_opts *opts,
                                 pcfmcp_logger_t *log, char *why, size_t why_len);
/* Starts the background thread that connects, reconnects and announces
 * this replica (heartbeat). Until it has connected the store is down. */
pcfmcp_error_t pcfmcp__store_start(pcfmcp__store *st);
/* Stops the thread, withdraws the heartbeat (bounded), closes everything. */
void pcfmcp__store_free(pcfmcp__store *st);

/* True while the store answers. */
bool pcfmcp__store_up(pcfmcp__store *st);
/* Why the store is down, for /readyz and logs ("" while up). */
void pcfmcp__store_status(pcfmcp__store *st, char *out, size_t n);
/* Increases every time the store comes back after being down: what was
 * read from it before may not describe what it holds now (a restarted
 * Redis without persistence starts empty). */
uint64_t pcfmcp__store_epoch(pcfmcp__store *st);
/* Waits until the store is up or @p timeout_ms passed (tests, start-up). */
bool pcfmcp__store_wait_up(pcfmcp__store *st, unsigned timeout_ms);

/* Every operation's outcome, for metrics: @p op is a static name
 * ("ratelimit", "cache", "invalidate", "session", "heartbeat", "connect"),
 * @p result one of "ok", "error", "timeout", "unavailable"; @p seconds is
 * 0 for "unavailable" (nothing was sent). Called on the calling thread. */
typedef void (*pcfmcp__store_observer)(const char *op, const char *result, double seconds,
                                       void *ud);
void pcfmcp__store_set_observer(pcfmcp__store *st, pcfmcp__store_observer cb, void *ud);

/* Hands @p st to the rate limiter (ratelimit.c): its buckets then live in
 * the store whenever it answers. NULL detaches. @p st must outlive @p rl's
 * use. */
void pcfmcp__ratelimit_set_store(pcfmcp_ratelimit_t *rl, pcfmcp__store *st);

/* ---------------------------------------------------------------- ops */

/* The token buckets of lib/hardening/ratelimit.c, kept in the store by one
 * Lua script (EVALSHA), so every replica draws from the same buckets.
 * @p buckets is a PCFMCP_RATELIMIT_* mask; rate[k] and burst[k] are indexed
 * identity, global, write; a rate of 0 leaves that bucket out. @p now_us is
 * the time to use, or -1 for the store's own clock (the same for every
 * replica). PCFMCP_OK: taken; PCFMCP_ERR_RATE_LIMITED with *wait; any other
 * code: the store could not decide, use the local limiter. */
pcfmcp_error_t pcfmcp__store_ratelimit(pcfmcp__store *st, const char *identity, unsigned buckets,
                                       const double rate[3], const double burst[3],
                                       int64_t now_us, double *wait);

/* Generations of cached reads: one counter for everything, one for reads
 * without a project, one per project. A write bumps them; a reader that
 * finds a counter moved since it cached an entry drops the entry. */
typedef struct {
    uint64_t epoch;   /* pcfmcp__store_epoch() when read */
    long long all;    /* bumped by writes that may touch anything */
    long long scope;  /* bumped by writes to the project (or untagged reads) */
} pcfmcp__store_gen;

/* Reads the generations that cover entries tagged @p tag (NULL or "":
 * untagged). */
pcfmcp_error_t pcfmcp__store_gen_read(pcfmcp__store *st, const char *tag, pcfmcp__store_gen *out);
/* Bumps the generation of @p tag ("" untagged, NULL everything). */
pcfmcp_error_t pcfmcp__store_gen_bump(pcfmcp__store *st, const char *tag);

/* This replica's tag: random, distinct per process, safe in a session id
 * ([A-Za-z0-9_-]). */
const char *pcfmcp__store_replica_tag(pcfmcp__store *st);
/* 1 when the replica tagged @p tag announces itself in the store and is
 * not this one; 0 when it does not (gone, or never was); a negative error
 * code when the store cannot say. @p name receives its host name. */
int pcfmcp__store_replica_alive(pcfmcp__store *st, const char *tag, char *name, size_t n);

#endif
