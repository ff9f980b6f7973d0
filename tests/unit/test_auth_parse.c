/* Unit tests of the authenticator's parsers (lib/hardening/apikeys.c,
 * jwt.c, jwks_fetch.c): keys files, Bearer headers, JWKS, key lookup, URLs. */
#include "core/internal.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcfmcp/pcfmcp.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "hardening/auth_internal.h"
#include "helpers/jwtgen.h"

static test_key rsa1, ec1;

#define H0 "0000000000000000000000000000000000000000000000000000000000000000"
#define H1 "1111111111111111111111111111111111111111111111111111111111111111"
#define H2 "22222222222222222222222222222222222222222222222222222222222222AA"

static pcfmcp_error_t parse(const char *text, pcfmcp__buf *err, pcfmcp__keyset **ks)
{
    pcfmcp__buf_init(err);
    *ks = NULL;
    return pcfmcp__auth_parse_keys(text, strlen(text), "keys.txt", err, ks);
}

START_TEST(keys_parser_takes_comments_blanks_tabs_and_crlf)
{
    pcfmcp__buf err;
    pcfmcp__keyset *ks;
    ck_assert_int_eq(parse("# header\r\n\r\n  alice\tsha256:" H0 "  # trailing\r\n"
                           "\t\n"
                           "bob.smith@corp-1 sha256:" H2 "\n"
                           "carol sha256:" H1,
                           &err, &ks),
                     PCFMCP_OK);
    ck_assert_uint_eq(ks->n, 3);
    ck_assert_str_eq(ks->keys[0].name, "alice");
    ck_assert_str_eq(ks->keys[1].name, "bob.smith@corp-1");
    ck_assert_uint_eq(ks->keys[1].hash[31], 0xAA); /* upper-case hex accepted */
    ck_assert_str_eq(ks->keys[2].name, "carol");
    pcfmcp__keyset_unref(ks);
    ck_assert_int_eq(parse("", &err, &ks), PCFMCP_OK);
    ck_assert_uint_eq(ks->n, 0);
    pcfmcp__keyset_unref(ks);
    pcfmcp__buf_free(&err);
}
END_TEST

START_TEST(keys_parser_reports_each_bad_line)
{
    /* An array, not a C string: line 4 holds a NUL byte. */
    static const char text[] =
        "a sha256:" "000000000000000000000000000000000000000000000000000000000000000" "\n"
        "nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn sha256:" H0 "\n"
        "b sha256:" H1 "\n"
        "c\0d sha256:" H2 "\n"
        "e sha256:" H1 "\n";
    pcfmcp__buf err;
    pcfmcp__keyset *ks = NULL;
    pcfmcp__buf_init(&err);
    ck_assert_int_eq(pcfmcp__auth_parse_keys(text, sizeof(text) - 1, "keys.txt", &err, &ks),
                     PCFMCP_ERR_CONFIG);
    ck_assert_ptr_null(ks);
    ck_assert_str_eq(err.data, "keys.txt:1: key \"a\": expected 64 hex digits after sha256:, got 63\n"
                               "keys.txt:2: key name longer than 64 characters\n"
                               "keys.txt:4: contains a NUL byte\n"
                               "keys.txt:5: key \"e\" has the same hash as \"b\" (line 3)\n");
    pcfmcp__buf_free(&err);
}
END_TEST

START_TEST(keys_parser_stops_listing_after_ten_problems)
{
    pcfmcp__buf err;
    pcfmcp__keyset *ks;
    char text[512] = "";
    for (int i = 0; i < 13; i++)
        strcat(text, "bad\n");
    ck_assert_int_eq(parse(text, &err, &ks), PCFMCP_ERR_CONFIG);
    int lines = 0;
    for (const char *p = err.data; *p; p++)
        lines += *p == '\n';
    ck_assert_int_eq(lines, 11);
    ck_assert_ptr_nonnull(strstr(err.data, "keys.txt: 3 more problems not shown\n"));
    pcfmcp__buf_free(&err);
}
END_TEST

START_TEST(keys_parser_limits_the_number_of_keys)
{
    size_t per = 8 + 1 + 7 + 64 + 1;
    char *text = malloc((PCFMCP__KEYS_MAX + 1) * per + 1);
    size_t k = 0;
    for (int i = 0; i <= PCFMCP__KEYS_MAX; i++)
        k += (size_t)sprintf(text + k, "k%07d sha256:%064d\n", i, i);
    pcfmcp__buf err;
    pcfmcp__keyset *ks;
    ck_assert_int_eq(parse(text, &err, &ks), PCFMCP_ERR_LIMIT);
    ck_assert_ptr_nonnull(strstr(err.data, "keys.txt:10001: more than 10000 keys"));
    pcfmcp__buf_free(&err);
    free(text);
}
END_TEST

START_TEST(keyset_match_finds_every_entry_and_nothing_else)
{
    char text[64 * 100] = "", line[128];
    char *h = NULL;
    for (int i = 0; i < 20; i++) {
        char key[32];
        snprintf(key, sizeof(key), "unit-test-key-%02d-xyz", i);
        ck_assert_int_eq(pcfmcp_auth_hash_key(key, &h), PCFMCP_OK);
        snprintf(line, sizeof(line), "k%d %s\n", i, h);
        pcfmcp_free(h);
        strcat(text, line);
    }
    pcfmcp__buf err;
    pcfmcp__keyset *ks;
    ck_assert_int_eq(parse(text, &err, &ks), PCFMCP_OK);
    for (int i = 0; i < 20; i++) {
        char key[32];
        snprintf(key, sizeof(key), "unit-test-key-%02d-xyz", i);
        ck_assert_int_eq(pcfmcp__keyset_match(ks, key, strlen(key)), i);
    }
    ck_assert_int_eq(pcfmcp__keyset_match(ks, "unit-test-key-20-xyz", 20), -1);
    ck_assert_int_eq(pcfmcp__keyset_match(ks, "", 0), -1);
    ck_assert_int_eq(pcfmcp__keyset_match(NULL, "x", 1), -1);
    pcfmcp__keyset_unref(ks);
    pcfmcp__buf_free(&err);
}
END_TEST

START_TEST(bearer_header_parsing)
{
    const char *t = NULL;
    size_t n = 0;
    ck_assert_int_eq(pcfmcp__auth_bearer(NULL, &t, &n), PCFMCP__BEARER_MISSING);
    ck_assert_int_eq(pcfmcp__auth_bearer("   ", &t, &n), PCFMCP__BEARER_MISSING);
    ck_assert_int_eq(pcfmcp__auth_bearer("Digest abc", &t, &n), PCFMCP__BEARER_MISSING);
    ck_assert_int_eq(pcfmcp__auth_bearer("Bearer", &t, &n), PCFMCP__BEARER_MALFORMED);
    ck_assert_int_eq(pcfmcp__auth_bearer("Bearer   \t", &t, &n), PCFMCP__BEARER_MALFORMED);
    ck_assert_int_eq(pcfmcp__auth_bearer("Bearer a,b", &t, &n), PCFMCP__BEARER_MALFORMED);
    ck_assert_int_eq(pcfmcp__auth_bearer("BEARER abc==", &t, &n), PCFMCP__BEARER_OK);
    ck_assert_uint_eq(n, 5);
    ck_assert(strncmp(t, "abc==", 5) == 0);
    ck_assert_int_eq(pcfmcp__auth_bearer("\tbearer\t x.y_z-~+/ \t", &t, &n), PCFMCP__BEARER_OK);
    ck_assert_uint_eq(n, 9);
    ck_assert(pcfmcp__auth_is_b64token("A", 1));
    ck_assert(!pcfmcp__auth_is_b64token("=", 1));
    ck_assert(!pcfmcp__auth_is_b64token("a=b", 3));
    ck_assert(!pcfmcp__auth_is_b64token("a\xc3\xa9", 3));
}
END_TEST

START_TEST(scope_tokens_follow_rfc6749)
{
    ck_assert(pcfmcp__scope_token_valid("pcf:read", 8));
    ck_assert(pcfmcp__scope_token_valid("https://x/y!#$", 14));
    ck_assert(!pcfmcp__scope_token_valid("", 0));
    ck_assert(!pcfmcp__scope_token_valid("a b", 3));
    ck_assert(!pcfmcp__scope_token_valid("a\"", 2));
    ck_assert(!pcfmcp__scope_token_valid("a\\", 2));
    ck_assert(!pcfmcp__scope_token_valid("\xc3\xa9", 2));
}
END_TEST

/* ---------------------------------------------------------------- JWKS */

static pcfmcp_error_t jwks(const char *json, pcfmcp__buf *err, pcfmcp__buf *warn,
                           pcfmcp__jwkset **out)
{
    pcfmcp__buf_init(err);
    pcfmcp__buf_init(warn);
    *out = NULL;
    return pcfmcp__jwks_parse(json, strlen(json), err, warn, out);
}

START_TEST(jwks_parser_keeps_signing_keys_and_skips_the_rest)
{
    char *r = test_key_jwk(&rsa1, "\"use\":\"sig\",\"alg\":\"RS256\"");
    char *e = test_key_jwk(&ec1, "\"key_ops\":[\"verify\"]");
    char *enc = test_key_jwk(&rsa1, "\"use\":\"enc\"");
    char *ps = test_key_jwk(&rsa1, "\"alg\":\"PS256\"");
    char text[16384];
    snprintf(text, sizeof(text),
             "{\"keys\":[%s,%s,%s,%s,"
             "{\"kty\":\"oct\",\"k\":\"AAAA\"},"
             "{\"kty\":\"EC\",\"crv\":\"P-384\",\"x\":\"AA\",\"y\":\"AA\"},"
             "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AA\"},"
             "{\"kty\":\"RSA\",\"kid\":\"broken\",\"n\":\"!!\",\"e\":\"AQAB\"},"
             "{\"kty\":\"RSA\",\"kid\":\"tiny\",\"n\":\"AQAB\",\"e\":\"AQAB\"},"
             "{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"short\",\"x\":\"AQAB\",\"y\":\"AQAB\"},"
             "{\"use\":\"sig\"},"
             "7],\"extra\":true}",
             r, e, enc, ps);
    pcfmcp__buf err, warn;
    pcfmcp__jwkset *set;
    ck_assert_int_eq(jwks(text, &err, &warn, &set), PCFMCP_OK);
    ck_assert_uint_eq(set->n, 2);
    ck_assert_str_eq(set->keys[0].kid, "rsa-1");
    ck_assert_int_eq(set->keys[0].kty, PCFMCP__KTY_RSA);
    ck_assert_int_eq(set->keys[0].alg, PCFMCP__ALG_RS256);
    ck_assert_uint_eq(set->keys[0].bits, 2048);
    ck_assert_str_eq(set->keys[1].kid, "ec-1");
    ck_assert_int_eq(set->keys[1].kty, PCFMCP__KTY_EC);
    ck_assert_int_eq(set->keys[1].alg, PCFMCP__ALG_NONE);
    ck_assert_str_eq(warn.data,
                     "JWKS key 7 (kid \"broken\") skipped: RSA key without valid n and e\n"
                     "JWKS key 8 (kid \"tiny\") skipped: RSA modulus not between 2048 and 8192 bits\n"
                     "JWKS key 9 (kid \"short\") skipped: EC key without 32-byte x and y\n"
                     "JWKS key 10 skipped: no kty\n"
                     "JWKS key 11 skipped: not an object\n");
    pcfmcp__jwkset_unref(set);
    pcfmcp__buf_free(&err);
    pcfmcp__buf_free(&warn);
    free(r);
    free(e);
    free(enc);
    free(ps);
}
END_TEST

START_TEST(jwks_parser_refuses_points_off_the_curve)
{
    /* x = y = 1 is not on P-256. */
    const char *text = "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"bad\","
                       "\"x\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE\","
                       "\"y\":\"AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAE\"}]}";
    pcfmcp__buf err, warn;
    pcfmcp__jwkset *set;
    ck_assert_int_eq(jwks(text, &err, &warn, &set), PCFMCP_ERR_CONFIG);
    ck_assert_ptr_null(set);
    ck_assert_ptr_nonnull(strstr(warn.data, "kid \"bad\""));
    ck_assert_str_eq(err.data, "JWKS holds no usable RS256 or ES256 signing key\n");
    pcfmcp__buf_free(&err);
    pcfmcp__buf_free(&warn);
}
END_TEST

START_TEST(jwks_parser_limits_the_number_of_keys)
{
    char *one = test_key_jwk(&ec1, NULL);
    size_t cap = 70 * (strlen(one) + 1) + 32;
    char *text = malloc(cap);
    strcpy(text, "{\"keys\":[");
    for (int i = 0; i < 65; i++) {
        if (i)
            strcat(text, ",");
        strcat(text, one);
    }
    strcat(text, "]}");
    pcfmcp__buf err, warn;
    pcfmcp__jwkset *set;
    ck_assert_int_eq(jwks(text, &err, &warn, &set), PCFMCP_ERR_LIMIT);
    ck_assert_str_eq(err.data, "JWKS holds 65 keys, more than 64\n");
    pcfmcp__buf_free(&err);
    pcfmcp__buf_free(&warn);
    free(text);
    free(one);
}
END_TEST

START_TEST(jwks_lookup_matches_kid_and_key_type)
{
    const test_key *keys[] = { &rsa1, &ec1 };
    char *text = test_jwks(keys, 2);
    pcfmcp__buf err, warn;
    pcfmcp__jwkset *set;
    ck_assert_int_eq(jwks(text, &err, &warn, &set), PCFMCP_OK);
    const pcfmcp__jwk *k = NULL;
    ck_assert_int_eq(pcfmcp__jwks_find(set, "rsa-1", PCFMCP__ALG_RS256, &k), PCFMCP__JWK_FOUND);
    ck_assert_ptr_eq(k, &set->keys[0]);
    ck_assert_int_eq(pcfmcp__jwks_find(set, "ec-1", PCFMCP__ALG_ES256, &k), PCFMCP__JWK_FOUND);
    ck_assert_ptr_eq(k, &set->keys[1]);
    ck_assert_int_eq(pcfmcp__jwks_find(set, "ec-1", PCFMCP__ALG_RS256, &k), PCFMCP__JWK_WRONG_TYPE);
    ck_assert_int_eq(pcfmcp__jwks_find(set, "nope", PCFMCP__ALG_RS256, &k), PCFMCP__JWK_UNKNOWN);
    ck_assert_int_eq(pcfmcp__jwks_find(set, NULL, PCFMCP__ALG_ES256, &k), PCFMCP__JWK_FOUND);
    ck_assert_int_eq(pcfmcp__jwks_find(NULL, "rsa-1", PCFMCP__ALG_RS256, &k), PCFMCP__JWK_UNKNOWN);
    pcfmcp__jwkset_unref(set);
    pcfmcp__buf_free(&err);
    pcfmcp__buf_free(&warn);
    free(text);
}
END_TEST

START_TEST(jwks_parser_survives_allocation_failures)
{
    const test_key *keys[] = { &rsa1, &ec1 };
    char *text = test_jwks(keys, 2);
    int done = 0;
    for (long n = 0; n < 300 && !done; n++) {
        pcfmcp__buf err, warn;
        pcfmcp__jwkset *set = NULL;
        pcfmcp__buf_init(&err);
        pcfmcp__buf_init(&warn);
        pcfmcp__alloc_fail_after(n);
        pcfmcp_error_t rc = pcfmcp__jwks_parse(text, strlen(text), &err, &warn, &set);
        pcfmcp__alloc_fail_after(-1);
        if (rc == PCFMCP_OK) {
            ck_assert_uint_eq(set->n, 2);
            done = 1;
        } else {
            /* CONFIG when cJSON took the failure for bad syntax. */
            ck_assert(rc == PCFMCP_ERR_NOMEM || rc == PCFMCP_ERR_CONFIG);
            ck_assert_ptr_null(set);
        }
        pcfmcp__jwkset_unref(set);
        pcfmcp__buf_free(&err);
        pcfmcp__buf_free(&warn);
    }
    ck_assert(done);
    free(text);
}
END_TEST

START_TEST(jwks_urls_must_be_https_or_loopback_http)
{
    char why[160];
    ck_assert(pcfmcp__jwks_url_ok("https://idp.example.com/.well-known/jwks.json", why, sizeof(why)));
    ck_assert(pcfmcp__jwks_url_ok("HTTPS://idp.example.com:8443/jwks", why, sizeof(why)));
    ck_assert(pcfmcp__jwks_url_ok("http://127.0.0.1:8080/jwks", why, sizeof(why)));
    ck_assert(pcfmcp__jwks_url_ok("http://127.1.2.3/jwks", why, sizeof(why)));
    ck_assert(pcfmcp__jwks_url_ok("http://localhost/jwks", why, sizeof(why)));
    ck_assert(pcfmcp__jwks_url_ok("http://[::1]:9/jwks", why, sizeof(why)));
    ck_assert(!pcfmcp__jwks_url_ok("http://idp.example.com/jwks", why, sizeof(why)));
    ck_assert_str_eq(why, "JWKS URL must use https (http only to a loopback host)");
    ck_assert(!pcfmcp__jwks_url_ok("http://127.0.0.1.evil.com/jwks", why, sizeof(why)));
    ck_assert(!pcfmcp__jwks_url_ok("ftp://idp.example.com/jwks", why, sizeof(why)));
    ck_assert(!pcfmcp__jwks_url_ok("https://user@idp.example.com/jwks", why, sizeof(why)));
    ck_assert_str_eq(why, "JWKS URL must not hold user info");
    ck_assert(!pcfmcp__jwks_url_ok("/jwks", why, sizeof(why)));
    ck_assert_str_eq(why, "JWKS URL is not an absolute URL");
    ck_assert(!pcfmcp__jwks_url_ok(NULL, why, sizeof(why)));
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("auth_parse");
    TCase *t = tcase_create("keys");
    tcase_add_test(t, keys_parser_takes_comments_blanks_tabs_and_crlf);
    tcase_add_test(t, keys_parser_reports_each_bad_line);
    tcase_add_test(t, keys_parser_stops_listing_after_ten_problems);
    tcase_add_test(t, keys_parser_limits_the_number_of_keys);
    tcase_add_test(t, keyset_match_finds_every_entry_and_nothing_else);
    tcase_add_test(t, bearer_header_parsing);
    tcase_add_test(t, scope_tokens_follow_rfc6749);
    suite_add_tcase(s, t);

    t = tcase_create("jwks");
    tcase_add_test(t, jwks_parser_keeps_signing_keys_and_skips_the_rest);
    tcase_add_test(t, jwks_parser_refuses_points_off_the_curve);
    tcase_add_test(t, jwks_parser_limits_the_number_of_keys);
    tcase_add_test(t, jwks_lookup_matches_kid_and_key_type);
    tcase_add_test(t, jwks_parser_survives_allocation_failures);
    tcase_add_test(t, jwks_urls_must_be_https_or_loopback_http);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    pcfmcp_global_init();
    test_key_generate(&rsa1, TK_RSA, "rsa-1");
    test_key_generate(&ec1, TK_EC, "ec-1");
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    test_key_free(&rsa1);
    test_key_free(&ec1);
    pcfmcp_global_cleanup();
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
