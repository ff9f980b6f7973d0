/* `pcf-mcp tools`: the tools a client gets, rendered from the registry of
 * the server `serve` would run with the same configuration, so neither the
 * listing nor the documentation can drift from what is offered. */
#include "config.h"

#include <string.h>

#include <cjson/cJSON.h>
#include <pcfmcp/pcfmcp.h>

#include "cli/cli.h"

static const char *type_of(const cJSON *schema)
{
    const cJSON *t = cJSON_GetObjectItemCaseSensitive(schema, "type");
    if (cJSON_IsString(t))
        return t->valuestring;
    if (cJSON_GetObjectItemCaseSensitive(schema, "enum"))
        return "enum";
    return "any";
}

static bool is_required(const cJSON *input, const char *name)
{
    const cJSON *r;
    cJSON_ArrayForEach(r, cJSON_GetObjectItemCaseSensitive(input, "required"))
        if (cJSON_IsString(r) && strcmp(r->valuestring, name) == 0)
            return true;
    return false;
}

static const char *str(const cJSON *o, const char *k)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    return cJSON_IsString(v) ? v->valuestring : "";
}

static bool hint(const cJSON *tool, const char *k)
{
    return cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(
        cJSON_GetObjectItemCaseSensitive(tool, "annotations"), k));
}

/* roff needs leading dots and backslashes escaped. */
static void roff(FILE *f, const char *s)
{
    if (*s == '.' || *s == '\'')
        fputs("\\&", f);
    for (; *s; s++) {
        if (*s == '\\')
            fputs("\\e", f);
        else if (*s == '\n' && (s[1] == '.' || s[1] == '\'')) {
            fputs("\n\\&", f);
        } else
            fputc(*s, f);
    }
}

static void render(FILE *f, const cJSON *tools, const char *format)
{
    bool md = strcmp(format, "markdown") == 0, man = strcmp(format, "man") == 0;
    const cJSON *tool;
    if (md)
        fprintf(f, "| Tool | Title | Read-only | Destructive |\n|---|---|---|---|\n");
    if (md)
        cJSON_ArrayForEach(tool, tools) fprintf(f, "| [`%s`](#%s) | %s | %s | %s |\n",
                                               str(tool, "name"), str(tool, "name"), str(tool, "title"),
                                               hint(tool, "readOnlyHint") ? "yes" : "no",
                                               hint(tool, "destructiveHint") ? "yes" : "no");
    cJSON_ArrayForEach(tool, tools) {
        const cJSON *input = cJSON_GetObjectItemCaseSensitive(tool, "inputSchema");
        const cJSON *props = cJSON_GetObjectItemCaseSensitive(input, "properties");
        if (md) {
            fprintf(f, "\n### %s\n\n**%s**%s\n\n%s\n", str(tool, "name"), str(tool, "title"),
                    hint(tool, "readOnlyHint") ? " (read-only)" : "", str(tool, "description"));
            if (cJSON_GetArraySize(props) > 0)
                fprintf(f, "\n| Argument | Type | Required | Description |\n|---|---|---|---|\n");
        } else if (man) {
            fprintf(f, ".TP\n.B %s\n", str(tool, "name"));
            roff(f, str(tool, "title"));
            fputs(". ", f);
            roff(f, str(tool, "description"));
            fputc('\n', f);
        } else {
            fprintf(f, "%s — %s\n", str(tool, "name"), str(tool, "title"));
        }
        const cJSON *p;
        cJSON_ArrayForEach(p, props) {
            bool req = is_required(input, p->string);
            if (md) {
                char desc[1024];
                snprintf(desc, sizeof(desc), "%s", str(p, "description"));
                for (char *c = desc; *c; c++)
                    if (*c == '|' || *c == '\n')
                        *c = ' ';
                fprintf(f, "| `%s` | %s | %s | %s |\n", p->string, type_of(p), req ? "yes" : "no",
                        desc);
            } else if (man) {
                fprintf(f, ".br\n\\fI%s\\fR (%s%s): ", p->string, type_of(p), req ? ", required" : "");
                roff(f, str(p, "description"));
                fputc('\n', f);
            } else {
                fprintf(f, "    %s%s (%s): %s\n", p->string, req ? "*" : "", type_of(p),
                        str(p, "description"));
            }
        }
    }
}

int cli_cmd_tools(const cli_args *a, pcfmcp_config_t *cfg)
{
    const char *format = a->format ? a->format : "text";
    if (strcmp(format, "text") != 0 && strcmp(format, "markdown") != 0 &&
        strcmp(format, "man") != 0 && strcmp(format, "json") != 0) {
        fprintf(stderr, "pcf-mcp: --format must be text, markdown, man or json\n");
        return CLI_EXIT_USAGE;
    }
    /* The server serve would build, from the same configuration: one code
     * path decides what is offered (gates, credentials, channels). Nothing
     * is contacted; only the log is kept quiet. */
    pcfmcp_config_set(cfg, "log.level", "error", PCFMCP_CONFIG_API);
    pcfmcp_server_t *server = NULL;
    pcfmcp_error_t rc = pcfmcp_server_new(&server, cfg);
    if (rc != PCFMCP_OK) {
        fprintf(stderr, "pcf-mcp: %s\n", server ? pcfmcp_server_errmsg(server) : pcfmcp_strerror(rc));
        pcfmcp_server_free(server);
        return rc == PCFMCP_ERR_CONFIG || rc == PCFMCP_ERR_INVALID_ARG ? CLI_EXIT_USAGE
                                                                       : CLI_EXIT_RUNTIME;
    }
    char *json = NULL;
    rc = pcfmcp_engine_tools_json(pcfmcp_server_engine(server), &json);
    pcfmcp_server_free(server);
    if (rc != PCFMCP_OK)
        return CLI_EXIT_RUNTIME;
    cJSON *tools = cJSON_Parse(json);
    if (strcmp(format, "json") == 0) {
        char *pretty = cJSON_Print(tools);
        if (pretty)
            printf("%s\n", pretty);
        cJSON_free(pretty);
    } else {
        render(stdout, tools, format);
    }
    cJSON_Delete(tools);
    pcfmcp_free(json);
    return CLI_EXIT_OK;
}
