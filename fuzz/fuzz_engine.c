/* Fuzz target: arbitrary bytes as a stream of newline-separated JSON-RPC
 * messages into one engine session, the way a hostile stdio or HTTP client
 * would send them. */
#include "config.h"

#include <stdint.h>
#include <string.h>

#include <pcfmcp/pcfmcp.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static pcfmcp_engine_t *engine;

static pcfmcp_error_t echo(pcfmcp_ctx_t *ctx, const char *args, size_t len, pcfmcp_result_t *r,
                           void *ud)
{
    (void)ud;
    pcfmcp_ctx_progress(ctx, 1, 2, "half");
    pcfmcp_ctx_log(ctx, "info", "fuzz", "\"step\"");
    return pcfmcp_result_add_text(r, args, len);
}

static pcfmcp_error_t structured(pcfmcp_ctx_t *ctx, const char *args, size_t len,
                                 pcfmcp_result_t *r, void *ud)
{
    (void)ctx;
    (void)ud;
    return pcfmcp_result_set_structured(r, args, len);
}

static pcfmcp_error_t read_cb(pcfmcp_ctx_t *ctx, const char *uri, const char *vars,
                              pcfmcp_result_t *r, void *ud)
{
    (void)ctx;
    (void)ud;
    if (strstr(uri, "missing"))
        return PCFMCP_ERR_NOT_FOUND;
    return pcfmcp_result_add_contents_text(r, uri, "application/json", vars, strlen(vars));
}

static pcfmcp_error_t prompt_cb(pcfmcp_ctx_t *ctx, const char *args, pcfmcp_result_t *r, void *ud)
{
    (void)ctx;
    (void)ud;
    return pcfmcp_result_add_message_text(r, "user", args);
}

static pcfmcp_error_t complete_cb(pcfmcp_ctx_t *ctx, const char *arg, const char *value,
                                  const char *context, pcfmcp_result_t *r, void *ud)
{
    (void)ctx;
    (void)arg;
    (void)context;
    (void)ud;
    return pcfmcp_result_add_completion(r, value);
}

static void discard(const char *json, size_t len, unsigned flags, void *ud)
{
    (void)json;
    (void)len;
    (void)flags;
    (void)ud;
}

static void build(void)
{
    pcfmcp_engine_new(&engine, "fuzz", "0");
    pcfmcp_engine_set_page_size(engine, 1);
    pcfmcp_engine_add_tool(engine,
                           "{\"name\":\"echo\",\"description\":\"d\",\"inputSchema\":{\"type\":"
                           "\"object\",\"properties\":{\"port\":{\"type\":\"integer\",\"minimum\":1,"
                           "\"maximum\":65535},\"id\":{\"type\":\"string\",\"format\":\"uuid\"},"
                           "\"tags\":{\"type\":\"array\",\"items\":{\"enum\":[\"a\",\"b\"]}},"
                           "\"name\":{\"type\":\"string\",\"pattern\":\"^[a-z]{1,8}$\"}},"
                           "\"additionalProperties\":false}}",
                           echo, NULL);
    pcfmcp_engine_add_tool(engine,
                           "{\"name\":\"structured\",\"description\":\"d\",\"inputSchema\":{\"type\":"
                           "\"object\"},\"outputSchema\":{\"type\":\"object\",\"properties\":{\"n\":"
                           "{\"type\":\"number\"}}}}",
                           structured, NULL);
    pcfmcp_engine_add_resource(engine, "{\"uri\":\"test://a\",\"name\":\"a\"}", read_cb, NULL);
    pcfmcp_engine_add_resource_template(engine, "{\"uriTemplate\":\"test://t/{id}{?q}\",\"name\":\"t\"}",
                                        read_cb, NULL);
    pcfmcp_engine_add_prompt(engine, "{\"name\":\"p\",\"arguments\":[{\"name\":\"x\",\"required\":true}]}",
                             prompt_cb, NULL);
    pcfmcp_engine_add_completion(engine, "ref/prompt", "p", complete_cb, NULL);
    pcfmcp_engine_enable_subscriptions(engine);
    pcfmcp_engine_set_validate_output(engine, 1);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!engine)
        build();
    pcfmcp_session_t *s = NULL;
    if (pcfmcp_session_new(&s, engine, size && (data[0] & 1) ? PCFMCP_SESSION_STATELESS : 0) !=
        PCFMCP_OK)
        return 0;
    const char *p = (const char *)data, *end = p + size;
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = nl ? (size_t)(nl - p) : (size_t)(end - p);
        pcfmcp_engine_handle(engine, s, p, n, discard, NULL, NULL);
        p += n + (nl ? 1 : 0);
    }
    pcfmcp_session_free(s);
    return 0;
}
