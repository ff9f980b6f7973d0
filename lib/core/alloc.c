#include "core/internal.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"

/* -1 = never fail. Atomic so the hook stays cheap and race-free on the hot path. */
static atomic_long fail_after = -1;
/* Counted only while the hook is armed: a shared counter bumped by every
 * allocation on every thread bounced its cache line between the workers
 * and cost a few per cent of a cached tools/call (bench/run.sh). */
static atomic_ulong alloc_total;
/* Bumped only when an allocation fails, so it costs nothing on success; it
 * lets a parser that cannot tell why it failed (cJSON) ask whether memory
 * ran out meanwhile. */
static atomic_ulong alloc_failures;
/* The same, for this thread only: what a tool call's own allocations did,
 * whatever other threads went through meanwhile. */
static _Thread_local unsigned long alloc_failures_here;

static void *counted(void *p)
{
    if (PCFMCP_UNLIKELY(!p)) {
        atomic_fetch_add_explicit(&alloc_failures, 1, memory_order_relaxed);
        alloc_failures_here++;
    }
    return p;
}

unsigned long pcfmcp__alloc_failures(void)
{
    return atomic_load_explicit(&alloc_failures, memory_order_relaxed);
}

unsigned long pcfmcp__alloc_failures_here(void)
{
    return alloc_failures_here;
}

/* -1 = off; n >= 0: the allocation n from now fails, and only that one. */
static atomic_long fail_one = -1;

static bool should_fail(void)
{
    long v = atomic_load_explicit(&fail_after, memory_order_relaxed);
    if (PCFMCP_LIKELY(v < 0 && atomic_load_explicit(&fail_one, memory_order_relaxed) < 0))
        return false;
    atomic_fetch_add_explicit(&alloc_total, 1, memory_order_relaxed);
    if (atomic_load_explicit(&fail_one, memory_order_relaxed) >= 0 &&
        atomic_fetch_sub_explicit(&fail_one, 1, memory_order_relaxed) == 0)
        return true;
    if (v < 0)
        return false;
    if (v == 0)
        return true;
    /* Decrement only while still positive; a concurrent decrement to 0 means fail. */
    while (v > 0) {
        if (atomic_compare_exchange_weak(&fail_after, &v, v - 1))
            return false;
    }
    return v == 0;
}

static atomic_ulong mark;

long pcfmcp__alloc_fail_after(long n)
{
    unsigned long now = atomic_load(&alloc_total);
    unsigned long prev = atomic_exchange(&mark, now);
    atomic_store(&fail_one, -1);
    atomic_store(&fail_after, n);
    return (long)(now - prev);
}

long pcfmcp__alloc_fail_nth(long n)
{
    unsigned long now = atomic_load(&alloc_total);
    unsigned long prev = atomic_exchange(&mark, now);
    atomic_store(&fail_after, -1);
    atomic_store(&fail_one, n);
    return (long)(now - prev);
}

unsigned long pcfmcp__alloc_count(void)
{
    return atomic_load(&alloc_total);
}

void *pcfmcp__malloc(size_t n)
{
    if (should_fail())
        return counted(NULL);
    return counted(malloc(n ? n : 1));
}

void *pcfmcp__calloc(size_t nmemb, size_t size)
{
    if (should_fail())
        return counted(NULL);
    return counted(calloc(nmemb ? nmemb : 1, size ? size : 1));
}

void *pcfmcp__realloc(void *p, size_t n)
{
    if (should_fail())
        return counted(NULL);
    return counted(realloc(p, n ? n : 1));
}

void pcfmcp__free(void *p)
{
    free(p);
}

char *pcfmcp__strndup(const char *s, size_t n)
{
    if (!s)
        return NULL;
    char *d = pcfmcp__malloc(n + 1);
    if (!d)
        return NULL;
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

char *pcfmcp__strdup(const char *s)
{
    return s ? pcfmcp__strndup(s, strlen(s)) : NULL;
}

void *pcfmcp__memdup(const void *p, size_t n)
{
    void *d = pcfmcp__malloc(n);
    if (d && n)
        memcpy(d, p, n);
    return d;
}

PCFMCP_API void pcfmcp_free(void *ptr)
{
    free(ptr);
}
