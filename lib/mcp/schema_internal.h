/* What the schema compiler, the format checks and the validator share:
 * the compiled form of a schema. Never included outside lib/mcp/schema_*.c. */
#ifndef PCFMCP_MCP_SCHEMA_INTERNAL_H
#define PCFMCP_MCP_SCHEMA_INTERNAL_H

#include <locale.h>
#include <stdbool.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "core/buf.h"
#include "core/internal.h"
#include "mcp/regex.h"
#include "mcp/schema.h"

/* ===================================================================== */
/* Compiled schema                                                        */
/* ===================================================================== */

enum { T_NULL, T_BOOLEAN, T_OBJECT, T_ARRAY, T_NUMBER, T_INTEGER, T_STRING, T_COUNT };
static const char *const type_names[T_COUNT] = { "null",   "boolean", "object", "array",
                                                  "number", "integer", "string" };

enum {
    F_NONE,
    F_UUID,
    F_IPV4,
    F_IPV6,
    F_EMAIL,
    F_DATE_TIME,
    F_DATE,
    F_TIME,
    F_URI,
    F_HOSTNAME
};

static const struct {
    const char *name;
    const char *what; /* "must be a valid <what>" */
} formats[] = {
    [F_UUID] = { "uuid", "UUID" },
    [F_IPV4] = { "ipv4", "IPv4 address" },
    [F_IPV6] = { "ipv6", "IPv6 address" },
    [F_EMAIL] = { "email", "email address" },
    [F_DATE_TIME] = { "date-time", "RFC 3339 date-time such as \"2024-01-31T23:59:00Z\"" },
    [F_DATE] = { "date", "RFC 3339 date such as \"2024-01-31\"" },
    [F_TIME] = { "time", "RFC 3339 time such as \"23:59:00Z\"" },
    [F_URI] = { "uri", "absolute URI" },
    [F_HOSTNAME] = { "hostname", "hostname" },
};

enum { HAS_MIN = 1, HAS_MAX = 2, HAS_XMIN = 4, HAS_XMAX = 8, HAS_MULT = 16 };

typedef struct node node;

typedef struct {
    char *name;
    node *schema;
} named;

typedef struct {
    char *src;
    pcfmcp__regex *re;
    node *schema; /* patternProperties only */
} pattern;

typedef struct {
    char *name;
    char **names;
    size_t n;
} dep_req;

struct node {
    int boolean; /* 1: true schema, 0: false schema, -1: object schema */
    unsigned char types[T_COUNT];
    unsigned ntypes;
    unsigned numflags;
    double minimum, maximum, xminimum, xmaximum, multiple;
    int64_t min_len, max_len, min_items, max_items, min_props, max_props;
    int64_t min_contains, max_contains;
    pattern *pat;
    int format;
    node *items;
    node **prefix;
    size_t nprefix;
    node *contains;
    bool unique;
    named *props;
    size_t nprops;
    size_t *sorted; /* indices of props sorted by name, for bsearch */
    pattern *pprops;
    size_t npprops;
    node *addl;
    char **required;
    size_t nrequired;
    node *names;
    dep_req *dreq;
    size_t ndreq;
    named *dsch;
    size_t ndsch;
    cJSON *enums;
    cJSON *konst;
    node **all, **any, **one;
    size_t nall, nany, none;
    node *not_, *if_, *then_, *else_;
    node *ref;
    char *ref_text;  /* compile time only */
    char *ref_where; /* compile time only */
    named *defs;
    size_t ndefs;
    named *definitions;
    size_t ndefinitions;
    int mark;   /* chain check: 0 new, 1 on the stack, 2 done */
    int height; /* longest chain of in-place hops below, once done */
};

struct pcfmcp__schema {
    node *root;
    node **nodes;
    size_t nnodes, cap;
    locale_t cloc; /* C locale for regcomp/regexec, (locale_t)0 without patterns */
};


/* schema_format.c: whether @p s is a valid instance of format @p f (F_*). */
bool pcfmcp__schema_format_ok(int f, const char *s);

/* schema_validate.c: appends "/" and @p s as a JSON pointer segment, cut
 * after @p max bytes, control characters as \u00XX. */
void pcfmcp__schema_put_segment(pcfmcp__buf *b, const char *s, size_t max);

/* schema_validate.c: appends @p s quoted, cut after @p max bytes. */
void pcfmcp__schema_put_quoted(pcfmcp__buf *b, const char *s, size_t max);

#endif
