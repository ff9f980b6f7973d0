/**
 * @file identity.h
 * @brief Per-person PCF credentials: which PCF account acts for which MCP caller.
 *
 * By default every MCP caller works in PCF with the server's own
 * credentials. An identity map gives callers their own PCF account instead,
 * so PCF's permissions and history apply per person. Keys are the
 * identities pcfmcp_auth_check() produces (`key:<name>`, `jwt:<sub>`).
 *
 * The map is a YAML file; it holds secrets, so it should be mode 0600 (a
 * group- or world-readable file is loaded with a warning):
 * @code
 * identities:
 *   - identity: "key:alice"               # exactly as pcfmcp_auth_check() writes it
 *     token_file: /run/secrets/alice-pcf-token
 *   - identity: "jwt:248289761001"
 *     email: bob@example.com              # or email_file
 *     password_file: /run/secrets/bob-pcf-password   # or password (discouraged)
 * @endcode
 * Each entry needs a token (`token` or `token_file`), or an email and a
 * password (each inline or `*_file`), or both. Inline secrets work but
 * belong in files. A `*_file` holds the value alone (trailing newline
 * removed, at most 64 KiB); relative paths start at the map file's
 * directory. Unknown fields, duplicate identities, a value given both
 * inline and as a file, empty values and control characters are errors.
 * Files are read at load time: a reload picks up rotated secrets. An
 * identity with neither the `key:` nor the `jwt:` prefix draws a warning,
 * since no authenticated caller can match it.
 *
 * Every token and password is registered with the logger for redaction.
 *
 * Thread safety: every function may be called from any thread at any time.
 * A reload parses and validates the whole file, then swaps the map at once;
 * lookups never wait for it, and a failed reload keeps the old map.
 */
#ifndef PCFMCP_IDENTITY_H
#define PCFMCP_IDENTITY_H

#include <pcfmcp/common.h>
#include <pcfmcp/log.h>

PCFMCP_BEGIN_DECLS

/** A map from MCP identity to PCF credentials. Opaque; safe to share between threads. */
typedef struct pcfmcp_identity_map pcfmcp_identity_map_t;

/** One identity's PCF credentials: a private copy, wiped when freed. Opaque. */
typedef struct pcfmcp_credentials pcfmcp_credentials_t;

/**
 * Creates an empty map. Lookups fall back to the server credential until
 * pcfmcp_identity_map_set_require_mapping() says otherwise.
 * @param[out] out the new map, freed with pcfmcp_identity_map_free()
 * @param logger receives load warnings and the secrets to redact; NULL for
 *               none. A reference is kept.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_identity_map_new(pcfmcp_identity_map_t **out,
                                                  pcfmcp_logger_t *logger);

/** Frees @p map (wiping its secrets). No other thread may still use it. NULL does nothing. */
PCFMCP_API void pcfmcp_identity_map_free(pcfmcp_identity_map_t *map);

/**
 * Why this thread's last failed load on @p map failed, one problem per line,
 * each naming `file:line`. Never NULL; "no error" when this thread's last
 * failure was not on @p map. Valid until this thread's next failed call (see
 * "Error detail" in common.h).
 */
PCFMCP_API const char *pcfmcp_identity_map_errmsg(const pcfmcp_identity_map_t *map);

/**
 * Loads (or reloads) the map file at @p path and swaps it in.
 *
 * On any error nothing changes. Files over 1 MiB or with more than 10000
 * identities are refused with PCFMCP_ERR_LIMIT.
 * @param map the map
 * @param path the YAML file; NULL empties the map
 * @param[out] out_count number of identities now mapped; may be NULL
 * @return PCFMCP_ERR_IO if the map cannot be read, PCFMCP_ERR_CONFIG for
 *         any problem in it or in a file it names
 */
PCFMCP_API pcfmcp_error_t pcfmcp_identity_map_load(pcfmcp_identity_map_t *map, const char *path,
                                                   size_t *out_count);

/**
 * Policy for identities without an entry: @p require nonzero refuses them
 * (lookup returns PCFMCP_ERR_DENIED); zero lets them use the server's own
 * credential (lookup returns PCFMCP_ERR_NOT_FOUND). Default: 0.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_identity_map_set_require_mapping(pcfmcp_identity_map_t *map,
                                                                  int require);

/** The policy set by pcfmcp_identity_map_set_require_mapping(): 1 or 0 (0 for NULL). */
PCFMCP_API int pcfmcp_identity_map_require_mapping(const pcfmcp_identity_map_t *map);

/** Number of identities in the current map (0 for NULL). */
PCFMCP_API size_t pcfmcp_identity_map_count(const pcfmcp_identity_map_t *map);

/**
 * Counts successful loads, starting at 0. Whoever caches something per
 * identity (a PCF client) rebuilds it when this changes.
 */
PCFMCP_API unsigned long pcfmcp_identity_map_generation(const pcfmcp_identity_map_t *map);

/**
 * Finds the credentials of @p identity.
 * @param map      the map
 * @param identity as pcfmcp_auth_check() wrote it
 * @param[out] out a copy, freed (and wiped) with pcfmcp_credentials_free()
 * @return PCFMCP_OK; PCFMCP_ERR_NOT_FOUND when @p identity has no entry and
 *         the server credential may be used; PCFMCP_ERR_DENIED when it has
 *         none and a mapping is required; PCFMCP_ERR_NOMEM
 */
PCFMCP_API pcfmcp_error_t pcfmcp_identity_map_lookup(const pcfmcp_identity_map_t *map,
                                                     const char *identity,
                                                     pcfmcp_credentials_t **out);

/** The PCF access token, or NULL when the entry has none. Valid until the credentials are freed. */
PCFMCP_API const char *pcfmcp_credentials_token(const pcfmcp_credentials_t *creds);

/** The PCF login email, or NULL. Valid until the credentials are freed. */
PCFMCP_API const char *pcfmcp_credentials_email(const pcfmcp_credentials_t *creds);

/** The PCF login password, or NULL. Valid until the credentials are freed. */
PCFMCP_API const char *pcfmcp_credentials_password(const pcfmcp_credentials_t *creds);

/** Wipes and frees @p creds. NULL does nothing. */
PCFMCP_API void pcfmcp_credentials_free(pcfmcp_credentials_t *creds);

PCFMCP_END_DECLS

#endif /* PCFMCP_IDENTITY_H */
