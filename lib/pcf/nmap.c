/* nmap XML import through the web UI's tools page. */
#include "core/internal.h"

#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "pcf/impl.h"

static const char *const nmap_options[] = { "rule", "ignore_ports", "ignore_services",
                                            "hosts_description", "hostnames_description" };

pcfmcp_error_t pcfmcp__pcf_run_nmap_import(pcf_call *c)
{
    const char *xml = pcfmcp__json_str(c->body, "xml");
    if (!xml)
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG, "argument xml must be a string");
    /* NSE results that PCF HEAD turns into issues go through the database
     * call that hangs it, so they never reach PCF. */
    unsigned removed = 0;
    size_t n = 0;
    char *clean = pcfmcp__pcf_strip_nmap_scripts(xml, strlen(xml), &n, &removed);
    if (!clean)
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
    pcf_form f;
    memset(&f, 0, sizeof(f));
    pcfmcp__pcf_form_add_file(&f, "files", "scan.xml", "text/xml", clean, n);
    pcfmcp__free(clean);
    for (size_t i = 0; i < PCFMCP_ARRAY_LEN(nmap_options); i++) {
        const char *v = pcfmcp__json_str(c->body, nmap_options[i]);
        if (!v && strcmp(nmap_options[i], "rule") == 0)
            v = "open";
        pcfmcp__pcf_form_add(&f, nmap_options[i], v);
    }
    if (pcfmcp__json_bool(c->body, "add_no_open", false))
        pcfmcp__pcf_form_add(&f, "add_no_open", "1");
    char *path = pcfmcp__pcf_project_path(pcfmcp__pcf_id(c, "project_id"), "/tools/nmap/");
    pcfmcp_error_t rc;
    if (!path || f.failed) {
        rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
        goto done;
    }
    if ((rc = pcfmcp__pcf_ui_begin(c)) != PCFMCP_OK)
        goto done;
    pcf_ui_req r = { .label = "ui_nmap_import", .post = true, .path = path, .form = &f };
    pcf_http_resp resp;
    rc = pcfmcp__pcf_ui_request(c, &r, &resp);
    pcfmcp__pcf_ui_end(c);
    if (rc == PCFMCP_OK) {
        if (resp.status == 200 &&
            !pcfmcp__pcf_html_errors(resp.body.data, resp.body.len, NULL) &&
            pcfmcp__pcf_html_has(resp.body.data, resp.body.len, "Successfully uploaded!")) {
            cJSON *doc = cJSON_CreateObject();
            bool ok = doc != NULL;
            pcfmcp__pcf_put_str(doc, "status", "ok", &ok);
            pcfmcp__pcf_put_num(doc, "scripts_removed", removed, &ok);
            if (!ok) {
                cJSON_Delete(doc);
                doc = NULL;
            }
            rc = pcfmcp__pcf_succeed(c->res, doc);
        } else {
            rc = pcfmcp__pcf_ui_unexpected(c, &resp, "the nmap import");
        }
    }
    pcfmcp__pcf_http_resp_free(&resp);
done:
    pcfmcp__pcf_form_free(&f);
    pcfmcp__free(path);
    return rc;
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_nmap_import(pcfmcp_pcf_t *pcf, const char *project_id,
                                                 const char *xml, size_t len,
                                                 const char *body_json,
                                                 pcfmcp_pcf_result_t **out)
{
    if (!pcf || !out)
        return PCFMCP_ERR_INVALID_ARG;
    if (!xml || len == 0 || memchr(xml, '\0', len))
        return pcfmcp__pcf_early(out, PCFMCP_ERR_INVALID_ARG,
                                 "argument xml must be non-empty text without NUL bytes");
    char *copy = pcfmcp__strndup(xml, len);
    if (!copy)
        return pcfmcp__pcf_early(out, PCFMCP_ERR_NOMEM, "out of memory");
    pcfmcp_error_t rc = pcfmcp__pcf_run_strs(pcf, PCFMCP__PCF_OP_NMAP_IMPORT, body_json, out, 2,
                                             "project_id", project_id, "xml", copy);
    pcfmcp__free(copy);
    return rc;
}
