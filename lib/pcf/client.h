/* Internal entry point of the PCF client for lib/tools: one generic call
 * taking a per-call context and cJSON arguments, and a result accessor that
 * hands out the parsed answer, so the tool layer neither builds JSON text nor
 * parses it twice. The public typed functions in <pcfmcp/pcf.h> are thin
 * wrappers over the same call.
 *
 * Arguments of an operation: one JSON object. Path ids are members named
 * after them ("project_id", "host_id", "port_id", "network_id", "issue_id",
 * "poc_id", "team_id", "user_id", "credential_id", "note_id") and must be
 * UUID strings; every other member is sent as a body field with PCF's API v1
 * name. Extra members per operation:
 *   POC_ADD          "b64content" (base64) or "content" (text), "type",
 *                    "filename" (web fallback only)
 *   SCAN_IMPORT      "format", optional "kind", "filename", "force",
 *                    "pcf_issue_inserts" and the form options; the file
 *                    itself travels in callctx->upload (see importers.c)
 *   REPORT_RENDER    "template_id", or "template_base64" + "template_filename";
 *                    "extensions"; "report_title" (the project's, when the
 *                    caller knows it: saves reading the project's settings)
 *   NOTE_*           "name", "host_id", "text"
 *   CREDENTIAL_*     "login" and the form fields
 * The table in endpoints.c lists label, route, flags and required members. */
#ifndef PCFMCP_PCF_CLIENT_H
#define PCFMCP_PCF_CLIENT_H

#include <pcfmcp/pcf.h>

#include <cjson/cJSON.h>

#include "core/internal.h"

/* A file an operation uploads, borrowed for the call: it is streamed to PCF
 * from this buffer, never copied (SCAN_IMPORT). */
typedef struct pcfmcp__pcf_upload {
    const char *data;
    size_t len;
    const char *filename; /* the name PCF sees; NULL = one derived from the format */
} pcfmcp__pcf_upload;

typedef struct pcfmcp__pcf_callctx {
    const char *traceparent;       /* sent as the W3C `traceparent` header; NULL = none */
    const char *tracestate;        /* sent as `tracestate`; NULL = none */
    const volatile int *cancelled; /* polled during transfers and waits (read with
                                      __atomic_load_n: set it atomically); NULL = never */
    uint64_t deadline_ms;          /* absolute, pcfmcp__now_ms() clock; 0 = client budget */
    uint64_t since_ms;             /* when the request this call serves arrived (same clock):
                                      the client budget counts from there, so time spent
                                      waiting for a worker is part of it; 0 = from now */
    const char *request_id;        /* sent as `X-Request-Id`, logged; NULL = none */
    const char *session;           /* MCP session id, logged; NULL = none */
    const char *identity;          /* who asked, logged; NULL = none */
    const pcfmcp__pcf_upload *upload; /* file of an upload operation; NULL = none */
    bool fresh; /* read PCF itself, never the read cache: the read half of a
                   read-modify-write must see what others stored meanwhile */
} pcfmcp__pcf_callctx;

typedef enum {
    PCFMCP__PCF_OP_TOKEN_CREATE,
    PCFMCP__PCF_OP_TOKEN_CHECK,
    PCFMCP__PCF_OP_TOKEN_DISABLE,
    PCFMCP__PCF_OP_USER_ME,
    PCFMCP__PCF_OP_USER_INFO,
    PCFMCP__PCF_OP_TEAMS_LIST,
    PCFMCP__PCF_OP_TEAM_INFO,
    PCFMCP__PCF_OP_TEAM_USERS,
    PCFMCP__PCF_OP_TEAM_PROJECTS,
    PCFMCP__PCF_OP_TEAM_LOGS,
    PCFMCP__PCF_OP_TEAM_UPDATE,
    PCFMCP__PCF_OP_TEAM_USER_ADD,
    PCFMCP__PCF_OP_TEAM_USER_SET_ADMIN,
    PCFMCP__PCF_OP_TEAM_USER_DEVOTE,
    PCFMCP__PCF_OP_TEAM_USER_DELETE,
    PCFMCP__PCF_OP_PROJECTS_LIST,
    PCFMCP__PCF_OP_PROJECT_CREATE,
    PCFMCP__PCF_OP_PROJECT_SETTINGS,
    PCFMCP__PCF_OP_PROJECT_UPDATE,
    PCFMCP__PCF_OP_HOSTS_LIST,
    PCFMCP__PCF_OP_HOST_INFO,
    PCFMCP__PCF_OP_HOST_CREATE,
    PCFMCP__PCF_OP_HOST_UPDATE,
    PCFMCP__PCF_OP_HOST_DELETE,
    PCFMCP__PCF_OP_PORT_CREATE,
    PCFMCP__PCF_OP_PORT_INFO,
    PCFMCP__PCF_OP_PORT_UPDATE,
    PCFMCP__PCF_OP_PORT_DELETE,
    PCFMCP__PCF_OP_HOSTNAMES_LIST,
    PCFMCP__PCF_OP_HOSTNAME_ADD,
    PCFMCP__PCF_OP_NETWORKS_LIST,
    PCFMCP__PCF_OP_NETWORK_INFO,
    PCFMCP__PCF_OP_NETWORK_CREATE,
    PCFMCP__PCF_OP_NETWORK_UPDATE,
    PCFMCP__PCF_OP_NETWORK_DELETE,
    PCFMCP__PCF_OP_ISSUES_LIST,
    PCFMCP__PCF_OP_ISSUES_SEARCH,
    PCFMCP__PCF_OP_ISSUE_INFO,
    PCFMCP__PCF_OP_ISSUE_CREATE,
    PCFMCP__PCF_OP_ISSUE_UPDATE,
    PCFMCP__PCF_OP_ISSUE_DELETE,
    PCFMCP__PCF_OP_POC_ADD,
    PCFMCP__PCF_OP_POC_INFO,
    PCFMCP__PCF_OP_POC_DELETE,
    PCFMCP__PCF_OP_RULES_LIST,
    PCFMCP__PCF_OP_RULES_USE,
    PCFMCP__PCF_OP_SWAGGER,
    PCFMCP__PCF_OP_CHECK,
    PCFMCP__PCF_OP_PROJECT_SNAPSHOT,
    PCFMCP__PCF_OP_CREDENTIALS_LIST,
    PCFMCP__PCF_OP_CREDENTIAL_CREATE,
    PCFMCP__PCF_OP_CREDENTIAL_UPDATE,
    PCFMCP__PCF_OP_CREDENTIAL_DELETE,
    PCFMCP__PCF_OP_NOTES_LIST,
    PCFMCP__PCF_OP_NOTE_CREATE,
    PCFMCP__PCF_OP_NOTE_UPDATE,
    PCFMCP__PCF_OP_NOTE_RENAME,
    PCFMCP__PCF_OP_NOTE_DELETE,
    PCFMCP__PCF_OP_SCAN_IMPORT,
    PCFMCP__PCF_OP_REPORT_RENDER,
    /* The project workspace (workspace.h). */
    PCFMCP__PCF_OP_ISSUE_TEMPLATES,
    PCFMCP__PCF_OP_ISSUE_FROM_TEMPLATE,
    PCFMCP__PCF_OP_ISSUES_BULK_EDIT,
    PCFMCP__PCF_OP_ISSUES_MERGE,
    PCFMCP__PCF_OP_ISSUES_BULK_DELETE,
    PCFMCP__PCF_OP_POC_SET_MAIN,
    PCFMCP__PCF_OP_ISSUE_SHARE,
    PCFMCP__PCF_OP_TASKS_LIST,
    PCFMCP__PCF_OP_TASK_CREATE,
    PCFMCP__PCF_OP_TASK_UPDATE,
    PCFMCP__PCF_OP_TASK_DELETE,
    PCFMCP__PCF_OP_FILES_LIST,
    PCFMCP__PCF_OP_FILE_UPLOAD,
    PCFMCP__PCF_OP_FILE_DOWNLOAD,
    PCFMCP__PCF_OP_FILE_DELETE,
    PCFMCP__PCF_OP_CHATS_LIST,
    PCFMCP__PCF_OP_CHAT_MESSAGES,
    PCFMCP__PCF_OP_CHAT_CREATE,
    PCFMCP__PCF_OP_CHAT_POST,
    PCFMCP__PCF_OP_CREDENTIALS_IMPORT,
    PCFMCP__PCF_OP_CREDENTIALS_EXPORT,
    PCFMCP__PCF_OP_HOSTS_IMPORT,
    PCFMCP__PCF_OP_SERVICES_LIST,
    PCFMCP__PCF_OP_SERVICE_ADD,
    PCFMCP__PCF_OP_SERVICE_UPDATE,
    PCFMCP__PCF_OP_PATHS_LIST,
    PCFMCP__PCF_OP_PATH_ADD,
    PCFMCP__PCF_OP_PATH_DELETE,
    PCFMCP__PCF_OP_TOKEN_INFO,
    PCFMCP__PCF_OP_TEAM_USER_KICK,
    PCFMCP__PCF_OP_COUNT
} pcfmcp__pcf_op;

/* Runs @p op with @p args (borrowed; NULL = no arguments) under @p ctx (NULL =
 * defaults). Same contract as the public functions: *out is set unless pcf or
 * out is NULL or the result cannot be allocated; the return value equals
 * pcfmcp_pcf_result_error(*out). */
pcfmcp_error_t pcfmcp__pcf_call(pcfmcp_pcf_t *pcf, const pcfmcp__pcf_callctx *ctx,
                                pcfmcp__pcf_op op, const cJSON *args,
                                pcfmcp_pcf_result_t **out);

/* The parsed answer (the same document as pcfmcp_pcf_result_json()), or NULL.
 * Borrowed from @p res. */
const cJSON *pcfmcp__pcf_result_cjson(const pcfmcp_pcf_result_t *res);

/* The operation's bounded label ("hosts_list"), as the observer sees it. */
const char *pcfmcp__pcf_op_label(pcfmcp__pcf_op op);

/* Non-zero when @p op changes data in PCF (tools use it for read-only mode). */
int pcfmcp__pcf_op_is_write(pcfmcp__pcf_op op);

/* Whether @p op's answer may come from the read cache (a read, and not a
 * liveness probe such as the token check). */
bool pcfmcp__pcf_op_cacheable(pcfmcp__pcf_op op);

/* The read cache @p pcf files its answers in, NULL when it has none or it
 * is switched off, and in @p ns the namespace of the client's PCF identity
 * there (16 hex digits; a hash of the base URL and the credential, never
 * the credential). lib/tools keys its cached tool results with it, so they
 * are shared, expire and are invalidated by writes exactly like the reads
 * they were made of. Does not block. */
pcfmcp_cache_t *pcfmcp__pcf_read_cache(pcfmcp_pcf_t *pcf, char ns[17]);

#endif
