#include "helpers/collector.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pcfmcp/engine.h>

void collector_init(collector *c)
{
    memset(c, 0, sizeof(*c));
    pthread_mutex_init(&c->lock, NULL);
    pthread_condattr_t a;
    pthread_condattr_init(&a);
    pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
    pthread_cond_init(&c->cond, &a);
    pthread_condattr_destroy(&a);
}

void collector_reset(collector *c)
{
    pthread_mutex_lock(&c->lock);
    for (size_t i = 0; i < c->n; i++)
        free(c->msgs[i]);
    c->n = 0;
    c->finals = 0;
    pthread_mutex_unlock(&c->lock);
}

void collector_free(collector *c)
{
    collector_reset(c);
    free(c->msgs);
    free(c->flags);
    pthread_mutex_destroy(&c->lock);
    pthread_cond_destroy(&c->cond);
}

void collector_emit(const char *json, size_t len, unsigned flags, void *ud)
{
    collector *c = ud;
    pthread_mutex_lock(&c->lock);
    if (c->n == c->cap) {
        c->cap = c->cap ? c->cap * 2 : 16;
        c->msgs = realloc(c->msgs, c->cap * sizeof(*c->msgs));
        c->flags = realloc(c->flags, c->cap * sizeof(*c->flags));
    }
    c->msgs[c->n] = json ? strndup(json, len) : NULL;
    c->flags[c->n] = flags;
    c->n++;
    if (flags & PCFMCP_EMIT_FINAL)
        c->finals++;
    pthread_cond_broadcast(&c->cond);
    pthread_mutex_unlock(&c->lock);
}

static bool wait_until(collector *c, size_t *field, size_t want)
{
    struct timespec dl;
    clock_gettime(CLOCK_MONOTONIC, &dl);
    dl.tv_sec += 5;
    pthread_mutex_lock(&c->lock);
    while (*field < want)
        if (pthread_cond_timedwait(&c->cond, &c->lock, &dl) == ETIMEDOUT)
            break;
    bool ok = *field >= want;
    pthread_mutex_unlock(&c->lock);
    return ok;
}

bool collector_wait_finals(collector *c, size_t finals)
{
    return wait_until(c, &c->finals, finals);
}

bool collector_wait_count(collector *c, size_t n)
{
    return wait_until(c, &c->n, n);
}

size_t collector_count(collector *c)
{
    pthread_mutex_lock(&c->lock);
    size_t n = c->n;
    pthread_mutex_unlock(&c->lock);
    return n;
}

cJSON *collector_json(collector *c, size_t i)
{
    pthread_mutex_lock(&c->lock);
    cJSON *j = i < c->n && c->msgs[i] ? cJSON_Parse(c->msgs[i]) : NULL;
    pthread_mutex_unlock(&c->lock);
    return j;
}

cJSON *collector_last(collector *c)
{
    cJSON *j = NULL;
    pthread_mutex_lock(&c->lock);
    for (size_t i = c->n; i-- > 0;)
        if (c->flags[i] & PCFMCP_EMIT_FINAL) {
            j = c->msgs[i] ? cJSON_Parse(c->msgs[i]) : NULL;
            break;
        }
    pthread_mutex_unlock(&c->lock);
    return j;
}
