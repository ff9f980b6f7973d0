/* Per-person PCF identities (auth.identities_file): the toolset's resolver. */
#ifndef PCFMCP_SERVER_PEOPLE_H
#define PCFMCP_SERVER_PEOPLE_H

#include <stdbool.h>
#include <stddef.h>

#include <pcfmcp/config.h>
#include <pcfmcp/pcf.h>
#include <pcfmcp/server.h>

typedef struct pcfmcp__people pcfmcp__people;

/* Loads auth.identities_file (if set). @p base is the server's own client
 * (may be NULL without pcf.url): mapped identities get siblings of it. */
pcfmcp_error_t pcfmcp__people_new(pcfmcp__people **out, pcfmcp_server_t *s, pcfmcp_pcf_t *base,
                                  const pcfmcp_config_t *cfg, char *why, size_t why_len);
/* Loads auth.identities_file (if set) only to say whether
 * pcfmcp__people_new() would accept it; @p why as there. */
pcfmcp_error_t pcfmcp__people_check(const pcfmcp_config_t *cfg, char *why, size_t why_len);
/* Detaches and frees every per-person client; after the engine is gone. */
void pcfmcp__people_free(pcfmcp__people *p);
/* The client for @p identity; refusals explain themselves in @p why. */
pcfmcp_error_t pcfmcp__people_resolve(pcfmcp__people *p, const char *identity, pcfmcp_pcf_t **out,
                                      char *why, size_t why_len);
/* The PCF account @p identity acts as, if it has its own credentials. */
bool pcfmcp__people_who(pcfmcp__people *p, const char *identity, char *out, size_t n);
/* Names a PCF account without its secret: the email, else a token fingerprint. */
void pcfmcp__people_label(const char *email, const char *token, char *out, size_t n);
/* Makes SIGHUP re-read auth.identities_file with the other reloadable parts. */
pcfmcp_error_t pcfmcp__people_add_reloader(pcfmcp__people *p);

#endif
