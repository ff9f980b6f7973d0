/* Pentest data is hostile data: banners, page titles, scanner output and
 * PoC text come from the systems under test and reach a model through us.
 * Everything taken from PCF passes through here before it is shown. */
#include "core/internal.h"

#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/json.h"
#include "tools/toolset.h"

/* Decodes one UTF-8 sequence; returns its length, or 0 for an invalid one. */
static size_t utf8_next(const unsigned char *s, size_t n, uint32_t *cp)
{
    unsigned char c = s[0];
    if (c < 0x80) {
        *cp = c;
        return 1;
    }
    size_t len;
    uint32_t v, min;
    if ((c & 0xE0) == 0xC0) {
        len = 2;
        v = c & 0x1F;
        min = 0x80;
    } else if ((c & 0xF0) == 0xE0) {
        len = 3;
        v = c & 0x0F;
        min = 0x800;
    } else if ((c & 0xF8) == 0xF0) {
        len = 4;
        v = c & 0x07;
        min = 0x10000;
    } else {
        return 0;
    }
    if (len > n)
        return 0;
    for (size_t i = 1; i < len; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        v = (v << 6) | (s[i] & 0x3F);
    }
    if (v < min || v > 0x10FFFF || (v >= 0xD800 && v <= 0xDFFF))
        return 0;
    *cp = v;
    return len;
}

/* Characters that change how text is displayed or read without being
 * visible: controls, format characters (bidi overrides, zero-width, tags,
 * Arabic number signs), default-ignorable code points (variation selectors,
 * Hangul fillers, Mongolian selectors). The ranges are generated from the
 * Unicode Character Database by scripts/gen-invisible-table.py. */
static const struct {
    uint32_t lo, hi;
} invisible_ranges[] = {
#include "tools/invisible.inc"
};

bool pcfmcp__tools_invisible(uint32_t cp)
{
    size_t lo = 0, hi = PCFMCP_ARRAY_LEN(invisible_ranges);
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (cp < invisible_ranges[mid].lo)
            hi = mid;
        else if (cp > invisible_ranges[mid].hi)
            lo = mid + 1;
        else
            return true;
    }
    return false;
}

const char *pcfmcp__tools_unicode_version(void)
{
    return PCFMCP_INVISIBLE_UNICODE_VERSION;
}

/* Length of an ANSI/VT escape sequence starting at s[0] == ESC. */
static size_t escape_len(const unsigned char *s, size_t n)
{
    if (n < 2)
        return 1;
    size_t i = 2;
    if (s[1] == '[') { /* CSI: parameters, intermediates, one final byte */
        while (i < n && s[i] >= 0x20 && s[i] <= 0x3F)
            i++;
        while (i < n && s[i] >= 0x20 && s[i] <= 0x2F)
            i++;
        return i < n && s[i] >= 0x40 && s[i] <= 0x7E ? i + 1 : i;
    }
    if (s[1] == ']' || s[1] == 'P' || s[1] == '_' || s[1] == '^' || s[1] == 'X') {
        /* OSC/DCS/APC/PM/SOS: up to BEL or ST (ESC \) */
        while (i < n) {
            if (s[i] == 0x07)
                return i + 1;
            if (s[i] == 0x1B && i + 1 < n && s[i + 1] == '\\')
                return i + 2;
            i++;
        }
        return n;
    }
    return 2;
}

/* Whether the 8 bytes in @p x are all printable ASCII (0x20..0x7E). */
static inline bool printable8(uint64_t x)
{
    const uint64_t ones = 0x0101010101010101ULL, highs = 0x8080808080808080ULL;
    uint64_t del = x ^ (0x7F * ones);
    /* Bytes >= 0x80; then (with none of those) bytes < 0x20 and bytes == 0x7F. */
    return !((x & highs) | ((x - 0x20 * ones) & ~x & highs) | ((del - ones) & ~del & highs));
}

bool pcfmcp__tools_is_clean(const char *str, size_t n, size_t max_chars)
{
    const unsigned char *s = (const unsigned char *)(str ? str : "");
    size_t chars = 0, i = 0;
    while (i < n) {
        /* Eight plain characters at a time, the bulk of any text. */
        while (i + 8 <= n) {
            uint64_t x;
            memcpy(&x, s + i, 8);
            if (!printable8(x))
                break;
            i += 8;
            chars += 8;
        }
        if (i == n)
            break;
        unsigned char c = s[i];
        /* Printable ASCII, the bulk of PCF text: one compare per byte. */
        if ((c >= 0x20 && c < 0x7F) || c == '\n' || c == '\t') {
            i++;
            chars++;
            continue;
        }
        if (c < 0x80)
            return false; /* ESC, CR, DEL, other controls */
        uint32_t cp;
        size_t len = utf8_next(s + i, n - i, &cp);
        if (len == 0 || cp == 0x2028 || cp == 0x2029 || pcfmcp__tools_invisible(cp))
            return false;
        i += len;
        chars++;
    }
    return chars <= max_chars;
}

char *pcfmcp__tools_clean(const char *str, size_t n, size_t max_chars)
{
    const unsigned char *s = (const unsigned char *)(str ? str : "");
    /* Text the cleaner would leave as it is (most of it) is copied whole. */
    if (pcfmcp__tools_is_clean(str, n, max_chars))
        return pcfmcp__strndup((const char *)s, n);
    pcfmcp__buf b;
    pcfmcp__buf_init(&b);
    pcfmcp__buf_reserve(&b, n < 4096 ? n + 1 : 4096);
    size_t chars = 0, cut = 0, i = 0;
    while (i < n) {
        uint32_t cp;
        size_t len;
        if (s[i] == 0x1B) {
            i += escape_len(s + i, n - i);
            continue;
        }
        len = utf8_next(s + i, n - i, &cp);
        if (len == 0) {
            cp = 0xFFFD;
            len = 1;
        }
        const unsigned char *at = s + i;
        i += len;
        if (cp == '\r') {
            if (i < n && s[i] == '\n')
                continue;
            cp = '\n';
        }
        if (cp == 0x2028 || cp == 0x2029)
            cp = '\n';
        if (cp != '\n' && cp != '\t' && pcfmcp__tools_invisible(cp))
            continue;
        if (chars >= max_chars) {
            cut++;
            continue;
        }
        chars++;
        if (cp == 0xFFFD && len == 1)
            pcfmcp__buf_puts(&b, "\xEF\xBF\xBD");
        else if (cp == '\n' && *at != '\n')
            pcfmcp__buf_putc(&b, '\n');
        else
            pcfmcp__buf_append(&b, at, len);
    }
    if (cut)
        pcfmcp__buf_printf(&b, " [... %zu more characters cut]", cut);
    pcfmcp__buf_append(&b, "", 0);
    return pcfmcp__buf_steal(&b, NULL);
}

static bool clean_string(char **slot, size_t max_chars)
{
    char *old = *slot;
    if (!old || pcfmcp__tools_is_clean(old, strlen(old), max_chars))
        return true;
    char *c = pcfmcp__tools_clean(old, strlen(old), max_chars);
    if (!c)
        return false;
    /* cJSON allocates through the library's hooks (core/global.c), so a
     * string from pcfmcp__malloc can take the old one's place. */
    cJSON_free(old);
    *slot = c;
    return true;
}

static bool clean_node(cJSON *node, size_t max_chars, int depth)
{
    bool ok = true;
    for (; node; node = node->next) {
        if (node->string && !(node->type & cJSON_StringIsConst))
            ok = clean_string(&node->string, 256) && ok;
        if (cJSON_IsString(node))
            ok = clean_string(&node->valuestring, max_chars) && ok;
        if (node->child && depth < 200)
            ok = clean_node(node->child, max_chars, depth + 1) && ok;
        else if (node->child)
            ok = false;
    }
    return ok;
}

bool pcfmcp__tools_clean_tree(cJSON *tree, size_t max_chars)
{
    if (!tree)
        return true;
    bool ok = true;
    if (cJSON_IsString(tree))
        ok = clean_string(&tree->valuestring, max_chars);
    return clean_node(tree->child, max_chars, 1) && ok;
}

void pcfmcp__tools_fence(pcfmcp__buf *b, const char *text, size_t n)
{
    size_t run = 0, longest = 0;
    for (size_t i = 0; i < n; i++) {
        run = text[i] == '`' ? run + 1 : 0;
        if (run > longest)
            longest = run;
    }
    size_t ticks = longest < 3 ? 3 : longest + 1;
    for (size_t i = 0; i < ticks; i++)
        pcfmcp__buf_putc(b, '`');
    pcfmcp__buf_puts(b, "untrusted-data\n");
    pcfmcp__buf_append(b, text, n);
    if (n == 0 || text[n - 1] != '\n')
        pcfmcp__buf_putc(b, '\n');
    for (size_t i = 0; i < ticks; i++)
        pcfmcp__buf_putc(b, '`');
    pcfmcp__buf_putc(b, '\n');
}

static bool scalar(const cJSON *v)
{
    return !cJSON_IsObject(v) && !cJSON_IsArray(v);
}

static void put_scalar(pcfmcp__buf *b, const cJSON *v)
{
    if (cJSON_IsString(v)) {
        /* Multi-line values stay readable but cannot fake a new key. */
        const char *p = v->valuestring, *nl;
        while ((nl = strchr(p, '\n')) != NULL) {
            pcfmcp__buf_append(b, p, (size_t)(nl - p));
            pcfmcp__buf_append(b, " / ", 3);
            p = nl + 1;
        }
        pcfmcp__buf_puts(b, p);
    } else if (cJSON_IsNumber(v)) {
        /* PCF's numbers may be anything, infinity included: only integers
         * that fit are converted. */
        int64_t iv = 0;
        if (pcfmcp__json_int64(v, &iv) && iv < INT64_C(1000000000000000) &&
            iv > -INT64_C(1000000000000000))
            pcfmcp__buf_printf(b, "%lld", (long long)iv);
        else
            pcfmcp__buf_printf(b, "%g", v->valuedouble);
    } else if (cJSON_IsBool(v)) {
        pcfmcp__buf_puts(b, cJSON_IsTrue(v) ? "true" : "false");
    } else {
        pcfmcp__buf_puts(b, "null");
    }
}

static bool all_scalars(const cJSON *arr)
{
    const cJSON *x;
    cJSON_ArrayForEach(x, arr) if (!scalar(x)) return false;
    return true;
}

static void indent_to(pcfmcp__buf *b, int n)
{
    static const char spaces[] = "                          "; /* 2 * 13: render stops past 12 */
    pcfmcp__buf_append(b, spaces, 2 * (size_t)(n < 13 ? n : 13));
}

static bool skipped(const char *key, const char *const *skip)
{
    for (; skip && *skip; skip++)
        if (key && strcmp(key, *skip) == 0)
            return true;
    return false;
}

void pcfmcp__tools_render(pcfmcp__buf *b, const cJSON *v, int indent)
{
    pcfmcp__tools_render_except(b, v, indent, NULL);
}

void pcfmcp__tools_render_except(pcfmcp__buf *b, const cJSON *v, int indent,
                                 const char *const *skip)
{
    if (indent > 12)
        return;
    const cJSON *x;
    if (cJSON_IsObject(v)) {
        cJSON_ArrayForEach(x, v) {
            if (skip && skipped(x->string, skip))
                continue;
            indent_to(b, indent);
            /* Member names come from PCF too (custom fields): one line each. */
            const char *k = x->string ? x->string : "";
            size_t kn = strcspn(k, "\n\t");
            pcfmcp__buf_append(b, k, kn);
            for (k += kn; *k; k++)
                pcfmcp__buf_putc(b, *k == '\n' || *k == '\t' ? ' ' : *k);
            pcfmcp__buf_putc(b, ':');
            if (scalar(x)) {
                pcfmcp__buf_putc(b, ' ');
                put_scalar(b, x);
                pcfmcp__buf_putc(b, '\n');
            } else if (cJSON_IsArray(x) && all_scalars(x)) {
                pcfmcp__buf_puts(b, " [");
                const cJSON *y;
                bool first = true;
                cJSON_ArrayForEach(y, x) {
                    if (!first)
                        pcfmcp__buf_puts(b, ", ");
                    first = false;
                    put_scalar(b, y);
                }
                pcfmcp__buf_puts(b, "]\n");
            } else if (cJSON_GetArraySize(x) == 0) {
                pcfmcp__buf_puts(b, cJSON_IsArray(x) ? " []\n" : " {}\n");
            } else {
                pcfmcp__buf_putc(b, '\n');
                pcfmcp__tools_render(b, x, indent + 1);
            }
        }
    } else if (cJSON_IsArray(v)) {
        cJSON_ArrayForEach(x, v) {
            indent_to(b, indent);
            pcfmcp__buf_puts(b, "-");
            if (scalar(x)) {
                pcfmcp__buf_putc(b, ' ');
                put_scalar(b, x);
                pcfmcp__buf_putc(b, '\n');
            } else {
                pcfmcp__buf_putc(b, '\n');
                pcfmcp__tools_render(b, x, indent + 1);
            }
        }
    } else {
        indent_to(b, indent);
        put_scalar(b, v);
        pcfmcp__buf_putc(b, '\n');
    }
}
