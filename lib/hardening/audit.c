/* The audit trail. One lock serialises writes, file swaps and sink changes;
 * a record is assembled before the lock is taken, so the critical section
 * is one write() (and an optional fsync()). */
#include "core/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <pcfmcp/sys/audit.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/canon.h"
#include "core/error.h"
#include "core/json.h"
#include "core/log.h"
#include "core/util.h"
#include "hardening/audit_internal.h"
#include "hardening/sys_abi.h"

PCFMCP__SYS_AUDIT(PCFMCP__SYS_ABI)

#define MAX_ARGS_BYTES (4 * 1024 * 1024)
#define MAX_STRING 256
#define MAX_ARRAY 50
#define MAX_ID 64
#define MAX_FIELD 512

struct pcfmcp_audit {
    pthread_mutex_t lock;
    int fd;         /* -1 = stderr */
    char *path;     /* NULL = stderr */
    bool fsync_each;
    atomic_int args_mode;
    pcfmcp_logger_t *log;
    pcfmcp_audit_sink_cb sink;
    void *sink_ud;
    _Atomic uint64_t written, failed;
    bool failing; /* last write failed: log only the first of a run */
    /* Key of args_hmac: random per trail unless the host sets one. Read
     * under the lock, which records take only to copy it. */
    unsigned char key[64];
    size_t key_len;
};

PCFMCP_API pcfmcp_error_t pcfmcp_audit_new(pcfmcp_audit_t **out)
{
    if (!out)
        return PCFMCP_ERR_INVALID_ARG;
    pcfmcp_audit_t *a = pcfmcp__calloc(1, sizeof(*a));
    if (!a)
        return PCFMCP_ERR_NOMEM;
    pthread_mutex_init(&a->lock, NULL);
    a->fd = -1;
    atomic_init(&a->args_mode, PCFMCP_AUDIT_ARGS_HASH);
    a->key_len = 32;
    if (pcfmcp__random(a->key, a->key_len) != 0) {
        pthread_mutex_destroy(&a->lock);
        pcfmcp__free(a);
        return PCFMCP_ERR_TLS;
    }
    *out = a;
    return PCFMCP_OK;
}

PCFMCP_API void pcfmcp_audit_free(pcfmcp_audit_t *a)
{
    if (!a)
        return;
    if (a->fd >= 0) {
        fsync(a->fd);
        close(a->fd);
    }
    pcfmcp__free(a->path);
    pcfmcp_logger_unref(a->log);
    pcfmcp__secure_zero(a->key, sizeof(a->key));
    pthread_mutex_destroy(&a->lock);
    pcfmcp__free(a);
}

PCFMCP_API const char *pcfmcp_audit_errmsg(const pcfmcp_audit_t *a)
{
    if (!a)
        return "no audit trail";
    return pcfmcp__errmsg(a);
}

static int open_file(const char *path)
{
    return open(path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOCTTY, 0600);
}

PCFMCP_API pcfmcp_error_t pcfmcp_audit_open(pcfmcp_audit_t *a, const char *path)
{
    if (!a)
        return PCFMCP_ERR_INVALID_ARG;
    int fd = -1;
    char *copy = NULL;
    if (path && *path) {
        if (!(copy = pcfmcp__strdup(path)))
            return PCFMCP_ERR_NOMEM;
        fd = open_file(path);
        if (fd < 0) {
            pcfmcp__fail(a, PCFMCP_ERR_IO, "audit file %s: %s", path, strerror(errno));
            pcfmcp__free(copy);
            return PCFMCP_ERR_IO;
        }
    }
    pthread_mutex_lock(&a->lock);
    int old = a->fd;
    a->fd = fd;
    pcfmcp__free(a->path);
    a->path = copy;
    pthread_mutex_unlock(&a->lock);
    if (old >= 0) {
        fsync(old);
        close(old);
    }
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_audit_reopen(pcfmcp_audit_t *a)
{
    if (!a)
        return PCFMCP_ERR_INVALID_ARG;
    pthread_mutex_lock(&a->lock);
    pcfmcp_error_t rc = PCFMCP_OK;
    if (a->path) {
        int fd = open_file(a->path);
        if (fd < 0) {
            pcfmcp__fail(a, PCFMCP_ERR_IO, "audit file %s: %s", a->path, strerror(errno));
            rc = PCFMCP_ERR_IO;
        } else {
            if (a->fd >= 0) {
                fsync(a->fd);
                close(a->fd);
            }
            a->fd = fd;
        }
    }
    pthread_mutex_unlock(&a->lock);
    return rc;
}

PCFMCP_API pcfmcp_error_t pcfmcp_audit_set_sink(pcfmcp_audit_t *a, pcfmcp_audit_sink_cb cb,
                                                void *ud)
{
    if (!a)
        return PCFMCP_ERR_INVALID_ARG;
    pthread_mutex_lock(&a->lock);
    a->sink = cb;
    a->sink_ud = cb ? ud : NULL;
    pthread_mutex_unlock(&a->lock);
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_audit_set_fsync(pcfmcp_audit_t *a, int on)
{
    if (!a)
        return PCFMCP_ERR_INVALID_ARG;
    pthread_mutex_lock(&a->lock);
    a->fsync_each = on != 0;
    pthread_mutex_unlock(&a->lock);
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_audit_set_args(pcfmcp_audit_t *a, pcfmcp_audit_args_t mode)
{
    if (!a || (mode != PCFMCP_AUDIT_ARGS_HASH && mode != PCFMCP_AUDIT_ARGS_REDACTED &&
               mode != PCFMCP_AUDIT_ARGS_NONE))
        return PCFMCP_ERR_INVALID_ARG;
    atomic_store(&a->args_mode, (int)mode);
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_audit_set_logger(pcfmcp_audit_t *a, pcfmcp_logger_t *lg)
{
    if (!a)
        return PCFMCP_ERR_INVALID_ARG;
    pcfmcp_logger_t *nl = pcfmcp_logger_ref(lg);
    pthread_mutex_lock(&a->lock);
    pcfmcp_logger_t *old = a->log;
    a->log = nl;
    pthread_mutex_unlock(&a->lock);
    pcfmcp_logger_unref(old);
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_audit_set_args_key(pcfmcp_audit_t *a, const char *key, size_t len)
{
    if (!a || !key || len < 16 || len > 4096)
        return PCFMCP_ERR_INVALID_ARG;
    unsigned char k[64];
    size_t klen = len;
    /* HMAC hashes keys longer than its block the same way. */
    if (len > sizeof(k)) {
        char hex[65];
        if (pcfmcp__sha256_hex(key, len, hex) != 0)
            return PCFMCP_ERR_NOMEM;
        for (size_t i = 0; i < 32; i++)
            k[i] = (unsigned char)(pcfmcp__hexval(hex[2 * i]) << 4 | pcfmcp__hexval(hex[2 * i + 1]));
        klen = 32;
    } else {
        memcpy(k, key, len);
    }
    pthread_mutex_lock(&a->lock);
    memcpy(a->key, k, klen);
    a->key_len = klen;
    pthread_mutex_unlock(&a->lock);
    pcfmcp__secure_zero(k, sizeof(k));
    return PCFMCP_OK;
}

/* ------------------------------------------------------------ arguments */

static bool hash_value(const cJSON *v, char out[65])
{
    pcfmcp__buf b;
    pcfmcp__buf_init(&b);
    bool ok = pcfmcp__json_canonical(v, &b) && pcfmcp__buf_ok(&b) &&
              pcfmcp__sha256_hex(b.data ? b.data : "", b.len, out) == 0;
    pcfmcp__buf_free(&b);
    return ok;
}

static bool is_sensitive(const char *name);

/* A copy of @p v with the value of every sensitive member (at any depth)
 * replaced by "[REDACTED]": what args_hmac is computed over, so that even a
 * guess of the whole argument list cannot be confirmed through a secret in
 * it (a cleartext password was recovered from a plain SHA-256 with a
 * 5-word list). Nothing else is shortened: the digest still tells calls
 * apart. NULL without memory. */
static bool redact_in_place(cJSON *n, int depth)
{
    if (depth > 128)
        return false; /* parsed with a depth limit of 64: cannot happen */
    for (cJSON *m = n->child; m; m = m->next) {
        if (cJSON_IsObject(n) && m->string && is_sensitive(m->string)) {
            /* The replacement takes the member's name (ReplaceItemViaPointer
             * keeps none), then the member is freed in its place. */
            size_t kl = strlen(m->string) + 1;
            cJSON *r = cJSON_CreateString("[REDACTED]");
            char *name = r ? cJSON_malloc(kl) : NULL;
            if (!name) {
                cJSON_Delete(r);
                return false;
            }
            memcpy(name, m->string, kl);
            r->string = name;
            if (!cJSON_ReplaceItemViaPointer(n, m, r)) {
                cJSON_Delete(r);
                return false;
            }
            m = r;
        } else if ((cJSON_IsObject(m) || cJSON_IsArray(m)) && !redact_in_place(m, depth + 1)) {
            return false;
        }
    }
    return true;
}

static cJSON *redacted_copy(const cJSON *v)
{
    cJSON *c = cJSON_Duplicate(v, true);
    if (c && !redact_in_place(c, 0)) {
        cJSON_Delete(c);
        c = NULL;
    }
    return c;
}

/* HMAC-SHA256, keyed with the trail's key, of the canonical redacted form. */
static bool digest_value(pcfmcp_audit_t *a, const cJSON *v, char out[65])
{
    cJSON *red = redacted_copy(v);
    pcfmcp__buf b;
    pcfmcp__buf_init(&b);
    bool ok = red && pcfmcp__json_canonical(red, &b) && pcfmcp__buf_ok(&b);
    cJSON_Delete(red);
    unsigned char key[64], mac[32];
    pthread_mutex_lock(&a->lock);
    size_t klen = a->key_len;
    memcpy(key, a->key, klen);
    pthread_mutex_unlock(&a->lock);
    ok = ok && pcfmcp__hmac_sha256(key, klen, b.data ? b.data : "", b.len, mac) == 0;
    pcfmcp__secure_zero(key, sizeof(key));
    pcfmcp__buf_free(&b);
    if (ok)
        pcfmcp__hex(mac, sizeof(mac), out);
    return ok;
}

PCFMCP_API pcfmcp_error_t pcfmcp_audit_args_digest(pcfmcp_audit_t *a, const char *json, size_t len,
                                                   char **out)
{
    if (!a || !json || !out)
        return PCFMCP_ERR_INVALID_ARG;
    cJSON *v = NULL;
    if (len > MAX_ARGS_BYTES || pcfmcp__json_parse(json, len, 64, &v, NULL) != PCFMCP__JSON_OK)
        return PCFMCP_ERR_INVALID_ARG;
    char hex[65];
    bool ok = digest_value(a, v, hex);
    cJSON_Delete(v);
    if (!ok || !(*out = pcfmcp__strdup(hex)))
        return PCFMCP_ERR_NOMEM;
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_audit_args_hash(const char *json, size_t len, char **out)
{
    if (!json || !out)
        return PCFMCP_ERR_INVALID_ARG;
    cJSON *v = NULL;
    if (len > MAX_ARGS_BYTES || pcfmcp__json_parse(json, len, 64, &v, NULL) != PCFMCP__JSON_OK)
        return PCFMCP_ERR_INVALID_ARG;
    char hex[65];
    bool ok = hash_value(v, hex);
    cJSON_Delete(v);
    if (!ok)
        return PCFMCP_ERR_NOMEM;
    if (!(*out = pcfmcp__strdup(hex)))
        return PCFMCP_ERR_NOMEM;
    return PCFMCP_OK;
}

/* Member names that may carry credentials or file contents; matched as
 * case-insensitive substrings, so over-redaction is the failure mode. */
static const char *const sensitive[] = { "pass", "secret", "token", "key", "hash", "cookie",
                                         "auth", "cred", "b64", "base64", "cleartext",
                                         "private", "session", "content" };

static bool is_sensitive(const char *name)
{
    char low[64];
    size_t n = 0;
    for (; name[n] && n + 1 < sizeof(low); n++)
        low[n] = (char)(name[n] >= 'A' && name[n] <= 'Z' ? name[n] + 32 : name[n]);
    low[n] = '\0';
    for (size_t i = 0; i < PCFMCP_ARRAY_LEN(sensitive); i++)
        if (strstr(low, sensitive[i]))
            return true;
    return false;
}

static void put_redacted(pcfmcp__buf *b, const cJSON *v, int depth)
{
    if (depth > 8) {
        pcfmcp__buf_puts(b, "\"[DEPTH]\"");
    } else if (cJSON_IsObject(v)) {
        pcfmcp__buf_putc(b, '{');
        bool first = true;
        for (const cJSON *c = v->child; c; c = c->next) {
            if (!first)
                pcfmcp__buf_putc(b, ',');
            first = false;
            pcfmcp__buf_json_string(b, c->string, strlen(c->string));
            pcfmcp__buf_putc(b, ':');
            if (is_sensitive(c->string))
                pcfmcp__buf_puts(b, "\"[REDACTED]\"");
            else
                put_redacted(b, c, depth + 1);
        }
        pcfmcp__buf_putc(b, '}');
    } else if (cJSON_IsArray(v)) {
        pcfmcp__buf_putc(b, '[');
        int i = 0;
        for (const cJSON *c = v->child; c; c = c->next, i++) {
            if (i)
                pcfmcp__buf_putc(b, ',');
            if (i == MAX_ARRAY) {
                pcfmcp__buf_printf(b, "\"[+%d more]\"", cJSON_GetArraySize(v) - MAX_ARRAY);
                break;
            }
            put_redacted(b, c, depth + 1);
        }
        pcfmcp__buf_putc(b, ']');
    } else if (cJSON_IsString(v)) {
        size_t n = strlen(v->valuestring);
        if (n <= MAX_STRING) {
            pcfmcp__buf_json_string(b, v->valuestring, n);
        } else {
            /* Cut on a UTF-8 boundary. */
            size_t cut = MAX_STRING;
            while (cut > 0 && ((unsigned char)v->valuestring[cut] & 0xC0) == 0x80)
                cut--;
            char *t = pcfmcp__malloc(cut + 40);
            if (!t) {
                b->failed = true;
                return;
            }
            memcpy(t, v->valuestring, cut);
            snprintf(t + cut, 40, "...[+%zu bytes]", n - cut);
            pcfmcp__buf_json_string(b, t, strlen(t));
            pcfmcp__free(t);
        }
    } else {
        pcfmcp__json_canonical(v, b);
    }
}

static bool id_like(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > MAX_ID)
        return false;
    for (const char *p = s; *p; p++) {
        char c = *p;
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.' || c == ':'))
            return false;
    }
    return true;
}

/* The PCF tools name their targets without the _id suffix: `project` and
 * `host` take a name or an id, so these are recorded under their own names.
 * `poc` is also the uploaded file (an object), which the type check skips. */
static const char *const target_names[] = { "project", "host", "issue", "network",
                                            "port", "poc", "credential", "note" };

static bool named_target(const char *k)
{
    for (size_t i = 0; i < sizeof(target_names) / sizeof(target_names[0]); i++)
        if (strcmp(k, target_names[i]) == 0)
            return true;
    return false;
}

/* A project name is not id-like ("ACME external 2026") yet identifies the
 * target; short printable text is recorded, anything longer is not a name. */
static bool name_like(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > MAX_ID || !pcfmcp__utf8_valid(s, n, NULL))
        return false;
    for (const char *p = s; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7F)
            return false;
    return true;
}

/* {"project":"...","host_id":"..."}: the objects a call targets, under the
 * argument names the call used. */
static void put_targets(pcfmcp__buf *b, const cJSON *args)
{
    bool any = false;
    for (const cJSON *c = args ? args->child : NULL; c; c = c->next) {
        size_t n = strlen(c->string);
        bool named = named_target(c->string);
        if (!named && (n < 3 || n > 40 || strcmp(c->string + n - 3, "_id") != 0 ||
                       is_sensitive(c->string)))
            continue;
        if (!(cJSON_IsString(c) && (named ? name_like(c->valuestring) : id_like(c->valuestring))) &&
            !pcfmcp__json_is_integer(c))
            continue;
        pcfmcp__buf_puts(b, any ? "," : ",\"targets\":{");
        any = true;
        pcfmcp__buf_json_string(b, c->string, n);
        pcfmcp__buf_putc(b, ':');
        if (cJSON_IsString(c))
            pcfmcp__buf_json_string(b, c->valuestring, strlen(c->valuestring));
        else
            pcfmcp__json_canonical(c, b);
    }
    if (any)
        pcfmcp__buf_putc(b, '}');
}

/* ------------------------------------------------------------ records */

static void member(pcfmcp__buf *b, const char *k, const char *v)
{
    if (!v)
        return;
    size_t n = strlen(v);
    if (n > MAX_FIELD)
        n = MAX_FIELD;
    while (n > 0 && n < strlen(v) && ((unsigned char)v[n] & 0xC0) == 0x80)
        n--;
    pcfmcp__buf_printf(b, ",\"%s\":", k);
    pcfmcp__buf_json_string(b, v, n);
}

static pcfmcp_error_t write_line(pcfmcp_audit_t *a, const char *line, size_t len)
{
    pcfmcp_error_t rc = PCFMCP_OK;
    pthread_mutex_lock(&a->lock);
    if (a->sink) {
        a->sink(line, len, a->sink_ud);
    } else {
        int fd = a->fd >= 0 ? a->fd : STDERR_FILENO;
        char *nl = pcfmcp__malloc(len + 1);
        if (!nl) {
            rc = PCFMCP_ERR_NOMEM;
        } else {
            memcpy(nl, line, len);
            nl[len] = '\n';
            size_t off = 0;
            while (off < len + 1) {
                ssize_t w = write(fd, nl + off, len + 1 - off);
                if (w < 0 && errno == EINTR)
                    continue;
                if (w <= 0) {
                    pcfmcp__fail(a, PCFMCP_ERR_IO, "audit %s: write failed: %s",
                                 a->path ? a->path : "stderr",
                                 w < 0 ? strerror(errno) : "no progress");
                    rc = PCFMCP_ERR_IO;
                    break;
                }
                off += (size_t)w;
            }
            pcfmcp__free(nl);
            if (rc == PCFMCP_OK && a->fsync_each && a->fd >= 0 && fsync(a->fd) != 0) {
                pcfmcp__fail(a, PCFMCP_ERR_IO, "audit %s: fsync failed: %s", a->path,
                             strerror(errno));
                rc = PCFMCP_ERR_IO;
            }
        }
    }
    bool first_failure = rc != PCFMCP_OK && !a->failing;
    a->failing = rc != PCFMCP_OK;
    pcfmcp_logger_t *lg = first_failure ? pcfmcp_logger_ref(a->log) : NULL;
    pthread_mutex_unlock(&a->lock);
    if (lg) {
        /* This thread's own failure, whatever other writers meet meanwhile. */
        PCFMCP_LOG(lg, PCFMCP_LOG_ERROR, "audit", "audit records are being lost: %s",
                   pcfmcp__errmsg(a));
        pcfmcp_logger_unref(lg);
    }
    atomic_fetch_add(rc == PCFMCP_OK ? &a->written : &a->failed, 1);
    return rc;
}

/* http_status 0 and client NULL: not an HTTP-level refusal. */
static pcfmcp_error_t record(pcfmcp_audit_t *a, const char *event, const char *identity,
                             const char *pcf_user, const char *session, const char *request_id,
                             const char *trace_id, const char *tool_key, const char *tool,
                             const char *args_json, const char *outcome, double duration,
                             const char *detail, unsigned http_status, const char *client)
{
    char ts[32];
    pcfmcp__rfc3339(pcfmcp__wall_ms(), ts);
    pcfmcp__buf b;
    pcfmcp__buf_init(&b);
    pcfmcp__buf_printf(&b, "{\"ts\":\"%s\"", ts);
    member(&b, "event", event);
    member(&b, "identity", identity);
    member(&b, "pcf_user", pcf_user);
    member(&b, "session", session);
    member(&b, "request_id", request_id);
    member(&b, "trace_id", trace_id);
    member(&b, tool_key, tool);
    cJSON *args = NULL;
    if (args_json) {
        size_t alen = strlen(args_json);
        if (alen <= MAX_ARGS_BYTES)
            pcfmcp__json_parse(args_json, alen, 64, &args, NULL);
    }
    if (args)
        put_targets(&b, args);
    member(&b, "outcome", outcome);
    if (http_status)
        pcfmcp__buf_printf(&b, ",\"status\":%u", http_status);
    member(&b, "client_address", client);
    if (duration >= 0)
        pcfmcp__buf_printf(&b, ",\"duration_ms\":%.3f", duration * 1000.0);
    int mode = atomic_load(&a->args_mode);
    if (args_json && mode != PCFMCP_AUDIT_ARGS_NONE) {
        char hex[65];
        if (args && digest_value(a, args, hex))
            member(&b, "args_hmac", hex);
        else if (args)
            member(&b, "args_error", "out of memory hashing the arguments");
        else
            member(&b, "args_error", "arguments were not valid JSON");
        if (args && mode == PCFMCP_AUDIT_ARGS_REDACTED) {
            pcfmcp__buf_puts(&b, ",\"args\":");
            put_redacted(&b, args, 0);
        }
    }
    cJSON_Delete(args);
    member(&b, "detail", detail);
    pcfmcp__buf_putc(&b, '}');
    if (!pcfmcp__buf_ok(&b)) {
        pcfmcp__buf_free(&b);
        atomic_fetch_add(&a->failed, 1);
        return PCFMCP_ERR_NOMEM;
    }
    pthread_mutex_lock(&a->lock);
    pcfmcp_logger_t *lg = pcfmcp_logger_ref(a->log);
    pthread_mutex_unlock(&a->lock);
    char *red = NULL;
    if (lg && pcfmcp_logger_redact(lg, b.data, &red) != PCFMCP_OK) {
        pcfmcp_logger_unref(lg);
        pcfmcp__buf_free(&b);
        atomic_fetch_add(&a->failed, 1);
        return PCFMCP_ERR_NOMEM;
    }
    pcfmcp_logger_unref(lg);
    pcfmcp_error_t rc = red ? write_line(a, red, strlen(red)) : write_line(a, b.data, b.len);
    pcfmcp__free(red);
    pcfmcp__buf_free(&b);
    return rc;
}

PCFMCP_API pcfmcp_error_t pcfmcp_audit_record(pcfmcp_audit_t *a, const char *event,
                                              const char *identity, const char *pcf_user,
                                              const char *session,
                                              const char *request_id, const char *trace_id,
                                              const char *tool, const char *args_json,
                                              const char *outcome, double duration,
                                              const char *detail)
{
    if (!a || !event || !outcome)
        return PCFMCP_ERR_INVALID_ARG;
    return record(a, event, identity, pcf_user, session, request_id, trace_id, "tool", tool,
                  args_json, outcome, duration, detail, 0, NULL);
}

pcfmcp_error_t pcfmcp__audit_read(pcfmcp_audit_t *a, const char *event, const char *identity,
                                  const char *pcf_user, const char *session,
                                  const char *request_id, const char *trace_id,
                                  const char *subject_key, const char *subject,
                                  const char *args_json, const char *outcome, double duration)
{
    if (!a || !event || !subject_key || !outcome)
        return PCFMCP_ERR_INVALID_ARG;
    return record(a, event, identity, pcf_user, session, request_id, trace_id, subject_key,
                  subject, args_json, outcome, duration, NULL, 0, NULL);
}

pcfmcp_error_t pcfmcp__audit_http_refusal(pcfmcp_audit_t *a, unsigned status, const char *reason,
                                          const char *identity, const char *client_address,
                                          const char *method)
{
    if (!a || !reason)
        return PCFMCP_ERR_INVALID_ARG;
    return record(a, "refusal", identity && *identity ? identity : "anonymous", NULL, NULL, NULL,
                  NULL, "tool", method, NULL, "refused", -1, reason, status,
                  client_address && *client_address ? client_address : NULL);
}

PCFMCP_API pcfmcp_error_t pcfmcp_audit_flush(pcfmcp_audit_t *a)
{
    if (!a)
        return PCFMCP_ERR_INVALID_ARG;
    pcfmcp_error_t rc = PCFMCP_OK;
    pthread_mutex_lock(&a->lock);
    if (a->fd >= 0 && fsync(a->fd) != 0) {
        pcfmcp__fail(a, PCFMCP_ERR_IO, "audit %s: fsync failed: %s", a->path, strerror(errno));
        rc = PCFMCP_ERR_IO;
    }
    pthread_mutex_unlock(&a->lock);
    return rc;
}

PCFMCP_API uint64_t pcfmcp_audit_written(const pcfmcp_audit_t *a)
{
    return a ? atomic_load(&((pcfmcp_audit_t *)a)->written) : 0;
}

PCFMCP_API uint64_t pcfmcp_audit_failed(const pcfmcp_audit_t *a)
{
    return a ? atomic_load(&((pcfmcp_audit_t *)a)->failed) : 0;
}
