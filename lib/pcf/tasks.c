/* The task board: tasks come from the project's JSON export; PCF's task
 * forms answer JSON ({"status": "ok"} or {"errors": ...}) without the id,
 * which is found by comparing the export before and after. Editing is a
 * full replace in PCF (omitted fields are reset), so an update sends the
 * current values of everything it does not change. */
#include "core/internal.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "core/util.h"
#include "pcf/workspace.h"

static const char *const CRITS[] = { "info", "low", "medium", "high", "critical" };
static const char *const STATES[] = { "todo", "progress", "review", "done" };

static bool one_of(const char *v, const char *const *set, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (v && strcmp(v, set[i]) == 0)
            return true;
    return false;
}

/* Reads PCF's JSON answer to a task form. */
static pcfmcp_error_t task_answer(pcf_call *c, const pcf_http_resp *resp, const char *what)
{
    if (resp->status != 200 || !resp->content_type ||
        !strstr(resp->content_type, "application/json"))
        return pcfmcp__pcf_ui_unexpected(c, resp, what);
    cJSON *doc = NULL;
    if (pcfmcp__json_parse(resp->body.data, resp->body.len, PCF_JSON_DEPTH, &doc, NULL) !=
            PCFMCP__JSON_OK ||
        !cJSON_IsObject(doc)) {
        cJSON_Delete(doc);
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_BAD_RESPONSE, "PCF's answer to %s is not JSON",
                                what);
    }
    pcfmcp_error_t rc = PCFMCP_OK;
    cJSON *errors = cJSON_GetObjectItemCaseSensitive(doc, "errors");
    if (errors) {
        /* One route answers a bare string instead of a list. */
        cJSON *list = cJSON_IsArray(errors) ? cJSON_Duplicate(errors, true) : cJSON_CreateArray();
        if (list && cJSON_IsString(errors))
            cJSON_AddItemToArray(list, cJSON_CreateString(errors->valuestring));
        bool nf = false;
        const cJSON *e;
        cJSON_ArrayForEach(e, list)
            nf |= cJSON_IsString(e) && strstr(e->valuestring, "not found") != NULL;
        c->res->status = 200;
        rc = pcfmcp__pcf_fail_errors(c->res, nf ? PCFMCP_ERR_NOT_FOUND : PCFMCP_ERR_PCF, list,
                                     NULL);
        cJSON_Delete(list);
    } else if (!pcfmcp__json_str_is(doc, "status", "ok")) {
        rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_BAD_RESPONSE,
                              "PCF answered %s with neither ok nor errors", what);
    }
    cJSON_Delete(doc);
    return rc;
}

static void put_int(pcf_form *f, const char *name, double v)
{
    char buf[32];
    snprintf(buf, sizeof(buf), "%.0f", v);
    pcfmcp__pcf_form_add(f, name, buf);
}

/* The task form from @p cur (export shape) overridden by the call's body. */
static pcfmcp_error_t task_form(pcf_call *c, pcf_form *f, const cJSON *cur)
{
    const cJSON *b = c->body;
    const char *name = pcfmcp__json_str(b, "name");
    const char *desc = pcfmcp__json_str(b, "description");
    const char *crit = pcfmcp__json_str(b, "criticality");
    const char *status = pcfmcp__json_str(b, "status");
    if (!name)
        name = pcfmcp__json_str(cur, "name");
    if (!desc)
        desc = pcfmcp__json_str(cur, "description");
    if (!crit)
        crit = pcfmcp__json_str(cur, "criticality");
    if (!status)
        status = pcfmcp__json_str(cur, "status");
    if (!crit)
        crit = "info";
    if (!status)
        status = "todo";
    if (!name || !*name)
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG, "argument name must not be empty");
    if (!one_of(crit, CRITS, PCFMCP_ARRAY_LEN(CRITS)))
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG,
                                "argument criticality must be info, low, medium, high or critical");
    if (!one_of(status, STATES, PCFMCP_ARRAY_LEN(STATES)))
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG,
                                "argument status must be todo, progress, review or done");
    pcfmcp__pcf_form_add(f, "name", name);
    pcfmcp__pcf_form_add(f, "description", desc ? desc : "");
    pcfmcp__pcf_form_add(f, "criticality", crit);
    pcfmcp__pcf_form_add(f, "status", status);
    const cJSON *sd = cJSON_GetObjectItemCaseSensitive(b, "start_date");
    const cJSON *ed = cJSON_GetObjectItemCaseSensitive(b, "end_date");
    put_int(f, "start_date", cJSON_IsNumber(sd) ? sd->valuedouble
                                                : pcfmcp__json_num(cur, "start_date", 0));
    put_int(f, "end_date", cJSON_IsNumber(ed) ? ed->valuedouble
                                              : pcfmcp__json_num(cur, "finish_date", 0));
    static const char *const lists[] = { "users", "teams" };
    for (size_t i = 0; i < 2; i++) {
        const cJSON *l = cJSON_GetObjectItemCaseSensitive(b, lists[i]);
        if (!l || cJSON_IsNull(l))
            l = cJSON_GetObjectItemCaseSensitive(cur, lists[i]);
        char *s = l ? pcfmcp__json_print(l, NULL) : NULL;
        pcfmcp__pcf_form_add(f, lists[i], s ? s : "[]");
        pcfmcp__free(s);
    }
    const cJSON *svc = cJSON_GetObjectItemCaseSensitive(b, "services");
    if (!svc || cJSON_IsNull(svc))
        svc = cJSON_GetObjectItemCaseSensitive(cur, "services");
    cJSON *pairs = pcfmcp__ws_service_pairs(c, svc);
    if (!pairs)
        return c->res->err;
    char *s = pcfmcp__json_print(pairs, NULL);
    cJSON_Delete(pairs);
    pcfmcp__pcf_form_add(f, "hosts", s ? s : "[]");
    pcfmcp__free(s);
    return f->failed ? pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory") : PCFMCP_OK;
}

pcfmcp_error_t pcfmcp__pcf_run_tasks_list(pcf_call *c)
{
    return pcfmcp__ws_export_member(c, "tasks");
}

pcfmcp_error_t pcfmcp__pcf_run_task_create(pcf_call *c)
{
    ws_op op = { 0 };
    pcfmcp_error_t rc = task_form(c, &op.f, NULL);
    if (rc != PCFMCP_OK || (rc = pcfmcp__ws_op_begin(c, &op)) != PCFMCP_OK)
        goto out;
    if ((rc = pcfmcp__ws_export_part(c, "tasks", &op.before)) != PCFMCP_OK)
        goto out;
    if ((rc = pcfmcp__ws_request(c, "ui_task_create", true, "/new_task", &op.f, NULL, &op.resp)) !=
        PCFMCP_OK)
        goto out;
    if ((rc = task_answer(c, &op.resp, "the new task")) != PCFMCP_OK)
        goto out;
    if ((rc = pcfmcp__ws_export_part(c, "tasks", &op.after)) != PCFMCP_OK)
        goto out;
    const char *name = pcfmcp__json_str(c->body, "name");
    const char *tid = NULL;
    const cJSON *t;
    cJSON_ArrayForEach(t, op.after)
        if (!cJSON_GetObjectItemCaseSensitive(op.before, t->string) &&
            pcfmcp__json_str_is(t, "name", name))
            tid = t->string;
    if (!tid) {
        rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_BAD_RESPONSE,
                              "PCF answered ok but the task is not on the board on re-reading");
        goto out;
    }
    rc = pcfmcp__pcf_ok_with_id(c, "task_id", tid);
out:
    pcfmcp__ws_op_end(c, &op);
    return rc;
}

/* Only the status changes: PCF's move route, no full replace needed. */
static bool status_only(const cJSON *body)
{
    const cJSON *m;
    bool status = false;
    cJSON_ArrayForEach(m, body) {
        if (strcmp(m->string, "task_id") == 0 || cJSON_IsNull(m))
            continue;
        if (strcmp(m->string, "status") != 0)
            return false;
        status = true;
    }
    return status;
}

pcfmcp_error_t pcfmcp__pcf_run_task_update(pcf_call *c)
{
    const char *tid = pcfmcp__json_str(c->body, "task_id");
    const char *status = pcfmcp__json_str(c->body, "status");
    if (status && !one_of(status, STATES, PCFMCP_ARRAY_LEN(STATES)))
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG,
                                "argument status must be todo, progress, review or done");
    pcfmcp_error_t rc = pcfmcp__pcf_ui_begin(c);
    if (rc != PCFMCP_OK)
        return rc;
    cJSON *tasks = NULL, *after = NULL;
    pcf_form f;
    memset(&f, 0, sizeof(f));
    pcf_http_resp resp;
    memset(&resp, 0, sizeof(resp));
    if (status_only(c->body)) {
        pcfmcp__pcf_form_add(&f, "task_id", tid);
        pcfmcp__pcf_form_add(&f, "status", status);
        if ((rc = pcfmcp__ws_request(c, "ui_task_move", true, "/move_task", &f, NULL, &resp)) ==
            PCFMCP_OK)
            rc = task_answer(c, &resp, "the task move");
        goto out;
    }
    if ((rc = pcfmcp__ws_export_part(c, "tasks", &tasks)) != PCFMCP_OK)
        goto out;
    const cJSON *cur = cJSON_GetObjectItemCaseSensitive(tasks, tid);
    if (!cur) {
        rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOT_FOUND, "no task %s in this project", tid);
        goto out;
    }
    pcfmcp__pcf_form_add(&f, "task_id", tid);
    if ((rc = task_form(c, &f, cur)) != PCFMCP_OK)
        goto out;
    if ((rc = pcfmcp__ws_request(c, "ui_task_edit", true, "/edit_task", &f, NULL, &resp)) !=
        PCFMCP_OK)
        goto out;
    rc = task_answer(c, &resp, "the task edit");
out:
    if (rc == PCFMCP_OK && (rc = pcfmcp__ws_export_part(c, "tasks", &after)) == PCFMCP_OK) {
        const cJSON *now = cJSON_GetObjectItemCaseSensitive(after, tid);
        cJSON *doc = cJSON_CreateObject();
        if (doc) {
            cJSON_AddStringToObject(doc, "task_id", tid);
            cJSON_AddItemToObject(doc, "task", now ? cJSON_Duplicate(now, true)
                                                   : cJSON_CreateObject());
        }
        rc = now ? pcfmcp__ws_succeed(c, doc)
                 : (cJSON_Delete(doc),
                    pcfmcp__pcf_fail(c->res, PCFMCP_ERR_BAD_RESPONSE,
                                     "PCF answered ok but the task is gone on re-reading"));
    }
    pcfmcp__pcf_ui_end(c);
    pcfmcp__pcf_http_resp_free(&resp);
    pcfmcp__pcf_form_free(&f);
    cJSON_Delete(tasks);
    cJSON_Delete(after);
    return rc;
}

pcfmcp_error_t pcfmcp__pcf_run_task_delete(pcf_call *c)
{
    const char *tid = pcfmcp__json_str(c->body, "task_id");
    pcfmcp_error_t rc = pcfmcp__pcf_ui_begin(c);
    if (rc != PCFMCP_OK)
        return rc;
    pcf_form f;
    memset(&f, 0, sizeof(f));
    pcfmcp__pcf_form_add(&f, "task_id", tid);
    pcf_http_resp resp;
    rc = pcfmcp__ws_request(c, "ui_task_delete", true, "/delete_task", &f, NULL, &resp);
    pcfmcp__pcf_ui_end(c);
    if (rc == PCFMCP_OK)
        rc = task_answer(c, &resp, "the task delete");
    if (rc == PCFMCP_OK)
        rc = pcfmcp__pcf_ok_with_id(c, "task_id", tid);
    pcfmcp__pcf_http_resp_free(&resp);
    pcfmcp__pcf_form_free(&f);
    return rc;
}
