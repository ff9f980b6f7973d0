/* Report rendering from a project model (see model.c): Markdown, one
 * self-contained printable HTML page, JSON and CSV. Every value is
 * escaped for its format: findings quote text from the systems under test. */
#include "core/internal.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/alloc.h"
#include "core/json.h"
#include "core/util.h"
#include "tools/toolset.h"

static const char *const CRITS[] = { "critical", "high", "medium", "low", "info" };

static const char *s_of(const cJSON *o, const char *k)
{
    const char *v = pcfmcp__json_str(o, k);
    return v ? v : "";
}

/* The caller has checked @p counter: the cJSON_SetNumberValue macro would
 * test for NULL again. */
static void bump(cJSON *counter)
{
    cJSON_SetNumberHelper(counter, counter->valuedouble + 1);
}

/* Fills the summary tables. False when memory ran out: a report with wrong
 * counts must not go out. */
static bool counts(const cJSON *model, cJSON *by_crit, cJSON *by_host, cJSON *by_service)
{
    bool ok = true;
    for (size_t k = 0; k < 5; k++)
        ok &= pcfmcp__json_put_num(by_crit, CRITS[k], 0);
    const cJSON *i;
    cJSON_ArrayForEach(i, pcfmcp__json_arr(model, "issues")) {
        const char *crit = s_of(i, "criticality");
        cJSON *n = cJSON_GetObjectItemCaseSensitive(by_crit, crit);
        if (n)
            bump(n);
        /* Hosts and services named by this issue, each counted once. */
        cJSON *seen_h = cJSON_CreateObject(), *seen_s = cJSON_CreateObject();
        ok &= seen_h && seen_s;
        const cJSON *services = ok ? pcfmcp__json_arr(i, "services") : NULL;
        const cJSON *s;
        cJSON_ArrayForEach(s, services) {
            const char *ip = s_of(s, "ip"), *sv = s_of(s, "service");
            if (*ip && !cJSON_GetObjectItemCaseSensitive(seen_h, ip)) {
                ok &= pcfmcp__json_put_bool(seen_h, ip, true);
                cJSON *row = cJSON_GetObjectItemCaseSensitive(by_host, ip);
                if (!row) {
                    row = cJSON_CreateObject();
                    for (size_t k = 0; k < 5; k++)
                        ok &= pcfmcp__json_put_num(row, CRITS[k], 0);
                    if (!pcfmcp__json_put(by_host, ip, row)) {
                        ok = false;
                        row = NULL; /* freed by the failed put */
                    }
                }
                cJSON *c = cJSON_GetObjectItemCaseSensitive(row, crit);
                if (c)
                    bump(c);
            }
            if (*sv && !cJSON_GetObjectItemCaseSensitive(seen_s, sv)) {
                ok &= pcfmcp__json_put_bool(seen_s, sv, true);
                cJSON *c = cJSON_GetObjectItemCaseSensitive(by_service, sv);
                if (c)
                    bump(c);
                else
                    ok &= pcfmcp__json_put_num(by_service, sv, 1);
            }
        }
        cJSON_Delete(seen_h);
        cJSON_Delete(seen_s);
        if (!ok)
            return false;
    }
    return ok;
}

/* The text of scratch buffer @p t for @p b. A scratch buffer that ran out of
 * memory fails @p b too: no report goes out with a part silently missing. */
static const char *scratch_text(pcfmcp__buf *b, const pcfmcp__buf *t)
{
    if (!pcfmcp__buf_ok(t)) {
        b->failed = true;
        return "";
    }
    return t->data ? t->data : "";
}

static void target_text(pcfmcp__buf *b, const cJSON *s)
{
    int port = pcfmcp__json_int(s, "port", 0);
    if (port)
        pcfmcp__buf_printf(b, "%s:%d/%s (%s)", s_of(s, "ip"), port, s_of(s, "protocol"),
                           s_of(s, "service"));
    else
        pcfmcp__buf_printf(b, "%s (whole host)", s_of(s, "ip"));
    if (*s_of(s, "hostname"))
        pcfmcp__buf_printf(b, " %s", s_of(s, "hostname"));
}

static void title_of(char *out, size_t n, const cJSON *model, const char *title)
{
    const cJSON *p = pcfmcp__json_obj(model, "project");
    if (title && *title)
        snprintf(out, n, "%s", title);
    else if (*s_of(p, "report_title"))
        snprintf(out, n, "%s", s_of(p, "report_title"));
    else if (*s_of(p, "name"))
        snprintf(out, n, "%s", s_of(p, "name"));
    else
        snprintf(out, n, "Penetration test report");
}

static void now_text(char out[32])
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 32, "%Y-%m-%d %H:%M UTC", &tm);
}

/* ------------------------------------------------------------ Markdown */

/* Inline Markdown: PCF text through the one Markdown escaper (text.c): no
 * raw HTML, links, images, code spans, emphasis or table breaks. */
static void md_inline(pcfmcp__buf *b, const char *s)
{
    pcfmcp__tools_md_inline(b, s);
}

/* Block text: each line escaped as a line of its own (no heading, list,
 * quote, fence or indented code block), line breaks kept. */
static void md_block(pcfmcp__buf *b, const char *s)
{
    const char *p = s ? s : "";
    for (;;) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        char *line = pcfmcp__strndup(p, n);
        if (!line) {
            b->failed = true;
            return;
        }
        pcfmcp__tools_md_line(b, line);
        pcfmcp__free(line);
        if (!e)
            break;
        pcfmcp__buf_puts(b, "  \n");
        p = e + 1;
    }
    pcfmcp__buf_puts(b, "\n\n");
}

/* An id PCF gave (a UUID): as inline text, never inside a code span. */
static void md_id(pcfmcp__buf *b, const char *s)
{
    md_inline(b, s);
}

static void md_section(pcfmcp__buf *b, const char *label, const cJSON *i, const char *key)
{
    const char *v = s_of(i, key);
    if (!*v)
        return;
    pcfmcp__buf_printf(b, "**%s**\n\n", label);
    md_block(b, v);
}

void pcfmcp__tools_md_issue(pcfmcp__buf *b, const cJSON *i)
{
    pcfmcp__buf_puts(b, "- **Criticality:** ");
    md_inline(b, s_of(i, "criticality"));
    pcfmcp__buf_printf(b, " (CVSS %g)\n", pcfmcp__json_num(i, "cvss", 0));
    pcfmcp__buf_puts(b, "- **Status:** ");
    md_inline(b, s_of(i, "status"));
    pcfmcp__buf_putc(b, '\n');
    if (*s_of(i, "cve")) {
        pcfmcp__buf_puts(b, "- **CVE:** ");
        md_inline(b, s_of(i, "cve"));
        pcfmcp__buf_putc(b, '\n');
    }
    if (pcfmcp__json_num(i, "cwe", 0) > 0)
        pcfmcp__buf_printf(b, "- **CWE:** CWE-%d\n", pcfmcp__json_int(i, "cwe", 0));
    if (*s_of(i, "url_path")) {
        pcfmcp__buf_puts(b, "- **URL/path:** ");
        md_inline(b, s_of(i, "url_path"));
        pcfmcp__buf_putc(b, '\n');
    }
    const cJSON *svc = pcfmcp__json_arr(i, "services");
    if (cJSON_GetArraySize(svc) > 0) {
        pcfmcp__buf_puts(b, "- **Affected:** ");
        const cJSON *s;
        bool first = true;
        cJSON_ArrayForEach(s, svc) {
            pcfmcp__buf t;
            pcfmcp__buf_init(&t);
            target_text(&t, s);
            if (!first)
                pcfmcp__buf_puts(b, "; ");
            first = false;
            md_inline(b, scratch_text(b, &t));
            pcfmcp__buf_free(&t);
        }
        pcfmcp__buf_putc(b, '\n');
    }
    pcfmcp__buf_puts(b, "- **Issue id:** ");
    md_id(b, s_of(i, "id"));
    pcfmcp__buf_puts(b, "\n\n");
    md_section(b, "Description", i, "description");
    md_section(b, "Business risk", i, "risks");
    md_section(b, "Technical details", i, "technical");
    md_section(b, "Remediation", i, "fix");
    md_section(b, "References", i, "references");
    const cJSON *pocs = pcfmcp__json_arr(i, "pocs");
    if (cJSON_GetArraySize(pocs) > 0) {
        pcfmcp__buf_puts(b, "**Proof of concept**\n\n");
        const cJSON *p;
        cJSON_ArrayForEach(p, pocs) {
            pcfmcp__buf_puts(b, "- PoC ");
            md_id(b, s_of(p, "id"));
            if (*s_of(p, "filename")) {
                pcfmcp__buf_puts(b, " (");
                md_inline(b, s_of(p, "filename"));
                if (*s_of(p, "type")) {
                    pcfmcp__buf_puts(b, ", ");
                    md_inline(b, s_of(p, "type"));
                }
                pcfmcp__buf_putc(b, ')');
            }
            if (pcfmcp__json_num(p, "priority", 0) > 0)
                pcfmcp__buf_puts(b, " main");
            if (*s_of(p, "description")) {
                pcfmcp__buf_puts(b, ": ");
                md_inline(b, s_of(p, "description"));
            }
            pcfmcp__buf_putc(b, '\n');
        }
        pcfmcp__buf_putc(b, '\n');
    }
}

void pcfmcp__tools_md_host(pcfmcp__buf *b, const cJSON *h, const cJSON *issues)
{
    pcfmcp__buf_puts(b, "## Host ");
    md_inline(b, s_of(h, "ip"));
    pcfmcp__buf_puts(b, "\n\n- **Id:** ");
    md_id(b, s_of(h, "id"));
    pcfmcp__buf_putc(b, '\n');
    pcfmcp__buf_puts(b, "- **OS:** ");
    md_inline(b, *s_of(h, "os") ? s_of(h, "os") : "unknown");
    pcfmcp__buf_puts(b, "\n- **Hostnames:** ");
    const cJSON *x;
    bool first = true;
    cJSON_ArrayForEach(x, pcfmcp__json_arr(h, "hostnames")) {
        if (!first)
            pcfmcp__buf_puts(b, ", ");
        first = false;
        md_inline(b, s_of(x, "hostname"));
    }
    if (first)
        pcfmcp__buf_puts(b, "none");
    pcfmcp__buf_puts(b, "\n- **Threat tags:** ");
    first = true;
    cJSON_ArrayForEach(x, pcfmcp__json_arr(h, "threats")) {
        if (!first)
            pcfmcp__buf_puts(b, ", ");
        first = false;
        md_inline(b, cJSON_IsString(x) ? x->valuestring : "");
    }
    if (first)
        pcfmcp__buf_puts(b, "none");
    pcfmcp__buf_puts(b, "\n\n");
    if (*s_of(h, "description"))
        md_block(b, s_of(h, "description"));
    pcfmcp__buf_puts(b, "### Ports\n\n| Port | Service | Description |\n|---|---|---|\n");
    cJSON_ArrayForEach(x, pcfmcp__json_arr(h, "ports")) {
        pcfmcp__buf_printf(b, "| %d/", pcfmcp__json_int(x, "port", 0));
        md_inline(b, s_of(x, "protocol"));
        pcfmcp__buf_puts(b, " | ");
        md_inline(b, s_of(x, "service"));
        pcfmcp__buf_puts(b, " | ");
        md_inline(b, s_of(x, "description"));
        pcfmcp__buf_puts(b, " |\n");
    }
    if (issues) {
        pcfmcp__buf_puts(b, "\n### Issues\n\n| Criticality | CVSS | Name | Status |\n|---|---|---|---|\n");
        cJSON_ArrayForEach(x, issues) {
            pcfmcp__buf_puts(b, "| ");
            md_inline(b, s_of(x, "criticality"));
            pcfmcp__buf_printf(b, " | %g | ", pcfmcp__json_num(x, "cvss", 0));
            md_inline(b, s_of(x, "name"));
            pcfmcp__buf_puts(b, " | ");
            md_inline(b, s_of(x, "status"));
            pcfmcp__buf_puts(b, " |\n");
        }
    }
    pcfmcp__buf_putc(b, '\n');
}

static void render_md(pcfmcp__buf *b, const cJSON *model, const char *title, cJSON *by_crit,
                      cJSON *by_host, cJSON *by_service)
{
    const cJSON *p = pcfmcp__json_obj(model, "project");
    char when[32];
    now_text(when);
    pcfmcp__buf_puts(b, "# ");
    md_inline(b, title);
    pcfmcp__buf_puts(b, "\n\n");
    if (p) {
        pcfmcp__buf_puts(b, "- **Project:** ");
        md_inline(b, s_of(p, "name"));
        pcfmcp__buf_puts(b, "\n- **Period:** ");
        md_inline(b, s_of(p, "start_iso"));
        pcfmcp__buf_puts(b, " to ");
        md_inline(b, s_of(p, "end_iso"));
        pcfmcp__buf_putc(b, '\n');
        if (*s_of(p, "scope")) {
            pcfmcp__buf_puts(b, "- **Scope:** ");
            md_inline(b, s_of(p, "scope"));
            pcfmcp__buf_putc(b, '\n');
        }
    }
    pcfmcp__buf_printf(b, "- **Generated:** %s from live PCF data\n\n", when);
    pcfmcp__buf_puts(b, "## Summary\n\n| Criticality | Issues |\n|---|---|\n");
    for (size_t k = 0; k < 5; k++)
        pcfmcp__buf_printf(b, "| %s | %d |\n", CRITS[k], pcfmcp__json_int(by_crit, CRITS[k], 0));
    pcfmcp__buf_puts(b, "\n### Issues by host\n\n| Host | Critical | High | Medium | Low | Info |\n"
                        "|---|---|---|---|---|---|\n");
    const cJSON *r;
    cJSON_ArrayForEach(r, by_host) {
        pcfmcp__buf_puts(b, "| ");
        md_inline(b, r->string);
        for (size_t k = 0; k < 5; k++)
            pcfmcp__buf_printf(b, " | %d", pcfmcp__json_int(r, CRITS[k], 0));
        pcfmcp__buf_puts(b, " |\n");
    }
    pcfmcp__buf_puts(b, "\n### Issues by service\n\n| Service | Issues |\n|---|---|\n");
    cJSON_ArrayForEach(r, by_service) {
        pcfmcp__buf_puts(b, "| ");
        md_inline(b, r->string);
        pcfmcp__buf_printf(b, " | %d |\n", (int)r->valuedouble);
    }
    pcfmcp__buf_puts(b, "\n## Findings\n\n");
    int n = 0;
    const cJSON *i;
    cJSON_ArrayForEach(i, pcfmcp__json_arr(model, "issues")) {
        pcfmcp__buf_printf(b, "### %d. ", ++n);
        md_inline(b, s_of(i, "criticality"));
        pcfmcp__buf_puts(b, ": ");
        md_inline(b, s_of(i, "name"));
        pcfmcp__buf_puts(b, "\n\n");
        pcfmcp__tools_md_issue(b, i);
    }
    if (!n)
        pcfmcp__buf_puts(b, "No findings in this scope.\n\n");
    pcfmcp__buf_puts(b, "## Hosts\n\n| IP | Hostnames | OS | Open ports |\n|---|---|---|---|\n");
    const cJSON *h;
    cJSON_ArrayForEach(h, pcfmcp__json_arr(model, "hosts")) {
        pcfmcp__buf_puts(b, "| ");
        md_inline(b, s_of(h, "ip"));
        pcfmcp__buf_puts(b, " | ");
        const cJSON *x;
        bool first = true;
        cJSON_ArrayForEach(x, pcfmcp__json_arr(h, "hostnames")) {
            if (!first)
                pcfmcp__buf_puts(b, ", ");
            first = false;
            md_inline(b, s_of(x, "hostname"));
        }
        pcfmcp__buf_puts(b, " | ");
        md_inline(b, s_of(h, "os"));
        pcfmcp__buf_puts(b, " | ");
        first = true;
        cJSON_ArrayForEach(x, pcfmcp__json_arr(h, "ports")) {
            pcfmcp__buf_printf(b, "%s%d/", first ? "" : ", ", pcfmcp__json_int(x, "port", 0));
            md_inline(b, s_of(x, "protocol"));
            pcfmcp__buf_putc(b, ' ');
            md_inline(b, s_of(x, "service"));
            first = false;
        }
        pcfmcp__buf_puts(b, " |\n");
    }
}

/* ------------------------------------------------------------ HTML */

static void html(pcfmcp__buf *b, const char *s)
{
    for (; s && *s; s++) {
        switch (*s) {
        case '<': pcfmcp__buf_puts(b, "&lt;"); break;
        case '>': pcfmcp__buf_puts(b, "&gt;"); break;
        case '&': pcfmcp__buf_puts(b, "&amp;"); break;
        case '"': pcfmcp__buf_puts(b, "&quot;"); break;
        case '\'': pcfmcp__buf_puts(b, "&#39;"); break;
        default: pcfmcp__buf_putc(b, *s);
        }
    }
}

static void html_para(pcfmcp__buf *b, const char *label, const cJSON *i, const char *key)
{
    const char *v = s_of(i, key);
    if (!*v)
        return;
    pcfmcp__buf_printf(b, "<h4>%s</h4><div class=\"text\">", label);
    html(b, v);
    pcfmcp__buf_puts(b, "</div>\n");
}

static const char css[] =
    "body{font-family:system-ui,-apple-system,'Segoe UI',Roboto,sans-serif;color:#1d2330;"
    "max-width:60rem;margin:2rem auto;padding:0 1rem;line-height:1.45}"
    "h1{border-bottom:3px solid #1d2330;padding-bottom:.3rem}h2{margin-top:2.2rem;"
    "border-bottom:1px solid #c8ccd4}h3{margin-top:1.6rem}"
    "table{border-collapse:collapse;width:100%;margin:.6rem 0}"
    "th,td{border:1px solid #c8ccd4;padding:.3rem .5rem;text-align:left;vertical-align:top}"
    "th{background:#eef0f4}.meta td:first-child{width:10rem;font-weight:600}"
    ".sev{display:inline-block;padding:.05rem .5rem;border-radius:.3rem;color:#fff;"
    "font-weight:600;font-size:.85rem;text-transform:uppercase}"
    ".critical{background:#7b1fa2}.high{background:#c62828}.medium{background:#ef6c00}"
    ".low{background:#2e7d32}.info{background:#1565c0}"
    ".finding{border:1px solid #c8ccd4;border-radius:.4rem;padding:.2rem 1rem 1rem;"
    "margin:1rem 0;page-break-inside:avoid}.text{white-space:pre-wrap;word-wrap:break-word}"
    "code{font-size:.85em;background:#eef0f4;padding:0 .2rem}"
    "@media print{body{margin:0;max-width:none}.finding{break-inside:avoid}"
    "h2{break-before:page}h2.first{break-before:auto}a{color:inherit}}";

static void render_html(pcfmcp__buf *b, const cJSON *model, const char *title, cJSON *by_crit,
                        cJSON *by_host, cJSON *by_service)
{
    const cJSON *p = pcfmcp__json_obj(model, "project");
    char when[32];
    now_text(when);
    pcfmcp__buf_puts(b, "<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
                        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src "
                        "'none'; style-src 'unsafe-inline'\"><title>");
    html(b, title);
    pcfmcp__buf_printf(b, "</title><style>%s</style></head><body>\n<h1>", css);
    html(b, title);
    pcfmcp__buf_puts(b, "</h1>\n<table class=\"meta\">");
    if (p) {
        pcfmcp__buf_puts(b, "<tr><td>Project</td><td>");
        html(b, s_of(p, "name"));
        pcfmcp__buf_printf(b, "</td></tr><tr><td>Period</td><td>%s to %s</td></tr>",
                           s_of(p, "start_iso"), s_of(p, "end_iso"));
        if (*s_of(p, "scope")) {
            pcfmcp__buf_puts(b, "<tr><td>Scope</td><td>");
            html(b, s_of(p, "scope"));
            pcfmcp__buf_puts(b, "</td></tr>");
        }
    }
    pcfmcp__buf_printf(b, "<tr><td>Generated</td><td>%s from live PCF data</td></tr></table>\n",
                       when);
    pcfmcp__buf_puts(b, "<h2 class=\"first\">Summary</h2>\n<table><tr><th>Criticality</th>"
                        "<th>Issues</th></tr>");
    for (size_t k = 0; k < 5; k++)
        pcfmcp__buf_printf(b, "<tr><td><span class=\"sev %s\">%s</span></td><td>%d</td></tr>",
                           CRITS[k], CRITS[k], pcfmcp__json_int(by_crit, CRITS[k], 0));
    pcfmcp__buf_puts(b, "</table>\n<h3>Issues by host</h3><table><tr><th>Host</th><th>Critical"
                        "</th><th>High</th><th>Medium</th><th>Low</th><th>Info</th></tr>");
    const cJSON *r;
    cJSON_ArrayForEach(r, by_host) {
        pcfmcp__buf_puts(b, "<tr><td>");
        html(b, r->string);
        pcfmcp__buf_puts(b, "</td>");
        for (size_t k = 0; k < 5; k++)
            pcfmcp__buf_printf(b, "<td>%d</td>", pcfmcp__json_int(r, CRITS[k], 0));
        pcfmcp__buf_puts(b, "</tr>");
    }
    pcfmcp__buf_puts(b, "</table>\n<h3>Issues by service</h3><table><tr><th>Service</th><th>"
                        "Issues</th></tr>");
    cJSON_ArrayForEach(r, by_service) {
        pcfmcp__buf_puts(b, "<tr><td>");
        html(b, r->string);
        pcfmcp__buf_printf(b, "</td><td>%d</td></tr>", (int)r->valuedouble);
    }
    pcfmcp__buf_puts(b, "</table>\n<h2>Findings</h2>\n");
    int n = 0;
    const cJSON *i;
    cJSON_ArrayForEach(i, pcfmcp__json_arr(model, "issues")) {
        const char *crit = s_of(i, "criticality");
        pcfmcp__buf_printf(b, "<div class=\"finding\"><h3>%d. <span class=\"sev %s\">%s</span> ",
                           ++n, crit, crit);
        html(b, s_of(i, "name"));
        pcfmcp__buf_printf(b, "</h3><table class=\"meta\"><tr><td>CVSS</td><td>%.1f</td></tr>"
                              "<tr><td>Status</td><td>",
                           pcfmcp__json_num(i, "cvss", 0));
        html(b, s_of(i, "status"));
        pcfmcp__buf_puts(b, "</td></tr>");
        if (*s_of(i, "cve")) {
            pcfmcp__buf_puts(b, "<tr><td>CVE</td><td>");
            html(b, s_of(i, "cve"));
            pcfmcp__buf_puts(b, "</td></tr>");
        }
        if (pcfmcp__json_num(i, "cwe", 0) > 0)
            pcfmcp__buf_printf(b, "<tr><td>CWE</td><td>CWE-%d</td></tr>",
                               pcfmcp__json_int(i, "cwe", 0));
        if (*s_of(i, "url_path")) {
            pcfmcp__buf_puts(b, "<tr><td>URL/path</td><td>");
            html(b, s_of(i, "url_path"));
            pcfmcp__buf_puts(b, "</td></tr>");
        }
        pcfmcp__buf_puts(b, "<tr><td>Affected</td><td>");
        const cJSON *s;
        bool first = true;
        cJSON_ArrayForEach(s, pcfmcp__json_arr(i, "services")) {
            pcfmcp__buf t;
            pcfmcp__buf_init(&t);
            target_text(&t, s);
            if (!first)
                pcfmcp__buf_puts(b, "<br>");
            first = false;
            html(b, scratch_text(b, &t));
            pcfmcp__buf_free(&t);
        }
        pcfmcp__buf_puts(b, "</td></tr><tr><td>Issue id</td><td><code>");
        html(b, s_of(i, "id"));
        pcfmcp__buf_puts(b, "</code></td></tr></table>\n");
        html_para(b, "Description", i, "description");
        html_para(b, "Business risk", i, "risks");
        html_para(b, "Technical details", i, "technical");
        html_para(b, "Remediation", i, "fix");
        html_para(b, "References", i, "references");
        const cJSON *pocs = pcfmcp__json_arr(i, "pocs");
        if (cJSON_GetArraySize(pocs) > 0) {
            pcfmcp__buf_puts(b, "<h4>Proof of concept</h4><ul>");
            const cJSON *pc;
            cJSON_ArrayForEach(pc, pocs) {
                pcfmcp__buf_puts(b, "<li><code>");
                html(b, s_of(pc, "id"));
                pcfmcp__buf_puts(b, "</code> ");
                html(b, s_of(pc, "filename"));
                if (*s_of(pc, "description")) {
                    pcfmcp__buf_puts(b, ": ");
                    html(b, s_of(pc, "description"));
                }
                pcfmcp__buf_puts(b, "</li>");
            }
            pcfmcp__buf_puts(b, "</ul>");
        }
        pcfmcp__buf_puts(b, "</div>\n");
    }
    if (!n)
        pcfmcp__buf_puts(b, "<p>No findings in this scope.</p>\n");
    pcfmcp__buf_puts(b, "<h2>Hosts</h2><table><tr><th>IP</th><th>Hostnames</th><th>OS</th><th>"
                        "Open ports</th></tr>");
    const cJSON *h;
    cJSON_ArrayForEach(h, pcfmcp__json_arr(model, "hosts")) {
        pcfmcp__buf_puts(b, "<tr><td>");
        html(b, s_of(h, "ip"));
        pcfmcp__buf_puts(b, "</td><td>");
        const cJSON *x;
        bool first = true;
        cJSON_ArrayForEach(x, pcfmcp__json_arr(h, "hostnames")) {
            if (!first)
                pcfmcp__buf_puts(b, "<br>");
            first = false;
            html(b, s_of(x, "hostname"));
        }
        pcfmcp__buf_puts(b, "</td><td>");
        html(b, s_of(h, "os"));
        pcfmcp__buf_puts(b, "</td><td>");
        first = true;
        cJSON_ArrayForEach(x, pcfmcp__json_arr(h, "ports")) {
            pcfmcp__buf_printf(b, "%s%d/%s ", first ? "" : "<br>", pcfmcp__json_int(x, "port", 0),
                               s_of(x, "protocol"));
            html(b, s_of(x, "service"));
            first = false;
        }
        pcfmcp__buf_puts(b, "</td></tr>");
    }
    pcfmcp__buf_puts(b, "</table>\n</body></html>\n");
}

/* ------------------------------------------------------------ CSV */

/* RFC 4180 quoting, and a leading quote for cells a spreadsheet would run
 * as a formula (CSV injection). */
static void csv_cell(pcfmcp__buf *b, const char *s)
{
    pcfmcp__buf_putc(b, '"');
    if (s && (*s == '=' || *s == '+' || *s == '-' || *s == '@' || *s == '\t' || *s == '\r'))
        pcfmcp__buf_putc(b, '\'');
    for (; s && *s; s++) {
        if (*s == '"')
            pcfmcp__buf_putc(b, '"');
        pcfmcp__buf_putc(b, *s);
    }
    pcfmcp__buf_putc(b, '"');
}

static void render_csv(pcfmcp__buf *b, const cJSON *model)
{
    pcfmcp__buf_puts(b, "issue_id,name,criticality,cvss,status,cve,cwe,host_ip,port,protocol,"
                        "service,hostname,url_path,fix,poc_ids\r\n");
    const cJSON *i;
    cJSON_ArrayForEach(i, pcfmcp__json_arr(model, "issues")) {
        pcfmcp__buf pocs;
        pcfmcp__buf_init(&pocs);
        const cJSON *p;
        cJSON_ArrayForEach(p, pcfmcp__json_arr(i, "pocs"))
            pcfmcp__buf_printf(&pocs, "%s%s", pocs.len ? " " : "", s_of(p, "id"));
        const cJSON *svc = pcfmcp__json_arr(i, "services");
        const cJSON *s = svc ? svc->child : NULL;
        do {
            char num[32];
            csv_cell(b, s_of(i, "id"));
            pcfmcp__buf_putc(b, ',');
            csv_cell(b, s_of(i, "name"));
            pcfmcp__buf_putc(b, ',');
            csv_cell(b, s_of(i, "criticality"));
            snprintf(num, sizeof(num), "%.1f", pcfmcp__json_num(i, "cvss", 0));
            pcfmcp__buf_printf(b, ",%s,", num);
            csv_cell(b, s_of(i, "status"));
            pcfmcp__buf_putc(b, ',');
            csv_cell(b, s_of(i, "cve"));
            pcfmcp__buf_printf(b, ",%d,", pcfmcp__json_int(i, "cwe", 0));
            csv_cell(b, s ? s_of(s, "ip") : "");
            pcfmcp__buf_printf(b, ",%d,", s ? pcfmcp__json_int(s, "port", 0) : 0);
            csv_cell(b, s ? s_of(s, "protocol") : "");
            pcfmcp__buf_putc(b, ',');
            csv_cell(b, s ? s_of(s, "service") : "");
            pcfmcp__buf_putc(b, ',');
            csv_cell(b, s ? s_of(s, "hostname") : "");
            pcfmcp__buf_putc(b, ',');
            csv_cell(b, s_of(i, "url_path"));
            pcfmcp__buf_putc(b, ',');
            csv_cell(b, s_of(i, "fix"));
            pcfmcp__buf_putc(b, ',');
            csv_cell(b, scratch_text(b, &pocs));
            pcfmcp__buf_puts(b, "\r\n");
            s = s ? s->next : NULL;
        } while (s);
        pcfmcp__buf_free(&pocs);
    }
}

/* ------------------------------------------------------------ entry */

bool pcfmcp__tools_report(pcfmcp__buf *out, const cJSON *model, const char *format,
                          const char *title_arg)
{
    char title[512];
    title_of(title, sizeof(title), model, title_arg);
    cJSON *by_crit = cJSON_CreateObject(), *by_host = cJSON_CreateObject(),
          *by_service = cJSON_CreateObject();
    if (!by_crit || !by_host || !by_service) {
        cJSON_Delete(by_crit);
        cJSON_Delete(by_host);
        cJSON_Delete(by_service);
        return false;
    }
    if (!counts(model, by_crit, by_host, by_service)) {
        cJSON_Delete(by_crit);
        cJSON_Delete(by_host);
        cJSON_Delete(by_service);
        return false;
    }
    if (strcmp(format, "html") == 0) {
        render_html(out, model, title, by_crit, by_host, by_service);
    } else if (strcmp(format, "csv") == 0) {
        render_csv(out, model);
    } else if (strcmp(format, "json") == 0) {
        /* Every member or none: a document missing issues must not pass for
         * the report. */
        cJSON *doc = cJSON_CreateObject(), *sum = cJSON_CreateObject();
        char when[32];
        now_text(when);
        bool ok = pcfmcp__json_put_str(doc, "title", title);
        ok &= pcfmcp__json_put_str(doc, "generated", when);
        const cJSON *p = pcfmcp__json_obj(model, "project");
        if (p)
            ok &= pcfmcp__json_put(doc, "project", cJSON_Duplicate(p, true));
        ok &= pcfmcp__json_put(sum, "by_criticality", cJSON_Duplicate(by_crit, true));
        ok &= pcfmcp__json_put(sum, "by_host", cJSON_Duplicate(by_host, true));
        ok &= pcfmcp__json_put(sum, "by_service", cJSON_Duplicate(by_service, true));
        ok &= pcfmcp__json_put(doc, "summary", sum);
        static const char *const lists[] = { "issues", "hosts" };
        for (size_t k = 0; k < PCFMCP_ARRAY_LEN(lists); k++) {
            const cJSON *a = pcfmcp__json_arr(model, lists[k]);
            if (a)
                ok &= pcfmcp__json_put(doc, lists[k], cJSON_Duplicate(a, true));
        }
        char *s = ok ? cJSON_Print(doc) : NULL;
        if (s) {
            pcfmcp__buf_puts(out, s);
            pcfmcp__buf_putc(out, '\n');
            cJSON_free(s);
        } else {
            out->failed = true;
        }
        cJSON_Delete(doc);
    } else {
        render_md(out, model, title, by_crit, by_host, by_service);
    }
    cJSON_Delete(by_crit);
    cJSON_Delete(by_host);
    cJSON_Delete(by_service);
    pcfmcp__buf_append(out, "", 0);
    return pcfmcp__buf_ok(out);
}
