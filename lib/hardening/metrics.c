/* Prometheus metrics registry. Observations never take a lock once their
 * series exists: series live in a fixed-size open-addressing table whose
 * slots are published with atomic stores, and values are atomics (doubles
 * kept as their bit patterns and updated with compare-and-swap). */
#include "core/internal.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include <pcfmcp/sys/metrics.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/util.h"
#include "hardening/sys_abi.h"

PCFMCP__SYS_METRICS(PCFMCP__SYS_ABI)

#define MAX_LABELS 8
#define MAX_VALUE_LEN 128
#define MAX_BOUNDS 64
#define MAX_COLLECTORS 32
#define MAX_SERIES_LIMIT 65536
#define OTHER "other"
#define SEP '\x1f'

static const double default_bounds[] = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25,
                                          0.5,   1,    2.5,   5,    10 };

typedef struct series {
    char *key;                 /* label values joined by SEP */
    const char *vals[MAX_LABELS]; /* into key_copy */
    char *key_copy;
    _Atomic uint64_t value;    /* double bits: counter, gauge */
    _Atomic uint64_t count;    /* histogram */
    _Atomic uint64_t sum;      /* double bits */
    _Atomic uint64_t *buckets; /* nbounds + 1, not cumulative */
} series;

typedef struct {
    size_t cap; /* power of two */
    _Atomic(series *) *slots;
} series_table;

struct pcfmcp_metric {
    pcfmcp_metrics_t *reg;
    pcfmcp_metric_type_t type;
    char *name;
    char *help;
    size_t nlabels;
    char *label_names[MAX_LABELS];
    char *allowed[MAX_LABELS]; /* "|a|b|c|" or NULL = any value */
    double *bounds;
    size_t nbounds;
    size_t max_series;
    pthread_mutex_t lock; /* series insertion */
    _Atomic(series_table *) table;
    size_t nseries;       /* under lock */
    atomic_bool used;
};

struct pcfmcp_metrics {
    pthread_mutex_t lock; /* families and collectors */
    pthread_mutex_t render_lock;
    pcfmcp_metric_t **fams;
    size_t nfams;
    pcfmcp_metrics_collect_cb collectors[MAX_COLLECTORS];
    void *collector_ud[MAX_COLLECTORS];
    bool collector_owned[MAX_COLLECTORS]; /* ud freed with the registry */
    size_t ncollectors;
};

static void atomic_add_double(_Atomic uint64_t *p, double delta)
{
    uint64_t old = atomic_load_explicit(p, memory_order_relaxed);
    uint64_t nw;
    do {
        nw = pcfmcp__dbits(pcfmcp__bitsd(old) + delta);
    } while (!atomic_compare_exchange_weak_explicit(p, &old, nw, memory_order_relaxed,
                                                    memory_order_relaxed));
}

/* ------------------------------------------------------------ registry */

PCFMCP_API pcfmcp_error_t pcfmcp_metrics_new(pcfmcp_metrics_t **out)
{
    if (!out)
        return PCFMCP_ERR_INVALID_ARG;
    pcfmcp_metrics_t *m = pcfmcp__calloc(1, sizeof(*m));
    if (!m)
        return PCFMCP_ERR_NOMEM;
    pthread_mutex_init(&m->lock, NULL);
    pthread_mutex_init(&m->render_lock, NULL);
    *out = m;
    return PCFMCP_OK;
}

static void series_free(series *s)
{
    if (!s)
        return;
    pcfmcp__free(s->key);
    pcfmcp__free(s->key_copy);
    pcfmcp__free((void *)s->buckets);
    pcfmcp__free(s);
}

static void family_free(pcfmcp_metric_t *f)
{
    if (!f)
        return;
    series_table *t = atomic_load(&f->table);
    if (t) {
        for (size_t i = 0; i < t->cap; i++)
            series_free(atomic_load(&t->slots[i]));
        pcfmcp__free((void *)t->slots);
        pcfmcp__free(t);
    }
    for (size_t i = 0; i < MAX_LABELS; i++) {
        pcfmcp__free(f->label_names[i]);
        pcfmcp__free(f->allowed[i]);
    }
    pcfmcp__free(f->bounds);
    pcfmcp__free(f->name);
    pcfmcp__free(f->help);
    pthread_mutex_destroy(&f->lock);
    pcfmcp__free(f);
}

PCFMCP_API void pcfmcp_metrics_free(pcfmcp_metrics_t *m)
{
    if (!m)
        return;
    for (size_t i = 0; i < m->nfams; i++)
        family_free(m->fams[i]);
    for (size_t i = 0; i < m->ncollectors; i++)
        if (m->collector_owned[i])
            pcfmcp__free(m->collector_ud[i]);
    pcfmcp__free(m->fams);
    pthread_mutex_destroy(&m->lock);
    pthread_mutex_destroy(&m->render_lock);
    pcfmcp__free(m);
}

PCFMCP_API const char *pcfmcp_metrics_errmsg(const pcfmcp_metrics_t *m)
{
    if (!m)
        return "no metrics registry";
    return pcfmcp__errmsg(m);
}

static bool name_ok(const char *s, bool colon)
{
    if (!s || !*s || strlen(s) > 200)
        return false;
    for (const char *p = s; *p; p++) {
        char c = *p;
        bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
                     (colon && c == ':');
        if (!alpha && !(p != s && c >= '0' && c <= '9'))
            return false;
    }
    return true;
}

static pcfmcp_metric_t *find_locked(pcfmcp_metrics_t *m, const char *name)
{
    for (size_t i = 0; i < m->nfams; i++)
        if (strcmp(m->fams[i]->name, name) == 0)
            return m->fams[i];
    return NULL;
}

static pcfmcp_error_t parse_labels(pcfmcp_metrics_t *m, pcfmcp_metric_t *f, const char *labels)
{
    if (!labels)
        return PCFMCP_OK;
    const char *p = labels;
    while (*p) {
        const char *comma = strchr(p, ',');
        size_t n = comma ? (size_t)(comma - p) : strlen(p);
        if (f->nlabels >= MAX_LABELS) {
            return pcfmcp__fail(m, PCFMCP_ERR_INVALID_ARG, "%s: more than %d labels", f->name,
                                MAX_LABELS);
        }
        char *l = pcfmcp__strndup(p, n);
        if (!l)
            return PCFMCP_ERR_NOMEM;
        f->label_names[f->nlabels++] = l;
        if (!name_ok(l, false) || (l[0] == '_' && l[1] == '_') ||
            (f->type == PCFMCP_METRIC_HISTOGRAM && strcmp(l, "le") == 0)) {
            return pcfmcp__fail(m, PCFMCP_ERR_INVALID_ARG, "%s: invalid label name \"%s\"", f->name,
                                l);
        }
        for (size_t i = 0; i + 1 < f->nlabels; i++)
            if (strcmp(f->label_names[i], l) == 0) {
                return pcfmcp__fail(m, PCFMCP_ERR_INVALID_ARG, "%s: label \"%s\" given twice",
                                    f->name, l);
            }
        p += n;
        if (*p == ',')
            p++;
    }
    return PCFMCP_OK;
}

static pcfmcp_error_t add_family(pcfmcp_metrics_t *m, pcfmcp_metric_type_t type, const char *name,
                                 const char *help, const char *labels, const double *bounds,
                                 size_t nbounds, pcfmcp_metric_t **out)
{
    if (!m || !out || !help)
        return PCFMCP_ERR_INVALID_ARG;
    if (type != PCFMCP_METRIC_COUNTER && type != PCFMCP_METRIC_GAUGE &&
        type != PCFMCP_METRIC_HISTOGRAM) {
        return pcfmcp__fail(m, PCFMCP_ERR_INVALID_ARG, "unknown metric type %d", (int)type);
    }
    if (!name_ok(name, true)) {
        return pcfmcp__fail(m, PCFMCP_ERR_INVALID_ARG, "invalid metric name \"%.80s\"",
                            name ? name : "(null)");
    }
    pcfmcp_metric_t *f = pcfmcp__calloc(1, sizeof(*f));
    if (!f)
        return PCFMCP_ERR_NOMEM;
    pthread_mutex_init(&f->lock, NULL);
    f->reg = m;
    f->type = type;
    f->max_series = PCFMCP_METRICS_DEFAULT_MAX_SERIES;
    f->name = pcfmcp__strdup(name);
    f->help = pcfmcp__strdup(help);
    pcfmcp_error_t rc = f->name && f->help ? PCFMCP_OK : PCFMCP_ERR_NOMEM;
    if (rc == PCFMCP_OK)
        rc = parse_labels(m, f, labels);
    if (rc == PCFMCP_OK && type == PCFMCP_METRIC_HISTOGRAM) {
        if (!bounds || nbounds == 0) {
            bounds = default_bounds;
            nbounds = PCFMCP_ARRAY_LEN(default_bounds);
        }
        if (nbounds > MAX_BOUNDS) {
            rc = pcfmcp__fail(m, PCFMCP_ERR_INVALID_ARG, "%s: more than %d buckets", name,
                              MAX_BOUNDS);
        }
        for (size_t i = 0; rc == PCFMCP_OK && i < nbounds; i++)
            if (!isfinite(bounds[i]) || (i > 0 && bounds[i] <= bounds[i - 1])) {
                rc = pcfmcp__fail(m, PCFMCP_ERR_INVALID_ARG,
                                  "%s: bucket bounds must be finite and strictly increasing", name);
            }
        if (rc == PCFMCP_OK) {
            f->bounds = pcfmcp__memdup(bounds, nbounds * sizeof(double));
            f->nbounds = nbounds;
            if (!f->bounds)
                rc = PCFMCP_ERR_NOMEM;
        }
    }
    if (rc != PCFMCP_OK) {
        family_free(f);
        return rc;
    }
    pthread_mutex_lock(&m->lock);
    if (find_locked(m, name)) {
        rc = pcfmcp__fail(m, PCFMCP_ERR_STATE, "metric \"%s\" is already registered", name);
    } else {
        pcfmcp_metric_t **nf = pcfmcp__realloc(m->fams, (m->nfams + 1) * sizeof(*nf));
        if (!nf) {
            rc = PCFMCP_ERR_NOMEM;
        } else {
            m->fams = nf;
            m->fams[m->nfams++] = f;
        }
    }
    pthread_mutex_unlock(&m->lock);
    if (rc != PCFMCP_OK) {
        family_free(f);
        return rc;
    }
    *out = f;
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_metrics_add(pcfmcp_metrics_t *m, pcfmcp_metric_type_t type,
                                             const char *name, const char *help,
                                             const char *labels, pcfmcp_metric_t **out)
{
    if (type == PCFMCP_METRIC_HISTOGRAM) {
        return pcfmcp__fail(m, PCFMCP_ERR_INVALID_ARG,
                            "use pcfmcp_metrics_add_histogram() for histograms");
    }
    return add_family(m, type, name, help, labels, NULL, 0, out);
}

PCFMCP_API pcfmcp_error_t pcfmcp_metrics_add_histogram(pcfmcp_metrics_t *m, const char *name,
                                                       const char *help, const char *labels,
                                                       const double *bounds, size_t nbounds,
                                                       pcfmcp_metric_t **out)
{
    return add_family(m, PCFMCP_METRIC_HISTOGRAM, name, help, labels, bounds, nbounds, out);
}

PCFMCP_API pcfmcp_metric_t *pcfmcp_metrics_find(pcfmcp_metrics_t *m, const char *name)
{
    if (!m || !name)
        return NULL;
    pthread_mutex_lock(&m->lock);
    pcfmcp_metric_t *f = find_locked(m, name);
    pthread_mutex_unlock(&m->lock);
    return f;
}

PCFMCP_API pcfmcp_error_t pcfmcp_metric_allow(pcfmcp_metric_t *f, const char *label,
                                              const char *values)
{
    if (!f || !label || !values || atomic_load(&f->used))
        return f && atomic_load(&f->used) ? PCFMCP_ERR_STATE : PCFMCP_ERR_INVALID_ARG;
    for (size_t i = 0; i < f->nlabels; i++) {
        if (strcmp(f->label_names[i], label) != 0)
            continue;
        size_t n = strlen(values);
        char *a = pcfmcp__malloc(n + 3);
        if (!a)
            return PCFMCP_ERR_NOMEM;
        a[0] = '|';
        memcpy(a + 1, values, n);
        a[n + 1] = '|';
        a[n + 2] = '\0';
        pcfmcp__free(f->allowed[i]);
        f->allowed[i] = a;
        return PCFMCP_OK;
    }
    return PCFMCP_ERR_NOT_FOUND;
}

PCFMCP_API pcfmcp_error_t pcfmcp_metric_set_max_series(pcfmcp_metric_t *f, size_t max_series)
{
    if (!f || max_series < 1 || max_series > MAX_SERIES_LIMIT)
        return PCFMCP_ERR_INVALID_ARG;
    if (atomic_load(&f->used))
        return PCFMCP_ERR_STATE;
    f->max_series = max_series;
    return PCFMCP_OK;
}

static pcfmcp_error_t add_collector(pcfmcp_metrics_t *m, pcfmcp_metrics_collect_cb cb, void *ud,
                                    bool owned)
{
    if (!m || !cb)
        return PCFMCP_ERR_INVALID_ARG;
    pthread_mutex_lock(&m->lock);
    pcfmcp_error_t rc = PCFMCP_ERR_LIMIT;
    if (m->ncollectors < MAX_COLLECTORS) {
        m->collectors[m->ncollectors] = cb;
        m->collector_owned[m->ncollectors] = owned;
        m->collector_ud[m->ncollectors++] = ud;
        rc = PCFMCP_OK;
    }
    pthread_mutex_unlock(&m->lock);
    return rc;
}

PCFMCP_API pcfmcp_error_t pcfmcp_metrics_add_collector(pcfmcp_metrics_t *m,
                                                       pcfmcp_metrics_collect_cb cb, void *ud)
{
    return add_collector(m, cb, ud, false);
}

/* ------------------------------------------------------------ series */

static uint64_t fnv1a(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 1099511628211ULL;
    }
    return h;
}

static bool allowed(const char *set, const char *v, size_t n)
{
    if (memchr(v, '|', n))
        return false;
    for (const char *p = set; (p = strstr(p, v)) != NULL; p++)
        if (p[-1] == '|' && p[n] == '|')
            return true;
    return false;
}

/* Joins the sanitised label values into key (cap bytes). */
static size_t build_key(const pcfmcp_metric_t *f, const char *const *values, bool overflow,
                        char *key, size_t cap)
{
    size_t k = 0;
    for (size_t i = 0; i < f->nlabels; i++) {
        const char *v = values && !overflow ? values[i] : NULL;
        size_t n = v ? strlen(v) : 0;
        if (!v || n > MAX_VALUE_LEN || memchr(v, SEP, n) || !pcfmcp__utf8_valid(v, n, NULL) ||
            (f->allowed[i] && (n == 0 || !allowed(f->allowed[i], v, n)))) {
            v = OTHER;
            n = strlen(OTHER);
        }
        if (i > 0)
            key[k++] = SEP;
        if (k + n + 2 > cap)
            break;
        memcpy(key + k, v, n);
        k += n;
    }
    key[k] = '\0';
    return k;
}

static series_table *get_table(pcfmcp_metric_t *f)
{
    series_table *t = atomic_load_explicit(&f->table, memory_order_acquire);
    if (t)
        return t;
    pthread_mutex_lock(&f->lock);
    t = atomic_load(&f->table);
    if (!t) {
        size_t cap = 4;
        while (cap < 2 * (f->max_series + 1))
            cap <<= 1;
        t = pcfmcp__calloc(1, sizeof(*t));
        if (t) {
            t->cap = cap;
            t->slots = pcfmcp__calloc(cap, sizeof(*t->slots));
            if (!t->slots) {
                pcfmcp__free(t);
                t = NULL;
            }
        }
        if (t) {
            atomic_store(&f->used, true);
            atomic_store_explicit(&f->table, t, memory_order_release);
        }
    }
    pthread_mutex_unlock(&f->lock);
    return t;
}

static series *probe(series_table *t, const char *key, size_t klen, uint64_t h, size_t *free_slot)
{
    size_t mask = t->cap - 1;
    for (size_t i = 0; i < t->cap; i++) {
        size_t idx = (size_t)(h + i) & mask;
        series *s = atomic_load_explicit(&t->slots[idx], memory_order_acquire);
        if (!s) {
            if (free_slot)
                *free_slot = idx;
            return NULL;
        }
        if (strlen(s->key) == klen && memcmp(s->key, key, klen) == 0)
            return s;
    }
    if (free_slot)
        *free_slot = SIZE_MAX;
    return NULL;
}

static series *new_series(const pcfmcp_metric_t *f, const char *key, size_t klen)
{
    series *s = pcfmcp__calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    s->key = pcfmcp__strndup(key, klen);
    s->key_copy = pcfmcp__strndup(key, klen);
    if (f->type == PCFMCP_METRIC_HISTOGRAM)
        s->buckets = pcfmcp__calloc(f->nbounds + 1, sizeof(*s->buckets));
    if (!s->key || !s->key_copy || (f->type == PCFMCP_METRIC_HISTOGRAM && !s->buckets)) {
        series_free(s);
        return NULL;
    }
    char *p = s->key_copy;
    for (size_t i = 0; i < f->nlabels; i++) {
        s->vals[i] = p;
        char *sep = strchr(p, SEP);
        if (sep) {
            *sep = '\0';
            p = sep + 1;
        } else {
            p += strlen(p);
        }
    }
    return s;
}

static series *lookup(pcfmcp_metric_t *f, const char *const *values, bool create)
{
    series_table *t = get_table(f);
    if (!t)
        return NULL;
    char key[MAX_LABELS * (MAX_VALUE_LEN + 1) + 2];
    size_t klen = build_key(f, values, false, key, sizeof(key));
    uint64_t h = fnv1a(key, klen);
    series *s = probe(t, key, klen, h, NULL);
    if (s || !create)
        return s;
    pthread_mutex_lock(&f->lock);
    size_t slot = SIZE_MAX;
    s = probe(t, key, klen, h, &slot);
    if (!s && f->nseries >= f->max_series) {
        /* Full: everything new goes to the all-"other" series, which has a
         * slot of its own reserved beyond max_series. */
        klen = build_key(f, NULL, true, key, sizeof(key));
        h = fnv1a(key, klen);
        s = probe(t, key, klen, h, &slot);
    }
    if (!s && slot != SIZE_MAX && (s = new_series(f, key, klen)) != NULL) {
        atomic_store_explicit(&t->slots[slot], s, memory_order_release);
        f->nseries++;
    }
    pthread_mutex_unlock(&f->lock);
    return s;
}

PCFMCP_API pcfmcp_error_t pcfmcp_metric_add(pcfmcp_metric_t *f, const char *const *values,
                                            double delta)
{
    if (!f || f->type == PCFMCP_METRIC_HISTOGRAM || isnan(delta) ||
        (f->type == PCFMCP_METRIC_COUNTER && delta < 0))
        return PCFMCP_ERR_INVALID_ARG;
    series *s = lookup(f, values, true);
    if (!s)
        return PCFMCP_ERR_NOMEM;
    atomic_add_double(&s->value, delta);
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_metric_set(pcfmcp_metric_t *f, const char *const *values,
                                            double value)
{
    if (!f || f->type == PCFMCP_METRIC_HISTOGRAM || isnan(value))
        return PCFMCP_ERR_INVALID_ARG;
    series *s = lookup(f, values, true);
    if (!s)
        return PCFMCP_ERR_NOMEM;
    if (f->type == PCFMCP_METRIC_GAUGE) {
        atomic_store_explicit(&s->value, pcfmcp__dbits(value), memory_order_relaxed);
        return PCFMCP_OK;
    }
    uint64_t old = atomic_load_explicit(&s->value, memory_order_relaxed);
    while (pcfmcp__bitsd(old) < value &&
           !atomic_compare_exchange_weak_explicit(&s->value, &old, pcfmcp__dbits(value),
                                                  memory_order_relaxed, memory_order_relaxed))
        ;
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_metric_observe(pcfmcp_metric_t *f, const char *const *values,
                                                double value)
{
    if (!f || f->type != PCFMCP_METRIC_HISTOGRAM || isnan(value))
        return PCFMCP_ERR_INVALID_ARG;
    series *s = lookup(f, values, true);
    if (!s)
        return PCFMCP_ERR_NOMEM;
    size_t b = 0;
    while (b < f->nbounds && value > f->bounds[b])
        b++;
    atomic_fetch_add_explicit(&s->buckets[b], 1, memory_order_relaxed);
    atomic_add_double(&s->sum, value);
    atomic_fetch_add_explicit(&s->count, 1, memory_order_release);
    return PCFMCP_OK;
}

PCFMCP_API double pcfmcp_metric_value(pcfmcp_metric_t *f, const char *const *values)
{
    if (!f)
        return 0;
    series *s = lookup(f, values, false);
    if (!s)
        return 0;
    if (f->type == PCFMCP_METRIC_HISTOGRAM)
        return (double)atomic_load(&s->count);
    return pcfmcp__bitsd(atomic_load(&s->value));
}

/* ------------------------------------------------------------ rendering */

static void put_number(pcfmcp__buf *b, double v)
{
    if (isnan(v)) {
        pcfmcp__buf_puts(b, "NaN");
    } else if (isinf(v)) {
        pcfmcp__buf_puts(b, v > 0 ? "+Inf" : "-Inf");
    } else if (v == floor(v) && fabs(v) < 1e15) {
        pcfmcp__buf_printf(b, "%.0f", v);
    } else {
        char tmp[40];
        snprintf(tmp, sizeof(tmp), "%.15g", v);
        if (strtod(tmp, NULL) != v)
            snprintf(tmp, sizeof(tmp), "%.17g", v);
        pcfmcp__buf_puts(b, tmp);
    }
}

static void put_escaped(pcfmcp__buf *b, const char *s, bool quote)
{
    for (; *s; s++) {
        if (*s == '\\')
            pcfmcp__buf_puts(b, "\\\\");
        else if (*s == '\n')
            pcfmcp__buf_puts(b, "\\n");
        else if (quote && *s == '"')
            pcfmcp__buf_puts(b, "\\\"");
        else
            pcfmcp__buf_putc(b, *s);
    }
}

/* name{l1="v1",...[,le="x"]} */
static void put_series_name(pcfmcp__buf *b, const pcfmcp_metric_t *f, const series *s,
                            const char *suffix, const char *le)
{
    pcfmcp__buf_puts(b, f->name);
    pcfmcp__buf_puts(b, suffix);
    if (f->nlabels == 0 && !le)
        return;
    pcfmcp__buf_putc(b, '{');
    for (size_t i = 0; i < f->nlabels; i++) {
        if (i)
            pcfmcp__buf_putc(b, ',');
        pcfmcp__buf_printf(b, "%s=\"", f->label_names[i]);
        put_escaped(b, s->vals[i], true);
        pcfmcp__buf_putc(b, '"');
    }
    if (le)
        pcfmcp__buf_printf(b, "%sle=\"%s\"", f->nlabels ? "," : "", le);
    pcfmcp__buf_putc(b, '}');
}

static int cmp_series(const void *a, const void *b)
{
    const series *x = *(const series *const *)a;
    const series *y = *(const series *const *)b;
    return strcmp(x->key, y->key);
}

static void render_family(pcfmcp__buf *b, pcfmcp_metric_t *f)
{
    static const char *const types[] = { "counter", "gauge", "histogram" };
    pcfmcp__buf_printf(b, "# HELP %s ", f->name);
    put_escaped(b, f->help, false);
    pcfmcp__buf_printf(b, "\n# TYPE %s %s\n", f->name, types[f->type]);
    series_table *t = atomic_load_explicit(&f->table, memory_order_acquire);
    if (!t) {
        /* An unlabelled counter starts at 0; a gauge is absent until set, so
         * that "expires at 0" never means "unknown". */
        if (f->nlabels == 0 && f->type == PCFMCP_METRIC_COUNTER)
            pcfmcp__buf_printf(b, "%s 0\n", f->name);
        return;
    }
    series **list = pcfmcp__calloc(t->cap, sizeof(*list));
    if (!list) {
        b->failed = true;
        return;
    }
    size_t n = 0;
    for (size_t i = 0; i < t->cap; i++) {
        series *s = atomic_load_explicit(&t->slots[i], memory_order_acquire);
        if (s)
            list[n++] = s;
    }
    qsort(list, n, sizeof(*list), cmp_series);
    for (size_t i = 0; i < n; i++) {
        series *s = list[i];
        if (f->type != PCFMCP_METRIC_HISTOGRAM) {
            put_series_name(b, f, s, "", NULL);
            pcfmcp__buf_putc(b, ' ');
            put_number(b, pcfmcp__bitsd(atomic_load_explicit(&s->value, memory_order_relaxed)));
            pcfmcp__buf_putc(b, '\n');
            continue;
        }
        /* Read the buckets first and derive count from them, so that a
         * concurrent observation cannot make +Inf disagree with _count. */
        uint64_t cum = 0;
        for (size_t k = 0; k <= f->nbounds; k++) {
            cum += atomic_load_explicit(&s->buckets[k], memory_order_relaxed);
            char le[40];
            if (k < f->nbounds) {
                pcfmcp__buf tmp;
                pcfmcp__buf_init(&tmp);
                put_number(&tmp, f->bounds[k]);
                snprintf(le, sizeof(le), "%s", tmp.data ? tmp.data : "0");
                pcfmcp__buf_free(&tmp);
            } else {
                snprintf(le, sizeof(le), "+Inf");
            }
            put_series_name(b, f, s, "_bucket", le);
            pcfmcp__buf_printf(b, " %llu\n", (unsigned long long)cum);
        }
        put_series_name(b, f, s, "_sum", NULL);
        pcfmcp__buf_putc(b, ' ');
        put_number(b, pcfmcp__bitsd(atomic_load_explicit(&s->sum, memory_order_relaxed)));
        pcfmcp__buf_putc(b, '\n');
        put_series_name(b, f, s, "_count", NULL);
        pcfmcp__buf_printf(b, " %llu\n", (unsigned long long)cum);
    }
    pcfmcp__free(list);
}

PCFMCP_API pcfmcp_error_t pcfmcp_metrics_render(pcfmcp_metrics_t *m, char **out, size_t *out_len)
{
    if (!m || !out)
        return PCFMCP_ERR_INVALID_ARG;
    pthread_mutex_lock(&m->render_lock);
    pthread_mutex_lock(&m->lock);
    size_t nc = m->ncollectors;
    pcfmcp_metrics_collect_cb cbs[MAX_COLLECTORS];
    void *uds[MAX_COLLECTORS];
    memcpy(cbs, m->collectors, nc * sizeof(cbs[0]));
    memcpy(uds, m->collector_ud, nc * sizeof(uds[0]));
    pthread_mutex_unlock(&m->lock);
    for (size_t i = 0; i < nc; i++)
        cbs[i](m, uds[i]);
    pcfmcp__buf b;
    pcfmcp__buf_init(&b);
    pthread_mutex_lock(&m->lock);
    for (size_t i = 0; i < m->nfams; i++)
        render_family(&b, m->fams[i]);
    pthread_mutex_unlock(&m->lock);
    pthread_mutex_unlock(&m->render_lock);
    if (b.len == 0)
        pcfmcp__buf_puts(&b, "");
    size_t len = 0;
    char *s = pcfmcp__buf_steal(&b, &len);
    if (!s)
        return PCFMCP_ERR_NOMEM;
    *out = s;
    if (out_len)
        *out_len = len;
    return PCFMCP_OK;
}

/* ------------------------------------------------------------ process */

typedef struct {
    pcfmcp_metric_t *cpu, *rss, *vsize, *fds, *maxfds, *start;
} process_metrics;

/* /proc/self/stat: the command may contain spaces and parentheses, so the
 * fields are counted from the last ')'. */
static void collect_process(pcfmcp_metrics_t *m, void *ud)
{
    (void)m;
    process_metrics *pm = ud;
    char *stat = NULL;
    size_t len = 0;
    if (pcfmcp__read_file("/proc/self/stat", 4096, true, &stat, &len) == 0) {
        char *rp = strrchr(stat, ')');
        unsigned long long f[64] = { 0 };
        int n = 0;
        /* Field 3 (state) is a letter; fields from 4 on are numbers. */
        for (char *p = rp ? rp + 2 : NULL; p && *p && n < 64;) {
            char *end = NULL;
            f[n++] = strtoull(p, &end, 10);
            if (end == p)
                end = p + 1;
            while (*end == ' ')
                end++;
            p = end;
        }
        /* f[0] is the state; utime is field 14 -> f[11], stime f[12],
         * starttime field 22 -> f[19], vsize f[20], rss f[21]. */
        long tick = sysconf(_SC_CLK_TCK);
        long page = sysconf(_SC_PAGESIZE);
        if (n > 21 && tick > 0 && page > 0) {
            pcfmcp_metric_set(pm->cpu, NULL, (double)(f[11] + f[12]) / (double)tick);
            pcfmcp_metric_set(pm->vsize, NULL, (double)f[20]);
            pcfmcp_metric_set(pm->rss, NULL, (double)f[21] * (double)page);
            char *pstat = NULL;
            size_t plen = 0;
            if (pcfmcp__read_file("/proc/stat", 1 << 20, false, &pstat, &plen) == 0) {
                const char *bt = strstr(pstat, "\nbtime ");
                if (bt) {
                    double btime = strtod(bt + 7, NULL);
                    pcfmcp_metric_set(pm->start, NULL, btime + (double)f[19] / (double)tick);
                }
                pcfmcp__free(pstat);
            }
        }
        pcfmcp__free(stat);
    }
    DIR *d = opendir("/proc/self/fd");
    if (d) {
        long n = 0;
        struct dirent *e;
        while ((e = readdir(d)) != NULL)
            if (e->d_name[0] != '.')
                n++;
        closedir(d);
        pcfmcp_metric_set(pm->fds, NULL, (double)(n > 0 ? n - 1 : 0)); /* minus opendir's own */
    }
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0)
        pcfmcp_metric_set(pm->maxfds, NULL,
                          rl.rlim_cur == RLIM_INFINITY ? INFINITY : (double)rl.rlim_cur);
}

PCFMCP_API pcfmcp_error_t pcfmcp_metrics_add_process(pcfmcp_metrics_t *m)
{
    if (!m)
        return PCFMCP_ERR_INVALID_ARG;
    process_metrics *pm = pcfmcp__calloc(1, sizeof(*pm));
    if (!pm)
        return PCFMCP_ERR_NOMEM;
    pcfmcp_error_t rc;
    if ((rc = pcfmcp_metrics_add(m, PCFMCP_METRIC_COUNTER, "process_cpu_seconds_total",
                                 "Total user and system CPU time spent in seconds.", NULL,
                                 &pm->cpu)) ||
        (rc = pcfmcp_metrics_add(m, PCFMCP_METRIC_GAUGE, "process_resident_memory_bytes",
                                 "Resident memory size in bytes.", NULL, &pm->rss)) ||
        (rc = pcfmcp_metrics_add(m, PCFMCP_METRIC_GAUGE, "process_virtual_memory_bytes",
                                 "Virtual memory size in bytes.", NULL, &pm->vsize)) ||
        (rc = pcfmcp_metrics_add(m, PCFMCP_METRIC_GAUGE, "process_open_fds",
                                 "Number of open file descriptors.", NULL, &pm->fds)) ||
        (rc = pcfmcp_metrics_add(m, PCFMCP_METRIC_GAUGE, "process_max_fds",
                                 "Maximum number of open file descriptors.", NULL, &pm->maxfds)) ||
        (rc = pcfmcp_metrics_add(m, PCFMCP_METRIC_GAUGE, "process_start_time_seconds",
                                 "Start time of the process since unix epoch in seconds.", NULL,
                                 &pm->start)) ||
        (rc = add_collector(m, collect_process, pm, true))) {
        pcfmcp__free(pm);
        return rc;
    }
    return PCFMCP_OK;
}
