/* Toolsets: the named groups of tools an operator chooses with
 * tools.toolsets (modelled on github-mcp-server's toolsets), which of them
 * are on by default, and dynamic mode, in which the model lists the
 * toolsets and switches more on while the server runs.
 *
 * The default set is the daily loop of a test (projects, hosts, ports,
 * findings, PoCs, notes, reports) and stays within the context budget that
 * scripts/context-cost.py measures and tests/tools/context-budget.sh
 * enforces; everything else is one setting (or one enable_toolset call)
 * away. */
#include "core/internal.h"

#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "core/buf.h"
#include "core/json.h"
#include "tools/handlers.h"
#include "tools/t_workspace.h"
#include "tools/toolset.h"

const toolset_info pcfmcp__toolsets[] = {
    { "context", TS_CONTEXT, true, "Who this server is in PCF and whether PCF answers (always on)." },
    { "projects", TS_PROJECTS, true, "Find, read, create and update projects (engagements)." },
    { "hosts", TS_HOSTS, true, "Hosts and their hostnames." },
    { "ports", TS_PORTS, true, "Ports and services of hosts." },
    { "issues", TS_ISSUES, true, "Findings: list, search, read, create, update, delete; issue rules." },
    { "pocs", TS_POCS, true, "Proofs of concept attached to findings." },
    { "notes", TS_NOTES, true, "Project notes." },
    { "reports", TS_REPORTS, true, "Reports and the full project export." },
    { "networks", TS_NETWORKS, false, "Network ranges and who can reach them." },
    { "network_paths", TS_NETWORK_PATHS, false,
      "Paths between hosts and networks (pivots, tunnels, attack paths)." },
    { "services", TS_SERVICES, false,
      "One service across many hosts: list, add to several hosts, rename everywhere." },
    { "credentials", TS_CREDENTIALS, false,
      "Credentials found during the test (logins, hashes, cleartext passwords)." },
    { "lists", TS_LISTS, false,
      "Bulk lists: hosts from a list, credentials from delimited text, credential word lists." },
    { "scans", TS_SCANS, false,
      "Scan imports through PCF's own importers: nmap, Nessus, Nikto, Burp and 16 more formats." },
    { "issue_templates", TS_ISSUE_TEMPLATES, false,
      "The team's issue templates, and findings created from them." },
    { "issue_triage", TS_ISSUE_TRIAGE, false,
      "Several findings at once: bulk CVSS/status, merge duplicates, bulk delete; main PoC; "
      "public share link." },
    { "tasks", TS_TASKS, false, "The project's task board." },
    { "files", TS_FILES, false, "Project files (evidence): list, upload, download, delete." },
    { "chats", TS_CHATS, false, "Project chats: read and post." },
    { "teams", TS_TEAMS, false, "Teams and users (read)." },
    { "team_admin", TS_TEAM_ADMIN, false, "Team membership: add, make admin, remove." },
    { "tokens", TS_TOKENS, false, "This server's PCF API token: show, disable." },
};

const size_t pcfmcp__ntoolsets = PCFMCP_ARRAY_LEN(pcfmcp__toolsets);

static unsigned default_bits(void)
{
    unsigned b = 0;
    for (size_t i = 0; i < pcfmcp__ntoolsets; i++)
        if (pcfmcp__toolsets[i].on_by_default)
            b |= pcfmcp__toolsets[i].bit;
    return b;
}

static const toolset_info *find(const char *name)
{
    for (size_t i = 0; i < pcfmcp__ntoolsets; i++)
        if (strcmp(pcfmcp__toolsets[i].name, name) == 0)
            return &pcfmcp__toolsets[i];
    return NULL;
}

bool pcfmcp__toolsets_parse(const char *const *names, size_t n, unsigned *bits, char *why,
                            size_t why_size)
{
    unsigned b = n ? 0 : default_bits();
    for (size_t i = 0; i < n; i++) {
        if (strcmp(names[i], "all") == 0) {
            b = TS_ALL;
            continue;
        }
        if (strcmp(names[i], "default") == 0) {
            b |= default_bits();
            continue;
        }
        const toolset_info *t = find(names[i]);
        if (!t) {
            pcfmcp__buf l;
            pcfmcp__buf_init(&l);
            for (size_t k = 0; k < pcfmcp__ntoolsets; k++)
                pcfmcp__buf_printf(&l, ", %s", pcfmcp__toolsets[k].name);
            snprintf(why, why_size, "unknown toolset \"%s\" (valid: default, all%s)", names[i],
                     l.data ? l.data : "");
            pcfmcp__buf_free(&l);
            return false;
        }
        b |= t->bit;
    }
    *bits = b | TS_CONTEXT;
    return true;
}

const char *pcfmcp__toolsets_name(unsigned bit)
{
    for (size_t i = 0; i < pcfmcp__ntoolsets; i++)
        if (pcfmcp__toolsets[i].bit == bit)
            return pcfmcp__toolsets[i].name;
    return "?";
}

/* ------------------------------------------------------------ dynamic mode */

static bool set_on(const pcfmcp_toolset_t *ts, unsigned bit)
{
    return (bit & TS_CONTEXT) || (ts->groups & bit) ||
           (atomic_load(&((pcfmcp_toolset_t *)ts)->enabled_sets) & bit);
}

/* The tools of @p bit this server would offer once the toolset is on. */
static cJSON *tools_of(const pcfmcp_toolset_t *ts, unsigned bit)
{
    cJSON *arr = cJSON_CreateArray();
    for (size_t i = 0; arr && i < pcfmcp__tools_ndefs; i++) {
        const tool_def *d = &pcfmcp__tools_defs[i];
        /* The dynamic-mode switches themselves belong to no toolset a model enables. */
        if (d->group == bit && !(d->flags & F_DYNAMIC) &&
            pcfmcp__tools_enabled_ignoring_group(ts, d))
            cJSON_AddItemToArray(arr, cJSON_CreateString(d->name));
    }
    return arr;
}

pcfmcp_error_t pcfmcp__th_list_toolsets(tcall *c)
{
    cJSON *out = pcfmcp__tools_out(c);
    cJSON *arr = cJSON_AddArrayToObject(out, "toolsets");
    int on = 0;
    for (size_t i = 0; i < pcfmcp__ntoolsets; i++) {
        const toolset_info *t = &pcfmcp__toolsets[i];
        cJSON *tools = tools_of(c->ts, t->bit);
        if (cJSON_GetArraySize(tools) == 0) {
            cJSON_Delete(tools);
            continue; /* nothing this server would offer from it */
        }
        cJSON *o = cJSON_CreateObject();
        bool enabled = set_on(c->ts, t->bit);
        on += enabled;
        cJSON_AddStringToObject(o, "name", t->name);
        cJSON_AddStringToObject(o, "description", t->desc);
        cJSON_AddBoolToObject(o, "enabled", enabled);
        cJSON_AddItemToObject(o, "tools", tools);
        cJSON_AddItemToArray(arr, o);
    }
    TOOL_SAY(c, "{} toolsets, {} enabled; enable_toolset switches one on.",
             MA_INT(cJSON_GetArraySize(arr)), MA_INT(on));
    return PCFMCP_OK;
}

pcfmcp_error_t pcfmcp__th_enable_toolset(tcall *c)
{
    pcfmcp_toolset_t *ts = c->ts;
    const char *name = pcfmcp__tools_arg_str(c, "toolset");
    const toolset_info *t = name ? find(name) : NULL;
    if (!t) {
        TOOL_ERR(c, "unknown toolset {}: list_toolsets shows them", MA_Q(name ? name : ""));
        return PCFMCP_ERR_INVALID_ARG;
    }
    cJSON *tools = tools_of(ts, t->bit);
    if (cJSON_GetArraySize(tools) == 0) {
        cJSON_Delete(tools);
        TOOL_ERR(c, "toolset {} has no tool this server may offer (its PCF credentials, "
                    "read-only mode, tools.allow/tools.deny or tools.enable_destructive keep "
                    "them all away)",
                 MA_ID(t->name));
        return PCFMCP_ERR_DENIED;
    }
    /* The call that flips the bit registers the tools; a concurrent one for
     * the same toolset finds it on and leaves them alone. */
    bool already = (ts->groups & t->bit) || (t->bit & TS_CONTEXT) ||
                   (atomic_fetch_or(&ts->enabled_sets, t->bit) & t->bit);
    if (!already) {
        pcfmcp_engine_batch_begin(ts->engine);
        for (size_t i = 0; i < pcfmcp__tools_ndefs; i++) {
            const tool_def *d = &pcfmcp__tools_defs[i];
            if (d->group != t->bit || !pcfmcp__tools_enabled_ignoring_group(ts, d))
                continue;
            char why[400];
            pcfmcp_error_t rc = pcfmcp__tools_register_def(ts, ts->engine, i, why, sizeof(why));
            if (rc != PCFMCP_OK && rc != PCFMCP_ERR_STATE) {
                pcfmcp_engine_batch_end(ts->engine);
                cJSON_Delete(tools);
                TOOL_ERR(c, "enabling toolset {} failed: {}", MA_ID(t->name), MA_STATIC(why));
                return rc;
            }
        }
        /* One notifications/tools/list_changed for the whole toolset. */
        pcfmcp_engine_batch_end(ts->engine);
    }
    cJSON *out = pcfmcp__tools_out(c);
    cJSON_AddStringToObject(out, "toolset", t->name);
    cJSON_AddBoolToObject(out, "already_enabled", already);
    cJSON_AddItemToObject(out, "tools", tools);
    TOOL_SAY(c, "{} toolset {}: {} tools. The tool list changed; clients that follow "
                "notifications/tools/list_changed show them now, others after listing tools "
                "again.",
             MA_IF(already, "Already enabled:", "Enabled"), MA_ID(t->name),
             MA_INT(cJSON_GetArraySize(tools)));
    return PCFMCP_OK;
}
