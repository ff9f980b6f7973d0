/* A fast fake PCF for bench/run.sh: libmicrohttpd with the daemon flags of
 * bench/raw_mhd.c, answering each API path with a fixed JSON body read from
 * a file, so the uncached tool-call bench measures pcf-mcp and not the
 * Python fake (tests/fakepcf/), which is the slower party by far.
 * Not installed; not part of the library; not a test double (it checks no
 * token and keeps no state).
 *   bench/fake-pcf PORT THREADS DIR
 * DIR holds one file per path: /api/v1/projects is DIR/api_v1_projects.json
 * ('/' -> '_'). Any other path gets PCF's 404 shape. Prints
 * "listening on http://127.0.0.1:PORT" once it serves. */
#include <microhttpd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ROUTES 32

static struct {
    char path[128];
    char *body;
    size_t len;
} routes[MAX_ROUTES];
static size_t nroutes;
static const char not_found[] = "{\"errors\": [\"Not found\"]}";

static char *slurp(const char *file, size_t *len)
{
    FILE *f = fopen(file, "rb");
    if (!f)
        return NULL;
    char *b = NULL;
    size_t cap = 0, n = 0, r;
    do {
        if (n == cap) {
            char *nb = realloc(b, cap = cap ? cap * 2 : 4096);
            if (!nb) {
                free(b);
                fclose(f);
                return NULL;
            }
            b = nb;
        }
        r = fread(b + n, 1, cap - n, f);
        n += r;
    } while (r > 0);
    fclose(f);
    *len = n;
    return b;
}

static enum MHD_Result answer(void *cls, struct MHD_Connection *c, const char *url,
                              const char *method, const char *version, const char *upload,
                              size_t *upload_len, void **state)
{
    (void)cls, (void)method, (void)version, (void)upload;
    static int first;
    if (!*state) {
        *state = &first;
        return MHD_YES;
    }
    if (*upload_len) {
        *upload_len = 0;
        return MHD_YES;
    }
    const char *body = not_found;
    size_t len = sizeof(not_found) - 1;
    unsigned status = MHD_HTTP_NOT_FOUND;
    for (size_t i = 0; i < nroutes; i++)
        if (strcmp(routes[i].path, url) == 0) {
            body = routes[i].body;
            len = routes[i].len;
            status = MHD_HTTP_OK;
            break;
        }
    struct MHD_Response *r =
        MHD_create_response_from_buffer(len, (void *)(uintptr_t)body, MHD_RESPMEM_PERSISTENT);
    if (!r)
        return MHD_NO;
    MHD_add_response_header(r, "Content-Type", "application/json");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static int load(const char *dir)
{
    static const char *const paths[] = { "/api/v1/projects", "/api/v1/check_token",
                                         "/api/v1/user/me", "/api/v1/teams" };
    for (size_t i = 0; i < sizeof(paths) / sizeof(paths[0]); i++) {
        char file[512], name[128];
        snprintf(name, sizeof(name), "%s", paths[i] + 1);
        for (char *p = name; *p; p++)
            if (*p == '/')
                *p = '_';
        snprintf(file, sizeof(file), "%s/%s.json", dir, name);
        size_t len;
        char *b = slurp(file, &len);
        if (!b)
            continue;
        snprintf(routes[nroutes].path, sizeof(routes[nroutes].path), "%s", paths[i]);
        routes[nroutes].body = b;
        routes[nroutes].len = len;
        nroutes++;
    }
    return nroutes ? 0 : -1;
}

int main(int argc, char **argv)
{
    if (argc != 4) {
        fprintf(stderr, "usage: fake-pcf PORT THREADS DIR\n");
        return 2;
    }
    unsigned port = (unsigned)strtoul(argv[1], NULL, 10);
    unsigned threads = (unsigned)strtoul(argv[2], NULL, 10);
    if (load(argv[3]) != 0) {
        fprintf(stderr, "fake-pcf: no bodies in %s\n", argv[3]);
        return 1;
    }
    struct MHD_Daemon *d = MHD_start_daemon(
        MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_TURBO, (uint16_t)port, NULL, NULL,
        &answer, NULL, MHD_OPTION_THREAD_POOL_SIZE, threads, MHD_OPTION_CONNECTION_LIMIT, 4096,
        MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "fake-pcf: cannot listen on port %u\n", port);
        return 1;
    }
    const union MHD_DaemonInfo *di = MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    printf("listening on http://127.0.0.1:%u\n", di ? di->port : port);
    fflush(stdout);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigprocmask(SIG_BLOCK, &set, NULL);
    int sig;
    sigwait(&set, &sig);
    MHD_stop_daemon(d);
    for (size_t i = 0; i < nroutes; i++)
        free(routes[i].body);
    return 0;
}
