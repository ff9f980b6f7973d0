/* The tool table: names, titles, descriptions written for a model, input
 * parameters, output schemas and handlers. `pcf-mcp tools` and docs/tools.md
 * are rendered from what this table registers. */
#include "core/internal.h"

#include "tools/handlers.h"

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

#define END { NULL, K_STR, 0, 0, 0, NULL, NULL }
#define THREATS "high|medium|low|info|check|checked|noscope|recheck|firewall|offline|inwork|scope|critical|slow"
#define CRITS "info|low|medium|high|critical"
#define STATUSES "PoC creation|PoC available|Confirmed|Wasn't Confirmed|Pending...|Need to check|Need to recheck|Fixed"

static const tool_param p_none[] = { END };

static const tool_param p_list_projects[] = {
    { "text", K_STR, 0, 0, 200, NULL, "Only projects whose name, description or scope contains this text (case-insensitive)." },
    { "status", K_ENUM, 0, 0, 0, "active|archived", "Only active or only archived projects." },
    END
};

static const tool_param p_create_project[] = {
    { "name", K_STR, P_REQ, 1, 200, NULL, "Project name." },
    { "description", K_TEXT, 0, 0, 0, NULL, "What the engagement is about." },
    { "scope", K_TEXT, 0, 0, 0, NULL, "Scope text (networks, domains, applications)." },
    { "start_date", K_DATE, 0, 0, 0, NULL, "Start date, YYYY-MM-DD (default today)." },
    { "end_date", K_DATE, 0, 0, 0, NULL, "End date, YYYY-MM-DD (default 30 days after the start)." },
    { "auto_archive", K_BOOL, 0, 0, 0, NULL, "Archive automatically after end_date (default false)." },
    { "folder", K_STR, 0, 0, 200, NULL, "Folder name used to group projects in PCF." },
    { "report_title", K_STR, 0, 0, 200, NULL, "Title PCF uses for reports." },
    { "teams", K_UUID_ARR, 0, 0, 0, NULL, "Team UUIDs with access (list_teams shows yours)." },
    { "testers", K_UUID_ARR, 0, 0, 0, NULL, "User UUIDs added as testers (they must share a team with you)." },
    END
};

static const tool_param p_update_project[] = {
    { "name", K_STR, 0, 1, 200, NULL, "New project name." },
    { "description", K_TEXT, 0, 0, 0, NULL, "New description." },
    { "scope", K_TEXT, 0, 0, 0, NULL, "New scope text." },
    { "start_date", K_DATE, 0, 0, 0, NULL, "New start date, YYYY-MM-DD." },
    { "end_date", K_DATE, 0, 0, 0, NULL, "New end date, YYYY-MM-DD." },
    { "auto_archive", K_BOOL, 0, 0, 0, NULL, "Archive automatically after end_date." },
    { "status", K_ENUM, 0, 0, 0, "active|archived", "active re-opens an archived project (and turns auto_archive off); archived closes it for writes." },
    { "folder", K_STR, 0, 0, 200, NULL, "New folder name." },
    { "report_title", K_STR, 0, 0, 200, NULL, "New report title." },
    { "teams", K_UUID_ARR, 0, 0, 0, NULL, "Replaces the teams with access." },
    { "testers", K_UUID_ARR, 0, 0, 0, NULL, "Replaces the testers." },
    END
};

static const tool_param p_list_hosts[] = {
    { "text", K_STR, 0, 0, 200, NULL, "Only hosts whose IP, hostname, OS or description contains this text." },
    { "threat", K_ENUM, 0, 0, 0, THREATS, "Only hosts marked with this threat/status tag." },
    { "port", K_INT, 0, 1, 65535, NULL, "Only hosts with this port open (loads ports: one PCF call per host)." },
    { "service", K_STR, 0, 0, 100, NULL, "Only hosts with a service whose name contains this text, e.g. http, smb (loads ports)." },
    { "with_ports", K_BOOL, 0, 0, 0, NULL, "Include each host's ports as \"80/tcp http\" (one PCF call per host)." },
    { "summary", K_BOOL, 0, 0, 0, NULL, "Return counts by threat, OS and service instead of the hosts." },
    END
};

static const tool_param p_host[] = {
    { "host", K_STR, P_REQ, 1, 100, NULL, "The host: its UUID or its IP address." },
    END
};

#define PORT_ITEM "{\"type\":\"object\",\"required\":[\"port\"],\"additionalProperties\":false,\"properties\":{\"port\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":65535},\"protocol\":{\"type\":\"string\",\"enum\":[\"tcp\",\"udp\"],\"description\":\"Default tcp.\"},\"service\":{\"type\":\"string\",\"maxLength\":100,\"description\":\"Service name, e.g. http, ssh.\"},\"description\":{\"type\":\"string\",\"maxLength\":4096,\"description\":\"Banner, product and version.\"}}}"

static const tool_param p_add_host[] = {
    { "ip", K_IP, P_REQ, 0, 0, NULL, "IPv4 or IPv6 address of the host." },
    { "description", K_TEXT, 0, 0, 0, NULL, "What the host is." },
    { "os", K_STR, 0, 0, 200, NULL, "Operating system." },
    { "threats", K_ENUM_ARR, 0, 0, 0, THREATS, "Threat/status tags for the host." },
    { "hostnames", K_SCHEMA, 0, 0, 0, "{\"type\":\"array\",\"maxItems\":100,\"items\":{\"type\":\"string\",\"format\":\"hostname\",\"maxLength\":253}}", "DNS names of the host." },
    { "ports", K_SCHEMA, 0, 0, 0, "{\"type\":\"array\",\"maxItems\":200,\"items\":" PORT_ITEM "}", "Open ports to add with the host, each {port, protocol, service, description}." },
    END
};

static const tool_param p_update_host[] = {
    { "host", K_STR, P_REQ, 1, 100, NULL, "The host: its UUID or its IP address." },
    { "description", K_TEXT, 0, 0, 0, NULL, "New description." },
    { "os", K_STR, 0, 0, 200, NULL, "New operating system." },
    { "threats", K_ENUM_ARR, 0, 0, 0, THREATS, "Replaces the host's threat/status tags (pass [] to clear)." },
    END
};

static const tool_param p_delete_host[] = {
    { "host_id", K_UUID, P_REQ, 0, 0, NULL, "UUID of the host to delete (with its ports and hostnames)." },
    END
};

static const tool_param p_add_port[] = {
    { "host", K_STR, P_REQ, 1, 100, NULL, "The host: its UUID or its IP address." },
    { "port", K_INT, P_REQ, 1, 65535, NULL, "Port number." },
    { "protocol", K_ENUM, 0, 0, 0, "tcp|udp", "Default tcp." },
    { "service", K_STR, 0, 0, 100, NULL, "Service name, e.g. http, ssh, smb." },
    { "description", K_TEXT, 0, 0, 0, NULL, "Banner, product and version." },
    END
};

static const tool_param p_port_id[] = {
    { "port_id", K_UUID, P_REQ, 0, 0, NULL, "UUID of the port (get_host lists them)." },
    END
};

static const tool_param p_update_port[] = {
    { "port_id", K_UUID, P_REQ, 0, 0, NULL, "UUID of the port." },
    { "service", K_STR, 0, 0, 100, NULL, "New service name." },
    { "description", K_TEXT, 0, 0, 0, NULL, "New description." },
    END
};

static const tool_param p_list_hostnames[] = {
    { "text", K_STR, 0, 0, 200, NULL, "Only hostnames (or host IPs) containing this text." },
    END
};

static const tool_param p_add_hostname[] = {
    { "host", K_STR, P_REQ, 1, 100, NULL, "The host: its UUID or its IP address." },
    { "hostname", K_HOSTNAME, P_REQ, 0, 0, NULL, "DNS name, e.g. www.example.com." },
    { "description", K_TEXT, 0, 0, 0, NULL, "Where the name comes from." },
    END
};

static const tool_param p_network_id[] = {
    { "network_id", K_UUID, P_REQ, 0, 0, NULL, "UUID of the network (list_networks shows them)." },
    END
};

static const tool_param p_create_network[] = {
    { "ip", K_IP, P_REQ, 0, 0, NULL, "Network address, e.g. 10.0.0.0." },
    { "mask", K_INT, P_REQ, 0, 128, NULL, "Prefix length (0-32 for IPv4, 0-128 for IPv6)." },
    { "name", K_STR, 0, 0, 200, NULL, "Network name." },
    { "description", K_TEXT, 0, 0, 0, NULL, "What the network is." },
    { "asn", K_INT, 0, 0, 4294967295.0, NULL, "Autonomous system number." },
    { "internal_ip", K_STR, 0, 0, 100, NULL, "Internal address of the gateway, if known." },
    { "cmd", K_STR, 0, 0, 4096, NULL, "Command used to reach the network (e.g. an SSH tunnel)." },
    END
};

static const tool_param p_update_network[] = {
    { "network_id", K_UUID, P_REQ, 0, 0, NULL, "UUID of the network." },
    { "ip", K_IP, 0, 0, 0, NULL, "New network address." },
    { "mask", K_INT, 0, 0, 128, NULL, "New prefix length." },
    { "name", K_STR, 0, 0, 200, NULL, "New name." },
    { "description", K_TEXT, 0, 0, 0, NULL, "New description." },
    { "asn", K_INT, 0, 0, 4294967295.0, NULL, "New AS number." },
    { "internal_ip", K_STR, 0, 0, 100, NULL, "New internal gateway address." },
    { "cmd", K_STR, 0, 0, 4096, NULL, "New access command." },
    END
};

static const tool_param p_list_issues[] = {
    { "criticality", K_ENUM_ARR, 0, 0, 0, CRITS, "Only these criticalities (derived from CVSS as PCF does: info 0, low up to 3.9, medium up to 6.9, high up to 8.9, critical above 8.9)." },
    { "min_cvss", K_NUM, 0, 0, 10, NULL, "Only issues with at least this CVSS score." },
    { "status", K_STR, 0, 0, 100, NULL, "Only issues whose status contains this text (case-insensitive), e.g. confirmed." },
    { "host", K_STR, 0, 0, 100, NULL, "Only issues on this host (UUID or IP)." },
    { "port", K_INT, 0, 1, 65535, NULL, "Only issues on this port number." },
    { "service", K_STR, 0, 0, 100, NULL, "Only issues on a service whose name contains this text." },
    { "text", K_STR, 0, 0, 200, NULL, "Only issues whose name, description, CVE or URL contains this text." },
    { "with_targets", K_BOOL, 0, 0, 0, NULL, "Add each issue's targets as \"ip:port/proto (service)\" (one PCF call per host; implied by host/port/service filters)." },
    { "summary", K_BOOL, 0, 0, 0, NULL, "Return counts by criticality, status, host and service instead of the issues." },
    END
};

static const tool_param p_search_issues[] = {
    { "name", K_STR, 0, 0, 500, NULL, "Pattern for the issue name. PCF uses SQL LIKE: % matches any text, _ one character; without % the text must match exactly." },
    { "description", K_STR, 0, 0, 500, NULL, "LIKE pattern for the description." },
    { "cve", K_STR, 0, 0, 200, NULL, "LIKE pattern for the CVE field." },
    { "status", K_STR, 0, 0, 200, NULL, "LIKE pattern for the status." },
    { "url_path", K_STR, 0, 0, 500, NULL, "LIKE pattern for the URL/path." },
    { "fix", K_STR, 0, 0, 500, NULL, "LIKE pattern for the fix." },
    { "technical", K_STR, 0, 0, 500, NULL, "LIKE pattern for the technical details." },
    { "param", K_STR, 0, 0, 500, NULL, "LIKE pattern for the affected parameter." },
    { "references", K_STR, 0, 0, 500, NULL, "LIKE pattern for the references." },
    { "cvss", K_STR, 0, 0, 20, NULL, "LIKE pattern for the CVSS score as PCF stores it, a decimal with one digit after the point: \"10.0\", \"9.8\"; \"9.%\" finds 9.0-9.9. For ranges use list_issues min_cvss." },
    { "cwe", K_STR, 0, 0, 20, NULL, "LIKE pattern for the CWE number without the CWE- prefix, e.g. \"89\" (0 = none set)." },
    { "type", K_STR, 0, 0, 200, NULL, "LIKE pattern for the issue type." },
    { "risks", K_STR, 0, 0, 500, NULL, "LIKE pattern for the risks text." },
    { "intruder", K_STR, 0, 0, 500, NULL, "LIKE pattern for the intruder (attacker model) text." },
    { "user_id", K_STR, 0, 0, 100, NULL, "LIKE pattern for the UUID of the user who created the issue (whoami shows yours)." },
    { "fields", K_SCHEMA, 0, 0, 0,
      "{\"type\": \"object\", \"maxProperties\": 50, \"propertyNames\": {\"pattern\": \"^[a-zA-Z0-9]+$\", \"maxLength\": 100}, \"additionalProperties\": {\"type\": \"string\", \"maxLength\": 500}}",
      "Custom fields: field name -> LIKE pattern for its value (booleans are 1/0); an issue must have every named field and match each. get_issue shows an issue's custom fields." },
    END
};

static const tool_param p_issue_id[] = {
    { "issue_id", K_UUID, P_REQ, 0, 0, NULL, "UUID of the issue (list_issues shows them)." },
    END
};

#define SERVICES_SCHEMA "{\"type\":\"array\",\"maxItems\":500,\"items\":{\"type\":\"object\",\"additionalProperties\":false,\"properties\":{\"port_id\":{\"type\":\"string\",\"format\":\"uuid\",\"description\":\"A port UUID (get_host lists them).\"},\"host\":{\"type\":\"string\",\"maxLength\":100,\"description\":\"Host UUID or IP, with port (instead of port_id).\"},\"port\":{\"type\":\"integer\",\"minimum\":1,\"maximum\":65535,\"description\":\"Port number on that host.\"},\"protocol\":{\"type\":\"string\",\"enum\":[\"tcp\",\"udp\"]},\"hostname\":{\"type\":\"string\",\"maxLength\":253,\"description\":\"Optional hostname of that host the issue applies to.\"}}}}"

#define POC_SCHEMA "{\"type\":\"object\",\"additionalProperties\":false,\"properties\":{\"text\":{\"type\":\"string\",\"maxLength\":1000000,\"description\":\"PoC as text (request/response, command output).\"},\"content_base64\":{\"type\":\"string\",\"maxLength\":20000000,\"description\":\"PoC file as base64 (e.g. a PNG screenshot), instead of text.\"},\"type\":{\"type\":\"string\",\"enum\":[\"text\",\"image\"],\"description\":\"Default: text for text, guessed for base64.\"},\"description\":{\"type\":\"string\",\"maxLength\":4096}}}"

#define FIELDS_SCHEMA "{\"type\":\"object\",\"maxProperties\":50,\"propertyNames\":{\"pattern\":\"^[a-zA-Z0-9]+$\"},\"additionalProperties\":{\"type\":\"object\",\"required\":[\"type\",\"value\"],\"additionalProperties\":false,\"properties\":{\"type\":{\"type\":\"string\",\"enum\":[\"text\",\"number\",\"float\",\"boolean\"]},\"value\":{\"type\":\"string\",\"maxLength\":10000}}}}"

#define ISSUE_FIELDS(req)                                                                          \
    { "name", K_STR, req, 1, 500, NULL, "Short title of the finding." },                           \
    { "description", K_TEXT, 0, 0, 0, NULL, "What was found and why it matters." },                \
    { "cvss", K_NUM, 0, 0, 10, NULL, "CVSS base score 0-10; decides the criticality." },           \
    { "criticality", K_ENUM, 0, 0, 0, CRITS, "Instead of cvss: sets the score PCF's form uses for it (info 0, low 2, medium 5, high 8, critical 9.5). Must agree with cvss if both are given." }, \
    { "status", K_ENUM, 0, 0, 0, STATUSES, "Workflow status as PCF's UI names it." },               \
    { "cve", K_STR, 0, 0, 200, NULL, "CVE id(s), e.g. CVE-2020-1472." },                           \
    { "cwe", K_INT, 0, 0, 100000, NULL, "CWE number, e.g. 79." },                                  \
    { "url_path", K_STR, 0, 0, 2000, NULL, "Affected URL or path." },                              \
    { "param", K_STR, 0, 0, 500, NULL, "Affected parameter." },                                    \
    { "fix", K_TEXT, 0, 0, 0, NULL, "How to remediate." },                                         \
    { "technical", K_TEXT, 0, 0, 0, NULL, "Technical details / reproduction steps." },             \
    { "risks", K_TEXT, 0, 0, 0, NULL, "Business risk." },                                          \
    { "references", K_TEXT, 0, 0, 0, NULL, "Links and references, one per line." },                \
    { "intruder", K_STR, 0, 0, 500, NULL, "Attacker model (e.g. external unauthenticated)." },     \
    { "services", K_SCHEMA, 0, 0, 0, SERVICES_SCHEMA, "Where the issue is: ports (by port_id, or host + port) and optional hostnames. Replaces the list on update." }, \
    { "fields", K_SCHEMA, 0, 0, 0, FIELDS_SCHEMA, "Custom fields {name: {type, value}}; names are letters and digits. On update only the named fields are set: the issue's other custom fields keep their values." }

static const tool_param p_create_issue[] = {
    ISSUE_FIELDS(P_REQ),
    { "poc", K_SCHEMA, 0, 0, 0, POC_SCHEMA, "Optional proof of concept attached right after the issue is created." },
    END
};

static const tool_param p_update_issue[] = {
    { "issue_id", K_UUID, P_REQ, 0, 0, NULL, "UUID of the issue to change." },
    ISSUE_FIELDS(0),
    { "remove_fields", K_STR_ARR, 0, 0, 0, NULL, "Names of custom fields to delete from the issue (get_issue lists them); the others stay." },
    END
};

static const tool_param p_apply_rules[] = {
    { "rule_ids", K_UUID_ARR, P_REQ, 0, 0, NULL, "Rules to apply (list_issue_rules shows them)." },
    { "issue_ids", K_UUID_ARR, P_REQ, 0, 0, NULL, "Issues to apply them to." },
    END
};

static const tool_param p_add_poc[] = {
    { "issue_id", K_UUID, P_REQ, 0, 0, NULL, "UUID of the issue." },
    { "text", K_TEXT, 0, 0, 1000000, NULL, "PoC as text (HTTP exchange, command output)." },
    { "content_base64", K_STR, 0, 0, 20000000, NULL, "PoC file as base64 (e.g. a PNG screenshot), instead of text." },
    { "type", K_ENUM, 0, 0, 0, "text|image", "Default: text for text, guessed for base64." },
    { "description", K_STR, 0, 0, 4096, NULL, "What the PoC shows." },
    { "port_id", K_UUID, 0, 0, 0, NULL, "Tie the PoC to one of the issue's ports (optional)." },
    { "hostname_id", K_UUID, 0, 0, 0, NULL, "With port_id: the hostname of that service (optional)." },
    END
};

static const tool_param p_poc[] = {
    { "issue_id", K_UUID, P_REQ, 0, 0, NULL, "UUID of the issue." },
    { "poc_id", K_UUID, P_REQ, 0, 0, NULL, "UUID of the PoC (get_issue lists them)." },
    { "include_content", K_BOOL, 0, 0, 0, NULL, "Also return the PoC content (needs the web session): text inline, images as an image block." },
    END
};

static const tool_param p_delete_poc[] = {
    { "issue_id", K_UUID, P_REQ, 0, 0, NULL, "UUID of the issue." },
    { "poc_id", K_UUID, P_REQ, 0, 0, NULL, "UUID of the PoC to delete." },
    END
};

static const tool_param p_get_team[] = {
    { "team_id", K_UUID, P_REQ, 0, 0, NULL, "UUID of the team (list_teams shows yours)." },
    { "logs", K_INT, 0, 0, 500, NULL, "How many of the newest activity log entries to include (default 20, 0 = none)." },
    END
};

static const tool_param p_get_user[] = {
    { "user_id", K_UUID, P_REQ, 0, 0, NULL, "UUID of the user (team members and project testers carry it)." },
    END
};

static const tool_param p_list_text[] = {
    { "text", K_STR, 0, 0, 200, NULL, "Only entries containing this text." },
    END
};

#define CRED_FIELDS                                                                            \
    { "hash", K_STR, 0, 0, 4096, NULL, "Password hash." },                                     \
    { "hash_type", K_STR, 0, 0, 100, NULL, "Hash type, e.g. ntlm_hex, md5_hex, sha512_crypt_unix." }, \
    { "cleartext", K_STR, 0, 0, 1024, NULL, "Cleartext password, if known." },                 \
    { "description", K_STR, 0, 0, 4096, NULL, "Comment." },                                    \
    { "source", K_STR, 0, 0, 500, NULL, "Where it was found (e.g. responder, config file)." }, \
    { "port_ids", K_UUID_ARR, 0, 0, 0, NULL, "Ports (services) the credential works on; on update the complete list (a port that stays keeps the hostnames PCF tied to it)." }

static const tool_param p_add_credential[] = {
    { "login", K_STR, P_REQ, 1, 500, NULL, "User name." },
    CRED_FIELDS,
    END
};

static const tool_param p_update_credential[] = {
    { "credential_id", K_UUID, P_REQ, 0, 0, NULL, "UUID of the credential (list_credentials shows them)." },
    { "login", K_STR, 0, 1, 500, NULL, "New user name." },
    CRED_FIELDS,
    END
};

static const tool_param p_delete_credential[] = {
    { "credential_id", K_UUID, P_REQ, 0, 0, NULL, "UUID of the credential to delete." },
    END
};

static const tool_param p_add_note[] = {
    { "name", K_STR, P_REQ, 1, 200, NULL, "Note title." },
    { "text", K_TEXT, 0, 0, 0, NULL, "Note text (plain text or HTML)." },
    { "host", K_STR, 0, 0, 100, NULL, "Attach the note to this host (UUID or IP)." },
    END
};

static const tool_param p_edit_note[] = {
    { "note_id", K_UUID, P_REQ, 0, 0, NULL, "UUID of the note (list_notes shows them)." },
    { "text", K_TEXT, 0, 0, 0, NULL, "Replaces the note's text." },
    { "name", K_STR, 0, 1, 200, NULL, "Renames the note." },
    END
};

static const tool_param p_delete_note[] = {
    { "note_id", K_UUID, P_REQ, 0, 0, NULL, "UUID of the note to delete." },
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
    { "sections", K_ENUM_ARR, 0, 0, 0, "project|issues|hosts|ports|hostnames|pocs|notes|networks|credentials|grouped_issues", "Parts of the export to return (default all except pocs)." },
    { "include_poc_content", K_BOOL, 0, 0, 0, NULL, "Keep PoC file contents (base64) in the pocs section; large." },
    END
};

static const tool_param p_report[] = {
    { "format", K_ENUM, 0, 0, 0, "markdown|html|json|csv", "Output format (default markdown). html is one self-contained printable page." },
    { "hosts", K_STR_ARR, 0, 0, 0, NULL, "Limit the report to these hosts (UUIDs or IPs)." },
    { "min_criticality", K_ENUM, 0, 0, 0, CRITS, "Leave out issues below this criticality." },
    { "criticality", K_ENUM_ARR, 0, 0, 0, CRITS, "Only issues of these criticalities." },
    { "title", K_STR, 0, 0, 300, NULL, "Report title (default: the project's report title or name)." },
    { "output_path", K_STR, 0, 0, 512, NULL, "Also write the report to this file, relative to reports.output_dir (no absolute paths, no ..)." },
    { "template_id", K_UUID, 0, 0, 0, NULL, "Render with this report template stored in PCF (PCF's own renderer; needs the web session) instead of the built-in formats. PCF offers no way for this server to list templates: the UUID comes from the user, who sees the templates of their teams and their own in the template picker of the project's Reports page in PCF's web UI (/project/<project id>/reports/). Do not guess ids." },
    END
};

/* ------------------------------------------------------------ the table */

#define RO (F_READ | F_IDEMPOTENT)
#define PRJ F_PROJECT

const tool_def pcfmcp__tools_defs[] = {
    /* ---------------------------------------------------------- projects */
    { "list_projects", TS_PROJECTS, RO | F_PAGED, NULL, NULL, "List projects",
      "Lists the PCF projects (engagements) you can work on, with status, dates, scope, testers "
      "and teams. Start here to find a project's name or UUID; every other tool takes one as "
      "`project`. Projects outside this server's project allow-list are not shown.",
      p_list_projects,
      J({"type": "object", "required": ["projects", "total", "returned"],
         "properties": {"projects": {"type": "array", "items": O_PROJECT}, PAGE_PROPS}}),
      pcfmcp__th_list_projects },
    { "get_project", TS_PROJECTS, RO | PRJ, NULL, NULL, "Get a project",
      "Returns one project's settings (description, scope, dates, status, testers, teams) plus "
      "counts of hosts and of issues by criticality. Use list_hosts / list_issues for the "
      "details.",
      p_none,
      J({"type": "object", "required": ["project", "host_count", "issue_count"],
         "properties": {"project": O_PROJECT, "host_count": T_INT, "issue_count": T_INT,
                        "issues_by_criticality": O_COUNTS}}),
      pcfmcp__th_get_project },
    { "create_project", TS_PROJECTS, 0, NULL, NULL, "Create a project",
      "Creates a new PCF project (type pentest) with you as admin and tester. Dates default to "
      "today and 30 days later. Returns the new project's UUID. Refused when this server is "
      "limited to a project allow-list.",
      p_create_project,
      J({"type": "object", "required": ["project_id", "name"],
         "properties": {"project_id": T_UUID, "name": T_STR}}),
      pcfmcp__th_create_project },
    { "update_project", TS_PROJECTS, F_IDEMPOTENT | PRJ, NULL, NULL, "Update a project",
      "Changes a project's settings; fields you omit keep their values. status=active re-opens "
      "an archived project (PCF refuses writes to archived projects).",
      p_update_project, O_OK("project_id": T_UUID, "updated": T_STRS),
      pcfmcp__th_update_project },

    /* ---------------------------------------------------------- hosts */
    { "list_hosts", TS_HOSTS, RO | PRJ | F_PAGED, NULL, NULL, "List hosts",
      "Lists a project's hosts with IP, hostnames, OS, threat tags and issue count, filtered by "
      "text, threat tag, port or service. Use summary=true for counts only, get_host for one "
      "host's ports and issues.",
      p_list_hosts,
      J({"type": "object", "required": ["project_id"],
         "properties": {"project_id": T_UUID, "hosts": {"type": "array", "items": O_HOST_SHORT},
                        "summary": O_SUMMARY, PAGE_PROPS}}),
      pcfmcp__th_list_hosts },
    { "get_host", TS_HOSTS, RO | PRJ, NULL, NULL, "Get a host",
      "Returns one host (by UUID or IP) with its ports and services, hostnames, threat tags and "
      "the issues found on it (name, CVSS, criticality, status).",
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
      "Adds a host to a project and, in the same call, its OS, threat tags, hostnames and open "
      "ports. Each part is a separate PCF call: the result lists every step with its outcome and "
      "the ids created, so a partial failure says exactly what exists. Fails if the IP already "
      "exists (use add_port / add_hostname then).",
      p_add_host,
      O_OK("host_id": T_STR, "port_ids": {"type": "object", "additionalProperties": T_STR},
           "hostname_ids": {"type": "object", "additionalProperties": T_STR}, O_STEPS),
      pcfmcp__th_add_host },
    { "update_host", TS_HOSTS, F_IDEMPOTENT | PRJ, NULL, NULL, "Update a host",
      "Changes a host's description, OS or threat tags (threats replaces the whole list). "
      "Fields you omit keep their values.",
      p_update_host, O_OK("host_id": T_UUID, "updated": T_STRS), pcfmcp__th_update_host },
    { "delete_host", TS_HOSTS, F_DESTRUCTIVE | F_IDEMPOTENT | PRJ, NULL, "host_id", "Delete a host",
      "Deletes a host with all its ports and hostnames. Permanent. Requires confirm = host_id.",
      p_delete_host, O_OK("deleted": T_UUID), pcfmcp__th_delete_host },

    /* ---------------------------------------------------------- ports */
    { "add_port", TS_PORTS, PRJ, NULL, NULL, "Add a port",
      "Adds an open port (service) to an existing host. PCF refuses a duplicate host+port+"
      "protocol. To create a host with ports in one go use add_host.",
      p_add_port, O_OK("port_id": T_UUID, "host_id": T_UUID), pcfmcp__th_add_port },
    { "get_port", TS_PORTS, RO | PRJ, NULL, NULL, "Get a port",
      "Returns one port with its host IP, service, description and the ids of issues on it.",
      p_port_id, J({"type": "object", "required": ["port"], "properties": {"port": O_PORT}}),
      pcfmcp__th_get_port },
    { "update_port", TS_PORTS, F_IDEMPOTENT | PRJ, NULL, NULL, "Update a port",
      "Changes a port's service name or description.", p_update_port,
      O_OK("port_id": T_UUID, "updated": T_STRS), pcfmcp__th_update_port },
    { "delete_port", TS_PORTS, F_DESTRUCTIVE | F_IDEMPOTENT | PRJ, NULL, "port_id", "Delete a port",
      "Deletes a port from its host. Permanent. Requires confirm = port_id.", p_port_id,
      O_OK("deleted": T_UUID), pcfmcp__th_delete_port },

    /* ---------------------------------------------------------- hostnames */
    { "list_hostnames", TS_HOSTS, RO | PRJ | F_PAGED, NULL, NULL, "List hostnames",
      "Lists the DNS names recorded in a project with the host (IP) each belongs to.",
      p_list_hostnames,
      J({"type": "object", "required": ["project_id"],
         "properties": {"project_id": T_UUID, "hostnames": {"type": "array", "items": O_HOSTNAME},
                        PAGE_PROPS}}),
      pcfmcp__th_list_hostnames },
    { "add_hostname", TS_HOSTS, F_IDEMPOTENT | PRJ, NULL, NULL, "Add a hostname",
      "Adds a DNS name to a host. Idempotent: an existing name on that host returns its id. "
      "PCF's API cannot rename or delete hostnames.",
      p_add_hostname, O_OK("hostname_id": T_UUID, "host_id": T_UUID), pcfmcp__th_add_hostname },

    /* ---------------------------------------------------------- networks */
    { "list_networks", TS_NETWORKS, RO | PRJ | F_PAGED, NULL, NULL, "List networks",
      "Lists a project's networks (address/mask, name, AS number, access command) with the ids "
      "of the project hosts inside each.",
      p_list_text,
      J({"type": "object", "required": ["project_id"],
         "properties": {"project_id": T_UUID, "networks": {"type": "array", "items": O_NETWORK},
                        PAGE_PROPS}}),
      pcfmcp__th_list_networks },
    { "get_network", TS_NETWORKS, RO | PRJ, NULL, NULL, "Get a network",
      "Returns one network with the project hosts inside it.", p_network_id,
      J({"type": "object", "required": ["network"],
         "properties": {"network": O_NETWORK, "hosts": T_STRS}}),
      pcfmcp__th_get_network },
    { "create_network", TS_NETWORKS, PRJ, NULL, NULL, "Create a network",
      "Records a network range (e.g. 10.0.0.0/24) in a project. PCF refuses duplicates and "
      "masks over 32 for IPv4.",
      p_create_network, O_OK("network_id": T_UUID), pcfmcp__th_create_network },
    { "update_network", TS_NETWORKS, F_IDEMPOTENT | PRJ, NULL, NULL, "Update a network",
      "Changes a network's fields; omitted fields keep their values.", p_update_network,
      O_OK("network_id": T_UUID, "updated": T_STRS), pcfmcp__th_update_network },
    { "delete_network", TS_NETWORKS, F_DESTRUCTIVE | F_IDEMPOTENT | PRJ, NULL, "network_id", "Delete a network",
      "Deletes a network record (hosts stay). Permanent. Requires confirm = network_id.",
      p_network_id, O_OK("deleted": T_UUID), pcfmcp__th_delete_network },

    /* ---------------------------------------------------------- issues */
    { "list_issues", TS_ISSUES, RO | PRJ | F_PAGED, NULL, NULL, "List issues",
      "Lists a project's findings, highest CVSS first, with criticality, status and a short "
      "summary; filters by criticality, CVSS, status, host, port, service and text. "
      "summary=true returns counts by criticality, status, host and service instead (good for "
      "an overview of a large project). get_issue returns one finding in full.",
      p_list_issues,
      J({"type": "object", "required": ["project_id"],
         "properties": {"project_id": T_UUID, "issues": {"type": "array", "items": O_ISSUE_SHORT},
                        "summary": O_SUMMARY, PAGE_PROPS}}),
      pcfmcp__th_list_issues },
    { "search_issues", TS_ISSUES, RO | PRJ | F_PAGED, NULL, NULL, "Search issues (PCF search)",
      "Runs PCF's own issue search with SQL LIKE patterns per field (% = any text, _ = one "
      "character, case-insensitive; every given pattern must match), including CVSS, CWE, "
      "creator and custom fields. Use it for exact field matching; list_issues is easier for "
      "everyday filtering.",
      p_search_issues,
      J({"type": "object", "required": ["project_id"],
         "properties": {"project_id": T_UUID, "issues": {"type": "array", "items": O_ISSUE_SHORT},
                        PAGE_PROPS}}),
      pcfmcp__th_search_issues },
    { "get_issue", TS_ISSUES, RO | PRJ, NULL, NULL, "Get an issue",
      "Returns one finding in full: description, CVSS and criticality, status, CVE/CWE, fix, "
      "technical details, references, custom fields, the hosts/ports/hostnames it affects and "
      "its PoC references (get_poc reads one).",
      p_issue_id,
      J({"type": "object", "required": ["issue"], "properties": {"issue": O_ISSUE}}),
      pcfmcp__th_get_issue },
    { "create_issue", TS_ISSUES, PRJ, "issues_write", NULL, "Create an issue",
      "Records a new finding, optionally tied to services and with a PoC, in one call. Give "
      "cvss or criticality. Each part is a separate PCF call; the result lists the steps and the "
      "ids created, so a partial failure (e.g. issue created, PoC refused) is explicit. "
      "Check list_issues first to avoid duplicates.",
      p_create_issue,
      O_OK("issue_id": T_STR, "poc_id": T_STR, "criticality": T_CRIT, O_STEPS),
      pcfmcp__th_create_issue },
    { "update_issue", TS_ISSUES, F_IDEMPOTENT | PRJ, "issues_write", NULL, "Update an issue",
      "Changes the given fields of a finding; the others keep their values (e.g. set status to "
      "Confirmed, adjust CVSS, add a fix). Custom fields merge: fields sets the named ones and "
      "keeps the rest, remove_fields deletes named ones. services replaces the affected "
      "services.",
      p_update_issue, O_OK("issue_id": T_UUID, "updated": T_STRS), pcfmcp__th_update_issue },
    { "delete_issue", TS_ISSUES, F_DESTRUCTIVE | F_IDEMPOTENT | PRJ, "issues_delete", "issue_id",
      "Delete an issue",
      "Deletes a finding with its PoCs. Permanent. Requires confirm = issue_id.", p_issue_id,
      O_OK("deleted": T_UUID), pcfmcp__th_delete_issue },
    { "list_issue_rules", TS_ISSUES, RO | F_NO_SCOPE, NULL, NULL, "List issue rules",
      "Lists the issue rules (PCF's search/replace automations for findings) available to you "
      "and your teams. Rules are created in PCF's web UI; apply_issue_rules runs them.",
      p_none,
      J({"type": "object", "required": ["rules"],
         "properties": {"rules": {"type": "array", "items": {"type": "object", "required": ["id", "name"],
             "properties": {"id": T_UUID, "name": T_STR, "team_id": T_STR, "team_name": T_STR,
                            "user_id": T_STR}}}}}),
      pcfmcp__th_list_issue_rules },
    { "apply_issue_rules", TS_ISSUES, PRJ, NULL, NULL, "Apply issue rules",
      "Runs issue rules over issues of a project (e.g. to normalise names or fill in fix "
      "texts). Returns how many issues changed.",
      p_apply_rules, O_OK("updated_issues": T_INT), pcfmcp__th_apply_issue_rules },

    /* ---------------------------------------------------------- PoCs */
    { "add_poc", TS_POCS, PRJ, "pocs", NULL, "Add a PoC",
      "Attaches a proof of concept (text, or a file such as a screenshot as base64) to a "
      "finding, optionally tied to one of its services. The first PoC becomes the main one.",
      p_add_poc, O_OK("poc_id": T_UUID, "issue_id": T_UUID), pcfmcp__th_add_poc },
    { "get_poc", TS_POCS, RO | PRJ, NULL, NULL, "Get a PoC",
      "Returns a PoC's metadata (file name, type, description, service, priority) and, with "
      "include_content and the web session, its content.",
      p_poc,
      J({"type": "object", "required": ["poc"], "properties": {"poc": {"type": "object",
          "required": ["id"], "properties": {"id": T_UUID, "filename": T_STR, "type": T_STR,
          "description": T_STR, "priority": T_NUM, "port_id": T_STR, "hostname_id": T_STR,
          "content_text": T_STR, "content_bytes": T_INT}}}}),
      pcfmcp__th_get_poc },
    { "delete_poc", TS_POCS, F_DESTRUCTIVE | F_IDEMPOTENT | PRJ, NULL, "poc_id", "Delete a PoC",
      "Deletes a PoC from a finding. Permanent. Requires confirm = poc_id.", p_delete_poc,
      O_OK("deleted": T_UUID), pcfmcp__th_delete_poc },

    /* ---------------------------------------------------------- teams and users */
    { "list_teams", TS_TEAMS, RO | F_NO_SCOPE, NULL, NULL, "List teams",
      "Lists your PCF teams and whether you administer each.", p_none,
      J({"type": "object", "required": ["teams"], "properties": {"teams": {"type": "array",
          "items": {"type": "object", "required": ["id", "name"], "properties": {"id": T_UUID,
          "name": T_STR, "description": T_STR, "is_admin": T_BOOL}}}}}),
      pcfmcp__th_list_teams },
    { "get_team", TS_TEAMS, RO | F_NO_SCOPE, NULL, NULL, "Get a team",
      "Returns a team with its members, its projects and its newest activity log entries. "
      "Under a project scope (tools.projects) only projects and log entries of in-scope "
      "projects are shown; logs_omitted counts the entries left out.",
      p_get_team,
      J({"type": "object", "required": ["team"], "properties": {"team": {"type": "object"},
          "members": {"type": "array", "items": {"type": "object"}},
          "projects": {"type": "array", "items": {"type": "object"}},
          "logs": {"type": "array", "items": {"type": "object"}},
          "logs_omitted": {"type": "integer", "minimum": 1},
          "logs_notice": T_STR}}),
      pcfmcp__th_get_team },
    { "whoami", TS_TEAMS, RO | F_NO_SCOPE, NULL, NULL, "Who am I",
      "Returns the PCF account this server acts as (name, company, teams). PCF's API puts the "
      "last name where the email should be, so the email is not reported.",
      p_none,
      J({"type": "object", "required": ["user"], "properties": {"user": {"type": "object",
          "required": ["id"], "properties": {"id": T_UUID, "fname": T_STR, "lname": T_STR,
          "company": T_STR, "teams": {"type": "array"}}}}}),
      pcfmcp__th_whoami },
    { "get_user", TS_TEAMS, RO | F_NO_SCOPE, NULL, NULL, "Get a user",
      "Returns a PCF user's name and company by UUID.", p_get_user,
      J({"type": "object", "required": ["user"], "properties": {"user": {"type": "object",
          "required": ["id"], "properties": {"id": T_UUID, "fname": T_STR, "lname": T_STR,
          "company": T_STR}}}}),
      pcfmcp__th_get_user },
    { "check_token", TS_TEAMS, RO | F_NO_SCOPE, NULL, NULL, "Check the PCF connection",
      "Checks that PCF is reachable and accepts this server's credentials, and how long the "
      "API token stays valid. Use it when other tools report connection or auth errors.",
      p_none,
      J({"type": "object", "required": ["ok"], "properties": {"ok": T_BOOL,
          "created": T_NUM, "duration_seconds": T_NUM, "seconds_left": T_NUM,
          "web_session": T_BOOL}}),
      pcfmcp__th_check_token },

    /* ---------------------------------------------------------- credentials */
    { "list_credentials", TS_CREDENTIALS, RO | PRJ | F_PAGED, "credentials", NULL,
      "List credentials",
      "Lists the credentials (logins, hashes, cleartext passwords) recorded in a project, with "
      "their source and services.",
      p_list_text,
      J({"type": "object", "required": ["project_id"],
         "properties": {"project_id": T_UUID, "credentials": {"type": "array", "items": O_CRED},
                        PAGE_PROPS}}),
      pcfmcp__th_list_credentials },
    { "add_credential", TS_CREDENTIALS, PRJ, "credentials", NULL, "Add a credential",
      "Records a credential found during the test (login plus hash and/or cleartext, source, "
      "services).",
      p_add_credential, O_OK("credential_id": T_UUID), pcfmcp__th_add_credential },
    { "update_credential", TS_CREDENTIALS, F_IDEMPOTENT | PRJ, "credentials", NULL,
      "Update a credential", "Changes the given fields of a credential.", p_update_credential,
      O_OK("credential_id": T_UUID, "updated": T_STRS), pcfmcp__th_update_credential },
    { "delete_credential", TS_CREDENTIALS, F_DESTRUCTIVE | F_IDEMPOTENT | PRJ, "credentials", "credential_id",
      "Delete a credential",
      "Deletes a credential. Permanent. Requires confirm = credential_id.", p_delete_credential,
      O_OK("deleted": T_UUID), pcfmcp__th_delete_credential },

    /* ---------------------------------------------------------- notes */
    { "list_notes", TS_NOTES, RO | PRJ | F_PAGED, "notes", NULL, "List notes",
      "Lists a project's notes (title, host, text as Markdown).", p_list_text,
      J({"type": "object", "required": ["project_id"],
         "properties": {"project_id": T_UUID, "notes": {"type": "array", "items": O_NOTE},
                        PAGE_PROPS}}),
      pcfmcp__th_list_notes },
    { "add_note", TS_NOTES, PRJ, "notes", NULL, "Add a note",
      "Adds a note to a project, optionally attached to a host.", p_add_note,
      O_OK("note_id": T_UUID), pcfmcp__th_add_note },
    { "edit_note", TS_NOTES, F_IDEMPOTENT | PRJ, "notes", NULL, "Edit a note",
      "Replaces a note's text and/or renames it. Use delete_note to remove it.", p_edit_note,
      O_OK("note_id": T_UUID, "updated": T_STRS), pcfmcp__th_edit_note },
    { "delete_note", TS_NOTES, F_DESTRUCTIVE | F_IDEMPOTENT | PRJ, "notes", "note_id", "Delete a note",
      "Deletes a note. Permanent. Requires confirm = note_id.", p_delete_note,
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
      "Returns PCF's JSON export of a whole project (issues, hosts, ports, hostnames, PoCs, "
      "notes, networks, credentials) in one call. Large: choose sections.",
      p_snapshot, J({"type": "object", "required": ["project_id"], "properties": {"project_id": T_UUID}}),
      pcfmcp__th_get_project_snapshot },
    { "generate_report", TS_REPORTS, F_IDEMPOTENT | F_RO_OK | PRJ, NULL, NULL, "Generate a report",
      "Renders a pentest report from live PCF data: Markdown, self-contained HTML, JSON or CSV, "
      "for the whole project or some hosts / criticalities, with summary tables by criticality, "
      "host and service and every finding with its targets, CVSS, description, fix and PoC "
      "references. Returned as an embedded resource; optionally also written under "
      "reports.output_dir. With template_id, PCF renders one of its stored templates instead "
      "(ask the user for the id: PCF cannot list templates through this server).",
      p_report,
      J({"type": "object", "required": ["format", "bytes"], "properties": {"format": T_STR,
          "bytes": T_INT, "sha256": T_STR, "uri": T_STR, "mime_type": T_STR, "issues": T_INT,
          "hosts": T_INT, "written_to": T_STR, "filename": T_STR,
          "by_criticality": O_COUNTS}}),
      pcfmcp__th_generate_report },
};

const size_t pcfmcp__tools_ndefs = PCFMCP_ARRAY_LEN(pcfmcp__tools_defs);
