/* RFC 6570 URI templates for MCP resource templates
 * ("pcf://projects/{project_id}/hosts/{host_id}"), both directions:
 * matching a concrete URI to recover the variables, and expansion.
 *
 * Expressions: {var} (level 1), {+var} and {#var} (level 2), and {?x,y}
 * (form-style query, level 3) as the last part of a template. Other level 3
 * and level 4 forms ({/x}, {.x}, {;x}, {&x}, {x,y}, {x:3}, {x*}) are
 * rejected when parsing.
 *
 * Matching rules: literal text must match byte for byte; {var} takes one or
 * more characters other than '/', '?', '#' and '&'; {+var} also takes '/'
 * and the other reserved characters but stays inside its URI component (no
 * '?' before the query starts, never '#'); {#var} is an optional "#..."
 * tail; {?x,y} is an optional "?x=1&y=2" tail whose names must be declared
 * and appear at most once, in any order. Values are percent-decoded and must
 * decode to UTF-8 without NUL. When several splits fit ({+a}/{b} against
 * "x/y/z"), earlier variables take as much as they can. */
#ifndef PCFMCP_MCP_URITEMPLATE_H
#define PCFMCP_MCP_URITEMPLATE_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#define PCFMCP__URITEMPLATE_MAX_LEN 2048  /* bytes of a template */
#define PCFMCP__URITEMPLATE_MAX_VARS 16   /* variables per template */
#define PCFMCP__URITEMPLATE_MAX_URI 8192  /* longer URIs never match */

typedef struct pcfmcp__uritemplate pcfmcp__uritemplate;

/* Parses @p tmpl. Returns PCFMCP_OK, PCFMCP_ERR_INVALID_ARG for a malformed
 * or unsupported template, PCFMCP_ERR_LIMIT past the bounds above, or
 * PCFMCP_ERR_NOMEM. On failure *err (if @p err is not NULL) receives a
 * message such as "unclosed '{' at offset 12" (free with pcfmcp__free), or
 * NULL if it could not be allocated. */
int pcfmcp__uritemplate_parse(const char *tmpl, pcfmcp__uritemplate **out, char **err);

/* True if @p uri matches; *vars (if @p vars is not NULL) then receives an
 * object {name: decoded value} of the variables present (query and fragment
 * variables may be absent), to free with cJSON_Delete. False on mismatch and
 * when memory runs out. Safe to call concurrently on one template. */
bool pcfmcp__uritemplate_match(const pcfmcp__uritemplate *t, const char *uri, cJSON **vars);

/* Variables in order of first appearance; names stay valid until free. */
size_t pcfmcp__uritemplate_var_count(const pcfmcp__uritemplate *t);
const char *pcfmcp__uritemplate_var_name(const pcfmcp__uritemplate *t, size_t i);

/* Fills the template from @p vars (an object, or NULL): strings as they are,
 * numbers and booleans in their JSON spelling; null or missing members are
 * undefined (RFC 6570: expand to nothing). {var} and {?x} percent-encode
 * everything except unreserved characters; {+var} and {#var} also keep
 * reserved characters and existing %XX escapes. Returns a string to free
 * with pcfmcp__free, or NULL when a value is an array or object or memory
 * runs out. */
char *pcfmcp__uritemplate_expand(const pcfmcp__uritemplate *t, const cJSON *vars);

void pcfmcp__uritemplate_free(pcfmcp__uritemplate *t);

#endif
