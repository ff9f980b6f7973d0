#include "core/internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/util.h"
#include "mcp/uritemplate.h"

enum { P_LITERAL, P_SIMPLE, P_RESERVED, P_FRAGMENT, P_QUERY };

typedef struct {
    int type;
    const char *text; /* literal: points into the template copy */
    size_t len;
    size_t var;   /* first variable (index into vars) */
    size_t nvars; /* 1, or several for {?x,y} */
    bool late;    /* after a literal '?' or '#', where '?' is an ordinary character */
} part;

struct pcfmcp__uritemplate {
    char *src;
    part *parts;
    size_t nparts;
    char **vars;
    size_t nvars;
};

void pcfmcp__uritemplate_free(pcfmcp__uritemplate *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->nvars; i++)
        pcfmcp__free(t->vars[i]);
    pcfmcp__free(t->vars);
    pcfmcp__free(t->parts);
    pcfmcp__free(t->src);
    pcfmcp__free(t);
}

size_t pcfmcp__uritemplate_var_count(const pcfmcp__uritemplate *t)
{
    return t ? t->nvars : 0;
}

const char *pcfmcp__uritemplate_var_name(const pcfmcp__uritemplate *t, size_t i)
{
    return t && i < t->nvars ? t->vars[i] : NULL;
}

static bool is_pct(const char *s, size_t i, size_t n)
{
    return i + 2 < n && s[i] == '%' && pcfmcp__hexval((unsigned char)s[i + 1]) >= 0 &&
           pcfmcp__hexval((unsigned char)s[i + 2]) >= 0;
}

static bool is_alnum(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

static bool is_unreserved(unsigned char c)
{
    return is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

static bool is_reserved(unsigned char c)
{
    return c && strchr(":/?#[]@!$&'()*+,;=", c) != NULL;
}

/* ------------------------------------------------------------------ parse */

typedef struct {
    pcfmcp__uritemplate *t;
    int rc;
    char *err;
    size_t cap_parts;
} pctx;

static bool pfail(pctx *p, int rc, const char *fmt, ...) PCFMCP_PRINTF(3, 4);

static bool pfail(pctx *p, int rc, const char *fmt, ...)
{
    if (p->rc != PCFMCP_OK)
        return false;
    p->rc = rc;
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    p->err = pcfmcp__strdup(msg);
    return false;
}

static bool poom(pctx *p)
{
    if (p->rc == PCFMCP_OK)
        p->rc = PCFMCP_ERR_NOMEM;
    return false;
}

static part *add_part(pctx *p, int type)
{
    pcfmcp__uritemplate *t = p->t;
    if (t->nparts == p->cap_parts) {
        size_t cap = p->cap_parts ? p->cap_parts * 2 : 8;
        part *v = pcfmcp__realloc(t->parts, cap * sizeof(*v));
        if (!v) {
            poom(p);
            return NULL;
        }
        t->parts = v;
        p->cap_parts = cap;
    }
    part *e = &t->parts[t->nparts++];
    memset(e, 0, sizeof(*e));
    e->type = type;
    return e;
}

/* varname = varchar *( ["."] varchar ), varchar = ALPHA / DIGIT / "_" / pct-encoded */
static bool add_var(pctx *p, const char *s, size_t n, size_t at)
{
    pcfmcp__uritemplate *t = p->t;
    if (n == 0)
        return pfail(p, PCFMCP_ERR_INVALID_ARG, "empty variable name at offset %zu", at);
    if (s[n - 1] == '*')
        return pfail(p, PCFMCP_ERR_INVALID_ARG,
                     "explode modifiers ({var*}) are not supported (offset %zu)", at);
    if (memchr(s, ':', n))
        return pfail(p, PCFMCP_ERR_INVALID_ARG,
                     "prefix modifiers ({var:N}) are not supported (offset %zu)", at);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '%' && is_pct(s, i, n)) {
            i += 2;
        } else if (c == '.') {
            if (i == 0 || i + 1 == n || s[i - 1] == '.')
                return pfail(p, PCFMCP_ERR_INVALID_ARG,
                             "misplaced '.' in variable name at offset %zu", at + i);
        } else if (!is_alnum(c) && c != '_') {
            return pfail(p, PCFMCP_ERR_INVALID_ARG,
                         "invalid character in variable name at offset %zu", at + i);
        }
    }
    for (size_t i = 0; i < t->nvars; i++)
        if (strlen(t->vars[i]) == n && memcmp(t->vars[i], s, n) == 0)
            return pfail(p, PCFMCP_ERR_INVALID_ARG, "variable \"%.*s\" appears twice",
                         (int)(n > 64 ? 64 : n), s);
    if (t->nvars == PCFMCP__URITEMPLATE_MAX_VARS)
        return pfail(p, PCFMCP_ERR_LIMIT, "more than %d variables",
                     PCFMCP__URITEMPLATE_MAX_VARS);
    if (!t->vars && !(t->vars = pcfmcp__calloc(PCFMCP__URITEMPLATE_MAX_VARS, sizeof(char *))))
        return poom(p);
    if (!(t->vars[t->nvars] = pcfmcp__strndup(s, n)))
        return poom(p);
    t->nvars++;
    return true;
}

static bool parse_expr(pctx *p, const char *s, size_t n, size_t at, bool late)
{
    if (n == 0)
        return pfail(p, PCFMCP_ERR_INVALID_ARG, "empty expression at offset %zu", at);
    int type = P_SIMPLE;
    size_t skip = 1;
    switch (s[0]) {
    case '+': type = P_RESERVED; break;
    case '#': type = P_FRAGMENT; break;
    case '?': type = P_QUERY; break;
    case '/':
    case '.':
    case ';':
    case '&':
        return pfail(p, PCFMCP_ERR_INVALID_ARG,
                     "operator '%c' is not supported (offset %zu); use {var}, {+var}, {#var} "
                     "or {?var,...}",
                     s[0], at);
    case '=':
    case ',':
    case '!':
    case '@':
    case '|':
        return pfail(p, PCFMCP_ERR_INVALID_ARG, "reserved operator '%c' at offset %zu", s[0],
                     at);
    default: skip = 0; break;
    }
    part *e = add_part(p, type);
    if (!e)
        return false;
    e->var = p->t->nvars;
    e->late = late;
    size_t i = skip;
    for (;;) {
        size_t start = i;
        while (i < n && s[i] != ',')
            i++;
        if (!add_var(p, s + start, i - start, at + 1 + start))
            return false;
        e->nvars++;
        if (i == n)
            break;
        if (type != P_QUERY)
            return pfail(p, PCFMCP_ERR_INVALID_ARG,
                         "several variables in one expression are only supported in {?...} "
                         "(offset %zu)",
                         at);
        i++;
    }
    return true;
}

static bool valid_literal(pctx *p, const char *s, size_t i, size_t n)
{
    unsigned char c = (unsigned char)s[i];
    if (c == '%') {
        if (!is_pct(s, i, n))
            return pfail(p, PCFMCP_ERR_INVALID_ARG,
                         "'%%' not followed by two hex digits at offset %zu", i);
        return true;
    }
    if (c <= 0x20 || c == 0x7f || strchr("\"'<>\\^`|", c))
        return pfail(p, PCFMCP_ERR_INVALID_ARG,
                     "character not allowed in a URI template at offset %zu", i);
    return true;
}

int pcfmcp__uritemplate_parse(const char *tmpl, pcfmcp__uritemplate **out, char **err)
{
    if (err)
        *err = NULL;
    if (!tmpl || !out)
        return PCFMCP_ERR_INVALID_ARG;
    pctx p = { .rc = PCFMCP_OK };
    size_t n = strlen(tmpl), bad;
    if (n > PCFMCP__URITEMPLATE_MAX_LEN) {
        pfail(&p, PCFMCP_ERR_LIMIT, "template longer than %d bytes", PCFMCP__URITEMPLATE_MAX_LEN);
    } else if (n == 0) {
        pfail(&p, PCFMCP_ERR_INVALID_ARG, "empty template");
    } else if (!pcfmcp__utf8_valid(tmpl, n, &bad)) {
        pfail(&p, PCFMCP_ERR_INVALID_ARG, "invalid UTF-8 at offset %zu", bad);
    } else if (!(p.t = pcfmcp__calloc(1, sizeof(*p.t))) || !(p.t->src = pcfmcp__strdup(tmpl))) {
        poom(&p);
    }
    bool literal_query = false, literal_hash = false;
    for (size_t i = 0; p.rc == PCFMCP_OK && i < n;) {
        const char *s = p.t->src;
        if (p.t->nparts && (p.t->parts[p.t->nparts - 1].type == P_QUERY ||
                            p.t->parts[p.t->nparts - 1].type == P_FRAGMENT)) {
            pfail(&p, PCFMCP_ERR_INVALID_ARG, "{%c...} must be the last part of the template",
                  p.t->parts[p.t->nparts - 1].type == P_QUERY ? '?' : '#');
            break;
        }
        if (s[i] == '{') {
            const char *close = memchr(s + i, '}', n - i);
            const char *open = memchr(s + i + 1, '{', n - i - 1);
            if (!close || (open && open < close)) {
                pfail(&p, PCFMCP_ERR_INVALID_ARG, "unclosed '{' at offset %zu", i);
                break;
            }
            size_t len = (size_t)(close - s) - i - 1;
            if (!parse_expr(&p, s + i + 1, len, i, literal_query || literal_hash))
                break;
            part *e = &p.t->parts[p.t->nparts - 1];
            if (e->type == P_QUERY && literal_query)
                pfail(&p, PCFMCP_ERR_INVALID_ARG,
                      "{?...} cannot follow a literal '?' (offset %zu)", i);
            if (e->type == P_FRAGMENT && literal_hash)
                pfail(&p, PCFMCP_ERR_INVALID_ARG,
                      "{#...} cannot follow a literal '#' (offset %zu)", i);
            i += len + 2;
            continue;
        }
        if (s[i] == '}') {
            pfail(&p, PCFMCP_ERR_INVALID_ARG, "unmatched '}' at offset %zu", i);
            break;
        }
        size_t start = i;
        while (i < n && s[i] != '{' && s[i] != '}') {
            if (!valid_literal(&p, s, i, n))
                break;
            if (s[i] == '?')
                literal_query = true;
            if (s[i] == '#')
                literal_hash = true;
            i++;
        }
        if (p.rc != PCFMCP_OK)
            break;
        part *e = add_part(&p, P_LITERAL);
        if (!e)
            break;
        e->text = s + start;
        e->len = i - start;
    }
    if (p.rc != PCFMCP_OK) {
        pcfmcp__uritemplate_free(p.t);
        if (p.rc == PCFMCP_ERR_NOMEM && !p.err)
            p.err = pcfmcp__strdup("out of memory");
        if (err)
            *err = p.err;
        else
            pcfmcp__free(p.err);
        return p.rc;
    }
    *out = p.t;
    return PCFMCP_OK;
}

/* ------------------------------------------------------------------ match */

/* Percent-decodes s[0..n) into a new string; NULL if an escape is broken,
 * the result is not UTF-8 or holds a NUL, or memory runs out. */
static char *decode(const char *s, size_t n)
{
    char *d = pcfmcp__malloc(n + 1), *w = d;
    if (!d)
        return NULL;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '%') {
            *w++ = s[i];
            continue;
        }
        if (!is_pct(s, i, n)) {
            pcfmcp__free(d);
            return NULL;
        }
        *w++ = (char)(pcfmcp__hexval((unsigned char)s[i + 1]) * 16 + pcfmcp__hexval((unsigned char)s[i + 2]));
        i += 2;
    }
    size_t len = (size_t)(w - d);
    *w = '\0';
    if (memchr(d, '\0', len) || !pcfmcp__utf8_valid(d, len, NULL)) {
        pcfmcp__free(d);
        return NULL;
    }
    return d;
}

static bool add_value(cJSON *obj, const char *name, const char *s, size_t n)
{
    char *v = decode(s, n);
    if (!v)
        return false;
    cJSON *item = cJSON_CreateString(v);
    pcfmcp__free(v);
    if (!item)
        return false;
    if (!cJSON_AddItemToObject(obj, name, item)) {
        cJSON_Delete(item);
        return false;
    }
    return true;
}

/* Characters a variable may take while matching. */
static bool var_char(const part *e, unsigned char c)
{
    if (e->type == P_SIMPLE)
        return c != '/' && c != '?' && c != '#' && c != '&';
    /* {+var}: anything inside its component. */
    return c != '#' && (e->late || c != '?');
}

/* Matches s[0..n) against the parts before a {?...}/{#...} tail. One pass per
 * part computes every reachable end position (so the work is linear in the
 * URI per part); a backward pass then picks the split in which earlier
 * variables are longest. */
static bool match_body(const pcfmcp__uritemplate *t, size_t nparts, const char *s, size_t n,
                       cJSON *obj)
{
    size_t w = n + 1;
    unsigned char *reach = pcfmcp__calloc((nparts + 1) * w, 1);
    if (!reach)
        return false;
    reach[0] = 1;
    for (size_t i = 0; i < nparts; i++) {
        const part *e = &t->parts[i];
        const unsigned char *cur = reach + i * w;
        unsigned char *next = reach + (i + 1) * w;
        if (e->type == P_LITERAL) {
            for (size_t q = 0; q + e->len <= n; q++)
                if (cur[q] && memcmp(s + q, e->text, e->len) == 0)
                    next[q + e->len] = 1;
            continue;
        }
        bool active = false;
        for (size_t q = 0; q <= n; q++) {
            if (active)
                next[q] = 1;
            if (q == n)
                break;
            if (!var_char(e, (unsigned char)s[q]))
                active = false;
            else if (cur[q])
                active = true;
        }
    }
    bool ok = reach[nparts * w + n] != 0;
    /* Literals and expressions alternate, so parts <= 2 * vars + 1. */
    size_t start[2 * PCFMCP__URITEMPLATE_MAX_VARS + 2], pos = n;
    for (size_t i = nparts; ok && i-- > 0;) {
        const part *e = &t->parts[i];
        const unsigned char *cur = reach + i * w;
        if (e->type == P_LITERAL) {
            pos -= e->len;
            start[i] = pos;
            continue;
        }
        size_t q = pos;
        while (q > 0 && var_char(e, (unsigned char)s[q - 1]) && !cur[q - 1])
            q--;
        /* reach[i+1][pos] guarantees a start exists: the loop stops on it. */
        start[i] = pos = q - 1;
    }
    for (size_t i = 0; ok && i < nparts; i++) {
        const part *e = &t->parts[i];
        size_t end = i + 1 < nparts ? start[i + 1] : n;
        if (e->type != P_LITERAL)
            ok = add_value(obj, t->vars[e->var], s + start[i], end - start[i]);
    }
    pcfmcp__free(reach);
    return ok;
}

static bool match_query(const pcfmcp__uritemplate *t, const part *e, const char *s, size_t n,
                        cJSON *obj)
{
    size_t i = 0;
    while (i < n) {
        size_t end = i;
        while (end < n && s[end] != '&')
            end++;
        const char *eq = memchr(s + i, '=', end - i);
        size_t name_len = eq ? (size_t)(eq - (s + i)) : end - i;
        if (name_len == 0)
            return false;
        size_t k = 0;
        while (k < e->nvars && !(strlen(t->vars[e->var + k]) == name_len &&
                                 memcmp(t->vars[e->var + k], s + i, name_len) == 0))
            k++;
        if (k == e->nvars)
            return false;
        const char *name = t->vars[e->var + k];
        if (cJSON_GetObjectItemCaseSensitive(obj, name))
            return false;
        const char *v = eq ? eq + 1 : s + end;
        if (!add_value(obj, name, v, (size_t)(s + end - v)))
            return false;
        i = end + 1;
        if (end < n && i == n)
            return false; /* trailing '&' */
    }
    return true;
}

bool pcfmcp__uritemplate_match(const pcfmcp__uritemplate *t, const char *uri, cJSON **vars)
{
    if (vars)
        *vars = NULL;
    if (!t || !uri)
        return false;
    size_t n = strlen(uri);
    if (n > PCFMCP__URITEMPLATE_MAX_URI)
        return false;
    /* A trailing {?...} or {#...} matches what follows the body's '?' or '#'. */
    const part *tail = NULL;
    if (t->nparts) {
        const part *last = &t->parts[t->nparts - 1];
        if (last->type == P_QUERY || last->type == P_FRAGMENT)
            tail = last;
    }
    size_t nbody = t->nparts, body_len = n;
    const char *tail_text = NULL;
    if (tail) {
        nbody--;
        const char *mark = strchr(uri, tail->type == P_QUERY ? '?' : '#');
        if (mark) {
            body_len = (size_t)(mark - uri);
            tail_text = mark + 1;
        }
    }
    cJSON *obj = cJSON_CreateObject();
    if (!obj)
        return false;
    bool ok = match_body(t, nbody, uri, body_len, obj);
    if (ok && tail_text) {
        size_t tl = n - body_len - 1;
        if (tail->type == P_QUERY)
            ok = !memchr(tail_text, '#', tl) && match_query(t, tail, tail_text, tl, obj);
        else if (tl > 0)
            ok = add_value(obj, t->vars[tail->var], tail_text, tl);
    }
    if (!ok) {
        cJSON_Delete(obj);
        return false;
    }
    if (vars)
        *vars = obj;
    else
        cJSON_Delete(obj);
    return true;
}

/* ----------------------------------------------------------------- expand */

static void encode(pcfmcp__buf *b, const char *s, bool reserved)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t n = strlen(s);
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (is_unreserved(c) || (reserved && is_reserved(c))) {
            pcfmcp__buf_putc(b, (char)c);
        } else if (reserved && is_pct(s, i, n)) {
            pcfmcp__buf_append(b, s + i, 3);
            i += 2;
        } else {
            char e[3] = { '%', hex[c >> 4], hex[c & 15] };
            pcfmcp__buf_append(b, e, 3);
        }
    }
}

/* The text of a variable: 0 defined, 1 undefined, -1 not expandable / OOM. */
static int var_text(const cJSON *vars, const char *name, char **text)
{
    *text = NULL;
    const cJSON *v = vars ? cJSON_GetObjectItemCaseSensitive(vars, name) : NULL;
    if (!v || cJSON_IsNull(v))
        return 1;
    if (cJSON_IsString(v))
        return (*text = pcfmcp__strdup(v->valuestring)) ? 0 : -1;
    if (cJSON_IsBool(v))
        return (*text = pcfmcp__strdup(cJSON_IsTrue(v) ? "true" : "false")) ? 0 : -1;
    if (cJSON_IsNumber(v)) {
        /* cJSON spells numbers the JSON way whatever the locale. */
        char *s = cJSON_PrintUnformatted(v);
        if (!s)
            return -1;
        *text = pcfmcp__strdup(s);
        cJSON_free(s);
        return *text ? 0 : -1;
    }
    return -1;
}

char *pcfmcp__uritemplate_expand(const pcfmcp__uritemplate *t, const cJSON *vars)
{
    if (!t || (vars && !cJSON_IsObject(vars)))
        return NULL;
    pcfmcp__buf b;
    pcfmcp__buf_init(&b);
    for (size_t i = 0; i < t->nparts; i++) {
        const part *e = &t->parts[i];
        if (e->type == P_LITERAL) {
            pcfmcp__buf_append(&b, e->text, e->len);
            continue;
        }
        bool first = true;
        for (size_t k = 0; k < e->nvars; k++) {
            const char *name = t->vars[e->var + k];
            char *text;
            int rc = var_text(vars, name, &text);
            if (rc < 0) {
                pcfmcp__buf_free(&b);
                return NULL;
            }
            if (rc == 1)
                continue;
            if (e->type == P_FRAGMENT) {
                pcfmcp__buf_putc(&b, '#');
            } else if (e->type == P_QUERY) {
                pcfmcp__buf_putc(&b, first ? '?' : '&');
                pcfmcp__buf_puts(&b, name);
                pcfmcp__buf_putc(&b, '=');
            }
            first = false;
            encode(&b, text, e->type == P_RESERVED || e->type == P_FRAGMENT);
            pcfmcp__free(text);
        }
    }
    return pcfmcp__buf_steal(&b, NULL);
}
