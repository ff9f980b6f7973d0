/* The HTTP transport's pure helpers: Accept and Accept-Encoding parsing,
 * Host and Origin parsing and matching, the Base64 header sentinel, gzip. */
#include <check.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>

#include <zlib.h>

#include "core/alloc.h"
#include "transport/http_internal.h"

START_TEST(accept_needs_listed_type_wildcard_and_honours_q0)
{
    ck_assert(pcfmcp__http_accepts("application/json, text/event-stream", "application/json"));
    ck_assert(pcfmcp__http_accepts("application/json, text/event-stream", "text/event-stream"));
    ck_assert(pcfmcp__http_accepts("*/*", "text/event-stream"));
    ck_assert(pcfmcp__http_accepts("text/*;q=0.5", "text/event-stream"));
    ck_assert(pcfmcp__http_accepts("Application/JSON;charset=utf-8", "application/json"));
    ck_assert(!pcfmcp__http_accepts("application/json", "text/event-stream"));
    ck_assert(!pcfmcp__http_accepts("text/event-stream;q=0, application/json", "text/event-stream"));
    ck_assert(!pcfmcp__http_accepts("application/jsonx", "application/json"));
    ck_assert(!pcfmcp__http_accepts(NULL, "application/json"));
    ck_assert(!pcfmcp__http_accepts("", "application/json"));
}
END_TEST

START_TEST(gzip_accepted_unless_q0)
{
    ck_assert(pcfmcp__http_accepts_gzip("gzip, deflate, br"));
    ck_assert(pcfmcp__http_accepts_gzip("br;q=1.0, gzip;q=0.8"));
    ck_assert(!pcfmcp__http_accepts_gzip("gzip;q=0"));
    ck_assert(!pcfmcp__http_accepts_gzip("identity"));
    ck_assert(!pcfmcp__http_accepts_gzip(NULL));
}
END_TEST

/* Found by fuzz/fuzz_http.c: a media range or coding ending in ";" and
 * white space made the q=0 reader search past the end of the value (past
 * the header's NUL: here into ";q=0", which then refused the type). The
 * gzip check runs before authentication. */
START_TEST(q_reader_stays_inside_the_element)
{
    static const char accept[] = "application/json;  \0;q=0";
    ck_assert(pcfmcp__http_accepts(accept, "application/json"));
    static const char two[] = "text/event-stream; \t, application/json;\t \0;q=0";
    ck_assert(pcfmcp__http_accepts(two, "application/json"));
    ck_assert(pcfmcp__http_accepts(two, "text/event-stream"));
    static const char ae[] = "gzip; \0;q=0";
    ck_assert(pcfmcp__http_accepts_gzip(ae));
    ck_assert(!pcfmcp__http_accepts("application/json; q=0 ;  ", "application/json"));
}
END_TEST

START_TEST(json_content_type_ignores_parameters)
{
    ck_assert(pcfmcp__http_is_json_type("application/json"));
    ck_assert(pcfmcp__http_is_json_type("application/json; charset=utf-8"));
    ck_assert(!pcfmcp__http_is_json_type("application/json-patch+json"));
    ck_assert(!pcfmcp__http_is_json_type("text/plain"));
    ck_assert(!pcfmcp__http_is_json_type(NULL));
}
END_TEST

START_TEST(host_and_origin_parse_strictly)
{
    char h[64], sch[16];
    int port;
    ck_assert(pcfmcp__http_parse_host("LocalHost:8080", h, sizeof(h), &port));
    ck_assert_str_eq(h, "localhost");
    ck_assert_int_eq(port, 8080);
    ck_assert(pcfmcp__http_parse_host("[::1]:9", h, sizeof(h), &port));
    ck_assert_str_eq(h, "[::1]");
    ck_assert(pcfmcp__http_parse_host("127.0.0.1", h, sizeof(h), &port));
    ck_assert_int_eq(port, -1);
    ck_assert(!pcfmcp__http_parse_host("a b", h, sizeof(h), &port));
    ck_assert(!pcfmcp__http_parse_host("host:99999", h, sizeof(h), &port));
    ck_assert(!pcfmcp__http_parse_host("::1", h, sizeof(h), &port));
    ck_assert(pcfmcp__http_parse_origin("http://localhost:3000", sch, sizeof(sch), h, sizeof(h), &port));
    ck_assert_str_eq(sch, "http");
    ck_assert_int_eq(port, 3000);
    ck_assert(!pcfmcp__http_parse_origin("null", sch, sizeof(sch), h, sizeof(h), &port));
    ck_assert(!pcfmcp__http_parse_origin("http://evil.com/path", sch, sizeof(sch), h, sizeof(h), &port));
    ck_assert(pcfmcp__http_is_loopback_name("127.0.0.1"));
    ck_assert(pcfmcp__http_is_loopback_name("[::1]"));
    ck_assert(!pcfmcp__http_is_loopback_name("127.0.0.1.evil.com"));
    ck_assert(!pcfmcp__http_is_loopback_name("localhost.evil.com"));
}
END_TEST

START_TEST(allow_list_matches_exactly_or_any_port)
{
    const char *l = "https://a.example, http://b.example:*";
    ck_assert(pcfmcp__http_list_match(l, "https://a.example"));
    ck_assert(pcfmcp__http_list_match(l, "HTTPS://A.EXAMPLE"));
    ck_assert(!pcfmcp__http_list_match(l, "https://a.example:444"));
    ck_assert(pcfmcp__http_list_match(l, "http://b.example"));
    ck_assert(pcfmcp__http_list_match(l, "http://b.example:8080"));
    ck_assert(!pcfmcp__http_list_match(l, "http://b.example.evil:80"));
    ck_assert(!pcfmcp__http_list_match(l, "http://b.example:80x"));
}
END_TEST

START_TEST(header_sentinel_decodes_base64_and_refuses_controls)
{
    size_t n = 0;
    char *v = pcfmcp__http_header_decode("=?base64?SGVsbG8sIOS4lueVjA==?=", &n);
    ck_assert_ptr_nonnull(v);
    ck_assert_str_eq(v, "Hello, \xe4\xb8\x96\xe7\x95\x8c");
    pcfmcp__free(v);
    v = pcfmcp__http_header_decode("  us-west1 \t", &n);
    ck_assert_str_eq(v, "us-west1");
    pcfmcp__free(v);
    ck_assert_ptr_null(pcfmcp__http_header_decode("=?base64?!!!?=", &n));
    ck_assert_ptr_null(pcfmcp__http_header_decode("caf\xc3\xa9", &n));
    ck_assert_ptr_null(pcfmcp__http_header_decode("=?base64?AA==?=", &n)); /* NUL inside */
}
END_TEST

START_TEST(gzip_round_trips)
{
    char in[5000];
    for (size_t i = 0; i < sizeof(in); i++)
        in[i] = "{\"tools\":[]}"[i % 12];
    size_t zl = 0;
    char *z = pcfmcp__http_gzip(in, sizeof(in), &zl);
    ck_assert_ptr_nonnull(z);
    ck_assert_uint_lt(zl, sizeof(in) / 4);
    char out[6000];
    z_stream s;
    memset(&s, 0, sizeof(s));
    ck_assert_int_eq(inflateInit2(&s, 15 + 16), Z_OK);
    s.next_in = (Bytef *)z;
    s.avail_in = (uInt)zl;
    s.next_out = (Bytef *)out;
    s.avail_out = sizeof(out);
    ck_assert_int_eq(inflate(&s, Z_FINISH), Z_STREAM_END);
    ck_assert_uint_eq(s.total_out, sizeof(in));
    inflateEnd(&s);
    ck_assert_int_eq(memcmp(in, out, sizeof(in)), 0);
    pcfmcp__free(z);
}
END_TEST

START_TEST(gzip_frame_around_a_shared_part_inflates_to_the_whole_message)
{
    char body[70000];
    for (size_t i = 0; i < sizeof(body); i++)
        body[i] = "{\"name\":\"list_projects\"},"[i % 26];
    pcfmcp__gz_part *part = pcfmcp__http_gz_part_new(body, sizeof(body));
    ck_assert_ptr_nonnull(part);
    ck_assert_uint_lt(part->zlen, sizeof(body) / 10);
    /* Heads of any length (ids of up to a stored block and beyond). */
    static char head[70000];
    size_t heads[] = { 0, 1, 30, 65535, 65536, sizeof(head) };
    for (size_t k = 0; k < sizeof(heads) / sizeof(heads[0]); k++) {
        memset(head, 'h', sizeof(head));
        memcpy(head, "{\"id\":", heads[k] < 6 ? heads[k] : 6);
        pcfmcp__buf pre, post;
        pcfmcp__buf_init(&pre);
        pcfmcp__buf_init(&post);
        ck_assert(pcfmcp__http_gz_frame(head, heads[k], part, "}", 1, &pre, &post));
        size_t zl = pre.len + part->zlen + post.len;
        char *z = malloc(zl);
        memcpy(z, pre.data, pre.len);
        memcpy(z + pre.len, part->z, part->zlen);
        memcpy(z + pre.len + part->zlen, post.data, post.len);
        size_t want = heads[k] + sizeof(body) + 1;
        char *out = malloc(want + 16);
        z_stream s;
        memset(&s, 0, sizeof(s));
        ck_assert_int_eq(inflateInit2(&s, 15 + 16), Z_OK); /* gzip: checks CRC and length */
        s.next_in = (Bytef *)z;
        s.avail_in = (uInt)zl;
        s.next_out = (Bytef *)out;
        s.avail_out = (uInt)(want + 16);
        ck_assert_int_eq(inflate(&s, Z_FINISH), Z_STREAM_END);
        ck_assert_uint_eq(s.total_out, want);
        ck_assert_uint_eq(s.avail_in, 0);
        inflateEnd(&s);
        ck_assert_int_eq(memcmp(out, head, heads[k]), 0);
        ck_assert_int_eq(memcmp(out + heads[k], body, sizeof(body)), 0);
        ck_assert_int_eq(out[want - 1], '}');
        free(out);
        free(z);
        pcfmcp__buf_free(&pre);
        pcfmcp__buf_free(&post);
    }
    pcfmcp__http_gz_part_free(part);
}
END_TEST

/* Builds a header list from "Name: value" strings (NULL-terminated). */
static size_t headers_of(const char *const *lines, pcfmcp__http_header *out)
{
    size_t n = 0;
    for (; lines[n]; n++) {
        const char *colon = strchr(lines[n], ':');
        const char *v = colon + 1;
        while (*v == ' ')
            v++;
        out[n] = (pcfmcp__http_header){ lines[n], (size_t)(colon - lines[n]), v, strlen(v) };
    }
    return n;
}

static const char *check(bool http11, const char *const *lines)
{
    pcfmcp__http_header h[16];
    size_t n = headers_of(lines, h);
    return pcfmcp__http_check_headers(h, n, http11);
}

START_TEST(header_rules_refuse_every_ambiguous_request)
{
    const char *ok[] = { "Host: 127.0.0.1:8080", "Content-Length: 12", "Accept: */*",
                         "X-Forwarded-For: 1.2.3.4", "X-Forwarded-For: 5.6.7.8", "Mcp-Param-A: 1",
                         "Mcp-Param-B: 2", NULL };
    ck_assert_ptr_null(check(true, ok));
    const char *chunked[] = { "Host: a", "Transfer-Encoding: Chunked", NULL };
    ck_assert_ptr_null(check(true, chunked));
    const char *old[] = { "Content-Length: 0", NULL };
    ck_assert_ptr_null(check(false, old)); /* HTTP/1.0 has no Host */
    ck_assert_ptr_nonnull(check(true, old));
    struct {
        const char *lines[6];
        const char *why;
    } bad[] = {
        { { "Host: a", "Content-Length: 5", "Content-Length: 40", NULL }, "Content-Length" },
        { { "Host: a", "Content-Length: 5", "content-length: 5", NULL }, "Content-Length" },
        { { "Host: a", "Content-Length: 5, 5", NULL }, "Content-Length" },
        { { "Host: a", "Content-Length: -1", NULL }, "Content-Length" },
        { { "Host: a", "Transfer-Encoding : chunked", NULL }, "field name" },
        { { "Host: a", "Transfer-Encoding: gzip, chunked", NULL }, "Transfer-Encoding" },
        { { "Host: a", "Transfer-Encoding: chunked", "Content-Length: 3", NULL }, "both" },
        { { "Host: a", "Host: b", NULL }, "Host" },
        { { "Host: a b", NULL }, "Host" },
        { { "Host: a", "Authorization: Bearer x", "AUTHORIZATION: Bearer y", NULL }, "Authorization" },
        { { "Host: a", "Mcp-Session-Id: 1", "Mcp-Session-Id: 2", NULL }, "Mcp-Session-Id" },
        { { "Host: a", "MCP-Protocol-Version: 2026-07-28", "mcp-protocol-version: 2025-06-18", NULL }, "MCP-Protocol-Version" },
        { { "Host: a", "Mcp-Param-Region: eu", "mcp-param-region: us", NULL }, "Mcp-Param" },
        { { "Host: a", "X\tY: 1", NULL }, "field name" },
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        const char *why = check(true, bad[i].lines);
        ck_assert_msg(why != NULL, "case %zu accepted", i);
        ck_assert_msg(strstr(why, bad[i].why) != NULL, "case %zu: %s", i, why);
    }
}
END_TEST

START_TEST(cors_allows_the_mcp_headers_and_the_requested_param_headers)
{
    char *v = pcfmcp__http_cors_allow_headers(NULL);
    ck_assert_ptr_nonnull(strstr(v, "Mcp-Session-Id"));
    ck_assert_ptr_nonnull(strstr(v, "Authorization"));
    ck_assert_ptr_null(strstr(v, "Param"));
    pcfmcp__free(v);
    v = pcfmcp__http_cors_allow_headers("content-type, mcp-param-region,Mcp-Param-Tenant-Id , x-evil, "
                                        "mcp-param-bad name, Mcp-Param-");
    ck_assert_ptr_nonnull(strstr(v, ", mcp-param-region"));
    ck_assert_ptr_nonnull(strstr(v, ", Mcp-Param-Tenant-Id"));
    ck_assert_ptr_null(strstr(v, "x-evil"));
    ck_assert_ptr_null(strstr(v, "bad"));
    ck_assert_ptr_null(strstr(v, "Mcp-Param-,"));
    pcfmcp__free(v);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("http_util");
    TCase *t = tcase_create("parsing");
    tcase_add_test(t, accept_needs_listed_type_wildcard_and_honours_q0);
    tcase_add_test(t, gzip_accepted_unless_q0);
    tcase_add_test(t, q_reader_stays_inside_the_element);
    tcase_add_test(t, json_content_type_ignores_parameters);
    tcase_add_test(t, host_and_origin_parse_strictly);
    tcase_add_test(t, allow_list_matches_exactly_or_any_port);
    tcase_add_test(t, header_sentinel_decodes_base64_and_refuses_controls);
    tcase_add_test(t, gzip_round_trips);
    tcase_add_test(t, gzip_frame_around_a_shared_part_inflates_to_the_whole_message);
    tcase_add_test(t, header_rules_refuse_every_ambiguous_request);
    tcase_add_test(t, cors_allows_the_mcp_headers_and_the_requested_param_headers);
    suite_add_tcase(s, t);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
