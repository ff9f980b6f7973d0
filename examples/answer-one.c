/* Answers one JSON-RPC message given on the command line, in memory: no
 * transport, no emit callback, no initialize handshake.
 *   answer-one '{"jsonrpc":"2.0","id":1,"method":"tools/call",
 *                "params":{"name":"add","arguments":{"a":2,"b":3}}}' */
#include <stdio.h>
#include <string.h>

#include <pcfmcp/pcfmcp.h>

static pcfmcp_error_t add(pcfmcp_ctx_t *ctx, const char *args, size_t len,
                          pcfmcp_result_t *result, void *userdata)
{
    double a = 0, b = 0;
    char out[64];
    (void)ctx, (void)userdata;
    if (pcfmcp_args_get_number(args, len, "a", &a) != PCFMCP_OK ||
        pcfmcp_args_get_number(args, len, "b", &b) != PCFMCP_OK)
        return pcfmcp_result_set_error(result, "a and b must be numbers");
    snprintf(out, sizeof(out), "{\"sum\":%.17g}", a + b);
    return pcfmcp_result_set_structured(result, out, strlen(out));
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: answer-one JSON-RPC-MESSAGE\n");
        return 2;
    }
    pcfmcp_engine_t *engine = NULL;
    char *response = NULL;
    pcfmcp_error_t rc = pcfmcp_engine_new(&engine, "adder", "1.0");
    if (rc == PCFMCP_OK)
        rc = pcfmcp_engine_add_tool(engine,
            "{\"name\":\"add\",\"description\":\"Adds a and b.\",\"inputSchema\":"
            "{\"type\":\"object\",\"properties\":{\"a\":{\"type\":\"number\"},"
            "\"b\":{\"type\":\"number\"}},\"required\":[\"a\",\"b\"]}}", add, NULL);
    if (rc == PCFMCP_OK)
        rc = pcfmcp_engine_answer(engine, argv[1], strlen(argv[1]), &response);
    if (rc == PCFMCP_OK && response)
        printf("%s\n", response); /* a notification has no response */
    pcfmcp_free(response);
    pcfmcp_engine_free(engine);
    return rc == PCFMCP_OK ? 0 : 1;
}
