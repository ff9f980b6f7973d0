/**
 * @file ratelimit.h
 * @brief Deprecated: include <pcfmcp/sys/ratelimit.h>.
 *
 * @deprecated The rate limiter, concurrency gate and proxy list moved to <pcfmcp/sys/ratelimit.h>, the sys tier: low-level
 * building blocks the server is made of, exported under their own ABI
 * version node (PCFMCP_SYS_0) and allowed to change in a minor release,
 * unlike the engine, server, PCF client and toolset. This header only
 * forwards there, for one release (it goes away in 0.3); the functions
 * themselves are unchanged and binaries built against 0.1 keep working.
 * Define PCFMCP_WARN_DEPRECATED_HEADERS to get a compiler warning here.
 */
#ifndef PCFMCP_RATELIMIT_H
#define PCFMCP_RATELIMIT_H

#if defined(PCFMCP_WARN_DEPRECATED_HEADERS) && defined(__GNUC__)
#warning "<pcfmcp/ratelimit.h> is deprecated: include <pcfmcp/sys/ratelimit.h>"
#endif

#include <pcfmcp/sys/ratelimit.h>

#endif /* PCFMCP_RATELIMIT_H */
