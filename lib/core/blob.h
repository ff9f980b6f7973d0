/* A shared, immutable byte string with a reference count: an answer many
 * requests send as it is (a list page) or one a transport sends without
 * copying it into a message of its own. A transport may derive one form
 * from the bytes (its compressed variant): made once, by the first request
 * that needs it, and freed with the blob, so a new version of the bytes (a
 * new blob) starts without it. */
#ifndef PCFMCP_CORE_BLOB_H
#define PCFMCP_CORE_BLOB_H

#include <stddef.h>

#include "core/internal.h"

typedef struct pcfmcp__blob pcfmcp__blob;

/* A blob of @p len bytes of @p data, which it takes (pcfmcp__malloc'd;
 * freed on failure too). NULL when memory runs out. */
pcfmcp__blob *pcfmcp__blob_take(char *data, size_t len);
pcfmcp__blob *pcfmcp__blob_ref(pcfmcp__blob *b);
/* NULL is ignored. */
void pcfmcp__blob_unref(pcfmcp__blob *b);
const char *pcfmcp__blob_data(const pcfmcp__blob *b);
size_t pcfmcp__blob_len(const pcfmcp__blob *b);
/* The form derived from the bytes with @p make (freed with @p free_fn along
 * with the blob), made on the first call and returned as it is after that;
 * concurrent first calls wait for the one that makes it. NULL when @p make
 * failed (the next call tries again). One kind of derived form per blob. */
void *pcfmcp__blob_derive(pcfmcp__blob *b, void *(*make)(const char *data, size_t len),
                          void (*free_fn)(void *));

#endif
