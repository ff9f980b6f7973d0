/* pcfmcp_engine_answer(): one JSON-RPC message in, its response out, with no
 * transport, emit callback or handshake for the host to write. */
#include "core/internal.h"

#include <pthread.h>
#include <string.h>

#include <pcfmcp/engine.h>

#include "core/alloc.h"

typedef struct {
    pthread_mutex_t lock;
    pthread_cond_t done_cv;
    bool done;
    char *response;
    pcfmcp_error_t rc;
} answer_state;

/* Keeps the final message; progress and log notifications tied to the
 * request have nobody to go to and are dropped. */
static void collect(const char *json, size_t len, unsigned flags, void *ud)
{
    answer_state *st = ud;
    if (!(flags & PCFMCP_EMIT_FINAL))
        return;
    pthread_mutex_lock(&st->lock);
    if (json && !st->response) {
        st->response = pcfmcp__malloc(len + 1);
        if (st->response) {
            memcpy(st->response, json, len);
            st->response[len] = '\0';
        } else {
            st->rc = PCFMCP_ERR_NOMEM;
        }
    }
    st->done = true;
    pthread_cond_broadcast(&st->done_cv);
    pthread_mutex_unlock(&st->lock);
}

PCFMCP_API pcfmcp_error_t pcfmcp_engine_answer(pcfmcp_engine_t *engine, const char *message,
                                               size_t len, char **out_response)
{
    if (!engine || !message || !out_response)
        return PCFMCP_ERR_INVALID_ARG;
    /* A stateless session acts as one whose `initialize` was answered; a
     * message that names the 2026-07-28 revision in its _meta gets it. */
    pcfmcp_session_t *s = NULL;
    pcfmcp_error_t rc = pcfmcp_session_new(&s, engine, PCFMCP_SESSION_STATELESS);
    if (rc != PCFMCP_OK)
        return rc;
    if ((rc = pcfmcp_session_set_protocol_version(s, PCFMCP_PROTOCOL_LATEST_LEGACY)) != PCFMCP_OK) {
        pcfmcp_session_free(s);
        return rc;
    }
    answer_state st = { .rc = PCFMCP_OK };
    pthread_mutex_init(&st.lock, NULL);
    pthread_cond_init(&st.done_cv, NULL);
    pcfmcp_handled_t handled = PCFMCP_HANDLED_NOTHING;
    rc = pcfmcp_engine_handle(engine, s, message, len, collect, &st, &handled);
    if (rc == PCFMCP_OK && handled == PCFMCP_HANDLED_PENDING) {
        /* Handed to a worker thread: the final emit follows from there. */
        pthread_mutex_lock(&st.lock);
        while (!st.done)
            pthread_cond_wait(&st.done_cv, &st.lock);
        pthread_mutex_unlock(&st.lock);
    }
    /* Frees the session only once its last handler has returned. */
    pcfmcp_session_free(s);
    pthread_cond_destroy(&st.done_cv);
    pthread_mutex_destroy(&st.lock);
    if (rc == PCFMCP_OK)
        rc = st.rc;
    if (rc != PCFMCP_OK) {
        pcfmcp__free(st.response);
        return rc;
    }
    *out_response = st.response;
    return PCFMCP_OK;
}
