/* `pcf-mcp keys`: API keys for the HTTP transport. The keys file holds only
 * hashes, so a key is shown once, when it is made, and never again. */
#include "config.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include <pcfmcp/pcfmcp.h>

#include "cli/cli.h"

static bool valid_name(const char *n)
{
    size_t len = strlen(n);
    if (len < 1 || len > 64)
        return false;
    for (; *n; n++)
        if (!isalnum((unsigned char)*n) && !strchr("._@-", *n))
            return false;
    return true;
}

/* Prints the keys-file line for @p key under @p name. */
static int print_line(const char *name, const char *key)
{
    char *hash = NULL;
    if (pcfmcp_auth_hash_key(key, &hash) != PCFMCP_OK) {
        fprintf(stderr, "pcf-mcp: the key is too short or not printable (at least %d characters)\n",
                PCFMCP_AUTH_KEY_MIN);
        return CLI_EXIT_USAGE;
    }
    printf("%s %s\n", name, hash);
    pcfmcp_free(hash);
    return CLI_EXIT_OK;
}

int cli_cmd_keys(const cli_args *a)
{
    const char *sub = a->npositional >= 2 ? a->positional[1] : NULL;
    const char *name = a->npositional >= 3 ? a->positional[2] : NULL;
    if (!sub || !name || a->npositional > 3 || (strcmp(sub, "new") != 0 && strcmp(sub, "hash") != 0)) {
        fprintf(stderr, "pcf-mcp: usage: keys new NAME | keys hash NAME (key on standard input)\n");
        return CLI_EXIT_USAGE;
    }
    if (!valid_name(name)) {
        fprintf(stderr, "pcf-mcp: key names are 1-64 characters of A-Z a-z 0-9 . _ @ -\n");
        return CLI_EXIT_USAGE;
    }
    if (strcmp(sub, "new") == 0) {
        char *key = NULL;
        if (pcfmcp_auth_generate_key(&key) != PCFMCP_OK) {
            fprintf(stderr, "pcf-mcp: could not generate a key\n");
            return CLI_EXIT_RUNTIME;
        }
        /* The key goes to stderr for the operator to hand over; stdout gets
         * only the line for the keys file, so `>> keys` stores no secret. */
        fprintf(stderr, "API key for %s (shown once; give it to the client as a Bearer token):\n%s\n",
                name, key);
        int rc = print_line(name, key);
        pcfmcp_free(key);
        return rc;
    }
    /* hash: the key comes on stdin, never on the command line. */
    char key[1024];
    if (!fgets(key, sizeof(key), stdin)) {
        fprintf(stderr, "pcf-mcp: keys hash reads the key from standard input\n");
        return CLI_EXIT_USAGE;
    }
    key[strcspn(key, "\r\n")] = '\0';
    int rc = print_line(name, key);
    memset(key, 0, sizeof(key));
    return rc;
}
