/* pcf-mcp: a thin command-line front end over libpcfmcp's public API. */
#include "config.h"

#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pcfmcp/pcfmcp.h>

#include "cli/cli.h"

/* Builds the effective configuration: defaults < file < environment < flags.
 * Returns an exit status (0 = ok) after printing every problem. */
static int load_config(const cli_args *a, pcfmcp_config_t **out, bool resolve)
{
    pcfmcp_config_t *cfg = NULL;
    if (pcfmcp_config_new(&cfg) != PCFMCP_OK) {
        fprintf(stderr, "pcf-mcp: out of memory\n");
        return CLI_EXIT_RUNTIME;
    }
    int status = 0;
    if (a->config_file && pcfmcp_config_load_file(cfg, a->config_file) != PCFMCP_OK) {
        fprintf(stderr, "%s\n", pcfmcp_config_errmsg(cfg));
        status = CLI_EXIT_USAGE;
    }
    if (pcfmcp_config_load_env(cfg) != PCFMCP_OK) {
        fprintf(stderr, "%s\n", pcfmcp_config_errmsg(cfg));
        status = CLI_EXIT_USAGE;
    }
    for (size_t i = 0; i < a->nsettings; i++) {
        if (pcfmcp_config_set(cfg, a->settings[i].key, a->settings[i].value, PCFMCP_CONFIG_FLAG) !=
            PCFMCP_OK) {
            fprintf(stderr, "--%s: %s\n", a->settings[i].flag, pcfmcp_config_errmsg(cfg));
            status = CLI_EXIT_USAGE;
        }
    }
    if (resolve && pcfmcp_config_resolve_secrets(cfg) != PCFMCP_OK) {
        fprintf(stderr, "%s\n", pcfmcp_config_errmsg(cfg));
        status = CLI_EXIT_USAGE;
    }
    if (!status && pcfmcp_config_check(cfg) != PCFMCP_OK) {
        fprintf(stderr, "%s\n", pcfmcp_config_errmsg(cfg));
        status = CLI_EXIT_USAGE;
    }
    if (status) {
        pcfmcp_config_free(cfg);
        return status;
    }
    *out = cfg;
    return 0;
}

typedef struct {
    pcfmcp_server_t *server;
    const cli_args *args;
    sigset_t set;
} signal_ctx;

/* Signals are taken synchronously on their own thread, so stop and reload
 * run in ordinary thread context rather than inside a handler. */
static void *signal_thread(void *arg)
{
    signal_ctx *sc = arg;
    for (;;) {
        int sig = 0;
        if (sigwait(&sc->set, &sig) != 0)
            continue;
        if (sig == SIGHUP) {
            pcfmcp_config_t *cfg = NULL;
            if (load_config(sc->args, &cfg, true) != 0) {
                pcfmcp_logger_log(pcfmcp_server_logger(sc->server), PCFMCP_LOG_ERROR, "server",
                                  "reload refused: the configuration has errors (see above)", NULL);
                continue;
            }
            pcfmcp_server_reload(sc->server, cfg);
            pcfmcp_config_free(cfg);
        } else if (sig == SIGUSR2) {
            return NULL; /* main asks us to finish */
        } else {
            pcfmcp_logger_log(pcfmcp_server_logger(sc->server), PCFMCP_LOG_INFO, "server",
                              sig == SIGINT ? "SIGINT: shutting down" : "SIGTERM: shutting down",
                              NULL);
            pcfmcp_server_stop(sc->server);
        }
    }
}

static int cmd_serve(const cli_args *a)
{
    pcfmcp_config_t *cfg = NULL;
    int status = load_config(a, &cfg, true);
    if (status)
        return status;
    pcfmcp_server_t *server = NULL;
    pcfmcp_error_t rc = pcfmcp_server_new(&server, cfg);
    pcfmcp_config_free(cfg);
    if (rc != PCFMCP_OK) {
        fprintf(stderr, "pcf-mcp: %s\n", server ? pcfmcp_server_errmsg(server) : pcfmcp_strerror(rc));
        pcfmcp_server_free(server);
        return rc == PCFMCP_ERR_CONFIG || rc == PCFMCP_ERR_INVALID_ARG ? CLI_EXIT_USAGE
                                                                       : CLI_EXIT_RUNTIME;
    }
    signal_ctx sc = { .server = server, .args = a };
    sigemptyset(&sc.set);
    sigaddset(&sc.set, SIGINT);
    sigaddset(&sc.set, SIGTERM);
    sigaddset(&sc.set, SIGHUP);
    sigaddset(&sc.set, SIGUSR2);
    pthread_t th;
    bool have_thread = pthread_create(&th, NULL, signal_thread, &sc) == 0;
    rc = pcfmcp_server_run(server);
    if (have_thread) {
        pthread_kill(th, SIGUSR2);
        pthread_join(th, NULL);
    }
    if (rc != PCFMCP_OK && rc != PCFMCP_ERR_TIMEOUT)
        fprintf(stderr, "pcf-mcp: %s\n", pcfmcp_server_errmsg(server));
    pcfmcp_server_free(server);
    if (rc == PCFMCP_OK)
        return CLI_EXIT_OK;
    return rc == PCFMCP_ERR_TIMEOUT ? CLI_EXIT_UNCLEAN
           : rc == PCFMCP_ERR_CONFIG ? CLI_EXIT_USAGE
                                     : CLI_EXIT_RUNTIME;
}

static int cmd_config(const cli_args *a)
{
    if (a->npositional < 2) {
        fprintf(stderr, "pcf-mcp: config needs a subcommand: check [FILE], dump or reference\n");
        return CLI_EXIT_USAGE;
    }
    const char *sub = a->positional[1];
    if (strcmp(sub, "check") == 0) {
        cli_args copy = *a;
        if (a->npositional >= 3)
            copy.config_file = a->positional[2];
        /* Without a file: the environment and the flags, which is all a
         * desktop client's configuration is. */
        pcfmcp_config_t *cfg = NULL;
        int status = load_config(&copy, &cfg, true);
        if (status)
            return status;
        /* What the server itself would refuse (proxy networks, URLs ...). */
        char *errors = NULL;
        if (pcfmcp_server_check_config(cfg, &errors) != PCFMCP_OK) {
            fprintf(stderr, "%s\n", errors ? errors : "configuration refused");
            pcfmcp_free(errors);
            pcfmcp_config_free(cfg);
            return CLI_EXIT_USAGE;
        }
        /* Not refusals, but worth fixing: secrets every user can read. */
        const char *warnings = pcfmcp_config_warnings(cfg);
        for (const char *p = warnings; *p;) {
            size_t n = strcspn(p, "\n");
            fprintf(stderr, "pcf-mcp: warning: %.*s\n", (int)n, p);
            p += n + (p[n] ? 1 : 0);
        }
        pcfmcp_config_free(cfg);
        printf("%s: OK\n", copy.config_file ? copy.config_file : "environment and flags");
        return CLI_EXIT_OK;
    }
    if (strcmp(sub, "dump") == 0) {
        pcfmcp_config_t *cfg = NULL;
        int status = load_config(a, &cfg, true);
        if (status)
            return status;
        char *text = NULL;
        if (pcfmcp_config_dump(cfg, &text) != PCFMCP_OK) {
            pcfmcp_config_free(cfg);
            return CLI_EXIT_RUNTIME;
        }
        fputs(text, stdout);
        pcfmcp_free(text);
        pcfmcp_config_free(cfg);
        return CLI_EXIT_OK;
    }
    if (strcmp(sub, "reference") == 0)
        return cli_cmd_reference(a);
    fprintf(stderr, "pcf-mcp: unknown config subcommand \"%s\" (check, dump or reference)\n",
            sub);
    return CLI_EXIT_USAGE;
}

int main(int argc, char **argv)
{
    /* Before any thread exists: signals go to the signal thread only, and a
     * closed stdout becomes EPIPE instead of killing the process. */
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGUSR2);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);
#ifdef M_ARENA_MAX
    /* glibc gives every thread that allocates an arena of its own (up to 8
     * per core) and each keeps what its thread freed, so memory grew with
     * mcp.workers. Two arenas keep lock contention low without that; an
     * explicit MALLOC_ARENA_MAX still decides. */
    if (!getenv("MALLOC_ARENA_MAX"))
        mallopt(M_ARENA_MAX, 2);
#endif

    cli_args a;
    int status = cli_parse(argc, argv, &a);
    if (status >= 0) {
        cli_args_free(&a);
        return status;
    }
    if (a.help) {
        /* `serve --help` is about serve; `--help` alone lists the commands. */
        status = cli_help(a.npositional ? a.positional[0] : NULL);
        cli_args_free(&a);
        return status;
    }
    const char *cmd = a.npositional ? a.positional[0] : "serve";
    if (a.version || strcmp(cmd, "version") == 0) {
        printf("pcf-mcp %s\n", pcfmcp_version());
        status = CLI_EXIT_OK;
    } else if (strcmp(cmd, "serve") == 0) {
        status = a.npositional > 1 ? (fprintf(stderr, "pcf-mcp: serve takes no arguments\n"),
                                      CLI_EXIT_USAGE)
                                   : cmd_serve(&a);
    } else if (strcmp(cmd, "config") == 0) {
        status = cmd_config(&a);
    } else if (strcmp(cmd, "tools") == 0) {
        /* The same configuration as serve, so the listing is what a client gets. */
        pcfmcp_config_t *cfg = NULL;
        status = load_config(&a, &cfg, true);
        if (!status)
            status = cli_cmd_tools(&a, cfg);
        pcfmcp_config_free(cfg);
    } else if (strcmp(cmd, "keys") == 0) {
        status = cli_cmd_keys(&a);
    } else if (strcmp(cmd, "help") == 0) {
        status = cli_help(a.npositional > 1 ? a.positional[1] : NULL);
    } else {
        status = cli_unknown_command(cmd);
    }
    cli_args_free(&a);
    return status;
}
