/* Internals of the authenticator (lib/hardening/auth*.c, jwt.c, jwks_fetch.c),
 * split out so unit tests can reach the parsers directly. */
#ifndef PCFMCP_HARDENING_AUTH_INTERNAL_H
#define PCFMCP_HARDENING_AUTH_INTERNAL_H

#include <stdatomic.h>
#include <stdint.h>

#include <cjson/cJSON.h>
#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>

#include <pcfmcp/auth.h>

#include "core/buf.h"
#include "core/internal.h"

/* Limits of the keys file. */
#define PCFMCP__KEYS_FILE_MAX (1024 * 1024)
#define PCFMCP__KEYS_MAX 10000
#define PCFMCP__KEY_NAME_MAX 64
/* Problems reported per failed load before the rest are only counted. */
#define PCFMCP__AUTH_MAX_ERRORS 10

/* ------------------------------------------------------------ API keys */

typedef struct {
    char *name;
    unsigned char hash[32];
} pcfmcp__apikey;

/* Immutable once published; readers hold a reference while they use it. */
typedef struct {
    atomic_uint refs;
    size_t n;
    pcfmcp__apikey *keys;
} pcfmcp__keyset;

/* Parses a keys file held in memory. Each problem is appended to @p errors
 * as "path:line: message\n" (at most PCFMCP__AUTH_MAX_ERRORS of them).
 * Returns PCFMCP_OK with a keyset holding one reference, PCFMCP_ERR_CONFIG,
 * PCFMCP_ERR_LIMIT or PCFMCP_ERR_NOMEM. */
pcfmcp_error_t pcfmcp__auth_parse_keys(const char *text, size_t len, const char *path,
                                       pcfmcp__buf *errors, pcfmcp__keyset **out);
void pcfmcp__keyset_unref(pcfmcp__keyset *ks);
/* Index of the key whose hash is SHA-256(@p token), or -1. Compares with
 * every entry whatever matches, in constant time per entry. */
long pcfmcp__keyset_match(const pcfmcp__keyset *ks, const char *token, size_t len);

/* The two halves of pcfmcp_auth_load_api_keys(), for callers that must
 * validate everything before changing anything (a SIGHUP reload):
 * prepare reads and parses @p path into *@p out (one reference) and changes
 * nothing, failing with pcfmcp_auth_errmsg() set; install cannot fail, takes
 * over @p ks (NULL removes every key) and returns how many keys it holds. */
pcfmcp_error_t pcfmcp__auth_prepare_api_keys(pcfmcp_auth_t *a, const char *path,
                                            pcfmcp__keyset **out);
size_t pcfmcp__auth_install_api_keys(pcfmcp_auth_t *a, pcfmcp__keyset *ks, const char *path);

/* True if @p s[0..n) is an RFC 6750 b64token: 1*( ALPHA / DIGIT / "-" / "." /
 * "_" / "~" / "+" / "/" ) *"=". */
bool pcfmcp__auth_is_b64token(const char *s, size_t n);

typedef enum {
    PCFMCP__BEARER_OK = 0,
    PCFMCP__BEARER_MISSING,   /* no header, empty, or another scheme */
    PCFMCP__BEARER_MALFORMED, /* "Bearer" with a bad or empty credential */
    PCFMCP__BEARER_TOO_LONG
} pcfmcp__bearer_status;

/* Finds the credential of an `Authorization: Bearer <token>` value. The
 * scheme is case-insensitive; surrounding spaces and tabs are ignored. */
pcfmcp__bearer_status pcfmcp__auth_bearer(const char *header, const char **token, size_t *len);

/* ---------------------------------------------------------------- JWKS */

typedef enum { PCFMCP__KTY_RSA = 1, PCFMCP__KTY_EC = 2 } pcfmcp__kty;
typedef enum { PCFMCP__ALG_NONE = 0, PCFMCP__ALG_RS256 = 1, PCFMCP__ALG_ES256 = 2 } pcfmcp__alg;

typedef struct {
    char *kid;           /* NULL when the JWK has none */
    pcfmcp__kty kty;
    pcfmcp__alg alg;     /* PCFMCP__ALG_NONE: the JWK does not restrict it */
    unsigned bits;       /* RSA modulus size: an RS256 signature has exactly its length */
    gnutls_pubkey_t pub; /* only read after publication, which GnuTLS allows concurrently */
} pcfmcp__jwk;

typedef struct {
    atomic_uint refs;
    size_t n;
    pcfmcp__jwk *keys;
    char *source_url;     /* the URL it was fetched from; NULL for a static set */
    uint64_t fetched_ms;  /* monotonic time of the fetch (or of installation) */
} pcfmcp__jwkset;

#define PCFMCP__JWKS_MAX_KEYS 64

/* Parses a JWKS. Unusable keys are skipped; each skipped malformed key adds
 * a line to @p warnings. Fails with PCFMCP_ERR_CONFIG (reason in @p errors)
 * when the text is no JWKS or no key is usable. */
pcfmcp_error_t pcfmcp__jwks_parse(const char *json, size_t len, pcfmcp__buf *errors,
                                  pcfmcp__buf *warnings, pcfmcp__jwkset **out);
pcfmcp__jwkset *pcfmcp__jwkset_ref(pcfmcp__jwkset *set);
void pcfmcp__jwkset_unref(pcfmcp__jwkset *set);

typedef enum {
    PCFMCP__JWK_FOUND = 0,
    PCFMCP__JWK_UNKNOWN,   /* no key with that kid (or none at all without kid) */
    PCFMCP__JWK_AMBIGUOUS, /* no kid in the token and several keys fit */
    PCFMCP__JWK_WRONG_TYPE /* the kid names a key of another type or algorithm */
} pcfmcp__jwk_status;

pcfmcp__jwk_status pcfmcp__jwks_find(const pcfmcp__jwkset *set, const char *kid, pcfmcp__alg alg,
                                     const pcfmcp__jwk **out);

/* ----------------------------------------------------------------- JWT */

typedef struct {
    cJSON *header;
    pcfmcp__alg alg;
    const char *kid;           /* borrowed from header; NULL if absent */
    const char *signing_input; /* borrowed from the token */
    size_t signing_len;
    const char *payload_b64;   /* decoded only once the signature holds */
    size_t payload_b64_len;
    unsigned char *sig;
    size_t sig_len;
} pcfmcp__jwt;

/* The policy one token is checked against. */
typedef struct {
    const char *issuer;
    const char *audience;
    char *const *scopes; /* required scopes */
    size_t nscopes;
    unsigned skew;       /* seconds */
    unsigned max_lifetime; /* seconds a token may live (exp - iat, or exp - now); 0: no cap */
    int64_t now;         /* Unix seconds */
} pcfmcp__jwt_policy;

/* Splits and decodes a compact JWS and reads its header. On failure returns
 * INVALID (or UNAVAILABLE for out of memory) with a static reason in *why. */
pcfmcp_auth_verdict_t pcfmcp__jwt_parse(const char *token, size_t len, pcfmcp__jwt *jwt,
                                        const char **why);
void pcfmcp__jwt_clear(pcfmcp__jwt *jwt);
/* True if jwt's signature verifies with @p key (whose type the caller matched). */
bool pcfmcp__jwt_verify(const pcfmcp__jwt *jwt, const pcfmcp__jwk *key);
/* Decodes the payload of a verified token and checks its claims; on ALLOW writes `jwt:<sub>` and
 * the granted scopes (space-separated) into the buffers. */
pcfmcp_auth_verdict_t pcfmcp__jwt_claims(const pcfmcp__jwt *jwt, const pcfmcp__jwt_policy *pol,
                                         char *identity, size_t identity_len, char *scopes,
                                         size_t scopes_len, const char **why);

/* True if @p s is a valid OAuth scope-token (RFC 6749 3.3). */
bool pcfmcp__scope_token_valid(const char *s, size_t n);

/* ---------------------------------------------------------- JWKS fetch */

/* GETs @p url (no redirects, https or loopback http only), refusing bodies
 * over @p max_bytes. The body is freed with pcfmcp__free. A reason goes to
 * @p why on failure. */
pcfmcp_error_t pcfmcp__jwks_fetch(const char *url, const char *ca_file, unsigned timeout_ms,
                                  size_t max_bytes, char **body, size_t *body_len, char *why,
                                  size_t why_len);
/* Checks that @p url may serve keys: https://host..., or http:// to a
 * loopback host; no user info. Writes a reason on failure. */
bool pcfmcp__jwks_url_ok(const char *url, char *why, size_t why_len);

#endif
