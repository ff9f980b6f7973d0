/* A strict checker of the Prometheus text exposition format (0.0.4), as
 * Prometheus' own parser and `promtool check metrics` read it: HELP/TYPE
 * lines, metric and label names, label escaping, values, duplicate series,
 * contiguous families, and histogram consistency (le labels, cumulative
 * buckets, +Inf bucket equal to _count). */
#ifndef PCFMCP_TESTS_HELPERS_PROMTEXT_H
#define PCFMCP_TESTS_HELPERS_PROMTEXT_H

#include <stddef.h>

/* Returns 0 if @p text is valid, else -1 with the line number and reason
 * written to err. */
int promtext_validate(const char *text, char *err, size_t errlen);

/* The value of the sample whose full text before the value is exactly
 * @p series (`name{a="b"}` or `name`); returns 0 and sets *value, or -1. */
int promtext_value(const char *text, const char *series, double *value);

#endif
