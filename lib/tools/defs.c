/* The tool table: names, titles, descriptions written for a model, input
 * parameters, output schemas and handlers. `pcf-mcp tools` and docs/tools.md
 * are rendered from what this table registers. */
#include "core/internal.h"

#include "tools/handlers.h"
#include "tools/t_workspace.h"

/* Output schemas are written as JSON in the source; the preprocessor turns
 * them into string literals (stringizing escapes the quotes). */
#define J(...) J_(__VA_ARGS__)
#define J_(...) #__VA_ARGS__

#define T_STR {"type": "string"}
#define T_NUM {"type": "number"}
#define T_INT {"type": "integer"}
#define T_BOOL {"type": "boolean"}
#define T_UUID {"type": "string", "format": "uuid"}
#define T_STRS {"type": "array", "items": {"type": "string"}}
#define T_CRIT {"type": "string", "enum": ["info", "low", "medium", "high", "critical"]}

#define PAGE_PROPS                                                                          \
    "total": {"type": "integer", "minimum": 0, "description": "Items matching the filters"}, \
    "offset": {"type": "integer", "minimum": 0},                                            \
    "returned": {"type": "integer", "minimum": 0},                                          \
    "truncated": {"type": "boolean", "description": "True when tools.max_response_bytes cut this page short"}, \
    "next_cursor": {"type": "string", "description": "Pass as cursor for the next page; absent on the last page"}, \
    "notice": T_STR

#define O_PROJECT                                                                              \
    {"type": "object", "required": ["id", "name", "status"], "properties": {                   \
        "id": T_UUID, "name": T_STR, "description": T_STR, "type": T_STR, "scope": T_STR,      \
        "status": T_STR, "start_date": T_NUM, "end_date": T_NUM, "start_iso": T_STR,           \
        "end_iso": T_STR, "folder": T_STR, "report_title": T_STR,                              \
        "testers": {"type": "array", "items": {"type": "object"}},                             \
        "teams": {"type": "array", "items": {"type": "object"}}}}

#define O_PORT                                                                                 \
    {"type": "object", "required": ["id", "port", "protocol"], "properties": {                 \
        "id": T_UUID, "port": {"type": "integer", "minimum": 0, "maximum": 65535},             \
        "protocol": {"type": "string", "enum": ["tcp", "udp"]}, "service": T_STR,              \
        "description": T_STR, "host_id": T_STR, "ip": T_STR, "issue_ids": T_STRS}}

#define O_HOSTNAME                                                                             \
    {"type": "object", "required": ["id", "hostname"], "properties": {                         \
        "id": T_UUID, "hostname": T_STR, "description": T_STR, "host_id": T_STR, "ip": T_STR}}

#define O_HOST_SHORT                                                                           \
    {"type": "object", "required": ["id", "ip"], "properties": {                               \
        "id": T_UUID, "ip": T_STR, "description": T_STR, "os": T_STR, "threats": T_STRS,       \
        "hostnames": T_STRS, "issue_count": T_INT, "ports": T_STRS}}

#define O_SERVICE                                                                              \
    {"type": "object", "required": ["port_id"], "properties": {                                \
        "port_id": T_STR, "hostname_id": T_STR, "host_id": T_STR, "ip": T_STR,                 \
        "port": T_INT, "protocol": T_STR, "service": T_STR, "hostname": T_STR}}

#define O_POCREF                                                                               \
    {"type": "object", "required": ["id"], "properties": {                                     \
        "id": T_UUID, "priority": T_NUM, "filename": T_STR, "type": T_STR, "description": T_STR}}

#define O_ISSUE_SHORT                                                                          \
    {"type": "object", "required": ["id", "name", "cvss", "criticality", "status"],            \
     "properties": {"id": T_UUID, "name": T_STR, "cvss": T_NUM, "criticality": T_CRIT,         \
        "status": T_STR, "cve": T_STR, "cwe": T_NUM, "type": T_STR, "url_path": T_STR,         \
        "summary": T_STR, "targets": T_STRS}}

#define O_ISSUE                                                                                \
    {"type": "object", "required": ["id", "name", "cvss", "criticality", "status"],            \
     "properties": {"id": T_UUID, "name": T_STR, "cvss": T_NUM, "criticality": T_CRIT,         \
        "status": T_STR, "cve": T_STR, "cwe": T_NUM, "type": T_STR, "url_path": T_STR,         \
        "param": T_STR, "description": T_STR, "fix": T_STR, "technical": T_STR, "risks": T_STR, \
        "references": T_STR, "intruder": T_STR, "fields": {"type": "object"},                  \
        "services": {"type": "array", "items": O_SERVICE},                                     \
        "pocs": {"type": "array", "items": O_POCREF}}}

#define O_NETWORK                                                                              \
    {"type": "object", "required": ["id", "ip", "mask"], "properties": {                       \
        "id": T_UUID, "ip": T_STR, "mask": T_INT, "name": T_STR, "description": T_STR,         \
        "is_ipv6": T_BOOL, "asn": T_NUM, "internal_ip": T_STR, "cmd": T_STR,                   \
        "host_ids": T_STRS, "access_from": {"type": "object"}}}

#define O_COUNTS {"type": "object", "additionalProperties": {"type": "integer"}}

#define O_SUMMARY                                                                              \
    {"type": "object", "properties": {"by_criticality": O_COUNTS, "by_status": O_COUNTS,       \
        "by_host": O_COUNTS, "by_service": O_COUNTS, "by_threat": O_COUNTS, "by_os": O_COUNTS}}

#define O_CRED                                                                                 \
    {"type": "object", "required": ["id", "login"], "properties": {                            \
        "id": T_UUID, "login": T_STR, "hash": T_STR, "hash_type": T_STR, "cleartext": T_STR,   \
        "description": T_STR, "source": T_STR, "services": {"type": "array"}}}

#define O_NOTE                                                                                 \
    {"type": "object", "required": ["id", "name"], "properties": {                             \
        "id": T_UUID, "name": T_STR, "host_id": T_STR, "text": T_STR, "html": T_STR}}

#define O_STEP                                                                                 \
    {"type": "object", "required": ["step", "ok"], "properties": {                             \
        "step": T_STR, "ok": T_BOOL, "id": T_STR, "error": T_STR}}

#define O_STEPS "steps": {"type": "array", "items": O_STEP}

#define O_OK(...) J({"type": "object", "required": ["ok"], "properties": {"ok": T_BOOL, __VA_ARGS__}})


/* ------------------------------------------------------------ parameters */

/* Descriptions are written for a model choosing a tool and filling its
 * arguments; every byte is paid in each conversation (scripts/context-cost.py
 * measures it), so they say what is not obvious from the name and type and
 * nothing else. */

#define END { NULL, K_STR, 0, 0, 0, NULL, NULL }
#define THREATS "high|medium|low|info|check|checked|noscope|recheck|firewall|offline|inwork|scope|critical|slow"
#define CRITS "info|low|medium|high|critical"
#define STATUSES "PoC creation|PoC available|Confirmed|Wasn't Confirmed|Pending...|Need to check|Need to recheck|Fixed"

static const tool_param p_none[] = { END };

static const tool_param p_list_projects[] = {
    { "text", K_STR, 0, 0, 200, NULL, "Name, description or scope contains this." },
    { "status", K_ENUM, 0, 0, 0, "active|archived", NULL },
    END
};

static const tool_param p_create_project[] = {
    { "name", K_STR, P_REQ, 1, 200, NULL, NULL },
    { "description", K_TEXT, 0, 0, 0, NULL, NULL },
    { "scope", K_TEXT, 0, 0, 0, NULL, "Networks, domains, applications." },
    { "start_date", K_DATE, 0, 0, 0, NULL, "Default today." },
    { "end_date", K_DATE, 0, 0, 0, NULL, "Default start + 30 days." },
    { "auto_archive", K_BOOL, 0, 0, 0, NULL, "Archive after end_date." },
    { "folder", K_STR, 0, 0, 200, NULL, NULL },
    { "report_title", K_STR, 0, 0, 200, NULL, NULL },
    { "teams", K_UUID_ARR, 0, 0, 0, NULL, "Team ids with access." },
    { "testers", K_UUID_ARR, 0, 0, 0, NULL, "User ids (must share a team with you)." },
    END
};

static const tool_param p_update_project[] = {
    { "name", K_STR, 0, 1, 200, NULL, NULL },
    { "description", K_TEXT, 0, 0, 0, NULL, NULL },
    { "scope", K_TEXT, 0, 0, 0, NULL, NULL },
    { "start_date", K_DATE, 0, 0, 0, NULL, NULL },
    { "end_date", K_DATE, 0, 0, 0, NULL, NULL },
    { "auto_archive", K_BOOL, 0, 0, 0, NULL, NULL },
    { "status", K_ENUM, 0, 0, 0, "active|archived", "active re-opens (and clears auto_archive); archived closes for writes." },
    { "folder", K_STR, 0, 0, 200, NULL, NULL },
    { "report_title", K_STR, 0, 0, 200, NULL, NULL },
    { "teams", K_UUID_ARR, 0, 0, 0, NULL, "Replaces the teams." },
    { "testers", K_UUID_ARR, 0, 0, 0, NULL, "Replaces the testers." },
    END
};

static const tool_param p_list_hosts[] = {
    { "text", K_STR, 0, 0, 200, NULL, "IP, hostname, OS or description contains this." },
    { "threat", K_ENUM, 0, 0, 0, THREATS, NULL },
    { "port", K_INT, 0, 1, 65535, NULL, "Has this port open." },
    { "service", K_STR, 0, 0, 100, NULL, "Has a service containing this, e.g. smb." },
    { "with_ports", K_BOOL, 0, 0, 0, NULL, "Add each host's ports (one PCF call per host)." },
    { "summary", K_BOOL, 0, 0, 0, NULL, "Counts by threat, OS and service instead." },
    END
};

#define HOST_ARG { "host", K_STR, P_REQ, 1, 100, NULL, "Host UUID or IP." }

static const tool_param p_host[] = {
    HOST_ARG,
    END
};

#define PORT_ITEM "{\"type\":\"object\",\"required\":[\"port\"],\"additionalProperties\":false,\"properties\":{\"port\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":65535},\"protocol\":{\"type\":\"string\",\"enum\":[\"tcp\",\"udp\"]},\"service\":{\"type\":\"string\",\"maxLength\":100},\"description\":{\"type\":\"string\",\"maxLength\":4096}}}"

static const tool_param p_add_host[] = {
    { "ip", K_IP, P_REQ, 0, 0, NULL, NULL },
    { "description", K_TEXT, 0, 0, 0, NULL, NULL },
    { "os", K_STR, 0, 0, 200, NULL, NULL },
    { "threats", K_ENUM_ARR, 0, 0, 0, THREATS, NULL },
    { "hostnames", K_SCHEMA, 0, 0, 0, "{\"type\":\"array\",\"maxItems\":100,\"items\":{\"type\":\"string\",\"format\":\"hostname\",\"maxLength\":253}}", NULL },
    { "ports", K_SCHEMA, 0, 0, 0, "{\"type\":\"array\",\"maxItems\":200,\"items\":" PORT_ITEM "}", "Open ports (protocol default tcp; description = banner/version)." },
    END
};

static const tool_param p_update_host[] = {
    HOST_ARG,
    { "description", K_TEXT, 0, 0, 0, NULL, NULL },
    { "os", K_STR, 0, 0, 200, NULL, NULL },
    { "threats", K_ENUM_ARR, 0, 0, 0, THREATS, "Replaces the tags ([] clears)." },
    END
};

static const tool_param p_delete_host[] = {
    { "host_id", K_UUID, P_REQ, 0, 0, NULL, NULL },
    END
};

static const tool_param p_add_port[] = {
    HOST_ARG,
    { "port", K_INT, P_REQ, 1, 65535, NULL, NULL },
    { "protocol", K_ENUM, 0, 0, 0, "tcp|udp", "Default tcp." },
    { "service", K_STR, 0, 0, 100, NULL, "e.g. http, ssh." },
    { "description", K_TEXT, 0, 0, 0, NULL, "Banner, product, version." },
    END
};

static const tool_param p_port_id[] = {
    { "port_id", K_UUID, P_REQ, 0, 0, NULL, "get_host lists ports." },
    END
};

static const tool_param p_update_port[] = {
    { "port_id", K_UUID, P_REQ, 0, 0, NULL, NULL },
    { "service", K_STR, 0, 0, 100, NULL, NULL },
    { "description", K_TEXT, 0, 0, 0, NULL, NULL },
    END
};

static const tool_param p_list_hostnames[] = {
    { "text", K_STR, 0, 0, 200, NULL, "Hostname or host IP contains this." },
    END
};

static const tool_param p_add_hostname[] = {
    HOST_ARG,
    { "hostname", K_HOSTNAME, P_REQ, 0, 0, NULL, NULL },
    { "description", K_TEXT, 0, 0, 0, NULL, NULL },
    { "replace_description", K_BOOL, 0, 0, 0, NULL, "If the host already has this hostname with another description, replace it (otherwise the call is refused and nothing changes)." },
    END
};

static const tool_param p_network_id[] = {
    { "network_id", K_UUID, P_REQ, 0, 0, NULL, NULL },
    END
};

#define SERVICES_SCHEMA "{\"type\":\"array\",\"maxItems\":500,\"items\":{\"type\":\"object\",\"additionalProperties\":false,\"properties\":{\"port_id\":{\"type\":\"string\",\"format\":\"uuid\"},\"host\":{\"type\":\"string\",\"maxLength\":100,\"description\":\"UUID or IP, with port instead of port_id.\"},\"port\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":65535},\"protocol\":{\"type\":\"string\",\"enum\":[\"tcp\",\"udp\"]},\"hostname\":{\"type\":\"string\",\"maxLength\":253,\"description\":\"A hostname of that host.\"}}}}"

#define NETWORK_FIELDS(req)                                                                         \
    { "ip", K_IP, req, 0, 0, NULL, "Network address, e.g. 10.0.0.0." },                             \
    { "mask", K_INT, req, 0, 128, NULL, "Prefix length." },                                        \
    { "name", K_STR, 0, 0, 200, NULL, NULL },                                                       \
    { "description", K_TEXT, 0, 0, 0, NULL, NULL },                                                 \
    { "asn", K_INT, 0, 0, 4294967295.0, NULL, NULL },                                               \
    { "internal_ip", K_STR, 0, 0, 100, NULL, "Gateway's internal address." },                      \
    { "cmd", K_STR, 0, 0, 4096, NULL, "How to reach it, e.g. an SSH tunnel." },                    \
    { "access_from", K_SCHEMA, 0, 0, 0, SERVICES_SCHEMA, "Services (ports) the network is reachable from; replaces the list." }

static const tool_param p_create_network[] = {
    NETWORK_FIELDS(P_REQ),
    END
};

static const tool_param p_update_network[] = {
    { "network_id", K_UUID, P_REQ, 0, 0, NULL, NULL },
    NETWORK_FIELDS(0),
    END
};

static const tool_param p_list_issues[] = {
    { "criticality", K_ENUM_ARR, 0, 0, 0, CRITS, "From CVSS: info 0, low <4, medium <7, high <9, critical >=9." },
    { "min_cvss", K_NUM, 0, 0, 10, NULL, NULL },
    { "status", K_STR, 0, 0, 100, NULL, "Status contains this." },
    { "host", K_STR, 0, 0, 100, NULL, "Host UUID or IP." },
    { "port", K_INT, 0, 1, 65535, NULL, NULL },
    { "service", K_STR, 0, 0, 100, NULL, "Service contains this." },
    { "text", K_STR, 0, 0, 200, NULL, "Name, description, CVE or URL contains this." },
    { "with_targets", K_BOOL, 0, 0, 0, NULL, "Add \"ip:port/proto (service)\" targets (one PCF call per host; implied by host/port/service)." },
    { "summary", K_BOOL, 0, 0, 0, NULL, "Counts by criticality, status, host and service instead." },
    END
};

static const tool_param p_search_issues[] = {
    { "name", K_STR, 0, 0, 500, NULL, "Pattern: % any text, _ one character; without % the whole value must match." },
    { "description", K_STR, 0, 0, 500, NULL, NULL },
    { "cve", K_STR, 0, 0, 200, NULL, NULL },
    { "status", K_STR, 0, 0, 200, NULL, NULL },
    { "url_path", K_STR, 0, 0, 500, NULL, NULL },
    { "fix", K_STR, 0, 0, 500, NULL, NULL },
    { "technical", K_STR, 0, 0, 500, NULL, NULL },
    { "param", K_STR, 0, 0, 500, NULL, NULL },
    { "references", K_STR, 0, 0, 500, NULL, NULL },
    { "cvss", K_STR, 0, 0, 20, NULL, "As stored: \"9.8\", \"10.0\"; \"9.%\" = 9.0-9.9." },
    { "cwe", K_STR, 0, 0, 20, NULL, "Number without CWE- (0 = none)." },
    { "type", K_STR, 0, 0, 200, NULL, NULL },
    { "risks", K_STR, 0, 0, 500, NULL, NULL },
    { "intruder", K_STR, 0, 0, 500, NULL, NULL },
    { "user_id", K_STR, 0, 0, 100, NULL, "Creator's UUID." },
    { "fields", K_SCHEMA, 0, 0, 0,
      "{\"type\": \"object\", \"maxProperties\": 50, \"propertyNames\": {\"pattern\": \"^[a-zA-Z0-9]+$\", \"maxLength\": 100}, \"additionalProperties\": {\"type\": \"string\", \"maxLength\": 500}}",
      "Custom field name -> pattern (booleans 1/0)." },
    END
};

static const tool_param p_issue_id[] = {
    { "issue_id", K_UUID, P_REQ, 0, 0, NULL, NULL },
    END
};

#define POC_SCHEMA "{\"type\":\"object\",\"additionalProperties\":false,\"properties\":{\"text\":{\"type\":\"string\",\"maxLength\":1000000},\"content_base64\":{\"type\":\"string\",\"maxLength\":20000000,\"description\":\"A file (e.g. PNG) instead of text.\"},\"type\":{\"type\":\"string\",\"enum\":[\"text\",\"image\"]},\"description\":{\"type\":\"string\",\"maxLength\":4096}}}"

#define FIELDS_SCHEMA "{\"type\":\"object\",\"maxProperties\":50,\"propertyNames\":{\"pattern\":\"^[a-zA-Z0-9]+$\"},\"additionalProperties\":{\"type\":\"object\",\"required\":[\"type\",\"value\"],\"additionalProperties\":false,\"properties\":{\"type\":{\"type\":\"string\",\"enum\":[\"text\",\"number\",\"float\",\"boolean\"]},\"value\":{\"type\":\"string\",\"maxLength\":10000}}}}"

#define ISSUE_FIELDS(req)                                                                          \
    { "name", K_STR, req, 1, 500, NULL, NULL },                                                    \
    { "description", K_TEXT, 0, 0, 0, NULL, NULL },                                                \
    { "cvss", K_NUM, 0, 0, 10, NULL, "Base score; sets the criticality." },                        \
    { "criticality", K_ENUM, 0, 0, 0, CRITS, "Instead of cvss (scores 0, 2, 5, 8, 9.5)." },         \
    { "status", K_ENUM, 0, 0, 0, STATUSES, NULL },                                                 \
    { "cve", K_STR, 0, 0, 200, NULL, NULL },                                                       \
    { "cwe", K_INT, 0, 0, 100000, NULL, NULL },                                                    \
    { "url_path", K_STR, 0, 0, 2000, NULL, NULL },                                                 \
    { "param", K_STR, 0, 0, 500, NULL, "Affected parameter." },                                    \
    { "fix", K_TEXT, 0, 0, 0, NULL, NULL },                                                        \
    { "technical", K_TEXT, 0, 0, 0, NULL, "Details, reproduction steps." },                        \
    { "risks", K_TEXT, 0, 0, 0, NULL, NULL },                                                      \
    { "references", K_TEXT, 0, 0, 0, NULL, NULL },                                                 \
    { "intruder", K_STR, 0, 0, 500, NULL, "Attacker model." },                                     \
    { "cvss_vector", K_STR, 0, 0, 200, NULL, "e.g. CVSS:3.1/AV:N/AC:L/... (PCF since 3e415b6)." }, \
    { "impact", K_STR, 0, 0, 100, NULL, NULL },                                                    \
    { "exploitability", K_STR, 0, 0, 100, NULL, NULL },                                            \
    { "risk", K_STR, 0, 0, 100, NULL, NULL },                                                      \
    { "type", K_STR, 0, 0, 50, NULL, "PCF 6c83154: vulnerability|remark; older: custom|web|credentials|service." }, \
    { "services", K_SCHEMA, 0, 0, 0, SERVICES_SCHEMA, "Affected ports (and hostnames); update replaces the list." }, \
    { "fields", K_SCHEMA, 0, 0, 0, FIELDS_SCHEMA, "Custom fields {name: {type, value}}; update sets only these." }

static const tool_param p_create_issue[] = {
    ISSUE_FIELDS(P_REQ),
    { "poc", K_SCHEMA, 0, 0, 0, POC_SCHEMA, "PoC to attach." },
    { "dedupe", K_BOOL, 0, 0, 0, NULL, "If an issue with this name, url_path and param exists, add the services and PoC to it instead." },
    END
};

static const tool_param p_update_issue[] = {
    { "issue_id", K_UUID, P_REQ, 0, 0, NULL, NULL },
    ISSUE_FIELDS(0),
    { "remove_fields", K_STR_ARR, 0, 0, 0, NULL, "Names of custom fields to delete from the issue (get_issue lists them); the others stay." },
    END
};

static const tool_param p_apply_rules[] = {
    { "rule_ids", K_UUID_ARR, P_REQ, 0, 0, NULL, NULL },
    { "issue_ids", K_UUID_ARR, P_REQ, 0, 0, NULL, NULL },
    END
};

static const tool_param p_add_poc[] = {
    { "issue_id", K_UUID, P_REQ, 0, 0, NULL, NULL },
    { "text", K_TEXT, 0, 0, 1000000, NULL, "Request/response, command output." },
    { "content_base64", K_STR, 0, 0, 20000000, NULL, "A file (e.g. PNG screenshot) instead of text." },
    { "type", K_ENUM, 0, 0, 0, "text|image", "Default: guessed." },
    { "description", K_STR, 0, 0, 4096, NULL, NULL },
    { "port_id", K_UUID, 0, 0, 0, NULL, "One of the issue's ports." },
    { "hostname_id", K_UUID, 0, 0, 0, NULL, "With port_id." },
    END
};

static const tool_param p_poc[] = {
    { "issue_id", K_UUID, P_REQ, 0, 0, NULL, NULL },
    { "poc_id", K_UUID, P_REQ, 0, 0, NULL, NULL },
    { "include_content", K_BOOL, 0, 0, 0, NULL, "Also the content (web session)." },
    END
};

static const tool_param p_delete_poc[] = {
    { "issue_id", K_UUID, P_REQ, 0, 0, NULL, NULL },
    { "poc_id", K_UUID, P_REQ, 0, 0, NULL, NULL },
    END
};

static const tool_param p_get_team[] = {
    { "team_id", K_UUID, P_REQ, 0, 0, NULL, NULL },
    { "logs", K_INT, 0, 0, 500, NULL, "Newest log entries (default 20)." },
    END
};

static const tool_param p_get_user[] = {
    { "user_id", K_UUID, P_REQ, 0, 0, NULL, NULL },
    END
};

static const tool_param p_list_text[] = {
    { "text", K_STR, 0, 0, 200, NULL, "Contains this." },
    END
};

#define CRED_FIELDS                                                                            \
    { "hash", K_STR, 0, 0, 4096, NULL, NULL },                                                 \
    { "hash_type", K_STR, 0, 0, 100, NULL, "e.g. ntlm_hex, md5_hex, sha512_crypt_unix." },     \
    { "cleartext", K_STR, 0, 0, 1024, NULL, NULL },                                            \
    { "description", K_STR, 0, 0, 4096, NULL, NULL },                                          \
    { "source", K_STR, 0, 0, 500, NULL, "Where it was found." },                               \
    { "port_ids", K_UUID_ARR, 0, 0, 0, NULL, "Services it works on; update: the whole list." }

static const tool_param p_add_credential[] = {
    { "login", K_STR, P_REQ, 1, 500, NULL, NULL },
    CRED_FIELDS,
    END
};

static const tool_param p_update_credential[] = {
    { "credential_id", K_UUID, P_REQ, 0, 0, NULL, NULL },
    { "login", K_STR, 0, 1, 500, NULL, NULL },
    CRED_FIELDS,
    END
};

static const tool_param p_delete_credential[] = {
    { "credential_id", K_UUID, P_REQ, 0, 0, NULL, NULL },
    END
};

static const tool_param p_add_note[] = {
    { "name", K_STR, P_REQ, 1, 200, NULL, NULL },
    { "text", K_TEXT, 0, 0, 0, NULL, "Plain text or HTML." },
    { "host", K_STR, 0, 0, 100, NULL, "Attach to this host (UUID or IP)." },
    END
};

static const tool_param p_edit_note[] = {
    { "note_id", K_UUID, P_REQ, 0, 0, NULL, NULL },
    { "text", K_TEXT, 0, 0, 0, NULL, "Replaces the text." },
    { "name", K_STR, 0, 1, 200, NULL, "Renames." },
    END
};

static const tool_param p_delete_note[] = {
    { "note_id", K_UUID, P_REQ, 0, 0, NULL, NULL },
    END
};

#define SCAN_FORMATS "nmap|nessus|nikto|acunetix|openvas|qualys|netsparker|wpscan|metasploit|nuclei|burp|dnsrecon|theharvester|kube-hunter|pingcastle|dependency-check|checkmarx|maxpatrol|scanvus|aiodnsbrute"
static const tool_param p_import_scan[] = {
    { "format", K_ENUM, P_REQ, 0, 0, SCAN_FORMATS, "Scanner that wrote the file." },
    { "path", K_STR, 0, 1, 512, NULL, "File below imports.input_dir; or give content." },
    { "content", K_TEXT, 0, 1, 1073741824, NULL, "The file's text (instead of path)." },
    { "rule", K_ENUM, 0, 0, 0, "open|filtered|closed", "nmap: open (default), +filtered, +closed ports." },
    { "ignore_ports", K_STR, 0, 0, 1000, NULL, "nmap: ports to skip: 53/udp,21/tcp,80." },
    { "ignore_services", K_STR, 0, 0, 1000, NULL, "nmap: service names to skip." },
    { "hosts_description", K_STR, 0, 0, 500, NULL, "For new hosts." },
    { "hostnames_description", K_STR, 0, 0, 500, NULL, "For new hostnames." },
    { "ports_description", K_STR, 0, 0, 500, NULL, "For new ports." },
    { "add_empty_hosts", K_BOOL, 0, 0, 0, NULL, "nmap, qualys: also hosts without ports." },
    { "add_info_issues", K_BOOL, 0, 0, 0, NULL, "nessus: also severity-0 results." },
    { "hosts_only", K_BOOL, 0, 0, 0, NULL, "nmap, metasploit: no findings." },
    { "resolve", K_SCHEMA, 0, 0, 0, "{\"type\":\"object\",\"maxProperties\":500,\"additionalProperties\":{\"type\":\"string\"}}", "burp, nuclei: {hostname: ip}." },
    { "auto_resolve", K_BOOL, 0, 0, 0, NULL, "acunetix, burp, nuclei: PCF resolves names by DNS." },
    { "host", K_STR, 0, 1, 100, NULL, "acunetix: site IP; scanvus: host IP or UUID." },
    { "ignore_ipv6", K_BOOL, 0, 0, 0, NULL, "dnsrecon, aiodnsbrute: skip IPv6." },
    { "add_nmap_scripts", K_BOOL, 0, 0, 0, NULL, "metasploit: NSE notes into descriptions." },
    { "force", K_BOOL, 0, 0, 0, NULL, "dependency-check: import although PCF's JSON export then fails." },
    END
};

static const tool_param p_snapshot[] = {
    { "sections", K_ENUM_ARR, 0, 0, 0, "project|issues|hosts|ports|hostnames|pocs|notes|networks|credentials|grouped_issues", "Default all but pocs." },
    { "include_poc_content", K_BOOL, 0, 0, 0, NULL, "Keep PoC file contents (large)." },
    END
};

static const tool_param p_report[] = {
    { "format", K_ENUM, 0, 0, 0, "markdown|html|json|csv", "Default markdown." },
    { "hosts", K_STR_ARR, 0, 0, 0, NULL, "Only these hosts (UUIDs or IPs)." },
    { "min_criticality", K_ENUM, 0, 0, 0, CRITS, NULL },
    { "criticality", K_ENUM_ARR, 0, 0, 0, CRITS, "Only these." },
    { "title", K_STR, 0, 0, 300, NULL, NULL },
    { "output_path", K_STR, 0, 0, 512, NULL, "Also write it here, relative to reports.output_dir." },
    { "template_id", K_UUID, 0, 0, 0, NULL, "Render with this PCF report template instead (web session). Ids come from the user (PCF's Reports page); never guess." },
    END
};

/* ------------------------------------------------------------ workspace parameters */

static const tool_param p_enable_toolset[] = {
    { "toolset", K_STR, P_REQ, 1, 50, NULL, "A name from list_toolsets." },
    END
};

static const tool_param p_create_from_template[] = {
    { "template_id", K_UUID, P_REQ, 0, 0, NULL, NULL },
    { "variables", K_SCHEMA, 0, 0, 0, "{\"type\":\"object\",\"maxProperties\":100,\"additionalProperties\":{\"type\":[\"string\",\"number\",\"boolean\"],\"maxLength\":10000}}", "Template variable -> value; unset ones take their default." },
    { "services", K_SCHEMA, 0, 0, 0, SERVICES_SCHEMA, "Affected ports (and hostnames)." },
    { "impact", K_STR, 0, 0, 100, NULL, NULL },
    { "exploitability", K_STR, 0, 0, 100, NULL, NULL },
    { "risk", K_STR, 0, 0, 100, NULL, NULL },
    END
};

#define ISSUE_IDS { "issue_ids", K_UUID_ARR, P_REQ, 0, 0, NULL, NULL }

static const tool_param p_update_issues[] = {
    ISSUE_IDS,
    { "cvss", K_NUM, 0, 0, 10, NULL, NULL },
    { "criticality", K_ENUM, 0, 0, 0, CRITS, "Instead of cvss." },
    { "status", K_ENUM, 0, 0, 0, STATUSES, NULL },
    END
};

static const tool_param p_issue_ids[] = {
    ISSUE_IDS,
    END
};

static const tool_param p_set_main_poc[] = {
    { "issue_id", K_UUID, P_REQ, 0, 0, NULL, NULL },
    { "poc_id", K_UUID, P_REQ, 0, 0, NULL, NULL },
    END
};

#define TASK_FIELDS(req)                                                                        \
    { "name", K_STR, req, 1, 300, NULL, NULL },                                                 \
    { "description", K_TEXT, 0, 0, 0, NULL, NULL },                                             \
    { "criticality", K_ENUM, 0, 0, 0, CRITS, NULL },                                            \
    { "status", K_ENUM, 0, 0, 0, "todo|progress|review|done", NULL },                           \
    { "start_date", K_DATE, 0, 0, 0, NULL, NULL },                                              \
    { "end_date", K_DATE, 0, 0, 0, NULL, NULL },                                                \
    { "user_ids", K_UUID_ARR, 0, 0, 0, NULL, "Assignees (project testers)." },                 \
    { "team_ids", K_UUID_ARR, 0, 0, 0, NULL, "Teams of the project." },                         \
    { "services", K_SCHEMA, 0, 0, 0, SERVICES_SCHEMA, "Targets." }

static const tool_param p_list_tasks[] = {
    { "status", K_ENUM, 0, 0, 0, "todo|progress|review|done", NULL },
    { "text", K_STR, 0, 0, 200, NULL, "Name or description contains this." },
    END
};

static const tool_param p_create_task[] = {
    TASK_FIELDS(P_REQ),
    END
};

static const tool_param p_update_task[] = {
    { "task_id", K_UUID, P_REQ, 0, 0, NULL, NULL },
    TASK_FIELDS(0),
    END
};

static const tool_param p_task_id[] = {
    { "task_id", K_UUID, P_REQ, 0, 0, NULL, NULL },
    END
};

static const tool_param p_upload_file[] = {
    { "filename", K_STR, P_REQ, 1, 255, NULL, NULL },
    { "text", K_TEXT, 0, 0, 5000000, NULL, "Content as text..." },
    { "content_base64", K_STR, 0, 0, 20000000, NULL, "...or as base64." },
    { "filetype", K_ENUM, 0, 0, 0, "binary|text|image", "Default text for text, else binary." },
    { "description", K_STR, 0, 0, 4096, NULL, NULL },
    { "services", K_SCHEMA, 0, 0, 0, SERVICES_SCHEMA, "Ports it concerns." },
    END
};

static const tool_param p_file_id[] = {
    { "file_id", K_UUID, P_REQ, 0, 0, NULL, NULL },
    END
};

static const tool_param p_list_chats[] = {
    { "chat_id", K_UUID, 0, 0, 0, NULL, "Read this chat's messages instead of listing chats." },
    END
};

static const tool_param p_post_chat[] = {
    { "chat", K_STR, P_REQ, 1, 200, NULL, "Chat id or name; a new name creates the chat." },
    { "message", K_TEXT, P_REQ, 1, 100000, NULL, NULL },
    END
};

static const tool_param p_list_services[] = {
    { "port", K_INT, 0, 1, 65535, NULL, NULL },
    { "service", K_STR, 0, 0, 100, NULL, "Name contains this." },
    END
};

static const tool_param p_add_service[] = {
    { "port", K_INT, P_REQ, 1, 65535, NULL, NULL },
    { "protocol", K_ENUM, 0, 0, 0, "tcp|udp", "Default tcp." },
    { "service", K_STR, 0, 0, 100, NULL, NULL },
    { "description", K_STR, 0, 0, 4096, NULL, NULL },
    { "hosts", K_STR_ARR, P_REQ, 0, 0, NULL, "Host UUIDs or IPs." },
    END
};

static const tool_param p_update_service[] = {
    { "port", K_INT, P_REQ, 1, 65535, NULL, "The service to change, as list_services shows it." },
    { "protocol", K_ENUM, 0, 0, 0, "tcp|udp", "Default tcp." },
    { "service", K_STR, 0, 0, 100, NULL, "Current name (\"\" for none)." },
    { "description", K_STR, 0, 0, 4096, NULL, "Current description, if several exist." },
    { "new_port", K_INT, 0, 1, 65535, NULL, NULL },
    { "new_protocol", K_ENUM, 0, 0, 0, "tcp|udp", NULL },
    { "new_service", K_STR, 0, 0, 100, NULL, NULL },
    { "new_description", K_STR, 0, 0, 4096, NULL, NULL },
    END
};

static const tool_param p_add_path[] = {
    { "from", K_STR, P_REQ, 1, 100, NULL, "Host (UUID or IP) or network (UUID or address/mask)." },
    { "to", K_STR, P_REQ, 1, 100, NULL, "Same forms as from." },
    { "type", K_ENUM, 0, 0, 0, "connection|attack", "Default connection." },
    { "direction", K_ENUM, 0, 0, 0, "forward|backward|two_side", "Default forward." },
    { "description", K_STR, 0, 0, 4096, NULL, NULL },
    END
};

static const tool_param p_path_id[] = {
    { "path_id", K_UUID, P_REQ, 0, 0, NULL, NULL },
    END
};

static const tool_param p_import_hosts[] = {
    { "hosts", K_SCHEMA, P_REQ, 0, 0, "{\"type\":\"array\",\"minItems\":1,\"maxItems\":10000,\"items\":{\"type\":\"object\",\"required\":[\"ip\"],\"additionalProperties\":false,\"properties\":{\"ip\":{\"type\":\"string\",\"maxLength\":64},\"hostname\":{\"type\":\"string\",\"maxLength\":253},\"description\":{\"type\":\"string\",\"maxLength\":4096},\"os\":{\"type\":\"string\",\"maxLength\":200}}}}", NULL },
    { "threats", K_ENUM_ARR, 0, 0, 0, THREATS, "Tags for the new hosts." },
    END
};

static const tool_param p_import_credentials[] = {
    { "text", K_TEXT, P_REQ, 1, 10000000, NULL, "One credential per line." },
    { "delimiter", K_STR, 0, 1, 10, NULL, "Default ;." },
    { "login_column", K_INT, P_REQ, 1, 100, NULL, "1 = first column." },
    { "hash_column", K_INT, 0, 0, 100, NULL, "0 = none." },
    { "cleartext_column", K_INT, 0, 0, 100, NULL, "0 = none." },
    { "hash_type", K_STR, 0, 0, 100, NULL, "For every line, e.g. ntlm_hex." },
    { "description", K_STR, 0, 0, 4096, NULL, "For every line." },
    { "source", K_STR, 0, 0, 500, NULL, "For every line." },
    { "skip_duplicates", K_BOOL, 0, 0, 0, NULL, "Default true." },
    END
};

static const tool_param p_export_credentials[] = {
    { "kind", K_ENUM, 0, 0, 0, "user_pass|usernames|passwords|user_pass_variations", "Default user_pass (login<divider>password)." },
    { "divider", K_STR, 0, 0, 10, NULL, "Default :." },
    { "empty_passwords", K_BOOL, 0, 0, 0, NULL, NULL },
    { "login_as_password", K_BOOL, 0, 0, 0, NULL, NULL },
    END
};

static const tool_param p_add_member[] = {
    { "team_id", K_UUID, P_REQ, 0, 0, NULL, NULL },
    { "email", K_STR, P_REQ, 3, 320, NULL, "The PCF user's email." },
    { "admin", K_BOOL, 0, 0, 0, NULL, NULL },
    END
};

static const tool_param p_set_admin[] = {
    { "team_id", K_UUID, P_REQ, 0, 0, NULL, NULL },
    { "user_id", K_UUID, P_REQ, 0, 0, NULL, NULL },
    { "admin", K_BOOL, 0, 0, 0, NULL, "false removes admin rights (default true)." },
    END
};

static const tool_param p_remove_member[] = {
    { "team_id", K_UUID, P_REQ, 0, 0, NULL, NULL },
    { "user_id", K_UUID, P_REQ, 0, 0, NULL, NULL },
    END
};

static const tool_param p_disable_token[] = {
    { "token_prefix", K_STR, P_REQ, 8, 8, NULL, "id_prefix from list_tokens." },
    END
};

/* ------------------------------------------------------------ the table */

#define RO (F_READ | F_IDEMPOTENT)
#define PRJ F_PROJECT
#define DEL (F_DESTRUCTIVE | F_IDEMPOTENT)
#define O_IDS T_STRS

const tool_def pcfmcp__tools_defs[] = {
    /* ---------------------------------------------------------- projects */
    { "list_projects", TS_PROJECTS, RO | F_PAGED, NULL, NULL, "List projects",
      "Lists the PCF projects (engagements) you can use, with status, dates, scope and people. "
      "Other tools take a project by name or UUID.",
      p_list_projects,
      J({"type": "object", "required": ["projects", "total", "returned"],
         "properties": {"projects": {"type": "array", "items": O_PROJECT}, PAGE_PROPS}}),
      pcfmcp__th_list_projects },
    { "get_project", TS_PROJECTS, RO | PRJ, NULL, NULL, "Get a project",
      "Returns a project's settings with counts of hosts and of issues by criticality.",
      p_none,
      J({"type": "object", "required": ["project", "host_count", "issue_count"],
         "properties": {"project": O_PROJECT, "host_count": T_INT, "issue_count": T_INT,
                        "issues_by_criticality": O_COUNTS}}),
      pcfmcp__th_get_project },
    { "create_project", TS_PROJECTS, 0, NULL, NULL, "Create a project",
      "Creates a pentest project with you as admin and tester.",
      p_create_project,
      J({"type": "object", "required": ["project_id", "name"],
         "properties": {"project_id": T_UUID, "name": T_STR}}),
      pcfmcp__th_create_project },
    { "update_project", TS_PROJECTS, F_IDEMPOTENT | F_OVERWRITES | PRJ, NULL, NULL, "Update a project",
      "Changes the given settings; PCF refuses writes to archived projects until status=active.",
      p_update_project, O_OK("project_id": T_UUID, "updated": T_STRS),
      pcfmcp__th_update_project },

    /* ---------------------------------------------------------- hosts */
    { "list_hosts", TS_HOSTS, RO | PRJ | F_PAGED, NULL, NULL, "List hosts",
      "Lists hosts with IP, hostnames, OS, threat tags and issue count.",
      p_list_hosts,
      J({"type": "object", "required": ["project_id"],
         "properties": {"project_id": T_UUID, "hosts": {"type": "array", "items": O_HOST_SHORT},
                        "summary": O_SUMMARY, PAGE_PROPS}}),
      pcfmcp__th_list_hosts },
    { "get_host", TS_HOSTS, RO | PRJ, NULL, NULL, "Get a host",
      "Returns a host with its ports, hostnames and issues.",
      p_host,
      J({"type": "object", "required": ["host"],
         "properties": {"host": {"type": "object", "required": ["id", "ip"], "properties": {
                            "id": T_UUID, "ip": T_STR, "description": T_STR, "os": T_STR,
                            "threats": T_STRS,
                            "hostnames": {"type": "array", "items": O_HOSTNAME},
                            "ports": {"type": "array", "items": O_PORT}}},
                        "issues": {"type": "array", "items": O_ISSUE_SHORT}}}),
      pcfmcp__th_get_host },
    { "add_host", TS_HOSTS, PRJ, NULL, NULL, "Add a host with its ports",
      "Adds a host with OS, tags, hostnames and ports in one call; the result lists each step. "
      "Fails if the IP exists (use add_port/add_hostname).",
      p_add_host,
      O_OK("host_id": T_STR, "port_ids": {"type": "object", "additionalProperties": T_STR},
           "hostname_ids": {"type": "object", "additionalProperties": T_STR}, O_STEPS),
      pcfmcp__th_add_host },
    { "update_host", TS_HOSTS, F_IDEMPOTENT | F_OVERWRITES | PRJ, NULL, NULL, "Update a host",
      "Changes a host's description, OS or threat tags.",
      p_update_host, O_OK("host_id": T_UUID, "updated": T_STRS), pcfmcp__th_update_host },
    { "delete_host", TS_HOSTS, DEL | PRJ, NULL, "host_id", "Delete a host",
      "Deletes a host with its ports and hostnames.",
      p_delete_host, O_OK("deleted": T_UUID), pcfmcp__th_delete_host },

    /* ---------------------------------------------------------- ports */
    { "add_port", TS_PORTS, PRJ, NULL, NULL, "Add a port",
      "Adds a port/service to a host.",
      p_add_port, O_OK("port_id": T_UUID, "host_id": T_UUID), pcfmcp__th_add_port },
    { "get_port", TS_PORTS, RO | PRJ, NULL, NULL, "Get a port",
      "Returns a port with its host and issue ids.",
      p_port_id, J({"type": "object", "required": ["port"], "properties": {"port": O_PORT}}),
      pcfmcp__th_get_port },
    { "update_port", TS_PORTS, F_IDEMPOTENT | F_OVERWRITES | PRJ, NULL, NULL, "Update a port",
      "Changes a port's service name or description.", p_update_port,
      O_OK("port_id": T_UUID, "updated": T_STRS), pcfmcp__th_update_port },
    { "delete_port", TS_PORTS, DEL | PRJ, NULL, "port_id", "Delete a port",
      "Deletes a port from its host.", p_port_id,
      O_OK("deleted": T_UUID), pcfmcp__th_delete_port },

    /* ---------------------------------------------------------- hostnames */
    { "list_hostnames", TS_HOSTS, RO | PRJ | F_PAGED, NULL, NULL, "List hostnames",
      "Lists DNS names with their host IP.",
      p_list_hostnames,
      J({"type": "object", "required": ["project_id"],
         "properties": {"project_id": T_UUID, "hostnames": {"type": "array", "items": O_HOSTNAME},
                        PAGE_PROPS}}),
      pcfmcp__th_list_hostnames },
    { "add_hostname", TS_HOSTS, F_IDEMPOTENT | PRJ, NULL, NULL, "Add a hostname",
      "Adds a DNS name to a host (an existing one returns its id). PCF cannot rename or delete "
      "hostnames.",
      p_add_hostname, O_OK("hostname_id": T_UUID, "host_id": T_UUID), pcfmcp__th_add_hostname },

    /* ---------------------------------------------------------- networks */
    { "list_networks", TS_NETWORKS, RO | PRJ | F_PAGED, NULL, NULL, "List networks",
      "Lists network ranges with the hosts inside each.",
      p_list_text,
      J({"type": "object", "required": ["project_id"],
         "properties": {"project_id": T_UUID, "networks": {"type": "array", "items": O_NETWORK},
                        PAGE_PROPS}}),
      pcfmcp__th_list_networks },
    { "get_network", TS_NETWORKS, RO | PRJ, NULL, NULL, "Get a network",
      "Returns a network with the hosts inside it.", p_network_id,
      J({"type": "object", "required": ["network"],
         "properties": {"network": O_NETWORK, "hosts": T_STRS}}),
      pcfmcp__th_get_network },
    { "create_network", TS_NETWORKS, PRJ, NULL, NULL, "Create a network",
      "Records a network range; PCF refuses duplicates.",
      p_create_network, O_OK("network_id": T_UUID), pcfmcp__th_create_network },
    { "update_network", TS_NETWORKS, F_IDEMPOTENT | F_OVERWRITES | PRJ, NULL, NULL, "Update a network",
      "Changes the given fields of a network.", p_update_network,
      O_OK("network_id": T_UUID, "updated": T_STRS), pcfmcp__th_update_network },
    { "delete_network", TS_NETWORKS, DEL | PRJ, NULL, "network_id", "Delete a network",
      "Deletes a network record (its hosts stay).",
      p_network_id, O_OK("deleted": T_UUID), pcfmcp__th_delete_network },

    /* ---------------------------------------------------------- issues */
    { "list_issues", TS_ISSUES, RO | PRJ | F_PAGED, NULL, NULL, "List issues",
      "Lists findings, highest CVSS first, with filters; summary=true gives counts for an "
      "overview. get_issue has the full text.",
      p_list_issues,
      J({"type": "object", "required": ["project_id"],
         "properties": {"project_id": T_UUID, "issues": {"type": "array", "items": O_ISSUE_SHORT},
                        "summary": O_SUMMARY, PAGE_PROPS}}),
      pcfmcp__th_list_issues },
    { "search_issues", TS_ISSUES, RO | PRJ | F_PAGED, NULL, NULL, "Search issues (PCF search)",
      "PCF's field search with SQL LIKE patterns (case-insensitive; all must match), incl. "
      "CVSS, CWE, creator and custom fields.",
      p_search_issues,
      J({"type": "object", "required": ["project_id"],
         "properties": {"project_id": T_UUID, "issues": {"type": "array", "items": O_ISSUE_SHORT},
                        PAGE_PROPS}}),
      pcfmcp__th_search_issues },
    { "get_issue", TS_ISSUES, RO | PRJ, NULL, NULL, "Get an issue",
      "Returns one finding in full with its targets and PoC references.",
      p_issue_id,
      J({"type": "object", "required": ["issue"], "properties": {"issue": O_ISSUE}}),
      pcfmcp__th_get_issue },
    { "create_issue", TS_ISSUES, PRJ, "issues_write", NULL, "Create an issue",
      "Records a finding with its services and optional PoC; give cvss or criticality. The "
      "result lists each step, so a partial failure is explicit.",
      p_create_issue,
      O_OK("issue_id": T_STR, "poc_id": T_STR, "criticality": T_CRIT, "duplicate": T_BOOL,
           O_STEPS),
      pcfmcp__th_create_issue },
    { "update_issue", TS_ISSUES, F_IDEMPOTENT | F_OVERWRITES | PRJ, "issues_write", NULL, "Update an issue",
      "Changes the given fields of a finding. fields sets the named custom fields and keeps "
      "the rest; remove_fields deletes some; services replaces the list.",
      p_update_issue, O_OK("issue_id": T_UUID, "updated": T_STRS), pcfmcp__th_update_issue },
    { "delete_issue", TS_ISSUES, DEL | PRJ, "issues_delete", "issue_id", "Delete an issue",
      "Deletes a finding with its PoCs.", p_issue_id,
      O_OK("deleted": T_UUID), pcfmcp__th_delete_issue },
    { "list_issue_rules", TS_ISSUES, RO | F_NO_SCOPE, NULL, NULL, "List issue rules",
      "Lists your issue rules (PCF's find/replace automations).",
      p_none,
      J({"type": "object", "required": ["rules"],
         "properties": {"rules": {"type": "array", "items": {"type": "object", "required": ["id", "name"],
             "properties": {"id": T_UUID, "name": T_STR, "team_id": T_STR, "team_name": T_STR,
                            "user_id": T_STR}}}}}),
      pcfmcp__th_list_issue_rules },
    { "apply_issue_rules", TS_ISSUES, F_OVERWRITES | PRJ, NULL, NULL, "Apply issue rules",
      "Runs issue rules over issues; returns how many changed.",
      p_apply_rules, O_OK("updated_issues": T_INT), pcfmcp__th_apply_issue_rules },

    /* ---------------------------------------------------------- PoCs */
    { "add_poc", TS_POCS, PRJ, "pocs", NULL, "Add a PoC",
      "Attaches text or a file (e.g. a screenshot) to a finding; the first PoC is the main one.",
      p_add_poc, O_OK("poc_id": T_UUID, "issue_id": T_UUID), pcfmcp__th_add_poc },
    { "get_poc", TS_POCS, RO | PRJ, NULL, NULL, "Get a PoC",
      "Returns a PoC's metadata and optionally its content.",
      p_poc,
      J({"type": "object", "required": ["poc"], "properties": {"poc": {"type": "object",
          "required": ["id"], "properties": {"id": T_UUID, "filename": T_STR, "type": T_STR,
          "description": T_STR, "priority": T_NUM, "port_id": T_STR, "hostname_id": T_STR,
          "content_text": T_STR, "content_bytes": T_INT}}}}),
      pcfmcp__th_get_poc },
    { "delete_poc", TS_POCS, DEL | PRJ, NULL, "poc_id", "Delete a PoC",
      "Deletes a PoC.", p_delete_poc,
      O_OK("deleted": T_UUID), pcfmcp__th_delete_poc },

    /* ---------------------------------------------------------- teams and users */
    { "list_teams", TS_TEAMS, RO | F_NO_SCOPE, NULL, NULL, "List teams",
      "Lists your teams and whether you administer each.", p_none,
      J({"type": "object", "required": ["teams"], "properties": {"teams": {"type": "array",
          "items": {"type": "object", "required": ["id", "name"], "properties": {"id": T_UUID,
          "name": T_STR, "description": T_STR, "is_admin": T_BOOL}}}}}),
      pcfmcp__th_list_teams },
    { "get_team", TS_TEAMS, RO | F_NO_SCOPE, NULL, NULL, "Get a team",
      "Returns a team's members, projects and newest log entries (only in-scope projects under "
      "tools.projects).",
      p_get_team,
      J({"type": "object", "required": ["team"], "properties": {"team": {"type": "object"},
          "members": {"type": "array", "items": {"type": "object"}},
          "projects": {"type": "array", "items": {"type": "object"}},
          "logs": {"type": "array", "items": {"type": "object"}},
          "logs_omitted": {"type": "integer", "minimum": 1},
          "logs_notice": T_STR}}),
      pcfmcp__th_get_team },
    { "whoami", TS_CONTEXT, RO | F_NO_SCOPE, NULL, NULL, "Who am I",
      "Returns the PCF account this server acts as.",
      p_none,
      J({"type": "object", "required": ["user"], "properties": {"user": {"type": "object",
          "required": ["id"], "properties": {"id": T_UUID, "fname": T_STR, "lname": T_STR,
          "company": T_STR, "teams": {"type": "array"}}}}}),
      pcfmcp__th_whoami },
    { "get_user", TS_TEAMS, RO | F_NO_SCOPE, NULL, NULL, "Get a user",
      "Returns a user's name and company.", p_get_user,
      J({"type": "object", "required": ["user"], "properties": {"user": {"type": "object",
          "required": ["id"], "properties": {"id": T_UUID, "fname": T_STR, "lname": T_STR,
          "company": T_STR}}}}),
      pcfmcp__th_get_user },
    { "check_token", TS_CONTEXT, RO | F_NO_SCOPE, NULL, NULL, "Check the PCF connection",
      "Checks that PCF answers and accepts this server's credentials; use it when other tools "
      "report connection or auth errors.",
      p_none,
      J({"type": "object", "required": ["ok"], "properties": {"ok": T_BOOL,
          "created": T_NUM, "duration_seconds": T_NUM, "seconds_left": T_NUM,
          "web_session": T_BOOL}}),
      pcfmcp__th_check_token },

    /* ---------------------------------------------------------- credentials */
    { "list_credentials", TS_CREDENTIALS, RO | PRJ | F_PAGED, "credentials", NULL,
      "List credentials",
      "Lists recorded credentials (logins, hashes, cleartext) with source and services.",
      p_list_text,
      J({"type": "object", "required": ["project_id"],
         "properties": {"project_id": T_UUID, "credentials": {"type": "array", "items": O_CRED},
                        PAGE_PROPS}}),
      pcfmcp__th_list_credentials },
    { "add_credential", TS_CREDENTIALS, PRJ, "credentials", NULL, "Add a credential",
      "Records a credential found during the test.",
      p_add_credential, O_OK("credential_id": T_UUID), pcfmcp__th_add_credential },
    { "update_credential", TS_CREDENTIALS, F_IDEMPOTENT | F_OVERWRITES | PRJ, "credentials", NULL,
      "Update a credential", "Changes the given fields of a credential.", p_update_credential,
      O_OK("credential_id": T_UUID, "updated": T_STRS), pcfmcp__th_update_credential },
    { "delete_credential", TS_CREDENTIALS, DEL | PRJ, "credentials", "credential_id",
      "Delete a credential", "Deletes a credential.", p_delete_credential,
      O_OK("deleted": T_UUID), pcfmcp__th_delete_credential },

    /* ---------------------------------------------------------- notes */
    { "list_notes", TS_NOTES, RO | PRJ | F_PAGED, "notes", NULL, "List notes",
      "Lists notes (title, host, Markdown text).", p_list_text,
      J({"type": "object", "required": ["project_id"],
         "properties": {"project_id": T_UUID, "notes": {"type": "array", "items": O_NOTE},
                        PAGE_PROPS}}),
      pcfmcp__th_list_notes },
    { "add_note", TS_NOTES, PRJ, "notes", NULL, "Add a note",
      "Adds a note, optionally on a host.", p_add_note,
      O_OK("note_id": T_UUID), pcfmcp__th_add_note },
    { "edit_note", TS_NOTES, F_IDEMPOTENT | F_OVERWRITES | PRJ, "notes", NULL, "Edit a note",
      "Replaces a note's text and/or name.", p_edit_note,
      O_OK("note_id": T_UUID, "updated": T_STRS), pcfmcp__th_edit_note },
    { "delete_note", TS_NOTES, DEL | PRJ, "notes", "note_id", "Delete a note",
      "Deletes a note.", p_delete_note,
      O_OK("deleted": T_UUID), pcfmcp__th_delete_note },

    /* ---------------------------------------------------------- scans */
    { "import_scan", TS_SCANS, PRJ, "scan_import", NULL, "Import a scan file",
      "Imports a scanner report through PCF's importer for its format (hosts, ports, "
      "hostnames, findings). Options name their formats. Answers counts before/after, what is "
      "new, what PCF skipped and what pcf-mcp left out for this PCF release.",
      p_import_scan,
      O_OK("format": T_STR, "project_id": T_UUID, "bytes_sent": T_INT, "pcf_release": T_STR,
           "before": O_COUNTS, "after": O_COUNTS, "new": {"type": "object"},
           "census": {"type": "object"}, "skipped": T_STRS, "removed": {"type": "array"},
           "adjusted": T_STRS, "precreated": T_STRS, "warnings": T_STRS, "note": T_STR),
      pcfmcp__th_import_scan },

    /* ---------------------------------------------------------- reports */
    { "get_project_snapshot", TS_REPORTS, RO | PRJ, "snapshot", NULL, "Get a project snapshot",
      "Returns PCF's JSON export of the whole project; large, so choose sections.",
      p_snapshot, J({"type": "object", "required": ["project_id"], "properties": {"project_id": T_UUID}}),
      pcfmcp__th_get_project_snapshot },
    { "generate_report", TS_REPORTS, F_IDEMPOTENT | F_RO_OK | PRJ, NULL, NULL, "Generate a report",
      "Renders a pentest report (Markdown, HTML, JSON or CSV) from live data, optionally for "
      "some hosts or criticalities, as an embedded resource; or with a PCF template.",
      p_report,
      J({"type": "object", "required": ["format", "bytes"], "properties": {"format": T_STR,
          "bytes": T_INT, "sha256": T_STR, "uri": T_STR, "mime_type": T_STR, "issues": T_INT,
          "hosts": T_INT, "written_to": T_STR, "filename": T_STR,
          "by_criticality": O_COUNTS}}),
      pcfmcp__th_generate_report },

    /* ---------------------------------------------------------- dynamic mode */
    { "list_toolsets", TS_CONTEXT, RO | F_NO_SCOPE | F_DYNAMIC, NULL, NULL, "List toolsets",
      "Lists the toolsets with their tools and whether each is enabled.", p_none,
      J({"type": "object", "required": ["toolsets"], "properties": {"toolsets": {"type": "array",
          "items": {"type": "object", "required": ["name", "enabled", "tools"], "properties": {
          "name": T_STR, "description": T_STR, "enabled": T_BOOL, "tools": T_STRS}}}}}),
      pcfmcp__th_list_toolsets },
    { "enable_toolset", TS_CONTEXT, F_IDEMPOTENT | F_NO_SCOPE | F_DYNAMIC, NULL, NULL,
      "Enable a toolset",
      "Adds a toolset's tools to this server's tool list (list_toolsets shows them).",
      p_enable_toolset,
      J({"type": "object", "required": ["toolset", "tools"], "properties": {"toolset": T_STR,
          "already_enabled": T_BOOL, "tools": T_STRS}}),
      pcfmcp__th_enable_toolset },

    /* ---------------------------------------------------------- issue templates */
    { "list_issue_templates", TS_ISSUE_TEMPLATES, RO | PRJ | F_PAGED, "snapshot", NULL,
      "List issue templates",
      "Lists the issue templates you and your teams have, with their variables.",
      p_list_text,
      J({"type": "object", "required": ["templates"], "properties": {"templates": {"type": "array",
          "items": {"type": "object", "required": ["id", "tpl_name"], "properties": {"id": T_UUID,
          "tpl_name": T_STR, "owner": T_STR, "name": T_STR, "type": T_STR, "status": T_STR,
          "cve": T_STR, "cwe": T_NUM, "cvss": T_NUM, "criticality": T_CRIT, "description": T_STR,
          "variables": {"type": "array", "items": {"type": "object", "properties": {
              "name": T_STR, "type": T_STR, "default": T_STR}}}}}},
          "project_id": T_UUID, PAGE_PROPS}}),
      pcfmcp__th_list_issue_templates },
    { "create_issue_from_template", TS_ISSUE_TEMPLATES, PRJ, "snapshot", NULL,
      "Create an issue from a template",
      "Creates a finding from an issue template, filling its __variables__, then ties it to "
      "services.",
      p_create_from_template,
      O_OK("issue_id": T_STR, "name": T_STR, O_STEPS),
      pcfmcp__th_create_issue_from_template },

    /* ---------------------------------------------------------- issue triage */
    { "update_issues", TS_ISSUE_TRIAGE, F_IDEMPOTENT | F_OVERWRITES | PRJ, "snapshot", NULL,
      "Update several issues",
      "Sets CVSS and/or status on several findings at once.",
      p_update_issues,
      O_OK("updated": O_IDS, "unchanged": O_IDS, "not_found": O_IDS),
      pcfmcp__th_update_issues },
    { "merge_issues", TS_ISSUE_TRIAGE, DEL | PRJ, "snapshot", "issue_ids", "Merge duplicate issues",
      "Merges exact duplicates among the given findings into one with all their services; "
      "refused when a removed duplicate has PoCs (PCF would lose them).",
      p_issue_ids,
      O_OK("merged": {"type": "array", "items": {"type": "object", "properties": {"kept": T_UUID,
          "removed": O_IDS, "services": T_INT}}}, "not_merged": {"type": "array"},
          "not_found": O_IDS),
      pcfmcp__th_merge_issues },
    { "delete_issues", TS_ISSUE_TRIAGE, DEL | PRJ, "snapshot", "issue_ids", "Delete several issues",
      "Deletes several findings.",
      p_issue_ids, O_OK("deleted": O_IDS, "not_found": O_IDS), pcfmcp__th_delete_issues },
    { "set_main_poc", TS_ISSUE_TRIAGE, F_IDEMPOTENT | F_OVERWRITES | PRJ, "snapshot", NULL, "Set the main PoC",
      "Marks a PoC as the finding's main one (reports show it first).",
      p_set_main_poc, O_OK("poc_id": T_UUID, "also_main": O_IDS, "notice": T_STR),
      pcfmcp__th_set_main_poc },
    { "get_issue_share_link", TS_ISSUE_TRIAGE, RO | PRJ, NULL, NULL, "Get an issue's share link",
      "Returns the public page of a finding (readable without login by anyone with the link).",
      p_issue_id, J({"type": "object", "required": ["url"], "properties": {"url": T_STR,
          "warning": T_STR}}),
      pcfmcp__th_get_issue_share_link },

    /* ---------------------------------------------------------- tasks */
    { "list_tasks", TS_TASKS, RO | PRJ | F_PAGED, "snapshot", NULL, "List tasks",
      "Lists the project's task board.",
      p_list_tasks,
      J({"type": "object", "required": ["tasks"], "properties": {"tasks": {"type": "array",
          "items": {"type": "object", "required": ["id", "name", "status"], "properties": {
          "id": T_UUID, "name": T_STR, "description": T_STR, "criticality": T_STR,
          "status": T_STR, "start_date": T_STR, "end_date": T_STR, "user_ids": O_IDS,
          "team_ids": O_IDS, "services": {"type": "array"}}}}, "project_id": T_UUID,
          PAGE_PROPS}}),
      pcfmcp__th_list_tasks },
    { "create_task", TS_TASKS, PRJ, "snapshot", NULL, "Create a task",
      "Adds a task to the board.", p_create_task,
      O_OK("task_id": T_UUID), pcfmcp__th_create_task },
    { "update_task", TS_TASKS, F_IDEMPOTENT | F_OVERWRITES | PRJ, "snapshot", NULL, "Update a task",
      "Changes the given fields of a task; status alone moves it on the board.",
      p_update_task, O_OK("task": {"type": "object"}, "updated": T_STRS),
      pcfmcp__th_update_task },
    { "delete_task", TS_TASKS, DEL | PRJ, "snapshot", "task_id", "Delete a task",
      "Deletes a task.", p_task_id, O_OK("deleted": T_UUID), pcfmcp__th_delete_task },

    /* ---------------------------------------------------------- files */
    { "list_files", TS_FILES, RO | PRJ | F_PAGED, "snapshot", NULL, "List files",
      "Lists the project's files with description and services.",
      p_list_text,
      J({"type": "object", "required": ["files"], "properties": {"files": {"type": "array",
          "items": {"type": "object", "required": ["id", "filename"], "properties": {
          "id": T_UUID, "filename": T_STR, "description": T_STR, "type": T_STR,
          "services": T_STRS}}}, "project_id": T_UUID, PAGE_PROPS}}),
      pcfmcp__th_list_files },
    { "upload_file", TS_FILES, PRJ, "snapshot", NULL, "Upload a file",
      "Stores a file (evidence, tool output) in the project.", p_upload_file,
      O_OK("file_id": T_UUID, "size": T_INT), pcfmcp__th_upload_file },
    { "download_file", TS_FILES, RO | PRJ, "snapshot", NULL, "Download a file",
      "Returns a project file: text inline, images as image, others as a resource.",
      p_file_id,
      J({"type": "object", "required": ["file_id", "size"], "properties": {"file_id": T_UUID,
          "filename": T_STR, "size": T_INT, "source": T_STR, "content_type": T_STR,
          "content_text": T_STR, "notice": T_STR}}),
      pcfmcp__th_download_file },
    { "delete_file", TS_FILES, DEL | PRJ, "snapshot", "file_id", "Delete a file",
      "Deletes a project file.", p_file_id, O_OK("deleted": T_UUID), pcfmcp__th_delete_file },

    /* ---------------------------------------------------------- chats */
    { "list_chats", TS_CHATS, RO | PRJ | F_PAGED, "snapshot", NULL, "List chats",
      "Lists the project's chats, or one chat's messages.",
      p_list_chats,
      J({"type": "object", "properties": {"chats": {"type": "array", "items": {"type": "object",
          "properties": {"id": T_UUID, "name": T_STR}}},
          "messages": {"type": "array", "items": {"type": "object", "properties": {
          "from": T_STR, "message": T_STR, "time": T_STR}}}, "chat_id": T_UUID,
          "project_id": T_UUID, PAGE_PROPS}}),
      pcfmcp__th_list_chats },
    { "post_chat_message", TS_CHATS, PRJ, "snapshot", NULL, "Post to a chat",
      "Posts a message to a project chat.", p_post_chat,
      O_OK("chat_id": T_UUID, "chat_created": T_BOOL), pcfmcp__th_post_chat_message },

    /* ---------------------------------------------------------- services */
    { "list_services", TS_SERVICES, RO | PRJ | F_PAGED, "snapshot", NULL, "List services",
      "Lists services (port, protocol, name, description) with the hosts running each.",
      p_list_services,
      J({"type": "object", "required": ["services"], "properties": {"services": {"type": "array",
          "items": {"type": "object", "properties": {"port": T_INT, "protocol": T_STR,
          "service": T_STR, "description": T_STR, "host_count": T_INT,
          "hosts": {"type": "array"}}}}, "project_id": T_UUID, PAGE_PROPS}}),
      pcfmcp__th_list_services },
    { "add_service", TS_SERVICES, F_IDEMPOTENT | PRJ, "snapshot", NULL, "Add a service to hosts",
      "Adds one port/service to several hosts (hosts that have it are left alone).",
      p_add_service,
      O_OK("added": {"type": "array"}, "already_there": O_IDS, "not_found": O_IDS),
      pcfmcp__th_add_service },
    { "update_service", TS_SERVICES, F_IDEMPOTENT | F_OVERWRITES | PRJ, "snapshot", NULL,
      "Update a service everywhere",
      "Renames or renumbers a service on every host that has it.", p_update_service,
      O_OK("updated": T_INT, "host_ids": O_IDS), pcfmcp__th_update_service },

    /* ---------------------------------------------------------- network paths */
    { "list_network_paths", TS_NETWORK_PATHS, RO | PRJ | F_PAGED, "snapshot", NULL,
      "List network paths",
      "Lists the recorded paths between hosts and networks.",
      p_none,
      J({"type": "object", "required": ["paths"], "properties": {"paths": {"type": "array",
          "items": {"type": "object", "properties": {"id": T_UUID, "from": {"type": "object"},
          "to": {"type": "object"}, "type": T_STR, "direction": T_STR,
          "description": T_STR}}}, "project_id": T_UUID, PAGE_PROPS}}),
      pcfmcp__th_list_network_paths },
    { "add_network_path", TS_NETWORK_PATHS, F_IDEMPOTENT | PRJ, "snapshot", NULL,
      "Add a network path",
      "Records how a host or network reaches another (PCF keeps one path per pair of ends).",
      p_add_path, O_OK("path_id": T_UUID, "replaced_existing": T_BOOL),
      pcfmcp__th_add_network_path },
    { "delete_network_path", TS_NETWORK_PATHS, DEL | PRJ, "snapshot", "path_id",
      "Delete a network path", "Deletes a network path.", p_path_id,
      O_OK("deleted": T_UUID), pcfmcp__th_delete_network_path },

    /* ---------------------------------------------------------- lists */
    { "import_hosts", TS_LISTS, PRJ, "snapshot", NULL, "Import hosts from a list",
      "Adds many hosts (IP, hostname, description, OS) at once; existing hosts only gain "
      "hostnames.",
      p_import_hosts,
      O_OK("created": T_INT, "existing": T_INT, "hostnames_added": T_INT, "hosts_before": T_INT,
           "hosts_after": T_INT, "new_host_ids": O_IDS, "unchanged_existing": O_IDS,
           "rejected": {"type": "array"}),
      pcfmcp__th_import_hosts },
    { "import_credentials", TS_LISTS, PRJ, "snapshot", NULL, "Import credentials",
      "Imports credentials from delimited text (e.g. a hash dump).",
      p_import_credentials,
      O_OK("added": T_INT, "skipped_duplicates": T_INT, "blank_lines": T_INT,
           "credentials_before": T_INT, "credentials_after": T_INT, "rejected": {"type": "array"}),
      pcfmcp__th_import_credentials },
    { "export_credentials", TS_LISTS, RO | PRJ, "snapshot", NULL, "Export credential lists",
      "Returns word lists from the project's credentials (logins, passwords, login:password).",
      p_export_credentials,
      J({"type": "object", "required": ["lines"], "properties": {"lines": T_STRS, "count": T_INT}}),
      pcfmcp__th_export_credentials },

    /* ---------------------------------------------------------- team admin */
    { "add_team_member", TS_TEAM_ADMIN, F_NO_SCOPE, NULL, NULL, "Add a team member",
      "Adds a PCF user to a team you administer.", p_add_member,
      O_OK("team_id": T_UUID, "email": T_STR), pcfmcp__th_add_team_member },
    { "set_team_admin", TS_TEAM_ADMIN, F_IDEMPOTENT | F_OVERWRITES | F_NO_SCOPE, NULL, NULL,
      "Set a team admin", "Grants or removes a member's admin rights.", p_set_admin,
      O_OK("user_id": T_UUID, "admin": T_BOOL), pcfmcp__th_set_team_admin },
    { "remove_team_member", TS_TEAM_ADMIN, DEL | F_NO_SCOPE, NULL, "user_id",
      "Remove a team member", "Removes a user from a team you administer.", p_remove_member,
      O_OK("removed": T_UUID, "via": T_STR), pcfmcp__th_remove_team_member },

    /* ---------------------------------------------------------- tokens */
    { "list_tokens", TS_TOKENS, RO | F_NO_SCOPE, NULL, NULL, "List API tokens",
      "Shows the PCF API token this server uses (PCF cannot list an account's tokens).", p_none,
      J({"type": "object", "required": ["tokens"], "properties": {"tokens": {"type": "array",
          "items": {"type": "object", "properties": {"id_prefix": T_STR, "source": T_STR,
          "renewable": T_BOOL, "created": T_NUM, "seconds_left": T_NUM}}}, "notice": T_STR}}),
      pcfmcp__th_list_tokens },
    { "disable_token", TS_TOKENS, F_DESTRUCTIVE | F_NO_SCOPE, NULL, "token_prefix",
      "Disable the API token",
      "Disables this server's PCF token. A token made from pcf.email is replaced on the next "
      "call; a configured pcf.token leaves the server without PCF access.",
      p_disable_token, O_OK("disabled": T_STR, "renewable": T_BOOL), pcfmcp__th_disable_token },
};

const size_t pcfmcp__tools_ndefs = PCFMCP_ARRAY_LEN(pcfmcp__tools_defs);
