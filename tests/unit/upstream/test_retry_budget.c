/*
 * tests/unit/upstream/test_retry_budget.c — gateway/upstream/retry_budget.c: idempotent methods only, retries within
 * budget_ratio of the requests under way, and the per-second floor.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include "gateway/upstream/upstream.h"

static void test_only_idempotent_methods(void **state)
{
    (void)state;
    static const char *const yes[] = {"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"};
    static const char *const no[] = {"POST", "PATCH", "CONNECT", "get", ""};
    for (size_t i = 0; i < sizeof yes / sizeof yes[0]; i++)
        assert_true(cong_method_is_idempotent(yes[i]));
    for (size_t i = 0; i < sizeof no / sizeof no[0]; i++)
        assert_false(cong_method_is_idempotent(no[i]));
    assert_false(cong_method_is_idempotent(NULL));
    cong_retry_budget_t *rb = cong_retry_budget_new(1000, 100); /* generous: still never a POST */
    assert_int_equal(cong_retry_budget_try(rb, "POST", 100, 0), 0);
    assert_int_equal(cong_retry_budget_try(rb, "PATCH", 100, 0), 0);
    assert_int_equal(cong_retry_budget_try(rb, "GET", 100, 0), 1);
    cong_retry_budget_free(rb);
}

static void test_ratio_of_active_requests(void **state)
{
    (void)state;
    cong_retry_budget_t *rb = cong_retry_budget_new(200, 0); /* 20%, no floor */
    assert_int_equal(cong_retry_budget_try(rb, "GET", 4, 0), 0); /* 0.8 of a retry: none */
    assert_int_equal(cong_retry_budget_try(rb, "GET", 10, 0), 1);
    assert_int_equal(cong_retry_budget_try(rb, "GET", 10, 0), 1);
    assert_int_equal(cong_retry_budget_try(rb, "GET", 10, 0), 0); /* 2 of 10 under way already */
    cong_retry_budget_done(rb);
    assert_int_equal(cong_retry_budget_try(rb, "PUT", 10, 0), 1); /* one ended: room for one */
    assert_int_equal(cong_retry_budget_try(rb, "GET", 20, 0), 1);
    cong_retry_budget_free(rb);
}

static void test_floor_per_second(void **state)
{
    (void)state;
    cong_retry_budget_t *rb = cong_retry_budget_new(200, 2);
    assert_int_equal(cong_retry_budget_try(rb, "GET", 0, 5000), 1); /* quiet upstream: the floor */
    assert_int_equal(cong_retry_budget_try(rb, "GET", 0, 5999), 1);
    assert_int_equal(cong_retry_budget_try(rb, "GET", 0, 5999), 0); /* 2 this second */
    assert_int_equal(cong_retry_budget_try(rb, "GET", 0, 6000), 1); /* a new second */
    assert_int_equal(cong_retry_budget_try(rb, "POST", 0, 7000), 0);
    cong_retry_budget_free(rb);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_only_idempotent_methods),
        cmocka_unit_test(test_ratio_of_active_requests),
        cmocka_unit_test(test_floor_per_second),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
