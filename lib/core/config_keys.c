#include "core/internal.h"

#include "core/config_keys.h"

#define S PCFMCP_CONFIG_STRING
#define SECRET PCFMCP_CONFIG_SECRET
#define I PCFMCP_CONFIG_INT
#define B PCFMCP_CONFIG_BOOL
#define D PCFMCP_CONFIG_DOUBLE
#define E PCFMCP_CONFIG_ENUM
#define L PCFMCP_CONFIG_LIST
#define P PCFMCP_CONFIG_PATH
#define T PCFMCP_CONFIG_DURATION
#define MIB (1024LL * 1024LL)

/* Keep sections together; env names and flags derive from the key unless
 * given. Durations are stored in milliseconds. */
const pcfmcp__key_def pcfmcp__config_keys[] = {
    /* ---------------------------------------------------------- server */
    { "server.transport", E, "stdio", "transport", 0, 0, "stdio|http", 0, NULL,
      "How MCP clients connect: stdio (one client, launched by it) or http (Streamable HTTP)." },
    { "server.host", S, "127.0.0.1", NULL, 0, 0, NULL, 0, NULL,
      "Address the HTTP transport listens on. Non-loopback addresses require authentication." },
    { "server.port", I, "8080", NULL, 0, 65535, NULL, 0, NULL,
      "TCP port of the HTTP transport (0 picks a free port and logs it)." },
    { "server.path", S, "/mcp", NULL, 0, 0, NULL, 0, NULL, "Path of the MCP endpoint." },
    { "server.stateless", B, "false", "stateless", 0, 0, NULL, 0, NULL,
      "Serve HTTP without sessions, so any replica can answer any request." },

    /* ------------------------------------------------------------- pcf */
    { "pcf.url", S, "", NULL, 0, 0, NULL, 0, NULL,
      "Base URL of the PCF instance, e.g. https://pcf.example.com." },
    { "pcf.token", SECRET, "", NULL, 0, 0, NULL, PCFMCP__KEY_NOFLAG, NULL,
      "PCF API access token (from PCF's create_token). Prefer pcf.token_file." },
    { "pcf.token_file", P, "", NULL, 0, 0, NULL, PCFMCP__KEY_SECRET_FILE, "pcf.token",
      "File holding the PCF access token." },
    { "pcf.email", S, "", NULL, 0, 0, NULL, 0, NULL,
      "PCF login email: lets pcf-mcp create and renew tokens and use PCF's web session." },
    { "pcf.email_file", P, "", NULL, 0, 0, NULL, PCFMCP__KEY_SECRET_FILE, "pcf.email",
      "File holding the PCF login email." },
    { "pcf.password", SECRET, "", NULL, 0, 0, NULL, PCFMCP__KEY_NOFLAG, NULL,
      "PCF login password. Prefer pcf.password_file." },
    { "pcf.password_file", P, "", NULL, 0, 0, NULL, PCFMCP__KEY_SECRET_FILE, "pcf.password",
      "File holding the PCF login password." },
    { "pcf.token_duration", T, "24h", NULL, 1000, 0, NULL, 0, NULL,
      "Lifetime of tokens pcf-mcp creates from email and password." },
    { "pcf.ca_file", P, "", NULL, 0, 0, NULL, 0, NULL,
      "PEM file of CA certificates trusted for PCF's TLS certificate (default: system store)." },
    { "pcf.ca_dir", P, "", NULL, 0, 0, NULL, 0, NULL, "Directory of trusted CA certificates." },
    { "pcf.insecure", B, "false", NULL, 0, 0, NULL, 0, NULL,
      "Skip TLS certificate verification towards PCF. Dangerous; logged loudly." },
    { "pcf.client_cert", P, "", NULL, 0, 0, NULL, 0, NULL,
      "PEM client certificate presented to PCF (mutual TLS)." },
    { "pcf.client_key", P, "", NULL, 0, 0, NULL, 0, NULL, "PEM private key of pcf.client_cert." },
    { "pcf.basic_user", S, "", NULL, 0, 0, NULL, 0, NULL,
      "User of PCF's optional global HTTP Basic layer." },
    { "pcf.basic_password", SECRET, "", NULL, 0, 0, NULL, PCFMCP__KEY_NOFLAG, NULL,
      "Password of PCF's optional global HTTP Basic layer." },
    { "pcf.basic_password_file", P, "", NULL, 0, 0, NULL, PCFMCP__KEY_SECRET_FILE,
      "pcf.basic_password", "File holding pcf.basic_password." },
    { "pcf.connect_timeout", T, "5s", NULL, 100, 600000, NULL, 0, NULL,
      "Time allowed to connect to PCF (TCP and TLS)." },
    { "pcf.request_timeout", T, "30s", NULL, 100, 3600000, NULL, 0, NULL,
      "Time allowed for one HTTP exchange with PCF." },
    { "pcf.total_timeout", T, "60s", NULL, 100, 3600000, NULL, 0, NULL,
      "Time allowed for one PCF operation including retries." },
    { "pcf.max_body_bytes", I, "33554432", NULL, 1024, 1024 * MIB, NULL, 0, NULL,
      "Largest PCF response accepted, in bytes." },
    { "pcf.retries", I, "3", NULL, 0, 10, NULL, 0, NULL,
      "Retries of a PCF call where a retry is safe (never for writes of unknown fate)." },
    { "pcf.allow_api_issue_writes", B, "false", NULL, 0, 0, NULL, 0, NULL,
      "Use API v1 issues/create and issues/edit. Off: on PCF 6c83154 they hang the server." },
    { "pcf.channels", L, "", NULL, 0, 0, NULL, 0, NULL,
      "Channel per PCF capability, e.g. issues_write=ui,issues_delete=api,pocs=api (ui = web session)." },

    /* ------------------------------------------------------------ auth */
    { "auth.api_keys_file", P, "", NULL, 0, 0, NULL, PCFMCP__KEY_RELOAD, NULL,
      "File of HTTP API keys, one `name sha256:<hex>` per line (see `pcf-mcp keys hash`)." },
    { "auth.oauth_issuer", S, "", NULL, 0, 0, NULL, 0, NULL,
      "Issuer (iss) of the OAuth 2.1 access tokens accepted over HTTP; empty turns OAuth off." },
    { "auth.oauth_audience", S, "", NULL, 0, 0, NULL, 0, NULL,
      "This server's canonical URL, e.g. https://mcp.example.com/mcp; tokens must name it in aud." },
    { "auth.oauth_jwks_url", S, "", NULL, 0, 0, NULL, 0, NULL,
      "HTTPS URL of the authorization server's token signing keys (JWKS)." },
    { "auth.oauth_jwks_ca_file", P, "", NULL, 0, 0, NULL, 0, NULL,
      "PEM file of CA certificates trusted for auth.oauth_jwks_url (default: system store)." },
    { "auth.oauth_jwks_cache_ttl", T, "5m", NULL, 0, 86400000, NULL, 0, NULL,
      "How long fetched signing keys are used before they are fetched again." },
    { "auth.oauth_scopes", L, "", NULL, 0, 0, NULL, 0, NULL,
      "Scopes every access token must carry; tokens without them get 403 insufficient_scope." },
    { "auth.clock_skew", T, "60s", NULL, 0, 600000, NULL, 0, NULL,
      "Clock difference tolerated when checking a token's exp, nbf and iat." },
    { "auth.identities_file", P, "", NULL, 0, 0, NULL, PCFMCP__KEY_RELOAD, NULL,
      "YAML file (mode 0600) giving callers their own PCF credentials, keyed by identity." },
    { "auth.require_identity_mapping", B, "false", NULL, 0, 0, NULL, 0, NULL,
      "Refuse callers missing from auth.identities_file instead of using pcf.* credentials." },
    { "auth.insecure_no_auth", B, "false", "insecure-no-auth", 0, 0, NULL, 0, NULL,
      "Allow HTTP on a non-loopback address without any authentication. Dangerous." },

    /* ----------------------------------------------------------- tools */
    { "tools.read_only", B, "false", "read-only", 0, 0, NULL, 0, NULL,
      "Offer only tools that change nothing in PCF (reports stay, without writing files)." },
    { "tools.toolsets", L, "all", NULL, 0, 0, NULL, 0, NULL,
      "Tool groups to offer: all, or any of projects,hosts,ports,issues,pocs,networks,teams,reports,credentials,notes,scans." },
    { "tools.allow", L, "", NULL, 0, 0, NULL, 0, NULL,
      "Offer only these tools (names as in `pcf-mcp tools`); unknown names stop the server." },
    { "tools.deny", L, "", NULL, 0, 0, NULL, 0, NULL,
      "Never offer these tools; unknown names stop the server." },
    { "tools.enable_destructive", B, "false", NULL, 0, 0, NULL, 0, NULL,
      "Offer the delete_* tools; each then needs a confirm argument repeating the target id." },
    { "tools.projects", L, "", NULL, 0, 0, NULL, 0, NULL,
      "Limit the assistant to these projects (names or UUIDs); others are hidden and refused." },
    { "tools.default_project", S, "", NULL, 0, 0, NULL, 0, NULL,
      "Project (name or UUID) used when a tool call names none." },
    { "tools.max_response_bytes", I, "65536", NULL, 1024, 64 * MIB, NULL, 0, NULL,
      "Largest structured result of one tool call; lists stop early with a cursor." },
    { "tools.max_field_chars", I, "4000", NULL, 64, 1000000, NULL, 0, NULL,
      "Longest text field taken from PCF (banners, descriptions, PoC text) shown to the model." },
    { "tools.validate_output", B, "false", NULL, 0, 0, NULL, 0, NULL,
      "Check every structured tool result against its outputSchema; a mismatch becomes a tool error (tests)." },
    { "reports.output_dir", P, "", NULL, 0, 0, NULL, 0, NULL,
      "Directory generate_report may write into (empty: reports are only returned, never written)." },

    /* ------------------------------------------------------------- log */
    { "log.level", E, "info", NULL, 0, 0, "debug|info|warn|error", PCFMCP__KEY_RELOAD, NULL,
      "Least severe log level written to stderr." },
    { "log.format", E, "json", NULL, 0, 0, "json|text", 0, NULL,
      "Log line format: JSON lines or text." },

    /* ------------------------------------------------------------- mcp */
    { "mcp.page_size", I, "100", NULL, 1, 1000, NULL, 0, NULL,
      "Items per page of tools/list, resources/list and prompts/list." },
    { "mcp.max_json_depth", I, "64", NULL, 4, 1000, NULL, 0, NULL,
      "Deepest JSON nesting accepted in a message." },
    { "mcp.workers", I, "8", NULL, 1, 1024, NULL, 0, NULL,
      "Threads running tool calls, resource reads and prompts." },
    { "mcp.queue", I, "256", NULL, 1, 1000000, NULL, 0, NULL,
      "Requests waiting for a worker before new ones are refused as busy." },
    { "mcp.client_request_timeout", T, "60s", NULL, 100, 3600000, NULL, 0, NULL,
      "How long a tool waits for the client to answer sampling or elicitation." },
    { "stdio.max_line_bytes", I, "16777216", NULL, 1024, 1024 * MIB, NULL, 0, NULL,
      "Longest stdio message accepted, in bytes." },
};

const size_t pcfmcp__config_key_total = PCFMCP_ARRAY_LEN(pcfmcp__config_keys);
