/* The one error model of the library.
 *
 * A failing call says what kind of failure with its return code and what
 * exactly with pcfmcp__fail(): the text goes into the calling thread's
 * last-error slot, tagged with the handle the call was made on.
 * pcfmcp_<handle>_errmsg() returns it when the calling thread's last
 * failure was on that handle, so threads sharing a handle (an engine
 * registering tools while it serves, an audit trail written by every
 * request) each read their own failure and never a half-written or
 * foreign one; pcfmcp_error_last() returns it whatever the handle, which
 * is the only way to learn why a constructor failed.
 *
 * A per-call object whose detail is read after the call returned, possibly
 * on another thread (a request context: the engine reads it once the
 * handler is done), keeps a pcfmcp__error of its own: pcfmcp__fail_in()
 * writes there and into the thread's slot alike.
 *
 * The code never depends on whether a message was set: a function that can
 * fail in several ways returns the code of the way it failed. */
#ifndef PCFMCP_CORE_ERROR_H
#define PCFMCP_CORE_ERROR_H

#include <stdarg.h>

#include "core/internal.h"

/* Longest message kept per thread (longer ones are cut). */
#define PCFMCP__ERRMSG_MAX 2048
/* Longest message a per-call object keeps: there may be thousands at once. */
#define PCFMCP__CALL_ERRMSG_MAX 512

/* Error detail that belongs to one call rather than to a thread. */
typedef struct {
    char msg[PCFMCP__CALL_ERRMSG_MAX];
} pcfmcp__error;

/* Records why a call on @p handle failed (printf-style; the arguments may
 * point into the message being replaced) and returns @p code, so a failure
 * reads `return pcfmcp__fail(h, PCFMCP_ERR_IO, "cannot open %s", path);`.
 * @p handle may be NULL for a call without one. */
pcfmcp_error_t pcfmcp__fail(const void *handle, pcfmcp_error_t code, const char *fmt, ...)
    PCFMCP_PRINTF(3, 4);
pcfmcp_error_t pcfmcp__vfail(const void *handle, pcfmcp_error_t code, const char *fmt, va_list ap)
    PCFMCP_PRINTF(3, 0);

/* Like pcfmcp__fail(), for a per-call object: also keeps the text in @p err. */
pcfmcp_error_t pcfmcp__fail_in(pcfmcp__error *err, pcfmcp_error_t code, const char *fmt, ...)
    PCFMCP_PRINTF(3, 4);

/* The text of the calling thread's last failure if it was on @p handle,
 * else NULL. Valid until the thread's next failure. */
const char *pcfmcp__error_detail(const void *handle);

/* What every pcfmcp_<handle>_errmsg() returns: the detail, or "no error". */
const char *pcfmcp__errmsg(const void *handle);

/* What pcfmcp_<object>_errmsg() returns for a per-call object. */
const char *pcfmcp__error_text(const pcfmcp__error *err);

/* Forgets the calling thread's last failure, before a step whose own
 * failure must be told apart from older ones. */
void pcfmcp__error_clear(void);

#endif
