/* Internal logging entry points: printf-style messages plus the structured
 * fields every line may carry. The public header is <pcfmcp/log.h>. */
#ifndef PCFMCP_HARDENING_LOG_H
#define PCFMCP_HARDENING_LOG_H

#include <pcfmcp/log.h>

#include "core/internal.h"

typedef struct {
    const char *request_id;
    const char *session;
    const char *identity;
    const char *trace_id;
    /* Extra members as key/value string pairs: kv[0]=key, kv[1]=value, ... */
    const char *const *kv;
    size_t nkv; /* number of strings in kv (2 per member) */
    /* Or a JSON object whose members are merged verbatim (NULL if none). */
    const char *extra_json;
} pcfmcp__log_fields;

void pcfmcp__log(pcfmcp_logger_t *lg, pcfmcp_log_level_t level, const char *component,
                 const pcfmcp__log_fields *fields, const char *fmt, ...) PCFMCP_PRINTF(5, 6);

/* Level check first so disabled lines cost one atomic load. */
#define PCFMCP_LOG(lg, lvl, comp, ...)                                              \
    do {                                                                            \
        if (pcfmcp_logger_enabled((lg), (lvl)))                                     \
            pcfmcp__log((lg), (lvl), (comp), NULL, __VA_ARGS__);                    \
    } while (0)
#define PCFMCP_LOGF(lg, lvl, comp, fields, ...)                                     \
    do {                                                                            \
        if (pcfmcp_logger_enabled((lg), (lvl)))                                     \
            pcfmcp__log((lg), (lvl), (comp), (fields), __VA_ARGS__);                \
    } while (0)

#endif
