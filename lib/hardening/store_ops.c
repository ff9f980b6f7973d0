/* What the replicas keep in the shared store, under store.prefix:
 *
 *   rl:id:<caller>, rl:wr:<caller>, rl:global   token buckets (hash t, ts)
 *   gen                                        cache generations (hash:
 *                                              "*" all, "-" untagged,
 *                                              "p:<project>" per project)
 *   replica:<tag>                              heartbeat, value = host name
 *
 * Buckets expire once they would be full again, which is the same as not
 * existing, so idle callers cost nothing. Generations are never expired: a
 * counter that vanished and restarted could meet an old value again. */
#include "core/internal.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcfmcp/sys/ratelimit.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/util.h"
#include "hardening/store.h"
#include "hardening/store_impl.h"

#ifdef HAVE_HIREDIS

#include <gnutls/crypto.h>

/* The token bucket of lib/hardening/ratelimit.c, step for step: refill by
 * the time passed (never past the burst), a bucket within 1e-9 of a whole
 * token has it, and a request takes one token from every bucket or, when
 * any is short, from none and learns the longest wait. A fresh bucket
 * starts full. The store's clock (TIME) serves every replica alike; a clock
 * that steps back refills nothing and does not move a bucket's time back.
 * KEYS: the buckets. ARGV[1]: microseconds, or "" for the store's clock.
 * ARGV[2i], ARGV[2i+1]: rate per second and burst of KEYS[i].
 * A bucket expires once it would be full again; with a caller's clock,
 * whose seconds are not the store's, it keeps for an hour instead.
 * Returns the seconds to wait as text (Lua numbers would be truncated). */
static const char bucket_script[] =
    "local now\n"
    "if ARGV[1] ~= '' then now = tonumber(ARGV[1]) else\n"
    "  local t = redis.call('TIME')\n"
    "  now = tonumber(t[1]) * 1000000 + tonumber(t[2])\n"
    "end\n"
    "local wait, tok, at = 0, {}, {}\n"
    "for i, key in ipairs(KEYS) do\n"
    "  local rate, burst = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])\n"
    "  local v = redis.call('HMGET', key, 't', 'ts')\n"
    "  local t, ts = tonumber(v[1]), tonumber(v[2])\n"
    "  if t == nil or ts == nil then t, ts = burst, now\n"
    "  elseif now > ts then t = t + (now - ts) / 1e6 * rate; ts = now end\n"
    "  if t > burst then t = burst end\n"
    "  tok[i], at[i] = t, ts\n"
    "  if t + 1e-9 < 1 then\n"
    "    local w = (1 - t) / rate\n"
    "    if w > wait then wait = w end\n"
    "  end\n"
    "end\n"
    "for i, key in ipairs(KEYS) do\n"
    "  local rate, burst = tonumber(ARGV[2 * i]), tonumber(ARGV[2 * i + 1])\n"
    "  if wait == 0 then tok[i] = tok[i] - 1 end\n"
    "  redis.call('HSET', key, 't', string.format('%.17g', tok[i]), 'ts', string.format('%.17g', at[i]))\n"
    "  local ttl = math.ceil((burst - tok[i]) / rate * 1000) + 1000\n"
    "  if ARGV[1] ~= '' then ttl = 3600000 end\n"
    "  redis.call('PEXPIRE', key, ttl)\n"
    "end\n"
    "return string.format('%.17g', wait)\n";

static char bucket_sha[41];
static pthread_once_t sha_once = PTHREAD_ONCE_INIT;

static void compute_sha(void)
{
    unsigned char d[20];
    if (gnutls_hash_fast(GNUTLS_DIG_SHA1, bucket_script, sizeof(bucket_script) - 1, d) == 0)
        pcfmcp__hex(d, sizeof(d), bucket_sha);
}

/* "<prefix><a><b>" into a new string. */
static char *key2(pcfmcp__store *st, const char *a, const char *b)
{
    pcfmcp__buf k;
    pcfmcp__buf_init(&k);
    pcfmcp__buf_puts(&k, pcfmcp__store_key_prefix(st));
    pcfmcp__buf_puts(&k, a);
    pcfmcp__buf_puts(&k, b ? b : "");
    return pcfmcp__buf_steal(&k, NULL);
}

pcfmcp_error_t pcfmcp__store_ratelimit(pcfmcp__store *st, const char *identity, unsigned buckets,
                                       const double rate[3], const double burst[3],
                                       int64_t now_us, double *wait)
{
    if (!st)
        return PCFMCP_ERR_UNAVAILABLE;
    static const unsigned kinds[3] = { PCFMCP_RATELIMIT_IDENTITY, PCFMCP_RATELIMIT_GLOBAL,
                                       PCFMCP_RATELIMIT_WRITE };
    static const char *const names[3] = { "rl:id:", "rl:global", "rl:wr:" };
    pthread_once(&sha_once, compute_sha);
    char *keys[3] = { NULL, NULL, NULL };
    char nums[7][32];
    const char *argv[3 + 3 + 7];
    size_t lens[PCFMCP_ARRAY_LEN(argv)];
    int nkeys = 0;
    pcfmcp_error_t rc = PCFMCP_OK;
    for (int k = 0; k < 3; k++) {
        if (!(buckets & kinds[k]) || !(rate[k] > 0))
            continue;
        if (!(keys[nkeys] = key2(st, names[k], k == 1 ? NULL : identity))) {
            rc = PCFMCP_ERR_NOMEM;
            goto out;
        }
        snprintf(nums[1 + 2 * nkeys], sizeof(nums[0]), "%.17g", rate[k]);
        snprintf(nums[2 + 2 * nkeys], sizeof(nums[0]), "%.17g", burst[k] < 1 ? 1 : burst[k]);
        nkeys++;
    }
    if (!nkeys)
        goto out;
    if (now_us >= 0)
        snprintf(nums[0], sizeof(nums[0]), "%lld", (long long)now_us);
    else
        nums[0][0] = '\0';
    char nk[12];
    snprintf(nk, sizeof(nk), "%d", nkeys);
    int argc = 0;
    argv[argc++] = "EVALSHA";
    argv[argc++] = bucket_sha;
    argv[argc++] = nk;
    for (int i = 0; i < nkeys; i++)
        argv[argc++] = keys[i];
    for (int i = 0; i < 1 + 2 * nkeys; i++)
        argv[argc++] = nums[i];
    for (int i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    redisReply *r = NULL;
    if ((rc = pcfmcp__store_exec(st, "ratelimit", argc, argv, lens, &r)) != PCFMCP_OK)
        goto out;
    if (r->type == REDIS_REPLY_ERROR && strncmp(r->str, "NOSCRIPT", 8) == 0) {
        /* A restarted (or flushed) store forgot the script: EVAL loads it. */
        freeReplyObject(r);
        r = NULL;
        argv[0] = "EVAL";
        argv[1] = bucket_script;
        lens[0] = 4;
        lens[1] = sizeof(bucket_script) - 1;
        if ((rc = pcfmcp__store_exec(st, "ratelimit", argc, argv, lens, &r)) != PCFMCP_OK)
            goto out;
    }
    if (r->type != REDIS_REPLY_STRING) {
        rc = PCFMCP_ERR_BAD_RESPONSE;
    } else {
        char *end = NULL;
        double w = strtod(r->str, &end);
        if (end == r->str || *end || !(w >= 0)) {
            rc = PCFMCP_ERR_BAD_RESPONSE;
        } else if (w > 0) {
            if (wait)
                *wait = w;
            rc = PCFMCP_ERR_RATE_LIMITED;
        }
    }
    freeReplyObject(r);
out:
    for (int i = 0; i < 3; i++)
        pcfmcp__free(keys[i]);
    return rc;
}

static char *gen_field(const char *tag, bool all)
{
    if (all)
        return pcfmcp__strdup("*");
    if (!tag || !*tag)
        return pcfmcp__strdup("-");
    size_t n = strlen(tag) + 3;
    char *f = pcfmcp__malloc(n);
    if (f)
        snprintf(f, n, "p:%s", tag);
    return f;
}

static bool int_of(const redisReply *r, long long *v)
{
    if (r->type == REDIS_REPLY_NIL) {
        *v = 0;
        return true;
    }
    if (r->type == REDIS_REPLY_INTEGER) {
        *v = r->integer;
        return true;
    }
    if (r->type != REDIS_REPLY_STRING)
        return false;
    char *end = NULL;
    *v = strtoll(r->str, &end, 10);
    return end != r->str && !*end;
}

pcfmcp_error_t pcfmcp__store_gen_read(pcfmcp__store *st, const char *tag, pcfmcp__store_gen *out)
{
    if (!st)
        return PCFMCP_ERR_UNAVAILABLE;
    /* Read the epoch first: if the store goes down and comes back while
     * this runs, the stamp is already old and nothing stale can match it. */
    uint64_t epoch = pcfmcp__store_epoch(st);
    char *key = key2(st, "gen", NULL), *field = gen_field(tag, false);
    pcfmcp_error_t rc = PCFMCP_ERR_NOMEM;
    if (key && field) {
        const char *argv[4] = { "HMGET", key, "*", field };
        size_t lens[4] = { 5, strlen(key), 1, strlen(field) };
        redisReply *r = NULL;
        if ((rc = pcfmcp__store_exec(st, "cache", 4, argv, lens, &r)) == PCFMCP_OK) {
            if (r->type == REDIS_REPLY_ARRAY && r->elements == 2 &&
                int_of(r->element[0], &out->all) && int_of(r->element[1], &out->scope))
                out->epoch = epoch;
            else
                rc = PCFMCP_ERR_BAD_RESPONSE;
            freeReplyObject(r);
        }
    }
    pcfmcp__free(key);
    pcfmcp__free(field);
    return rc;
}

pcfmcp_error_t pcfmcp__store_gen_bump(pcfmcp__store *st, const char *tag)
{
    if (!st)
        return PCFMCP_ERR_UNAVAILABLE;
    char *key = key2(st, "gen", NULL), *field = gen_field(tag, tag == NULL);
    pcfmcp_error_t rc = PCFMCP_ERR_NOMEM;
    if (key && field) {
        const char *argv[4] = { "HINCRBY", key, field, "1" };
        size_t lens[4] = { 7, strlen(key), strlen(field), 1 };
        redisReply *r = NULL;
        if ((rc = pcfmcp__store_exec(st, "invalidate", 4, argv, lens, &r)) == PCFMCP_OK) {
            if (r->type != REDIS_REPLY_INTEGER)
                rc = PCFMCP_ERR_BAD_RESPONSE;
            freeReplyObject(r);
        }
    }
    pcfmcp__free(key);
    pcfmcp__free(field);
    return rc;
}

int pcfmcp__store_replica_alive(pcfmcp__store *st, const char *tag, char *name, size_t n)
{
    if (name && n)
        name[0] = '\0';
    if (!st)
        return PCFMCP_ERR_UNAVAILABLE;
    if (!tag || !*tag || strcmp(tag, pcfmcp__store_replica_tag(st)) == 0)
        return 0;
    for (const char *p = tag; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '_'))
            return 0; /* not a tag we would have made */
    char *key = key2(st, "replica:", tag);
    if (!key)
        return PCFMCP_ERR_NOMEM;
    const char *argv[2] = { "GET", key };
    size_t lens[2] = { 3, strlen(key) };
    redisReply *r = NULL;
    pcfmcp_error_t rc = pcfmcp__store_exec(st, "session", 2, argv, lens, &r);
    pcfmcp__free(key);
    if (rc != PCFMCP_OK)
        return rc;
    int alive = 0;
    if (r->type == REDIS_REPLY_STRING) {
        alive = 1;
        if (name && n)
            snprintf(name, n, "%.*s", (int)(r->len < 255 ? r->len : 255), r->str);
    } else if (r->type != REDIS_REPLY_NIL) {
        alive = PCFMCP_ERR_BAD_RESPONSE;
    }
    freeReplyObject(r);
    return alive;
}

#else /* !HAVE_HIREDIS: no store can exist, so nothing here is reached with one */

pcfmcp_error_t pcfmcp__store_ratelimit(pcfmcp__store *st, const char *identity, unsigned buckets,
                                       const double rate[3], const double burst[3],
                                       int64_t now_us, double *wait)
{
    (void)st;
    (void)identity;
    (void)buckets;
    (void)rate;
    (void)burst;
    (void)now_us;
    (void)wait;
    return PCFMCP_ERR_UNAVAILABLE;
}

pcfmcp_error_t pcfmcp__store_gen_read(pcfmcp__store *st, const char *tag, pcfmcp__store_gen *out)
{
    (void)st;
    (void)tag;
    (void)out;
    return PCFMCP_ERR_UNAVAILABLE;
}

pcfmcp_error_t pcfmcp__store_gen_bump(pcfmcp__store *st, const char *tag)
{
    (void)st;
    (void)tag;
    return PCFMCP_ERR_UNAVAILABLE;
}

int pcfmcp__store_replica_alive(pcfmcp__store *st, const char *tag, char *name, size_t n)
{
    (void)st;
    (void)tag;
    if (name && n)
        name[0] = '\0';
    return PCFMCP_ERR_UNAVAILABLE;
}

#endif
