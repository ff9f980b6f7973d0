#include "core/internal.h"

#include <errno.h>
#include <float.h>
#include <limits.h>
#include <locale.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "core/util.h"

/* Byte classes for the one pass over a text before cJSON sees it. */
enum { B_PLAIN, B_QUOTE, B_BSLASH, B_OPEN, B_CLOSE, B_DIGIT, B_NUL, B_HIGH };
static const unsigned char byte_class[256] = {
    [0] = B_NUL, ['"'] = B_QUOTE, ['\\'] = B_BSLASH, ['{'] = B_OPEN, ['['] = B_OPEN,
    ['}'] = B_CLOSE, [']'] = B_CLOSE, ['0'] = B_DIGIT, ['1'] = B_DIGIT, ['2'] = B_DIGIT,
    ['3'] = B_DIGIT, ['4'] = B_DIGIT, ['5'] = B_DIGIT, ['6'] = B_DIGIT, ['7'] = B_DIGIT,
    ['8'] = B_DIGIT, ['9'] = B_DIGIT,
#define H16(x) [x] = B_HIGH, [x + 1] = B_HIGH, [x + 2] = B_HIGH, [x + 3] = B_HIGH, \
    [x + 4] = B_HIGH, [x + 5] = B_HIGH, [x + 6] = B_HIGH, [x + 7] = B_HIGH, [x + 8] = B_HIGH, \
    [x + 9] = B_HIGH, [x + 10] = B_HIGH, [x + 11] = B_HIGH, [x + 12] = B_HIGH, \
    [x + 13] = B_HIGH, [x + 14] = B_HIGH, [x + 15] = B_HIGH
    H16(0x80), H16(0x90), H16(0xA0), H16(0xB0), H16(0xC0), H16(0xD0), H16(0xE0), H16(0xF0),
#undef H16
};

/* What the one pass finds (SIZE_MAX: nothing). */
typedef struct {
    size_t utf8_bad;   /* first byte of an invalid UTF-8 sequence (the scan stops there) */
    size_t nul_byte;   /* first NUL byte, which would make cJSON stop early */
    size_t nul_escape; /* first `\u0000` escape inside a string (escape pairs are
                          consumed whole, so `\\u0000`, an escaped backslash then
                          "u0000", is not one) */
    int depth;         /* deepest nesting of objects and arrays */
    bool long_digits;  /* a run of 16+ digits outside strings: maybe an integer a
                          double cannot hold exactly */
} scan_result;

/* Length of the valid UTF-8 sequence at s[0] (>= 0x80), or 0. */
static size_t utf8_seq(const unsigned char *s, size_t n)
{
    unsigned char c = s[0];
    size_t len;
    uint32_t cp, min;
    if ((c & 0xE0) == 0xC0) { len = 2; cp = c & 0x1F; min = 0x80; }
    else if ((c & 0xF0) == 0xE0) { len = 3; cp = c & 0x0F; min = 0x800; }
    else if ((c & 0xF8) == 0xF0) { len = 4; cp = c & 0x07; min = 0x10000; }
    else return 0;
    if (len > n)
        return 0;
    for (size_t k = 1; k < len; k++) {
        if ((s[k] & 0xC0) != 0x80)
            return 0;
        cp = (cp << 6) | (s[k] & 0x3F);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

/* UTF-8, nesting depth, NUL bytes and escapes, long digit runs: what used
 * to take four passes over every peer's text, in one. */
static void scan(const char *text, size_t len, scan_result *r)
{
    const unsigned char *s = (const unsigned char *)text;
    r->utf8_bad = r->nul_byte = r->nul_escape = SIZE_MAX;
    r->long_digits = false;
    int depth = 0, max = 0;
    size_t run = 0;
    bool in_str = false;
    size_t i = 0;
    while (i < len) {
        /* Runs of bytes that change nothing: most of a text. */
        if (in_str) {
            while (i < len && byte_class[s[i]] != B_QUOTE && byte_class[s[i]] != B_BSLASH &&
                   byte_class[s[i]] < B_NUL)
                i++;
        } else if (byte_class[s[i]] == B_PLAIN) {
            while (i < len && byte_class[s[i]] == B_PLAIN)
                i++;
            run = 0;
        }
        if (i == len)
            break;
        unsigned char k = byte_class[s[i]];
        if (k == B_HIGH) {
            size_t n = utf8_seq(s + i, len - i);
            if (!n) {
                r->utf8_bad = i;
                break;
            }
            i += n;
            run = 0;
            continue;
        }
        if (k == B_NUL && r->nul_byte == SIZE_MAX)
            r->nul_byte = i;
        if (in_str) {
            if (k == B_QUOTE) {
                in_str = false;
            } else if (k == B_BSLASH && i + 1 < len && s[i + 1] < 0x80) {
                if (s[i + 1] == 'u' && i + 5 < len && memcmp(s + i + 2, "0000", 4) == 0 &&
                    r->nul_escape == SIZE_MAX)
                    r->nul_escape = i;
                if (s[i + 1] == 0 && r->nul_byte == SIZE_MAX)
                    r->nul_byte = i + 1;
                i++; /* the escaped character */
            }
            i++;
            continue;
        }
        switch (k) {
        case B_QUOTE: in_str = true; break;
        case B_OPEN:
            if (++depth > max)
                max = depth;
            break;
        case B_CLOSE: depth--; break;
        default: break;
        }
        run = k == B_DIGIT ? run + 1 : 0;
        if (run >= 16)
            r->long_digits = true;
        i++;
    }
    r->depth = max;
}

/* ------------------------------------------------------------ parser
 *
 * cJSON trees, parsed in one pass after the scan above: every peer's text
 * comes through here. It accepts what cJSON_ParseWithLengthOpts accepts and
 * builds the same tree (a property test compares them), with these
 * differences, each on input cJSON would mangle:
 *  - a \u escape with a non-hex digit is refused (cJSON decoded it as
 *    U+0000, cutting the string short);
 *  - an integer literal a double cannot hold exactly keeps its digits in
 *    `valuestring` (see pcfmcp__json_is_integer);
 *  - with mark_nul, \u0000 decodes to U+FFFD (see the header). */

typedef struct {
    const unsigned char *p, *end;
    bool mark_nul;
    bool oom;
    char decimal_point; /* strtod's, as cJSON does it */
} jparser;

static void skip_white(jparser *j)
{
    /* cJSON's whitespace: any byte up to 32 (NUL was refused by the scan). */
    while (j->p < j->end && *j->p <= 32)
        j->p++;
}

static cJSON *node(jparser *j, int type)
{
    cJSON *n = cJSON_CreateNull(); /* zeroed, through the library's hooks */
    if (!n) {
        j->oom = true;
        return NULL;
    }
    n->type = type;
    return n;
}

static int hex4(const unsigned char *h)
{
    int v = 0;
    for (int k = 0; k < 4; k++) {
        unsigned char c = h[k];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return -1;
        v = v << 4 | d;
    }
    return v;
}

static unsigned char *put_utf8(unsigned char *o, uint32_t cp)
{
    if (cp < 0x80) {
        *o++ = (unsigned char)cp;
    } else if (cp < 0x800) {
        *o++ = (unsigned char)(0xC0 | cp >> 6);
        *o++ = (unsigned char)(0x80 | (cp & 0x3F));
    } else if (cp < 0x10000) {
        *o++ = (unsigned char)(0xE0 | cp >> 12);
        *o++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (unsigned char)(0x80 | (cp & 0x3F));
    } else {
        *o++ = (unsigned char)(0xF0 | cp >> 18);
        *o++ = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
        *o++ = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
        *o++ = (unsigned char)(0x80 | (cp & 0x3F));
    }
    return o;
}

/* The string at j->p (its opening quote), decoded into a new allocation. */
static char *parse_string(jparser *j)
{
    const unsigned char *start = j->p + 1, *q = start;
    /* The common case: no escape, one copy. */
    while (q < j->end && *q != '"' && *q != '\\')
        q++;
    if (q < j->end && *q == '"') {
        size_t n = (size_t)(q - start);
        char *out = cJSON_malloc(n + 1);
        if (!out) {
            j->oom = true;
            return NULL;
        }
        memcpy(out, start, n);
        out[n] = '\0';
        j->p = q + 1;
        return out;
    }
    /* The closing quote: an escaped character never ends the string. */
    while (q < j->end && *q != '"') {
        if (*q == '\\' && j->end - q < 2)
            break;
        q += *q == '\\' ? 2 : 1;
    }
    if (q >= j->end || *q != '"') {
        j->p = j->end;
        return NULL;
    }
    const unsigned char *close = q;
    unsigned char *out = cJSON_malloc((size_t)(close - start) + 1), *o = out;
    if (!out) {
        j->oom = true;
        return NULL;
    }
    for (q = start; q < close;) {
        if (*q != '\\') {
            *o++ = *q++;
            continue;
        }
        switch (q[1]) {
        case 'b': *o++ = '\b'; q += 2; continue;
        case 'f': *o++ = '\f'; q += 2; continue;
        case 'n': *o++ = '\n'; q += 2; continue;
        case 'r': *o++ = '\r'; q += 2; continue;
        case 't': *o++ = '\t'; q += 2; continue;
        case '"': case '\\': case '/': *o++ = q[1]; q += 2; continue;
        case 'u': break;
        default: goto fail;
        }
        int cp = close - q >= 6 ? hex4(q + 2) : -1;
        if (cp < 0 || (cp >= 0xDC00 && cp <= 0xDFFF))
            goto fail;
        q += 6;
        if (cp >= 0xD800 && cp <= 0xDBFF) {
            int lo = close - q >= 6 && q[0] == '\\' && q[1] == 'u' ? hex4(q + 2) : -1;
            if (lo < 0xDC00 || lo > 0xDFFF)
                goto fail;
            cp = 0x10000 + (((cp & 0x3FF) << 10) | (lo & 0x3FF));
            q += 6;
        }
        if (cp == 0 && j->mark_nul)
            cp = 0xFFFD; /* shown, not cut at (the scan refused it otherwise) */
        o = put_utf8(o, (uint32_t)cp);
    }
    *o = '\0';
    j->p = close + 1;
    return (char *)out;
fail:
    cJSON_free(out);
    j->p = q;
    return NULL;
}

static cJSON *parse_number(jparser *j)
{
    /* What cJSON reads as a number: the run of [0-9+-.eE] (63 at most),
     * through strtod, which decides how much of it counts. */
    char num[64];
    size_t n = 0;
    while (n < sizeof(num) - 1 && j->p + n < j->end) {
        unsigned char c = j->p[n];
        if (!((c >= '0' && c <= '9') || c == '+' || c == '-' || c == 'e' || c == 'E' || c == '.'))
            break;
        num[n++] = c == '.' ? j->decimal_point : (char)c;
    }
    num[n] = '\0';
    char *after = NULL;
    double d = strtod(num, &after);
    size_t used = (size_t)(after - num);
    if (used == 0)
        return NULL;
    cJSON *v = node(j, cJSON_Number);
    if (!v)
        return NULL;
    v->valuedouble = d;
    v->valueint = d >= INT_MAX ? INT_MAX : d <= (double)INT_MIN ? INT_MIN : (int)d;
    if (fabs(d) >= 9007199254740992.0) {
        /* An integer literal beyond 2^53 keeps its digits. */
        size_t k = num[0] == '-';
        while (k < used && num[k] >= '0' && num[k] <= '9')
            k++;
        if (k == used && used > (size_t)(num[0] == '-')) {
            v->valuestring = cJSON_malloc(used + 1);
            if (!v->valuestring) {
                j->oom = true;
                cJSON_Delete(v);
                return NULL;
            }
            memcpy(v->valuestring, num, used);
            v->valuestring[used] = '\0';
        }
    }
    j->p += used;
    return v;
}

static cJSON *parse_value(jparser *j, int depth);

/* Members of an object or items of an array, from its opening bracket. */
static cJSON *parse_container(jparser *j, int depth, bool object)
{
    cJSON *c = node(j, object ? cJSON_Object : cJSON_Array);
    if (!c)
        return NULL;
    const unsigned char closing = object ? '}' : ']';
    j->p++;
    skip_white(j);
    if (j->p < j->end && *j->p == closing) {
        j->p++;
        return c;
    }
    cJSON *last = NULL;
    for (;;) {
        skip_white(j);
        char *key = NULL;
        if (object) {
            if (j->p >= j->end || *j->p != '"' || !(key = parse_string(j)))
                goto fail;
            skip_white(j);
            if (j->p >= j->end || *j->p != ':') {
                cJSON_free(key);
                goto fail;
            }
            j->p++;
            skip_white(j);
        }
        cJSON *v = parse_value(j, depth + 1);
        if (!v) {
            cJSON_free(key);
            goto fail;
        }
        v->string = key;
        if (last) {
            last->next = v;
            v->prev = last;
        } else {
            c->child = v;
        }
        last = v;
        c->child->prev = last; /* cJSON keeps the last item there */
        skip_white(j);
        if (j->p < j->end && *j->p == ',') {
            j->p++;
            continue;
        }
        if (j->p < j->end && *j->p == closing) {
            j->p++;
            return c;
        }
        goto fail;
    }
fail:
    cJSON_Delete(c);
    return NULL;
}

static cJSON *parse_value(jparser *j, int depth)
{
    size_t left = (size_t)(j->end - j->p);
    if (depth > 1000 || left == 0)
        return NULL; /* cJSON's own nesting limit, whatever the caller's */
    unsigned char c = *j->p;
    if (left >= 4 && memcmp(j->p, "null", 4) == 0) {
        j->p += 4;
        return node(j, cJSON_NULL);
    }
    if (left >= 5 && memcmp(j->p, "false", 5) == 0) {
        j->p += 5;
        return node(j, cJSON_False);
    }
    if (left >= 4 && memcmp(j->p, "true", 4) == 0) {
        j->p += 4;
        cJSON *t = node(j, cJSON_True);
        if (t)
            t->valueint = 1;
        return t;
    }
    if (c == '"') {
        char *str = parse_string(j);
        cJSON *v = str ? node(j, cJSON_String) : NULL;
        if (!v) {
            cJSON_free(str);
            return NULL;
        }
        v->valuestring = str;
        return v;
    }
    if (c == '-' || (c >= '0' && c <= '9'))
        return parse_number(j);
    if (c == '[' || c == '{')
        return parse_container(j, depth, c == '{');
    return NULL;
}

/* Member names of one object, sorted, to find one given twice. */
static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

/* True when some object in @p node names a member twice. Recursion is
 * bounded by the depth checked before parsing (and cJSON's own limit). */
static bool has_duplicate(const cJSON *node, bool *nomem)
{
    for (; node; node = node->next) {
        if (cJSON_IsObject(node) && node->child && node->child->next) {
            size_t n = 0;
            for (const cJSON *c = node->child; c; c = c->next)
                n++;
            if (n <= 8) {
                for (const cJSON *a = node->child; a; a = a->next)
                    for (const cJSON *b = a->next; b; b = b->next)
                        if (strcmp(a->string, b->string) == 0)
                            return true;
            } else {
                const char **names = pcfmcp__malloc(n * sizeof(*names));
                if (!names) {
                    *nomem = true;
                    return true;
                }
                size_t k = 0;
                for (const cJSON *c = node->child; c; c = c->next)
                    names[k++] = c->string;
                qsort(names, n, sizeof(*names), cmp_names);
                bool dup = false;
                for (k = 1; k < n && !dup; k++)
                    dup = strcmp(names[k - 1], names[k]) == 0;
                pcfmcp__free(names);
                if (dup)
                    return true;
            }
        }
        if (node->child && has_duplicate(node->child, nomem))
            return true;
    }
    return false;
}

static pcfmcp__json_status parse(const char *s, size_t len, int max_depth, bool mark_nul,
                                 bool unique, cJSON **out, size_t *err_off)
{
    *out = NULL;
    /* An empty body comes as (NULL, 0): no pointer arithmetic or C library
     * call may be given NULL, even for no bytes. */
    if (!s) {
        s = "";
        len = 0;
    }
    scan_result sr;
    scan(s, len, &sr);
    if (sr.utf8_bad != SIZE_MAX) {
        if (err_off)
            *err_off = sr.utf8_bad;
        return PCFMCP__JSON_UTF8;
    }
    if (max_depth > 0 && sr.depth > max_depth)
        return PCFMCP__JSON_DEPTH;
    /* An embedded NUL would cut a C string short. */
    if (sr.nul_byte != SIZE_MAX) {
        if (err_off)
            *err_off = sr.nul_byte;
        return PCFMCP__JSON_SYNTAX;
    }
    if (sr.nul_escape != SIZE_MAX && !mark_nul) {
        if (err_off)
            *err_off = sr.nul_escape;
        return PCFMCP__JSON_NUL;
    }
    struct lconv *lc = localeconv();
    jparser j = { (const unsigned char *)s, (const unsigned char *)s + len, mark_nul, false,
                  lc && lc->decimal_point && *lc->decimal_point ? *lc->decimal_point : '.' };
    /* A UTF-8 byte order mark is skipped, as cJSON does (when more follows). */
    if (len > 4 && memcmp(s, "\xEF\xBB\xBF", 3) == 0)
        j.p += 3;
    skip_white(&j);
    cJSON *v = parse_value(&j, 1);
    if (!v) {
        if (err_off)
            *err_off = (size_t)(j.p - (const unsigned char *)s);
        return j.oom ? PCFMCP__JSON_NOMEM : PCFMCP__JSON_SYNTAX;
    }
    for (const unsigned char *t = j.p; t < j.end; t++) {
        if (*t != ' ' && *t != '\t' && *t != '\r' && *t != '\n') {
            cJSON_Delete(v);
            if (err_off)
                *err_off = (size_t)(t - (const unsigned char *)s);
            return PCFMCP__JSON_SYNTAX;
        }
    }
    bool nomem = false;
    if (unique && has_duplicate(v, &nomem)) {
        cJSON_Delete(v);
        if (err_off)
            *err_off = 0;
        return nomem ? PCFMCP__JSON_NOMEM : PCFMCP__JSON_DUPLICATE;
    }
    *out = v;
    return PCFMCP__JSON_OK;
}

pcfmcp__json_status pcfmcp__json_parse(const char *s, size_t len, int max_depth, cJSON **out,
                                       size_t *err_off)
{
    return parse(s, len, max_depth, false, true, out, err_off);
}

pcfmcp__json_status pcfmcp__json_parse_marking_nul(const char *s, size_t len, int max_depth,
                                                   cJSON **out, size_t *err_off)
{
    return parse(s, len, max_depth, true, false, out, err_off);
}

void pcfmcp__json_mark_nul(char *s, size_t len)
{
    bool in_str = false;
    for (size_t i = 0; i < len; i++) {
        if (!in_str) {
            in_str = s[i] == '"';
        } else if (s[i] == '"') {
            in_str = false;
        } else if (s[i] == '\\' && i + 1 < len) {
            /* An escape pair is consumed whole: `\\u0000` is no U+0000. */
            if (s[i + 1] == 'u' && i + 5 < len && memcmp(s + i + 2, "0000", 4) == 0)
                memcpy(s + i + 2, "fffd", 4);
            i++;
        }
    }
}

cJSON *pcfmcp__json_parse_text(const char *text, int max_depth)
{
    cJSON *out = NULL;
    if (!text || pcfmcp__json_parse(text, strlen(text), max_depth, &out, NULL) != PCFMCP__JSON_OK)
        return NULL;
    return out;
}

const char *pcfmcp__json_status_text(pcfmcp__json_status st)
{
    switch (st) {
    case PCFMCP__JSON_OK: return "ok";
    case PCFMCP__JSON_SYNTAX: return "invalid JSON";
    case PCFMCP__JSON_UTF8: return "invalid UTF-8";
    case PCFMCP__JSON_DEPTH: return "JSON nested too deeply";
    case PCFMCP__JSON_NOMEM: return "out of memory";
    case PCFMCP__JSON_NUL: return "a string contains U+0000 (\\u0000), which is not accepted";
    case PCFMCP__JSON_DUPLICATE: return "an object names the same member twice";
    }
    return "invalid JSON";
}

const char *pcfmcp__json_str(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsString(v) ? v->valuestring : NULL;
}

bool pcfmcp__json_str_is(const cJSON *obj, const char *key, const char *s)
{
    const char *v = pcfmcp__json_str(obj, key);
    return v && s && strcmp(v, s) == 0;
}

const cJSON *pcfmcp__json_obj(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsObject(v) ? v : NULL;
}

const cJSON *pcfmcp__json_arr(const cJSON *obj, const char *key)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsArray(v) ? v : NULL;
}

bool pcfmcp__json_bool(const cJSON *obj, const char *key, bool fallback)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsBool(v) ? cJSON_IsTrue(v) : fallback;
}

double pcfmcp__json_num(const cJSON *obj, const char *key, double fallback)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    return cJSON_IsNumber(v) ? v->valuedouble : fallback;
}

int pcfmcp__json_int(const cJSON *obj, const char *key, int fallback)
{
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(obj, key);
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
        return fallback;
    double d = trunc(v->valuedouble);
    return d >= (double)INT_MAX ? INT_MAX : d <= (double)INT_MIN ? INT_MIN : (int)d;
}

bool pcfmcp__json_is_integer(const cJSON *item)
{
    if (!cJSON_IsNumber(item))
        return false;
    if (item->valuestring)
        return true; /* an integer literal beyond 2^53, kept as text */
    double d = item->valuedouble;
    return isfinite(d) && floor(d) == d && fabs(d) <= 9007199254740992.0;
}

bool pcfmcp__json_int64(const cJSON *item, int64_t *out)
{
    if (!pcfmcp__json_is_integer(item))
        return false;
    if (item->valuestring) { /* past 2^53: the literal's own digits */
        errno = 0;
        char *end = NULL;
        long long v = strtoll(item->valuestring, &end, 10);
        if (errno == ERANGE || !end || *end)
            return false;
        *out = v;
        return true;
    }
    *out = (int64_t)item->valuedouble; /* within +-2^53: exact */
    return true;
}

cJSON *pcfmcp__json_dup_exact(const cJSON *item)
{
    if (cJSON_IsNumber(item) && item->valuestring)
        return cJSON_CreateRaw(item->valuestring);
    return cJSON_Duplicate(item, true);
}

/* cJSON_PrintUnformatted's number format, digit for digit, so text
 * written here and text cJSON wrote compare equal: 15 significant digits
 * unless a value needs 17 to read back the same (integers within an int,
 * which print the same either way, skip printf; -0 keeps its sign). */
static void write_number(pcfmcp__buf *b, const cJSON *v)
{
    double d = v->valuedouble;
    char num[32];
    int n;
    if (isnan(d) || isinf(d)) {
        pcfmcp__buf_append(b, "null", 4);
        return;
    }
    if (d == (double)v->valueint && !(d == 0 && signbit(d))) {
        /* The common case (counts, timestamps): no printf. */
        char *e = num + sizeof(num), *p = e;
        long long x = v->valueint;
        unsigned long long u = x < 0 ? 0ULL - (unsigned long long)x : (unsigned long long)x;
        do {
            *--p = (char)('0' + u % 10);
            u /= 10;
        } while (u);
        if (x < 0)
            *--p = '-';
        pcfmcp__buf_append(b, p, (size_t)(e - p));
        return;
    }
    n = snprintf(num, sizeof(num), "%1.15g", d);
    double back = strtod(num, NULL);
    double max = fmax(fabs(back), fabs(d));
    if (!(fabs(back - d) <= max * DBL_EPSILON))
        n = snprintf(num, sizeof(num), "%1.17g", d);
    pcfmcp__buf_append(b, num, n > 0 ? (size_t)n : 0);
}

static bool write_value(pcfmcp__buf *b, const cJSON *v, int depth)
{
    if (depth > 10000)
        return false; /* deeper than any tree this library builds or parses */
    switch (v->type & 0xFF) {
    case cJSON_NULL: pcfmcp__buf_append(b, "null", 4); return true;
    case cJSON_False: pcfmcp__buf_append(b, "false", 5); return true;
    case cJSON_True: pcfmcp__buf_append(b, "true", 4); return true;
    case cJSON_Number: write_number(b, v); return true;
    case cJSON_String: {
        const char *s = v->valuestring ? v->valuestring : "";
        pcfmcp__buf_json_string(b, s, strlen(s));
        return true;
    }
    case cJSON_Raw:
        if (!v->valuestring)
            return false;
        pcfmcp__buf_puts(b, v->valuestring);
        return true;
    case cJSON_Array:
    case cJSON_Object: {
        bool obj = (v->type & 0xFF) == cJSON_Object;
        pcfmcp__buf_putc(b, obj ? '{' : '[');
        for (const cJSON *c = v->child; c; c = c->next) {
            if (c != v->child)
                pcfmcp__buf_putc(b, ',');
            if (obj) {
                if (!c->string)
                    return false;
                pcfmcp__buf_json_string(b, c->string, strlen(c->string));
                pcfmcp__buf_putc(b, ':');
            }
            if (!write_value(b, c, depth + 1))
                return false;
        }
        pcfmcp__buf_putc(b, obj ? '}' : ']');
        return true;
    }
    default: return false;
    }
}

bool pcfmcp__json_write(pcfmcp__buf *b, const cJSON *item)
{
    if (!item || !write_value(b, item, 0))
        b->failed = true;
    return pcfmcp__buf_ok(b);
}

char *pcfmcp__json_print(const cJSON *item, size_t *len)
{
    pcfmcp__buf b;
    pcfmcp__buf_init(&b);
    pcfmcp__json_write(&b, item);
    return pcfmcp__buf_steal(&b, len);
}

void pcfmcp__json_append(pcfmcp__buf *b, const cJSON *item)
{
    pcfmcp__json_write(b, item);
}

cJSON *pcfmcp__json_parse_object(const char *s, size_t len)
{
    cJSON *j = NULL;
    if (pcfmcp__json_parse(s, len, 128, &j, NULL) != PCFMCP__JSON_OK)
        return NULL;
    if (!cJSON_IsObject(j)) {
        cJSON_Delete(j);
        return NULL;
    }
    return j;
}

bool pcfmcp__json_equal(const cJSON *a, const cJSON *b)
{
    return cJSON_Compare(a, b, true) != 0;
}

bool pcfmcp__json_put(cJSON *obj, const char *key, cJSON *item)
{
    if (!item)
        return false;
    bool ok = obj && (key ? cJSON_AddItemToObject(obj, key, item) : cJSON_AddItemToArray(obj, item));
    if (!ok)
        cJSON_Delete(item);
    return ok;
}

bool pcfmcp__json_put_str(cJSON *obj, const char *key, const char *s)
{
    return pcfmcp__json_put(obj, key, s ? cJSON_CreateString(s) : NULL);
}

bool pcfmcp__json_put_num(cJSON *obj, const char *key, double n)
{
    return pcfmcp__json_put(obj, key, cJSON_CreateNumber(n));
}

bool pcfmcp__json_put_bool(cJSON *obj, const char *key, bool b)
{
    return pcfmcp__json_put(obj, key, cJSON_CreateBool(b));
}

bool pcfmcp__json_replace(cJSON *obj, const char *key, cJSON *item)
{
    if (!item || !obj || !key) {
        cJSON_Delete(item);
        return false;
    }
    if (!cJSON_GetObjectItemCaseSensitive(obj, key))
        return pcfmcp__json_put(obj, key, item);
    if (!cJSON_ReplaceItemInObjectCaseSensitive(obj, key, item)) {
        cJSON_Delete(item);
        return false;
    }
    return true;
}
