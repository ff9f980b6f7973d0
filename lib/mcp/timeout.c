/* The tool-timeout watchdog: one thread per engine that sleeps until the
 * earliest armed deadline and cancels the tool calls that passed it. The
 * worker running a call arms it before the handler and disarms it after,
 * so a listed context is always alive. Lock order: watchdog, then session. */
#include "core/internal.h"

#include <errno.h>
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/log.h"
#include "core/util.h"
#include "mcp/engine_internal.h"

struct pcfmcp__watchdog {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    pcfmcp_ctx_t *head;
    bool stop;
    pthread_t thread;
};

static void expire(pcfmcp_engine_t *e, pcfmcp_ctx_t *c)
{
    /* A call the client already cancelled stays cancelled (no response). */
    if (!pcfmcp__ctx_cancelled(c))
        c->timed_out = true;
    pcfmcp__ctx_cancel(c);
    pcfmcp_session_t *s = c->session;
    pthread_mutex_lock(&s->lock);
    for (pcfmcp__pending *p = s->pending; p; p = p->next)
        pthread_cond_broadcast(&p->cond);
    pthread_mutex_unlock(&s->lock);
    if (c->timed_out)
        PCFMCP_LOG(e->log, PCFMCP_LOG_WARN, "mcp",
                   "tool %s ran past the tool timeout; cancelling it", c->name ? c->name : "?");
}

static void *run(void *arg)
{
    pcfmcp_engine_t *e = arg;
    struct pcfmcp__watchdog *w = e->wd;
    pthread_mutex_lock(&w->lock);
    while (!w->stop) {
        uint64_t now = pcfmcp__now_ms();
        uint64_t next = 0;
        for (pcfmcp_ctx_t *c = w->head, *n; c; c = n) {
            n = c->wd_next;
            if (c->deadline_ms <= now) {
                /* Unlist it: it has fired; remove() sees wd_listed false. */
                if (c->wd_prev)
                    c->wd_prev->wd_next = c->wd_next;
                else
                    w->head = c->wd_next;
                if (c->wd_next)
                    c->wd_next->wd_prev = c->wd_prev;
                c->wd_prev = c->wd_next = NULL;
                c->wd_listed = false;
                expire(e, c);
            } else if (!next || c->deadline_ms < next) {
                next = c->deadline_ms;
            }
        }
        if (!next) {
            pthread_cond_wait(&w->cond, &w->lock);
            continue;
        }
        struct timespec ts;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        uint64_t wait = next - now;
        ts.tv_sec += (time_t)(wait / 1000);
        ts.tv_nsec += (long)(wait % 1000) * 1000000L;
        if (ts.tv_nsec >= 1000000000L) {
            ts.tv_sec++;
            ts.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&w->cond, &w->lock, &ts);
    }
    pthread_mutex_unlock(&w->lock);
    return NULL;
}

static struct pcfmcp__watchdog *get_watchdog(pcfmcp_engine_t *e)
{
    pthread_mutex_lock(&e->wd_init_lock);
    if (!e->wd) {
        struct pcfmcp__watchdog *w = pcfmcp__calloc(1, sizeof(*w));
        if (w) {
            pthread_mutex_init(&w->lock, NULL);
            pthread_condattr_t ca;
            pthread_condattr_init(&ca);
            pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
            pthread_cond_init(&w->cond, &ca);
            pthread_condattr_destroy(&ca);
            e->wd = w;
            if (pthread_create(&w->thread, NULL, run, e) != 0) {
                e->wd = NULL;
                pthread_mutex_destroy(&w->lock);
                pthread_cond_destroy(&w->cond);
                pcfmcp__free(w);
            }
        }
    }
    struct pcfmcp__watchdog *w = e->wd;
    pthread_mutex_unlock(&e->wd_init_lock);
    return w;
}

void pcfmcp__watchdog_add(pcfmcp_engine_t *e, pcfmcp_ctx_t *ctx)
{
    unsigned ms = atomic_load(&e->tool_timeout_ms);
    if (!ms)
        return;
    struct pcfmcp__watchdog *w = get_watchdog(e);
    if (!w) {
        PCFMCP_LOG(e->log, PCFMCP_LOG_ERROR, "mcp",
                   "cannot start the tool-timeout watchdog: tool %s runs without a time limit",
                   ctx->name ? ctx->name : "?");
        return;
    }
    pthread_mutex_lock(&w->lock);
    ctx->deadline_ms = pcfmcp__now_ms() + ms;
    ctx->timed_out = false;
    ctx->wd_prev = NULL;
    ctx->wd_next = w->head;
    if (w->head)
        w->head->wd_prev = ctx;
    w->head = ctx;
    ctx->wd_listed = true;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
}

bool pcfmcp__watchdog_remove(pcfmcp_engine_t *e, pcfmcp_ctx_t *ctx)
{
    pthread_mutex_lock(&e->wd_init_lock);
    struct pcfmcp__watchdog *w = e->wd;
    pthread_mutex_unlock(&e->wd_init_lock);
    if (!w)
        return false;
    pthread_mutex_lock(&w->lock);
    if (ctx->wd_listed) {
        if (ctx->wd_prev)
            ctx->wd_prev->wd_next = ctx->wd_next;
        else
            w->head = ctx->wd_next;
        if (ctx->wd_next)
            ctx->wd_next->wd_prev = ctx->wd_prev;
        ctx->wd_prev = ctx->wd_next = NULL;
        ctx->wd_listed = false;
    }
    bool fired = ctx->timed_out;
    pthread_mutex_unlock(&w->lock);
    return fired;
}

void pcfmcp__watchdog_free(pcfmcp_engine_t *e)
{
    struct pcfmcp__watchdog *w = e->wd;
    if (!w)
        return;
    pthread_mutex_lock(&w->lock);
    w->stop = true;
    pthread_cond_signal(&w->cond);
    pthread_mutex_unlock(&w->lock);
    pthread_join(w->thread, NULL);
    pthread_mutex_destroy(&w->lock);
    pthread_cond_destroy(&w->cond);
    pcfmcp__free(w);
    e->wd = NULL;
}

PCFMCP_API pcfmcp_error_t pcfmcp_engine_set_tool_timeout(pcfmcp_engine_t *e, unsigned timeout_ms)
{
    if (!e)
        return PCFMCP_ERR_INVALID_ARG;
    atomic_store(&e->tool_timeout_ms, timeout_ms);
    return PCFMCP_OK;
}
