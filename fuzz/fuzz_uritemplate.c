/* Fuzz target: a URI template and a URI (separated by the first NUL byte):
 * parse, match, and expand the matched variables back. */
#include "core/internal.h"

#include <stdint.h>
#include <string.h>

#include "core/alloc.h"
#include "mcp/uritemplate.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *copy = pcfmcp__strndup((const char *)data, size);
    if (!copy)
        return 0;
    const char *uri = strlen(copy) < size ? copy + strlen(copy) + 1 : "";
    pcfmcp__uritemplate *t = NULL;
    char *err = NULL;
    if (pcfmcp__uritemplate_parse(copy, &t, &err) == 0) {
        cJSON *vars = NULL;
        if (pcfmcp__uritemplate_match(t, uri, &vars)) {
            char *back = pcfmcp__uritemplate_expand(t, vars);
            pcfmcp__free(back);
        }
        cJSON_Delete(vars);
    }
    pcfmcp__free(err);
    pcfmcp__uritemplate_free(t);
    pcfmcp__free(copy);
    return 0;
}
