/* OAuth 2.1 access tokens through the public API: signatures (RS256, ES256),
 * claims, refused algorithms, JWKS from text and over HTTP with caching,
 * rotation, rate limits and failures, and allocation failures. */
#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <microhttpd.h>
#include <pcfmcp/pcfmcp.h>

#include "helpers/jwtgen.h"

/* Internal test hook of lib/core/alloc.c. */
long pcfmcp__alloc_fail_after(long n);

#define ISS "https://idp.example.com/realms/pcf"
#define AUD "https://mcp.example.com/mcp"

static test_key rsa1, rsa2, ec1;
static pcfmcp_auth_t *auth;
static char detail[128];
static char identity[PCFMCP_AUTH_IDENTITY_MAX];
static char scopes[PCFMCP_AUTH_SCOPES_MAX];

static long now(void)
{
    return (long)time(NULL);
}

static pcfmcp_auth_verdict_t check_token(const char *tok)
{
    char *h = malloc(strlen(tok) + 8);
    sprintf(h, "Bearer %s", tok);
    pcfmcp_auth_verdict_t v = pcfmcp_auth_check(auth, h, identity, sizeof(identity), scopes,
                                                sizeof(scopes), detail, sizeof(detail));
    free(h);
    return v;
}

/* Signs @p payload with @p k (its usual header) and checks it. */
static pcfmcp_auth_verdict_t check_signed(const test_key *k, const char *payload)
{
    char *h = jwt_header(k);
    char *tok = jwt_make(k, h, payload, SIGN_KEY);
    pcfmcp_auth_verdict_t v = check_token(tok);
    free(tok);
    free(h);
    return v;
}

/* Standard claims, expiring in an hour, plus @p extra members. */
static char *claims(const char *extra)
{
    char *p = malloc(1024);
    snprintf(p, 1024,
             "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"user-42\",\"iat\":%ld,"
             "\"exp\":%ld,\"scope\":\"pcf:read pcf:write\"%s%s}",
             now(), now() + 3600, extra ? "," : "", extra ? extra : "");
    return p;
}

static void use_static_keys(const test_key *const *keys, size_t n)
{
    char *jwks = test_jwks(keys, n);
    ck_assert_int_eq(pcfmcp_auth_set_jwks_json(auth, jwks), PCFMCP_OK);
    free(jwks);
}

static void setup(void)
{
    ck_assert_int_eq(pcfmcp_auth_new(&auth, NULL), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_auth_set_oauth(auth, ISS, AUD, NULL, NULL), PCFMCP_OK);
    const test_key *keys[] = { &rsa1, &ec1 };
    use_static_keys(keys, 2);
}

static void teardown(void)
{
    pcfmcp_auth_free(auth);
    auth = NULL;
}

/* ------------------------------------------------------------ signatures */

START_TEST(valid_rs256_and_es256_tokens_are_allowed)
{
    ck_assert_int_eq(pcfmcp_auth_enabled(auth), 1);
    char *p = claims(NULL);
    ck_assert_int_eq(check_signed(&rsa1, p), PCFMCP_AUTH_ALLOW);
    ck_assert_str_eq(identity, "jwt:user-42");
    ck_assert_str_eq(scopes, "pcf:read pcf:write");
    ck_assert_str_eq(detail, "access token accepted");
    /* Many ES256 signatures, so R or S with leading zero bytes turn up. */
    for (int i = 0; i < 64; i++) {
        ck_assert_int_eq(check_signed(&ec1, p), PCFMCP_AUTH_ALLOW);
        ck_assert_str_eq(identity, "jwt:user-42");
    }
    free(p);
}
END_TEST

START_TEST(unsigned_and_hmac_tokens_are_refused)
{
    char *p = claims(NULL);
    char *tok = jwt_make(&rsa1, "{\"alg\":\"none\",\"typ\":\"JWT\"}", p, SIGN_NONE);
    ck_assert_int_eq(check_token(tok), PCFMCP_AUTH_INVALID);
    ck_assert_str_eq(detail, "unsigned token (alg none) refused");
    ck_assert_str_eq(identity, "");
    free(tok);
    tok = jwt_make(&rsa1, "{\"alg\":\"NONE\",\"kid\":\"rsa-1\"}", p, SIGN_NONE);
    ck_assert_int_eq(check_token(tok), PCFMCP_AUTH_INVALID);
    free(tok);
    /* HS256 keyed with the public key: the classic algorithm confusion. */
    tok = jwt_make(&rsa1, "{\"alg\":\"HS256\",\"kid\":\"rsa-1\"}", p, SIGN_HS256_WITH_JWK);
    ck_assert_int_eq(check_token(tok), PCFMCP_AUTH_INVALID);
    ck_assert_str_eq(detail, "HMAC-signed token refused");
    free(tok);
    tok = jwt_make(&rsa1, "{\"alg\":\"PS256\",\"kid\":\"rsa-1\"}", p, SIGN_KEY);
    ck_assert_int_eq(check_token(tok), PCFMCP_AUTH_INVALID);
    ck_assert_str_eq(detail, "token alg not supported");
    free(tok);
    /* A supported alg with the signature cut off. */
    tok = jwt_make(&rsa1, "{\"alg\":\"RS256\",\"kid\":\"rsa-1\"}", p, SIGN_NONE);
    ck_assert_int_eq(check_token(tok), PCFMCP_AUTH_INVALID);
    ck_assert_str_eq(detail, "token has no signature");
    free(tok);
    free(p);
}
END_TEST

START_TEST(tampered_tokens_are_invalid)
{
    char *p = claims(NULL);
    char *h = jwt_header(&rsa1);
    char *tok = jwt_make(&rsa1, h, p, SIGN_KEY);
    /* Swap in another payload, keeping header and signature. */
    char *evil = claims("\"admin\":true");
    char *e64 = b64url(evil, strlen(evil));
    char *d1 = strchr(tok, '.'), *d2 = strchr(d1 + 1, '.');
    char forged[4096];
    snprintf(forged, sizeof(forged), "%.*s.%s%s", (int)(d1 - tok), tok, e64, d2);
    ck_assert_int_eq(check_token(forged), PCFMCP_AUTH_INVALID);
    ck_assert_str_eq(detail, "token signature is invalid");
    /* Flip one signature character. */
    size_t last = strlen(tok) - 2;
    tok[last] = tok[last] == 'A' ? 'B' : 'A';
    ck_assert_int_eq(check_token(tok), PCFMCP_AUTH_INVALID);
    free(e64);
    free(evil);
    free(tok);
    free(h);
    /* Same for ES256. */
    h = jwt_header(&ec1);
    tok = jwt_make(&ec1, h, p, SIGN_KEY);
    d1 = strchr(tok, '.');
    d2 = strchr(d1 + 1, '.');
    evil = claims("\"admin\":true");
    e64 = b64url(evil, strlen(evil));
    snprintf(forged, sizeof(forged), "%.*s.%s%s", (int)(d1 - tok), tok, e64, d2);
    ck_assert_int_eq(check_token(forged), PCFMCP_AUTH_INVALID);
    ck_assert_str_eq(detail, "token signature is invalid");
    free(e64);
    free(evil);
    free(tok);
    free(h);
    free(p);
}
END_TEST

START_TEST(unknown_kid_and_wrong_key_type_are_invalid)
{
    char *p = claims(NULL);
    char *tok = jwt_make(&rsa1, "{\"alg\":\"RS256\",\"kid\":\"nope\"}", p, SIGN_KEY);
    ck_assert_int_eq(check_token(tok), PCFMCP_AUTH_INVALID);
    ck_assert_str_eq(detail, "token signed by an unknown key");
    free(tok);
    /* RS256 pointing at the EC key. */
    tok = jwt_make(&rsa1, "{\"alg\":\"RS256\",\"kid\":\"ec-1\"}", p, SIGN_KEY);
    ck_assert_int_eq(check_token(tok), PCFMCP_AUTH_INVALID);
    ck_assert_str_eq(detail, "token alg does not match its key");
    free(tok);
    /* ES256 pointing at the RSA key. */
    tok = jwt_make(&ec1, "{\"alg\":\"ES256\",\"kid\":\"rsa-1\"}", p, SIGN_KEY);
    ck_assert_int_eq(check_token(tok), PCFMCP_AUTH_INVALID);
    ck_assert_str_eq(detail, "token alg does not match its key");
    free(tok);
    /* A DER signature is not what JWS specifies. */
    char *h = jwt_header(&ec1);
    tok = jwt_make(&ec1, h, p, SIGN_ES256_DER);
    ck_assert_int_eq(check_token(tok), PCFMCP_AUTH_INVALID);
    ck_assert_str_eq(detail, "token signature is invalid");
    free(tok);
    free(h);
    /* Signed by a key the JWKS does not hold, under a known kid. */
    tok = jwt_make(&rsa2, "{\"alg\":\"RS256\",\"kid\":\"rsa-1\"}", p, SIGN_KEY);
    ck_assert_int_eq(check_token(tok), PCFMCP_AUTH_INVALID);
    ck_assert_str_eq(detail, "token signature is invalid");
    free(tok);
    free(p);
}
END_TEST

START_TEST(token_without_kid_needs_an_unambiguous_key)
{
    char *p = claims(NULL);
    char *tok = jwt_make(&rsa1, "{\"alg\":\"RS256\"}", p, SIGN_KEY);
    ck_assert_int_eq(check_token(tok), PCFMCP_AUTH_ALLOW); /* one RSA key in the set */
    const test_key *keys[] = { &rsa1, &rsa2, &ec1 };
    use_static_keys(keys, 3);
    ck_assert_int_eq(check_token(tok), PCFMCP_AUTH_INVALID);
    ck_assert_str_eq(detail, "token has no kid and several keys fit");
    free(tok);
    free(p);
}
END_TEST

START_TEST(odd_headers_are_refused)
{
    char *p = claims(NULL);
    static const char *const headers[] = {
        "{\"alg\":\"RS256\",\"kid\":\"rsa-1\",\"typ\":\"JOSE+JSON\"}",
        "{\"alg\":\"RS256\",\"kid\":\"rsa-1\",\"crit\":[\"exp\"],\"exp\":1}",
        "{\"alg\":\"RS256\",\"kid\":\"rsa-1\",\"alg\":\"none\"}",
        "{\"alg\":\"RS256\",\"kid\":7}",
        "{\"kid\":\"rsa-1\"}",
        "[\"RS256\"]",
    };
    static const char *const why[] = {
        "token typ is not JWT or at+jwt", "token header has crit extensions",
        "token has duplicate members",    "token kid is not a string",
        "token header has no alg",        "token is not a JSON web token",
    };
    for (size_t i = 0; i < sizeof(headers) / sizeof(headers[0]); i++) {
        char *tok = jwt_make(&rsa1, headers[i], p, SIGN_KEY);
        ck_assert_int_eq(check_token(tok), PCFMCP_AUTH_INVALID);
        ck_assert_str_eq(detail, why[i]);
        free(tok);
    }
    /* at+jwt (RFC 9068) is fine. */
    char *tok = jwt_make(&rsa1, "{\"alg\":\"RS256\",\"kid\":\"rsa-1\",\"typ\":\"at+jwt\"}", p, SIGN_KEY);
    ck_assert_int_eq(check_token(tok), PCFMCP_AUTH_ALLOW);
    free(tok);
    ck_assert_int_eq(check_token("abc.def.ghi"), PCFMCP_AUTH_INVALID);
    ck_assert_int_eq(check_token("a.b.c.d"), PCFMCP_AUTH_INVALID);
    ck_assert_str_eq(detail, "not an access token");
    ck_assert_int_eq(check_token("eyJhbGciOiJSUzI1NiJ9..sig"), PCFMCP_AUTH_INVALID);
    ck_assert_str_eq(detail, "token is not a compact JWS");
    free(p);
}
END_TEST

/* ---------------------------------------------------------------- claims */

START_TEST(expired_token_is_expired_within_the_clock_skew)
{
    char p[512];
    snprintf(p, sizeof(p), "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"u\",\"exp\":%ld}",
             now() - 3600);
    ck_assert_int_eq(check_signed(&rsa1, p), PCFMCP_AUTH_EXPIRED);
    ck_assert_str_eq(detail, "token expired");
    ck_assert_str_eq(identity, "");
    snprintf(p, sizeof(p), "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"u\",\"exp\":%ld}",
             now() - 20);
    ck_assert_int_eq(check_signed(&ec1, p), PCFMCP_AUTH_ALLOW); /* default skew: 60 s */
    ck_assert_int_eq(pcfmcp_auth_set_clock_skew(auth, 0), PCFMCP_OK);
    ck_assert_int_eq(check_signed(&ec1, p), PCFMCP_AUTH_EXPIRED);
    snprintf(p, sizeof(p), "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"u\"}");
    ck_assert_int_eq(check_signed(&rsa1, p), PCFMCP_AUTH_INVALID);
    ck_assert_str_eq(detail, "token has no exp");
    snprintf(p, sizeof(p), "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"u\",\"exp\":\"%ld\"}",
             now() + 3600);
    ck_assert_int_eq(check_signed(&rsa1, p), PCFMCP_AUTH_INVALID);
}
END_TEST

START_TEST(token_lifetime_is_capped)
{
    /* exp 1e308 used to be accepted: a token that never really expires. */
    char p[512];
    snprintf(p, sizeof(p), "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"u\",\"exp\":1e308}");
    ck_assert_int_eq(check_signed(&rsa1, p), PCFMCP_AUTH_INVALID);
    ck_assert_str_eq(detail, "token lifetime exceeds auth.max_token_lifetime");
    /* Default 24 h: a day ahead (plus the skew) passes, two days do not. */
    snprintf(p, sizeof(p), "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"u\",\"exp\":%ld}", now() + 86400);
    ck_assert_int_eq(check_signed(&rsa1, p), PCFMCP_AUTH_ALLOW);
    snprintf(p, sizeof(p), "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"u\",\"exp\":%ld}", now() + 2 * 86400);
    ck_assert_int_eq(check_signed(&rsa1, p), PCFMCP_AUTH_INVALID);
    /* Counted from iat when there is one: issued for a year, half used up. */
    snprintf(p, sizeof(p), "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"u\",\"iat\":%ld,\"exp\":%ld}",
             now() - 180 * 86400L, now() + 3600);
    ck_assert_int_eq(check_signed(&rsa1, p), PCFMCP_AUTH_INVALID);
    /* Configurable, and 0 lifts the cap. */
    ck_assert_int_eq(pcfmcp_auth_set_max_token_lifetime(auth, 600), PCFMCP_OK);
    snprintf(p, sizeof(p), "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"u\",\"exp\":%ld}", now() + 3600);
    ck_assert_int_eq(check_signed(&rsa1, p), PCFMCP_AUTH_INVALID);
    ck_assert_int_eq(pcfmcp_auth_set_max_token_lifetime(auth, 0), PCFMCP_OK);
    ck_assert_int_eq(check_signed(&rsa1, p), PCFMCP_AUTH_ALLOW);
    ck_assert_int_eq(pcfmcp_auth_set_max_token_lifetime(auth, 367 * 86400), PCFMCP_ERR_INVALID_ARG);
}
END_TEST

START_TEST(token_not_yet_valid_is_invalid)
{
    char extra[64];
    snprintf(extra, sizeof(extra), "\"nbf\":%ld", now() + 3600);
    char *p = claims(extra);
    ck_assert_int_eq(check_signed(&rsa1, p), PCFMCP_AUTH_INVALID);
    ck_assert_str_eq(detail, "token not valid yet (nbf)");
    free(p);
    snprintf(extra, sizeof(extra), "\"nbf\":%ld", now() + 30);
    p = claims(extra);
    ck_assert_int_eq(check_signed(&rsa1, p), PCFMCP_AUTH_ALLOW);
    free(p);
    char q[512];
    snprintf(q, sizeof(q),
             "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"u\",\"exp\":%ld,\"iat\":%ld}",
             now() + 7200, now() + 3600);
    ck_assert_int_eq(check_signed(&rsa1, q), PCFMCP_AUTH_INVALID);
    ck_assert_str_eq(detail, "token issued in the future (iat)");
}
END_TEST

START_TEST(wrong_issuer_or_audience_is_invalid)
{
    char p[512];
    long exp = now() + 3600;
    snprintf(p, sizeof(p), "{\"iss\":\"https://evil.example.com\",\"aud\":\"" AUD "\",\"sub\":\"u\",\"exp\":%ld}", exp);
    ck_assert_int_eq(check_signed(&rsa1, p), PCFMCP_AUTH_INVALID);
    ck_assert_str_eq(detail, "token issuer is not accepted");
    snprintf(p, sizeof(p), "{\"iss\":\"" ISS "/\",\"aud\":\"" AUD "\",\"sub\":\"u\",\"exp\":%ld}", exp);
    ck_assert_int_eq(check_signed(&rsa1, p), PCFMCP_AUTH_INVALID);
    snprintf(p, sizeof(p), "{\"aud\":\"" AUD "\",\"sub\":\"u\",\"exp\":%ld}", exp);
    ck_assert_int_eq(check_signed(&rsa1, p), PCFMCP_AUTH_INVALID);
    snprintf(p, sizeof(p), "{\"iss\":\"" ISS "\",\"aud\":\"https://other.example.com/mcp\",\"sub\":\"u\",\"exp\":%ld}", exp);
    ck_assert_int_eq(check_signed(&rsa1, p), PCFMCP_AUTH_INVALID);
    ck_assert_str_eq(detail, "token audience is not this server");
    snprintf(p, sizeof(p), "{\"iss\":\"" ISS "\",\"sub\":\"u\",\"exp\":%ld}", exp);
    ck_assert_int_eq(check_signed(&rsa1, p), PCFMCP_AUTH_INVALID);
    snprintf(p, sizeof(p), "{\"iss\":\"" ISS "\",\"aud\":[\"a\",\"b\"],\"sub\":\"u\",\"exp\":%ld}", exp);
    ck_assert_int_eq(check_signed(&rsa1, p), PCFMCP_AUTH_INVALID);
    snprintf(p, sizeof(p), "{\"iss\":\"" ISS "\",\"aud\":[\"a\",\"" AUD "\"],\"sub\":\"u\",\"exp\":%ld}", exp);
    ck_assert_int_eq(check_signed(&rsa1, p), PCFMCP_AUTH_ALLOW);
    ck_assert_str_eq(identity, "jwt:u");
}
END_TEST

START_TEST(token_without_usable_sub_is_invalid)
{
    char p[1024];
    long exp = now() + 3600;
    snprintf(p, sizeof(p), "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"exp\":%ld}", exp);
    ck_assert_int_eq(check_signed(&rsa1, p), PCFMCP_AUTH_INVALID);
    ck_assert_str_eq(detail, "token has no usable sub");
    snprintf(p, sizeof(p), "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"\",\"exp\":%ld}", exp);
    ck_assert_int_eq(check_signed(&rsa1, p), PCFMCP_AUTH_INVALID);
    snprintf(p, sizeof(p), "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":42,\"exp\":%ld}", exp);
    ck_assert_int_eq(check_signed(&rsa1, p), PCFMCP_AUTH_INVALID);
    snprintf(p, sizeof(p), "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"a\\nb\",\"exp\":%ld}", exp);
    ck_assert_int_eq(check_signed(&rsa1, p), PCFMCP_AUTH_INVALID);
    char sub[256];
    memset(sub, 'x', 201);
    sub[201] = '\0';
    snprintf(p, sizeof(p), "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"%s\",\"exp\":%ld}", sub, exp);
    ck_assert_int_eq(check_signed(&rsa1, p), PCFMCP_AUTH_INVALID);
    sub[200] = '\0';
    snprintf(p, sizeof(p), "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"%s\",\"exp\":%ld}", sub, exp);
    ck_assert_int_eq(check_signed(&rsa1, p), PCFMCP_AUTH_ALLOW);
    ck_assert_uint_eq(strlen(identity), 204);
    /* Duplicate claims are ambiguous, even when both agree. */
    snprintf(p, sizeof(p), "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"a\",\"sub\":\"b\",\"exp\":%ld}", exp);
    ck_assert_int_eq(check_signed(&rsa1, p), PCFMCP_AUTH_INVALID);
    ck_assert_str_eq(detail, "token has duplicate members");
}
END_TEST

START_TEST(missing_scope_is_insufficient_scope)
{
    ck_assert_int_eq(pcfmcp_auth_set_oauth(auth, ISS, AUD, NULL, "pcf:read pcf:admin"), PCFMCP_OK);
    char *p = claims(NULL);
    ck_assert_int_eq(check_signed(&rsa1, p), PCFMCP_AUTH_INSUFFICIENT_SCOPE);
    ck_assert_str_eq(detail, "token lacks a required scope");
    ck_assert_str_eq(identity, "");
    free(p);
    char q[512];
    snprintf(q, sizeof(q),
             "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"u\",\"exp\":%ld,"
             "\"scp\":[\"pcf:admin\",\"pcf:read\"]}",
             now() + 60);
    ck_assert_int_eq(check_signed(&ec1, q), PCFMCP_AUTH_ALLOW);
    ck_assert_str_eq(scopes, "pcf:admin pcf:read");
    snprintf(q, sizeof(q),
             "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"u\",\"exp\":%ld,"
             "\"scope\":\"  pcf:admin   pcf:read x \"}",
             now() + 60);
    ck_assert_int_eq(check_signed(&ec1, q), PCFMCP_AUTH_ALLOW);
    ck_assert_str_eq(scopes, "pcf:admin pcf:read x");
    snprintf(q, sizeof(q),
             "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"u\",\"exp\":%ld,\"scope\":[\"pcf:admin\"]}",
             now() + 60);
    ck_assert_int_eq(check_signed(&ec1, q), PCFMCP_AUTH_INVALID);
    ck_assert_str_eq(detail, "token scope claim is malformed");
    snprintf(q, sizeof(q), "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"u\",\"exp\":%ld}", now() + 60);
    ck_assert_int_eq(check_signed(&ec1, q), PCFMCP_AUTH_INSUFFICIENT_SCOPE);
}
END_TEST

START_TEST(small_scopes_buffer_is_refused_not_truncated)
{
    char *p = claims(NULL);
    char *h = jwt_header(&rsa1);
    char *tok = jwt_make(&rsa1, h, p, SIGN_KEY);
    char *hdr = malloc(strlen(tok) + 8);
    sprintf(hdr, "Bearer %s", tok);
    char id[64], sc[8];
    ck_assert_int_eq(pcfmcp_auth_check(auth, hdr, id, sizeof(id), sc, sizeof(sc), detail, sizeof(detail)),
                     PCFMCP_AUTH_INVALID);
    ck_assert_str_eq(detail, "scopes buffer too small");
    ck_assert_str_eq(sc, "");
    ck_assert_int_eq(pcfmcp_auth_check(auth, hdr, id, sizeof(id), NULL, 0, NULL, 0), PCFMCP_AUTH_ALLOW);
    ck_assert_str_eq(id, "jwt:user-42");
    free(hdr);
    free(tok);
    free(h);
    free(p);
}
END_TEST

START_TEST(api_keys_and_tokens_work_side_by_side)
{
    char path[] = "/tmp/pcfmcp-keys-XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    char *h = NULL;
    ck_assert_int_eq(pcfmcp_auth_hash_key("service-key-0123456789", &h), PCFMCP_OK);
    dprintf(fd, "svc %s\n", h);
    close(fd);
    pcfmcp_free(h);
    ck_assert_int_eq(pcfmcp_auth_load_api_keys(auth, path, NULL), PCFMCP_OK);
    unlink(path);
    ck_assert_int_eq(check_token("service-key-0123456789"), PCFMCP_AUTH_ALLOW);
    ck_assert_str_eq(identity, "key:svc");
    char *p = claims(NULL);
    ck_assert_int_eq(check_signed(&rsa1, p), PCFMCP_AUTH_ALLOW);
    ck_assert_str_eq(identity, "jwt:user-42");
    free(p);
    ck_assert_int_eq(check_token("other-key-0123456789"), PCFMCP_AUTH_INVALID);
    ck_assert_str_eq(detail, "unknown API key");
}
END_TEST

START_TEST(bad_jwks_text_is_refused_and_keeps_the_old_keys)
{
    ck_assert_int_eq(pcfmcp_auth_set_jwks_json(auth, "{\"keys\":"), PCFMCP_ERR_CONFIG);
    ck_assert_ptr_nonnull(strstr(pcfmcp_auth_errmsg(auth), "JWKS is not JSON"));
    ck_assert_int_eq(pcfmcp_auth_set_jwks_json(auth, "{\"keys\":[]}"), PCFMCP_ERR_CONFIG);
    ck_assert_str_eq(pcfmcp_auth_errmsg(auth), "JWKS holds no usable RS256 or ES256 signing key");
    char *enc = test_key_jwk(&rsa2, "\"use\":\"enc\"");
    char jwks[4096];
    snprintf(jwks, sizeof(jwks), "{\"keys\":[%s,{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}]}", enc);
    free(enc);
    ck_assert_int_eq(pcfmcp_auth_set_jwks_json(auth, jwks), PCFMCP_ERR_CONFIG);
    ck_assert_int_eq(pcfmcp_auth_set_jwks_json(auth, "[]"), PCFMCP_ERR_CONFIG);
    char *p = claims(NULL);
    ck_assert_int_eq(check_signed(&rsa1, p), PCFMCP_AUTH_ALLOW);
    free(p);
}
END_TEST

START_TEST(no_signing_keys_means_unavailable)
{
    pcfmcp_auth_free(auth);
    ck_assert_int_eq(pcfmcp_auth_new(&auth, NULL), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_auth_set_oauth(auth, ISS, AUD, NULL, NULL), PCFMCP_OK);
    char *p = claims(NULL);
    ck_assert_int_eq(check_signed(&rsa1, p), PCFMCP_AUTH_UNAVAILABLE);
    ck_assert_str_eq(detail, "no token signing keys configured");
    free(p);
}
END_TEST

/* ------------------------------------------------------ JWKS over HTTP */

typedef struct {
    struct MHD_Daemon *d;
    pthread_mutex_t lock;
    char *body;
    unsigned status;
    atomic_int hits;
    unsigned port;
} jwks_server;

static jwks_server srv;

static enum MHD_Result serve(void *cls, struct MHD_Connection *c, const char *url,
                             const char *method, const char *version, const char *upload,
                             size_t *upload_size, void **req_cls)
{
    (void)url;
    (void)method;
    (void)version;
    (void)upload;
    (void)upload_size;
    (void)req_cls;
    jwks_server *s = cls;
    atomic_fetch_add(&s->hits, 1);
    pthread_mutex_lock(&s->lock);
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(s->body), s->body, MHD_RESPMEM_MUST_COPY);
    unsigned status = s->status;
    pthread_mutex_unlock(&s->lock);
    MHD_add_response_header(r, "Content-Type", "application/jwk-set+json");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static void serve_keys(const test_key *const *keys, size_t n, unsigned status)
{
    char *body = test_jwks(keys, n);
    pthread_mutex_lock(&srv.lock);
    free(srv.body);
    srv.body = body;
    srv.status = status;
    pthread_mutex_unlock(&srv.lock);
}

static char url[128];

static void setup_http(void)
{
    memset(&srv, 0, sizeof(srv));
    pthread_mutex_init(&srv.lock, NULL);
    atomic_init(&srv.hits, 0);
    const test_key *keys[] = { &rsa1, &ec1 };
    serve_keys(keys, 2, 200);
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = 0 };
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    srv.d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, serve, &srv,
                             MHD_OPTION_SOCK_ADDR, (struct sockaddr *)&sa, MHD_OPTION_END);
    ck_assert_ptr_nonnull(srv.d);
    srv.port = MHD_get_daemon_info(srv.d, MHD_DAEMON_INFO_BIND_PORT)->port;
    snprintf(url, sizeof(url), "http://127.0.0.1:%u/jwks.json", srv.port);
    ck_assert_int_eq(pcfmcp_auth_new(&auth, NULL), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_auth_set_oauth(auth, ISS, AUD, url, NULL), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_auth_set_jwks_limits(auth, 300, 3600, 5000, 256 * 1024), PCFMCP_OK);
}

static void stop_server(void)
{
    if (srv.d)
        MHD_stop_daemon(srv.d);
    srv.d = NULL;
}

static void teardown_http(void)
{
    pcfmcp_auth_free(auth);
    auth = NULL;
    stop_server();
    free(srv.body);
    pthread_mutex_destroy(&srv.lock);
}

START_TEST(jwks_is_fetched_once_and_cached)
{
    char *p = claims(NULL);
    ck_assert_int_eq(check_signed(&rsa1, p), PCFMCP_AUTH_ALLOW);
    ck_assert_int_eq(atomic_load(&srv.hits), 1);
    ck_assert_int_eq(check_signed(&ec1, p), PCFMCP_AUTH_ALLOW);
    ck_assert_int_eq(check_signed(&rsa1, p), PCFMCP_AUTH_ALLOW);
    ck_assert_int_eq(atomic_load(&srv.hits), 1);
    free(p);
}
END_TEST

START_TEST(unknown_kid_refetches_within_the_rate_limit)
{
    char *p = claims(NULL);
    ck_assert_int_eq(check_signed(&rsa1, p), PCFMCP_AUTH_ALLOW);
    ck_assert_int_eq(atomic_load(&srv.hits), 1);
    /* The server rotates in rsa-2. Right after a fetch the rate limit
     * (1 hour here) holds: the unknown kid costs no request. */
    const test_key *rotated[] = { &rsa2, &ec1 };
    serve_keys(rotated, 2, 200);
    ck_assert_int_eq(check_signed(&rsa2, p), PCFMCP_AUTH_INVALID);
    ck_assert_str_eq(detail, "token signed by an unknown key");
    ck_assert_int_eq(atomic_load(&srv.hits), 1);
    /* Without the pause, the unknown kid triggers one refetch and passes. */
    ck_assert_int_eq(pcfmcp_auth_set_jwks_limits(auth, 300, 0, 5000, 256 * 1024), PCFMCP_OK);
    ck_assert_int_eq(check_signed(&rsa2, p), PCFMCP_AUTH_ALLOW);
    ck_assert_int_eq(atomic_load(&srv.hits), 2);
    /* rsa-1 is gone now. */
    ck_assert_int_eq(check_signed(&rsa1, p), PCFMCP_AUTH_INVALID);
    ck_assert_int_eq(atomic_load(&srv.hits), 3);
    free(p);
}
END_TEST

START_TEST(stale_keys_are_refetched_and_kept_when_the_server_fails)
{
    ck_assert_int_eq(pcfmcp_auth_set_jwks_limits(auth, 0, 0, 5000, 256 * 1024), PCFMCP_OK);
    char *p = claims(NULL);
    ck_assert_int_eq(check_signed(&rsa1, p), PCFMCP_AUTH_ALLOW);
    ck_assert_int_eq(check_signed(&rsa1, p), PCFMCP_AUTH_ALLOW);
    ck_assert_int_eq(atomic_load(&srv.hits), 2);
    const test_key *keys[] = { &rsa1 };
    serve_keys(keys, 1, 500);
    ck_assert_int_eq(check_signed(&rsa1, p), PCFMCP_AUTH_ALLOW);
    ck_assert_int_eq(atomic_load(&srv.hits), 3);
    free(p);
}
END_TEST

START_TEST(unreachable_or_broken_jwks_is_unavailable)
{
    char *p = claims(NULL);
    const test_key *keys[] = { &rsa1 };
    serve_keys(keys, 1, 404);
    ck_assert_int_eq(check_signed(&rsa1, p), PCFMCP_AUTH_UNAVAILABLE);
    ck_assert_str_eq(detail, "token signing keys unavailable");
    /* The failure is rate limited too: no second request right away. */
    ck_assert_int_eq(check_signed(&rsa1, p), PCFMCP_AUTH_UNAVAILABLE);
    ck_assert_int_eq(atomic_load(&srv.hits), 1);

    ck_assert_int_eq(pcfmcp_auth_set_jwks_limits(auth, 300, 0, 5000, 64), PCFMCP_OK);
    serve_keys(keys, 1, 200);
    ck_assert_int_eq(check_signed(&rsa1, p), PCFMCP_AUTH_UNAVAILABLE); /* over 64 bytes */
    pthread_mutex_lock(&srv.lock);
    free(srv.body);
    srv.body = strdup("{\"keys\":[{\"kty\":\"oct\"}]}");
    pthread_mutex_unlock(&srv.lock);
    ck_assert_int_eq(check_signed(&rsa1, p), PCFMCP_AUTH_UNAVAILABLE); /* nothing usable */

    stop_server();
    ck_assert_int_eq(check_signed(&rsa1, p), PCFMCP_AUTH_UNAVAILABLE);
    ck_assert_int_eq(pcfmcp_auth_set_jwks_limits(auth, 300, 0, 5000, 256 * 1024), PCFMCP_OK);
    ck_assert_int_eq(check_signed(&rsa1, p), PCFMCP_AUTH_UNAVAILABLE);
    free(p);
}
END_TEST

static void *check_once(void *arg)
{
    const char *tok = arg;
    char hdr[4096], id[PCFMCP_AUTH_IDENTITY_MAX];
    snprintf(hdr, sizeof(hdr), "Bearer %s", tok);
    pcfmcp_auth_verdict_t v = pcfmcp_auth_check(auth, hdr, id, sizeof(id), NULL, 0, NULL, 0);
    return (void *)(intptr_t)(v == PCFMCP_AUTH_ALLOW && strcmp(id, "jwt:user-42") == 0);
}

START_TEST(concurrent_first_checks_share_one_fetch)
{
    char *p = claims(NULL);
    char *h = jwt_header(&ec1);
    char *tok = jwt_make(&ec1, h, p, SIGN_KEY);
    pthread_t th[8];
    for (int i = 0; i < 8; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, check_once, tok), 0);
    for (int i = 0; i < 8; i++) {
        void *ok = NULL;
        pthread_join(th[i], &ok);
        ck_assert(ok != NULL);
    }
    ck_assert_int_eq(atomic_load(&srv.hits), 1);
    free(tok);
    free(h);
    free(p);
}
END_TEST

/* ------------------------------------------------------------- oom sweep */

START_TEST(token_checks_survive_allocation_failures)
{
    char *p = claims(NULL);
    char *tokens[2];
    for (int k = 0; k < 2; k++) {
        const test_key *key = k ? &ec1 : &rsa1;
        char *h = jwt_header(key);
        tokens[k] = jwt_make(key, h, p, SIGN_KEY);
        free(h);
    }
    for (int k = 0; k < 2; k++) {
        int done = 0;
        for (long n = 0; n < 500 && !done; n++) {
            pcfmcp__alloc_fail_after(n);
            pcfmcp_auth_verdict_t v = check_token(tokens[k]);
            long used = pcfmcp__alloc_fail_after(-1);
            if (used <= n) {
                ck_assert_int_eq(v, PCFMCP_AUTH_ALLOW);
                done = 1;
            } else {
                /* Never a pass. cJSON reports a failed allocation as a
                 * syntax error, so a refusal is as good as UNAVAILABLE. */
                ck_assert(v == PCFMCP_AUTH_UNAVAILABLE || v == PCFMCP_AUTH_INVALID);
                if (v == PCFMCP_AUTH_UNAVAILABLE)
                    ck_assert_str_eq(detail, "out of memory");
            }
        }
        ck_assert(done);
        free(tokens[k]);
    }
    free(p);
}
END_TEST

START_TEST(jwks_loading_survives_allocation_failures)
{
    const test_key *keys[] = { &rsa2 };
    char *jwks = test_jwks(keys, 1);
    char *p = claims(NULL);
    int done = 0;
    for (long n = 0; n < 500 && !done; n++) {
        pcfmcp__alloc_fail_after(n);
        pcfmcp_error_t rc = pcfmcp_auth_set_jwks_json(auth, jwks);
        long used = pcfmcp__alloc_fail_after(-1);
        if (rc == PCFMCP_OK) {
            ck_assert_int_le(used, n);
            done = 1;
            ck_assert_int_eq(check_signed(&rsa2, p), PCFMCP_AUTH_ALLOW);
        } else {
            /* CONFIG when cJSON took the failure for bad syntax. */
            ck_assert(rc == PCFMCP_ERR_NOMEM || rc == PCFMCP_ERR_CONFIG);
            ck_assert_int_eq(check_signed(&rsa1, p), PCFMCP_AUTH_ALLOW);
        }
    }
    ck_assert(done);
    free(p);
    free(jwks);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("auth_jwt");
    TCase *t = tcase_create("signatures");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, valid_rs256_and_es256_tokens_are_allowed);
    tcase_add_test(t, token_lifetime_is_capped);
    tcase_add_test(t, unsigned_and_hmac_tokens_are_refused);
    tcase_add_test(t, tampered_tokens_are_invalid);
    tcase_add_test(t, unknown_kid_and_wrong_key_type_are_invalid);
    tcase_add_test(t, token_without_kid_needs_an_unambiguous_key);
    tcase_add_test(t, odd_headers_are_refused);
    suite_add_tcase(s, t);

    t = tcase_create("claims");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, expired_token_is_expired_within_the_clock_skew);
    tcase_add_test(t, token_not_yet_valid_is_invalid);
    tcase_add_test(t, wrong_issuer_or_audience_is_invalid);
    tcase_add_test(t, token_without_usable_sub_is_invalid);
    tcase_add_test(t, missing_scope_is_insufficient_scope);
    tcase_add_test(t, small_scopes_buffer_is_refused_not_truncated);
    tcase_add_test(t, api_keys_and_tokens_work_side_by_side);
    tcase_add_test(t, bad_jwks_text_is_refused_and_keeps_the_old_keys);
    tcase_add_test(t, no_signing_keys_means_unavailable);
    suite_add_tcase(s, t);

    t = tcase_create("jwks_http");
    tcase_add_checked_fixture(t, setup_http, teardown_http);
    tcase_add_test(t, jwks_is_fetched_once_and_cached);
    tcase_add_test(t, unknown_kid_refetches_within_the_rate_limit);
    tcase_add_test(t, stale_keys_are_refetched_and_kept_when_the_server_fails);
    tcase_add_test(t, unreachable_or_broken_jwks_is_unavailable);
    tcase_add_test(t, concurrent_first_checks_share_one_fetch);
    suite_add_tcase(s, t);

    t = tcase_create("oom");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_set_timeout(t, 120);
    tcase_add_test(t, token_checks_survive_allocation_failures);
    tcase_add_test(t, jwks_loading_survives_allocation_failures);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    pcfmcp_global_init();
    test_key_generate(&rsa1, TK_RSA, "rsa-1");
    test_key_generate(&rsa2, TK_RSA, "rsa-2");
    test_key_generate(&ec1, TK_EC, "ec-1");
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    test_key_free(&rsa1);
    test_key_free(&rsa2);
    test_key_free(&ec1);
    pcfmcp_global_cleanup();
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
