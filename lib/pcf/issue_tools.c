/* Issues beyond one-at-a-time editing: bulk edit, merging exact duplicates
 * (PCF's join_issues), bulk delete, the main PoC and the public share link.
 * PCF answers "ok" to every bulk form whatever it did (bad ids and values
 * are skipped silently), so each operation reads the project before and
 * after and reports what really changed. */
#include "core/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/json.h"
#include "core/util.h"
#include "pcf/workspace.h"

/* An API v1 read of this project (plus one id), as a document the caller owns. */
static pcfmcp_error_t api_read(pcf_call *c, pcfmcp__pcf_op op, const char *id_name,
                               const char *id, cJSON **out)
{
    *out = NULL;
    cJSON *args = cJSON_CreateObject();
    bool ok = args != NULL;
    pcfmcp__pcf_put_str(args, "project_id", pcfmcp__pcf_id(c, "project_id"), &ok);
    if (id_name)
        pcfmcp__pcf_put_str(args, id_name, id, &ok);
    if (!ok) {
        cJSON_Delete(args);
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
    }
    pcfmcp_pcf_result_t *sub = NULL;
    pcfmcp_error_t rc = pcfmcp__pcf_subcall(c, op, args, &sub);
    cJSON_Delete(args);
    if (rc == PCFMCP_OK) {
        *out = cJSON_Duplicate(pcfmcp__pcf_result_cjson(sub), true);
        if (!*out)
            rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
    } else if (sub) {
        pcfmcp__pcf_result_move(c->res, sub);
    }
    pcfmcp_pcf_result_free(sub);
    return rc;
}

/* issues/list as {id: issue}. */
static pcfmcp_error_t issues_by_id(pcf_call *c, cJSON **out)
{
    cJSON *doc = NULL;
    pcfmcp_error_t rc = api_read(c, PCFMCP__PCF_OP_ISSUES_LIST, NULL, NULL, &doc);
    if (rc != PCFMCP_OK)
        return rc;
    cJSON *map = cJSON_CreateObject();
    cJSON *i;
    cJSON *arr = cJSON_GetObjectItemCaseSensitive(doc, "issues");
    /* issues/list answers {"issues": {id: {...}}} or a list, by version. */
    cJSON_ArrayForEach(i, arr) {
        /* Items carry issue_id (some versions: id). */
        const char *id = cJSON_IsObject(arr) && i->string ? i->string : pcfmcp__json_str(i, "issue_id");
        if (!id)
            id = pcfmcp__json_str(i, "id");
        if (map && id && !cJSON_GetObjectItemCaseSensitive(map, id))
            cJSON_AddItemToObject(map, id, cJSON_Duplicate(i, true));
    }
    cJSON_Delete(doc);
    if (!map)
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
    *out = map;
    return PCFMCP_OK;
}

static cJSON *str_array(void)
{
    return cJSON_CreateArray();
}

static void push(cJSON *arr, const char *s)
{
    cJSON_AddItemToArray(arr, cJSON_CreateString(s));
}

/* Splits the requested ids into those in @p map (found) and not_found. */
static void split_ids(const cJSON *ids, const cJSON *map, cJSON *found, cJSON *not_found)
{
    const cJSON *e;
    cJSON_ArrayForEach(e, ids) {
        bool dup = false;
        const cJSON *x;
        cJSON_ArrayForEach(x, found)
            dup |= strcmp(x->valuestring, e->valuestring) == 0;
        cJSON_ArrayForEach(x, not_found)
            dup |= strcmp(x->valuestring, e->valuestring) == 0;
        if (dup)
            continue;
        push(cJSON_GetObjectItemCaseSensitive(map, e->valuestring) ? found : not_found,
             e->valuestring);
    }
}

/* split_ids(), failing when none of the ids is in the project. */
static pcfmcp_error_t pick(pcf_call *c, const cJSON *ids, const cJSON *map, cJSON *found,
                           cJSON *missing)
{
    if (!found || !missing)
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
    split_ids(ids, map, found, missing);
    if (cJSON_GetArraySize(found) == 0)
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOT_FOUND,
                                "none of the given issues is in this project");
    return PCFMCP_OK;
}

/* ------------------------------------------------------------ one bulk form */

typedef pcfmcp_error_t (*issues_reader)(pcf_call *c, cJSON **out);

/* One bulk form: the issues as @p read sees them before and after, and the
 * given ids split into found and missing. */
typedef struct {
    issues_reader read;
    ws_op op;
    cJSON *found, *missing;
} bulk;

/* Opens the web session, reads the issues with @p read and splits @p ids;
 * bulk_end() releases everything whatever this returned. */
static pcfmcp_error_t bulk_begin(pcf_call *c, bulk *b, issues_reader read, const cJSON *ids)
{
    memset(b, 0, sizeof(*b));
    b->read = read;
    b->found = str_array();
    b->missing = str_array();
    pcfmcp_error_t rc = pcfmcp__ws_op_begin(c, &b->op);
    if (rc != PCFMCP_OK)
        return rc;
    if ((rc = read(c, &b->op.before)) != PCFMCP_OK)
        return rc;
    return pick(c, ids, b->op.before, b->found, b->missing);
}

/* Posts the form to the project's @p rest and reads the issues again. */
static pcfmcp_error_t bulk_post(pcf_call *c, bulk *b, const char *label, const char *rest,
                                const char *what)
{
    pcfmcp_error_t rc = pcfmcp__ws_submit(c, label, rest, &b->op.f, what, &b->op.resp);
    return rc != PCFMCP_OK ? rc : b->read(c, &b->op.after);
}

static void bulk_end(pcf_call *c, bulk *b)
{
    pcfmcp__ws_op_end(c, &b->op);
    cJSON_Delete(b->found);
    cJSON_Delete(b->missing);
}

/* ------------------------------------------------------------ bulk edit */

pcfmcp_error_t pcfmcp__pcf_run_issues_bulk_edit(pcf_call *c)
{
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(c->body, "issue_ids");
    const cJSON *cvss = cJSON_GetObjectItemCaseSensitive(c->body, "cvss");
    const char *status = pcfmcp__json_str(c->body, "status");
    if (cvss && !cJSON_IsNull(cvss) &&
        (!cJSON_IsNumber(cvss) || cvss->valuedouble < 0 || cvss->valuedouble > 10))
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG,
                                "argument cvss must be a number from 0 to 10");
    bool has_cvss = cvss && cJSON_IsNumber(cvss);
    if (!has_cvss && !status)
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG,
                                "nothing to change: give cvss and/or status");
    if (status && (!*status || strcmp(status, "-1") == 0))
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG,
                                "argument status must be a status name");
    cJSON *updated = str_array(), *unchanged = str_array();
    bulk b;
    pcfmcp_error_t rc = bulk_begin(c, &b, issues_by_id, ids);
    if (rc != PCFMCP_OK)
        goto out;
    pcfmcp__ws_form_list(&b.op.f, "issue", b.found);
    char num[32];
    if (has_cvss)
        snprintf(num, sizeof(num), "%.15g", cvss->valuedouble);
    pcfmcp__pcf_form_add(&b.op.f, "criticality", has_cvss ? num : "-1");
    /* PCF's form defaults status to "Need to check": "-1" keeps it. */
    pcfmcp__pcf_form_add(&b.op.f, "status", status ? status : "-1");
    if ((rc = bulk_post(c, &b, "ui_issues_bulk_edit", "/issues/multiple_edit",
                        "the bulk issue edit")) != PCFMCP_OK)
        goto out;
    cJSON *failed = str_array();
    const cJSON *e;
    cJSON_ArrayForEach(e, b.found) {
        const cJSON *a = cJSON_GetObjectItemCaseSensitive(b.op.after, e->valuestring);
        const cJSON *was = cJSON_GetObjectItemCaseSensitive(b.op.before, e->valuestring);
        bool ok = a != NULL;
        if (ok && has_cvss)
            ok = pcfmcp__json_num(a, "cvss", -1) - cvss->valuedouble < 0.05 &&
                 cvss->valuedouble - pcfmcp__json_num(a, "cvss", -1) < 0.05;
        if (ok && status)
            ok = pcfmcp__json_str_is(a, "status", status);
        bool same = a && was && pcfmcp__json_equal(a, was);
        push(!ok ? failed : same ? unchanged : updated, e->valuestring);
    }
    if (cJSON_GetArraySize(failed) > 0) {
        char *list = pcfmcp__json_print(failed, NULL);
        rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_BAD_RESPONSE,
                              "PCF answered ok but these issues do not have the new values: %s",
                              list ? list : "?");
        pcfmcp__free(list);
        cJSON_Delete(failed);
        goto out;
    }
    cJSON_Delete(failed);
    static const char *const keys[] = { "updated", "unchanged", "not_found" };
    cJSON **vals[] = { &updated, &unchanged, &b.missing };
    rc = pcfmcp__ws_succeed_with(c, 3, keys, vals);
out:
    bulk_end(c, &b);
    cJSON_Delete(updated);
    cJSON_Delete(unchanged);
    return rc;
}

/* ------------------------------------------------------------ merge */

/* PCF's join compares every column but id, user_id and services; the
 * export adds pocs and the derived criticality, which are left out too. */
static bool is_ignored(const char *k)
{
    return strcmp(k, "services") == 0 || strcmp(k, "pocs") == 0 ||
           strcmp(k, "criticality") == 0 || strcmp(k, "id") == 0 || strcmp(k, "user_id") == 0;
}

/* Names of the members that differ ("description, cvss"), into @p why. */
static bool same_issue(const cJSON *a, const cJSON *b, pcfmcp__buf *why)
{
    bool same = true;
    const cJSON *x;
    cJSON_ArrayForEach(x, a) {
        if (is_ignored(x->string))
            continue;
        const cJSON *y = cJSON_GetObjectItemCaseSensitive(b, x->string);
        if (!y || !pcfmcp__json_equal(x, y)) {
            same = false;
            if (why)
                pcfmcp__buf_printf(why, "%s%s", why->len ? ", " : "", x->string);
        }
    }
    cJSON_ArrayForEach(x, b) {
        if (!is_ignored(x->string) && !cJSON_GetObjectItemCaseSensitive(a, x->string)) {
            same = false;
            if (why)
                pcfmcp__buf_printf(why, "%s%s", why->len ? ", " : "", x->string);
        }
    }
    return same;
}

static int cmp_str(const void *x, const void *y)
{
    return strcmp(*(const char *const *)x, *(const char *const *)y);
}

/* The issues of the project's JSON export (with their PoCs), as {id: issue}. */
static pcfmcp_error_t snapshot_issues(pcf_call *c, cJSON **out)
{
    cJSON *snap = NULL;
    pcfmcp_error_t rc = pcfmcp__pcf_ui_snapshot(c, pcfmcp__pcf_id(c, "project_id"), &snap);
    if (rc != PCFMCP_OK)
        return rc;
    *out = cJSON_DetachItemFromObjectCaseSensitive(snap, "issues");
    cJSON_Delete(snap);
    if (!*out && !(*out = cJSON_CreateObject()))
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
    return PCFMCP_OK;
}

pcfmcp_error_t pcfmcp__pcf_run_issues_merge(pcf_call *c)
{
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(c->body, "issue_ids");
    if (cJSON_GetArraySize(ids) < 2)
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG,
                                "give at least two issue ids to merge");
    cJSON *merged = cJSON_CreateArray(), *not_merged = cJSON_CreateArray();
    const char **sorted = NULL;
    int *group = NULL;
    bulk b;
    pcfmcp_error_t rc = bulk_begin(c, &b, snapshot_issues, ids);
    if (rc != PCFMCP_OK)
        goto out;
    const cJSON *before = b.op.before;
    int n = cJSON_GetArraySize(b.found);
    sorted = pcfmcp__calloc((size_t)n + 1, sizeof(*sorted));
    group = pcfmcp__calloc((size_t)n + 1, sizeof(*group));
    if (!sorted || !group || !merged || !not_merged) {
        rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
        goto out;
    }
    int k = 0;
    const cJSON *e;
    cJSON_ArrayForEach(e, b.found)
        sorted[k++] = e->valuestring;
    /* PCF walks the issues in id order (SQLite returns the IN list sorted)
     * and keeps the first of each set of duplicates. */
    qsort(sorted, (size_t)n, sizeof(*sorted), cmp_str);
    int groups = 0;
    for (int i = 0; i < n; i++) {
        if (group[i])
            continue;
        group[i] = ++groups;
        for (int j = i + 1; j < n; j++)
            if (!group[j] &&
                same_issue(cJSON_GetObjectItemCaseSensitive(before, sorted[i]),
                           cJSON_GetObjectItemCaseSensitive(before, sorted[j]), NULL))
                group[j] = group[i];
    }
    /* PCF deletes the other duplicates without moving their PoCs, which are
     * then lost: refuse before anything changes. */
    pcfmcp__buf risk;
    pcfmcp__buf_init(&risk);
    int to_join = 0;
    for (int i = 0; i < n; i++) {
        int members = 0;
        for (int j = 0; j < n; j++)
            members += group[j] == group[i];
        if (members < 2)
            continue;
        to_join++;
        bool keeper = true;
        for (int j = 0; j < i; j++)
            keeper &= group[j] != group[i];
        int pocs = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(
            cJSON_GetObjectItemCaseSensitive(before, sorted[i]), "pocs"));
        if (!keeper && pocs > 0)
            pcfmcp__buf_printf(&risk, "%s%s (%d PoC%s)", risk.len ? ", " : "", sorted[i], pocs,
                               pocs == 1 ? "" : "s");
    }
    if (risk.len) {
        rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_DENIED,
                              "not merged: PCF's merge deletes duplicates without moving their "
                              "PoCs, so these would be lost: %s. Attach that evidence to the "
                              "issue that stays (the duplicate with the smallest id) or delete "
                              "those PoCs first.",
                              risk.data);
        pcfmcp__buf_free(&risk);
        goto out;
    }
    pcfmcp__buf_free(&risk);
    if (to_join) {
        cJSON *join = str_array();
        for (int i = 0; i < n && join; i++) {
            int members = 0;
            for (int j = 0; j < n; j++)
                members += group[j] == group[i];
            if (members > 1)
                push(join, sorted[i]);
        }
        pcfmcp__ws_form_list(&b.op.f, "issue", join);
        cJSON_Delete(join);
        if ((rc = bulk_post(c, &b, "ui_issues_merge", "/issues/join_issues", "the merge")) !=
            PCFMCP_OK)
            goto out;
    }
    for (int i = 0; i < n; i++) {
        bool first = true;
        for (int j = 0; j < i; j++)
            first &= group[j] != group[i];
        if (!first)
            continue;
        cJSON *removed = str_array();
        for (int j = i + 1; j < n; j++)
            if (group[j] == group[i])
                push(removed, sorted[j]);
        if (cJSON_GetArraySize(removed) == 0) {
            cJSON_Delete(removed);
            /* Say why it stayed: the nearest given issue of the same name. */
            pcfmcp__buf why;
            pcfmcp__buf_init(&why);
            const cJSON *me = cJSON_GetObjectItemCaseSensitive(before, sorted[i]);
            const char *other = NULL;
            for (int j = 0; j < n && !other; j++) {
                const cJSON *o = cJSON_GetObjectItemCaseSensitive(before, sorted[j]);
                if (j != i && pcfmcp__json_str_is(o, "name", pcfmcp__json_str(me, "name"))) {
                    other = sorted[j];
                    same_issue(me, o, &why);
                }
            }
            cJSON *nm = cJSON_CreateObject();
            cJSON_AddStringToObject(nm, "issue_id", sorted[i]);
            char reason[600];
            if (other)
                snprintf(reason, sizeof(reason), "same name as %s but differs in: %s", other,
                         why.data ? why.data : "?");
            else
                snprintf(reason, sizeof(reason), "no exact duplicate among the given issues");
            cJSON_AddStringToObject(nm, "reason", reason);
            cJSON_AddItemToArray(not_merged, nm);
            pcfmcp__buf_free(&why);
            continue;
        }
        /* Check the outcome: the duplicates are gone, the first one stays. */
        const cJSON *kept = cJSON_GetObjectItemCaseSensitive(b.op.after, sorted[i]);
        const cJSON *r;
        bool gone = true;
        cJSON_ArrayForEach(r, removed)
            gone &= cJSON_GetObjectItemCaseSensitive(b.op.after, r->valuestring) == NULL;
        if (!kept || !gone) {
            cJSON_Delete(removed);
            rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_BAD_RESPONSE,
                                  "PCF answered ok but did not merge the duplicates of %s as "
                                  "expected; check the issues list",
                                  sorted[i]);
            goto out;
        }
        cJSON *m = cJSON_CreateObject();
        cJSON_AddStringToObject(m, "kept", sorted[i]);
        cJSON_AddItemToObject(m, "removed", removed);
        cJSON_AddNumberToObject(m, "services",
                                cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(kept,
                                                                                    "services")));
        cJSON_AddItemToArray(merged, m);
    }
    static const char *const keys[] = { "merged", "not_merged", "not_found" };
    cJSON **vals[] = { &merged, &not_merged, &b.missing };
    rc = pcfmcp__ws_succeed_with(c, 3, keys, vals);
out:
    bulk_end(c, &b);
    pcfmcp__free(sorted);
    pcfmcp__free(group);
    cJSON_Delete(merged);
    cJSON_Delete(not_merged);
    return rc;
}

/* ------------------------------------------------------------ bulk delete */

pcfmcp_error_t pcfmcp__pcf_run_issues_bulk_delete(pcf_call *c)
{
    const cJSON *ids = cJSON_GetObjectItemCaseSensitive(c->body, "issue_ids");
    cJSON *deleted = str_array();
    bulk b;
    pcfmcp_error_t rc = bulk_begin(c, &b, issues_by_id, ids);
    if (rc != PCFMCP_OK)
        goto out;
    pcfmcp__ws_form_list(&b.op.f, "issue", b.found);
    if ((rc = bulk_post(c, &b, "ui_issues_bulk_delete", "/issues/multiple_delete",
                        "the bulk delete")) != PCFMCP_OK)
        goto out;
    const cJSON *e;
    int left = 0;
    cJSON_ArrayForEach(e, b.found) {
        if (cJSON_GetObjectItemCaseSensitive(b.op.after, e->valuestring))
            left++;
        else
            push(deleted, e->valuestring);
    }
    if (left) {
        rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_BAD_RESPONSE,
                              "PCF answered ok but %d of the issues are still there", left);
        goto out;
    }
    static const char *const keys[] = { "deleted", "not_found" };
    cJSON **vals[] = { &deleted, &b.missing };
    rc = pcfmcp__ws_succeed_with(c, 2, keys, vals);
out:
    bulk_end(c, &b);
    cJSON_Delete(deleted);
    return rc;
}

/* ------------------------------------------------------------ main PoC */

static cJSON *main_pocs(const cJSON *info)
{
    cJSON *arr = str_array();
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(info, "pocs"))
        if (pcfmcp__json_num(p, "priority", 0) == 1)
            push(arr, p->string);
    return arr;
}

pcfmcp_error_t pcfmcp__pcf_run_poc_set_main(pcf_call *c)
{
    const char *iid = pcfmcp__pcf_id(c, "issue_id");
    const char *poc = pcfmcp__json_str(c->body, "poc_id");
    cJSON *before = NULL, *after = NULL, *mains = NULL;
    pcf_form f;
    memset(&f, 0, sizeof(f));
    pcf_http_resp resp;
    memset(&resp, 0, sizeof(resp));
    pcfmcp_error_t rc = api_read(c, PCFMCP__PCF_OP_ISSUE_INFO, "issue_id", iid, &before);
    if (rc != PCFMCP_OK)
        return rc;
    if (!cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(before, "pocs"), poc)) {
        cJSON_Delete(before);
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOT_FOUND,
                                "this issue has no PoC %s (get_issue lists its PoCs)", poc);
    }
    if ((rc = pcfmcp__pcf_ui_begin(c)) != PCFMCP_OK) {
        cJSON_Delete(before);
        return rc;
    }
    pcfmcp__pcf_form_add(&f, "poc_id", poc);
    pcfmcp__pcf_form_add(&f, "priority", "1");
    char rest[96];
    snprintf(rest, sizeof(rest), "/issue/%s/set_priority", iid);
    rc = pcfmcp__ws_request(c, "ui_poc_set_main", true, rest, &f, NULL, &resp);
    pcfmcp__pcf_ui_end(c);
    if (rc == PCFMCP_OK && resp.status != 200)
        rc = pcfmcp__pcf_ui_unexpected(c, &resp, "the main PoC");
    if (rc == PCFMCP_OK)
        rc = api_read(c, PCFMCP__PCF_OP_ISSUE_INFO, "issue_id", iid, &after);
    if (rc == PCFMCP_OK) {
        const cJSON *p =
            cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(after, "pocs"), poc);
        if (pcfmcp__json_num(p, "priority", 0) != 1) {
            rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_BAD_RESPONSE,
                                  "PCF answered ok but the PoC is not marked as main");
        } else {
            mains = main_pocs(after);
            cJSON *also = str_array();
            const cJSON *m;
            cJSON_ArrayForEach(m, mains)
                if (strcmp(m->valuestring, poc) != 0)
                    push(also, m->valuestring);
            cJSON *doc = cJSON_CreateObject();
            if (doc) {
                cJSON_AddStringToObject(doc, "poc_id", poc);
                cJSON_AddItemToObject(doc, "main_pocs", mains);
                mains = NULL;
                /* PCF's form refuses priority 0, so an earlier main PoC stays main. */
                cJSON_AddItemToObject(doc, "also_main", also);
            } else {
                cJSON_Delete(also);
            }
            rc = pcfmcp__ws_succeed(c, doc);
        }
    }
    pcfmcp__pcf_http_resp_free(&resp);
    pcfmcp__pcf_form_free(&f);
    cJSON_Delete(before);
    cJSON_Delete(after);
    cJSON_Delete(mains);
    return rc;
}

/* ------------------------------------------------------------ share link */

pcfmcp_error_t pcfmcp__pcf_run_issue_share(pcf_call *c)
{
    const char *iid = pcfmcp__pcf_id(c, "issue_id");
    cJSON *info = NULL;
    /* The share page needs no login; the API read proves the caller may see it. */
    pcfmcp_error_t rc = api_read(c, PCFMCP__PCF_OP_ISSUE_INFO, "issue_id", iid, &info);
    cJSON_Delete(info);
    if (rc != PCFMCP_OK)
        return rc;
    char path[96];
    snprintf(path, sizeof(path), "/share/issue/%s/", iid);
    pcf_http_req req = { .label = "ui_issue_share", .path = path, .read_only = true };
    pcf_http_resp resp;
    memset(&resp, 0, sizeof(resp));
    if ((rc = pcfmcp__pcf_http(c, &req, &resp)) != PCFMCP_OK) {
        pcfmcp__pcf_http_resp_free(&resp);
        return rc;
    }
    c->res->status = (int)resp.status;
    if (resp.status == 200) {
        char *url = pcfmcp__pcf_abs_url(c->pcf, path);
        cJSON *doc = url ? cJSON_CreateObject() : NULL;
        if (doc)
            cJSON_AddStringToObject(doc, "url", url);
        pcfmcp__free(url);
        rc = pcfmcp__ws_succeed(c, doc);
    } else if (resp.status == 302) {
        rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOT_FOUND, "PCF has no share page for this issue");
    } else {
        rc = pcfmcp__pcf_ui_unexpected(c, &resp, "the share page");
    }
    pcfmcp__pcf_http_resp_free(&resp);
    return rc;
}
