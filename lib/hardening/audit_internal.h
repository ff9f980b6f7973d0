/* Audit records only the server writes: requests the HTTP transport
 * refused before they became JSON-RPC requests (no session, no request id). */
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

#endif /* PCFMCP_HARDENING_AUDIT_INTERNAL_H */
