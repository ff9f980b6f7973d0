/* The operation table and the one call path every operation goes through:
 * argument checks, path building, token handling, transport, classification. */
#include "core/internal.h"

#include <stdarg.h>
#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "core/util.h"
#include "pcf/impl.h"
#include "pcf/tokens.h"
#include "pcf/workspace.h"

#define P "/api/v1/project/{project_id}"
#define T "/api/v1/team/{team_id}"
#define R PCF_F_READ
#define W PCF_F_WRITE
#define UI PCF_F_UI

/* label, API route, web-only ids, flags, required members, prepare, run */
const pcf_op_desc pcfmcp__pcf_ops[PCFMCP__PCF_OP_COUNT] = {
    [PCFMCP__PCF_OP_TOKEN_CREATE] = { "token_create", "/api/v1/create_token", NULL,
                                      PCF_F_NOAUTH | W, "email password", NULL,
                                      pcfmcp__pcf_run_token_create },
    [PCFMCP__PCF_OP_TOKEN_CHECK] = { "token_check", "/api/v1/check_token", NULL, R, NULL, NULL,
                                     pcfmcp__pcf_run_token_check },
    [PCFMCP__PCF_OP_TOKEN_DISABLE] = { "token_disable", "/api/v1/disable_token", NULL, W, NULL,
                                       NULL, pcfmcp__pcf_run_token_disable },
    [PCFMCP__PCF_OP_USER_ME] = { "user_me", "/api/v1/user/me", NULL, R, NULL, NULL, NULL },
    [PCFMCP__PCF_OP_USER_INFO] = { "user_info", "/api/v1/user/{user_id}/info", NULL, R, NULL,
                                   NULL, NULL },
    [PCFMCP__PCF_OP_TEAMS_LIST] = { "teams_list", "/api/v1/teams", NULL, R, NULL, NULL, NULL },
    [PCFMCP__PCF_OP_TEAM_INFO] = { "team_info", T "/info", NULL, R, NULL, NULL, NULL },
    [PCFMCP__PCF_OP_TEAM_USERS] = { "team_users", T "/users", NULL, R, NULL, NULL, NULL },
    [PCFMCP__PCF_OP_TEAM_PROJECTS] = { "team_projects", T "/projects", NULL, R, NULL, NULL,
                                       NULL },
    [PCFMCP__PCF_OP_TEAM_LOGS] = { "team_logs", T "/logs", NULL, R, NULL,
                                   pcfmcp__pcf_prep_team_logs, NULL },
    [PCFMCP__PCF_OP_TEAM_UPDATE] = { "team_update", T "/info/update", NULL, W, NULL, NULL,
                                     NULL },
    [PCFMCP__PCF_OP_TEAM_USER_ADD] = { "team_user_add", T "/users/add", NULL, W, "email", NULL,
                                       NULL },
    [PCFMCP__PCF_OP_TEAM_USER_SET_ADMIN] = { "team_user_set_admin", T "/users/set_admin", NULL,
                                             W, "user_id", NULL, NULL, "user_id" },
    [PCFMCP__PCF_OP_TEAM_USER_DEVOTE] = { "team_user_devote", T "/users/devote", NULL, W,
                                          "user_id", NULL, NULL, "user_id" },
    [PCFMCP__PCF_OP_TEAM_USER_DELETE] = { "team_user_delete", T "/users/delete", NULL, W,
                                          "user_id", NULL, NULL, "user_id" },
    [PCFMCP__PCF_OP_PROJECTS_LIST] = { "projects_list", "/api/v1/projects", NULL, R, NULL, NULL,
                                       NULL },
    [PCFMCP__PCF_OP_PROJECT_CREATE] = { "project_create", "/api/v1/project/new", NULL, W, "name",
                                        pcfmcp__pcf_prep_project_create, NULL,
                                        "teams[] testers[]" },
    [PCFMCP__PCF_OP_PROJECT_SETTINGS] = { "project_settings", P "/settings", NULL, R, NULL, NULL,
                                          NULL },
    [PCFMCP__PCF_OP_PROJECT_UPDATE] = { "project_update", P "/settings/edit", NULL, W, NULL,
                                        NULL, NULL, "teams[] testers[]" },
    [PCFMCP__PCF_OP_HOSTS_LIST] = { "hosts_list", P "/hosts", NULL, R, NULL, NULL, NULL },
    [PCFMCP__PCF_OP_HOST_INFO] = { "host_info", P "/host/{host_id}/info", NULL, R, NULL, NULL,
                                   NULL },
    [PCFMCP__PCF_OP_HOST_CREATE] = { "host_create", P "/host/new", NULL, W, "ip", NULL, NULL },
    [PCFMCP__PCF_OP_HOST_UPDATE] = { "host_update", P "/host/{host_id}/edit", NULL, W, NULL,
                                     NULL, NULL },
    [PCFMCP__PCF_OP_HOST_DELETE] = { "host_delete", P "/host/{host_id}/delete", NULL, W, NULL,
                                     NULL, NULL },
    [PCFMCP__PCF_OP_PORT_CREATE] = { "port_create", P "/port/new", NULL, W, "host_id port",
                                     pcfmcp__pcf_prep_port_create, NULL, "host_id" },
    [PCFMCP__PCF_OP_PORT_INFO] = { "port_info", P "/port/{port_id}/info", NULL, R, NULL, NULL,
                                   NULL },
    [PCFMCP__PCF_OP_PORT_UPDATE] = { "port_update", P "/port/{port_id}/edit", NULL, W, NULL,
                                     NULL, NULL },
    [PCFMCP__PCF_OP_PORT_DELETE] = { "port_delete", P "/port/{port_id}/delete", NULL, W, NULL,
                                     NULL, NULL },
    [PCFMCP__PCF_OP_HOSTNAMES_LIST] = { "hostnames_list", P "/hostnames", NULL, R, NULL, NULL,
                                        NULL },
    [PCFMCP__PCF_OP_HOSTNAME_ADD] = { "hostname_add", P "/hostname/add", NULL, W,
                                      "host_id hostname", NULL, NULL, "host_id" },
    [PCFMCP__PCF_OP_NETWORKS_LIST] = { "networks_list", P "/networks", NULL, R, NULL, NULL,
                                       NULL },
    [PCFMCP__PCF_OP_NETWORK_INFO] = { "network_info", P "/network/{network_id}/info", NULL, R,
                                      NULL, NULL, NULL },
    [PCFMCP__PCF_OP_NETWORK_CREATE] = { "network_create", P "/network/create", NULL, W,
                                        "ip mask", NULL, pcfmcp__pcf_run_network_create,
                                        "access_from{}" },
    [PCFMCP__PCF_OP_NETWORK_UPDATE] = { "network_update", P "/network/{network_id}/edit", NULL,
                                        W, NULL, NULL, NULL, "access_from{}" },
    [PCFMCP__PCF_OP_NETWORK_DELETE] = { "network_delete", P "/network/{network_id}/delete",
                                        NULL, W, NULL, NULL, NULL },
    [PCFMCP__PCF_OP_ISSUES_LIST] = { "issues_list", P "/issues/list", NULL, R, NULL, NULL,
                                     NULL },
    [PCFMCP__PCF_OP_ISSUES_SEARCH] = { "issues_search", P "/issues/search", NULL, R, NULL, NULL,
                                       NULL },
    [PCFMCP__PCF_OP_ISSUE_INFO] = { "issue_info", P "/issues/{issue_id}/info", NULL, R, NULL,
                                    NULL, NULL },
    [PCFMCP__PCF_OP_ISSUE_CREATE] = { "issue_create", P "/issues/create", NULL, W, "name", NULL,
                                      pcfmcp__pcf_run_issue_create, "services{}" },
    [PCFMCP__PCF_OP_ISSUE_UPDATE] = { "issue_update", P "/issues/{issue_id}/edit", NULL, W,
                                      NULL, NULL, pcfmcp__pcf_run_issue_update, "services{}" },
    [PCFMCP__PCF_OP_ISSUE_DELETE] = { "issue_delete", P "/issues/{issue_id}/delete", NULL, W,
                                      NULL, NULL, pcfmcp__pcf_run_issue_delete },
    [PCFMCP__PCF_OP_POC_ADD] = { "poc_add", P "/issues/{issue_id}/poc/add", NULL, W, NULL,
                                 pcfmcp__pcf_prep_poc_add, pcfmcp__pcf_run_poc_add,
                                 "port_id|0 hostname_id|0" },
    [PCFMCP__PCF_OP_POC_INFO] = { "poc_info", P "/issues/{issue_id}/poc/{poc_id}/info", NULL, R,
                                  NULL, NULL, NULL },
    [PCFMCP__PCF_OP_POC_DELETE] = { "poc_delete", P "/issues/{issue_id}/poc/{poc_id}/delete",
                                    NULL, W, NULL, NULL, NULL },
    [PCFMCP__PCF_OP_RULES_LIST] = { "rules_list", "/api/v1/rules", NULL, R, NULL,
                                    pcfmcp__pcf_prep_rules, NULL, "rule_ids[] user_id team_id" },
    [PCFMCP__PCF_OP_RULES_USE] = { "rules_use", P "/issues/rules/use", NULL, W,
                                   "rule_ids issue_ids", NULL, NULL, "rule_ids[] issue_ids[]" },
    [PCFMCP__PCF_OP_SWAGGER] = { "swagger", "/api/v1/swagger_v1.0.0.json", NULL,
                                 R | PCF_F_NOAUTH | PCF_F_GET, NULL, NULL, NULL },
    [PCFMCP__PCF_OP_CHECK] = { "check", "/api/v1/check_token", NULL, R, NULL, NULL,
                               pcfmcp__pcf_run_token_check },
    [PCFMCP__PCF_OP_PROJECT_SNAPSHOT] = { "project_snapshot", NULL, "project_id", UI | R, NULL,
                                          NULL, pcfmcp__pcf_run_snapshot },
    [PCFMCP__PCF_OP_CREDENTIALS_LIST] = { "credentials_list", NULL, "project_id", UI | R, NULL,
                                          NULL, pcfmcp__pcf_run_credentials_list },
    [PCFMCP__PCF_OP_CREDENTIAL_CREATE] = { "credential_create", NULL, "project_id", UI | W,
                                           "login", NULL, pcfmcp__pcf_run_credential_create,
                                           "services{}" },
    [PCFMCP__PCF_OP_CREDENTIAL_UPDATE] = { "credential_update", NULL, "project_id credential_id",
                                           UI | W, NULL, NULL,
                                           pcfmcp__pcf_run_credential_update, "services{}" },
    [PCFMCP__PCF_OP_CREDENTIAL_DELETE] = { "credential_delete", NULL, "project_id credential_id",
                                           UI | W, NULL, NULL,
                                           pcfmcp__pcf_run_credential_delete },
    [PCFMCP__PCF_OP_NOTES_LIST] = { "notes_list", NULL, "project_id", UI | R, NULL, NULL,
                                    pcfmcp__pcf_run_notes_list },
    [PCFMCP__PCF_OP_NOTE_CREATE] = { "note_create", NULL, "project_id", UI | W, "name", NULL,
                                     pcfmcp__pcf_run_note_create, "host_id" },
    [PCFMCP__PCF_OP_NOTE_UPDATE] = { "note_update", NULL, "project_id note_id", UI | W, "text",
                                     NULL, pcfmcp__pcf_run_note_edit },
    [PCFMCP__PCF_OP_NOTE_RENAME] = { "note_rename", NULL, "project_id note_id", UI | W, "name",
                                     NULL, pcfmcp__pcf_run_note_edit },
    [PCFMCP__PCF_OP_NOTE_DELETE] = { "note_delete", NULL, "project_id note_id", UI | W, NULL,
                                     NULL, pcfmcp__pcf_run_note_edit },
    [PCFMCP__PCF_OP_SCAN_IMPORT] = { "scan_import", NULL, "project_id", UI | W, "format", NULL,
                                     pcfmcp__pcf_run_scan_import },
    [PCFMCP__PCF_OP_REPORT_RENDER] = { "report_render", NULL, "project_id", UI | W, NULL, NULL,
                                       pcfmcp__pcf_run_report_render, "template_id" },
    /* The project workspace (workspace.h): web UI, verified by re-reading. */
#define WS(op, label, ids, flags, required, run, uuids) \
    [PCFMCP__PCF_OP_##op] = { label, NULL, ids, flags, required, NULL, run, uuids }
    WS(ISSUE_TEMPLATES, "issue_templates", "project_id", UI | R, NULL,
       pcfmcp__pcf_run_issue_templates, NULL),
    WS(ISSUE_FROM_TEMPLATE, "issue_from_template", "project_id template_id", UI | W, NULL,
       pcfmcp__pcf_run_issue_from_template, NULL),
    WS(ISSUES_BULK_EDIT, "issues_bulk_edit", "project_id", UI | W, "issue_ids",
       pcfmcp__pcf_run_issues_bulk_edit, "issue_ids[]"),
    WS(ISSUES_MERGE, "issues_merge", "project_id", UI | W, "issue_ids",
       pcfmcp__pcf_run_issues_merge, "issue_ids[]"),
    WS(ISSUES_BULK_DELETE, "issues_bulk_delete", "project_id", UI | W, "issue_ids",
       pcfmcp__pcf_run_issues_bulk_delete, "issue_ids[]"),
    WS(POC_SET_MAIN, "poc_set_main", "project_id issue_id", UI | W, "poc_id",
       pcfmcp__pcf_run_poc_set_main, "poc_id"),
    WS(ISSUE_SHARE, "issue_share", "project_id issue_id", R, NULL, pcfmcp__pcf_run_issue_share,
       NULL),
    WS(TASKS_LIST, "tasks_list", "project_id", UI | R, NULL, pcfmcp__pcf_run_tasks_list, NULL),
    WS(TASK_CREATE, "task_create", "project_id", UI | W, "name", pcfmcp__pcf_run_task_create,
       "users[] teams[] services{}"),
    WS(TASK_UPDATE, "task_update", "project_id", UI | W, "task_id", pcfmcp__pcf_run_task_update,
       "task_id users[] teams[] services{}"),
    WS(TASK_DELETE, "task_delete", "project_id", UI | W, "task_id", pcfmcp__pcf_run_task_delete,
       "task_id"),
    WS(FILES_LIST, "files_list", "project_id", UI | R, NULL, pcfmcp__pcf_run_files_list, NULL),
    WS(FILE_UPLOAD, "file_upload", "project_id", UI | W, "filename b64content",
       pcfmcp__pcf_run_file_upload, "services{}"),
    WS(FILE_DOWNLOAD, "file_download", "project_id file_id", UI | R, NULL,
       pcfmcp__pcf_run_file_download, NULL),
    WS(FILE_DELETE, "file_delete", "project_id file_id", UI | W, NULL,
       pcfmcp__pcf_run_file_delete, NULL),
    WS(CHATS_LIST, "chats_list", "project_id", UI | R, NULL, pcfmcp__pcf_run_chats_list, NULL),
    WS(CHAT_MESSAGES, "chat_messages", "project_id chat_id", UI | R, NULL,
       pcfmcp__pcf_run_chat_messages, NULL),
    WS(CHAT_CREATE, "chat_create", "project_id", UI | W, "name", pcfmcp__pcf_run_chat_create,
       NULL),
    WS(CHAT_POST, "chat_post", "project_id chat_id", UI | W, "message",
       pcfmcp__pcf_run_chat_post, NULL),
    WS(CREDENTIALS_IMPORT, "credentials_import", "project_id", UI | W, "content",
       pcfmcp__pcf_run_credentials_import, NULL),
    WS(CREDENTIALS_EXPORT, "credentials_export", "project_id", UI | R, "export_type",
       pcfmcp__pcf_run_credentials_export, NULL),
    WS(HOSTS_IMPORT, "hosts_import", "project_id", UI | W, "hosts", pcfmcp__pcf_run_hosts_import,
       NULL),
    WS(SERVICES_LIST, "services_list", "project_id", UI | R, NULL,
       pcfmcp__pcf_run_services_list, NULL),
    WS(SERVICE_ADD, "service_add", "project_id", UI | W, "port host_ids",
       pcfmcp__pcf_run_service_add, "host_ids[]"),
    WS(SERVICE_UPDATE, "service_update", "project_id", UI | W, "port",
       pcfmcp__pcf_run_service_update, NULL),
    WS(PATHS_LIST, "paths_list", "project_id", UI | R, NULL, pcfmcp__pcf_run_paths_list, NULL),
    WS(PATH_ADD, "path_add", "project_id", UI | W, "from_type from_id to_type to_id",
       pcfmcp__pcf_run_path_add, "from_id to_id"),
    WS(PATH_DELETE, "path_delete", "project_id", UI | W, "path_id", pcfmcp__pcf_run_path_delete,
       "path_id"),
    /* Not R: a cached answer would show a token that is gone. */
    WS(TOKEN_INFO, "token_info", NULL, 0, NULL, pcfmcp__pcf_run_token_info, NULL),
    WS(TEAM_USER_KICK, "team_user_kick", "team_id user_id", UI | W, NULL,
       pcfmcp__pcf_run_team_user_kick, NULL),
#undef WS
};

#undef P
#undef T
#undef R
#undef W
#undef UI

const char *pcfmcp__pcf_op_label(pcfmcp__pcf_op op)
{
    return (unsigned)op < PCFMCP__PCF_OP_COUNT ? pcfmcp__pcf_ops[op].label : "unknown";
}

int pcfmcp__pcf_op_is_write(pcfmcp__pcf_op op)
{
    return (unsigned)op < PCFMCP__PCF_OP_COUNT && (pcfmcp__pcf_ops[op].flags & PCF_F_WRITE);
}

const char *pcfmcp__pcf_id(const pcf_call *c, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(c->ids, name);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

/* ------------------------------------------------------------------ argument checks */

/* Calls @p fn for each name in a space-separated list or in the {name}
 * variables of a route. */
static pcfmcp_error_t each_name(const char *list, bool route, pcf_call *c,
                                pcfmcp_error_t (*fn)(pcf_call *c, const char *name))
{
    if (!list)
        return PCFMCP_OK;
    const char *p = list;
    while (*p) {
        const char *s, *e;
        if (route) {
            s = strchr(p, '{');
            if (!s)
                break;
            s++;
            e = strchr(s, '}');
            if (!e)
                break;
        } else {
            while (*p == ' ')
                p++;
            if (!*p)
                break;
            s = p;
            e = s + strcspn(s, " ");
        }
        char name[32];
        size_t n = (size_t)(e - s);
        if (n >= sizeof(name))
            n = sizeof(name) - 1;
        memcpy(name, s, n);
        name[n] = '\0';
        pcfmcp_error_t rc = fn(c, name);
        if (rc)
            return rc;
        p = route ? e + 1 : e;
    }
    return PCFMCP_OK;
}

static pcfmcp_error_t take_id(pcf_call *c, const char *name)
{
    cJSON *v = cJSON_DetachItemFromObjectCaseSensitive(c->body, name);
    if (!v || cJSON_IsNull(v)) {
        cJSON_Delete(v);
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG, "missing argument %s", name);
    }
    if (!cJSON_IsString(v) || !pcfmcp__uuid_valid(v->valuestring)) {
        cJSON_Delete(v);
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG, "argument %s must be a UUID",
                                name);
    }
    cJSON_AddItemToObject(c->ids, name, v);
    return PCFMCP_OK;
}

static pcfmcp_error_t check_required(pcf_call *c, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(c->body, name);
    if (!v || cJSON_IsNull(v))
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG, "missing argument %s", name);
    if (cJSON_IsString(v) && v->valuestring[0] == '\0')
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG, "argument %s must not be empty",
                                name);
    return PCFMCP_OK;
}

static bool id_ok(const cJSON *v, bool zero_ok)
{
    return cJSON_IsString(v) &&
           (pcfmcp__uuid_valid(v->valuestring) || (zero_ok && strcmp(v->valuestring, "0") == 0));
}

/* PCF answers a malformed id in the body with a 400 at best and a 500 at
 * worst, and the web forms would carry it truncated; so body ids are held to
 * the same rule as path ids before anything is sent. One spec per member:
 * "name" a UUID, "name|0" a UUID or "0" (PCF's "no service"), "name[]" an
 * array of UUIDs, "name{}" a services map {port UUID: [hostname UUID or "0"]}
 * whose values may also be {"hostnames": [...]} as the web channel accepts.
 * Absent and null members are left to the required checks ("keep current"). */
static pcfmcp_error_t check_uuid_member(pcf_call *c, const char *spec)
{
    char name[32];
    size_t n = strcspn(spec, "|[{");
    if (n >= sizeof(name))
        n = sizeof(name) - 1;
    memcpy(name, spec, n);
    name[n] = '\0';
    const char *kind = spec + n;
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(c->body, name);
    if (!v || cJSON_IsNull(v))
        return PCFMCP_OK;
    if (*kind == '[') {
        const cJSON *e;
        if (!cJSON_IsArray(v))
            return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG,
                                    "argument %s must be an array of UUIDs", name);
        cJSON_ArrayForEach(e, v)
            if (!id_ok(e, false))
                return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG,
                                        "argument %s must hold UUIDs", name);
        return PCFMCP_OK;
    }
    if (*kind == '{') {
        const cJSON *port;
        if (!cJSON_IsObject(v))
            return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG,
                                    "argument %s must be an object {port_id: [hostname_id "
                                    "or \"0\"]}",
                                    name);
        cJSON_ArrayForEach(port, v) {
            if (!pcfmcp__uuid_valid(port->string))
                return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG,
                                        "argument %s: port ids must be UUIDs", name);
            const cJSON *list = cJSON_IsObject(port)
                                    ? cJSON_GetObjectItemCaseSensitive(port, "hostnames")
                                    : port;
            const cJSON *h;
            cJSON_ArrayForEach(h, list)
                if (!id_ok(h, true))
                    return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG,
                                            "argument %s: hostname ids must be UUIDs or \"0\"",
                                            name);
        }
        return PCFMCP_OK;
    }
    bool zero_ok = *kind == '|';
    if (!id_ok(v, zero_ok))
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG,
                                zero_ok ? "argument %s must be a UUID or \"0\""
                                        : "argument %s must be a UUID",
                                name);
    return PCFMCP_OK;
}

static pcfmcp_error_t run_call(pcf_call *c, const cJSON *args)
{
    c->body = args ? cJSON_Duplicate(args, true) : cJSON_CreateObject();
    c->ids = cJSON_CreateObject();
    if (!c->body || !c->ids)
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
    pcfmcp_error_t rc;
    if (c->desc->path)
        rc = each_name(c->desc->path, true, c, take_id);
    else
        rc = each_name(c->desc->ids, false, c, take_id);
    if (rc == PCFMCP_OK)
        rc = each_name(c->desc->required, false, c, check_required);
    if (rc == PCFMCP_OK)
        rc = each_name(c->desc->uuids, false, c, check_uuid_member);
    if (rc == PCFMCP_OK && c->desc->prepare)
        rc = c->desc->prepare(c);
    if (rc == PCFMCP_OK)
        rc = c->desc->run ? c->desc->run(c) : pcfmcp__pcf_api_exec(c);
    return rc;
}

/* Messages carry excerpts of what PCF sent; should PCF ever echo a
 * credential back, it is masked before the caller or a log sees it. */
static void mask(char *msg, const char *secret)
{
    size_t n = secret ? strlen(secret) : 0;
    if (!msg || n < 4)
        return;
    char *p;
    while ((p = strstr(msg, secret)) != NULL)
        memset(p, '*', n);
}

static void scrub_message(pcfmcp_pcf_t *pcf, pcfmcp_pcf_result_t *res)
{
    pthread_mutex_lock(&pcf->tok_lock);
    mask(res->message, pcf->token);
    pthread_mutex_unlock(&pcf->tok_lock);
    mask(res->message, pcf->password);
    mask(res->message, pcf->cfg.basic_password);
    mask(res->message, pcf->cfg.key_password);
}

static void call_cleanup(pcf_call *c)
{
    cJSON_Delete(c->body);
    cJSON_Delete(c->ids);
    c->body = c->ids = NULL;
}

pcfmcp_error_t pcfmcp__pcf_call(pcfmcp_pcf_t *pcf, const pcfmcp__pcf_callctx *ctx,
                                pcfmcp__pcf_op op, const cJSON *args,
                                pcfmcp_pcf_result_t **out)
{
    if (!pcf || !out)
        return PCFMCP_ERR_INVALID_ARG;
    *out = pcfmcp__pcf_result_new();
    if (!*out)
        return PCFMCP_ERR_NOMEM;
    pcfmcp_pcf_result_t *res = *out;
    if ((unsigned)op >= PCFMCP__PCF_OP_COUNT)
        return pcfmcp__pcf_fail(res, PCFMCP_ERR_INVALID_ARG, "unknown PCF operation");
    if (args && !cJSON_IsObject(args))
        return pcfmcp__pcf_fail(res, PCFMCP_ERR_INVALID_ARG, "arguments must be a JSON object");
    atomic_store(&pcf->used, true);
    pcf_hooks hk;
    pcfmcp__pcf_hooks_get(pcf, &hk);
    /* A traced call gets a client span of its own; PCF hears its id. */
    pcfmcp_span_t *span = NULL;
    pcfmcp__pcf_callctx traced;
    if (hk.tracer && ctx && ctx->traceparent) {
        char name[64];
        snprintf(name, sizeof(name), "PCF %s", pcfmcp__pcf_ops[op].label);
        if (pcfmcp_span_start(hk.tracer, name, PCFMCP_SPAN_CLIENT, ctx->traceparent,
                              ctx->tracestate, &span) == PCFMCP_OK) {
            traced = *ctx;
            traced.traceparent = pcfmcp_span_traceparent(span);
            traced.tracestate = pcfmcp_span_tracestate(span);
            ctx = &traced;
            pcfmcp_span_set_attribute(span, "pcf.endpoint", pcfmcp__pcf_ops[op].label);
        }
    }
    pcf_call c;
    memset(&c, 0, sizeof(c));
    c.pcf = pcf;
    c.ctx = ctx;
    c.op = op;
    c.desc = &pcfmcp__pcf_ops[op];
    c.res = res;
    uint64_t now = pcfmcp__now_ms();
    uint64_t since = ctx && ctx->since_ms && ctx->since_ms < now ? ctx->since_ms : now;
    c.deadline = ctx && ctx->deadline_ms ? ctx->deadline_ms : since + (uint64_t)pcf->cfg.total_ms;
    char *cache_key = NULL;
    pcfmcp__cache_ticket ticket;
    bool hit = pcfmcp__pcf_cache_lookup_fresh(pcf, hk.cache, op, args, ctx && ctx->fresh, res,
                                              &cache_key, &ticket);
    if (!hit) {
        run_call(&c, args);
        call_cleanup(&c);
        pcfmcp__pcf_cache_store(hk.cache, cache_key, &ticket, args, res);
        pcfmcp__pcf_cache_invalidate(hk.cache, op, args);
    }
    pcfmcp__free(cache_key);
    scrub_message(pcf, res);
    if (span) {
        pcfmcp_span_set_attribute(span, "pcf.cache", hit ? "hit" : hk.cache ? "miss" : "off");
        if (res->status)
            pcfmcp_span_set_attribute_int(span, "http.response.status_code", res->status);
        pcfmcp_span_set_attribute_int(span, "pcf.attempts", res->attempts);
        if (res->err != PCFMCP_OK)
            pcfmcp_span_set_error(span, pcfmcp_error_name(res->err));
        pcfmcp_span_end(span);
    }
    if (res->err != PCFMCP_OK) {
        pcfmcp__log_fields f;
        char trace[33];
        pcfmcp__pcf_log_fields(ctx, &f, trace);
        PCFMCP_LOGF(pcf->log, PCFMCP_LOG_INFO, "pcf", &f, "%s failed: %s (%s)", c.desc->label,
                    pcfmcp_pcf_result_message(res), pcfmcp_error_name(res->err));
    }
    return res->err;
}

pcfmcp_error_t pcfmcp__pcf_subcall(pcf_call *c, pcfmcp__pcf_op op, const cJSON *args,
                                   pcfmcp_pcf_result_t **sub)
{
    *sub = pcfmcp__pcf_result_new();
    if (!*sub)
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
    pcf_call s;
    memset(&s, 0, sizeof(s));
    s.pcf = c->pcf;
    s.ctx = c->ctx;
    s.op = op;
    s.desc = &pcfmcp__pcf_ops[op];
    s.res = *sub;
    s.deadline = c->deadline;
    run_call(&s, args);
    call_cleanup(&s);
    /* Attempts count towards the outer call; the sub-result keeps none so a
     * later pcfmcp__pcf_result_move() does not count them twice. */
    c->res->attempts += (*sub)->attempts;
    (*sub)->attempts = 0;
    return (*sub)->err;
}

/* ------------------------------------------------------------------ API v1 */

static bool build_path(pcf_call *c, pcfmcp__buf *b)
{
    const char *p = c->desc->path;
    while (*p) {
        if (*p == '{') {
            const char *e = strchr(p, '}');
            char name[32];
            size_t n = (size_t)(e - p - 1);
            if (n >= sizeof(name))
                n = sizeof(name) - 1;
            memcpy(name, p + 1, n);
            name[n] = '\0';
            const char *v = pcfmcp__pcf_id(c, name);
            pcfmcp__pcf_urlencode(b, v ? v : "", v ? strlen(v) : 0);
            p = e + 1;
        } else {
            pcfmcp__buf_putc(b, *p++);
        }
    }
    return pcfmcp__buf_ok(b);
}

static char *body_with_token(pcf_call *c, const char *token, size_t *len)
{
    cJSON *tok = NULL;
    if (token) {
        cJSON_DeleteItemFromObjectCaseSensitive(c->body, "access_token");
        tok = cJSON_AddStringToObject(c->body, "access_token", token);
        if (!tok)
            return NULL;
    }
    char *text = pcfmcp__json_print(c->body, len);
    if (tok) {
        pcfmcp__secure_zero(tok->valuestring, strlen(tok->valuestring));
        cJSON_DeleteItemFromObjectCaseSensitive(c->body, "access_token");
    }
    return text;
}

/* The member in which a write's answer names what it made. */
static const char *created_member(pcfmcp__pcf_op op)
{
    switch (op) {
    case PCFMCP__PCF_OP_PROJECT_CREATE: return "project_id";
    case PCFMCP__PCF_OP_HOST_CREATE: return "host_id";
    case PCFMCP__PCF_OP_PORT_CREATE: return "port_id";
    case PCFMCP__PCF_OP_HOSTNAME_ADD: return "id";
    case PCFMCP__PCF_OP_NETWORK_CREATE: return "network_id";
    case PCFMCP__PCF_OP_ISSUE_CREATE: return "issue_id";
    case PCFMCP__PCF_OP_POC_ADD: return "poc_id";
    default: return NULL;
    }
}

pcfmcp_error_t pcfmcp__pcf_api_exec(pcf_call *c)
{
    pcfmcp_pcf_t *pcf = c->pcf;
    const pcf_op_desc *d = c->desc;
    pcfmcp_pcf_result_t *res = c->res;
    pcfmcp__buf path;
    pcfmcp__buf_init(&path);
    if (!build_path(c, &path)) {
        pcfmcp__buf_free(&path);
        return pcfmcp__pcf_fail(res, PCFMCP_ERR_NOMEM, "out of memory");
    }
    bool renewed = false;
    for (;;) {
        char *token = NULL;
        unsigned gen = 0;
        if (!(d->flags & PCF_F_NOAUTH) && pcfmcp__pcf_token_get(c, &token, &gen) != PCFMCP_OK)
            break;
        char *body = NULL;
        size_t blen = 0;
        if (!(d->flags & PCF_F_GET)) {
            body = body_with_token(c, token, &blen);
            if (!body) {
                pcfmcp__secure_free(token);
                pcfmcp__pcf_fail(res, PCFMCP_ERR_NOMEM, "out of memory");
                break;
            }
        }
        pcfmcp__secure_free(token);
        pcf_http_req req = { .label = d->label,
                             .post = !(d->flags & PCF_F_GET),
                             .path = path.data,
                             .content_type = "application/json",
                             .body = body,
                             .body_len = blen,
                             .read_only = (d->flags & PCF_F_READ) != 0 };
        pcf_http_resp resp;
        memset(&resp, 0, sizeof(resp));
        pcfmcp_error_t rc = pcfmcp__pcf_http(c, &req, &resp);
        if (body) {
            pcfmcp__secure_zero(body, blen);
            pcfmcp__free(body);
        }
        if (rc != PCFMCP_OK) {
            pcfmcp__pcf_http_resp_free(&resp);
            break;
        }
        pcfmcp__pcf_answer a = { .status = resp.status,
                                 .content_type = resp.content_type,
                                 .body = resp.body.data ? resp.body.data : "",
                                 .len = resp.body.len,
                                 .basic_configured = pcf->cfg.basic_user != NULL };
        pcfmcp__pcf_classify_api(res, &a);
        pcfmcp__pcf_http_resp_free(&resp);
        if (res->err == PCFMCP_ERR_HTTP && res->status == 500) {
            const char *known = pcfmcp__pcf_known_500(c->op);
            if (known)
                pcfmcp__pcf_fail(res, PCFMCP_ERR_HTTP, "PCF answered HTTP 500 to %s: %s",
                                 d->label, known);
            if (pcfmcp__pcf_op_hangs_pcf(c->op))
                pcfmcp__pcf_hung_mark(pcf, d->label, "answered HTTP 500", true);
        }
        /* The token check runs before PCF does anything, so sending the call
         * again with a fresh token cannot duplicate a write. A token is never
         * created just to be disabled. */
        if (res->err == PCFMCP_ERR_AUTH && res->token_rejected && !renewed &&
            !(d->flags & PCF_F_NOAUTH) && c->op != PCFMCP__PCF_OP_TOKEN_DISABLE &&
            pcfmcp__pcf_has_login(pcf)) {
            renewed = true;
            pcfmcp__pcf_token_invalidate(pcf, gen);
            PCFMCP_LOG(pcf->log, PCFMCP_LOG_WARN, "pcf",
                       "%s: PCF rejected the access token; creating a new one", d->label);
            continue;
        }
        break;
    }
    pcfmcp__buf_free(&path);
    /* A success that does not name what it made is none: the caller would
     * report a new object without an id (or with PCF's garbage as one). */
    const char *member = created_member(c->op);
    if (res->err == PCFMCP_OK && member &&
        !pcfmcp__uuid_valid(pcfmcp__json_str(res->parsed, member)))
        pcfmcp__pcf_fail(res, PCFMCP_ERR_BAD_RESPONSE,
                         "PCF answered %s with success but without a valid %s, so whether it "
                         "made anything is unknown: look before trying again",
                         d->label, member);
    return res->err;
}

/* ------------------------------------------------------------------ public wrappers */

void pcfmcp__pcf_put_str(cJSON *o, const char *k, const char *v, bool *ok)
{
    if (!v || !*ok)
        return;
    cJSON_DeleteItemFromObjectCaseSensitive(o, k);
    if (!cJSON_AddStringToObject(o, k, v))
        *ok = false;
}

void pcfmcp__pcf_put_num(cJSON *o, const char *k, double v, bool *ok)
{
    if (!*ok)
        return;
    cJSON_DeleteItemFromObjectCaseSensitive(o, k);
    if (!cJSON_AddNumberToObject(o, k, v))
        *ok = false;
}

void pcfmcp__pcf_put_bool(cJSON *o, const char *k, bool v, bool *ok)
{
    if (!*ok)
        return;
    cJSON_DeleteItemFromObjectCaseSensitive(o, k);
    if (!cJSON_AddBoolToObject(o, k, v))
        *ok = false;
}

pcfmcp_error_t pcfmcp__pcf_early(pcfmcp_pcf_result_t **out, pcfmcp_error_t err, const char *msg)
{
    *out = pcfmcp__pcf_result_new();
    if (!*out)
        return PCFMCP_ERR_NOMEM;
    return pcfmcp__pcf_fail(*out, err, "%s", msg);
}

pcfmcp_error_t pcfmcp__pcf_public(pcfmcp_pcf_t *pcf, pcfmcp__pcf_op op, cJSON *args,
                                  const char *body_json, pcfmcp_pcf_result_t **out)
{
    if (!pcf || !out) {
        cJSON_Delete(args);
        return PCFMCP_ERR_INVALID_ARG;
    }
    *out = NULL;
    if (!args) {
        return pcfmcp__pcf_early(out, PCFMCP_ERR_NOMEM, "out of memory");
    }
    cJSON *merged = NULL;
    if (body_json) {
        merged = pcfmcp__json_parse_object(body_json, strlen(body_json));
        if (!merged) {
            cJSON_Delete(args);
            return pcfmcp__pcf_early(out, PCFMCP_ERR_INVALID_ARG, "body_json is not a JSON object");
        }
        /* Typed arguments win over the same member of body_json. */
        while (args->child) {
            cJSON *item = cJSON_DetachItemViaPointer(args, args->child);
            cJSON_DeleteItemFromObjectCaseSensitive(merged, item->string);
            cJSON_AddItemToObject(merged, item->string, item);
        }
        cJSON_Delete(args);
    } else {
        merged = args;
    }
    pcfmcp_error_t rc = pcfmcp__pcf_call(pcf, NULL, op, merged, out);
    cJSON_Delete(merged);
    return rc;
}

pcfmcp_error_t pcfmcp__pcf_run_strs(pcfmcp_pcf_t *pcf, pcfmcp__pcf_op op, const char *body_json,
                                    pcfmcp_pcf_result_t **out, int n, ...)
{
    cJSON *a = cJSON_CreateObject();
    bool ok = a != NULL;
    va_list ap;
    va_start(ap, n);
    for (int i = 0; i < n; i++) {
        const char *k = va_arg(ap, const char *);
        const char *v = va_arg(ap, const char *);
        pcfmcp__pcf_put_str(a, k, v, &ok);
    }
    va_end(ap);
    if (!ok) {
        cJSON_Delete(a);
        a = NULL;
    }
    return pcfmcp__pcf_public(pcf, op, a, body_json, out);
}
