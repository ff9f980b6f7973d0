/* What the PCF client tests use of the fake PCF, on top of the shared
 * launcher tests/helpers/fakepcf.h: an https URL for the TLS case, control
 * calls that abort the test on failure, and the fake's per-path counters. */
#ifndef PCFMCP_TESTS_API_PCF_FAKE_H
#define PCFMCP_TESTS_API_PCF_FAKE_H

#include <stdbool.h>

#include "helpers/fakepcf.h"

typedef struct {
    fakepcf_t *h; /* NULL: not running */
    char url[128];
} pcf_fake;

/* True when python3 and tests/fakepcf/fake_pcf.py are there; tests skip otherwise. */
bool pcf_fake_available(void);
/* Starts the fake with @p args (NULL-terminated extra flags, may be NULL);
 * @p https selects the scheme of the URL. Aborts the test on failure. */
void pcf_fake_start(pcf_fake *f, const char *const *args, bool https);
/* A control request: POST with @p body when @p method is "POST", else GET.
 * Returns the answer body (free with free()); aborts the test on failure. */
char *pcf_fake_control(const pcf_fake *f, const char *method, const char *path,
                       const char *body);
/* How many requests the fake counted for @p path (exact, as the fake saw it). */
int pcf_fake_path_count(const pcf_fake *f, const char *path);
void pcf_fake_stop(pcf_fake *f);

#endif
