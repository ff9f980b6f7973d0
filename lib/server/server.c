#include "core/internal.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <pcfmcp/config.h>
#include <pcfmcp/server.h>
#include <pcfmcp/stdio.h>
#include <pcfmcp/version.h>

#include "core/alloc.h"
#include "hardening/log.h"
#include "server/server_internal.h"

static void setf(pcfmcp_server_t *s, const char *fmt, ...) PCFMCP_PRINTF(2, 3);

static void setf(pcfmcp_server_t *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->errmsg, sizeof(s->errmsg), fmt, ap);
    va_end(ap);
}

PCFMCP_API const char *pcfmcp_server_errmsg(const pcfmcp_server_t *s)
{
    if (!s)
        return "no server";
    return s->errmsg[0] ? s->errmsg : "no error";
}

PCFMCP_API pcfmcp_logger_t *pcfmcp_server_logger(pcfmcp_server_t *s)
{
    return s ? s->log : NULL;
}

PCFMCP_API pcfmcp_engine_t *pcfmcp_server_engine(pcfmcp_server_t *s)
{
    return s ? s->engine : NULL;
}

/* Every secret of the configuration is registered with the logger before
 * anything else can log, so no later line can leak one. */
static void register_secrets(pcfmcp_server_t *s)
{
    for (size_t i = 0; i < pcfmcp_config_key_count(); i++) {
        const char *name = NULL;
        pcfmcp_config_type_t type;
        pcfmcp_config_key_info(i, &name, &type, NULL, NULL, NULL, NULL);
        if (type != PCFMCP_CONFIG_SECRET)
            continue;
        const char *v = pcfmcp_config_get(s->config, name);
        if (v && strlen(v) >= 4)
            pcfmcp_logger_add_secret(s->log, v);
    }
}

static pcfmcp_error_t apply_log_settings(pcfmcp_logger_t *lg, const pcfmcp_config_t *cfg)
{
    pcfmcp_log_level_t level;
    if (pcfmcp_log_level_parse(pcfmcp_config_get(cfg, "log.level"), &level) != PCFMCP_OK)
        return PCFMCP_ERR_CONFIG;
    pcfmcp_logger_set_level(lg, level);
    const char *fmt = pcfmcp_config_get(cfg, "log.format");
    pcfmcp_logger_set_format(lg, strcmp(fmt, "text") == 0 ? PCFMCP_LOG_FORMAT_TEXT
                                                          : PCFMCP_LOG_FORMAT_JSON);
    return PCFMCP_OK;
}

static pcfmcp_error_t build_engine(pcfmcp_server_t *s)
{
    const pcfmcp_config_t *c = s->config;
    pcfmcp_error_t rc = pcfmcp_engine_new(&s->engine, "pcf-mcp", PCFMCP_VERSION);
    if (rc != PCFMCP_OK)
        return rc;
    pcfmcp_engine_set_logger(s->engine, s->log);
    pcfmcp_engine_set_info(s->engine,
                           "{\"title\":\"PCF MCP server\",\"description\":\"Pentest Collaboration "
                           "Framework projects, hosts, ports, issues and reports for AI assistants\"}");
    if ((rc = pcfmcp_engine_set_page_size(s->engine, (unsigned)pcfmcp_config_get_int(c, "mcp.page_size"))) ||
        (rc = pcfmcp_engine_set_limits(s->engine, (unsigned)pcfmcp_config_get_int(c, "mcp.max_json_depth"), 64)) ||
        (rc = pcfmcp_engine_set_request_timeout(
             s->engine, (unsigned)pcfmcp_config_get_int(c, "mcp.client_request_timeout"))) ||
        (rc = pcfmcp_engine_set_threads(s->engine, (unsigned)pcfmcp_config_get_int(c, "mcp.workers"),
                                        (unsigned)pcfmcp_config_get_int(c, "mcp.queue"))))
        setf(s, "engine set-up failed: %s", pcfmcp_engine_errmsg(s->engine));
    return rc;
}

PCFMCP_API pcfmcp_error_t pcfmcp_server_new(pcfmcp_server_t **out, const pcfmcp_config_t *config)
{
    if (!out || !config)
        return PCFMCP_ERR_INVALID_ARG;
    pcfmcp_server_t *s = pcfmcp__calloc(1, sizeof(*s));
    if (!s)
        return PCFMCP_ERR_NOMEM;
    *out = s;
    pcfmcp_error_t rc = pcfmcp_global_init();
    if (rc != PCFMCP_OK) {
        setf(s, "library initialisation failed: %s", pcfmcp_strerror(rc));
        return rc;
    }
    s->global_init = true;
    if ((rc = pcfmcp_config_copy(&s->config, config)) != PCFMCP_OK ||
        (rc = pcfmcp_logger_new(&s->log)) != PCFMCP_OK)
        return rc;
    register_secrets(s);
    if (apply_log_settings(s->log, s->config) != PCFMCP_OK) {
        setf(s, "log.level: invalid value");
        return PCFMCP_ERR_CONFIG;
    }
    if ((rc = build_engine(s)) != PCFMCP_OK)
        return rc;
    if ((rc = pcfmcp__server_setup_components(s)) != PCFMCP_OK)
        return rc;
    return PCFMCP_OK;
}

PCFMCP_API void pcfmcp_server_free(pcfmcp_server_t *s)
{
    if (!s)
        return;
    pcfmcp__server_teardown_components(s);
    pcfmcp_stdio_free(s->stdio);
    pcfmcp_engine_free(s->engine);
    pcfmcp__server_release_parts(s);
    pcfmcp_logger_unref(s->log);
    pcfmcp_config_free(s->config);
    if (s->global_init)
        pcfmcp_global_cleanup();
    pcfmcp__free(s);
}

static pcfmcp_error_t run_stdio(pcfmcp_server_t *s)
{
    pcfmcp_error_t rc = pcfmcp_stdio_new(&s->stdio, s->engine, STDIN_FILENO, STDOUT_FILENO);
    if (rc != PCFMCP_OK)
        return rc;
    pcfmcp_stdio_set_logger(s->stdio, s->log);
    pcfmcp_stdio_set_max_line(s->stdio, (size_t)pcfmcp_config_get_int(s->config, "stdio.max_line_bytes"));
    pcfmcp_stdio_set_identity(s->stdio, s->stdio_identity);
    /* A stop that arrived before the transport existed still counts. */
    if (atomic_load(&s->stopping))
        return PCFMCP_OK;
    PCFMCP_LOG(s->log, PCFMCP_LOG_INFO, "server", "pcf-mcp %s serving MCP on stdio", PCFMCP_VERSION);
    rc = pcfmcp_stdio_run(s->stdio);
    PCFMCP_LOG(s->log, PCFMCP_LOG_INFO, "server", "stdio session ended (%s)", pcfmcp_strerror(rc));
    return rc;
}

PCFMCP_API pcfmcp_error_t pcfmcp_server_run(pcfmcp_server_t *s)
{
    if (!s || !s->engine)
        return PCFMCP_ERR_INVALID_ARG;
    const char *transport = pcfmcp_config_get(s->config, "server.transport");
    if (strcmp(transport, "stdio") == 0)
        return run_stdio(s);
    return pcfmcp__server_run_transport(s, transport);
}

PCFMCP_API void pcfmcp_server_stop(pcfmcp_server_t *s)
{
    if (!s)
        return;
    atomic_store(&s->stopping, true);
    if (s->stdio)
        pcfmcp_stdio_stop(s->stdio);
    pcfmcp__server_stop_transport(s);
}

PCFMCP_API pcfmcp_error_t pcfmcp_server_reload(pcfmcp_server_t *s, const pcfmcp_config_t *config)
{
    if (!s || !config)
        return PCFMCP_ERR_INVALID_ARG;
    pcfmcp_log_level_t level;
    if (pcfmcp_log_level_parse(pcfmcp_config_get(config, "log.level"), &level) != PCFMCP_OK) {
        PCFMCP_LOG(s->log, PCFMCP_LOG_ERROR, "server", "reload refused: log.level is invalid");
        return PCFMCP_ERR_CONFIG;
    }
    pcfmcp_error_t rc = pcfmcp__server_reload_components(s, config);
    if (rc != PCFMCP_OK)
        return rc;
    pcfmcp_log_level_t old = pcfmcp_logger_get_level(s->log);
    if (old != level) {
        pcfmcp_logger_set_level(s->log, level);
        PCFMCP_LOG(s->log, PCFMCP_LOG_WARN, "server", "reload: log.level %s -> %s",
                   pcfmcp_log_level_name(old), pcfmcp_log_level_name(level));
    } else {
        PCFMCP_LOG(s->log, PCFMCP_LOG_INFO, "server", "reload: log.level unchanged (%s)",
                   pcfmcp_log_level_name(level));
    }
    return PCFMCP_OK;
}
