/* JSON-RPC 2.0 framing: classifying incoming messages and building outgoing
 * ones. No MCP semantics here. */
#ifndef PCFMCP_MCP_JSONRPC_H
#define PCFMCP_MCP_JSONRPC_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "core/buf.h"

/* Standard JSON-RPC codes and the MCP ones this server sends. */
enum {
    PCFMCP__RPC_PARSE_ERROR = -32700,
    PCFMCP__RPC_INVALID_REQUEST = -32600,
    PCFMCP__RPC_METHOD_NOT_FOUND = -32601,
    PCFMCP__RPC_INVALID_PARAMS = -32602,
    PCFMCP__RPC_INTERNAL_ERROR = -32603,
    /* Implementation-defined range -32000..-32019: 2025 revisions only.
     * 2026-07-28 says new implementations SHOULD NOT use it and allocate
     * their own codes outside -32768..-32000, hence the -31xxx pair. */
    PCFMCP__RPC_SERVER_BUSY = -32000,
    PCFMCP__RPC_RATE_LIMITED = -32001,
    PCFMCP__RPC_SERVER_BUSY_2026 = -31000,
    PCFMCP__RPC_RATE_LIMITED_2026 = -31001,
    /* MCP 2025 resource-not-found (2026-07-28 uses -32602 instead). */
    PCFMCP__RPC_RESOURCE_NOT_FOUND = -32002,
    /* MCP 2026-07-28. */
    PCFMCP__RPC_HEADER_MISMATCH = -32020,
    PCFMCP__RPC_MISSING_CLIENT_CAPABILITY = -32021,
    PCFMCP__RPC_UNSUPPORTED_PROTOCOL_VERSION = -32022
};

typedef enum {
    PCFMCP__MSG_INVALID = 0,
    PCFMCP__MSG_REQUEST,
    PCFMCP__MSG_NOTIFICATION,
    PCFMCP__MSG_RESPONSE
} pcfmcp__msg_kind;

typedef struct {
    pcfmcp__msg_kind kind;
    const cJSON *id;      /* request/response id (string or integer), or NULL */
    const char *method;   /* request/notification */
    const cJSON *params;  /* object, or NULL when absent */
    const cJSON *result;  /* response */
    const cJSON *error;   /* response */
    const char *why;      /* for INVALID: what is wrong (static text) */
    bool id_usable;       /* INVALID but with an id we can echo */
} pcfmcp__rpc_msg;

/* Classifies one JSON value (an element of a batch or a whole message). */
void pcfmcp__rpc_classify(const cJSON *item, pcfmcp__rpc_msg *m);

/* Appends the JSON text of an id (or "null") to b. */
void pcfmcp__rpc_append_id(pcfmcp__buf *b, const cJSON *id);

/* Builds {"jsonrpc":"2.0","id":<id_text>,"error":{code,message[,data]}}.
 * id_text is JSON ("7", "\"a\"") or NULL for null. data may be NULL. */
char *pcfmcp__rpc_error(const char *id_text, int code, const char *message, const cJSON *data,
                        size_t *len);
/* Builds {"jsonrpc":"2.0","id":<id_text>,"result":<result_text>}. */
char *pcfmcp__rpc_result_text(const char *id_text, const char *result_text, size_t rlen,
                              size_t *len);
/* The same message's head, `{"jsonrpc":"2.0","id":<id_text>,"result":`: the
 * result and a closing `}` follow it (sent in parts, never copied). */
char *pcfmcp__rpc_result_head(const char *id_text, size_t *len);
/* Builds a notification or request from a params object (may be NULL).
 * id_text NULL = notification. */
char *pcfmcp__rpc_message(const char *id_text, const char *method, const cJSON *params,
                          size_t *len);

/* The JSON-RPC code an error of this library maps to, for a request of the
 * 2026-07-28 revision (@p modern) or an earlier one: the one table for all,
 * so a code a revision forbids cannot be sent by accident. */
int pcfmcp__rpc_code_for(int pcfmcp_error, bool modern);

#endif
