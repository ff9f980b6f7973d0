/* The only HTML the client reads: the CSRF input, PCF's error block and
 * success markers, plus the Location and Content-Disposition headers of web
 * answers. Everything else comes from JSON (API v1 or the project export). */
#include "core/internal.h"

#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/util.h"
#include "pcf/impl.h"

#define CSRF_MAX 512
#define ERRORS_MAX 20

static const char *memfind(const char *h, size_t hn, const char *n)
{
    size_t nn = strlen(n);
    if (nn == 0 || nn > hn)
        return NULL;
    for (size_t i = 0; i + nn <= hn; i++)
        if (h[i] == n[0] && memcmp(h + i, n, nn) == 0)
            return h + i;
    return NULL;
}

static char lower(char c)
{
    return (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
}

/* @p n in lower case; matches any case in @p h. */
static const char *memfind_ci(const char *h, size_t hn, const char *n)
{
    size_t nn = strlen(n);
    for (size_t i = 0; nn && i + nn <= hn; i++) {
        size_t k = 0;
        while (k < nn && lower(h[i + k]) == n[k])
            k++;
        if (k == nn)
            return h + i;
    }
    return NULL;
}

static bool is_space(char c)
{
    return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f';
}

bool pcfmcp__pcf_html_has(const char *html, size_t len, const char *marker)
{
    return html && memfind(html, len, marker) != NULL;
}

bool pcfmcp__pcf_html_next_attr(const char **p, const char *end, const char **name,
                                size_t *nlen, const char **val, size_t *vlen)
{
    const char *s = *p;
    while (s < end && (is_space(*s) || *s == '/'))
        s++;
    if (s >= end || *s == '>')
        return false;
    *name = s;
    while (s < end && !is_space(*s) && *s != '=' && *s != '>' && *s != '/')
        s++;
    *nlen = (size_t)(s - *name);
    *val = NULL;
    *vlen = 0;
    while (s < end && is_space(*s))
        s++;
    if (s < end && *s == '=') {
        s++;
        while (s < end && is_space(*s))
            s++;
        if (s < end && (*s == '"' || *s == '\'')) {
            char q = *s++;
            *val = s;
            while (s < end && *s != q)
                s++;
            *vlen = (size_t)(s - *val);
            if (s < end)
                s++;
        } else {
            *val = s;
            while (s < end && !is_space(*s) && *s != '>')
                s++;
            *vlen = (size_t)(s - *val);
        }
    }
    if (*nlen == 0)
        s++; /* a stray character: skip it so the loop advances */
    *p = s;
    return true;
}

static bool name_is(const char *n, size_t nlen, const char *want)
{
    if (nlen != strlen(want))
        return false;
    for (size_t i = 0; i < nlen; i++)
        if (lower(n[i]) != want[i])
            return false;
    return true;
}

char *pcfmcp__pcf_html_csrf(const char *html, size_t len)
{
    if (!html)
        return NULL;
    const char *p = html, *end = html + len;
    while (p < end) {
        const char *tag = memfind_ci(p, (size_t)(end - p), "<input");
        if (!tag)
            return NULL;
        const char *a = tag + 6;
        const char *name, *val, *csrf = NULL;
        size_t nlen, vlen, csrf_len = 0;
        bool is_csrf = false;
        while (pcfmcp__pcf_html_next_attr(&a, end, &name, &nlen, &val, &vlen)) {
            if (name_is(name, nlen, "name") && val && vlen == 10 &&
                memcmp(val, "csrf_token", 10) == 0)
                is_csrf = true;
            else if (name_is(name, nlen, "value") && val) {
                csrf = val;
                csrf_len = vlen;
            }
        }
        if (is_csrf && csrf && csrf_len > 0 && csrf_len <= CSRF_MAX) {
            for (size_t i = 0; i < csrf_len; i++)
                if ((unsigned char)csrf[i] < 0x20 || csrf[i] == 0x7f)
                    return NULL;
            return pcfmcp__strndup(csrf, csrf_len);
        }
        p = a > tag ? a : tag + 1;
    }
    return NULL;
}

/* Decodes the few entities Jinja's autoescape produces and drops tags. */
static char *html_text(const char *s, size_t n)
{
    pcfmcp__buf b;
    pcfmcp__buf_init(&b);
    static const struct {
        const char *ent;
        char ch;
    } ents[] = { { "&#39;", '\'' }, { "&#34;", '"' }, { "&quot;", '"' }, { "&amp;", '&' },
                 { "&lt;", '<' },   { "&gt;", '>' },  { "&#x27;", '\'' } };
    size_t i = 0;
    while (i < n) {
        if (s[i] == '<') {
            while (i < n && s[i] != '>')
                i++;
            i++;
            continue;
        }
        if (s[i] == '&') {
            bool done = false;
            for (size_t k = 0; k < PCFMCP_ARRAY_LEN(ents); k++) {
                size_t el = strlen(ents[k].ent);
                if (i + el <= n && memcmp(s + i, ents[k].ent, el) == 0) {
                    pcfmcp__buf_putc(&b, ents[k].ch);
                    i += el;
                    done = true;
                    break;
                }
            }
            if (done)
                continue;
        }
        pcfmcp__buf_putc(&b, s[i++]);
    }
    pcfmcp__buf_putc(&b, '\0');
    return pcfmcp__buf_ok(&b) ? pcfmcp__buf_steal(&b, NULL) : (pcfmcp__buf_free(&b), NULL);
}

bool pcfmcp__pcf_html_errors(const char *html, size_t len, cJSON **errors)
{
    if (errors)
        *errors = NULL;
    if (!html)
        return false;
    const char *m = memfind(html, len, "There were some errors with");
    if (!m)
        return false;
    if (!errors)
        return true;
    cJSON *arr = cJSON_CreateArray();
    if (!arr)
        return true;
    const char *end = html + len;
    const char *ul_end = memfind(m, (size_t)(end - m), "</ul>");
    if (ul_end)
        end = ul_end;
    const char *p = m;
    int count = 0;
    while (p < end && count < ERRORS_MAX) {
        const char *li = memfind(p, (size_t)(end - p), "<li>");
        if (!li)
            break;
        li += 4;
        const char *li_end = memfind(li, (size_t)(end - li), "</li>");
        if (!li_end)
            li_end = end;
        char *text = html_text(li, (size_t)(li_end - li));
        if (text) {
            char ex[PCF_EXCERPT_MAX + 1];
            pcfmcp__pcf_excerpt(text, strlen(text), ex, sizeof(ex));
            pcfmcp__free(text);
            if (ex[0])
                cJSON_AddItemToArray(arr, cJSON_CreateString(ex));
        }
        count++;
        p = li_end;
    }
    *errors = arr;
    return true;
}

/* ------------------------------------------------------------------ Location */

static const char *location_path_start(const char *loc)
{
    const char *scheme = strstr(loc, "://");
    const char *first_slash = strchr(loc, '/');
    if (scheme && (!first_slash || scheme < first_slash)) {
        const char *p = strchr(scheme + 3, '/');
        return p ? p : loc + strlen(loc);
    }
    return loc;
}

char *pcfmcp__pcf_location_path(const char *loc)
{
    if (!loc)
        return NULL;
    const char *p = location_path_start(loc);
    size_t n = strcspn(p, "#");
    return pcfmcp__strndup(p, n);
}

char *pcfmcp__pcf_location_fragment(const char *loc)
{
    if (!loc)
        return NULL;
    const char *h = strchr(loc, '#');
    return pcfmcp__strdup(h ? h + 1 : "");
}

bool pcfmcp__pcf_location_is_login(const char *loc)
{
    if (!loc)
        return false;
    const char *p = location_path_start(loc);
    return pcfmcp__has_prefix(p, "/login") || pcfmcp__has_prefix(p, "/logout");
}

bool pcfmcp__pcf_find_uuid_after(const char *s, const char *marker, char out[37])
{
    /* Empty unless a UUID is found: callers report what is in out. */
    out[0] = '\0';
    if (!s)
        return false;
    const char *p = s;
    size_t ml = strlen(marker);
    while ((p = strstr(p, marker)) != NULL) {
        p += ml;
        if (strlen(p) >= 36) {
            memcpy(out, p, 36);
            out[36] = '\0';
            if (pcfmcp__uuid_valid(out))
                return true;
        }
    }
    out[0] = '\0';
    return false;
}

/* ------------------------------------------------------------------ Content-Disposition */

/* Keeps the last path component, replaces control characters and reserved
 * characters, and caps the length, so the name is safe to write to disk. */
static char *safe_filename(const char *s, size_t n)
{
    const char *base = s;
    for (size_t i = 0; i < n; i++)
        if (s[i] == '/' || s[i] == '\\')
            base = s + i + 1;
    n -= (size_t)(base - s);
    while (n > 0 && is_space(*base)) {
        base++;
        n--;
    }
    while (n > 0 && is_space(base[n - 1]))
        n--;
    if (n > 200) {
        n = 200;
        /* Cut at a UTF-8 boundary. */
        while (n > 0 && ((unsigned char)base[n] & 0xC0) == 0x80)
            n--;
    }
    char *out = pcfmcp__strndup(base, n);
    if (!out)
        return NULL;
    for (size_t i = 0; out[i]; i++) {
        unsigned char c = (unsigned char)out[i];
        if (c < 0x20 || c == 0x7f || c == '"' || c == ':' || c == '*' || c == '?' ||
            c == '<' || c == '>' || c == '|')
            out[i] = '_';
    }
    if (!pcfmcp__utf8_valid(out, strlen(out), NULL))
        for (size_t i = 0; out[i]; i++)
            if ((unsigned char)out[i] >= 0x80)
                out[i] = '_';
    if (out[0] == '\0' || strcmp(out, ".") == 0 || strcmp(out, "..") == 0) {
        pcfmcp__free(out);
        return NULL;
    }
    return out;
}

char *pcfmcp__pcf_content_disposition_filename(const char *v)
{
    if (!v)
        return NULL;
    char *plain = NULL, *ext = NULL;
    const char *p = v;
    while (*p) {
        while (*p == ';' || is_space(*p))
            p++;
        const char *name = p;
        while (*p && *p != '=' && *p != ';')
            p++;
        size_t nlen = (size_t)(p - name);
        while (nlen > 0 && is_space(name[nlen - 1]))
            nlen--;
        if (*p != '=') {
            continue;
        }
        p++;
        while (is_space(*p))
            p++;
        pcfmcp__buf val;
        pcfmcp__buf_init(&val);
        if (*p == '"') {
            p++;
            while (*p && *p != '"') {
                if (*p == '\\' && p[1])
                    p++;
                pcfmcp__buf_putc(&val, *p++);
            }
            if (*p == '"')
                p++;
        } else {
            const char *s = p;
            while (*p && *p != ';')
                p++;
            size_t n = (size_t)(p - s);
            while (n > 0 && is_space(s[n - 1]))
                n--;
            pcfmcp__buf_append(&val, s, n);
        }
        pcfmcp__buf_putc(&val, '\0');
        if (!pcfmcp__buf_ok(&val)) {
            pcfmcp__buf_free(&val);
            break;
        }
        if (name_is(name, nlen, "filename") && !plain) {
            plain = safe_filename(val.data, strlen(val.data));
        } else if (name_is(name, nlen, "filename*") && !ext) {
            /* RFC 5987: charset'lang'percent-encoded. */
            const char *q = strchr(val.data, '\'');
            q = q ? strchr(q + 1, '\'') : NULL;
            if (q) {
                q++;
                pcfmcp__buf dec;
                pcfmcp__buf_init(&dec);
                for (; *q; q++) {
                    if (*q == '%' && pcfmcp__hexval(q[1]) >= 0 && pcfmcp__hexval(q[2]) >= 0) {
                        pcfmcp__buf_putc(&dec, (char)(pcfmcp__hexval(q[1]) * 16 + pcfmcp__hexval(q[2])));
                        q += 2;
                    } else {
                        pcfmcp__buf_putc(&dec, *q);
                    }
                }
                pcfmcp__buf_putc(&dec, '\0');
                if (pcfmcp__buf_ok(&dec))
                    ext = safe_filename(dec.data, strlen(dec.data));
                pcfmcp__buf_free(&dec);
            }
        }
        pcfmcp__buf_free(&val);
    }
    if (ext) {
        pcfmcp__free(plain);
        return ext;
    }
    return plain;
}

