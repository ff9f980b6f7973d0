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
    { "server.shutdown_grace", T, "10s", NULL, 0, 600000, NULL, PCFMCP__KEY_RELOAD, NULL,
      "On SIGTERM/SIGINT: how long requests in flight may still run before they are cancelled." },

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

    /* --------------------------------------------------------------- tools */
    { "tools.timeout", T, "2m", NULL, 0, 3600000, NULL, PCFMCP__KEY_RELOAD, NULL,
      "Longest a tool call may run; past it the call is cancelled and answered with a tool error (0 = no limit)." },

    /* --------------------------------------------------------------- audit */
    { "audit.enabled", B, "true", NULL, 0, 0, NULL, PCFMCP__KEY_RELOAD, NULL,
      "Write an audit record for every tool call and every refused request." },
    { "audit.file", P, "", NULL, 0, 0, NULL, PCFMCP__KEY_RELOAD, NULL,
      "Append audit records (JSON lines) to this file, reopened on SIGHUP for log rotation; empty = stderr." },
    { "audit.fsync", B, "false", NULL, 0, 0, NULL, PCFMCP__KEY_RELOAD, NULL,
      "fsync() the audit file after every record (durable, slower)." },
    { "audit.args", E, "hash", NULL, 0, 0, "hash|redacted|none", PCFMCP__KEY_RELOAD, NULL,
      "How tool arguments appear in audit records: SHA-256 of their canonical JSON, plus a redacted copy, or not at all." },

    /* ------------------------------------------------------------- metrics */
    { "metrics.enabled", B, "true", NULL, 0, 0, NULL, 0, NULL,
      "Collect Prometheus metrics (served by the HTTP transport at metrics.path)." },
    { "metrics.path", S, "/metrics", NULL, 0, 0, NULL, 0, NULL,
      "HTTP path of the Prometheus metrics endpoint." },

    /* ---------------------------------------------------------- rate_limit */
    { "rate_limit.requests_per_second", D, "10", NULL, 0, 1000000, NULL, PCFMCP__KEY_RELOAD, NULL,
      "Sustained requests per second per caller (API key, token subject or client address); 0 = no limit." },
    { "rate_limit.burst", I, "20", NULL, 1, 1000000, NULL, PCFMCP__KEY_RELOAD, NULL,
      "Requests a caller may make at once before the per-second rate applies." },
    { "rate_limit.global_requests_per_second", D, "0", NULL, 0, 1000000, NULL, PCFMCP__KEY_RELOAD,
      NULL, "Sustained requests per second for all callers together; 0 = no limit." },
    { "rate_limit.global_burst", I, "100", NULL, 1, 1000000, NULL, PCFMCP__KEY_RELOAD, NULL,
      "Burst of the limit shared by all callers." },
    { "rate_limit.write_requests_per_second", D, "2", NULL, 0, 1000000, NULL, PCFMCP__KEY_RELOAD,
      NULL, "Sustained calls per second per caller of tools that change data (readOnlyHint false); 0 = no limit." },
    { "rate_limit.write_burst", I, "5", NULL, 1, 1000000, NULL, PCFMCP__KEY_RELOAD, NULL,
      "Burst of the per-caller limit on tools that change data." },
    { "rate_limit.max_identities", I, "10000", NULL, 16, 10000000, NULL, PCFMCP__KEY_RELOAD, NULL,
      "Callers tracked at once; beyond it the least recently seen is forgotten." },
    { "rate_limit.pcf_concurrency", I, "8", NULL, 0, 10000, NULL, PCFMCP__KEY_RELOAD, NULL,
      "Requests open at PCF at once, across all callers, to protect it; 0 = no cap." },
    { "rate_limit.trusted_proxies", L, "", NULL, 0, 0, NULL, PCFMCP__KEY_RELOAD, NULL,
      "Proxy addresses or networks (10.0.0.0/8) whose X-Forwarded-For header is believed." },

    /* ------------------------------------------------------------- tracing */
    { "tracing.enabled", B, "false", NULL, 0, 0, NULL, 0, NULL,
      "Export OpenTelemetry spans (MCP request, tool, PCF call) over OTLP/HTTP." },
    { "tracing.endpoint", S, "", NULL, 0, 0, NULL, 0, NULL,
      "OTLP/HTTP collector base URL (http://otel-collector:4318) or full /v1/traces URL." },
    { "tracing.sample_ratio", D, "0.01", NULL, 0, 0, NULL, 0, NULL,
      "Fraction of new traces sampled; traces continued from a client follow its decision.",
      0.001, 1.0 },
    { "tracing.service_name", S, "pcf-mcp", NULL, 0, 0, NULL, 0, NULL,
      "service.name of the exported spans." },
    { "tracing.timeout", T, "10s", NULL, 100, 600000, NULL, 0, NULL,
      "Time allowed for one span export request, and for flushing spans at shutdown." },
    { "tracing.queue_size", I, "2048", NULL, 1, 1000000, NULL, 0, NULL,
      "Spans waiting for export; when full, new spans are dropped and counted." },
    { "tracing.batch_size", I, "512", NULL, 1, 100000, NULL, 0, NULL,
      "Most spans sent in one export request." },
    { "tracing.interval", T, "5s", NULL, 100, 600000, NULL, 0, NULL,
      "Longest a finished span waits before it is exported." },

    /* --------------------------------------------------------------- cache */
    { "cache.enabled", B, "false", NULL, 0, 0, NULL, PCFMCP__KEY_RELOAD, NULL,
      "Cache PCF read results briefly, per PCF identity; writes drop the project's cached reads." },
    { "cache.ttl", T, "30s", NULL, 100, 3600000, NULL, PCFMCP__KEY_RELOAD, NULL,
      "How long a cached PCF read stays valid." },
    { "cache.max_entries", I, "1000", NULL, 1, 10000000, NULL, PCFMCP__KEY_RELOAD, NULL,
      "Most cached PCF reads." },
    { "cache.max_bytes", I, "67108864", NULL, 1024, 16384 * MIB, NULL, PCFMCP__KEY_RELOAD, NULL,
      "Most memory the cache may use, in bytes." },
};

const size_t pcfmcp__config_key_total = PCFMCP_ARRAY_LEN(pcfmcp__config_keys);
