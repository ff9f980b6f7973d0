/**
 * @file engine.h
 * @brief The transport-agnostic MCP protocol engine.
 *
 * An engine holds what a server offers (tools, resources, resource templates,
 * prompts, completion handlers) and turns incoming JSON-RPC messages into
 * outgoing ones. It never touches a socket or a file descriptor: a transport
 * (stdio, Streamable HTTP, or one a host writes) feeds it messages with
 * pcfmcp_engine_handle() and delivers what it emits.
 *
 * Protocol revisions: 2025-11-25, 2025-06-18, 2025-03-26 and 2024-11-05 are
 * negotiated through `initialize` on a session; the stateless 2026-07-28
 * revision is recognised per request by the protocol version in
 * `params._meta`, so one engine serves both eras side by side.
 *
 * Thread safety: an engine may be used from any number of threads at once
 * once it is set up (registration while serving is allowed and triggers
 * `list_changed` notifications). Handlers run on the thread that called
 * pcfmcp_engine_handle() or on the engine's worker threads (see
 * pcfmcp_engine_set_threads()), possibly several at once: they must be
 * thread-safe. A session may be fed from several threads at once.
 */
#ifndef PCFMCP_ENGINE_H
#define PCFMCP_ENGINE_H

#include <pcfmcp/common.h>
#include <pcfmcp/log.h>

PCFMCP_BEGIN_DECLS

/** The MCP engine. Opaque. */
typedef struct pcfmcp_engine pcfmcp_engine_t;
/** One client's protocol state (negotiated revision, log level, requests in flight). Opaque. */
typedef struct pcfmcp_session pcfmcp_session_t;
/** The context of one request, handed to every handler. Valid only during the handler. */
typedef struct pcfmcp_ctx pcfmcp_ctx_t;
/** Where a handler builds its answer. Valid only during the handler. */
typedef struct pcfmcp_result pcfmcp_result_t;

/** Newest protocol revision negotiated through `initialize`. */
#define PCFMCP_PROTOCOL_LATEST_LEGACY "2025-11-25"
/** The stateless protocol revision served per request. */
#define PCFMCP_PROTOCOL_STATELESS "2026-07-28"

/**
 * Runs one `tools/call`.
 *
 * @param args_json the call's `arguments` object, already validated against
 *                  the tool's inputSchema; borrowed for the call
 * @return PCFMCP_OK with @p result filled; any other code makes the call a
 *         tool error (`isError: true`) carrying the message set with
 *         pcfmcp_result_set_error() or, if none, pcfmcp_strerror(). Return
 *         PCFMCP_ERR_INPUT_REQUIRED unchanged when pcfmcp_ctx_request() returned it.
 */
typedef pcfmcp_error_t (*pcfmcp_tool_cb)(pcfmcp_ctx_t *ctx, const char *args_json,
                                         size_t args_len, pcfmcp_result_t *result,
                                         void *userdata);

/**
 * Reads one resource (`resources/read`).
 *
 * @param uri       the URI the client asked for
 * @param vars_json for a template, a JSON object of the variables matched in
 *                  @p uri (e.g. `{"host_id":"..."}`); `{}` for a plain resource
 * @return PCFMCP_OK with contents added; PCFMCP_ERR_NOT_FOUND becomes MCP's
 *         resource-not-found error, PCFMCP_ERR_INVALID_ARG invalid params,
 *         anything else an internal error carrying pcfmcp_result_set_error()'s text.
 */
typedef pcfmcp_error_t (*pcfmcp_resource_cb)(pcfmcp_ctx_t *ctx, const char *uri,
                                             const char *vars_json, pcfmcp_result_t *result,
                                             void *userdata);

/**
 * Renders one prompt (`prompts/get`).
 *
 * @param args_json the `arguments` object (string values), with every
 *                  required argument present (the engine checks)
 * @return as for #pcfmcp_resource_cb.
 */
typedef pcfmcp_error_t (*pcfmcp_prompt_cb)(pcfmcp_ctx_t *ctx, const char *args_json,
                                           pcfmcp_result_t *result, void *userdata);

/**
 * Suggests values for one argument (`completion/complete`).
 *
 * @param argument  the argument's name
 * @param value     what the user has typed so far
 * @param context_json JSON object of already-resolved arguments (may be `{}`)
 * @return PCFMCP_OK after adding values with pcfmcp_result_add_completion().
 */
typedef pcfmcp_error_t (*pcfmcp_complete_cb)(pcfmcp_ctx_t *ctx, const char *argument,
                                             const char *value, const char *context_json,
                                             pcfmcp_result_t *result, void *userdata);

/** Flags passed with every emitted message. */
enum {
    /** The message is the response to the request (or, with a NULL message,
     *  the request ended without a response because it was cancelled). */
    PCFMCP_EMIT_FINAL = 1u << 0,
    /** The message is a notification tied to the request (progress, log). */
    PCFMCP_EMIT_NOTIFICATION = 1u << 1,
    /** The message is a request from the server to the client (sampling,
     *  elicitation, roots); the client's response must be fed back with
     *  pcfmcp_engine_handle() on the same session. */
    PCFMCP_EMIT_REQUEST = 1u << 2,
    /** The final message is a JSON-RPC error. */
    PCFMCP_EMIT_ERROR = 1u << 3,
    /** No message (NULL json): the handler called pcfmcp_ctx_close_stream().
     *  A transport that can resume streams ends the request's stream now and
     *  delivers later messages when the client reconnects; others ignore it. */
    PCFMCP_EMIT_CLOSE_STREAM = 1u << 4
};

/**
 * Delivers one outgoing JSON-RPC message (compact JSON, no newline).
 *
 * Called on the thread handling the request; calls for one request never
 * overlap, but calls for different requests may run concurrently.
 * @p json is valid only during the call and is NULL only for a FINAL without
 * response.
 */
typedef void (*pcfmcp_emit_cb)(const char *json, size_t len, unsigned flags, void *userdata);

/** What pcfmcp_engine_handle() did with a message. */
typedef enum {
    /** A notification or a response: nothing will be emitted for it. */
    PCFMCP_HANDLED_NOTHING = 0,
    /** A request (or batch) answered completely before returning: every
     *  emit, including the FINAL one, has happened. */
    PCFMCP_HANDLED_DONE = 1,
    /** A request handed to a worker thread, or a 2026-07-28
     *  `subscriptions/listen` that stays open until it is cancelled
     *  (pcfmcp_session_cancel_all(), freeing the session; over HTTP: the
     *  client closing the stream): emits (ending with a FINAL one) follow from
     *  other threads; @p userdata must stay valid until then. */
    PCFMCP_HANDLED_PENDING = 2
} pcfmcp_handled_t;

/** How a request ended, as reported to the after-hook. */
typedef enum {
    PCFMCP_OUTCOME_OK = 0,         /**< answered with a result */
    PCFMCP_OUTCOME_TOOL_ERROR = 1, /**< answered with an `isError: true` tool result */
    PCFMCP_OUTCOME_ERROR = 2,      /**< answered with a JSON-RPC error */
    PCFMCP_OUTCOME_CANCELLED = 3,  /**< cancelled; no response sent */
    PCFMCP_OUTCOME_REFUSED = 4,    /**< refused by the before-hook */
    PCFMCP_OUTCOME_TIMEOUT = 5     /**< a tool ran past the tool timeout; answered with a tool error */
} pcfmcp_outcome_t;

/**
 * Runs once before every request's handler (and before tool argument
 * validation): for `tools/call`, `resources/read` and `prompts/get` once the
 * target is known, for every other known method before it is answered
 * (unknown methods and malformed requests are answered without it).
 *
 * @param ctx    the request; pcfmcp_ctx_set_refusal(), pcfmcp_ctx_set_trace()
 *               and pcfmcp_ctx_set_hook_data() may be used on it
 * @param method the JSON-RPC method
 * @param name   the tool or prompt name, the resource URI, or NULL
 * @param args_json the tool or prompt arguments (or NULL)
 * @param userdata as given to pcfmcp_engine_set_hooks()
 * @return PCFMCP_OK to proceed; anything else refuses the request. For
 *         `tools/call` a refusal is a tool error carrying the message set with
 *         pcfmcp_ctx_set_refusal(); for other methods a JSON-RPC error
 *         (PCFMCP_ERR_RATE_LIMITED: -32001, PCFMCP_ERR_UNAVAILABLE: -32000,
 *         anything else: -32600).
 */
typedef pcfmcp_error_t (*pcfmcp_before_hook_cb)(pcfmcp_ctx_t *ctx, const char *method,
                                                const char *name, const char *args_json,
                                                void *userdata);

/**
 * Runs after every request, on the same thread, whatever the outcome.
 *
 * @param ctx           the request (its hook data is still attached)
 * @param method        the JSON-RPC method
 * @param name          the tool or prompt name, the resource URI, or NULL
 * @param outcome       how the request ended
 * @param jsonrpc_error the JSON-RPC error code sent, or 0
 * @param seconds       time spent in the engine for this request
 * @param userdata      as given to pcfmcp_engine_set_hooks()
 */
typedef void (*pcfmcp_after_hook_cb)(pcfmcp_ctx_t *ctx, const char *method, const char *name,
                                     pcfmcp_outcome_t outcome, int jsonrpc_error,
                                     double seconds, void *userdata);

/* ------------------------------------------------------------------ engine */

/**
 * Creates an engine that introduces itself as @p name / @p version
 * (`serverInfo`). Both are copied.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_engine_new(pcfmcp_engine_t **out, const char *name,
                                            const char *version);

/**
 * Frees @p engine. Stops its worker threads after the queued requests have
 * run. Every session must have been freed first. NULL does nothing.
 */
PCFMCP_API void pcfmcp_engine_free(pcfmcp_engine_t *engine);

/** Why this thread's last failed call on @p engine failed: threads registering tools at
 *  once each read their own failure. Never NULL; "no error" when this thread's last failure
 *  was not on it. Valid until this thread's next failed call (see "Error detail" in
 *  common.h). */
PCFMCP_API const char *pcfmcp_engine_errmsg(const pcfmcp_engine_t *engine);

/** Logs through @p logger (a reference is taken). NULL stops logging. */
PCFMCP_API pcfmcp_error_t pcfmcp_engine_set_logger(pcfmcp_engine_t *engine,
                                                   pcfmcp_logger_t *logger);

/**
 * Adds optional `serverInfo` members from a JSON object: `title`,
 * `description`, `websiteUrl`, `icons`. Unknown members are refused.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_engine_set_info(pcfmcp_engine_t *engine, const char *info_json);

/** Sets the `instructions` text returned by `initialize` and `server/discover`. NULL clears it. */
PCFMCP_API pcfmcp_error_t pcfmcp_engine_set_instructions(pcfmcp_engine_t *engine,
                                                         const char *instructions);

/** Items per page of every list method (1..1000; default 100). */
PCFMCP_API pcfmcp_error_t pcfmcp_engine_set_page_size(pcfmcp_engine_t *engine, unsigned size);

/**
 * Limits applied to every incoming message: maximum JSON nesting depth
 * (default 64) and maximum batch length (default 64).
 */
PCFMCP_API pcfmcp_error_t pcfmcp_engine_set_limits(pcfmcp_engine_t *engine, unsigned max_depth,
                                                   unsigned max_batch);

/**
 * Runs `tools/call`, `resources/read`, `prompts/get` and
 * `completion/complete` on @p threads worker threads, queueing at most
 * @p queue_max requests (beyond that the request is refused as busy).
 * 0 threads (the default) runs every handler on the caller's thread.
 * Must be called before the first message.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_engine_set_threads(pcfmcp_engine_t *engine, unsigned threads,
                                                    unsigned queue_max);

/**
 * How long a handler waits for the client's answer to pcfmcp_ctx_request()
 * (default 60000 ms).
 */
PCFMCP_API pcfmcp_error_t pcfmcp_engine_set_request_timeout(pcfmcp_engine_t *engine,
                                                            unsigned timeout_ms);

/**
 * Caching hints of the 2026-07-28 revision for one list or read method
 * (`tools/list`, `prompts/list`, `resources/list`, `resources/templates/list`,
 * `resources/read`, `server/discover`): @p ttl_ms and @p scope ("public" or
 * "private"). Defaults: lists of tools, prompts and templates and
 * server/discover 300000 ms public; resources/list and resources/read 0 ms private.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_engine_set_cache_hint(pcfmcp_engine_t *engine,
                                                       const char *method, unsigned ttl_ms,
                                                       const char *scope);

/**
 * Sets the secret that protects 2026-07-28 `requestState` (at least 16
 * bytes; copied). Replicas behind one load balancer need the same secret so
 * that any of them can continue a multi round-trip request. Default: a
 * random key per engine.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_engine_set_state_key(pcfmcp_engine_t *engine, const void *key,
                                                      size_t len);

/**
 * Checks every `structuredContent` a tool returns against its outputSchema
 * and turns a mismatch into a tool error (off by default; tests turn it on).
 */
PCFMCP_API pcfmcp_error_t pcfmcp_engine_set_validate_output(pcfmcp_engine_t *engine, int on);

/**
 * Gives every tool call at most @p timeout_ms milliseconds (0, the default,
 * means no limit). Past it the engine cancels the call (the handler sees
 * pcfmcp_ctx_is_cancelled(), and any pcfmcp_ctx_request() wait ends) and,
 * once the handler returns, answers with a tool error saying the call timed
 * out; the after-hook sees PCFMCP_OUTCOME_TIMEOUT. A handler that ignores
 * cancellation delays that answer. May be changed while serving; it applies
 * to calls that start afterwards.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_engine_set_tool_timeout(pcfmcp_engine_t *engine,
                                                         unsigned timeout_ms);

/** 1 if the tool @p name declares `annotations.readOnlyHint: true`; 0 otherwise or if there is no such tool. */
PCFMCP_API int pcfmcp_engine_tool_read_only(pcfmcp_engine_t *engine, const char *name);

/** Number of live sessions on @p engine (stateless per-request sessions are not counted). */
PCFMCP_API size_t pcfmcp_engine_session_count(pcfmcp_engine_t *engine);

/** Installs hooks run around every request (either may be NULL). @p userdata is borrowed. */
PCFMCP_API pcfmcp_error_t pcfmcp_engine_set_hooks(pcfmcp_engine_t *engine,
                                                  pcfmcp_before_hook_cb before,
                                                  pcfmcp_after_hook_cb after, void *userdata);

/**
 * Registers a tool.
 *
 * @param tool_json an MCP `Tool` object: `name` (1-128 of `[A-Za-z0-9_.-]`,
 *        unique), `title`, `description`, `inputSchema` (an object schema;
 *        compiled now), optional `outputSchema`, `annotations`, `icons`,
 *        `_meta`. Copied.
 * @param cb runs the tool; @p userdata is handed to it and is borrowed.
 * @return PCFMCP_ERR_INVALID_ARG with pcfmcp_engine_errmsg() saying what is
 *         wrong with @p tool_json; PCFMCP_ERR_STATE for a duplicate name.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_engine_add_tool(pcfmcp_engine_t *engine, const char *tool_json,
                                                 pcfmcp_tool_cb cb, void *userdata);

/**
 * Opens a batch of registry changes: tools, resources, templates or
 * prompts added or removed until the matching pcfmcp_engine_batch_end()
 * are announced with one `notifications/.../list_changed` per list instead
 * of one per change (each change is visible to `tools/list` at once; only
 * the notification waits). Batches nest. Safe to call while requests run.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_engine_batch_begin(pcfmcp_engine_t *engine);

/**
 * Closes a batch; when the outermost one closes, every list that changed
 * in it is announced once. PCFMCP_ERR_STATE when no batch is open.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_engine_batch_end(pcfmcp_engine_t *engine);

/** Removes the tool @p name. PCFMCP_ERR_NOT_FOUND if there is none. */
PCFMCP_API pcfmcp_error_t pcfmcp_engine_remove_tool(pcfmcp_engine_t *engine, const char *name);

/**
 * Declares that the tool @p name exists but is withheld from this engine
 * (by policy, say), and why. It is not listed, and a `tools/call` naming it
 * is still a JSON-RPC invalid-params error (-32602) as for an unknown tool,
 * but the message reads "<name> is not offered: <reason>" and `error.data`
 * carries `{"name": ..., "reason": ...}`, so a client can tell a refusal it
 * could change from a misspelt name. A tool registered under @p name takes
 * precedence. Calling again replaces the reason; @p reason NULL forgets
 * @p name. Both strings are copied. Safe to call while requests run.
 * @param reason what withholds the tool and which setting would change
 *        that, e.g. "destructive tools are off (tools.enable_destructive)"
 * @return PCFMCP_ERR_INVALID_ARG for a NULL or empty @p name or an empty
 *         @p reason; PCFMCP_ERR_NOMEM.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_engine_withhold_tool(pcfmcp_engine_t *engine, const char *name,
                                                      const char *reason);

/** Number of registered tools. */
PCFMCP_API size_t pcfmcp_engine_tool_count(const pcfmcp_engine_t *engine);

/**
 * The registered `Tool` objects as a JSON array, in registration order.
 * @param[out] out freed with pcfmcp_free()
 */
PCFMCP_API pcfmcp_error_t pcfmcp_engine_tools_json(const pcfmcp_engine_t *engine, char **out);

/**
 * Registers a resource: an MCP `Resource` object (`uri`, `name`, optional
 * `title`, `description`, `mimeType`, `size`, `annotations`, `icons`). Copied.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_engine_add_resource(pcfmcp_engine_t *engine,
                                                     const char *resource_json,
                                                     pcfmcp_resource_cb cb, void *userdata);

/**
 * Registers a resource template: an MCP `ResourceTemplate` object
 * (`uriTemplate` per RFC 6570 levels 1-2, `name`, optional `title`,
 * `description`, `mimeType`, `annotations`, `icons`). `resources/read` on a
 * URI no plain resource claims is offered to the templates in registration order.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_engine_add_resource_template(pcfmcp_engine_t *engine,
                                                              const char *template_json,
                                                              pcfmcp_resource_cb cb,
                                                              void *userdata);

/**
 * Registers a prompt: an MCP `Prompt` object (`name`, optional `title`,
 * `description`, `arguments[{name, title, description, required}]`, `icons`).
 */
PCFMCP_API pcfmcp_error_t pcfmcp_engine_add_prompt(pcfmcp_engine_t *engine,
                                                   const char *prompt_json, pcfmcp_prompt_cb cb,
                                                   void *userdata);

/**
 * Registers completion for the prompt named @p ref (with @p ref_type
 * "ref/prompt") or the resource template whose `uriTemplate` is @p ref
 * ("ref/resource"). Declares the `completions` capability.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_engine_add_completion(pcfmcp_engine_t *engine,
                                                       const char *ref_type, const char *ref,
                                                       pcfmcp_complete_cb cb, void *userdata);

/**
 * Declares `resources.subscribe`: clients may subscribe to resource URIs and
 * receive `notifications/resources/updated` sent by
 * pcfmcp_engine_notify_resource_updated().
 */
PCFMCP_API pcfmcp_error_t pcfmcp_engine_enable_subscriptions(pcfmcp_engine_t *engine);

/** Tells every session subscribed to @p uri that the resource changed. */
PCFMCP_API pcfmcp_error_t pcfmcp_engine_notify_resource_updated(pcfmcp_engine_t *engine,
                                                                const char *uri);

/**
 * The server capabilities the engine declares right now, as a JSON object.
 * @param[out] out freed with pcfmcp_free()
 */
PCFMCP_API pcfmcp_error_t pcfmcp_engine_capabilities_json(const pcfmcp_engine_t *engine,
                                                          char **out);

/**
 * Handles one incoming JSON-RPC message (or batch) on @p session.
 *
 * Every answer, notification and server-to-client request for it is passed
 * to @p emit. Malformed input never fails this call: it produces the
 * matching JSON-RPC error (-32700, -32600, ...) through @p emit.
 *
 * @param[out] out_handled what happened (see #pcfmcp_handled_t); may be NULL
 * @return PCFMCP_OK, or PCFMCP_ERR_INVALID_ARG for NULL arguments.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_engine_handle(pcfmcp_engine_t *engine,
                                               pcfmcp_session_t *session, const char *message,
                                               size_t len, pcfmcp_emit_cb emit, void *userdata,
                                               pcfmcp_handled_t *out_handled);

/**
 * Answers one JSON-RPC message in memory: no transport, emit callback or
 * `initialize` handshake to write. The simplest way to drive an engine
 * from a test, a host's own RPC channel or a one-shot function.
 *
 * The message is handled on a private session that acts as if
 * `initialize` had been answered with #PCFMCP_PROTOCOL_LATEST_LEGACY (a
 * message whose `params._meta` names #PCFMCP_PROTOCOL_STATELESS is served
 * under that revision instead), with no client capabilities: a handler's
 * pcfmcp_ctx_request() fails as unsupported, and the notifications a
 * request emits (progress, log) are dropped. A request handed to a worker
 * thread is waited for. Nothing is kept between calls. Safe to call from
 * several threads at once.
 *
 * @param message one JSON-RPC request, notification or batch (not
 *        NUL-terminated necessarily; @p len bytes are read)
 * @param[out] out_response the response (for a batch, the array of
 *        responses) as compact JSON, freed with pcfmcp_free(); NULL for a
 *        notification or a response, which have no answer. Malformed input
 *        is answered with the matching JSON-RPC error, not a failure.
 * @return PCFMCP_OK, PCFMCP_ERR_INVALID_ARG for NULL arguments, or
 *         PCFMCP_ERR_NOMEM.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_engine_answer(pcfmcp_engine_t *engine, const char *message,
                                               size_t len, char **out_response);

/* ----------------------------------------------------------------- session */

/** Session flags. */
enum {
    /** No state survives between requests: every request is handled as if
     *  on a freshly initialised session (horizontally scaled HTTP). */
    PCFMCP_SESSION_STATELESS = 1u << 0
};

/**
 * Creates a session on @p engine. The engine must outlive it.
 * @param flags a combination of PCFMCP_SESSION_* values
 */
PCFMCP_API pcfmcp_error_t pcfmcp_session_new(pcfmcp_session_t **out, pcfmcp_engine_t *engine,
                                             unsigned flags);

/**
 * Closes @p session: cancels its requests in flight, fails its pending
 * server-to-client requests, and frees it once the last handler using it has
 * returned. NULL does nothing.
 */
PCFMCP_API void pcfmcp_session_free(pcfmcp_session_t *session);

/**
 * Sets where messages not tied to a request go: list-changed and
 * resource-updated notifications (stdio: stdout; HTTP: the GET stream).
 * NULL drops them. @p userdata is borrowed. Returns only after calls to the
 * previous sink that were already under way have returned, so its userdata
 * may be freed afterwards; never call it from inside that sink.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_session_set_notify(pcfmcp_session_t *session,
                                                    pcfmcp_emit_cb emit, void *userdata);

/** Names the caller (API key name, JWT subject); handlers see it as
 *  pcfmcp_ctx_identity(). Copied. NULL clears it. */
PCFMCP_API pcfmcp_error_t pcfmcp_session_set_identity(pcfmcp_session_t *session,
                                                      const char *identity);

/** Sets the session id a transport minted, for handlers and logs. Copied. */
PCFMCP_API pcfmcp_error_t pcfmcp_session_set_id(pcfmcp_session_t *session, const char *id);

/**
 * For stateless sessions, the protocol revision the transport learned out of
 * band (the `MCP-Protocol-Version` header). Must be one the engine supports.
 * #PCFMCP_PROTOCOL_STATELESS makes every request on the session a
 * 2026-07-28 one: a request without that `_meta` protocol version is
 * refused (-32602) rather than served as an earlier revision.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_session_set_protocol_version(pcfmcp_session_t *session,
                                                              const char *version);

/** The negotiated protocol revision, or NULL before `initialize`. Borrowed,
 *  valid while the session lives. */
PCFMCP_API const char *pcfmcp_session_protocol_version(const pcfmcp_session_t *session);

/** 1 once `initialize` has been answered (always 1 for stateless sessions). */
PCFMCP_API int pcfmcp_session_is_initialized(const pcfmcp_session_t *session);

/** Cancels every request in flight on @p session (their responses are dropped). */
PCFMCP_API void pcfmcp_session_cancel_all(pcfmcp_session_t *session);

/** Number of requests in flight on @p session. */
PCFMCP_API size_t pcfmcp_session_inflight(const pcfmcp_session_t *session);

/* ----------------------------------------------------------------- context */

/** The session id, or NULL. Borrowed for the handler's duration. */
PCFMCP_API const char *pcfmcp_ctx_session_id(const pcfmcp_ctx_t *ctx);
/** The caller's identity, or NULL when the transport authenticated nobody. */
PCFMCP_API const char *pcfmcp_ctx_identity(const pcfmcp_ctx_t *ctx);
/** The protocol revision this request is served under ("2025-11-25", "2026-07-28", ...). */
PCFMCP_API const char *pcfmcp_ctx_protocol_version(const pcfmcp_ctx_t *ctx);
/** The JSON-RPC method. */
PCFMCP_API const char *pcfmcp_ctx_method(const pcfmcp_ctx_t *ctx);
/** The JSON-RPC id as JSON text (`7` or `"abc"`). */
PCFMCP_API const char *pcfmcp_ctx_request_id(const pcfmcp_ctx_t *ctx);
/** The client's declared capabilities as a JSON object text (`{}` if none). */
PCFMCP_API const char *pcfmcp_ctx_client_capabilities(const pcfmcp_ctx_t *ctx);
/** The client's `clientInfo` as JSON text, or NULL. */
PCFMCP_API const char *pcfmcp_ctx_client_info(const pcfmcp_ctx_t *ctx);
/** The request's `params._meta` as JSON text, or NULL. */
PCFMCP_API const char *pcfmcp_ctx_meta(const pcfmcp_ctx_t *ctx);
/** 1 once the client cancelled the request (or the session closed); handlers should stop. */
PCFMCP_API int pcfmcp_ctx_is_cancelled(const pcfmcp_ctx_t *ctx);
/** Address of the cancellation flag, for code that polls it (libcurl progress callbacks).
 *  Other threads set it while the handler runs: read it with an atomic load
 *  (`__atomic_load_n(flag, __ATOMIC_RELAXED)`, or C11 `atomic_load`), as
 *  pcfmcp_ctx_is_cancelled() does. */
PCFMCP_API const volatile int *pcfmcp_ctx_cancel_flag(const pcfmcp_ctx_t *ctx);

/** The W3C `traceparent` of this request (from the transport or `_meta`), or NULL. */
PCFMCP_API const char *pcfmcp_ctx_traceparent(const pcfmcp_ctx_t *ctx);
/** The W3C `tracestate`, or NULL. */
PCFMCP_API const char *pcfmcp_ctx_tracestate(const pcfmcp_ctx_t *ctx);
/** Replaces the trace context (tracing hooks set the span they opened). Copied. */
PCFMCP_API pcfmcp_error_t pcfmcp_ctx_set_trace(pcfmcp_ctx_t *ctx, const char *traceparent,
                                               const char *tracestate);

/**
 * Sends `notifications/progress` if the request carried a progressToken
 * (otherwise does nothing and returns PCFMCP_OK).
 * @param total   negative when unknown
 * @param message may be NULL
 * @return PCFMCP_ERR_INVALID_ARG if @p progress does not increase.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_ctx_progress(pcfmcp_ctx_t *ctx, double progress, double total,
                                              const char *message);

/**
 * Sends `notifications/message` at @p level ("debug", "info", "notice",
 * "warning", "error", "critical", "alert", "emergency") if the client asked
 * for that level (`logging/setLevel`, or `_meta` on 2026-07-28).
 * @param logger    may be NULL
 * @param data_json any JSON value
 */
PCFMCP_API pcfmcp_error_t pcfmcp_ctx_log(pcfmcp_ctx_t *ctx, const char *level,
                                         const char *logger, const char *data_json);

/**
 * Asks the client something (`sampling/createMessage`, `elicitation/create`,
 * `roots/list`) and waits for the answer.
 *
 * On a 2025 session the request goes out on the request's stream and the
 * handler blocks until the response arrives, the request is cancelled or the
 * timeout passes. On 2026-07-28 the engine answers with an
 * `input_required` result instead; the handler must return
 * PCFMCP_ERR_INPUT_REQUIRED unchanged, and is run again when the client
 * retries with the input, at which point this call returns the answer.
 *
 * @param[out] out_result_json the client's result object, freed with pcfmcp_free()
 * @return PCFMCP_ERR_UNSUPPORTED if the client did not declare the needed
 *         capability, PCFMCP_ERR_PROTOCOL if it answered with an error (see
 *         pcfmcp_ctx_errmsg()), PCFMCP_ERR_TIMEOUT, PCFMCP_ERR_CANCELLED,
 *         PCFMCP_ERR_INPUT_REQUIRED.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_ctx_request(pcfmcp_ctx_t *ctx, const char *method,
                                             const char *params_json, char **out_result_json);

/**
 * Asks the transport to close the request's response stream now while the
 * handler goes on (SSE polling, SEP-1699): the client reconnects with
 * `Last-Event-ID` and receives the rest. Only resumable HTTP streams (2025
 * sessions) act on it; elsewhere it does nothing.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_ctx_close_stream(pcfmcp_ctx_t *ctx);

/**
 * Like pcfmcp_ctx_request(), naming the input request @p key in a 2026-07-28
 * `inputRequests` map (letters, digits, `_`, `-`, `.`; at most 64). On 2025
 * sessions the key is not used.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_ctx_request_keyed(pcfmcp_ctx_t *ctx, const char *key,
                                                   const char *method, const char *params_json,
                                                   char **out_result_json);

/**
 * The state this handler saved with pcfmcp_ctx_set_request_state() in the
 * previous round of a 2026-07-28 multi round-trip request, or NULL. The
 * engine carries it in the result's `requestState`, integrity-protected
 * (HMAC) together with every earlier round's answers, so a handler that runs
 * again sees all answers so far. Borrowed for the handler's duration.
 */
PCFMCP_API const char *pcfmcp_ctx_request_state(const pcfmcp_ctx_t *ctx);

/** Saves @p state (UTF-8 text; copied) for the next round of this request. */
PCFMCP_API pcfmcp_error_t pcfmcp_ctx_set_request_state(pcfmcp_ctx_t *ctx, const char *state);

/** Text of the last failure of a pcfmcp_ctx_* call on @p ctx. Never NULL. The text belongs
 *  to the request, not to a thread: it stays readable for the rest of the handler. */
PCFMCP_API const char *pcfmcp_ctx_errmsg(const pcfmcp_ctx_t *ctx);

/**
 * Attaches a pointer of the hooks' own to the request (the before-hook sets
 * it, the after-hook reads it back, e.g. a span). The engine never touches it.
 */
PCFMCP_API void pcfmcp_ctx_set_hook_data(pcfmcp_ctx_t *ctx, void *data);

/** What pcfmcp_ctx_set_hook_data() attached, or NULL. */
PCFMCP_API void *pcfmcp_ctx_hook_data(const pcfmcp_ctx_t *ctx);

/** For a before-hook: the message the client sees when the hook refuses. Copied. */
PCFMCP_API pcfmcp_error_t pcfmcp_ctx_set_refusal(pcfmcp_ctx_t *ctx, const char *message);

/* ------------------------------------------------------------------ result */

/** Adds a `text` content block (UTF-8). */
PCFMCP_API pcfmcp_error_t pcfmcp_result_add_text(pcfmcp_result_t *result, const char *text,
                                                 size_t len);
/** Adds an `image` content block; the engine base64-encodes @p data. */
PCFMCP_API pcfmcp_error_t pcfmcp_result_add_image(pcfmcp_result_t *result, const void *data,
                                                  size_t len, const char *mime_type);
/** Adds an `audio` content block; the engine base64-encodes @p data. */
PCFMCP_API pcfmcp_error_t pcfmcp_result_add_audio(pcfmcp_result_t *result, const void *data,
                                                  size_t len, const char *mime_type);
/** Adds an embedded text `resource` content block. @p mime_type may be NULL. */
PCFMCP_API pcfmcp_error_t pcfmcp_result_add_embedded_text(pcfmcp_result_t *result,
                                                          const char *uri,
                                                          const char *mime_type,
                                                          const char *text, size_t len);
/** Adds an embedded binary `resource` content block (base64-encoded for you). */
PCFMCP_API pcfmcp_error_t pcfmcp_result_add_embedded_blob(pcfmcp_result_t *result,
                                                          const char *uri,
                                                          const char *mime_type,
                                                          const void *data, size_t len);
/** Adds a `resource_link` content block from a JSON object (`uri`, `name`, ...). */
PCFMCP_API pcfmcp_error_t pcfmcp_result_add_resource_link(pcfmcp_result_t *result,
                                                          const char *link_json);
/** Adds any content block given as a JSON object (must have a `type`). */
PCFMCP_API pcfmcp_error_t pcfmcp_result_add_content_json(pcfmcp_result_t *result,
                                                         const char *content_json);
/**
 * Sets `structuredContent` (a JSON object). When the result has no content
 * block, the engine adds its JSON text for clients that predate structured content.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_result_set_structured(pcfmcp_result_t *result,
                                                       const char *json, size_t len);
/**
 * Marks a tool result as an error the model can read (`isError: true`) and
 * adds @p message as a text block; for other methods @p message becomes the
 * JSON-RPC error message. Copied.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_result_set_error(pcfmcp_result_t *result, const char *message);
/** Sets the result's `_meta` object. */
PCFMCP_API pcfmcp_error_t pcfmcp_result_set_meta(pcfmcp_result_t *result, const char *meta_json);

/** `resources/read`: adds text contents. @p mime_type may be NULL. */
PCFMCP_API pcfmcp_error_t pcfmcp_result_add_contents_text(pcfmcp_result_t *result,
                                                          const char *uri,
                                                          const char *mime_type,
                                                          const char *text, size_t len);
/** `resources/read`: adds binary contents (base64-encoded for you). */
PCFMCP_API pcfmcp_error_t pcfmcp_result_add_contents_blob(pcfmcp_result_t *result,
                                                          const char *uri,
                                                          const char *mime_type,
                                                          const void *data, size_t len);

/** `prompts/get`: sets the description. */
PCFMCP_API pcfmcp_error_t pcfmcp_result_set_description(pcfmcp_result_t *result,
                                                        const char *description);
/** `prompts/get`: adds a message with @p role "user" or "assistant" and a content block (JSON). */
PCFMCP_API pcfmcp_error_t pcfmcp_result_add_message(pcfmcp_result_t *result, const char *role,
                                                    const char *content_json);
/** `prompts/get`: adds a message with a text content block. */
PCFMCP_API pcfmcp_error_t pcfmcp_result_add_message_text(pcfmcp_result_t *result,
                                                         const char *role, const char *text);

/** `completion/complete`: adds one suggested value (at most 100 are sent). */
PCFMCP_API pcfmcp_error_t pcfmcp_result_add_completion(pcfmcp_result_t *result,
                                                       const char *value);
/** `completion/complete`: total number of matches (negative = unknown) and whether more exist. */
PCFMCP_API pcfmcp_error_t pcfmcp_result_set_completion_total(pcfmcp_result_t *result,
                                                             long total, int has_more);

PCFMCP_END_DECLS

#endif /* PCFMCP_ENGINE_H */
