/* Numbers from a peer reach integer conversions only when they fit: a JSON
 * number may be 1e400 (infinity once parsed) or an integer literal far past
 * 2^63, and converting either to an integer type is undefined behaviour.
 * Found by fuzz/fuzz_tools.c (a PCF number rendered for the model); the
 * same conversion waited in schema counts and pcfmcp_args_get_int(). */
#include "core/internal.h"

#include <check.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include <cjson/cJSON.h>
#include <pcfmcp/args.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "core/json.h"
#include "core/util.h"
#include "mcp/schema.h"
#include "tools/toolset.h"

static cJSON *parse(const char *text)
{
    cJSON *j = NULL;
    ck_assert_int_eq(pcfmcp__json_parse(text, strlen(text), 8, &j, NULL), PCFMCP__JSON_OK);
    return j;
}

/* Property: the conversion succeeds exactly for integers within int64_t and
 * then gives their value. */
START_TEST(json_int64_converts_only_what_fits)
{
    static const struct {
        const char *text;
        bool fits;
        int64_t value;
    } cases[] = {
        { "0", true, 0 },
        { "-7", true, -7 },
        { "9007199254740993", true, INT64_C(9007199254740993) },
        { "9223372036854775807", true, INT64_MAX },
        { "-9223372036854775808", true, INT64_MIN },
        { "9223372036854775808", false, 0 },
        { "-9223372036854775809", false, 0 },
        { "100000000000000000000000", false, 0 },
        { "1e400", false, 0 },
        { "-1e400", false, 0 },
        { "1e300", false, 0 },
        { "1.5", false, 0 },
        { "\"7\"", false, 0 },
    };
    for (size_t i = 0; i < PCFMCP_ARRAY_LEN(cases); i++) {
        cJSON *j = parse(cases[i].text);
        int64_t v = 42;
        bool fits = pcfmcp__json_int64(j, &v);
        ck_assert_msg(fits == cases[i].fits, "%s", cases[i].text);
        if (fits)
            ck_assert_msg(v == cases[i].value, "%s", cases[i].text);
        cJSON_Delete(j);
    }
}
END_TEST

/* Property: a member read as an int is the number truncated toward zero
 * when it fits, clamped when it does not, and the fallback when it is no
 * number or not finite; never a conversion out of range. */
START_TEST(json_int_members_never_convert_out_of_range)
{
    cJSON *doc = parse("{\"p\":443,\"n\":-2.9,\"big\":1e300,\"small\":-1e300,\"inf\":1e400,"
                       "\"lit\":100000000000000000000000,\"s\":\"443\"}");
    ck_assert_int_eq(pcfmcp__json_int(doc, "p", 0), 443);
    ck_assert_int_eq(pcfmcp__json_int(doc, "n", 0), -2);
    ck_assert_int_eq(pcfmcp__json_int(doc, "big", 0), INT_MAX);
    ck_assert_int_eq(pcfmcp__json_int(doc, "small", 0), INT_MIN);
    ck_assert_int_eq(pcfmcp__json_int(doc, "inf", -1), -1);
    ck_assert_int_eq(pcfmcp__json_int(doc, "lit", 0), INT_MAX);
    ck_assert_int_eq(pcfmcp__json_int(doc, "s", 7), 7);
    ck_assert_int_eq(pcfmcp__json_int(doc, "missing", 80), 80);
    cJSON_Delete(doc);
}
END_TEST

/* PCF's timestamps (project dates, chat times) shown as dates: a value
 * time_t cannot hold gives nothing instead of a conversion out of range. */
START_TEST(peer_times_format_only_when_representable)
{
    char out[32];
    ck_assert(pcfmcp__utc_format(0, false, out, sizeof(out)));
    ck_assert_str_eq(out, "1970-01-01");
    ck_assert(pcfmcp__utc_format(1795544586.9, false, out, sizeof(out)));
    ck_assert_str_eq(out, "2026-11-24");
    static const double bad[] = { 1e300, -1e300, 1e20, INFINITY, -INFINITY, NAN };
    for (size_t i = 0; i < PCFMCP_ARRAY_LEN(bad); i++) {
        memcpy(out, "unchanged", 10);
        ck_assert(!pcfmcp__utc_format(bad[i], false, out, sizeof(out)));
        ck_assert_str_eq(out, "");
    }
}
END_TEST

/* A count past int64_t means "no limit" for a maximum, "nothing fits" for a
 * minimum; it used to become INT64_MIN. */
START_TEST(schema_counts_past_int64_saturate)
{
    cJSON *schema = parse("{\"type\":\"string\",\"maxLength\":100000000000000000000000}");
    pcfmcp__schema *c = NULL;
    char *err = NULL;
    ck_assert_int_eq(pcfmcp__schema_compile(schema, &c, &err), 0);
    cJSON *inst = parse("\"abc\"");
    pcfmcp__buf problems;
    pcfmcp__buf_init(&problems);
    ck_assert(pcfmcp__schema_validate(c, inst, &problems));
    pcfmcp__schema_free(c);
    cJSON_Delete(schema);
    schema = parse("{\"type\":\"string\",\"minLength\":100000000000000000000000}");
    ck_assert_int_eq(pcfmcp__schema_compile(schema, &c, &err), 0);
    ck_assert(!pcfmcp__schema_validate(c, inst, &problems));
    pcfmcp__buf_free(&problems);
    pcfmcp__schema_free(c);
    cJSON_Delete(schema);
    cJSON_Delete(inst);
}
END_TEST

START_TEST(args_int_refuses_what_it_cannot_return)
{
    long long v = 42;
    const char *big = "{\"n\":100000000000000000000000}";
    ck_assert_int_eq(pcfmcp_args_get_int(big, strlen(big), "n", &v), PCFMCP_ERR_INVALID_ARG);
    ck_assert_int_eq(v, 42);
    const char *ok = "{\"n\":-9007199254740992}";
    ck_assert_int_eq(pcfmcp_args_get_int(ok, strlen(ok), "n", &v), PCFMCP_OK);
    ck_assert(v == -9007199254740992LL);
}
END_TEST

/* PCF data rendered for the model: infinity and huge numbers as numbers. */
START_TEST(rendering_pcf_numbers_never_converts_out_of_range)
{
    cJSON *doc = parse("{\"a\":1e400,\"b\":-1e400,\"c\":1e300,\"d\":100000000000000000000000,"
                       "\"e\":12,\"f\":2.5}");
    pcfmcp__buf b;
    pcfmcp__buf_init(&b);
    pcfmcp__tools_render(&b, doc, 0);
    ck_assert(pcfmcp__buf_ok(&b));
    ck_assert_ptr_nonnull(strstr(b.data, "e: 12"));
    ck_assert_ptr_nonnull(strstr(b.data, "f: 2.5"));
    ck_assert_ptr_nonnull(strstr(b.data, "a: inf"));
    pcfmcp__buf_free(&b);
    cJSON_Delete(doc);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("int_casts");
    TCase *t = tcase_create("numbers");
    tcase_add_test(t, json_int64_converts_only_what_fits);
    tcase_add_test(t, json_int_members_never_convert_out_of_range);
    tcase_add_test(t, peer_times_format_only_when_representable);
    tcase_add_test(t, schema_counts_past_int64_saturate);
    tcase_add_test(t, args_int_refuses_what_it_cannot_return);
    tcase_add_test(t, rendering_pcf_numbers_never_converts_out_of_range);
    suite_add_tcase(s, t);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
