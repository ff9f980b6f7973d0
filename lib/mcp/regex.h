/* ECMA-262 regular expressions (JSON Schema "pattern", "patternProperties")
 * on PCRE2.
 *
 * JSON Schema patterns are ECMA-262 with Unicode ("u" flag) semantics. PCRE2
 * matches them once a thin rewrite has closed the few gaps between the two
 * dialects: "." never matches a line terminator, \s is ECMA-262's White_Space
 * and line terminators, \v is U+000B, surrogate pairs written as two \u
 * escapes are one code point, \p{Letter} / \p{gc=Lu} / \p{Script=Greek}
 * spell properties the way PCRE2 does, "{" that starts no quantifier is a
 * literal, and a "[" inside a class is a literal (no POSIX classes). What
 * ECMA-262 refuses is refused too (inline flags, possessive quantifiers,
 * escapes such as \e or \Q, PCRE2's verbs), so a pattern means here what it
 * means to an ECMAScript client. \d, \w and \b stay ASCII, as in ECMA-262:
 * PCRE2_UCP would make them Unicode-aware, so it is not set.
 *
 * Matching is bounded: a pattern that needs more than the match, depth or
 * heap limits on some subject reports that instead of running on. */
#ifndef PCFMCP_MCP_REGEX_H
#define PCFMCP_MCP_REGEX_H

#include <stddef.h>

#include "core/buf.h"
#include "core/internal.h"

/* Backtracking steps, nested backtracking frames and heap (KiB) one match
 * may use before it gives up with PCFMCP__REGEX_LIMIT. */
#define PCFMCP__REGEX_MATCH_LIMIT 1000000
#define PCFMCP__REGEX_DEPTH_LIMIT 10000
#define PCFMCP__REGEX_HEAP_KIB 4096

typedef struct pcfmcp__regex pcfmcp__regex;

/* Match results besides 1 (match) and 0 (no match). */
enum { PCFMCP__REGEX_NOMEM = -1, PCFMCP__REGEX_LIMIT = -2 };

/* Compiles the ECMA-262 pattern @p src (@p len bytes of UTF-8). Returns
 * PCFMCP_OK, PCFMCP_ERR_NOMEM, or PCFMCP_ERR_INVALID_ARG with the reason in
 * @p why (a sentence without a final period) and its byte offset in the
 * source in *at. */
pcfmcp_error_t pcfmcp__regex_compile(const char *src, size_t len, pcfmcp__regex **out,
                                     char *why, size_t why_len, size_t *at);

/* 1 if @p s (@p n bytes) contains a match, 0 if not or if @p s is not
 * UTF-8, PCFMCP__REGEX_LIMIT when a limit was reached first,
 * PCFMCP__REGEX_NOMEM. Safe to call from several threads at once. */
int pcfmcp__regex_match(const pcfmcp__regex *re, const char *s, size_t n);

void pcfmcp__regex_free(pcfmcp__regex *re);

/* The PCRE2 pattern an ECMA-262 pattern is rewritten into (for tests).
 * Returns PCFMCP_OK or PCFMCP_ERR_INVALID_ARG with a static reason in *why
 * and its offset in *at; appends to @p out (check pcfmcp__buf_ok). */
pcfmcp_error_t pcfmcp__regex_translate(const char *src, size_t len, pcfmcp__buf *out,
                                       const char **why, size_t *at);

#endif
