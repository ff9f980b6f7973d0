/* Issue templates: listed from the "Add from template" menu of a project's
 * issues page (the only place PCF names them with their ids) plus their
 * content from /download_issue_templates; an issue is created from one with
 * the template form of the project. */
#include "core/internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/json.h"
#include "core/util.h"
#include "pcf/workspace.h"

#define MAX_TEMPLATES 2000

/* POST /download_issue_templates for @p ids (JSON array of strings). */
static pcfmcp_error_t download(pcf_call *c, const cJSON *ids, cJSON **out)
{
    *out = NULL;
    pcf_form f;
    memset(&f, 0, sizeof(f));
    const cJSON *e;
    cJSON_ArrayForEach(e, ids)
        pcfmcp__pcf_form_add(&f, "template_id", e->valuestring);
    pcf_ui_req r = { .label = "ui_issue_templates_download", .post = true,
                     .path = "/download_issue_templates", .form = &f, .read_only = true };
    pcf_http_resp resp;
    pcfmcp_error_t rc = pcfmcp__pcf_ui_request(c, &r, &resp);
    pcfmcp__pcf_form_free(&f);
    if (rc == PCFMCP_OK) {
        cJSON *doc = NULL;
        if (resp.status == 200 && resp.body.len &&
            pcfmcp__json_parse(resp.body.data, resp.body.len, PCF_JSON_DEPTH, &doc, NULL) ==
                PCFMCP__JSON_OK &&
            cJSON_IsArray(doc)) {
            *out = doc;
        } else {
            cJSON_Delete(doc);
            rc = pcfmcp__pcf_ui_unexpected(c, &resp, "the issue template download");
        }
    }
    pcfmcp__pcf_http_resp_free(&resp);
    return rc;
}

/* Menu entries: <a ... href="/project/<pid>/issue_template/<tid>/" ...>
 * <div class="ui COLOR empty circular label"></div> NAME (Personal|Team: X)</a> */
static cJSON *parse_menu(const char *html)
{
    cJSON *list = cJSON_CreateArray();
    const char *p = html;
    while (list && (p = strstr(p, "/issue_template/")) != NULL) {
        p += strlen("/issue_template/");
        char id[37];
        if (!pcfmcp__pcf_find_uuid_after(p - 16, "/issue_template/", id)) {
            continue;
        }
        const char *open_end = strchr(p, '>');
        const char *close = open_end ? strstr(open_end, "</a>") : NULL;
        if (!close)
            break;
        bool seen = false;
        const cJSON *x;
        cJSON_ArrayForEach(x, list)
            seen |= pcfmcp__json_str_is(x, "id", id);
        if (!seen && cJSON_GetArraySize(list) < MAX_TEMPLATES) {
            char *text = pcfmcp__ws_html_text(open_end + 1, (size_t)(close - open_end - 1));
            cJSON *t = cJSON_CreateObject();
            if (!text || !t) {
                pcfmcp__free(text);
                cJSON_Delete(t);
                cJSON_Delete(list);
                return NULL;
            }
            cJSON_AddStringToObject(t, "id", id);
            /* "NAME (Personal)" / "NAME (Team: Red Team)": the last " (". */
            char *owner = NULL;
            size_t tl = strlen(text);
            if (tl && text[tl - 1] == ')') {
                char *q = NULL;
                for (char *s = text; (s = strstr(s, " (")) != NULL; s++)
                    q = s;
                if (q) {
                    text[tl - 1] = '\0';
                    *q = '\0';
                    owner = q + 2;
                }
            }
            cJSON_AddStringToObject(t, "tpl_name", text);
            cJSON_AddStringToObject(t, "owner", owner ? owner : "");
            cJSON_AddItemToArray(list, t);
            pcfmcp__free(text);
        }
        p = close;
    }
    return list;
}

pcfmcp_error_t pcfmcp__pcf_run_issue_templates(pcf_call *c)
{
    pcfmcp_error_t rc = pcfmcp__pcf_ui_begin(c);
    if (rc != PCFMCP_OK)
        return rc;
    pcf_http_resp resp;
    cJSON *menu = NULL, *full = NULL, *ids = NULL;
    if ((rc = pcfmcp__ws_request(c, "ui_issues_page", false, "/issues/", NULL, NULL, &resp)) !=
        PCFMCP_OK)
        goto out;
    if (resp.status == 302) {
        rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOT_FOUND,
                              "project not found, or this PCF user is not a member");
        goto out;
    }
    if (resp.status != 200) {
        rc = pcfmcp__pcf_ui_unexpected(c, &resp, "the issues page");
        goto out;
    }
    menu = parse_menu(pcfmcp__ws_body(&resp));
    ids = cJSON_CreateArray();
    if (!menu || !ids) {
        rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
        goto out;
    }
    const cJSON *t;
    cJSON_ArrayForEach(t, menu)
        cJSON_AddItemToArray(ids, cJSON_CreateString(pcfmcp__json_str(t, "id")));
    if (cJSON_GetArraySize(ids) > 0 && (rc = download(c, ids, &full)) != PCFMCP_OK)
        goto out;
    /* PCF answers in the order asked, leaving out what it cannot show. */
    bool aligned = cJSON_GetArraySize(full) == cJSON_GetArraySize(menu);
    cJSON *t2;
    cJSON_ArrayForEach(t2, menu) {
        const char *name = pcfmcp__json_str(t2, "tpl_name");
        const cJSON *body = NULL;
        if (aligned) {
            int i = 0;
            const cJSON *m;
            cJSON_ArrayForEach(m, menu) {
                if (m == t2)
                    break;
                i++;
            }
            body = cJSON_GetArrayItem(full, i);
        } else {
            const cJSON *x;
            cJSON_ArrayForEach(x, full)
                if (!body && name && pcfmcp__json_str_is(x, "tpl_name", name))
                    body = x;
        }
        const cJSON *f;
        cJSON_ArrayForEach(f, body)
            if (strcmp(f->string, "tpl_name") != 0)
                cJSON_AddItemToObject(t2, f->string, cJSON_Duplicate(f, true));
    }
    cJSON *doc = cJSON_CreateObject();
    if (doc) {
        cJSON_AddItemToObject(doc, "templates", menu);
        menu = NULL;
    }
    rc = pcfmcp__ws_succeed(c, doc);
out:
    pcfmcp__pcf_ui_end(c);
    pcfmcp__pcf_http_resp_free(&resp);
    cJSON_Delete(menu);
    cJSON_Delete(full);
    cJSON_Delete(ids);
    return rc;
}

/* PCF converts a variable's value with Python's int()/float()/bool(int())
 * and silently leaves the placeholder in place when that fails, so values
 * are checked here and rendered the way PCF will put them in the text. */
static bool variable_text(const char *type, const cJSON *v, char *out, size_t n)
{
    char raw[256];
    if (cJSON_IsString(v))
        snprintf(raw, sizeof(raw), "%s", v->valuestring);
    else if (cJSON_IsBool(v))
        snprintf(raw, sizeof(raw), "%d", cJSON_IsTrue(v) ? 1 : 0);
    else if (cJSON_IsNumber(v))
        snprintf(raw, sizeof(raw), "%.15g", v->valuedouble);
    else
        return false;
    if (strcmp(type, "text") == 0) {
        if (cJSON_IsString(v)) {
            /* Text may be longer than raw: the caller reads it directly. */
            return snprintf(out, n, "%s", v->valuestring) < (int)n;
        }
        snprintf(out, n, "%s", raw);
        return true;
    }
    char *end = NULL;
    const char *s = raw;
    while (*s == ' ')
        s++;
    if (!*s) {
        /* An empty value becomes the type's zero. */
        snprintf(out, n, "%s", strcmp(type, "float") == 0 ? "0.0" : "0");
        return true;
    }
    if (strcmp(type, "number") == 0 || strcmp(type, "boolean") == 0) {
        long long x = strtoll(s, &end, 10);
        if (!end || end == s || *end)
            return false;
        if (strcmp(type, "boolean") == 0)
            x = x != 0;
        snprintf(out, n, "%lld", x);
        return true;
    }
    if (strcmp(type, "float") == 0) {
        double d = strtod(s, &end);
        if (!end || end == s || *end || !isfinite(d))
            return false;
        snprintf(out, n, "%.15g", d);
        if (!strpbrk(out, ".e"))
            strncat(out, ".0", n - strlen(out) - 1);
        return true;
    }
    return false;
}

pcfmcp_error_t pcfmcp__pcf_run_issue_from_template(pcf_call *c)
{
    const char *tid = pcfmcp__pcf_id(c, "template_id");
    const cJSON *given = cJSON_GetObjectItemCaseSensitive(c->body, "variables");
    if (given && !cJSON_IsNull(given) && !cJSON_IsObject(given))
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG,
                                "argument variables must be an object {name: value}");
    pcfmcp_error_t rc = pcfmcp__pcf_ui_begin(c);
    if (rc != PCFMCP_OK)
        return rc;
    cJSON *ids = cJSON_CreateArray(), *list = NULL, *doc = NULL;
    pcf_form f;
    memset(&f, 0, sizeof(f));
    pcf_http_resp resp;
    memset(&resp, 0, sizeof(resp));
    pcfmcp__buf name;
    pcfmcp__buf_init(&name);
    if (!ids || !cJSON_AddItemToArray(ids, cJSON_CreateString(tid))) {
        rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
        goto out;
    }
    if ((rc = download(c, ids, &list)) != PCFMCP_OK)
        goto out;
    const cJSON *tpl = cJSON_GetArrayItem(list, 0);
    if (!tpl) {
        rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOT_FOUND,
                              "no issue template with this id is visible to this PCF user "
                              "(list_issue_templates shows them)");
        goto out;
    }
    const cJSON *vars = cJSON_GetObjectItemCaseSensitive(tpl, "variables");
    const cJSON *g;
    cJSON_ArrayForEach(g, given) {
        if (!cJSON_GetObjectItemCaseSensitive(vars, g->string)) {
            pcfmcp__buf known;
            pcfmcp__buf_init(&known);
            const cJSON *v;
            cJSON_ArrayForEach(v, vars)
                pcfmcp__buf_printf(&known, "%s%s", known.len ? ", " : "", v->string);
            rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG,
                                  "the template has no variable \"%s\" (it has: %s)", g->string,
                                  known.len ? known.data : "none");
            pcfmcp__buf_free(&known);
            goto out;
        }
    }
    /* Every variable is sent: one left out would stay as __name__ in the text. */
    cJSON *values = cJSON_CreateObject();
    cJSON_AddItemToObject(c->body, "__values", values);
    const cJSON *v;
    cJSON_ArrayForEach(v, vars) {
        const char *type = pcfmcp__json_str(v, "type");
        if (!type)
            type = "text";
        const cJSON *val = cJSON_GetObjectItemCaseSensitive(given, v->string);
        if (!val)
            val = cJSON_GetObjectItemCaseSensitive(v, "value");
        const char *sv = cJSON_IsString(val) ? val->valuestring : NULL;
        char text[4096];
        if (!variable_text(type, val ? val : cJSON_GetObjectItemCaseSensitive(v, "value"), text,
                           sizeof(text)) && !(sv && strcmp(type, "text") == 0)) {
            rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG,
                                  "variable \"%s\" is of type %s; this value does not convert "
                                  "(PCF would leave __%s__ in the issue)",
                                  v->string, type, v->string);
            goto out;
        }
        const char *send = strcmp(type, "text") == 0 && sv ? sv : text;
        pcfmcp__pcf_form_add(&f, "variable_name", v->string);
        pcfmcp__pcf_form_add(&f, "variable_type", type);
        pcfmcp__pcf_form_add(&f, "variable_value", send);
        cJSON_AddStringToObject(values, v->string, send);
    }
    /* The route reads these four with request.form[...]: without them PCF
     * answers 400 (see UI-ENDPOINTS.md §11). */
    static const char *const extra[] = { "cvss_graph", "impact", "exploitability", "risk" };
    for (size_t i = 0; i < PCFMCP_ARRAY_LEN(extra); i++) {
        const char *x = pcfmcp__json_str(c->body, extra[i]);
        pcfmcp__pcf_form_add(&f, extra[i], x ? x : "");
    }
    char rest[96];
    snprintf(rest, sizeof(rest), "/issue_template/%s/", tid);
    if ((rc = pcfmcp__ws_request(c, "ui_issue_from_template", true, rest, &f, NULL, &resp)) !=
        PCFMCP_OK)
        goto out;
    char iid[37] = "";
    if (resp.status == 302 && resp.location &&
        pcfmcp__pcf_find_uuid_after(resp.location, "/issue/", iid)) {
        /* The issue's name as PCF built it: __name__ -> value. */
        const char *tn = pcfmcp__json_str(tpl, "name");
        for (const char *s = tn ? tn : ""; *s;) {
            bool hit = false;
            const cJSON *val;
            cJSON_ArrayForEach(val, values) {
                size_t l = strlen(val->string);
                if (strncmp(s, "__", 2) == 0 && strncmp(s + 2, val->string, l) == 0 &&
                    strncmp(s + 2 + l, "__", 2) == 0) {
                    pcfmcp__buf_puts(&name, val->valuestring);
                    s += l + 4;
                    hit = true;
                    break;
                }
            }
            if (!hit)
                pcfmcp__buf_putc(&name, *s++);
        }
        doc = cJSON_CreateObject();
        if (doc) {
            cJSON_AddStringToObject(doc, "issue_id", iid);
            cJSON_AddStringToObject(doc, "name", name.data ? name.data : "");
            cJSON_AddStringToObject(doc, "template_name", pcfmcp__json_str(tpl, "tpl_name")
                                                              ? pcfmcp__json_str(tpl, "tpl_name")
                                                              : "");
            cJSON_AddItemToObject(doc, "variables", cJSON_Duplicate(values, true));
        }
        rc = pcfmcp__ws_succeed(c, doc);
        doc = NULL;
    } else if (resp.status == 302) {
        rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOT_FOUND,
                              "PCF refused the template for this project (unknown template, "
                              "or the project is archived)");
    } else if (resp.status == 200) {
        /* PCF's template page does not show the errors it collected. */
        rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_PCF,
                              "PCF did not create the issue and its page names no reason (its "
                              "template form hides its own errors)");
        c->res->status = 200;
    } else {
        rc = pcfmcp__pcf_ui_unexpected(c, &resp, "the issue from a template");
    }
out:
    pcfmcp__pcf_ui_end(c);
    pcfmcp__pcf_http_resp_free(&resp);
    pcfmcp__pcf_form_free(&f);
    pcfmcp__buf_free(&name);
    cJSON_Delete(ids);
    cJSON_Delete(list);
    cJSON_Delete(doc);
    return rc;
}
