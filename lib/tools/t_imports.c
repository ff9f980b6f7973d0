/* import_scan: one tool for every scanner format PCF imports. The file comes
 * from a path below imports.input_dir (read once into one buffer) or from
 * the arguments (used in place); it is streamed to PCF's importer from that
 * buffer. Before and after the import the project is read once through
 * PCF's JSON export, so the answer says what changed: counts and the new
 * hosts, ports, hostnames and findings. */
#include "core/internal.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/json.h"
#include "tools/handlers.h"

#define IMPORT_MAX_DEFAULT (16u * 1024u * 1024u)
#define NEW_LIST_MAX 50

PCFMCP_API pcfmcp_error_t pcfmcp_toolset_set_imports(pcfmcp_toolset_t *ts, const char *input_dir,
                                                     size_t max_bytes,
                                                     const char *pcf_issue_inserts)
{
    if (!ts)
        return PCFMCP_ERR_INVALID_ARG;
    if (ts->registered)
        return pcfmcp__fail(ts, PCFMCP_ERR_STATE,
                            "settings cannot change once the toolset is registered");
    if (max_bytes && max_bytes < 1024)
        return pcfmcp__fail(ts, PCFMCP_ERR_INVALID_ARG, "imports.max_bytes must be at least 1024");
    if (pcf_issue_inserts && *pcf_issue_inserts && strcmp(pcf_issue_inserts, "auto") != 0 &&
        strcmp(pcf_issue_inserts, "broken") != 0 && strcmp(pcf_issue_inserts, "working") != 0)
        return pcfmcp__fail(ts, PCFMCP_ERR_INVALID_ARG,
                            "imports.pcf_issue_inserts must be auto, broken or working");
    char *dir = input_dir && *input_dir ? pcfmcp__strdup(input_dir) : NULL;
    char *ins = pcf_issue_inserts && *pcf_issue_inserts ? pcfmcp__strdup(pcf_issue_inserts)
                                                        : NULL;
    if ((input_dir && *input_dir && !dir) || (pcf_issue_inserts && *pcf_issue_inserts && !ins)) {
        pcfmcp__free(dir);
        pcfmcp__free(ins);
        return pcfmcp__fail(ts, PCFMCP_ERR_NOMEM, "out of memory");
    }
    pcfmcp__free(ts->import_dir);
    pcfmcp__free(ts->import_inserts);
    ts->import_dir = dir;
    ts->import_inserts = ins;
    ts->import_max = max_bytes;
    return PCFMCP_OK;
}

/* ------------------------------------------------------------ counts */

typedef struct {
    int hosts, ports, hostnames, issues, pocs, notes, credentials;
    const cJSON *doc; /* the export, borrowed until the call ends */
} census;

static const char *const count_keys[] = { "hosts",  "ports", "hostnames",  "issues",
                                          "pocs",   "notes", "credentials" };

static int *count_slot(census *s, size_t i)
{
    int *slots[] = { &s->hosts, &s->ports,  &s->hostnames,  &s->issues,
                     &s->pocs,  &s->notes,  &s->credentials };
    return slots[i];
}

/* Ports of real services: PCF keeps a hidden port 0 per host. */
static bool real_port(const cJSON *p)
{
    return pcfmcp__json_num(p, "port", 0) != 0;
}

static bool take_census(tcall *c, census *s)
{
    memset(s, 0, sizeof(*s));
    pcfmcp_error_t rc;
    /* From PCF itself: a cached export would count others' changes as the import's. */
    bool was = c->pctx.fresh;
    c->pctx.fresh = true;
    s->doc = pcfmcp__tools_pcf_soft(c, PCFMCP__PCF_OP_PROJECT_SNAPSHOT, pcfmcp__tools_pargs(c),
                                    &rc, NULL);
    c->pctx.fresh = was;
    if (!s->doc)
        return false;
    s->hosts = cJSON_GetArraySize(pcfmcp__json_obj(s->doc, "hosts"));
    const cJSON *p;
    cJSON_ArrayForEach(p, pcfmcp__json_obj(s->doc, "ports")) s->ports += real_port(p);
    s->hostnames = cJSON_GetArraySize(pcfmcp__json_obj(s->doc, "hostnames"));
    s->issues = cJSON_GetArraySize(pcfmcp__json_obj(s->doc, "issues"));
    s->pocs = cJSON_GetArraySize(pcfmcp__json_obj(s->doc, "pocs"));
    s->notes = cJSON_GetArraySize(pcfmcp__json_obj(s->doc, "notes"));
    s->credentials = cJSON_GetArraySize(pcfmcp__json_obj(s->doc, "credentials"));
    return true;
}

static cJSON *counts_json(census *s)
{
    cJSON *o = cJSON_CreateObject();
    for (size_t i = 0; o && i < PCFMCP_ARRAY_LEN(count_keys); i++)
        cJSON_AddNumberToObject(o, count_keys[i], *count_slot(s, i));
    return o;
}

/* The IP of the host whose @p list ("ports", "hostnames") holds @p id, from
 * the export's hosts. */
static const char *owner_ip(const cJSON *doc, const char *list, const char *id)
{
    const cJSON *h;
    cJSON_ArrayForEach(h, pcfmcp__json_obj(doc, "hosts")) {
        const cJSON *x;
        cJSON_ArrayForEach(x, pcfmcp__json_arr(h, list))
            if (cJSON_IsString(x) && strcmp(x->valuestring, id) == 0)
                return h->string;
    }
    return "?";
}

/* Appends @p item to @p arr unless it holds NEW_LIST_MAX already (the count
 * of what was left out goes to more[key]). */
static void add_capped(cJSON *arr, cJSON *more, const char *key, cJSON *item)
{
    if (cJSON_GetArraySize(arr) < NEW_LIST_MAX) {
        cJSON_AddItemToArray(arr, item);
        return;
    }
    cJSON_Delete(item);
    cJSON *m = cJSON_GetObjectItemCaseSensitive(more, key);
    if (m)
        cJSON_SetNumberValue(m, m->valuedouble + 1);
    else
        cJSON_AddNumberToObject(more, key, 1);
}

/* What the project holds after the import that it did not before, by id
 * (hosts by IP, as PCF keys them). Changed existing entries (a port's new
 * service, an issue that gained a target) are not listed. */
static cJSON *diff(const census *a, const census *b)
{
    cJSON *out = cJSON_CreateObject();
    cJSON *more = cJSON_CreateObject();
    if (!out || !more) {
        cJSON_Delete(out);
        cJSON_Delete(more);
        return NULL;
    }
    cJSON *hosts = cJSON_AddArrayToObject(out, "hosts");
    cJSON *ports = cJSON_AddArrayToObject(out, "ports");
    cJSON *names = cJSON_AddArrayToObject(out, "hostnames");
    cJSON *issues = cJSON_AddArrayToObject(out, "issues");
    const cJSON *x;
    cJSON_ArrayForEach(x, pcfmcp__json_obj(b->doc, "hosts"))
        if (!cJSON_GetObjectItemCaseSensitive(pcfmcp__json_obj(a->doc, "hosts"), x->string))
            add_capped(hosts, more, "hosts", cJSON_CreateString(x->string));
    cJSON_ArrayForEach(x, pcfmcp__json_obj(b->doc, "ports")) {
        if (!real_port(x) ||
            cJSON_GetObjectItemCaseSensitive(pcfmcp__json_obj(a->doc, "ports"), x->string))
            continue;
        char where[160];
        snprintf(where, sizeof(where), "%s:%d/%s", owner_ip(b->doc, "ports", x->string),
                 pcfmcp__json_int(x, "port", 0),
                 pcfmcp__json_bool(x, "is_tcp", true) ? "tcp" : "udp");
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "port", where);
        const char *svc = pcfmcp__json_str(x, "service");
        cJSON_AddStringToObject(o, "service", svc ? svc : "");
        add_capped(ports, more, "ports", o);
    }
    cJSON_ArrayForEach(x, pcfmcp__json_obj(b->doc, "hostnames")) {
        if (cJSON_GetObjectItemCaseSensitive(pcfmcp__json_obj(a->doc, "hostnames"), x->string))
            continue;
        cJSON *o = cJSON_CreateObject();
        const char *n = pcfmcp__json_str(x, "hostname");
        cJSON_AddStringToObject(o, "hostname", n ? n : "");
        cJSON_AddStringToObject(o, "ip", owner_ip(b->doc, "hostnames", x->string));
        add_capped(names, more, "hostnames", o);
    }
    cJSON_ArrayForEach(x, pcfmcp__json_obj(b->doc, "issues")) {
        if (cJSON_GetObjectItemCaseSensitive(pcfmcp__json_obj(a->doc, "issues"), x->string))
            continue;
        cJSON *o = cJSON_CreateObject();
        const char *n = pcfmcp__json_str(x, "name");
        double cvss = pcfmcp__json_num(x, "cvss", 0);
        cJSON_AddStringToObject(o, "issue_id", x->string);
        cJSON_AddStringToObject(o, "name", n ? n : "");
        cJSON_AddNumberToObject(o, "cvss", cvss);
        cJSON_AddStringToObject(o, "criticality", pcfmcp__tools_criticality(cvss));
        add_capped(issues, more, "issues", o);
    }
    if (cJSON_GetArraySize(more) > 0)
        cJSON_AddItemToObject(out, "not_listed", more);
    else
        cJSON_Delete(more);
    return out;
}

/* "hosts 0->2 (+2), ports 3->5 (+2), ..." from two censuses (numbers only). */
static void sum_counts(pcfmcp__mtext *t, census *a, census *z)
{
    for (size_t i = 0; i < PCFMCP_ARRAY_LEN(count_keys); i++) {
        int x = *count_slot(a, i), y = *count_slot(z, i);
        if (i >= 4 && x == y)
            continue; /* PoCs, notes, credentials only when they changed */
        MT_FMT(t, "{}{} {}->{}", MA_IF(i, ", ", ""), MA_ID(count_keys[i]), MA_INT(x), MA_INT(y));
        if (y > x)
            MT_FMT(t, " (+{})", MA_INT(y - x));
        else if (y < x)
            MT_FMT(t, " (-{})", MA_INT(x - y));
    }
}

/* ------------------------------------------------------------ handler */

static const char *const option_args =
    "rule ignore_ports ignore_services hosts_description hostnames_description "
    "ports_description add_empty_hosts add_info_issues auto_resolve resolve host ignore_ipv6 "
    "add_nmap_scripts hosts_only force";

pcfmcp_error_t pcfmcp__th_import_scan(tcall *c)
{
    const char *format = pcfmcp__tools_arg_str(c, "format");
    const char *path = pcfmcp__tools_arg_str(c, "path");
    const cJSON *content = cJSON_GetObjectItemCaseSensitive(c->args, "content");
    if ((path != NULL) == (cJSON_IsString(content))) {
        TOOL_ERR(c, "give the scan file either as path (below imports.input_dir) or as content "
                    "(its text), not both and not neither");
        return PCFMCP_ERR_INVALID_ARG;
    }
    size_t max = c->ts->import_max ? c->ts->import_max : IMPORT_MAX_DEFAULT;
    char *owned = NULL;
    pcfmcp__pcf_upload up;
    memset(&up, 0, sizeof(up));
    if (path) {
        char why[256];
        size_t len = 0;
        if (pcfmcp__tools_read_confined(c->ts->import_dir, path, max, &owned, &len, why,
                                        sizeof(why)) != 0) {
            TOOL_ERR(c, "cannot read {}: {}", MA_Q(path), MA_STATIC(why));
            return PCFMCP_ERR_INVALID_ARG;
        }
        up.data = owned;
        up.len = len;
        const char *base = strrchr(path, '/');
        up.filename = base ? base + 1 : path;
    } else {
        /* Used in place: the argument is the one copy of the file. */
        up.data = content->valuestring;
        up.len = strlen(content->valuestring);
        if (up.len > max) {
            TOOL_ERR(c, "content has {} bytes; imports.max_bytes allows {}", MA_INT(up.len),
                     MA_INT(max));
            return PCFMCP_ERR_INVALID_ARG;
        }
    }
    if (up.len == 0) {
        pcfmcp__free(owned);
        TOOL_ERR(c, "the scan file is empty");
        return PCFMCP_ERR_INVALID_ARG;
    }

    census before, after;
    bool have_before = take_census(c, &before);

    cJSON *a = pcfmcp__tools_pargs(c);
    pcfmcp__th_copy(c, a, option_args);
    cJSON_AddStringToObject(a, "format", format ? format : "");
    if (c->ts->import_inserts)
        cJSON_AddStringToObject(a, "pcf_issue_inserts", c->ts->import_inserts);
    /* Called directly, not through pcfmcp__tools_pcf(): the upload rides on
     * the call context, and a refusal is pcf-mcp's own verdict, worded here. */
    c->pctx.upload = &up;
    pcfmcp_pcf_result_t *res = NULL;
    pcfmcp_error_t rc = pcfmcp__pcf_call(c->pcf, &c->pctx, PCFMCP__PCF_OP_SCAN_IMPORT, a, &res);
    cJSON_Delete(a);
    c->pctx.upload = NULL;
    pcfmcp__free(owned); /* nothing points into it any more */
    up.data = NULL;
    const cJSON *doc = rc == PCFMCP_OK ? pcfmcp__pcf_result_cjson(res) : NULL;
    pcfmcp__mtext msg;
    pcfmcp__mt_init(&msg);
    if (!doc) {
        const char *m = res ? pcfmcp_pcf_result_message(res) : pcfmcp_strerror(rc);
        if (rc == PCFMCP_ERR_UNSUPPORTED || rc == PCFMCP_ERR_INVALID_ARG)
            /* pcf-mcp's own verdict, given before anything reached PCF */
            MT_FMT(&msg, "{}", MA_STATIC(m));
        else if (rc == PCFMCP_ERR_PCF)
            MT_FMT(&msg, "PCF: {}", MA_Q(m));
        else
            MT_FMT(&msg, "import failed ({}): {}", MA_ID(pcfmcp_error_name(rc)), MA_Q(m));
        if (rc == PCFMCP_OK)
            rc = PCFMCP_ERR_BAD_RESPONSE;
    }

    /* Refused before anything was sent: nothing changed, no second read. */
    if (!doc && (rc == PCFMCP_ERR_UNSUPPORTED || rc == PCFMCP_ERR_INVALID_ARG)) {
        pcfmcp_pcf_result_free(res);
        TOOL_ERR(c, "{}", MA_MT(&msg));
        pcfmcp__mt_free(&msg);
        return rc;
    }
    bool have_after = take_census(c, &after);
    pcfmcp__mtext counts;
    pcfmcp__mt_init(&counts);
    if (have_before && have_after)
        sum_counts(&counts, &before, &after);
    if (!doc) {
        if (have_before && have_after)
            TOOL_SAY(c, "Project before and after this attempt: {}.", MA_MT(&counts));
        else
            TOOL_SAY(c, "The project could not be read {} the attempt, so its changes are "
                        "unknown: check it with get_project_snapshot.",
                     MA_IF(have_before, "after", "before"));
        TOOL_ERR(c, "{}", MA_MT(&msg));
        pcfmcp__mt_free(&msg);
        pcfmcp__mt_free(&counts);
        pcfmcp_pcf_result_free(res);
        return rc;
    }
    pcfmcp__mt_free(&msg);

    cJSON *out = pcfmcp__tools_out(c);
    cJSON_AddBoolToObject(out, "ok", true);
    cJSON_AddStringToObject(out, "format", pcfmcp__json_str(doc, "format"));
    cJSON_AddStringToObject(out, "project_id", c->project_id);
    cJSON_AddNumberToObject(out, "bytes_sent", pcfmcp__json_num(doc, "bytes_sent", 0));
    const char *rel = pcfmcp__json_str(doc, "pcf_release");
    if (rel)
        cJSON_AddStringToObject(out, "pcf_release", rel);
    if (have_before)
        cJSON_AddItemToObject(out, "before", counts_json(&before));
    if (have_after)
        cJSON_AddItemToObject(out, "after", counts_json(&after));
    if (have_before && have_after)
        cJSON_AddItemToObject(out, "new", diff(&before, &after));
    static const char *const carry[] = { "census",  "skipped",  "removed", "adjusted",
                                         "precreated", "warnings", "note" };
    for (size_t i = 0; i < PCFMCP_ARRAY_LEN(carry); i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(doc, carry[i]);
        if (v && !((cJSON_IsArray(v) || cJSON_IsObject(v)) && cJSON_GetArraySize(v) == 0))
            cJSON_AddItemToObject(out, carry[i], cJSON_Duplicate(v, true));
    }
    int removed = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "removed"));
    int skipped = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "skipped"));
    int adjusted = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "adjusted"));
    int warnings = cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "warnings"));
    const char *fmt = pcfmcp__json_str(doc, "format");
    double sent = pcfmcp__json_num(doc, "bytes_sent", 0);
    if (have_before && have_after)
        TOOL_SAY(c, "PCF imported the {} file ({} bytes sent): {}.", MA_ID(fmt),
                 MA_INT((long long)sent), MA_MT(&counts));
    else
        TOOL_SAY(c, "PCF imported the {} file ({} bytes sent); the project could not be read "
                    "{}, so the counts are missing.",
                 MA_ID(fmt), MA_INT((long long)sent),
                 MA_IF(have_before, "afterwards", "beforehand"));
    if (removed || adjusted)
        TOOL_SAY(c, "pcf-mcp changed what was sent for this PCF release ({} item(s) left out): "
                    "see adjusted and removed.",
                 MA_INT(removed));
    if (skipped)
        TOOL_SAY(c, "PCF's importer leaves part of the file out: see skipped.");
    if (warnings)
        TOOL_SAY(c, "{} warning(s): see warnings.", MA_INT(warnings));
    TOOL_SAY(c, "new lists what appeared (list_hosts / list_issues show the rest).");
    pcfmcp__mt_free(&counts);
    pcfmcp_pcf_result_free(res);
    return PCFMCP_OK;
}
