/* The "format" keyword: the syntax of each format the validator asserts. */
#include "core/internal.h"

#include <arpa/inet.h>
#include <string.h>

#include "core/util.h"
#include "mcp/schema_internal.h"

/* ===================================================================== */
/* Formats                                                                */
/* ===================================================================== */

static bool is_digit(char c)
{
    return c >= '0' && c <= '9';
}

static bool is_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool is_alnum(char c)
{
    return is_alpha(c) || is_digit(c);
}

static bool digits(const char *s, size_t n, int *out)
{
    int v = 0;
    for (size_t i = 0; i < n; i++) {
        if (!is_digit(s[i]))
            return false;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return true;
}

/* Dotted quad without leading zeros, as the 2020-12 test suite expects. */
static bool valid_ipv4(const char *s, size_t n)
{
    size_t i = 0;
    for (int part = 0; part < 4; part++) {
        if (part) {
            if (i >= n || s[i] != '.')
                return false;
            i++;
        }
        size_t start = i;
        while (i < n && is_digit(s[i]) && i - start < 4)
            i++;
        size_t len = i - start;
        int v;
        if (len == 0 || len > 3 || (len > 1 && s[start] == '0') || !digits(s + start, len, &v) ||
            v > 255)
            return false;
    }
    return i == n;
}

static bool valid_ipv6(const char *s, size_t n)
{
    char tmp[64];
    unsigned char addr[16];
    if (n == 0 || n >= sizeof(tmp) || memchr(s, '%', n))
        return false;
    memcpy(tmp, s, n);
    tmp[n] = '\0';
    return inet_pton(AF_INET6, tmp, addr) == 1;
}

/* RFC 1123 host name: dot-separated labels of letters, digits and hyphens. */
static bool valid_hostname(const char *s, size_t n)
{
    if (n == 0 || n > 253)
        return false;
    size_t label = 0;
    for (size_t i = 0; i <= n; i++) {
        if (i == n || s[i] == '.') {
            if (label == 0 || label > 63 || s[i - 1] == '-')
                return false;
            label = 0;
            continue;
        }
        if (!is_alnum(s[i]) && !(s[i] == '-' && label > 0))
            return false;
        label++;
    }
    return true;
}

/* RFC 5321 mailbox: dot-atom or quoted local part, host name or address literal. */
static bool valid_email(const char *s, size_t n)
{
    const char *at = NULL;
    for (size_t i = n; i > 0; i--)
        if (s[i - 1] == '@') {
            at = s + i - 1;
            break;
        }
    if (!at)
        return false;
    size_t ll = (size_t)(at - s), dl = n - ll - 1;
    if (ll == 0 || ll > 64 || dl == 0)
        return false;
    if (s[0] == '"') {
        if (ll < 2 || s[ll - 1] != '"')
            return false;
        for (size_t i = 1; i < ll - 1; i++) {
            unsigned char c = (unsigned char)s[i];
            if (c == '\\') {
                if (++i >= ll - 1)
                    return false;
                c = (unsigned char)s[i];
                if (c < 0x20 || c > 0x7e)
                    return false;
            } else if (c < 0x20 || c > 0x7e || c == '"') {
                return false;
            }
        }
    } else {
        for (size_t i = 0; i < ll; i++) {
            char c = s[i];
            if (c == '.') {
                if (i == 0 || i == ll - 1 || s[i - 1] == '.')
                    return false;
            } else if (!is_alnum(c) && !strchr("!#$%&'*+-/=?^_`{|}~", c)) {
                return false;
            }
        }
    }
    const char *d = at + 1;
    if (d[0] == '[') {
        if (dl < 3 || d[dl - 1] != ']')
            return false;
        if (dl > 6 && strncmp(d + 1, "IPv6:", 5) == 0)
            return valid_ipv6(d + 6, dl - 7);
        return valid_ipv4(d + 1, dl - 2);
    }
    return valid_hostname(d, dl);
}

static bool leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static bool valid_date(const char *s, size_t n)
{
    static const int mdays[] = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 };
    int y, m, d;
    if (n != 10 || s[4] != '-' || s[7] != '-' || !digits(s, 4, &y) || !digits(s + 5, 2, &m) ||
        !digits(s + 8, 2, &d))
        return false;
    if (m < 1 || m > 12 || d < 1)
        return false;
    return d <= mdays[m - 1] + (m == 2 && leap(y));
}

/* full-time: HH:MM:SS[.frac](Z|+HH:MM|-HH:MM); a leap second only at 23:59 UTC. */
static bool valid_time(const char *s, size_t n)
{
    int h, m, sec, oh = 0, om = 0, sign = 0;
    if (n < 9 || s[2] != ':' || s[5] != ':' || !digits(s, 2, &h) || !digits(s + 3, 2, &m) ||
        !digits(s + 6, 2, &sec))
        return false;
    size_t i = 8;
    if (i < n && s[i] == '.') {
        size_t start = ++i;
        while (i < n && is_digit(s[i]))
            i++;
        if (i == start)
            return false;
    }
    if (i >= n)
        return false;
    if (s[i] == 'Z' || s[i] == 'z') {
        i++;
    } else if (s[i] == '+' || s[i] == '-') {
        sign = s[i] == '+' ? 1 : -1;
        if (n - i != 6 || s[i + 3] != ':' || !digits(s + i + 1, 2, &oh) ||
            !digits(s + i + 4, 2, &om) || oh > 23 || om > 59)
            return false;
        i += 6;
    } else {
        return false;
    }
    if (i != n || h > 23 || m > 59 || sec > 60)
        return false;
    if (sec == 60) {
        int utc = ((h * 60 + m - sign * (oh * 60 + om)) % 1440 + 1440) % 1440;
        if (utc != 23 * 60 + 59)
            return false;
    }
    return true;
}

static bool valid_date_time(const char *s, size_t n)
{
    return n > 11 && (s[10] == 'T' || s[10] == 't') && valid_date(s, 10) &&
           valid_time(s + 11, n - 11);
}

static bool uri_unreserved(char c)
{
    return is_alnum(c) || c == '-' || c == '.' || c == '_' || c == '~';
}

static bool uri_sub_delim(char c)
{
    return c && strchr("!$&'()*+,;=", c) != NULL;
}

/* Checks s[0..n) against a character class (pchar plus @p extra), with
 * percent-encoded octets allowed. */
static bool uri_chars(const char *s, size_t n, const char *extra)
{
    for (size_t i = 0; i < n; i++) {
        char c = s[i];
        if (c == '%') {
            if (i + 2 >= n)
                return false;
            if (pcfmcp__hexval((unsigned char)s[i + 1]) < 0 || pcfmcp__hexval((unsigned char)s[i + 2]) < 0)
                return false;
            i += 2;
        } else if (!uri_unreserved(c) && !uri_sub_delim(c) && c != ':' && c != '@' &&
                   !(c && strchr(extra, c))) {
            return false;
        }
    }
    return true;
}

/* RFC 3986 absolute URI: scheme ":" hier-part [ "?" query ] [ "#" fragment ]. */
static bool valid_uri(const char *s, size_t n)
{
    size_t i = 0;
    if (n == 0 || !is_alpha(s[0]))
        return false;
    while (i < n && (is_alnum(s[i]) || s[i] == '+' || s[i] == '-' || s[i] == '.'))
        i++;
    if (i >= n || s[i] != ':')
        return false;
    i++;
    size_t end = n;
    const char *hash = memchr(s + i, '#', n - i);
    if (hash) {
        end = (size_t)(hash - s);
        if (!uri_chars(hash + 1, n - end - 1, "/?"))
            return false;
    }
    const char *q = memchr(s + i, '?', end - i);
    if (q) {
        if (!uri_chars(q + 1, end - (size_t)(q - s) - 1, "/?"))
            return false;
        end = (size_t)(q - s);
    }
    if (end - i >= 2 && s[i] == '/' && s[i + 1] == '/') {
        i += 2;
        const char *slash = memchr(s + i, '/', end - i);
        size_t aend = slash ? (size_t)(slash - s) : end;
        const char *auth = s + i;
        size_t alen = aend - i;
        const char *atsign = NULL;
        for (size_t k = alen; k > 0; k--)
            if (auth[k - 1] == '@') {
                atsign = auth + k - 1;
                break;
            }
        if (atsign) {
            for (const char *u = auth; u < atsign; u++)
                if (*u == '@')
                    return false;
            if (!uri_chars(auth, (size_t)(atsign - auth), ""))
                return false;
            alen -= (size_t)(atsign - auth) + 1;
            auth = atsign + 1;
        }
        size_t hlen; /* length of the host; a port may follow */
        if (alen && auth[0] == '[') {
            const char *close = memchr(auth, ']', alen);
            if (!close)
                return false;
            size_t il = (size_t)(close - auth) - 1;
            if (!(il > 0 && (auth[1] == 'v' || auth[1] == 'V')) && !valid_ipv6(auth + 1, il))
                return false;
            hlen = (size_t)(close - auth) + 1;
        } else {
            const char *colon = memchr(auth, ':', alen);
            hlen = colon ? (size_t)(colon - auth) : alen;
            for (size_t k = 0; k < hlen; k++) {
                char c = auth[k];
                if (c == '%') {
                    if (k + 2 >= hlen || pcfmcp__hexval((unsigned char)auth[k + 1]) < 0 ||
                        pcfmcp__hexval((unsigned char)auth[k + 2]) < 0)
                        return false;
                    k += 2;
                } else if (!uri_unreserved(c) && !uri_sub_delim(c)) {
                    return false;
                }
            }
        }
        if (hlen < alen) {
            if (auth[hlen] != ':')
                return false;
            for (size_t k = hlen + 1; k < alen; k++)
                if (!is_digit(auth[k]))
                    return false;
        }
        i = aend;
    }
    return uri_chars(s + i, end - i, "/");
}

bool pcfmcp__schema_format_ok(int f, const char *s)
{
    size_t n = strlen(s);
    switch (f) {
    case F_UUID: return pcfmcp__uuid_valid(s);
    case F_IPV4: return valid_ipv4(s, n);
    case F_IPV6: return valid_ipv6(s, n);
    case F_EMAIL: return n <= 254 && valid_email(s, n);
    case F_DATE_TIME: return valid_date_time(s, n);
    case F_DATE: return valid_date(s, n);
    case F_TIME: return valid_time(s, n);
    case F_URI: return valid_uri(s, n);
    case F_HOSTNAME: return valid_hostname(s, n);
    default: return true;
    }
}

