/* The HTTP transport's pure helpers: Accept and Accept-Encoding parsing,
 * Host and Origin parsing and matching, the Base64 header sentinel, gzip. */
#include <check.h>
#include <stdlib.h>
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

int main(void)
{
    Suite *s = suite_create("http_util");
    TCase *t = tcase_create("parsing");
    tcase_add_test(t, accept_needs_listed_type_wildcard_and_honours_q0);
    tcase_add_test(t, gzip_accepted_unless_q0);
    tcase_add_test(t, json_content_type_ignores_parameters);
    tcase_add_test(t, host_and_origin_parse_strictly);
    tcase_add_test(t, allow_list_matches_exactly_or_any_port);
    tcase_add_test(t, header_sentinel_decodes_base64_and_refuses_controls);
    tcase_add_test(t, gzip_round_trips);
    suite_add_tcase(s, t);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
