/* The sys tier's ABI (include/pcfmcp/sys/, lib/libpcfmcp.map).
 *
 * The functions declared in <pcfmcp/sys/...> are exported under their own
 * version node, PCFMCP_SYS_0, and also under PCFMCP_0, where 0.1 put them,
 * so that binaries linked against 0.1 keep resolving them (functions added
 * since are bound by name in lib/libpcfmcp.map). Each defining
 * file ends its includes with one PCFMCP__SYS_<FILE>(PCFMCP__SYS_ABI) line.
 * Only the shared library's copy of this layer is built with
 * PCFMCP_SYS_SYMVER: a static link (the tests, a static libpcfmcp) cannot
 * carry two versions of one symbol. tests/headers/check-symbols.sh checks
 * that every function of the sys headers has both versions and nothing
 * else has PCFMCP_SYS_0. */
#ifndef PCFMCP_HARDENING_SYS_ABI_H
#define PCFMCP_HARDENING_SYS_ABI_H

#if defined(PCFMCP_SYS_SYMVER)
#define PCFMCP__SYS_ABI(fn)                                                                        \
    extern __typeof(fn) fn __attribute__((symver(#fn "@@PCFMCP_SYS_0"), symver(#fn "@PCFMCP_0")));
#else
#define PCFMCP__SYS_ABI(fn)
#endif

/* ratelimit.c */
#define PCFMCP__SYS_RATELIMIT(X) \
    X(pcfmcp_gate_enter) \
    X(pcfmcp_gate_free) \
    X(pcfmcp_gate_in_use) \
    X(pcfmcp_gate_leave) \
    X(pcfmcp_gate_new) \
    X(pcfmcp_gate_set_limit) \
    X(pcfmcp_gate_waiting) \
    X(pcfmcp_proxies_client_address) \
    X(pcfmcp_proxies_errmsg) \
    X(pcfmcp_proxies_free) \
    X(pcfmcp_proxies_new) \
    X(pcfmcp_ratelimit_configure) \
    X(pcfmcp_ratelimit_free) \
    X(pcfmcp_ratelimit_identities) \
    X(pcfmcp_ratelimit_new) \
    X(pcfmcp_ratelimit_set_clock) \
    X(pcfmcp_ratelimit_set_max_identities) \
    X(pcfmcp_ratelimit_take)

/* cache.c */
#define PCFMCP__SYS_CACHE(X) \
    X(pcfmcp_cache_configure) \
    X(pcfmcp_cache_enabled) \
    X(pcfmcp_cache_free) \
    X(pcfmcp_cache_get) \
    X(pcfmcp_cache_invalidate) \
    X(pcfmcp_cache_new) \
    X(pcfmcp_cache_put) \
    X(pcfmcp_cache_set_clock) \
    X(pcfmcp_cache_set_enabled) \
    X(pcfmcp_cache_stats)

/* metrics.c */
#define PCFMCP__SYS_METRICS(X) \
    X(pcfmcp_metric_add) \
    X(pcfmcp_metric_allow) \
    X(pcfmcp_metric_observe) \
    X(pcfmcp_metric_set) \
    X(pcfmcp_metric_set_max_series) \
    X(pcfmcp_metric_value) \
    X(pcfmcp_metrics_add) \
    X(pcfmcp_metrics_add_collector) \
    X(pcfmcp_metrics_add_histogram) \
    X(pcfmcp_metrics_add_process) \
    X(pcfmcp_metrics_errmsg) \
    X(pcfmcp_metrics_find) \
    X(pcfmcp_metrics_free) \
    X(pcfmcp_metrics_new) \
    X(pcfmcp_metrics_render)

/* trace.c */
#define PCFMCP__SYS_TRACE(X) \
    X(pcfmcp_span_end) \
    X(pcfmcp_span_is_sampled) \
    X(pcfmcp_span_set_attribute) \
    X(pcfmcp_span_set_attribute_int) \
    X(pcfmcp_span_set_error) \
    X(pcfmcp_span_start) \
    X(pcfmcp_span_trace_id) \
    X(pcfmcp_span_traceparent) \
    X(pcfmcp_span_tracestate) \
    X(pcfmcp_tracer_dropped) \
    X(pcfmcp_tracer_errmsg) \
    X(pcfmcp_tracer_exported) \
    X(pcfmcp_tracer_flush) \
    X(pcfmcp_tracer_free) \
    X(pcfmcp_tracer_new) \
    X(pcfmcp_tracer_set_endpoint) \
    X(pcfmcp_tracer_set_limits) \
    X(pcfmcp_tracer_set_logger) \
    X(pcfmcp_tracer_set_sample_ratio) \
    X(pcfmcp_tracer_set_timeout) \
    X(pcfmcp_tracer_start)

/* audit.c */
#define PCFMCP__SYS_AUDIT(X) \
    X(pcfmcp_audit_args_digest) \
    X(pcfmcp_audit_args_hash) \
    X(pcfmcp_audit_errmsg) \
    X(pcfmcp_audit_failed) \
    X(pcfmcp_audit_flush) \
    X(pcfmcp_audit_free) \
    X(pcfmcp_audit_new) \
    X(pcfmcp_audit_open) \
    X(pcfmcp_audit_record) \
    X(pcfmcp_audit_reopen) \
    X(pcfmcp_audit_set_args) \
    X(pcfmcp_audit_set_args_key) \
    X(pcfmcp_audit_set_fsync) \
    X(pcfmcp_audit_set_logger) \
    X(pcfmcp_audit_set_sink) \
    X(pcfmcp_audit_written)

#endif
