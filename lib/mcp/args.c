/* pcfmcp_args_*: one member of a tool's arguments, by name (args.h). */
#include "core/internal.h"

#include <string.h>

#include <cjson/cJSON.h>
#include <pcfmcp/args.h>

#include "core/alloc.h"
#include "core/json.h"

/* Tool arguments were validated by the engine; a host may also hand in its
 * own text, so the parse is bounded like every other. */
#define ARGS_MAX_DEPTH 64

/* Parses @p json and finds member @p name; *root must be freed. */
static pcfmcp_error_t member(const char *json, size_t len, const char *name, cJSON **root,
                             const cJSON **item)
{
    *root = NULL;
    if (!json || !name)
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
    *item = m;
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_args_get_string(const char *args_json, size_t args_len,
                                                 const char *name, char **out)
{
    cJSON *root = NULL;
    const cJSON *m = NULL;
    pcfmcp_error_t rc = out ? member(args_json, args_len, name, &root, &m) : PCFMCP_ERR_INVALID_ARG;
    if (rc == PCFMCP_OK && !cJSON_IsString(m))
        rc = PCFMCP_ERR_INVALID_ARG;
    if (rc == PCFMCP_OK) {
        char *copy = pcfmcp__strdup(m->valuestring);
        if (!copy)
            rc = PCFMCP_ERR_NOMEM;
        else
            *out = copy;
    }
    cJSON_Delete(root);
    return rc;
}

PCFMCP_API pcfmcp_error_t pcfmcp_args_get_int(const char *args_json, size_t args_len,
                                              const char *name, long long *out)
{
    cJSON *root = NULL;
    const cJSON *m = NULL;
    pcfmcp_error_t rc = out ? member(args_json, args_len, name, &root, &m) : PCFMCP_ERR_INVALID_ARG;
    if (rc == PCFMCP_OK && !pcfmcp__json_is_integer(m))
        rc = PCFMCP_ERR_INVALID_ARG;
    if (rc == PCFMCP_OK)
        *out = (long long)m->valuedouble;
    cJSON_Delete(root);
    return rc;
}

PCFMCP_API pcfmcp_error_t pcfmcp_args_get_number(const char *args_json, size_t args_len,
                                                 const char *name, double *out)
{
    cJSON *root = NULL;
    const cJSON *m = NULL;
    pcfmcp_error_t rc = out ? member(args_json, args_len, name, &root, &m) : PCFMCP_ERR_INVALID_ARG;
    if (rc == PCFMCP_OK && !cJSON_IsNumber(m))
        rc = PCFMCP_ERR_INVALID_ARG;
    if (rc == PCFMCP_OK)
        *out = m->valuedouble;
    cJSON_Delete(root);
    return rc;
}

PCFMCP_API pcfmcp_error_t pcfmcp_args_get_bool(const char *args_json, size_t args_len,
                                               const char *name, int *out)
{
    cJSON *root = NULL;
    const cJSON *m = NULL;
    pcfmcp_error_t rc = out ? member(args_json, args_len, name, &root, &m) : PCFMCP_ERR_INVALID_ARG;
    if (rc == PCFMCP_OK && !cJSON_IsBool(m))
        rc = PCFMCP_ERR_INVALID_ARG;
    if (rc == PCFMCP_OK)
        *out = cJSON_IsTrue(m) ? 1 : 0;
    cJSON_Delete(root);
    return rc;
}

PCFMCP_API pcfmcp_error_t pcfmcp_args_get_json(const char *args_json, size_t args_len,
                                               const char *name, char **out)
{
    cJSON *root = NULL;
    const cJSON *m = NULL;
    pcfmcp_error_t rc = out ? member(args_json, args_len, name, &root, &m) : PCFMCP_ERR_INVALID_ARG;
    if (rc == PCFMCP_OK) {
        char *text = pcfmcp__json_print(m, NULL);
        if (!text)
            rc = PCFMCP_ERR_NOMEM;
        else
            *out = text;
    }
    cJSON_Delete(root);
    return rc;
}
