/* Fuzz target: a JSON Schema and an instance (separated by the first NUL
 * byte): compile the schema as a tool's inputSchema would be, validate. */
#include "core/internal.h"

#include <stdint.h>
#include <string.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/json.h"
#include "mcp/schema.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *s = (const char *)data;
    const char *nul = memchr(s, '\0', size);
    size_t slen = nul ? (size_t)(nul - s) : size;
    cJSON *schema = NULL, *inst = NULL;
    if (pcfmcp__json_parse(s, slen, 64, &schema, NULL) != PCFMCP__JSON_OK)
        return 0;
    pcfmcp__schema *c = NULL;
    char *err = NULL;
    if (pcfmcp__schema_compile(schema, &c, &err) == 0) {
        const char *is = nul ? nul + 1 : "null";
        size_t ilen = nul ? size - slen - 1 : 4;
        if (pcfmcp__json_parse(is, ilen, 128, &inst, NULL) == PCFMCP__JSON_OK) {
            pcfmcp__buf problems;
            pcfmcp__buf_init(&problems);
            pcfmcp__schema_validate(c, inst, &problems);
            pcfmcp__buf_free(&problems);
        }
    }
    pcfmcp__free(err);
    pcfmcp__schema_free(c);
    cJSON_Delete(schema);
    cJSON_Delete(inst);
    return 0;
}
