/* ECMA-262 patterns on PCRE2 (see regex.h). The rewrite walks the pattern
 * once, token by token, and copies it with the changes regex.h lists;
 * everything else (groups, alternation, quantifiers, backreferences,
 * lookaround, property escapes) PCRE2 parses and checks itself. */
#include "core/internal.h"

#include <stdio.h>
#include <string.h>

#define PCRE2_CODE_UNIT_WIDTH 8
#include <pcre2.h>

#include "core/alloc.h"
#include "core/util.h"
#include "mcp/regex.h"

struct pcfmcp__regex {
    pcre2_general_context *gen;
    pcre2_match_context *mctx;
    pcre2_code *code;
};

/* ECMA-262 WhiteSpace and LineTerminator, as PCRE2 class ranges (\u{..}:
 * with PCRE2_ALT_BSUX, \x takes exactly two hex digits). */
#define SPACE_RANGES                                                                               \
    "\\t-\\r \\u{a0}\\u{1680}\\u{2000}-\\u{200a}\\u{2028}\\u{2029}\\u{202f}\\u{205f}\\u{3000}"     \
    "\\u{feff}"
/* Everything else, for \S inside a class. */
#define NONSPACE_RANGES                                                                            \
    "\\u{0}-\\u{8}\\u{e}-\\u{1f}!-\\u{9f}\\u{a1}-\\u{167f}\\u{1681}-\\u{1fff}\\u{200b}-\\u{2027}"   \
    "\\u{202a}-\\u{202e}\\u{2030}-\\u{205e}\\u{2060}-\\u{2fff}\\u{3001}-\\u{fefe}"                 \
    "\\u{ff00}-\\u{10ffff}"
/* "." in ECMA-262 is any code point but a line terminator. */
#define DOT "[^\\n\\r\\u{2028}\\u{2029}]"

typedef struct {
    const char *p;
    size_t n, i;
    pcfmcp__buf *out;
    pcfmcp__buf *map; /* size_t per output byte: the source offset it came from */
    size_t tok;       /* source offset of the token being copied */
    const char *why;
    size_t at;
} tr;

/* Records the source offset of every byte written since the last call. */
static void sync_map(tr *t)
{
    if (!t->map)
        return;
    while (t->map->len / sizeof(size_t) < t->out->len && pcfmcp__buf_ok(t->map))
        pcfmcp__buf_append(t->map, &t->tok, sizeof(t->tok));
}

static bool fail(tr *t, size_t at, const char *why)
{
    if (!t->why) {
        t->why = why;
        t->at = at;
    }
    return false;
}

static int hexval(char c)
{
    return pcfmcp__hexval((unsigned char)c);
}

/* Reads @p digits hex digits at @p at. */
static bool hex_at(const tr *t, size_t at, size_t digits, unsigned long *v)
{
    if (at + digits > t->n)
        return false;
    *v = 0;
    for (size_t k = 0; k < digits; k++) {
        int h = hexval(t->p[at + k]);
        if (h < 0)
            return false;
        *v = (*v << 4) | (unsigned long)h;
    }
    return true;
}

/* General categories by their long names (ECMA-262 accepts both). */
static const struct {
    const char *lng, *shrt;
} categories[] = {
    { "Cased_Letter", "LC" },        { "Close_Punctuation", "Pe" },
    { "Connector_Punctuation", "Pc" }, { "Control", "Cc" },
    { "Currency_Symbol", "Sc" },     { "Dash_Punctuation", "Pd" },
    { "Decimal_Number", "Nd" },      { "Enclosing_Mark", "Me" },
    { "Final_Punctuation", "Pf" },   { "Format", "Cf" },
    { "Initial_Punctuation", "Pi" }, { "Letter", "L" },
    { "Letter_Number", "Nl" },       { "Line_Separator", "Zl" },
    { "Lowercase_Letter", "Ll" },    { "Mark", "M" },
    { "Math_Symbol", "Sm" },         { "Modifier_Letter", "Lm" },
    { "Modifier_Symbol", "Sk" },     { "Nonspacing_Mark", "Mn" },
    { "Number", "N" },               { "Open_Punctuation", "Ps" },
    { "Other", "C" },                { "Other_Letter", "Lo" },
    { "Other_Number", "No" },        { "Other_Punctuation", "Po" },
    { "Other_Symbol", "So" },        { "Paragraph_Separator", "Zp" },
    { "Private_Use", "Co" },         { "Punctuation", "P" },
    { "Separator", "Z" },            { "Space_Separator", "Zs" },
    { "Spacing_Mark", "Mc" },        { "Surrogate", "Cs" },
    { "Symbol", "S" },               { "Titlecase_Letter", "Lt" },
    { "Unassigned", "Cn" },          { "Uppercase_Letter", "Lu" },
    { "digit", "Nd" },               { "punct", "P" },
    { "Combining_Mark", "M" },
};

/* \p{...} / \P{...} at t->i (the backslash): ECMA-262 writes
 * General_Category=Letter, gc=L, Letter, L, Script=Greek, sc=Greek,
 * Script_Extensions=Greek, scx=Greek or a binary property; PCRE2 knows the
 * short category names, Script= and scx=, and the binary properties. */
static bool property(tr *t)
{
    size_t start = t->i;
    char kind = t->p[t->i + 1];
    size_t k = t->i + 2;
    if (k >= t->n || t->p[k] != '{')
        return fail(t, start, "\\p and \\P need a {property}");
    size_t open = k + 1, close = open;
    while (close < t->n && t->p[close] != '}')
        close++;
    if (close >= t->n || close == open || close - open > 64)
        return fail(t, start, "invalid \\p{...} escape");
    char name[80];
    snprintf(name, sizeof(name), "%.*s", (int)(close - open), t->p + open);
    for (const char *c = name; *c; c++)
        if (!((*c >= 'a' && *c <= 'z') || (*c >= 'A' && *c <= 'Z') || (*c >= '0' && *c <= '9') ||
              *c == '_' || *c == '='))
            return fail(t, start, "invalid \\p{...} escape");
    const char *value = name, *eq = strchr(name, '=');
    char prefix[40] = "";
    if (eq) {
        snprintf(prefix, sizeof(prefix), "%.*s", (int)(eq - name), name);
        value = eq + 1;
        if (strcmp(prefix, "General_Category") == 0 || strcmp(prefix, "gc") == 0)
            prefix[0] = '\0';
        else if (strcmp(prefix, "Script") == 0 || strcmp(prefix, "sc") == 0)
            snprintf(prefix, sizeof(prefix), "sc");
        else if (strcmp(prefix, "Script_Extensions") == 0 || strcmp(prefix, "scx") == 0)
            snprintf(prefix, sizeof(prefix), "scx");
        else
            return fail(t, start, "unknown Unicode property in \\p{...}");
        if (!*value)
            return fail(t, start, "invalid \\p{...} escape");
    }
    if (!prefix[0])
        for (size_t c = 0; c < PCFMCP_ARRAY_LEN(categories); c++)
            if (strcmp(value, categories[c].lng) == 0) {
                value = categories[c].shrt;
                break;
            }
    pcfmcp__buf_printf(t->out, "\\%c{%s%s%s}", kind, prefix, prefix[0] ? "=" : "", value);
    t->i = close + 1;
    return true;
}

/* A backslash escape at t->i, inside a class or not. */
static bool escape(tr *t, bool in_class)
{
    size_t start = t->i;
    if (t->i + 1 >= t->n)
        return fail(t, start, "pattern ends with a backslash");
    char e = t->p[t->i + 1];
    unsigned long v, lo;
    switch (e) {
    case 'd': case 'D': case 'w': case 'W': /* ASCII: no PCRE2_UCP */
    case 't': case 'n': case 'r': case 'f':
        pcfmcp__buf_append(t->out, t->p + t->i, 2);
        t->i += 2;
        return true;
    case 'b': /* a word boundary; inside a class, backspace: PCRE2 agrees */
        pcfmcp__buf_append(t->out, t->p + t->i, 2);
        t->i += 2;
        return true;
    case 'B':
        if (in_class)
            return fail(t, start, "\\B is not allowed in a character class");
        pcfmcp__buf_puts(t->out, "\\B");
        t->i += 2;
        return true;
    case 's':
        pcfmcp__buf_puts(t->out, in_class ? SPACE_RANGES : "[" SPACE_RANGES "]");
        t->i += 2;
        return true;
    case 'S':
        pcfmcp__buf_puts(t->out, in_class ? NONSPACE_RANGES : "[^" SPACE_RANGES "]");
        t->i += 2;
        return true;
    case 'v': /* U+000B in ECMA-262; PCRE2's \v is a class of vertical space */
        pcfmcp__buf_puts(t->out, "\\x0b");
        t->i += 2;
        return true;
    case '0':
        if (t->i + 2 < t->n && t->p[t->i + 2] >= '0' && t->p[t->i + 2] <= '9')
            return fail(t, start, "octal escapes are not supported");
        pcfmcp__buf_puts(t->out, "\\x00");
        t->i += 2;
        return true;
    case 'c':
        if (t->i + 2 < t->n && ((t->p[t->i + 2] >= 'a' && t->p[t->i + 2] <= 'z') ||
                                (t->p[t->i + 2] >= 'A' && t->p[t->i + 2] <= 'Z'))) {
            pcfmcp__buf_printf(t->out, "\\x%02x", (unsigned)(t->p[t->i + 2] % 32));
            t->i += 3;
            return true;
        }
        return fail(t, start, "invalid \\c escape");
    case 'x':
        if (!hex_at(t, t->i + 2, 2, &v))
            return fail(t, start, "invalid \\x escape (expected two hex digits)");
        pcfmcp__buf_append(t->out, t->p + t->i, 4);
        t->i += 4;
        return true;
    case 'u':
        if (t->i + 2 < t->n && t->p[t->i + 2] == '{') {
            size_t k = t->i + 3, digits = 0;
            v = 0;
            while (k < t->n && hexval(t->p[k]) >= 0 && digits < 8) {
                v = (v << 4) | (unsigned long)hexval(t->p[k]);
                k++;
                digits++;
            }
            if (!digits || k >= t->n || t->p[k] != '}' || v > 0x10FFFF)
                return fail(t, start, "invalid \\u{...} escape");
            if (v >= 0xD800 && v <= 0xDFFF)
                return fail(t, start, "a lone surrogate cannot be matched in UTF-8 text");
            pcfmcp__buf_printf(t->out, "\\u{%lx}", v);
            t->i = k + 1;
            return true;
        }
        if (!hex_at(t, t->i + 2, 4, &v))
            return fail(t, start, "invalid \\u escape (expected four hex digits)");
        t->i += 6;
        /* A surrogate pair written as two escapes is one code point. */
        if (v >= 0xD800 && v <= 0xDBFF && t->i + 6 <= t->n && t->p[t->i] == '\\' &&
            t->p[t->i + 1] == 'u' && hex_at(t, t->i + 2, 4, &lo) && lo >= 0xDC00 && lo <= 0xDFFF) {
            v = 0x10000 + ((v - 0xD800) << 10) + (lo - 0xDC00);
            t->i += 6;
        } else if (v >= 0xD800 && v <= 0xDFFF) {
            return fail(t, start, "a lone surrogate cannot be matched in UTF-8 text");
        }
        pcfmcp__buf_printf(t->out, "\\u{%lx}", v);
        return true;
    case 'p':
    case 'P': return property(t);
    case 'k':
        if (in_class)
            break;
        /* \k<name>: PCRE2 checks that the group exists. */
        pcfmcp__buf_puts(t->out, "\\k");
        t->i += 2;
        return true;
    case '-':
        if (!in_class)
            break;
        pcfmcp__buf_puts(t->out, "\\-");
        t->i += 2;
        return true;
    default: break;
    }
    if (!in_class && e >= '1' && e <= '9') { /* a backreference; PCRE2 checks the group */
        pcfmcp__buf_append(t->out, t->p + t->i, 2);
        t->i += 2;
        return true;
    }
    if (e && strchr("^$\\.*+?()[]{}|/", e)) {
        pcfmcp__buf_append(t->out, t->p + t->i, 2);
        t->i += 2;
        return true;
    }
    return fail(t, start, "unknown escape");
}

/* A bracket class at t->i. */
static bool class(tr *t)
{
    size_t start = t->i;
    pcfmcp__buf_putc(t->out, '[');
    t->i++;
    if (t->i < t->n && t->p[t->i] == '^') {
        pcfmcp__buf_putc(t->out, '^');
        t->i++;
    }
    /* "[]" and "[^]" are empty and full classes (PCRE2_ALLOW_EMPTY_CLASS). */
    for (;;) {
        sync_map(t);
        t->tok = t->i;
        if (t->i >= t->n)
            return fail(t, start, "unterminated character class");
        char c = t->p[t->i];
        if (c == ']') {
            pcfmcp__buf_putc(t->out, ']');
            t->i++;
            return true;
        }
        if (c == '\\') {
            if (!escape(t, true))
                return false;
        } else if (c == '[') { /* a literal, never the start of [:alpha:] */
            pcfmcp__buf_puts(t->out, "\\[");
            t->i++;
        } else {
            pcfmcp__buf_putc(t->out, c);
            t->i++;
        }
    }
}

/* {n}, {n,} or {n,m} at t->i: its length, or 0 if "{" starts none. */
static size_t braces(const tr *t)
{
    size_t k = t->i + 1, d1 = 0;
    while (k < t->n && t->p[k] >= '0' && t->p[k] <= '9')
        k++, d1++;
    if (!d1 || k >= t->n)
        return 0;
    if (t->p[k] == ',') {
        k++;
        while (k < t->n && t->p[k] >= '0' && t->p[k] <= '9')
            k++;
    }
    return k < t->n && t->p[k] == '}' ? k + 1 - t->i : 0;
}

static pcfmcp_error_t translate(const char *src, size_t len, pcfmcp__buf *out, pcfmcp__buf *map,
                                const char **why, size_t *at)
{
    tr t = { .p = src, .n = len, .out = out, .map = map };
    bool quantified = false; /* the previous token was a quantifier */
    while (t.i < t.n && !t.why) {
        sync_map(&t);
        t.tok = t.i;
        char c = src[t.i];
        bool quant = false;
        switch (c) {
        case '\\': escape(&t, false); break;
        case '[': class(&t); break;
        case '.':
            pcfmcp__buf_puts(out, DOT);
            t.i++;
            break;
        case '(':
            if (t.i + 1 < t.n && src[t.i + 1] == '?') {
                static const char *const ok[] = { "(?:", "(?=", "(?!", "(?<=", "(?<!" };
                bool known = false;
                for (size_t k = 0; k < PCFMCP_ARRAY_LEN(ok) && !known; k++)
                    known = strncmp(src + t.i, ok[k], strlen(ok[k])) == 0 &&
                            t.i + strlen(ok[k]) <= t.n;
                /* (?<name>: PCRE2 checks the name. */
                known = known || (t.i + 3 < t.n && src[t.i + 2] == '<');
                if (!known)
                    fail(&t, t.i, "unsupported group syntax");
            } else if (t.i + 1 < t.n && src[t.i + 1] == '*') {
                fail(&t, t.i + 1, "nothing to repeat"); /* and never a PCRE2 verb */
            }
            pcfmcp__buf_putc(out, '(');
            t.i++;
            break;
        case '{': {
            size_t q = braces(&t);
            if (q) {
                pcfmcp__buf_append(out, src + t.i, q);
                t.i += q;
                quant = true;
            } else { /* Annex B: a literal brace */
                pcfmcp__buf_puts(out, "\\{");
                t.i++;
            }
            break;
        }
        case '*':
        case '+':
        case '?':
            if (quantified && c != '?')
                fail(&t, t.i, "nothing to repeat"); /* a**, and no possessive a*+ */
            pcfmcp__buf_putc(out, c);
            t.i++;
            /* "a*?" is lazy: the '?' ends the quantifier. */
            quant = !(quantified && c == '?');
            break;
        default:
            pcfmcp__buf_putc(out, c);
            t.i++;
            break;
        }
        quantified = quant;
    }
    sync_map(&t);
    if (t.why) {
        *why = t.why;
        *at = t.at;
        return PCFMCP_ERR_INVALID_ARG;
    }
    return PCFMCP_OK;
}

pcfmcp_error_t pcfmcp__regex_translate(const char *src, size_t len, pcfmcp__buf *out,
                                       const char **why, size_t *at)
{
    return translate(src, len, out, NULL, why, at);
}

/* ------------------------------------------------------------------ PCRE2 */

static void *gen_malloc(PCRE2_SIZE n, void *ud)
{
    (void)ud;
    return pcfmcp__malloc(n);
}

static void gen_free(void *p, void *ud)
{
    (void)ud;
    pcfmcp__free(p);
}

void pcfmcp__regex_free(pcfmcp__regex *re)
{
    if (!re)
        return;
    pcre2_code_free(re->code);
    pcre2_match_context_free(re->mctx);
    pcre2_general_context_free(re->gen);
    pcfmcp__free(re);
}

pcfmcp_error_t pcfmcp__regex_compile(const char *src, size_t len, pcfmcp__regex **out,
                                     char *why, size_t why_len, size_t *at)
{
    pcfmcp__buf pat, map;
    pcfmcp__buf_init(&pat);
    pcfmcp__buf_init(&map);
    const char *reason = NULL;
    pcfmcp__regex *re = NULL;
    pcre2_compile_context *cc = NULL;
    pcfmcp_error_t rc = translate(src, len, &pat, &map, &reason, at);
    if (rc != PCFMCP_OK) {
        snprintf(why, why_len, "%s", reason);
        goto out;
    }
    rc = PCFMCP_ERR_NOMEM;
    if (!pcfmcp__buf_ok(&pat) || !pcfmcp__buf_ok(&map) || !pcfmcp__buf_reserve(&pat, 1) ||
        !(re = pcfmcp__calloc(1, sizeof(*re))) ||
        !(re->gen = pcre2_general_context_create(gen_malloc, gen_free, NULL)) ||
        !(re->mctx = pcre2_match_context_create(re->gen)) ||
        !(cc = pcre2_compile_context_create(re->gen)))
        goto out;
    pcre2_set_compile_extra_options(cc, PCRE2_EXTRA_ALT_BSUX);
    pcre2_set_match_limit(re->mctx, PCFMCP__REGEX_MATCH_LIMIT);
    pcre2_set_depth_limit(re->mctx, PCFMCP__REGEX_DEPTH_LIMIT);
    pcre2_set_heap_limit(re->mctx, PCFMCP__REGEX_HEAP_KIB);
    int err = 0;
    PCRE2_SIZE off = 0;
    /* UTF: code points, not bytes; ALT_BSUX: \x hh, \u hhhh and \u{...} as
     * in ECMA-262; DOLLAR_ENDONLY: "$" is the end, not a final newline;
     * ALLOW_EMPTY_CLASS: "[]" and "[^]"; MATCH_UNSET_BACKREF: a reference
     * to a group that did not take part matches the empty string;
     * NEVER_UCP / NEVER_BACKSLASH_C: no (*UCP), no \C, whatever the text. */
    re->code = pcre2_compile((PCRE2_SPTR)(pat.data ? pat.data : ""), pat.len,
                             PCRE2_UTF | PCRE2_ALT_BSUX | PCRE2_DOLLAR_ENDONLY |
                                 PCRE2_ALLOW_EMPTY_CLASS | PCRE2_MATCH_UNSET_BACKREF |
                                 PCRE2_NEVER_UCP | PCRE2_NEVER_BACKSLASH_C,
                             &err, &off, cc);
    if (!re->code) {
        if (err == PCRE2_ERROR_HEAP_FAILED || err == PCRE2_ERROR_NOMEMORY)
            goto out;
        PCRE2_UCHAR msg[160];
        if (pcre2_get_error_message(err, msg, sizeof(msg)) < 0)
            snprintf((char *)msg, sizeof(msg), "error %d", err);
        snprintf(why, why_len, "%s", (const char *)msg);
        /* PCRE2's offset is in the rewritten text: map it back. */
        const size_t *m = (const size_t *)(const void *)map.data;
        *at = off < pat.len && map.len ? m[off] : len;
        rc = PCFMCP_ERR_INVALID_ARG;
        goto out;
    }
    *out = re;
    re = NULL;
    rc = PCFMCP_OK;
out:
    pcre2_compile_context_free(cc);
    pcfmcp__regex_free(re);
    pcfmcp__buf_free(&pat);
    pcfmcp__buf_free(&map);
    return rc;
}

int pcfmcp__regex_match(const pcfmcp__regex *re, const char *s, size_t n)
{
    pcre2_match_data *md = pcre2_match_data_create(1, re->gen);
    if (!md)
        return PCFMCP__REGEX_NOMEM;
    int rc = pcre2_match(re->code, (PCRE2_SPTR)s, n, 0, 0, md, re->mctx);
    pcre2_match_data_free(md);
    if (rc >= 0)
        return 1;
    switch (rc) {
    case PCRE2_ERROR_NOMATCH: return 0;
    case PCRE2_ERROR_NOMEMORY: return PCFMCP__REGEX_NOMEM;
    case PCRE2_ERROR_MATCHLIMIT:
    case PCRE2_ERROR_DEPTHLIMIT:
    case PCRE2_ERROR_HEAPLIMIT: return PCFMCP__REGEX_LIMIT;
    default: return 0; /* not UTF-8: no pattern matches it */
    }
}
