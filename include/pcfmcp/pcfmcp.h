/**
 * @file pcfmcp.h
 * @brief Umbrella header: includes every public libpcfmcp header.
 */
#ifndef PCFMCP_PCFMCP_H
#define PCFMCP_PCFMCP_H

#include <pcfmcp/common.h>
#include <pcfmcp/version.h>
#include <pcfmcp/log.h>
#include <pcfmcp/config.h>
#include <pcfmcp/engine.h>
#include <pcfmcp/args.h>
#include <pcfmcp/stdio.h>
#include <pcfmcp/http.h>
#include <pcfmcp/server.h>
#include <pcfmcp/pcf.h>
#include <pcfmcp/auth.h>
#include <pcfmcp/identity.h>
#include <pcfmcp/tools.h>
/* The sys tier (pcfmcp/sys/: low-level building blocks under their own
 * ABI version node) is not part of the umbrella's promise; it stays
 * included for one more release so that code written against 0.1 builds.
 * Include <pcfmcp/sys/...> for what you use. */
#include <pcfmcp/sys/audit.h>
#include <pcfmcp/sys/cache.h>
#include <pcfmcp/sys/metrics.h>
#include <pcfmcp/sys/ratelimit.h>
#include <pcfmcp/sys/trace.h>

#endif /* PCFMCP_PCFMCP_H */
