/**
 * @file sys/trace.h
 * @brief W3C Trace Context spans exported to an OpenTelemetry collector
 *        over OTLP/HTTP with JSON encoding.
 *
 * A span continues the trace named by a `traceparent` (from an HTTP header
 * or the request's `_meta`) or starts a new one, and hands out its own
 * `traceparent` for the next hop (a PCF request, a child span). Sampling is
 * parent-based: a span with a parent follows the parent's sampled flag; a
 * root span is sampled when its trace id falls within the configured ratio
 * (the same rule as OpenTelemetry's TraceIdRatioBased, so every service
 * decides alike). Unsampled spans still propagate ids but are not exported.
 *
 * Ended, sampled spans go into a bounded queue that an exporter thread
 * drains in batches (POST `<endpoint>/v1/traces`). When the queue is full a
 * span is dropped and counted, never waited for; failed exports are dropped
 * and counted too. pcfmcp_tracer_flush() exports what is queued, bounded by
 * a timeout (shutdown).
 *
 * Requires pcfmcp_global_init() (libcurl) before pcfmcp_tracer_start().
 *
 * Thread safety: a tracer may be used from any number of threads at once;
 * its setters must be called before pcfmcp_tracer_start(). A span belongs
 * to one thread at a time.
 */
#ifndef PCFMCP_SYS_TRACE_H
#define PCFMCP_SYS_TRACE_H

#include <pcfmcp/common.h>
#include <pcfmcp/log.h>

PCFMCP_BEGIN_DECLS

/** A tracer: sampling, ids and the export queue. Opaque. */
typedef struct pcfmcp_tracer pcfmcp_tracer_t;

/** One span. Opaque; freed by pcfmcp_span_end(). */
typedef struct pcfmcp_span pcfmcp_span_t;

/** OpenTelemetry span kinds. */
typedef enum {
    PCFMCP_SPAN_INTERNAL = 1, /**< work inside the service (a tool) */
    PCFMCP_SPAN_SERVER = 2,   /**< handling a request from a client (an MCP request) */
    PCFMCP_SPAN_CLIENT = 3    /**< a request to another service (PCF) */
} pcfmcp_span_kind_t;

/**
 * Creates a tracer for the service @p service_name (`service.name`) at
 * @p service_version (both copied; the version may be NULL). Until
 * pcfmcp_tracer_set_endpoint() it exports nothing but still creates ids.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_tracer_new(pcfmcp_tracer_t **out, const char *service_name,
                                            const char *service_version);

/** Stops the exporter (without flushing: call pcfmcp_tracer_flush() first) and frees. NULL does nothing. */
PCFMCP_API void pcfmcp_tracer_free(pcfmcp_tracer_t *tracer);

/** Why this thread's last failed call on @p tracer failed.
 *  Never NULL; "no error" when this thread's last failure was not on it. Valid until
 *  this thread's next failed call (see "Error detail" in common.h). */
PCFMCP_API const char *pcfmcp_tracer_errmsg(const pcfmcp_tracer_t *tracer);

/**
 * Exports to the collector at @p url (http or https): either its base
 * (`http://otel-collector:4318`, `/v1/traces` is appended) or the full
 * traces URL. NULL or "" exports nothing.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_tracer_set_endpoint(pcfmcp_tracer_t *tracer, const char *url);

/** Fraction of new traces sampled, 0..1 (default 1). Traces continued from a parent follow the parent. */
PCFMCP_API pcfmcp_error_t pcfmcp_tracer_set_sample_ratio(pcfmcp_tracer_t *tracer, double ratio);

/**
 * Queue and batching: at most @p queue_max spans wait (default 2048),
 * at most @p batch_max go in one request (default 512), and a partial batch
 * is sent after @p interval_ms (default 5000).
 */
PCFMCP_API pcfmcp_error_t pcfmcp_tracer_set_limits(pcfmcp_tracer_t *tracer, size_t queue_max,
                                                   size_t batch_max, unsigned interval_ms);

/** Time allowed for one export request (default 10000 ms). */
PCFMCP_API pcfmcp_error_t pcfmcp_tracer_set_timeout(pcfmcp_tracer_t *tracer, unsigned timeout_ms);

/** Reports export failures through @p logger (a reference is taken). */
PCFMCP_API pcfmcp_error_t pcfmcp_tracer_set_logger(pcfmcp_tracer_t *tracer,
                                                   pcfmcp_logger_t *logger);

/** Starts the exporter thread (does nothing without an endpoint). */
PCFMCP_API pcfmcp_error_t pcfmcp_tracer_start(pcfmcp_tracer_t *tracer);

/**
 * Exports every span queued so far and waits for that, at most
 * @p timeout_ms. PCFMCP_OK when the queue was emptied, PCFMCP_ERR_TIMEOUT
 * otherwise (the remaining spans stay queued).
 */
PCFMCP_API pcfmcp_error_t pcfmcp_tracer_flush(pcfmcp_tracer_t *tracer, unsigned timeout_ms);

/** Spans dropped: queue full or export failed. */
PCFMCP_API uint64_t pcfmcp_tracer_dropped(const pcfmcp_tracer_t *tracer);

/** Spans the collector accepted. */
PCFMCP_API uint64_t pcfmcp_tracer_exported(const pcfmcp_tracer_t *tracer);

/**
 * Starts a span.
 *
 * @param tracer       the tracer
 * @param name         span name ("tools/call", "tool list_projects", "PCF hosts_list"); copied
 * @param kind         what the span stands for
 * @param parent       a W3C `traceparent` ("00-<32 hex>-<16 hex>-<2 hex>"), or
 *                     NULL / invalid for a new trace
 * @param tracestate   the parent's `tracestate` (passed on unchanged, at
 *                     most 512 bytes), or NULL
 * @param[out] out     the span; end it with pcfmcp_span_end()
 */
PCFMCP_API pcfmcp_error_t pcfmcp_span_start(pcfmcp_tracer_t *tracer, const char *name,
                                            pcfmcp_span_kind_t kind, const char *parent,
                                            const char *tracestate, pcfmcp_span_t **out);

/** The span's own `traceparent`, to send to the next hop. Valid until pcfmcp_span_end(). */
PCFMCP_API const char *pcfmcp_span_traceparent(const pcfmcp_span_t *span);

/** The `tracestate` to send with it, or NULL. Valid until pcfmcp_span_end(). */
PCFMCP_API const char *pcfmcp_span_tracestate(const pcfmcp_span_t *span);

/** The trace id (32 hex digits). Valid until pcfmcp_span_end(). */
PCFMCP_API const char *pcfmcp_span_trace_id(const pcfmcp_span_t *span);

/** 1 if the span will be exported. */
PCFMCP_API int pcfmcp_span_is_sampled(const pcfmcp_span_t *span);

/** Adds a string attribute (copied; at most 32 attributes, values cut at 256 bytes). */
PCFMCP_API pcfmcp_error_t pcfmcp_span_set_attribute(pcfmcp_span_t *span, const char *key,
                                                    const char *value);

/** Adds an integer attribute. */
PCFMCP_API pcfmcp_error_t pcfmcp_span_set_attribute_int(pcfmcp_span_t *span, const char *key,
                                                        long long value);

/** Marks the span as failed with a short @p message (copied; may be NULL). */
PCFMCP_API pcfmcp_error_t pcfmcp_span_set_error(pcfmcp_span_t *span, const char *message);

/** Ends the span, queues it for export if sampled, and frees it. NULL does nothing. */
PCFMCP_API void pcfmcp_span_end(pcfmcp_span_t *span);

PCFMCP_END_DECLS

#endif /* PCFMCP_SYS_TRACE_H */
