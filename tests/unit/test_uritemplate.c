/* Unit tests of RFC 6570 URI templates (lib/mcp/uritemplate.c). */
#include "core/internal.h"

#include <check.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/alloc.h"
#include "mcp/uritemplate.h"

static pcfmcp__uritemplate *parse_ok(const char *tmpl)
{
    pcfmcp__uritemplate *t = NULL;
    char *err = NULL;
    int rc = pcfmcp__uritemplate_parse(tmpl, &t, &err);
    ck_assert_msg(rc == PCFMCP_OK, "parse of %s failed (%d): %s", tmpl, rc, err ? err : "(null)");
    ck_assert_ptr_null(err);
    ck_assert_ptr_nonnull(t);
    return t;
}

#define PARSE_ERROR(tmpl, rc_expected, message)                                                    \
    do {                                                                                           \
        pcfmcp__uritemplate *t_ = NULL;                                                            \
        char *e_ = NULL;                                                                           \
        ck_assert_int_eq(pcfmcp__uritemplate_parse(tmpl, &t_, &e_), rc_expected);                  \
        ck_assert_ptr_null(t_);                                                                    \
        ck_assert_ptr_nonnull(e_);                                                                 \
        ck_assert_str_eq(e_, message);                                                             \
        pcfmcp__free(e_);                                                                          \
    } while (0)

/* The match of @p uri as compact JSON ("no match" when it does not match). */
static char *match_text(const char *tmpl, const char *uri)
{
    pcfmcp__uritemplate *t = parse_ok(tmpl);
    cJSON *vars = NULL;
    bool ok = pcfmcp__uritemplate_match(t, uri, &vars);
    ck_assert_int_eq(pcfmcp__uritemplate_match(t, uri, NULL), ok);
    char *text;
    if (ok) {
        ck_assert_ptr_nonnull(vars);
        char *s = cJSON_PrintUnformatted(vars);
        text = strdup(s);
        cJSON_free(s);
        cJSON_Delete(vars);
    } else {
        ck_assert_ptr_null(vars);
        text = strdup("no match");
    }
    pcfmcp__uritemplate_free(t);
    return text;
}

#define MATCH(tmpl, uri, expected)                                                                 \
    do {                                                                                           \
        char *m_ = match_text(tmpl, uri);                                                          \
        ck_assert_str_eq(m_, expected);                                                            \
        free(m_);                                                                                  \
    } while (0)

#define NO_MATCH(tmpl, uri) MATCH(tmpl, uri, "no match")

static char *expand_text(const char *tmpl, const char *vars_json)
{
    pcfmcp__uritemplate *t = parse_ok(tmpl);
    cJSON *vars = vars_json ? cJSON_Parse(vars_json) : NULL;
    ck_assert(!vars_json || vars);
    char *out = pcfmcp__uritemplate_expand(t, vars);
    cJSON_Delete(vars);
    pcfmcp__uritemplate_free(t);
    return out;
}

#define EXPAND(tmpl, vars_json, expected)                                                          \
    do {                                                                                           \
        char *x_ = expand_text(tmpl, vars_json);                                                   \
        ck_assert_ptr_nonnull(x_);                                                                 \
        ck_assert_str_eq(x_, expected);                                                            \
        pcfmcp__free(x_);                                                                          \
    } while (0)

/* ---------------------------------------------------------------- match */

START_TEST(simple_variables_match_one_segment_each)
{
    MATCH("pcf://projects/{project_id}/hosts/{host_id}", "pcf://projects/p1/hosts/h-2",
          "{\"project_id\":\"p1\",\"host_id\":\"h-2\"}");
    MATCH("test://template/{id}/data", "test://template/abc/data", "{\"id\":\"abc\"}");
    MATCH("test://static", "test://static", "{}");
}
END_TEST

START_TEST(simple_variables_need_at_least_one_character)
{
    NO_MATCH("test://template/{id}/data", "test://template//data");
    NO_MATCH("test://template/{id}", "test://template/");
}
END_TEST

START_TEST(simple_variables_stop_at_delimiters)
{
    NO_MATCH("test://template/{id}/data", "test://template/a/b/data");
    NO_MATCH("test://template/{id}", "test://template/a?b");
    NO_MATCH("test://template/{id}", "test://template/a#b");
    NO_MATCH("test://template/{id}", "test://template/a&b");
    MATCH("test://template/{id}", "test://template/a=b,c;d:e@f", "{\"id\":\"a=b,c;d:e@f\"}");
}
END_TEST

START_TEST(literals_must_match_exactly)
{
    NO_MATCH("pcf://projects/{id}", "pcf://project/1");
    NO_MATCH("pcf://projects/{id}", "PCF://projects/1");
    NO_MATCH("pcf://projects/{id}/x", "pcf://projects/1/x/");
    NO_MATCH("pcf://projects/{id}/x", "pcf://projects/1");
    NO_MATCH("test://static", "test://static/");
    MATCH("a{x}b{y}c", "a1b2c", "{\"x\":\"1\",\"y\":\"2\"}");
}
END_TEST

START_TEST(matched_values_are_percent_decoded)
{
    MATCH("test://t/{id}", "test://t/a%20b", "{\"id\":\"a b\"}");
    MATCH("test://t/{id}", "test://t/a%2Fb", "{\"id\":\"a/b\"}");
    MATCH("test://t/{id}", "test://t/%C3%A9t%C3%A9", "{\"id\":\"\xc3\xa9t\xc3\xa9\"}");
    NO_MATCH("test://t/{id}", "test://t/a%2");
    NO_MATCH("test://t/{id}", "test://t/a%zz");
    NO_MATCH("test://t/{id}", "test://t/a%00b");
    NO_MATCH("test://t/{id}", "test://t/%FF");
}
END_TEST

START_TEST(reserved_variables_take_slashes)
{
    MATCH("file:///{+path}", "file:///etc/hosts", "{\"path\":\"etc/hosts\"}");
    MATCH("test://files/{+path}/raw", "test://files/a/b/c.txt/raw", "{\"path\":\"a/b/c.txt\"}");
    MATCH("test://{+a}/{b}", "test://x/y/z", "{\"a\":\"x/y\",\"b\":\"z\"}");
    MATCH("test://{+a}", "test://a%20b", "{\"a\":\"a b\"}");
    /* A reserved variable stays inside its URI component. */
    NO_MATCH("file:///{+path}", "file:///a?b");
    NO_MATCH("file:///{+path}", "file:///a#b");
    MATCH("test://search?q={+q}", "test://search?q=a/b?c", "{\"q\":\"a/b?c\"}");
    MATCH("test://doc#{+f}", "test://doc#a/b?c", "{\"f\":\"a/b?c\"}");
}
END_TEST

START_TEST(fragment_variable_is_an_optional_tail)
{
    MATCH("test://doc/{id}{#section}", "test://doc/1#intro",
          "{\"id\":\"1\",\"section\":\"intro\"}");
    MATCH("test://doc/{id}{#section}", "test://doc/1", "{\"id\":\"1\"}");
    MATCH("test://doc/{id}{#section}", "test://doc/1#a/b?c",
          "{\"id\":\"1\",\"section\":\"a/b?c\"}");
}
END_TEST

START_TEST(query_variables_match_in_any_order)
{
    const char *t = "test://list/{kind}{?limit,offset}";
    MATCH(t, "test://list/hosts", "{\"kind\":\"hosts\"}");
    MATCH(t, "test://list/hosts?", "{\"kind\":\"hosts\"}");
    MATCH(t, "test://list/hosts?limit=10", "{\"kind\":\"hosts\",\"limit\":\"10\"}");
    MATCH(t, "test://list/hosts?offset=5&limit=10",
          "{\"kind\":\"hosts\",\"offset\":\"5\",\"limit\":\"10\"}");
    MATCH(t, "test://list/hosts?limit=a%26b", "{\"kind\":\"hosts\",\"limit\":\"a&b\"}");
    MATCH(t, "test://list/hosts?limit", "{\"kind\":\"hosts\",\"limit\":\"\"}");
    NO_MATCH(t, "test://list/hosts?other=1");
    NO_MATCH(t, "test://list/hosts?limit=1&limit=2");
    NO_MATCH(t, "test://list/hosts?limit=1&");
    NO_MATCH(t, "test://list/hosts?=1");
    NO_MATCH(t, "test://list/hosts?limit=1#frag");
}
END_TEST

START_TEST(overlong_uris_never_match)
{
    pcfmcp__uritemplate *t = parse_ok("test://{+rest}");
    size_t n = PCFMCP__URITEMPLATE_MAX_URI + 1;
    char *uri = malloc(n + 1);
    memcpy(uri, "test://", 7);
    memset(uri + 7, 'a', n - 7);
    uri[n] = '\0';
    ck_assert(!pcfmcp__uritemplate_match(t, uri, NULL));
    uri[n - 1] = '\0';
    ck_assert(pcfmcp__uritemplate_match(t, uri, NULL));
    free(uri);
    pcfmcp__uritemplate_free(t);
}
END_TEST

START_TEST(variables_are_listed_in_order)
{
    pcfmcp__uritemplate *t = parse_ok("pcf://p/{project_id}/h/{+host}{?a,b}");
    ck_assert_uint_eq(pcfmcp__uritemplate_var_count(t), 4);
    ck_assert_str_eq(pcfmcp__uritemplate_var_name(t, 0), "project_id");
    ck_assert_str_eq(pcfmcp__uritemplate_var_name(t, 1), "host");
    ck_assert_str_eq(pcfmcp__uritemplate_var_name(t, 2), "a");
    ck_assert_str_eq(pcfmcp__uritemplate_var_name(t, 3), "b");
    ck_assert_ptr_null(pcfmcp__uritemplate_var_name(t, 4));
    pcfmcp__uritemplate_free(t);
    t = parse_ok("test://static");
    ck_assert_uint_eq(pcfmcp__uritemplate_var_count(t), 0);
    pcfmcp__uritemplate_free(t);
}
END_TEST

/* ---------------------------------------------------------------- parse */

START_TEST(parse_rejects_malformed_templates)
{
    PARSE_ERROR("test://{id", PCFMCP_ERR_INVALID_ARG, "unclosed '{' at offset 7");
    PARSE_ERROR("test://{a{b}", PCFMCP_ERR_INVALID_ARG, "unclosed '{' at offset 7");
    PARSE_ERROR("test://a}", PCFMCP_ERR_INVALID_ARG, "unmatched '}' at offset 8");
    PARSE_ERROR("test://{}", PCFMCP_ERR_INVALID_ARG, "empty expression at offset 7");
    PARSE_ERROR("test://{+}", PCFMCP_ERR_INVALID_ARG, "empty variable name at offset 9");
    PARSE_ERROR("test://{a-b}", PCFMCP_ERR_INVALID_ARG,
                "invalid character in variable name at offset 9");
    PARSE_ERROR("test://{a..b}", PCFMCP_ERR_INVALID_ARG,
                "misplaced '.' in variable name at offset 10");
    PARSE_ERROR("test://{id}/{id}", PCFMCP_ERR_INVALID_ARG, "variable \"id\" appears twice");
    PARSE_ERROR("test://a b", PCFMCP_ERR_INVALID_ARG,
                "character not allowed in a URI template at offset 8");
    PARSE_ERROR("test://a%zz", PCFMCP_ERR_INVALID_ARG,
                "'%' not followed by two hex digits at offset 8");
    PARSE_ERROR("", PCFMCP_ERR_INVALID_ARG, "empty template");
    PARSE_ERROR("test://\xc3(", PCFMCP_ERR_INVALID_ARG, "invalid UTF-8 at offset 7");
}
END_TEST

START_TEST(parse_rejects_unsupported_expressions)
{
    PARSE_ERROR("test://x{/a}", PCFMCP_ERR_INVALID_ARG,
                "operator '/' is not supported (offset 8); use {var}, {+var}, {#var} or "
                "{?var,...}");
    PARSE_ERROR("test://x{&a}", PCFMCP_ERR_INVALID_ARG,
                "operator '&' is not supported (offset 8); use {var}, {+var}, {#var} or "
                "{?var,...}");
    PARSE_ERROR("test://x{=a}", PCFMCP_ERR_INVALID_ARG, "reserved operator '=' at offset 8");
    PARSE_ERROR("test://{a,b}", PCFMCP_ERR_INVALID_ARG,
                "several variables in one expression are only supported in {?...} (offset 7)");
    PARSE_ERROR("test://{a:3}", PCFMCP_ERR_INVALID_ARG,
                "prefix modifiers ({var:N}) are not supported (offset 8)");
    PARSE_ERROR("test://{a*}", PCFMCP_ERR_INVALID_ARG,
                "explode modifiers ({var*}) are not supported (offset 8)");
    PARSE_ERROR("test://x{?a}/y", PCFMCP_ERR_INVALID_ARG,
                "{?...} must be the last part of the template");
    PARSE_ERROR("test://x{#a}{b}", PCFMCP_ERR_INVALID_ARG,
                "{#...} must be the last part of the template");
    PARSE_ERROR("test://x?y=1{?a}", PCFMCP_ERR_INVALID_ARG,
                "{?...} cannot follow a literal '?' (offset 12)");
}
END_TEST

START_TEST(parse_bounds_template_size_and_variables)
{
    char *big = malloc(PCFMCP__URITEMPLATE_MAX_LEN + 2);
    memset(big, 'a', PCFMCP__URITEMPLATE_MAX_LEN + 1);
    big[PCFMCP__URITEMPLATE_MAX_LEN + 1] = '\0';
    PARSE_ERROR(big, PCFMCP_ERR_LIMIT, "template longer than 2048 bytes");
    free(big);
    char many[512] = "test://";
    for (int i = 0; i <= PCFMCP__URITEMPLATE_MAX_VARS; i++)
        snprintf(many + strlen(many), sizeof(many) - strlen(many), "{v%d}/", i);
    PARSE_ERROR(many, PCFMCP_ERR_LIMIT, "more than 16 variables");
}
END_TEST

/* --------------------------------------------------------------- expand */

START_TEST(expand_encodes_by_operator)
{
    EXPAND("pcf://projects/{project_id}/hosts/{host_id}",
           "{\"project_id\":\"p 1\",\"host_id\":\"a/b\"}", "pcf://projects/p%201/hosts/a%2Fb");
    EXPAND("test://{id}", "{\"id\":\"\xc3\xa9-._~\"}", "test://%C3%A9-._~");
    EXPAND("file:///{+path}", "{\"path\":\"a/b c/%41?x\"}", "file:///a/b%20c/%41?x");
    EXPAND("test://doc{#s}", "{\"s\":\"a/b\"}", "test://doc#a/b");
    EXPAND("test://doc{#s}", "{}", "test://doc");
    EXPAND("test://list{?limit,offset,q}", "{\"offset\":5,\"q\":\"a&b\"}",
           "test://list?offset=5&q=a%26b");
    EXPAND("test://list{?limit}", NULL, "test://list");
    EXPAND("test://{n}/{f}/{b}", "{\"n\":1.5,\"f\":false,\"b\":true}", "test://1.5/false/true");
    EXPAND("test://{n}", "{\"n\":null}", "test://");
}
END_TEST

START_TEST(expand_refuses_lists_and_maps)
{
    char *x = expand_text("test://{id}", "{\"id\":[1,2]}");
    ck_assert_ptr_null(x);
    x = expand_text("test://{id}", "{\"id\":{\"a\":1}}");
    ck_assert_ptr_null(x);
}
END_TEST

START_TEST(expanding_then_matching_returns_the_values)
{
    const char *tmpl = "pcf://p/{project}/files/{+path}{?v}";
    const char *vars_json =
        "{\"project\":\"a b/c?d#e&f\",\"path\":\"dir/sub dir/f\xc3\xa9.txt\",\"v\":\"x=y&z\"}";
    pcfmcp__uritemplate *t = parse_ok(tmpl);
    cJSON *vars = cJSON_Parse(vars_json);
    char *uri = pcfmcp__uritemplate_expand(t, vars);
    ck_assert_ptr_nonnull(uri);
    cJSON *back = NULL;
    ck_assert_msg(pcfmcp__uritemplate_match(t, uri, &back), "%s does not match", uri);
    ck_assert(cJSON_Compare(vars, back, true));
    cJSON_Delete(back);
    cJSON_Delete(vars);
    pcfmcp__free(uri);
    pcfmcp__uritemplate_free(t);
}
END_TEST

/* ---------------------------------------------------------- concurrency */

static void *match_many(void *arg)
{
    const pcfmcp__uritemplate *t = arg;
    intptr_t bad = 0;
    for (int i = 0; i < 2000; i++) {
        cJSON *vars = NULL;
        if (!pcfmcp__uritemplate_match(t, "pcf://projects/p1/hosts/a%2Fb", &vars))
            bad++;
        else if (strcmp(cJSON_GetObjectItem(vars, "host_id")->valuestring, "a/b") != 0)
            bad++;
        cJSON_Delete(vars);
        if (pcfmcp__uritemplate_match(t, "pcf://projects/p1/hosts/", NULL))
            bad++;
    }
    return (void *)bad;
}

START_TEST(one_template_serves_concurrent_matches)
{
    pcfmcp__uritemplate *t = parse_ok("pcf://projects/{project_id}/hosts/{host_id}");
    pthread_t th[4];
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(pthread_create(&th[i], NULL, match_many, t), 0);
    for (int i = 0; i < 4; i++) {
        void *bad;
        pthread_join(th[i], &bad);
        ck_assert_ptr_null(bad);
    }
    pcfmcp__uritemplate_free(t);
}
END_TEST

/* ------------------------------------------------------------------ OOM */

START_TEST(parse_match_and_expand_fail_cleanly_when_memory_runs_out)
{
    const char *tmpl = "pcf://p/{project}/files/{+path}{?v,w}";
    const char *uri = "pcf://p/a%20b/files/dir/f.txt?w=1&v=2";
    bool done = false;
    for (long k = 0; k < 10000 && !done; k++) {
        pcfmcp__uritemplate *t = NULL;
        char *err = NULL;
        pcfmcp__alloc_fail_after(k);
        int rc = pcfmcp__uritemplate_parse(tmpl, &t, &err);
        pcfmcp__alloc_fail_after(-1);
        if (rc == PCFMCP_OK) {
            pcfmcp__uritemplate_free(t);
            done = true;
        } else {
            ck_assert_int_eq(rc, PCFMCP_ERR_NOMEM);
            ck_assert(err == NULL || strcmp(err, "out of memory") == 0);
            pcfmcp__free(err);
        }
    }
    ck_assert(done);

    pcfmcp__uritemplate *t = parse_ok(tmpl);
    cJSON *vars = cJSON_Parse("{\"project\":\"a b\",\"path\":\"dir/f.txt\",\"v\":2,\"w\":\"1\"}");
    done = false;
    for (long k = 0; k < 10000 && !done; k++) {
        cJSON *got = NULL;
        pcfmcp__alloc_fail_after(k);
        bool ok = pcfmcp__uritemplate_match(t, uri, &got);
        pcfmcp__alloc_fail_after(-1);
        if (ok) {
            ck_assert_str_eq(cJSON_GetObjectItem(got, "project")->valuestring, "a b");
            done = true;
        } else {
            ck_assert_ptr_null(got);
        }
        cJSON_Delete(got);
    }
    ck_assert(done);
    done = false;
    for (long k = 0; k < 10000 && !done; k++) {
        pcfmcp__alloc_fail_after(k);
        char *x = pcfmcp__uritemplate_expand(t, vars);
        pcfmcp__alloc_fail_after(-1);
        if (x) {
            ck_assert_str_eq(x, "pcf://p/a%20b/files/dir/f.txt?v=2&w=1");
            pcfmcp__free(x);
            done = true;
        }
    }
    ck_assert(done);
    cJSON_Delete(vars);
    pcfmcp__uritemplate_free(t);
}
END_TEST

int main(void)
{
    pcfmcp_global_init();
    Suite *s = suite_create("uritemplate");
    TCase *tc = tcase_create("match");
    tcase_add_test(tc, simple_variables_match_one_segment_each);
    tcase_add_test(tc, simple_variables_need_at_least_one_character);
    tcase_add_test(tc, simple_variables_stop_at_delimiters);
    tcase_add_test(tc, literals_must_match_exactly);
    tcase_add_test(tc, matched_values_are_percent_decoded);
    tcase_add_test(tc, reserved_variables_take_slashes);
    tcase_add_test(tc, fragment_variable_is_an_optional_tail);
    tcase_add_test(tc, query_variables_match_in_any_order);
    tcase_add_test(tc, overlong_uris_never_match);
    tcase_add_test(tc, variables_are_listed_in_order);
    suite_add_tcase(s, tc);
    tc = tcase_create("parse");
    tcase_add_test(tc, parse_rejects_malformed_templates);
    tcase_add_test(tc, parse_rejects_unsupported_expressions);
    tcase_add_test(tc, parse_bounds_template_size_and_variables);
    suite_add_tcase(s, tc);
    tc = tcase_create("expand");
    tcase_add_test(tc, expand_encodes_by_operator);
    tcase_add_test(tc, expand_refuses_lists_and_maps);
    tcase_add_test(tc, expanding_then_matching_returns_the_values);
    suite_add_tcase(s, tc);
    tc = tcase_create("robustness");
    tcase_add_test(tc, one_template_serves_concurrent_matches);
    tcase_add_test(tc, parse_match_and_expand_fail_cleanly_when_memory_runs_out);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    pcfmcp_global_cleanup();
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
