/* Token buckets, a concurrency gate and the trusted-proxy rule.
 *
 * The identity table is split into shards, each with its own lock, hash
 * chains and LRU list, so callers with different identities rarely contend;
 * the global bucket has its own small lock. Rates are atomics so a reload
 * can change them while requests are being admitted.
 *
 * With a shared store attached, the buckets live there (the same
 * arithmetic, in a Lua script) so that every replica draws from one set;
 * whenever the store cannot decide, the local buckets below do, and each
 * replica then enforces the limits on its own. */
#include "core/internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pcfmcp/sys/ratelimit.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/util.h"
#include "hardening/store.h"
#include "hardening/sys_abi.h"

PCFMCP__SYS_RATELIMIT(PCFMCP__SYS_ABI)

#define NSHARDS 16
#define NCHAINS 64 /* per shard */
#define MAX_KEY 256
#define DEFAULT_MAX_IDENTITIES 10000
#define MIN_MAX_IDENTITIES 16

typedef struct {
    double tokens;
    uint64_t last_ns;
} bucket;

typedef struct entry {
    char *key;
    bucket id, wr;
    struct entry *chain;           /* hash chain */
    struct entry *lru_prev, *lru_next; /* most recent at head */
} entry;

typedef struct {
    pthread_mutex_t lock;
    entry *chains[NCHAINS];
    entry *lru_head, *lru_tail;
    size_t count;
} shard;

struct pcfmcp_ratelimit {
    _Atomic uint64_t rate[3], burst[3]; /* double bits: identity, global, write */
    atomic_size_t max_identities;
    pcfmcp_clock_cb clock;
    void *clock_ud;
    shard shards[NSHARDS];
    pthread_mutex_t global_lock;
    bucket global;
    pcfmcp__store *_Atomic store;
};

enum { K_ID = 0, K_GLOBAL = 1, K_WRITE = 2 };

static uint64_t system_clock(void *ud)
{
    (void)ud;
    return pcfmcp__now_ns();
}

PCFMCP_API pcfmcp_error_t pcfmcp_ratelimit_new(pcfmcp_ratelimit_t **out)
{
    if (!out)
        return PCFMCP_ERR_INVALID_ARG;
    pcfmcp_ratelimit_t *rl = pcfmcp__calloc(1, sizeof(*rl));
    if (!rl)
        return PCFMCP_ERR_NOMEM;
    for (int k = 0; k < 3; k++) {
        atomic_init(&rl->rate[k], pcfmcp__dbits(0));
        atomic_init(&rl->burst[k], pcfmcp__dbits(1));
    }
    atomic_init(&rl->max_identities, DEFAULT_MAX_IDENTITIES);
    atomic_init(&rl->store, NULL);
    rl->clock = system_clock;
    for (int i = 0; i < NSHARDS; i++)
        pthread_mutex_init(&rl->shards[i].lock, NULL);
    pthread_mutex_init(&rl->global_lock, NULL);
    rl->global.last_ns = 0;
    rl->global.tokens = -1; /* filled on first use */
    *out = rl;
    return PCFMCP_OK;
}

PCFMCP_API void pcfmcp_ratelimit_free(pcfmcp_ratelimit_t *rl)
{
    if (!rl)
        return;
    for (int i = 0; i < NSHARDS; i++) {
        entry *e = rl->shards[i].lru_head;
        while (e) {
            entry *n = e->lru_next;
            pcfmcp__free(e->key);
            pcfmcp__free(e);
            e = n;
        }
        pthread_mutex_destroy(&rl->shards[i].lock);
    }
    pthread_mutex_destroy(&rl->global_lock);
    pcfmcp__free(rl);
}

struct pcfmcp_ratelimit_settings {
    double rate[3], burst[3]; /* K_ID, K_GLOBAL, K_WRITE */
};

PCFMCP_API pcfmcp_error_t pcfmcp_ratelimit_settings_new(pcfmcp_ratelimit_settings_t **out)
{
    if (!out)
        return PCFMCP_ERR_INVALID_ARG;
    pcfmcp_ratelimit_settings_t *st = pcfmcp__calloc(1, sizeof(*st));
    if (!st)
        return PCFMCP_ERR_NOMEM;
    for (int k = 0; k < 3; k++)
        st->burst[k] = 1;
    *out = st;
    return PCFMCP_OK;
}

PCFMCP_API void pcfmcp_ratelimit_settings_free(pcfmcp_ratelimit_settings_t *st)
{
    pcfmcp__free(st);
}

/* The slot of one PCFMCP_RATELIMIT_* flag, or -1. */
static int kind_of(unsigned which)
{
    return which == PCFMCP_RATELIMIT_IDENTITY ? K_ID
           : which == PCFMCP_RATELIMIT_GLOBAL ? K_GLOBAL
           : which == PCFMCP_RATELIMIT_WRITE  ? K_WRITE
                                               : -1;
}

/* Validates and stores one value of @p st (rate or burst). */
static pcfmcp_error_t settings_put(pcfmcp_ratelimit_settings_t *st, double *slots, unsigned which,
                                   double v, const char *what)
{
    if (!st)
        return PCFMCP_ERR_INVALID_ARG;
    int k = kind_of(which);
    if (k < 0)
        return pcfmcp__fail(st, PCFMCP_ERR_INVALID_ARG,
                            "rate limit: name one kind of bucket: PCFMCP_RATELIMIT_IDENTITY, "
                            "PCFMCP_RATELIMIT_GLOBAL or PCFMCP_RATELIMIT_WRITE");
    if (!isfinite(v) || v < 0)
        return pcfmcp__fail(st, PCFMCP_ERR_INVALID_ARG, "rate limit: the %s must be a finite %s",
                            what, slots == st->rate ? "number of tokens per second >= 0"
                                                    : "number of tokens >= 0");
    slots[k] = v;
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_ratelimit_settings_set_rate(pcfmcp_ratelimit_settings_t *st,
                                                             unsigned which,
                                                             double tokens_per_second)
{
    return settings_put(st, st ? st->rate : NULL, which, tokens_per_second, "rate");
}

PCFMCP_API pcfmcp_error_t pcfmcp_ratelimit_settings_set_burst(pcfmcp_ratelimit_settings_t *st,
                                                              unsigned which, double tokens)
{
    return settings_put(st, st ? st->burst : NULL, which, tokens, "burst");
}

PCFMCP_API pcfmcp_error_t pcfmcp_ratelimit_apply(pcfmcp_ratelimit_t *rl,
                                                 const pcfmcp_ratelimit_settings_t *st)
{
    if (!rl || !st)
        return PCFMCP_ERR_INVALID_ARG;
    for (int k = 0; k < 3; k++) {
        atomic_store(&rl->burst[k], pcfmcp__dbits(st->burst[k] < 1 ? 1 : st->burst[k]));
        atomic_store(&rl->rate[k], pcfmcp__dbits(st->rate[k]));
    }
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_ratelimit_configure(pcfmcp_ratelimit_t *rl, double id_rate,
                                                     double id_burst, double g_rate,
                                                     double g_burst, double w_rate,
                                                     double w_burst)
{
    if (!rl)
        return PCFMCP_ERR_INVALID_ARG;
    /* The settings on the stack: this old entry point cannot run out of memory. */
    pcfmcp_ratelimit_settings_t st = { { id_rate, g_rate, w_rate }, { id_burst, g_burst, w_burst } };
    for (int k = 0; k < 3; k++)
        if (!isfinite(st.rate[k]) || st.rate[k] < 0 || !isfinite(st.burst[k]) || st.burst[k] < 0)
            return PCFMCP_ERR_INVALID_ARG;
    return pcfmcp_ratelimit_apply(rl, &st);
}

PCFMCP_API pcfmcp_error_t pcfmcp_ratelimit_set_max_identities(pcfmcp_ratelimit_t *rl, size_t max)
{
    if (!rl || max < MIN_MAX_IDENTITIES)
        return PCFMCP_ERR_INVALID_ARG;
    atomic_store(&rl->max_identities, max);
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_ratelimit_set_clock(pcfmcp_ratelimit_t *rl, pcfmcp_clock_cb cb,
                                                     void *ud)
{
    if (!rl)
        return PCFMCP_ERR_INVALID_ARG;
    rl->clock = cb ? cb : system_clock;
    rl->clock_ud = cb ? ud : NULL;
    return PCFMCP_OK;
}

void pcfmcp__ratelimit_set_store(pcfmcp_ratelimit_t *rl, pcfmcp__store *st)
{
    if (rl)
        atomic_store(&rl->store, st);
}

/* Adds what accrued since the bucket was last seen, up to the burst. A
 * fresh bucket (last_ns 0 and tokens < 0) starts full. */
static void refill(bucket *b, double rate, double burst, uint64_t now)
{
    if (b->tokens < 0 && b->last_ns == 0) {
        b->tokens = burst;
    } else if (now > b->last_ns) {
        b->tokens += (double)(now - b->last_ns) / 1e9 * rate;
    }
    if (b->tokens > burst)
        b->tokens = burst;
    b->last_ns = now;
}

/* Refills accumulate in small steps; a bucket within EPS of a whole token
 * counts as having it, so rounding never costs a request. */
#define EPS 1e-9

static bool has_token(const bucket *b)
{
    return b->tokens + EPS >= 1.0;
}

static double wait_for(const bucket *b, double rate)
{
    double need = 1.0 - b->tokens;
    return need <= 0 ? 0 : need / rate;
}

static uint64_t hash(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

static void lru_unlink(shard *sh, entry *e)
{
    if (e->lru_prev)
        e->lru_prev->lru_next = e->lru_next;
    else
        sh->lru_head = e->lru_next;
    if (e->lru_next)
        e->lru_next->lru_prev = e->lru_prev;
    else
        sh->lru_tail = e->lru_prev;
    e->lru_prev = e->lru_next = NULL;
}

static void lru_push(shard *sh, entry *e)
{
    e->lru_next = sh->lru_head;
    e->lru_prev = NULL;
    if (sh->lru_head)
        sh->lru_head->lru_prev = e;
    sh->lru_head = e;
    if (!sh->lru_tail)
        sh->lru_tail = e;
}

static void evict_oldest(shard *sh)
{
    entry *victim = sh->lru_tail;
    if (!victim)
        return;
    lru_unlink(sh, victim);
    size_t c = (size_t)(hash(victim->key) / NSHARDS % NCHAINS);
    for (entry **pp = &sh->chains[c]; *pp; pp = &(*pp)->chain)
        if (*pp == victim) {
            *pp = victim->chain;
            break;
        }
    pcfmcp__free(victim->key);
    pcfmcp__free(victim);
    sh->count--;
}

/* Finds or creates the entry; caller holds sh->lock. */
static entry *find_entry(pcfmcp_ratelimit_t *rl, shard *sh, const char *key, uint64_t h)
{
    size_t c = (size_t)(h / NSHARDS % NCHAINS);
    for (entry *e = sh->chains[c]; e; e = e->chain)
        if (strcmp(e->key, key) == 0) {
            lru_unlink(sh, e);
            lru_push(sh, e);
            return e;
        }
    size_t per_shard = (atomic_load(&rl->max_identities) + NSHARDS - 1) / NSHARDS;
    while (sh->count >= per_shard && sh->lru_tail)
        evict_oldest(sh);
    entry *e = pcfmcp__calloc(1, sizeof(*e));
    if (!e)
        return NULL;
    if (!(e->key = pcfmcp__strdup(key))) {
        pcfmcp__free(e);
        return NULL;
    }
    e->id.tokens = -1;
    e->wr.tokens = -1;
    e->chain = sh->chains[c];
    sh->chains[c] = e;
    lru_push(sh, e);
    sh->count++;
    return e;
}

PCFMCP_API pcfmcp_error_t pcfmcp_ratelimit_take(pcfmcp_ratelimit_t *rl, const char *identity,
                                                unsigned buckets, double *retry_after)
{
    if (!rl)
        return PCFMCP_ERR_INVALID_ARG;
    double rate[3], burst[3];
    for (int k = 0; k < 3; k++) {
        rate[k] = pcfmcp__bitsd(atomic_load_explicit(&rl->rate[k], memory_order_relaxed));
        burst[k] = pcfmcp__bitsd(atomic_load_explicit(&rl->burst[k], memory_order_relaxed));
    }
    bool use_id = (buckets & PCFMCP_RATELIMIT_IDENTITY) && rate[K_ID] > 0;
    bool use_wr = (buckets & PCFMCP_RATELIMIT_WRITE) && rate[K_WRITE] > 0;
    bool use_g = (buckets & PCFMCP_RATELIMIT_GLOBAL) && rate[K_GLOBAL] > 0;
    if (!use_id && !use_wr && !use_g)
        return PCFMCP_OK;

    char key[MAX_KEY + 1];
    snprintf(key, sizeof(key), "%s", identity && *identity ? identity : "anonymous");
    pcfmcp__store *st = atomic_load(&rl->store);
    if (st) {
        /* The store's clock serves every replica; an injected one (tests)
         * is passed along so both sides count the same seconds. */
        int64_t now_us = rl->clock == system_clock ? -1 : (int64_t)(rl->clock(rl->clock_ud) / 1000);
        unsigned b = (use_id ? PCFMCP_RATELIMIT_IDENTITY : 0u) |
                     (use_g ? PCFMCP_RATELIMIT_GLOBAL : 0u) | (use_wr ? PCFMCP_RATELIMIT_WRITE : 0u);
        double w = 0;
        pcfmcp_error_t rc = pcfmcp__store_ratelimit(st, key, b, rate, burst, now_us, &w);
        if (rc == PCFMCP_OK)
            return PCFMCP_OK;
        if (rc == PCFMCP_ERR_RATE_LIMITED) {
            if (retry_after)
                *retry_after = w;
            return rc;
        }
    }
    uint64_t now = rl->clock(rl->clock_ud);
    shard *sh = NULL;
    entry *e = NULL;
    if (use_id || use_wr) {
        uint64_t h = hash(key);
        sh = &rl->shards[h % NSHARDS];
        pthread_mutex_lock(&sh->lock);
        e = find_entry(rl, sh, key, h);
        if (!e) {
            pthread_mutex_unlock(&sh->lock);
            return PCFMCP_ERR_NOMEM;
        }
    }
    double wait = 0;
    if (e && use_id) {
        refill(&e->id, rate[K_ID], burst[K_ID], now);
        if (!has_token(&e->id))
            wait = fmax(wait, wait_for(&e->id, rate[K_ID]));
    }
    if (e && use_wr) {
        refill(&e->wr, rate[K_WRITE], burst[K_WRITE], now);
        if (!has_token(&e->wr))
            wait = fmax(wait, wait_for(&e->wr, rate[K_WRITE]));
    }
    if (use_g) {
        pthread_mutex_lock(&rl->global_lock);
        refill(&rl->global, rate[K_GLOBAL], burst[K_GLOBAL], now);
        if (!has_token(&rl->global))
            wait = fmax(wait, wait_for(&rl->global, rate[K_GLOBAL]));
        else if (wait == 0)
            rl->global.tokens -= 1;
        pthread_mutex_unlock(&rl->global_lock);
    }
    if (wait == 0 && e) {
        if (use_id)
            e->id.tokens -= 1;
        if (use_wr)
            e->wr.tokens -= 1;
    }
    if (sh)
        pthread_mutex_unlock(&sh->lock);
    if (wait > 0) {
        if (retry_after)
            *retry_after = wait;
        return PCFMCP_ERR_RATE_LIMITED;
    }
    return PCFMCP_OK;
}

PCFMCP_API size_t pcfmcp_ratelimit_identities(pcfmcp_ratelimit_t *rl)
{
    if (!rl)
        return 0;
    size_t n = 0;
    for (int i = 0; i < NSHARDS; i++) {
        pthread_mutex_lock(&rl->shards[i].lock);
        n += rl->shards[i].count;
        pthread_mutex_unlock(&rl->shards[i].lock);
    }
    return n;
}

/* ------------------------------------------------------------------ gate */

struct pcfmcp_gate {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    unsigned limit;
    unsigned in_use;
    unsigned waiting;
};

PCFMCP_API pcfmcp_error_t pcfmcp_gate_new(pcfmcp_gate_t **out, unsigned limit)
{
    if (!out)
        return PCFMCP_ERR_INVALID_ARG;
    pcfmcp_gate_t *g = pcfmcp__calloc(1, sizeof(*g));
    if (!g)
        return PCFMCP_ERR_NOMEM;
    pthread_mutex_init(&g->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&g->cond, &ca);
    pthread_condattr_destroy(&ca);
    g->limit = limit;
    *out = g;
    return PCFMCP_OK;
}

PCFMCP_API void pcfmcp_gate_free(pcfmcp_gate_t *g)
{
    if (!g)
        return;
    pthread_mutex_destroy(&g->lock);
    pthread_cond_destroy(&g->cond);
    pcfmcp__free(g);
}

PCFMCP_API pcfmcp_error_t pcfmcp_gate_set_limit(pcfmcp_gate_t *g, unsigned limit)
{
    if (!g)
        return PCFMCP_ERR_INVALID_ARG;
    pthread_mutex_lock(&g->lock);
    g->limit = limit;
    pthread_cond_broadcast(&g->cond);
    pthread_mutex_unlock(&g->lock);
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_gate_enter(pcfmcp_gate_t *g, unsigned timeout_ms,
                                            const volatile int *cancel)
{
    if (!g)
        return PCFMCP_ERR_INVALID_ARG;
    uint64_t deadline = pcfmcp__now_ms() + timeout_ms;
    pcfmcp_error_t rc = PCFMCP_OK;
    pthread_mutex_lock(&g->lock);
    g->waiting++;
    while (g->limit && g->in_use >= g->limit) {
        if (cancel && *cancel) {
            rc = PCFMCP_ERR_CANCELLED;
            break;
        }
        uint64_t now = pcfmcp__now_ms();
        if (now >= deadline) {
            rc = PCFMCP_ERR_TIMEOUT;
            break;
        }
        uint64_t slice = deadline - now < 50 ? deadline - now : 50;
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        ts.tv_nsec += (long)(slice % 1000) * 1000000L;
        ts.tv_sec += (time_t)(slice / 1000) + ts.tv_nsec / 1000000000L;
        ts.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&g->cond, &g->lock, &ts);
    }
    g->waiting--;
    if (rc == PCFMCP_OK)
        g->in_use++;
    pthread_mutex_unlock(&g->lock);
    return rc;
}

PCFMCP_API void pcfmcp_gate_leave(pcfmcp_gate_t *g)
{
    if (!g)
        return;
    pthread_mutex_lock(&g->lock);
    if (g->in_use > 0)
        g->in_use--;
    pthread_cond_signal(&g->cond);
    pthread_mutex_unlock(&g->lock);
}

PCFMCP_API unsigned pcfmcp_gate_in_use(pcfmcp_gate_t *g)
{
    if (!g)
        return 0;
    pthread_mutex_lock(&g->lock);
    unsigned n = g->in_use;
    pthread_mutex_unlock(&g->lock);
    return n;
}

PCFMCP_API unsigned pcfmcp_gate_waiting(pcfmcp_gate_t *g)
{
    if (!g)
        return 0;
    pthread_mutex_lock(&g->lock);
    unsigned n = g->waiting;
    pthread_mutex_unlock(&g->lock);
    return n;
}

/* ------------------------------------------------------------------ proxies */

#define MAX_NETS 256

typedef struct {
    unsigned char addr[16]; /* IPv4 as IPv4-mapped IPv6 */
    unsigned prefix;        /* 0..128 over the 16 bytes */
} net;

struct pcfmcp_proxies {
    net nets[MAX_NETS];
    size_t n;
};

/* Parses an IP address into the 16-byte IPv4-mapped form. */
static bool parse_ip(const char *s, unsigned char out[16], bool *v4)
{
    struct in_addr a4;
    struct in6_addr a6;
    if (inet_pton(AF_INET, s, &a4) == 1) {
        memset(out, 0, 10);
        out[10] = out[11] = 0xff;
        memcpy(out + 12, &a4, 4);
        if (v4)
            *v4 = true;
        return true;
    }
    if (inet_pton(AF_INET6, s, &a6) == 1) {
        memcpy(out, &a6, 16);
        static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
        if (v4)
            *v4 = memcmp(out, mapped, 12) == 0;
        return true;
    }
    return false;
}

static void format_ip(const unsigned char a[16], char *out, size_t n)
{
    static const unsigned char mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
    if (memcmp(a, mapped, 12) == 0)
        inet_ntop(AF_INET, a + 12, out, (socklen_t)n);
    else
        inet_ntop(AF_INET6, a, out, (socklen_t)n);
}

static bool in_net(const net *nt, const unsigned char a[16])
{
    unsigned bits = nt->prefix;
    size_t full = bits / 8;
    if (memcmp(nt->addr, a, full) != 0)
        return false;
    if (bits % 8) {
        unsigned char mask = (unsigned char)(0xff << (8 - bits % 8));
        if ((nt->addr[full] & mask) != (a[full] & mask))
            return false;
    }
    return true;
}

static bool trusted(const pcfmcp_proxies_t *p, const unsigned char a[16])
{
    for (size_t i = 0; p && i < p->n; i++)
        if (in_net(&p->nets[i], a))
            return true;
    return false;
}

PCFMCP_API pcfmcp_error_t pcfmcp_proxies_new(pcfmcp_proxies_t **out, const char *cidrs)
{
    if (!out)
        return PCFMCP_ERR_INVALID_ARG;
    pcfmcp_proxies_t *p = pcfmcp__calloc(1, sizeof(*p));
    if (!p)
        return PCFMCP_ERR_NOMEM;
    *out = p;
    const char *s = cidrs ? cidrs : "";
    while (*s) {
        while (*s == ' ' || *s == '\t' || *s == ',')
            s++;
        if (!*s)
            break;
        const char *end = s;
        while (*end && *end != ',' && *end != ' ' && *end != '\t')
            end++;
        char item[80];
        size_t n = (size_t)(end - s);
        if (n >= sizeof(item)) {
            return pcfmcp__fail(p, PCFMCP_ERR_INVALID_ARG, "trusted proxy entry too long: %.40s...",
                                s);
        }
        memcpy(item, s, n);
        item[n] = '\0';
        s = end;
        if (p->n >= MAX_NETS) {
            return pcfmcp__fail(p, PCFMCP_ERR_INVALID_ARG, "more than %d trusted proxy entries",
                                MAX_NETS);
        }
        char *slash = strchr(item, '/');
        long prefix = -1;
        if (slash) {
            *slash = '\0';
            char *e2 = NULL;
            errno = 0;
            prefix = strtol(slash + 1, &e2, 10);
            if (errno || e2 == slash + 1 || *e2 || prefix < 0)
                prefix = 999;
        }
        net *nt = &p->nets[p->n];
        bool v4 = false;
        if (!parse_ip(item, nt->addr, &v4) || prefix > (v4 ? 32 : 128)) {
            if (slash)
                *slash = '/';
            return pcfmcp__fail(
                p, PCFMCP_ERR_INVALID_ARG,
                "\"%s\" is not an IP address or network (like 10.0.0.0/8 or fd00::/8)", item);
        }
        nt->prefix = prefix < 0 ? 128 : (unsigned)(v4 ? prefix + 96 : prefix);
        p->n++;
    }
    return PCFMCP_OK;
}

PCFMCP_API void pcfmcp_proxies_free(pcfmcp_proxies_t *p)
{
    pcfmcp__free(p);
}

PCFMCP_API const char *pcfmcp_proxies_errmsg(const pcfmcp_proxies_t *p)
{
    if (!p)
        return "no proxy list";
    return pcfmcp__errmsg(p);
}

/* One X-Forwarded-For element: an address, maybe with a port
 * ("1.2.3.4:5678", "[2001:db8::1]:443") or in brackets. */
static bool parse_hop(const char *s, size_t n, unsigned char out[16])
{
    char tmp[64];
    while (n && (*s == ' ' || *s == '\t')) {
        s++;
        n--;
    }
    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    if (n == 0 || n >= sizeof(tmp))
        return false;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    char *a = tmp;
    if (*a == '[') {
        char *close = strchr(a, ']');
        if (!close)
            return false;
        *close = '\0';
        a++;
    } else {
        char *colon = strchr(a, ':');
        if (colon && !strchr(colon + 1, ':'))
            *colon = '\0'; /* IPv4 with a port */
    }
    return parse_ip(a, out, NULL);
}

PCFMCP_API pcfmcp_error_t pcfmcp_proxies_client_address(const pcfmcp_proxies_t *p,
                                                        const char *peer, const char *xff,
                                                        char *out, size_t out_size)
{
    unsigned char addr[16];
    if (!peer || !out || out_size < 46 || !parse_ip(peer, addr, NULL))
        return PCFMCP_ERR_INVALID_ARG;
    if (xff && trusted(p, addr)) {
        size_t len = strlen(xff);
        size_t end = len;
        /* Walk the comma-separated hops from the right. */
        for (;;) {
            size_t start = end;
            while (start > 0 && xff[start - 1] != ',')
                start--;
            unsigned char hop[16];
            if (!parse_hop(xff + start, end - start, hop))
                break; /* garbage: stop at the proxy that passed it on */
            memcpy(addr, hop, 16);
            if (!trusted(p, hop) || start == 0)
                break;
            end = start - 1;
        }
    }
    format_ip(addr, out, out_size);
    return PCFMCP_OK;
}
