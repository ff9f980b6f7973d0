/* Every allocation in lib/ goes through these so that tests can make the
 * N-th allocation fail (the OOM sweep) and so cJSON shares the same hooks. */
#ifndef PCFMCP_CORE_ALLOC_H
#define PCFMCP_CORE_ALLOC_H

#include <stddef.h>

void *pcfmcp__malloc(size_t n);
void *pcfmcp__calloc(size_t nmemb, size_t size);
void *pcfmcp__realloc(void *p, size_t n);
void pcfmcp__free(void *p);
char *pcfmcp__strdup(const char *s);
char *pcfmcp__strndup(const char *s, size_t n);
void *pcfmcp__memdup(const void *p, size_t n);

/* Test hook: after @p n more successful allocations every further one fails
 * until called again with a negative @p n (the default, "never fail").
 * Returns how many allocations were attempted since the last call while the
 * hook was armed (none are counted while it is disarmed). */
long pcfmcp__alloc_fail_after(long n);
/* Test hook: the allocation @p n from now (0 = the next) fails and every
 * other one succeeds, the way memory runs out for a moment on a busy
 * machine; code that goes on after one failed step shows here. Disarmed by
 * pcfmcp__alloc_fail_after(-1); returns as that does. */
long pcfmcp__alloc_fail_nth(long n);
/* Allocations attempted while the hook was armed, since process start. */
unsigned long pcfmcp__alloc_count(void);
/* Allocations that failed (injected or real) since process start. Compare
 * two readings to learn whether memory ran out in between; another thread's
 * failure can show up too, which only matters when memory is short anyway. */
unsigned long pcfmcp__alloc_failures(void);
/* Allocations that failed on the calling thread since it started. A code
 * path that builds a tree with many unchecked steps (cJSON_Add*) reads it
 * before and after: a change means the tree may be missing members, and
 * the path fails as a whole instead of handing on a partial result. */
unsigned long pcfmcp__alloc_failures_here(void);

#endif
