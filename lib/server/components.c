#include "core/internal.h"

#include <pwd.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pcfmcp/auth.h>
#include <pcfmcp/http.h>
#include <pcfmcp/pcf.h>
#include <pcfmcp/tools.h>

#include "core/alloc.h"
#include "core/config_keys.h"
#include "core/config_typed.h"
#include "core/error.h"
#include "core/log.h"
#include "hardening/auth_internal.h"
#include "server/guards.h"
#include "server/people.h"
#include "server/readiness.h"
#include "server/server_internal.h"
#include "tools/toolset.h"

struct pcfmcp__server_parts {
    /* Read by pcfmcp_server_stop() from another thread; freed only in
     * teardown, after the stopper is gone. */
    _Atomic(pcfmcp_http_t *) http;
    pcfmcp_auth_t *auth; /* HTTP authentication; NULL when none is configured */
    pcfmcp_pcf_t *pcf;   /* the server's own PCF credential; NULL without pcf.url */
    pcfmcp__people *people; /* per-person PCF credentials (auth.identities_file) */
    pcfmcp__readiness *ready; /* /readyz: is the server's PCF credential accepted */
    pcfmcp_toolset_t *toolset;
};

static pcfmcp_error_t resolve_person(const char *identity, pcfmcp_pcf_t **out, char *why,
                                     size_t why_size, void *ud)
{
    return pcfmcp__people_resolve(ud, identity, out, why, why_size);
}

/* The stdio client is whoever started us: name the local account so logs
 * and audit records say who acted. */
static void local_identity(pcfmcp_server_t *s)
{
    struct passwd pw, *res = NULL;
    char buf[1024];
    if (getpwuid_r(getuid(), &pw, buf, sizeof(buf), &res) == 0 && res)
        snprintf(s->stdio_identity, sizeof(s->stdio_identity), "local:%s", res->pw_name);
    else
        snprintf(s->stdio_identity, sizeof(s->stdio_identity), "local:uid-%u", (unsigned)getuid());
}

/* An empty setting is no setting. */
static const char *nz(const char *v)
{
    return v && *v ? v : NULL;
}

/* pcf.channels: "capability=channel,..." */
static pcfmcp_error_t apply_channels(const pcfmcp_config_t *c, pcfmcp_pcf_t *pcf, char *why,
                                     size_t n)
{
    const char *list = nz(pcfmcp__cfg_pcf_channels(c));
    if (!list)
        return PCFMCP_OK;
    char item[128];
    const char *p = list;
    while (*p) {
        size_t len = strcspn(p, ",");
        snprintf(item, sizeof(item), "%.*s", (int)len, p);
        char *eq = strchr(item, '=');
        char *k = item;
        while (*k == ' ')
            k++;
        if (!eq) {
            snprintf(why, n, "\"%s\" is not capability=channel (e.g. issues_write=ui)", k);
            return PCFMCP_ERR_CONFIG;
        }
        *eq = '\0';
        char *v = eq + 1;
        while (*v == ' ')
            v++;
        for (char *e = eq - 1; e >= k && *e == ' '; e--)
            *e = '\0';
        for (char *e = v + strlen(v) - 1; e >= v && *e == ' '; e--)
            *e = '\0';
        if (pcfmcp_pcf_set_channel(pcf, k, v) != PCFMCP_OK) {
            snprintf(why, n, "%s=%s: %s", k, v, pcfmcp_pcf_errmsg(pcf));
            return PCFMCP_ERR_CONFIG;
        }
        p += len;
        if (*p == ',')
            p++;
    }
    return PCFMCP_OK;
}

/* Builds the PCF client from pcf.* (see server_internal.h). Nothing is
 * contacted here: PCF may be down at start-up, and tool calls then say what
 * is wrong. */
pcfmcp_error_t pcfmcp__server_build_pcf(const pcfmcp_config_t *c, pcfmcp_logger_t *log,
                                        pcfmcp_pcf_t **out, const char **key, char *why,
                                        size_t n)
{
    *out = NULL;
    const char *url = nz(pcfmcp__cfg_pcf_url(c));
    if (!url)
        return PCFMCP_OK;
    pcfmcp_pcf_t *pcf = NULL;
    pcfmcp_error_t rc = pcfmcp_pcf_new(&pcf, url, log);
    if (rc != PCFMCP_OK) {
        *key = "pcf.url";
        snprintf(why, n, "%s", rc == PCFMCP_ERR_INVALID_ARG ? "not an http(s) URL" : pcfmcp_strerror(rc));
        return rc == PCFMCP_ERR_NOMEM ? rc : PCFMCP_ERR_CONFIG;
    }
    const char *token = nz(pcfmcp__cfg_pcf_token(c)), *email = nz(pcfmcp__cfg_pcf_email(c)),
               *password = nz(pcfmcp__cfg_pcf_password(c));
    const char *what = "";
    if (token && (rc = pcfmcp_pcf_set_token(pcf, token)) != PCFMCP_OK)
        what = "pcf.token";
    else if (email && password && (rc = pcfmcp_pcf_set_login(pcf, email, password)) != PCFMCP_OK)
        what = "pcf.email";
    else if ((rc = pcfmcp_pcf_set_token_duration(
                  pcf, (long)(pcfmcp__cfg_pcf_token_duration(c) / 1000))) !=
             PCFMCP_OK)
        what = "pcf.token_duration";
    else if (nz(pcfmcp__cfg_pcf_ca_file(c)) && (rc = pcfmcp_pcf_set_ca_file(pcf, nz(pcfmcp__cfg_pcf_ca_file(c)))))
        what = "pcf.ca_file";
    else if (nz(pcfmcp__cfg_pcf_ca_dir(c)) && (rc = pcfmcp_pcf_set_ca_dir(pcf, nz(pcfmcp__cfg_pcf_ca_dir(c)))))
        what = "pcf.ca_dir";
    else if (pcfmcp__cfg_pcf_insecure(c) && (rc = pcfmcp_pcf_set_insecure(pcf, 1)))
        what = "pcf.insecure";
    else if (nz(pcfmcp__cfg_pcf_client_cert(c)) &&
             (rc = pcfmcp_pcf_set_client_cert(pcf, nz(pcfmcp__cfg_pcf_client_cert(c)),
                                              nz(pcfmcp__cfg_pcf_client_key(c)), NULL)))
        what = "pcf.client_cert";
    else if (nz(pcfmcp__cfg_pcf_basic_user(c)) &&
             (rc = pcfmcp_pcf_set_basic_auth(pcf, nz(pcfmcp__cfg_pcf_basic_user(c)),
                                             nz(pcfmcp__cfg_pcf_basic_password(c))
                                                 ? nz(pcfmcp__cfg_pcf_basic_password(c))
                                                 : "")))
        what = "pcf.basic_user";
    else if ((rc = pcfmcp_pcf_set_timeouts(pcf, (long)pcfmcp__cfg_pcf_connect_timeout(c),
                                           (long)pcfmcp__cfg_pcf_request_timeout(c),
                                           (long)pcfmcp__cfg_pcf_total_timeout(c))))
        what = "pcf.request_timeout";
    else if ((rc = pcfmcp_pcf_set_max_body(pcf, (size_t)pcfmcp__cfg_pcf_max_body_bytes(c))))
        what = "pcf.max_body_bytes";
    else if ((rc = pcfmcp_pcf_set_retry(pcf, (int)pcfmcp__cfg_pcf_retries(c) + 1, 250,
                                        5000)))
        what = "pcf.retries";
    else if ((rc = pcfmcp_pcf_set_allow_api_issue_writes(
                  pcf, pcfmcp__cfg_pcf_allow_api_issue_writes(c))))
        what = "pcf.allow_api_issue_writes";
    else if (nz(pcfmcp__cfg_pcf_token_state_file(c)) &&
             (rc = pcfmcp_pcf_set_token_state_file(pcf, nz(pcfmcp__cfg_pcf_token_state_file(c)))))
        what = "pcf.token_state_file";
    if (rc != PCFMCP_OK) {
        *key = what;
        snprintf(why, n, "%s", pcfmcp_pcf_errmsg(pcf));
        pcfmcp_pcf_free(pcf);
        return rc == PCFMCP_ERR_NOMEM ? rc : PCFMCP_ERR_CONFIG;
    }
    if ((rc = apply_channels(c, pcf, why, n)) != PCFMCP_OK) {
        *key = "pcf.channels";
        pcfmcp_pcf_free(pcf);
        return rc;
    }
    *out = pcf;
    return PCFMCP_OK;
}

static pcfmcp_error_t build_pcf(pcfmcp_server_t *s, pcfmcp_pcf_t **out)
{
    const char *key = "pcf";
    char why[900] = "";
    pcfmcp_error_t rc = pcfmcp__server_build_pcf(s->config, s->log, out, &key, why, sizeof(why));
    if (rc != PCFMCP_OK) {
        pcfmcp__fail(s, rc, "%s: %s", key, why[0] ? why : pcfmcp_strerror(rc));
        return rc;
    }
    if (!*out) {
        PCFMCP_LOG(s->log, PCFMCP_LOG_WARN, "server",
                   "pcf.url is not set: tools are listed but every call will say PCF is not "
                   "configured");
        return PCFMCP_OK;
    }
    const char *token = nz(pcfmcp__cfg_pcf_token(s->config)), *email = nz(pcfmcp__cfg_pcf_email(s->config)),
               *password = nz(pcfmcp__cfg_pcf_password(s->config));
    if (!token && !(email && password))
        PCFMCP_LOG(s->log, PCFMCP_LOG_WARN, "server",
                   "no PCF credentials: set pcf.token, or pcf.email and pcf.password");
    else if (!(email && password))
        PCFMCP_LOG(s->log, PCFMCP_LOG_INFO, "server",
                   "PCF token only: the tools that need PCF's web session (credentials, notes, "
                   "scan imports, snapshot; issue writes unless pcf.allow_api_issue_writes) are "
                   "not offered; pcf.email and pcf.password bring them");
    return PCFMCP_OK;
}

pcfmcp_error_t pcfmcp__server_setup_components(pcfmcp_server_t *s)
{
    local_identity(s);
    if (!(s->parts = pcfmcp__calloc(1, sizeof(*s->parts))))
        return PCFMCP_ERR_NOMEM;
    pcfmcp_error_t rc = build_pcf(s, &s->parts->pcf);
    if (rc != PCFMCP_OK)
        return rc;
    /* Metrics, the read cache, tracing and the concurrency gate. */
    if (s->parts->pcf && (rc = pcfmcp_server_attach_pcf(s, s->parts->pcf)) != PCFMCP_OK)
        return rc;
    if ((rc = pcfmcp__readiness_new(&s->parts->ready, s->parts->pcf, s->log,
                                    (uint64_t)pcfmcp__cfg_server_readiness_ttl(s->config),
                                    (uint64_t)pcfmcp__cfg_pcf_total_timeout(s->config))) !=
        PCFMCP_OK)
        return rc;
    rc = pcfmcp_toolset_new_from_config(&s->parts->toolset, s->config);
    if (rc != PCFMCP_OK) {
        pcfmcp__fail(s, rc, "%s",
                     s->parts->toolset ? pcfmcp_toolset_errmsg(s->parts->toolset)
                     : pcfmcp_strerror(rc));
        return rc;
    }
    if (pcfmcp__cfg_tools_validate_output(s->config))
        pcfmcp_engine_set_validate_output(s->engine, 1);
    pcfmcp_toolset_set_logger(s->parts->toolset, s->log);
    pcfmcp_toolset_set_pcf(s->parts->toolset, s->parts->pcf);
    char why[1024] = "";
    if ((rc = pcfmcp__people_new(&s->parts->people, s, s->parts->pcf, s->config, why,
                                 sizeof(why))) != PCFMCP_OK)
        return why[0] ? pcfmcp__fail(s, rc, "%s", why) : rc;
    if ((rc = pcfmcp__people_add_reloader(s->parts->people)) != PCFMCP_OK)
        return rc;
    /* Always through the resolver, so a reload can add a mapping later. */
    pcfmcp_toolset_set_resolver(s->parts->toolset, resolve_person, s->parts->people);
    /* people.c looks callers up in memory and never waits on I/O. */
    pcfmcp__toolset_set_resolver_quick(s->parts->toolset, true);
    /* Mapped callers use credentials of their own: the server's do not
     * decide which tools are offered (each call is still checked). */
    pcfmcp__toolset_set_per_caller_credentials(s->parts->toolset,
                                               nz(pcfmcp__cfg_auth_identities_file(s->config)) != NULL);
    rc = pcfmcp_toolset_register(s->parts->toolset, s->engine);
    if (rc != PCFMCP_OK) {
        pcfmcp__fail(s, rc, "tools: %s",
                     pcfmcp_toolset_errmsg(s->parts->toolset));
        return rc;
    }
    return PCFMCP_OK;
}

/* The transport goes first; the toolset and the PCF client stay until the
 * engine that borrows them is gone (pcfmcp__server_release_parts). */
void pcfmcp__server_teardown_components(pcfmcp_server_t *s)
{
    if (!s->parts)
        return;
    pcfmcp_http_free(atomic_load(&s->parts->http));
    atomic_store(&s->parts->http, NULL);
    pcfmcp_auth_free(s->parts->auth);
    s->parts->auth = NULL;
}

int pcfmcp__server_pcf_ready(pcfmcp_server_t *s, char *why, size_t n)
{
    if (!s->parts || !s->parts->ready) {
        snprintf(why, n, "starting");
        return 0;
    }
    return pcfmcp__readiness_check(s->parts->ready, why, n);
}

void pcfmcp__server_pcf_status(pcfmcp_server_t *s, int *up, uint64_t *checked_at_wall_ms)
{
    *up = 0;
    *checked_at_wall_ms = 0;
    if (s->parts && s->parts->ready)
        pcfmcp__readiness_status(s->parts->ready, up, checked_at_wall_ms, NULL);
}

void pcfmcp__server_pcf_user(pcfmcp_server_t *s, const char *identity, char *out, size_t n)
{
    if (s->parts && pcfmcp__people_who(s->parts->people, identity, out, n))
        return;
    if (!s->parts || !s->parts->pcf) {
        snprintf(out, n, "none");
        return;
    }
    pcfmcp__people_label(pcfmcp__cfg_pcf_email(s->config),
                         pcfmcp__cfg_pcf_token(s->config), out, n);
}

void pcfmcp__server_release_parts(pcfmcp_server_t *s)
{
    if (!s->parts)
        return;
    pcfmcp_toolset_free(s->parts->toolset);
    pcfmcp__people_free(s->parts->people);
    pcfmcp__readiness_free(s->parts->ready); /* waits for a probe still using the client */
    if (s->parts->pcf)
        pcfmcp_server_detach_pcf(s, s->parts->pcf);
    pcfmcp_pcf_free(s->parts->pcf);
    pcfmcp__free(s->parts);
    s->parts = NULL;
}

typedef struct {
    size_t key; /* PCFMCP__CFG_*: an INT or DURATION key */
    pcfmcp_http_limit_t limit;
} limit_key;

static const limit_key LIMITS[] = {
    { PCFMCP__CFG_server_max_body_bytes, PCFMCP_HTTP_LIMIT_BODY_BYTES },
    { PCFMCP__CFG_server_max_header_bytes, PCFMCP_HTTP_LIMIT_HEADER_BYTES },
    { PCFMCP__CFG_server_max_connections, PCFMCP_HTTP_LIMIT_CONNECTIONS },
    { PCFMCP__CFG_server_max_connections_per_ip, PCFMCP_HTTP_LIMIT_CONNECTIONS_PER_IP },
    { PCFMCP__CFG_server_connection_timeout, PCFMCP_HTTP_LIMIT_CONNECTION_TIMEOUT_MS },
    { PCFMCP__CFG_server_request_read_timeout, PCFMCP_HTTP_LIMIT_REQUEST_READ_TIMEOUT_MS },
    { PCFMCP__CFG_server_threads, PCFMCP_HTTP_LIMIT_THREADS },
    { PCFMCP__CFG_server_max_sessions, PCFMCP_HTTP_LIMIT_SESSIONS },
    { PCFMCP__CFG_server_max_sessions_per_caller, PCFMCP_HTTP_LIMIT_SESSIONS_PER_CALLER },
    { PCFMCP__CFG_server_session_idle_timeout, PCFMCP_HTTP_LIMIT_SESSION_IDLE_MS },
    { PCFMCP__CFG_server_sse_keepalive, PCFMCP_HTTP_LIMIT_SSE_KEEPALIVE_MS },
    { PCFMCP__CFG_server_sse_buffer_events, PCFMCP_HTTP_LIMIT_SSE_BUFFER_EVENTS },
    { PCFMCP__CFG_server_streams_per_session, PCFMCP_HTTP_LIMIT_STREAMS_PER_SESSION },
    { PCFMCP__CFG_server_shutdown_grace, PCFMCP_HTTP_LIMIT_GRACE_MS },
    { PCFMCP__CFG_server_gzip_min_bytes, PCFMCP_HTTP_LIMIT_GZIP_MIN_BYTES },
};

/* ------------------------------------------------------- authentication */

/* The transport's authenticator hook on top of pcfmcp_auth_check(). */
static pcfmcp_http_auth_verdict_t http_auth(const char *authorization, const char *cert_subject,
                                            char *identity, size_t identity_size,
                                            const char *metadata_url, char **www, void *ud)
{
    (void)cert_subject;
    pcfmcp_server_t *s = ud;
    pcfmcp_auth_t *a = s->parts->auth;
    char ident[PCFMCP_AUTH_IDENTITY_MAX], scopes[PCFMCP_AUTH_SCOPES_MAX], detail[160] = "";
    pcfmcp_auth_verdict_t v = pcfmcp_auth_check(a, authorization, ident, sizeof(ident), scopes,
                                                sizeof(scopes), detail, sizeof(detail));
    if (v == PCFMCP_AUTH_ALLOW) {
        snprintf(identity, identity_size, "%s", ident);
        return PCFMCP_HTTP_AUTH_ALLOW;
    }
    /* Nobody was authenticated, but every line names who asked. */
    pcfmcp__log_fields f = { .identity = "anonymous" };
    PCFMCP_LOGF(s->log, PCFMCP_LOG_INFO, "auth", &f, "refused an HTTP request: %s (%s)",
                pcfmcp_auth_verdict_name(v), detail[0] ? detail : "no detail");
    pcfmcp__server_count_auth_failure(s, v == PCFMCP_AUTH_MISSING   ? "missing"
                                         : v == PCFMCP_AUTH_EXPIRED ? "expired"
                                         : v == PCFMCP_AUTH_INSUFFICIENT_SCOPE
                                             ? "insufficient_scope"
                                         : v == PCFMCP_AUTH_INVALID ? "invalid"
                                                                    : "unavailable");
    char *w = NULL;
    /* Resource metadata exists only with OAuth; API keys alone get a plain challenge. */
    if (v != PCFMCP_AUTH_UNAVAILABLE &&
        pcfmcp_auth_www_authenticate(a, v, pcfmcp_auth_oauth_enabled(a) ? metadata_url : NULL, &w) == PCFMCP_OK)
        *www = w; /* pcfmcp_free() is free(): the transport may free() it */
    switch (v) {
    case PCFMCP_AUTH_MISSING: return PCFMCP_HTTP_AUTH_MISSING;
    case PCFMCP_AUTH_EXPIRED: return PCFMCP_HTTP_AUTH_EXPIRED;
    case PCFMCP_AUTH_INSUFFICIENT_SCOPE: return PCFMCP_HTTP_AUTH_INSUFFICIENT_SCOPE;
    case PCFMCP_AUTH_UNAVAILABLE: return PCFMCP_HTTP_AUTH_UNAVAILABLE;
    case PCFMCP_AUTH_ALLOW:
    case PCFMCP_AUTH_INVALID:
    default: return PCFMCP_HTTP_AUTH_INVALID;
    }
}

static pcfmcp_error_t http_metadata(const char *resource_url, char **out_json, void *ud)
{
    pcfmcp_server_t *s = ud;
    return pcfmcp_auth_resource_metadata(s->parts->auth, resource_url, out_json);
}

/* auth.oauth_scopes is a comma list; the authenticator wants spaces. */
static void scopes_text(const char *list, char *out, size_t n)
{
    size_t k = 0;
    for (const char *p = list ? list : ""; *p && k + 1 < n; p++)
        if (*p != ' ')
            out[k++] = *p == ',' ? ' ' : *p;
    out[k] = '\0';
}

/* Builds the authenticator from auth.* (see server_internal.h). */
pcfmcp_error_t pcfmcp__server_build_auth(const pcfmcp_config_t *c, pcfmcp_logger_t *log,
                                         pcfmcp_auth_t **out, const char **key, char *why,
                                         size_t n)
{
    *out = NULL;
    const char *keys = nz(pcfmcp__cfg_auth_api_keys_file(c));
    const char *issuer = nz(pcfmcp__cfg_auth_oauth_issuer(c));
    if (!keys && !issuer)
        return PCFMCP_OK;
    pcfmcp_auth_t *a = NULL;
    pcfmcp_error_t rc = pcfmcp_auth_new(&a, log);
    if (rc != PCFMCP_OK)
        return rc;
    *key = "auth.api_keys_file";
    size_t nkeys = 0;
    if (keys && (rc = pcfmcp_auth_load_api_keys(a, keys, &nkeys)) != PCFMCP_OK)
        goto bad;
    if (issuer) {
        char scopes[1024];
        scopes_text(pcfmcp__cfg_auth_oauth_scopes(c), scopes, sizeof(scopes));
        *key = "auth.oauth_issuer";
        if ((rc = pcfmcp_auth_set_oauth(a, issuer, nz(pcfmcp__cfg_auth_oauth_audience(c)),
                                        nz(pcfmcp__cfg_auth_oauth_jwks_url(c)), scopes[0] ? scopes : NULL)))
            goto bad;
        *key = "auth.oauth_jwks_ca_file";
        if ((rc = pcfmcp_auth_set_jwks_ca_file(a, nz(pcfmcp__cfg_auth_oauth_jwks_ca_file(c)))))
            goto bad;
        *key = "auth.oauth_jwks_cache_ttl";
        if ((rc = pcfmcp_auth_set_jwks_limits(a, (unsigned)(pcfmcp__cfg_auth_oauth_jwks_cache_ttl(c) / 1000),
                                              30, 5000, 262144)))
            goto bad;
        *key = "auth.clock_skew";
        if ((rc = pcfmcp_auth_set_clock_skew(a, (unsigned)(pcfmcp__cfg_auth_clock_skew(c) / 1000))))
            goto bad;
        *key = "auth.max_token_lifetime";
        if ((rc = pcfmcp_auth_set_max_token_lifetime(
                 a, (unsigned)(pcfmcp__cfg_auth_max_token_lifetime(c) / 1000))))
            goto bad;
    }
    PCFMCP_LOG(log, PCFMCP_LOG_INFO, "auth", "HTTP authentication: %zu API key(s)%s", nkeys,
               issuer ? ", OAuth access tokens" : "");
    *out = a;
    return PCFMCP_OK;
bad:
    snprintf(why, n, "%s", pcfmcp_auth_errmsg(a));
    pcfmcp_auth_free(a);
    /* Running out of memory is no fault of the configuration. */
    return rc == PCFMCP_ERR_NOMEM ? rc : PCFMCP_ERR_CONFIG;
}

/* The HTTP transport's settings from server.* (see server_internal.h). */
pcfmcp_error_t pcfmcp__server_http_settings(const pcfmcp_config_t *c, pcfmcp_http_t *h,
                                            pcfmcp_auth_t *a, void *auth_ud,
                                            pcfmcp_logger_t *log, const char **key, char *why,
                                            size_t n)
{
    pcfmcp_error_t rc;
    *key = "server.host";
    if ((rc = pcfmcp_http_set_logger(h, log)) ||
        (rc = pcfmcp_http_set_listen(h, pcfmcp__cfg_server_host(c),
                                     (unsigned)pcfmcp__cfg_server_port(c))))
        goto bad;
    *key = "server.path";
    if ((rc = pcfmcp_http_set_path(h, pcfmcp__cfg_server_path(c))))
        goto bad;
    *key = "server.stateless";
    if ((rc = pcfmcp_http_set_stateless(h, pcfmcp__cfg_server_stateless(c))))
        goto bad;
    for (size_t i = 0; i < PCFMCP_ARRAY_LEN(LIMITS); i++) {
        *key = pcfmcp__config_keys[LIMITS[i].key].key;
        if ((rc = pcfmcp_http_set_limit(h, LIMITS[i].limit,
                                        (unsigned long long)pcfmcp__config_int_at(c, LIMITS[i].key))))
            goto bad;
    }
    *key = "server.allowed_origins";
    if ((rc = pcfmcp_http_set_allowed_origins(h, nz(pcfmcp__cfg_server_allowed_origins(c)))))
        goto bad;
    *key = "server.allowed_hosts";
    if ((rc = pcfmcp_http_set_allowed_hosts(h, nz(pcfmcp__cfg_server_allowed_hosts(c)))))
        goto bad;
    /* The resource URL in metadata and challenges: the public URL, else the
     * OAuth audience (this server's canonical URL), else the Host header. */
    const char *pub = nz(pcfmcp__cfg_server_public_url(c));
    if (!pub)
        pub = nz(pcfmcp__cfg_auth_oauth_audience(c));
    *key = "server.public_url";
    if ((rc = pcfmcp_http_set_auth(h, pcfmcp_auth_enabled(a) ? http_auth : NULL,
                                   pcfmcp_auth_oauth_enabled(a) ? http_metadata : NULL, pub,
                                   auth_ud)))
        goto bad;
    pcfmcp_http_set_insecure_no_auth(h, pcfmcp__cfg_auth_insecure_no_auth(c));
    const char *cert = nz(pcfmcp__cfg_server_tls_cert(c)), *tkey = nz(pcfmcp__cfg_server_tls_key(c));
    if (cert || tkey) {
        *key = cert ? "server.tls_cert" : "server.tls_key";
        if (!cert || !tkey) {
            snprintf(why, n, "server.tls_cert and server.tls_key are both needed");
            return PCFMCP_ERR_CONFIG;
        }
        if ((rc = pcfmcp_http_set_tls(h, cert, tkey, nz(pcfmcp__cfg_server_tls_client_ca(c)))))
            goto bad;
        const char *prio = nz(pcfmcp__cfg_server_tls_priorities(c));
        *key = "server.tls_priorities";
        if (prio && (rc = pcfmcp_http_set_tls_priorities(h, prio)))
            goto bad;
    } else if (nz(pcfmcp__cfg_server_tls_client_ca(c))) {
        *key = "server.tls_client_ca";
        snprintf(why, n, "needs server.tls_cert and server.tls_key");
        return PCFMCP_ERR_CONFIG;
    }
    const char *mhost = nz(pcfmcp__cfg_server_metrics_host(c));
    *key = "server.metrics_host";
    if (mhost && (rc = pcfmcp_http_set_ops_listen(h, mhost, (unsigned)pcfmcp__cfg_server_metrics_port(c))))
        goto bad;
    const char *mauth = pcfmcp__cfg_server_metrics_auth(c);
    *key = "server.metrics_auth";
    if ((rc = pcfmcp_http_set_metrics_auth(h, strcmp(mauth, "always") == 0  ? PCFMCP_HTTP_METRICS_AUTH_ALWAYS
                                              : strcmp(mauth, "never") == 0 ? PCFMCP_HTTP_METRICS_AUTH_NEVER
                                                                            : PCFMCP_HTTP_METRICS_AUTH_AUTO)))
        goto bad;
    return PCFMCP_OK;
bad:
    if (rc == PCFMCP_ERR_NOMEM)
        return rc;
    snprintf(why, n, "invalid HTTP setting (%s)", pcfmcp_strerror(rc));
    return PCFMCP_ERR_CONFIG;
}

pcfmcp_error_t pcfmcp__server_run_transport(pcfmcp_server_t *s, const char *transport)
{
    if (strcmp(transport, "http") != 0) {
        pcfmcp__fail(s, PCFMCP_ERR_UNSUPPORTED, "transport \"%s\" is not available in this build",
                     transport);
        return PCFMCP_ERR_UNSUPPORTED;
    }
    pcfmcp_http_t *h = atomic_load(&s->parts->http);
    if (!h) {
        const char *key = "auth";
        char why[900] = "";
        pcfmcp_error_t rc = PCFMCP_OK;
        if (!s->parts->auth &&
            (rc = pcfmcp__server_build_auth(s->config, s->log, &s->parts->auth, &key, why,
                                            sizeof(why))) != PCFMCP_OK) {
            pcfmcp__fail(s, rc, "%s: %s", key, why[0] ? why : pcfmcp_strerror(rc));
            return rc;
        }
        rc = pcfmcp_http_new(&h, s->engine);
        if (rc != PCFMCP_OK)
            return rc;
        if ((rc = pcfmcp__server_http_settings(s->config, h, s->parts->auth, s, s->log, &key, why,
                                               sizeof(why))) != PCFMCP_OK) {
            pcfmcp__fail(s, rc, "%s: %s", key, why[0] ? why : pcfmcp_strerror(rc));
            pcfmcp_http_free(h);
            return rc;
        }
        /* Rate limits, client addresses, metrics, readiness: the hardening layer. */
        pcfmcp__server_http_hooks(s, h);
        atomic_store(&s->parts->http, h);
    }
    pcfmcp_error_t rc = pcfmcp_http_start(h);
    if (rc != PCFMCP_OK) {
        pcfmcp__fail(s, rc, "%s", pcfmcp_http_errmsg(h));
        return rc == PCFMCP_ERR_DENIED ? PCFMCP_ERR_CONFIG : rc;
    }
    /* A stop that arrived before the transport existed still counts. */
    if (atomic_load(&s->stopping))
        pcfmcp_http_stop(h);
    /* PCF is checked in the background while /readyz and /metrics can ask. */
    if ((rc = pcfmcp__readiness_start(s->parts->ready)) != PCFMCP_OK) {
        pcfmcp_http_stop(h);
        pcfmcp__fail(s, rc, "cannot start the PCF readiness check: %s", pcfmcp_strerror(rc));
    }
    pcfmcp_error_t run_rc = pcfmcp_http_run(h);
    pcfmcp__readiness_stop(s->parts->ready);
    rc = rc != PCFMCP_OK ? rc : run_rc;
    PCFMCP_LOG(s->log, PCFMCP_LOG_INFO, "server", "HTTP transport stopped (%s)", pcfmcp_strerror(rc));
    return rc;
}

void pcfmcp__server_stop_transport(pcfmcp_server_t *s)
{
    if (s->parts)
        pcfmcp_http_stop(atomic_load(&s->parts->http));
}

/* A renamed file is refused rather than skipped: the operator edited the
 * setting on purpose, and silently serving the old file would hide that. */
static bool path_changed(pcfmcp_server_t *s, const pcfmcp_config_t *cfg, size_t index)
{
    const char *key = pcfmcp__config_keys[index].key;
    const char *old = pcfmcp__config_str_at(s->config, index);
    const char *now = pcfmcp__config_str_at(cfg, index);
    if (strcmp(old ? old : "", now ? now : "") == 0)
        return false;
    PCFMCP_LOG(s->log, PCFMCP_LOG_ERROR, "server",
               "reload refused: %s changed; the file may change, its name needs a restart", key);
    pcfmcp__fail(s, PCFMCP_ERR_CONFIG, "%s changed (a new file name needs a restart)", key);
    return true;
}

/* SIGHUP, after every other reloader has prepared: the API keys file and the
 * TLS files are re-read. Everything that can fail happens before anything is
 * swapped in, and the TLS reload (itself all-or-nothing) is the last step that
 * can fail, so a refused reload leaves both the keys and the certificate as
 * they were. */
pcfmcp_error_t pcfmcp__server_reload_components(pcfmcp_server_t *s, const pcfmcp_config_t *cfg)
{
    static const size_t tls_keys[] = { PCFMCP__CFG_server_tls_cert, PCFMCP__CFG_server_tls_key,
                                       PCFMCP__CFG_server_tls_client_ca };
    pcfmcp_http_t *h = s->parts ? atomic_load(&s->parts->http) : NULL;
    bool tls = h && nz(pcfmcp__cfg_server_tls_cert(s->config));
    if (path_changed(s, cfg, PCFMCP__CFG_auth_api_keys_file))
        return PCFMCP_ERR_CONFIG;
    for (size_t i = 0; tls && i < PCFMCP_ARRAY_LEN(tls_keys); i++)
        if (path_changed(s, cfg, tls_keys[i]))
            return PCFMCP_ERR_CONFIG;
    pcfmcp_auth_t *a = s->parts ? s->parts->auth : NULL;
    const char *keys = nz(pcfmcp__cfg_auth_api_keys_file(cfg));
    pcfmcp__keyset *ks = NULL;
    if (a && keys && pcfmcp__auth_prepare_api_keys(a, keys, &ks) != PCFMCP_OK) {
        PCFMCP_LOG(s->log, PCFMCP_LOG_ERROR, "server", "reload: API keys kept: %s",
                   pcfmcp_auth_errmsg(a));
        pcfmcp__fail(s, PCFMCP_ERR_CONFIG, "auth.api_keys_file: %s", pcfmcp_auth_errmsg(a));
        return PCFMCP_ERR_CONFIG;
    }
    /* Same names: the files behind them are re-read (renewed certificates). */
    if (tls && pcfmcp_http_reload_tls(h) != PCFMCP_OK) {
        pcfmcp__fail(s, PCFMCP_ERR_CONFIG, "%s", pcfmcp_http_errmsg(h));
        pcfmcp__keyset_unref(ks);
        return PCFMCP_ERR_CONFIG;
    }
    if (a && keys)
        PCFMCP_LOG(s->log, PCFMCP_LOG_INFO, "server", "reload: %zu API key(s)",
                   pcfmcp__auth_install_api_keys(a, ks, keys));
    return PCFMCP_OK;
}
