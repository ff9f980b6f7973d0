#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "helpers/tlsgen.h"

static int write_file(const char *dir, const char *name, const gnutls_datum_t *d)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    FILE *f = fopen(path, "wb");
    if (!f)
        return -1;
    size_t w = fwrite(d->data, 1, d->size, f);
    fclose(f);
    return w == d->size ? 0 : -1;
}

static int read_file(const char *dir, const char *name, gnutls_datum_t *d)
{
    char path[1024];
    snprintf(path, sizeof(path), "%s/%s", dir, name);
    return gnutls_load_file(path, d);
}

static int new_key(gnutls_x509_privkey_t *key)
{
    if (gnutls_x509_privkey_init(key) < 0)
        return -1;
    return gnutls_x509_privkey_generate(*key, GNUTLS_PK_ECDSA,
                                        GNUTLS_CURVE_TO_BITS(GNUTLS_ECC_CURVE_SECP256R1), 0) < 0 ? -1 : 0;
}

int tlsgen_ca(const char *dir)
{
    gnutls_x509_privkey_t key;
    gnutls_x509_crt_t crt;
    gnutls_datum_t out = { NULL, 0 };
    int rc = -1;
    if (new_key(&key) != 0)
        return -1;
    gnutls_x509_crt_init(&crt);
    unsigned char serial = 1;
    time_t now = time(NULL);
    gnutls_x509_crt_set_version(crt, 3);
    gnutls_x509_crt_set_serial(crt, &serial, 1);
    gnutls_x509_crt_set_activation_time(crt, now - 3600);
    gnutls_x509_crt_set_expiration_time(crt, now + 3600 * 24 * 30);
    gnutls_x509_crt_set_dn(crt, "CN=pcf-mcp test CA", NULL);
    gnutls_x509_crt_set_key(crt, key);
    gnutls_x509_crt_set_basic_constraints(crt, 1, -1);
    gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_KEY_CERT_SIGN | GNUTLS_KEY_CRL_SIGN);
    if (gnutls_x509_crt_sign2(crt, crt, key, GNUTLS_DIG_SHA256, 0) < 0)
        goto out;
    if (gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &out) < 0 || write_file(dir, "ca.pem", &out))
        goto out;
    gnutls_free(out.data);
    out.data = NULL;
    if (gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &out) < 0 ||
        write_file(dir, "ca-key.pem", &out))
        goto out;
    rc = 0;
out:
    gnutls_free(out.data);
    gnutls_x509_crt_deinit(crt);
    gnutls_x509_privkey_deinit(key);
    return rc;
}

int tlsgen_issue(const char *dir, const char *name, const char *cn, unsigned serial, int days,
                 int client)
{
    gnutls_datum_t cad = { NULL, 0 }, cakd = { NULL, 0 }, out = { NULL, 0 };
    gnutls_x509_crt_t ca = NULL, crt = NULL;
    gnutls_x509_privkey_t cakey = NULL, key = NULL;
    int rc = -1;
    if (read_file(dir, "ca.pem", &cad) < 0 || read_file(dir, "ca-key.pem", &cakd) < 0)
        goto out;
    gnutls_x509_crt_init(&ca);
    gnutls_x509_privkey_init(&cakey);
    if (gnutls_x509_crt_import(ca, &cad, GNUTLS_X509_FMT_PEM) < 0 ||
        gnutls_x509_privkey_import(cakey, &cakd, GNUTLS_X509_FMT_PEM) < 0 || new_key(&key) != 0)
        goto out;
    gnutls_x509_crt_init(&crt);
    unsigned char sn[4] = { (unsigned char)(serial >> 24), (unsigned char)(serial >> 16),
                            (unsigned char)(serial >> 8), (unsigned char)serial };
    time_t now = time(NULL);
    char dn[256];
    snprintf(dn, sizeof(dn), "CN=%s", cn);
    gnutls_x509_crt_set_version(crt, 3);
    gnutls_x509_crt_set_serial(crt, sn, sizeof(sn));
    gnutls_x509_crt_set_activation_time(crt, now - 3600);
    gnutls_x509_crt_set_expiration_time(crt, now + (time_t)days * 24 * 3600);
    gnutls_x509_crt_set_dn(crt, dn, NULL);
    gnutls_x509_crt_set_key(crt, key);
    gnutls_x509_crt_set_basic_constraints(crt, 0, -1);
    gnutls_x509_crt_set_key_usage(crt, GNUTLS_KEY_DIGITAL_SIGNATURE);
    gnutls_x509_crt_set_key_purpose_oid(crt, client ? GNUTLS_KP_TLS_WWW_CLIENT : GNUTLS_KP_TLS_WWW_SERVER, 0);
    if (!client) {
        gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_DNSNAME, "localhost", 9, GNUTLS_FSAN_APPEND);
        unsigned char ip[4] = { 127, 0, 0, 1 };
        gnutls_x509_crt_set_subject_alt_name(crt, GNUTLS_SAN_IPADDRESS, ip, 4, GNUTLS_FSAN_APPEND);
    }
    if (gnutls_x509_crt_sign2(crt, ca, cakey, GNUTLS_DIG_SHA256, 0) < 0)
        goto out;
    char fname[256];
    if (gnutls_x509_crt_export2(crt, GNUTLS_X509_FMT_PEM, &out) < 0)
        goto out;
    snprintf(fname, sizeof(fname), "%s.pem", name);
    if (write_file(dir, fname, &out))
        goto out;
    gnutls_free(out.data);
    out.data = NULL;
    if (gnutls_x509_privkey_export2(key, GNUTLS_X509_FMT_PEM, &out) < 0)
        goto out;
    snprintf(fname, sizeof(fname), "%s-key.pem", name);
    if (write_file(dir, fname, &out))
        goto out;
    rc = 0;
out:
    gnutls_free(out.data);
    gnutls_free(cad.data);
    gnutls_free(cakd.data);
    if (crt)
        gnutls_x509_crt_deinit(crt);
    if (ca)
        gnutls_x509_crt_deinit(ca);
    if (cakey)
        gnutls_x509_privkey_deinit(cakey);
    if (key)
        gnutls_x509_privkey_deinit(key);
    return rc;
}
