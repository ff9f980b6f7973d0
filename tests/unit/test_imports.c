/* The pure parts of the scanner imports: kind sniffing, the tag scanner, the
 * nmap census against the sample file, the streaming reader that leaves
 * ranges out, the Burp site reader, and the format table against the tool's
 * schema. The property tests generate nmap documents and byte ranges. */
#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "pcf/importers.h"
#include "tools/toolset.h"

static char *slurp(const char *name, size_t *len)
{
    const char *base = getenv("PCFMCP_TEST_FIXTURES");
    char path[1024];
    snprintf(path, sizeof(path), "%s/scans/%s", base ? base : "../tests/fixtures", name);
    FILE *f = fopen(path, "rb");
    ck_assert_msg(f != NULL, "cannot open %s", path);
    fseek(f, 0, SEEK_END);
    long n = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = malloc((size_t)n + 1);
    ck_assert_uint_eq(fread(buf, 1, (size_t)n, f), (size_t)n);
    buf[n] = '\0';
    fclose(f);
    *len = (size_t)n;
    return buf;
}

/* What the reader sends, read in chunks of @p chunk bytes. */
static char *drain(imp_reader *r, size_t chunk, size_t *len)
{
    char *out = malloc(r->len + 1);
    size_t n = 0, got;
    char *buf = malloc(chunk);
    while ((got = pcfmcp__imp_reader_read(buf, 1, chunk, r)) > 0) {
        memcpy(out + n, buf, got);
        n += got;
    }
    free(buf);
    out[n] = '\0';
    *len = n;
    return out;
}

START_TEST(kinds_are_told_by_the_first_significant_byte)
{
    ck_assert_uint_eq(pcfmcp__imp_sniff("<?xml?>", 7), IMP_XML);
    ck_assert_uint_eq(pcfmcp__imp_sniff("\xEF\xBB\xBF \n<x/>", 9), IMP_XML);
    ck_assert_uint_eq(pcfmcp__imp_sniff("  {\"a\":1}", 9), IMP_JSON);
    ck_assert_uint_eq(pcfmcp__imp_sniff("[1]", 3), IMP_JSON);
    ck_assert_uint_eq(pcfmcp__imp_sniff("\"Nikto - v2\"", 12), IMP_CSV);
    ck_assert_uint_eq(pcfmcp__imp_sniff("   ", 3), IMP_CSV);
}
END_TEST

START_TEST(tag_scanner_skips_what_is_not_a_tag_and_reads_attributes)
{
    const char *s = "<?xml version=\"1.0\"?><!DOCTYPE x SYSTEM \"a>b\"><!-- <port> -->"
                    "<A b='1 > 2' C=\"&amp;&#xa;&#9;&lt;x&gt;\"><![CDATA[<port portid=\"9\">]]>"
                    "text < not a tag<port/></A><unterminated attr=\"x>";
    const char *p = s, *end = s + strlen(s);
    imp_tag t;
    ck_assert(pcfmcp__imp_next_tag(&p, end, &t));
    ck_assert(pcfmcp__imp_tag_is(&t, "a") && !t.closing && !t.empty);
    char v[64];
    ck_assert(pcfmcp__imp_tag_attr(&t, "B", v, sizeof(v)));
    ck_assert_str_eq(v, "1 > 2");
    ck_assert(pcfmcp__imp_tag_attr(&t, "c", v, sizeof(v)));
    ck_assert_str_eq(v, "&\n\t<x>");
    ck_assert(!pcfmcp__imp_tag_attr(&t, "missing", v, sizeof(v)));
    ck_assert(pcfmcp__imp_next_tag(&p, end, &t));
    ck_assert(pcfmcp__imp_tag_is(&t, "port") && t.empty);
    ck_assert(pcfmcp__imp_next_tag(&p, end, &t));
    ck_assert(pcfmcp__imp_tag_is(&t, "a") && t.closing);
    /* the last tag never closes: the scanner stops without reading past the end */
    ck_assert(!pcfmcp__imp_next_tag(&p, end, &t));
    ck_assert_ptr_eq(p, end);
    /* truncated comment / CDATA */
    const char *q = "<!-- x";
    p = q;
    ck_assert(!pcfmcp__imp_next_tag(&p, q + strlen(q), &t));
    q = "<![CDATA[ <a>";
    p = q;
    ck_assert(!pcfmcp__imp_next_tag(&p, q + strlen(q), &t));
}
END_TEST

START_TEST(nmap_census_counts_what_pcf_keeps)
{
    size_t len;
    char *xml = slurp("nmap.xml", &len);
    imp_nmap n;
    imp_nmap_opts o = { 0 };
    ck_assert(pcfmcp__imp_nmap_scan(xml, len, &o, &n));
    ck_assert_uint_eq(n.hosts, 2);
    ck_assert_uint_eq(n.ports, 8);
    ck_assert_uint_eq(n.ports_kept, 6);
    ck_assert_uint_eq(n.ports_filtered, 1);
    ck_assert_uint_eq(n.ports_closed, 1);
    ck_assert_uint_eq(n.scripts, 3);
    ck_assert_uint_eq(n.ndrops, 0);
    pcfmcp__imp_nmap_free(&n);
    /* the UI's default ignore list drops the tcpwrapped 8080 */
    o.ignore_services = "tcpwrapped, realserver";
    o.rule = "filtered";
    ck_assert(pcfmcp__imp_nmap_scan(xml, len, &o, &n));
    ck_assert_uint_eq(n.ports_kept, 6);
    ck_assert_uint_eq(n.ports_ignored, 1);
    ck_assert_uint_eq(n.ports_closed, 1);
    pcfmcp__imp_nmap_free(&n);
    o.ignore_services = NULL;
    o.ignore_ports = "3306, 445/tcp, 22/udp";
    o.rule = "closed";
    ck_assert(pcfmcp__imp_nmap_scan(xml, len, &o, &n));
    ck_assert_uint_eq(n.ports_kept, 6);
    ck_assert_uint_eq(n.ports_ignored, 2);
    pcfmcp__imp_nmap_free(&n);
    free(xml);
}
END_TEST

START_TEST(nmap_issue_scripts_are_left_out_of_the_upload)
{
    size_t len;
    char *xml = slurp("nmap.xml", &len);
    imp_nmap n;
    imp_nmap_opts o = { .drop_issue_scripts = true };
    ck_assert(pcfmcp__imp_nmap_scan(xml, len, &o, &n));
    ck_assert_int_eq(cJSON_GetArraySize(n.removed), 2);
    char *r0 = cJSON_PrintUnformatted(n.removed);
    ck_assert_str_eq(r0, "[{\"script\":\"vulners\",\"where\":\"198.51.100.10:22/tcp\"},"
                         "{\"script\":\"smb2-security-mode\",\"where\":\"198.51.100.11\"}]");
    free(r0);
    imp_reader r;
    pcfmcp__imp_reader_init(&r, xml, len, n.drops, n.ndrops);
    size_t sent;
    char *out = drain(&r, 1000, &sent);
    ck_assert_uint_eq(sent, r.size);
    ck_assert_ptr_null(strstr(out, "<script id=\"vulners\""));
    ck_assert_ptr_null(strstr(out, "<script id=\"smb2-security-mode\""));
    ck_assert_ptr_nonnull(strstr(out, "<script id=\"http-title\""));
    ck_assert_ptr_nonnull(strstr(out, "<hostscript></hostscript>"));
    /* what PCF gets has no NSE output it would turn into findings */
    imp_nmap again;
    ck_assert(pcfmcp__imp_nmap_scan(out, sent, &o, &again));
    ck_assert_int_eq(cJSON_GetArraySize(again.removed), 0);
    ck_assert_uint_eq(again.ports_kept, n.ports_kept);
    pcfmcp__imp_nmap_free(&again);
    /* a rewind (a form built again after a fresh login) sends the same bytes */
    ck_assert_int_eq(pcfmcp__imp_reader_seek(&r, 0, SEEK_SET), CURL_SEEKFUNC_OK);
    size_t sent2;
    char *out2 = drain(&r, 7, &sent2);
    ck_assert_uint_eq(sent2, sent);
    ck_assert(memcmp(out, out2, sent) == 0);
    ck_assert_int_eq(pcfmcp__imp_reader_seek(&r, 5, SEEK_SET), CURL_SEEKFUNC_CANTSEEK);
    free(out);
    free(out2);
    pcfmcp__imp_nmap_free(&n);
    /* hosts_only: every script */
    imp_nmap_opts all = { .drop_all_scripts = true };
    ck_assert(pcfmcp__imp_nmap_scan(xml, len, &all, &n));
    ck_assert_int_eq(cJSON_GetArraySize(n.removed), 3);
    pcfmcp__imp_nmap_free(&n);
    free(xml);
}
END_TEST

/* Property: for any nmap document, what pcf-mcp sends to a PCF release whose
 * importers hang on findings holds no NSE result that PCF would act on, and
 * PCF still sees the same hosts and ports. Documents are generated with
 * every script id PCF knows, ports in every state, outputs holding '>',
 * quotes, entities and nested <table>/<elem>, scripts on skipped ports and
 * host scripts on hosts without imported ports. */
static const char *const script_ids[] = { "vulners", "zone-transfer", "SSLv2", "Anonymous FTP",
                                          "example", "smb2-security-mode", "http-title",
                                          "ssh-hostkey", "banner" };
static const char *const states[] = { "open", "filtered", "closed", "open|filtered" };

static void gen_script(char **p, unsigned *seed, bool self_closing)
{
    const char *id = script_ids[rand_r(seed) % 9];
    *p += sprintf(*p, "<script id=\"%s\" output=\"a &gt; b &quot;q&quot; &#xa;\tCVE-1&#9;9.8\"",
                  id);
    if (self_closing)
        *p += sprintf(*p, "/>");
    else
        *p += sprintf(*p, "><table key=\"k\"><elem key=\"x\">1 > 0</elem></table></script>");
}

START_TEST(property_no_acting_issue_script_reaches_a_hanging_pcf)
{
    unsigned seed = 20240304;
    char *doc = malloc(1 << 20);
    for (int iter = 0; iter < 400; iter++) {
        char *p = doc;
        p += sprintf(p, "<?xml version=\"1.0\"?><nmaprun>");
        int hosts = 1 + rand_r(&seed) % 4;
        for (int h = 0; h < hosts; h++) {
            p += sprintf(p, "<host><status state=\"up\"/><address addr=\"10.0.%d.%d\" "
                            "addrtype=\"ipv4\"/><ports>", iter % 250, h);
            int ports = rand_r(&seed) % 5;
            for (int i = 0; i < ports; i++) {
                p += sprintf(p, "<port protocol=\"%s\" portid=\"%d\"><state state=\"%s\"/>"
                                "<service name=\"%s\"/>",
                             rand_r(&seed) % 3 ? "tcp" : "udp", 1 + rand_r(&seed) % 65535,
                             states[rand_r(&seed) % 4], rand_r(&seed) % 4 ? "svc" : "");
                int scripts = rand_r(&seed) % 4;
                for (int k = 0; k < scripts; k++)
                    gen_script(&p, &seed, rand_r(&seed) % 2);
                p += sprintf(p, "</port>");
            }
            p += sprintf(p, "</ports>");
            if (rand_r(&seed) % 2) {
                p += sprintf(p, "<hostscript>");
                int scripts = 1 + rand_r(&seed) % 3;
                for (int k = 0; k < scripts; k++)
                    gen_script(&p, &seed, rand_r(&seed) % 2);
                p += sprintf(p, "</hostscript>");
            }
            p += sprintf(p, "</host>");
        }
        p += sprintf(p, "</nmaprun>");
        size_t len = (size_t)(p - doc);
        imp_nmap_opts o = { .rule = (const char *[]){ "open", "filtered", "closed" }[iter % 3],
                            .add_empty_hosts = iter % 5 == 0,
                            .drop_issue_scripts = true };
        imp_nmap n, again;
        ck_assert(pcfmcp__imp_nmap_scan(doc, len, &o, &n));
        imp_reader r;
        pcfmcp__imp_reader_init(&r, doc, len, n.drops, n.ndrops);
        size_t sent;
        char *out = drain(&r, 1 + (size_t)(iter % 97), &sent);
        ck_assert_uint_eq(sent, r.size);
        ck_assert(pcfmcp__imp_nmap_scan(out, sent, &o, &again));
        ck_assert_msg(cJSON_GetArraySize(again.removed) == 0, "iteration %d: %s", iter, out);
        ck_assert_uint_eq(again.hosts, n.hosts);
        ck_assert_uint_eq(again.ports, n.ports);
        ck_assert_uint_eq(again.ports_kept, n.ports_kept);
        ck_assert_uint_eq(again.hosts_kept, n.hosts_kept);
        ck_assert_uint_eq(n.scripts - again.scripts, (unsigned)cJSON_GetArraySize(n.removed));
        pcfmcp__imp_nmap_free(&again);
        pcfmcp__imp_nmap_free(&n);
        free(out);
    }
    free(doc);
}
END_TEST

/* Property: the reader yields exactly the bytes outside the ranges, for any
 * set of ranges (overlapping, touching, empty, unsorted) and chunk size. */
START_TEST(property_reader_serves_exactly_the_bytes_outside_the_ranges)
{
    unsigned seed = 77;
    char data[512];
    for (size_t i = 0; i < sizeof(data); i++)
        data[i] = (char)('a' + i % 26);
    for (int iter = 0; iter < 2000; iter++) {
        size_t len = (size_t)(rand_r(&seed) % sizeof(data));
        imp_range drops[8];
        size_t nd = (size_t)(rand_r(&seed) % 8);
        bool keep[sizeof(data)];
        for (size_t i = 0; i < len; i++)
            keep[i] = true;
        for (size_t k = 0; k < nd; k++) {
            size_t a = len ? (size_t)rand_r(&seed) % (len + 1) : 0;
            size_t b = a + (size_t)(rand_r(&seed) % 40);
            if (b > len)
                b = len;
            drops[k].start = a;
            drops[k].end = b;
            for (size_t i = a; i < b; i++)
                keep[i] = false;
        }
        char want[sizeof(data)];
        size_t wl = 0;
        for (size_t i = 0; i < len; i++)
            if (keep[i])
                want[wl++] = data[i];
        imp_reader r;
        pcfmcp__imp_reader_init(&r, data, len, drops, nd);
        ck_assert_uint_eq(r.size, wl);
        size_t got;
        char *out = drain(&r, 1 + (size_t)(rand_r(&seed) % 50), &got);
        ck_assert_uint_eq(got, wl);
        ck_assert(memcmp(out, want, wl) == 0);
        free(out);
    }
}
END_TEST

START_TEST(burp_sites_come_from_the_issue_headings)
{
    size_t len;
    char *html = slurp("burp_enterprise.html", &len);
    cJSON *sites = pcfmcp__imp_burp_sites(html, len);
    ck_assert_int_eq(cJSON_GetArraySize(sites), 1);
    const cJSON *s0 = cJSON_GetArrayItem(sites, 0);
    ck_assert_str_eq(pcfmcp__json_str(s0, "netloc"), "198.51.100.90");
    ck_assert_str_eq(pcfmcp__json_str(s0, "scheme"), "https");
    ck_assert_int_eq((int)pcfmcp__json_num(s0, "port", 0), 443);
    cJSON_Delete(sites);
    free(html);
    const char *h = "<h1>Issues found on http://Shop.example:8080/a</h1><h1>Other</h1>"
                    "<h1>Issues found on https://[2001:db8::1]/</h1><h1>Issues found on";
    sites = pcfmcp__imp_burp_sites(h, strlen(h));
    ck_assert_int_eq(cJSON_GetArraySize(sites), 2);
    ck_assert_str_eq(pcfmcp__json_str(cJSON_GetArrayItem(sites, 0), "netloc"),
                     "Shop.example:8080");
    ck_assert_int_eq((int)pcfmcp__json_num(cJSON_GetArrayItem(sites, 0), "port", 0), 8080);
    ck_assert_str_eq(pcfmcp__json_str(cJSON_GetArrayItem(sites, 1), "host"), "2001:db8::1");
    ck_assert_int_eq((int)pcfmcp__json_num(cJSON_GetArrayItem(sites, 1), "port", 0), 443);
    cJSON_Delete(sites);
}
END_TEST

START_TEST(censuses_say_what_pcf_leaves_out)
{
    size_t len;
    char *x = slurp("nessus.nessus", &len);
    cJSON *census = cJSON_CreateObject(), *skipped = cJSON_CreateArray();
    pcfmcp__imp_census(pcfmcp__imp_find("nessus"), x, len, NULL, census, skipped);
    ck_assert_int_eq((int)pcfmcp__json_num(census, "findings", 0), 7);
    ck_assert_str_eq(cJSON_GetArrayItem(skipped, 0)->valuestring,
                     "3 informational results (severity 0): PCF adds them only with "
                     "add_info_issues");
    cJSON_Delete(census);
    cJSON_Delete(skipped);
    free(x);
    x = slurp("netsparker.xml", &len);
    census = cJSON_CreateObject();
    skipped = cJSON_CreateArray();
    pcfmcp__imp_census(pcfmcp__imp_find("netsparker"), x, len, NULL, census, skipped);
    ck_assert_int_eq(cJSON_GetArraySize(skipped), 1);
    ck_assert_ptr_nonnull(strstr(cJSON_GetArrayItem(skipped, 0)->valuestring, "1 unconfirmed"));
    cJSON_Delete(census);
    cJSON_Delete(skipped);
    free(x);
}
END_TEST

/* The tool's schema and PCF's forms name the same formats and options. */
START_TEST(format_table_matches_the_tool_schema)
{
    const tool_def *d = NULL;
    for (size_t i = 0; i < pcfmcp__tools_ndefs; i++)
        if (strcmp(pcfmcp__tools_defs[i].name, "import_scan") == 0)
            d = &pcfmcp__tools_defs[i];
    ck_assert_ptr_nonnull(d);
    const tool_param *fmt = NULL;
    for (const tool_param *p = d->params; p->name; p++)
        if (strcmp(p->name, "format") == 0)
            fmt = p;
    ck_assert_ptr_nonnull(fmt);
    size_t n = 0;
    for (const char *s = fmt->extra; *s; n++) {
        size_t l = strcspn(s, "|");
        char name[40];
        snprintf(name, sizeof(name), "%.*s", (int)l, s);
        ck_assert_msg(pcfmcp__imp_find(name) != NULL, "no importer for %s", name);
        s += l + (s[l] == '|');
    }
    ck_assert_uint_eq(n, pcfmcp__imp_nformats);
    bool used[64] = { false };
    for (size_t i = 0; i < pcfmcp__imp_nformats; i++) {
        const imp_format *f = &pcfmcp__imp_formats[i];
        int k = 0;
        for (const tool_param *p = d->params; p->name; p++, k++)
            if (pcfmcp__imp_opt_field(f, p->name))
                used[k] = true;
        /* every option the form offers is a parameter of the tool */
        const char *s = f->opts;
        while (*s) {
            while (*s == ' ')
                s++;
            size_t l = strcspn(s, " :");
            if (!l)
                break;
            bool found = false;
            for (const tool_param *p = d->params; p->name; p++)
                found |= strlen(p->name) == l && strncmp(p->name, s, l) == 0;
            ck_assert_msg(found, "%s option %.*s is not a tool parameter", f->name, (int)l, s);
            s += strcspn(s, " ");
        }
    }
    /* and every option parameter is used by some format */
    int k = 0;
    for (const tool_param *p = d->params; p->name; p++, k++) {
        static const char *const not_options[] = { "format", "path", "content", "force" };
        bool skip = false;
        for (size_t i = 0; i < 4; i++)
            skip |= strcmp(p->name, not_options[i]) == 0;
        ck_assert_msg(skip || used[k], "parameter %s belongs to no format", p->name);
    }
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("imports");
    TCase *t = tcase_create("scan");
    tcase_add_test(t, kinds_are_told_by_the_first_significant_byte);
    tcase_add_test(t, tag_scanner_skips_what_is_not_a_tag_and_reads_attributes);
    tcase_add_test(t, nmap_census_counts_what_pcf_keeps);
    tcase_add_test(t, nmap_issue_scripts_are_left_out_of_the_upload);
    tcase_add_test(t, property_no_acting_issue_script_reaches_a_hanging_pcf);
    tcase_add_test(t, property_reader_serves_exactly_the_bytes_outside_the_ranges);
    tcase_add_test(t, burp_sites_come_from_the_issue_headings);
    tcase_add_test(t, censuses_say_what_pcf_leaves_out);
    tcase_add_test(t, format_table_matches_the_tool_schema);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *r = srunner_create(suite());
    srunner_run_all(r, CK_NORMAL);
    int failed = srunner_ntests_failed(r);
    srunner_free(r);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
