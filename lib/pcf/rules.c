/* API v1 issue-rule routes and the spec file. */
#include "core/internal.h"

#include "core/util.h"
#include "pcf/impl.h"

/* PCF iterates rule_ids without a None check: send [] (= all) by default. */
pcfmcp_error_t pcfmcp__pcf_prep_rules(pcf_call *c)
{
    if (cJSON_GetObjectItemCaseSensitive(c->body, "rule_ids"))
        return PCFMCP_OK;
    return cJSON_AddArrayToObject(c->body, "rule_ids")
               ? PCFMCP_OK
               : pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_rules_list(pcfmcp_pcf_t *pcf, const char *body_json,
                                                pcfmcp_pcf_result_t **out)
{
    return pcfmcp__pcf_run_strs(pcf, PCFMCP__PCF_OP_RULES_LIST, body_json, out, 0);
}

static cJSON *uuid_array(const char *const *ids, size_t n, bool *ok, bool *bad)
{
    cJSON *arr = cJSON_CreateArray();
    if (!arr) {
        *ok = false;
        return NULL;
    }
    for (size_t i = 0; i < n; i++) {
        if (!ids[i] || !pcfmcp__uuid_valid(ids[i]))
            *bad = true;
        cJSON *s = cJSON_CreateString(ids[i] ? ids[i] : "");
        if (!s) {
            *ok = false;
            break;
        }
        cJSON_AddItemToArray(arr, s);
    }
    return arr;
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_rules_use(pcfmcp_pcf_t *pcf, const char *project_id,
                                               const char *const *rule_ids, size_t n_rules,
                                               const char *const *issue_ids, size_t n_issues,
                                               pcfmcp_pcf_result_t **out)
{
    if (!pcf || !out)
        return PCFMCP_ERR_INVALID_ARG;
    if ((n_rules && !rule_ids) || (n_issues && !issue_ids))
        return pcfmcp__pcf_early(out, PCFMCP_ERR_INVALID_ARG, "argument rule_ids or issue_ids is NULL");
    bool ok = true, bad_rule = false, bad_issue = false;
    cJSON *a = cJSON_CreateObject();
    if (!a)
        ok = false;
    pcfmcp__pcf_put_str(a, "project_id", project_id, &ok);
    cJSON *r = uuid_array(rule_ids, n_rules, &ok, &bad_rule);
    cJSON *i = uuid_array(issue_ids, n_issues, &ok, &bad_issue);
    if (a && r)
        cJSON_AddItemToObject(a, "rule_ids", r);
    else
        cJSON_Delete(r);
    if (a && i)
        cJSON_AddItemToObject(a, "issue_ids", i);
    else
        cJSON_Delete(i);
    if (!ok) {
        cJSON_Delete(a);
        a = NULL;
    } else if (bad_rule || bad_issue) {
        cJSON_Delete(a);
        return pcfmcp__pcf_early(out, PCFMCP_ERR_INVALID_ARG,
                                 bad_rule ? "argument rule_ids must hold UUIDs"
                                          : "argument issue_ids must hold UUIDs");
    }
    return pcfmcp__pcf_public(pcf, PCFMCP__PCF_OP_RULES_USE, a, NULL, out);
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_swagger(pcfmcp_pcf_t *pcf, pcfmcp_pcf_result_t **out)
{
    return pcfmcp__pcf_run_strs(pcf, PCFMCP__PCF_OP_SWAGGER, NULL, out, 0);
}
