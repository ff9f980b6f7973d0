/* Notes: web UI only. */
#include "core/internal.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "core/util.h"
#include "pcf/impl.h"

static const cJSON *notes_of(const cJSON *doc)
{
    return cJSON_GetObjectItemCaseSensitive(doc, "notes");
}

/* POST notes/edit; PCF answers 302 for everything it handles and 500 for an
 * unknown note id, which is told apart from other failures by re-reading. */
static pcfmcp_error_t note_edit(pcf_call *c, const char *nid, const char *action,
                                const char *text)
{
    const char *pid = pcfmcp__pcf_id(c, "project_id");
    pcf_form f;
    memset(&f, 0, sizeof(f));
    pcfmcp__pcf_form_add(&f, "note_id", nid);
    pcfmcp__pcf_form_add(&f, "action", action);
    pcfmcp__pcf_form_add(&f, "text", text);
    char *path = pcfmcp__pcf_project_path(pid, "/notes/edit");
    pcfmcp_error_t rc = PCFMCP_OK;
    pcf_http_resp resp;
    memset(&resp, 0, sizeof(resp));
    if (!path || f.failed) {
        rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
        goto out;
    }
    pcf_ui_req r = { .label = "ui_note_edit", .post = true, .path = path, .form = &f };
    if ((rc = pcfmcp__pcf_ui_request(c, &r, &resp)) != PCFMCP_OK)
        goto out;
    if (resp.status == 302)
        goto out;
    if (resp.status == 500) {
        cJSON *doc = NULL;
        long st = resp.status;
        if (pcfmcp__pcf_ui_snapshot(c, pid, &doc) == PCFMCP_OK &&
            !cJSON_GetObjectItemCaseSensitive(notes_of(doc), nid)) {
            rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOT_FOUND, "note not found in this project");
        } else {
            pcfmcp__pcf_answer a = { .status = st, .content_type = resp.content_type,
                                     .body = "", .len = 0 };
            rc = pcfmcp__pcf_fail_status(c->res, &a);
        }
        c->res->status = (int)st;
        cJSON_Delete(doc);
        goto out;
    }
    rc = pcfmcp__pcf_ui_unexpected(c, &resp, "the note edit");
out:
    pcfmcp__pcf_http_resp_free(&resp);
    pcfmcp__pcf_form_free(&f);
    pcfmcp__free(path);
    return rc;
}

/* PCF's notes/edit answers the same redirect whether it changed the note
 * or not: for a note of another project (its UPDATE and DELETE carry
 * "AND project_id=?"), any id on Rename, an archived project, a form token
 * PCF refused. Only the project's export tells: the change is checked there
 * after the post, and @p must_exist first makes sure the note is one of
 * this project's (nothing is posted for another project's note, so PCF
 * also writes no log line naming it). */
static pcfmcp_error_t note_edit_checked(pcf_call *c, const char *nid, const char *action,
                                        const char *text, bool must_exist)
{
    const char *pid = pcfmcp__pcf_id(c, "project_id");
    cJSON *doc = NULL;
    pcfmcp_error_t rc;
    if (must_exist) {
        if ((rc = pcfmcp__pcf_ui_snapshot(c, pid, &doc)) != PCFMCP_OK)
            return rc;
        bool here = cJSON_GetObjectItemCaseSensitive(notes_of(doc), nid) != NULL;
        cJSON_Delete(doc);
        doc = NULL;
        if (!here)
            return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOT_FOUND,
                                    "note not found in this project");
    }
    if ((rc = note_edit(c, nid, action, text)) != PCFMCP_OK)
        return rc;
    if ((rc = pcfmcp__pcf_ui_snapshot(c, pid, &doc)) != PCFMCP_OK)
        return rc;
    const cJSON *note = cJSON_GetObjectItemCaseSensitive(notes_of(doc), nid);
    bool landed;
    if (strcmp(action, "Delete") == 0) {
        landed = note == NULL;
    } else {
        const char *now = pcfmcp__json_str(note, strcmp(action, "Rename") == 0 ? "name" : "html");
        landed = now && text && strcmp(now, text) == 0;
    }
    cJSON_Delete(doc);
    if (!landed)
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_BAD_RESPONSE,
                                "PCF answered the note %s, but the project's export shows no "
                                "change: nothing was stored (is the project archived?)",
                                strcmp(action, "Delete") == 0   ? "delete"
                                : strcmp(action, "Rename") == 0 ? "rename"
                                                                : "edit");
    return PCFMCP_OK;
}

/* Adds the note with a Referer (PCF fails without one). With a host, the
 * redirect carries the new id (#/notes/note_<id>); otherwise the export is
 * compared before and after. */
pcfmcp_error_t pcfmcp__pcf_run_note_create(pcf_call *c)
{
    const char *pid = pcfmcp__pcf_id(c, "project_id");
    const char *name = pcfmcp__json_str(c->body, "name");
    const char *host = pcfmcp__json_str(c->body, "host_id");
    const char *text = pcfmcp__json_str(c->body, "text");
    if (!name)
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG, "argument name must be a string");
    if (host && !pcfmcp__uuid_valid(host))
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG,
                                "argument host_id must be a UUID");
    char tail[96];
    if (host)
        snprintf(tail, sizeof(tail), "/host/%s/", host);
    else
        snprintf(tail, sizeof(tail), "/notes/");
    char *ref_path = pcfmcp__pcf_project_path(pid, tail);
    char *referer = ref_path ? pcfmcp__pcf_abs_url(c->pcf, ref_path) : NULL;
    char *path = pcfmcp__pcf_project_path(pid, "/notes/add");
    pcfmcp__free(ref_path);
    pcf_form f;
    memset(&f, 0, sizeof(f));
    pcfmcp__pcf_form_add(&f, "name", name);
    pcfmcp__pcf_form_add(&f, "host_id", host);
    pcfmcp_error_t rc;
    if (!referer || !path || f.failed) {
        pcfmcp__free(referer);
        pcfmcp__free(path);
        pcfmcp__pcf_form_free(&f);
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
    }
    if ((rc = pcfmcp__pcf_ui_begin(c)) != PCFMCP_OK) {
        pcfmcp__free(referer);
        pcfmcp__free(path);
        pcfmcp__pcf_form_free(&f);
        return rc;
    }
    cJSON *before = NULL, *after = NULL;
    pcf_http_resp resp;
    memset(&resp, 0, sizeof(resp));
    char nid[37] = "";
    if (!host && (rc = pcfmcp__pcf_ui_snapshot(c, pid, &before)) != PCFMCP_OK)
        goto out;
    pcf_ui_req r = { .label = "ui_note_create", .post = true, .path = path, .form = &f,
                     .referer = referer };
    if ((rc = pcfmcp__pcf_ui_request(c, &r, &resp)) != PCFMCP_OK)
        goto out;
    if (resp.status != 302) {
        rc = pcfmcp__pcf_ui_unexpected(c, &resp, "the new note");
        goto out;
    }
    if (host) {
        char *frag = pcfmcp__pcf_location_fragment(resp.location);
        bool got = frag && pcfmcp__pcf_find_uuid_after(frag, "note_", nid);
        pcfmcp__free(frag);
        if (!got) {
            /* PCF silently creates nothing for a host it does not know. */
            rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOT_FOUND,
                                  "PCF created no note: host not found in this project");
            goto out;
        }
    } else {
        if ((rc = pcfmcp__pcf_ui_snapshot(c, pid, &after)) != PCFMCP_OK)
            goto out;
        const cJSON *e;
        cJSON_ArrayForEach(e, notes_of(after)) {
            const char *n = pcfmcp__json_str(e, "name");
            if (n && strcmp(n, name) == 0 &&
                !cJSON_GetObjectItemCaseSensitive(notes_of(before), e->string) &&
                pcfmcp__uuid_valid(e->string))
                snprintf(nid, sizeof(nid), "%s", e->string);
        }
        if (!nid[0]) {
            rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_BAD_RESPONSE,
                                  "PCF accepted the note, but it is not in the project on "
                                  "re-reading");
            goto out;
        }
    }
    if (text && (rc = note_edit_checked(c, nid, "Update", text, false)) != PCFMCP_OK) {
        char msg[300];
        snprintf(msg, sizeof(msg), "note %s was created, but setting its text failed: %s", nid,
                 pcfmcp_pcf_result_message(c->res));
        pcfmcp__pcf_fail(c->res, rc, "%s", msg);
        goto out;
    }
    rc = pcfmcp__pcf_ok_with_id(c, "note_id", nid);
out:
    pcfmcp__pcf_ui_end(c);
    pcfmcp__pcf_http_resp_free(&resp);
    pcfmcp__pcf_form_free(&f);
    pcfmcp__free(path);
    pcfmcp__free(referer);
    cJSON_Delete(before);
    cJSON_Delete(after);
    return rc;
}

pcfmcp_error_t pcfmcp__pcf_run_note_edit(pcf_call *c)
{
    const char *action, *text = NULL;
    if (c->op == PCFMCP__PCF_OP_NOTE_UPDATE) {
        action = "Update";
        text = pcfmcp__json_str(c->body, "text");
    } else if (c->op == PCFMCP__PCF_OP_NOTE_RENAME) {
        action = "Rename";
        text = pcfmcp__json_str(c->body, "name");
    } else {
        action = "Delete";
    }
    if (c->op != PCFMCP__PCF_OP_NOTE_DELETE && !text)
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG, "argument %s must be a string",
                                c->op == PCFMCP__PCF_OP_NOTE_UPDATE ? "text" : "name");
    pcfmcp_error_t rc = pcfmcp__pcf_ui_begin(c);
    if (rc)
        return rc;
    rc = note_edit_checked(c, pcfmcp__pcf_id(c, "note_id"), action, text, true);
    pcfmcp__pcf_ui_end(c);
    return rc ? rc : pcfmcp__pcf_ok_with_id(c, NULL, NULL);
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_note_create(pcfmcp_pcf_t *pcf, const char *project_id,
                                                 const char *name, const char *host_id,
                                                 const char *text, pcfmcp_pcf_result_t **out)
{
    return pcfmcp__pcf_run_strs(pcf, PCFMCP__PCF_OP_NOTE_CREATE, NULL, out, 4, "project_id",
                                project_id, "name", name, "host_id", host_id, "text", text);
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_note_update(pcfmcp_pcf_t *pcf, const char *project_id,
                                                 const char *note_id, const char *text,
                                                 pcfmcp_pcf_result_t **out)
{
    return pcfmcp__pcf_run_strs(pcf, PCFMCP__PCF_OP_NOTE_UPDATE, NULL, out, 3, "project_id",
                                project_id, "note_id", note_id, "text", text);
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_note_rename(pcfmcp_pcf_t *pcf, const char *project_id,
                                                 const char *note_id, const char *name,
                                                 pcfmcp_pcf_result_t **out)
{
    return pcfmcp__pcf_run_strs(pcf, PCFMCP__PCF_OP_NOTE_RENAME, NULL, out, 3, "project_id",
                                project_id, "note_id", note_id, "name", name);
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_note_delete(pcfmcp_pcf_t *pcf, const char *project_id,
                                                 const char *note_id, pcfmcp_pcf_result_t **out)
{
    return pcfmcp__pcf_run_strs(pcf, PCFMCP__PCF_OP_NOTE_DELETE, NULL, out, 2, "project_id",
                                project_id, "note_id", note_id);
}
