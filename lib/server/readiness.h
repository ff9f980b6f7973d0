/* Readiness of the server's PCF connection, for /readyz: PCF reachable and
 * the credential accepted (check_token), probed in the background and
 * cached, so a health probe never waits on PCF. */
#ifndef PCFMCP_SERVER_READINESS_H
#define PCFMCP_SERVER_READINESS_H

#include <stddef.h>
#include <stdint.h>

#include <pcfmcp/log.h>
#include <pcfmcp/pcf.h>

typedef struct pcfmcp__readiness pcfmcp__readiness;

/* @p pcf may be NULL (no pcf.url): then never ready, and says why. */
pcfmcp_error_t pcfmcp__readiness_new(pcfmcp__readiness **out, pcfmcp_pcf_t *pcf,
                                     pcfmcp_logger_t *log, uint64_t ttl_ms);
/* Waits for a probe still running, then frees. */
void pcfmcp__readiness_free(pcfmcp__readiness *r);
/* 1 if the last probe succeeded within the TTL; otherwise 0 with the reason
 * in @p why. Starts a new probe when the last one is older than the TTL. */
int pcfmcp__readiness_check(pcfmcp__readiness *r, char *why, size_t why_len);

#endif
