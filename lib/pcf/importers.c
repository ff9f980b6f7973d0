/* Scanner imports through PCF's web-UI importers: one path for every format.
 * The table says what each importer's form takes and how the PCF releases
 * treat it; the run hook picks the form field for the file, maps the
 * caller's options onto the form, decides per release what must not be sent
 * (PCF 6c83154 hangs or fails on findings its importers create through an
 * outdated database call), streams the file from the caller's buffer with
 * anything left out skipped on the fly, and reads PCF's verdict. */
#include "core/internal.h"

#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "core/util.h"
#include "pcf/importers.h"
#include "pcf/impl.h"

#define DESC "hosts_description hostnames_description ports_description"

/* name, route, title, {xml, json, csv} file fields, options, flags */
const imp_format pcfmcp__imp_formats[] = {
    { "nmap", "nmap", "nmap XML (-oX)", { "files", NULL, NULL },
      "rule ignore_ports ignore_services hosts_description hostnames_description "
      "add_empty_hosts:add_no_open hosts_only",
      IMPF_ISSUES_HANG },
    { "nessus", "nessus", "Nessus .nessus (NessusClientData_v2)", { "xml_files", NULL, NULL },
      "add_info_issues " DESC, 0 },
    { "nikto", "nikto", "Nikto XML, JSON or CSV", { "xml_files", "json_files", "csv_files" }, DESC,
      IMPF_ISSUES_500 },
    { "acunetix", "acunetix", "Acunetix XML export (ScanGroup)", { "files", NULL, NULL },
      "host auto_resolve", IMPF_ISSUES_500 },
    { "openvas", "openvas", "OpenVAS / Greenbone XML report", { "xml_files", NULL, NULL }, DESC,
      IMPF_ISSUES_HANG },
    { "qualys", "qualys", "Qualys scan XML (SCAN/IP)", { "xml_files", NULL, NULL },
      "add_empty_hosts:add_empty_host hosts_description ports_description", IMPF_ISSUES_HANG },
    { "netsparker", "netsparker", "Netsparker / Invicti XML", { "xml_files", NULL, NULL }, DESC,
      IMPF_ISSUES_HANG | IMPF_CONFIRMED_ONLY },
    { "wpscan", "wpscan", "WPScan JSON (--format json)", { NULL, "json_files", NULL }, "",
      IMPF_ISSUES_HANG },
    { "metasploit", "metasploit", "Metasploit XML export (MetasploitV5)",
      { "xml_files", NULL, NULL },
      "hostnames_description ports_description add_nmap_scripts hosts_only:only_nmap",
      IMPF_ISSUES_HANG },
    { "nuclei", "nuclei", "Nuclei JSON lines (-jsonl)", { NULL, "json_files", NULL },
      "auto_resolve resolve " DESC, IMPF_ISSUES_HANG | IMPF_NO_BANNER },
    { "burp", "burp_enterprise", "Burp Suite Enterprise HTML report", { "html_files", NULL, NULL },
      "auto_resolve resolve " DESC, IMPF_ISSUES_HANG | IMPF_PRECREATE },
    { "dnsrecon", "dnsrecon", "dnsrecon XML, JSON or CSV", { "xml_files", "json_files", "csv_files" },
      "hosts_description ports_description ignore_ipv6", 0 },
    { "theharvester", "theharvester", "theHarvester XML", { "xml_files", NULL, NULL },
      "hosts_description hostnames_description", 0 },
    { "kube-hunter", "kube-hunter", "kube-hunter JSON", { NULL, "json_files", NULL },
      "hosts_description ports_description", IMPF_ISSUES_HANG },
    { "pingcastle", "pingcastle", "PingCastle healthcheck XML", { "xml_files", NULL, NULL }, "",
      IMPF_ISSUES_HANG },
    { "dependency-check", "depcheck", "OWASP Dependency-Check XML", { "xml_files", NULL, NULL }, "",
      IMPF_ISSUES_LOST | IMPF_BREAKS_EXPORT },
    { "checkmarx", "checkmarx", "Checkmarx CxSAST XML", { "xml_files", NULL, NULL }, "",
      IMPF_ISSUES_500 },
    { "maxpatrol", "maxpatrol", "MaxPatrol XML report", { "xml_files", NULL, NULL },
      "hosts_description ports_description", IMPF_ISSUES_HANG },
    { "scanvus", "scanvus", "Scanvus JSON", { NULL, "json_files", NULL },
      "host hosts_description:host_description", IMPF_ISSUES_HANG },
    { "aiodnsbrute", "aiodnsbrute", "aiodnsbrute JSON or CSV", { NULL, "json_files", "csv_files" },
      "hosts_description hostnames_description ignore_ipv6", IMPF_FORM_MISSING },
};

const size_t pcfmcp__imp_nformats = PCFMCP_ARRAY_LEN(pcfmcp__imp_formats);

const imp_format *pcfmcp__imp_find(const char *name)
{
    for (size_t i = 0; name && i < pcfmcp__imp_nformats; i++)
        if (strcmp(pcfmcp__imp_formats[i].name, name) == 0)
            return &pcfmcp__imp_formats[i];
    return NULL;
}

const char *pcfmcp__imp_field(const imp_format *f, unsigned kind)
{
    return kind == IMP_XML ? f->fields[0] : kind == IMP_JSON ? f->fields[1] : f->fields[2];
}

/* Option names of @p f one at a time: *name (len) and the form field. */
static bool next_opt(const char **p, const char **name, size_t *nlen, char *field,
                     size_t fsize)
{
    const char *s = *p;
    while (*s == ' ')
        s++;
    if (!*s)
        return false;
    const char *e = s + strcspn(s, " ");
    const char *colon = memchr(s, ':', (size_t)(e - s));
    *name = s;
    *nlen = (size_t)((colon ? colon : e) - s);
    const char *fs = colon ? colon + 1 : s;
    size_t fl = (size_t)(e - fs);
    if (fl >= fsize)
        fl = fsize - 1;
    memcpy(field, fs, fl);
    field[fl] = '\0';
    *p = e;
    return true;
}

const char *pcfmcp__imp_opt_field(const imp_format *f, const char *opt)
{
    static __thread char field[64];
    const char *p = f->opts, *name;
    size_t nlen;
    while (next_opt(&p, &name, &nlen, field, sizeof(field)))
        if (nlen == strlen(opt) && memcmp(name, opt, nlen) == 0)
            return field;
    return NULL;
}

static const char *kind_name(unsigned kind)
{
    return kind == IMP_XML ? "xml" : kind == IMP_JSON ? "json" : "csv";
}

static void kinds_of(const imp_format *f, char *out, size_t size)
{
    out[0] = '\0';
    static const unsigned kinds[] = { IMP_XML, IMP_JSON, IMP_CSV };
    for (size_t i = 0; i < 3; i++)
        if (pcfmcp__imp_field(f, kinds[i]))
            snprintf(out + strlen(out), size - strlen(out), "%s%s", out[0] ? "/" : "",
                     f == pcfmcp__imp_find("burp") ? "html" : kind_name(kinds[i]));
}

/* ------------------------------------------------------------ upload */

size_t pcfmcp__imp_reader_read(char *buf, size_t size, size_t nitems, void *ud)
{
    imp_reader *r = ud;
    size_t want = size * nitems, got = 0;
    while (got < want && r->src < r->len) {
        while (r->di < r->ndrops && r->drops[r->di].end <= r->src)
            r->di++;
        if (r->di < r->ndrops && r->drops[r->di].start <= r->src) {
            r->src = r->drops[r->di].end;
            continue;
        }
        size_t stop = r->di < r->ndrops ? r->drops[r->di].start : r->len;
        size_t n = stop - r->src;
        if (n > want - got)
            n = want - got;
        memcpy(buf + got, r->data + r->src, n);
        got += n;
        r->src += n;
    }
    return got;
}

int pcfmcp__imp_reader_seek(void *ud, curl_off_t offset, int origin)
{
    imp_reader *r = ud;
    if (origin != SEEK_SET || offset != 0)
        return CURL_SEEKFUNC_CANTSEEK;
    r->src = r->di = 0;
    return CURL_SEEKFUNC_OK;
}

static int cmp_range(const void *a, const void *b)
{
    const imp_range *x = a, *y = b;
    return x->start < y->start ? -1 : x->start > y->start;
}

void pcfmcp__imp_reader_init(imp_reader *r, const char *data, size_t len, imp_range *drops,
                             size_t ndrops)
{
    memset(r, 0, sizeof(*r));
    if (ndrops)
        qsort(drops, ndrops, sizeof(*drops), cmp_range);
    r->data = data;
    r->len = len;
    r->drops = drops;
    r->ndrops = ndrops;
    r->size = len;
    size_t covered = 0;
    for (size_t i = 0; i < ndrops; i++) {
        size_t s = drops[i].start > covered ? drops[i].start : covered;
        if (drops[i].end > s) {
            r->size -= drops[i].end - s;
            covered = drops[i].end;
        }
    }
}

/* ------------------------------------------------------------ release */

/* PCF changed Database.insert_new_issue in 3e415b6 (release 6c83154) together
 * with the new-issue form, which then gained the CVSS-vector field; the
 * importers kept calling it the old way. So the form tells which kind of
 * release this is. The answer is kept for the client's lifetime. */
static pcfmcp_error_t issue_inserts_broken(pcf_call *c, const char *pid, bool *broken,
                                           const char **how)
{
    const char *setting = pcfmcp__json_str(c->body, "pcf_issue_inserts");
    if (setting && strcmp(setting, "broken") == 0) {
        *broken = true;
        *how = "imports.pcf_issue_inserts=broken";
        return PCFMCP_OK;
    }
    if (setting && strcmp(setting, "working") == 0) {
        *broken = false;
        *how = "imports.pcf_issue_inserts=working";
        return PCFMCP_OK;
    }
    int known = atomic_load(&c->pcf->issue_inserts);
    if (known) {
        *broken = known == 2;
        *how = known == 2 ? "PCF's new-issue form has the CVSS-vector field (release 6c83154 "
                            "or later)"
                          : "PCF's new-issue form has no CVSS-vector field (before 6c83154)";
        return PCFMCP_OK;
    }
    char *path = pcfmcp__pcf_project_path(pid, "/new_issue");
    if (!path)
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
    pcf_ui_req r = { .label = "ui_new_issue_form", .path = path, .read_only = true };
    pcf_http_resp resp;
    pcfmcp_error_t rc = pcfmcp__pcf_ui_request(c, &r, &resp);
    pcfmcp__free(path);
    if (rc == PCFMCP_OK) {
        if (resp.status == 200 && pcfmcp__pcf_html_has(resp.body.data, resp.body.len,
                                                       "csrf_token")) {
            bool vector = pcfmcp__pcf_html_has(resp.body.data, resp.body.len,
                                               "name=\"cvss_vector\"");
            atomic_store(&c->pcf->issue_inserts, vector ? 2 : 1);
            *broken = vector;
            *how = vector ? "PCF's new-issue form has the CVSS-vector field (release 6c83154 "
                            "or later)"
                          : "PCF's new-issue form has no CVSS-vector field (before 6c83154)";
        } else {
            /* Unknown (an archived project answers with a redirect): assume the
             * release that hangs, which only ever withholds findings. */
            *broken = true;
            *how = "PCF's release could not be told from its new-issue form (assumed 6c83154)";
        }
    }
    pcfmcp__pcf_http_resp_free(&resp);
    return rc;
}

static bool is_ip(const char *s)
{
    unsigned char buf[16];
    return inet_pton(AF_INET, s, buf) == 1 || inet_pton(AF_INET6, s, buf) == 1;
}

/* ------------------------------------------------------------ options */

static const char *const reserved[] = { "project_id", "format", "kind", "filename", "force",
                                        "pcf_issue_inserts" };

static bool is_reserved(const char *k)
{
    for (size_t i = 0; i < PCFMCP_ARRAY_LEN(reserved); i++)
        if (strcmp(reserved[i], k) == 0)
            return true;
    return false;
}

static void list_opts(const imp_format *f, char *out, size_t size)
{
    out[0] = '\0';
    const char *p = f->opts, *name;
    size_t nlen;
    char field[64];
    while (next_opt(&p, &name, &nlen, field, sizeof(field)))
        snprintf(out + strlen(out), size - strlen(out), "%s%.*s", out[0] ? ", " : "", (int)nlen,
                 name);
    if (!out[0])
        snprintf(out, size, "none");
}

/* Adds the caller's options to the form; PCF's own defaults apply to the
 * others (a field missing from the form takes its default). */
static pcfmcp_error_t add_options(pcf_call *c, const imp_format *f, pcf_form *form,
                                  bool *hosts_only)
{
    *hosts_only = false;
    const cJSON *it;
    cJSON_ArrayForEach(it, c->body) {
        if (is_reserved(it->string) || cJSON_IsNull(it))
            continue;
        const char *field = pcfmcp__imp_opt_field(f, it->string);
        if (!field) {
            char opts[512];
            list_opts(f, opts, sizeof(opts));
            return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG,
                                    "format %s has no option %s (it takes: %s)", f->name,
                                    it->string, opts);
        }
        char fieldbuf[64];
        snprintf(fieldbuf, sizeof(fieldbuf), "%s", field);
        if (strcmp(it->string, "hosts_only") == 0) {
            if (!cJSON_IsBool(it))
                return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG,
                                        "option hosts_only must be true or false");
            *hosts_only = cJSON_IsTrue(it);
            continue; /* applied by the caller (nmap: by leaving scripts out) */
        }
        if (strcmp(it->string, "resolve") == 0) {
            if (!cJSON_IsObject(it))
                return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG,
                                        "option resolve must be an object {hostname: ip}");
            const cJSON *m;
            cJSON_ArrayForEach(m, it) {
                if (!cJSON_IsString(m) || !is_ip(m->valuestring))
                    return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG,
                                            "option resolve: the address of %s must be an IP "
                                            "address",
                                            m->string);
                pcfmcp__pcf_form_add(form, "hostnames", m->string);
                pcfmcp__pcf_form_add(form, "ips", m->valuestring);
            }
            continue;
        }
        if (strcmp(it->string, "host") == 0 && strcmp(f->name, "acunetix") == 0 &&
            !(cJSON_IsString(it) && is_ip(it->valuestring)))
            /* PCF parses it with IPy and answers 500 on anything else. */
            return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG,
                                    "option host must be the scanned site's IP address");
        if (strcmp(it->string, "host") == 0 && strcmp(f->name, "scanvus") == 0) {
            /* Scanvus names the host by UUID (host_id) or a new host by IP (ip). */
            if (!cJSON_IsString(it))
                return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG,
                                        "option host must be an IP address or a host UUID");
            pcfmcp__pcf_form_add(form, pcfmcp__uuid_valid(it->valuestring) ? "host_id" : "ip",
                                 it->valuestring);
            continue;
        }
        if (cJSON_IsBool(it)) {
            pcfmcp__pcf_form_add(form, fieldbuf, cJSON_IsTrue(it) ? "1" : "0");
        } else if (cJSON_IsString(it)) {
            pcfmcp__pcf_form_add(form, fieldbuf, it->valuestring);
        } else {
            return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG,
                                    "option %s must be a string or a boolean", it->string);
        }
    }
    return PCFMCP_OK;
}

/* ------------------------------------------------------------ burp */


static const char *opt_or(const cJSON *body, const char *name, const char *dflt)
{
    const char *v = pcfmcp__json_str(body, name);
    return v ? v : dflt;
}

/* One API v1 call inside the import (consumes @p a). The answer, or NULL
 * with the import's result set to the failure. */
static pcfmcp_pcf_result_t *api_step(pcf_call *c, pcfmcp__pcf_op op, cJSON *a)
{
    pcfmcp_pcf_result_t *sub = NULL;
    pcfmcp_error_t rc = a ? pcfmcp__pcf_subcall(c, op, a, &sub) : PCFMCP_ERR_NOMEM;
    cJSON_Delete(a);
    if (rc == PCFMCP_OK)
        return sub;
    if (sub)
        pcfmcp__pcf_result_move(c->res, sub);
    else
        pcfmcp__pcf_fail(c->res, rc, "out of memory");
    pcfmcp_pcf_result_free(sub);
    return NULL;
}

static cJSON *step_args(const char *pid, const char *host_id)
{
    cJSON *a = cJSON_CreateObject();
    if (a && (!cJSON_AddStringToObject(a, "project_id", pid) ||
              (host_id && !cJSON_AddStringToObject(a, "host_id", host_id)))) {
        cJSON_Delete(a);
        return NULL;
    }
    return a;
}

/* PCF's Burp importer fails (HTTP 500) on a site whose host, port or hostname
 * it creates itself (it indexes the new id as if it were a row), so pcf-mcp
 * creates them first, as PCF would have, through API v1. */
static pcfmcp_error_t burp_precreate(pcf_call *c, const char *pid, const char *data, size_t len,
                                     cJSON *created, cJSON *warnings)
{
    cJSON *sites = pcfmcp__imp_burp_sites(data, len);
    if (!sites)
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
    const cJSON *resolve = cJSON_GetObjectItemCaseSensitive(c->body, "resolve");
    pcfmcp_error_t rc = PCFMCP_OK;
    const cJSON *s;
    cJSON_ArrayForEach(s, sites) {
        const char *netloc = pcfmcp__json_str(s, "netloc");
        const char *scheme = pcfmcp__json_str(s, "scheme");
        int port = pcfmcp__json_int(s, "port", 80);
        const char *ip = NULL, *hostname = NULL;
        if (is_ip(netloc)) {
            ip = netloc;
        } else {
            hostname = netloc;
            ip = pcfmcp__json_str(resolve, netloc);
            if (!ip) {
                char w[400];
                snprintf(w, sizeof(w),
                         "site %s: no IP given for %s (resolve); PCF fails on sites whose host "
                         "it has not seen, so pcf-mcp could not prepare it",
                         pcfmcp__json_str(s, "url"), netloc);
                cJSON_AddItemToArray(warnings, cJSON_CreateString(w));
                continue;
            }
        }
        /* The host, found by IP as PCF looks it up. */
        pcfmcp_pcf_result_t *sub = api_step(c, PCFMCP__PCF_OP_HOSTS_LIST, step_args(pid, NULL));
        if (!sub) {
            rc = c->res->err;
            break;
        }
        char host_id[40] = "";
        const cJSON *h;
        cJSON_ArrayForEach(h, pcfmcp__json_arr(pcfmcp__pcf_result_cjson(sub), "hosts"))
            if (pcfmcp__json_str_is(h, "ip", ip))
                snprintf(host_id, sizeof(host_id), "%s", pcfmcp__json_str(h, "id"));
        pcfmcp_pcf_result_free(sub);
        char what[160];
        if (!host_id[0]) {
            cJSON *a = step_args(pid, NULL);
            cJSON_AddStringToObject(a, "ip", ip);
            cJSON_AddStringToObject(a, "description", opt_or(c->body, "hosts_description",
                                                             "Added from BurpSuite scan"));
            if (!(sub = api_step(c, PCFMCP__PCF_OP_HOST_CREATE, a))) {
                rc = c->res->err;
                break;
            }
            const char *id = pcfmcp__json_str(pcfmcp__pcf_result_cjson(sub), "host_id");
            snprintf(host_id, sizeof(host_id), "%s", id ? id : "");
            pcfmcp_pcf_result_free(sub);
            snprintf(what, sizeof(what), "host %s", ip);
            cJSON_AddItemToArray(created, cJSON_CreateString(what));
        }
        if (!pcfmcp__uuid_valid(host_id))
            continue;
        /* The port (tcp, PCF's service = the URL scheme). */
        if (!(sub = api_step(c, PCFMCP__PCF_OP_HOST_INFO, step_args(pid, host_id)))) {
            rc = c->res->err;
            break;
        }
        bool have = false;
        const cJSON *pt;
        cJSON_ArrayForEach(pt, pcfmcp__json_arr(pcfmcp__pcf_result_cjson(sub), "ports"))
            have |= pcfmcp__json_int(pt, "port", -1) == port &&
                    pcfmcp__json_bool(pt, "is_tcp", true);
        pcfmcp_pcf_result_free(sub);
        if (!have) {
            cJSON *a = step_args(pid, host_id);
            cJSON_AddNumberToObject(a, "port", port);
            cJSON_AddBoolToObject(a, "is_tcp", true);
            cJSON_AddStringToObject(a, "service", scheme ? scheme : "");
            cJSON_AddStringToObject(a, "description", opt_or(c->body, "ports_description",
                                                             "Added from BurpSuite scan"));
            if (!(sub = api_step(c, PCFMCP__PCF_OP_PORT_CREATE, a))) {
                rc = c->res->err;
                break;
            }
            pcfmcp_pcf_result_free(sub);
            snprintf(what, sizeof(what), "port %s:%d/tcp", ip, port);
            cJSON_AddItemToArray(created, cJSON_CreateString(what));
        }
        if (hostname) {
            /* Idempotent in PCF. A name PCF does not take as a hostname makes
             * its importer skip the site with "Hostname not valid!" itself. */
            cJSON *a = step_args(pid, host_id);
            cJSON_AddStringToObject(a, "hostname", hostname);
            cJSON_AddStringToObject(a, "description", opt_or(c->body, "hostnames_description",
                                                             "Added from BurpSuite scan"));
            if ((sub = api_step(c, PCFMCP__PCF_OP_HOSTNAME_ADD, a)))
                pcfmcp_pcf_result_free(sub);
            else
                pcfmcp__pcf_result_clear(c->res);
        }
    }
    cJSON_Delete(sites);
    return rc;
}

/* ------------------------------------------------------------ run */

static void add_note(cJSON *arr, const char *fmt, ...) PCFMCP_PRINTF(2, 3);
static void add_note(cJSON *arr, const char *fmt, ...)
{
    char buf[600];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    cJSON_AddItemToArray(arr, cJSON_CreateString(buf));
}

static pcfmcp_error_t refuse(pcf_call *c, const imp_format *f, const char *how,
                             const char *what)
{
    return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_UNSUPPORTED,
                            "not sent: on this PCF release (%s) PCF's %s importer %s. Nothing "
                            "was changed in PCF (docs/pcf-api/IMPORTERS.md)",
                            how, f->name, what);
}

static const char *hang_text =
    "would hang the whole PCF server at the first new finding: it creates findings through a "
    "database call that release 6c83154 changed, and the database lock stays held until PCF "
    "is restarted";

typedef struct {
    const imp_format *f;
    unsigned kind;
    const char *field;
    imp_nmap nmap;
    imp_reader reader;
    cJSON *doc;
    cJSON *removed, *adjusted, *skipped, *census, *created, *warnings;
} imp_run;

static pcfmcp_error_t decide(pcf_call *c, imp_run *x, const char *pid, const char *data,
                             size_t len, pcf_form *form)
{
    const imp_format *f = x->f;
    bool hosts_only = false;
    pcfmcp_error_t rc = add_options(c, f, form, &hosts_only);
    if (rc != PCFMCP_OK)
        return rc;
    bool force = pcfmcp__json_bool(c->body, "force", false);
    if ((f->flags & IMPF_BREAKS_EXPORT) && !force)
        return pcfmcp__pcf_fail(
            c->res, PCFMCP_ERR_UNSUPPORTED,
            "not sent: PCF's %s importer stores every finding's services as the string \"{}\", "
            "after which PCF's JSON export of the project fails (HTTP 500) and with it "
            "snapshots, template reports and import counts. Nothing was changed in PCF; "
            "force: true imports anyway (the findings then show in PCF's issue list)",
            f->name);
    bool broken = false;
    const char *how = "";
    unsigned risky = IMPF_ISSUES_HANG | IMPF_ISSUES_500 | IMPF_ISSUES_LOST | IMPF_FORM_MISSING;
    /* hosts_only imports no findings, so no release can trip over them. */
    bool needs_release = (f->flags & risky) && !hosts_only;
    if (needs_release && (rc = issue_inserts_broken(c, pid, &broken, &how)) != PCFMCP_OK)
        return rc;
    cJSON_AddStringToObject(x->doc, "pcf_release",
                            !needs_release ? "not checked (not needed for this import)"
                            : broken       ? "6c83154 or later (outdated importer issue calls)"
                                           : "before 6c83154 (importer issue calls work)");
    bool is_nmap = strcmp(f->name, "nmap") == 0;
    bool is_msf = strcmp(f->name, "metasploit") == 0;
    if (is_nmap) {
        imp_nmap_opts o = { .rule = pcfmcp__json_str(c->body, "rule"),
                            .ignore_ports = pcfmcp__json_str(c->body, "ignore_ports"),
                            .ignore_services = pcfmcp__json_str(c->body, "ignore_services"),
                            .add_empty_hosts = pcfmcp__json_bool(c->body, "add_empty_hosts",
                                                                 false),
                            .drop_issue_scripts = broken,
                            .drop_all_scripts = hosts_only };
        if (!pcfmcp__imp_nmap_scan(data, len, &o, &x->nmap))
            return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
        imp_nmap *n = &x->nmap;
        cJSON_AddNumberToObject(x->census, "hosts", n->hosts);
        cJSON_AddNumberToObject(x->census, "hosts_imported", n->hosts_kept);
        cJSON_AddNumberToObject(x->census, "ports", n->ports);
        cJSON_AddNumberToObject(x->census, "ports_imported", n->ports_kept);
        cJSON_AddNumberToObject(x->census, "scripts", n->scripts);
        const char *rule = pcfmcp__json_str(c->body, "rule");
        rule = rule ? rule : "open";
        if (n->ports_filtered)
            add_note(x->skipped, "%u filtered port(s): rule=%s (rule=filtered or closed adds them)",
                     n->ports_filtered, rule);
        if (n->ports_closed)
            add_note(x->skipped, "%u closed port(s): rule=%s (rule=closed adds them)",
                     n->ports_closed, rule);
        if (n->ports_other)
            add_note(x->skipped,
                     "%u port(s) in another state (open|filtered, unfiltered, ...): PCF never adds "
                     "those",
                     n->ports_other);
        if (n->ports_ignored)
            add_note(x->skipped,
                     "%u port(s) matched ignore_ports / ignore_services (a port without a "
                     "service name is always skipped)",
                     n->ports_ignored);
        unsigned empty = n->hosts_without_ports;
        if (empty && !pcfmcp__json_bool(c->body, "add_empty_hosts", false))
            add_note(x->skipped,
                     "%u host(s) without an imported port (add_empty_hosts adds them)", empty);
        cJSON_Delete(x->removed);
        x->removed = n->removed;
        n->removed = NULL;
        if (cJSON_GetArraySize(x->removed) > 0 && hosts_only)
            add_note(x->adjusted, "NSE output left out: hosts_only asks for hosts, ports and "
                                  "hostnames only");
        else if (cJSON_GetArraySize(x->removed) > 0)
            add_note(x->adjusted,
                     "NSE output PCF would turn into findings left out: %s, and this release's "
                     "nmap importer %s",
                     how, hang_text);
        pcfmcp__imp_reader_init(&x->reader, data, len, n->drops, n->ndrops);
        return PCFMCP_OK;
    }
    pcfmcp__imp_reader_init(&x->reader, data, len, NULL, 0);
    if (is_msf && (broken || hosts_only)) {
        pcfmcp__pcf_form_add(form, "only_nmap", "1");
        if (broken && !hosts_only)
            add_note(x->adjusted,
                     "only hosts and services imported (only_nmap): %s, and this "
                     "release's Metasploit importer %s",
                     how, hang_text);
        return PCFMCP_OK;
    }
    if (broken && (f->flags & IMPF_FORM_MISSING))
        return refuse(c, f, how,
                      "answers HTTP 500 without importing anything: its form class is gone");
    if (broken && (f->flags & IMPF_ISSUES_HANG))
        return refuse(c, f, how, hang_text);
    if (broken && (f->flags & IMPF_ISSUES_500))
        return refuse(c, f, how,
                      "would answer HTTP 500 at the first finding, after storing the hosts and "
                      "ports before it: it creates findings with arguments that release no "
                      "longer accepts");
    if (broken && (f->flags & IMPF_ISSUES_LOST))
        return refuse(c, f, how,
                      "would file every finding under a project id made of the file's name, "
                      "where it never shows up: it passes that release's issue call its "
                      "arguments shifted");
    pcfmcp__imp_census(f, data, len, c->body, x->census, x->skipped);
    if (f->flags & IMPF_CONFIRMED_ONLY)
        cJSON_AddStringToObject(x->doc, "note",
                                "PCF imports only findings marked confirmed=\"True\"");
    return PCFMCP_OK;
}

/* What PCF's answer page says: success banner, error list, or neither. */
static pcfmcp_error_t verdict(pcf_call *c, imp_run *x, pcf_http_resp *resp)
{
    const imp_format *f = x->f;
    c->res->status = (int)resp->status;
    if (resp->status == 200) {
        cJSON *errors = NULL;
        if (pcfmcp__pcf_html_errors(resp->body.data, resp->body.len, &errors)) {
            pcfmcp_error_t rc = pcfmcp__pcf_fail_errors(c->res, PCFMCP_ERR_PCF, errors,
                                                        "PCF refused the import: ");
            cJSON_Delete(errors);
            return rc;
        }
        if (pcfmcp__pcf_html_has(resp->body.data, resp->body.len, "Successfully uploaded!") ||
            ((f->flags & IMPF_NO_BANNER) &&
             pcfmcp__pcf_html_has(resp->body.data, resp->body.len, "csrf_token")))
            return PCFMCP_OK;
        return pcfmcp__pcf_ui_unexpected(c, resp, "the import");
    }
    if (resp->status >= 500) {
        return pcfmcp__pcf_fail(
            c->res, PCFMCP_ERR_PCF,
            "PCF failed while importing (HTTP %ld): its %s importer could not process this "
            "file (not a %s report, or a field it cannot handle). Whatever it stored before "
            "the failure stays in the project",
            resp->status, f->name, f->title);
    }
    if (resp->status >= 300 && resp->status < 400)
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_PCF,
                                "PCF did not run the import (redirect): the project is archived "
                                "or you lack write access to it");
    return pcfmcp__pcf_ui_unexpected(c, resp, "the import");
}

pcfmcp_error_t pcfmcp__pcf_run_scan_import(pcf_call *c)
{
    const char *pid = pcfmcp__pcf_id(c, "project_id");
    const char *fname = pcfmcp__json_str(c->body, "format");
    const imp_format *f = pcfmcp__imp_find(fname);
    if (!f)
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG,
                                "unknown format %s (pcf-mcp knows PCF's importers for nmap, "
                                "nessus, nikto, acunetix, openvas, qualys, netsparker, wpscan, "
                                "metasploit, nuclei, burp, dnsrecon, theharvester, kube-hunter, "
                                "pingcastle, dependency-check, checkmarx, maxpatrol, scanvus, "
                                "aiodnsbrute)",
                                fname ? fname : "(none)");
    const pcfmcp__pcf_upload *up = c->ctx ? c->ctx->upload : NULL;
    if (!up || !up->data || up->len == 0)
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG, "the scan file is empty");
    imp_run x;
    memset(&x, 0, sizeof(x));
    x.f = f;
    const char *kind = pcfmcp__json_str(c->body, "kind");
    x.kind = !kind ? pcfmcp__imp_sniff(up->data, up->len)
             : strcmp(kind, "xml") == 0 || strcmp(kind, "html") == 0 ? IMP_XML
             : strcmp(kind, "json") == 0                               ? IMP_JSON
             : strcmp(kind, "csv") == 0                                ? IMP_CSV
                                                                       : 0;
    if (!x.kind)
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG,
                                "argument kind must be xml, json or csv");
    x.field = pcfmcp__imp_field(f, x.kind);
    if (!x.field) {
        char kinds[32];
        kinds_of(f, kinds, sizeof(kinds));
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_INVALID_ARG,
                                "format %s takes %s files (%s); this file %s %s", f->name, kinds,
                                f->title, kind ? "was declared" : "looks like",
                                kind ? kind : kind_name(x.kind));
    }
    x.doc = cJSON_CreateObject();
    x.removed = cJSON_CreateArray();
    x.adjusted = cJSON_CreateArray();
    x.skipped = cJSON_CreateArray();
    x.census = cJSON_CreateObject();
    x.created = cJSON_CreateArray();
    x.warnings = cJSON_CreateArray();
    pcf_form form;
    memset(&form, 0, sizeof(form));
    char *path = pcfmcp__pcf_project_path(pid, "/tools/");
    pcfmcp__buf route;
    pcfmcp__buf_init(&route);
    pcfmcp_error_t rc;
    bool locked = false;
    pcf_http_resp resp;
    memset(&resp, 0, sizeof(resp));
    if (!x.doc || !x.removed || !x.adjusted || !x.skipped || !x.census || !x.created ||
        !x.warnings || !path) {
        rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
        goto out;
    }
    pcfmcp__buf_puts(&route, path);
    pcfmcp__buf_puts(&route, f->route);
    pcfmcp__buf_putc(&route, '/');
    if (!pcfmcp__buf_ok(&route)) {
        rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
        goto out;
    }
    if ((rc = pcfmcp__pcf_ui_begin(c)) != PCFMCP_OK)
        goto out;
    locked = true;
    if ((rc = decide(c, &x, pid, up->data, up->len, &form)) != PCFMCP_OK)
        goto out;
    if ((f->flags & IMPF_PRECREATE) &&
        (rc = burp_precreate(c, pid, up->data, up->len, x.created, x.warnings)) != PCFMCP_OK)
        goto out;
    char filename[96];
    snprintf(filename, sizeof(filename), "%s",
             up->filename && *up->filename ? up->filename
             : x.kind == IMP_JSON          ? "scan.json"
             : x.kind == IMP_CSV           ? "scan.csv"
             : strcmp(f->name, "burp") == 0 ? "report.html"
                                           : "scan.xml");
    pcfmcp__pcf_form_add_stream(&form, x.field, filename, "application/octet-stream",
                                (curl_off_t)x.reader.size, pcfmcp__imp_reader_read,
                                pcfmcp__imp_reader_seek, &x.reader);
    if (form.failed) {
        rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
        goto out;
    }
    pcf_ui_req r = { .label = "ui_scan_import",
                     .post = true,
                     .path = route.data,
                     .form = &form,
                     .long_running = true };
    if ((rc = pcfmcp__pcf_ui_request(c, &r, &resp)) != PCFMCP_OK) {
        if (rc == PCFMCP_ERR_TIMEOUT)
            pcfmcp__pcf_fail(c->res, rc,
                             "PCF did not answer the import in time: it may still be importing "
                             "(large files take long; raise tools.timeout) or be hung. Compare "
                             "the project before you import again");
        goto out;
    }
    if ((rc = verdict(c, &x, &resp)) != PCFMCP_OK)
        goto out;
    bool ok = true;
    pcfmcp__pcf_put_str(x.doc, "status", "ok", &ok);
    pcfmcp__pcf_put_str(x.doc, "format", f->name, &ok);
    pcfmcp__pcf_put_str(x.doc, "kind", strcmp(f->name, "burp") == 0 ? "html" : kind_name(x.kind),
                        &ok);
    pcfmcp__pcf_put_str(x.doc, "form_field", x.field, &ok);
    pcfmcp__pcf_put_num(x.doc, "bytes", (double)up->len, &ok);
    pcfmcp__pcf_put_num(x.doc, "bytes_sent", (double)x.reader.size, &ok);
    if (ok) {
        cJSON_AddItemToObject(x.doc, "removed", x.removed);
        cJSON_AddItemToObject(x.doc, "adjusted", x.adjusted);
        cJSON_AddItemToObject(x.doc, "skipped", x.skipped);
        cJSON_AddItemToObject(x.doc, "census", x.census);
        cJSON_AddItemToObject(x.doc, "precreated", x.created);
        cJSON_AddItemToObject(x.doc, "warnings", x.warnings);
        x.removed = x.adjusted = x.skipped = x.census = x.created = x.warnings = NULL;
        rc = pcfmcp__pcf_succeed(c->res, x.doc);
        x.doc = NULL;
    } else {
        rc = pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
    }
out:
    if (locked)
        pcfmcp__pcf_ui_end(c);
    pcfmcp__pcf_http_resp_free(&resp);
    pcfmcp__pcf_form_free(&form);
    pcfmcp__imp_nmap_free(&x.nmap);
    pcfmcp__buf_free(&route);
    pcfmcp__free(path);
    cJSON_Delete(x.doc);
    cJSON_Delete(x.removed);
    cJSON_Delete(x.adjusted);
    cJSON_Delete(x.skipped);
    cJSON_Delete(x.census);
    cJSON_Delete(x.created);
    cJSON_Delete(x.warnings);
    return rc;
}

/* ------------------------------------------------------------ public */

static pcfmcp_error_t import_with(pcfmcp_pcf_t *pcf, const char *project_id, const char *format,
                                  const void *data, size_t len, const char *body_json,
                                  pcfmcp_pcf_result_t **out)
{
    if (!pcf || !out)
        return PCFMCP_ERR_INVALID_ARG;
    *out = NULL;
    if (!data || len == 0)
        return pcfmcp__pcf_early(out, PCFMCP_ERR_INVALID_ARG, "the scan file is empty");
    cJSON *args = NULL;
    if (body_json) {
        args = pcfmcp__json_parse_object(body_json, strlen(body_json));
        if (!args)
            return pcfmcp__pcf_early(out, PCFMCP_ERR_INVALID_ARG,
                                     "body_json is not a JSON object");
    } else {
        args = cJSON_CreateObject();
    }
    bool ok = args != NULL;
    pcfmcp__pcf_put_str(args, "project_id", project_id, &ok);
    pcfmcp__pcf_put_str(args, "format", format, &ok);
    if (!ok) {
        cJSON_Delete(args);
        return pcfmcp__pcf_early(out, PCFMCP_ERR_NOMEM, "out of memory");
    }
    pcfmcp__pcf_upload up = { .data = data, .len = len };
    pcfmcp__pcf_callctx ctx;
    memset(&ctx, 0, sizeof(ctx));
    ctx.upload = &up;
    pcfmcp_error_t rc = pcfmcp__pcf_call(pcf, &ctx, PCFMCP__PCF_OP_SCAN_IMPORT, args, out);
    cJSON_Delete(args);
    return rc;
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_scan_import(pcfmcp_pcf_t *pcf, const char *project_id,
                                                 const char *format, const void *data,
                                                 size_t len, const char *body_json,
                                                 pcfmcp_pcf_result_t **out)
{
    return import_with(pcf, project_id, format, data, len, body_json, out);
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_nmap_import(pcfmcp_pcf_t *pcf, const char *project_id,
                                                 const char *xml, size_t len,
                                                 const char *body_json,
                                                 pcfmcp_pcf_result_t **out)
{
    if (pcf && out && xml && len && memchr(xml, '\0', len))
        return pcfmcp__pcf_early(out, PCFMCP_ERR_INVALID_ARG,
                                 "argument xml must be non-empty text without NUL bytes");
    return import_with(pcf, project_id, "nmap", xml, len, body_json, out);
}
