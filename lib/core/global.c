#include "core/internal.h"

#include <pthread.h>

#include <cjson/cJSON.h>
#include <curl/curl.h>
#include <gnutls/gnutls.h>

#include "core/alloc.h"

/* libcurl's and GnuTLS's global set-up is not thread-safe in every version,
 * so a mutex serialises the reference count and the calls it guards. */
static pthread_mutex_t global_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned global_refs;

PCFMCP_API pcfmcp_error_t pcfmcp_global_init(void)
{
    pcfmcp_error_t rc = PCFMCP_OK;
    pthread_mutex_lock(&global_lock);
    if (global_refs == 0) {
        /* cJSON allocates through our hooks so the OOM sweep covers it too. */
        cJSON_Hooks hooks = { .malloc_fn = pcfmcp__malloc, .free_fn = pcfmcp__free };
        cJSON_InitHooks(&hooks);
        if (gnutls_global_init() < 0) {
            rc = PCFMCP_ERR_TLS;
        } else if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
            gnutls_global_deinit();
            rc = PCFMCP_ERR_NOMEM;
        }
    }
    if (rc == PCFMCP_OK)
        global_refs++;
    pthread_mutex_unlock(&global_lock);
    return rc;
}

PCFMCP_API void pcfmcp_global_cleanup(void)
{
    pthread_mutex_lock(&global_lock);
    if (global_refs > 0 && --global_refs == 0) {
        curl_global_cleanup();
        gnutls_global_deinit();
    }
    pthread_mutex_unlock(&global_lock);
}
