/**
 * @file common.h
 * @brief Declarations every libpcfmcp header shares: export macro, the error
 *        enum, memory release and library-wide initialisation.
 *
 * Thread safety: everything in this header may be called from any thread.
 */
#ifndef PCFMCP_COMMON_H
#define PCFMCP_COMMON_H

#include <stddef.h>
#include <stdint.h>

#if defined(PCFMCP_BUILDING_LIBRARY) && defined(__GNUC__)
/** Marks a declaration as part of the public ABI (everything else is hidden). */
#define PCFMCP_API __attribute__((visibility("default")))
#else
/** Marks a declaration as part of the public ABI (everything else is hidden). */
#define PCFMCP_API
#endif

#ifdef __cplusplus
/** Opens an `extern "C"` block for C++ callers. */
#define PCFMCP_BEGIN_DECLS extern "C" {
/** Closes the block opened by #PCFMCP_BEGIN_DECLS. */
#define PCFMCP_END_DECLS }
#else
/** Opens an `extern "C"` block for C++ callers. */
#define PCFMCP_BEGIN_DECLS
/** Closes the block opened by #PCFMCP_BEGIN_DECLS. */
#define PCFMCP_END_DECLS
#endif

PCFMCP_BEGIN_DECLS

/**
 * Error codes of every libpcfmcp function.
 *
 * The values are stable forever: new codes are appended, none is renumbered.
 * The code says what kind of failure happened; the handle's `*_errmsg()`
 * function says what exactly.
 *
 * **Error detail.** A failed call records what exactly went wrong for the
 * thread that made it, together with the handle it was made on:
 * `pcfmcp_<handle>_errmsg(h)` returns that text when the calling thread's
 * last failure was on `h` ("no error" otherwise), and pcfmcp_error_last()
 * returns it whatever the handle. So threads sharing a handle (registering
 * tools on an engine that serves, writing one audit trail) each read their
 * own failure, never another thread's, and no lock is involved. Read the
 * text on the thread that made the call, before its next failed call.
 * Per-call objects keep their own detail instead: a request context
 * (pcfmcp_ctx_errmsg()), a PCF result (pcfmcp_pcf_result_message()), and a
 * configuration's list of problems (pcfmcp_config_errmsg()).
 */
typedef enum {
    PCFMCP_OK = 0,                 /**< success */
    PCFMCP_ERR_INVALID_ARG = -1,   /**< bad argument from the caller */
    PCFMCP_ERR_NOMEM = -2,         /**< out of memory */
    PCFMCP_ERR_IO = -3,            /**< socket, file or pipe failure */
    PCFMCP_ERR_TIMEOUT = -4,       /**< a deadline passed */
    PCFMCP_ERR_AUTH = -5,          /**< credentials missing or rejected */
    PCFMCP_ERR_PROTOCOL = -6,      /**< malformed JSON-RPC or MCP from the peer */
    PCFMCP_ERR_PCF = -7,           /**< PCF answered with {"errors":[...]} */
    PCFMCP_ERR_LIMIT = -8,         /**< a size, depth or count limit was hit */
    PCFMCP_ERR_CALLBACK = -9,      /**< a user callback asked to stop */
    PCFMCP_ERR_TLS = -10,          /**< TLS handshake or certificate verification failed */
    PCFMCP_ERR_NOT_FOUND = -11,    /**< the named object does not exist */
    PCFMCP_ERR_STATE = -12,        /**< the call is not valid in the object's current state */
    PCFMCP_ERR_CONNECT = -13,      /**< the peer could not be reached (DNS, refused, reset) */
    PCFMCP_ERR_HTTP = -14,         /**< the peer answered with an unexpected HTTP status */
    PCFMCP_ERR_BAD_RESPONSE = -15, /**< the peer answered something that is not what it should be */
    PCFMCP_ERR_CANCELLED = -16,    /**< the operation was cancelled */
    PCFMCP_ERR_UNSUPPORTED = -17,  /**< not available with this configuration or peer */
    PCFMCP_ERR_DENIED = -18,       /**< refused by policy (read-only, scope, allow-list) */
    PCFMCP_ERR_RATE_LIMITED = -19, /**< a rate limit was hit; retry later */
    PCFMCP_ERR_CONFIG = -20,       /**< invalid configuration */
    PCFMCP_ERR_UNAVAILABLE = -21,  /**< shutting down or overloaded; retry elsewhere or later */
    PCFMCP_ERR_INPUT_REQUIRED = -22 /**< the client must answer input requests first (MCP 2026-07-28) */
} pcfmcp_error_t;

/**
 * A monotonic clock in nanoseconds that tests substitute for the system
 * clock (rate limits, caches). Must never go backwards.
 */
typedef uint64_t (*pcfmcp_clock_cb)(void *userdata);

/** Returns a short static English text for @p code. Never NULL. */
PCFMCP_API const char *pcfmcp_strerror(pcfmcp_error_t code);

/** Returns the symbolic name of @p code ("PCFMCP_ERR_TIMEOUT"). Never NULL. */
PCFMCP_API const char *pcfmcp_error_name(pcfmcp_error_t code);

/**
 * Why the calling thread's last failed call into the library failed, whatever
 * it was called on: the same text the handle's `pcfmcp_<handle>_errmsg()`
 * gives, and the only detail a failed constructor leaves. Each thread has
 * its own, so threads sharing a handle never see each other's failures.
 * "no error" if the thread saw none. Never NULL; valid until the thread's
 * next failed call.
 */
PCFMCP_API const char *pcfmcp_error_last(void);

/** Frees memory the library handed to the caller (every returned `char *`). NULL is fine. */
PCFMCP_API void pcfmcp_free(void *ptr);

/**
 * Initialises the libraries libpcfmcp builds on (libcurl, GnuTLS).
 *
 * Reference-counted: call it once per user of the library before any other
 * function that does network or TLS work, and pair every call with
 * pcfmcp_global_cleanup(). Calling it from several threads at once is safe.
 * @return PCFMCP_OK, or PCFMCP_ERR_TLS / PCFMCP_ERR_NOMEM when a dependency fails.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_global_init(void);

/** Releases what pcfmcp_global_init() set up once the last user has called it. */
PCFMCP_API void pcfmcp_global_cleanup(void);

PCFMCP_END_DECLS

#endif /* PCFMCP_COMMON_H */
