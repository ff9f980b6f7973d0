#include "core/internal.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/json.h"
#include "core/log.h"
#include "core/util.h"

#define REDACTED "[REDACTED]"
#define MAX_SECRETS 256

struct pcfmcp_logger {
    atomic_int refs;
    atomic_int level;
    atomic_int format;
    pthread_mutex_t sink_lock; /* serialises sink calls and sink changes */
    pcfmcp_log_sink_cb sink;
    void *sink_ud;
    pthread_rwlock_t secrets_lock;
    char **secrets;
    size_t nsecrets;
};

PCFMCP_API pcfmcp_error_t pcfmcp_logger_new(pcfmcp_logger_t **out)
{
    if (!out)
        return PCFMCP_ERR_INVALID_ARG;
    pcfmcp_logger_t *lg = pcfmcp__calloc(1, sizeof(*lg));
    if (!lg)
        return PCFMCP_ERR_NOMEM;
    atomic_init(&lg->refs, 1);
    atomic_init(&lg->level, PCFMCP_LOG_INFO);
    atomic_init(&lg->format, PCFMCP_LOG_FORMAT_JSON);
    pthread_mutex_init(&lg->sink_lock, NULL);
    pthread_rwlock_init(&lg->secrets_lock, NULL);
    *out = lg;
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_logger_t *pcfmcp_logger_ref(pcfmcp_logger_t *lg)
{
    if (lg)
        atomic_fetch_add(&lg->refs, 1);
    return lg;
}

PCFMCP_API void pcfmcp_logger_clear_secrets(pcfmcp_logger_t *lg)
{
    if (!lg)
        return;
    pthread_rwlock_wrlock(&lg->secrets_lock);
    for (size_t i = 0; i < lg->nsecrets; i++)
        pcfmcp__secure_free(lg->secrets[i]);
    pcfmcp__free(lg->secrets);
    lg->secrets = NULL;
    lg->nsecrets = 0;
    pthread_rwlock_unlock(&lg->secrets_lock);
}

PCFMCP_API void pcfmcp_logger_unref(pcfmcp_logger_t *lg)
{
    if (!lg || atomic_fetch_sub(&lg->refs, 1) != 1)
        return;
    pcfmcp_logger_clear_secrets(lg);
    pthread_mutex_destroy(&lg->sink_lock);
    pthread_rwlock_destroy(&lg->secrets_lock);
    pcfmcp__free(lg);
}

PCFMCP_API pcfmcp_error_t pcfmcp_logger_set_level(pcfmcp_logger_t *lg, pcfmcp_log_level_t level)
{
    if (!lg || (int)level < PCFMCP_LOG_DEBUG || level > PCFMCP_LOG_OFF)
        return PCFMCP_ERR_INVALID_ARG;
    atomic_store(&lg->level, (int)level);
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_log_level_t pcfmcp_logger_get_level(const pcfmcp_logger_t *lg)
{
    if (!lg)
        return PCFMCP_LOG_OFF;
    return (pcfmcp_log_level_t)atomic_load(&((pcfmcp_logger_t *)lg)->level);
}

PCFMCP_API int pcfmcp_logger_enabled(const pcfmcp_logger_t *lg, pcfmcp_log_level_t level)
{
    if (!lg || level >= PCFMCP_LOG_OFF)
        return 0;
    return (int)level >= atomic_load_explicit(&((pcfmcp_logger_t *)lg)->level,
                                              memory_order_relaxed);
}

PCFMCP_API pcfmcp_error_t pcfmcp_logger_set_format(pcfmcp_logger_t *lg, pcfmcp_log_format_t f)
{
    if (!lg || (f != PCFMCP_LOG_FORMAT_JSON && f != PCFMCP_LOG_FORMAT_TEXT))
        return PCFMCP_ERR_INVALID_ARG;
    atomic_store(&lg->format, (int)f);
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_logger_set_sink(pcfmcp_logger_t *lg, pcfmcp_log_sink_cb cb,
                                                 void *userdata)
{
    if (!lg)
        return PCFMCP_ERR_INVALID_ARG;
    pthread_mutex_lock(&lg->sink_lock);
    lg->sink = cb;
    lg->sink_ud = cb ? userdata : NULL;
    pthread_mutex_unlock(&lg->sink_lock);
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_logger_add_secret(pcfmcp_logger_t *lg, const char *secret)
{
    if (!lg || !secret || strlen(secret) < 4)
        return PCFMCP_ERR_INVALID_ARG;
    pcfmcp_error_t rc = PCFMCP_OK;
    pthread_rwlock_wrlock(&lg->secrets_lock);
    for (size_t i = 0; i < lg->nsecrets; i++)
        if (strcmp(lg->secrets[i], secret) == 0)
            goto out;
    if (lg->nsecrets >= MAX_SECRETS) {
        rc = PCFMCP_ERR_LIMIT;
        goto out;
    }
    char **ns = pcfmcp__realloc(lg->secrets, (lg->nsecrets + 1) * sizeof(*ns));
    if (!ns) {
        rc = PCFMCP_ERR_NOMEM;
        goto out;
    }
    lg->secrets = ns;
    if (!(ns[lg->nsecrets] = pcfmcp__strdup(secret))) {
        rc = PCFMCP_ERR_NOMEM;
        goto out;
    }
    lg->nsecrets++;
out:
    pthread_rwlock_unlock(&lg->secrets_lock);
    return rc;
}

static const char *const level_names[] = { "debug", "info", "warn", "error", "off" };

PCFMCP_API const char *pcfmcp_log_level_name(pcfmcp_log_level_t level)
{
    if ((int)level < 0 || level > PCFMCP_LOG_OFF)
        return "unknown";
    return level_names[level];
}

PCFMCP_API pcfmcp_error_t pcfmcp_log_level_parse(const char *text, pcfmcp_log_level_t *out)
{
    if (!text || !out)
        return PCFMCP_ERR_INVALID_ARG;
    for (int i = 0; i <= PCFMCP_LOG_OFF; i++)
        if (pcfmcp__strcaseeq(text, level_names[i])) {
            *out = (pcfmcp_log_level_t)i;
            return PCFMCP_OK;
        }
    if (pcfmcp__strcaseeq(text, "warning")) {
        *out = PCFMCP_LOG_WARN;
        return PCFMCP_OK;
    }
    return PCFMCP_ERR_INVALID_ARG;
}

/* ------------------------------------------------------------- redaction */

/* Keys whose values are credentials wherever they appear: JSON members
 * ("password":"x"), form/query pairs (password=x) and headers. */
static const char *const secret_keys[] = {
    "access_token", "password", "passwd", "secret", "api_key", "apikey", "token",
    "client_secret", "refresh_token", "id_token", "csrf_token", "cookie", "set-cookie",
    "b64content", "content_base64", "cleartext_password", "password_hash"
};

static bool key_char(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '_' || c == '-';
}

static bool is_secret_key(const char *k, size_t n)
{
    /* Every secret key is 5 to 18 characters long: most words end here. */
    if (n < 5 || n > 18)
        return false;
    for (size_t i = 0; i < PCFMCP_ARRAY_LEN(secret_keys); i++) {
        const char *sk = secret_keys[i];
        size_t j = 0;
        for (; j < n && sk[j]; j++) {
            char c = k[j];
            if (c >= 'A' && c <= 'Z')
                c = (char)(c + 32);
            if (c != sk[j])
                break;
        }
        if (j == n && !sk[j])
            return true;
    }
    return false;
}

/* The text being redacted: what is not replaced is copied in runs, when a
 * replacement (or the end) comes, so a line without secrets -- nearly every
 * line -- is scanned once and not copied at all. */
typedef struct {
    const char *s;
    size_t copied; /* s[0..copied) is in out (or skipped) */
    pcfmcp__buf *out;
} redactor;

/* Replaces s[from..to) with the marker. */
static void replace(redactor *r, size_t from, size_t to)
{
    pcfmcp__buf_append(r->out, r->s + r->copied, from - r->copied);
    pcfmcp__buf_puts(r->out, REDACTED);
    r->copied = to;
}

/* Redacts the value starting at s[i] and returns the index after it.
 * A quoted value ends at its closing quote (respecting backslash escapes);
 * an unquoted one at whitespace, '&', ',', ';', '}' or a quote. */
static size_t skip_value(redactor *r, size_t n, size_t i)
{
    const char *s = r->s;
    if (i < n && (s[i] == '"' || s[i] == '\'' )) {
        char q = s[i];
        /* A JSON-escaped quote inside a logged string ("\"") also opens a value. */
        size_t start = ++i;
        while (i < n && s[i] != q && s[i] != '\n') {
            if (s[i] == '\\' && i + 1 < n) {
                if (s[i + 1] == q)
                    break;
                i++;
            }
            i++;
        }
        replace(r, start, i);
        return i;
    }
    if (i + 1 < n && s[i] == '\\' && s[i + 1] == '"') {
        i += 2;
        size_t start = i;
        while (i < n && !(s[i] == '\\' && i + 1 < n && s[i + 1] == '"') && s[i] != '"')
            i++;
        replace(r, start, i);
        return i;
    }
    size_t start = i;
    while (i < n && s[i] != ' ' && s[i] != '&' && s[i] != ',' && s[i] != ';' && s[i] != '}' &&
           s[i] != '"' && s[i] != '\n' && s[i] != '\\')
        i++;
    if (i > start)
        replace(r, start, i);
    return i;
}

/* Authorization headers: keep the scheme, drop the credential. */
static size_t redact_authorization(redactor *r, size_t n, size_t i)
{
    const char *s = r->s;
    while (i < n && (s[i] == ' ' || s[i] == '\t'))
        i++;
    while (i < n && key_char(s[i]))
        i++;
    if (i < n && s[i] == ' ')
        i++;
    size_t vstart = i;
    while (i < n && s[i] != '"' && s[i] != '\n' && s[i] != '\r' && s[i] != '\\' && s[i] != ',')
        i++;
    if (i > vstart)
        replace(r, vstart, i);
    return i;
}

/* Whether s[i] follows an escaped newline, CR or tab ("\\n" with an odd run
 * of backslashes): in a JSON line a logged HTTP request puts its headers
 * right after one, and the letter of the escape must not hide the header. */
static bool after_escape(const char *s, size_t i)
{
    if (i < 2 || (s[i - 1] != 'n' && s[i - 1] != 'r' && s[i - 1] != 't'))
        return false;
    size_t slashes = 0;
    for (size_t k = i - 1; k > 0 && s[k - 1] == '\\'; k--)
        slashes++;
    return slashes % 2 == 1;
}

static void redact_patterns(redactor *r, size_t n)
{
    const char *s = r->s;
    size_t i = 0;
    while (i < n) {
        if (!key_char(s[i]) || after_escape(s, i + 1) ||
            (i > 0 && key_char(s[i - 1]) && !after_escape(s, i))) {
            i++;
            continue;
        }
        size_t ks = i;
        while (i < n && key_char(s[i]))
            i++;
        size_t klen = i - ks;
        /* What separates key and value: ":", "=", "\":", "\":\"" ... */
        size_t j = i;
        while (j < n && (s[j] == '"' || s[j] == '\\'))
            j++;
        bool colon = j < n && s[j] == ':';
        bool equals = j < n && s[j] == '=';
        if (!colon && !equals)
            continue;
        bool is_auth = klen == 13 && strncasecmp(s + ks, "authorization", 13) == 0;
        bool proxy_auth = klen == 19 && strncasecmp(s + ks, "proxy-authorization", 19) == 0;
        if (!is_auth && !proxy_auth && !is_secret_key(s + ks, klen))
            continue;
        i = j + 1;
        while (i < n && (s[i] == ' ' || s[i] == '\t'))
            i++;
        if (is_auth || proxy_auth) {
            if (i < n && s[i] == '"')
                i++;
            else if (i + 1 < n && s[i] == '\\' && s[i + 1] == '"')
                i += 2;
            i = redact_authorization(r, n, i);
        } else {
            i = skip_value(r, n, i);
        }
    }
}

/* Replaces each registered secret, longest first so a secret that contains
 * another is removed whole. Caller holds the read lock. Only positions
 * whose byte starts some secret are compared. */
static void redact_secrets(const pcfmcp_logger_t *lg, redactor *r, size_t n)
{
    bool first[256] = { false };
    for (size_t k = 0; k < lg->nsecrets; k++)
        first[(unsigned char)lg->secrets[k][0]] = true;
    const char *s = r->s;
    size_t i = 0;
    while (i < n) {
        if (!first[(unsigned char)s[i]]) {
            i++;
            continue;
        }
        size_t best = 0;
        for (size_t k = 0; k < lg->nsecrets; k++) {
            size_t sl = strlen(lg->secrets[k]);
            if (sl > best && sl <= n - i && memcmp(s + i, lg->secrets[k], sl) == 0)
                best = sl;
        }
        if (best) {
            replace(r, i, i + best);
            i += best;
        } else {
            i++;
        }
    }
}

/* The redacted copy of @p s (pcfmcp__malloc'd), or NULL with *same when
 * nothing needed redacting (use @p s as it is), or NULL without it when
 * memory ran out. */
static char *redact(const pcfmcp_logger_t *lg, const char *s, size_t n, size_t *out_n, bool *same)
{
    *same = false;
    pcfmcp__buf pat;
    pcfmcp__buf_init(&pat);
    redactor r = { s, 0, &pat };
    redact_patterns(&r, n);
    if (r.copied)
        pcfmcp__buf_append(&pat, s + r.copied, n - r.copied);
    if (!pcfmcp__buf_ok(&pat)) {
        pcfmcp__buf_free(&pat);
        return NULL;
    }
    const char *t = r.copied ? pat.data : s;
    size_t tn = r.copied ? pat.len : n;
    pcfmcp__buf sec;
    pcfmcp__buf_init(&sec);
    redactor q = { t, 0, &sec };
    pcfmcp_logger_t *mlg = (pcfmcp_logger_t *)lg;
    pthread_rwlock_rdlock(&mlg->secrets_lock);
    if (lg->nsecrets)
        redact_secrets(lg, &q, tn);
    pthread_rwlock_unlock(&mlg->secrets_lock);
    if (q.copied) {
        pcfmcp__buf_append(&sec, t + q.copied, tn - q.copied);
        pcfmcp__buf_free(&pat);
        return pcfmcp__buf_steal(&sec, out_n);
    }
    pcfmcp__buf_free(&sec);
    if (r.copied)
        return pcfmcp__buf_steal(&pat, out_n);
    *same = true;
    if (out_n)
        *out_n = n;
    return NULL;
}

PCFMCP_API pcfmcp_error_t pcfmcp_logger_redact(const pcfmcp_logger_t *lg, const char *text,
                                               char **out)
{
    if (!lg || !text || !out)
        return PCFMCP_ERR_INVALID_ARG;
    bool same;
    char *r = redact(lg, text, strlen(text), NULL, &same);
    if (!r && same)
        r = pcfmcp__strdup(text);
    if (!r)
        return PCFMCP_ERR_NOMEM;
    *out = r;
    return PCFMCP_OK;
}

/* -------------------------------------------------------------- emitting */

static void emit(pcfmcp_logger_t *lg, pcfmcp_log_level_t level, const char *line, size_t len)
{
    size_t rn = 0;
    bool same;
    char *red = redact(lg, line, len, &rn, &same);
    const char *txt = red ? red : same ? line : "{\"level\":\"error\",\"msg\":\"log line dropped: out of memory\"}";
    if (!red && !same)
        rn = strlen(txt);
    pthread_mutex_lock(&lg->sink_lock);
    if (lg->sink) {
        lg->sink(level, txt, rn, lg->sink_ud);
    } else {
        /* One write per line so concurrent writers never interleave mid-line. */
        char *nl = pcfmcp__malloc(rn + 1);
        if (nl) {
            memcpy(nl, txt, rn);
            nl[rn] = '\n';
            size_t off = 0;
            while (off < rn + 1) {
                ssize_t w = write(STDERR_FILENO, nl + off, rn + 1 - off);
                if (w <= 0)
                    break;
                off += (size_t)w;
            }
            pcfmcp__free(nl);
        }
    }
    pthread_mutex_unlock(&lg->sink_lock);
    pcfmcp__free(red);
}

static void json_member(pcfmcp__buf *b, const char *k, const char *v)
{
    if (!v)
        return;
    pcfmcp__buf_putc(b, ',');
    pcfmcp__buf_json_string(b, k, strlen(k));
    pcfmcp__buf_putc(b, ':');
    pcfmcp__buf_json_string(b, v, strlen(v));
}

static void text_member(pcfmcp__buf *b, const char *k, const char *v)
{
    if (!v)
        return;
    pcfmcp__buf_printf(b, " %s=", k);
    bool quote = strpbrk(v, " \t\"=") != NULL || !*v;
    if (quote)
        pcfmcp__buf_json_string(b, v, strlen(v));
    else
        pcfmcp__buf_puts(b, v);
}

static void merge_extra(pcfmcp__buf *b, const char *extra_json, bool json)
{
    if (!extra_json)
        return;
    cJSON *x = pcfmcp__json_parse_object(extra_json, strlen(extra_json));
    if (!x) {
        if (json)
            json_member(b, "fields_error", "invalid fields JSON");
        else
            text_member(b, "fields_error", "invalid fields JSON");
        return;
    }
    const cJSON *it;
    cJSON_ArrayForEach(it, x) {
        if (json) {
            pcfmcp__buf_putc(b, ',');
            pcfmcp__buf_json_string(b, it->string, strlen(it->string));
            pcfmcp__buf_putc(b, ':');
            pcfmcp__json_append(b, it);
        } else if (cJSON_IsString(it)) {
            text_member(b, it->string, it->valuestring);
        } else {
            char *v = pcfmcp__json_print(it, NULL);
            text_member(b, it->string, v ? v : "?");
            pcfmcp__free(v);
        }
    }
    cJSON_Delete(x);
}

static void write_line(pcfmcp_logger_t *lg, pcfmcp_log_level_t level, const char *component,
                       const pcfmcp__log_fields *f, const char *msg)
{
    char ts[32];
    pcfmcp__rfc3339(pcfmcp__wall_ms(), ts);
    bool json = atomic_load(&lg->format) == PCFMCP_LOG_FORMAT_JSON;
    pcfmcp__buf b;
    pcfmcp__buf_init(&b);
    void (*member)(pcfmcp__buf *, const char *, const char *) = json ? json_member : text_member;
    if (json) {
        pcfmcp__buf_printf(&b, "{\"ts\":\"%s\",\"level\":\"%s\"", ts, pcfmcp_log_level_name(level));
        json_member(&b, "component", component);
        json_member(&b, "msg", msg);
    } else {
        static const char *const up[] = { "DEBUG", "INFO ", "WARN ", "ERROR" };
        pcfmcp__buf_printf(&b, "%s %s [%s] ", ts, up[level], component ? component : "-");
        pcfmcp__buf_puts(&b, msg);
    }
    if (f) {
        member(&b, "request_id", f->request_id);
        member(&b, "session", f->session);
        member(&b, "identity", f->identity);
        member(&b, "trace_id", f->trace_id);
        for (size_t i = 0; f->kv && i + 1 < f->nkv; i += 2)
            member(&b, f->kv[i], f->kv[i + 1]);
        merge_extra(&b, f->extra_json, json);
    }
    if (json)
        pcfmcp__buf_putc(&b, '}');
    if (pcfmcp__buf_ok(&b))
        emit(lg, level, b.data, b.len);
    pcfmcp__buf_free(&b);
}

void pcfmcp__log(pcfmcp_logger_t *lg, pcfmcp_log_level_t level, const char *component,
                 const pcfmcp__log_fields *fields, const char *fmt, ...)
{
    if (!pcfmcp_logger_enabled(lg, level))
        return;
    char small[512];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0)
        return;
    char *msg = small;
    if ((size_t)n >= sizeof(small)) {
        msg = pcfmcp__malloc((size_t)n + 1);
        if (!msg)
            return;
        va_start(ap, fmt);
        vsnprintf(msg, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    write_line(lg, level, component, fields, msg);
    if (msg != small)
        pcfmcp__free(msg);
}

PCFMCP_API pcfmcp_error_t pcfmcp_logger_log(pcfmcp_logger_t *lg, pcfmcp_log_level_t level,
                                            const char *component, const char *message,
                                            const char *fields_json)
{
    if (!lg || !message || (int)level < 0 || level >= PCFMCP_LOG_OFF)
        return PCFMCP_ERR_INVALID_ARG;
    if (!pcfmcp_logger_enabled(lg, level))
        return PCFMCP_OK;
    pcfmcp__log_fields f = { .extra_json = fields_json };
    write_line(lg, level, component, fields_json ? &f : NULL, message);
    return PCFMCP_OK;
}
