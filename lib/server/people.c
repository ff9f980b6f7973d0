/* Per-person PCF identities: a caller (API key name, token subject, local
 * user) mapped in auth.identities_file acts in PCF with its own credentials,
 * so PCF's own access control applies to each pentester. Once such a file
 * is configured, a caller missing from it (a key removed on SIGHUP, an
 * unmapped token subject) is refused: falling back to the server's
 * credential, possibly PCF's admin, would give it more than it was given.
 * Only auth.require_identity_mapping=false, said explicitly, allows that. */
#include "core/internal.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include <pcfmcp/identity.h>
#include <pcfmcp/pcf.h>
#include <pcfmcp/server.h>

#include "core/alloc.h"
#include "core/config_typed.h"
#include "core/log.h"
#include "core/util.h"
#include "server/guards.h"
#include "server/people.h"
#include "server/server_internal.h"

/* One client per mapped identity and map version. A client stays alive
 * until the server is freed even after a reload replaces it, because calls
 * that picked it may still be running: reloads are rare, so the retired
 * ones cost little. */
typedef struct person {
    char *identity;
    unsigned long epoch;
    pcfmcp_pcf_t *pcf;
    char who[160]; /* the PCF account, for logs and audit: email or token fingerprint */
    struct person *next;
} person;

struct pcfmcp__people {
    pcfmcp_server_t *server;
    pcfmcp_pcf_t *base;  /* the server's own client: settings to copy, fallback */
    pthread_mutex_t lock;
    pcfmcp_identity_map_t *map; /* NULL: no auth.identities_file */
    unsigned long epoch;        /* bumped whenever the map is replaced */
    bool require;
    person *people;
};

static pcfmcp_error_t load_map(pcfmcp_server_t *s, const pcfmcp_config_t *cfg,
                               pcfmcp_identity_map_t **out, char *why, size_t why_len)
{
    *out = NULL;
    const char *path = pcfmcp__cfg_auth_identities_file(cfg);
    if (!path || !*path)
        return PCFMCP_OK;
    pcfmcp_identity_map_t *m = NULL;
    pcfmcp_error_t rc = pcfmcp_identity_map_new(&m, pcfmcp_server_logger(s));
    if (rc != PCFMCP_OK)
        return rc;
    size_t n = 0;
    if ((rc = pcfmcp_identity_map_load(m, path, &n)) != PCFMCP_OK) {
        snprintf(why, why_len, "auth.identities_file: %s", pcfmcp_identity_map_errmsg(m));
        pcfmcp_identity_map_free(m);
        return rc == PCFMCP_ERR_NOMEM ? rc : PCFMCP_ERR_CONFIG;
    }
    pcfmcp_identity_map_set_require_mapping(m, pcfmcp__cfg_auth_require_identity_mapping(cfg));
    *out = m;
    return PCFMCP_OK;
}

pcfmcp_error_t pcfmcp__people_check(const pcfmcp_config_t *cfg, char *why, size_t why_len)
{
    pcfmcp_identity_map_t *m = NULL;
    pcfmcp_error_t rc = load_map(NULL, cfg, &m, why, why_len);
    pcfmcp_identity_map_free(m);
    return rc;
}

pcfmcp_error_t pcfmcp__people_new(pcfmcp__people **out, pcfmcp_server_t *s, pcfmcp_pcf_t *base,
                                  const pcfmcp_config_t *cfg, char *why, size_t why_len)
{
    pcfmcp__people *p = pcfmcp__calloc(1, sizeof(*p));
    if (!p)
        return PCFMCP_ERR_NOMEM;
    p->server = s;
    p->base = base;
    p->require = pcfmcp__cfg_auth_require_identity_mapping(cfg);
    pthread_mutex_init(&p->lock, NULL);
    pcfmcp_error_t rc = load_map(s, cfg, &p->map, why, why_len);
    if (rc != PCFMCP_OK) {
        pcfmcp__people_free(p);
        return rc;
    }
    if (p->map)
        PCFMCP_LOG(pcfmcp_server_logger(s), p->require ? PCFMCP_LOG_INFO : PCFMCP_LOG_WARN, "server",
                   "per-person PCF identities: %zu mapped%s",
                   pcfmcp_identity_map_count(p->map),
                   p->require ? ", unmapped callers refused"
                              : "; unmapped callers act with the pcf.* credentials "
                                "(auth.require_identity_mapping is false)");
    *out = p;
    return PCFMCP_OK;
}

void pcfmcp__people_free(pcfmcp__people *p)
{
    if (!p)
        return;
    for (person *x = p->people, *next; x; x = next) {
        next = x->next;
        pcfmcp_server_detach_pcf(p->server, x->pcf);
        pcfmcp_pcf_free(x->pcf);
        pcfmcp__free(x->identity);
        pcfmcp__free(x);
    }
    pcfmcp_identity_map_free(p->map);
    pthread_mutex_destroy(&p->lock);
    pcfmcp__free(p);
}

/* Names a PCF account without revealing its secret: the login email, or a
 * short SHA-256 fingerprint of the token (enough to tell tokens apart). */
void pcfmcp__people_label(const char *email, const char *token, char *out, size_t n)
{
    char hex[65];
    if (email && *email)
        snprintf(out, n, "%s", email);
    else if (token && *token && pcfmcp__sha256_hex(token, strlen(token), hex) == 0)
        snprintf(out, n, "token-sha256:%.12s", hex);
    else
        snprintf(out, n, "none");
}

/* A client for @p creds that shares the server client's connections and
 * TLS settings. Caller holds the lock. */
static pcfmcp_error_t make_client(pcfmcp__people *p, const pcfmcp_credentials_t *creds, pcfmcp_pcf_t **out,
                                  char *why, size_t why_len)
{
    pcfmcp_pcf_t *c = NULL;
    pcfmcp_error_t rc = pcfmcp_pcf_new_sibling(&c, p->base);
    if (rc != PCFMCP_OK) {
        snprintf(why, why_len, "could not set up your PCF identity (%s)", pcfmcp_strerror(rc));
        return rc;
    }
    const char *token = pcfmcp_credentials_token(creds);
    const char *email = pcfmcp_credentials_email(creds);
    const char *password = pcfmcp_credentials_password(creds);
    if (token)
        rc = pcfmcp_pcf_set_token(c, token);
    if (rc == PCFMCP_OK && email && password)
        rc = pcfmcp_pcf_set_login(c, email, password);
    if (rc != PCFMCP_OK) {
        /* Only a refused value is the file's fault; the caller names a lack of memory. */
        snprintf(why, why_len, "your PCF credentials in auth.identities_file are unusable: %s",
                 pcfmcp_pcf_errmsg(c));
        pcfmcp_pcf_free(c);
        return rc == PCFMCP_ERR_NOMEM ? rc : PCFMCP_ERR_CONFIG;
    }
    if ((rc = pcfmcp_server_attach_pcf(p->server, c)) != PCFMCP_OK) {
        snprintf(why, why_len, "too many PCF identities are active on this server");
        pcfmcp_pcf_free(c);
        return rc;
    }
    *out = c;
    return PCFMCP_OK;
}

pcfmcp_error_t pcfmcp__people_resolve(pcfmcp__people *p, const char *identity, pcfmcp_pcf_t **out,
                                      char *why, size_t why_len)
{
    pthread_mutex_lock(&p->lock);
    pcfmcp_error_t rc = PCFMCP_ERR_NOT_FOUND;
    pcfmcp_credentials_t *creds = NULL;
    if (p->map && identity)
        rc = pcfmcp_identity_map_lookup(p->map, identity, &creds);
    if (rc == PCFMCP_ERR_NOT_FOUND || rc == PCFMCP_ERR_DENIED) {
        pthread_mutex_unlock(&p->lock);
        /* The map answers DENIED for unmapped callers when it requires a
         * mapping; without a map there is nothing to require. */
        if ((p->map && p->require) || rc == PCFMCP_ERR_DENIED) {
            snprintf(why, why_len,
                     "%s has no PCF credentials on this server (auth.identities_file), and "
                     "callers without them are refused (auth.require_identity_mapping)",
                     identity ? identity : "this caller");
            return PCFMCP_ERR_DENIED;
        }
        if (!p->base) {
            snprintf(why, why_len, "PCF is not configured on this server: set pcf.url and "
                                   "credentials (pcf.token, or pcf.email and pcf.password)");
            return PCFMCP_ERR_UNSUPPORTED;
        }
        *out = p->base;
        return PCFMCP_OK;
    }
    if (rc != PCFMCP_OK) {
        pthread_mutex_unlock(&p->lock);
        snprintf(why, why_len, "could not read your PCF credentials (%s)", pcfmcp_strerror(rc));
        return rc;
    }
    if (!p->base) {
        pthread_mutex_unlock(&p->lock);
        pcfmcp_credentials_free(creds);
        snprintf(why, why_len, "PCF is not configured on this server: set pcf.url");
        return PCFMCP_ERR_UNSUPPORTED;
    }
    person *x = p->people;
    while (x && !(x->epoch == p->epoch && strcmp(x->identity, identity) == 0))
        x = x->next;
    if (!x) {
        pcfmcp_pcf_t *c = NULL;
        x = pcfmcp__calloc(1, sizeof(*x));
        char *id = x ? pcfmcp__strdup(identity) : NULL;
        rc = id ? make_client(p, creds, &c, why, why_len) : PCFMCP_ERR_NOMEM;
        if (rc != PCFMCP_OK) {
            pcfmcp__free(id);
            pcfmcp__free(x);
            pthread_mutex_unlock(&p->lock);
            pcfmcp_credentials_free(creds);
            if (rc == PCFMCP_ERR_NOMEM)
                snprintf(why, why_len, "out of memory");
            return rc;
        }
        *x = (person){ .identity = id, .epoch = p->epoch, .pcf = c, .next = p->people };
        pcfmcp__people_label(pcfmcp_credentials_email(creds), pcfmcp_credentials_token(creds),
                             x->who, sizeof(x->who));
        p->people = x;
        /* The log names the PCF account, never the secret. */
        PCFMCP_LOG(pcfmcp_server_logger(p->server), PCFMCP_LOG_INFO, "server",
                   "%s acts in PCF as %s", identity, x->who);
    }
    *out = x->pcf;
    pthread_mutex_unlock(&p->lock);
    pcfmcp_credentials_free(creds);
    return PCFMCP_OK;
}

bool pcfmcp__people_who(pcfmcp__people *p, const char *identity, char *out, size_t n)
{
    bool found = false;
    if (!p || !identity)
        return false;
    pthread_mutex_lock(&p->lock);
    for (person *x = p->people; x && !found; x = x->next)
        if (x->epoch == p->epoch && strcmp(x->identity, identity) == 0) {
            snprintf(out, n, "%s", x->who);
            found = true;
        }
    pthread_mutex_unlock(&p->lock);
    return found;
}

/* ---------------------------------------------------------------- reload */

typedef struct {
    pcfmcp_identity_map_t *map;
    bool require;
} staged_map;

static pcfmcp_error_t prepare(pcfmcp_server_t *s, const pcfmcp_config_t *cfg, void **staged,
                              char *why, size_t why_len, void *ud)
{
    (void)ud;
    staged_map *st = pcfmcp__calloc(1, sizeof(*st));
    if (!st)
        return PCFMCP_ERR_NOMEM;
    pcfmcp_error_t rc = load_map(s, cfg, &st->map, why, why_len);
    if (rc != PCFMCP_OK) {
        pcfmcp__free(st);
        return rc;
    }
    st->require = pcfmcp__cfg_auth_require_identity_mapping(cfg);
    *staged = st;
    return PCFMCP_OK;
}

static void commit(pcfmcp_server_t *s, void *staged, void *ud)
{
    pcfmcp__people *p = ud;
    staged_map *st = staged;
    pthread_mutex_lock(&p->lock);
    pcfmcp_identity_map_t *old = p->map;
    p->map = st->map;
    p->require = st->require;
    p->epoch++; /* clients built from the old map retire */
    size_t n = p->map ? pcfmcp_identity_map_count(p->map) : 0;
    pthread_mutex_unlock(&p->lock);
    pcfmcp_identity_map_free(old);
    pcfmcp__free(st);
    PCFMCP_LOG(pcfmcp_server_logger(s), PCFMCP_LOG_INFO, "server",
               "reload: per-person PCF identities: %zu mapped", n);
}

static void discard(void *staged, void *ud)
{
    (void)ud;
    staged_map *st = staged;
    if (!st)
        return;
    pcfmcp_identity_map_free(st->map);
    pcfmcp__free(st);
}

pcfmcp_error_t pcfmcp__people_add_reloader(pcfmcp__people *p)
{
    pcfmcp__reloader r = { .name = "identities", .prepare = prepare, .commit = commit,
                           .discard = discard, .ud = p };
    return pcfmcp__server_add_reloader(p->server, &r);
}
