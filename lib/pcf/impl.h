/* Private to lib/pcf: the client's state, the operation table and the pieces
 * the per-group files share (transport, result building, web session). */
#ifndef PCFMCP_PCF_IMPL_H
#define PCFMCP_PCF_IMPL_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "core/buf.h"
#include "core/internal.h"
#include "core/log.h"
#include "hardening/cache_internal.h"
#include "pcf/client.h"

#define PCF_JSON_DEPTH 64
#define PCF_EXCERPT_MAX 120
#define PCF_POOL_MAX 16

/* Capabilities with a choice of channel. */
enum { PCF_CHOICE_ISSUES_WRITE, PCF_CHOICE_ISSUES_DELETE, PCF_CHOICE_POCS, PCF_NCHOICES };
enum { PCF_CH_API = 0, PCF_CH_UI = 1 };

/* Connection cache shared by a client and its siblings. Only DNS and TLS
 * sessions live in the CURLSH: libcurl documents that a shared connection
 * cache is not safe across concurrent threads, so connections are kept alive
 * inside pooled easy handles instead (a handle keeps its connections across
 * curl_easy_reset()).
 *
 * The pool is also the cap on connections: every connection holds its own
 * TLS state (the trusted CAs parsed, buffers), so at most PCF_POOL_MAX
 * handles ever exist, however many threads call PCF; a caller finding none
 * free waits for one within its time budget (pcf.total_timeout). */
typedef struct pcf_shared {
    atomic_int refs;
    CURLSH *share;
    pthread_mutex_t locks[CURL_LOCK_DATA_LAST];
    pthread_mutex_t pool_lock;
    pthread_cond_t pool_cond; /* a handle came back */
    CURL *pool[PCF_POOL_MAX]; /* idle handles */
    size_t npool;
    size_t nhandles;          /* handles in existence, idle or in use */
    /* A write after which PCF may have stopped answering (a 500 or a
     * timeout; known to hang PCF for some operations). Shared by siblings:
     * a hung PCF is hung for every account. Guarded by pool_lock; cleared
     * by the next answer of any kind. */
    char hung_label[48];
    char hung_what[48];
    int64_t hung_since; /* Unix seconds; 0 = nothing suspect */
    bool hung_known;    /* the write is one that hangs PCF (known defect) */
} pcf_shared;

typedef struct {
    char *base_url; /* without trailing '/' */
    char *ca_file, *ca_dir, *cert_file, *key_file, *key_password;
    char *basic_user, *basic_password;
    bool insecure;
    long connect_ms, request_ms, total_ms;
    size_t max_body;
    int max_attempts;
    long backoff_base_ms, backoff_max_ms;
    char *abstract_socket; /* see pcfmcp__pcf_set_abstract_socket */
} pcf_cfg;

struct pcfmcp_pcf {
    pcf_cfg cfg;
    pcf_shared *shared;
    pcfmcp_logger_t *log;
    atomic_bool used;    /* first request made: setters refuse */
    bool frozen;         /* transport settings shared with a sibling */
    bool sibling;
    atomic_bool insecure_warned;

    /* Credentials. tok_lock guards token/tok_gen/tok_invalid/tok_expiry;
     * renew_lock serialises token creation so concurrent callers that all see
     * an expired token create one replacement, not one each. */
    pthread_mutex_t tok_lock, renew_lock;
    char *token;
    unsigned tok_gen;
    bool tok_invalid;
    int64_t tok_expiry;
    char *email, *password;
    long token_duration;
    /* The current token was created by this client (or taken over from
     * token_state_file): it is disabled when the client is freed. */
    bool tok_ours;
    char *state_file; /* where the token of tok_ours is kept across restarts */
    bool state_tried; /* the state file was read (once per client) */

    unsigned char channel[PCF_NCHOICES];
    bool channel_set[PCF_NCHOICES]; /* chosen by pcfmcp_pcf_set_channel() */
    bool allow_api_issue_writes;
    /* Whether PCF's importers create findings with a working database call:
     * 0 not known yet, 1 working, 2 outdated (importers.c probes it once). */
    atomic_int issue_inserts;

    pthread_mutex_t obs_lock; /* also guards cache, tracer, gate (hooks.c) */
    pcfmcp_pcf_observer_cb obs;
    void *obs_ud;
    pcfmcp_cache_t *cache;
    pcfmcp_tracer_t *tracer;
    pcfmcp_gate_t *gate;
    char cache_ns[17]; /* hooks.c: the identity's cache namespace, once known ("" = not yet) */

    /* Web session: one easy handle with its own cookie engine; the operations
     * that use it run one at a time because each is a sequence of requests
     * (form, post, re-read) that must see one login and one CSRF token. */
    pthread_mutex_t ui_lock;
    CURL *ui;
    bool ui_logged_in;
    char *csrf;
};

struct pcfmcp_pcf_result {
    pcfmcp_error_t err;
    int status;
    int attempts;
    char *json;
    size_t json_len;
    cJSON *parsed;
    char *message;
    char *pcf_errors;
    void *data;
    size_t data_len;
    char *filename;
    char *content_type;
    bool token_rejected; /* "Token expired!" / "Token not found!": renewable */
};

/* ------------------------------------------------------------------ operations */

enum {
    PCF_F_READ = 1u << 0,   /* read-only: safe to repeat after it was sent */
    PCF_F_NOAUTH = 1u << 1, /* no access_token in the body */
    PCF_F_GET = 1u << 2,    /* GET instead of POST */
    PCF_F_UI = 1u << 3,     /* needs the web session */
    PCF_F_WRITE = 1u << 4   /* changes data */
};

struct pcf_call;
typedef pcfmcp_error_t (*pcf_hook)(struct pcf_call *c);

typedef struct {
    const char *label;
    const char *path;     /* API v1 route with {id} variables; NULL for web-only */
    const char *ids;      /* space-separated path ids of web-only operations */
    unsigned flags;
    const char *required; /* space-separated required body members */
    pcf_hook prepare;     /* body fix-ups and checks before anything is sent */
    pcf_hook run;         /* NULL = plain API v1 call */
    const char *uuids;    /* body members holding ids, checked when present (see check_uuids) */
} pcf_op_desc;

extern const pcf_op_desc pcfmcp__pcf_ops[PCFMCP__PCF_OP_COUNT];

typedef struct pcf_call {
    pcfmcp_pcf_t *pcf;
    const pcfmcp__pcf_callctx *ctx;
    pcfmcp__pcf_op op;
    const pcf_op_desc *desc;
    uint64_t deadline;
    cJSON *ids;  /* path ids by name (validated UUID strings) */
    cJSON *body; /* body fields, owned */
    pcfmcp_pcf_result_t *res;
} pcf_call;

/* Runs the operation's API v1 route (token, renewal, parse). */
pcfmcp_error_t pcfmcp__pcf_api_exec(pcf_call *c);
/* Runs another operation inside @p c (same context, deadline, attempts),
 * with its result in @p sub (caller frees). */
pcfmcp_error_t pcfmcp__pcf_subcall(pcf_call *c, pcfmcp__pcf_op op, const cJSON *args,
                                   pcfmcp_pcf_result_t **sub);
const char *pcfmcp__pcf_id(const pcf_call *c, const char *name);
bool pcfmcp__pcf_has_login(pcfmcp_pcf_t *pcf);

/* Per-group hooks referenced from the table. */
pcfmcp_error_t pcfmcp__pcf_prep_project_create(pcf_call *c);
pcfmcp_error_t pcfmcp__pcf_prep_rules(pcf_call *c);
pcfmcp_error_t pcfmcp__pcf_prep_port_create(pcf_call *c);
pcfmcp_error_t pcfmcp__pcf_prep_team_logs(pcf_call *c);
pcfmcp_error_t pcfmcp__pcf_run_network_create(pcf_call *c);
pcfmcp_error_t pcfmcp__pcf_run_token_disable(pcf_call *c);
pcfmcp_error_t pcfmcp__pcf_run_token_check(pcf_call *c);
pcfmcp_error_t pcfmcp__pcf_run_token_create(pcf_call *c);
pcfmcp_error_t pcfmcp__pcf_run_check(pcf_call *c);
pcfmcp_error_t pcfmcp__pcf_run_issue_create(pcf_call *c);
pcfmcp_error_t pcfmcp__pcf_run_issue_update(pcf_call *c);
pcfmcp_error_t pcfmcp__pcf_run_issue_delete(pcf_call *c);
pcfmcp_error_t pcfmcp__pcf_prep_poc_add(pcf_call *c);
pcfmcp_error_t pcfmcp__pcf_run_poc_add(pcf_call *c);
pcfmcp_error_t pcfmcp__pcf_run_snapshot(pcf_call *c);
pcfmcp_error_t pcfmcp__pcf_run_credentials_list(pcf_call *c);
pcfmcp_error_t pcfmcp__pcf_run_credential_create(pcf_call *c);
pcfmcp_error_t pcfmcp__pcf_run_credential_update(pcf_call *c);
pcfmcp_error_t pcfmcp__pcf_run_credential_delete(pcf_call *c);
pcfmcp_error_t pcfmcp__pcf_run_notes_list(pcf_call *c);
pcfmcp_error_t pcfmcp__pcf_run_note_create(pcf_call *c);
pcfmcp_error_t pcfmcp__pcf_run_note_edit(pcf_call *c);
pcfmcp_error_t pcfmcp__pcf_run_scan_import(pcf_call *c);
pcfmcp_error_t pcfmcp__pcf_run_report_render(pcf_call *c);

/* Helpers for the public wrappers: parse @p body_json into a fresh object
 * (NULL text = empty object) and run @p op. Both take ownership of @p args. */
pcfmcp_error_t pcfmcp__pcf_public(pcfmcp_pcf_t *pcf, pcfmcp__pcf_op op, cJSON *args,
                                  const char *body_json, pcfmcp_pcf_result_t **out);
/* pcfmcp__pcf_public() with @p n string members given as name, value pairs
 * (a NULL value is left out, so the required-member check names it). */
pcfmcp_error_t pcfmcp__pcf_run_strs(pcfmcp_pcf_t *pcf, pcfmcp__pcf_op op, const char *body_json,
                                    pcfmcp_pcf_result_t **out, int n, ...);
/* Sets *out to a new result failing with @p err and @p msg. */
pcfmcp_error_t pcfmcp__pcf_early(pcfmcp_pcf_result_t **out, pcfmcp_error_t err, const char *msg);
/* Adds a string member unless @p v is NULL (keeps a sticky failure in *ok). */
void pcfmcp__pcf_put_str(cJSON *o, const char *k, const char *v, bool *ok);
void pcfmcp__pcf_put_num(cJSON *o, const char *k, double v, bool *ok);
void pcfmcp__pcf_put_bool(cJSON *o, const char *k, bool v, bool *ok);

/* ------------------------------------------------------------------ hooks.c */

typedef struct {
    pcfmcp_cache_t *cache;
    pcfmcp_tracer_t *tracer;
    pcfmcp_gate_t *gate;
    char cache_ns[17]; /* hooks.c: the identity's cache namespace, once known ("" = not yet) */
} pcf_hooks;

void pcfmcp__pcf_hooks_get(pcfmcp_pcf_t *pcf, pcf_hooks *h);
void pcfmcp__pcf_hooks_copy(pcfmcp_pcf_t *to, pcfmcp_pcf_t *from);
/* Request-scoped log fields of a call context (trace must hold 33 bytes). */
void pcfmcp__pcf_log_fields(const pcfmcp__pcf_callctx *ctx, pcfmcp__log_fields *f,
                            char trace[33]);
/* A hit fills @p res and returns true. On a miss of a cacheable operation
 * *key_out receives the key to store the answer under (caller frees) and
 * @p ticket what the store needs to know it is still fresh; NULL when the
 * answer must not be kept. */
bool pcfmcp__pcf_cache_lookup(pcfmcp_pcf_t *pcf, pcfmcp_cache_t *cache, pcfmcp__pcf_op op,
                              const cJSON *args, pcfmcp_pcf_result_t *res, char **key_out,
                              pcfmcp__cache_ticket *ticket);
/* The same, never a hit (the read half of a read-modify-write): the key
 * and ticket are given, so the fresh answer replaces what the cache held. */
bool pcfmcp__pcf_cache_lookup_fresh(pcfmcp_pcf_t *pcf, pcfmcp_cache_t *cache, pcfmcp__pcf_op op,
                                    const cJSON *args, bool fresh, pcfmcp_pcf_result_t *res,
                                    char **key_out, pcfmcp__cache_ticket *ticket);
void pcfmcp__pcf_cache_store(pcfmcp_cache_t *cache, const char *key,
                             const pcfmcp__cache_ticket *ticket, const cJSON *args,
                             const pcfmcp_pcf_result_t *res);
/* After a write (whatever its outcome): drops what it may have made stale. */
void pcfmcp__pcf_cache_invalidate(pcfmcp_cache_t *cache, pcfmcp__pcf_op op, const cJSON *args);

/* ------------------------------------------------------------------ results */

pcfmcp_pcf_result_t *pcfmcp__pcf_result_new(void);
void pcfmcp__pcf_result_clear(pcfmcp_pcf_result_t *res); /* keeps attempts */
pcfmcp_error_t pcfmcp__pcf_fail(pcfmcp_pcf_result_t *res, pcfmcp_error_t err, const char *fmt,
                                ...) PCFMCP_PRINTF(3, 4);
/* Makes @p doc (owned) the result's JSON and sets PCFMCP_OK. */
pcfmcp_error_t pcfmcp__pcf_succeed(pcfmcp_pcf_result_t *res, cJSON *doc);
/* Moves the outcome of @p from into @p to (attempts are added). */
void pcfmcp__pcf_result_move(pcfmcp_pcf_result_t *to, pcfmcp_pcf_result_t *from);
/* Sets res->pcf_errors from a cJSON array of strings and the joined message. */
pcfmcp_error_t pcfmcp__pcf_fail_errors(pcfmcp_pcf_result_t *res, pcfmcp_error_t err,
                                       const cJSON *errors, const char *prefix);

/* One answer from PCF, as classified by the pure functions below. */
typedef struct {
    long status;
    const char *content_type; /* may be NULL */
    const char *body;
    size_t len;
    bool basic_configured;
} pcfmcp__pcf_answer;

/* Classifies an API v1 answer into @p res (error class, message, JSON). */
void pcfmcp__pcf_classify_api(pcfmcp_pcf_result_t *res, const pcfmcp__pcf_answer *a);
/* At most PCF_EXCERPT_MAX bytes of @p body (fewer when @p out_size is
 * smaller), valid UTF-8 never cut inside a character, control characters and
 * runs of white space folded to one space; NUL-terminated in out[out_size]. */
void pcfmcp__pcf_excerpt(const char *body, size_t len, char *out, size_t out_size);
/* Message for an unexpected HTTP status. */
pcfmcp_error_t pcfmcp__pcf_fail_status(pcfmcp_pcf_result_t *res, const pcfmcp__pcf_answer *a);

/* ------------------------------------------------------------------ HTML and headers */

/* The value of <input ... name="csrf_token" value="..."> (malloc'd) or NULL. */
char *pcfmcp__pcf_html_csrf(const char *html, size_t len);
/* True when the page carries PCF's error block ("There were some errors
 * with ..."); *errors (may be NULL) receives the <li> texts as a cJSON array. */
bool pcfmcp__pcf_html_errors(const char *html, size_t len, cJSON **errors);
bool pcfmcp__pcf_html_has(const char *html, size_t len, const char *marker);
/* Reads one attribute of a tag starting at *p (< end): its name and its raw
 * value (NULL without '='). Quote-aware, so a '>' inside a value does not
 * end the tag. Returns false at the tag's end. */
bool pcfmcp__pcf_html_next_attr(const char **p, const char *end, const char **name,
                                size_t *nlen, const char **val, size_t *vlen);
/* Path (from the first '/' after any scheme://authority) of a Location value,
 * without the fragment; and the fragment without '#'. malloc'd; NULL on OOM. */
char *pcfmcp__pcf_location_path(const char *location);
char *pcfmcp__pcf_location_fragment(const char *location);
/* The value of one header line as libcurl hands it over ("Name: value\r\n",
 * @p name_len the length of Name): trimmed, at most 4096 bytes, malloc'd;
 * NULL on OOM. */
char *pcfmcp__pcf_header_value(const char *line, size_t len, size_t name_len);
/* True when a redirect goes to /login or /logout: the web session is gone. */
bool pcfmcp__pcf_location_is_login(const char *location);
/* The UUID that follows @p marker ("/issue/", "note_") in @p s into out[37]. */
bool pcfmcp__pcf_find_uuid_after(const char *s, const char *marker, char out[37]);
/* File name of a Content-Disposition value (filename*= preferred), reduced to
 * a safe base name; malloc'd, or NULL when there is none. */
char *pcfmcp__pcf_content_disposition_filename(const char *value);

/* ------------------------------------------------------------------ PCF's defects */

/* The channel @p choice effectively uses (explicit choice, else the default
 * that pcf.allow_api_issue_writes shifts for issue writes). */
int pcfmcp__pcf_channel(const pcfmcp_pcf_t *pcf, int choice);
/* What PCF is known to do wrong when @p op answers HTTP 500, or NULL: one
 * sentence saying which versions, why and what to do instead. */
const char *pcfmcp__pcf_known_500(pcfmcp__pcf_op op);
/* True when a 500 from @p op leaves PCF hung (its database lock held). */
bool pcfmcp__pcf_op_hangs_pcf(pcfmcp__pcf_op op);
/* Records that write @p label ended with @p what ("HTTP 500", "no answer")
 * and PCF may be hung since; @p known: a write known to hang PCF. */
void pcfmcp__pcf_hung_mark(pcfmcp_pcf_t *pcf, const char *label, const char *what, bool known);
/* Any answer from PCF: it is not hung. */
void pcfmcp__pcf_hung_clear(pcfmcp_pcf_t *pcf);
/* Tests and fuzzing only: connect to the Linux abstract Unix socket @p name
 * (without its leading NUL) instead of the URL's host and port, which then
 * only name the site (Host, cookies). Before the first request, like every
 * transport setting; siblings inherit it. */
pcfmcp_error_t pcfmcp__pcf_set_abstract_socket(pcfmcp_pcf_t *pcf, const char *name);
/* Appends to out[n] a sentence saying since when and after which write PCF
 * appears hung (with a leading space), or nothing; returns true if it did. */
bool pcfmcp__pcf_hung_hint(pcfmcp_pcf_t *pcf, char *out, size_t n);

/* ------------------------------------------------------------------ transport */

typedef struct {
    const char *label;
    bool post;
    const char *path; /* escaped path and query, starting with '/' */
    const char *content_type;
    const char *body;
    size_t body_len;
    curl_mime *mime; /* built on pcf->ui */
    const char *referer;
    bool read_only;
    bool ui; /* on the web-session handle; the caller holds ui_lock */
    bool long_running; /* may use the call's whole remaining budget (PCF imports a
                          large scan for minutes), not just pcf.request_timeout */
} pcf_http_req;

typedef struct {
    long status;
    pcfmcp__buf body;
    char *content_type, *location, *content_disposition;
} pcf_http_resp;

/* Sends @p req with the retry policy. PCFMCP_OK when an HTTP answer came
 * (whatever its status; @p resp holds it), else the transport error, with the
 * message in c->res. */
pcfmcp_error_t pcfmcp__pcf_http(pcf_call *c, const pcf_http_req *req, pcf_http_resp *resp);
void pcfmcp__pcf_http_resp_free(pcf_http_resp *resp);
/* Locks @p m, giving up at the call's deadline or on cancellation (the
 * result of @p c is then set). */
pcfmcp_error_t pcfmcp__pcf_lock_until(pcf_call *c, pthread_mutex_t *m, const char *what);
pcf_shared *pcfmcp__pcf_shared_new(void);
void pcfmcp__pcf_shared_unref(pcf_shared *s);
/* Appends @p s percent-encoded (everything but unreserved characters). */
void pcfmcp__pcf_urlencode(pcfmcp__buf *b, const char *s, size_t n);

/* ------------------------------------------------------------------ web session */

typedef struct {
    char *name;
    char *value;
    size_t len;
    char *filename; /* non-NULL: a file part */
    char *ctype;
    /* A streamed file part: read through these instead of value/len. */
    curl_read_callback read;
    curl_seek_callback seek;
    void *ud;
    curl_off_t size;
} pcf_field;

typedef struct {
    pcf_field *v;
    size_t n, cap;
    bool failed;
    bool multipart;
} pcf_form;

void pcfmcp__pcf_form_add(pcf_form *f, const char *name, const char *value);
void pcfmcp__pcf_form_addn(pcf_form *f, const char *name, const char *value, size_t len);
void pcfmcp__pcf_form_add_file(pcf_form *f, const char *name, const char *filename,
                               const char *ctype, const void *data, size_t len);
/* A file part libcurl reads through @p read (rewound with @p seek to 0 each
 * time the form is built) instead of a copy: @p ud must outlive the request. */
void pcfmcp__pcf_form_add_stream(pcf_form *f, const char *name, const char *filename,
                                 const char *ctype, curl_off_t size, curl_read_callback read,
                                 curl_seek_callback seek, void *ud);
void pcfmcp__pcf_form_free(pcf_form *f);

typedef struct {
    const char *label;
    bool post;
    const char *path;
    const pcf_form *form; /* NULL for GET */
    const char *referer;  /* absolute URL or NULL */
    bool read_only;
    bool long_running; /* see pcf_http_req */
} pcf_ui_req;

/* Takes the web session (waiting no longer than the call's deadline) and logs
 * in when needed. On failure the result is set and nothing is held. */
pcfmcp_error_t pcfmcp__pcf_ui_begin(pcf_call *c);
void pcfmcp__pcf_ui_end(pcf_call *c);
/* One web request with csrf_token added to forms; logs in again once and
 * repeats when PCF redirects to /login or rejects the CSRF token (in both
 * cases PCF refused before acting, so repeating cannot duplicate anything). */
pcfmcp_error_t pcfmcp__pcf_ui_request(pcf_call *c, const pcf_ui_req *r, pcf_http_resp *resp);
/* GET the project's JSON export into *doc (owned by the caller). */
pcfmcp_error_t pcfmcp__pcf_ui_snapshot(pcf_call *c, const char *project_id, cJSON **doc);
/* "/project/<pid><rest>", pid escaped; malloc'd. */
char *pcfmcp__pcf_project_path(const char *pid, const char *rest);
/* Adds ip_port-N / host_port-N fields for @p services, given in API v1 form
 * ({port_id: [hostname_id or "0"]}) or export form ({port_id: {"is_ip",
 * "hostnames"}}). Fails with PCFMCP_ERR_INVALID_ARG on ids that are not UUIDs. */
pcfmcp_error_t pcfmcp__pcf_form_services(pcf_call *c, pcf_form *f, const cJSON *services);
/* Succeeds with {"status": "ok"} plus @p key: @p id when @p key is set. */
pcfmcp_error_t pcfmcp__pcf_ok_with_id(pcf_call *c, const char *key, const char *id);
/* Maps a web answer that is neither the expected redirect nor a clean page. */
pcfmcp_error_t pcfmcp__pcf_ui_unexpected(pcf_call *c, const pcf_http_resp *resp,
                                         const char *what);
/* The absolute URL for @p path (for Referer headers); malloc'd. */
char *pcfmcp__pcf_abs_url(pcfmcp_pcf_t *pcf, const char *path);

/* Observer and logging helpers. */
void pcfmcp__pcf_observe(pcfmcp_pcf_t *pcf, const char *label, long status, pcfmcp_error_t err,
                         double secs, int attempt);
void pcfmcp__pcf_add_secret(pcfmcp_pcf_t *pcf, const char *secret);

#endif
