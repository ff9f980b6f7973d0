/* The cache through its public API with a fake clock: hits, misses, TTL,
 * LRU bounds, tag invalidation, reconfiguration. */
#include <check.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <pcfmcp/pcfmcp.h>
#include <pcfmcp/sys/cache.h>

static uint64_t now_ns;
static pcfmcp_cache_t *c;

static uint64_t clk(void *ud)
{
    (void)ud;
    return now_ns;
}

static void setup(void)
{
    now_ns = 5000000000ULL;
    ck_assert_int_eq(pcfmcp_cache_new(&c, 4, 100000, 1000), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_cache_set_clock(c, clk, NULL), PCFMCP_OK);
}

static void teardown(void)
{
    pcfmcp_cache_free(c);
    c = NULL;
}

static int has(const char *key, const char *expect)
{
    char *v = NULL;
    size_t n = 0;
    pcfmcp_error_t rc = pcfmcp_cache_get(c, key, &v, &n);
    if (rc != PCFMCP_OK)
        return 0;
    if (expect)
        ck_assert_str_eq(v, expect);
    ck_assert_uint_eq(n, strlen(v));
    pcfmcp_free(v);
    return 1;
}

static void put(const char *key, const char *tag, const char *v)
{
    ck_assert_int_eq(pcfmcp_cache_put(c, key, tag, v, strlen(v)), PCFMCP_OK);
}

START_TEST(cache_hits_until_the_ttl_passes)
{
    uint64_t hits, misses;
    ck_assert(!has("k", NULL));
    put("k", NULL, "v1");
    ck_assert(has("k", "v1"));
    now_ns += 999000000ULL;
    ck_assert(has("k", "v1"));
    now_ns += 1000000ULL;
    ck_assert(!has("k", NULL));
    pcfmcp_cache_stats(c, &hits, &misses, NULL, NULL);
    ck_assert_uint_eq(hits, 2);
    ck_assert_uint_eq(misses, 2);
}
END_TEST

START_TEST(put_replaces_and_restarts_the_ttl)
{
    put("k", NULL, "old");
    now_ns += 900000000ULL;
    put("k", NULL, "new");
    now_ns += 900000000ULL;
    ck_assert(has("k", "new"));
    size_t entries = 0;
    pcfmcp_cache_stats(c, NULL, NULL, &entries, NULL);
    ck_assert_uint_eq(entries, 1);
}
END_TEST

START_TEST(least_recently_used_entry_goes_first)
{
    put("a", NULL, "1");
    put("b", NULL, "2");
    put("c", NULL, "3");
    put("d", NULL, "4");
    ck_assert(has("a", "1")); /* a is now the most recent */
    put("e", NULL, "5");      /* evicts b */
    ck_assert(!has("b", NULL));
    ck_assert(has("a", NULL));
    ck_assert(has("c", NULL));
    ck_assert(has("e", NULL));
}
END_TEST

START_TEST(byte_budget_is_enforced)
{
    pcfmcp_cache_free(c);
    ck_assert_int_eq(pcfmcp_cache_new(&c, 1000, 1000, 1000), PCFMCP_OK);
    char big[2000];
    memset(big, 'x', sizeof(big));
    ck_assert_int_eq(pcfmcp_cache_put(c, "big", NULL, big, sizeof(big)), PCFMCP_ERR_LIMIT);
    for (int i = 0; i < 20; i++) {
        char k[16];
        snprintf(k, sizeof(k), "k%d", i);
        ck_assert_int_eq(pcfmcp_cache_put(c, k, NULL, big, 300), PCFMCP_OK);
        size_t bytes = 0;
        pcfmcp_cache_stats(c, NULL, NULL, NULL, &bytes);
        ck_assert_uint_le(bytes, 1000);
    }
    ck_assert(has("k19", NULL));
    ck_assert(!has("k0", NULL));
}
END_TEST

START_TEST(invalidation_by_tag_untagged_and_all)
{
    put("p1-hosts", "p1", "h");
    put("p1-issues", "p1", "i");
    put("p2-hosts", "p2", "h");
    put("projects", NULL, "list");
    ck_assert_uint_eq(pcfmcp_cache_invalidate(c, "p1"), 2);
    ck_assert(!has("p1-hosts", NULL));
    ck_assert(has("p2-hosts", NULL));
    ck_assert(has("projects", NULL));
    ck_assert_uint_eq(pcfmcp_cache_invalidate(c, ""), 1);
    ck_assert(!has("projects", NULL));
    ck_assert(has("p2-hosts", NULL));
    put("projects", "", "list");
    ck_assert_uint_eq(pcfmcp_cache_invalidate(c, NULL), 2);
    ck_assert(!has("p2-hosts", NULL));
    ck_assert_uint_eq(pcfmcp_cache_invalidate(NULL, NULL), 0);
}
END_TEST

START_TEST(disabled_cache_stores_nothing_and_counts_nothing)
{
    put("k", NULL, "v");
    ck_assert_int_eq(pcfmcp_cache_set_enabled(c, 0), PCFMCP_OK);
    ck_assert_int_eq(pcfmcp_cache_enabled(c), 0);
    ck_assert(!has("k", NULL));
    put("k2", NULL, "v");
    ck_assert_int_eq(pcfmcp_cache_set_enabled(c, 1), PCFMCP_OK);
    ck_assert(!has("k", NULL));
    ck_assert(!has("k2", NULL));
    uint64_t hits, misses;
    pcfmcp_cache_stats(c, &hits, &misses, NULL, NULL);
    ck_assert_uint_eq(hits, 0);
    ck_assert_uint_eq(misses, 2);
}
END_TEST

START_TEST(reconfigure_shrinks_and_changes_ttl)
{
    put("a", NULL, "1");
    put("b", NULL, "2");
    put("c", NULL, "3");
    ck_assert_int_eq(pcfmcp_cache_configure(c, 1, 100000, 5000), PCFMCP_OK);
    size_t entries = 0;
    pcfmcp_cache_stats(c, NULL, NULL, &entries, NULL);
    ck_assert_uint_eq(entries, 1);
    ck_assert(has("c", NULL));
    put("d", NULL, "4");
    now_ns += 4000000000ULL;
    ck_assert(has("d", NULL));
    ck_assert_int_eq(pcfmcp_cache_configure(c, 0, 1, 1), PCFMCP_ERR_INVALID_ARG);
    ck_assert_int_eq(pcfmcp_cache_new(NULL, 1, 1, 1), PCFMCP_ERR_INVALID_ARG);
}
END_TEST

START_TEST(binary_values_round_trip)
{
    const char bin[] = { 'a', 0, 'b', 0 };
    ck_assert_int_eq(pcfmcp_cache_put(c, "bin", NULL, bin, sizeof(bin)), PCFMCP_OK);
    char *v = NULL;
    size_t n = 0;
    ck_assert_int_eq(pcfmcp_cache_get(c, "bin", &v, &n), PCFMCP_OK);
    ck_assert_uint_eq(n, sizeof(bin));
    ck_assert(memcmp(v, bin, n) == 0);
    pcfmcp_free(v);
}
END_TEST

static void *churn(void *p)
{
    long id = (long)p;
    for (int i = 0; i < 2000; i++) {
        char k[32];
        snprintf(k, sizeof(k), "k%ld-%d", id, i % 10);
        pcfmcp_cache_put(c, k, i % 2 ? "t" : NULL, k, strlen(k));
        char *v = NULL;
        if (pcfmcp_cache_get(c, k, &v, NULL) == PCFMCP_OK) {
            ck_assert_str_eq(v, k);
            pcfmcp_free(v);
        }
        if (i % 100 == 0)
            pcfmcp_cache_invalidate(c, "t");
    }
    return NULL;
}

START_TEST(concurrent_use_keeps_the_bounds)
{
    pthread_t th[6];
    for (long i = 0; i < 6; i++)
        pthread_create(&th[i], NULL, churn, (void *)i);
    for (int i = 0; i < 6; i++)
        pthread_join(th[i], NULL);
    size_t entries = 0;
    pcfmcp_cache_stats(c, NULL, NULL, &entries, NULL);
    ck_assert_uint_le(entries, 4);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("cache");
    TCase *tc = tcase_create("cache");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, cache_hits_until_the_ttl_passes);
    tcase_add_test(tc, put_replaces_and_restarts_the_ttl);
    tcase_add_test(tc, least_recently_used_entry_goes_first);
    tcase_add_test(tc, byte_budget_is_enforced);
    tcase_add_test(tc, invalidation_by_tag_untagged_and_all);
    tcase_add_test(tc, disabled_cache_stores_nothing_and_counts_nothing);
    tcase_add_test(tc, reconfigure_shrinks_and_changes_ttl);
    tcase_add_test(tc, binary_values_round_trip);
    tcase_add_test(tc, concurrent_use_keeps_the_bounds);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
