/* Serving Streamable HTTP from the server: the transport built from
 * server.* settings, with the hardening layer behind its hooks -- admission
 * (per-caller and global rate limits, 429 with Retry-After), the client
 * address rule for X-Forwarded-For, the request observer, /metrics and
 * /readyz -- and the shutdown grace as its drain period. */
#include "core/internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <pcfmcp/http.h>

#include "hardening/log.h"
#include "server/hardening.h"
#include "server/server_internal.h"

static int admission(const char *identity, const char *client_address, unsigned *retry_after,
                     void *ud)
{
    pcfmcp_server_t *s = ud;
    double wait = 0;
    pcfmcp_error_t rc = pcfmcp__server_admit(s, identity, client_address, &wait);
    if (rc == PCFMCP_OK)
        return 0;
    *retry_after = rc == PCFMCP_ERR_RATE_LIMITED && wait > 1 ? (unsigned)ceil(wait) : 1;
    return 1;
}

static int client_address(const char *peer, const char *xff, char *out, size_t n, void *ud)
{
    return pcfmcp__server_client_address(ud, peer, xff, out, n) == PCFMCP_OK ? 0 : -1;
}

static void observer(const char *method, unsigned status, double seconds, unsigned active,
                     void *ud)
{
    pcfmcp__server_observe_http(ud, method, (int)status, seconds, active);
}

static void tls_expiry(pcfmcp_metrics_t *m, void *ud)
{
    pcfmcp_server_t *s = ud;
    pcfmcp_http_t *h = atomic_load(&s->http);
    long long when = h ? pcfmcp_http_tls_not_after(h) : 0;
    if (when > 0)
        pcfmcp_metric_set(pcfmcp_metrics_find(m, "pcf_mcp_tls_cert_expiry_timestamp_seconds"),
                          NULL, (double)when);
}

static void metrics(pcfmcp_http_text_t *out, void *ud)
{
    char *text = NULL;
    size_t len = 0;
    if (pcfmcp_metrics_render(pcfmcp_server_metrics(ud), &text, &len) == PCFMCP_OK)
        pcfmcp_http_text_append(out, text, len);
    pcfmcp_free(text);
}

static int readiness(pcfmcp_http_text_t *reasons, void *ud)
{
    if (pcfmcp__server_ready(ud))
        return 1;
    static const char why[] = "draining: shutting down";
    pcfmcp_http_text_append(reasons, why, sizeof(why) - 1);
    return 0;
}

pcfmcp_error_t pcfmcp__server_run_http(pcfmcp_server_t *s)
{
    pcfmcp_http_t *h = NULL;
    pcfmcp_error_t rc = pcfmcp_http_new(&h, s->engine);
    if (rc != PCFMCP_OK)
        return rc;
    pthread_mutex_lock(&s->reload_lock);
    const pcfmcp_config_t *c = s->config;
    if ((rc = pcfmcp_http_set_logger(h, s->log)) ||
        (rc = pcfmcp_http_set_listen(h, pcfmcp_config_get(c, "server.host"),
                                     (unsigned)pcfmcp_config_get_int(c, "server.port"))) ||
        (rc = pcfmcp_http_set_path(h, pcfmcp_config_get(c, "server.path"))) ||
        (rc = pcfmcp_http_set_stateless(h, pcfmcp_config_get_bool(c, "server.stateless"))))
        snprintf(s->errmsg, sizeof(s->errmsg), "http: %s", pcfmcp_http_errmsg(h));
    pthread_mutex_unlock(&s->reload_lock);
    if (rc != PCFMCP_OK) {
        pcfmcp_http_free(h);
        return rc == PCFMCP_ERR_INVALID_ARG ? PCFMCP_ERR_CONFIG : rc;
    }
    pcfmcp_http_set_limit(h, PCFMCP_HTTP_LIMIT_GRACE_MS, pcfmcp__hard_grace_ms(s));
    pcfmcp_http_set_admission_cb(h, admission, s);
    pcfmcp_http_set_client_address_cb(h, client_address, s);
    pcfmcp_http_set_observer_cb(h, observer, s);
    pcfmcp_http_set_readiness_cb(h, readiness, s);
    if (pcfmcp_server_metrics(s)) {
        pcfmcp_http_set_metrics_cb(h, metrics, s);
        pcfmcp_metrics_add_collector(pcfmcp_server_metrics(s), tls_expiry, s);
    }
    atomic_store(&s->http, h);
    /* A stop that came before the transport existed still counts. */
    if (atomic_load(&s->stopping)) {
        atomic_store(&s->http, NULL);
        pcfmcp_http_free(h);
        return PCFMCP_OK;
    }
    rc = pcfmcp_http_run(h);
    if (rc != PCFMCP_OK && rc != PCFMCP_ERR_TIMEOUT)
        snprintf(s->errmsg, sizeof(s->errmsg), "http: %s", pcfmcp_http_errmsg(h));
    else
        PCFMCP_LOG(s->log, rc == PCFMCP_ERR_TIMEOUT ? PCFMCP_LOG_WARN : PCFMCP_LOG_INFO, "server",
                   "HTTP transport stopped (%s)",
                   rc == PCFMCP_ERR_TIMEOUT ? "requests still running after server.shutdown_grace "
                                              "were cancelled"
                                            : "clean drain");
    return rc;
}

void pcfmcp__server_stop_http(pcfmcp_server_t *s)
{
    pcfmcp_http_t *h = atomic_load(&s->http);
    if (h)
        pcfmcp_http_stop(h);
}

void pcfmcp__server_free_http(pcfmcp_server_t *s)
{
    pcfmcp_http_t *h = atomic_exchange(&s->http, NULL);
    pcfmcp_http_free(h);
}

/* The TLS certificate is re-read on every reload (the transport keeps the
 * old one if the new files are unusable, so this step is all-or-nothing). */
pcfmcp_error_t pcfmcp__server_reload_http(pcfmcp_server_t *s)
{
    pcfmcp_http_t *h = atomic_load(&s->http);
    if (!h || pcfmcp_http_tls_not_after(h) == 0)
        return PCFMCP_OK;
    pcfmcp_error_t rc = pcfmcp_http_reload_tls(h);
    if (rc != PCFMCP_OK)
        snprintf(s->errmsg, sizeof(s->errmsg), "TLS certificate: %s", pcfmcp_http_errmsg(h));
    return rc;
}
