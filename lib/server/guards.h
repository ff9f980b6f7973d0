/* The server's guards: metrics, audit, rate limits, the PCF concurrency
 * gate, tracing and the PCF read cache (the primitives of lib/hardening/),
 * built from the configuration, hooked into the engine, and offered to
 * transports (HTTP admission, readiness, /metrics, observers) and to the
 * code that creates PCF clients. */
#ifndef PCFMCP_SERVER_GUARDS_H
#define PCFMCP_SERVER_GUARDS_H

#include <pcfmcp/config.h>
#include <pcfmcp/pcf.h>
#include <pcfmcp/server.h>
#include <pcfmcp/sys/metrics.h>

#include "core/buf.h"
#include "core/internal.h"

typedef struct pcfmcp__guards pcfmcp__guards;

/* Builds everything from s->config and installs the engine hooks. On
 * PCFMCP_ERR_CONFIG pcfmcp_server_errmsg() names the origin and key. */
pcfmcp_error_t pcfmcp__guards_new(pcfmcp_server_t *s);
void pcfmcp__guards_free(pcfmcp_server_t *s);

/* Starts background work (the span exporter) just before serving. */
pcfmcp_error_t pcfmcp__guards_start(pcfmcp_server_t *s);

/* After the transports stopped: flushes spans (bounded by tracing.timeout)
 * and the audit file. */
void pcfmcp__guards_drain(pcfmcp_server_t *s);

/* The server.shutdown_grace in effect, in milliseconds. */
unsigned pcfmcp__guards_grace_ms(pcfmcp_server_t *s);

/* Whether per-caller and global limits are charged in the engine's
 * before-hook (stdio) or by the transport's admission hook (HTTP, through
 * pcfmcp__server_admit()); the write-tool limit is always charged in the
 * before-hook. */
void pcfmcp__guards_limits_in_engine(pcfmcp_server_t *s, bool in_engine);

/* Validation of what pcfmcp__guards_new() would refuse, without side effects;
 * appends one line per problem to @p out (validate.c's list). */
pcfmcp_error_t pcfmcp__guards_check(const pcfmcp_config_t *cfg, pcfmcp__buf *out);

/* ------------------------------------------------------------- reload */

/* A part of the server that takes part in a reload: prepare() builds the
 * new state from @p cfg without touching the live one (or explains in
 * @p why why it cannot), commit() swaps it in and cannot fail, discard()
 * drops a prepared state that will not be committed. */
typedef struct {
    const char *name;
    pcfmcp_error_t (*prepare)(pcfmcp_server_t *s, const pcfmcp_config_t *cfg, void **staged,
                              char *why, size_t why_len, void *ud);
    void (*commit)(pcfmcp_server_t *s, void *staged, void *ud);
    void (*discard)(void *staged, void *ud);
    void *ud;
} pcfmcp__reloader;

/* Registers a reloader (at most 16); they run in registration order. The
 * hardening layer registers its own (rate limits, gate, proxies, audit,
 * cache, tool timeout, grace) in pcfmcp__guards_new(). */
pcfmcp_error_t pcfmcp__server_add_reloader(pcfmcp_server_t *s, const pcfmcp__reloader *r);

/* Prepares every reloader against @p cfg, then runs @p last (may be NULL:
 * a one-step reload that applies itself and must be all-or-nothing on its
 * own), then commits all; if anything fails, discards all and explains in
 * @p why. */
pcfmcp_error_t pcfmcp__guards_reload(pcfmcp_server_t *s, const pcfmcp_config_t *cfg,
                                   pcfmcp_error_t (*last)(pcfmcp_server_t *,
                                                          const pcfmcp_config_t *),
                                   char *why, size_t why_len);

/* ------------------------------------------------- transport wiring */

/* HTTP admission: charges the caller's and the global bucket. Returns
 * PCFMCP_ERR_RATE_LIMITED with *retry_after_seconds (> 0) to answer 429
 * with `Retry-After: ceil(retry_after_seconds)`; PCFMCP_ERR_UNAVAILABLE
 * while draining (answer 503). @p identity may be NULL (then the client
 * address is the identity). */
pcfmcp_error_t pcfmcp__server_admit(pcfmcp_server_t *s, const char *identity,
                                    const char *client_address, double *retry_after_seconds);

/* The client address of an HTTP request, honouring X-Forwarded-For only
 * from rate_limit.trusted_proxies. @p out holds at least 46 bytes. */
pcfmcp_error_t pcfmcp__server_client_address(pcfmcp_server_t *s, const char *peer,
                                             const char *xff, char *out, size_t out_size);

/* HTTP refusal observer: a request refused by authentication or admission
 * before it reached the engine is logged and audited ("anonymous" when the
 * caller was not authenticated). */
void pcfmcp__server_http_refused(pcfmcp_server_t *s, unsigned status, const char *reason,
                                 const char *identity, const char *client_address,
                                 const char *method);

/* 1 while the server accepts new work (readiness probe); 0 once draining. */
int pcfmcp__server_ready(pcfmcp_server_t *s);

/* HTTP observer: one finished HTTP request (the transport's bounded label:
 * the JSON-RPC method or the route), its status code and duration, and the
 * current number of open connections. */
void pcfmcp__server_observe_http(pcfmcp_server_t *s, const char *method, int status,
                                 double seconds, unsigned active_connections);

/* Authentication failure, by bounded reason: missing, invalid, expired,
 * revoked, forbidden (anything else counts as other). */
void pcfmcp__server_count_auth_failure(pcfmcp_server_t *s, const char *reason);

/* Expiry (Unix seconds) of the TLS certificate the HTTP transport serves,
 * for pcf_mcp_tls_cert_expiry_timestamp_seconds; read from @p pem_path at
 * every scrape. NULL forgets it. */
pcfmcp_error_t pcfmcp__server_set_tls_cert(pcfmcp_server_t *s, const char *pem_path);

/* The shared store (store.url), or NULL: the HTTP transport names its
 * replica in session ids through it. */
struct pcfmcp__store *pcfmcp__guards_store(pcfmcp_server_t *s);

/* The store's part of /readyz: 1 when there is none or it answers; when it
 * does not, the reason in @p why and 0 if store.required (not ready) or -1
 * (ready, working alone; the reason is worth showing). */
int pcfmcp__server_store_ready(pcfmcp_server_t *s, char *why, size_t n);

/* For tests: serve stdio on these descriptors instead of 0 and 1. */
void pcfmcp__server_set_stdio_fds(pcfmcp_server_t *s, int in_fd, int out_fd);

#endif
