#include "core/internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <pcfmcp/auth.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/buf.h"
#include "core/log.h"
#include "core/util.h"
#include "hardening/auth_internal.h"

#define REALM "pcf-mcp"
#define TEXT_MAX 2048   /* issuer, audience, URLs */
#define SCOPES_REQUIRED_MAX 32
#define WHY_MAX 320

/* OAuth settings. Immutable once published, like the key sets: a setter
 * copies, changes and swaps. It exists (with defaults) even while OAuth is
 * off, so tuning calls may come before pcfmcp_auth_set_oauth(). */
typedef struct {
    atomic_uint refs;
    char *issuer; /* NULL: OAuth off */
    char *audience;
    char *jwks_url;
    char *ca_file;
    char **scopes;
    size_t nscopes;
    char *scopes_text; /* the required scopes, space-separated */
    unsigned skew_s;
    unsigned max_lifetime_s; /* 0: no cap */
    unsigned ttl_s;
    unsigned min_refetch_s;
    unsigned timeout_ms;
    size_t max_bytes;
} oauth_conf;

struct pcfmcp_auth {
    pcfmcp_logger_t *lg;
    /* Serialises configuration calls. Checks never take it. */
    pthread_mutex_t conf_lock;
    /* Guards the three published pointers; held only to copy a pointer and
     * take a reference, never during parsing or I/O. */
    pthread_mutex_t swap_lock;
    pcfmcp__keyset *keys; /* NULL: no API keys configured */
    oauth_conf *oauth;
    pcfmcp__jwkset *jwks;
    /* One JWKS fetch at a time; checks that merely want fresher keys skip it. */
    pthread_mutex_t fetch_lock;
    atomic_uint_fast64_t last_fetch_ms; /* monotonic start of the last attempt; 0 = none */
};

/* ------------------------------------------------------------ snapshots */

static oauth_conf *oauth_ref(oauth_conf *o)
{
    atomic_fetch_add(&o->refs, 1);
    return o;
}

static void oauth_unref(oauth_conf *o)
{
    if (!o || atomic_fetch_sub(&o->refs, 1) != 1)
        return;
    pcfmcp__free(o->issuer);
    pcfmcp__free(o->audience);
    pcfmcp__free(o->jwks_url);
    pcfmcp__free(o->ca_file);
    for (size_t i = 0; i < o->nscopes; i++)
        pcfmcp__free(o->scopes[i]);
    pcfmcp__free(o->scopes);
    pcfmcp__free(o->scopes_text);
    pcfmcp__free(o);
}

/* Deep copy, sharing nothing with @p src, so either can be freed first. */
static oauth_conf *oauth_copy(const oauth_conf *src)
{
    oauth_conf *o = pcfmcp__calloc(1, sizeof(*o));
    if (!o)
        return NULL;
    atomic_init(&o->refs, 1);
    o->skew_s = src->skew_s;
    o->max_lifetime_s = src->max_lifetime_s;
    o->ttl_s = src->ttl_s;
    o->min_refetch_s = src->min_refetch_s;
    o->timeout_ms = src->timeout_ms;
    o->max_bytes = src->max_bytes;
    bool ok = true;
#define COPY(f) ok = ok && (!src->f || (o->f = pcfmcp__strdup(src->f)))
    COPY(issuer);
    COPY(audience);
    COPY(jwks_url);
    COPY(ca_file);
    COPY(scopes_text);
#undef COPY
    if (ok && src->nscopes) {
        o->scopes = pcfmcp__calloc(src->nscopes, sizeof(char *));
        ok = o->scopes != NULL;
        for (size_t i = 0; ok && i < src->nscopes; i++) {
            ok = (o->scopes[i] = pcfmcp__strdup(src->scopes[i])) != NULL;
            o->nscopes = i + 1;
        }
    }
    if (!ok) {
        oauth_unref(o);
        return NULL;
    }
    return o;
}

typedef struct {
    pcfmcp__keyset *keys;
    oauth_conf *oauth;
    pcfmcp__jwkset *jwks;
} snapshot;

static void acquire(pcfmcp_auth_t *a, snapshot *s)
{
    pthread_mutex_lock(&a->swap_lock);
    s->keys = a->keys;
    if (s->keys)
        atomic_fetch_add(&s->keys->refs, 1);
    s->oauth = oauth_ref(a->oauth);
    s->jwks = pcfmcp__jwkset_ref(a->jwks);
    pthread_mutex_unlock(&a->swap_lock);
}

static void release(snapshot *s)
{
    pcfmcp__keyset_unref(s->keys);
    oauth_unref(s->oauth);
    pcfmcp__jwkset_unref(s->jwks);
}

/* Fetched keys belong to the URL they came from; static ones to nobody. */
static bool jwks_usable(const pcfmcp__jwkset *set, const oauth_conf *o)
{
    return set && (!set->source_url || (o->jwks_url && strcmp(set->source_url, o->jwks_url) == 0));
}

static void publish_oauth(pcfmcp_auth_t *a, oauth_conf *o)
{
    pthread_mutex_lock(&a->swap_lock);
    oauth_conf *old = a->oauth;
    a->oauth = o;
    pthread_mutex_unlock(&a->swap_lock);
    oauth_unref(old);
}

static void publish_jwks(pcfmcp_auth_t *a, pcfmcp__jwkset *set)
{
    pthread_mutex_lock(&a->swap_lock);
    pcfmcp__jwkset *old = a->jwks;
    a->jwks = set;
    pthread_mutex_unlock(&a->swap_lock);
    pcfmcp__jwkset_unref(old);
}

/* --------------------------------------------------------------- errors */

/* Fails with the collected problems, without the final newline. */
static pcfmcp_error_t fail_with(pcfmcp_auth_t *a, pcfmcp_error_t rc, const pcfmcp__buf *b,
                                const char *fallback)
{
    if (!pcfmcp__buf_ok(b) || !b->len)
        return pcfmcp__fail(a, rc, "%s", fallback);
    size_t n = b->len;
    while (n && b->data[n - 1] == '\n')
        n--;
    return pcfmcp__fail(a, rc, "%.*s", (int)n, b->data);
}

/* Logs each line of @p b as its own warning. */
static void log_lines(pcfmcp_auth_t *a, const pcfmcp__buf *b)
{
    if (!b->len || !pcfmcp__buf_ok(b))
        return;
    for (const char *p = b->data; *p;) {
        const char *nl = strchr(p, '\n');
        size_t n = nl ? (size_t)(nl - p) : strlen(p);
        PCFMCP_LOG(a->lg, PCFMCP_LOG_WARN, "auth", "%.*s", (int)n, p);
        p += n + (nl ? 1 : 0);
    }
}

/* --------------------------------------------------------- construction */

PCFMCP_API pcfmcp_error_t pcfmcp_auth_new(pcfmcp_auth_t **out, pcfmcp_logger_t *logger)
{
    if (!out)
        return PCFMCP_ERR_INVALID_ARG;
    pcfmcp_auth_t *a = pcfmcp__calloc(1, sizeof(*a));
    oauth_conf *o = pcfmcp__calloc(1, sizeof(*o));
    if (!a || !o) {
        pcfmcp__free(a);
        pcfmcp__free(o);
        return PCFMCP_ERR_NOMEM;
    }
    atomic_init(&o->refs, 1);
    o->skew_s = 60;
    o->max_lifetime_s = 86400;
    o->ttl_s = 300;
    o->min_refetch_s = 30;
    o->timeout_ms = 5000;
    o->max_bytes = 256 * 1024;
    a->oauth = o;
    a->lg = pcfmcp_logger_ref(logger);
    pthread_mutex_init(&a->conf_lock, NULL);
    pthread_mutex_init(&a->swap_lock, NULL);
    pthread_mutex_init(&a->fetch_lock, NULL);
    atomic_init(&a->last_fetch_ms, 0);
    *out = a;
    return PCFMCP_OK;
}

PCFMCP_API void pcfmcp_auth_free(pcfmcp_auth_t *a)
{
    if (!a)
        return;
    pcfmcp__keyset_unref(a->keys);
    oauth_unref(a->oauth);
    pcfmcp__jwkset_unref(a->jwks);
    pthread_mutex_destroy(&a->conf_lock);
    pthread_mutex_destroy(&a->swap_lock);
    pthread_mutex_destroy(&a->fetch_lock);
    pcfmcp_logger_unref(a->lg);
    pcfmcp__free(a);
}

PCFMCP_API const char *pcfmcp_auth_errmsg(const pcfmcp_auth_t *a)
{
    if (!a)
        return "no authenticator";
    return pcfmcp__errmsg(a);
}

/* ------------------------------------------------------------- API keys */

/* Caller holds conf_lock. */
static pcfmcp_error_t prepare_keys_locked(pcfmcp_auth_t *a, const char *path, pcfmcp__keyset **out)
{
    char *text = NULL;
    size_t len = 0;
    pcfmcp_error_t rc = PCFMCP_OK;
    int err = pcfmcp__read_file(path, PCFMCP__KEYS_FILE_MAX, false, &text, &len);
    if (err == ENOMEM) {
        rc = pcfmcp__fail(a, PCFMCP_ERR_NOMEM, "out of memory");
    } else if (err) {
        rc = pcfmcp__fail(a, err == EFBIG ? PCFMCP_ERR_LIMIT : PCFMCP_ERR_IO,
                          "%s: cannot read: %s", path,
                          err == EFBIG ? "larger than 1 MiB" : strerror(err));
    } else {
        pcfmcp__buf errors;
        pcfmcp__buf_init(&errors);
        rc = pcfmcp__auth_parse_keys(text, len, path, &errors, out);
        pcfmcp__free(text);
        if (rc != PCFMCP_OK)
            fail_with(a, rc, &errors,
                      rc == PCFMCP_ERR_NOMEM ? "out of memory" : "invalid keys file");
        pcfmcp__buf_free(&errors);
    }
    return rc;
}

pcfmcp_error_t pcfmcp__auth_prepare_api_keys(pcfmcp_auth_t *a, const char *path,
                                            pcfmcp__keyset **out)
{
    pthread_mutex_lock(&a->conf_lock);
    pcfmcp_error_t rc = prepare_keys_locked(a, path, out);
    pthread_mutex_unlock(&a->conf_lock);
    return rc;
}

size_t pcfmcp__auth_install_api_keys(pcfmcp_auth_t *a, pcfmcp__keyset *ks, const char *path)
{
    size_t n = ks ? ks->n : 0;
    pthread_mutex_lock(&a->swap_lock);
    pcfmcp__keyset *old = a->keys;
    a->keys = ks;
    pthread_mutex_unlock(&a->swap_lock);
    pcfmcp__keyset_unref(old);
    if (path)
        PCFMCP_LOG(a->lg, PCFMCP_LOG_INFO, "auth", "loaded %zu API keys from %s", n, path);
    else
        PCFMCP_LOG(a->lg, PCFMCP_LOG_INFO, "auth", "API keys removed");
    return n;
}

PCFMCP_API pcfmcp_error_t pcfmcp_auth_load_api_keys(pcfmcp_auth_t *a, const char *path,
                                                    size_t *out_count)
{
    if (!a || (path && !path[0]))
        return PCFMCP_ERR_INVALID_ARG;
    pcfmcp__keyset *ks = NULL;
    /* conf_lock across both halves keeps concurrent loads in order. */
    pthread_mutex_lock(&a->conf_lock);
    pcfmcp_error_t rc = path ? prepare_keys_locked(a, path, &ks) : PCFMCP_OK;
    if (rc == PCFMCP_OK) {
        size_t n = pcfmcp__auth_install_api_keys(a, ks, path);
        if (out_count)
            *out_count = n;
    }
    pthread_mutex_unlock(&a->conf_lock);
    return rc;
}

/* ---------------------------------------------------------------- OAuth */

static bool printable_text(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > TEXT_MAX || !pcfmcp__utf8_valid(s, n, NULL))
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7F)
            return false;
    return true;
}

/* Splits a space-separated scope list into o->scopes. */
static pcfmcp_error_t parse_required_scopes(pcfmcp_auth_t *a, oauth_conf *o, const char *list)
{
    pcfmcp__buf text;
    pcfmcp__buf_init(&text);
    for (const char *p = list; *p;) {
        while (*p == ' ')
            p++;
        const char *e = p;
        while (*e && *e != ' ')
            e++;
        size_t n = (size_t)(e - p);
        if (n) {
            if (!pcfmcp__scope_token_valid(p, n)) {
                pcfmcp__fail(a, PCFMCP_ERR_CONFIG,
                             "scope \"%.*s\" holds characters OAuth does not allow", (int)n, p);
                pcfmcp__buf_free(&text);
                return PCFMCP_ERR_CONFIG;
            }
            if (o->nscopes >= SCOPES_REQUIRED_MAX) {
                pcfmcp__fail(a, PCFMCP_ERR_CONFIG, "more than %d required scopes",
                             SCOPES_REQUIRED_MAX);
                pcfmcp__buf_free(&text);
                return PCFMCP_ERR_CONFIG;
            }
            char *sc = pcfmcp__strndup(p, n);
            if (!sc) {
                pcfmcp__buf_free(&text);
                return PCFMCP_ERR_NOMEM;
            }
            o->scopes[o->nscopes++] = sc;
            if (text.len)
                pcfmcp__buf_putc(&text, ' ');
            pcfmcp__buf_append(&text, p, n);
        }
        p = e;
    }
    if (text.len > PCFMCP_AUTH_SCOPES_MAX - 1) {
        pcfmcp__fail(a, PCFMCP_ERR_CONFIG, "required scopes longer than %d bytes",
                     PCFMCP_AUTH_SCOPES_MAX - 1);
        pcfmcp__buf_free(&text);
        return PCFMCP_ERR_CONFIG;
    }
    if (!text.len) {
        pcfmcp__buf_free(&text);
        return PCFMCP_OK;
    }
    if (!(o->scopes_text = pcfmcp__buf_steal(&text, NULL)))
        return PCFMCP_ERR_NOMEM;
    return PCFMCP_OK;
}

static bool same(const char *x, const char *y)
{
    return (!x && !y) || (x && y && strcmp(x, y) == 0);
}

PCFMCP_API pcfmcp_error_t pcfmcp_auth_set_oauth(pcfmcp_auth_t *a, const char *issuer,
                                                const char *audience, const char *jwks_url,
                                                const char *required_scopes)
{
    if (!a)
        return PCFMCP_ERR_INVALID_ARG;
    if (jwks_url && !jwks_url[0])
        jwks_url = NULL;
    if (required_scopes && !required_scopes[0])
        required_scopes = NULL;
    if (!issuer && (audience || jwks_url || required_scopes))
        return PCFMCP_ERR_INVALID_ARG;
    pthread_mutex_lock(&a->conf_lock);
    pcfmcp_error_t rc = PCFMCP_ERR_CONFIG;
    char why[160] = "";
    oauth_conf *o = NULL;
    if (issuer && !printable_text(issuer)) {
        pcfmcp__fail(a, rc, "OAuth issuer must be 1 to %d printable characters", TEXT_MAX);
        goto out;
    }
    if (issuer && (!audience || !printable_text(audience))) {
        pcfmcp__fail(a, rc,
                     "OAuth audience (this server's canonical URL) must be 1 to %d printable "
                     "characters",
                     TEXT_MAX);
        goto out;
    }
    if (jwks_url && (strlen(jwks_url) > TEXT_MAX || !pcfmcp__jwks_url_ok(jwks_url, why, sizeof(why)))) {
        pcfmcp__fail(a, rc, "%s", why[0] ? why : "JWKS URL too long");
        goto out;
    }
    rc = PCFMCP_ERR_NOMEM;
    if (!(o = oauth_copy(a->oauth)))
        goto out;
    pcfmcp__free(o->issuer);
    pcfmcp__free(o->audience);
    pcfmcp__free(o->jwks_url);
    pcfmcp__free(o->scopes_text);
    for (size_t i = 0; i < o->nscopes; i++)
        pcfmcp__free(o->scopes[i]);
    pcfmcp__free(o->scopes);
    o->issuer = o->audience = o->jwks_url = o->scopes_text = NULL;
    o->scopes = NULL;
    o->nscopes = 0;
    if ((issuer && !(o->issuer = pcfmcp__strdup(issuer))) ||
        (audience && !(o->audience = pcfmcp__strdup(audience))) ||
        (jwks_url && !(o->jwks_url = pcfmcp__strdup(jwks_url))) ||
        !(o->scopes = pcfmcp__calloc(SCOPES_REQUIRED_MAX, sizeof(char *))))
        goto out;
    if (required_scopes && (rc = parse_required_scopes(a, o, required_scopes)) != PCFMCP_OK)
        goto out;
    /* A new key source must not inherit the old one's rate-limit pause. */
    if (!same(a->oauth->jwks_url, o->jwks_url) || !same(a->oauth->issuer, o->issuer))
        atomic_store(&a->last_fetch_ms, 0);
    publish_oauth(a, o);
    o = NULL;
    rc = PCFMCP_OK;
    if (issuer)
        PCFMCP_LOG(a->lg, PCFMCP_LOG_INFO, "auth", "OAuth access tokens from %s accepted for %s",
                   issuer, audience);
out:
    oauth_unref(o);
    if (rc == PCFMCP_ERR_NOMEM) /* only allocations fail with it, all without a word */
        pcfmcp__fail(a, rc, "out of memory");
    pthread_mutex_unlock(&a->conf_lock);
    return rc;
}

typedef enum { EDIT_CA_FILE, EDIT_SKEW, EDIT_LIFETIME, EDIT_LIMITS } edit_what;

/* Copies the current settings, changes one group, publishes the copy. */
static pcfmcp_error_t edit_oauth(pcfmcp_auth_t *a, edit_what what, const char *path,
                                 unsigned skew, const unsigned *limits, size_t max_bytes)
{
    pthread_mutex_lock(&a->conf_lock);
    pcfmcp_error_t rc = PCFMCP_ERR_NOMEM;
    oauth_conf *o = oauth_copy(a->oauth);
    if (!o)
        goto out;
    switch (what) {
    case EDIT_CA_FILE:
        pcfmcp__free(o->ca_file);
        o->ca_file = NULL;
        if (path && !(o->ca_file = pcfmcp__strdup(path)))
            goto out;
        break;
    case EDIT_SKEW:
        o->skew_s = skew;
        break;
    case EDIT_LIFETIME:
        o->max_lifetime_s = skew;
        break;
    case EDIT_LIMITS:
        o->ttl_s = limits[0];
        o->min_refetch_s = limits[1];
        o->timeout_ms = limits[2];
        o->max_bytes = max_bytes;
        break;
    }
    publish_oauth(a, o);
    o = NULL;
    rc = PCFMCP_OK;
out:
    oauth_unref(o);
    if (rc != PCFMCP_OK)
        pcfmcp__fail(a, rc, "out of memory");
    pthread_mutex_unlock(&a->conf_lock);
    return rc;
}

PCFMCP_API pcfmcp_error_t pcfmcp_auth_set_jwks_ca_file(pcfmcp_auth_t *a, const char *path)
{
    if (!a)
        return PCFMCP_ERR_INVALID_ARG;
    if (path && !path[0])
        path = NULL;
    if (path && access(path, R_OK) != 0) {
        int e = errno;
        return pcfmcp__fail(a, PCFMCP_ERR_CONFIG, "%s: cannot read: %s", path, strerror(e));
    }
    return edit_oauth(a, EDIT_CA_FILE, path, 0, NULL, 0);
}

PCFMCP_API pcfmcp_error_t pcfmcp_auth_set_clock_skew(pcfmcp_auth_t *a, unsigned seconds)
{
    if (!a || seconds > 600)
        return PCFMCP_ERR_INVALID_ARG;
    return edit_oauth(a, EDIT_SKEW, NULL, seconds, NULL, 0);
}

PCFMCP_API pcfmcp_error_t pcfmcp_auth_set_max_token_lifetime(pcfmcp_auth_t *a, unsigned seconds)
{
    if (!a || seconds > 366u * 86400u)
        return PCFMCP_ERR_INVALID_ARG;
    return edit_oauth(a, EDIT_LIFETIME, NULL, seconds, NULL, 0);
}

PCFMCP_API pcfmcp_error_t pcfmcp_auth_set_jwks_limits(pcfmcp_auth_t *a, unsigned ttl_seconds,
                                                      unsigned min_refetch_seconds,
                                                      unsigned timeout_ms, size_t max_bytes)
{
    if (!a || ttl_seconds > 7 * 86400 || min_refetch_seconds > 86400 || timeout_ms < 1 ||
        timeout_ms > 600000 || max_bytes < 64 || max_bytes > 16 * 1024 * 1024)
        return PCFMCP_ERR_INVALID_ARG;
    unsigned limits[3] = { ttl_seconds, min_refetch_seconds, timeout_ms };
    return edit_oauth(a, EDIT_LIMITS, NULL, 0, limits, max_bytes);
}

PCFMCP_API pcfmcp_error_t pcfmcp_auth_set_jwks_json(pcfmcp_auth_t *a, const char *jwks_json)
{
    if (!a || !jwks_json)
        return PCFMCP_ERR_INVALID_ARG;
    pthread_mutex_lock(&a->conf_lock);
    pcfmcp__buf errors, warnings;
    pcfmcp__buf_init(&errors);
    pcfmcp__buf_init(&warnings);
    pcfmcp__jwkset *set = NULL;
    pcfmcp_error_t rc = pcfmcp__jwks_parse(jwks_json, strlen(jwks_json), &errors, &warnings, &set);
    if (rc == PCFMCP_OK) {
        set->fetched_ms = pcfmcp__now_ms();
        publish_jwks(a, set);
        log_lines(a, &warnings);
        PCFMCP_LOG(a->lg, PCFMCP_LOG_INFO, "auth", "installed %zu token signing keys", set->n);
    } else {
        fail_with(a, rc, &errors, rc == PCFMCP_ERR_NOMEM ? "out of memory" : "invalid JWKS");
    }
    pcfmcp__buf_free(&errors);
    pcfmcp__buf_free(&warnings);
    pthread_mutex_unlock(&a->conf_lock);
    return rc;
}

/* --------------------------------------------------------- JWKS refresh */

typedef enum { REFRESH_WAIT, REFRESH_IF_IDLE } refresh_mode;

/* Brings s->jwks up to date from the JWKS URL if the rate limit allows,
 * replacing the snapshot's reference when newer keys exist. Returns true
 * if it did. */
static bool refresh(pcfmcp_auth_t *a, snapshot *s, refresh_mode mode)
{
    const oauth_conf *o = s->oauth;
    if (mode == REFRESH_WAIT)
        pthread_mutex_lock(&a->fetch_lock);
    else if (pthread_mutex_trylock(&a->fetch_lock) != 0)
        return false;
    /* Whoever held the lock before us may have fetched already. */
    pthread_mutex_lock(&a->swap_lock);
    pcfmcp__jwkset *cur = pcfmcp__jwkset_ref(a->jwks);
    pthread_mutex_unlock(&a->swap_lock);
    if (cur && cur != s->jwks && jwks_usable(cur, o) &&
        (!s->jwks || cur->fetched_ms > s->jwks->fetched_ms)) {
        pcfmcp__jwkset_unref(s->jwks);
        s->jwks = cur;
        pthread_mutex_unlock(&a->fetch_lock);
        return true;
    }
    pcfmcp__jwkset_unref(cur);
    uint64_t now = pcfmcp__now_ms();
    uint64_t last = atomic_load(&a->last_fetch_ms);
    if (last && now - last < (uint64_t)o->min_refetch_s * 1000u) {
        pthread_mutex_unlock(&a->fetch_lock);
        return false;
    }
    atomic_store(&a->last_fetch_ms, now ? now : 1);
    char *body = NULL;
    size_t len = 0;
    char why[WHY_MAX];
    why[0] = '\0';
    pcfmcp_error_t rc = pcfmcp__jwks_fetch(o->jwks_url, o->ca_file, o->timeout_ms, o->max_bytes,
                                           &body, &len, why, sizeof(why));
    pcfmcp__jwkset *set = NULL;
    if (rc == PCFMCP_OK) {
        pcfmcp__buf errors, warnings;
        pcfmcp__buf_init(&errors);
        pcfmcp__buf_init(&warnings);
        rc = pcfmcp__jwks_parse(body, len, &errors, &warnings, &set);
        if (rc == PCFMCP_OK && !(set->source_url = pcfmcp__strdup(o->jwks_url))) {
            pcfmcp__jwkset_unref(set);
            set = NULL;
            rc = PCFMCP_ERR_NOMEM;
        }
        if (rc == PCFMCP_OK) {
            log_lines(a, &warnings);
        } else {
            size_t n = errors.len && pcfmcp__buf_ok(&errors) ? errors.len - 1 : 0;
            snprintf(why, sizeof(why), "%.*s", (int)n, n ? errors.data : "out of memory");
        }
        pcfmcp__buf_free(&errors);
        pcfmcp__buf_free(&warnings);
        pcfmcp__free(body);
    }
    if (rc != PCFMCP_OK) {
        PCFMCP_LOG(a->lg, PCFMCP_LOG_WARN, "auth", "fetching token signing keys from %s failed: %s",
                   o->jwks_url, why);
        pthread_mutex_unlock(&a->fetch_lock);
        return false;
    }
    set->fetched_ms = pcfmcp__now_ms();
    PCFMCP_LOG(a->lg, PCFMCP_LOG_INFO, "auth", "fetched %zu token signing keys from %s", set->n,
               o->jwks_url);
    /* Published only if the URL is still the configured one; either way
     * this check uses what it fetched. */
    pthread_mutex_lock(&a->swap_lock);
    pcfmcp__jwkset *old = NULL;
    if (a->oauth->jwks_url && strcmp(a->oauth->jwks_url, o->jwks_url) == 0) {
        old = a->jwks;
        a->jwks = pcfmcp__jwkset_ref(set);
    }
    pthread_mutex_unlock(&a->swap_lock);
    pcfmcp__jwkset_unref(old);
    pcfmcp__jwkset_unref(s->jwks);
    s->jwks = set;
    pthread_mutex_unlock(&a->fetch_lock);
    return true;
}

/* ---------------------------------------------------------------- check */

static pcfmcp_auth_verdict_t find_key(pcfmcp_auth_t *a, snapshot *s, const pcfmcp__jwt *jwt,
                                      const pcfmcp__jwk **key, const char **why)
{
    const oauth_conf *o = s->oauth;
    if (!jwks_usable(s->jwks, o)) {
        pcfmcp__jwkset_unref(s->jwks);
        s->jwks = NULL;
    }
    if (o->jwks_url) {
        if (!s->jwks)
            refresh(a, s, REFRESH_WAIT);
        else if (pcfmcp__now_ms() - s->jwks->fetched_ms >= (uint64_t)o->ttl_s * 1000u)
            refresh(a, s, REFRESH_IF_IDLE);
    }
    if (!s->jwks) {
        *why = o->jwks_url ? "token signing keys unavailable" : "no token signing keys configured";
        return PCFMCP_AUTH_UNAVAILABLE;
    }
    pcfmcp__jwk_status st = pcfmcp__jwks_find(s->jwks, jwt->kid, jwt->alg, key);
    if (st == PCFMCP__JWK_UNKNOWN && o->jwks_url) {
        /* Keys rotate: an unknown kid may be a new key. The rate limit in
         * refresh() keeps made-up kids from turning into fetches. */
        if (refresh(a, s, REFRESH_WAIT))
            st = pcfmcp__jwks_find(s->jwks, jwt->kid, jwt->alg, key);
    }
    switch (st) {
    case PCFMCP__JWK_FOUND:
        return PCFMCP_AUTH_ALLOW;
    case PCFMCP__JWK_UNKNOWN:
        *why = "token signed by an unknown key";
        break;
    case PCFMCP__JWK_AMBIGUOUS:
        *why = "token has no kid and several keys fit";
        break;
    case PCFMCP__JWK_WRONG_TYPE:
        *why = "token alg does not match its key";
        break;
    }
    return PCFMCP_AUTH_INVALID;
}

static pcfmcp_auth_verdict_t check_jwt(pcfmcp_auth_t *a, snapshot *s, const char *tok,
                                       size_t len, char *identity, size_t identity_len,
                                       char *scopes, size_t scopes_len, const char **why)
{
    pcfmcp__jwt jwt;
    pcfmcp_auth_verdict_t v = pcfmcp__jwt_parse(tok, len, &jwt, why);
    if (v != PCFMCP_AUTH_ALLOW)
        return v;
    const pcfmcp__jwk *key = NULL;
    v = find_key(a, s, &jwt, &key, why);
    if (v == PCFMCP_AUTH_ALLOW && !pcfmcp__jwt_verify(&jwt, key)) {
        *why = "token signature is invalid";
        v = PCFMCP_AUTH_INVALID;
    }
    if (v == PCFMCP_AUTH_ALLOW) {
        const oauth_conf *o = s->oauth;
        pcfmcp__jwt_policy pol = {
            .issuer = o->issuer,
            .audience = o->audience,
            .scopes = o->scopes,
            .nscopes = o->nscopes,
            .skew = o->skew_s,
            .max_lifetime = o->max_lifetime_s,
            .now = (int64_t)(pcfmcp__wall_ms() / 1000u),
        };
        v = pcfmcp__jwt_claims(&jwt, &pol, identity, identity_len, scopes, scopes_len, why);
    }
    pcfmcp__jwt_clear(&jwt);
    return v;
}

static bool looks_like_jwt(const char *tok, size_t len)
{
    size_t dots = 0;
    for (size_t i = 0; i < len; i++)
        dots += tok[i] == '.';
    return dots == 2;
}

static pcfmcp_auth_verdict_t check(pcfmcp_auth_t *a, const char *authorization, char *identity,
                                   size_t identity_len, char *scopes, size_t scopes_len,
                                   const char **why)
{
    const char *tok = NULL;
    size_t len = 0;
    switch (pcfmcp__auth_bearer(authorization, &tok, &len)) {
    case PCFMCP__BEARER_OK:
        break;
    case PCFMCP__BEARER_MISSING:
        *why = authorization && authorization[strspn(authorization, " \t")]
                   ? "not a Bearer credential"
                   : "no credentials";
        return PCFMCP_AUTH_MISSING;
    case PCFMCP__BEARER_MALFORMED:
        *why = "malformed Bearer credential";
        return PCFMCP_AUTH_INVALID;
    case PCFMCP__BEARER_TOO_LONG:
        *why = "Bearer credential too long";
        return PCFMCP_AUTH_INVALID;
    }
    snapshot s;
    acquire(a, &s);
    pcfmcp_auth_verdict_t v = PCFMCP_AUTH_INVALID;
    bool oauth = s.oauth->issuer != NULL;
    long hit = s.keys ? pcfmcp__keyset_match(s.keys, tok, len) : -1;
    if (hit >= 0) {
        const char *name = s.keys->keys[hit].name;
        if (identity_len < 4 + strlen(name) + 1) {
            *why = "identity buffer too small";
        } else {
            snprintf(identity, identity_len, "key:%s", name);
            *why = "API key accepted";
            v = PCFMCP_AUTH_ALLOW;
        }
    } else if (oauth && looks_like_jwt(tok, len)) {
        v = check_jwt(a, &s, tok, len, identity, identity_len, scopes, scopes_len, why);
    } else if (!s.keys && !oauth) {
        *why = "no authentication method configured";
    } else {
        *why = s.keys ? "unknown API key" : "not an access token";
    }
    release(&s);
    return v;
}

PCFMCP_API pcfmcp_auth_verdict_t pcfmcp_auth_check(pcfmcp_auth_t *a, const char *authorization,
                                                   char *identity, size_t identity_len,
                                                   char *scopes, size_t scopes_len, char *detail,
                                                   size_t detail_len)
{
    if (identity && identity_len)
        identity[0] = '\0';
    if (scopes && scopes_len)
        scopes[0] = '\0';
    if (detail && detail_len)
        detail[0] = '\0';
    const char *why = "invalid arguments";
    pcfmcp_auth_verdict_t v = PCFMCP_AUTH_INVALID;
    if (a && (identity || !identity_len) && (scopes || !scopes_len) && (detail || !detail_len))
        v = check(a, authorization, identity, identity_len, scopes, scopes_len, &why);
    if (v != PCFMCP_AUTH_ALLOW && identity && identity_len)
        identity[0] = '\0';
    if (v != PCFMCP_AUTH_ALLOW && scopes && scopes_len)
        scopes[0] = '\0';
    if (detail && detail_len)
        snprintf(detail, detail_len, "%s", why);
    return v;
}

/* -------------------------------------------------------------- answers */

static bool header_safe(const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if (c < 0x20 || c >= 0x7F || c == '"' || c == '\\')
            return false;
    }
    return true;
}

PCFMCP_API pcfmcp_error_t pcfmcp_auth_www_authenticate(const pcfmcp_auth_t *auth,
                                                       pcfmcp_auth_verdict_t v,
                                                       const char *url, char **out)
{
    if (!auth || !out || (url && (!url[0] || !header_safe(url))))
        return PCFMCP_ERR_INVALID_ARG;
    const char *error = NULL;
    bool with_scope = false;
    switch (v) {
    case PCFMCP_AUTH_MISSING:
        with_scope = true;
        break;
    case PCFMCP_AUTH_INVALID:
    case PCFMCP_AUTH_EXPIRED:
        error = "invalid_token";
        break;
    case PCFMCP_AUTH_INSUFFICIENT_SCOPE:
        error = "insufficient_scope";
        with_scope = true;
        break;
    case PCFMCP_AUTH_ALLOW:
    case PCFMCP_AUTH_UNAVAILABLE:
    default:
        return PCFMCP_ERR_INVALID_ARG;
    }
    snapshot s;
    acquire((pcfmcp_auth_t *)auth, &s);
    pcfmcp__buf b;
    pcfmcp__buf_init(&b);
    pcfmcp__buf_puts(&b, "Bearer realm=\"" REALM "\"");
    if (error)
        pcfmcp__buf_printf(&b, ", error=\"%s\"", error);
    /* Scope tokens exclude '"' and '\', so they need no escaping. */
    if (with_scope && s.oauth->issuer && s.oauth->scopes_text)
        pcfmcp__buf_printf(&b, ", scope=\"%s\"", s.oauth->scopes_text);
    if (url)
        pcfmcp__buf_printf(&b, ", resource_metadata=\"%s\"", url);
    release(&s);
    char *str = pcfmcp__buf_steal(&b, NULL);
    if (!str)
        return PCFMCP_ERR_NOMEM;
    *out = str;
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_auth_resource_metadata(const pcfmcp_auth_t *auth,
                                                        const char *resource_url, char **out)
{
    if (!auth || !out || (resource_url && !printable_text(resource_url)))
        return PCFMCP_ERR_INVALID_ARG;
    snapshot s;
    acquire((pcfmcp_auth_t *)auth, &s);
    const oauth_conf *o = s.oauth;
    if (!o->issuer) {
        release(&s);
        return PCFMCP_ERR_STATE;
    }
    const char *res = resource_url ? resource_url : o->audience;
    pcfmcp__buf b;
    pcfmcp__buf_init(&b);
    pcfmcp__buf_puts(&b, "{\"resource\":");
    pcfmcp__buf_json_string(&b, res, strlen(res));
    pcfmcp__buf_puts(&b, ",\"authorization_servers\":[");
    pcfmcp__buf_json_string(&b, o->issuer, strlen(o->issuer));
    pcfmcp__buf_putc(&b, ']');
    if (o->nscopes) {
        pcfmcp__buf_puts(&b, ",\"scopes_supported\":[");
        for (size_t i = 0; i < o->nscopes; i++) {
            if (i)
                pcfmcp__buf_putc(&b, ',');
            pcfmcp__buf_json_string(&b, o->scopes[i], strlen(o->scopes[i]));
        }
        pcfmcp__buf_putc(&b, ']');
    }
    pcfmcp__buf_puts(&b, ",\"bearer_methods_supported\":[\"header\"]}");
    release(&s);
    char *str = pcfmcp__buf_steal(&b, NULL);
    if (!str)
        return PCFMCP_ERR_NOMEM;
    *out = str;
    return PCFMCP_OK;
}

PCFMCP_API int pcfmcp_auth_enabled(const pcfmcp_auth_t *auth)
{
    if (!auth)
        return 0;
    pcfmcp_auth_t *a = (pcfmcp_auth_t *)auth;
    pthread_mutex_lock(&a->swap_lock);
    int on = a->keys != NULL || a->oauth->issuer != NULL;
    pthread_mutex_unlock(&a->swap_lock);
    return on;
}

PCFMCP_API int pcfmcp_auth_oauth_enabled(const pcfmcp_auth_t *auth)
{
    if (!auth)
        return 0;
    pcfmcp_auth_t *a = (pcfmcp_auth_t *)auth;
    pthread_mutex_lock(&a->swap_lock);
    int on = a->oauth->issuer != NULL;
    pthread_mutex_unlock(&a->swap_lock);
    return on;
}

PCFMCP_API const char *pcfmcp_auth_verdict_name(pcfmcp_auth_verdict_t v)
{
    switch (v) {
    case PCFMCP_AUTH_ALLOW: return "allow";
    case PCFMCP_AUTH_MISSING: return "missing";
    case PCFMCP_AUTH_INVALID: return "invalid";
    case PCFMCP_AUTH_EXPIRED: return "expired";
    case PCFMCP_AUTH_INSUFFICIENT_SCOPE: return "insufficient_scope";
    case PCFMCP_AUTH_UNAVAILABLE: return "unavailable";
    }
    return "unknown";
}

PCFMCP_API int pcfmcp_auth_verdict_http_status(pcfmcp_auth_verdict_t v)
{
    switch (v) {
    case PCFMCP_AUTH_ALLOW: return 200;
    case PCFMCP_AUTH_MISSING:
    case PCFMCP_AUTH_INVALID:
    case PCFMCP_AUTH_EXPIRED: return 401;
    case PCFMCP_AUTH_INSUFFICIENT_SCOPE: return 403;
    case PCFMCP_AUTH_UNAVAILABLE: return 503;
    }
    return 401;
}
