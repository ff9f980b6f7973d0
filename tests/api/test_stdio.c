/* The stdio transport through its public API, over real pipes: framing,
 * partial reads, oversize lines, invalid UTF-8, EOF, stop and drain. */
#include "config.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <cjson/cJSON.h>
#include <pcfmcp/pcfmcp.h>

static pcfmcp_engine_t *eng;
static pcfmcp_stdio_t *io;
static int to_server[2], from_server[2];
static pthread_t runner;
static bool joined;
static pcfmcp_error_t run_rc;
static volatile int tool_cancelled;
static volatile int tool_started;

static pcfmcp_error_t sleepy(pcfmcp_ctx_t *ctx, const char *a, size_t l, pcfmcp_result_t *r, void *u)
{
    (void)a;
    (void)l;
    unsigned ms = (unsigned)(uintptr_t)u;
    tool_started = 1;
    for (unsigned i = 0; i < ms && !pcfmcp_ctx_is_cancelled(ctx); i++)
        usleep(1000);
    tool_cancelled = pcfmcp_ctx_is_cancelled(ctx);
    return pcfmcp_result_add_text(r, "slept", 5);
}

static atomic_int gate_open;

/* Holds its worker until the test opens the gate. */
static pcfmcp_error_t gated(pcfmcp_ctx_t *ctx, const char *a, size_t l, pcfmcp_result_t *r, void *u)
{
    (void)a, (void)l, (void)u;
    while (!atomic_load(&gate_open) && !pcfmcp_ctx_is_cancelled(ctx))
        usleep(1000);
    return pcfmcp_result_add_text(r, "through", 7);
}

static void *run(void *arg)
{
    (void)arg;
    run_rc = pcfmcp_stdio_run(io);
    close(from_server[1]); /* the reader side sees EOF when the transport is done */
    return NULL;
}

static void start(size_t max_line, unsigned grace_ms)
{
    ck_assert_int_eq(pcfmcp_engine_new(&eng, "stdio-test", "1"), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_engine_set_threads(eng, 2, 8), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_engine_add_tool(eng,
                                            "{\"name\":\"nap\",\"description\":\"d\","
                                            "\"inputSchema\":{\"type\":\"object\"}}",
                                            sleepy, (void *)(uintptr_t)3000),
                     PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_engine_add_tool(eng,
                                            "{\"name\":\"quick\",\"description\":\"d\","
                                            "\"inputSchema\":{\"type\":\"object\"}}",
                                            sleepy, (void *)(uintptr_t)0),
                     PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_engine_add_tool(eng,
                                            "{\"name\":\"gate\",\"description\":\"d\","
                                            "\"inputSchema\":{\"type\":\"object\"}}",
                                            gated, NULL),
                     PCFMCP_OK);
    atomic_store(&gate_open, 0);
    ck_assert_int_eq(pipe2(to_server, O_CLOEXEC), 0);
    ck_assert_int_eq(pipe2(from_server, O_CLOEXEC), 0);
    ck_assert_int_eq(pcfmcp_stdio_new(&io, eng, to_server[0], from_server[1]), PCFMCP_OK);
    if (max_line)
        ck_assert_int_eq(pcfmcp_stdio_set_max_line(io, max_line), PCFMCP_OK);
    pcfmcp_stdio_set_grace(io, grace_ms);
    joined = false;
    pthread_create(&runner, NULL, run, NULL);
}

static void join_runner(void)
{
    if (!joined)
        pthread_join(runner, NULL);
    joined = true;
}

static void setup(void)
{
    start(0, 2000);
}

static void setup_small(void)
{
    start(4096, 2000);
}

static void teardown(void)
{
    if (to_server[1] >= 0)
        close(to_server[1]);
    join_runner();
    close(to_server[0]);
    close(from_server[0]);
    pcfmcp_stdio_free(io);
    pcfmcp_engine_free(eng);
    to_server[1] = -1;
}

static void send_raw(const char *s, size_t n)
{
    while (n) {
        ssize_t w = write(to_server[1], s, n);
        ck_assert_int_gt(w, 0);
        s += w;
        n -= (size_t)w;
    }
}

static void send_str(const char *s)
{
    send_raw(s, strlen(s));
}

/* Reads one line of output (up to 5 s); returns NULL at EOF. */
static char *read_line(void)
{
    static char buf[1 << 16];
    static size_t have;
    for (;;) {
        char *nl = memchr(buf, '\n', have);
        if (nl) {
            size_t n = (size_t)(nl - buf);
            char *line = strndup(buf, n);
            memmove(buf, nl + 1, have - n - 1);
            have -= n + 1;
            return line;
        }
        struct pollfd p = { .fd = from_server[0], .events = POLLIN };
        if (poll(&p, 1, 5000) <= 0)
            return NULL;
        ssize_t r = read(from_server[0], buf + have, sizeof(buf) - have);
        if (r <= 0) {
            have = 0;
            return NULL;
        }
        have += (size_t)r;
    }
}

static cJSON *read_json(void)
{
    char *l = read_line();
    ck_assert_msg(l != NULL, "expected a line of output");
    cJSON *j = cJSON_Parse(l);
    ck_assert_msg(j != NULL, "output is not JSON: %s", l);
    free(l);
    return j;
}

static int error_code(const cJSON *j)
{
    const cJSON *e = cJSON_GetObjectItem(j, "error");
    ck_assert_ptr_nonnull(e);
    return cJSON_GetObjectItem(e, "code")->valueint;
}

START_TEST(stdio_answers_one_line_per_message)
{
    send_str("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}\n");
    cJSON *j = read_json();
    ck_assert_int_eq(cJSON_GetObjectItem(j, "id")->valueint, 1);
    cJSON_Delete(j);
}
END_TEST

START_TEST(stdio_reassembles_partial_reads_and_crlf)
{
    const char *m = "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"ping\"}\r\n";
    for (size_t i = 0; m[i]; i++) {
        send_raw(m + i, 1);
        usleep(200); /* separate writes so the transport sees many short reads */
    }
    cJSON *j = read_json();
    ck_assert_int_eq(cJSON_GetObjectItem(j, "id")->valueint, 2);
    cJSON_Delete(j);
}
END_TEST

/* A line longer than the buffer grown so far whose end arrives in a later
 * read: the final piece is copied into the buffer too (it once overflowed
 * it: a 1 MiB buffer took a line of 1.1 MB). */
START_TEST(stdio_reassembles_a_long_line_ending_in_a_later_read)
{
    size_t pad = 1100000;
    char *m = malloc(pad + 100);
    int n = snprintf(m, 100, "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"ping\",\"params\":{\"p\":\"");
    memset(m + n, 'a', pad);
    size_t len = (size_t)n + pad;
    len += (size_t)sprintf(m + len, "\"}}\n");
    size_t first = 1040000;
    send_raw(m, first);
    usleep(200000); /* the transport buffers the first part before the rest arrives */
    send_raw(m + first, len - first);
    cJSON *j = read_json();
    ck_assert_int_eq(cJSON_GetObjectItem(j, "id")->valueint, 7);
    ck_assert_ptr_nonnull(cJSON_GetObjectItem(j, "result"));
    cJSON_Delete(j);
    free(m);
}
END_TEST

START_TEST(stdio_skips_blank_lines_and_reports_garbage)
{
    send_str("\n   \n{oops\n{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"ping\"}\n");
    cJSON *j = read_json();
    ck_assert_int_eq(error_code(j), -32700);
    cJSON_Delete(j);
    j = read_json();
    ck_assert_int_eq(cJSON_GetObjectItem(j, "id")->valueint, 3);
    cJSON_Delete(j);
}
END_TEST

START_TEST(stdio_rejects_invalid_utf8_and_keeps_serving)
{
    send_str("{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"\xc3\x28\"}\n");
    cJSON *j = read_json();
    ck_assert_int_eq(error_code(j), -32700);
    cJSON_Delete(j);
    send_str("{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"ping\"}\n");
    j = read_json();
    ck_assert_int_eq(cJSON_GetObjectItem(j, "id")->valueint, 5);
    cJSON_Delete(j);
}
END_TEST

START_TEST(stdio_discards_lines_over_the_limit)
{
    char big[10000];
    memset(big, 'x', sizeof(big));
    send_raw(big, sizeof(big));
    send_str("\n{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"ping\"}\n");
    cJSON *j = read_json();
    ck_assert_int_eq(error_code(j), -32600);
    ck_assert(strstr(cJSON_GetObjectItem(cJSON_GetObjectItem(j, "error"), "message")->valuestring,
                     "4096"));
    cJSON_Delete(j);
    j = read_json();
    ck_assert_int_eq(cJSON_GetObjectItem(j, "id")->valueint, 6);
    cJSON_Delete(j);
}
END_TEST

START_TEST(stdio_ends_cleanly_at_eof)
{
    send_str("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"ping\"}");
    close(to_server[1]); /* no trailing newline: the last message still counts */
    to_server[1] = -1;
    cJSON *j = read_json();
    ck_assert_int_eq(cJSON_GetObjectItem(j, "id")->valueint, 7);
    cJSON_Delete(j);
    ck_assert_ptr_null(read_line());
    join_runner();
    ck_assert_int_eq(run_rc, PCFMCP_OK);
}
END_TEST

START_TEST(stdio_drains_running_calls_at_eof)
{
    send_str("{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-11-25\"}}\n");
    cJSON_Delete(read_json());
    tool_cancelled = 0;
    send_str("{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"tools/call\",\"params\":{\"name\":\"nap\"}}\n");
    close(to_server[1]);
    to_server[1] = -1;
    /* The call outlives the 2 s grace: the transport cancels it, sends no
     * response for it, and reports the unclean drain. */
    char *line = read_line();
    ck_assert_msg(line == NULL, "unexpected output: %s", line);
    join_runner();
    ck_assert_int_eq(run_rc, PCFMCP_ERR_TIMEOUT);
    ck_assert_int_eq(tool_cancelled, 1);
}
END_TEST

START_TEST(stdio_stop_returns_from_run)
{
    send_str("{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"ping\"}\n");
    cJSON_Delete(read_json());
    pcfmcp_stdio_stop(io);
    join_runner();
    ck_assert_int_eq(run_rc, PCFMCP_OK);
}
END_TEST

START_TEST(stdio_reports_a_closed_output)
{
    close(from_server[0]);
    from_server[0] = open("/dev/null", O_RDONLY | O_CLOEXEC);
    send_str("{\"jsonrpc\":\"2.0\",\"id\":10,\"method\":\"ping\"}\n");
    join_runner();
    ck_assert_int_eq(run_rc, PCFMCP_ERR_IO);
}
END_TEST

enum { PIPELINED = 2000 };

static void *pipeline_calls(void *arg)
{
    (void)arg;
    for (int i = 1; i <= PIPELINED; i++) {
        char m[160];
        snprintf(m, sizeof(m),
                 "{\"jsonrpc\":\"2.0\",\"id\":%d,\"method\":\"tools/call\",\"params\":"
                 "{\"name\":\"gate\",\"arguments\":{}}}\n",
                 i);
        send_str(m);
    }
    return NULL;
}

/* The one local client pipelining more calls than the workers and their
 * queue hold is held back by the pipe, not refused: once the queue is full
 * the transport stops reading, what the client writes stays in the pipe
 * (and its writes block), and every call is answered in the end. Before,
 * all but the first few got "server busy". */
START_TEST(stdio_holds_the_client_back_when_the_worker_queue_is_full)
{
    send_str("{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{"
             "\"protocolVersion\":\"2025-11-25\"}}\n");
    cJSON_Delete(read_json());
    pthread_t w;
    ck_assert_int_eq(pthread_create(&w, NULL, pipeline_calls, NULL), 0);
    /* 2 workers busy, 8 queued: the rest waits unread in the pipe. */
    int unread = 0;
    for (int i = 0; i < 1000 && unread < 32768; i++) {
        ck_assert_int_eq(ioctl(to_server[0], FIONREAD, &unread), 0);
        if (unread < 32768)
            usleep(10000);
    }
    ck_assert_msg(unread >= 32768, "the transport kept reading: %d bytes unread", unread);
    atomic_store(&gate_open, 1);
    int ok = 0, busy = 0;
    for (int i = 0; i < PIPELINED; i++) {
        cJSON *j = read_json();
        if (cJSON_GetObjectItem(j, "result"))
            ok++;
        else
            busy++;
        cJSON_Delete(j);
    }
    pthread_join(w, NULL);
    ck_assert_int_eq(busy, 0);
    ck_assert_int_eq(ok, PIPELINED);
}
END_TEST

/* ------------------------------------------------ subscriptions/listen */

#define META26 "\"_meta\":{\"io.modelcontextprotocol/protocolVersion\":\"2026-07-28\"," \
               "\"io.modelcontextprotocol/clientCapabilities\":{}}"

static void listen_as(const char *id)
{
    char m[512];
    snprintf(m, sizeof(m), "{\"jsonrpc\":\"2.0\",\"id\":%s,\"method\":\"subscriptions/listen\",\"params\":{"
                           "\"notifications\":{\"toolsListChanged\":true}," META26 "}}\n", id);
    send_str(m);
    cJSON *ack = read_json();
    ck_assert_str_eq(cJSON_GetObjectItem(ack, "method")->valuestring, "notifications/subscriptions/acknowledged");
    cJSON_Delete(ack);
}

START_TEST(stdio_cancelled_listen_ends_and_eof_ends_the_run_cleanly)
{
    listen_as("5");
    /* notifications/cancelled reaches it: no response, and nothing pending. */
    send_str("{\"jsonrpc\":\"2.0\",\"method\":\"notifications/cancelled\",\"params\":{\"requestId\":5}}\n");
    send_str("{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"ping\"}\n");
    cJSON *j = read_json();
    ck_assert_int_eq(cJSON_GetObjectItem(j, "id")->valueint, 6);
    cJSON_Delete(j);
    close(to_server[1]);
    to_server[1] = -1;
    ck_assert_ptr_null(read_line());
    join_runner();
    ck_assert_int_eq(run_rc, PCFMCP_OK);
}
END_TEST

START_TEST(stdio_eof_ends_an_open_listen_without_waiting)
{
    /* A subscription is no work to drain: at end of input it just ends
     * (before, the process hung and ignored SIGTERM). */
    listen_as("\"sub-a\"");
    close(to_server[1]);
    to_server[1] = -1;
    char *line = read_line();
    ck_assert_msg(line == NULL, "unexpected output: %s", line);
    join_runner();
    ck_assert_int_eq(run_rc, PCFMCP_OK);
}
END_TEST

START_TEST(stdio_stop_ends_a_listen_with_its_completion_result)
{
    listen_as("\"sub-b\"");
    pcfmcp_stdio_stop(io);
    cJSON *j = read_json();
    ck_assert_str_eq(cJSON_GetObjectItem(j, "id")->valuestring, "sub-b");
    const cJSON *res = cJSON_GetObjectItem(j, "result");
    ck_assert_str_eq(cJSON_GetObjectItem(res, "resultType")->valuestring, "complete");
    ck_assert_str_eq(cJSON_GetObjectItem(cJSON_GetObjectItem(res, "_meta"),
                                         "io.modelcontextprotocol/subscriptionId")->valuestring, "sub-b");
    cJSON_Delete(j);
    join_runner();
    ck_assert_int_eq(run_rc, PCFMCP_OK);
}
END_TEST

static volatile int after_done;

/* An after-hook (audit record, span end) still at work when the request's
 * answer is already out: it waits up to 2 s for nothing in particular. */
static void slow_after(pcfmcp_ctx_t *ctx, const char *method, const char *name,
                       pcfmcp_outcome_t outcome, int code, double secs, void *ud)
{
    (void)ctx, (void)name, (void)outcome, (void)code, (void)secs, (void)ud;
    if (strcmp(method, "tools/call") != 0)
        return;
    for (int i = 0; i < 2000; i++)
        usleep(1000);
    after_done = 1;
}

START_TEST(stdio_run_returns_only_after_the_after_hooks)
{
    /* The host closes its audit trail and tracer once run() returns: the
     * last call's record must be written by then. */
    pcfmcp_engine_set_hooks(eng, NULL, slow_after, NULL);
    after_done = 0;
    send_str("{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-11-25\"}}\n");
    cJSON_Delete(read_json());
    send_str("{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"tools/call\",\"params\":{\"name\":\"quick\"}}\n");
    cJSON_Delete(read_json()); /* the answer is out; the hook is still at work */
    close(to_server[1]);
    to_server[1] = -1;
    join_runner();
    ck_assert_int_eq(after_done, 1);
    pcfmcp_engine_set_hooks(eng, NULL, NULL, NULL);
}
END_TEST

static void setup_long_grace(void)
{
    start(0, 60000);
}

START_TEST(stdio_stop_after_eof_cancels_at_once)
{
    /* The client's shutdown: close stdin, then SIGTERM (pcfmcp_stdio_stop).
     * The second step must not wait out the grace period. */
    send_str("{\"jsonrpc\":\"2.0\",\"id\":0,\"method\":\"initialize\",\"params\":{\"protocolVersion\":\"2025-11-25\"}}\n");
    cJSON_Delete(read_json());
    tool_cancelled = 0;
    tool_started = 0;
    send_str("{\"jsonrpc\":\"2.0\",\"id\":8,\"method\":\"tools/call\",\"params\":{\"name\":\"nap\"}}\n");
    for (int i = 0; i < 5000 && !tool_started; i++)
        usleep(1000); /* the call must be running before the input ends */
    ck_assert(tool_started);
    close(to_server[1]);
    to_server[1] = -1;
    /* Twice, as a client escalating would: whichever the reader notices
     * first, the end of input or a stop, the other stop finds the drain. */
    pcfmcp_stdio_stop(io);
    pcfmcp_stdio_stop(io);
    join_runner();
    ck_assert_int_eq(run_rc, PCFMCP_ERR_TIMEOUT);
    ck_assert_int_eq(tool_cancelled, 1);
}
END_TEST

int main(void)
{
    signal(SIGPIPE, SIG_IGN);
    Suite *s = suite_create("stdio");
    TCase *t = tcase_create("framing");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, stdio_answers_one_line_per_message);
    tcase_add_test(t, stdio_reassembles_partial_reads_and_crlf);
    tcase_add_test(t, stdio_reassembles_a_long_line_ending_in_a_later_read);
    tcase_add_test(t, stdio_skips_blank_lines_and_reports_garbage);
    tcase_add_test(t, stdio_rejects_invalid_utf8_and_keeps_serving);
    tcase_add_test(t, stdio_ends_cleanly_at_eof);
    tcase_add_test(t, stdio_drains_running_calls_at_eof);
    tcase_add_test(t, stdio_stop_returns_from_run);
    tcase_add_test(t, stdio_reports_a_closed_output);
    tcase_add_test(t, stdio_holds_the_client_back_when_the_worker_queue_is_full);
    tcase_add_test(t, stdio_cancelled_listen_ends_and_eof_ends_the_run_cleanly);
    tcase_add_test(t, stdio_eof_ends_an_open_listen_without_waiting);
    tcase_add_test(t, stdio_stop_ends_a_listen_with_its_completion_result);
    suite_add_tcase(s, t);
    t = tcase_create("shutdown");
    tcase_add_checked_fixture(t, setup_long_grace, teardown);
    tcase_add_test(t, stdio_stop_after_eof_cancels_at_once);
    tcase_add_test(t, stdio_run_returns_only_after_the_after_hooks);
    suite_add_tcase(s, t);
    t = tcase_create("limits");
    tcase_add_checked_fixture(t, setup_small, teardown);
    tcase_add_test(t, stdio_discards_lines_over_the_limit);
    suite_add_tcase(s, t);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
