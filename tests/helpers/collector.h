/* Collects messages an engine emits, for assertions in tests. Thread-safe:
 * workers emit while the test thread waits. */
#ifndef PCFMCP_TEST_COLLECTOR_H
#define PCFMCP_TEST_COLLECTOR_H

#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t cond;
    char **msgs;       /* NULL entries record a FINAL without message */
    unsigned *flags;
    size_t n, cap;
    size_t finals;
} collector;

void collector_init(collector *c);
void collector_free(collector *c);
void collector_reset(collector *c);
/* pcfmcp_emit_cb-compatible. */
void collector_emit(const char *json, size_t len, unsigned flags, void *ud);
/* Waits (up to 5 s) until at least `finals` final messages arrived. */
bool collector_wait_finals(collector *c, size_t finals);
/* Waits until at least n messages arrived. */
bool collector_wait_count(collector *c, size_t n);
/* Parsed copy of message i (caller frees), NULL if none. */
cJSON *collector_json(collector *c, size_t i);
/* The last final message, parsed (caller frees). */
cJSON *collector_last(collector *c);
size_t collector_count(collector *c);

#endif
