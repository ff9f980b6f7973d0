/* Transport: libcurl easy handles from a small shared pool, one request at a
 * time per handle, with the retry policy of <pcfmcp/pcf.h>. */
#include "core/internal.h"

#include <string.h>
#include <time.h>
#include <unistd.h>

#include "core/alloc.h"
#include "core/util.h"
#include "pcf/impl.h"

#define HEADER_MAX (64 * 1024)
#define HEADER_VALUE_MAX 4096

/* ------------------------------------------------------------------ shared cache */

static void share_lock(CURL *h, curl_lock_data data, curl_lock_access access, void *ud)
{
    (void)h;
    (void)access;
    pcf_shared *s = ud;
    if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST)
        pthread_mutex_lock(&s->locks[data]);
}

static void share_unlock(CURL *h, curl_lock_data data, void *ud)
{
    (void)h;
    pcf_shared *s = ud;
    if ((int)data >= 0 && data < CURL_LOCK_DATA_LAST)
        pthread_mutex_unlock(&s->locks[data]);
}

pcf_shared *pcfmcp__pcf_shared_new(void)
{
    pcf_shared *s = pcfmcp__calloc(1, sizeof(*s));
    if (!s)
        return NULL;
    atomic_init(&s->refs, 1);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_init(&s->locks[i], NULL);
    pthread_mutex_init(&s->pool_lock, NULL);
    pcfmcp__cond_init_monotonic(&s->pool_cond);
    s->share = curl_share_init();
    if (!s->share || curl_share_setopt(s->share, CURLSHOPT_LOCKFUNC, share_lock) ||
        curl_share_setopt(s->share, CURLSHOPT_UNLOCKFUNC, share_unlock) ||
        curl_share_setopt(s->share, CURLSHOPT_USERDATA, s) ||
        curl_share_setopt(s->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_DNS) ||
        curl_share_setopt(s->share, CURLSHOPT_SHARE, CURL_LOCK_DATA_SSL_SESSION)) {
        pcfmcp__pcf_shared_unref(s);
        return NULL;
    }
    return s;
}

void pcfmcp__pcf_shared_unref(pcf_shared *s)
{
    if (!s || atomic_fetch_sub(&s->refs, 1) != 1)
        return;
    /* Handles first: they point into the share. Every call has returned
     * its handle by now (the clients holding references are gone). */
    for (size_t i = 0; i < s->npool; i++)
        curl_easy_cleanup(s->pool[i]);
    if (s->share)
        curl_share_cleanup(s->share);
    for (int i = 0; i < CURL_LOCK_DATA_LAST; i++)
        pthread_mutex_destroy(&s->locks[i]);
    pthread_mutex_destroy(&s->pool_lock);
    pthread_cond_destroy(&s->pool_cond);
    pcfmcp__free(s);
}

/* ------------------------------------------------------------------ helpers */

void pcfmcp__pcf_urlencode(pcfmcp__buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '_' || c == '.' || c == '~') {
            pcfmcp__buf_putc(b, (char)c);
        } else {
            char e[3] = { '%', hex[c >> 4], hex[c & 15] };
            pcfmcp__buf_append(b, e, 3);
        }
    }
}

void pcfmcp__pcf_http_resp_free(pcf_http_resp *r)
{
    pcfmcp__buf_free(&r->body);
    pcfmcp__free(r->content_type);
    pcfmcp__free(r->location);
    pcfmcp__free(r->content_disposition);
    r->content_type = r->location = r->content_disposition = NULL;
    r->status = 0;
}

void pcfmcp__pcf_observe(pcfmcp_pcf_t *pcf, const char *label, long status, pcfmcp_error_t err,
                         double secs, int attempt)
{
    pthread_mutex_lock(&pcf->obs_lock);
    pcfmcp_pcf_observer_cb cb = pcf->obs;
    void *ud = pcf->obs_ud;
    pthread_mutex_unlock(&pcf->obs_lock);
    if (cb)
        cb(label, (int)status, err, secs, attempt, attempt > 1, ud);
}

/* The flag is written by another thread: read it atomically. */
static bool flag_set(const volatile int *flag)
{
    return flag && __atomic_load_n(flag, __ATOMIC_RELAXED) != 0;
}

static bool is_cancelled(const pcf_call *c)
{
    return c->ctx && flag_set(c->ctx->cancelled);
}

/* Waits @p ms in short slices so cancellation is noticed promptly. */
static bool wait_ms(const pcf_call *c, long ms)
{
    uint64_t until = pcfmcp__now_ms() + (uint64_t)ms;
    for (;;) {
        if (is_cancelled(c))
            return false;
        uint64_t now = pcfmcp__now_ms();
        if (now >= until)
            return true;
        uint64_t left = until - now;
        struct timespec ts = { 0, (long)((left > 20 ? 20 : left) * 1000000L) };
        nanosleep(&ts, NULL);
    }
}

/* A timeout says whether PCF appears hung since an earlier write: without
 * that, every call after a write that wedged PCF just "times out". */
static pcfmcp_error_t fail_timeout(pcf_call *c, const char *a, const char *b, const char *d)
{
    char hint[400] = "";
    pcfmcp__pcf_hung_hint(c->pcf, hint, sizeof(hint));
    return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_TIMEOUT, "%s%s%s.%s", a, b, d, hint);
}

pcfmcp_error_t pcfmcp__pcf_lock_until(pcf_call *c, pthread_mutex_t *m, const char *what)
{
    for (;;) {
        if (pthread_mutex_trylock(m) == 0)
            return PCFMCP_OK;
        if (is_cancelled(c))
            return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_CANCELLED, "cancelled while waiting for %s",
                                    what);
        if (pcfmcp__now_ms() >= c->deadline)
            return fail_timeout(c, "the call's time budget ran out while waiting for ", what, "");
        struct timespec ts = { 0, 5 * 1000000L };
        nanosleep(&ts, NULL);
    }
}

/* An idle pooled handle, or a new one while fewer than PCF_POOL_MAX exist,
 * or the next one given back: waiting for it is part of the call's budget.
 * PCFMCP_OK, PCFMCP_ERR_TIMEOUT, PCFMCP_ERR_CANCELLED or PCFMCP_ERR_NOMEM. */
static pcfmcp_error_t pool_take(pcf_call *c, CURL **out)
{
    pcf_shared *s = c->pcf->shared;
    pcfmcp_error_t rc = PCFMCP_OK;
    *out = NULL;
    pthread_mutex_lock(&s->pool_lock);
    for (;;) {
        if (s->npool > 0) {
            *out = s->pool[--s->npool];
            break;
        }
        if (s->nhandles < PCF_POOL_MAX) {
            s->nhandles++; /* the slot is ours; build the handle unlocked */
            pthread_mutex_unlock(&s->pool_lock);
            CURL *h = curl_easy_init();
            if (h) {
                *out = h;
                return PCFMCP_OK;
            }
            pthread_mutex_lock(&s->pool_lock);
            s->nhandles--;
            pthread_cond_signal(&s->pool_cond);
            rc = PCFMCP_ERR_NOMEM;
            break;
        }
        if (is_cancelled(c)) {
            rc = PCFMCP_ERR_CANCELLED;
            break;
        }
        uint64_t now = pcfmcp__now_ms();
        if (now >= c->deadline) {
            rc = PCFMCP_ERR_TIMEOUT;
            break;
        }
        /* Short slices: a cancelled caller notices within 50 ms. */
        uint64_t slice = c->deadline - now < 50 ? c->deadline - now : 50;
        struct timespec ts = pcfmcp__monotonic_after(slice);
        pthread_cond_timedwait(&s->pool_cond, &s->pool_lock, &ts);
    }
    pthread_mutex_unlock(&s->pool_lock);
    return rc;
}

static void pool_give(pcf_shared *s, CURL *h)
{
    pthread_mutex_lock(&s->pool_lock);
    s->pool[s->npool++] = h; /* room: at most PCF_POOL_MAX handles exist */
    pthread_cond_signal(&s->pool_cond);
    pthread_mutex_unlock(&s->pool_lock);
}

/* ------------------------------------------------------------------ one attempt */

typedef struct {
    pcf_http_resp *resp;
    size_t max_body;
    size_t header_bytes;
    long retry_after_ms; /* -1: none */
    bool limit, nomem;
    const volatile int *cancelled;
} xfer;

static size_t on_body(char *p, size_t size, size_t n, void *ud)
{
    xfer *x = ud;
    size_t len = size * n;
    if (x->resp->body.len + len > x->max_body) {
        x->limit = true;
        return 0;
    }
    pcfmcp__buf_append(&x->resp->body, p, len);
    if (!pcfmcp__buf_ok(&x->resp->body)) {
        x->nomem = true;
        return 0;
    }
    return len;
}

char *pcfmcp__pcf_header_value(const char *p, size_t len, size_t name_len)
{
    const char *v = p + name_len + 1;
    const char *end = p + len;
    size_t n = end > v ? (size_t)(end - v) : 0;
    if (n > HEADER_VALUE_MAX)
        n = HEADER_VALUE_MAX;
    char *out = pcfmcp__malloc(n + 1);
    if (!out)
        return NULL;
    /* RFC 9110 5.5: CR, LF and NUL become SP; so does every other control
     * character (tabs too), so none reaches a result, a log line or a file
     * name. Then the spaces around the value go. */
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        out[o++] = c < 0x20 || c == 0x7f ? ' ' : (char)c;
    }
    size_t b = 0;
    while (b < o && out[b] == ' ')
        b++;
    while (o > b && out[o - 1] == ' ')
        o--;
    memmove(out, out + b, o - b);
    out[o - b] = '\0';
    /* Values reach results (a report's content type, a file name): each
     * byte that begins no valid UTF-8 sequence becomes U+FFFD there. */
    if (!pcfmcp__utf8_valid(out, o - b, NULL)) {
        pcfmcp__buf u;
        pcfmcp__buf_init(&u);
        pcfmcp__buf_put_utf8(&u, out, o - b);
        pcfmcp__free(out);
        out = pcfmcp__buf_ok(&u) ? pcfmcp__buf_steal(&u, NULL) : NULL;
        pcfmcp__buf_free(&u);
    }
    return out;
}

static bool header_is(const char *p, size_t len, const char *name)
{
    size_t n = strlen(name);
    if (len <= n || p[n] != ':')
        return false;
    for (size_t i = 0; i < n; i++) {
        char c = p[i];
        if (c >= 'A' && c <= 'Z')
            c = (char)(c - 'A' + 'a');
        if (c != name[i])
            return false;
    }
    return true;
}

static long parse_retry_after(const char *v)
{
    if (!v || !*v)
        return -1;
    if (v[0] >= '0' && v[0] <= '9') {
        long secs = 0;
        for (const char *p = v; *p >= '0' && *p <= '9'; p++) {
            secs = secs * 10 + (*p - '0');
            if (secs > 86400)
                return 86400L * 1000;
        }
        return secs * 1000;
    }
    time_t when = curl_getdate(v, NULL);
    if (when < 0)
        return -1;
    int64_t now = (int64_t)(pcfmcp__wall_ms() / 1000);
    int64_t d = (int64_t)when - now;
    if (d < 0)
        d = 0;
    if (d > 86400)
        d = 86400;
    return (long)d * 1000;
}

static size_t on_header(char *p, size_t size, size_t n, void *ud)
{
    xfer *x = ud;
    size_t len = size * n;
    x->header_bytes += len;
    if (x->header_bytes > HEADER_MAX) {
        x->limit = true;
        return 0;
    }
    pcf_http_resp *r = x->resp;
    char **slot = NULL;
    if (len > 5 && memcmp(p, "HTTP/", 5) == 0) {
        /* A new response (after 100 Continue, for one): forget the last. */
        pcfmcp__free(r->content_type);
        pcfmcp__free(r->location);
        pcfmcp__free(r->content_disposition);
        r->content_type = r->location = r->content_disposition = NULL;
        x->retry_after_ms = -1;
        return len;
    }
    if (header_is(p, len, "content-type"))
        slot = &r->content_type;
    else if (header_is(p, len, "location"))
        slot = &r->location;
    else if (header_is(p, len, "content-disposition"))
        slot = &r->content_disposition;
    else if (header_is(p, len, "retry-after")) {
        char *v = pcfmcp__pcf_header_value(p, len, 11);
        x->retry_after_ms = parse_retry_after(v);
        pcfmcp__free(v);
        return len;
    }
    if (slot) {
        pcfmcp__free(*slot);
        *slot = pcfmcp__pcf_header_value(p, len, (size_t)(strchr(p, ':') - p));
        if (!*slot) {
            x->nomem = true;
            return 0;
        }
    }
    return len;
}

static int on_progress(void *ud, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    (void)dt;
    (void)dn;
    (void)ut;
    (void)un;
    xfer *x = ud;
    return flag_set(x->cancelled) ? 1 : 0;
}

typedef struct {
    pcfmcp_error_t err; /* PCFMCP_OK: an HTTP answer came */
    bool nothing_sent;
    bool tls_verify; /* certificate refused: a configuration problem, not transient */
    const char *what;
    char detail[CURL_ERROR_SIZE];
} attempt_outcome;

static void classify_curl(CURLcode cc, const xfer *x, attempt_outcome *o)
{
    switch (cc) {
    case CURLE_OK: o->err = PCFMCP_OK; o->what = "ok"; return;
    case CURLE_WRITE_ERROR:
    case CURLE_FILESIZE_EXCEEDED:
        if (x->nomem) {
            o->err = PCFMCP_ERR_NOMEM;
            o->what = "out of memory";
        } else {
            o->err = PCFMCP_ERR_LIMIT;
            o->what = "the answer is larger than the configured limit";
        }
        return;
    case CURLE_ABORTED_BY_CALLBACK: o->err = PCFMCP_ERR_CANCELLED; o->what = "cancelled"; return;
    case CURLE_OPERATION_TIMEDOUT: o->err = PCFMCP_ERR_TIMEOUT; o->what = "timed out"; return;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
        o->err = PCFMCP_ERR_CONNECT;
        o->what = "could not resolve the host name";
        return;
    case CURLE_COULDNT_CONNECT:
        o->err = PCFMCP_ERR_CONNECT;
        o->what = "could not connect";
        return;
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
        o->err = PCFMCP_ERR_CONNECT;
        o->what = "the connection was reset or closed";
        return;
    case CURLE_PARTIAL_FILE:
        o->err = PCFMCP_ERR_BAD_RESPONSE;
        o->what = "the answer was truncated";
        return;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_ISSUER_ERROR:
    case CURLE_SSL_PINNEDPUBKEYNOTMATCH:
    case CURLE_SSL_INVALIDCERTSTATUS:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CRL_BADFILE:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ENGINE_NOTFOUND:
    case CURLE_SSL_ENGINE_SETFAILED:
    case CURLE_SSL_ENGINE_INITFAILED:
    case CURLE_USE_SSL_FAILED:
        o->err = PCFMCP_ERR_TLS;
        o->tls_verify = true;
        o->what = cc == CURLE_PEER_FAILED_VERIFICATION
                      ? "PCF's TLS certificate was not accepted (wrong CA or host name)"
                      : "the TLS set-up failed (certificate, key or CA file)";
        return;
    case CURLE_SSL_CONNECT_ERROR:
        o->err = PCFMCP_ERR_TLS;
        o->what = "the TLS handshake failed";
        return;
    case CURLE_OUT_OF_MEMORY: o->err = PCFMCP_ERR_NOMEM; o->what = "out of memory"; return;
    case CURLE_URL_MALFORMAT:
    case CURLE_UNSUPPORTED_PROTOCOL:
        o->err = PCFMCP_ERR_INVALID_ARG;
        o->what = "the PCF URL is not usable";
        return;
    case CURLE_WEIRD_SERVER_REPLY:
    case CURLE_BAD_CONTENT_ENCODING:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        o->err = PCFMCP_ERR_BAD_RESPONSE;
        o->what = "PCF's answer is not valid HTTP";
        return;
    default:
        o->err = PCFMCP_ERR_CONNECT;
        o->what = "the transfer failed";
        return;
    }
}

static bool set_headers(struct curl_slist **list, const pcf_call *c, const pcf_http_req *req)
{
    struct curl_slist *l = NULL, *t;
#define ADD(s)                                                                                  \
    do {                                                                                        \
        if (!(t = curl_slist_append(l, (s))))                                                   \
            goto fail;                                                                          \
        l = t;                                                                                  \
    } while (0)
    ADD("Expect:");
    if (!req->ui)
        ADD("Accept: application/json");
    if (req->post && req->content_type && !req->mime) {
        char h[128];
        snprintf(h, sizeof(h), "Content-Type: %s", req->content_type);
        ADD(h);
    }
    const pcfmcp__pcf_callctx *x = c->ctx;
    const char *names[] = { "traceparent", "tracestate", "X-Request-Id" };
    const char *vals[] = { x ? x->traceparent : NULL, x ? x->tracestate : NULL,
                           x ? x->request_id : NULL };
    for (int i = 0; i < 3; i++) {
        const char *v = vals[i];
        if (!v || !*v || strlen(v) > 512 || strpbrk(v, "\r\n"))
            continue;
        char h[600];
        snprintf(h, sizeof(h), "%s: %s", names[i], v);
        ADD(h);
    }
#undef ADD
    *list = l;
    return true;
fail:
    curl_slist_free_all(l);
    return false;
}

static void apply_tls(CURL *h, const pcf_cfg *cfg)
{
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYPEER, cfg->insecure ? 0L : 1L);
    curl_easy_setopt(h, CURLOPT_SSL_VERIFYHOST, cfg->insecure ? 0L : 2L);
    if (cfg->ca_file)
        curl_easy_setopt(h, CURLOPT_CAINFO, cfg->ca_file);
    /* Every new connection parses the trusted CAs into TLS state of its own;
     * libcurl's default is a bundle file *and* a directory, which on Debian
     * hold the same system store: megabytes per connection, twice. A
     * configured CA file replaces the system store (as pcf.ca_file says);
     * otherwise the default bundle alone is enough when there is one. */
    if (cfg->ca_dir) {
        curl_easy_setopt(h, CURLOPT_CAPATH, cfg->ca_dir);
    } else if (cfg->ca_file) {
        curl_easy_setopt(h, CURLOPT_CAPATH, NULL);
    } else {
#if LIBCURL_VERSION_NUM >= 0x075400 /* CURLINFO_CAINFO: 7.84 */
        char *bundle = NULL;
        if (curl_easy_getinfo(h, CURLINFO_CAINFO, &bundle) == CURLE_OK && bundle && *bundle &&
            access(bundle, R_OK) == 0)
            curl_easy_setopt(h, CURLOPT_CAPATH, NULL);
#endif
    }
    if (cfg->cert_file)
        curl_easy_setopt(h, CURLOPT_SSLCERT, cfg->cert_file);
    if (cfg->key_file)
        curl_easy_setopt(h, CURLOPT_SSLKEY, cfg->key_file);
    if (cfg->key_password)
        curl_easy_setopt(h, CURLOPT_KEYPASSWD, cfg->key_password);
}

static void one_attempt(pcf_call *c, CURL *h, const pcf_http_req *req, const char *url,
                        struct curl_slist *hdrs, long timeout_ms, pcf_http_resp *resp,
                        xfer *x, attempt_outcome *o)
{
    pcfmcp_pcf_t *pcf = c->pcf;
    const pcf_cfg *cfg = &pcf->cfg;
    memset(o, 0, sizeof(*o));
    pcfmcp__pcf_http_resp_free(resp);
    pcfmcp__buf_init(&resp->body);
    memset(x, 0, sizeof(*x));
    x->resp = resp;
    x->max_body = cfg->max_body;
    x->retry_after_ms = -1;
    x->cancelled = c->ctx ? c->ctx->cancelled : NULL;

    /* Pool handles start from scratch. The web-session handle is not reset:
     * on libcurl 7.88 curl_easy_reset() drops its cookie-file list without
     * freeing it, so every option that differs between requests is set
     * explicitly below instead. */
    if (!req->ui)
        curl_easy_reset(h);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(h, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(h, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(h, CURLOPT_USERAGENT, "pcf-mcp/" PACKAGE_VERSION);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_SHARE, pcf->shared->share);
    curl_easy_setopt(h, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(h, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, x);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, x);
    curl_easy_setopt(h, CURLOPT_NOPROGRESS, 0L);
    curl_easy_setopt(h, CURLOPT_XFERINFOFUNCTION, on_progress);
    curl_easy_setopt(h, CURLOPT_XFERINFODATA, x);
    curl_easy_setopt(h, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)cfg->max_body);
    curl_easy_setopt(h, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(h, CURLOPT_CONNECTTIMEOUT_MS,
                     cfg->connect_ms < timeout_ms ? cfg->connect_ms : timeout_ms);
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, o->detail);
    apply_tls(h, cfg);
    /* Set on every request: the web-session handle is never reset, and the
     * setting is the client's for its whole life. */
    if (cfg->abstract_socket)
        curl_easy_setopt(h, CURLOPT_ABSTRACT_UNIX_SOCKET, cfg->abstract_socket);
    if (cfg->basic_user) {
        curl_easy_setopt(h, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(h, CURLOPT_USERNAME, cfg->basic_user);
        curl_easy_setopt(h, CURLOPT_PASSWORD, cfg->basic_password ? cfg->basic_password : "");
    }
    /* Flask-WTF refuses a CSRF-protected POST over HTTPS without a
     * same-origin Referer; the page the form came from is the request's own
     * URL, so name that unless the caller chose another one. */
    curl_easy_setopt(h, CURLOPT_REFERER, req->referer ? req->referer
                                         : (req->ui && req->post) ? url : NULL);
    /* A write goes out on a fresh connection: on a reused keep-alive
     * connection that the server closed, libcurl silently sends the request
     * again, which must never happen to a write whose first copy may have
     * been processed. */
    curl_easy_setopt(h, CURLOPT_FRESH_CONNECT, (req->post && !req->read_only) ? 1L : 0L);
    if (req->post) {
        if (req->mime) {
            curl_easy_setopt(h, CURLOPT_MIMEPOST, req->mime);
        } else {
            curl_easy_setopt(h, CURLOPT_POST, 1L);
            curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)req->body_len);
            curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body ? req->body : "");
        }
    } else {
        curl_easy_setopt(h, CURLOPT_HTTPGET, 1L);
    }

    CURLcode cc = curl_easy_perform(h);
    classify_curl(cc, x, o);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    resp->status = cc == CURLE_OK ? status : 0;
    long req_size = 0;
    curl_off_t pretransfer = 0;
    curl_easy_getinfo(h, CURLINFO_REQUEST_SIZE, &req_size);
    curl_easy_getinfo(h, CURLINFO_PRETRANSFER_TIME_T, &pretransfer);
    o->nothing_sent = req_size == 0 && pretransfer == 0;
    /* Nothing in the handle may point at this request's buffers afterwards
     * (libcurl keeps a reference to the mime structure, not a copy). */
    curl_easy_setopt(h, CURLOPT_ERRORBUFFER, NULL);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, NULL);
    if (req->mime)
        curl_easy_setopt(h, CURLOPT_MIMEPOST, NULL);
    if (req->post && !req->mime)
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, NULL);
}

/* Capped exponential backoff with "equal jitter": half fixed, half random. */
static long backoff_ms(const pcf_cfg *cfg, int attempt)
{
    long d = cfg->backoff_base_ms;
    for (int i = 1; i < attempt && d < cfg->backoff_max_ms; i++)
        d *= 2;
    if (d > cfg->backoff_max_ms)
        d = cfg->backoff_max_ms;
    uint32_t r = 0;
    pcfmcp__random(&r, sizeof(r));
    long half = d / 2;
    return half + (half > 0 ? (long)(r % (uint32_t)(half + 1)) : 0);
}

pcfmcp_error_t pcfmcp__pcf_http(pcf_call *c, const pcf_http_req *req, pcf_http_resp *resp)
{
    pcfmcp_pcf_t *pcf = c->pcf;
    const pcf_cfg *cfg = &pcf->cfg;
    pcfmcp_pcf_result_t *res = c->res;

    if (cfg->insecure && !atomic_exchange(&pcf->insecure_warned, true))
        PCFMCP_LOG(pcf->log, PCFMCP_LOG_WARN, "pcf",
                   "TLS verification of PCF is OFF (pcf.insecure): tokens and passwords can "
                   "be read and changed by anyone on the network path");

    pcfmcp__buf url;
    pcfmcp__buf_init(&url);
    pcfmcp__buf_puts(&url, cfg->base_url);
    pcfmcp__buf_puts(&url, req->path);
    struct curl_slist *hdrs = NULL;
    if (!pcfmcp__buf_ok(&url) || !set_headers(&hdrs, c, req)) {
        pcfmcp__buf_free(&url);
        return pcfmcp__pcf_fail(res, PCFMCP_ERR_NOMEM, "out of memory");
    }

    pcfmcp_error_t rc = PCFMCP_OK;
    for (int attempt = 1;; attempt++) {
        uint64_t now = pcfmcp__now_ms();
        if (is_cancelled(c)) {
            rc = pcfmcp__pcf_fail(res, PCFMCP_ERR_CANCELLED, "%s: cancelled", req->label);
            break;
        }
        if (now >= c->deadline) {
            rc = fail_timeout(c, req->label, ": ",
                              attempt == 1 ? "the call's time budget (pcf.total_timeout) ran out "
                                             "before PCF was asked: the server is busy"
                                           : "the call's time budget ran out");
            break;
        }
        long left = (long)(c->deadline - now);
        long timeout = cfg->request_ms < left && !req->long_running ? cfg->request_ms : left;
        xfer x;
        attempt_outcome o;
        pcf_hooks hk;
        pcfmcp__pcf_hooks_get(pcf, &hk);
        if (hk.gate) {
            pcfmcp_error_t g = pcfmcp_gate_enter(hk.gate, (unsigned)left,
                                                 c->ctx ? c->ctx->cancelled : NULL);
            if (g == PCFMCP_ERR_CANCELLED) {
                rc = pcfmcp__pcf_fail(res, PCFMCP_ERR_CANCELLED, "%s: cancelled", req->label);
                break;
            }
            if (g != PCFMCP_OK) {
                rc = pcfmcp__pcf_fail(res, PCFMCP_ERR_UNAVAILABLE,
                                      "%s: too many requests to PCF are in progress "
                                      "(rate_limit.pcf_concurrency); try again shortly",
                                      req->label);
                break;
            }
        }
        /* A pooled handle (a connection) only once through the gate, so the
         * connections open at PCF never outnumber the requests it lets in. */
        CURL *h = pcf->ui;
        pcfmcp_error_t p = req->ui ? PCFMCP_OK : pool_take(c, &h);
        now = pcfmcp__now_ms();
        if (p == PCFMCP_OK && now >= c->deadline) {
            if (!req->ui)
                pool_give(pcf->shared, h);
            p = PCFMCP_ERR_TIMEOUT;
        }
        if (p != PCFMCP_OK) {
            if (hk.gate)
                pcfmcp_gate_leave(hk.gate);
            if (p == PCFMCP_ERR_TIMEOUT)
                rc = fail_timeout(c, req->label, ": ",
                                  "the call's time budget ran out waiting for a connection to PCF");
            else
                rc = pcfmcp__pcf_fail(res, p, "%s: %s", req->label,
                                      p == PCFMCP_ERR_CANCELLED ? "cancelled" : "out of memory");
            break;
        }
        left = (long)(c->deadline - now);
        timeout = cfg->request_ms < left && !req->long_running ? cfg->request_ms : left;
        one_attempt(c, h, req, url.data, hdrs, timeout, resp, &x, &o);
        if (!req->ui)
            pool_give(pcf->shared, h);
        if (hk.gate)
            pcfmcp_gate_leave(hk.gate);
        res->attempts++;
        double secs = (double)(pcfmcp__now_ms() - now) / 1000.0;
        pcfmcp_error_t obs_err = o.err;
        if (o.err == PCFMCP_OK && resp->status == 429)
            obs_err = PCFMCP_ERR_RATE_LIMITED;
        else if (o.err == PCFMCP_OK && resp->status >= 500)
            obs_err = PCFMCP_ERR_HTTP;
        pcfmcp__pcf_observe(pcf, req->label, resp->status, obs_err, secs, attempt);
        pcfmcp__log_fields lf;
        char trace[33];
        pcfmcp__pcf_log_fields(c->ctx, &lf, trace);
        PCFMCP_LOGF(pcf->log, PCFMCP_LOG_DEBUG, "pcf", &lf,
                    "%s %s attempt %d: %s, HTTP %ld, %.3f s", req->post ? "POST" : "GET",
                    req->label, attempt, o.what, resp->status, secs);

        /* Decide whether another attempt is safe and useful. */
        const char *reason = NULL;
        char status_reason[16];
        long wait = -1;
        if (o.err == PCFMCP_OK) {
            long st = resp->status;
            /* A read changes nothing, so any server-side failure (PCF's own
             * 500s included: a lock held by a concurrent request clears) is
             * worth another try; a write's fate is unknown once it was sent. */
            if (req->read_only && (st == 429 || (st >= 500 && st <= 599))) {
                snprintf(status_reason, sizeof(status_reason), "HTTP %ld", st);
                reason = status_reason;
                wait = x.retry_after_ms;
            }
        } else if (o.err == PCFMCP_ERR_CONNECT || o.err == PCFMCP_ERR_TIMEOUT ||
                   (o.err == PCFMCP_ERR_TLS && !o.tls_verify) ||
                   o.err == PCFMCP_ERR_BAD_RESPONSE) {
            if (o.nothing_sent && o.err != PCFMCP_ERR_BAD_RESPONSE)
                reason = o.what;
            else if (req->read_only)
                reason = o.what;
        }
        if (reason && attempt < cfg->max_attempts) {
            if (wait < 0)
                wait = backoff_ms(cfg, attempt);
            uint64_t after = pcfmcp__now_ms();
            if (after + (uint64_t)wait < c->deadline) {
                PCFMCP_LOGF(pcf->log, PCFMCP_LOG_WARN, "pcf", &lf,
                            "retrying %s (attempt %d of %d) after %s; waiting %ld ms",
                            req->label, attempt + 1, cfg->max_attempts, reason, wait);
                if (!wait_ms(c, wait)) {
                    rc = pcfmcp__pcf_fail(res, PCFMCP_ERR_CANCELLED, "%s: cancelled",
                                          req->label);
                    break;
                }
                continue;
            }
        }
        if (o.err == PCFMCP_OK) {
            pcfmcp__pcf_hung_clear(pcf);
        } else {
            if (o.err == PCFMCP_ERR_LIMIT)
                rc = pcfmcp__pcf_fail(res, o.err, "%s: %s (%zu bytes)", req->label, o.what,
                                      cfg->max_body);
            else if (o.err == PCFMCP_ERR_TIMEOUT)
                rc = fail_timeout(c, req->label, ": ",
                                  attempt > 1 ? "timed out (after retries)" : "timed out");
            else
                rc = pcfmcp__pcf_fail(res, o.err, "%s: %s%s", req->label, o.what,
                                      attempt > 1 ? " (after retries)" : "");
            /* A write that got no answer may be what hung PCF. */
            if (o.err == PCFMCP_ERR_TIMEOUT && req->post && !req->read_only)
                pcfmcp__pcf_hung_mark(pcf, req->label, "got no answer", false);
            res->status = 0;
            PCFMCP_LOGF(pcf->log, PCFMCP_LOG_DEBUG, "pcf", &lf, "%s failed: %s", req->label,
                        o.detail);
        }
        break;
    }

    pcfmcp__buf_free(&url);
    curl_slist_free_all(hdrs);
    return rc;
}
