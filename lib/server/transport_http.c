/* The hardening layer behind the HTTP transport's hooks: admission
 * (per-caller and global rate limits, 429 with Retry-After), the client
 * address rule for X-Forwarded-For, the request observer, /metrics with the
 * served certificate's expiry and the read timeouts, and /readyz. */
#include "core/internal.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include <pcfmcp/http.h>

#include "core/log.h"
#include "server/guards.h"
#include "server/server_internal.h"
#include "transport/http_internal.h"

static int admission(const char *identity, const char *client_address, unsigned *retry_after,
                     void *ud)
{
    pcfmcp_server_t *s = ud;
    double wait = 0;
    pcfmcp_error_t rc = pcfmcp__server_admit(s, identity, client_address, &wait);
    if (rc == PCFMCP_OK)
        return PCFMCP_HTTP_ADMIT;
    if (rc == PCFMCP_ERR_UNAVAILABLE) {
        /* Draining: another replica (or this one, restarted) will answer;
         * the same pause the transport asks for once it drains itself. */
        *retry_after = 5;
        return PCFMCP_HTTP_ADMIT_SHUTTING_DOWN;
    }
    *retry_after = rc == PCFMCP_ERR_RATE_LIMITED && wait > 1 ? (unsigned)ceil(wait) : 1;
    return PCFMCP_HTTP_ADMIT_RATE_LIMITED;
}

static void refused(unsigned status, const char *reason, const char *identity,
                    const char *client_address, const char *method, void *ud)
{
    pcfmcp__server_http_refused(ud, status, reason, identity, client_address, method);
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

static void transport_stats(pcfmcp_metrics_t *m, void *ud)
{
    long long when = pcfmcp_http_tls_not_after(ud);
    if (when > 0)
        pcfmcp_metric_set(pcfmcp_metrics_find(m, "pcf_mcp_tls_cert_expiry_timestamp_seconds"),
                          NULL, (double)when);
    pcfmcp_metric_set(pcfmcp_metrics_find(m, "pcf_mcp_http_timeouts_total"), NULL,
                      (double)pcfmcp_http_read_timeouts(ud));
    pcfmcp_metric_set(pcfmcp_metrics_find(m, "pcf_mcp_http_unanswered_total"), NULL,
                      (double)pcfmcp_http_unanswered(ud));
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
    /* The transport itself lists "draining: shutting down" once it has seen
     * the stop; saying it here too printed the reason twice. */
    if (!pcfmcp__server_ready(ud))
        return 0;
    char why[600];
    int ready = 1;
    if (!pcfmcp__server_pcf_ready(ud, why, sizeof(why))) {
        pcfmcp_http_text_append(reasons, why, strlen(why));
        pcfmcp_http_text_append(reasons, "\n", 1);
        ready = 0;
    }
    /* A store that does not answer is a reason shown even while ready:
     * the replica then works alone (store.required makes it not ready). */
    int store = pcfmcp__server_store_ready(ud, why, sizeof(why));
    if (store != 1)
        pcfmcp_http_text_append(reasons, why, strlen(why));
    return ready && store != 0;
}

void pcfmcp__server_http_hooks(pcfmcp_server_t *s, pcfmcp_http_t *h)
{
    pcfmcp_http_set_admission_cb(h, admission, s);
    pcfmcp_http_set_client_address_cb(h, client_address, s);
    pcfmcp_http_set_observer_cb(h, observer, s);
    pcfmcp_http_set_refusal_cb(h, refused, s);
    pcfmcp_http_set_readiness_cb(h, readiness, s);
    pcfmcp__http_set_store(h, pcfmcp__guards_store(s));
    if (pcfmcp_server_metrics(s)) {
        pcfmcp_http_set_metrics_cb(h, metrics, s);
        pcfmcp_metrics_add_collector(pcfmcp_server_metrics(s), transport_stats, h);
    }
}
