/* Unit tests for modules/procedures/kpi_cache.c: fresh hits, one refresh of an old entry while the others get the
 * old body, expiry at twice the TTL, a refresh that never came back, eviction, the TTL 0 switch, one cache per thread. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "modules/procedures/kpi_cache.h"

#define TTL 1000

static void hit_then_one_refresh_then_expiry(void **state)
{
    (void)state;
    size_t len = 0;
    assert_null(kpi_cache_get("units|2026-W47", 10000, TTL, &len));
    kpi_cache_put("units|2026-W47", "{\"a\":1}", 7, 10000);
    const char *body = kpi_cache_get("units|2026-W47", 10999, TTL, &len);
    assert_non_null(body);
    assert_int_equal(len, 7);
    assert_memory_equal(body, "{\"a\":1}", 7);
    assert_null(kpi_cache_get("units|2026-W48", 10001, TTL, &len)); /* another key */

    /* past the TTL: the first request refreshes, the next ones get the old body meanwhile */
    assert_null(kpi_cache_get("units|2026-W47", 11000, TTL, &len));
    assert_non_null(kpi_cache_get("units|2026-W47", 11001, TTL, &len));
    assert_non_null(kpi_cache_get("units|2026-W47", 11999, TTL, &len));
    kpi_cache_put("units|2026-W47", "{\"a\":2}", 7, 11500);
    body = kpi_cache_get("units|2026-W47", 12000, TTL, &len);
    assert_memory_equal(body, "{\"a\":2}", 7);

    /* never older than twice the TTL, refresh or not */
    assert_null(kpi_cache_get("units|2026-W47", 12600, TTL, &len));
    assert_null(kpi_cache_get("units|2026-W47", 13500, TTL, &len));
}

/* The request that went to refresh may never come back (its client left): the old body is served until it is twice
 * the TTL old, then the next request refreshes. */
static void a_lost_refresh_ends_at_twice_the_ttl(void **state)
{
    (void)state;
    size_t len;
    kpi_cache_put("late|2026-W47", "[]", 2, 50000);
    assert_null(kpi_cache_get("late|2026-W47", 51000, TTL, &len)); /* the refresh goes out, and is lost */
    assert_non_null(kpi_cache_get("late|2026-W47", 51500, TTL, &len));
    assert_non_null(kpi_cache_get("late|2026-W47", 51999, TTL, &len));
    assert_null(kpi_cache_get("late|2026-W47", 52000, TTL, &len));
    assert_null(kpi_cache_get("late|2026-W47", 52001, TTL, &len)); /* too old to serve: a miss until a new body */
}

static void ttl_zero_caches_nothing(void **state)
{
    (void)state;
    size_t len;
    kpi_cache_put("trend|2026-W47|12", "{}", 2, 1000);
    assert_null(kpi_cache_get("trend|2026-W47|12", 1000, 0, &len));
    assert_non_null(kpi_cache_get("trend|2026-W47|12", 1000, TTL, &len));
}

static void the_oldest_entry_makes_room(void **state)
{
    (void)state;
    char key[32];
    size_t len;
    for (int i = 0; i <= KPI_CACHE_ENTRIES; i++) {
        snprintf(key, sizeof key, "evict|%d", i);
        kpi_cache_put(key, "x", 1, 100000 + i);
    }
    assert_null(kpi_cache_get("evict|0", 100500, TTL, &len));
    for (int i = 1; i <= KPI_CACHE_ENTRIES; i++) {
        snprintf(key, sizeof key, "evict|%d", i);
        assert_non_null(kpi_cache_get(key, 100500, TTL, &len));
    }
    char long_key[KPI_CACHE_KEY_BYTES + 8];
    memset(long_key, 'k', sizeof long_key - 1);
    long_key[sizeof long_key - 1] = '\0';
    kpi_cache_put(long_key, "x", 1, 100000);
    assert_null(kpi_cache_get(long_key, 100001, TTL, &len));
}

static void *look_from_another_thread(void *arg)
{
    size_t len;
    *(const char **)arg = kpi_cache_get("units|2026-W47", 200001, TTL, &len);
    return NULL;
}

static void each_thread_has_its_own(void **state)
{
    (void)state;
    size_t len;
    kpi_cache_put("units|2026-W47", "{}", 2, 200000);
    assert_non_null(kpi_cache_get("units|2026-W47", 200001, TTL, &len));
    const char *seen = "not run";
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, look_from_another_thread, &seen), 0);
    pthread_join(t, NULL);
    assert_null(seen);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hit_then_one_refresh_then_expiry),
        cmocka_unit_test(a_lost_refresh_ends_at_twice_the_ttl),
        cmocka_unit_test(ttl_zero_caches_nothing),
        cmocka_unit_test(the_oldest_entry_makes_room),
        cmocka_unit_test(each_thread_has_its_own),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
