/* Credentials: web UI only. PCF returns no ids from its forms, so every
 * write is checked against the project's JSON export. */
#include "core/internal.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "core/util.h"
#include "pcf/impl.h"

/* Form field <- export member, for carrying current values into an update. */
static const struct {
    const char *form, *export_name;
} cred_fields[] = {
    { "login", "login" },
    { "password_hash", "hash" },
    { "hash_type", "hash_type" },
    { "cleartext_password", "cleartext" },
    { "comment", "description" },
    { "info_source", "source" },
};

static pcfmcp_error_t cred_form(pcf_call *c, pcf_form *f, const cJSON *cur)
{
    for (size_t i = 0; i < PCFMCP_ARRAY_LEN(cred_fields); i++) {
        const char *v = pcfmcp__json_str(c->body, cred_fields[i].form);
        if (!v && cur)
            v = pcfmcp__json_str(cur, cred_fields[i].export_name);
        pcfmcp__pcf_form_add(f, cred_fields[i].form, v ? v : "");
    }
    const char *check = pcfmcp__json_str(c->body, "check_pwd");
    pcfmcp__pcf_form_add(f, "check_pwd", check ? check : "");
    const cJSON *services = cJSON_GetObjectItemCaseSensitive(c->body, "services");
    if (!services && cur)
        services = cJSON_GetObjectItemCaseSensitive(cur, "services");
    return pcfmcp__pcf_form_services(c, f, services);
}

static const cJSON *creds_of(const cJSON *doc)
{
    return cJSON_GetObjectItemCaseSensitive(doc, "credentials");
}

pcfmcp_error_t pcfmcp__pcf_run_credential_create(pcf_call *c)
{
    const char *pid = pcfmcp__pcf_id(c, "project_id");
    const char *login = pcfmcp__json_str(c->body, "login");
    if (!login)
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG, "argument login must be a string");
    pcf_form f;
    memset(&f, 0, sizeof(f));
    pcfmcp_error_t rc = cred_form(c, &f, NULL);
    char *path = rc ? NULL : pcfmcp__pcf_project_path(pid, "/credentials/new_creds");
    if (!rc && (!path || f.failed))
        rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
    if (!rc)
        rc = pcfmcp__pcf_ui_begin(c);
    if (rc) {
        pcfmcp__pcf_form_free(&f);
        pcfmcp__free(path);
        return rc;
    }
    cJSON *before = NULL, *after = NULL;
    pcf_http_resp resp;
    memset(&resp, 0, sizeof(resp));
    if ((rc = pcfmcp__pcf_ui_snapshot(c, pid, &before)) != PCFMCP_OK)
        goto out;
    pcf_ui_req r = { .label = "ui_credential_create", .post = true, .path = path, .form = &f };
    if ((rc = pcfmcp__pcf_ui_request(c, &r, &resp)) != PCFMCP_OK)
        goto out;
    if (resp.status != 302) {
        rc = pcfmcp__pcf_ui_unexpected(c, &resp, "the new credential");
        goto out;
    }
    if ((rc = pcfmcp__pcf_ui_snapshot(c, pid, &after)) != PCFMCP_OK)
        goto out;
    /* The new one: this login, not there before; prefer one whose other
     * values match what was sent (another user may have added the same login). */
    const cJSON *e, *old = creds_of(before);
    const char *found = NULL, *exact = NULL;
    const char *sent_clear = pcfmcp__json_str(c->body, "cleartext_password");
    const char *sent_hash = pcfmcp__json_str(c->body, "password_hash");
    cJSON_ArrayForEach(e, creds_of(after)) {
        const char *l = pcfmcp__json_str(e, "login");
        if (!l || strcmp(l, login) != 0 || cJSON_GetObjectItemCaseSensitive(old, e->string))
            continue;
        found = e->string;
        const char *clear = pcfmcp__json_str(e, "cleartext");
        const char *hash = pcfmcp__json_str(e, "hash");
        if (strcmp(clear ? clear : "", sent_clear ? sent_clear : "") == 0 &&
            strcmp(hash ? hash : "", sent_hash ? sent_hash : "") == 0)
            exact = e->string;
    }
    if (exact)
        found = exact;
    if (!found)
        rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_BAD_RESPONSE,
                              "PCF accepted the credential, but it is not in the project on "
                              "re-reading");
    else
        rc = pcfmcp__pcf_ok_with_id(c, "credential_id", found);
out:
    pcfmcp__pcf_ui_end(c);
    pcfmcp__pcf_http_resp_free(&resp);
    pcfmcp__pcf_form_free(&f);
    pcfmcp__free(path);
    cJSON_Delete(before);
    cJSON_Delete(after);
    return rc;
}

static char *cred_path(pcf_call *c)
{
    char tail[96];
    snprintf(tail, sizeof(tail), "/credentials/%s/", pcfmcp__pcf_id(c, "credential_id"));
    return pcfmcp__pcf_project_path(pcfmcp__pcf_id(c, "project_id"), tail);
}

/* Update (full form from the current values) or delete one credential. */
static pcfmcp_error_t cred_change(pcf_call *c, bool del)
{
    const char *pid = pcfmcp__pcf_id(c, "project_id");
    const char *cid = pcfmcp__pcf_id(c, "credential_id");
    char *path = cred_path(c);
    if (!path)
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
    pcfmcp_error_t rc = pcfmcp__pcf_ui_begin(c);
    if (rc) {
        pcfmcp__free(path);
        return rc;
    }
    cJSON *doc = NULL;
    pcf_form f;
    memset(&f, 0, sizeof(f));
    pcf_http_resp resp;
    memset(&resp, 0, sizeof(resp));
    if ((rc = pcfmcp__pcf_ui_snapshot(c, pid, &doc)) != PCFMCP_OK)
        goto out;
    const cJSON *cur = cJSON_GetObjectItemCaseSensitive(creds_of(doc), cid);
    if (!cur) {
        rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOT_FOUND, "credential not found in this project");
        goto out;
    }
    if ((rc = cred_form(c, &f, cur)) != PCFMCP_OK)
        goto out;
    if (del)
        pcfmcp__pcf_form_add(&f, "action", "delete");
    pcf_ui_req r = { .label = del ? "ui_credential_delete" : "ui_credential_update",
                     .post = true,
                     .path = path,
                     .form = &f };
    if ((rc = pcfmcp__pcf_ui_request(c, &r, &resp)) != PCFMCP_OK)
        goto out;
    bool errors = pcfmcp__pcf_html_errors(resp.body.data, resp.body.len, NULL);
    if (del ? resp.status != 302 : (resp.status != 200 || errors)) {
        rc = pcfmcp__pcf_ui_unexpected(c, &resp, del ? "the credential delete"
                                                     : "the credential update");
        goto out;
    }
    if (del) {
        cJSON_Delete(doc);
        doc = NULL;
        if ((rc = pcfmcp__pcf_ui_snapshot(c, pid, &doc)) != PCFMCP_OK)
            goto out;
        if (cJSON_GetObjectItemCaseSensitive(creds_of(doc), cid)) {
            rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_BAD_RESPONSE,
                                  "PCF answered the delete, but the credential is still there");
            goto out;
        }
    }
    rc = pcfmcp__pcf_ok_with_id(c, NULL, NULL);
out:
    pcfmcp__pcf_ui_end(c);
    pcfmcp__pcf_http_resp_free(&resp);
    pcfmcp__pcf_form_free(&f);
    pcfmcp__free(path);
    cJSON_Delete(doc);
    return rc;
}

pcfmcp_error_t pcfmcp__pcf_run_credential_update(pcf_call *c)
{
    return cred_change(c, false);
}

pcfmcp_error_t pcfmcp__pcf_run_credential_delete(pcf_call *c)
{
    return cred_change(c, true);
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_credential_create(pcfmcp_pcf_t *pcf, const char *project_id,
                                                       const char *login, const char *body_json,
                                                       pcfmcp_pcf_result_t **out)
{
    return pcfmcp__pcf_run_strs(pcf, PCFMCP__PCF_OP_CREDENTIAL_CREATE, body_json, out, 2,
                                "project_id", project_id, "login", login);
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_credential_update(pcfmcp_pcf_t *pcf, const char *project_id,
                                                       const char *credential_id,
                                                       const char *body_json,
                                                       pcfmcp_pcf_result_t **out)
{
    return pcfmcp__pcf_run_strs(pcf, PCFMCP__PCF_OP_CREDENTIAL_UPDATE, body_json, out, 2,
                                "project_id", project_id, "credential_id", credential_id);
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_credential_delete(pcfmcp_pcf_t *pcf, const char *project_id,
                                                       const char *credential_id,
                                                       pcfmcp_pcf_result_t **out)
{
    return pcfmcp__pcf_run_strs(pcf, PCFMCP__PCF_OP_CREDENTIAL_DELETE, NULL, out, 2,
                                "project_id", project_id, "credential_id", credential_id);
}
