/* The logger's redaction through the public API: credentials in
 * Authorization headers never reach a line, whichever way they are
 * written, while the scheme and the rest of the line survive. */
#include <check.h>
#include <stdlib.h>
#include <string.h>

#include <pcfmcp/pcfmcp.h>

static pcfmcp_logger_t *lg;
static char lines[16][2048];
static size_t nlines;

static void sink(pcfmcp_log_level_t level, const char *line, size_t len, void *ud)
{
    (void)level;
    (void)ud;
    ck_assert_uint_lt(nlines, 16);
    ck_assert_uint_lt(len, sizeof(lines[0]));
    memcpy(lines[nlines], line, len);
    lines[nlines][len] = '\0';
    nlines++;
}

static void setup(void)
{
    nlines = 0;
    ck_assert_int_eq(pcfmcp_logger_new(&lg), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_logger_set_level(lg, PCFMCP_LOG_DEBUG), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_logger_set_sink(lg, sink, NULL), PCFMCP_OK);
}

static void teardown(void)
{
    pcfmcp_logger_unref(lg);
}

/* Logs `message` (and `fields`) in `format` and returns the one line. */
static const char *log_one(pcfmcp_log_format_t format, const char *message, const char *fields)
{
    nlines = 0;
    ck_assert_int_eq(pcfmcp_logger_set_format(lg, format), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_logger_log(lg, PCFMCP_LOG_INFO, "pcf", message, fields), PCFMCP_OK);
    ck_assert_uint_eq(nlines, 1);
    return lines[0];
}

START_TEST(authorization_header_in_a_message_is_redacted)
{
    static const pcfmcp_log_format_t formats[] = { PCFMCP_LOG_FORMAT_JSON, PCFMCP_LOG_FORMAT_TEXT };
    for (size_t f = 0; f < 2; f++) {
        const char *line = log_one(formats[f], "sending Authorization: Bearer xyz to PCF", NULL);
        ck_assert_msg(strstr(line, "xyz") == NULL, "credential leaked: %s", line);
        ck_assert_msg(strstr(line, "Authorization: Bearer [REDACTED]") != NULL,
                      "scheme or marker missing: %s", line);
        /* Only the credential goes: the words after it stay readable. */
        ck_assert_msg(strstr(line, "sending Authorization") != NULL, "%s", line);
    }
}
END_TEST

START_TEST(authorization_in_any_spelling_and_place_is_redacted)
{
    static const struct {
        const char *message, *fields, *keep;
    } cases[] = {
        { "authorization: bearer xyz", NULL, "bearer [REDACTED]" },
        { "AUTHORIZATION:Bearer xyz", NULL, "[REDACTED]" },
        { "Proxy-Authorization: Basic xyz", NULL, "Basic [REDACTED]" },
        { "headers", "{\"Authorization\":\"Bearer xyz\"}", "Bearer [REDACTED]" },
        { "headers", "{\"request\":\"GET /x\\nAuthorization: Bearer xyz\\n\"}", "Bearer [REDACTED]" },
        { "{\"Authorization\":\"Bearer xyz\",\"Accept\":\"*/*\"}", NULL, "*/*" },
    };
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        const char *line = log_one(PCFMCP_LOG_FORMAT_JSON, cases[i].message, cases[i].fields);
        ck_assert_msg(strstr(line, "xyz") == NULL, "case %zu leaked: %s", i, line);
        ck_assert_msg(strstr(line, cases[i].keep) != NULL, "case %zu lacks %s: %s", i,
                      cases[i].keep, line);
    }
}
END_TEST

START_TEST(redact_applies_the_same_rule)
{
    char *out = NULL;
    ck_assert_int_eq(pcfmcp_logger_redact(lg, "Authorization: Bearer xyz", &out), PCFMCP_OK);
    ck_assert_str_eq(out, "Authorization: Bearer [REDACTED]");
    pcfmcp_free(out);
    /* A line without credentials is left alone. */
    ck_assert_int_eq(pcfmcp_logger_redact(lg, "Accept: xyz", &out), PCFMCP_OK);
    ck_assert_str_eq(out, "Accept: xyz");
    pcfmcp_free(out);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("log");
    TCase *t = tcase_create("redaction");
    tcase_add_checked_fixture(t, setup, teardown);
    tcase_add_test(t, authorization_header_in_a_message_is_redacted);
    tcase_add_test(t, authorization_in_any_spelling_and_place_is_redacted);
    tcase_add_test(t, redact_applies_the_same_rule);
    suite_add_tcase(s, t);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
