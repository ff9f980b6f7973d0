/* The toolset object, its gates, tool registration and the call framework
 * every tool handler runs inside: client resolution, project resolution,
 * PCF calls with the request's trace and cancel flag, paging, the byte cap,
 * sanitising and the text rendering. */
#include "core/internal.h"

#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <pcfmcp/tools.h>

#include "core/alloc.h"
#include "core/config_typed.h"
#include "core/error.h"
#include "core/json.h"
#include "core/log.h"
#include "core/util.h"
#include "mcp/ctxlog.h"
#include "mcp/native.h"
#include "tools/toolset.h"

#define DEFAULT_MAX_RESPONSE 65536
#define DEFAULT_MAX_FIELD 4000
#define DEFAULT_LIMIT 50
#define MAX_LIMIT 500

/* ------------------------------------------------------------ lifecycle */

PCFMCP_API pcfmcp_error_t pcfmcp_toolset_new(pcfmcp_toolset_t **out)
{
    if (!out)
        return PCFMCP_ERR_INVALID_ARG;
    pcfmcp_toolset_t *ts = pcfmcp__calloc(1, sizeof(*ts));
    if (!ts)
        return PCFMCP_ERR_NOMEM;
    static _Atomic unsigned long serials;
    ts->serial = atomic_fetch_add(&serials, 1) + 1;
    ts->groups = TS_ALL;
    if (pthread_mutex_init(&ts->scope_lock, NULL) != 0) {
        pcfmcp__free(ts);
        return PCFMCP_ERR_NOMEM;
    }
    ts->max_response = DEFAULT_MAX_RESPONSE;
    ts->max_field = DEFAULT_MAX_FIELD;
    *out = ts;
    return PCFMCP_OK;
}

static void free_list(char **l, size_t n)
{
    for (size_t i = 0; i < n; i++)
        pcfmcp__free(l[i]);
    pcfmcp__free(l);
}

PCFMCP_API void pcfmcp_toolset_free(pcfmcp_toolset_t *ts)
{
    if (!ts)
        return;
    free_list(ts->allow, ts->nallow);
    free_list(ts->deny, ts->ndeny);
    free_list(ts->projects, ts->nprojects);
    pcfmcp__free(ts->default_project);
    pcfmcp__free(ts->scope_ids);
    pthread_mutex_destroy(&ts->scope_lock);
    pcfmcp__free(ts->report_dir);
    pcfmcp__free(ts->import_dir);
    pcfmcp__free(ts->import_inserts);
    pcfmcp__free(ts->bindings);
    pcfmcp_logger_unref(ts->log);
    pcfmcp__free(ts);
}

PCFMCP_API const char *pcfmcp_toolset_errmsg(const pcfmcp_toolset_t *ts)
{
    if (!ts)
        return "no toolset";
    return pcfmcp__errmsg(ts);
}

static pcfmcp_error_t check(pcfmcp_toolset_t *ts)
{
    if (!ts)
        return PCFMCP_ERR_INVALID_ARG;
    if (ts->registered)
        return pcfmcp__fail(ts, PCFMCP_ERR_STATE,
                            "the toolset is registered and can no longer change");
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_toolset_set_pcf(pcfmcp_toolset_t *ts, pcfmcp_pcf_t *pcf)
{
    pcfmcp_error_t rc = check(ts);
    if (!rc)
        ts->pcf = pcf;
    return rc;
}

PCFMCP_API pcfmcp_error_t pcfmcp_toolset_set_resolver(pcfmcp_toolset_t *ts,
                                                      pcfmcp_toolset_resolve_cb cb,
                                                      void *userdata)
{
    pcfmcp_error_t rc = check(ts);
    if (!rc) {
        ts->resolve = cb;
        ts->resolve_ud = cb ? userdata : NULL;
    }
    return rc;
}

PCFMCP_API pcfmcp_error_t pcfmcp_toolset_set_logger(pcfmcp_toolset_t *ts,
                                                    pcfmcp_logger_t *logger)
{
    pcfmcp_error_t rc = check(ts);
    if (rc)
        return rc;
    if (logger)
        pcfmcp_logger_ref(logger);
    pcfmcp_logger_unref(ts->log);
    ts->log = logger;
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_toolset_set_read_only(pcfmcp_toolset_t *ts, int on)
{
    pcfmcp_error_t rc = check(ts);
    if (!rc)
        ts->read_only = on != 0;
    return rc;
}

PCFMCP_API pcfmcp_error_t pcfmcp_toolset_set_enable_destructive(pcfmcp_toolset_t *ts, int on)
{
    pcfmcp_error_t rc = check(ts);
    if (!rc)
        ts->destructive = on != 0;
    return rc;
}

/* Splits a comma-separated list into trimmed, non-empty words. */
static pcfmcp_error_t split(pcfmcp_toolset_t *ts, const char *csv, char ***out, size_t *n)
{
    *out = NULL;
    *n = 0;
    if (!csv)
        return PCFMCP_OK;
    size_t cap = 1;
    for (const char *p = csv; *p; p++)
        cap += *p == ',';
    char **l = pcfmcp__calloc(cap, sizeof(*l));
    if (!l)
        return pcfmcp__fail(ts, PCFMCP_ERR_NOMEM, "out of memory");
    size_t k = 0;
    const char *p = csv;
    for (;;) {
        const char *e = strchr(p, ',');
        const char *s = p, *t = e ? e : p + strlen(p);
        while (s < t && (*s == ' ' || *s == '\t'))
            s++;
        while (t > s && (t[-1] == ' ' || t[-1] == '\t'))
            t--;
        if (t > s) {
            l[k] = pcfmcp__strndup(s, (size_t)(t - s));
            if (!l[k]) {
                free_list(l, k);
                return pcfmcp__fail(ts, PCFMCP_ERR_NOMEM, "out of memory");
            }
            k++;
        }
        if (!e)
            break;
        p = e + 1;
    }
    *out = l;
    *n = k;
    return PCFMCP_OK;
}

static const tool_def *find_def(const char *name)
{
    for (size_t i = 0; i < pcfmcp__tools_ndefs; i++)
        if (strcmp(pcfmcp__tools_defs[i].name, name) == 0)
            return &pcfmcp__tools_defs[i];
    return NULL;
}

static pcfmcp_error_t set_names(pcfmcp_toolset_t *ts, const char *csv, const char *what,
                                char ***list, size_t *n)
{
    char **l;
    size_t k;
    pcfmcp_error_t rc = split(ts, csv, &l, &k);
    if (rc)
        return rc;
    for (size_t i = 0; i < k; i++) {
        if (!find_def(l[i])) {
            pcfmcp__fail(ts, PCFMCP_ERR_CONFIG,
                         "%s: unknown tool \"%s\" (`pcf-mcp tools` lists the tool names)",
                         what, l[i]);
            free_list(l, k);
            return PCFMCP_ERR_CONFIG;
        }
    }
    free_list(*list, *n);
    *list = l;
    *n = k;
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_toolset_set_allow(pcfmcp_toolset_t *ts, const char *csv)
{
    pcfmcp_error_t rc = check(ts);
    return rc ? rc : set_names(ts, csv, "tools.allow", &ts->allow, &ts->nallow);
}

PCFMCP_API pcfmcp_error_t pcfmcp_toolset_set_deny(pcfmcp_toolset_t *ts, const char *csv)
{
    pcfmcp_error_t rc = check(ts);
    return rc ? rc : set_names(ts, csv, "tools.deny", &ts->deny, &ts->ndeny);
}

PCFMCP_API pcfmcp_error_t pcfmcp_toolset_set_toolsets(pcfmcp_toolset_t *ts, const char *csv)
{
    pcfmcp_error_t rc = check(ts);
    if (rc)
        return rc;
    char **l;
    size_t k;
    if ((rc = split(ts, csv, &l, &k)) != PCFMCP_OK)
        return rc;
    unsigned bits = 0;
    char why[400];
    if (!pcfmcp__toolsets_parse((const char *const *)l, k, &bits, why, sizeof(why))) {
        pcfmcp__fail(ts, PCFMCP_ERR_CONFIG, "tools.toolsets: %s", why);
        free_list(l, k);
        return PCFMCP_ERR_CONFIG;
    }
    free_list(l, k);
    ts->groups = bits;
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_toolset_set_dynamic(pcfmcp_toolset_t *ts, int on)
{
    pcfmcp_error_t rc = check(ts);
    if (!rc)
        ts->dynamic = on != 0;
    return rc;
}

PCFMCP_API pcfmcp_error_t pcfmcp_toolset_set_projects(pcfmcp_toolset_t *ts, const char *csv)
{
    pcfmcp_error_t rc = check(ts);
    if (rc)
        return rc;
    char **l;
    size_t k;
    if ((rc = split(ts, csv, &l, &k)) != PCFMCP_OK)
        return rc;
    free_list(ts->projects, ts->nprojects);
    ts->projects = l;
    ts->nprojects = k;
    return PCFMCP_OK;
}

static pcfmcp_error_t set_str(pcfmcp_toolset_t *ts, char **slot, const char *v)
{
    char *copy = NULL;
    if (v && *v && !(copy = pcfmcp__strdup(v)))
        return pcfmcp__fail(ts, PCFMCP_ERR_NOMEM, "out of memory");
    pcfmcp__free(*slot);
    *slot = copy;
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_toolset_set_default_project(pcfmcp_toolset_t *ts,
                                                             const char *project)
{
    pcfmcp_error_t rc = check(ts);
    return rc ? rc : set_str(ts, &ts->default_project, project);
}

PCFMCP_API pcfmcp_error_t pcfmcp_toolset_set_report_dir(pcfmcp_toolset_t *ts, const char *dir)
{
    pcfmcp_error_t rc = check(ts);
    return rc ? rc : set_str(ts, &ts->report_dir, dir);
}

PCFMCP_API pcfmcp_error_t pcfmcp_toolset_set_max_response_bytes(pcfmcp_toolset_t *ts,
                                                                size_t bytes)
{
    pcfmcp_error_t rc = check(ts);
    if (rc)
        return rc;
    if (bytes < 1024)
        return pcfmcp__fail(ts, PCFMCP_ERR_INVALID_ARG,
                            "max_response_bytes must be at least 1024");
    ts->max_response = bytes;
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_toolset_set_max_field_chars(pcfmcp_toolset_t *ts, size_t chars)
{
    pcfmcp_error_t rc = check(ts);
    if (rc)
        return rc;
    if (chars < 64 || chars > 1000000)
        return pcfmcp__fail(ts, PCFMCP_ERR_INVALID_ARG,
                            "max_field_chars must be within 64..1000000");
    ts->max_field = chars;
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_toolset_new_from_config(pcfmcp_toolset_t **out,
                                                         const pcfmcp_config_t *cfg)
{
    if (!out || !cfg)
        return PCFMCP_ERR_INVALID_ARG;
    pcfmcp_toolset_t *ts = NULL;
    pcfmcp_error_t rc = pcfmcp_toolset_new(&ts);
    if (rc)
        return rc;
    *out = ts;
    if ((rc = pcfmcp_toolset_set_read_only(ts, pcfmcp__cfg_tools_read_only(cfg))) ||
        (rc = pcfmcp_toolset_set_enable_destructive(
             ts, pcfmcp__cfg_tools_enable_destructive(cfg))) ||
        (rc = pcfmcp_toolset_set_toolsets(ts, pcfmcp__cfg_tools_toolsets(cfg))) ||
        (rc = pcfmcp_toolset_set_dynamic(ts, pcfmcp__cfg_tools_dynamic(cfg))) ||
        (rc = pcfmcp_toolset_set_allow(ts, pcfmcp__cfg_tools_allow(cfg))) ||
        (rc = pcfmcp_toolset_set_deny(ts, pcfmcp__cfg_tools_deny(cfg))) ||
        (rc = pcfmcp_toolset_set_projects(ts, pcfmcp__cfg_tools_projects(cfg))) ||
        (rc = pcfmcp_toolset_set_default_project(
             ts, pcfmcp__cfg_tools_default_project(cfg))) ||
        (rc = pcfmcp_toolset_set_max_response_bytes(
             ts, (size_t)pcfmcp__cfg_tools_max_response_bytes(cfg))) ||
        (rc = pcfmcp_toolset_set_max_field_chars(
             ts, (size_t)pcfmcp__cfg_tools_max_field_chars(cfg))) ||
        (rc = pcfmcp_toolset_set_report_dir(ts, pcfmcp__cfg_reports_output_dir(cfg))) ||
        (rc = pcfmcp_toolset_set_imports(
             ts, pcfmcp__cfg_imports_input_dir(cfg),
             (size_t)pcfmcp__cfg_imports_max_bytes(cfg),
             pcfmcp__cfg_imports_pcf_issue_inserts(cfg))))
        return rc == PCFMCP_ERR_NOMEM ? rc : PCFMCP_ERR_CONFIG;
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_toolset_known_tools(char **out)
{
    if (!out)
        return PCFMCP_ERR_INVALID_ARG;
    pcfmcp__buf b;
    pcfmcp__buf_init(&b);
    for (size_t i = 0; i < pcfmcp__tools_ndefs; i++)
        pcfmcp__buf_printf(&b, "%s%s", i ? "," : "", pcfmcp__tools_defs[i].name);
    char *s = pcfmcp__buf_steal(&b, NULL);
    if (!s)
        return PCFMCP_ERR_NOMEM;
    *out = s;
    return PCFMCP_OK;
}

/* ------------------------------------------------------------ schemas */

static cJSON *param_schema(const tool_param *p)
{
    cJSON *s = NULL;
    switch (p->kind) {
    case K_SCHEMA:
        s = pcfmcp__json_parse_text(p->extra, PCFMCP__JSON_OWN_DEPTH);
        break;
    case K_STR:
    case K_TEXT:
        s = cJSON_CreateObject();
        cJSON_AddStringToObject(s, "type", "string");
        if (p->max > 0)
            cJSON_AddNumberToObject(s, "maxLength", p->max);
        else
            cJSON_AddNumberToObject(s, "maxLength", p->kind == K_TEXT ? 200000 : 4096);
        if (p->min > 0)
            cJSON_AddNumberToObject(s, "minLength", p->min);
        break;
    case K_UUID:
        s = cJSON_CreateObject();
        cJSON_AddStringToObject(s, "type", "string");
        cJSON_AddStringToObject(s, "format", "uuid");
        break;
    case K_IP:
        s = pcfmcp__json_parse_text("{\"type\":\"string\",\"anyOf\":[{\"format\":\"ipv4\"},{\"format\":"
                        "\"ipv6\"}]}", PCFMCP__JSON_OWN_DEPTH);
        break;
    case K_HOSTNAME:
        s = cJSON_CreateObject();
        cJSON_AddStringToObject(s, "type", "string");
        cJSON_AddStringToObject(s, "format", "hostname");
        cJSON_AddNumberToObject(s, "maxLength", 253);
        break;
    case K_INT:
    case K_NUM:
        s = cJSON_CreateObject();
        cJSON_AddStringToObject(s, "type", p->kind == K_INT ? "integer" : "number");
        if (p->min != p->max) {
            cJSON_AddNumberToObject(s, "minimum", p->min);
            cJSON_AddNumberToObject(s, "maximum", p->max);
        }
        break;
    case K_BOOL:
        s = cJSON_CreateObject();
        cJSON_AddStringToObject(s, "type", "boolean");
        break;
    case K_DATE:
        s = cJSON_CreateObject();
        cJSON_AddStringToObject(s, "type", "string");
        cJSON_AddStringToObject(s, "format", "date");
        break;
    case K_ENUM:
    case K_ENUM_ARR: {
        cJSON *e = cJSON_CreateArray();
        const char *q = p->extra;
        while (q && *q) {
            const char *bar = strchr(q, '|');
            size_t n = bar ? (size_t)(bar - q) : strlen(q);
            char w[64];
            snprintf(w, sizeof(w), "%.*s", (int)n, q);
            cJSON_AddItemToArray(e, cJSON_CreateString(w));
            q = bar ? bar + 1 : q + n;
        }
        cJSON *item = cJSON_CreateObject();
        cJSON_AddStringToObject(item, "type", "string");
        cJSON_AddItemToObject(item, "enum", e);
        if (p->kind == K_ENUM) {
            s = item;
        } else {
            s = cJSON_CreateObject();
            cJSON_AddStringToObject(s, "type", "array");
            cJSON_AddItemToObject(s, "items", item);
            cJSON_AddBoolToObject(s, "uniqueItems", true);
        }
        break;
    }
    case K_UUID_ARR:
        s = pcfmcp__json_parse_text("{\"type\":\"array\",\"items\":{\"type\":\"string\",\"format\":\"uuid\"},"
                        "\"maxItems\":1000}", PCFMCP__JSON_OWN_DEPTH);
        break;
    case K_STR_ARR:
        s = pcfmcp__json_parse_text("{\"type\":\"array\",\"items\":{\"type\":\"string\",\"maxLength\":"
                        "1024},\"maxItems\":1000}", PCFMCP__JSON_OWN_DEPTH);
        break;
    }
    if (s && p->desc && !cJSON_GetObjectItemCaseSensitive(s, "description"))
        cJSON_AddStringToObject(s, "description", p->desc);
    return s;
}

/* Repeated in most tools, so kept short (they all work the same way). */
static const tool_param project_param = { "project", K_STR, 0, 1, 200, NULL,
                                          "Project name or UUID." };
static const tool_param project_param_default = {
    "project", K_STR, 0, 1, 200, NULL, "Project name or UUID (default: the configured project)."
};
static const tool_param limit_param = { "limit", K_INT, 0, 1, MAX_LIMIT, NULL,
                                        "Page size (default 50)." };
static const tool_param cursor_param = { "cursor", K_STR, 0, 1, 400, NULL,
                                         "next_cursor of the previous page." };

/* The confirm argument of a destructive tool: repeat the target id, or for
 * a list of ids their number. */
static cJSON *confirm_schema(const tool_def *d)
{
    bool list = false;
    for (const tool_param *p = d->params; p && p->name; p++)
        if (strcmp(p->name, d->confirm_of) == 0)
            list = p->kind == K_UUID_ARR || p->kind == K_STR_ARR;
    char desc[160];
    if (list)
        snprintf(desc, sizeof(desc), "The number of %s, to confirm (permanent).", d->confirm_of);
    else
        snprintf(desc, sizeof(desc), "Repeat %s to confirm (permanent).", d->confirm_of);
    tool_param cp = { "confirm", K_STR, 0, 1, 100, NULL, desc };
    return param_schema(&cp);
}

static cJSON *input_schema(const pcfmcp_toolset_t *ts, const tool_def *d)
{
    cJSON *s = cJSON_CreateObject();
    cJSON *props = cJSON_AddObjectToObject(s, "properties");
    cJSON *req = cJSON_CreateArray();
    cJSON_AddStringToObject(s, "type", "object");
    if (d->flags & F_PROJECT) {
        cJSON_AddItemToObject(props, "project", param_schema(ts->default_project
                                                                 ? &project_param_default
                                                                 : &project_param));
        if (!ts->default_project)
            cJSON_AddItemToArray(req, cJSON_CreateString("project"));
    }
    for (const tool_param *p = d->params; p && p->name; p++) {
        cJSON_AddItemToObject(props, p->name, param_schema(p));
        if (p->flags & P_REQ)
            cJSON_AddItemToArray(req, cJSON_CreateString(p->name));
    }
    if (d->flags & F_PAGED) {
        cJSON_AddItemToObject(props, "limit", param_schema(&limit_param));
        cJSON_AddItemToObject(props, "cursor", param_schema(&cursor_param));
    }
    if (d->flags & F_DESTRUCTIVE) {
        cJSON_AddItemToObject(props, "confirm", confirm_schema(d));
        cJSON_AddItemToArray(req, cJSON_CreateString("confirm"));
    }
    if (cJSON_GetArraySize(req) > 0)
        cJSON_AddItemToObject(s, "required", req);
    else
        cJSON_Delete(req);
    cJSON_AddBoolToObject(s, "additionalProperties", false);
    return s;
}

/* What a capability needs, said in the description, so a model (and a
 * client whose callers have credentials of their own) knows it up front. */
static const char *capability_note(const char *capability)
{
    static const struct {
        const char *cap, *note;
    } notes[] = {
        { "snapshot", " Needs PCF's web session (pcf.email and pcf.password)." },
        { "credentials", " Needs PCF's web session (pcf.email and pcf.password)." },
        { "notes", " Needs PCF's web session (pcf.email and pcf.password)." },
        { "scan_import", " Needs PCF's web session (pcf.email and pcf.password)." },
        { "issues_write", " Writes through PCF's web session (pcf.email and pcf.password), or "
                          "through API v1 with pcf.allow_api_issue_writes (only for a PCF "
                          "whose API v1 issue writes work, e.g. fb68b26)." },
    };
    for (size_t i = 0; capability && i < PCFMCP_ARRAY_LEN(notes); i++)
        if (strcmp(notes[i].cap, capability) == 0)
            return notes[i].note;
    return NULL;
}

static cJSON *tool_json(const pcfmcp_toolset_t *ts, const tool_def *d)
{
    cJSON *t = cJSON_CreateObject();
    if (!t)
        return NULL;
    cJSON_AddStringToObject(t, "name", d->name);
    cJSON_AddStringToObject(t, "title", d->title);
    /* The note costs context in every conversation, so it is said only
     * where it may matter: when the server's own credentials lack the
     * capability (the tool is then offered only because there are none, or
     * because callers bring credentials of their own). */
    const char *need = capability_note(d->capability);
    if (need && !ts->per_caller_credentials && ts->pcf &&
        pcfmcp_pcf_capability(ts->pcf, d->capability, NULL) == PCFMCP_OK)
        need = NULL;
    pcfmcp__buf desc;
    pcfmcp__buf_init(&desc);
    pcfmcp__buf_puts(&desc, d->desc);
    if (need)
        pcfmcp__buf_puts(&desc, need);
    cJSON_AddStringToObject(t, "description", desc.data ? desc.data : d->desc);
    pcfmcp__buf_free(&desc);
    cJSON_AddItemToObject(t, "inputSchema", input_schema(ts, d));
    cJSON *out = pcfmcp__json_parse_text(d->output, PCFMCP__JSON_OWN_DEPTH);
    if (out)
        cJSON_AddItemToObject(t, "outputSchema", out);
    /* The title is the tool's own member; annotations.title would repeat it. */
    cJSON *a = cJSON_AddObjectToObject(t, "annotations");
    bool ro = (d->flags & F_READ) || (ts->read_only && (d->flags & F_RO_OK));
    cJSON_AddBoolToObject(a, "readOnlyHint", ro);
    if (!ro) {
        /* MCP: false means "only additive updates"; an update replaces what was stored. */
        cJSON_AddBoolToObject(a, "destructiveHint", (d->flags & (F_DESTRUCTIVE | F_OVERWRITES)) != 0);
        cJSON_AddBoolToObject(a, "idempotentHint", (d->flags & F_IDEMPOTENT) != 0);
    }
    cJSON_AddBoolToObject(a, "openWorldHint", false);
    return t;
}

/* ------------------------------------------------------------ gates */

static bool in_list(char **l, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(l[i], name) == 0)
            return true;
    return false;
}

void pcfmcp__toolset_set_per_caller_credentials(pcfmcp_toolset_t *ts, bool on)
{
    if (ts && !ts->registered)
        ts->per_caller_credentials = on;
}

void pcfmcp__toolset_set_resolver_quick(pcfmcp_toolset_t *ts, bool on)
{
    if (ts && !ts->registered)
        ts->resolver_quick = on;
}

const char *pcfmcp__tools_unusable(const pcfmcp_toolset_t *ts, pcfmcp_pcf_t *pcf,
                                   const tool_def *d, bool offering)
{
    /* Without pcf.url every call says PCF is not configured. */
    if (!pcf)
        return NULL;
    const char *reason = NULL;
    if (pcfmcp_pcf_capability(pcf, d->capability ? d->capability : "api", &reason) !=
        PCFMCP_ERR_UNSUPPORTED)
        return NULL;
    /* With no credentials at all nothing would be offered: everything stays
     * listed and each call names the settings to add. With per-caller
     * credentials the server's own do not decide the list. */
    if (offering &&
        (ts->per_caller_credentials || pcfmcp_pcf_capability(pcf, "api", NULL) != PCFMCP_OK))
        return NULL;
    return reason ? reason : "needs a PCF channel this server lacks";
}

/* Every gate but the toolset selection: credentials, read-only, destructive,
 * allow and deny lists, dynamic-only tools. */
bool pcfmcp__tools_enabled_ignoring_group(const pcfmcp_toolset_t *ts, const tool_def *d)
{
    if (pcfmcp__tools_unusable(ts, ts->pcf, d, true))
        return false;
    if ((d->flags & F_DYNAMIC) && !ts->dynamic)
        return false;
    if (ts->read_only && !(d->flags & (F_READ | F_RO_OK)))
        return false;
    if ((d->flags & F_DESTRUCTIVE) && !ts->destructive)
        return false;
    if (ts->nallow && !in_list(ts->allow, ts->nallow, d->name))
        return false;
    if (in_list(ts->deny, ts->ndeny, d->name))
        return false;
    return true;
}

static bool group_on(const pcfmcp_toolset_t *ts, const tool_def *d)
{
    return (d->group & TS_CONTEXT) || (ts->groups & d->group);
}

static bool enabled(const pcfmcp_toolset_t *ts, const tool_def *d)
{
    return group_on(ts, d) && pcfmcp__tools_enabled_ignoring_group(ts, d);
}

/* Every setting that keeps @p d away, each naming the key that would bring
 * it back, so a refused call tells the model what to ask the operator for. */
static void withheld_reason(const pcfmcp_toolset_t *ts, const tool_def *d, pcfmcp__buf *why)
{
    const char *sep = "";
    if ((d->flags & F_DYNAMIC) && !ts->dynamic) {
        pcfmcp__buf_printf(why, "it exists only in dynamic mode (tools.dynamic)");
        sep = "; ";
    }
    if (!group_on(ts, d)) {
        const char *g = pcfmcp__toolsets_name(d->group);
        if (ts->dynamic && pcfmcp__tools_enabled_ignoring_group(ts, d))
            pcfmcp__buf_printf(why,
                               "its toolset \"%s\" is not enabled yet: call enable_toolset with "
                               "toolset \"%s\" first",
                               g, g);
        else
            pcfmcp__buf_printf(why, "its toolset \"%s\" is switched off (tools.toolsets)", g);
        sep = "; ";
    }
    if (ts->read_only && !(d->flags & (F_READ | F_RO_OK))) {
        pcfmcp__buf_printf(why, "%sthis server runs read-only (tools.read_only / --read-only)",
                           sep);
        sep = "; ";
    }
    if ((d->flags & F_DESTRUCTIVE) && !ts->destructive) {
        pcfmcp__buf_printf(why, "%sdestructive tools are off (tools.enable_destructive)", sep);
        sep = "; ";
    }
    if (ts->nallow && !in_list(ts->allow, ts->nallow, d->name)) {
        pcfmcp__buf_printf(why, "%sit is not in the allow-list (tools.allow)", sep);
        sep = "; ";
    }
    if (in_list(ts->deny, ts->ndeny, d->name)) {
        pcfmcp__buf_printf(why, "%sit is in the deny-list (tools.deny)", sep);
        sep = "; ";
    }
    const char *cannot = pcfmcp__tools_unusable(ts, ts->pcf, d, true);
    if (cannot)
        pcfmcp__buf_printf(why, "%sit cannot work with this server's PCF credentials: it %s",
                           sep, cannot);
}

/* ------------------------------------------------------------ scope */

static void lower_uuid(char dst[37], const char *src)
{
    snprintf(dst, 37, "%s", src);
    for (char *p = dst; *p; p++)
        if (*p >= 'A' && *p <= 'F')
            *p = (char)(*p - 'A' + 'a');
}

static bool scope_needs_pcf(const pcfmcp_toolset_t *ts)
{
    for (size_t i = 0; i < ts->nprojects; i++)
        if (!pcfmcp__uuid_valid(ts->projects[i]))
            return true;
    return ts->default_project && !pcfmcp__uuid_valid(ts->default_project);
}

bool pcfmcp__toolset_scope_has_names(const pcfmcp_toolset_t *ts)
{
    return ts && scope_needs_pcf(ts);
}

/* Which visible projects carry exactly the name @p name (byte for byte:
 * another PCF user who adds us as tester to "acme external PENTEST" must
 * not enter a scope that names "ACME external pentest"). Returns the count;
 * the UUIDs go to @p ids (up to @p max) and, listed, to @p list. */
static size_t exact_matches(const cJSON *projects, const char *name, char ids[][37], size_t max,
                            char *list, size_t list_size)
{
    size_t n = 0, used = 0;
    list[0] = '\0';
    const cJSON *p;
    cJSON_ArrayForEach(p, projects) {
        const char *pn = pcfmcp__json_str(p, "name"), *id = pcfmcp__json_str(p, "id");
        if (!pn || !id || !pcfmcp__uuid_valid(id) || strcmp(pn, name) != 0)
            continue;
        if (n < max)
            lower_uuid(ids[n], id);
        if (used + 40 < list_size)
            used += (size_t)snprintf(list + used, list_size - used, "%s%s", n ? ", " : "", id);
        n++;
    }
    return n;
}

/* Resolves tools.projects and tools.default_project to UUIDs. Called with
 * scope_lock held and scope_state 0. Returns PCFMCP_OK (state 1 or -1), or
 * the PCF error (state stays 0, @p msg says why). */
static pcfmcp_error_t resolve_scope_locked(pcfmcp_toolset_t *ts, pcfmcp_pcf_t *pcf,
                                           const pcfmcp__pcf_callctx *ctx, pcfmcp__mtext *msg)
{
    const cJSON *projects = NULL;
    pcfmcp_pcf_result_t *res = NULL;
    if (scope_needs_pcf(ts)) {
        if (!pcf) {
            if (msg)
                MT_LIT(msg, "PCF is not configured, so the project names in tools.projects / "
                            "tools.default_project cannot be resolved");
            return PCFMCP_ERR_UNSUPPORTED;
        }
        cJSON *args = cJSON_CreateObject();
        pcfmcp__pcf_callctx none;
        memset(&none, 0, sizeof(none));
        pcfmcp_error_t rc = args ? pcfmcp__pcf_call(pcf, ctx ? ctx : &none,
                                                    PCFMCP__PCF_OP_PROJECTS_LIST, args, &res)
                                 : PCFMCP_ERR_NOMEM;
        cJSON_Delete(args);
        projects = rc == PCFMCP_OK ? pcfmcp__json_arr(pcfmcp__pcf_result_cjson(res), "projects")
                                   : NULL;
        if (!projects) {
            if (msg)
                MT_FMT(msg, "could not read the project list from PCF to resolve the project "
                            "names in tools.projects / tools.default_project: {}",
                       MA_Q(res ? pcfmcp_pcf_result_message(res) : pcfmcp_strerror(rc)));
            pcfmcp_pcf_result_free(res);
            return rc != PCFMCP_OK ? rc : PCFMCP_ERR_BAD_RESPONSE;
        }
    }
    char(*ids)[37] = pcfmcp__calloc(ts->nprojects ? ts->nprojects : 1, sizeof(*ids));
    if (!ids) {
        pcfmcp_pcf_result_free(res);
        return PCFMCP_ERR_NOMEM;
    }
    size_t k = 0;
    char list[400];
    ts->scope_why[0] = '\0';
    int state = 1;
    for (size_t i = 0; i < ts->nprojects && state == 1; i++) {
        const char *e = ts->projects[i];
        if (pcfmcp__uuid_valid(e)) {
            lower_uuid(ids[k++], e);
            continue;
        }
        size_t n = exact_matches(projects, e, ids + k, 1, list, sizeof(list));
        if (n == 1) {
            k++;
        } else if (n > 1) {
            snprintf(ts->scope_why, sizeof(ts->scope_why),
                     "tools.projects: the name \"%.200s\" belongs to %zu projects this PCF "
                     "account sees (%s): name the one you mean by its UUID",
                     e, n, list);
            state = -1;
        } else if (ts->log) {
            PCFMCP_LOG(ts->log, PCFMCP_LOG_WARN, "tools",
                       "tools.projects: no project named \"%.200s\" is visible to this PCF "
                       "account; it matches nothing",
                       e);
        }
    }
    ts->default_id[0] = '\0';
    if (state == 1 && ts->default_project) {
        if (pcfmcp__uuid_valid(ts->default_project)) {
            lower_uuid(ts->default_id, ts->default_project);
        } else {
            char one[1][37];
            size_t n = exact_matches(projects, ts->default_project, one, 1, list, sizeof(list));
            if (n == 1) {
                memcpy(ts->default_id, one[0], 37);
            } else if (n > 1) {
                snprintf(ts->scope_why, sizeof(ts->scope_why),
                         "tools.default_project: the name \"%.200s\" belongs to %zu projects "
                         "this PCF account sees (%s): name the one you mean by its UUID",
                         ts->default_project, n, list);
                state = -1;
            } else {
                snprintf(ts->scope_why, sizeof(ts->scope_why),
                         "tools.default_project \"%.200s\" is not the exact name of a project "
                         "this PCF account sees",
                         ts->default_project);
            }
        }
    }
    pcfmcp_pcf_result_free(res);
    pcfmcp__free(ts->scope_ids);
    ts->scope_ids = ids;
    ts->nscope_ids = k;
    ts->scope_state = state;
    return PCFMCP_OK;
}

pcfmcp_error_t pcfmcp__tools_scope(tcall *c)
{
    pcfmcp_toolset_t *ts = c->ts;
    if (ts->nprojects == 0 && !ts->default_project)
        return PCFMCP_OK;
    pcfmcp__mtext msg;
    pcfmcp__mt_init(&msg);
    pcfmcp_error_t rc = PCFMCP_OK;
    pthread_mutex_lock(&ts->scope_lock);
    /* With the server's own view only: a caller's own credentials (per-person
     * identities) would let whoever calls first decide everyone's scope, e.g.
     * with a project of the scoped name that only that caller sees. */
    if (ts->scope_state == 0)
        rc = resolve_scope_locked(ts, ts->pcf, &c->pctx, &msg);
    int state = ts->scope_state;
    pthread_mutex_unlock(&ts->scope_lock);
    if (rc != PCFMCP_OK) {
        TOOL_ERR(c, "{}", MA_MT(&msg));
    } else if (state < 0) {
        TOOL_ERR(c, "refused: this server's project scope is ambiguous: {}. The operator must "
                    "fix the configuration.",
                 MA_Q(ts->scope_why));
        rc = PCFMCP_ERR_CONFIG;
    }
    pcfmcp__mt_free(&msg);
    return rc;
}

bool pcfmcp__tools_project_in_scope(const pcfmcp_toolset_t *ts, const char *id)
{
    if (ts->nprojects == 0)
        return true;
    if (!id || !pcfmcp__uuid_valid(id) || ts->scope_state != 1)
        return false;
    for (size_t i = 0; i < ts->nscope_ids; i++)
        if (pcfmcp__strcaseeq(ts->scope_ids[i], id))
            return true;
    return false;
}

/* ------------------------------------------------------------ call helpers */

void pcfmcp__tools_err_(tcall *c, const char *fmt, const pcfmcp__mt_arg *args)
{
    pcfmcp__mt_reset(&c->err);
    pcfmcp__mt_fmt_(&c->err, fmt, args);
}

void pcfmcp__tools_err_more_(tcall *c, const char *fmt, const pcfmcp__mt_arg *args)
{
    pcfmcp__mt_fmt_(&c->err, fmt, args);
}

void pcfmcp__tools_say_(tcall *c, const char *fmt, const pcfmcp__mt_arg *args)
{
    pcfmcp__mt_fmt_(&c->summary, fmt, args);
    MT_LIT(&c->summary, "\n");
}

const char *pcfmcp__tools_err_text(const tcall *c)
{
    return pcfmcp__mt_str(&c->err);
}

cJSON *pcfmcp__tools_out(tcall *c)
{
    if (!c->out)
        c->out = cJSON_CreateObject();
    return c->out;
}

const char *pcfmcp__tools_arg_str(const tcall *c, const char *name)
{
    return pcfmcp__json_str(c->args, name);
}

bool pcfmcp__tools_has_arg(const tcall *c, const char *name)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(c->args, name);
    return v && !cJSON_IsNull(v);
}

cJSON *pcfmcp__tools_pargs(tcall *c)
{
    cJSON *a = cJSON_CreateObject();
    if (a && c->project_id[0])
        cJSON_AddStringToObject(a, "project_id", c->project_id);
    return a;
}

/* Turns a failed PCF call into a message a model can act on. PCF's own
 * message is untrusted (it may echo names and values): quoted. */
static void describe_failure(pcfmcp__pcf_op op, const pcfmcp_pcf_result_t *res,
                             pcfmcp_error_t rc, pcfmcp__mtext *msg)
{
    const char *t = res ? pcfmcp_pcf_result_message(res) : pcfmcp_strerror(rc);
    const char *label = pcfmcp__pcf_op_label(op);
    switch (rc) {
    case PCFMCP_ERR_PCF:
    case PCFMCP_ERR_NOT_FOUND:
        MT_FMT(msg, "PCF refused {}: {}", MA_ID(label), MA_Q(t));
        break;
    case PCFMCP_ERR_CONNECT:
        MT_FMT(msg, "PCF is unreachable ({}): {}. Check pcf.url and that PCF is running; retry "
                    "later.", MA_ID(label), MA_Q(t));
        break;
    case PCFMCP_ERR_TLS:
        MT_FMT(msg, "TLS to PCF failed ({}): {}. Check pcf.ca_file / pcf.insecure.", MA_ID(label),
               MA_Q(t));
        break;
    case PCFMCP_ERR_AUTH:
        MT_FMT(msg, "PCF rejected the credentials ({}): {}. Check pcf.token, or pcf.email and "
                    "pcf.password.", MA_ID(label), MA_Q(t));
        break;
    case PCFMCP_ERR_TIMEOUT:
        /* When the client knows PCF hung after a write, its message says so
         * and what to do; retrying would only wait again. */
        MT_FMT(msg, "PCF did not answer in time ({}): {}{}", MA_ID(label), MA_Q(t),
               MA_IF(strstr(t, "appears hung"), "", " Retry later or narrow the request."));
        break;
    case PCFMCP_ERR_CANCELLED:
        MT_FMT(msg, "cancelled by the client ({})", MA_ID(label));
        break;
    case PCFMCP_ERR_UNSUPPORTED:
        MT_FMT(msg, "{} is not available with this configuration: {}", MA_ID(label), MA_Q(t));
        break;
    case PCFMCP_ERR_DENIED:
        MT_FMT(msg, "{} refused by configuration: {}", MA_ID(label), MA_Q(t));
        break;
    case PCFMCP_ERR_INVALID_ARG:
        MT_FMT(msg, "invalid argument for {}: {}", MA_ID(label), MA_Q(t));
        break;
    default:
        MT_FMT(msg, "PCF call {} failed: {} ({})", MA_ID(label), MA_Q(t),
               MA_ID(pcfmcp_error_name(rc)));
        break;
    }
}

const cJSON *pcfmcp__tools_pcf_soft(tcall *c, pcfmcp__pcf_op op, cJSON *args,
                                    pcfmcp_error_t *rcp, pcfmcp__mtext *msg)
{
    pcfmcp_pcf_result_t *res = NULL;
    pcfmcp_error_t rc;
    if (!args) {
        rc = PCFMCP_ERR_NOMEM;
    } else if (c->nresults == TCALL_MAX_RESULTS) {
        rc = PCFMCP_ERR_LIMIT;
    } else if (c->nresults == c->capresults) {
        size_t cap = c->capresults ? c->capresults * 2 : 16;
        pcfmcp_pcf_result_t **r = pcfmcp__realloc(c->results, cap * sizeof(*r));
        rc = r ? PCFMCP_OK : PCFMCP_ERR_NOMEM;
        if (r) {
            c->results = r;
            c->capresults = cap;
            pcfmcp__tools_rc_before_read(c, op, args);
            rc = pcfmcp__pcf_call(c->pcf, &c->pctx, op, args, &res);
        }
    } else {
        pcfmcp__tools_rc_before_read(c, op, args);
        rc = pcfmcp__pcf_call(c->pcf, &c->pctx, op, args, &res);
    }
    pcfmcp__tools_rc_note_read(c, op, args, rc == PCFMCP_OK && res);
    cJSON_Delete(args);
    /* Only the first PCF operation pays for the wait for a worker; later
     * ones get a budget of their own. */
    c->pctx.since_ms = 0;
    if (rcp)
        *rcp = rc;
    if (rc == PCFMCP_OK && res) {
        c->results[c->nresults++] = res;
        const cJSON *doc = pcfmcp__pcf_result_cjson(res);
        if (doc)
            return doc;
        rc = PCFMCP_ERR_BAD_RESPONSE;
        if (rcp)
            *rcp = rc;
    }
    if (msg) {
        pcfmcp__mt_reset(msg);
        if (rc == PCFMCP_ERR_NOMEM && !res)
            MT_LIT(msg, "out of memory");
        else if (rc == PCFMCP_ERR_LIMIT && !res)
            MT_LIT(msg, "too many PCF calls for one tool call; narrow the request");
        else
            describe_failure(op, res, rc, msg);
    }
    if (res && (c->nresults == 0 || c->results[c->nresults - 1] != res))
        pcfmcp_pcf_result_free(res);
    return NULL;
}

const cJSON *pcfmcp__tools_pcf(tcall *c, pcfmcp__pcf_op op, cJSON *args, pcfmcp_error_t *rcp)
{
    pcfmcp__mtext msg;
    pcfmcp__mt_init(&msg);
    pcfmcp_error_t rc;
    const cJSON *doc = pcfmcp__tools_pcf_soft(c, op, args, &rc, &msg);
    if (rcp)
        *rcp = rc;
    if (!doc)
        TOOL_ERR(c, "{}", MA_MT(&msg));
    pcfmcp__mt_free(&msg);
    return doc;
}

const cJSON *pcfmcp__tools_pcf_fresh(tcall *c, pcfmcp__pcf_op op, cJSON *args, pcfmcp_error_t *rcp)
{
    bool was = c->pctx.fresh;
    c->pctx.fresh = true;
    const cJSON *doc = pcfmcp__tools_pcf(c, op, args, rcp);
    c->pctx.fresh = was;
    return doc;
}

/* ------------------------------------------------------------ projects */

cJSON *pcfmcp__tools_norm_project(const cJSON *p)
{
    cJSON *o = cJSON_CreateObject();
    static const char *const strs[] = { "id",     "name",         "description", "type",
                                        "scope",  "folder",       "report_title", "status",
                                        "admin_id" };
    for (size_t i = 0; i < PCFMCP_ARRAY_LEN(strs); i++) {
        const char *v = pcfmcp__json_str(p, strs[i]);
        cJSON_AddStringToObject(o, strs[i], v ? v : "");
    }
    char date[16];
    static const char *const dates[] = { "start_date", "end_date" };
    for (size_t i = 0; i < 2; i++) {
        double t = pcfmcp__json_num(p, dates[i], 0);
        cJSON_AddNumberToObject(o, dates[i], t);
        if (pcfmcp__utc_format(t, false, date, sizeof(date))) {
            char key[24];
            snprintf(key, sizeof(key), "%s_iso", i ? "end" : "start");
            cJSON_AddStringToObject(o, key, date);
        }
    }
    cJSON *testers = cJSON_AddArrayToObject(o, "testers");
    const cJSON *x;
    cJSON_ArrayForEach(x, pcfmcp__json_arr(p, "testers")) {
        cJSON *t = cJSON_CreateObject();
        const char *id = pcfmcp__json_str(x, "id");
        cJSON_AddStringToObject(t, "id", id ? id : "");
        char name[256];
        snprintf(name, sizeof(name), "%s %s",
                 pcfmcp__json_str(x, "fname") ? pcfmcp__json_str(x, "fname") : "",
                 pcfmcp__json_str(x, "lname") ? pcfmcp__json_str(x, "lname") : "");
        cJSON_AddStringToObject(t, "name", name[0] == ' ' && !name[1] ? "" : name);
        cJSON_AddItemToArray(testers, t);
    }
    cJSON *teams = cJSON_AddArrayToObject(o, "teams");
    cJSON_ArrayForEach(x, pcfmcp__json_arr(p, "teams")) {
        cJSON *t = cJSON_CreateObject();
        const char *id = pcfmcp__json_str(x, "id"), *n = pcfmcp__json_str(x, "name");
        cJSON_AddStringToObject(t, "id", id ? id : "");
        cJSON_AddStringToObject(t, "name", n ? n : "");
        cJSON_AddItemToArray(teams, t);
    }
    return o;
}

const cJSON *pcfmcp__tools_projects(tcall *c)
{
    if (c->projects_doc)
        return c->projects_doc;
    if (pcfmcp__tools_scope(c) != PCFMCP_OK)
        return NULL;
    const cJSON *doc = pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_PROJECTS_LIST, cJSON_CreateObject(),
                                         NULL);
    if (!doc)
        return NULL;
    cJSON *arr = cJSON_CreateArray();
    if (!arr) {
        TOOL_ERR(c, "out of memory");
        return NULL;
    }
    const cJSON *p;
    cJSON_ArrayForEach(p, pcfmcp__json_arr(doc, "projects")) {
        if (pcfmcp__tools_project_in_scope(c->ts, pcfmcp__json_str(p, "id")))
            cJSON_AddItemToArray(arr, pcfmcp__tools_norm_project(p));
    }
    c->projects_doc = arr;
    return arr;
}

pcfmcp_error_t pcfmcp__tools_resolve_project(tcall *c, const char *given)
{
    const pcfmcp_toolset_t *ts = c->ts;
    pcfmcp_error_t rc = pcfmcp__tools_scope(c);
    if (rc != PCFMCP_OK)
        return rc;
    if (!given || !*given) {
        if (ts->default_project && !ts->default_id[0]) {
            TOOL_ERR(c, "no project given, and the default project cannot be used: {}. Pass "
                        "`project` (list_projects shows them).",
                     MA_Q(ts->scope_why));
            return PCFMCP_ERR_NOT_FOUND;
        }
        given = ts->default_id;
    }
    if (!given || !*given) {
        TOOL_ERR(c, "no project given: pass `project` (a project name or UUID; list_projects "
                    "shows them) or configure tools.default_project");
        return PCFMCP_ERR_INVALID_ARG;
    }
    /* A UUID needs no lookup: the scope is a set of UUIDs. */
    if (pcfmcp__uuid_valid(given)) {
        if (!pcfmcp__tools_project_in_scope(ts, given)) {
            TOOL_ERR(c, "refused: project {} is not one this assistant may use (it is limited to "
                        "the projects in tools.projects; list_projects shows them)",
                     MA_ID(given));
            return PCFMCP_ERR_NOT_FOUND;
        }
        lower_uuid(c->project_id, given);
        return PCFMCP_OK;
    }
    const cJSON *projects = pcfmcp__tools_projects(c);
    if (!projects)
        return PCFMCP_ERR_PCF;
    pcfmcp__mtext why;
    pcfmcp__mt_init(&why);
    const cJSON *p = pcfmcp__tools_match_project(projects, given, &why);
    if (!p) {
        if (ts->nprojects)
            TOOL_ERR(c, "{} (this assistant is limited to the projects in tools.projects; others "
                        "are refused)",
                     MA_MT(&why));
        else
            TOOL_ERR(c, "{}", MA_MT(&why));
        pcfmcp__mt_free(&why);
        return PCFMCP_ERR_NOT_FOUND;
    }
    pcfmcp__mt_free(&why);
    lower_uuid(c->project_id, pcfmcp__json_str(p, "id"));
    pcfmcp__free(c->project_name);
    c->project_name = pcfmcp__strdup(pcfmcp__json_str(p, "name"));
    return PCFMCP_OK;
}

/* ------------------------------------------------------------ paging */

pcfmcp_error_t pcfmcp__tools_page(tcall *c, const char *key, cJSON *items)
{
    cJSON *out = pcfmcp__tools_out(c);
    if (!items || !out) {
        cJSON_Delete(items);
        TOOL_ERR(c, "out of memory");
        return PCFMCP_ERR_NOMEM;
    }
    size_t total = (size_t)cJSON_GetArraySize(items);
    size_t offset = 0;
    const char *cursor = pcfmcp__tools_arg_str(c, "cursor");
    if (cursor && !pcfmcp__tools_cursor_decode(cursor, c->def->name, c->args, &offset)) {
        cJSON_Delete(items);
        TOOL_ERR(c, "invalid cursor: it does not belong to this tool with these filter "
                    "arguments. Repeat the call without cursor to start again.");
        return PCFMCP_ERR_INVALID_ARG;
    }
    size_t limit = (size_t)pcfmcp__json_num(c->args, "limit", DEFAULT_LIMIT);
    if (offset > total)
        offset = total;
    cJSON *page = cJSON_CreateArray();
    size_t i = 0;
    cJSON *it = items->child;
    while (it && i < offset + limit) {
        cJSON *next = it->next;
        if (i >= offset)
            cJSON_AddItemToArray(page, cJSON_DetachItemViaPointer(items, it));
        it = next;
        i++;
    }
    cJSON_Delete(items);
    cJSON_AddItemToObject(out, key, page);
    cJSON_AddNumberToObject(out, "total", (double)total);
    cJSON_AddNumberToObject(out, "offset", (double)offset);
    cJSON_AddNumberToObject(out, "returned", (double)cJSON_GetArraySize(page));
    cJSON_AddBoolToObject(out, "truncated", false);
    size_t end = offset + (size_t)cJSON_GetArraySize(page);
    if (end < total) {
        char *next = pcfmcp__tools_cursor_encode(c->def->name, end, c->args);
        if (next)
            cJSON_AddStringToObject(out, "next_cursor", next);
        pcfmcp__free(next);
    }
    c->page_key = key;
    c->page_offset = offset;
    return PCFMCP_OK;
}

/* The serialised structured output into @p json (reset first); whether it
 * stays within the byte cap. */
static bool fits(tcall *c, pcfmcp__buf *json)
{
    pcfmcp__buf_reset(json);
    return pcfmcp__json_write(json, c->out) && json->len <= c->ts->max_response;
}

/* Trims a paged result to the byte cap: items go from the end until the
 * serialised form fits, and the cursor then points at the first one cut.
 * Leaves the serialised form that fits in @p json (the structured content
 * as sent: written once when it fits at once, as it mostly does). */
static bool enforce_cap(tcall *c, pcfmcp__buf *json)
{
    size_t cap = c->ts->max_response;
    if (fits(c, json))
        return true;
    if (!pcfmcp__buf_ok(json))
        return false;
    cJSON *arr = c->page_key ? cJSON_GetObjectItemCaseSensitive(c->out, c->page_key) : NULL;
    if (arr && cJSON_IsArray(arr)) {
        int n = cJSON_GetArraySize(arr);
        size_t total = (size_t)pcfmcp__json_num(c->out, "total", 0);
        /* The paging members count too, so they are rewritten each round. */
        for (;;) {
            size_t next = c->page_offset + (size_t)n;
            bool ok = pcfmcp__json_replace(c->out, "returned", cJSON_CreateNumber(n));
            ok &= pcfmcp__json_replace(c->out, "truncated", cJSON_CreateTrue());
            cJSON_DeleteItemFromObjectCaseSensitive(c->out, "next_cursor");
            cJSON_DeleteItemFromObjectCaseSensitive(c->out, "notice");
            char *cur = pcfmcp__tools_cursor_encode(c->def->name, next, c->args);
            if (next < total)
                ok &= pcfmcp__json_put_str(c->out, "next_cursor", cur);
            pcfmcp__free(cur);
            char notice[256];
            snprintf(notice, sizeof(notice),
                     "Response cut at %zu bytes (tools.max_response_bytes): %d items returned; "
                     "pass next_cursor to continue, or lower limit / add filters.",
                     cap, n);
            ok &= pcfmcp__json_put_str(c->out, "notice", notice);
            if (!ok)
                return false;
            if (fits(c, json))
                return true;
            if (!pcfmcp__buf_ok(json) || n <= 1)
                break;
            cJSON_DeleteItemFromArray(arr, --n);
        }
    }
    /* Not a list, or one item is itself too large: shorten every text field. */
    for (size_t field = c->ts->max_field / 2; field >= 64 && pcfmcp__buf_ok(json); field /= 2) {
        if (!pcfmcp__tools_clean_tree(c->out, field))
            return false;
        if (fits(c, json)) {
            cJSON_DeleteItemFromObjectCaseSensitive(c->out, "truncated");
            cJSON_DeleteItemFromObjectCaseSensitive(c->out, "notice");
            char notice[200];
            snprintf(notice, sizeof(notice),
                     "Text fields were shortened to %zu characters to fit "
                     "tools.max_response_bytes (%zu bytes).",
                     field, cap);
            bool ok = pcfmcp__json_put_bool(c->out, "truncated", true);
            ok &= pcfmcp__json_put_str(c->out, "notice", notice);
            /* The two members may tip it over again: written once more. */
            return ok && pcfmcp__json_write((pcfmcp__buf_reset(json), json), c->out);
        }
    }
    return false;
}

/* ------------------------------------------------------------ the call */

static pcfmcp_error_t resolve_client(tcall *c)
{
    pcfmcp_toolset_t *ts = c->ts;
    if (ts->resolve) {
        char why[512] = "";
        pcfmcp_pcf_t *pcf = NULL;
        pcfmcp_error_t rc =
            ts->resolve(c->ctx ? pcfmcp_ctx_identity(c->ctx) : NULL, &pcf, why, sizeof(why),
                        ts->resolve_ud);
        why[sizeof(why) - 1] = '\0';
        if (rc != PCFMCP_OK || !pcf) {
            if (why[0])
                TOOL_ERR(c, "{}", MA_STATIC(why));
            else
                TOOL_ERR(c, "no PCF identity is configured for you");
            return rc != PCFMCP_OK ? rc : PCFMCP_ERR_DENIED;
        }
        c->pcf = pcf;
        return PCFMCP_OK;
    }
    if (!ts->pcf) {
        TOOL_ERR(c, "PCF is not configured on this server: set pcf.url and credentials "
                    "(pcf.token, or pcf.email and pcf.password)");
        return PCFMCP_ERR_UNSUPPORTED;
    }
    c->pcf = ts->pcf;
    return PCFMCP_OK;
}

/* The running call's list of unowned items, on this thread. */
static _Thread_local cJSON *orphans_here;

cJSON_bool pcfmcp__tools_add_item(cJSON *to, const char *key, cJSON *item)
{
    /* The parentheses call cJSON's own functions, not the macros. */
    cJSON_bool ok = key ? (cJSON_AddItemToObject)(to, key, item) : (cJSON_AddItemToArray)(to, item);
    if (!ok && item && orphans_here)
        (cJSON_AddItemToArray)(orphans_here, item); /* links only: cannot fail */
    return ok;
}

pcfmcp_error_t pcfmcp__tools_call_begin(tcall *c, pcfmcp_toolset_t *ts, pcfmcp_ctx_t *ctx,
                                        const tool_def *def, cJSON *args)
{
    memset(c, 0, sizeof(*c));
    c->ts = ts;
    c->ctx = ctx;
    c->def = def;
    c->args = c->args_owned = args;
    pcfmcp__mt_init(&c->summary);
    pcfmcp__mt_init(&c->err);
    c->orphans_prev = orphans_here;
    c->orphans = cJSON_CreateArray();
    if (!c->orphans)
        return PCFMCP_ERR_NOMEM;
    orphans_here = c->orphans;
    if (ctx) {
        c->pctx.traceparent = pcfmcp_ctx_traceparent(ctx);
        c->pctx.tracestate = pcfmcp_ctx_tracestate(ctx);
        c->pctx.cancelled = pcfmcp_ctx_cancel_flag(ctx);
        c->pctx.request_id = pcfmcp_ctx_request_id(ctx);
        c->pctx.session = pcfmcp_ctx_session_id(ctx);
        c->pctx.identity = pcfmcp_ctx_identity(ctx);
        c->pctx.since_ms = pcfmcp__ctx_received_ms(ctx);
    }
    return resolve_client(c);
}

void pcfmcp__tools_call_end(tcall *c)
{
    if (c->orphans) {
        orphans_here = c->orphans_prev;
        cJSON_Delete(c->orphans);
        c->orphans = NULL;
    }
    for (size_t i = 0; i < c->nresults; i++)
        pcfmcp_pcf_result_free(c->results[i]);
    pcfmcp__free(c->results);
    cJSON_Delete(c->projects_doc);
    cJSON_Delete(c->out);
    cJSON_Delete(c->extra_content);
    cJSON_Delete(c->args_owned);
    pcfmcp__free(c->rc_key);
    pcfmcp__free(c->project_name);
    pcfmcp__mt_free(&c->summary);
    pcfmcp__mt_free(&c->err);
}

/* Gates that depend on the call: confirmation, web session. */
static pcfmcp_error_t call_gates(tcall *c)
{
    const tool_def *d = c->def;
    if (d->flags & F_DESTRUCTIVE) {
        const char *target = pcfmcp__tools_arg_str(c, d->confirm_of);
        const char *confirm = pcfmcp__tools_arg_str(c, "confirm");
        const cJSON *list = cJSON_GetObjectItemCaseSensitive(c->args, d->confirm_of);
        char count[24];
        if (cJSON_IsArray(list)) {
            /* A bulk operation confirms how many targets it hits. */
            snprintf(count, sizeof(count), "%d", cJSON_GetArraySize(list));
            target = count;
        }
        /* Exactly: byte for byte, as the message says. */
        if (!target || !confirm || strcmp(target, confirm) != 0) {
            TOOL_ERR(c, "refused: {} deletes data permanently, so `confirm` must repeat {}`{}` "
                        "exactly (got {} for {}). Make sure this is the right target, then call "
                        "again with confirm set to it.",
                     MA_ID(d->name), MA_IF(cJSON_IsArray(list), "the number of ", ""),
                     MA_ID(d->confirm_of), MA_Q(confirm ? confirm : ""),
                     MA_Q(target ? target : ""));
            return PCFMCP_ERR_DENIED;
        }
    }
    /* The same decision as registration, for the caller's own client. */
    const char *reason = d->capability ? pcfmcp__tools_unusable(c->ts, c->pcf, d, false) : NULL;
    if (reason) {
        TOOL_ERR(c, "{} cannot run with this server's PCF configuration: it {}.", MA_ID(d->name),
                 MA_STATIC(reason));
        return PCFMCP_ERR_UNSUPPORTED;
    }
    return PCFMCP_OK;
}

static void log_call(tcall *c, pcfmcp_error_t rc, uint64_t start)
{
    pcfmcp_logger_t *lg = c->ts->log;
    if (!lg)
        return;
    pcfmcp__log_fields f;
    char trace_id[33];
    pcfmcp__ctx_log_fields(c->ctx, &f, trace_id);
    PCFMCP_LOGF(lg, rc ? PCFMCP_LOG_INFO : PCFMCP_LOG_DEBUG, "tools", &f,
                "tool %s %s in %llu ms%s%s", c->def->name, rc ? "failed" : "ok",
                (unsigned long long)(pcfmcp__now_ms() - start), rc ? ": " : "",
                rc ? pcfmcp__mt_str(&c->err) : "");
}

/* The paging members, said in the text's last line rather than in its data. */
static const char *const paging_members[] = { "total", "offset", "returned", "truncated",
                                              "next_cursor", "notice", NULL };

static pcfmcp_error_t emit_text(tcall *c)
{
    pcfmcp__mtext t;
    pcfmcp__mt_init(&t);
    MT_FMT(&t, "{}", MA_MT(&c->summary));
    pcfmcp__mt_data_except(&t, c->out, paging_members);
    const char *notice = pcfmcp__json_str(c->out, "notice");
    if (notice) /* ours (enforce_cap), but quoted like anything read back from a tree */
        MT_FMT(&t, "Notice: {}\n", MA_Q(notice));
    const char *next = pcfmcp__json_str(c->out, "next_cursor");
    if (c->page_key) {
        size_t off = (size_t)pcfmcp__json_num(c->out, "offset", 0);
        size_t ret = (size_t)pcfmcp__json_num(c->out, "returned", 0);
        size_t tot = (size_t)pcfmcp__json_num(c->out, "total", 0);
        if (ret)
            MT_FMT(&t, "Items {}-{} of {}.", MA_INT(off + 1), MA_INT(off + ret), MA_INT(tot));
        else
            MT_FMT(&t, "No items in this page ({} in total).", MA_INT(tot));
        if (next)
            MT_FMT(&t, " More: call again with cursor {}.", MA_Q(next));
        MT_LIT(&t, "\n");
    }
    pcfmcp_error_t rc = pcfmcp__mt_len(&t) ? pcfmcp__mt_result_text(c->result, &t) : PCFMCP_OK;
    pcfmcp__mt_free(&t);
    return rc;
}

/* Memory ran out on this thread while the handler built its answer: a
 * handler's tree building is not checked step by step (cJSON_Add* results),
 * so the tree may lack members. A partial answer would tell the model that
 * PCF holds less than it does; the call fails as a whole instead, and a
 * write says it may have happened. */
static pcfmcp_error_t partial_answer(tcall *c)
{
    if (c->def->flags & F_READ)
        TOOL_ERR(c, "out of memory while building the answer; nothing was changed");
    else
        TOOL_ERR(c, "out of memory while building the answer; the change may have reached "
                    "PCF: read it back before retrying");
    return PCFMCP_ERR_NOMEM;
}

/* One tools/call of a PCF tool, on a worker: the engine's parsed arguments
 * in, the structured output written once (the byte cap is measured on the
 * text that is sent) and the text rendered from the same cleaned tree. */
static pcfmcp_error_t run_tool(pcfmcp_ctx_t *ctx, const cJSON *args, pcfmcp_result_t *result,
                               void *userdata)
{
    const tool_binding *b = userdata;
    const tool_def *d = b->def;
    pcfmcp_toolset_t *ts = b->ts;
    uint64_t start = pcfmcp__now_ms();
    tcall c;
    pcfmcp_error_t rc = pcfmcp__tools_call_begin(&c, ts, ctx, d, NULL);
    c.args = args;
    c.result = result;
    if (rc == PCFMCP_OK)
        rc = call_gates(&c);
    if (rc == PCFMCP_OK && pcfmcp__tools_rc_lookup(&c)) {
        log_call(&c, rc, start);
        pcfmcp__tools_call_end(&c);
        return PCFMCP_OK;
    }
    if (rc == PCFMCP_OK && (d->flags & F_PROJECT))
        rc = pcfmcp__tools_resolve_project(&c, pcfmcp__tools_arg_str(&c, "project"));
    unsigned long oom_before = pcfmcp__alloc_failures_here();
    if (rc == PCFMCP_OK)
        rc = d->fn(&c);
    if (rc == PCFMCP_OK && pcfmcp__alloc_failures_here() != oom_before)
        rc = partial_answer(&c);
    if (rc == PCFMCP_OK && ctx && pcfmcp_ctx_is_cancelled(ctx)) {
        TOOL_ERR(&c, "cancelled by the client");
        rc = PCFMCP_ERR_CANCELLED;
    }
    pcfmcp__buf json;
    pcfmcp__buf_init(&json);
    if (rc == PCFMCP_OK) {
        if (!pcfmcp__tools_out(&c) || !pcfmcp__tools_clean_tree(c.out, ts->max_field)) {
            TOOL_ERR(&c, "out of memory");
            rc = PCFMCP_ERR_NOMEM;
        } else if (!enforce_cap(&c, &json)) {
            if (!pcfmcp__buf_ok(&json)) {
                TOOL_ERR(&c, "out of memory");
                rc = PCFMCP_ERR_NOMEM;
            } else {
                TOOL_ERR(&c, "the result is larger than tools.max_response_bytes ({} bytes) even "
                             "with shortened fields: narrow the request (filters, sections, limit)",
                         MA_INT(ts->max_response));
                rc = PCFMCP_ERR_LIMIT;
            }
        }
    }
    if (rc == PCFMCP_OK) {
        rc = emit_text(&c);
        cJSON *blk;
        cJSON_ArrayForEach(blk, c.extra_content)
            if (rc == PCFMCP_OK)
                rc = pcfmcp__mt_result_block(result, blk);
        if (rc == PCFMCP_OK)
            rc = pcfmcp__mt_result_structured_json(result, c.out, &json);
        if (rc != PCFMCP_OK)
            TOOL_ERR(&c, "out of memory");
        else if (pcfmcp__alloc_failures_here() != oom_before)
            rc = partial_answer(&c); /* rendering lost a step: the text may lack lines */
        else
            pcfmcp__tools_rc_keep(&c);
    }
    pcfmcp__buf_free(&json);
    if (rc != PCFMCP_OK) {
        pcfmcp__mtext m;
        pcfmcp__mt_init(&m);
        if (pcfmcp__mt_len(&c.summary) && pcfmcp__mt_len(&c.err))
            /* A composite tool that got part of the way says what it did. */
            MT_FMT(&m, "{}\n{}", MA_MT(&c.err), MA_MT(&c.summary));
        else if (pcfmcp__mt_len(&c.err))
            MT_FMT(&m, "{}", MA_MT(&c.err));
        else
            MT_FMT(&m, "{}", MA_STATIC(pcfmcp_strerror(rc)));
        pcfmcp__mt_result_error(result, &m);
        pcfmcp__mt_free(&m);
    }
    log_call(&c, rc, start);
    pcfmcp__tools_call_end(&c);
    return rc;
}

/* On the transport's thread: a cached result, or PCFMCP__NATIVE_WOULD_BLOCK. */
static pcfmcp_error_t probe_tool(pcfmcp_ctx_t *ctx, const cJSON *args, pcfmcp_result_t *result,
                                 void *userdata)
{
    const tool_binding *b = userdata;
    return pcfmcp__tools_rc_probe(b->ts, ctx, b->def, args, result);
}

pcfmcp_error_t pcfmcp__tools_register_def(pcfmcp_toolset_t *ts, pcfmcp_engine_t *engine,
                                          size_t i, char *why, size_t why_size)
{
    const tool_def *d = &pcfmcp__tools_defs[i];
    ts->bindings[i].ts = ts;
    ts->bindings[i].def = d;
    cJSON *t = tool_json(ts, d);
    char *text = t ? pcfmcp__json_print(t, NULL) : NULL;
    cJSON_Delete(t);
    if (!text) {
        snprintf(why, why_size, "out of memory");
        return PCFMCP_ERR_NOMEM;
    }
    pcfmcp_error_t rc =
        pcfmcp__engine_add_tool_native(engine, text, run_tool, probe_tool, &ts->bindings[i]);
    pcfmcp__free(text);
    if (rc != PCFMCP_OK) {
        snprintf(why, why_size, "registering tool %s failed: %s", d->name,
                 pcfmcp_engine_errmsg(engine));
        return rc;
    }
    /* A tool withheld earlier (dynamic mode) is now offered. */
    pcfmcp_engine_withhold_tool(engine, d->name, NULL);
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_toolset_register(pcfmcp_toolset_t *ts, pcfmcp_engine_t *engine)
{
    if (!ts || !engine)
        return PCFMCP_ERR_INVALID_ARG;
    if (ts->registered)
        return pcfmcp__fail(ts, PCFMCP_ERR_STATE,
                            "the toolset is already registered on an engine");
    ts->bindings = pcfmcp__calloc(pcfmcp__tools_ndefs, sizeof(*ts->bindings));
    if (!ts->bindings)
        return pcfmcp__fail(ts, PCFMCP_ERR_NOMEM, "out of memory");
    ts->registered = true;
    ts->engine = engine;
    /* The scope's names become UUIDs now, so an ambiguous name stops the
     * start; if PCF cannot be reached yet, the first call resolves them. */
    if ((ts->nprojects || ts->default_project) && (ts->pcf || !scope_needs_pcf(ts))) {
        pcfmcp__mtext msg;
        pcfmcp__mt_init(&msg);
        pthread_mutex_lock(&ts->scope_lock);
        pcfmcp_error_t src = resolve_scope_locked(ts, ts->pcf, NULL, &msg);
        int state = ts->scope_state;
        pthread_mutex_unlock(&ts->scope_lock);
        if (src != PCFMCP_OK && ts->log)
            PCFMCP_LOG(ts->log, PCFMCP_LOG_WARN, "tools", "%s; retrying at the first call",
                       pcfmcp__mt_str(&msg));
        pcfmcp__mt_free(&msg);
        if (src == PCFMCP_ERR_NOMEM)
            return pcfmcp__fail(ts, src, "out of memory");
        if (state < 0)
            return pcfmcp__fail(ts, PCFMCP_ERR_CONFIG, "%s", ts->scope_why);
    }
    for (size_t i = 0; i < pcfmcp__tools_ndefs; i++) {
        const tool_def *d = &pcfmcp__tools_defs[i];
        if (!enabled(ts, d)) {
            pcfmcp__buf why;
            pcfmcp__buf_init(&why);
            withheld_reason(ts, d, &why);
            pcfmcp_error_t rc = pcfmcp__buf_ok(&why) && why.len
                                    ? pcfmcp_engine_withhold_tool(engine, d->name, why.data)
                                    : PCFMCP_ERR_NOMEM;
            pcfmcp__buf_free(&why);
            if (rc != PCFMCP_OK)
                return pcfmcp__fail(ts, rc, "withholding tool %s failed: %s", d->name,
                                    pcfmcp_strerror(rc));
            continue;
        }
        char why[400];
        pcfmcp_error_t rc = pcfmcp__tools_register_def(ts, engine, i, why, sizeof(why));
        if (rc != PCFMCP_OK)
            return pcfmcp__fail(ts, rc, "%s", why);
    }
    pcfmcp__error_clear();
    pcfmcp_error_t rc = pcfmcp__tools_register_extras(ts, engine);
    if (rc != PCFMCP_OK && !pcfmcp__error_detail(ts))
        pcfmcp__fail(ts, rc, "registering resources and prompts failed: %s",
                     pcfmcp_engine_errmsg(engine));
    return rc;
}
