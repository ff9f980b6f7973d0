#include "core/internal.h"

#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <pcfmcp/pcf.h>
#include <pcfmcp/tools.h>

#include "core/alloc.h"
#include "hardening/log.h"
#include "server/server_internal.h"

struct pcfmcp__server_parts {
    pcfmcp_pcf_t *pcf;
    pcfmcp_toolset_t *toolset;
};

/* The stdio client is whoever started us: name the local account so logs
 * and audit records say who acted. */
static void local_identity(pcfmcp_server_t *s)
{
    struct passwd pw, *res = NULL;
    char buf[1024];
    if (getpwuid_r(getuid(), &pw, buf, sizeof(buf), &res) == 0 && res)
        snprintf(s->stdio_identity, sizeof(s->stdio_identity), "local:%s", res->pw_name);
    else
        snprintf(s->stdio_identity, sizeof(s->stdio_identity), "local:uid-%u", (unsigned)getuid());
}

static const char *cfg(const pcfmcp_server_t *s, const char *key)
{
    const char *v = pcfmcp_config_get(s->config, key);
    return v && *v ? v : NULL;
}

/* pcf.channels: "capability=channel,..." */
static pcfmcp_error_t apply_channels(pcfmcp_server_t *s, pcfmcp_pcf_t *pcf)
{
    const char *list = cfg(s, "pcf.channels");
    if (!list)
        return PCFMCP_OK;
    char item[128];
    const char *p = list;
    while (*p) {
        size_t n = strcspn(p, ",");
        snprintf(item, sizeof(item), "%.*s", (int)n, p);
        char *eq = strchr(item, '=');
        char *k = item;
        while (*k == ' ')
            k++;
        if (!eq) {
            snprintf(s->errmsg, sizeof(s->errmsg),
                     "pcf.channels: \"%s\" is not capability=channel (e.g. issues_write=ui)", k);
            return PCFMCP_ERR_CONFIG;
        }
        *eq = '\0';
        char *v = eq + 1;
        while (*v == ' ')
            v++;
        for (char *e = eq - 1; e >= k && *e == ' '; e--)
            *e = '\0';
        for (char *e = v + strlen(v) - 1; e >= v && *e == ' '; e--)
            *e = '\0';
        if (pcfmcp_pcf_set_channel(pcf, k, v) != PCFMCP_OK) {
            snprintf(s->errmsg, sizeof(s->errmsg), "pcf.channels: %s=%s: %s", k, v,
                     pcfmcp_pcf_errmsg(pcf));
            return PCFMCP_ERR_CONFIG;
        }
        p += n;
        if (*p == ',')
            p++;
    }
    return PCFMCP_OK;
}

/* Builds the PCF client from pcf.*. Nothing is contacted here: PCF may be
 * down at start-up, and tool calls then say what is wrong. */
static pcfmcp_error_t build_pcf(pcfmcp_server_t *s, pcfmcp_pcf_t **out)
{
    *out = NULL;
    const char *url = cfg(s, "pcf.url");
    if (!url) {
        PCFMCP_LOG(s->log, PCFMCP_LOG_WARN, "server",
                   "pcf.url is not set: tools are listed but every call will say PCF is not "
                   "configured");
        return PCFMCP_OK;
    }
    pcfmcp_pcf_t *pcf = NULL;
    pcfmcp_error_t rc = pcfmcp_pcf_new(&pcf, url, s->log);
    if (rc != PCFMCP_OK) {
        snprintf(s->errmsg, sizeof(s->errmsg), "pcf.url: %s",
                 rc == PCFMCP_ERR_INVALID_ARG ? "not an http(s) URL" : pcfmcp_strerror(rc));
        return rc == PCFMCP_ERR_NOMEM ? rc : PCFMCP_ERR_CONFIG;
    }
    const char *token = cfg(s, "pcf.token"), *email = cfg(s, "pcf.email"),
               *password = cfg(s, "pcf.password");
    const char *what = "";
    if (token && (rc = pcfmcp_pcf_set_token(pcf, token)) != PCFMCP_OK)
        what = "pcf.token";
    else if (email && password && (rc = pcfmcp_pcf_set_login(pcf, email, password)) != PCFMCP_OK)
        what = "pcf.email / pcf.password";
    else if ((rc = pcfmcp_pcf_set_token_duration(
                  pcf, (long)(pcfmcp_config_get_int(s->config, "pcf.token_duration") / 1000))) !=
             PCFMCP_OK)
        what = "pcf.token_duration";
    else if (cfg(s, "pcf.ca_file") && (rc = pcfmcp_pcf_set_ca_file(pcf, cfg(s, "pcf.ca_file"))))
        what = "pcf.ca_file";
    else if (cfg(s, "pcf.ca_dir") && (rc = pcfmcp_pcf_set_ca_dir(pcf, cfg(s, "pcf.ca_dir"))))
        what = "pcf.ca_dir";
    else if (pcfmcp_config_get_bool(s->config, "pcf.insecure") &&
             (rc = pcfmcp_pcf_set_insecure(pcf, 1)))
        what = "pcf.insecure";
    else if (cfg(s, "pcf.client_cert") &&
             (rc = pcfmcp_pcf_set_client_cert(pcf, cfg(s, "pcf.client_cert"),
                                              cfg(s, "pcf.client_key"), NULL)))
        what = "pcf.client_cert";
    else if (cfg(s, "pcf.basic_user") &&
             (rc = pcfmcp_pcf_set_basic_auth(pcf, cfg(s, "pcf.basic_user"),
                                             cfg(s, "pcf.basic_password")
                                                 ? cfg(s, "pcf.basic_password")
                                                 : "")))
        what = "pcf.basic_user";
    else if ((rc = pcfmcp_pcf_set_timeouts(
                  pcf, (long)pcfmcp_config_get_int(s->config, "pcf.connect_timeout"),
                  (long)pcfmcp_config_get_int(s->config, "pcf.request_timeout"),
                  (long)pcfmcp_config_get_int(s->config, "pcf.total_timeout"))))
        what = "pcf timeouts";
    else if ((rc = pcfmcp_pcf_set_max_body(
                  pcf, (size_t)pcfmcp_config_get_int(s->config, "pcf.max_body_bytes"))))
        what = "pcf.max_body_bytes";
    else if ((rc = pcfmcp_pcf_set_retry(
                  pcf, (int)pcfmcp_config_get_int(s->config, "pcf.retries") + 1, 250, 5000)))
        what = "pcf.retries";
    else if ((rc = pcfmcp_pcf_set_allow_api_issue_writes(
                  pcf, pcfmcp_config_get_bool(s->config, "pcf.allow_api_issue_writes"))))
        what = "pcf.allow_api_issue_writes";
    if (rc != PCFMCP_OK) {
        snprintf(s->errmsg, sizeof(s->errmsg), "%s: %s", what, pcfmcp_pcf_errmsg(pcf));
        pcfmcp_pcf_free(pcf);
        return rc == PCFMCP_ERR_NOMEM ? rc : PCFMCP_ERR_CONFIG;
    }
    if ((rc = apply_channels(s, pcf)) != PCFMCP_OK) {
        pcfmcp_pcf_free(pcf);
        return rc;
    }
    if (!token && !(email && password))
        PCFMCP_LOG(s->log, PCFMCP_LOG_WARN, "server",
                   "no PCF credentials: set pcf.token, or pcf.email and pcf.password");
    else if (!(email && password))
        PCFMCP_LOG(s->log, PCFMCP_LOG_INFO, "server",
                   "PCF token only: web-session tools (credentials, notes, nmap import, "
                   "snapshot, issue writes) need pcf.email and pcf.password");
    *out = pcf;
    return PCFMCP_OK;
}

pcfmcp_error_t pcfmcp__server_setup_components(pcfmcp_server_t *s)
{
    local_identity(s);
    s->parts = pcfmcp__calloc(1, sizeof(*s->parts));
    if (!s->parts)
        return PCFMCP_ERR_NOMEM;
    pcfmcp_error_t rc = build_pcf(s, &s->parts->pcf);
    if (rc != PCFMCP_OK)
        return rc;
    rc = pcfmcp_toolset_new_from_config(&s->parts->toolset, s->config);
    if (rc != PCFMCP_OK) {
        snprintf(s->errmsg, sizeof(s->errmsg), "%s",
                 s->parts->toolset ? pcfmcp_toolset_errmsg(s->parts->toolset)
                                   : pcfmcp_strerror(rc));
        return rc;
    }
    if (pcfmcp_config_get_bool(s->config, "tools.validate_output"))
        pcfmcp_engine_set_validate_output(s->engine, 1);
    pcfmcp_toolset_set_logger(s->parts->toolset, s->log);
    pcfmcp_toolset_set_pcf(s->parts->toolset, s->parts->pcf);
    rc = pcfmcp_toolset_register(s->parts->toolset, s->engine);
    if (rc != PCFMCP_OK) {
        snprintf(s->errmsg, sizeof(s->errmsg), "tools: %s",
                 pcfmcp_toolset_errmsg(s->parts->toolset));
        return rc;
    }
    return PCFMCP_OK;
}

/* The engine borrows the toolset, and the toolset the client: the engine
 * goes first (server.c frees it after this; see pcfmcp__server_release_parts). */
void pcfmcp__server_teardown_components(pcfmcp_server_t *s)
{
    (void)s;
}

void pcfmcp__server_release_parts(pcfmcp_server_t *s)
{
    if (!s->parts)
        return;
    pcfmcp_toolset_free(s->parts->toolset);
    pcfmcp_pcf_free(s->parts->pcf);
    pcfmcp__free(s->parts);
    s->parts = NULL;
}

pcfmcp_error_t pcfmcp__server_run_transport(pcfmcp_server_t *s, const char *transport)
{
    snprintf(s->errmsg, sizeof(s->errmsg), "transport \"%s\" is not available in this build",
             transport);
    return PCFMCP_ERR_UNSUPPORTED;
}

void pcfmcp__server_stop_transport(pcfmcp_server_t *s)
{
    (void)s;
}

pcfmcp_error_t pcfmcp__server_reload_components(pcfmcp_server_t *s, const pcfmcp_config_t *cfg)
{
    (void)s;
    (void)cfg;
    return PCFMCP_OK;
}
