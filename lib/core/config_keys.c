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
    { "server.public_url", S, "", NULL, 0, 0, NULL, 0, NULL,
      "External URL of the MCP endpoint (behind a proxy), used in OAuth resource metadata." },
    { "server.allowed_origins", L, "", NULL, 0, 0, NULL, 0, NULL,
      "Browser origins allowed to call the endpoint (host:* = any port). Empty: loopback origins on a loopback address, else same origin only." },
    { "server.allowed_hosts", L, "", NULL, 0, 0, NULL, 0, NULL,
      "Accepted Host header values (DNS-rebinding guard). Empty: localhost names on a loopback address, else any." },
    { "server.tls_cert", P, "", NULL, 0, 0, NULL, PCFMCP__KEY_RELOAD, NULL,
      "PEM certificate chain for HTTPS (TLS 1.2+). Re-read on SIGHUP without dropping connections." },
    { "server.tls_key", P, "", NULL, 0, 0, NULL, PCFMCP__KEY_RELOAD, NULL,
      "PEM private key of server.tls_cert." },
    { "server.tls_client_ca", P, "", NULL, 0, 0, NULL, PCFMCP__KEY_RELOAD, NULL,
      "PEM CA bundle: require client certificates it signed (mutual TLS); the subject names the caller." },
    { "server.tls_priorities", S, "", NULL, 0, 0, NULL, 0, NULL,
      "GnuTLS priority string replacing the default (TLS 1.2/1.3, AEAD ciphers, server order)." },
    { "server.max_body_bytes", I, "4194304", NULL, 1024, 1024 * MIB, NULL, 0, NULL,
      "Largest HTTP request body accepted; larger ones get 413." },
    { "server.max_header_bytes", I, "32768", NULL, 8192, 64 * MIB, NULL, 0, NULL,
      "Memory per HTTP connection for the request line and headers." },
    { "server.max_connections", I, "1024", NULL, 1, 1000000, NULL, 0, NULL,
      "Concurrent HTTP connections." },
    { "server.max_connections_per_ip", I, "0", NULL, 0, 1000000, NULL, 0, NULL,
      "Concurrent HTTP connections from one client address (0 = no limit)." },
    { "server.connection_timeout", T, "60s", NULL, 1000, 3600000, NULL, 0, NULL,
      "Idle time before an HTTP connection is closed (slow clients included)." },
    { "server.threads", I, "2", NULL, 1, 256, NULL, 0, NULL,
      "HTTP threads (epoll); tool calls run on mcp.workers, not here." },
    { "server.max_sessions", I, "1000", NULL, 1, 10000000, NULL, 0, NULL,
      "Live MCP sessions; beyond, initialize gets 503." },
    { "server.session_idle_timeout", T, "30m", NULL, 1000, 604800000, NULL, 0, NULL,
      "Idle time after which a session expires (the client gets 404 and re-initializes)." },
    { "server.sse_keepalive", T, "15s", NULL, 1000, 3600000, NULL, 0, NULL,
      "Interval of SSE comment lines on quiet streams; keep below proxy and connection timeouts." },
    { "server.sse_buffer_events", I, "64", NULL, 1, 100000, NULL, 0, NULL,
      "SSE events kept per stream for Last-Event-ID replay." },
    { "server.streams_per_session", I, "32", NULL, 1, 10000, NULL, 0, NULL,
      "SSE streams kept per session for Last-Event-ID replay." },
    { "server.shutdown_grace", T, "10s", NULL, 0, 3600000, NULL, 0, NULL,
      "On stop, time running requests get to finish before they are cancelled." },
    { "server.gzip_min_bytes", I, "2048", NULL, 0, 1024 * MIB, NULL, 0, NULL,
      "Smallest JSON or metrics response gzip-compressed for clients that accept it (0 = never)." },
    { "server.metrics_host", S, "", NULL, 0, 0, NULL, 0, NULL,
      "Serve /healthz, /readyz and /metrics on this address instead of the MCP listener." },
    { "server.metrics_port", I, "9090", NULL, 0, 65535, NULL, 0, NULL,
      "Port of the separate health and metrics listener (with server.metrics_host)." },
    { "auth.insecure_no_auth", B, "false", "insecure-no-auth", 0, 0, NULL, 0, NULL,
      "Allow HTTP on a non-loopback address without authentication. Anyone who can connect can act." },

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
};

const size_t pcfmcp__config_key_total = PCFMCP_ARRAY_LEN(pcfmcp__config_keys);
