/* The typed configuration accessors generated from the key table
 * (scripts/gen-config-typed.sh): their indices follow the table, and each
 * returns what the configuration object holds for its key. */
#include "core/internal.h"

#include <check.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <pcfmcp/config.h>

#include "core/config_keys.h"
#include "core/config_typed.h"

static const char *const names[] = { PCFMCP__CFG_NAMES };

START_TEST(indices_follow_the_key_table)
{
    ck_assert_uint_eq(PCFMCP__CFG_COUNT, pcfmcp__config_key_total);
    ck_assert_uint_eq(PCFMCP_ARRAY_LEN(names), pcfmcp__config_key_total);
    for (size_t i = 0; i < pcfmcp__config_key_total; i++)
        ck_assert_str_eq(names[i], pcfmcp__config_keys[i].key);
}
END_TEST

START_TEST(every_key_reads_what_the_object_holds)
{
    pcfmcp_config_t *c = NULL;
    ck_assert_int_eq(pcfmcp_config_new(&c), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_config_set(c, "server.port", "1234", PCFMCP_CONFIG_FLAG), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_config_set(c, "server.host", "0.0.0.0", PCFMCP_CONFIG_FLAG),
                     PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_config_set(c, "server.stateless", "yes", PCFMCP_CONFIG_FLAG),
                     PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_config_set(c, "rate_limit.requests_per_second", "2.5",
                                       PCFMCP_CONFIG_FLAG),
                     PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_config_set(c, "server.connection_timeout", "2m", PCFMCP_CONFIG_FLAG),
                     PCFMCP_OK);
    /* Named accessors, one per type. */
    ck_assert_int_eq(pcfmcp__cfg_server_port(c), 1234);
    ck_assert_str_eq(pcfmcp__cfg_server_host(c), "0.0.0.0");
    ck_assert(pcfmcp__cfg_server_stateless(c));
    ck_assert(fabs(pcfmcp__cfg_rate_limit_requests_per_second(c) - 2.5) < 1e-12);
    ck_assert_int_eq(pcfmcp__cfg_server_connection_timeout(c), 120000);
    ck_assert_str_eq(pcfmcp__cfg_server_path(c), "/mcp"); /* a default */
    /* Every key, against the string-keyed public API. */
    for (size_t i = 0; i < pcfmcp__config_key_total; i++) {
        const pcfmcp__key_def *d = &pcfmcp__config_keys[i];
        ck_assert_str_eq(pcfmcp__config_str_at(c, i), pcfmcp_config_get(c, d->key));
        switch (d->type) {
        case PCFMCP_CONFIG_INT:
        case PCFMCP_CONFIG_DURATION:
            ck_assert_int_eq(pcfmcp__config_int_at(c, i), pcfmcp_config_get_int(c, d->key));
            break;
        case PCFMCP_CONFIG_BOOL:
            ck_assert_int_eq(pcfmcp__config_bool_at(c, i), pcfmcp_config_get_bool(c, d->key));
            break;
        case PCFMCP_CONFIG_DOUBLE:
            ck_assert(pcfmcp__config_double_at(c, i) == pcfmcp_config_get_double(c, d->key));
            break;
        default: break;
        }
    }
    pcfmcp_config_free(c);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("config-typed");
    TCase *tc = tcase_create("accessors");
    tcase_add_test(tc, indices_follow_the_key_table);
    tcase_add_test(tc, every_key_reads_what_the_object_holds);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
