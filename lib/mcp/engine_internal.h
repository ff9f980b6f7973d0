/* The MCP engine's shared internals: registry entries, sessions, request
 * contexts and result builders. Only lib/mcp/ and the transports include it. */
#ifndef PCFMCP_MCP_ENGINE_INTERNAL_H
#define PCFMCP_MCP_ENGINE_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include <cjson/cJSON.h>
#include <pcfmcp/engine.h>

#include "core/blob.h"
#include "core/buf.h"
#include "core/error.h"
#include "core/internal.h"
#include "core/threadpool.h"
#include "mcp/jsonrpc.h"
#include "mcp/schema.h"
#include "mcp/uritemplate.h"

/* ------------------------------------------------------------ registry */

typedef enum {
    PCFMCP__LIST_TOOLS = 0,
    PCFMCP__LIST_RESOURCES,
    PCFMCP__LIST_TEMPLATES,
    PCFMCP__LIST_PROMPTS,
    PCFMCP__LIST_COUNT
} pcfmcp__list_kind;

/* Entries are reference-counted so a tool removed while a call runs stays
 * alive until the call returns. */
typedef struct pcfmcp__entry {
    atomic_int refs;
    pcfmcp__list_kind kind;
    char *key;       /* tool/prompt name, resource URI, template string */
    cJSON *def;      /* the MCP object as listed */
    char *def_text;  /* its compact JSON, spliced into list pages */
    size_t def_len;
    pcfmcp__schema *input;  /* tools */
    pcfmcp__schema *output; /* tools with outputSchema */
    pcfmcp__uritemplate *tmpl; /* templates */
    void *cb;               /* pcfmcp_tool_cb / resource_cb / prompt_cb */
    void *ud;
    bool native;            /* tools: cb is a pcfmcp__native_tool_cb (mcp/native.h) */
    void *probe;            /* native tools: pcfmcp__native_probe_cb or NULL */
} pcfmcp__entry;

typedef struct {
    pcfmcp__entry **items;
    size_t len, cap;
} pcfmcp__entry_vec;

typedef struct {
    char *ref_type;
    char *ref;
    pcfmcp_complete_cb cb;
    void *ud;
} pcfmcp__completion;

/* Serialised list pages, rebuilt after a registry change (which drops the
 * old ones, and with them what transports derived from them: the gzip'ed
 * variants). Refcounted so a request can keep using the pages it looked up
 * while a writer swaps them; each page is a blob a transport sends without
 * copying it. */
typedef struct {
    atomic_int refs;
    size_t npages;
    pcfmcp__blob **legacy; /* result object text per page */
    pcfmcp__blob **modern; /* same with resultType/ttlMs/cacheScope/_meta */
} pcfmcp__pages;

typedef struct {
    unsigned ttl_ms;
    bool public_scope;
} pcfmcp__cache_hint;

enum { PCFMCP__HINT_DISCOVER = PCFMCP__LIST_COUNT, PCFMCP__HINT_READ, PCFMCP__HINT_COUNT };

struct pcfmcp_engine {
    char *name;
    char *version;
    cJSON *info_extra;      /* title, description, websiteUrl, icons */
    char *server_info_text; /* {"name":...,"version":...,...} */
    char *instructions;
    pcfmcp_logger_t *log;
    unsigned page_size;
    unsigned max_depth;
    unsigned max_batch;
    unsigned request_timeout_ms;
    pcfmcp__cache_hint hints[PCFMCP__HINT_COUNT];
    bool validate_output;
    bool subscriptions;
    pcfmcp_before_hook_cb before;
    pcfmcp_after_hook_cb after;
    void *hook_ud;

    pthread_rwlock_t reg_lock;
    pcfmcp__entry_vec lists[PCFMCP__LIST_COUNT];
    pcfmcp__completion *completions;
    size_t ncompletions;
    /* Tools the host declined to offer, with why (pcfmcp_engine_withhold_tool). */
    char **withheld;        /* name, reason, name, reason, ... */
    size_t nwithheld;       /* pairs */
    uint64_t generation[PCFMCP__LIST_COUNT];
    /* pcfmcp_engine_batch_begin/_end: nesting depth, and which lists changed
     * meanwhile (their list_changed notification waits for the end). Both
     * under reg_lock. */
    unsigned batch;
    bool batch_changed[PCFMCP__LIST_COUNT];

    pthread_mutex_t pages_lock;
    pcfmcp__pages *pages[PCFMCP__LIST_COUNT];
    uint64_t pages_gen[PCFMCP__LIST_COUNT];

    pcfmcp__pool *pool;
    unsigned threads;
    unsigned queue_max;

    pthread_mutex_t sessions_lock;
    struct pcfmcp_session *sessions; /* live sessions, for broadcasts */

    atomic_uint tool_timeout_ms;
    struct pcfmcp__watchdog *wd; /* timeout.c; created with the first timeout */
    pthread_mutex_t wd_init_lock;

    unsigned char state_key[32]; /* HMAC key of 2026-07-28 requestState */

    /* 2026-07-28 subscriptions/listen: requests parked until cancelled. */
    pthread_mutex_t listen_lock;
    struct pcfmcp__listener *listeners;
    atomic_uint nlisteners;
};

/* ------------------------------------------------------------- session */

typedef struct pcfmcp__pending {
    char id[40];
    bool done;
    cJSON *result;
    cJSON *error;
    pthread_cond_t cond;
    struct pcfmcp__pending *next;
} pcfmcp__pending;

enum { PCFMCP__SESSION_NEW = 0, PCFMCP__SESSION_INITIALIZED, PCFMCP__SESSION_READY };

struct pcfmcp_session {
    atomic_int refs;
    pcfmcp_engine_t *engine;
    unsigned flags;
    pthread_mutex_t lock;
    int state;
    char *version;
    char *client_caps_text;
    cJSON *client_caps;
    char *client_info_text;
    int log_level; /* index into the MCP level list; -1 = client never set one */
    char *identity;
    char *id;
    pcfmcp_emit_cb notify;
    void *notify_ud;
    unsigned notify_calls;   /* notify callbacks running right now */
    pthread_cond_t notify_idle; /* signalled when notify_calls drops to 0 */
    struct pcfmcp_ctx *inflight;
    pcfmcp__pending *pending;
    uint64_t next_out_id;
    char **subs;
    size_t nsubs;
    bool closed;
    struct pcfmcp_session *prev, *next; /* engine's live list */
};

/* ------------------------------------------------------------- request */

struct pcfmcp_ctx {
    pcfmcp_engine_t *engine;
    pcfmcp_session_t *session;
    cJSON *msg;             /* the whole request, owned */
    const cJSON *params;    /* into msg, may be NULL */
    const cJSON *meta;      /* params._meta, may be NULL */
    char *id_text;
    const char *method;     /* into msg */
    char *name;             /* tool/prompt name or URI for hooks and logs */
    char *version;          /* revision served */
    bool modern;
    char *caps_text;        /* client capabilities JSON text */
    cJSON *caps;            /* parsed (modern: from _meta; legacy: session copy) */
    char *client_info_text;
    char *meta_text;
    const cJSON *progress_token;
    bool has_progress;
    double last_progress;
    int log_level;          /* -1 = send all, -2 = send none */
    /* Set by the session, the timeout and listen threads while the handler
     * polls it (and libcurl's progress callback, through
     * pcfmcp_ctx_cancel_flag()): only ever touched atomically. */
    volatile int cancelled;
    bool answered;          /* response already emitted */
    bool emitted;           /* something was emitted for this request */
    pcfmcp_emit_cb emit;
    void *emit_ud;
    pthread_mutex_t emit_lock; /* a cancel may race the handler's own emits */
    char *traceparent;
    char *tracestate;
    char *refusal;
    pcfmcp__error err; /* pcfmcp_ctx_errmsg(): read by the engine after the handler */
    const cJSON *input_responses; /* 2026-07-28 multi round-trip */
    cJSON *input_requests;
    unsigned input_seq;
    cJSON *merged_inputs;   /* answers of earlier rounds (from requestState) + this one's */
    char *state_in;         /* the handler's state from the previous round */
    char *state_out;        /* the handler's state for the next round */
    cJSON *missing_caps;
    uint64_t start_ns;
    struct pcfmcp_ctx *prev, *next; /* session's in-flight list */
    void *hook_data;
    /* A tools/call looked up on the transport's thread for a worker to run
     * (dispatch.c: tools_call_inline); its revision is settled already. */
    struct pcfmcp__tool_call *tool_call;
    /* Tool timeout (timeout.c): guarded by the watchdog's lock. */
    uint64_t deadline_ms;
    bool timed_out;
    bool wd_listed;
    struct pcfmcp_ctx *wd_prev, *wd_next;
};

static inline int pcfmcp__ctx_cancelled(const struct pcfmcp_ctx *c)
{
    return __atomic_load_n(&c->cancelled, __ATOMIC_RELAXED);
}

static inline void pcfmcp__ctx_cancel(struct pcfmcp_ctx *c)
{
    __atomic_store_n(&c->cancelled, 1, __ATOMIC_RELAXED);
}

/* ------------------------------------------------------------- results */

typedef enum {
    PCFMCP__RESULT_TOOL = 0,
    PCFMCP__RESULT_READ,
    PCFMCP__RESULT_PROMPT,
    PCFMCP__RESULT_COMPLETE
} pcfmcp__result_kind;

struct pcfmcp_result {
    pcfmcp__result_kind kind;
    cJSON *items;      /* content / contents / messages / values (array) */
    cJSON *structured;
    char *structured_text; /* instead of structured: serialised by a native tool */
    size_t structured_len;
    char *rendered;        /* a native tool's whole result, sent as it is */
    size_t rendered_len;
    void (*keep)(const char *json, size_t len, void *ud); /* mcp/native.h */
    void (*drop)(void *ud);
    void *keep_ud;
    cJSON *meta;
    char *error_message;
    char *description;
    bool is_error;
    long total;
    bool total_set;
    bool has_more;
};

/* engine.c */
void pcfmcp__entry_unref(pcfmcp__entry *en);
pcfmcp__entry *pcfmcp__engine_find(pcfmcp_engine_t *e, pcfmcp__list_kind kind, const char *key);
pcfmcp__entry *pcfmcp__engine_match_template(pcfmcp_engine_t *e, const char *uri, cJSON **vars);
bool pcfmcp__engine_has(pcfmcp_engine_t *e, pcfmcp__list_kind kind);
/* Why tool @p name is withheld, as a copy for the caller to free; NULL when it is not. */
char *pcfmcp__engine_withheld_reason(pcfmcp_engine_t *e, const char *name);
bool pcfmcp__engine_has_completions(pcfmcp_engine_t *e);
bool pcfmcp__engine_find_completion(pcfmcp_engine_t *e, const char *ref_type, const char *ref,
                                    pcfmcp_complete_cb *cb, void **ud);
cJSON *pcfmcp__engine_capabilities(pcfmcp_engine_t *e, bool modern);
pcfmcp__pages *pcfmcp__engine_pages(pcfmcp_engine_t *e, pcfmcp__list_kind kind);
void pcfmcp__pages_unref(pcfmcp__pages *p);
/* Cursors: opaque, stateless, bound to the registry contents. */
char *pcfmcp__cursor_encode(pcfmcp__list_kind kind, size_t page, uint64_t gen_hash);
bool pcfmcp__cursor_decode(const char *cursor, pcfmcp__list_kind kind, uint64_t gen_hash,
                           size_t *page);
uint64_t pcfmcp__engine_list_hash(pcfmcp_engine_t *e, pcfmcp__list_kind kind);

/* session.c */
void pcfmcp__engine_broadcast_list_changed(pcfmcp_engine_t *e, pcfmcp__list_kind kind);
pcfmcp_session_t *pcfmcp__session_ref(pcfmcp_session_t *s);
void pcfmcp__session_unref(pcfmcp_session_t *s);
void pcfmcp__session_track(pcfmcp_session_t *s, pcfmcp_ctx_t *ctx);
void pcfmcp__session_untrack(pcfmcp_session_t *s, pcfmcp_ctx_t *ctx);
void pcfmcp__session_cancel(pcfmcp_session_t *s, const cJSON *request_id);
/* Cancels the requests in flight whose emit userdata is `ud` (a transport's
 * per-request stream whose client went away). Returns how many. */
size_t pcfmcp__session_cancel_ud(pcfmcp_session_t *s, const void *ud);
bool pcfmcp__session_deliver_response(pcfmcp_session_t *s, const cJSON *id, const cJSON *result,
                                      const cJSON *error);
int pcfmcp__session_log_level(pcfmcp_session_t *s);
bool pcfmcp__session_subscribed(pcfmcp_session_t *s, const char *uri);

/* dispatch.c */
/* One open subscriptions/listen request and the notifications it wants.
 * Its subscription id is the request's own JSON-RPC id (ctx->id_text). */
typedef struct pcfmcp__listener {
    pcfmcp_ctx_t *ctx;
    bool tools, prompts, resources;
    char **uris; /* resourceSubscriptions */
    size_t nuris;
    bool ending; /* the server ends it: a completion result, not silence */
    struct pcfmcp__listener *next;
} pcfmcp__listener;
/* Ends the listen requests that were cancelled (FINAL without message) or
 * that the server ends (their completion result). */
void pcfmcp__engine_reap_listeners(pcfmcp_engine_t *e);
/* Ends the listen requests of session @p s (only those emitting to @p ud
 * when it is not NULL): with @p graceful the server's own decision (a
 * shutdown), each gets its completion result; otherwise the client went
 * away and each ends silently, like a cancellation. */
void pcfmcp__engine_end_listeners(pcfmcp_engine_t *e, pcfmcp_session_t *s, const void *ud,
                                  bool graceful);
/* Sends a change notification to the listeners that asked for it. */
void pcfmcp__engine_notify_listeners(pcfmcp_engine_t *e, pcfmcp__list_kind kind, const char *uri);
/* Outcome of handling one request, for transports that map it to HTTP. */
typedef struct {
    int rpc_error; /* JSON-RPC error code of the final message, 0 if result */
    bool modern;
    bool initialize; /* the message was an initialize request */
    /* In: a request answered before pcfmcp__engine_handle() returns, with
     * nothing emitted before its answer, hands the answer over here
     * (pcfmcp__malloc'd, the caller frees it) instead of emitting it. */
    bool take_final;
    char *final_msg;
    size_t final_len;
    /* Or, for a result (a list page, a tool result), the message in three
     * parts so its body is never copied: final_head (pcfmcp__malloc'd,
     * `{"jsonrpc":"2.0","id":...,"result":`), final_body (a reference the
     * caller drops), then a closing `}`. */
    char *final_head;
    size_t final_head_len;
    pcfmcp__blob *final_body;
} pcfmcp__handle_info;
pcfmcp_error_t pcfmcp__engine_handle(pcfmcp_engine_t *e, pcfmcp_session_t *s, const char *msg,
                                     size_t len, pcfmcp_emit_cb emit, void *ud,
                                     const char *traceparent, const char *tracestate,
                                     pcfmcp_handled_t *out, pcfmcp__handle_info *info);
/* For transports that can hold their client back (stdio): whether @p msg
 * is a request that would wait for a worker (a parse of its own: call it
 * only when the queue is full), and a wait of at most @p timeout_ms for
 * room in the worker queue (true: there is room, or no queue at all). */
bool pcfmcp__engine_needs_worker(pcfmcp_engine_t *e, const char *msg, size_t len);
bool pcfmcp__engine_wait_room(pcfmcp_engine_t *e, unsigned timeout_ms);

/* timeout.c: the tool-timeout watchdog. add() arms a deadline of
 * tool_timeout_ms for a tools/call (no-op when 0); remove() disarms it and
 * must run before the context is freed; it returns true if the deadline
 * passed (ctx->timed_out). */
void pcfmcp__watchdog_add(pcfmcp_engine_t *e, pcfmcp_ctx_t *ctx);
bool pcfmcp__watchdog_remove(pcfmcp_engine_t *e, pcfmcp_ctx_t *ctx);
void pcfmcp__watchdog_free(pcfmcp_engine_t *e);

/* result.c */
pcfmcp_result_t *pcfmcp__result_new(pcfmcp__result_kind kind);
void pcfmcp__result_free(pcfmcp_result_t *r);
void pcfmcp__ctx_emit(pcfmcp_ctx_t *ctx, const char *json, size_t len, unsigned flags);
extern const char *const pcfmcp__mcp_levels[8];
int pcfmcp__mcp_level_index(const char *level);

/* Protocol revisions. */
extern const char *const pcfmcp__legacy_versions[4];
bool pcfmcp__is_legacy_version(const char *v);

#endif
