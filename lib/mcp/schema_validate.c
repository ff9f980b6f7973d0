/* JSON Schema validation: walks an instance against the node tree and
 * words each problem for the model. */
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

/* JSON pointer segment; control characters are shown as \u00XX so that a
 * message stays on one line. */
void pcfmcp__schema_put_segment(pcfmcp__buf *b, const char *s, size_t max)
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
        pcfmcp__schema_put_segment(&c->st->path, k ? k : "", 64);
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
void pcfmcp__schema_put_quoted(pcfmcp__buf *b, const char *s, size_t max)
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
    pcfmcp__schema_put_quoted(b, p->src, 200);
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
                pcfmcp__schema_put_quoted(c->out, n->pat->src, 200);
                pcfmcp__buf_puts(c->out, " (got ");
                put_echo(c->out, x);
                pcfmcp__buf_puts(c->out, ")");
                end(c);
            }
            FAIL();
        }
    }
    if (n->format && !pcfmcp__schema_format_ok(n->format, s)) {
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
        pcfmcp__schema_put_quoted(b, n->pprops[i].src, 100);
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
            pcfmcp__schema_put_quoted(c->out, n->required[i], 200);
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
                pcfmcp__schema_put_quoted(c->out, d->names[k], 200);
                pcfmcp__buf_puts(c->out, " (required when ");
                pcfmcp__schema_put_quoted(c->out, d->name, 200);
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
