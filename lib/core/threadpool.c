#include "core/internal.h"

#include <pthread.h>
#include <signal.h>
#include <time.h>

#include "core/alloc.h"
#include "core/threadpool.h"
#include "core/util.h"

typedef struct task {
    pcfmcp__task_fn fn;
    void *arg;
    struct task *next;
} task;

struct pcfmcp__pool {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    pthread_cond_t room; /* a queued task was taken */
    task *head, *tail;
    size_t queued, queue_max;
    bool stopping;
    unsigned nthreads;
    pthread_t *threads;
};

static void *worker(void *arg)
{
    pcfmcp__pool *p = arg;
    pthread_mutex_lock(&p->lock);
    for (;;) {
        while (!p->head && !p->stopping)
            pthread_cond_wait(&p->cond, &p->lock);
        task *t = p->head;
        if (!t)
            break; /* stopping and drained */
        p->head = t->next;
        if (!p->head)
            p->tail = NULL;
        p->queued--;
        pthread_cond_broadcast(&p->room);
        pthread_mutex_unlock(&p->lock);
        t->fn(t->arg);
        pcfmcp__free(t);
        pthread_mutex_lock(&p->lock);
    }
    pthread_mutex_unlock(&p->lock);
    return NULL;
}

int pcfmcp__pool_new(pcfmcp__pool **out, unsigned threads, size_t queue_max)
{
    if (!threads)
        return PCFMCP_ERR_INVALID_ARG;
    pcfmcp__pool *p = pcfmcp__calloc(1, sizeof(*p));
    if (!p)
        return PCFMCP_ERR_NOMEM;
    p->threads = pcfmcp__calloc(threads, sizeof(pthread_t));
    if (!p->threads) {
        pcfmcp__free(p);
        return PCFMCP_ERR_NOMEM;
    }
    pthread_mutex_init(&p->lock, NULL);
    pthread_cond_init(&p->cond, NULL);
    pcfmcp__cond_init_monotonic(&p->room);
    p->queue_max = queue_max ? queue_max : 1;
    /* Workers must not take process signals meant for the main loop. */
    sigset_t all, old;
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    for (unsigned i = 0; i < threads; i++) {
        if (pthread_create(&p->threads[i], NULL, worker, p) != 0)
            break;
        p->nthreads++;
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (p->nthreads != threads) {
        pcfmcp__pool_free(p);
        return PCFMCP_ERR_NOMEM;
    }
    *out = p;
    return PCFMCP_OK;
}

int pcfmcp__pool_submit(pcfmcp__pool *p, pcfmcp__task_fn fn, void *arg)
{
    task *t = pcfmcp__malloc(sizeof(*t));
    if (!t)
        return PCFMCP_ERR_NOMEM;
    t->fn = fn;
    t->arg = arg;
    t->next = NULL;
    pthread_mutex_lock(&p->lock);
    if (p->stopping || p->queued >= p->queue_max) {
        pthread_mutex_unlock(&p->lock);
        pcfmcp__free(t);
        return PCFMCP_ERR_UNAVAILABLE;
    }
    if (p->tail)
        p->tail->next = t;
    else
        p->head = t;
    p->tail = t;
    p->queued++;
    pthread_cond_signal(&p->cond);
    pthread_mutex_unlock(&p->lock);
    return PCFMCP_OK;
}

bool pcfmcp__pool_wait_room(pcfmcp__pool *p, unsigned timeout_ms)
{
    struct timespec until = pcfmcp__monotonic_after(timeout_ms);
    pthread_mutex_lock(&p->lock);
    while (p->queued >= p->queue_max && !p->stopping &&
           pthread_cond_timedwait(&p->room, &p->lock, &until) == 0) {
    }
    bool room = p->queued < p->queue_max && !p->stopping;
    pthread_mutex_unlock(&p->lock);
    return room;
}

size_t pcfmcp__pool_queued(pcfmcp__pool *p)
{
    pthread_mutex_lock(&p->lock);
    size_t n = p->queued;
    pthread_mutex_unlock(&p->lock);
    return n;
}

void pcfmcp__pool_free(pcfmcp__pool *p)
{
    if (!p)
        return;
    pthread_mutex_lock(&p->lock);
    p->stopping = true;
    pthread_cond_broadcast(&p->cond);
    pthread_cond_broadcast(&p->room);
    pthread_mutex_unlock(&p->lock);
    for (unsigned i = 0; i < p->nthreads; i++)
        pthread_join(p->threads[i], NULL);
    pthread_mutex_destroy(&p->lock);
    pthread_cond_destroy(&p->cond);
    pthread_cond_destroy(&p->room);
    pcfmcp__free(p->threads);
    pcfmcp__free(p);
}
