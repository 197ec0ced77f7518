/* modules/queue: the per-citizen limits (limits.c), the wait estimate (wait.c), and the codes and Redis keys a request
 * may name (number.c, view.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "modules/queue/queue.h"

static void limits(void **state)
{
    (void)state;
    /* iHanoi's: 2 a day, 1 per domain */
    assert_int_equal(queue_limit_check(0, 0, 2, 1), QUEUE_LIMIT_OK);
    assert_int_equal(queue_limit_check(1, 0, 2, 1), QUEUE_LIMIT_OK);     /* one in another domain */
    assert_int_equal(queue_limit_check(1, 1, 2, 1), QUEUE_LIMIT_DOMAIN); /* one in this domain */
    assert_int_equal(queue_limit_check(2, 0, 2, 1), QUEUE_LIMIT_DAY);
    assert_int_equal(queue_limit_check(2, 1, 2, 1), QUEUE_LIMIT_DAY);    /* the day's is reported first */
    assert_int_equal(queue_limit_check(5, 0, 2, 1), QUEUE_LIMIT_DAY);
    /* other numbers */
    assert_int_equal(queue_limit_check(2, 2, 3, 3), QUEUE_LIMIT_OK);
    assert_int_equal(queue_limit_check(2, 2, 3, 2), QUEUE_LIMIT_DOMAIN);
    assert_string_equal(queue_limit_name(QUEUE_LIMIT_DAY), "per_day");
    assert_string_equal(queue_limit_name(QUEUE_LIMIT_DOMAIN), "per_domain");
    assert_null(queue_limit_name(QUEUE_LIMIT_OK));
}

static void wait_estimate(void **state)
{
    (void)state;
    /* nobody ahead: 0, whatever else */
    assert_int_equal(queue_wait_minutes(0, 1, 0, 0, 5, 5), 0);
    assert_int_equal(queue_wait_minutes(-1, 3, 300, 10, 5, 5), 0);
    /* configured: ahead × minutes / counters, rounded up; no counter seen counts as one */
    assert_int_equal(queue_wait_minutes(3, 0, 0, 0, 5, 5), 15);
    assert_int_equal(queue_wait_minutes(3, 1, 0, 0, 5, 5), 15);
    assert_int_equal(queue_wait_minutes(3, 2, 0, 0, 5, 5), 8);  /* 7.5 → 8 */
    assert_int_equal(queue_wait_minutes(1, 4, 0, 0, 5, 1), 1);  /* 15 s → at least a minute */
    /* measured once enough were served: 4 served in 90 s each is not enough (5), 5 are */
    assert_int_equal(queue_wait_minutes(4, 1, 90, 4, 5, 5), 20);
    assert_int_equal(queue_wait_minutes(4, 1, 90, 5, 5, 5), 6);
    assert_int_equal(queue_wait_minutes(4, 2, 90, 5, 5, 5), 3);
    /* measuring off (0): always the configured figure */
    assert_int_equal(queue_wait_minutes(4, 1, 90, 500, 0, 5), 20);
    /* bounded to a day */
    assert_int_equal(queue_wait_minutes(100000, 1, 0, 0, 5, 240), 24 * 60);
}

static void codes_and_keys(void **state)
{
    (void)state;
    assert_true(queue_code_ok("HN-W-001"));
    assert_true(queue_code_ok("ho-tich"));
    assert_true(queue_code_ok("A.3_b"));
    assert_true(queue_code_ok("12345678901234567890123456789012")); /* 32 */
    assert_false(queue_code_ok("123456789012345678901234567890123"));
    assert_false(queue_code_ok(""));
    assert_false(queue_code_ok(NULL));
    assert_false(queue_code_ok("HN W"));
    assert_false(queue_code_ok("a:b"));  /* never a key separator */
    assert_false(queue_code_ok("a{b}")); /* never a hash tag */
    assert_false(queue_code_ok("quầy"));
    char key[128];
    assert_int_equal(queue_counter_key(key, sizeof key, "HN-W-001", "2026-12-06", "ho-tich"),
                     (int)strlen("cong:queue:{HN-W-001}:2026-12-06:ho-tich:last"));
    assert_string_equal(key, "cong:queue:{HN-W-001}:2026-12-06:ho-tich:last");
    assert_true(queue_view_key(key, sizeof key, "HN-W-001", "2026-12-06") > 0);
    assert_string_equal(key, "cong:queue:{HN-W-001}:2026-12-06:view");
    assert_int_equal(queue_counter_key(key, 20, "HN-W-001", "2026-12-06", "ho-tich"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(limits),
        cmocka_unit_test(wait_estimate),
        cmocka_unit_test(codes_and_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
