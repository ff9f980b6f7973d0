#include "core/internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/util.h"
#include "hardening/auth_internal.h"

#define HASH_PREFIX "sha256:"
#define KEY_PREFIX "pcfmcp_"

/* ------------------------------------------------------------- parsing */

typedef struct {
    pcfmcp__buf *errors;
    const char *path;
    unsigned nerrors;
} problems;

static void problem(problems *p, size_t line, const char *fmt, ...) PCFMCP_PRINTF(3, 4);

static void problem(problems *p, size_t line, const char *fmt, ...)
{
    p->nerrors++;
    if (p->nerrors > PCFMCP__AUTH_MAX_ERRORS)
        return;
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    if (line)
        pcfmcp__buf_printf(p->errors, "%s:%zu: %s\n", p->path, line, msg);
    else
        pcfmcp__buf_printf(p->errors, "%s: %s\n", p->path, msg);
}

static bool name_char(char c)
{
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '_' || c == '@' || c == '-';
}

static bool is_blank(char c)
{
    return c == ' ' || c == '\t';
}

/* Line numbers ride along so duplicates can name both places. */
typedef struct {
    pcfmcp__apikey key;
    size_t line;
} parsed_key;

static int by_name(const void *a, const void *b)
{
    const parsed_key *x = a, *y = b;
    int c = strcmp(x->key.name, y->key.name);
    return c ? c : (x->line > y->line) - (x->line < y->line);
}

static int by_hash(const void *a, const void *b)
{
    const parsed_key *x = a, *y = b;
    int c = memcmp(x->key.hash, y->key.hash, sizeof(x->key.hash));
    return c ? c : (x->line > y->line) - (x->line < y->line);
}

void pcfmcp__keyset_unref(pcfmcp__keyset *ks)
{
    if (!ks || atomic_fetch_sub(&ks->refs, 1) != 1)
        return;
    for (size_t i = 0; i < ks->n; i++)
        pcfmcp__free(ks->keys[i].name);
    pcfmcp__free(ks->keys);
    pcfmcp__free(ks);
}

static void free_parsed(parsed_key *pk, size_t n)
{
    for (size_t i = 0; i < n; i++)
        pcfmcp__free(pk[i].key.name);
    pcfmcp__free(pk);
}

/* One non-blank line without its comment: "<name> sha256:<hex>". */
static pcfmcp_error_t parse_line(problems *pr, const char *s, size_t n, size_t line,
                                 parsed_key *out)
{
    size_t i = 0;
    while (i < n && !is_blank(s[i]))
        i++;
    size_t name_len = i;
    while (i < n && is_blank(s[i]))
        i++;
    size_t hash_at = i;
    while (i < n && !is_blank(s[i]))
        i++;
    size_t hash_len = i - hash_at;
    while (i < n && is_blank(s[i]))
        i++;
    if (hash_len == 0 || i != n) {
        problem(pr, line, "expected `<name> sha256:<64 hex digits>`");
        return PCFMCP_ERR_CONFIG;
    }
    if (name_len > PCFMCP__KEY_NAME_MAX) {
        problem(pr, line, "key name longer than %d characters", PCFMCP__KEY_NAME_MAX);
        return PCFMCP_ERR_CONFIG;
    }
    for (size_t k = 0; k < name_len; k++) {
        if (!name_char(s[k])) {
            problem(pr, line, "key name \"%.*s\" may only hold A-Z a-z 0-9 . _ @ -",
                    (int)name_len, s);
            return PCFMCP_ERR_CONFIG;
        }
    }
    const char *h = s + hash_at;
    size_t plen = strlen(HASH_PREFIX);
    if (hash_len < plen || memcmp(h, HASH_PREFIX, plen) != 0) {
        problem(pr, line, "key \"%.*s\": hash must start with sha256:", (int)name_len, s);
        return PCFMCP_ERR_CONFIG;
    }
    h += plen;
    hash_len -= plen;
    if (hash_len != 64) {
        problem(pr, line, "key \"%.*s\": expected 64 hex digits after sha256:, got %zu",
                (int)name_len, s, hash_len);
        return PCFMCP_ERR_CONFIG;
    }
    for (size_t k = 0; k < 32; k++) {
        int hi = pcfmcp__hexval(h[2 * k]), lo = pcfmcp__hexval(h[2 * k + 1]);
        if (hi < 0 || lo < 0) {
            problem(pr, line, "key \"%.*s\": hash is not hexadecimal", (int)name_len, s);
            return PCFMCP_ERR_CONFIG;
        }
        out->key.hash[k] = (unsigned char)(hi << 4 | lo);
    }
    out->key.name = pcfmcp__strndup(s, name_len);
    if (!out->key.name)
        return PCFMCP_ERR_NOMEM;
    out->line = line;
    return PCFMCP_OK;
}

/* Sorting copies the array so the error order stays the file order. */
static pcfmcp_error_t find_duplicates(problems *pr, const parsed_key *pk, size_t n)
{
    if (n < 2)
        return PCFMCP_OK;
    parsed_key *tmp = pcfmcp__malloc(n * sizeof(*tmp));
    if (!tmp)
        return PCFMCP_ERR_NOMEM;
    memcpy(tmp, pk, n * sizeof(*tmp));
    qsort(tmp, n, sizeof(*tmp), by_name);
    for (size_t i = 1; i < n; i++)
        if (strcmp(tmp[i].key.name, tmp[i - 1].key.name) == 0)
            problem(pr, tmp[i].line, "duplicate key name \"%s\" (first on line %zu)",
                    tmp[i].key.name, tmp[i - 1].line);
    qsort(tmp, n, sizeof(*tmp), by_hash);
    /* Two names for one key would make the caller's identity ambiguous. */
    for (size_t i = 1; i < n; i++)
        if (memcmp(tmp[i].key.hash, tmp[i - 1].key.hash, 32) == 0)
            problem(pr, tmp[i].line, "key \"%s\" has the same hash as \"%s\" (line %zu)",
                    tmp[i].key.name, tmp[i - 1].key.name, tmp[i - 1].line);
    pcfmcp__free(tmp);
    return PCFMCP_OK;
}

pcfmcp_error_t pcfmcp__auth_parse_keys(const char *text, size_t len, const char *path,
                                       pcfmcp__buf *errors, pcfmcp__keyset **out)
{
    problems pr = { .errors = errors, .path = path ? path : "(keys)" };
    parsed_key *pk = NULL;
    size_t n = 0, cap = 0;
    pcfmcp_error_t rc = PCFMCP_OK;
    size_t line = 0;
    for (size_t pos = 0; pos < len;) {
        line++;
        const char *s = text + pos;
        const char *nl = memchr(s, '\n', len - pos);
        size_t ll = nl ? (size_t)(nl - s) : len - pos;
        pos += ll + (nl ? 1 : 0);
        if (memchr(s, '\0', ll)) {
            problem(&pr, line, "contains a NUL byte");
            continue;
        }
        const char *hash = memchr(s, '#', ll);
        if (hash)
            ll = (size_t)(hash - s);
        while (ll && (is_blank(s[ll - 1]) || s[ll - 1] == '\r'))
            ll--;
        while (ll && is_blank(*s)) {
            s++;
            ll--;
        }
        if (ll == 0)
            continue;
        if (n >= PCFMCP__KEYS_MAX) {
            problem(&pr, line, "more than %d keys", PCFMCP__KEYS_MAX);
            rc = PCFMCP_ERR_LIMIT;
            break;
        }
        if (n == cap) {
            size_t ncap = cap ? cap * 2 : 16;
            parsed_key *np = pcfmcp__realloc(pk, ncap * sizeof(*np));
            if (!np) {
                rc = PCFMCP_ERR_NOMEM;
                break;
            }
            pk = np;
            cap = ncap;
        }
        pcfmcp_error_t r = parse_line(&pr, s, ll, line, &pk[n]);
        if (r == PCFMCP_ERR_NOMEM) {
            rc = r;
            break;
        }
        if (r == PCFMCP_OK)
            n++;
    }
    if (rc == PCFMCP_OK)
        rc = find_duplicates(&pr, pk, n);
    if (rc == PCFMCP_OK && pr.nerrors > PCFMCP__AUTH_MAX_ERRORS)
        pcfmcp__buf_printf(errors, "%s: %u more problems not shown\n", pr.path,
                           pr.nerrors - PCFMCP__AUTH_MAX_ERRORS);
    if (rc == PCFMCP_OK && pr.nerrors)
        rc = PCFMCP_ERR_CONFIG;
    if (rc != PCFMCP_OK) {
        free_parsed(pk, n);
        return rc;
    }
    pcfmcp__keyset *ks = pcfmcp__calloc(1, sizeof(*ks));
    pcfmcp__apikey *keys = n ? pcfmcp__malloc(n * sizeof(*keys)) : NULL;
    if (!ks || (n && !keys)) {
        pcfmcp__free(ks);
        pcfmcp__free(keys);
        free_parsed(pk, n);
        return PCFMCP_ERR_NOMEM;
    }
    for (size_t i = 0; i < n; i++)
        keys[i] = pk[i].key;
    pcfmcp__free(pk);
    atomic_init(&ks->refs, 1);
    ks->n = n;
    ks->keys = keys;
    *out = ks;
    return PCFMCP_OK;
}

long pcfmcp__keyset_match(const pcfmcp__keyset *ks, const char *token, size_t len)
{
    unsigned char digest[32];
    if (!ks || gnutls_hash_fast(GNUTLS_DIG_SHA256, token, len, digest) < 0)
        return -1;
    /* No early exit and a branch-free choice of the index: how long this
     * takes depends only on the number of keys. */
    size_t found = SIZE_MAX;
    for (size_t i = 0; i < ks->n; i++) {
        size_t mask = (size_t)0 - (size_t)pcfmcp__ct_equal(digest, 32, ks->keys[i].hash, 32);
        found = (found & ~mask) | (i & mask);
    }
    pcfmcp__secure_zero(digest, sizeof(digest));
    return found == SIZE_MAX ? -1 : (long)found;
}

/* -------------------------------------------------------------- bearer */

bool pcfmcp__auth_is_b64token(const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        char c = s[i];
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '.' || c == '_' || c == '~' || c == '+' || c == '/';
        if (!ok)
            break;
        i++;
    }
    if (i == 0)
        return false;
    while (i < n && s[i] == '=')
        i++;
    return i == n;
}

/* @p lower is lower-case ASCII. */
static bool caseeq_n(const char *s, const char *lower, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c + 32);
        if (c != lower[i])
            return false;
    }
    return true;
}

pcfmcp__bearer_status pcfmcp__auth_bearer(const char *h, const char **token, size_t *len)
{
    if (!h)
        return PCFMCP__BEARER_MISSING;
    while (is_blank(*h))
        h++;
    const char *scheme = h;
    while (*h && !is_blank(*h))
        h++;
    size_t slen = (size_t)(h - scheme);
    if (slen != 6 || !caseeq_n(scheme, "bearer", 6))
        return PCFMCP__BEARER_MISSING;
    while (is_blank(*h))
        h++;
    size_t n = strlen(h);
    while (n && is_blank(h[n - 1]))
        n--;
    if (n == 0)
        return PCFMCP__BEARER_MALFORMED;
    if (n > PCFMCP_AUTH_TOKEN_MAX)
        return PCFMCP__BEARER_TOO_LONG;
    if (!pcfmcp__auth_is_b64token(h, n))
        return PCFMCP__BEARER_MALFORMED;
    *token = h;
    *len = n;
    return PCFMCP__BEARER_OK;
}

/* ------------------------------------------------------------- helpers */

PCFMCP_API pcfmcp_error_t pcfmcp_auth_hash_key(const char *key, char **out)
{
    if (!key || !out)
        return PCFMCP_ERR_INVALID_ARG;
    size_t n = strlen(key);
    if (n < PCFMCP_AUTH_KEY_MIN || n > PCFMCP_AUTH_TOKEN_MAX || !pcfmcp__auth_is_b64token(key, n))
        return PCFMCP_ERR_INVALID_ARG;
    char hex[65];
    if (pcfmcp__sha256_hex(key, n, hex) != 0)
        return PCFMCP_ERR_TLS;
    char *s = pcfmcp__malloc(sizeof(HASH_PREFIX) + 64);
    if (!s)
        return PCFMCP_ERR_NOMEM;
    memcpy(s, HASH_PREFIX, sizeof(HASH_PREFIX) - 1);
    memcpy(s + sizeof(HASH_PREFIX) - 1, hex, 65);
    *out = s;
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_auth_generate_key(char **out)
{
    if (!out)
        return PCFMCP_ERR_INVALID_ARG;
    unsigned char raw[32];
    if (pcfmcp__random(raw, sizeof(raw)) != 0)
        return PCFMCP_ERR_TLS;
    size_t blen = 0;
    char *b = pcfmcp__base64url_encode(raw, sizeof(raw), &blen);
    pcfmcp__secure_zero(raw, sizeof(raw));
    if (!b)
        return PCFMCP_ERR_NOMEM;
    char *s = pcfmcp__malloc(sizeof(KEY_PREFIX) + blen);
    if (!s) {
        pcfmcp__secure_free(b);
        return PCFMCP_ERR_NOMEM;
    }
    memcpy(s, KEY_PREFIX, sizeof(KEY_PREFIX) - 1);
    memcpy(s + sizeof(KEY_PREFIX) - 1, b, blen + 1);
    pcfmcp__secure_free(b);
    *out = s;
    return PCFMCP_OK;
}
