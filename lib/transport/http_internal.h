/* Internals of the Streamable HTTP transport shared by http.c, http_tls.c
 * and http_util.c (and the unit tests of the pure helpers). */
#ifndef PCFMCP_TRANSPORT_HTTP_INTERNAL_H
#define PCFMCP_TRANSPORT_HTTP_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>

#include <pcfmcp/http.h>

#include "core/buf.h"
#include "core/internal.h"
#include "hardening/store.h"

/* ------------------------------------------------------------------ http.c */

/* Session ids start with the store's replica tag, and a request for a
 * session of another live replica is answered 421 (sticky routing
 * needed). NULL: neither. Set before pcfmcp_http_start(). */
void pcfmcp__http_set_store(pcfmcp_http_t *h, pcfmcp__store *st);

/* ------------------------------------------------------------- http_util.c */

/* Whether an Accept header admits @p type ("application/json"); NULL or
 * empty Accept admits nothing. Wildcards and q=0 are honoured. */
bool pcfmcp__http_accepts(const char *accept, const char *type);
/* Whether Accept-Encoding admits gzip. */
bool pcfmcp__http_accepts_gzip(const char *accept_encoding);
/* gzip-compresses @p in. Returns a pcfmcp__malloc'd buffer or NULL. */
char *pcfmcp__http_gzip(const char *in, size_t len, size_t *out_len);
/* The compressed form of a shared answer body, computed once and sent with
 * any message around it: raw deflate ending on a byte boundary without a
 * final block, plus the CRC-32 and length of the bytes it holds. */
typedef struct {
    char *z;
    size_t zlen;
    unsigned long crc;
    size_t len;
} pcfmcp__gz_part;
/* (A pcfmcp__gz_part *, typed for pcfmcp__blob_derive.) */
void *pcfmcp__http_gz_part_new(const char *data, size_t len);
void pcfmcp__http_gz_part_free(void *part);
/* One gzip member for @p head + the part's bytes + @p tail, without
 * compressing anything again: @p pre gets the gzip header and @p head as
 * stored deflate blocks, @p post @p tail as the final stored block and the
 * trailer (CRC-32 combined, length). Sent as pre, part->z, post. */
bool pcfmcp__http_gz_frame(const char *head, size_t hlen, const pcfmcp__gz_part *part,
                           const char *tail, size_t tlen, pcfmcp__buf *pre, pcfmcp__buf *post);
/* Whether a Content-Type is application/json (parameters ignored). */
bool pcfmcp__http_is_json_type(const char *content_type);

/* Splits "scheme://host[:port]" (an Origin) into its parts. */
bool pcfmcp__http_parse_origin(const char *origin, char *scheme, size_t scheme_size, char *host,
                               size_t host_size, int *port);
/* Splits a Host header ("name", "name:port", "[v6]:port"). port -1 if absent. */
bool pcfmcp__http_parse_host(const char *hosthdr, char *host, size_t host_size, int *port);
bool pcfmcp__http_is_loopback_name(const char *host);
/* Matches @p value against a comma-separated allow-list where an entry may
 * end in ":*" (any port). Case-insensitive. */
bool pcfmcp__http_list_match(const char *list, const char *value);

/* Decodes an Mcp-Name / Mcp-Param-* header value: plain visible ASCII, or
 * the `=?base64?...?=` sentinel form. Returns a pcfmcp__malloc'd string, or
 * NULL when the value is malformed. */
char *pcfmcp__http_header_decode(const char *value, size_t *out_len);

/* ------------------------------------------------------------ http_admit.c */

/* Session slots: the global cap and each caller's share (see the file). */
typedef struct pcfmcp__http_slots pcfmcp__http_slots;
typedef enum {
    PCFMCP__SLOT_OK = 0,
    PCFMCP__SLOT_FULL,        /* the server holds total_max sessions */
    PCFMCP__SLOT_CALLER_FULL, /* this caller holds per_key_max */
    PCFMCP__SLOT_NOMEM
} pcfmcp__http_slot_verdict;
pcfmcp__http_slots *pcfmcp__http_slots_new(void);
void pcfmcp__http_slots_free(pcfmcp__http_slots *t);
/* Takes a slot for @p key unless the total is at @p total_max or @p key
 * holds @p per_key_max (0 = no per-key cap). */
pcfmcp__http_slot_verdict pcfmcp__http_slots_take(pcfmcp__http_slots *t, const char *key,
                                                  unsigned long long total_max,
                                                  unsigned long long per_key_max);
/* Gives back one slot of @p key taken earlier. */
void pcfmcp__http_slots_give(pcfmcp__http_slots *t, const char *key);
unsigned long long pcfmcp__http_slots_total(pcfmcp__http_slots *t);

/* One request header field line as libmicrohttpd parsed it (borrowed). */
typedef struct {
    const char *name;
    size_t name_len;
    const char *value;
    size_t value_len;
} pcfmcp__http_header;

/* The one check every request's headers pass before anything reads them:
 * field names are tokens; Host, Content-Length, Transfer-Encoding,
 * Authorization and the MCP headers appear at most once; Content-Length is
 * digits, Transfer-Encoding only "chunked" and never with Content-Length;
 * HTTP/1.1 needs a well-formed Host. Behind a proxy a request it reads one
 * way and we another is how requests get smuggled. Returns NULL when the
 * request may go on, else why it may not (static text). */
const char *pcfmcp__http_check_headers(const pcfmcp__http_header *headers, size_t n, bool http11);

/* Access-Control-Allow-Headers for a preflight: the MCP headers, plus each
 * well-formed Mcp-Param-* name the preflight's Access-Control-Request-Headers
 * (@p requested, may be NULL) asks for. pcfmcp__malloc'd, NULL without memory. */
char *pcfmcp__http_cors_allow_headers(const char *requested);

/* ------------------------------------------------------------------ http.c */

/* What pcfmcp_http_start() would refuse before binding, without binding:
 * the listen address, the rule against serving a non-loopback address
 * without authentication (PCFMCP_ERR_DENIED), and the TLS files, loaded
 * into a scratch store (PCFMCP_ERR_TLS). pcfmcp_http_errmsg() says why. */
pcfmcp_error_t pcfmcp__http_preflight(pcfmcp_http_t *h);

/* -------------------------------------------------------------- http_tls.c */

typedef struct pcfmcp__tls_store pcfmcp__tls_store;
pcfmcp__tls_store *pcfmcp__tls_store_new(void);
void pcfmcp__tls_store_free(pcfmcp__tls_store *ts);
/* Loads cert chain + key (+ client CA) from files. On failure the previous
 * set stays current and errbuf says why. Returns PCFMCP_OK or PCFMCP_ERR_TLS. */
pcfmcp_error_t pcfmcp__tls_store_load(pcfmcp__tls_store *ts, const char *cert_file,
                                      const char *key_file, const char *ca_file, char *errbuf,
                                      size_t errsize);
long long pcfmcp__tls_store_not_after(pcfmcp__tls_store *ts);
/* PEM text of the client CA (for the daemon to request client certificates). */
const char *pcfmcp__tls_store_ca_pem(pcfmcp__tls_store *ts);
/* Frees retired certificate sets older than @p age_ms. */
void pcfmcp__tls_store_reap(pcfmcp__tls_store *ts, unsigned long long age_ms);
/* The gnutls_certificate_retrieve_function2 for libmicrohttpd, as void* so
 * this header stays free of GnuTLS types. */
void *pcfmcp__tls_retrieve_fn(void);
/* http.c: the store serving a libmicrohttpd connection (what libmicrohttpd
 * sets as the GnuTLS session pointer). */
pcfmcp__tls_store *pcfmcp__http_tls_store_for(void *mhd_connection);
/* Verifies the client certificate of @p gnutls_session against the store's
 * CA; on success writes the subject DN. Returns 0 ok, -1 none, -2 invalid. */
int pcfmcp__tls_verify_client(pcfmcp__tls_store *ts, void *gnutls_session, char *subject,
                              size_t subject_size);

#endif
