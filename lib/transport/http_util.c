/* Pure helpers of the HTTP transport: header parsing, origin and host
 * matching, gzip, the Base64 header sentinel. No sockets, no state. */
#include "core/internal.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <zlib.h>

#include "core/alloc.h"
#include "core/util.h"
#include "transport/http_internal.h"

static const char *skip_ws(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

/* One comma-separated element: [s, e) trimmed. Returns the next start or NULL. */
static const char *next_elem(const char *p, const char **s, const char **e)
{
    if (!p || !*p)
        return NULL;
    p = skip_ws(p);
    const char *start = p;
    while (*p && *p != ',')
        p++;
    const char *end = p;
    while (end > start && (end[-1] == ' ' || end[-1] == '\t'))
        end--;
    *s = start;
    *e = end;
    return *p == ',' ? p + 1 : p;
}

/* q=0 in the parameters of a media range or coding excludes it. Every read
 * stays inside [s, e): the element was trimmed of the white space after it,
 * so skipping white space from a ";" at its end must stop at e. */
static bool q_zero(const char *s, const char *e)
{
    const char *semi = memchr(s, ';', (size_t)(e - s));
    while (semi) {
        const char *p = semi + 1;
        while (p < e && (*p == ' ' || *p == '\t'))
            p++;
        if (e - p >= 2 && (p[0] == 'q' || p[0] == 'Q') && p[1] == '=') {
            double q = strtod(p + 2, NULL);
            return q <= 0.0;
        }
        semi = p < e ? memchr(p, ';', (size_t)(e - p)) : NULL;
    }
    return false;
}

static bool token_eq(const char *s, const char *e, const char *tok)
{
    size_t n = strlen(tok);
    return (size_t)(e - s) == n && strncasecmp(s, tok, n) == 0;
}

bool pcfmcp__http_accepts(const char *accept, const char *type)
{
    if (!accept || !type)
        return false;
    const char *slash = strchr(type, '/');
    size_t major = slash ? (size_t)(slash - type) : strlen(type);
    const char *p = accept, *s, *e;
    while ((p = next_elem(p, &s, &e)) != NULL) {
        if (s == e)
            continue;
        const char *semi = memchr(s, ';', (size_t)(e - s));
        const char *me = semi ? semi : e;
        while (me > s && (me[-1] == ' ' || me[-1] == '\t'))
            me--;
        bool match = token_eq(s, me, type) || token_eq(s, me, "*/*");
        if (!match && (size_t)(me - s) == major + 2 && strncasecmp(s, type, major) == 0 &&
            s[major] == '/' && s[major + 1] == '*')
            match = true;
        if (match && !q_zero(s, e))
            return true;
        if (!*p)
            break;
    }
    return false;
}

bool pcfmcp__http_accepts_gzip(const char *ae)
{
    if (!ae)
        return false;
    const char *p = ae, *s, *e;
    while ((p = next_elem(p, &s, &e)) != NULL) {
        const char *semi = memchr(s, ';', (size_t)(e - s));
        const char *te = semi ? semi : e;
        while (te > s && (te[-1] == ' ' || te[-1] == '\t'))
            te--;
        if ((token_eq(s, te, "gzip") || token_eq(s, te, "x-gzip")) && !q_zero(s, e))
            return true;
        if (!*p)
            break;
    }
    return false;
}

bool pcfmcp__http_is_json_type(const char *ct)
{
    if (!ct)
        return false;
    ct = skip_ws(ct);
    size_t n = strlen("application/json");
    if (strncasecmp(ct, "application/json", n) != 0)
        return false;
    const char *rest = skip_ws(ct + n);
    return *rest == '\0' || *rest == ';';
}

char *pcfmcp__http_gzip(const char *in, size_t len, size_t *out_len)
{
    z_stream z;
    memset(&z, 0, sizeof(z));
    /* Level 1: JSON compresses well even at the fastest setting, and this
     * runs on the request path. */
    if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
        return NULL;
    uLong bound = deflateBound(&z, (uLong)len);
    char *out = pcfmcp__malloc(bound);
    if (!out) {
        deflateEnd(&z);
        return NULL;
    }
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)len;
    z.next_out = (Bytef *)out;
    z.avail_out = (uInt)bound;
    int rc = deflate(&z, Z_FINISH);
    size_t n = z.total_out;
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        pcfmcp__free(out);
        return NULL;
    }
    *out_len = n;
    return out;
}

void *pcfmcp__http_gz_part_new(const char *data, size_t len)
{
    pcfmcp__gz_part *p = pcfmcp__calloc(1, sizeof(*p));
    z_stream z;
    memset(&z, 0, sizeof(z));
    /* Raw deflate (no header), compressed hard: this runs once per page
     * version, whatever the number of requests that send it. */
    if (!p || deflateInit2(&z, Z_BEST_COMPRESSION, Z_DEFLATED, -15, 9, Z_DEFAULT_STRATEGY) != Z_OK) {
        pcfmcp__free(p);
        return NULL;
    }
    uLong bound = deflateBound(&z, (uLong)len) + 16;
    p->z = pcfmcp__malloc(bound);
    if (!p->z) {
        deflateEnd(&z);
        pcfmcp__free(p);
        return NULL;
    }
    z.next_in = (Bytef *)(uintptr_t)data;
    z.avail_in = (uInt)len;
    z.next_out = (Bytef *)p->z;
    z.avail_out = (uInt)bound;
    /* A sync flush ends the data on a byte boundary without a final block:
     * it can sit between the stored blocks of a message's head and tail. */
    int rc = deflate(&z, Z_SYNC_FLUSH);
    p->zlen = z.total_out;
    bool ok = rc == Z_OK && z.avail_in == 0 && z.avail_out > 0;
    deflateEnd(&z);
    if (!ok) {
        pcfmcp__http_gz_part_free(p);
        return NULL;
    }
    p->len = len;
    p->crc = crc32(crc32(0L, Z_NULL, 0), (const Bytef *)data, (uInt)len);
    return p;
}

void pcfmcp__http_gz_part_free(void *part)
{
    pcfmcp__gz_part *p = part;
    if (!p)
        return;
    pcfmcp__free(p->z);
    pcfmcp__free(p);
}

/* Deflate stored blocks of @p data (at most 65535 bytes each); the last one
 * final when @p final. */
static void stored(pcfmcp__buf *b, const char *data, size_t n, bool final)
{
    do {
        size_t k = n < 65535 ? n : 65535;
        unsigned char h[5] = { (unsigned char)(final && k == n), (unsigned char)(k & 0xff),
                               (unsigned char)(k >> 8), (unsigned char)(~k & 0xff),
                               (unsigned char)((~k >> 8) & 0xff) };
        pcfmcp__buf_append(b, h, sizeof(h));
        pcfmcp__buf_append(b, data, k);
        data += k;
        n -= k;
    } while (n > 0);
}

bool pcfmcp__http_gz_frame(const char *head, size_t hlen, const pcfmcp__gz_part *part,
                           const char *tail, size_t tlen, pcfmcp__buf *pre, pcfmcp__buf *post)
{
    /* RFC 1952 header: deflate, no flags, no mtime, OS unknown. */
    static const unsigned char gz_header[10] = { 0x1f, 0x8b, 8, 0, 0, 0, 0, 0, 0, 0xff };
    pcfmcp__buf_append(pre, gz_header, sizeof(gz_header));
    stored(pre, head, hlen, false);
    stored(post, tail, tlen, true);
    uLong crc = crc32(crc32(0L, Z_NULL, 0), (const Bytef *)head, (uInt)hlen);
    crc = crc32_combine(crc, part->crc, (z_off_t)part->len);
    crc = crc32(crc, (const Bytef *)tail, (uInt)tlen);
    unsigned long total = (unsigned long)(hlen + part->len + tlen);
    unsigned char trailer[8];
    for (int i = 0; i < 4; i++) {
        trailer[i] = (unsigned char)(crc >> (8 * i));
        trailer[4 + i] = (unsigned char)(total >> (8 * i));
    }
    pcfmcp__buf_append(post, trailer, sizeof(trailer));
    return pcfmcp__buf_ok(pre) && pcfmcp__buf_ok(post);
}

static bool copy_lower(char *dst, size_t size, const char *s, size_t n)
{
    if (n + 1 > size)
        return false;
    for (size_t i = 0; i < n; i++)
        dst[i] = (char)tolower((unsigned char)s[i]);
    dst[n] = '\0';
    return true;
}

static bool parse_port(const char *p, const char *e, int *port)
{
    if (p == e || e - p > 5)
        return false;
    int v = 0;
    for (; p < e; p++) {
        if (*p < '0' || *p > '9')
            return false;
        v = v * 10 + (*p - '0');
    }
    if (v > 65535)
        return false;
    *port = v;
    return true;
}

bool pcfmcp__http_parse_host(const char *h, char *host, size_t host_size, int *port)
{
    if (!h || !*h)
        return false;
    *port = -1;
    size_t n = strlen(h);
    const char *end = h + n;
    if (h[0] == '[') {
        const char *rb = strchr(h, ']');
        if (!rb)
            return false;
        if (!copy_lower(host, host_size, h, (size_t)(rb - h) + 1))
            return false;
        if (rb[1] == ':')
            return parse_port(rb + 2, end, port);
        return rb[1] == '\0';
    }
    const char *colon = strchr(h, ':');
    if (colon && strchr(colon + 1, ':'))
        return false; /* bare IPv6 is not a valid Host */
    const char *hend = colon ? colon : end;
    if (hend == h)
        return false;
    for (const char *p = h; p < hend; p++)
        if (!(isalnum((unsigned char)*p) || *p == '-' || *p == '.' || *p == '_'))
            return false;
    if (!copy_lower(host, host_size, h, (size_t)(hend - h)))
        return false;
    return colon ? parse_port(colon + 1, end, port) : true;
}

bool pcfmcp__http_parse_origin(const char *origin, char *scheme, size_t scheme_size, char *host,
                               size_t host_size, int *port)
{
    if (!origin)
        return false;
    const char *sep = strstr(origin, "://");
    if (!sep || sep == origin)
        return false;
    if (!copy_lower(scheme, scheme_size, origin, (size_t)(sep - origin)))
        return false;
    const char *rest = sep + 3;
    size_t n = strcspn(rest, "/?#");
    if (rest[n] != '\0' && !(rest[n] == '/' && rest[n + 1] == '\0'))
        return false; /* an origin carries no path */
    char tmp[300];
    if (n == 0 || n >= sizeof(tmp))
        return false;
    memcpy(tmp, rest, n);
    tmp[n] = '\0';
    return pcfmcp__http_parse_host(tmp, host, host_size, port);
}

bool pcfmcp__http_is_loopback_name(const char *host)
{
    return strcmp(host, "localhost") == 0 || strcmp(host, "127.0.0.1") == 0 ||
           strcmp(host, "[::1]") == 0 || (strncmp(host, "127.", 4) == 0 && strspn(host, "0123456789.") == strlen(host));
}

bool pcfmcp__http_list_match(const char *list, const char *value)
{
    if (!list || !value)
        return false;
    size_t vn = strlen(value);
    const char *p = list, *s, *e;
    while ((p = next_elem(p, &s, &e)) != NULL) {
        size_t n = (size_t)(e - s);
        if (n >= 2 && s[n - 2] == ':' && s[n - 1] == '*') {
            /* "prefix:*" matches prefix, or prefix followed by ":<digits>". */
            size_t pn = n - 2;
            if (vn >= pn && strncasecmp(value, s, pn) == 0) {
                const char *r = value + pn;
                if (*r == '\0')
                    return true;
                if (*r == ':' && r[1] && strspn(r + 1, "0123456789") == strlen(r + 1))
                    return true;
            }
        } else if (n == vn && strncasecmp(s, value, n) == 0) {
            return true;
        }
        if (!*p)
            break;
    }
    return false;
}

char *pcfmcp__http_header_decode(const char *v, size_t *out_len)
{
    if (!v)
        return NULL;
    while (*v == ' ' || *v == '\t')
        v++;
    size_t n = strlen(v);
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    static const char pre[] = "=?base64?", suf[] = "?=";
    if (n >= sizeof(pre) - 1 + sizeof(suf) - 1 && memcmp(v, pre, sizeof(pre) - 1) == 0 &&
        memcmp(v + n - 2, suf, 2) == 0) {
        size_t bl = n - (sizeof(pre) - 1) - 2;
        size_t dl = 0;
        char *d = pcfmcp__base64_decode(v + sizeof(pre) - 1, bl, &dl);
        if (!d)
            return NULL;
        char *z = pcfmcp__realloc(d, dl + 1);
        if (!z) {
            pcfmcp__free(d);
            return NULL;
        }
        z[dl] = '\0';
        if (!pcfmcp__utf8_valid(z, dl, NULL) || memchr(z, '\0', dl)) {
            pcfmcp__free(z);
            return NULL;
        }
        if (out_len)
            *out_len = dl;
        return z;
    }
    /* Optional whitespace around a field value is not part of it (RFC 9110). */
    while (n && (v[n - 1] == ' ' || v[n - 1] == '\t'))
        n--;
    while (n && (*v == ' ' || *v == '\t'))
        v++, n--;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c != '\t' && (c < 0x20 || c > 0x7e))
            return NULL;
    }
    if (out_len)
        *out_len = n;
    return pcfmcp__strndup(v, n);
}

/* ------------------------------------------------------ request headers */

/* RFC 9110 tchar: what a field name may consist of. A name with anything
 * else ("Transfer-Encoding " with a space before the colon) is one a proxy
 * in front of us may read differently. */
static bool is_tchar(unsigned char c)
{
    return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c && strchr("!#$%&'*+-.^_`|~", c));
}

enum {
    RULE_ONCE = 1u << 0,     /* at most one field line */
    RULE_HOST = 1u << 1,     /* required in HTTP/1.1, a valid host[:port] */
    RULE_DIGITS = 1u << 2,   /* 1*DIGIT */
    RULE_CHUNKED = 1u << 3,  /* exactly "chunked" */
    RULE_PREFIX = 1u << 4    /* the name is a prefix: each full name at most once */
};

/* The fields whose meaning a second copy would make ambiguous: framing
 * (a proxy and we must agree where a request ends), the caller's identity,
 * and everything the MCP layer reads as one value. */
static const struct {
    const char *name;
    unsigned rules;
    const char *twice; /* the refusal when it comes twice */
} header_rules[] = {
    { "Host", RULE_ONCE | RULE_HOST, "more than one Host header" },
    { "Content-Length", RULE_ONCE | RULE_DIGITS, "more than one Content-Length header" },
    { "Transfer-Encoding", RULE_ONCE | RULE_CHUNKED, "more than one Transfer-Encoding header" },
    { "Authorization", RULE_ONCE, "more than one Authorization header" },
    { "Content-Type", RULE_ONCE, "more than one Content-Type header" },
    { "Origin", RULE_ONCE, "more than one Origin header" },
    { "Mcp-Session-Id", RULE_ONCE, "more than one Mcp-Session-Id header" },
    { "MCP-Protocol-Version", RULE_ONCE, "more than one MCP-Protocol-Version header" },
    { "Mcp-Method", RULE_ONCE, "more than one Mcp-Method header" },
    { "Mcp-Name", RULE_ONCE, "more than one Mcp-Name header" },
    { "Last-Event-ID", RULE_ONCE, "more than one Last-Event-ID header" },
    { "traceparent", RULE_ONCE, "more than one traceparent header" },
    { "Mcp-Param-", RULE_PREFIX, "a Mcp-Param-* header appears more than once" },
};

static bool name_is(const pcfmcp__http_header *h, const char *name, bool prefix)
{
    size_t n = strlen(name);
    return (prefix ? h->name_len > n : h->name_len == n) && strncasecmp(h->name, name, n) == 0;
}

static size_t rule_of(const char *name)
{
    size_t r = 0;
    while (strcmp(header_rules[r].name, name) != 0)
        r++;
    return r;
}

const char *pcfmcp__http_check_headers(const pcfmcp__http_header *hs, size_t n, bool http11)
{
    size_t count[PCFMCP_ARRAY_LEN(header_rules)] = { 0 };
    const pcfmcp__http_header *host = NULL;
    for (size_t i = 0; i < n; i++) {
        const pcfmcp__http_header *h = &hs[i];
        if (h->name_len == 0)
            return "empty header field name";
        for (size_t k = 0; k < h->name_len; k++)
            if (!is_tchar((unsigned char)h->name[k]))
                return "malformed header field name (white space or a separator in it)";
        for (size_t r = 0; r < PCFMCP_ARRAY_LEN(header_rules); r++) {
            unsigned rules = header_rules[r].rules;
            if (!name_is(h, header_rules[r].name, rules & RULE_PREFIX))
                continue;
            if (rules & RULE_PREFIX) {
                for (size_t j = 0; j < i; j++)
                    if (hs[j].name_len == h->name_len &&
                        strncasecmp(hs[j].name, h->name, h->name_len) == 0)
                        return header_rules[r].twice;
                continue;
            }
            if (++count[r] > 1)
                return header_rules[r].twice;
            if (rules & RULE_HOST)
                host = h;
            if (rules & RULE_DIGITS) {
                if (h->value_len == 0)
                    return "empty Content-Length";
                for (size_t k = 0; k < h->value_len; k++)
                    if (h->value[k] < '0' || h->value[k] > '9')
                        return "Content-Length is not a number";
            }
            if ((rules & RULE_CHUNKED) &&
                !(h->value_len == 7 && strncasecmp(h->value, "chunked", 7) == 0))
                return "unsupported Transfer-Encoding (only chunked)";
        }
    }
    if (count[rule_of("Content-Length")] && count[rule_of("Transfer-Encoding")])
        return "both Content-Length and Transfer-Encoding";
    if (!host && http11)
        return "no Host header";
    if (host) {
        char name[256];
        int port = -1;
        char *v = pcfmcp__strndup(host->value, host->value_len);
        bool ok = v && pcfmcp__http_parse_host(v, name, sizeof(name), &port);
        pcfmcp__free(v);
        if (!ok)
            return "malformed Host header";
    }
    return NULL;
}

/* ------------------------------------------------------------------ CORS */

/* What a browser may send us across origins besides the CORS-safelisted
 * headers; Mcp-Param-* are whatever the tools declare, so they are named
 * back from the preflight's own list. */
static const char *const cors_headers[] = {
    "Content-Type", "Accept", "Authorization", "Mcp-Session-Id", "MCP-Protocol-Version",
    "Last-Event-ID", "Mcp-Method", "Mcp-Name", "traceparent", "tracestate",
};

char *pcfmcp__http_cors_allow_headers(const char *requested)
{
    pcfmcp__buf b;
    pcfmcp__buf_init(&b);
    for (size_t i = 0; i < PCFMCP_ARRAY_LEN(cors_headers); i++) {
        if (i)
            pcfmcp__buf_puts(&b, ", ");
        pcfmcp__buf_puts(&b, cors_headers[i]);
    }
    const char *p = requested, *s, *e;
    while ((p = next_elem(p, &s, &e)) != NULL) {
        size_t n = (size_t)(e - s);
        bool token = n > 10 && n <= 128;
        for (const char *q = s; token && q < e; q++)
            token = is_tchar((unsigned char)*q);
        if (token && strncasecmp(s, "Mcp-Param-", 10) == 0) {
            pcfmcp__buf_puts(&b, ", ");
            pcfmcp__buf_append(&b, s, n);
        }
        if (!*p)
            break;
    }
    return pcfmcp__buf_steal(&b, NULL);
}
