/* A fixed set of worker threads fed from a bounded FIFO queue. Submitting to
 * a full queue fails at once instead of blocking, so overload turns into a
 * clear "busy" answer rather than unbounded memory or latency. */
#ifndef PCFMCP_CORE_THREADPOOL_H
#define PCFMCP_CORE_THREADPOOL_H

#include <stdbool.h>
#include <stddef.h>

typedef struct pcfmcp__pool pcfmcp__pool;
typedef void (*pcfmcp__task_fn)(void *arg);

/* 0 on success. */
int pcfmcp__pool_new(pcfmcp__pool **out, unsigned threads, size_t queue_max);
/* PCFMCP_OK, PCFMCP_ERR_UNAVAILABLE (queue full or stopping), PCFMCP_ERR_NOMEM. */
int pcfmcp__pool_submit(pcfmcp__pool *p, pcfmcp__task_fn fn, void *arg);
/* Runs the queued tasks, then joins every worker and frees the pool. */
void pcfmcp__pool_free(pcfmcp__pool *p);
size_t pcfmcp__pool_queued(pcfmcp__pool *p);
/* Waits up to @p timeout_ms for room in the queue; true when there is room
 * (a submit now would be queued), false on timeout or when stopping. */
bool pcfmcp__pool_wait_room(pcfmcp__pool *p, unsigned timeout_ms);

#endif
