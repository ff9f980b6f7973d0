#define _GNU_SOURCE
#include "helpers/scriptpeer.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#define MAX_ANSWERS 64
#define REQ_HEAD_MAX 65536

typedef struct {
    peer_answer a;
    bool used;
    char *buf; /* owns the strings of `a` */
} slot;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t idle = PTHREAD_COND_INITIALIZER;
static slot script[MAX_ANSWERS];
static size_t nscript, answered, refused;
static bool serving; /* a connection is open: the script is in use */
static unsigned port;
static int listener = -1;
static bool unix_listener;
static char unix_name[64];

static void die(const char *what)
{
    perror(what);
    abort();
}

static char *dup_span(const char *s, size_t n, char **at)
{
    char *d = *at;
    if (n)
        memcpy(d, s, n);
    d[n] = '\0';
    *at += n + 1;
    return d;
}

void peer_script(const peer_answer *answers, size_t n)
{
    pthread_mutex_lock(&lock);
    /* The client may be done with a connection the server still closes. */
    while (serving)
        pthread_cond_wait(&idle, &lock);
    for (size_t i = 0; i < nscript; i++)
        free(script[i].buf);
    memset(script, 0, sizeof(script));
    nscript = n > MAX_ANSWERS ? MAX_ANSWERS : n;
    for (size_t i = 0; i < nscript; i++) {
        const peer_answer *a = &answers[i];
        size_t total = a->method_len + a->suffix_len + a->head_len + a->body_len + 4;
        char *b = malloc(total), *at = b;
        if (!b)
            die("malloc");
        script[i].buf = b;
        script[i].a = *a;
        script[i].a.method = dup_span(a->method ? a->method : "", a->method ? a->method_len : 0, &at);
        script[i].a.suffix = dup_span(a->suffix ? a->suffix : "", a->suffix ? a->suffix_len : 0, &at);
        script[i].a.head = dup_span(a->head ? a->head : "", a->head ? a->head_len : 0, &at);
        script[i].a.body = dup_span(a->body ? a->body : "", a->body ? a->body_len : 0, &at);
    }
    answered = refused = 0;
    pthread_mutex_unlock(&lock);
}

size_t peer_answered(void)
{
    pthread_mutex_lock(&lock);
    size_t n = answered;
    pthread_mutex_unlock(&lock);
    return n;
}

size_t peer_refused(void)
{
    pthread_mutex_lock(&lock);
    size_t n = refused;
    pthread_mutex_unlock(&lock);
    return n;
}

static bool send_all(int fd, const char *p, size_t n)
{
    while (n) {
        ssize_t w = send(fd, p, n, MSG_NOSIGNAL);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0)
            return false;
        p += w;
        n -= (size_t)w;
    }
    return true;
}

/* Appends what the socket has to buf; false at the end, on error or when full. */
static bool read_more(int fd, char *buf, size_t cap, size_t *len)
{
    if (*len >= cap)
        return false;
    ssize_t r = recv(fd, buf + *len, cap - *len, 0);
    if (r < 0 && errno == EINTR)
        return true;
    if (r <= 0)
        return false;
    *len += (size_t)r;
    return true;
}

static const char *find_header(const char *head, size_t len, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = head; p && p < head + len;) {
        const char *eol = memchr(p, '\n', (size_t)(head + len - p));
        if (!eol)
            break;
        if ((size_t)(eol - p) > n && p[n] == ':' && strncasecmp(p, name, n) == 0)
            return p + n + 1;
        p = eol + 1;
    }
    return NULL;
}

/* Drops header lines the framing owns, and malformed ones. */
static bool header_ok(const char *p, size_t n)
{
    const char *colon = memchr(p, ':', n);
    if (!colon || colon == p)
        return false;
    for (const char *q = p; q < colon; q++)
        if (*q <= ' ' || *q >= 0x7f)
            return false;
    size_t k = (size_t)(colon - p);
    static const char *const framing[] = { "content-length", "transfer-encoding", "connection" };
    for (size_t i = 0; i < sizeof(framing) / sizeof(framing[0]); i++)
        if (k == strlen(framing[i]) && strncasecmp(p, framing[i], k) == 0)
            return false;
    return true;
}

static void answer(int fd, const peer_answer *a)
{
    char line[128];
    int status = a->status >= 200 && a->status <= 599 ? a->status : 200;
    int n = snprintf(line, sizeof(line), "HTTP/1.1 %d Fuzz\r\n", status);
    if (!send_all(fd, line, (size_t)n))
        return;
    for (const char *p = a->head, *end = a->head + a->head_len; p < end;) {
        const char *eol = memchr(p, '\n', (size_t)(end - p));
        size_t len = eol ? (size_t)(eol - p) : (size_t)(end - p);
        size_t l = len;
        while (l && p[l - 1] == '\r')
            l--;
        if (memchr(p, '\r', l))
            l = 0; /* a bare CR would split the line for the client */
        if (l && header_ok(p, l) && (!send_all(fd, p, l) || !send_all(fd, "\r\n", 2)))
            return;
        p += len + (eol ? 1 : 0);
    }
    n = snprintf(line, sizeof(line), "Content-Length: %zu\r\nConnection: close\r\n\r\n",
                 a->body_len);
    if (send_all(fd, line, (size_t)n))
        send_all(fd, a->body, a->body_len);
}

static bool fits(const peer_answer *a, const char *method, size_t mlen, const char *path,
                 size_t plen)
{
    if (a->method_len && (a->method_len != mlen || memcmp(a->method, method, mlen) != 0))
        return false;
    return a->suffix_len <= plen && memcmp(path + plen - a->suffix_len, a->suffix, a->suffix_len) == 0;
}

static void serve(int fd)
{
    static char buf[REQ_HEAD_MAX];
    size_t len = 0;
    const char *end = NULL;
    while (!(end = memmem(buf, len, "\r\n\r\n", 4)))
        if (!read_more(fd, buf, sizeof(buf), &len))
            return;
    size_t head_len = (size_t)(end - buf) + 4;
    /* The body: read it all, so that closing never resets the connection
     * under the client's feet. */
    const char *cl = find_header(buf, head_len, "Content-Length");
    const char *te = find_header(buf, head_len, "Transfer-Encoding");
    const char *ex = find_header(buf, head_len, "Expect");
    if (ex && !send_all(fd, "HTTP/1.1 100 Continue\r\n\r\n", 25))
        return;
    size_t body_have = len - head_len;
    if (cl) {
        size_t want = strtoull(cl, NULL, 10);
        static char sink[65536];
        while (body_have < want) {
            ssize_t r = recv(fd, sink, sizeof(sink), 0);
            if (r < 0 && errno == EINTR)
                continue;
            if (r <= 0)
                return;
            body_have += (size_t)r;
        }
    } else if (te) {
        /* Chunked: until the last chunk and the empty trailer (the client
         * sends no large chunked bodies; a full buffer ends the wait). */
        while (!memmem(buf + head_len, len - head_len, "0\r\n\r\n", 5))
            if (!read_more(fd, buf, sizeof(buf), &len))
                break;
    }
    const char *sp1 = memchr(buf, ' ', head_len);
    const char *sp2 = sp1 ? memchr(sp1 + 1, ' ', head_len - (size_t)(sp1 + 1 - buf)) : NULL;
    if (!sp2)
        return;
    const char *path = sp1 + 1;
    size_t plen = (size_t)(sp2 - path);
    const char *q = memchr(path, '?', plen);
    if (q)
        plen = (size_t)(q - path);
    pthread_mutex_lock(&lock);
    slot *hit = NULL;
    for (size_t i = 0; i < nscript && !hit; i++)
        if (!script[i].used && fits(&script[i].a, buf, (size_t)(sp1 - buf), path, plen))
            hit = &script[i];
    if (hit) {
        hit->used = true;
        answered++;
    } else {
        refused++;
    }
    pthread_mutex_unlock(&lock);
    /* The script stays while `serving` is set (see peer_script). */
    if (hit)
        answer(fd, &hit->a);
}

static void *loop(void *arg)
{
    (void)arg;
    for (;;) {
        int fd = accept(listener, NULL, NULL);
        if (fd < 0) {
            if (errno == EINTR || errno == ECONNABORTED)
                continue;
            die("accept");
        }
        pthread_mutex_lock(&lock);
        serving = true;
        pthread_mutex_unlock(&lock);
        struct timeval tv = { 5, 0 };
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
        setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
        int one = 1;
        if (!unix_listener)
            setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        serve(fd);
        /* Half-close first, then drain: the client reads to the end. */
        shutdown(fd, SHUT_WR);
        char drain[512];
        struct pollfd p = { fd, POLLIN, 0 };
        while (poll(&p, 1, 1000) > 0 && recv(fd, drain, sizeof(drain), 0) > 0)
            ;
        close(fd);
        pthread_mutex_lock(&lock);
        serving = false;
        pthread_cond_broadcast(&idle);
        pthread_mutex_unlock(&lock);
    }
    return NULL;
}

static const char *line_end(const char *p, const char *end)
{
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    return nl ? nl : end;
}

/* The newline before the next line that starts with "%%", or end. */
static const char *next_key(const char *p, const char *end)
{
    while (p < end) {
        const char *nl = memchr(p, '\n', (size_t)(end - p));
        if (!nl)
            return end;
        if (end - nl > 2 && nl[1] == '%' && nl[2] == '%')
            return nl;
        p = nl + 1;
    }
    return end;
}

size_t peer_parse_script(const char *p, const char *end, peer_answer *out, size_t max)
{
    size_t n = 0;
    while (p < end && n < max) {
        const char *next = next_key(p, end);
        const char *eol = line_end(p, next);
        /* "%% METHOD SUFFIX"; "*" or nothing fits any method. */
        const char *k = p + 2;
        while (k < eol && *k == ' ')
            k++;
        const char *msp = memchr(k, ' ', (size_t)(eol - k));
        peer_answer *a = &out[n++];
        memset(a, 0, sizeof(*a));
        a->method = k;
        a->method_len = msp ? (size_t)(msp - k) : (size_t)(eol - k);
        if (a->method_len == 1 && k[0] == '*')
            a->method_len = 0;
        a->suffix = msp ? msp + 1 : eol;
        a->suffix_len = msp ? (size_t)(eol - msp - 1) : 0;
        while (a->suffix_len &&
               (a->suffix[a->suffix_len - 1] == '\r' || a->suffix[a->suffix_len - 1] == ' '))
            a->suffix_len--;
        /* The status line, header lines up to an empty line, the body. */
        const char *s = eol < next ? eol + 1 : next;
        const char *s_end = line_end(s, next);
        for (const char *q = s; q < s_end && *q >= '0' && *q <= '9' && a->status < 1000; q++)
            a->status = a->status * 10 + (*q - '0');
        const char *h = s_end < next ? s_end + 1 : next, *h_end = h;
        while (h_end < next) {
            const char *le = line_end(h_end, next);
            if (le == h_end || (le == h_end + 1 && *h_end == '\r'))
                break;
            h_end = le < next ? le + 1 : next;
        }
        a->head = h;
        a->head_len = (size_t)(h_end - h);
        const char *b = line_end(h_end, next);
        b = b < next ? b + 1 : next;
        a->body = b;
        a->body_len = (size_t)(next - b);
        p = next < end ? next + 1 : end;
    }
    return n;
}

void peer_split_input(const char *p, const char *end, peer_input *in)
{
    const char *l1 = line_end(p, end);
    const char *sp = memchr(p, ' ', (size_t)(l1 - p));
    in->name = p;
    in->name_len = sp ? (size_t)(sp - p) : (size_t)(l1 - p);
    in->flags = 3;
    if (sp) {
        in->flags = 0;
        for (const char *q = sp + 1; q < l1 && *q >= '0' && *q <= '9'; q++)
            in->flags = (in->flags * 10 + (unsigned)(*q - '0')) & 0xff;
    }
    in->args = l1 < end ? l1 + 1 : end;
    const char *a1 = line_end(in->args, end);
    in->args_len = (size_t)(a1 - in->args);
    const char *rest = a1 < end ? a1 + 1 : end;
    while (rest < end && !(end - rest >= 2 && rest[0] == '%' && rest[1] == '%')) {
        const char *le = line_end(rest, end);
        rest = le < end ? le + 1 : end;
    }
    in->script = rest;
    in->end = end;
}

/* The one thread that accepts and answers, whichever socket listens. */
static void serve_in_background(void)
{
    pthread_t t;
    if (pthread_create(&t, NULL, loop, NULL) != 0)
        die("pthread_create");
    pthread_detach(t);
}

unsigned peer_start(void)
{
    if (listener >= 0)
        return port;
    listener = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listener < 0)
        die("socket");
    struct sockaddr_in sa = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t sl = sizeof(sa);
    if (bind(listener, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(listener, 64) != 0 ||
        getsockname(listener, (struct sockaddr *)&sa, &sl) != 0)
        die("listen");
    port = ntohs(sa.sin_port);
    serve_in_background();
    return port;
}

const char *peer_start_unix(void)
{
    if (listener >= 0)
        return unix_listener ? unix_name : NULL;
    listener = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (listener < 0)
        die("socket");
    /* Abstract: nothing in the file system to clean up, unique per process. */
    snprintf(unix_name, sizeof(unix_name), "pcfmcp-scriptpeer-%ld", (long)getpid());
    struct sockaddr_un sa = { .sun_family = AF_UNIX };
    size_t n = strlen(unix_name);
    memcpy(sa.sun_path + 1, unix_name, n);
    socklen_t sl = (socklen_t)(offsetof(struct sockaddr_un, sun_path) + 1 + n);
    if (bind(listener, (struct sockaddr *)&sa, sl) != 0 || listen(listener, 64) != 0)
        die("listen");
    unix_listener = true;
    serve_in_background();
    return unix_name;
}
