/* everything-server: an MCP server built on libpcfmcp's public API alone
 * that registers the fixtures of the official MCP conformance suite
 * (@modelcontextprotocol/conformance): every kind of content, logging,
 * progress, errors, sampling, elicitation, resources, templates, prompts
 * and completion. It proves the API can express every MCP feature and is
 * the conformance target.
 *
 *   everything-server                         serve one session on stdin/stdout
 *   everything-server --http PORT [--stateless] [--tls-cert PEM --tls-key PEM]
 *                                             serve Streamable HTTP(S) on 127.0.0.1:PORT/mcp
 *                                             (PORT 0 picks one; the URL is printed)
 */
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <pcfmcp/pcfmcp.h>

/* A 1x1 red PNG and a short silent 8 kHz WAV. */
static const unsigned char PNG[] = {
    0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a, 0x00, 0x00, 0x00, 0x0d, 0x49, 0x48,
    0x44, 0x52, 0x00, 0x00, 0x00, 0x01, 0x00, 0x00, 0x00, 0x01, 0x08, 0x02, 0x00, 0x00,
    0x00, 0x90, 0x77, 0x53, 0xde, 0x00, 0x00, 0x00, 0x0c, 0x49, 0x44, 0x41, 0x54, 0x78,
    0x9c, 0x63, 0xf8, 0xcf, 0xc0, 0x00, 0x00, 0x03, 0x01, 0x01, 0x00, 0xc9, 0xfe, 0x92,
    0xef, 0x00, 0x00, 0x00, 0x00, 0x49, 0x45, 0x4e, 0x44, 0xae, 0x42, 0x60, 0x82
};
static const unsigned char WAV[] = {
    0x52, 0x49, 0x46, 0x46, 0x2c, 0x00, 0x00, 0x00, 0x57, 0x41, 0x56, 0x45, 0x66,
    0x6d, 0x74, 0x20, 0x10, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x40, 0x1f,
    0x00, 0x00, 0x40, 0x1f, 0x00, 0x00, 0x01, 0x00, 0x08, 0x00, 0x64, 0x61, 0x74,
    0x61, 0x08, 0x00, 0x00, 0x00, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80
};

#define NO_ARGS "{\"type\":\"object\",\"additionalProperties\":false}"

static void pause_ms(unsigned ms)
{
    struct timespec ts = { (time_t)(ms / 1000), (long)(ms % 1000) * 1000000L };
    nanosleep(&ts, NULL);
}

static const char *arg_string(const char *args_json, const char *key, char *buf, size_t n)
{
    cJSON *a = cJSON_Parse(args_json);
    const cJSON *v = cJSON_GetObjectItemCaseSensitive(a, key);
    snprintf(buf, n, "%s", cJSON_IsString(v) ? v->valuestring : "");
    cJSON_Delete(a);
    return buf;
}

/* ------------------------------------------------------------------ tools */

static pcfmcp_error_t simple_text(pcfmcp_ctx_t *ctx, const char *a, size_t l, pcfmcp_result_t *r, void *u)
{
    (void)ctx, (void)a, (void)l, (void)u;
    const char *t = "This is a simple text response for testing.";
    return pcfmcp_result_add_text(r, t, strlen(t));
}

static pcfmcp_error_t image_content(pcfmcp_ctx_t *ctx, const char *a, size_t l, pcfmcp_result_t *r, void *u)
{
    (void)ctx, (void)a, (void)l, (void)u;
    return pcfmcp_result_add_image(r, PNG, sizeof(PNG), "image/png");
}

static pcfmcp_error_t audio_content(pcfmcp_ctx_t *ctx, const char *a, size_t l, pcfmcp_result_t *r, void *u)
{
    (void)ctx, (void)a, (void)l, (void)u;
    return pcfmcp_result_add_audio(r, WAV, sizeof(WAV), "audio/wav");
}

static pcfmcp_error_t embedded_resource(pcfmcp_ctx_t *ctx, const char *a, size_t l, pcfmcp_result_t *r, void *u)
{
    (void)ctx, (void)a, (void)l, (void)u;
    const char *t = "This is an embedded resource content.";
    return pcfmcp_result_add_embedded_text(r, "test://embedded-resource", "text/plain", t, strlen(t));
}

static pcfmcp_error_t mixed_content(pcfmcp_ctx_t *ctx, const char *a, size_t l, pcfmcp_result_t *r, void *u)
{
    (void)ctx, (void)a, (void)l, (void)u;
    const char *t = "Multiple content types test:";
    const char *j = "{\"test\":\"data\",\"value\":123}";
    pcfmcp_error_t rc = pcfmcp_result_add_text(r, t, strlen(t));
    if (rc == PCFMCP_OK)
        rc = pcfmcp_result_add_image(r, PNG, sizeof(PNG), "image/png");
    if (rc == PCFMCP_OK)
        rc = pcfmcp_result_add_embedded_text(r, "test://mixed-content-resource", "application/json", j,
                                             strlen(j));
    return rc;
}

static pcfmcp_error_t with_logging(pcfmcp_ctx_t *ctx, const char *a, size_t l, pcfmcp_result_t *r, void *u)
{
    (void)a, (void)l, (void)u;
    pcfmcp_ctx_log(ctx, "info", "everything", "\"Tool execution started\"");
    pause_ms(50);
    pcfmcp_ctx_log(ctx, "info", "everything", "\"Tool processing data\"");
    pause_ms(50);
    pcfmcp_ctx_log(ctx, "info", "everything", "\"Tool execution completed\"");
    const char *t = "Tool with logging executed successfully";
    return pcfmcp_result_add_text(r, t, strlen(t));
}

static pcfmcp_error_t error_handling(pcfmcp_ctx_t *ctx, const char *a, size_t l, pcfmcp_result_t *r, void *u)
{
    (void)ctx, (void)a, (void)l, (void)u;
    pcfmcp_result_set_error(r, "This tool intentionally returns an error for testing");
    return PCFMCP_ERR_CALLBACK;
}

static pcfmcp_error_t with_progress(pcfmcp_ctx_t *ctx, const char *a, size_t l, pcfmcp_result_t *r, void *u)
{
    (void)a, (void)l, (void)u;
    for (int step = 0; step <= 100; step += 50) {
        if (pcfmcp_ctx_is_cancelled(ctx))
            return PCFMCP_ERR_CANCELLED;
        pcfmcp_ctx_progress(ctx, step, 100, NULL);
        if (step < 100)
            pause_ms(50);
    }
    const char *t = "Progress tool completed";
    return pcfmcp_result_add_text(r, t, strlen(t));
}

/* Asks the client and renders "<prefix><answer>" as the tool's text. */
static pcfmcp_error_t ask_client(pcfmcp_ctx_t *ctx, pcfmcp_result_t *r, const char *method,
                                 const cJSON *params, const char *prefix)
{
    char *p = cJSON_PrintUnformatted(params);
    char *answer = NULL;
    pcfmcp_error_t rc = p ? pcfmcp_ctx_request(ctx, method, p, &answer) : PCFMCP_ERR_NOMEM;
    cJSON_free(p);
    if (rc == PCFMCP_ERR_INPUT_REQUIRED)
        return rc;
    if (rc != PCFMCP_OK) {
        pcfmcp_result_set_error(r, pcfmcp_ctx_errmsg(ctx));
        return rc;
    }
    size_t n = strlen(prefix) + strlen(answer) + 1;
    char *text = malloc(n);
    if (!text) {
        pcfmcp_free(answer);
        return PCFMCP_ERR_NOMEM;
    }
    snprintf(text, n, "%s%s", prefix, answer);
    rc = pcfmcp_result_add_text(r, text, strlen(text));
    free(text);
    pcfmcp_free(answer);
    return rc;
}

static pcfmcp_error_t sampling(pcfmcp_ctx_t *ctx, const char *a, size_t l, pcfmcp_result_t *r, void *u)
{
    (void)l, (void)u;
    char prompt[1024];
    arg_string(a, "prompt", prompt, sizeof(prompt));
    cJSON *p = cJSON_CreateObject();
    cJSON *msgs = cJSON_AddArrayToObject(p, "messages");
    cJSON *m = cJSON_CreateObject();
    cJSON_AddStringToObject(m, "role", "user");
    cJSON *c = cJSON_AddObjectToObject(m, "content");
    cJSON_AddStringToObject(c, "type", "text");
    cJSON_AddStringToObject(c, "text", prompt);
    cJSON_AddItemToArray(msgs, m);
    cJSON_AddNumberToObject(p, "maxTokens", 100);
    pcfmcp_error_t rc = ask_client(ctx, r, "sampling/createMessage", p, "LLM response: ");
    cJSON_Delete(p);
    return rc;
}

static pcfmcp_error_t elicitation(pcfmcp_ctx_t *ctx, const char *a, size_t l, pcfmcp_result_t *r, void *u)
{
    (void)l, (void)u;
    char message[1024];
    arg_string(a, "message", message, sizeof(message));
    cJSON *p = cJSON_Parse("{\"requestedSchema\":{\"type\":\"object\",\"properties\":{"
                           "\"username\":{\"type\":\"string\",\"description\":\"User's response\"},"
                           "\"email\":{\"type\":\"string\",\"description\":\"User's email address\"}},"
                           "\"required\":[\"username\",\"email\"]}}");
    cJSON_AddStringToObject(p, "message", message);
    pcfmcp_error_t rc = ask_client(ctx, r, "elicitation/create", p, "User response: ");
    cJSON_Delete(p);
    return rc;
}

static pcfmcp_error_t elicitation_defaults(pcfmcp_ctx_t *ctx, const char *a, size_t l, pcfmcp_result_t *r, void *u)
{
    (void)a, (void)l, (void)u;
    cJSON *p = cJSON_Parse(
        "{\"message\":\"Please review and update the form fields with defaults\","
        "\"requestedSchema\":{\"type\":\"object\",\"properties\":{"
        "\"name\":{\"type\":\"string\",\"description\":\"User name\",\"default\":\"John Doe\"},"
        "\"age\":{\"type\":\"integer\",\"description\":\"User age\",\"default\":30},"
        "\"score\":{\"type\":\"number\",\"description\":\"User score\",\"default\":95.5},"
        "\"status\":{\"type\":\"string\",\"description\":\"User status\","
        "\"enum\":[\"active\",\"inactive\",\"pending\"],\"default\":\"active\"},"
        "\"verified\":{\"type\":\"boolean\",\"description\":\"Verification status\",\"default\":true}}}}");
    pcfmcp_error_t rc = ask_client(ctx, r, "elicitation/create", p, "Elicitation completed: ");
    cJSON_Delete(p);
    return rc;
}

static pcfmcp_error_t elicitation_enums(pcfmcp_ctx_t *ctx, const char *a, size_t l, pcfmcp_result_t *r, void *u)
{
    (void)a, (void)l, (void)u;
    cJSON *p = cJSON_Parse(
        "{\"message\":\"Please select options from the enum fields\","
        "\"requestedSchema\":{\"type\":\"object\",\"properties\":{"
        "\"untitledSingle\":{\"type\":\"string\",\"description\":\"Select one option\","
        "\"enum\":[\"option1\",\"option2\",\"option3\"]},"
        "\"titledSingle\":{\"type\":\"string\",\"description\":\"Select one option with titles\","
        "\"oneOf\":[{\"const\":\"value1\",\"title\":\"First Option\"},{\"const\":\"value2\",\"title\":"
        "\"Second Option\"},{\"const\":\"value3\",\"title\":\"Third Option\"}]},"
        "\"legacyEnum\":{\"type\":\"string\",\"description\":\"Select one option (legacy)\","
        "\"enum\":[\"opt1\",\"opt2\",\"opt3\"],\"enumNames\":[\"Option One\",\"Option Two\",\"Option Three\"]},"
        "\"untitledMulti\":{\"type\":\"array\",\"description\":\"Select multiple options\","
        "\"minItems\":1,\"maxItems\":3,\"items\":{\"type\":\"string\",\"enum\":[\"option1\",\"option2\",\"option3\"]}},"
        "\"titledMulti\":{\"type\":\"array\",\"description\":\"Select multiple options with titles\","
        "\"minItems\":1,\"maxItems\":3,\"items\":{\"anyOf\":[{\"const\":\"value1\",\"title\":\"First Choice\"},"
        "{\"const\":\"value2\",\"title\":\"Second Choice\"},{\"const\":\"value3\",\"title\":\"Third Choice\"}]}}},"
        "\"required\":[]}}");
    pcfmcp_error_t rc = ask_client(ctx, r, "elicitation/create", p, "Elicitation completed: ");
    cJSON_Delete(p);
    return rc;
}

static pcfmcp_error_t schema_2020(pcfmcp_ctx_t *ctx, const char *a, size_t l, pcfmcp_result_t *r, void *u)
{
    (void)ctx, (void)u;
    const char *prefix = "Received: ";
    char *t = malloc(strlen(prefix) + l + 1);
    if (!t)
        return PCFMCP_ERR_NOMEM;
    memcpy(t, prefix, strlen(prefix));
    memcpy(t + strlen(prefix), a, l);
    pcfmcp_error_t rc = pcfmcp_result_add_text(r, t, strlen(prefix) + l);
    free(t);
    return rc;
}

/* 2026-07-28 diagnostics of the conformance suite's server-stateless scenario. */
static pcfmcp_error_t missing_capability(pcfmcp_ctx_t *ctx, const char *a, size_t l, pcfmcp_result_t *r, void *u)
{
    (void)a, (void)l, (void)u;
    char *answer = NULL;
    pcfmcp_error_t rc = pcfmcp_ctx_request(ctx, "sampling/createMessage",
                                           "{\"messages\":[{\"role\":\"user\",\"content\":{\"type\":\"text\","
                                           "\"text\":\"hi\"}}],\"maxTokens\":10}", &answer);
    if (rc != PCFMCP_OK) {
        pcfmcp_result_set_error(r, pcfmcp_ctx_errmsg(ctx));
        return rc;
    }
    rc = pcfmcp_result_add_text(r, answer, strlen(answer));
    pcfmcp_free(answer);
    return rc;
}

static pcfmcp_error_t streaming_elicitation(pcfmcp_ctx_t *ctx, const char *a, size_t l, pcfmcp_result_t *r, void *u)
{
    (void)a, (void)l, (void)u;
    pcfmcp_ctx_progress(ctx, 1, 2, "asking");
    cJSON *p = cJSON_Parse("{\"message\":\"Please confirm\",\"requestedSchema\":{\"type\":\"object\","
                           "\"properties\":{\"ok\":{\"type\":\"boolean\"}},\"required\":[\"ok\"]}}");
    pcfmcp_error_t rc = ask_client(ctx, r, "elicitation/create", p, "Elicitation result: ");
    cJSON_Delete(p);
    return rc;
}

static pcfmcp_error_t logging_tool(pcfmcp_ctx_t *ctx, const char *a, size_t l, pcfmcp_result_t *r, void *u)
{
    (void)a, (void)l, (void)u;
    pcfmcp_ctx_log(ctx, "info", "everything", "\"first log line\"");
    pcfmcp_ctx_log(ctx, "warning", "everything", "\"second log line\"");
    const char *t = "Logged twice";
    return pcfmcp_result_add_text(r, t, strlen(t));
}

/* Multi round-trip (2026-07-28): each pcfmcp_ctx_request() either returns
 * the client's answer or queues an input request; asking for several at once
 * means making every call before giving up with PCFMCP_ERR_INPUT_REQUIRED. */
static const char ELICIT_PARAMS[] =
    "{\"message\":\"What is your name?\",\"requestedSchema\":{\"type\":\"object\",\"properties\":{"
    "\"name\":{\"type\":\"string\"}},\"required\":[\"name\"]}}";
static const char SAMPLE_PARAMS[] =
    "{\"messages\":[{\"role\":\"user\",\"content\":{\"type\":\"text\",\"text\":\"Say hello\"}}],"
    "\"maxTokens\":50}";

/* Input request keys: the conformance fixtures name them. */
static const char *key_for(const char *method)
{
    if (strcmp(method, "elicitation/create") == 0)
        return "user_name";
    if (strcmp(method, "sampling/createMessage") == 0)
        return "llm_reply";
    return "client_roots";
}

static pcfmcp_error_t gather(pcfmcp_ctx_t *ctx, pcfmcp_result_t *r, const char *const *methods,
                             const char *const *params, size_t n)
{
    char *answers[3] = { NULL, NULL, NULL };
    pcfmcp_error_t worst = PCFMCP_OK;
    for (size_t i = 0; i < n; i++) {
        pcfmcp_error_t rc = pcfmcp_ctx_request_keyed(ctx, key_for(methods[i]), methods[i], params[i], &answers[i]);
        if (rc != PCFMCP_OK && worst != PCFMCP_ERR_INPUT_REQUIRED)
            worst = rc;
    }
    pcfmcp_error_t rc = worst;
    if (rc == PCFMCP_OK) {
        for (size_t i = 0; i < n && rc == PCFMCP_OK; i++)
            rc = pcfmcp_result_add_text(r, answers[i], strlen(answers[i]));
    } else if (rc != PCFMCP_ERR_INPUT_REQUIRED) {
        pcfmcp_result_set_error(r, pcfmcp_ctx_errmsg(ctx));
    }
    for (size_t i = 0; i < n; i++)
        pcfmcp_free(answers[i]);
    return rc;
}

static pcfmcp_error_t irr_elicitation(pcfmcp_ctx_t *ctx, const char *a, size_t l, pcfmcp_result_t *r, void *u)
{
    (void)a, (void)l, (void)u;
    const char *m[] = { "elicitation/create" }, *p[] = { ELICIT_PARAMS };
    return gather(ctx, r, m, p, 1);
}

static pcfmcp_error_t irr_sampling(pcfmcp_ctx_t *ctx, const char *a, size_t l, pcfmcp_result_t *r, void *u)
{
    (void)a, (void)l, (void)u;
    const char *m[] = { "sampling/createMessage" }, *p[] = { SAMPLE_PARAMS };
    return gather(ctx, r, m, p, 1);
}

static pcfmcp_error_t irr_roots(pcfmcp_ctx_t *ctx, const char *a, size_t l, pcfmcp_result_t *r, void *u)
{
    (void)a, (void)l, (void)u;
    const char *m[] = { "roots/list" }, *p[] = { "{}" };
    return gather(ctx, r, m, p, 1);
}

static pcfmcp_error_t irr_multiple(pcfmcp_ctx_t *ctx, const char *a, size_t l, pcfmcp_result_t *r, void *u)
{
    (void)a, (void)l, (void)u;
    const char *m[] = { "elicitation/create", "sampling/createMessage", "roots/list" };
    const char *p[] = { ELICIT_PARAMS, SAMPLE_PARAMS, "{}" };
    return gather(ctx, r, m, p, 3);
}

/* Asks for a confirmation; the engine round-trips requestState (HMAC-protected). */
static pcfmcp_error_t irr_request_state(pcfmcp_ctx_t *ctx, const char *a, size_t l, pcfmcp_result_t *r, void *u)
{
    (void)a, (void)l, (void)u;
    char *answer = NULL;
    pcfmcp_ctx_set_request_state(ctx, "awaiting-confirmation");
    pcfmcp_error_t rc = pcfmcp_ctx_request_keyed(ctx, "confirm", "elicitation/create",
        "{\"message\":\"Please confirm\",\"requestedSchema\":{\"type\":\"object\",\"properties\":{"
        "\"ok\":{\"type\":\"boolean\"}},\"required\":[\"ok\"]}}", &answer);
    if (rc != PCFMCP_OK)
        return rc;
    const char *st = pcfmcp_ctx_request_state(ctx);
    char text[512];
    snprintf(text, sizeof(text), "state-ok: requestState verified (%s); answer %s", st ? st : "-", answer);
    pcfmcp_free(answer);
    return pcfmcp_result_add_text(r, text, strlen(text));
}

/* Three rounds: a name, then a colour, then the result. Earlier answers come
 * back to the handler through the engine's requestState. */
static pcfmcp_error_t irr_multi_round(pcfmcp_ctx_t *ctx, const char *a, size_t l, pcfmcp_result_t *r, void *u)
{
    (void)a, (void)l, (void)u;
    char *name = NULL, *color = NULL;
    pcfmcp_error_t rc = pcfmcp_ctx_request_keyed(ctx, "name", "elicitation/create",
        "{\"message\":\"What is your name?\",\"requestedSchema\":{\"type\":\"object\",\"properties\":{"
        "\"name\":{\"type\":\"string\"}},\"required\":[\"name\"]}}", &name);
    if (rc != PCFMCP_OK)
        return rc;
    rc = pcfmcp_ctx_request_keyed(ctx, "color", "elicitation/create",
        "{\"message\":\"What is your favourite colour?\",\"requestedSchema\":{\"type\":\"object\","
        "\"properties\":{\"color\":{\"type\":\"string\"}},\"required\":[\"color\"]}}", &color);
    if (rc == PCFMCP_OK) {
        char text[1024];
        snprintf(text, sizeof(text), "Hello %s, you like %s", name, color);
        rc = pcfmcp_result_add_text(r, text, strlen(text));
    }
    pcfmcp_free(name);
    pcfmcp_free(color);
    return rc;
}

static pcfmcp_error_t irr_prompt(pcfmcp_ctx_t *ctx, const char *a, pcfmcp_result_t *r, void *u)
{
    (void)a, (void)u;
    char *answer = NULL;
    pcfmcp_error_t rc = pcfmcp_ctx_request_keyed(ctx, "context", "elicitation/create",
        "{\"message\":\"What context should the prompt use?\",\"requestedSchema\":{\"type\":\"object\","
        "\"properties\":{\"context\":{\"type\":\"string\"}},\"required\":[\"context\"]}}", &answer);
    if (rc != PCFMCP_OK)
        return rc;
    char text[1024];
    snprintf(text, sizeof(text), "Use this context: %s", answer);
    pcfmcp_free(answer);
    return pcfmcp_result_add_message_text(r, "user", text);
}

/* Asks only for what the client declared. */
static pcfmcp_error_t irr_capabilities(pcfmcp_ctx_t *ctx, const char *a, size_t l, pcfmcp_result_t *r, void *u)
{
    (void)a, (void)l, (void)u;
    cJSON *caps = cJSON_Parse(pcfmcp_ctx_client_capabilities(ctx));
    const char *m[3], *p[3];
    size_t n = 0;
    if (cJSON_GetObjectItemCaseSensitive(caps, "elicitation"))
        m[n] = "elicitation/create", p[n++] = ELICIT_PARAMS;
    if (cJSON_GetObjectItemCaseSensitive(caps, "sampling"))
        m[n] = "sampling/createMessage", p[n++] = SAMPLE_PARAMS;
    if (cJSON_GetObjectItemCaseSensitive(caps, "roots"))
        m[n] = "roots/list", p[n++] = "{}";
    cJSON_Delete(caps);
    if (n == 0) {
        const char *t = "The client declared no capability to ask through";
        return pcfmcp_result_add_text(r, t, strlen(t));
    }
    return gather(ctx, r, m, p, n);
}

/* Change the tool or prompt list, so that subscriptions/listen streams (and
 * 2025 sessions) see list_changed notifications. */
static pcfmcp_engine_t *g_engine;

static pcfmcp_error_t dynamic_tool(pcfmcp_ctx_t *ctx, const char *a, size_t l, pcfmcp_result_t *r, void *u)
{
    (void)ctx, (void)a, (void)l, (void)u;
    return pcfmcp_result_add_text(r, "dynamic", 7);
}

static pcfmcp_error_t dynamic_prompt(pcfmcp_ctx_t *ctx, const char *a, pcfmcp_result_t *r, void *u)
{
    (void)ctx, (void)a, (void)u;
    return pcfmcp_result_add_message_text(r, "user", "dynamic");
}

static pcfmcp_error_t trigger_tool_change(pcfmcp_ctx_t *ctx, const char *a, size_t l, pcfmcp_result_t *r, void *u)
{
    (void)ctx, (void)a, (void)l, (void)u;
    if (pcfmcp_engine_remove_tool(g_engine, "test_dynamic_tool") != PCFMCP_OK)
        pcfmcp_engine_add_tool(g_engine, "{\"name\":\"test_dynamic_tool\",\"description\":\"Comes and goes\","
                                         "\"inputSchema\":" NO_ARGS "}", dynamic_tool, NULL);
    return pcfmcp_result_add_text(r, "tool list changed", 17);
}

static pcfmcp_error_t trigger_prompt_change(pcfmcp_ctx_t *ctx, const char *a, size_t l, pcfmcp_result_t *r, void *u)
{
    (void)ctx, (void)a, (void)l, (void)u;
    /* Prompts cannot be removed; each call adds the next one. */
    static atomic_int n;
    char def[160];
    snprintf(def, sizeof(def), "{\"name\":\"test_dynamic_prompt_%d\",\"description\":\"Added at run time\"}",
             atomic_fetch_add(&n, 1) + 1);
    pcfmcp_engine_add_prompt(g_engine, def, dynamic_prompt, NULL);
    return pcfmcp_result_add_text(r, "prompt list changed", 19);
}

/* Closes the SSE stream mid-call; the client reconnects for the result. */
static pcfmcp_error_t reconnection(pcfmcp_ctx_t *ctx, const char *a, size_t l, pcfmcp_result_t *r, void *u)
{
    (void)a, (void)l, (void)u;
    pcfmcp_ctx_close_stream(ctx);
    pause_ms(200);
    const char *t = "Reconnection test completed successfully";
    return pcfmcp_result_add_text(r, t, strlen(t));
}

static const struct {
    const char *def;
    pcfmcp_tool_cb cb;
} TOOLS[] = {
    { "{\"name\":\"test_missing_capability\",\"description\":\"Needs the client's sampling capability "
      "(MissingRequiredClientCapability when it is not declared)\",\"inputSchema\":" NO_ARGS "}", missing_capability },
    { "{\"name\":\"test_streaming_elicitation\",\"description\":\"Reports progress, then asks the user to "
      "confirm\",\"inputSchema\":" NO_ARGS "}", streaming_elicitation },
    { "{\"name\":\"test_logging_tool\",\"description\":\"Emits two log messages (only to clients that asked "
      "for a log level)\",\"inputSchema\":" NO_ARGS "}", logging_tool },
    { "{\"name\":\"test_custom_header\",\"description\":\"Echoes its arguments; region is mirrored into the "
      "Mcp-Param-Region header (SEP-2243)\",\"inputSchema\":{\"type\":\"object\",\"properties\":{\"region\":{"
      "\"type\":\"string\",\"description\":\"Where to run\",\"x-mcp-header\":\"Region\"},\"query\":{"
      "\"type\":\"string\"}},\"required\":[\"region\"]}}", schema_2020 },
    { "{\"name\":\"test_input_required_result_elicitation\",\"description\":\"MRTR: asks the user one "
      "question\",\"inputSchema\":" NO_ARGS "}", irr_elicitation },
    { "{\"name\":\"test_input_required_result_sampling\",\"description\":\"MRTR: asks for one LLM "
      "completion\",\"inputSchema\":" NO_ARGS "}", irr_sampling },
    { "{\"name\":\"test_input_required_result_list_roots\",\"description\":\"MRTR: asks for the client's "
      "roots\",\"inputSchema\":" NO_ARGS "}", irr_roots },
    { "{\"name\":\"test_input_required_result_multiple_inputs\",\"description\":\"MRTR: elicitation, "
      "sampling and roots at once\",\"inputSchema\":" NO_ARGS "}", irr_multiple },
    { "{\"name\":\"test_input_required_result_capabilities\",\"description\":\"MRTR: asks only through "
      "declared capabilities\",\"inputSchema\":" NO_ARGS "}", irr_capabilities },
    { "{\"name\":\"test_input_required_result_request_state\",\"description\":\"MRTR: round-trips an "
      "integrity-protected requestState\",\"inputSchema\":" NO_ARGS "}", irr_request_state },
    { "{\"name\":\"test_input_required_result_tampered_state\",\"description\":\"MRTR: rejects a tampered "
      "requestState\",\"inputSchema\":" NO_ARGS "}", irr_request_state },
    { "{\"name\":\"test_input_required_result_multi_round\",\"description\":\"MRTR: three rounds\","
      "\"inputSchema\":" NO_ARGS "}", irr_multi_round },
    { "{\"name\":\"test_trigger_tool_change\",\"description\":\"Adds or removes test_dynamic_tool "
      "(tools/list_changed)\",\"inputSchema\":" NO_ARGS "}", trigger_tool_change },
    { "{\"name\":\"test_trigger_prompt_change\",\"description\":\"Adds a prompt "
      "(prompts/list_changed)\",\"inputSchema\":" NO_ARGS "}", trigger_prompt_change },
    { "{\"name\":\"test_reconnection\",\"description\":\"Closes the SSE stream mid-call to test client "
      "reconnection (SEP-1699)\",\"inputSchema\":" NO_ARGS "}", reconnection },
    { "{\"name\":\"test_simple_text\",\"description\":\"Tests simple text content response\","
      "\"inputSchema\":" NO_ARGS "}", simple_text },
    { "{\"name\":\"test_image_content\",\"description\":\"Tests image content response\","
      "\"inputSchema\":" NO_ARGS "}", image_content },
    { "{\"name\":\"test_audio_content\",\"description\":\"Tests audio content response\","
      "\"inputSchema\":" NO_ARGS "}", audio_content },
    { "{\"name\":\"test_embedded_resource\",\"description\":\"Tests embedded resource content response\","
      "\"inputSchema\":" NO_ARGS "}", embedded_resource },
    { "{\"name\":\"test_multiple_content_types\",\"description\":\"Tests response with multiple content types\","
      "\"inputSchema\":" NO_ARGS "}", mixed_content },
    { "{\"name\":\"test_tool_with_logging\",\"description\":\"Tests tool that emits log messages during execution\","
      "\"inputSchema\":" NO_ARGS "}", with_logging },
    { "{\"name\":\"test_error_handling\",\"description\":\"Tests error response handling\","
      "\"inputSchema\":" NO_ARGS "}", error_handling },
    { "{\"name\":\"test_tool_with_progress\",\"description\":\"Tests tool that reports progress notifications\","
      "\"inputSchema\":" NO_ARGS "}", with_progress },
    { "{\"name\":\"test_sampling\",\"description\":\"Tests server-initiated sampling (LLM completion request)\","
      "\"inputSchema\":{\"type\":\"object\",\"properties\":{\"prompt\":{\"type\":\"string\","
      "\"description\":\"The prompt to send to the LLM\"}},\"required\":[\"prompt\"]}}", sampling },
    { "{\"name\":\"test_elicitation\",\"description\":\"Tests server-initiated elicitation (user input request)\","
      "\"inputSchema\":{\"type\":\"object\",\"properties\":{\"message\":{\"type\":\"string\","
      "\"description\":\"The message to show the user\"}},\"required\":[\"message\"]}}", elicitation },
    { "{\"name\":\"test_elicitation_sep1034_defaults\",\"description\":\"Tests elicitation with default values (SEP-1034)\","
      "\"inputSchema\":" NO_ARGS "}", elicitation_defaults },
    { "{\"name\":\"test_elicitation_sep1330_enums\",\"description\":\"Tests elicitation with enum schema variants (SEP-1330)\","
      "\"inputSchema\":" NO_ARGS "}", elicitation_enums },
    { "{\"name\":\"json_schema_2020_12_tool\",\"description\":\"Tool with JSON Schema 2020-12 features\","
      "\"inputSchema\":{\"$schema\":\"https://json-schema.org/draft/2020-12/schema\",\"type\":\"object\","
      "\"$defs\":{\"address\":{\"$anchor\":\"addressDef\",\"type\":\"object\",\"properties\":{"
      "\"street\":{\"type\":\"string\"},\"city\":{\"type\":\"string\"}}}},\"properties\":{"
      "\"name\":{\"type\":\"string\"},\"address\":{\"$ref\":\"#/$defs/address\"},"
      "\"contactMethod\":{\"type\":\"string\",\"enum\":[\"phone\",\"email\"]},\"phone\":{\"type\":\"string\"},"
      "\"email\":{\"type\":\"string\"}},\"allOf\":[{\"anyOf\":[{\"required\":[\"phone\"]},{\"required\":[\"email\"]}]}],"
      "\"if\":{\"properties\":{\"contactMethod\":{\"const\":\"phone\"}},\"required\":[\"contactMethod\"]},"
      "\"then\":{\"required\":[\"phone\"]},\"else\":{\"required\":[\"email\"]},\"additionalProperties\":false}}", schema_2020 },
};

/* -------------------------------------------------------------- resources */

static pcfmcp_error_t read_static_text(pcfmcp_ctx_t *ctx, const char *uri, const char *v, pcfmcp_result_t *r, void *u)
{
    (void)ctx, (void)v, (void)u;
    const char *t = "This is the content of the static text resource.";
    return pcfmcp_result_add_contents_text(r, uri, "text/plain", t, strlen(t));
}

static pcfmcp_error_t read_static_binary(pcfmcp_ctx_t *ctx, const char *uri, const char *v, pcfmcp_result_t *r, void *u)
{
    (void)ctx, (void)v, (void)u;
    return pcfmcp_result_add_contents_blob(r, uri, "image/png", PNG, sizeof(PNG));
}

static pcfmcp_error_t read_watched(pcfmcp_ctx_t *ctx, const char *uri, const char *v, pcfmcp_result_t *r, void *u)
{
    (void)ctx, (void)v, (void)u;
    const char *t = "Watched resource content";
    return pcfmcp_result_add_contents_text(r, uri, "text/plain", t, strlen(t));
}

static pcfmcp_error_t read_template(pcfmcp_ctx_t *ctx, const char *uri, const char *vars, pcfmcp_result_t *r, void *u)
{
    (void)ctx, (void)u;
    char id[256];
    arg_string(vars, "id", id, sizeof(id));
    cJSON *o = cJSON_CreateObject();
    cJSON_AddStringToObject(o, "id", id);
    cJSON_AddBoolToObject(o, "templateTest", 1);
    char data[300];
    snprintf(data, sizeof(data), "Data for ID: %s", id);
    cJSON_AddStringToObject(o, "data", data);
    char *t = cJSON_PrintUnformatted(o);
    cJSON_Delete(o);
    if (!t)
        return PCFMCP_ERR_NOMEM;
    pcfmcp_error_t rc = pcfmcp_result_add_contents_text(r, uri, "application/json", t, strlen(t));
    cJSON_free(t);
    return rc;
}

/* ---------------------------------------------------------------- prompts */

static pcfmcp_error_t prompt_simple(pcfmcp_ctx_t *ctx, const char *a, pcfmcp_result_t *r, void *u)
{
    (void)ctx, (void)a, (void)u;
    return pcfmcp_result_add_message_text(r, "user", "This is a simple prompt for testing.");
}

static pcfmcp_error_t prompt_args(pcfmcp_ctx_t *ctx, const char *a, pcfmcp_result_t *r, void *u)
{
    (void)ctx, (void)u;
    char a1[512], a2[512], text[1200];
    arg_string(a, "arg1", a1, sizeof(a1));
    arg_string(a, "arg2", a2, sizeof(a2));
    snprintf(text, sizeof(text), "Prompt with arguments: arg1='%s', arg2='%s'", a1, a2);
    return pcfmcp_result_add_message_text(r, "user", text);
}

static pcfmcp_error_t prompt_resource(pcfmcp_ctx_t *ctx, const char *a, pcfmcp_result_t *r, void *u)
{
    (void)ctx, (void)u;
    char uri[1024];
    arg_string(a, "resourceUri", uri, sizeof(uri));
    cJSON *c = cJSON_CreateObject();
    cJSON_AddStringToObject(c, "type", "resource");
    cJSON *res = cJSON_AddObjectToObject(c, "resource");
    cJSON_AddStringToObject(res, "uri", uri);
    cJSON_AddStringToObject(res, "mimeType", "text/plain");
    cJSON_AddStringToObject(res, "text", "Embedded resource content for testing.");
    char *j = cJSON_PrintUnformatted(c);
    cJSON_Delete(c);
    pcfmcp_error_t rc = j ? pcfmcp_result_add_message(r, "user", j) : PCFMCP_ERR_NOMEM;
    cJSON_free(j);
    if (rc == PCFMCP_OK)
        rc = pcfmcp_result_add_message_text(r, "user", "Please process the embedded resource above.");
    return rc;
}

static pcfmcp_error_t prompt_image(pcfmcp_ctx_t *ctx, const char *a, pcfmcp_result_t *r, void *u)
{
    (void)ctx, (void)a, (void)u;
    static const char b64[] = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAIAAACQd1PeAAAADElEQVR4nGP4z8AAAAMBAQDJ/pLvAAAAAElFTkSuQmCC";
    char content[256];
    snprintf(content, sizeof(content), "{\"type\":\"image\",\"data\":\"%s\",\"mimeType\":\"image/png\"}", b64);
    pcfmcp_error_t rc = pcfmcp_result_add_message(r, "user", content);
    if (rc == PCFMCP_OK)
        rc = pcfmcp_result_add_message_text(r, "user", "Please analyze the image above.");
    return rc;
}

static pcfmcp_error_t complete_args(pcfmcp_ctx_t *ctx, const char *arg, const char *value,
                                    const char *context, pcfmcp_result_t *r, void *u)
{
    (void)ctx, (void)arg, (void)context, (void)u;
    static const char *const words[] = { "paris", "park", "party", "test", "testing", "tested" };
    long total = 0;
    for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
        if (strncmp(words[i], value, strlen(value)) == 0) {
            pcfmcp_result_add_completion(r, words[i]);
            total++;
        }
    return pcfmcp_result_set_completion_total(r, total, 0);
}

static pcfmcp_error_t build(pcfmcp_engine_t *e)
{
    pcfmcp_error_t rc = PCFMCP_OK;
    for (size_t i = 0; rc == PCFMCP_OK && i < sizeof(TOOLS) / sizeof(TOOLS[0]); i++)
        rc = pcfmcp_engine_add_tool(e, TOOLS[i].def, TOOLS[i].cb, NULL);
    if (rc == PCFMCP_OK)
        rc = pcfmcp_engine_add_resource(e, "{\"uri\":\"test://static-text\",\"name\":\"static-text\","
                                           "\"description\":\"A static text resource\",\"mimeType\":\"text/plain\"}",
                                        read_static_text, NULL);
    if (rc == PCFMCP_OK)
        rc = pcfmcp_engine_add_resource(e, "{\"uri\":\"test://static-binary\",\"name\":\"static-binary\","
                                           "\"description\":\"A static binary resource (PNG)\",\"mimeType\":\"image/png\"}",
                                        read_static_binary, NULL);
    if (rc == PCFMCP_OK)
        rc = pcfmcp_engine_add_resource(e, "{\"uri\":\"test://watched-resource\",\"name\":\"watched-resource\","
                                           "\"description\":\"A resource clients may subscribe to\",\"mimeType\":\"text/plain\"}",
                                        read_watched, NULL);
    if (rc == PCFMCP_OK)
        rc = pcfmcp_engine_add_resource_template(
            e, "{\"uriTemplate\":\"test://template/{id}/data\",\"name\":\"template-data\","
               "\"description\":\"A templated resource\",\"mimeType\":\"application/json\"}",
            read_template, NULL);
    if (rc == PCFMCP_OK)
        rc = pcfmcp_engine_add_prompt(e, "{\"name\":\"test_simple_prompt\",\"description\":\"A simple prompt without arguments\"}",
                                      prompt_simple, NULL);
    if (rc == PCFMCP_OK)
        rc = pcfmcp_engine_add_prompt(e, "{\"name\":\"test_prompt_with_arguments\",\"description\":\"A prompt with arguments\","
                                         "\"arguments\":[{\"name\":\"arg1\",\"description\":\"First test argument\",\"required\":true},"
                                         "{\"name\":\"arg2\",\"description\":\"Second test argument\",\"required\":true}]}",
                                      prompt_args, NULL);
    if (rc == PCFMCP_OK)
        rc = pcfmcp_engine_add_prompt(e, "{\"name\":\"test_prompt_with_embedded_resource\",\"description\":\"A prompt with an embedded resource\","
                                         "\"arguments\":[{\"name\":\"resourceUri\",\"description\":\"URI of the resource to embed\",\"required\":true}]}",
                                      prompt_resource, NULL);
    if (rc == PCFMCP_OK)
        rc = pcfmcp_engine_add_prompt(e, "{\"name\":\"test_prompt_with_image\",\"description\":\"A prompt with an image\"}",
                                      prompt_image, NULL);
    if (rc == PCFMCP_OK)
        rc = pcfmcp_engine_add_prompt(e, "{\"name\":\"test_input_required_result_prompt\",\"description\":"
                                         "\"MRTR: asks the user for context, then renders\"}",
                                      irr_prompt, NULL);
    if (rc == PCFMCP_OK)
        rc = pcfmcp_engine_add_completion(e, "ref/prompt", "test_prompt_with_arguments", complete_args, NULL);
    if (rc == PCFMCP_OK)
        rc = pcfmcp_engine_add_completion(e, "ref/resource", "test://template/{id}/data", complete_args, NULL);
    if (rc == PCFMCP_OK)
        rc = pcfmcp_engine_enable_subscriptions(e);
    return rc;
}

static pcfmcp_http_t *g_http; /* for the signal handler only */

static void on_signal(int sig)
{
    (void)sig;
    pcfmcp_http_stop(g_http);
}

static int serve_http(pcfmcp_engine_t *engine, pcfmcp_logger_t *log, unsigned port, int stateless,
                      const char *cert, const char *key)
{
    pcfmcp_http_t *http = NULL;
    if (pcfmcp_http_new(&http, engine) != PCFMCP_OK)
        return 1;
    pcfmcp_http_set_logger(http, log);
    pcfmcp_http_set_listen(http, "127.0.0.1", port);
    pcfmcp_http_set_stateless(http, stateless);
    /* Conformance runs open many short streams; keep-alives show up fast. */
    pcfmcp_http_set_limit(http, PCFMCP_HTTP_LIMIT_GRACE_MS, 2000);
    if (cert && key)
        pcfmcp_http_set_tls(http, cert, key, NULL);
    const char *threads = getenv("EVERYTHING_HTTP_THREADS");
    if (threads)
        pcfmcp_http_set_limit(http, PCFMCP_HTTP_LIMIT_THREADS, strtoull(threads, NULL, 10));
    if (pcfmcp_http_start(http) != PCFMCP_OK) {
        fprintf(stderr, "everything-server: %s\n", pcfmcp_http_errmsg(http));
        pcfmcp_http_free(http);
        return 1;
    }
    printf("listening on %s://127.0.0.1:%u/mcp\n", cert ? "https" : "http", pcfmcp_http_port(http));
    fflush(stdout);
    g_http = http;
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    int status = pcfmcp_http_run(http) == PCFMCP_OK ? 0 : 1;
    g_http = NULL;
    pcfmcp_http_free(http);
    return status;
}

int main(int argc, char **argv)
{
    long http_port = -1;
    int stateless = 0;
    const char *cert = NULL, *key = NULL;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--http") == 0 && i + 1 < argc) {
            char *end = NULL;
            http_port = strtol(argv[++i], &end, 10);
            if (!end || *end || http_port < 0 || http_port > 65535)
                http_port = -2;
        } else if (strcmp(argv[i], "--stateless") == 0) {
            stateless = 1;
        } else if (strcmp(argv[i], "--tls-cert") == 0 && i + 1 < argc) {
            cert = argv[++i];
        } else if (strcmp(argv[i], "--tls-key") == 0 && i + 1 < argc) {
            key = argv[++i];
        } else {
            http_port = -2;
        }
        if (http_port == -2) {
            fprintf(stderr, "usage: %s [--http PORT [--stateless] [--tls-cert PEM --tls-key PEM]]\n", argv[0]);
            return 2;
        }
    }
    signal(SIGPIPE, SIG_IGN);
    pcfmcp_logger_t *log = NULL;
    pcfmcp_engine_t *engine = NULL;
    if (pcfmcp_global_init() != PCFMCP_OK || pcfmcp_logger_new(&log) != PCFMCP_OK ||
        pcfmcp_engine_new(&engine, "everything-server", pcfmcp_version()) != PCFMCP_OK) {
        fprintf(stderr, "everything-server: initialisation failed\n");
        return 1;
    }
    pcfmcp_logger_set_level(log, PCFMCP_LOG_WARN);
    pcfmcp_engine_set_logger(engine, log);
    pcfmcp_engine_set_threads(engine, 4, 64);
    g_engine = engine;
    if (build(engine) != PCFMCP_OK) {
        fprintf(stderr, "everything-server: %s\n", pcfmcp_engine_errmsg(engine));
        return 1;
    }
    int status = 0;
    if (http_port >= 0) {
        status = serve_http(engine, log, (unsigned)http_port, stateless, cert, key);
        pcfmcp_engine_free(engine);
        pcfmcp_logger_unref(log);
        pcfmcp_global_cleanup();
        return status;
    }
    pcfmcp_stdio_t *io = NULL;
    if (pcfmcp_stdio_new(&io, engine, STDIN_FILENO, STDOUT_FILENO) != PCFMCP_OK)
        return 1;
    pcfmcp_stdio_set_logger(io, log);
    status = pcfmcp_stdio_run(io) == PCFMCP_OK ? 0 : 1;
    pcfmcp_stdio_free(io);
    pcfmcp_engine_free(engine);
    pcfmcp_logger_unref(log);
    pcfmcp_global_cleanup();
    return status;
}
