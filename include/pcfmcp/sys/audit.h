/**
 * @file sys/audit.h
 * @brief An append-only audit trail: one JSON line per tool call and per
 *        refused request.
 *
 * Each record says when, who (identity, session), what (tool and the
 * objects it targeted, as `targets` under the argument names: `project`,
 * `host`, `issue`, `network`, `port`, `poc`, `credential`, `note` and any
 * `*_id`), how it ended,
 * how long it took, and which request and trace it belonged to. Arguments
 * are never written as given: by default only the SHA-256 of their
 * canonical JSON (sorted keys, no white space) is recorded, which proves
 * what was sent without storing it; optionally a redacted copy with every
 * credential-looking member replaced and long strings cut. Every line also
 * passes through the logger's redaction when a logger is set.
 *
 * Records go to a file opened with `O_APPEND | O_CLOEXEC` (created 0600),
 * written with a single write() each, optionally fsync()ed; or to stderr; or
 * to a host callback. pcfmcp_audit_reopen() reopens the file by name so log
 * rotation (rename, then SIGHUP) works.
 *
 * Thread safety: records may be written from any number of threads at once;
 * the setters and pcfmcp_audit_reopen() may be called while they are.
 */
#ifndef PCFMCP_SYS_AUDIT_H
#define PCFMCP_SYS_AUDIT_H

#include <pcfmcp/common.h>
#include <pcfmcp/log.h>

PCFMCP_BEGIN_DECLS

/** An audit trail. Opaque. */
typedef struct pcfmcp_audit pcfmcp_audit_t;

/** How tool arguments appear in a record. */
typedef enum {
    PCFMCP_AUDIT_ARGS_HASH = 0,     /**< `args_hmac` only (default): see pcfmcp_audit_args_digest() */
    PCFMCP_AUDIT_ARGS_REDACTED = 1, /**< `args_hmac` plus `args`, a redacted, shortened copy */
    PCFMCP_AUDIT_ARGS_NONE = 2      /**< neither */
} pcfmcp_audit_args_t;

/**
 * Receives one finished record (a JSON object, no newline) instead of the
 * file. Runs on the recording thread, one call at a time.
 */
typedef void (*pcfmcp_audit_sink_cb)(const char *line, size_t len, void *userdata);

/** Creates an audit trail writing to stderr. */
PCFMCP_API pcfmcp_error_t pcfmcp_audit_new(pcfmcp_audit_t **out);

/** Flushes, closes the file and frees @p audit. NULL does nothing. */
PCFMCP_API void pcfmcp_audit_free(pcfmcp_audit_t *audit);

/** Why this thread's last failed call on @p audit failed.
 *  Never NULL; "no error" when this thread's last failure was not on it. Valid until
 *  this thread's next failed call (see "Error detail" in common.h). */
PCFMCP_API const char *pcfmcp_audit_errmsg(const pcfmcp_audit_t *audit);

/**
 * Writes to the file @p path (created with mode 0600 if missing, appended
 * to otherwise); NULL or "" means stderr. On failure nothing changes.
 * @return PCFMCP_ERR_IO with pcfmcp_audit_errmsg() naming the file and the reason.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_audit_open(pcfmcp_audit_t *audit, const char *path);

/** Reopens the current file by name (after log rotation). Keeps the old one on failure. */
PCFMCP_API pcfmcp_error_t pcfmcp_audit_reopen(pcfmcp_audit_t *audit);

/** Sends records to @p cb instead of the file (NULL: back to the file). */
PCFMCP_API pcfmcp_error_t pcfmcp_audit_set_sink(pcfmcp_audit_t *audit, pcfmcp_audit_sink_cb cb,
                                                void *userdata);

/** With @p on non-zero, fsync()s the file after every record. */
PCFMCP_API pcfmcp_error_t pcfmcp_audit_set_fsync(pcfmcp_audit_t *audit, int on);

/** Chooses how arguments are recorded. */
PCFMCP_API pcfmcp_error_t pcfmcp_audit_set_args(pcfmcp_audit_t *audit, pcfmcp_audit_args_t mode);

/**
 * Sets the key of the records' `args_hmac` (@p len bytes, 16 to 4096; the
 * key is copied). Without one each trail draws a random 32-byte key, so
 * digests compare within a trail's lifetime only. Keep the key secret: with
 * it, a guess at a call's arguments can be confirmed.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_audit_set_args_key(pcfmcp_audit_t *audit, const char *key,
                                                    size_t len);

/**
 * Redacts every line with @p logger's rules (its registered secrets and
 * credential patterns) and reports write failures through it. A reference
 * is taken; NULL drops it.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_audit_set_logger(pcfmcp_audit_t *audit, pcfmcp_logger_t *logger);

/**
 * Writes one record.
 *
 * @param audit      the trail
 * @param event      what happened: "tool_call", "refusal", ... (required)
 * @param identity   who asked, or NULL
 * @param pcf_user   the PCF account the call acted as (an email, or a token
 *                   fingerprint), or NULL
 * @param session    the MCP session id, or NULL
 * @param request_id the JSON-RPC id as JSON text, or NULL
 * @param trace_id   32 hex digits, or NULL
 * @param tool       the tool (or method) concerned, or NULL
 * @param args_json  the arguments (a JSON object), or NULL; never written as is
 * @param outcome    "ok", "tool_error", "error", "cancelled", "refused", ... (required)
 * @param duration_seconds how long it took (negative: not recorded)
 * @param detail     a short reason (refusals, errors), or NULL
 * @return PCFMCP_ERR_IO when the record could not be written (counted).
 */
PCFMCP_API pcfmcp_error_t pcfmcp_audit_record(pcfmcp_audit_t *audit, const char *event,
                                              const char *identity, const char *pcf_user,
                                              const char *session,
                                              const char *request_id, const char *trace_id,
                                              const char *tool, const char *args_json,
                                              const char *outcome, double duration_seconds,
                                              const char *detail);

/** fsync()s the file now (shutdown). */
PCFMCP_API pcfmcp_error_t pcfmcp_audit_flush(pcfmcp_audit_t *audit);

/** Records written since creation. */
PCFMCP_API uint64_t pcfmcp_audit_written(const pcfmcp_audit_t *audit);

/** Records that could not be written since creation. */
PCFMCP_API uint64_t pcfmcp_audit_failed(const pcfmcp_audit_t *audit);

/**
 * The `args_hmac` a record of @p audit gives the arguments @p json: 64
 * lower-case hex digits of HMAC-SHA256, keyed with the trail's key
 * (pcfmcp_audit_set_args_key()), over the canonical form of the arguments
 * with the value of every sensitive member ("password", "token", "key",
 * ...) replaced by "[REDACTED]". A plain hash of the full arguments gave a
 * secret away to anyone who could guess it (a cleartext password fell to a
 * 5-word list); without the key, a digest confirms no guess.
 * @param json the JSON text (at most 4 MiB, nesting at most 64)
 * @param len  its length in bytes
 * @param[out] out freed with pcfmcp_free()
 */
PCFMCP_API pcfmcp_error_t pcfmcp_audit_args_digest(pcfmcp_audit_t *audit, const char *json,
                                                   size_t len, char **out);

/**
 * SHA-256 (64 lower-case hex digits) of the canonical form of @p json: keys
 * sorted by their bytes, no white space, integers without a fraction. Two
 * texts that parse to the same JSON value hash the same. Records do not
 * carry this unkeyed hash, which confirms any guess at the arguments, but
 * pcfmcp_audit_args_digest().
 * @param json the JSON text (at most 4 MiB, nesting at most 64)
 * @param len  its length in bytes
 * @param[out] out freed with pcfmcp_free()
 */
PCFMCP_API pcfmcp_error_t pcfmcp_audit_args_hash(const char *json, size_t len, char **out);

PCFMCP_END_DECLS

#endif /* PCFMCP_SYS_AUDIT_H */
