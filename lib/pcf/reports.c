/* Report rendering through the web UI's reports page. */
#include "core/internal.h"

#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "core/util.h"
#include "pcf/impl.h"

pcfmcp_error_t pcfmcp__pcf_run_report_render(pcf_call *c)
{
    const char *tid = pcfmcp__json_str(c->body, "template_id");
    const char *b64 = pcfmcp__json_str(c->body, "template_base64");
    const char *fname = pcfmcp__json_str(c->body, "template_filename");
    if ((tid != NULL) == (b64 != NULL))
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG,
                                "give either template_id or template_base64");
    if (tid && !pcfmcp__uuid_valid(tid))
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG,
                                "argument template_id must be a UUID");
    pcf_form f;
    memset(&f, 0, sizeof(f));
    /* Every form goes multipart: PCF reads the upload and the id from one form. */
    f.multipart = true;
    pcfmcp__pcf_form_add(&f, "template_id", tid ? tid : "");
    const char *ext = pcfmcp__json_str(c->body, "extensions");
    pcfmcp__pcf_form_add(&f, "extentions", ext ? ext : "");
    if (b64) {
        size_t n = 0;
        void *bytes = pcfmcp__base64_decode(b64, strlen(b64), &n);
        if (!bytes) {
            pcfmcp__pcf_form_free(&f);
            return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG,
                                    "argument template_base64 is not valid base64");
        }
        pcfmcp__pcf_form_add_file(&f, "file", fname ? fname : "template.txt",
                                  "application/octet-stream", bytes, n);
        pcfmcp__free(bytes);
    }
    char *path = pcfmcp__pcf_project_path(pcfmcp__pcf_id(c, "project_id"), "/reports/");
    pcfmcp_error_t rc;
    pcf_http_resp resp;
    memset(&resp, 0, sizeof(resp));
    if (!path || f.failed) {
        rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
        goto done;
    }
    if ((rc = pcfmcp__pcf_ui_begin(c)) != PCFMCP_OK)
        goto done;
    pcf_ui_req r = { .label = "ui_report_render", .post = true, .path = path, .form = &f };
    rc = pcfmcp__pcf_ui_request(c, &r, &resp);
    pcfmcp__pcf_ui_end(c);
    if (rc != PCFMCP_OK)
        goto done;
    /* Success is the attachment header; errors come back as 200 pages. */
    if (resp.status != 200 || !resp.content_disposition) {
        if (resp.status == 200 &&
            pcfmcp__pcf_html_has(resp.body.data, resp.body.len, "Wrong template id!"))
            rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOT_FOUND, "PCF does not know that template");
        else if (resp.status == 200)
            rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_BAD_RESPONSE,
                                  "PCF did not render the report (no file came back; the "
                                  "template may have failed)");
        else
            rc = pcfmcp__pcf_ui_unexpected(c, &resp, "the report");
        goto done;
    }
    pcfmcp_pcf_result_t *res = c->res;
    char *name = pcfmcp__pcf_content_disposition_filename(resp.content_disposition);
    size_t len = resp.body.len;
    char *data = pcfmcp__buf_steal(&resp.body, NULL);
    if (!data)
        data = pcfmcp__strdup("");
    char *ctype = pcfmcp__strdup(resp.content_type ? resp.content_type
                                                   : "application/octet-stream");
    cJSON *doc = cJSON_CreateObject();
    bool ok = doc && data && ctype;
    pcfmcp__pcf_put_str(doc, "status", "ok", &ok);
    pcfmcp__pcf_put_str(doc, "filename", name ? name : "report", &ok);
    pcfmcp__pcf_put_str(doc, "content_type", ctype, &ok);
    pcfmcp__pcf_put_num(doc, "size", (double)len, &ok);
    if (!ok) {
        cJSON_Delete(doc);
        doc = NULL;
    }
    rc = pcfmcp__pcf_succeed(res, doc);
    if (rc == PCFMCP_OK) {
        res->data = data;
        res->data_len = len;
        res->filename = name ? name : pcfmcp__strdup("report");
        res->content_type = ctype;
    } else {
        pcfmcp__free(data);
        pcfmcp__free(name);
        pcfmcp__free(ctype);
    }
done:
    pcfmcp__pcf_http_resp_free(&resp);
    pcfmcp__pcf_form_free(&f);
    pcfmcp__free(path);
    return rc;
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_report_render(pcfmcp_pcf_t *pcf, const char *project_id,
                                                   const char *template_id,
                                                   const void *template_data,
                                                   size_t template_len,
                                                   const char *template_filename,
                                                   const char *extensions,
                                                   pcfmcp_pcf_result_t **out)
{
    if (!pcf || !out)
        return PCFMCP_ERR_INVALID_ARG;
    char *b64 = NULL;
    if (template_data) {
        if (template_len == 0)
            return pcfmcp__pcf_early(out, PCFMCP_ERR_INVALID_ARG,
                                     "argument template_data must not be empty");
        if (!(b64 = pcfmcp__base64_encode(template_data, template_len, NULL)))
            return pcfmcp__pcf_early(out, PCFMCP_ERR_NOMEM, "out of memory");
    }
    pcfmcp_error_t rc = pcfmcp__pcf_run_strs(
        pcf, PCFMCP__PCF_OP_REPORT_RENDER, NULL, out, 5, "project_id", project_id,
        "template_id", template_id, "template_base64", b64, "template_filename",
        template_filename, "extensions", extensions);
    pcfmcp__free(b64);
    return rc;
}
