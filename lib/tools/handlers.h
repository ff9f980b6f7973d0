/* Helpers shared by the tool handlers (t_*.c). */
#ifndef PCFMCP_TOOLS_HANDLERS_H
#define PCFMCP_TOOLS_HANDLERS_H

#include "tools/toolset.h"

/* Copies the named (space-separated) arguments that are present into @p dst. */
bool pcfmcp__th_copy(tcall *c, cJSON *dst, const char *names);
/* Adds out.updated = the named arguments that were given. */
void pcfmcp__th_updated(tcall *c, const char *names);
/* Converts the YYYY-MM-DD argument @p arg into Unix seconds at dst[field]. */
bool pcfmcp__th_date(tcall *c, cJSON *dst, const char *arg, const char *field);
/* Project arguments plus one id. */
cJSON *pcfmcp__th_args_id(tcall *c, const char *name, const char *value);
/* The project's raw host array (borrowed until the call ends), or NULL. */
const cJSON *pcfmcp__th_hosts(tcall *c);
/* A host given as UUID or IP -> its UUID (borrowed), or NULL with the error set. */
const char *pcfmcp__th_host_id(tcall *c, const char *given);
/* Records one step of a composite tool, in out.steps and in the summary. */
void pcfmcp__th_step(tcall *c, cJSON *steps, const pcfmcp__mtext *what, bool ok, const char *id,
                     const pcfmcp__mtext *error);
void pcfmcp__th_count(cJSON *counts, const char *key);
cJSON *pcfmcp__th_short_issue(const cJSON *normalised_issue);
pcfmcp_error_t pcfmcp__th_delete(tcall *c, pcfmcp__pcf_op op, const char *idname,
                                 const char *extra);
/* The second half every single-object update shares: @p form (consumed) is
 * PCF's form, whose first @p fixed members are ids rather than changes. With
 * no change in it the call is refused ("nothing to change: " @p hint);
 * otherwise it is sent and the answer is {ok, @p id_key: @p id, updated:
 * those of @p fields (space-separated) the caller gave}. */
pcfmcp_error_t pcfmcp__th_update_send(tcall *c, cJSON *form, int fixed, pcfmcp__pcf_op op,
                                      const char *id_key, const char *id, const char *fields,
                                      const char *what, const char *hint);
/* The `services` argument ([{port_id | host + port + protocol, hostname}])
 * as PCF's {port_id: [hostname_id or "0"]}; NULL with the error set. */
cJSON *pcfmcp__th_build_services(tcall *c, const cJSON *list);
/* Attaches the `poc` argument object to issue @p iid as a step of a composite
 * tool (its poc_id into @p out); false when PCF refused it. */
bool pcfmcp__th_attach_poc(tcall *c, cJSON *steps, cJSON *out, const char *iid, const cJSON *poc);

/* Tool handlers (defs.c lists them). */

#define H(n) pcfmcp_error_t pcfmcp__th_##n(tcall *c)
H(list_projects); H(get_project); H(create_project); H(update_project);
H(list_hosts); H(get_host); H(add_host); H(update_host); H(delete_host);
H(add_port); H(get_port); H(update_port); H(delete_port);
H(list_hostnames); H(add_hostname);
H(list_networks); H(get_network); H(create_network); H(update_network); H(delete_network);
H(list_issues); H(search_issues); H(get_issue); H(create_issue); H(update_issue);
H(delete_issue); H(list_issue_rules); H(apply_issue_rules);
H(add_poc); H(get_poc); H(delete_poc);
H(list_teams); H(get_team); H(whoami); H(get_user); H(check_token);
H(list_credentials); H(add_credential); H(update_credential); H(delete_credential);
H(list_notes); H(add_note); H(edit_note); H(delete_note);
H(import_scan); H(get_project_snapshot); H(generate_report);
#undef H

#endif
