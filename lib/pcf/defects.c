/* What the client knows about PCF's own defects: which API v1 routes answer
 * HTTP 500 on which versions and why, which of them leave PCF hung, and the
 * write after which PCF stopped answering (so a later timeout can say so
 * instead of a bare "timed out"). docs/pcf-api/API.md §1.2 lists the same
 * defects with the captures that show them. */
#include "core/internal.h"

#include <stdio.h>
#include <string.h>
#include <time.h>

#include "core/util.h"
#include "pcf/impl.h"

/* Commit 3e415b6 (2023-03-17) gave PCF's issue methods CVSS-vector
 * parameters; API v1 still calls them with the old positional list. */
#define SINCE_3E415B6 "on PCF since commit 3e415b6 (March 2023; the current release 6c83154 included)"

static const struct {
    pcfmcp__pcf_op op;
    bool hangs;
    const char *why;
} known_500[] = {
    { PCFMCP__PCF_OP_ISSUE_CREATE, true,
      "a known PCF defect " SINCE_3E415B6 ": API v1 issues/create calls PCF's database with an "
      "outdated argument list and leaves the database locked, so PCF stops answering until it "
      "is restarted. Restart PCF, check whether the issue exists, and write issues through the "
      "web session (pcf.email and pcf.password, pcf.allow_api_issue_writes off)" },
    { PCFMCP__PCF_OP_ISSUE_UPDATE, false,
      "a known PCF defect " SINCE_3E415B6 ": API v1 issues/<id>/edit calls PCF's database with "
      "too few arguments, so nothing was changed. Write issues through the web session "
      "(pcf.email and pcf.password, pcf.allow_api_issue_writes off)" },
    { PCFMCP__PCF_OP_RULES_USE, false,
      "a known PCF defect " SINCE_3E415B6 ": API v1 issues/rules/use fails as soon as a rule "
      "matches an issue (it calls PCF's database with too few arguments), so no issue was "
      "changed. Apply the rules in PCF's web UI instead: the project's Issues page, \"Use "
      "rules\" (/project/<project id>/issues/rules)" },
    { PCFMCP__PCF_OP_TEAM_USER_DELETE, false,
      "a known PCF defect of 6c83154: team/<id>/users/delete calls a database method that does "
      "not exist, so the member was not removed. Remove the member in PCF's web UI" },
};

const char *pcfmcp__pcf_known_500(pcfmcp__pcf_op op)
{
    for (size_t i = 0; i < PCFMCP_ARRAY_LEN(known_500); i++)
        if (known_500[i].op == op)
            return known_500[i].why;
    return NULL;
}

bool pcfmcp__pcf_op_hangs_pcf(pcfmcp__pcf_op op)
{
    for (size_t i = 0; i < PCFMCP_ARRAY_LEN(known_500); i++)
        if (known_500[i].op == op)
            return known_500[i].hangs;
    return false;
}

int pcfmcp__pcf_channel(const pcfmcp_pcf_t *pcf, int choice)
{
    /* pcf.allow_api_issue_writes alone is enough to write issues through
     * API v1: it moves the default, an explicit pcf.channels choice wins. */
    if (choice == PCF_CHOICE_ISSUES_WRITE && !pcf->channel_set[choice] &&
        pcf->allow_api_issue_writes)
        return PCF_CH_API;
    return pcf->channel[choice];
}

/* ------------------------------------------------------------------ hung PCF */

void pcfmcp__pcf_hung_mark(pcfmcp_pcf_t *pcf, const char *label, const char *what, bool known)
{
    pcf_shared *s = pcf->shared;
    pthread_mutex_lock(&s->pool_lock);
    snprintf(s->hung_label, sizeof(s->hung_label), "%s", label);
    snprintf(s->hung_what, sizeof(s->hung_what), "%s", what);
    s->hung_since = (int64_t)(pcfmcp__wall_ms() / 1000);
    s->hung_known = known;
    pthread_mutex_unlock(&s->pool_lock);
    PCFMCP_LOG(pcf->log, PCFMCP_LOG_WARN, "pcf",
               "%s %s%s; later calls that time out will say PCF appears hung since then",
               label, what, known ? " (a write known to hang PCF)" : "");
}

void pcfmcp__pcf_hung_clear(pcfmcp_pcf_t *pcf)
{
    pcf_shared *s = pcf->shared;
    pthread_mutex_lock(&s->pool_lock);
    bool was = s->hung_since != 0;
    s->hung_since = 0;
    pthread_mutex_unlock(&s->pool_lock);
    if (was)
        PCFMCP_LOG(pcf->log, PCFMCP_LOG_INFO, "pcf", "PCF answers again");
}

bool pcfmcp__pcf_hung_hint(pcfmcp_pcf_t *pcf, char *out, size_t n)
{
    pcf_shared *s = pcf->shared;
    char label[48], what[48];
    pthread_mutex_lock(&s->pool_lock);
    int64_t since = s->hung_since;
    bool known = s->hung_known;
    memcpy(label, s->hung_label, sizeof(label));
    memcpy(what, s->hung_what, sizeof(what));
    pthread_mutex_unlock(&s->pool_lock);
    if (!since || n == 0)
        return false;
    time_t t = (time_t)since;
    struct tm tm;
    char when[32] = "?";
    if (gmtime_r(&t, &tm))
        strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
    snprintf(out, n,
             " PCF appears hung since the write %s at %s (it %s%s): restart PCF if it does not "
             "recover.",
             label, when, what, known ? "; a write known to leave PCF's database locked" : "");
    return true;
}
