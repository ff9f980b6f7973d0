/* API v1 user routes. */
#include "core/internal.h"

#include "pcf/impl.h"

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_user_me(pcfmcp_pcf_t *pcf, pcfmcp_pcf_result_t **out)
{
    return pcfmcp__pcf_run_strs(pcf, PCFMCP__PCF_OP_USER_ME, NULL, out, 0);
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_user_info(pcfmcp_pcf_t *pcf, const char *user_id,
                                               pcfmcp_pcf_result_t **out)
{
    return pcfmcp__pcf_run_strs(pcf, PCFMCP__PCF_OP_USER_INFO, NULL, out, 1, "user_id", user_id);
}
