/* Fuzz target: the identity map (YAML mapping MCP callers to PCF
 * credentials). The map lives in a private directory beside a few secret
 * files, good and bad, that its *_file entries may name by relative path. */
#include "core/internal.h"

#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <pcfmcp/identity.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static pcfmcp_identity_map_t *map;
static char dir[64];
static char path[96];
static int fd = -1;

static const struct {
    const char *name;
    const char *content;
    size_t len;
} secrets[] = {
    { "token", "0b2d6c1e-5a1f-4c1b-9a57-33cb8b6cd2a1\n", 37 },
    { "email", "alice@example.com\n", 18 },
    { "password", "correct horse battery staple\n", 29 },
    { "empty", "", 0 },
    { "nul", "ab\0cd", 5 },
    { "control", "line\none\n", 9 },
};

static void cleanup(void)
{
    char p[160];
    for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++) {
        snprintf(p, sizeof(p), "%s/%s", dir, secrets[i].name);
        unlink(p);
    }
    unlink(path);
    rmdir(dir);
}

static void put(const char *p, const void *content, size_t len, mode_t mode)
{
    int f = open(p, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, mode);
    if (f < 0 || write(f, content, len) != (ssize_t)len)
        abort();
    close(f);
}

static void setup(void)
{
    /* A *_file entry may name /dev/stdin or /proc/self/fd/0: never block on it. */
    int null = open("/dev/null", O_RDONLY);
    if (null < 0 || dup2(null, 0) < 0)
        abort();
    close(null);
    /* tmpfs if there is one: rewriting a file on disk for every input cost
     * more than parsing it. */
    snprintf(dir, sizeof(dir), "/dev/shm/pcfmcp-fuzz-identity-XXXXXX");
    if (!mkdtemp(dir)) {
        snprintf(dir, sizeof(dir), "/tmp/pcfmcp-fuzz-identity-XXXXXX");
        if (!mkdtemp(dir))
            abort();
    }
    atexit(cleanup);
    char p[160];
    for (size_t i = 0; i < sizeof(secrets) / sizeof(secrets[0]); i++) {
        snprintf(p, sizeof(p), "%s/%s", dir, secrets[i].name);
        put(p, secrets[i].content, secrets[i].len, i == 2 ? 0644 : 0600);
    }
    snprintf(path, sizeof(path), "%s/identities.yaml", dir);
    if ((fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0)
        abort();
    if (pcfmcp_identity_map_new(&map, NULL) != PCFMCP_OK)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!map)
        setup();
    if (ftruncate(fd, 0) != 0 || pwrite(fd, data, size, 0) != (ssize_t)size)
        abort();
    /* Start from an empty map so every input is judged alone. */
    if (pcfmcp_identity_map_load(map, NULL, NULL) != PCFMCP_OK)
        abort();
    unsigned long gen = pcfmcp_identity_map_generation(map);
    size_t count = 0;
    pcfmcp_error_t rc = pcfmcp_identity_map_load(map, path, &count);
    if (rc == PCFMCP_OK) {
        if (count != pcfmcp_identity_map_count(map) || count > 10000 ||
            pcfmcp_identity_map_generation(map) != gen + 1)
            abort();
    } else {
        /* Nothing changes on failure, and the failure says what is wrong. */
        const char *msg = pcfmcp_identity_map_errmsg(map);
        if (pcfmcp_identity_map_count(map) != 0 || !msg || !msg[0] ||
            pcfmcp_identity_map_generation(map) != gen)
            abort();
    }
    static const char *const who[] = { "key:alice", "jwt:248289761001", "key:", "" };
    for (size_t i = 0; i < sizeof(who) / sizeof(who[0]); i++) {
        pcfmcp_credentials_t *c = NULL;
        if (pcfmcp_identity_map_lookup(map, who[i], &c) == PCFMCP_OK) {
            const char *t = pcfmcp_credentials_token(c), *e = pcfmcp_credentials_email(c),
                       *pw = pcfmcp_credentials_password(c);
            if ((!t && !e) || !e != !pw)
                abort();
            pcfmcp_credentials_free(c);
        }
    }
    return 0;
}
