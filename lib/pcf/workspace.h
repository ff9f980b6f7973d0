/* Private to lib/pcf: PCF's project workspace beyond API v1 (issue
 * templates, bulk issue operations, tasks, files, chats, list imports,
 * services, network paths, share links). Every operation here drives the
 * web UI, so each one verifies its effect by re-reading (PCF's forms mostly
 * answer "ok" or a redirect whatever happened) and names PCF's own defects
 * where one is in the way. docs/pcf-api/UI-ENDPOINTS.md §11 describes the
 * routes; tests/fixtures/pcf/ui/ws_*.json are the captured contract. */
#ifndef PCFMCP_PCF_WORKSPACE_H
#define PCFMCP_PCF_WORKSPACE_H

#include "pcf/impl.h"

/* ------------------------------------------------------------ helpers (workspace.c) */

/* One web-form operation: the project state before and after, the form and
 * PCF's answer. Declared `ws_op op = { 0 };` (the form may be filled before
 * the session opens); pcfmcp__ws_op_begin() opens the web session and
 * pcfmcp__ws_op_end() closes it, if opened, and releases everything,
 * whatever happened. */
typedef struct {
    cJSON *before, *after;
    pcf_form f;
    pcf_http_resp resp;
    bool began;
} ws_op;

pcfmcp_error_t pcfmcp__ws_op_begin(pcf_call *c, ws_op *op);
void pcfmcp__ws_op_end(pcf_call *c, ws_op *op);

/* GET or POST "/project/<pid><rest>" on the web session (held by the
 * caller). @p referer_rest, when set, becomes an absolute Referer on the
 * same project. */
pcfmcp_error_t pcfmcp__ws_request(pcf_call *c, const char *label, bool post, const char *rest,
                                  const pcf_form *form, const char *referer_rest,
                                  pcf_http_resp *resp);
/* One member of the project's JSON export (detached, owned by the caller;
 * an empty object when PCF has none). */
pcfmcp_error_t pcfmcp__ws_export_part(pcf_call *c, const char *member, cJSON **out);
/* Fails the call with PCF's error block when @p resp carries one. */
bool pcfmcp__ws_page_errors(pcf_call *c, const pcf_http_resp *resp);
/* POSTs @p form to "/project/<pid><rest>": fails unless PCF answers 200
 * without an error block (@p what names the form in the message). */
pcfmcp_error_t pcfmcp__ws_submit(pcf_call *c, const char *label, const char *rest,
                                 const pcf_form *form, const char *what, pcf_http_resp *resp);
/* HTML text of @p n bytes: tags dropped, entities decoded, white space
 * folded and trimmed. malloc'd; NULL when memory runs out. */
char *pcfmcp__ws_html_text(const char *s, size_t n);
/* Entities decoded, everything else kept (the text of a <code> block). */
char *pcfmcp__ws_html_unescape(const char *s, size_t n);
/* The body as a NUL-terminated string (never NULL). */
const char *pcfmcp__ws_body(const pcf_http_resp *resp);
/* Adds "<prefix>-0", "<prefix>-1", ... for the strings of @p arr. */
void pcfmcp__ws_form_list(pcf_form *f, const char *prefix, const cJSON *arr);
/* {port_id: [hostname_id or "0"]} -> ["port:hostname", ...] as PCF's
 * task and file forms want them (a JSON array, owned). */
cJSON *pcfmcp__ws_service_pairs(pcf_call *c, const cJSON *services);
/* An object {"status": "ok"} holding @p doc's members; @p doc is consumed. */
pcfmcp_error_t pcfmcp__ws_succeed(pcf_call *c, cJSON *doc);
/* Succeeds with {keys[i]: *vals[i]}; takes every *vals[i] (set to NULL). */
pcfmcp_error_t pcfmcp__ws_succeed_with(pcf_call *c, size_t n, const char *const *keys,
                                       cJSON **const *vals);
/* The operation that answers {key: what @p read returns}, on the web session. */
pcfmcp_error_t pcfmcp__ws_list_op(pcf_call *c, const char *key,
                                  pcfmcp_error_t (*read)(pcf_call *c, cJSON **out));
/* The operation that answers {member: <that member of the JSON export>}. */
pcfmcp_error_t pcfmcp__ws_export_member(pcf_call *c, const char *member);
/* GET "/project/<pid><rest>" and @p parse its HTML into *out (a 302 means
 * no such project for this user); the caller holds the web session. */
pcfmcp_error_t pcfmcp__ws_read_page(pcf_call *c, const char *label, const char *rest,
                                    const char *what,
                                    cJSON *(*parse)(const char *html, const char *pid),
                                    cJSON **out);

/* ------------------------------------------------------------ operations */

pcfmcp_error_t pcfmcp__pcf_run_issue_templates(pcf_call *c);
pcfmcp_error_t pcfmcp__pcf_run_issue_from_template(pcf_call *c);
pcfmcp_error_t pcfmcp__pcf_run_issues_bulk_edit(pcf_call *c);
pcfmcp_error_t pcfmcp__pcf_run_issues_merge(pcf_call *c);
pcfmcp_error_t pcfmcp__pcf_run_issues_bulk_delete(pcf_call *c);
pcfmcp_error_t pcfmcp__pcf_run_poc_set_main(pcf_call *c);
pcfmcp_error_t pcfmcp__pcf_run_issue_share(pcf_call *c);
pcfmcp_error_t pcfmcp__pcf_run_tasks_list(pcf_call *c);
pcfmcp_error_t pcfmcp__pcf_run_task_create(pcf_call *c);
pcfmcp_error_t pcfmcp__pcf_run_task_update(pcf_call *c);
pcfmcp_error_t pcfmcp__pcf_run_task_delete(pcf_call *c);
pcfmcp_error_t pcfmcp__pcf_run_files_list(pcf_call *c);
pcfmcp_error_t pcfmcp__pcf_run_file_upload(pcf_call *c);
pcfmcp_error_t pcfmcp__pcf_run_file_download(pcf_call *c);
pcfmcp_error_t pcfmcp__pcf_run_file_delete(pcf_call *c);
pcfmcp_error_t pcfmcp__pcf_run_chats_list(pcf_call *c);
pcfmcp_error_t pcfmcp__pcf_run_chat_messages(pcf_call *c);
pcfmcp_error_t pcfmcp__pcf_run_chat_create(pcf_call *c);
pcfmcp_error_t pcfmcp__pcf_run_chat_post(pcf_call *c);
pcfmcp_error_t pcfmcp__pcf_run_credentials_import(pcf_call *c);
pcfmcp_error_t pcfmcp__pcf_run_credentials_export(pcf_call *c);
pcfmcp_error_t pcfmcp__pcf_run_hosts_import(pcf_call *c);
pcfmcp_error_t pcfmcp__pcf_run_services_list(pcf_call *c);
pcfmcp_error_t pcfmcp__pcf_run_service_add(pcf_call *c);
pcfmcp_error_t pcfmcp__pcf_run_service_update(pcf_call *c);
pcfmcp_error_t pcfmcp__pcf_run_paths_list(pcf_call *c);
pcfmcp_error_t pcfmcp__pcf_run_path_add(pcf_call *c);
pcfmcp_error_t pcfmcp__pcf_run_path_delete(pcf_call *c);
pcfmcp_error_t pcfmcp__pcf_run_token_info(pcf_call *c);
pcfmcp_error_t pcfmcp__pcf_run_team_user_kick(pcf_call *c);

#endif
