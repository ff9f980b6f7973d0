#include "core/internal.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "core/util.h"

int pcfmcp__json_depth(const char *s, size_t len, int cap)
{
    int depth = 0, max = 0;
    bool in_str = false, esc = false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (in_str) {
            if (esc)
                esc = false;
            else if (c == '\\')
                esc = true;
            else if (c == '"')
                in_str = false;
            continue;
        }
        if (c == '"') {
            in_str = true;
        } else if (c == '{' || c == '[') {
            if (++depth > max) {
                max = depth;
                if (max > cap)
                    return max;
            }
        } else if (c == '}' || c == ']') {
            depth--;
        }
    }
    return max;
}

/* One pass over the text before cJSON sees it: the first `\u0000` escape
 * inside a string (SIZE_MAX when none; escape pairs are consumed whole, so
 * the text `\\u0000`, an escaped backslash then "u0000", is not one), and
 * whether a run of 16 or more digits outside strings may be an integer a
 * double cannot hold exactly. */
static size_t prescan(const char *s, size_t len, bool *long_digits)
{
    bool in_str = false;
    size_t run = 0;
    *long_digits = false;
    for (size_t i = 0; i < len; i++) {
        char c = s[i];
        if (!in_str) {
            in_str = c == '"';
            run = c >= '0' && c <= '9' ? run + 1 : 0;
            if (run >= 16)
                *long_digits = true;
            continue;
        }
        if (c == '"') {
            in_str = false;
        } else if (c == '\\' && i + 1 < len) {
            if (s[i + 1] == 'u' && i + 5 < len && memcmp(s + i + 2, "0000", 4) == 0)
                return i;
            i++; /* the escaped character */
        }
    }
    return SIZE_MAX;
}

static size_t skip_ws(const char *s, size_t len, size_t i)
{
    while (i < len && (s[i] == ' ' || s[i] == '\t' || s[i] == '\r' || s[i] == '\n'))
        i++;
    return i;
}

static size_t skip_string(const char *s, size_t len, size_t i)
{
    for (i++; i < len && s[i] != '"'; i++)
        if (s[i] == '\\')
            i++;
    return i + 1;
}

/* Walks @p node and the text it was parsed from side by side (cJSON keeps
 * members and items in document order, duplicates included) and gives
 * every integer literal a double cannot hold exactly its own text in
 * `valuestring`, which cJSON otherwise leaves empty for numbers (and frees
 * and duplicates like any other). Ids and progress tokens are echoed from
 * it digit for digit. The text is known to be valid JSON. */
static bool keep_raw_integers(cJSON *node, const char *s, size_t len, size_t *pos, int depth)
{
    size_t i = skip_ws(s, len, *pos);
    if (depth > 1000 || i >= len)
        return false;
    if (cJSON_IsObject(node) || cJSON_IsArray(node)) {
        bool obj = cJSON_IsObject(node);
        i++; /* { or [ */
        for (cJSON *c = node->child; c; c = c->next) {
            i = skip_ws(s, len, i);
            if (obj) {
                i = skip_ws(s, len, skip_string(s, len, i)) + 1; /* the key and ':' */
            }
            if (!keep_raw_integers(c, s, len, &i, depth + 1))
                return false;
            i = skip_ws(s, len, i) + 1; /* ',' or the closing bracket */
        }
        if (!node->child)
            i = skip_ws(s, len, i) + 1;
        *pos = i;
        return true;
    }
    if (cJSON_IsString(node)) {
        *pos = skip_string(s, len, i);
        return true;
    }
    size_t start = i;
    while (i < len && (s[i] == '-' || s[i] == '+' || s[i] == '.' || s[i] == 'e' || s[i] == 'E' ||
                       (s[i] >= '0' && s[i] <= '9') || (s[i] >= 'a' && s[i] <= 'z')))
        i++; /* a number, true, false or null */
    *pos = i;
    if (!cJSON_IsNumber(node) || fabs(node->valuedouble) < 9007199254740992.0)
        return true;
    size_t d = start + (s[start] == '-');
    if (d == i)
        return true;
    for (size_t k = d; k < i; k++)
        if (s[k] < '0' || s[k] > '9')
            return true; /* a fraction or an exponent: not an integer literal */
    char *raw = cJSON_malloc(i - start + 1);
    if (!raw)
        return false;
    memcpy(raw, s + start, i - start);
    raw[i - start] = '\0';
    node->valuestring = raw;
    return true;
}

/* Rewrites every `\u0000` escape inside a string as `\ufffd`, in place:
 * the same six characters, so offsets and lengths stay, and the string
 * keeps its full length with a visible U+FFFD where the NUL was. */
void pcfmcp__json_mark_nul(char *s, size_t len)
{
    bool in_str = false;
    for (size_t i = 0; i < len; i++) {
        if (!in_str) {
            in_str = s[i] == '"';
        } else if (s[i] == '"') {
            in_str = false;
        } else if (s[i] == '\\' && i + 1 < len) {
            if (s[i + 1] == 'u' && i + 5 < len && memcmp(s + i + 2, "0000", 4) == 0)
                memcpy(s + i + 2, "fffd", 4);
            i++;
        }
    }
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
                                 bool unique, cJSON **out, size_t *err_off);

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

static pcfmcp__json_status parse(const char *s, size_t len, int max_depth, bool mark_nul,
                                 bool unique, cJSON **out, size_t *err_off)
{
    size_t bad = 0;
    *out = NULL;
    /* An empty body comes as (NULL, 0): the C library's memchr() and
     * friends may not be given NULL even for no bytes. */
    if (!s) {
        s = "";
        len = 0;
    }
    if (!pcfmcp__utf8_valid(s, len, &bad)) {
        if (err_off)
            *err_off = bad;
        return PCFMCP__JSON_UTF8;
    }
    if (max_depth > 0 && pcfmcp__json_depth(s, len, max_depth) > max_depth)
        return PCFMCP__JSON_DEPTH;
    /* An embedded NUL would make cJSON stop early and accept a prefix. */
    if (memchr(s, '\0', len)) {
        if (err_off)
            *err_off = (size_t)((const char *)memchr(s, '\0', len) - s);
        return PCFMCP__JSON_SYNTAX;
    }
    bool long_digits = false;
    size_t nul = prescan(s, len, &long_digits);
    if (nul != SIZE_MAX && mark_nul) {
        char *copy = pcfmcp__malloc(len ? len : 1);
        if (!copy)
            return PCFMCP__JSON_NOMEM;
        memcpy(copy, s, len);
        pcfmcp__json_mark_nul(copy, len);
        pcfmcp__json_status st = parse(copy, len, max_depth, false, unique, out, err_off);
        pcfmcp__free(copy);
        return st;
    }
    if (nul != SIZE_MAX) {
        if (err_off)
            *err_off = nul;
        return PCFMCP__JSON_NUL;
    }
    const char *end = NULL;
    unsigned long failures = pcfmcp__alloc_failures();
    cJSON *j = cJSON_ParseWithLengthOpts(s, len, &end, false);
    if (!j) {
        /* cJSON cannot tell allocation failure from bad syntax: a failed
         * allocation meanwhile means valid input may have been refused, and
         * calling that a syntax error would blame the peer. */
        if (pcfmcp__alloc_failures() != failures)
            return PCFMCP__JSON_NOMEM;
        if (err_off)
            *err_off = end ? (size_t)(end - s) : 0;
        return PCFMCP__JSON_SYNTAX;
    }
    size_t used = (size_t)(end - s);
    for (size_t i = used; i < len; i++) {
        char c = s[i];
        if (c != ' ' && c != '\t' && c != '\r' && c != '\n') {
            cJSON_Delete(j);
            if (err_off)
                *err_off = i;
            return PCFMCP__JSON_SYNTAX;
        }
    }
    bool nomem = false;
    if (unique && has_duplicate(j, &nomem)) {
        cJSON_Delete(j);
        if (err_off)
            *err_off = 0;
        return nomem ? PCFMCP__JSON_NOMEM : PCFMCP__JSON_DUPLICATE;
    }
    size_t pos = 0;
    if (long_digits && !keep_raw_integers(j, s, used, &pos, 0)) {
        cJSON_Delete(j);
        return PCFMCP__JSON_NOMEM;
    }
    *out = j;
    return PCFMCP__JSON_OK;
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

char *pcfmcp__json_print(const cJSON *item, size_t *len)
{
    char *s = cJSON_PrintUnformatted(item);
    if (s && len)
        *len = strlen(s);
    return s;
}

void pcfmcp__json_append(pcfmcp__buf *b, const cJSON *item)
{
    char *s = cJSON_PrintUnformatted(item);
    if (!s) {
        b->failed = true;
        return;
    }
    pcfmcp__buf_puts(b, s);
    cJSON_free(s);
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
