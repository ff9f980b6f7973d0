/* pcfmcp_args_*: one member of a tool's arguments, by name (args.h). */
#include "core/internal.h"

#include <stdint.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <pcfmcp/args.h>

#include "core/alloc.h"
#include "core/json.h"

/* Tool arguments were validated by the engine; a host may also hand in its
 * own text, so the parse is bounded like every other. */
#define ARGS_MAX_DEPTH 64

typedef enum { ANY, STRING, INTEGER, NUMBER, BOOLEAN } kind;

/* An integer within +-2^53, as documented; the value into *v. */
static bool fits_int(const cJSON *m, long long *v)
{
    int64_t i = 0;
    if (!pcfmcp__json_int64(m, &i) || i > INT64_C(9007199254740992) ||
        i < -INT64_C(9007199254740992))
        return false;
    if (v)
        *v = (long long)i;
    return true;
}

static bool is_kind(const cJSON *m, kind k)
{
    switch (k) {
    case STRING: return cJSON_IsString(m);
    case INTEGER: return fits_int(m, NULL);
    case NUMBER: return cJSON_IsNumber(m);
    case BOOLEAN: return cJSON_IsBool(m);
    case ANY: break;
    }
    return true;
}

/* Parses @p json and finds member @p name of kind @p k; *root is freed by
 * the caller (NULL on every failure but a wrong or missing member). */
static pcfmcp_error_t member(const char *json, size_t len, const char *name, bool have_out,
                             kind k, cJSON **root, const cJSON **item)
{
    *root = NULL;
    if (!json || !name || !have_out)
        return PCFMCP_ERR_INVALID_ARG;
    cJSON *r = NULL;
    pcfmcp__json_status st = pcfmcp__json_parse(json, len, ARGS_MAX_DEPTH, &r, NULL);
    if (st == PCFMCP__JSON_NOMEM)
        return PCFMCP_ERR_NOMEM;
    if (st != PCFMCP__JSON_OK || !cJSON_IsObject(r)) {
        cJSON_Delete(r);
        return PCFMCP_ERR_INVALID_ARG;
    }
    *root = r;
    const cJSON *m = cJSON_GetObjectItemCaseSensitive(r, name);
    if (!m || cJSON_IsNull(m))
        return PCFMCP_ERR_NOT_FOUND;
    if (!is_kind(m, k))
        return PCFMCP_ERR_INVALID_ARG;
    *item = m;
    return PCFMCP_OK;
}

/* A caller-owned copy of @p text, or NOMEM. */
static pcfmcp_error_t give(char *text, char **out)
{
    if (!text)
        return PCFMCP_ERR_NOMEM;
    *out = text;
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_args_get_string(const char *args_json, size_t args_len,
                                                 const char *name, char **out)
{
    cJSON *root;
    const cJSON *m = NULL;
    pcfmcp_error_t rc = member(args_json, args_len, name, out != NULL, STRING, &root, &m);
    if (rc == PCFMCP_OK)
        rc = give(pcfmcp__strdup(m->valuestring), out);
    cJSON_Delete(root);
    return rc;
}

PCFMCP_API pcfmcp_error_t pcfmcp_args_get_int(const char *args_json, size_t args_len,
                                              const char *name, long long *out)
{
    cJSON *root;
    const cJSON *m = NULL;
    pcfmcp_error_t rc = member(args_json, args_len, name, out != NULL, INTEGER, &root, &m);
    if (rc == PCFMCP_OK)
        fits_int(m, out);
    cJSON_Delete(root);
    return rc;
}

PCFMCP_API pcfmcp_error_t pcfmcp_args_get_number(const char *args_json, size_t args_len,
                                                 const char *name, double *out)
{
    cJSON *root;
    const cJSON *m = NULL;
    pcfmcp_error_t rc = member(args_json, args_len, name, out != NULL, NUMBER, &root, &m);
    if (rc == PCFMCP_OK)
        *out = m->valuedouble;
    cJSON_Delete(root);
    return rc;
}

PCFMCP_API pcfmcp_error_t pcfmcp_args_get_bool(const char *args_json, size_t args_len,
                                               const char *name, int *out)
{
    cJSON *root;
    const cJSON *m = NULL;
    pcfmcp_error_t rc = member(args_json, args_len, name, out != NULL, BOOLEAN, &root, &m);
    if (rc == PCFMCP_OK)
        *out = cJSON_IsTrue(m) ? 1 : 0;
    cJSON_Delete(root);
    return rc;
}

PCFMCP_API pcfmcp_error_t pcfmcp_args_get_json(const char *args_json, size_t args_len,
                                               const char *name, char **out)
{
    cJSON *root;
    const cJSON *m = NULL;
    pcfmcp_error_t rc = member(args_json, args_len, name, out != NULL, ANY, &root, &m);
    if (rc == PCFMCP_OK)
        rc = give(pcfmcp__json_print(m, NULL), out);
    cJSON_Delete(root);
    return rc;
}
