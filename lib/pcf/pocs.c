/* PoCs: API v1 by default ("pocs" channel), the web form as a fallback. */
#include "core/internal.h"

#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "core/util.h"
#include "pcf/impl.h"

static bool looks_like_image(const unsigned char *p, size_t n)
{
    return (n >= 8 && memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0) ||
           (n >= 3 && memcmp(p, "\xff\xd8\xff", 3) == 0) ||
           (n >= 4 && memcmp(p, "GIF8", 4) == 0) || (n >= 2 && memcmp(p, "BM", 2) == 0);
}

/* Brings the arguments to API v1 form: b64content (from "content" text when
 * needed), a type ("image" when the bytes start like one), "0" services. */
pcfmcp_error_t pcfmcp__pcf_prep_poc_add(pcf_call *c)
{
    bool ok = true;
    const char *b64 = pcfmcp__json_str(c->body, "b64content");
    const char *text = pcfmcp__json_str(c->body, "content");
    if (!b64 && text) {
        char *enc = pcfmcp__base64_encode(text, strlen(text), NULL);
        if (!enc)
            return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
        pcfmcp__pcf_put_str(c->body, "b64content", enc, &ok);
        pcfmcp__free(enc);
        b64 = pcfmcp__json_str(c->body, "b64content");
    }
    cJSON_DeleteItemFromObjectCaseSensitive(c->body, "content");
    if (!ok)
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
    if (!b64 || !*b64)
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG,
                                "missing argument b64content (or content)");
    const char *type = pcfmcp__json_str(c->body, "type");
    if (!type) {
        size_t head = strlen(b64) < 16 ? strlen(b64) / 4 * 4 : 16, n = 0;
        unsigned char *bytes = pcfmcp__base64_decode(b64, head, &n);
        pcfmcp__pcf_put_str(c->body, "type", bytes && looks_like_image(bytes, n) ? "image" : "text",
                            &ok);
        pcfmcp__free(bytes);
    } else if (strcmp(type, "image") != 0 && strcmp(type, "text") != 0) {
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG,
                                "argument type must be \"image\" or \"text\"");
    }
    if (!cJSON_GetObjectItemCaseSensitive(c->body, "port_id"))
        pcfmcp__pcf_put_str(c->body, "port_id", "0", &ok);
    if (!cJSON_GetObjectItemCaseSensitive(c->body, "hostname_id"))
        pcfmcp__pcf_put_str(c->body, "hostname_id", "0", &ok);
    return ok ? PCFMCP_OK : pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
}

static cJSON *issue_pocs(const cJSON *doc, const char *iid)
{
    const cJSON *issue = cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(doc, "issues"), iid);
    return issue ? cJSON_GetObjectItemCaseSensitive(issue, "pocs") : NULL;
}

static bool list_has(const cJSON *list, const char *id)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, list)
        if (cJSON_IsString(e) && strcmp(e->valuestring, id) == 0)
            return true;
    return false;
}

/* The web form returns no id: compare the issue's PoC list before and after. */
static pcfmcp_error_t ui_poc_add(pcf_call *c)
{
    const char *pid = pcfmcp__pcf_id(c, "project_id");
    const char *iid = pcfmcp__pcf_id(c, "issue_id");
    const char *b64 = pcfmcp__json_str(c->body, "b64content");
    const char *type = pcfmcp__json_str(c->body, "type");
    const char *fname = pcfmcp__json_str(c->body, "filename");
    const char *port = pcfmcp__json_str(c->body, "port_id");
    const char *host = pcfmcp__json_str(c->body, "hostname_id");
    size_t n = 0;
    unsigned char *bytes = pcfmcp__base64_decode(b64, strlen(b64), &n);
    if (!bytes)
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG,
                                "argument b64content is not valid base64");
    bool image = type && strcmp(type, "image") == 0;
    if (!fname)
        fname = image ? "poc.png" : "poc.txt";
    char service[80];
    snprintf(service, sizeof(service), "%s:%s", port ? port : "0", host ? host : "0");
    pcf_form f;
    memset(&f, 0, sizeof(f));
    pcfmcp__pcf_form_add_file(&f, "file", fname, image ? "image/png" : "text/plain", bytes, n);
    pcfmcp__pcf_form_add(&f, "service", service);
    pcfmcp__pcf_form_add(&f, "comment", pcfmcp__json_str(c->body, "description"));
    pcfmcp__secure_zero(bytes, n);
    pcfmcp__free(bytes);

    cJSON *before = NULL, *after = NULL;
    char *path = pcfmcp__pcf_project_path(pid, "/issue/");
    bool path_ok = path != NULL;
    pcfmcp__buf p;
    pcfmcp__buf_init(&p);
    pcfmcp__buf_puts(&p, path ? path : "");
    pcfmcp__buf_puts(&p, iid);
    pcfmcp__buf_puts(&p, "/new_poc");
    pcfmcp__free(path);
    pcf_http_resp resp;
    memset(&resp, 0, sizeof(resp));
    pcfmcp_error_t rc = pcfmcp__pcf_ui_begin(c);
    if (rc) {
        pcfmcp__pcf_form_free(&f);
        pcfmcp__buf_free(&p);
        return rc;
    }
    if (!pcfmcp__buf_ok(&p) || !path_ok || f.failed) {
        rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
        goto out;
    }
    if ((rc = pcfmcp__pcf_ui_snapshot(c, pid, &before)) != PCFMCP_OK)
        goto out;
    if (!cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(before, "issues"), iid)) {
        rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOT_FOUND, "issue not found in this project");
        goto out;
    }
    pcf_ui_req r = { .label = "ui_poc_add", .post = true, .path = p.data, .form = &f };
    if ((rc = pcfmcp__pcf_ui_request(c, &r, &resp)) != PCFMCP_OK)
        goto out;
    if (resp.status != 302) {
        if (resp.status == 500)
            rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_HTTP,
                                  "PCF refused the PoC (HTTP 500: empty file, a format that "
                                  "is neither text nor image, or a service not in the issue)");
        else
            rc = pcfmcp__pcf_ui_unexpected(c, &resp, "the new PoC");
        goto out;
    }
    if ((rc = pcfmcp__pcf_ui_snapshot(c, pid, &after)) != PCFMCP_OK)
        goto out;
    const cJSON *old = issue_pocs(before, iid), *e;
    const char *found = NULL;
    cJSON_ArrayForEach(e, issue_pocs(after, iid)) {
        if (cJSON_IsString(e) && !list_has(old, e->valuestring))
            found = e->valuestring;
    }
    if (!found)
        rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_BAD_RESPONSE,
                              "PCF accepted the PoC, but it is not in the issue on re-reading");
    else
        rc = pcfmcp__pcf_ok_with_id(c, "poc_id", found);
out:
    pcfmcp__pcf_ui_end(c);
    pcfmcp__pcf_http_resp_free(&resp);
    pcfmcp__pcf_form_free(&f);
    pcfmcp__buf_free(&p);
    cJSON_Delete(before);
    cJSON_Delete(after);
    return rc;
}

pcfmcp_error_t pcfmcp__pcf_run_poc_add(pcf_call *c)
{
    if (pcfmcp__pcf_channel(c->pcf, PCF_CHOICE_POCS) == PCF_CH_UI)
        return ui_poc_add(c);
    cJSON_DeleteItemFromObjectCaseSensitive(c->body, "filename");
    return pcfmcp__pcf_api_exec(c);
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_poc_add(pcfmcp_pcf_t *pcf, const char *project_id,
                                             const char *issue_id, const void *data, size_t len,
                                             const char *type, const char *body_json,
                                             pcfmcp_pcf_result_t **out)
{
    if (!pcf || !out)
        return PCFMCP_ERR_INVALID_ARG;
    if (!data || len == 0)
        return pcfmcp__pcf_early(out, PCFMCP_ERR_INVALID_ARG, "argument data must not be empty");
    char *b64 = pcfmcp__base64_encode(data, len, NULL);
    if (!b64)
        return pcfmcp__pcf_early(out, PCFMCP_ERR_NOMEM, "out of memory");
    cJSON *a = cJSON_CreateObject();
    bool ok = a != NULL;
    pcfmcp__pcf_put_str(a, "project_id", project_id, &ok);
    pcfmcp__pcf_put_str(a, "issue_id", issue_id, &ok);
    pcfmcp__pcf_put_str(a, "b64content", b64, &ok);
    pcfmcp__pcf_put_str(a, "type", type, &ok);
    pcfmcp__free(b64);
    if (!ok) {
        cJSON_Delete(a);
        a = NULL;
    }
    return pcfmcp__pcf_public(pcf, PCFMCP__PCF_OP_POC_ADD, a, body_json, out);
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_poc_info(pcfmcp_pcf_t *pcf, const char *project_id,
                                              const char *issue_id, const char *poc_id,
                                              pcfmcp_pcf_result_t **out)
{
    return pcfmcp__pcf_run_strs(pcf, PCFMCP__PCF_OP_POC_INFO, NULL, out, 3, "project_id",
                                project_id, "issue_id", issue_id, "poc_id", poc_id);
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_poc_delete(pcfmcp_pcf_t *pcf, const char *project_id,
                                                const char *issue_id, const char *poc_id,
                                                pcfmcp_pcf_result_t **out)
{
    return pcfmcp__pcf_run_strs(pcf, PCFMCP__PCF_OP_POC_DELETE, NULL, out, 3, "project_id",
                                project_id, "issue_id", issue_id, "poc_id", poc_id);
}
