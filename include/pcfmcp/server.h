/**
 * @file server.h
 * @brief The complete pcf-mcp server: configuration in, a running MCP
 *        endpoint out.
 *
 * A server wires together what the other headers provide: the logger, the
 * MCP engine, the PCF client and toolset, the configured transport and the
 * hardening primitives. `pcf-mcp serve` is a thin wrapper around it; a host
 * program can embed the same server and add its own tools to its engine.
 *
 * Thread safety: create, run and free from one thread; pcfmcp_server_stop()
 * and pcfmcp_server_reload() may be called from any thread (stop also from a
 * signal handler).
 */
#ifndef PCFMCP_SERVER_H
#define PCFMCP_SERVER_H

#include <pcfmcp/common.h>
#include <pcfmcp/config.h>
#include <pcfmcp/engine.h>
#include <pcfmcp/log.h>
#include <pcfmcp/pcf.h>
#include <pcfmcp/sys/metrics.h>

PCFMCP_BEGIN_DECLS

/** A pcf-mcp server. Opaque. */
typedef struct pcfmcp_server pcfmcp_server_t;

/**
 * Builds a server from @p config (copied; secrets already resolved with
 * pcfmcp_config_resolve_secrets()). Nothing is contacted yet: a PCF that is
 * down or credentials that are wrong do not stop the server from starting.
 * The configuration is first checked by pcfmcp_server_check_config(); a
 * refusal carries its message, every problem on its own line.
 *
 * Calls pcfmcp_global_init() itself (and pcfmcp_server_free() the matching
 * pcfmcp_global_cleanup()), so a host that uses only a server needs neither.
 *
 * @param[out] out the server; on PCFMCP_ERR_CONFIG, *out is still set so that
 *             pcfmcp_server_errmsg() can say why, and must be freed.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_server_new(pcfmcp_server_t **out, const pcfmcp_config_t *config);

/** Frees @p server; it must not be running. NULL does nothing. */
PCFMCP_API void pcfmcp_server_free(pcfmcp_server_t *server);

/** Why this thread's last failed call on @p server failed.
 *  Never NULL; "no error" when this thread's last failure was not on it. Valid until
 *  this thread's next failed call (see "Error detail" in common.h). */
PCFMCP_API const char *pcfmcp_server_errmsg(const pcfmcp_server_t *server);

/** The server's logger (borrowed; take a reference to keep it). */
PCFMCP_API pcfmcp_logger_t *pcfmcp_server_logger(pcfmcp_server_t *server);

/** The server's engine (borrowed), for hosts that register their own tools. */
PCFMCP_API pcfmcp_engine_t *pcfmcp_server_engine(pcfmcp_server_t *server);

/**
 * Serves the configured transport until it ends (stdio: end of input) or
 * pcfmcp_server_stop() is called, then drains: new requests are refused,
 * requests in flight get `server.shutdown_grace` to finish and are cancelled
 * after it, and queued spans and audit records are flushed.
 * @return PCFMCP_OK after a clean drain; PCFMCP_ERR_TIMEOUT if requests had to
 *         be cancelled; other codes when the transport could not start.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_server_run(pcfmcp_server_t *server);

/** Asks pcfmcp_server_run() to drain and return. Async-signal-safe. */
PCFMCP_API void pcfmcp_server_stop(pcfmcp_server_t *server);

/**
 * Applies the run-time changeable settings of @p config (log level, API
 * keys, TLS certificates, rate limits, audit, cache, timeouts) atomically:
 * everything new is built first and swapped in only if all of it is valid;
 * otherwise nothing changes. The log says what changed, which changed keys
 * need a restart (they are not applied), or why the reload was refused.
 * The audit file is reopened (log rotation) on every successful reload.
 * @return PCFMCP_OK, or PCFMCP_ERR_CONFIG when the reload was refused.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_server_reload(pcfmcp_server_t *server,
                                               const pcfmcp_config_t *config);

/**
 * Checks @p config for everything pcfmcp_server_new() would refuse, without
 * starting anything, contacting anyone or creating files.
 *
 * pcfmcp_server_new() runs this very check first and refuses with the same
 * message, so the two cannot disagree. It covers the cross-key rules of
 * pcfmcp_config_check(); `*_file` secrets that were never read
 * (pcfmcp_config_resolve_secrets() not called); proxy networks, the tracing
 * endpoint and the audit file; the PCF URL and client settings; tool and
 * toolset names; the identities file; and, when `server.transport` is
 * `http`, the API keys file and OAuth settings, every HTTP setting, the TLS
 * certificate and key (loaded), and the rule against listening beyond
 * loopback without authentication. What only running can tell (a port in
 * use, PCF being down) is not checked.
 * @param config the configuration, secrets resolved
 * @param[out] errors on PCFMCP_ERR_CONFIG, one line per problem, each naming
 *             where the value came from and the key; freed with pcfmcp_free()
 */
PCFMCP_API pcfmcp_error_t pcfmcp_server_check_config(const pcfmcp_config_t *config,
                                                     char **errors);

/**
 * The server's metrics registry (borrowed; NULL when `metrics.enabled` is
 * false), for hosts that serve or add metrics themselves.
 */
PCFMCP_API pcfmcp_metrics_t *pcfmcp_server_metrics(pcfmcp_server_t *server);

/**
 * Wires the server's hardening into a PCF client: request metrics through
 * its observer, the read cache, client spans, and the shared PCF
 * concurrency gate; its token expiry is exported as a metric. The client
 * must stay alive until pcfmcp_server_detach_pcf() or pcfmcp_server_free().
 * At most 64 clients.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_server_attach_pcf(pcfmcp_server_t *server, pcfmcp_pcf_t *pcf);

/** Undoes pcfmcp_server_attach_pcf(). PCFMCP_ERR_NOT_FOUND if @p pcf was not attached. */
PCFMCP_API pcfmcp_error_t pcfmcp_server_detach_pcf(pcfmcp_server_t *server, pcfmcp_pcf_t *pcf);

PCFMCP_END_DECLS

#endif /* PCFMCP_SERVER_H */
