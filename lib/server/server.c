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
#include "core/buf.h"
#include "core/config_keys.h"
#include "core/config_typed.h"
#include "core/error.h"
#include "core/log.h"
#include "server/guards.h"
#include "server/server_internal.h"

PCFMCP_API const char *pcfmcp_server_errmsg(const pcfmcp_server_t *s)
{
    if (!s)
        return "no server";
    return pcfmcp__errmsg(s);
}

PCFMCP_API pcfmcp_logger_t *pcfmcp_server_logger(pcfmcp_server_t *s)
{
    return s ? s->log : NULL;
}

PCFMCP_API pcfmcp_engine_t *pcfmcp_server_engine(pcfmcp_server_t *s)
{
    return s ? s->engine : NULL;
}

/* Every secret of a configuration is registered with the logger before
 * anything else can log, so no later line can leak one. */
static void register_secrets(pcfmcp_logger_t *log, const pcfmcp_config_t *cfg)
{
    for (size_t i = 0; i < pcfmcp_config_key_count(); i++) {
        const char *name = NULL;
        pcfmcp_config_type_t type;
        pcfmcp_config_key_info(i, &name, &type, NULL, NULL, NULL, NULL);
        if (type != PCFMCP_CONFIG_SECRET)
            continue;
        const char *v = pcfmcp__config_str_at(cfg, i);
        if (v && strlen(v) >= 4)
            pcfmcp_logger_add_secret(log, v);
    }
}

static pcfmcp_error_t apply_log_settings(pcfmcp_logger_t *lg, const pcfmcp_config_t *cfg)
{
    pcfmcp_log_level_t level;
    if (pcfmcp_log_level_parse(pcfmcp__cfg_log_level(cfg), &level) != PCFMCP_OK)
        return PCFMCP_ERR_CONFIG;
    pcfmcp_logger_set_level(lg, level);
    const char *fmt = pcfmcp__cfg_log_format(cfg);
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
    if ((rc = pcfmcp_engine_set_page_size(s->engine, (unsigned)pcfmcp__cfg_mcp_page_size(c))) ||
        (rc = pcfmcp_engine_set_limits(s->engine, (unsigned)pcfmcp__cfg_mcp_max_json_depth(c), 64)) ||
        (rc = pcfmcp_engine_set_request_timeout(
             s->engine, (unsigned)pcfmcp__cfg_mcp_client_request_timeout(c))) ||
        (rc = pcfmcp_engine_set_threads(s->engine, (unsigned)pcfmcp__cfg_mcp_workers(c),
                                        (unsigned)pcfmcp__cfg_mcp_queue(c))))
        pcfmcp__fail(s, rc, "engine set-up failed: %s", pcfmcp_engine_errmsg(s->engine));
    return rc;
}

PCFMCP_API pcfmcp_error_t pcfmcp_server_new(pcfmcp_server_t **out, const pcfmcp_config_t *config)
{
    if (!out || !config)
        return PCFMCP_ERR_INVALID_ARG;
    pcfmcp_server_t *s = pcfmcp__calloc(1, sizeof(*s));
    if (!s)
        return PCFMCP_ERR_NOMEM;
    s->stdio_in = STDIN_FILENO;
    s->stdio_out = STDOUT_FILENO;
    pthread_mutex_init(&s->reload_lock, NULL);
    *out = s;
    pcfmcp_error_t rc = pcfmcp_global_init();
    if (rc != PCFMCP_OK) {
        pcfmcp__fail(s, rc, "library initialisation failed: %s", pcfmcp_strerror(rc));
        return rc;
    }
    s->global_init = true;
    /* Everything `config check` refuses is refused here, by the same code,
     * before anything is built. */
    char *errors = NULL;
    if ((rc = pcfmcp__server_validate(config, &errors)) != PCFMCP_OK) {
        pcfmcp__fail(s, rc, "%s", errors ? errors : pcfmcp_strerror(rc));
        pcfmcp__free(errors);
        return rc;
    }
    if ((rc = pcfmcp_config_copy(&s->config, config)) != PCFMCP_OK ||
        (rc = pcfmcp_logger_new(&s->log)) != PCFMCP_OK)
        return rc;
    register_secrets(s->log, s->config);
    if (apply_log_settings(s->log, s->config) != PCFMCP_OK) {
        pcfmcp__fail(s, PCFMCP_ERR_CONFIG, "log.level: invalid value");
        return PCFMCP_ERR_CONFIG;
    }
    if ((rc = build_engine(s)) != PCFMCP_OK)
        return rc;
    if ((rc = pcfmcp__guards_new(s)) != PCFMCP_OK)
        return rc;
    /* stdio has no admission step: per-caller limits would apply in the
     * engine, but only when asked for (rate_limit.stdio): its one client is
     * held back by the pipe instead. */
    pcfmcp__guards_limits_in_engine(s, strcmp(pcfmcp__cfg_server_transport(s->config), "stdio") == 0 &&
                                           pcfmcp__cfg_rate_limit_stdio(s->config));
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
    /* The engine first: its workers may still be finishing cancelled calls
     * that go through the hardening hooks. */
    pcfmcp_engine_free(s->engine);
    s->engine = NULL;
    /* The parts detach their PCF client from the hardening layer before
     * freeing it; only then can that layer go. */
    pcfmcp__server_release_parts(s);
    pcfmcp__guards_free(s);
    pcfmcp_logger_unref(s->log);
    pcfmcp_config_free(s->config);
    pthread_mutex_destroy(&s->reload_lock);
    if (s->global_init)
        pcfmcp_global_cleanup();
    pcfmcp__free(s);
}

static pcfmcp_error_t run_stdio(pcfmcp_server_t *s)
{
    pcfmcp_error_t rc = pcfmcp_stdio_new(&s->stdio, s->engine, s->stdio_in, s->stdio_out);
    if (rc != PCFMCP_OK)
        return rc;
    pcfmcp_stdio_set_logger(s->stdio, s->log);
    pthread_mutex_lock(&s->reload_lock);
    pcfmcp_stdio_set_max_line(s->stdio, (size_t)pcfmcp__cfg_stdio_max_line_bytes(s->config));
    pthread_mutex_unlock(&s->reload_lock);
    pcfmcp_stdio_set_identity(s->stdio, s->stdio_identity);
    pcfmcp_stdio_set_grace(s->stdio, pcfmcp__guards_grace_ms(s));
    /* A stop that arrived before the transport existed still counts. */
    if (atomic_load(&s->stopping))
        return PCFMCP_OK;
    PCFMCP_LOG(s->log, PCFMCP_LOG_INFO, "server", "pcf-mcp %s serving MCP on stdio", PCFMCP_VERSION);
    rc = pcfmcp_stdio_run(s->stdio);
    PCFMCP_LOG(s->log, rc == PCFMCP_ERR_TIMEOUT ? PCFMCP_LOG_WARN : PCFMCP_LOG_INFO, "server",
               "stdio session ended (%s)",
               rc == PCFMCP_ERR_TIMEOUT ? "requests still running after server.shutdown_grace "
                                          "were cancelled"
                                        : pcfmcp_strerror(rc));
    return rc;
}

PCFMCP_API pcfmcp_error_t pcfmcp_server_run(pcfmcp_server_t *s)
{
    if (!s || !s->engine)
        return PCFMCP_ERR_INVALID_ARG;
    pthread_mutex_lock(&s->reload_lock);
    char transport[32];
    snprintf(transport, sizeof(transport), "%s", pcfmcp__cfg_server_transport(s->config));
    pthread_mutex_unlock(&s->reload_lock);
    pcfmcp_error_t rc = pcfmcp__guards_start(s);
    if (rc != PCFMCP_OK)
        return rc;
    if (strcmp(transport, "stdio") == 0)
        rc = run_stdio(s);
    else
        rc = pcfmcp__server_run_transport(s, transport);
    /* Whatever ended the transport, nothing new is accepted from here on. */
    atomic_store(&s->stopping, true);
    pcfmcp__guards_drain(s);
    return rc;
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

/* The running configuration takes over the reloadable values of `next`. */
static void merge_reloadable(pcfmcp_config_t *cur, const pcfmcp_config_t *next, size_t index)
{
    const char *key = pcfmcp__config_keys[index].key;
    pcfmcp_config_source_t src = pcfmcp_config_source(next, key);
    pcfmcp_config_unset(cur, key);
    if (src != PCFMCP_CONFIG_DEFAULT)
        pcfmcp_config_set(cur, key, pcfmcp__config_str_at(next, index), src);
}

PCFMCP_API pcfmcp_error_t pcfmcp_server_reload(pcfmcp_server_t *s, const pcfmcp_config_t *config)
{
    if (!s || !config)
        return PCFMCP_ERR_INVALID_ARG;
    pthread_mutex_lock(&s->reload_lock);
    register_secrets(s->log, config);
    pcfmcp_error_t rc = PCFMCP_OK;
    char *errors = NULL;
    pcfmcp_log_level_t level = PCFMCP_LOG_INFO;
    if (pcfmcp_server_check_config(config, &errors) != PCFMCP_OK ||
        pcfmcp_log_level_parse(pcfmcp__cfg_log_level(config), &level) != PCFMCP_OK) {
        PCFMCP_LOG(s->log, PCFMCP_LOG_ERROR, "server", "reload refused, nothing changed: %s",
                   errors ? errors : "log.level is invalid");
        pcfmcp__free(errors);
        pthread_mutex_unlock(&s->reload_lock);
        return PCFMCP_ERR_CONFIG;
    }

    pcfmcp__buf changed, restart;
    pcfmcp__buf_init(&changed);
    pcfmcp__buf_init(&restart);
    for (size_t i = 0; i < pcfmcp_config_key_count(); i++) {
        const char *key = NULL;
        pcfmcp_config_key_info(i, &key, NULL, NULL, NULL, NULL, NULL);
        if (strcmp(pcfmcp__config_str_at(s->config, i), pcfmcp__config_str_at(config, i)) == 0)
            continue;
        pcfmcp__buf *to = pcfmcp_config_key_reloadable(key) ? &changed : &restart;
        if (to->len)
            pcfmcp__buf_puts(to, ", ");
        pcfmcp__buf_puts(to, key);
    }
    if (restart.len)
        PCFMCP_LOG(s->log, PCFMCP_LOG_WARN, "server",
                   "reload: changed but needs a restart, not applied: %s", restart.data);

    char why[1200] = "";
    rc = pcfmcp__guards_reload(s, config, pcfmcp__server_reload_components, why, sizeof(why));
    if (rc != PCFMCP_OK) {
        PCFMCP_LOG(s->log, PCFMCP_LOG_ERROR, "server", "reload refused, nothing changed: %s", why);
        rc = PCFMCP_ERR_CONFIG;
    } else {
        pcfmcp_log_level_t old = pcfmcp_logger_get_level(s->log);
        pcfmcp_logger_set_level(s->log, level);
        for (size_t i = 0; i < pcfmcp_config_key_count(); i++) {
            const char *key = NULL;
            pcfmcp_config_key_info(i, &key, NULL, NULL, NULL, NULL, NULL);
            if (pcfmcp_config_key_reloadable(key))
                merge_reloadable(s->config, config, i);
        }
        if (old != level)
            PCFMCP_LOG(s->log, PCFMCP_LOG_WARN, "server", "reload: log.level %s -> %s",
                       pcfmcp_log_level_name(old), pcfmcp_log_level_name(level));
        if (changed.len)
            PCFMCP_LOG(s->log, PCFMCP_LOG_WARN, "server", "reload applied; changed: %s",
                       changed.data);
        else
            PCFMCP_LOG(s->log, PCFMCP_LOG_INFO, "server",
                       "reload applied; no run-time setting changed (audit file reopened)");
    }
    pcfmcp__buf_free(&changed);
    pcfmcp__buf_free(&restart);
    pthread_mutex_unlock(&s->reload_lock);
    return rc;
}
