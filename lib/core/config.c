#include "core/internal.h"

#include <ctype.h>
#include <errno.h>
#include <pthread.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sys/stat.h>

#include <yaml.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/config_access.h"
#include "core/config_keys.h"
#include "core/util.h"

#define MAX_SECRET_FILE (64 * 1024)
#define ENV_PREFIX "PCF_MCP_"

extern char **environ;

typedef struct {
    char *text; /* NULL = default */
    pcfmcp_config_source_t source;
    long long i;
    double d;
    unsigned line; /* FILE values: 1-based line in `file` */
} value;

struct pcfmcp_config {
    value *values; /* parallel to pcfmcp__config_keys */
    pcfmcp__buf errors;
    pcfmcp__buf warnings; /* from the last pcfmcp_config_check() */
    char *file; /* the YAML file FILE values came from */
};

static const pcfmcp__key_def *key_def(const char *key, size_t *index)
{
    for (size_t i = 0; i < pcfmcp__config_key_total; i++)
        if (strcmp(pcfmcp__config_keys[i].key, key) == 0) {
            if (index)
                *index = i;
            return &pcfmcp__config_keys[i];
        }
    return NULL;
}

/* Edit distance (insert, delete, substitute) between the first @p la bytes
 * of @p a and the @p lb bytes of @p b when it is at most @p bound, else
 * SIZE_MAX (also when either is too long to be a typo of a key). Bounded
 * because every unknown key is measured against every known one: lengths
 * that differ by more than the bound cannot meet it, only cells within
 * @p bound of the diagonal can (Ukkonen's band; the rest stay at bound + 1,
 * "too far"), and once a whole row exceeds the bound no later row can come
 * back under it. */
static size_t edit_distance(const char *a, size_t la, const char *b, size_t lb, size_t bound)
{
    size_t row[129];
    if (la > 128 || lb > 128 || (la > lb ? la - lb : lb - la) > bound)
        return SIZE_MAX;
    const size_t far = bound + 1;
    for (size_t j = 0; j <= lb; j++)
        row[j] = j < far ? j : far;
    for (size_t i = 1; i <= la; i++) {
        size_t lo = i > bound ? i - bound : 1, hi = i + bound < lb ? i + bound : lb;
        size_t diag = row[lo - 1];
        row[lo - 1] = lo == 1 ? (i < far ? i : far) : far;
        size_t low = row[lo - 1];
        for (size_t j = lo; j <= hi; j++) {
            size_t up = row[j];
            size_t best = diag + (a[i - 1] != b[j - 1]);
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best < far ? best : far;
            diag = up;
            if (row[j] < low)
                low = row[j];
        }
        if (low > bound)
            return SIZE_MAX;
    }
    return row[lb] <= bound ? row[lb] : SIZE_MAX;
}

/* A name close enough to `wrong` to be what was meant: at most a couple of
 * edits, fewer for short names, so unrelated keys are not offered. */
static bool near_miss(const char *wrong, size_t wlen, const char *right, size_t *best)
{
    size_t len = strlen(right), limit = len / 4;
    if (limit < 2)
        limit = len <= 3 ? 1 : 2;
    if (limit > 3)
        limit = 3;
    /* Only a strictly better match changes the pick. */
    if (*best == 0)
        return false;
    if (*best <= limit)
        limit = *best - 1;
    size_t d = edit_distance(wrong, wlen, right, len, limit);
    if (d == SIZE_MAX)
        return false;
    *best = d;
    return true;
}

static void env_name(const char *key, char *out, size_t n);

PCFMCP_API const char *pcfmcp_config_suggest_flag(const char *name, size_t len,
                                                 const char *const *extra, size_t nextra)
{
    if (!name || (nextra && !extra))
        return NULL;
    size_t best = SIZE_MAX;
    const char *pick = NULL;
    for (size_t i = 0; i < pcfmcp__config_key_total + nextra; i++) {
        const char *flag = NULL;
        if (i < pcfmcp__config_key_total)
            pcfmcp_config_key_info(i, NULL, NULL, NULL, NULL, &flag, NULL);
        else
            flag = extra[i - pcfmcp__config_key_total];
        if (flag && near_miss(name, len, flag, &best))
            pick = flag;
    }
    return pick;
}

/* Appends `word` to the hint list in `out`, or "..." once it is full so a
 * message stays one readable line. */
static void hint_append(char *out, size_t cap, size_t *len, const char *word, bool *full)
{
    if (*full)
        return;
    size_t need = strlen(word) + 2;
    if (*len + need + 4 >= cap) {
        snprintf(out + *len, cap - *len, ", ...");
        *len += strlen(out + *len);
        *full = true;
        return;
    }
    *len += (size_t)snprintf(out + *len, cap - *len, "%s%s", out[0] ? ", " : "", word);
}

/* Tells the author of an unknown key or variable what was expected: the
 * nearest valid name, else the names of the section it named, else the
 * sections. `env` selects PCF_MCP_* spelling. Written to `out` starting
 * with "; ". */
static void unknown_hint(const char *name, bool env, char *out, size_t cap)
{
    size_t best = SIZE_MAX;
    const char *pick = NULL;
    char pick_env[128] = "";
    for (size_t i = 0; i < pcfmcp__config_key_total; i++) {
        const char *key = pcfmcp__config_keys[i].key;
        if (env) {
            char en[128];
            env_name(key, en, sizeof(en));
            /* The prefix is always right: measure the rest, so it does not
             * widen the edit allowance. */
            if (near_miss(name + strlen(ENV_PREFIX), strlen(name + strlen(ENV_PREFIX)),
                          en + strlen(ENV_PREFIX), &best)) {
                pick = key;
                snprintf(pick_env, sizeof(pick_env), "%s", en);
            }
        } else if (near_miss(name, strlen(name), key, &best)) {
            pick = key;
        }
    }
    if (pick) {
        snprintf(out, cap, "; did you mean %s?", env ? pick_env : pick);
        return;
    }
    /* The section is what precedes the first '.' of a key, or what follows
     * the prefix of a variable (sections may contain '_', so each is tried). */
    char list[400] = "";
    char section[64] = "";
    size_t len = 0;
    bool full = false, in_section = false;
    for (size_t i = 0; i < pcfmcp__config_key_total; i++) {
        const char *key = pcfmcp__config_keys[i].key;
        size_t klen = strcspn(key, ".");
        char want[128];
        if (env) {
            env_name(key, want, sizeof(want));
            want[strlen(ENV_PREFIX) + klen + 1] = '\0'; /* PCF_MCP_<SECTION>_ */
        } else {
            snprintf(want, sizeof(want), "%.*s", (int)klen + 1, key); /* <section>. */
        }
        if (!pcfmcp__has_prefix(name, want))
            continue;
        in_section = true;
        snprintf(section, sizeof(section), "%.*s", (int)strlen(want) - 1, want);
        char en[128];
        if (env)
            env_name(key, en, sizeof(en));
        hint_append(list, sizeof(list), &len, env ? en : key + klen + 1, &full);
    }
    if (in_section) {
        snprintf(out, cap, "; %s %s: %s", section, env ? "variables are" : "keys are", list);
        return;
    }
    for (size_t i = 0; i < pcfmcp__config_key_total; i++) {
        const char *key = pcfmcp__config_keys[i].key;
        size_t klen = strcspn(key, ".");
        if (i > 0 && strncmp(pcfmcp__config_keys[i - 1].key, key, klen) == 0 &&
            pcfmcp__config_keys[i - 1].key[klen] == '.')
            continue; /* sections are contiguous in the table */
        char word[64];
        snprintf(word, sizeof(word), "%.*s", (int)klen, key);
        if (env)
            for (char *w = word; *w; w++)
                *w = (char)toupper((unsigned char)*w);
        hint_append(list, sizeof(list), &len, word, &full);
    }
    snprintf(out, cap, env ? "; variables are " ENV_PREFIX "<SECTION>_<KEY> with SECTION one of %s"
                           : "; keys are <section>.<key> with section one of %s",
             list);
}

static void add_error(pcfmcp_config_t *c, const char *fmt, ...) PCFMCP_PRINTF(2, 3);

static void add_error(pcfmcp_config_t *c, const char *fmt, ...)
{
    char line[768];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (c->errors.len)
        pcfmcp__buf_putc(&c->errors, '\n');
    pcfmcp__buf_puts(&c->errors, line);
}

static void clear_errors(pcfmcp_config_t *c)
{
    pcfmcp__buf_reset(&c->errors);
}

PCFMCP_API const char *pcfmcp_config_errmsg(const pcfmcp_config_t *c)
{
    if (!c)
        return "no configuration";
    return c->errors.len ? c->errors.data : "no error";
}

/* ------------------------------------------------------------ parsing */

static bool parse_bool(const char *s, bool *out)
{
    static const char *const t[] = { "true", "yes", "on", "1" };
    static const char *const f[] = { "false", "no", "off", "0" };
    for (size_t i = 0; i < 4; i++) {
        if (pcfmcp__strcaseeq(s, t[i])) {
            *out = true;
            return true;
        }
        if (pcfmcp__strcaseeq(s, f[i])) {
            *out = false;
            return true;
        }
    }
    return false;
}

static bool parse_ll(const char *s, long long *out)
{
    if (!*s)
        return false;
    errno = 0;
    char *end = NULL;
    long long v = strtoll(s, &end, 10);
    if (errno || *end)
        return false;
    *out = v;
    return true;
}

/* "250ms", "5s", "2m", "1h", "1d" or a bare number of milliseconds. */
static bool parse_duration(const char *s, long long *ms)
{
    errno = 0;
    char *end = NULL;
    double v = strtod(s, &end);
    if (errno || end == s || v < 0 || !isfinite(v))
        return false;
    double mult;
    if (!*end || strcmp(end, "ms") == 0)
        mult = 1;
    else if (strcmp(end, "s") == 0)
        mult = 1000;
    else if (strcmp(end, "m") == 0)
        mult = 60000;
    else if (strcmp(end, "h") == 0)
        mult = 3600000;
    else if (strcmp(end, "d") == 0)
        mult = 86400000;
    else
        return false;
    double r = v * mult;
    if (r > 9.0e15)
        return false;
    *ms = (long long)llround(r);
    return true;
}

static bool in_choices(const char *choices, const char *v)
{
    size_t n = strlen(v);
    const char *p = choices;
    while (p && *p) {
        const char *bar = strchr(p, '|');
        size_t len = bar ? (size_t)(bar - p) : strlen(p);
        if (len == n && strncmp(p, v, n) == 0)
            return true;
        p = bar ? bar + 1 : NULL;
    }
    return false;
}

static const char *type_word(pcfmcp_config_type_t t)
{
    switch (t) {
    case PCFMCP_CONFIG_STRING: return "text";
    case PCFMCP_CONFIG_SECRET: return "secret text";
    case PCFMCP_CONFIG_INT: return "an integer";
    case PCFMCP_CONFIG_BOOL: return "true or false";
    case PCFMCP_CONFIG_DOUBLE: return "a number";
    case PCFMCP_CONFIG_ENUM: return "one of the listed words";
    case PCFMCP_CONFIG_LIST: return "a comma-separated list";
    case PCFMCP_CONFIG_PATH: return "a path";
    case PCFMCP_CONFIG_DURATION: return "a duration like 5s or 250ms";
    }
    return "a value";
}

/* Validates `text` for `d`; fills the typed members. On failure writes the
 * reason (what is expected) to why. */
static bool convert(const pcfmcp__key_def *d, const char *text, value *v, char *why, size_t wlen)
{
    long long i = 0;
    double dv = 0;
    bool b = false;
    bool ranged = d->min != 0 || d->max != 0;
    switch (d->type) {
    case PCFMCP_CONFIG_STRING:
    case PCFMCP_CONFIG_SECRET:
    case PCFMCP_CONFIG_PATH:
    case PCFMCP_CONFIG_LIST:
        if (!pcfmcp__utf8_valid(text, strlen(text), NULL)) {
            snprintf(why, wlen, "expected UTF-8 text");
            return false;
        }
        return true;
    case PCFMCP_CONFIG_BOOL:
        if (!parse_bool(text, &b)) {
            snprintf(why, wlen, "expected true or false (got \"%.40s\")", text);
            return false;
        }
        v->i = b;
        return true;
    case PCFMCP_CONFIG_ENUM:
        if (!in_choices(d->choices, text)) {
            snprintf(why, wlen, "expected one of %s (got \"%.40s\")", d->choices, text);
            return false;
        }
        return true;
    case PCFMCP_CONFIG_INT:
        if (!parse_ll(text, &i)) {
            snprintf(why, wlen, "expected an integer (got \"%.40s\")", text);
            return false;
        }
        if (ranged && (i < d->min || i > d->max)) {
            snprintf(why, wlen, "expected an integer from %lld to %lld (got %lld)", d->min, d->max, i);
            return false;
        }
        v->i = i;
        v->d = (double)i;
        return true;
    case PCFMCP_CONFIG_DURATION:
        if (!parse_duration(text, &i)) {
            snprintf(why, wlen, "expected a duration like 5s, 250ms, 2m or 1h (got \"%.40s\")", text);
            return false;
        }
        if (ranged && (i < d->min || (d->max && i > d->max))) {
            snprintf(why, wlen, "expected a duration from %lldms to %lldms (got %lldms)", d->min,
                     d->max, i);
            return false;
        }
        v->i = i;
        v->d = (double)i;
        return true;
    case PCFMCP_CONFIG_DOUBLE: {
        errno = 0;
        char *end = NULL;
        dv = strtod(text, &end);
        if (errno || end == text || *end || !isfinite(dv)) {
            snprintf(why, wlen, "expected a number (got \"%.40s\")", text);
            return false;
        }
        if (d->dmin != 0 || d->dmax != 0) {
            if (dv < d->dmin || dv > d->dmax) {
                snprintf(why, wlen, "expected a number from %g to %g (got %g)", d->dmin, d->dmax,
                         dv);
                return false;
            }
        } else if (ranged && (dv < (double)d->min || dv > (double)d->max)) {
            snprintf(why, wlen, "expected a number from %lld to %lld (got %g)", d->min, d->max, dv);
            return false;
        }
        v->d = dv;
        v->i = (long long)dv;
        return true;
    }
    }
    snprintf(why, wlen, "expected %s", type_word(d->type));
    return false;
}

static void reset_value(const pcfmcp__key_def *d, value *v)
{
    if (v->text && d->type == PCFMCP_CONFIG_SECRET)
        pcfmcp__secure_free(v->text);
    else
        pcfmcp__free(v->text);
    memset(v, 0, sizeof(*v));
    char why[8];
    if (d->def[0])
        convert(d, d->def, v, why, sizeof(why));
}

PCFMCP_API pcfmcp_error_t pcfmcp_config_new(pcfmcp_config_t **out)
{
    if (!out)
        return PCFMCP_ERR_INVALID_ARG;
    pcfmcp_config_t *c = pcfmcp__calloc(1, sizeof(*c));
    if (!c)
        return PCFMCP_ERR_NOMEM;
    c->values = pcfmcp__calloc(pcfmcp__config_key_total, sizeof(value));
    if (!c->values) {
        pcfmcp__free(c);
        return PCFMCP_ERR_NOMEM;
    }
    pcfmcp__buf_init(&c->errors);
    pcfmcp__buf_init(&c->warnings);
    for (size_t i = 0; i < pcfmcp__config_key_total; i++)
        reset_value(&pcfmcp__config_keys[i], &c->values[i]);
    *out = c;
    return PCFMCP_OK;
}

PCFMCP_API void pcfmcp_config_free(pcfmcp_config_t *c)
{
    if (!c)
        return;
    for (size_t i = 0; c->values && i < pcfmcp__config_key_total; i++)
        reset_value(&pcfmcp__config_keys[i], &c->values[i]);
    pcfmcp__free(c->values);
    pcfmcp__buf_free(&c->errors);
    pcfmcp__buf_free(&c->warnings);
    pcfmcp__free(c->file);
    pcfmcp__free(c);
}

PCFMCP_API pcfmcp_error_t pcfmcp_config_copy(pcfmcp_config_t **out, const pcfmcp_config_t *src)
{
    if (!out || !src)
        return PCFMCP_ERR_INVALID_ARG;
    pcfmcp_config_t *c = NULL;
    pcfmcp_error_t rc = pcfmcp_config_new(&c);
    if (rc != PCFMCP_OK)
        return rc;
    for (size_t i = 0; i < pcfmcp__config_key_total; i++) {
        value v = src->values[i];
        if (v.text && !(v.text = pcfmcp__strdup(v.text))) {
            pcfmcp_config_free(c);
            return PCFMCP_ERR_NOMEM;
        }
        c->values[i] = v;
    }
    if (src->file && !(c->file = pcfmcp__strdup(src->file))) {
        pcfmcp_config_free(c);
        return PCFMCP_ERR_NOMEM;
    }
    *out = c;
    return PCFMCP_OK;
}

/* Applies one value; `where` prefixes the error ("file:12: " or "env "). */
static pcfmcp_error_t set_one(pcfmcp_config_t *c, const char *key, const char *text,
                              pcfmcp_config_source_t src, const char *where, unsigned line)
{
    size_t idx = 0;
    const pcfmcp__key_def *d = key_def(key, &idx);
    if (!d) {
        char hint[512];
        unknown_hint(key, false, hint, sizeof(hint));
        add_error(c, "%s%s: unknown key%s", where, key, hint);
        return PCFMCP_ERR_NOT_FOUND;
    }
    value nv = { 0 };
    char why[256];
    if (!convert(d, text, &nv, why, sizeof(why))) {
        add_error(c, "%s%s: %s", where, key, why);
        return PCFMCP_ERR_CONFIG;
    }
    value *v = &c->values[idx];
    if (v->text && src < v->source)
        return PCFMCP_OK; /* a stronger source already decided */
    if (!(nv.text = pcfmcp__strdup(text)))
        return PCFMCP_ERR_NOMEM;
    nv.source = src;
    nv.line = line;
    reset_value(d, v);
    *v = nv;
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_config_set(pcfmcp_config_t *c, const char *key,
                                            const char *text, pcfmcp_config_source_t src)
{
    if (!c || !key || !text || src > PCFMCP_CONFIG_API)
        return PCFMCP_ERR_INVALID_ARG;
    clear_errors(c);
    return set_one(c, key, text, src, "", 0);
}

PCFMCP_API pcfmcp_error_t pcfmcp_config_unset(pcfmcp_config_t *c, const char *key)
{
    size_t idx = 0;
    if (!c || !key)
        return PCFMCP_ERR_INVALID_ARG;
    const pcfmcp__key_def *d = key_def(key, &idx);
    if (!d)
        return PCFMCP_ERR_NOT_FOUND;
    reset_value(d, &c->values[idx]);
    return PCFMCP_OK;
}

/* --------------------------------------------------------------- getters */

PCFMCP_API const char *pcfmcp_config_get(const pcfmcp_config_t *c, const char *key)
{
    size_t idx = 0;
    const pcfmcp__key_def *d = c && key ? key_def(key, &idx) : NULL;
    if (!d)
        return NULL;
    return c->values[idx].text ? c->values[idx].text : d->def;
}

PCFMCP_API long long pcfmcp_config_get_int(const pcfmcp_config_t *c, const char *key)
{
    size_t idx = 0;
    const pcfmcp__key_def *d = c && key ? key_def(key, &idx) : NULL;
    if (!d || (d->type != PCFMCP_CONFIG_INT && d->type != PCFMCP_CONFIG_DURATION &&
               d->type != PCFMCP_CONFIG_BOOL && d->type != PCFMCP_CONFIG_DOUBLE))
        return 0;
    return c->values[idx].i;
}

PCFMCP_API double pcfmcp_config_get_double(const pcfmcp_config_t *c, const char *key)
{
    size_t idx = 0;
    const pcfmcp__key_def *d = c && key ? key_def(key, &idx) : NULL;
    return d ? c->values[idx].d : 0.0;
}

PCFMCP_API int pcfmcp_config_get_bool(const pcfmcp_config_t *c, const char *key)
{
    size_t idx = 0;
    const pcfmcp__key_def *d = c && key ? key_def(key, &idx) : NULL;
    return d && d->type == PCFMCP_CONFIG_BOOL && c->values[idx].i != 0;
}

/* By index (core/config_access.h): the generated typed accessors. */
const char *pcfmcp__config_str_at(const pcfmcp_config_t *c, size_t i)
{
    return c->values[i].text ? c->values[i].text : pcfmcp__config_keys[i].def;
}

long long pcfmcp__config_int_at(const pcfmcp_config_t *c, size_t i)
{
    return c->values[i].i;
}

bool pcfmcp__config_bool_at(const pcfmcp_config_t *c, size_t i)
{
    return c->values[i].i != 0;
}

double pcfmcp__config_double_at(const pcfmcp_config_t *c, size_t i)
{
    return c->values[i].d;
}

PCFMCP_API pcfmcp_config_source_t pcfmcp_config_source(const pcfmcp_config_t *c, const char *key)
{
    size_t idx = 0;
    const pcfmcp__key_def *d = c && key ? key_def(key, &idx) : NULL;
    return d && c->values[idx].text ? c->values[idx].source : PCFMCP_CONFIG_DEFAULT;
}

/* ------------------------------------------------------------- env/file */

/* PCF_MCP_PCF_TOKEN_FILE -> pcf.token_file: the section is the first word
 * after the prefix, the key the rest, so keys may contain underscores. */
static void env_name(const char *key, char *out, size_t n)
{
    size_t k = 0;
    for (const char *p = ENV_PREFIX; *p && k + 1 < n; p++)
        out[k++] = *p;
    for (const char *p = key; *p && k + 1 < n; p++) {
        char ch = *p;
        if (ch == '.')
            ch = '_';
        else if (ch >= 'a' && ch <= 'z')
            ch = (char)(ch - 32);
        out[k++] = ch;
    }
    out[k] = '\0';
}

PCFMCP_API pcfmcp_error_t pcfmcp_config_load_env(pcfmcp_config_t *c)
{
    if (!c)
        return PCFMCP_ERR_INVALID_ARG;
    clear_errors(c);
    pcfmcp_error_t rc = PCFMCP_OK;
    for (char **e = environ; e && *e; e++) {
        if (!pcfmcp__has_prefix(*e, ENV_PREFIX))
            continue;
        const char *eq = strchr(*e, '=');
        if (!eq)
            continue;
        size_t nlen = (size_t)(eq - *e);
        const pcfmcp__key_def *hit = NULL;
        for (size_t i = 0; i < pcfmcp__config_key_total && !hit; i++) {
            char name[128];
            env_name(pcfmcp__config_keys[i].key, name, sizeof(name));
            if (strlen(name) == nlen && strncmp(name, *e, nlen) == 0)
                hit = &pcfmcp__config_keys[i];
        }
        if (!hit) {
            char name[128], hint[512];
            snprintf(name, sizeof(name), "%.*s", (int)nlen, *e);
            unknown_hint(name, true, hint, sizeof(hint));
            add_error(c, "environment %s: unknown variable (no such configuration key)%s", name,
                      hint);
            rc = PCFMCP_ERR_CONFIG;
            continue;
        }
        char where[160];
        snprintf(where, sizeof(where), "environment %.*s: ", (int)nlen, *e);
        pcfmcp_error_t r = set_one(c, hit->key, eq + 1, PCFMCP_CONFIG_ENV, where, 0);
        if (r == PCFMCP_ERR_NOMEM)
            return r;
        if (r != PCFMCP_OK)
            rc = PCFMCP_ERR_CONFIG;
    }
    return rc;
}

/* Whether @p name is a section of the key table (what precedes a dot). */
static bool is_section(const char *name)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < pcfmcp__config_key_total; i++)
        if (strncmp(pcfmcp__config_keys[i].key, name, n) == 0 &&
            pcfmcp__config_keys[i].key[n] == '.')
            return true;
    return false;
}

/* YAML: nested maps of scalars; LIST keys also take sequences. */
typedef struct {
    pcfmcp_config_t *c;
    const char *path;
    char *stack[8];
    int depth;
    pcfmcp_error_t rc;
} yaml_walk;

static void walk_key(yaml_walk *w, const char *leaf, char *out, size_t n)
{
    size_t k = 0;
    out[0] = '\0';
    for (int i = 0; i < w->depth; i++)
        k += (size_t)snprintf(out + k, k < n ? n - k : 0, "%s.", w->stack[i]);
    snprintf(out + (k < n ? k : n), k < n ? n - k : 0, "%s", leaf);
}

static void yaml_fail(yaml_walk *w, size_t line, const char *key, const char *msg)
{
    add_error(w->c, "%s:%zu: %s%s%s", w->path, line + 1, key ? key : "", key ? ": " : "", msg);
    w->rc = PCFMCP_ERR_CONFIG;
}

static void yaml_unknown(yaml_walk *w, size_t line, const char *key)
{
    char hint[512], msg[528];
    unknown_hint(key, false, hint, sizeof(hint));
    snprintf(msg, sizeof(msg), "unknown key%s", hint);
    yaml_fail(w, line, key, msg);
}

static void yaml_syntax_error(yaml_walk *w, const yaml_parser_t *p)
{
    add_error(w->c, "%s:%zu: YAML syntax error: %s", w->path, p->problem_mark.line + 1,
              p->problem ? p->problem : "unknown");
    w->rc = PCFMCP_ERR_CONFIG;
}

static void apply_scalar(yaml_walk *w, const char *key, const char *val, size_t line)
{
    char where[600];
    snprintf(where, sizeof(where), "%s:%zu: ", w->path, line + 1);
    pcfmcp_error_t r = set_one(w->c, key, val, PCFMCP_CONFIG_FILE, where, (unsigned)line + 1);
    if (r != PCFMCP_OK)
        w->rc = r == PCFMCP_ERR_NOMEM ? r : PCFMCP_ERR_CONFIG;
}

/* Collects a sequence of scalars into "a,b,c" for a LIST key. */
static bool read_sequence(yaml_walk *w, yaml_parser_t *p, const char *key, size_t line)
{
    pcfmcp__buf b;
    pcfmcp__buf_init(&b);
    bool ok = true;
    for (;;) {
        yaml_event_t ev;
        if (!yaml_parser_parse(p, &ev)) {
            /* The walk stops here: without the error the keys after the
             * list would be dropped and the file still load. */
            yaml_syntax_error(w, p);
            pcfmcp__buf_free(&b);
            return false;
        }
        yaml_event_type_t t = ev.type;
        if (t == YAML_SCALAR_EVENT) {
            const char *s = (const char *)ev.data.scalar.value;
            if (strchr(s, ',')) {
                yaml_fail(w, ev.start_mark.line, key, "list items must not contain commas");
                ok = false;
            }
            if (b.len)
                pcfmcp__buf_putc(&b, ',');
            pcfmcp__buf_puts(&b, s);
        } else if (t != YAML_SEQUENCE_END_EVENT) {
            yaml_fail(w, ev.start_mark.line, key, "expected a list of plain values");
            yaml_event_delete(&ev);
            pcfmcp__buf_free(&b);
            return false;
        }
        yaml_event_delete(&ev);
        if (t == YAML_SEQUENCE_END_EVENT)
            break;
    }
    if (!pcfmcp__buf_ok(&b)) {
        /* A list cut short by a failed append must not be applied. */
        w->rc = PCFMCP_ERR_NOMEM;
        pcfmcp__buf_free(&b);
        return false;
    }
    if (ok)
        apply_scalar(w, key, b.data ? b.data : "", line);
    pcfmcp__buf_free(&b);
    return true;
}

PCFMCP_API pcfmcp_error_t pcfmcp_config_load_file(pcfmcp_config_t *c, const char *path)
{
    if (!c || !path)
        return PCFMCP_ERR_INVALID_ARG;
    clear_errors(c);
    char *data = NULL;
    size_t len = 0;
    int err = pcfmcp__read_file(path, 4 * 1024 * 1024, false, &data, &len);
    if (err) {
        add_error(c, "%s: cannot read: %s", path, strerror(err));
        return err == ENOMEM ? PCFMCP_ERR_NOMEM : PCFMCP_ERR_IO;
    }
    char *file = pcfmcp__strdup(path);
    if (!file) {
        pcfmcp__free(data);
        return PCFMCP_ERR_NOMEM;
    }
    pcfmcp__free(c->file);
    c->file = file;
    yaml_parser_t p;
    if (!yaml_parser_initialize(&p)) {
        pcfmcp__free(data);
        return PCFMCP_ERR_NOMEM;
    }
    yaml_parser_set_input_string(&p, (const unsigned char *)data, len);
    yaml_walk w = { .c = c, .path = path, .rc = PCFMCP_OK };
    char pending[256] = ""; /* mapping key waiting for its value */
    size_t pending_line = 0; /* where that key is: errors point at the key */
    bool have_key = false;
    bool in_doc_map = false;
    bool done = false;
    while (!done) {
        yaml_event_t ev;
        if (!yaml_parser_parse(&p, &ev)) {
            yaml_syntax_error(&w, &p);
            break;
        }
        size_t line = ev.start_mark.line;
        char full[512];
        switch (ev.type) {
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        case YAML_MAPPING_START_EVENT:
            if (!in_doc_map) {
                in_doc_map = true;
            } else if (have_key) {
                if (w.depth >= (int)PCFMCP_ARRAY_LEN(w.stack)) {
                    yaml_fail(&w, line, pending, "nested too deeply");
                    done = true;
                    break;
                }
                if (!(w.stack[w.depth] = pcfmcp__strdup(pending))) {
                    w.rc = PCFMCP_ERR_NOMEM;
                    done = true;
                    break;
                }
                w.depth++;
                have_key = false;
            } else {
                yaml_fail(&w, line, NULL, "a mapping cannot be a key");
                done = true;
            }
            break;
        case YAML_MAPPING_END_EVENT:
            if (w.depth > 0)
                pcfmcp__free(w.stack[--w.depth]);
            else
                in_doc_map = false;
            break;
        case YAML_SEQUENCE_START_EVENT:
            if (!have_key) {
                yaml_fail(&w, line, NULL, "the file must be a mapping of sections");
                done = true;
                break;
            }
            walk_key(&w, pending, full, sizeof(full));
            have_key = false;
            {
                const pcfmcp__key_def *d = key_def(full, NULL);
                if (!d) {
                    yaml_unknown(&w, pending_line, full);
                } else if (d->type != PCFMCP_CONFIG_LIST) {
                    char m[128];
                    snprintf(m, sizeof(m), "expected %s, not a list", type_word(d->type));
                    yaml_fail(&w, pending_line, full, m);
                }
                if (!read_sequence(&w, &p, full, pending_line))
                    done = true;
            }
            break;
        case YAML_SCALAR_EVENT: {
            const char *s = (const char *)ev.data.scalar.value;
            if (!in_doc_map) {
                if (*s)
                    yaml_fail(&w, line, NULL, "the file must be a mapping of sections");
                break;
            }
            if (!have_key) {
                snprintf(pending, sizeof(pending), "%s", s);
                pending_line = line;
                have_key = true;
            } else {
                walk_key(&w, pending, full, sizeof(full));
                have_key = false;
                bool null_value = ev.data.scalar.length == 0 && ev.data.scalar.plain_implicit;
                /* `tools:` with nothing under it is an empty section, as
                 * YAML writes one; only a name that is neither a key nor a
                 * section is unknown. */
                if (!null_value)
                    apply_scalar(&w, full, s, pending_line);
                else if (!key_def(full, NULL) && !(w.depth == 0 && is_section(full)))
                    yaml_unknown(&w, pending_line, full);
            }
            break;
        }
        case YAML_ALIAS_EVENT:
            yaml_fail(&w, line, NULL, "YAML aliases are not supported");
            break;
        case YAML_NO_EVENT:
        case YAML_STREAM_START_EVENT:
        case YAML_DOCUMENT_START_EVENT:
        case YAML_DOCUMENT_END_EVENT:
        case YAML_SEQUENCE_END_EVENT:
            break;
        }
        yaml_event_delete(&ev);
    }
    while (w.depth > 0)
        pcfmcp__free(w.stack[--w.depth]);
    yaml_parser_delete(&p);
    pcfmcp__secure_zero(data, len);
    pcfmcp__free(data);
    return w.rc;
}

/* Where value `idx` came from, for messages: "file.yaml:12",
 * "environment PCF_MCP_X", "--flag", "api", "default". */
static void origin_of(const pcfmcp_config_t *c, size_t idx, char *out, size_t n)
{
    const pcfmcp__key_def *d = &pcfmcp__config_keys[idx];
    const value *v = &c->values[idx];
    pcfmcp_config_source_t src = v->text ? v->source : PCFMCP_CONFIG_DEFAULT;
    char name[128];
    switch (src) {
    case PCFMCP_CONFIG_FILE:
        snprintf(out, n, "%s:%u", c->file ? c->file : "(file)", v->line);
        return;
    case PCFMCP_CONFIG_ENV:
        env_name(d->key, name, sizeof(name));
        snprintf(out, n, "environment %s", name);
        return;
    case PCFMCP_CONFIG_FLAG: {
        const char *flag = NULL;
        pcfmcp_config_key_info(idx, NULL, NULL, NULL, NULL, &flag, NULL);
        snprintf(out, n, "--%s", flag ? flag : d->key);
        return;
    }
    case PCFMCP_CONFIG_API:
        snprintf(out, n, "api");
        return;
    case PCFMCP_CONFIG_DEFAULT:
        break;
    }
    snprintf(out, n, "default");
}

PCFMCP_API pcfmcp_error_t pcfmcp_config_origin(const pcfmcp_config_t *c, const char *key,
                                               char *out, size_t out_size)
{
    size_t idx = 0;
    if (!c || !key || !out || !out_size)
        return PCFMCP_ERR_INVALID_ARG;
    if (!key_def(key, &idx))
        return PCFMCP_ERR_NOT_FOUND;
    origin_of(c, idx, out, out_size);
    return PCFMCP_OK;
}

/* Cross-field rules: settings that make sense only together. Pairs whose
 * keys are not (yet) in the table are skipped, so transports can add theirs. */
static const struct {
    const char *a, *b;
} together[] = {
    { "pcf.client_cert", "pcf.client_key" },
    { "pcf.basic_password", "pcf.basic_user" },
    { "pcf.password", "pcf.email" },
    { "server.tls_cert", "server.tls_key" },
    { "http.tls_cert", "http.tls_key" },
};

static bool is_set(const pcfmcp_config_t *c, const char *key, size_t *idx)
{
    const pcfmcp__key_def *d = key_def(key, idx);
    return d && c->values[*idx].text && c->values[*idx].text[0];
}

/* ------------------------------------------------- secrets in values */

/* Where the user info of the URL starting at @p u ends (its '@'), or NULL:
 * the authority runs to the first '/', '?' or '#'. */
static const char *userinfo_end(const char *scheme_sep, size_t n)
{
    const char *a = scheme_sep + 3, *end = scheme_sep + n;
    const char *stop = a;
    while (stop < end && *stop != '/' && *stop != '?' && *stop != '#')
        stop++;
    const char *at = NULL;
    for (const char *p = a; p < stop; p++)
        if (*p == '@')
            at = p;
    return at;
}

/* Query parameter names that carry credentials (case-insensitive substrings). */
static bool credential_param(const char *name, size_t n)
{
    static const char *const words[] = { "token", "key", "secret", "pass", "auth", "sig", "cred",
                                         "session" };
    for (size_t w = 0; w < PCFMCP_ARRAY_LEN(words); w++) {
        size_t wl = strlen(words[w]);
        for (size_t i = 0; i + wl <= n; i++)
            if (strncasecmp(name + i, words[w], wl) == 0)
                return true;
    }
    return false;
}

/* Appends @p s[0..n) with the credentials of every URL in it replaced by
 * [REDACTED]: user info (https://user:pass@host) and the values of query
 * parameters named like credentials (?access_token=...). Whatever key a
 * URL is in (pcf.url, tracing.endpoint, auth.oauth_jwks_url, a list). */
static void put_redacted_urls(pcfmcp__buf *b, const char *s, size_t n)
{
    const char *p = s, *end = s + n;
    while (p < end) {
        const char *sep = NULL;
        for (const char *q = p; q + 2 < end; q++)
            if (q[0] == ':' && q[1] == '/' && q[2] == '/') {
                sep = q;
                break;
            }
        if (!sep) {
            pcfmcp__buf_append(b, p, (size_t)(end - p));
            return;
        }
        /* The URL runs to white space or a list comma. */
        const char *uend = sep;
        while (uend < end && *uend != ' ' && *uend != ',' && *uend != '\t')
            uend++;
        pcfmcp__buf_append(b, p, (size_t)(sep + 3 - p));
        const char *at = userinfo_end(sep, (size_t)(uend - sep));
        const char *q = sep + 3;
        if (at) {
            pcfmcp__buf_puts(b, "[REDACTED]");
            q = at;
        }
        const char *query = memchr(q, '?', (size_t)(uend - q));
        const char *frag = memchr(q, '#', (size_t)(uend - q));
        if (!query || (frag && frag < query)) {
            pcfmcp__buf_append(b, q, (size_t)(uend - q));
            p = uend;
            continue;
        }
        pcfmcp__buf_append(b, q, (size_t)(query + 1 - q));
        const char *qend = frag ? frag : uend;
        const char *param = query + 1;
        while (param < qend) {
            const char *amp = memchr(param, '&', (size_t)(qend - param));
            const char *pe = amp ? amp : qend;
            const char *eq = memchr(param, '=', (size_t)(pe - param));
            if (eq && credential_param(param, (size_t)(eq - param))) {
                pcfmcp__buf_append(b, param, (size_t)(eq + 1 - param));
                pcfmcp__buf_puts(b, "[REDACTED]");
            } else {
                pcfmcp__buf_append(b, param, (size_t)(pe - param));
            }
            if (amp)
                pcfmcp__buf_putc(b, '&');
            param = amp ? amp + 1 : qend;
        }
        pcfmcp__buf_append(b, qend, (size_t)(uend - qend));
        p = uend;
    }
}

/* A file holding a secret that anyone on the machine may read. */
static void warn_world_readable(pcfmcp_config_t *c, size_t idx, const char *path, const char *what)
{
    struct stat st;
    if (!path || !*path || stat(path, &st) != 0 || !(st.st_mode & S_IROTH))
        return;
    char origin[600];
    origin_of(c, idx, origin, sizeof(origin));
    if (c->warnings.len)
        pcfmcp__buf_putc(&c->warnings, '\n');
    pcfmcp__buf_printf(&c->warnings, "%s: %s: %s is readable by every user (mode %04o); %s, make it 0600",
                       origin, pcfmcp__config_keys[idx].key, path, (unsigned)(st.st_mode & 07777), what);
}

/* Whether secret @p key got its value from its *_file key (whose value
 * carries the file's source) rather than inline. */
static bool fed_from_file(const pcfmcp_config_t *c, const char *key)
{
    for (size_t i = 0; i < pcfmcp__config_key_total; i++) {
        const pcfmcp__key_def *d = &pcfmcp__config_keys[i];
        if (d->feeds && strcmp(d->feeds, key) == 0 && c->values[i].text && c->values[i].text[0])
            return true;
    }
    return false;
}

/* Files the configuration names that hold secrets, and the audit trail. */
static void check_file_modes(pcfmcp_config_t *c)
{
    pcfmcp__buf_reset(&c->warnings);
    bool inline_secret = false;
    for (size_t i = 0; i < pcfmcp__config_key_total; i++) {
        const pcfmcp__key_def *d = &pcfmcp__config_keys[i];
        const value *v = &c->values[i];
        if (!v->text || !v->text[0])
            continue;
        if (d->type == PCFMCP_CONFIG_SECRET && v->source == PCFMCP_CONFIG_FILE && !fed_from_file(c, d->key))
            inline_secret = true;
        const pcfmcp__key_def *fed = d->feeds ? key_def(d->feeds, NULL) : NULL;
        bool secret_file = (d->flags & PCFMCP__KEY_SECRET_FILE) && fed && fed->type == PCFMCP_CONFIG_SECRET;
        bool key_file = strcmp(d->key, "server.tls_key") == 0 || strcmp(d->key, "pcf.client_key") == 0 ||
                        strcmp(d->key, "audit.args_key_file") == 0;
        if (secret_file || key_file)
            warn_world_readable(c, i, v->text, "it holds a secret");
        else if (strcmp(d->key, "audit.file") == 0)
            warn_world_readable(c, i, v->text, "the audit trail names callers and targets");
    }
    struct stat st;
    if (inline_secret && c->file && stat(c->file, &st) == 0 && (st.st_mode & S_IROTH)) {
        if (c->warnings.len)
            pcfmcp__buf_putc(&c->warnings, '\n');
        pcfmcp__buf_printf(&c->warnings,
                           "%s: holds secrets inline and is readable by every user (mode %04o); make it "
                           "0600, or move the secrets to *_file keys",
                           c->file, (unsigned)(st.st_mode & 07777));
    }
}

PCFMCP_API const char *pcfmcp_config_warnings(const pcfmcp_config_t *c)
{
    return c && c->warnings.len && pcfmcp__buf_ok(&c->warnings) ? c->warnings.data : "";
}

PCFMCP_API pcfmcp_error_t pcfmcp_config_check(pcfmcp_config_t *c)
{
    if (!c)
        return PCFMCP_ERR_INVALID_ARG;
    clear_errors(c);
    check_file_modes(c);
    pcfmcp_error_t rc = PCFMCP_OK;
    char origin[600];
    size_t iu = 0;
    if (is_set(c, "pcf.url", &iu)) {
        const char *u = c->values[iu].text;
        const char *sep = strstr(u, "://");
        if (sep && userinfo_end(sep, strlen(sep))) {
            origin_of(c, iu, origin, sizeof(origin));
            add_error(c, "%s: pcf.url carries credentials (user:password@); they would be sent and "
                         "logged with every request: use pcf.basic_user and pcf.basic_password_file",
                      origin);
            rc = PCFMCP_ERR_CONFIG;
        }
    }
    for (size_t i = 0; i < PCFMCP_ARRAY_LEN(together); i++) {
        size_t ia = 0, ib = 0;
        if (!key_def(together[i].a, &ia) || !key_def(together[i].b, &ib))
            continue;
        bool sa = is_set(c, together[i].a, &ia), sb = is_set(c, together[i].b, &ib);
        if (sa == sb)
            continue;
        size_t which = sa ? ia : ib;
        origin_of(c, which, origin, sizeof(origin));
        add_error(c, "%s: %s is set but %s is not; set both or neither", origin,
                  sa ? together[i].a : together[i].b, sa ? together[i].b : together[i].a);
        rc = PCFMCP_ERR_CONFIG;
    }
    size_t ie = 0, ip = 0, iq = 0, ib = 0;
    if (key_def("tracing.enabled", &ie) && key_def("tracing.endpoint", &ip) &&
        c->values[ie].i && !is_set(c, "tracing.endpoint", &ip)) {
        origin_of(c, ie, origin, sizeof(origin));
        add_error(c, "%s: tracing.enabled is true but tracing.endpoint is empty", origin);
        rc = PCFMCP_ERR_CONFIG;
    }
    if (key_def("tracing.queue_size", &iq) && key_def("tracing.batch_size", &ib) &&
        c->values[ib].i > c->values[iq].i) {
        origin_of(c, c->values[ib].text ? ib : iq, origin, sizeof(origin));
        add_error(c, "%s: tracing.batch_size (%lld) is larger than tracing.queue_size (%lld)",
                  origin, c->values[ib].i, c->values[iq].i);
        rc = PCFMCP_ERR_CONFIG;
    }
    return rc;
}

PCFMCP_API int pcfmcp_config_key_range(const char *key, double *min, double *max)
{
    const pcfmcp__key_def *d = key ? key_def(key, NULL) : NULL;
    if (!d)
        return 0;
    if (d->type == PCFMCP_CONFIG_DOUBLE && (d->dmin != 0 || d->dmax != 0)) {
        if (min)
            *min = d->dmin;
        if (max)
            *max = d->dmax;
        return 1;
    }
    if ((d->type != PCFMCP_CONFIG_INT && d->type != PCFMCP_CONFIG_DURATION &&
         d->type != PCFMCP_CONFIG_DOUBLE) ||
        (d->min == 0 && d->max == 0))
        return 0;
    if (min)
        *min = (double)d->min;
    if (max)
        *max = d->max ? (double)d->max : INFINITY;
    return 1;
}

PCFMCP_API pcfmcp_error_t pcfmcp_config_resolve_secrets(pcfmcp_config_t *c)
{
    if (!c)
        return PCFMCP_ERR_INVALID_ARG;
    clear_errors(c);
    pcfmcp_error_t rc = PCFMCP_OK;
    for (size_t i = 0; i < pcfmcp__config_key_total; i++) {
        const pcfmcp__key_def *d = &pcfmcp__config_keys[i];
        const value *fv = &c->values[i];
        if (!(d->flags & PCFMCP__KEY_SECRET_FILE) || !fv->text || !fv->text[0])
            continue;
        char *content = NULL;
        size_t len = 0;
        char origin[600];
        origin_of(c, i, origin, sizeof(origin));
        int err = pcfmcp__read_file(fv->text, MAX_SECRET_FILE, true, &content, &len);
        if (err) {
            add_error(c, "%s: %s: cannot read %s: %s", origin, d->key, fv->text,
                      err == EFBIG ? "file larger than 64 KiB" : strerror(err));
            rc = err == ENOMEM ? PCFMCP_ERR_NOMEM : PCFMCP_ERR_CONFIG;
            continue;
        }
        if (len == 0) {
            add_error(c, "%s: %s: %s is empty", origin, d->key, fv->text);
            rc = PCFMCP_ERR_CONFIG;
        } else {
            char where[800];
            snprintf(where, sizeof(where), "%s: %s (%s): ", origin, d->key, fv->text);
            pcfmcp_error_t r = set_one(c, d->feeds, content, fv->source, where, fv->line);
            if (r != PCFMCP_OK)
                rc = r == PCFMCP_ERR_NOMEM ? r : PCFMCP_ERR_CONFIG;
        }
        pcfmcp__secure_zero(content, len);
        pcfmcp__free(content);
    }
    return rc;
}

/* ------------------------------------------------------------------ dump */

static const char *source_name(pcfmcp_config_source_t s)
{
    switch (s) {
    case PCFMCP_CONFIG_DEFAULT: return "default";
    case PCFMCP_CONFIG_FILE: return "file";
    case PCFMCP_CONFIG_ENV: return "environment";
    case PCFMCP_CONFIG_FLAG: return "flag";
    case PCFMCP_CONFIG_API: return "api";
    }
    return "default";
}

PCFMCP_API pcfmcp_error_t pcfmcp_config_dump(const pcfmcp_config_t *c, char **out)
{
    if (!c || !out)
        return PCFMCP_ERR_INVALID_ARG;
    pcfmcp__buf b;
    pcfmcp__buf_init(&b);
    pcfmcp__buf_puts(&b, "# pcf-mcp effective configuration (secrets redacted)\n");
    char section[64] = "";
    for (size_t i = 0; i < pcfmcp__config_key_total; i++) {
        const pcfmcp__key_def *d = &pcfmcp__config_keys[i];
        const value *v = &c->values[i];
        const char *dot = strchr(d->key, '.');
        size_t slen = dot ? (size_t)(dot - d->key) : 0;
        if (strlen(section) != slen || strncmp(section, d->key, slen) != 0) {
            snprintf(section, sizeof(section), "%.*s", (int)slen, d->key);
            pcfmcp__buf_printf(&b, "%s:\n", section);
        }
        const char *text = v->text ? v->text : d->def;
        pcfmcp__buf_printf(&b, "  %s: ", dot ? dot + 1 : d->key);
        if (d->type == PCFMCP_CONFIG_SECRET) {
            pcfmcp__buf_puts(&b, text[0] ? "\"[REDACTED]\"" : "\"\"");
        } else if (d->type == PCFMCP_CONFIG_LIST) {
            pcfmcp__buf_putc(&b, '[');
            const char *p = text;
            bool first = true;
            while (*p) {
                const char *comma = strchr(p, ',');
                size_t n = comma ? (size_t)(comma - p) : strlen(p);
                pcfmcp__buf item;
                pcfmcp__buf_init(&item);
                put_redacted_urls(&item, p, n);
                if (pcfmcp__buf_ok(&item)) {
                    if (!first)
                        pcfmcp__buf_puts(&b, ", ");
                    pcfmcp__buf_json_string(&b, item.data ? item.data : "", item.len);
                    first = false;
                } else {
                    b.failed = true;
                }
                pcfmcp__buf_free(&item);
                p += n + (comma ? 1 : 0);
                if (!comma)
                    break;
            }
            pcfmcp__buf_putc(&b, ']');
        } else if (d->type == PCFMCP_CONFIG_BOOL || d->type == PCFMCP_CONFIG_INT) {
            pcfmcp__buf_puts(&b, d->type == PCFMCP_CONFIG_BOOL ? (v->i ? "true" : "false") : text);
        } else {
            /* Quoted always (a value may look like a number or hold ':');
             * credentials in URLs (pcf.url, tracing.endpoint, ...) never print. */
            pcfmcp__buf red;
            pcfmcp__buf_init(&red);
            put_redacted_urls(&red, text, strlen(text));
            if (pcfmcp__buf_ok(&red))
                pcfmcp__buf_json_string(&b, red.data ? red.data : "", red.len);
            else
                b.failed = true;
            pcfmcp__buf_free(&red);
        }
        pcfmcp__buf_printf(&b, "  # %s\n", source_name(v->text ? v->source : PCFMCP_CONFIG_DEFAULT));
    }
    char *s = pcfmcp__buf_steal(&b, NULL);
    if (!s)
        return PCFMCP_ERR_NOMEM;
    *out = s;
    return PCFMCP_OK;
}

/* ------------------------------------------------------------- key table */

PCFMCP_API size_t pcfmcp_config_key_count(void)
{
    return pcfmcp__config_key_total;
}

#define MAX_KEYS 512
static char env_names[MAX_KEYS][96];
static char flag_names[MAX_KEYS][96];
static pthread_once_t names_once = PTHREAD_ONCE_INIT;

/* Derived names are computed once, so key_info can hand out static strings
 * from any thread. */
static void derive_names(void)
{
    for (size_t i = 0; i < pcfmcp__config_key_total && i < MAX_KEYS; i++) {
        const pcfmcp__key_def *d = &pcfmcp__config_keys[i];
        env_name(d->key, env_names[i], sizeof(env_names[i]));
        size_t k = 0;
        for (const char *p = d->key; *p && k + 1 < sizeof(flag_names[0]); p++)
            flag_names[i][k++] = (*p == '.' || *p == '_') ? '-' : *p;
        flag_names[i][k] = '\0';
    }
}

PCFMCP_API pcfmcp_error_t pcfmcp_config_key_info(size_t index, const char **name,
                                                 pcfmcp_config_type_t *type,
                                                 const char **default_value, const char **env,
                                                 const char **flag, const char **doc)
{
    if (index >= pcfmcp__config_key_total || index >= MAX_KEYS)
        return PCFMCP_ERR_INVALID_ARG;
    pthread_once(&names_once, derive_names);
    const pcfmcp__key_def *d = &pcfmcp__config_keys[index];
    if (name)
        *name = d->key;
    if (type)
        *type = d->type;
    if (default_value)
        *default_value = d->def;
    if (doc)
        *doc = d->doc;
    if (env)
        *env = env_names[index];
    if (flag)
        *flag = (d->flags & PCFMCP__KEY_NOFLAG) ? NULL : d->flag ? d->flag : flag_names[index];
    return PCFMCP_OK;
}

PCFMCP_API const char *pcfmcp_config_key_choices(const char *key)
{
    const pcfmcp__key_def *d = key ? key_def(key, NULL) : NULL;
    return d ? d->choices : NULL;
}

PCFMCP_API int pcfmcp_config_key_reloadable(const char *key)
{
    const pcfmcp__key_def *d = key ? key_def(key, NULL) : NULL;
    return d && (d->flags & PCFMCP__KEY_RELOAD);
}
