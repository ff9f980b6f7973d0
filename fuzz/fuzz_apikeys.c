/* Fuzz target: the API-keys file (`<name> sha256:<hex>` lines) and the
 * Authorization header values a caller sends: parse the file, then look up
 * each of its lines as a presented Bearer credential. */
#include "core/internal.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "hardening/auth_internal.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    pcfmcp__buf errors;
    pcfmcp__buf_init(&errors);
    pcfmcp__keyset *ks = NULL;
    pcfmcp_error_t rc = pcfmcp__auth_parse_keys(text, size, "keys", &errors, &ks);
    /* Bad input always gets a clear error; a good file gets none. */
    if (rc == PCFMCP_OK && (!ks || errors.len))
        abort();
    if ((rc == PCFMCP_ERR_CONFIG || rc == PCFMCP_ERR_LIMIT) && (ks || !errors.len))
        abort();

    /* Each line as the value of an Authorization header. */
    for (size_t pos = 0; pos < size;) {
        const char *s = text + pos;
        const char *nl = memchr(s, '\n', size - pos);
        size_t n = nl ? (size_t)(nl - s) : size - pos;
        pos += n + (nl ? 1 : 0);
        char *hdr = pcfmcp__strndup(s, n); /* headers are C strings: cut at a NUL */
        if (!hdr)
            break;
        const char *tok = NULL;
        size_t tlen = 0;
        if (pcfmcp__auth_bearer(hdr, &tok, &tlen) == PCFMCP__BEARER_OK) {
            if (tok < hdr || tok + tlen > hdr + strlen(hdr) || !pcfmcp__auth_is_b64token(tok, tlen))
                abort();
            long hit = pcfmcp__keyset_match(ks, tok, tlen);
            if (hit >= (long)(ks ? ks->n : 0))
                abort();
        }
        char *frag = NULL;
        if (pcfmcp_auth_hash_key(hdr, &frag) == PCFMCP_OK)
            pcfmcp_free(frag);
        pcfmcp__free(hdr);
    }
    pcfmcp__keyset_unref(ks);
    pcfmcp__buf_free(&errors);
    return 0;
}
