/* The one check of a configuration before a server is built.
 *
 * pcfmcp_server_new() runs it first and refuses with its message;
 * pcfmcp_server_check_config() (`pcf-mcp config check`, SIGHUP reload)
 * runs the same. Each rule uses the builder the server itself uses, on
 * objects that are thrown away, so a refusal cannot live in one path only:
 * tests/api/test_config_agree.c sweeps every key of the table to keep it so.
 * Nothing is contacted, bound, started or created here. */
#include "core/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <pcfmcp/config.h>
#include <pcfmcp/engine.h>
#include <pcfmcp/http.h>
#include <pcfmcp/server.h>
#include <pcfmcp/tools.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/config_access.h"
#include "core/config_keys.h"
#include "core/config_typed.h"
#include "server/guards.h"
#include "server/people.h"
#include "server/server_internal.h"
#include "tools/toolset.h"
#include "transport/http_internal.h"

/* Adds "<origin>: <key>: <why>"; a @p why that already starts with
 * "<key>: " is not prefixed twice. */
static void add(pcfmcp__buf *b, const pcfmcp_config_t *c, const char *key, const char *why)
{
    char where[600];
    if (pcfmcp_config_origin(c, key, where, sizeof(where)) != PCFMCP_OK)
        snprintf(where, sizeof(where), "configuration");
    size_t kl = strlen(key);
    if (strncmp(why, key, kl) == 0 && why[kl] == ':' && why[kl + 1] == ' ')
        why += kl + 2;
    if (b->len)
        pcfmcp__buf_putc(b, '\n');
    pcfmcp__buf_printf(b, "%s: %s: %s", where, key, why);
}

/* A message that names its key first ("tools.allow: ...") gets that key's
 * origin; others are charged to @p fallback. */
static void add_named(pcfmcp__buf *b, const pcfmcp_config_t *c, const char *fallback,
                      const char *why)
{
    char key[128], where[8];
    size_t n = strcspn(why, ": ");
    if (n < sizeof(key) && why[n] == ':') {
        snprintf(key, sizeof(key), "%.*s", (int)n, why);
        if (pcfmcp_config_origin(c, key, where, sizeof(where)) != PCFMCP_ERR_NOT_FOUND) {
            add(b, c, key, why);
            return;
        }
    }
    add(b, c, fallback, why);
}

/* A `*_file` secret that was set but never read: the host forgot
 * pcfmcp_config_resolve_secrets(), and PCF would only say "no credentials". */
static void unresolved_secrets(const pcfmcp_config_t *c, pcfmcp__buf *b)
{
    for (size_t i = 0; i < pcfmcp__config_key_total; i++) {
        const pcfmcp__key_def *d = &pcfmcp__config_keys[i];
        if (!(d->flags & PCFMCP__KEY_SECRET_FILE) || !d->feeds)
            continue;
        size_t fed = 0;
        while (fed < pcfmcp__config_key_total && strcmp(pcfmcp__config_keys[fed].key, d->feeds))
            fed++;
        const char *file = pcfmcp__config_str_at(c, i);
        const char *secret = fed < pcfmcp__config_key_total ? pcfmcp__config_str_at(c, fed) : NULL;
        if (!file || !*file || (secret && *secret))
            continue;
        char why[700];
        snprintf(why, sizeof(why),
                 "names %s, but %s was never read from it (call "
                 "pcfmcp_config_resolve_secrets() before pcfmcp_server_new())",
                 file, d->feeds);
        add(b, c, d->key, why);
    }
}

/* The audit file is opened for appending at start: refuse what that open
 * would refuse, without creating the file. */
static void audit_file(const pcfmcp_config_t *c, pcfmcp__buf *b)
{
    const char *path = pcfmcp__cfg_audit_file(c);
    if (!pcfmcp__cfg_audit_enabled(c) || !path || !*path)
        return;
    int err = 0;
    int fd = open(path, O_WRONLY | O_APPEND | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
    if (fd >= 0) {
        close(fd);
        return;
    }
    if (errno != ENOENT) {
        err = errno;
    } else {
        char dir[4096];
        const char *slash = strrchr(path, '/');
        if (!slash)
            snprintf(dir, sizeof(dir), ".");
        else
            snprintf(dir, sizeof(dir), "%.*s", slash == path ? 1 : (int)(slash - path), path);
        struct stat st;
        if (stat(dir, &st) != 0)
            err = errno;
        else if (!S_ISDIR(st.st_mode))
            err = ENOTDIR;
        else if (access(dir, W_OK | X_OK) != 0)
            err = errno;
    }
    if (err) {
        char why[4200];
        snprintf(why, sizeof(why), "audit file %s: %s", path, strerror(err));
        add(b, c, "audit.file", why);
    }
}

static void pcf_client(const pcfmcp_config_t *c, pcfmcp__buf *b)
{
    pcfmcp_pcf_t *pcf = NULL;
    const char *key = "pcf.url";
    char why[900] = "";
    pcfmcp_error_t rc = pcfmcp__server_build_pcf(c, NULL, &pcf, &key, why, sizeof(why));
    pcfmcp_pcf_free(pcf);
    if (rc != PCFMCP_OK)
        add(b, c, key, why[0] ? why : pcfmcp_strerror(rc));
}

/* Names in tools.projects / tools.default_project become UUIDs with the
 * server's own PCF view only (lib/tools/toolset.c): with per-person
 * identities and no credentials of the server's own, a caller's view would
 * decide everyone's scope (a look-alike project only that caller sees). */
static void scope_names(const pcfmcp_config_t *c, const pcfmcp_toolset_t *ts, pcfmcp__buf *b)
{
    const char *ids = pcfmcp__cfg_auth_identities_file(c);
    if (!ids || !*ids || !pcfmcp__toolset_scope_has_names(ts))
        return;
    pcfmcp_pcf_t *pcf = NULL;
    const char *key = "pcf.url";
    char why[900] = "";
    pcfmcp_error_t rc = pcfmcp__server_build_pcf(c, NULL, &pcf, &key, why, sizeof(why));
    if (rc == PCFMCP_OK && (!pcf || pcfmcp_pcf_capability(pcf, "api", NULL) != PCFMCP_OK))
        add(b, c, pcfmcp__cfg_tools_projects(c) && *pcfmcp__cfg_tools_projects(c)
                      ? "tools.projects" : "tools.default_project",
            "project names are resolved with the server's own PCF credentials only (with "
            "per-person credentials the first caller would decide everyone's scope): give the "
            "projects' UUIDs, or configure pcf.token or pcf.email and pcf.password for the "
            "server");
    else if (rc == PCFMCP_ERR_NOMEM)
        b->failed = true;
    pcfmcp_pcf_free(pcf);
}

static void toolset(const pcfmcp_config_t *c, pcfmcp__buf *b)
{
    pcfmcp_toolset_t *ts = NULL;
    pcfmcp_error_t rc = pcfmcp_toolset_new_from_config(&ts, c);
    if (rc != PCFMCP_OK)
        add_named(b, c, "tools.allow", ts ? pcfmcp_toolset_errmsg(ts) : pcfmcp_strerror(rc));
    else
        scope_names(c, ts, b);
    pcfmcp_toolset_free(ts);
}

static void identities(const pcfmcp_config_t *c, pcfmcp__buf *b)
{
    char why[900] = "";
    pcfmcp_error_t rc = pcfmcp__people_check(c, why, sizeof(why));
    if (rc != PCFMCP_OK)
        add(b, c, "auth.identities_file", why[0] ? why : pcfmcp_strerror(rc));
}

/* With the HTTP transport: authentication, every transport setting, and
 * what the transport refuses before it binds (non-loopback address without
 * authentication, TLS files) — on a transport that is never started. */
static void http(const pcfmcp_config_t *c, pcfmcp__buf *b)
{
    if (strcmp(pcfmcp__cfg_server_transport(c), "http") != 0)
        return;
    pcfmcp_auth_t *a = NULL;
    const char *key = "auth.api_keys_file";
    char why[900] = "";
    pcfmcp_error_t rc = pcfmcp__server_build_auth(c, NULL, &a, &key, why, sizeof(why));
    if (rc != PCFMCP_OK) {
        add(b, c, key, why[0] ? why : pcfmcp_strerror(rc));
        return;
    }
    pcfmcp_engine_t *e = NULL;
    pcfmcp_http_t *h = NULL;
    if (pcfmcp_engine_new(&e, "check", "0") != PCFMCP_OK || pcfmcp_http_new(&h, e) != PCFMCP_OK) {
        b->failed = true;
    } else if ((rc = pcfmcp__server_http_settings(c, h, a, NULL, NULL, &key, why, sizeof(why))) !=
               PCFMCP_OK) {
        if (rc == PCFMCP_ERR_NOMEM)
            b->failed = true;
        else
            add(b, c, key, why[0] ? why : pcfmcp_strerror(rc));
    } else if ((rc = pcfmcp__http_preflight(h)) != PCFMCP_OK) {
        if (rc == PCFMCP_ERR_NOMEM)
            b->failed = true;
        else
            add(b, c, rc == PCFMCP_ERR_TLS ? "server.tls_cert" : "server.host",
                pcfmcp_http_errmsg(h));
    }
    pcfmcp_http_free(h);
    pcfmcp_engine_free(e);
    pcfmcp_auth_free(a);
}

pcfmcp_error_t pcfmcp__server_validate(const pcfmcp_config_t *config, char **errors)
{
    *errors = NULL;
    pcfmcp__buf b;
    pcfmcp__buf_init(&b);
    /* Cross-key rules, proxy networks, the tracing endpoint. */
    if (pcfmcp__guards_check(config, &b) == PCFMCP_ERR_NOMEM) {
        pcfmcp__buf_free(&b);
        return PCFMCP_ERR_NOMEM;
    }
    unresolved_secrets(config, &b);
    audit_file(config, &b);
    pcf_client(config, &b);
    toolset(config, &b);
    identities(config, &b);
    http(config, &b);
    if (!pcfmcp__buf_ok(&b)) {
        pcfmcp__buf_free(&b);
        return PCFMCP_ERR_NOMEM;
    }
    if (b.len == 0) {
        pcfmcp__buf_free(&b);
        return PCFMCP_OK;
    }
    *errors = pcfmcp__buf_steal(&b, NULL);
    return *errors ? PCFMCP_ERR_CONFIG : PCFMCP_ERR_NOMEM;
}

PCFMCP_API pcfmcp_error_t pcfmcp_server_check_config(const pcfmcp_config_t *config, char **errors)
{
    if (!config || !errors)
        return PCFMCP_ERR_INVALID_ARG;
    *errors = NULL;
    /* The check builds a PCF client and loads TLS files: libcurl and GnuTLS
     * must be set up, as for a server. */
    pcfmcp_error_t rc = pcfmcp_global_init();
    if (rc != PCFMCP_OK)
        return rc;
    rc = pcfmcp__server_validate(config, errors);
    pcfmcp_global_cleanup();
    return rc;
}
