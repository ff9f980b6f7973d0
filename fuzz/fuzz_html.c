/* Fuzz target: PCF web pages as a hostile server could send them: the CSRF
 * field, the error block, markers, redirects and download names. */
#include "core/internal.h"

#include <stdint.h>

#include <cjson/cJSON.h>

#include "core/alloc.h"
#include "pcf/impl.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *html = (const char *)data;
    char *csrf = pcfmcp__pcf_html_csrf(html, size);
    pcfmcp__free(csrf);
    cJSON *errors = NULL;
    pcfmcp__pcf_html_errors(html, size, &errors);
    cJSON_Delete(errors);
    pcfmcp__pcf_html_has(html, size, "Successfully uploaded!");
    /* Header values are NUL-terminated strings by the time they are parsed. */
    char *text = pcfmcp__strndup(html, size);
    if (text) {
        pcfmcp__free(pcfmcp__pcf_location_path(text));
        pcfmcp__free(pcfmcp__pcf_location_fragment(text));
        pcfmcp__pcf_location_is_login(text);
        pcfmcp__free(pcfmcp__pcf_content_disposition_filename(text));
        pcfmcp__free(text);
    }
    return 0;
}
