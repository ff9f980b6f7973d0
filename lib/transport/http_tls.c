/* TLS material of the HTTP transport: the serving certificate chain and key
 * handed to libmicrohttpd per handshake, swapped on reload without touching
 * open connections, and the CA that client certificates are checked against. */
#include "core/internal.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <gnutls/abstract.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include "core/alloc.h"
#include "core/util.h"
#include "transport/http_internal.h"

#define MAX_CHAIN 16
#define MAX_PEM (1024 * 1024)
#define MAX_RETIRED 16

typedef struct certset {
    gnutls_pcert_st pcerts[MAX_CHAIN];
    unsigned npcerts;
    gnutls_privkey_t key;
    gnutls_x509_trust_list_t trust; /* client CAs, or NULL */
    char *ca_pem;
    long long not_after;
    uint64_t retired_ms;
    struct certset *next;
} certset;

struct pcfmcp__tls_store {
    pthread_mutex_t lock;
    certset *cur;
    /* Sets replaced by a reload. A handshake that picked one up may still
     * be using it, and handshakes end within the connection timeout, so a
     * retired set is freed once it is older than that. */
    certset *retired;
    unsigned nretired;
};

static void certset_free(certset *c)
{
    if (!c)
        return;
    for (unsigned i = 0; i < c->npcerts; i++)
        gnutls_pcert_deinit(&c->pcerts[i]);
    if (c->key)
        gnutls_privkey_deinit(c->key);
    if (c->trust)
        gnutls_x509_trust_list_deinit(c->trust, 1);
    pcfmcp__free(c->ca_pem);
    pcfmcp__free(c);
}

pcfmcp__tls_store *pcfmcp__tls_store_new(void)
{
    pcfmcp__tls_store *ts = pcfmcp__calloc(1, sizeof(*ts));
    if (ts)
        pthread_mutex_init(&ts->lock, NULL);
    return ts;
}

void pcfmcp__tls_store_free(pcfmcp__tls_store *ts)
{
    if (!ts)
        return;
    certset_free(ts->cur);
    while (ts->retired) {
        certset *n = ts->retired->next;
        certset_free(ts->retired);
        ts->retired = n;
    }
    pthread_mutex_destroy(&ts->lock);
    pcfmcp__free(ts);
}

static int read_pem(const char *path, const char *what, char **out, size_t *len, char *err,
                    size_t errsize)
{
    int rc = pcfmcp__read_file(path, MAX_PEM, false, out, len);
    if (rc != 0)
        snprintf(err, errsize, "%s %s: %s", what, path, strerror(rc));
    return rc;
}

pcfmcp_error_t pcfmcp__tls_store_load(pcfmcp__tls_store *ts, const char *cert_file,
                                      const char *key_file, const char *ca_file, char *err,
                                      size_t errsize)
{
    char *cert = NULL, *key = NULL, *ca = NULL;
    size_t cert_len = 0, key_len = 0, ca_len = 0;
    certset *c = NULL;
    pcfmcp_error_t result = PCFMCP_ERR_TLS;
    if (read_pem(cert_file, "certificate", &cert, &cert_len, err, errsize) ||
        read_pem(key_file, "key", &key, &key_len, err, errsize) ||
        (ca_file && *ca_file && read_pem(ca_file, "client CA", &ca, &ca_len, err, errsize)))
        goto out;
    if (!(c = pcfmcp__calloc(1, sizeof(*c)))) {
        result = PCFMCP_ERR_NOMEM;
        goto out;
    }
    gnutls_datum_t d = { (unsigned char *)cert, (unsigned)cert_len };
    c->npcerts = MAX_CHAIN;
    int g = gnutls_pcert_list_import_x509_raw(c->pcerts, &c->npcerts, &d, GNUTLS_X509_FMT_PEM, 0);
    if (g < 0 || c->npcerts == 0) {
        c->npcerts = 0;
        snprintf(err, errsize, "certificate %s: %s", cert_file, g < 0 ? gnutls_strerror(g) : "no certificate");
        goto out;
    }
    gnutls_datum_t kd = { (unsigned char *)key, (unsigned)key_len };
    if ((g = gnutls_privkey_init(&c->key)) < 0 ||
        (g = gnutls_privkey_import_x509_raw(c->key, &kd, GNUTLS_X509_FMT_PEM, NULL, 0)) < 0) {
        snprintf(err, errsize, "key %s: %s", key_file, gnutls_strerror(g));
        goto out;
    }
    /* The key must belong to the leaf certificate. */
    gnutls_pubkey_t pub = NULL;
    gnutls_datum_t probe = { (unsigned char *)"pcf-mcp key check", 17 }, sig = { NULL, 0 };
    gnutls_sign_algorithm_t salg = GNUTLS_SIGN_UNKNOWN;
    int pk = gnutls_privkey_get_pk_algorithm(c->key, NULL);
    g = gnutls_privkey_sign_data(c->key, GNUTLS_DIG_SHA256, 0, &probe, &sig);
    if (g >= 0) {
        pub = c->pcerts[0].pubkey;
        salg = gnutls_pk_to_sign(pk, GNUTLS_DIG_SHA256);
        g = gnutls_pubkey_verify_data2(pub, salg, 0, &probe, &sig);
        gnutls_free(sig.data);
    }
    if (g < 0) {
        snprintf(err, errsize, "key %s does not match certificate %s", key_file, cert_file);
        goto out;
    }
    gnutls_x509_crt_t crt;
    if (gnutls_x509_crt_init(&crt) >= 0) {
        if (gnutls_x509_crt_import(crt, &c->pcerts[0].cert, GNUTLS_X509_FMT_DER) >= 0)
            c->not_after = (long long)gnutls_x509_crt_get_expiration_time(crt);
        gnutls_x509_crt_deinit(crt);
    }
    if (ca) {
        gnutls_datum_t cd = { (unsigned char *)ca, (unsigned)ca_len };
        if ((g = gnutls_x509_trust_list_init(&c->trust, 0)) < 0 ||
            (g = gnutls_x509_trust_list_add_trust_mem(c->trust, &cd, NULL, GNUTLS_X509_FMT_PEM, 0, 0)) <= 0) {
            snprintf(err, errsize, "client CA %s: %s", ca_file, g < 0 ? gnutls_strerror(g) : "no CA certificate");
            goto out;
        }
        c->ca_pem = ca;
        ca = NULL;
    }
    pthread_mutex_lock(&ts->lock);
    certset *old = ts->cur;
    ts->cur = c;
    c = NULL;
    if (old) {
        old->retired_ms = pcfmcp__now_ms();
        old->next = ts->retired;
        ts->retired = old;
        ts->nretired++;
    }
    pthread_mutex_unlock(&ts->lock);
    result = PCFMCP_OK;
out:
    certset_free(c);
    if (key)
        pcfmcp__secure_zero(key, key_len);
    pcfmcp__free(key);
    pcfmcp__free(cert);
    pcfmcp__free(ca);
    return result;
}

void pcfmcp__tls_store_reap(pcfmcp__tls_store *ts, unsigned long long age_ms)
{
    if (!ts)
        return;
    uint64_t now = pcfmcp__now_ms();
    certset *drop = NULL;
    pthread_mutex_lock(&ts->lock);
    certset **pp = &ts->retired;
    unsigned kept = 0;
    while (*pp) {
        certset *c = *pp;
        /* Past the age, or beyond the cap when reloads come in a storm. */
        if (now - c->retired_ms > age_ms || kept >= MAX_RETIRED) {
            *pp = c->next;
            c->next = drop;
            drop = c;
            ts->nretired--;
        } else {
            kept++;
            pp = &c->next;
        }
    }
    pthread_mutex_unlock(&ts->lock);
    while (drop) {
        certset *n = drop->next;
        certset_free(drop);
        drop = n;
    }
}

long long pcfmcp__tls_store_not_after(pcfmcp__tls_store *ts)
{
    if (!ts)
        return 0;
    pthread_mutex_lock(&ts->lock);
    long long v = ts->cur ? ts->cur->not_after : 0;
    pthread_mutex_unlock(&ts->lock);
    return v;
}

const char *pcfmcp__tls_store_ca_pem(pcfmcp__tls_store *ts)
{
    /* Read once at start-up, before the daemon runs. */
    return ts && ts->cur ? ts->cur->ca_pem : NULL;
}

static int retrieve(gnutls_session_t session, const gnutls_datum_t *req_ca_rdn, int nreqs,
                    const gnutls_pk_algorithm_t *pk_algos, int pk_algos_length,
                    gnutls_pcert_st **pcert, unsigned int *pcert_length, gnutls_privkey_t *privkey)
{
    (void)req_ca_rdn, (void)nreqs, (void)pk_algos, (void)pk_algos_length;
    pcfmcp__tls_store *ts = pcfmcp__http_tls_store_for(gnutls_session_get_ptr(session));
    if (!ts)
        return -1;
    pthread_mutex_lock(&ts->lock);
    certset *c = ts->cur;
    if (c) {
        *pcert = c->pcerts;
        *pcert_length = c->npcerts;
        *privkey = c->key;
    }
    pthread_mutex_unlock(&ts->lock);
    return c ? 0 : -1;
}

void *pcfmcp__tls_retrieve_fn(void)
{
    return (void *)(uintptr_t)&retrieve;
}

int pcfmcp__tls_verify_client(pcfmcp__tls_store *ts, void *gs, char *subject, size_t subject_size)
{
    gnutls_session_t session = gs;
    unsigned n = 0;
    const gnutls_datum_t *peers = gnutls_certificate_get_peers(session, &n);
    if (!peers || n == 0)
        return -1;
    if (n > MAX_CHAIN)
        n = MAX_CHAIN;
    gnutls_x509_crt_t crts[MAX_CHAIN];
    unsigned ok = 0;
    for (unsigned i = 0; i < n; i++) {
        if (gnutls_x509_crt_init(&crts[ok]) < 0)
            break;
        if (gnutls_x509_crt_import(crts[ok], &peers[i], GNUTLS_X509_FMT_DER) < 0) {
            gnutls_x509_crt_deinit(crts[ok]);
            break;
        }
        ok++;
    }
    int result = -2;
    if (ok > 0) {
        pthread_mutex_lock(&ts->lock);
        unsigned status = 1;
        /* The certificate must be meant for a TLS client: one issued only
         * for serverAuth (a server's own certificate from the same CA) is
         * no client credential. GnuTLS checks the chain's extended key
         * usage; a certificate without that extension allows any purpose. */
        gnutls_typed_vdata_st purpose = { .type = GNUTLS_DT_KEY_PURPOSE_OID,
                                          .data = (unsigned char *)GNUTLS_KP_TLS_WWW_CLIENT };
        if (ts->cur && ts->cur->trust &&
            gnutls_x509_trust_list_verify_crt2(ts->cur->trust, crts, ok, &purpose, 1, 0, &status,
                                               NULL) >= 0 &&
            status == 0)
            result = 0;
        pthread_mutex_unlock(&ts->lock);
        if (result == 0) {
            gnutls_datum_t dn = { NULL, 0 };
            if (gnutls_x509_crt_get_dn3(crts[0], &dn, 0) >= 0 && dn.data) {
                snprintf(subject, subject_size, "%.*s", (int)dn.size, (const char *)dn.data);
                gnutls_free(dn.data);
            } else {
                snprintf(subject, subject_size, "unnamed client certificate");
            }
        }
    }
    for (unsigned i = 0; i < ok; i++)
        gnutls_x509_crt_deinit(crts[i]);
    return result;
}
