/* Fuzz target: the Streamable HTTP request path, through a real transport on
 * loopback: request line, Host and Origin checks, Authorization, Accept,
 * Content-Type, MCP-Protocol-Version, Mcp-Session-Id, Mcp-Method, Mcp-Name
 * and Mcp-Param-* (plain or =?base64?...?=), Last-Event-ID, and the bodies
 * behind them, in sequences that create, use, resume and end sessions.
 *
 * Input (text): requests separated by lines "%%". Each request is
 *   "<METHOD> <path>\n<header lines>\n\n<body>"
 * The harness owns the framing (Content-Length, one kept-alive connection
 * per input, Host when absent) and replaces "$SID" in header values with the last
 * Mcp-Session-Id the server issued and "$EID" with the last SSE event id.
 * A first line "!stateless" sends the requests to a stateless transport; a
 * first line "!headers" runs each following line through the header value
 * readers directly (no socket: many more values per second).
 * Every answer must be well-formed HTTP, and its JSON (or each SSE data
 * line) must parse. Sessions the input created are ended afterwards. */
#include "core/internal.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cjson/cJSON.h>

#include <pcfmcp/pcfmcp.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/util.h"
#include "transport/http_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_REQUESTS 16
#define MAX_SESSIONS 16
#define ANSWER_MAX (4 << 20)

static pcfmcp_engine_t *engine;
static pcfmcp_auth_t *auth;
static pcfmcp_http_t *servers[2]; /* sessions, stateless */
static unsigned ports[2];

static void die(const char *what)
{
    fprintf(stderr, "fuzz_http: %s\n", what);
    abort();
}

/* ------------------------------------------------------------- the server */

static pcfmcp_error_t echo(pcfmcp_ctx_t *ctx, const char *args, size_t len, pcfmcp_result_t *r,
                           void *ud)
{
    (void)ctx, (void)ud;
    return pcfmcp_result_add_text(r, args, len);
}

static pcfmcp_error_t progress(pcfmcp_ctx_t *ctx, const char *args, size_t len,
                               pcfmcp_result_t *r, void *ud)
{
    (void)args, (void)len, (void)ud;
    pcfmcp_ctx_progress(ctx, 1, 2, "half");
    pcfmcp_ctx_log(ctx, "info", "fuzz", "{\"step\":1}");
    pcfmcp_ctx_progress(ctx, 2, 2, "done");
    return pcfmcp_result_add_text(r, "ok", 2);
}

/* Ends its SSE stream first (SEP-1699 polling); the answer is replayed on a
 * GET with Last-Event-ID. */
static pcfmcp_error_t cut(pcfmcp_ctx_t *ctx, const char *args, size_t len, pcfmcp_result_t *r,
                          void *ud)
{
    (void)args, (void)len, (void)ud;
    pcfmcp_ctx_progress(ctx, 1, 2, "before the cut");
    pcfmcp_ctx_close_stream(ctx);
    return pcfmcp_result_add_text(r, "after the cut", 13);
}

/* Asks the client only where that cannot block: 2026-07-28 answers with
 * input_required at once. */
static pcfmcp_error_t ask(pcfmcp_ctx_t *ctx, const char *args, size_t len, pcfmcp_result_t *r,
                          void *ud)
{
    (void)args, (void)len, (void)ud;
    const char *v = pcfmcp_ctx_protocol_version(ctx);
    if (!v || strcmp(v, "2026-07-28") != 0)
        return pcfmcp_result_set_error(r, "ask needs 2026-07-28");
    char *answer = NULL;
    pcfmcp_error_t rc = pcfmcp_ctx_request_keyed(
        ctx, "confirm", "elicitation/create",
        "{\"message\":\"sure?\",\"requestedSchema\":{\"type\":\"object\"}}", &answer);
    if (rc != PCFMCP_OK)
        return rc;
    rc = pcfmcp_result_add_text(r, answer, strlen(answer));
    pcfmcp_free(answer);
    return rc;
}

static pcfmcp_error_t read_cb(pcfmcp_ctx_t *ctx, const char *uri, const char *vars,
                              pcfmcp_result_t *r, void *ud)
{
    (void)ctx, (void)ud;
    return pcfmcp_result_add_contents_text(r, uri, "application/json", vars, strlen(vars));
}

static pcfmcp_error_t prompt_cb(pcfmcp_ctx_t *ctx, const char *args, pcfmcp_result_t *r, void *ud)
{
    (void)ctx, (void)ud;
    return pcfmcp_result_add_message_text(r, "user", args);
}

static pcfmcp_http_auth_verdict_t check_auth(const char *authorization, const char *subject,
                                             char *identity, size_t identity_size,
                                             const char *metadata_url, char **www, void *ud)
{
    (void)subject, (void)ud;
    /* No header: an anonymous caller, so inputs need not carry a key. */
    if (!authorization)
        return PCFMCP_HTTP_AUTH_ALLOW;
    pcfmcp_auth_verdict_t v = pcfmcp_auth_check(auth, authorization, identity, identity_size,
                                                NULL, 0, NULL, 0);
    if (v != PCFMCP_AUTH_ALLOW) {
        char *w = NULL;
        if (pcfmcp_auth_www_authenticate(auth, v, metadata_url, &w) == PCFMCP_OK) {
            *www = strdup(w);
            pcfmcp_free(w);
        }
    }
    switch (v) {
    case PCFMCP_AUTH_ALLOW: return PCFMCP_HTTP_AUTH_ALLOW;
    case PCFMCP_AUTH_MISSING: return PCFMCP_HTTP_AUTH_MISSING;
    case PCFMCP_AUTH_EXPIRED: return PCFMCP_HTTP_AUTH_EXPIRED;
    case PCFMCP_AUTH_INSUFFICIENT_SCOPE: return PCFMCP_HTTP_AUTH_INSUFFICIENT_SCOPE;
    case PCFMCP_AUTH_UNAVAILABLE: return PCFMCP_HTTP_AUTH_UNAVAILABLE;
    default: return PCFMCP_HTTP_AUTH_INVALID;
    }
}

static pcfmcp_error_t metadata(const char *url, char **out, void *ud)
{
    (void)ud;
    char *j = NULL;
    pcfmcp_error_t rc = pcfmcp_auth_resource_metadata(auth, url, &j);
    if (rc == PCFMCP_OK) {
        *out = strdup(j);
        pcfmcp_free(j);
    }
    return rc;
}

static int ready(pcfmcp_http_text_t *reasons, void *ud)
{
    (void)ud;
    pcfmcp_http_text_append(reasons, "pcf: \"not\" asked\n", 17);
    return 0;
}

static void metrics(pcfmcp_http_text_t *out, void *ud)
{
    (void)ud;
    pcfmcp_http_text_append(out, "fuzz_up 1\n", 10);
}

static void *run(void *arg)
{
    pcfmcp_http_run(arg);
    return NULL;
}

static void setup(void)
{
    if (pcfmcp_global_init() != PCFMCP_OK || pcfmcp_engine_new(&engine, "fuzz", "1") != PCFMCP_OK ||
        pcfmcp_engine_set_threads(engine, 2, 64) != PCFMCP_OK ||
        pcfmcp_engine_set_request_timeout(engine, 2000) != PCFMCP_OK)
        die("engine");
    static const char props[] =
        "{\"type\":\"object\",\"properties\":{"
        "\"region\":{\"type\":\"string\",\"x-mcp-header\":\"Region\"},"
        "\"count\":{\"type\":\"integer\",\"x-mcp-header\":\"Count\"},"
        "\"flag\":{\"type\":\"boolean\",\"x-mcp-header\":\"Flag\"},"
        "\"where\":{\"type\":\"object\",\"properties\":{"
        "\"zone\":{\"type\":\"string\",\"x-mcp-header\":\"Zone\"}}}}}";
    char def[1024];
    snprintf(def, sizeof(def), "{\"name\":\"echo\",\"inputSchema\":%s}", props);
    if (pcfmcp_engine_add_tool(engine, def, echo, NULL) != PCFMCP_OK ||
        pcfmcp_engine_add_tool(engine, "{\"name\":\"progress\",\"inputSchema\":{\"type\":\"object\"}}",
                               progress, NULL) != PCFMCP_OK ||
        pcfmcp_engine_add_tool(engine, "{\"name\":\"cut\",\"inputSchema\":{\"type\":\"object\"}}",
                               cut, NULL) != PCFMCP_OK ||
        pcfmcp_engine_add_tool(engine, "{\"name\":\"ask\",\"inputSchema\":{\"type\":\"object\"}}",
                               ask, NULL) != PCFMCP_OK ||
        pcfmcp_engine_add_resource(engine, "{\"uri\":\"test://a\",\"name\":\"a\"}", read_cb, NULL) !=
            PCFMCP_OK ||
        pcfmcp_engine_add_resource_template(
            engine, "{\"uriTemplate\":\"test://t/{id}\",\"name\":\"t\"}", read_cb, NULL) != PCFMCP_OK ||
        pcfmcp_engine_add_prompt(engine, "{\"name\":\"p\",\"arguments\":[{\"name\":\"x\"}]}",
                                 prompt_cb, NULL) != PCFMCP_OK ||
        pcfmcp_engine_enable_subscriptions(engine) != PCFMCP_OK)
        die("registry");
    /* sha256("123456"): "Authorization: Bearer 123456" is the API key "ci". */
    static const char keys[] =
        "ci sha256:8d969eef6ecad3c29a3a629280e686cf0c3f5d5a86aff3ca12020c923adc6c92\n";
    char kpath[] = "/tmp/pcfmcp-fuzz-http-keys-XXXXXX";
    int kfd = mkstemp(kpath);
    if (kfd < 0 || write(kfd, keys, sizeof(keys) - 1) != (ssize_t)sizeof(keys) - 1)
        die("keys file");
    close(kfd);
    if (pcfmcp_auth_new(&auth, NULL) != PCFMCP_OK ||
        pcfmcp_auth_load_api_keys(auth, kpath, NULL) != PCFMCP_OK ||
        pcfmcp_auth_set_oauth(auth, "https://issuer.example", "http://127.0.0.1/mcp", NULL,
                              "pcf:read") != PCFMCP_OK ||
        pcfmcp_auth_set_jwks_json(
            auth, "{\"keys\":[{\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"ec-1\","
                  "\"x\":\"axfR8uEsQkf4vOblY6RA8ncDfYEt6zOg9KE5RdiYwpY\","
                  "\"y\":\"T-NC4v4af5uO5-tKfA-eFivOM1drMV7Oy7ZAaDe_UfU\"}]}") != PCFMCP_OK)
        die("auth");
    unlink(kpath);
    for (int i = 0; i < 2; i++) {
        pcfmcp_http_t *h = NULL;
        if (pcfmcp_http_new(&h, engine) != PCFMCP_OK ||
            pcfmcp_http_set_listen(h, "127.0.0.1", 0) != PCFMCP_OK ||
            pcfmcp_http_set_stateless(h, i) != PCFMCP_OK ||
            pcfmcp_http_set_allowed_origins(h, "http://localhost:*,https://app.example") != PCFMCP_OK ||
            pcfmcp_http_set_auth(h, check_auth, metadata, NULL, NULL) != PCFMCP_OK ||
            pcfmcp_http_set_readiness_cb(h, ready, NULL) != PCFMCP_OK ||
            pcfmcp_http_set_metrics_cb(h, metrics, NULL) != PCFMCP_OK ||
            pcfmcp_http_set_limit(h, PCFMCP_HTTP_LIMIT_THREADS, 1) != PCFMCP_OK ||
            pcfmcp_http_set_limit(h, PCFMCP_HTTP_LIMIT_SESSIONS, 100000) != PCFMCP_OK ||
            pcfmcp_http_set_limit(h, PCFMCP_HTTP_LIMIT_BODY_BYTES, 65536) != PCFMCP_OK ||
            pcfmcp_http_set_limit(h, PCFMCP_HTTP_LIMIT_GZIP_MIN_BYTES, 256) != PCFMCP_OK ||
            pcfmcp_http_start(h) != PCFMCP_OK)
            die(h ? pcfmcp_http_errmsg(h) : "http");
        servers[i] = h;
        ports[i] = pcfmcp_http_port(h);
        pthread_t t;
        if (pthread_create(&t, NULL, run, h) != 0)
            die("thread");
        pthread_detach(t);
    }
}

/* ------------------------------------------------------------- the client */

typedef struct {
    int fd;          /* the input's kept-alive connection, or -1 */
    char sid[128];   /* last Mcp-Session-Id issued */
    char eid[64];    /* last SSE event id */
    struct {
        char sid[128];
        char *authz; /* the Authorization that created it (NULL: none) */
    } made[MAX_SESSIONS];
    size_t nmade;
} state;

static int connect_to(unsigned port)
{
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                              .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    int fd;
    /* libFuzzer's timer signal can interrupt a connect: start again. */
    for (int tries = 0;; tries++) {
        if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) < 0)
            die("socket");
        if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) == 0)
            break;
        int e = errno;
        close(fd);
        if (e != EINTR || tries == 100)
            die(strerror(e));
    }
    struct timeval tv = { 10, 0 };
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    return fd;
}

static void send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return; /* the server may close early (413, refusals): read what it said */
        p += w;
        n -= (size_t)w;
    }
}

typedef struct {
    int fd;
    char *buf;
    size_t len, pos;
    bool eof;
} reader;

/* One answer at a time: a buffer for all of them (a fresh 4 MiB per answer
 * costs ASan an mmap each). */
static char answer_buf[ANSWER_MAX];

static bool fill(reader *r)
{
    if (r->eof)
        return false;
    if (r->len == ANSWER_MAX)
        die("answer larger than 4 MiB");
    char tmp[16384];
    ssize_t n;
    do
        n = recv(r->fd, tmp, sizeof(tmp), 0);
    while (n < 0 && errno == EINTR);
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
        die("the server did not answer within 10 s");
    if (n <= 0) {
        r->eof = true;
        return false;
    }
    size_t take = (size_t)n > ANSWER_MAX - r->len ? ANSWER_MAX - r->len : (size_t)n;
    memcpy(r->buf + r->len, tmp, take);
    r->len += take;
    return true;
}

/* A line (without CRLF) from the reader; NULL at the end. */
static const char *get_line(reader *r, size_t *n)
{
    for (;;) {
        char *nl = memchr(r->buf + r->pos, '\n', r->len - r->pos);
        if (nl) {
            const char *s = r->buf + r->pos;
            *n = (size_t)(nl - s);
            if (*n && s[*n - 1] == '\r')
                (*n)--;
            r->pos = (size_t)(nl - r->buf) + 1;
            return s;
        }
        if (!fill(r))
            return NULL;
    }
}

static bool need(reader *r, size_t n)
{
    while (r->len - r->pos < n)
        if (!fill(r))
            return false;
    return true;
}

static void check_json(const char *s, size_t n, const char *what)
{
    cJSON *j = cJSON_ParseWithLength(s, n);
    if (!j) {
        fprintf(stderr, "fuzz_http: %s is not JSON: %.*s\n", what, (int)(n > 300 ? 300 : n), s);
        abort();
    }
    cJSON_Delete(j);
}

/* SSE: every data line is JSON (the priming event's is empty); ids noted. */
static void check_sse(state *st, const char *b, size_t n)
{
    for (const char *p = b, *end = b + n; p < end;) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t l = nl ? (size_t)(nl - p) : (size_t)(end - p);
        if (l && p[l - 1] == '\r')
            l--;
        if (l >= 5 && memcmp(p, "data:", 5) == 0) {
            const char *d = p + 5 + (l > 5 && p[5] == ' ');
            size_t dl = (size_t)(p + l - d);
            if (dl)
                check_json(d, dl, "an SSE data line");
        } else if (l >= 3 && memcmp(p, "id:", 3) == 0) {
            const char *d = p + 3 + (l > 3 && p[3] == ' ');
            size_t dl = (size_t)(p + l - d);
            snprintf(st->eid, sizeof(st->eid), "%.*s", (int)dl, d);
        }
        p += (nl ? (size_t)(nl - p) + 1 : (size_t)(end - p));
    }
}

typedef enum { KEEP, CLOSE, NOTHING } outcome;

/* Reads and checks one answer; GET streams are left after their headers.
 * KEEP: the connection can carry the next request; NOTHING: it was closed
 * before a byte of the answer came (a kept-alive connection the server
 * ended, which a client may retry on a new one). */
static outcome read_answer(state *st, int fd, bool head, bool get, const char *authz)
{
    reader r = { .fd = fd, .buf = answer_buf };
    size_t n;
    const char *l = get_line(&r, &n);
    if (!l && r.len == 0)
        return NOTHING;
    int status = 0;
    if (!l || n < 12 || memcmp(l, "HTTP/1.1 ", 9) != 0 || sscanf(l + 9, "%3d", &status) != 1 ||
        status < 100 || status > 599)
        die(l ? "malformed status line" : "no answer");
    /* FUZZ_HTTP_VERBOSE=1 shows each answer's status line (for writing seeds). */
    static int verbose = -1;
    if (verbose < 0)
        verbose = getenv("FUZZ_HTTP_VERBOSE") != NULL;
    if (verbose)
        fprintf(stderr, "fuzz_http: %.*s\n", (int)n, l);
    long long clen = -1;
    bool chunked = false, json = false, sse = false, close_after = false;
    while ((l = get_line(&r, &n)) && n > 0) {
        const char *colon = memchr(l, ':', n);
        if (!colon)
            die("malformed header line");
        size_t k = (size_t)(colon - l);
        const char *v = colon + 1;
        while (v < l + n && *v == ' ')
            v++;
        size_t vn = (size_t)(l + n - v);
        if (k == 14 && strncasecmp(l, "Content-Length", k) == 0)
            clen = strtoll(v, NULL, 10);
        else if (k == 17 && strncasecmp(l, "Transfer-Encoding", k) == 0)
            chunked = vn >= 7 && strncasecmp(v, "chunked", 7) == 0;
        else if (k == 12 && strncasecmp(l, "Content-Type", k) == 0) {
            json = vn >= 16 && strncasecmp(v, "application/json", 16) == 0;
            sse = vn >= 17 && strncasecmp(v, "text/event-stream", 17) == 0;
        } else if (k == 14 && strncasecmp(l, "Mcp-Session-Id", k) == 0) {
            snprintf(st->sid, sizeof(st->sid), "%.*s", (int)vn, v);
            if (st->nmade < MAX_SESSIONS) {
                snprintf(st->made[st->nmade].sid, sizeof(st->made[0].sid), "%.*s", (int)vn, v);
                st->made[st->nmade++].authz = authz ? strdup(authz) : NULL;
            }
        } else if (k == 16 && strncasecmp(l, "Content-Encoding", k) == 0) {
            json = sse = false; /* gzip: not checked */
        } else if (k == 10 && strncasecmp(l, "Connection", k) == 0) {
            close_after |= vn >= 5 && strncasecmp(v, "close", 5) == 0;
        }
    }
    if (!l)
        die("answer ends in its headers");
    pcfmcp__buf body;
    pcfmcp__buf_init(&body);
    if (get && sse && !head) {
        close_after = true; /* a standalone stream that never ends */
    } else if (head || status == 204 || status == 304 || status < 200) {
        /* no body */
    } else if (chunked) {
        for (;;) {
            if (!(l = get_line(&r, &n)))
                die("chunked answer cut short");
            unsigned long long sz = strtoull(l, NULL, 16);
            if (sz == 0) {
                get_line(&r, &n);
                break;
            }
            if (sz > ANSWER_MAX || !need(&r, (size_t)sz + 2))
                die("chunk cut short");
            pcfmcp__buf_append(&body, r.buf + r.pos, (size_t)sz);
            r.pos += (size_t)sz + 2;
        }
    } else if (clen >= 0) {
        if (clen > ANSWER_MAX || !need(&r, (size_t)clen))
            die("answer shorter than its Content-Length");
        pcfmcp__buf_append(&body, r.buf + r.pos, (size_t)clen);
    } else {
        while (fill(&r))
            ;
        pcfmcp__buf_append(&body, r.buf + r.pos, r.len - r.pos);
        close_after = true;
    }
    if (body.len && json)
        check_json(body.data, body.len, "a JSON answer");
    if (body.len && sse)
        check_sse(st, body.data, body.len);
    pcfmcp__buf_free(&body);
    return close_after || r.eof ? CLOSE : KEEP;
}

/* Sends @p req on the input's connection (a new one if needed) and reads
 * the answer, once more on a new connection if a kept-alive one was gone. */
static void exchange(state *st, unsigned port, const char *req, size_t len, bool head, bool get,
                     const char *authz)
{
    const pcfmcp_http_t *server = servers[port == ports[1]];
    for (int attempt = 0;; attempt++) {
        bool fresh = st->fd < 0;
        if (fresh)
            st->fd = connect_to(port);
        unsigned long long unanswered = pcfmcp_http_unanswered(server);
        send_all(st->fd, req, len);
        outcome o = read_answer(st, st->fd, head, get, authz);
        if (o != KEEP) {
            close(st->fd);
            st->fd = -1;
        }
        if (o != NOTHING)
            return;
        /* The one close without an answer there is (libmicrohttpd's, when
         * the request's header leaves no memory for the answer's; see
         * pcfmcp_http_unanswered()): the server counts it before it
         * closes. Anything else unanswered is a defect. */
        if ((fresh || attempt > 0) && pcfmcp_http_unanswered(server) > unanswered)
            return;
        if (fresh || attempt > 0)
            die("no answer on a new connection");
    }
}

static bool framing_header(const char *l, size_t n)
{
    static const char *const own[] = { "content-length", "transfer-encoding", "connection",
                                       "expect", "upgrade", "keep-alive", "te", "trailer" };
    const char *colon = memchr(l, ':', n);
    if (!colon)
        return true; /* not a header line: dropped */
    size_t k = (size_t)(colon - l);
    while (k && (l[k - 1] == ' ' || l[k - 1] == '\t'))
        k--;
    for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
        if (k == strlen(own[i]) && strncasecmp(l, own[i], k) == 0)
            return true;
    return false;
}

/* Appends a header line with $SID and $EID replaced. */
static void put_header(pcfmcp__buf *b, const state *st, const char *l, size_t n)
{
    for (size_t i = 0; i < n;) {
        if (n - i >= 4 && memcmp(l + i, "$SID", 4) == 0) {
            pcfmcp__buf_puts(b, st->sid[0] ? st->sid : "no-session");
            i += 4;
        } else if (n - i >= 4 && memcmp(l + i, "$EID", 4) == 0) {
            pcfmcp__buf_puts(b, st->eid[0] ? st->eid : "0_0");
            i += 4;
        } else {
            pcfmcp__buf_putc(b, l[i++]);
        }
    }
    pcfmcp__buf_puts(b, "\r\n");
}

static void one_request(state *st, unsigned port, const char *p, const char *end)
{
    const char *eol = memchr(p, '\n', (size_t)(end - p));
    if (!eol)
        eol = end;
    /* "<METHOD> <path>": the method a token, the path without spaces. */
    const char *sp = memchr(p, ' ', (size_t)(eol - p));
    size_t mlen = sp ? (size_t)(sp - p) : (size_t)(eol - p);
    char method[16] = "POST";
    if (mlen && mlen < sizeof(method)) {
        bool ok = true;
        for (size_t i = 0; i < mlen; i++)
            ok &= p[i] > ' ' && p[i] < 0x7f && p[i] != ':';
        if (ok)
            snprintf(method, sizeof(method), "%.*s", (int)mlen, p);
    }
    char path[512] = "/mcp";
    if (sp) {
        size_t plen = (size_t)(eol - sp - 1);
        while (plen && (sp[plen] == '\r' || sp[plen] == ' '))
            plen--;
        if (plen && plen < sizeof(path) && sp[1] == '/' && !memchr(sp + 1, ' ', plen) &&
            !memchr(sp + 1, '\0', plen) && !memchr(sp + 1, '\r', plen))
            snprintf(path, sizeof(path), "%.*s", (int)plen, sp + 1);
    }
    pcfmcp__buf req;
    pcfmcp__buf_init(&req);
    pcfmcp__buf_printf(&req, "%s %s HTTP/1.1\r\n", method, path);
    bool host = false;
    char *authz = NULL;
    const char *q = eol < end ? eol + 1 : end;
    while (q < end) {
        const char *le = memchr(q, '\n', (size_t)(end - q));
        if (!le)
            le = end;
        const char *line = q;
        size_t n = (size_t)(le - q);
        if (n && line[n - 1] == '\r')
            n--;
        q = le < end ? le + 1 : end;
        if (n == 0)
            break; /* the body follows */
        if (memchr(line, '\r', n) || framing_header(line, n))
            continue;
        host |= n >= 5 && strncasecmp(line, "Host:", 5) == 0;
        put_header(&req, st, line, n);
        if (!authz && n > 14 && strncasecmp(line, "Authorization:", 14) == 0)
            authz = strndup(line, n);
    }
    if (!host)
        pcfmcp__buf_printf(&req, "Host: 127.0.0.1:%u\r\n", port);
    size_t blen = (size_t)(end - q);
    bool get = strcmp(method, "GET") == 0, head = strcmp(method, "HEAD") == 0;
    if (blen || !(get || head || strcmp(method, "DELETE") == 0))
        pcfmcp__buf_printf(&req, "Content-Length: %zu\r\n", blen);
    pcfmcp__buf_puts(&req, "\r\n");
    pcfmcp__buf_append(&req, q, blen);
    if (!pcfmcp__buf_ok(&req))
        die("out of memory");
    /* One kept-alive connection per input: connecting for each request
     * cost most of the time. */
    exchange(st, port, req.data, req.len, head, get, authz);
    pcfmcp__buf_free(&req);
    free(authz);
}

static void end_sessions(state *st, unsigned port)
{
    for (size_t i = 0; i < st->nmade; i++) {
        char req[1024];
        int n = snprintf(req, sizeof(req),
                         "DELETE /mcp HTTP/1.1\r\nHost: 127.0.0.1:%u\r\nMcp-Session-Id: %s\r\n%s%s"
                         "\r\n",
                         port, st->made[i].sid, st->made[i].authz ? st->made[i].authz : "",
                         st->made[i].authz ? "\r\n" : "");
        if (n > 0 && (size_t)n < sizeof(req)) {
            state scratch = { .fd = st->fd, .nmade = MAX_SESSIONS };
            exchange(&scratch, port, req, (size_t)n, false, false, NULL);
            st->fd = scratch.fd;
        }
        free(st->made[i].authz);
    }
}

/* The readers of header values, on each line of the input. */
static void header_values(const char *p, const char *end)
{
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        char *v = strndup(p, n); /* a header value is a C string */
        if (!v)
            die("out of memory");
        size_t dl = 0;
        char *d = pcfmcp__http_header_decode(v, &dl);
        if (d) {
            /* Mcp-Name and Mcp-Param-* compare with strcmp: no NUL may hide
             * inside, and what is compared is text. */
            if (strlen(d) != dl || !pcfmcp__utf8_valid(d, dl, NULL))
                die("a decoded header value holds a NUL or invalid UTF-8");
            /* What a client encodes decodes back. */
            char *enc = pcfmcp__base64_encode(d, dl, NULL);
            if (enc) {
                size_t el = strlen(enc) + 12;
                char *wrapped = malloc(el);
                if (!wrapped)
                    die("out of memory");
                snprintf(wrapped, el, "=?base64?%s?=", enc);
                size_t bl = 0;
                char *back = pcfmcp__http_header_decode(wrapped, &bl);
                if (!back || bl != dl || memcmp(back, d, dl) != 0)
                    die("a base64 header value does not decode to what was encoded");
                pcfmcp__free(back);
                free(wrapped);
                pcfmcp__free(enc);
            }
            pcfmcp__free(d);
        }
        pcfmcp__http_accepts(v, "application/json");
        pcfmcp__http_accepts(v, "text/event-stream");
        pcfmcp__http_accepts_gzip(v);
        pcfmcp__http_is_json_type(v);
        char scheme[16], host[256];
        int port = 0;
        if (pcfmcp__http_parse_origin(v, scheme, sizeof(scheme), host, sizeof(host), &port) &&
            (strlen(scheme) >= sizeof(scheme) || strlen(host) >= sizeof(host)))
            die("an origin part overran its buffer");
        if (pcfmcp__http_parse_host(v, host, sizeof(host), &port))
            pcfmcp__http_is_loopback_name(host);
        pcfmcp__http_list_match("http://localhost:*,https://app.example,[::1]:8080", v);
        free(v);
        p += n + (nl ? 1 : 0);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *hp = (const char *)data;
    if (size >= 9 && memcmp(hp, "!headers\n", 9) == 0) {
        header_values(hp + 9, hp + size);
        return 0;
    }
    if (!engine)
        setup();
    const char *p = (const char *)data, *end = p + size;
    int which = 0;
    if (size >= 11 && memcmp(p, "!stateless\n", 11) == 0) {
        which = 1;
        p += 11;
    }
    state st;
    memset(&st, 0, sizeof(st));
    st.fd = -1;
    for (int i = 0; i < MAX_REQUESTS && p < end; i++) {
        /* Up to the next line "%%". */
        const char *stop = end;
        for (const char *q = p; q < end;) {
            const char *nl = memchr(q, '\n', (size_t)(end - q));
            if (!nl)
                break;
            if (end - nl >= 3 && nl[1] == '%' && nl[2] == '%' && (end - nl == 3 || nl[3] == '\n')) {
                stop = nl;
                break;
            }
            q = nl + 1;
        }
        one_request(&st, ports[which], p, stop);
        p = stop < end ? stop + 4 : end;
    }
    end_sessions(&st, ports[which]);
    if (st.fd >= 0)
        close(st.fd);
    return 0;
}
