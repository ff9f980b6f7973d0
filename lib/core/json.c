#include "core/internal.h"

#include <math.h>
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

pcfmcp__json_status pcfmcp__json_parse(const char *s, size_t len, int max_depth, cJSON **out,
                                       size_t *err_off)
{
    size_t bad = 0;
    *out = NULL;
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

bool pcfmcp__json_is_integer(const cJSON *item)
{
    if (!cJSON_IsNumber(item))
        return false;
    double d = item->valuedouble;
    return isfinite(d) && floor(d) == d && fabs(d) <= 9007199254740992.0;
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
