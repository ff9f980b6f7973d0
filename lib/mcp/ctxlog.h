/* Request-scoped log fields for code that runs inside a handler (engine,
 * tools): every line about a request carries its request id, session,
 * identity and trace id. */
#ifndef PCFMCP_MCP_CTXLOG_H
#define PCFMCP_MCP_CTXLOG_H

#include <pcfmcp/engine.h>

#include "core/log.h"

/* Fills @p f from @p ctx (NULL ctx gives empty fields); the trace id is
 * copied into @p trace_buf, which must hold 33 bytes. */
void pcfmcp__ctx_log_fields(const pcfmcp_ctx_t *ctx, pcfmcp__log_fields *f, char trace_buf[33]);

/* When the request arrived (pcfmcp__now_ms() clock), before any wait for a
 * worker; 0 for a NULL ctx. */
uint64_t pcfmcp__ctx_received_ms(const pcfmcp_ctx_t *ctx);

#endif
