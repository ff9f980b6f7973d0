/* Between the store's connection code (store.c) and its operations
 * (store_ops.c); hiredis types stay inside these two files. */
#ifndef PCFMCP_HARDENING_STORE_IMPL_H
#define PCFMCP_HARDENING_STORE_IMPL_H

#include "hardening/store.h"

#ifdef HAVE_HIREDIS
#include <hiredis/hiredis.h>

/* Sends one command on a pooled connection and waits for its reply, all
 * within store.timeout. PCFMCP_OK with *out (free with freeReplyObject;
 * it may be an error reply) or the reason nothing usable came back:
 * PCFMCP_ERR_UNAVAILABLE (down: nothing was sent), PCFMCP_ERR_TIMEOUT,
 * PCFMCP_ERR_IO / PCFMCP_ERR_PROTOCOL (the store is then marked down). */
pcfmcp_error_t pcfmcp__store_exec(pcfmcp__store *st, const char *op, int argc, const char **argv,
                                  const size_t *lens, redisReply **out);
/* store.prefix, borrowed for the store's life. */
const char *pcfmcp__store_key_prefix(const pcfmcp__store *st);
#endif

#endif
