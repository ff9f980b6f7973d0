/* Helpers shared by the workspace operations (workspace.h): requests on a
 * project's pages, export excerpts, PCF's error blocks, HTML text. */
#include "core/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "core/util.h"
#include "pcf/workspace.h"

pcfmcp_error_t pcfmcp__ws_request(pcf_call *c, const char *label, bool post, const char *rest,
                                  const pcf_form *form, const char *referer_rest,
                                  pcf_http_resp *resp)
{
    memset(resp, 0, sizeof(*resp));
    const char *pid = pcfmcp__pcf_id(c, "project_id");
    char *path = pcfmcp__pcf_project_path(pid, rest);
    char *ref_path = referer_rest ? pcfmcp__pcf_project_path(pid, referer_rest) : NULL;
    char *referer = ref_path ? pcfmcp__pcf_abs_url(c->pcf, ref_path) : NULL;
    pcfmcp__free(ref_path);
    pcfmcp_error_t rc;
    if (!path || (referer_rest && !referer)) {
        rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
    } else {
        pcf_ui_req r = { .label = label, .post = post, .path = path, .form = form,
                         .referer = referer, .read_only = !post };
        rc = pcfmcp__pcf_ui_request(c, &r, resp);
    }
    pcfmcp__free(path);
    pcfmcp__free(referer);
    return rc;
}

pcfmcp_error_t pcfmcp__ws_export_part(pcf_call *c, const char *member, cJSON **out)
{
    *out = NULL;
    cJSON *doc = NULL;
    pcfmcp_error_t rc = pcfmcp__pcf_ui_snapshot(c, pcfmcp__pcf_id(c, "project_id"), &doc);
    if (rc != PCFMCP_OK)
        return rc;
    cJSON *part = cJSON_DetachItemFromObjectCaseSensitive(doc, member);
    cJSON_Delete(doc);
    if (!cJSON_IsObject(part)) {
        cJSON_Delete(part);
        part = cJSON_CreateObject();
    }
    if (!part)
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
    *out = part;
    return PCFMCP_OK;
}

const char *pcfmcp__ws_body(const pcf_http_resp *resp)
{
    return resp->body.data && resp->body.len ? resp->body.data : "";
}

bool pcfmcp__ws_page_errors(pcf_call *c, const pcf_http_resp *resp)
{
    cJSON *errors = NULL;
    bool has = pcfmcp__pcf_html_errors(resp->body.data, resp->body.len, &errors);
    if (has) {
        c->res->status = (int)resp->status;
        if (errors && cJSON_GetArraySize(errors) > 0)
            pcfmcp__pcf_fail_errors(c->res, PCFMCP_ERR_PCF, errors, NULL);
        else
            pcfmcp__pcf_fail(c->res, PCFMCP_ERR_PCF, "PCF refused the form");
    }
    cJSON_Delete(errors);
    return has;
}

pcfmcp_error_t pcfmcp__ws_op_begin(pcf_call *c, ws_op *op)
{
    pcfmcp_error_t rc = pcfmcp__pcf_ui_begin(c);
    op->began = rc == PCFMCP_OK;
    return rc;
}

void pcfmcp__ws_op_end(pcf_call *c, ws_op *op)
{
    if (op->began)
        pcfmcp__pcf_ui_end(c);
    op->began = false;
    pcfmcp__pcf_http_resp_free(&op->resp);
    pcfmcp__pcf_form_free(&op->f);
    cJSON_Delete(op->before);
    cJSON_Delete(op->after);
    op->before = op->after = NULL;
}

pcfmcp_error_t pcfmcp__ws_list_op(pcf_call *c, const char *key,
                                  pcfmcp_error_t (*read)(pcf_call *c, cJSON **out))
{
    pcfmcp_error_t rc = pcfmcp__pcf_ui_begin(c);
    if (rc != PCFMCP_OK)
        return rc;
    cJSON *list = NULL;
    rc = read(c, &list);
    pcfmcp__pcf_ui_end(c);
    if (rc != PCFMCP_OK)
        return rc;
    const char *const keys[] = { key };
    cJSON **vals[] = { &list };
    return pcfmcp__ws_succeed_with(c, 1, keys, vals);
}

pcfmcp_error_t pcfmcp__ws_submit(pcf_call *c, const char *label, const char *rest,
                                 const pcf_form *form, const char *what, pcf_http_resp *resp)
{
    pcfmcp_error_t rc = pcfmcp__ws_request(c, label, true, rest, form, NULL, resp);
    if (rc != PCFMCP_OK)
        return rc;
    if (resp->status != 200)
        return pcfmcp__pcf_ui_unexpected(c, resp, what);
    if (pcfmcp__ws_page_errors(c, resp))
        return c->res->err;
    return PCFMCP_OK;
}

/* &name; and &#N; / &#xN; for the entities Jinja's escaping produces, plus
 * numeric ones generally (encoded back as UTF-8). */
static size_t entity(const char *s, size_t n, pcfmcp__buf *b)
{
    static const struct {
        const char *name;
        char ch;
    } named[] = { { "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' }, { "&quot;", '"' },
                  { "&apos;", '\'' }, { "&nbsp;", ' ' } };
    for (size_t k = 0; k < PCFMCP_ARRAY_LEN(named); k++) {
        size_t l = strlen(named[k].name);
        if (n >= l && memcmp(s, named[k].name, l) == 0) {
            pcfmcp__buf_putc(b, named[k].ch);
            return l;
        }
    }
    if (n < 4 || s[1] != '#')
        return 0;
    bool hex = s[2] == 'x' || s[2] == 'X';
    size_t i = hex ? 3 : 2;
    unsigned long v = 0;
    size_t digits = 0;
    while (i < n && i < 12 && s[i] != ';') {
        int d = pcfmcp__hexval(s[i]);
        if (d < 0 || (!hex && d > 9))
            return 0;
        v = v * (hex ? 16 : 10) + (unsigned long)d;
        i++;
        digits++;
    }
    if (i >= n || s[i] != ';' || digits == 0 || v == 0 || v > 0x10FFFF ||
        (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    char u[4];
    size_t ul;
    if (v < 0x80) {
        u[0] = (char)v;
        ul = 1;
    } else if (v < 0x800) {
        u[0] = (char)(0xC0 | (v >> 6));
        u[1] = (char)(0x80 | (v & 0x3F));
        ul = 2;
    } else if (v < 0x10000) {
        u[0] = (char)(0xE0 | (v >> 12));
        u[1] = (char)(0x80 | ((v >> 6) & 0x3F));
        u[2] = (char)(0x80 | (v & 0x3F));
        ul = 3;
    } else {
        u[0] = (char)(0xF0 | (v >> 18));
        u[1] = (char)(0x80 | ((v >> 12) & 0x3F));
        u[2] = (char)(0x80 | ((v >> 6) & 0x3F));
        u[3] = (char)(0x80 | (v & 0x3F));
        ul = 4;
    }
    pcfmcp__buf_append(b, u, ul);
    return i + 1;
}

static char *decode(const char *s, size_t n, bool fold)
{
    pcfmcp__buf b;
    pcfmcp__buf_init(&b);
    bool space = false;
    size_t i = 0;
    while (i < n) {
        char ch = s[i];
        if (fold && ch == '<') {
            const char *gt = memchr(s + i, '>', n - i);
            i = gt ? (size_t)(gt - s) + 1 : n;
            space = true;
            continue;
        }
        if (fold && (ch == ' ' || ch == '\t' || ch == '\n' || ch == '\r')) {
            space = true;
            i++;
            continue;
        }
        if (space && b.len)
            pcfmcp__buf_putc(&b, ' ');
        space = false;
        size_t used = ch == '&' ? entity(s + i, n - i, &b) : 0;
        if (used) {
            i += used;
            continue;
        }
        pcfmcp__buf_putc(&b, ch);
        i++;
    }
    /* Pages are bytes: what reaches a result (and its JSON) is UTF-8. */
    pcfmcp__buf out;
    pcfmcp__buf_init(&out);
    pcfmcp__buf_put_utf8(&out, b.data ? b.data : "", b.len);
    pcfmcp__buf_putc(&out, '\0');
    bool ok = pcfmcp__buf_ok(&b) && pcfmcp__buf_ok(&out);
    pcfmcp__buf_free(&b);
    if (!ok) {
        pcfmcp__buf_free(&out);
        return NULL;
    }
    return pcfmcp__buf_steal(&out, NULL);
}

char *pcfmcp__ws_html_text(const char *s, size_t n)
{
    return decode(s, n, true);
}

char *pcfmcp__ws_html_unescape(const char *s, size_t n)
{
    return decode(s, n, false);
}

void pcfmcp__ws_form_list(pcf_form *f, const char *prefix, const cJSON *arr)
{
    int i = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, arr) {
        if (!cJSON_IsString(e))
            continue;
        char name[48];
        snprintf(name, sizeof(name), "%s-%d", prefix, i++);
        pcfmcp__pcf_form_add(f, name, e->valuestring);
    }
}

cJSON *pcfmcp__ws_service_pairs(pcf_call *c, const cJSON *services)
{
    cJSON *out = cJSON_CreateArray();
    if (!out) {
        pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
        return NULL;
    }
    const cJSON *port;
    cJSON_ArrayForEach(port, services) {
        const cJSON *list = cJSON_IsObject(port)
                                ? cJSON_GetObjectItemCaseSensitive(port, "hostnames")
                                : port;
        bool is_ip = cJSON_IsObject(port) && pcfmcp__json_bool(port, "is_ip", false);
        bool any = false;
        const cJSON *h;
        cJSON_ArrayForEach(h, list) {
            if (!cJSON_IsString(h))
                continue;
            char pair[80];
            snprintf(pair, sizeof(pair), "%s:%s", port->string, h->valuestring);
            cJSON_AddItemToArray(out, cJSON_CreateString(pair));
            any = true;
        }
        if (is_ip || !any) {
            char pair[80];
            snprintf(pair, sizeof(pair), "%s:0", port->string);
            cJSON_AddItemToArray(out, cJSON_CreateString(pair));
        }
    }
    return out;
}

pcfmcp_error_t pcfmcp__ws_succeed(pcf_call *c, cJSON *doc)
{
    if (!doc)
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
    if (!cJSON_GetObjectItemCaseSensitive(doc, "status"))
        cJSON_AddStringToObject(doc, "status", "ok");
    return pcfmcp__pcf_succeed(c->res, doc);
}

pcfmcp_error_t pcfmcp__ws_succeed_with(pcf_call *c, size_t n, const char *const *keys,
                                       cJSON **const *vals)
{
    cJSON *doc = cJSON_CreateObject();
    for (size_t i = 0; i < n; i++) {
        cJSON *v = *vals[i];
        *vals[i] = NULL;
        if (!doc || !v || !cJSON_AddItemToObject(doc, keys[i], v)) {
            cJSON_Delete(v);
            cJSON_Delete(doc);
            doc = NULL;
        }
    }
    return pcfmcp__ws_succeed(c, doc);
}

pcfmcp_error_t pcfmcp__ws_export_member(pcf_call *c, const char *member)
{
    pcfmcp_error_t rc = pcfmcp__pcf_ui_begin(c);
    if (rc != PCFMCP_OK)
        return rc;
    cJSON *part = NULL;
    rc = pcfmcp__ws_export_part(c, member, &part);
    pcfmcp__pcf_ui_end(c);
    if (rc != PCFMCP_OK)
        return rc;
    cJSON **v[] = { &part };
    return pcfmcp__ws_succeed_with(c, 1, &member, v);
}

pcfmcp_error_t pcfmcp__ws_read_page(pcf_call *c, const char *label, const char *rest,
                                    const char *what,
                                    cJSON *(*parse)(const char *html, const char *pid),
                                    cJSON **out)
{
    *out = NULL;
    pcf_http_resp resp;
    pcfmcp_error_t rc = pcfmcp__ws_request(c, label, false, rest, NULL, NULL, &resp);
    if (rc == PCFMCP_OK) {
        if (resp.status == 200) {
            if (!(*out = parse(pcfmcp__ws_body(&resp), pcfmcp__pcf_id(c, "project_id"))))
                rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
        } else if (resp.status == 302) {
            rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOT_FOUND,
                                  "project not found, or this PCF user is not a member");
        } else {
            rc = pcfmcp__pcf_ui_unexpected(c, &resp, what);
        }
    }
    pcfmcp__pcf_http_resp_free(&resp);
    return rc;
}

/* ------------------------------------------------------------ public: any operation */

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_call(pcfmcp_pcf_t *pcf, const char *operation,
                                          const char *args_json, pcfmcp_pcf_result_t **out)
{
    if (!pcf || !operation || !out)
        return PCFMCP_ERR_INVALID_ARG;
    *out = NULL;
    for (int op = 0; op < PCFMCP__PCF_OP_COUNT; op++) {
        if (strcmp(pcfmcp__pcf_ops[op].label, operation) != 0)
            continue;
        cJSON *args = cJSON_CreateObject();
        if (!args)
            return pcfmcp__pcf_early(out, PCFMCP_ERR_NOMEM, "out of memory");
        return pcfmcp__pcf_public(pcf, (pcfmcp__pcf_op)op, args, args_json ? args_json : "{}",
                                  out);
    }
    return pcfmcp__pcf_early(out, PCFMCP_ERR_INVALID_ARG,
                             "unknown operation (pcfmcp_pcf_operations() lists them)");
}

static cJSON *words(const char *list)
{
    cJSON *arr = cJSON_CreateArray();
    for (const char *p = list ? list : ""; arr && *p;) {
        while (*p == ' ')
            p++;
        size_t n = strcspn(p, " ");
        if (n) {
            char *w = pcfmcp__strndup(p, n);
            if (w)
                cJSON_AddItemToArray(arr, cJSON_CreateString(w));
            pcfmcp__free(w);
        }
        p += n;
    }
    return arr;
}

/* The {name} variables of an API v1 route, as a space-separated list. */
static void route_ids(const char *route, pcfmcp__buf *b)
{
    for (const char *p = route; (p = strchr(p, '{')) != NULL;) {
        const char *e = strchr(p, '}');
        if (!e)
            break;
        pcfmcp__buf_printf(b, "%s%.*s", b->len ? " " : "", (int)(e - p - 1), p + 1);
        p = e + 1;
    }
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_operations(char **out)
{
    if (!out)
        return PCFMCP_ERR_INVALID_ARG;
    cJSON *arr = cJSON_CreateArray();
    bool ok = arr != NULL;
    for (int op = 0; ok && op < PCFMCP__PCF_OP_COUNT; op++) {
        const pcf_op_desc *d = &pcfmcp__pcf_ops[op];
        cJSON *o = cJSON_CreateObject();
        pcfmcp__buf ids;
        pcfmcp__buf_init(&ids);
        if (d->path)
            route_ids(d->path, &ids);
        ok &= o && pcfmcp__buf_ok(&ids) && cJSON_AddItemToArray(arr, o);
        ok &= pcfmcp__json_put_str(o, "name", d->label);
        ok &= pcfmcp__json_put_bool(o, "writes", (d->flags & PCF_F_WRITE) != 0);
        ok &= pcfmcp__json_put_bool(o, "web_session", (d->flags & PCF_F_UI) != 0);
        ok &= pcfmcp__json_put(o, "ids", words(d->path ? ids.data : d->ids));
        ok &= pcfmcp__json_put(o, "required", words(d->required));
        pcfmcp__buf_free(&ids);
    }
    char *s = ok ? pcfmcp__json_print(arr, NULL) : NULL;
    cJSON_Delete(arr);
    if (!s)
        return PCFMCP_ERR_NOMEM;
    *out = s;
    return PCFMCP_OK;
}

/* ------------------------------------------------------------ token info */

/* What this client knows of its own token: PCF offers no way to list an
 * account's tokens, so the one in use is all there is to show. */
pcfmcp_error_t pcfmcp__pcf_run_token_info(pcf_call *c)
{
    pcfmcp_pcf_result_t *sub = NULL;
    pcfmcp_error_t rc = pcfmcp__pcf_subcall(c, PCFMCP__PCF_OP_TOKEN_CHECK, NULL, &sub);
    if (rc != PCFMCP_OK) {
        if (sub)
            pcfmcp__pcf_result_move(c->res, sub);
        pcfmcp_pcf_result_free(sub);
        return rc;
    }
    const cJSON *chk = pcfmcp__pcf_result_cjson(sub);
    pcfmcp_pcf_t *pcf = c->pcf;
    char prefix[9] = "";
    pthread_mutex_lock(&pcf->tok_lock);
    if (pcf->token && strlen(pcf->token) >= 8)
        memcpy(prefix, pcf->token, 8);
    pthread_mutex_unlock(&pcf->tok_lock);
    cJSON *doc = cJSON_CreateObject();
    bool ok = doc != NULL;
    pcfmcp__pcf_put_str(doc, "id_prefix", prefix, &ok);
    pcfmcp__pcf_put_str(doc, "source",
                        pcfmcp__pcf_has_login(pcf) ? "created by this server from pcf.email"
                                                   : "configured (pcf.token)",
                        &ok);
    pcfmcp__pcf_put_bool(doc, "renewable", pcfmcp__pcf_has_login(pcf), &ok);
    pcfmcp__pcf_put_num(doc, "created", pcfmcp__json_num(chk, "creation_date", 0), &ok);
    pcfmcp__pcf_put_num(doc, "duration", pcfmcp__json_num(chk, "duration", 0), &ok);
    pcfmcp_pcf_result_free(sub);
    if (!ok) {
        cJSON_Delete(doc);
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
    }
    return pcfmcp__ws_succeed(c, doc);
}
