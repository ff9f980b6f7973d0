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

PCFMCP_BEGIN_DECLS

/** A pcf-mcp server. Opaque. */
typedef struct pcfmcp_server pcfmcp_server_t;

/**
 * Builds a server from @p config (copied; secrets already resolved with
 * pcfmcp_config_resolve_secrets()). Nothing is contacted yet: a PCF that is
 * down or credentials that are wrong do not stop the server from starting.
 *
 * @param[out] out the server; on PCFMCP_ERR_CONFIG, *out is still set so that
 *             pcfmcp_server_errmsg() can say why, and must be freed.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_server_new(pcfmcp_server_t **out, const pcfmcp_config_t *config);

/** Frees @p server; it must not be running. NULL does nothing. */
PCFMCP_API void pcfmcp_server_free(pcfmcp_server_t *server);

/** Why the last failing call on @p server failed. Never NULL. */
PCFMCP_API const char *pcfmcp_server_errmsg(const pcfmcp_server_t *server);

/** The server's logger (borrowed; take a reference to keep it). */
PCFMCP_API pcfmcp_logger_t *pcfmcp_server_logger(pcfmcp_server_t *server);

/** The server's engine (borrowed), for hosts that register their own tools. */
PCFMCP_API pcfmcp_engine_t *pcfmcp_server_engine(pcfmcp_server_t *server);

/**
 * Serves the configured transport until it ends (stdio: end of input) or
 * pcfmcp_server_stop() is called, then drains in-flight requests.
 * @return PCFMCP_OK after a clean drain; PCFMCP_ERR_TIMEOUT if requests had to
 *         be cancelled; other codes when the transport could not start.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_server_run(pcfmcp_server_t *server);

/** Asks pcfmcp_server_run() to drain and return. Async-signal-safe. */
PCFMCP_API void pcfmcp_server_stop(pcfmcp_server_t *server);

/**
 * Applies the run-time changeable settings of @p config (log level, API
 * keys, TLS certificates, rate limits) atomically: all or nothing. The log
 * says what changed, or why the reload was refused.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_server_reload(pcfmcp_server_t *server,
                                               const pcfmcp_config_t *config);

PCFMCP_END_DECLS

#endif /* PCFMCP_SERVER_H */
