/* Handlers: issues, issue rules and PoCs. */
#include "core/internal.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "core/util.h"
#include "tools/handlers.h"
#include "tools/t_workspace.h"

/* ------------------------------------------------------------ arguments */

/* cvss and criticality must tell the same story; criticality alone picks
 * the score PCF's own form uses for it. Returns false with the error set. */
static bool issue_score(tcall *c, cJSON *a)
{
    const char *crit = pcfmcp__tools_arg_str(c, "criticality");
    bool has_cvss = pcfmcp__tools_has_arg(c, "cvss");
    double cvss = pcfmcp__json_num(c->args, "cvss", 0);
    if (crit && has_cvss && strcmp(pcfmcp__tools_criticality(cvss), crit) != 0) {
        TOOL_ERR(c, "cvss {} is {}, not {} (PCF derives criticality from CVSS: info 0, low up "
                    "to 3.9, medium up to 6.9, high up to 8.9, critical above 8.9). Give one of "
                    "them, or make them agree.",
                 MA_NUM(cvss), MA_ID(pcfmcp__tools_criticality(cvss)), MA_ID(crit));
        return false;
    }
    if (has_cvss)
        cJSON_AddNumberToObject(a, "cvss", cvss);
    else if (crit)
        cJSON_AddNumberToObject(a, "cvss", pcfmcp__tools_criticality_cvss(crit));
    return true;
}

/* Host details (ports, hostnames) fetched once per host for service lookup. */
typedef struct {
    cJSON *hosts; /* id -> host info */
} host_cache;

static const cJSON *cached_host(tcall *c, host_cache *hc, const char *hid)
{
    const cJSON *h = cJSON_GetObjectItemCaseSensitive(hc->hosts, hid);
    if (h)
        return h;
    const cJSON *doc = pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_HOST_INFO,
                                         pcfmcp__th_args_id(c, "host_id", hid), NULL);
    if (!doc)
        return NULL;
    cJSON *dup = cJSON_Duplicate(doc, true);
    cJSON_AddItemToObject(hc->hosts, hid, dup);
    return dup;
}

/* Turns the `services` argument into PCF's {port_id: [hostname_id or "0"]}. */
cJSON *pcfmcp__th_build_services(tcall *c, const cJSON *list)
{
    cJSON *svc = cJSON_CreateObject();
    host_cache hc = { cJSON_CreateObject() };
    const cJSON *e;
    cJSON_ArrayForEach(e, list) {
        const char *pid = pcfmcp__json_str(e, "port_id");
        const char *host = pcfmcp__json_str(e, "host");
        const char *hostname = pcfmcp__json_str(e, "hostname");
        char port_id[40] = "", hn_id[40] = "0";
        const cJSON *hinfo = NULL;
        if (pid) {
            snprintf(port_id, sizeof(port_id), "%s", pid);
            if (hostname) {
                const cJSON *pinfo = pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_PORT_INFO,
                                                       pcfmcp__th_args_id(c, "port_id", pid), NULL);
                if (!pinfo)
                    goto fail;
                hinfo = cached_host(c, &hc, pcfmcp__json_str(pinfo, "host_id"));
                if (!hinfo)
                    goto fail;
            }
        } else if (host) {
            int port = pcfmcp__json_int(e, "port", 0);
            const char *proto = pcfmcp__json_str(e, "protocol");
            bool tcp = !proto || strcmp(proto, "udp") != 0;
            if (port < 1) {
                TOOL_ERR(c, "services: give port (1-65535) with host {}; PCF ties issues to "
                            "ports",
                         MA_ID(host));
                goto fail;
            }
            const char *hid = pcfmcp__th_host_id(c, host);
            if (!hid)
                goto fail;
            char hidbuf[40];
            snprintf(hidbuf, sizeof(hidbuf), "%s", hid);
            hinfo = cached_host(c, &hc, hidbuf);
            if (!hinfo)
                goto fail;
            const cJSON *p;
            cJSON_ArrayForEach(p, pcfmcp__json_arr(hinfo, "ports")) {
                if (pcfmcp__json_int(p, "port", -1) == port &&
                    pcfmcp__json_bool(p, "is_tcp", true) == tcp) {
                    snprintf(port_id, sizeof(port_id), "%s", pcfmcp__json_str(p, "id"));
                    break;
                }
            }
            if (!port_id[0]) {
                TOOL_ERR(c, "services: host {} has no port {}/{} in PCF. Add it first "
                            "(add_port), then create the issue.",
                         MA_ID(host), MA_INT(port), MA_IF(tcp, "tcp", "udp"));
                goto fail;
            }
        } else {
            TOOL_ERR(c, "services: each entry needs port_id, or host and port");
            goto fail;
        }
        if (hostname) {
            const cJSON *n;
            bool found = false;
            cJSON_ArrayForEach(n, pcfmcp__json_arr(hinfo, "hostnames")) {
                const char *name = pcfmcp__json_str(n, "hostname");
                if (name && pcfmcp__strcaseeq(name, hostname)) {
                    snprintf(hn_id, sizeof(hn_id), "%s", pcfmcp__json_str(n, "id"));
                    found = true;
                }
            }
            if (!found) {
                TOOL_ERR(c, "services: hostname {} is not recorded on that host (add it with "
                            "add_hostname first)",
                         MA_ID(hostname));
                goto fail;
            }
        }
        cJSON *arr = cJSON_GetObjectItemCaseSensitive(svc, port_id);
        if (!arr)
            arr = cJSON_AddArrayToObject(svc, port_id);
        cJSON_AddItemToArray(arr, cJSON_CreateString(hn_id));
    }
    cJSON_Delete(hc.hosts);
    return svc;
fail:
    cJSON_Delete(hc.hosts);
    cJSON_Delete(svc);
    return NULL;
}

static const char issue_text_args[] =
    "name description status cve cwe url_path param fix technical risks references intruder "
    "fields cvss_vector impact exploitability risk type";

/* Whether @p v is a value PCF's int() / float() / bool(int()) takes and
 * keeps as meant. PCF drops a custom field whose value does not convert
 * (try/except: pass) and answers as if it had been stored; Python's
 * converters also take what this refuses (" 7", "1_000", "nan", "1e400",
 * which stores Infinity, a value PCF's JSON answers then cannot carry). */
static bool field_value_ok(const char *type, const char *v)
{
    const char *p = v + (*v == '+' || *v == '-');
    if (strcmp(type, "number") == 0) {
        size_t n = strspn(p, "0123456789");
        return n > 0 && n <= 15 && p[n] == '\0'; /* 15 digits: exact as a double */
    }
    if (strcmp(type, "float") == 0) {
        size_t i = strspn(p, "0123456789"), frac = 0;
        if (p[i] == '.')
            frac = strspn(p + i + 1, "0123456789"), i += 1 + frac;
        if (i == 0 || (i == 1 && p[0] == '.'))
            return false;
        if (p[i] == 'e' || p[i] == 'E') {
            i++;
            i += p[i] == '+' || p[i] == '-';
            size_t e = strspn(p + i, "0123456789");
            if (!e)
                return false;
            i += e;
        }
        return p[i] == '\0' && isfinite(strtod(v, NULL));
    }
    if (strcmp(type, "boolean") == 0)
        return strcmp(v, "0") == 0 || strcmp(v, "1") == 0;
    return strcmp(type, "text") == 0;
}

/* Refuses, before anything is written, a custom field PCF would drop. */
static bool fields_convertible(tcall *c)
{
    const cJSON *f;
    cJSON_ArrayForEach(f, cJSON_GetObjectItemCaseSensitive(c->args, "fields")) {
        const char *type = pcfmcp__json_str(f, "type"), *v = pcfmcp__json_str(f, "value");
        if (type && v && !field_value_ok(type, v)) {
            TOOL_ERR(c, "custom field {}: {} is not a {} value PCF keeps (number: an integer "
                        "such as 42; float: a decimal such as 2.5 or 1e-3; boolean: 0 or 1). PCF "
                        "would drop the field without saying so; nothing was written.",
                     MA_Q(f->string), MA_Q(v), MA_ID(type));
            return false;
        }
    }
    return true;
}

static cJSON *issue_body(tcall *c, bool create)
{
    if (!fields_convertible(c))
        return NULL;
    cJSON *a = pcfmcp__tools_pargs(c);
    if (!create)
        cJSON_AddStringToObject(a, "issue_id", pcfmcp__tools_arg_str(c, "issue_id"));
    pcfmcp__th_copy(c, a, issue_text_args);
    if (!issue_score(c, a)) {
        cJSON_Delete(a);
        return NULL;
    }
    const cJSON *svc = cJSON_GetObjectItemCaseSensitive(c->args, "services");
    if (svc) {
        cJSON *s = pcfmcp__th_build_services(c, svc);
        if (!s) {
            cJSON_Delete(a);
            return NULL;
        }
        cJSON_AddItemToObject(a, "services", s);
    }
    return a;
}

/* ------------------------------------------------------------ issues */

static int by_cvss_desc(const void *x, const void *y)
{
    const cJSON *a = *(const cJSON *const *)x, *b = *(const cJSON *const *)y;
    double ca = pcfmcp__json_num(a, "cvss", 0), cb = pcfmcp__json_num(b, "cvss", 0);
    if (ca != cb)
        return ca < cb ? 1 : -1;
    const char *na = pcfmcp__json_str(a, "name"), *nb = pcfmcp__json_str(b, "name");
    return strcmp(na ? na : "", nb ? nb : "");
}

/* Sorts an array of issues by CVSS (highest first), then name. */
static void sort_issues(cJSON *arr)
{
    int n = cJSON_GetArraySize(arr);
    if (n < 2)
        return;
    cJSON **v = pcfmcp__calloc((size_t)n, sizeof(*v));
    if (!v)
        return;
    int k = 0;
    while (arr->child)
        v[k++] = cJSON_DetachItemViaPointer(arr, arr->child);
    qsort(v, (size_t)k, sizeof(*v), by_cvss_desc);
    for (int i = 0; i < k; i++)
        cJSON_AddItemToArray(arr, v[i]);
    pcfmcp__free(v);
}

static bool issue_matches(tcall *c, const cJSON *i)
{
    const cJSON *crits = cJSON_GetObjectItemCaseSensitive(c->args, "criticality");
    if (crits && cJSON_GetArraySize(crits) > 0) {
        bool hit = false;
        const cJSON *x;
        cJSON_ArrayForEach(x, crits) hit =
            hit || (cJSON_IsString(x) &&
                    pcfmcp__json_str_is(i, "criticality", x->valuestring));
        if (!hit)
            return false;
    }
    if (pcfmcp__tools_has_arg(c, "min_cvss") &&
        pcfmcp__json_num(i, "cvss", 0) < pcfmcp__json_num(c->args, "min_cvss", 0))
        return false;
    const char *status = pcfmcp__tools_arg_str(c, "status");
    if (status && !pcfmcp__tools_icontains(pcfmcp__json_str(i, "status"), status))
        return false;
    const char *text = pcfmcp__tools_arg_str(c, "text");
    if (text && !pcfmcp__tools_icontains(pcfmcp__json_str(i, "name"), text) &&
        !pcfmcp__tools_icontains(pcfmcp__json_str(i, "description"), text) &&
        !pcfmcp__tools_icontains(pcfmcp__json_str(i, "cve"), text) &&
        !pcfmcp__tools_icontains(pcfmcp__json_str(i, "url_path"), text))
        return false;
    const char *host = pcfmcp__tools_arg_str(c, "host");
    const char *service = pcfmcp__tools_arg_str(c, "service");
    int port = pcfmcp__json_int(c->args, "port", 0);
    if (host || service || port) {
        bool hit = false;
        const cJSON *s;
        cJSON_ArrayForEach(s, pcfmcp__json_arr(i, "services")) {
            if (host && !pcfmcp__strcaseeq(pcfmcp__json_str(s, "host_id"), host) &&
                !pcfmcp__json_str_is(s, "ip", host))
                continue;
            if (port && pcfmcp__json_int(s, "port", 0) != port)
                continue;
            if (service && !pcfmcp__tools_icontains(pcfmcp__json_str(s, "service"), service))
                continue;
            hit = true;
        }
        if (!hit)
            return false;
    }
    return true;
}

pcfmcp_error_t pcfmcp__th_list_issues(tcall *c)
{
    bool summary = pcfmcp__json_bool(c->args, "summary", false);
    bool targets = summary || pcfmcp__json_bool(c->args, "with_targets", false) ||
                   pcfmcp__tools_has_arg(c, "host") || pcfmcp__tools_has_arg(c, "port") ||
                   pcfmcp__tools_has_arg(c, "service");
    cJSON *model = NULL;
    if (targets) {
        model = pcfmcp__tools_model(c, M_PORTS);
        if (!model)
            return PCFMCP_ERR_PCF;
    } else {
        const cJSON *il =
            pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_ISSUES_LIST, pcfmcp__tools_pargs(c), NULL);
        if (!il)
            return PCFMCP_ERR_PCF;
        model = cJSON_CreateObject();
        cJSON *arr = cJSON_AddArrayToObject(model, "issues");
        const cJSON *i;
        cJSON_ArrayForEach(i, pcfmcp__json_arr(il, "issues"))
            cJSON_AddItemToArray(arr, pcfmcp__tools_norm_issue(i, NULL));
    }
    cJSON *items = cJSON_CreateArray();
    cJSON *by_crit = cJSON_CreateObject(), *by_status = cJSON_CreateObject(),
          *by_host = cJSON_CreateObject(), *by_service = cJSON_CreateObject();
    static const char *const crits[] = { "critical", "high", "medium", "low", "info" };
    for (size_t k = 0; k < 5; k++)
        cJSON_AddNumberToObject(by_crit, crits[k], 0);
    const cJSON *i;
    cJSON_ArrayForEach(i, cJSON_GetObjectItemCaseSensitive(model, "issues")) {
        if (!issue_matches(c, i))
            continue;
        pcfmcp__th_count(by_crit, pcfmcp__json_str(i, "criticality"));
        pcfmcp__th_count(by_status, pcfmcp__json_str(i, "status"));
        /* A host or service counts once per issue even with several ports. */
        cJSON *seen_h = cJSON_CreateObject(), *seen_s = cJSON_CreateObject();
        const cJSON *s;
        cJSON_ArrayForEach(s, pcfmcp__json_arr(i, "services")) {
            const char *ip = pcfmcp__json_str(s, "ip"), *sv = pcfmcp__json_str(s, "service");
            if (ip && *ip && !cJSON_GetObjectItemCaseSensitive(seen_h, ip)) {
                cJSON_AddTrueToObject(seen_h, ip);
                pcfmcp__th_count(by_host, ip);
            }
            if (sv && *sv && !cJSON_GetObjectItemCaseSensitive(seen_s, sv)) {
                cJSON_AddTrueToObject(seen_s, sv);
                pcfmcp__th_count(by_service, sv);
            }
        }
        cJSON_Delete(seen_h);
        cJSON_Delete(seen_s);
        cJSON_AddItemToArray(items, pcfmcp__th_short_issue(i));
    }
    cJSON_Delete(model);
    sort_issues(items);
    cJSON *out = pcfmcp__tools_out(c);
    cJSON_AddStringToObject(out, "project_id", c->project_id);
    TOOL_SAY(c, "{} issue(s) match in project {}: {} critical, {} high, {} medium, {} low, {} "
                "info.",
             MA_INT(cJSON_GetArraySize(items)),
             MA_Q(c->project_name ? c->project_name : c->project_id),
             MA_INT(pcfmcp__json_num(by_crit, "critical", 0)),
             MA_INT(pcfmcp__json_num(by_crit, "high", 0)),
             MA_INT(pcfmcp__json_num(by_crit, "medium", 0)),
             MA_INT(pcfmcp__json_num(by_crit, "low", 0)),
             MA_INT(pcfmcp__json_num(by_crit, "info", 0)));
    if (summary) {
        cJSON *s = cJSON_AddObjectToObject(out, "summary");
        cJSON_AddItemToObject(s, "by_criticality", by_crit);
        cJSON_AddItemToObject(s, "by_status", by_status);
        cJSON_AddItemToObject(s, "by_host", by_host);
        cJSON_AddItemToObject(s, "by_service", by_service);
        cJSON_AddNumberToObject(out, "total", cJSON_GetArraySize(items));
        cJSON_AddNumberToObject(out, "returned", 0);
        cJSON_Delete(items);
        return PCFMCP_OK;
    }
    cJSON_Delete(by_crit);
    cJSON_Delete(by_status);
    cJSON_Delete(by_host);
    cJSON_Delete(by_service);
    return pcfmcp__tools_page(c, "issues", items);
}

pcfmcp_error_t pcfmcp__th_search_issues(tcall *c)
{
    cJSON *a = pcfmcp__tools_pargs(c);
    pcfmcp__th_copy(c, a, "name description cve status url_path fix technical param references "
                          "cvss cwe type risks intruder user_id fields");
    if (cJSON_GetArraySize(a) <= 1) {
        cJSON_Delete(a);
        TOOL_ERR(c, "give at least one field pattern (e.g. name: \"%SQL%\"); "
                              "list_issues lists everything");
        return PCFMCP_ERR_INVALID_ARG;
    }
    const cJSON *doc = pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_ISSUES_SEARCH, a, NULL);
    if (!doc)
        return PCFMCP_ERR_PCF;
    cJSON *items = cJSON_CreateArray();
    const cJSON *i;
    cJSON_ArrayForEach(i, pcfmcp__json_arr(doc, "issues")) {
        cJSON *n = pcfmcp__tools_norm_issue(i, NULL);
        cJSON_AddItemToArray(items, pcfmcp__th_short_issue(n));
        cJSON_Delete(n);
    }
    sort_issues(items);
    cJSON_AddStringToObject(pcfmcp__tools_out(c), "project_id", c->project_id);
    TOOL_SAY(c, "PCF's search found {} issue(s).", MA_INT(cJSON_GetArraySize(items)));
    return pcfmcp__tools_page(c, "issues", items);
}

pcfmcp_error_t pcfmcp__th_get_issue(tcall *c)
{
    const char *iid = pcfmcp__tools_arg_str(c, "issue_id");
    const cJSON *doc = pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_ISSUE_INFO,
                                         pcfmcp__th_args_id(c, "issue_id", iid), NULL);
    if (!doc)
        return PCFMCP_ERR_PCF;
    cJSON *issue = pcfmcp__tools_norm_issue(doc, iid);
    cJSON_AddItemToObject(pcfmcp__tools_out(c), "issue", issue);
    const cJSON *hosts = cJSON_GetObjectItemCaseSensitive(issue, "services") &&
                                 cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(issue, "services"))
                             ? pcfmcp__th_hosts(c)
                             : NULL;
    cJSON *s;
    cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(issue, "services")) {
        const char *pid = pcfmcp__json_str(s, "port_id");
        const cJSON *p = pcfmcp__tools_pcf_soft(c, PCFMCP__PCF_OP_PORT_INFO,
                                                pcfmcp__th_args_id(c, "port_id", pid), NULL, NULL);
        const cJSON *h = p ? pcfmcp__tools_find_host(hosts, pcfmcp__json_str(p, "host_id")) : NULL;
        const char *hnid = pcfmcp__json_str(s, "hostname_id");
        const char *hn = "";
        const cJSON *n;
        cJSON_ArrayForEach(n, pcfmcp__json_arr(h, "hostnames")) {
            const char *id = pcfmcp__json_str(n, "id");
            if (id && hnid && strcmp(id, hnid) == 0)
                hn = pcfmcp__json_str(n, "hostname");
        }
        int port = p ? pcfmcp__json_int(p, "port", 0) : 0;
        const char *v;
        cJSON_AddStringToObject(s, "host_id", p && (v = pcfmcp__json_str(p, "host_id")) ? v : "");
        cJSON_AddStringToObject(s, "ip", h && (v = pcfmcp__json_str(h, "ip")) ? v : "");
        cJSON_AddNumberToObject(s, "port", port);
        cJSON_AddStringToObject(s, "protocol", p && !pcfmcp__json_bool(p, "is_tcp", true) ? "udp" : "tcp");
        cJSON_AddStringToObject(s, "service", port == 0 ? "(whole host)"
                                              : p && (v = pcfmcp__json_str(p, "service")) ? v : "");
        cJSON_AddStringToObject(s, "hostname", hn ? hn : "");
    }
    cJSON *poc;
    cJSON_ArrayForEach(poc, cJSON_GetObjectItemCaseSensitive(issue, "pocs")) {
        cJSON *a = pcfmcp__th_args_id(c, "issue_id", iid);
        cJSON_AddStringToObject(a, "poc_id", pcfmcp__json_str(poc, "id"));
        const cJSON *pi = pcfmcp__tools_pcf_soft(c, PCFMCP__PCF_OP_POC_INFO, a, NULL, NULL);
        static const char *const keys[] = { "filename", "type", "description" };
        for (size_t k = 0; k < 3; k++) {
            const char *v = pcfmcp__json_str(pi, keys[k]);
            cJSON_AddStringToObject(poc, keys[k], v ? v : "");
        }
    }
    TOOL_SAY(c, "Issue {}: CVSS {} ({}), status {}.", MA_ID(iid),
             MA_NUM(pcfmcp__json_num(issue, "cvss", 0)),
             MA_ID(pcfmcp__json_str(issue, "criticality")), MA_Q(pcfmcp__json_str(issue, "status")));
    return PCFMCP_OK;
}

static cJSON *poc_args(tcall *c, const char *iid, const cJSON *src)
{
    cJSON *a = pcfmcp__th_args_id(c, "issue_id", iid);
    const char *text = pcfmcp__json_str(src, "text");
    const char *b64 = pcfmcp__json_str(src, "content_base64");
    if (b64)
        cJSON_AddStringToObject(a, "b64content", b64);
    else if (text)
        cJSON_AddStringToObject(a, "content", text);
    const char *type = pcfmcp__json_str(src, "type");
    if (type)
        cJSON_AddStringToObject(a, "type", type);
    else if (!b64)
        cJSON_AddStringToObject(a, "type", "text");
    const char *desc = pcfmcp__json_str(src, "description");
    if (desc)
        cJSON_AddStringToObject(a, "description", desc);
    const char *port = pcfmcp__json_str(src, "port_id"), *hn = pcfmcp__json_str(src, "hostname_id");
    if (port)
        cJSON_AddStringToObject(a, "port_id", port);
    if (hn)
        cJSON_AddStringToObject(a, "hostname_id", hn);
    return a;
}

bool pcfmcp__th_attach_poc(tcall *c, cJSON *steps, cJSON *out, const char *iid, const cJSON *poc)
{
    pcfmcp__mtext what, msg;
    pcfmcp__mt_init(&what);
    pcfmcp__mt_init(&msg);
    const cJSON *r = pcfmcp__tools_pcf_soft(c, PCFMCP__PCF_OP_POC_ADD, poc_args(c, iid, poc), NULL,
                                            &msg);
    const char *pid = r ? pcfmcp__json_str(r, "poc_id") : NULL;
    MT_LIT(&what, "attach PoC");
    pcfmcp__th_step(c, steps, &what, r != NULL, pid, r ? NULL : &msg);
    if (pid)
        cJSON_AddStringToObject(out, "poc_id", pid);
    pcfmcp__mt_free(&what);
    pcfmcp__mt_free(&msg);
    return r != NULL;
}

pcfmcp_error_t pcfmcp__th_create_issue(tcall *c)
{
    const cJSON *poc = cJSON_GetObjectItemCaseSensitive(c->args, "poc");
    if (poc && !pcfmcp__json_str(poc, "text") && !pcfmcp__json_str(poc, "content_base64")) {
        TOOL_ERR(c, "poc needs text or content_base64");
        return PCFMCP_ERR_INVALID_ARG;
    }
    if (pcfmcp__json_bool(c->args, "dedupe", false)) {
        const char *dup = pcfmcp__tw_find_duplicate(c);
        if (pcfmcp__mt_len(&c->err))
            return PCFMCP_ERR_PCF;
        if (dup)
            return pcfmcp__tw_merge_into(c, dup);
    }
    cJSON *a = issue_body(c, true);
    if (!a)
        return PCFMCP_ERR_INVALID_ARG;
    double cvss = pcfmcp__json_num(a, "cvss", 0);
    const cJSON *doc = pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_ISSUE_CREATE, a, NULL);
    if (!doc)
        return PCFMCP_ERR_PCF;
    cJSON *out = pcfmcp__tools_out(c);
    cJSON *steps = cJSON_CreateArray();
    const char *iid = pcfmcp__json_str(doc, "issue_id");
    pcfmcp__mtext what;
    pcfmcp__mt_init(&what);
    MT_FMT(&what, "create issue {}", MA_Q(pcfmcp__tools_arg_str(c, "name")));
    pcfmcp__th_step(c, steps, &what, true, iid, NULL);
    cJSON_AddStringToObject(out, "issue_id", iid ? iid : "");
    cJSON_AddStringToObject(out, "criticality", pcfmcp__tools_criticality(cvss));
    int failed = 0;
    if (poc && iid)
        failed += !pcfmcp__th_attach_poc(c, steps, out, iid, poc);
    pcfmcp__mt_free(&what);
    cJSON_AddItemToObject(out, "steps", steps);
    cJSON_AddBoolToObject(out, "ok", failed == 0);
    if (failed) {
        TOOL_ERR(c, "create_issue partly failed: the issue exists (issue_id {}) but its PoC was "
                    "not attached; retry with add_poc. Steps:",
                 MA_ID(iid ? iid : "?"));
        return PCFMCP_ERR_PCF;
    }
    return PCFMCP_OK;
}

/* ------------------------------------------------------------ custom fields */

/* PCF replaces an issue's custom fields on every write (API v1 issues/<id>/edit
 * and the web form edit_text_fields both store exactly the fields sent, plus
 * the file fields they keep themselves). update_issue promises a merge, so it
 * reads the current fields, applies `fields` and `remove_fields` to them and
 * sends the whole set. File fields are PCF's to keep. */
static bool name_in(const cJSON *arr, const char *name)
{
    const cJSON *x;
    cJSON_ArrayForEach(x, arr) if (cJSON_IsString(x) && strcmp(x->valuestring, name) == 0) return true;
    return false;
}

/* A field's value as the string the write carries (PCF converts it back). */
static cJSON *field_copy(const cJSON *f)
{
    const char *type = pcfmcp__json_str(f, "type");
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(f, "value");
    char buf[64];
    const char *text = "";
    if (cJSON_IsString(v))
        text = v->valuestring;
    else if (cJSON_IsBool(v))
        text = cJSON_IsTrue(v) ? "1" : "0";
    else if (cJSON_IsNumber(v)) {
        if (type && strcmp(type, "number") == 0)
            snprintf(buf, sizeof(buf), "%.0f", v->valuedouble);
        else
            snprintf(buf, sizeof(buf), "%.17g", v->valuedouble);
        text = buf;
    }
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "type", type ? type : "text");
    cJSON_AddStringToObject(o, "value", text);
    return o;
}

/* The fields to send: current (non-file) + given - removed. NULL with the
 * error set when a name to remove is unknown or PCF cannot be read. */
static cJSON *merged_fields(tcall *c, const char *iid, const cJSON *given, const cJSON *remove)
{
    const cJSON *x;
    cJSON_ArrayForEach(x, remove) {
        if (cJSON_GetObjectItemCaseSensitive(given, x->valuestring)) {
            TOOL_ERR(c, "custom field {} is both in fields and in remove_fields: give it in one",
                     MA_Q(x->valuestring));
            return NULL;
        }
    }
    const cJSON *doc = pcfmcp__tools_pcf_fresh(c, PCFMCP__PCF_OP_ISSUE_INFO,
                                               pcfmcp__th_args_id(c, "issue_id", iid), NULL);
    if (!doc)
        return NULL;
    const cJSON *cur = pcfmcp__json_obj(doc, "fields");
    cJSON_ArrayForEach(x, remove) {
        const cJSON *f = cJSON_GetObjectItemCaseSensitive(cur, x->valuestring);
        const char *type = pcfmcp__json_str(f, "type");
        if (!f || (type && strcmp(type, "file") == 0)) {
            TOOL_ERR(c, "remove_fields: the issue has no {}custom field {}; get_issue lists its "
                        "fields",
                     MA_IF(f, "removable (non-file) ", ""), MA_Q(x->valuestring));
            return NULL;
        }
    }
    cJSON *out = cJSON_CreateObject();
    const cJSON *f;
    cJSON_ArrayForEach(f, cur) {
        const char *type = pcfmcp__json_str(f, "type");
        if ((type && strcmp(type, "file") == 0) || name_in(remove, f->string) ||
            cJSON_GetObjectItemCaseSensitive(given, f->string))
            continue;
        cJSON_AddItemToObject(out, f->string, field_copy(f));
    }
    cJSON_ArrayForEach(f, given) cJSON_AddItemToObject(out, f->string, cJSON_Duplicate(f, true));
    return out;
}

/* After the write: the issue must hold exactly the fields asked for (PCF
 * drops a value it cannot convert, and API v1 ignores an empty set). */
static bool fields_landed(tcall *c, const char *iid, const cJSON *want)
{
    const cJSON *doc = pcfmcp__tools_pcf_fresh(c, PCFMCP__PCF_OP_ISSUE_INFO,
                                               pcfmcp__th_args_id(c, "issue_id", iid), NULL);
    if (!doc)
        return false;
    const cJSON *now = pcfmcp__json_obj(doc, "fields");
    pcfmcp__mtext missing, extra;
    pcfmcp__mt_init(&missing);
    pcfmcp__mt_init(&extra);
    const cJSON *f;
    cJSON_ArrayForEach(f, want) {
        const cJSON *g = cJSON_GetObjectItemCaseSensitive(now, f->string);
        const char *t1 = pcfmcp__json_str(f, "type"), *t2 = pcfmcp__json_str(g, "type");
        if (!g || !t1 || !t2 || strcmp(t1, t2) != 0)
            MT_FMT(&missing, "{}{}", MA_IF(pcfmcp__mt_len(&missing), ", ", ""), MA_Q(f->string));
    }
    cJSON_ArrayForEach(f, now) {
        const char *type = pcfmcp__json_str(f, "type");
        if (!cJSON_GetObjectItemCaseSensitive(want, f->string) &&
            !(type && strcmp(type, "file") == 0))
            MT_FMT(&extra, "{}{}", MA_IF(pcfmcp__mt_len(&extra), ", ", ""), MA_Q(f->string));
    }
    bool ok = !pcfmcp__mt_len(&missing) && !pcfmcp__mt_len(&extra);
    if (!ok)
        TOOL_ERR(c, "PCF did not store the custom fields as asked (the other changes were "
                    "applied): missing or of another type: [{}]; still there: [{}]. PCF drops a "
                    "value it cannot convert to the field's type, and its API cannot remove the "
                    "last custom field (the web channel can).",
                 MA_MT(&missing), MA_MT(&extra));
    pcfmcp__mt_free(&missing);
    pcfmcp__mt_free(&extra);
    return ok;
}

pcfmcp_error_t pcfmcp__th_update_issue(tcall *c)
{
    const char *iid = pcfmcp__tools_arg_str(c, "issue_id");
    const cJSON *given = cJSON_GetObjectItemCaseSensitive(c->args, "fields");
    const cJSON *remove = cJSON_GetObjectItemCaseSensitive(c->args, "remove_fields");
    bool touch_fields = cJSON_GetArraySize(given) > 0 || cJSON_GetArraySize(remove) > 0;
    cJSON *a = issue_body(c, false);
    if (!a)
        return PCFMCP_ERR_INVALID_ARG;
    cJSON_DeleteItemFromObjectCaseSensitive(a, "fields");
    cJSON *want = NULL;
    if (touch_fields) {
        if (!(want = merged_fields(c, iid, given, remove))) {
            cJSON_Delete(a);
            return PCFMCP_ERR_INVALID_ARG;
        }
        cJSON_AddItemToObject(a, "fields", cJSON_Duplicate(want, true));
    }
    if (cJSON_GetArraySize(a) <= 2) {
        cJSON_Delete(a);
        cJSON_Delete(want);
        TOOL_ERR(c, "nothing to change: give at least one field to update");
        return PCFMCP_ERR_INVALID_ARG;
    }
    if (!pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_ISSUE_UPDATE, a, NULL)) {
        cJSON_Delete(want);
        return PCFMCP_ERR_PCF;
    }
    bool landed = !want || fields_landed(c, iid, want);
    cJSON_Delete(want);
    if (!landed)
        return PCFMCP_ERR_PCF;
    cJSON *out = pcfmcp__tools_out(c);
    cJSON_AddBoolToObject(out, "ok", true);
    cJSON_AddStringToObject(out, "issue_id", iid);
    pcfmcp__th_updated(c, "name description cvss criticality status cve cwe url_path param fix "
                          "technical risks references intruder services fields remove_fields "
                          "cvss_vector impact exploitability risk type");
    TOOL_SAY(c, "Updated issue {}.", MA_ID(iid));
    return PCFMCP_OK;
}

pcfmcp_error_t pcfmcp__th_delete_issue(tcall *c)
{
    return pcfmcp__th_delete(c, PCFMCP__PCF_OP_ISSUE_DELETE, "issue_id", NULL);
}

pcfmcp_error_t pcfmcp__th_list_issue_rules(tcall *c)
{
    cJSON *a = cJSON_CreateObject();
    cJSON_AddArrayToObject(a, "rule_ids");
    const cJSON *doc = pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_RULES_LIST, a, NULL);
    if (!doc)
        return PCFMCP_ERR_PCF;
    cJSON *rules = cJSON_Duplicate(pcfmcp__json_arr(doc, "result"), true);
    cJSON_AddItemToObject(pcfmcp__tools_out(c), "rules", rules ? rules : cJSON_CreateArray());
    TOOL_SAY(c, "{} issue rule(s).", MA_INT(cJSON_GetArraySize(rules)));
    return PCFMCP_OK;
}

pcfmcp_error_t pcfmcp__th_apply_issue_rules(tcall *c)
{
    cJSON *a = pcfmcp__tools_pargs(c);
    pcfmcp__th_copy(c, a, "rule_ids issue_ids");
    const cJSON *doc = pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_RULES_USE, a, NULL);
    if (!doc)
        return PCFMCP_ERR_PCF;
    cJSON *out = pcfmcp__tools_out(c);
    cJSON_AddBoolToObject(out, "ok", true);
    cJSON_AddNumberToObject(out, "updated_issues", pcfmcp__json_num(doc, "updated_issues", 0));
    TOOL_SAY(c, "Rules changed {} issue(s).", MA_INT(pcfmcp__json_num(doc, "updated_issues", 0)));
    return PCFMCP_OK;
}

/* ------------------------------------------------------------ PoCs */

pcfmcp_error_t pcfmcp__th_add_poc(tcall *c)
{
    if (!pcfmcp__tools_has_arg(c, "text") && !pcfmcp__tools_has_arg(c, "content_base64")) {
        TOOL_ERR(c, "give the PoC as text or content_base64");
        return PCFMCP_ERR_INVALID_ARG;
    }
    if (pcfmcp__tools_has_arg(c, "hostname_id") && !pcfmcp__tools_has_arg(c, "port_id")) {
        TOOL_ERR(c, "hostname_id needs port_id");
        return PCFMCP_ERR_INVALID_ARG;
    }
    const char *iid = pcfmcp__tools_arg_str(c, "issue_id");
    const cJSON *doc = pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_POC_ADD, poc_args(c, iid, c->args), NULL);
    if (!doc)
        return PCFMCP_ERR_PCF;
    const char *pid = pcfmcp__json_str(doc, "poc_id");
    cJSON *out = pcfmcp__tools_out(c);
    cJSON_AddBoolToObject(out, "ok", true);
    cJSON_AddStringToObject(out, "poc_id", pid ? pid : "");
    cJSON_AddStringToObject(out, "issue_id", iid);
    TOOL_SAY(c, "Attached PoC {} to issue {}.", MA_ID(pid ? pid : ""), MA_ID(iid));
    return PCFMCP_OK;
}

static const char *image_mime(const unsigned char *d, size_t n)
{
    if (n >= 8 && memcmp(d, "\x89PNG", 4) == 0)
        return "image/png";
    if (n >= 3 && d[0] == 0xFF && d[1] == 0xD8)
        return "image/jpeg";
    if (n >= 6 && memcmp(d, "GIF8", 4) == 0)
        return "image/gif";
    if (n >= 12 && memcmp(d, "RIFF", 4) == 0 && memcmp(d + 8, "WEBP", 4) == 0)
        return "image/webp";
    return NULL;
}

pcfmcp_error_t pcfmcp__th_get_poc(tcall *c)
{
    const char *iid = pcfmcp__tools_arg_str(c, "issue_id");
    const char *pid = pcfmcp__tools_arg_str(c, "poc_id");
    cJSON *a = pcfmcp__th_args_id(c, "issue_id", iid);
    cJSON_AddStringToObject(a, "poc_id", pid);
    const cJSON *pi = pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_POC_INFO, a, NULL);
    if (!pi)
        return PCFMCP_ERR_PCF;
    cJSON *poc = cJSON_CreateObject();
    cJSON_AddStringToObject(poc, "id", pid);
    static const char *const keys[] = { "filename", "type", "description", "port_id", "hostname_id" };
    for (size_t k = 0; k < PCFMCP_ARRAY_LEN(keys); k++) {
        const char *v = pcfmcp__json_str(pi, keys[k]);
        cJSON_AddStringToObject(poc, keys[k], v ? v : "");
    }
    cJSON_AddNumberToObject(poc, "priority", pcfmcp__json_num(pi, "priority", 0));
    cJSON_AddItemToObject(pcfmcp__tools_out(c), "poc", poc);
    if (!pcfmcp__json_bool(c->args, "include_content", false)) {
        TOOL_SAY(c, "PoC {} ({}). include_content=true returns its content.", MA_ID(pid),
                 MA_ID(pcfmcp__json_str(pi, "type")));
        return PCFMCP_OK;
    }
    const char *reason = NULL;
    if (pcfmcp_pcf_capability(c->pcf, "snapshot", &reason) != PCFMCP_OK) {
        TOOL_ERR(c, "PoC content is only readable through PCF's web session, which is not "
                    "configured: set pcf.email and pcf.password (or call without "
                    "include_content)");
        return PCFMCP_ERR_UNSUPPORTED;
    }
    const cJSON *snap =
        pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_PROJECT_SNAPSHOT, pcfmcp__tools_pargs(c), NULL);
    if (!snap)
        return PCFMCP_ERR_PCF;
    const cJSON *p = cJSON_GetObjectItemCaseSensitive(pcfmcp__json_obj(snap, "pocs"), pid);
    const char *b64 = pcfmcp__json_str(p, "content_base64");
    if (!b64) {
        TOOL_ERR(c, "PCF's export has no content for PoC {}", MA_ID(pid));
        return PCFMCP_ERR_NOT_FOUND;
    }
    size_t n = 0;
    unsigned char *data = pcfmcp__base64_decode(b64, strlen(b64), &n);
    if (!data) {
        TOOL_ERR(c, "PoC {}: PCF's export holds content that is not base64", MA_ID(pid));
        return PCFMCP_ERR_BAD_RESPONSE;
    }
    cJSON_AddNumberToObject(poc, "content_bytes", (double)n);
    const char *mime = image_mime(data, n);
    if (mime) {
        char *enc = pcfmcp__base64_encode(data, n, NULL);
        if (!c->extra_content)
            c->extra_content = cJSON_CreateArray();
        cJSON *blk = cJSON_CreateObject();
        cJSON_AddStringToObject(blk, "type", "image");
        cJSON_AddStringToObject(blk, "data", enc ? enc : "");
        cJSON_AddStringToObject(blk, "mimeType", mime);
        cJSON_AddItemToArray(c->extra_content, blk);
        pcfmcp__free(enc);
        TOOL_SAY(c, "PoC {} is an image ({}, {} bytes), attached.", MA_ID(pid), MA_ID(mime),
                 MA_INT(n));
    } else {
        char *text = pcfmcp__tools_clean((const char *)data, n, c->ts->max_field * 4);
        cJSON_AddStringToObject(poc, "content_text", text ? text : "");
        pcfmcp__free(text);
        TOOL_SAY(c, "PoC {}: {} bytes of text (in content_text).", MA_ID(pid), MA_INT(n));
    }
    pcfmcp__free(data);
    return PCFMCP_OK;
}

pcfmcp_error_t pcfmcp__th_delete_poc(tcall *c)
{
    return pcfmcp__th_delete(c, PCFMCP__PCF_OP_POC_DELETE, "poc_id", "issue_id");
}
