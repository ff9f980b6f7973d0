/* Project chats: the chat list comes from the chats page (ids in its tab
 * menu), messages from getall.json; creating a chat answers only a
 * redirect, so its id is found by comparing the list before and after. */
#include "core/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "core/util.h"
#include "pcf/workspace.h"

#define MAX_CHATS 2000

/* <a class="item" data-tab="chat_<id>"> NAME<i class="comment icon"></i> */
static cJSON *parse_chats(const char *html, const char *pid)
{
    (void)pid;
    static const char marker[] = "<a class=\"item\" data-tab=\"chat_";
    cJSON *list = cJSON_CreateArray();
    const char *p = html;
    while (list && (p = strstr(p, marker)) != NULL) {
        p += strlen(marker);
        char id[37];
        if (!pcfmcp__pcf_find_uuid_after(p - 5, "chat_", id))
            continue;
        const char *gt = strchr(p, '>');
        const char *icon = gt ? strstr(gt, "<i class=\"comment icon\">") : NULL;
        if (!icon)
            break;
        char *name = pcfmcp__ws_html_text(gt + 1, (size_t)(icon - gt - 1));
        cJSON *ch = cJSON_CreateObject();
        if (!name || !ch) {
            pcfmcp__free(name);
            cJSON_Delete(ch);
            cJSON_Delete(list);
            return NULL;
        }
        cJSON_AddStringToObject(ch, "id", id);
        cJSON_AddStringToObject(ch, "name", name);
        pcfmcp__free(name);
        if (cJSON_GetArraySize(list) < MAX_CHATS)
            cJSON_AddItemToArray(list, ch);
        else
            cJSON_Delete(ch);
        p = icon;
    }
    return list;
}

static pcfmcp_error_t list_chats(pcf_call *c, cJSON **out)
{
    return pcfmcp__ws_read_page(c, "ui_chats_page", "/chats/", "the chats page", parse_chats,
                                out);
}

pcfmcp_error_t pcfmcp__pcf_run_chats_list(pcf_call *c)
{
    return pcfmcp__ws_list_op(c, "chats", list_chats);
}

pcfmcp_error_t pcfmcp__pcf_run_chat_messages(pcf_call *c)
{
    const char *cid = pcfmcp__pcf_id(c, "chat_id");
    pcfmcp_error_t rc = pcfmcp__pcf_ui_begin(c);
    if (rc != PCFMCP_OK)
        return rc;
    char rest[96];
    snprintf(rest, sizeof(rest), "/chats/%s/getall.json", cid);
    pcf_http_resp resp;
    rc = pcfmcp__ws_request(c, "ui_chat_messages", false, rest, NULL, NULL, &resp);
    pcfmcp__pcf_ui_end(c);
    if (rc == PCFMCP_OK) {
        cJSON *msgs = NULL;
        if (resp.status == 302) {
            rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOT_FOUND, "no chat %s in this project", cid);
        } else if (resp.status == 200 &&
                   pcfmcp__json_parse(resp.body.data, resp.body.len, PCF_JSON_DEPTH, &msgs,
                                      NULL) == PCFMCP__JSON_OK &&
                   cJSON_IsArray(msgs)) {
            static const char *const k[] = { "messages" };
            cJSON **v[] = { &msgs };
            rc = pcfmcp__ws_succeed_with(c, 1, k, v);
        } else {
            rc = pcfmcp__pcf_ui_unexpected(c, &resp, "the chat messages");
        }
        cJSON_Delete(msgs);
    }
    pcfmcp__pcf_http_resp_free(&resp);
    return rc;
}

pcfmcp_error_t pcfmcp__pcf_run_chat_create(pcf_call *c)
{
    const char *name = pcfmcp__json_str(c->body, "name");
    /* PCF redirects without creating anything for an empty name. */
    if (!name || !*name)
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG, "argument name must not be empty");
    ws_op op = { 0 };
    pcfmcp_error_t rc = pcfmcp__ws_op_begin(c, &op);
    if (rc != PCFMCP_OK)
        goto out;
    pcfmcp__pcf_form_add(&op.f, "name", name);
    if ((rc = list_chats(c, &op.before)) != PCFMCP_OK)
        goto out;
    if ((rc = pcfmcp__ws_request(c, "ui_chat_create", true, "/chats/add", &op.f, NULL, &op.resp)) !=
        PCFMCP_OK)
        goto out;
    if (op.resp.status != 302) {
        rc = pcfmcp__pcf_ui_unexpected(c, &op.resp, "the new chat");
        goto out;
    }
    if ((rc = list_chats(c, &op.after)) != PCFMCP_OK)
        goto out;
    const char *cid = NULL;
    const cJSON *ch;
    cJSON_ArrayForEach(ch, op.after) {
        bool old = false;
        const cJSON *b;
        cJSON_ArrayForEach(b, op.before)
            old |= pcfmcp__json_str_is(b, "id", pcfmcp__json_str(ch, "id"));
        if (!old && pcfmcp__json_str_is(ch, "name", name))
            cid = pcfmcp__json_str(ch, "id");
    }
    if (!cid) {
        rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_BAD_RESPONSE,
                              "PCF accepted the chat, but it is not in the project on re-reading");
        goto out;
    }
    rc = pcfmcp__pcf_ok_with_id(c, "chat_id", cid);
out:
    pcfmcp__ws_op_end(c, &op);
    return rc;
}

pcfmcp_error_t pcfmcp__pcf_run_chat_post(pcf_call *c)
{
    const char *cid = pcfmcp__pcf_id(c, "chat_id");
    const char *msg = pcfmcp__json_str(c->body, "message");
    if (!msg || !*msg)
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG,
                                "argument message must not be empty");
    pcfmcp_error_t rc = pcfmcp__pcf_ui_begin(c);
    if (rc != PCFMCP_OK)
        return rc;
    pcf_form f;
    memset(&f, 0, sizeof(f));
    pcfmcp__pcf_form_add(&f, "message", msg);
    char rest[96];
    snprintf(rest, sizeof(rest), "/chats/%s/sendmessage", cid);
    pcf_http_resp resp;
    rc = pcfmcp__ws_request(c, "ui_chat_post", true, rest, &f, NULL, &resp);
    pcfmcp__pcf_ui_end(c);
    if (rc == PCFMCP_OK) {
        /* Success is the message time (ms since the epoch) as plain text. */
        const char *b = pcfmcp__ws_body(&resp);
        char *end = NULL;
        double t = resp.status == 200 ? strtod(b, &end) : 0;
        if (resp.status == 302) {
            rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOT_FOUND,
                                  "no chat %s in this project (or the project is archived)", cid);
        } else if (resp.status == 200 && end && end != b && *end == '\0' && t > 0) {
            cJSON *doc = cJSON_CreateObject();
            if (doc) {
                cJSON_AddStringToObject(doc, "chat_id", cid);
                cJSON_AddNumberToObject(doc, "time", t);
            }
            rc = pcfmcp__ws_succeed(c, doc);
        } else if (resp.status == 200) {
            rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_PCF, "PCF refused the message (\"%.40s\")", b);
        } else {
            rc = pcfmcp__pcf_ui_unexpected(c, &resp, "the chat message");
        }
    }
    pcfmcp__pcf_http_resp_free(&resp);
    pcfmcp__pcf_form_free(&f);
    return rc;
}
