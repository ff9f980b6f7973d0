/**
 * @file config.h
 * @brief Layered configuration: defaults, a YAML file, the environment and
 *        command-line flags, with secrets readable from files.
 *
 * Every option is a dotted key (`pcf.url`, `log.level`) described once in the
 * library's key table, which also gives its default, its environment variable
 * (`PCF_MCP_PCF_URL`) and its flag (`--pcf-url`). Values carry the source they
 * came from, and a value never overrides one from a stronger source:
 * flags > environment > file > defaults, whatever the loading order.
 *
 * Secrets (`pcf.token`, `pcf.password`, ...) are also read from a file named
 * by the matching `*_file` key (Kubernetes Secret mounts); they have no flag,
 * so they never need to appear on a command line, and every dump redacts them.
 *
 * Thread safety: a config object is used by one thread at a time. The
 * key-table functions are always safe.
 */
#ifndef PCFMCP_CONFIG_H
#define PCFMCP_CONFIG_H

#include <pcfmcp/common.h>

PCFMCP_BEGIN_DECLS

/** A configuration. Opaque. */
typedef struct pcfmcp_config pcfmcp_config_t;

/** Where a value came from, in increasing strength. */
typedef enum {
    PCFMCP_CONFIG_DEFAULT = 0, /**< the built-in default */
    PCFMCP_CONFIG_FILE = 1,    /**< the YAML configuration file */
    PCFMCP_CONFIG_ENV = 2,     /**< a PCF_MCP_* environment variable */
    PCFMCP_CONFIG_FLAG = 3,    /**< a command-line flag */
    PCFMCP_CONFIG_API = 4      /**< set by the embedding program */
} pcfmcp_config_source_t;

/** Value types of the key table. */
typedef enum {
    PCFMCP_CONFIG_STRING = 0, /**< free text */
    PCFMCP_CONFIG_SECRET = 1, /**< text that is never shown */
    PCFMCP_CONFIG_INT = 2,    /**< integer within the key's range */
    PCFMCP_CONFIG_BOOL = 3,   /**< true/false, yes/no, on/off, 1/0 */
    PCFMCP_CONFIG_DOUBLE = 4, /**< number within the key's range */
    PCFMCP_CONFIG_ENUM = 5,   /**< one of a fixed list of words */
    PCFMCP_CONFIG_LIST = 6,   /**< comma-separated words (a YAML sequence in the file) */
    PCFMCP_CONFIG_PATH = 7,   /**< a file or directory path */
    PCFMCP_CONFIG_DURATION = 8 /**< milliseconds; accepts `250ms`, `5s`, `2m`, `1h` */
} pcfmcp_config_type_t;

/** Creates a configuration holding every default. */
PCFMCP_API pcfmcp_error_t pcfmcp_config_new(pcfmcp_config_t **out);

/** Frees @p config (and wipes its secrets). NULL does nothing. */
PCFMCP_API void pcfmcp_config_free(pcfmcp_config_t *config);

/** Deep copy of @p config. */
PCFMCP_API pcfmcp_error_t pcfmcp_config_copy(pcfmcp_config_t **out, const pcfmcp_config_t *config);

/**
 * Sets @p key from text, as if it came from @p source.
 *
 * The value is checked against the key's type and range. A value from a
 * weaker source than the current one is accepted and ignored.
 * @return PCFMCP_ERR_NOT_FOUND for an unknown key, PCFMCP_ERR_CONFIG for a
 *         bad value; pcfmcp_config_errmsg() names the key and says what is expected.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_config_set(pcfmcp_config_t *config, const char *key,
                                            const char *value, pcfmcp_config_source_t source);

/** Removes the value of @p key set from @p source or weaker, restoring the default. */
PCFMCP_API pcfmcp_error_t pcfmcp_config_unset(pcfmcp_config_t *config, const char *key);

/**
 * Loads a YAML file of nested maps (`pcf: {url: ...}`).
 *
 * Every problem is collected, each naming the file, line and key
 * (`/etc/pcf-mcp.yaml:7: pcf.timeout: expected a duration like 5s or 250ms`);
 * the call fails with PCFMCP_ERR_CONFIG if there was any, leaving the
 * valid values applied.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_config_load_file(pcfmcp_config_t *config, const char *path);

/**
 * Loads every `PCF_MCP_*` variable of the process environment.
 * Unknown `PCF_MCP_*` names are errors, like unknown keys in the file.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_config_load_env(pcfmcp_config_t *config);

/**
 * Reads each secret named by a `*_file` key (trailing newline removed) into
 * its secret key, with the source of the `*_file` setting. Files larger than
 * 64 KiB are refused.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_config_resolve_secrets(pcfmcp_config_t *config);

/** The current value of @p key as text ("" when unset). Borrowed until the
 *  next change to @p config; NULL for an unknown key. */
PCFMCP_API const char *pcfmcp_config_get(const pcfmcp_config_t *config, const char *key);

/** The value of an INT, DURATION or BOOL key; 0 for others. */
PCFMCP_API long long pcfmcp_config_get_int(const pcfmcp_config_t *config, const char *key);

/** The value of a DOUBLE key (INT keys convert). */
PCFMCP_API double pcfmcp_config_get_double(const pcfmcp_config_t *config, const char *key);

/** 1 if a BOOL key is true. */
PCFMCP_API int pcfmcp_config_get_bool(const pcfmcp_config_t *config, const char *key);

/** Where the current value of @p key came from. */
PCFMCP_API pcfmcp_config_source_t pcfmcp_config_source(const pcfmcp_config_t *config,
                                                        const char *key);

/**
 * The effective configuration as YAML, secrets shown as `[REDACTED]` (or
 * `""` when unset), and so are the credentials of any URL in a value (user
 * info, and query parameters named like credentials), each value followed
 * by a comment naming its source.
 * @param[out] out freed with pcfmcp_free()
 */
PCFMCP_API pcfmcp_error_t pcfmcp_config_dump(const pcfmcp_config_t *config, char **out);

/** Every error of the last failing call, one per line. Never NULL. */
PCFMCP_API const char *pcfmcp_config_errmsg(const pcfmcp_config_t *config);

/** Number of keys in the table. */
PCFMCP_API size_t pcfmcp_config_key_count(void);

/**
 * Describes key number @p index (0-based): its dotted name, type, default
 * text, environment variable, flag (without dashes, NULL when the key has
 * none) and one-line description. Any output pointer may be NULL. Strings are static.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_config_key_info(size_t index, const char **name,
                                                 pcfmcp_config_type_t *type,
                                                 const char **default_value, const char **env,
                                                 const char **flag, const char **doc);

/**
 * The flag a mistyped command-line option most likely meant, for a "did you
 * mean" hint: the closest, within a few edits (fewer for short names, so
 * nothing unrelated is offered), of every key's flag and of @p extra, the
 * host's own flags.
 * @param name the mistyped flag without its leading dashes; only its first
 *        @p len bytes are read (it need not be NUL-terminated there)
 * @param extra @p nextra further flags without dashes; may be NULL when
 *        @p nextra is 0
 * @return a flag without dashes, static or one of @p extra; NULL when none is close
 */
PCFMCP_API const char *pcfmcp_config_suggest_flag(const char *name, size_t len,
                                                 const char *const *extra, size_t nextra);

/** The allowed words of an ENUM key ("stdio|http"), or NULL. Static. */
PCFMCP_API const char *pcfmcp_config_key_choices(const char *key);

/** 1 if @p key can change while the server runs (applied on SIGHUP). */
PCFMCP_API int pcfmcp_config_key_reloadable(const char *key);

/**
 * The allowed range of an INT, DURATION (milliseconds) or DOUBLE key:
 * returns 1 and fills @p min and @p max (either may be NULL; an open upper
 * end is +infinity), or 0 when the key has no range or does not exist.
 */
PCFMCP_API int pcfmcp_config_key_range(const char *key, double *min, double *max);

/**
 * Writes where the current value of @p key came from, for messages:
 * "/etc/pcf-mcp.yaml:12", "environment PCF_MCP_PCF_URL", "--pcf-url",
 * "api" or "default".
 * @return PCFMCP_ERR_NOT_FOUND for an unknown key.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_config_origin(const pcfmcp_config_t *config, const char *key,
                                               char *out, size_t out_size);

/**
 * Checks the rules that span several keys (a client certificate without its
 * key, tracing switched on without an endpoint, credentials in pcf.url, ...). Every problem is
 * reported by pcfmcp_config_errmsg(), one per line, each starting with the
 * origin of the offending value (see pcfmcp_config_origin()).
 * @return PCFMCP_OK or PCFMCP_ERR_CONFIG.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_config_check(pcfmcp_config_t *config);

/**
 * What the last pcfmcp_config_check() found worth a warning without
 * refusing the configuration, one per line: a file holding a secret
 * (pcf.token_file, server.tls_key, ...), a configuration file with inline
 * secrets, or an existing audit file, that every user may read. Borrowed
 * until the next check or pcfmcp_config_free(); "" when there is nothing.
 */
PCFMCP_API const char *pcfmcp_config_warnings(const pcfmcp_config_t *config);

PCFMCP_END_DECLS

#endif /* PCFMCP_CONFIG_H */
