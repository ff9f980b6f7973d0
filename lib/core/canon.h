/* Canonical JSON: the same value always serialises to the same bytes, so
 * it can be hashed (audit) or used as a cache key. Object members are sorted
 * by the bytes of their names, there is no white space, integral numbers
 * within +-2^53 print without a fraction, others with 17 significant digits. */
#ifndef PCFMCP_HARDENING_CANON_H
#define PCFMCP_HARDENING_CANON_H

#include <cjson/cJSON.h>

#include "core/buf.h"

/* Appends the canonical form of @p v to @p out. False on a depth over 64
 * (the buffer's sticky failure covers OOM). */
bool pcfmcp__json_canonical(const cJSON *v, pcfmcp__buf *out);

#endif
