#include "helpers/promtext.h"

#include <math.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAXSEEN 4096

typedef struct {
    char fam[256];
    char type[16];
    bool have_type, have_help;
} family;

static int fail(char *err, size_t n, int line, const char *fmt, ...)
{
    char msg[256];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof(msg), fmt, ap);
    va_end(ap);
    snprintf(err, n, "line %d: %s", line, msg);
    return -1;
}

static bool name_char(char c, bool first, bool colon)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || (colon && c == ':'))
        return true;
    return !first && c >= '0' && c <= '9';
}

static size_t scan_name(const char *s, bool colon)
{
    size_t i = 0;
    while (s[i] && name_char(s[i], i == 0, colon))
        i++;
    return i;
}

static bool parse_value(const char *s, double *out)
{
    if (strcmp(s, "+Inf") == 0 || strcmp(s, "Inf") == 0) {
        *out = INFINITY;
        return true;
    }
    if (strcmp(s, "-Inf") == 0) {
        *out = -INFINITY;
        return true;
    }
    if (strcmp(s, "NaN") == 0) {
        *out = NAN;
        return true;
    }
    char *end = NULL;
    *out = strtod(s, &end);
    return end != s && *end == '\0' && !strchr(s, 'x') && !strchr(s, 'X');
}

/* Histogram bookkeeping for the series currently being read. */
typedef struct {
    char base[1024]; /* labels without le */
    double last_bucket;
    double inf_bucket;
    bool have_inf;
    bool open;
} hist_state;

int promtext_validate(const char *text, char *err, size_t errlen)
{
    static char seen[MAXSEEN][320];
    static char closed[MAXSEEN][256];
    size_t nseen = 0, nclosed = 0;
    family fam = { "", "", false, false };
    hist_state h = { "", 0, 0, false, false };
    int lineno = 0;
    const char *p = text;
    if (!*p)
        return 0;
    while (*p) {
        lineno++;
        const char *nl = strchr(p, '\n');
        if (!nl)
            return fail(err, errlen, lineno, "line does not end with a newline");
        size_t len = (size_t)(nl - p);
        char line[2048];
        if (len >= sizeof(line))
            return fail(err, errlen, lineno, "line too long");
        memcpy(line, p, len);
        line[len] = '\0';
        p = nl + 1;
        if (len == 0)
            return fail(err, errlen, lineno, "empty line");
        if (line[0] == '#') {
            char kw[8], name[256];
            int off = 0;
            if (sscanf(line, "# %7s %255s %n", kw, name, &off) < 2)
                continue; /* a plain comment */
            if (strcmp(kw, "HELP") != 0 && strcmp(kw, "TYPE") != 0)
                continue;
            if (scan_name(name, true) != strlen(name))
                return fail(err, errlen, lineno, "bad metric name in %s", kw);
            if (strcmp(name, fam.fam) != 0) {
                for (size_t i = 0; i < nclosed; i++)
                    if (strcmp(closed[i], name) == 0)
                        return fail(err, errlen, lineno, "family %s appears twice", name);
                if (fam.fam[0] && nclosed < MAXSEEN)
                    snprintf(closed[nclosed++], sizeof(closed[0]), "%s", fam.fam);
                /* A histogram series ends with its family: the next family
                 * may well have a series with the same labels. */
                if (h.open && !h.have_inf)
                    return fail(err, errlen, lineno, "series ended without +Inf bucket");
                memset(&h, 0, sizeof(h));
                memset(&fam, 0, sizeof(fam));
                snprintf(fam.fam, sizeof(fam.fam), "%s", name);
            }
            if (strcmp(kw, "HELP") == 0) {
                if (fam.have_help)
                    return fail(err, errlen, lineno, "second HELP for %s", name);
                fam.have_help = true;
                for (const char *c = line + off; *c; c++)
                    if (*c == '\\' && c[1] != '\\' && c[1] != 'n')
                        return fail(err, errlen, lineno, "bad escape in HELP");
                    else if (*c == '\\')
                        c++;
            } else {
                if (fam.have_type)
                    return fail(err, errlen, lineno, "second TYPE for %s", name);
                const char *t = line + off;
                if (strcmp(t, "counter") && strcmp(t, "gauge") && strcmp(t, "histogram") &&
                    strcmp(t, "summary") && strcmp(t, "untyped"))
                    return fail(err, errlen, lineno, "unknown type \"%s\"", t);
                snprintf(fam.type, sizeof(fam.type), "%s", t);
                fam.have_type = true;
            }
            continue;
        }
        /* A sample: name[{labels}] value [timestamp] */
        size_t nlen = scan_name(line, true);
        if (nlen == 0)
            return fail(err, errlen, lineno, "sample without a metric name");
        char name[256];
        snprintf(name, sizeof(name), "%.*s", (int)nlen, line);
        const char *q = line + nlen;
        char labels[1024] = "";
        char base[1024] = "";
        char le[512] = "";
        bool has_le = false;
        if (*q == '{') {
            q++;
            char names[16][128];
            int nl2 = 0;
            size_t bl = 0;
            while (*q != '}') {
                size_t ln = scan_name(q, false);
                if (ln == 0 || ln >= 128)
                    return fail(err, errlen, lineno, "bad label name");
                char lname[128];
                snprintf(lname, sizeof(lname), "%.*s", (int)ln, q);
                for (int i = 0; i < nl2; i++)
                    if (strcmp(names[i], lname) == 0)
                        return fail(err, errlen, lineno, "label %s twice", lname);
                if (nl2 < 16)
                    snprintf(names[nl2++], sizeof(names[0]), "%s", lname);
                q += ln;
                if (q[0] != '=' || q[1] != '"')
                    return fail(err, errlen, lineno, "expected =\" after label %s", lname);
                q += 2;
                char val[512];
                size_t vl = 0;
                while (*q && *q != '"') {
                    if (*q == '\\') {
                        if (q[1] != '\\' && q[1] != '"' && q[1] != 'n')
                            return fail(err, errlen, lineno, "bad escape in label value");
                        if (vl + 2 < sizeof(val)) {
                            val[vl++] = q[0];
                            val[vl++] = q[1];
                        }
                        q += 2;
                        continue;
                    }
                    if (vl + 1 < sizeof(val))
                        val[vl++] = *q;
                    q++;
                }
                val[vl] = '\0';
                if (*q != '"')
                    return fail(err, errlen, lineno, "unterminated label value");
                q++;
                if (strcmp(lname, "le") == 0) {
                    has_le = true;
                    snprintf(le, sizeof(le), "%s", val);
                } else {
                    bl += (size_t)snprintf(base + bl, bl < sizeof(base) ? sizeof(base) - bl : 0,
                                           "%s=%s,", lname, val);
                }
                if (*q == ',')
                    q++;
                else if (*q != '}')
                    return fail(err, errlen, lineno, "expected , or } after a label");
            }
            snprintf(labels, sizeof(labels), "%.*s", (int)(q - (line + nlen) + 1), line + nlen);
            q++;
        }
        if (*q != ' ')
            return fail(err, errlen, lineno, "expected a space before the value");
        q++;
        char vtxt[64];
        const char *sp = strchr(q, ' ');
        snprintf(vtxt, sizeof(vtxt), "%.*s", (int)(sp ? (size_t)(sp - q) : strlen(q)), q);
        double v;
        if (!parse_value(vtxt, &v))
            return fail(err, errlen, lineno, "bad value \"%s\"", vtxt);
        if (sp) {
            char *end = NULL;
            strtoll(sp + 1, &end, 10);
            if (end == sp + 1 || *end)
                return fail(err, errlen, lineno, "bad timestamp");
        }
        /* Which family does the sample belong to? */
        const char *suffix = "";
        if (!fam.have_type || strncmp(name, fam.fam, strlen(fam.fam)) != 0)
            return fail(err, errlen, lineno, "sample %s outside its family's TYPE block", name);
        suffix = name + strlen(fam.fam);
        bool hist = strcmp(fam.type, "histogram") == 0;
        if (!hist && *suffix)
            return fail(err, errlen, lineno, "sample %s does not belong to %s", name, fam.fam);
        if (strcmp(fam.type, "counter") == 0 && (v < 0 || isnan(v)))
            return fail(err, errlen, lineno, "negative or NaN counter");
        if (hist) {
            if (strcmp(suffix, "_bucket") == 0) {
                if (!has_le)
                    return fail(err, errlen, lineno, "bucket without le");
                double bound;
                if (!parse_value(le, &bound))
                    return fail(err, errlen, lineno, "bad le \"%s\"", le);
                if (!h.open || strcmp(h.base, base) != 0) {
                    if (h.open && !h.have_inf)
                        return fail(err, errlen, lineno, "series ended without +Inf bucket");
                    memset(&h, 0, sizeof(h));
                    snprintf(h.base, sizeof(h.base), "%s", base);
                    h.open = true;
                    h.last_bucket = -1;
                }
                if (v < h.last_bucket)
                    return fail(err, errlen, lineno, "buckets are not cumulative");
                h.last_bucket = v;
                if (isinf(bound)) {
                    h.have_inf = true;
                    h.inf_bucket = v;
                }
            } else if (strcmp(suffix, "_count") == 0) {
                if (!h.open || strcmp(h.base, base) != 0 || !h.have_inf)
                    return fail(err, errlen, lineno, "_count without buckets");
                if (v != h.inf_bucket)
                    return fail(err, errlen, lineno, "_count %g differs from +Inf bucket %g", v,
                                h.inf_bucket);
            } else if (strcmp(suffix, "_sum") != 0) {
                return fail(err, errlen, lineno, "sample %s does not belong to %s", name,
                            fam.fam);
            } else if (has_le) {
                return fail(err, errlen, lineno, "_sum with le");
            }
        } else if (has_le && strcmp(fam.type, "summary") != 0) {
            /* le is an ordinary label outside histograms; allowed. */
        }
        char key[320];
        snprintf(key, sizeof(key), "%s%s", name, labels);
        for (size_t i = 0; i < nseen; i++)
            if (strcmp(seen[i], key) == 0)
                return fail(err, errlen, lineno, "duplicate series %s", key);
        if (nseen < MAXSEEN)
            snprintf(seen[nseen++], sizeof(seen[0]), "%s", key);
    }
    return 0;
}

int promtext_value(const char *text, const char *series, double *value)
{
    size_t n = strlen(series);
    const char *p = text;
    while (p && *p) {
        if (strncmp(p, series, n) == 0 && p[n] == ' ') {
            char *end = NULL;
            const char *v = p + n + 1;
            if (strncmp(v, "+Inf", 4) == 0) {
                *value = INFINITY;
                return 0;
            }
            *value = strtod(v, &end);
            return end == v ? -1 : 0;
        }
        p = strchr(p, '\n');
        if (p)
            p++;
    }
    return -1;
}
