/* API v1 network routes. */
#include "core/internal.h"

#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "pcf/impl.h"

/* A name PCF's int() keeps as it is: a canonical integer (no sign but a
 * minus, no leading zero, no "-0") that fits SQLite's 64-bit INTEGER.
 * "007" would be stored as "7", and a 20-digit number makes the insert
 * fail, which leaves PCF HEAD's database locked (every later request hangs). */
static bool integer_string(const char *s)
{
    bool neg = *s == '-';
    if (neg)
        s++;
    size_t n = strlen(s);
    if (n == 0 || n > 18 || (s[0] == '0' && (n > 1 || neg)))
        return false;
    for (; *s; s++)
        if (*s < '0' || *s > '9')
            return false;
    return true;
}

/* PCF HEAD does int(name) in network/create (500 for anything else), while
 * network/<id>/edit takes any name: create with "0", then rename, unless
 * int() keeps the name as it is (integer_string). */
pcfmcp_error_t pcfmcp__pcf_run_network_create(pcf_call *c)
{
    const cJSON *mask = cJSON_GetObjectItemCaseSensitive(c->body, "mask");
    if (!pcfmcp__json_is_integer(mask) || mask->valuedouble < 0 || mask->valuedouble > 128)
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG,
                                "argument mask must be an integer 0..128");
    const cJSON *name = cJSON_GetObjectItemCaseSensitive(c->body, "name");
    char *want = NULL;
    if (name && !cJSON_IsNull(name)) {
        if (!cJSON_IsString(name))
            return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG,
                                    "argument name must be a string");
        if (!integer_string(name->valuestring) &&
            !(want = pcfmcp__strdup(name->valuestring)))
            return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
    }
    bool ok = true;
    if (want || !name || cJSON_IsNull(name))
        pcfmcp__pcf_put_str(c->body, "name", "0", &ok);
    if (!ok) {
        pcfmcp__free(want);
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
    }
    pcfmcp_error_t rc = pcfmcp__pcf_api_exec(c);
    if (rc != PCFMCP_OK || !want) {
        pcfmcp__free(want);
        return rc;
    }
    const char *nid = pcfmcp__json_str(c->res->parsed, "network_id");
    cJSON *args = cJSON_CreateObject();
    pcfmcp__pcf_put_str(args, "project_id", pcfmcp__pcf_id(c, "project_id"), &ok);
    pcfmcp__pcf_put_str(args, "network_id", nid, &ok);
    pcfmcp__pcf_put_str(args, "name", want, &ok);
    pcfmcp__free(want);
    if (!args || !ok || !nid) {
        cJSON_Delete(args);
        return pcfmcp__pcf_fail(c->res, nid ? PCFMCP_ERR_NOMEM : PCFMCP_ERR_BAD_RESPONSE,
                                nid ? "out of memory" : "PCF's network/create answer has no "
                                                        "network_id");
    }
    pcfmcp_pcf_result_t *sub = NULL;
    rc = pcfmcp__pcf_subcall(c, PCFMCP__PCF_OP_NETWORK_UPDATE, args, &sub);
    cJSON_Delete(args);
    if (rc != PCFMCP_OK && sub) {
        c->res->status = sub->status;
        pcfmcp__free(c->res->pcf_errors);
        c->res->pcf_errors = sub->pcf_errors;
        sub->pcf_errors = NULL;
        pcfmcp__pcf_fail(c->res, rc, "network %s was created, but naming it failed: %s", nid,
                         pcfmcp_pcf_result_message(sub));
    }
    pcfmcp_pcf_result_free(sub);
    return c->res->err;
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_networks_list(pcfmcp_pcf_t *pcf, const char *project_id,
                                                   pcfmcp_pcf_result_t **out)
{
    return pcfmcp__pcf_run_strs(pcf, PCFMCP__PCF_OP_NETWORKS_LIST, NULL, out, 1, "project_id",
                                project_id);
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_network_info(pcfmcp_pcf_t *pcf, const char *project_id,
                                                  const char *network_id,
                                                  pcfmcp_pcf_result_t **out)
{
    return pcfmcp__pcf_run_strs(pcf, PCFMCP__PCF_OP_NETWORK_INFO, NULL, out, 2, "project_id",
                                project_id, "network_id", network_id);
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_network_create(pcfmcp_pcf_t *pcf, const char *project_id,
                                                    const char *ip, int mask,
                                                    const char *body_json,
                                                    pcfmcp_pcf_result_t **out)
{
    cJSON *a = cJSON_CreateObject();
    bool ok = a != NULL;
    pcfmcp__pcf_put_str(a, "project_id", project_id, &ok);
    pcfmcp__pcf_put_str(a, "ip", ip, &ok);
    pcfmcp__pcf_put_num(a, "mask", mask, &ok);
    if (!ok) {
        cJSON_Delete(a);
        a = NULL;
    }
    return pcfmcp__pcf_public(pcf, PCFMCP__PCF_OP_NETWORK_CREATE, a, body_json, out);
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_network_update(pcfmcp_pcf_t *pcf, const char *project_id,
                                                    const char *network_id,
                                                    const char *body_json,
                                                    pcfmcp_pcf_result_t **out)
{
    return pcfmcp__pcf_run_strs(pcf, PCFMCP__PCF_OP_NETWORK_UPDATE, body_json, out, 2,
                                "project_id", project_id, "network_id", network_id);
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_network_delete(pcfmcp_pcf_t *pcf, const char *project_id,
                                                    const char *network_id,
                                                    pcfmcp_pcf_result_t **out)
{
    return pcfmcp__pcf_run_strs(pcf, PCFMCP__PCF_OP_NETWORK_DELETE, NULL, out, 2, "project_id",
                                project_id, "network_id", network_id);
}
