/**
 * @file pcf.h
 * @brief Client for the Pentest Collaboration Framework (PCF): API v1 and
 *        the web-UI routes API v1 lacks.
 *
 * One pcfmcp_pcf_t talks to one PCF base URL with one credential set: an
 * API token, or an email + password (then the client creates its tokens with
 * `create_token` and can also log in to the web UI).
 *
 * Thread safety: a client may be used from any number of threads at once once
 * it is configured. The setters (`pcfmcp_pcf_set_*`, except
 * pcfmcp_pcf_set_observer()) must be called before the first request, from one
 * thread; afterwards they return PCFMCP_ERR_STATE. Web-UI operations of one
 * client run one at a time (they share one login session); API calls run in
 * parallel. The observer callback runs on the calling thread.
 *
 * Results: every request function has the shape
 * `pcfmcp_error_t pcfmcp_pcf_<group>_<verb>(pcf, <typed arguments>, pcfmcp_pcf_result_t **out)`
 * and returns the same code that pcfmcp_pcf_result_error() reports. `*out` is
 * set on every return except three: @p pcf or @p out is NULL
 * (PCFMCP_ERR_INVALID_ARG), or the result itself could not be allocated
 * (PCFMCP_ERR_NOMEM). So a caller always gets a message (which argument was
 * wrong, what PCF said, which status came back) and must always free `*out`
 * with pcfmcp_pcf_result_free().
 *
 * Optional `body_json` arguments take a JSON object of further fields, named as
 * in PCF's API (`{"description": "web", "os": "Linux"}`); NULL means none.
 * Typed arguments win over the same field in @p body_json. Ids given as
 * arguments must be UUIDs; a bad one fails with PCFMCP_ERR_INVALID_ARG before
 * anything is sent, and the message names the argument.
 *
 * Transport: TLS peers are verified against the system CA store unless a CA
 * file/dir is set. Proxies come from the environment exactly as libcurl reads
 * it: `http_proxy` (lower case only) for http URLs, `https_proxy` /
 * `HTTPS_PROXY` for https URLs, `all_proxy` / `ALL_PROXY` for both, and
 * `no_proxy` / `NO_PROXY` to exempt hosts. Connections, DNS answers and TLS
 * sessions are reused across calls and threads.
 *
 * Retries: a request is repeated only when that is safe: after a network
 * failure before the request left (DNS, refused connection, TLS handshake,
 * connect timeout) for any endpoint; for read-only endpoints also after 429,
 * any 5xx, a reset or a timeout. A write whose fate is unknown is never
 * sent again. Waits grow exponentially with jitter, honour `Retry-After`, and
 * never pass the call's total budget.
 */
#ifndef PCFMCP_PCF_H
#define PCFMCP_PCF_H

#include <pcfmcp/common.h>
#include <pcfmcp/log.h>
#include <pcfmcp/sys/cache.h>
#include <pcfmcp/sys/ratelimit.h>
#include <pcfmcp/sys/trace.h>

PCFMCP_BEGIN_DECLS

/** A PCF client. Opaque; thread-safe once configured (see the file comment). */
typedef struct pcfmcp_pcf pcfmcp_pcf_t;

/** The outcome of one request function. Opaque; free with pcfmcp_pcf_result_free(). */
typedef struct pcfmcp_pcf_result pcfmcp_pcf_result_t;

/**
 * Called after every HTTP attempt (metrics, tracing).
 *
 * @param endpoint     a label from a small fixed set ("hosts_list",
 *                     "ui_login", ...), never a path with ids; static string
 * @param http_status  the status PCF answered, or 0 when no answer came
 * @param error        the attempt's outcome (PCFMCP_OK for a usable answer)
 * @param duration_seconds how long the attempt took
 * @param attempt      1 for the first attempt of a request, 2 for its first retry ...
 * @param is_retry     non-zero when @p attempt > 1
 * @param userdata     as given to pcfmcp_pcf_set_observer()
 * Runs on the thread that made the call; must not call back into the client.
 */
typedef void (*pcfmcp_pcf_observer_cb)(const char *endpoint, int http_status,
                                       pcfmcp_error_t error, double duration_seconds,
                                       int attempt, int is_retry, void *userdata);

/* ------------------------------------------------------------------ lifecycle */

/**
 * Creates a client for the PCF at @p base_url (`https://pcf.example:5000`,
 * optionally with a path prefix; http and https only).
 *
 * @param[out] out receives the client
 * @param base_url copied
 * @param logger may be NULL (no logging); otherwise the client keeps a reference
 *               and registers every token and password it handles as a secret.
 * Requires pcfmcp_global_init(). Errors: PCFMCP_ERR_INVALID_ARG (bad URL),
 * PCFMCP_ERR_NOMEM.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_new(pcfmcp_pcf_t **out, const char *base_url,
                                         pcfmcp_logger_t *logger);

/**
 * Creates a client for another PCF identity on the same server as @p parent.
 *
 * The sibling copies the URL, TLS, HTTP Basic, timeout, size, retry, channel
 * and observer settings, shares the connection cache (connections, DNS, TLS
 * sessions), and has its own credentials (none at first) and web session.
 * After this call the transport settings of both are fixed (their setters
 * return PCFMCP_ERR_STATE); credential setters still work until first use.
 * @p parent must outlive nothing: the shared cache lives until the last of
 * the family is freed.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_new_sibling(pcfmcp_pcf_t **out, pcfmcp_pcf_t *parent);

/**
 * Frees @p pcf. NULL does nothing. No call may be running on it.
 *
 * When the client created its API token itself (from pcfmcp_pcf_set_login(),
 * or took one over from pcfmcp_pcf_set_token_state_file()), it first
 * disables that token at PCF (`disable_token`; one request of at most 3 s,
 * skipped when PCF appears hung), so no live token outlives the client. A
 * token given with pcfmcp_pcf_set_token() is never disabled.
 */
PCFMCP_API void pcfmcp_pcf_free(pcfmcp_pcf_t *pcf);

/** Why this thread's last failed setter on @p pcf failed (requests report through
 *  pcfmcp_pcf_result_t). Never NULL; "no error" when this thread's last failure was not on
 *  it. Valid until this thread's next failed call (see "Error detail" in common.h). */
PCFMCP_API const char *pcfmcp_pcf_errmsg(const pcfmcp_pcf_t *pcf);

/* ------------------------------------------------------------------ settings */

/** Uses the API token @p token (a UUID, as PCF issues them). Copied. */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_set_token(pcfmcp_pcf_t *pcf, const char *token);

/**
 * Uses a PCF account: the client creates API tokens with it (`create_token`),
 * renews an expired one once per call, and logs in to the web UI for the
 * features that exist only there. Both strings are copied.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_set_login(pcfmcp_pcf_t *pcf, const char *email,
                                               const char *password);

/** Lifetime in seconds of the tokens the client creates (default 86400). */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_set_token_duration(pcfmcp_pcf_t *pcf, long seconds);

/**
 * Keeps the token the client creates from pcfmcp_pcf_set_login() in the file
 * @p path (JSON, mode 0600, written atomically; NULL: none, the default).
 *
 * PCF cannot list a user's tokens, so a process that dies before
 * pcfmcp_pcf_free() could not disable its token and would leave it live for
 * its whole duration. With a state file the next client of the same PCF URL
 * and email takes that token over instead of creating another one (and
 * disables it when freed); a file that another user could read, or that is
 * not a regular file of this user, is not trusted. Copied.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_set_token_state_file(pcfmcp_pcf_t *pcf, const char *path);

/** Verifies PCF's certificate against the PEM bundle @p path instead of the system store. */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_set_ca_file(pcfmcp_pcf_t *pcf, const char *path);

/** Verifies PCF's certificate against the hashed CA directory @p path. */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_set_ca_dir(pcfmcp_pcf_t *pcf, const char *path);

/**
 * Turns certificate and host name verification off (@p insecure non-zero) or
 * back on. Dangerous: anyone on the path can read the tokens. Logs a WARN line
 * every time it is enabled, and once more at the client's first request.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_set_insecure(pcfmcp_pcf_t *pcf, int insecure);

/** Presents a TLS client certificate (PEM files; @p key_password may be NULL). */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_set_client_cert(pcfmcp_pcf_t *pcf, const char *cert_file,
                                                     const char *key_file,
                                                     const char *key_password);

/** Sends HTTP Basic credentials on every request (PCF's optional global `basic_auth` layer). */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_set_basic_auth(pcfmcp_pcf_t *pcf, const char *user,
                                                    const char *password);

/**
 * Sets the timeouts in milliseconds; 0 keeps the current value.
 * @param pcf        the client
 * @param connect_ms TCP + TLS set-up of one attempt (default 10000)
 * @param request_ms one attempt, from connect to the last byte (default 30000)
 * @param total_ms   one call including retries, backoff and token renewal
 *                   (default 60000)
 */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_set_timeouts(pcfmcp_pcf_t *pcf, long connect_ms,
                                                  long request_ms, long total_ms);

/** Refuses response bodies over @p bytes with PCFMCP_ERR_LIMIT (default 32 MiB). */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_set_max_body(pcfmcp_pcf_t *pcf, size_t bytes);

/**
 * Retry policy: at most @p max_attempts attempts per request (1 = never
 * retry; default 3); waits start at @p base_ms (default 250) and double up to
 * @p max_ms (default 5000), with random jitter.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_set_retry(pcfmcp_pcf_t *pcf, int max_attempts,
                                               long base_ms, long max_ms);

/**
 * Chooses how a capability is reached: @p channel "api" (API v1, token) or
 * "ui" (web session, needs pcfmcp_pcf_set_login()).
 *
 * Capabilities with a choice and their defaults (the channels that work on
 * PCF HEAD): "issues_write" (issue create and update; default "ui" because
 * API v1 `issues/create` hangs PCF HEAD and `issues/<id>/edit` fails there;
 * choosing "api" here is enough to use API v1 for them),
 * "issues_delete" (default "api"), "pocs" (PoC add; default "api").
 * Errors: PCFMCP_ERR_NOT_FOUND (unknown capability), PCFMCP_ERR_UNSUPPORTED
 * (the capability has no such channel).
 */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_set_channel(pcfmcp_pcf_t *pcf, const char *capability,
                                                 const char *channel);

/**
 * Writes issues through API v1 (`issues/create`, `issues/<id>/edit`): makes
 * "api" the default channel of "issues_write" (an explicit
 * pcfmcp_pcf_set_channel() choice still wins). One setting is enough.
 *
 * Off by default: since PCF commit 3e415b6 (the current release 6c83154
 * included) `issues/create` answers 500 and then hangs the whole server, so
 * issue writes go through the web session. Turn it on only for a PCF known
 * to work (e.g. fb68b26), for example when only a token is available.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_set_allow_api_issue_writes(pcfmcp_pcf_t *pcf, int allow);

/**
 * Installs (or with @p cb NULL removes) the per-attempt observer. May be called
 * at any time; calls running at that moment may still use the old one.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_set_observer(pcfmcp_pcf_t *pcf, pcfmcp_pcf_observer_cb cb,
                                                  void *userdata);

/**
 * Answers read operations from @p cache when it holds a fresh answer for
 * the same PCF identity and arguments, stores successful answers in it, and
 * drops the cached reads of a project after any write to that project
 * (after other writes, everything). Token checks are never cached.
 * @p cache is borrowed and must outlive the client; NULL switches caching
 * off. May be called at any time; siblings created afterwards inherit it.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_set_cache(pcfmcp_pcf_t *pcf, pcfmcp_cache_t *cache);

/**
 * Wraps every operation that runs under a trace context in a client span
 * ("PCF <label>") of @p tracer, and sends that span's own traceparent to
 * PCF. Borrowed; must outlive the client; NULL switches it off.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_set_tracer(pcfmcp_pcf_t *pcf, pcfmcp_tracer_t *tracer);

/**
 * Holds a place in @p gate during every HTTP attempt, so that all clients
 * sharing the gate have at most its limit of requests open at PCF. A call
 * that cannot get a place before its time budget runs out fails with
 * PCFMCP_ERR_UNAVAILABLE. Borrowed; must outlive the client; NULL: no cap.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_set_gate(pcfmcp_pcf_t *pcf, pcfmcp_gate_t *gate);

/* ------------------------------------------------------------------ state */

/**
 * Readiness probe: `check_token` with the configured token, creating one first
 * when only email + password are configured. Success means PCF is reachable
 * and accepts the credentials.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_check(pcfmcp_pcf_t *pcf, pcfmcp_pcf_result_t **out);

/**
 * When the current token expires, in Unix seconds, as far as the client knows
 * (after pcfmcp_pcf_check() or once it created the token); 0 if unknown.
 */
PCFMCP_API int64_t pcfmcp_pcf_token_expiry(pcfmcp_pcf_t *pcf);

/**
 * Tells whether @p capability can be used with this configuration.
 *
 * Capabilities: "api" (every API v1 call), "issues_read", "issues_write",
 * "issues_delete", "pocs", "snapshot", "credentials", "notes", "scan_import"
 * (also under its old name "nmap_import"), "report". @p reason_out (may be
 * NULL) receives a static explanation when the
 * answer is PCFMCP_ERR_UNSUPPORTED, or NULL when it is PCFMCP_OK. Each cause
 * (no credentials at all; no web session for a part of PCF that API v1 lacks;
 * issue writes on the web channel with only a token) has its own
 * explanation; it completes a sentence such as "list_notes cannot run: it
 * ..." (e.g. "needs PCF's web session: configure pcf.email and pcf.password
 * ...") and names the exact settings that would help. The PCF toolset offers
 * a tool only when its capability is usable (see pcfmcp_toolset_register()).
 * @return PCFMCP_OK, PCFMCP_ERR_UNSUPPORTED, or PCFMCP_ERR_NOT_FOUND for an
 *         unknown capability name.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_capability(pcfmcp_pcf_t *pcf, const char *capability,
                                                const char **reason_out);

/* ------------------------------------------------------------------ results */

/**
 * The JSON text of the answer, NUL-terminated; NULL if there is none.
 * For API calls it is PCF's response body as received (also for a PCF error,
 * `{"errors": [...]}`); for web-UI operations a JSON object the client builds
 * (documented per function). Borrowed: valid until pcfmcp_pcf_result_free().
 * @param res the result
 * @param len may be NULL; receives the length without the NUL.
 */
PCFMCP_API const char *pcfmcp_pcf_result_json(const pcfmcp_pcf_result_t *res, size_t *len);

/** The HTTP status of the last answer that decided the outcome, or 0 if none came. */
PCFMCP_API int pcfmcp_pcf_result_http_status(const pcfmcp_pcf_result_t *res);

/**
 * The outcome. PCFMCP_OK; PCFMCP_ERR_PCF (PCF answered `{"errors": [...]}`);
 * PCFMCP_ERR_NOT_FOUND (`{"error": [...]}` of `user/<id>/info`; an id a web-UI
 * operation could not find); PCFMCP_ERR_AUTH (token, login or HTTP Basic
 * rejected); PCFMCP_ERR_HTTP (an unexpected status: 404/405/500 pages, ...);
 * PCFMCP_ERR_RATE_LIMITED (429 after the retries); PCFMCP_ERR_TIMEOUT;
 * PCFMCP_ERR_TLS; PCFMCP_ERR_CONNECT (DNS, refused, reset);
 * PCFMCP_ERR_BAD_RESPONSE (not JSON, truncated, markers missing);
 * PCFMCP_ERR_LIMIT (body over pcfmcp_pcf_set_max_body());
 * PCFMCP_ERR_CANCELLED; PCFMCP_ERR_INVALID_ARG; PCFMCP_ERR_UNSUPPORTED
 * (the capability needs credentials that are not configured; also when no
 * credentials at all are configured, so PCF was not asked); PCFMCP_ERR_NOMEM.
 * A known PCF defect (an HTTP 500 that PCF answers on some versions) and a
 * timeout after a write that left PCF unresponsive are said in the message.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_result_error(const pcfmcp_pcf_result_t *res);

/**
 * A short English message, safe to show and log: no tokens or passwords.
 * For PCF errors the `errors` texts joined with "; "; for unusable bodies an
 * excerpt of at most 120 characters with control characters removed.
 * Never NULL; borrowed like pcfmcp_pcf_result_json().
 */
PCFMCP_API const char *pcfmcp_pcf_result_message(const pcfmcp_pcf_result_t *res);

/** PCF's own error messages as a JSON array of strings, or NULL if it sent none. Borrowed. */
PCFMCP_API const char *pcfmcp_pcf_result_pcf_errors(const pcfmcp_pcf_result_t *res);

/** How many HTTP attempts the call made in total (retries and token renewal included). */
PCFMCP_API int pcfmcp_pcf_result_attempts(const pcfmcp_pcf_result_t *res);

/**
 * A binary payload, for pcfmcp_pcf_report_render() (the rendered file); NULL
 * for every other call. Borrowed.
 * @param res the result
 * @param len may be NULL
 */
PCFMCP_API const void *pcfmcp_pcf_result_data(const pcfmcp_pcf_result_t *res, size_t *len);

/** The file name that came with pcfmcp_pcf_result_data() (sanitised, no directories), or NULL. */
PCFMCP_API const char *pcfmcp_pcf_result_filename(const pcfmcp_pcf_result_t *res);

/** The content type that came with pcfmcp_pcf_result_data(), or NULL. */
PCFMCP_API const char *pcfmcp_pcf_result_content_type(const pcfmcp_pcf_result_t *res);

/** Frees @p res. NULL does nothing. */
PCFMCP_API void pcfmcp_pcf_result_free(pcfmcp_pcf_result_t *res);

/* ------------------------------------------------------------------ tokens and users */

/**
 * `create_token`: a new API token for @p email / @p password (not necessarily
 * the client's account). @p name may be NULL; @p duration_seconds 0 = PCF's
 * default. JSON: `{"access_token": "<uuid>"}`. The token is registered as a
 * logger secret.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_token_create(pcfmcp_pcf_t *pcf, const char *email,
                                                  const char *password, const char *name,
                                                  long duration_seconds,
                                                  pcfmcp_pcf_result_t **out);

/** `check_token` on the client's token. JSON: `{"access_token","creation_date","duration","time_left"}`. */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_token_check(pcfmcp_pcf_t *pcf, pcfmcp_pcf_result_t **out);

/**
 * `disable_token` on the client's token. Afterwards the client has no usable
 * token: with email + password it creates a fresh one at the next call.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_token_disable(pcfmcp_pcf_t *pcf, pcfmcp_pcf_result_t **out);

/** `user/me`: the client's account and teams. Note PCF's bug: `email` holds the last name. */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_user_me(pcfmcp_pcf_t *pcf, pcfmcp_pcf_result_t **out);

/** `user/<user_id>/info`. An unknown user is PCFMCP_ERR_NOT_FOUND. */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_user_info(pcfmcp_pcf_t *pcf, const char *user_id,
                                               pcfmcp_pcf_result_t **out);

/* ------------------------------------------------------------------ teams */

/** `teams`: the client's teams. */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_teams_list(pcfmcp_pcf_t *pcf, pcfmcp_pcf_result_t **out);

/** `team/<team_id>/info`. */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_team_info(pcfmcp_pcf_t *pcf, const char *team_id,
                                               pcfmcp_pcf_result_t **out);

/** `team/<team_id>/users`. */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_team_users(pcfmcp_pcf_t *pcf, const char *team_id,
                                                pcfmcp_pcf_result_t **out);

/** `team/<team_id>/projects`. */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_team_projects(pcfmcp_pcf_t *pcf, const char *team_id,
                                                   pcfmcp_pcf_result_t **out);

/** `team/<team_id>/logs`, newest first; @p limit / @p offset negative = PCF's defaults (100 / 0). */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_team_logs(pcfmcp_pcf_t *pcf, const char *team_id,
                                               long limit, long offset,
                                               pcfmcp_pcf_result_t **out);

/** `team/<team_id>/info/update` with `name`, `description`, `admin_email` from @p body_json. */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_team_update(pcfmcp_pcf_t *pcf, const char *team_id,
                                                 const char *body_json,
                                                 pcfmcp_pcf_result_t **out);

/** `team/<team_id>/users/add`. */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_team_user_add(pcfmcp_pcf_t *pcf, const char *team_id,
                                                   const char *email, int is_admin,
                                                   pcfmcp_pcf_result_t **out);

/** `team/<team_id>/users/set_admin`. */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_team_user_set_admin(pcfmcp_pcf_t *pcf, const char *team_id,
                                                         const char *user_id,
                                                         pcfmcp_pcf_result_t **out);

/** `team/<team_id>/users/devote` (takes admin rights away). */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_team_user_devote(pcfmcp_pcf_t *pcf, const char *team_id,
                                                      const char *user_id,
                                                      pcfmcp_pcf_result_t **out);

/** `team/<team_id>/users/delete`. PCF HEAD always answers 500 here (PCFMCP_ERR_HTTP). */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_team_user_delete(pcfmcp_pcf_t *pcf, const char *team_id,
                                                      const char *user_id,
                                                      pcfmcp_pcf_result_t **out);

/* ------------------------------------------------------------------ projects */

/** `projects`. */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_projects_list(pcfmcp_pcf_t *pcf, pcfmcp_pcf_result_t **out);

/**
 * `project/new`. PCF crashes without `start_date`, `end_date` and
 * `auto_archive`, so missing ones are filled: start now, end 30 days later,
 * no auto-archive; `type` defaults to "pentest". JSON: `{"project_id": "<uuid>"}`.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_project_create(pcfmcp_pcf_t *pcf, const char *name,
                                                    const char *body_json,
                                                    pcfmcp_pcf_result_t **out);

/** `project/<project_id>/settings`: the project object. */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_project_settings(pcfmcp_pcf_t *pcf, const char *project_id,
                                                      pcfmcp_pcf_result_t **out);

/** `project/<project_id>/settings/edit` (also un-archives with `"status": "active"`). */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_project_update(pcfmcp_pcf_t *pcf, const char *project_id,
                                                    const char *body_json,
                                                    pcfmcp_pcf_result_t **out);

/* ------------------------------------------------------------------ hosts, ports, hostnames */

/** `project/<project_id>/hosts`. */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_hosts_list(pcfmcp_pcf_t *pcf, const char *project_id,
                                                pcfmcp_pcf_result_t **out);

/** `project/<project_id>/host/<host_id>/info` (host with its ports). */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_host_info(pcfmcp_pcf_t *pcf, const char *project_id,
                                               const char *host_id, pcfmcp_pcf_result_t **out);

/** `project/<project_id>/host/new`. JSON: `{"host_id": "<uuid>"}`. */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_host_create(pcfmcp_pcf_t *pcf, const char *project_id,
                                                 const char *ip, const char *body_json,
                                                 pcfmcp_pcf_result_t **out);

/** `project/<project_id>/host/<host_id>/edit` (`description`, `os`, `threats`). */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_host_update(pcfmcp_pcf_t *pcf, const char *project_id,
                                                 const char *host_id, const char *body_json,
                                                 pcfmcp_pcf_result_t **out);

/** `project/<project_id>/host/<host_id>/delete`. */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_host_delete(pcfmcp_pcf_t *pcf, const char *project_id,
                                                 const char *host_id, pcfmcp_pcf_result_t **out);

/**
 * `project/<project_id>/port/new`: @p port 1..65535, @p is_tcp non-zero for TCP.
 * JSON: `{"port_id": "<uuid>"}`.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_port_create(pcfmcp_pcf_t *pcf, const char *project_id,
                                                 const char *host_id, int port, int is_tcp,
                                                 const char *body_json,
                                                 pcfmcp_pcf_result_t **out);

/** `project/<project_id>/port/<port_id>/info`. */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_port_info(pcfmcp_pcf_t *pcf, const char *project_id,
                                               const char *port_id, pcfmcp_pcf_result_t **out);

/** `project/<project_id>/port/<port_id>/edit` (`service`, `description`). */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_port_update(pcfmcp_pcf_t *pcf, const char *project_id,
                                                 const char *port_id, const char *body_json,
                                                 pcfmcp_pcf_result_t **out);

/** `project/<project_id>/port/<port_id>/delete`. */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_port_delete(pcfmcp_pcf_t *pcf, const char *project_id,
                                                 const char *port_id, pcfmcp_pcf_result_t **out);

/** `project/<project_id>/hostnames`. */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_hostnames_list(pcfmcp_pcf_t *pcf, const char *project_id,
                                                    pcfmcp_pcf_result_t **out);

/** `project/<project_id>/hostname/add` (idempotent per host). JSON: `{"id": "<uuid>"}`. */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_hostname_add(pcfmcp_pcf_t *pcf, const char *project_id,
                                                  const char *host_id, const char *hostname,
                                                  const char *body_json,
                                                  pcfmcp_pcf_result_t **out);

/* ------------------------------------------------------------------ networks */

/** `project/<project_id>/networks`. */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_networks_list(pcfmcp_pcf_t *pcf, const char *project_id,
                                                   pcfmcp_pcf_result_t **out);

/** `project/<project_id>/network/<network_id>/info`. */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_network_info(pcfmcp_pcf_t *pcf, const char *project_id,
                                                  const char *network_id,
                                                  pcfmcp_pcf_result_t **out);

/**
 * `project/<project_id>/network/create` for @p ip / @p mask.
 *
 * PCF crashes unless `name` is an integer string, so the client creates the
 * network named "0" and, when @p body_json has another `name`, renames it with
 * `network/<id>/edit`. If that second step fails, the result carries its error,
 * the message says the network exists, and the JSON is the create answer
 * `{"status": "ok", "network_id": "<uuid>"}`.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_network_create(pcfmcp_pcf_t *pcf, const char *project_id,
                                                    const char *ip, int mask,
                                                    const char *body_json,
                                                    pcfmcp_pcf_result_t **out);

/** `project/<project_id>/network/<network_id>/edit`. */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_network_update(pcfmcp_pcf_t *pcf, const char *project_id,
                                                    const char *network_id,
                                                    const char *body_json,
                                                    pcfmcp_pcf_result_t **out);

/** `project/<project_id>/network/<network_id>/delete`. */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_network_delete(pcfmcp_pcf_t *pcf, const char *project_id,
                                                    const char *network_id,
                                                    pcfmcp_pcf_result_t **out);

/* ------------------------------------------------------------------ issues and PoCs */

/** `project/<project_id>/issues/list`. */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_issues_list(pcfmcp_pcf_t *pcf, const char *project_id,
                                                 pcfmcp_pcf_result_t **out);

/** `project/<project_id>/issues/search` with SQL-LIKE patterns from @p body_json. */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_issues_search(pcfmcp_pcf_t *pcf, const char *project_id,
                                                   const char *body_json,
                                                   pcfmcp_pcf_result_t **out);

/** `project/<project_id>/issues/<issue_id>/info`. */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_issue_info(pcfmcp_pcf_t *pcf, const char *project_id,
                                                const char *issue_id, pcfmcp_pcf_result_t **out);

/**
 * Creates an issue named @p name; further fields in @p body_json with API v1
 * names (`description`, `url_path`, `cvss`, `cve`, `cwe`, `status`, `type`,
 * `fix`, `param`, `technical`, `risks`, `references`, `intruder`,
 * `services: {port_id: [hostname_id or "0"]}`, `fields: {name: {"type","value"}}`;
 * on the web channel also `cvss_vector`, `impact`, `exploitability`, `risk`,
 * `criticality`).
 *
 * Channel "issues_write" (default web UI: `new_issue`, then an edit for `cwe`
 * which the create form ignores). JSON: `{"status": "ok", "issue_id": "<uuid>"}`.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_issue_create(pcfmcp_pcf_t *pcf, const char *project_id,
                                                  const char *name, const char *body_json,
                                                  pcfmcp_pcf_result_t **out);

/**
 * Changes the fields in @p body_json of an issue; the others keep their values
 * (on the web channel the client reads the issue first, because PCF's form
 * resets every omitted field). `fields` replaces the non-file custom fields.
 * Channel "issues_write". JSON: `{"status": "ok"}`.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_issue_update(pcfmcp_pcf_t *pcf, const char *project_id,
                                                  const char *issue_id, const char *body_json,
                                                  pcfmcp_pcf_result_t **out);

/**
 * Deletes an issue. Channel "issues_delete" (default API v1; the web channel
 * confirms by re-reading the project, because PCF answers the same redirect
 * for unknown ids). JSON: `{"status": "ok"}`.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_issue_delete(pcfmcp_pcf_t *pcf, const char *project_id,
                                                  const char *issue_id,
                                                  pcfmcp_pcf_result_t **out);

/**
 * Adds a PoC file of @p len bytes to an issue (the client base64-encodes it).
 *
 * @param pcf the client
 * @param project_id the project
 * @param issue_id the issue
 * @param data the file's bytes (copied)
 * @param len their number, at least 1
 * @param type "text", "image", or NULL to guess (PNG/JPEG/GIF/BMP magic = image)
 * @param body_json optional `description`, `port_id`, `hostname_id` ("0" = none)
 * Channel "pocs" (default API v1 `poc/add`; the web fallback `new_poc` also
 * needs a `filename` in @p body_json, default "poc.txt"/"poc.png", and finds
 * the new id by re-reading the issue). JSON: `{"status": "ok", "poc_id": "<uuid>"}`.
 * @param[out] out the result (see the file comment)
 */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_poc_add(pcfmcp_pcf_t *pcf, const char *project_id,
                                             const char *issue_id, const void *data, size_t len,
                                             const char *type, const char *body_json,
                                             pcfmcp_pcf_result_t **out);

/** `project/<project_id>/issues/<issue_id>/poc/<poc_id>/info` (no content; see the snapshot). */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_poc_info(pcfmcp_pcf_t *pcf, const char *project_id,
                                              const char *issue_id, const char *poc_id,
                                              pcfmcp_pcf_result_t **out);

/** `project/<project_id>/issues/<issue_id>/poc/<poc_id>/delete`. */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_poc_delete(pcfmcp_pcf_t *pcf, const char *project_id,
                                                const char *issue_id, const char *poc_id,
                                                pcfmcp_pcf_result_t **out);

/* ------------------------------------------------------------------ rules, spec */

/**
 * `rules`: issue rules visible to the client. Optional `rule_ids`, `user_id`,
 * `team_id` in @p body_json; `rule_ids` defaults to `[]` (= all) because PCF
 * crashes without it.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_rules_list(pcfmcp_pcf_t *pcf, const char *body_json,
                                                pcfmcp_pcf_result_t **out);

/**
 * `project/<project_id>/issues/rules/use`: applies @p n_rules rules to
 * @p n_issues issues (arrays of UUID strings). JSON: `{"status": "ok", "updated_issues": n}`.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_rules_use(pcfmcp_pcf_t *pcf, const char *project_id,
                                               const char *const *rule_ids, size_t n_rules,
                                               const char *const *issue_ids, size_t n_issues,
                                               pcfmcp_pcf_result_t **out);

/** `GET /api/v1/swagger_v1.0.0.json` (no authentication). */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_swagger(pcfmcp_pcf_t *pcf, pcfmcp_pcf_result_t **out);

/* ------------------------------------------------------------------ web-UI features */

/**
 * The whole project as PCF's JSON export (`GET /project/<id>/reports/export/json`):
 * `{"project","issues","hosts","pocs","ports","hostnames","grouped_issues",
 * "tasks","notes","paths","networks","credentials"}`, PoCs with
 * `content_base64`. Web session.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_project_snapshot(pcfmcp_pcf_t *pcf, const char *project_id,
                                                      pcfmcp_pcf_result_t **out);

/**
 * The project's credentials (from the snapshot). JSON:
 * `{"credentials": {id: {"login","hash","hash_type","cleartext","description","source","services"}}}`.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_credentials_list(pcfmcp_pcf_t *pcf, const char *project_id,
                                                      pcfmcp_pcf_result_t **out);

/**
 * Adds a credential for @p login. @p body_json may hold the form's fields
 * `password_hash`, `hash_type`, `cleartext_password`, `comment`,
 * `info_source`, `check_pwd`, and `services: {port_id: [hostname_id or "0"]}`.
 * PCF does not return the id; the client finds it by re-reading the project
 * (the newest credential with this login that was not there before).
 * JSON: `{"status": "ok", "credential_id": "<uuid>"}`.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_credential_create(pcfmcp_pcf_t *pcf, const char *project_id,
                                                       const char *login, const char *body_json,
                                                       pcfmcp_pcf_result_t **out);

/**
 * Changes the fields in @p body_json (names as for pcfmcp_pcf_credential_create(),
 * plus `login`) of a credential; the others keep their values. JSON: `{"status": "ok"}`.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_credential_update(pcfmcp_pcf_t *pcf, const char *project_id,
                                                       const char *credential_id,
                                                       const char *body_json,
                                                       pcfmcp_pcf_result_t **out);

/** Deletes a credential (confirmed by re-reading). Unknown id: PCFMCP_ERR_NOT_FOUND. */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_credential_delete(pcfmcp_pcf_t *pcf, const char *project_id,
                                                       const char *credential_id,
                                                       pcfmcp_pcf_result_t **out);

/** The project's notes (from the snapshot). JSON: `{"notes": {id: {"name","host_id","html","markdown"}}}`. */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_notes_list(pcfmcp_pcf_t *pcf, const char *project_id,
                                                pcfmcp_pcf_result_t **out);

/**
 * Adds a note @p name, tied to @p host_id (may be NULL), with HTML @p text (may
 * be NULL). JSON: `{"status": "ok", "note_id": "<uuid>"}`.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_note_create(pcfmcp_pcf_t *pcf, const char *project_id,
                                                 const char *name, const char *host_id,
                                                 const char *text, pcfmcp_pcf_result_t **out);

/** Replaces a note's HTML text. Unknown id: PCFMCP_ERR_NOT_FOUND. */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_note_update(pcfmcp_pcf_t *pcf, const char *project_id,
                                                 const char *note_id, const char *text,
                                                 pcfmcp_pcf_result_t **out);

/** Renames a note. Unknown id: PCFMCP_ERR_NOT_FOUND. */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_note_rename(pcfmcp_pcf_t *pcf, const char *project_id,
                                                 const char *note_id, const char *name,
                                                 pcfmcp_pcf_result_t **out);

/** Deletes a note. Unknown id: PCFMCP_ERR_NOT_FOUND. */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_note_delete(pcfmcp_pcf_t *pcf, const char *project_id,
                                                 const char *note_id, pcfmcp_pcf_result_t **out);

/**
 * Imports a scanner report through PCF's own web-UI importer for @p format:
 * "nmap", "nessus", "nikto", "acunetix", "openvas", "qualys", "netsparker",
 * "wpscan", "metasploit", "nuclei", "burp", "dnsrecon", "theharvester",
 * "kube-hunter", "pingcastle", "dependency-check", "checkmarx", "maxpatrol",
 * "scanvus" or "aiodnsbrute" (docs/pcf-api/IMPORTERS.md describes each).
 *
 * The @p len bytes at @p data are streamed to PCF from that buffer (borrowed
 * for the call, never copied). Whether the file is XML, JSON or CSV is read
 * from its first byte unless @p body_json says `"kind"`. @p body_json (may be
 * NULL) holds the format's options (e.g. `rule`, `hosts_description`,
 * `add_info_issues`, `resolve`: {hostname: ip}; an option the format lacks is
 * PCFMCP_ERR_INVALID_ARG naming the ones it has), `"filename"`, `"force"`
 * (send a file whose import is known to damage the project's JSON export) and
 * `"pcf_issue_inserts"` ("auto", "broken", "working").
 *
 * Per PCF release: on 6c83154 and later most importers hang PCF or fail when
 * they create findings; pcf-mcp tells the release from PCF's new-issue form
 * (once per client) and then leaves the NSE output PCF would turn into
 * findings out of an nmap file, imports only hosts and services of a
 * Metasploit file, and refuses the formats it cannot send safely
 * (PCFMCP_ERR_UNSUPPORTED, nothing sent). JSON on success: `{"status": "ok",
 * "format", "kind", "bytes", "bytes_sent", "pcf_release", "removed": [{"script",
 * "where"}], "adjusted": [text], "skipped": [text or {"count", "what"}],
 * "census": {...}, "precreated": [text], "warnings": [text]}`. PCF's own errors
 * are PCFMCP_ERR_PCF (pcfmcp_pcf_result_pcf_errors()).
 */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_scan_import(pcfmcp_pcf_t *pcf, const char *project_id,
                                                 const char *format, const void *data,
                                                 size_t len, const char *body_json,
                                                 pcfmcp_pcf_result_t **out);

/**
 * pcfmcp_pcf_scan_import() with format "nmap" for an XML report of @p len
 * bytes (text without NUL bytes).
 */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_nmap_import(pcfmcp_pcf_t *pcf, const char *project_id,
                                                 const char *xml, size_t len,
                                                 const char *body_json,
                                                 pcfmcp_pcf_result_t **out);

/**
 * Renders a report with a template stored in PCF (@p template_id) or an
 * uploaded one (@p template_data of @p template_len bytes named
 * @p template_filename); give exactly one. @p extensions (may be NULL) lists
 * the file extensions to render inside a ZIP template ("tex,txt").
 * The file is in pcfmcp_pcf_result_data() / _filename() / _content_type();
 * JSON: `{"status": "ok", "filename", "content_type", "size"}`.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_report_render(pcfmcp_pcf_t *pcf, const char *project_id,
                                                   const char *template_id,
                                                   const void *template_data,
                                                   size_t template_len,
                                                   const char *template_filename,
                                                   const char *extensions,
                                                   pcfmcp_pcf_result_t **out);

/* ------------------------------------------------------------------ any operation */

/**
 * Runs the operation named @p operation with the arguments in @p args_json
 * (a JSON object; NULL = `{}`), the same call the typed functions above
 * make. Path ids (`project_id`, `issue_id`, `task_id`...) are members of
 * the object like every other argument. pcfmcp_pcf_operations() lists the
 * names with their ids and required members; the operations of PCF's
 * project workspace exist only here (all need the web session):
 *
 * | operation | arguments | JSON answer |
 * |---|---|---|
 * | `issue_templates` | project_id | `{"templates": [{"id","tpl_name","owner","name","variables",...}]}` |
 * | `issue_from_template` | project_id, template_id, variables `{name: value}`, impact, exploitability, risk | `{"issue_id","name","template_name","variables"}` |
 * | `issues_bulk_edit` | project_id, issue_ids, cvss and/or status | `{"updated","unchanged","not_found"}` |
 * | `issues_merge` | project_id, issue_ids | `{"merged": [{"kept","removed","services"}],"not_merged","not_found"}` |
 * | `issues_bulk_delete` | project_id, issue_ids | `{"deleted","not_found"}` |
 * | `poc_set_main` | project_id, issue_id, poc_id | `{"poc_id","main_pocs","also_main"}` |
 * | `issue_share` | project_id, issue_id (API token suffices) | `{"url"}` |
 * | `tasks_list`, `task_create`, `task_update`, `task_delete` | project_id, task_id, name, description, criticality, status, start_date, end_date, users, teams, services | `{"tasks"}` / `{"task_id"}` / `{"task_id","task"}` |
 * | `files_list`, `file_upload`, `file_download`, `file_delete` | project_id, file_id; filename, b64content, filetype, description, services | `{"files"}` / `{"file_id","filename","size"}` / bytes in pcfmcp_pcf_result_data() |
 * | `chats_list`, `chat_messages`, `chat_create`, `chat_post` | project_id, chat_id, name, message | `{"chats"}` / `{"messages"}` / `{"chat_id"}` / `{"chat_id","time"}` |
 * | `credentials_import` | project_id, content, delimiter, login_column, hash_column, cleartext_column, hash_type, description, source, skip_duplicates | `{"added","skipped_duplicates","rejected",...}` |
 * | `credentials_export` | project_id, export_type, divider, empty_passwords, login_as_password | `{"count","lines"}` |
 * | `hosts_import` | project_id, hosts `[{ip,hostname,description,os}]`, threats | `{"created","existing","hostnames_added","rejected",...}` |
 * | `services_list`, `service_add`, `service_update` | project_id; port, protocol, service, description, host_ids; new_port, new_protocol, new_service, new_description | `{"services"}` / `{"added","already_there","not_found"}` / `{"updated","host_ids"}` |
 * | `paths_list`, `path_add`, `path_delete` | project_id; from_type, from_id, to_type, to_id, type, direction, description; path_id | `{"paths"}` / `{"path_id","replaced_existing"}` / `{"deleted"}` |
 *
 * docs/pcf-api/UI-ENDPOINTS.md describes each one and the PCF defects it
 * works around. An unknown name fails with PCFMCP_ERR_INVALID_ARG (in the
 * result). Same thread rules as every call on @p pcf.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_call(pcfmcp_pcf_t *pcf, const char *operation,
                                          const char *args_json, pcfmcp_pcf_result_t **out);

/**
 * Every operation pcfmcp_pcf_call() accepts, as a JSON array of
 * `{"name", "writes", "web_session", "ids": [...], "required": [...]}`.
 * @p out is yours; free it with pcfmcp_free(). Thread-safe.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_pcf_operations(char **out);

PCFMCP_END_DECLS

#endif /* PCFMCP_PCF_H */
