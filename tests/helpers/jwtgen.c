#include "helpers/jwtgen.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

/* Plain abort rather than ck_assert: key generation runs in main(),
 * outside any test, where Check cannot report. */
#define NEED(cond)                                                                                 \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "%s:%d: test helper failed: %s\n", __FILE__, __LINE__, #cond);         \
            abort();                                                                               \
        }                                                                                          \
    } while (0)

void test_key_generate(test_key *k, test_kty kty, const char *kid)
{
    memset(k, 0, sizeof(*k));
    k->kty = kty;
    snprintf(k->kid, sizeof(k->kid), "%s", kid);
    NEED(gnutls_privkey_init(&k->priv) >= 0);
    int rc = kty == TK_RSA
                 ? gnutls_privkey_generate2(k->priv, GNUTLS_PK_RSA, 2048, 0, NULL, 0)
                 : gnutls_privkey_generate2(k->priv, GNUTLS_PK_ECDSA,
                                            GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0,
                                            NULL, 0);
    NEED(rc >= 0);
}

void test_key_free(test_key *k)
{
    if (k->priv)
        gnutls_privkey_deinit(k->priv);
    memset(k, 0, sizeof(*k));
}

char *b64url(const void *data, size_t n)
{
    static const char al[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    const unsigned char *p = data;
    char *out = malloc(n / 3 * 4 + 5);
    NEED(out != NULL);
    size_t k = 0, i = 0;
    for (; i + 2 < n; i += 3) {
        unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8 | p[i + 2];
        out[k++] = al[v >> 18];
        out[k++] = al[(v >> 12) & 63];
        out[k++] = al[(v >> 6) & 63];
        out[k++] = al[v & 63];
    }
    if (n - i == 1) {
        unsigned v = (unsigned)p[i] << 16;
        out[k++] = al[v >> 18];
        out[k++] = al[(v >> 12) & 63];
    } else if (n - i == 2) {
        unsigned v = (unsigned)p[i] << 16 | (unsigned)p[i + 1] << 8;
        out[k++] = al[v >> 18];
        out[k++] = al[(v >> 12) & 63];
        out[k++] = al[(v >> 6) & 63];
    }
    out[k] = '\0';
    return out;
}

/* Big-endian integer of exactly @p width bytes (JWK coordinates, JWS R||S). */
static void fixed_width(const gnutls_datum_t *d, unsigned char *out, size_t width)
{
    size_t z = 0;
    while (z < d->size && d->data[z] == 0)
        z++;
    size_t len = d->size - z;
    NEED(len <= width);
    memset(out, 0, width - len);
    memcpy(out + width - len, d->data + z, len);
}

static char *b64_datum_stripped(const gnutls_datum_t *d)
{
    size_t z = 0;
    while (z + 1 < d->size && d->data[z] == 0)
        z++;
    return b64url(d->data + z, d->size - z);
}

char *test_key_jwk(const test_key *k, const char *extra)
{
    char *out = malloc(2048);
    NEED(out != NULL);
    const char *sep = extra ? "," : "";
    if (k->kty == TK_RSA) {
        gnutls_datum_t m, e;
        NEED(gnutls_privkey_export_rsa_raw2(k->priv, &m, &e, NULL, NULL, NULL, NULL, NULL, NULL,
                                            0) >= 0);
        char *n64 = b64_datum_stripped(&m), *e64 = b64_datum_stripped(&e);
        snprintf(out, 2048, "{\"kty\":\"RSA\",\"kid\":\"%s\",\"n\":\"%s\",\"e\":\"%s\"%s%s}",
                 k->kid, n64, e64, sep, extra ? extra : "");
        free(n64);
        free(e64);
        gnutls_free(m.data);
        gnutls_free(e.data);
    } else {
        gnutls_ecc_curve_t curve;
        gnutls_datum_t x, y;
        NEED(gnutls_privkey_export_ecc_raw2(k->priv, &curve, &x, &y, NULL, 0) >= 0);
        unsigned char xb[32], yb[32];
        fixed_width(&x, xb, 32);
        fixed_width(&y, yb, 32);
        char *x64 = b64url(xb, 32), *y64 = b64url(yb, 32);
        snprintf(out, 2048,
                 "{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"%s\",\"x\":\"%s\",\"y\":\"%s\"%s%s}",
                 k->kid, x64, y64, sep, extra ? extra : "");
        free(x64);
        free(y64);
        gnutls_free(x.data);
        gnutls_free(y.data);
    }
    return out;
}

char *test_jwks(const test_key *const *keys, size_t n)
{
    size_t cap = 64 + n * 2048;
    char *out = malloc(cap);
    NEED(out != NULL);
    strcpy(out, "{\"keys\":[");
    for (size_t i = 0; i < n; i++) {
        char *j = test_key_jwk(keys[i], NULL);
        if (i)
            strcat(out, ",");
        strcat(out, j);
        free(j);
    }
    strcat(out, "]}");
    return out;
}

char *jwt_header(const test_key *k)
{
    char *h = malloc(128);
    NEED(h != NULL);
    snprintf(h, 128, "{\"alg\":\"%s\",\"typ\":\"JWT\",\"kid\":\"%s\"}",
             k->kty == TK_RSA ? "RS256" : "ES256", k->kid);
    return h;
}

char *jwt_make(const test_key *k, const char *header_json, const char *payload_json,
               sign_mode mode)
{
    char *h = b64url(header_json, strlen(header_json));
    char *p = b64url(payload_json, strlen(payload_json));
    size_t in_len = strlen(h) + 1 + strlen(p);
    char *input = malloc(in_len + 1);
    NEED(input != NULL);
    snprintf(input, in_len + 1, "%s.%s", h, p);
    free(h);
    free(p);
    char *sig64 = NULL;
    gnutls_datum_t data = { (unsigned char *)input, (unsigned)in_len }, sig = { NULL, 0 };
    switch (mode) {
    case SIGN_NONE:
        sig64 = strdup("");
        break;
    case SIGN_HS256_WITH_JWK: {
        char *jwk = test_key_jwk(k, NULL);
        unsigned char mac[32];
        NEED(gnutls_hmac_fast(GNUTLS_MAC_SHA256, jwk, strlen(jwk), input, in_len, mac) >= 0);
        free(jwk);
        sig64 = b64url(mac, 32);
        break;
    }
    case SIGN_KEY:
    case SIGN_ES256_DER: {
        gnutls_sign_algorithm_t alg =
            k->kty == TK_RSA ? GNUTLS_SIGN_RSA_SHA256 : GNUTLS_SIGN_ECDSA_SHA256;
        NEED(gnutls_privkey_sign_data2(k->priv, alg, 0, &data, &sig) >= 0);
        if (k->kty == TK_EC && mode == SIGN_KEY) {
            /* JWS wants R||S, 32 bytes each (RFC 7518 3.4), not DER. */
            gnutls_datum_t r, s;
            NEED(gnutls_decode_rs_value(&sig, &r, &s) >= 0);
            unsigned char rs[64];
            fixed_width(&r, rs, 32);
            fixed_width(&s, rs + 32, 32);
            gnutls_free(r.data);
            gnutls_free(s.data);
            sig64 = b64url(rs, 64);
        } else {
            sig64 = b64url(sig.data, sig.size);
        }
        gnutls_free(sig.data);
        break;
    }
    }
    size_t total = in_len + 1 + strlen(sig64) + 1;
    char *tok = malloc(total);
    NEED(tok != NULL);
    snprintf(tok, total, "%s.%s", input, sig64);
    free(input);
    free(sig64);
    return tok;
}
