/**
 * @file log.h
 * @brief Structured, redacting logger.
 *
 * The library never prints. Everything it has to say goes through a logger
 * that formats one line per event (JSON or text), removes every registered
 * secret and every credential-looking value from it, and hands the line to
 * a sink: a host callback, or stderr.
 *
 * Thread safety: a logger may be used from any number of threads at once,
 * including pcfmcp_logger_set_level() and pcfmcp_logger_add_secret() while
 * other threads log. The sink is called on the logging thread, one line at
 * a time (calls are serialised).
 */
#ifndef PCFMCP_LOG_H
#define PCFMCP_LOG_H

#include <pcfmcp/common.h>

PCFMCP_BEGIN_DECLS

/** Severity of a log line. Numeric order = severity order. */
typedef enum {
    PCFMCP_LOG_DEBUG = 0, /**< detail for developers; may be voluminous */
    PCFMCP_LOG_INFO = 1,  /**< normal operation worth recording */
    PCFMCP_LOG_WARN = 2,  /**< something is wrong but service continues */
    PCFMCP_LOG_ERROR = 3, /**< an operation failed */
    PCFMCP_LOG_OFF = 4    /**< as a threshold: log nothing */
} pcfmcp_log_level_t;

/** Line format. */
typedef enum {
    PCFMCP_LOG_FORMAT_JSON = 0, /**< one JSON object per line (the default) */
    PCFMCP_LOG_FORMAT_TEXT = 1  /**< human-readable `ts LEVEL [component] msg key=value` */
} pcfmcp_log_format_t;

/** A logger. Opaque, reference-counted. */
typedef struct pcfmcp_logger pcfmcp_logger_t;

/**
 * Receives one finished, redacted line (without the trailing newline).
 * @p line is valid only during the call.
 */
typedef void (*pcfmcp_log_sink_cb)(pcfmcp_log_level_t level, const char *line, size_t len,
                                   void *userdata);

/**
 * Creates a logger at level INFO, JSON format, writing to stderr.
 * The caller owns one reference; release it with pcfmcp_logger_unref().
 */
PCFMCP_API pcfmcp_error_t pcfmcp_logger_new(pcfmcp_logger_t **out);

/** Adds a reference to @p logger and returns it. NULL is passed through. */
PCFMCP_API pcfmcp_logger_t *pcfmcp_logger_ref(pcfmcp_logger_t *logger);

/** Drops a reference; the last one frees the logger. NULL does nothing. */
PCFMCP_API void pcfmcp_logger_unref(pcfmcp_logger_t *logger);

/** Sets the threshold: lines below @p level are dropped before formatting. */
PCFMCP_API pcfmcp_error_t pcfmcp_logger_set_level(pcfmcp_logger_t *logger,
                                                  pcfmcp_log_level_t level);

/** Current threshold. Returns PCFMCP_LOG_OFF for NULL. */
PCFMCP_API pcfmcp_log_level_t pcfmcp_logger_get_level(const pcfmcp_logger_t *logger);

/** True when a line at @p level would be written (cheap; use to skip expensive formatting). */
PCFMCP_API int pcfmcp_logger_enabled(const pcfmcp_logger_t *logger, pcfmcp_log_level_t level);

/** Chooses the line format. */
PCFMCP_API pcfmcp_error_t pcfmcp_logger_set_format(pcfmcp_logger_t *logger,
                                                   pcfmcp_log_format_t format);

/**
 * Sends lines to @p cb instead of stderr. Pass NULL to go back to stderr.
 * @p userdata is borrowed and must outlive the logger or the next call.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_logger_set_sink(pcfmcp_logger_t *logger, pcfmcp_log_sink_cb cb,
                                                 void *userdata);

/**
 * Registers a secret (token, password, key) that must never appear in a line.
 *
 * Every occurrence is replaced with `[REDACTED]` after formatting, whoever
 * wrote the line. Strings shorter than 4 bytes are refused with
 * PCFMCP_ERR_INVALID_ARG because redacting them would mangle ordinary text.
 * The logger keeps its own copy and wipes it on free.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_logger_add_secret(pcfmcp_logger_t *logger, const char *secret);

/** Forgets every secret registered with pcfmcp_logger_add_secret(). */
PCFMCP_API void pcfmcp_logger_clear_secrets(pcfmcp_logger_t *logger);

/**
 * Writes one line.
 *
 * @param component   short subsystem name ("mcp", "pcf", "http"); may be NULL
 * @param message     the human-readable message; required
 * @param fields_json NULL, or a JSON object whose members are added to the
 *                    line (e.g. `{"request_id":"7","identity":"alice"}`);
 *                    invalid JSON is logged as a `fields_error` member
 *                    rather than dropped
 */
PCFMCP_API pcfmcp_error_t pcfmcp_logger_log(pcfmcp_logger_t *logger, pcfmcp_log_level_t level,
                                            const char *component, const char *message,
                                            const char *fields_json);

/** Parses "debug", "info", "warn"/"warning", "error", "off" (any case). */
PCFMCP_API pcfmcp_error_t pcfmcp_log_level_parse(const char *text, pcfmcp_log_level_t *out);

/** The lower-case name of @p level ("info"). Static; never NULL. */
PCFMCP_API const char *pcfmcp_log_level_name(pcfmcp_log_level_t level);

/**
 * Redacts @p text with @p logger's rules (its secrets plus credential-looking
 * values such as `Authorization:` headers and `"password":` members).
 * @param[out] out a new string, freed with pcfmcp_free()
 */
PCFMCP_API pcfmcp_error_t pcfmcp_logger_redact(const pcfmcp_logger_t *logger, const char *text,
                                               char **out);

PCFMCP_END_DECLS

#endif /* PCFMCP_LOG_H */
