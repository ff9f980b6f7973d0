/**
 * @file sys/metrics.h
 * @brief A registry of Prometheus counters, gauges and histograms, rendered
 *        in the text exposition format (version 0.0.4).
 *
 * Every metric is a family with a fixed list of label names. Each label
 * either has a declared set of allowed values (anything else is recorded
 * as `other`) or takes any value; either way a family holds at most
 * `max_series` label combinations, and observations beyond that land in
 * one overflow series whose labels all read `other`. So a peer can never
 * grow the registry, whatever it sends.
 *
 * Observations are lock-free: a series is found through an atomic hash
 * table and updated with atomic operations; a lock is taken only the first
 * time a label combination appears. Rendering runs the collectors
 * (callbacks that refresh gauges, e.g. process metrics) and then reads the
 * values without stopping writers.
 *
 * Thread safety: everything may be called from any thread at once, except
 * pcfmcp_metrics_free(). Collectors run on the thread that renders, one
 * render at a time.
 */
#ifndef PCFMCP_SYS_METRICS_H
#define PCFMCP_SYS_METRICS_H

#include <pcfmcp/common.h>

PCFMCP_BEGIN_DECLS

/** A metrics registry. Opaque. */
typedef struct pcfmcp_metrics pcfmcp_metrics_t;

/** One metric family in a registry. Opaque; owned by the registry. */
typedef struct pcfmcp_metric pcfmcp_metric_t;

/** Kinds of metric family. */
typedef enum {
    PCFMCP_METRIC_COUNTER = 0,  /**< only goes up (`_total` by convention) */
    PCFMCP_METRIC_GAUGE = 1,    /**< goes up and down */
    PCFMCP_METRIC_HISTOGRAM = 2 /**< cumulative buckets, `_sum` and `_count` */
} pcfmcp_metric_type_t;

/**
 * Refreshes values just before the registry is rendered (gauges read from
 * elsewhere: process statistics, queue lengths, certificate expiry).
 * Runs on the rendering thread; may call pcfmcp_metric_set() and friends,
 * but must not render or free the registry.
 */
typedef void (*pcfmcp_metrics_collect_cb)(pcfmcp_metrics_t *metrics, void *userdata);

/** Default number of label combinations per family (see pcfmcp_metric_set_max_series()). */
#define PCFMCP_METRICS_DEFAULT_MAX_SERIES 512

/** Creates an empty registry. */
PCFMCP_API pcfmcp_error_t pcfmcp_metrics_new(pcfmcp_metrics_t **out);

/** Frees @p metrics and every family in it. No other thread may use it. NULL does nothing. */
PCFMCP_API void pcfmcp_metrics_free(pcfmcp_metrics_t *metrics);

/** Why this thread's last failed registration on @p metrics failed.
 *  Never NULL; "no error" when this thread's last failure was not on it. Valid until
 *  this thread's next failed call (see "Error detail" in common.h). */
PCFMCP_API const char *pcfmcp_metrics_errmsg(const pcfmcp_metrics_t *metrics);

/**
 * Registers a counter or gauge family.
 *
 * @param metrics the registry
 * @param type   PCFMCP_METRIC_COUNTER or PCFMCP_METRIC_GAUGE
 * @param name   a Prometheus metric name (`[a-zA-Z_:][a-zA-Z0-9_:]*`), unique
 *               in the registry
 * @param help   one line of help text (copied)
 * @param labels comma-separated label names ("method,status"), or NULL / ""
 *               for a family with a single series; at most 8
 * @param[out] out the family, owned by the registry
 * @return PCFMCP_ERR_INVALID_ARG for a bad name, label or type,
 *         PCFMCP_ERR_STATE if @p name is taken.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_metrics_add(pcfmcp_metrics_t *metrics, pcfmcp_metric_type_t type,
                                             const char *name, const char *help,
                                             const char *labels, pcfmcp_metric_t **out);

/**
 * Registers a histogram family.
 *
 * @param metrics the registry
 * @param name    as for pcfmcp_metrics_add()
 * @param help    as for pcfmcp_metrics_add()
 * @param labels  as for pcfmcp_metrics_add()
 * @param bounds  upper bounds of the buckets, strictly increasing and
 *                finite (the `+Inf` bucket is implicit); copied
 * @param nbounds number of bounds (at most 64); 0 uses Prometheus' default
 *                buckets (5 ms to 10 s)
 * @param[out] out the family, owned by the registry
 */
PCFMCP_API pcfmcp_error_t pcfmcp_metrics_add_histogram(pcfmcp_metrics_t *metrics, const char *name,
                                                       const char *help, const char *labels,
                                                       const double *bounds, size_t nbounds,
                                                       pcfmcp_metric_t **out);

/** The family named @p name, or NULL. */
PCFMCP_API pcfmcp_metric_t *pcfmcp_metrics_find(pcfmcp_metrics_t *metrics, const char *name);

/**
 * Restricts label @p label of @p metric to the values in @p values
 * ("initialize|ping|tools/call"); any other value is recorded as `other`.
 * Call before the first observation. @p values is copied.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_metric_allow(pcfmcp_metric_t *metric, const char *label,
                                              const char *values);

/** Caps the number of label combinations of @p metric (1..65536). Call before the first observation. */
PCFMCP_API pcfmcp_error_t pcfmcp_metric_set_max_series(pcfmcp_metric_t *metric, size_t max_series);

/**
 * Adds @p delta to a counter (@p delta >= 0) or a gauge.
 *
 * @param metric the family
 * @param values one value per label, in the family's label order (NULL for
 *               a family without labels). A NULL entry or a value longer than
 *               128 bytes or not valid UTF-8 is recorded as `other`.
 * @param delta  the amount to add
 */
PCFMCP_API pcfmcp_error_t pcfmcp_metric_add(pcfmcp_metric_t *metric, const char *const *values,
                                            double delta);

/**
 * Sets a gauge; on a counter, mirrors a count kept elsewhere (from a
 * collector) and refuses to go down.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_metric_set(pcfmcp_metric_t *metric, const char *const *values,
                                            double value);

/** Records one observation in a histogram. NaN is refused. */
PCFMCP_API pcfmcp_error_t pcfmcp_metric_observe(pcfmcp_metric_t *metric,
                                                const char *const *values, double value);

/**
 * The current value of a counter or gauge series (0 if it was never
 * touched), or the observation count of a histogram series.
 */
PCFMCP_API double pcfmcp_metric_value(pcfmcp_metric_t *metric, const char *const *values);

/** Adds a collector run before every render. @p userdata is borrowed. At most 32. */
PCFMCP_API pcfmcp_error_t pcfmcp_metrics_add_collector(pcfmcp_metrics_t *metrics,
                                                       pcfmcp_metrics_collect_cb cb,
                                                       void *userdata);

/**
 * Registers the standard process metrics, read from /proc at every render:
 * `process_cpu_seconds_total`, `process_resident_memory_bytes`,
 * `process_virtual_memory_bytes`, `process_open_fds`, `process_max_fds`,
 * `process_start_time_seconds`.
 */
PCFMCP_API pcfmcp_error_t pcfmcp_metrics_add_process(pcfmcp_metrics_t *metrics);

/**
 * Renders every family in the text exposition format (content type
 * `text/plain; version=0.0.4; charset=utf-8`), families in registration
 * order, series sorted by their labels. A counter without labels shows 0
 * before its first use; gauges and histograms show no sample until set.
 * @param metrics      the registry
 * @param[out] out     freed with pcfmcp_free()
 * @param[out] out_len may be NULL
 */
PCFMCP_API pcfmcp_error_t pcfmcp_metrics_render(pcfmcp_metrics_t *metrics, char **out,
                                                size_t *out_len);

PCFMCP_END_DECLS

#endif /* PCFMCP_SYS_METRICS_H */
