/* API v1 port routes. */
#include "core/internal.h"

#include "core/json.h"
#include "core/util.h"
#include "pcf/impl.h"

pcfmcp_error_t pcfmcp__pcf_prep_port_create(pcf_call *c)
{
    const cJSON *port = cJSON_GetObjectItemCaseSensitive(c->body, "port");
    if (!pcfmcp__json_is_integer(port) || port->valuedouble < 1 || port->valuedouble > 65535)
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG,
                                "argument port must be an integer 1..65535");
    const char *host = pcfmcp__json_str(c->body, "host_id");
    if (!host || !pcfmcp__uuid_valid(host))
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG,
                                "argument host_id must be a UUID");
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_port_create(pcfmcp_pcf_t *pcf, const char *project_id,
                                                 const char *host_id, int port, int is_tcp,
                                                 const char *body_json,
                                                 pcfmcp_pcf_result_t **out)
{
    cJSON *a = cJSON_CreateObject();
    bool ok = a != NULL;
    pcfmcp__pcf_put_str(a, "project_id", project_id, &ok);
    pcfmcp__pcf_put_str(a, "host_id", host_id, &ok);
    pcfmcp__pcf_put_num(a, "port", port, &ok);
    pcfmcp__pcf_put_bool(a, "is_tcp", is_tcp != 0, &ok);
    if (!ok) {
        cJSON_Delete(a);
        a = NULL;
    }
    return pcfmcp__pcf_public(pcf, PCFMCP__PCF_OP_PORT_CREATE, a, body_json, out);
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_port_info(pcfmcp_pcf_t *pcf, const char *project_id,
                                               const char *port_id, pcfmcp_pcf_result_t **out)
{
    return pcfmcp__pcf_run_strs(pcf, PCFMCP__PCF_OP_PORT_INFO, NULL, out, 2, "project_id",
                                project_id, "port_id", port_id);
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_port_update(pcfmcp_pcf_t *pcf, const char *project_id,
                                                 const char *port_id, const char *body_json,
                                                 pcfmcp_pcf_result_t **out)
{
    return pcfmcp__pcf_run_strs(pcf, PCFMCP__PCF_OP_PORT_UPDATE, body_json, out, 2,
                                "project_id", project_id, "port_id", port_id);
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_port_delete(pcfmcp_pcf_t *pcf, const char *project_id,
                                                 const char *port_id, pcfmcp_pcf_result_t **out)
{
    return pcfmcp__pcf_run_strs(pcf, PCFMCP__PCF_OP_PORT_DELETE, NULL, out, 2, "project_id",
                                project_id, "port_id", port_id);
}
