/* Fuzz target: OAuth access tokens as a caller presents them.
 *
 * The first byte picks how the rest is used (its value modulo 4):
 *   0  the raw Authorization header value, through pcfmcp_auth_check();
 *   1  a JOSE header and a claims set (JSON, split at the first NUL byte)
 *      that the harness encodes and signs with the key the server trusts,
 *      so the fuzzer reaches signature checking and every claim rule;
 *   2  a compact token, through the parser, key lookup, verification and
 *      the claims decoder directly (whatever the signature says);
 *   3  as 1, with the ECDSA signature in DER rather than JWS's R||S: never
 *      accepted.
 * Tokens are never trusted for more than they prove: a token not signed by
 * the trusted key is never accepted, whatever else it holds. */
#include "core/internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <pcfmcp/auth.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "hardening/auth_internal.h"
#include "helpers/jwtgen.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define ISSUER "https://issuer.example"
#define AUDIENCE "https://mcp.example/mcp"

/* A public RSA key (its private half was thrown away): RS256 tokens naming
 * it reach RSA verification, which can only fail. */
static const char rsa_jwk[] =
    "{\"kty\":\"RSA\",\"kid\":\"rsa-1\",\"n\":\"pj-1WLZncXsZ6_ZIc5Uokb380wGCQRUljB2Xy6jswGTtcYzq5Ls"
    "oaHZIaRWu8GJse41sBW_C4oTUpb4pqHasac5CwsvZKgYK7c9dhiZEM9BlEhphPqgioXThV0HlEBUBZdEi89WjcN6ny2"
    "2cYJlEoFCsR89SCAjiNlY71Pdf7VWhu5KPiFJsNly-koKTD752DTwd_M8TXJ1RzJdbsKVyeZ1NsOxbbwXa-vIOEbEji"
    "2mAHILyBPjaP06QOIFjSmLu4mJV17byjK6TKgESWAtTKoFe_YHZxJO4JfMmEnZprnILHpIG8-5n09MkumpqVGjYKZwV"
    "oZ4QgxxX9Ru3NsrySw\",\"e\":\"AQAB\",\"use\":\"sig\",\"alg\":\"RS256\"}";

/* An API key, so Bearer values also go through the key lookup. */
static const char keys_file[] =
    "ci sha256:8d969eef6ecad3c29a3a629280e686cf0c3f5d5a86aff3ca12020c923adc6c92\n";

static pcfmcp_auth_t *auth;
static test_key ec;
static pcfmcp__jwkset *keys;

static void setup(void)
{
    test_key_generate(&ec, TK_EC, "ec-1");
    char *ecj = test_key_jwk(&ec, "\"use\":\"sig\"");
    size_t n = strlen(ecj) + sizeof(rsa_jwk) + 32;
    char *jwks = malloc(n);
    if (!jwks)
        abort();
    snprintf(jwks, n, "{\"keys\":[%s,%s]}", ecj, rsa_jwk);
    free(ecj);
    pcfmcp__buf err, warn;
    pcfmcp__buf_init(&err);
    pcfmcp__buf_init(&warn);
    if (pcfmcp__jwks_parse(jwks, strlen(jwks), &err, &warn, &keys) != PCFMCP_OK || keys->n != 2)
        abort();
    pcfmcp__buf_free(&err);
    pcfmcp__buf_free(&warn);

    int fd = memfd_create("pcfmcp-fuzz-keys", MFD_CLOEXEC);
    if (fd < 0 || write(fd, keys_file, sizeof(keys_file) - 1) != (ssize_t)sizeof(keys_file) - 1)
        abort();
    char path[64];
    snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
    if (pcfmcp_auth_new(&auth, NULL) != PCFMCP_OK ||
        pcfmcp_auth_set_oauth(auth, ISSUER, AUDIENCE, NULL, "pcf:read") != PCFMCP_OK ||
        pcfmcp_auth_set_jwks_json(auth, jwks) != PCFMCP_OK ||
        pcfmcp_auth_load_api_keys(auth, path, NULL) != PCFMCP_OK)
        abort();
    close(fd);
    free(jwks);
}

static pcfmcp_auth_verdict_t check(const char *authorization, char *identity)
{
    char scopes[PCFMCP_AUTH_SCOPES_MAX], detail[128];
    pcfmcp_auth_verdict_t v = pcfmcp_auth_check(auth, authorization, identity,
                                                PCFMCP_AUTH_IDENTITY_MAX, scopes, sizeof(scopes),
                                                detail, sizeof(detail));
    if (!detail[0])
        abort(); /* every verdict says why */
    if (v == PCFMCP_AUTH_ALLOW && strncmp(identity, "key:", 4) != 0 &&
        strncmp(identity, "jwt:", 4) != 0)
        abort();
    if (v != PCFMCP_AUTH_ALLOW && (identity[0] || scopes[0]))
        abort();
    return v;
}

static void raw_header(const char *text, size_t len)
{
    char *h = pcfmcp__strndup(text, len);
    if (!h)
        return;
    char identity[PCFMCP_AUTH_IDENTITY_MAX];
    pcfmcp_auth_verdict_t v = check(h, identity);
    /* Only the configured API key can pass without our private key. */
    if (v == PCFMCP_AUTH_ALLOW && strcmp(identity, "key:ci") != 0)
        abort();
    pcfmcp__free(h);
}

static void signed_token(const char *text, size_t len, int der)
{
    char *copy = pcfmcp__strndup(text, len);
    if (!copy)
        return;
    const char *header = copy;
    const char *payload = strlen(copy) < len ? copy + strlen(copy) + 1 : "{}";
    char *tok = jwt_make(&ec, header, payload, der ? SIGN_ES256_DER : SIGN_KEY);
    size_t n = strlen(tok) + 8;
    char *authz = malloc(n);
    if (!authz)
        abort();
    snprintf(authz, n, "Bearer %s", tok);
    char identity[PCFMCP_AUTH_IDENTITY_MAX];
    pcfmcp_auth_verdict_t v = check(authz, identity);
    /* JWS carries R||S; a DER-encoded ECDSA signature is not one. */
    if (der && v == PCFMCP_AUTH_ALLOW)
        abort();
    free(authz);
    free(tok);
    pcfmcp__free(copy);
}

static void parse_token(const char *text, size_t len)
{
    pcfmcp__jwt jwt;
    const char *why = NULL;
    if (pcfmcp__jwt_parse(text, len, &jwt, &why) != PCFMCP_AUTH_ALLOW) {
        if (!why)
            abort();
        return;
    }
    const pcfmcp__jwk *k = NULL;
    if (pcfmcp__jwks_find(keys, jwt.kid, jwt.alg, &k) == PCFMCP__JWK_FOUND)
        pcfmcp__jwt_verify(&jwt, k);
    static char read_scope[] = "pcf:read";
    char *const scopes[] = { read_scope };
    pcfmcp__jwt_policy pol = { ISSUER, AUDIENCE, scopes, 1, 60, 1750000000 };
    char identity[PCFMCP_AUTH_IDENTITY_MAX], granted[PCFMCP_AUTH_SCOPES_MAX];
    why = NULL;
    if (pcfmcp__jwt_claims(&jwt, &pol, identity, sizeof(identity), granted, sizeof(granted),
                           &why) == PCFMCP_AUTH_ALLOW &&
        (strncmp(identity, "jwt:", 4) != 0 || strlen(granted) >= sizeof(granted)))
        abort();
    if (!why)
        abort();
    pcfmcp__jwt_clear(&jwt);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!auth)
        setup();
    if (size == 0)
        return 0;
    const char *rest = (const char *)data + 1;
    size_t len = size - 1;
    switch (data[0] % 4) {
    case 0:
        raw_header(rest, len);
        break;
    case 1:
        signed_token(rest, len, 0);
        break;
    case 2:
        parse_token(rest, len);
        break;
    default:
        signed_token(rest, len, 1);
        break;
    }
    return 0;
}
