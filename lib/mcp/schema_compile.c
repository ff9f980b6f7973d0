/* JSON Schema compilation: keywords into the node tree, $ref resolution,
 * the bounds of schema.h. */
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
#include "mcp/schema_internal.h"

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

static size_t where_push(cctx *c, const char *seg)
{
    size_t mark = c->where.len;
    pcfmcp__schema_put_segment(&c->where, seg, 200);
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
    /* Past int64_t: no limit for a maximum, none met for a minimum. */
    if (!pcfmcp__json_int64(v, out))
        *out = INT64_MAX;
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
        pcfmcp__schema_put_quoted(&q, src, 200);
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
            pcfmcp__schema_put_quoted(&q, t->valuestring, 60);
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

