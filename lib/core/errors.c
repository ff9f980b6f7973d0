#include "core/internal.h"

/* Both switches deliberately have no default: -Wswitch flags a code that was
 * added to the enum without text here. */

PCFMCP_API const char *pcfmcp_strerror(pcfmcp_error_t code)
{
    switch (code) {
    case PCFMCP_OK: return "success";
    case PCFMCP_ERR_INVALID_ARG: return "invalid argument";
    case PCFMCP_ERR_NOMEM: return "out of memory";
    case PCFMCP_ERR_IO: return "input/output error";
    case PCFMCP_ERR_TIMEOUT: return "timed out";
    case PCFMCP_ERR_AUTH: return "authentication failed";
    case PCFMCP_ERR_PROTOCOL: return "protocol error";
    case PCFMCP_ERR_PCF: return "PCF reported an error";
    case PCFMCP_ERR_LIMIT: return "limit exceeded";
    case PCFMCP_ERR_CALLBACK: return "callback failed";
    case PCFMCP_ERR_TLS: return "TLS error";
    case PCFMCP_ERR_NOT_FOUND: return "not found";
    case PCFMCP_ERR_STATE: return "invalid state";
    case PCFMCP_ERR_CONNECT: return "could not connect";
    case PCFMCP_ERR_HTTP: return "unexpected HTTP status";
    case PCFMCP_ERR_BAD_RESPONSE: return "malformed response";
    case PCFMCP_ERR_CANCELLED: return "cancelled";
    case PCFMCP_ERR_UNSUPPORTED: return "not supported";
    case PCFMCP_ERR_DENIED: return "denied by policy";
    case PCFMCP_ERR_RATE_LIMITED: return "rate limited";
    case PCFMCP_ERR_CONFIG: return "invalid configuration";
    case PCFMCP_ERR_UNAVAILABLE: return "service unavailable";
    case PCFMCP_ERR_INPUT_REQUIRED: return "input required from the client";
    }
    return "unknown error";
}

PCFMCP_API const char *pcfmcp_error_name(pcfmcp_error_t code)
{
    switch (code) {
    case PCFMCP_OK: return "PCFMCP_OK";
    case PCFMCP_ERR_INVALID_ARG: return "PCFMCP_ERR_INVALID_ARG";
    case PCFMCP_ERR_NOMEM: return "PCFMCP_ERR_NOMEM";
    case PCFMCP_ERR_IO: return "PCFMCP_ERR_IO";
    case PCFMCP_ERR_TIMEOUT: return "PCFMCP_ERR_TIMEOUT";
    case PCFMCP_ERR_AUTH: return "PCFMCP_ERR_AUTH";
    case PCFMCP_ERR_PROTOCOL: return "PCFMCP_ERR_PROTOCOL";
    case PCFMCP_ERR_PCF: return "PCFMCP_ERR_PCF";
    case PCFMCP_ERR_LIMIT: return "PCFMCP_ERR_LIMIT";
    case PCFMCP_ERR_CALLBACK: return "PCFMCP_ERR_CALLBACK";
    case PCFMCP_ERR_TLS: return "PCFMCP_ERR_TLS";
    case PCFMCP_ERR_NOT_FOUND: return "PCFMCP_ERR_NOT_FOUND";
    case PCFMCP_ERR_STATE: return "PCFMCP_ERR_STATE";
    case PCFMCP_ERR_CONNECT: return "PCFMCP_ERR_CONNECT";
    case PCFMCP_ERR_HTTP: return "PCFMCP_ERR_HTTP";
    case PCFMCP_ERR_BAD_RESPONSE: return "PCFMCP_ERR_BAD_RESPONSE";
    case PCFMCP_ERR_CANCELLED: return "PCFMCP_ERR_CANCELLED";
    case PCFMCP_ERR_UNSUPPORTED: return "PCFMCP_ERR_UNSUPPORTED";
    case PCFMCP_ERR_DENIED: return "PCFMCP_ERR_DENIED";
    case PCFMCP_ERR_RATE_LIMITED: return "PCFMCP_ERR_RATE_LIMITED";
    case PCFMCP_ERR_CONFIG: return "PCFMCP_ERR_CONFIG";
    case PCFMCP_ERR_UNAVAILABLE: return "PCFMCP_ERR_UNAVAILABLE";
    case PCFMCP_ERR_INPUT_REQUIRED: return "PCFMCP_ERR_INPUT_REQUIRED";
    }
    return "PCFMCP_ERR_UNKNOWN";
}
