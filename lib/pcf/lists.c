/* List imports and exports of the web UI: credentials from delimited text,
 * credential word lists, hosts from a list. PCF's importers have defects
 * that lose or corrupt data (UI-ENDPOINTS.md §11): the "do not check"
 * switches never work, the source column overwrites the login, the comment
 * column is ignored, and the hosts importer erases the description and OS
 * of hosts that already exist. So input is cleaned and checked here, the
 * broken columns are never used, existing hosts never go through PCF's
 * importer, and every count is measured by re-reading. */
#include "core/internal.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/json.h"
#include "core/util.h"
#include "pcf/workspace.h"

#define MAX_REJECTED 200

static void reject(cJSON *list, int line, const char *what, const char *reason)
{
    if (cJSON_GetArraySize(list) >= MAX_REJECTED)
        return;
    cJSON *r = cJSON_CreateObject();
    if (line > 0)
        cJSON_AddNumberToObject(r, "line", line);
    if (what)
        cJSON_AddStringToObject(r, "value", what);
    cJSON_AddStringToObject(r, "reason", reason);
    cJSON_AddItemToArray(list, r);
}

/* Python's str.split(sep) field @p idx (1-based) of @p line, or NULL. */
static char *field(const char *line, const char *sep, int idx)
{
    size_t sl = strlen(sep);
    const char *p = line;
    for (int i = 1; i < idx; i++) {
        const char *q = strstr(p, sep);
        if (!q)
            return NULL;
        p = q + sl;
    }
    const char *q = strstr(p, sep);
    return pcfmcp__strndup(p, q ? (size_t)(q - p) : strlen(p));
}

static int count_fields(const char *line, const char *sep)
{
    int n = 1;
    size_t sl = strlen(sep);
    for (const char *p = line; (p = strstr(p, sep)) != NULL; p += sl)
        n++;
    return n;
}

/* ------------------------------------------------------------ credentials */

pcfmcp_error_t pcfmcp__pcf_run_credentials_import(pcf_call *c)
{
    const char *content = pcfmcp__json_str(c->body, "content");
    const char *sep = pcfmcp__json_str(c->body, "delimiter");
    if (!sep || !*sep)
        sep = ";";
    static const char *const cols[] = { "login_column", "hash_column", "cleartext_column" };
    static const char *const form_cols[] = { "login_num", "hash_num", "cleartext_num" };
    int col[3], maxcol = 0;
    for (int i = 0; i < 3; i++) {
        double v = pcfmcp__json_num(c->body, cols[i], 0);
        if (v < 0 || v > 100 || v != (int)v)
            return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG,
                                    "argument %s must be 0 (none) to 100", cols[i]);
        col[i] = (int)v;
        if (col[i] > maxcol)
            maxcol = col[i];
        for (int j = 0; j < i; j++)
            if (col[i] && col[i] == col[j])
                return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG,
                                        "%s and %s name the same column", cols[j], cols[i]);
    }
    if (!col[0])
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG,
                                "argument login_column is required (1 = first column)");
    bool skip_dups = pcfmcp__json_bool(c->body, "skip_duplicates", true);
    const char *hash_type = pcfmcp__json_str(c->body, "hash_type");
    const char *desc = pcfmcp__json_str(c->body, "description");
    const char *source = pcfmcp__json_str(c->body, "source");
    cJSON *before = NULL, *after = NULL, *rejected = cJSON_CreateArray();
    pcfmcp__buf keep;
    pcfmcp__buf_init(&keep);
    char *copy = pcfmcp__strdup(content ? content : "");
    int kept = 0, blank = 0, dups = 0;
    pcf_form f;
    memset(&f, 0, sizeof(f));
    pcf_http_resp resp;
    memset(&resp, 0, sizeof(resp));
    pcfmcp_error_t rc;
    if (!copy || !rejected) {
        rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
        goto done;
    }
    if ((rc = pcfmcp__pcf_ui_begin(c)) != PCFMCP_OK)
        goto done;
    if ((rc = pcfmcp__ws_export_part(c, "credentials", &before)) != PCFMCP_OK)
        goto out;
    int lineno = 0;
    char *save = NULL;
    /* strtok_r would skip empty lines silently; walk them to count. */
    for (char *line = copy; line; line = save) {
        char *nl = strchr(line, '\n');
        save = nl ? nl + 1 : NULL;
        if (nl)
            *nl = '\0';
        lineno++;
        size_t ll = strlen(line);
        if (ll && line[ll - 1] == '\r')
            line[--ll] = '\0';
        bool empty = true;
        for (const char *q = line; *q; q++)
            empty &= isspace((unsigned char)*q) != 0;
        if (empty) {
            blank++;
            continue;
        }
        /* PCF refuses the whole file when one row is short. */
        if (count_fields(line, sep) < maxcol) {
            reject(rejected, lineno, NULL, "fewer columns than the highest column index");
            continue;
        }
        if (skip_dups) {
            char *v[3] = { NULL, NULL, NULL };
            for (int i = 0; i < 3; i++)
                v[i] = col[i] ? field(line, sep, col[i]) : pcfmcp__strdup("");
            bool dup = false;
            const cJSON *cr;
            cJSON_ArrayForEach(cr, before) {
                const char *l = pcfmcp__json_str(cr, "login"), *h = pcfmcp__json_str(cr, "hash"),
                           *t = pcfmcp__json_str(cr, "cleartext");
                if (v[0] && v[1] && v[2] && l && h && t && strcmp(l, v[0]) == 0 &&
                    strcmp(h, v[1]) == 0 && strcmp(t, v[2]) == 0)
                    dup = true;
            }
            for (int i = 0; i < 3; i++)
                pcfmcp__free(v[i]);
            if (dup) {
                dups++;
                continue;
            }
        }
        if (keep.len)
            pcfmcp__buf_putc(&keep, '\n');
        pcfmcp__buf_puts(&keep, line);
        kept++;
    }
    if (!pcfmcp__buf_ok(&keep)) {
        rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
        goto out;
    }
    if (kept) {
        pcfmcp__pcf_form_addn(&f, "content", keep.data, keep.len);
        pcfmcp__pcf_form_add(&f, "delimiter", sep);
        for (int i = 0; i < 3; i++) {
            char num[8];
            snprintf(num, sizeof(num), "%d", col[i]);
            pcfmcp__pcf_form_add(&f, form_cols[i], num);
        }
        /* comment_num and source_num stay 0: PCF ignores the first and
         * writes the second into the login. */
        pcfmcp__pcf_form_add(&f, "hash_type", hash_type ? hash_type : "");
        pcfmcp__pcf_form_add(&f, "comment", desc ? desc : "");
        pcfmcp__pcf_form_add(&f, "info_source", source ? source : "");
        if ((rc = pcfmcp__ws_submit(c, "ui_credentials_import", "/credentials/import_creds", &f,
                                    "the credentials import", &resp)) != PCFMCP_OK)
            goto out;
    }
    if ((rc = pcfmcp__ws_export_part(c, "credentials", &after)) != PCFMCP_OK)
        goto out;
    int nb = cJSON_GetArraySize(before), na = cJSON_GetArraySize(after);
    cJSON *doc = cJSON_CreateObject();
    if (doc) {
        cJSON_AddNumberToObject(doc, "added", na - nb);
        cJSON_AddNumberToObject(doc, "lines_sent", kept);
        cJSON_AddNumberToObject(doc, "skipped_duplicates", dups);
        cJSON_AddNumberToObject(doc, "blank_lines", blank);
        cJSON_AddNumberToObject(doc, "credentials_before", nb);
        cJSON_AddNumberToObject(doc, "credentials_after", na);
        cJSON_AddItemToObject(doc, "rejected", rejected);
        rejected = NULL;
    }
    rc = pcfmcp__ws_succeed(c, doc);
out:
    pcfmcp__pcf_ui_end(c);
done:
    pcfmcp__pcf_http_resp_free(&resp);
    pcfmcp__pcf_form_free(&f);
    pcfmcp__buf_free(&keep);
    pcfmcp__free(copy);
    cJSON_Delete(before);
    cJSON_Delete(after);
    cJSON_Delete(rejected);
    return rc;
}

pcfmcp_error_t pcfmcp__pcf_run_credentials_export(pcf_call *c)
{
    const char *type = pcfmcp__json_str(c->body, "export_type");
    static const char *const types[] = { "usernames", "passwords", "user_pass",
                                         "user_pass_variations" };
    bool ok = false;
    for (size_t i = 0; i < PCFMCP_ARRAY_LEN(types); i++)
        ok |= type && strcmp(type, types[i]) == 0;
    if (!ok)
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG,
                                "argument export_type must be usernames, passwords, user_pass or "
                                "user_pass_variations");
    const char *div = pcfmcp__json_str(c->body, "divider");
    pcf_form f;
    memset(&f, 0, sizeof(f));
    pcfmcp__pcf_form_add(&f, "export_type", type);
    pcfmcp__pcf_form_add(&f, "divider", div ? div : ":");
    pcfmcp__pcf_form_add(&f, "empty_passwords",
                         pcfmcp__json_bool(c->body, "empty_passwords", false) ? "1" : "0");
    pcfmcp__pcf_form_add(&f, "login_as_password",
                         pcfmcp__json_bool(c->body, "login_as_password", false) ? "1" : "0");
    pcfmcp__pcf_form_add(&f, "show_in_browser", "1");
    pcfmcp_error_t rc = pcfmcp__pcf_ui_begin(c);
    if (rc != PCFMCP_OK) {
        pcfmcp__pcf_form_free(&f);
        return rc;
    }
    pcf_http_resp resp;
    rc = pcfmcp__ws_request(c, "ui_credentials_export", true, "/credentials/export", &f, NULL,
                            &resp);
    pcfmcp__pcf_ui_end(c);
    if (rc == PCFMCP_OK && resp.status == 200 && resp.content_type &&
        strncmp(resp.content_type, "text/plain", 10) == 0) {
        cJSON *lines = cJSON_CreateArray();
        const char *b = pcfmcp__ws_body(&resp);
        const char *end = b + strlen(b);
        for (const char *p = b; lines && p < end;) {
            const char *nl = memchr(p, '\n', (size_t)(end - p));
            size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
            char *s = pcfmcp__strndup(p, n);
            if (s)
                cJSON_AddItemToArray(lines, cJSON_CreateString(s));
            pcfmcp__free(s);
            p = nl ? nl + 1 : end;
        }
        cJSON *doc = lines ? cJSON_CreateObject() : NULL;
        if (doc) {
            cJSON_AddNumberToObject(doc, "count", cJSON_GetArraySize(lines));
            cJSON_AddItemToObject(doc, "lines", lines);
        } else {
            cJSON_Delete(lines);
        }
        rc = pcfmcp__ws_succeed(c, doc);
    } else if (rc == PCFMCP_OK && resp.status == 302 && resp.location &&
               strstr(resp.location, "/credentials/")) {
        rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_PCF, "PCF refused the export form");
    } else if (rc == PCFMCP_OK && resp.status == 302) {
        rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOT_FOUND,
                              "project not found, or this PCF user is not a member");
    } else if (rc == PCFMCP_OK) {
        rc = pcfmcp__pcf_ui_unexpected(c, &resp, "the credentials export");
    }
    pcfmcp__pcf_http_resp_free(&resp);
    pcfmcp__pcf_form_free(&f);
    return rc;
}

/* ------------------------------------------------------------ hosts */

static bool valid_ip(const char *s)
{
    unsigned char buf[16];
    return s && (inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1);
}

/* What PCF's email_validator accepts as a domain: dotted labels of letters,
 * digits and hyphens, not all-numeric at the end. */
static bool valid_domain(const char *s)
{
    size_t n = strlen(s);
    if (n == 0 || n > 253 || !strchr(s, '.') || s[n - 1] == '.')
        return false;
    const char *label = s;
    bool digits_only = true;
    for (const char *p = s;; p++) {
        if (*p == '.' || *p == '\0') {
            size_t l = (size_t)(p - label);
            if (l == 0 || l > 63 || label[0] == '-' || p[-1] == '-')
                return false;
            if (*p == '\0')
                return !digits_only;
            label = p + 1;
            digits_only = true;
            continue;
        }
        if (!isalnum((unsigned char)*p) && *p != '-')
            return false;
        digits_only &= isdigit((unsigned char)*p) != 0;
    }
}

/* Removes what would break PCF's line format: newlines and the delimiter. */
static void clean_value(pcfmcp__buf *b, const char *v)
{
    for (const char *p = v ? v : ""; *p; p++)
        pcfmcp__buf_putc(b, (*p == '\n' || *p == '\r' || *p == '\x1f') ? ' ' : *p);
}

static pcfmcp_error_t hosts_by_ip(pcf_call *c, cJSON **out)
{
    *out = NULL;
    cJSON *args = cJSON_CreateObject();
    bool ok = args != NULL;
    pcfmcp__pcf_put_str(args, "project_id", pcfmcp__pcf_id(c, "project_id"), &ok);
    pcfmcp_pcf_result_t *sub = NULL;
    pcfmcp_error_t rc = ok ? pcfmcp__pcf_subcall(c, PCFMCP__PCF_OP_HOSTS_LIST, args, &sub)
                           : pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
    cJSON_Delete(args);
    if (rc == PCFMCP_OK) {
        cJSON *map = cJSON_CreateObject();
        const cJSON *h;
        cJSON_ArrayForEach(h, cJSON_GetObjectItemCaseSensitive(pcfmcp__pcf_result_cjson(sub), "hosts")) {
            const char *ip = pcfmcp__json_str(h, "ip");
            if (map && ip && !cJSON_GetObjectItemCaseSensitive(map, ip))
                cJSON_AddItemToObject(map, ip, cJSON_Duplicate(h, true));
        }
        if (!map)
            rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
        *out = map;
    } else if (sub) {
        pcfmcp__pcf_result_move(c->res, sub);
    }
    pcfmcp_pcf_result_free(sub);
    return rc;
}

pcfmcp_error_t pcfmcp__pcf_run_hosts_import(pcf_call *c)
{
    const cJSON *hosts = cJSON_GetObjectItemCaseSensitive(c->body, "hosts");
    const cJSON *threats = cJSON_GetObjectItemCaseSensitive(c->body, "threats");
    if (!cJSON_IsArray(hosts) || cJSON_GetArraySize(hosts) == 0)
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG,
                                "argument hosts must be a non-empty array of {ip, hostname, "
                                "description, os}");
    cJSON *before = NULL, *after = NULL, *rejected = cJSON_CreateArray();
    cJSON *fresh = cJSON_CreateObject(); /* ip -> {description, os, hostnames[]} */
    cJSON *kept = cJSON_CreateArray();
    pcfmcp__buf content;
    pcfmcp__buf_init(&content);
    pcf_form f;
    memset(&f, 0, sizeof(f));
    pcf_http_resp resp;
    memset(&resp, 0, sizeof(resp));
    int existing = 0, hn_added = 0, lines = 0;
    pcfmcp_error_t rc = pcfmcp__pcf_ui_begin(c);
    if (rc != PCFMCP_OK)
        goto done;
    if (!rejected || !fresh || !kept) {
        rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
        goto out;
    }
    if ((rc = hosts_by_ip(c, &before)) != PCFMCP_OK)
        goto out;
    int idx = 0;
    const cJSON *h;
    cJSON *touched = cJSON_CreateObject();
    cJSON_AddItemToObject(c->body, "__touched", touched);
    cJSON_ArrayForEach(h, hosts) {
        idx++;
        const char *ip = pcfmcp__json_str(h, "ip");
        const char *hn = pcfmcp__json_str(h, "hostname");
        if (!valid_ip(ip)) {
            reject(rejected, idx, ip, "not an IPv4 or IPv6 address");
            continue;
        }
        if (hn && *hn && !valid_domain(hn)) {
            reject(rejected, idx, hn, "not a host name PCF accepts (dotted DNS labels)");
            continue;
        }
        const cJSON *old = cJSON_GetObjectItemCaseSensitive(before, ip);
        if (old) {
            /* PCF's importer would overwrite this host's description and OS:
             * add only the hostname, through API v1. */
            if (!cJSON_GetObjectItemCaseSensitive(touched, ip)) {
                existing++;
                cJSON_AddTrueToObject(touched, ip);
            }
            if ((pcfmcp__json_str(h, "description") && *pcfmcp__json_str(h, "description")) ||
                (pcfmcp__json_str(h, "os") && *pcfmcp__json_str(h, "os")))
                cJSON_AddItemToArray(kept, cJSON_CreateString(ip));
            if (hn && *hn) {
                bool have = false;
                const cJSON *x;
                cJSON_ArrayForEach(x, cJSON_GetObjectItemCaseSensitive(old, "hostnames"))
                    have |= pcfmcp__json_str_is(x, "hostname", hn);
                if (!have) {
                    cJSON *a = cJSON_CreateObject();
                    bool ok = a != NULL;
                    pcfmcp__pcf_put_str(a, "project_id", pcfmcp__pcf_id(c, "project_id"), &ok);
                    pcfmcp__pcf_put_str(a, "host_id", pcfmcp__json_str(old, "id"), &ok);
                    pcfmcp__pcf_put_str(a, "hostname", hn, &ok);
                    pcfmcp_pcf_result_t *sub = NULL;
                    rc = ok ? pcfmcp__pcf_subcall(c, PCFMCP__PCF_OP_HOSTNAME_ADD, a, &sub)
                            : pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
                    cJSON_Delete(a);
                    if (rc == PCFMCP_OK) {
                        hn_added++;
                        cJSON *hl = cJSON_GetObjectItemCaseSensitive((cJSON *)old, "hostnames");
                        cJSON *nh = cJSON_CreateObject();
                        cJSON_AddStringToObject(nh, "hostname", hn);
                        if (hl)
                            cJSON_AddItemToArray(hl, nh);
                        else
                            cJSON_Delete(nh);
                    } else {
                        char why[300];
                        snprintf(why, sizeof(why), "adding the hostname failed: %s",
                                 sub ? pcfmcp_pcf_result_message(sub) : "out of memory");
                        reject(rejected, idx, hn, why);
                        rc = PCFMCP_OK;
                    }
                    pcfmcp_pcf_result_free(sub);
                }
            }
            continue;
        }
        /* A new host: one line per hostname, the same description and OS on
         * each (PCF re-applies them for every line of the same IP). */
        cJSON *e = cJSON_GetObjectItemCaseSensitive(fresh, ip);
        if (!e) {
            e = cJSON_CreateObject();
            cJSON_AddItemToObject(fresh, ip, e);
            cJSON_AddStringToObject(e, "description", "");
            cJSON_AddStringToObject(e, "os", "");
            cJSON_AddItemToObject(e, "hostnames", cJSON_CreateArray());
        }
        static const char *const keys[] = { "description", "os" };
        for (int k = 0; k < 2; k++) {
            const char *v = pcfmcp__json_str(h, keys[k]);
            if (v && *v && !*pcfmcp__json_str(e, keys[k]))
                cJSON_ReplaceItemInObjectCaseSensitive(e, keys[k], cJSON_CreateString(v));
        }
        if (hn && *hn)
            cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(e, "hostnames"),
                                 cJSON_CreateString(hn));
    }
    const cJSON *e;
    cJSON_ArrayForEach(e, fresh) {
        const cJSON *hns = cJSON_GetObjectItemCaseSensitive(e, "hostnames");
        int nh = cJSON_GetArraySize(hns);
        for (int i = 0; i < (nh ? nh : 1); i++) {
            if (content.len)
                pcfmcp__buf_putc(&content, '\n');
            clean_value(&content, e->string);
            pcfmcp__buf_putc(&content, '\x1f');
            if (nh)
                clean_value(&content, cJSON_GetArrayItem(hns, i)->valuestring);
            pcfmcp__buf_putc(&content, '\x1f');
            clean_value(&content, pcfmcp__json_str(e, "description"));
            pcfmcp__buf_putc(&content, '\x1f');
            clean_value(&content, pcfmcp__json_str(e, "os"));
            lines++;
        }
    }
    if (!pcfmcp__buf_ok(&content)) {
        rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
        goto out;
    }
    if (lines) {
        /* The unit separator cannot occur in the cleaned values, and PCF's
         * line strip (tabs, CR, LF) leaves it alone. */
        pcfmcp__pcf_form_addn(&f, "content", content.data, content.len);
        pcfmcp__pcf_form_add(&f, "delimiter", "\x1f");
        pcfmcp__pcf_form_add(&f, "host_num", "1");
        pcfmcp__pcf_form_add(&f, "hostname_num", "2");
        pcfmcp__pcf_form_add(&f, "description_num", "3");
        pcfmcp__pcf_form_add(&f, "os_num", "4");
        const cJSON *t;
        cJSON_ArrayForEach(t, threats)
            if (cJSON_IsString(t))
                pcfmcp__pcf_form_add(&f, "threats", t->valuestring);
        if ((rc = pcfmcp__ws_request(c, "ui_hosts_import", true, "/hosts/import_hosts", &f, NULL,
                                     &resp)) != PCFMCP_OK)
            goto out;
        if (resp.status != 200) {
            rc = pcfmcp__pcf_ui_unexpected(c, &resp, "the hosts import");
            goto out;
        }
        /* "N lines were not added due to format error!" is reported below
         * per IP; any other error block refused the whole import. */
        cJSON *errors = NULL;
        if (pcfmcp__pcf_html_errors(resp.body.data, resp.body.len, &errors)) {
            bool format_only = cJSON_GetArraySize(errors) > 0;
            const cJSON *m;
            cJSON_ArrayForEach(m, errors)
                format_only &= cJSON_IsString(m) && strstr(m->valuestring, "lines were not added");
            if (!format_only) {
                c->res->status = 200;
                rc = pcfmcp__pcf_fail_errors(c->res, PCFMCP_ERR_PCF, errors, NULL);
                cJSON_Delete(errors);
                goto out;
            }
        }
        cJSON_Delete(errors);
    }
    if ((rc = hosts_by_ip(c, &after)) != PCFMCP_OK)
        goto out;
    int created = 0;
    cJSON *new_ids = cJSON_CreateArray();
    cJSON_ArrayForEach(e, fresh) {
        const cJSON *nh = cJSON_GetObjectItemCaseSensitive(after, e->string);
        if (nh) {
            created++;
            cJSON_AddItemToArray(new_ids, cJSON_CreateString(pcfmcp__json_str(nh, "id")));
            hn_added += cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(nh, "hostnames"));
        } else {
            reject(rejected, 0, e->string, "PCF did not create this host (format error)");
        }
    }
    cJSON *doc = cJSON_CreateObject();
    if (doc) {
        cJSON_AddNumberToObject(doc, "created", created);
        cJSON_AddNumberToObject(doc, "existing", existing);
        cJSON_AddNumberToObject(doc, "hostnames_added", hn_added);
        cJSON_AddNumberToObject(doc, "hosts_before", cJSON_GetArraySize(before));
        cJSON_AddNumberToObject(doc, "hosts_after", cJSON_GetArraySize(after));
        cJSON_AddItemToObject(doc, "new_host_ids", new_ids);
        cJSON_AddItemToObject(doc, "unchanged_existing", kept);
        cJSON_AddItemToObject(doc, "rejected", rejected);
        kept = rejected = NULL;
    } else {
        cJSON_Delete(new_ids);
    }
    rc = pcfmcp__ws_succeed(c, doc);
out:
    pcfmcp__pcf_ui_end(c);
done:
    pcfmcp__pcf_http_resp_free(&resp);
    pcfmcp__pcf_form_free(&f);
    pcfmcp__buf_free(&content);
    cJSON_Delete(before);
    cJSON_Delete(after);
    cJSON_Delete(rejected);
    cJSON_Delete(fresh);
    cJSON_Delete(kept);
    return rc;
}
