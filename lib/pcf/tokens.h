/* Token life cycle shared by the call path: one current token per client,
 * created from email + password when needed and replaced once per call when
 * PCF reports it expired. */
#ifndef PCFMCP_PCF_TOKENS_H
#define PCFMCP_PCF_TOKENS_H

#include "pcf/impl.h"

/* A copy of the current token (free with pcfmcp__secure_free) and its
 * generation, creating one first when only email + password are known. On
 * failure the result of @p c is set. */
pcfmcp_error_t pcfmcp__pcf_token_get(pcf_call *c, char **token, unsigned *gen);
/* Disables the token the client created itself, if any (pcfmcp_pcf_free). */
void pcfmcp__pcf_token_release(pcfmcp_pcf_t *pcf);
/* Marks the token of generation @p gen unusable (a newer one is kept). */
void pcfmcp__pcf_token_invalidate(pcfmcp_pcf_t *pcf, unsigned gen);

#endif
