/* Runs tests/fakepcf/fake_pcf.py (a fake PCF server) for Check tests.
 *
 * The fake listens on an ephemeral loopback port in its own process group;
 * see tests/fakepcf/README.md for its flags and control API.  Not
 * thread-safe: one thread drives one fakepcf_t. */
#ifndef PCFMCP_TESTS_HELPERS_FAKEPCF_H
#define PCFMCP_TESTS_HELPERS_FAKEPCF_H

typedef struct fakepcf fakepcf_t;

/* Spawns `python3 $top_srcdir/tests/fakepcf/fake_pcf.py --port 0
 * --port-file <tmp> <extra_args...>` and waits (at most 10 s) until it
 * listens.  extra_args is a NULL-terminated list (may be NULL), e.g.
 * {"--seed", "empty", "--bugs", NULL}.  The script is found through the
 * top_srcdir environment variable (exported by make check), else the source
 * directory known at compile time.  Returns 0 and sets *out, or -1 after
 * printing why to stderr (nothing is left running). */
int fakepcf_start(fakepcf_t **out, const char *const *extra_args);

/* "http://127.0.0.1:PORT", valid until fakepcf_stop(). */
const char *fakepcf_url(const fakepcf_t *f);

/* The TCP port the fake listens on. */
int fakepcf_port(const fakepcf_t *f);

/* Sends one request to the fake with libcurl: POST with a JSON body when
 * json_body is not NULL, otherwise GET.  path starts with '/', e.g.
 * "/__fake__/faults".  Returns the HTTP status, or -1 on a transport error.
 * When resp is not NULL it receives the NUL-terminated body (malloc'd,
 * release with free(); bodies over 8 MiB are an error). */
int fakepcf_control(fakepcf_t *f, const char *path, const char *json_body, char **resp);

/* SIGTERM to the fake's process group, waits up to 5 s, then SIGKILL; removes
 * the temporary files and frees f.  NULL is ignored. */
void fakepcf_stop(fakepcf_t *f);

#endif
