/* A real redis-server (or valkey-server) on a loopback port, for tests of
 * the shared store. Started without persistence in a temporary directory;
 * readiness is read from its log, not waited for with sleeps. */
#ifndef PCFMCP_TEST_REDIS_H
#define PCFMCP_TEST_REDIS_H

#include <pthread.h>
#include <stdbool.h>
#include <sys/types.h>

typedef struct {
    pid_t pid;
    unsigned port;
    char dir[64];
    int out_fd;         /* its stdout, drained by a thread so it never blocks */
    pthread_t drain;
    bool have_drain;
} test_redis;

/* The server binary ($PCFMCP_REDIS_SERVER, else redis-server or
 * valkey-server on PATH), or NULL. */
const char *test_redis_binary(void);

/* Says loudly that the store tests did not run, and returns whether that
 * is a failure (PCFMCP_REQUIRE_REDIS=1, as CI sets it). */
bool test_redis_missing(const char *what);

/* Starts a server on @p port (0: a free one) requiring @p password (NULL:
 * none). Returns false (with the reason on stderr) if it did not start. */
bool test_redis_start(test_redis *r, unsigned port, const char *password);
/* Kills the server (SIGKILL: no chance to say goodbye) and reaps it; the
 * port can then be reused by test_redis_start(). */
void test_redis_kill(test_redis *r);
/* Freezes or thaws it: a frozen server accepts connections (the kernel
 * completes them) but never answers, like a blackholed host. */
void test_redis_freeze(test_redis *r, bool frozen);
/* Stops it and removes its directory. */
void test_redis_stop(test_redis *r);

#endif
