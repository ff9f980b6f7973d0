/**
 * @file args.h
 * @brief Reading tool arguments without a JSON parser of your own.
 *
 * A tool handler (#pcfmcp_tool_cb) receives its `arguments` as JSON text,
 * already validated against the tool's inputSchema. These functions read
 * one member of such an object by name, so a host written in C needs no
 * JSON library for the common cases:
 *
 * @code
 * static pcfmcp_error_t greet(pcfmcp_ctx_t *ctx, const char *args, size_t len,
 *                             pcfmcp_result_t *result, void *userdata)
 * {
 *     char *name = NULL;
 *     long long times = 1;
 *     if (pcfmcp_args_get_string(args, len, "name", &name) != PCFMCP_OK)
 *         return pcfmcp_result_set_error(result, "name is required"), PCFMCP_ERR_INVALID_ARG;
 *     pcfmcp_args_get_int(args, len, "times", &times); // optional: keeps 1 when absent
 *     ...
 *     pcfmcp_free(name);
 * }
 * @endcode
 *
 * Each call parses @p args_json again (arguments are small); nothing is
 * kept between calls. Every function is thread-safe and writes its output
 * only on success.
 */
#ifndef PCFMCP_ARGS_H
#define PCFMCP_ARGS_H

#include <pcfmcp/common.h>

PCFMCP_BEGIN_DECLS

/**
 * Reads the string member @p name of the JSON object @p args_json.
 * @param[out] out a copy of the string (UTF-8, NUL-terminated: text after an
 *             escaped `\u0000` is not part of it), freed with pcfmcp_free()
 * @return PCFMCP_OK; PCFMCP_ERR_NOT_FOUND when the member is absent or null;
 *         PCFMCP_ERR_INVALID_ARG when it is not a string, or @p args_json is
 *         not a JSON object; PCFMCP_ERR_NOMEM.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_args_get_string(const char *args_json, size_t args_len,
                                                 const char *name, char **out);

/**
 * Reads the integer member @p name (a JSON number without a fractional
 * part, within +-2^53).
 * @return as pcfmcp_args_get_string(); PCFMCP_ERR_INVALID_ARG also for a
 *         number with a fractional part.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_args_get_int(const char *args_json, size_t args_len,
                                              const char *name, long long *out);

/** Reads the number member @p name. Returns as pcfmcp_args_get_string(). */
PCFMCP_API pcfmcp_error_t pcfmcp_args_get_number(const char *args_json, size_t args_len,
                                                 const char *name, double *out);

/** Reads the boolean member @p name into 1 or 0. Returns as pcfmcp_args_get_string(). */
PCFMCP_API pcfmcp_error_t pcfmcp_args_get_bool(const char *args_json, size_t args_len,
                                               const char *name, int *out);

/**
 * Reads any member @p name as compact JSON text (an array or object to
 * walk with these functions again, or to hand to your own parser).
 * @param[out] out freed with pcfmcp_free()
 * @return as pcfmcp_args_get_string().
 */
PCFMCP_API pcfmcp_error_t pcfmcp_args_get_json(const char *args_json, size_t args_len,
                                               const char *name, char **out);

PCFMCP_END_DECLS

#endif /* PCFMCP_ARGS_H */
