/* A fake OpenTelemetry collector for tests: a libmicrohttpd server on an
 * ephemeral loopback port that accepts OTLP/HTTP JSON on POST /v1/traces
 * and keeps every span it received. */
#ifndef PCFMCP_TESTS_HELPERS_OTLPSINK_H
#define PCFMCP_TESTS_HELPERS_OTLPSINK_H

#include <cjson/cJSON.h>

typedef struct otlpsink otlpsink;

/* Starts the collector answering @p status (200 normally). NULL on failure. */
otlpsink *otlpsink_start(unsigned status);
/* "http://127.0.0.1:PORT" (the base; the exporter appends /v1/traces). */
const char *otlpsink_url(const otlpsink *s);
/* Number of POST requests and of spans received so far. */
int otlpsink_requests(otlpsink *s);
int otlpsink_span_count(otlpsink *s);
/* A copy of every span received (a JSON array of OTLP span objects, each
 * with an added "_service" member naming the resource's service.name).
 * Caller frees with cJSON_Delete. */
cJSON *otlpsink_spans(otlpsink *s);
/* The first span named @p name in @p spans, or NULL. */
const cJSON *otlpsink_find(const cJSON *spans, const char *name);
void otlpsink_stop(otlpsink *s);

#endif
