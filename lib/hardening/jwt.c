#include "core/internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <gnutls/abstract.h>
#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/json.h"
#include "core/util.h"
#include "hardening/auth_internal.h"

#define HEADER_MAX 2048 /* encoded JOSE header; real ones are ~100 bytes */
#define HEADER_MEMBERS_MAX 32
#define SUB_MAX 200 /* "jwt:" + sub fits PCFMCP_AUTH_IDENTITY_MAX */
#define RSA_MIN_BITS 2048
#define RSA_MAX_BITS 8192 /* verification cost grows with the modulus */

/* ------------------------------------------------------------ base64url */

static int b64url_val(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

typedef enum { B64_OK, B64_BAD, B64_NOMEM } b64_status;

/* Strict unpadded base64url (RFC 7515 2): only the URL alphabet and zero
 * leftover bits, so every value has exactly one encoding. Own decoder
 * because a syntax error and out of memory must lead to different verdicts. */
static b64_status b64url_decode(const char *s, size_t n, unsigned char **out, size_t *out_len)
{
    if (n % 4 == 1)
        return B64_BAD;
    unsigned char *d = pcfmcp__malloc(n / 4 * 3 + 3);
    if (!d)
        return B64_NOMEM;
    size_t k = 0;
    uint32_t acc = 0;
    unsigned bits = 0;
    for (size_t i = 0; i < n; i++) {
        int v = b64url_val(s[i]);
        if (v < 0) {
            pcfmcp__free(d);
            return B64_BAD;
        }
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            d[k++] = (unsigned char)(acc >> bits);
            acc &= (1u << bits) - 1;
        }
    }
    if (acc != 0) {
        pcfmcp__free(d);
        return B64_BAD;
    }
    *out = d;
    *out_len = k;
    return B64_OK;
}

/* ---------------------------------------------------------------- JWKS */

pcfmcp__jwkset *pcfmcp__jwkset_ref(pcfmcp__jwkset *set)
{
    if (set)
        atomic_fetch_add(&set->refs, 1);
    return set;
}

void pcfmcp__jwkset_unref(pcfmcp__jwkset *set)
{
    if (!set || atomic_fetch_sub(&set->refs, 1) != 1)
        return;
    for (size_t i = 0; i < set->n; i++) {
        pcfmcp__free(set->keys[i].kid);
        if (set->keys[i].pub)
            gnutls_pubkey_deinit(set->keys[i].pub);
    }
    pcfmcp__free(set->keys);
    pcfmcp__free(set->source_url);
    pcfmcp__free(set);
}

/* Decodes a base64url member into bytes without leading zero bytes. */
static b64_status member_bytes(const cJSON *jwk, const char *name, bool strip, unsigned char **out,
                               size_t *len)
{
    const char *s = pcfmcp__json_str(jwk, name);
    if (!s)
        return B64_BAD;
    unsigned char *d = NULL;
    size_t n = 0;
    b64_status st = b64url_decode(s, strlen(s), &d, &n);
    if (st != B64_OK)
        return st;
    size_t z = 0;
    while (strip && z + 1 < n && d[z] == 0)
        z++;
    if (z)
        memmove(d, d + z, n - z);
    *out = d;
    *len = n - z;
    return B64_OK;
}

static unsigned bit_length(const unsigned char *d, size_t n)
{
    if (n == 0)
        return 0;
    unsigned b = 0;
    for (unsigned char c = d[0]; c; c >>= 1)
        b++;
    return (unsigned)(n - 1) * 8 + b;
}

/* Imports one JWK. Returns 1 when used, 0 when skipped on purpose (another
 * type, use or algorithm), -1 when malformed (reason in *why), -2 on OOM. */
static int import_jwk(const cJSON *item, pcfmcp__jwk *k, const char **why)
{
    const char *kty = pcfmcp__json_str(item, "kty");
    const char *use = pcfmcp__json_str(item, "use");
    const char *alg = pcfmcp__json_str(item, "alg");
    const cJSON *kid = cJSON_GetObjectItemCaseSensitive(item, "kid");
    const cJSON *ops = pcfmcp__json_arr(item, "key_ops");
    if (!kty) {
        *why = "no kty";
        return -1;
    }
    if (kid && !cJSON_IsString(kid)) {
        *why = "kid is not a string";
        return -1;
    }
    if (use && strcmp(use, "sig") != 0)
        return 0;
    if (ops) {
        bool verify = false;
        const cJSON *op;
        cJSON_ArrayForEach(op, ops)
            verify |= cJSON_IsString(op) && strcmp(op->valuestring, "verify") == 0;
        if (!verify)
            return 0;
    }
    unsigned char *a = NULL, *b = NULL;
    size_t alen = 0, blen = 0;
    int rc = -1;
    if (strcmp(kty, "RSA") == 0) {
        if (alg && strcmp(alg, "RS256") != 0)
            return 0;
        b64_status s1 = member_bytes(item, "n", true, &a, &alen);
        b64_status s2 = s1 == B64_OK ? member_bytes(item, "e", true, &b, &blen) : B64_BAD;
        if (s1 == B64_NOMEM || s2 == B64_NOMEM) {
            rc = -2;
            goto out;
        }
        if (s1 != B64_OK || s2 != B64_OK) {
            *why = "RSA key without valid n and e";
            goto out;
        }
        unsigned bits = bit_length(a, alen);
        if (bits < RSA_MIN_BITS || bits > RSA_MAX_BITS) {
            *why = "RSA modulus not between 2048 and 8192 bits";
            goto out;
        }
        if (blen > 8 || (b[blen - 1] & 1) == 0 || (blen == 1 && b[0] < 3)) {
            *why = "RSA exponent is not a small odd number";
            goto out;
        }
        gnutls_datum_t m = { a, (unsigned)alen }, e = { b, (unsigned)blen };
        if (gnutls_pubkey_init(&k->pub) < 0) {
            rc = -2;
            goto out;
        }
        if (gnutls_pubkey_import_rsa_raw(k->pub, &m, &e) < 0) {
            *why = "GnuTLS refused the RSA key";
            goto out;
        }
        k->kty = PCFMCP__KTY_RSA;
        k->alg = alg ? PCFMCP__ALG_RS256 : PCFMCP__ALG_NONE;
        k->bits = bits;
    } else if (strcmp(kty, "EC") == 0) {
        const char *crv = pcfmcp__json_str(item, "crv");
        if (!crv || strcmp(crv, "P-256") != 0 || (alg && strcmp(alg, "ES256") != 0))
            return 0;
        b64_status s1 = member_bytes(item, "x", false, &a, &alen);
        b64_status s2 = s1 == B64_OK ? member_bytes(item, "y", false, &b, &blen) : B64_BAD;
        if (s1 == B64_NOMEM || s2 == B64_NOMEM) {
            rc = -2;
            goto out;
        }
        /* RFC 7518 6.2.1.2: coordinates are exactly the field size. */
        if (s1 != B64_OK || s2 != B64_OK || alen != 32 || blen != 32) {
            *why = "EC key without 32-byte x and y";
            goto out;
        }
        gnutls_datum_t x = { a, 32 }, y = { b, 32 };
        if (gnutls_pubkey_init(&k->pub) < 0) {
            rc = -2;
            goto out;
        }
        if (gnutls_pubkey_import_ecc_raw(k->pub, GNUTLS_ECC_CURVE_SECP256R1, &x, &y) < 0) {
            *why = "GnuTLS refused the EC key";
            goto out;
        }
        k->kty = PCFMCP__KTY_EC;
        k->alg = alg ? PCFMCP__ALG_ES256 : PCFMCP__ALG_NONE;
        k->bits = 256;
    } else {
        return 0;
    }
    /* Catches points off the curve and degenerate RSA parameters. */
    if (gnutls_pubkey_verify_params(k->pub) < 0) {
        *why = "key parameters are invalid";
        goto out;
    }
    if (kid && !(k->kid = pcfmcp__strdup(kid->valuestring))) {
        rc = -2;
        goto out;
    }
    rc = 1;
out:
    if (rc != 1 && k->pub) {
        gnutls_pubkey_deinit(k->pub);
        k->pub = NULL;
    }
    pcfmcp__free(a);
    pcfmcp__free(b);
    return rc;
}

pcfmcp_error_t pcfmcp__jwks_parse(const char *json, size_t len, pcfmcp__buf *errors,
                                  pcfmcp__buf *warnings, pcfmcp__jwkset **out)
{
    cJSON *root = NULL;
    size_t off = 0;
    pcfmcp__json_status st = pcfmcp__json_parse(json, len, 8, &root, &off);
    if (st == PCFMCP__JSON_NOMEM)
        return PCFMCP_ERR_NOMEM;
    if (st != PCFMCP__JSON_OK) {
        pcfmcp__buf_printf(errors, "JWKS is not JSON (%s at offset %zu)\n",
                           pcfmcp__json_status_text(st), off);
        return PCFMCP_ERR_CONFIG;
    }
    const cJSON *keys = pcfmcp__json_arr(root, "keys");
    int count = keys ? cJSON_GetArraySize(keys) : 0;
    if (!cJSON_IsObject(root) || !keys) {
        pcfmcp__buf_printf(errors, "JWKS is not an object with a \"keys\" array\n");
        cJSON_Delete(root);
        return PCFMCP_ERR_CONFIG;
    }
    if (count > PCFMCP__JWKS_MAX_KEYS) {
        pcfmcp__buf_printf(errors, "JWKS holds %d keys, more than %d\n", count,
                           PCFMCP__JWKS_MAX_KEYS);
        cJSON_Delete(root);
        return PCFMCP_ERR_LIMIT;
    }
    pcfmcp__jwkset *set = pcfmcp__calloc(1, sizeof(*set));
    if (!set || !(set->keys = pcfmcp__calloc((size_t)count + 1, sizeof(pcfmcp__jwk)))) {
        pcfmcp__free(set);
        cJSON_Delete(root);
        return PCFMCP_ERR_NOMEM;
    }
    atomic_init(&set->refs, 1);
    int idx = 0;
    const cJSON *item;
    cJSON_ArrayForEach(item, keys)
    {
        const char *why = "not an object";
        int r = cJSON_IsObject(item) ? import_jwk(item, &set->keys[set->n], &why) : -1;
        if (r == -2) {
            pcfmcp__jwkset_unref(set);
            cJSON_Delete(root);
            return PCFMCP_ERR_NOMEM;
        }
        if (r == 1)
            set->n++;
        if (r == -1) {
            const char *kid = cJSON_IsObject(item) ? pcfmcp__json_str(item, "kid") : NULL;
            pcfmcp__buf_printf(warnings, "JWKS key %d%s%.64s%s skipped: %s\n", idx,
                               kid ? " (kid \"" : "", kid ? kid : "", kid ? "\")" : "", why);
        }
        idx++;
    }
    cJSON_Delete(root);
    if (set->n == 0) {
        pcfmcp__buf_printf(errors, "JWKS holds no usable RS256 or ES256 signing key\n");
        pcfmcp__jwkset_unref(set);
        return PCFMCP_ERR_CONFIG;
    }
    *out = set;
    return PCFMCP_OK;
}

static pcfmcp__kty kty_of(pcfmcp__alg alg)
{
    return alg == PCFMCP__ALG_RS256 ? PCFMCP__KTY_RSA : PCFMCP__KTY_EC;
}

static bool fits(const pcfmcp__jwk *k, pcfmcp__alg alg)
{
    return k->kty == kty_of(alg) && (k->alg == PCFMCP__ALG_NONE || k->alg == alg);
}

pcfmcp__jwk_status pcfmcp__jwks_find(const pcfmcp__jwkset *set, const char *kid, pcfmcp__alg alg,
                                     const pcfmcp__jwk **out)
{
    if (!set)
        return PCFMCP__JWK_UNKNOWN;
    if (kid) {
        bool named = false;
        for (size_t i = 0; i < set->n; i++) {
            const pcfmcp__jwk *k = &set->keys[i];
            if (!k->kid || strcmp(k->kid, kid) != 0)
                continue;
            named = true;
            if (fits(k, alg)) {
                *out = k;
                return PCFMCP__JWK_FOUND;
            }
        }
        return named ? PCFMCP__JWK_WRONG_TYPE : PCFMCP__JWK_UNKNOWN;
    }
    /* Without a kid, only an unambiguous set will do: trying every key would
     * let one token cost many signature checks. */
    const pcfmcp__jwk *hit = NULL;
    for (size_t i = 0; i < set->n; i++) {
        if (!fits(&set->keys[i], alg))
            continue;
        if (hit)
            return PCFMCP__JWK_AMBIGUOUS;
        hit = &set->keys[i];
    }
    if (!hit)
        return PCFMCP__JWK_UNKNOWN;
    *out = hit;
    return PCFMCP__JWK_FOUND;
}

/* ----------------------------------------------------------------- JWT */

void pcfmcp__jwt_clear(pcfmcp__jwt *jwt)
{
    cJSON_Delete(jwt->header);
    pcfmcp__free(jwt->sig);
    memset(jwt, 0, sizeof(*jwt));
}

static pcfmcp_auth_verdict_t parse_segment(const char *s, size_t n, int depth, cJSON **out,
                                           const char **why)
{
    unsigned char *raw = NULL;
    size_t rlen = 0;
    b64_status bs = b64url_decode(s, n, &raw, &rlen);
    if (bs == B64_NOMEM) {
        *why = "out of memory";
        return PCFMCP_AUTH_UNAVAILABLE;
    }
    if (bs != B64_OK) {
        *why = "token is not base64url";
        return PCFMCP_AUTH_INVALID;
    }
    cJSON *j = NULL;
    pcfmcp__json_status st = pcfmcp__json_parse((const char *)raw, rlen, depth, &j, NULL);
    pcfmcp__free(raw);
    if (st == PCFMCP__JSON_NOMEM) {
        *why = "out of memory";
        return PCFMCP_AUTH_UNAVAILABLE;
    }
    /* RFC 7515 4.1.11 and RFC 7519 4: a member name given twice is
     * ambiguous, and parsers disagree about which one wins; the parser
     * refuses it at any depth. */
    if (st == PCFMCP__JSON_DUPLICATE) {
        *why = "token has duplicate members";
        return PCFMCP_AUTH_INVALID;
    }
    if (st != PCFMCP__JSON_OK || !cJSON_IsObject(j)) {
        cJSON_Delete(j);
        *why = "token is not a JSON web token";
        return PCFMCP_AUTH_INVALID;
    }
    *out = j;
    return PCFMCP_AUTH_ALLOW;
}

static pcfmcp_auth_verdict_t bad(pcfmcp__jwt *jwt, const char **why, const char *reason)
{
    pcfmcp__jwt_clear(jwt);
    *why = reason;
    return PCFMCP_AUTH_INVALID;
}

pcfmcp_auth_verdict_t pcfmcp__jwt_parse(const char *token, size_t len, pcfmcp__jwt *jwt,
                                        const char **why)
{
    memset(jwt, 0, sizeof(*jwt));
    const char *d1 = memchr(token, '.', len);
    const char *d2 = d1 ? memchr(d1 + 1, '.', len - (size_t)(d1 + 1 - token)) : NULL;
    if (!d2 || memchr(d2 + 1, '.', len - (size_t)(d2 + 1 - token)))
        return bad(jwt, why, "token is not a compact JWS");
    size_t hlen = (size_t)(d1 - token), plen = (size_t)(d2 - d1 - 1);
    size_t slen = len - (size_t)(d2 + 1 - token);
    if (hlen == 0 || plen == 0)
        return bad(jwt, why, "token is not a compact JWS");
    if (hlen > HEADER_MAX)
        return bad(jwt, why, "token header too long");
    pcfmcp_auth_verdict_t v = parse_segment(token, hlen, 4, &jwt->header, why);
    if (v != PCFMCP_AUTH_ALLOW) {
        pcfmcp__jwt_clear(jwt);
        return v;
    }
    if (cJSON_GetArraySize(jwt->header) > HEADER_MEMBERS_MAX)
        return bad(jwt, why, "token header has too many members");
    const char *alg = pcfmcp__json_str(jwt->header, "alg");
    if (!alg)
        return bad(jwt, why, "token header has no alg");
    /* Only asymmetric algorithms whose key comes from the JWKS: "none" would
     * need no key at all, and HS* would turn a public key into a shared secret. */
    if (strcmp(alg, "RS256") == 0)
        jwt->alg = PCFMCP__ALG_RS256;
    else if (strcmp(alg, "ES256") == 0)
        jwt->alg = PCFMCP__ALG_ES256;
    else if (pcfmcp__strcaseeq(alg, "none"))
        return bad(jwt, why, "unsigned token (alg none) refused");
    else if (pcfmcp__has_prefix(alg, "HS"))
        return bad(jwt, why, "HMAC-signed token refused");
    else
        return bad(jwt, why, "token alg not supported");
    if (slen == 0)
        return bad(jwt, why, "token has no signature");
    /* We implement no JWS extension, so every critical one is unknown. */
    if (cJSON_GetObjectItemCaseSensitive(jwt->header, "crit"))
        return bad(jwt, why, "token header has crit extensions");
    const cJSON *typ = cJSON_GetObjectItemCaseSensitive(jwt->header, "typ");
    if (typ && !(cJSON_IsString(typ) && (pcfmcp__strcaseeq(typ->valuestring, "JWT") ||
                                         pcfmcp__strcaseeq(typ->valuestring, "at+jwt") ||
                                         pcfmcp__strcaseeq(typ->valuestring, "application/at+jwt"))))
        return bad(jwt, why, "token typ is not JWT or at+jwt");
    const cJSON *kid = cJSON_GetObjectItemCaseSensitive(jwt->header, "kid");
    if (kid && !cJSON_IsString(kid))
        return bad(jwt, why, "token kid is not a string");
    jwt->kid = kid ? kid->valuestring : NULL;
    /* jku, x5u, jwk and x5c are ignored on purpose: keys come only from the
     * configured JWKS, never from the token itself. */
    unsigned char *sig = NULL;
    size_t sig_len = 0;
    b64_status bs = b64url_decode(d2 + 1, slen, &sig, &sig_len);
    if (bs == B64_NOMEM) {
        pcfmcp__jwt_clear(jwt);
        *why = "out of memory";
        return PCFMCP_AUTH_UNAVAILABLE;
    }
    if (bs != B64_OK)
        return bad(jwt, why, "token signature is not base64url");
    jwt->sig = sig;
    jwt->sig_len = sig_len;
    jwt->signing_input = token;
    jwt->signing_len = (size_t)(d2 - token);
    jwt->payload_b64 = d1 + 1;
    jwt->payload_b64_len = plen;
    return PCFMCP_AUTH_ALLOW;
}

/* Strips leading zero bytes of a fixed-size big-endian integer; false if
 * the value is zero (never a valid ECDSA r or s). */
static bool minimal(const unsigned char *p, size_t n, gnutls_datum_t *out)
{
    size_t z = 0;
    while (z < n && p[z] == 0)
        z++;
    if (z == n)
        return false;
    out->data = (unsigned char *)(uintptr_t)(p + z);
    out->size = (unsigned)(n - z);
    return true;
}

bool pcfmcp__jwt_verify(const pcfmcp__jwt *jwt, const pcfmcp__jwk *key)
{
    gnutls_datum_t data = { (unsigned char *)(uintptr_t)jwt->signing_input,
                            (unsigned)jwt->signing_len };
    if (jwt->alg == PCFMCP__ALG_RS256 && key->kty == PCFMCP__KTY_RSA) {
        if (jwt->sig_len != (key->bits + 7) / 8)
            return false;
        gnutls_datum_t sig = { jwt->sig, (unsigned)jwt->sig_len };
        return gnutls_pubkey_verify_data2(key->pub, GNUTLS_SIGN_RSA_SHA256, 0, &data, &sig) >= 0;
    }
    if (jwt->alg == PCFMCP__ALG_ES256 && key->kty == PCFMCP__KTY_EC) {
        /* JWS carries R||S (RFC 7518 3.4); GnuTLS verifies DER. */
        gnutls_datum_t r, s, der = { NULL, 0 };
        if (jwt->sig_len != 64 || !minimal(jwt->sig, 32, &r) || !minimal(jwt->sig + 32, 32, &s))
            return false;
        if (gnutls_encode_rs_value(&der, &r, &s) < 0)
            return false;
        bool ok = gnutls_pubkey_verify_data2(key->pub, GNUTLS_SIGN_ECDSA_SHA256, 0, &data, &der) >= 0;
        gnutls_free(der.data);
        return ok;
    }
    return false;
}

bool pcfmcp__scope_token_valid(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x21 || c > 0x7E || c == '"' || c == '\\')
            return false;
    }
    return true;
}

/* Appends each scope of a space-separated list; false if one is malformed
 * or the list outgrows the buffer. */
static bool add_scopes(pcfmcp__buf *b, const char *list)
{
    const char *p = list;
    while (*p) {
        while (*p == ' ')
            p++;
        const char *e = p;
        while (*e && *e != ' ')
            e++;
        if (e > p) {
            if (!pcfmcp__scope_token_valid(p, (size_t)(e - p)))
                return false;
            if (b->len)
                pcfmcp__buf_putc(b, ' ');
            pcfmcp__buf_append(b, p, (size_t)(e - p));
        }
        p = e;
    }
    return true;
}

static bool has_scope(const char *list, const char *scope)
{
    size_t n = strlen(scope);
    for (const char *p = list; *p;) {
        const char *e = strchr(p, ' ');
        size_t len = e ? (size_t)(e - p) : strlen(p);
        if (len == n && memcmp(p, scope, n) == 0)
            return true;
        if (!e)
            break;
        p = e + 1;
    }
    return false;
}

static bool number_claim(const cJSON *payload, const char *name, bool *present, double *v)
{
    const cJSON *it = cJSON_GetObjectItemCaseSensitive(payload, name);
    *present = it != NULL;
    if (!it)
        return true;
    if (!cJSON_IsNumber(it) || !isfinite(it->valuedouble))
        return false;
    *v = it->valuedouble;
    return true;
}

static bool audience_ok(const cJSON *payload, const char *audience)
{
    const cJSON *aud = cJSON_GetObjectItemCaseSensitive(payload, "aud");
    if (cJSON_IsString(aud))
        return strcmp(aud->valuestring, audience) == 0;
    if (!cJSON_IsArray(aud))
        return false;
    const cJSON *it;
    cJSON_ArrayForEach(it, aud)
        if (cJSON_IsString(it) && strcmp(it->valuestring, audience) == 0)
            return true;
    return false;
}

static bool subject_ok(const char *sub)
{
    size_t n = sub ? strlen(sub) : 0;
    if (n == 0 || n > SUB_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)sub[i] < 0x20 || sub[i] == 0x7F)
            return false;
    return true;
}

/* Collects granted scopes from `scope` (RFC 8693/9068: space-separated) or,
 * failing that, `scp` (a string or an array, as some servers send). */
static bool granted_scopes(const cJSON *payload, pcfmcp__buf *b)
{
    const cJSON *scope = cJSON_GetObjectItemCaseSensitive(payload, "scope");
    if (scope)
        return cJSON_IsString(scope) && add_scopes(b, scope->valuestring);
    const cJSON *scp = cJSON_GetObjectItemCaseSensitive(payload, "scp");
    if (!scp)
        return true;
    if (cJSON_IsString(scp))
        return add_scopes(b, scp->valuestring);
    if (!cJSON_IsArray(scp))
        return false;
    const cJSON *it;
    cJSON_ArrayForEach(it, scp)
    {
        if (!cJSON_IsString(it) || !pcfmcp__scope_token_valid(it->valuestring, strlen(it->valuestring)))
            return false;
        if (b->len)
            pcfmcp__buf_putc(b, ' ');
        pcfmcp__buf_puts(b, it->valuestring);
    }
    return true;
}

static pcfmcp_auth_verdict_t check_claims(const cJSON *p, const pcfmcp__jwt_policy *pol,
                                          pcfmcp__buf *granted, const char **why)
{
    const char *iss = pcfmcp__json_str(p, "iss");
    if (!iss || strcmp(iss, pol->issuer) != 0) {
        *why = "token issuer is not accepted";
        return PCFMCP_AUTH_INVALID;
    }
    if (!audience_ok(p, pol->audience)) {
        *why = "token audience is not this server";
        return PCFMCP_AUTH_INVALID;
    }
    bool have = false;
    double exp = 0, nbf = 0, iat = 0;
    double now = (double)pol->now, skew = (double)pol->skew;
    if (!number_claim(p, "exp", &have, &exp) || !have) {
        *why = "token has no exp";
        return PCFMCP_AUTH_INVALID;
    }
    if (now >= exp + skew) {
        *why = "token expired";
        return PCFMCP_AUTH_EXPIRED;
    }
    if (!number_claim(p, "nbf", &have, &nbf)) {
        *why = "token nbf is not a number";
        return PCFMCP_AUTH_INVALID;
    }
    if (have && now + skew < nbf) {
        *why = "token not valid yet (nbf)";
        return PCFMCP_AUTH_INVALID;
    }
    if (!number_claim(p, "iat", &have, &iat)) {
        *why = "token iat is not a number";
        return PCFMCP_AUTH_INVALID;
    }
    if (have && iat > now + skew) {
        *why = "token issued in the future (iat)";
        return PCFMCP_AUTH_INVALID;
    }
    /* A token that is good for a century (exp 1e308) is as good as one that
     * never expires: a leaked one could never be outwaited. Its lifetime is
     * capped, counted from iat when given, and in any case from now. */
    double cap = (double)pol->max_lifetime;
    if (cap > 0 && (exp - now > cap + skew || (have && exp - iat > cap + skew))) {
        *why = "token lifetime exceeds auth.max_token_lifetime";
        return PCFMCP_AUTH_INVALID;
    }
    if (!subject_ok(pcfmcp__json_str(p, "sub"))) {
        *why = "token has no usable sub";
        return PCFMCP_AUTH_INVALID;
    }
    if (!granted_scopes(p, granted)) {
        *why = "token scope claim is malformed";
        return PCFMCP_AUTH_INVALID;
    }
    if (!pcfmcp__buf_ok(granted)) {
        *why = "out of memory";
        return PCFMCP_AUTH_UNAVAILABLE;
    }
    if (granted->len > PCFMCP_AUTH_SCOPES_MAX - 1) {
        *why = "token scope claim too long";
        return PCFMCP_AUTH_INVALID;
    }
    const char *list = granted->data ? granted->data : "";
    for (size_t i = 0; i < pol->nscopes; i++) {
        if (!has_scope(list, pol->scopes[i])) {
            *why = "token lacks a required scope";
            return PCFMCP_AUTH_INSUFFICIENT_SCOPE;
        }
    }
    return PCFMCP_AUTH_ALLOW;
}

pcfmcp_auth_verdict_t pcfmcp__jwt_claims(const pcfmcp__jwt *jwt, const pcfmcp__jwt_policy *pol,
                                         char *identity, size_t identity_len, char *scopes,
                                         size_t scopes_len, const char **why)
{
    cJSON *p = NULL;
    pcfmcp_auth_verdict_t v = parse_segment(jwt->payload_b64, jwt->payload_b64_len, 16, &p, why);
    if (v != PCFMCP_AUTH_ALLOW)
        return v;
    pcfmcp__buf granted;
    pcfmcp__buf_init(&granted);
    v = check_claims(p, pol, &granted, why);
    if (v == PCFMCP_AUTH_ALLOW) {
        const char *sub = pcfmcp__json_str(p, "sub");
        size_t glen = granted.len;
        if (identity_len < 4 + strlen(sub) + 1) {
            *why = "identity buffer too small";
            v = PCFMCP_AUTH_INVALID;
        } else if (scopes && scopes_len < glen + 1) {
            *why = "scopes buffer too small";
            v = PCFMCP_AUTH_INVALID;
        } else {
            snprintf(identity, identity_len, "jwt:%s", sub);
            if (scopes) {
                if (glen)
                    memcpy(scopes, granted.data, glen);
                scopes[glen] = '\0';
            }
            *why = "access token accepted";
        }
    }
    pcfmcp__buf_free(&granted);
    cJSON_Delete(p);
    return v;
}
