/**
 * @file http.h
 * @brief The Streamable HTTP transport (MCP 2025-03-26 .. 2025-11-25 with
 *        sessions, and the stateless 2026-07-28 revision on the same endpoint).
 *
 * One HTTP endpoint (default `/mcp`) takes POSTed JSON-RPC messages and
 * answers each request with `application/json` when its response is the only
 * message, or with a `text/event-stream` (SSE) when progress, log messages or
 * server-to-client requests come first. GET opens a session's standalone
 * notification stream and DELETE ends a session (2025 revisions only).
 *
 * Built on libmicrohttpd with a pool of epoll threads. Requests the engine
 * runs on its worker threads never block those threads: the connection is
 * suspended until the engine emits, so a slow tool costs no HTTP thread.
 *
 * Besides the MCP endpoint the transport serves `/healthz`, `/readyz`,
 * `/metrics` (optionally on a listener of their own; `/metrics` needs the
 * MCP endpoint's credentials where it would otherwise be open beyond
 * loopback, see pcfmcp_http_set_metrics_auth()) and, with an
 * authenticator, the OAuth protected resource metadata under
 * `/.well-known/oauth-protected-resource`.
 *
 * Thread safety: configure, start, run and free from one thread.
 * pcfmcp_http_stop() may be called from any thread or a signal handler;
 * pcfmcp_http_reload_tls(), pcfmcp_http_port(), pcfmcp_http_read_timeouts(),
 * pcfmcp_http_unanswered() and pcfmcp_http_tls_not_after() from any thread
 * once started. Callbacks run on the transport's HTTP threads, possibly
 * several at once.
 */
#ifndef PCFMCP_HTTP_H
#define PCFMCP_HTTP_H

#include <pcfmcp/common.h>
#include <pcfmcp/engine.h>
#include <pcfmcp/log.h>

PCFMCP_BEGIN_DECLS

/** A Streamable HTTP transport bound to one engine. Opaque. */
typedef struct pcfmcp_http pcfmcp_http_t;

/** A text sink handed to a metrics callback. Opaque; valid during the callback. */
typedef struct pcfmcp_http_text pcfmcp_http_text_t;

/** Limits and intervals set with pcfmcp_http_set_limit(). */
typedef enum {
    PCFMCP_HTTP_LIMIT_BODY_BYTES = 0,       /**< largest POST body (default 4 MiB); more is 413 */
    PCFMCP_HTTP_LIMIT_HEADER_BYTES = 1,     /**< per-connection memory for headers (default 32 KiB) */
    PCFMCP_HTTP_LIMIT_CONNECTIONS = 2,      /**< concurrent MCP connections (default 1024); 4 more are kept for /healthz, /readyz and /metrics when they share the listener */
    PCFMCP_HTTP_LIMIT_CONNECTIONS_PER_IP = 3, /**< concurrent connections from one TCP peer address (default 256; 0 = no limit) */
    PCFMCP_HTTP_LIMIT_CONNECTION_TIMEOUT_MS = 4, /**< idle time before a connection is closed (default 60000) */
    PCFMCP_HTTP_LIMIT_THREADS = 5,          /**< HTTP threads (default 2) */
    PCFMCP_HTTP_LIMIT_SESSIONS = 6,         /**< live sessions (default 1000); beyond, initialize gets 503 */
    PCFMCP_HTTP_LIMIT_SESSION_IDLE_MS = 7,  /**< idle time before a session expires (default 1800000) */
    PCFMCP_HTTP_LIMIT_SSE_KEEPALIVE_MS = 8, /**< SSE comment-line interval on quiet streams (default 15000) */
    PCFMCP_HTTP_LIMIT_SSE_BUFFER_EVENTS = 9, /**< events kept per stream for Last-Event-ID replay (default 64) */
    PCFMCP_HTTP_LIMIT_STREAMS_PER_SESSION = 10, /**< SSE streams kept per session for replay (default 32) */
    PCFMCP_HTTP_LIMIT_GRACE_MS = 11,        /**< drain period after pcfmcp_http_stop() (default 10000) */
    PCFMCP_HTTP_LIMIT_GZIP_MIN_BYTES = 12,  /**< smallest JSON or metrics body gzip-compressed (default 2048; 0 = never) */
    /** time from a connection's start until its first request's headers and
     *  body are complete (default 30000, at least 1000). Unlike the idle
     *  timeout it is not reset by each byte, so a slow drip (slowloris) is
     *  cut. On a kept-alive connection the next request gets this plus the
     *  idle timeout from the end of the previous response. Requests being
     *  handled and SSE streams being sent are exempt. Enforced by
     *  pcfmcp_http_run(). */
    PCFMCP_HTTP_LIMIT_REQUEST_READ_TIMEOUT_MS = 13,
    /** live sessions one caller may hold (default 100; 0 = only the global
     *  #PCFMCP_HTTP_LIMIT_SESSIONS): the authenticated identity, else the
     *  client address. Beyond, its initialize gets 503 while others still
     *  get sessions. */
    PCFMCP_HTTP_LIMIT_SESSIONS_PER_CALLER = 14

} pcfmcp_http_limit_t;

/** An authenticator's verdict on one request's credentials. */
typedef enum {
    PCFMCP_HTTP_AUTH_ALLOW = 0,              /**< authenticated; the identity buffer names the caller */
    PCFMCP_HTTP_AUTH_MISSING = 1,            /**< no credentials: 401 */
    PCFMCP_HTTP_AUTH_INVALID = 2,            /**< bad credentials: 401 */
    PCFMCP_HTTP_AUTH_EXPIRED = 3,            /**< expired credentials: 401 */
    PCFMCP_HTTP_AUTH_INSUFFICIENT_SCOPE = 4, /**< valid but not allowed: 403 */
    PCFMCP_HTTP_AUTH_UNAVAILABLE = 5         /**< cannot decide now (key server down): 503 */
} pcfmcp_http_auth_verdict_t;

/**
 * Checks one MCP request's credentials.
 *
 * @param authorization the `Authorization` header, or NULL
 * @param client_cert_subject the verified TLS client certificate's subject DN, or NULL
 * @param identity  where to write the caller's name (NUL-terminated) on ALLOW
 * @param identity_size size of @p identity in bytes
 * @param resource_metadata_url the URL of this server's protected resource metadata
 * @param[out] www_authenticate on a 401/403 verdict, the `WWW-Authenticate`
 *             value, allocated with malloc() (the transport frees it); may stay NULL
 * @param userdata as given to pcfmcp_http_set_auth()
 */
typedef pcfmcp_http_auth_verdict_t (*pcfmcp_http_auth_cb)(const char *authorization,
                                                          const char *client_cert_subject,
                                                          char *identity, size_t identity_size,
                                                          const char *resource_metadata_url,
                                                          char **www_authenticate,
                                                          void *userdata);

/**
 * Produces the RFC 9728 protected resource metadata document for
 * @p resource_url, allocated with malloc() into @p out_json.
 * @return PCFMCP_OK, or any error (the transport answers 404).
 */
typedef pcfmcp_error_t (*pcfmcp_http_metadata_cb)(const char *resource_url, char **out_json,
                                                  void *userdata);

/**
 * Says whether the service is ready. Append one line per reason it is not
 * with pcfmcp_http_text_append() (e.g. "pcf: unreachable").
 * @return 1 ready, 0 not ready.
 */
typedef int (*pcfmcp_http_readiness_cb)(pcfmcp_http_text_t *reasons, void *userdata);

/** Writes the Prometheus text exposition with pcfmcp_http_text_append(). */
typedef void (*pcfmcp_http_metrics_cb)(pcfmcp_http_text_t *out, void *userdata);

/** What a pcfmcp_http_admission_cb decides. */
typedef enum {
    PCFMCP_HTTP_ADMIT = 0,              /**< let the request through */
    PCFMCP_HTTP_ADMIT_RATE_LIMITED = 1, /**< 429 Too Many Requests */
    PCFMCP_HTTP_ADMIT_SHUTTING_DOWN = 2 /**< 503: the server is draining */
} pcfmcp_http_admission_t;

/**
 * Decides whether to admit one MCP request before it reaches the engine
 * (rate limiting, draining). @p identity may be NULL; @p client_address is
 * numeric.
 * @return a pcfmcp_http_admission_t: PCFMCP_HTTP_ADMIT to admit; otherwise
 *         the request gets 429 (PCFMCP_HTTP_ADMIT_RATE_LIMITED, and any other
 *         value) or 503 (PCFMCP_HTTP_ADMIT_SHUTTING_DOWN), with `Retry-After`
 *         set to *@p retry_after_s (seconds, default 1).
 */
typedef int (*pcfmcp_http_admission_cb)(const char *identity, const char *client_address,
                                        unsigned *retry_after_s, void *userdata);

/**
 * What a pcfmcp_http_observer_cb gets as the status of a request that ended
 * without an answer. Not HTTP statuses (those start at 100).
 */
typedef enum {
    PCFMCP_HTTP_STATUS_ABORTED = 0, /**< the client went away, or the server stopped, first */
    PCFMCP_HTTP_STATUS_TIMEOUT = 1  /**< not read in time (#PCFMCP_HTTP_LIMIT_REQUEST_READ_TIMEOUT_MS or the idle timeout) */
} pcfmcp_http_unanswered_t;

/**
 * Observes every finished HTTP request (metrics).
 * @param method the JSON-RPC method, or the HTTP route ("GET /healthz", "DELETE")
 * @param status the HTTP status sent, or a pcfmcp_http_unanswered_t when
 *               none was
 * @param seconds time from the request's arrival to its last byte
 * @param active_connections connections open right now
 * @param userdata as given to pcfmcp_http_set_observer_cb()
 */
typedef void (*pcfmcp_http_observer_cb)(const char *method, unsigned status, double seconds,
                                        unsigned active_connections, void *userdata);

/**
 * Observes every request refused before it reaches the engine by
 * authentication (401, 403, 503) or admission (429, 503), e.g. to audit it.
 * Runs on the connection's thread, before the answer is sent.
 * @param status         the HTTP status sent
 * @param reason         why, in a few words ("authentication required",
 *                       "rate limit exceeded", ...)
 * @param identity       the authenticated caller, or NULL before authentication
 * @param client_address the caller's address (as admission sees it), numeric
 * @param method         the HTTP method
 * @param userdata       as given to pcfmcp_http_set_refusal_cb()
 */
typedef void (*pcfmcp_http_refusal_cb)(unsigned status, const char *reason,
                                       const char *identity, const char *client_address,
                                       const char *method, void *userdata);

/**
 * Picks the client address admission sees, e.g. from X-Forwarded-For when
 * the TCP peer is a trusted proxy (see pcfmcp_proxies_client_address()).
 * @param peer          the TCP peer, numeric
 * @param forwarded_for the X-Forwarded-For header, or NULL
 * @param out           receives the address, NUL-terminated
 * @param out_size      size of @p out (at least 46)
 * @param userdata      as given to pcfmcp_http_set_client_address_cb()
 * @return 0 when @p out was written; anything else keeps @p peer.
 */
typedef int (*pcfmcp_http_client_address_cb)(const char *peer, const char *forwarded_for,
                                             char *out, size_t out_size, void *userdata);

/** Appends @p len bytes of @p text to a sink handed to a callback. */
PCFMCP_API pcfmcp_error_t pcfmcp_http_text_append(pcfmcp_http_text_t *sink, const char *text,
                                                  size_t len);

/** Creates a transport for @p engine, which must outlive it. Nothing listens yet. */
PCFMCP_API pcfmcp_error_t pcfmcp_http_new(pcfmcp_http_t **out, pcfmcp_engine_t *engine);

/** Stops (if needed) and frees @p http. NULL does nothing. */
PCFMCP_API void pcfmcp_http_free(pcfmcp_http_t *http);

/** Why this thread's last failed call on @p http failed.
 *  Never NULL; "no error" when this thread's last failure was not on it. Valid until
 *  this thread's next failed call (see "Error detail" in common.h). */
PCFMCP_API const char *pcfmcp_http_errmsg(const pcfmcp_http_t *http);

/** Logs through @p logger (a reference is taken). */
PCFMCP_API pcfmcp_error_t pcfmcp_http_set_logger(pcfmcp_http_t *http, pcfmcp_logger_t *logger);

/**
 * Address and TCP port to listen on (default 127.0.0.1:8080). @p host is a
 * numeric IPv4/IPv6 address or a name resolved once at start; port 0 picks a
 * free port (see pcfmcp_http_port()).
 */
PCFMCP_API pcfmcp_error_t pcfmcp_http_set_listen(pcfmcp_http_t *http, const char *host,
                                                 unsigned port);

/** Path of the MCP endpoint (default "/mcp"). Must start with '/'. */
PCFMCP_API pcfmcp_error_t pcfmcp_http_set_path(pcfmcp_http_t *http, const char *path);

/**
 * Serves without sessions (@p on = 1): every request is handled on a fresh
 * stateless engine session, so any replica can answer it; GET and DELETE
 * get 405.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_http_set_stateless(pcfmcp_http_t *http, int on);

/** Sets one limit (see #pcfmcp_http_limit_t). */
PCFMCP_API pcfmcp_error_t pcfmcp_http_set_limit(pcfmcp_http_t *http, pcfmcp_http_limit_t limit,
                                                unsigned long long value);

/**
 * Browser origins allowed to call the endpoint, comma-separated
 * (`https://app.example.com,http://localhost:*`; a `:*` suffix allows any
 * port). Empty or NULL (the default): on a loopback address only
 * http(s)://localhost, 127.0.0.1 and [::1] on any port; elsewhere only the
 * server's own origin. A request whose `Origin` is not allowed gets 403.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_http_set_allowed_origins(pcfmcp_http_t *http,
                                                          const char *origins);

/**
 * Host header values accepted, comma-separated, `name` or `name:port`
 * (DNS-rebinding protection). Empty or NULL (the default): on a loopback
 * address localhost, 127.0.0.1 and [::1]; elsewhere any host.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_http_set_allowed_hosts(pcfmcp_http_t *http, const char *hosts);

/**
 * Authenticates every MCP request with @p cb and serves protected resource
 * metadata from @p metadata (may be NULL). @p userdata is borrowed.
 * @p public_url is the externally visible URL of the MCP endpoint used in the
 * metadata (NULL: derived from the request's Host header).
 */
PCFMCP_API pcfmcp_error_t pcfmcp_http_set_auth(pcfmcp_http_t *http, pcfmcp_http_auth_cb cb,
                                               pcfmcp_http_metadata_cb metadata,
                                               const char *public_url, void *userdata);

/**
 * Allows listening on a non-loopback address without an authenticator (or a
 * TLS client CA). Off by default: pcfmcp_http_start() refuses.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_http_set_insecure_no_auth(pcfmcp_http_t *http, int on);

/**
 * Serves HTTPS with the PEM certificate chain @p cert_file and key
 * @p key_file (TLS 1.2 and 1.3 only). With @p client_ca_file (may be NULL)
 * every client must present a certificate signed by one of its CAs; its
 * subject becomes the caller's identity when no authenticator names one.
 * The files are read at pcfmcp_http_start() and again by
 * pcfmcp_http_reload_tls().
 */
PCFMCP_API pcfmcp_error_t pcfmcp_http_set_tls(pcfmcp_http_t *http, const char *cert_file,
                                              const char *key_file, const char *client_ca_file);

/** Replaces the GnuTLS priority string (default: TLS 1.2+, strong ciphers, server order). */
PCFMCP_API pcfmcp_error_t pcfmcp_http_set_tls_priorities(pcfmcp_http_t *http,
                                                         const char *priorities);

/**
 * Re-reads the certificate, key and client CA files. New handshakes use the
 * new certificate; open connections are not disturbed. On failure the old
 * certificate stays in use and pcfmcp_http_errmsg() says why.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_http_reload_tls(pcfmcp_http_t *http);

/** The serving certificate's notAfter as Unix seconds, or 0 without TLS. */
PCFMCP_API long long pcfmcp_http_tls_not_after(const pcfmcp_http_t *http);

/**
 * How many connections were closed because a request was not complete within
 * #PCFMCP_HTTP_LIMIT_REQUEST_READ_TIMEOUT_MS, since pcfmcp_http_new().
 * Callable from any thread; 0 for NULL.
 */
PCFMCP_API unsigned long long pcfmcp_http_read_timeouts(const pcfmcp_http_t *http);

/**
 * How many connections libmicrohttpd closed without an answer since
 * pcfmcp_http_new() because the request's header filled the connection's
 * memory (#PCFMCP_HTTP_LIMIT_HEADER_BYTES) so nearly that the answer's
 * header no longer fitted. A header that does not fit at all is answered
 * with 431 and not counted here. Each is also logged at warning level.
 * Callable from any thread; 0 for NULL.
 */
PCFMCP_API unsigned long long pcfmcp_http_unanswered(const pcfmcp_http_t *http);

/** Installs the `/readyz` check (may be NULL: ready unless draining). */
PCFMCP_API pcfmcp_error_t pcfmcp_http_set_readiness_cb(pcfmcp_http_t *http,
                                                       pcfmcp_http_readiness_cb cb,
                                                       void *userdata);

/** Installs the `/metrics` producer (NULL: `/metrics` answers 404). */
PCFMCP_API pcfmcp_error_t pcfmcp_http_set_metrics_cb(pcfmcp_http_t *http,
                                                     pcfmcp_http_metrics_cb cb, void *userdata);

/** Who may read `/metrics` (it names identities and tools). */
typedef enum {
    /** Authenticated like the MCP endpoint when an authenticator (or a TLS
     *  client CA) is configured and `/metrics` is served on the MCP listener
     *  bound beyond loopback; open otherwise, in particular on a separate
     *  listener (pcfmcp_http_set_ops_listen()) the operator isolates. */
    PCFMCP_HTTP_METRICS_AUTH_AUTO = 0,
    /** Always authenticated like the MCP endpoint (on either listener). */
    PCFMCP_HTTP_METRICS_AUTH_ALWAYS = 1,
    /** Never authenticated. */
    PCFMCP_HTTP_METRICS_AUTH_NEVER = 2
} pcfmcp_http_metrics_auth_t;

/** Chooses who may read `/metrics` (default #PCFMCP_HTTP_METRICS_AUTH_AUTO). */
PCFMCP_API pcfmcp_error_t pcfmcp_http_set_metrics_auth(pcfmcp_http_t *http,
                                                       pcfmcp_http_metrics_auth_t mode);

/** Installs the admission check run before each MCP request reaches the engine. */
PCFMCP_API pcfmcp_error_t pcfmcp_http_set_admission_cb(pcfmcp_http_t *http,
                                                       pcfmcp_http_admission_cb cb,
                                                       void *userdata);

/** Installs the client-address picker run before admission (NULL: the TCP peer). */
PCFMCP_API pcfmcp_error_t pcfmcp_http_set_client_address_cb(pcfmcp_http_t *http,
                                                            pcfmcp_http_client_address_cb cb,
                                                            void *userdata);

/** Installs the observer of refused requests (NULL: none). */
PCFMCP_API pcfmcp_error_t pcfmcp_http_set_refusal_cb(pcfmcp_http_t *http,
                                                     pcfmcp_http_refusal_cb cb, void *userdata);

/** Installs the observer called after every HTTP request. */
PCFMCP_API pcfmcp_error_t pcfmcp_http_set_observer_cb(pcfmcp_http_t *http,
                                                      pcfmcp_http_observer_cb cb,
                                                      void *userdata);

/**
 * Serves `/healthz`, `/readyz` and `/metrics` on a listener of their own
 * (plain HTTP) instead of the MCP listener. Port 0 picks a free port.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_http_set_ops_listen(pcfmcp_http_t *http, const char *host,
                                                     unsigned port);

/**
 * Binds the listener(s) and starts the HTTP threads. Logs the address.
 * @return PCFMCP_ERR_IO if the address cannot be bound, PCFMCP_ERR_TLS for
 *         unusable certificates, PCFMCP_ERR_DENIED for a non-loopback address
 *         without authentication, PCFMCP_ERR_STATE if already started.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_http_start(pcfmcp_http_t *http);

/** The bound TCP port of the MCP listener once started (0 before). */
PCFMCP_API unsigned pcfmcp_http_port(const pcfmcp_http_t *http);

/** The bound port of the separate ops listener, or 0 when there is none. */
PCFMCP_API unsigned pcfmcp_http_ops_port(const pcfmcp_http_t *http);

/**
 * Serves (starting first if needed) until pcfmcp_http_stop(). Then drains:
 * `/readyz` answers 503, new MCP requests get 503, running requests get the
 * grace period to finish, the rest are cancelled, and SSE streams end.
 * @return PCFMCP_OK after a clean drain, PCFMCP_ERR_TIMEOUT if requests had
 *         to be cancelled, or a pcfmcp_http_start() error.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_http_run(pcfmcp_http_t *http);

/** Asks pcfmcp_http_run() to drain and return. Async-signal-safe. */
PCFMCP_API void pcfmcp_http_stop(pcfmcp_http_t *http);

PCFMCP_END_DECLS

#endif /* PCFMCP_HTTP_H */
