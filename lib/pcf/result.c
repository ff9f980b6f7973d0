#include "core/internal.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "core/util.h"
#include "pcf/impl.h"

/* Every result owns a message, so accessors never return NULL; when even
 * that allocation fails the static text stands in. */
static const char nomem_message[] = "out of memory";

pcfmcp_pcf_result_t *pcfmcp__pcf_result_new(void)
{
    pcfmcp_pcf_result_t *r = pcfmcp__calloc(1, sizeof(*r));
    if (r)
        r->err = PCFMCP_OK;
    return r;
}

void pcfmcp__pcf_result_clear(pcfmcp_pcf_result_t *r)
{
    int attempts = r->attempts;
    pcfmcp__free(r->json);
    cJSON_Delete(r->parsed);
    pcfmcp__free(r->message);
    pcfmcp__free(r->pcf_errors);
    pcfmcp__free(r->data);
    pcfmcp__free(r->filename);
    pcfmcp__free(r->content_type);
    memset(r, 0, sizeof(*r));
    r->attempts = attempts;
}

PCFMCP_API void pcfmcp_pcf_result_free(pcfmcp_pcf_result_t *res)
{
    if (!res)
        return;
    pcfmcp__pcf_result_clear(res);
    pcfmcp__free(res);
}

void pcfmcp__pcf_result_move(pcfmcp_pcf_result_t *to, pcfmcp_pcf_result_t *from)
{
    int attempts = to->attempts + from->attempts;
    pcfmcp__pcf_result_clear(to);
    *to = *from;
    to->attempts = attempts;
    memset(from, 0, sizeof(*from));
}

static void set_message(pcfmcp_pcf_result_t *r, const char *fmt, va_list ap)
{
    char small[512];
    vsnprintf(small, sizeof(small), fmt, ap);
    /* Messages quote PCF (its reasons, decoded from redirects and pages):
     * each one is a single line of UTF-8 whatever PCF put into it. */
    for (char *p = small; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
    pcfmcp__free(r->message);
    r->message = NULL;
    pcfmcp__buf b;
    pcfmcp__buf_init(&b);
    pcfmcp__buf_put_utf8(&b, small, strlen(small));
    r->message = pcfmcp__buf_ok(&b) ? pcfmcp__buf_steal(&b, NULL) : NULL;
    pcfmcp__buf_free(&b);
}

pcfmcp_error_t pcfmcp__pcf_fail(pcfmcp_pcf_result_t *r, pcfmcp_error_t err, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    set_message(r, fmt, ap);
    va_end(ap);
    r->err = err;
    return err;
}

/* A copy of @p s as UTF-8 (each byte that begins no valid sequence becomes
 * U+FFFD), allocated as cJSON allocates, or NULL when out of memory. */
static char *utf8_copy(const char *s)
{
    pcfmcp__buf b;
    pcfmcp__buf_init(&b);
    pcfmcp__buf_put_utf8(&b, s, strlen(s));
    char *out = pcfmcp__buf_ok(&b) ? cJSON_malloc(b.len + 1) : NULL;
    if (out) {
        memcpy(out, b.data, b.len);
        out[b.len] = '\0';
    }
    pcfmcp__buf_free(&b);
    return out;
}

/* Makes every string and member name in @p node valid UTF-8. Documents the
 * client builds copy text from PCF's pages and files, which are bytes; the
 * JSON handed out must parse whatever PCF sent. False when out of memory.
 * Recursion is bounded by the depth of a document the client built. */
static bool make_utf8(cJSON *node)
{
    for (; node; node = node->next) {
        if (node->string && !(node->type & cJSON_StringIsConst) &&
            !pcfmcp__utf8_valid(node->string, strlen(node->string), NULL)) {
            char *fixed = utf8_copy(node->string);
            if (!fixed)
                return false;
            cJSON_free(node->string);
            node->string = fixed;
        }
        if (cJSON_IsString(node) && node->valuestring &&
            !pcfmcp__utf8_valid(node->valuestring, strlen(node->valuestring), NULL)) {
            char *fixed = utf8_copy(node->valuestring);
            if (!fixed)
                return false;
            cJSON_free(node->valuestring);
            node->valuestring = fixed;
        }
        if (node->child && !make_utf8(node->child))
            return false;
    }
    return true;
}

pcfmcp_error_t pcfmcp__pcf_succeed(pcfmcp_pcf_result_t *r, cJSON *doc)
{
    if (!doc)
        return pcfmcp__pcf_fail(r, PCFMCP_ERR_NOMEM, "out of memory");
    if (!make_utf8(doc)) {
        cJSON_Delete(doc);
        return pcfmcp__pcf_fail(r, PCFMCP_ERR_NOMEM, "out of memory");
    }
    size_t len = 0;
    char *text = pcfmcp__json_print(doc, &len);
    if (!text) {
        cJSON_Delete(doc);
        return pcfmcp__pcf_fail(r, PCFMCP_ERR_NOMEM, "out of memory");
    }
    pcfmcp__free(r->json);
    cJSON_Delete(r->parsed);
    r->json = text;
    r->json_len = len;
    r->parsed = doc;
    return pcfmcp__pcf_fail(r, PCFMCP_OK, "ok");
}

/* Joins the error strings of PCF ("Host not found!"), each cut to a sane
 * length, and keeps the array text for callers that want them separately. */
pcfmcp_error_t pcfmcp__pcf_fail_errors(pcfmcp_pcf_result_t *r, pcfmcp_error_t err,
                                       const cJSON *errors, const char *prefix)
{
    pcfmcp__buf b;
    pcfmcp__buf_init(&b);
    if (prefix)
        pcfmcp__buf_puts(&b, prefix);
    cJSON *arr = cJSON_CreateArray();
    const cJSON *e;
    size_t n = 0;
    cJSON_ArrayForEach(e, errors) {
        if (!cJSON_IsString(e))
            continue;
        char ex[PCF_EXCERPT_MAX + 1];
        pcfmcp__pcf_excerpt(e->valuestring, strlen(e->valuestring), ex, sizeof(ex));
        /* An error that says nothing adds nothing (and all of them empty
         * would have made an empty message). */
        if (!ex[0])
            continue;
        if (n++ > 0)
            pcfmcp__buf_puts(&b, "; ");
        pcfmcp__buf_puts(&b, ex);
        if (arr)
            cJSON_AddItemToArray(arr, cJSON_CreateString(ex));
        if (b.len > 400)
            break;
    }
    if (n == 0)
        pcfmcp__buf_puts(&b, "PCF reported an error without a message");
    pcfmcp__free(r->pcf_errors);
    r->pcf_errors = arr ? pcfmcp__json_print(arr, NULL) : NULL;
    cJSON_Delete(arr);
    r->err = err;
    pcfmcp__free(r->message);
    r->message = pcfmcp__buf_ok(&b) ? pcfmcp__buf_steal(&b, NULL) : NULL;
    pcfmcp__buf_free(&b);
    if (!r->message)
        r->err = PCFMCP_ERR_NOMEM;
    return r->err;
}

void pcfmcp__pcf_excerpt(const char *body, size_t len, char *out, size_t out_size)
{
    if (out_size == 0)
        return;
    /* The caller's buffer bounds the text, not an assumption about it. */
    size_t max = out_size - 1 < PCF_EXCERPT_MAX ? out_size - 1 : PCF_EXCERPT_MAX;
    size_t o = 0;
    bool space = true; /* drops leading white space */
    size_t i = 0;
    while (i < len && o < max) {
        unsigned char ch = (unsigned char)body[i];
        if (ch < 0x20 || ch == 0x7f || ch == ' ') {
            if (!space)
                out[o++] = ' ';
            space = true;
            i++;
            continue;
        }
        size_t n = 1;
        if (ch >= 0x80) {
            n = (ch & 0xE0) == 0xC0 ? 2 : (ch & 0xF0) == 0xE0 ? 3 : (ch & 0xF8) == 0xF0 ? 4 : 0;
            if (n == 0 || i + n > len || !pcfmcp__utf8_valid(body + i, n, NULL)) {
                out[o++] = '?';
                space = false;
                i++;
                continue;
            }
            if (o + n > max)
                break;
        }
        memcpy(out + o, body + i, n);
        o += n;
        i += n;
        space = false;
    }
    while (o > 0 && out[o - 1] == ' ')
        o--;
    out[o] = '\0';
}

static bool ctype_is(const char *ct, const char *want)
{
    if (!ct)
        return false;
    size_t n = strlen(want);
    for (size_t i = 0; i < n; i++) {
        char a = ct[i];
        if (a >= 'A' && a <= 'Z')
            a = (char)(a - 'A' + 'a');
        if (a != want[i])
            return false;
    }
    return ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ';
}

static const char *status_hint(long status)
{
    switch (status) {
    case 302: return "an unexpected redirect";
    case 400: return "PCF could not read the request";
    case 403: return "forbidden";
    case 404: return "the route or an id in it is unknown to PCF";
    case 405: return "method not allowed";
    case 413: return "the request is too large for PCF";
    case 500: return "PCF failed with an internal error";
    case 502: return "bad gateway in front of PCF";
    case 503: return "PCF is unavailable";
    case 504: return "gateway timeout in front of PCF";
    default: return "unexpected status";
    }
}

/* True when @p a carries PCF's own error shape, {"errors": [...]}. */
static bool has_pcf_errors(const pcfmcp__pcf_answer *a)
{
    cJSON *doc = NULL;
    if (a->len == 0 || a->body[0] != '{' ||
        pcfmcp__json_parse_marking_nul(a->body, a->len, PCF_JSON_DEPTH, &doc, NULL) != PCFMCP__JSON_OK)
        return false;
    bool yes = cJSON_IsArray(cJSON_GetObjectItemCaseSensitive(doc, "errors"));
    cJSON_Delete(doc);
    return yes;
}

pcfmcp_error_t pcfmcp__pcf_fail_status(pcfmcp_pcf_result_t *r, const pcfmcp__pcf_answer *a)
{
    r->status = (int)a->status;
    if (a->status == 401) {
        return pcfmcp__pcf_fail(r, PCFMCP_ERR_AUTH,
                                a->basic_configured
                                    ? "PCF rejected the HTTP Basic credentials (HTTP 401): "
                                      "check pcf.basic_user/pcf.basic_password"
                                    : "PCF requires HTTP Basic credentials (HTTP 401): "
                                      "configure pcf.basic_user/pcf.basic_password");
    }
    if (a->status == 429)
        return pcfmcp__pcf_fail(r, PCFMCP_ERR_RATE_LIMITED,
                                "PCF is rate limiting requests (HTTP 429); try again later");
    char ct[41];
    pcfmcp__pcf_excerpt(a->content_type ? a->content_type : "no content type",
                        a->content_type ? strlen(a->content_type) : 15, ct, sizeof(ct));
    /* PCF reports unknown ids as 400 {"errors": [...]} and the client never
     * sends a malformed id, so a 404 without that shape means the route
     * itself is missing: almost always pcf.url pointing at the wrong place
     * (a path prefix, another service, a proxy). The URL is not repeated:
     * the operator knows it and it may carry credentials. */
    if (a->status == 404 && !has_pcf_errors(a))
        return pcfmcp__pcf_fail(r, PCFMCP_ERR_HTTP,
                                "PCF answered HTTP 404 (no such route at this address: check "
                                "that pcf.url is the base URL of PCF, without /api/v1 or a "
                                "page path; %s)",
                                ct);
    return pcfmcp__pcf_fail(r, PCFMCP_ERR_HTTP, "PCF answered HTTP %ld (%s; %s)", a->status,
                            status_hint(a->status), ct);
}

static bool token_message(const char *m)
{
    return strcmp(m, "Token expired!") == 0 || strcmp(m, "Token not found!") == 0;
}

static pcfmcp_error_t classify_errors(pcfmcp_pcf_result_t *r, const cJSON *errors)
{
    const cJSON *first = cJSON_GetArrayItem(errors, 0);
    const char *m = cJSON_IsString(first) ? first->valuestring : "";
    if (token_message(m)) {
        r->token_rejected = true;
        pcfmcp__pcf_fail_errors(r, PCFMCP_ERR_AUTH, errors, NULL);
        return pcfmcp__pcf_fail(r, PCFMCP_ERR_AUTH,
                                "PCF rejected the access token (%s): configure a fresh token "
                                "or pcf.email/pcf.password",
                                m);
    }
    if (strcmp(m, "Auth error!") == 0) {
        pcfmcp__pcf_fail_errors(r, PCFMCP_ERR_AUTH, errors, NULL);
        return pcfmcp__pcf_fail(r, PCFMCP_ERR_AUTH,
                                "PCF rejected the email or password (Auth error!): check "
                                "pcf.email/pcf.password");
    }
    if (strcmp(m, "User not found!") == 0) {
        pcfmcp__pcf_fail_errors(r, PCFMCP_ERR_AUTH, errors, NULL);
        return pcfmcp__pcf_fail(r, PCFMCP_ERR_AUTH,
                                "PCF no longer knows the token's user (User not found!)");
    }
    return pcfmcp__pcf_fail_errors(r, PCFMCP_ERR_PCF, errors, NULL);
}

void pcfmcp__pcf_classify_api(pcfmcp_pcf_result_t *r, const pcfmcp__pcf_answer *a)
{
    int attempts = r->attempts;
    pcfmcp__pcf_result_clear(r);
    r->attempts = attempts;
    r->status = (int)a->status;

    cJSON *doc = NULL;
    bool parsed = false;
    if (a->len > 0 && (ctype_is(a->content_type, "application/json") ||
                       a->body[0] == '{' || a->body[0] == '[')) {
        parsed = pcfmcp__json_parse_marking_nul(a->body, a->len, PCF_JSON_DEPTH, &doc, NULL) ==
                 PCFMCP__JSON_OK;
    }
    if (parsed && cJSON_IsObject(doc)) {
        r->json = pcfmcp__strndup(a->body, a->len);
        if (!r->json) {
            cJSON_Delete(doc);
            pcfmcp__pcf_fail(r, PCFMCP_ERR_NOMEM, "out of memory");
            return;
        }
        /* The text handed out says what the parsed document says. */
        pcfmcp__json_mark_nul(r->json, a->len);
        r->json_len = a->len;
        r->parsed = doc;
    } else {
        cJSON_Delete(doc);
        doc = NULL;
    }

    if (a->status == 200) {
        if (!doc) {
            char ex[PCF_EXCERPT_MAX + 1];
            pcfmcp__pcf_excerpt(a->body, a->len, ex, sizeof(ex));
            pcfmcp__pcf_fail(r, PCFMCP_ERR_BAD_RESPONSE,
                             parsed ? "PCF answered JSON that is not an object: %s"
                                    : "PCF answered something that is not JSON: %s",
                             a->len ? ex : "(empty body)");
            return;
        }
        /* user/<id>/info reports an unknown user as 200 {"error": [...]}. */
        const cJSON *err1 = cJSON_GetObjectItemCaseSensitive(doc, "error");
        if (cJSON_IsArray(err1) && cJSON_GetArraySize(doc) == 1) {
            pcfmcp__pcf_fail_errors(r, PCFMCP_ERR_NOT_FOUND, err1, NULL);
            return;
        }
        pcfmcp__pcf_fail(r, PCFMCP_OK, "ok");
        return;
    }
    if (a->status == 400 && doc) {
        const cJSON *errors = cJSON_GetObjectItemCaseSensitive(doc, "errors");
        if (cJSON_IsArray(errors)) {
            classify_errors(r, errors);
            return;
        }
    }
    pcfmcp__pcf_fail_status(r, a);
}

/* ------------------------------------------------------------------ accessors */

PCFMCP_API const char *pcfmcp_pcf_result_json(const pcfmcp_pcf_result_t *res, size_t *len)
{
    if (len)
        *len = res && res->json ? res->json_len : 0;
    return res ? res->json : NULL;
}

PCFMCP_API int pcfmcp_pcf_result_http_status(const pcfmcp_pcf_result_t *res)
{
    return res ? res->status : 0;
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_result_error(const pcfmcp_pcf_result_t *res)
{
    return res ? res->err : PCFMCP_ERR_INVALID_ARG;
}

PCFMCP_API const char *pcfmcp_pcf_result_message(const pcfmcp_pcf_result_t *res)
{
    if (!res)
        return "no result";
    if (res->message)
        return res->message;
    return res->err == PCFMCP_OK ? "ok" : res->err == PCFMCP_ERR_NOMEM
                                              ? nomem_message
                                              : pcfmcp_strerror(res->err);
}

PCFMCP_API const char *pcfmcp_pcf_result_pcf_errors(const pcfmcp_pcf_result_t *res)
{
    return res ? res->pcf_errors : NULL;
}

PCFMCP_API int pcfmcp_pcf_result_attempts(const pcfmcp_pcf_result_t *res)
{
    return res ? res->attempts : 0;
}

PCFMCP_API const void *pcfmcp_pcf_result_data(const pcfmcp_pcf_result_t *res, size_t *len)
{
    if (len)
        *len = res && res->data ? res->data_len : 0;
    return res ? res->data : NULL;
}

PCFMCP_API const char *pcfmcp_pcf_result_filename(const pcfmcp_pcf_result_t *res)
{
    return res ? res->filename : NULL;
}

PCFMCP_API const char *pcfmcp_pcf_result_content_type(const pcfmcp_pcf_result_t *res)
{
    return res ? res->content_type : NULL;
}

const cJSON *pcfmcp__pcf_result_cjson(const pcfmcp_pcf_result_t *res)
{
    return res ? res->parsed : NULL;
}
