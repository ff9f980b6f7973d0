/* Audit records only the server writes: requests the HTTP transport
 * refused before they became JSON-RPC requests (no session, no request id),
 * and reads of client data through resources and prompts. */
#ifndef PCFMCP_HARDENING_AUDIT_INTERNAL_H
#define PCFMCP_HARDENING_AUDIT_INTERNAL_H

#include <pcfmcp/sys/audit.h>

#include "core/internal.h"

/* One "refusal" record with outcome "refused", the HTTP @p status, @p reason
 * as detail, @p identity ("anonymous" when NULL or empty: the caller was not
 * authenticated), @p client_address and the HTTP @p method as the tool. */
pcfmcp_error_t pcfmcp__audit_http_refusal(pcfmcp_audit_t *a, unsigned status, const char *reason,
                                          const char *identity, const char *client_address,
                                          const char *method);

/* A read of client data that is not a tool call: @p event "resource_read"
 * or "prompt_get", naming what was read under @p subject_key ("resource",
 * "prompt"), with @p args_json (prompt arguments; NULL for none) handled
 * as a tool call's (targets, args_hmac). Otherwise as pcfmcp_audit_record. */
pcfmcp_error_t pcfmcp__audit_read(pcfmcp_audit_t *a, const char *event, const char *identity,
                                  const char *pcf_user, const char *session,
                                  const char *request_id, const char *trace_id,
                                  const char *subject_key, const char *subject,
                                  const char *args_json, const char *outcome, double duration);

#endif /* PCFMCP_HARDENING_AUDIT_INTERNAL_H */
