/* Session admission of the HTTP transport: the global session cap and each
 * caller's share of it, counted in one table so the two can never disagree.
 *
 * A session slot is reserved before initialize runs (so a refused caller
 * costs the engine nothing, and two initializes racing for the last slot
 * cannot both win) and given back when the session ends or the initialize
 * fails. Entries exist only while a caller holds a slot, so the table never
 * holds more than the session cap. */
#include "core/internal.h"

#include <pthread.h>
#include <string.h>

#include "core/alloc.h"
#include "transport/http_internal.h"

#define BUCKETS 256

typedef struct holder {
    struct holder *next;
    unsigned count;
    char key[];
} holder;

struct pcfmcp__http_slots {
    pthread_mutex_t lock;
    holder *buckets[BUCKETS];
    unsigned long long total;
};

pcfmcp__http_slots *pcfmcp__http_slots_new(void)
{
    pcfmcp__http_slots *t = pcfmcp__calloc(1, sizeof(*t));
    if (t)
        pthread_mutex_init(&t->lock, NULL);
    return t;
}

void pcfmcp__http_slots_free(pcfmcp__http_slots *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < BUCKETS; i++)
        while (t->buckets[i]) {
            holder *n = t->buckets[i]->next;
            pcfmcp__free(t->buckets[i]);
            t->buckets[i] = n;
        }
    pthread_mutex_destroy(&t->lock);
    pcfmcp__free(t);
}

static holder **find(pcfmcp__http_slots *t, const char *key)
{
    unsigned h = 2166136261u;
    for (const char *p = key; *p; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    holder **pp = &t->buckets[h % BUCKETS];
    while (*pp && strcmp((*pp)->key, key) != 0)
        pp = &(*pp)->next;
    return pp;
}

pcfmcp__http_slot_verdict pcfmcp__http_slots_take(pcfmcp__http_slots *t, const char *key,
                                                  unsigned long long total_max,
                                                  unsigned long long per_key_max)
{
    pthread_mutex_lock(&t->lock);
    pcfmcp__http_slot_verdict v = PCFMCP__SLOT_OK;
    holder **pp = find(t, key);
    if (t->total >= total_max) {
        v = PCFMCP__SLOT_FULL;
    } else if (per_key_max && *pp && (*pp)->count >= per_key_max) {
        v = PCFMCP__SLOT_CALLER_FULL;
    } else if (!*pp) {
        size_t n = strlen(key) + 1;
        holder *e = pcfmcp__malloc(sizeof(*e) + n);
        if (!e) {
            v = PCFMCP__SLOT_NOMEM;
        } else {
            memcpy(e->key, key, n);
            e->count = 0;
            e->next = NULL;
            *pp = e;
        }
    }
    if (v == PCFMCP__SLOT_OK) {
        (*pp)->count++;
        t->total++;
    }
    pthread_mutex_unlock(&t->lock);
    return v;
}

void pcfmcp__http_slots_give(pcfmcp__http_slots *t, const char *key)
{
    pthread_mutex_lock(&t->lock);
    holder **pp = find(t, key);
    if (*pp) {
        t->total--;
        if (--(*pp)->count == 0) {
            holder *e = *pp;
            *pp = e->next;
            pcfmcp__free(e);
        }
    }
    pthread_mutex_unlock(&t->lock);
}

unsigned long long pcfmcp__http_slots_total(pcfmcp__http_slots *t)
{
    pthread_mutex_lock(&t->lock);
    unsigned long long n = t->total;
    pthread_mutex_unlock(&t->lock);
    return n;
}
