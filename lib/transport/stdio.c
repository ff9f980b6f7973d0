#include "core/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include <pcfmcp/stdio.h>

#include "core/alloc.h"
#include "core/log.h"
#include "core/util.h"
#include "mcp/engine_internal.h"

#define READ_CHUNK 65536

struct pcfmcp_stdio {
    pcfmcp_engine_t *engine;
    pcfmcp_session_t *session;
    pcfmcp_logger_t *log;
    int in_fd, out_fd;
    int stop_pipe[2];
    size_t max_line;
    unsigned grace_ms;
    char *identity;

    pthread_mutex_t out_lock;
    bool out_broken;

    pthread_mutex_t lock; /* pending count */
    pthread_cond_t idle;
    size_t pending; /* messages in the engine, not yet answered */
};

PCFMCP_API pcfmcp_error_t pcfmcp_stdio_new(pcfmcp_stdio_t **out, pcfmcp_engine_t *engine,
                                           int in_fd, int out_fd)
{
    if (!out || !engine || in_fd < 0 || out_fd < 0)
        return PCFMCP_ERR_INVALID_ARG;
    pcfmcp_stdio_t *t = pcfmcp__calloc(1, sizeof(*t));
    if (!t)
        return PCFMCP_ERR_NOMEM;
    t->engine = engine;
    t->in_fd = in_fd;
    t->out_fd = out_fd;
    t->max_line = 16u * 1024u * 1024u;
    t->grace_ms = 10000;
    t->stop_pipe[0] = t->stop_pipe[1] = -1;
    pthread_mutex_init(&t->out_lock, NULL);
    pthread_mutex_init(&t->lock, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&t->idle, &ca);
    pthread_condattr_destroy(&ca);
    if (pcfmcp__pipe_cloexec_nonblock(t->stop_pipe) != 0) {
        pcfmcp_stdio_free(t);
        return PCFMCP_ERR_IO;
    }
    *out = t;
    return PCFMCP_OK;
}

PCFMCP_API void pcfmcp_stdio_free(pcfmcp_stdio_t *t)
{
    if (!t)
        return;
    if (t->stop_pipe[0] >= 0)
        close(t->stop_pipe[0]);
    if (t->stop_pipe[1] >= 0)
        close(t->stop_pipe[1]);
    pthread_mutex_destroy(&t->out_lock);
    pthread_mutex_destroy(&t->lock);
    pthread_cond_destroy(&t->idle);
    pcfmcp_logger_unref(t->log);
    pcfmcp__free(t->identity);
    pcfmcp__free(t);
}

PCFMCP_API pcfmcp_error_t pcfmcp_stdio_set_max_line(pcfmcp_stdio_t *t, size_t bytes)
{
    if (!t || bytes < 1024)
        return PCFMCP_ERR_INVALID_ARG;
    t->max_line = bytes;
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_stdio_set_logger(pcfmcp_stdio_t *t, pcfmcp_logger_t *lg)
{
    if (!t)
        return PCFMCP_ERR_INVALID_ARG;
    pcfmcp_logger_t *old = t->log;
    t->log = pcfmcp_logger_ref(lg);
    pcfmcp_logger_unref(old);
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_stdio_set_identity(pcfmcp_stdio_t *t, const char *identity)
{
    if (!t)
        return PCFMCP_ERR_INVALID_ARG;
    char *c = NULL;
    if (identity && !(c = pcfmcp__strdup(identity)))
        return PCFMCP_ERR_NOMEM;
    pcfmcp__free(t->identity);
    t->identity = c;
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_stdio_set_grace(pcfmcp_stdio_t *t, unsigned grace_ms)
{
    if (!t)
        return PCFMCP_ERR_INVALID_ARG;
    t->grace_ms = grace_ms;
    return PCFMCP_OK;
}

PCFMCP_API void pcfmcp_stdio_stop(pcfmcp_stdio_t *t)
{
    if (!t || t->stop_pipe[1] < 0)
        return;
    int saved = errno;
    char c = 1;
    ssize_t r = write(t->stop_pipe[1], &c, 1);
    (void)r; /* a full pipe already holds a stop request */
    errno = saved;
}

/* One message per line, written whole so concurrent responses never mix. */
static void write_line(pcfmcp_stdio_t *t, const char *json, size_t len)
{
    pthread_mutex_lock(&t->out_lock);
    if (!t->out_broken) {
        struct iovec iov[2] = { { (void *)(uintptr_t)json, len }, { (void *)"\n", 1 } };
        int n = 2;
        while (n > 0) {
            ssize_t w = writev(t->out_fd, iov + (2 - n), n);
            if (w < 0) {
                if (errno == EINTR)
                    continue;
                if (errno == EAGAIN) {
                    struct pollfd p = { .fd = t->out_fd, .events = POLLOUT };
                    poll(&p, 1, 1000);
                    continue;
                }
                t->out_broken = true;
                PCFMCP_LOG(t->log, PCFMCP_LOG_WARN, "stdio", "output closed: %s", strerror(errno));
                pcfmcp_stdio_stop(t);
                break;
            }
            size_t left = (size_t)w;
            while (n > 0 && left >= iov[2 - n].iov_len) {
                left -= iov[2 - n].iov_len;
                n--;
            }
            if (n > 0) {
                iov[2 - n].iov_base = (char *)iov[2 - n].iov_base + left;
                iov[2 - n].iov_len -= left;
            }
        }
    }
    pthread_mutex_unlock(&t->out_lock);
}

/* One message handed to the engine. Its final emit (from whichever thread,
 * whenever) ends it; the reader's handle_line() ends it when the engine
 * says nothing more will come. Deciding by thread got it wrong for a
 * subscriptions/listen ended on the reader thread (cancelled by a later
 * line, or at shutdown): it was never counted as done and the drain waited
 * forever. Two references: the reader's and the final emit's. */
typedef struct {
    pcfmcp_stdio_t *t;
    atomic_int refs;
    atomic_bool done;
} ticket;

static void ticket_unref(ticket *tk)
{
    if (atomic_fetch_sub(&tk->refs, 1) == 1)
        pcfmcp__free(tk);
}

/* Counts the message as answered, once. */
static void ticket_done(ticket *tk)
{
    if (atomic_exchange(&tk->done, true))
        return;
    pcfmcp_stdio_t *t = tk->t;
    pthread_mutex_lock(&t->lock);
    t->pending--;
    pthread_cond_broadcast(&t->idle);
    pthread_mutex_unlock(&t->lock);
    ticket_unref(tk); /* the final emit's reference */
}

static void on_emit(const char *json, size_t len, unsigned flags, void *ud)
{
    ticket *tk = ud;
    if (json)
        write_line(tk->t, json, len);
    if (flags & PCFMCP_EMIT_FINAL)
        ticket_done(tk);
}

/* The session's own notifications (list changes, resource updates). */
static void on_notify(const char *json, size_t len, unsigned flags, void *ud)
{
    (void)flags;
    if (json)
        write_line(ud, json, len);
}

static bool stop_pending(pcfmcp_stdio_t *t)
{
    struct pollfd p = { .fd = t->stop_pipe[0], .events = POLLIN };
    return poll(&p, 1, 0) > 0; /* left in the pipe for the read loop */
}

/* Back-pressure: with every worker busy and the queue full, a request that
 * needs a worker waits here for room instead of being refused as busy.
 * Reading stops meanwhile, so the client's further messages stay in the
 * pipe and its writes block: the one local client is held to the pace of
 * the workers. Answers and notifications (cancellations) never need a
 * worker and never wait. A stop ends the wait (the request is then
 * refused as busy, as before). */
static void wait_for_a_worker(pcfmcp_stdio_t *t, const char *msg, size_t len)
{
    if (pcfmcp__engine_wait_room(t->engine, 0) || !pcfmcp__engine_needs_worker(t->engine, msg, len))
        return;
    while (!pcfmcp__engine_wait_room(t->engine, 50))
        if (stop_pending(t))
            return;
}

static void handle_line(pcfmcp_stdio_t *t, const char *line, size_t len)
{
    while (len && (line[len - 1] == '\r' || line[len - 1] == ' ' || line[len - 1] == '\t'))
        len--;
    size_t skip = 0;
    while (skip < len && (line[skip] == ' ' || line[skip] == '\t'))
        skip++;
    if (skip == len)
        return; /* blank lines are keep-alives at most */
    wait_for_a_worker(t, line + skip, len - skip);
    ticket *tk = pcfmcp__calloc(1, sizeof(*tk));
    if (!tk) {
        static const char oom[] = "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32603,"
                                  "\"message\":\"out of memory: the message was discarded\"}}";
        write_line(t, oom, sizeof(oom) - 1);
        return;
    }
    tk->t = t;
    atomic_init(&tk->refs, 2);
    atomic_init(&tk->done, false);
    /* Counted before dispatch so a worker finishing at once cannot drive the
     * count below zero. */
    pthread_mutex_lock(&t->lock);
    t->pending++;
    pthread_mutex_unlock(&t->lock);
    pcfmcp_handled_t h = PCFMCP_HANDLED_DONE;
    pcfmcp__engine_handle(t->engine, t->session, line + skip, len - skip, on_emit, tk, NULL, NULL,
                          &h, NULL);
    /* Not pending: everything was emitted already, a final message or none
     * (a notification); either way this message is done. */
    if (h != PCFMCP_HANDLED_PENDING)
        ticket_done(tk);
    ticket_unref(tk);
}

static void too_long(pcfmcp_stdio_t *t)
{
    char msg[200];
    int n = snprintf(msg, sizeof(msg),
                     "{\"jsonrpc\":\"2.0\",\"id\":null,\"error\":{\"code\":-32600,\"message\":"
                     "\"message larger than the %zu-byte limit; it was discarded\"}}",
                     t->max_line);
    PCFMCP_LOG(t->log, PCFMCP_LOG_WARN, "stdio", "discarded a message over %zu bytes", t->max_line);
    write_line(t, msg, (size_t)n);
}

/* Whether pcfmcp_stdio_stop() was called since the pipe was last emptied. */
static bool stop_requested(pcfmcp_stdio_t *t)
{
    char sink[64];
    bool any = false;
    while (read(t->stop_pipe[0], sink, sizeof(sink)) > 0)
        any = true;
    return any;
}

/* Waits for requests still on workers: the grace period first, then
 * cancellation and a bounded wait for the cancelled ones to notice. A stop
 * during the grace period (SIGTERM after the client closed stdin: the
 * spec's next step towards SIGKILL) cancels at once. */
static bool drain(pcfmcp_stdio_t *t)
{
    bool clean = true;
    uint64_t deadline = pcfmcp__now_ms() + t->grace_ms;
    pthread_mutex_lock(&t->lock);
    while (t->pending > 0) {
        uint64_t now = pcfmcp__now_ms();
        if (now >= deadline)
            break;
        /* Short slices: the stop pipe cannot wake a condition variable. */
        uint64_t slice = deadline - now < 50 ? deadline - now : 50;
        struct timespec dl;
        clock_gettime(CLOCK_MONOTONIC, &dl);
        dl.tv_nsec += (long)slice * 1000000L;
        if (dl.tv_nsec >= 1000000000L) {
            dl.tv_sec++;
            dl.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&t->idle, &t->lock, &dl);
        if (t->pending > 0) {
            pthread_mutex_unlock(&t->lock);
            bool stop = stop_requested(t);
            pthread_mutex_lock(&t->lock);
            if (stop)
                break;
        }
    }
    if (t->pending > 0) {
        clean = false;
        PCFMCP_LOG(t->log, PCFMCP_LOG_WARN, "stdio",
                   "%zu request(s) still running after the grace period: cancelling", t->pending);
        pthread_mutex_unlock(&t->lock);
        pcfmcp_session_cancel_all(t->session);
        pthread_mutex_lock(&t->lock);
        /* Handlers must return once cancelled; the engine then emits their
         * final (empty) message, which is what we wait for here. */
        while (t->pending > 0)
            pthread_cond_wait(&t->idle, &t->lock);
    }
    pthread_mutex_unlock(&t->lock);
    /* A request's final message goes out before the engine's after-hook
     * writes its audit record and ends its span: returning now could let
     * the host shut the audit trail and the tracer before either. The
     * engine lets go of a request (untracks it) once both are done. */
    while (pcfmcp_session_inflight(t->session) > 0) {
        struct timespec ms = { 0, 1000000L };
        nanosleep(&ms, NULL);
    }
    return clean;
}

/* Makes the line buffer hold @p need bytes (need <= max). Every copy into
 * it goes through here: the part of a line that ends in a later read is
 * copied too, not only the parts that do not end yet. */
static bool line_room(char **line, size_t *cap, size_t need, size_t max)
{
    if (need <= *cap)
        return true;
    size_t c = *cap ? *cap : READ_CHUNK;
    while (c < need)
        c *= 2;
    if (c > max)
        c = max;
    char *nl = pcfmcp__realloc(*line, c);
    if (!nl)
        return false;
    *line = nl;
    *cap = c;
    return true;
}

PCFMCP_API pcfmcp_error_t pcfmcp_stdio_run(pcfmcp_stdio_t *t)
{
    if (!t)
        return PCFMCP_ERR_INVALID_ARG;
    pcfmcp_error_t rc = pcfmcp_session_new(&t->session, t->engine, 0);
    if (rc != PCFMCP_OK)
        return rc;
    pcfmcp_session_set_notify(t->session, on_notify, t);
    if (t->identity)
        pcfmcp_session_set_identity(t->session, t->identity);
    pcfmcp_session_set_id(t->session, "stdio");

    char *buf = pcfmcp__malloc(READ_CHUNK);
    char *line = NULL;       /* a message spanning several reads */
    size_t line_len = 0, line_cap = 0;
    bool discarding = false; /* inside a line over the limit */
    if (!buf) {
        pcfmcp_session_free(t->session);
        t->session = NULL;
        return PCFMCP_ERR_NOMEM;
    }
    rc = PCFMCP_OK;
    bool stopped = false;
    for (;;) {
        struct pollfd p[2] = { { .fd = t->in_fd, .events = POLLIN },
                               { .fd = t->stop_pipe[0], .events = POLLIN } };
        int pr = poll(p, 2, -1);
        if (pr < 0) {
            if (errno == EINTR)
                continue;
            rc = PCFMCP_ERR_IO;
            break;
        }
        if (p[1].revents) {
            /* One stop is consumed here; another one, already queued or
             * still to come, cuts the grace period short. */
            char one;
            stopped = read(t->stop_pipe[0], &one, 1) == 1;
            break;
        }
        if (!(p[0].revents & (POLLIN | POLLHUP | POLLERR)))
            continue;
        ssize_t n = read(t->in_fd, buf, READ_CHUNK);
        if (n < 0) {
            if (errno == EINTR || errno == EAGAIN)
                continue;
            PCFMCP_LOG(t->log, PCFMCP_LOG_ERROR, "stdio", "reading input failed: %s", strerror(errno));
            rc = PCFMCP_ERR_IO;
            break;
        }
        if (n == 0)
            break; /* EOF: the client is done */
        size_t start = 0;
        for (size_t i = 0; i < (size_t)n; i++) {
            if (buf[i] != '\n')
                continue;
            size_t seg = i - start;
            if (discarding) {
                discarding = false;
            } else if (line_len) {
                if (line_len + seg > t->max_line) {
                    too_long(t);
                } else if (!line_room(&line, &line_cap, line_len + seg, t->max_line)) {
                    PCFMCP_LOG(t->log, PCFMCP_LOG_ERROR, "stdio",
                               "out of memory buffering a message: discarded");
                } else {
                    memcpy(line + line_len, buf + start, seg);
                    handle_line(t, line, line_len + seg);
                }
                line_len = 0;
            } else if (seg > t->max_line) {
                too_long(t);
            } else {
                handle_line(t, buf + start, seg);
            }
            start = i + 1;
        }
        size_t rest = (size_t)n - start;
        if (rest && !discarding) {
            if (line_len + rest > t->max_line) {
                /* Stop buffering now; report once the line ends. */
                too_long(t);
                discarding = true;
                line_len = 0;
            } else {
                if (!line_room(&line, &line_cap, line_len + rest, t->max_line)) {
                    PCFMCP_LOG(t->log, PCFMCP_LOG_ERROR, "stdio",
                               "out of memory buffering a message: discarded");
                    discarding = true;
                    line_len = 0;
                    continue;
                }
                memcpy(line + line_len, buf + start, rest);
                line_len += rest;
            }
        }
        pthread_mutex_lock(&t->out_lock);
        bool broken = t->out_broken;
        pthread_mutex_unlock(&t->out_lock);
        if (broken) {
            rc = PCFMCP_ERR_IO;
            break;
        }
    }
    /* A final message without a newline still counts. */
    if (rc == PCFMCP_OK && line_len && !discarding)
        handle_line(t, line, line_len);
    pcfmcp__free(line);
    pcfmcp__free(buf);
    /* Subscriptions are no work to wait for. Stopped, the server ends them
     * (their completion result, while the client still reads); at end of
     * input or a broken output nobody listens, so they just end. */
    pcfmcp__engine_end_listeners(t->engine, t->session, NULL, stopped);
    if (!drain(t) && rc == PCFMCP_OK)
        rc = PCFMCP_ERR_TIMEOUT;
    pcfmcp_session_free(t->session);
    t->session = NULL;
    /* Drop stop requests that arrived meanwhile so a rerun starts clean. */
    stop_requested(t);
    return rc;
}
