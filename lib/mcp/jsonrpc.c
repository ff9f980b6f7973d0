#include "core/internal.h"

#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "mcp/jsonrpc.h"

static bool valid_id(const cJSON *id)
{
    return cJSON_IsString(id) || pcfmcp__json_is_integer(id);
}

void pcfmcp__rpc_classify(const cJSON *item, pcfmcp__rpc_msg *m)
{
    memset(m, 0, sizeof(*m));
    m->kind = PCFMCP__MSG_INVALID;
    if (!cJSON_IsObject(item)) {
        m->why = "message must be a JSON object";
        return;
    }
    const cJSON *id = cJSON_GetObjectItemCaseSensitive(item, "id");
    if (id && valid_id(id)) {
        m->id = id;
        m->id_usable = true;
    }
    const char *ver = pcfmcp__json_str(item, "jsonrpc");
    if (!ver || strcmp(ver, "2.0") != 0) {
        m->why = "\"jsonrpc\" must be \"2.0\"";
        return;
    }
    const cJSON *method = cJSON_GetObjectItemCaseSensitive(item, "method");
    const cJSON *result = cJSON_GetObjectItemCaseSensitive(item, "result");
    const cJSON *error = cJSON_GetObjectItemCaseSensitive(item, "error");
    if (method) {
        if (!cJSON_IsString(method) || !method->valuestring[0]) {
            m->why = "\"method\" must be a non-empty string";
            return;
        }
        if (result || error) {
            m->why = "a request must not carry \"result\" or \"error\"";
            return;
        }
        const cJSON *params = cJSON_GetObjectItemCaseSensitive(item, "params");
        if (params && !cJSON_IsObject(params)) {
            /* JSON-RPC allows arrays; MCP params are always objects. */
            m->why = "\"params\" must be an object";
            return;
        }
        m->method = method->valuestring;
        m->params = params;
        if (id) {
            if (!valid_id(id)) {
                m->why = cJSON_IsNull(id) ? "\"id\" must not be null"
                                          : "\"id\" must be a string or an integer";
                return;
            }
            m->kind = PCFMCP__MSG_REQUEST;
        } else {
            m->kind = PCFMCP__MSG_NOTIFICATION;
        }
        return;
    }
    if (result || error) {
        if ((result != NULL) == (error != NULL)) {
            m->why = "a response carries exactly one of \"result\" and \"error\"";
            return;
        }
        if (error && (!cJSON_IsObject(error) ||
                      !pcfmcp__json_is_integer(cJSON_GetObjectItemCaseSensitive(error, "code")))) {
            m->why = "\"error\" must be an object with an integer \"code\"";
            return;
        }
        if (!valid_id(id)) {
            m->why = "a response needs a string or integer \"id\"";
            return;
        }
        m->kind = PCFMCP__MSG_RESPONSE;
        m->result = result;
        m->error = error;
        return;
    }
    m->why = "message has neither \"method\" nor \"result\"/\"error\"";
}

void pcfmcp__rpc_append_id(pcfmcp__buf *b, const cJSON *id)
{
    if (cJSON_IsString(id))
        pcfmcp__buf_json_string(b, id->valuestring, strlen(id->valuestring));
    else if (cJSON_IsNumber(id) && id->valuestring)
        pcfmcp__buf_puts(b, id->valuestring); /* beyond 2^53: the digits as sent */
    else if (pcfmcp__json_is_integer(id)) {
        /* Hot path (every response): digits by hand, no printf. */
        char tmp[24];
        int n = 0;
        long long v = (long long)id->valuedouble;
        unsigned long long u = v < 0 ? (unsigned long long)(-(v + 1)) + 1 : (unsigned long long)v;
        do {
            tmp[n++] = (char)('0' + u % 10);
            u /= 10;
        } while (u);
        if (v < 0)
            tmp[n++] = '-';
        char out[24];
        for (int i = 0; i < n; i++)
            out[i] = tmp[n - 1 - i];
        pcfmcp__buf_append(b, out, (size_t)n);
    }
    else
        pcfmcp__buf_puts(b, "null");
}

char *pcfmcp__rpc_error(const char *id_text, int code, const char *message, const cJSON *data,
                        size_t *len)
{
    pcfmcp__buf b;
    pcfmcp__buf_init(&b);
    pcfmcp__buf_puts(&b, "{\"jsonrpc\":\"2.0\",\"id\":");
    pcfmcp__buf_puts(&b, id_text ? id_text : "null");
    pcfmcp__buf_printf(&b, ",\"error\":{\"code\":%d,\"message\":", code);
    pcfmcp__buf_json_string(&b, message, strlen(message));
    if (data) {
        pcfmcp__buf_puts(&b, ",\"data\":");
        pcfmcp__json_append(&b, data);
    }
    pcfmcp__buf_puts(&b, "}}");
    return pcfmcp__buf_steal(&b, len);
}

char *pcfmcp__rpc_result_text(const char *id_text, const char *result_text, size_t rlen,
                              size_t *len)
{
    pcfmcp__buf b;
    pcfmcp__buf_init(&b);
    pcfmcp__buf_reserve(&b, rlen + 64);
    pcfmcp__buf_puts(&b, "{\"jsonrpc\":\"2.0\",\"id\":");
    pcfmcp__buf_puts(&b, id_text ? id_text : "null");
    pcfmcp__buf_puts(&b, ",\"result\":");
    pcfmcp__buf_append(&b, result_text, rlen);
    pcfmcp__buf_putc(&b, '}');
    return pcfmcp__buf_steal(&b, len);
}

char *pcfmcp__rpc_result_head(const char *id_text, size_t *len)
{
    pcfmcp__buf b;
    pcfmcp__buf_init(&b);
    pcfmcp__buf_puts(&b, "{\"jsonrpc\":\"2.0\",\"id\":");
    pcfmcp__buf_puts(&b, id_text ? id_text : "null");
    pcfmcp__buf_puts(&b, ",\"result\":");
    return pcfmcp__buf_steal(&b, len);
}

char *pcfmcp__rpc_message(const char *id_text, const char *method, const cJSON *params,
                          size_t *len)
{
    pcfmcp__buf b;
    pcfmcp__buf_init(&b);
    pcfmcp__buf_puts(&b, "{\"jsonrpc\":\"2.0\",");
    if (id_text) {
        pcfmcp__buf_puts(&b, "\"id\":");
        pcfmcp__buf_puts(&b, id_text);
        pcfmcp__buf_putc(&b, ',');
    }
    pcfmcp__buf_puts(&b, "\"method\":");
    pcfmcp__buf_json_string(&b, method, strlen(method));
    if (params) {
        pcfmcp__buf_puts(&b, ",\"params\":");
        pcfmcp__json_append(&b, params);
    }
    pcfmcp__buf_putc(&b, '}');
    return pcfmcp__buf_steal(&b, len);
}

int pcfmcp__rpc_code_for(int err, bool modern)
{
    switch (err) {
    case PCFMCP_ERR_INVALID_ARG:
    case PCFMCP_ERR_LIMIT:
        return PCFMCP__RPC_INVALID_PARAMS;
    case PCFMCP_ERR_PROTOCOL:
        return PCFMCP__RPC_INVALID_REQUEST;
    case PCFMCP_ERR_NOT_FOUND:
        return modern ? PCFMCP__RPC_INVALID_PARAMS : PCFMCP__RPC_RESOURCE_NOT_FOUND;
    case PCFMCP_ERR_UNAVAILABLE:
        return modern ? PCFMCP__RPC_SERVER_BUSY_2026 : PCFMCP__RPC_SERVER_BUSY;
    case PCFMCP_ERR_RATE_LIMITED:
        return modern ? PCFMCP__RPC_RATE_LIMITED_2026 : PCFMCP__RPC_RATE_LIMITED;
    case PCFMCP_ERR_DENIED:
    case PCFMCP_ERR_AUTH:
        return PCFMCP__RPC_INVALID_PARAMS;
    default:
        return PCFMCP__RPC_INTERNAL_ERROR;
    }
}
