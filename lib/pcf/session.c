/* The web-UI channel: login with CSRF, an in-memory cookie jar on the
 * client's own easy handle, form and multipart posts without following
 * redirects, session renewal, and the project's JSON export. */
#include "core/internal.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "core/util.h"
#include "pcf/impl.h"

/* ------------------------------------------------------------------ forms */

static void form_push(pcf_form *f, const char *name, const char *value, size_t len,
                      const char *filename, const char *ctype)
{
    if (f->failed)
        return;
    if (f->n == f->cap) {
        size_t cap = f->cap ? f->cap * 2 : 16;
        pcf_field *v = pcfmcp__realloc(f->v, cap * sizeof(*v));
        if (!v) {
            f->failed = true;
            return;
        }
        f->v = v;
        f->cap = cap;
    }
    pcf_field *x = &f->v[f->n];
    memset(x, 0, sizeof(*x));
    x->name = pcfmcp__strdup(name);
    x->value = pcfmcp__memdup(value ? value : "", len + 1);
    if (x->value)
        x->value[len] = '\0';
    x->len = len;
    if (filename) {
        x->filename = pcfmcp__strdup(filename);
        x->ctype = pcfmcp__strdup(ctype ? ctype : "application/octet-stream");
        f->multipart = true;
    }
    if (!x->name || !x->value || (filename && (!x->filename || !x->ctype))) {
        pcfmcp__free(x->name);
        pcfmcp__free(x->value);
        pcfmcp__free(x->filename);
        pcfmcp__free(x->ctype);
        f->failed = true;
        return;
    }
    f->n++;
}

void pcfmcp__pcf_form_add(pcf_form *f, const char *name, const char *value)
{
    if (value)
        form_push(f, name, value, strlen(value), NULL, NULL);
}

void pcfmcp__pcf_form_addn(pcf_form *f, const char *name, const char *value, size_t len)
{
    form_push(f, name, value, len, NULL, NULL);
}

void pcfmcp__pcf_form_add_file(pcf_form *f, const char *name, const char *filename,
                               const char *ctype, const void *data, size_t len)
{
    form_push(f, name, data, len, filename, ctype);
}

void pcfmcp__pcf_form_add_stream(pcf_form *f, const char *name, const char *filename,
                                 const char *ctype, curl_off_t size, curl_read_callback read,
                                 curl_seek_callback seek, void *ud)
{
    form_push(f, name, "", 0, filename, ctype);
    if (f->failed)
        return;
    pcf_field *x = &f->v[f->n - 1];
    x->read = read;
    x->seek = seek;
    x->ud = ud;
    x->size = size;
}

void pcfmcp__pcf_form_free(pcf_form *f)
{
    for (size_t i = 0; i < f->n; i++) {
        pcfmcp__free(f->v[i].name);
        pcfmcp__secure_zero(f->v[i].value, f->v[i].len);
        pcfmcp__free(f->v[i].value);
        pcfmcp__free(f->v[i].filename);
        pcfmcp__free(f->v[i].ctype);
    }
    pcfmcp__free(f->v);
    memset(f, 0, sizeof(*f));
}

static char *form_urlencoded(const pcf_form *f, const char *csrf, size_t *len)
{
    pcfmcp__buf b;
    pcfmcp__buf_init(&b);
    if (csrf) {
        pcfmcp__buf_puts(&b, "csrf_token=");
        pcfmcp__pcf_urlencode(&b, csrf, strlen(csrf));
    }
    for (size_t i = 0; f && i < f->n; i++) {
        if (b.len)
            pcfmcp__buf_putc(&b, '&');
        pcfmcp__pcf_urlencode(&b, f->v[i].name, strlen(f->v[i].name));
        pcfmcp__buf_putc(&b, '=');
        pcfmcp__pcf_urlencode(&b, f->v[i].value, f->v[i].len);
    }
    pcfmcp__buf_putc(&b, '\0');
    if (!pcfmcp__buf_ok(&b)) {
        pcfmcp__buf_free(&b);
        return NULL;
    }
    char *s = pcfmcp__buf_steal(&b, len);
    *len -= 1;
    return s;
}

static curl_mime *form_mime(CURL *h, const pcf_form *f, const char *csrf)
{
    curl_mime *m = curl_mime_init(h);
    if (!m)
        return NULL;
    if (csrf) {
        curl_mimepart *p = curl_mime_addpart(m);
        if (!p || curl_mime_name(p, "csrf_token") || curl_mime_data(p, csrf, CURL_ZERO_TERMINATED))
            goto fail;
    }
    for (size_t i = 0; i < f->n; i++) {
        const pcf_field *x = &f->v[i];
        curl_mimepart *p = curl_mime_addpart(m);
        if (!p || curl_mime_name(p, x->name))
            goto fail;
        if (x->read) {
            /* A form built again (after a fresh login) reads from the start. */
            if ((x->seek && x->seek(x->ud, 0, SEEK_SET) != CURL_SEEKFUNC_OK) ||
                curl_mime_data_cb(p, x->size, x->read, x->seek, NULL, x->ud))
                goto fail;
        } else if (curl_mime_data(p, x->value, x->len)) {
            goto fail;
        }
        if (x->filename &&
            (curl_mime_filename(p, x->filename) || curl_mime_type(p, x->ctype)))
            goto fail;
    }
    return m;
fail:
    curl_mime_free(m);
    return NULL;
}

char *pcfmcp__pcf_abs_url(pcfmcp_pcf_t *pcf, const char *path)
{
    pcfmcp__buf b;
    pcfmcp__buf_init(&b);
    pcfmcp__buf_puts(&b, pcf->cfg.base_url);
    pcfmcp__buf_puts(&b, path);
    if (!pcfmcp__buf_ok(&b)) {
        pcfmcp__buf_free(&b);
        return NULL;
    }
    return pcfmcp__buf_steal(&b, NULL);
}

/* ------------------------------------------------------------------ answers */

static pcfmcp__pcf_answer answer_of(const pcf_call *c, const pcf_http_resp *r)
{
    pcfmcp__pcf_answer a = { .status = r->status,
                             .content_type = r->content_type,
                             .body = r->body.data ? r->body.data : "",
                             .len = r->body.len,
                             .basic_configured = c->pcf->cfg.basic_user != NULL };
    return a;
}

pcfmcp_error_t pcfmcp__pcf_ui_unexpected(pcf_call *c, const pcf_http_resp *resp,
                                         const char *what)
{
    pcfmcp__pcf_answer a = answer_of(c, resp);
    cJSON *errors = NULL;
    if (pcfmcp__pcf_html_errors(a.body, a.len, &errors) && cJSON_GetArraySize(errors) > 0) {
        c->res->status = (int)resp->status;
        pcfmcp__pcf_fail_errors(c->res, PCFMCP_ERR_PCF, errors, NULL);
        cJSON_Delete(errors);
        return c->res->err;
    }
    cJSON_Delete(errors);
    if (resp->status == 200 || (resp->status >= 300 && resp->status < 400)) {
        c->res->status = (int)resp->status;
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_BAD_RESPONSE,
                                "PCF answered %s with HTTP %ld but not as expected", what,
                                resp->status);
    }
    return pcfmcp__pcf_fail_status(c->res, &a);
}

/* ------------------------------------------------------------------ login */

static pcfmcp_error_t login(pcf_call *c)
{
    pcfmcp_pcf_t *pcf = c->pcf;
    pcf->ui_logged_in = false;
    pcfmcp__secure_free(pcf->csrf);
    pcf->csrf = NULL;
    /* A fresh session: the old cookie may belong to an expired one. */
    curl_easy_setopt(pcf->ui, CURLOPT_COOKIELIST, "ALL");

    pcf_http_req get = { .label = "ui_login_page", .path = "/login", .read_only = true,
                         .ui = true };
    pcf_http_resp resp;
    memset(&resp, 0, sizeof(resp));
    pcfmcp_error_t rc = pcfmcp__pcf_http(c, &get, &resp);
    if (rc != PCFMCP_OK)
        goto out;
    if (resp.status != 200) {
        rc = pcfmcp__pcf_ui_unexpected(c, &resp, "the login page");
        goto out;
    }
    char *csrf = pcfmcp__pcf_html_csrf(resp.body.data, resp.body.len);
    if (!csrf) {
        c->res->status = 200;
        rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_BAD_RESPONSE,
                              "PCF's login page has no csrf_token field");
        goto out;
    }
    pcfmcp__pcf_http_resp_free(&resp);

    pcf_form f;
    memset(&f, 0, sizeof(f));
    pcfmcp__pcf_form_add(&f, "email", pcf->email);
    pcfmcp__pcf_form_add(&f, "password", pcf->password);
    size_t len = 0;
    char *body = f.failed ? NULL : form_urlencoded(&f, csrf, &len);
    pcfmcp__pcf_form_free(&f);
    if (!body) {
        pcfmcp__secure_free(csrf);
        rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
        goto out;
    }
    pcf_http_req post = { .label = "ui_login",
                          .post = true,
                          .path = "/login",
                          .content_type = "application/x-www-form-urlencoded",
                          .body = body,
                          .body_len = len,
                          .ui = true };
    rc = pcfmcp__pcf_http(c, &post, &resp);
    pcfmcp__secure_zero(body, len);
    pcfmcp__free(body);
    if (rc != PCFMCP_OK) {
        pcfmcp__secure_free(csrf);
        goto out;
    }
    const char *html = resp.body.data;
    size_t hl = resp.body.len;
    c->res->status = (int)resp.status;
    if (resp.status == 302 && !pcfmcp__pcf_location_is_login(resp.location)) {
        pcf->csrf = csrf;
        pcf->ui_logged_in = true;
        PCFMCP_LOG(pcf->log, PCFMCP_LOG_INFO, "pcf", "logged in to the PCF web UI");
        rc = PCFMCP_OK;
    } else {
        pcfmcp__secure_free(csrf);
        if (resp.status == 200 || resp.status == 302)
            rc = pcfmcp__pcf_fail(
                c->res, PCFMCP_ERR_AUTH, "PCF web login failed: %s",
                pcfmcp__pcf_html_has(html, hl, "Wrong password!")
                    ? "wrong password for pcf.email"
                : pcfmcp__pcf_html_has(html, hl, "Email does not exist!")
                    ? "pcf.email is not a PCF user"
                    : "the login form came back; check pcf.email/pcf.password");
        else if (resp.status == 400)
            rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_HTTP,
                                  "PCF rejected the login form's CSRF token (HTTP 400)");
        else
            rc = pcfmcp__pcf_ui_unexpected(c, &resp, "the login form");
    }
out:
    pcfmcp__pcf_http_resp_free(&resp);
    return rc;
}

pcfmcp_error_t pcfmcp__pcf_ui_begin(pcf_call *c)
{
    pcfmcp_pcf_t *pcf = c->pcf;
    if (!pcfmcp__pcf_has_login(pcf))
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_UNSUPPORTED,
                                "%s needs the web session: configure pcf.email and "
                                "pcf.password",
                                c->desc->label);
    pcfmcp_error_t rc = pcfmcp__pcf_lock_until(c, &pcf->ui_lock, "the web session");
    if (rc != PCFMCP_OK)
        return rc;
    if (!pcf->ui) {
        if (!(pcf->ui = curl_easy_init())) {
            pthread_mutex_unlock(&pcf->ui_lock);
            return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
        }
        /* An in-memory cookie jar for this client's web session only. */
        curl_easy_setopt(pcf->ui, CURLOPT_COOKIEFILE, "");
    }
    if (!pcf->ui_logged_in && (rc = login(c)) != PCFMCP_OK) {
        pthread_mutex_unlock(&pcf->ui_lock);
        return rc;
    }
    return PCFMCP_OK;
}

void pcfmcp__pcf_ui_end(pcf_call *c)
{
    pthread_mutex_unlock(&c->pcf->ui_lock);
}

pcfmcp_error_t pcfmcp__pcf_ui_request(pcf_call *c, const pcf_ui_req *r, pcf_http_resp *resp)
{
    pcfmcp_pcf_t *pcf = c->pcf;
    for (int round = 0;; round++) {
        char *body = NULL;
        size_t len = 0;
        curl_mime *mime = NULL;
        if (r->post) {
            if (r->form && r->form->failed)
                return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
            if (r->form && r->form->multipart)
                mime = form_mime(pcf->ui, r->form, pcf->csrf);
            else
                body = form_urlencoded(r->form, pcf->csrf, &len);
            if (!mime && !body)
                return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
        }
        pcf_http_req req = { .label = r->label,
                             .post = r->post,
                             .path = r->path,
                             .content_type = "application/x-www-form-urlencoded",
                             .body = body,
                             .body_len = len,
                             .mime = mime,
                             .referer = r->referer,
                             .read_only = r->read_only,
                             .ui = true,
                             .long_running = r->long_running };
        memset(resp, 0, sizeof(*resp));
        pcfmcp_error_t rc = pcfmcp__pcf_http(c, &req, resp);
        if (body) {
            pcfmcp__secure_zero(body, len);
            pcfmcp__free(body);
        }
        curl_mime_free(mime);
        if (rc != PCFMCP_OK)
            return rc;
        /* PCF answers a request from an expired session with a redirect to
         * /logout (or /login) and a stale CSRF token with 400, both before
         * the route runs: nothing happened, so one more try after a fresh
         * login cannot duplicate anything. */
        bool lost = resp->status >= 300 && resp->status < 400 &&
                    pcfmcp__pcf_location_is_login(resp->location);
        bool csrf_bad = r->post && resp->status == 400;
        if ((lost || csrf_bad) && round == 0) {
            PCFMCP_LOG(pcf->log, PCFMCP_LOG_WARN, "pcf", "%s: %s; logging in again", r->label,
                       lost ? "the PCF web session ended" : "PCF refused the CSRF token");
            pcfmcp__pcf_http_resp_free(resp);
            if ((rc = login(c)) != PCFMCP_OK)
                return rc;
            continue;
        }
        c->res->status = (int)resp->status;
        if (lost) {
            pcf->ui_logged_in = false;
            return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_AUTH,
                                    "%s: PCF ended the web session right after a login",
                                    r->label);
        }
        if (csrf_bad)
            return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_HTTP,
                                    "%s: PCF refused the CSRF token (HTTP 400)", r->label);
        return PCFMCP_OK;
    }
}

/* ------------------------------------------------------------------ snapshot */

static char *project_path(const char *pid, const char *rest)
{
    pcfmcp__buf b;
    pcfmcp__buf_init(&b);
    pcfmcp__buf_puts(&b, "/project/");
    pcfmcp__pcf_urlencode(&b, pid, strlen(pid));
    pcfmcp__buf_puts(&b, rest);
    if (!pcfmcp__buf_ok(&b)) {
        pcfmcp__buf_free(&b);
        return NULL;
    }
    return pcfmcp__buf_steal(&b, NULL);
}

pcfmcp_error_t pcfmcp__pcf_ui_snapshot(pcf_call *c, const char *pid, cJSON **doc)
{
    *doc = NULL;
    char *path = project_path(pid, "/reports/export/json");
    if (!path)
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
    pcf_ui_req r = { .label = "ui_snapshot", .path = path, .read_only = true };
    pcf_http_resp resp;
    pcfmcp_error_t rc = pcfmcp__pcf_ui_request(c, &r, &resp);
    pcfmcp__free(path);
    if (rc != PCFMCP_OK) {
        pcfmcp__pcf_http_resp_free(&resp);
        return rc;
    }
    if (resp.status == 200) {
        cJSON *d = NULL;
        if (resp.body.len > 0 &&
            pcfmcp__json_parse_marking_nul(resp.body.data, resp.body.len, PCF_JSON_DEPTH, &d, NULL) ==
                PCFMCP__JSON_OK &&
            cJSON_IsObject(d)) {
            *doc = d;
            rc = PCFMCP_OK;
        } else {
            cJSON_Delete(d);
            char ex[PCF_EXCERPT_MAX + 1];
            pcfmcp__pcf_excerpt(resp.body.data ? resp.body.data : "", resp.body.len, ex,
                                sizeof(ex));
            rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_BAD_RESPONSE,
                                  "PCF's project export is not a JSON object: %s", ex);
        }
    } else if (resp.status == 302) {
        rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOT_FOUND,
                              "project not found, or this PCF user is not a member");
    } else {
        rc = pcfmcp__pcf_ui_unexpected(c, &resp, "the project export");
    }
    pcfmcp__pcf_http_resp_free(&resp);
    return rc;
}

char *pcfmcp__pcf_project_path(const char *pid, const char *rest)
{
    return project_path(pid, rest);
}

pcfmcp_error_t pcfmcp__pcf_form_services(pcf_call *c, pcf_form *f, const cJSON *services)
{
    if (!services || cJSON_IsNull(services))
        return PCFMCP_OK;
    if (!cJSON_IsObject(services))
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG,
                                "argument services must be an object {port_id: [hostname_id "
                                "or \"0\"]}");
    int ip_n = 0, host_n = 0;
    const cJSON *port;
    cJSON_ArrayForEach(port, services) {
        if (!pcfmcp__uuid_valid(port->string))
            return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG,
                                    "argument services: port ids must be UUIDs");
        const cJSON *list = port;
        bool is_ip = false;
        if (cJSON_IsObject(port)) {
            is_ip = pcfmcp__json_bool(port, "is_ip", false);
            list = cJSON_GetObjectItemCaseSensitive(port, "hostnames");
        }
        const cJSON *h;
        cJSON_ArrayForEach(h, list) {
            if (!cJSON_IsString(h))
                return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG,
                                        "argument services: hostname ids must be strings");
            if (strcmp(h->valuestring, "0") == 0) {
                is_ip = true;
                continue;
            }
            if (!pcfmcp__uuid_valid(h->valuestring))
                return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG,
                                        "argument services: hostname ids must be UUIDs or \"0\"");
            char name[24], value[80];
            snprintf(name, sizeof(name), "host_port-%d", host_n++);
            snprintf(value, sizeof(value), "%s:%s", port->string, h->valuestring);
            pcfmcp__pcf_form_add(f, name, value);
        }
        if (is_ip) {
            char name[24];
            snprintf(name, sizeof(name), "ip_port-%d", ip_n++);
            pcfmcp__pcf_form_add(f, name, port->string);
        }
    }
    return f->failed ? pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory") : PCFMCP_OK;
}

/* Runs @p fn inside the web session, with the project's export read first. */
static pcfmcp_error_t with_snapshot(pcf_call *c, const char *member)
{
    pcfmcp_error_t rc = pcfmcp__pcf_ui_begin(c);
    if (rc != PCFMCP_OK)
        return rc;
    cJSON *doc = NULL;
    rc = pcfmcp__pcf_ui_snapshot(c, pcfmcp__pcf_id(c, "project_id"), &doc);
    pcfmcp__pcf_ui_end(c);
    if (rc != PCFMCP_OK)
        return rc;
    if (!member)
        return pcfmcp__pcf_succeed(c->res, doc);
    cJSON *out = cJSON_CreateObject();
    cJSON *part = cJSON_DetachItemFromObjectCaseSensitive(doc, member);
    if (!part)
        part = cJSON_CreateObject();
    cJSON_Delete(doc);
    if (!out || !part) {
        cJSON_Delete(out);
        cJSON_Delete(part);
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
    }
    cJSON_AddItemToObject(out, member, part);
    return pcfmcp__pcf_succeed(c->res, out);
}

pcfmcp_error_t pcfmcp__pcf_run_snapshot(pcf_call *c)
{
    return with_snapshot(c, NULL);
}

pcfmcp_error_t pcfmcp__pcf_run_credentials_list(pcf_call *c)
{
    return with_snapshot(c, "credentials");
}

pcfmcp_error_t pcfmcp__pcf_run_notes_list(pcf_call *c)
{
    return with_snapshot(c, "notes");
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_project_snapshot(pcfmcp_pcf_t *pcf, const char *project_id,
                                                      pcfmcp_pcf_result_t **out)
{
    return pcfmcp__pcf_run_strs(pcf, PCFMCP__PCF_OP_PROJECT_SNAPSHOT, NULL, out, 1,
                                "project_id", project_id);
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_credentials_list(pcfmcp_pcf_t *pcf, const char *project_id,
                                                      pcfmcp_pcf_result_t **out)
{
    return pcfmcp__pcf_run_strs(pcf, PCFMCP__PCF_OP_CREDENTIALS_LIST, NULL, out, 1,
                                "project_id", project_id);
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_notes_list(pcfmcp_pcf_t *pcf, const char *project_id,
                                                pcfmcp_pcf_result_t **out)
{
    return pcfmcp__pcf_run_strs(pcf, PCFMCP__PCF_OP_NOTES_LIST, NULL, out, 1, "project_id",
                                project_id);
}
