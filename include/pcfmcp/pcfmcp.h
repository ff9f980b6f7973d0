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
#include <pcfmcp/metrics.h>
#include <pcfmcp/ratelimit.h>
#include <pcfmcp/audit.h>
#include <pcfmcp/cache.h>
#include <pcfmcp/trace.h>

#endif /* PCFMCP_PCFMCP_H */
