/* Handlers: issue templates, issue triage (bulk edit, merge, bulk delete,
 * main PoC, share link), the task board, project files and chats. The PCF
 * operations (lib/pcf/workspace.h) verify their effect by re-reading; these
 * handlers shape arguments and answers for a model. */
#include "core/internal.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/json.h"
#include "core/util.h"
#include "tools/handlers.h"
#include "tools/t_workspace.h"

/* Largest file download_file hands to the model (base64 grows it by a third). */
#define MAX_DOWNLOAD (8u * 1024 * 1024)

static void iso_date(cJSON *o, const char *key, double t)
{
    char buf[16] = "";
    if (t > 0)
        pcfmcp__utc_format(t, false, buf, sizeof(buf));
    cJSON_AddStringToObject(o, key, buf);
}

cJSON *pcfmcp__tw_array_copy(const cJSON *v)
{
    return cJSON_IsArray(v) ? cJSON_Duplicate(v, true) : cJSON_CreateArray();
}

/* {port_id: [hostname_id or "0"]} -> [{port_id, hostname_id}] */
static cJSON *service_list(const cJSON *map)
{
    cJSON *arr = cJSON_CreateArray();
    const cJSON *p;
    cJSON_ArrayForEach(p, map) {
        const cJSON *h;
        const cJSON *list = cJSON_IsObject(p) ? cJSON_GetObjectItemCaseSensitive(p, "hostnames") : p;
        bool any = false;
        cJSON_ArrayForEach(h, list) {
            if (!cJSON_IsString(h))
                continue;
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "port_id", p->string);
            if (strcmp(h->valuestring, "0") != 0)
                cJSON_AddStringToObject(o, "hostname_id", h->valuestring);
            cJSON_AddItemToArray(arr, o);
            any = true;
        }
        if (!any || (cJSON_IsObject(p) && pcfmcp__json_bool(p, "is_ip", false))) {
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "port_id", p->string);
            cJSON_AddItemToArray(arr, o);
        }
    }
    return arr;
}

/* The `services` argument, if any, into a[key] in PCF's form. */
static bool put_services(tcall *c, cJSON *a, const char *arg, const char *key)
{
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(c->args, arg);
    if (!list || cJSON_IsNull(list))
        return true;
    cJSON *svc = pcfmcp__th_build_services(c, list);
    if (!svc)
        return false;
    cJSON_AddItemToObject(a, key, svc);
    return true;
}

/* ------------------------------------------------------------ issue templates */

pcfmcp_error_t pcfmcp__th_list_issue_templates(tcall *c)
{
    const cJSON *doc = pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_ISSUE_TEMPLATES, pcfmcp__tools_pargs(c),
                                         NULL);
    if (!doc)
        return PCFMCP_ERR_PCF;
    const char *text = pcfmcp__tools_arg_str(c, "text");
    cJSON *items = cJSON_CreateArray();
    const cJSON *t;
    cJSON_ArrayForEach(t, pcfmcp__json_arr(doc, "templates")) {
        const char *tn = pcfmcp__json_str(t, "tpl_name"), *n = pcfmcp__json_str(t, "name");
        if (text && !pcfmcp__tools_icontains(tn, text) && !pcfmcp__tools_icontains(n, text))
            continue;
        cJSON *o = cJSON_CreateObject();
        static const char *const strs[] = { "id", "tpl_name", "owner", "name", "type", "status",
                                            "cve", "description" };
        for (size_t i = 0; i < PCFMCP_ARRAY_LEN(strs); i++) {
            const char *v = pcfmcp__json_str(t, strs[i]);
            cJSON_AddStringToObject(o, strs[i], v ? v : "");
        }
        double cvss = pcfmcp__json_num(t, "cvss", 0);
        cJSON_AddNumberToObject(o, "cvss", cvss);
        cJSON_AddStringToObject(o, "criticality", pcfmcp__tools_criticality(cvss));
        cJSON_AddNumberToObject(o, "cwe", pcfmcp__json_num(t, "cwe", 0));
        cJSON *vars = cJSON_AddArrayToObject(o, "variables");
        const cJSON *v;
        cJSON_ArrayForEach(v, cJSON_GetObjectItemCaseSensitive(t, "variables")) {
            cJSON *x = cJSON_CreateObject();
            const char *type = pcfmcp__json_str(v, "type");
            cJSON_AddStringToObject(x, "name", v->string);
            cJSON_AddStringToObject(x, "type", type ? type : "text");
            const cJSON *def = cJSON_GetObjectItemCaseSensitive(v, "value");
            char buf[64];
            const char *dv = cJSON_IsString(def) ? def->valuestring : NULL;
            if (!dv && cJSON_IsBool(def))
                dv = cJSON_IsTrue(def) ? "1" : "0";
            if (!dv && cJSON_IsNumber(def)) {
                snprintf(buf, sizeof(buf), "%.15g", def->valuedouble);
                dv = buf;
            }
            cJSON_AddStringToObject(x, "default", dv ? dv : "");
            cJSON_AddItemToArray(vars, x);
        }
        cJSON_AddItemToArray(items, o);
    }
    TOOL_SAY(c, "{} issue template(s).", MA_INT(cJSON_GetArraySize(items)));
    cJSON_AddStringToObject(pcfmcp__tools_out(c), "project_id", c->project_id);
    return pcfmcp__tools_page(c, "templates", items);
}

pcfmcp_error_t pcfmcp__th_create_issue_from_template(tcall *c)
{
    cJSON *a = pcfmcp__th_args_id(c, "template_id", pcfmcp__tools_arg_str(c, "template_id"));
    pcfmcp__th_copy(c, a, "variables impact exploitability risk");
    const cJSON *doc = pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_ISSUE_FROM_TEMPLATE, a, NULL);
    if (!doc)
        return PCFMCP_ERR_PCF;
    const char *iid = pcfmcp__json_str(doc, "issue_id");
    cJSON *out = pcfmcp__tools_out(c);
    cJSON *steps = cJSON_CreateArray();
    pcfmcp__mtext what, msg;
    pcfmcp__mt_init(&what);
    pcfmcp__mt_init(&msg);
    MT_FMT(&what, "create issue {} from template {}",
           MA_Q(pcfmcp__json_str(doc, "name") ? pcfmcp__json_str(doc, "name") : ""),
           MA_Q(pcfmcp__json_str(doc, "template_name") ? pcfmcp__json_str(doc, "template_name")
                                                        : ""));
    pcfmcp__th_step(c, steps, &what, true, iid, NULL);
    cJSON_AddStringToObject(out, "issue_id", iid ? iid : "");
    cJSON_AddStringToObject(out, "name", pcfmcp__json_str(doc, "name") ? pcfmcp__json_str(doc, "name") : "");
    bool ok = true;
    if (pcfmcp__tools_has_arg(c, "services") && iid) {
        /* PCF's template form takes no services: tie them with an edit. */
        cJSON *u = pcfmcp__th_args_id(c, "issue_id", iid);
        const cJSON *r = NULL;
        if (put_services(c, u, "services", "services"))
            r = pcfmcp__tools_pcf_soft(c, PCFMCP__PCF_OP_ISSUE_UPDATE, u, NULL, &msg);
        else {
            MT_FMT(&msg, "{}", MA_MT(&c->err));
            cJSON_Delete(u);
        }
        ok = r != NULL;
        pcfmcp__mt_reset(&what);
        MT_LIT(&what, "tie the issue to its services");
        pcfmcp__th_step(c, steps, &what, ok, NULL, ok ? NULL : &msg);
    }
    pcfmcp__mt_free(&what);
    pcfmcp__mt_free(&msg);
    cJSON_AddItemToObject(out, "steps", steps);
    cJSON_AddBoolToObject(out, "ok", ok);
    if (!ok) {
        TOOL_ERR(c, "create_issue_from_template partly failed: the issue exists (issue_id {}) "
                    "without its services; retry with update_issue. Steps:",
                 MA_ID(iid ? iid : "?"));
        return PCFMCP_ERR_PCF;
    }
    return PCFMCP_OK;
}

/* ------------------------------------------------------------ issue triage */

static cJSON *ids_args(tcall *c)
{
    cJSON *a = pcfmcp__tools_pargs(c);
    pcfmcp__th_copy(c, a, "issue_ids");
    return a;
}

pcfmcp_error_t pcfmcp__th_update_issues(tcall *c)
{
    cJSON *a = ids_args(c);
    pcfmcp__th_copy(c, a, "cvss status");
    const char *crit = pcfmcp__tools_arg_str(c, "criticality");
    if (crit) {
        double score = pcfmcp__tools_criticality_cvss(crit);
        const cJSON *cv = cJSON_GetObjectItemCaseSensitive(c->args, "cvss");
        if (cv && strcmp(pcfmcp__tools_criticality(cv->valuedouble), crit) != 0) {
            cJSON_Delete(a);
            TOOL_ERR(c, "cvss {} is {}, not {}: give one of them", MA_NUM(cv->valuedouble),
                     MA_STATIC(pcfmcp__tools_criticality(cv->valuedouble)), MA_Q(crit));
            return PCFMCP_ERR_INVALID_ARG;
        }
        if (!cv)
            cJSON_AddNumberToObject(a, "cvss", score);
    }
    if (!cJSON_GetObjectItemCaseSensitive(a, "cvss") && !cJSON_GetObjectItemCaseSensitive(a, "status")) {
        cJSON_Delete(a);
        TOOL_ERR(c, "nothing to change: give cvss, criticality and/or status");
        return PCFMCP_ERR_INVALID_ARG;
    }
    const cJSON *doc = pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_ISSUES_BULK_EDIT, a, NULL);
    if (!doc)
        return PCFMCP_ERR_PCF;
    cJSON *out = pcfmcp__tools_out(c);
    static const char *const keys[] = { "updated", "unchanged", "not_found" };
    for (size_t i = 0; i < 3; i++)
        cJSON_AddItemToObject(out, keys[i],
                              pcfmcp__tw_array_copy(cJSON_GetObjectItemCaseSensitive(doc, keys[i])));
    cJSON_AddBoolToObject(out, "ok", true);
    TOOL_SAY(c, "{} issue(s) updated, {} already had these values, {} not in the project.",
             MA_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(out, "updated"))),
             MA_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(out, "unchanged"))),
             MA_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(out, "not_found"))));
    return PCFMCP_OK;
}

pcfmcp_error_t pcfmcp__th_merge_issues(tcall *c)
{
    const cJSON *doc = pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_ISSUES_MERGE, ids_args(c), NULL);
    if (!doc)
        return PCFMCP_ERR_PCF;
    cJSON *out = pcfmcp__tools_out(c);
    static const char *const keys[] = { "merged", "not_merged", "not_found" };
    for (size_t i = 0; i < 3; i++)
        cJSON_AddItemToObject(out, keys[i],
                              pcfmcp__tw_array_copy(cJSON_GetObjectItemCaseSensitive(doc, keys[i])));
    int removed = 0;
    const cJSON *m;
    cJSON_ArrayForEach(m, cJSON_GetObjectItemCaseSensitive(out, "merged"))
        removed += cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(m, "removed"));
    cJSON_AddBoolToObject(out, "ok", true);
    if (cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(out, "merged")) == 0)
        TOOL_SAY(c, "Nothing merged: no two of the given issues are exact duplicates (see "
                    "not_merged for what differs).");
    else
        TOOL_SAY(c, "Merged {} duplicate(s) into {} issue(s).", MA_INT(removed),
                 MA_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(out, "merged"))));
    return PCFMCP_OK;
}

pcfmcp_error_t pcfmcp__th_delete_issues(tcall *c)
{
    const cJSON *doc = pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_ISSUES_BULK_DELETE, ids_args(c), NULL);
    if (!doc)
        return PCFMCP_ERR_PCF;
    cJSON *out = pcfmcp__tools_out(c);
    cJSON_AddItemToObject(out, "deleted",
                          pcfmcp__tw_array_copy(cJSON_GetObjectItemCaseSensitive(doc, "deleted")));
    cJSON_AddItemToObject(out, "not_found",
                          pcfmcp__tw_array_copy(cJSON_GetObjectItemCaseSensitive(doc, "not_found")));
    cJSON_AddBoolToObject(out, "ok", true);
    TOOL_SAY(c, "Deleted {} issue(s); {} not in the project.",
             MA_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(out, "deleted"))),
             MA_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(out, "not_found"))));
    return PCFMCP_OK;
}

pcfmcp_error_t pcfmcp__th_set_main_poc(tcall *c)
{
    cJSON *a = pcfmcp__th_args_id(c, "issue_id", pcfmcp__tools_arg_str(c, "issue_id"));
    pcfmcp__th_copy(c, a, "poc_id");
    const cJSON *doc = pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_POC_SET_MAIN, a, NULL);
    if (!doc)
        return PCFMCP_ERR_PCF;
    cJSON *out = pcfmcp__tools_out(c);
    cJSON_AddBoolToObject(out, "ok", true);
    cJSON_AddStringToObject(out, "poc_id", pcfmcp__tools_arg_str(c, "poc_id"));
    const cJSON *also = cJSON_GetObjectItemCaseSensitive(doc, "also_main");
    cJSON_AddItemToObject(out, "also_main", pcfmcp__tw_array_copy(also));
    if (cJSON_GetArraySize(also) > 0) {
        char notice[300];
        snprintf(notice, sizeof(notice),
                 "PCF cannot unmark a main PoC (its form refuses priority 0): %d other PoC(s) "
                 "of this issue stay marked main. Delete and re-add them to unmark them.",
                 cJSON_GetArraySize(also));
        cJSON_AddStringToObject(out, "notice", notice);
    }
    TOOL_SAY(c, "PoC {} is a main PoC of issue {}.", MA_ID(pcfmcp__tools_arg_str(c, "poc_id")),
             MA_ID(pcfmcp__tools_arg_str(c, "issue_id")));
    return PCFMCP_OK;
}

pcfmcp_error_t pcfmcp__th_get_issue_share_link(tcall *c)
{
    const cJSON *doc = pcfmcp__tools_pcf(
        c, PCFMCP__PCF_OP_ISSUE_SHARE,
        pcfmcp__th_args_id(c, "issue_id", pcfmcp__tools_arg_str(c, "issue_id")), NULL);
    if (!doc)
        return PCFMCP_ERR_PCF;
    cJSON *out = pcfmcp__tools_out(c);
    cJSON_AddStringToObject(out, "url", pcfmcp__json_str(doc, "url") ? pcfmcp__json_str(doc, "url") : "");
    cJSON_AddStringToObject(out, "warning",
                            "PCF serves this page to anyone who has the link, without login, "
                            "and cannot revoke it; share it only with the intended reader.");
    TOOL_SAY(c, "Share link of issue {} (no login needed; cannot be revoked).",
             MA_ID(pcfmcp__tools_arg_str(c, "issue_id")));
    return PCFMCP_OK;
}

/* ------------------------------------------------------------ tasks */

static cJSON *task_args(tcall *c, bool create)
{
    cJSON *a = pcfmcp__tools_pargs(c);
    pcfmcp__th_copy(c, a, create ? "name description criticality status"
                                 : "task_id name description criticality status");
    const cJSON *u = cJSON_GetObjectItemCaseSensitive(c->args, "user_ids");
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(c->args, "team_ids");
    if (u)
        cJSON_AddItemToObject(a, "users", cJSON_Duplicate(u, true));
    if (t)
        cJSON_AddItemToObject(a, "teams", cJSON_Duplicate(t, true));
    if (!pcfmcp__th_date(c, a, "start_date", "start_date") ||
        !pcfmcp__th_date(c, a, "end_date", "end_date") || !put_services(c, a, "services", "services")) {
        cJSON_Delete(a);
        return NULL;
    }
    return a;
}

static cJSON *norm_task(const char *id, const cJSON *t)
{
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", id);
    static const char *const strs[] = { "name", "description", "criticality", "status" };
    for (size_t i = 0; i < PCFMCP_ARRAY_LEN(strs); i++) {
        const char *v = pcfmcp__json_str(t, strs[i]);
        cJSON_AddStringToObject(o, strs[i], v ? v : "");
    }
    iso_date(o, "start_date", pcfmcp__json_num(t, "start_date", 0));
    iso_date(o, "end_date", pcfmcp__json_num(t, "finish_date", 0));
    cJSON_AddItemToObject(o, "user_ids", pcfmcp__tw_array_copy(cJSON_GetObjectItemCaseSensitive(t, "users")));
    cJSON_AddItemToObject(o, "team_ids", pcfmcp__tw_array_copy(cJSON_GetObjectItemCaseSensitive(t, "teams")));
    cJSON_AddItemToObject(o, "services", service_list(cJSON_GetObjectItemCaseSensitive(t, "services")));
    return o;
}

pcfmcp_error_t pcfmcp__th_list_tasks(tcall *c)
{
    const cJSON *doc = pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_TASKS_LIST, pcfmcp__tools_pargs(c), NULL);
    if (!doc)
        return PCFMCP_ERR_PCF;
    const char *status = pcfmcp__tools_arg_str(c, "status");
    const char *text = pcfmcp__tools_arg_str(c, "text");
    cJSON *items = cJSON_CreateArray();
    const cJSON *t;
    cJSON_ArrayForEach(t, cJSON_GetObjectItemCaseSensitive(doc, "tasks")) {
        if (status && !pcfmcp__json_str_is(t, "status", status))
            continue;
        if (text && !pcfmcp__tools_icontains(pcfmcp__json_str(t, "name"), text) &&
            !pcfmcp__tools_icontains(pcfmcp__json_str(t, "description"), text))
            continue;
        cJSON_AddItemToArray(items, norm_task(t->string, t));
    }
    TOOL_SAY(c, "{} task(s).", MA_INT(cJSON_GetArraySize(items)));
    cJSON_AddStringToObject(pcfmcp__tools_out(c), "project_id", c->project_id);
    return pcfmcp__tools_page(c, "tasks", items);
}

pcfmcp_error_t pcfmcp__th_create_task(tcall *c)
{
    cJSON *a = task_args(c, true);
    if (!a)
        return PCFMCP_ERR_INVALID_ARG;
    const cJSON *doc = pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_TASK_CREATE, a, NULL);
    if (!doc)
        return PCFMCP_ERR_PCF;
    const char *tid = pcfmcp__json_str(doc, "task_id");
    cJSON *out = pcfmcp__tools_out(c);
    cJSON_AddBoolToObject(out, "ok", true);
    cJSON_AddStringToObject(out, "task_id", tid ? tid : "");
    TOOL_SAY(c, "Created task {}.", MA_ID(tid ? tid : ""));
    return PCFMCP_OK;
}

pcfmcp_error_t pcfmcp__th_update_task(tcall *c)
{
    cJSON *a = task_args(c, false);
    if (!a)
        return PCFMCP_ERR_INVALID_ARG;
    if (cJSON_GetArraySize(a) <= 2) {
        cJSON_Delete(a);
        TOOL_ERR(c, "nothing to change: give at least one field (status moves the task)");
        return PCFMCP_ERR_INVALID_ARG;
    }
    const cJSON *doc = pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_TASK_UPDATE, a, NULL);
    if (!doc)
        return PCFMCP_ERR_PCF;
    const char *tid = pcfmcp__tools_arg_str(c, "task_id");
    cJSON *out = pcfmcp__tools_out(c);
    cJSON_AddBoolToObject(out, "ok", true);
    cJSON_AddItemToObject(out, "task", norm_task(tid, cJSON_GetObjectItemCaseSensitive(doc, "task")));
    pcfmcp__th_updated(c, "name description criticality status start_date end_date user_ids "
                          "team_ids services");
    TOOL_SAY(c, "Updated task {}.", MA_ID(tid));
    return PCFMCP_OK;
}

pcfmcp_error_t pcfmcp__th_delete_task(tcall *c)
{
    cJSON *a = pcfmcp__tools_pargs(c);
    pcfmcp__th_copy(c, a, "task_id");
    if (!pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_TASK_DELETE, a, NULL))
        return PCFMCP_ERR_PCF;
    cJSON *out = pcfmcp__tools_out(c);
    cJSON_AddBoolToObject(out, "ok", true);
    cJSON_AddStringToObject(out, "deleted", pcfmcp__tools_arg_str(c, "task_id"));
    TOOL_SAY(c, "Deleted task {}.", MA_ID(pcfmcp__tools_arg_str(c, "task_id")));
    return PCFMCP_OK;
}

/* ------------------------------------------------------------ files */

pcfmcp_error_t pcfmcp__th_list_files(tcall *c)
{
    const cJSON *doc = pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_FILES_LIST, pcfmcp__tools_pargs(c), NULL);
    if (!doc)
        return PCFMCP_ERR_PCF;
    const char *text = pcfmcp__tools_arg_str(c, "text");
    cJSON *items = cJSON_CreateArray();
    const cJSON *f;
    cJSON_ArrayForEach(f, pcfmcp__json_arr(doc, "files")) {
        if (text && !pcfmcp__tools_icontains(pcfmcp__json_str(f, "filename"), text) &&
            !pcfmcp__tools_icontains(pcfmcp__json_str(f, "description"), text))
            continue;
        cJSON_AddItemToArray(items, cJSON_Duplicate(f, true));
    }
    TOOL_SAY(c, "{} file(s).", MA_INT(cJSON_GetArraySize(items)));
    cJSON_AddStringToObject(pcfmcp__tools_out(c), "project_id", c->project_id);
    return pcfmcp__tools_page(c, "files", items);
}

pcfmcp_error_t pcfmcp__th_upload_file(tcall *c)
{
    const char *text = pcfmcp__tools_arg_str(c, "text");
    const char *b64 = pcfmcp__tools_arg_str(c, "content_base64");
    if (!!text == !!b64) {
        TOOL_ERR(c, "give the content as text or as content_base64 (one of them)");
        return PCFMCP_ERR_INVALID_ARG;
    }
    cJSON *a = pcfmcp__tools_pargs(c);
    pcfmcp__th_copy(c, a, "filename description");
    const char *type = pcfmcp__tools_arg_str(c, "filetype");
    if (text) {
        char *enc = pcfmcp__base64_encode(text, strlen(text), NULL);
        cJSON_AddStringToObject(a, "b64content", enc ? enc : "");
        pcfmcp__free(enc);
    } else {
        cJSON_AddStringToObject(a, "b64content", b64);
    }
    cJSON_AddStringToObject(a, "filetype", type ? type : text ? "text" : "binary");
    if (!put_services(c, a, "services", "services")) {
        cJSON_Delete(a);
        return PCFMCP_ERR_INVALID_ARG;
    }
    const cJSON *doc = pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_FILE_UPLOAD, a, NULL);
    if (!doc)
        return PCFMCP_ERR_PCF;
    cJSON *out = pcfmcp__tools_out(c);
    cJSON_AddBoolToObject(out, "ok", true);
    const char *fid = pcfmcp__json_str(doc, "file_id");
    cJSON_AddStringToObject(out, "file_id", fid ? fid : "");
    cJSON_AddNumberToObject(out, "size", pcfmcp__json_num(doc, "size", 0));
    TOOL_SAY(c, "Uploaded {} ({} bytes): {}.", MA_Q(pcfmcp__tools_arg_str(c, "filename")),
             MA_INT(pcfmcp__json_num(doc, "size", 0)), MA_ID(fid ? fid : ""));
    return PCFMCP_OK;
}

static const char *sniff_image(const unsigned char *d, size_t n)
{
    if (n >= 8 && memcmp(d, "\x89PNG\r\n\x1a\n", 8) == 0)
        return "image/png";
    if (n >= 3 && memcmp(d, "\xff\xd8\xff", 3) == 0)
        return "image/jpeg";
    if (n >= 6 && (memcmp(d, "GIF87a", 6) == 0 || memcmp(d, "GIF89a", 6) == 0))
        return "image/gif";
    if (n >= 12 && memcmp(d, "RIFF", 4) == 0 && memcmp(d + 8, "WEBP", 4) == 0)
        return "image/webp";
    return NULL;
}

static bool looks_text(const unsigned char *d, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (d[i] == 0)
            return false;
    return true;
}

pcfmcp_error_t pcfmcp__th_download_file(tcall *c)
{
    const char *fid = pcfmcp__tools_arg_str(c, "file_id");
    const cJSON *doc = pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_FILE_DOWNLOAD,
                                         pcfmcp__th_args_id(c, "file_id", fid), NULL);
    if (!doc)
        return PCFMCP_ERR_PCF;
    size_t n = 0;
    const unsigned char *data =
        c->nresults ? pcfmcp_pcf_result_data(c->results[c->nresults - 1], &n) : NULL;
    if (!data)
        data = (const unsigned char *)"";
    if (n > MAX_DOWNLOAD) {
        TOOL_ERR(c, "the file has {} bytes, more than a tool result carries ({}); download it "
                    "from PCF's web UI",
                 MA_INT(n), MA_INT(MAX_DOWNLOAD));
        return PCFMCP_ERR_LIMIT;
    }
    const char *name = pcfmcp__json_str(doc, "filename");
    cJSON *out = pcfmcp__tools_out(c);
    cJSON_AddStringToObject(out, "file_id", fid);
    cJSON_AddStringToObject(out, "filename", name ? name : "");
    cJSON_AddNumberToObject(out, "size", (double)n);
    cJSON_AddStringToObject(out, "source", pcfmcp__json_str(doc, "source") ? pcfmcp__json_str(doc, "source") : "");
    if (pcfmcp__json_str(doc, "note"))
        cJSON_AddStringToObject(out, "notice", pcfmcp__json_str(doc, "note"));
    const char *mime = sniff_image(data, n);
    if (!c->extra_content)
        c->extra_content = cJSON_CreateArray();
    if (mime) {
        char *enc = pcfmcp__base64_encode(data, n, NULL);
        cJSON *blk = cJSON_CreateObject();
        cJSON_AddStringToObject(blk, "type", "image");
        cJSON_AddStringToObject(blk, "data", enc ? enc : "");
        cJSON_AddStringToObject(blk, "mimeType", mime);
        cJSON_AddItemToArray(c->extra_content, blk);
        pcfmcp__free(enc);
        cJSON_AddStringToObject(out, "content_type", mime);
    } else if (looks_text(data, n)) {
        /* Text from a tested system: cleaned and fenced like every PCF field. */
        char *text = pcfmcp__tools_clean((const char *)data, n, c->ts->max_field * 4);
        cJSON_AddStringToObject(out, "content_text", text ? text : "");
        pcfmcp__free(text);
        cJSON_AddStringToObject(out, "content_type", "text/plain");
    } else {
        char *enc = pcfmcp__base64_encode(data, n, NULL);
        char uri[96];
        snprintf(uri, sizeof(uri), "pcf://files/%s", fid);
        cJSON *blk = cJSON_CreateObject();
        cJSON_AddStringToObject(blk, "type", "resource");
        cJSON *res = cJSON_AddObjectToObject(blk, "resource");
        cJSON_AddStringToObject(res, "uri", uri);
        cJSON_AddStringToObject(res, "mimeType", "application/octet-stream");
        cJSON_AddStringToObject(res, "blob", enc ? enc : "");
        cJSON_AddItemToArray(c->extra_content, blk);
        pcfmcp__free(enc);
        cJSON_AddStringToObject(out, "content_type", "application/octet-stream");
    }
    TOOL_SAY(c, "File {}: {} bytes.", MA_ID(fid), MA_INT(n));
    return PCFMCP_OK;
}

pcfmcp_error_t pcfmcp__th_delete_file(tcall *c)
{
    return pcfmcp__th_delete(c, PCFMCP__PCF_OP_FILE_DELETE, "file_id", NULL);
}

/* ------------------------------------------------------------ chats */

pcfmcp_error_t pcfmcp__th_list_chats(tcall *c)
{
    const char *cid = pcfmcp__tools_arg_str(c, "chat_id");
    if (cid) {
        const cJSON *doc = pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_CHAT_MESSAGES,
                                             pcfmcp__th_args_id(c, "chat_id", cid), NULL);
        if (!doc)
            return PCFMCP_ERR_PCF;
        cJSON *items = cJSON_CreateArray();
        const cJSON *m;
        cJSON_ArrayForEach(m, pcfmcp__json_arr(doc, "messages")) {
            cJSON *o = cJSON_CreateObject();
            const char *who = pcfmcp__json_str(m, "email"), *txt = pcfmcp__json_str(m, "message");
            cJSON_AddStringToObject(o, "from", who ? who : "");
            cJSON_AddStringToObject(o, "message", txt ? txt : "");
            double t = pcfmcp__json_num(m, "time", 0);
            char buf[32] = "";
            if (t > 0)
                pcfmcp__utc_format(t / 1000, true, buf, sizeof(buf));
            cJSON_AddStringToObject(o, "time", buf);
            cJSON_AddItemToArray(items, o);
        }
        cJSON_AddStringToObject(pcfmcp__tools_out(c), "chat_id", cid);
        TOOL_SAY(c, "Chat {}: {} message(s).", MA_ID(cid), MA_INT(cJSON_GetArraySize(items)));
        return pcfmcp__tools_page(c, "messages", items);
    }
    const cJSON *doc = pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_CHATS_LIST, pcfmcp__tools_pargs(c), NULL);
    if (!doc)
        return PCFMCP_ERR_PCF;
    cJSON *items = cJSON_Duplicate(pcfmcp__json_arr(doc, "chats"), true);
    TOOL_SAY(c, "{} chat(s); pass chat_id to read one.", MA_INT(cJSON_GetArraySize(items)));
    cJSON_AddStringToObject(pcfmcp__tools_out(c), "project_id", c->project_id);
    return pcfmcp__tools_page(c, "chats", items ? items : cJSON_CreateArray());
}

pcfmcp_error_t pcfmcp__th_post_chat_message(tcall *c)
{
    const char *chat = pcfmcp__tools_arg_str(c, "chat");
    char cid[40] = "";
    bool created = false;
    if (pcfmcp__uuid_valid(chat)) {
        snprintf(cid, sizeof(cid), "%s", chat);
    } else {
        /* A chat name: the one of that name, or a new chat. */
        const cJSON *doc = pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_CHATS_LIST, pcfmcp__tools_pargs(c),
                                             NULL);
        if (!doc)
            return PCFMCP_ERR_PCF;
        const cJSON *ch;
        int matches = 0;
        cJSON_ArrayForEach(ch, pcfmcp__json_arr(doc, "chats")) {
            if (pcfmcp__strcaseeq(pcfmcp__json_str(ch, "name"), chat)) {
                snprintf(cid, sizeof(cid), "%s", pcfmcp__json_str(ch, "id"));
                matches++;
            }
        }
        if (matches > 1) {
            TOOL_ERR(c, "{} chats are named {}: pass the chat's id (list_chats)", MA_INT(matches),
                     MA_Q(chat));
            return PCFMCP_ERR_INVALID_ARG;
        }
        if (!matches) {
            cJSON *a = pcfmcp__tools_pargs(c);
            cJSON_AddStringToObject(a, "name", chat);
            const cJSON *r = pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_CHAT_CREATE, a, NULL);
            if (!r)
                return PCFMCP_ERR_PCF;
            snprintf(cid, sizeof(cid), "%s", pcfmcp__json_str(r, "chat_id") ? pcfmcp__json_str(r, "chat_id") : "");
            created = true;
        }
    }
    cJSON *a = pcfmcp__th_args_id(c, "chat_id", cid);
    pcfmcp__th_copy(c, a, "message");
    if (!pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_CHAT_POST, a, NULL)) {
        if (created) {
            /* Say what did happen. */
            TOOL_ERR_MORE(c, " (chat {} was created)", MA_ID(cid));
        }
        return PCFMCP_ERR_PCF;
    }
    cJSON *out = pcfmcp__tools_out(c);
    cJSON_AddBoolToObject(out, "ok", true);
    cJSON_AddStringToObject(out, "chat_id", cid);
    cJSON_AddBoolToObject(out, "chat_created", created);
    TOOL_SAY(c, "Posted to chat {}{}.", MA_ID(cid), MA_IF(created, " (new chat)", ""));
    return PCFMCP_OK;
}
