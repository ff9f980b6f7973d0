#include "core/internal.h"

#include <arpa/inet.h>
#include <locale.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/json.h"
#include "core/util.h"
#include "mcp/regex.h"
#include "mcp/schema.h"

/* ===================================================================== */
/* Compiled schema                                                        */
/* ===================================================================== */

enum { T_NULL, T_BOOLEAN, T_OBJECT, T_ARRAY, T_NUMBER, T_INTEGER, T_STRING, T_COUNT };
static const char *const type_names[T_COUNT] = { "null",   "boolean", "object", "array",
                                                  "number", "integer", "string" };

enum {
    F_NONE,
    F_UUID,
    F_IPV4,
    F_IPV6,
    F_EMAIL,
    F_DATE_TIME,
    F_DATE,
    F_TIME,
    F_URI,
    F_HOSTNAME
};

static const struct {
    const char *name;
    const char *what; /* "must be a valid <what>" */
} formats[] = {
    [F_UUID] = { "uuid", "UUID" },
    [F_IPV4] = { "ipv4", "IPv4 address" },
    [F_IPV6] = { "ipv6", "IPv6 address" },
    [F_EMAIL] = { "email", "email address" },
    [F_DATE_TIME] = { "date-time", "RFC 3339 date-time such as \"2024-01-31T23:59:00Z\"" },
    [F_DATE] = { "date", "RFC 3339 date such as \"2024-01-31\"" },
    [F_TIME] = { "time", "RFC 3339 time such as \"23:59:00Z\"" },
    [F_URI] = { "uri", "absolute URI" },
    [F_HOSTNAME] = { "hostname", "hostname" },
};

enum { HAS_MIN = 1, HAS_MAX = 2, HAS_XMIN = 4, HAS_XMAX = 8, HAS_MULT = 16 };

typedef struct node node;

typedef struct {
    char *name;
    node *schema;
} named;

typedef struct {
    char *src;
    pcfmcp__regex *re;
    node *schema; /* patternProperties only */
} pattern;

typedef struct {
    char *name;
    char **names;
    size_t n;
} dep_req;

struct node {
    int boolean; /* 1: true schema, 0: false schema, -1: object schema */
    unsigned char types[T_COUNT];
    unsigned ntypes;
    unsigned numflags;
    double minimum, maximum, xminimum, xmaximum, multiple;
    int64_t min_len, max_len, min_items, max_items, min_props, max_props;
    int64_t min_contains, max_contains;
    pattern *pat;
    int format;
    node *items;
    node **prefix;
    size_t nprefix;
    node *contains;
    bool unique;
    named *props;
    size_t nprops;
    size_t *sorted; /* indices of props sorted by name, for bsearch */
    pattern *pprops;
    size_t npprops;
    node *addl;
    char **required;
    size_t nrequired;
    node *names;
    dep_req *dreq;
    size_t ndreq;
    named *dsch;
    size_t ndsch;
    cJSON *enums;
    cJSON *konst;
    node **all, **any, **one;
    size_t nall, nany, none;
    node *not_, *if_, *then_, *else_;
    node *ref;
    char *ref_text;  /* compile time only */
    char *ref_where; /* compile time only */
    named *defs;
    size_t ndefs;
    named *definitions;
    size_t ndefinitions;
    int mark;   /* chain check: 0 new, 1 on the stack, 2 done */
    int height; /* longest chain of in-place hops below, once done */
};

struct pcfmcp__schema {
    node *root;
    node **nodes;
    size_t nnodes, cap;
    locale_t cloc; /* C locale for regcomp/regexec, (locale_t)0 without patterns */
};

static void free_pattern(pattern *p)
{
    pcfmcp__regex_free(p->re);
    pcfmcp__free(p->src);
}

static void free_named(named *v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        pcfmcp__free(v[i].name);
    pcfmcp__free(v);
}

static void free_strings(char **v, size_t n)
{
    for (size_t i = 0; i < n; i++)
        pcfmcp__free(v[i]);
    pcfmcp__free(v);
}

static void free_node(node *n)
{
    if (n->pat) {
        free_pattern(n->pat);
        pcfmcp__free(n->pat);
    }
    pcfmcp__free(n->prefix);
    free_named(n->props, n->nprops);
    pcfmcp__free(n->sorted);
    for (size_t i = 0; i < n->npprops; i++)
        free_pattern(&n->pprops[i]);
    pcfmcp__free(n->pprops);
    free_strings(n->required, n->nrequired);
    for (size_t i = 0; i < n->ndreq; i++) {
        pcfmcp__free(n->dreq[i].name);
        free_strings(n->dreq[i].names, n->dreq[i].n);
    }
    pcfmcp__free(n->dreq);
    free_named(n->dsch, n->ndsch);
    cJSON_Delete(n->enums);
    cJSON_Delete(n->konst);
    pcfmcp__free(n->all);
    pcfmcp__free(n->any);
    pcfmcp__free(n->one);
    pcfmcp__free(n->ref_text);
    pcfmcp__free(n->ref_where);
    free_named(n->defs, n->ndefs);
    free_named(n->definitions, n->ndefinitions);
    pcfmcp__free(n);
}

void pcfmcp__schema_free(pcfmcp__schema *s)
{
    if (!s)
        return;
    for (size_t i = 0; i < s->nnodes; i++)
        free_node(s->nodes[i]);
    pcfmcp__free(s->nodes);
    if (s->cloc)
        freelocale(s->cloc);
    pcfmcp__free(s);
}

/* ===================================================================== */
/* Compilation                                                            */
/* ===================================================================== */

typedef struct {
    pcfmcp__schema *s;
    pcfmcp__buf where; /* JSON pointer of the keyword being compiled */
    int rc;
    char *err;
    const char *root_id;
} cctx;

/* JSON pointer segment; control characters are shown as \u00XX so that a
 * message stays on one line. */
static void put_segment(pcfmcp__buf *b, const char *s, size_t max)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = strlen(s), cut = n;
    if (n > max) {
        cut = max;
        while (cut > 0 && ((unsigned char)s[cut] & 0xC0) == 0x80)
            cut--;
    }
    pcfmcp__buf_putc(b, '/');
    for (size_t i = 0; i < cut; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '~')
            pcfmcp__buf_puts(b, "~0");
        else if (c == '/')
            pcfmcp__buf_puts(b, "~1");
        else if (c < 0x20 || c == 0x7f) {
            char u[6] = { '\\', 'u', '0', '0', hex[c >> 4], hex[c & 15] };
            pcfmcp__buf_append(b, u, sizeof(u));
        } else
            pcfmcp__buf_putc(b, (char)c);
    }
    if (cut < n)
        pcfmcp__buf_puts(b, "...");
}

static size_t where_push(cctx *c, const char *seg)
{
    size_t mark = c->where.len;
    put_segment(&c->where, seg, 200);
    return mark;
}

static size_t where_push_index(cctx *c, size_t i)
{
    size_t mark = c->where.len;
    pcfmcp__buf_printf(&c->where, "/%zu", i);
    return mark;
}

static void where_pop(cctx *c, size_t mark)
{
    if (!pcfmcp__buf_ok(&c->where))
        return;
    c->where.len = mark;
    if (c->where.data)
        c->where.data[mark] = '\0';
}

static bool cfail_at(cctx *c, const char *where, int rc, const char *fmt, ...)
    PCFMCP_PRINTF(4, 5);

static bool cfail_at(cctx *c, const char *where, int rc, const char *fmt, ...)
{
    if (c->rc != PCFMCP_OK)
        return false;
    c->rc = rc;
    pcfmcp__buf b;
    pcfmcp__buf_init(&b);
    pcfmcp__buf_puts(&b, where && *where ? where : "/");
    pcfmcp__buf_puts(&b, ": ");
    va_list ap;
    va_start(ap, fmt);
    char small[512];
    vsnprintf(small, sizeof(small), fmt, ap);
    va_end(ap);
    pcfmcp__buf_puts(&b, small);
    c->err = pcfmcp__buf_steal(&b, NULL);
    return false;
}

#define CFAIL(c, rc, ...)                                                                          \
    cfail_at((c), pcfmcp__buf_ok(&(c)->where) ? (c)->where.data : NULL, (rc), __VA_ARGS__)

static bool coom(cctx *c)
{
    if (c->rc == PCFMCP_OK)
        c->rc = PCFMCP_ERR_NOMEM;
    return false;
}

static node *new_node(cctx *c)
{
    pcfmcp__schema *s = c->s;
    if (s->nnodes >= PCFMCP__SCHEMA_MAX_NODES) {
        CFAIL(c, PCFMCP_ERR_LIMIT, "schema has more than %d subschemas",
              PCFMCP__SCHEMA_MAX_NODES);
        return NULL;
    }
    if (s->nnodes == s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 16;
        node **v = pcfmcp__realloc(s->nodes, cap * sizeof(*v));
        if (!v) {
            coom(c);
            return NULL;
        }
        s->nodes = v;
        s->cap = cap;
    }
    node *n = pcfmcp__calloc(1, sizeof(*n));
    if (!n) {
        coom(c);
        return NULL;
    }
    n->boolean = -1;
    n->min_len = n->max_len = n->min_items = n->max_items = -1;
    n->min_props = n->max_props = n->max_contains = -1;
    n->min_contains = 1;
    s->nodes[s->nnodes++] = n;
    return n;
}

static node *compile(cctx *c, const cJSON *src, int depth);

static int json_depth(const cJSON *x, int depth, int cap)
{
    if (depth > cap || !(cJSON_IsArray(x) || cJSON_IsObject(x)))
        return depth;
    int max = depth + 1;
    for (const cJSON *ch = x->child; ch && max <= cap; ch = ch->next) {
        int d = json_depth(ch, depth + 1, cap);
        if (d > max)
            max = d;
    }
    return max;
}

static bool is_count(const cJSON *v)
{
    return pcfmcp__json_is_integer(v) && v->valuedouble >= 0;
}

static bool get_count(cctx *c, const cJSON *v, int64_t *out)
{
    if (!is_count(v))
        return CFAIL(c, PCFMCP_ERR_INVALID_ARG, "must be a non-negative integer");
    *out = (int64_t)v->valuedouble;
    return true;
}

static bool get_number(cctx *c, const cJSON *v, double *out)
{
    if (cJSON_IsBool(v))
        return CFAIL(c, PCFMCP_ERR_INVALID_ARG,
                     "must be a number (the draft-04 boolean form is not supported)");
    if (!cJSON_IsNumber(v) || !isfinite(v->valuedouble))
        return CFAIL(c, PCFMCP_ERR_INVALID_ARG, "must be a number");
    *out = v->valuedouble;
    return true;
}

/* Validation formats numbers and runs regexec in this locale, whatever
 * locale the host application has set. */
static bool ensure_locale(cctx *c)
{
    if (c->s->cloc)
        return true;
    c->s->cloc = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    return c->s->cloc ? true : coom(c);
}

static void put_raw_quoted(pcfmcp__buf *b, const char *s, size_t max);

static bool compile_pattern(cctx *c, pattern *p, const char *src)
{
    size_t len = strlen(src);
    if (len > PCFMCP__SCHEMA_MAX_PATTERN)
        return CFAIL(c, PCFMCP_ERR_LIMIT, "pattern longer than %d bytes",
                     PCFMCP__SCHEMA_MAX_PATTERN);
    if (!(p->src = pcfmcp__strdup(src)))
        return coom(c);
    char why[200];
    size_t at = 0;
    pcfmcp_error_t rc = pcfmcp__regex_compile(src, len, &p->re, why, sizeof(why), &at);
    if (rc == PCFMCP_ERR_NOMEM)
        return coom(c);
    if (rc != PCFMCP_OK) {
        pcfmcp__buf q;
        pcfmcp__buf_init(&q);
        put_raw_quoted(&q, src, 200);
        bool ok = pcfmcp__buf_ok(&q);
        CFAIL(c, PCFMCP_ERR_INVALID_ARG, "cannot use pattern %s: %s (at offset %zu)",
              ok ? q.data : "", why, at);
        pcfmcp__buf_free(&q);
        return ok ? false : coom(c);
    }
    return true;
}

/* ---- keyword handlers: @p v is the keyword's value, c->where points at it */

typedef bool (*kw_fn)(cctx *c, node *n, const cJSON *v, int depth);

static bool kw_type(cctx *c, node *n, const cJSON *v, int depth)
{
    (void)depth;
    const cJSON *one = v;
    if (cJSON_IsArray(v)) {
        if (!v->child)
            return CFAIL(c, PCFMCP_ERR_INVALID_ARG, "must not be empty");
        one = v->child;
    } else if (!cJSON_IsString(v)) {
        return CFAIL(c, PCFMCP_ERR_INVALID_ARG, "must be a string or an array of strings");
    }
    for (const cJSON *t = one; t; t = cJSON_IsArray(v) ? t->next : NULL) {
        if (!cJSON_IsString(t))
            return CFAIL(c, PCFMCP_ERR_INVALID_ARG, "must be a string or an array of strings");
        unsigned k = 0;
        while (k < T_COUNT && strcmp(type_names[k], t->valuestring) != 0)
            k++;
        if (k == T_COUNT) {
            pcfmcp__buf q;
            pcfmcp__buf_init(&q);
            put_raw_quoted(&q, t->valuestring, 60);
            bool ok = pcfmcp__buf_ok(&q);
            CFAIL(c, PCFMCP_ERR_INVALID_ARG,
                  "unknown type %s (expected null, boolean, object, array, number, integer "
                  "or string)",
                  ok ? q.data : "");
            pcfmcp__buf_free(&q);
            return ok ? false : coom(c);
        }
        for (unsigned i = 0; i < n->ntypes; i++)
            if (n->types[i] == k)
                return CFAIL(c, PCFMCP_ERR_INVALID_ARG, "lists \"%s\" twice", type_names[k]);
        n->types[n->ntypes++] = (unsigned char)k;
    }
    return true;
}

/* Counts the members of object @p v; @p count is 0 whenever this fails. */
static bool check_members(cctx *c, const cJSON *v, size_t *count)
{
    *count = 0;
    if (!cJSON_IsObject(v))
        return CFAIL(c, PCFMCP_ERR_INVALID_ARG, "must be an object");
    size_t k = 0;
    for (const cJSON *m = v->child; m; m = m->next) {
        if (!m->string)
            return CFAIL(c, PCFMCP_ERR_INVALID_ARG, "member without a name");
        if (cJSON_GetObjectItemCaseSensitive(v, m->string) != m) {
            size_t mark = where_push(c, m->string);
            CFAIL(c, PCFMCP_ERR_INVALID_ARG, "duplicate name");
            where_pop(c, mark);
            return false;
        }
        k++;
    }
    if (k > PCFMCP__SCHEMA_MAX_MEMBERS)
        return CFAIL(c, PCFMCP_ERR_LIMIT, "more than %d members", PCFMCP__SCHEMA_MAX_MEMBERS);
    *count = k;
    return true;
}

/* An object of subschemas ($defs, properties, dependentSchemas). */
static bool compile_named(cctx *c, const cJSON *v, int depth, named **out, size_t *nout)
{
    size_t count;
    if (!check_members(c, v, &count))
        return false;
    if (!count)
        return true;
    named *vec = pcfmcp__calloc(count, sizeof(*vec));
    if (!vec)
        return coom(c);
    *out = vec;
    for (const cJSON *m = v->child; m; m = m->next) {
        named *e = &vec[*nout];
        if (!(e->name = pcfmcp__strdup(m->string)))
            return coom(c);
        (*nout)++;
        size_t mark = where_push(c, m->string);
        e->schema = compile(c, m, depth + 1);
        where_pop(c, mark);
        if (!e->schema)
            return false;
    }
    return true;
}

static bool kw_properties(cctx *c, node *n, const cJSON *v, int depth)
{
    if (!compile_named(c, v, depth, &n->props, &n->nprops))
        return false;
    if (!n->nprops)
        return true;
    if (!(n->sorted = pcfmcp__calloc(n->nprops, sizeof(size_t))))
        return coom(c);
    for (size_t i = 0; i < n->nprops; i++)
        n->sorted[i] = i;
    /* Insertion sort: qsort has no context argument, and this runs once. */
    for (size_t i = 1; i < n->nprops; i++) {
        size_t k = n->sorted[i], j = i;
        while (j > 0 && strcmp(n->props[n->sorted[j - 1]].name, n->props[k].name) > 0) {
            n->sorted[j] = n->sorted[j - 1];
            j--;
        }
        n->sorted[j] = k;
    }
    return true;
}

static bool kw_pattern_properties(cctx *c, node *n, const cJSON *v, int depth)
{
    size_t count;
    if (!check_members(c, v, &count))
        return false;
    if (!count)
        return true;
    if (!(n->pprops = pcfmcp__calloc(count, sizeof(*n->pprops))))
        return coom(c);
    for (const cJSON *m = v->child; m; m = m->next) {
        pattern *p = &n->pprops[n->npprops++];
        size_t mark = where_push(c, m->string);
        bool ok = compile_pattern(c, p, m->string) && (p->schema = compile(c, m, depth + 1));
        where_pop(c, mark);
        if (!ok)
            return false;
    }
    return true;
}

static bool compile_one(cctx *c, const cJSON *v, int depth, node **out)
{
    return (*out = compile(c, v, depth + 1)) != NULL;
}

static bool kw_additional_properties(cctx *c, node *n, const cJSON *v, int depth)
{
    return compile_one(c, v, depth, &n->addl);
}

static bool kw_property_names(cctx *c, node *n, const cJSON *v, int depth)
{
    return compile_one(c, v, depth, &n->names);
}

static bool string_list(cctx *c, const cJSON *v, char ***out, size_t *nout)
{
    if (!cJSON_IsArray(v))
        return CFAIL(c, PCFMCP_ERR_INVALID_ARG, "must be an array of strings");
    size_t count = 0;
    for (const cJSON *e = v->child; e; e = e->next) {
        if (!cJSON_IsString(e)) {
            size_t mark = where_push_index(c, count);
            CFAIL(c, PCFMCP_ERR_INVALID_ARG, "must be a string");
            where_pop(c, mark);
            return false;
        }
        count++;
    }
    if (count > PCFMCP__SCHEMA_MAX_MEMBERS)
        return CFAIL(c, PCFMCP_ERR_LIMIT, "more than %d entries", PCFMCP__SCHEMA_MAX_MEMBERS);
    if (!count)
        return true;
    if (!(*out = pcfmcp__calloc(count, sizeof(char *))))
        return coom(c);
    for (const cJSON *e = v->child; e; e = e->next) {
        if (!((*out)[*nout] = pcfmcp__strdup(e->valuestring)))
            return coom(c);
        (*nout)++;
    }
    return true;
}

static bool kw_required(cctx *c, node *n, const cJSON *v, int depth)
{
    (void)depth;
    return string_list(c, v, &n->required, &n->nrequired);
}

static bool kw_dependent_required(cctx *c, node *n, const cJSON *v, int depth)
{
    (void)depth;
    size_t count;
    if (!check_members(c, v, &count))
        return false;
    if (!count)
        return true;
    if (!(n->dreq = pcfmcp__calloc(count, sizeof(*n->dreq))))
        return coom(c);
    for (const cJSON *m = v->child; m; m = m->next) {
        dep_req *d = &n->dreq[n->ndreq++];
        if (!(d->name = pcfmcp__strdup(m->string)))
            return coom(c);
        size_t mark = where_push(c, m->string);
        bool ok = string_list(c, m, &d->names, &d->n);
        where_pop(c, mark);
        if (!ok)
            return false;
    }
    return true;
}

static bool kw_dependent_schemas(cctx *c, node *n, const cJSON *v, int depth)
{
    return compile_named(c, v, depth, &n->dsch, &n->ndsch);
}

static bool kw_defs(cctx *c, node *n, const cJSON *v, int depth)
{
    return compile_named(c, v, depth, &n->defs, &n->ndefs);
}

static bool kw_definitions(cctx *c, node *n, const cJSON *v, int depth)
{
    return compile_named(c, v, depth, &n->definitions, &n->ndefinitions);
}

#define COUNT_KW(fn, field)                                                                        \
    static bool fn(cctx *c, node *n, const cJSON *v, int depth)                                   \
    {                                                                                              \
        (void)depth;                                                                               \
        return get_count(c, v, &n->field);                                                         \
    }
COUNT_KW(kw_min_length, min_len)
COUNT_KW(kw_max_length, max_len)
COUNT_KW(kw_min_items, min_items)
COUNT_KW(kw_max_items, max_items)
COUNT_KW(kw_min_properties, min_props)
COUNT_KW(kw_max_properties, max_props)
COUNT_KW(kw_min_contains, min_contains)
COUNT_KW(kw_max_contains, max_contains)

#define NUM_KW(fn, field, flag)                                                                    \
    static bool fn(cctx *c, node *n, const cJSON *v, int depth)                                   \
    {                                                                                              \
        (void)depth;                                                                               \
        n->numflags |= (flag);                                                                     \
        return get_number(c, v, &n->field);                                                        \
    }
NUM_KW(kw_minimum, minimum, HAS_MIN)
NUM_KW(kw_maximum, maximum, HAS_MAX)
NUM_KW(kw_exclusive_minimum, xminimum, HAS_XMIN)
NUM_KW(kw_exclusive_maximum, xmaximum, HAS_XMAX)

static bool kw_multiple_of(cctx *c, node *n, const cJSON *v, int depth)
{
    (void)depth;
    if (!get_number(c, v, &n->multiple))
        return false;
    if (!(n->multiple > 0))
        return CFAIL(c, PCFMCP_ERR_INVALID_ARG, "must be greater than 0");
    n->numflags |= HAS_MULT;
    return true;
}

static bool kw_pattern(cctx *c, node *n, const cJSON *v, int depth)
{
    (void)depth;
    if (!cJSON_IsString(v))
        return CFAIL(c, PCFMCP_ERR_INVALID_ARG, "must be a string");
    if (!(n->pat = pcfmcp__calloc(1, sizeof(*n->pat))))
        return coom(c);
    return compile_pattern(c, n->pat, v->valuestring);
}

static bool kw_format(cctx *c, node *n, const cJSON *v, int depth)
{
    (void)depth;
    if (!cJSON_IsString(v))
        return CFAIL(c, PCFMCP_ERR_INVALID_ARG, "must be a string");
    /* Formats this validator does not know are annotations (2020-12). */
    for (int f = F_UUID; f < (int)PCFMCP_ARRAY_LEN(formats); f++)
        if (strcmp(formats[f].name, v->valuestring) == 0)
            n->format = f;
    return true;
}

static bool kw_items(cctx *c, node *n, const cJSON *v, int depth)
{
    if (cJSON_IsArray(v))
        return CFAIL(c, PCFMCP_ERR_INVALID_ARG,
                     "the array (tuple) form is not supported; use prefixItems");
    return compile_one(c, v, depth, &n->items);
}

static bool kw_contains(cctx *c, node *n, const cJSON *v, int depth)
{
    return compile_one(c, v, depth, &n->contains);
}

static bool kw_unique_items(cctx *c, node *n, const cJSON *v, int depth)
{
    (void)depth;
    if (!cJSON_IsBool(v))
        return CFAIL(c, PCFMCP_ERR_INVALID_ARG, "must be a boolean");
    n->unique = cJSON_IsTrue(v);
    return true;
}

static bool copy_value(cctx *c, const cJSON *v, cJSON **out)
{
    if (json_depth(v, 0, PCFMCP__SCHEMA_MAX_DEPTH) > PCFMCP__SCHEMA_MAX_DEPTH)
        return CFAIL(c, PCFMCP_ERR_LIMIT, "value nested deeper than %d levels",
                     PCFMCP__SCHEMA_MAX_DEPTH);
    return (*out = cJSON_Duplicate(v, true)) != NULL || coom(c);
}

static bool kw_enum(cctx *c, node *n, const cJSON *v, int depth)
{
    (void)depth;
    if (!cJSON_IsArray(v))
        return CFAIL(c, PCFMCP_ERR_INVALID_ARG, "must be an array");
    int count = cJSON_GetArraySize(v);
    if (count == 0)
        return CFAIL(c, PCFMCP_ERR_INVALID_ARG, "must not be empty");
    if (count > PCFMCP__SCHEMA_MAX_MEMBERS)
        return CFAIL(c, PCFMCP_ERR_LIMIT, "more than %d values", PCFMCP__SCHEMA_MAX_MEMBERS);
    return copy_value(c, v, &n->enums);
}

static bool kw_const(cctx *c, node *n, const cJSON *v, int depth)
{
    (void)depth;
    return copy_value(c, v, &n->konst);
}

static bool schema_list(cctx *c, const cJSON *v, int depth, node ***out, size_t *nout)
{
    if (!cJSON_IsArray(v))
        return CFAIL(c, PCFMCP_ERR_INVALID_ARG, "must be an array of schemas");
    int count = cJSON_GetArraySize(v);
    if (count == 0)
        return CFAIL(c, PCFMCP_ERR_INVALID_ARG, "must not be empty");
    if (count > PCFMCP__SCHEMA_MAX_FANOUT)
        return CFAIL(c, PCFMCP_ERR_LIMIT, "more than %d schemas", PCFMCP__SCHEMA_MAX_FANOUT);
    if (!(*out = pcfmcp__calloc((size_t)count, sizeof(node *))))
        return coom(c);
    for (const cJSON *e = v->child; e; e = e->next) {
        size_t mark = where_push_index(c, *nout);
        node *ch = compile(c, e, depth + 1);
        where_pop(c, mark);
        if (!ch)
            return false;
        (*out)[(*nout)++] = ch;
    }
    return true;
}

static bool kw_prefix_items(cctx *c, node *n, const cJSON *v, int depth)
{
    return schema_list(c, v, depth, &n->prefix, &n->nprefix);
}

static bool kw_all_of(cctx *c, node *n, const cJSON *v, int depth)
{
    return schema_list(c, v, depth, &n->all, &n->nall);
}

static bool kw_any_of(cctx *c, node *n, const cJSON *v, int depth)
{
    return schema_list(c, v, depth, &n->any, &n->nany);
}

static bool kw_one_of(cctx *c, node *n, const cJSON *v, int depth)
{
    return schema_list(c, v, depth, &n->one, &n->none);
}

static bool kw_not(cctx *c, node *n, const cJSON *v, int depth)
{
    return compile_one(c, v, depth, &n->not_);
}

static bool kw_if(cctx *c, node *n, const cJSON *v, int depth)
{
    return compile_one(c, v, depth, &n->if_);
}

static bool kw_then(cctx *c, node *n, const cJSON *v, int depth)
{
    return compile_one(c, v, depth, &n->then_);
}

static bool kw_else(cctx *c, node *n, const cJSON *v, int depth)
{
    return compile_one(c, v, depth, &n->else_);
}

static bool kw_ref(cctx *c, node *n, const cJSON *v, int depth)
{
    (void)depth;
    if (!cJSON_IsString(v))
        return CFAIL(c, PCFMCP_ERR_INVALID_ARG, "must be a string");
    if (!(n->ref_text = pcfmcp__strdup(v->valuestring)))
        return coom(c);
    if (!pcfmcp__buf_ok(&c->where) || !(n->ref_where = pcfmcp__strdup(c->where.data)))
        return coom(c);
    return true;
}

static const struct {
    const char *name;
    kw_fn fn;
    const char *unsupported; /* reason to refuse the keyword, or NULL */
} keywords[] = {
    { "type", kw_type, NULL },
    { "properties", kw_properties, NULL },
    { "patternProperties", kw_pattern_properties, NULL },
    { "additionalProperties", kw_additional_properties, NULL },
    { "propertyNames", kw_property_names, NULL },
    { "required", kw_required, NULL },
    { "dependentRequired", kw_dependent_required, NULL },
    { "dependentSchemas", kw_dependent_schemas, NULL },
    { "minProperties", kw_min_properties, NULL },
    { "maxProperties", kw_max_properties, NULL },
    { "items", kw_items, NULL },
    { "prefixItems", kw_prefix_items, NULL },
    { "contains", kw_contains, NULL },
    { "minContains", kw_min_contains, NULL },
    { "maxContains", kw_max_contains, NULL },
    { "minItems", kw_min_items, NULL },
    { "maxItems", kw_max_items, NULL },
    { "uniqueItems", kw_unique_items, NULL },
    { "enum", kw_enum, NULL },
    { "const", kw_const, NULL },
    { "minimum", kw_minimum, NULL },
    { "maximum", kw_maximum, NULL },
    { "exclusiveMinimum", kw_exclusive_minimum, NULL },
    { "exclusiveMaximum", kw_exclusive_maximum, NULL },
    { "multipleOf", kw_multiple_of, NULL },
    { "minLength", kw_min_length, NULL },
    { "maxLength", kw_max_length, NULL },
    { "pattern", kw_pattern, NULL },
    { "format", kw_format, NULL },
    { "allOf", kw_all_of, NULL },
    { "anyOf", kw_any_of, NULL },
    { "oneOf", kw_one_of, NULL },
    { "not", kw_not, NULL },
    { "if", kw_if, NULL },
    { "then", kw_then, NULL },
    { "else", kw_else, NULL },
    { "$ref", kw_ref, NULL },
    { "$defs", kw_defs, NULL },
    { "definitions", kw_definitions, NULL },
    { "unevaluatedProperties", NULL, "is not supported" },
    { "unevaluatedItems", NULL, "is not supported" },
    { "$dynamicRef", NULL, "is not supported" },
    { "$dynamicAnchor", NULL, "is not supported" },
    { "$recursiveRef", NULL, "is not supported" },
    { "$recursiveAnchor", NULL, "is not supported" },
    { "additionalItems", NULL,
      "is not supported (draft 2019-09 and earlier); use prefixItems and items" },
    { "dependencies", NULL,
      "is not supported (draft-07 and earlier); use dependentRequired or dependentSchemas" },
};

static node *compile(cctx *c, const cJSON *src, int depth)
{
    if (depth > PCFMCP__SCHEMA_MAX_DEPTH) {
        CFAIL(c, PCFMCP_ERR_LIMIT, "subschemas nested deeper than %d levels",
              PCFMCP__SCHEMA_MAX_DEPTH);
        return NULL;
    }
    if (!cJSON_IsBool(src) && !cJSON_IsObject(src)) {
        CFAIL(c, PCFMCP_ERR_INVALID_ARG, "a schema must be an object or a boolean");
        return NULL;
    }
    node *n = new_node(c);
    if (!n)
        return NULL;
    if (cJSON_IsBool(src)) {
        n->boolean = cJSON_IsTrue(src);
        return n;
    }
    for (const cJSON *kw = src->child; kw; kw = kw->next) {
        const char *name = kw->string ? kw->string : "";
        size_t k = 0;
        while (k < PCFMCP_ARRAY_LEN(keywords) && strcmp(keywords[k].name, name) != 0)
            k++;
        if (k == PCFMCP_ARRAY_LEN(keywords))
            continue; /* annotations and extension keywords */
        size_t mark = where_push(c, name);
        bool ok;
        if (cJSON_GetObjectItemCaseSensitive(src, name) != kw)
            ok = CFAIL(c, PCFMCP_ERR_INVALID_ARG, "duplicate keyword");
        else if (keywords[k].unsupported)
            ok = CFAIL(c, PCFMCP_ERR_INVALID_ARG, "keyword %s", keywords[k].unsupported);
        else
            ok = keywords[k].fn(c, n, kw, depth);
        where_pop(c, mark);
        if (!ok)
            return NULL;
    }
    return n;
}

/* ---- $ref resolution: JSON pointers walk the compiled tree, so a target is
 * always a compiled subschema and nothing points back into the source. */

static node *find_named(const named *v, size_t n, const char *name)
{
    for (size_t i = 0; i < n; i++)
        if (strcmp(v[i].name, name) == 0)
            return v[i].schema;
    return NULL;
}

static bool parse_index(const char *s, size_t *out)
{
    if (!*s || (s[0] == '0' && s[1]) || strlen(s) > 6)
        return false;
    size_t v = 0;
    for (; *s; s++) {
        if (*s < '0' || *s > '9')
            return false;
        v = v * 10 + (size_t)(*s - '0');
    }
    *out = v;
    return true;
}

/* Unescapes (~0, ~1) the pointer segment after the '/' at *p in place; *p
 * moves to where the next '/' was and *more says whether one was there
 * (the terminating NUL may overwrite it). */
static bool next_segment(char **p, char **seg, bool *more)
{
    char *s = *p + 1, *w = s;
    *seg = s;
    while (*s && *s != '/') {
        if (*s == '~') {
            if (s[1] == '0')
                *w++ = '~';
            else if (s[1] == '1')
                *w++ = '/';
            else
                return false;
            s += 2;
        } else {
            *w++ = *s++;
        }
    }
    *more = *s == '/';
    *w = '\0';
    *p = s;
    return true;
}

static node *walk_pointer(node *root, char *ptr)
{
    enum { K_NAMED, K_PATTERN, K_LIST, K_SINGLE };
    node *n = root;
    char *p = ptr, *kw, *arg;
    if (*p && *p != '/')
        return NULL;
    bool more = *p == '/';
    while (more) {
        if (!n || n->boolean != -1 || !next_segment(&p, &kw, &more))
            return NULL;
        int kind = K_NAMED;
        node **list = NULL, *single = NULL;
        size_t nlist = 0;
        const named *nv = NULL;
        if (!strcmp(kw, "$defs")) {
            nv = n->defs;
            nlist = n->ndefs;
        } else if (!strcmp(kw, "definitions")) {
            nv = n->definitions;
            nlist = n->ndefinitions;
        } else if (!strcmp(kw, "properties")) {
            nv = n->props;
            nlist = n->nprops;
        } else if (!strcmp(kw, "dependentSchemas")) {
            nv = n->dsch;
            nlist = n->ndsch;
        } else if (!strcmp(kw, "patternProperties")) {
            kind = K_PATTERN;
        } else if (!strcmp(kw, "allOf")) {
            kind = K_LIST;
            list = n->all;
            nlist = n->nall;
        } else if (!strcmp(kw, "anyOf")) {
            kind = K_LIST;
            list = n->any;
            nlist = n->nany;
        } else if (!strcmp(kw, "oneOf")) {
            kind = K_LIST;
            list = n->one;
            nlist = n->none;
        } else if (!strcmp(kw, "prefixItems")) {
            kind = K_LIST;
            list = n->prefix;
            nlist = n->nprefix;
        } else {
            kind = K_SINGLE;
            single = !strcmp(kw, "items")                  ? n->items
                     : !strcmp(kw, "additionalProperties") ? n->addl
                     : !strcmp(kw, "propertyNames")        ? n->names
                     : !strcmp(kw, "contains")             ? n->contains
                     : !strcmp(kw, "not")                  ? n->not_
                     : !strcmp(kw, "if")                   ? n->if_
                     : !strcmp(kw, "then")                 ? n->then_
                     : !strcmp(kw, "else")                 ? n->else_
                                                           : NULL;
        }
        if (kind == K_SINGLE) {
            n = single;
            continue;
        }
        if (!more || !next_segment(&p, &arg, &more))
            return NULL;
        if (kind == K_NAMED) {
            n = find_named(nv, nlist, arg);
        } else if (kind == K_PATTERN) {
            node *hit = NULL;
            for (size_t i = 0; i < n->npprops && !hit; i++)
                if (!strcmp(n->pprops[i].src, arg))
                    hit = n->pprops[i].schema;
            n = hit;
        } else {
            size_t idx;
            n = parse_index(arg, &idx) && idx < nlist ? list[idx] : NULL;
        }
    }
    return n;
}

/* Decodes %XX escapes of a URI fragment. Returns 0, -1 for a bad or NUL
 * escape, or -2 when out of memory. */
static int percent_decode(const char *s, char **out)
{
    size_t n = strlen(s);
    char *d = pcfmcp__malloc(n + 1), *w = d;
    if (!d)
        return -2;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '%') {
            *w++ = s[i];
            continue;
        }
        int hi = i + 2 < n ? pcfmcp__hexval((unsigned char)s[i + 1]) : -1;
        int lo = i + 2 < n ? pcfmcp__hexval((unsigned char)s[i + 2]) : -1;
        if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
            pcfmcp__free(d);
            return -1;
        }
        *w++ = (char)(hi * 16 + lo);
        i += 2;
    }
    *w = '\0';
    *out = d;
    return 0;
}

static bool resolve_ref(cctx *c, node *n)
{
    const char *text = n->ref_text, *hash = strchr(text, '#');
    size_t base = hash ? (size_t)(hash - text) : strlen(text);
    if (base > 0) {
        /* "$id#/$defs/x" names the root itself; anything else is remote. */
        const char *id = c->root_id;
        size_t idlen = id ? strcspn(id, "#") : 0;
        if (!id || idlen != base || strncmp(id, text, base) != 0)
            return cfail_at(c, n->ref_where, PCFMCP_ERR_INVALID_ARG,
                            "remote references are not supported (\"%.200s\")", text);
    }
    const char *frag = hash ? hash + 1 : "";
    if (*frag && *frag != '/')
        return cfail_at(c, n->ref_where, PCFMCP_ERR_INVALID_ARG,
                        "anchor references are not supported (\"%.200s\"); use a JSON pointer "
                        "such as \"#/$defs/name\"",
                        text);
    char *ptr;
    int rc = percent_decode(frag, &ptr);
    if (rc == -2)
        return coom(c);
    if (rc == -1)
        return cfail_at(c, n->ref_where, PCFMCP_ERR_INVALID_ARG,
                        "invalid percent-encoding in \"%.200s\"", text);
    n->ref = walk_pointer(c->s->root, ptr);
    pcfmcp__free(ptr);
    if (!n->ref)
        return cfail_at(c, n->ref_where, PCFMCP_ERR_INVALID_ARG,
                        "cannot resolve \"%.200s\": no subschema at that location", text);
    return true;
}

/* Rejects cycles of hops that apply to the same instance ($ref, allOf,
 * anyOf, oneOf, not, if/then/else, dependentSchemas): validating them would
 * never consume input and never end. Bounding the chain length also bounds
 * the recursion of validation per instance level. A cycle always contains
 * a $ref, so @p via (the last $ref taken) names a location on it. */
static bool check_chain(cctx *c, node *n, int len, const node *via);

static bool chain_hop(cctx *c, node *to, int len, const node *via, int *height)
{
    if (!check_chain(c, to, len + 1, via))
        return false;
    if (to->height + 1 > *height)
        *height = to->height + 1;
    return true;
}

static bool check_chain(cctx *c, node *n, int len, const node *via)
{
    const char *at = via ? via->ref_where : NULL;
    if (n->mark == 1)
        return cfail_at(c, at, PCFMCP_ERR_INVALID_ARG,
                        "$ref cycle that never consumes input (\"%.200s\" leads back "
                        "without descending into a property or item)",
                        via ? via->ref_text : "");
    if (len + (n->mark == 2 ? n->height : 0) > PCFMCP__SCHEMA_MAX_CHAIN)
        return cfail_at(c, at, PCFMCP_ERR_LIMIT,
                        "more than %d nested $ref/allOf/anyOf/oneOf/not/if/then/else hops",
                        PCFMCP__SCHEMA_MAX_CHAIN);
    if (n->mark == 2)
        return true;
    n->mark = 1;
    int h = 0;
    if (n->ref && !chain_hop(c, n->ref, len, n, &h))
        return false;
    node **lists[] = { n->all, n->any, n->one };
    size_t counts[] = { n->nall, n->nany, n->none };
    for (size_t l = 0; l < 3; l++)
        for (size_t i = 0; i < counts[l]; i++)
            if (!chain_hop(c, lists[l][i], len, via, &h))
                return false;
    node *singles[] = { n->not_, n->if_, n->then_, n->else_ };
    for (size_t i = 0; i < 4; i++)
        if (singles[i] && !chain_hop(c, singles[i], len, via, &h))
            return false;
    for (size_t i = 0; i < n->ndsch; i++)
        if (!chain_hop(c, n->dsch[i].schema, len, via, &h))
            return false;
    n->height = h;
    n->mark = 2;
    return true;
}

int pcfmcp__schema_compile(const cJSON *schema, pcfmcp__schema **out, char **err)
{
    if (err)
        *err = NULL;
    if (!schema || !out)
        return PCFMCP_ERR_INVALID_ARG;
    cctx c = { .rc = PCFMCP_OK };
    pcfmcp__buf_init(&c.where);
    if (!(c.s = pcfmcp__calloc(1, sizeof(*c.s))))
        return PCFMCP_ERR_NOMEM;
    ensure_locale(&c);
    const char *id = cJSON_IsObject(schema) ? pcfmcp__json_str(schema, "$id") : NULL;
    c.root_id = id;
    if (c.rc == PCFMCP_OK)
        c.s->root = compile(&c, schema, 0);
    for (size_t i = 0; c.rc == PCFMCP_OK && i < c.s->nnodes; i++)
        if (c.s->nodes[i]->ref_text)
            resolve_ref(&c, c.s->nodes[i]);
    for (size_t i = 0; c.rc == PCFMCP_OK && i < c.s->nnodes; i++)
        check_chain(&c, c.s->nodes[i], 0, NULL);
    if (c.rc == PCFMCP_OK && !pcfmcp__buf_ok(&c.where))
        c.rc = PCFMCP_ERR_NOMEM;
    pcfmcp__buf_free(&c.where);
    if (c.rc != PCFMCP_OK) {
        pcfmcp__schema_free(c.s);
        if (c.rc == PCFMCP_ERR_NOMEM && !c.err)
            c.err = pcfmcp__strdup("out of memory");
        if (err)
            *err = c.err;
        else
            pcfmcp__free(c.err);
        return c.rc;
    }
    /* Compile-time only. */
    for (size_t i = 0; i < c.s->nnodes; i++) {
        node *n = c.s->nodes[i];
        pcfmcp__free(n->ref_text);
        pcfmcp__free(n->ref_where);
        n->ref_text = n->ref_where = NULL;
    }
    *out = c.s;
    return PCFMCP_OK;
}

/* ===================================================================== */
/* Formats                                                                */
/* ===================================================================== */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_alnum(char c)
{
    return is_alpha(c) || is_digit(c);
}

static bool digits(const char *s, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit(s[i]))
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

/* Dotted quad without leading zeros, as the 2020-12 test suite expects. */
static bool valid_ipv4(const char *s, size_t n)
{
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        if (part) {
            if (i >= n || s[i] != '.')
                return false;
            i++;
        }
        size_t start = i;
        while (i < n && is_digit(s[i]) && i - start < 4)
            i++;
        size_t len = i - start;
        int v;
        if (len == 0 || len > 3 || (len > 1 && s[start] == '0') || !digits(s + start, len, &v) ||
            v > 255)
            return false;
    }
    return i == n;
}

static bool valid_ipv6(const char *s, size_t n)
{
    char tmp[64];
    unsigned char addr[16];
    if (n == 0 || n >= sizeof(tmp) || memchr(s, '%', n))
        return false;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    return inet_pton(AF_INET6, tmp, addr) == 1;
}

/* RFC 1123 host name: dot-separated labels of letters, digits and hyphens. */
static bool valid_hostname(const char *s, size_t n)
{
    if (n == 0 || n > 253)
        return false;
    size_t label = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == '.') {
            if (label == 0 || label > 63 || s[i - 1] == '-')
                return false;
            label = 0;
            continue;
        }
        if (!is_alnum(s[i]) && !(s[i] == '-' && label > 0))
            return false;
        label++;
    }
    return true;
}

/* RFC 5321 mailbox: dot-atom or quoted local part, host name or address literal. */
static bool valid_email(const char *s, size_t n)
{
    const char *at = NULL;
    for (size_t i = n; i > 0; i--)
        if (s[i - 1] == '@') {
            at = s + i - 1;
            break;
        }
    if (!at)
        return false;
    size_t ll = (size_t)(at - s), dl = n - ll - 1;
    if (ll == 0 || ll > 64 || dl == 0)
        return false;
    if (s[0] == '"') {
        if (ll < 2 || s[ll - 1] != '"')
            return false;
        for (size_t i = 1; i < ll - 1; i++) {
            unsigned char c = (unsigned char)s[i];
            if (c == '\\') {
                if (++i >= ll - 1)
                    return false;
                c = (unsigned char)s[i];
                if (c < 0x20 || c > 0x7e)
                    return false;
            } else if (c < 0x20 || c > 0x7e || c == '"') {
                return false;
            }
        }
    } else {
        for (size_t i = 0; i < ll; i++) {
            char c = s[i];
            if (c == '.') {
                if (i == 0 || i == ll - 1 || s[i - 1] == '.')
                    return false;
            } else if (!is_alnum(c) && !strchr("!#$%&'*+-/=?^_`{|}~", c)) {
                return false;
            }
        }
    }
    const char *d = at + 1;
    if (d[0] == '[') {
        if (dl < 3 || d[dl - 1] != ']')
            return false;
        if (dl > 6 && strncmp(d + 1, "IPv6:", 5) == 0)
            return valid_ipv6(d + 6, dl - 7);
        return valid_ipv4(d + 1, dl - 2);
    }
    return valid_hostname(d, dl);
}

static bool leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static bool valid_date(const char *s, size_t n)
{
    static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int y, m, d;
    if (n != 10 || s[4] != '-' || s[7] != '-' || !digits(s, 4, &y) || !digits(s + 5, 2, &m) ||
        !digits(s + 8, 2, &d))
        return false;
    if (m < 1 || m > 12 || d < 1)
        return false;
    return d <= mdays[m - 1] + (m == 2 && leap(y));
}

/* full-time: HH:MM:SS[.frac](Z|+HH:MM|-HH:MM); a leap second only at 23:59 UTC. */
static bool valid_time(const char *s, size_t n)
{
    int h, m, sec, oh = 0, om = 0, sign = 0;
    if (n < 9 || s[2] != ':' || s[5] != ':' || !digits(s, 2, &h) || !digits(s + 3, 2, &m) ||
        !digits(s + 6, 2, &sec))
        return false;
    size_t i = 8;
    if (i < n && s[i] == '.') {
        size_t start = ++i;
        while (i < n && is_digit(s[i]))
            i++;
        if (i == start)
            return false;
    }
    if (i >= n)
        return false;
    if (s[i] == 'Z' || s[i] == 'z') {
        i++;
    } else if (s[i] == '+' || s[i] == '-') {
        sign = s[i] == '+' ? 1 : -1;
        if (n - i != 6 || s[i + 3] != ':' || !digits(s + i + 1, 2, &oh) ||
            !digits(s + i + 4, 2, &om) || oh > 23 || om > 59)
            return false;
        i += 6;
    } else {
        return false;
    }
    if (i != n || h > 23 || m > 59 || sec > 60)
        return false;
    if (sec == 60) {
        int utc = ((h * 60 + m - sign * (oh * 60 + om)) % 1440 + 1440) % 1440;
        if (utc != 23 * 60 + 59)
            return false;
    }
    return true;
}

static bool valid_date_time(const char *s, size_t n)
{
    return n > 11 && (s[10] == 'T' || s[10] == 't') && valid_date(s, 10) &&
           valid_time(s + 11, n - 11);
}

static bool uri_unreserved(char c)
{
    return is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

static bool uri_sub_delim(char c)
{
    return c && strchr("!$&'()*+,;=", c) != NULL;
}

/* Checks s[0..n) against a character class (pchar plus @p extra), with
 * percent-encoded octets allowed. */
static bool uri_chars(const char *s, size_t n, const char *extra)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%') {
            if (i + 2 >= n)
                return false;
            if (pcfmcp__hexval((unsigned char)s[i + 1]) < 0 || pcfmcp__hexval((unsigned char)s[i + 2]) < 0)
                return false;
            i += 2;
        } else if (!uri_unreserved(c) && !uri_sub_delim(c) && c != ':' && c != '@' &&
                   !(c && strchr(extra, c))) {
            return false;
        }
    }
    return true;
}

/* RFC 3986 absolute URI: scheme ":" hier-part [ "?" query ] [ "#" fragment ]. */
static bool valid_uri(const char *s, size_t n)
{
    size_t i = 0;
    if (n == 0 || !is_alpha(s[0]))
        return false;
    while (i < n && (is_alnum(s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.'))
        i++;
    if (i >= n || s[i] != ':')
        return false;
    i++;
    size_t end = n;
    const char *hash = memchr(s + i, '#', n - i);
    if (hash) {
        end = (size_t)(hash - s);
        if (!uri_chars(hash + 1, n - end - 1, "/?"))
            return false;
    }
    const char *q = memchr(s + i, '?', end - i);
    if (q) {
        if (!uri_chars(q + 1, end - (size_t)(q - s) - 1, "/?"))
            return false;
        end = (size_t)(q - s);
    }
    if (end - i >= 2 && s[i] == '/' && s[i + 1] == '/') {
        i += 2;
        const char *slash = memchr(s + i, '/', end - i);
        size_t aend = slash ? (size_t)(slash - s) : end;
        const char *auth = s + i;
        size_t alen = aend - i;
        const char *atsign = NULL;
        for (size_t k = alen; k > 0; k--)
            if (auth[k - 1] == '@') {
                atsign = auth + k - 1;
                break;
            }
        if (atsign) {
            for (const char *u = auth; u < atsign; u++)
                if (*u == '@')
                    return false;
            if (!uri_chars(auth, (size_t)(atsign - auth), ""))
                return false;
            alen -= (size_t)(atsign - auth) + 1;
            auth = atsign + 1;
        }
        size_t hlen; /* length of the host; a port may follow */
        if (alen && auth[0] == '[') {
            const char *close = memchr(auth, ']', alen);
            if (!close)
                return false;
            size_t il = (size_t)(close - auth) - 1;
            if (!(il > 0 && (auth[1] == 'v' || auth[1] == 'V')) && !valid_ipv6(auth + 1, il))
                return false;
            hlen = (size_t)(close - auth) + 1;
        } else {
            const char *colon = memchr(auth, ':', alen);
            hlen = colon ? (size_t)(colon - auth) : alen;
            for (size_t k = 0; k < hlen; k++) {
                char c = auth[k];
                if (c == '%') {
                    if (k + 2 >= hlen || pcfmcp__hexval((unsigned char)auth[k + 1]) < 0 ||
                        pcfmcp__hexval((unsigned char)auth[k + 2]) < 0)
                        return false;
                    k += 2;
                } else if (!uri_unreserved(c) && !uri_sub_delim(c)) {
                    return false;
                }
            }
        }
        if (hlen < alen) {
            if (auth[hlen] != ':')
                return false;
            for (size_t k = hlen + 1; k < alen; k++)
                if (!is_digit(auth[k]))
                    return false;
        }
        i = aend;
    }
    return uri_chars(s + i, end - i, "/");
}

static bool format_ok(int f, const char *s)
{
    size_t n = strlen(s);
    switch (f) {
    case F_UUID: return pcfmcp__uuid_valid(s);
    case F_IPV4: return valid_ipv4(s, n);
    case F_IPV6: return valid_ipv6(s, n);
    case F_EMAIL: return n <= 254 && valid_email(s, n);
    case F_DATE_TIME: return valid_date_time(s, n);
    case F_DATE: return valid_date(s, n);
    case F_TIME: return valid_time(s, n);
    case F_URI: return valid_uri(s, n);
    case F_HOSTNAME: return valid_hostname(s, n);
    default: return true;
    }
}

/* ===================================================================== */
/* Validation                                                             */
/* ===================================================================== */

/* Recursion backstop: instance depth times the chain bound could exceed
 * what a small thread stack holds, so validation stops cleanly first. With
 * the leaf work kept out of the recursive frames (NOINLINE) this needs a few
 * hundred KiB of stack at most. */
#define MAX_RECURSION 1024
#define NOINLINE __attribute__((noinline))
#define ECHO_CHARS 40  /* code points of an instance string echoed back */
#define VALUE_BYTES 80 /* bytes of a schema value (enum, const) shown */
#define LIST_MAX 20    /* enum values and property names listed */
#define PATH_MAX_SHOWN 240 /* bytes of a JSON pointer shown before eliding */

enum { AB_NONE, AB_BUDGET, AB_RECURSION, AB_NOMEM };

typedef struct {
    pcfmcp__buf path; /* JSON pointer of the value being checked ("" = root) */
    uint64_t budget;  /* steps left; bounds anyOf/oneOf re-validation */
    unsigned rec;
    int abort;
} vstate;

typedef struct {
    vstate *st;
    pcfmcp__buf *out;  /* NULL: only the yes/no answer is wanted */
    unsigned problems; /* counted even past max */
    unsigned max;
    size_t base;                 /* path length where this context started */
    unsigned char tf[T_COUNT];   /* types, if the only problem is a type mismatch at base */
    unsigned ntf;
} vctx;

static bool v_node(vctx *c, const node *n, const cJSON *x);

static bool charge(vstate *st, uint64_t n)
{
    if (st->abort)
        return false;
    if (st->budget < n) {
        st->abort = AB_BUDGET;
        return false;
    }
    st->budget -= n;
    return true;
}

static vctx sub_ctx(const vctx *c, pcfmcp__buf *out)
{
    vctx s = { .st = c->st, .out = out, .max = c->max, .base = c->st->path.len };
    return s;
}

static size_t push_key(vctx *c, const char *k)
{
    size_t mark = c->st->path.len;
    if (c->out)
        put_segment(&c->st->path, k ? k : "", 64);
    return mark;
}

static size_t push_index(vctx *c, size_t i)
{
    size_t mark = c->st->path.len;
    if (c->out)
        pcfmcp__buf_printf(&c->st->path, "/%zu", i);
    return mark;
}

static void pop(vctx *c, size_t mark)
{
    pcfmcp__buf *p = &c->st->path;
    if (c->out && pcfmcp__buf_ok(p) && p->data) {
        p->len = mark;
        p->data[mark] = '\0';
    }
}

/* Writes a JSON pointer, eliding the middle of a very deep one at segment
 * boundaries ("/a/b/.../y/z") so that one problem stays one short line. */
static void put_path(pcfmcp__buf *b, const char *p, size_t len)
{
    if (len == 0) {
        pcfmcp__buf_putc(b, '/');
        return;
    }
    if (len <= PATH_MAX_SHOWN) {
        pcfmcp__buf_append(b, p, len);
        return;
    }
    size_t head = PATH_MAX_SHOWN / 3, tail = len - PATH_MAX_SHOWN / 2;
    while (head > 0 && p[head] != '/')
        head--;
    while (tail < len && p[tail] != '/')
        tail++;
    if (head == 0 || tail >= len) {
        pcfmcp__buf_append(b, p, len);
        return;
    }
    pcfmcp__buf_append(b, p, head);
    pcfmcp__buf_puts(b, "/...");
    pcfmcp__buf_append(b, p + tail, len - tail);
}

/* Counts a problem; true if the caller should now write its message. */
static bool begin(vctx *c)
{
    c->problems++;
    if (!c->out || c->problems > c->max || c->st->abort)
        return false;
    if (!pcfmcp__buf_ok(&c->st->path)) {
        c->st->abort = AB_NOMEM;
        return false;
    }
    put_path(c->out, c->st->path.data, c->st->path.len);
    pcfmcp__buf_puts(c->out, ": ");
    return true;
}

static void end(vctx *c)
{
    pcfmcp__buf_putc(c->out, '\n');
    if (!pcfmcp__buf_ok(c->out))
        c->st->abort = AB_NOMEM;
}

static const char *plural(uint64_t n)
{
    return n == 1 ? "" : "s";
}

static void put_num(pcfmcp__buf *b, double d)
{
    char tmp[40];
    if (isnan(d))
        snprintf(tmp, sizeof(tmp), "NaN");
    else if (isinf(d))
        snprintf(tmp, sizeof(tmp), d > 0 ? "Infinity" : "-Infinity");
    else if (d == floor(d) && fabs(d) < 1e15)
        snprintf(tmp, sizeof(tmp), "%.0f", d == 0 ? 0.0 : d);
    else {
        snprintf(tmp, sizeof(tmp), "%.15g", d);
        if (strtod(tmp, NULL) != d)
            snprintf(tmp, sizeof(tmp), "%.17g", d);
    }
    pcfmcp__buf_puts(b, tmp);
}

static size_t cp_count(const char *s)
{
    size_t n = 0;
    for (; *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static size_t utf8_cut(const char *s, size_t n, size_t max)
{
    if (n <= max)
        return n;
    while (max > 0 && ((unsigned char)s[max] & 0xC0) == 0x80)
        max--;
    return max;
}

/* A schema-supplied string in quotes, control characters escaped, cut after
 * @p max bytes. Backslashes stay as they are: patterns read better raw. */
static void put_raw_quoted(pcfmcp__buf *b, const char *s, size_t max)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = strlen(s), cut = utf8_cut(s, n, max);
    pcfmcp__buf_putc(b, '"');
    for (size_t i = 0; i < cut; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch < 0x20 || ch == 0x7f) {
            char u[6] = { '\\', 'u', '0', '0', hex[ch >> 4], hex[ch & 15] };
            pcfmcp__buf_append(b, u, sizeof(u));
        } else if (ch == '"') {
            pcfmcp__buf_puts(b, "\\\"");
        } else {
            pcfmcp__buf_putc(b, (char)ch);
        }
    }
    pcfmcp__buf_puts(b, cut < n ? "...\"" : "\"");
}

/* A name without quotes (property lists). */
static void put_plain(pcfmcp__buf *b, const char *s, size_t max)
{
    size_t n = strlen(s), cut = utf8_cut(s, n, max);
    for (size_t i = 0; i < cut; i++) {
        unsigned char ch = (unsigned char)s[i];
        pcfmcp__buf_putc(b, ch < 0x20 || ch == 0x7f ? '?' : (char)ch);
    }
    if (cut < n)
        pcfmcp__buf_puts(b, "...");
}

/* An instance string as JSON, cut after ECHO_CHARS code points so that a
 * huge value is never sent back whole. */
static void put_string_echo(pcfmcp__buf *b, const char *s)
{
    size_t n = strlen(s), i = 0, cps = 0;
    while (i < n && cps < ECHO_CHARS) {
        i++;
        while (i < n && ((unsigned char)s[i] & 0xC0) == 0x80)
            i++;
        cps++;
    }
    pcfmcp__buf_json_string(b, s, i);
    if (i < n && pcfmcp__buf_ok(b)) {
        b->len--; /* reopen the closing quote */
        pcfmcp__buf_printf(b, "...\", %zu characters", cp_count(s));
    }
}

static void put_echo(pcfmcp__buf *b, const cJSON *x)
{
    switch (x->type & 0xFF) {
    case cJSON_NULL: pcfmcp__buf_puts(b, "null"); break;
    case cJSON_True: pcfmcp__buf_puts(b, "true"); break;
    case cJSON_False: pcfmcp__buf_puts(b, "false"); break;
    case cJSON_Number: put_num(b, x->valuedouble); break;
    case cJSON_String:
        if (x->valuestring) {
            put_string_echo(b, x->valuestring);
            break;
        }
        pcfmcp__buf_puts(b, "an invalid value");
        break;
    case cJSON_Array: pcfmcp__buf_puts(b, "array"); break;
    case cJSON_Object: pcfmcp__buf_puts(b, "object"); break;
    default: pcfmcp__buf_puts(b, "an invalid value"); break;
    }
}

/* A schema value (enum member, const): containers as compact JSON, cut. */
static void put_value(vctx *c, const cJSON *v)
{
    if (cJSON_IsString(v)) {
        size_t n = strlen(v->valuestring), cut = utf8_cut(v->valuestring, n, VALUE_BYTES);
        pcfmcp__buf_json_string(c->out, v->valuestring, cut);
        if (cut < n && pcfmcp__buf_ok(c->out)) {
            c->out->len--; /* reopen the closing quote */
            pcfmcp__buf_puts(c->out, "...\"");
        }
        return;
    }
    if (!cJSON_IsArray(v) && !cJSON_IsObject(v)) {
        put_echo(c->out, v);
        return;
    }
    char *s = cJSON_PrintUnformatted(v);
    if (!s) {
        c->st->abort = AB_NOMEM;
        return;
    }
    size_t n = strlen(s), cut = utf8_cut(s, n, VALUE_BYTES);
    pcfmcp__buf_append(c->out, s, cut);
    if (cut < n)
        pcfmcp__buf_puts(c->out, "...");
    cJSON_free(s);
}

static unsigned kind_bits(const cJSON *x)
{
    switch (x->type & 0xFF) {
    case cJSON_NULL: return 1u << T_NULL;
    case cJSON_False:
    case cJSON_True: return 1u << T_BOOLEAN;
    case cJSON_Object: return 1u << T_OBJECT;
    case cJSON_Array: return 1u << T_ARRAY;
    case cJSON_Number: {
        /* 2020-12: an integer is any number with a zero fractional part. */
        double d = x->valuedouble;
        return (1u << T_NUMBER) | (isfinite(d) && floor(d) == d ? 1u << T_INTEGER : 0);
    }
    case cJSON_String: return x->valuestring ? 1u << T_STRING : 0;
    default: return 0;
    }
}

static NOINLINE void report_type(vctx *c, const unsigned char *types, unsigned n, const cJSON *x)
{
    if (c->out && c->problems == 0 && c->st->path.len == c->base) {
        memcpy(c->tf, types, n);
        c->ntf = n;
    }
    if (!begin(c))
        return;
    pcfmcp__buf_puts(c->out, "must be ");
    for (unsigned i = 0; i < n; i++) {
        if (i)
            pcfmcp__buf_puts(c->out, i + 1 == n ? " or " : ", ");
        pcfmcp__buf_puts(c->out, type_names[types[i]]);
    }
    pcfmcp__buf_puts(c->out, " (got ");
    put_echo(c->out, x);
    pcfmcp__buf_puts(c->out, ")");
    end(c);
}

/* JSON equality as JSON Schema defines it: numbers by value, objects
 * regardless of member order. */
static bool json_eq(vstate *st, const cJSON *a, const cJSON *b)
{
    if (!charge(st, 1))
        return false;
    int ka = a->type & 0xFF, kb = b->type & 0xFF;
    if (ka != kb)
        return false;
    switch (ka) {
    case cJSON_Number: return a->valuedouble == b->valuedouble;
    case cJSON_String:
        return a->valuestring && b->valuestring && strcmp(a->valuestring, b->valuestring) == 0;
    case cJSON_Array: {
        const cJSON *p = a->child, *q = b->child;
        for (; p && q; p = p->next, q = q->next)
            if (!json_eq(st, p, q))
                return false;
        return !p && !q;
    }
    case cJSON_Object: {
        size_t na = 0, nb = 0;
        for (const cJSON *p = a->child; p; p = p->next)
            na++;
        for (const cJSON *q = b->child; q; q = q->next)
            nb++;
        if (na != nb || !charge(st, na))
            return false;
        for (const cJSON *p = a->child; p; p = p->next) {
            const cJSON *q = p->string ? cJSON_GetObjectItemCaseSensitive(b, p->string) : NULL;
            if (!q || !charge(st, nb) || !json_eq(st, p, q))
                return false;
        }
        return true;
    }
    default: return true;
    }
}

static uint64_t mix(uint64_t h, uint64_t v)
{
    h ^= v + 0x9e3779b97f4a7c15ULL + (h << 6) + (h >> 2);
    return h * 0xbf58476d1ce4e5b9ULL;
}

static uint64_t fnv(const char *s)
{
    uint64_t h = 1469598103934665603ULL;
    for (; s && *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

/* Consistent with json_eq: equal values hash alike. */
static uint64_t json_hash(vstate *st, const cJSON *x)
{
    charge(st, 1);
    int k = x->type & 0xFF;
    switch (k) {
    case cJSON_Number: {
        double d = x->valuedouble;
        if (d == 0)
            d = 0; /* -0 equals 0 */
        uint64_t bits;
        memcpy(&bits, &d, sizeof(bits));
        return mix((uint64_t)k, bits);
    }
    case cJSON_String: return mix((uint64_t)k, fnv(x->valuestring));
    case cJSON_Array: {
        uint64_t h = (uint64_t)k;
        for (const cJSON *p = x->child; p; p = p->next)
            h = mix(h, json_hash(st, p));
        return h;
    }
    case cJSON_Object: {
        uint64_t sum = 0; /* order-independent */
        for (const cJSON *p = x->child; p; p = p->next)
            sum += mix(fnv(p->string), json_hash(st, p));
        return mix((uint64_t)k, sum);
    }
    default: return (uint64_t)k;
    }
}

typedef struct {
    uint64_t h;
    size_t i;
    const cJSON *x;
} hitem;

static int cmp_hitem(const void *a, const void *b)
{
    const hitem *x = a, *y = b;
    if (x->h != y->h)
        return x->h < y->h ? -1 : 1;
    return x->i < y->i ? -1 : x->i > y->i;
}

/* Finds a pair of equal items (the one with the smallest second index) in
 * O(n log n): hash, sort, compare within runs of equal hashes. */
static NOINLINE bool find_duplicate(vstate *st, const cJSON *arr, size_t count, size_t *di,
                                     size_t *dj)
{
    bool found = false;
    if (count <= 16) {
        const cJSON *items[16];
        size_t k = 0;
        for (const cJSON *p = arr->child; p && k < 16; p = p->next)
            items[k++] = p;
        for (size_t j = 1; j < k && !found; j++)
            for (size_t i = 0; i < j && !found; i++)
                if (json_eq(st, items[i], items[j])) {
                    *di = i;
                    *dj = j;
                    found = true;
                }
        return found && !st->abort;
    }
    hitem *v = pcfmcp__malloc(count * sizeof(*v));
    if (!v) {
        st->abort = AB_NOMEM;
        return false;
    }
    size_t k = 0;
    for (const cJSON *p = arr->child; p && k < count; p = p->next, k++) {
        v[k].h = json_hash(st, p);
        v[k].i = k;
        v[k].x = p;
    }
    qsort(v, k, sizeof(*v), cmp_hitem);
    for (size_t s = 0; s < k && !st->abort;) {
        size_t e = s + 1;
        while (e < k && v[e].h == v[s].h)
            e++;
        for (size_t a = s; a < e && !st->abort; a++)
            for (size_t b = a + 1; b < e && !st->abort; b++)
                if ((!found || v[b].i < *dj) && json_eq(st, v[a].x, v[b].x)) {
                    *di = v[a].i;
                    *dj = v[b].i;
                    found = true;
                }
        s = e;
    }
    pcfmcp__free(v);
    return found && !st->abort;
}

/* 1 if @p s matches, 0 if not, PCFMCP__REGEX_LIMIT when it could not be
 * decided within the match limits, PCFMCP__REGEX_NOMEM. */
static int pattern_match(vstate *st, const pattern *p, const char *s)
{
    size_t n = strlen(s);
    if (!charge(st, 1 + n / 64))
        return 0;
    return pcfmcp__regex_match(p->re, s, n);
}

/* What a value gets told when its pattern needed more than the limits. */
static void put_limit(pcfmcp__buf *b, const pattern *p)
{
    pcfmcp__buf_puts(b, "could not be checked against pattern ");
    put_raw_quoted(b, p->src, 200);
    pcfmcp__buf_puts(b, ": the pattern needs too much backtracking on this value "
                        "(simplify it, or bound the value's length)");
}

#define FAIL()                                                                                     \
    do {                                                                                           \
        ok = false;                                                                                \
        if (!c->out || c->st->abort)                                                               \
            return false;                                                                          \
    } while (0)

static NOINLINE bool bound_fail(vctx *c, const char *op, double limit, double got)
{
    if (begin(c)) {
        pcfmcp__buf_printf(c->out, "must be %s ", op);
        put_num(c->out, limit);
        pcfmcp__buf_puts(c->out, " (got ");
        put_num(c->out, got);
        pcfmcp__buf_puts(c->out, ")");
        end(c);
    }
    return false;
}

static NOINLINE bool v_number(vctx *c, const node *n, const cJSON *x)
{
    bool ok = true;
    double d = x->valuedouble;
    if ((n->numflags & HAS_MIN) && !(d >= n->minimum) && !bound_fail(c, ">=", n->minimum, d))
        FAIL();
    if ((n->numflags & HAS_MAX) && !(d <= n->maximum) && !bound_fail(c, "<=", n->maximum, d))
        FAIL();
    if ((n->numflags & HAS_XMIN) && !(d > n->xminimum) && !bound_fail(c, ">", n->xminimum, d))
        FAIL();
    if ((n->numflags & HAS_XMAX) && !(d < n->xmaximum) && !bound_fail(c, "<", n->xmaximum, d))
        FAIL();
    if (n->numflags & HAS_MULT) {
        /* A relative tolerance absorbs binary rounding (0.3 / 0.1). */
        double q = d / n->multiple;
        if (!isfinite(q) || fabs(q - round(q)) > 1e-9 * fmax(1.0, fabs(q))) {
            if (begin(c)) {
                pcfmcp__buf_puts(c->out, "must be a multiple of ");
                put_num(c->out, n->multiple);
                pcfmcp__buf_puts(c->out, " (got ");
                put_num(c->out, d);
                pcfmcp__buf_puts(c->out, ")");
                end(c);
            }
            FAIL();
        }
    }
    return ok;
}

static NOINLINE bool v_string(vctx *c, const node *n, const cJSON *x)
{
    bool ok = true;
    const char *s = x->valuestring;
    if (n->min_len >= 0 || n->max_len >= 0) {
        uint64_t len = cp_count(s);
        if (n->min_len >= 0 && len < (uint64_t)n->min_len) {
            if (begin(c)) {
                pcfmcp__buf_printf(c->out, "must be at least %lld character%s long (got %llu)",
                                   (long long)n->min_len, plural((uint64_t)n->min_len),
                                   (unsigned long long)len);
                end(c);
            }
            FAIL();
        }
        if (n->max_len >= 0 && len > (uint64_t)n->max_len) {
            if (begin(c)) {
                pcfmcp__buf_printf(c->out, "must be at most %lld character%s long (got %llu)",
                                   (long long)n->max_len, plural((uint64_t)n->max_len),
                                   (unsigned long long)len);
                end(c);
            }
            FAIL();
        }
    }
    if (n->pat) {
        int rc = pattern_match(c->st, n->pat, s);
        if (rc == PCFMCP__REGEX_NOMEM)
            c->st->abort = AB_NOMEM;
        if (c->st->abort)
            return false;
        if (rc == PCFMCP__REGEX_LIMIT) {
            if (begin(c)) {
                put_limit(c->out, n->pat);
                end(c);
            }
            FAIL();
        } else if (rc == 0) {
            if (begin(c)) {
                pcfmcp__buf_puts(c->out, "must match pattern ");
                put_raw_quoted(c->out, n->pat->src, 200);
                pcfmcp__buf_puts(c->out, " (got ");
                put_echo(c->out, x);
                pcfmcp__buf_puts(c->out, ")");
                end(c);
            }
            FAIL();
        }
    }
    if (n->format && !format_ok(n->format, s)) {
        if (begin(c)) {
            pcfmcp__buf_printf(c->out, "must be a valid %s (got ", formats[n->format].what);
            put_echo(c->out, x);
            pcfmcp__buf_puts(c->out, ")");
            end(c);
        }
        FAIL();
    }
    return ok;
}

/* "must have at least 2 items (got 1)" and its relatives. */
static NOINLINE bool count_fail(vctx *c, const char *what, int64_t limit, const char *one,
                       const char *many, const char *tail, size_t got)
{
    if (begin(c)) {
        pcfmcp__buf_printf(c->out, "%s %lld %s%s (got %zu)", what, (long long)limit,
                           limit == 1 ? one : many, tail, got);
        end(c);
    }
    return false;
}

static bool v_array(vctx *c, const node *n, const cJSON *x)
{
    bool ok = true;
    vstate *st = c->st;
    size_t count = 0;
    for (const cJSON *p = x->child; p; p = p->next)
        count++;
    if (!charge(st, count))
        return false;
    if (n->min_items >= 0 && count < (uint64_t)n->min_items &&
        !count_fail(c, "must have at least", n->min_items, "item", "items", "", count))
        FAIL();
    if (n->max_items >= 0 && count > (uint64_t)n->max_items &&
        !count_fail(c, "must have at most", n->max_items, "item", "items", "", count))
        FAIL();
    bool no_more = n->items && n->items->boolean == 0;
    if (no_more && count > n->nprefix &&
        !count_fail(c, "must have at most", (int64_t)n->nprefix, "item", "items", "", count))
        FAIL();
    size_t i = 0;
    for (const cJSON *p = x->child; p; p = p->next, i++) {
        const node *sub = i < n->nprefix ? n->prefix[i] : no_more ? NULL : n->items;
        if (!sub)
            continue;
        size_t mark = push_index(c, i);
        bool r = v_node(c, sub, p);
        pop(c, mark);
        if (!r)
            FAIL();
    }
    if (n->unique && count > 1) {
        size_t a = 0, b = 0;
        if (find_duplicate(st, x, count, &a, &b)) {
            if (begin(c)) {
                pcfmcp__buf_printf(c->out,
                                   "must not contain duplicate items (items %zu and %zu are equal)",
                                   a, b);
                end(c);
            }
            FAIL();
        } else if (st->abort) {
            return false;
        }
    }
    if (n->contains) {
        vctx q = sub_ctx(c, NULL);
        size_t hits = 0;
        for (const cJSON *p = x->child; p; p = p->next) {
            if (v_node(&q, n->contains, p))
                hits++;
            else if (st->abort)
                return false;
        }
        if ((int64_t)hits < n->min_contains &&
            !count_fail(c, "must contain at least", n->min_contains, "item", "items",
                        " matching \"contains\"", hits))
            FAIL();
        if (n->max_contains >= 0 && (int64_t)hits > n->max_contains &&
            !count_fail(c, "must contain at most", n->max_contains, "item", "items",
                        " matching \"contains\"", hits))
            FAIL();
    }
    return ok;
}

static const named *find_prop(const node *n, const char *key)
{
    size_t lo = 0, hi = n->nprops;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const named *p = &n->props[n->sorted[mid]];
        int r = strcmp(key, p->name);
        if (r == 0)
            return p;
        if (r < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

static NOINLINE void put_allowed(vctx *c, const node *n)
{
    pcfmcp__buf *b = c->out;
    if (!n->nprops && !n->npprops) {
        pcfmcp__buf_puts(b, "(no properties allowed)");
        return;
    }
    pcfmcp__buf_puts(b, "(allowed: ");
    for (size_t i = 0; i < n->nprops && i < LIST_MAX; i++) {
        if (i)
            pcfmcp__buf_puts(b, ", ");
        put_plain(b, n->props[i].name, 64);
    }
    if (n->nprops > LIST_MAX)
        pcfmcp__buf_printf(b, ", ... (%zu names in total)", n->nprops);
    for (size_t i = 0; i < n->npprops && i < LIST_MAX; i++) {
        if (i == 0)
            pcfmcp__buf_puts(b, n->nprops ? ", or names matching " : "names matching ");
        else
            pcfmcp__buf_puts(b, " or ");
        put_raw_quoted(b, n->pprops[i].src, 100);
    }
    pcfmcp__buf_putc(b, ')');
}

/* Re-reports the problems of a property name, which has no path of its own,
 * at the object: "/: invalid property name "x y": must match pattern ...". */
static NOINLINE void report_name(vctx *c, const node *schema, const char *key, const cJSON *name)
{
    pcfmcp__buf scratch;
    pcfmcp__buf_init(&scratch);
    vctx s = sub_ctx(c, &scratch);
    v_node(&s, schema, name);
    size_t plen = c->st->path.len ? c->st->path.len : 1;
    const char *p = scratch.data;
    unsigned shown = 0;
    while (!c->st->abort && p && *p) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) : strlen(p);
        const char *msg = p;
        if (len > plen + 2 && msg[plen] == ':' && msg[plen + 1] == ' ')
            msg += plen + 2;
        shown++;
        if (begin(c)) {
            pcfmcp__buf_puts(c->out, "invalid property name ");
            put_string_echo(c->out, key);
            pcfmcp__buf_puts(c->out, ": ");
            pcfmcp__buf_append(c->out, msg, len - (size_t)(msg - p));
            end(c);
        }
        p += len + (nl ? 1 : 0);
    }
    if (s.problems > shown)
        c->problems += s.problems - shown;
    if (!pcfmcp__buf_ok(&scratch))
        c->st->abort = AB_NOMEM;
    pcfmcp__buf_free(&scratch);
}

/* propertyNames: the name is checked as a string instance of its own. */
static NOINLINE bool v_name(vctx *c, const node *schema, const char *key)
{
    cJSON name;
    memset(&name, 0, sizeof(name));
    name.type = cJSON_String;
    name.valuestring = (char *)key;
    vctx q = sub_ctx(c, NULL);
    if (v_node(&q, schema, &name))
        return true;
    if (c->st->abort)
        return false;
    if (c->out)
        report_name(c, schema, key, &name);
    else
        c->problems++;
    return false;
}

static bool v_object(vctx *c, const node *n, const cJSON *x)
{
    bool ok = true;
    vstate *st = c->st;
    size_t count = 0;
    for (const cJSON *p = x->child; p; p = p->next)
        count++;
    if (!charge(st, count))
        return false;
    if (n->min_props >= 0 && count < (uint64_t)n->min_props &&
        !count_fail(c, "must have at least", n->min_props, "property", "properties", "", count))
        FAIL();
    if (n->max_props >= 0 && count > (uint64_t)n->max_props &&
        !count_fail(c, "must have at most", n->max_props, "property", "properties", "", count))
        FAIL();
    for (size_t i = 0; i < n->nrequired; i++) {
        if (!charge(st, count))
            return false;
        if (cJSON_GetObjectItemCaseSensitive(x, n->required[i]))
            continue;
        if (begin(c)) {
            pcfmcp__buf_puts(c->out, "missing required property ");
            put_raw_quoted(c->out, n->required[i], 200);
            end(c);
        }
        FAIL();
    }
    for (size_t i = 0; i < n->ndreq; i++) {
        const dep_req *d = &n->dreq[i];
        if (!charge(st, count * (d->n + 1)))
            return false;
        if (!cJSON_GetObjectItemCaseSensitive(x, d->name))
            continue;
        for (size_t k = 0; k < d->n; k++) {
            if (cJSON_GetObjectItemCaseSensitive(x, d->names[k]))
                continue;
            if (begin(c)) {
                pcfmcp__buf_puts(c->out, "missing property ");
                put_raw_quoted(c->out, d->names[k], 200);
                pcfmcp__buf_puts(c->out, " (required when ");
                put_raw_quoted(c->out, d->name, 200);
                pcfmcp__buf_puts(c->out, " is present)");
                end(c);
            }
            FAIL();
        }
    }
    for (const cJSON *m = x->child; m; m = m->next) {
        const char *key = m->string ? m->string : "";
        bool matched = false;
        const named *p = n->nprops ? find_prop(n, key) : NULL;
        if (p) {
            matched = true;
            size_t mark = push_key(c, key);
            bool r = v_node(c, p->schema, m);
            pop(c, mark);
            if (!r)
                FAIL();
        }
        for (size_t i = 0; i < n->npprops; i++) {
            int rc = pattern_match(st, &n->pprops[i], key);
            if (rc == PCFMCP__REGEX_NOMEM)
                st->abort = AB_NOMEM;
            if (st->abort)
                return false;
            if (rc == PCFMCP__REGEX_LIMIT) {
                size_t mark = push_key(c, key);
                if (begin(c)) {
                    pcfmcp__buf_puts(c->out, "property name ");
                    put_limit(c->out, &n->pprops[i]);
                    end(c);
                }
                pop(c, mark);
                FAIL();
                continue;
            }
            if (rc == 0)
                continue;
            matched = true;
            size_t mark = push_key(c, key);
            bool r = v_node(c, n->pprops[i].schema, m);
            pop(c, mark);
            if (!r)
                FAIL();
        }
        if (!matched && n->addl) {
            size_t mark = push_key(c, key);
            bool r;
            if (n->addl->boolean == 0) {
                if (begin(c)) {
                    pcfmcp__buf_puts(c->out, "unknown property ");
                    put_allowed(c, n);
                    end(c);
                }
                r = false;
            } else {
                r = v_node(c, n->addl, m);
            }
            pop(c, mark);
            if (!r)
                FAIL();
        }
        if (n->names && !v_name(c, n->names, key))
            FAIL();
    }
    for (size_t i = 0; i < n->ndsch; i++) {
        if (!charge(st, count))
            return false;
        if (cJSON_GetObjectItemCaseSensitive(x, n->dsch[i].name) &&
            !v_node(c, n->dsch[i].schema, x))
            FAIL();
    }
    return ok;
}

/* No alternative of anyOf/oneOf matched. The model gets the problems of the
 * closest alternative (preferring one whose type fits), or, when every
 * alternative only rejected the type, one merged "must be A or B" line. */
static NOINLINE void report_none(vctx *c, node *const *alts, size_t n, const cJSON *x,
                                  const char *kw)
{
    if (!c->out) {
        c->problems++;
        return;
    }
    pcfmcp__buf best, cur;
    pcfmcp__buf_init(&best);
    pcfmcp__buf_init(&cur);
    unsigned best_problems = 0, ntypes = 0;
    size_t best_i = SIZE_MAX;
    bool best_type = false, all_type = true;
    unsigned char types[T_COUNT];
    for (size_t i = 0; i < n; i++) {
        pcfmcp__buf_reset(&cur);
        vctx s = sub_ctx(c, &cur);
        v_node(&s, alts[i], x);
        if (c->st->abort)
            goto done;
        bool type_only = s.problems == 1 && s.ntf > 0;
        if (type_only) {
            for (unsigned k = 0; k < s.ntf; k++) {
                unsigned j = 0;
                while (j < ntypes && types[j] != s.tf[k])
                    j++;
                if (j == ntypes)
                    types[ntypes++] = s.tf[k];
            }
        } else {
            all_type = false;
        }
        if (best_i == SIZE_MAX || (best_type && !type_only) ||
            (best_type == type_only && s.problems < best_problems)) {
            pcfmcp__buf t = best;
            best = cur;
            cur = t;
            best_i = i;
            best_problems = s.problems;
            best_type = type_only;
        }
    }
    if (all_type) {
        report_type(c, types, ntypes, x);
        goto done;
    }
    if (begin(c)) {
        pcfmcp__buf_printf(c->out,
                           "matches none of the %zu alternatives in %s; closest is "
                           "alternative %zu:",
                           n, kw, best_i + 1);
        end(c);
    }
    unsigned shown = 0;
    for (const char *p = best.data; p && *p;) {
        const char *nl = strchr(p, '\n');
        size_t len = nl ? (size_t)(nl - p) + 1 : strlen(p);
        c->problems++;
        shown++;
        if (c->problems <= c->max)
            pcfmcp__buf_append(c->out, p, len);
        p += len;
    }
    if (best_problems > shown)
        c->problems += best_problems - shown;
    if (!pcfmcp__buf_ok(c->out) || !pcfmcp__buf_ok(&best))
        c->st->abort = AB_NOMEM;
done:
    pcfmcp__buf_free(&best);
    pcfmcp__buf_free(&cur);
}

static bool v_any(vctx *c, node *const *alts, size_t n, const cJSON *x)
{
    vctx q = sub_ctx(c, NULL);
    for (size_t i = 0; i < n; i++) {
        if (v_node(&q, alts[i], x))
            return true;
        if (c->st->abort)
            return false;
    }
    report_none(c, alts, n, x, "anyOf");
    return false;
}

static bool v_one(vctx *c, node *const *alts, size_t n, const cJSON *x)
{
    vctx q = sub_ctx(c, NULL);
    uint64_t hits = 0;
    size_t nhits = 0;
    for (size_t i = 0; i < n; i++) {
        if (v_node(&q, alts[i], x)) {
            hits |= 1ULL << i;
            if (++nhits > 1 && !c->out)
                break;
        } else if (c->st->abort) {
            return false;
        }
    }
    if (nhits == 1)
        return true;
    if (nhits == 0) {
        report_none(c, alts, n, x, "oneOf");
    } else if (begin(c)) {
        pcfmcp__buf_puts(c->out,
                         "must match exactly one alternative in oneOf, but matches alternatives ");
        size_t shown = 0;
        for (size_t i = 0; i < n; i++) {
            if (!(hits & (1ULL << i)))
                continue;
            if (shown)
                pcfmcp__buf_puts(c->out, shown + 1 == nhits ? " and " : ", ");
            pcfmcp__buf_printf(c->out, "%zu", i + 1);
            shown++;
        }
        end(c);
    }
    return false;
}

/* const and enum. */
static NOINLINE bool v_values(vctx *c, const node *n, const cJSON *x)
{
    bool ok = true;
    vstate *st = c->st;
    if (n->konst && !json_eq(st, n->konst, x)) {
        if (st->abort)
            return false;
        if (begin(c)) {
            pcfmcp__buf_puts(c->out, "must be ");
            put_value(c, n->konst);
            pcfmcp__buf_puts(c->out, " (got ");
            put_echo(c->out, x);
            pcfmcp__buf_puts(c->out, ")");
            end(c);
        }
        FAIL();
    }
    if (!n->enums)
        return ok;
    bool hit = false;
    for (const cJSON *v = n->enums->child; v && !hit; v = v->next)
        hit = json_eq(st, v, x);
    if (st->abort)
        return false;
    if (hit)
        return ok;
    if (begin(c)) {
        int count = cJSON_GetArraySize(n->enums), i = 0;
        pcfmcp__buf_puts(c->out, count == 1 ? "must be " : "must be one of ");
        for (const cJSON *v = n->enums->child; v && i < LIST_MAX; v = v->next, i++) {
            if (i)
                pcfmcp__buf_puts(c->out, ", ");
            put_value(c, v);
        }
        if (count > LIST_MAX)
            pcfmcp__buf_printf(c->out, ", ... (%d values in total)", count);
        pcfmcp__buf_puts(c->out, " (got ");
        put_echo(c->out, x);
        pcfmcp__buf_puts(c->out, ")");
        end(c);
    }
    return false;
}

static bool v_body(vctx *c, const node *n, const cJSON *x)
{
    bool ok = true;
    vstate *st = c->st;
    unsigned bits = kind_bits(x);
    if (n->ntypes) {
        unsigned mask = 0;
        for (unsigned i = 0; i < n->ntypes; i++)
            mask |= 1u << n->types[i];
        /* A type mismatch makes the other keywords noise: report it alone. */
        if (!(mask & bits)) {
            report_type(c, n->types, n->ntypes, x);
            return false;
        }
    }
    if (n->ref && !v_node(c, n->ref, x))
        FAIL();
    if ((n->konst || n->enums) && !v_values(c, n, x))
        FAIL();
    if (bits & (1u << T_NUMBER)) {
        if (!v_number(c, n, x))
            FAIL();
    } else if (bits & (1u << T_STRING)) {
        if (!v_string(c, n, x))
            FAIL();
    } else if (bits & (1u << T_ARRAY)) {
        if (!v_array(c, n, x))
            FAIL();
    } else if (bits & (1u << T_OBJECT)) {
        if (!v_object(c, n, x))
            FAIL();
    }
    for (size_t i = 0; i < n->nall; i++)
        if (!v_node(c, n->all[i], x))
            FAIL();
    if (n->nany && !v_any(c, n->any, n->nany, x))
        FAIL();
    if (n->none && !v_one(c, n->one, n->none, x))
        FAIL();
    if (n->not_) {
        vctx q = sub_ctx(c, NULL);
        bool matched = v_node(&q, n->not_, x);
        if (st->abort)
            return false;
        if (matched) {
            if (begin(c)) {
                pcfmcp__buf_puts(c->out, "must not match the schema in \"not\" (got ");
                put_echo(c->out, x);
                pcfmcp__buf_puts(c->out, ")");
                end(c);
            }
            FAIL();
        }
    }
    if (n->if_) {
        vctx q = sub_ctx(c, NULL);
        bool cond = v_node(&q, n->if_, x);
        if (st->abort)
            return false;
        const node *branch = cond ? n->then_ : n->else_;
        if (branch && !v_node(c, branch, x))
            FAIL();
    }
    return ok;
}

static bool v_node(vctx *c, const node *n, const cJSON *x)
{
    vstate *st = c->st;
    if (!charge(st, 1))
        return false;
    if (n->boolean == 1)
        return true;
    if (n->boolean == 0) {
        if (begin(c)) {
            pcfmcp__buf_puts(c->out, "not allowed");
            end(c);
        }
        return false;
    }
    if (st->rec >= MAX_RECURSION) {
        st->abort = AB_RECURSION;
        return false;
    }
    st->rec++;
    bool ok = v_body(c, n, x);
    st->rec--;
    return ok;
}

/* Counts the values of @p x; false if containers nest deeper than allowed. */
static bool measure(const cJSON *x, int depth, size_t *count)
{
    (*count)++;
    if (!cJSON_IsArray(x) && !cJSON_IsObject(x))
        return true;
    if (depth + 1 > PCFMCP__SCHEMA_MAX_INSTANCE_DEPTH)
        return false;
    for (const cJSON *p = x->child; p; p = p->next)
        if (!measure(p, depth + 1, count))
            return false;
    return true;
}

bool pcfmcp__schema_validate(const pcfmcp__schema *s, const cJSON *instance, pcfmcp__buf *errors)
{
    if (!s || !instance) {
        if (errors)
            pcfmcp__buf_puts(errors, "/: no value\n");
        return false;
    }
    size_t count = 0;
    if (!measure(instance, 0, &count)) {
        if (errors)
            pcfmcp__buf_printf(errors,
                               "/: nested too deeply (more than %d levels of arrays and objects)\n",
                               PCFMCP__SCHEMA_MAX_INSTANCE_DEPTH);
        return false;
    }
    vstate st;
    memset(&st, 0, sizeof(st));
    pcfmcp__buf_init(&st.path);
    /* Linear in the input: every value may be revisited a bounded number of
     * times by anyOf/oneOf/not/if before validation gives up. */
    st.budget = 100000 + 256 * (uint64_t)count;
    vctx c = { .st = &st, .out = errors, .max = PCFMCP__SCHEMA_MAX_PROBLEMS };
    /* snprintf/strtod of numbers and regexec must not follow the host's locale. */
    locale_t old = uselocale(s->cloc);
    bool ok = v_node(&c, s->root, instance);
    if (st.abort == AB_NOMEM) {
        if (errors)
            errors->failed = true;
    } else if (errors && st.abort == AB_BUDGET) {
        pcfmcp__buf_puts(errors, "/: validation stopped: this input is too complex for the "
                                 "schema (work limit reached)\n");
    } else if (errors && st.abort == AB_RECURSION) {
        pcfmcp__buf_puts(errors, "/: validation stopped: schema recursion too deep for this "
                                 "input\n");
    } else if (errors && c.problems > c.max) {
        unsigned more = c.problems - c.max;
        pcfmcp__buf_printf(errors, "... %u more problem%s not shown\n", more, plural(more));
    }
    uselocale(old);
    pcfmcp__buf_free(&st.path);
    if (st.abort || (errors && !pcfmcp__buf_ok(errors)))
        ok = false;
    return ok;
}
