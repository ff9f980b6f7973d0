/* Unit tests of the JSON Schema validator (lib/mcp/schema.c).
 *
 * Schemas and instances are written with single quotes, which parse()
 * turns into double quotes; a real apostrophe would be \u0027. */
#include "core/internal.h"

#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cjson/cJSON.h>

#include "core/alloc.h"
#include "core/buf.h"
#include "mcp/regex.h"
#include "mcp/schema.h"

static cJSON *parse(const char *text)
{
    char *json = strdup(text);
    ck_assert_ptr_nonnull(json);
    for (char *p = json; *p; p++)
        if (*p == '\'')
            *p = '"';
    cJSON *j = cJSON_Parse(json);
    ck_assert_msg(j != NULL, "test JSON does not parse: %s", json);
    free(json);
    return j;
}

static pcfmcp__schema *compile_json(const cJSON *j)
{
    pcfmcp__schema *s = NULL;
    char *err = NULL;
    int rc = pcfmcp__schema_compile(j, &s, &err);
    ck_assert_msg(rc == PCFMCP_OK, "compile failed (%d): %s", rc, err ? err : "(null)");
    ck_assert_ptr_null(err);
    ck_assert_ptr_nonnull(s);
    return s;
}

static pcfmcp__schema *compile_ok(const char *schema)
{
    cJSON *j = parse(schema);
    pcfmcp__schema *s = compile_json(j);
    cJSON_Delete(j);
    return s;
}

/* Compiles expecting failure with @p expect_rc; returns the message. */
static char *compile_fail_json(const cJSON *j, int expect_rc)
{
    pcfmcp__schema *s = NULL;
    char *err = NULL;
    int rc = pcfmcp__schema_compile(j, &s, &err);
    ck_assert_msg(rc == expect_rc, "compile returned %d, expected %d (%s)", rc, expect_rc,
                  err ? err : "(null)");
    ck_assert_ptr_null(s);
    ck_assert_ptr_nonnull(err);
    return err;
}

static char *compile_fail(const char *schema, int expect_rc)
{
    cJSON *j = parse(schema);
    char *err = compile_fail_json(j, expect_rc);
    cJSON_Delete(j);
    return err;
}

#define COMPILE_ERROR(schema, rc, expected)                                                        \
    do {                                                                                           \
        char *e_ = compile_fail(schema, rc);                                                       \
        ck_assert_str_eq(e_, expected);                                                            \
        pcfmcp__free(e_);                                                                          \
    } while (0)

/* The problem text of validating @p x ("" when valid), after checking that
 * the verdict matches the text and that the yes/no mode agrees. */
static char *problems_of(const pcfmcp__schema *s, const cJSON *x)
{
    pcfmcp__buf b;
    pcfmcp__buf_init(&b);
    bool ok = pcfmcp__schema_validate(s, x, &b);
    ck_assert(pcfmcp__buf_ok(&b));
    char *text = pcfmcp__strdup(b.len ? b.data : "");
    pcfmcp__buf_free(&b);
    ck_assert_ptr_nonnull(text);
    ck_assert_msg(ok == (text[0] == '\0'), "verdict %d but problems:\n%s", ok, text);
    ck_assert_int_eq(pcfmcp__schema_validate(s, x, NULL), ok);
    return text;
}

static char *problems(const char *schema, const char *inst)
{
    pcfmcp__schema *s = compile_ok(schema);
    cJSON *x = parse(inst);
    char *text = problems_of(s, x);
    cJSON_Delete(x);
    pcfmcp__schema_free(s);
    return text;
}

#define VALID(schema, inst)                                                                        \
    do {                                                                                           \
        char *t_ = problems(schema, inst);                                                         \
        ck_assert_msg(t_[0] == '\0', "expected %s to be valid against %s, got:\n%s", inst,         \
                      schema, t_);                                                                 \
        pcfmcp__free(t_);                                                                          \
    } while (0)

#define INVALID(schema, inst, expected)                                                            \
    do {                                                                                           \
        char *t_ = problems(schema, inst);                                                         \
        ck_assert_str_eq(t_, expected);                                                            \
        pcfmcp__free(t_);                                                                          \
    } while (0)

#define INVALID_ANY(schema, inst)                                                                  \
    do {                                                                                           \
        char *t_ = problems(schema, inst);                                                         \
        ck_assert_msg(t_[0] != '\0', "expected %s to be invalid against %s", inst, schema);       \
        pcfmcp__free(t_);                                                                          \
    } while (0)

/* ------------------------------------------------------------------ type */

START_TEST(type_accepts_each_json_type)
{
    VALID("{'type':'null'}", "null");
    VALID("{'type':'boolean'}", "false");
    VALID("{'type':'object'}", "{}");
    VALID("{'type':'array'}", "[]");
    VALID("{'type':'number'}", "1.5");
    VALID("{'type':'number'}", "7");
    VALID("{'type':'string'}", "''");
    INVALID("{'type':'null'}", "0", "/: must be null (got 0)\n");
    INVALID("{'type':'boolean'}", "'true'", "/: must be boolean (got \"true\")\n");
    INVALID("{'type':'object'}", "[]", "/: must be object (got array)\n");
    INVALID("{'type':'array'}", "{}", "/: must be array (got object)\n");
    INVALID("{'type':'number'}", "'1'", "/: must be number (got \"1\")\n");
    INVALID("{'type':'string'}", "null", "/: must be string (got null)\n");
}
END_TEST

START_TEST(type_integer_means_no_fractional_part)
{
    VALID("{'type':'integer'}", "1");
    VALID("{'type':'integer'}", "1.0");
    VALID("{'type':'integer'}", "-0");
    VALID("{'type':'integer'}", "1e300");
    INVALID("{'type':'integer'}", "1.5", "/: must be integer (got 1.5)\n");
    INVALID("{'type':'integer'}", "'80'", "/: must be integer (got \"80\")\n");
}
END_TEST

START_TEST(type_list_names_every_alternative)
{
    VALID("{'type':['string','null']}", "null");
    VALID("{'type':['string','null']}", "'x'");
    INVALID("{'properties':{'port':{'type':['string','null']}}}", "{'port':5}",
            "/port: must be string or null (got 5)\n");
    INVALID("{'type':['string','integer','null']}", "true",
            "/: must be string, integer or null (got true)\n");
}
END_TEST

START_TEST(type_mismatch_hides_other_keywords_of_that_schema)
{
    INVALID("{'type':'string','minLength':3,'enum':['abc']}", "12",
            "/: must be string (got 12)\n");
}
END_TEST

START_TEST(boolean_schemas_accept_or_reject_everything)
{
    VALID("true", "{'a':[1,2]}");
    INVALID("false", "1", "/: not allowed\n");
    INVALID("{'properties':{'x':false}}", "{'x':1}", "/x: not allowed\n");
    VALID("{'properties':{'x':false}}", "{'y':1}");
}
END_TEST

/* --------------------------------------------------------------- objects */

START_TEST(properties_report_the_path_of_a_nested_problem)
{
    const char *schema = "{'type':'object','properties':{'ports':{'type':'array','items':"
                         "{'type':'object','properties':{'port':{'type':'integer','minimum':1,"
                         "'maximum':65535}}}}}}";
    VALID(schema, "{'ports':[{'port':22},{'port':443}]}");
    INVALID(schema, "{'ports':[{'port':22},{'port':80},{'port':70000}]}",
            "/ports/2/port: must be <= 65535 (got 70000)\n");
}
END_TEST

START_TEST(required_reports_each_missing_property)
{
    const char *schema = "{'type':'object','required':['project_id','name'],"
                         "'properties':{'project_id':{'type':'string'},'name':{}}}";
    VALID(schema, "{'project_id':'p','name':1}");
    INVALID(schema, "{'name':'x'}", "/: missing required property \"project_id\"\n");
    INVALID(schema, "{}",
            "/: missing required property \"project_id\"\n"
            "/: missing required property \"name\"\n");
    /* Only objects are concerned. */
    VALID("{'required':['a']}", "[1]");
}
END_TEST

START_TEST(additional_properties_false_lists_the_allowed_names)
{
    const char *schema = "{'properties':{'a':{},'b':{},'c':{}},'additionalProperties':false}";
    VALID(schema, "{'a':1,'c':2}");
    INVALID(schema, "{'a':1,'foo':2}", "/foo: unknown property (allowed: a, b, c)\n");
    INVALID("{'additionalProperties':false}", "{'a':1}",
            "/a: unknown property (no properties allowed)\n");
}
END_TEST

START_TEST(additional_properties_schema_checks_the_other_members)
{
    const char *schema = "{'properties':{'a':{}},'additionalProperties':{'type':'integer'}}";
    VALID(schema, "{'a':'s','b':2}");
    INVALID(schema, "{'a':'s','b':'t'}", "/b: must be integer (got \"t\")\n");
}
END_TEST

START_TEST(pattern_properties_check_matching_names_and_are_not_additional)
{
    const char *schema = "{'properties':{'id':{}},'patternProperties':{'^x-':{'type':'string'}},"
                         "'additionalProperties':false}";
    VALID(schema, "{'id':1,'x-a':'s'}");
    INVALID(schema, "{'x-a':1}", "/x-a: must be string (got 1)\n");
    INVALID(schema, "{'y':1}", "/y: unknown property (allowed: id, or names matching \"^x-\")\n");
    INVALID("{'patternProperties':{'^x-':true,'^y-':true},'additionalProperties':false}",
            "{'z':1}",
            "/z: unknown property (allowed: names matching \"^x-\" or \"^y-\")\n");
}
END_TEST

START_TEST(property_names_are_checked_as_strings)
{
    const char *schema = "{'propertyNames':{'pattern':'^[a-z_]+$','maxLength':8}}";
    VALID(schema, "{'ok_name':1}");
    INVALID(schema, "{'Bad Key':1}",
            "/: invalid property name \"Bad Key\": must match pattern \"^[a-z_]+$\" "
            "(got \"Bad Key\")\n");
    INVALID(schema, "{'much_too_long':1}",
            "/: invalid property name \"much_too_long\": must be at most 8 characters long "
            "(got 13)\n");
}
END_TEST

START_TEST(min_and_max_properties_count_members)
{
    INVALID("{'minProperties':1}", "{}", "/: must have at least 1 property (got 0)\n");
    INVALID("{'maxProperties':1}", "{'a':1,'b':2}",
            "/: must have at most 1 property (got 2)\n");
    INVALID("{'minProperties':2}", "{'a':1}", "/: must have at least 2 properties (got 1)\n");
    VALID("{'minProperties':1,'maxProperties':2}", "{'a':1,'b':2}");
}
END_TEST

START_TEST(dependent_required_and_dependent_schemas_apply_when_present)
{
    const char *dr = "{'dependentRequired':{'port':['protocol']}}";
    VALID(dr, "{}");
    VALID(dr, "{'port':1,'protocol':'tcp'}");
    INVALID(dr, "{'port':1}",
            "/: missing property \"protocol\" (required when \"port\" is present)\n");
    const char *ds = "{'dependentSchemas':{'a':{'required':['b']}}}";
    VALID(ds, "{'c':1}");
    INVALID(ds, "{'a':1}", "/: missing required property \"b\"\n");
}
END_TEST

/* ---------------------------------------------------------------- arrays */

START_TEST(items_apply_to_every_element)
{
    VALID("{'items':{'type':'integer'}}", "[1,2,3]");
    INVALID("{'items':{'type':'integer'}}", "[1,'x',3,null]",
            "/1: must be integer (got \"x\")\n"
            "/3: must be integer (got null)\n");
    VALID("{'items':{'type':'integer'}}", "{'not':'an array'}");
}
END_TEST

START_TEST(prefix_items_then_items_and_items_false_limits_length)
{
    const char *schema = "{'prefixItems':[{'type':'string'},{'type':'integer'}],'items':false}";
    VALID(schema, "['a',1]");
    VALID(schema, "['a']");
    INVALID(schema, "['a','b']", "/1: must be integer (got \"b\")\n");
    INVALID(schema, "['a',1,2]", "/: must have at most 2 items (got 3)\n");
    INVALID("{'items':false}", "[1]", "/: must have at most 0 items (got 1)\n");
    INVALID("{'prefixItems':[true],'items':{'type':'string'}}", "[1,2]",
            "/1: must be string (got 2)\n");
}
END_TEST

START_TEST(min_and_max_items_count_elements)
{
    INVALID("{'minItems':2}", "[1]", "/: must have at least 2 items (got 1)\n");
    INVALID("{'maxItems':1}", "[1,2]", "/: must have at most 1 item (got 2)\n");
    VALID("{'minItems':1,'maxItems':2}", "[1,2]");
}
END_TEST

START_TEST(unique_items_compares_json_values)
{
    const char *schema = "{'uniqueItems':true}";
    VALID(schema, "[1,'1',[1],{'a':1},true,null]");
    VALID(schema, "[[1,2],[2,1]]");
    VALID(schema, "[false,0]");
    INVALID(schema, "[1,2,1]", "/: must not contain duplicate items (items 0 and 2 are equal)\n");
    INVALID(schema, "[1,1.0]", "/: must not contain duplicate items (items 0 and 1 are equal)\n");
    INVALID(schema, "[{'a':1,'b':2},{'b':2,'a':1}]",
            "/: must not contain duplicate items (items 0 and 1 are equal)\n");
    INVALID_ANY(schema, "[null,null]");
    VALID("{'uniqueItems':false}", "[1,1]");
}
END_TEST

START_TEST(unique_items_finds_duplicates_in_long_arrays)
{
    pcfmcp__schema *s = compile_ok("{'uniqueItems':true}");
    cJSON *arr = cJSON_CreateArray();
    for (int i = 0; i < 1000; i++) {
        cJSON *o = cJSON_CreateObject();
        cJSON_AddNumberToObject(o, "n", i);
        cJSON_AddStringToObject(o, "s", "same");
        cJSON_AddItemToArray(arr, o);
    }
    char *text = problems_of(s, arr);
    ck_assert_str_eq(text, "");
    pcfmcp__free(text);
    cJSON *dup = cJSON_CreateObject();
    cJSON_AddStringToObject(dup, "s", "same");
    cJSON_AddNumberToObject(dup, "n", 5);
    cJSON_AddItemToArray(arr, dup);
    text = problems_of(s, arr);
    ck_assert_str_eq(text, "/: must not contain duplicate items (items 5 and 1000 are equal)\n");
    pcfmcp__free(text);
    cJSON_Delete(arr);
    pcfmcp__schema_free(s);
}
END_TEST

START_TEST(contains_counts_matching_items)
{
    INVALID("{'contains':{'type':'integer'}}", "['a']",
            "/: must contain at least 1 item matching \"contains\" (got 0)\n");
    VALID("{'contains':{'type':'integer'}}", "['a',1]");
    const char *schema = "{'contains':{'type':'integer'},'minContains':2,'maxContains':3}";
    VALID(schema, "[1,2,'x']");
    INVALID(schema, "[1,'x']", "/: must contain at least 2 items matching \"contains\" (got 1)\n");
    INVALID(schema, "[1,2,3,4]",
            "/: must contain at most 3 items matching \"contains\" (got 4)\n");
    VALID("{'contains':{'type':'integer'},'minContains':0}", "[]");
}
END_TEST

/* --------------------------------------------------------------- numbers */

START_TEST(number_bounds_report_limit_and_value)
{
    INVALID("{'minimum':1}", "0", "/: must be >= 1 (got 0)\n");
    INVALID("{'maximum':2.5}", "2.75", "/: must be <= 2.5 (got 2.75)\n");
    INVALID("{'exclusiveMinimum':0}", "0", "/: must be > 0 (got 0)\n");
    INVALID("{'exclusiveMaximum':100}", "100", "/: must be < 100 (got 100)\n");
    VALID("{'minimum':1,'maximum':1}", "1");
    VALID("{'exclusiveMinimum':0,'exclusiveMaximum':1}", "0.5");
    VALID("{'minimum':5}", "'not a number'");
    INVALID("{'minimum':0.1}", "1e-7", "/: must be >= 0.1 (got 1e-07)\n");
}
END_TEST

START_TEST(multiple_of_tolerates_binary_rounding)
{
    VALID("{'multipleOf':0.5}", "1.5");
    VALID("{'multipleOf':0.1}", "0.3");
    VALID("{'multipleOf':0.0001}", "0.0075");
    VALID("{'multipleOf':2}", "-4");
    INVALID("{'multipleOf':0.5}", "1.3", "/: must be a multiple of 0.5 (got 1.3)\n");
    INVALID_ANY("{'multipleOf':0.123456789}", "1e308");
    INVALID_ANY("{'type':'integer','multipleOf':3}", "7");
}
END_TEST

/* --------------------------------------------------------------- strings */

START_TEST(string_length_counts_code_points)
{
    VALID("{'maxLength':3}", "'\\u00e9\\u00e9\\u00e9'");
    INVALID("{'maxLength':3}", "'\\u00e9\\u00e9\\u00e9\\u00e9'",
            "/: must be at most 3 characters long (got 4)\n");
    INVALID("{'minLength':2}", "'\\u00e9'", "/: must be at least 2 characters long (got 1)\n");
    INVALID("{'maxLength':1}", "'ab'", "/: must be at most 1 character long (got 2)\n");
    VALID("{'minLength':1}", "'\\ud83d\\ude00'");
    INVALID("{'maxLength':1}", "'\\ud83d\\ude00\\ud83d\\ude00'",
            "/: must be at most 1 character long (got 2)\n");
}
END_TEST

START_TEST(pattern_reports_the_source_pattern)
{
    VALID("{'pattern':'^[a-z]+$'}", "'abc'");
    INVALID("{'pattern':'^[a-z]+$'}", "'ABC'",
            "/: must match pattern \"^[a-z]+$\" (got \"ABC\")\n");
    INVALID("{'pattern':'^\\\\d+$'}", "'12a'", "/: must match pattern \"^\\d+$\" (got \"12a\")\n");
    VALID("{'pattern':'^\\\\d+$'}", "42");
}
END_TEST

START_TEST(long_values_are_cut_when_echoed)
{
    pcfmcp__schema *s = compile_ok("{'pattern':'^b'}");
    char big[1001];
    memset(big, 'a', 1000);
    big[1000] = '\0';
    cJSON *x = cJSON_CreateString(big);
    char *text = problems_of(s, x);
    ck_assert_str_eq(text, "/: must match pattern \"^b\" (got "
                           "\"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa...\", 1000 characters)\n");
    pcfmcp__free(text);
    cJSON_Delete(x);
    pcfmcp__schema_free(s);
}
END_TEST

/* Table-driven: format, value, valid? */
static const struct {
    const char *format, *value;
    bool ok;
} format_cases[] = {
    { "uuid", "123e4567-e89b-12d3-a456-426614174000", true },
    { "uuid", "123E4567-E89B-12D3-A456-426614174000", true },
    { "uuid", "123e4567e89b12d3a456426614174000", false },
    { "uuid", "123e4567-e89b-12d3-a456-42661417400g", false },
    { "ipv4", "192.168.0.1", true },
    { "ipv4", "0.0.0.0", true },
    { "ipv4", "255.255.255.255", true },
    { "ipv4", "256.1.1.1", false },
    { "ipv4", "1.2.3", false },
    { "ipv4", "01.2.3.4", false },
    { "ipv4", "1.2.3.4 ", false },
    { "ipv4", "1.2.3.4.5", false },
    { "ipv6", "::1", true },
    { "ipv6", "2001:db8::8a2e:370:7334", true },
    { "ipv6", "::ffff:192.0.2.1", true },
    { "ipv6", "fe80::1%eth0", false },
    { "ipv6", "12345::", false },
    { "ipv6", "1:2:3:4:5:6:7:8:9", false },
    { "ipv6", "192.168.0.1", false },
    { "email", "joe.bloggs@example.com", true },
    { "email", "te~st+tag@sub.example.org", true },
    { "email", "\"joe bloggs\"@example.com", true },
    { "email", "joe@[127.0.0.1]", true },
    { "email", "joe@[IPv6:::1]", true },
    { "email", "joe@localhost", true },
    { "email", "joe", false },
    { "email", "@example.com", false },
    { "email", ".joe@example.com", false },
    { "email", "jo..e@example.com", false },
    { "email", "joe@-example.com", false },
    { "email", "joe bloggs@example.com", false },
    { "date-time", "2024-01-31T23:59:00Z", true },
    { "date-time", "2024-01-31t23:59:00.123+02:00", true },
    { "date-time", "2024-02-29T00:00:00Z", true },
    { "date-time", "1998-12-31T23:59:60Z", true },
    { "date-time", "1998-12-31T15:59:60-08:00", true },
    { "date-time", "1998-12-31T22:59:60Z", false },
    { "date-time", "2023-02-29T00:00:00Z", false },
    { "date-time", "2024-01-31 23:59:00Z", false },
    { "date-time", "2024-01-31T23:59:00", false },
    { "date-time", "2024-13-01T00:00:00Z", false },
    { "date-time", "2024-01-31T24:00:00Z", false },
    { "date-time", "2024-01-31T23:59:00.Z", false },
    { "date", "2024-01-31", true },
    { "date", "2000-02-29", true },
    { "date", "1900-02-29", false },
    { "date", "2024-04-31", false },
    { "date", "2024-1-31", false },
    { "time", "08:30:00Z", true },
    { "time", "08:30:00.5-05:00", true },
    { "time", "08:30:00", false },
    { "uri", "https://example.com/a/b?c=d#e", true },
    { "uri", "pcf://projects/123/hosts/456", true },
    { "uri", "mailto:joe@example.com", true },
    { "uri", "urn:isbn:0451450523", true },
    { "uri", "http://user:pw@[::1]:8080/x%20y", true },
    { "uri", "file:///etc/hosts", true },
    { "uri", "/relative/path", false },
    { "uri", "http://exa mple.com/", false },
    { "uri", "http://example.com/%zz", false },
    { "uri", "http://example.com:80a/", false },
    { "uri", "1http://example.com", false },
    { "uri", "http://example.com/#a#b", false },
    { "uri", "http://[::1/", false },
    { "hostname", "example.com", true },
    { "hostname", "a-b.c1.example", true },
    { "hostname", "localhost", true },
    { "hostname", "-a.example", false },
    { "hostname", "a-.example", false },
    { "hostname", "a..example", false },
    { "hostname", "ex_ample.com", false },
    { "hostname", "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa.com", false },
    { "hostname", "", false },
};

START_TEST(formats_assert_their_syntax)
{
    const char *f = format_cases[_i].format, *v = format_cases[_i].value;
    cJSON *schema = cJSON_CreateObject();
    cJSON_AddStringToObject(schema, "format", f);
    pcfmcp__schema *s = compile_json(schema);
    cJSON *x = cJSON_CreateString(v);
    char *text = problems_of(s, x);
    ck_assert_msg((text[0] == '\0') == format_cases[_i].ok, "format %s, value \"%s\": %s", f, v,
                  text[0] ? text : "valid");
    pcfmcp__free(text);
    cJSON_Delete(x);
    pcfmcp__schema_free(s);
    cJSON_Delete(schema);
}
END_TEST

START_TEST(format_messages_name_the_format)
{
    INVALID("{'format':'ipv4'}", "'300.1.1.1'",
            "/: must be a valid IPv4 address (got \"300.1.1.1\")\n");
    INVALID("{'format':'uuid'}", "'x'", "/: must be a valid UUID (got \"x\")\n");
    INVALID("{'format':'date-time'}", "'yesterday'",
            "/: must be a valid RFC 3339 date-time such as \"2024-01-31T23:59:00Z\" "
            "(got \"yesterday\")\n");
    /* Unknown formats are annotations; formats concern strings only. */
    VALID("{'format':'color'}", "'not checked'");
    VALID("{'format':'ipv4'}", "42");
}
END_TEST

/* ---------------------------------------------------------- enum, const */

START_TEST(enum_lists_the_allowed_values)
{
    const char *schema =
        "{'properties':{'criticality':{'enum':['info','low','medium','high','critical']}}}";
    VALID(schema, "{'criticality':'high'}");
    INVALID(schema, "{'criticality':'severe'}",
            "/criticality: must be one of \"info\", \"low\", \"medium\", \"high\", "
            "\"critical\" (got \"severe\")\n");
    INVALID("{'enum':[1,null,{'a':[1]}]}", "{'a':[2]}",
            "/: must be one of 1, null, {\"a\":[1]} (got object)\n");
    VALID("{'enum':[1,null,{'a':[1]}]}", "1.0");
    VALID("{'enum':[{'a':1,'b':2}]}", "{'b':2,'a':1}");
    INVALID("{'enum':['only']}", "'other'", "/: must be \"only\" (got \"other\")\n");
    char long_enum[256], expected[256], val[101];
    memset(val, 'v', 100);
    val[100] = '\0';
    snprintf(long_enum, sizeof(long_enum), "{'const':'%s'}", val);
    snprintf(expected, sizeof(expected), "/: must be \"%.80s...\" (got 1)\n", val);
    INVALID(long_enum, "1", expected);
}
END_TEST

START_TEST(enum_message_lists_at_most_twenty_values)
{
    char schema[512] = "{'enum':[";
    for (int i = 0; i < 25; i++)
        snprintf(schema + strlen(schema), sizeof(schema) - strlen(schema), "%s%d", i ? "," : "",
                 i);
    strcat(schema, "]}");
    INVALID(schema, "99",
            "/: must be one of 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, "
            "19, ... (25 values in total) (got 99)\n");
}
END_TEST

START_TEST(const_requires_an_equal_value)
{
    VALID("{'const':'abc'}", "'abc'");
    INVALID("{'const':'abc'}", "'abd'", "/: must be \"abc\" (got \"abd\")\n");
    VALID("{'const':{'a':1,'b':[true]}}", "{'b':[true],'a':1.0}");
    INVALID("{'const':{'a':[1,2]}}", "{'a':[1]}", "/: must be {\"a\":[1,2]} (got object)\n");
    INVALID("{'const':null}", "false", "/: must be null (got false)\n");
}
END_TEST

/* ----------------------------------------------------------- composition */

START_TEST(all_of_applies_every_schema)
{
    VALID("{'allOf':[{'minimum':1},{'maximum':5}]}", "3");
    INVALID("{'allOf':[{'minimum':1},{'maximum':5}]}", "7", "/: must be <= 5 (got 7)\n");
}
END_TEST

START_TEST(any_of_merges_type_only_failures)
{
    const char *schema = "{'anyOf':[{'type':'string'},{'type':'integer'}]}";
    VALID(schema, "'x'");
    VALID(schema, "3");
    INVALID(schema, "true", "/: must be string or integer (got true)\n");
    INVALID("{'properties':{'v':{'anyOf':[{'type':['string','null']},{'type':'integer'}]}}}",
            "{'v':1.5}", "/v: must be string, null or integer (got 1.5)\n");
}
END_TEST

START_TEST(any_of_shows_the_closest_alternative)
{
    const char *schema = "{'anyOf':[{'type':'string'},{'type':'object','required':['host'],"
                         "'properties':{'port':{'maximum':65535}}}]}";
    VALID(schema, "{'host':'h','port':1}");
    INVALID(schema, "{'port':70000}",
            "/: matches none of the 2 alternatives in anyOf; closest is alternative 2:\n"
            "/: missing required property \"host\"\n"
            "/port: must be <= 65535 (got 70000)\n");
}
END_TEST

START_TEST(one_of_requires_exactly_one_match)
{
    const char *schema = "{'oneOf':[{'type':'integer'},{'minimum':0},{'maximum':100}]}";
    INVALID(schema, "5",
            "/: must match exactly one alternative in oneOf, but matches alternatives 1, 2 "
            "and 3\n");
    INVALID(schema, "-5",
            "/: must match exactly one alternative in oneOf, but matches alternatives 1 and 3\n");
    VALID("{'oneOf':[{'type':'string'},{'type':'integer'}]}", "5");
    INVALID("{'oneOf':[{'type':'string'},{'type':'integer'}]}", "[]",
            "/: must be string or integer (got array)\n");
    INVALID("{'oneOf':[{'type':'string','minLength':2},{'type':'integer'}]}", "'a'",
            "/: matches none of the 2 alternatives in oneOf; closest is alternative 1:\n"
            "/: must be at least 2 characters long (got 1)\n");
}
END_TEST

START_TEST(not_rejects_matching_values)
{
    VALID("{'not':{'type':'null'}}", "0");
    INVALID("{'not':{'type':'null'}}", "null",
            "/: must not match the schema in \"not\" (got null)\n");
}
END_TEST

START_TEST(if_then_else_picks_a_branch)
{
    const char *schema = "{'if':{'properties':{'kind':{'const':'tcp'}},'required':['kind']},"
                         "'then':{'required':['port']},'else':{'required':['path']}}";
    VALID(schema, "{'kind':'tcp','port':1}");
    VALID(schema, "{'kind':'unix','path':'/x'}");
    INVALID(schema, "{'kind':'tcp'}", "/: missing required property \"port\"\n");
    INVALID(schema, "{'kind':'unix'}", "/: missing required property \"path\"\n");
    VALID("{'then':{'required':['x']}}", "{}");
}
END_TEST

/* ------------------------------------------------------------------ $ref */

START_TEST(ref_resolves_defs_and_definitions)
{
    const char *schema = "{'$defs':{'port':{'type':'integer','maximum':65535}},"
                         "'definitions':{'name':{'type':'string'}},"
                         "'properties':{'p':{'$ref':'#/$defs/port'},"
                         "'n':{'$ref':'#/definitions/name'}}}";
    VALID(schema, "{'p':80,'n':'x'}");
    INVALID(schema, "{'p':70000,'n':1}",
            "/p: must be <= 65535 (got 70000)\n"
            "/n: must be string (got 1)\n");
}
END_TEST

START_TEST(ref_applies_next_to_sibling_keywords)
{
    const char *schema = "{'$defs':{'a':{'minimum':0}},'$ref':'#/$defs/a','maximum':10}";
    VALID(schema, "5");
    INVALID(schema, "-1", "/: must be >= 0 (got -1)\n");
    INVALID(schema, "11", "/: must be <= 10 (got 11)\n");
}
END_TEST

START_TEST(ref_to_the_root_describes_recursive_data)
{
    const char *schema = "{'type':'object','required':['name'],'properties':{'name':{'type':"
                         "'string'},'children':{'type':'array','items':{'$ref':'#'}}}}";
    VALID(schema, "{'name':'a','children':[{'name':'b','children':[{'name':'c'}]}]}");
    INVALID(schema, "{'name':'a','children':[{'name':'b','children':[{'name':'c'},{}]}]}",
            "/children/0/children/1: missing required property \"name\"\n");
}
END_TEST

START_TEST(ref_follows_json_pointers_with_escapes)
{
    const char *schema =
        "{'$defs':{'a/b':{'type':'integer'},'c~d':{'type':'string'},'e f':{'type':'null'},"
        "'50%':{'type':'boolean'}},"
        "'anyOf':[{'type':'object'}],'oneOf':[{'type':'object'},{'type':'string','maxLength':1}],"
        "'allOf':[true,{'minProperties':0}],'items':{'minimum':3},"
        "'properties':{'w':{'$ref':'#/$defs/a~1b'},'x':{'$ref':'#/$defs/c~0d'},"
        "'y':{'$ref':'#/$defs/e%20f'},'z':{'$ref':'#/$defs/50%25'},"
        "'o':{'$ref':'#/anyOf/0'},'i':{'$ref':'#/items'},'p':{'$ref':'#/properties/w'},"
        "'q':{'$ref':'#/oneOf/1'},'r':{'$ref':'#/allOf/1'}}}";
    VALID(schema, "{'w':1,'x':'s','y':null,'z':true,'o':{},'i':4,'p':2,'q':'a','r':{}}");
    INVALID(schema, "{'w':'1','x':1,'y':0,'z':0,'o':[],'i':1,'p':null,'q':'ab'}",
            "/w: must be integer (got \"1\")\n"
            "/x: must be string (got 1)\n"
            "/y: must be null (got 0)\n"
            "/z: must be boolean (got 0)\n"
            "/o: must be object (got array)\n"
            "/i: must be >= 3 (got 1)\n"
            "/p: must be integer (got null)\n"
            "/q: must be at most 1 character long (got 2)\n");
}
END_TEST

START_TEST(ref_accepts_the_root_id_as_base)
{
    const char *schema = "{'$id':'https://example.com/s.json','$defs':{'a':{'type':'integer'}},"
                         "'properties':{'x':{'$ref':'https://example.com/s.json#/$defs/a'}}}";
    INVALID(schema, "{'x':'no'}", "/x: must be integer (got \"no\")\n");
}
END_TEST

/* ------------------------------------------------------- compile errors */

START_TEST(compile_rejects_wrong_keyword_types)
{
    COMPILE_ERROR("[]", PCFMCP_ERR_INVALID_ARG, "/: a schema must be an object or a boolean");
    COMPILE_ERROR("{'properties':{'port':{'minimum':'1'}}}", PCFMCP_ERR_INVALID_ARG,
                  "/properties/port/minimum: must be a number");
    COMPILE_ERROR("{'minLength':-1}", PCFMCP_ERR_INVALID_ARG,
                  "/minLength: must be a non-negative integer");
    COMPILE_ERROR("{'maxItems':1.5}", PCFMCP_ERR_INVALID_ARG,
                  "/maxItems: must be a non-negative integer");
    COMPILE_ERROR("{'type':'int'}", PCFMCP_ERR_INVALID_ARG,
                  "/type: unknown type \"int\" (expected null, boolean, object, array, number, "
                  "integer or string)");
    COMPILE_ERROR("{'type':['string','string']}", PCFMCP_ERR_INVALID_ARG,
                  "/type: lists \"string\" twice");
    COMPILE_ERROR("{'type':[]}", PCFMCP_ERR_INVALID_ARG, "/type: must not be empty");
    COMPILE_ERROR("{'required':['a',1]}", PCFMCP_ERR_INVALID_ARG, "/required/1: must be a string");
    COMPILE_ERROR("{'enum':[]}", PCFMCP_ERR_INVALID_ARG, "/enum: must not be empty");
    COMPILE_ERROR("{'enum':1}", PCFMCP_ERR_INVALID_ARG, "/enum: must be an array");
    COMPILE_ERROR("{'exclusiveMinimum':true}", PCFMCP_ERR_INVALID_ARG,
                  "/exclusiveMinimum: must be a number (the draft-04 boolean form is not "
                  "supported)");
    COMPILE_ERROR("{'multipleOf':0}", PCFMCP_ERR_INVALID_ARG,
                  "/multipleOf: must be greater than 0");
    COMPILE_ERROR("{'uniqueItems':1}", PCFMCP_ERR_INVALID_ARG, "/uniqueItems: must be a boolean");
    COMPILE_ERROR("{'pattern':5}", PCFMCP_ERR_INVALID_ARG, "/pattern: must be a string");
    COMPILE_ERROR("{'format':true}", PCFMCP_ERR_INVALID_ARG, "/format: must be a string");
    COMPILE_ERROR("{'properties':[]}", PCFMCP_ERR_INVALID_ARG, "/properties: must be an object");
    COMPILE_ERROR("{'properties':{'a':5}}", PCFMCP_ERR_INVALID_ARG,
                  "/properties/a: a schema must be an object or a boolean");
    COMPILE_ERROR("{'anyOf':[]}", PCFMCP_ERR_INVALID_ARG, "/anyOf: must not be empty");
    COMPILE_ERROR("{'allOf':{}}", PCFMCP_ERR_INVALID_ARG, "/allOf: must be an array of schemas");
    COMPILE_ERROR("{'oneOf':[{},3]}", PCFMCP_ERR_INVALID_ARG,
                  "/oneOf/1: a schema must be an object or a boolean");
    COMPILE_ERROR("{'dependentRequired':{'a':'b'}}", PCFMCP_ERR_INVALID_ARG,
                  "/dependentRequired/a: must be an array of strings");
    COMPILE_ERROR("{'$ref':5}", PCFMCP_ERR_INVALID_ARG, "/$ref: must be a string");
    COMPILE_ERROR("{'type':'string','type':'integer'}", PCFMCP_ERR_INVALID_ARG,
                  "/type: duplicate keyword");
}
END_TEST

START_TEST(compile_rejects_keywords_it_cannot_honour)
{
    COMPILE_ERROR("{'unevaluatedProperties':false}", PCFMCP_ERR_INVALID_ARG,
                  "/unevaluatedProperties: keyword is not supported");
    COMPILE_ERROR("{'properties':{'a':{'$dynamicRef':'#x'}}}", PCFMCP_ERR_INVALID_ARG,
                  "/properties/a/$dynamicRef: keyword is not supported");
    COMPILE_ERROR("{'items':[{}]}", PCFMCP_ERR_INVALID_ARG,
                  "/items: the array (tuple) form is not supported; use prefixItems");
    COMPILE_ERROR("{'dependencies':{}}", PCFMCP_ERR_INVALID_ARG,
                  "/dependencies: keyword is not supported (draft-07 and earlier); use "
                  "dependentRequired or dependentSchemas");
}
END_TEST

START_TEST(compile_ignores_annotations_and_unknown_keywords)
{
    const char *schema = "{'$schema':'https://json-schema.org/draft/2020-12/schema',"
                         "'$id':'urn:example:x','$comment':'c','$anchor':'top','title':'t',"
                         "'description':'d','default':1,'examples':[1],'readOnly':true,"
                         "'writeOnly':false,'deprecated':true,'contentMediaType':'text/plain',"
                         "'x-custom':{'anything':[1]},'nullable':true}";
    VALID(schema, "null");
    VALID(schema, "{'a':[1]}");
}
END_TEST

START_TEST(compile_rejects_patterns_it_cannot_translate)
{
    COMPILE_ERROR("{'pattern':'(?i)a'}", PCFMCP_ERR_INVALID_ARG,
                  "/pattern: cannot use pattern \"(?i)a\": unsupported group syntax (at offset 0)");
    COMPILE_ERROR("{'properties':{'id':{'pattern':'^\\\\p{Bogus}+$'}}}", PCFMCP_ERR_INVALID_ARG,
                  "/properties/id/pattern: cannot use pattern \"^\\p{Bogus}+$\": unknown property "
                  "after \\P or \\p (at offset 10)");
    COMPILE_ERROR("{'patternProperties':{'(a':{}}}", PCFMCP_ERR_INVALID_ARG,
                  "/patternProperties/(a: cannot use pattern \"(a\": missing closing "
                  "parenthesis (at offset 2)");
}
END_TEST

START_TEST(compile_rejects_remote_anchor_and_dangling_refs)
{
    COMPILE_ERROR("{'$ref':'https://example.com/other.json'}", PCFMCP_ERR_INVALID_ARG,
                  "/$ref: remote references are not supported "
                  "(\"https://example.com/other.json\")");
    COMPILE_ERROR("{'$ref':'other.json#/a'}", PCFMCP_ERR_INVALID_ARG,
                  "/$ref: remote references are not supported (\"other.json#/a\")");
    COMPILE_ERROR("{'$ref':'#foo'}", PCFMCP_ERR_INVALID_ARG,
                  "/$ref: anchor references are not supported (\"#foo\"); use a JSON pointer "
                  "such as \"#/$defs/name\"");
    COMPILE_ERROR("{'properties':{'a':{'$ref':'#/$defs/nope'}}}", PCFMCP_ERR_INVALID_ARG,
                  "/properties/a/$ref: cannot resolve \"#/$defs/nope\": no subschema at that "
                  "location");
    COMPILE_ERROR("{'enum':[{}],'$ref':'#/enum/0'}", PCFMCP_ERR_INVALID_ARG,
                  "/$ref: cannot resolve \"#/enum/0\": no subschema at that location");
    COMPILE_ERROR("{'allOf':[{}],'$ref':'#/allOf/01'}", PCFMCP_ERR_INVALID_ARG,
                  "/$ref: cannot resolve \"#/allOf/01\": no subschema at that location");
    COMPILE_ERROR("{'$ref':'#/%zz'}", PCFMCP_ERR_INVALID_ARG,
                  "/$ref: invalid percent-encoding in \"#/%zz\"");
    COMPILE_ERROR("{'$defs':{'a':{}},'$ref':'#/$defs/a/~2'}", PCFMCP_ERR_INVALID_ARG,
                  "/$ref: cannot resolve \"#/$defs/a/~2\": no subschema at that location");
}
END_TEST

START_TEST(compile_rejects_ref_cycles_that_consume_no_input)
{
    COMPILE_ERROR("{'$ref':'#'}", PCFMCP_ERR_INVALID_ARG,
                  "/$ref: $ref cycle that never consumes input (\"#\" leads back without "
                  "descending into a property or item)");
    COMPILE_ERROR("{'$defs':{'a':{'$ref':'#/$defs/b'},'b':{'$ref':'#/$defs/a'}}}",
                  PCFMCP_ERR_INVALID_ARG,
                  "/$defs/b/$ref: $ref cycle that never consumes input (\"#/$defs/a\" leads "
                  "back without descending into a property or item)");
    char *e = compile_fail("{'allOf':[{'$ref':'#'}]}", PCFMCP_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(e, "/allOf/0/$ref: $ref cycle"));
    pcfmcp__free(e);
    e = compile_fail("{'anyOf':[{'not':{'$ref':'#/anyOf/0'}}]}", PCFMCP_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(e, "$ref cycle"));
    pcfmcp__free(e);
    e = compile_fail("{'if':{'$ref':'#/then'},'then':{'$ref':'#/if'}}", PCFMCP_ERR_INVALID_ARG);
    ck_assert_ptr_nonnull(strstr(e, "$ref cycle"));
    pcfmcp__free(e);
    /* Cycles through properties, items or additionalProperties consume input. */
    pcfmcp__schema_free(compile_ok("{'properties':{'a':{'$ref':'#'}}}"));
    pcfmcp__schema_free(compile_ok("{'items':{'$ref':'#'}}"));
    pcfmcp__schema_free(compile_ok("{'additionalProperties':{'$ref':'#'}}"));
}
END_TEST

/* Builds {"properties":{"a":{"properties":{"a": ... }}}} @p levels deep. */
static cJSON *nested_schema(int levels)
{
    cJSON *root = cJSON_CreateObject(), *cur = root;
    for (int i = 0; i < levels; i++) {
        cJSON *props = cJSON_AddObjectToObject(cur, "properties");
        cur = cJSON_AddObjectToObject(props, "a");
    }
    return root;
}

START_TEST(compile_bounds_depth_fanout_chains_and_size)
{
    cJSON *j = nested_schema(PCFMCP__SCHEMA_MAX_DEPTH);
    pcfmcp__schema_free(compile_json(j));
    cJSON_Delete(j);
    j = nested_schema(PCFMCP__SCHEMA_MAX_DEPTH + 1);
    char *e = compile_fail_json(j, PCFMCP_ERR_LIMIT);
    ck_assert_ptr_nonnull(strstr(e, "subschemas nested deeper than 64 levels"));
    pcfmcp__free(e);
    cJSON_Delete(j);

    j = cJSON_CreateObject();
    cJSON *any = cJSON_AddArrayToObject(j, "anyOf");
    for (int i = 0; i <= PCFMCP__SCHEMA_MAX_FANOUT; i++)
        cJSON_AddItemToArray(any, cJSON_CreateTrue());
    e = compile_fail_json(j, PCFMCP_ERR_LIMIT);
    ck_assert_str_eq(e, "/anyOf: more than 64 schemas");
    pcfmcp__free(e);
    cJSON_Delete(j);

    /* d0 -> d1 -> ... -> d69 through $ref only. */
    j = cJSON_CreateObject();
    cJSON *defs = cJSON_AddObjectToObject(j, "$defs");
    for (int i = 0; i < 70; i++) {
        char name[16], ref[32];
        snprintf(name, sizeof(name), "d%d", i);
        snprintf(ref, sizeof(ref), "#/$defs/d%d", i + 1);
        cJSON *d = cJSON_AddObjectToObject(defs, name);
        if (i < 69)
            cJSON_AddStringToObject(d, "$ref", ref);
    }
    e = compile_fail_json(j, PCFMCP_ERR_LIMIT);
    ck_assert_ptr_nonnull(
        strstr(e, "more than 64 nested $ref/allOf/anyOf/oneOf/not/if/then/else hops"));
    pcfmcp__free(e);
    cJSON_Delete(j);

    /* 11 objects of 1000 properties each. */
    j = cJSON_CreateObject();
    cJSON *props = cJSON_AddObjectToObject(j, "properties");
    for (int i = 0; i < 11; i++) {
        char name[16];
        snprintf(name, sizeof(name), "p%d", i);
        cJSON *inner = cJSON_AddObjectToObject(cJSON_AddObjectToObject(props, name), "properties");
        for (int k = 0; k < 1000; k++) {
            snprintf(name, sizeof(name), "q%d", k);
            cJSON_AddItemToObject(inner, name, cJSON_CreateTrue());
        }
    }
    e = compile_fail_json(j, PCFMCP_ERR_LIMIT);
    ck_assert_ptr_nonnull(strstr(e, "schema has more than 10000 subschemas"));
    pcfmcp__free(e);
    cJSON_Delete(j);

    j = cJSON_CreateObject();
    char *long_pattern = malloc(PCFMCP__SCHEMA_MAX_PATTERN + 2);
    memset(long_pattern, 'a', PCFMCP__SCHEMA_MAX_PATTERN + 1);
    long_pattern[PCFMCP__SCHEMA_MAX_PATTERN + 1] = '\0';
    cJSON_AddStringToObject(j, "pattern", long_pattern);
    free(long_pattern);
    e = compile_fail_json(j, PCFMCP_ERR_LIMIT);
    ck_assert_str_eq(e, "/pattern: pattern longer than 1024 bytes");
    pcfmcp__free(e);
    cJSON_Delete(j);

    j = cJSON_CreateObject();
    cJSON *v = cJSON_AddArrayToObject(j, "const");
    for (int i = 0; i < 70; i++) {
        cJSON *inner = cJSON_CreateArray();
        cJSON_AddItemToArray(v, inner);
        v = inner;
    }
    e = compile_fail_json(j, PCFMCP_ERR_LIMIT);
    ck_assert_str_eq(e, "/const: value nested deeper than 64 levels");
    pcfmcp__free(e);
    cJSON_Delete(j);
}
END_TEST

/* -------------------------------------------------------------- messages */

START_TEST(problem_list_is_capped)
{
    char schema[1024] = "{'required':[";
    for (int i = 0; i < 25; i++)
        snprintf(schema + strlen(schema), sizeof(schema) - strlen(schema), "%s'r%02d'",
                 i ? "," : "", i);
    strcat(schema, "]}");
    char *text = problems(schema, "{}");
    int lines = 0;
    for (const char *p = text; *p; p++)
        lines += *p == '\n';
    ck_assert_int_eq(lines, PCFMCP__SCHEMA_MAX_PROBLEMS + 1);
    ck_assert_ptr_nonnull(strstr(text, "/: missing required property \"r19\"\n"));
    ck_assert_ptr_null(strstr(text, "r20"));
    ck_assert_ptr_nonnull(strstr(text, "\n... 5 more problems not shown\n"));
    pcfmcp__free(text);
}
END_TEST

START_TEST(paths_escape_pointer_syntax_and_control_characters)
{
    INVALID("{'additionalProperties':false}", "{'a/b~c':1}",
            "/a~1b~0c: unknown property (no properties allowed)\n");
    INVALID("{'additionalProperties':false}", "{'a\\nb':1}",
            "/a\\u000ab: unknown property (no properties allowed)\n");
    char key[101], inst[160], expected[200];
    memset(key, 'k', 100);
    key[100] = '\0';
    snprintf(inst, sizeof(inst), "{'%s':1}", key);
    snprintf(expected, sizeof(expected), "/%.64s...: unknown property (no properties allowed)\n",
             key);
    INVALID("{'additionalProperties':false}", inst, expected);
}
END_TEST

START_TEST(deep_paths_are_shortened_in_the_middle)
{
    /* 40 levels of {"level_NN": ...} ending in a wrong type. */
    pcfmcp__schema *s = compile_ok("{'$defs':{'n':{'type':['object','string'],"
                                   "'additionalProperties':{'$ref':'#/$defs/n'}}},"
                                   "'$ref':'#/$defs/n'}");
    cJSON *root = cJSON_CreateObject(), *cur = root;
    for (int i = 0; i < 40; i++) {
        char key[16];
        snprintf(key, sizeof(key), "level_%02d", i);
        cur = i < 39 ? cJSON_AddObjectToObject(cur, key) : cJSON_AddNumberToObject(cur, key, 1);
    }
    char *text = problems_of(s, root);
    ck_assert_str_eq(text, "/level_00/level_01/level_02/level_03/level_04/level_05/level_06/"
                           "level_07/.../level_27/level_28/level_29/level_30/level_31/level_32/"
                           "level_33/level_34/level_35/level_36/level_37/level_38/level_39: must "
                           "be object or string (got 1)\n");
    pcfmcp__free(text);
    cJSON_Delete(root);
    pcfmcp__schema_free(s);
}
END_TEST

START_TEST(validate_rejects_a_missing_instance)
{
    pcfmcp__schema *s = compile_ok("true");
    pcfmcp__buf b;
    pcfmcp__buf_init(&b);
    ck_assert(!pcfmcp__schema_validate(s, NULL, &b));
    ck_assert_str_eq(b.data, "/: no value\n");
    pcfmcp__buf_free(&b);
    pcfmcp__schema_free(s);
}
END_TEST

/* ---------------------------------------------------- deep and expensive */

static cJSON *nested_arrays(int levels)
{
    cJSON *root = cJSON_CreateArray(), *cur = root;
    for (int i = 1; i < levels; i++) {
        cJSON *next = cJSON_CreateArray();
        cJSON_AddItemToArray(cur, next);
        cur = next;
    }
    return root;
}

START_TEST(deep_instances_are_refused_without_recursing_into_them)
{
    pcfmcp__schema *s = compile_ok("{'$defs':{'n':{'type':'array','items':{'$ref':'#/$defs/n'}}},"
                                   "'$ref':'#/$defs/n'}");
    cJSON *ok = nested_arrays(PCFMCP__SCHEMA_MAX_INSTANCE_DEPTH);
    char *text = problems_of(s, ok);
    ck_assert_str_eq(text, "");
    pcfmcp__free(text);
    cJSON_Delete(ok);
    cJSON *deep = nested_arrays(PCFMCP__SCHEMA_MAX_INSTANCE_DEPTH + 1);
    text = problems_of(s, deep);
    ck_assert_str_eq(text, "/: nested too deeply (more than 128 levels of arrays and objects)\n");
    pcfmcp__free(text);
    cJSON_Delete(deep);
    /* Far deeper than any stack would survive recursively. */
    deep = nested_arrays(200000);
    ck_assert(!pcfmcp__schema_validate(s, deep, NULL));
    /* cJSON_Delete recurses; unlink level by level instead. */
    for (cJSON *p = deep; p;) {
        cJSON *child = p->child;
        p->child = NULL;
        cJSON_Delete(p);
        p = child;
    }
    pcfmcp__schema_free(s);
}
END_TEST

START_TEST(recursion_is_bounded_with_long_ref_chains)
{
    /* 60 $ref hops per array level: 128 levels would nest ~7700 calls, 10 levels 610. */
    cJSON *j = cJSON_CreateObject();
    cJSON *defs = cJSON_AddObjectToObject(j, "$defs");
    for (int i = 0; i < 60; i++) {
        char name[16], ref[32];
        snprintf(name, sizeof(name), "n%d", i);
        cJSON *d = cJSON_AddObjectToObject(defs, name);
        if (i < 59) {
            snprintf(ref, sizeof(ref), "#/$defs/n%d", i + 1);
            cJSON_AddStringToObject(d, "$ref", ref);
        } else {
            cJSON_AddStringToObject(d, "type", "array");
            cJSON_AddStringToObject(cJSON_AddObjectToObject(d, "items"), "$ref", "#/$defs/n0");
        }
    }
    cJSON_AddStringToObject(j, "$ref", "#/$defs/n0");
    pcfmcp__schema *s = compile_json(j);
    cJSON *shallow = nested_arrays(10), *deep = nested_arrays(PCFMCP__SCHEMA_MAX_INSTANCE_DEPTH);
    char *text = problems_of(s, shallow);
    ck_assert_str_eq(text, "");
    pcfmcp__free(text);
    text = problems_of(s, deep);
    ck_assert_str_eq(text, "/: validation stopped: schema recursion too deep for this input\n");
    pcfmcp__free(text);
    cJSON_Delete(shallow);
    cJSON_Delete(deep);
    pcfmcp__schema_free(s);
    cJSON_Delete(j);
}
END_TEST

START_TEST(exponential_schemas_hit_the_work_limit)
{
    /* Each level tries both alternatives, and again to explain the failure:
     * without a budget this is 2^100 steps. */
    pcfmcp__schema *s = compile_ok(
        "{'$defs':{'n':{'anyOf':[{'type':'array','items':{'$ref':'#/$defs/n'}},"
        "{'type':'array','items':{'$ref':'#/$defs/n'}}]}},'$ref':'#/$defs/n'}");
    cJSON *x = nested_arrays(100);
    cJSON *leaf = x;
    while (leaf->child)
        leaf = leaf->child;
    cJSON_AddItemToArray(leaf, cJSON_CreateNumber(0));
    pcfmcp__buf b;
    pcfmcp__buf_init(&b);
    ck_assert(!pcfmcp__schema_validate(s, x, &b));
    ck_assert(pcfmcp__buf_ok(&b));
    ck_assert_ptr_nonnull(strstr(b.data, "/: validation stopped: this input is too complex for "
                                         "the schema (work limit reached)\n"));
    ck_assert(!pcfmcp__schema_validate(s, x, NULL));
    pcfmcp__buf_free(&b);
    cJSON_Delete(x);
    pcfmcp__schema_free(s);
}
END_TEST

START_TEST(large_valid_inputs_stay_within_the_work_limit)
{
    pcfmcp__schema *s = compile_ok(
        "{'type':'array','uniqueItems':true,'items':{'oneOf':["
        "{'type':'object','required':['ip'],'properties':{'ip':{'format':'ipv4'}},"
        "'additionalProperties':false},"
        "{'type':'object','required':['host'],'properties':{'host':{'format':'hostname'},"
        "'port':{'type':'integer','minimum':1,'maximum':65535}},'additionalProperties':false},"
        "{'type':'string','pattern':'^[a-z]+$'}]}}");
    cJSON *arr = cJSON_CreateArray();
    for (int i = 0; i < 20000; i++) {
        cJSON *o = cJSON_CreateObject();
        char host[32];
        snprintf(host, sizeof(host), "h%d.example", i);
        cJSON_AddStringToObject(o, "host", host);
        cJSON_AddNumberToObject(o, "port", 1 + i % 65535);
        cJSON_AddItemToArray(arr, o);
    }
    char *text = problems_of(s, arr);
    ck_assert_str_eq(text, "");
    pcfmcp__free(text);
    cJSON_Delete(arr);
    pcfmcp__schema_free(s);
}
END_TEST

START_TEST(patterns_scan_long_strings_in_linear_time)
{
    /* Quadratic search would take minutes here and hit the test timeout. */
    enum { N = 300000 };
    char *big = malloc(N + 1);
    memset(big, 'a', N);
    big[N] = '\0';
    cJSON *x = cJSON_CreateString(big);
    const char *patterns[] = { "[a-z]+x", "(a|aa)*b", "^[a-z]{1,1000}$", "^\\w+$" };
    const bool expect[] = { false, false, false, true };
    for (size_t i = 0; i < PCFMCP_ARRAY_LEN(patterns); i++) {
        cJSON *schema = cJSON_CreateObject();
        cJSON_AddStringToObject(schema, "pattern", patterns[i]);
        pcfmcp__schema *s = compile_json(schema);
        ck_assert_int_eq(pcfmcp__schema_validate(s, x, NULL), expect[i]);
        pcfmcp__schema_free(s);
        cJSON_Delete(schema);
    }
    cJSON_Delete(x);
    free(big);
}
END_TEST

/* ------------------------------------------------------------ concurrency */

typedef struct {
    const pcfmcp__schema *s;
    const cJSON *inputs[3];
    const char *expected[3];
    int mismatches;
} thread_job;

static void *validate_many(void *arg)
{
    thread_job *job = arg;
    for (int round = 0; round < 200; round++) {
        for (int i = 0; i < 3; i++) {
            pcfmcp__buf b;
            pcfmcp__buf_init(&b);
            bool ok = pcfmcp__schema_validate(job->s, job->inputs[i], &b);
            const char *got = b.len ? b.data : "";
            if (ok != (job->expected[i][0] == '\0') || strcmp(got, job->expected[i]) != 0)
                job->mismatches++;
            pcfmcp__buf_free(&b);
        }
    }
    return NULL;
}

START_TEST(one_compiled_schema_serves_concurrent_validations)
{
    pcfmcp__schema *s = compile_ok(
        "{'type':'object','required':['id'],'properties':{'id':{'type':'string',"
        "'pattern':'^[0-9a-f]{8}$'},'tags':{'type':'array','uniqueItems':true,"
        "'items':{'anyOf':[{'type':'string'},{'type':'integer'}]}}},"
        "'additionalProperties':false}");
    cJSON *good = parse("{'id':'0123abcd','tags':['a','b','c','d','e','f','g','h','i','j','k',"
                        "'l','m','n','o','p','q','r',1,2,3]}");
    cJSON *bad1 = parse("{'id':'XYZ','tags':[true]}");
    cJSON *bad2 = parse("{'extra':1,'tags':['a','b','c','d','e','f','g','h','i','j','k','l','m',"
                        "'n','o','p','q','r','a']}");
    char *e1 = problems_of(s, bad1), *e2 = problems_of(s, bad2);
    ck_assert_str_eq(e1, "/id: must match pattern \"^[0-9a-f]{8}$\" (got \"XYZ\")\n"
                         "/tags/0: must be string or integer (got true)\n");
    ck_assert_str_eq(e2, "/: missing required property \"id\"\n"
                         "/extra: unknown property (allowed: id, tags)\n"
                         "/tags: must not contain duplicate items (items 0 and 18 are equal)\n");
    enum { N = 4 };
    pthread_t th[N];
    thread_job jobs[N];
    for (int i = 0; i < N; i++) {
        jobs[i] = (thread_job){ s, { good, bad1, bad2 }, { "", e1, e2 }, 0 };
        ck_assert_int_eq(pthread_create(&th[i], NULL, validate_many, &jobs[i]), 0);
    }
    for (int i = 0; i < N; i++) {
        pthread_join(th[i], NULL);
        ck_assert_int_eq(jobs[i].mismatches, 0);
    }
    pcfmcp__free(e1);
    pcfmcp__free(e2);
    cJSON_Delete(good);
    cJSON_Delete(bad1);
    cJSON_Delete(bad2);
    pcfmcp__schema_free(s);
}
END_TEST

/* -------------------------------------------------------------------- OOM */

static const char oom_schema[] =
    "{'$id':'urn:x','type':'object','required':['id','kind'],"
    "'$defs':{'port':{'type':'integer','minimum':1,'maximum':65535}},"
    "'properties':{'id':{'type':'string','format':'uuid'},"
    "'kind':{'enum':['tcp','udp',{'raw':[1,2]}]},"
    "'name':{'type':'string','pattern':'^[\\\\w.-]{1,64}$'},"
    "'ports':{'type':'array','uniqueItems':true,'items':{'$ref':'#/$defs/port'}},"
    "'opts':{'type':'object','patternProperties':{'^x-':{'type':'string'}},"
    "'propertyNames':{'maxLength':8},'additionalProperties':false},"
    "'target':{'anyOf':[{'type':'string','format':'ipv4'},{'type':'object',"
    "'required':['host'],'properties':{'host':{'type':'string'},'port':{'$ref':'#/$defs/port'}}}]},"
    "'mode':{'oneOf':[{'const':'a'},{'const':'b'}]}},"
    "'additionalProperties':false}";

START_TEST(compile_fails_cleanly_when_memory_runs_out)
{
    cJSON *j = parse(oom_schema);
    bool succeeded = false;
    for (long k = 0; k < 100000 && !succeeded; k++) {
        pcfmcp__schema *s = NULL;
        char *err = NULL;
        pcfmcp__alloc_fail_after(k);
        int rc = pcfmcp__schema_compile(j, &s, &err);
        pcfmcp__alloc_fail_after(-1);
        if (rc == PCFMCP_OK) {
            ck_assert_ptr_nonnull(s);
            ck_assert_ptr_null(err);
            pcfmcp__schema_free(s);
            succeeded = true;
        } else {
            ck_assert_int_eq(rc, PCFMCP_ERR_NOMEM);
            ck_assert_ptr_null(s);
            ck_assert(err == NULL || strcmp(err, "out of memory") == 0);
            pcfmcp__free(err);
        }
    }
    ck_assert(succeeded);
    cJSON_Delete(j);
}
END_TEST

START_TEST(validate_fails_cleanly_when_memory_runs_out)
{
    pcfmcp__schema *s = compile_ok(oom_schema);
    cJSON *bad = parse("{'kind':'icmp','name':'bad name!','ports':[1,2,3,4,5,6,7,8,9,10,11,12,"
                       "13,14,15,16,17,70000,1],'opts':{'x-a':1,'verylongname':'v','y':'z'},"
                       "'target':{'port':0},'mode':'c','zzz':1}");
    cJSON *good = parse("{'id':'123e4567-e89b-12d3-a456-426614174000','kind':{'raw':[1,2]},"
                        "'ports':[1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18],"
                        "'target':{'host':'h','port':1},'mode':'b'}");
    char *expected = problems_of(s, bad);
    ck_assert(expected[0] != '\0');
    const cJSON *inputs[] = { bad, good };
    const char *texts[] = { expected, "" };
    for (size_t in = 0; in < 2; in++) {
        bool complete = false;
        for (long k = 0; k < 100000 && !complete; k++) {
            pcfmcp__buf b;
            pcfmcp__buf_init(&b);
            pcfmcp__alloc_fail_after(k);
            bool ok = pcfmcp__schema_validate(s, inputs[in], &b);
            bool quick = pcfmcp__schema_validate(s, inputs[in], NULL);
            pcfmcp__alloc_fail_after(-1);
            if (pcfmcp__buf_ok(&b)) {
                ck_assert_int_eq(ok, in == 1);
                ck_assert_str_eq(b.len ? b.data : "", texts[in]);
                complete = true;
            } else {
                ck_assert(!ok); /* out of memory is never "valid" */
            }
            if (in == 0)
                ck_assert(!quick);
            pcfmcp__buf_free(&b);
        }
        ck_assert(complete);
    }
    pcfmcp__free(expected);
    cJSON_Delete(bad);
    cJSON_Delete(good);
    pcfmcp__schema_free(s);
}
END_TEST

/* ------------------------------------------------------------------ regex */

static bool pattern_matches(const char *pattern, const char *s)
{
    cJSON *schema = cJSON_CreateObject();
    cJSON_AddStringToObject(schema, "pattern", pattern);
    pcfmcp__schema *compiled = compile_json(schema);
    cJSON *x = cJSON_CreateString(s);
    bool ok = pcfmcp__schema_validate(compiled, x, NULL);
    cJSON_Delete(x);
    pcfmcp__schema_free(compiled);
    cJSON_Delete(schema);
    return ok;
}

static const struct {
    const char *pattern, *subject;
    bool match;
} regex_cases[] = {
    { "^\\d{3}-\\d{4}$", "555-1234", true },
    { "^\\d{3}-\\d{4}$", "555-12345", false },
    { "^\\d+$", "12a", false },
    { "abc", "xxabcxx", true },
    { "^[a-z0-9_-]+$", "ab_c-9", true },
    { "^[a-z0-9_-]+$", "ab c", false },
    { "^\\S+$", "a b", false },
    { "^\\S+$", "ab", true },
    { "^\\s$", "\xc2\xa0", true },
    { "^\\s$", "\xe2\x80\xa8", true },
    { "^\\s+$", "\t\n\v\f\r ", true },
    { "^.$", "\xc3\xa9", true },
    { "^.$", "\xf0\x9f\x98\x80", true },
    { "^.$", "\n", false },
    { "^..$", "\xc3\xa9", false },
    { "^a.c$", "abc", true },
    { "^[^a]$", "\xc3\xa9", true },
    { "^[^a]$", "a", false },
    { "^[^a]$", "\xf0\x9f\x98\x80", true },
    { "^[\\u00e0-\\u00ff]$", "\xc3\xa9", true },
    { "^[\\u00e0-\\u00ff]$", "e", false },
    { "^[\\u4e00-\\u9fff]+$", "\xe4\xb8\xad\xe6\x96\x87", true },
    { "^[\\u4e00-\\u9fff]+$", "\xe4\xb8\xad" "a", false },
    { "^\\w+@\\w+\\.com$", "bob@example.com", true },
    { "^\\w+@\\w+\\.com$", "bob@examplexcom", false },
    { "^\\w$", "\xc3\xa9", false },
    { "^\\W$", "\xc3\xa9", true },
    { "^(?:ab)+$", "abab", true },
    { "^(?:ab)+$", "aba", false },
    { "^(?<year>\\d{4})$", "2024", true },
    { "^a+?$", "aaa", true },
    { "^a{2,3}$", "aaa", true },
    { "^a{2,3}$", "aaaa", false },
    { "^a{2}$", "aa", true },
    { "^a{2,}$", "aaaaa", true },
    { "^a{,3}$", "a{,3}", true },
    { "^x{$", "x{", true },
    { "^\xc3\xa9{2}$", "\xc3\xa9\xc3\xa9", true },
    { "^[\xc3\xa9]{2}$", "\xc3\xa9\xc3\xa9", true },
    { "^\\u00e9$", "\xc3\xa9", true },
    { "^\\x41$", "A", true },
    { "^\\u{1F600}$", "\xf0\x9f\x98\x80", true },
    { "^\\uD83D\\uDE00$", "\xf0\x9f\x98\x80", true },
    { "^\\cJ$", "\n", true },
    { "^[\\b]$", "\b", true },
    { "^[\\t]$", "\t", true },
    { "^[.]$", ".", true },
    { "^[.]$", "a", false },
    { "^[\\]\\-^]+$", "]-^", true },
    { "^[\\]\\-^]+$", "a", false },
    { "^[\\^]$", "^", true },
    { "^[-]$", "-", true },
    { "^[[]$", "[", true },
    { "^[[:]+$", "[:", true },
    { "^[a-c\\-]$", "-", true },
    { "^[a\\-c]$", "b", false },
    { "^[!-,]$", "\"", true },
    { "^[\\\\]$", "\\", true },
    { "^[^\\d]$", "x", true },
    { "^[^\\d]$", "5", false },
    { "^[\\D]$", "x", true },
    { "^[^\\D]$", "5", true },
    { "^[\\s\\S]+$", "any\nthing", true },
    { "^[\\d\\s]+$", "1 2", true },
    { "\\bfoo\\b", "a foo b", true },
    { "\\bfoo\\b", "afoo", false },
    { "\\Bfoo", "afoo", true },
    { "^\\$\\^\\.\\*\\+\\?\\(\\)\\[\\]\\{\\}\\|\\\\\\/$", "$^.*+?()[]{}|\\/", true },
    { "^(a|b)*c$", "ababc", true },
    { "^(a|b)*c$", "abx", false },
    { "^(|a)b$", "b", true },
    { "^(a|b$)c?$", "b", true },
    { "(^a|b$)", "cb", true },
    { "^$", "", true },
    { "^$", "a", false },
    { "}", "}", true },
    { "]", "]", true },
    { "", "anything", true },
    { "\\0", "a", false },
    { "[]", "a", false },
    { "^[^]$", "\n", true },
    { "^.{1,255}$", "\xc3\xa9\xe4\xb8\xad\xf0\x9f\x98\x80", true },
    { "^.{1,2000}$", "\xc3\xa9", true },
    { "^.{2,2000}$", "\xc3\xa9", false },
    { "^\\d{3}$", "1234", false },
    { "^\\d{3}$", "123", true },
    { "^x*?$", "", true },
    { "^\\$$", "$", true },
    { "^[^/]{2,255}$", "\xe4\xb8\xad", false },
    { "^[^\\u2028]$", "\xe2\x80\xa8", false },
    { "^[^\\u2028]$", "\xe2\x80\xa9", true },
    { "^[\\u0800-\\uffff]$", "\xef\xbf\xbf", true },
    { "^[\\u0800-\\uffff]$", "\xdf\xbf", false },
    { "^[\\u{10000}-\\u{10ffff}]$", "\xf4\x8f\xbf\xbf", true },
    { "^.$", "\xe2\x80\xa8", false },
    /* What the old POSIX translator refused. */
    { "^(?=.*\\d)(?=.*[a-z]).{8,}$", "passw0rdx", true },
    { "^(?=.*\\d)(?=.*[a-z]).{8,}$", "password", false },
    { "^(?!admin$)\\w+$", "admin", false },
    { "^(?!admin$)\\w+$", "administrator", true },
    { "(?<=\\$)\\d+", "cost $42", true },
    { "(?<!\\$)\\b\\d+", "$42", false },
    { "^(\\w)\\1$", "aa", true },
    { "^(\\w)\\1$", "ab", false },
    { "^(?<q>['\"]).*\\k<q>$", "'quoted'", true },
    { "^(?<q>['\"]).*\\k<q>$", "'mixed\"", false },
    { "^(a)?\\1b$", "b", true },
    { "^\\p{L}+$", "\xc3\xa9t\xc3\xa9", true },
    { "^\\p{L}+$", "abc1", false },
    { "^\\p{Lu}\\p{Ll}+$", "\xc3\x89" "cole", true },
    { "^\\p{Letter}+$", "\xe4\xb8\xad\xe6\x96\x87", true },
    { "^\\P{L}+$", "123", true },
    { "^\\p{Script=Greek}+$", "\xce\xb1\xce\xb2", true },
    { "^\\p{sc=Greek}+$", "abc", false },
    { "^\\p{Nd}$", "\xd9\xa3", true },
    { "^\\d$", "\xd9\xa3", false },
    { "^(?:^a$)+$", "a", true },
    { "(a$){2}", "a", false },
    { "^a.{1,1000}$", "abbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb", true },
    { "^(?:a{3}){2}$", "aaaaaa", true },
    { "^a{1001}$", "a", false },
    { "^[^]$", "\xf0\x9f\x98\x80", true },
    { "^\\w+$", "caf\xc3\xa9", false },
    { "\\bcaf\\b", "caf\xc3\xa9", true },
};

START_TEST(patterns_follow_ecma262_semantics)
{
    ck_assert_msg(pattern_matches(regex_cases[_i].pattern, regex_cases[_i].subject) ==
                      regex_cases[_i].match,
                  "pattern /%s/ on \"%s\" should %smatch", regex_cases[_i].pattern,
                  regex_cases[_i].subject, regex_cases[_i].match ? "" : "not ");
}
END_TEST

static const struct {
    const char *pattern, *why;
} regex_rejects[] = {
    /* What ECMA-262 refuses, PCRE2 would accept: refused by the rewrite. */
    { "(?i)a", "unsupported group syntax" },
    { "(?>a)", "unsupported group syntax" },
    { "(?|a)", "unsupported group syntax" },
    { "a**", "nothing to repeat" },
    { "a*+", "nothing to repeat" },
    { "a{2}+", "nothing to repeat" },
    { "(*UCP)a", "nothing to repeat" },
    { "\\q", "unknown escape" },
    { "\\e", "unknown escape" },
    { "\\Qa\\E", "unknown escape" },
    { "\\K", "unknown escape" },
    { "\\-", "unknown escape" },
    { "[\\B]", "\\B is not allowed in a character class" },
    { "a\\", "pattern ends with a backslash" },
    { "\\01", "octal escapes are not supported" },
    { "\\xZZ", "invalid \\x escape (expected two hex digits)" },
    { "\\u{110000}", "invalid \\u{...} escape" },
    { "\\uD800", "a lone surrogate cannot be matched in UTF-8 text" },
    { "\\p{Foo=Bar}", "unknown Unicode property in \\p{...}" },
    { "[a", "unterminated character class" },
    /* Left to PCRE2, in its words. */
    { "*a", "quantifier does not follow a repeatable item" },
    { "^*", "quantifier does not follow a repeatable item" },
    { "a{3,2}", "numbers out of order in {} quantifier" },
    { "(a", "missing closing parenthesis" },
    { "a)", "unmatched closing parenthesis" },
    { "[z-a]", "range out of order in character class" },
    { "[\\d-z]", "invalid range in character class" },
    { "(?<=a+)b", "lookbehind assertion is not fixed length" },
    { "(a)\\2", "reference to non-existent subpattern" },
    { "\\k<n>", "reference to non-existent subpattern" },
    { "\\p{Bogus}", "unknown property after \\P or \\p" },
    { "\xc3(", "UTF-8 error: byte 2 top bits not 0x80" },
};

START_TEST(patterns_that_cannot_be_translated_are_refused)
{
    const char *p = regex_rejects[_i].pattern;
    pcfmcp__regex *re = NULL;
    char why[200] = "";
    size_t at = 0;
    ck_assert_int_eq(pcfmcp__regex_compile(p, strlen(p), &re, why, sizeof(why), &at),
                     PCFMCP_ERR_INVALID_ARG);
    ck_assert_ptr_null(re);
    ck_assert_str_eq(why, regex_rejects[_i].why);
}
END_TEST

/* The rewrite closes the gaps between ECMA-262 and PCRE2's dialect. */
START_TEST(regex_rewrite_closes_the_dialect_gaps)
{
    static const struct {
        const char *ecma, *pcre2;
    } cases[] = {
        { "^a.b$", "^a[^\\n\\r\\u{2028}\\u{2029}]b$" },
        { "\\v", "\\x0b" },
        { "\\0", "\\x00" },
        { "\\cJ", "\\x0a" },
        { "\\uD83D\\uDE00", "\\u{1f600}" },
        { "\\u00e9\\u{1F600}", "\\u{e9}\\u{1f600}" },
        { "\\p{Letter}\\P{gc=Lu}\\p{General_Category=Decimal_Number}",
          "\\p{L}\\P{Lu}\\p{Nd}" },
        { "\\p{Script=Greek}\\p{scx=Latn}", "\\p{sc=Greek}\\p{scx=Latn}" },
        { "x{a{,3}{2}", "x\\{a\\{,3}{2}" },
        { "[[:a]", "[\\[:a]" },
        { "\\d\\w\\b[\\D]", "\\d\\w\\b[\\D]" },
        { "(?<y>\\d)\\k<y>(a)\\1", "(?<y>\\d)\\k<y>(a)\\1" },
        { "a*?b+?", "a*?b+?" },
    };
    for (size_t i = 0; i < PCFMCP_ARRAY_LEN(cases); i++) {
        pcfmcp__buf out;
        pcfmcp__buf_init(&out);
        const char *why = NULL;
        size_t at;
        ck_assert_int_eq(pcfmcp__regex_translate(cases[i].ecma, strlen(cases[i].ecma), &out, &why,
                                                 &at),
                         PCFMCP_OK);
        ck_assert_str_eq(out.data, cases[i].pcre2);
        pcfmcp__buf_free(&out);
    }
    /* \s and \S are ECMA-262's white space, outside a class and inside. */
    ck_assert(pattern_matches("^\\s+$", "\xef\xbb\xbf\xe3\x80\x80\xe2\x80\xaf"));
    ck_assert(!pattern_matches("^[\\S]+$", "a\xe2\x80\xa8"));
    ck_assert(pattern_matches("^[\\S]+$", "a\xe2\x80\xa7\xf0\x9f\x98\x80"));
}
END_TEST

/* A pattern that backtracks without end gives up at the match limit and
 * says so, instead of holding the request. */
START_TEST(patterns_stop_at_the_match_limit)
{
    char *p = problems("{'pattern':'^(a+)+$'}", "'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab'");
    ck_assert_str_eq(p, "/: could not be checked against pattern \"^(a+)+$\": the pattern needs "
                        "too much backtracking on this value (simplify it, or bound the value's "
                        "length)\n");
    free(p);
    p = problems("{'patternProperties':{'^(a|a)+$':{}}}",
                 "{'aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaab':1}");
    ck_assert_ptr_nonnull(strstr(p, "/aaaa"));
    ck_assert_ptr_nonnull(strstr(p, ": property name could not be checked against pattern"));
    free(p);
    /* The same pattern on a value it decides quickly. */
    VALID("{'pattern':'^(a+)+$'}", "'aaaa'");
}
END_TEST

int main(void)
{
    pcfmcp_global_init();
    Suite *s = suite_create("schema");
    struct {
        const char *name;
        const TTest *tests[16];
    } groups[] = {
        { "types",
          { type_accepts_each_json_type, type_integer_means_no_fractional_part,
            type_list_names_every_alternative, type_mismatch_hides_other_keywords_of_that_schema,
            boolean_schemas_accept_or_reject_everything } },
        { "objects",
          { properties_report_the_path_of_a_nested_problem, required_reports_each_missing_property,
            additional_properties_false_lists_the_allowed_names,
            additional_properties_schema_checks_the_other_members,
            pattern_properties_check_matching_names_and_are_not_additional,
            property_names_are_checked_as_strings, min_and_max_properties_count_members,
            dependent_required_and_dependent_schemas_apply_when_present } },
        { "arrays",
          { items_apply_to_every_element, prefix_items_then_items_and_items_false_limits_length,
            min_and_max_items_count_elements, unique_items_compares_json_values,
            unique_items_finds_duplicates_in_long_arrays, contains_counts_matching_items } },
        { "scalars",
          { number_bounds_report_limit_and_value, multiple_of_tolerates_binary_rounding,
            string_length_counts_code_points, pattern_reports_the_source_pattern,
            long_values_are_cut_when_echoed, format_messages_name_the_format,
            enum_lists_the_allowed_values, enum_message_lists_at_most_twenty_values,
            const_requires_an_equal_value } },
        { "composition",
          { all_of_applies_every_schema, any_of_merges_type_only_failures,
            any_of_shows_the_closest_alternative, one_of_requires_exactly_one_match,
            not_rejects_matching_values, if_then_else_picks_a_branch } },
        { "refs",
          { ref_resolves_defs_and_definitions, ref_applies_next_to_sibling_keywords,
            ref_to_the_root_describes_recursive_data, ref_follows_json_pointers_with_escapes,
            ref_accepts_the_root_id_as_base } },
        { "compile",
          { compile_rejects_wrong_keyword_types, compile_rejects_keywords_it_cannot_honour,
            compile_ignores_annotations_and_unknown_keywords,
            compile_rejects_patterns_it_cannot_translate,
            compile_rejects_remote_anchor_and_dangling_refs,
            compile_rejects_ref_cycles_that_consume_no_input,
            compile_bounds_depth_fanout_chains_and_size } },
        { "messages",
          { problem_list_is_capped, paths_escape_pointer_syntax_and_control_characters,
            deep_paths_are_shortened_in_the_middle, validate_rejects_a_missing_instance } },
        { "limits",
          { deep_instances_are_refused_without_recursing_into_them,
            recursion_is_bounded_with_long_ref_chains, exponential_schemas_hit_the_work_limit,
            patterns_scan_long_strings_in_linear_time,
            large_valid_inputs_stay_within_the_work_limit,
            one_compiled_schema_serves_concurrent_validations,
            compile_fails_cleanly_when_memory_runs_out,
            validate_fails_cleanly_when_memory_runs_out } },
        { "regex", { regex_rewrite_closes_the_dialect_gaps, patterns_stop_at_the_match_limit } },
    };
    for (size_t g = 0; g < PCFMCP_ARRAY_LEN(groups); g++) {
        TCase *tc = tcase_create(groups[g].name);
        for (size_t i = 0; i < PCFMCP_ARRAY_LEN(groups[g].tests) && groups[g].tests[i]; i++)
            tcase_add_test(tc, groups[g].tests[i]);
        suite_add_tcase(s, tc);
    }
    TCase *tables = tcase_create("tables");
    tcase_add_loop_test(tables, formats_assert_their_syntax, 0,
                        (int)PCFMCP_ARRAY_LEN(format_cases));
    tcase_add_loop_test(tables, patterns_follow_ecma262_semantics, 0,
                        (int)PCFMCP_ARRAY_LEN(regex_cases));
    tcase_add_loop_test(tables, patterns_that_cannot_be_translated_are_refused, 0,
                        (int)PCFMCP_ARRAY_LEN(regex_rejects));
    suite_add_tcase(s, tables);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_ENV);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    pcfmcp_global_cleanup();
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
