/* Readiness of the server's PCF connection: a thread of its own checks PCF
 * every server.readiness_ttl while the server serves, whoever asks, so
 * /readyz and the pcf_mcp_pcf_up metric only read the last answer.
 *
 * Checking only when /readyz was polled (the earlier design) made the
 * answer depend on the poller's period: a load balancer polling less often
 * than twice the TTL always found the last check overdue and saw "not
 * ready" with PCF healthy. */
#include "core/internal.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/log.h"
#include "core/util.h"
#include "pcf/client.h"
#include "server/readiness.h"

struct pcfmcp__readiness {
    pcfmcp_pcf_t *pcf;
    pcfmcp_logger_t *log;
    uint64_t ttl_ms;
    uint64_t budget_ms; /* longest a check may take (pcf.total_timeout) */
    pthread_mutex_t lock;
    pthread_cond_t wake;
    bool running;       /* the thread exists */
    bool stopping;
    volatile int cancel; /* written atomically: ends a check in flight */
    pthread_t thread;
    bool ok;
    bool checked;
    uint64_t checked_at_ms;   /* monotonic */
    uint64_t checked_at_wall; /* Unix ms, for the metric */
    uint64_t checks;
    char reason[256];
};

pcfmcp_error_t pcfmcp__readiness_new(pcfmcp__readiness **out, pcfmcp_pcf_t *pcf,
                                     pcfmcp_logger_t *log, uint64_t ttl_ms, uint64_t budget_ms)
{
    pcfmcp__readiness *r = pcfmcp__calloc(1, sizeof(*r));
    if (!r)
        return PCFMCP_ERR_NOMEM;
    r->pcf = pcf;
    r->log = pcfmcp_logger_ref(log);
    r->ttl_ms = ttl_ms ? ttl_ms : 1;
    r->budget_ms = budget_ms;
    pthread_mutex_init(&r->lock, NULL);
    pcfmcp__cond_init_monotonic(&r->wake);
    snprintf(r->reason, sizeof(r->reason), "PCF not checked yet");
    *out = r;
    return PCFMCP_OK;
}

void pcfmcp__readiness_free(pcfmcp__readiness *r)
{
    if (!r)
        return;
    pcfmcp__readiness_stop(r);
    pthread_mutex_destroy(&r->lock);
    pthread_cond_destroy(&r->wake);
    pcfmcp_logger_unref(r->log);
    pcfmcp__free(r);
}

/* One check_token round trip; records the outcome. */
static void probe(pcfmcp__readiness *r)
{
    pcfmcp__pcf_callctx cx = { .cancelled = &r->cancel };
    pcfmcp_pcf_result_t *res = NULL;
    cJSON *args = cJSON_CreateObject();
    pcfmcp_error_t rc = args ? pcfmcp__pcf_call(r->pcf, &cx, PCFMCP__PCF_OP_CHECK, args, &res)
                             : PCFMCP_ERR_NOMEM;
    cJSON_Delete(args);
    char why[256] = "";
    if (rc != PCFMCP_OK)
        snprintf(why, sizeof(why), "PCF: %s",
                 res ? pcfmcp_pcf_result_message(res) : pcfmcp_strerror(rc));
    pcfmcp_pcf_result_free(res);
    if (rc == PCFMCP_ERR_CANCELLED)
        return; /* stopping: no verdict */
    pthread_mutex_lock(&r->lock);
    bool was = r->ok, first = !r->checked;
    r->ok = rc == PCFMCP_OK;
    r->checked = true;
    r->checked_at_ms = pcfmcp__now_ms();
    r->checked_at_wall = pcfmcp__wall_ms();
    r->checks++;
    snprintf(r->reason, sizeof(r->reason), "%s", why);
    pthread_mutex_unlock(&r->lock);
    /* Say it once per change, not on every check. */
    if (first || was != (rc == PCFMCP_OK)) {
        if (rc == PCFMCP_OK)
            PCFMCP_LOG(r->log, PCFMCP_LOG_INFO, "server", "ready: PCF accepts the credential");
        else
            PCFMCP_LOG(r->log, PCFMCP_LOG_WARN, "server", "not ready: %s", why);
    }
}

static void *loop(void *arg)
{
    pcfmcp__readiness *r = arg;
    pthread_mutex_lock(&r->lock);
    while (!r->stopping) {
        pthread_mutex_unlock(&r->lock);
        probe(r);
        pthread_mutex_lock(&r->lock);
        struct timespec until = pcfmcp__monotonic_after(r->ttl_ms);
        while (!r->stopping &&
               pthread_cond_timedwait(&r->wake, &r->lock, &until) != ETIMEDOUT) {
        }
    }
    pthread_mutex_unlock(&r->lock);
    return NULL;
}

pcfmcp_error_t pcfmcp__readiness_start(pcfmcp__readiness *r)
{
    if (!r || !r->pcf)
        return PCFMCP_OK; /* nothing to check: never ready, and check() says why */
    pthread_mutex_lock(&r->lock);
    pcfmcp_error_t rc = PCFMCP_OK;
    if (!r->running) {
        r->stopping = false;
        __atomic_store_n(&r->cancel, 0, __ATOMIC_RELAXED);
        /* The thread must not take process signals meant for the main loop. */
        sigset_t all, old;
        sigfillset(&all);
        pthread_sigmask(SIG_BLOCK, &all, &old);
        if (pthread_create(&r->thread, NULL, loop, r) == 0)
            r->running = true;
        else
            rc = PCFMCP_ERR_NOMEM;
        pthread_sigmask(SIG_SETMASK, &old, NULL);
    }
    pthread_mutex_unlock(&r->lock);
    return rc;
}

void pcfmcp__readiness_stop(pcfmcp__readiness *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->lock);
    bool join = r->running;
    r->running = false;
    r->stopping = true;
    __atomic_store_n(&r->cancel, 1, __ATOMIC_RELAXED);
    pthread_cond_broadcast(&r->wake);
    pthread_mutex_unlock(&r->lock);
    if (join)
        pthread_join(r->thread, NULL);
}

/* Whether the last answer still stands. Caller holds the lock. A check
 * runs every TTL and takes at most the PCF budget; one older than both
 * (twice over) means the checks themselves are stuck. */
static bool current(const pcfmcp__readiness *r, uint64_t now)
{
    return r->checked && r->ok && now - r->checked_at_ms < 2 * (r->ttl_ms + r->budget_ms);
}

int pcfmcp__readiness_check(pcfmcp__readiness *r, char *why, size_t why_len)
{
    if (!r->pcf) {
        snprintf(why, why_len, "pcf.url is not set");
        return 0;
    }
    pthread_mutex_lock(&r->lock);
    int ok = current(r, pcfmcp__now_ms());
    if (!ok)
        snprintf(why, why_len, "%s", r->checked && r->ok ? "PCF check is overdue" : r->reason);
    pthread_mutex_unlock(&r->lock);
    return ok;
}

void pcfmcp__readiness_status(pcfmcp__readiness *r, int *up, uint64_t *checked_at_wall_ms,
                              uint64_t *checks)
{
    pthread_mutex_lock(&r->lock);
    *up = current(r, pcfmcp__now_ms());
    *checked_at_wall_ms = r->checked ? r->checked_at_wall : 0;
    if (checks)
        *checks = r->checks;
    pthread_mutex_unlock(&r->lock);
}
