/* Network paths (how a host or network reaches another): read from the JSON
 * export, written with the networks page's forms, which answer with the
 * whole page (errors in its error block) or a redirect and never the id. */
#include "core/internal.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "core/util.h"
#include "pcf/workspace.h"

static bool one_of(const char *v, const char *a, const char *b, const char *c3)
{
    return v && (strcmp(v, a) == 0 || strcmp(v, b) == 0 || (c3 && strcmp(v, c3) == 0));
}

pcfmcp_error_t pcfmcp__pcf_run_paths_list(pcf_call *c)
{
    return pcfmcp__ws_export_member(c, "paths");
}

/* The path between the same two ends, as PCF's duplicate check sees it. */
static const char *same_ends(const cJSON *paths, const char *ho, const char *no, const char *hi,
                             const char *ni)
{
    const cJSON *p;
    cJSON_ArrayForEach(p, paths) {
        const char *a = pcfmcp__json_str(p, "host_out"), *b = pcfmcp__json_str(p, "network_out"),
                   *x = pcfmcp__json_str(p, "host_in"), *y = pcfmcp__json_str(p, "network_in");
        if (a && b && x && y && strcmp(a, ho) == 0 && strcmp(b, no) == 0 && strcmp(x, hi) == 0 &&
            strcmp(y, ni) == 0)
            return p->string;
    }
    return NULL;
}

pcfmcp_error_t pcfmcp__pcf_run_path_add(pcf_call *c)
{
    const char *ft = pcfmcp__json_str(c->body, "from_type");
    const char *tt = pcfmcp__json_str(c->body, "to_type");
    const char *fid = pcfmcp__json_str(c->body, "from_id");
    const char *tid = pcfmcp__json_str(c->body, "to_id");
    const char *type = pcfmcp__json_str(c->body, "type");
    const char *dir = pcfmcp__json_str(c->body, "direction");
    const char *desc = pcfmcp__json_str(c->body, "description");
    if (!one_of(ft, "host", "network", NULL) || !one_of(tt, "host", "network", NULL))
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG,
                                "arguments from_type and to_type must be host or network");
    if (type && !one_of(type, "connection", "attack", NULL))
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG,
                                "argument type must be connection or attack");
    if (dir && !one_of(dir, "forward", "backward", "two_side"))
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG,
                                "argument direction must be forward, backward or two_side");
    if (strcmp(fid, tid) == 0)
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG,
                                "a path needs two different ends");
    ws_op op = { 0 };
    pcfmcp_error_t rc = pcfmcp__ws_op_begin(c, &op);
    if (rc != PCFMCP_OK)
        goto out;
    pcfmcp__pcf_form_add(&op.f, "out_id", fid);
    pcfmcp__pcf_form_add(&op.f, "type_out", ft);
    pcfmcp__pcf_form_add(&op.f, "in_id", tid);
    pcfmcp__pcf_form_add(&op.f, "type_in", tt);
    pcfmcp__pcf_form_add(&op.f, "description", desc ? desc : "");
    pcfmcp__pcf_form_add(&op.f, "type", type ? type : "connection");
    pcfmcp__pcf_form_add(&op.f, "direction", dir ? dir : "forward");
    if ((rc = pcfmcp__ws_export_part(c, "paths", &op.before)) != PCFMCP_OK)
        goto out;
    if ((rc = pcfmcp__ws_submit(c, "ui_path_add", "/networks/add_path", &op.f, "the new path",
                                &op.resp)) != PCFMCP_OK)
        goto out;
    if ((rc = pcfmcp__ws_export_part(c, "paths", &op.after)) != PCFMCP_OK)
        goto out;
    bool hf = strcmp(ft, "host") == 0, ht = strcmp(tt, "host") == 0;
    const char *pid =
        same_ends(op.after, hf ? fid : "", hf ? "" : fid, ht ? tid : "", ht ? "" : tid);
    if (!pid) {
        rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_BAD_RESPONSE,
                              "PCF accepted the path, but it is not in the project on re-reading");
        goto out;
    }
    cJSON *doc = cJSON_CreateObject();
    if (doc) {
        cJSON_AddStringToObject(doc, "path_id", pid);
        /* PCF updates the path between the same ends instead of adding one. */
        cJSON_AddBoolToObject(doc, "replaced_existing",
                              cJSON_GetObjectItemCaseSensitive(op.before, pid) != NULL);
    }
    rc = pcfmcp__ws_succeed(c, doc);
out:
    pcfmcp__ws_op_end(c, &op);
    return rc;
}

pcfmcp_error_t pcfmcp__pcf_run_path_delete(pcf_call *c)
{
    const char *pid = pcfmcp__json_str(c->body, "path_id");
    ws_op op = { 0 };
    pcfmcp_error_t rc = pcfmcp__ws_op_begin(c, &op);
    if (rc != PCFMCP_OK)
        goto out;
    pcfmcp__pcf_form_add(&op.f, "path_id", pid);
    if ((rc = pcfmcp__ws_export_part(c, "paths", &op.before)) != PCFMCP_OK)
        goto out;
    /* PCF redirects the same way whether or not the path exists. */
    if (!cJSON_GetObjectItemCaseSensitive(op.before, pid)) {
        rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOT_FOUND, "no path %s in this project", pid);
        goto out;
    }
    if ((rc = pcfmcp__ws_request(c, "ui_path_delete", true, "/networks/delete_path", &op.f, NULL,
                                 &op.resp)) != PCFMCP_OK)
        goto out;
    if (op.resp.status != 302) {
        rc = pcfmcp__pcf_ui_unexpected(c, &op.resp, "the path delete");
        goto out;
    }
    if ((rc = pcfmcp__ws_export_part(c, "paths", &op.after)) != PCFMCP_OK)
        goto out;
    if (cJSON_GetObjectItemCaseSensitive(op.after, pid)) {
        rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_BAD_RESPONSE,
                              "PCF answered the delete but the path is still there");
        goto out;
    }
    rc = pcfmcp__pcf_ok_with_id(c, "deleted", pid);
out:
    pcfmcp__ws_op_end(c, &op);
    return rc;
}
