/* The client object: construction, settings, siblings, capabilities. */
#include "core/internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/util.h"
#include "pcf/impl.h"
#include "pcf/tokens.h"

#define DEFAULT_CONNECT_MS 10000
#define DEFAULT_REQUEST_MS 30000
#define DEFAULT_TOTAL_MS 60000
#define DEFAULT_MAX_BODY ((size_t)32 * 1024 * 1024)
#define DEFAULT_ATTEMPTS 3
#define DEFAULT_BACKOFF_BASE_MS 250
#define DEFAULT_BACKOFF_MAX_MS 5000
#define DEFAULT_TOKEN_DURATION 86400

PCFMCP_API const char *pcfmcp_pcf_errmsg(const pcfmcp_pcf_t *pcf)
{
    if (!pcf)
        return "no client";
    return pcfmcp__errmsg(pcf);
}

void pcfmcp__pcf_add_secret(pcfmcp_pcf_t *pcf, const char *secret)
{
    if (pcf->log && secret && strlen(secret) >= 4)
        pcfmcp_logger_add_secret(pcf->log, secret);
}

bool pcfmcp__pcf_has_login(pcfmcp_pcf_t *pcf)
{
    return pcf->email && pcf->password;
}

static void cfg_free(pcf_cfg *c)
{
    pcfmcp__free(c->base_url);
    pcfmcp__free(c->ca_file);
    pcfmcp__free(c->ca_dir);
    pcfmcp__free(c->cert_file);
    pcfmcp__free(c->key_file);
    pcfmcp__secure_free(c->key_password);
    pcfmcp__free(c->basic_user);
    pcfmcp__secure_free(c->basic_password);
    pcfmcp__free(c->abstract_socket);
    memset(c, 0, sizeof(*c));
}

static bool dup_opt(char **dst, const char *src)
{
    *dst = NULL;
    if (!src)
        return true;
    *dst = pcfmcp__strdup(src);
    return *dst != NULL;
}

static bool cfg_copy(pcf_cfg *d, const pcf_cfg *s)
{
    *d = *s;
    bool ok = dup_opt(&d->base_url, s->base_url) & dup_opt(&d->ca_file, s->ca_file) &
              dup_opt(&d->ca_dir, s->ca_dir) & dup_opt(&d->cert_file, s->cert_file) &
              dup_opt(&d->key_file, s->key_file) & dup_opt(&d->key_password, s->key_password) &
              dup_opt(&d->basic_user, s->basic_user) &
              dup_opt(&d->basic_password, s->basic_password) &
              dup_opt(&d->abstract_socket, s->abstract_socket);
    if (!ok)
        cfg_free(d);
    return ok;
}

static pcfmcp_pcf_t *alloc_client(void)
{
    pcfmcp_pcf_t *pcf = pcfmcp__calloc(1, sizeof(*pcf));
    if (!pcf)
        return NULL;
    pthread_mutex_init(&pcf->tok_lock, NULL);
    pthread_mutex_init(&pcf->renew_lock, NULL);
    pthread_mutex_init(&pcf->obs_lock, NULL);
    pthread_mutex_init(&pcf->ui_lock, NULL);
    atomic_init(&pcf->used, false);
    atomic_init(&pcf->insecure_warned, false);
    pcf->token_duration = DEFAULT_TOKEN_DURATION;
    pcf->channel[PCF_CHOICE_ISSUES_WRITE] = PCF_CH_UI;
    pcf->channel[PCF_CHOICE_ISSUES_DELETE] = PCF_CH_API;
    pcf->channel[PCF_CHOICE_POCS] = PCF_CH_API;
    return pcf;
}

/* The URL must be http(s) with a host, no query or fragment, no white space. */
static bool url_ok(const char *u)
{
    if (!u || strlen(u) > 2048)
        return false;
    for (const char *p = u; *p; p++)
        if ((unsigned char)*p <= 0x20 || *p == 0x7f || *p == '?' || *p == '#')
            return false;
    const char *rest;
    if (pcfmcp__has_prefix(u, "http://"))
        rest = u + 7;
    else if (pcfmcp__has_prefix(u, "https://"))
        rest = u + 8;
    else
        return false;
    return *rest && *rest != '/';
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_new(pcfmcp_pcf_t **out, const char *base_url,
                                         pcfmcp_logger_t *logger)
{
    if (!out)
        return PCFMCP_ERR_INVALID_ARG;
    *out = NULL;
    if (!url_ok(base_url))
        return PCFMCP_ERR_INVALID_ARG;
    pcfmcp_pcf_t *pcf = alloc_client();
    if (!pcf)
        return PCFMCP_ERR_NOMEM;
    size_t n = strlen(base_url);
    while (n > 0 && base_url[n - 1] == '/')
        n--;
    pcf->cfg.base_url = pcfmcp__strndup(base_url, n);
    pcf->cfg.connect_ms = DEFAULT_CONNECT_MS;
    pcf->cfg.request_ms = DEFAULT_REQUEST_MS;
    pcf->cfg.total_ms = DEFAULT_TOTAL_MS;
    pcf->cfg.max_body = DEFAULT_MAX_BODY;
    pcf->cfg.max_attempts = DEFAULT_ATTEMPTS;
    pcf->cfg.backoff_base_ms = DEFAULT_BACKOFF_BASE_MS;
    pcf->cfg.backoff_max_ms = DEFAULT_BACKOFF_MAX_MS;
    pcf->shared = pcfmcp__pcf_shared_new();
    if (!pcf->cfg.base_url || !pcf->shared) {
        pcfmcp_pcf_free(pcf);
        return PCFMCP_ERR_NOMEM;
    }
    pcf->log = pcfmcp_logger_ref(logger);
    *out = pcf;
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_new_sibling(pcfmcp_pcf_t **out, pcfmcp_pcf_t *parent)
{
    if (!out || !parent)
        return PCFMCP_ERR_INVALID_ARG;
    *out = NULL;
    pcfmcp_pcf_t *pcf = alloc_client();
    if (!pcf)
        return PCFMCP_ERR_NOMEM;
    if (!cfg_copy(&pcf->cfg, &parent->cfg)) {
        pcfmcp_pcf_free(pcf);
        return PCFMCP_ERR_NOMEM;
    }
    atomic_fetch_add(&parent->shared->refs, 1);
    pcf->shared = parent->shared;
    pcf->log = pcfmcp_logger_ref(parent->log);
    pcf->token_duration = parent->token_duration;
    memcpy(pcf->channel, parent->channel, sizeof(pcf->channel));
    memcpy(pcf->channel_set, parent->channel_set, sizeof(pcf->channel_set));
    pcf->allow_api_issue_writes = parent->allow_api_issue_writes;
    pthread_mutex_lock(&parent->obs_lock);
    pcf->obs = parent->obs;
    pcf->obs_ud = parent->obs_ud;
    pthread_mutex_unlock(&parent->obs_lock);
    pcfmcp__pcf_hooks_copy(pcf, parent);
    /* Connections are shared now, so their TLS identity must stay the same. */
    parent->frozen = true;
    pcf->frozen = true;
    pcf->sibling = true;
    atomic_store(&pcf->insecure_warned, atomic_load(&parent->insecure_warned));
    *out = pcf;
    return PCFMCP_OK;
}

PCFMCP_API void pcfmcp_pcf_free(pcfmcp_pcf_t *pcf)
{
    if (!pcf)
        return;
    pcfmcp__pcf_token_release(pcf);
    if (pcf->ui)
        curl_easy_cleanup(pcf->ui);
    pcfmcp__pcf_shared_unref(pcf->shared);
    cfg_free(&pcf->cfg);
    pcfmcp__secure_free(pcf->token);
    pcfmcp__free(pcf->email);
    pcfmcp__secure_free(pcf->password);
    pcfmcp__free(pcf->state_file);
    pcfmcp__secure_free(pcf->csrf);
    pcfmcp_logger_unref(pcf->log);
    pthread_mutex_destroy(&pcf->tok_lock);
    pthread_mutex_destroy(&pcf->renew_lock);
    pthread_mutex_destroy(&pcf->obs_lock);
    pthread_mutex_destroy(&pcf->ui_lock);
    pcfmcp__free(pcf);
}

/* ------------------------------------------------------------------ setters */

static pcfmcp_error_t check_settable(pcfmcp_pcf_t *pcf, bool transport)
{
    if (!pcf)
        return PCFMCP_ERR_INVALID_ARG;
    if (atomic_load(&pcf->used))
        return pcfmcp__fail(pcf, PCFMCP_ERR_STATE, "settings are fixed once the client is in use");
    if (transport && pcf->frozen)
        return pcfmcp__fail(pcf, PCFMCP_ERR_STATE,
                            "transport settings are fixed once a sibling shares the connections");
    return PCFMCP_OK;
}

static pcfmcp_error_t replace(pcfmcp_pcf_t *pcf, char **slot, const char *v, bool secret)
{
    char *n = NULL;
    if (v && !(n = pcfmcp__strdup(v)))
        return pcfmcp__fail(pcf, PCFMCP_ERR_NOMEM, "out of memory");
    if (secret)
        pcfmcp__secure_free(*slot);
    else
        pcfmcp__free(*slot);
    *slot = n;
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_set_token(pcfmcp_pcf_t *pcf, const char *token)
{
    pcfmcp_error_t rc = check_settable(pcf, false);
    if (rc)
        return rc;
    if (!token || !pcfmcp__uuid_valid(token))
        return pcfmcp__fail(pcf, PCFMCP_ERR_INVALID_ARG,
                            "the PCF token must be a UUID (check for stray white space)");
    pcfmcp__pcf_add_secret(pcf, token);
    rc = replace(pcf, &pcf->token, token, true);
    pcf->tok_invalid = false;
    pcf->tok_gen++;
    return rc;
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_set_login(pcfmcp_pcf_t *pcf, const char *email,
                                               const char *password)
{
    pcfmcp_error_t rc = check_settable(pcf, false);
    if (rc)
        return rc;
    if (!email || !*email || strlen(email) > 320 || strpbrk(email, "\r\n") || !password ||
        !*password)
        return pcfmcp__fail(pcf, PCFMCP_ERR_INVALID_ARG, "PCF login needs an email and a password");
    pcfmcp__pcf_add_secret(pcf, password);
    if ((rc = replace(pcf, &pcf->email, email, false)) != PCFMCP_OK)
        return rc;
    return replace(pcf, &pcf->password, password, true);
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_set_token_duration(pcfmcp_pcf_t *pcf, long seconds)
{
    pcfmcp_error_t rc = check_settable(pcf, false);
    if (rc)
        return rc;
    if (seconds <= 0 || seconds > 10L * 365 * 86400)
        return pcfmcp__fail(pcf, PCFMCP_ERR_INVALID_ARG, "token duration must be 1 s .. 10 years");
    pcf->token_duration = seconds;
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_set_token_state_file(pcfmcp_pcf_t *pcf, const char *path)
{
    pcfmcp_error_t rc = check_settable(pcf, false);
    if (rc)
        return rc;
    if (path && (!*path || strlen(path) > 3000))
        return pcfmcp__fail(pcf, PCFMCP_ERR_INVALID_ARG, "the token state file needs a path");
    return replace(pcf, &pcf->state_file, path, false);
}

static pcfmcp_error_t set_path(pcfmcp_pcf_t *pcf, char **slot, const char *path, bool allow_null)
{
    pcfmcp_error_t rc = check_settable(pcf, true);
    if (rc)
        return rc;
    if ((!path && !allow_null) || (path && !*path))
        return pcfmcp__fail(pcf, PCFMCP_ERR_INVALID_ARG, "empty path");
    return replace(pcf, slot, path, false);
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_set_ca_file(pcfmcp_pcf_t *pcf, const char *path)
{
    return set_path(pcf, pcf ? &pcf->cfg.ca_file : NULL, path, true);
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_set_ca_dir(pcfmcp_pcf_t *pcf, const char *path)
{
    return set_path(pcf, pcf ? &pcf->cfg.ca_dir : NULL, path, true);
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_set_insecure(pcfmcp_pcf_t *pcf, int insecure)
{
    pcfmcp_error_t rc = check_settable(pcf, true);
    if (rc)
        return rc;
    pcf->cfg.insecure = insecure != 0;
    if (insecure)
        PCFMCP_LOG(pcf->log, PCFMCP_LOG_WARN, "pcf",
                   "TLS verification of PCF turned OFF (pcf.insecure): use this only for a "
                   "test server");
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_set_client_cert(pcfmcp_pcf_t *pcf, const char *cert_file,
                                                     const char *key_file,
                                                     const char *key_password)
{
    pcfmcp_error_t rc = check_settable(pcf, true);
    if (rc)
        return rc;
    if (!cert_file || !*cert_file || !key_file || !*key_file)
        return pcfmcp__fail(pcf, PCFMCP_ERR_INVALID_ARG,
                            "client certificate needs cert and key files");
    if (key_password)
        pcfmcp__pcf_add_secret(pcf, key_password);
    if ((rc = replace(pcf, &pcf->cfg.cert_file, cert_file, false)) ||
        (rc = replace(pcf, &pcf->cfg.key_file, key_file, false)))
        return rc;
    return replace(pcf, &pcf->cfg.key_password, key_password, true);
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_set_basic_auth(pcfmcp_pcf_t *pcf, const char *user,
                                                    const char *password)
{
    pcfmcp_error_t rc = check_settable(pcf, true);
    if (rc)
        return rc;
    if (!user || !*user || strchr(user, ':') || !password)
        return pcfmcp__fail(pcf, PCFMCP_ERR_INVALID_ARG,
                            "HTTP Basic needs a user (without ':') and a password");
    pcfmcp__pcf_add_secret(pcf, password);
    if ((rc = replace(pcf, &pcf->cfg.basic_user, user, false)))
        return rc;
    return replace(pcf, &pcf->cfg.basic_password, password, true);
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_set_timeouts(pcfmcp_pcf_t *pcf, long connect_ms,
                                                  long request_ms, long total_ms)
{
    pcfmcp_error_t rc = check_settable(pcf, true);
    if (rc)
        return rc;
    if (connect_ms < 0 || request_ms < 0 || total_ms < 0)
        return pcfmcp__fail(pcf, PCFMCP_ERR_INVALID_ARG, "timeouts must not be negative");
    if (connect_ms)
        pcf->cfg.connect_ms = connect_ms;
    if (request_ms)
        pcf->cfg.request_ms = request_ms;
    if (total_ms)
        pcf->cfg.total_ms = total_ms;
    return PCFMCP_OK;
}

pcfmcp_error_t pcfmcp__pcf_set_abstract_socket(pcfmcp_pcf_t *pcf, const char *name)
{
    pcfmcp_error_t rc = check_settable(pcf, true);
    if (rc)
        return rc;
    if (!name || !*name || strlen(name) > 100)
        return pcfmcp__fail(pcf, PCFMCP_ERR_INVALID_ARG, "socket name must be 1 to 100 bytes");
    char *copy = pcfmcp__strdup(name);
    if (!copy)
        return pcfmcp__fail(pcf, PCFMCP_ERR_NOMEM, "out of memory");
    pcfmcp__free(pcf->cfg.abstract_socket);
    pcf->cfg.abstract_socket = copy;
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_set_max_body(pcfmcp_pcf_t *pcf, size_t bytes)
{
    pcfmcp_error_t rc = check_settable(pcf, true);
    if (rc)
        return rc;
    if (bytes < 1024)
        return pcfmcp__fail(pcf, PCFMCP_ERR_INVALID_ARG, "body limit must be at least 1024 bytes");
    pcf->cfg.max_body = bytes;
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_set_retry(pcfmcp_pcf_t *pcf, int max_attempts,
                                               long base_ms, long max_ms)
{
    pcfmcp_error_t rc = check_settable(pcf, true);
    if (rc)
        return rc;
    if (max_attempts < 1 || max_attempts > 20 || base_ms < 0 || max_ms < base_ms)
        return pcfmcp__fail(pcf, PCFMCP_ERR_INVALID_ARG,
                            "retry policy needs 1..20 attempts and 0 <= base <= max");
    pcf->cfg.max_attempts = max_attempts;
    pcf->cfg.backoff_base_ms = base_ms;
    pcf->cfg.backoff_max_ms = max_ms;
    return PCFMCP_OK;
}

static const struct {
    const char *name;
    int choice; /* -1: fixed channel */
    int fixed;
    bool ui_only;
} caps[] = {
    { "api", -1, PCF_CH_API, false },
    { "issues_read", -1, PCF_CH_API, false },
    { "issues_write", PCF_CHOICE_ISSUES_WRITE, 0, false },
    { "issues_delete", PCF_CHOICE_ISSUES_DELETE, 0, false },
    { "pocs", PCF_CHOICE_POCS, 0, false },
    { "snapshot", -1, PCF_CH_UI, true },
    { "credentials", -1, PCF_CH_UI, true },
    { "notes", -1, PCF_CH_UI, true },
    { "scan_import", -1, PCF_CH_UI, true },
    { "nmap_import", -1, PCF_CH_UI, true }, /* the old name of scan_import */
    { "report", -1, PCF_CH_UI, true },
};

static int find_cap(const char *name)
{
    if (!name)
        return -1;
    for (size_t i = 0; i < PCFMCP_ARRAY_LEN(caps); i++)
        if (strcmp(caps[i].name, name) == 0)
            return (int)i;
    return -1;
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_set_channel(pcfmcp_pcf_t *pcf, const char *capability,
                                                 const char *channel)
{
    pcfmcp_error_t rc = check_settable(pcf, false);
    if (rc)
        return rc;
    int i = find_cap(capability);
    if (i < 0)
        return pcfmcp__fail(pcf, PCFMCP_ERR_NOT_FOUND, "unknown capability");
    int ch;
    if (channel && strcmp(channel, "api") == 0)
        ch = PCF_CH_API;
    else if (channel && strcmp(channel, "ui") == 0)
        ch = PCF_CH_UI;
    else
        return pcfmcp__fail(pcf, PCFMCP_ERR_INVALID_ARG, "channel must be \"api\" or \"ui\"");
    if (caps[i].choice < 0) {
        if (caps[i].fixed != ch)
            return pcfmcp__fail(pcf, PCFMCP_ERR_UNSUPPORTED, "%s is only available through the %s",
                                caps[i].name, caps[i].fixed == PCF_CH_UI ? "web UI" : "API");
        return PCFMCP_OK;
    }
    pcf->channel[caps[i].choice] = (unsigned char)ch;
    pcf->channel_set[caps[i].choice] = true;
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_set_allow_api_issue_writes(pcfmcp_pcf_t *pcf, int allow)
{
    pcfmcp_error_t rc = check_settable(pcf, false);
    if (rc)
        return rc;
    pcf->allow_api_issue_writes = allow != 0;
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_set_observer(pcfmcp_pcf_t *pcf, pcfmcp_pcf_observer_cb cb,
                                                  void *userdata)
{
    if (!pcf)
        return PCFMCP_ERR_INVALID_ARG;
    pthread_mutex_lock(&pcf->obs_lock);
    pcf->obs = cb;
    pcf->obs_ud = cb ? userdata : NULL;
    pthread_mutex_unlock(&pcf->obs_lock);
    return PCFMCP_OK;
}

/* ------------------------------------------------------------------ state */

PCFMCP_API int64_t pcfmcp_pcf_token_expiry(pcfmcp_pcf_t *pcf)
{
    if (!pcf)
        return 0;
    pthread_mutex_lock(&pcf->tok_lock);
    int64_t e = pcf->tok_invalid ? 0 : pcf->tok_expiry;
    pthread_mutex_unlock(&pcf->tok_lock);
    return e;
}

/* Each reason completes "<tool> ... it " and names the settings, with their
 * environment variables, that would make the capability work. */
static const char no_credentials_reason[] =
    "needs PCF credentials, and no PCF credentials are configured (PCF was not asked): set "
    "pcf.token (environment PCF_MCP_PCF_TOKEN, or a file named by PCF_MCP_PCF_TOKEN_FILE), or "
    "pcf.email and pcf.password (PCF_MCP_PCF_EMAIL and PCF_MCP_PCF_PASSWORD)";
static const char web_only_reason[] =
    "needs PCF's web session: configure pcf.email and pcf.password (environment "
    "PCF_MCP_PCF_EMAIL and PCF_MCP_PCF_PASSWORD); PCF's API v1 has no route for it, so an API "
    "token alone cannot do it";
static const char issues_write_reason[] =
    "writes issues through PCF's web session, which needs pcf.email and pcf.password "
    "(environment PCF_MCP_PCF_EMAIL and PCF_MCP_PCF_PASSWORD). With only a token, set "
    "pcf.allow_api_issue_writes=true (PCF_MCP_PCF_ALLOW_API_ISSUE_WRITES=true) to write them "
    "through API v1 instead, but only on a PCF older than commit 3e415b6 (e.g. fb68b26): from "
    "that commit on (the current release 6c83154 included) API v1 issues/create hangs PCF";
static const char issues_delete_reason[] =
    "deletes issues through PCF's web session (pcf.channels issues_delete=ui), which needs "
    "pcf.email and pcf.password (environment PCF_MCP_PCF_EMAIL and PCF_MCP_PCF_PASSWORD); or "
    "set issues_delete=api in pcf.channels (the default) to delete with the token";
static const char pocs_reason[] =
    "adds PoCs through PCF's web session (pcf.channels pocs=ui), which needs pcf.email and "
    "pcf.password (environment PCF_MCP_PCF_EMAIL and PCF_MCP_PCF_PASSWORD); or set pocs=api in "
    "pcf.channels (the default) to add them with the token";

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_capability(pcfmcp_pcf_t *pcf, const char *capability,
                                                const char **reason_out)
{
    if (reason_out)
        *reason_out = NULL;
    if (!pcf)
        return PCFMCP_ERR_INVALID_ARG;
    int i = find_cap(capability);
    if (i < 0) {
        if (reason_out)
            *reason_out = "unknown capability";
        return PCFMCP_ERR_NOT_FOUND;
    }
    pthread_mutex_lock(&pcf->tok_lock);
    bool have_token = pcf->token != NULL;
    pthread_mutex_unlock(&pcf->tok_lock);
    bool login = pcfmcp__pcf_has_login(pcf);
    int choice = caps[i].choice;
    int ch = choice < 0 ? caps[i].fixed : pcfmcp__pcf_channel(pcf, choice);
    const char *why = NULL;
    if (!have_token && !login)
        why = no_credentials_reason;
    else if (ch == PCF_CH_UI && !login)
        why = choice == PCF_CHOICE_ISSUES_WRITE    ? issues_write_reason
              : choice == PCF_CHOICE_ISSUES_DELETE ? issues_delete_reason
              : choice == PCF_CHOICE_POCS          ? pocs_reason
                                                   : web_only_reason;
    if (reason_out)
        *reason_out = why;
    return why ? PCFMCP_ERR_UNSUPPORTED : PCFMCP_OK;
}
