/* An MCP server with one tool of your own, over stdio: the embedding
 * guide's example (docs/mainpage.md). Try it with any MCP client, e.g.
 *   claude mcp add hello -- /path/to/hello-tool */
#include <stdio.h>
#include <string.h>

#include <pcfmcp/pcfmcp.h>

static pcfmcp_error_t greet(pcfmcp_ctx_t *ctx, const char *args, size_t len,
                            pcfmcp_result_t *result, void *userdata)
{
    char *name = NULL, text[256];
    (void)ctx, (void)userdata;
    if (pcfmcp_args_get_string(args, len, "name", &name) != PCFMCP_OK)
        return pcfmcp_result_set_error(result, "name must be a string");
    snprintf(text, sizeof(text), "Hello, %s!", name);
    pcfmcp_free(name);
    return pcfmcp_result_add_text(result, text, strlen(text));
}

int main(void)
{
    pcfmcp_engine_t *engine = NULL;
    pcfmcp_stdio_t *io = NULL;
    pcfmcp_error_t rc = pcfmcp_engine_new(&engine, "hello", "1.0");
    if (rc == PCFMCP_OK)
        rc = pcfmcp_engine_add_tool(engine,
            "{\"name\":\"greet\",\"description\":\"Greets someone.\",\"inputSchema\":"
            "{\"type\":\"object\",\"properties\":{\"name\":{\"type\":\"string\"}},"
            "\"required\":[\"name\"]}}", greet, NULL);
    if (rc == PCFMCP_OK)
        rc = pcfmcp_stdio_new(&io, engine, 0, 1); /* stdin, stdout */
    if (rc == PCFMCP_OK)
        rc = pcfmcp_stdio_run(io); /* until the client closes stdin */
    if (rc != PCFMCP_OK)
        fprintf(stderr, "hello: %s\n", pcfmcp_strerror(rc));
    pcfmcp_stdio_free(io);
    pcfmcp_engine_free(engine);
    return rc == PCFMCP_OK ? 0 : 1;
}
