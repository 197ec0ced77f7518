/*
 * tests/unit/upstream/test_deadline.c — gateway/upstream/deadline.c: what is left of the total timeout, and the
 * header values that pass it on (milliseconds; gRPC's grpc-timeout).
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <string.h>

#include "gateway/upstream/upstream.h"

static void test_remaining(void **state)
{
    (void)state;
    int64_t left = -1;
    assert_int_equal(cong_upstream_deadline_remaining(1000, 30000, 1000, &left), 0);
    assert_int_equal(left, 30000);
    assert_int_equal(cong_upstream_deadline_remaining(1000, 30000, 30999, &left), 0);
    assert_int_equal(left, 1);
    assert_int_equal(cong_upstream_deadline_remaining(1000, 30000, 31000, &left), CONG_ETIMEDOUT);
    assert_int_equal(left, 0);
    assert_int_equal(cong_upstream_deadline_remaining(1000, 30000, 99999, &left), CONG_ETIMEDOUT);
    assert_int_equal(left, 0);
}

static void test_header_values(void **state)
{
    (void)state;
    char out[32];
    assert_int_equal(cong_upstream_deadline_header(29500, out, sizeof out), 5);
    assert_string_equal(out, "29500");
    assert_int_equal(cong_upstream_deadline_header(29500, out, 5), 0); /* no room for the NUL */
    static const struct { int64_t ms; const char *value; } cases[] = {
        {1, "1m"}, {0, "1m"}, {250, "250m"}, {99999999, "99999999m"}, {100000000, "100000S"},
        {100000999, "100000S"}, {99999999999LL, "99999999S"}, {100000000000LL, "1666666M"},
        {6000000000000LL, "1666666H"}, /* 100000000 minutes do not fit 8 digits: hours */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        size_t n = cong_upstream_grpc_timeout(cases[i].ms, out, sizeof out);
        assert_int_equal(n, strlen(cases[i].value));
        assert_string_equal(out, cases[i].value);
        assert_true(n <= 9); /* gRPC: at most 8 digits and a unit */
    }
    assert_int_equal(cong_upstream_grpc_timeout(250, out, 4), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_remaining),
        cmocka_unit_test(test_header_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
