/* The Streamable HTTP transport on libmicrohttpd.
 *
 * Shape of a POST: the body is buffered (bounded), checked, and fed to the
 * engine with a per-request "stream" as the emit target. What the engine
 * emits decides the answer: a lone final message becomes application/json,
 * anything before it turns the answer into an SSE stream. A request handed
 * to a worker suspends the MHD connection; the first emit resumes it, so no
 * HTTP thread ever waits for a tool. SSE bodies come from a content reader
 * that suspends the connection whenever its stream has nothing to send.
 *
 * Suspended connections are invisible to MHD, so run() doubles as the
 * housekeeper: it sends SSE keep-alives, notices clients that hung up on a
 * suspended connection (and cancels their request), expires idle sessions,
 * frees retired TLS certificates and cuts connections that have not
 * delivered a complete request in time (MHD's own timeout is reset by every
 * byte, so a client dripping one byte a second would never hit it). */
#include "core/internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <microhttpd.h>
#include <pcfmcp/http.h>

#include "core/alloc.h"
#include "core/blob.h"
#include "core/error.h"
#include "core/json.h"
#include "core/log.h"
#include "core/util.h"
#include "mcp/engine_internal.h"
#include "transport/http_internal.h"

/* epoll where configure found it (Linux); poll() elsewhere and in
 * --enable-portable builds, which CI runs the transport tests in. */
#if defined(HAVE_SYS_EPOLL_H) && !defined(PCFMCP_PORTABLE)
#define PCFMCP_MHD_EVENT_LOOP MHD_USE_EPOLL
#else
#define PCFMCP_MHD_EVENT_LOOP MHD_USE_POLL
#endif

#define SHARDS 64
#define ID_MAX 64
#define IDENT_MAX 256
#define TICK_MS 250
/* Connections beyond server.max_connections kept for /healthz, /readyz and
 * /metrics (without a listener of their own), so probes and scrapes are
 * answered when MCP clients hold every slot; each gets one answer and is
 * closed, and must send its request within RESERVE_READ_MS. */
#define OPS_RESERVE 4
#define RESERVE_READ_MS 2000
#define DEFAULT_PRIORITIES                                                                        \
    "SECURE256:+SECURE128:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:-SHA1:-RSA:-DHE-RSA:-CAMELLIA-128-" \
    "CBC:-CAMELLIA-256-CBC:-AES-128-CBC:-AES-256-CBC:%SERVER_PRECEDENCE"

struct pcfmcp_http_text {
    pcfmcp__buf buf;
};

/* ------------------------------------------------------------- streams */

typedef struct ev {
    struct ev *next;
    uint64_t seq;
    size_t len;
    char data[];
} ev;

typedef enum { MODE_PENDING = 0, MODE_JSON, MODE_SSE } stream_mode;

struct sess;
struct req;

/* Fields grouped by size (pointers and counters, then ints, then flags) so
 * the struct carries no padding. */
typedef struct stream {
    struct pcfmcp_http *h;
    pcfmcp_session_t *es;  /* engine session the request runs on (ref) */
    struct sess *owner;    /* while its POST is open: where to retain it (weak) */
    ev *head, *tail;
    size_t nev;
    uint64_t next_seq;
    ev *cur;               /* next event for the attached connection */
    size_t cur_off;
    char *final_json;      /* MODE_JSON answer */
    size_t final_len;
    char *final_head;      /* or in parts: head, shared body, "}" (never copied) */
    size_t final_head_len;
    pcfmcp__blob *final_body;
    /* the consumer */
    struct MHD_Connection *conn;
    struct req *rq;
    uint64_t last_io_ms;
    struct stream *snext;  /* session's retained streams, oldest first */
    struct stream *lprev, *lnext; /* transport's list of attached streams */
    pthread_mutex_t lock;
    atomic_int refs;
    uint32_t id;           /* per-session number in event ids; 0 = no ids */
    stream_mode mode;
    int rpc_code;
    bool own_es;           /* ephemeral: freed with the stream */
    bool resumable;        /* events carry ids and stay for Last-Event-ID */
    bool standalone;       /* a session's GET stream */
    bool cancel_on_close;  /* the client leaving cancels the request */
    bool priming;          /* start the SSE body with a priming event */
    bool listen;           /* a subscriptions/listen stream: ended on stop */
    bool keepalive;        /* send a comment line next */
    bool final_seen;
    bool final_error;
    bool engine_busy;      /* the engine still holds a reference */
    bool suspended;        /* the consumer's connection is parked */
    bool gone;             /* the client hung up */
    bool closing;          /* end the SSE body after what is queued */
    bool cut;              /* end this SSE body now; the client resumes (SEP-1699) */
    bool ended;            /* the attached body has ended (its request may not have yet) */
    bool listed;           /* on the transport's list (lprev/lnext) */
} stream;

/* -------------------------------------------------------------- sessions */

typedef struct sess {
    atomic_int refs;
    char id[ID_MAX];
    struct pcfmcp_http *h;
    pcfmcp_session_t *es;
    _Atomic uint64_t last_used_ms;
    pthread_mutex_t lock;
    stream *streams; /* retained resumable streams, oldest first */
    size_t nstreams;
    uint32_t next_stream;
    stream *get_stream;
    char identity[IDENT_MAX];
    char caller[IDENT_MAX + 8]; /* whose session slot it holds ("id:..."/"ip:...") */
    bool slot;                  /* holds a slot of h->slots */
    bool gone;
    struct sess *hnext;
} sess;

typedef struct {
    pthread_mutex_t lock;
    sess *head;
} shard;

/* ------------------------------------------------------ per-connection */

typedef struct conn_ctx {
    struct pcfmcp_http *h;
    struct conn_ctx *wprev, *wnext; /* the read watchdog's list (h->wd_lock) */
    /* When the request being read must be complete; 0 while none is being
     * read (its handler runs, its answer or SSE stream is being sent). */
    _Atomic uint64_t read_deadline_ms;
    atomic_bool cut; /* the read deadline ended it */
    bool counted;    /* one of h->mcp_connections */
    bool reserved;   /* beyond the cap: health and metrics only */
    int fd;         /* MHD's: shutdown() only, never close() */
    int cert_state; /* 0 unchecked, 1 verified, -1 none, -2 invalid */
    char peer[INET6_ADDRSTRLEN];
    char cert_subject[IDENT_MAX];
} conn_ctx;

enum { ROUTE_NONE = 0, ROUTE_POST, ROUTE_GET, ROUTE_DELETE, ROUTE_OPS, ROUTE_PRM, ROUTE_PREFLIGHT, ROUTE_REFUSED, ROUTE_DONE };

typedef struct req {
    struct pcfmcp_http *h;
    int route;
    pcfmcp__buf body;
    bool too_big;
    uint64_t start_ns;
    unsigned status;
    const char *label; /* static */
    stream *st;
    sess *se;          /* ref */
    bool tentative;    /* se was created for a would-be initialize */
    bool inserted;     /* ... and made it into the session table */
    bool initialize;   /* the engine saw an initialize request */
    bool waiting;      /* suspended until the engine emits */
    bool modern;
    bool gzip_ok;
    bool defer;        /* first call: record refusals, send them after the body */
    const char *url;   /* libmicrohttpd's, valid for the request */
    const char *method; /* libmicrohttpd's, valid for the request */
    const char *cors_origin; /* an allowed Origin to echo, or NULL */
    unsigned ref_status;
    int ref_code;
    char ref_msg[256];
    char ref_hdr[32];
    char ref_hval[640];
    char identity[IDENT_MAX];
} req;

struct pcfmcp_http {
    pcfmcp_engine_t *engine;
    pcfmcp_logger_t *log;
    char *host;
    unsigned port;
    char *ops_host;
    unsigned ops_port;
    bool ops_separate;
    int metrics_auth; /* pcfmcp_http_metrics_auth_t */
    char *path;
    size_t path_len;
    bool stateless;
    bool insecure_no_auth;
    char *origins;
    char *hosts;
    char *public_url;
    unsigned long long lim[PCFMCP_HTTP_LIMIT_SESSIONS_PER_CALLER + 1];
    char *tls_cert, *tls_key, *tls_ca, *tls_prio;
    pcfmcp__tls_store *tls;
    pcfmcp_http_auth_cb auth_cb;
    pcfmcp_http_metadata_cb meta_cb;
    void *auth_ud;
    pcfmcp_http_readiness_cb ready_cb;
    void *ready_ud;
    pcfmcp_http_metrics_cb metrics_cb;
    void *metrics_ud;
    pcfmcp_http_admission_cb admit_cb;
    void *admit_ud;
    pcfmcp_http_observer_cb obs_cb;
    void *obs_ud;
    pcfmcp_http_client_address_cb addr_cb;
    void *addr_ud;
    pcfmcp_http_refusal_cb refusal_cb;
    void *refusal_ud;
    pcfmcp__store *store; /* shared store: session ids name their replica */
    atomic_bool told_misrouted;

    struct MHD_Daemon *d;
    struct MHD_Daemon *ops;
    bool loopback;
    unsigned bound_port;
    unsigned bound_ops_port;
    int stop_pipe[2];
    atomic_bool draining;
    atomic_bool final_stop;
    atomic_uint connections;
    atomic_uint mcp_connections; /* on the MCP listener, for the cap */
    atomic_uint inflight; /* requests the engine still holds */

    shard shards[SHARDS];
    atomic_uint nsessions;
    pcfmcp__http_slots *slots; /* the session cap and each caller's share */

    pthread_mutex_t live_lock;
    stream *live; /* streams with a connection attached */

    /* Every open connection, for the request read deadline. NOTIFY_CLOSED
     * takes the lock before MHD closes the descriptor, so a deadline acted
     * on under it can never reach a descriptor number already reused. */
    pthread_mutex_t wd_lock;
    struct conn_ctx *wd_head;
    atomic_ullong read_timeouts;
    atomic_ullong unanswered;
};

static void sess_retain(struct sess *s, stream *st);

/* ================================================================ streams */

static stream *stream_new(pcfmcp_http_t *h)
{
    stream *st = pcfmcp__calloc(1, sizeof(*st));
    if (!st)
        return NULL;
    atomic_init(&st->refs, 1);
    pthread_mutex_init(&st->lock, NULL);
    st->h = h;
    st->last_io_ms = pcfmcp__now_ms();
    return st;
}

static stream *stream_ref(stream *st)
{
    atomic_fetch_add(&st->refs, 1);
    return st;
}

static void stream_unref(stream *st)
{
    if (!st || atomic_fetch_sub(&st->refs, 1) != 1)
        return;
    while (st->head) {
        ev *n = st->head->next;
        pcfmcp__free(st->head);
        st->head = n;
    }
    pcfmcp__free(st->final_json);
    pcfmcp__free(st->final_head);
    pcfmcp__blob_unref(st->final_body);
    if (st->es) {
        if (st->own_es)
            pcfmcp_session_free(st->es);
        else
            pcfmcp__session_unref(st->es);
    }
    pthread_mutex_destroy(&st->lock);
    pcfmcp__free(st);
}

/* Resumes the parked connection, if any. Caller holds st->lock. */
static void stream_wake(stream *st)
{
    if (st->suspended && st->conn) {
        st->suspended = false;
        MHD_resume_connection(st->conn);
    }
}

/* SSE framing. Events are byte runs with a length, never C strings, so the
 * pieces are copied without their NULs. */
#define SSE_MESSAGE "event: message\ndata: "
#define SSE_END "\n\n"
#define SSE_PRIMING "retry: 1000\ndata: \n\n"
#define SSE_KEEPALIVE ":\n\n"
#define LIT_LEN(lit) (sizeof(lit) - 1)

/* Appends one SSE event (`json` NULL: the priming event). Caller holds the lock. */
static bool stream_push(stream *st, const char *json, size_t len)
{
    pcfmcp_http_t *h = st->h;
    char idbuf[48] = "";
    uint64_t seq = st->next_seq++;
    size_t idn = 0;
    if (st->resumable)
        idn = (size_t)snprintf(idbuf, sizeof(idbuf), "id: %u_%llu\n", (unsigned)st->id,
                               (unsigned long long)seq);
    size_t need;
    if (json)
        need = idn + LIT_LEN(SSE_MESSAGE) + len + LIT_LEN(SSE_END);
    else
        need = idn + LIT_LEN(SSE_PRIMING);
    ev *e = pcfmcp__malloc(sizeof(*e) + need);
    if (!e)
        return false;
    e->next = NULL;
    e->seq = seq;
    char *p = e->data;
    memcpy(p, idbuf, idn);
    p += idn;
    if (json) {
        memcpy(p, SSE_MESSAGE, LIT_LEN(SSE_MESSAGE));
        p += LIT_LEN(SSE_MESSAGE);
        memcpy(p, json, len);
        p += len;
        memcpy(p, SSE_END, LIT_LEN(SSE_END));
        p += LIT_LEN(SSE_END);
    } else {
        memcpy(p, SSE_PRIMING, LIT_LEN(SSE_PRIMING));
        p += LIT_LEN(SSE_PRIMING);
    }
    e->len = (size_t)(p - e->data);
    if (st->tail)
        st->tail->next = e;
    else
        st->head = e;
    st->tail = e;
    st->nev++;
    if (!st->cur) {
        st->cur = e;
        st->cur_off = 0;
    }
    /* Bounded replay buffer: drop the oldest event once past the limit,
     * even one the client has not seen yet (a client that stopped
     * reading must not grow us without end). */
    size_t max = (size_t)h->lim[PCFMCP_HTTP_LIMIT_SSE_BUFFER_EVENTS];
    while (st->nev > max && st->head) {
        ev *old = st->head;
        if (old == st->cur) {
            if (!st->resumable)
                break; /* unsent and not replayable: keep it */
            PCFMCP_LOG(h->log, PCFMCP_LOG_WARN, "http",
                       "SSE client is not reading: dropped an unsent event");
            st->cur = old->next;
            st->cur_off = 0;
        }
        st->head = old->next;
        if (!st->head)
            st->tail = NULL;
        st->nev--;
        pcfmcp__free(old);
    }
    return true;
}

/* Frees events already sent on streams that cannot be replayed. */
static void stream_trim_sent(stream *st)
{
    if (st->resumable)
        return;
    while (st->head && st->head != st->cur) {
        ev *old = st->head;
        st->head = old->next;
        if (!st->head)
            st->tail = NULL;
        st->nev--;
        pcfmcp__free(old);
    }
}

static void live_add(pcfmcp_http_t *h, stream *st)
{
    pthread_mutex_lock(&h->live_lock);
    if (!st->listed) {
        stream_ref(st);
        st->listed = true;
        st->lprev = NULL;
        st->lnext = h->live;
        if (h->live)
            h->live->lprev = st;
        h->live = st;
    }
    pthread_mutex_unlock(&h->live_lock);
}

static void live_remove(pcfmcp_http_t *h, stream *st)
{
    bool was = false;
    pthread_mutex_lock(&h->live_lock);
    if (st->listed) {
        if (st->lprev)
            st->lprev->lnext = st->lnext;
        else
            h->live = st->lnext;
        if (st->lnext)
            st->lnext->lprev = st->lprev;
        st->lprev = st->lnext = NULL;
        st->listed = false;
        was = true;
    }
    pthread_mutex_unlock(&h->live_lock);
    if (was)
        stream_unref(st);
}

/* The engine's emit target for one request. */
static int code_of(const char *json, size_t len)
{
    cJSON *m = NULL;
    int code = 0;
    if (pcfmcp__json_parse(json, len, 16, &m, NULL) == PCFMCP__JSON_OK) {
        const cJSON *e = cJSON_GetObjectItemCaseSensitive(m, "error");
        const cJSON *c = cJSON_GetObjectItemCaseSensitive(e, "code");
        if (cJSON_IsNumber(c))
            code = (int)c->valuedouble;
    }
    cJSON_Delete(m);
    return code;
}

static void engine_done(stream *st)
{
    atomic_fetch_sub(&st->h->inflight, 1);
    stream_unref(st);
}

static void on_emit(const char *json, size_t len, unsigned flags, void *ud)
{
    stream *st = ud;
    bool final = (flags & PCFMCP_EMIT_FINAL) != 0;
    pthread_mutex_lock(&st->lock);
    if (final) {
        st->final_seen = true;
        st->engine_busy = false;
        if (json) {
            if (flags & PCFMCP_EMIT_ERROR) {
                st->final_error = true;
                st->rpc_code = code_of(json, len);
            }
            if (st->mode == MODE_PENDING) {
                st->final_json = pcfmcp__memdup(json, len);
                st->final_len = len;
                st->mode = MODE_JSON;
            } else {
                stream_push(st, json, len);
            }
        }
    } else if (json || (flags & PCFMCP_EMIT_CLOSE_STREAM)) {
        if (!json && !st->resumable) {
            /* Nobody could resume this stream: keep it open. */
            pthread_mutex_unlock(&st->lock);
            return;
        }
        if (st->mode == MODE_PENDING) {
            st->mode = MODE_SSE;
            /* Only streams that become SSE get an id and a place in the
             * session for Last-Event-ID; JSON answers need neither. */
            if (st->resumable && st->owner)
                sess_retain(st->owner, st);
            else
                st->resumable = false;
            if (st->priming || !json)
                stream_push(st, NULL, 0);
        }
        if (json)
            stream_push(st, json, len);
        else if (st->resumable)
            st->cut = true;
    }
    stream_wake(st);
    pthread_mutex_unlock(&st->lock);
    if (final)
        engine_done(st);
}

/* ================================================================ sessions */

static unsigned shard_of(const char *id)
{
    unsigned hsh = 2166136261u;
    for (const char *p = id; *p; p++)
        hsh = (hsh ^ (unsigned char)*p) * 16777619u;
    return hsh % SHARDS;
}

static sess *sess_ref(sess *s)
{
    atomic_fetch_add(&s->refs, 1);
    return s;
}

static void close_stream(stream *st)
{
    pthread_mutex_lock(&st->lock);
    st->closing = true;
    stream_wake(st);
    pthread_mutex_unlock(&st->lock);
}

static void sess_unref(sess *s)
{
    if (!s || atomic_fetch_sub(&s->refs, 1) != 1)
        return;
    if (s->es) {
        pcfmcp_session_set_notify(s->es, NULL, NULL);
        pcfmcp_session_free(s->es);
    }
    while (s->streams) {
        stream *n = s->streams->snext;
        close_stream(s->streams);
        stream_unref(s->streams);
        s->streams = n;
    }
    if (s->get_stream) {
        close_stream(s->get_stream);
        stream_unref(s->get_stream);
    }
    pthread_mutex_destroy(&s->lock);
    pcfmcp__free(s);
}

static void on_notify(const char *json, size_t len, unsigned flags, void *ud)
{
    (void)flags;
    sess *s = ud;
    pthread_mutex_lock(&s->lock);
    stream *st = s->get_stream ? stream_ref(s->get_stream) : NULL;
    pthread_mutex_unlock(&s->lock);
    if (!st)
        return; /* no GET stream: the client asked for none */
    pthread_mutex_lock(&st->lock);
    if (!st->closing) {
        stream_push(st, json, len);
        stream_wake(st);
    }
    pthread_mutex_unlock(&st->lock);
    stream_unref(st);
}

static sess *sess_new(pcfmcp_http_t *h, const char *identity)
{
    sess *s = pcfmcp__calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    atomic_init(&s->refs, 1);
    s->h = h;
    pthread_mutex_init(&s->lock, NULL);
    atomic_store(&s->last_used_ms, pcfmcp__now_ms());
    unsigned char raw[24];
    char *b64 = NULL;
    if (pcfmcp__random(raw, sizeof(raw)) != 0 ||
        !(b64 = pcfmcp__base64url_encode(raw, sizeof(raw), NULL)) ||
        pcfmcp_session_new(&s->es, h->engine, 0) != PCFMCP_OK) {
        pcfmcp__free(b64);
        sess_unref(s);
        return NULL;
    }
    /* With a shared store the id starts with this replica's tag, so that
     * another replica can tell a misrouted request from an expired session. */
    const char *tag = h->store ? pcfmcp__store_replica_tag(h->store) : "";
    snprintf(s->id, sizeof(s->id), "%s%s%s", tag, *tag ? "." : "", b64);
    pcfmcp__free(b64);
    pcfmcp_session_set_id(s->es, s->id);
    if (identity && *identity) {
        snprintf(s->identity, sizeof(s->identity), "%s", identity);
        pcfmcp_session_set_identity(s->es, identity);
    }
    pcfmcp_session_set_notify(s->es, on_notify, s);
    return s;
}

/* Gives back the session slot @p s holds (once). */
static void sess_release_slot(pcfmcp_http_t *h, sess *s)
{
    if (s->slot) {
        s->slot = false;
        pcfmcp__http_slots_give(h->slots, s->caller);
    }
}

static void sess_insert(pcfmcp_http_t *h, sess *s)
{
    shard *sh = &h->shards[shard_of(s->id)];
    pthread_mutex_lock(&sh->lock);
    s->hnext = sh->head;
    sh->head = sess_ref(s);
    pthread_mutex_unlock(&sh->lock);
    atomic_fetch_add(&h->nsessions, 1);
}

static sess *sess_find(pcfmcp_http_t *h, const char *id)
{
    if (strlen(id) >= ID_MAX)
        return NULL;
    shard *sh = &h->shards[shard_of(id)];
    sess *found = NULL;
    pthread_mutex_lock(&sh->lock);
    for (sess *s = sh->head; s; s = s->hnext) {
        if (pcfmcp__ct_equal(s->id, strlen(s->id), id, strlen(id))) {
            found = sess_ref(s);
            break;
        }
    }
    pthread_mutex_unlock(&sh->lock);
    if (found)
        atomic_store(&found->last_used_ms, pcfmcp__now_ms());
    return found;
}

/* Ends a session that left the table while requests may still hold it:
 * its GET stream closes and its requests in flight are cancelled now, the
 * memory goes with the last reference. */
static void sess_kill(sess *s)
{
    pthread_mutex_lock(&s->lock);
    s->gone = true;
    stream *g = s->get_stream ? stream_ref(s->get_stream) : NULL;
    pthread_mutex_unlock(&s->lock);
    if (g) {
        close_stream(g);
        stream_unref(g);
    }
    pcfmcp_session_cancel_all(s->es);
}

/* Unlinks @p s from the table; the caller drops the table's reference. */
static bool sess_remove(pcfmcp_http_t *h, sess *s)
{
    shard *sh = &h->shards[shard_of(s->id)];
    bool removed = false;
    pthread_mutex_lock(&sh->lock);
    for (sess **pp = &sh->head; *pp; pp = &(*pp)->hnext) {
        if (*pp == s) {
            *pp = s->hnext;
            removed = true;
            break;
        }
    }
    pthread_mutex_unlock(&sh->lock);
    if (removed) {
        atomic_fetch_sub(&h->nsessions, 1);
        sess_release_slot(h, s);
        pthread_mutex_lock(&s->lock);
        s->gone = true;
        pthread_mutex_unlock(&s->lock);
    }
    return removed;
}

/* Keeps a resumable stream for replay, dropping the oldest past the cap. */
static void sess_retain(struct sess *s, stream *st)
{
    stream *drop = NULL;
    pthread_mutex_lock(&s->lock);
    st->id = ++s->next_stream;
    st->snext = NULL;
    stream **pp = &s->streams;
    while (*pp)
        pp = &(*pp)->snext;
    *pp = stream_ref(st);
    if (++s->nstreams > s->h->lim[PCFMCP_HTTP_LIMIT_STREAMS_PER_SESSION]) {
        drop = s->streams;
        s->streams = drop->snext;
        s->nstreams--;
    }
    pthread_mutex_unlock(&s->lock);
    if (drop)
        stream_unref(drop);
}

static stream *sess_find_stream(sess *s, uint32_t id)
{
    stream *found = NULL;
    pthread_mutex_lock(&s->lock);
    if (s->get_stream && s->get_stream->id == id)
        found = stream_ref(s->get_stream);
    for (stream *st = s->streams; st && !found; st = st->snext)
        if (st->id == id)
            found = stream_ref(st);
    pthread_mutex_unlock(&s->lock);
    return found;
}

/* ================================================================ responses */

static const char *status_label(unsigned status)
{
    switch (status) {
    case 400: return "Bad Request";
    case 401: return "Unauthorized";
    case 403: return "Forbidden";
    case 404: return "Not Found";
    case 405: return "Method Not Allowed";
    case 406: return "Not Acceptable";
    case 409: return "Conflict";
    case 413: return "Payload Too Large";
    case 415: return "Unsupported Media Type";
    case 421: return "Misdirected Request";
    case 429: return "Too Many Requests";
    case 503: return "Service Unavailable";
    default: return "Error";
    }
}

/* Browsers may read answers to allowed cross-origin callers (and the
 * session id in them); first_call() records the Origin once it passed. */
static void add_cors(const req *rq, struct MHD_Response *r)
{
    if (!rq->cors_origin)
        return;
    MHD_add_response_header(r, "Access-Control-Allow-Origin", rq->cors_origin);
    MHD_add_response_header(r, "Vary", "Origin");
    MHD_add_response_header(r, "Access-Control-Expose-Headers", "Mcp-Session-Id, WWW-Authenticate, Retry-After");
}

static void add_common_headers(const req *rq, struct MHD_Response *r)
{
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(r, "Cache-Control", "no-store");
    add_cors(rq, r);
}

/* Every response goes out through here. While draining it closes its
 * connection: a kept-alive client would send its next request on it, and
 * that request would die unanswered when the drain ends. */
static conn_ctx *conn_of(struct MHD_Connection *c);

static enum MHD_Result queue_response(req *rq, struct MHD_Connection *c, unsigned status,
                                      struct MHD_Response *r)
{
    conn_ctx *cc = conn_of(c);
    if (atomic_load(&rq->h->draining) || (cc && cc->reserved))
        MHD_add_response_header(r, "Connection", "close");
    return MHD_queue_response(c, status, r);
}

/* Queues a buffer we own (freed by MHD). */
static enum MHD_Result queue_owned(req *rq, struct MHD_Connection *c, unsigned status,
                                   const char *ctype, char *body, size_t len, bool may_gzip)
{
    pcfmcp_http_t *h = rq->h;
    bool gz = false;
    unsigned long long gmin = h->lim[PCFMCP_HTTP_LIMIT_GZIP_MIN_BYTES];
    if (may_gzip && rq->gzip_ok && gmin && len >= gmin) {
        size_t zl = 0;
        char *z = pcfmcp__http_gzip(body, len, &zl);
        if (z) {
            pcfmcp__free(body);
            body = z;
            len = zl;
            gz = true;
        }
    }
    struct MHD_Response *r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!r) {
        pcfmcp__free(body);
        return MHD_NO;
    }
    if (ctype)
        MHD_add_response_header(r, "Content-Type", ctype);
    if (gz)
        MHD_add_response_header(r, "Content-Encoding", "gzip");
    if (may_gzip)
        MHD_add_response_header(r, "Vary", "Accept-Encoding");
    add_common_headers(rq, r);
    rq->status = status;
    rq->route = ROUTE_DONE;
    enum MHD_Result ret = queue_response(rq, c, status, r);
    MHD_destroy_response(r);
    return ret;
}

/* A transport-level refusal: JSON-RPC error without id, or an empty body. */
static enum MHD_Result refuse(req *rq, struct MHD_Connection *c, unsigned status, int code,
                              const char *msg, const char *hdr, const char *hval)
{
    if (rq->defer) {
        rq->ref_status = status;
        rq->ref_code = code;
        snprintf(rq->ref_msg, sizeof(rq->ref_msg), "%s", msg ? msg : "");
        snprintf(rq->ref_hdr, sizeof(rq->ref_hdr), "%s", hdr && hval ? hdr : "");
        snprintf(rq->ref_hval, sizeof(rq->ref_hval), "%s", hdr && hval ? hval : "");
        rq->route = ROUTE_REFUSED;
        return MHD_YES;
    }
    size_t len = 0;
    char *body = NULL;
    if (code) {
        body = pcfmcp__rpc_error(NULL, code, msg, NULL, &len);
    }
    struct MHD_Response *r =
        body ? MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE)
             : MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!r) {
        pcfmcp__free(body);
        return MHD_NO;
    }
    if (body)
        MHD_add_response_header(r, "Content-Type", "application/json");
    if (hdr && hval)
        MHD_add_response_header(r, hdr, hval);
    if (status == 405)
        MHD_add_response_header(r, "Allow", rq->h->stateless ? "POST" : "GET, POST, DELETE");
    add_common_headers(rq, r);
    PCFMCP_LOG(rq->h->log, PCFMCP_LOG_DEBUG, "http", "%u %s: %s", status, status_label(status),
               msg ? msg : "");
    rq->status = status;
    rq->route = ROUTE_DONE;
    enum MHD_Result ret = queue_response(rq, c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result queue_text(req *rq, struct MHD_Connection *c, unsigned status,
                                  const char *ctype, const char *text)
{
    char *b = pcfmcp__strdup(text);
    if (!b)
        return MHD_NO;
    return queue_owned(rq, c, status, ctype, b, strlen(b), false);
}

/* ================================================================ SSE body */

static ssize_t sse_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    stream *st = cls;
    pcfmcp_http_t *h = st->h;
    pthread_mutex_lock(&st->lock);
    if (st->gone) {
        st->ended = true;
        pthread_mutex_unlock(&st->lock);
        return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    size_t n = 0;
    if (st->keepalive && max >= LIT_LEN(SSE_KEEPALIVE)) {
        memcpy(buf, SSE_KEEPALIVE, LIT_LEN(SSE_KEEPALIVE));
        n = LIT_LEN(SSE_KEEPALIVE);
        st->keepalive = false;
    }
    while (st->cur && n < max) {
        size_t take = st->cur->len - st->cur_off;
        if (take > max - n)
            take = max - n;
        memcpy(buf + n, st->cur->data + st->cur_off, take);
        n += take;
        st->cur_off += take;
        if (st->cur_off == st->cur->len) {
            st->cur = st->cur->next;
            st->cur_off = 0;
        }
    }
    if (n) {
        stream_trim_sent(st);
        st->last_io_ms = pcfmcp__now_ms();
        pthread_mutex_unlock(&st->lock);
        return (ssize_t)n;
    }
    if (st->cut) {
        st->cut = false;
        st->ended = true;
        pthread_mutex_unlock(&st->lock);
        return MHD_CONTENT_READER_END_OF_STREAM;
    }
    if ((st->final_seen && !st->standalone) || st->closing || atomic_load(&h->final_stop)) {
        st->ended = true;
        pthread_mutex_unlock(&st->lock);
        return MHD_CONTENT_READER_END_OF_STREAM;
    }
    st->suspended = true;
    MHD_suspend_connection(st->conn);
    pthread_mutex_unlock(&st->lock);
    return 0;
}

static void sse_free(void *cls)
{
    stream_unref(cls);
}

static enum MHD_Result queue_sse(req *rq, struct MHD_Connection *c, stream *st, const char *sid)
{
    struct MHD_Response *r =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, sse_reader, stream_ref(st), sse_free);
    if (!r) {
        stream_unref(st);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "text/event-stream");
    MHD_add_response_header(r, "Cache-Control", "no-cache, no-store");
    MHD_add_response_header(r, "X-Accel-Buffering", "no");
    MHD_add_response_header(r, "X-Content-Type-Options", "nosniff");
    add_cors(rq, r);
    if (sid)
        MHD_add_response_header(r, "Mcp-Session-Id", sid);
    pthread_mutex_lock(&st->lock);
    st->conn = c;
    st->rq = rq;
    st->ended = false;
    st->suspended = false;
    st->last_io_ms = pcfmcp__now_ms();
    pthread_mutex_unlock(&st->lock);
    live_add(rq->h, st);
    rq->status = 200;
    rq->route = ROUTE_DONE;
    enum MHD_Result ret = queue_response(rq, c, 200, r);
    MHD_destroy_response(r);
    return ret;
}

/* ================================================================ checks */

static const char *hdr(struct MHD_Connection *c, const char *name)
{
    return MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

typedef struct {
    pcfmcp__http_header *v;
    size_t n, cap;
    bool nomem;
} header_list;

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                      size_t key_len, const char *value, size_t value_len)
{
    (void)kind;
    header_list *l = cls;
    if (l->n == l->cap) {
        size_t cap = l->cap ? l->cap * 2 : 32;
        pcfmcp__http_header *nv = pcfmcp__realloc(l->v, cap * sizeof(*nv));
        if (!nv) {
            l->nomem = true;
            return MHD_NO;
        }
        l->v = nv;
        l->cap = cap;
    }
    l->v[l->n++] = (pcfmcp__http_header){ key, key_len, value ? value : "", value ? value_len : 0 };
    return MHD_YES;
}

/* Every field line of the request (duplicates included, which
 * MHD_lookup_connection_value would hide) through the one header check.
 * Returns NULL or why the request is refused. */
static const char *check_headers(struct MHD_Connection *c, const char *version)
{
    header_list l = { 0 };
    MHD_get_connection_values_n(c, MHD_HEADER_KIND, collect_header, &l);
    const char *why = l.nomem ? "out of memory reading the headers"
                              : pcfmcp__http_check_headers(l.v, l.n,
                                                           version && strcmp(version, "HTTP/1.0") != 0);
    pcfmcp__free(l.v);
    return why;
}

/* X-Forwarded-For as one list: a proxy may append its own field line
 * rather than extend the client's, and the first line alone is whatever
 * the client wrote. pcfmcp__malloc'd, or NULL when there is none. */
static char *forwarded_for(struct MHD_Connection *c)
{
    header_list l = { 0 };
    MHD_get_connection_values_n(c, MHD_HEADER_KIND, collect_header, &l);
    pcfmcp__buf b;
    pcfmcp__buf_init(&b);
    bool any = false;
    for (size_t i = 0; i < l.n; i++) {
        if (l.v[i].name_len != 15 || strncasecmp(l.v[i].name, "X-Forwarded-For", 15) != 0)
            continue;
        if (any)
            pcfmcp__buf_puts(&b, ", ");
        pcfmcp__buf_append(&b, l.v[i].value, l.v[i].value_len);
        any = true;
    }
    bool failed = l.nomem;
    pcfmcp__free(l.v);
    char *out = any && !failed ? pcfmcp__buf_steal(&b, NULL) : NULL;
    pcfmcp__buf_free(&b);
    return out;
}

static bool host_allowed(pcfmcp_http_t *h, struct MHD_Connection *c)
{
    const char *hosthdr = hdr(c, "Host");
    if (h->hosts && *h->hosts) {
        if (!hosthdr)
            return false;
        char name[256];
        int port = -1;
        if (!pcfmcp__http_parse_host(hosthdr, name, sizeof(name), &port))
            return false;
        return pcfmcp__http_list_match(h->hosts, hosthdr) || pcfmcp__http_list_match(h->hosts, name);
    }
    if (!h->loopback)
        return true;
    if (!hosthdr)
        return true; /* HTTP/1.0 without Host: no browser sends that */
    char name[256];
    int port = -1;
    return pcfmcp__http_parse_host(hosthdr, name, sizeof(name), &port) &&
           pcfmcp__http_is_loopback_name(name);
}

static bool origin_allowed(pcfmcp_http_t *h, struct MHD_Connection *c)
{
    const char *origin = hdr(c, "Origin");
    if (!origin)
        return true; /* not a browser: the Host check and auth apply */
    char scheme[16], host[256];
    int port = -1;
    if (!pcfmcp__http_parse_origin(origin, scheme, sizeof(scheme), host, sizeof(host), &port))
        return false;
    if (h->origins && *h->origins)
        return pcfmcp__http_list_match(h->origins, origin);
    if (strcmp(scheme, "http") != 0 && strcmp(scheme, "https") != 0)
        return false;
    if (h->loopback)
        return pcfmcp__http_is_loopback_name(host);
    /* Elsewhere only our own origin: the Host the browser addressed. */
    const char *hosthdr = hdr(c, "Host");
    char hname[256];
    int hport = -1;
    if (!hosthdr || !pcfmcp__http_parse_host(hosthdr, hname, sizeof(hname), &hport))
        return false;
    int dflt = strcmp(scheme, "https") == 0 ? 443 : 80;
    return strcmp(hname, host) == 0 && (port < 0 ? dflt : port) == (hport < 0 ? dflt : hport);
}

static bool tls_on(pcfmcp_http_t *h)
{
    return h->tls_cert != NULL;
}

/* URL of the PRM document for this endpoint. */
static void metadata_url(pcfmcp_http_t *h, struct MHD_Connection *c, char *out, size_t n)
{
    if (h->public_url) {
        const char *sep = strstr(h->public_url, "://");
        const char *path = sep ? strchr(sep + 3, '/') : NULL;
        int origin_len = path ? (int)(path - h->public_url) : (int)strlen(h->public_url);
        snprintf(out, n, "%.*s/.well-known/oauth-protected-resource%s", origin_len, h->public_url,
                 path ? path : "");
        return;
    }
    const char *host = hdr(c, "Host");
    snprintf(out, n, "%s://%s/.well-known/oauth-protected-resource%s", tls_on(h) ? "https" : "http",
             host ? host : "localhost", h->path);
}

static conn_ctx *conn_of(struct MHD_Connection *c)
{
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return ci ? ci->socket_context : NULL;
}

/* The TCP peer's numeric address, or "" when MHD cannot say. */
static void peer_address(struct MHD_Connection *c, char addr[INET6_ADDRSTRLEN])
{
    addr[0] = '\0';
    const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    if (ci && ci->client_addr) {
        const struct sockaddr *sa = ci->client_addr;
        if (sa->sa_family == AF_INET)
            inet_ntop(AF_INET, &((const struct sockaddr_in *)(const void *)sa)->sin_addr, addr, INET6_ADDRSTRLEN);
        else if (sa->sa_family == AF_INET6)
            inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)(const void *)sa)->sin6_addr, addr, INET6_ADDRSTRLEN);
    }
}

/* The caller's address as admission and the refusal observer see it. */
static void client_address(req *rq, struct MHD_Connection *c, char addr[INET6_ADDRSTRLEN])
{
    pcfmcp_http_t *h = rq->h;
    peer_address(c, addr);
    if (h->addr_cb && addr[0]) {
        /* Behind trusted proxies the client is named in X-Forwarded-For. */
        char picked[INET6_ADDRSTRLEN] = "";
        char *xff = forwarded_for(c);
        if (h->addr_cb(addr, xff, picked, sizeof(picked), h->addr_ud) == 0 && picked[0]) {
            picked[sizeof(picked) - 1] = '\0';
            memcpy(addr, picked, INET6_ADDRSTRLEN);
        }
        pcfmcp__free(xff);
    }
}

static void observe_refusal(req *rq, struct MHD_Connection *c, unsigned status,
                            const char *reason, const char *addr)
{
    pcfmcp_http_t *h = rq->h;
    if (!h->refusal_cb)
        return;
    char own[INET6_ADDRSTRLEN];
    if (!addr) {
        client_address(rq, c, own);
        addr = own;
    }
    h->refusal_cb(status, reason, rq->identity[0] ? rq->identity : NULL, addr, rq->method,
                  h->refusal_ud);
}

/* Starts the clock for the next request on @p cc: headers and body must be
 * in within the read timeout, however slowly the bytes trickle (MHD's own
 * timeout is an idle timer that every byte resets). After a response the
 * connection may first idle for up to the idle timeout, which MHD enforces
 * on a silent connection; adding it keeps an idle kept-alive client (a
 * Prometheus scraper, an SDK's connection pool) from being cut, logged and
 * counted as if it were slow, while a trickling one is still bounded. */
static void read_deadline_arm(conn_ctx *cc, bool after_response)
{
    if (!cc)
        return;
    const unsigned long long *lim = cc->h->lim;
    atomic_store(&cc->read_deadline_ms,
                 pcfmcp__now_ms() + lim[PCFMCP_HTTP_LIMIT_REQUEST_READ_TIMEOUT_MS] +
                     (after_response ? lim[PCFMCP_HTTP_LIMIT_CONNECTION_TIMEOUT_MS] : 0));
}

/* The request is in: handling it and sending the answer (an SSE stream may
 * last for hours) are not reading, so no deadline applies until it ends. */
static void read_deadline_clear(conn_ctx *cc)
{
    if (cc)
        atomic_store(&cc->read_deadline_ms, 0);
}

/* Cuts connections whose request is still incomplete past its deadline.
 * The exchange with 0 loses to a handler that has just cleared the
 * deadline, so a request that made it in time is never cut. */
static void enforce_read_deadlines(pcfmcp_http_t *h)
{
    uint64_t now = pcfmcp__now_ms();
    pthread_mutex_lock(&h->wd_lock);
    for (conn_ctx *cc = h->wd_head; cc; cc = cc->wnext) {
        uint64_t d = atomic_load(&cc->read_deadline_ms);
        if (!d || now < d || !atomic_compare_exchange_strong(&cc->read_deadline_ms, &d, 0))
            continue;
        /* Counted and logged first, so whoever sees the connection end also
         * sees both. MHD owns the descriptor: shutdown() makes its next read
         * fail and MHD closes the connection itself. */
        atomic_fetch_add(&h->read_timeouts, 1);
        atomic_store(&cc->cut, true);
        PCFMCP_LOG(h->log, PCFMCP_LOG_WARN, "http",
                   "closed a connection from %s: no complete request within %llu ms",
                   cc->peer[0] ? cc->peer : "an unknown address",
                   h->lim[PCFMCP_HTTP_LIMIT_REQUEST_READ_TIMEOUT_MS]);
        shutdown(cc->fd, SHUT_RDWR);
    }
    pthread_mutex_unlock(&h->wd_lock);
}

/* Authenticates; on refusal queues the answer and returns false. */
static bool authenticate(req *rq, struct MHD_Connection *c, enum MHD_Result *ret)
{
    pcfmcp_http_t *h = rq->h;
    const char *subject = NULL;
    if (h->tls && h->tls_ca) {
        conn_ctx *cc = conn_of(c);
        if (cc && cc->cert_state == 0) {
            const union MHD_ConnectionInfo *ci =
                MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
            int v = ci ? pcfmcp__tls_verify_client(h->tls, ci->tls_session, cc->cert_subject,
                                                   sizeof(cc->cert_subject))
                       : -1;
            cc->cert_state = v == 0 ? 1 : v;
        }
        if (!cc || cc->cert_state != 1) {
            const char *why = cc && cc->cert_state == -2 ? "client certificate not trusted"
                                                         : "a client certificate is required";
            observe_refusal(rq, c, 403, why, NULL);
            *ret = refuse(rq, c, 403, PCFMCP__RPC_INVALID_REQUEST, why, NULL, NULL);
            return false;
        }
        subject = cc->cert_subject;
    }
    if (!h->auth_cb) {
        if (subject)
            snprintf(rq->identity, sizeof(rq->identity), "%s", subject);
        return true;
    }
    char murl[512];
    metadata_url(h, c, murl, sizeof(murl));
    char *www = NULL;
    char ident[IDENT_MAX] = "";
    pcfmcp_http_auth_verdict_t v =
        h->auth_cb(hdr(c, "Authorization"), subject, ident, sizeof(ident), murl, &www, h->auth_ud);
    if (v == PCFMCP_HTTP_AUTH_ALLOW) {
        free(www);
        ident[sizeof(ident) - 1] = '\0';
        snprintf(rq->identity, sizeof(rq->identity), "%s", ident[0] ? ident : (subject ? subject : ""));
        return true;
    }
    char dflt[600];
    if (!www && v != PCFMCP_HTTP_AUTH_UNAVAILABLE) {
        snprintf(dflt, sizeof(dflt), "Bearer resource_metadata=\"%s\"%s", murl,
                 v == PCFMCP_HTTP_AUTH_INSUFFICIENT_SCOPE ? ", error=\"insufficient_scope\""
                 : v == PCFMCP_HTTP_AUTH_MISSING          ? ""
                                                          : ", error=\"invalid_token\"");
    }
    unsigned status = v == PCFMCP_HTTP_AUTH_INSUFFICIENT_SCOPE ? 403
                      : v == PCFMCP_HTTP_AUTH_UNAVAILABLE      ? 503
                                                               : 401;
    const char *msg = v == PCFMCP_HTTP_AUTH_MISSING    ? "authentication required"
                      : v == PCFMCP_HTTP_AUTH_EXPIRED  ? "the access token has expired"
                      : v == PCFMCP_HTTP_AUTH_INVALID  ? "the access token is not valid"
                      : v == PCFMCP_HTTP_AUTH_INSUFFICIENT_SCOPE ? "insufficient scope"
                                                                 : "authentication is unavailable; retry later";
    observe_refusal(rq, c, status, msg, NULL);
    *ret = refuse(rq, c, status, PCFMCP__RPC_INVALID_REQUEST, msg,
                  status == 503 ? "Retry-After" : "WWW-Authenticate",
                  status == 503 ? "5" : (www ? www : dflt));
    free(www);
    return false;
}

/* Whether the request says it is of the 2026-07-28 revision, for refusals
 * sent before its body is read (their error codes differ by revision). */
static bool modern_header(struct MHD_Connection *c)
{
    const char *v = hdr(c, "MCP-Protocol-Version");
    return v && strcmp(v, PCFMCP_PROTOCOL_STATELESS) == 0;
}

static bool admit(req *rq, struct MHD_Connection *c, enum MHD_Result *ret)
{
    pcfmcp_http_t *h = rq->h;
    if (!h->admit_cb)
        return true;
    char addr[INET6_ADDRSTRLEN];
    client_address(rq, c, addr);
    unsigned retry = 1;
    int v = h->admit_cb(rq->identity[0] ? rq->identity : NULL, addr, &retry, h->admit_ud);
    if (v == PCFMCP_HTTP_ADMIT)
        return true;
    char ra[16];
    snprintf(ra, sizeof(ra), "%u", retry ? retry : 1);
    bool down = v == PCFMCP_HTTP_ADMIT_SHUTTING_DOWN;
    const char *msg = down ? "server is shutting down; retry later" : "rate limit exceeded; retry later";
    observe_refusal(rq, c, down ? 503 : 429, down ? "server is shutting down" : "rate limit exceeded",
                    addr);
    *ret = refuse(rq, c, down ? 503 : 429,
                  pcfmcp__rpc_code_for(down ? PCFMCP_ERR_UNAVAILABLE : PCFMCP_ERR_RATE_LIMITED,
                                       modern_header(c)),
                  msg, "Retry-After", ra);
    return false;
}

/* ================================================================ 2026-07-28 */

static const char *META_VERSION = "io.modelcontextprotocol/protocolVersion";

/* Compares a header value with a body value per the x-mcp-header rules. */
static bool header_matches(const char *decoded, const cJSON *v)
{
    if (cJSON_IsString(v))
        return strcmp(decoded, v->valuestring) == 0;
    if (cJSON_IsBool(v))
        return strcmp(decoded, cJSON_IsTrue(v) ? "true" : "false") == 0;
    if (cJSON_IsNumber(v)) {
        char *end = NULL;
        double d = strtod(decoded, &end);
        return end && *end == '\0' && end != decoded && d == v->valuedouble;
    }
    return false;
}

/* Walks `properties` chains of a tool's inputSchema for x-mcp-header
 * annotations and checks each against the call's arguments. */
static bool check_param_headers(struct MHD_Connection *c, const cJSON *schema, const cJSON *args,
                                char *why, size_t whysize, int depth)
{
    if (depth > 8)
        return true;
    const cJSON *props = cJSON_GetObjectItemCaseSensitive(schema, "properties");
    const cJSON *p;
    cJSON_ArrayForEach(p, props) {
        const cJSON *v = cJSON_IsObject(args) ? cJSON_GetObjectItemCaseSensitive(args, p->string) : NULL;
        const char *hname = pcfmcp__json_str(p, "x-mcp-header");
        if (hname) {
            char full[160];
            snprintf(full, sizeof(full), "Mcp-Param-%s", hname);
            const char *hv = hdr(c, full);
            bool present = v && !cJSON_IsNull(v);
            if (present && !hv) {
                snprintf(why, whysize, "Header mismatch: %s header is required", full);
                return false;
            }
            if (hv) {
                char *dec = pcfmcp__http_header_decode(hv, NULL);
                bool ok = dec && present && header_matches(dec, v);
                pcfmcp__free(dec);
                if (!ok) {
                    snprintf(why, whysize, "Header mismatch: %s header does not match the argument", full);
                    return false;
                }
            }
        }
        if (cJSON_IsObject(p) && cJSON_IsObject(v) &&
            !check_param_headers(c, p, v, why, whysize, depth + 1))
            return false;
    }
    return true;
}

/* Validates the mirrored headers of a 2026-07-28 request. Returns false with
 * the reason when they do not match the body. */
static bool check_modern_headers(pcfmcp_http_t *h, struct MHD_Connection *c, const cJSON *msg,
                                 const char *hver, char *why, size_t whysize)
{
    const char *method = pcfmcp__json_str(msg, "method");
    if (!method || !cJSON_GetObjectItemCaseSensitive(msg, "id"))
        return true; /* notifications and junk: the engine answers */
    const cJSON *params = cJSON_GetObjectItemCaseSensitive(msg, "params");
    const char *bver = pcfmcp__json_str(pcfmcp__json_obj(params, "_meta"), META_VERSION);
    if (bver && (!hver || strcmp(bver, hver) != 0)) {
        snprintf(why, whysize, "Header mismatch: MCP-Protocol-Version header %s%s%s does not match _meta protocolVersion '%s'",
                 hver ? "'" : "", hver ? hver : "(missing)", hver ? "'" : "", bver);
        return false;
    }
    if (!bver)
        return true; /* missing _meta: the engine's -32602 */
    const char *hm = hdr(c, "Mcp-Method");
    if (!hm || strcmp(hm, method) != 0) {
        snprintf(why, whysize, "Header mismatch: Mcp-Method header %s does not match method '%s'",
                 hm ? "value" : "is missing and", method);
        return false;
    }
    const char *key = NULL;
    if (strcmp(method, "tools/call") == 0 || strcmp(method, "prompts/get") == 0)
        key = "name";
    else if (strcmp(method, "resources/read") == 0)
        key = "uri";
    if (key) {
        const char *bval = pcfmcp__json_str(params, key);
        const char *hn = hdr(c, "Mcp-Name");
        char *dec = hn ? pcfmcp__http_header_decode(hn, NULL) : NULL;
        bool ok = dec && bval && strcmp(dec, bval) == 0;
        pcfmcp__free(dec);
        if (!ok && bval) {
            snprintf(why, whysize, "Header mismatch: Mcp-Name header %s does not match params.%s",
                     hn ? "value" : "is missing and", key);
            return false;
        }
    }
    if (strcmp(method, "tools/call") == 0) {
        const char *name = pcfmcp__json_str(params, "name");
        pcfmcp__entry *tool = name ? pcfmcp__engine_find(h->engine, PCFMCP__LIST_TOOLS, name) : NULL;
        bool ok = true;
        if (tool) {
            ok = check_param_headers(c, cJSON_GetObjectItemCaseSensitive(tool->def, "inputSchema"),
                                     cJSON_GetObjectItemCaseSensitive(params, "arguments"), why, whysize, 0);
            pcfmcp__entry_unref(tool);
        }
        if (!ok)
            return false;
    }
    return true;
}

/* HTTP status of a final JSON-RPC answer. */
static unsigned status_for(bool modern, bool error, int code)
{
    if (!error)
        return 200;
    switch (code) {
    case PCFMCP__RPC_PARSE_ERROR:
    case PCFMCP__RPC_INVALID_REQUEST:
        return 400;
    default:
        break;
    }
    if (!modern)
        return 200;
    switch (code) {
    case PCFMCP__RPC_METHOD_NOT_FOUND: return 404;
    case PCFMCP__RPC_INVALID_PARAMS:
    case PCFMCP__RPC_HEADER_MISMATCH:
    case PCFMCP__RPC_MISSING_CLIENT_CAPABILITY:
    case PCFMCP__RPC_UNSUPPORTED_PROTOCOL_VERSION:
        return 400;
    default:
        return 200;
    }
}

/* ================================================================ MCP POST */

/* 400 with UnsupportedProtocolVersion (-32022) echoing the request's id. */
static enum MHD_Result unsupported_version(req *rq, struct MHD_Connection *c, const char *hver,
                                           const char *body, size_t blen)
{
    cJSON *msg = NULL;
    pcfmcp__buf idb;
    pcfmcp__buf_init(&idb);
    if (pcfmcp__json_parse(body, blen, 64, &msg, NULL) == PCFMCP__JSON_OK && cJSON_IsObject(msg)) {
        const cJSON *id = cJSON_GetObjectItemCaseSensitive(msg, "id");
        if (cJSON_IsString(id) || cJSON_IsNumber(id))
            pcfmcp__rpc_append_id(&idb, id);
    }
    cJSON_Delete(msg);
    cJSON *data = cJSON_CreateObject();
    cJSON *sup = cJSON_AddArrayToObject(data, "supported");
    cJSON_AddItemToArray(sup, cJSON_CreateString(PCFMCP_PROTOCOL_STATELESS));
    for (size_t i = 0; i < PCFMCP_ARRAY_LEN(pcfmcp__legacy_versions); i++)
        cJSON_AddItemToArray(sup, cJSON_CreateString(pcfmcp__legacy_versions[i]));
    char req_ver[64];
    snprintf(req_ver, sizeof(req_ver), "%.63s", hver);
    cJSON_AddStringToObject(data, "requested", req_ver);
    char text[160];
    snprintf(text, sizeof(text), "unsupported protocol version \"%s\" in MCP-Protocol-Version", req_ver);
    size_t len = 0;
    char *err = pcfmcp__buf_ok(&idb) || !idb.data
                    ? pcfmcp__rpc_error(idb.data, PCFMCP__RPC_UNSUPPORTED_PROTOCOL_VERSION, text, data, &len)
                    : NULL;
    pcfmcp__buf_free(&idb);
    cJSON_Delete(data);
    if (!err)
        return MHD_NO;
    return queue_owned(rq, c, 400, "application/json", err, len, false);
}

static bool supported_version(const char *v)
{
    return pcfmcp__is_legacy_version(v) || strcmp(v, PCFMCP_PROTOCOL_STATELESS) == 0;
}

/* Static method labels for the observer: bounded cardinality. */
static const char *method_label(const char *body, size_t len)
{
    static const char *const known[] = {
        "initialize", "notifications/initialized", "ping", "tools/list", "tools/call",
        "resources/list", "resources/templates/list", "resources/read", "resources/subscribe",
        "resources/unsubscribe", "prompts/list", "prompts/get", "completion/complete",
        "logging/setLevel", "server/discover", "notifications/cancelled", "subscriptions/listen",
    };
    const char *p = body, *end = body + len;
    while ((p = memmem(p, (size_t)(end - p), "\"method\"", 8)) != NULL) {
        p += 8;
        while (p < end && (*p == ' ' || *p == ':' || *p == '\t' || *p == '\n' || *p == '\r'))
            p++;
        if (p < end && *p == '"') {
            p++;
            const char *q = memchr(p, '"', (size_t)(end - p));
            if (!q)
                break;
            for (size_t i = 0; i < PCFMCP_ARRAY_LEN(known); i++)
                if (strlen(known[i]) == (size_t)(q - p) && memcmp(known[i], p, (size_t)(q - p)) == 0)
                    return known[i];
            return "other";
        }
    }
    return body && len && body[0] == '[' ? "batch" : "response";
}

/* A JSON answer in parts (see stream.final_head), freed by MHD. */
typedef struct {
    char *head;
    pcfmcp__blob *body;
    pcfmcp__buf pre, post; /* the gzip frame around the body's compressed form */
} parts;

static void parts_free(void *cls)
{
    parts *p = cls;
    pcfmcp__free(p->head);
    pcfmcp__blob_unref(p->body);
    pcfmcp__buf_free(&p->pre);
    pcfmcp__buf_free(&p->post);
    pcfmcp__free(p);
}

/* head + body + "}" as one response without copying the body. gzip'ed
 * when allowed and worth it: from the body's compressed form, made once per
 * body (a list page: once per page version) and framed per request with
 * the head and tail as stored blocks. Takes @p head and @p body. */
static struct MHD_Response *parts_response(req *rq, char *head, size_t hlen, pcfmcp__blob *body,
                                           bool may_gzip, bool *gz)
{
    parts *p = pcfmcp__calloc(1, sizeof(*p));
    if (!p) {
        pcfmcp__free(head);
        pcfmcp__blob_unref(body);
        return NULL;
    }
    p->head = head;
    p->body = body;
    pcfmcp__buf_init(&p->pre);
    pcfmcp__buf_init(&p->post);
    struct MHD_IoVec iov[3] = { { head, hlen },
                                { pcfmcp__blob_data(body), pcfmcp__blob_len(body) },
                                { "}", 1 } };
    unsigned long long gmin = rq->h->lim[PCFMCP_HTTP_LIMIT_GZIP_MIN_BYTES];
    *gz = false;
    if (may_gzip && rq->gzip_ok && gmin && hlen + pcfmcp__blob_len(body) + 1 >= gmin) {
        const pcfmcp__gz_part *z =
            pcfmcp__blob_derive(body, pcfmcp__http_gz_part_new, pcfmcp__http_gz_part_free);
        if (z && pcfmcp__http_gz_frame(head, hlen, z, "}", 1, &p->pre, &p->post)) {
            iov[0] = (struct MHD_IoVec){ p->pre.data, p->pre.len };
            iov[1] = (struct MHD_IoVec){ z->z, z->zlen };
            iov[2] = (struct MHD_IoVec){ p->post.data, p->post.len };
            *gz = true;
        }
    }
    struct MHD_Response *r = MHD_create_response_from_iovec(iov, 3, parts_free, p);
    if (!r)
        parts_free(p);
    return r;
}

/* The MODE_JSON answer, whole (@p json) or in parts (@p head, @p body);
 * both taken. Only answers without a new session id are gzip'ed. */
static enum MHD_Result queue_json(req *rq, struct MHD_Connection *c, unsigned status,
                                  const char *sid, char *json, size_t jlen, char *head,
                                  size_t hlen, pcfmcp__blob *body)
{
    if (!body && !sid)
        return queue_owned(rq, c, status, "application/json", json, jlen, true);
    bool gz = false;
    struct MHD_Response *r =
        body ? parts_response(rq, head, hlen, body, !sid, &gz)
             : MHD_create_response_from_buffer(jlen, json, MHD_RESPMEM_MUST_FREE);
    if (body)
        pcfmcp__free(json);
    if (!r) {
        if (!body)
            pcfmcp__free(json);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Content-Type", "application/json");
    if (gz)
        MHD_add_response_header(r, "Content-Encoding", "gzip");
    if (sid)
        MHD_add_response_header(r, "Mcp-Session-Id", sid);
    else
        MHD_add_response_header(r, "Vary", "Accept-Encoding");
    add_common_headers(rq, r);
    rq->status = status;
    rq->route = ROUTE_DONE;
    enum MHD_Result ret = queue_response(rq, c, status, r);
    MHD_destroy_response(r);
    return ret;
}

/* Takes the slot a new session of this caller needs (the global cap and
 * the caller's share: its identity, else its address). On refusal queues
 * the 503 into *@p ret and returns false. */
static bool take_session_slot(req *rq, struct MHD_Connection *c, sess *se, enum MHD_Result *ret)
{
    pcfmcp_http_t *h = rq->h;
    char addr[INET6_ADDRSTRLEN] = "";
    if (rq->identity[0]) {
        snprintf(se->caller, sizeof(se->caller), "id:%s", rq->identity);
    } else {
        client_address(rq, c, addr);
        snprintf(se->caller, sizeof(se->caller), "ip:%s", addr);
    }
    pcfmcp__http_slot_verdict v =
        pcfmcp__http_slots_take(h->slots, se->caller, h->lim[PCFMCP_HTTP_LIMIT_SESSIONS],
                                h->lim[PCFMCP_HTTP_LIMIT_SESSIONS_PER_CALLER]);
    if (v == PCFMCP__SLOT_OK) {
        se->slot = true;
        return true;
    }
    const char *why = v == PCFMCP__SLOT_FULL ? "too many sessions: try again later"
                      : v == PCFMCP__SLOT_CALLER_FULL
                          ? "too many sessions for this caller: end unused ones (DELETE) or let "
                            "them expire"
                          : "out of memory";
    if (v != PCFMCP__SLOT_NOMEM)
        PCFMCP_LOG(h->log, PCFMCP_LOG_DEBUG, "http", "initialize refused: %s", why);
    observe_refusal(rq, c, 503, why, addr[0] ? addr : NULL);
    *ret = refuse(rq, c, 503, pcfmcp__rpc_code_for(PCFMCP_ERR_UNAVAILABLE, rq->modern), why,
                  "Retry-After",
                  v == PCFMCP__SLOT_NOMEM ? "1" : "30");
    return false;
}

/* Builds the answer once the engine has produced something (or nothing). */
static enum MHD_Result answer(req *rq, struct MHD_Connection *c)
{
    pcfmcp_http_t *h = rq->h;
    stream *st = rq->st;
    pthread_mutex_lock(&st->lock);
    stream_mode mode = st->mode;
    bool final = st->final_seen;
    char *json = st->final_json;
    size_t jlen = st->final_len;
    char *head = st->final_head;
    size_t hlen = st->final_head_len;
    pcfmcp__blob *body = st->final_body;
    bool err = st->final_error;
    int code = st->rpc_code;
    bool gone = st->gone;
    if (mode == MODE_JSON) {
        st->final_json = NULL;
        st->final_head = NULL;
        st->final_body = NULL;
    } else {
        head = NULL;
        body = NULL;
    }
    pthread_mutex_unlock(&st->lock);
    if (gone) {
        pcfmcp__free(json);
        pcfmcp__free(head);
        pcfmcp__blob_unref(body);
        return MHD_NO;
    }
    const char *sid = NULL;
    if (rq->tentative && rq->se) { /* tentative is only ever set with a fresh session */
        if (pcfmcp_session_is_initialized(rq->se->es) && final && !err) {
            /* The slot was taken before the engine ran, unless the body hid
             * its method from method_label(): then it is taken now. */
            enum MHD_Result refused;
            if (!rq->se->slot && !take_session_slot(rq, c, rq->se, &refused)) {
                pcfmcp__free(json);
                pcfmcp__free(head);
                pcfmcp__blob_unref(body);
                return refused;
            }
            sess_insert(h, rq->se);
            rq->inserted = true;
            sid = rq->se->id;
            PCFMCP_LOG(h->log, PCFMCP_LOG_INFO, "http", "session created (%u live)",
                       atomic_load(&h->nsessions));
        } else if (!pcfmcp_session_is_initialized(rq->se->es) &&
                   !(mode == MODE_JSON && err && (code == PCFMCP__RPC_PARSE_ERROR || rq->initialize))) {
            /* Without a session only initialize gets its own answer (its
             * error included); anything else learns it needs a session. */
            pcfmcp__free(json);
            pcfmcp__free(head);
            pcfmcp__blob_unref(body);
            return refuse(rq, c, 400, PCFMCP__RPC_INVALID_REQUEST,
                          "Bad Request: Mcp-Session-Id header is required", NULL, NULL);
        }
    }
    if (mode == MODE_JSON)
        return queue_json(rq, c, status_for(rq->modern, err, code), sid, json, jlen, head, hlen,
                          body);
    if (mode == MODE_SSE)
        return queue_sse(rq, c, st, sid);
    /* Nothing to say: a notification or response, or a cancelled request. */
    pcfmcp__free(json);
    return refuse(rq, c, 202, 0, NULL, NULL, NULL);
}

static enum MHD_Result start_engine(req *rq, struct MHD_Connection *c, pcfmcp_session_t *es,
                                    bool own_es)
{
    pcfmcp_http_t *h = rq->h;
    stream *st = stream_new(h);
    if (!st) {
        if (own_es)
            pcfmcp_session_free(es);
        return refuse(rq, c, 503, PCFMCP__RPC_INTERNAL_ERROR, "out of memory", NULL, NULL);
    }
    st->es = es;
    st->own_es = own_es;
    if (!own_es)
        pcfmcp__session_ref(es);
    /* Legacy stateful streams can be resumed; the client leaving one does
     * not cancel its request (2025 spec). Everything else ends with it. */
    st->resumable = rq->se && !rq->modern && !rq->tentative;
    st->cancel_on_close = !st->resumable;
    rq->st = st;
    if (st->resumable) {
        const char *v = pcfmcp_session_protocol_version(es);
        st->owner = rq->se;
        /* The priming event lets a client resume even before the first real
         * event; clients older than 2025-11-25 may not expect empty data. */
        st->priming = v && strcmp(v, "2025-11-25") >= 0;
    }
    st->listen = strcmp(rq->label, "subscriptions/listen") == 0;
    stream_ref(st); /* the engine's */
    st->engine_busy = true;
    atomic_fetch_add(&h->inflight, 1);
    const char *tp = hdr(c, "traceparent");
    const char *ts = hdr(c, "tracestate");
    pcfmcp_handled_t handled = PCFMCP_HANDLED_DONE;
    pcfmcp__handle_info info = { .take_final = true };
    pcfmcp__engine_handle(h->engine, es, rq->body.data ? rq->body.data : "", rq->body.len, on_emit,
                          st, tp, ts, &handled, &info);
    rq->initialize = info.initialize;
    if (info.final_msg || info.final_body) {
        /* Answered inline with nothing before it: the engine handed the
         * message over instead of emitting a copy. */
        pthread_mutex_lock(&st->lock);
        st->final_seen = true;
        st->engine_busy = false;
        st->final_error = info.rpc_error != 0;
        st->rpc_code = info.rpc_error;
        st->mode = MODE_JSON;
        st->final_json = info.final_msg;
        st->final_len = info.final_len;
        st->final_head = info.final_head;
        st->final_head_len = info.final_head_len;
        st->final_body = info.final_body;
        pthread_mutex_unlock(&st->lock);
        engine_done(st);
    } else if (handled != PCFMCP_HANDLED_PENDING) {
        /* Everything has been emitted. No final message for a request means
         * the engine could not even build its error (out of memory). */
        pthread_mutex_lock(&st->lock);
        bool busy = st->engine_busy;
        bool silent = st->mode == MODE_PENDING && !st->final_seen;
        st->engine_busy = false;
        pthread_mutex_unlock(&st->lock);
        if (busy)
            engine_done(st);
        if (handled == PCFMCP_HANDLED_DONE && silent)
            return refuse(rq, c, 503, PCFMCP__RPC_INTERNAL_ERROR, "out of memory", "Retry-After", "1");
    }
    if (handled == PCFMCP_HANDLED_PENDING) {
        pthread_mutex_lock(&st->lock);
        bool ready = st->mode != MODE_PENDING || st->final_seen;
        if (!ready) {
            st->conn = c;
            st->rq = rq;
            st->suspended = true;
            rq->waiting = true;
            MHD_suspend_connection(c);
        }
        pthread_mutex_unlock(&st->lock);
        if (!ready) {
            live_add(h, st);
            return MHD_YES;
        }
    }
    return answer(rq, c);
}

/* A session this replica does not know: with a shared store its id names
 * the replica that made it, and when that replica is alive the load
 * balancer sent the request to the wrong one. Answering 404 would make the
 * client start a session here, which the next request may miss again; 421
 * says what to fix. Returns the MHD result when it answered, else -1. */
static int misrouted(req *rq, struct MHD_Connection *c, const char *sid)
{
    pcfmcp_http_t *h = rq->h;
    const char *dot = h->store ? strchr(sid, '.') : NULL;
    if (!dot || dot == sid || (size_t)(dot - sid) >= 32)
        return -1;
    char tag[32], name[128];
    snprintf(tag, sizeof(tag), "%.*s", (int)(dot - sid), sid);
    if (pcfmcp__store_replica_alive(h->store, tag, name, sizeof(name)) != 1)
        return -1;
    /* Once at warn: a misconfigured balancer would otherwise flood the log;
     * pcf_mcp_http_requests_total{code="421"} counts them all. */
    bool first = !atomic_exchange(&h->told_misrouted, true);
    PCFMCP_LOG(h->log, first ? PCFMCP_LOG_WARN : PCFMCP_LOG_DEBUG, "http",
               "a request for a session of replica %s arrived here: the load balancer does not "
               "route sessions stickily (answered 421)", name);
    return refuse(rq, c, 421, PCFMCP__RPC_INVALID_REQUEST,
                  "Misdirected Request: this session belongs to another pcf-mcp replica. Route "
                  "every request of a session to the replica that created it (sticky routing on "
                  "the Mcp-Session-Id header), or run the replicas with --stateless",
                  NULL, NULL);
}

void pcfmcp__http_set_store(pcfmcp_http_t *h, pcfmcp__store *st)
{
    if (h)
        h->store = st;
}

static enum MHD_Result handle_post(req *rq, struct MHD_Connection *c)
{
    pcfmcp_http_t *h = rq->h;
    if (rq->too_big) {
        char msg[96];
        snprintf(msg, sizeof(msg), "request body larger than %llu bytes",
                 h->lim[PCFMCP_HTTP_LIMIT_BODY_BYTES]);
        return refuse(rq, c, 413, PCFMCP__RPC_INVALID_REQUEST, msg, NULL, NULL);
    }
    const char *body = rq->body.data ? rq->body.data : "";
    size_t blen = rq->body.len;
    rq->label = method_label(body, blen);
    const char *hver = hdr(c, "MCP-Protocol-Version");
    if (hver && !supported_version(hver))
        return unsupported_version(rq, c, hver, body, blen);
    rq->modern = hver && strcmp(hver, PCFMCP_PROTOCOL_STATELESS) == 0;
    /* A 2026-07-28 body needs the matching header; only such bodies contain
     * the version string, so legacy traffic skips the extra parse. */
    bool maybe_modern = rq->modern || memmem(body, blen, PCFMCP_PROTOCOL_STATELESS, 10) != NULL;
    if (maybe_modern) {
        cJSON *msg = NULL;
        if (pcfmcp__json_parse(body, blen, 64, &msg, NULL) == PCFMCP__JSON_OK && cJSON_IsObject(msg)) {
            const char *bver = pcfmcp__json_str(
                pcfmcp__json_obj(cJSON_GetObjectItemCaseSensitive(msg, "params"), "_meta"), META_VERSION);
            bool body_modern = bver && strcmp(bver, PCFMCP_PROTOCOL_STATELESS) == 0;
            char why[256];
            if ((rq->modern || body_modern) &&
                !check_modern_headers(h, c, msg, hver, why, sizeof(why))) {
                const cJSON *id = cJSON_GetObjectItemCaseSensitive(msg, "id");
                pcfmcp__buf idb;
                pcfmcp__buf_init(&idb);
                pcfmcp__rpc_append_id(&idb, id);
                size_t len = 0;
                char *err = pcfmcp__buf_ok(&idb)
                                ? pcfmcp__rpc_error(idb.data, PCFMCP__RPC_HEADER_MISMATCH, why, NULL, &len)
                                : NULL;
                pcfmcp__buf_free(&idb);
                cJSON_Delete(msg);
                if (!err)
                    return MHD_NO;
                return queue_owned(rq, c, 400, "application/json", err, len, false);
            }
            if (body_modern)
                rq->modern = true;
        }
        cJSON_Delete(msg);
    }
    if (atomic_load(&h->draining)) {
        /* Answers to our own requests still flow so running tools can finish. */
        bool request = memmem(body, blen, "\"method\"", 8) && memmem(body, blen, "\"id\"", 4);
        if (request)
            return refuse(rq, c, 503, pcfmcp__rpc_code_for(PCFMCP_ERR_UNAVAILABLE, rq->modern),
                          "server is shutting down", "Retry-After", "5");
    }
    if (rq->modern || h->stateless) {
        pcfmcp_session_t *es = NULL;
        if (pcfmcp_session_new(&es, h->engine, PCFMCP_SESSION_STATELESS) != PCFMCP_OK)
            return refuse(rq, c, 503, PCFMCP__RPC_INTERNAL_ERROR, "out of memory", NULL, NULL);
        /* A 2026-07-28 header pins the revision: such a request without the
         * _meta to match is refused, never served as a 2025 one. */
        pcfmcp_session_set_protocol_version(es, rq->modern ? PCFMCP_PROTOCOL_STATELESS
                                                           : hver ? hver : "2025-03-26");
        if (rq->identity[0])
            pcfmcp_session_set_identity(es, rq->identity);
        return start_engine(rq, c, es, true);
    }
    const char *sid = hdr(c, "Mcp-Session-Id");
    if (!sid) {
        /* Only initialize may come without a session; the engine tells us
         * afterwards whether it was one. */
        if (!(rq->se = sess_new(h, rq->identity)))
            return refuse(rq, c, 503, PCFMCP__RPC_INTERNAL_ERROR, "out of memory", NULL, NULL);
        rq->tentative = true;
        /* A refused initialize costs the engine nothing, and two racing for
         * the last slot cannot both win. */
        enum MHD_Result refused;
        if (strcmp(rq->label, "initialize") == 0 && !take_session_slot(rq, c, rq->se, &refused))
            return refused;
        return start_engine(rq, c, rq->se->es, false);
    }
    rq->se = sess_find(h, sid);
    if (!rq->se || strcmp(rq->se->identity, rq->identity) != 0) {
        /* A session bound to someone else looks exactly like a missing one. */
        bool missing = !rq->se;
        sess_unref(rq->se);
        rq->se = NULL;
        int m = missing ? misrouted(rq, c, sid) : -1;
        if (m >= 0)
            return (enum MHD_Result)m;
        return refuse(rq, c, 404, PCFMCP__RPC_INVALID_REQUEST,
                      "Not Found: unknown or expired session; initialize a new one", NULL, NULL);
    }
    return start_engine(rq, c, rq->se->es, false);
}

/* ================================================================ GET / DELETE */

static enum MHD_Result handle_get(req *rq, struct MHD_Connection *c)
{
    pcfmcp_http_t *h = rq->h;
    rq->label = "GET";
    const char *hver = hdr(c, "MCP-Protocol-Version");
    if (h->stateless || (hver && strcmp(hver, PCFMCP_PROTOCOL_STATELESS) == 0))
        return refuse(rq, c, 405, PCFMCP__RPC_INVALID_REQUEST,
                      "Method Not Allowed: no standalone stream without sessions", NULL, NULL);
    if (!pcfmcp__http_accepts(hdr(c, "Accept"), "text/event-stream"))
        return refuse(rq, c, 406, PCFMCP__RPC_INVALID_REQUEST,
                      "Not Acceptable: GET needs Accept: text/event-stream", NULL, NULL);
    if (atomic_load(&h->draining))
        return refuse(rq, c, 503, pcfmcp__rpc_code_for(PCFMCP_ERR_UNAVAILABLE, false),
                      "server is shutting down", "Retry-After", "5");
    const char *sid = hdr(c, "Mcp-Session-Id");
    if (!sid)
        return refuse(rq, c, 400, PCFMCP__RPC_INVALID_REQUEST,
                      "Bad Request: Mcp-Session-Id header is required", NULL, NULL);
    rq->se = sess_find(h, sid);
    if (!rq->se || strcmp(rq->se->identity, rq->identity) != 0) {
        bool missing = !rq->se;
        sess_unref(rq->se);
        rq->se = NULL;
        int m = missing ? misrouted(rq, c, sid) : -1;
        if (m >= 0)
            return (enum MHD_Result)m;
        return refuse(rq, c, 404, PCFMCP__RPC_INVALID_REQUEST,
                      "Not Found: unknown or expired session", NULL, NULL);
    }
    sess *s = rq->se;
    stream *st = NULL;
    const char *last = hdr(c, "Last-Event-ID");
    unsigned sid_n = 0;
    unsigned long long seq = 0;
    if (last && sscanf(last, "%u_%llu", &sid_n, &seq) == 2)
        st = sess_find_stream(s, sid_n);
    if (st) {
        pthread_mutex_lock(&st->lock);
        bool busy = st->rq != NULL && !st->ended;
        if (!busy) {
            ev *e = st->head;
            while (e && e->seq <= seq)
                e = e->next;
            st->cur = e;
            st->cur_off = 0;
        }
        pthread_mutex_unlock(&st->lock);
        if (busy) {
            stream_unref(st);
            return refuse(rq, c, 409, PCFMCP__RPC_INVALID_REQUEST,
                          "Conflict: that stream is already being read", NULL, NULL);
        }
        rq->st = st;
        return queue_sse(rq, c, st, NULL);
    }
    pthread_mutex_lock(&s->lock);
    st = s->get_stream ? stream_ref(s->get_stream) : NULL;
    pthread_mutex_unlock(&s->lock);
    if (st) {
        pthread_mutex_lock(&st->lock);
        bool busy = st->rq != NULL && !st->ended;
        pthread_mutex_unlock(&st->lock);
        if (busy) {
            stream_unref(st);
            return refuse(rq, c, 409, PCFMCP__RPC_INVALID_REQUEST,
                          "Conflict: this session already has a GET stream", NULL, NULL);
        }
    } else {
        if (!(st = stream_new(h)))
            return MHD_NO;
        st->standalone = true;
        st->resumable = true;
        st->mode = MODE_SSE;
        pthread_mutex_lock(&s->lock);
        st->id = ++s->next_stream;
        if (!s->get_stream)
            s->get_stream = stream_ref(st);
        pthread_mutex_unlock(&s->lock);
        const char *v = pcfmcp_session_protocol_version(s->es);
        if (v && strcmp(v, "2025-11-25") >= 0) {
            pthread_mutex_lock(&st->lock);
            stream_push(st, NULL, 0);
            pthread_mutex_unlock(&st->lock);
        }
    }
    rq->st = st;
    return queue_sse(rq, c, st, NULL);
}

static enum MHD_Result handle_delete(req *rq, struct MHD_Connection *c)
{
    pcfmcp_http_t *h = rq->h;
    rq->label = "DELETE";
    const char *hver = hdr(c, "MCP-Protocol-Version");
    if (h->stateless || (hver && strcmp(hver, PCFMCP_PROTOCOL_STATELESS) == 0))
        return refuse(rq, c, 405, PCFMCP__RPC_INVALID_REQUEST,
                      "Method Not Allowed: no sessions to end", NULL, NULL);
    const char *sid = hdr(c, "Mcp-Session-Id");
    if (!sid)
        return refuse(rq, c, 400, PCFMCP__RPC_INVALID_REQUEST,
                      "Bad Request: Mcp-Session-Id header is required", NULL, NULL);
    sess *s = sess_find(h, sid);
    if (!s || strcmp(s->identity, rq->identity) != 0) {
        bool missing = !s;
        sess_unref(s);
        int m = missing ? misrouted(rq, c, sid) : -1;
        if (m >= 0)
            return (enum MHD_Result)m;
        return refuse(rq, c, 404, PCFMCP__RPC_INVALID_REQUEST,
                      "Not Found: unknown or expired session", NULL, NULL);
    }
    if (sess_remove(h, s)) {
        sess_kill(s);
        sess_unref(s); /* the table's reference */
    }
    sess_unref(s);
    PCFMCP_LOG(h->log, PCFMCP_LOG_INFO, "http", "session ended by the client (%u live)",
               atomic_load(&h->nsessions));
    return refuse(rq, c, 204, 0, NULL, NULL, NULL);
}

/* ================================================================ ops */

static enum MHD_Result handle_ops(req *rq, struct MHD_Connection *c, const char *url)
{
    pcfmcp_http_t *h = rq->h;
    if (strcmp(url, "/healthz") == 0) {
        rq->label = "GET /healthz";
        return queue_text(rq, c, 200, "application/json", "{\"status\":\"ok\"}");
    }
    if (strcmp(url, "/readyz") == 0) {
        rq->label = "GET /readyz";
        pcfmcp_http_text_t t;
        pcfmcp__buf_init(&t.buf);
        bool ready = true;
        if (atomic_load(&h->draining)) {
            ready = false;
            pcfmcp__buf_puts(&t.buf, "draining: shutting down\n");
        }
        if (h->ready_cb && !h->ready_cb(&t, h->ready_ud))
            ready = false;
        pcfmcp__buf out;
        pcfmcp__buf_init(&out);
        pcfmcp__buf_printf(&out, "{\"status\":\"%s\",\"reasons\":[", ready ? "ready" : "not ready");
        size_t n = 0;
        const char *p = t.buf.data ? t.buf.data : "";
        while (*p) {
            size_t l = strcspn(p, "\n");
            if (l) {
                if (n++)
                    pcfmcp__buf_putc(&out, ',');
                pcfmcp__buf_json_string(&out, p, l);
            }
            p += l + (p[l] ? 1 : 0);
        }
        pcfmcp__buf_puts(&out, "]}");
        pcfmcp__buf_free(&t.buf);
        size_t len = 0;
        char *b = pcfmcp__buf_steal(&out, &len);
        if (!b)
            return MHD_NO;
        return queue_owned(rq, c, ready ? 200 : 503, "application/json", b, len, false);
    }
    rq->label = "GET /metrics";
    if (!h->metrics_cb)
        return refuse(rq, c, 404, 0, NULL, NULL, NULL);
    pcfmcp_http_text_t t;
    pcfmcp__buf_init(&t.buf);
    h->metrics_cb(&t, h->metrics_ud);
    size_t len = 0;
    pcfmcp__buf_putc(&t.buf, '\0');
    char *b = pcfmcp__buf_steal(&t.buf, &len);
    if (!b)
        return MHD_NO;
    return queue_owned(rq, c, 200, "text/plain; version=0.0.4; charset=utf-8", b, len - 1, true);
}

/* CORS preflight from an allowed origin. */
static enum MHD_Result handle_preflight(req *rq, struct MHD_Connection *c)
{
    rq->label = "OPTIONS";
    struct MHD_Response *r = MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    add_cors(rq, r);
    MHD_add_response_header(r, "Access-Control-Allow-Methods", rq->h->stateless ? "POST" : "GET, POST, DELETE");
    char *allow = pcfmcp__http_cors_allow_headers(hdr(c, "Access-Control-Request-Headers"));
    if (!allow) {
        MHD_destroy_response(r);
        return MHD_NO;
    }
    MHD_add_response_header(r, "Access-Control-Allow-Headers", allow);
    MHD_add_response_header(r, "Vary", "Access-Control-Request-Headers");
    pcfmcp__free(allow);
    MHD_add_response_header(r, "Access-Control-Max-Age", "600");
    rq->status = 204;
    rq->route = ROUTE_DONE;
    enum MHD_Result ret = queue_response(rq, c, 204, r);
    MHD_destroy_response(r);
    return ret;
}

static bool is_ops_path(const char *url)
{
    return strcmp(url, "/healthz") == 0 || strcmp(url, "/readyz") == 0 || strcmp(url, "/metrics") == 0;
}

static enum MHD_Result handle_prm(req *rq, struct MHD_Connection *c)
{
    pcfmcp_http_t *h = rq->h;
    rq->label = "GET /.well-known/oauth-protected-resource";
    if (!h->meta_cb)
        return refuse(rq, c, 404, 0, NULL, NULL, NULL);
    /* RFC 9728 3: the document at /.well-known/oauth-protected-resource<path>
     * describes the resource <origin><path>, and its `resource` must be
     * exactly that, so the root document names the origin, not the
     * endpoint (a client must not use metadata naming another resource). */
    static const char prm[] = "/.well-known/oauth-protected-resource";
    bool root = rq->url && strcmp(rq->url, prm) == 0 && strcmp(h->path, "/") != 0;
    char url[512];
    if (h->public_url) {
        const char *sep = strstr(h->public_url, "://");
        const char *path = sep ? strchr(sep + 3, '/') : NULL;
        int origin_len = path ? (int)(path - h->public_url) : (int)strlen(h->public_url);
        snprintf(url, sizeof(url), "%.*s%s", origin_len, h->public_url, root || !path ? "" : path);
    } else {
        const char *host = hdr(c, "Host");
        snprintf(url, sizeof(url), "%s://%s%s", tls_on(h) ? "https" : "http", host ? host : "localhost",
                 root ? "" : h->path);
    }
    char *json = NULL;
    if (h->meta_cb(url, &json, h->auth_ud) != PCFMCP_OK || !json) {
        free(json);
        return refuse(rq, c, 404, 0, NULL, NULL, NULL);
    }
    char *copy = pcfmcp__strdup(json);
    free(json);
    if (!copy)
        return MHD_NO;
    return queue_owned(rq, c, 200, "application/json", copy, strlen(copy), false);
}

/* ================================================================ dispatch */

/* /metrics names identities, tools and PCF endpoints: where the MCP
 * endpoint needs credentials and this listener is reachable beyond
 * loopback, so does it (unless told otherwise). */
static bool metrics_need_auth(pcfmcp_http_t *h, bool on_ops)
{
    if (h->metrics_auth == PCFMCP_HTTP_METRICS_AUTH_NEVER)
        return false;
    if (h->metrics_auth == PCFMCP_HTTP_METRICS_AUTH_ALWAYS)
        return true;
    return !on_ops && !h->loopback && (h->auth_cb || h->tls_ca);
}

/* First call of a request: every check that needs only the headers. Refusals
 * are recorded and sent after the body (an answer queued before libmicrohttpd
 * has read the request would cost the keep-alive connection). */
static enum MHD_Result first_call(req *rq, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version)
{
    pcfmcp_http_t *h = rq->h;
    rq->url = url;
    rq->method = method;
    const char *bad = check_headers(c, version);
    if (bad) {
        /* Answered at once and the connection closed: where this request's
         * body ends, and so where the next request starts, is in doubt. */
        char msg[160];
        snprintf(msg, sizeof(msg), "Bad Request: %s", bad);
        rq->defer = false;
        rq->label = "bad request";
        return refuse(rq, c, 400, PCFMCP__RPC_INVALID_REQUEST, msg, "Connection", "close");
    }
    rq->gzip_ok = pcfmcp__http_accepts_gzip(hdr(c, "Accept-Encoding"));
    bool on_ops = h->ops && MHD_get_connection_info(c, MHD_CONNECTION_INFO_DAEMON)->daemon == h->ops;
    if (on_ops || (!h->ops_separate && is_ops_path(url))) {
        if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
            return refuse(rq, c, 405, 0, NULL, NULL, NULL);
        if (!is_ops_path(url))
            return refuse(rq, c, 404, 0, NULL, NULL, NULL);
        enum MHD_Result ret = MHD_NO;
        if (strcmp(url, "/metrics") == 0 && metrics_need_auth(h, on_ops) && !authenticate(rq, c, &ret))
            return ret;
        rq->route = ROUTE_OPS;
        return MHD_YES;
    }
    conn_ctx *cc = conn_of(c);
    if (cc && cc->reserved) {
        /* A slot kept for probes: refused now and closed, body unread. */
        rq->defer = false;
        return refuse(rq, c, 503, pcfmcp__rpc_code_for(PCFMCP_ERR_UNAVAILABLE, false),
                      "too many connections: try again later",
                      "Retry-After", "1");
    }
    if (!host_allowed(h, c))
        return refuse(rq, c, 403, PCFMCP__RPC_INVALID_REQUEST, "Forbidden: Host not allowed", NULL, NULL);
    if (!origin_allowed(h, c))
        return refuse(rq, c, 403, PCFMCP__RPC_INVALID_REQUEST, "Forbidden: Origin not allowed", NULL, NULL);
    rq->cors_origin = hdr(c, "Origin");
    if (strcmp(method, "OPTIONS") == 0 && rq->cors_origin) {
        rq->route = ROUTE_PREFLIGHT;
        return MHD_YES;
    }
    static const char prm[] = "/.well-known/oauth-protected-resource";
    if (strncmp(url, prm, sizeof(prm) - 1) == 0 &&
        (url[sizeof(prm) - 1] == '\0' || strcmp(url + sizeof(prm) - 1, h->path) == 0)) {
        if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0)
            return refuse(rq, c, 405, 0, NULL, NULL, NULL);
        rq->route = ROUTE_PRM;
        return MHD_YES;
    }
    if (strcmp(url, h->path) != 0)
        return refuse(rq, c, 404, 0, NULL, NULL, NULL);
    enum MHD_Result ret = MHD_NO;
    if (!authenticate(rq, c, &ret))
        return ret;
    if (strcmp(method, "POST") == 0) {
        rq->label = "POST";
        const char *accept = hdr(c, "Accept");
        if (!pcfmcp__http_accepts(accept, "application/json") ||
            !pcfmcp__http_accepts(accept, "text/event-stream"))
            return refuse(rq, c, 406, PCFMCP__RPC_INVALID_REQUEST,
                          "Not Acceptable: Accept must allow application/json and text/event-stream",
                          NULL, NULL);
        if (!pcfmcp__http_is_json_type(hdr(c, "Content-Type")))
            return refuse(rq, c, 415, PCFMCP__RPC_INVALID_REQUEST,
                          "Unsupported Media Type: Content-Type must be application/json", NULL, NULL);
        const char *cl = hdr(c, "Content-Length");
        if (cl && strtoull(cl, NULL, 10) > h->lim[PCFMCP_HTTP_LIMIT_BODY_BYTES]) {
            /* Refused at once, before reading it: libmicrohttpd then closes
             * the connection instead of draining a body we do not want. */
            char msg[96];
            snprintf(msg, sizeof(msg), "request body larger than %llu bytes",
                     h->lim[PCFMCP_HTTP_LIMIT_BODY_BYTES]);
            rq->defer = false;
            return refuse(rq, c, 413, PCFMCP__RPC_INVALID_REQUEST, msg, NULL, NULL);
        }
        if (!admit(rq, c, &ret))
            return ret;
        rq->route = ROUTE_POST;
        return MHD_YES;
    }
    if (!admit(rq, c, &ret))
        return ret;
    if (strcmp(method, "GET") == 0)
        rq->route = ROUTE_GET;
    else if (strcmp(method, "DELETE") == 0)
        rq->route = ROUTE_DELETE;
    else
        return refuse(rq, c, 405, PCFMCP__RPC_INVALID_REQUEST, "Method Not Allowed", NULL, NULL);
    return MHD_YES;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **con_cls)
{
    pcfmcp_http_t *h = cls;
    req *rq = *con_cls;
    if (!rq) {
        if (!(rq = pcfmcp__calloc(1, sizeof(*rq))))
            return MHD_NO;
        rq->h = h;
        rq->start_ns = pcfmcp__now_ns();
        rq->label = "other";
        pcfmcp__buf_init(&rq->body);
        *con_cls = rq;
        rq->defer = true;
        enum MHD_Result r = first_call(rq, c, url, method, version);
        rq->defer = false;
        return r;
    }
    if (rq->waiting) {
        /* Resumed: the engine has emitted. */
        rq->waiting = false;
        live_remove(h, rq->st);
        pthread_mutex_lock(&rq->st->lock);
        if (rq->st->rq == rq) {
            rq->st->conn = NULL;
            rq->st->rq = NULL;
        }
        bool stop = atomic_load(&h->final_stop) && rq->st->mode == MODE_PENDING && !rq->st->final_seen;
        pthread_mutex_unlock(&rq->st->lock);
        if (stop)
            return MHD_NO;
        return answer(rq, c);
    }
    if (*upload_size) {
        if (rq->route == ROUTE_POST && !rq->too_big) {
            if (rq->body.len + *upload_size > h->lim[PCFMCP_HTTP_LIMIT_BODY_BYTES]) {
                rq->too_big = true;
                pcfmcp__buf_free(&rq->body);
            } else {
                pcfmcp__buf_append(&rq->body, upload, *upload_size);
            }
        }
        *upload_size = 0; /* bodies of refused requests are read and dropped */
        return MHD_YES;
    }
    int route = rq->route;
    rq->route = ROUTE_DONE;
    if (route != ROUTE_DONE)
        read_deadline_clear(conn_of(c));
    switch (route) {
    case ROUTE_REFUSED:
        return refuse(rq, c, rq->ref_status, rq->ref_code, rq->ref_msg[0] ? rq->ref_msg : NULL,
                      rq->ref_hdr[0] ? rq->ref_hdr : NULL, rq->ref_hval[0] ? rq->ref_hval : NULL);
    case ROUTE_OPS:
        return handle_ops(rq, c, rq->url);
    case ROUTE_PREFLIGHT:
        return handle_preflight(rq, c);
    case ROUTE_PRM:
        return handle_prm(rq, c);
    case ROUTE_GET:
        return handle_get(rq, c);
    case ROUTE_DELETE:
        return handle_delete(rq, c);
    case ROUTE_POST:
        if (!rq->too_big && !pcfmcp__buf_ok(&rq->body))
            return refuse(rq, c, 503, PCFMCP__RPC_INTERNAL_ERROR, "out of memory", "Retry-After", "1");
        return handle_post(rq, c);
    default:
        return MHD_YES; /* answered already; nothing more to say */
    }
}

static void on_completed(void *cls, struct MHD_Connection *c, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    pcfmcp_http_t *h = cls;
    /* A kept-alive connection is reading the next request from now on. */
    read_deadline_arm(conn_of(c), true);
    req *rq = *con_cls;
    if (!rq)
        return;
    *con_cls = NULL;
    stream *st = rq->st;
    if (st) {
        live_remove(h, st);
        bool cancel = false;
        pthread_mutex_lock(&st->lock);
        if (st->rq == rq) {
            st->rq = NULL;
            st->conn = NULL;
            st->suspended = false;
        }
        if (st->owner == rq->se)
            st->owner = NULL;
        bool unfinished = st->engine_busy;
        /* A stream the client could resume keeps its request running; one
         * that never got event ids (still waiting for a JSON answer) cannot
         * be resumed, so its request ends with the connection. */
        if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK || st->gone)
            cancel = unfinished && (st->cancel_on_close || st->mode != MODE_SSE);
        pthread_mutex_unlock(&st->lock);
        if (cancel) {
            size_t n = pcfmcp__session_cancel_ud(st->es, st);
            PCFMCP_LOG(h->log, PCFMCP_LOG_INFO, "http", "client closed the stream: cancelled %zu request(s)", n);
        }
        stream_unref(st);
    }
    if (rq->tentative && rq->se && !rq->inserted)
        sess_release_slot(h, rq->se); /* no session came of it */
    sess_unref(rq->se);
    if (h->obs_cb) {
        /* No answer is not a server error: say why there was none. */
        unsigned status = rq->status;
        if (!status) {
            conn_ctx *cc = conn_of(c);
            status = toe == MHD_REQUEST_TERMINATED_TIMEOUT_REACHED || (cc && atomic_load(&cc->cut))
                         ? PCFMCP_HTTP_STATUS_TIMEOUT
                         : PCFMCP_HTTP_STATUS_ABORTED;
        }
        h->obs_cb(rq->label, status, (double)(pcfmcp__now_ns() - rq->start_ns) / 1e9,
                  atomic_load(&h->connections), h->obs_ud);
    }
    pcfmcp__buf_free(&rq->body);
    pcfmcp__free(rq);
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    (void)c;
    pcfmcp_http_t *h = cls;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        atomic_fetch_add(&h->connections, 1);
        conn_ctx *cc = pcfmcp__calloc(1, sizeof(*cc));
        const union MHD_ConnectionInfo *ci = MHD_get_connection_info(c, MHD_CONNECTION_INFO_CONNECTION_FD);
        if (cc && ci) {
            cc->h = h;
            cc->fd = ci->connect_fd;
            peer_address(c, cc->peer);
            read_deadline_arm(cc, false);
            const union MHD_ConnectionInfo *di = MHD_get_connection_info(c, MHD_CONNECTION_INFO_DAEMON);
            if (!h->ops || !di || di->daemon != h->ops) {
                cc->counted = true;
                unsigned n = atomic_fetch_add(&h->mcp_connections, 1) + 1;
                if (n > h->lim[PCFMCP_HTTP_LIMIT_CONNECTIONS]) {
                    cc->reserved = true;
                    uint64_t lim = h->lim[PCFMCP_HTTP_LIMIT_REQUEST_READ_TIMEOUT_MS];
                    atomic_store(&cc->read_deadline_ms,
                                 pcfmcp__now_ms() + (lim < RESERVE_READ_MS ? lim : RESERVE_READ_MS));
                }
            }
            pthread_mutex_lock(&h->wd_lock);
            cc->wnext = h->wd_head;
            if (h->wd_head)
                h->wd_head->wprev = cc;
            h->wd_head = cc;
            pthread_mutex_unlock(&h->wd_lock);
        } else if (cc) {
            cc->h = h;
            cc->fd = -1;
        }
        *socket_context = cc;
    } else {
        atomic_fetch_sub(&h->connections, 1);
        conn_ctx *cc = *socket_context;
        if (cc && cc->counted)
            atomic_fetch_sub(&h->mcp_connections, 1);
        if (cc && cc->fd >= 0) {
            pthread_mutex_lock(&h->wd_lock);
            if (cc->wprev)
                cc->wprev->wnext = cc->wnext;
            else
                h->wd_head = cc->wnext;
            if (cc->wnext)
                cc->wnext->wprev = cc->wprev;
            pthread_mutex_unlock(&h->wd_lock);
        }
        pcfmcp__free(cc);
        *socket_context = NULL;
    }
}

pcfmcp__tls_store *pcfmcp__http_tls_store_for(void *mhd_connection)
{
    struct MHD_Connection *c = mhd_connection;
    if (!c)
        return NULL;
    conn_ctx *cc = conn_of(c);
    return cc ? cc->h->tls : NULL;
}

/* libmicrohttpd (0.9.75) keeps a request's header block and a record per
 * field in the connection's memory pool (#PCFMCP_HTTP_LIMIT_HEADER_BYTES)
 * and builds the answer's header in what is left. A header that does not
 * fit gets its 431; one that fits but leaves less room than the answer's
 * header needs (a few hundred bytes; folded lines keep the whole read
 * buffer) gets the connection closed without an answer, after every
 * callback of ours has run. No code of ours can answer then, so it is
 * counted and said at warning level, with the setting that avoids it. */
static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    pcfmcp_http_t *h = cls;
    char line[512];
    vsnprintf(line, sizeof(line), fmt, ap);
    line[strcspn(line, "\n")] = '\0';
    if (strstr(line, "failed to create response header")) {
        atomic_fetch_add(&h->unanswered, 1);
        PCFMCP_LOG(h->log, PCFMCP_LOG_WARN, "http",
                   "closed a connection without an answer: the request's header left "
                   "libmicrohttpd no memory for the answer's header (raise "
                   "server.max_header_bytes if clients send headers this large)");
        return;
    }
    if (pcfmcp_logger_enabled(h->log, PCFMCP_LOG_DEBUG))
        PCFMCP_LOG(h->log, PCFMCP_LOG_DEBUG, "http", "libmicrohttpd: %s", line);
}

/* ================================================================ public API */

PCFMCP_API pcfmcp_error_t pcfmcp_http_text_append(pcfmcp_http_text_t *t, const char *text, size_t len)
{
    if (!t || (!text && len))
        return PCFMCP_ERR_INVALID_ARG;
    pcfmcp__buf_append(&t->buf, text, len);
    return pcfmcp__buf_ok(&t->buf) ? PCFMCP_OK : PCFMCP_ERR_NOMEM;
}

PCFMCP_API pcfmcp_error_t pcfmcp_http_new(pcfmcp_http_t **out, pcfmcp_engine_t *engine)
{
    if (!out || !engine)
        return PCFMCP_ERR_INVALID_ARG;
    pcfmcp_http_t *h = pcfmcp__calloc(1, sizeof(*h));
    if (!h)
        return PCFMCP_ERR_NOMEM;
    h->engine = engine;
    h->stop_pipe[0] = h->stop_pipe[1] = -1;
    h->port = 8080;
    h->lim[PCFMCP_HTTP_LIMIT_BODY_BYTES] = 4ull << 20;
    h->lim[PCFMCP_HTTP_LIMIT_HEADER_BYTES] = 32ull << 10;
    h->lim[PCFMCP_HTTP_LIMIT_CONNECTIONS] = 1024;
    h->lim[PCFMCP_HTTP_LIMIT_CONNECTIONS_PER_IP] = 256;
    h->lim[PCFMCP_HTTP_LIMIT_CONNECTION_TIMEOUT_MS] = 60000;
    h->lim[PCFMCP_HTTP_LIMIT_THREADS] = 2;
    h->lim[PCFMCP_HTTP_LIMIT_SESSIONS] = 1000;
    h->lim[PCFMCP_HTTP_LIMIT_SESSION_IDLE_MS] = 1800000;
    h->lim[PCFMCP_HTTP_LIMIT_SSE_KEEPALIVE_MS] = 15000;
    h->lim[PCFMCP_HTTP_LIMIT_SSE_BUFFER_EVENTS] = 64;
    h->lim[PCFMCP_HTTP_LIMIT_STREAMS_PER_SESSION] = 32;
    h->lim[PCFMCP_HTTP_LIMIT_GRACE_MS] = 10000;
    h->lim[PCFMCP_HTTP_LIMIT_GZIP_MIN_BYTES] = 2048;
    h->lim[PCFMCP_HTTP_LIMIT_REQUEST_READ_TIMEOUT_MS] = 30000;
    h->lim[PCFMCP_HTTP_LIMIT_SESSIONS_PER_CALLER] = 100;
    for (size_t i = 0; i < SHARDS; i++)
        pthread_mutex_init(&h->shards[i].lock, NULL);
    pthread_mutex_init(&h->live_lock, NULL);
    pthread_mutex_init(&h->wd_lock, NULL);
    if (!(h->host = pcfmcp__strdup("127.0.0.1")) || !(h->path = pcfmcp__strdup("/mcp")) ||
        !(h->slots = pcfmcp__http_slots_new()) ||
        pcfmcp__pipe_cloexec_nonblock(h->stop_pipe) != 0) {
        pcfmcp_http_free(h);
        return PCFMCP_ERR_NOMEM;
    }
    h->path_len = 4;
    *out = h;
    return PCFMCP_OK;
}

static void stop_daemons(pcfmcp_http_t *h);

static void destroy_sessions(pcfmcp_http_t *h)
{
    for (size_t i = 0; i < SHARDS; i++) {
        shard *sh = &h->shards[i];
        pthread_mutex_lock(&sh->lock);
        sess *list = sh->head;
        sh->head = NULL;
        pthread_mutex_unlock(&sh->lock);
        while (list) {
            sess *n = list->hnext;
            atomic_fetch_sub(&h->nsessions, 1);
            sess_release_slot(h, list);
            sess_unref(list);
            list = n;
        }
    }
}

PCFMCP_API void pcfmcp_http_free(pcfmcp_http_t *h)
{
    if (!h)
        return;
    stop_daemons(h);
    destroy_sessions(h);
    /* Requests still on workers emit into streams that point at us. */
    while (atomic_load(&h->inflight) > 0) {
        struct timespec ts = { 0, 10 * 1000 * 1000 };
        nanosleep(&ts, NULL);
    }
    for (size_t i = 0; i < SHARDS; i++)
        pthread_mutex_destroy(&h->shards[i].lock);
    pthread_mutex_destroy(&h->live_lock);
    pthread_mutex_destroy(&h->wd_lock);
    if (h->stop_pipe[0] >= 0)
        close(h->stop_pipe[0]);
    if (h->stop_pipe[1] >= 0)
        close(h->stop_pipe[1]);
    pcfmcp__tls_store_free(h->tls);
    pcfmcp__http_slots_free(h->slots);
    pcfmcp_logger_unref(h->log);
    pcfmcp__free(h->host);
    pcfmcp__free(h->ops_host);
    pcfmcp__free(h->path);
    pcfmcp__free(h->origins);
    pcfmcp__free(h->hosts);
    pcfmcp__free(h->public_url);
    pcfmcp__free(h->tls_cert);
    pcfmcp__free(h->tls_key);
    pcfmcp__free(h->tls_ca);
    pcfmcp__free(h->tls_prio);
    pcfmcp__free(h);
}

PCFMCP_API const char *pcfmcp_http_errmsg(const pcfmcp_http_t *h)
{
    if (!h)
        return "no transport";
    return pcfmcp__errmsg(h);
}

PCFMCP_API pcfmcp_error_t pcfmcp_http_set_logger(pcfmcp_http_t *h, pcfmcp_logger_t *lg)
{
    if (!h)
        return PCFMCP_ERR_INVALID_ARG;
    pcfmcp_logger_t *old = h->log;
    h->log = pcfmcp_logger_ref(lg);
    pcfmcp_logger_unref(old);
    return PCFMCP_OK;
}

static pcfmcp_error_t set_str(pcfmcp_http_t *h, char **slot, const char *v)
{
    if (h->d)
        return PCFMCP_ERR_STATE;
    char *c = NULL;
    if (v && *v && !(c = pcfmcp__strdup(v)))
        return PCFMCP_ERR_NOMEM;
    pcfmcp__free(*slot);
    *slot = c;
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_http_set_listen(pcfmcp_http_t *h, const char *host, unsigned port)
{
    if (!h || !host || !*host || port > 65535)
        return PCFMCP_ERR_INVALID_ARG;
    pcfmcp_error_t rc = set_str(h, &h->host, host);
    if (rc == PCFMCP_OK)
        h->port = port;
    return rc;
}

PCFMCP_API pcfmcp_error_t pcfmcp_http_set_ops_listen(pcfmcp_http_t *h, const char *host, unsigned port)
{
    if (!h || !host || !*host || port > 65535)
        return PCFMCP_ERR_INVALID_ARG;
    pcfmcp_error_t rc = set_str(h, &h->ops_host, host);
    if (rc == PCFMCP_OK) {
        h->ops_port = port;
        h->ops_separate = true;
    }
    return rc;
}

PCFMCP_API pcfmcp_error_t pcfmcp_http_set_metrics_auth(pcfmcp_http_t *h,
                                                       pcfmcp_http_metrics_auth_t mode)
{
    if (!h || (mode != PCFMCP_HTTP_METRICS_AUTH_AUTO && mode != PCFMCP_HTTP_METRICS_AUTH_ALWAYS &&
               mode != PCFMCP_HTTP_METRICS_AUTH_NEVER))
        return PCFMCP_ERR_INVALID_ARG;
    h->metrics_auth = (int)mode;
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_http_set_path(pcfmcp_http_t *h, const char *path)
{
    if (!h || !path || path[0] != '/' || strlen(path) > 200 || strpbrk(path, "?# \t\r\n"))
        return PCFMCP_ERR_INVALID_ARG;
    pcfmcp_error_t rc = set_str(h, &h->path, path);
    if (rc == PCFMCP_OK)
        h->path_len = strlen(path);
    return rc;
}

PCFMCP_API pcfmcp_error_t pcfmcp_http_set_stateless(pcfmcp_http_t *h, int on)
{
    if (!h)
        return PCFMCP_ERR_INVALID_ARG;
    if (h->d)
        return PCFMCP_ERR_STATE;
    h->stateless = on != 0;
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_http_set_limit(pcfmcp_http_t *h, pcfmcp_http_limit_t limit,
                                                unsigned long long value)
{
    if (!h || (unsigned)limit > PCFMCP_HTTP_LIMIT_SESSIONS_PER_CALLER)
        return PCFMCP_ERR_INVALID_ARG;
    if (h->d)
        return PCFMCP_ERR_STATE;
    switch (limit) {
    case PCFMCP_HTTP_LIMIT_BODY_BYTES:
        if (value < 1024)
            return PCFMCP_ERR_INVALID_ARG;
        break;
    case PCFMCP_HTTP_LIMIT_HEADER_BYTES:
        if (value < 8192 || value > (64ull << 20))
            return PCFMCP_ERR_INVALID_ARG;
        break;
    case PCFMCP_HTTP_LIMIT_THREADS:
        if (value < 1 || value > 256)
            return PCFMCP_ERR_INVALID_ARG;
        break;
    case PCFMCP_HTTP_LIMIT_CONNECTIONS:
    case PCFMCP_HTTP_LIMIT_SESSIONS:
    case PCFMCP_HTTP_LIMIT_SSE_BUFFER_EVENTS:
    case PCFMCP_HTTP_LIMIT_STREAMS_PER_SESSION:
        if (value < 1)
            return PCFMCP_ERR_INVALID_ARG;
        break;
    case PCFMCP_HTTP_LIMIT_CONNECTION_TIMEOUT_MS:
    case PCFMCP_HTTP_LIMIT_REQUEST_READ_TIMEOUT_MS:
    case PCFMCP_HTTP_LIMIT_SSE_KEEPALIVE_MS:
    case PCFMCP_HTTP_LIMIT_SESSION_IDLE_MS:
        if (value < 1000)
            return PCFMCP_ERR_INVALID_ARG;
        break;
    default:
        break;
    }
    h->lim[limit] = value;
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_http_set_allowed_origins(pcfmcp_http_t *h, const char *origins)
{
    return h ? set_str(h, &h->origins, origins) : PCFMCP_ERR_INVALID_ARG;
}

PCFMCP_API pcfmcp_error_t pcfmcp_http_set_allowed_hosts(pcfmcp_http_t *h, const char *hosts)
{
    return h ? set_str(h, &h->hosts, hosts) : PCFMCP_ERR_INVALID_ARG;
}

PCFMCP_API pcfmcp_error_t pcfmcp_http_set_auth(pcfmcp_http_t *h, pcfmcp_http_auth_cb cb,
                                               pcfmcp_http_metadata_cb metadata,
                                               const char *public_url, void *userdata)
{
    if (!h)
        return PCFMCP_ERR_INVALID_ARG;
    if (public_url && *public_url && !pcfmcp__has_prefix(public_url, "http://") &&
        !pcfmcp__has_prefix(public_url, "https://"))
        return PCFMCP_ERR_INVALID_ARG;
    pcfmcp_error_t rc = set_str(h, &h->public_url, public_url);
    if (rc != PCFMCP_OK)
        return rc;
    h->auth_cb = cb;
    h->meta_cb = metadata;
    h->auth_ud = userdata;
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_http_set_insecure_no_auth(pcfmcp_http_t *h, int on)
{
    if (!h)
        return PCFMCP_ERR_INVALID_ARG;
    h->insecure_no_auth = on != 0;
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_http_set_tls(pcfmcp_http_t *h, const char *cert, const char *key,
                                              const char *ca)
{
    if (!h || !cert || !*cert || !key || !*key)
        return PCFMCP_ERR_INVALID_ARG;
    pcfmcp_error_t rc;
    if ((rc = set_str(h, &h->tls_cert, cert)) || (rc = set_str(h, &h->tls_key, key)) ||
        (rc = set_str(h, &h->tls_ca, ca)))
        return rc;
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_http_set_tls_priorities(pcfmcp_http_t *h, const char *prio)
{
    return h && prio ? set_str(h, &h->tls_prio, prio) : PCFMCP_ERR_INVALID_ARG;
}

PCFMCP_API pcfmcp_error_t pcfmcp_http_reload_tls(pcfmcp_http_t *h)
{
    if (!h)
        return PCFMCP_ERR_INVALID_ARG;
    if (!h->tls || !h->tls_cert)
        return PCFMCP_ERR_STATE;
    char err[400] = "";
    pcfmcp_error_t rc = pcfmcp__tls_store_load(h->tls, h->tls_cert, h->tls_key, h->tls_ca, err, sizeof(err));
    if (rc != PCFMCP_OK) {
        pcfmcp__fail(h, rc, "TLS reload failed, keeping the current certificate: %s", err);
        PCFMCP_LOG(h->log, PCFMCP_LOG_ERROR, "http", "%s", pcfmcp__errmsg(h));
        return rc;
    }
    PCFMCP_LOG(h->log, PCFMCP_LOG_INFO, "http", "TLS certificate reloaded (valid until %lld)",
               pcfmcp__tls_store_not_after(h->tls));
    return PCFMCP_OK;
}

PCFMCP_API unsigned long long pcfmcp_http_read_timeouts(const pcfmcp_http_t *h)
{
    return h ? atomic_load(&h->read_timeouts) : 0;
}

PCFMCP_API unsigned long long pcfmcp_http_unanswered(const pcfmcp_http_t *h)
{
    return h ? atomic_load(&h->unanswered) : 0;
}

PCFMCP_API long long pcfmcp_http_tls_not_after(const pcfmcp_http_t *h)
{
    return h ? pcfmcp__tls_store_not_after(h->tls) : 0;
}

#define SETCB(name, type, field, udfield)                                                      \
    PCFMCP_API pcfmcp_error_t name(pcfmcp_http_t *h, type cb, void *userdata)                  \
    {                                                                                          \
        if (!h)                                                                                \
            return PCFMCP_ERR_INVALID_ARG;                                                     \
        h->field = cb;                                                                         \
        h->udfield = userdata;                                                                 \
        return PCFMCP_OK;                                                                      \
    }
SETCB(pcfmcp_http_set_readiness_cb, pcfmcp_http_readiness_cb, ready_cb, ready_ud)
SETCB(pcfmcp_http_set_metrics_cb, pcfmcp_http_metrics_cb, metrics_cb, metrics_ud)
SETCB(pcfmcp_http_set_admission_cb, pcfmcp_http_admission_cb, admit_cb, admit_ud)
SETCB(pcfmcp_http_set_observer_cb, pcfmcp_http_observer_cb, obs_cb, obs_ud)
SETCB(pcfmcp_http_set_client_address_cb, pcfmcp_http_client_address_cb, addr_cb, addr_ud)
SETCB(pcfmcp_http_set_refusal_cb, pcfmcp_http_refusal_cb, refusal_cb, refusal_ud)

/* Resolves host:port for bind(). */
static bool resolve(pcfmcp_http_t *h, const char *host, unsigned port, struct sockaddr_storage *ss,
                    bool *loopback)
{
    struct addrinfo hints = { .ai_flags = AI_PASSIVE | AI_NUMERICSERV, .ai_socktype = SOCK_STREAM };
    struct addrinfo *res = NULL;
    char ps[8];
    snprintf(ps, sizeof(ps), "%u", port);
    const char *hn = host;
    char buf[256];
    if (host[0] == '[') {
        snprintf(buf, sizeof(buf), "%.*s", (int)strcspn(host + 1, "]"), host + 1);
        hn = buf;
    }
    int g = getaddrinfo(hn, ps, &hints, &res);
    if (g != 0 || !res) {
        pcfmcp__fail(h, PCFMCP_ERR_IO, "cannot resolve listen address \"%s\": %s", host,
                     gai_strerror(g));
        return false;
    }
    memset(ss, 0, sizeof(*ss));
    memcpy(ss, res->ai_addr, res->ai_addrlen);
    freeaddrinfo(res);
    if (ss->ss_family == AF_INET) {
        const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)ss;
        *loopback = (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    } else {
        const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)(const void *)ss;
        *loopback = IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
    }
    return true;
}

static struct MHD_Daemon *start_daemon(pcfmcp_http_t *h, const struct sockaddr_storage *ss, bool tls,
                                       unsigned threads, unsigned long long max_connections)
{
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | PCFMCP_MHD_EVENT_LOOP | MHD_ALLOW_SUSPEND_RESUME |
                     MHD_USE_TURBO | MHD_USE_ERROR_LOG;
    if (ss->ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    if (tls)
        flags |= MHD_USE_TLS;
    struct MHD_OptionItem opts[24];
    size_t n = 0;
#define OPT(o, v, p) opts[n++] = (struct MHD_OptionItem){ (o), (intptr_t)(v), (p) }
    /* First: libmicrohttpd sends what it says before this option to stderr. */
    OPT(MHD_OPTION_EXTERNAL_LOGGER, (intptr_t)(uintptr_t)&mhd_log, h);
    OPT(MHD_OPTION_SOCK_ADDR, 0, (void *)(uintptr_t)ss);
    if (threads > 1)
        OPT(MHD_OPTION_THREAD_POOL_SIZE, threads, NULL);
    OPT(MHD_OPTION_CONNECTION_LIMIT, max_connections, NULL);
    if (h->lim[PCFMCP_HTTP_LIMIT_CONNECTIONS_PER_IP])
        OPT(MHD_OPTION_PER_IP_CONNECTION_LIMIT, h->lim[PCFMCP_HTTP_LIMIT_CONNECTIONS_PER_IP], NULL);
    unsigned to = (unsigned)((h->lim[PCFMCP_HTTP_LIMIT_CONNECTION_TIMEOUT_MS] + 999) / 1000);
    OPT(MHD_OPTION_CONNECTION_TIMEOUT, to, NULL);
    OPT(MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)h->lim[PCFMCP_HTTP_LIMIT_HEADER_BYTES], NULL);
    OPT(MHD_OPTION_NOTIFY_COMPLETED, (intptr_t)(uintptr_t)&on_completed, h);
    OPT(MHD_OPTION_NOTIFY_CONNECTION, (intptr_t)(uintptr_t)&on_connection, h);
    if (tls) {
        OPT(MHD_OPTION_HTTPS_CERT_CALLBACK, 0, pcfmcp__tls_retrieve_fn());
        OPT(MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)(uintptr_t)(h->tls_prio ? h->tls_prio : DEFAULT_PRIORITIES));
        const char *ca = pcfmcp__tls_store_ca_pem(h->tls);
        if (ca)
            OPT(MHD_OPTION_HTTPS_MEM_TRUST, 0, (void *)(uintptr_t)ca);
    }
    OPT(MHD_OPTION_END, 0, NULL);
#undef OPT
    return MHD_start_daemon(flags, 0, NULL, NULL, &on_request, h, MHD_OPTION_ARRAY, opts, MHD_OPTION_END);
}

/* The listen address and its authentication policy: what start refuses
 * before binding, shared with pcfmcp__http_preflight() so that a
 * configuration check refuses exactly the same. */
static pcfmcp_error_t check_listen(pcfmcp_http_t *h, struct sockaddr_storage *ss, bool *loopback)
{
    if (!resolve(h, h->host, h->port, ss, loopback))
        return PCFMCP_ERR_IO;
    if (!*loopback && !h->auth_cb && !h->tls_ca && !h->insecure_no_auth) {
        pcfmcp__fail(h, PCFMCP_ERR_DENIED,
                     "refusing to listen on non-loopback address %s without authentication "
                     "(configure auth, a TLS client CA, or set auth.insecure_no_auth)",
                     h->host);
        return PCFMCP_ERR_DENIED;
    }
    return PCFMCP_OK;
}

pcfmcp_error_t pcfmcp__http_preflight(pcfmcp_http_t *h)
{
    struct sockaddr_storage ss;
    bool loopback = false;
    pcfmcp_error_t rc = check_listen(h, &ss, &loopback);
    if (rc != PCFMCP_OK || !h->tls_cert)
        return rc;
    /* The same loader start uses, into a store that is thrown away. */
    pcfmcp__tls_store *ts = pcfmcp__tls_store_new();
    if (!ts)
        return PCFMCP_ERR_NOMEM;
    char err[400] = "";
    rc = pcfmcp__tls_store_load(ts, h->tls_cert, h->tls_key, h->tls_ca, err, sizeof(err));
    if (rc != PCFMCP_OK)
        pcfmcp__fail(h, rc, "TLS: %s", err);
    pcfmcp__tls_store_free(ts);
    return rc;
}

PCFMCP_API pcfmcp_error_t pcfmcp_http_start(pcfmcp_http_t *h)
{
    if (!h)
        return PCFMCP_ERR_INVALID_ARG;
    if (h->d)
        return PCFMCP_ERR_STATE;
    struct sockaddr_storage ss;
    bool loopback = false;
    pcfmcp_error_t lrc = check_listen(h, &ss, &loopback);
    if (lrc != PCFMCP_OK)
        return lrc;
    h->loopback = loopback;
    if (!loopback && !h->auth_cb && !h->tls_ca)
        PCFMCP_LOG(h->log, PCFMCP_LOG_WARN, "http",
                   "serving %s WITHOUT authentication (insecure_no_auth): anyone who can reach it can act",
                   h->host);
    if (h->tls_cert) {
        if (!h->tls && !(h->tls = pcfmcp__tls_store_new()))
            return PCFMCP_ERR_NOMEM;
        char err[400] = "";
        pcfmcp_error_t rc = pcfmcp__tls_store_load(h->tls, h->tls_cert, h->tls_key, h->tls_ca, err, sizeof(err));
        if (rc != PCFMCP_OK) {
            pcfmcp__fail(h, rc, "TLS: %s", err);
            return rc;
        }
    }
    atomic_store(&h->draining, false);
    atomic_store(&h->final_stop, false);
    h->d = start_daemon(h, &ss, h->tls != NULL, (unsigned)h->lim[PCFMCP_HTTP_LIMIT_THREADS],
                        h->lim[PCFMCP_HTTP_LIMIT_CONNECTIONS] + (h->ops_separate ? 0 : OPS_RESERVE));
    if (!h->d) {
        pcfmcp__fail(h, PCFMCP_ERR_IO, "cannot listen on %s port %u: %s", h->host, h->port,
                     errno ? strerror(errno) : "libmicrohttpd refused the configuration");
        return PCFMCP_ERR_IO;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(h->d, MHD_DAEMON_INFO_BIND_PORT);
    h->bound_port = di ? di->port : h->port;
    if (h->ops_separate) {
        struct sockaddr_storage os;
        bool olb = false;
        if (!resolve(h, h->ops_host, h->ops_port, &os, &olb)) {
            stop_daemons(h);
            return PCFMCP_ERR_IO;
        }
        h->ops = start_daemon(h, &os, false, 1, h->lim[PCFMCP_HTTP_LIMIT_CONNECTIONS]);
        if (!h->ops) {
            pcfmcp__fail(h, PCFMCP_ERR_IO, "cannot listen on %s port %u for health and metrics",
                         h->ops_host, h->ops_port);
            stop_daemons(h);
            return PCFMCP_ERR_IO;
        }
        di = MHD_get_daemon_info(h->ops, MHD_DAEMON_INFO_BIND_PORT);
        h->bound_ops_port = di ? di->port : h->ops_port;
        PCFMCP_LOG(h->log, PCFMCP_LOG_INFO, "http", "health and metrics on http://%s:%u",
                   h->ops_host, h->bound_ops_port);
    }
    PCFMCP_LOG(h->log, PCFMCP_LOG_INFO, "http", "listening on %s://%s:%u%s (%s)",
               h->tls ? "https" : "http", h->host, h->bound_port, h->path,
               h->stateless ? "stateless" : "sessions");
    return PCFMCP_OK;
}

PCFMCP_API unsigned pcfmcp_http_port(const pcfmcp_http_t *h)
{
    return h ? h->bound_port : 0;
}

PCFMCP_API unsigned pcfmcp_http_ops_port(const pcfmcp_http_t *h)
{
    return h ? h->bound_ops_port : 0;
}

PCFMCP_API void pcfmcp_http_stop(pcfmcp_http_t *h)
{
    if (!h || h->stop_pipe[1] < 0)
        return;
    int saved = errno;
    char c = 1;
    ssize_t r = write(h->stop_pipe[1], &c, 1);
    (void)r; /* a full pipe already holds a stop request */
    errno = saved;
}

/* ================================================================ housekeeping */

/* Snapshot of the attached streams (references taken). */
static stream **live_snapshot(pcfmcp_http_t *h, size_t *count)
{
    pthread_mutex_lock(&h->live_lock);
    size_t n = 0;
    for (stream *st = h->live; st; st = st->lnext)
        n++;
    stream **arr = n ? pcfmcp__malloc(n * sizeof(*arr)) : NULL;
    size_t i = 0;
    if (arr)
        for (stream *st = h->live; st; st = st->lnext)
            arr[i++] = stream_ref(st);
    pthread_mutex_unlock(&h->live_lock);
    *count = i;
    return arr;
}

/* Keep-alives on quiet SSE streams; hung-up clients on parked connections. */
static void check_streams(pcfmcp_http_t *h)
{
    size_t n = 0;
    stream **arr = live_snapshot(h, &n);
    uint64_t now = pcfmcp__now_ms();
    unsigned long long ka = h->lim[PCFMCP_HTTP_LIMIT_SSE_KEEPALIVE_MS];
    for (size_t i = 0; i < n; i++) {
        stream *st = arr[i];
        bool cancel = false;
        pthread_mutex_lock(&st->lock);
        if (st->suspended && st->conn) {
            const union MHD_ConnectionInfo *ci =
                MHD_get_connection_info(st->conn, MHD_CONNECTION_INFO_CONNECTION_FD);
            if (ci) {
                struct pollfd p = { .fd = ci->connect_fd, .events = POLLRDHUP };
                if (poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR))) {
                    st->gone = true;
                    cancel = st->engine_busy && (st->cancel_on_close || st->mode != MODE_SSE);
                    stream_wake(st);
                }
            }
            if (!st->gone && st->mode == MODE_SSE && now - st->last_io_ms >= ka) {
                st->keepalive = true;
                st->last_io_ms = now;
                stream_wake(st);
            }
        }
        pthread_mutex_unlock(&st->lock);
        if (cancel) {
            size_t k = pcfmcp__session_cancel_ud(st->es, st);
            PCFMCP_LOG(h->log, PCFMCP_LOG_INFO, "http", "client went away: cancelled %zu request(s)", k);
        }
        stream_unref(st);
    }
    pcfmcp__free(arr);
}

static void expire_sessions(pcfmcp_http_t *h)
{
    uint64_t now = pcfmcp__now_ms();
    unsigned long long idle = h->lim[PCFMCP_HTTP_LIMIT_SESSION_IDLE_MS];
    for (size_t i = 0; i < SHARDS; i++) {
        shard *sh = &h->shards[i];
        sess *dead = NULL;
        pthread_mutex_lock(&sh->lock);
        for (sess **pp = &sh->head; *pp;) {
            sess *s = *pp;
            bool busy = pcfmcp_session_inflight(s->es) > 0;
            pthread_mutex_lock(&s->lock);
            bool reading = s->get_stream && s->get_stream->rq;
            pthread_mutex_unlock(&s->lock);
            if (!busy && !reading && now - atomic_load(&s->last_used_ms) > idle) {
                *pp = s->hnext;
                s->hnext = dead;
                dead = s;
            } else {
                pp = &s->hnext;
            }
        }
        pthread_mutex_unlock(&sh->lock);
        while (dead) {
            sess *n = dead->hnext;
            atomic_fetch_sub(&h->nsessions, 1);
            sess_release_slot(h, dead);
            PCFMCP_LOG(h->log, PCFMCP_LOG_INFO, "http", "session expired after %llu ms idle", idle);
            sess_kill(dead);
            sess_unref(dead);
            dead = n;
        }
    }
}

static void housekeeping(pcfmcp_http_t *h)
{
    enforce_read_deadlines(h);
    check_streams(h);
    expire_sessions(h);
    if (h->tls)
        pcfmcp__tls_store_reap(h->tls, 2 * h->lim[PCFMCP_HTTP_LIMIT_CONNECTION_TIMEOUT_MS] + 1000);
}

static void close_get_streams(pcfmcp_http_t *h)
{
    for (size_t i = 0; i < SHARDS; i++) {
        shard *sh = &h->shards[i];
        pthread_mutex_lock(&sh->lock);
        for (sess *s = sh->head; s; s = s->hnext) {
            pthread_mutex_lock(&s->lock);
            stream *st = s->get_stream ? stream_ref(s->get_stream) : NULL;
            pthread_mutex_unlock(&s->lock);
            if (st) {
                close_stream(st);
                stream_unref(st);
            }
        }
        pthread_mutex_unlock(&sh->lock);
    }
}

/* Listen streams never finish by themselves: stopping ends them, the
 * server's graceful closure (a completion result, then the end of the
 * stream), not an unclean drain. */
static void end_listeners(pcfmcp_http_t *h)
{
    size_t n = 0;
    stream **arr = live_snapshot(h, &n);
    for (size_t i = 0; i < n; i++) {
        if (arr[i]->listen)
            pcfmcp__engine_end_listeners(h->engine, arr[i]->es, arr[i], true);
        stream_unref(arr[i]);
    }
    pcfmcp__free(arr);
}

static void cancel_all(pcfmcp_http_t *h)
{
    for (size_t i = 0; i < SHARDS; i++) {
        shard *sh = &h->shards[i];
        pthread_mutex_lock(&sh->lock);
        for (sess *s = sh->head; s; s = s->hnext)
            pcfmcp_session_cancel_all(s->es);
        pthread_mutex_unlock(&sh->lock);
    }
    size_t n = 0;
    stream **arr = live_snapshot(h, &n);
    for (size_t i = 0; i < n; i++) {
        pcfmcp_session_cancel_all(arr[i]->es);
        stream_unref(arr[i]);
    }
    pcfmcp__free(arr);
}

/* Wakes every parked connection for the last time before the daemon stops
 * (libmicrohttpd must not be stopped with suspended connections). */
static void resume_all(pcfmcp_http_t *h)
{
    atomic_store(&h->final_stop, true);
    size_t n = 0;
    stream **arr = live_snapshot(h, &n);
    for (size_t i = 0; i < n; i++) {
        pthread_mutex_lock(&arr[i]->lock);
        arr[i]->closing = true;
        stream_wake(arr[i]);
        pthread_mutex_unlock(&arr[i]->lock);
        stream_unref(arr[i]);
    }
    pcfmcp__free(arr);
}

static void stop_daemons(pcfmcp_http_t *h)
{
    if (h->d || h->ops)
        resume_all(h);
    if (h->ops) {
        MHD_stop_daemon(h->ops);
        h->ops = NULL;
    }
    if (h->d) {
        MHD_stop_daemon(h->d);
        h->d = NULL;
    }
}

static bool wait_inflight(pcfmcp_http_t *h, uint64_t deadline_ms)
{
    while (atomic_load(&h->inflight) > 0) {
        if (pcfmcp__now_ms() >= deadline_ms)
            return false;
        struct pollfd p = { .fd = h->stop_pipe[0], .events = POLLIN };
        poll(&p, 1, 20);
        housekeeping(h);
    }
    return true;
}

PCFMCP_API pcfmcp_error_t pcfmcp_http_run(pcfmcp_http_t *h)
{
    if (!h)
        return PCFMCP_ERR_INVALID_ARG;
    if (!h->d) {
        pcfmcp_error_t rc = pcfmcp_http_start(h);
        if (rc != PCFMCP_OK)
            return rc;
    }
    for (;;) {
        struct pollfd p = { .fd = h->stop_pipe[0], .events = POLLIN };
        int r = poll(&p, 1, TICK_MS);
        if (r > 0 && (p.revents & POLLIN))
            break;
        housekeeping(h);
    }
    char sink[64];
    while (read(h->stop_pipe[0], sink, sizeof(sink)) > 0) {
    }
    PCFMCP_LOG(h->log, PCFMCP_LOG_INFO, "http", "stopping: draining %u request(s)",
               atomic_load(&h->inflight));
    atomic_store(&h->draining, true);
    close_get_streams(h);
    end_listeners(h);
    bool clean = wait_inflight(h, pcfmcp__now_ms() + h->lim[PCFMCP_HTTP_LIMIT_GRACE_MS]);
    if (!clean) {
        PCFMCP_LOG(h->log, PCFMCP_LOG_WARN, "http",
                   "%u request(s) still running after the grace period: cancelling",
                   atomic_load(&h->inflight));
        cancel_all(h);
        wait_inflight(h, pcfmcp__now_ms() + 5000);
    }
    /* Let finished SSE bodies flush before the daemon closes the sockets. */
    uint64_t flush_until = pcfmcp__now_ms() + 1000;
    for (;;) {
        size_t n = 0;
        stream **arr = live_snapshot(h, &n);
        for (size_t i = 0; i < n; i++)
            stream_unref(arr[i]);
        pcfmcp__free(arr);
        if (n == 0 || pcfmcp__now_ms() >= flush_until)
            break;
        struct pollfd p = { .fd = h->stop_pipe[0], .events = POLLIN };
        poll(&p, 1, 20);
        check_streams(h);
    }
    stop_daemons(h);
    destroy_sessions(h);
    PCFMCP_LOG(h->log, PCFMCP_LOG_INFO, "http", "stopped (%s)", clean ? "clean" : "requests cancelled");
    return clean ? PCFMCP_OK : PCFMCP_ERR_TIMEOUT;
}
