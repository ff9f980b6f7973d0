/**
 * @file stdio.h
 * @brief The stdio transport: newline-delimited JSON-RPC over two file
 *        descriptors, one MCP session.
 *
 * Input is read in chunks and split on newlines, so partial reads and very
 * long messages work; a line longer than the configured cap is answered with
 * a JSON-RPC error and skipped without buffering it. Output carries nothing
 * but protocol messages, one per line, written whole under a lock.
 *
 * The engine should have worker threads (pcfmcp_engine_set_threads()):
 * requests then run while the reader keeps reading, which is what lets a
 * client cancel them or answer a handler's sampling/elicitation request.
 *
 * Writing to a closed pipe raises SIGPIPE; hosts should ignore that signal
 * (the transport then sees EPIPE and ends the session).
 */
#ifndef PCFMCP_STDIO_H
#define PCFMCP_STDIO_H

#include <pcfmcp/common.h>
#include <pcfmcp/engine.h>
#include <pcfmcp/log.h>

PCFMCP_BEGIN_DECLS

/** A stdio transport bound to one engine. Opaque. */
typedef struct pcfmcp_stdio pcfmcp_stdio_t;

/**
 * Creates a transport reading @p in_fd and writing @p out_fd (borrowed; not
 * closed by the transport). @p engine must outlive it.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_stdio_new(pcfmcp_stdio_t **out, pcfmcp_engine_t *engine,
                                           int in_fd, int out_fd);

/** Frees @p stdio. Must not be running. NULL does nothing. */
PCFMCP_API void pcfmcp_stdio_free(pcfmcp_stdio_t *stdio);

/** Longest accepted message in bytes (default 16 MiB, minimum 1 KiB). */
PCFMCP_API pcfmcp_error_t pcfmcp_stdio_set_max_line(pcfmcp_stdio_t *stdio, size_t bytes);

/** Logs through @p logger (a reference is taken). */
PCFMCP_API pcfmcp_error_t pcfmcp_stdio_set_logger(pcfmcp_stdio_t *stdio, pcfmcp_logger_t *logger);

/** The identity handlers see for this session (e.g. the local user name). Copied. */
PCFMCP_API pcfmcp_error_t pcfmcp_stdio_set_identity(pcfmcp_stdio_t *stdio, const char *identity);

/**
 * How long, after input ends or pcfmcp_stdio_stop(), requests still running
 * may take to finish before they are cancelled (default 10000 ms).
 */
PCFMCP_API pcfmcp_error_t pcfmcp_stdio_set_grace(pcfmcp_stdio_t *stdio, unsigned grace_ms);

/**
 * Serves the session until end of input, a write failure on output, or
 * pcfmcp_stdio_stop(); then lets running requests finish within the grace
 * period, cancels the rest, and returns.
 *
 * @return PCFMCP_OK on end of input or stop; PCFMCP_ERR_IO if reading failed
 *         or the output broke; PCFMCP_ERR_TIMEOUT if requests had to be
 *         cancelled at the end of the grace period.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_stdio_run(pcfmcp_stdio_t *stdio);

/**
 * Asks a running pcfmcp_stdio_run() to return. Async-signal-safe: may be
 * called from a signal handler or any thread.
 */
PCFMCP_API void pcfmcp_stdio_stop(pcfmcp_stdio_t *stdio);

PCFMCP_END_DECLS

#endif /* PCFMCP_STDIO_H */
