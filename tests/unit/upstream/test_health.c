/*
 * tests/unit/upstream/test_health.c — gateway/upstream/health.c: active checks with thresholds, passive ejection with
 * doubling times and a cap on the share ejected, recovery that makes a target healthy again, and the shared state
 * under several threads.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>

#include "gateway/upstream/upstream.h"

static cong_upstream_target_config_t targets[4] = {{.host = "a", .port = 1, .weight = 1},
                                                   {.host = "b", .port = 1, .weight = 1},
                                                   {.host = "c", .port = 1, .weight = 1},
                                                   {.host = "d", .port = 1, .weight = 1}};

/* 4 targets, 3 failures in a row eject for 1000 ms (doubling), at most 50% ejected, checks 2 up / 3 down. */
static cong_upstream_health_t *health(size_t count, int max_percent)
{
    cong_upstream_config_t u = {.targets = targets, .target_count = count,
                                .health = {.healthy_threshold = 2, .unhealthy_threshold = 3},
                                .outlier = {.consecutive_failures = 3, .base_ejection_ms = 1000,
                                            .max_ejection_percent = max_percent}};
    cong_upstream_health_t *h = cong_upstream_health_new(&u);
    assert_non_null(h);
    return h;
}

static void fail_times(cong_upstream_health_t *h, size_t target, int n, uint64_t now)
{
    for (int i = 0; i < n; i++)
        cong_upstream_health_report(h, target, 0, now);
}

static void test_active_checks_use_thresholds(void **state)
{
    (void)state;
    cong_upstream_health_t *h = health(4, 50);
    unsigned char usable[4];
    assert_int_equal(cong_upstream_health_usable(h, 0, usable), 4); /* healthy from the start */
    cong_upstream_health_check_result(h, 1, 0, 10);
    cong_upstream_health_check_result(h, 1, 0, 20);
    assert_int_equal(cong_upstream_health_state(h, 1, 20), CONG_TARGET_HEALTHY); /* 2 < unhealthy_threshold */
    cong_upstream_health_check_result(h, 1, 1, 30); /* a pass breaks the row */
    cong_upstream_health_check_result(h, 1, 0, 40);
    cong_upstream_health_check_result(h, 1, 0, 50);
    assert_int_equal(cong_upstream_health_state(h, 1, 50), CONG_TARGET_HEALTHY);
    cong_upstream_health_check_result(h, 1, 0, 60);
    assert_int_equal(cong_upstream_health_state(h, 1, 60), CONG_TARGET_UNHEALTHY);
    assert_int_equal(cong_upstream_health_usable(h, 60, usable), 3);
    assert_int_equal(usable[1], 0);
    cong_upstream_health_check_result(h, 1, 1, 70);
    assert_int_equal(cong_upstream_health_state(h, 1, 70), CONG_TARGET_UNHEALTHY); /* 1 < healthy_threshold */
    cong_upstream_health_check_result(h, 1, 1, 80);
    assert_int_equal(cong_upstream_health_state(h, 1, 80), CONG_TARGET_HEALTHY);
    assert_int_equal(cong_upstream_health_usable(h, 80, usable), 4);
    cong_upstream_health_free(h);
}

static void test_passive_ejection_and_recovery(void **state)
{
    (void)state;
    cong_upstream_health_t *h = health(4, 50);
    fail_times(h, 0, 2, 100);
    cong_upstream_health_report(h, 0, 1, 100); /* a success resets the row */
    fail_times(h, 0, 2, 100);
    assert_int_equal(cong_upstream_health_state(h, 0, 100), CONG_TARGET_HEALTHY);
    cong_upstream_health_report(h, 0, 0, 100);
    assert_int_equal(cong_upstream_health_state(h, 0, 100), CONG_TARGET_EJECTED);
    assert_int_equal(cong_upstream_health_state(h, 0, 1099), CONG_TARGET_EJECTED);
    fail_times(h, 0, 5, 500); /* requests sent before the ejection still failing: not held against its return */
    /* Recovery: the ejection is over, the target is healthy and usable again, with a clean row. */
    assert_int_equal(cong_upstream_health_state(h, 0, 1100), CONG_TARGET_HEALTHY);
    unsigned char usable[4];
    assert_int_equal(cong_upstream_health_usable(h, 1100, usable), 4);
    cong_upstream_health_report(h, 0, 0, 1100);
    assert_int_equal(cong_upstream_health_state(h, 0, 1100), CONG_TARGET_HEALTHY); /* one failure is not three */
    /* Ejected again: twice as long (2000 ms), then four times (4000 ms). */
    fail_times(h, 0, 2, 1200);
    assert_int_equal(cong_upstream_health_state(h, 0, 1200), CONG_TARGET_EJECTED);
    assert_int_equal(cong_upstream_health_state(h, 0, 3199), CONG_TARGET_EJECTED);
    assert_int_equal(cong_upstream_health_state(h, 0, 3200), CONG_TARGET_HEALTHY);
    fail_times(h, 0, 3, 3200);
    assert_int_equal(cong_upstream_health_state(h, 0, 7199), CONG_TARGET_EJECTED);
    assert_int_equal(cong_upstream_health_state(h, 0, 7200), CONG_TARGET_HEALTHY);
    assert_int_equal(cong_upstream_health_ejections(h, 0), 3);
    /* Serving well for base_ejection_ms at a time takes the doubling back down, one step each. */
    cong_upstream_health_report(h, 0, 1, 8199);
    assert_int_equal(cong_upstream_health_ejections(h, 0), 3);
    cong_upstream_health_report(h, 0, 1, 8200);
    assert_int_equal(cong_upstream_health_ejections(h, 0), 2);
    cong_upstream_health_report(h, 0, 1, 9200);
    assert_int_equal(cong_upstream_health_ejections(h, 0), 1);
    fail_times(h, 0, 3, 9300);
    assert_int_equal(cong_upstream_health_state(h, 0, 11299), CONG_TARGET_EJECTED); /* 2000 ms: step 1 */
    assert_int_equal(cong_upstream_health_state(h, 0, 11300), CONG_TARGET_HEALTHY);
    cong_upstream_health_free(h);
}

static void test_ejection_time_is_capped(void **state)
{
    (void)state;
    cong_upstream_health_t *h = health(4, 50);
    uint64_t now = 0;
    for (int i = 0; i < 12; i++) { /* 1, 2, 4, ... s: capped at CONG_MAX_EJECTION_MS */
        fail_times(h, 0, 3, now);
        assert_int_equal(cong_upstream_health_state(h, 0, now), CONG_TARGET_EJECTED);
        uint64_t expected = 1000ULL << i < CONG_MAX_EJECTION_MS ? 1000ULL << i : CONG_MAX_EJECTION_MS;
        assert_int_equal(cong_upstream_health_state(h, 0, now + expected - 1), CONG_TARGET_EJECTED);
        now += expected;
        assert_int_equal(cong_upstream_health_state(h, 0, now), CONG_TARGET_HEALTHY);
    }
    cong_upstream_health_free(h);
}

static void test_share_of_ejected_targets_is_capped(void **state)
{
    (void)state;
    cong_upstream_health_t *h = health(4, 50);
    for (size_t t = 0; t < 4; t++)
        fail_times(h, t, 3, 100);
    unsigned char usable[4];
    assert_int_equal(cong_upstream_health_usable(h, 100, usable), 2); /* 50% of 4: two stay */
    assert_int_equal(usable[2] + usable[3], 2);
    /* When the first ejections end, the others may be ejected. */
    fail_times(h, 2, 3, 1100);
    assert_int_equal(cong_upstream_health_state(h, 2, 1100), CONG_TARGET_EJECTED);
    cong_upstream_health_free(h);

    h = health(1, 100); /* even at 100%: a lone target...*/
    fail_times(h, 0, 3, 100);
    assert_int_equal(cong_upstream_health_state(h, 0, 100), CONG_TARGET_EJECTED); /* ...is ejected when allowed */
    cong_upstream_health_free(h);
    h = health(1, 50); /* rounded down: 50% of one target is none */
    fail_times(h, 0, 30, 100);
    assert_int_equal(cong_upstream_health_state(h, 0, 100), CONG_TARGET_HEALTHY);
    cong_upstream_health_free(h);
}

static void test_active_pass_ends_an_ejection(void **state)
{
    (void)state;
    cong_upstream_health_t *h = health(4, 50);
    fail_times(h, 3, 3, 100);
    assert_int_equal(cong_upstream_health_state(h, 3, 200), CONG_TARGET_EJECTED);
    cong_upstream_health_check_result(h, 3, 1, 200);
    assert_int_equal(cong_upstream_health_state(h, 3, 200), CONG_TARGET_EJECTED);
    cong_upstream_health_check_result(h, 3, 1, 300);
    assert_int_equal(cong_upstream_health_state(h, 3, 300), CONG_TARGET_HEALTHY);
    cong_upstream_health_report(h, 3, 0, 300);
    assert_int_equal(cong_upstream_health_state(h, 3, 300), CONG_TARGET_HEALTHY);
    cong_upstream_health_free(h);
}

typedef struct reporter {
    cong_upstream_health_t *h;
    size_t target;
} reporter_t;

static void *report_failures(void *arg)
{
    reporter_t *r = arg;
    for (int i = 0; i < 100000; i++)
        cong_upstream_health_report(r->h, r->target, 0, 100);
    return NULL;
}

/* Workers report at once: the cap still holds (never more than half ejected), and each hammered target that the
 * cap allows is ejected. */
static void test_concurrent_reports_keep_the_cap(void **state)
{
    (void)state;
    cong_upstream_health_t *h = health(4, 50);
    pthread_t threads[4];
    reporter_t r[4];
    for (size_t t = 0; t < 4; t++) {
        r[t] = (reporter_t){h, t};
        assert_int_equal(pthread_create(&threads[t], NULL, report_failures, &r[t]), 0);
    }
    for (size_t t = 0; t < 4; t++)
        pthread_join(threads[t], NULL);
    unsigned char usable[4];
    assert_int_equal(cong_upstream_health_usable(h, 100, usable), 2);
    cong_upstream_health_free(h);
}

/* A reload carries a target's state to the new health by address: ejected stays ejected until the same time, with
 * its doubling step; unhealthy stays unhealthy; a target new to it starts healthy. */
static void test_reload_carries_a_target_over(void **state)
{
    (void)state;
    cong_upstream_health_t *old = health(4, 50);
    fail_times(old, 2, 3, 100); /* c ejected until 1100 */
    for (int i = 0; i < 3; i++)
        cong_upstream_health_check_result(old, 3, 0, 100 + (uint64_t)i); /* d unhealthy */
    cong_upstream_health_t *now = health(3, 50); /* the new order: a, b, c as targets 0..2 */
    cong_upstream_health_carry(now, 0, old, 2); /* c moved to index 0 */
    cong_upstream_health_carry(now, 1, old, 3); /* d to 1 */
    assert_int_equal(cong_upstream_health_state(now, 0, 500), CONG_TARGET_EJECTED);
    assert_int_equal(cong_upstream_health_ejections(now, 0), 1);
    assert_int_equal(cong_upstream_health_state(now, 0, 1100), CONG_TARGET_HEALTHY); /* the same end */
    assert_int_equal(cong_upstream_health_state(now, 1, 500), CONG_TARGET_UNHEALTHY);
    cong_upstream_health_check_result(now, 1, 1, 600);
    cong_upstream_health_check_result(now, 1, 1, 700); /* the new thresholds bring it back */
    assert_int_equal(cong_upstream_health_state(now, 1, 700), CONG_TARGET_HEALTHY);
    assert_int_equal(cong_upstream_health_state(now, 2, 500), CONG_TARGET_HEALTHY); /* new: fresh */
    cong_upstream_health_carry(now, 9, old, 0); /* out of range: nothing */
    cong_upstream_health_free(old);
    cong_upstream_health_free(now);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_active_checks_use_thresholds),
        cmocka_unit_test(test_passive_ejection_and_recovery),
        cmocka_unit_test(test_ejection_time_is_capped),
        cmocka_unit_test(test_share_of_ejected_targets_is_capped),
        cmocka_unit_test(test_active_pass_ends_an_ejection),
        cmocka_unit_test(test_concurrent_reports_keep_the_cap),
        cmocka_unit_test(test_reload_carries_a_target_over),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
