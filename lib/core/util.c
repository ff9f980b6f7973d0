#include "core/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <gnutls/crypto.h>
#include <gnutls/gnutls.h>

#include "core/alloc.h"
#include "core/util.h"

void pcfmcp__buf_put_utf8(pcfmcp__buf *b, const char *s, size_t n)
{
    size_t i = 0;
    while (i < n) {
        size_t bad = n - i;
        if (pcfmcp__utf8_valid(s + i, n - i, &bad)) {
            pcfmcp__buf_append(b, s + i, n - i);
            return;
        }
        pcfmcp__buf_append(b, s + i, bad);
        pcfmcp__buf_puts(b, "\xef\xbf\xbd");
        i += bad + 1;
    }
}

bool pcfmcp__utf8_valid(const char *str, size_t n, size_t *bad_at)
{
    const unsigned char *s = (const unsigned char *)str;
    size_t i = 0;
    while (i < n) {
        unsigned char c = s[i];
        if (c < 0x80) {
            i++;
            continue;
        }
        size_t len;
        uint32_t cp, min;
        if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; min = 0x80; }
        else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; min = 0x800; }
        else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; min = 0x10000; }
        else goto bad;
        if (i + len > n)
            goto bad;
        for (size_t k = 1; k < len; k++) {
            if ((s[i + k] & 0xC0) != 0x80)
                goto bad;
            cp = (cp << 6) | (s[i + k] & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
            goto bad;
        i += len;
    }
    return true;
bad:
    if (bad_at)
        *bad_at = i;
    return false;
}

bool pcfmcp__ct_equal(const void *a, size_t alen, const void *b, size_t blen)
{
    const volatile unsigned char *x = a, *y = b;
    /* Walk the longer length against itself so timing only leaks lengths. */
    size_t n = alen > blen ? alen : blen;
    unsigned char diff = (unsigned char)(alen != blen);
    for (size_t i = 0; i < n; i++) {
        unsigned char cx = i < alen ? x[i] : 0;
        unsigned char cy = i < blen ? y[i] : 0;
        diff |= (unsigned char)(cx ^ cy);
    }
    return diff == 0;
}

static bool is_hex(char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

bool pcfmcp__uuid_valid(const char *s)
{
    if (!s)
        return false;
    for (int i = 0; i < 36; i++) {
        char c = s[i];
        if (i == 8 || i == 13 || i == 18 || i == 23) {
            if (c != '-')
                return false;
        } else if (!is_hex(c)) {
            return false;
        }
    }
    return s[36] == '\0';
}

int pcfmcp__random(void *buf, size_t n)
{
    return gnutls_rnd(GNUTLS_RND_RANDOM, buf, n) < 0 ? -1 : 0;
}

int pcfmcp__hexval(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

void pcfmcp__hex(const unsigned char *in, size_t n, char *out)
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hx[in[i] >> 4];
        out[2 * i + 1] = hx[in[i] & 15];
    }
    out[2 * n] = '\0';
}

int pcfmcp__random_hex(char *out, size_t nbytes)
{
    unsigned char raw[64];
    if (nbytes > sizeof(raw) || pcfmcp__random(raw, nbytes) != 0)
        return -1;
    pcfmcp__hex(raw, nbytes, out);
    pcfmcp__secure_zero(raw, sizeof(raw));
    return 0;
}

int pcfmcp__uuid_v4(char out[37])
{
    unsigned char r[16];
    if (pcfmcp__random(r, sizeof(r)) != 0)
        return -1;
    r[6] = (unsigned char)((r[6] & 0x0F) | 0x40);
    r[8] = (unsigned char)((r[8] & 0x3F) | 0x80);
    char hx[33];
    pcfmcp__hex(r, 16, hx);
    snprintf(out, 37, "%.8s-%.4s-%.4s-%.4s-%.12s", hx, hx + 8, hx + 12, hx + 16, hx + 20);
    return 0;
}

static char *b64_encode(const void *data, size_t n, size_t *out_len, bool url)
{
    gnutls_datum_t in = { (unsigned char *)(uintptr_t)data, (unsigned)n }, res = { 0 };
    if (n > UINT32_MAX / 2 || gnutls_base64_encode2(&in, &res) < 0)
        return NULL;
    char *out = pcfmcp__malloc(res.size + 1);
    if (!out) {
        gnutls_free(res.data);
        return NULL;
    }
    size_t len = 0;
    for (unsigned i = 0; i < res.size; i++) {
        char c = (char)res.data[i];
        if (url) {
            if (c == '=')
                break;
            c = c == '+' ? '-' : c == '/' ? '_' : c;
        }
        out[len++] = c;
    }
    out[len] = '\0';
    gnutls_free(res.data);
    if (out_len)
        *out_len = len;
    return out;
}

char *pcfmcp__base64_encode(const void *data, size_t n, size_t *out_len)
{
    return b64_encode(data, n, out_len, false);
}

char *pcfmcp__base64url_encode(const void *data, size_t n, size_t *out_len)
{
    return b64_encode(data, n, out_len, true);
}

static void *b64_decode(const char *s, size_t n, size_t *out_len, bool url)
{
    if (n > UINT32_MAX / 2)
        return NULL;
    /* Normalise to padded standard base64; reject characters outside the
     * alphabet instead of letting a decoder skip them silently. */
    char *norm = pcfmcp__malloc(n + 4);
    if (!norm)
        return NULL;
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (url) {
            if (c == '-') c = '+';
            else if (c == '_') c = '/';
            else if (c == '+' || c == '/') goto bad;
        }
        if (c == '\n' || c == '\r')
            continue;
        bool ok = (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '+' || c == '/' || c == '=';
        if (!ok)
            goto bad;
        norm[k++] = c;
    }
    while (url && k % 4)
        norm[k++] = '=';
    if (k % 4)
        goto bad;
    if (k == 0) {
        pcfmcp__free(norm);
        void *empty = pcfmcp__malloc(1);
        if (empty && out_len)
            *out_len = 0;
        return empty;
    }
    gnutls_datum_t in = { (unsigned char *)norm, (unsigned)k }, res = { 0 };
    if (gnutls_base64_decode2(&in, &res) < 0)
        goto bad;
    pcfmcp__free(norm);
    void *out = pcfmcp__malloc(res.size + 1);
    if (out) {
        memcpy(out, res.data, res.size);
        ((char *)out)[res.size] = '\0';
        if (out_len)
            *out_len = res.size;
    }
    gnutls_free(res.data);
    return out;
bad:
    pcfmcp__free(norm);
    return NULL;
}

void *pcfmcp__base64_decode(const char *s, size_t n, size_t *out_len)
{
    return b64_decode(s, n, out_len, false);
}

void *pcfmcp__base64url_decode(const char *s, size_t n, size_t *out_len)
{
    return b64_decode(s, n, out_len, true);
}

int pcfmcp__sha256_hex(const void *data, size_t n, char out[65])
{
    unsigned char d[32];
    if (gnutls_hash_fast(GNUTLS_DIG_SHA256, data, n, d) < 0)
        return -1;
    pcfmcp__hex(d, 32, out);
    return 0;
}

int pcfmcp__hmac_sha256(const void *key, size_t klen, const void *data, size_t n,
                        unsigned char out[32])
{
    return gnutls_hmac_fast(GNUTLS_MAC_SHA256, key, klen, data, n, out) < 0 ? -1 : 0;
}

uint64_t pcfmcp__now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

uint64_t pcfmcp__now_ms(void)
{
    return pcfmcp__now_ns() / 1000000u;
}

void pcfmcp__cond_init_monotonic(pthread_cond_t *c)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(c, &ca);
    pthread_condattr_destroy(&ca);
}

struct timespec pcfmcp__monotonic_after(uint64_t ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    ts.tv_sec += (time_t)(ms / 1000);
    ts.tv_nsec += (long)(ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    return ts;
}

uint64_t pcfmcp__wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000u + (uint64_t)ts.tv_nsec / 1000000u;
}

bool pcfmcp__utc_format(double secs, bool with_time, char *out, size_t n)
{
    if (n)
        out[0] = '\0';
    /* Years 1 to 9999: what a date field can mean, and far inside time_t. */
    if (!n || !isfinite(secs) || secs < -62135596800.0 || secs >= 253402300800.0)
        return false;
    time_t t = (time_t)secs;
    struct tm tm;
    if (!gmtime_r(&t, &tm) ||
        !strftime(out, n, with_time ? "%Y-%m-%dT%H:%M:%SZ" : "%Y-%m-%d", &tm)) {
        out[0] = '\0';
        return false;
    }
    return true;
}

void pcfmcp__rfc3339(uint64_t wall_ms, char out[32])
{
    time_t secs = (time_t)(wall_ms / 1000);
    struct tm tm;
    gmtime_r(&secs, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 32 - n, ".%03uZ", (unsigned)(wall_ms % 1000));
}

bool pcfmcp__strcaseeq(const char *a, const char *b)
{
    for (;; a++, b++) {
        unsigned char ca = (unsigned char)*a, cb = (unsigned char)*b;
        if (ca >= 'A' && ca <= 'Z') ca = (unsigned char)(ca + 32);
        if (cb >= 'A' && cb <= 'Z') cb = (unsigned char)(cb + 32);
        if (ca != cb)
            return false;
        if (!ca)
            return true;
    }
}

bool pcfmcp__has_prefix(const char *s, const char *prefix)
{
    return strncmp(s, prefix, strlen(prefix)) == 0;
}

int pcfmcp__pipe_cloexec_nonblock(int fds[2])
{
#if defined(HAVE_PIPE2) && !defined(PCFMCP_PORTABLE)
    return pipe2(fds, O_CLOEXEC | O_NONBLOCK);
#else
    if (pipe(fds) != 0)
        return -1;
    for (int i = 0; i < 2; i++) {
        int fl = fcntl(fds[i], F_GETFL);
        if (fl < 0 || fcntl(fds[i], F_SETFL, fl | O_NONBLOCK) != 0 ||
            fcntl(fds[i], F_SETFD, FD_CLOEXEC) != 0) {
            int e = errno;
            close(fds[0]);
            close(fds[1]);
            fds[0] = fds[1] = -1;
            errno = e;
            return -1;
        }
    }
    return 0;
#endif
}

int pcfmcp__read_file(const char *path, size_t max, bool trim, char **out, size_t *out_len)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
    if (fd < 0)
        return errno;
    struct stat st;
    if (fstat(fd, &st) != 0) {
        int e = errno;
        close(fd);
        return e;
    }
    if (S_ISDIR(st.st_mode)) {
        close(fd);
        return EISDIR;
    }
    size_t cap = 4096, len = 0;
    char *buf = pcfmcp__malloc(cap);
    if (!buf) {
        close(fd);
        return ENOMEM;
    }
    for (;;) {
        if (len + 1 >= cap) {
            if (cap > max + 1) {
                pcfmcp__secure_zero(buf, len);
                pcfmcp__free(buf);
                close(fd);
                return EFBIG;
            }
            char *nb = pcfmcp__realloc(buf, cap * 2);
            if (!nb) {
                pcfmcp__secure_zero(buf, len);
                pcfmcp__free(buf);
                close(fd);
                return ENOMEM;
            }
            buf = nb;
            cap *= 2;
        }
        ssize_t r = read(fd, buf + len, cap - len - 1);
        if (r < 0) {
            if (errno == EINTR)
                continue;
            int e = errno;
            pcfmcp__secure_zero(buf, len);
            pcfmcp__free(buf);
            close(fd);
            return e;
        }
        if (r == 0)
            break;
        len += (size_t)r;
        if (len > max) {
            pcfmcp__secure_zero(buf, len);
            pcfmcp__free(buf);
            close(fd);
            return EFBIG;
        }
    }
    close(fd);
    if (trim)
        while (len && (buf[len - 1] == '\n' || buf[len - 1] == '\r'))
            len--;
    buf[len] = '\0';
    *out = buf;
    if (out_len)
        *out_len = len;
    return 0;
}

void pcfmcp__secure_zero(void *p, size_t n)
{
    if (!p)
        return;
    volatile unsigned char *v = p;
    while (n--)
        *v++ = 0;
}

void pcfmcp__secure_free(char *s)
{
    if (!s)
        return;
    pcfmcp__secure_zero(s, strlen(s));
    pcfmcp__free(s);
}
