#include "core/internal.h"

#include <pthread.h>
#include <stdatomic.h>

#include "core/alloc.h"
#include "core/blob.h"

struct pcfmcp__blob {
    atomic_int refs;
    char *data;
    size_t len;
    _Atomic(void *) derived;
    void (*derived_free)(void *); /* written under lock, before derived is published */
    pthread_mutex_t lock;         /* serialises the making of `derived` */
};

pcfmcp__blob *pcfmcp__blob_take(char *data, size_t len)
{
    pcfmcp__blob *b = data ? pcfmcp__calloc(1, sizeof(*b)) : NULL;
    if (!b) {
        pcfmcp__free(data);
        return NULL;
    }
    atomic_init(&b->refs, 1);
    atomic_init(&b->derived, NULL);
    pthread_mutex_init(&b->lock, NULL);
    b->data = data;
    b->len = len;
    return b;
}

pcfmcp__blob *pcfmcp__blob_ref(pcfmcp__blob *b)
{
    if (b)
        atomic_fetch_add_explicit(&b->refs, 1, memory_order_relaxed);
    return b;
}

void pcfmcp__blob_unref(pcfmcp__blob *b)
{
    if (!b || atomic_fetch_sub_explicit(&b->refs, 1, memory_order_acq_rel) != 1)
        return;
    void *d = atomic_load_explicit(&b->derived, memory_order_acquire);
    if (d && b->derived_free)
        b->derived_free(d);
    pthread_mutex_destroy(&b->lock);
    pcfmcp__free(b->data);
    pcfmcp__free(b);
}

const char *pcfmcp__blob_data(const pcfmcp__blob *b)
{
    return b->data;
}

size_t pcfmcp__blob_len(const pcfmcp__blob *b)
{
    return b->len;
}

void *pcfmcp__blob_derive(pcfmcp__blob *b, void *(*make)(const char *data, size_t len),
                          void (*free_fn)(void *))
{
    /* Made already: one atomic load, no lock. */
    void *d = atomic_load_explicit(&b->derived, memory_order_acquire);
    if (d)
        return d;
    pthread_mutex_lock(&b->lock);
    d = atomic_load_explicit(&b->derived, memory_order_relaxed);
    if (!d && (d = make(b->data, b->len)) != NULL) {
        b->derived_free = free_fn;
        atomic_store_explicit(&b->derived, d, memory_order_release);
    }
    pthread_mutex_unlock(&b->lock);
    return d;
}
