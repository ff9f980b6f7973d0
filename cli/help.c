/* `pcf-mcp --help`, `pcf-mcp COMMAND --help`, and the hints given for a
 * misspelt command or a secret passed as a flag. Every setting is listed
 * from the key table with its own flag and environment variable. */
#include "config.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <pcfmcp/pcfmcp.h>

#include "cli/cli.h"

static const char *const commands[] = { "serve", "config", "tools", "keys", "version", "help" };

static void usage_global(FILE *f)
{
    fprintf(f,
            "Usage: pcf-mcp [OPTIONS] [COMMAND]\n"
            "\n"
            "An MCP server for the Pentest Collaboration Framework (PCF).\n"
            "\n"
            "Commands (pcf-mcp COMMAND --help says more):\n"
            "  serve                 serve MCP (the default command)\n"
            "  config check [FILE]   validate the configuration: FILE (or --config FILE),\n"
            "                        the environment and the flags, as serve would\n"
            "  config dump           print the effective configuration, secrets redacted\n"
            "  config reference [--format man|man-flags|markdown]\n"
            "                        print the configuration reference (pcf-mcp.conf(5))\n"
            "  tools [--format F]    print the tools a client gets with this configuration\n"
            "                        (F: text, markdown, man, json)\n"
            "  keys new NAME         make an API key: the key on stderr, its keys-file line on stdout\n"
            "  keys hash NAME        the keys-file line for a key read from standard input\n"
            "  version               print the version\n"
            "\n"
            "Options:\n"
            "  -c, --config FILE     read settings from a YAML file\n"
            "  -h, --help            show this help and exit\n"
            "  -V, --version         show the version and exit\n"
            "  --SECTION-KEY VALUE   any setting (pcf-mcp serve --help lists them all)\n"
            "\n"
            "Exit status: 0 success; 1 runtime failure; 2 usage or configuration error;\n"
            "3 stopped with requests that had to be cancelled.\n"
            "See pcf-mcp(1) and pcf-mcp.conf(5).\n");
}

/* The environment variable of a key: PCF_MCP_ and the key in upper case
 * with dots as underscores (the key table's rule, pcfmcp.conf(5)). */
static const char *env_of(size_t i)
{
    const char *env = NULL;
    pcfmcp_config_key_info(i, NULL, NULL, NULL, &env, NULL, NULL);
    return env ? env : "";
}

void cli_print_key_flags(FILE *f)
{
    fprintf(f, "\nSettings: each is a flag, an environment variable (shown after it) and a\n"
               "key of the file. Precedence: flags > environment > file > defaults.\n");
    char section[32] = "";
    for (size_t i = 0; i < pcfmcp_config_key_count(); i++) {
        const char *key = NULL, *flag = NULL, *def = NULL, *doc = NULL;
        pcfmcp_config_type_t type;
        pcfmcp_config_key_info(i, &key, &type, &def, NULL, &flag, &doc);
        size_t sl = strcspn(key, ".");
        if (strlen(section) != sl || strncmp(section, key, sl) != 0) {
            snprintf(section, sizeof(section), "%.*s", (int)sl, key);
            fprintf(f, "\n%s:\n", section);
        }
        char left[96];
        if (flag)
            snprintf(left, sizeof(left), "--%s%s", flag,
                     type == PCFMCP_CONFIG_BOOL ? "[=BOOL]" : " VALUE");
        else
            snprintf(left, sizeof(left), "(secret, no flag)");
        fprintf(f, "  %-34s %s\n      %s", left, env_of(i), doc);
        if (def && *def)
            fprintf(f, " [%s]", def);
        fputc('\n', f);
    }
}

static void usage_serve(FILE *f)
{
    fprintf(f,
            "Usage: pcf-mcp [OPTIONS] serve\n"
            "\n"
            "Serves MCP until the client goes away (stdio, the default) or SIGTERM\n"
            "(--transport http). SIGHUP reloads the configuration.\n"
            "\n"
            "Options:\n"
            "  -c, --config FILE     read settings from a YAML file\n"
            "  -h, --help            show this help and exit\n");
    cli_print_key_flags(f);
    fprintf(f,
            "\n"
            "Secrets (PCF_MCP_PCF_TOKEN, PCF_MCP_PCF_PASSWORD, ...) take no flag, so they\n"
            "never show in a process list: set the variable, the key in the file, or name\n"
            "a file holding the secret with its *_file setting (--pcf-token-file FILE).\n"
            "See pcf-mcp(1) and pcf-mcp.conf(5).\n");
}

static void usage_config(FILE *f)
{
    fprintf(f,
            "Usage: pcf-mcp [OPTIONS] config check [FILE]\n"
            "       pcf-mcp [OPTIONS] config dump\n"
            "       pcf-mcp config reference [--format man|man-flags|markdown]\n"
            "\n"
            "check  validates what serve would use (FILE or --config FILE, the environment,\n"
            "       the flags, secret files) and refuses exactly what serve refuses; every\n"
            "       error names the file and line, the variable or the flag, and the key.\n"
            "dump   prints the effective configuration, secrets redacted, with the source\n"
            "       of every value.\n"
            "reference prints pcf-mcp.conf(5) (man) or docs/configuration.md (markdown).\n");
}

static void usage_tools(FILE *f)
{
    fprintf(f, "Usage: pcf-mcp [OPTIONS] tools [--format text|markdown|man|json]\n"
               "\n"
               "Prints the tools a client of serve gets with this configuration (the\n"
               "credentials, --read-only, --tools-allow, ...), from the live registry.\n");
}

static void usage_keys(FILE *f)
{
    fprintf(f, "Usage: pcf-mcp keys new NAME >> KEYS_FILE\n"
               "       pcf-mcp keys hash NAME < KEY\n"
               "\n"
               "API keys for the HTTP transport (auth.api_keys_file). The file holds only\n"
               "hashes: a new key is shown once, on stderr.\n");
}

int cli_help(const char *command)
{
    if (!command)
        usage_global(stdout);
    else if (strcmp(command, "serve") == 0)
        usage_serve(stdout);
    else if (strcmp(command, "config") == 0)
        usage_config(stdout);
    else if (strcmp(command, "tools") == 0)
        usage_tools(stdout);
    else if (strcmp(command, "keys") == 0)
        usage_keys(stdout);
    else if (strcmp(command, "version") == 0 || strcmp(command, "help") == 0)
        usage_global(stdout);
    else
        return cli_unknown_command(command);
    return CLI_EXIT_OK;
}

int cli_unknown_command(const char *cmd)
{
    /* The library's typo matcher, over the flags and the commands: only a
     * command is a useful answer here. */
    size_t n = sizeof(commands) / sizeof(commands[0]);
    const char *near = pcfmcp_config_suggest_flag(cmd, strlen(cmd), commands, n);
    bool is_command = false;
    for (size_t i = 0; near && i < n; i++)
        is_command |= near == commands[i];
    if (is_command)
        fprintf(stderr, "pcf-mcp: unknown command \"%s\"; did you mean \"%s\"? (try --help)\n",
                cmd, near);
    else
        fprintf(stderr, "pcf-mcp: unknown command \"%s\" (try --help)\n", cmd);
    return CLI_EXIT_USAGE;
}

int cli_secret_flag(const char *name, size_t n)
{
    for (size_t i = 0; i < pcfmcp_config_key_count(); i++) {
        const char *key = NULL, *flag = NULL;
        pcfmcp_config_type_t type;
        pcfmcp_config_key_info(i, &key, &type, NULL, NULL, &flag, NULL);
        if (type != PCFMCP_CONFIG_SECRET || flag)
            continue;
        /* The flag the secret would have: pcf.token -> pcf-token. */
        char would[96];
        snprintf(would, sizeof(would), "%s", key);
        for (char *p = would; *p; p++)
            if (*p == '.' || *p == '_')
                *p = '-';
        if (strlen(would) != n || strncmp(would, name, n) != 0)
            continue;
        char file_key[112];
        snprintf(file_key, sizeof(file_key), "%s_file", key);
        const char *file_flag = NULL, *file_env = NULL;
        for (size_t j = 0; j < pcfmcp_config_key_count(); j++) {
            const char *k = NULL;
            pcfmcp_config_key_info(j, &k, NULL, NULL, NULL, NULL, NULL);
            if (strcmp(k, file_key) == 0)
                pcfmcp_config_key_info(j, NULL, NULL, NULL, &file_env, &file_flag, NULL);
        }
        char tail[256] = "";
        if (file_flag)
            snprintf(tail, sizeof(tail), ", or name a file holding it with --%s FILE (%s)",
                     file_flag, file_env ? file_env : "");
        /* Named without its value: that is the secret. */
        fprintf(stderr,
                "pcf-mcp: --%.*s: %s is a secret and takes no flag, so it never shows in a "
                "process list; set %s in the environment%s\n",
                (int)n, name, key, env_of(i), tail);
        return CLI_EXIT_USAGE;
    }
    return -1;
}
