#include "config.h"

#include <stdlib.h>
#include <string.h>

#include <pcfmcp/pcfmcp.h>

#include "cli/cli.h"

/* Finds the configuration key whose flag is `name` (length n). */
static const char *key_for_flag(const char *name, size_t n, pcfmcp_config_type_t *type)
{
    for (size_t i = 0; i < pcfmcp_config_key_count(); i++) {
        const char *key = NULL, *flag = NULL;
        pcfmcp_config_key_info(i, &key, type, NULL, NULL, &flag, NULL);
        if (flag && strlen(flag) == n && strncmp(flag, name, n) == 0)
            return key;
    }
    return NULL;
}

/* The flag a mistyped `--name` most likely meant, or NULL. */
static const char *nearest_flag(const char *name, size_t n)
{
    static const char *const own[] = { "help", "version", "config", "format" };
    return pcfmcp_config_suggest_flag(name, n, own, sizeof(own) / sizeof(own[0]));
}

static int unknown_option(const char *arg, const char *name, size_t n)
{
    int secret = name ? cli_secret_flag(name, n) : -1;
    if (secret >= 0)
        return secret;
    const char *near = name ? nearest_flag(name, n) : NULL;
    /* "--flag=value" is named without its value: a mistyped secret flag
     * must not be echoed into a terminal log. */
    char shown[160];
    if (name)
        snprintf(shown, sizeof(shown), "--%.*s", (int)n, name);
    else
        snprintf(shown, sizeof(shown), "%s", arg);
    if (near)
        fprintf(stderr, "pcf-mcp: unknown option %s; did you mean --%s? (try --help)\n", shown, near);
    else
        fprintf(stderr, "pcf-mcp: unknown option %s (try --help)\n", shown);
    return CLI_EXIT_USAGE;
}

static int fail(const char *what, const char *arg)
{
    fprintf(stderr, "pcf-mcp: %s %s (try --help)\n", what, arg);
    return CLI_EXIT_USAGE;
}

int cli_parse(int argc, char **argv, cli_args *a)
{
    memset(a, 0, sizeof(*a));
    a->settings = calloc((size_t)argc + 1, sizeof(*a->settings));
    a->positional = calloc((size_t)argc + 1, sizeof(*a->positional));
    if (!a->settings || !a->positional) {
        fprintf(stderr, "pcf-mcp: out of memory\n");
        return CLI_EXIT_RUNTIME;
    }
    bool only_positional = false;
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (only_positional || arg[0] != '-' || !arg[1]) {
            a->positional[a->npositional++] = arg;
            continue;
        }
        if (strcmp(arg, "--") == 0) {
            only_positional = true;
            continue;
        }
        if (strcmp(arg, "-h") == 0 || strcmp(arg, "--help") == 0) {
            a->help = true;
            continue;
        }
        if (strcmp(arg, "-V") == 0 || strcmp(arg, "--version") == 0) {
            a->version = true;
            continue;
        }
        const char *name = arg[1] == '-' ? arg + 2 : NULL;
        const char *eq = name ? strchr(name, '=') : NULL;
        size_t nlen = name ? (eq ? (size_t)(eq - name) : strlen(name)) : 0;
        const char *inline_val = eq ? eq + 1 : NULL;
        bool is_config = strcmp(arg, "-c") == 0 || (name && nlen == 6 && !strncmp(name, "config", 6));
        bool is_format = name && nlen == 6 && !strncmp(name, "format", 6);
        if (is_config || is_format) {
            const char *v = inline_val;
            if (!v) {
                if (i + 1 >= argc)
                    return fail("missing value for", arg);
                v = argv[++i];
            }
            if (is_config)
                a->config_file = v;
            else
                a->format = v;
            continue;
        }
        if (!name)
            return unknown_option(arg, NULL, 0);
        pcfmcp_config_type_t type;
        const char *key = key_for_flag(name, nlen, &type);
        if (!key)
            return unknown_option(arg, name, nlen);
        const char *v = inline_val;
        if (!v) {
            if (type == PCFMCP_CONFIG_BOOL) {
                v = "true"; /* --read-only means --read-only=true */
            } else {
                if (i + 1 >= argc)
                    return fail("missing value for", arg);
                v = argv[++i];
            }
        }
        cli_setting *s = &a->settings[a->nsettings++];
        s->key = key;
        s->value = v;
        s->flag = name;
        /* Keep the flag name without "=value" for messages. */
        if (eq && (s->owned_flag = strndup(name, nlen)) != NULL)
            s->flag = s->owned_flag;
    }
    return -1;
}

void cli_args_free(cli_args *a)
{
    for (size_t i = 0; a->settings && i < a->nsettings; i++)
        free(a->settings[i].owned_flag);
    free(a->settings);
    free(a->positional);
    memset(a, 0, sizeof(*a));
}
