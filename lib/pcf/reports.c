/* Report rendering through the web UI's reports page. */
#include "core/internal.h"

#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "core/util.h"
#include "pcf/impl.h"

/* PCF names the rendered file after the project's report title in the
 * Content-Disposition header, which its WSGI server encodes as Latin-1: a
 * title with any other character (or a line break) makes PCF answer HTTP 500
 * after it has stored a copy of the report in the project's files. So the
 * title is checked first, from the caller (member "report_title", e.g. the
 * projects list a tool already read) or from the project's settings. */
static bool latin1_header_ok(const char *s)
{
    const unsigned char *p = (const unsigned char *)s;
    while (*p) {
        if (*p == '\r' || *p == '\n')
            return false;
        if (*p < 0x80) {
            p++;
        } else if (*p == 0xC2 || *p == 0xC3) { /* U+0080..U+00FF */
            if ((p[1] & 0xC0) != 0x80)
                return false;
            p += 2;
        } else {
            return false;
        }
    }
    return true;
}

static pcfmcp_error_t check_report_title(pcf_call *c)
{
    const char *title = pcfmcp__json_str(c->body, "report_title");
    pcfmcp_pcf_result_t *sub = NULL;
    if (!title) {
        cJSON *a = cJSON_CreateObject();
        bool ok = a != NULL;
        pcfmcp__pcf_put_str(a, "project_id", pcfmcp__pcf_id(c, "project_id"), &ok);
        if (!ok) {
            cJSON_Delete(a);
            return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
        }
        pcfmcp_error_t rc = pcfmcp__pcf_subcall(c, PCFMCP__PCF_OP_PROJECT_SETTINGS, a, &sub);
        cJSON_Delete(a);
        if (rc != PCFMCP_OK) {
            pcfmcp__pcf_result_move(c->res, sub);
            pcfmcp_pcf_result_free(sub);
            return c->res->err;
        }
        title = pcfmcp__json_str(sub->parsed, "report_title");
    }
    bool ok = !title || latin1_header_ok(title);
    pcfmcp_pcf_result_free(sub);
    if (ok)
        return PCFMCP_OK;
    return pcfmcp__pcf_fail(
        c->res, PCFMCP_ERR_PCF,
        "PCF cannot render a report for this project: it names the file after the project's "
        "report title, and this title has characters outside Latin-1 (or a line break) that "
        "PCF cannot put in an HTTP header, so PCF would answer HTTP 500 and still store a copy "
        "of the report in the project's files. Nothing was sent: change the project's report "
        "title to Latin-1 text (in the project's settings in PCF, or with update_project), or "
        "render without template_id");
}

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
    if ((rc = check_report_title(c)) != PCFMCP_OK || (rc = pcfmcp__pcf_ui_begin(c)) != PCFMCP_OK)
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
        else if (resp.status == 500 && tid) {
            /* The title was checked above: what is left is PCF's known
             * failure on a template id it does not store. */
            c->res->status = 500;
            rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOT_FOUND,
                                  "PCF answered HTTP 500: it does so when template_id names no "
                                  "report template stored in PCF (a known PCF defect: it then "
                                  "renders with an undefined template). Check the id in the "
                                  "template picker of the project's Reports page in PCF's web "
                                  "UI (/project/<project id>/reports/)");
        } else
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
