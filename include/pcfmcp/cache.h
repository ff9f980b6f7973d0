/**
 * @file cache.h
 * @brief Deprecated: include <pcfmcp/sys/cache.h>.
 *
 * @deprecated The read cache moved to <pcfmcp/sys/cache.h>, the sys tier: low-level
 * building blocks the server is made of, exported under their own ABI
 * version node (PCFMCP_SYS_0) and allowed to change in a minor release,
 * unlike the engine, server, PCF client and toolset. This header only
 * forwards there, for one release (it goes away in 0.3); the functions
 * themselves are unchanged and binaries built against 0.1 keep working.
 * Define PCFMCP_WARN_DEPRECATED_HEADERS to get a compiler warning here.
 */
#ifndef PCFMCP_CACHE_H
#define PCFMCP_CACHE_H

#if defined(PCFMCP_WARN_DEPRECATED_HEADERS) && defined(__GNUC__)
#warning "<pcfmcp/cache.h> is deprecated: include <pcfmcp/sys/cache.h>"
#endif

#include <pcfmcp/sys/cache.h>

#endif /* PCFMCP_CACHE_H */
