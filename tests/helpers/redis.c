/* See redis.h. */
#define _GNU_SOURCE
#include "helpers/redis.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

const char *test_redis_binary(void)
{
    static char found[512];
    const char *env = getenv("PCFMCP_REDIS_SERVER");
    if (env && *env)
        return access(env, X_OK) == 0 ? env : NULL;
    const char *path = getenv("PATH");
    char buf[4096];
    snprintf(buf, sizeof(buf), "%s:/usr/bin:/usr/sbin:/usr/local/bin", path ? path : "");
    const char *names[] = { "redis-server", "valkey-server" };
    for (size_t n = 0; n < 2; n++) {
        char *save = NULL, copy[4096];
        snprintf(copy, sizeof(copy), "%s", buf);
        for (char *dir = strtok_r(copy, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
            snprintf(found, sizeof(found), "%s/%s", dir, names[n]);
            if (access(found, X_OK) == 0)
                return found;
        }
    }
    return NULL;
}

bool test_redis_missing(const char *what)
{
    bool required = getenv("PCFMCP_REQUIRE_REDIS") && strcmp(getenv("PCFMCP_REQUIRE_REDIS"), "1") == 0;
    fprintf(stderr,
            "\n"
            "##############################################################################\n"
            "##  %s: redis-server NOT FOUND - the shared-store tests DID NOT RUN.\n"
            "##  Install it (apt-get install redis-server, or scripts/deps.sh) to run them.\n"
            "##  %s\n"
            "##############################################################################\n\n",
            what, required ? "PCFMCP_REQUIRE_REDIS=1: this is a FAILURE."
                           : "CI sets PCFMCP_REQUIRE_REDIS=1 and fails here.");
    return required;
}

static unsigned free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = { .sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK) };
    socklen_t l = sizeof(a);
    unsigned port = 0;
    if (fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof(a)) == 0 &&
        getsockname(fd, (struct sockaddr *)&a, &l) == 0)
        port = ntohs(a.sin_port);
    if (fd >= 0)
        close(fd);
    return port;
}

static void *drain(void *arg)
{
    test_redis *r = arg;
    char buf[4096];
    while (read(r->out_fd, buf, sizeof(buf)) > 0) {
    }
    return NULL;
}

bool test_redis_start(test_redis *r, unsigned port, const char *password)
{
    const char *bin = test_redis_binary();
    if (!bin)
        return false;
    if (!r->dir[0]) {
        snprintf(r->dir, sizeof(r->dir), "/tmp/pcfmcp-redis-XXXXXX");
        if (!mkdtemp(r->dir)) {
            perror("mkdtemp");
            return false;
        }
    }
    r->port = port ? port : free_port();
    int out[2];
    if (pipe2(out, O_CLOEXEC) != 0)
        return false;
    char portbuf[16];
    snprintf(portbuf, sizeof(portbuf), "%u", r->port);
    pid_t pid = fork();
    if (pid == 0) {
        dup2(out[1], 1);
        dup2(out[1], 2);
        const char *argv[32];
        int n = 0;
        argv[n++] = bin;
        argv[n++] = "--port";
        argv[n++] = portbuf;
        argv[n++] = "--bind";
        argv[n++] = "127.0.0.1";
        argv[n++] = "--save";
        argv[n++] = "";
        argv[n++] = "--appendonly";
        argv[n++] = "no";
        argv[n++] = "--dir";
        argv[n++] = r->dir;
        argv[n++] = "--daemonize";
        argv[n++] = "no";
        if (password) {
            argv[n++] = "--requirepass";
            argv[n++] = password;
        }
        argv[n] = NULL;
        execv(bin, (char *const *)argv);
        _exit(127);
    }
    close(out[1]);
    if (pid < 0) {
        close(out[0]);
        return false;
    }
    r->pid = pid;
    /* Ready when it says so; a line at a time until then. */
    char log[16384];
    size_t len = 0;
    bool ready = false;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    while (!ready) {
        struct timespec now;
        clock_gettime(CLOCK_MONOTONIC, &now);
        long left = 15000 - ((now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000);
        struct pollfd p = { .fd = out[0], .events = POLLIN };
        if (left <= 0 || poll(&p, 1, (int)left) <= 0)
            break;
        ssize_t k = read(out[0], log + len, sizeof(log) - 1 - len);
        if (k <= 0)
            break;
        len += (size_t)k;
        log[len] = '\0';
        ready = strstr(log, "Ready to accept connections") != NULL;
        if (len > sizeof(log) / 2 && !ready) {
            memmove(log, log + len / 2, len - len / 2);
            len -= len / 2;
        }
    }
    r->out_fd = out[0];
    if (!ready) {
        fprintf(stderr, "redis-server on port %u did not start: %s\n", r->port, log);
        kill(pid, SIGKILL);
        waitpid(pid, NULL, 0);
        close(out[0]);
        r->pid = 0;
        return false;
    }
    r->have_drain = pthread_create(&r->drain, NULL, drain, r) == 0;
    return true;
}

void test_redis_freeze(test_redis *r, bool frozen)
{
    if (r->pid > 0)
        kill(r->pid, frozen ? SIGSTOP : SIGCONT);
}

void test_redis_kill(test_redis *r)
{
    if (r->pid <= 0)
        return;
    kill(r->pid, SIGCONT);
    kill(r->pid, SIGKILL);
    waitpid(r->pid, NULL, 0);
    r->pid = 0;
    if (r->have_drain)
        pthread_join(r->drain, NULL);
    r->have_drain = false;
    close(r->out_fd);
}

void test_redis_stop(test_redis *r)
{
    test_redis_kill(r);
    if (r->dir[0]) {
        char cmd[128];
        snprintf(cmd, sizeof(cmd), "rm -rf '%s'", r->dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", r->dir);
        r->dir[0] = '\0';
    }
}
