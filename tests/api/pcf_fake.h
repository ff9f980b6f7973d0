/* The few things the PCF client tests need from the fake PCF
 * (tests/fakepcf/fake_pcf.py): start one with extra flags, its URL, the
 * control API (faults, stats, token expiry), stop it. Kept behind these four
 * calls so the tests do not care how the fake is launched. */
#ifndef PCFMCP_TESTS_API_PCF_FAKE_H
#define PCFMCP_TESTS_API_PCF_FAKE_H

#include <stdbool.h>
#include <sys/types.h>

typedef struct {
    pid_t pid;
    int port;
    char url[128];
    char dir[256];
} pcf_fake;

/* True when the fake (and python3) are available; tests skip otherwise. */
bool pcf_fake_available(void);
/* Starts the fake with @p args (NULL-terminated extra flags, may be NULL);
 * @p https selects the scheme of the URL. Aborts the test on failure. */
void pcf_fake_start(pcf_fake *f, const char *const *args, bool https);
/* Sends a control request (method "GET" or "POST", path "/__fake__/...",
 * body JSON or NULL) and returns the answer body (free with free()). */
char *pcf_fake_control(const pcf_fake *f, const char *method, const char *path,
                       const char *body);
/* How many requests the fake counted for @p path (exact, as the fake saw it). */
int pcf_fake_path_count(const pcf_fake *f, const char *path);
/* Stops the fake and waits for it. */
void pcf_fake_stop(pcf_fake *f);

#endif
