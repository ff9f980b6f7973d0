/* The project model: PCF's hosts, ports and issues joined into one
 * document a model (and a report) can read without chasing ids. API v1
 * lists hosts without ports and issues with bare port ids, so the join costs
 * one host info call per host; PoC references come from the web session's
 * JSON export when it is configured, else from issue and PoC info calls. */
#include "core/internal.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "core/util.h"
#include "tools/toolset.h"

static void add_str(cJSON *o, const char *k, const cJSON *src, const char *sk)
{
    const char *v = pcfmcp__json_str(src, sk ? sk : k);
    cJSON_AddStringToObject(o, k, v ? v : "");
}

static cJSON *norm_port(const cJSON *p)
{
    cJSON *o = cJSON_CreateObject();
    add_str(o, "id", p, NULL);
    cJSON_AddNumberToObject(o, "port", pcfmcp__json_num(p, "port", 0));
    cJSON_AddStringToObject(o, "protocol", pcfmcp__json_bool(p, "is_tcp", true) ? "tcp" : "udp");
    add_str(o, "service", p, NULL);
    add_str(o, "description", p, NULL);
    return o;
}

cJSON *pcfmcp__tools_norm_host(const cJSON *h)
{
    cJSON *o = cJSON_CreateObject();
    add_str(o, "id", h, NULL);
    add_str(o, "ip", h, NULL);
    add_str(o, "description", h, NULL);
    add_str(o, "os", h, NULL);
    cJSON *threats = cJSON_AddArrayToObject(o, "threats");
    const cJSON *x;
    cJSON_ArrayForEach(x, pcfmcp__json_arr(h, "threats")) if (cJSON_IsString(x))
        cJSON_AddItemToArray(threats, cJSON_CreateString(x->valuestring));
    cJSON *names = cJSON_AddArrayToObject(o, "hostnames");
    cJSON_ArrayForEach(x, pcfmcp__json_arr(h, "hostnames")) {
        cJSON *n = cJSON_CreateObject();
        add_str(n, "id", x, NULL);
        add_str(n, "hostname", x, NULL);
        add_str(n, "description", x, NULL);
        cJSON_AddItemToArray(names, n);
    }
    cJSON *issues = cJSON_AddArrayToObject(o, "issue_ids");
    cJSON_ArrayForEach(x, pcfmcp__json_arr(h, "issues")) if (cJSON_IsString(x))
        cJSON_AddItemToArray(issues, cJSON_CreateString(x->valuestring));
    const cJSON *ports = pcfmcp__json_arr(h, "ports");
    if (ports) {
        cJSON *arr = cJSON_AddArrayToObject(o, "ports");
        cJSON_ArrayForEach(x, ports) {
            if (pcfmcp__json_num(x, "port", 0) == 0)
                continue; /* PCF's hidden "whole host" port */
            cJSON_AddItemToArray(arr, norm_port(x));
        }
    }
    return o;
}

static const char *const issue_text_fields[] = {
    "name", "description", "status", "type",  "cve",        "url_path",
    "param", "fix",        "technical", "risks", "references", "intruder"
};

cJSON *pcfmcp__tools_norm_issue(const cJSON *i, const char *id)
{
    cJSON *o = cJSON_CreateObject();
    const char *iid = id ? id : pcfmcp__json_str(i, "issue_id");
    cJSON_AddStringToObject(o, "id", iid ? iid : "");
    for (size_t k = 0; k < PCFMCP_ARRAY_LEN(issue_text_fields); k++)
        add_str(o, issue_text_fields[k], i, NULL);
    double cvss = pcfmcp__json_num(i, "cvss", 0);
    cJSON_AddNumberToObject(o, "cvss", cvss);
    cJSON_AddStringToObject(o, "criticality", pcfmcp__tools_criticality(cvss));
    cJSON_AddNumberToObject(o, "cwe", pcfmcp__json_num(i, "cwe", 0));
    const cJSON *fields = pcfmcp__json_obj(i, "fields");
    if (fields && cJSON_GetArraySize(fields) > 0)
        cJSON_AddItemToObject(o, "fields", cJSON_Duplicate(fields, true));
    /* Raw services stay until the model resolves them. */
    cJSON *svc = cJSON_AddArrayToObject(o, "services");
    const cJSON *s;
    cJSON_ArrayForEach(s, pcfmcp__json_obj(i, "services")) {
        const cJSON *hn;
        cJSON_ArrayForEach(hn, s) {
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "port_id", s->string);
            cJSON_AddStringToObject(e, "hostname_id",
                                    cJSON_IsString(hn) ? hn->valuestring : "0");
            cJSON_AddItemToArray(svc, e);
        }
    }
    const cJSON *pocs = pcfmcp__json_obj(i, "pocs");
    if (pocs) {
        cJSON *arr = cJSON_AddArrayToObject(o, "pocs");
        const cJSON *p;
        cJSON_ArrayForEach(p, pocs) {
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "id", p->string);
            cJSON_AddNumberToObject(e, "priority", pcfmcp__json_num(p, "priority", 0));
            cJSON_AddItemToArray(arr, e);
        }
    }
    return o;
}

const cJSON *pcfmcp__tools_find_host(const cJSON *hosts, const char *id_or_ip)
{
    const cJSON *h;
    if (!id_or_ip)
        return NULL;
    cJSON_ArrayForEach(h, hosts) {
        const char *id = pcfmcp__json_str(h, "id"), *ip = pcfmcp__json_str(h, "ip");
        if ((id && pcfmcp__strcaseeq(id, id_or_ip)) || (ip && strcmp(ip, id_or_ip) == 0))
            return h;
    }
    return NULL;
}

/* port_id -> {host, port} over the model's hosts. */
static const cJSON *find_port(const cJSON *hosts, const char *port_id, const cJSON **host)
{
    const cJSON *h, *p;
    cJSON_ArrayForEach(h, hosts) {
        cJSON_ArrayForEach(p, pcfmcp__json_arr(h, "ports")) {
            const char *id = pcfmcp__json_str(p, "id");
            if (id && strcmp(id, port_id) == 0) {
                *host = h;
                return p;
            }
        }
    }
    return NULL;
}

static const char *hostname_of(const cJSON *host, const char *hid)
{
    const cJSON *n;
    cJSON_ArrayForEach(n, pcfmcp__json_arr(host, "hostnames")) {
        const char *id = pcfmcp__json_str(n, "id");
        if (id && strcmp(id, hid) == 0)
            return pcfmcp__json_str(n, "hostname");
    }
    return NULL;
}

/* Fills in host, IP, port number and hostname of every service entry. */
static void resolve_services(tcall *c, cJSON *model)
{
    cJSON *hosts = cJSON_GetObjectItemCaseSensitive(model, "hosts");
    cJSON *issue;
    /* Ports PCF hides from host info (the "whole host" port 0) are looked up once. */
    cJSON *extra = cJSON_CreateObject();
    cJSON_ArrayForEach(issue, cJSON_GetObjectItemCaseSensitive(model, "issues")) {
        cJSON *s;
        cJSON_ArrayForEach(s, cJSON_GetObjectItemCaseSensitive(issue, "services")) {
            const char *pid = pcfmcp__json_str(s, "port_id");
            const char *hnid = pcfmcp__json_str(s, "hostname_id");
            const cJSON *host = NULL;
            const cJSON *port = pid ? find_port(hosts, pid, &host) : NULL;
            int num = 0;
            const char *proto = "tcp", *service = "";
            if (port) {
                num = pcfmcp__json_int(port, "port", 0);
                proto = pcfmcp__json_str(port, "protocol");
                service = pcfmcp__json_str(port, "service");
            } else if (pid && extra) {
                const cJSON *known = cJSON_GetObjectItemCaseSensitive(extra, pid);
                if (!known && pcfmcp__uuid_valid(pid)) {
                    cJSON *a = pcfmcp__tools_pargs(c);
                    cJSON_AddStringToObject(a, "port_id", pid);
                    const cJSON *doc = pcfmcp__tools_pcf_soft(c, PCFMCP__PCF_OP_PORT_INFO, a, NULL, NULL);
                    cJSON *rec = doc ? cJSON_Duplicate(doc, true) : cJSON_CreateObject();
                    if (rec)
                        cJSON_AddItemToObject(extra, pid, rec);
                    known = rec;
                }
                if (known) {
                    host = pcfmcp__tools_find_host(hosts, pcfmcp__json_str(known, "host_id"));
                    num = pcfmcp__json_int(known, "port", 0);
                    proto = pcfmcp__json_bool(known, "is_tcp", true) ? "tcp" : "udp";
                    service = pcfmcp__json_str(known, "service");
                }
            }
            const char *hn = host && hnid && strcmp(hnid, "0") != 0 ? hostname_of(host, hnid)
                                                                    : NULL;
            cJSON_AddStringToObject(s, "host_id",
                                    host && pcfmcp__json_str(host, "id")
                                        ? pcfmcp__json_str(host, "id")
                                        : "");
            cJSON_AddStringToObject(s, "ip", host && pcfmcp__json_str(host, "ip")
                                                 ? pcfmcp__json_str(host, "ip")
                                                 : "");
            cJSON_AddNumberToObject(s, "port", num);
            cJSON_AddStringToObject(s, "protocol", proto ? proto : "tcp");
            cJSON_AddStringToObject(s, "service", num == 0 ? "(whole host)" : service ? service : "");
            cJSON_AddStringToObject(s, "hostname", hn ? hn : "");
        }
    }
    cJSON_Delete(extra);
}

/* PoC references: filename, type, description, priority. */
static void load_pocs(tcall *c, cJSON *model)
{
    cJSON *issues = cJSON_GetObjectItemCaseSensitive(model, "issues");
    const char *reason = NULL;
    if (pcfmcp_pcf_capability(c->pcf, "snapshot", &reason) == PCFMCP_OK) {
        cJSON *a = pcfmcp__tools_pargs(c);
        const cJSON *snap =
            pcfmcp__tools_pcf_soft(c, PCFMCP__PCF_OP_PROJECT_SNAPSHOT, a, NULL, NULL);
        if (snap) {
            const cJSON *pocs = pcfmcp__json_obj(snap, "pocs");
            const cJSON *sissues = pcfmcp__json_obj(snap, "issues");
            cJSON *issue;
            cJSON_ArrayForEach(issue, issues) {
                const cJSON *si =
                    cJSON_GetObjectItemCaseSensitive(sissues, pcfmcp__json_str(issue, "id"));
                cJSON *arr = cJSON_CreateArray();
                const cJSON *pid;
                cJSON_ArrayForEach(pid, pcfmcp__json_arr(si, "pocs")) {
                    if (!cJSON_IsString(pid))
                        continue;
                    const cJSON *p = cJSON_GetObjectItemCaseSensitive(pocs, pid->valuestring);
                    cJSON *e = cJSON_CreateObject();
                    cJSON_AddStringToObject(e, "id", pid->valuestring);
                    add_str(e, "filename", p, NULL);
                    add_str(e, "type", p, "filetype");
                    add_str(e, "description", p, "comment");
                    cJSON_AddNumberToObject(e, "priority", pcfmcp__json_num(p, "priority", 0));
                    cJSON_AddItemToArray(arr, e);
                }
                cJSON_DeleteItemFromObjectCaseSensitive(issue, "pocs");
                cJSON_AddItemToObject(issue, "pocs", arr);
            }
            return;
        }
    }
    cJSON *issue;
    cJSON_ArrayForEach(issue, issues) {
        const char *iid = pcfmcp__json_str(issue, "id");
        cJSON *a = pcfmcp__tools_pargs(c);
        cJSON_AddStringToObject(a, "issue_id", iid ? iid : "");
        const cJSON *info =
            pcfmcp__tools_pcf_soft(c, PCFMCP__PCF_OP_ISSUE_INFO, a, NULL, NULL);
        cJSON *arr = cJSON_CreateArray();
        const cJSON *p;
        cJSON_ArrayForEach(p, pcfmcp__json_obj(info, "pocs")) {
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "id", p->string);
            cJSON_AddNumberToObject(e, "priority", pcfmcp__json_num(p, "priority", 0));
            cJSON *pa = pcfmcp__tools_pargs(c);
            cJSON_AddStringToObject(pa, "issue_id", iid ? iid : "");
            cJSON_AddStringToObject(pa, "poc_id", p->string);
            const cJSON *pi =
                pcfmcp__tools_pcf_soft(c, PCFMCP__PCF_OP_POC_INFO, pa, NULL, NULL);
            add_str(e, "filename", pi, NULL);
            add_str(e, "type", pi, NULL);
            add_str(e, "description", pi, NULL);
            cJSON_AddItemToArray(arr, e);
        }
        cJSON_DeleteItemFromObjectCaseSensitive(issue, "pocs");
        cJSON_AddItemToObject(issue, "pocs", arr);
    }
}

cJSON *pcfmcp__tools_model(tcall *c, unsigned what)
{
    cJSON *model = cJSON_CreateObject();
    if (!model) {
        TOOL_ERR(c, "out of memory");
        return NULL;
    }
    if (what & M_SETTINGS) {
        const cJSON *p =
            pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_PROJECT_SETTINGS, pcfmcp__tools_pargs(c), NULL);
        if (!p)
            goto fail;
        cJSON_AddItemToObject(model, "project", pcfmcp__tools_norm_project(p));
    }
    const cJSON *hl = pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_HOSTS_LIST, pcfmcp__tools_pargs(c), NULL);
    if (!hl)
        goto fail;
    cJSON *hosts = cJSON_AddArrayToObject(model, "hosts");
    const cJSON *h;
    cJSON_ArrayForEach(h, pcfmcp__json_arr(hl, "hosts")) {
        const cJSON *src = h;
        if (what & M_PORTS) {
            cJSON *a = pcfmcp__tools_pargs(c);
            cJSON_AddStringToObject(a, "host_id", pcfmcp__json_str(h, "id") ? pcfmcp__json_str(h, "id") : "");
            src = pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_HOST_INFO, a, NULL);
            if (!src)
                goto fail;
        }
        cJSON_AddItemToArray(hosts, pcfmcp__tools_norm_host(src));
    }
    const cJSON *il =
        pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_ISSUES_LIST, pcfmcp__tools_pargs(c), NULL);
    if (!il)
        goto fail;
    cJSON *issues = cJSON_AddArrayToObject(model, "issues");
    const cJSON *i;
    cJSON_ArrayForEach(i, pcfmcp__json_arr(il, "issues"))
        cJSON_AddItemToArray(issues, pcfmcp__tools_norm_issue(i, NULL));
    if (what & M_PORTS)
        resolve_services(c, model);
    if (what & M_POCS)
        load_pocs(c, model);
    if (c->ctx && pcfmcp_ctx_is_cancelled(c->ctx)) {
        TOOL_ERR(c, "cancelled by the client");
        goto fail;
    }
    return model;
fail:
    cJSON_Delete(model);
    return NULL;
}
