/* Result builders: handlers describe their answer through these calls and
 * the engine serialises it for the revision in use. */
#include "core/internal.h"

#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "core/util.h"
#include "mcp/engine_internal.h"
#include "mcp/native.h"

#define MAX_COMPLETIONS 100

pcfmcp_result_t *pcfmcp__result_new(pcfmcp__result_kind kind)
{
    pcfmcp_result_t *r = pcfmcp__calloc(1, sizeof(*r));
    if (!r)
        return NULL;
    r->kind = kind;
    r->total = -1;
    if (!(r->items = cJSON_CreateArray())) {
        pcfmcp__free(r);
        return NULL;
    }
    return r;
}

void pcfmcp__result_free(pcfmcp_result_t *r)
{
    if (!r)
        return;
    if (r->drop)
        r->drop(r->keep_ud);
    cJSON_Delete(r->items);
    cJSON_Delete(r->structured);
    pcfmcp__free(r->structured_text);
    pcfmcp__free(r->rendered);
    cJSON_Delete(r->meta);
    pcfmcp__free(r->error_message);
    pcfmcp__free(r->description);
    pcfmcp__free(r);
}

static bool utf8(const char *s, size_t n)
{
    return pcfmcp__utf8_valid(s, n, NULL) && !memchr(s, '\0', n);
}

/* Adds a string member from a buffer that may not be NUL-terminated. */
static bool add_str_n(cJSON *o, const char *k, const char *s, size_t n)
{
    char *copy = pcfmcp__strndup(s, n);
    if (!copy)
        return false;
    cJSON *v = cJSON_CreateString(copy);
    pcfmcp__free(copy);
    return pcfmcp__json_put(o, k, v);
}

static bool add_b64(cJSON *o, const char *k, const void *data, size_t n)
{
    char *b = pcfmcp__base64_encode(data, n, NULL);
    if (!b)
        return false;
    bool ok = cJSON_AddStringToObject(o, k, b) != NULL;
    pcfmcp__free(b);
    return ok;
}

static pcfmcp_error_t push(pcfmcp_result_t *r, cJSON *item, bool ok)
{
    if (!ok) {
        cJSON_Delete(item);
        return PCFMCP_ERR_NOMEM;
    }
    return pcfmcp__json_put(r->items, NULL, item) ? PCFMCP_OK : PCFMCP_ERR_NOMEM;
}

PCFMCP_API pcfmcp_error_t pcfmcp_result_add_text(pcfmcp_result_t *r, const char *text, size_t len)
{
    if (!r || (!text && len) || r->kind != PCFMCP__RESULT_TOOL)
        return r && r->kind != PCFMCP__RESULT_TOOL ? PCFMCP_ERR_STATE : PCFMCP_ERR_INVALID_ARG;
    if (!utf8(text ? text : "", len))
        return PCFMCP_ERR_INVALID_ARG;
    cJSON *c = cJSON_CreateObject();
    bool ok = c && cJSON_AddStringToObject(c, "type", "text") &&
              add_str_n(c, "text", text ? text : "", len);
    return push(r, c, ok);
}

static pcfmcp_error_t add_media(pcfmcp_result_t *r, const char *type, const void *data,
                                size_t len, const char *mime)
{
    if (!r || (!data && len) || !mime || !*mime)
        return PCFMCP_ERR_INVALID_ARG;
    if (r->kind != PCFMCP__RESULT_TOOL)
        return PCFMCP_ERR_STATE;
    cJSON *c = cJSON_CreateObject();
    bool ok = c && cJSON_AddStringToObject(c, "type", type) && add_b64(c, "data", data, len) &&
              cJSON_AddStringToObject(c, "mimeType", mime);
    return push(r, c, ok);
}

PCFMCP_API pcfmcp_error_t pcfmcp_result_add_image(pcfmcp_result_t *r, const void *data,
                                                  size_t len, const char *mime)
{
    return add_media(r, "image", data, len, mime);
}

PCFMCP_API pcfmcp_error_t pcfmcp_result_add_audio(pcfmcp_result_t *r, const void *data,
                                                  size_t len, const char *mime)
{
    return add_media(r, "audio", data, len, mime);
}

/* {uri, mimeType?, text|blob}: the shape of embedded resources and of
 * resources/read contents alike. */
static cJSON *resource_contents(const char *uri, const char *mime, const void *data, size_t len,
                                bool binary)
{
    cJSON *o = cJSON_CreateObject();
    bool ok = o && cJSON_AddStringToObject(o, "uri", uri) &&
              (!mime || cJSON_AddStringToObject(o, "mimeType", mime)) &&
              (binary ? add_b64(o, "blob", data, len) : add_str_n(o, "text", data, len));
    if (!ok) {
        cJSON_Delete(o);
        return NULL;
    }
    return o;
}

static pcfmcp_error_t add_embedded(pcfmcp_result_t *r, const char *uri, const char *mime,
                                   const void *data, size_t len, bool binary)
{
    if (!r || !uri || (!data && len))
        return PCFMCP_ERR_INVALID_ARG;
    if (r->kind != PCFMCP__RESULT_TOOL)
        return PCFMCP_ERR_STATE;
    if (!binary && !utf8(data ? data : "", len))
        return PCFMCP_ERR_INVALID_ARG;
    cJSON *res = resource_contents(uri, mime, data ? data : "", len, binary);
    if (!res)
        return PCFMCP_ERR_NOMEM;
    cJSON *c = cJSON_CreateObject();
    if (!c || !cJSON_AddItemToObject(c, "resource", res)) {
        cJSON_Delete(res);
        cJSON_Delete(c);
        return PCFMCP_ERR_NOMEM;
    }
    return push(r, c, cJSON_AddStringToObject(c, "type", "resource") != NULL);
}

PCFMCP_API pcfmcp_error_t pcfmcp_result_add_embedded_text(pcfmcp_result_t *r, const char *uri,
                                                          const char *mime, const char *text,
                                                          size_t len)
{
    return add_embedded(r, uri, mime, text, len, false);
}

PCFMCP_API pcfmcp_error_t pcfmcp_result_add_embedded_blob(pcfmcp_result_t *r, const char *uri,
                                                          const char *mime, const void *data,
                                                          size_t len)
{
    return add_embedded(r, uri, mime, data, len, true);
}

PCFMCP_API pcfmcp_error_t pcfmcp_result_add_resource_link(pcfmcp_result_t *r,
                                                          const char *link_json)
{
    if (!r || !link_json)
        return PCFMCP_ERR_INVALID_ARG;
    if (r->kind != PCFMCP__RESULT_TOOL)
        return PCFMCP_ERR_STATE;
    cJSON *l = pcfmcp__json_parse_object(link_json, strlen(link_json));
    if (!l || !pcfmcp__json_str(l, "uri") || !pcfmcp__json_str(l, "name")) {
        cJSON_Delete(l);
        return PCFMCP_ERR_INVALID_ARG;
    }
    cJSON_DeleteItemFromObjectCaseSensitive(l, "type");
    bool ok = cJSON_AddStringToObject(l, "type", "resource_link") != NULL;
    return push(r, l, ok);
}

PCFMCP_API pcfmcp_error_t pcfmcp_result_add_content_json(pcfmcp_result_t *r,
                                                         const char *content_json)
{
    if (!r || !content_json)
        return PCFMCP_ERR_INVALID_ARG;
    if (r->kind != PCFMCP__RESULT_TOOL)
        return PCFMCP_ERR_STATE;
    cJSON *c = pcfmcp__json_parse_object(content_json, strlen(content_json));
    if (!c || !pcfmcp__json_str(c, "type")) {
        cJSON_Delete(c);
        return PCFMCP_ERR_INVALID_ARG;
    }
    return push(r, c, true);
}

PCFMCP_API pcfmcp_error_t pcfmcp_result_set_structured(pcfmcp_result_t *r, const char *json,
                                                       size_t len)
{
    if (!r || !json)
        return PCFMCP_ERR_INVALID_ARG;
    if (r->kind != PCFMCP__RESULT_TOOL)
        return PCFMCP_ERR_STATE;
    cJSON *s = NULL;
    if (pcfmcp__json_parse(json, len, 128, &s, NULL) != PCFMCP__JSON_OK)
        return PCFMCP_ERR_INVALID_ARG;
    if (!cJSON_IsObject(s)) {
        cJSON_Delete(s);
        return PCFMCP_ERR_INVALID_ARG;
    }
    cJSON_Delete(r->structured);
    r->structured = s;
    pcfmcp__free(r->structured_text);
    r->structured_text = NULL;
    return PCFMCP_OK;
}

pcfmcp_error_t pcfmcp__result_take_structured_text(pcfmcp_result_t *r, char *json, size_t len)
{
    if (!r || !json || r->kind != PCFMCP__RESULT_TOOL) {
        pcfmcp__free(json);
        return r && json ? PCFMCP_ERR_STATE : PCFMCP_ERR_INVALID_ARG;
    }
    cJSON_Delete(r->structured);
    r->structured = NULL;
    pcfmcp__free(r->structured_text);
    r->structured_text = json;
    r->structured_len = len;
    return PCFMCP_OK;
}

pcfmcp_error_t pcfmcp__result_set_rendered(pcfmcp_result_t *r, char *json, size_t len)
{
    if (!r || !json || r->kind != PCFMCP__RESULT_TOOL) {
        pcfmcp__free(json);
        return r && json ? PCFMCP_ERR_STATE : PCFMCP_ERR_INVALID_ARG;
    }
    pcfmcp__free(r->rendered);
    r->rendered = json;
    r->rendered_len = len;
    return PCFMCP_OK;
}

pcfmcp_error_t pcfmcp__result_on_sent(pcfmcp_result_t *r, pcfmcp__result_keep_cb keep,
                                      void (*drop)(void *ud), void *ud)
{
    if (!r || !keep) {
        if (drop)
            drop(ud);
        return PCFMCP_ERR_INVALID_ARG;
    }
    if (r->drop)
        r->drop(r->keep_ud);
    r->keep = keep;
    r->drop = drop;
    r->keep_ud = ud;
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_result_set_error(pcfmcp_result_t *r, const char *message)
{
    if (!r || !message || !utf8(message, strlen(message)))
        return PCFMCP_ERR_INVALID_ARG;
    char *m = pcfmcp__strdup(message);
    if (!m)
        return PCFMCP_ERR_NOMEM;
    pcfmcp__free(r->error_message);
    r->error_message = m;
    r->is_error = true;
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_result_set_meta(pcfmcp_result_t *r, const char *meta_json)
{
    if (!r || !meta_json)
        return PCFMCP_ERR_INVALID_ARG;
    cJSON *m = pcfmcp__json_parse_object(meta_json, strlen(meta_json));
    if (!m)
        return PCFMCP_ERR_INVALID_ARG;
    cJSON_Delete(r->meta);
    r->meta = m;
    return PCFMCP_OK;
}

static pcfmcp_error_t add_contents(pcfmcp_result_t *r, const char *uri, const char *mime,
                                   const void *data, size_t len, bool binary)
{
    if (!r || !uri || (!data && len))
        return PCFMCP_ERR_INVALID_ARG;
    if (r->kind != PCFMCP__RESULT_READ)
        return PCFMCP_ERR_STATE;
    if (!binary && !utf8(data ? data : "", len))
        return PCFMCP_ERR_INVALID_ARG;
    cJSON *c = resource_contents(uri, mime, data ? data : "", len, binary);
    return push(r, c, c != NULL);
}

PCFMCP_API pcfmcp_error_t pcfmcp_result_add_contents_text(pcfmcp_result_t *r, const char *uri,
                                                          const char *mime, const char *text,
                                                          size_t len)
{
    return add_contents(r, uri, mime, text, len, false);
}

PCFMCP_API pcfmcp_error_t pcfmcp_result_add_contents_blob(pcfmcp_result_t *r, const char *uri,
                                                          const char *mime, const void *data,
                                                          size_t len)
{
    return add_contents(r, uri, mime, data, len, true);
}

PCFMCP_API pcfmcp_error_t pcfmcp_result_set_description(pcfmcp_result_t *r,
                                                        const char *description)
{
    if (!r || !description)
        return PCFMCP_ERR_INVALID_ARG;
    if (r->kind != PCFMCP__RESULT_PROMPT)
        return PCFMCP_ERR_STATE;
    char *d = pcfmcp__strdup(description);
    if (!d)
        return PCFMCP_ERR_NOMEM;
    pcfmcp__free(r->description);
    r->description = d;
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_result_add_message(pcfmcp_result_t *r, const char *role,
                                                    const char *content_json)
{
    if (!r || !role || !content_json)
        return PCFMCP_ERR_INVALID_ARG;
    if (r->kind != PCFMCP__RESULT_PROMPT)
        return PCFMCP_ERR_STATE;
    if (strcmp(role, "user") != 0 && strcmp(role, "assistant") != 0)
        return PCFMCP_ERR_INVALID_ARG;
    cJSON *content = pcfmcp__json_parse_object(content_json, strlen(content_json));
    if (!content || !pcfmcp__json_str(content, "type")) {
        cJSON_Delete(content);
        return PCFMCP_ERR_INVALID_ARG;
    }
    cJSON *m = cJSON_CreateObject();
    bool ok = pcfmcp__json_put_str(m, "role", role);
    ok &= pcfmcp__json_put(m, "content", content);
    return push(r, m, ok);
}

PCFMCP_API pcfmcp_error_t pcfmcp_result_add_message_text(pcfmcp_result_t *r, const char *role,
                                                         const char *text)
{
    if (!r || !role || !text || !utf8(text, strlen(text)))
        return PCFMCP_ERR_INVALID_ARG;
    cJSON *c = cJSON_CreateObject();
    if (!c || !cJSON_AddStringToObject(c, "type", "text") || !cJSON_AddStringToObject(c, "text", text)) {
        cJSON_Delete(c);
        return PCFMCP_ERR_NOMEM;
    }
    char *s = pcfmcp__json_print(c, NULL);
    cJSON_Delete(c);
    if (!s)
        return PCFMCP_ERR_NOMEM;
    pcfmcp_error_t rc = pcfmcp_result_add_message(r, role, s);
    pcfmcp__free(s);
    return rc;
}

PCFMCP_API pcfmcp_error_t pcfmcp_result_add_completion(pcfmcp_result_t *r, const char *value)
{
    if (!r || !value)
        return PCFMCP_ERR_INVALID_ARG;
    if (r->kind != PCFMCP__RESULT_COMPLETE)
        return PCFMCP_ERR_STATE;
    if (cJSON_GetArraySize(r->items) >= MAX_COMPLETIONS) {
        /* The spec caps a response at 100 values; the rest is "more". */
        r->has_more = true;
        return PCFMCP_OK;
    }
    cJSON *v = cJSON_CreateString(value);
    return push(r, v, v != NULL);
}

PCFMCP_API pcfmcp_error_t pcfmcp_result_set_completion_total(pcfmcp_result_t *r, long total,
                                                             int has_more)
{
    if (!r)
        return PCFMCP_ERR_INVALID_ARG;
    if (r->kind != PCFMCP__RESULT_COMPLETE)
        return PCFMCP_ERR_STATE;
    r->total = total;
    r->total_set = total >= 0;
    r->has_more = r->has_more || has_more;
    return PCFMCP_OK;
}
