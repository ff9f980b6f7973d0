/* API tokens: creation from email + password, renewal, check, disable. */
#include "core/internal.h"

#include <string.h>

#include "core/alloc.h"
#include "core/json.h"
#include "core/util.h"
#include "pcf/impl.h"
#include "pcf/tokens.h"

static pcfmcp_error_t dup_current(pcf_call *c, char **token, unsigned *gen, bool *have)
{
    pcfmcp_pcf_t *pcf = c->pcf;
    *have = false;
    pthread_mutex_lock(&pcf->tok_lock);
    if (pcf->token && !pcf->tok_invalid) {
        *have = true;
        *token = pcfmcp__strdup(pcf->token);
        *gen = pcf->tok_gen;
    }
    pthread_mutex_unlock(&pcf->tok_lock);
    if (*have && !*token)
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
    return PCFMCP_OK;
}

static void wipe_member(cJSON *o, const char *k)
{
    cJSON *v = cJSON_GetObjectItemCaseSensitive(o, k);
    if (cJSON_IsString(v))
        pcfmcp__secure_zero(v->valuestring, strlen(v->valuestring));
}

static pcfmcp_error_t create_token(pcf_call *c, char **token, unsigned *gen)
{
    pcfmcp_pcf_t *pcf = c->pcf;
    cJSON *args = cJSON_CreateObject();
    bool ok = args != NULL;
    pcfmcp__pcf_put_str(args, "email", pcf->email, &ok);
    pcfmcp__pcf_put_str(args, "password", pcf->password, &ok);
    pcfmcp__pcf_put_str(args, "name", "pcf-mcp", &ok);
    pcfmcp__pcf_put_num(args, "duration", (double)pcf->token_duration, &ok);
    if (!ok) {
        wipe_member(args, "password");
        cJSON_Delete(args);
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
    }
    pcfmcp_pcf_result_t *sub = NULL;
    pcfmcp_error_t rc = pcfmcp__pcf_subcall(c, PCFMCP__PCF_OP_TOKEN_CREATE, args, &sub);
    wipe_member(args, "password");
    cJSON_Delete(args);
    if (rc != PCFMCP_OK) {
        if (sub)
            pcfmcp__pcf_result_move(c->res, sub);
        pcfmcp_pcf_result_free(sub);
        return c->res->err;
    }
    const char *t = pcfmcp__json_str(sub->parsed, "access_token");
    if (!t || !pcfmcp__uuid_valid(t)) {
        pcfmcp_pcf_result_free(sub);
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_BAD_RESPONSE,
                                "PCF's create_token answer has no access_token");
    }
    char *copy = pcfmcp__strdup(t), *keep = pcfmcp__strdup(t);
    if (sub->json)
        pcfmcp__secure_zero(sub->json, sub->json_len);
    pcfmcp_pcf_result_free(sub);
    if (!copy || !keep) {
        pcfmcp__secure_free(copy);
        pcfmcp__secure_free(keep);
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_NOMEM, "out of memory");
    }
    pthread_mutex_lock(&pcf->tok_lock);
    pcfmcp__secure_free(pcf->token);
    pcf->token = keep;
    pcf->tok_invalid = false;
    pcf->tok_gen++;
    pcf->tok_expiry = (int64_t)(pcfmcp__wall_ms() / 1000) + pcf->token_duration;
    *gen = pcf->tok_gen;
    pthread_mutex_unlock(&pcf->tok_lock);
    *token = copy;
    PCFMCP_LOG(pcf->log, PCFMCP_LOG_INFO, "pcf", "created a PCF access token valid for %ld s",
               pcf->token_duration);
    return PCFMCP_OK;
}

pcfmcp_error_t pcfmcp__pcf_token_get(pcf_call *c, char **token, unsigned *gen)
{
    pcfmcp_pcf_t *pcf = c->pcf;
    bool have;
    *token = NULL;
    *gen = 0;
    pcfmcp_error_t rc = dup_current(c, token, gen, &have);
    if (rc || have)
        return rc;
    if (!pcfmcp__pcf_has_login(pcf)) {
        pthread_mutex_lock(&pcf->tok_lock);
        bool had = pcf->token != NULL;
        pthread_mutex_unlock(&pcf->tok_lock);
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_AUTH,
                                had ? "the PCF access token is no longer valid: configure a "
                                      "fresh token or pcf.email/pcf.password"
                                    : "no PCF credentials: configure pcf.token or "
                                      "pcf.email/pcf.password");
    }
    /* One creator at a time; the others find its token when they get in. */
    if ((rc = pcfmcp__pcf_lock_until(c, &pcf->renew_lock, "the token renewal")) != PCFMCP_OK)
        return rc;
    rc = dup_current(c, token, gen, &have);
    if (rc == PCFMCP_OK && !have)
        rc = create_token(c, token, gen);
    pthread_mutex_unlock(&pcf->renew_lock);
    return rc;
}

void pcfmcp__pcf_token_invalidate(pcfmcp_pcf_t *pcf, unsigned gen)
{
    pthread_mutex_lock(&pcf->tok_lock);
    if (pcf->tok_gen == gen) {
        pcf->tok_invalid = true;
        pcf->tok_expiry = 0;
    }
    pthread_mutex_unlock(&pcf->tok_lock);
}

pcfmcp_error_t pcfmcp__pcf_run_token_create(pcf_call *c)
{
    pcfmcp_error_t rc = pcfmcp__pcf_api_exec(c);
    if (rc == PCFMCP_OK) {
        const char *t = pcfmcp__json_str(c->res->parsed, "access_token");
        if (!t)
            return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_BAD_RESPONSE,
                                    "PCF's create_token answer has no access_token");
        pcfmcp__pcf_add_secret(c->pcf, t);
    }
    return rc;
}

pcfmcp_error_t pcfmcp__pcf_run_token_check(pcf_call *c)
{
    pcfmcp_error_t rc = pcfmcp__pcf_api_exec(c);
    if (rc != PCFMCP_OK)
        return rc;
    const cJSON *doc = c->res->parsed;
    double created = pcfmcp__json_num(doc, "creation_date", -1);
    double duration = pcfmcp__json_num(doc, "duration", -1);
    if (created >= 0 && duration >= 0) {
        pcfmcp_pcf_t *pcf = c->pcf;
        pthread_mutex_lock(&pcf->tok_lock);
        if (!pcf->tok_invalid)
            pcf->tok_expiry = (int64_t)created + (int64_t)duration;
        pthread_mutex_unlock(&pcf->tok_lock);
    }
    return rc;
}

pcfmcp_error_t pcfmcp__pcf_run_token_disable(pcf_call *c)
{
    pcfmcp_pcf_t *pcf = c->pcf;
    pthread_mutex_lock(&pcf->tok_lock);
    unsigned gen = pcf->tok_gen;
    pthread_mutex_unlock(&pcf->tok_lock);
    pcfmcp_error_t rc = pcfmcp__pcf_api_exec(c);
    if (rc == PCFMCP_OK)
        pcfmcp__pcf_token_invalidate(pcf, gen);
    return rc;
}

/* ------------------------------------------------------------------ public */

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_token_create(pcfmcp_pcf_t *pcf, const char *email,
                                                  const char *password, const char *name,
                                                  long duration_seconds,
                                                  pcfmcp_pcf_result_t **out)
{
    cJSON *a = cJSON_CreateObject();
    bool ok = a != NULL;
    pcfmcp__pcf_put_str(a, "email", email, &ok);
    pcfmcp__pcf_put_str(a, "password", password, &ok);
    pcfmcp__pcf_put_str(a, "name", name, &ok);
    if (duration_seconds > 0)
        pcfmcp__pcf_put_num(a, "duration", (double)duration_seconds, &ok);
    if (password && pcf)
        pcfmcp__pcf_add_secret(pcf, password);
    if (!ok) {
        cJSON_Delete(a);
        a = NULL;
    }
    pcfmcp_error_t rc = pcfmcp__pcf_public(pcf, PCFMCP__PCF_OP_TOKEN_CREATE, a, NULL, out);
    return rc;
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_token_check(pcfmcp_pcf_t *pcf, pcfmcp_pcf_result_t **out)
{
    return pcfmcp__pcf_public(pcf, PCFMCP__PCF_OP_TOKEN_CHECK, cJSON_CreateObject(), NULL, out);
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_token_disable(pcfmcp_pcf_t *pcf, pcfmcp_pcf_result_t **out)
{
    return pcfmcp__pcf_public(pcf, PCFMCP__PCF_OP_TOKEN_DISABLE, cJSON_CreateObject(), NULL,
                              out);
}

PCFMCP_API pcfmcp_error_t pcfmcp_pcf_check(pcfmcp_pcf_t *pcf, pcfmcp_pcf_result_t **out)
{
    return pcfmcp__pcf_public(pcf, PCFMCP__PCF_OP_CHECK, cJSON_CreateObject(), NULL, out);
}
