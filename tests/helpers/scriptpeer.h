/* A scripted HTTP/1.1 server on 127.0.0.1 for the tests and fuzz targets
 * that drive a client of ours (the PCF client): it plays the peer, answering
 * exactly what the script says. Each request is matched against the
 * scripted answers; the first unused answer whose method and path suffix fit
 * is sent, with a correct Content-Length and "Connection: close" (the framing
 * is ours, so a bad script cannot leave the client waiting), then the
 * connection closes. A request that no answer fits gets the connection
 * closed without a word. One connection at a time. */
#ifndef PCFMCP_TESTS_HELPERS_SCRIPTPEER_H
#define PCFMCP_TESTS_HELPERS_SCRIPTPEER_H

#include <stddef.h>

typedef struct {
    const char *method; /* "GET", "POST"; NULL or "" fits any */
    size_t method_len;
    const char *suffix; /* the request path (without query) must end with it */
    size_t suffix_len;
    int status;         /* clamped to 200..599 */
    const char *head;   /* header lines ("Name: value\n"); unsafe ones are dropped */
    size_t head_len;
    const char *body;
    size_t body_len;
} peer_answer;

/* Reads a script written as text: answers, each introduced by a line
 * "%% <METHOD> <path suffix>" ("*" or nothing: any method) and made of
 * "<status>\n<header lines>\n\n<body>". @p p is at the first "%%" line.
 * The answers point into the text. Returns how many (at most @p max). */
size_t peer_parse_script(const char *p, const char *end, peer_answer *out, size_t max);
/* An input that drives a client against the peer: a line "<name> [<flags>]"
 * (flags a decimal number, default 3), a line of call arguments (JSON, may
 * be empty), anything else, then the script (from the first "%%" line). */
typedef struct {
    const char *name;
    size_t name_len;
    unsigned flags;
    const char *args; /* the arguments line, without its newline */
    size_t args_len;
    const char *script, *end;
} peer_input;

void peer_split_input(const char *p, const char *end, peer_input *in);
/* Starts the server once; returns its port. */
unsigned peer_start(void);
/* Starts the server once on a Linux abstract Unix socket instead of TCP, for
 * the fuzz targets: no handshake, no TIME_WAIT, so far more requests per
 * second. Returns its name (without the leading NUL), for
 * pcfmcp__pcf_set_abstract_socket(); the URL's host then only names the site. */
const char *peer_start_unix(void);
/* Replaces the script (copied), once the connection being served is closed. */
void peer_script(const peer_answer *answers, size_t n);
/* How many requests were answered / refused since the last peer_script(). */
size_t peer_answered(void);
size_t peer_refused(void);

#endif
