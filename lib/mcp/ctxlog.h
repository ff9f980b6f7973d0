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

#endif
