/* Included first by every .c file in lib/: build configuration plus the few
 * macros the whole library leans on. Never installed. */
#ifndef PCFMCP_CORE_INTERNAL_H
#define PCFMCP_CORE_INTERNAL_H

#include "config.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <pcfmcp/common.h>

#define PCFMCP_ARRAY_LEN(a) (sizeof(a) / sizeof((a)[0]))
#define PCFMCP_UNUSED __attribute__((unused))
#define PCFMCP_PRINTF(fmt, args) __attribute__((format(printf, fmt, args)))
#define PCFMCP_LIKELY(x) __builtin_expect(!!(x), 1)
#define PCFMCP_UNLIKELY(x) __builtin_expect(!!(x), 0)

/* Internal-only status codes: below -1000, never returned by a public function. */
enum {
    PCFMCP__WOULD_BLOCK = -1001,
    PCFMCP__RETRY = -1002
};

#endif
