/* Issues: API v1 reads; writes through the channel chosen for
 * "issues_write" / "issues_delete" (web UI by default for create and update,
 * because API v1 issues/create hangs PCF HEAD and issues/<id>/edit fails). */
#include "core/internal.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "core/util.h"
#include "pcf/impl.h"

/* API v1 field name -> web form field name. */
static const struct {
    const char *api, *form;
} text_fields[] = {
    { "name", "name" },
    { "description", "description" },
    { "url_path", "url" },
    { "cve", "cve" },
    { "status", "status" },
    { "fix", "fix" },
    { "param", "param" },
    { "technical", "technical" },
    { "risks", "risks" },
    { "references", "references" },
    { "intruder", "intruder" },
    { "cvss_vector", "cvss_vector" },
    { "cvss_graph", "cvss_graph" },
    { "impact", "impact" },
    { "exploitability", "exploitability" },
    { "risk", "risk" },
    { "type", "issue_type" },
};

/* The text of a scalar as a form wants it; false for other types. */
static bool scalar_text(const cJSON *v, char *buf, size_t n, const char **out)
{
    if (cJSON_IsString(v)) {
        *out = v->valuestring;
        return true;
    }
    if (cJSON_IsBool(v)) {
        *out = cJSON_IsTrue(v) ? "1" : "0";
        return true;
    }
    if (cJSON_IsNumber(v)) {
        if (pcfmcp__json_is_integer(v))
            snprintf(buf, n, "%.0f", v->valuedouble);
        else
            snprintf(buf, n, "%.15g", v->valuedouble);
        *out = buf;
        return true;
    }
    return false;
}

static pcfmcp_error_t add_scalar(pcf_call *c, pcf_form *f, const cJSON *src, const char *api,
                                 const char *form)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(src, api);
    if (!v || cJSON_IsNull(v))
        return PCFMCP_OK;
    char buf[64];
    const char *text;
    if (!scalar_text(v, buf, sizeof(buf), &text))
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG,
                                "argument %s must be a string or number", api);
    /* PCF reads an empty cvss as "not a float" and refuses the form. */
    if ((strcmp(api, "cvss") == 0 || strcmp(api, "cwe") == 0 || strcmp(api, "criticality") == 0) &&
        text[0] == '\0')
        return PCFMCP_OK;
    pcfmcp__pcf_form_add(f, form, text);
    return PCFMCP_OK;
}

static pcfmcp_error_t issue_form(pcf_call *c, pcf_form *f, const cJSON *src, bool with_cwe)
{
    pcfmcp_error_t rc = PCFMCP_OK;
    for (size_t i = 0; i < PCFMCP_ARRAY_LEN(text_fields) && !rc; i++)
        rc = add_scalar(c, f, src, text_fields[i].api, text_fields[i].form);
    if (!rc)
        rc = add_scalar(c, f, src, "cvss", "cvss");
    if (!rc)
        rc = add_scalar(c, f, src, "criticality", "criticality");
    if (!rc && with_cwe)
        rc = add_scalar(c, f, src, "cwe", "cwe");
    if (!rc)
        rc = pcfmcp__pcf_form_services(c, f, cJSON_GetObjectItemCaseSensitive(src, "services"));
    return rc;
}

/* Custom fields as parallel additional_field_* keys; file fields cannot be
 * set this way and are left alone (PCF keeps them). */
static pcfmcp_error_t custom_fields(pcf_call *c, pcf_form *f, const cJSON *fields)
{
    if (!fields || cJSON_IsNull(fields))
        return PCFMCP_OK;
    if (!cJSON_IsObject(fields))
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG,
                                "argument fields must be an object {name: {type, value}}");
    const cJSON *fld;
    cJSON_ArrayForEach(fld, fields) {
        const char *type = pcfmcp__json_str(fld, "type");
        const cJSON *value = cJSON_GetObjectItemCaseSensitive(fld, "value");
        char buf[64];
        const char *text;
        if (!type || !scalar_text(value, buf, sizeof(buf), &text))
            return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG,
                                    "argument fields: each field needs a type and a value");
        if (strcmp(type, "file") == 0)
            continue;
        pcfmcp__pcf_form_add(f, "additional_field_name", fld->string);
        pcfmcp__pcf_form_add(f, "additional_field_type", type);
        pcfmcp__pcf_form_add(f, "additional_field_value", text);
    }
    return PCFMCP_OK;
}

static char *issue_path(pcf_call *c, const char *iid, const char *rest)
{
    char tail[128];
    snprintf(tail, sizeof(tail), "/issue/%s/%s", iid, rest);
    return pcfmcp__pcf_project_path(pcfmcp__pcf_id(c, "project_id"), tail);
}

/* POSTs an issue edit form; success is a page without PCF's error block. */
static pcfmcp_error_t post_edit(pcf_call *c, const char *iid, const pcf_form *f)
{
    char *path = issue_path(c, iid, "");
    if (!path)
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
    pcf_ui_req r = { .label = "ui_issue_update", .post = true, .path = path, .form = f };
    pcf_http_resp resp;
    pcfmcp_error_t rc = pcfmcp__pcf_ui_request(c, &r, &resp);
    pcfmcp__free(path);
    if (rc == PCFMCP_OK) {
        if (resp.status == 200 && !pcfmcp__pcf_html_errors(resp.body.data, resp.body.len, NULL))
            rc = PCFMCP_OK;
        else
            rc = pcfmcp__pcf_ui_unexpected(c, &resp, "the issue edit");
    }
    pcfmcp__pcf_http_resp_free(&resp);
    return rc;
}

static pcfmcp_error_t post_fields(pcf_call *c, const char *iid, const cJSON *fields)
{
    pcf_form f;
    memset(&f, 0, sizeof(f));
    pcfmcp_error_t rc = custom_fields(c, &f, fields);
    char *path = rc ? NULL : issue_path(c, iid, "edit_text_fields");
    if (!rc && !path)
        rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
    if (rc) {
        pcfmcp__pcf_form_free(&f);
        return rc;
    }
    pcf_ui_req r = { .label = "ui_issue_fields", .post = true, .path = path, .form = &f };
    pcf_http_resp resp;
    rc = pcfmcp__pcf_ui_request(c, &r, &resp);
    if (rc == PCFMCP_OK && resp.status != 302)
        rc = pcfmcp__pcf_ui_unexpected(c, &resp, "the custom fields edit");
    pcfmcp__pcf_http_resp_free(&resp);
    pcfmcp__pcf_form_free(&f);
    pcfmcp__free(path);
    return rc;
}

static pcfmcp_error_t ok_with_id(pcf_call *c, const char *key, const char *id)
{
    cJSON *doc = cJSON_CreateObject();
    bool ok = doc != NULL;
    pcfmcp__pcf_put_str(doc, "status", "ok", &ok);
    if (key)
        pcfmcp__pcf_put_str(doc, key, id, &ok);
    if (!ok) {
        cJSON_Delete(doc);
        doc = NULL;
    }
    return pcfmcp__pcf_succeed(c->res, doc);
}

pcfmcp_error_t pcfmcp__pcf_ok_with_id(pcf_call *c, const char *key, const char *id)
{
    return ok_with_id(c, key, id);
}

static pcfmcp_error_t ui_issue_create(pcf_call *c)
{
    pcf_form f;
    memset(&f, 0, sizeof(f));
    pcfmcp_error_t rc = issue_form(c, &f, c->body, false);
    if (!rc)
        rc = custom_fields(c, &f, cJSON_GetObjectItemCaseSensitive(c->body, "fields"));
    char *path = rc ? NULL : pcfmcp__pcf_project_path(pcfmcp__pcf_id(c, "project_id"),
                                                       "/new_issue");
    if (!rc && !path)
        rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
    if (!rc)
        rc = pcfmcp__pcf_ui_begin(c);
    if (rc) {
        pcfmcp__pcf_form_free(&f);
        pcfmcp__free(path);
        return rc;
    }
    pcf_ui_req r = { .label = "ui_issue_create", .post = true, .path = path, .form = &f };
    pcf_http_resp resp;
    char iid[37] = "";
    rc = pcfmcp__pcf_ui_request(c, &r, &resp);
    if (rc == PCFMCP_OK) {
        if (!(resp.status == 302 && pcfmcp__pcf_find_uuid_after(resp.location, "/issue/", iid)))
            rc = pcfmcp__pcf_ui_unexpected(c, &resp, "the new issue");
    }
    pcfmcp__pcf_http_resp_free(&resp);
    pcfmcp__pcf_form_free(&f);
    pcfmcp__free(path);
    /* The create form has no cwe field: set it with an edit of the same values. */
    const cJSON *cwe = cJSON_GetObjectItemCaseSensitive(c->body, "cwe");
    if (rc == PCFMCP_OK && cwe && !cJSON_IsNull(cwe) &&
        !(cJSON_IsNumber(cwe) && cwe->valuedouble == 0)) {
        pcf_form e;
        memset(&e, 0, sizeof(e));
        rc = issue_form(c, &e, c->body, true);
        if (!rc)
            rc = post_edit(c, iid, &e);
        pcfmcp__pcf_form_free(&e);
        if (rc) {
            char msg[300];
            snprintf(msg, sizeof(msg), "issue %s was created, but setting cwe failed: %s", iid,
                     pcfmcp_pcf_result_message(c->res));
            pcfmcp__pcf_fail(c->res, rc, "%s", msg);
        }
    }
    pcfmcp__pcf_ui_end(c);
    if (!iid[0])
        return rc;
    if (rc) {
        /* Still tell the caller which issue exists now. */
        pcfmcp_error_t keep = rc;
        char *msg = pcfmcp__strdup(pcfmcp_pcf_result_message(c->res));
        ok_with_id(c, "issue_id", iid);
        pcfmcp__pcf_fail(c->res, keep, "%s", msg ? msg : "setting cwe failed");
        pcfmcp__free(msg);
        return keep;
    }
    return ok_with_id(c, "issue_id", iid);
}

/* Looks an id up in a member of the project export. */
static const cJSON *export_item(const cJSON *doc, const char *member, const char *id)
{
    return cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(doc, member), id);
}

static pcfmcp_error_t ui_issue_update(pcf_call *c)
{
    const char *pid = pcfmcp__pcf_id(c, "project_id");
    const char *iid = pcfmcp__pcf_id(c, "issue_id");
    pcfmcp_error_t rc = pcfmcp__pcf_ui_begin(c);
    if (rc)
        return rc;
    cJSON *doc = NULL, *merged = NULL;
    pcf_form f;
    memset(&f, 0, sizeof(f));
    if ((rc = pcfmcp__pcf_ui_snapshot(c, pid, &doc)) != PCFMCP_OK)
        goto out;
    const cJSON *cur = export_item(doc, "issues", iid);
    if (!cJSON_IsObject(cur)) {
        rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOT_FOUND, "issue not found in this project");
        goto out;
    }
    /* PCF's edit form writes every column: start from the current values. */
    merged = cJSON_Duplicate(cur, true);
    if (!merged) {
        rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
        goto out;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(merged, "criticality");
    const cJSON *v;
    cJSON_ArrayForEach(v, c->body) {
        if (strcmp(v->string, "fields") == 0)
            continue;
        cJSON *copy = cJSON_Duplicate(v, true);
        if (!copy) {
            rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
            goto out;
        }
        cJSON_DeleteItemFromObjectCaseSensitive(merged, v->string);
        cJSON_AddItemToObject(merged, v->string, copy);
    }
    if ((rc = issue_form(c, &f, merged, true)) != PCFMCP_OK)
        goto out;
    if ((rc = post_edit(c, iid, &f)) != PCFMCP_OK)
        goto out;
    const cJSON *fields = cJSON_GetObjectItemCaseSensitive(c->body, "fields");
    if (fields && (rc = post_fields(c, iid, fields)) != PCFMCP_OK)
        goto out;
    rc = ok_with_id(c, NULL, NULL);
out:
    pcfmcp__pcf_ui_end(c);
    pcfmcp__pcf_form_free(&f);
    cJSON_Delete(merged);
    cJSON_Delete(doc);
    return rc;
}

static pcfmcp_error_t ui_issue_delete(pcf_call *c)
{
    const char *pid = pcfmcp__pcf_id(c, "project_id");
    const char *iid = pcfmcp__pcf_id(c, "issue_id");
    pcfmcp_error_t rc = pcfmcp__pcf_ui_begin(c);
    if (rc)
        return rc;
    cJSON *doc = NULL;
    char *path = NULL;
    pcf_http_resp resp;
    memset(&resp, 0, sizeof(resp));
    if ((rc = pcfmcp__pcf_ui_snapshot(c, pid, &doc)) != PCFMCP_OK)
        goto out;
    if (!export_item(doc, "issues", iid)) {
        rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOT_FOUND, "issue not found in this project");
        goto out;
    }
    cJSON_Delete(doc);
    doc = NULL;
    if (!(path = issue_path(c, iid, "delete_issue"))) {
        rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
        goto out;
    }
    pcf_form empty;
    memset(&empty, 0, sizeof(empty));
    pcf_ui_req r = { .label = "ui_issue_delete", .post = true, .path = path, .form = &empty };
    if ((rc = pcfmcp__pcf_ui_request(c, &r, &resp)) != PCFMCP_OK)
        goto out;
    if (resp.status != 302) {
        rc = pcfmcp__pcf_ui_unexpected(c, &resp, "the issue delete");
        goto out;
    }
    /* PCF redirects the same way for ids it does not know: look again. */
    if ((rc = pcfmcp__pcf_ui_snapshot(c, pid, &doc)) != PCFMCP_OK)
        goto out;
    if (export_item(doc, "issues", iid))
        rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_BAD_RESPONSE,
                              "PCF answered the delete, but the issue is still there");
    else
        rc = ok_with_id(c, NULL, NULL);
out:
    pcfmcp__pcf_ui_end(c);
    pcfmcp__pcf_http_resp_free(&resp);
    pcfmcp__free(path);
    cJSON_Delete(doc);
    return rc;
}

/* API v1 issue writes run only when chosen: pcf.allow_api_issue_writes or
 * an explicit issues_write=api (pcfmcp__pcf_channel). */
pcfmcp_error_t pcfmcp__pcf_run_issue_create(pcf_call *c)
{
    if (pcfmcp__pcf_channel(c->pcf, PCF_CHOICE_ISSUES_WRITE) == PCF_CH_UI)
        return ui_issue_create(c);
    return pcfmcp__pcf_api_exec(c);
}

pcfmcp_error_t pcfmcp__pcf_run_issue_update(pcf_call *c)
{
    if (pcfmcp__pcf_channel(c->pcf, PCF_CHOICE_ISSUES_WRITE) == PCF_CH_UI)
        return ui_issue_update(c);
    return pcfmcp__pcf_api_exec(c);
}

pcfmcp_error_t pcfmcp__pcf_run_issue_delete(pcf_call *c)
{
    if (pcfmcp__pcf_channel(c->pcf, PCF_CHOICE_ISSUES_DELETE) == PCF_CH_UI)
        return ui_issue_delete(c);
    return pcfmcp__pcf_api_exec(c);
}

/* ------------------------------------------------------------------ public */

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_issues_list(pcfmcp_pcf_t *pcf, const char *project_id,
                                                 pcfmcp_pcf_result_t **out)
{
    return pcfmcp__pcf_run_strs(pcf, PCFMCP__PCF_OP_ISSUES_LIST, NULL, out, 1, "project_id",
                                project_id);
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_issues_search(pcfmcp_pcf_t *pcf, const char *project_id,
                                                   const char *body_json,
                                                   pcfmcp_pcf_result_t **out)
{
    return pcfmcp__pcf_run_strs(pcf, PCFMCP__PCF_OP_ISSUES_SEARCH, body_json, out, 1,
                                "project_id", project_id);
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_issue_info(pcfmcp_pcf_t *pcf, const char *project_id,
                                                const char *issue_id, pcfmcp_pcf_result_t **out)
{
    return pcfmcp__pcf_run_strs(pcf, PCFMCP__PCF_OP_ISSUE_INFO, NULL, out, 2, "project_id",
                                project_id, "issue_id", issue_id);
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_issue_create(pcfmcp_pcf_t *pcf, const char *project_id,
                                                  const char *name, const char *body_json,
                                                  pcfmcp_pcf_result_t **out)
{
    return pcfmcp__pcf_run_strs(pcf, PCFMCP__PCF_OP_ISSUE_CREATE, body_json, out, 2,
                                "project_id", project_id, "name", name);
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_issue_update(pcfmcp_pcf_t *pcf, const char *project_id,
                                                  const char *issue_id, const char *body_json,
                                                  pcfmcp_pcf_result_t **out)
{
    return pcfmcp__pcf_run_strs(pcf, PCFMCP__PCF_OP_ISSUE_UPDATE, body_json, out, 2,
                                "project_id", project_id, "issue_id", issue_id);
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_issue_delete(pcfmcp_pcf_t *pcf, const char *project_id,
                                                  const char *issue_id,
                                                  pcfmcp_pcf_result_t **out)
{
    return pcfmcp__pcf_run_strs(pcf, PCFMCP__PCF_OP_ISSUE_DELETE, NULL, out, 2, "project_id",
                                project_id, "issue_id", issue_id);
}
