/* Readiness of the server's PCF connection, for /readyz and the
 * pcf_mcp_pcf_up metric: PCF reachable and the credential accepted
 * (check_token), checked by a thread of its own every TTL while the server
 * serves, so neither a health probe nor a scrape ever waits on PCF, and the
 * answer does not depend on how often anyone asks. */
#ifndef PCFMCP_SERVER_READINESS_H
#define PCFMCP_SERVER_READINESS_H

#include <stddef.h>
#include <stdint.h>

#include <pcfmcp/log.h>
#include <pcfmcp/pcf.h>

typedef struct pcfmcp__readiness pcfmcp__readiness;

/* @p pcf may be NULL (no pcf.url): then never ready, and says why.
 * @p budget_ms is the longest one check may take (pcf.total_timeout). */
pcfmcp_error_t pcfmcp__readiness_new(pcfmcp__readiness **out, pcfmcp_pcf_t *pcf,
                                     pcfmcp_logger_t *log, uint64_t ttl_ms, uint64_t budget_ms);
/* Stops the checks (see pcfmcp__readiness_stop), then frees. */
void pcfmcp__readiness_free(pcfmcp__readiness *r);
/* Starts checking now and then every TTL; a no-op when already started or
 * without a client. */
pcfmcp_error_t pcfmcp__readiness_start(pcfmcp__readiness *r);
/* Cancels a check in flight and waits for the thread; start may follow. */
void pcfmcp__readiness_stop(pcfmcp__readiness *r);
/* 1 if the last check succeeded and is not overdue; otherwise 0 with the
 * reason in @p why. Never waits on PCF. */
int pcfmcp__readiness_check(pcfmcp__readiness *r, char *why, size_t why_len);
/* For metrics: @p up as check() would answer, when the last check ended
 * (Unix ms, 0 = none yet) and how many checks ended (may be NULL). */
void pcfmcp__readiness_status(pcfmcp__readiness *r, int *up, uint64_t *checked_at_wall_ms,
                              uint64_t *checks);

#endif
