/* Shared pieces of the pcf-mcp command line. */
#ifndef PCFMCP_CLI_H
#define PCFMCP_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

enum {
    CLI_EXIT_OK = 0,
    CLI_EXIT_RUNTIME = 1,
    CLI_EXIT_USAGE = 2,
    CLI_EXIT_UNCLEAN = 3
};

typedef struct {
    const char *key;   /* configuration key */
    const char *flag;  /* as typed, without dashes */
    const char *value;
    char *owned_flag;  /* copy of the flag when it came as --flag=value */
} cli_setting;

typedef struct {
    const char *config_file;
    const char *format; /* tools --format */
    bool help;
    bool version;
    cli_setting *settings;
    size_t nsettings;
    const char **positional;
    size_t npositional;
} cli_args;

/* Parses argv. Returns -1 to go on, or an exit status after printing a usage error. */
int cli_parse(int argc, char **argv, cli_args *out);
void cli_args_free(cli_args *a);
/* help.c: every setting with its flag and environment variable. */
void cli_print_key_flags(FILE *f);
/* Prints the help of @p command (NULL: the global help); exit status. */
int cli_help(const char *command);
/* "unknown command", with the nearest command when one is close. */
int cli_unknown_command(const char *cmd);
/* For a flag naming a secret (--pcf-token): says how to give it instead and
 * returns the exit status; -1 when @p name is no secret's flag. */
int cli_secret_flag(const char *name, size_t n);
/* `tools`: what a client of `serve` gets with @p cfg (consumed by the caller). */
struct pcfmcp_config;
int cli_cmd_tools(const cli_args *a, struct pcfmcp_config *cfg);
int cli_cmd_keys(const cli_args *a);
/* `config reference --format man|markdown`: the configuration reference. */
int cli_cmd_reference(const cli_args *a);

#endif
