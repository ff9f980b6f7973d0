/* Test signing keys and tokens: RSA and EC keys made with GnuTLS, their
 * JWKs, and compact JWS tokens signed (or deliberately mis-signed) with them. */
#ifndef PCFMCP_TEST_JWTGEN_H
#define PCFMCP_TEST_JWTGEN_H

#include <stddef.h>

#include <gnutls/abstract.h>

typedef enum { TK_RSA, TK_EC } test_kty;

typedef struct {
    test_kty kty;
    char kid[32];
    gnutls_privkey_t priv;
} test_key;

/* How jwt_make signs: with the key's own algorithm, not at all (alg none,
 * empty signature), with HMAC-SHA256 keyed by the public JWK text (the
 * classic key-confusion attack), or ES256 left in GnuTLS's DER form. */
typedef enum { SIGN_KEY, SIGN_NONE, SIGN_HS256_WITH_JWK, SIGN_ES256_DER } sign_mode;

/* RSA keys are 2048 bits, EC keys P-256. Aborts the test on failure. */
void test_key_generate(test_key *k, test_kty kty, const char *kid);
void test_key_free(test_key *k);
/* The public JWK as a JSON object; @p extra (or NULL) is spliced in as
 * further members, e.g. "\"use\":\"sig\"". Caller frees with free(). */
char *test_key_jwk(const test_key *k, const char *extra);
/* {"keys":[jwk(k[0]),...]} built from @p n keys. */
char *test_jwks(const test_key *const *keys, size_t n);
/* base64url (no padding) of @p n bytes; caller frees. */
char *b64url(const void *data, size_t n);
/* A compact JWS of @p header_json and @p payload_json signed per @p mode
 * with @p k. Caller frees. */
char *jwt_make(const test_key *k, const char *header_json, const char *payload_json,
               sign_mode mode);
/* The usual header for @p k: {"alg":"RS256"|"ES256","typ":"JWT","kid":"<kid>"}. */
char *jwt_header(const test_key *k);

#endif
