#include "core/internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"

void pcfmcp__buf_init(pcfmcp__buf *b)
{
    memset(b, 0, sizeof(*b));
}

void pcfmcp__buf_free(pcfmcp__buf *b)
{
    pcfmcp__free(b->data);
    memset(b, 0, sizeof(*b));
}

void pcfmcp__buf_reset(pcfmcp__buf *b)
{
    b->len = 0;
    b->failed = false;
    if (b->data)
        b->data[0] = '\0';
}

bool pcfmcp__buf_reserve(pcfmcp__buf *b, size_t extra)
{
    if (b->failed)
        return false;
    if (extra > SIZE_MAX - b->len - 1 || (b->limit && b->len + extra > b->limit)) {
        b->failed = true;
        return false;
    }
    size_t need = b->len + extra + 1;
    /* Capacity counts only once there is storage: a buffer that never
     * allocated gets its first block here, even for extra == 0. */
    if (b->data && need <= b->cap)
        return true;
    size_t cap = b->cap ? b->cap : 64;
    while (cap < need)
        cap = cap > SIZE_MAX / 2 ? need : cap * 2;
    char *p = pcfmcp__realloc(b->data, cap);
    if (!p) {
        b->failed = true;
        return false;
    }
    b->data = p;
    b->cap = cap;
    return true;
}

void pcfmcp__buf_append_slow(pcfmcp__buf *b, const void *p, size_t n)
{
    if (!pcfmcp__buf_reserve(b, n))
        return;
    if (n)
        memcpy(b->data + b->len, p, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void pcfmcp__buf_puts(pcfmcp__buf *b, const char *s)
{
    pcfmcp__buf_append(b, s, strlen(s));
}


void pcfmcp__buf_printf(pcfmcp__buf *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    char small[256];
    int n = vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->failed = true;
        return;
    }
    if ((size_t)n < sizeof(small)) {
        pcfmcp__buf_append(b, small, (size_t)n);
        return;
    }
    if (!pcfmcp__buf_reserve(b, (size_t)n))
        return;
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

/* Which bytes JSON needs escaped: 0 none, else the character after the
 * backslash ('u' for \u00XX). */
static const char json_escape[256] = {
    ['\0'] = 'u', [1] = 'u', [2] = 'u', [3] = 'u', [4] = 'u', [5] = 'u', [6] = 'u', [7] = 'u',
    ['\b'] = 'b', ['\t'] = 't', ['\n'] = 'n', [11] = 'u', ['\f'] = 'f', ['\r'] = 'r',
    [14] = 'u', [15] = 'u', [16] = 'u', [17] = 'u', [18] = 'u', [19] = 'u', [20] = 'u',
    [21] = 'u', [22] = 'u', [23] = 'u', [24] = 'u', [25] = 'u', [26] = 'u', [27] = 'u',
    [28] = 'u', [29] = 'u', [30] = 'u', [31] = 'u', ['"'] = '"', ['\\'] = '\\',
};

void pcfmcp__buf_json_string(pcfmcp__buf *b, const char *s, size_t n)
{
    static const char hex[] = "0123456789abcdef";
    /* Room for the common case up front: no escapes, one copy. */
    if (!pcfmcp__buf_reserve(b, n + 2))
        return;
    b->data[b->len++] = '"';
    const unsigned char *p = (const unsigned char *)s, *end = p + n;
    while (p < end) {
        const unsigned char *run = p;
        while (p < end && !json_escape[*p])
            p++;
        pcfmcp__buf_append(b, run, (size_t)(p - run));
        if (p == end)
            break;
        char e = json_escape[*p];
        if (e == 'u') {
            char u[6] = { '\\', 'u', '0', '0', hex[*p >> 4], hex[*p & 15] };
            pcfmcp__buf_append(b, u, 6);
        } else {
            char two[2] = { '\\', e };
            pcfmcp__buf_append(b, two, 2);
        }
        p++;
    }
    pcfmcp__buf_putc(b, '"');
}

char *pcfmcp__buf_steal(pcfmcp__buf *b, size_t *len)
{
    if (b->failed) {
        pcfmcp__buf_free(b);
        return NULL;
    }
    if (!b->data) {
        if (!pcfmcp__buf_reserve(b, 0))
            return NULL;
        b->data[0] = '\0';
    }
    char *p = b->data;
    if (len)
        *len = b->len;
    memset(b, 0, sizeof(*b));
    return p;
}
