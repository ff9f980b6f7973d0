/* A growable byte buffer with a sticky out-of-memory flag: callers append
 * freely and check pcfmcp__buf_ok() once at the end. */
#ifndef PCFMCP_CORE_BUF_H
#define PCFMCP_CORE_BUF_H

#include <stdbool.h>
#include <stddef.h>

#include "core/internal.h"

typedef struct {
    char *data; /* always NUL-terminated when len > 0 or after any append */
    size_t len;
    size_t cap;
    size_t limit; /* 0 = unlimited; appending past it sets oom and keeps data */
    bool failed;
} pcfmcp__buf;

void pcfmcp__buf_init(pcfmcp__buf *b);
void pcfmcp__buf_free(pcfmcp__buf *b);
void pcfmcp__buf_reset(pcfmcp__buf *b);
bool pcfmcp__buf_reserve(pcfmcp__buf *b, size_t extra);
void pcfmcp__buf_append_slow(pcfmcp__buf *b, const void *p, size_t n);
void pcfmcp__buf_puts(pcfmcp__buf *b, const char *s);

/* Appends in place when there is room (the common case, inline), through
 * pcfmcp__buf_reserve() otherwise. */
static inline void pcfmcp__buf_append(pcfmcp__buf *b, const void *p, size_t n)
{
    if (b->data && !b->failed && n < b->cap - b->len && !b->limit) {
        if (n)
            __builtin_memcpy(b->data + b->len, p, n);
        b->len += n;
        b->data[b->len] = '\0';
        return;
    }
    pcfmcp__buf_append_slow(b, p, n);
}

static inline void pcfmcp__buf_putc(pcfmcp__buf *b, char c)
{
    if (b->data && !b->failed && b->len + 1 < b->cap && !b->limit) {
        b->data[b->len++] = c;
        b->data[b->len] = '\0';
        return;
    }
    pcfmcp__buf_append_slow(b, &c, 1);
}
void pcfmcp__buf_printf(pcfmcp__buf *b, const char *fmt, ...) PCFMCP_PRINTF(2, 3);
/* Appends @p s as a quoted JSON string with every control character escaped. */
void pcfmcp__buf_json_string(pcfmcp__buf *b, const char *s, size_t n);
static inline bool pcfmcp__buf_ok(const pcfmcp__buf *b) { return !b->failed; }
/* Hands the bytes to the caller (free with pcfmcp__free); the buffer is reset.
 * Returns NULL if an append failed. */
char *pcfmcp__buf_steal(pcfmcp__buf *b, size_t *len);

#endif
