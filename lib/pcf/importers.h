/* Private to lib/pcf (and its unit tests): PCF's web-UI scanner importers as
 * data -- which form each format posts, which options it offers, how each
 * PCF release misbehaves with it -- plus the pure functions that read a scan
 * file without copying it (kind sniffing, a tolerant tag scanner, the nmap
 * census that finds what PCF will skip and which NSE output to leave out). */
#ifndef PCFMCP_PCF_IMPORTERS_H
#define PCFMCP_PCF_IMPORTERS_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>

#include "core/buf.h"

/* What a file is, judged by its first significant byte. */
enum { IMP_XML = 1u << 0, IMP_JSON = 1u << 1, IMP_CSV = 1u << 2 };

/* How the releases of PCF known to pcf-mcp treat a format. "Outdated issue
 * call": since 3e415b6 (release 6c83154) Database.insert_new_issue takes five
 * more positional arguments, and the importers were not updated. */
enum {
    IMPF_ISSUES_HANG = 1u << 0,  /* findings via insert_new_issue_no_dublicate: on the
                                    outdated-call releases the first new finding holds
                                    PCF's database lock forever (every user hangs) */
    IMPF_ISSUES_500 = 1u << 1,   /* findings via insert_new_issue with 8 positional
                                    arguments: HTTP 500 at the first finding there */
    IMPF_ISSUES_LOST = 1u << 2,  /* findings stored under the wrong project there */
    IMPF_BREAKS_EXPORT = 1u << 3, /* every release: the project's JSON export (and
                                    what reads it) fails afterwards */
    IMPF_FORM_MISSING = 1u << 4, /* outdated-call releases: the route's form class is
                                    gone (NameError, HTTP 500, nothing imported) */
    IMPF_NO_BANNER = 1u << 5,    /* the page never shows "Successfully uploaded!" */
    IMPF_PRECREATE = 1u << 6,    /* PCF fails on a host/port/hostname it creates itself:
                                    pcf-mcp creates them first through API v1 */
    IMPF_CONFIRMED_ONLY = 1u << 7 /* netsparker: only confirmed findings, whatever the form */
};

typedef struct {
    const char *name;    /* the `format` value */
    const char *route;   /* /project/<pid>/tools/<route>/ */
    const char *title;   /* what the scanner writes, for messages and docs */
    const char *fields[3]; /* file form field for IMP_XML, IMP_JSON, IMP_CSV (NULL: none) */
    const char *opts;    /* offered options, space-separated, "name" or "name:form_field" */
    unsigned flags;
} imp_format;

extern const imp_format pcfmcp__imp_formats[];
extern const size_t pcfmcp__imp_nformats;

const imp_format *pcfmcp__imp_find(const char *name);
/* IMP_XML, IMP_JSON or IMP_CSV from the first significant byte (after a UTF-8
 * BOM and white space): '<' xml, '{' or '[' json, anything else csv. */
unsigned pcfmcp__imp_sniff(const char *data, size_t len);
/* The form field the format reads files of @p kind from, or NULL. */
const char *pcfmcp__imp_field(const imp_format *f, unsigned kind);
/* The PCF form field behind option @p opt of @p f, or NULL when @p f does
 * not offer it. */
const char *pcfmcp__imp_opt_field(const imp_format *f, const char *opt);

/* ------------------------------------------------------------ tags */

typedef struct {
    const char *start, *end; /* '<' .. one past '>' */
    const char *name;
    size_t nlen;
    const char *attrs; /* between the name and the closing '>' or "/>" */
    size_t alen;
    bool closing; /* </name> */
    bool empty;   /* <name .../> */
} imp_tag;

/* The next element tag at or after *p (< end), skipping comments, CDATA
 * sections, processing instructions and declarations; *p moves past it.
 * false at the end of the input. Never reads past @p end. */
bool pcfmcp__imp_next_tag(const char **p, const char *end, imp_tag *t);
/* Case-insensitive name test (PCF reads XML with an HTML parser). */
bool pcfmcp__imp_tag_is(const imp_tag *t, const char *name);
/* Attribute @p name (case-insensitive), entity-decoded into out[size]
 * (truncated, always terminated). false when absent. */
bool pcfmcp__imp_tag_attr(const imp_tag *t, const char *name, char *out, size_t size);

/* ------------------------------------------------------------ nmap */

typedef struct {
    size_t start, end; /* byte range to leave out of the upload */
} imp_range;

typedef struct {
    /* what the file holds and what PCF's importer will keep of it */
    unsigned hosts, hosts_kept, hosts_without_ports;
    unsigned ports, ports_kept, ports_ignored;
    unsigned ports_filtered, ports_closed, ports_other; /* skipped by the rule */
    unsigned scripts;
    /* output of the scan, for the answer: [{"script", "where"}] */
    cJSON *removed;
    imp_range *drops;
    size_t ndrops, cap;
    bool failed; /* out of memory */
} imp_nmap;

typedef struct {
    const char *rule;            /* open (default), filtered, closed */
    const char *ignore_ports;    /* "53/udp, 21/tcp, 80" */
    const char *ignore_services; /* "tcpwrapped, realserver" */
    bool add_empty_hosts;
    bool drop_issue_scripts; /* leave out NSE output PCF turns into findings */
    bool drop_all_scripts;   /* leave out every <script> and <hostscript> */
} imp_nmap_opts;

/* Walks an nmap XML report the way PCF's importer reads it. false only when
 * memory runs out (n->failed). Free with pcfmcp__imp_nmap_free. */
bool pcfmcp__imp_nmap_scan(const char *xml, size_t len, const imp_nmap_opts *o, imp_nmap *n);
void pcfmcp__imp_nmap_free(imp_nmap *n);

/* ------------------------------------------------------------ upload */

/* Serves a buffer to libcurl with the dropped ranges skipped, so what PCF
 * must not see never exists as a second copy of the file. */
typedef struct {
    const char *data;
    size_t len;
    const imp_range *drops; /* sorted by start after init */
    size_t ndrops;
    size_t src, di;
    size_t size; /* len minus the dropped bytes (overlaps counted once) */
} imp_reader;

/* Sorts @p drops in place and sets up @p r to serve @p data without them. */
void pcfmcp__imp_reader_init(imp_reader *r, const char *data, size_t len, imp_range *drops,
                             size_t ndrops);
/* libcurl's read and seek callbacks (only a rewind to 0 is supported). */
size_t pcfmcp__imp_reader_read(char *buf, size_t size, size_t nitems, void *ud);
int pcfmcp__imp_reader_seek(void *ud, curl_off_t offset, int origin);

/* ------------------------------------------------------------ other scans */

/* Per-format census of the file (what it holds, what PCF will leave out of
 * it and why): appends {"what": "...", "count": n} notes to @p skipped and
 * returns counts in @p census. @p opts are the call's options. */
void pcfmcp__imp_census(const imp_format *f, const char *data, size_t len, const cJSON *opts,
                        cJSON *census, cJSON *skipped);

/* Sites of a Burp Suite Enterprise HTML report: [{"url", "scheme", "host",
 * "port"}] from its "Issues found on <url>" headings. */
cJSON *pcfmcp__imp_burp_sites(const char *html, size_t len);

#endif
