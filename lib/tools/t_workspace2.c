/* Handlers: services, network paths, list imports and exports, team
 * membership, this server's token; plus the helpers other handlers call
 * for network access_from and the issue duplicate check. */
#include "core/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/json.h"
#include "core/util.h"
#include "tools/handlers.h"
#include "tools/t_workspace.h"

/* ------------------------------------------------------------ helpers for other tools */

bool pcfmcp__tw_access_from(tcall *c, cJSON *a)
{
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(c->args, "access_from");
    if (!list || cJSON_IsNull(list))
        return true;
    cJSON *svc = pcfmcp__th_build_services(c, list);
    if (!svc)
        return false;
    cJSON_AddItemToObject(a, "access_from", svc);
    return true;
}

static bool same_text(const char *a, const char *b)
{
    return pcfmcp__strcaseeq(a ? a : "", b ? b : "");
}

const char *pcfmcp__tw_find_duplicate(tcall *c)
{
    const char *name = pcfmcp__tools_arg_str(c, "name");
    const cJSON *doc = pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_ISSUES_LIST, pcfmcp__tools_pargs(c),
                                         NULL);
    if (!doc || !name)
        return NULL;
    const cJSON *i;
    cJSON_ArrayForEach(i, pcfmcp__json_arr(doc, "issues")) {
        if (same_text(pcfmcp__json_str(i, "name"), name) &&
            same_text(pcfmcp__json_str(i, "url_path"), pcfmcp__tools_arg_str(c, "url_path")) &&
            same_text(pcfmcp__json_str(i, "param"), pcfmcp__tools_arg_str(c, "param"))) {
            const char *id = pcfmcp__json_str(i, "issue_id");
            return id ? id : pcfmcp__json_str(i, "id");
        }
    }
    return NULL;
}

/* ------------------------------------------------------------ services */

pcfmcp_error_t pcfmcp__th_list_services(tcall *c)
{
    const cJSON *doc = pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_SERVICES_LIST, pcfmcp__tools_pargs(c),
                                         NULL);
    if (!doc)
        return PCFMCP_ERR_PCF;
    int port = pcfmcp__json_int(c->args, "port", 0);
    const char *svc = pcfmcp__tools_arg_str(c, "service");
    cJSON *items = cJSON_CreateArray();
    const cJSON *g;
    cJSON_ArrayForEach(g, pcfmcp__json_arr(doc, "services")) {
        if (port && pcfmcp__json_int(g, "port", 0) != port)
            continue;
        if (svc && !pcfmcp__tools_icontains(pcfmcp__json_str(g, "service"), svc))
            continue;
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "port", pcfmcp__json_num(g, "port", 0));
        cJSON_AddStringToObject(o, "protocol", pcfmcp__json_bool(g, "is_tcp", true) ? "tcp" : "udp");
        cJSON_AddStringToObject(o, "service", pcfmcp__json_str(g, "service"));
        cJSON_AddStringToObject(o, "description", pcfmcp__json_str(g, "description"));
        const cJSON *hosts = cJSON_GetObjectItemCaseSensitive(g, "hosts");
        cJSON_AddNumberToObject(o, "host_count", cJSON_GetArraySize(hosts));
        cJSON_AddItemToObject(o, "hosts", pcfmcp__tw_array_copy(hosts));
        cJSON_AddItemToArray(items, o);
    }
    TOOL_SAY(c, "{} service(s).", MA_INT(cJSON_GetArraySize(items)));
    cJSON_AddStringToObject(pcfmcp__tools_out(c), "project_id", c->project_id);
    return pcfmcp__tools_page(c, "services", items);
}

pcfmcp_error_t pcfmcp__th_add_service(tcall *c)
{
    cJSON *ids = cJSON_CreateArray();
    const cJSON *h;
    cJSON_ArrayForEach(h, cJSON_GetObjectItemCaseSensitive(c->args, "hosts")) {
        const char *id = pcfmcp__th_host_id(c, h->valuestring);
        if (!id) {
            cJSON_Delete(ids);
            return PCFMCP_ERR_NOT_FOUND;
        }
        cJSON_AddItemToArray(ids, cJSON_CreateString(id));
    }
    cJSON *a = pcfmcp__tools_pargs(c);
    pcfmcp__th_copy(c, a, "port protocol service description");
    cJSON_AddItemToObject(a, "host_ids", ids);
    const cJSON *doc = pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_SERVICE_ADD, a, NULL);
    if (!doc)
        return PCFMCP_ERR_PCF;
    cJSON *out = pcfmcp__tools_out(c);
    cJSON_AddBoolToObject(out, "ok", true);
    static const char *const keys[] = { "added", "already_there", "not_found" };
    for (size_t i = 0; i < 3; i++)
        cJSON_AddItemToObject(out, keys[i],
                              pcfmcp__tw_array_copy(cJSON_GetObjectItemCaseSensitive(doc, keys[i])));
    TOOL_SAY(c, "Port {} added on {} host(s); {} already had it; {} not found.",
             MA_INT(pcfmcp__json_num(c->args, "port", 0)),
             MA_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(out, "added"))),
             MA_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(out, "already_there"))),
             MA_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(out, "not_found"))));
    return PCFMCP_OK;
}

pcfmcp_error_t pcfmcp__th_update_service(tcall *c)
{
    static const char news[] = "new_port new_protocol new_service new_description";
    cJSON *a = pcfmcp__tools_pargs(c);
    pcfmcp__th_copy(c, a, "port protocol service description");
    size_t before = (size_t)cJSON_GetArraySize(a);
    pcfmcp__th_copy(c, a, news);
    if ((size_t)cJSON_GetArraySize(a) == before) {
        cJSON_Delete(a);
        TOOL_ERR(c, "nothing to change: give new_port, new_protocol, new_service or "
                    "new_description");
        return PCFMCP_ERR_INVALID_ARG;
    }
    if (!pcfmcp__tools_has_arg(c, "service"))
        cJSON_AddStringToObject(a, "service", "");
    const cJSON *doc = pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_SERVICE_UPDATE, a, NULL);
    if (!doc)
        return PCFMCP_ERR_PCF;
    cJSON *out = pcfmcp__tools_out(c);
    cJSON_AddBoolToObject(out, "ok", true);
    cJSON_AddNumberToObject(out, "updated", pcfmcp__json_num(doc, "updated", 0));
    cJSON_AddItemToObject(out, "host_ids",
                          pcfmcp__tw_array_copy(cJSON_GetObjectItemCaseSensitive(doc, "host_ids")));
    TOOL_SAY(c, "Updated the service on {} host(s).", MA_INT(pcfmcp__json_num(doc, "updated", 0)));
    return PCFMCP_OK;
}

/* ------------------------------------------------------------ network paths */

typedef struct {
    const cJSON *hosts, *networks;
} ends;

static bool load_ends(tcall *c, ends *e)
{
    e->hosts = pcfmcp__th_hosts(c);
    const cJSON *doc = e->hosts ? pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_NETWORKS_LIST,
                                                    pcfmcp__tools_pargs(c), NULL)
                                : NULL;
    e->networks = doc ? pcfmcp__json_arr(doc, "networks") : NULL;
    return e->hosts && doc;
}

static void label_of(const ends *e, const char *type, const char *id, char *out, size_t n)
{
    snprintf(out, n, "%s", id);
    const cJSON *x;
    if (strcmp(type, "host") == 0) {
        cJSON_ArrayForEach(x, e->hosts)
            if (pcfmcp__json_str_is(x, "id", id))
                snprintf(out, n, "%s", pcfmcp__json_str(x, "ip") ? pcfmcp__json_str(x, "ip") : id);
        return;
    }
    cJSON_ArrayForEach(x, e->networks)
        if (pcfmcp__json_str_is(x, "id", id))
            snprintf(out, n, "%s/%d%s%s", pcfmcp__json_str(x, "ip") ? pcfmcp__json_str(x, "ip") : "?",
                     pcfmcp__json_int(x, "mask", 0),
                     pcfmcp__json_str(x, "name") && *pcfmcp__json_str(x, "name") ? " " : "",
                     pcfmcp__json_str(x, "name") ? pcfmcp__json_str(x, "name") : "");
}

static cJSON *end_obj(const ends *e, const char *host, const char *net)
{
    cJSON *o = cJSON_CreateObject();
    bool is_host = host && *host;
    const char *id = is_host ? host : (net ? net : "");
    char label[200];
    label_of(e, is_host ? "host" : "network", id, label, sizeof(label));
    cJSON_AddStringToObject(o, "type", is_host ? "host" : "network");
    cJSON_AddStringToObject(o, "id", id);
    cJSON_AddStringToObject(o, "label", label);
    return o;
}

pcfmcp_error_t pcfmcp__th_list_network_paths(tcall *c)
{
    const cJSON *doc = pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_PATHS_LIST, pcfmcp__tools_pargs(c), NULL);
    ends e;
    if (!doc || !load_ends(c, &e))
        return PCFMCP_ERR_PCF;
    cJSON *items = cJSON_CreateArray();
    const cJSON *p;
    cJSON_ArrayForEach(p, cJSON_GetObjectItemCaseSensitive(doc, "paths")) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddStringToObject(o, "id", p->string);
        cJSON_AddItemToObject(o, "from", end_obj(&e, pcfmcp__json_str(p, "host_out"),
                                                 pcfmcp__json_str(p, "network_out")));
        cJSON_AddItemToObject(o, "to", end_obj(&e, pcfmcp__json_str(p, "host_in"),
                                               pcfmcp__json_str(p, "network_in")));
        static const char *const strs[] = { "type", "direction", "description" };
        for (size_t i = 0; i < 3; i++) {
            const char *v = pcfmcp__json_str(p, strs[i]);
            cJSON_AddStringToObject(o, strs[i], v ? v : "");
        }
        cJSON_AddItemToArray(items, o);
    }
    TOOL_SAY(c, "{} network path(s).", MA_INT(cJSON_GetArraySize(items)));
    cJSON_AddStringToObject(pcfmcp__tools_out(c), "project_id", c->project_id);
    return pcfmcp__tools_page(c, "paths", items);
}

/* A path end given as a host (UUID or IP) or a network (UUID or a.b.c.d/n). */
static bool resolve_end(tcall *c, const ends *e, const char *given, const char **type,
                        char id[40])
{
    const cJSON *x;
    bool uuid = pcfmcp__uuid_valid(given);
    cJSON_ArrayForEach(x, e->hosts) {
        const char *hid = pcfmcp__json_str(x, "id"), *ip = pcfmcp__json_str(x, "ip");
        if ((uuid && hid && pcfmcp__strcaseeq(hid, given)) || (!uuid && ip && strcmp(ip, given) == 0)) {
            *type = "host";
            snprintf(id, 40, "%s", hid);
            return true;
        }
    }
    cJSON_ArrayForEach(x, e->networks) {
        const char *nid = pcfmcp__json_str(x, "id"), *ip = pcfmcp__json_str(x, "ip");
        char cidr[80];
        snprintf(cidr, sizeof(cidr), "%s/%d", ip ? ip : "", pcfmcp__json_int(x, "mask", -1));
        if ((uuid && nid && pcfmcp__strcaseeq(nid, given)) || (!uuid && strcmp(cidr, given) == 0)) {
            *type = "network";
            snprintf(id, 40, "%s", nid);
            return true;
        }
    }
    TOOL_ERR(c, "{} is neither a host (UUID or IP) nor a network (UUID or address/mask) of this "
                "project",
             MA_Q(given));
    return false;
}

pcfmcp_error_t pcfmcp__th_add_network_path(tcall *c)
{
    ends e;
    if (!load_ends(c, &e))
        return PCFMCP_ERR_PCF;
    const char *ft, *tt;
    char fid[40], tid[40];
    if (!resolve_end(c, &e, pcfmcp__tools_arg_str(c, "from"), &ft, fid) ||
        !resolve_end(c, &e, pcfmcp__tools_arg_str(c, "to"), &tt, tid))
        return PCFMCP_ERR_NOT_FOUND;
    cJSON *a = pcfmcp__tools_pargs(c);
    cJSON_AddStringToObject(a, "from_type", ft);
    cJSON_AddStringToObject(a, "from_id", fid);
    cJSON_AddStringToObject(a, "to_type", tt);
    cJSON_AddStringToObject(a, "to_id", tid);
    pcfmcp__th_copy(c, a, "type direction description");
    const cJSON *doc = pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_PATH_ADD, a, NULL);
    if (!doc)
        return PCFMCP_ERR_PCF;
    cJSON *out = pcfmcp__tools_out(c);
    cJSON_AddBoolToObject(out, "ok", true);
    const char *pid = pcfmcp__json_str(doc, "path_id");
    cJSON_AddStringToObject(out, "path_id", pid ? pid : "");
    bool replaced = pcfmcp__json_bool(doc, "replaced_existing", false);
    cJSON_AddBoolToObject(out, "replaced_existing", replaced);
    TOOL_SAY(c, "{} path {}.", MA_IF(replaced, "Updated the existing", "Added"),
             MA_ID(pid ? pid : ""));
    return PCFMCP_OK;
}

pcfmcp_error_t pcfmcp__th_delete_network_path(tcall *c)
{
    cJSON *a = pcfmcp__tools_pargs(c);
    pcfmcp__th_copy(c, a, "path_id");
    if (!pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_PATH_DELETE, a, NULL))
        return PCFMCP_ERR_PCF;
    cJSON *out = pcfmcp__tools_out(c);
    cJSON_AddBoolToObject(out, "ok", true);
    cJSON_AddStringToObject(out, "deleted", pcfmcp__tools_arg_str(c, "path_id"));
    TOOL_SAY(c, "Deleted path {}.", MA_ID(pcfmcp__tools_arg_str(c, "path_id")));
    return PCFMCP_OK;
}

/* ------------------------------------------------------------ lists */

pcfmcp_error_t pcfmcp__th_import_hosts(tcall *c)
{
    cJSON *a = pcfmcp__tools_pargs(c);
    pcfmcp__th_copy(c, a, "hosts threats");
    const cJSON *doc = pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_HOSTS_IMPORT, a, NULL);
    if (!doc)
        return PCFMCP_ERR_PCF;
    cJSON *out = pcfmcp__tools_out(c);
    cJSON_AddBoolToObject(out, "ok", true);
    static const char *const nums[] = { "created", "existing", "hostnames_added", "hosts_before",
                                        "hosts_after" };
    for (size_t i = 0; i < PCFMCP_ARRAY_LEN(nums); i++)
        cJSON_AddNumberToObject(out, nums[i], pcfmcp__json_num(doc, nums[i], 0));
    static const char *const arrs[] = { "new_host_ids", "unchanged_existing", "rejected" };
    for (size_t i = 0; i < PCFMCP_ARRAY_LEN(arrs); i++)
        cJSON_AddItemToObject(out, arrs[i],
                              pcfmcp__tw_array_copy(cJSON_GetObjectItemCaseSensitive(doc, arrs[i])));
    TOOL_SAY(c, "Hosts {} -> {}: {} created, {} already there (kept as they were), {} hostnames "
                "added, {} rejected.",
             MA_INT(pcfmcp__json_num(doc, "hosts_before", 0)),
             MA_INT(pcfmcp__json_num(doc, "hosts_after", 0)),
             MA_INT(pcfmcp__json_num(doc, "created", 0)), MA_INT(pcfmcp__json_num(doc, "existing", 0)),
             MA_INT(pcfmcp__json_num(doc, "hostnames_added", 0)),
             MA_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "rejected"))));
    return PCFMCP_OK;
}

pcfmcp_error_t pcfmcp__th_import_credentials(tcall *c)
{
    cJSON *a = pcfmcp__tools_pargs(c);
    pcfmcp__th_copy(c, a, "delimiter login_column hash_column cleartext_column hash_type "
                          "description source skip_duplicates");
    cJSON_AddStringToObject(a, "content", pcfmcp__tools_arg_str(c, "text"));
    const cJSON *doc = pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_CREDENTIALS_IMPORT, a, NULL);
    if (!doc)
        return PCFMCP_ERR_PCF;
    cJSON *out = pcfmcp__tools_out(c);
    cJSON_AddBoolToObject(out, "ok", true);
    static const char *const nums[] = { "added", "skipped_duplicates", "blank_lines",
                                        "credentials_before", "credentials_after" };
    for (size_t i = 0; i < PCFMCP_ARRAY_LEN(nums); i++)
        cJSON_AddNumberToObject(out, nums[i], pcfmcp__json_num(doc, nums[i], 0));
    cJSON_AddItemToObject(out, "rejected",
                          pcfmcp__tw_array_copy(cJSON_GetObjectItemCaseSensitive(doc, "rejected")));
    TOOL_SAY(c, "Credentials {} -> {}: {} added, {} duplicates skipped, {} lines rejected.",
             MA_INT(pcfmcp__json_num(doc, "credentials_before", 0)),
             MA_INT(pcfmcp__json_num(doc, "credentials_after", 0)),
             MA_INT(pcfmcp__json_num(doc, "added", 0)),
             MA_INT(pcfmcp__json_num(doc, "skipped_duplicates", 0)),
             MA_INT(cJSON_GetArraySize(cJSON_GetObjectItemCaseSensitive(doc, "rejected"))));
    return PCFMCP_OK;
}

pcfmcp_error_t pcfmcp__th_export_credentials(tcall *c)
{
    cJSON *a = pcfmcp__tools_pargs(c);
    pcfmcp__th_copy(c, a, "divider empty_passwords login_as_password");
    const char *type = pcfmcp__tools_arg_str(c, "kind");
    cJSON_AddStringToObject(a, "export_type", type ? type : "user_pass");
    const cJSON *doc = pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_CREDENTIALS_EXPORT, a, NULL);
    if (!doc)
        return PCFMCP_ERR_PCF;
    cJSON *out = pcfmcp__tools_out(c);
    cJSON_AddItemToObject(out, "lines", pcfmcp__tw_array_copy(cJSON_GetObjectItemCaseSensitive(doc, "lines")));
    cJSON_AddNumberToObject(out, "count", pcfmcp__json_num(doc, "count", 0));
    TOOL_SAY(c, "{} line(s).", MA_INT(pcfmcp__json_num(doc, "count", 0)));
    return PCFMCP_OK;
}

/* ------------------------------------------------------------ team membership */

static cJSON *team_args(tcall *c)
{
    cJSON *a = cJSON_CreateObject();
    pcfmcp__th_copy(c, a, "team_id");
    return a;
}

pcfmcp_error_t pcfmcp__th_add_team_member(tcall *c)
{
    cJSON *a = team_args(c);
    pcfmcp__th_copy(c, a, "email");
    cJSON_AddBoolToObject(a, "is_admin", pcfmcp__json_bool(c->args, "admin", false));
    if (!pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_TEAM_USER_ADD, a, NULL))
        return PCFMCP_ERR_PCF;
    cJSON *out = pcfmcp__tools_out(c);
    cJSON_AddBoolToObject(out, "ok", true);
    cJSON_AddStringToObject(out, "team_id", pcfmcp__tools_arg_str(c, "team_id"));
    cJSON_AddStringToObject(out, "email", pcfmcp__tools_arg_str(c, "email"));
    TOOL_SAY(c, "Added {} to team {}{}.", MA_Q(pcfmcp__tools_arg_str(c, "email")),
             MA_ID(pcfmcp__tools_arg_str(c, "team_id")),
             MA_IF(pcfmcp__json_bool(c->args, "admin", false), " as an admin", ""));
    return PCFMCP_OK;
}

pcfmcp_error_t pcfmcp__th_set_team_admin(tcall *c)
{
    bool admin = pcfmcp__json_bool(c->args, "admin", true);
    cJSON *a = team_args(c);
    pcfmcp__th_copy(c, a, "user_id");
    if (!pcfmcp__tools_pcf(c, admin ? PCFMCP__PCF_OP_TEAM_USER_SET_ADMIN
                                    : PCFMCP__PCF_OP_TEAM_USER_DEVOTE, a, NULL))
        return PCFMCP_ERR_PCF;
    cJSON *out = pcfmcp__tools_out(c);
    cJSON_AddBoolToObject(out, "ok", true);
    cJSON_AddStringToObject(out, "user_id", pcfmcp__tools_arg_str(c, "user_id"));
    cJSON_AddBoolToObject(out, "admin", admin);
    TOOL_SAY(c, "User {} is {} an admin of team {}.", MA_ID(pcfmcp__tools_arg_str(c, "user_id")),
             MA_IF(admin, "now", "no longer"), MA_ID(pcfmcp__tools_arg_str(c, "team_id")));
    return PCFMCP_OK;
}

pcfmcp_error_t pcfmcp__th_remove_team_member(tcall *c)
{
    cJSON *a = team_args(c);
    pcfmcp__th_copy(c, a, "user_id");
    pcfmcp__mtext msg;
    pcfmcp__mt_init(&msg);
    pcfmcp_error_t rc;
    const cJSON *doc = pcfmcp__tools_pcf_soft(c, PCFMCP__PCF_OP_TEAM_USER_DELETE, a, &rc, &msg);
    bool api = doc != NULL;
    if (!doc) {
        /* PCF 6c83154 answers 500 to every valid API removal: the web UI's
         * kick action does the same job. */
        const char *reason = NULL;
        bool ui = pcfmcp_pcf_capability(c->pcf, "snapshot", &reason) == PCFMCP_OK;
        if (rc != PCFMCP_ERR_HTTP) {
            TOOL_ERR(c, "{}", MA_MT(&msg));
            pcfmcp__mt_free(&msg);
            return rc;
        }
        if (!ui) {
            TOOL_ERR(c, "{}. PCF 6c83154 fails every team member removal through API v1 (HTTP "
                        "500, a defect of that PCF version); its web UI can do it, but this "
                        "server has no web session (pcf.email and pcf.password). Remove the "
                        "member on the team page of PCF.",
                     MA_MT(&msg));
            pcfmcp__mt_free(&msg);
            return rc;
        }
        cJSON *k = team_args(c);
        pcfmcp__th_copy(c, k, "user_id");
        if (!pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_TEAM_USER_KICK, k, NULL)) {
            pcfmcp__mt_free(&msg);
            return PCFMCP_ERR_PCF;
        }
    }
    pcfmcp__mt_free(&msg);
    const char *via = api ? "API v1" : "the team page (API v1 fails with HTTP 500 in this PCF "
                                       "version)";
    cJSON *out = pcfmcp__tools_out(c);
    cJSON_AddBoolToObject(out, "ok", true);
    cJSON_AddStringToObject(out, "removed", pcfmcp__tools_arg_str(c, "user_id"));
    cJSON_AddStringToObject(out, "via", via);
    TOOL_SAY(c, "Removed user {} from team {} via {}.", MA_ID(pcfmcp__tools_arg_str(c, "user_id")),
             MA_ID(pcfmcp__tools_arg_str(c, "team_id")),
             MA_IF(api, "API v1", "the team page (API v1 fails with HTTP 500 in this PCF version)"));
    return PCFMCP_OK;
}

/* ------------------------------------------------------------ tokens */

static void token_entry(cJSON *o, const cJSON *doc)
{
    cJSON_AddStringToObject(o, "id_prefix", pcfmcp__json_str(doc, "id_prefix") ? pcfmcp__json_str(doc, "id_prefix") : "");
    cJSON_AddStringToObject(o, "source", pcfmcp__json_str(doc, "source") ? pcfmcp__json_str(doc, "source") : "");
    cJSON_AddBoolToObject(o, "renewable", pcfmcp__json_bool(doc, "renewable", false));
    double created = pcfmcp__json_num(doc, "created", 0), dur = pcfmcp__json_num(doc, "duration", 0);
    cJSON_AddNumberToObject(o, "created", created);
    cJSON_AddNumberToObject(o, "seconds_left", created + dur - (double)time(NULL));
}

pcfmcp_error_t pcfmcp__th_list_tokens(tcall *c)
{
    const cJSON *doc = pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_TOKEN_INFO, cJSON_CreateObject(), NULL);
    if (!doc)
        return PCFMCP_ERR_PCF;
    cJSON *out = pcfmcp__tools_out(c);
    cJSON *arr = cJSON_AddArrayToObject(out, "tokens");
    cJSON *o = cJSON_CreateObject();
    token_entry(o, doc);
    cJSON_AddItemToArray(arr, o);
    cJSON_AddStringToObject(out, "notice",
                            "PCF offers no way to list an account's API tokens; this is the "
                            "one this server uses.");
    TOOL_SAY(c, "This server's token {}... ({}).", MA_ID(pcfmcp__json_str(doc, "id_prefix")),
             MA_Q(pcfmcp__json_str(doc, "source")));
    return PCFMCP_OK;
}

pcfmcp_error_t pcfmcp__th_disable_token(tcall *c)
{
    const cJSON *info = pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_TOKEN_INFO, cJSON_CreateObject(), NULL);
    if (!info)
        return PCFMCP_ERR_PCF;
    const char *want = pcfmcp__tools_arg_str(c, "token_prefix");
    const char *have = pcfmcp__json_str(info, "id_prefix");
    if (!have || !want || !pcfmcp__strcaseeq(have, want)) {
        TOOL_ERR(c, "token_prefix {} is not this server's token ({}...); list_tokens shows it. "
                    "PCF can only disable the token a request carries.",
                 MA_Q(want ? want : ""), MA_ID(have ? have : "?"));
        return PCFMCP_ERR_INVALID_ARG;
    }
    bool renewable = pcfmcp__json_bool(info, "renewable", false);
    if (!pcfmcp__tools_pcf(c, PCFMCP__PCF_OP_TOKEN_DISABLE, cJSON_CreateObject(), NULL))
        return PCFMCP_ERR_PCF;
    cJSON *out = pcfmcp__tools_out(c);
    cJSON_AddBoolToObject(out, "ok", true);
    cJSON_AddStringToObject(out, "disabled", have);
    cJSON_AddBoolToObject(out, "renewable", renewable);
    if (renewable)
        TOOL_SAY(c, "Disabled token {}...; the next call creates a new one from pcf.email.",
                 MA_ID(have));
    else
        TOOL_SAY(c, "Disabled token {}...; this server has no other credential: it cannot reach "
                    "PCF until the operator configures a new pcf.token.",
                 MA_ID(have));
    return PCFMCP_OK;
}

/* ------------------------------------------------------------ create_issue dedupe */

pcfmcp_error_t pcfmcp__tw_merge_into(tcall *c, const char *dup)
{
    char iid[40];
    snprintf(iid, sizeof(iid), "%s", dup);
    cJSON *out = pcfmcp__tools_out(c);
    cJSON *steps = cJSON_CreateArray();
    pcfmcp__mtext what, msg;
    pcfmcp__mt_init(&what);
    pcfmcp__mt_init(&msg);
    MT_FMT(&what, "found issue {} already recorded; not creating another",
           MA_Q(pcfmcp__tools_arg_str(c, "name")));
    pcfmcp__th_step(c, steps, &what, true, iid, NULL);
    int failed = 0;
    const cJSON *list = cJSON_GetObjectItemCaseSensitive(c->args, "services");
    if (list && cJSON_GetArraySize(list) > 0) {
        bool ok = false;
        cJSON *add = pcfmcp__th_build_services(c, list);
        const cJSON *info = add ? pcfmcp__tools_pcf_soft(c, PCFMCP__PCF_OP_ISSUE_INFO,
                                                         pcfmcp__th_args_id(c, "issue_id", iid),
                                                         NULL, &msg)
                                : NULL;
        if (!add)
            MT_FMT(&msg, "{}", MA_MT(&c->err));
        if (info) {
            /* Union of the recorded services and the new ones. */
            cJSON *svc = cJSON_Duplicate(cJSON_GetObjectItemCaseSensitive(info, "services"), true);
            if (!cJSON_IsObject(svc)) {
                cJSON_Delete(svc);
                svc = cJSON_CreateObject();
            }
            const cJSON *p;
            cJSON_ArrayForEach(p, add) {
                cJSON *have = cJSON_GetObjectItemCaseSensitive(svc, p->string);
                if (!have)
                    have = cJSON_AddArrayToObject(svc, p->string);
                const cJSON *h;
                cJSON_ArrayForEach(h, p) {
                    bool dupl = false;
                    const cJSON *x;
                    cJSON_ArrayForEach(x, have)
                        dupl |= cJSON_IsString(x) && strcmp(x->valuestring, h->valuestring) == 0;
                    if (!dupl)
                        cJSON_AddItemToArray(have, cJSON_CreateString(h->valuestring));
                }
            }
            cJSON *u = pcfmcp__th_args_id(c, "issue_id", iid);
            cJSON_AddItemToObject(u, "services", svc);
            ok = pcfmcp__tools_pcf_soft(c, PCFMCP__PCF_OP_ISSUE_UPDATE, u, NULL, &msg) != NULL;
        }
        cJSON_Delete(add);
        failed += !ok;
        pcfmcp__mt_reset(&what);
        MT_LIT(&what, "add the new services to it");
        pcfmcp__th_step(c, steps, &what, ok, NULL, ok ? NULL : &msg);
    }
    pcfmcp__mt_free(&what);
    pcfmcp__mt_free(&msg);
    const cJSON *poc = cJSON_GetObjectItemCaseSensitive(c->args, "poc");
    if (poc)
        failed += !pcfmcp__th_attach_poc(c, steps, out, iid, poc);
    cJSON_AddStringToObject(out, "issue_id", iid);
    cJSON_AddBoolToObject(out, "duplicate", true);
    cJSON_AddItemToObject(out, "steps", steps);
    cJSON_AddBoolToObject(out, "ok", failed == 0);
    if (failed) {
        TOOL_ERR(c, "create_issue found the finding already recorded (issue_id {}) but could not "
                    "add everything to it. Steps:",
                 MA_ID(iid));
        return PCFMCP_ERR_PCF;
    }
    return PCFMCP_OK;
}
