/* Handlers: projects, hosts, ports, hostnames, networks, teams and users. */
#include "core/internal.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/json.h"
#include "core/util.h"
#include "tools/handlers.h"
#include "tools/t_workspace.h"

/* ------------------------------------------------------------ shared */

bool pcfmcp__th_copy(tcall *c, cJSON *dst, const char *names)
{
    const char *p = names;
    while (*p) {
        while (*p == ' ')
            p++;
        size_t n = strcspn(p, " ");
        if (!n)
            break;
        char key[64];
        snprintf(key, sizeof(key), "%.*s", (int)n, p);
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(c->args, key);
        if (v && !cJSON_IsNull(v)) {
            cJSON *dup = cJSON_Duplicate(v, true);
            if (!dup)
                return false;
            cJSON_AddItemToObject(dst, key, dup);
        }
        p += n;
    }
    return true;
}

void pcfmcp__th_updated(tcall *c, const char *names)
{
    cJSON *arr = cJSON_AddArrayToObject(pcfmcp__tools_out(c), "updated");
    const char *p = names;
    while (*p) {
        while (*p == ' ')
            p++;
        size_t n = strcspn(p, " ");
        if (!n)
            break;
        char key[64];
        snprintf(key, sizeof(key), "%.*s", (int)n, p);
        if (pcfmcp__tools_has_arg(c, key))
            cJSON_AddItemToArray(arr, cJSON_CreateString(key));
        p += n;
    }
}

pcfmcp_error_t pcfmcp__th_update_send(tcall *c, cJSON *form, int fixed, pcfmcp__pcf_op op,
                                      const char *id_key, const char *id, const char *fields,
                                      const char *what, const char *hint)
{
    if (cJSON_GetArraySize(form) <= fixed) {
        cJSON_Delete(form);
        TOOL_ERR(c, "nothing to change: {}", MA_STATIC(hint));
        return PCFMCP_ERR_INVALID_ARG;
    }
    if (!pcfmcp__tools_pcf(c, op, form, NULL))
        return PCFMCP_ERR_PCF;
    cJSON *out = pcfmcp__tools_out(c);
    cJSON_AddBoolToObject(out, "ok", true);
    cJSON_AddStringToObject(out, id_key, id);
    pcfmcp__th_updated(c, fields);
    TOOL_SAY(c, "Updated {} {}.", MA_STATIC(what), MA_ID(id));
    return PCFMCP_OK;
}

bool pcfmcp__th_date(tcall *c, cJSON *dst, const char *arg, const char *field)
{
    const char *s = pcfmcp__tools_arg_str(c, arg);
    if (!s)
        return true;
    struct tm tm;
    memset(&tm, 0, sizeof(tm));
    int y, m, d;
    if (sscanf(s, "%4d-%2d-%2d", &y, &m, &d) != 3) {
        TOOL_ERR(c, "{} must be a date like 2025-03-31", MA_ID(arg));
        return false;
    }
    tm.tm_year = y - 1900;
    tm.tm_mon = m - 1;
    tm.tm_mday = d;
    time_t t = timegm(&tm);
    cJSON_AddNumberToObject(dst, field, (double)t);
    return true;
}

cJSON *pcfmcp__th_args_id(tcall *c, const char *name, const char *value)
{
    cJSON *a = pcfmcp__tools_pargs(c);
    if (a && value)
        cJSON_AddStringToObject(a, name, value);
    return a;
}

const cJSON *pcfmcp__th_hosts(tcall *c)
{
    const cJSON *doc = pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_HOSTS_LIST, pcfmcp__tools_pargs(c),
                                         NULL);
    return doc ? pcfmcp__json_arr(doc, "hosts") : NULL;
}

/* `host` given as UUID or IP: the host's UUID, or NULL with the error set. */
const char *pcfmcp__th_host_id(tcall *c, const char *given)
{
    if (!given) {
        TOOL_ERR(c, "missing host (UUID or IP address)");
        return NULL;
    }
    if (pcfmcp__uuid_valid(given))
        return given;
    const cJSON *hosts = pcfmcp__th_hosts(c);
    if (!hosts)
        return NULL;
    const cJSON *h = pcfmcp__tools_find_host(hosts, given);
    if (!h) {
        TOOL_ERR(c, "no host with IP {} in this project (list_hosts shows the hosts; add_host "
                    "creates one)",
                 MA_ID(given));
        return NULL;
    }
    return pcfmcp__json_str(h, "id");
}

void pcfmcp__th_step(tcall *c, cJSON *steps, const pcfmcp__mtext *what, bool ok, const char *id,
                     const pcfmcp__mtext *error)
{
    cJSON *s = cJSON_CreateObject();
    cJSON_AddStringToObject(s, "step", pcfmcp__mt_str(what));
    cJSON_AddBoolToObject(s, "ok", ok);
    if (id)
        cJSON_AddStringToObject(s, "id", id);
    if (error)
        cJSON_AddStringToObject(s, "error", pcfmcp__mt_str(error));
    cJSON_AddItemToArray(steps, s);
    if (ok)
        TOOL_SAY(c, "done: {}{}{}", MA_MT(what), MA_IF(id, " -> ", ""), MA_ID(id ? id : ""));
    else if (error)
        TOOL_SAY(c, "FAILED: {}: {}", MA_MT(what), MA_MT(error));
    else
        TOOL_SAY(c, "FAILED: {}", MA_MT(what));
}

/* Counts of @p key values in an object of counters. */
void pcfmcp__th_count(cJSON *counts, const char *key)
{
    if (!key || !*key)
        key = "(none)";
    cJSON *n = cJSON_GetObjectItemCaseSensitive(counts, key);
    if (n) /* checked: the cJSON_SetNumberValue macro would test for NULL again */
        cJSON_SetNumberHelper(n, n->valuedouble + 1);
    else
        cJSON_AddNumberToObject(counts, key, 1);
}

/* ------------------------------------------------------------ projects */

pcfmcp_error_t pcfmcp__th_list_projects(tcall *c)
{
    const cJSON *projects = pcfmcp__tools_projects(c);
    if (!projects)
        return PCFMCP_ERR_PCF;
    const char *text = pcfmcp__tools_arg_str(c, "text");
    const char *status = pcfmcp__tools_arg_str(c, "status");
    cJSON *items = cJSON_CreateArray();
    /* The call's own list (pcfmcp__tools_projects): its matches move over
     * rather than being copied. */
    cJSON *all = (cJSON *)projects;
    for (cJSON *p = all->child, *next; p && items; p = next) {
        next = p->next;
        if (status && !pcfmcp__json_str_is(p, "status", status))
            continue;
        if (text && !pcfmcp__tools_icontains(pcfmcp__json_str(p, "name"), text) &&
            !pcfmcp__tools_icontains(pcfmcp__json_str(p, "description"), text) &&
            !pcfmcp__tools_icontains(pcfmcp__json_str(p, "scope"), text))
            continue;
        cJSON_AddItemToArray(items, cJSON_DetachItemViaPointer(all, p));
    }
    TOOL_SAY(c, "{} project(s) visible{}.", MA_INT(cJSON_GetArraySize(items)),
             MA_IF(c->ts->nprojects, " (limited by tools.projects)", ""));
    return pcfmcp__tools_page(c, "projects", items);
}

pcfmcp_error_t pcfmcp__th_get_project(tcall *c)
{
    const cJSON *p =
        pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_PROJECT_SETTINGS, pcfmcp__tools_pargs(c), NULL);
    if (!p)
        return PCFMCP_ERR_PCF;
    const cJSON *hosts = pcfmcp__th_hosts(c);
    if (!hosts)
        return PCFMCP_ERR_PCF;
    const cJSON *il =
        pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_ISSUES_LIST, pcfmcp__tools_pargs(c), NULL);
    if (!il)
        return PCFMCP_ERR_PCF;
    cJSON *out = pcfmcp__tools_out(c);
    cJSON *proj = pcfmcp__tools_norm_project(p);
    cJSON_ReplaceItemInObjectCaseSensitive(proj, "id", cJSON_CreateString(c->project_id));
    cJSON_AddItemToObject(out, "project", proj);
    cJSON_AddNumberToObject(out, "host_count", cJSON_GetArraySize(hosts));
    cJSON_AddNumberToObject(out, "issue_count", cJSON_GetArraySize(pcfmcp__json_arr(il, "issues")));
    cJSON *by = cJSON_AddObjectToObject(out, "issues_by_criticality");
    static const char *const crits[] = { "critical", "high", "medium", "low", "info" };
    for (size_t i = 0; i < 5; i++)
        cJSON_AddNumberToObject(by, crits[i], 0);
    const cJSON *i;
    cJSON_ArrayForEach(i, pcfmcp__json_arr(il, "issues"))
        pcfmcp__th_count(by, pcfmcp__tools_criticality(pcfmcp__json_num(i, "cvss", 0)));
    TOOL_SAY(c, "Project {}: {} hosts, {} issues.", MA_ID(c->project_id),
             MA_INT(cJSON_GetArraySize(hosts)),
             MA_INT(cJSON_GetArraySize(pcfmcp__json_arr(il, "issues"))));
    return PCFMCP_OK;
}

pcfmcp_error_t pcfmcp__th_create_project(tcall *c)
{
    if (c->ts->nprojects) {
        TOOL_ERR(c, "refused: this server limits the assistant to the projects in "
                    "tools.projects, so it cannot create new ones");
        return PCFMCP_ERR_DENIED;
    }
    cJSON *a = cJSON_CreateObject();
    if (!pcfmcp__th_copy(c, a, "name description scope folder report_title teams testers "
                               "auto_archive") ||
        !pcfmcp__th_date(c, a, "start_date", "start_date") ||
        !pcfmcp__th_date(c, a, "end_date", "end_date")) {
        cJSON_Delete(a);
        return PCFMCP_ERR_INVALID_ARG;
    }
    const cJSON *doc = pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_PROJECT_CREATE, a, NULL);
    if (!doc)
        return PCFMCP_ERR_PCF;
    const char *id = pcfmcp__json_str(doc, "project_id");
    cJSON *out = pcfmcp__tools_out(c);
    cJSON_AddStringToObject(out, "project_id", id ? id : "");
    cJSON_AddStringToObject(out, "name", pcfmcp__tools_arg_str(c, "name"));
    TOOL_SAY(c, "Created project {}.", MA_ID(id ? id : ""));
    return PCFMCP_OK;
}

pcfmcp_error_t pcfmcp__th_update_project(tcall *c)
{
    static const char fields[] = "name description scope folder report_title teams testers "
                                 "auto_archive status start_date end_date";
    cJSON *a = pcfmcp__tools_pargs(c);
    if (!pcfmcp__th_copy(c, a, "name description scope folder report_title teams testers "
                               "auto_archive status") ||
        !pcfmcp__th_date(c, a, "start_date", "start_date") ||
        !pcfmcp__th_date(c, a, "end_date", "end_date")) {
        cJSON_Delete(a);
        return PCFMCP_ERR_INVALID_ARG;
    }
    return pcfmcp__th_update_send(c, a, 1, PCFMCP__PCF_OP_PROJECT_UPDATE, "project_id",
                                  c->project_id, fields, "project",
                                  "give at least one field to update");
}

/* ------------------------------------------------------------ hosts */

static cJSON *short_host(const cJSON *h, bool with_ports)
{
    cJSON *o = cJSON_CreateObject();
    static const char *const keys[] = { "id", "ip", "description", "os" };
    for (size_t i = 0; i < 4; i++) {
        const char *v = pcfmcp__json_str(h, keys[i]);
        cJSON_AddStringToObject(o, keys[i], v ? v : "");
    }
    cJSON_AddItemToObject(o, "threats", cJSON_Duplicate(pcfmcp__json_arr(h, "threats"), true));
    cJSON *names = cJSON_AddArrayToObject(o, "hostnames");
    const cJSON *x;
    cJSON_ArrayForEach(x, pcfmcp__json_arr(h, "hostnames")) {
        const char *n = pcfmcp__json_str(x, "hostname");
        if (n)
            cJSON_AddItemToArray(names, cJSON_CreateString(n));
    }
    cJSON_AddNumberToObject(o, "issue_count", cJSON_GetArraySize(pcfmcp__json_arr(h, "issue_ids")));
    if (with_ports) {
        cJSON *ports = cJSON_AddArrayToObject(o, "ports");
        cJSON_ArrayForEach(x, pcfmcp__json_arr(h, "ports")) {
            char s[160];
            snprintf(s, sizeof(s), "%d/%s %s", pcfmcp__json_int(x, "port", 0),
                     pcfmcp__json_str(x, "protocol"), pcfmcp__json_str(x, "service"));
            cJSON_AddItemToArray(ports, cJSON_CreateString(s));
        }
    }
    return o;
}

pcfmcp_error_t pcfmcp__th_list_hosts(tcall *c)
{
    bool summary = pcfmcp__json_bool(c->args, "summary", false);
    bool need_ports = summary || pcfmcp__tools_has_arg(c, "port") ||
                      pcfmcp__tools_has_arg(c, "service") ||
                      pcfmcp__json_bool(c->args, "with_ports", false);
    cJSON *hosts = NULL;
    cJSON *model = NULL;
    if (need_ports) {
        model = pcfmcp__tools_model(c, M_PORTS);
        if (!model)
            return PCFMCP_ERR_PCF;
        hosts = cJSON_GetObjectItemCaseSensitive(model, "hosts");
    } else {
        const cJSON *raw = pcfmcp__th_hosts(c);
        if (!raw)
            return PCFMCP_ERR_PCF;
        model = cJSON_CreateObject();
        hosts = cJSON_AddArrayToObject(model, "hosts");
        const cJSON *h;
        cJSON_ArrayForEach(h, raw) cJSON_AddItemToArray(hosts, pcfmcp__tools_norm_host(h));
    }
    const char *text = pcfmcp__tools_arg_str(c, "text");
    const char *threat = pcfmcp__tools_arg_str(c, "threat");
    const char *service = pcfmcp__tools_arg_str(c, "service");
    int port = pcfmcp__json_int(c->args, "port", 0);
    cJSON *items = cJSON_CreateArray();
    cJSON *by_threat = cJSON_CreateObject(), *by_os = cJSON_CreateObject(),
          *by_service = cJSON_CreateObject();
    const cJSON *h;
    cJSON_ArrayForEach(h, hosts) {
        if (text) {
            bool hit = pcfmcp__tools_icontains(pcfmcp__json_str(h, "ip"), text) ||
                       pcfmcp__tools_icontains(pcfmcp__json_str(h, "os"), text) ||
                       pcfmcp__tools_icontains(pcfmcp__json_str(h, "description"), text);
            const cJSON *n;
            cJSON_ArrayForEach(n, pcfmcp__json_arr(h, "hostnames")) hit =
                hit || pcfmcp__tools_icontains(pcfmcp__json_str(n, "hostname"), text);
            if (!hit)
                continue;
        }
        if (threat) {
            bool hit = false;
            const cJSON *t;
            cJSON_ArrayForEach(t, pcfmcp__json_arr(h, "threats")) hit =
                hit || (cJSON_IsString(t) && strcmp(t->valuestring, threat) == 0);
            if (!hit)
                continue;
        }
        if (port || service) {
            bool hit = false;
            const cJSON *p;
            cJSON_ArrayForEach(p, pcfmcp__json_arr(h, "ports")) {
                if ((!port || pcfmcp__json_int(p, "port", 0) == port) &&
                    (!service || pcfmcp__tools_icontains(pcfmcp__json_str(p, "service"), service)))
                    hit = true;
            }
            if (!hit)
                continue;
        }
        const cJSON *t;
        cJSON_ArrayForEach(t, pcfmcp__json_arr(h, "threats"))
            pcfmcp__th_count(by_threat, cJSON_IsString(t) ? t->valuestring : NULL);
        pcfmcp__th_count(by_os, pcfmcp__json_str(h, "os"));
        cJSON_ArrayForEach(t, pcfmcp__json_arr(h, "ports"))
            pcfmcp__th_count(by_service, pcfmcp__json_str(t, "service"));
        cJSON_AddItemToArray(items, short_host(h, need_ports && !summary));
    }
    cJSON_Delete(model);
    cJSON *out = pcfmcp__tools_out(c);
    cJSON_AddStringToObject(out, "project_id", c->project_id);
    TOOL_SAY(c, "{} host(s) match in project {}.", MA_INT(cJSON_GetArraySize(items)),
             MA_Q(c->project_name ? c->project_name : c->project_id));
    if (summary) {
        cJSON *s = cJSON_AddObjectToObject(out, "summary");
        cJSON_AddItemToObject(s, "by_threat", by_threat);
        cJSON_AddItemToObject(s, "by_os", by_os);
        cJSON_AddItemToObject(s, "by_service", by_service);
        cJSON_AddNumberToObject(out, "total", cJSON_GetArraySize(items));
        cJSON_AddNumberToObject(out, "returned", 0);
        cJSON_Delete(items);
        return PCFMCP_OK;
    }
    cJSON_Delete(by_threat);
    cJSON_Delete(by_os);
    cJSON_Delete(by_service);
    return pcfmcp__tools_page(c, "hosts", items);
}

cJSON *pcfmcp__th_short_issue(const cJSON *i)
{
    cJSON *o = cJSON_CreateObject();
    static const char *const keys[] = { "id", "name", "criticality", "status", "cve", "type",
                                        "url_path" };
    for (size_t k = 0; k < PCFMCP_ARRAY_LEN(keys); k++) {
        const char *v = pcfmcp__json_str(i, keys[k]);
        cJSON_AddStringToObject(o, keys[k], v ? v : "");
    }
    cJSON_AddNumberToObject(o, "cvss", pcfmcp__json_num(i, "cvss", 0));
    cJSON_AddNumberToObject(o, "cwe", pcfmcp__json_num(i, "cwe", 0));
    const char *d = pcfmcp__json_str(i, "description");
    if (d && *d) {
        char *s = pcfmcp__tools_clean(d, strlen(d), 200);
        if (s)
            cJSON_AddStringToObject(o, "summary", s);
        pcfmcp__free(s);
    }
    const cJSON *svc = pcfmcp__json_arr(i, "services");
    const cJSON *s = svc ? svc->child : NULL;
    if (s && pcfmcp__json_str(s, "ip")) {
        cJSON *t = cJSON_AddArrayToObject(o, "targets");
        cJSON_ArrayForEach(s, svc) {
            char buf[400];
            int port = pcfmcp__json_int(s, "port", 0);
            const char *hn = pcfmcp__json_str(s, "hostname");
            if (port)
                snprintf(buf, sizeof(buf), "%s:%d/%s (%s)%s%s", pcfmcp__json_str(s, "ip"), port,
                         pcfmcp__json_str(s, "protocol"), pcfmcp__json_str(s, "service"),
                         hn && *hn ? " " : "", hn ? hn : "");
            else
                snprintf(buf, sizeof(buf), "%s (whole host)%s%s", pcfmcp__json_str(s, "ip"),
                         hn && *hn ? " " : "", hn ? hn : "");
            cJSON_AddItemToArray(t, cJSON_CreateString(buf));
        }
    }
    return o;
}

pcfmcp_error_t pcfmcp__th_get_host(tcall *c)
{
    const char *hid = pcfmcp__th_host_id(c, pcfmcp__tools_arg_str(c, "host"));
    if (!hid)
        return PCFMCP_ERR_NOT_FOUND;
    const cJSON *h =
        pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_HOST_INFO, pcfmcp__th_args_id(c, "host_id", hid), NULL);
    if (!h)
        return PCFMCP_ERR_PCF;
    const cJSON *il =
        pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_ISSUES_LIST, pcfmcp__tools_pargs(c), NULL);
    if (!il)
        return PCFMCP_ERR_PCF;
    cJSON *host = pcfmcp__tools_norm_host(h);
    cJSON_ReplaceItemInObjectCaseSensitive(host, "id", cJSON_CreateString(hid));
    cJSON *ids = cJSON_DetachItemFromObjectCaseSensitive(host, "issue_ids");
    cJSON *out = pcfmcp__tools_out(c);
    cJSON_AddItemToObject(out, "host", host);
    cJSON *issues = cJSON_AddArrayToObject(out, "issues");
    const cJSON *i;
    cJSON_ArrayForEach(i, pcfmcp__json_arr(il, "issues")) {
        const char *iid = pcfmcp__json_str(i, "issue_id");
        const cJSON *x;
        bool mine = false;
        cJSON_ArrayForEach(x, ids) mine = mine || (cJSON_IsString(x) && iid &&
                                                   strcmp(x->valuestring, iid) == 0);
        if (!mine)
            continue;
        cJSON *n = pcfmcp__tools_norm_issue(i, NULL);
        cJSON_AddItemToArray(issues, pcfmcp__th_short_issue(n));
        cJSON_Delete(n);
    }
    cJSON_Delete(ids);
    TOOL_SAY(c, "Host {}: {} port(s), {} issue(s).", MA_ID(pcfmcp__json_str(h, "ip")),
             MA_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(host, "ports"))),
             MA_INT(cJSON_GetArraySize(issues)));
    return PCFMCP_OK;
}

static cJSON *port_args(tcall *c, const char *hid, const cJSON *p)
{
    cJSON *a = pcfmcp__th_args_id(c, "host_id", hid);
    cJSON_AddNumberToObject(a, "port", pcfmcp__json_num(p, "port", 0));
    const char *proto = pcfmcp__json_str(p, "protocol");
    cJSON_AddBoolToObject(a, "is_tcp", !proto || strcmp(proto, "udp") != 0);
    const char *s = pcfmcp__json_str(p, "service"), *d = pcfmcp__json_str(p, "description");
    if (s)
        cJSON_AddStringToObject(a, "service", s);
    if (d)
        cJSON_AddStringToObject(a, "description", d);
    return a;
}

pcfmcp_error_t pcfmcp__th_add_host(tcall *c)
{
    cJSON *out = pcfmcp__tools_out(c);
    cJSON *steps = cJSON_CreateArray();
    const char *ip = pcfmcp__tools_arg_str(c, "ip");
    cJSON *a = pcfmcp__tools_pargs(c);
    pcfmcp__th_copy(c, a, "ip description");
    pcfmcp__mtext msg, what;
    pcfmcp__mt_init(&msg);
    pcfmcp__mt_init(&what);
    const cJSON *doc = pcfmcp__tools_pcf_soft(c, PCFMCP__PCF_OP_HOST_CREATE, a, NULL, &msg);
    if (!doc) {
        cJSON_Delete(steps);
        TOOL_ERR(c, "{}{}", MA_MT(&msg),
                 MA_IF(strstr(pcfmcp__mt_str(&msg), "already exist"),
                       " (use list_hosts / get_host to find it, add_port to add ports)", ""));
        pcfmcp__mt_free(&msg);
        pcfmcp__mt_free(&what);
        return PCFMCP_ERR_PCF;
    }
    const char *hid = pcfmcp__json_str(doc, "host_id");
    MT_FMT(&what, "create host {}", MA_ID(ip));
    pcfmcp__th_step(c, steps, &what, true, hid, NULL);
    cJSON_AddStringToObject(out, "host_id", hid ? hid : "");
    int failed = 0;
    if (pcfmcp__tools_has_arg(c, "os") || pcfmcp__tools_has_arg(c, "threats")) {
        cJSON *e = pcfmcp__th_args_id(c, "host_id", hid);
        pcfmcp__th_copy(c, e, "os threats");
        bool ok = pcfmcp__tools_pcf_soft(c, PCFMCP__PCF_OP_HOST_UPDATE, e, NULL, &msg) != NULL;
        failed += !ok;
        pcfmcp__mt_reset(&what);
        MT_LIT(&what, "set OS and threats");
        pcfmcp__th_step(c, steps, &what, ok, NULL, ok ? NULL : &msg);
    }
    cJSON *hn_ids = cJSON_AddObjectToObject(out, "hostname_ids");
    const cJSON *x;
    cJSON_ArrayForEach(x, pcfmcp__json_arr(c->args, "hostnames")) {
        cJSON *e = pcfmcp__th_args_id(c, "host_id", hid);
        cJSON_AddStringToObject(e, "hostname", x->valuestring);
        const cJSON *r = pcfmcp__tools_pcf_soft(c, PCFMCP__PCF_OP_HOSTNAME_ADD, e, NULL, &msg);
        pcfmcp__mt_reset(&what);
        MT_FMT(&what, "add hostname {}", MA_ID(x->valuestring));
        failed += !r;
        pcfmcp__th_step(c, steps, &what, r != NULL, r ? pcfmcp__json_str(r, "id") : NULL,
                        r ? NULL : &msg);
        if (r && pcfmcp__json_str(r, "id"))
            cJSON_AddStringToObject(hn_ids, x->valuestring, pcfmcp__json_str(r, "id"));
    }
    cJSON *port_ids = cJSON_AddObjectToObject(out, "port_ids");
    cJSON_ArrayForEach(x, pcfmcp__json_arr(c->args, "ports")) {
        const char *proto = pcfmcp__json_str(x, "protocol");
        char key[32];
        snprintf(key, sizeof(key), "%d/%s", pcfmcp__json_int(x, "port", 0),
                 proto && strcmp(proto, "udp") == 0 ? "udp" : "tcp");
        const cJSON *r = pcfmcp__tools_pcf_soft(c, PCFMCP__PCF_OP_PORT_CREATE, port_args(c, hid, x),
                                                NULL, &msg);
        pcfmcp__mt_reset(&what);
        MT_FMT(&what, "add port {}", MA_ID(key));
        failed += !r;
        pcfmcp__th_step(c, steps, &what, r != NULL, r ? pcfmcp__json_str(r, "port_id") : NULL,
                        r ? NULL : &msg);
        if (r && pcfmcp__json_str(r, "port_id"))
            cJSON_AddStringToObject(port_ids, key, pcfmcp__json_str(r, "port_id"));
    }
    pcfmcp__mt_free(&msg);
    pcfmcp__mt_free(&what);
    cJSON_AddItemToObject(out, "steps", steps);
    cJSON_AddBoolToObject(out, "ok", failed == 0);
    if (failed) {
        TOOL_ERR(c, "add_host partly failed: the host exists (host_id {}) but {} step(s) failed. "
                    "Steps:",
                 MA_ID(hid ? hid : "?"), MA_INT(failed));
        return PCFMCP_ERR_PCF;
    }
    return PCFMCP_OK;
}

pcfmcp_error_t pcfmcp__th_update_host(tcall *c)
{
    const char *hid = pcfmcp__th_host_id(c, pcfmcp__tools_arg_str(c, "host"));
    if (!hid)
        return PCFMCP_ERR_NOT_FOUND;
    char id[40];
    snprintf(id, sizeof(id), "%s", hid);
    cJSON *a = pcfmcp__th_args_id(c, "host_id", id);
    pcfmcp__th_copy(c, a, "description os threats");
    return pcfmcp__th_update_send(c, a, 2, PCFMCP__PCF_OP_HOST_UPDATE, "host_id", id,
                                  "description os threats", "host",
                                  "give description, os or threats");
}

/* Deletes of one object by id share their shape. */
pcfmcp_error_t pcfmcp__th_delete(tcall *c, pcfmcp__pcf_op op, const char *idname,
                                 const char *extra)
{
    const char *id = pcfmcp__tools_arg_str(c, idname);
    cJSON *a = pcfmcp__th_args_id(c, idname, id);
    if (extra)
        cJSON_AddStringToObject(a, extra, pcfmcp__tools_arg_str(c, extra));
    if (!pcfmcp__tools_pcf(c, op, a, NULL))
        return PCFMCP_ERR_PCF;
    cJSON *out = pcfmcp__tools_out(c);
    cJSON_AddBoolToObject(out, "ok", true);
    cJSON_AddStringToObject(out, "deleted", id);
    TOOL_SAY(c, "Deleted {} {}.", MA_ID(idname), MA_ID(id));
    return PCFMCP_OK;
}

pcfmcp_error_t pcfmcp__th_delete_host(tcall *c)
{
    return pcfmcp__th_delete(c, PCFMCP__PCF_OP_HOST_DELETE, "host_id", NULL);
}

/* ------------------------------------------------------------ ports */

pcfmcp_error_t pcfmcp__th_add_port(tcall *c)
{
    const char *hid = pcfmcp__th_host_id(c, pcfmcp__tools_arg_str(c, "host"));
    if (!hid)
        return PCFMCP_ERR_NOT_FOUND;
    char id[40];
    snprintf(id, sizeof(id), "%s", hid);
    const cJSON *doc = pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_PORT_CREATE, port_args(c, id, c->args), NULL);
    if (!doc)
        return PCFMCP_ERR_PCF;
    cJSON *out = pcfmcp__tools_out(c);
    cJSON_AddBoolToObject(out, "ok", true);
    const char *pid = pcfmcp__json_str(doc, "port_id");
    cJSON_AddStringToObject(out, "port_id", pid ? pid : "");
    cJSON_AddStringToObject(out, "host_id", id);
    TOOL_SAY(c, "Added port {} to host {}: {}.", MA_INT(pcfmcp__json_num(c->args, "port", 0)),
             MA_ID(id), MA_ID(pid ? pid : ""));
    return PCFMCP_OK;
}

pcfmcp_error_t pcfmcp__th_get_port(tcall *c)
{
    const char *pid = pcfmcp__tools_arg_str(c, "port_id");
    const cJSON *p =
        pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_PORT_INFO, pcfmcp__th_args_id(c, "port_id", pid), NULL);
    if (!p)
        return PCFMCP_ERR_PCF;
    cJSON *port = cJSON_CreateObject();
    cJSON_AddStringToObject(port, "id", pid);
    cJSON_AddNumberToObject(port, "port", pcfmcp__json_num(p, "port", 0));
    cJSON_AddStringToObject(port, "protocol", pcfmcp__json_bool(p, "is_tcp", true) ? "tcp" : "udp");
    static const char *const keys[] = { "service", "description", "host_id" };
    for (size_t i = 0; i < 3; i++) {
        const char *v = pcfmcp__json_str(p, keys[i]);
        cJSON_AddStringToObject(port, keys[i], v ? v : "");
    }
    const char *hid = pcfmcp__json_str(p, "host_id");
    if (hid) {
        const cJSON *h = pcfmcp__tools_pcf_soft(c, PCFMCP__PCF_OP_HOST_INFO,
                                                pcfmcp__th_args_id(c, "host_id", hid), NULL, NULL);
        const char *ip = h ? pcfmcp__json_str(h, "ip") : NULL;
        cJSON_AddStringToObject(port, "ip", ip ? ip : "");
    }
    cJSON_AddItemToObject(port, "issue_ids", cJSON_Duplicate(pcfmcp__json_arr(p, "issues"), true));
    cJSON_AddItemToObject(pcfmcp__tools_out(c), "port", port);
    TOOL_SAY(c, "Port {}/{}.", MA_INT(pcfmcp__json_num(p, "port", 0)),
             MA_IF(pcfmcp__json_bool(p, "is_tcp", true), "tcp", "udp"));
    return PCFMCP_OK;
}

pcfmcp_error_t pcfmcp__th_update_port(tcall *c)
{
    const char *pid = pcfmcp__tools_arg_str(c, "port_id");
    cJSON *a = pcfmcp__th_args_id(c, "port_id", pid);
    pcfmcp__th_copy(c, a, "service description");
    return pcfmcp__th_update_send(c, a, 2, PCFMCP__PCF_OP_PORT_UPDATE, "port_id", pid,
                                  "service description", "port", "give service or description");
}

pcfmcp_error_t pcfmcp__th_delete_port(tcall *c)
{
    return pcfmcp__th_delete(c, PCFMCP__PCF_OP_PORT_DELETE, "port_id", NULL);
}

/* ------------------------------------------------------------ hostnames */

pcfmcp_error_t pcfmcp__th_list_hostnames(tcall *c)
{
    const cJSON *doc =
        pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_HOSTNAMES_LIST, pcfmcp__tools_pargs(c), NULL);
    if (!doc)
        return PCFMCP_ERR_PCF;
    const char *text = pcfmcp__tools_arg_str(c, "text");
    cJSON *items = cJSON_CreateArray();
    const cJSON *x;
    cJSON_ArrayForEach(x, pcfmcp__json_arr(doc, "hostnames")) {
        const cJSON *h = pcfmcp__json_obj(x, "host");
        if (text && !pcfmcp__tools_icontains(pcfmcp__json_str(x, "hostname"), text) &&
            !pcfmcp__tools_icontains(pcfmcp__json_str(h, "ip"), text))
            continue;
        cJSON *o = cJSON_CreateObject();
        const char *v;
        cJSON_AddStringToObject(o, "id", (v = pcfmcp__json_str(x, "id")) ? v : "");
        cJSON_AddStringToObject(o, "hostname", (v = pcfmcp__json_str(x, "hostname")) ? v : "");
        cJSON_AddStringToObject(o, "description", (v = pcfmcp__json_str(x, "description")) ? v : "");
        cJSON_AddStringToObject(o, "host_id", (v = pcfmcp__json_str(h, "id")) ? v : "");
        cJSON_AddStringToObject(o, "ip", (v = pcfmcp__json_str(h, "ip")) ? v : "");
        cJSON_AddItemToArray(items, o);
    }
    cJSON_AddStringToObject(pcfmcp__tools_out(c), "project_id", c->project_id);
    TOOL_SAY(c, "{} hostname(s).", MA_INT(cJSON_GetArraySize(items)));
    return pcfmcp__tools_page(c, "hostnames", items);
}

pcfmcp_error_t pcfmcp__th_add_hostname(tcall *c)
{
    const char *hid = pcfmcp__th_host_id(c, pcfmcp__tools_arg_str(c, "host"));
    if (!hid)
        return PCFMCP_ERR_NOT_FOUND;
    char id[40];
    snprintf(id, sizeof(id), "%s", hid);
    /* PCF's hostname/add on a name the host already has replaces its
     * description (when one is sent) and answers the same id: the old one
     * would be gone without a word. Replacing it takes an explicit ask. */
    const char *name = pcfmcp__tools_arg_str(c, "hostname");
    const char *desc = pcfmcp__tools_arg_str(c, "description");
    if (desc && *desc && !pcfmcp__json_bool(c->args, "replace_description", false)) {
        const cJSON *h = pcfmcp__tools_pcf_fresh(c, PCFMCP__PCF_OP_HOST_INFO,
                                                 pcfmcp__th_args_id(c, "host_id", id), NULL);
        if (!h)
            return PCFMCP_ERR_PCF;
        const cJSON *n;
        cJSON_ArrayForEach(n, pcfmcp__json_arr(h, "hostnames")) {
            const char *hn = pcfmcp__json_str(n, "hostname"), *old = pcfmcp__json_str(n, "description");
            if (hn && name && strcmp(hn, name) == 0 && old && *old && strcmp(old, desc) != 0) {
                TOOL_ERR(c, "hostname {} is already on host {} with the description {}; PCF would "
                            "replace it. Nothing was written: leave description out to keep it, "
                            "or pass replace_description: true to replace it.",
                         MA_Q(name), MA_ID(id), MA_Q(old));
                return PCFMCP_ERR_STATE;
            }
        }
    }
    cJSON *a = pcfmcp__th_args_id(c, "host_id", id);
    pcfmcp__th_copy(c, a, "hostname description");
    const cJSON *doc = pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_HOSTNAME_ADD, a, NULL);
    if (!doc)
        return PCFMCP_ERR_PCF;
    cJSON *out = pcfmcp__tools_out(c);
    cJSON_AddBoolToObject(out, "ok", true);
    const char *nid = pcfmcp__json_str(doc, "id");
    cJSON_AddStringToObject(out, "hostname_id", nid ? nid : "");
    cJSON_AddStringToObject(out, "host_id", id);
    TOOL_SAY(c, "Hostname {} on host {}: {}.", MA_ID(pcfmcp__tools_arg_str(c, "hostname")),
             MA_ID(id), MA_ID(nid ? nid : ""));
    return PCFMCP_OK;
}

/* ------------------------------------------------------------ networks */

static cJSON *norm_network(const cJSON *n, const char *id)
{
    cJSON *o = cJSON_CreateObject();
    const char *v;
    cJSON_AddStringToObject(o, "id", id ? id : (v = pcfmcp__json_str(n, "id")) ? v : "");
    static const char *const keys[] = { "ip", "name", "description", "internal_ip", "cmd" };
    for (size_t i = 0; i < PCFMCP_ARRAY_LEN(keys); i++)
        cJSON_AddStringToObject(o, keys[i], (v = pcfmcp__json_str(n, keys[i])) ? v : "");
    cJSON_AddNumberToObject(o, "mask", pcfmcp__json_num(n, "mask", 0));
    cJSON_AddNumberToObject(o, "asn", pcfmcp__json_num(n, "asn", 0));
    const cJSON *ipv6 = cJSON_GetObjectItemCaseSensitive(n, "is_ipv6");
    cJSON_AddBoolToObject(o, "is_ipv6", cJSON_IsTrue(ipv6) || (cJSON_IsNumber(ipv6) && ipv6->valuedouble != 0));
    cJSON_AddItemToObject(o, "host_ids", cJSON_Duplicate(pcfmcp__json_arr(n, "hosts"), true));
    const cJSON *af = pcfmcp__json_obj(n, "access_from");
    cJSON_AddItemToObject(o, "access_from", af ? cJSON_Duplicate(af, true) : cJSON_CreateObject());
    return o;
}

pcfmcp_error_t pcfmcp__th_list_networks(tcall *c)
{
    const cJSON *doc =
        pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_NETWORKS_LIST, pcfmcp__tools_pargs(c), NULL);
    if (!doc)
        return PCFMCP_ERR_PCF;
    const char *text = pcfmcp__tools_arg_str(c, "text");
    cJSON *items = cJSON_CreateArray();
    const cJSON *n;
    cJSON_ArrayForEach(n, pcfmcp__json_arr(doc, "networks")) {
        if (text && !pcfmcp__tools_icontains(pcfmcp__json_str(n, "ip"), text) &&
            !pcfmcp__tools_icontains(pcfmcp__json_str(n, "name"), text) &&
            !pcfmcp__tools_icontains(pcfmcp__json_str(n, "description"), text))
            continue;
        cJSON_AddItemToArray(items, norm_network(n, NULL));
    }
    cJSON_AddStringToObject(pcfmcp__tools_out(c), "project_id", c->project_id);
    TOOL_SAY(c, "{} network(s).", MA_INT(cJSON_GetArraySize(items)));
    return pcfmcp__tools_page(c, "networks", items);
}

pcfmcp_error_t pcfmcp__th_get_network(tcall *c)
{
    const char *nid = pcfmcp__tools_arg_str(c, "network_id");
    const cJSON *n = pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_NETWORK_INFO,
                                       pcfmcp__th_args_id(c, "network_id", nid), NULL);
    if (!n)
        return PCFMCP_ERR_PCF;
    const cJSON *hosts = pcfmcp__th_hosts(c);
    if (!hosts)
        return PCFMCP_ERR_PCF;
    cJSON *out = pcfmcp__tools_out(c);
    cJSON_AddItemToObject(out, "network", norm_network(n, nid));
    cJSON *ips = cJSON_AddArrayToObject(out, "hosts");
    const cJSON *x;
    cJSON_ArrayForEach(x, pcfmcp__json_arr(n, "hosts")) {
        const cJSON *h = cJSON_IsString(x) ? pcfmcp__tools_find_host(hosts, x->valuestring) : NULL;
        if (h)
            cJSON_AddItemToArray(ips, cJSON_CreateString(pcfmcp__json_str(h, "ip")));
    }
    TOOL_SAY(c, "Network {}/{} with {} project host(s).", MA_ID(pcfmcp__json_str(n, "ip")),
             MA_INT(pcfmcp__json_num(n, "mask", 0)), MA_INT(cJSON_GetArraySize(ips)));
    return PCFMCP_OK;
}

pcfmcp_error_t pcfmcp__th_create_network(tcall *c)
{
    cJSON *a = pcfmcp__tools_pargs(c);
    pcfmcp__th_copy(c, a, "ip mask name description asn internal_ip cmd");
    if (!pcfmcp__tw_access_from(c, a)) {
        cJSON_Delete(a);
        return PCFMCP_ERR_INVALID_ARG;
    }
    const cJSON *doc = pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_NETWORK_CREATE, a, NULL);
    if (!doc)
        return PCFMCP_ERR_PCF;
    const char *nid = pcfmcp__json_str(doc, "network_id");
    cJSON *out = pcfmcp__tools_out(c);
    cJSON_AddBoolToObject(out, "ok", true);
    cJSON_AddStringToObject(out, "network_id", nid ? nid : "");
    TOOL_SAY(c, "Created network {}/{}: {}.", MA_ID(pcfmcp__tools_arg_str(c, "ip")),
             MA_INT(pcfmcp__json_num(c->args, "mask", 0)), MA_ID(nid ? nid : ""));
    return PCFMCP_OK;
}

pcfmcp_error_t pcfmcp__th_update_network(tcall *c)
{
    static const char fields[] = "ip mask name description asn internal_ip cmd access_from";
    const char *nid = pcfmcp__tools_arg_str(c, "network_id");
    cJSON *a = pcfmcp__th_args_id(c, "network_id", nid);
    pcfmcp__th_copy(c, a, "ip mask name description asn internal_ip cmd");
    if (!pcfmcp__tw_access_from(c, a)) {
        cJSON_Delete(a);
        return PCFMCP_ERR_INVALID_ARG;
    }
    return pcfmcp__th_update_send(c, a, 2, PCFMCP__PCF_OP_NETWORK_UPDATE, "network_id", nid,
                                  fields, "network", "give at least one field");
}

pcfmcp_error_t pcfmcp__th_delete_network(tcall *c)
{
    return pcfmcp__th_delete(c, PCFMCP__PCF_OP_NETWORK_DELETE, "network_id", NULL);
}

/* ------------------------------------------------------------ teams and users */

pcfmcp_error_t pcfmcp__th_list_teams(tcall *c)
{
    const cJSON *doc = pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_TEAMS_LIST, cJSON_CreateObject(), NULL);
    if (!doc)
        return PCFMCP_ERR_PCF;
    cJSON *teams = cJSON_Duplicate(pcfmcp__json_arr(doc, "teams"), true);
    cJSON_AddItemToObject(pcfmcp__tools_out(c), "teams", teams ? teams : cJSON_CreateArray());
    TOOL_SAY(c, "{} team(s).", MA_INT(cJSON_GetArraySize(teams)));
    return PCFMCP_OK;
}

/* PCF's user objects carry the last name in `email` (a PCF bug): drop it
 * rather than show a wrong address. */
static cJSON *user_obj(const cJSON *u)
{
    cJSON *o = cJSON_Duplicate(u, true);
    if (o)
        cJSON_DeleteItemFromObjectCaseSensitive(o, "email");
    return o;
}

/* Whether a log entry's project id is one of the in-scope projects. */
static bool log_in_scope(const cJSON *scoped, const char *project_id)
{
    if (!project_id || !*project_id)
        return false;
    const cJSON *p;
    cJSON_ArrayForEach(p, scoped) {
        const char *id = pcfmcp__json_str(p, "id");
        if (id && pcfmcp__strcaseeq(id, project_id))
            return true;
    }
    return false;
}

pcfmcp_error_t pcfmcp__th_get_team(tcall *c)
{
    const char *tid = pcfmcp__tools_arg_str(c, "team_id");
    cJSON *a = cJSON_CreateObject();
    cJSON_AddStringToObject(a, "team_id", tid);
    const cJSON *info = pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_TEAM_INFO, a, NULL);
    if (!info)
        return PCFMCP_ERR_PCF;
    a = cJSON_CreateObject();
    cJSON_AddStringToObject(a, "team_id", tid);
    const cJSON *users = pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_TEAM_USERS, a, NULL);
    if (!users)
        return PCFMCP_ERR_PCF;
    a = cJSON_CreateObject();
    cJSON_AddStringToObject(a, "team_id", tid);
    const cJSON *projects = pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_TEAM_PROJECTS, a, NULL);
    if (!projects)
        return PCFMCP_ERR_PCF;
    int nlogs = pcfmcp__json_int(c->args, "logs", 20);
    cJSON *out = pcfmcp__tools_out(c);
    cJSON_AddItemToObject(out, "team", cJSON_Duplicate(info, true));
    cJSON_AddItemToObject(out, "members", cJSON_Duplicate(pcfmcp__json_arr(users, "users"), true));
    cJSON *plist = cJSON_AddArrayToObject(out, "projects");
    const cJSON *p;
    /* team/<id>/projects omits ids. Under a scope, a team project is shown
     * only when its name is byte-exactly the name of one in-scope project
     * and of no other project this account sees: names are not keys, and
     * another PCF user may have created a look-alike. */
    const cJSON *scoped = NULL, *everything = NULL;
    if (c->ts->nprojects) {
        if (!(scoped = pcfmcp__tools_projects(c)))
            return PCFMCP_ERR_PCF;
        if (!(everything = pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_PROJECTS_LIST,
                                             cJSON_CreateObject(), NULL)))
            return PCFMCP_ERR_PCF;
    }
    cJSON_ArrayForEach(p, pcfmcp__json_arr(projects, "projects")) {
        if (scoped) {
            const char *name = pcfmcp__json_str(p, "name");
            int in = 0, all = 0;
            const cJSON *q;
            cJSON_ArrayForEach(q, scoped) in += name && pcfmcp__json_str_is(q, "name", name);
            cJSON_ArrayForEach(q, pcfmcp__json_arr(everything, "projects")) all +=
                name && pcfmcp__json_str_is(q, "name", name);
            if (in != 1 || all != 1)
                continue;
        }
        cJSON_AddItemToArray(plist, cJSON_Duplicate(p, true));
    }
    cJSON *logs = cJSON_AddArrayToObject(out, "logs");
    if (nlogs > 0) {
        a = cJSON_CreateObject();
        cJSON_AddStringToObject(a, "team_id", tid);
        cJSON_AddNumberToObject(a, "limit", nlogs);
        cJSON_AddNumberToObject(a, "offset", 0);
        const cJSON *l = pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_TEAM_LOGS, a, NULL);
        if (!l)
            return PCFMCP_ERR_PCF;
        /* Under a project scope a log entry is shown only when its project
         * id is in scope: entries without one may still name another
         * project in their text ("Project X was created!"), and names are
         * no reliable key, so those are left out and counted. */
        int omitted = 0;
        const cJSON *e;
        cJSON_ArrayForEach(e, pcfmcp__json_arr(l, "logs")) {
            if (scoped && !log_in_scope(scoped, pcfmcp__json_str(e, "project"))) {
                omitted++;
                continue;
            }
            cJSON_AddItemToArray(logs, cJSON_Duplicate(e, true));
        }
        if (omitted) {
            cJSON_AddNumberToObject(out, "logs_omitted", omitted);
            cJSON_AddStringToObject(out, "logs_notice",
                                    "Log entries that are not tied to a project inside "
                                    "tools.projects were left out: this assistant is limited to "
                                    "those projects, and such entries may name others.");
        }
    }
    TOOL_SAY(c, "Team {}: {} member(s), {} project(s).", MA_Q(pcfmcp__json_str(info, "name")),
             MA_INT(cJSON_GetArraySize(pcfmcp__json_arr(users, "users"))),
             MA_INT(cJSON_GetArraySize(plist)));
    return PCFMCP_OK;
}

pcfmcp_error_t pcfmcp__th_whoami(tcall *c)
{
    const cJSON *me = pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_USER_ME, cJSON_CreateObject(), NULL);
    if (!me)
        return PCFMCP_ERR_PCF;
    cJSON_AddItemToObject(pcfmcp__tools_out(c), "user", user_obj(me));
    TOOL_SAY(c, "You act as PCF user {}.", MA_ID(pcfmcp__json_str(me, "id")));
    return PCFMCP_OK;
}

pcfmcp_error_t pcfmcp__th_get_user(tcall *c)
{
    cJSON *a = cJSON_CreateObject();
    cJSON_AddStringToObject(a, "user_id", pcfmcp__tools_arg_str(c, "user_id"));
    const cJSON *u = pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_USER_INFO, a, NULL);
    if (!u)
        return PCFMCP_ERR_PCF;
    cJSON_AddItemToObject(pcfmcp__tools_out(c), "user", user_obj(u));
    return PCFMCP_OK;
}

pcfmcp_error_t pcfmcp__th_check_token(tcall *c)
{
    const cJSON *t = pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_CHECK, cJSON_CreateObject(), NULL);
    if (!t)
        return PCFMCP_ERR_PCF;
    cJSON *out = pcfmcp__tools_out(c);
    cJSON_AddBoolToObject(out, "ok", true);
    cJSON_AddNumberToObject(out, "created", pcfmcp__json_num(t, "creation_date", 0));
    cJSON_AddNumberToObject(out, "duration_seconds", pcfmcp__json_num(t, "duration", 0));
    cJSON_AddNumberToObject(out, "seconds_left", pcfmcp__json_num(t, "time_left", 0));
    bool web = pcfmcp_pcf_capability(c->pcf, "snapshot", NULL) == PCFMCP_OK;
    cJSON_AddBoolToObject(out, "web_session", web);
    TOOL_SAY(c, "PCF accepts the credentials; the token is valid for {} more seconds. "
                "Web-session tools are {}.",
             MA_INT(pcfmcp__json_num(t, "time_left", 0)),
             MA_IF(web, "available", "unavailable (configure pcf.email and pcf.password)"));
    return PCFMCP_OK;
}
