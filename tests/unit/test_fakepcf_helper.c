/* The fake PCF launcher used by the Check tests: start, control, stop. */
#include <config.h>

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "helpers/fakepcf.h"

static int can_connect(int port)
{
    struct sockaddr_in sa;
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
    int ok;

    ck_assert_int_ge(fd, 0);
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((unsigned short)port);
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ok = connect(fd, (struct sockaddr *)&sa, sizeof sa) == 0;
    close(fd);
    return ok;
}

START_TEST(fakepcf_helper_starts_controls_and_stops)
{
    const char *const args[] = {"--seed", "empty", NULL};
    fakepcf_t *f = NULL;
    char expect[64], *resp = NULL;
    int port;

    ck_assert_int_eq(fakepcf_start(&f, args), 0);
    port = fakepcf_port(f);
    ck_assert_int_gt(port, 0);
    snprintf(expect, sizeof expect, "http://127.0.0.1:%d", port);
    ck_assert_str_eq(fakepcf_url(f), expect);

    ck_assert_int_eq(fakepcf_control(f, "/__fake__/faults",
                                     "{\"mode\": \"status\", \"status\": 503, \"count\": 1, "
                                     "\"path\": \"^/api/v1/create_token$\"}",
                                     &resp),
                     200);
    ck_assert_ptr_nonnull(strstr(resp, "\"mode\": \"status\""));
    free(resp);

    /* The fault answers the next matching PCF request, then expires. */
    ck_assert_int_eq(fakepcf_control(f, "/api/v1/create_token",
                                     "{\"email\": \"pcf-tester@example.com\", "
                                     "\"password\": \"pcf-tester-pass\"}",
                                     NULL),
                     503);
    ck_assert_int_eq(fakepcf_control(f, "/api/v1/create_token",
                                     "{\"email\": \"pcf-tester@example.com\", "
                                     "\"password\": \"pcf-tester-pass\"}",
                                     &resp),
                     200);
    ck_assert_ptr_nonnull(strstr(resp, "\"access_token\""));
    free(resp);

    ck_assert_int_eq(fakepcf_control(f, "/__fake__/stats", NULL, &resp), 200);
    ck_assert_ptr_nonnull(strstr(resp, "\"/api/v1/create_token\": 2"));
    ck_assert_ptr_nonnull(strstr(resp, "\"503\": 1"));
    free(resp);

    ck_assert(can_connect(port));
    fakepcf_stop(f);
    ck_assert(!can_connect(port));
}
END_TEST

START_TEST(fakepcf_helper_reports_a_fake_that_refuses_to_start)
{
    const char *const args[] = {"--host", "0.0.0.0", NULL};
    fakepcf_t *f = (fakepcf_t *)&f;

    ck_assert_int_eq(fakepcf_start(&f, args), -1);
    ck_assert_ptr_null(f);
}
END_TEST

START_TEST(fakepcf_helper_control_rejects_bad_paths)
{
    char *resp = (char *)"x";

    ck_assert_int_eq(fakepcf_control(NULL, "/__fake__/stats", NULL, &resp), -1);
    ck_assert_ptr_null(resp);
    ck_assert_ptr_null(fakepcf_url(NULL));
    ck_assert_int_eq(fakepcf_port(NULL), -1);
    fakepcf_stop(NULL);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("fakepcf_helper");
    TCase *tc = tcase_create("lifecycle");

    tcase_set_timeout(tc, 30);
    tcase_add_test(tc, fakepcf_helper_starts_controls_and_stops);
    tcase_add_test(tc, fakepcf_helper_reports_a_fake_that_refuses_to_start);
    tcase_add_test(tc, fakepcf_helper_control_rejects_bad_paths);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    int failed;

    srunner_run_all(sr, CK_NORMAL);
    failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
