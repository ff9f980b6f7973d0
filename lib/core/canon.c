#include "core/internal.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/canon.h"

#define MAX_DEPTH 64

static int cmp_members(const void *a, const void *b)
{
    const cJSON *x = *(const cJSON *const *)a;
    const cJSON *y = *(const cJSON *const *)b;
    return strcmp(x->string, y->string);
}

static bool canon(const cJSON *v, pcfmcp__buf *out, int depth)
{
    if (depth > MAX_DEPTH)
        return false;
    if (cJSON_IsObject(v)) {
        int n = cJSON_GetArraySize(v);
        const cJSON **m = n ? pcfmcp__malloc((size_t)n * sizeof(*m)) : NULL;
        if (n && !m) {
            out->failed = true;
            return true;
        }
        int k = 0;
        for (const cJSON *c = v->child; c && k < n; c = c->next)
            m[k++] = c;
        if (k > 1)
            qsort(m, (size_t)k, sizeof(*m), cmp_members);
        pcfmcp__buf_putc(out, '{');
        bool ok = true;
        for (int i = 0; i < k && ok; i++) {
            if (i)
                pcfmcp__buf_putc(out, ',');
            pcfmcp__buf_json_string(out, m[i]->string, strlen(m[i]->string));
            pcfmcp__buf_putc(out, ':');
            ok = canon(m[i], out, depth + 1);
        }
        pcfmcp__buf_putc(out, '}');
        pcfmcp__free(m);
        return ok;
    }
    if (cJSON_IsArray(v)) {
        pcfmcp__buf_putc(out, '[');
        bool first = true;
        for (const cJSON *c = v->child; c; c = c->next) {
            if (!first)
                pcfmcp__buf_putc(out, ',');
            first = false;
            if (!canon(c, out, depth + 1))
                return false;
        }
        pcfmcp__buf_putc(out, ']');
        return true;
    }
    if (cJSON_IsString(v)) {
        pcfmcp__buf_json_string(out, v->valuestring, strlen(v->valuestring));
    } else if (cJSON_IsNumber(v)) {
        double d = v->valuedouble;
        if (!isfinite(d))
            pcfmcp__buf_puts(out, "null");
        else if (d == floor(d) && fabs(d) <= 9007199254740992.0)
            pcfmcp__buf_printf(out, "%.0f", d == 0 ? 0.0 : d);
        else
            pcfmcp__buf_printf(out, "%.17g", d);
    } else if (cJSON_IsTrue(v)) {
        pcfmcp__buf_puts(out, "true");
    } else if (cJSON_IsFalse(v)) {
        pcfmcp__buf_puts(out, "false");
    } else {
        pcfmcp__buf_puts(out, "null");
    }
    return true;
}

bool pcfmcp__json_canonical(const cJSON *v, pcfmcp__buf *out)
{
    return canon(v, out, 0);
}
