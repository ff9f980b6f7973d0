/* The shared store's connections (see store.h for the policy).
 *
 * A small pool of connections, each a non-blocking socket (or a GnuTLS
 * session over one) with a hiredis reader parsing what arrives. Request
 * threads only ever borrow a connection the background thread opened:
 * resolving a name has no timeout, so it never happens on a request's path.
 * The first failure of any command marks the store down and drops the idle
 * connections; connections in use are closed when handed back, because
 * their epoch is old. While down, nothing waits: operations answer
 * PCFMCP_ERR_UNAVAILABLE and the thread reconnects with a bounded backoff.
 * The same thread refreshes this replica's heartbeat key, which is what
 * other replicas read to tell a misrouted session from a dead one. */
#include "core/internal.h"

#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/log.h"
#include "core/util.h"
#include "hardening/store.h"
#include "hardening/store_impl.h"

#ifdef HAVE_HIREDIS

#include <arpa/inet.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <gnutls/gnutls.h>

#define MAX_REPLY (1024 * 1024) /* ours are tiny; a store sending more is broken */
#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 5000
#define HEARTBEAT_MS 2000
#define HEARTBEAT_TTL_MS (3 * HEARTBEAT_MS)
#define TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

typedef struct conn {
    int fd;
    gnutls_session_t tls; /* NULL: plain TCP */
    int tls_err;          /* the last fatal GnuTLS error, to say why */
    redisReader *rd;
    uint64_t epoch;
    struct conn *next;
} conn;

struct pcfmcp__store {
    pcfmcp__store_url url;
    char *prefix;
    char described[400];
    unsigned timeout_ms;
    unsigned max_conns;
    gnutls_certificate_credentials_t cred; /* rediss:// only */
    pcfmcp_logger_t *log;
    char tag[17];
    char hostname[128];
    char *beat_key;

    pthread_mutex_t lock;
    pthread_cond_t cond; /* CLOCK_MONOTONIC: pool changes, state changes, stop */
    conn *idle;
    unsigned nopen;      /* idle + lent */
    bool up;             /* guarded by lock; mirrored in up_flag for readers */
    atomic_bool up_flag;
    _Atomic uint64_t epoch;
    bool stopping;
    bool ever_up;
    bool warned; /* the first failure to connect was logged at warn */
    uint64_t down_since_ms;
    unsigned backoff_ms;
    uint64_t next_try_ms;
    uint64_t next_beat_ms;
    char why[256];
    bool have_thread;
    pthread_t thread;

    pthread_mutex_t obs_lock;
    pcfmcp__store_observer obs;
    void *obs_ud;
};

/* ------------------------------------------------------------ observer */

static void observe(pcfmcp__store *st, const char *op, const char *result, double secs)
{
    pthread_mutex_lock(&st->obs_lock);
    pcfmcp__store_observer cb = st->obs;
    void *ud = st->obs_ud;
    pthread_mutex_unlock(&st->obs_lock);
    if (cb)
        cb(op, result, secs, ud);
}

void pcfmcp__store_set_observer(pcfmcp__store *st, pcfmcp__store_observer cb, void *ud)
{
    if (!st)
        return;
    pthread_mutex_lock(&st->obs_lock);
    st->obs = cb;
    st->obs_ud = cb ? ud : NULL;
    pthread_mutex_unlock(&st->obs_lock);
}

/* ------------------------------------------------------------ one connection */

static void conn_close(conn *c)
{
    if (!c)
        return;
    if (c->tls)
        gnutls_deinit(c->tls);
    if (c->fd >= 0)
        close(c->fd);
    if (c->rd)
        redisReaderFree(c->rd);
    pcfmcp__free(c);
}

/* Waits for @p events on @p fd until @p deadline (monotonic ms). */
static pcfmcp_error_t wait_fd(int fd, short events, uint64_t deadline)
{
    for (;;) {
        uint64_t now = pcfmcp__now_ms();
        if (now >= deadline)
            return PCFMCP_ERR_TIMEOUT;
        struct pollfd p = { .fd = fd, .events = events };
        uint64_t left = deadline - now;
        int n = poll(&p, 1, left > 60000 ? 60000 : (int)left);
        if (n > 0)
            return (p.revents & (POLLERR | POLLNVAL)) && !(p.revents & events) ? PCFMCP_ERR_IO
                                                                                : PCFMCP_OK;
        if (n < 0 && errno != EINTR)
            return PCFMCP_ERR_IO;
    }
}

static pcfmcp_error_t tls_wait(conn *c, uint64_t deadline)
{
    return wait_fd(c->fd, gnutls_record_get_direction(c->tls) ? POLLOUT : POLLIN, deadline);
}

/* One send or receive on @p c, plain or TLS, waiting (until @p deadline)
 * while it would block: the byte count, 0 at end of stream, or a negative
 * error code. */
static ssize_t conn_io(conn *c, bool sending, void *buf, size_t len, uint64_t deadline)
{
    for (;;) {
        ssize_t n;
        pcfmcp_error_t rc;
        if (c->tls) {
            n = sending ? gnutls_record_send(c->tls, buf, len)
                        : gnutls_record_recv(c->tls, buf, len);
            if (n >= 0)
                return n;
            if (n != GNUTLS_E_AGAIN && n != GNUTLS_E_INTERRUPTED) {
                c->tls_err = (int)n;
                return PCFMCP_ERR_IO;
            }
            rc = tls_wait(c, deadline);
        } else {
            n = sending ? send(c->fd, buf, len, MSG_NOSIGNAL) : recv(c->fd, buf, len, 0);
            if (n >= 0)
                return n;
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                return PCFMCP_ERR_IO;
            rc = wait_fd(c->fd, sending ? POLLOUT : POLLIN, deadline);
        }
        if (rc != PCFMCP_OK)
            return rc;
    }
}

static pcfmcp_error_t conn_send(conn *c, const char *buf, size_t len, uint64_t deadline)
{
    for (size_t off = 0; off < len;) {
        ssize_t n = conn_io(c, true, (void *)(buf + off), len - off, deadline);
        if (n <= 0)
            return n < 0 ? (pcfmcp_error_t)n : PCFMCP_ERR_IO;
        off += (size_t)n;
    }
    return PCFMCP_OK;
}

/* Reads until the reader holds one whole reply. */
static pcfmcp_error_t conn_recv(conn *c, redisReply **out, uint64_t deadline)
{
    size_t total = 0;
    char buf[16384];
    for (;;) {
        void *r = NULL;
        if (redisReaderGetReply(c->rd, &r) != REDIS_OK)
            return PCFMCP_ERR_PROTOCOL;
        if (r) {
            *out = r;
            return PCFMCP_OK;
        }
        ssize_t n = conn_io(c, false, buf, sizeof(buf), deadline);
        if (n < 0)
            return (pcfmcp_error_t)n;
        if (n == 0)
            return PCFMCP_ERR_IO; /* the store closed the connection */
        total += (size_t)n;
        if (total > MAX_REPLY || redisReaderFeed(c->rd, buf, (size_t)n) != REDIS_OK)
            return PCFMCP_ERR_PROTOCOL;
    }
}

static pcfmcp_error_t conn_command(conn *c, int argc, const char **argv, const size_t *lens,
                                   redisReply **out, uint64_t deadline)
{
    char *cmd = NULL;
    int len = redisFormatCommandArgv(&cmd, argc, argv, lens);
    if (len < 0 || !cmd)
        return PCFMCP_ERR_NOMEM;
    pcfmcp_error_t rc = conn_send(c, cmd, (size_t)len, deadline);
    /* AUTH's command text holds the password. */
    pcfmcp__secure_zero(cmd, (size_t)len);
    redisFreeCommand(cmd);
    if (rc != PCFMCP_OK)
        return rc;
    return conn_recv(c, out, deadline);
}

/* One command whose reply must be a status reply (+OK, +PONG). */
static pcfmcp_error_t handshake_step(conn *c, int argc, const char **argv, const char *what,
                                     uint64_t deadline, char *why, size_t wlen)
{
    size_t lens[4];
    for (int i = 0; i < argc; i++)
        lens[i] = strlen(argv[i]);
    redisReply *r = NULL;
    pcfmcp_error_t rc = conn_command(c, argc, argv, lens, &r, deadline);
    if (rc != PCFMCP_OK) {
        /* TLS 1.3 servers check client certificates after the handshake:
         * the refusal arrives as an alert on the first read. */
        if (c->tls_err == GNUTLS_E_FATAL_ALERT_RECEIVED) {
            gnutls_alert_description_t a = gnutls_alert_get(c->tls);
            snprintf(why, wlen, "%s: the store ended TLS with \"%s\"%s", what,
                     gnutls_alert_get_name(a),
                     a == GNUTLS_A_CERTIFICATE_REQUIRED || a == GNUTLS_A_HANDSHAKE_FAILURE ||
                             a == GNUTLS_A_BAD_CERTIFICATE || a == GNUTLS_A_UNKNOWN_CA
                         ? " (does it require a client certificate: store.client_cert?)"
                         : "");
        } else if (c->tls_err) {
            snprintf(why, wlen, "%s: TLS: %s", what, gnutls_strerror(c->tls_err));
        } else {
            snprintf(why, wlen, "%s: %s", what,
                     rc == PCFMCP_ERR_TIMEOUT ? "no answer within store.timeout"
                                              : "the store closed the connection");
        }
        return rc;
    }
    if (r->type == REDIS_REPLY_ERROR) {
        snprintf(why, wlen, "%s refused: %.180s", what, r->str);
        rc = strstr(r->str, "WRONGPASS") || strstr(r->str, "NOAUTH") ? PCFMCP_ERR_AUTH
                                                                      : PCFMCP_ERR_BAD_RESPONSE;
    } else if (r->type != REDIS_REPLY_STATUS) {
        snprintf(why, wlen, "%s: unexpected answer (is this a Redis server?)", what);
        rc = PCFMCP_ERR_BAD_RESPONSE;
    }
    freeReplyObject(r);
    return rc;
}

static pcfmcp_error_t tcp_connect(pcfmcp__store *st, conn *c, uint64_t deadline, char *why,
                                  size_t wlen)
{
    char port[8];
    snprintf(port, sizeof(port), "%u", st->url.port);
    struct addrinfo hints = { .ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM };
    struct addrinfo *res = NULL;
    int g = getaddrinfo(st->url.host, port, &hints, &res);
    if (g != 0) {
        snprintf(why, wlen, "cannot resolve %s: %s", st->url.host, gai_strerror(g));
        return PCFMCP_ERR_CONNECT;
    }
    pcfmcp_error_t rc = PCFMCP_ERR_CONNECT;
    snprintf(why, wlen, "no address of %s accepted a connection", st->url.host);
    for (struct addrinfo *a = res; a; a = a->ai_next) {
        int fd = socket(a->ai_family, a->ai_socktype | SOCK_NONBLOCK | SOCK_CLOEXEC, a->ai_protocol);
        if (fd < 0)
            continue;
        int err = 0;
        if (connect(fd, a->ai_addr, a->ai_addrlen) != 0) {
            err = errno;
            if (err == EINPROGRESS) {
                rc = wait_fd(fd, POLLOUT, deadline);
                socklen_t el = sizeof(err);
                if (rc == PCFMCP_OK && getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &el) != 0)
                    err = errno;
                if (rc == PCFMCP_ERR_TIMEOUT) {
                    close(fd);
                    snprintf(why, wlen, "connecting to %s took longer than store.timeout",
                             st->url.host);
                    break;
                }
            }
        }
        if (err) {
            snprintf(why, wlen, "connecting to %s port %u: %s", st->url.host, st->url.port,
                     strerror(err));
            close(fd);
            rc = PCFMCP_ERR_CONNECT;
            continue;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &one, sizeof(one));
        c->fd = fd;
        rc = PCFMCP_OK;
        break;
    }
    freeaddrinfo(res);
    return rc;
}

static pcfmcp_error_t tls_start(pcfmcp__store *st, conn *c, uint64_t deadline, char *why,
                                size_t wlen)
{
    int e = gnutls_init(&c->tls, GNUTLS_CLIENT | GNUTLS_NONBLOCK);
    if (e < 0) {
        c->tls = NULL;
        snprintf(why, wlen, "TLS: %s", gnutls_strerror(e));
        return PCFMCP_ERR_TLS;
    }
    struct in6_addr a6;
    bool literal = inet_pton(AF_INET, st->url.host, &a6) == 1 ||
                   inet_pton(AF_INET6, st->url.host, &a6) == 1;
    if ((e = gnutls_priority_set_direct(c->tls, TLS_PRIORITIES, NULL)) < 0 ||
        (e = gnutls_credentials_set(c->tls, GNUTLS_CRD_CERTIFICATE, st->cred)) < 0 ||
        (!literal && (e = gnutls_server_name_set(c->tls, GNUTLS_NAME_DNS, st->url.host,
                                                 strlen(st->url.host))) < 0)) {
        snprintf(why, wlen, "TLS: %s", gnutls_strerror(e));
        return PCFMCP_ERR_TLS;
    }
    /* The certificate must name the host of store.url (a name or an IP). */
    gnutls_session_set_verify_cert(c->tls, st->url.host, 0);
    gnutls_transport_set_int(c->tls, c->fd);
    gnutls_handshake_set_timeout(c->tls, 0);
    for (;;) {
        e = gnutls_handshake(c->tls);
        if (e == GNUTLS_E_SUCCESS)
            return PCFMCP_OK;
        if (e == GNUTLS_E_AGAIN || e == GNUTLS_E_INTERRUPTED) {
            if (tls_wait(c, deadline) != PCFMCP_OK) {
                snprintf(why, wlen, "TLS handshake with %s took longer than store.timeout",
                         st->url.host);
                return PCFMCP_ERR_TIMEOUT;
            }
            continue;
        }
        if (gnutls_error_is_fatal(e)) {
            if (e == GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR) {
                gnutls_datum_t out = { 0 };
                unsigned status = gnutls_session_get_verify_cert_status(c->tls);
                if (gnutls_certificate_verification_status_print(
                        status, GNUTLS_CRT_X509, &out, 0) == 0) {
                    snprintf(why, wlen, "TLS: the store's certificate is not trusted: %s",
                             (const char *)out.data);
                    gnutls_free(out.data);
                    return PCFMCP_ERR_TLS;
                }
            }
            snprintf(why, wlen, "TLS handshake with %s: %s", st->url.host, gnutls_strerror(e));
            return PCFMCP_ERR_TLS;
        }
    }
}

/* Connects, secures, authenticates and selects; all before @p deadline. */
static pcfmcp_error_t conn_open(pcfmcp__store *st, conn **out, uint64_t deadline, char *why,
                                size_t wlen)
{
    conn *c = pcfmcp__calloc(1, sizeof(*c));
    if (!c) {
        snprintf(why, wlen, "out of memory");
        return PCFMCP_ERR_NOMEM;
    }
    c->fd = -1;
    pcfmcp_error_t rc = tcp_connect(st, c, deadline, why, wlen);
    if (rc == PCFMCP_OK && st->url.tls)
        rc = tls_start(st, c, deadline, why, wlen);
    if (rc == PCFMCP_OK && !(c->rd = redisReaderCreate())) {
        snprintf(why, wlen, "out of memory");
        rc = PCFMCP_ERR_NOMEM;
    }
    if (rc == PCFMCP_OK && st->url.password) {
        const char *argv[3] = { "AUTH", st->url.username ? st->url.username : st->url.password,
                                st->url.password };
        rc = handshake_step(c, st->url.username ? 3 : 2, argv, "AUTH", deadline, why, wlen);
    }
    if (rc == PCFMCP_OK && st->url.db) {
        char db[16];
        snprintf(db, sizeof(db), "%u", st->url.db);
        const char *argv[2] = { "SELECT", db };
        rc = handshake_step(c, 2, argv, "SELECT", deadline, why, wlen);
    }
    if (rc == PCFMCP_OK) {
        /* Protected mode, a missing password, a proxy that is not Redis:
         * all show up here rather than on the first request. */
        const char *argv[1] = { "PING" };
        rc = handshake_step(c, 1, argv, "PING", deadline, why, wlen);
    }
    if (rc != PCFMCP_OK) {
        conn_close(c);
        return rc;
    }
    *out = c;
    return PCFMCP_OK;
}

/* ------------------------------------------------------------ state */

/* Waits on st->cond (held) for at most @p ms. */
static void wait_ms(pcfmcp__store *st, uint64_t ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += (time_t)(ms / 1000);
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_cond_timedwait(&st->cond, &st->lock, &ts);
}

static void set_up_locked(pcfmcp__store *st, bool up)
{
    st->up = up;
    atomic_store(&st->up_flag, up);
}

/* Closes @p list outside any lock. */
static void close_list(conn *list)
{
    while (list) {
        conn *n = list->next;
        conn_close(list);
        list = n;
    }
}

static void mark_down(pcfmcp__store *st, const char *why)
{
    conn *dead = NULL;
    bool changed = false;
    pthread_mutex_lock(&st->lock);
    if (st->up) {
        changed = true;
        set_up_locked(st, false);
        atomic_fetch_add(&st->epoch, 1);
        dead = st->idle;
        for (conn *c = dead; c; c = c->next)
            st->nopen--;
        st->idle = NULL;
        st->down_since_ms = pcfmcp__now_ms();
        st->backoff_ms = BACKOFF_MIN_MS;
        st->next_try_ms = st->down_since_ms + BACKOFF_MIN_MS;
        snprintf(st->why, sizeof(st->why), "%s", why);
    }
    pthread_cond_broadcast(&st->cond);
    pthread_mutex_unlock(&st->lock);
    close_list(dead);
    if (changed)
        PCFMCP_LOG(st->log, PCFMCP_LOG_WARN, "store",
                   "shared store %s unreachable (%s): rate limits are per replica and cached "
                   "PCF reads are bypassed until it answers again",
                   st->described, why);
}

static conn *acquire(pcfmcp__store *st, uint64_t deadline, pcfmcp_error_t *rc)
{
    conn *c = NULL;
    pthread_mutex_lock(&st->lock);
    for (;;) {
        if (!st->up || st->stopping) {
            *rc = PCFMCP_ERR_UNAVAILABLE;
            break;
        }
        if (st->idle) {
            c = st->idle;
            st->idle = c->next;
            c->next = NULL;
            break;
        }
        uint64_t now = pcfmcp__now_ms();
        if (now >= deadline) {
            *rc = PCFMCP_ERR_TIMEOUT;
            break;
        }
        wait_ms(st, deadline - now);
    }
    pthread_mutex_unlock(&st->lock);
    return c;
}

/* Hands @p c back, or closes it when it failed or outlived its epoch. */
static void release(pcfmcp__store *st, conn *c, bool ok)
{
    bool keep = false;
    pthread_mutex_lock(&st->lock);
    if (ok && st->up && !st->stopping && c->epoch == atomic_load(&st->epoch)) {
        c->next = st->idle;
        st->idle = c;
        keep = true;
    } else {
        st->nopen--;
    }
    pthread_cond_broadcast(&st->cond);
    pthread_mutex_unlock(&st->lock);
    if (!keep)
        conn_close(c);
}

static const char *result_of(pcfmcp_error_t rc)
{
    switch (rc) {
    case PCFMCP_OK: return "ok";
    case PCFMCP_ERR_TIMEOUT: return "timeout";
    case PCFMCP_ERR_UNAVAILABLE: return "unavailable";
    default: return "error";
    }
}

pcfmcp_error_t pcfmcp__store_exec(pcfmcp__store *st, const char *op, int argc, const char **argv,
                                  const size_t *lens, redisReply **out)
{
    *out = NULL;
    if (!st)
        return PCFMCP_ERR_UNAVAILABLE;
    if (!atomic_load(&st->up_flag)) {
        observe(st, op, "unavailable", 0);
        return PCFMCP_ERR_UNAVAILABLE;
    }
    uint64_t t0 = pcfmcp__now_ns();
    uint64_t deadline = t0 / 1000000ULL + st->timeout_ms;
    pcfmcp_error_t rc = PCFMCP_OK;
    conn *c = acquire(st, deadline, &rc);
    if (!c) {
        /* Every connection busy for the whole timeout: those holding them
         * will fail on their own if the store is stuck. */
        observe(st, op, result_of(rc), rc == PCFMCP_ERR_UNAVAILABLE ? 0 : (double)(pcfmcp__now_ns() - t0) / 1e9);
        return rc;
    }
    redisReply *r = NULL;
    rc = conn_command(c, argc, argv, lens, &r, deadline);
    double secs = (double)(pcfmcp__now_ns() - t0) / 1e9;
    if (rc != PCFMCP_OK) {
        release(st, c, false);
        char why[160];
        snprintf(why, sizeof(why), "%s %s", op,
                 rc == PCFMCP_ERR_TIMEOUT    ? "got no answer within store.timeout"
                 : rc == PCFMCP_ERR_PROTOCOL ? "got a malformed answer"
                                             : "lost the connection");
        mark_down(st, why);
        observe(st, op, result_of(rc), secs);
        return rc;
    }
    release(st, c, true);
    /* A script missing from a restarted store is reloaded by the caller:
     * not an error worth counting. */
    bool err = r->type == REDIS_REPLY_ERROR && strncmp(r->str, "NOSCRIPT", 8) != 0;
    observe(st, op, err ? "error" : "ok", secs);
    *out = r;
    return PCFMCP_OK;
}

const char *pcfmcp__store_key_prefix(const pcfmcp__store *st)
{
    return st->prefix;
}

/* ------------------------------------------------------------ background */

/* SET <prefix>replica:<tag> <hostname> PX <ttl>: on @p c (a connection
 * not yet in the pool) or on a pooled one. */
static pcfmcp_error_t beat(pcfmcp__store *st, conn *c, uint64_t deadline)
{
    char ttl[24];
    snprintf(ttl, sizeof(ttl), "%d", HEARTBEAT_TTL_MS);
    const char *argv[5] = { "SET", st->beat_key, st->hostname, "PX", ttl };
    size_t lens[5];
    for (int i = 0; i < 5; i++)
        lens[i] = strlen(argv[i]);
    redisReply *r = NULL;
    pcfmcp_error_t rc = c ? conn_command(c, 5, argv, lens, &r, deadline)
                          : pcfmcp__store_exec(st, "heartbeat", 5, argv, lens, &r);
    if (rc == PCFMCP_OK) {
        if (r->type == REDIS_REPLY_ERROR)
            rc = PCFMCP_ERR_BAD_RESPONSE;
        freeReplyObject(r);
    }
    return rc;
}

static void *run(void *arg)
{
    pcfmcp__store *st = arg;
    pthread_mutex_lock(&st->lock);
    for (;;) {
        if (st->stopping)
            break;
        uint64_t now = pcfmcp__now_ms();
        uint64_t wake;
        enum { NOTHING, CONNECT, BEAT } what = NOTHING;
        if (!st->up) {
            if (now >= st->next_try_ms)
                what = CONNECT;
            wake = st->next_try_ms;
        } else if (st->nopen < st->max_conns) {
            what = CONNECT;
            wake = now;
        } else {
            if (now >= st->next_beat_ms)
                what = BEAT;
            wake = st->next_beat_ms;
        }
        if (what == NOTHING) {
            wait_ms(st, wake > now ? wake - now : 1);
            continue;
        }
        bool was_up = st->up;
        pthread_mutex_unlock(&st->lock);

        if (what == BEAT) {
            beat(st, NULL, 0);
            pthread_mutex_lock(&st->lock);
            st->next_beat_ms = pcfmcp__now_ms() + HEARTBEAT_MS;
            continue;
        }
        char why[256] = "";
        conn *c = NULL;
        uint64_t t0 = pcfmcp__now_ns();
        uint64_t deadline = t0 / 1000000ULL + st->timeout_ms;
        pcfmcp_error_t rc = conn_open(st, &c, deadline, why, sizeof(why));
        /* Announced before it counts as up: a replica that is up can be
         * found by the others (a store refusing writes is no use either). */
        if (rc == PCFMCP_OK && !was_up && (rc = beat(st, c, deadline)) != PCFMCP_OK) {
            snprintf(why, sizeof(why), "the heartbeat write failed (%s): read-only replica or "
                     "missing ACL permission?", pcfmcp_strerror(rc));
            conn_close(c);
            c = NULL;
        }
        observe(st, "connect", result_of(rc), (double)(pcfmcp__now_ns() - t0) / 1e9);
        if (rc != PCFMCP_OK) {
            if (was_up) {
                mark_down(st, why);
            } else {
                pthread_mutex_lock(&st->lock);
                bool first = !st->ever_up && !st->warned;
                bool changed = strcmp(st->why, why) != 0;
                st->warned = true;
                snprintf(st->why, sizeof(st->why), "%s", why);
                st->backoff_ms = st->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS
                                                                     : st->backoff_ms * 2;
                st->next_try_ms = pcfmcp__now_ms() + st->backoff_ms;
                pthread_mutex_unlock(&st->lock);
                /* Once per reason, not once per attempt. */
                if (first || changed)
                    PCFMCP_LOG(st->log, first ? PCFMCP_LOG_WARN : PCFMCP_LOG_INFO, "store",
                               "shared store %s: %s; retrying with backoff up to %d s",
                               st->described, why, BACKOFF_MAX_MS / 1000);
            }
            pthread_mutex_lock(&st->lock);
            continue;
        }
        pthread_mutex_lock(&st->lock);
        if (st->stopping) {
            pthread_mutex_unlock(&st->lock);
            conn_close(c);
            pthread_mutex_lock(&st->lock);
            break;
        }
        c->epoch = atomic_load(&st->epoch);
        c->next = st->idle;
        st->idle = c;
        st->nopen++;
        bool came_up = !st->up;
        uint64_t down_ms = st->down_since_ms ? pcfmcp__now_ms() - st->down_since_ms : 0;
        bool first = !st->ever_up;
        if (came_up) {
            set_up_locked(st, true);
            st->ever_up = true;
            st->why[0] = '\0';
            st->backoff_ms = BACKOFF_MIN_MS;
            st->next_beat_ms = pcfmcp__now_ms() + HEARTBEAT_MS;
        }
        pthread_cond_broadcast(&st->cond);
        pthread_mutex_unlock(&st->lock);
        if (came_up && first)
            PCFMCP_LOG(st->log, PCFMCP_LOG_INFO, "store",
                       "shared store %s connected: rate limits, cache invalidation and session "
                       "routing are shared by the replicas using it",
                       st->described);
        else if (came_up)
            PCFMCP_LOG(st->log, PCFMCP_LOG_WARN, "store",
                       "shared store %s answers again after %.1f s", st->described,
                       (double)down_ms / 1000.0);
        pthread_mutex_lock(&st->lock);
    }
    pthread_mutex_unlock(&st->lock);
    return NULL;
}

/* ------------------------------------------------------------ lifecycle */

static bool nonempty(const char *s)
{
    return s && *s;
}

pcfmcp_error_t pcfmcp__store_new(pcfmcp__store **out, const pcfmcp__store_opts *o,
                                 pcfmcp_logger_t *log, char *why, size_t wlen)
{
    if (!out || !o || !nonempty(o->url))
        return PCFMCP_ERR_INVALID_ARG;
    *out = NULL;
    pcfmcp__store *st = pcfmcp__calloc(1, sizeof(*st));
    if (!st)
        return PCFMCP_ERR_NOMEM;
    pthread_mutex_init(&st->lock, NULL);
    pthread_mutex_init(&st->obs_lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&st->cond, &ca);
    pthread_condattr_destroy(&ca);
    st->log = log ? pcfmcp_logger_ref(log) : NULL;
    atomic_init(&st->up_flag, false);
    atomic_init(&st->epoch, 1);
    st->backoff_ms = BACKOFF_MIN_MS;
    st->timeout_ms = o->timeout_ms ? o->timeout_ms : 250;
    st->max_conns = o->connections ? o->connections : 4;
    snprintf(st->why, sizeof(st->why), "not connected yet");
    char part[200] = "";
    pcfmcp_error_t rc = pcfmcp__store_url_parse(o->url, &st->url, part, sizeof(part));
    if (rc != PCFMCP_OK) {
        snprintf(why, wlen, "%s", part[0] ? part : pcfmcp_strerror(rc));
        goto fail;
    }
    pcfmcp__store_url_describe(&st->url, st->described, sizeof(st->described));
    if (nonempty(o->password)) {
        if (st->url.password) {
            snprintf(why, wlen, "the store password is given twice (in store.url and in "
                                "store.password or store.password_file): keep one");
            rc = PCFMCP_ERR_CONFIG;
            goto fail;
        }
        if (!(st->url.password = pcfmcp__strdup(o->password))) {
            rc = PCFMCP_ERR_NOMEM;
            goto fail;
        }
    }
    if (st->url.username && !st->url.password) {
        snprintf(why, wlen, "names the user %s but no password: put it in store.password_file "
                            "(or in the URL, redis://user:password@host)",
                 st->url.username);
        rc = PCFMCP_ERR_CONFIG;
        goto fail;
    }
    if (!st->url.tls && (nonempty(o->ca_file) || nonempty(o->client_cert) ||
                         nonempty(o->client_key))) {
        snprintf(why, wlen, "store.ca_file, store.client_cert and store.client_key need a "
                            "rediss:// store.url (TLS)");
        rc = PCFMCP_ERR_CONFIG;
        goto fail;
    }
    if (nonempty(o->client_cert) != nonempty(o->client_key)) {
        snprintf(why, wlen, "store.client_cert and store.client_key go together");
        rc = PCFMCP_ERR_CONFIG;
        goto fail;
    }
    if (st->url.tls) {
        int e = gnutls_certificate_allocate_credentials(&st->cred);
        if (e < 0) {
            st->cred = NULL;
            rc = PCFMCP_ERR_NOMEM;
            goto fail;
        }
        e = nonempty(o->ca_file)
                ? gnutls_certificate_set_x509_trust_file(st->cred, o->ca_file, GNUTLS_X509_FMT_PEM)
                : gnutls_certificate_set_x509_system_trust(st->cred);
        if (e <= 0) {
            snprintf(why, wlen, "%s: %s",
                     nonempty(o->ca_file) ? "store.ca_file" : "the system CA store",
                     e == 0 ? "holds no certificate" : gnutls_strerror(e));
            rc = PCFMCP_ERR_CONFIG;
            goto fail;
        }
        if (nonempty(o->client_cert) &&
            (e = gnutls_certificate_set_x509_key_file(st->cred, o->client_cert, o->client_key,
                                                      GNUTLS_X509_FMT_PEM)) < 0) {
            snprintf(why, wlen, "store.client_cert/store.client_key: %s", gnutls_strerror(e));
            rc = PCFMCP_ERR_CONFIG;
            goto fail;
        }
    }
    if (!(st->prefix = pcfmcp__strdup(o->prefix ? o->prefix : "pcf-mcp:"))) {
        rc = PCFMCP_ERR_NOMEM;
        goto fail;
    }
    unsigned char raw[9];
    char *b64 = NULL;
    if (pcfmcp__random(raw, sizeof(raw)) != 0 ||
        !(b64 = pcfmcp__base64url_encode(raw, sizeof(raw), NULL))) {
        rc = PCFMCP_ERR_NOMEM;
        goto fail;
    }
    snprintf(st->tag, sizeof(st->tag), "%s", b64);
    pcfmcp__free(b64);
    if (gethostname(st->hostname, sizeof(st->hostname) - 1) != 0 || !st->hostname[0])
        snprintf(st->hostname, sizeof(st->hostname), "unknown");
    size_t kl = strlen(st->prefix) + sizeof("replica:") + strlen(st->tag);
    if (!(st->beat_key = pcfmcp__malloc(kl))) {
        rc = PCFMCP_ERR_NOMEM;
        goto fail;
    }
    snprintf(st->beat_key, kl, "%sreplica:%s", st->prefix, st->tag);
    *out = st;
    return PCFMCP_OK;
fail:
    pcfmcp__store_free(st);
    return rc;
}

pcfmcp_error_t pcfmcp__store_start(pcfmcp__store *st)
{
    if (!st)
        return PCFMCP_ERR_INVALID_ARG;
    pthread_mutex_lock(&st->lock);
    pcfmcp_error_t rc = PCFMCP_OK;
    if (!st->have_thread) {
        st->next_try_ms = 0;
        if (pthread_create(&st->thread, NULL, run, st) == 0)
            st->have_thread = true;
        else
            rc = PCFMCP_ERR_NOMEM;
    }
    pthread_mutex_unlock(&st->lock);
    return rc;
}

void pcfmcp__store_free(pcfmcp__store *st)
{
    if (!st)
        return;
    if (st->have_thread && atomic_load(&st->up_flag)) {
        /* Other replicas stop calling our sessions misrouted. Bounded by
         * store.timeout like everything else. */
        const char *argv[2] = { "DEL", st->beat_key };
        size_t lens[2] = { 3, strlen(st->beat_key) };
        redisReply *r = NULL;
        if (pcfmcp__store_exec(st, "heartbeat", 2, argv, lens, &r) == PCFMCP_OK)
            freeReplyObject(r);
    }
    pthread_mutex_lock(&st->lock);
    st->stopping = true;
    set_up_locked(st, false);
    bool join = st->have_thread;
    st->have_thread = false;
    pthread_cond_broadcast(&st->cond);
    pthread_mutex_unlock(&st->lock);
    if (join)
        pthread_join(st->thread, NULL);
    close_list(st->idle);
    if (st->cred)
        gnutls_certificate_free_credentials(st->cred);
    pcfmcp__store_url_clear(&st->url);
    pcfmcp__free(st->prefix);
    pcfmcp__free(st->beat_key);
    pcfmcp_logger_unref(st->log);
    pthread_cond_destroy(&st->cond);
    pthread_mutex_destroy(&st->lock);
    pthread_mutex_destroy(&st->obs_lock);
    pcfmcp__free(st);
}

bool pcfmcp__store_up(pcfmcp__store *st)
{
    return st && atomic_load(&st->up_flag);
}

void pcfmcp__store_status(pcfmcp__store *st, char *out, size_t n)
{
    if (!st) {
        snprintf(out, n, "not configured");
        return;
    }
    pthread_mutex_lock(&st->lock);
    if (st->up)
        snprintf(out, n, "%s", "");
    else
        snprintf(out, n, "shared store %s unreachable: %s", st->described, st->why);
    pthread_mutex_unlock(&st->lock);
}

uint64_t pcfmcp__store_epoch(pcfmcp__store *st)
{
    return st ? atomic_load(&st->epoch) : 0;
}

bool pcfmcp__store_wait_up(pcfmcp__store *st, unsigned timeout_ms)
{
    if (!st)
        return false;
    uint64_t deadline = pcfmcp__now_ms() + timeout_ms;
    pthread_mutex_lock(&st->lock);
    while (!st->up && !st->stopping) {
        uint64_t now = pcfmcp__now_ms();
        if (now >= deadline)
            break;
        wait_ms(st, deadline - now);
    }
    bool up = st->up;
    pthread_mutex_unlock(&st->lock);
    return up;
}

const char *pcfmcp__store_replica_tag(pcfmcp__store *st)
{
    return st ? st->tag : "";
}

#else /* !HAVE_HIREDIS */

pcfmcp_error_t pcfmcp__store_new(pcfmcp__store **out, const pcfmcp__store_opts *o,
                                 pcfmcp_logger_t *log, char *why, size_t wlen)
{
    (void)log;
    if (!out || !o)
        return PCFMCP_ERR_INVALID_ARG;
    *out = NULL;
    snprintf(why, wlen, "this pcf-mcp was built without hiredis, so the shared store "
                        "(store.url) is unavailable; rebuild with libhiredis-dev installed, "
                        "or leave store.url empty to run each replica on its own");
    return PCFMCP_ERR_UNSUPPORTED;
}

pcfmcp_error_t pcfmcp__store_start(pcfmcp__store *st)
{
    (void)st;
    return PCFMCP_ERR_UNSUPPORTED;
}

void pcfmcp__store_free(pcfmcp__store *st)
{
    (void)st;
}

bool pcfmcp__store_up(pcfmcp__store *st)
{
    (void)st;
    return false;
}

void pcfmcp__store_status(pcfmcp__store *st, char *out, size_t n)
{
    (void)st;
    snprintf(out, n, "not configured");
}

uint64_t pcfmcp__store_epoch(pcfmcp__store *st)
{
    (void)st;
    return 0;
}

bool pcfmcp__store_wait_up(pcfmcp__store *st, unsigned timeout_ms)
{
    (void)st;
    (void)timeout_ms;
    return false;
}

void pcfmcp__store_set_observer(pcfmcp__store *st, pcfmcp__store_observer cb, void *ud)
{
    (void)st;
    (void)cb;
    (void)ud;
}

const char *pcfmcp__store_replica_tag(pcfmcp__store *st)
{
    (void)st;
    return "";
}

#endif /* HAVE_HIREDIS */
