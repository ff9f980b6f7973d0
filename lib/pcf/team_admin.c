/* Removing a team member through the team page: API v1 team/<id>/users/delete
 * fails with HTTP 500 on every valid call at PCF 6c83154 (it calls a DB
 * method that does not exist), while the web UI's kick action works. */
#include "core/internal.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/json.h"
#include "core/util.h"
#include "pcf/workspace.h"

/* The edit_error query parameter of PCF's redirect, percent-decoded. */
static char *edit_error(const char *loc)
{
    const char *p = loc ? strstr(loc, "edit_error=") : NULL;
    if (!p)
        return NULL;
    p += strlen("edit_error=");
    pcfmcp__buf b;
    pcfmcp__buf_init(&b);
    for (; *p && *p != '&' && *p != '#'; p++) {
        if (*p == '+') {
            pcfmcp__buf_putc(&b, ' ');
        } else if (*p == '%' && pcfmcp__hexval(p[1]) >= 0 && pcfmcp__hexval(p[2]) >= 0) {
            pcfmcp__buf_putc(&b, (char)(pcfmcp__hexval(p[1]) * 16 + pcfmcp__hexval(p[2])));
            p += 2;
        } else {
            pcfmcp__buf_putc(&b, *p);
        }
    }
    pcfmcp__buf_putc(&b, '\0');
    return pcfmcp__buf_ok(&b) ? pcfmcp__buf_steal(&b, NULL) : (pcfmcp__buf_free(&b), NULL);
}

pcfmcp_error_t pcfmcp__pcf_run_team_user_kick(pcf_call *c)
{
    const char *tid = pcfmcp__pcf_id(c, "team_id");
    const char *uid = pcfmcp__pcf_id(c, "user_id");
    char path[160];
    snprintf(path, sizeof(path), "/team/%s/user/%s/kick", tid, uid);
    pcfmcp_error_t rc = pcfmcp__pcf_ui_begin(c);
    if (rc != PCFMCP_OK)
        return rc;
    pcf_form f;
    memset(&f, 0, sizeof(f));
    pcf_ui_req r = { .label = "ui_team_user_kick", .post = true, .path = path, .form = &f };
    pcf_http_resp resp;
    rc = pcfmcp__pcf_ui_request(c, &r, &resp);
    pcfmcp__pcf_ui_end(c);
    if (rc == PCFMCP_OK) {
        char *err = resp.status == 302 ? edit_error(resp.location) : NULL;
        if (resp.status == 302 && resp.location && strstr(resp.location, "/create_team"))
            rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_PCF,
                                  "PCF refused: no such team, or this PCF user is not its admin");
        else if (resp.status == 302 && resp.location && !strstr(resp.location, "/team/"))
            rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOT_FOUND,
                                  "team not found, or this PCF user is not a member");
        else if (resp.status == 302 && err && *err)
            rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_PCF, "PCF refused: %s", err);
        else if (resp.status == 302)
            rc = pcfmcp__pcf_ok_with_id(c, "removed", uid);
        else
            rc = pcfmcp__pcf_ui_unexpected(c, &resp, "the team member removal");
        pcfmcp__free(err);
    }
    pcfmcp__pcf_http_resp_free(&resp);
    pcfmcp__pcf_form_free(&f);
    return rc;
}
