#include "core/internal.h"

#include <pwd.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "server/server_internal.h"

/* The stdio client is whoever started us: name the local account so logs
 * and audit records say who acted. */
static void local_identity(pcfmcp_server_t *s)
{
    struct passwd pw, *res = NULL;
    char buf[1024];
    if (getpwuid_r(getuid(), &pw, buf, sizeof(buf), &res) == 0 && res)
        snprintf(s->stdio_identity, sizeof(s->stdio_identity), "local:%s", res->pw_name);
    else
        snprintf(s->stdio_identity, sizeof(s->stdio_identity), "local:uid-%u", (unsigned)getuid());
}

pcfmcp_error_t pcfmcp__server_setup_components(pcfmcp_server_t *s)
{
    local_identity(s);
    return PCFMCP_OK;
}

void pcfmcp__server_teardown_components(pcfmcp_server_t *s)
{
    pcfmcp__server_free_http(s);
}

pcfmcp_error_t pcfmcp__server_run_transport(pcfmcp_server_t *s, const char *transport)
{
    if (strcmp(transport, "http") == 0)
        return pcfmcp__server_run_http(s);
    snprintf(s->errmsg, sizeof(s->errmsg), "transport \"%s\" is not available in this build",
             transport);
    return PCFMCP_ERR_UNSUPPORTED;
}

void pcfmcp__server_stop_transport(pcfmcp_server_t *s)
{
    pcfmcp__server_stop_http(s);
}

pcfmcp_error_t pcfmcp__server_reload_components(pcfmcp_server_t *s, const pcfmcp_config_t *cfg)
{
    (void)cfg;
    return pcfmcp__server_reload_http(s);
}
