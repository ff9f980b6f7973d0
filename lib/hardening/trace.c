/* Spans and their OTLP/HTTP JSON exporter.
 *
 * Ending a span moves it into a bounded FIFO under one mutex (a pointer
 * push); the exporter thread pops batches, serialises them and POSTs them
 * with its own curl handle, so no request thread ever waits on the
 * collector. */
#include "core/internal.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include <curl/curl.h>
#include <pcfmcp/sys/trace.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/log.h"
#include "core/util.h"
#include "hardening/sys_abi.h"

PCFMCP__SYS_TRACE(PCFMCP__SYS_ABI)

#define MAX_ATTRS 32
#define MAX_ATTR_VALUE 256
#define MAX_NAME 128
#define MAX_TRACESTATE 512
#define MAX_QUEUE 1000000

typedef struct {
    char *key;
    char *str; /* NULL for an integer */
    long long num;
} attr;

struct pcfmcp_span {
    pcfmcp_tracer_t *tracer;
    unsigned char trace_id[16];
    unsigned char span_id[8];
    unsigned char parent_id[8];
    bool has_parent;
    bool sampled;
    pcfmcp_span_kind_t kind;
    char name[MAX_NAME + 1];
    char *tracestate;
    uint64_t start_ns, end_ns;
    attr attrs[MAX_ATTRS];
    size_t nattrs;
    int status; /* 0 unset, 1 ok, 2 error */
    char *status_msg;
    char traceparent[56];
    char trace_hex[33];
};

struct pcfmcp_tracer {
    char *service, *version;
    char *url;
    double ratio;
    size_t queue_max, batch_max;
    unsigned interval_ms, timeout_ms;
    pcfmcp_logger_t *log;

    pthread_mutex_t lock;
    pthread_cond_t wake; /* exporter: work or stop */
    pthread_cond_t idle; /* flushers: queue drained */
    pcfmcp_span_t **queue;
    size_t head, count;
    size_t inflight;  /* spans popped but not yet exported */
    unsigned flushers;
    bool stop;
    bool started;
    pthread_t thread;
    bool failing;

    _Atomic uint64_t dropped, exported;
};

static uint64_t wall_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000000ULL + (uint64_t)ts.tv_nsec;
}

PCFMCP_API pcfmcp_error_t pcfmcp_tracer_new(pcfmcp_tracer_t **out, const char *service,
                                            const char *version)
{
    if (!out || !service || !*service)
        return PCFMCP_ERR_INVALID_ARG;
    pcfmcp_tracer_t *t = pcfmcp__calloc(1, sizeof(*t));
    if (!t)
        return PCFMCP_ERR_NOMEM;
    t->service = pcfmcp__strdup(service);
    t->version = version ? pcfmcp__strdup(version) : NULL;
    if (!t->service || (version && !t->version)) {
        pcfmcp__free(t->service);
        pcfmcp__free(t->version);
        pcfmcp__free(t);
        return PCFMCP_ERR_NOMEM;
    }
    t->ratio = 1.0;
    t->queue_max = 2048;
    t->batch_max = 512;
    t->interval_ms = 5000;
    t->timeout_ms = 10000;
    pthread_mutex_init(&t->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&t->wake, &ca);
    pthread_cond_init(&t->idle, &ca);
    pthread_condattr_destroy(&ca);
    *out = t;
    return PCFMCP_OK;
}

static void span_free(pcfmcp_span_t *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nattrs; i++) {
        pcfmcp__free(s->attrs[i].key);
        pcfmcp__free(s->attrs[i].str);
    }
    pcfmcp__free(s->tracestate);
    pcfmcp__free(s->status_msg);
    pcfmcp__free(s);
}

PCFMCP_API void pcfmcp_tracer_free(pcfmcp_tracer_t *t)
{
    if (!t)
        return;
    pthread_mutex_lock(&t->lock);
    t->stop = true;
    pthread_cond_broadcast(&t->wake);
    bool started = t->started;
    pthread_mutex_unlock(&t->lock);
    if (started)
        pthread_join(t->thread, NULL);
    while (t->count) {
        span_free(t->queue[t->head]);
        t->head = (t->head + 1) % t->queue_max;
        t->count--;
    }
    pcfmcp__free(t->queue);
    pcfmcp__free(t->service);
    pcfmcp__free(t->version);
    pcfmcp__free(t->url);
    pcfmcp_logger_unref(t->log);
    pthread_mutex_destroy(&t->lock);
    pthread_cond_destroy(&t->wake);
    pthread_cond_destroy(&t->idle);
    pcfmcp__free(t);
}

PCFMCP_API const char *pcfmcp_tracer_errmsg(const pcfmcp_tracer_t *t)
{
    if (!t)
        return "no tracer";
    return pcfmcp__errmsg(t);
}

static bool started(pcfmcp_tracer_t *t)
{
    pthread_mutex_lock(&t->lock);
    bool s = t->started;
    pthread_mutex_unlock(&t->lock);
    return s;
}

PCFMCP_API pcfmcp_error_t pcfmcp_tracer_set_endpoint(pcfmcp_tracer_t *t, const char *url)
{
    if (!t)
        return PCFMCP_ERR_INVALID_ARG;
    if (started(t))
        return PCFMCP_ERR_STATE;
    char *u = NULL;
    if (url && *url) {
        if (!pcfmcp__has_prefix(url, "http://") && !pcfmcp__has_prefix(url, "https://")) {
            return pcfmcp__fail(t, PCFMCP_ERR_INVALID_ARG,
                                "tracing endpoint must be an http:// or https:// URL");
        }
        if (strpbrk(url, " \r\n\t")) {
            return pcfmcp__fail(t, PCFMCP_ERR_INVALID_ARG, "tracing endpoint contains white space");
        }
        size_t n = strlen(url);
        while (n > 0 && url[n - 1] == '/')
            n--;
        bool full = n >= 10 && strncmp(url + n - 10, "/v1/traces", 10) == 0;
        pcfmcp__buf b;
        pcfmcp__buf_init(&b);
        pcfmcp__buf_append(&b, url, n);
        if (!full)
            pcfmcp__buf_puts(&b, "/v1/traces");
        if (!(u = pcfmcp__buf_steal(&b, NULL)))
            return PCFMCP_ERR_NOMEM;
    }
    pcfmcp__free(t->url);
    t->url = u;
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_tracer_set_sample_ratio(pcfmcp_tracer_t *t, double ratio)
{
    if (!t || !(ratio >= 0 && ratio <= 1))
        return PCFMCP_ERR_INVALID_ARG;
    if (started(t))
        return PCFMCP_ERR_STATE;
    t->ratio = ratio;
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_tracer_set_limits(pcfmcp_tracer_t *t, size_t queue_max,
                                                   size_t batch_max, unsigned interval_ms)
{
    if (!t || !queue_max || queue_max > MAX_QUEUE || !batch_max || !interval_ms)
        return PCFMCP_ERR_INVALID_ARG;
    if (started(t))
        return PCFMCP_ERR_STATE;
    pthread_mutex_lock(&t->lock);
    pcfmcp_error_t rc = PCFMCP_OK;
    if (t->count)
        rc = PCFMCP_ERR_STATE; /* spans already queued in the old ring */
    else {
        pcfmcp__free(t->queue);
        t->queue = NULL;
        t->head = 0;
        t->queue_max = queue_max;
        t->batch_max = batch_max;
        t->interval_ms = interval_ms;
    }
    pthread_mutex_unlock(&t->lock);
    return rc;
}

PCFMCP_API pcfmcp_error_t pcfmcp_tracer_set_timeout(pcfmcp_tracer_t *t, unsigned timeout_ms)
{
    if (!t || !timeout_ms)
        return PCFMCP_ERR_INVALID_ARG;
    if (started(t))
        return PCFMCP_ERR_STATE;
    t->timeout_ms = timeout_ms;
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_tracer_set_logger(pcfmcp_tracer_t *t, pcfmcp_logger_t *lg)
{
    if (!t)
        return PCFMCP_ERR_INVALID_ARG;
    if (started(t))
        return PCFMCP_ERR_STATE;
    pcfmcp_logger_unref(t->log);
    t->log = pcfmcp_logger_ref(lg);
    return PCFMCP_OK;
}

PCFMCP_API uint64_t pcfmcp_tracer_dropped(const pcfmcp_tracer_t *t)
{
    return t ? atomic_load(&((pcfmcp_tracer_t *)t)->dropped) : 0;
}

PCFMCP_API uint64_t pcfmcp_tracer_exported(const pcfmcp_tracer_t *t)
{
    return t ? atomic_load(&((pcfmcp_tracer_t *)t)->exported) : 0;
}

/* ------------------------------------------------------------ ids */

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1; /* W3C: lower case only */
}

static bool unhex(const char *s, unsigned char *out, size_t n)
{
    bool nonzero = false;
    for (size_t i = 0; i < n; i++) {
        int hi = hexval(s[2 * i]), lo = hexval(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (unsigned char)(hi << 4 | lo);
        nonzero |= out[i] != 0;
    }
    return nonzero;
}

/* W3C traceparent: version 00 is exactly 55 characters; a later version
 * may append fields after the flags; version ff is invalid. */
static bool parse_traceparent(const char *tp, unsigned char trace[16], unsigned char span[8],
                              unsigned char *flags)
{
    if (!tp)
        return false;
    size_t n = strlen(tp);
    if (n < 55 || tp[2] != '-' || tp[35] != '-' || tp[52] != '-')
        return false;
    int v1 = hexval(tp[0]), v2 = hexval(tp[1]), f1 = hexval(tp[53]), f2 = hexval(tp[54]);
    if (v1 < 0 || v2 < 0 || f1 < 0 || f2 < 0 || (v1 == 15 && v2 == 15))
        return false;
    if (v1 == 0 && v2 == 0 ? n != 55 : (n > 55 && tp[55] != '-'))
        return false;
    if (!unhex(tp + 3, trace, 16) || !unhex(tp + 36, span, 8))
        return false;
    *flags = (unsigned char)(f1 << 4 | f2);
    return true;
}

static void random_nonzero(unsigned char *b, size_t n)
{
    do {
        if (pcfmcp__random(b, n) != 0) {
            /* GnuTLS failed: fall back to something unique enough for ids. */
            uint64_t x = pcfmcp__now_ns() ^ (uint64_t)(uintptr_t)b;
            for (size_t i = 0; i < n; i++) {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                b[i] = (unsigned char)x;
            }
        }
        bool nz = false;
        for (size_t i = 0; i < n; i++)
            nz |= b[i] != 0;
        if (nz)
            return;
    } while (1);
}

/* TraceIdRatioBased: the last 8 bytes of the id as a big-endian number,
 * compared against ratio * 2^64. */
static bool ratio_sampled(const unsigned char trace[16], double ratio)
{
    if (ratio >= 1.0)
        return true;
    if (ratio <= 0.0)
        return false;
    uint64_t x = 0;
    for (int i = 8; i < 16; i++)
        x = x << 8 | trace[i];
    return (double)x < ratio * 18446744073709551616.0;
}

PCFMCP_API pcfmcp_error_t pcfmcp_span_start(pcfmcp_tracer_t *t, const char *name,
                                            pcfmcp_span_kind_t kind, const char *parent,
                                            const char *tracestate, pcfmcp_span_t **out)
{
    if (!t || !name || !out || kind < PCFMCP_SPAN_INTERNAL || kind > PCFMCP_SPAN_CLIENT)
        return PCFMCP_ERR_INVALID_ARG;
    pcfmcp_span_t *s = pcfmcp__calloc(1, sizeof(*s));
    if (!s)
        return PCFMCP_ERR_NOMEM;
    s->tracer = t;
    s->kind = kind;
    snprintf(s->name, sizeof(s->name), "%s", name);
    unsigned char flags = 0;
    if (parse_traceparent(parent, s->trace_id, s->parent_id, &flags)) {
        s->has_parent = true;
        s->sampled = flags & 1;
        if (tracestate && *tracestate && strlen(tracestate) <= MAX_TRACESTATE &&
            !strpbrk(tracestate, "\r\n") && !(s->tracestate = pcfmcp__strdup(tracestate))) {
            span_free(s);
            return PCFMCP_ERR_NOMEM;
        }
    } else {
        random_nonzero(s->trace_id, 16);
        s->sampled = ratio_sampled(s->trace_id, t->ratio);
    }
    random_nonzero(s->span_id, 8);
    pcfmcp__hex(s->trace_id, 16, s->trace_hex);
    char sid[17];
    pcfmcp__hex(s->span_id, 8, sid);
    snprintf(s->traceparent, sizeof(s->traceparent), "00-%s-%s-%02x", s->trace_hex, sid,
             s->sampled ? 1 : 0);
    s->start_ns = wall_ns();
    *out = s;
    return PCFMCP_OK;
}

PCFMCP_API const char *pcfmcp_span_traceparent(const pcfmcp_span_t *s)
{
    return s ? s->traceparent : NULL;
}

PCFMCP_API const char *pcfmcp_span_tracestate(const pcfmcp_span_t *s)
{
    return s ? s->tracestate : NULL;
}

PCFMCP_API const char *pcfmcp_span_trace_id(const pcfmcp_span_t *s)
{
    return s ? s->trace_hex : NULL;
}

PCFMCP_API int pcfmcp_span_is_sampled(const pcfmcp_span_t *s)
{
    return s && s->sampled;
}

static pcfmcp_error_t add_attr(pcfmcp_span_t *s, const char *key, const char *str, long long num)
{
    if (!s || !key || !*key)
        return PCFMCP_ERR_INVALID_ARG;
    if (!s->sampled)
        return PCFMCP_OK; /* nobody will see it */
    if (s->nattrs >= MAX_ATTRS)
        return PCFMCP_ERR_LIMIT;
    attr *a = &s->attrs[s->nattrs];
    size_t klen = strlen(key);
    a->key = pcfmcp__strndup(key, klen < 64 ? klen : 64);
    a->str = NULL;
    if (str) {
        size_t n = strlen(str);
        if (n > MAX_ATTR_VALUE) {
            n = MAX_ATTR_VALUE;
            while (n > 0 && ((unsigned char)str[n] & 0xC0) == 0x80)
                n--;
        }
        a->str = pcfmcp__strndup(str, n);
    }
    a->num = num;
    if (!a->key || (str && !a->str)) {
        pcfmcp__free(a->key);
        pcfmcp__free(a->str);
        return PCFMCP_ERR_NOMEM;
    }
    s->nattrs++;
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_span_set_attribute(pcfmcp_span_t *s, const char *key,
                                                    const char *value)
{
    if (!value)
        return PCFMCP_ERR_INVALID_ARG;
    return add_attr(s, key, value, 0);
}

PCFMCP_API pcfmcp_error_t pcfmcp_span_set_attribute_int(pcfmcp_span_t *s, const char *key,
                                                        long long value)
{
    return add_attr(s, key, NULL, value);
}

PCFMCP_API pcfmcp_error_t pcfmcp_span_set_error(pcfmcp_span_t *s, const char *message)
{
    if (!s)
        return PCFMCP_ERR_INVALID_ARG;
    s->status = 2;
    pcfmcp__free(s->status_msg);
    size_t n = message ? strlen(message) : 0;
    if (n > MAX_ATTR_VALUE) {
        n = MAX_ATTR_VALUE;
        while (n > 0 && ((unsigned char)message[n] & 0xC0) == 0x80)
            n--;
    }
    s->status_msg = message ? pcfmcp__strndup(message, n) : NULL;
    return PCFMCP_OK;
}

PCFMCP_API void pcfmcp_span_end(pcfmcp_span_t *s)
{
    if (!s)
        return;
    pcfmcp_tracer_t *t = s->tracer;
    s->end_ns = wall_ns();
    if (!s->sampled || !t->url) {
        span_free(s);
        return;
    }
    pthread_mutex_lock(&t->lock);
    if (!t->queue)
        t->queue = pcfmcp__calloc(t->queue_max, sizeof(*t->queue));
    if (!t->queue || t->count >= t->queue_max) {
        pthread_mutex_unlock(&t->lock);
        atomic_fetch_add(&t->dropped, 1);
        span_free(s);
        return;
    }
    t->queue[(t->head + t->count) % t->queue_max] = s;
    t->count++;
    if (t->count >= t->batch_max)
        pthread_cond_signal(&t->wake);
    pthread_mutex_unlock(&t->lock);
}

/* ------------------------------------------------------------ export */

static void json_attr_kv(pcfmcp__buf *b, const char *k, const char *v)
{
    pcfmcp__buf_puts(b, "{\"key\":");
    pcfmcp__buf_json_string(b, k, strlen(k));
    pcfmcp__buf_puts(b, ",\"value\":{\"stringValue\":");
    pcfmcp__buf_json_string(b, v, strlen(v));
    pcfmcp__buf_puts(b, "}}");
}

static void json_span(pcfmcp__buf *b, const pcfmcp_span_t *s)
{
    char sid[17], pid[17];
    pcfmcp__hex(s->span_id, 8, sid);
    pcfmcp__buf_printf(b, "{\"traceId\":\"%s\",\"spanId\":\"%s\"", s->trace_hex, sid);
    if (s->has_parent) {
        pcfmcp__hex(s->parent_id, 8, pid);
        pcfmcp__buf_printf(b, ",\"parentSpanId\":\"%s\"", pid);
    }
    if (s->tracestate) {
        pcfmcp__buf_puts(b, ",\"traceState\":");
        pcfmcp__buf_json_string(b, s->tracestate, strlen(s->tracestate));
    }
    pcfmcp__buf_puts(b, ",\"name\":");
    pcfmcp__buf_json_string(b, s->name, strlen(s->name));
    pcfmcp__buf_printf(b,
                       ",\"kind\":%d,\"startTimeUnixNano\":\"%llu\",\"endTimeUnixNano\":\"%llu\","
                       "\"attributes\":[",
                       (int)s->kind, (unsigned long long)s->start_ns,
                       (unsigned long long)s->end_ns);
    for (size_t i = 0; i < s->nattrs; i++) {
        if (i)
            pcfmcp__buf_putc(b, ',');
        if (s->attrs[i].str) {
            json_attr_kv(b, s->attrs[i].key, s->attrs[i].str);
        } else {
            pcfmcp__buf_puts(b, "{\"key\":");
            pcfmcp__buf_json_string(b, s->attrs[i].key, strlen(s->attrs[i].key));
            pcfmcp__buf_printf(b, ",\"value\":{\"intValue\":\"%lld\"}}", s->attrs[i].num);
        }
    }
    pcfmcp__buf_puts(b, "]");
    if (s->status) {
        pcfmcp__buf_printf(b, ",\"status\":{\"code\":%d", s->status);
        if (s->status_msg) {
            pcfmcp__buf_puts(b, ",\"message\":");
            pcfmcp__buf_json_string(b, s->status_msg, strlen(s->status_msg));
        }
        pcfmcp__buf_putc(b, '}');
    }
    pcfmcp__buf_putc(b, '}');
}

static char *build_body(const pcfmcp_tracer_t *t, pcfmcp_span_t **spans, size_t n, size_t *len)
{
    pcfmcp__buf b;
    pcfmcp__buf_init(&b);
    pcfmcp__buf_puts(&b, "{\"resourceSpans\":[{\"resource\":{\"attributes\":[");
    json_attr_kv(&b, "service.name", t->service);
    if (t->version) {
        pcfmcp__buf_putc(&b, ',');
        json_attr_kv(&b, "service.version", t->version);
    }
    pcfmcp__buf_puts(&b, ",");
    json_attr_kv(&b, "telemetry.sdk.name", "libpcfmcp");
    pcfmcp__buf_puts(&b, "]},\"scopeSpans\":[{\"scope\":{\"name\":\"libpcfmcp\"");
    if (t->version) {
        pcfmcp__buf_puts(&b, ",\"version\":");
        pcfmcp__buf_json_string(&b, t->version, strlen(t->version));
    }
    pcfmcp__buf_puts(&b, "},\"spans\":[");
    for (size_t i = 0; i < n; i++) {
        if (i)
            pcfmcp__buf_putc(&b, ',');
        json_span(&b, spans[i]);
    }
    pcfmcp__buf_puts(&b, "]}]}]}");
    return pcfmcp__buf_steal(&b, len);
}

static size_t discard(char *p, size_t size, size_t n, void *ud)
{
    (void)p;
    (void)ud;
    return size * n;
}

/* Returns true if the collector accepted the batch. */
static bool post(pcfmcp_tracer_t *t, CURL *h, const char *body, size_t len, char *why,
                 size_t wlen)
{
    struct curl_slist *hdrs = curl_slist_append(NULL, "Content-Type: application/json");
    if (!hdrs) {
        snprintf(why, wlen, "out of memory");
        return false;
    }
    curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, t->url);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_POSTFIELDS, body);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)len);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, (long)t->timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS, (long)t->timeout_ms);
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, discard);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(h, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    CURLcode cc = curl_easy_perform(h);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_slist_free_all(hdrs);
    if (cc != CURLE_OK) {
        snprintf(why, wlen, "%s", curl_easy_strerror(cc));
        return false;
    }
    if (status < 200 || status > 299) {
        snprintf(why, wlen, "collector answered HTTP %ld", status);
        return false;
    }
    return true;
}

static void *exporter(void *arg)
{
    pcfmcp_tracer_t *t = arg;
    CURL *h = curl_easy_init();
    pcfmcp_span_t **batch = pcfmcp__calloc(t->batch_max, sizeof(*batch));
    pthread_mutex_lock(&t->lock);
    for (;;) {
        if (t->stop)
            break;
        bool ready = t->count >= t->batch_max || (t->count > 0 && t->flushers);
        if (!ready) {
            struct timespec ts;
            clock_gettime(CLOCK_MONOTONIC, &ts);
            ts.tv_sec += (time_t)(t->interval_ms / 1000);
            ts.tv_nsec += (long)(t->interval_ms % 1000) * 1000000L;
            if (ts.tv_nsec >= 1000000000L) {
                ts.tv_sec++;
                ts.tv_nsec -= 1000000000L;
            }
            int w = pthread_cond_timedwait(&t->wake, &t->lock, &ts);
            if (t->stop)
                break;
            /* A partial batch goes out when the interval passed or someone flushes. */
            if (!(t->count > 0 &&
                  (w == ETIMEDOUT || t->count >= t->batch_max || t->flushers)))
                continue;
        }
        if (!batch) {
            /* No memory for a batch: drop rather than spin. */
            atomic_fetch_add(&t->dropped, t->count);
            while (t->count) {
                span_free(t->queue[t->head]);
                t->head = (t->head + 1) % t->queue_max;
                t->count--;
            }
            pthread_cond_broadcast(&t->idle);
            continue;
        }
        size_t n = 0;
        while (n < t->batch_max && t->count) {
            batch[n++] = t->queue[t->head];
            t->head = (t->head + 1) % t->queue_max;
            t->count--;
        }
        if (n == 0)
            continue;
        t->inflight = n;
        pthread_mutex_unlock(&t->lock);

        size_t len = 0;
        char *body = build_body(t, batch, n, &len);
        char why[200] = "out of memory";
        bool ok = body && h && post(t, h, body, len, why, sizeof(why));
        pcfmcp__free(body);
        for (size_t i = 0; i < n; i++)
            span_free(batch[i]);
        atomic_fetch_add(ok ? &t->exported : &t->dropped, n);

        pthread_mutex_lock(&t->lock);
        bool report = !ok && !t->failing;
        bool recovered = ok && t->failing;
        t->failing = !ok;
        t->inflight = 0;
        pthread_cond_broadcast(&t->idle);
        pthread_mutex_unlock(&t->lock);
        if (report)
            PCFMCP_LOG(t->log, PCFMCP_LOG_WARN, "trace",
                       "span export to %s failed (%s); dropped %zu spans", t->url, why, n);
        else if (recovered)
            PCFMCP_LOG(t->log, PCFMCP_LOG_INFO, "trace", "span export to %s works again", t->url);
        pthread_mutex_lock(&t->lock);
    }
    pthread_cond_broadcast(&t->idle);
    pthread_mutex_unlock(&t->lock);
    pcfmcp__free(batch);
    if (h)
        curl_easy_cleanup(h);
    return NULL;
}

PCFMCP_API pcfmcp_error_t pcfmcp_tracer_start(pcfmcp_tracer_t *t)
{
    if (!t)
        return PCFMCP_ERR_INVALID_ARG;
    if (!t->url)
        return PCFMCP_OK;
    pthread_mutex_lock(&t->lock);
    pcfmcp_error_t rc = PCFMCP_OK;
    if (!t->started) {
        if (pthread_create(&t->thread, NULL, exporter, t) != 0) {
            rc = pcfmcp__fail(t, PCFMCP_ERR_NOMEM, "cannot start the span exporter thread: %s",
                              strerror(errno));
        } else {
            t->started = true;
        }
    }
    pthread_mutex_unlock(&t->lock);
    return rc;
}

PCFMCP_API pcfmcp_error_t pcfmcp_tracer_flush(pcfmcp_tracer_t *t, unsigned timeout_ms)
{
    if (!t)
        return PCFMCP_ERR_INVALID_ARG;
    struct timespec dl;
    clock_gettime(CLOCK_MONOTONIC, &dl);
    dl.tv_sec += (time_t)(timeout_ms / 1000);
    dl.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (dl.tv_nsec >= 1000000000L) {
        dl.tv_sec++;
        dl.tv_nsec -= 1000000000L;
    }
    pcfmcp_error_t rc = PCFMCP_OK;
    pthread_mutex_lock(&t->lock);
    if (!t->started) {
        rc = t->count ? PCFMCP_ERR_STATE : PCFMCP_OK;
        pthread_mutex_unlock(&t->lock);
        return rc;
    }
    t->flushers++;
    pthread_cond_signal(&t->wake);
    while ((t->count || t->inflight) && !t->stop) {
        if (pthread_cond_timedwait(&t->idle, &t->lock, &dl) == ETIMEDOUT) {
            if (t->count || t->inflight)
                rc = PCFMCP_ERR_TIMEOUT;
            break;
        }
        pthread_cond_signal(&t->wake);
    }
    t->flushers--;
    pthread_mutex_unlock(&t->lock);
    return rc;
}
