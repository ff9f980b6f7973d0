#include "core/internal.h"

#include <stdarg.h>
#include <sys/types.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/error.h"
#include "core/json.h"
#include "core/log.h"
#include "core/util.h"
#include "mcp/engine_internal.h"
#include "mcp/native.h"

#define MAX_NAME_LEN 128

const char *const pcfmcp__legacy_versions[4] = { "2025-11-25", "2025-06-18", "2025-03-26",
                                                 "2024-11-05" };

bool pcfmcp__is_legacy_version(const char *v)
{
    for (size_t i = 0; v && i < PCFMCP_ARRAY_LEN(pcfmcp__legacy_versions); i++)
        if (strcmp(v, pcfmcp__legacy_versions[i]) == 0)
            return true;
    return false;
}

PCFMCP_API const char *pcfmcp_engine_errmsg(const pcfmcp_engine_t *e)
{
    if (!e)
        return "no engine";
    return pcfmcp__errmsg(e);
}

static char *build_server_info(const char *name, const char *version, const cJSON *extra)
{
    cJSON *o = cJSON_CreateObject();
    bool ok = pcfmcp__json_put_str(o, "name", name);
    ok &= pcfmcp__json_put_str(o, "version", version);
    const cJSON *it;
    cJSON_ArrayForEach(it, extra) ok &= pcfmcp__json_put(o, it->string, cJSON_Duplicate(it, true));
    char *s = ok ? pcfmcp__json_print(o, NULL) : NULL;
    cJSON_Delete(o);
    return s;
}

PCFMCP_API pcfmcp_error_t pcfmcp_engine_set_state_key(pcfmcp_engine_t *e, const void *key,
                                                      size_t len)
{
    if (!e || !key || len < 16)
        return PCFMCP_ERR_INVALID_ARG;
    /* Any length in, 32 bytes out: the HMAC key is a hash of the secret. */
    unsigned char k[32];
    if (pcfmcp__hmac_sha256("pcf-mcp requestState", 20, key, len, k) != 0)
        return PCFMCP_ERR_TLS;
    memcpy(e->state_key, k, sizeof(k));
    pcfmcp__secure_zero(k, sizeof(k));
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_engine_new(pcfmcp_engine_t **out, const char *name,
                                            const char *version)
{
    if (!out || !name || !*name || !version || !*version)
        return PCFMCP_ERR_INVALID_ARG;
    pcfmcp_engine_t *e = pcfmcp__calloc(1, sizeof(*e));
    if (!e)
        return PCFMCP_ERR_NOMEM;
    pthread_rwlock_init(&e->reg_lock, NULL);
    pthread_mutex_init(&e->pages_lock, NULL);
    pthread_mutex_init(&e->sessions_lock, NULL);
    pthread_mutex_init(&e->wd_init_lock, NULL);
    pthread_mutex_init(&e->listen_lock, NULL);
    e->page_size = 100;
    e->max_depth = 64;
    e->max_batch = 64;
    e->request_timeout_ms = 60000;
    for (int k = 0; k < PCFMCP__HINT_COUNT; k++)
        e->hints[k] = (pcfmcp__cache_hint){ .ttl_ms = 300000, .public_scope = true };
    /* Resource contents come from PCF and differ per caller: never cache them shared. */
    e->hints[PCFMCP__LIST_RESOURCES] = (pcfmcp__cache_hint){ 0, false };
    e->hints[PCFMCP__HINT_READ] = (pcfmcp__cache_hint){ 0, false };
    e->name = pcfmcp__strdup(name);
    e->version = pcfmcp__strdup(version);
    e->server_info_text = build_server_info(name, version, NULL);
    if (!e->name || !e->version || !e->server_info_text ||
        pcfmcp__random(e->state_key, sizeof(e->state_key)) != 0) {
        pcfmcp_engine_free(e);
        return PCFMCP_ERR_NOMEM;
    }
    *out = e;
    return PCFMCP_OK;
}

void pcfmcp__entry_unref(pcfmcp__entry *en)
{
    if (!en || atomic_fetch_sub(&en->refs, 1) != 1)
        return;
    pcfmcp__free(en->key);
    cJSON_Delete(en->def);
    pcfmcp__free(en->def_text);
    pcfmcp__schema_free(en->input);
    pcfmcp__schema_free(en->output);
    pcfmcp__uritemplate_free(en->tmpl);
    pcfmcp__free(en);
}

void pcfmcp__pages_unref(pcfmcp__pages *p)
{
    if (!p || atomic_fetch_sub(&p->refs, 1) != 1)
        return;
    for (size_t i = 0; i < p->npages; i++) {
        pcfmcp__blob_unref(p->legacy ? p->legacy[i] : NULL);
        pcfmcp__blob_unref(p->modern ? p->modern[i] : NULL);
    }
    pcfmcp__free(p->legacy);
    pcfmcp__free(p->modern);
    pcfmcp__free(p);
}

PCFMCP_API void pcfmcp_engine_free(pcfmcp_engine_t *e)
{
    if (!e)
        return;
    pcfmcp__pool_free(e->pool);
    pcfmcp__watchdog_free(e);
    for (int k = 0; k < PCFMCP__LIST_COUNT; k++) {
        for (size_t i = 0; i < e->lists[k].len; i++)
            pcfmcp__entry_unref(e->lists[k].items[i]);
        pcfmcp__free(e->lists[k].items);
        pcfmcp__pages_unref(e->pages[k]);
    }
    for (size_t i = 0; i < e->ncompletions; i++) {
        pcfmcp__free(e->completions[i].ref_type);
        pcfmcp__free(e->completions[i].ref);
    }
    pcfmcp__free(e->completions);
    for (size_t i = 0; i < 2 * e->nwithheld; i++)
        pcfmcp__free(e->withheld[i]);
    pcfmcp__free(e->withheld);
    pcfmcp_logger_unref(e->log);
    cJSON_Delete(e->info_extra);
    pcfmcp__free(e->server_info_text);
    pcfmcp__free(e->instructions);
    pcfmcp__free(e->name);
    pcfmcp__free(e->version);
    pthread_rwlock_destroy(&e->reg_lock);
    pthread_mutex_destroy(&e->pages_lock);
    pthread_mutex_destroy(&e->sessions_lock);
    pthread_mutex_destroy(&e->wd_init_lock);
    pthread_mutex_destroy(&e->listen_lock);
    pcfmcp__free(e);
}

PCFMCP_API pcfmcp_error_t pcfmcp_engine_set_logger(pcfmcp_engine_t *e, pcfmcp_logger_t *lg)
{
    if (!e)
        return PCFMCP_ERR_INVALID_ARG;
    pcfmcp_logger_t *old = e->log;
    e->log = pcfmcp_logger_ref(lg);
    pcfmcp_logger_unref(old);
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_engine_set_info(pcfmcp_engine_t *e, const char *info_json)
{
    if (!e || !info_json)
        return PCFMCP_ERR_INVALID_ARG;
    cJSON *j = pcfmcp__json_parse_object(info_json, strlen(info_json));
    if (!j)
        return pcfmcp__fail(e, PCFMCP_ERR_INVALID_ARG, "server info must be a JSON object");
    static const char *const allowed[] = { "title", "description", "websiteUrl", "icons" };
    const cJSON *it;
    cJSON_ArrayForEach(it, j) {
        bool ok = false;
        for (size_t i = 0; i < PCFMCP_ARRAY_LEN(allowed); i++)
            ok = ok || strcmp(it->string, allowed[i]) == 0;
        bool typed = strcmp(it->string, "icons") == 0 ? cJSON_IsArray(it) : cJSON_IsString(it);
        if (!ok || !typed) {
            cJSON_Delete(j);
            return pcfmcp__fail(e, PCFMCP_ERR_INVALID_ARG,
                                "server info member \"%s\" is unknown or of the wrong type",
                                it->string);
        }
    }
    char *txt = build_server_info(e->name, e->version, j);
    if (!txt) {
        cJSON_Delete(j);
        return PCFMCP_ERR_NOMEM;
    }
    pthread_rwlock_wrlock(&e->reg_lock);
    cJSON_Delete(e->info_extra);
    e->info_extra = j;
    pcfmcp__free(e->server_info_text);
    e->server_info_text = txt;
    for (int k = 0; k < PCFMCP__LIST_COUNT; k++)
        e->generation[k]++; /* modern pages embed serverInfo */
    pthread_rwlock_unlock(&e->reg_lock);
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_engine_set_instructions(pcfmcp_engine_t *e, const char *text)
{
    if (!e)
        return PCFMCP_ERR_INVALID_ARG;
    char *copy = NULL;
    if (text && !(copy = pcfmcp__strdup(text)))
        return PCFMCP_ERR_NOMEM;
    pthread_rwlock_wrlock(&e->reg_lock);
    pcfmcp__free(e->instructions);
    e->instructions = copy;
    pthread_rwlock_unlock(&e->reg_lock);
    return PCFMCP_OK;
}

static void bump_all(pcfmcp_engine_t *e)
{
    for (int k = 0; k < PCFMCP__LIST_COUNT; k++)
        e->generation[k]++;
}

PCFMCP_API pcfmcp_error_t pcfmcp_engine_set_page_size(pcfmcp_engine_t *e, unsigned size)
{
    if (!e || size < 1 || size > 1000)
        return PCFMCP_ERR_INVALID_ARG;
    pthread_rwlock_wrlock(&e->reg_lock);
    e->page_size = size;
    bump_all(e);
    pthread_rwlock_unlock(&e->reg_lock);
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_engine_set_limits(pcfmcp_engine_t *e, unsigned max_depth,
                                                   unsigned max_batch)
{
    if (!e || max_depth < 4 || max_depth > 1000 || max_batch < 1 || max_batch > 10000)
        return PCFMCP_ERR_INVALID_ARG;
    e->max_depth = max_depth;
    e->max_batch = max_batch;
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_engine_set_threads(pcfmcp_engine_t *e, unsigned threads,
                                                    unsigned queue_max)
{
    if (!e || threads > 1024 || (threads && !queue_max))
        return PCFMCP_ERR_INVALID_ARG;
    if (e->pool)
        return pcfmcp__fail(e, PCFMCP_ERR_STATE, "worker threads are already running");
    if (threads) {
        int rc = pcfmcp__pool_new(&e->pool, threads, queue_max);
        if (rc != PCFMCP_OK)
            return (pcfmcp_error_t)rc;
    }
    e->threads = threads;
    e->queue_max = queue_max;
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_engine_set_request_timeout(pcfmcp_engine_t *e,
                                                            unsigned timeout_ms)
{
    if (!e || timeout_ms == 0)
        return PCFMCP_ERR_INVALID_ARG;
    e->request_timeout_ms = timeout_ms;
    return PCFMCP_OK;
}

PCFMCP_API int pcfmcp_engine_tool_read_only(pcfmcp_engine_t *e, const char *name)
{
    if (!e || !name)
        return 0;
    pcfmcp__entry *t = pcfmcp__engine_find(e, PCFMCP__LIST_TOOLS, name);
    if (!t)
        return 0;
    const cJSON *ann = cJSON_GetObjectItemCaseSensitive(t->def, "annotations");
    int ro = cJSON_IsTrue(cJSON_GetObjectItemCaseSensitive(ann, "readOnlyHint"));
    pcfmcp__entry_unref(t);
    return ro;
}

PCFMCP_API size_t pcfmcp_engine_session_count(pcfmcp_engine_t *e)
{
    if (!e)
        return 0;
    size_t n = 0;
    pthread_mutex_lock(&e->sessions_lock);
    for (pcfmcp_session_t *s = e->sessions; s; s = s->next)
        n++;
    pthread_mutex_unlock(&e->sessions_lock);
    return n;
}

PCFMCP_API pcfmcp_error_t pcfmcp_engine_set_cache_hint(pcfmcp_engine_t *e, const char *method,
                                                       unsigned ttl_ms, const char *scope)
{
    if (!e || !method || !scope)
        return PCFMCP_ERR_INVALID_ARG;
    static const struct {
        const char *method;
        int slot;
    } map[] = { { "tools/list", PCFMCP__LIST_TOOLS },
                { "resources/list", PCFMCP__LIST_RESOURCES },
                { "resources/templates/list", PCFMCP__LIST_TEMPLATES },
                { "prompts/list", PCFMCP__LIST_PROMPTS },
                { "server/discover", PCFMCP__HINT_DISCOVER },
                { "resources/read", PCFMCP__HINT_READ } };
    bool pub = strcmp(scope, "public") == 0;
    if (!pub && strcmp(scope, "private") != 0)
        return pcfmcp__fail(e, PCFMCP_ERR_INVALID_ARG,
                            "cache scope must be \"public\" or \"private\"");
    for (size_t i = 0; i < PCFMCP_ARRAY_LEN(map); i++) {
        if (strcmp(map[i].method, method) != 0)
            continue;
        pthread_rwlock_wrlock(&e->reg_lock);
        e->hints[map[i].slot] = (pcfmcp__cache_hint){ ttl_ms, pub };
        bump_all(e);
        pthread_rwlock_unlock(&e->reg_lock);
        return PCFMCP_OK;
    }
    return pcfmcp__fail(e, PCFMCP_ERR_INVALID_ARG, "no cache hint for method \"%s\"", method);
}

PCFMCP_API pcfmcp_error_t pcfmcp_engine_set_validate_output(pcfmcp_engine_t *e, int on)
{
    if (!e)
        return PCFMCP_ERR_INVALID_ARG;
    e->validate_output = on != 0;
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_engine_set_hooks(pcfmcp_engine_t *e, pcfmcp_before_hook_cb before,
                                                  pcfmcp_after_hook_cb after, void *userdata)
{
    if (!e)
        return PCFMCP_ERR_INVALID_ARG;
    pthread_rwlock_wrlock(&e->reg_lock);
    e->before = before;
    e->after = after;
    e->hook_ud = userdata;
    pthread_rwlock_unlock(&e->reg_lock);
    return PCFMCP_OK;
}

/* ------------------------------------------------------------ registration */

static bool valid_tool_name(const char *n)
{
    size_t len = strlen(n);
    if (len < 1 || len > MAX_NAME_LEN)
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = n[i];
        bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
                  c == '_' || c == '-' || c == '.';
        if (!ok)
            return false;
    }
    return true;
}

/* The optional string, icons, annotations and _meta members of a definition. */
static pcfmcp_error_t check_optional_members(pcfmcp_engine_t *e, const cJSON *def,
                                             const char *what, const char *const *keys, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        const cJSON *v = cJSON_GetObjectItemCaseSensitive(def, keys[i]);
        if (v && !cJSON_IsString(v))
            return pcfmcp__fail(e, PCFMCP_ERR_INVALID_ARG, "%s: \"%s\" must be a string", what,
                                keys[i]);
    }
    const cJSON *icons = cJSON_GetObjectItemCaseSensitive(def, "icons");
    if (icons && !cJSON_IsArray(icons))
        return pcfmcp__fail(e, PCFMCP_ERR_INVALID_ARG, "%s: \"icons\" must be an array", what);
    const cJSON *ann = cJSON_GetObjectItemCaseSensitive(def, "annotations");
    if (ann && !cJSON_IsObject(ann))
        return pcfmcp__fail(e, PCFMCP_ERR_INVALID_ARG, "%s: \"annotations\" must be an object",
                            what);
    const cJSON *meta = cJSON_GetObjectItemCaseSensitive(def, "_meta");
    if (meta && !cJSON_IsObject(meta))
        return pcfmcp__fail(e, PCFMCP_ERR_INVALID_ARG, "%s: \"_meta\" must be an object", what);
    return PCFMCP_OK;
}

static bool vec_push(pcfmcp__entry_vec *v, pcfmcp__entry *en)
{
    if (v->len == v->cap) {
        size_t cap = v->cap ? v->cap * 2 : 16;
        pcfmcp__entry **n = pcfmcp__realloc(v->items, cap * sizeof(*n));
        if (!n)
            return false;
        v->items = n;
        v->cap = cap;
    }
    v->items[v->len++] = en;
    return true;
}

static ssize_t vec_find(const pcfmcp__entry_vec *v, const char *key)
{
    for (size_t i = 0; i < v->len; i++)
        if (strcmp(v->items[i]->key, key) == 0)
            return (ssize_t)i;
    return -1;
}

/* Tells the sessions that @p kind changed, unless a batch is open (then
 * pcfmcp_engine_batch_end tells them once). */
static void list_changed(pcfmcp_engine_t *e, pcfmcp__list_kind kind)
{
    pthread_rwlock_wrlock(&e->reg_lock);
    bool defer = e->batch > 0;
    if (defer)
        e->batch_changed[kind] = true;
    pthread_rwlock_unlock(&e->reg_lock);
    if (!defer)
        pcfmcp__engine_broadcast_list_changed(e, kind);
}

PCFMCP_API pcfmcp_error_t pcfmcp_engine_batch_begin(pcfmcp_engine_t *e)
{
    if (!e)
        return PCFMCP_ERR_INVALID_ARG;
    pthread_rwlock_wrlock(&e->reg_lock);
    e->batch++;
    pthread_rwlock_unlock(&e->reg_lock);
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_engine_batch_end(pcfmcp_engine_t *e)
{
    if (!e)
        return PCFMCP_ERR_INVALID_ARG;
    bool changed[PCFMCP__LIST_COUNT] = { false };
    pthread_rwlock_wrlock(&e->reg_lock);
    if (e->batch == 0) {
        pthread_rwlock_unlock(&e->reg_lock);
        return pcfmcp__fail(e, PCFMCP_ERR_STATE, "no batch is open");
    }
    if (--e->batch == 0) {
        for (int k = 0; k < PCFMCP__LIST_COUNT; k++) {
            changed[k] = e->batch_changed[k];
            e->batch_changed[k] = false;
        }
    }
    pthread_rwlock_unlock(&e->reg_lock);
    /* Resources and templates share one notification. */
    bool resources_told = false;
    for (int k = 0; k < PCFMCP__LIST_COUNT; k++) {
        if (!changed[k])
            continue;
        bool res = k == PCFMCP__LIST_RESOURCES || k == PCFMCP__LIST_TEMPLATES;
        if (res && resources_told)
            continue;
        resources_told |= res;
        pcfmcp__engine_broadcast_list_changed(e, (pcfmcp__list_kind)k);
    }
    return PCFMCP_OK;
}

/* Sets the entry's key; the only way to fail is memory. */
static pcfmcp_error_t set_key(pcfmcp__entry *en, const char *key)
{
    return (en->key = pcfmcp__strdup(key)) ? PCFMCP_OK : PCFMCP_ERR_NOMEM;
}

/* Common tail of every add_*: parse, let `prepare` validate and fill the
 * entry, then insert under the write lock. `prepare` returns the code of
 * the way it failed (with pcfmcp__fail() saying why when it is the
 * caller's fault), so the code never depends on a message, which another
 * thread's call on the same engine could change meanwhile. */
typedef pcfmcp_error_t (*prepare_fn)(pcfmcp_engine_t *e, cJSON *def, pcfmcp__entry *en);

static pcfmcp_error_t add_entry(pcfmcp_engine_t *e, pcfmcp__list_kind kind, const char *json,
                                void *cb, bool native, void *probe, void *ud, prepare_fn prepare)
{
    static const char *const what[] = { "tool", "resource", "resource template", "prompt" };
    if (!e || !json || !cb)
        return PCFMCP_ERR_INVALID_ARG;
    cJSON *def = pcfmcp__json_parse_object(json, strlen(json));
    if (!def)
        return pcfmcp__fail(e, PCFMCP_ERR_INVALID_ARG, "%s definition must be a JSON object",
                            what[kind]);
    pcfmcp__entry *en = pcfmcp__calloc(1, sizeof(*en));
    if (!en) {
        cJSON_Delete(def);
        return PCFMCP_ERR_NOMEM;
    }
    atomic_init(&en->refs, 1);
    en->kind = kind;
    en->cb = cb;
    en->native = native;
    en->probe = probe;
    en->ud = ud;
    en->def = def;
    pcfmcp_error_t rc = prepare(e, def, en);
    if (rc != PCFMCP_OK) {
        pcfmcp__entry_unref(en);
        return rc;
    }
    en->def_text = pcfmcp__json_print(def, &en->def_len);
    if (!en->def_text) {
        pcfmcp__entry_unref(en);
        return PCFMCP_ERR_NOMEM;
    }
    pthread_rwlock_wrlock(&e->reg_lock);
    if (vec_find(&e->lists[kind], en->key) >= 0)
        rc = pcfmcp__fail(e, PCFMCP_ERR_STATE, "a %s named \"%s\" is already registered",
                          what[kind], en->key);
    else if (!vec_push(&e->lists[kind], en))
        rc = PCFMCP_ERR_NOMEM;
    else
        e->generation[kind]++;
    pthread_rwlock_unlock(&e->reg_lock);
    if (rc != PCFMCP_OK) {
        pcfmcp__entry_unref(en);
        return rc;
    }
    list_changed(e, kind);
    return PCFMCP_OK;
}

static pcfmcp_error_t compile_schema(pcfmcp_engine_t *e, const char *tool, const char *which,
                                     const cJSON *schema, pcfmcp__schema **out)
{
    if (!cJSON_IsObject(schema))
        return pcfmcp__fail(e, PCFMCP_ERR_INVALID_ARG,
                            "tool \"%s\": \"%s\" must be a JSON Schema object", tool, which);
    const char *type = pcfmcp__json_str(schema, "type");
    if (!type || strcmp(type, "object") != 0)
        return pcfmcp__fail(e, PCFMCP_ERR_INVALID_ARG,
                            "tool \"%s\": \"%s\" must have \"type\": \"object\"", tool, which);
    char *err = NULL;
    int rc = pcfmcp__schema_compile(schema, out, &err);
    /* A schema past the compiler's bounds is still the caller's invalid
     * argument; only running out of memory is not. */
    if (rc != PCFMCP_OK && rc != PCFMCP_ERR_NOMEM)
        rc = err ? pcfmcp__fail(e, PCFMCP_ERR_INVALID_ARG, "tool \"%s\": %s: %s", tool, which, err)
                 : PCFMCP_ERR_NOMEM;
    pcfmcp__free(err);
    return (pcfmcp_error_t)rc;
}

static pcfmcp_error_t prepare_tool(pcfmcp_engine_t *e, cJSON *def, pcfmcp__entry *en)
{
    const char *name = pcfmcp__json_str(def, "name");
    if (!name || !valid_tool_name(name))
        return pcfmcp__fail(e, PCFMCP_ERR_INVALID_ARG,
                            "tool \"name\" must be 1-128 characters of A-Z a-z 0-9 _ - .");
    static const char *const strs[] = { "title", "description" };
    char what[160];
    snprintf(what, sizeof(what), "tool \"%s\"", name);
    pcfmcp_error_t rc = check_optional_members(e, def, what, strs, PCFMCP_ARRAY_LEN(strs));
    if (rc == PCFMCP_OK)
        rc = compile_schema(e, name, "inputSchema",
                            cJSON_GetObjectItemCaseSensitive(def, "inputSchema"), &en->input);
    const cJSON *os = cJSON_GetObjectItemCaseSensitive(def, "outputSchema");
    if (rc == PCFMCP_OK && os)
        rc = compile_schema(e, name, "outputSchema", os, &en->output);
    return rc == PCFMCP_OK ? set_key(en, name) : rc;
}

PCFMCP_API pcfmcp_error_t pcfmcp_engine_add_tool(pcfmcp_engine_t *e, const char *tool_json,
                                                 pcfmcp_tool_cb cb, void *userdata)
{
    return add_entry(e, PCFMCP__LIST_TOOLS, tool_json, (void *)cb, false, NULL, userdata,
                     prepare_tool);
}

pcfmcp_error_t pcfmcp__engine_add_tool_native(pcfmcp_engine_t *e, const char *tool_json,
                                              pcfmcp__native_tool_cb cb,
                                              pcfmcp__native_probe_cb probe, void *userdata)
{
    return add_entry(e, PCFMCP__LIST_TOOLS, tool_json, (void *)cb, true, (void *)probe, userdata,
                     prepare_tool);
}

static pcfmcp_error_t prepare_resource(pcfmcp_engine_t *e, cJSON *def, pcfmcp__entry *en)
{
    const char *uri = pcfmcp__json_str(def, "uri");
    const char *name = pcfmcp__json_str(def, "name");
    if (!uri || !*uri || !strchr(uri, ':') || !name || !*name)
        return pcfmcp__fail(e, PCFMCP_ERR_INVALID_ARG,
                            "resource needs a \"uri\" with a scheme and a \"name\"");
    static const char *const strs[] = { "title", "description", "mimeType" };
    pcfmcp_error_t rc = check_optional_members(e, def, "resource", strs, PCFMCP_ARRAY_LEN(strs));
    if (rc != PCFMCP_OK)
        return rc;
    const cJSON *size = cJSON_GetObjectItemCaseSensitive(def, "size");
    if (size && !pcfmcp__json_is_integer(size))
        return pcfmcp__fail(e, PCFMCP_ERR_INVALID_ARG,
                            "resource \"%s\": \"size\" must be an integer", uri);
    return set_key(en, uri);
}

PCFMCP_API pcfmcp_error_t pcfmcp_engine_add_resource(pcfmcp_engine_t *e,
                                                     const char *resource_json,
                                                     pcfmcp_resource_cb cb, void *userdata)
{
    return add_entry(e, PCFMCP__LIST_RESOURCES, resource_json, (void *)cb, false, NULL, userdata,
                     prepare_resource);
}

static pcfmcp_error_t prepare_template(pcfmcp_engine_t *e, cJSON *def, pcfmcp__entry *en)
{
    const char *t = pcfmcp__json_str(def, "uriTemplate");
    const char *name = pcfmcp__json_str(def, "name");
    if (!t || !*t || !name || !*name)
        return pcfmcp__fail(e, PCFMCP_ERR_INVALID_ARG,
                            "resource template needs a \"uriTemplate\" and a \"name\"");
    static const char *const strs[] = { "title", "description", "mimeType" };
    pcfmcp_error_t rc =
        check_optional_members(e, def, "resource template", strs, PCFMCP_ARRAY_LEN(strs));
    if (rc != PCFMCP_OK)
        return rc;
    char *err = NULL;
    int prc = pcfmcp__uritemplate_parse(t, &en->tmpl, &err);
    /* Past the parser's bounds is still the caller's invalid argument. */
    if (prc != PCFMCP_OK && prc != PCFMCP_ERR_NOMEM)
        prc = err ? pcfmcp__fail(e, PCFMCP_ERR_INVALID_ARG, "resource template \"%s\": %s", t, err)
                  : PCFMCP_ERR_NOMEM;
    pcfmcp__free(err);
    return prc == PCFMCP_OK ? set_key(en, t) : (pcfmcp_error_t)prc;
}

PCFMCP_API pcfmcp_error_t pcfmcp_engine_add_resource_template(pcfmcp_engine_t *e,
                                                              const char *template_json,
                                                              pcfmcp_resource_cb cb,
                                                              void *userdata)
{
    return add_entry(e, PCFMCP__LIST_TEMPLATES, template_json, (void *)cb, false, NULL, userdata,
                     prepare_template);
}

static pcfmcp_error_t prepare_prompt(pcfmcp_engine_t *e, cJSON *def, pcfmcp__entry *en)
{
    const char *name = pcfmcp__json_str(def, "name");
    if (!name || !*name || strlen(name) > MAX_NAME_LEN)
        return pcfmcp__fail(e, PCFMCP_ERR_INVALID_ARG,
                            "prompt needs a \"name\" of 1-128 characters");
    static const char *const strs[] = { "title", "description" };
    pcfmcp_error_t rc = check_optional_members(e, def, "prompt", strs, PCFMCP_ARRAY_LEN(strs));
    if (rc != PCFMCP_OK)
        return rc;
    const cJSON *args = cJSON_GetObjectItemCaseSensitive(def, "arguments");
    if (args && !cJSON_IsArray(args))
        return pcfmcp__fail(e, PCFMCP_ERR_INVALID_ARG,
                            "prompt \"%s\": \"arguments\" must be an array", name);
    const cJSON *a;
    cJSON_ArrayForEach(a, args) {
        const cJSON *req = cJSON_GetObjectItemCaseSensitive(a, "required");
        if (!cJSON_IsObject(a) || !pcfmcp__json_str(a, "name") || (req && !cJSON_IsBool(req)))
            return pcfmcp__fail(e, PCFMCP_ERR_INVALID_ARG,
                                "prompt \"%s\": each argument needs a string \"name\" and an "
                                "optional boolean \"required\"",
                                name);
    }
    return set_key(en, name);
}

PCFMCP_API pcfmcp_error_t pcfmcp_engine_add_prompt(pcfmcp_engine_t *e, const char *prompt_json,
                                                   pcfmcp_prompt_cb cb, void *userdata)
{
    return add_entry(e, PCFMCP__LIST_PROMPTS, prompt_json, (void *)cb, false, NULL, userdata,
                     prepare_prompt);
}

PCFMCP_API pcfmcp_error_t pcfmcp_engine_remove_tool(pcfmcp_engine_t *e, const char *name)
{
    if (!e || !name)
        return PCFMCP_ERR_INVALID_ARG;
    pcfmcp__entry *gone = NULL;
    pthread_rwlock_wrlock(&e->reg_lock);
    pcfmcp__entry_vec *v = &e->lists[PCFMCP__LIST_TOOLS];
    ssize_t i = vec_find(v, name);
    if (i >= 0) {
        gone = v->items[i];
        memmove(&v->items[i], &v->items[i + 1], (v->len - (size_t)i - 1) * sizeof(*v->items));
        v->len--;
        e->generation[PCFMCP__LIST_TOOLS]++;
    }
    pthread_rwlock_unlock(&e->reg_lock);
    if (!gone)
        return pcfmcp__fail(e, PCFMCP_ERR_NOT_FOUND, "no tool named \"%s\"", name);
    pcfmcp__entry_unref(gone);
    list_changed(e, PCFMCP__LIST_TOOLS);
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_engine_withhold_tool(pcfmcp_engine_t *e, const char *name,
                                                      const char *reason)
{
    if (!e || !name || !*name || (reason && !*reason))
        return PCFMCP_ERR_INVALID_ARG;
    char *n = pcfmcp__strdup(name), *r = reason ? pcfmcp__strdup(reason) : NULL;
    if (!n || (reason && !r)) {
        pcfmcp__free(n);
        pcfmcp__free(r);
        return PCFMCP_ERR_NOMEM;
    }
    pcfmcp_error_t rc = PCFMCP_OK;
    pthread_rwlock_wrlock(&e->reg_lock);
    size_t i = 0;
    while (i < e->nwithheld && strcmp(e->withheld[2 * i], name) != 0)
        i++;
    if (i < e->nwithheld) {
        pcfmcp__free(e->withheld[2 * i]);
        pcfmcp__free(e->withheld[2 * i + 1]);
        if (r) {
            e->withheld[2 * i] = n;
            e->withheld[2 * i + 1] = r;
            n = NULL;
        } else {
            e->nwithheld--;
            memmove(&e->withheld[2 * i], &e->withheld[2 * i + 2],
                    2 * (e->nwithheld - i) * sizeof(*e->withheld));
        }
    } else if (r) {
        char **grown = pcfmcp__realloc(e->withheld, 2 * (e->nwithheld + 1) * sizeof(*grown));
        if (!grown) {
            rc = PCFMCP_ERR_NOMEM;
        } else {
            e->withheld = grown;
            grown[2 * e->nwithheld] = n;
            grown[2 * e->nwithheld + 1] = r;
            e->nwithheld++;
            n = r = NULL;
        }
    }
    pthread_rwlock_unlock(&e->reg_lock);
    pcfmcp__free(n);
    if (rc != PCFMCP_OK)
        pcfmcp__free(r);
    return rc;
}

char *pcfmcp__engine_withheld_reason(pcfmcp_engine_t *e, const char *name)
{
    char *why = NULL;
    pthread_rwlock_rdlock(&e->reg_lock);
    for (size_t i = 0; i < e->nwithheld && !why; i++)
        if (strcmp(e->withheld[2 * i], name) == 0)
            why = pcfmcp__strdup(e->withheld[2 * i + 1]);
    pthread_rwlock_unlock(&e->reg_lock);
    return why;
}

PCFMCP_API size_t pcfmcp_engine_tool_count(const pcfmcp_engine_t *ce)
{
    if (!ce)
        return 0;
    pcfmcp_engine_t *e = (pcfmcp_engine_t *)ce;
    pthread_rwlock_rdlock(&e->reg_lock);
    size_t n = e->lists[PCFMCP__LIST_TOOLS].len;
    pthread_rwlock_unlock(&e->reg_lock);
    return n;
}

PCFMCP_API pcfmcp_error_t pcfmcp_engine_tools_json(const pcfmcp_engine_t *ce, char **out)
{
    if (!ce || !out)
        return PCFMCP_ERR_INVALID_ARG;
    pcfmcp_engine_t *e = (pcfmcp_engine_t *)ce;
    pcfmcp__buf b;
    pcfmcp__buf_init(&b);
    pcfmcp__buf_putc(&b, '[');
    pthread_rwlock_rdlock(&e->reg_lock);
    const pcfmcp__entry_vec *v = &e->lists[PCFMCP__LIST_TOOLS];
    for (size_t i = 0; i < v->len; i++) {
        if (i)
            pcfmcp__buf_putc(&b, ',');
        pcfmcp__buf_append(&b, v->items[i]->def_text, v->items[i]->def_len);
    }
    pthread_rwlock_unlock(&e->reg_lock);
    pcfmcp__buf_putc(&b, ']');
    char *s = pcfmcp__buf_steal(&b, NULL);
    if (!s)
        return PCFMCP_ERR_NOMEM;
    *out = s;
    return PCFMCP_OK;
}

PCFMCP_API pcfmcp_error_t pcfmcp_engine_add_completion(pcfmcp_engine_t *e, const char *ref_type,
                                                       const char *ref, pcfmcp_complete_cb cb,
                                                       void *userdata)
{
    if (!e || !ref_type || !ref || !cb)
        return PCFMCP_ERR_INVALID_ARG;
    if (strcmp(ref_type, "ref/prompt") != 0 && strcmp(ref_type, "ref/resource") != 0)
        return pcfmcp__fail(e, PCFMCP_ERR_INVALID_ARG,
                            "completion ref type must be \"ref/prompt\" or \"ref/resource\"");
    char *t = pcfmcp__strdup(ref_type), *r = pcfmcp__strdup(ref);
    pcfmcp_error_t rc = PCFMCP_OK;
    pthread_rwlock_wrlock(&e->reg_lock);
    pcfmcp__completion *n = NULL;
    if (t && r)
        n = pcfmcp__realloc(e->completions, (e->ncompletions + 1) * sizeof(*n));
    if (!n) {
        rc = PCFMCP_ERR_NOMEM;
    } else {
        e->completions = n;
        n[e->ncompletions++] = (pcfmcp__completion){ t, r, cb, userdata };
        bump_all(e); /* capabilities change */
    }
    pthread_rwlock_unlock(&e->reg_lock);
    if (rc != PCFMCP_OK) {
        pcfmcp__free(t);
        pcfmcp__free(r);
    }
    return rc;
}

PCFMCP_API pcfmcp_error_t pcfmcp_engine_enable_subscriptions(pcfmcp_engine_t *e)
{
    if (!e)
        return PCFMCP_ERR_INVALID_ARG;
    e->subscriptions = true;
    return PCFMCP_OK;
}

/* --------------------------------------------------------------- lookups */

pcfmcp__entry *pcfmcp__engine_find(pcfmcp_engine_t *e, pcfmcp__list_kind kind, const char *key)
{
    pcfmcp__entry *en = NULL;
    pthread_rwlock_rdlock(&e->reg_lock);
    ssize_t i = vec_find(&e->lists[kind], key);
    if (i >= 0) {
        en = e->lists[kind].items[i];
        atomic_fetch_add(&en->refs, 1);
    }
    pthread_rwlock_unlock(&e->reg_lock);
    return en;
}

pcfmcp__entry *pcfmcp__engine_match_template(pcfmcp_engine_t *e, const char *uri, cJSON **vars)
{
    pcfmcp__entry *en = NULL;
    pthread_rwlock_rdlock(&e->reg_lock);
    const pcfmcp__entry_vec *v = &e->lists[PCFMCP__LIST_TEMPLATES];
    for (size_t i = 0; i < v->len && !en; i++) {
        if (pcfmcp__uritemplate_match(v->items[i]->tmpl, uri, vars)) {
            en = v->items[i];
            atomic_fetch_add(&en->refs, 1);
        }
    }
    pthread_rwlock_unlock(&e->reg_lock);
    return en;
}

bool pcfmcp__engine_has(pcfmcp_engine_t *e, pcfmcp__list_kind kind)
{
    pthread_rwlock_rdlock(&e->reg_lock);
    bool has = e->lists[kind].len > 0;
    if (kind == PCFMCP__LIST_RESOURCES)
        has = has || e->lists[PCFMCP__LIST_TEMPLATES].len > 0;
    pthread_rwlock_unlock(&e->reg_lock);
    return has;
}

bool pcfmcp__engine_has_completions(pcfmcp_engine_t *e)
{
    pthread_rwlock_rdlock(&e->reg_lock);
    bool has = e->ncompletions > 0;
    pthread_rwlock_unlock(&e->reg_lock);
    return has;
}

bool pcfmcp__engine_find_completion(pcfmcp_engine_t *e, const char *ref_type, const char *ref,
                                    pcfmcp_complete_cb *cb, void **ud)
{
    bool found = false;
    pthread_rwlock_rdlock(&e->reg_lock);
    for (size_t i = 0; i < e->ncompletions && !found; i++)
        if (strcmp(e->completions[i].ref_type, ref_type) == 0 &&
            strcmp(e->completions[i].ref, ref) == 0) {
            *cb = e->completions[i].cb;
            *ud = e->completions[i].ud;
            found = true;
        }
    pthread_rwlock_unlock(&e->reg_lock);
    return found;
}

cJSON *pcfmcp__engine_capabilities(pcfmcp_engine_t *e, bool modern)
{
    cJSON *caps = cJSON_CreateObject();
    bool tools = pcfmcp__engine_has(e, PCFMCP__LIST_TOOLS);
    bool res = pcfmcp__engine_has(e, PCFMCP__LIST_RESOURCES);
    bool prompts = pcfmcp__engine_has(e, PCFMCP__LIST_PROMPTS);
    bool comps = pcfmcp__engine_has_completions(e);
    /* Logging is always served: a client may ask for log notifications from
     * any server, and handlers emit them through their context. */
    bool ok = pcfmcp__json_put(caps, "logging", cJSON_CreateObject());
    if (comps)
        ok &= pcfmcp__json_put(caps, "completions", cJSON_CreateObject());
    /* Changes reach 2025 clients on the session's stream and 2026-07-28
     * clients through subscriptions/listen: both eras get the flags. */
    (void)modern;
    if (prompts) {
        cJSON *p = cJSON_CreateObject();
        ok &= pcfmcp__json_put_bool(p, "listChanged", true);
        ok &= pcfmcp__json_put(caps, "prompts", p);
    }
    if (res) {
        cJSON *r = cJSON_CreateObject();
        if (e->subscriptions)
            ok &= pcfmcp__json_put_bool(r, "subscribe", true);
        ok &= pcfmcp__json_put_bool(r, "listChanged", true);
        ok &= pcfmcp__json_put(caps, "resources", r);
    }
    if (tools) {
        cJSON *t = cJSON_CreateObject();
        ok &= pcfmcp__json_put_bool(t, "listChanged", true);
        ok &= pcfmcp__json_put(caps, "tools", t);
    }
    if (!ok) {
        cJSON_Delete(caps);
        return NULL;
    }
    return caps;
}

PCFMCP_API pcfmcp_error_t pcfmcp_engine_capabilities_json(const pcfmcp_engine_t *ce, char **out)
{
    if (!ce || !out)
        return PCFMCP_ERR_INVALID_ARG;
    cJSON *c = pcfmcp__engine_capabilities((pcfmcp_engine_t *)ce, false);
    char *s = c ? pcfmcp__json_print(c, NULL) : NULL;
    cJSON_Delete(c);
    if (!s)
        return PCFMCP_ERR_NOMEM;
    *out = s;
    return PCFMCP_OK;
}

/* ----------------------------------------------------------------- pages */

static const char *const list_member[PCFMCP__LIST_COUNT] = { "tools", "resources",
                                                             "resourceTemplates", "prompts" };

uint64_t pcfmcp__engine_list_hash(pcfmcp_engine_t *e, pcfmcp__list_kind kind)
{
    /* FNV-1a over the keys in order: replicas with the same registry produce
     * the same cursors, so a stateless deployment can page across replicas. */
    uint64_t h = 1469598103934665603ull;
    pthread_rwlock_rdlock(&e->reg_lock);
    const pcfmcp__entry_vec *v = &e->lists[kind];
    for (size_t i = 0; i < v->len; i++) {
        for (const char *p = v->items[i]->key; *p; p++)
            h = (h ^ (unsigned char)*p) * 1099511628211ull;
        h = (h ^ 0xff) * 1099511628211ull;
    }
    h ^= e->page_size;
    pthread_rwlock_unlock(&e->reg_lock);
    return h;
}

char *pcfmcp__cursor_encode(pcfmcp__list_kind kind, size_t page, uint64_t gen_hash)
{
    char raw[64];
    int n = snprintf(raw, sizeof(raw), "v1:%d:%zu:%016llx", (int)kind, page,
                     (unsigned long long)gen_hash);
    return pcfmcp__base64url_encode(raw, (size_t)n, NULL);
}

bool pcfmcp__cursor_decode(const char *cursor, pcfmcp__list_kind kind, uint64_t gen_hash,
                           size_t *page)
{
    size_t n = strlen(cursor);
    if (n == 0 || n > 80)
        return false;
    size_t rl = 0;
    char *raw = pcfmcp__base64url_decode(cursor, n, &rl);
    if (!raw)
        return false;
    int k = -1;
    size_t pg = 0;
    unsigned long long h = 0;
    int used = 0;
    bool ok = sscanf(raw, "v1:%d:%zu:%16llx%n", &k, &pg, &h, &used) == 3 && (size_t)used == rl &&
              k == (int)kind && h == gen_hash && pg > 0;
    pcfmcp__free(raw);
    if (ok)
        *page = pg;
    return ok;
}

static void append_cache_members(pcfmcp__buf *b, const pcfmcp__cache_hint *h,
                                 const char *server_info)
{
    pcfmcp__buf_printf(b, ",\"resultType\":\"complete\",\"ttlMs\":%u,\"cacheScope\":\"%s\"",
                       h->ttl_ms, h->public_scope ? "public" : "private");
    pcfmcp__buf_puts(b, ",\"_meta\":{\"io.modelcontextprotocol/serverInfo\":");
    pcfmcp__buf_puts(b, server_info);
    pcfmcp__buf_putc(b, '}');
}

static pcfmcp__pages *build_pages(pcfmcp_engine_t *e, pcfmcp__list_kind kind, uint64_t hash)
{
    /* Caller holds reg_lock for reading. */
    const pcfmcp__entry_vec *v = &e->lists[kind];
    size_t ps = e->page_size;
    size_t npages = v->len ? (v->len + ps - 1) / ps : 1;
    pcfmcp__pages *p = pcfmcp__calloc(1, sizeof(*p));
    if (!p)
        return NULL;
    atomic_init(&p->refs, 1);
    p->npages = npages;
    p->legacy = pcfmcp__calloc(npages, sizeof(*p->legacy));
    p->modern = pcfmcp__calloc(npages, sizeof(*p->modern));
    if (!p->legacy || !p->modern)
        goto fail;
    for (size_t pg = 0; pg < npages; pg++) {
        pcfmcp__buf b;
        pcfmcp__buf_init(&b);
        pcfmcp__buf_printf(&b, "{\"%s\":[", list_member[kind]);
        size_t end = (pg + 1) * ps < v->len ? (pg + 1) * ps : v->len;
        for (size_t i = pg * ps; i < end; i++) {
            if (i > pg * ps)
                pcfmcp__buf_putc(&b, ',');
            pcfmcp__buf_append(&b, v->items[i]->def_text, v->items[i]->def_len);
        }
        pcfmcp__buf_putc(&b, ']');
        if (pg + 1 < npages) {
            char *c = pcfmcp__cursor_encode(kind, pg + 1, hash);
            if (!c) {
                pcfmcp__buf_free(&b);
                goto fail;
            }
            pcfmcp__buf_printf(&b, ",\"nextCursor\":\"%s\"", c);
            pcfmcp__free(c);
        }
        size_t common = b.len;
        pcfmcp__buf_putc(&b, '}');
        if (!pcfmcp__buf_ok(&b)) {
            pcfmcp__buf_free(&b);
            goto fail;
        }
        p->legacy[pg] = pcfmcp__blob_take(pcfmcp__strndup(b.data, b.len), b.len);
        b.len = common;
        append_cache_members(&b, &e->hints[kind], e->server_info_text);
        pcfmcp__buf_putc(&b, '}');
        size_t mlen = 0;
        char *modern = pcfmcp__buf_steal(&b, &mlen);
        p->modern[pg] = pcfmcp__blob_take(modern, mlen);
        if (!p->legacy[pg] || !p->modern[pg])
            goto fail;
    }
    return p;
fail:
    pcfmcp__pages_unref(p);
    return NULL;
}

pcfmcp__pages *pcfmcp__engine_pages(pcfmcp_engine_t *e, pcfmcp__list_kind kind)
{
    /* Fast path: the cached pages are current; take a reference and go. */
    pthread_rwlock_rdlock(&e->reg_lock);
    uint64_t gen = e->generation[kind];
    pthread_mutex_lock(&e->pages_lock);
    pcfmcp__pages *p = e->pages[kind];
    if (p && e->pages_gen[kind] == gen) {
        atomic_fetch_add(&p->refs, 1);
        pthread_mutex_unlock(&e->pages_lock);
        pthread_rwlock_unlock(&e->reg_lock);
        return p;
    }
    pthread_mutex_unlock(&e->pages_lock);
    pthread_rwlock_unlock(&e->reg_lock);

    uint64_t hash = pcfmcp__engine_list_hash(e, kind);
    pthread_rwlock_rdlock(&e->reg_lock);
    gen = e->generation[kind];
    pcfmcp__pages *fresh = build_pages(e, kind, hash);
    pthread_rwlock_unlock(&e->reg_lock);
    if (!fresh)
        return NULL;
    pthread_mutex_lock(&e->pages_lock);
    pcfmcp__pages *old = NULL;
    if (!e->pages[kind] || e->pages_gen[kind] != gen) {
        old = e->pages[kind];
        e->pages[kind] = fresh;
        e->pages_gen[kind] = gen;
        atomic_fetch_add(&fresh->refs, 1);
    }
    pthread_mutex_unlock(&e->pages_lock);
    pcfmcp__pages_unref(old);
    return fresh;
}
