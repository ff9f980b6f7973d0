/* Project files (evidence): listed from the files page (PCF has no JSON
 * for them), uploaded with the multipart form, downloaded from the
 * attachment route or, where PCF's download fails, read from its text
 * viewer. */
#include "core/internal.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "core/util.h"
#include "pcf/workspace.h"

#define MAX_FILES 10000

static const char *find_in(const char *s, const char *end, const char *needle)
{
    size_t n = strlen(needle);
    for (const char *p = s; p && p + n <= end; p++)
        if (memcmp(p, needle, n) == 0)
            return p;
    return NULL;
}

/* The text of the next <td>...</td> at or after *p (before @p end). */
static char *next_cell(const char **p, const char *end)
{
    const char *td = find_in(*p, end, "<td");
    const char *gt = td ? find_in(td, end, ">") : NULL;
    const char *close = gt ? find_in(gt, end, "</td>") : NULL;
    if (!close)
        return NULL;
    *p = close + 5;
    return pcfmcp__ws_html_text(gt + 1, (size_t)(close - gt - 1));
}

/* Rows of the files table: name, description, services, id, kind. */
static cJSON *parse_files(const char *html, const char *pid)
{
    cJSON *list = cJSON_CreateArray();
    char marker[96];
    snprintf(marker, sizeof(marker), "<form action=\"/project/%s/files/", pid);
    const char *p = html;
    const char *row_from = html;
    while (list && (p = strstr(p, marker)) != NULL) {
        char id[37];
        if (!pcfmcp__pcf_find_uuid_after(p, "/files/", id)) {
            p += strlen(marker);
            continue;
        }
        /* The row begins at the last <tr> before the form. */
        const char *tr = NULL;
        for (const char *q = row_from; (q = find_in(q, p, "<tr>")) != NULL; q++)
            tr = q;
        if (!tr) {
            p += strlen(marker);
            continue;
        }
        const char *cur = tr;
        char *name = next_cell(&cur, p);
        char *desc = name ? next_cell(&cur, p) : NULL;
        /* Services: one <li> per port (and hostname). */
        cJSON *svc = cJSON_CreateArray();
        const char *ul = find_in(cur, p, "<ul");
        const char *ul_end = ul ? find_in(ul, p, "</ul>") : NULL;
        for (const char *li = ul; li && ul_end && (li = find_in(li, ul_end, "<li>")) != NULL;) {
            const char *li_end = find_in(li, ul_end, "</li>");
            if (!li_end)
                break;
            char *t = pcfmcp__ws_html_text(li + 4, (size_t)(li_end - li - 4));
            if (t) {
                /* "10.0.0.5: 80" -> "10.0.0.5:80" */
                char *w = t;
                for (char *r = t; *r; r++)
                    if (!(*r == ' ' && r > t && r[-1] == ':'))
                        *w++ = *r;
                *w = '\0';
                cJSON_AddItemToArray(svc, cJSON_CreateString(t));
            }
            pcfmcp__free(t);
            li = li_end;
        }
        const char *after = p + strlen(marker);
        const char *next_row = strstr(after, "</tr>");
        const char *btn = strstr(after, "<a class=\"ui button ");
        bool binary = btn && (!next_row || btn < next_row) &&
                      strncmp(btn + strlen("<a class=\"ui button "), "blue", 4) == 0;
        cJSON *f = cJSON_CreateObject();
        if (!name || !desc || !svc || !f) {
            pcfmcp__free(name);
            pcfmcp__free(desc);
            cJSON_Delete(svc);
            cJSON_Delete(f);
            cJSON_Delete(list);
            return NULL;
        }
        cJSON_AddStringToObject(f, "id", id);
        cJSON_AddStringToObject(f, "filename", name);
        cJSON_AddStringToObject(f, "description", desc);
        /* PCF links binary files to a download and the rest to its viewer. */
        cJSON_AddStringToObject(f, "type", binary ? "binary" : "text or image");
        cJSON_AddItemToObject(f, "services", svc);
        pcfmcp__free(name);
        pcfmcp__free(desc);
        if (cJSON_GetArraySize(list) < MAX_FILES)
            cJSON_AddItemToArray(list, f);
        else
            cJSON_Delete(f);
        row_from = p;
        p = after;
    }
    return list;
}

/* The files of the project (the caller holds the web session). */
static pcfmcp_error_t list_files(pcf_call *c, cJSON **out)
{
    return pcfmcp__ws_read_page(c, "ui_files_page", "/files/", "the files page", parse_files,
                                out);
}

static const cJSON *file_by_id(const cJSON *list, const char *id)
{
    const cJSON *f;
    cJSON_ArrayForEach(f, list)
        if (pcfmcp__json_str_is(f, "id", id))
            return f;
    return NULL;
}

pcfmcp_error_t pcfmcp__pcf_run_files_list(pcf_call *c)
{
    return pcfmcp__ws_list_op(c, "files", list_files);
}

static const char *guess_ctype(const char *filetype)
{
    if (strcmp(filetype, "text") == 0)
        return "text/plain";
    if (strcmp(filetype, "image") == 0)
        return "image/png";
    return "application/octet-stream";
}

pcfmcp_error_t pcfmcp__pcf_run_file_upload(pcf_call *c)
{
    const char *name = pcfmcp__json_str(c->body, "filename");
    const char *b64 = pcfmcp__json_str(c->body, "b64content");
    const char *type = pcfmcp__json_str(c->body, "filetype");
    const char *desc = pcfmcp__json_str(c->body, "description");
    if (!type)
        type = "binary";
    if (strcmp(type, "binary") != 0 && strcmp(type, "text") != 0 && strcmp(type, "image") != 0)
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG,
                                "argument filetype must be binary, text or image");
    if (!name || !*name || strchr(name, '/') || strchr(name, '\\'))
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG,
                                "argument filename must be a plain file name");
    size_t n = 0;
    unsigned char *data = b64 ? pcfmcp__base64_decode(b64, strlen(b64), &n) : NULL;
    if (!data)
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG,
                                "argument b64content must be base64");
    pcf_form f;
    memset(&f, 0, sizeof(f));
    cJSON *pairs = pcfmcp__ws_service_pairs(c, cJSON_GetObjectItemCaseSensitive(c->body,
                                                                                "services"));
    pcfmcp_error_t rc = pairs ? PCFMCP_OK : c->res->err;
    cJSON *before = NULL, *after = NULL;
    pcf_http_resp resp;
    memset(&resp, 0, sizeof(resp));
    if (rc != PCFMCP_OK)
        goto done;
    pcfmcp__pcf_form_add_file(&f, "file", name, guess_ctype(type), data, n);
    pcfmcp__pcf_form_add(&f, "description", desc ? desc : "");
    pcfmcp__pcf_form_add(&f, "filetype", type);
    const cJSON *e;
    cJSON_ArrayForEach(e, pairs)
        pcfmcp__pcf_form_add(&f, "services", e->valuestring);
    if ((rc = pcfmcp__pcf_ui_begin(c)) != PCFMCP_OK)
        goto done;
    if ((rc = list_files(c, &before)) != PCFMCP_OK)
        goto out;
    /* Without a Referer PCF stores the file and then fails with 500. */
    if ((rc = pcfmcp__ws_request(c, "ui_file_upload", true, "/files/new", &f, "/files/",
                                 &resp)) != PCFMCP_OK)
        goto out;
    if (resp.status == 500) {
        c->res->status = 500;
        rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_PCF,
                              "PCF failed with HTTP 500 (it does so when a service's port is "
                              "not in the project); nothing was stored");
        goto out;
    }
    if (resp.status != 302) {
        if (!pcfmcp__ws_page_errors(c, &resp))
            rc = pcfmcp__pcf_ui_unexpected(c, &resp, "the file upload");
        else
            rc = c->res->err;
        goto out;
    }
    if ((rc = list_files(c, &after)) != PCFMCP_OK)
        goto out;
    const char *fid = NULL;
    cJSON_ArrayForEach(e, after)
        if (!file_by_id(before, pcfmcp__json_str(e, "id")) &&
            pcfmcp__json_str_is(e, "filename", name))
            fid = pcfmcp__json_str(e, "id");
    if (!fid) {
        rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_BAD_RESPONSE,
                              "PCF accepted the upload, but the file is not in the project on "
                              "re-reading");
        goto out;
    }
    cJSON *doc = cJSON_CreateObject();
    if (doc) {
        cJSON_AddStringToObject(doc, "file_id", fid);
        cJSON_AddStringToObject(doc, "filename", name);
        cJSON_AddNumberToObject(doc, "size", (double)n);
    }
    rc = pcfmcp__ws_succeed(c, doc);
out:
    pcfmcp__pcf_ui_end(c);
done:
    pcfmcp__pcf_http_resp_free(&resp);
    pcfmcp__pcf_form_free(&f);
    pcfmcp__free(data);
    cJSON_Delete(pairs);
    cJSON_Delete(before);
    cJSON_Delete(after);
    return rc;
}

/* Hands @p data (owned) out as the result's bytes. */
static pcfmcp_error_t give_data(pcf_call *c, char *data, size_t len, const char *filename,
                                const char *ctype, const char *source, const char *note)
{
    char *fn = pcfmcp__strdup(filename && *filename ? filename : "file");
    char *ct = pcfmcp__strdup(ctype ? ctype : "application/octet-stream");
    cJSON *doc = cJSON_CreateObject();
    bool ok = doc && fn && ct && data;
    pcfmcp__pcf_put_str(doc, "filename", fn, &ok);
    pcfmcp__pcf_put_str(doc, "content_type", ct, &ok);
    pcfmcp__pcf_put_num(doc, "size", (double)len, &ok);
    pcfmcp__pcf_put_str(doc, "source", source, &ok);
    if (note)
        pcfmcp__pcf_put_str(doc, "note", note, &ok);
    pcfmcp_error_t rc = ok ? pcfmcp__ws_succeed(c, doc) : PCFMCP_ERR_NOMEM;
    if (!ok) {
        cJSON_Delete(doc);
        rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
    }
    if (rc == PCFMCP_OK) {
        c->res->data = data;
        c->res->data_len = len;
        c->res->filename = fn;
        c->res->content_type = ct;
        return rc;
    }
    pcfmcp__free(data);
    pcfmcp__free(fn);
    pcfmcp__free(ct);
    return rc;
}

pcfmcp_error_t pcfmcp__pcf_run_file_download(pcf_call *c)
{
    const char *fid = pcfmcp__pcf_id(c, "file_id");
    pcfmcp_error_t rc = pcfmcp__pcf_ui_begin(c);
    if (rc != PCFMCP_OK)
        return rc;
    char rest[96];
    snprintf(rest, sizeof(rest), "/files/%s/download", fid);
    pcf_http_resp resp, view;
    memset(&view, 0, sizeof(view));
    if ((rc = pcfmcp__ws_request(c, "ui_file_download", false, rest, NULL, NULL, &resp)) !=
        PCFMCP_OK)
        goto out;
    if (resp.status == 200 && resp.content_disposition) {
        char *name = pcfmcp__pcf_content_disposition_filename(resp.content_disposition);
        size_t len = resp.body.len;
        char *data = pcfmcp__buf_steal(&resp.body, NULL);
        if (!data)
            data = pcfmcp__strdup("");
        rc = give_data(c, data, len, name, resp.content_type, "download", NULL);
        pcfmcp__free(name);
        goto out;
    }
    if (resp.status == 302) {
        rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOT_FOUND, "no file %s in this project", fid);
        goto out;
    }
    if (resp.status != 500) {
        rc = pcfmcp__pcf_ui_unexpected(c, &resp, "the file download");
        goto out;
    }
    /* PCF passes attachment_filename to send_file, which Flask 2.2 and later
     * reject (HTTP 500). Text files are also shown by PCF's viewer. */
    snprintf(rest, sizeof(rest), "/files/%s/", fid);
    if ((rc = pcfmcp__ws_request(c, "ui_file_view", false, rest, NULL, NULL, &view)) !=
        PCFMCP_OK)
        goto out;
    const char *html = pcfmcp__ws_body(&view);
    const char *code = strstr(html, "<code style=\"height: 465px\">");
    const char *code_end = code ? strstr(code, "</code>") : NULL;
    if (view.status != 200 || !code || !code_end) {
        c->res->status = 500;
        rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_PCF,
                              "PCF cannot serve this file: its download route fails with HTTP "
                              "500 (PCF passes attachment_filename to Flask's send_file, which "
                              "Flask 2.2 and later reject), and PCF shows only text files in "
                              "its viewer. Download it in a browser from a PCF running its "
                              "pinned Flask 2.0, or ask the PCF admin.");
        goto out;
    }
    code += strlen("<code style=\"height: 465px\">");
    char *text = pcfmcp__ws_html_unescape(code, (size_t)(code_end - code));
    /* "text: name.txt" in the page header. */
    char *fname = NULL;
    const char *h1 = strstr(html, "<h1 class=\"ui dividing header\">");
    const char *h1_end = h1 ? strstr(h1, "</h1>") : NULL;
    if (h1 && h1_end) {
        h1 += strlen("<h1 class=\"ui dividing header\">");
        char *t = pcfmcp__ws_html_text(h1, (size_t)(h1_end - h1));
        const char *colon = t ? strstr(t, ": ") : NULL;
        fname = colon ? pcfmcp__strdup(colon + 2) : NULL;
        pcfmcp__free(t);
    }
    if (!text) {
        pcfmcp__free(fname);
        rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
        goto out;
    }
    rc = give_data(c, text, strlen(text), fname, "text/plain; charset=utf-8", "viewer",
                   "PCF's download route fails (HTTP 500, Flask 2.2+); the text was read from "
                   "PCF's file viewer, which decodes bytes as Latin-1 (non-ASCII characters "
                   "may differ from the original)");
    pcfmcp__free(fname);
out:
    pcfmcp__pcf_ui_end(c);
    pcfmcp__pcf_http_resp_free(&resp);
    pcfmcp__pcf_http_resp_free(&view);
    return rc;
}

pcfmcp_error_t pcfmcp__pcf_run_file_delete(pcf_call *c)
{
    const char *fid = pcfmcp__pcf_id(c, "file_id");
    ws_op op = { 0 };
    pcfmcp_error_t rc = pcfmcp__ws_op_begin(c, &op);
    if (rc != PCFMCP_OK)
        goto out;
    if ((rc = list_files(c, &op.before)) != PCFMCP_OK)
        goto out;
    if (!file_by_id(op.before, fid)) {
        rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOT_FOUND, "no file %s in this project", fid);
        goto out;
    }
    pcfmcp__pcf_form_add(&op.f, "action", "delete");
    char rest[96];
    snprintf(rest, sizeof(rest), "/files/%s/", fid);
    /* Without a Referer PCF deletes the file and then fails with 500. */
    if ((rc = pcfmcp__ws_request(c, "ui_file_delete", true, rest, &op.f, "/files/", &op.resp)) !=
        PCFMCP_OK)
        goto out;
    if (op.resp.status != 302) {
        rc = pcfmcp__pcf_ui_unexpected(c, &op.resp, "the file delete");
        goto out;
    }
    if ((rc = list_files(c, &op.after)) != PCFMCP_OK)
        goto out;
    if (file_by_id(op.after, fid)) {
        rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_BAD_RESPONSE,
                              "PCF answered the delete but the file is still listed");
        goto out;
    }
    rc = pcfmcp__pcf_ok_with_id(c, "deleted", fid);
out:
    pcfmcp__ws_op_end(c, &op);
    return rc;
}
