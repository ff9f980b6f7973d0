/* Handlers of the project-workspace tools (t_workspace.c, t_workspace2.c)
 * and of dynamic mode (toolsets.c); defs.c lists them. */
#ifndef PCFMCP_TOOLS_T_WORKSPACE_H
#define PCFMCP_TOOLS_T_WORKSPACE_H

#include "tools/toolset.h"

#define H(n) pcfmcp_error_t pcfmcp__th_##n(tcall *c)
H(list_toolsets); H(enable_toolset);
H(list_issue_templates); H(create_issue_from_template);
H(update_issues); H(merge_issues); H(delete_issues); H(set_main_poc); H(get_issue_share_link);
H(list_tasks); H(create_task); H(update_task); H(delete_task);
H(list_files); H(upload_file); H(download_file); H(delete_file);
H(list_chats); H(post_chat_message);
H(list_services); H(add_service); H(update_service);
H(list_network_paths); H(add_network_path); H(delete_network_path);
H(import_hosts); H(import_credentials); H(export_credentials);
H(add_team_member); H(set_team_admin); H(remove_team_member);
H(list_tokens); H(disable_token);
#undef H

/* A deep copy of @p v when it is an array, else a new empty array. */
cJSON *pcfmcp__tw_array_copy(const cJSON *v);
/* create_network / update_network: `access_from` ([{port_id, hostname}])
 * as PCF's {port_id: [hostname_id or "0"]} in @p a; false with the error set. */
bool pcfmcp__tw_access_from(tcall *c, cJSON *a);
/* create_issue with dedupe: the id of an issue of the same name, URL path
 * and parameter in the project (borrowed until the call ends), or NULL. */
const char *pcfmcp__tw_find_duplicate(tcall *c);
/* create_issue with dedupe, when @p issue_id already records the finding:
 * adds the call's services and PoC to it instead of creating another. */
pcfmcp_error_t pcfmcp__tw_merge_into(tcall *c, const char *issue_id);

#endif
