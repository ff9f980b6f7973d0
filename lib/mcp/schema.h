/* JSON Schema (2020-12 subset) validation for tool inputs and outputs.
 *
 * The engine compiles each tool's inputSchema once at registration and then
 * validates every tools/call against it. Problems come back as text an AI
 * model can read and act on, one line per problem:
 *
 *     /ports/2/port: must be <= 65535 (got 70000)
 *     /: missing required property "project_id"
 *
 * Supported: type, properties, required, additionalProperties,
 * patternProperties, propertyNames, dependentRequired, dependentSchemas,
 * minProperties, maxProperties, items, prefixItems, contains, minContains,
 * maxContains, minItems, maxItems, uniqueItems, enum, const, minimum,
 * maximum, exclusiveMinimum, exclusiveMaximum, multipleOf, minLength,
 * maxLength, pattern, format (uuid, ipv4, ipv6, email, date-time, date, time,
 * uri, hostname; other formats are annotations), allOf, anyOf, oneOf, not,
 * if/then/else, $defs/definitions and local $ref ("#", "#/$defs/x", any
 * pointer to a subschema). Annotations and unknown keywords are ignored;
 * standard keywords this implementation cannot honour (unevaluated*,
 * $dynamicRef, draft-04 forms ...) are rejected at compile time instead of
 * being silently skipped.
 *
 * "pattern" and "patternProperties" take ECMA-262 syntax with Unicode
 * semantics (code points, "\u{...}", ASCII \d \w \b, lookaround,
 * backreferences, \p{...}), run by PCRE2 within match limits (mcp/regex.h).
 * A value whose pattern needs more than the limits is reported as such. A
 * string that is not UTF-8 matches no pattern. */
#ifndef PCFMCP_MCP_SCHEMA_H
#define PCFMCP_MCP_SCHEMA_H

#include <stdbool.h>
#include <stddef.h>

#include <cjson/cJSON.h>

#include "core/buf.h"

/* Problems reported per validation; the rest are counted in a last line. */
#define PCFMCP__SCHEMA_MAX_PROBLEMS 20
/* Compile-time bounds: nesting of subschemas, subschemas in total, entries
 * of allOf/anyOf/oneOf/prefixItems, members of properties-like keywords and
 * of required/enum, ECMA-262 pattern length, and length of a chain of
 * $ref/allOf/anyOf/oneOf/not/if/then/else hops that consumes no input. */
#define PCFMCP__SCHEMA_MAX_DEPTH 64
#define PCFMCP__SCHEMA_MAX_NODES 10000
#define PCFMCP__SCHEMA_MAX_FANOUT 64
#define PCFMCP__SCHEMA_MAX_MEMBERS 1024
#define PCFMCP__SCHEMA_MAX_PATTERN 1024
#define PCFMCP__SCHEMA_MAX_CHAIN 64
/* Validation refuses instances nested deeper than this (arrays + objects). */
#define PCFMCP__SCHEMA_MAX_INSTANCE_DEPTH 128

typedef struct pcfmcp__schema pcfmcp__schema;

/* Compiles @p schema (an object or a boolean). Returns PCFMCP_OK, or
 * PCFMCP_ERR_INVALID_ARG for a malformed or unsupported schema,
 * PCFMCP_ERR_LIMIT when a bound above is exceeded, PCFMCP_ERR_NOMEM.
 * On failure *err (if @p err is not NULL) receives "<schema pointer>:
 * <problem>" to free with pcfmcp__free, or NULL if even that could not be
 * allocated. Keeps no pointer into @p schema. */
int pcfmcp__schema_compile(const cJSON *schema, pcfmcp__schema **out, char **err);

/* Returns true if @p instance is valid. Otherwise appends one line per
 * problem ("<path>: <message>\n", at most PCFMCP__SCHEMA_MAX_PROBLEMS plus a
 * "... N more problems not shown" line) to @p errors, which may be NULL for a
 * fast yes/no answer. If memory runs out (or @p errors reaches its limit)
 * the answer is false and @p errors is left failed (pcfmcp__buf_ok() false). Safe to call from several
 * threads at once on the same compiled schema. */
bool pcfmcp__schema_validate(const pcfmcp__schema *s, const cJSON *instance,
                             pcfmcp__buf *errors);

void pcfmcp__schema_free(pcfmcp__schema *s);

#endif
