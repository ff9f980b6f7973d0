/* Handlers for PCF features reachable only through its web session
 * (credentials, notes, the JSON export) and for reports. */
#include "core/internal.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "core/util.h"
#include "tools/handlers.h"

/* ------------------------------------------------------------ credentials */

static cJSON *cred_form(tcall *c, bool update)
{
    cJSON *a = pcfmcp__tools_pargs(c);
    if (update)
        cJSON_AddStringToObject(a, "credential_id", pcfmcp__tools_arg_str(c, "credential_id"));
    static const struct {
        const char *arg, *form;
    } map[] = { { "login", "login" },
                { "hash", "password_hash" },
                { "hash_type", "hash_type" },
                { "cleartext", "cleartext_password" },
                { "description", "comment" },
                { "source", "info_source" } };
    for (size_t i = 0; i < PCFMCP_ARRAY_LEN(map); i++) {
        const char *v = pcfmcp__tools_arg_str(c, map[i].arg);
        if (v)
            cJSON_AddStringToObject(a, map[i].form, v);
    }
    const cJSON *ports = cJSON_GetObjectItemCaseSensitive(c->args, "port_ids");
    if (ports) {
        /* PCF's form replaces the whole services map. A port that stays
         * keeps the hostnames PCF has tied to it; a new one gets none. */
        const cJSON *cur = NULL;
        if (update) {
            const cJSON *doc = pcfmcp__tools_pcf_fresh(c, PCFMCP__PCF_OP_CREDENTIALS_LIST,
                                                       pcfmcp__tools_pargs(c), NULL);
            if (!doc) {
                cJSON_Delete(a);
                return NULL;
            }
            cur = pcfmcp__json_obj(cJSON_GetObjectItemCaseSensitive(
                                       pcfmcp__json_obj(doc, "credentials"),
                                       pcfmcp__tools_arg_str(c, "credential_id")),
                                   "services");
        }
        cJSON *svc = cJSON_AddObjectToObject(a, "services");
        const cJSON *p;
        cJSON_ArrayForEach(p, ports) {
            const cJSON *kept = cJSON_GetObjectItemCaseSensitive(cur, p->valuestring);
            /* The export gives {ip, is_ip, hostnames}; the form takes it as is. */
            if (cJSON_IsObject(kept) || (cJSON_IsArray(kept) && cJSON_GetArraySize(kept) > 0)) {
                cJSON_AddItemToObject(svc, p->valuestring, cJSON_Duplicate(kept, true));
            } else {
                cJSON *arr = cJSON_AddArrayToObject(svc, p->valuestring);
                cJSON_AddItemToArray(arr, cJSON_CreateString("0"));
            }
        }
    }
    return a;
}

pcfmcp_error_t pcfmcp__th_list_credentials(tcall *c)
{
    const cJSON *doc =
        pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_CREDENTIALS_LIST, pcfmcp__tools_pargs(c), NULL);
    if (!doc)
        return PCFMCP_ERR_PCF;
    const char *text = pcfmcp__tools_arg_str(c, "text");
    cJSON *items = cJSON_CreateArray();
    const cJSON *x;
    cJSON_ArrayForEach(x, pcfmcp__json_obj(doc, "credentials")) {
        if (text && !pcfmcp__tools_icontains(pcfmcp__json_str(x, "login"), text) &&
            !pcfmcp__tools_icontains(pcfmcp__json_str(x, "description"), text) &&
            !pcfmcp__tools_icontains(pcfmcp__json_str(x, "source"), text))
            continue;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "id", x->string);
        static const char *const keys[] = { "login", "hash", "hash_type", "cleartext",
                                            "description", "source" };
        for (size_t i = 0; i < PCFMCP_ARRAY_LEN(keys); i++) {
            const char *v = pcfmcp__json_str(x, keys[i]);
            cJSON_AddStringToObject(o, keys[i], v ? v : "");
        }
        cJSON *svc = cJSON_AddArrayToObject(o, "services");
        const cJSON *s;
        cJSON_ArrayForEach(s, pcfmcp__json_obj(x, "services"))
            cJSON_AddItemToArray(svc, cJSON_CreateString(s->string));
        cJSON_AddItemToArray(items, o);
    }
    cJSON_AddStringToObject(pcfmcp__tools_out(c), "project_id", c->project_id);
    TOOL_SAY(c, "{} credential(s).", MA_INT(cJSON_GetArraySize(items)));
    return pcfmcp__tools_page(c, "credentials", items);
}

pcfmcp_error_t pcfmcp__th_add_credential(tcall *c)
{
    const cJSON *doc = pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_CREDENTIAL_CREATE, cred_form(c, false), NULL);
    if (!doc)
        return PCFMCP_ERR_PCF;
    const char *id = pcfmcp__json_str(doc, "credential_id");
    cJSON *out = pcfmcp__tools_out(c);
    cJSON_AddBoolToObject(out, "ok", true);
    cJSON_AddStringToObject(out, "credential_id", id ? id : "");
    TOOL_SAY(c, "Recorded credential {}.", MA_ID(id ? id : ""));
    return PCFMCP_OK;
}

pcfmcp_error_t pcfmcp__th_update_credential(tcall *c)
{
    static const char fields[] = "login hash hash_type cleartext description source port_ids";
    cJSON *a = cred_form(c, true);
    if (!a)
        return PCFMCP_ERR_PCF;
    return pcfmcp__th_update_send(c, a, 2, PCFMCP__PCF_OP_CREDENTIAL_UPDATE, "credential_id",
                                  pcfmcp__tools_arg_str(c, "credential_id"), fields,
                                  "credential", "give at least one field");
}

pcfmcp_error_t pcfmcp__th_delete_credential(tcall *c)
{
    return pcfmcp__th_delete(c, PCFMCP__PCF_OP_CREDENTIAL_DELETE, "credential_id", NULL);
}

/* ------------------------------------------------------------ notes */

pcfmcp_error_t pcfmcp__th_list_notes(tcall *c)
{
    const cJSON *doc = pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_NOTES_LIST, pcfmcp__tools_pargs(c), NULL);
    if (!doc)
        return PCFMCP_ERR_PCF;
    const char *text = pcfmcp__tools_arg_str(c, "text");
    cJSON *items = cJSON_CreateArray();
    const cJSON *x;
    cJSON_ArrayForEach(x, pcfmcp__json_obj(doc, "notes")) {
        const char *md = pcfmcp__json_str(x, "markdown");
        if (text && !pcfmcp__tools_icontains(pcfmcp__json_str(x, "name"), text) &&
            !pcfmcp__tools_icontains(md, text))
            continue;
        cJSON *o = cJSON_CreateObject();
        const char *v;
        cJSON_AddStringToObject(o, "id", x->string);
        cJSON_AddStringToObject(o, "name", (v = pcfmcp__json_str(x, "name")) ? v : "");
        cJSON_AddStringToObject(o, "host_id", (v = pcfmcp__json_str(x, "host_id")) ? v : "");
        cJSON_AddStringToObject(o, "text", md ? md : "");
        cJSON_AddItemToArray(items, o);
    }
    cJSON_AddStringToObject(pcfmcp__tools_out(c), "project_id", c->project_id);
    TOOL_SAY(c, "{} note(s).", MA_INT(cJSON_GetArraySize(items)));
    return pcfmcp__tools_page(c, "notes", items);
}

pcfmcp_error_t pcfmcp__th_add_note(tcall *c)
{
    cJSON *a = pcfmcp__tools_pargs(c);
    pcfmcp__th_copy(c, a, "name text");
    const char *host = pcfmcp__tools_arg_str(c, "host");
    if (host) {
        const char *hid = pcfmcp__th_host_id(c, host);
        if (!hid) {
            cJSON_Delete(a);
            return PCFMCP_ERR_NOT_FOUND;
        }
        cJSON_AddStringToObject(a, "host_id", hid);
    }
    const cJSON *doc = pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_NOTE_CREATE, a, NULL);
    if (!doc)
        return PCFMCP_ERR_PCF;
    const char *id = pcfmcp__json_str(doc, "note_id");
    cJSON *out = pcfmcp__tools_out(c);
    cJSON_AddBoolToObject(out, "ok", true);
    cJSON_AddStringToObject(out, "note_id", id ? id : "");
    TOOL_SAY(c, "Added note {}.", MA_ID(id ? id : ""));
    return PCFMCP_OK;
}

pcfmcp_error_t pcfmcp__th_edit_note(tcall *c)
{
    const char *id = pcfmcp__tools_arg_str(c, "note_id");
    bool text = pcfmcp__tools_has_arg(c, "text"), name = pcfmcp__tools_has_arg(c, "name");
    if (!text && !name) {
        TOOL_ERR(c, "nothing to change: give text and/or name (delete_note removes a note)");
        return PCFMCP_ERR_INVALID_ARG;
    }
    if (text) {
        cJSON *a = pcfmcp__th_args_id(c, "note_id", id);
        pcfmcp__th_copy(c, a, "text");
        if (!pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_NOTE_UPDATE, a, NULL))
            return PCFMCP_ERR_PCF;
        TOOL_SAY(c, "Replaced the text of note {}.", MA_ID(id));
    }
    if (name) {
        cJSON *a = pcfmcp__th_args_id(c, "note_id", id);
        pcfmcp__th_copy(c, a, "name");
        if (!pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_NOTE_RENAME, a, NULL)) {
            if (text)
                TOOL_ERR_MORE(c, " (the text change was applied)");
            return PCFMCP_ERR_PCF;
        }
        TOOL_SAY(c, "Renamed note {}.", MA_ID(id));
    }
    cJSON *out = pcfmcp__tools_out(c);
    cJSON_AddBoolToObject(out, "ok", true);
    cJSON_AddStringToObject(out, "note_id", id);
    pcfmcp__th_updated(c, "text name");
    return PCFMCP_OK;
}

pcfmcp_error_t pcfmcp__th_delete_note(tcall *c)
{
    return pcfmcp__th_delete(c, PCFMCP__PCF_OP_NOTE_DELETE, "note_id", NULL);
}

/* ------------------------------------------------------------ snapshot */

pcfmcp_error_t pcfmcp__th_get_project_snapshot(tcall *c)
{
    const cJSON *snap =
        pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_PROJECT_SNAPSHOT, pcfmcp__tools_pargs(c), NULL);
    if (!snap)
        return PCFMCP_ERR_PCF;
    const cJSON *want = cJSON_GetObjectItemCaseSensitive(c->args, "sections");
    bool content = pcfmcp__json_bool(c->args, "include_poc_content", false);
    cJSON *out = pcfmcp__tools_out(c);
    cJSON_AddStringToObject(out, "project_id", c->project_id);
    const cJSON *sec;
    cJSON_ArrayForEach(sec, snap) {
        bool take;
        if (want && cJSON_GetArraySize(want) > 0) {
            take = false;
            const cJSON *w;
            cJSON_ArrayForEach(w, want) take =
                take || (cJSON_IsString(w) && strcmp(w->valuestring, sec->string) == 0);
        } else {
            take = strcmp(sec->string, "pocs") != 0 && strcmp(sec->string, "tasks") != 0 &&
                   strcmp(sec->string, "paths") != 0;
        }
        if (!take)
            continue;
        cJSON *dup = cJSON_Duplicate(sec, true);
        if (strcmp(sec->string, "pocs") == 0 && !content) {
            cJSON *p;
            cJSON_ArrayForEach(p, dup) cJSON_DeleteItemFromObjectCaseSensitive(p, "content_base64");
        }
        cJSON_AddItemToObject(out, sec->string, dup);
    }
    TOOL_SAY(c, "PCF's JSON export of project {} (hosts keyed by IP, other objects by id).",
             MA_ID(c->project_id));
    return PCFMCP_OK;
}

/* ------------------------------------------------------------ reports */

static bool issue_in_scope(tcall *c, const cJSON *i)
{
    const char *minc = pcfmcp__tools_arg_str(c, "min_criticality");
    const char *crit = pcfmcp__json_str(i, "criticality");
    if (minc && pcfmcp__tools_criticality_rank(crit) < pcfmcp__tools_criticality_rank(minc))
        return false;
    const cJSON *only = cJSON_GetObjectItemCaseSensitive(c->args, "criticality");
    if (only && cJSON_GetArraySize(only) > 0) {
        bool hit = false;
        const cJSON *x;
        cJSON_ArrayForEach(x, only) hit =
            hit || (cJSON_IsString(x) && crit && strcmp(x->valuestring, crit) == 0);
        if (!hit)
            return false;
    }
    return true;
}

static bool host_wanted(const cJSON *list, const char *id, const char *ip)
{
    const cJSON *x;
    cJSON_ArrayForEach(x, list) {
        if (!cJSON_IsString(x))
            continue;
        if ((id && pcfmcp__strcaseeq(x->valuestring, id)) || (ip && strcmp(x->valuestring, ip) == 0))
            return true;
    }
    return false;
}

/* Narrows the model to the requested hosts and criticalities. */
static void scope_model(tcall *c, cJSON *model)
{
    const cJSON *hosts = cJSON_GetObjectItemCaseSensitive(c->args, "hosts");
    bool by_host = hosts && cJSON_GetArraySize(hosts) > 0;
    cJSON *issues = cJSON_GetObjectItemCaseSensitive(model, "issues");
    cJSON *i = issues ? issues->child : NULL;
    while (i) {
        cJSON *next = i->next;
        bool keep = issue_in_scope(c, i);
        if (keep && by_host) {
            cJSON *svc = cJSON_GetObjectItemCaseSensitive(i, "services");
            cJSON *s = svc ? svc->child : NULL;
            while (s) {
                cJSON *sn = s->next;
                if (!host_wanted(hosts, pcfmcp__json_str(s, "host_id"), pcfmcp__json_str(s, "ip")))
                    cJSON_Delete(cJSON_DetachItemViaPointer(svc, s));
                s = sn;
            }
            keep = cJSON_GetArraySize(svc) > 0;
        }
        if (!keep)
            cJSON_Delete(cJSON_DetachItemViaPointer(issues, i));
        i = next;
    }
    if (by_host) {
        cJSON *hl = cJSON_GetObjectItemCaseSensitive(model, "hosts");
        cJSON *h = hl ? hl->child : NULL;
        while (h) {
            cJSON *next = h->next;
            if (!host_wanted(hosts, pcfmcp__json_str(h, "id"), pcfmcp__json_str(h, "ip")))
                cJSON_Delete(cJSON_DetachItemViaPointer(hl, h));
            h = next;
        }
    }
}

static const char *ext_of(const char *format)
{
    if (strcmp(format, "html") == 0)
        return "html";
    if (strcmp(format, "json") == 0)
        return "json";
    if (strcmp(format, "csv") == 0)
        return "csv";
    return "md";
}

static const char *mime_of(const char *format)
{
    if (strcmp(format, "html") == 0)
        return "text/html";
    if (strcmp(format, "json") == 0)
        return "application/json";
    if (strcmp(format, "csv") == 0)
        return "text/csv";
    return "text/markdown";
}

static pcfmcp_error_t deliver(tcall *c, const char *uri, const char *mime, const void *data,
                              size_t len, bool text)
{
    cJSON *out = pcfmcp__tools_out(c);
    char sha[65];
    pcfmcp__sha256_hex(data, len, sha);
    cJSON_AddNumberToObject(out, "bytes", (double)len);
    cJSON_AddStringToObject(out, "sha256", sha);
    cJSON_AddStringToObject(out, "uri", uri);
    cJSON_AddStringToObject(out, "mime_type", mime);
    const char *path = pcfmcp__tools_arg_str(c, "output_path");
    if (path) {
        char why[256];
        int err = pcfmcp__tools_write_confined(c->ts->report_dir, path, data, len, why, sizeof(why));
        if (err) {
            TOOL_ERR(c, "the report was rendered but not written: {} ({})", MA_STATIC(why),
                     MA_STATIC(strerror(err)));
            return err == EPERM || err == EINVAL ? PCFMCP_ERR_DENIED : PCFMCP_ERR_IO;
        }
        cJSON_AddStringToObject(out, "written_to", path);
        TOOL_SAY(c, "Written to {} under reports.output_dir.", MA_Q(path));
    }
    if (!c->extra_content)
        c->extra_content = cJSON_CreateArray();
    cJSON *blk = cJSON_CreateObject();
    cJSON_AddStringToObject(blk, "type", "resource");
    cJSON *res = cJSON_AddObjectToObject(blk, "resource");
    cJSON_AddStringToObject(res, "uri", uri);
    cJSON_AddStringToObject(res, "mimeType", mime);
    if (text) {
        char *t = pcfmcp__strndup(data, len);
        cJSON_AddStringToObject(res, "text", t ? t : "");
        pcfmcp__free(t);
    } else {
        char *b = pcfmcp__base64_encode(data, len, NULL);
        cJSON_AddStringToObject(res, "blob", b ? b : "");
        pcfmcp__free(b);
    }
    cJSON_AddItemToArray(c->extra_content, blk);
    return PCFMCP_OK;
}

pcfmcp_error_t pcfmcp__th_generate_report(tcall *c)
{
    const char *format = pcfmcp__tools_arg_str(c, "format");
    if (!format)
        format = "markdown";
    const char *tid = pcfmcp__tools_arg_str(c, "template_id");
    if (c->ts->read_only && (tid || pcfmcp__tools_has_arg(c, "output_path"))) {
        TOOL_ERR(c, "refused in read-only mode: template_id (PCF stores a copy of every "
                    "rendered report) and output_path (writes a file) are disabled; generate "
                    "without them");
        return PCFMCP_ERR_DENIED;
    }
    if (pcfmcp__tools_has_arg(c, "output_path") && !c->ts->report_dir) {
        TOOL_ERR(c, "writing reports is disabled on this server: configure reports.output_dir, "
                    "or omit output_path to get the report inline");
        return PCFMCP_ERR_DENIED;
    }
    cJSON *out = pcfmcp__tools_out(c);
    char uri[256];
    if (tid) {
        const char *reason = NULL;
        if (pcfmcp_pcf_capability(c->pcf, "report", &reason) != PCFMCP_OK) {
            TOOL_ERR(c, "rendering a PCF report template {}. Without template_id the built-in "
                        "formats work with a token.",
                     MA_STATIC(reason ? reason : "needs the web session"));
            return PCFMCP_ERR_UNSUPPORTED;
        }
        cJSON *a = pcfmcp__tools_pargs(c);
        cJSON_AddStringToObject(a, "template_id", tid);
        /* The projects list read to resolve the name carries the report
         * title the client must check: it then need not read the project. */
        const cJSON *prj;
        cJSON_ArrayForEach(prj, c->projects_doc) {
            const char *id = pcfmcp__json_str(prj, "id");
            const char *rt = pcfmcp__json_str(prj, "report_title");
            if (id && rt && strcmp(id, c->project_id) == 0)
                cJSON_AddStringToObject(a, "report_title", rt);
        }
        if (!pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_REPORT_RENDER, a, NULL))
            return PCFMCP_ERR_PCF;
        pcfmcp_pcf_result_t *res = c->results[c->nresults - 1];
        size_t len = 0;
        const void *data = pcfmcp_pcf_result_data(res, &len);
        const char *fname = pcfmcp_pcf_result_filename(res);
        const char *ctype = pcfmcp_pcf_result_content_type(res);
        if (!data) {
            TOOL_ERR(c, "PCF rendered no file");
            return PCFMCP_ERR_BAD_RESPONSE;
        }
        bool text = ctype && (strncmp(ctype, "text/", 5) == 0 || strstr(ctype, "json"));
        char mime[128];
        snprintf(mime, sizeof(mime), "%s", ctype ? ctype : "application/octet-stream");
        char *semi = strchr(mime, ';');
        if (semi)
            *semi = '\0';
        snprintf(uri, sizeof(uri), "pcf://projects/%s/reports/%s", c->project_id,
                 fname ? fname : "report");
        for (char *p = uri; *p; p++)
            if (*p == ' ')
                *p = '_';
        cJSON_AddStringToObject(out, "format", "pcf-template");
        cJSON_AddStringToObject(out, "filename", fname ? fname : "");
        TOOL_SAY(c, "PCF rendered template {}: {} ({} bytes), embedded below.", MA_ID(tid),
                 MA_Q(fname ? fname : "report"), MA_INT(len));
        if (text && !pcfmcp__utf8_valid(data, len, NULL))
            text = false;
        return deliver(c, uri, mime, data, len, text);
    }
    cJSON *model = pcfmcp__tools_model(c, M_PORTS | M_POCS | M_SETTINGS);
    if (!model)
        return PCFMCP_ERR_PCF;
    scope_model(c, model);
    pcfmcp__tools_clean_tree(model, 20000);
    const char *title = pcfmcp__tools_arg_str(c, "title");
    pcfmcp__buf b;
    pcfmcp__buf_init(&b);
    if (!pcfmcp__tools_report(&b, model, format, title)) {
        pcfmcp__buf_free(&b);
        cJSON_Delete(model);
        TOOL_ERR(c, "out of memory while rendering the report");
        return PCFMCP_ERR_NOMEM;
    }
    cJSON *issues = cJSON_GetObjectItemCaseSensitive(model, "issues");
    cJSON *by = cJSON_AddObjectToObject(out, "by_criticality");
    static const char *const crits[] = { "critical", "high", "medium", "low", "info" };
    for (size_t k = 0; k < 5; k++)
        cJSON_AddNumberToObject(by, crits[k], 0);
    const cJSON *i;
    cJSON_ArrayForEach(i, issues) pcfmcp__th_count(by, pcfmcp__json_str(i, "criticality"));
    cJSON_AddStringToObject(out, "format", format);
    cJSON_AddNumberToObject(out, "issues", cJSON_GetArraySize(issues));
    cJSON_AddNumberToObject(out, "hosts",
                            cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(model, "hosts")));
    snprintf(uri, sizeof(uri), "pcf://projects/%s/reports/report.%s", c->project_id,
             ext_of(format));
    TOOL_SAY(c, "Rendered a {} report of {} issue(s) on {} host(s) ({} bytes); it is embedded "
                "below as {}.",
             MA_ID(format), MA_INT(cJSON_GetArraySize(issues)),
             MA_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(model, "hosts"))),
             MA_INT(b.len), MA_ID(uri));
    cJSON_Delete(model);
    pcfmcp_error_t rc = deliver(c, uri, mime_of(format), b.data, b.len, true);
    pcfmcp__buf_free(&b);
    return rc;
}
