/* cJSON helpers: bounded parsing and typed field access. */
#ifndef PCFMCP_CORE_JSON_H
#define PCFMCP_CORE_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <cjson/cJSON.h>

#include "core/buf.h"

typedef enum {
    PCFMCP__JSON_OK = 0,
    PCFMCP__JSON_SYNTAX,   /* not JSON */
    PCFMCP__JSON_UTF8,     /* bytes are not UTF-8 */
    PCFMCP__JSON_DEPTH,    /* nested deeper than allowed */
    PCFMCP__JSON_NOMEM,
    PCFMCP__JSON_NUL,      /* a string holds \u0000, which C strings would cut at */
    PCFMCP__JSON_DUPLICATE /* an object names one member twice */
} pcfmcp__json_status;

/* Parses exactly @p len bytes (trailing whitespace allowed, nothing else),
 * after checking UTF-8 and nesting depth without recursion, so hostile input
 * cannot exhaust the stack or allocate a deep tree. Every peer-supplied
 * document comes through here, so this is also where a string escaping
 * U+0000 is refused: cJSON hands strings over NUL-terminated, and one would
 * silently lose everything after it (a file name, an id). Hence every parsed
 * string is exactly as long as its JSON text says. A member name given
 * twice in one object is refused too (RFC 7493): cJSON keeps the first,
 * JavaScript, Python and most proxies the last, so a request could be read
 * as another one than the one served (and RFC 7519 allows a JWT parser
 * only to refuse or keep the last). @p err_off receives the offset of a
 * syntax, encoding or NUL error. */
pcfmcp__json_status pcfmcp__json_parse(const char *s, size_t len, int max_depth, cJSON **out,
                                       size_t *err_off);
/* The same for documents from PCF, which sends NUL in strings of its own
 * (a binary PoC's "content" in the project export, beside its base64): such
 * a document is not refused, but each U+0000 becomes U+FFFD, so no string is
 * cut short silently either and the change shows. PCF's documents come
 * from Python's json, which never repeats a name: their (large) objects
 * are not searched for duplicates. */
pcfmcp__json_status pcfmcp__json_parse_marking_nul(const char *s, size_t len, int max_depth,
                                                   cJSON **out, size_t *err_off);
/* Rewrites each \u0000 escape inside the strings of JSON text @p s as
 * \ufffd, in place (same length): the text then says what
 * pcfmcp__json_parse_marking_nul() made of it. */
void pcfmcp__json_mark_nul(char *s, size_t len);
const char *pcfmcp__json_status_text(pcfmcp__json_status st);
/* Text this library wrote itself (schemas, the engine's re-serialised
 * arguments, serverInfo) is nested no deeper than cJSON's own bound. */
#define PCFMCP__JSON_OWN_DEPTH 1000
/* pcfmcp__json_parse() of a NUL-terminated text: the tree, or NULL when
 * @p text is NULL or refused. Every parse in lib/ goes through this file
 * (tests/layers/check-json-parse.sh), so one set of rules holds. */
cJSON *pcfmcp__json_parse_text(const char *text, int max_depth);


/* Typed getters: NULL / fallback when the key is absent or of another type. */
const char *pcfmcp__json_str(const cJSON *obj, const char *key);
/* True when member @p key of @p obj is a string equal to @p s; false when
 * it is absent, of another type, or @p s is NULL. The one way lib/ compares
 * a member's text: the documents are a peer's (PCF's), a member the code
 * expects can be missing or a number, and strcmp() on what
 * pcfmcp__json_str() returned would then read a NULL pointer (a crash the
 * pcfweb fuzz target found; tests/layers/check-json-compare.sh). */
bool pcfmcp__json_str_is(const cJSON *obj, const char *key, const char *s);
const cJSON *pcfmcp__json_obj(const cJSON *obj, const char *key);
const cJSON *pcfmcp__json_arr(const cJSON *obj, const char *key);
bool pcfmcp__json_bool(const cJSON *obj, const char *key, bool fallback);
double pcfmcp__json_num(const cJSON *obj, const char *key, double fallback);
/* Member @p key as an int: truncated toward zero, clamped to INT_MIN..INT_MAX,
 * @p fallback when it is no number or not finite. For numbers from a peer,
 * which a plain (int) cast would make undefined behaviour when out of range. */
int pcfmcp__json_int(const cJSON *obj, const char *key, int fallback);
/* True if @p item is a JSON number with no fractional part within +-2^53,
 * or an integer literal beyond that: pcfmcp__json_parse() keeps the text of
 * those in `valuestring`, since their double is not the number sent. */
bool pcfmcp__json_is_integer(const cJSON *item);
/* The value of @p item when it is an integer (pcfmcp__json_is_integer) that
 * fits in int64_t, exactly (literals past 2^53 are read from their digits).
 * False otherwise: no number from a peer reaches an integer conversion it
 * does not fit, which would be undefined behaviour. */
bool pcfmcp__json_int64(const cJSON *item, int64_t *out);
/* A copy of a scalar that prints exactly as it was received: an integer
 * beyond 2^53 becomes a raw node of its own digits, anything else a deep
 * copy. For ids and tokens a peer expects back unchanged. */
cJSON *pcfmcp__json_dup_exact(const cJSON *item);

/* Compact serialisation into a caller-owned string (pcfmcp__free). The
 * text is cJSON_PrintUnformatted's, byte for byte, written without its
 * intermediate buffers. */
char *pcfmcp__json_print(const cJSON *item, size_t *len);
/* Appends the compact serialisation of @p item to @p b (a reusable buffer,
 * say); false (and @p b failed) when memory ran out or @p item cannot be
 * written (an invalid node, a member without a name). */
bool pcfmcp__json_write(pcfmcp__buf *b, const cJSON *item);
/* Appends the compact serialisation of @p item to @p b. */
void pcfmcp__json_append(pcfmcp__buf *b, const cJSON *item);

/* Parses a caller-supplied JSON text that must be an object (API inputs). */
cJSON *pcfmcp__json_parse_object(const char *s, size_t len);

/* Deep-compares two JSON values (object key order ignored). */
bool pcfmcp__json_equal(const cJSON *a, const cJSON *b);



/* Builders that never leak: attach `item` to `obj` under `key` (or append
 * to an array when key is NULL). A NULL item or a failed attach returns
 * false, and the item is freed. Use `ok &= pcfmcp__json_put(...)` so every
 * call runs and one check at the end catches any failure. */
bool pcfmcp__json_put(cJSON *obj, const char *key, cJSON *item);
bool pcfmcp__json_put_str(cJSON *obj, const char *key, const char *s);
bool pcfmcp__json_put_num(cJSON *obj, const char *key, double n);
bool pcfmcp__json_put_bool(cJSON *obj, const char *key, bool b);
/* Replaces member @p key of @p obj with @p item (added when absent); on
 * failure the item is freed and false returned, @p obj keeps the old one. */
bool pcfmcp__json_replace(cJSON *obj, const char *key, cJSON *item);
#endif
