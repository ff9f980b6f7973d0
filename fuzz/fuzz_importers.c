/* Fuzz target: scan files as an MCP client uploads them for PCF's importers
 * (import_scan): the kind sniffing, the nmap census that decides what PCF
 * will skip and which NSE output to leave out, the reader that serves the
 * file to libcurl without those ranges, the per-format census, and the
 * Burp Suite report reader.
 *
 * Input: a byte choosing the format (its index in the importer table,
 * modulo its size), a byte of nmap options, then the file. */
#include "core/internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "pcf/importers.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void die(const char *what)
{
    fprintf(stderr, "fuzz_importers: %s\n", what);
    abort();
}

/* The reader serves exactly the file without its dropped ranges. */
static void read_back(const char *file, size_t len, imp_range *drops, size_t ndrops)
{
    imp_reader r;
    pcfmcp__imp_reader_init(&r, file, len, drops, ndrops);
    if (r.size > len)
        die("the reader serves more than the file");
    for (int round = 0; round < 2; round++) { /* libcurl may rewind once */
        size_t total = 0;
        char buf[777];
        size_t n;
        while ((n = pcfmcp__imp_reader_read(buf, 1, sizeof(buf), &r)) > 0) {
            if (n > sizeof(buf))
                die("the reader overran the buffer");
            total += n;
        }
        if (total != r.size)
            die("the reader served another size than it announced");
        if (pcfmcp__imp_reader_seek(&r, 0, SEEK_SET) != CURL_SEEKFUNC_OK)
            die("the reader cannot rewind");
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    const imp_format *f = &pcfmcp__imp_formats[data[0] % pcfmcp__imp_nformats];
    unsigned bits = data[1];
    const char *file = (const char *)data + 2;
    size_t len = size - 2;
    unsigned kind = pcfmcp__imp_sniff(file, len);
    if (kind != IMP_XML && kind != IMP_JSON && kind != IMP_CSV)
        die("sniffing gave no kind");
    pcfmcp__imp_field(f, kind);

    static const char *const rules[] = { "open", "filtered", "closed" };
    imp_nmap_opts o = { .rule = rules[bits % 3],
                        .ignore_ports = bits & 4 ? "53/udp, 21/tcp, 80" : NULL,
                        .ignore_services = bits & 8 ? "tcpwrapped, realserver" : NULL,
                        .add_empty_hosts = bits & 16,
                        .drop_issue_scripts = bits & 32,
                        .drop_all_scripts = bits & 64 };
    imp_nmap n;
    memset(&n, 0, sizeof(n));
    if (pcfmcp__imp_nmap_scan(file, len, &o, &n)) {
        if (n.hosts_kept > n.hosts || n.ports_kept > n.ports)
            die("the census keeps more than there is");
        for (size_t i = 0; i < n.ndrops; i++)
            if (n.drops[i].start > n.drops[i].end || n.drops[i].end > len)
                die("a dropped range lies outside the file");
        read_back(file, len, n.drops, n.ndrops);
    }
    pcfmcp__imp_nmap_free(&n);

    cJSON *opts = cJSON_CreateObject(), *census = cJSON_CreateObject(),
          *skipped = cJSON_CreateArray();
    if (opts && census && skipped) {
        cJSON_AddStringToObject(opts, "rule", o.rule);
        if (o.ignore_ports)
            cJSON_AddStringToObject(opts, "ignore_ports", o.ignore_ports);
        pcfmcp__imp_census(f, file, len, opts, census, skipped);
    }
    cJSON_Delete(opts);
    cJSON_Delete(census);
    cJSON_Delete(skipped);
    cJSON_Delete(pcfmcp__imp_burp_sites(file, len));

    /* The tag scanner never leaves the input. */
    const char *p = file, *end = file + len;
    imp_tag t;
    char attr[64];
    while (pcfmcp__imp_next_tag(&p, end, &t)) {
        if (t.start < file || t.end > end || t.start >= t.end || p > end)
            die("a tag lies outside the input");
        pcfmcp__imp_tag_attr(&t, "name", attr, sizeof(attr));
    }
    return 0;
}
