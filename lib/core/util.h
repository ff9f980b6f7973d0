/* Small, dependency-free (or GnuTLS-backed) helpers shared across lib/. */
#ifndef PCFMCP_CORE_UTIL_H
#define PCFMCP_CORE_UTIL_H

#include <pthread.h>
#include <stdbool.h>
#include <time.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "core/buf.h"

/* Strict UTF-8 check (no overlongs, no surrogates, nothing above U+10FFFF).
 * On failure *bad_at (if given) receives the offset of the first bad byte. */
bool pcfmcp__utf8_valid(const char *s, size_t n, size_t *bad_at);
/* Appends @p s to @p b as UTF-8: each byte that begins no valid sequence
 * becomes U+FFFD. For text from a peer that results and JSON will carry. */
void pcfmcp__buf_put_utf8(pcfmcp__buf *b, const char *s, size_t n);
/* Compares in time that depends only on the lengths, never on the content. */
bool pcfmcp__ct_equal(const void *a, size_t alen, const void *b, size_t blen);
/* Canonical 8-4-4-4-12 hex UUID, any case (what PCF's Flask converter takes). */
bool pcfmcp__uuid_valid(const char *s);
/* A random version-4 UUID, lower case, into out[37]. */
int pcfmcp__uuid_v4(char out[37]);
/* Cryptographically strong random bytes (GnuTLS). 0 on success. */
int pcfmcp__random(void *buf, size_t n);
/* Random token of @p nbytes entropy as lower-case hex into @p out (2n+1 bytes). */
int pcfmcp__random_hex(char *out, size_t nbytes);

/* Standard base64 (with padding) or base64url (no padding). Results are
 * NUL-terminated and freed with pcfmcp__free. NULL on bad input or OOM. */
char *pcfmcp__base64_encode(const void *data, size_t n, size_t *out_len);
char *pcfmcp__base64url_encode(const void *data, size_t n, size_t *out_len);
void *pcfmcp__base64_decode(const char *s, size_t n, size_t *out_len);
void *pcfmcp__base64url_decode(const char *s, size_t n, size_t *out_len);

/* SHA-256 of @p n bytes as 64 lower-case hex chars + NUL into out[65]. */
int pcfmcp__sha256_hex(const void *data, size_t n, char out[65]);
/* HMAC-SHA256 of data with key into out[32]. 0 on success. */
int pcfmcp__hmac_sha256(const void *key, size_t klen, const void *data, size_t n,
                        unsigned char out[32]);
void pcfmcp__hex(const unsigned char *in, size_t n, char *out);
/* Value of one hex digit of either case, or -1 (also for any non-ASCII byte). */
int pcfmcp__hexval(int c);

/* A double's bits and back: doubles shared between threads live in
 * _Atomic uint64_t, C11 having no portable atomic double arithmetic. */
static inline uint64_t pcfmcp__dbits(double d)
{
    uint64_t u;
    memcpy(&u, &d, sizeof(u));
    return u;
}

static inline double pcfmcp__bitsd(uint64_t u)
{
    double d;
    memcpy(&d, &u, sizeof(d));
    return d;
}

/* Clocks: monotonic for deadlines and durations, realtime for timestamps. */
uint64_t pcfmcp__now_ms(void);      /* CLOCK_MONOTONIC */
uint64_t pcfmcp__now_ns(void);      /* CLOCK_MONOTONIC */
uint64_t pcfmcp__wall_ms(void);     /* CLOCK_REALTIME, Unix epoch */
/* A condition variable whose timed waits use CLOCK_MONOTONIC, and the
 * absolute time @p ms from now on that clock, for those waits. */
void pcfmcp__cond_init_monotonic(pthread_cond_t *c);
struct timespec pcfmcp__monotonic_after(uint64_t ms);
/* RFC 3339 UTC with milliseconds, "2026-11-25T18:37:53.123Z", into out[32]. */
void pcfmcp__rfc3339(uint64_t wall_ms, char out[32]);
/* @p secs (Unix seconds, any double, e.g. from a peer) in UTC as a date
 * (2026-11-24) or, with @p with_time, an RFC 3339 time (…T10:03:06Z) into
 * out[n]. False, with out empty, when it is not finite or outside years
 * 1..9999: no conversion out of time_t's range. */
bool pcfmcp__utc_format(double secs, bool with_time, char *out, size_t n);

/* Case-insensitive ASCII comparisons (header names, schemes). */
bool pcfmcp__strcaseeq(const char *a, const char *b);
bool pcfmcp__has_prefix(const char *s, const char *prefix);
/* Reads a whole small file (secrets, keys, PEM) into a NUL-terminated buffer,
 * refusing anything over max bytes. Trailing newlines are stripped when trim.
 * Returns 0, or an errno-style positive value (ENOENT, EFBIG, ENOMEM, ...). */
int pcfmcp__read_file(const char *path, size_t max, bool trim, char **out, size_t *out_len);
/* A pipe whose ends are close-on-exec and non-blocking (wake-up pipes of
 * the transports): pipe2() where configure found it, else pipe() and
 * fcntl(), as on systems without pipe2 and in --enable-portable builds.
 * Returns 0, or -1 with errno set and no descriptor left open. */
int pcfmcp__pipe_cloexec_nonblock(int fds[2]);
/* Zero memory in a way the compiler may not elide (secrets). */
void pcfmcp__secure_zero(void *p, size_t n);
void pcfmcp__secure_free(char *s);

#endif
