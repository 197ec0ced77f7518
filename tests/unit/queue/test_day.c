/* modules/queue/day.c: the queue day in Hanoi time (UTC+7) and its configured start hour, the seconds until the next
 * day, the weekday; the open_days list. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "modules/queue/queue.h"

#define UTC_2026_12_06_00 1796515200LL /* 2026-12-06T00:00:00Z, a Sunday */

static void expect_day(long long now, int start_hour, const char *day, int weekday, int seconds_left)
{
    char out[QUEUE_DAY_SIZE];
    int w = -1, left = -1;
    assert_int_equal(queue_day((time_t)now, start_hour, out, &w, &left), 0);
    assert_string_equal(out, day);
    assert_int_equal(w, weekday);
    assert_int_equal(left, seconds_left);
}

static void hanoi_midnight(void **state)
{
    (void)state;
    /* 00:00Z is 07:00 in Hanoi: the same day, 17 hours left */
    expect_day(UTC_2026_12_06_00, 0, "2026-12-06", 0, 17 * 3600);
    /* 16:59:59Z is 23:59:59 in Hanoi: one second left; 17:00Z is the next day's midnight */
    expect_day(UTC_2026_12_06_00 + 17 * 3600 - 1, 0, "2026-12-06", 0, 1);
    expect_day(UTC_2026_12_06_00 + 17 * 3600, 0, "2026-12-07", 1, 86400);
    /* 23:00Z the day before is already 06:00 of the 6th in Hanoi */
    expect_day(UTC_2026_12_06_00 - 3600, 0, "2026-12-06", 0, 18 * 3600);
    /* a year's end and a leap day */
    expect_day(1798736400LL, 0, "2027-01-01", 5, 86400);                 /* 2026-12-31T17:00Z */
    expect_day(1709139600LL + 86399, 0, "2024-02-29", 4, 1);            /* 2024-02-28T17:00Z + 1 day - 1 s */
}

static void start_hour(void **state)
{
    (void)state;
    /* a day starting at 04:00: 03:59:59 Hanoi on the 7th still belongs to the 6th */
    long long h0400_7th = UTC_2026_12_06_00 + 17 * 3600 + 4 * 3600; /* 2026-12-07T04:00+07:00 */
    expect_day(h0400_7th - 1, 4, "2026-12-06", 0, 1);
    expect_day(h0400_7th, 4, "2026-12-07", 1, 86400);
    char out[QUEUE_DAY_SIZE];
    assert_int_equal(queue_day(0, 24, out, NULL, NULL), -1);
    assert_int_equal(queue_day(0, -1, out, NULL, NULL), -1);
    assert_int_equal(queue_day(0, 0, out, NULL, NULL), 0); /* NULLs are allowed */
    assert_string_equal(out, "1970-01-01");
}

static void open_days(void **state)
{
    (void)state;
    unsigned bits = 0;
    assert_int_equal(queue_open_days_parse("mon tue wed thu fri sat", &bits), 0);
    assert_int_equal(bits, 0x7e);
    assert_int_equal(queue_open_days_parse(" sun,Sat , MON ", &bits), 0);
    assert_int_equal(bits, 0x43);
    assert_int_equal(queue_open_days_parse("sun mon tue wed thu fri sat", &bits), 0);
    assert_int_equal(bits, 0x7f);
    bits = 0x99;
    assert_int_equal(queue_open_days_parse("", &bits), -1);
    assert_int_equal(queue_open_days_parse(" , ", &bits), -1);
    assert_int_equal(queue_open_days_parse("mon mon", &bits), -1);
    assert_int_equal(queue_open_days_parse("monday", &bits), -1);
    assert_int_equal(queue_open_days_parse("mon xyz", &bits), -1);
    assert_int_equal(queue_open_days_parse(NULL, &bits), -1);
    assert_int_equal(bits, 0x99); /* untouched on error */
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(hanoi_midnight),
        cmocka_unit_test(start_hour),
        cmocka_unit_test(open_days),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
