/* Fake PCF launcher for Check tests (see fakepcf.h).
 *
 * Test infrastructure, not library code: it allocates with libc rather than
 * lib/core/alloc so that OOM sweeps in the tests it serves cannot make the
 * harness itself fail. */
#include <config.h>

#include "helpers/fakepcf.h"

#include <curl/curl.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

#ifndef PCFMCP_TEST_SRCDIR
#define PCFMCP_TEST_SRCDIR "."
#endif

#define START_TIMEOUT_MS 10000
#define STOP_TIMEOUT_MS 5000
#define POLL_MS 2
#define MAX_ARGS 64
#define MAX_RESPONSE (8u * 1024u * 1024u)

struct fakepcf {
    pid_t pid;
    int port;
    char url[64];
    char dir[PATH_MAX - 16];
    char port_file[PATH_MAX];
};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void nap_ms(long ms)
{
    struct timespec ts = {ms / 1000, (ms % 1000) * 1000000L};
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR) {
    }
}

static void remove_dir(const char *dir)
{
    DIR *d;
    struct dirent *e;
    char path[PATH_MAX];

    if (!dir[0])
        return;
    d = opendir(dir);
    if (d) {
        /* The fake writes <port-file>.tmp.<pid> and renames it; a fake killed
         * mid-write can leave that behind, so remove whatever is there. */
        while ((e = readdir(d)) != NULL) {
            if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, ".."))
                continue;
            if (snprintf(path, sizeof path, "%s/%s", dir, e->d_name) < (int)sizeof path)
                unlink(path);
        }
        closedir(d);
    }
    rmdir(dir);
}

static int read_port(const char *path)
{
    char buf[32];
    ssize_t n;
    long port;
    char *end;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return 0;
    n = read(fd, buf, sizeof buf - 1);
    close(fd);
    if (n <= 0)
        return 0;
    buf[n] = '\0';
    errno = 0;
    port = strtol(buf, &end, 10);
    if (errno || end == buf || port <= 0 || port > 65535)
        return 0;
    return (int)port;
}

/* Waits for the child up to timeout_ms; 1 when it has been reaped. */
static int reap(pid_t pid, long timeout_ms)
{
    long long deadline = now_ms() + timeout_ms;
    int status;

    for (;;) {
        pid_t r = waitpid(pid, &status, WNOHANG);
        if (r == pid || (r < 0 && errno == ECHILD))
            return 1;
        if (now_ms() >= deadline)
            return 0;
        nap_ms(POLL_MS);
    }
}

static void kill_group(pid_t pid)
{
    if (kill(-pid, SIGTERM) != 0)
        kill(pid, SIGTERM);
    if (!reap(pid, STOP_TIMEOUT_MS)) {
        if (kill(-pid, SIGKILL) != 0)
            kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
    }
}

static int script_path(char *out, size_t n)
{
    const char *top = getenv("top_srcdir");
    int len;

    if (!top || !*top)
        top = PCFMCP_TEST_SRCDIR;
    len = snprintf(out, n, "%s/tests/fakepcf/fake_pcf.py", top);
    if (len < 0 || (size_t)len >= n) {
        fprintf(stderr, "fakepcf: source path too long\n");
        return -1;
    }
    if (access(out, R_OK) != 0) {
        fprintf(stderr, "fakepcf: cannot read %s: %s\n", out, strerror(errno));
        return -1;
    }
    return 0;
}

static int spawn(struct fakepcf *f, const char *script, const char *const *extra)
{
    const char *argv[MAX_ARGS];
    size_t argc = 0, i;
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t attr;
    sigset_t none, defaults;
    int rc;

    argv[argc++] = "python3";
    argv[argc++] = script;
    argv[argc++] = "--port";
    argv[argc++] = "0";
    argv[argc++] = "--port-file";
    argv[argc++] = f->port_file;
    for (i = 0; extra && extra[i]; i++) {
        if (argc >= MAX_ARGS - 1) {
            fprintf(stderr, "fakepcf: too many arguments\n");
            return -1;
        }
        argv[argc++] = extra[i];
    }
    argv[argc] = NULL;

    if (posix_spawn_file_actions_init(&fa) != 0)
        return -1;
    if (posix_spawnattr_init(&attr) != 0) {
        posix_spawn_file_actions_destroy(&fa);
        return -1;
    }
    sigemptyset(&none);
    sigemptyset(&defaults);
    sigaddset(&defaults, SIGTERM);
    sigaddset(&defaults, SIGINT);
    sigaddset(&defaults, SIGPIPE);
    rc = posix_spawn_file_actions_addopen(&fa, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
    if (!rc)
        rc = posix_spawn_file_actions_addopen(&fa, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
    /* Own process group: stopping it reaches anything python may fork, and a
     * terminal's ^C does not hit the fake before the test can clean up. */
    if (!rc)
        rc = posix_spawnattr_setpgroup(&attr, 0);
    if (!rc)
        rc = posix_spawnattr_setsigmask(&attr, &none);
    if (!rc)
        rc = posix_spawnattr_setsigdefault(&attr, &defaults);
    if (!rc)
        rc = posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK |
                                                 POSIX_SPAWN_SETSIGDEF);
    if (!rc)
        rc = posix_spawnp(&f->pid, "python3", &fa, &attr, (char *const *)argv, environ);
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&attr);
    if (rc) {
        fprintf(stderr, "fakepcf: cannot start python3: %s\n", strerror(rc));
        f->pid = 0;
        return -1;
    }
    return 0;
}

int fakepcf_start(fakepcf_t **out, const char *const *extra_args)
{
    struct fakepcf *f;
    char script[PATH_MAX];
    const char *tmp = getenv("TMPDIR");
    long long deadline;
    int status;

    if (!out)
        return -1;
    *out = NULL;
    if (script_path(script, sizeof script) != 0)
        return -1;
    f = calloc(1, sizeof *f);
    if (!f)
        return -1;
    if (!tmp || !*tmp)
        tmp = "/tmp";
    if (snprintf(f->dir, sizeof f->dir, "%s/fakepcf-XXXXXX", tmp) >= (int)sizeof f->dir ||
        !mkdtemp(f->dir)) {
        fprintf(stderr, "fakepcf: cannot create a temporary directory in %s\n", tmp);
        free(f);
        return -1;
    }
    snprintf(f->port_file, sizeof f->port_file, "%s/port", f->dir);
    if (spawn(f, script, extra_args) != 0) {
        remove_dir(f->dir);
        free(f);
        return -1;
    }
    deadline = now_ms() + START_TIMEOUT_MS;
    for (;;) {
        f->port = read_port(f->port_file);
        if (f->port > 0)
            break;
        if (waitpid(f->pid, &status, WNOHANG) == f->pid) {
            fprintf(stderr, "fakepcf: the fake exited before listening (%s %d)\n",
                    WIFEXITED(status) ? "exit status" : "signal",
                    WIFEXITED(status) ? WEXITSTATUS(status) : WTERMSIG(status));
            f->pid = 0;
            fakepcf_stop(f);
            return -1;
        }
        if (now_ms() >= deadline) {
            fprintf(stderr, "fakepcf: no port file after %d ms\n", START_TIMEOUT_MS);
            fakepcf_stop(f);
            return -1;
        }
        nap_ms(POLL_MS);
    }
    snprintf(f->url, sizeof f->url, "http://127.0.0.1:%d", f->port);
    *out = f;
    return 0;
}

const char *fakepcf_url(const fakepcf_t *f)
{
    return f ? f->url : NULL;
}

int fakepcf_port(const fakepcf_t *f)
{
    return f ? f->port : -1;
}

struct body {
    char *data;
    size_t len;
    int too_big;
};

static size_t on_data(char *ptr, size_t size, size_t nmemb, void *userdata)
{
    struct body *b = userdata;
    size_t n = size * nmemb;
    char *grown;

    if (b->len + n > MAX_RESPONSE) {
        b->too_big = 1;
        return 0;
    }
    grown = realloc(b->data, b->len + n + 1);
    if (!grown)
        return 0;
    memcpy(grown + b->len, ptr, n);
    b->data = grown;
    b->len += n;
    b->data[b->len] = '\0';
    return n;
}

int fakepcf_control(fakepcf_t *f, const char *path, const char *json_body, char **resp)
{
    CURL *curl;
    struct curl_slist *hdrs = NULL;
    struct body b = {NULL, 0, 0};
    char url[PATH_MAX];
    long code = -1;
    CURLcode rc;

    if (resp)
        *resp = NULL;
    if (!f || !path || path[0] != '/' ||
        snprintf(url, sizeof url, "%s%s", f->url, path) >= (int)sizeof url)
        return -1;
    curl = curl_easy_init();
    if (!curl)
        return -1;
    curl_easy_setopt(curl, CURLOPT_URL, url);
    curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, 10000L);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &b);
    if (json_body) {
        hdrs = curl_slist_append(NULL, "Content-Type: application/json");
        if (!hdrs) {
            curl_easy_cleanup(curl);
            return -1;
        }
        curl_easy_setopt(curl, CURLOPT_HTTPHEADER, hdrs);
        curl_easy_setopt(curl, CURLOPT_POSTFIELDS, json_body);
    }
    rc = curl_easy_perform(curl);
    if (rc == CURLE_OK)
        curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(curl);
    if (rc != CURLE_OK || b.too_big) {
        free(b.data);
        return -1;
    }
    if (resp) {
        *resp = b.data ? b.data : calloc(1, 1);
        if (!*resp)
            return -1;
    } else {
        free(b.data);
    }
    return (int)code;
}

void fakepcf_stop(fakepcf_t *f)
{
    if (!f)
        return;
    if (f->pid > 0)
        kill_group(f->pid);
    remove_dir(f->dir);
    free(f);
}
