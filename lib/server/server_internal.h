/* The server object and the seams where transports, the PCF toolset and the
 * hardening primitives plug in. */
#ifndef PCFMCP_SERVER_INTERNAL_H
#define PCFMCP_SERVER_INTERNAL_H

#include <pthread.h>
#include <stdatomic.h>

#include <pcfmcp/config.h>
#include <pcfmcp/engine.h>
#include <pcfmcp/auth.h>
#include <pcfmcp/http.h>
#include <pcfmcp/log.h>
#include <pcfmcp/pcf.h>
#include <pcfmcp/server.h>
#include <pcfmcp/stdio.h>

#include "core/internal.h"

struct pcfmcp_server {
    pcfmcp_config_t *config;
    pcfmcp_logger_t *log;
    pcfmcp_engine_t *engine;
    pcfmcp_stdio_t *stdio;
    char stdio_identity[96];
    atomic_bool stopping;
    bool global_init;
    struct pcfmcp__server_parts *parts; /* components.c */
    struct pcfmcp__guards *guards;      /* guards.c */
    int stdio_in, stdio_out;            /* 0 and 1 unless a test says otherwise */
    pthread_mutex_t reload_lock;        /* one reload at a time */
};

/* components.c: everything beyond engine and stdio. */
pcfmcp_error_t pcfmcp__server_setup_components(pcfmcp_server_t *s);
void pcfmcp__server_teardown_components(pcfmcp_server_t *s);
pcfmcp_error_t pcfmcp__server_run_transport(pcfmcp_server_t *s, const char *transport);
void pcfmcp__server_stop_transport(pcfmcp_server_t *s);
/* Frees what setup built once the engine that borrows it is gone. */
void pcfmcp__server_release_parts(pcfmcp_server_t *s);
/* 1 when the server's PCF credential was accepted recently (/readyz);
 * otherwise 0 with the reason in @p why. Never waits on PCF. */
int pcfmcp__server_pcf_ready(pcfmcp_server_t *s, char *why, size_t n);
/* The same for metrics: @p up 1/0 and when the last PCF check ended (Unix
 * ms, 0 before the first). */
void pcfmcp__server_pcf_status(pcfmcp_server_t *s, int *up, uint64_t *checked_at_wall_ms);
/* The PCF account a caller acts as (email or token fingerprint), for audit. */
void pcfmcp__server_pcf_user(pcfmcp_server_t *s, const char *identity, char *out, size_t n);
pcfmcp_error_t pcfmcp__server_reload_components(pcfmcp_server_t *s, const pcfmcp_config_t *cfg);

/* components.c: the builders shared by pcfmcp_server_new() and the
 * configuration check (validate.c), so both refuse the same. On a
 * configuration fault each returns PCFMCP_ERR_CONFIG with the offending key
 * in *key and the reason in @p why; @p log may be NULL. */
/* The PCF client from pcf.* (*out NULL when pcf.url is unset). */
pcfmcp_error_t pcfmcp__server_build_pcf(const pcfmcp_config_t *c, pcfmcp_logger_t *log,
                                        pcfmcp_pcf_t **out, const char **key, char *why,
                                        size_t n);
/* The HTTP authenticator from auth.* (*out NULL when none is configured). */
pcfmcp_error_t pcfmcp__server_build_auth(const pcfmcp_config_t *c, pcfmcp_logger_t *log,
                                         pcfmcp_auth_t **out, const char **key, char *why,
                                         size_t n);
/* Applies server.* to @p h with @p a (may be NULL) as its authenticator;
 * @p auth_ud is handed to the authenticator hook. */
pcfmcp_error_t pcfmcp__server_http_settings(const pcfmcp_config_t *c, pcfmcp_http_t *h,
                                            pcfmcp_auth_t *a, void *auth_ud,
                                            pcfmcp_logger_t *log, const char **key, char *why,
                                            size_t n);

/* validate.c: the one list of what a configuration must satisfy before a
 * server is built; pcfmcp_server_new() and pcfmcp_server_check_config()
 * both run it. One line per problem, each "<origin>: <key>: <why>". */
pcfmcp_error_t pcfmcp__server_validate(const pcfmcp_config_t *c, char **errors);

/* transport_http.c: installs the hardening layer's hooks on an HTTP
 * transport (admission, client address, observer, /metrics, /readyz, TLS
 * expiry metric). @p h must outlive the server's serving. */
void pcfmcp__server_http_hooks(pcfmcp_server_t *s, pcfmcp_http_t *h);

#endif
