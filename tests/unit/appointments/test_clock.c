/* modules/appointments/clock.c: Hanoi's dates and times (UTC+7, no daylight saving) — day numbers and weekdays,
 * "YYYY-MM-DD", "HH:MM", ISO 8601 instants read with any offset and written in Hanoi time. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "modules/appointments/appointments.h"

#define UTC_2026_12_06_00 1796515200LL /* 2026-12-06T00:00:00Z, a Sunday */

static void dates(void **state)
{
    (void)state;
    long long day = -1;
    assert_int_equal(appt_date_parse("2026-12-06", &day), 0);
    assert_int_equal(day, UTC_2026_12_06_00 / 86400);
    assert_int_equal(appt_weekday(day), 7);     /* a Sunday */
    assert_int_equal(appt_weekday(day + 1), 1); /* Monday */
    char out[APPT_DATE_SIZE];
    appt_date_format(day + 26, out);
    assert_string_equal(out, "2027-01-01");
    assert_int_equal(appt_date_parse("2028-02-29", &day), 0); /* a leap day */
    appt_date_format(day, out);
    assert_string_equal(out, "2028-02-29");
    const char *bad[] = {"2027-02-29", "2026-13-01", "2026-00-10", "2026-12-32", "2026-12-6", "2026/12/06",
                         "1999-12-31", "2026-12-06x", "", "abcd-ef-gh"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(appt_date_parse(bad[i], &day), -1);
    assert_int_equal(appt_date_parse(NULL, &day), -1);
}

static void hanoi_day_of_an_instant(void **state)
{
    (void)state;
    long long sunday = UTC_2026_12_06_00 / 86400;
    assert_int_equal(appt_day_of((time_t)UTC_2026_12_06_00), sunday);                  /* 07:00 Hanoi */
    assert_int_equal(appt_day_of((time_t)(UTC_2026_12_06_00 + 17 * 3600 - 1)), sunday); /* 23:59:59 */
    assert_int_equal(appt_day_of((time_t)(UTC_2026_12_06_00 + 17 * 3600)), sunday + 1); /* midnight */
    assert_int_equal(appt_day_of((time_t)(UTC_2026_12_06_00 - 7 * 3600)), sunday);      /* 00:00 Hanoi */
    assert_int_equal(appt_day_of((time_t)(UTC_2026_12_06_00 - 7 * 3600 - 1)), sunday - 1);
}

static void hours_and_minutes(void **state)
{
    (void)state;
    int m = -1;
    assert_int_equal(appt_hhmm_parse("08:30", &m), 0);
    assert_int_equal(m, 510);
    assert_int_equal(appt_hhmm_parse("00:00", &m), 0);
    assert_int_equal(m, 0);
    assert_int_equal(appt_hhmm_parse("24:00", &m), 0); /* the end of a day */
    assert_int_equal(m, 1440);
    const char *bad[] = {"24:01", "25:00", "08:60", "8:30", "08-30", "08:30:00", "", "ab:cd"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(appt_hhmm_parse(bad[i], &m), -1);
    assert_int_equal(appt_hhmm_parse(NULL, &m), -1);
}

static void instants(void **state)
{
    (void)state;
    long long t = 0;
    /* 2026-12-07 08:00 in Hanoi is 01:00Z */
    long long expected = UTC_2026_12_06_00 + 86400 + 3600;
    assert_int_equal(appt_iso_parse("2026-12-07T08:00:00+07:00", &t), 0);
    assert_int_equal(t, expected);
    assert_int_equal(appt_iso_parse("2026-12-07T08:00+07:00", &t), 0); /* seconds optional */
    assert_int_equal(t, expected);
    assert_int_equal(appt_iso_parse("2026-12-07T01:00:00Z", &t), 0);
    assert_int_equal(t, expected);
    assert_int_equal(appt_iso_parse("2026-12-06T20:00:00-05:00", &t), 0);
    assert_int_equal(t, expected);
    char out[APPT_ISO_SIZE];
    appt_iso_format(expected, out);
    assert_string_equal(out, "2026-12-07T08:00:00+07:00");
    appt_iso_format(UTC_2026_12_06_00 + 17 * 3600 - 1, out);
    assert_string_equal(out, "2026-12-06T23:59:59+07:00");
    const char *bad[] = {"2026-12-07T08:00:00", "2026-12-07 08:00:00+07:00", "2026-12-07T24:00:00+07:00",
                         "2026-12-07T08:00:60Z", "2026-12-07T08:00:00+0700", "2026-12-07T08:00:00+07:00x",
                         "2026-02-30T08:00:00Z", "tomorrow", "", "2026-12-07T08:00:00.5Z"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_int_equal(appt_iso_parse(bad[i], &t), -1);
    assert_int_equal(appt_iso_parse(NULL, &t), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(dates),
        cmocka_unit_test(hanoi_day_of_an_instant),
        cmocka_unit_test(hours_and_minutes),
        cmocka_unit_test(instants),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
