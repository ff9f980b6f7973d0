/* The portable fallbacks behind configure's checks: the transports' wake-up
 * pipe is close-on-exec and non-blocking at both ends whichever way it was
 * made (pipe2, or pipe+fcntl in --enable-portable builds, which CI runs). */
#include "core/internal.h"

#include <check.h>
#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>

#include "core/util.h"

START_TEST(wake_pipe_is_cloexec_and_nonblocking)
{
    int fds[2] = { -1, -1 };
    ck_assert_int_eq(pcfmcp__pipe_cloexec_nonblock(fds), 0);
    for (int i = 0; i < 2; i++) {
        ck_assert_int_ge(fds[i], 0);
        ck_assert(fcntl(fds[i], F_GETFD) & FD_CLOEXEC);
        ck_assert(fcntl(fds[i], F_GETFL) & O_NONBLOCK);
    }
    /* Non-blocking: reading an empty pipe returns at once. */
    char c;
    ck_assert_int_eq(read(fds[0], &c, 1), -1);
    ck_assert_int_eq(write(fds[1], "x", 1), 1);
    ck_assert_int_eq(read(fds[0], &c, 1), 1);
    close(fds[0]);
    close(fds[1]);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sys");
    TCase *tc = tcase_create("sys");
    tcase_add_test(tc, wake_pipe_is_cloexec_and_nonblocking);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
