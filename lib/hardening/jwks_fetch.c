#include "core/internal.h"

#include <stdio.h>
#include <string.h>

#include <curl/curl.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/util.h"
#include "hardening/auth_internal.h"

static bool is_loopback(const char *host)
{
    if (strcmp(host, "localhost") == 0 || strcmp(host, "[::1]") == 0)
        return true;
    if (!pcfmcp__has_prefix(host, "127."))
        return false;
    for (const char *p = host + 4; *p; p++)
        if (!((*p >= '0' && *p <= '9') || *p == '.'))
            return false;
    return true;
}

/* Parsed with libcurl's own URL parser so that what we check is exactly
 * what libcurl will connect to. */
static bool inspect_url(const char *url, bool *loopback, char *why, size_t why_len)
{
    CURLU *u = curl_url();
    if (!u) {
        snprintf(why, why_len, "out of memory");
        return false;
    }
    char *scheme = NULL, *host = NULL, *user = NULL;
    bool ok = false;
    if (curl_url_set(u, CURLUPART_URL, url, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_SCHEME, &scheme, 0) != CURLUE_OK ||
        curl_url_get(u, CURLUPART_HOST, &host, 0) != CURLUE_OK || !host[0]) {
        snprintf(why, why_len, "JWKS URL is not an absolute URL");
        goto out;
    }
    if (curl_url_get(u, CURLUPART_USER, &user, 0) == CURLUE_OK) {
        snprintf(why, why_len, "JWKS URL must not hold user info");
        goto out;
    }
    *loopback = is_loopback(host);
    /* Keys decide who gets in: plain HTTP would let anyone on the path
     * substitute their own. Loopback HTTP serves local proxies and tests. */
    if (strcmp(scheme, "https") == 0 || (strcmp(scheme, "http") == 0 && *loopback))
        ok = true;
    else
        snprintf(why, why_len, "JWKS URL must use https (http only to a loopback host)");
out:
    curl_free(scheme);
    curl_free(host);
    curl_free(user);
    curl_url_cleanup(u);
    return ok;
}

bool pcfmcp__jwks_url_ok(const char *url, char *why, size_t why_len)
{
    bool loopback = false;
    return url && inspect_url(url, &loopback, why, why_len);
}

typedef struct {
    pcfmcp__buf body;
    size_t max;
    bool too_big;
} sink;

static size_t on_data(char *p, size_t size, size_t nmemb, void *ud)
{
    sink *s = ud;
    size_t n = size * nmemb;
    if (n > s->max - s->body.len) {
        s->too_big = true;
        return 0;
    }
    pcfmcp__buf_append(&s->body, p, n);
    return pcfmcp__buf_ok(&s->body) ? n : 0;
}

static pcfmcp_error_t map_curl(CURLcode rc, const sink *s)
{
    switch (rc) {
    case CURLE_OPERATION_TIMEDOUT:
        return PCFMCP_ERR_TIMEOUT;
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_COULDNT_RESOLVE_PROXY:
    case CURLE_COULDNT_CONNECT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
        return PCFMCP_ERR_CONNECT;
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CONNECT_ERROR:
    case CURLE_SSL_CACERT_BADFILE:
    case CURLE_SSL_CERTPROBLEM:
    case CURLE_SSL_CIPHER:
    case CURLE_SSL_ISSUER_ERROR:
        return PCFMCP_ERR_TLS;
    case CURLE_FILESIZE_EXCEEDED:
        return PCFMCP_ERR_LIMIT;
    case CURLE_OUT_OF_MEMORY:
        return PCFMCP_ERR_NOMEM;
    case CURLE_WRITE_ERROR:
        return s->too_big ? PCFMCP_ERR_LIMIT : PCFMCP_ERR_NOMEM;
    default:
        return PCFMCP_ERR_IO;
    }
}

pcfmcp_error_t pcfmcp__jwks_fetch(const char *url, const char *ca_file, unsigned timeout_ms,
                                  size_t max_bytes, char **body, size_t *body_len, char *why,
                                  size_t why_len)
{
    bool loopback = false;
    if (!inspect_url(url, &loopback, why, why_len))
        return PCFMCP_ERR_INVALID_ARG;
    CURL *c = curl_easy_init();
    struct curl_slist *hdr = curl_slist_append(NULL, "Accept: application/jwk-set+json, application/json");
    if (!c || !hdr) {
        curl_easy_cleanup(c);
        curl_slist_free_all(hdr);
        snprintf(why, why_len, "out of memory");
        return PCFMCP_ERR_NOMEM;
    }
    sink s = { .max = max_bytes };
    pcfmcp__buf_init(&s.body);
    char errbuf[CURL_ERROR_SIZE] = "";
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_FOLLOWLOCATION, 0L);
#if LIBCURL_VERSION_NUM >= 0x075500
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "http,https");
#else
    curl_easy_setopt(c, CURLOPT_PROTOCOLS, (long)(CURLPROTO_HTTP | CURLPROTO_HTTPS));
#endif
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, (long)timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, (long)timeout_ms);
    curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max_bytes);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &s);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    curl_easy_setopt(c, CURLOPT_USERAGENT, PACKAGE_NAME "/" PACKAGE_VERSION);
    if (loopback)
        curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    if (ca_file)
        curl_easy_setopt(c, CURLOPT_CAINFO, ca_file);
    CURLcode rc = curl_easy_perform(c);
    long status = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    pcfmcp_error_t err = PCFMCP_OK;
    if (rc != CURLE_OK) {
        err = map_curl(rc, &s);
        if (err == PCFMCP_ERR_LIMIT)
            snprintf(why, why_len, "JWKS larger than %zu bytes", max_bytes);
        else
            snprintf(why, why_len, "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
    } else if (status != 200) {
        err = PCFMCP_ERR_HTTP;
        snprintf(why, why_len, "JWKS URL answered HTTP %ld", status);
    }
    curl_slist_free_all(hdr);
    curl_easy_cleanup(c);
    if (err == PCFMCP_OK) {
        size_t len = s.body.len;
        char *data = pcfmcp__buf_steal(&s.body, NULL);
        if (!data && !(data = pcfmcp__strdup(""))) {
            snprintf(why, why_len, "out of memory");
            return PCFMCP_ERR_NOMEM;
        }
        *body = data;
        *body_len = len;
        return PCFMCP_OK;
    }
    pcfmcp__buf_free(&s.body);
    return err;
}
