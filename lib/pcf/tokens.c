/* API tokens: creation from email + password, renewal, check, disable, and
 * the life cycle of the token the client creates: kept in a state file so a
 * restart after a crash takes it over, disabled when the client is freed.
 * PCF has no route that lists a user's tokens, so a token pcf-mcp forgot
 * about would stay live for its whole duration. */
#include "core/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

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

/* ------------------------------------------------------------------ state file */

#define STATE_MAX 4096

/* The state file, if it is ours alone (a regular file of this user that
 * nobody else may read), parsed; NULL otherwise (with a log line when it
 * exists but cannot be trusted). */
static cJSON *state_read(pcfmcp_pcf_t *pcf)
{
    int fd = open(pcf->state_file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NOCTTY);
    if (fd < 0) {
        if (errno != ENOENT)
            PCFMCP_LOG(pcf->log, PCFMCP_LOG_WARN, "pcf",
                       "pcf.token_state_file %s cannot be read (%s): a new token is created",
                       pcf->state_file, strerror(errno));
        return NULL;
    }
    struct stat st;
    char buf[STATE_MAX + 1];
    ssize_t n = -1;
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid() ||
        (st.st_mode & 077) != 0) {
        PCFMCP_LOG(pcf->log, PCFMCP_LOG_WARN, "pcf",
                   "pcf.token_state_file %s is not a private file of this user (mode 0600): "
                   "its token is not reused",
                   pcf->state_file);
    } else {
        n = read(fd, buf, STATE_MAX);
    }
    close(fd);
    if (n <= 0)
        return NULL;
    buf[n] = '\0';
    cJSON *doc = pcfmcp__json_parse_object(buf, (size_t)n);
    pcfmcp__secure_zero(buf, (size_t)n);
    return doc;
}

/* Writes the token atomically (temporary file, rename), readable by this
 * user only. A failure costs only the reuse after a crash: it is logged. */
static void state_write(pcfmcp_pcf_t *pcf, const char *token, int64_t expires)
{
    cJSON *doc = cJSON_CreateObject();
    bool ok = doc != NULL;
    pcfmcp__pcf_put_str(doc, "pcf_url", pcf->cfg.base_url, &ok);
    pcfmcp__pcf_put_str(doc, "email", pcf->email, &ok);
    pcfmcp__pcf_put_str(doc, "access_token", token, &ok);
    pcfmcp__pcf_put_num(doc, "expires", (double)expires, &ok);
    size_t len = 0;
    char *text = ok ? pcfmcp__json_print(doc, &len) : NULL;
    wipe_member(doc, "access_token");
    cJSON_Delete(doc);
    char tmp[4096];
    int e = 0;
    if (!text)
        e = ENOMEM;
    else if ((size_t)snprintf(tmp, sizeof(tmp), "%s.%ld.tmp", pcf->state_file,
                              (long)getpid()) >= sizeof(tmp))
        e = ENAMETOOLONG;
    if (!e) {
        int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, 0600);
        if (fd < 0) {
            e = errno;
        } else {
            bool wrote = fchmod(fd, 0600) == 0 && write(fd, text, len) == (ssize_t)len;
            if (!wrote)
                e = errno ? errno : EIO;
            if (close(fd) != 0 && !e)
                e = errno;
            if (!e && rename(tmp, pcf->state_file) != 0)
                e = errno;
            if (e)
                unlink(tmp);
        }
    }
    if (text) {
        pcfmcp__secure_zero(text, len);
        pcfmcp__free(text);
    }
    if (e)
        PCFMCP_LOG(pcf->log, PCFMCP_LOG_WARN, "pcf",
                   "could not keep the token in pcf.token_state_file %s (%s): after a crash it "
                   "stays live until it expires",
                   pcf->state_file, strerror(e));
}

/* Removes the state file when it still names @p token (another process may
 * have replaced it with a token of its own since). */
static void state_forget(pcfmcp_pcf_t *pcf, const char *token)
{
    cJSON *doc = state_read(pcf);
    const char *t = pcfmcp__json_str(doc, "access_token");
    if (t && strcmp(t, token) == 0 && unlink(pcf->state_file) != 0 && errno != ENOENT)
        PCFMCP_LOG(pcf->log, PCFMCP_LOG_WARN, "pcf", "could not remove %s: %s", pcf->state_file,
                   strerror(errno));
    wipe_member(doc, "access_token");
    cJSON_Delete(doc);
}

/* Makes @p token (owned) the current token, one the client created or took
 * over and so disables when freed; returns its generation. */
static unsigned install_own(pcfmcp_pcf_t *pcf, char *token, int64_t expires)
{
    pthread_mutex_lock(&pcf->tok_lock);
    pcfmcp__secure_free(pcf->token);
    pcf->token = token;
    pcf->tok_invalid = false;
    pcf->tok_ours = true;
    pcf->tok_gen++;
    pcf->tok_expiry = expires;
    unsigned gen = pcf->tok_gen;
    pthread_mutex_unlock(&pcf->tok_lock);
    return gen;
}

/* Takes over the token a previous run of this configuration created and
 * could not disable (it crashed or was killed), if it has time left. Runs
 * once per client, under renew_lock. True when *token and *gen are set. */
static bool state_adopt(pcf_call *c, char **token, unsigned *gen)
{
    pcfmcp_pcf_t *pcf = c->pcf;
    if (!pcf->state_file || pcf->state_tried)
        return false;
    pcf->state_tried = true;
    cJSON *doc = state_read(pcf);
    const char *t = pcfmcp__json_str(doc, "access_token");
    const char *url = pcfmcp__json_str(doc, "pcf_url");
    const char *email = pcfmcp__json_str(doc, "email");
    int64_t expires = 0; /* stays 0 (unusable) unless an integer that fits */
    pcfmcp__json_int64(cJSON_GetObjectItemCaseSensitive(doc, "expires"), &expires);
    int64_t now = (int64_t)(pcfmcp__wall_ms() / 1000);
    bool usable = t && pcfmcp__uuid_valid(t) && url && strcmp(url, pcf->cfg.base_url) == 0 &&
                  email && strcmp(email, pcf->email) == 0 && expires > now + 60;
    char *copy = usable ? pcfmcp__strdup(t) : NULL, *keep = usable ? pcfmcp__strdup(t) : NULL;
    wipe_member(doc, "access_token");
    cJSON_Delete(doc);
    if (!copy || !keep) {
        pcfmcp__secure_free(copy);
        pcfmcp__secure_free(keep);
        return false;
    }
    pcfmcp__pcf_add_secret(pcf, keep);
    *gen = install_own(pcf, keep, expires);
    *token = copy;
    PCFMCP_LOG(pcf->log, PCFMCP_LOG_INFO, "pcf",
               "reusing the PCF access token a previous run left in pcf.token_state_file "
               "(%lld s left)",
               (long long)(expires - now));
    return true;
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
    int64_t expires = (int64_t)(pcfmcp__wall_ms() / 1000) + pcf->token_duration;
    *gen = install_own(pcf, keep, expires);
    *token = copy;
    PCFMCP_LOG(pcf->log, PCFMCP_LOG_INFO, "pcf",
               "created a PCF access token valid for %ld s (disabled again when pcf-mcp stops)",
               pcf->token_duration);
    if (pcf->state_file)
        state_write(pcf, copy, expires);
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
        /* Without any credential PCF was never asked: saying it rejected
         * something would send the operator after the wrong problem. */
        if (!had)
            return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_UNSUPPORTED,
                                    "no PCF credentials are configured, so PCF was not asked: "
                                    "set pcf.token (environment PCF_MCP_PCF_TOKEN, or a file "
                                    "named by PCF_MCP_PCF_TOKEN_FILE), or pcf.email and "
                                    "pcf.password (PCF_MCP_PCF_EMAIL and PCF_MCP_PCF_PASSWORD)");
        return pcfmcp__pcf_fail(c->res, PCFMCP_ERR_AUTH,
                                "PCF no longer accepts the configured access token (pcf.token): "
                                "configure a fresh token, or pcf.email and pcf.password so "
                                "pcf-mcp can create its own");
    }
    /* One creator at a time; the others find its token when they get in. */
    if ((rc = pcfmcp__pcf_lock_until(c, &pcf->renew_lock, "the token renewal")) != PCFMCP_OK)
        return rc;
    rc = dup_current(c, token, gen, &have);
    if (rc == PCFMCP_OK && !have && !state_adopt(c, token, gen))
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
    /* From PCF: only times a token can have (before year 9999) are used. */
    if (created >= 0 && duration >= 0 && created < 253402300800.0 && duration < 253402300800.0) {
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

/* Disables the token this client created (or took over), so that no live
 * token outlives pcf-mcp. Bounded: at most 3 s (less with a shorter
 * pcf.total_timeout), and skipped when PCF appears hung. */
void pcfmcp__pcf_token_release(pcfmcp_pcf_t *pcf)
{
    pthread_mutex_lock(&pcf->tok_lock);
    bool live = pcf->tok_ours && pcf->token && !pcf->tok_invalid;
    char *token = live ? pcfmcp__strdup(pcf->token) : NULL;
    pthread_mutex_unlock(&pcf->tok_lock);
    if (!token)
        return;
    char hung[400];
    if (pcfmcp__pcf_hung_hint(pcf, hung, sizeof(hung))) {
        PCFMCP_LOG(pcf->log, PCFMCP_LOG_WARN, "pcf",
                   "not disabling the PCF access token pcf-mcp created:%s It expires by itself.",
                   hung);
        pcfmcp__secure_free(token);
        return;
    }
    long budget = pcf->cfg.total_ms < 3000 ? pcf->cfg.total_ms : 3000;
    pcfmcp__pcf_callctx ctx = { .deadline_ms = pcfmcp__now_ms() + (uint64_t)budget };
    pcfmcp_pcf_result_t *res = NULL;
    pcfmcp_error_t rc = pcfmcp__pcf_call(pcf, &ctx, PCFMCP__PCF_OP_TOKEN_DISABLE, NULL, &res);
    if (rc == PCFMCP_OK) {
        PCFMCP_LOG(pcf->log, PCFMCP_LOG_INFO, "pcf",
                   "disabled the PCF access token pcf-mcp created");
        if (pcf->state_file)
            state_forget(pcf, token);
    } else if (res && res->token_rejected) {
        /* Expired or gone already: nothing is left behind. */
        if (pcf->state_file)
            state_forget(pcf, token);
    } else {
        int64_t exp = pcfmcp_pcf_token_expiry(pcf);
        char when[32] = "its expiry";
        if (exp > 0)
            pcfmcp__rfc3339((uint64_t)exp * 1000, when);
        PCFMCP_LOG(pcf->log, PCFMCP_LOG_WARN, "pcf",
                   "could not disable the PCF access token pcf-mcp created (%s): it stays "
                   "live until %s%s",
                   res ? pcfmcp_pcf_result_message(res) : pcfmcp_strerror(rc), when,
                   pcf->state_file ? "; the next start reuses it" : "");
    }
    pcfmcp_pcf_result_free(res);
    pcfmcp__secure_free(token);
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
