/* API v1 host routes. */
#include "core/internal.h"

#include "pcf/impl.h"

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_hosts_list(pcfmcp_pcf_t *pcf, const char *project_id,
                                                pcfmcp_pcf_result_t **out)
{
    return pcfmcp__pcf_run_strs(pcf, PCFMCP__PCF_OP_HOSTS_LIST, NULL, out, 1, "project_id",
                                project_id);
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_host_info(pcfmcp_pcf_t *pcf, const char *project_id,
                                               const char *host_id, pcfmcp_pcf_result_t **out)
{
    return pcfmcp__pcf_run_strs(pcf, PCFMCP__PCF_OP_HOST_INFO, NULL, out, 2, "project_id",
                                project_id, "host_id", host_id);
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_host_create(pcfmcp_pcf_t *pcf, const char *project_id,
                                                 const char *ip, const char *body_json,
                                                 pcfmcp_pcf_result_t **out)
{
    return pcfmcp__pcf_run_strs(pcf, PCFMCP__PCF_OP_HOST_CREATE, body_json, out, 2,
                                "project_id", project_id, "ip", ip);
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_host_update(pcfmcp_pcf_t *pcf, const char *project_id,
                                                 const char *host_id, const char *body_json,
                                                 pcfmcp_pcf_result_t **out)
{
    return pcfmcp__pcf_run_strs(pcf, PCFMCP__PCF_OP_HOST_UPDATE, body_json, out, 2,
                                "project_id", project_id, "host_id", host_id);
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_host_delete(pcfmcp_pcf_t *pcf, const char *project_id,
                                                 const char *host_id, pcfmcp_pcf_result_t **out)
{
    return pcfmcp__pcf_run_strs(pcf, PCFMCP__PCF_OP_HOST_DELETE, NULL, out, 2, "project_id",
                                project_id, "host_id", host_id);
}
