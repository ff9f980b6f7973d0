/* API v1 project routes. */
#include "core/internal.h"

#include "core/json.h"
#include "core/util.h"
#include "pcf/impl.h"

#define DEFAULT_PROJECT_DAYS 30

/* PCF HEAD does int(None) on a missing start_date, end_date or auto_archive
 * and answers 500, so the client always sends all three. */
pcfmcp_error_t pcfmcp__pcf_prep_project_create(pcf_call *c)
{
    bool ok = true;
    /* Whole seconds: PCF stores the dates as int(). */
    uint64_t now_s = pcfmcp__wall_ms() / 1000;
    double now = (double)now_s;
    const cJSON *start = cJSON_GetObjectItemCaseSensitive(c->body, "start_date");
    const cJSON *end = cJSON_GetObjectItemCaseSensitive(c->body, "end_date");
    if (start && !pcfmcp__json_is_integer(start))
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG,
                                "argument start_date must be Unix seconds");
    if (end && !pcfmcp__json_is_integer(end))
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG,
                                "argument end_date must be Unix seconds");
    double s = start ? start->valuedouble : now;
    if (!start)
        pcfmcp__pcf_put_num(c->body, "start_date", s, &ok);
    if (!end)
        pcfmcp__pcf_put_num(c->body, "end_date", s + DEFAULT_PROJECT_DAYS * 86400.0, &ok);
    if (!cJSON_GetObjectItemCaseSensitive(c->body, "auto_archive"))
        pcfmcp__pcf_put_bool(c->body, "auto_archive", false, &ok);
    if (!cJSON_GetObjectItemCaseSensitive(c->body, "type"))
        pcfmcp__pcf_put_str(c->body, "type", "pentest", &ok);
    return ok ? PCFMCP_OK : pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_projects_list(pcfmcp_pcf_t *pcf, pcfmcp_pcf_result_t **out)
{
    return pcfmcp__pcf_run_strs(pcf, PCFMCP__PCF_OP_PROJECTS_LIST, NULL, out, 0);
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_project_create(pcfmcp_pcf_t *pcf, const char *name,
                                                    const char *body_json,
                                                    pcfmcp_pcf_result_t **out)
{
    return pcfmcp__pcf_run_strs(pcf, PCFMCP__PCF_OP_PROJECT_CREATE, body_json, out, 1, "name",
                                name);
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_project_settings(pcfmcp_pcf_t *pcf, const char *project_id,
                                                      pcfmcp_pcf_result_t **out)
{
    return pcfmcp__pcf_run_strs(pcf, PCFMCP__PCF_OP_PROJECT_SETTINGS, NULL, out, 1,
                                "project_id", project_id);
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_project_update(pcfmcp_pcf_t *pcf, const char *project_id,
                                                    const char *body_json,
                                                    pcfmcp_pcf_result_t **out)
{
    return pcfmcp__pcf_run_strs(pcf, PCFMCP__PCF_OP_PROJECT_UPDATE, body_json, out, 1,
                                "project_id", project_id);
}
