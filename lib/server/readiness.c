#include "core/internal.h"

#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/log.h"
#include "core/util.h"
#include "server/readiness.h"

struct pcfmcp__readiness {
    pcfmcp_pcf_t *pcf;
    pcfmcp_logger_t *log;
    uint64_t ttl_ms;
    pthread_mutex_t lock;
    bool probing;
    bool have_thread;
    pthread_t thread;
    bool ok;
    bool checked;
    uint64_t checked_at_ms;
    char reason[256];
};

pcfmcp_error_t pcfmcp__readiness_new(pcfmcp__readiness **out, pcfmcp_pcf_t *pcf,
                                     pcfmcp_logger_t *log, uint64_t ttl_ms)
{
    pcfmcp__readiness *r = pcfmcp__calloc(1, sizeof(*r));
    if (!r)
        return PCFMCP_ERR_NOMEM;
    r->pcf = pcf;
    r->log = pcfmcp_logger_ref(log);
    r->ttl_ms = ttl_ms ? ttl_ms : 1;
    pthread_mutex_init(&r->lock, NULL);
    snprintf(r->reason, sizeof(r->reason), "PCF not checked yet");
    *out = r;
    return PCFMCP_OK;
}

void pcfmcp__readiness_free(pcfmcp__readiness *r)
{
    if (!r)
        return;
    pthread_mutex_lock(&r->lock);
    bool join = r->have_thread;
    r->have_thread = false;
    pthread_mutex_unlock(&r->lock);
    if (join)
        pthread_join(r->thread, NULL);
    pthread_mutex_destroy(&r->lock);
    pcfmcp_logger_unref(r->log);
    pcfmcp__free(r);
}

static void *probe(void *arg)
{
    pcfmcp__readiness *r = arg;
    pcfmcp_pcf_result_t *res = NULL;
    pcfmcp_error_t rc = pcfmcp_pcf_check(r->pcf, &res);
    char why[256] = "";
    if (rc != PCFMCP_OK)
        snprintf(why, sizeof(why), "PCF: %s",
                 res ? pcfmcp_pcf_result_message(res) : pcfmcp_strerror(rc));
    pcfmcp_pcf_result_free(res);
    pthread_mutex_lock(&r->lock);
    bool was = r->ok, first = !r->checked;
    r->ok = rc == PCFMCP_OK;
    r->checked = true;
    r->checked_at_ms = pcfmcp__now_ms();
    snprintf(r->reason, sizeof(r->reason), "%s", why);
    r->probing = false;
    pthread_mutex_unlock(&r->lock);
    /* Say it once per change, not on every probe. */
    if (first || was != (rc == PCFMCP_OK)) {
        if (rc == PCFMCP_OK)
            PCFMCP_LOG(r->log, PCFMCP_LOG_INFO, "server", "ready: PCF accepts the credential");
        else
            PCFMCP_LOG(r->log, PCFMCP_LOG_WARN, "server", "not ready: %s", why);
    }
    return NULL;
}

int pcfmcp__readiness_check(pcfmcp__readiness *r, char *why, size_t why_len)
{
    if (!r->pcf) {
        snprintf(why, why_len, "pcf.url is not set");
        return 0;
    }
    pthread_mutex_lock(&r->lock);
    uint64_t now = pcfmcp__now_ms();
    bool stale = !r->checked || now - r->checked_at_ms >= r->ttl_ms;
    if (stale && !r->probing) {
        /* The previous probe thread has finished (probing is false): reap it
         * before starting the next. */
        if (r->have_thread) {
            pthread_join(r->thread, NULL);
            r->have_thread = false;
        }
        r->probing = true;
        if (pthread_create(&r->thread, NULL, probe, r) == 0)
            r->have_thread = true;
        else
            r->probing = false;
    }
    int ok = r->checked && r->ok && now - r->checked_at_ms < 2 * r->ttl_ms;
    if (!ok)
        snprintf(why, why_len, "%s", r->checked && r->ok ? "PCF check is overdue" : r->reason);
    pthread_mutex_unlock(&r->lock);
    return ok;
}
