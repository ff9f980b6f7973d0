/* The native tool path, for tools built into libpcfmcp (lib/tools): the
 * engine hands a native tool the arguments as the tree it parsed from the
 * request, and the tool hands back its structured content as a tree or as
 * text it serialised itself, so a call crosses JSON text once on the way
 * in (the transport's parse) and once on the way out (the response). Hosts
 * and the bindings keep the JSON-text API of <pcfmcp/engine.h>
 * (pcfmcp_tool_cb); both kinds of tool share one registry, one tools/list,
 * the same hooks, schemas and limits.
 *
 * A native tool may also answer from a cache of whole rendered results:
 * pcfmcp__result_set_rendered() on a hit, pcfmcp__result_on_sent() on a
 * miss so the result is kept once the engine has serialised (and, with
 * tools.validate_output, checked) it. */
#ifndef PCFMCP_MCP_NATIVE_H
#define PCFMCP_MCP_NATIVE_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>
#include <pcfmcp/engine.h>

#include "core/internal.h"

/* Runs one tools/call on a worker thread (or inline: see below). @p args is
 * the request's arguments object, borrowed for the call (never NULL: an
 * empty object when the request had none). Fill @p result as with
 * pcfmcp_tool_cb. */
typedef pcfmcp_error_t (*pcfmcp__native_tool_cb)(pcfmcp_ctx_t *ctx, const cJSON *args,
                                                pcfmcp_result_t *result, void *userdata);

/* Answers a tools/call on the transport's thread when it can do so without
 * waiting (a cached result), so a cached answer costs no hand-over to a
 * worker. Returns PCFMCP_OK with @p result filled, or
 * PCFMCP__NATIVE_WOULD_BLOCK (nothing filled) and the call goes to a worker as
 * usual. Must not block, nor call anything that may. */
typedef pcfmcp_error_t (*pcfmcp__native_probe_cb)(pcfmcp_ctx_t *ctx, const cJSON *args,
                                                 pcfmcp_result_t *result, void *userdata);

#define PCFMCP__NATIVE_WOULD_BLOCK ((pcfmcp_error_t)PCFMCP__WOULD_BLOCK)

/* pcfmcp_engine_add_tool() for a native tool; @p probe may be NULL. */
pcfmcp_error_t pcfmcp__engine_add_tool_native(pcfmcp_engine_t *engine, const char *tool_json,
                                              pcfmcp__native_tool_cb cb,
                                              pcfmcp__native_probe_cb probe, void *userdata);

/* structuredContent as serialised JSON text of an object, which the caller
 * vouches for (it wrote it with pcfmcp__json_write); taken, also on failure. */
pcfmcp_error_t pcfmcp__result_take_structured_text(pcfmcp_result_t *result, char *json,
                                                   size_t len);
/* The whole tool result, as sent before: serialised result object text the
 * engine puts into the response unchanged (no hook sees a difference).
 * Taken, also on failure. */
pcfmcp_error_t pcfmcp__result_set_rendered(pcfmcp_result_t *result, char *json, size_t len);
/* Once the result went out successfully (not an error result, not
 * cancelled, not timed out), @p keep gets its serialised text, on the
 * thread that sent it; @p drop runs in any case when the result is freed. */
typedef void (*pcfmcp__result_keep_cb)(const char *json, size_t len, void *userdata);
pcfmcp_error_t pcfmcp__result_on_sent(pcfmcp_result_t *result, pcfmcp__result_keep_cb keep,
                                      void (*drop)(void *userdata), void *userdata);

#endif
