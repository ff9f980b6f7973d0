/* Services: PCF's view of the same port/protocol/service/description on
 * many hosts. The grouping is built from the JSON export (ports per host
 * IP) and API v1 hosts (ids); PCF's two forms add a port to many hosts at
 * once and rename a service everywhere. PCF's edit also deletes the port
 * from every host of the group that the form does not list, so an update
 * always lists all of them. */
#include "core/internal.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/json.h"
#include "core/util.h"
#include "pcf/workspace.h"

/* [{host_id, ip, ports: [{id, port, is_tcp, service, description}]}] */
static pcfmcp_error_t host_ports(pcf_call *c, cJSON **out)
{
    *out = NULL;
    cJSON *snap = NULL;
    pcfmcp_error_t rc = pcfmcp__pcf_ui_snapshot(c, pcfmcp__pcf_id(c, "project_id"), &snap);
    if (rc != PCFMCP_OK)
        return rc;
    cJSON *args = cJSON_CreateObject();
    bool ok = args != NULL;
    pcfmcp__pcf_put_str(args, "project_id", pcfmcp__pcf_id(c, "project_id"), &ok);
    pcfmcp_pcf_result_t *sub = NULL;
    rc = ok ? pcfmcp__pcf_subcall(c, PCFMCP__PCF_OP_HOSTS_LIST, args, &sub)
            : pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
    cJSON_Delete(args);
    if (rc != PCFMCP_OK) {
        if (sub)
            pcfmcp__pcf_result_move(c->res, sub);
        pcfmcp_pcf_result_free(sub);
        cJSON_Delete(snap);
        return rc;
    }
    const cJSON *ex_hosts = cJSON_GetObjectItemCaseSensitive(snap, "hosts");
    const cJSON *ex_ports = cJSON_GetObjectItemCaseSensitive(snap, "ports");
    cJSON *list = cJSON_CreateArray();
    const cJSON *h;
    cJSON_ArrayForEach(h, cJSON_GetObjectItemCaseSensitive(pcfmcp__pcf_result_cjson(sub), "hosts")) {
        const char *ip = pcfmcp__json_str(h, "ip");
        cJSON *e = cJSON_CreateObject();
        cJSON *ports = cJSON_CreateArray();
        cJSON_AddStringToObject(e, "host_id", pcfmcp__json_str(h, "id"));
        cJSON_AddStringToObject(e, "ip", ip ? ip : "");
        const cJSON *pid;
        cJSON_ArrayForEach(pid, cJSON_GetObjectItemCaseSensitive(
                                    cJSON_GetObjectItemCaseSensitive(ex_hosts, ip ? ip : ""),
                                    "ports")) {
            const cJSON *p = cJSON_IsString(pid)
                                 ? cJSON_GetObjectItemCaseSensitive(ex_ports, pid->valuestring)
                                 : NULL;
            /* Port 0 is PCF's hidden "whole host" entry. */
            if (!p || pcfmcp__json_num(p, "port", 0) <= 0)
                continue;
            cJSON *o = cJSON_CreateObject();
            cJSON_AddStringToObject(o, "id", pid->valuestring);
            cJSON_AddNumberToObject(o, "port", pcfmcp__json_num(p, "port", 0));
            cJSON_AddBoolToObject(o, "is_tcp", pcfmcp__json_bool(p, "is_tcp", true));
            const char *s = pcfmcp__json_str(p, "service"), *d = pcfmcp__json_str(p, "comment");
            cJSON_AddStringToObject(o, "service", s ? s : "");
            cJSON_AddStringToObject(o, "description", d ? d : "");
            cJSON_AddItemToArray(ports, o);
        }
        cJSON_AddItemToObject(e, "ports", ports);
        cJSON_AddItemToArray(list, e);
    }
    pcfmcp_pcf_result_free(sub);
    cJSON_Delete(snap);
    if (!list)
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
    *out = list;
    return PCFMCP_OK;
}

static const cJSON *host_entry(const cJSON *hp, const char *host_id)
{
    const cJSON *h;
    cJSON_ArrayForEach(h, hp)
        if (pcfmcp__json_str_is(h, "host_id", host_id))
            return h;
    return NULL;
}

static const cJSON *port_on(const cJSON *host, int port, bool tcp)
{
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(host, "ports"))
        if (pcfmcp__json_int(p, "port", 0) == port && pcfmcp__json_bool(p, "is_tcp", true) == tcp)
            return p;
    return NULL;
}

pcfmcp_error_t pcfmcp__pcf_run_services_list(pcf_call *c)
{
    pcfmcp_error_t rc = pcfmcp__pcf_ui_begin(c);
    if (rc != PCFMCP_OK)
        return rc;
    cJSON *hp = NULL;
    rc = host_ports(c, &hp);
    pcfmcp__pcf_ui_end(c);
    if (rc != PCFMCP_OK)
        return rc;
    cJSON *groups = cJSON_CreateArray();
    const cJSON *h;
    cJSON_ArrayForEach(h, hp) {
        const cJSON *p;
        cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(h, "ports")) {
            cJSON *g = NULL, *x;
            cJSON_ArrayForEach(x, groups) {
                if (pcfmcp__json_num(x, "port", -1) == pcfmcp__json_num(p, "port", -2) &&
                    pcfmcp__json_bool(x, "is_tcp", true) == pcfmcp__json_bool(p, "is_tcp", true) &&
                    pcfmcp__json_str_is(x, "service", pcfmcp__json_str(p, "service")) &&
                    pcfmcp__json_str_is(x, "description", pcfmcp__json_str(p, "description")))
                    g = x;
            }
            if (!g) {
                g = cJSON_CreateObject();
                cJSON_AddNumberToObject(g, "port", pcfmcp__json_num(p, "port", 0));
                cJSON_AddBoolToObject(g, "is_tcp", pcfmcp__json_bool(p, "is_tcp", true));
                cJSON_AddStringToObject(g, "service", pcfmcp__json_str(p, "service"));
                cJSON_AddStringToObject(g, "description", pcfmcp__json_str(p, "description"));
                cJSON_AddItemToObject(g, "hosts", cJSON_CreateArray());
                cJSON_AddItemToArray(groups, g);
            }
            cJSON *e = cJSON_CreateObject();
            cJSON_AddStringToObject(e, "host_id", pcfmcp__json_str(h, "host_id"));
            cJSON_AddStringToObject(e, "ip", pcfmcp__json_str(h, "ip"));
            cJSON_AddStringToObject(e, "port_id", pcfmcp__json_str(p, "id"));
            cJSON_AddItemToArray(cJSON_GetObjectItemCaseSensitive(g, "hosts"), e);
        }
    }
    cJSON_Delete(hp);
    static const char *const k[] = { "services" };
    cJSON **v[] = { &groups };
    return pcfmcp__ws_succeed_with(c, 1, k, v);
}

static bool read_port(pcf_call *c, const char *key, const char *proto_key, int *port, bool *tcp,
                      bool required)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(c->body, key);
    if (!v || cJSON_IsNull(v)) {
        if (required)
            pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG, "missing argument %s", key);
        return !required;
    }
    if (!cJSON_IsNumber(v) || v->valuedouble < 1 || v->valuedouble > 65535 ||
        v->valuedouble != (int)v->valuedouble) {
        pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG, "argument %s must be a port 1-65535", key);
        return false;
    }
    *port = (int)v->valuedouble;
    const char *proto = pcfmcp__json_str(c->body, proto_key);
    if (proto && strcmp(proto, "tcp") != 0 && strcmp(proto, "udp") != 0) {
        pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG, "argument %s must be tcp or udp",
                         proto_key);
        return false;
    }
    if (proto)
        *tcp = strcmp(proto, "tcp") == 0;
    return true;
}

pcfmcp_error_t pcfmcp__pcf_run_service_add(pcf_call *c)
{
    int port = 0;
    bool tcp = true;
    if (!read_port(c, "port", "protocol", &port, &tcp, true))
        return c->res->err;
    const cJSON *hosts = cJSON_GetObjectItemCaseSensitive(c->body, "host_ids");
    if (cJSON_GetArraySize(hosts) == 0)
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG,
                                "argument host_ids must name at least one host");
    const char *svc = pcfmcp__json_str(c->body, "service");
    const char *desc = pcfmcp__json_str(c->body, "description");
    cJSON *added = cJSON_CreateArray(), *had = cJSON_CreateArray(),
          *missing = cJSON_CreateArray(), *send = cJSON_CreateArray();
    ws_op op = { 0 };
    pcfmcp_error_t rc = pcfmcp__ws_op_begin(c, &op);
    if (rc != PCFMCP_OK)
        goto out;
    if ((rc = host_ports(c, &op.before)) != PCFMCP_OK)
        goto out;
    const cJSON *h;
    cJSON_ArrayForEach(h, hosts) {
        const cJSON *e = host_entry(op.before, h->valuestring);
        if (!e)
            cJSON_AddItemToArray(missing, cJSON_CreateString(h->valuestring));
        else if (port_on(e, port, tcp))
            cJSON_AddItemToArray(had, cJSON_CreateString(h->valuestring));
        else
            cJSON_AddItemToArray(send, cJSON_CreateString(h->valuestring));
    }
    if (cJSON_GetArraySize(send) > 0) {
        char pv[16];
        snprintf(pv, sizeof(pv), tcp ? "%d" : "%d/udp", port);
        pcfmcp__pcf_form_add(&op.f, "port", pv);
        pcfmcp__pcf_form_add(&op.f, "service", svc ? svc : "");
        pcfmcp__pcf_form_add(&op.f, "description", desc ? desc : "");
        pcfmcp__ws_form_list(&op.f, "host", send);
        if ((rc = pcfmcp__ws_submit(c, "ui_service_add", "/services/new_service", &op.f,
                                    "the new service", &op.resp)) != PCFMCP_OK)
            goto out;
        if ((rc = host_ports(c, &op.after)) != PCFMCP_OK)
            goto out;
        cJSON_ArrayForEach(h, send) {
            const cJSON *p = port_on(host_entry(op.after, h->valuestring), port, tcp);
            if (!p) {
                rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_BAD_RESPONSE,
                                      "PCF accepted the service but host %s has no port %d/%s on "
                                      "re-reading",
                                      h->valuestring, port, tcp ? "tcp" : "udp");
                goto out;
            }
            cJSON *a = cJSON_CreateObject();
            cJSON_AddStringToObject(a, "host_id", h->valuestring);
            cJSON_AddStringToObject(a, "port_id", pcfmcp__json_str(p, "id"));
            cJSON_AddItemToArray(added, a);
        }
    }
    static const char *const keys[] = { "added", "already_there", "not_found" };
    cJSON **vals[] = { &added, &had, &missing };
    rc = pcfmcp__ws_succeed_with(c, 3, keys, vals);
out:
    pcfmcp__ws_op_end(c, &op);
    cJSON_Delete(added);
    cJSON_Delete(had);
    cJSON_Delete(missing);
    cJSON_Delete(send);
    return rc;
}

pcfmcp_error_t pcfmcp__pcf_run_service_update(pcf_call *c)
{
    int port = 0, nport = 0;
    bool tcp = true, ntcp;
    if (!read_port(c, "port", "protocol", &port, &tcp, true))
        return c->res->err;
    nport = port;
    ntcp = tcp;
    if (!read_port(c, "new_port", "new_protocol", &nport, &ntcp, false))
        return c->res->err;
    const char *svc = pcfmcp__json_str(c->body, "service");
    const char *desc = pcfmcp__json_str(c->body, "description");
    const char *nsvc = pcfmcp__json_str(c->body, "new_service");
    const char *ndesc = pcfmcp__json_str(c->body, "new_description");
    if (!svc)
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG,
                                "missing argument service (the current service name; \"\" for "
                                "none)");
    cJSON *hosts = cJSON_CreateArray(), *descs = cJSON_CreateArray();
    pcfmcp__buf path;
    pcfmcp__buf_init(&path);
    ws_op op = { 0 };
    pcfmcp_error_t rc = pcfmcp__ws_op_begin(c, &op);
    if (rc != PCFMCP_OK)
        goto out;
    if ((rc = host_ports(c, &op.before)) != PCFMCP_OK)
        goto out;
    /* The group: every port with these values; its description, when not
     * given, must be the same on all of them. */
    const cJSON *h;
    cJSON_ArrayForEach(h, op.before) {
        const cJSON *p = port_on(h, port, tcp);
        if (!p || !pcfmcp__json_str_is(p, "service", svc))
            continue;
        const char *d = pcfmcp__json_str(p, "description");
        if (desc && strcmp(d, desc) != 0)
            continue;
        bool known = false;
        const cJSON *x;
        cJSON_ArrayForEach(x, descs)
            known |= strcmp(x->valuestring, d) == 0;
        if (!known)
            cJSON_AddItemToArray(descs, cJSON_CreateString(d));
        cJSON_AddItemToArray(hosts, cJSON_CreateString(pcfmcp__json_str(h, "host_id")));
    }
    if (cJSON_GetArraySize(hosts) == 0) {
        rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOT_FOUND,
                              "no port %d/%s with that service%s in this project "
                              "(list_services shows the services)",
                              port, tcp ? "tcp" : "udp", desc ? " and description" : "");
        goto out;
    }
    if (cJSON_GetArraySize(descs) > 1) {
        /* PCF data stays out of the message: list_services shows them. */
        rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG,
                              "port %d/%s of that service has %d different descriptions: give "
                              "description to pick one (list_services shows them)",
                              port, tcp ? "tcp" : "udp", cJSON_GetArraySize(descs));
        goto out;
    }
    const char *odesc = cJSON_GetArrayItem(descs, 0)->valuestring;
    if (nport != port || ntcp != tcp) {
        /* PCF would give such a host the same port twice. */
        cJSON_ArrayForEach(h, hosts) {
            if (port_on(host_entry(op.before, h->valuestring), nport, ntcp)) {
                rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG,
                                      "host %s already has port %d/%s: PCF would record it twice",
                                      h->valuestring, nport, ntcp ? "tcp" : "udp");
                goto out;
            }
        }
    }
    char pv[16], opv[16];
    snprintf(pv, sizeof(pv), ntcp ? "%d" : "%d/udp", nport);
    snprintf(opv, sizeof(opv), tcp ? "%d" : "%d/udp", port);
    pcfmcp__pcf_form_add(&op.f, "port", pv);
    pcfmcp__pcf_form_add(&op.f, "service", nsvc ? nsvc : svc);
    pcfmcp__pcf_form_add(&op.f, "description", ndesc ? ndesc : odesc);
    pcfmcp__pcf_form_add(&op.f, "old_port", opv);
    pcfmcp__pcf_form_add(&op.f, "old_service", svc);
    pcfmcp__pcf_form_add(&op.f, "old_description", odesc);
    /* Every host of the group: PCF deletes the port from the others. */
    pcfmcp__ws_form_list(&op.f, "host", hosts);
    pcfmcp__buf_printf(&path, "/services/edit?port=%d&is_tcp=%d&service=", port, tcp ? 1 : 0);
    pcfmcp__pcf_urlencode(&path, svc, strlen(svc));
    pcfmcp__buf_puts(&path, "&info=");
    pcfmcp__pcf_urlencode(&path, odesc, strlen(odesc));
    if (!pcfmcp__buf_ok(&path)) {
        rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
        goto out;
    }
    if ((rc = pcfmcp__ws_request(c, "ui_service_update", true, path.data, &op.f, NULL, &op.resp)) !=
        PCFMCP_OK)
        goto out;
    if (op.resp.status == 200) {
        rc = pcfmcp__ws_page_errors(c, &op.resp) ? c->res->err
                                              : pcfmcp__pcf_ui_unexpected(c, &op.resp,
                                                                          "the service edit");
        goto out;
    }
    if (op.resp.status != 302 || !op.resp.location ||
        !strstr(op.resp.location, "/services/edit?")) {
        rc = op.resp.status == 302 ? pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOT_FOUND,
                                                   "PCF did not find that service")
                                : pcfmcp__pcf_ui_unexpected(c, &op.resp, "the service edit");
        goto out;
    }
    if ((rc = host_ports(c, &op.after)) != PCFMCP_OK)
        goto out;
    int updated = 0;
    cJSON_ArrayForEach(h, hosts) {
        const cJSON *p = port_on(host_entry(op.after, h->valuestring), nport, ntcp);
        if (p && pcfmcp__json_str_is(p, "service", nsvc ? nsvc : svc))
            updated++;
    }
    if (updated != cJSON_GetArraySize(hosts)) {
        rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_BAD_RESPONSE,
                              "PCF answered the edit but only %d of %d hosts show the new values",
                              updated, cJSON_GetArraySize(hosts));
        goto out;
    }
    cJSON *doc = cJSON_CreateObject();
    if (doc) {
        cJSON_AddNumberToObject(doc, "updated", updated);
        cJSON_AddItemToObject(doc, "host_ids", hosts);
        hosts = NULL;
    }
    rc = pcfmcp__ws_succeed(c, doc);
out:
    pcfmcp__ws_op_end(c, &op);
    pcfmcp__buf_free(&path);
    cJSON_Delete(hosts);
    cJSON_Delete(descs);
    return rc;
}
