/* API v1 team routes (teams themselves are created in the web UI only). */
#include "core/internal.h"

#include "pcf/impl.h"

#define TEAM_CALL(name, OP)                                                                    \
    PCFMCP_API pcfmcp_error_t pcfmcp_pcf_##name(pcfmcp_pcf_t *pcf, const char *team_id,       \
                                               pcfmcp_pcf_result_t **out)                      \
    {                                                                                          \
        return pcfmcp__pcf_run_strs(pcf, PCFMCP__PCF_OP_##OP, NULL, out, 1, "team_id",         \
                                    team_id);                                                  \
    }

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_teams_list(pcfmcp_pcf_t *pcf, pcfmcp_pcf_result_t **out)
{
    return pcfmcp__pcf_run_strs(pcf, PCFMCP__PCF_OP_TEAMS_LIST, NULL, out, 0);
}

TEAM_CALL(team_info, TEAM_INFO)
TEAM_CALL(team_users, TEAM_USERS)
TEAM_CALL(team_projects, TEAM_PROJECTS)

/* Negative limit/offset mean "PCF's default": drop them rather than send a
 * value PCF's validator refuses. */
pcfmcp_error_t pcfmcp__pcf_prep_team_logs(pcf_call *c)
{
    static const char *const keys[] = { "limit", "offset" };
    for (size_t i = 0; i < PCFMCP_ARRAY_LEN(keys); i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(c->body, keys[i]);
        if (cJSON_IsNumber(v) && v->valuedouble < 0)
            cJSON_DeleteItemFromObjectCaseSensitive(c->body, keys[i]);
    }
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_team_logs(pcfmcp_pcf_t *pcf, const char *team_id,
                                               long limit, long offset,
                                               pcfmcp_pcf_result_t **out)
{
    cJSON *a = cJSON_CreateObject();
    bool ok = a != NULL;
    pcfmcp__pcf_put_str(a, "team_id", team_id, &ok);
    if (limit >= 0)
        pcfmcp__pcf_put_num(a, "limit", (double)limit, &ok);
    if (offset >= 0)
        pcfmcp__pcf_put_num(a, "offset", (double)offset, &ok);
    if (!ok) {
        cJSON_Delete(a);
        a = NULL;
    }
    return pcfmcp__pcf_public(pcf, PCFMCP__PCF_OP_TEAM_LOGS, a, NULL, out);
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_team_update(pcfmcp_pcf_t *pcf, const char *team_id,
                                                 const char *body_json,
                                                 pcfmcp_pcf_result_t **out)
{
    return pcfmcp__pcf_run_strs(pcf, PCFMCP__PCF_OP_TEAM_UPDATE, body_json, out, 1, "team_id",
                                team_id);
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_team_user_add(pcfmcp_pcf_t *pcf, const char *team_id,
                                                   const char *email, int is_admin,
                                                   pcfmcp_pcf_result_t **out)
{
    cJSON *a = cJSON_CreateObject();
    bool ok = a != NULL;
    pcfmcp__pcf_put_str(a, "team_id", team_id, &ok);
    pcfmcp__pcf_put_str(a, "email", email, &ok);
    pcfmcp__pcf_put_bool(a, "is_admin", is_admin != 0, &ok);
    if (!ok) {
        cJSON_Delete(a);
        a = NULL;
    }
    return pcfmcp__pcf_public(pcf, PCFMCP__PCF_OP_TEAM_USER_ADD, a, NULL, out);
}

#define TEAM_USER_CALL(name, OP)                                                               \
    PCFMCP_API pcfmcp_error_t pcfmcp_pcf_##name(pcfmcp_pcf_t *pcf, const char *team_id,       \
                                               const char *user_id, pcfmcp_pcf_result_t **out) \
    {                                                                                          \
        return pcfmcp__pcf_run_strs(pcf, PCFMCP__PCF_OP_##OP, NULL, out, 2, "team_id",         \
                                    team_id, "user_id", user_id);                              \
    }

TEAM_USER_CALL(team_user_set_admin, TEAM_USER_SET_ADMIN)
TEAM_USER_CALL(team_user_devote, TEAM_USER_DEVOTE)
TEAM_USER_CALL(team_user_delete, TEAM_USER_DELETE)
