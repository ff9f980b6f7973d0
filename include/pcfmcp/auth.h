/**
 * @file auth.h
 * @brief Authentication of MCP clients: API keys and OAuth 2.1 access tokens.
 *
 * An authenticator answers one question per HTTP request: may the holder of
 * this `Authorization` header in, and who are they? It accepts two kinds of
 * bearer credentials, alone or together:
 *
 * - **API keys**, listed in a keys file as SHA-256 hashes, each under a name
 *   that becomes the caller's identity (`key:<name>`). Format of the file:
 *   @code
 *   # pcf-mcp API keys: "<name> sha256:<64 hex digits>", one per line.
 *   # Names: 1-64 of A-Z a-z 0-9 . _ @ -, unique; so are the hashes.
 *   # Blank lines and '#' comments (also after an entry) are ignored.
 *   alice   sha256:ffd495da1c8ad726d0f411d7bd7d37b4b44efad8ef3ecbedeefaf202e81997f9
 *   ci-bot  sha256:7d470d46b921617c75472db7e62b07e0d1711f28a781e91a712f1a75f1623706  # CI
 *   @endcode
 *   The hash is pcfmcp_auth_hash_key() of the key (`pcf-mcp keys hash`):
 *   the SHA-256 of its bytes, in hex. The file holds no secret, but the
 *   keys must be long and random (pcfmcp_auth_generate_key()): a short one
 *   could be guessed from its unsalted hash.
 * - **OAuth 2.1 access tokens** (JWT, RS256 or ES256) issued by one
 *   authorization server, whose keys come from its JWKS URL or from a static
 *   JWKS. The caller's identity is `jwt:<sub>`.
 *
 * The prefixes keep the two namespaces apart: a token whose subject is
 * "alice" is not the API key named "alice".
 *
 * Thread safety: every function may be called from any thread, at any time.
 * Configuration calls (load, set) are serialised among themselves; checks
 * never wait for them. A reload parses the new configuration completely and
 * then swaps it in at once, so each check sees either the old or the new
 * configuration, never a mixture, and a failed reload keeps the old one.
 * Checks may fetch the JWKS over HTTPS, which needs pcfmcp_global_init().
 */
#ifndef PCFMCP_AUTH_H
#define PCFMCP_AUTH_H

#include <pcfmcp/common.h>
#include <pcfmcp/log.h>

PCFMCP_BEGIN_DECLS

/** An authenticator. Opaque; safe to share between threads. */
typedef struct pcfmcp_auth pcfmcp_auth_t;

/** Outcome of pcfmcp_auth_check(). Values are stable. */
typedef enum {
    PCFMCP_AUTH_ALLOW = 0,              /**< authenticated; the identity is set */
    PCFMCP_AUTH_MISSING = 1,            /**< no bearer credentials (HTTP 401) */
    PCFMCP_AUTH_INVALID = 2,            /**< unknown key, bad or foreign token (HTTP 401) */
    PCFMCP_AUTH_EXPIRED = 3,            /**< a valid token past its `exp` (HTTP 401) */
    PCFMCP_AUTH_INSUFFICIENT_SCOPE = 4, /**< a valid token without the required scopes (HTTP 403) */
    PCFMCP_AUTH_UNAVAILABLE = 5         /**< cannot decide now: no signing keys (JWKS unreachable), out of memory (HTTP 503) */
} pcfmcp_auth_verdict_t;

/** Size of an identity buffer that never makes pcfmcp_auth_check() fail (NUL included). */
#define PCFMCP_AUTH_IDENTITY_MAX 256
/** Size of a scopes buffer that never makes pcfmcp_auth_check() fail (NUL included). */
#define PCFMCP_AUTH_SCOPES_MAX 1024
/** Longest bearer credential accepted, in bytes; longer ones are INVALID. */
#define PCFMCP_AUTH_TOKEN_MAX 8192
/** Shortest key pcfmcp_auth_hash_key() accepts: shorter keys are guessable offline from their hash. */
#define PCFMCP_AUTH_KEY_MIN 16

/**
 * Creates an authenticator with nothing configured (pcfmcp_auth_enabled() is 0).
 * @param[out] out the new authenticator, freed with pcfmcp_auth_free()
 * @param logger where reloads, JWKS fetches and rejected tokens are logged;
 *               NULL for silence. A reference is kept.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_auth_new(pcfmcp_auth_t **out, pcfmcp_logger_t *logger);

/** Frees @p auth. No other thread may still be using it. NULL does nothing. */
PCFMCP_API void pcfmcp_auth_free(pcfmcp_auth_t *auth);

/**
 * Why the last failing configuration call (load, set) on @p auth failed, one
 * problem per line, each naming `file:line` where there is one. Never NULL;
 * "no error" when this thread's last failure was not on @p auth. Valid until
 * this thread's next failed call; checks never change it (see "Error detail"
 * in common.h).
 */
PCFMCP_API const char *pcfmcp_auth_errmsg(const pcfmcp_auth_t *auth);

/**
 * Loads (or reloads) the API keys file at @p path and swaps it in.
 *
 * The file is parsed completely first: on any error nothing changes and the
 * previous keys stay in force. Files over 1 MiB or with more than 10000 keys
 * are refused with PCFMCP_ERR_LIMIT.
 * @param auth the authenticator
 * @param path the keys file (format in the file comment above); NULL removes
 *             every API key
 * @param[out] out_count number of keys now loaded; may be NULL
 * @return PCFMCP_ERR_IO if the file cannot be read, PCFMCP_ERR_CONFIG for a
 *         syntax error, duplicate name or duplicate key
 */
PCFMCP_API pcfmcp_error_t pcfmcp_auth_load_api_keys(pcfmcp_auth_t *auth, const char *path,
                                                    size_t *out_count);

/**
 * Hashes @p key the way the keys file wants it: `sha256:<64 lower-case hex>`.
 *
 * The key must be at least #PCFMCP_AUTH_KEY_MIN bytes of the bearer token
 * alphabet (`A-Z a-z 0-9 - . _ ~ + /`, then optional `=` padding), otherwise
 * PCFMCP_ERR_INVALID_ARG.
 * @param key the bearer key as clients will send it
 * @param[out] out_line_fragment freed with pcfmcp_free()
 */
PCFMCP_API pcfmcp_error_t pcfmcp_auth_hash_key(const char *key, char **out_line_fragment);

/**
 * Makes a new random API key: `pcfmcp_` + 43 base64url characters (256 bits).
 * @param[out] out_key freed with pcfmcp_free(); wipe it first if you can
 */
PCFMCP_API pcfmcp_error_t pcfmcp_auth_generate_key(char **out_key);

/**
 * Accepts OAuth 2.1 access tokens (JWT) from one authorization server.
 *
 * A token is accepted when it is signed with RS256 or ES256 by a key of the
 * JWKS whose type matches the algorithm (`alg: none`, HS256 and every other
 * algorithm are refused), `iss` equals @p issuer, `aud` is or contains
 * @p audience, `exp` has not passed and `nbf` has (both within the clock
 * skew), `sub` is present, and its `scope` claim (or `scp`) holds every
 * required scope. Strings are compared exactly.
 *
 * Keys fetched from a previous JWKS URL are not used for the new one.
 * @param auth            the authenticator
 * @param issuer          the `iss` value; NULL turns OAuth off (the other
 *                        arguments must then be NULL too)
 * @param audience        this server's canonical URL (RFC 8707), e.g.
 *                        `https://mcp.example.com/mcp`
 * @param jwks_url        where the keys are fetched; `https://`, or `http://`
 *                        only to a loopback host. NULL: use the keys given to
 *                        pcfmcp_auth_set_jwks_json()
 * @param required_scopes space-separated scopes every token must have; NULL
 *                        or "" for none
 * @return PCFMCP_ERR_CONFIG for a bad URL or scope (see pcfmcp_auth_errmsg())
 */
PCFMCP_API pcfmcp_error_t pcfmcp_auth_set_oauth(pcfmcp_auth_t *auth, const char *issuer,
                                                const char *audience, const char *jwks_url,
                                                const char *required_scopes);

/**
 * Installs a JWKS (`{"keys":[...]}`) given as text: for offline use and tests.
 *
 * RSA keys (2048 bits or more) and EC P-256 keys are used; keys of other
 * types or with `use` other than `sig` are skipped, and malformed keys are
 * skipped with a warning. With a JWKS URL configured, these keys count as a
 * fresh fetch and are replaced by the next one.
 * @return PCFMCP_ERR_CONFIG when the text is not a JWKS or holds no usable key;
 *         the previous keys then stay
 */
PCFMCP_API pcfmcp_error_t pcfmcp_auth_set_jwks_json(pcfmcp_auth_t *auth, const char *jwks_json);

/** PEM file of CA certificates trusted for the JWKS URL (NULL: the system store). */
PCFMCP_API pcfmcp_error_t pcfmcp_auth_set_jwks_ca_file(pcfmcp_auth_t *auth, const char *path);

/**
 * Tunes JWKS fetching.
 * @param auth                the authenticator
 * @param ttl_seconds         how long fetched keys are used before a refetch
 *                            (default 300; 0 refetches on every check, within
 *                            the rate limit)
 * @param min_refetch_seconds least time between two fetches, so that tokens
 *                            with unknown `kid`s or an unreachable server
 *                            cannot make us hammer the authorization server
 *                            (default 30)
 * @param timeout_ms          time allowed for one fetch (default 5000, 1..600000)
 * @param max_bytes           largest JWKS accepted (default 262144, 64..16777216)
 */
PCFMCP_API pcfmcp_error_t pcfmcp_auth_set_jwks_limits(pcfmcp_auth_t *auth, unsigned ttl_seconds,
                                                      unsigned min_refetch_seconds,
                                                      unsigned timeout_ms, size_t max_bytes);

/** Tolerance for `exp`, `nbf` and `iat` against our clock (default 60, at most 600). */
PCFMCP_API pcfmcp_error_t pcfmcp_auth_set_clock_skew(pcfmcp_auth_t *auth, unsigned seconds);

/**
 * Longest lifetime an access token may claim (default 86400 s, at most 366
 * days; 0: no cap). A token whose `exp` lies further than that beyond its
 * `iat`, or beyond now, is refused as invalid: one that never really
 * expires could not be outwaited if it leaked.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_auth_set_max_token_lifetime(pcfmcp_auth_t *auth,
                                                             unsigned seconds);

/**
 * OAuth Protected Resource Metadata (RFC 9728), the body of
 * `/.well-known/oauth-protected-resource`, e.g.
 * `{"resource":"https://mcp.example.com/mcp","authorization_servers":["https://idp.example.com"],"scopes_supported":["pcf"],"bearer_methods_supported":["header"]}`
 * (`scopes_supported` only when scopes are required).
 * @param auth         the authenticator
 * @param resource_url the resource identifier; NULL uses the audience
 * @param[out] out_json freed with pcfmcp_free()
 * @return PCFMCP_ERR_STATE when OAuth is not configured
 */
PCFMCP_API pcfmcp_error_t pcfmcp_auth_resource_metadata(const pcfmcp_auth_t *auth,
                                                        const char *resource_url, char **out_json);

/**
 * Checks one request's credentials.
 *
 * API keys are checked first: the presented key is hashed and compared with
 * every loaded hash in constant time, so timing reveals neither which key
 * nor how much of it matched. A credential that is no API key and looks like
 * a JWT is then checked as an access token. Nothing configured means every
 * request is MISSING or INVALID: use pcfmcp_auth_enabled() to decide whether
 * to check at all.
 *
 * Checks with cached keys never wait. A check that needs keys not cached
 * yet (first use, unknown `kid`) waits for the one JWKS fetch allowed at a
 * time, at most the fetch timeout; expired keys are refreshed by one check
 * while the others go on with the old ones.
 *
 * @param auth          the authenticator
 * @param authorization the raw `Authorization` header value, or NULL when
 *                      absent; only the `Bearer` scheme is accepted
 * @param identity      receives `key:<name>` or `jwt:<sub>` on ALLOW (and ""
 *                      otherwise); a buffer shorter than the identity makes
 *                      the check INVALID rather than truncate it. May be NULL
 *                      when @p identity_len is 0.
 * @param identity_len  size of @p identity; #PCFMCP_AUTH_IDENTITY_MAX always fits
 * @param scopes        receives the token's granted scopes, space-separated
 *                      ("" for API keys); same rules as @p identity
 * @param scopes_len    size of @p scopes; #PCFMCP_AUTH_SCOPES_MAX always fits
 * @param detail        receives a short reason, free of secrets and safe to
 *                      log ("token expired", "unknown API key"); truncated to
 *                      fit; may be NULL
 * @param detail_len    size of @p detail
 * @return the verdict; never PCFMCP_AUTH_ALLOW for bad arguments. Running
 *         out of memory never allows either: it gives UNAVAILABLE, or INVALID
 *         where the JSON parser cannot tell it from bad input.
 */
PCFMCP_API pcfmcp_auth_verdict_t pcfmcp_auth_check(pcfmcp_auth_t *auth, const char *authorization,
                                                   char *identity, size_t identity_len,
                                                   char *scopes, size_t scopes_len, char *detail,
                                                   size_t detail_len);

/**
 * The `WWW-Authenticate` value for a refusal (RFC 6750, RFC 9728, MCP auth), e.g.
 * - MISSING: `Bearer realm="pcf-mcp", resource_metadata="<url>"`
 * - INVALID, EXPIRED: `Bearer realm="pcf-mcp", error="invalid_token", resource_metadata="<url>"`
 * - INSUFFICIENT_SCOPE: `Bearer realm="pcf-mcp", error="insufficient_scope", scope="a b", resource_metadata="<url>"`
 *
 * MISSING also carries `scope="..."` when scopes are required, so clients
 * know what to ask for.
 * @param auth                  the authenticator (for the required scopes)
 * @param verdict               what pcfmcp_auth_check() said
 * @param resource_metadata_url URL of the resource metadata; NULL leaves the
 *                              parameter out
 * @param[out] out freed with pcfmcp_free()
 * @return PCFMCP_ERR_INVALID_ARG for ALLOW and UNAVAILABLE, which carry no
 *         challenge, and for a URL with quotes, backslashes or control characters
 */
PCFMCP_API pcfmcp_error_t pcfmcp_auth_www_authenticate(const pcfmcp_auth_t *auth,
                                                       pcfmcp_auth_verdict_t verdict,
                                                       const char *resource_metadata_url,
                                                       char **out);

/** 1 if API keys are loaded or OAuth is configured, else 0 (also for NULL). */
PCFMCP_API int pcfmcp_auth_enabled(const pcfmcp_auth_t *auth);

/** 1 if OAuth is configured (resource metadata can be served), else 0. */
PCFMCP_API int pcfmcp_auth_oauth_enabled(const pcfmcp_auth_t *auth);

/** A bounded lower-case label for metrics and logs ("allow", "missing", ...). Static; never NULL. */
PCFMCP_API const char *pcfmcp_auth_verdict_name(pcfmcp_auth_verdict_t verdict);

/** The HTTP status a transport answers a verdict with: 200, 401, 403 or 503. */
PCFMCP_API int pcfmcp_auth_verdict_http_status(pcfmcp_auth_verdict_t verdict);

PCFMCP_END_DECLS

#endif /* PCFMCP_AUTH_H */
