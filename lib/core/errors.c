#include "core/internal.h"

#include <stdio.h>
#include <string.h>

#include "core/error.h"

/* Both switches deliberately have no default: -Wswitch flags a code that was
 * added to the enum without text here. */

PCFMCP_API const char *pcfmcp_strerror(pcfmcp_error_t code)
{
    switch (code) {
    case PCFMCP_OK: return "success";
    case PCFMCP_ERR_INVALID_ARG: return "invalid argument";
    case PCFMCP_ERR_NOMEM: return "out of memory";
    case PCFMCP_ERR_IO: return "input/output error";
    case PCFMCP_ERR_TIMEOUT: return "timed out";
    case PCFMCP_ERR_AUTH: return "authentication failed";
    case PCFMCP_ERR_PROTOCOL: return "protocol error";
    case PCFMCP_ERR_PCF: return "PCF reported an error";
    case PCFMCP_ERR_LIMIT: return "limit exceeded";
    case PCFMCP_ERR_CALLBACK: return "callback failed";
    case PCFMCP_ERR_TLS: return "TLS error";
    case PCFMCP_ERR_NOT_FOUND: return "not found";
    case PCFMCP_ERR_STATE: return "invalid state";
    case PCFMCP_ERR_CONNECT: return "could not connect";
    case PCFMCP_ERR_HTTP: return "unexpected HTTP status";
    case PCFMCP_ERR_BAD_RESPONSE: return "malformed response";
    case PCFMCP_ERR_CANCELLED: return "cancelled";
    case PCFMCP_ERR_UNSUPPORTED: return "not supported";
    case PCFMCP_ERR_DENIED: return "denied by policy";
    case PCFMCP_ERR_RATE_LIMITED: return "rate limited";
    case PCFMCP_ERR_CONFIG: return "invalid configuration";
    case PCFMCP_ERR_UNAVAILABLE: return "service unavailable";
    case PCFMCP_ERR_INPUT_REQUIRED: return "input required from the client";
    }
    return "unknown error";
}

PCFMCP_API const char *pcfmcp_error_name(pcfmcp_error_t code)
{
    switch (code) {
    case PCFMCP_OK: return "PCFMCP_OK";
    case PCFMCP_ERR_INVALID_ARG: return "PCFMCP_ERR_INVALID_ARG";
    case PCFMCP_ERR_NOMEM: return "PCFMCP_ERR_NOMEM";
    case PCFMCP_ERR_IO: return "PCFMCP_ERR_IO";
    case PCFMCP_ERR_TIMEOUT: return "PCFMCP_ERR_TIMEOUT";
    case PCFMCP_ERR_AUTH: return "PCFMCP_ERR_AUTH";
    case PCFMCP_ERR_PROTOCOL: return "PCFMCP_ERR_PROTOCOL";
    case PCFMCP_ERR_PCF: return "PCFMCP_ERR_PCF";
    case PCFMCP_ERR_LIMIT: return "PCFMCP_ERR_LIMIT";
    case PCFMCP_ERR_CALLBACK: return "PCFMCP_ERR_CALLBACK";
    case PCFMCP_ERR_TLS: return "PCFMCP_ERR_TLS";
    case PCFMCP_ERR_NOT_FOUND: return "PCFMCP_ERR_NOT_FOUND";
    case PCFMCP_ERR_STATE: return "PCFMCP_ERR_STATE";
    case PCFMCP_ERR_CONNECT: return "PCFMCP_ERR_CONNECT";
    case PCFMCP_ERR_HTTP: return "PCFMCP_ERR_HTTP";
    case PCFMCP_ERR_BAD_RESPONSE: return "PCFMCP_ERR_BAD_RESPONSE";
    case PCFMCP_ERR_CANCELLED: return "PCFMCP_ERR_CANCELLED";
    case PCFMCP_ERR_UNSUPPORTED: return "PCFMCP_ERR_UNSUPPORTED";
    case PCFMCP_ERR_DENIED: return "PCFMCP_ERR_DENIED";
    case PCFMCP_ERR_RATE_LIMITED: return "PCFMCP_ERR_RATE_LIMITED";
    case PCFMCP_ERR_CONFIG: return "PCFMCP_ERR_CONFIG";
    case PCFMCP_ERR_UNAVAILABLE: return "PCFMCP_ERR_UNAVAILABLE";
    case PCFMCP_ERR_INPUT_REQUIRED: return "PCFMCP_ERR_INPUT_REQUIRED";
    }
    return "PCFMCP_ERR_UNKNOWN";
}

/* ------------------------------------------------------------ last error */

/* Each thread's last failure (core/error.h). Thread-local, so two threads
 * failing on one shared handle each keep their own text, and no lock is
 * needed to write or read it. */
static _Thread_local struct {
    const void *handle;
    bool set;
    char msg[PCFMCP__ERRMSG_MAX];
} last;

/* Copies @p len bytes of @p src into @p dst (of @p size), cutting before a
 * partial UTF-8 sequence: messages quote names and values callers gave,
 * and end up in JSON. */
static void put_cut(char *dst, size_t size, const char *src, size_t len)
{
    if (len >= size) {
        len = size - 1;
        while (len > 0 && ((unsigned char)src[len] & 0xC0) == 0x80)
            len--;
    }
    memmove(dst, src, len);
    dst[len] = '\0';
}

static pcfmcp_error_t record(const void *handle, pcfmcp__error *err, pcfmcp_error_t code,
                             const char *fmt, va_list ap)
{
    /* Formatted aside first: an argument may be the message it replaces
     * ("audit: %s", pcfmcp_audit_errmsg(a)). One byte more than kept, so
     * a cut is seen and made at a character boundary. */
    char text[PCFMCP__ERRMSG_MAX + 1];
    int n = vsnprintf(text, sizeof(text), fmt, ap);
    size_t len = n < 0 ? 0 : (size_t)n < sizeof(text) ? (size_t)n : sizeof(text) - 1;
    if (err)
        put_cut(err->msg, sizeof(err->msg), text, len);
    put_cut(last.msg, sizeof(last.msg), text, len);
    last.handle = err ? (const void *)err : handle;
    last.set = true;
    return code;
}

pcfmcp_error_t pcfmcp__vfail(const void *handle, pcfmcp_error_t code, const char *fmt, va_list ap)
{
    return record(handle, NULL, code, fmt, ap);
}

pcfmcp_error_t pcfmcp__fail(const void *handle, pcfmcp_error_t code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    record(handle, NULL, code, fmt, ap);
    va_end(ap);
    return code;
}

pcfmcp_error_t pcfmcp__fail_in(pcfmcp__error *err, pcfmcp_error_t code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    record(NULL, err, code, fmt, ap);
    va_end(ap);
    return code;
}

const char *pcfmcp__error_detail(const void *handle)
{
    return last.set && last.handle == handle ? last.msg : NULL;
}

const char *pcfmcp__errmsg(const void *handle)
{
    const char *d = pcfmcp__error_detail(handle);
    return d ? d : "no error";
}

const char *pcfmcp__error_text(const pcfmcp__error *err)
{
    return err && err->msg[0] ? err->msg : "no error";
}

void pcfmcp__error_clear(void)
{
    last.set = false;
    last.handle = NULL;
    last.msg[0] = '\0';
}

PCFMCP_API const char *pcfmcp_error_last(void)
{
    return last.set ? last.msg : "no error";
}
