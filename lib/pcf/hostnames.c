/* API v1 hostname routes (no edit or delete in API v1). */
#include "core/internal.h"

#include "pcf/impl.h"

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_hostnames_list(pcfmcp_pcf_t *pcf, const char *project_id,
                                                    pcfmcp_pcf_result_t **out)
{
    return pcfmcp__pcf_run_strs(pcf, PCFMCP__PCF_OP_HOSTNAMES_LIST, NULL, out, 1, "project_id",
                                project_id);
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_hostname_add(pcfmcp_pcf_t *pcf, const char *project_id,
                                                  const char *host_id, const char *hostname,
                                                  const char *body_json,
                                                  pcfmcp_pcf_result_t **out)
{
    return pcfmcp__pcf_run_strs(pcf, PCFMCP__PCF_OP_HOSTNAME_ADD, body_json, out, 3,
                                "project_id", project_id, "host_id", host_id, "hostname",
                                hostname);
}
