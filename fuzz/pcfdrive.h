/* Drives one PCF client operation against the scripted peer (tests/helpers/scriptpeer.h):
 * the shared body of the pcfapi and pcfweb fuzz targets.
 *
 * Input (text):
 *   line 1   "<operation label> [<flags>]": the operation (a label of the
 *            target's set; anything else picks one by hash); flags: 1 = an
 *            API token is configured, 2 = email and password (default 3)
 *   line 2   the call's arguments: a JSON object merged over working
 *            defaults (ids, required members), or empty
 *   then     answers, each introduced by a line "%% <METHOD> <path suffix>"
 *            and made of "<status>\n<header lines>\n\n<body>"; a request
 *            gets the first unused answer whose method and path end fit.
 */
#ifndef PCFMCP_FUZZ_PCFDRIVE_H
#define PCFMCP_FUZZ_PCFDRIVE_H

#include <stddef.h>
#include <stdint.h>

#include "pcf/client.h"

/* @p web: issue writes, PoCs and issue deletes go through the web session
 * (as on PCF HEAD); otherwise through API v1. */
void pcf_drive(const uint8_t *data, size_t size, const pcfmcp__pcf_op *ops, size_t nops, int web);

#endif
