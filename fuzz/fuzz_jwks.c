/* Fuzz target: a JWKS document as the authorization server (or whoever
 * answers at the JWKS URL) sends it: parse it, then look keys up the way a
 * token's header would ask for them. */
#include "core/internal.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <pcfmcp/auth.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "hardening/auth_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static pcfmcp_auth_t *auth;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (!auth && (pcfmcp_auth_new(&auth, NULL) != PCFMCP_OK ||
                  pcfmcp_auth_set_oauth(auth, "https://issuer.example", "https://mcp.example/mcp",
                                        NULL, NULL) != PCFMCP_OK))
        abort();
    pcfmcp__buf errors, warnings;
    pcfmcp__buf_init(&errors);
    pcfmcp__buf_init(&warnings);
    pcfmcp__jwkset *set = NULL;
    pcfmcp_error_t rc = pcfmcp__jwks_parse((const char *)data, size, &errors, &warnings, &set);
    if (rc == PCFMCP_OK) {
        if (!set || set->n == 0 || set->n > PCFMCP__JWKS_MAX_KEYS || errors.len)
            abort();
        static const pcfmcp__alg algs[] = { PCFMCP__ALG_RS256, PCFMCP__ALG_ES256 };
        for (size_t a = 0; a < 2; a++) {
            const pcfmcp__jwk *k = NULL;
            pcfmcp__jwks_find(set, NULL, algs[a], &k);
            for (size_t i = 0; i < set->n; i++) {
                const pcfmcp__jwk *key = &set->keys[i];
                if (!key->pub || (key->kty != PCFMCP__KTY_RSA && key->kty != PCFMCP__KTY_EC))
                    abort();
                if (key->kid && pcfmcp__jwks_find(set, key->kid, algs[a], &k) == PCFMCP__JWK_FOUND &&
                    strcmp(k->kid, key->kid) != 0)
                    abort();
            }
        }
        pcfmcp__jwkset_unref(set);
    } else if (rc != PCFMCP_ERR_NOMEM && (set || !errors.len)) {
        abort(); /* a refused JWKS always says why */
    }
    /* The public setter: C strings only, and it keeps the old keys on failure. */
    char *text = pcfmcp__strndup((const char *)data, size);
    if (text) {
        pcfmcp_auth_set_jwks_json(auth, text);
        pcfmcp__free(text);
    }
    pcfmcp__buf_free(&errors);
    pcfmcp__buf_free(&warnings);
    return 0;
}
