/* The server's guards: builds metrics, audit, rate limits,
 * the PCF gate, tracing and the read cache from the configuration, runs
 * them around every request through the engine hooks, and offers the
 * pieces transports and PCF clients plug into.
 *
 * Objects a reload may replace (audit trail, proxy list) sit behind one
 * read-write lock: request threads take it shared for a pointer load and
 * the write they do with it; a reload takes it exclusively only to swap. */
#include "core/internal.h"

#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <gnutls/gnutls.h>
#include <gnutls/x509.h>

#include <pcfmcp/http.h>
#include <pcfmcp/sys/audit.h>
#include <pcfmcp/sys/cache.h>
#include <pcfmcp/sys/metrics.h>
#include <pcfmcp/sys/ratelimit.h>
#include <pcfmcp/sys/trace.h>
#include <pcfmcp/version.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/config_keys.h"
#include "core/config_typed.h"
#include "core/error.h"
#include "core/log.h"
#include "core/util.h"
#include "hardening/audit_internal.h"
#include "hardening/cache_internal.h"
#include "hardening/store.h"
#include "mcp/ctxlog.h"
#include "server/guards.h"
#include "server/server_internal.h"

#define MAX_PCFS 64
#define MAX_RELOADERS 16
#define MAX_AUDIT_ARGS (1024 * 1024)

static const char *const mcp_methods =
    "initialize|ping|server/discover|tools/list|tools/call|resources/list|"
    "resources/templates/list|resources/read|resources/subscribe|resources/unsubscribe|"
    "prompts/list|prompts/get|completion/complete|logging/setLevel";
static const char *const outcomes = "ok|tool_error|error|cancelled|refused|timeout";
static const char *const http_codes = "none|200|201|202|204|301|302|303|304|400|401|403|404|"
                                      "405|406|409|413|415|421|422|429|500|501|502|503|504";
/* Requests that ended without an answer are not server errors (the 5xx
 * alert must not fire under slowloris): they have codes of their own. */
static const char *const http_answer_codes =
    "aborted|timeout|200|201|202|204|301|302|303|304|400|401|403|404|405|406|409|413|415|421|"
    "422|429|431|500|501|502|503|504";
static const char *const store_ops = "ratelimit|cache|invalidate|session|heartbeat|connect";
static const char *const store_results = "ok|error|timeout|unavailable";
static const char *const auth_reasons =
    "missing|invalid|expired|revoked|forbidden|insufficient_scope|unavailable";

/* Label combinations of pcf_mcp_identity_requests_total: more API keys
 * than this share the overflow series. */
#define IDENTITY_SERIES 512

struct pcfmcp__guards {
    pcfmcp_server_t *s;
    pcfmcp_metrics_t *metrics; /* NULL when metrics.enabled is false */
    struct {
        pcfmcp_metric_t *requests, *req_dur, *active, *sessions, *tool_calls, *tool_dur;
        pcfmcp_metric_t *pcf_requests, *pcf_dur, *pcf_retries, *rate_limited, *auth_failures;
        pcfmcp_metric_t *cache_hits, *cache_misses, *cache_entries, *cache_bytes;
        pcfmcp_metric_t *tls_expiry, *token_expiry, *build, *traces_dropped, *traces_exported;
        pcfmcp_metric_t *audit_records, *audit_failures, *http_requests, *http_dur, *ready,
            *http_timeouts, *http_unanswered;
        pcfmcp_metric_t *pcf_inflight, *identity_requests, *pcf_up, *pcf_checked;
        pcfmcp_metric_t *store_up, *store_requests, *store_dur;
        /* The earlier Go server's names, fed by the same events as tool_calls. */
        pcfmcp_metric_t *go_tool_executions, *go_tool_errors;
    } m;

    pthread_rwlock_t lock;
    pcfmcp_audit_t *audit; /* NULL when audit.enabled is false */
    /* args_hmac key without audit.args_key_file: drawn once per start, so
     * a reload (a new trail) keeps digests comparable. */
    unsigned char args_key[32];
    pcfmcp_proxies_t *proxies;
    uint64_t audit_written_before, audit_failed_before; /* of replaced trails */

    pcfmcp_ratelimit_t *rl;
    pcfmcp_gate_t *gate;
    pcfmcp_cache_t *cache;
    pcfmcp_tracer_t *tracer; /* NULL when tracing is off */
    pcfmcp__store *store;    /* NULL without store.url */
    bool store_required;
    unsigned tracing_timeout_ms;
    atomic_bool limits_in_engine;
    atomic_uint grace_ms;

    pthread_mutex_t pcf_lock;
    pcfmcp_pcf_t *pcfs[MAX_PCFS];
    size_t npcfs;
    char *tls_cert;

    pthread_mutex_t reload_lock;
    pcfmcp__reloader reloaders[MAX_RELOADERS];
    size_t nreloaders;
};

static const char *outcome_name(pcfmcp_outcome_t o)
{
    switch (o) {
    case PCFMCP_OUTCOME_OK: return "ok";
    case PCFMCP_OUTCOME_TOOL_ERROR: return "tool_error";
    case PCFMCP_OUTCOME_ERROR: return "error";
    case PCFMCP_OUTCOME_CANCELLED: return "cancelled";
    case PCFMCP_OUTCOME_REFUSED: return "refused";
    case PCFMCP_OUTCOME_TIMEOUT: return "timeout";
    }
    return "error";
}

/* ------------------------------------------------------------ metrics */

static pcfmcp_error_t add(pcfmcp__guards *h, pcfmcp_metric_type_t t, const char *name,
                          const char *help, const char *labels, pcfmcp_metric_t **out)
{
    return pcfmcp_metrics_add(h->metrics, t, name, help, labels, out);
}

static int64_t pem_expiry(const char *path)
{
    char *pem = NULL;
    size_t len = 0;
    if (pcfmcp__read_file(path, 1 << 20, false, &pem, &len) != 0)
        return 0;
    gnutls_x509_crt_t crt;
    int64_t when = 0;
    if (gnutls_x509_crt_init(&crt) == 0) {
        gnutls_datum_t d = { (unsigned char *)pem, (unsigned)len };
        if (gnutls_x509_crt_import(crt, &d, GNUTLS_X509_FMT_PEM) == 0) {
            time_t t = gnutls_x509_crt_get_expiration_time(crt);
            if (t != (time_t)-1)
                when = (int64_t)t;
        }
        gnutls_x509_crt_deinit(crt);
    }
    pcfmcp__free(pem);
    return when;
}

static void collect(pcfmcp_metrics_t *m, void *ud)
{
    (void)m;
    pcfmcp__guards *h = ud;
    pcfmcp_server_t *s = h->s;
    pcfmcp_metric_set(h->m.sessions, NULL, (double)pcfmcp_engine_session_count(s->engine));
    pcfmcp_metric_set(h->m.ready, NULL, pcfmcp__server_ready(s));
    int up = 0;
    uint64_t checked = 0;
    pcfmcp__server_pcf_status(s, &up, &checked);
    pcfmcp_metric_set(h->m.pcf_up, NULL, up);
    if (checked)
        pcfmcp_metric_set(h->m.pcf_checked, NULL, (double)checked / 1000.0);
    uint64_t hits = 0, misses = 0;
    size_t entries = 0, bytes = 0;
    pcfmcp_cache_stats(h->cache, &hits, &misses, &entries, &bytes);
    pcfmcp_metric_set(h->m.cache_hits, NULL, (double)hits);
    pcfmcp_metric_set(h->m.cache_misses, NULL, (double)misses);
    pcfmcp_metric_set(h->m.cache_entries, NULL, (double)entries);
    pcfmcp_metric_set(h->m.cache_bytes, NULL, (double)bytes);
    pcfmcp_metric_set(h->m.traces_dropped, NULL, (double)pcfmcp_tracer_dropped(h->tracer));
    pcfmcp_metric_set(h->m.traces_exported, NULL, (double)pcfmcp_tracer_exported(h->tracer));
    pcfmcp_metric_set(h->m.pcf_inflight, NULL, (double)pcfmcp_gate_in_use(h->gate));
    if (h->store)
        pcfmcp_metric_set(h->m.store_up, NULL, pcfmcp__store_up(h->store) ? 1 : 0);
    pthread_rwlock_rdlock(&h->lock);
    pcfmcp_metric_set(h->m.audit_records, NULL,
                      (double)(h->audit_written_before + pcfmcp_audit_written(h->audit)));
    pcfmcp_metric_set(h->m.audit_failures, NULL,
                      (double)(h->audit_failed_before + pcfmcp_audit_failed(h->audit)));
    pthread_rwlock_unlock(&h->lock);
    pthread_mutex_lock(&h->pcf_lock);
    int64_t soonest = 0;
    for (size_t i = 0; i < h->npcfs; i++) {
        int64_t e = pcfmcp_pcf_token_expiry(h->pcfs[i]);
        if (e > 0 && (!soonest || e < soonest))
            soonest = e;
    }
    char *cert = h->tls_cert ? pcfmcp__strdup(h->tls_cert) : NULL;
    pthread_mutex_unlock(&h->pcf_lock);
    if (soonest)
        pcfmcp_metric_set(h->m.token_expiry, NULL, (double)soonest);
    if (cert) {
        int64_t e = pem_expiry(cert);
        if (e)
            pcfmcp_metric_set(h->m.tls_expiry, NULL, (double)e);
        pcfmcp__free(cert);
    }
}

static pcfmcp_error_t build_metrics(pcfmcp__guards *h)
{
    static const double dur[] = { 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60 };
    pcfmcp_error_t rc = pcfmcp_metrics_new(&h->metrics);
    if (rc != PCFMCP_OK)
        return rc;
#define C PCFMCP_METRIC_COUNTER
#define G PCFMCP_METRIC_GAUGE
    if ((rc = add(h, C, "pcf_mcp_requests_total", "MCP requests by method and outcome.",
                  "method,status", &h->m.requests)) ||
        (rc = pcfmcp_metrics_add_histogram(h->metrics, "pcf_mcp_request_duration_seconds",
                                           "Time to answer an MCP request.", "method", dur,
                                           PCFMCP_ARRAY_LEN(dur), &h->m.req_dur)) ||
        (rc = add(h, G, "pcf_mcp_active_connections", "Open client connections.", NULL,
                  &h->m.active)) ||
        (rc = add(h, G, "pcf_mcp_sessions", "Live MCP sessions.", NULL, &h->m.sessions)) ||
        (rc = add(h, C, "pcf_mcp_tool_calls_total", "Tool calls by tool and outcome.",
                  "tool,outcome", &h->m.tool_calls)) ||
        (rc = pcfmcp_metrics_add_histogram(h->metrics, "pcf_mcp_tool_duration_seconds",
                                           "Time a tool call took.", "tool", dur,
                                           PCFMCP_ARRAY_LEN(dur), &h->m.tool_dur)) ||
        (rc = add(h, C, "pcf_mcp_pcf_requests_total",
                  "HTTP requests to PCF by endpoint and status code (none: no answer).",
                  "endpoint,code", &h->m.pcf_requests)) ||
        (rc = pcfmcp_metrics_add_histogram(h->metrics, "pcf_mcp_pcf_request_duration_seconds",
                                           "Time of one HTTP request to PCF.", "endpoint", dur,
                                           PCFMCP_ARRAY_LEN(dur), &h->m.pcf_dur)) ||
        (rc = add(h, C, "pcf_mcp_pcf_retries_total", "Repeated HTTP requests to PCF.", NULL,
                  &h->m.pcf_retries)) ||
        (rc = add(h, G, "pcf_mcp_pcf_requests_in_flight",
                  "HTTP requests open at PCF (capped by rate_limit.pcf_concurrency).", NULL,
                  &h->m.pcf_inflight)) ||
        (rc = add(h, C, "pcf_mcp_rate_limited_total", "Requests refused by a rate limit.", NULL,
                  &h->m.rate_limited)) ||
        (rc = add(h, C, "pcf_mcp_auth_failures_total", "Failed authentications by reason.",
                  "reason", &h->m.auth_failures)) ||
        (rc = add(h, C, "pcf_mcp_cache_hits_total", "PCF reads answered from the cache.", NULL,
                  &h->m.cache_hits)) ||
        (rc = add(h, C, "pcf_mcp_cache_misses_total", "PCF reads the cache could not answer.",
                  NULL, &h->m.cache_misses)) ||
        (rc = add(h, G, "pcf_mcp_cache_entries", "Entries in the PCF read cache.", NULL,
                  &h->m.cache_entries)) ||
        (rc = add(h, G, "pcf_mcp_cache_bytes", "Bytes used by the PCF read cache.", NULL,
                  &h->m.cache_bytes)) ||
        (rc = add(h, G, "pcf_mcp_tls_cert_expiry_timestamp_seconds",
                  "When the served TLS certificate expires (Unix time).", NULL,
                  &h->m.tls_expiry)) ||
        (rc = add(h, G, "pcf_mcp_pcf_token_expiry_timestamp_seconds",
                  "When the soonest PCF API token in use expires (Unix time).", NULL,
                  &h->m.token_expiry)) ||
        (rc = add(h, G, "pcf_mcp_build_info", "Build information; always 1.", "version",
                  &h->m.build)) ||
        (rc = add(h, C, "pcf_mcp_traces_dropped_total",
                  "Spans dropped: export queue full or export failed.", NULL,
                  &h->m.traces_dropped)) ||
        (rc = add(h, C, "pcf_mcp_traces_exported_total", "Spans the collector accepted.", NULL,
                  &h->m.traces_exported)) ||
        (rc = add(h, C, "pcf_mcp_audit_records_total", "Audit records written.", NULL,
                  &h->m.audit_records)) ||
        (rc = add(h, C, "pcf_mcp_audit_failures_total", "Audit records that could not be written.",
                  NULL, &h->m.audit_failures)) ||
        (rc = add(h, C, "pcf_mcp_http_requests_total",
                  "HTTP requests by MCP method (or route) and status code; aborted: the "
                  "client left (or the server stopped) before the answer, timeout: the "
                  "request was not read in time.",
                  "method,code",
                  &h->m.http_requests)) ||
        (rc = add(h, C, "pcf_mcp_http_timeouts_total",
                  "HTTP connections closed for not completing a request in server.request_read_timeout.",
                  NULL, &h->m.http_timeouts)) ||
        (rc = add(h, C, "pcf_mcp_http_unanswered_total",
                  "HTTP connections closed without an answer because the request's header filled "
                  "server.max_header_bytes so nearly that the answer's header did not fit.",
                  NULL, &h->m.http_unanswered)) ||
        (rc = pcfmcp_metrics_add_histogram(h->metrics, "pcf_mcp_http_request_duration_seconds",
                                           "Time to answer an HTTP request.", "method", dur,
                                           PCFMCP_ARRAY_LEN(dur), &h->m.http_dur)) ||
        (rc = add(h, G, "pcf_mcp_ready", "1 while accepting new work, 0 while draining.", NULL,
                  &h->m.ready)) ||
        (rc = add(h, G, "pcf_mcp_pcf_up",
                  "1 when the last background check of PCF (check_token, every "
                  "server.readiness_ttl) succeeded and is current, else 0.",
                  NULL, &h->m.pcf_up)) ||
        (rc = add(h, G, "pcf_mcp_pcf_last_check_timestamp_seconds",
                  "When the last background check of PCF ended (Unix time).", NULL,
                  &h->m.pcf_checked)) ||
        (rc = add(h, C, "pcf_mcp_identity_requests_total",
                  "MCP requests by caller: key:NAME per API key, oauth (all JWT subjects), "
                  "local (stdio) or anonymous.",
                  "identity", &h->m.identity_requests)))
        return rc;
#undef C
#undef G
    if ((rc = pcfmcp_metric_allow(h->m.requests, "method", mcp_methods)) ||
        (rc = pcfmcp_metric_allow(h->m.requests, "status", outcomes)) ||
        (rc = pcfmcp_metric_allow(h->m.req_dur, "method", mcp_methods)) ||
        (rc = pcfmcp_metric_allow(h->m.tool_calls, "outcome", outcomes)) ||
        (rc = pcfmcp_metric_allow(h->m.pcf_requests, "code", http_codes)) ||
        (rc = pcfmcp_metric_allow(h->m.auth_failures, "reason", auth_reasons)) ||
        (rc = pcfmcp_metric_allow(h->m.http_requests, "code", http_answer_codes)) ||
        (rc = pcfmcp_metric_set_max_series(h->m.http_requests, 256)) ||
        (rc = pcfmcp_metric_set_max_series(h->m.http_dur, 64)) ||
        (rc = pcfmcp_metric_set_max_series(h->m.tool_calls, 1024)) ||
        (rc = pcfmcp_metric_set_max_series(h->m.pcf_requests, 1024)) ||
        (rc = pcfmcp_metric_set_max_series(h->m.pcf_dur, 256)) ||
        (rc = pcfmcp_metric_set_max_series(h->m.identity_requests, IDENTITY_SERIES)))
        return rc;
    pcfmcp_metric_set(h->m.build, (const char *[]){ PCFMCP_VERSION }, 1);
    /* Dashboards and alerts written for the Go server keep working. */
    if ((rc = add(h, PCFMCP_METRIC_COUNTER, "pcf_mcp_tool_executions_total",
                  "Tool calls by tool and status (the Go server's name for "
                  "pcf_mcp_tool_calls_total).",
                  "tool,status", &h->m.go_tool_executions)) ||
        (rc = add(h, PCFMCP_METRIC_COUNTER, "pcf_mcp_tool_errors_total",
                  "Tool calls that did not end ok or cancelled, by tool (the Go server's name).",
                  "tool", &h->m.go_tool_errors)) ||
        (rc = pcfmcp_metric_allow(h->m.go_tool_executions, "status", outcomes)) ||
        (rc = pcfmcp_metric_set_max_series(h->m.go_tool_executions, 1024)) ||
        (rc = pcfmcp_metric_set_max_series(h->m.go_tool_errors, 256)))
        return rc;
    if (pcfmcp__cfg_store_url(h->s->config)[0]) {
        static const double sdur[] = { 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                       0.05,   0.1,   0.25,   0.5,   1 };
        if ((rc = add(h, PCFMCP_METRIC_GAUGE, "pcf_mcp_store_up",
                      "1 while the shared store (store.url) answers, 0 while this replica works "
                      "alone.",
                      NULL, &h->m.store_up)) ||
            (rc = add(h, PCFMCP_METRIC_COUNTER, "pcf_mcp_store_requests_total",
                      "Operations on the shared store by purpose and result (unavailable: not "
                      "tried, the store was down).",
                      "op,result", &h->m.store_requests)) ||
            (rc = pcfmcp_metrics_add_histogram(h->metrics, "pcf_mcp_store_request_duration_seconds",
                                               "Time of one operation on the shared store.", "op",
                                               sdur, PCFMCP_ARRAY_LEN(sdur), &h->m.store_dur)) ||
            (rc = pcfmcp_metric_allow(h->m.store_requests, "op", store_ops)) ||
            (rc = pcfmcp_metric_allow(h->m.store_requests, "result", store_results)) ||
            (rc = pcfmcp_metric_allow(h->m.store_dur, "op", store_ops)))
            return rc;
    }
    if ((rc = pcfmcp_metrics_add_process(h->metrics)) ||
        (rc = pcfmcp_metrics_add_collector(h->metrics, collect, h)))
        return rc;
    return PCFMCP_OK;
}

/* ------------------------------------------------------------ config */

typedef struct {
    pcfmcp_ratelimit_settings_t *limits;
    size_t max_ids;
    unsigned pcf_conc;
    pcfmcp_proxies_t *proxies;
    bool audit_on;
    pcfmcp_audit_t *audit;
    bool cache_on;
    size_t cache_entries, cache_bytes;
    unsigned cache_ttl;
    unsigned tool_timeout, grace;
} settings;

static void settings_free(settings *st)
{
    if (!st)
        return;
    pcfmcp_ratelimit_settings_free(st->limits);
    pcfmcp_proxies_free(st->proxies);
    pcfmcp_audit_free(st->audit);
    pcfmcp__free(st);
}

static void origin(const pcfmcp_config_t *c, size_t index, char *out, size_t n)
{
    if (pcfmcp_config_origin(c, pcfmcp__config_keys[index].key, out, n) != PCFMCP_OK)
        snprintf(out, n, "configuration");
}

static pcfmcp_audit_args_t audit_mode(const char *v)
{
    if (strcmp(v, "redacted") == 0)
        return PCFMCP_AUDIT_ARGS_REDACTED;
    if (strcmp(v, "none") == 0)
        return PCFMCP_AUDIT_ARGS_NONE;
    return PCFMCP_AUDIT_ARGS_HASH;
}

/* Reads and validates the reloadable settings and builds the objects they
 * need (proxy list, audit trail); nothing live is touched. */
/* Reads audit.args_key_file into @p key (pcfmcp__malloc'd); 0 or an errno. */
static int read_args_key(const pcfmcp_config_t *c, char **key, size_t *len, char *why, size_t wlen)
{
    const char *path = pcfmcp__cfg_audit_args_key_file(c);
    *key = NULL;
    *len = 0;
    if (!path || !*path)
        return 0;
    char where[600];
    origin(c, PCFMCP__CFG_audit_args_key_file, where, sizeof(where));
    int err = pcfmcp__read_file(path, 4096, true, key, len);
    if (err) {
        snprintf(why, wlen, "%s: audit.args_key_file: cannot read %s: %s", where, path,
                 err == EFBIG ? "file larger than 4 KiB" : strerror(err));
        return err;
    }
    if (*len < 16) {
        snprintf(why, wlen, "%s: audit.args_key_file: %s holds %zu bytes; the key needs at least 16",
                 where, path, *len);
        pcfmcp__secure_free(*key);
        *key = NULL;
        return EINVAL;
    }
    return 0;
}

static pcfmcp_error_t read_settings(pcfmcp_logger_t *log, const pcfmcp_config_t *c,
                                    const unsigned char *start_key, settings **out, char *why,
                                    size_t wlen)
{
    settings *st = pcfmcp__calloc(1, sizeof(*st));
    if (!st)
        return PCFMCP_ERR_NOMEM;
    /* Built here, where failing is allowed: applying them cannot fail. The
     * key table's ranges make every value valid. */
    pcfmcp_error_t rc = pcfmcp_ratelimit_settings_new(&st->limits);
    if (rc != PCFMCP_OK) {
        settings_free(st);
        return rc;
    }
    pcfmcp_ratelimit_settings_set_rate(st->limits, PCFMCP_RATELIMIT_IDENTITY,
                                       pcfmcp__cfg_rate_limit_requests_per_second(c));
    pcfmcp_ratelimit_settings_set_burst(st->limits, PCFMCP_RATELIMIT_IDENTITY,
                                        (double)pcfmcp__cfg_rate_limit_burst(c));
    pcfmcp_ratelimit_settings_set_rate(st->limits, PCFMCP_RATELIMIT_GLOBAL,
                                       pcfmcp__cfg_rate_limit_global_requests_per_second(c));
    pcfmcp_ratelimit_settings_set_burst(st->limits, PCFMCP_RATELIMIT_GLOBAL,
                                        (double)pcfmcp__cfg_rate_limit_global_burst(c));
    pcfmcp_ratelimit_settings_set_rate(st->limits, PCFMCP_RATELIMIT_WRITE,
                                       pcfmcp__cfg_rate_limit_write_requests_per_second(c));
    pcfmcp_ratelimit_settings_set_burst(st->limits, PCFMCP_RATELIMIT_WRITE,
                                        (double)pcfmcp__cfg_rate_limit_write_burst(c));
    st->max_ids = (size_t)pcfmcp__cfg_rate_limit_max_identities(c);
    st->pcf_conc = (unsigned)pcfmcp__cfg_rate_limit_pcf_concurrency(c);
    st->cache_on = pcfmcp__cfg_cache_enabled(c);
    st->cache_entries = (size_t)pcfmcp__cfg_cache_max_entries(c);
    st->cache_bytes = (size_t)pcfmcp__cfg_cache_max_bytes(c);
    st->cache_ttl = (unsigned)pcfmcp__cfg_cache_ttl(c);
    st->tool_timeout = (unsigned)pcfmcp__cfg_tools_timeout(c);
    st->grace = (unsigned)pcfmcp__cfg_server_shutdown_grace(c);
    char where[600];
    rc = pcfmcp_proxies_new(&st->proxies, pcfmcp__cfg_rate_limit_trusted_proxies(c));
    if (rc != PCFMCP_OK) {
        origin(c, PCFMCP__CFG_rate_limit_trusted_proxies, where, sizeof(where));
        snprintf(why, wlen, "%s: rate_limit.trusted_proxies: %s", where,
                 pcfmcp_proxies_errmsg(st->proxies));
        settings_free(st);
        return rc == PCFMCP_ERR_NOMEM ? rc : PCFMCP_ERR_CONFIG;
    }
    st->audit_on = pcfmcp__cfg_audit_enabled(c);
    char *key = NULL;
    size_t key_len = 0;
    if (st->audit_on && read_args_key(c, &key, &key_len, why, wlen) != 0) {
        settings_free(st);
        return PCFMCP_ERR_CONFIG;
    }
    if (st->audit_on && log) {
        const char *file = pcfmcp__cfg_audit_file(c);
        if ((rc = pcfmcp_audit_new(&st->audit)) != PCFMCP_OK) {
            pcfmcp__secure_free(key);
            settings_free(st);
            return rc;
        }
        pcfmcp_audit_set_logger(st->audit, log);
        pcfmcp_audit_set_fsync(st->audit, pcfmcp__cfg_audit_fsync(c));
        pcfmcp_audit_set_args(st->audit, audit_mode(pcfmcp__cfg_audit_args(c)));
        if (key)
            pcfmcp_audit_set_args_key(st->audit, key, key_len);
        else if (start_key)
            pcfmcp_audit_set_args_key(st->audit, (const char *)start_key, 32);
        if (pcfmcp_audit_open(st->audit, file) != PCFMCP_OK) {
            origin(c, PCFMCP__CFG_audit_file, where, sizeof(where));
            snprintf(why, wlen, "%s: audit.file: %s", where, pcfmcp_audit_errmsg(st->audit));
            pcfmcp__secure_free(key);
            settings_free(st);
            return PCFMCP_ERR_CONFIG;
        }
    }
    pcfmcp__secure_free(key);
    *out = st;
    return PCFMCP_OK;
}

/* ------------------------------------------------------------ store */

static void store_opts(const pcfmcp_config_t *c, pcfmcp__store_opts *o)
{
    memset(o, 0, sizeof(*o));
    o->url = pcfmcp__cfg_store_url(c);
    o->password = pcfmcp__cfg_store_password(c);
    o->ca_file = pcfmcp__cfg_store_ca_file(c);
    o->client_cert = pcfmcp__cfg_store_client_cert(c);
    o->client_key = pcfmcp__cfg_store_client_key(c);
    o->timeout_ms = (unsigned)pcfmcp__cfg_store_timeout(c);
    o->prefix = pcfmcp__cfg_store_prefix(c);
    o->connections = (unsigned)pcfmcp__cfg_store_connections(c);
}

/* Builds the store store.url asks for (none when it is empty), without
 * connecting; @p why names the key at fault. */
static pcfmcp_error_t build_store(const pcfmcp_config_t *c, pcfmcp_logger_t *log,
                                  pcfmcp__store **out, char *why, size_t wlen)
{
    *out = NULL;
    pcfmcp__store_opts o;
    store_opts(c, &o);
    if (!o.url[0])
        return PCFMCP_OK;
    char part[512] = "", where[600];
    pcfmcp_error_t rc = pcfmcp__store_new(out, &o, log, part, sizeof(part));
    if (rc != PCFMCP_OK) {
        origin(c, PCFMCP__CFG_store_url, where, sizeof(where));
        snprintf(why, wlen, "%s: store.url: %s", where, part[0] ? part : pcfmcp_strerror(rc));
        return rc == PCFMCP_ERR_NOMEM ? rc : PCFMCP_ERR_CONFIG;
    }
    return PCFMCP_OK;
}

static void store_observer(const char *op, const char *result, double secs, void *ud)
{
    pcfmcp__guards *h = ud;
    pcfmcp_metric_add(h->m.store_requests, (const char *[]){ op, result }, 1);
    if (strcmp(result, "unavailable") != 0)
        pcfmcp_metric_observe(h->m.store_dur, (const char *[]){ op }, secs);
}

pcfmcp__store *pcfmcp__guards_store(pcfmcp_server_t *s)
{
    return s && s->guards ? s->guards->store : NULL;
}

int pcfmcp__server_store_ready(pcfmcp_server_t *s, char *why, size_t n)
{
    pcfmcp__store *st = pcfmcp__guards_store(s);
    if (!st || pcfmcp__store_up(st))
        return 1;
    char status[400];
    pcfmcp__store_status(st, status, sizeof(status));
    if (s->guards->store_required) {
        snprintf(why, n, "%s (store.required)", status);
        return 0;
    }
    snprintf(why, n, "%s; working alone: rate limits per replica, PCF reads uncached", status);
    return -1;
}

pcfmcp_error_t pcfmcp__guards_check(const pcfmcp_config_t *cfg, pcfmcp__buf *b)
{
    pcfmcp_config_t *copy = NULL;
    pcfmcp_error_t rc = pcfmcp_config_copy(&copy, cfg);
    if (rc != PCFMCP_OK)
        return rc;
    if (pcfmcp_config_check(copy) != PCFMCP_OK) {
        if (b->len)
            pcfmcp__buf_putc(b, '\n');
        pcfmcp__buf_puts(b, pcfmcp_config_errmsg(copy));
    }
    char why[1024] = "";
    settings *st = NULL;
    if (read_settings(NULL, copy, NULL, &st, why, sizeof(why)) != PCFMCP_OK) {
        if (b->len)
            pcfmcp__buf_putc(b, '\n');
        pcfmcp__buf_puts(b, why[0] ? why : "out of memory");
    }
    settings_free(st);
    if (pcfmcp__cfg_tracing_enabled(copy)) {
        pcfmcp_tracer_t *t = NULL;
        if (pcfmcp_tracer_new(&t, "check", NULL) == PCFMCP_OK &&
            pcfmcp_tracer_set_endpoint(t, pcfmcp__cfg_tracing_endpoint(copy)) !=
                PCFMCP_OK) {
            char where[600];
            origin(copy, PCFMCP__CFG_tracing_endpoint, where, sizeof(where));
            if (b->len)
                pcfmcp__buf_putc(b, '\n');
            pcfmcp__buf_printf(b, "%s: tracing.endpoint: %s", where, pcfmcp_tracer_errmsg(t));
        }
        pcfmcp_tracer_free(t);
    }
    pcfmcp__store *store = NULL;
    char swhy[700] = "";
    if (build_store(copy, NULL, &store, swhy, sizeof(swhy)) != PCFMCP_OK) {
        if (b->len)
            pcfmcp__buf_putc(b, '\n');
        pcfmcp__buf_puts(b, swhy[0] ? swhy : "store.url: out of memory");
    }
    pcfmcp__store_free(store);
    pcfmcp_config_free(copy);
    return pcfmcp__buf_ok(b) ? PCFMCP_OK : PCFMCP_ERR_NOMEM;
}

/* Swaps in new settings; cannot fail. Takes ownership of st. */
static void apply_settings(pcfmcp__guards *h, settings *st)
{
    pcfmcp_ratelimit_apply(h->rl, st->limits);
    pcfmcp_ratelimit_set_max_identities(h->rl, st->max_ids);
    pcfmcp_gate_set_limit(h->gate, st->pcf_conc);
    pcfmcp_cache_configure(h->cache, st->cache_entries, st->cache_bytes, st->cache_ttl);
    pcfmcp_cache_set_enabled(h->cache, st->cache_on);
    pcfmcp_engine_set_tool_timeout(h->s->engine, st->tool_timeout);
    atomic_store(&h->grace_ms, st->grace);
    pthread_rwlock_wrlock(&h->lock);
    pcfmcp_proxies_t *old_proxies = h->proxies;
    pcfmcp_audit_t *old_audit = h->audit;
    h->proxies = st->proxies;
    h->audit = st->audit;
    if (old_audit) {
        h->audit_written_before += pcfmcp_audit_written(old_audit);
        h->audit_failed_before += pcfmcp_audit_failed(old_audit);
    }
    pthread_rwlock_unlock(&h->lock);
    st->proxies = NULL;
    st->audit = NULL;
    pcfmcp_proxies_free(old_proxies);
    pcfmcp_audit_free(old_audit); /* flushes and closes */
    settings_free(st);
}

static pcfmcp_error_t guards_prepare(pcfmcp_server_t *s, const pcfmcp_config_t *cfg, void **staged,
                                   char *why, size_t wlen, void *ud)
{
    (void)ud;
    settings *st = NULL;
    pcfmcp_error_t rc = read_settings(s->log, cfg, s->guards->args_key, &st, why, wlen);
    if (rc == PCFMCP_OK)
        *staged = st;
    return rc;
}

static void guards_commit(pcfmcp_server_t *s, void *staged, void *ud)
{
    (void)ud;
    apply_settings(s->guards, staged);
}

static void guards_discard(void *staged, void *ud)
{
    (void)ud;
    settings_free(staged);
}

pcfmcp_error_t pcfmcp__server_add_reloader(pcfmcp_server_t *s, const pcfmcp__reloader *r)
{
    if (!s || !s->guards || !r || !r->prepare || !r->commit || !r->discard)
        return PCFMCP_ERR_INVALID_ARG;
    pcfmcp__guards *h = s->guards;
    pthread_mutex_lock(&h->reload_lock);
    pcfmcp_error_t rc = PCFMCP_ERR_LIMIT;
    if (h->nreloaders < MAX_RELOADERS) {
        h->reloaders[h->nreloaders++] = *r;
        rc = PCFMCP_OK;
    }
    pthread_mutex_unlock(&h->reload_lock);
    return rc;
}

/* Runs every reloader's prepare; on success commits them all, otherwise
 * discards what was prepared. Called by pcfmcp_server_reload(). */
pcfmcp_error_t pcfmcp__guards_reload(pcfmcp_server_t *s, const pcfmcp_config_t *cfg,
                                   pcfmcp_error_t (*last)(pcfmcp_server_t *,
                                                          const pcfmcp_config_t *),
                                   char *why, size_t wlen)
{
    pcfmcp__guards *h = s->guards;
    pthread_mutex_lock(&h->reload_lock);
    void *staged[MAX_RELOADERS] = { 0 };
    size_t n = h->nreloaders, done = 0;
    pcfmcp_error_t rc = PCFMCP_OK;
    for (; done < n; done++) {
        char part[900] = "";
        pcfmcp__reloader *r = &h->reloaders[done];
        rc = r->prepare(s, cfg, &staged[done], part, sizeof(part), r->ud);
        if (rc != PCFMCP_OK) {
            snprintf(why, wlen, "%s: %s", r->name, part[0] ? part : pcfmcp_strerror(rc));
            break;
        }
    }
    if (rc == PCFMCP_OK && last) {
        pcfmcp__error_clear();
        if ((rc = last(s, cfg)) != PCFMCP_OK) {
            const char *d = pcfmcp__error_detail(s);
            snprintf(why, wlen, "%s", d ? d : "see the previous log line");
        }
    }
    if (rc != PCFMCP_OK) {
        for (size_t i = 0; i < done; i++)
            h->reloaders[i].discard(staged[i], h->reloaders[i].ud);
    } else {
        for (size_t i = 0; i < n; i++)
            h->reloaders[i].commit(s, staged[i], h->reloaders[i].ud);
    }
    pthread_mutex_unlock(&h->reload_lock);
    return rc;
}

/* ------------------------------------------------------------ hooks */

typedef struct {
    pcfmcp_span_t *req, *tool;
    char *args;
    const char *refusal; /* static reason of our own refusals */
} reqdata;

static bool exempt(const char *method)
{
    /* A session must always be able to start and to check liveness. */
    return strcmp(method, "initialize") == 0 || strcmp(method, "ping") == 0;
}

static pcfmcp_error_t before(pcfmcp_ctx_t *ctx, const char *method, const char *name,
                             const char *args, void *ud)
{
    pcfmcp__guards *h = ud;
    pcfmcp_server_t *s = h->s;
    reqdata *rd = pcfmcp__calloc(1, sizeof(*rd));
    if (!rd)
        return PCFMCP_ERR_NOMEM;
    pcfmcp_ctx_set_hook_data(ctx, rd);
    bool is_tool = strcmp(method, "tools/call") == 0;

    if (h->tracer) {
        const char *tp = pcfmcp_ctx_traceparent(ctx), *ts = pcfmcp_ctx_tracestate(ctx);
        if (pcfmcp_span_start(h->tracer, method, PCFMCP_SPAN_SERVER, tp, ts, &rd->req) ==
            PCFMCP_OK) {
            pcfmcp_span_set_attribute(rd->req, "rpc.system", "jsonrpc");
            pcfmcp_span_set_attribute(rd->req, "mcp.method.name", method);
            if (pcfmcp_ctx_session_id(ctx))
                pcfmcp_span_set_attribute(rd->req, "mcp.session.id", pcfmcp_ctx_session_id(ctx));
            pcfmcp_span_t *cur = rd->req;
            if (is_tool && name) {
                char sname[160];
                snprintf(sname, sizeof(sname), "tool %s", name);
                if (pcfmcp_span_start(h->tracer, sname, PCFMCP_SPAN_INTERNAL,
                                      pcfmcp_span_traceparent(rd->req),
                                      pcfmcp_span_tracestate(rd->req), &rd->tool) == PCFMCP_OK) {
                    pcfmcp_span_set_attribute(rd->tool, "mcp.tool.name", name);
                    cur = rd->tool;
                }
            }
            /* Everything downstream (PCF calls) continues from this span. */
            pcfmcp_ctx_set_trace(ctx, pcfmcp_span_traceparent(cur), pcfmcp_span_tracestate(cur));
        }
    }
    if ((is_tool || strcmp(method, "prompts/get") == 0) && args && strlen(args) <= MAX_AUDIT_ARGS)
        rd->args = pcfmcp__strdup(args);

    if (atomic_load(&s->stopping)) {
        rd->refusal = "server shutting down";
        pcfmcp_ctx_set_refusal(ctx, "The server is shutting down and takes no new requests; "
                                    "retry in a moment (another instance will answer).");
        return PCFMCP_ERR_UNAVAILABLE;
    }
    if (exempt(method))
        return PCFMCP_OK;
    unsigned buckets = 0;
    if (atomic_load(&h->limits_in_engine))
        buckets |= PCFMCP_RATELIMIT_IDENTITY | PCFMCP_RATELIMIT_GLOBAL;
    bool write = is_tool && name && !pcfmcp_engine_tool_read_only(s->engine, name);
    if (write)
        buckets |= PCFMCP_RATELIMIT_WRITE;
    double wait = 0;
    if (buckets &&
        pcfmcp_ratelimit_take(h->rl, pcfmcp_ctx_identity(ctx), buckets, &wait) ==
            PCFMCP_ERR_RATE_LIMITED) {
        pcfmcp_metric_add(h->m.rate_limited, NULL, 1);
        rd->refusal = "rate limited";
        char msg[256];
        snprintf(msg, sizeof(msg),
                 "Rate limit exceeded%s. Retry after %.1f seconds.",
                 write ? " (tools that change data have a lower limit)" : "", ceil(wait * 10) / 10);
        pcfmcp_ctx_set_refusal(ctx, msg);
        return PCFMCP_ERR_RATE_LIMITED;
    }
    return PCFMCP_OK;
}

/* API keys keep the identity logs and audit use ("key:alice"), so the
 * three can be joined and no key name can pass for one of the fixed
 * values; names come from the operator's keys file, a bounded set
 * (IDENTITY_SERIES caps them anyway). JWT subjects are whatever the issuer
 * mints, one per user and possibly per client, so they would grow the
 * series without bound: they are counted together as "oauth", and logs and
 * audit name them. Any other form (an embedding host's own identities) is
 * unbounded for the same reason and counted as "other". */
static const char *identity_label(const char *identity)
{
    if (!identity || !*identity)
        return "anonymous";
    if (pcfmcp__has_prefix(identity, "key:"))
        return identity;
    if (pcfmcp__has_prefix(identity, "jwt:"))
        return "oauth";
    if (pcfmcp__has_prefix(identity, "local:"))
        return "local";
    return "other";
}

static void after(pcfmcp_ctx_t *ctx, const char *method, const char *name,
                  pcfmcp_outcome_t outcome, int rpc_error, double secs, void *ud)
{
    pcfmcp__guards *h = ud;
    reqdata *rd = pcfmcp_ctx_hook_data(ctx);
    const char *oname = outcome_name(outcome);
    bool is_tool = strcmp(method, "tools/call") == 0;

    pcfmcp_metric_add(h->m.requests, (const char *[]){ method, oname }, 1);
    pcfmcp_metric_add(h->m.identity_requests,
                      (const char *[]){ identity_label(pcfmcp_ctx_identity(ctx)) }, 1);
    pcfmcp_metric_observe(h->m.req_dur, (const char *[]){ method }, secs);
    if (is_tool && name) {
        pcfmcp_metric_add(h->m.tool_calls, (const char *[]){ name, oname }, 1);
        pcfmcp_metric_observe(h->m.tool_dur, (const char *[]){ name }, secs);
        pcfmcp_metric_add(h->m.go_tool_executions, (const char *[]){ name, oname }, 1);
        if (outcome != PCFMCP_OUTCOME_OK && outcome != PCFMCP_OUTCOME_CANCELLED)
            pcfmcp_metric_add(h->m.go_tool_errors, (const char *[]){ name }, 1);
    }

    pcfmcp__log_fields f;
    char trace[33];
    pcfmcp__ctx_log_fields(ctx, &f, trace);
    if (is_tool || outcome == PCFMCP_OUTCOME_REFUSED) {
        char who[160] = "";
        if (is_tool)
            pcfmcp__server_pcf_user(h->s, f.identity, who, sizeof(who));
        pthread_rwlock_rdlock(&h->lock);
        if (h->audit)
            pcfmcp_audit_record(h->audit, is_tool ? "tool_call" : "refusal", f.identity,
                                who[0] ? who : NULL, f.session, f.request_id, f.trace_id, is_tool ? name : method,
                                rd ? rd->args : NULL, oname, secs, rd ? rd->refusal : NULL);
        pthread_rwlock_unlock(&h->lock);
    } else if (name && (strcmp(method, "resources/read") == 0 || strcmp(method, "prompts/get") == 0)) {
        /* Resources and prompts read the same client data as tools do. */
        bool res = method[0] == 'r';
        char who[160] = "";
        pcfmcp__server_pcf_user(h->s, f.identity, who, sizeof(who));
        pthread_rwlock_rdlock(&h->lock);
        if (h->audit)
            pcfmcp__audit_read(h->audit, res ? "resource_read" : "prompt_get", f.identity,
                               who[0] ? who : NULL, f.session, f.request_id, f.trace_id,
                               res ? "resource" : "prompt", name, rd ? rd->args : NULL, oname,
                               secs);
        pthread_rwlock_unlock(&h->lock);
    }
    /* Tool calls and refusals are worth a line at info; everything else is
     * already logged by the engine at debug. */
    if (is_tool || outcome == PCFMCP_OUTCOME_REFUSED) {
        if (rpc_error)
            PCFMCP_LOGF(h->s->log, PCFMCP_LOG_INFO, "server", &f,
                        "%s%s%s -> %s (JSON-RPC %d) in %.1f ms", method, name ? " " : "",
                        name ? name : "", oname, rpc_error, secs * 1000.0);
        else
            PCFMCP_LOGF(h->s->log, PCFMCP_LOG_INFO, "server", &f, "%s%s%s -> %s in %.1f ms%s%s",
                        method, name ? " " : "", name ? name : "", oname, secs * 1000.0,
                        rd && rd->refusal ? ": " : "", rd && rd->refusal ? rd->refusal : "");
    }

    if (rd) {
        bool failed = outcome != PCFMCP_OUTCOME_OK && outcome != PCFMCP_OUTCOME_CANCELLED;
        if (rd->tool) {
            if (failed)
                pcfmcp_span_set_error(rd->tool, oname);
            pcfmcp_span_end(rd->tool);
        }
        if (rd->req) {
            pcfmcp_span_set_attribute(rd->req, "mcp.outcome", oname);
            if (rpc_error) {
                pcfmcp_span_set_attribute_int(rd->req, "rpc.jsonrpc.error_code", rpc_error);
            }
            if (failed)
                pcfmcp_span_set_error(rd->req, oname);
            pcfmcp_span_end(rd->req);
        }
        pcfmcp__free(rd->args);
        pcfmcp__free(rd);
        pcfmcp_ctx_set_hook_data(ctx, NULL);
    }
}

/* ------------------------------------------------------------ PCF */

static void pcf_observer(const char *endpoint, int status, pcfmcp_error_t err, double secs,
                         int attempt, int is_retry, void *ud)
{
    (void)err;
    (void)attempt;
    pcfmcp__guards *h = ud;
    char code[16];
    if (status > 0)
        snprintf(code, sizeof(code), "%d", status);
    else
        snprintf(code, sizeof(code), "none");
    pcfmcp_metric_add(h->m.pcf_requests, (const char *[]){ endpoint, code }, 1);
    pcfmcp_metric_observe(h->m.pcf_dur, (const char *[]){ endpoint }, secs);
    if (is_retry)
        pcfmcp_metric_add(h->m.pcf_retries, NULL, 1);
}

PCFMCP_API pcfmcp_error_t pcfmcp_server_attach_pcf(pcfmcp_server_t *s, pcfmcp_pcf_t *pcf)
{
    if (!s || !s->guards || !pcf)
        return PCFMCP_ERR_INVALID_ARG;
    pcfmcp__guards *h = s->guards;
    pthread_mutex_lock(&h->pcf_lock);
    bool full = h->npcfs >= MAX_PCFS;
    if (!full)
        h->pcfs[h->npcfs++] = pcf;
    pthread_mutex_unlock(&h->pcf_lock);
    if (full)
        return PCFMCP_ERR_LIMIT;
    pcfmcp_pcf_set_observer(pcf, h->metrics ? pcf_observer : NULL, h);
    pcfmcp_pcf_set_cache(pcf, h->cache);
    pcfmcp_pcf_set_tracer(pcf, h->tracer);
    pcfmcp_pcf_set_gate(pcf, h->gate);
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_server_detach_pcf(pcfmcp_server_t *s, pcfmcp_pcf_t *pcf)
{
    if (!s || !s->guards || !pcf)
        return PCFMCP_ERR_INVALID_ARG;
    pcfmcp__guards *h = s->guards;
    pcfmcp_error_t rc = PCFMCP_ERR_NOT_FOUND;
    pthread_mutex_lock(&h->pcf_lock);
    for (size_t i = 0; i < h->npcfs; i++)
        if (h->pcfs[i] == pcf) {
            h->pcfs[i] = h->pcfs[--h->npcfs];
            rc = PCFMCP_OK;
            break;
        }
    pthread_mutex_unlock(&h->pcf_lock);
    if (rc == PCFMCP_OK) {
        pcfmcp_pcf_set_observer(pcf, NULL, NULL);
        pcfmcp_pcf_set_cache(pcf, NULL);
        pcfmcp_pcf_set_tracer(pcf, NULL);
        pcfmcp_pcf_set_gate(pcf, NULL);
    }
    return rc;
}

PCFMCP_API pcfmcp_metrics_t *pcfmcp_server_metrics(pcfmcp_server_t *s)
{
    return s && s->guards ? s->guards->metrics : NULL;
}

/* ------------------------------------------------------------ transports */

pcfmcp_error_t pcfmcp__server_admit(pcfmcp_server_t *s, const char *identity,
                                    const char *client_address, double *retry_after)
{
    if (!s || !s->guards)
        return PCFMCP_ERR_INVALID_ARG;
    if (atomic_load(&s->stopping))
        return PCFMCP_ERR_UNAVAILABLE;
    pcfmcp__guards *h = s->guards;
    const char *who = identity && *identity ? identity : client_address;
    char key[300];
    /* Keys and addresses never share a bucket, whatever their spelling. */
    snprintf(key, sizeof(key), "%s:%s", identity && *identity ? "id" : "ip", who ? who : "");
    double wait = 0;
    pcfmcp_error_t rc = pcfmcp_ratelimit_take(
        h->rl, key, PCFMCP_RATELIMIT_IDENTITY | PCFMCP_RATELIMIT_GLOBAL, &wait);
    if (rc == PCFMCP_ERR_RATE_LIMITED) {
        pcfmcp_metric_add(h->m.rate_limited, NULL, 1);
        if (retry_after)
            *retry_after = wait;
    }
    return rc;
}

pcfmcp_error_t pcfmcp__server_client_address(pcfmcp_server_t *s, const char *peer,
                                             const char *xff, char *out, size_t out_size)
{
    if (!s || !s->guards)
        return PCFMCP_ERR_INVALID_ARG;
    pcfmcp__guards *h = s->guards;
    pthread_rwlock_rdlock(&h->lock);
    pcfmcp_error_t rc = pcfmcp_proxies_client_address(h->proxies, peer, xff, out, out_size);
    pthread_rwlock_unlock(&h->lock);
    return rc;
}

void pcfmcp__server_http_refused(pcfmcp_server_t *s, unsigned status, const char *reason,
                                 const char *identity, const char *client_address,
                                 const char *method)
{
    if (!s || !s->guards)
        return;
    pcfmcp__guards *h = s->guards;
    const char *who = identity && *identity ? identity : "anonymous";
    const char *kv[] = { "client_address", client_address ? client_address : "" };
    pcfmcp__log_fields f = { .identity = who, .kv = kv, .nkv = 2 };
    /* Debug: the audit record is the durable trace, and a 429 storm must not
     * flood the log; authentication failures get their own info line. */
    PCFMCP_LOGF(s->log, PCFMCP_LOG_DEBUG, "server", &f, "HTTP %s refused with %u: %s",
                method ? method : "request", status, reason ? reason : "");
    pthread_rwlock_rdlock(&h->lock);
    if (h->audit)
        pcfmcp__audit_http_refusal(h->audit, status, reason ? reason : "refused", who,
                                   client_address, method);
    pthread_rwlock_unlock(&h->lock);
}

int pcfmcp__server_ready(pcfmcp_server_t *s)
{
    return s && !atomic_load(&s->stopping);
}

void pcfmcp__server_observe_http(pcfmcp_server_t *s, const char *method, int status,
                                 double seconds, unsigned active)
{
    if (!s || !s->guards)
        return;
    pcfmcp__guards *h = s->guards;
    char code[16];
    if (status == PCFMCP_HTTP_STATUS_ABORTED)
        snprintf(code, sizeof(code), "aborted");
    else if (status == PCFMCP_HTTP_STATUS_TIMEOUT)
        snprintf(code, sizeof(code), "timeout");
    else
        snprintf(code, sizeof(code), "%d", status);
    pcfmcp_metric_add(h->m.http_requests, (const char *[]){ method, code }, 1);
    pcfmcp_metric_observe(h->m.http_dur, (const char *[]){ method }, seconds);
    pcfmcp_metric_set(h->m.active, NULL, (double)active);
}

void pcfmcp__server_count_auth_failure(pcfmcp_server_t *s, const char *reason)
{
    if (s && s->guards)
        pcfmcp_metric_add(s->guards->m.auth_failures, (const char *[]){ reason }, 1);
}

pcfmcp_error_t pcfmcp__server_set_tls_cert(pcfmcp_server_t *s, const char *pem_path)
{
    if (!s || !s->guards)
        return PCFMCP_ERR_INVALID_ARG;
    char *copy = pem_path ? pcfmcp__strdup(pem_path) : NULL;
    if (pem_path && !copy)
        return PCFMCP_ERR_NOMEM;
    pthread_mutex_lock(&s->guards->pcf_lock);
    pcfmcp__free(s->guards->tls_cert);
    s->guards->tls_cert = copy;
    pthread_mutex_unlock(&s->guards->pcf_lock);
    return PCFMCP_OK;
}

void pcfmcp__server_set_stdio_fds(pcfmcp_server_t *s, int in_fd, int out_fd)
{
    s->stdio_in = in_fd;
    s->stdio_out = out_fd;
}

void pcfmcp__guards_limits_in_engine(pcfmcp_server_t *s, bool in_engine)
{
    if (s && s->guards)
        atomic_store(&s->guards->limits_in_engine, in_engine);
}

unsigned pcfmcp__guards_grace_ms(pcfmcp_server_t *s)
{
    return s && s->guards ? atomic_load(&s->guards->grace_ms) : 10000;
}

/* ------------------------------------------------------------ lifecycle */

/* What pcfmcp_config_check() found worth a warning (secrets every user can
 * read), logged once at start. */
static void log_config_warnings(pcfmcp_server_t *s, const pcfmcp_config_t *c)
{
    pcfmcp_config_t *copy = NULL;
    if (pcfmcp_config_copy(&copy, c) != PCFMCP_OK)
        return;
    pcfmcp_config_check(copy);
    for (const char *p = pcfmcp_config_warnings(copy); *p;) {
        size_t n = strcspn(p, "\n");
        PCFMCP_LOG(s->log, PCFMCP_LOG_WARN, "config", "%.*s", (int)n, p);
        p += n + (p[n] ? 1 : 0);
    }
    pcfmcp_config_free(copy);
}

pcfmcp_error_t pcfmcp__guards_new(pcfmcp_server_t *s)
{
    const pcfmcp_config_t *c = s->config;
    pcfmcp__guards *h = pcfmcp__calloc(1, sizeof(*h));
    if (!h)
        return PCFMCP_ERR_NOMEM;
    s->guards = h;
    h->s = s;
    pthread_rwlock_init(&h->lock, NULL);
    pthread_mutex_init(&h->pcf_lock, NULL);
    pthread_mutex_init(&h->reload_lock, NULL);
    atomic_init(&h->limits_in_engine, true);
    atomic_init(&h->grace_ms, 10000);

    /* pcfmcp_server_new() has validated the configuration (validate.c). */
    pcfmcp_error_t rc = PCFMCP_OK;
    log_config_warnings(s, c);
    if (pcfmcp__cfg_metrics_enabled(c) && (rc = build_metrics(h)) != PCFMCP_OK) {
        pcfmcp__fail(s, rc, "metrics set-up failed: %s", pcfmcp_metrics_errmsg(h->metrics));
        return rc;
    }
    if ((rc = pcfmcp_ratelimit_new(&h->rl)) != PCFMCP_OK ||
        (rc = pcfmcp_gate_new(&h->gate, 0)) != PCFMCP_OK ||
        (rc = pcfmcp_cache_new(&h->cache, 1, 1024, 1000)) != PCFMCP_OK)
        return rc;
    char swhy[700] = "";
    if ((rc = build_store(c, s->log, &h->store, swhy, sizeof(swhy))) != PCFMCP_OK)
        return pcfmcp__fail(s, rc, "%s", swhy[0] ? swhy : pcfmcp_strerror(rc));
    if (h->store) {
        /* A password written into store.url is as secret as store.password. */
        pcfmcp__store_url u;
        if (pcfmcp__store_url_parse(pcfmcp__cfg_store_url(c), &u, NULL, 0) == PCFMCP_OK) {
            if (u.password && strlen(u.password) >= 4)
                pcfmcp_logger_add_secret(s->log, u.password);
            pcfmcp__store_url_clear(&u);
        }
        h->store_required = pcfmcp__cfg_store_required(c);
        if (h->metrics)
            pcfmcp__store_set_observer(h->store, store_observer, h);
        pcfmcp__ratelimit_set_store(h->rl, h->store);
        pcfmcp__cache_set_store(h->cache, h->store);
    }
    if (pcfmcp__cfg_tracing_enabled(c)) {
        h->tracing_timeout_ms = (unsigned)pcfmcp__cfg_tracing_timeout(c);
        if ((rc = pcfmcp_tracer_new(&h->tracer, pcfmcp__cfg_tracing_service_name(c),
                                    PCFMCP_VERSION)) != PCFMCP_OK ||
            (rc = pcfmcp_tracer_set_endpoint(h->tracer, pcfmcp__cfg_tracing_endpoint(c))) !=
                PCFMCP_OK ||
            (rc = pcfmcp_tracer_set_sample_ratio(h->tracer,
                                                 pcfmcp__cfg_tracing_sample_ratio(c))) !=
                PCFMCP_OK ||
            (rc = pcfmcp_tracer_set_limits(
                 h->tracer, (size_t)pcfmcp__cfg_tracing_queue_size(c),
                 (size_t)pcfmcp__cfg_tracing_batch_size(c),
                 (unsigned)pcfmcp__cfg_tracing_interval(c))) != PCFMCP_OK ||
            (rc = pcfmcp_tracer_set_timeout(h->tracer, h->tracing_timeout_ms)) != PCFMCP_OK ||
            (rc = pcfmcp_tracer_set_logger(h->tracer, s->log)) != PCFMCP_OK) {
            pcfmcp__fail(s, rc, "tracing set-up failed: %s", pcfmcp_tracer_errmsg(h->tracer));
            return rc == PCFMCP_ERR_INVALID_ARG ? PCFMCP_ERR_CONFIG : rc;
        }
    }
    if (pcfmcp__random(h->args_key, sizeof(h->args_key)) != 0)
        return PCFMCP_ERR_TLS;
    settings *st = NULL;
    char why[1024] = "";
    if ((rc = read_settings(s->log, c, h->args_key, &st, why, sizeof(why))) != PCFMCP_OK) {
        pcfmcp__fail(s, rc, "%s", why[0] ? why : pcfmcp_strerror(rc));
        return rc;
    }
    apply_settings(h, st);
    pcfmcp__reloader r = { "hardening", guards_prepare, guards_commit, guards_discard, NULL };
    if ((rc = pcfmcp__server_add_reloader(s, &r)) != PCFMCP_OK)
        return rc;
    pcfmcp_engine_set_hooks(s->engine, before, after, h);
    return PCFMCP_OK;
}

pcfmcp_error_t pcfmcp__guards_start(pcfmcp_server_t *s)
{
    pcfmcp__guards *h = s->guards;
    if (h && h->store && pcfmcp__store_start(h->store) != PCFMCP_OK)
        return pcfmcp__fail(s, PCFMCP_ERR_NOMEM, "cannot start the shared store's connection thread");
    if (!h || !h->tracer)
        return PCFMCP_OK;
    pcfmcp_error_t rc = pcfmcp_tracer_start(h->tracer);
    if (rc != PCFMCP_OK)
        pcfmcp__fail(s, rc, "%s", pcfmcp_tracer_errmsg(h->tracer));
    return rc;
}

void pcfmcp__guards_drain(pcfmcp_server_t *s)
{
    pcfmcp__guards *h = s->guards;
    if (!h)
        return;
    if (h->tracer && pcfmcp_tracer_flush(h->tracer, h->tracing_timeout_ms) != PCFMCP_OK)
        PCFMCP_LOG(s->log, PCFMCP_LOG_WARN, "trace",
                   "spans still queued after %u ms at shutdown were dropped", h->tracing_timeout_ms);
    pthread_rwlock_rdlock(&h->lock);
    if (h->audit && pcfmcp_audit_flush(h->audit) != PCFMCP_OK)
        PCFMCP_LOG(s->log, PCFMCP_LOG_ERROR, "audit", "%s", pcfmcp_audit_errmsg(h->audit));
    pthread_rwlock_unlock(&h->lock);
}

void pcfmcp__guards_free(pcfmcp_server_t *s)
{
    pcfmcp__guards *h = s->guards;
    if (!h)
        return;
    if (s->engine)
        pcfmcp_engine_set_hooks(s->engine, NULL, NULL, NULL);
    pthread_mutex_lock(&h->pcf_lock);
    size_t n = h->npcfs;
    pcfmcp_pcf_t *pcfs[MAX_PCFS];
    memcpy(pcfs, h->pcfs, n * sizeof(pcfs[0]));
    pthread_mutex_unlock(&h->pcf_lock);
    for (size_t i = 0; i < n; i++)
        pcfmcp_server_detach_pcf(s, pcfs[i]);
    pcfmcp_tracer_free(h->tracer);
    pcfmcp_audit_free(h->audit);
    pcfmcp_proxies_free(h->proxies);
    pcfmcp__ratelimit_set_store(h->rl, NULL);
    pcfmcp__cache_set_store(h->cache, NULL);
    pcfmcp__store_free(h->store); /* before the metrics its observer feeds */
    pcfmcp_ratelimit_free(h->rl);
    pcfmcp_gate_free(h->gate);
    pcfmcp_cache_free(h->cache);
    pcfmcp_metrics_free(h->metrics);
    pcfmcp__free(h->tls_cert);
    pthread_rwlock_destroy(&h->lock);
    pthread_mutex_destroy(&h->pcf_lock);
    pthread_mutex_destroy(&h->reload_lock);
    pcfmcp__free(h);
    s->guards = NULL;
}
