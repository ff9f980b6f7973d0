/* store.url: redis://[user[:password]@]host[:port][/db], rediss:// for TLS.
 * Always built (without hiredis too), so a bad URL is a configuration
 * error whatever the build; messages never repeat the password. */
#include "core/internal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "core/alloc.h"
#include "core/util.h"
#include "hardening/store.h"

#define MAX_DB 1000000

static void say(char *why, size_t n, const char *msg)
{
    if (why && n)
        snprintf(why, n, "%s", msg);
}

/* Decodes %XX escapes of [s, s+n) into a new string; NULL on a bad escape
 * or an escaped NUL (which no Redis password can hold through AUTH). */
static char *unescape(const char *s, size_t n, bool *bad)
{
    char *out = pcfmcp__malloc(n + 1);
    if (!out)
        return NULL;
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        if (s[i] != '%') {
            out[o++] = s[i];
            continue;
        }
        if (n - i < 3 || pcfmcp__hexval(s[i + 1]) < 0 || pcfmcp__hexval(s[i + 2]) < 0 ||
            (pcfmcp__hexval(s[i + 1]) | pcfmcp__hexval(s[i + 2])) == 0) {
            pcfmcp__secure_zero(out, n + 1);
            pcfmcp__free(out);
            *bad = true;
            return NULL;
        }
        out[o++] = (char)(pcfmcp__hexval(s[i + 1]) * 16 + pcfmcp__hexval(s[i + 2]));
        i += 2;
    }
    out[o] = '\0';
    return out;
}

void pcfmcp__store_url_clear(pcfmcp__store_url *u)
{
    if (!u)
        return;
    pcfmcp__free(u->host);
    pcfmcp__free(u->username);
    if (u->password)
        pcfmcp__secure_free(u->password);
    memset(u, 0, sizeof(*u));
}

static bool host_char_ok(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           c == '.' || c == '-' || c == '_';
}

pcfmcp_error_t pcfmcp__store_url_parse(const char *url, pcfmcp__store_url *out, char *why,
                                       size_t why_len)
{
    if (!url || !out)
        return PCFMCP_ERR_INVALID_ARG;
    memset(out, 0, sizeof(*out));
    pcfmcp__store_url u = { 0 };
    u.port = 6379;
    const char *p;
    if (strncasecmp(url, "redis://", 8) == 0) {
        p = url + 8;
    } else if (strncasecmp(url, "rediss://", 9) == 0) {
        p = url + 9;
        u.tls = true;
    } else {
        say(why, why_len, "must start with redis:// or rediss:// (TLS)");
        return PCFMCP_ERR_CONFIG;
    }
    for (const char *q = p; *q; q++)
        if ((unsigned char)*q <= 0x20 || *q == 0x7f) {
            say(why, why_len, "contains a space or control character");
            return PCFMCP_ERR_CONFIG;
        }
    size_t alen = strcspn(p, "/?#");
    const char *path = p + alen;
    /* userinfo ends at the last '@' of the authority: a password may hold '@'
     * only escaped, but be lenient with the unescaped form too. */
    const char *at = NULL;
    for (const char *q = p; q < path; q++)
        if (*q == '@')
            at = q;
    const char *host = p;
    bool bad = false;
    pcfmcp_error_t rc = PCFMCP_ERR_CONFIG;
    if (at) {
        const char *colon = memchr(p, ':', (size_t)(at - p));
        size_t ulen = colon ? (size_t)(colon - p) : (size_t)(at - p);
        if (ulen && !(u.username = unescape(p, ulen, &bad)))
            goto fail_escape;
        if (colon && !(u.password = unescape(colon + 1, (size_t)(at - colon - 1), &bad)))
            goto fail_escape;
        if (u.password && !u.password[0]) {
            pcfmcp__secure_free(u.password);
            u.password = NULL;
        }
        host = at + 1;
    }
    const char *hend;
    const char *port = NULL;
    if (*host == '[') {
        const char *close = memchr(host, ']', (size_t)(path - host));
        if (!close || close == host + 1) {
            say(why, why_len, "has an unterminated or empty [IPv6] address");
            goto fail;
        }
        for (const char *q = host + 1; q < close; q++)
            if (!(pcfmcp__hexval(*q) >= 0 || *q == ':' || *q == '.')) {
                say(why, why_len, "has a malformed [IPv6] address");
                goto fail;
            }
        u.host = pcfmcp__strndup(host + 1, (size_t)(close - host - 1));
        hend = close + 1;
        if (hend < path && *hend != ':') {
            say(why, why_len, "has text after the [IPv6] address");
            goto fail;
        }
        if (hend < path)
            port = hend + 1;
    } else {
        const char *colon = memchr(host, ':', (size_t)(path - host));
        hend = colon ? colon : path;
        if (hend == host) {
            say(why, why_len, "names no host (redis://host:6379)");
            goto fail;
        }
        for (const char *q = host; q < hend; q++)
            if (!host_char_ok(*q)) {
                say(why, why_len, "has a character that cannot be in a host name");
                goto fail;
            }
        u.host = pcfmcp__strndup(host, (size_t)(hend - host));
        if (colon)
            port = colon + 1;
    }
    if (!u.host) {
        rc = PCFMCP_ERR_NOMEM;
        goto fail;
    }
    if (port) {
        char *end = NULL;
        long v = port < path && *port >= '0' && *port <= '9' ? strtol(port, &end, 10) : -1;
        if (v < 1 || v > 65535 || end != path) {
            say(why, why_len, "has a port that is not a number from 1 to 65535");
            goto fail;
        }
        u.port = (unsigned)v;
    }
    if (*path == '?' || *path == '#') {
        say(why, why_len, "has a query or fragment; set TLS and timeouts with store.* keys");
        goto fail;
    }
    if (*path == '/' && path[1]) {
        char *end = NULL;
        long v = path[1] >= '0' && path[1] <= '9' ? strtol(path + 1, &end, 10) : -1;
        if (v < 0 || v > MAX_DB || !end || *end) {
            say(why, why_len, "has a path that is not a database number (redis://host:6379/0)");
            goto fail;
        }
        u.db = (unsigned)v;
    }
    *out = u;
    return PCFMCP_OK;
fail_escape:
    if (bad)
        say(why, why_len, "has a bad %-escape in the user or password (use %XX, not %00)");
    else
        rc = PCFMCP_ERR_NOMEM;
fail:
    pcfmcp__store_url_clear(&u);
    return rc;
}

void pcfmcp__store_url_describe(const pcfmcp__store_url *u, char *out, size_t n)
{
    bool v6 = strchr(u->host ? u->host : "", ':') != NULL;
    snprintf(out, n, "%s://%s%s%s%s%s:%u/%u", u->tls ? "rediss" : "redis",
             u->username ? u->username : "", u->username ? "@" : "", v6 ? "[" : "",
             u->host ? u->host : "", v6 ? "]" : "", u->port, u->db);
}
