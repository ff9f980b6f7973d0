/* Reading scan files without copying them: kind sniffing, a tolerant tag
 * scanner (PCF reads XML with BeautifulSoup's HTML parser, so names compare
 * case-insensitively and nothing here insists on well-formed XML), the nmap
 * census that mirrors PCF's import rules, and small per-format censuses. */
#include "core/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "core/json.h"
#include "pcf/importers.h"
#include "pcf/impl.h"

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

static const char *find(const char *p, const char *end, const char *needle)
{
    size_t n = strlen(needle);
    if (n == 0 || (size_t)(end - p) < n)
        return NULL;
    for (const char *q = p; q + n <= end; q++) {
        q = memchr(q, needle[0], (size_t)(end - q - (ptrdiff_t)n + 1));
        if (!q)
            return NULL;
        if (memcmp(q, needle, n) == 0)
            return q;
    }
    return NULL;
}

unsigned pcfmcp__imp_sniff(const char *data, size_t len)
{
    size_t i = 0;
    if (len >= 3 && (unsigned char)data[0] == 0xEF && (unsigned char)data[1] == 0xBB &&
        (unsigned char)data[2] == 0xBF)
        i = 3;
    while (i < len && is_space(data[i]))
        i++;
    if (i < len && data[i] == '<')
        return IMP_XML;
    if (i < len && (data[i] == '{' || data[i] == '['))
        return IMP_JSON;
    return IMP_CSV;
}

/* ------------------------------------------------------------ tags */

bool pcfmcp__imp_next_tag(const char **pp, const char *end, imp_tag *t)
{
    const char *p = *pp;
    for (;;) {
        p = p < end ? memchr(p, '<', (size_t)(end - p)) : NULL;
        if (!p || p + 1 >= end) {
            *pp = end;
            return false;
        }
        const char *skip_to = NULL;
        size_t skip_len = 0;
        if (end - p >= 4 && memcmp(p, "<!--", 4) == 0) {
            skip_to = find(p + 4, end, "-->");
            skip_len = 3;
        } else if (end - p >= 9 && memcmp(p, "<![CDATA[", 9) == 0) {
            skip_to = find(p + 9, end, "]]>");
            skip_len = 3;
        } else if (p[1] == '?') {
            skip_to = find(p + 2, end, "?>");
            skip_len = 2;
        } else if (p[1] == '!') {
            skip_to = memchr(p + 2, '>', (size_t)(end - p - 2));
            skip_len = 1;
        }
        if (skip_len) {
            if (!skip_to) {
                *pp = end;
                return false;
            }
            p = skip_to + skip_len;
            continue;
        }
        const char *s = p + 1;
        bool closing = false;
        if (*s == '/') {
            closing = true;
            s++;
        }
        const char *name = s;
        while (s < end && !is_space(*s) && *s != '>' && *s != '/')
            s++;
        if (s == name || !((name[0] >= 'a' && name[0] <= 'z') || (name[0] >= 'A' && name[0] <= 'Z') ||
                           name[0] == '_')) {
            p++; /* a '<' that starts no tag: text */
            continue;
        }
        /* The end of the tag, quote-aware so a '>' in a value does not end it. */
        const char *a = s;
        char q = 0;
        while (s < end) {
            if (q) {
                if (*s == q)
                    q = 0;
            } else if (*s == '"' || *s == '\'') {
                q = *s;
            } else if (*s == '>') {
                break;
            }
            s++;
        }
        if (s >= end) {
            *pp = end;
            return false;
        }
        memset(t, 0, sizeof(*t));
        t->start = p;
        t->end = s + 1;
        t->name = name;
        t->nlen = (size_t)(a - name);
        t->closing = closing;
        t->empty = s > a && s[-1] == '/';
        t->attrs = a;
        t->alen = (size_t)((t->empty ? s - 1 : s) - a);
        *pp = s + 1;
        return true;
    }
}

bool pcfmcp__imp_tag_is(const imp_tag *t, const char *name)
{
    return strlen(name) == t->nlen && strncasecmp(t->name, name, t->nlen) == 0;
}

static void decode_into(const char *v, size_t n, char *out, size_t size)
{
    static const struct {
        const char *ent;
        char c;
    } ents[] = { { "&amp;", '&' }, { "&lt;", '<' }, { "&gt;", '>' }, { "&quot;", '"' },
                 { "&apos;", '\'' } };
    size_t o = 0;
    for (size_t i = 0; i < n && o + 1 < size;) {
        if (v[i] == '&') {
            bool done = false;
            for (size_t k = 0; k < PCFMCP_ARRAY_LEN(ents) && !done; k++) {
                size_t el = strlen(ents[k].ent);
                if (i + el <= n && memcmp(v + i, ents[k].ent, el) == 0) {
                    out[o++] = ents[k].c;
                    i += el;
                    done = true;
                }
            }
            if (!done && i + 2 < n && v[i + 1] == '#') {
                /* Numeric references: ASCII only (nmap writes &#xa; and &#9;). */
                char *e = NULL;
                char num[12];
                size_t m = 0;
                size_t j = i + 2;
                while (j < n && v[j] != ';' && m + 1 < sizeof(num))
                    num[m++] = v[j++];
                num[m] = '\0';
                long c = (num[0] == 'x' || num[0] == 'X') ? strtol(num + 1, &e, 16)
                                                          : strtol(num, &e, 10);
                if (j < n && v[j] == ';' && e && *e == '\0' && c > 0 && c < 0x80) {
                    out[o++] = (char)c;
                    i = j + 1;
                    done = true;
                }
            }
            if (done)
                continue;
        }
        out[o++] = v[i++];
    }
    out[o] = '\0';
}

bool pcfmcp__imp_tag_attr(const imp_tag *t, const char *name, char *out, size_t size)
{
    const char *s = t->attrs, *end = t->attrs + t->alen, *n, *v;
    size_t nl, vl, want = strlen(name);
    if (size)
        out[0] = '\0';
    while (pcfmcp__pcf_html_next_attr(&s, end, &n, &nl, &v, &vl)) {
        if (nl == want && strncasecmp(n, name, nl) == 0) {
            if (size)
                decode_into(v ? v : "", v ? vl : 0, out, size);
            return true;
        }
    }
    return false;
}

/* The end (one past "</name>") of the element opened by @p t, or NULL. */
static const char *element_end(const imp_tag *t, const char *end)
{
    if (t->empty)
        return t->end;
    const char *p = t->end;
    imp_tag x;
    while (pcfmcp__imp_next_tag(&p, end, &x))
        if (x.closing && x.nlen == t->nlen && strncasecmp(x.name, t->name, t->nlen) == 0)
            return x.end;
    return NULL;
}

/* ------------------------------------------------------------ nmap */

/* NSE results PCF turns into findings, by the ids its tools_addons plugins
 * declare (service scripts under <port>, host scripts under <hostscript>). */
static const char *const issue_service_scripts[] = { "vulners", "zone-transfer", "SSLv2",
                                                     "Anonymous FTP", "example" };
static const char *const issue_host_scripts[] = { "smb2-security-mode", "example" };

static bool in_list(const char *const *list, size_t n, const char *v)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(list[i], v) == 0)
            return true;
    return false;
}

static bool drop(imp_nmap *n, size_t start, size_t end)
{
    if (n->ndrops == n->cap) {
        size_t cap = n->cap ? n->cap * 2 : 16;
        imp_range *r = pcfmcp__realloc(n->drops, cap * sizeof(*r));
        if (!r) {
            n->failed = true;
            return false;
        }
        n->drops = r;
        n->cap = cap;
    }
    n->drops[n->ndrops].start = start;
    n->drops[n->ndrops].end = end;
    n->ndrops++;
    return true;
}

/* The next item of a comma-separated list with blanks removed, as PCF's
 * replace(' ', '').split(','); false after the last one. */
static bool next_item(const char **p, char *item, size_t size)
{
    if (!*p)
        return false;
    size_t n = 0;
    while (**p && **p != ',') {
        if (**p != ' ' && n + 1 < size)
            item[n++] = **p;
        (*p)++;
    }
    item[n] = '\0';
    *p = **p == ',' ? *p + 1 : NULL;
    return true;
}

/* PCF: "53/udp, 21/tcp, 80"; a bare number is tcp. */
static bool port_ignored(const char *list, long port, bool tcp)
{
    const char *p = list;
    char item[32];
    while (list && next_item(&p, item, sizeof(item))) {
        if (!item[0])
            continue;
        char *slash = strchr(item, '/');
        bool itcp = true;
        if (slash) {
            itcp = strcasecmp(slash + 1, "udp") != 0;
            *slash = '\0';
        }
        if (atol(item) == port && itcp == tcp)
            return true;
    }
    return false;
}

/* PCF: ignore_services lowered; an empty list still holds "" and so skips
 * ports without a service name. */
static bool service_ignored(const char *list, const char *service)
{
    const char *p = list ? list : "";
    char item[128];
    while (next_item(&p, item, sizeof(item)))
        if (strcasecmp(item, service) == 0)
            return true;
    return false;
}

void pcfmcp__imp_nmap_free(imp_nmap *n)
{
    cJSON_Delete(n->removed);
    pcfmcp__free(n->drops);
    memset(n, 0, sizeof(*n));
}

typedef struct {
    char protocol[8], state[32], service[128];
    long portid;
    bool open;
    /* scripts seen in this port: offsets, ids */
    size_t first_script; /* index into the pending list */
} nm_port;

typedef struct {
    size_t start, end;
    char id[64];
    char where[96];
    bool host_level;
} nm_script;

bool pcfmcp__imp_nmap_scan(const char *xml, size_t len, const imp_nmap_opts *o, imp_nmap *n)
{
    memset(n, 0, sizeof(*n));
    n->removed = cJSON_CreateArray();
    if (!n->removed) {
        n->failed = true;
        return false;
    }
    const char *rule = o->rule && *o->rule ? o->rule : "open";
    const char *p = xml, *end = xml + len;
    imp_tag t;
    bool in_host = false, in_port = false, host_kept = false;
    char ip[64] = "";
    nm_port port;
    memset(&port, 0, sizeof(port));
    /* Scripts of the current port wait for the port's end (its state and
     * service decide whether PCF acts on them). */
    nm_script pending[16];
    size_t npending = 0;
    while (pcfmcp__imp_next_tag(&p, end, &t)) {
        if (pcfmcp__imp_tag_is(&t, "host")) {
            if (!t.closing) {
                in_host = true;
                host_kept = false;
                ip[0] = '\0';
                n->hosts++;
            } else if (in_host) {
                in_host = false;
                if (host_kept || o->add_empty_hosts)
                    n->hosts_kept++;
                if (!host_kept)
                    n->hosts_without_ports++;
            }
            continue;
        }
        if (!in_host)
            continue;
        if (pcfmcp__imp_tag_is(&t, "address") && !t.closing && !ip[0]) {
            char type[16];
            if (pcfmcp__imp_tag_attr(&t, "addrtype", type, sizeof(type)) &&
                (strcmp(type, "ipv4") == 0 || strcmp(type, "ipv6") == 0))
                pcfmcp__imp_tag_attr(&t, "addr", ip, sizeof(ip));
        } else if (pcfmcp__imp_tag_is(&t, "port")) {
            if (!t.closing) {
                in_port = true;
                memset(&port, 0, sizeof(port));
                char v[16];
                pcfmcp__imp_tag_attr(&t, "protocol", port.protocol, sizeof(port.protocol));
                if (pcfmcp__imp_tag_attr(&t, "portid", v, sizeof(v)))
                    port.portid = atol(v);
                npending = 0;
                if (t.empty)
                    goto port_end;
            } else if (in_port) {
            port_end:
                in_port = false;
                n->ports++;
                bool tcp = strcmp(port.protocol, "tcp") == 0;
                bool kept = false;
                if (port_ignored(o->ignore_ports, port.portid, tcp) ||
                    service_ignored(o->ignore_services, port.service)) {
                    n->ports_ignored++;
                } else if (strcmp(port.state, "open") == 0) {
                    kept = true;
                } else if (strcmp(port.state, "filtered") == 0) {
                    kept = strcmp(rule, "filtered") == 0 || strcmp(rule, "closed") == 0;
                    if (!kept)
                        n->ports_filtered++;
                } else if (strcmp(port.state, "closed") == 0) {
                    kept = strcmp(rule, "closed") == 0;
                    if (!kept)
                        n->ports_closed++;
                } else {
                    n->ports_other++; /* open|filtered, unfiltered, ...: PCF never adds them */
                }
                if (kept) {
                    n->ports_kept++;
                    host_kept = true;
                }
                for (size_t i = 0; i < npending; i++) {
                    nm_script *s = &pending[i];
                    bool acts = kept && in_list(issue_service_scripts,
                                                PCFMCP_ARRAY_LEN(issue_service_scripts), s->id);
                    if (o->drop_all_scripts || (o->drop_issue_scripts && acts)) {
                        snprintf(s->where, sizeof(s->where), "%s:%ld/%s", ip, port.portid,
                                 tcp ? "tcp" : "udp");
                        cJSON *r = cJSON_CreateObject();
                        if (!r || !cJSON_AddStringToObject(r, "script", s->id) ||
                            !cJSON_AddStringToObject(r, "where", s->where) ||
                            !cJSON_AddItemToArray(n->removed, r) || !drop(n, s->start, s->end)) {
                            if (r && !r->next && !r->prev)
                                cJSON_Delete(r);
                            n->failed = true;
                            return false;
                        }
                    }
                }
                npending = 0;
            }
        } else if (in_port && pcfmcp__imp_tag_is(&t, "state") && !t.closing) {
            pcfmcp__imp_tag_attr(&t, "state", port.state, sizeof(port.state));
        } else if (in_port && pcfmcp__imp_tag_is(&t, "service") && !t.closing) {
            pcfmcp__imp_tag_attr(&t, "name", port.service, sizeof(port.service));
        } else if (pcfmcp__imp_tag_is(&t, "script") && !t.closing) {
            n->scripts++;
            const char *e = element_end(&t, end);
            if (!e)
                e = end;
            nm_script s;
            memset(&s, 0, sizeof(s));
            s.start = (size_t)(t.start - xml);
            s.end = (size_t)(e - xml);
            pcfmcp__imp_tag_attr(&t, "id", s.id, sizeof(s.id));
            p = e; /* nested <table>/<elem> are the script's own */
            if (in_port) {
                if (npending < PCFMCP_ARRAY_LEN(pending)) {
                    pending[npending++] = s;
                } else if (o->drop_all_scripts || o->drop_issue_scripts) {
                    /* More scripts on one port than tracked: leave them all out rather
                     * than let one through unexamined. */
                    if (!drop(n, s.start, s.end))
                        return false;
                }
            } else {
                bool acts = (host_kept || o->add_empty_hosts) &&
                            in_list(issue_host_scripts, PCFMCP_ARRAY_LEN(issue_host_scripts),
                                    s.id);
                if (o->drop_all_scripts || (o->drop_issue_scripts && acts)) {
                    cJSON *r = cJSON_CreateObject();
                    if (!r || !cJSON_AddStringToObject(r, "script", s.id) ||
                        !cJSON_AddStringToObject(r, "where", ip) ||
                        !cJSON_AddItemToArray(n->removed, r) || !drop(n, s.start, s.end)) {
                        if (r && !r->next && !r->prev)
                            cJSON_Delete(r);
                        n->failed = true;
                        return false;
                    }
                }
            }
        }
    }
    return true;
}

/* ------------------------------------------------------------ other formats */

static int count_tags(const char *data, size_t len, const char *name, const char *attr,
                      const char *value, bool equal)
{
    const char *p = data, *end = data + len;
    imp_tag t;
    int n = 0;
    while (pcfmcp__imp_next_tag(&p, end, &t)) {
        if (t.closing || !pcfmcp__imp_tag_is(&t, name))
            continue;
        if (attr) {
            char v[64];
            bool has = pcfmcp__imp_tag_attr(&t, attr, v, sizeof(v));
            if (equal ? !(has && strcmp(v, value) == 0) : (has && strcmp(v, value) == 0))
                continue;
        }
        n++;
    }
    return n;
}

static void note(cJSON *skipped, int count, const char *what)
{
    if (count <= 0)
        return;
    char buf[300];
    snprintf(buf, sizeof(buf), "%d %s", count, what);
    cJSON_AddItemToArray(skipped, cJSON_CreateString(buf));
}

void pcfmcp__imp_census(const imp_format *f, const char *data, size_t len, const cJSON *opts,
                        cJSON *census, cJSON *skipped)
{
    if (strcmp(f->name, "nessus") == 0) {
        int items = count_tags(data, len, "ReportItem", NULL, NULL, true);
        int info = count_tags(data, len, "ReportItem", "severity", "0", true);
        cJSON_AddNumberToObject(census, "hosts", count_tags(data, len, "ReportHost", NULL, NULL,
                                                            true));
        cJSON_AddNumberToObject(census, "findings", items);
        if (!pcfmcp__json_bool(opts, "add_info_issues", false))
            note(skipped, info,
                 "informational results (severity 0): PCF adds them only with add_info_issues");
    } else if (strcmp(f->name, "netsparker") == 0) {
        int all = count_tags(data, len, "vulnerability", NULL, NULL, true);
        cJSON_AddNumberToObject(census, "findings", all);
        note(skipped, count_tags(data, len, "vulnerability", "confirmed", "True", false),
             "unconfirmed findings: PCF imports confirmed ones only (its only_confirmed switch "
             "has no effect)");
    } else if (strcmp(f->name, "maxpatrol") == 0) {
        cJSON_AddNumberToObject(census, "hosts", count_tags(data, len, "host", NULL, NULL, true));
        note(skipped, count_tags(data, len, "vulner", "level", "0", true) ,
             "findings of level 0 (the per-port references): PCF skips them");
    } else if (strcmp(f->name, "openvas") == 0) {
        cJSON_AddNumberToObject(census, "findings", count_tags(data, len, "nvt", NULL, NULL, true));
    } else if (strcmp(f->name, "qualys") == 0) {
        cJSON_AddNumberToObject(census, "hosts", count_tags(data, len, "IP", NULL, NULL, true));
    }
}

/* ------------------------------------------------------------ burp */

cJSON *pcfmcp__imp_burp_sites(const char *html, size_t len)
{
    cJSON *sites = cJSON_CreateArray();
    if (!sites)
        return NULL;
    const char *p = html, *end = html + len;
    imp_tag t;
    static const char marker[] = "Issues found on ";
    while (pcfmcp__imp_next_tag(&p, end, &t)) {
        if (t.closing || !pcfmcp__imp_tag_is(&t, "h1"))
            continue;
        /* PCF takes the heading's single string: text up to the next tag. */
        const char *s = t.end, *e = memchr(s, '<', (size_t)(end - s));
        if (!e)
            e = end;
        const char *m = find(s, e, marker);
        if (!m)
            continue;
        m += sizeof(marker) - 1;
        while (m < e && is_space(*m))
            m++;
        const char *u_end = e;
        while (u_end > m && is_space(u_end[-1]))
            u_end--;
        char url[512];
        size_t ul = (size_t)(u_end - m);
        if (ul == 0 || ul >= sizeof(url))
            continue;
        memcpy(url, m, ul);
        url[ul] = '\0';
        /* scheme://host[:port]/... as urllib.parse.urlparse sees it */
        char scheme[16] = "", host[300] = "";
        long port = 0;
        const char *sep = strstr(url, "://");
        const char *auth = url;
        if (sep && (size_t)(sep - url) < sizeof(scheme)) {
            memcpy(scheme, url, (size_t)(sep - url));
            scheme[sep - url] = '\0';
            for (char *c = scheme; *c; c++)
                if (*c >= 'A' && *c <= 'Z')
                    *c = (char)(*c - 'A' + 'a');
            auth = sep + 3;
        }
        size_t al = strcspn(auth, "/?#");
        char netloc[300];
        if (al >= sizeof(netloc))
            continue;
        memcpy(netloc, auth, al);
        netloc[al] = '\0';
        char whole[300];
        snprintf(whole, sizeof(whole), "%s", netloc);
        char *at = strrchr(netloc, '@');
        char *hp = at ? at + 1 : netloc;
        if (hp[0] == '[') {
            char *rb = strchr(hp, ']');
            if (!rb)
                continue;
            *rb = '\0';
            snprintf(host, sizeof(host), "%s", hp + 1);
            if (rb[1] == ':')
                port = atol(rb + 2);
        } else {
            char *colon = strrchr(hp, ':');
            if (colon) {
                *colon = '\0';
                port = atol(colon + 1);
            }
            snprintf(host, sizeof(host), "%s", hp);
        }
        if (!port)
            port = strcmp(scheme, "https") == 0 ? 443 : 80;
        cJSON *o = cJSON_CreateObject();
        if (!o)
            break;
        cJSON_AddStringToObject(o, "url", url);
        cJSON_AddStringToObject(o, "scheme", scheme);
        cJSON_AddStringToObject(o, "host", host);
        /* PCF keeps the whole netloc as the hostname (port included) */
        cJSON_AddStringToObject(o, "netloc", whole);
        cJSON_AddNumberToObject(o, "port", (double)port);
        cJSON_AddItemToArray(sites, o);
    }
    return sites;
}
