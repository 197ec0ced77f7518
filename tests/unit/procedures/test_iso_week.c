/* Unit tests for modules/procedures/iso_week.c: strict parsing of "YYYY-Www", 52/53-week years, the Monday of a
 * week, the week of a day across year boundaries, and calendar round trips. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "modules/procedures/iso_week.h"

static void assert_date(long days, const char *expected)
{
    char buf[16];
    assert_string_equal(iso_date_format(days, buf, sizeof buf), expected);
}

static void civil_days(void **state)
{
    (void)state;
    assert_int_equal(iso_days_from_civil(1970, 1, 1), 0);
    assert_int_equal(iso_days_from_civil(1969, 12, 31), -1);
    assert_int_equal(iso_days_from_civil(2000, 2, 29), 11016);
    assert_int_equal(iso_days_from_civil(2000, 3, 1), 11017);
    assert_int_equal(iso_weekday(0), 4);                                   /* Thursday */
    assert_int_equal(iso_weekday(-1), 3);                                  /* Wednesday */
    assert_int_equal(iso_weekday(iso_days_from_civil(2026, 11, 16)), 1);  /* Monday */
    assert_int_equal(iso_weekday(iso_days_from_civil(2026, 11, 22)), 7);  /* Sunday */
    assert_date(iso_days_from_civil(2024, 2, 29), "2024-02-29");
    /* every day from 1900 to 2100 survives the round trip, and weekdays follow each other */
    long first = iso_days_from_civil(1900, 1, 1), last = iso_days_from_civil(2100, 12, 31);
    for (long d = first; d <= last; d++) {
        int y, m, dd;
        iso_civil_from_days(d, &y, &m, &dd);
        assert_int_equal(iso_days_from_civil(y, m, dd), d);
        assert_int_equal(iso_weekday(d + 1), iso_weekday(d) % 7 + 1);
    }
}

static void weeks_in_year(void **state)
{
    (void)state;
    assert_int_equal(iso_weeks_in_year(2026), 53); /* 1 January is a Thursday */
    assert_int_equal(iso_weeks_in_year(2020), 53); /* leap year starting on a Wednesday */
    assert_int_equal(iso_weeks_in_year(2015), 53);
    assert_int_equal(iso_weeks_in_year(2004), 53);
    assert_int_equal(iso_weeks_in_year(2025), 52);
    assert_int_equal(iso_weeks_in_year(2024), 52);
    assert_int_equal(iso_weeks_in_year(2021), 52);
    assert_int_equal(iso_weeks_in_year(2019), 52); /* starts on a Tuesday */
}

static void parse(void **state)
{
    (void)state;
    int y = 0, w = 0;
    assert_int_equal(iso_week_parse("2026-W47", &y, &w), ISO_WEEK_OK);
    assert_int_equal(y, 2026);
    assert_int_equal(w, 47);
    assert_int_equal(iso_week_parse("2026-W01", &y, &w), ISO_WEEK_OK);
    assert_int_equal(w, 1);
    assert_int_equal(iso_week_parse("2026-W53", &y, &w), ISO_WEEK_OK);
    assert_int_equal(iso_week_parse("2020-W53", &y, &w), ISO_WEEK_OK);

    const char *syntax[] = {"", "garbage", "2026-W9", "2026W47", "2026-w47", "26-W47", "2026-W470", " 2026-W47",
                            "2026-W47 ", "2026-W4x", "2026-47", "+2026-W47", "0000-W01", "2026-W-1", "२०२६-W47"};
    for (size_t i = 0; i < sizeof syntax / sizeof syntax[0]; i++) {
        y = w = -7;
        assert_int_equal(iso_week_parse(syntax[i], &y, &w), ISO_WEEK_SYNTAX);
        assert_int_equal(y, -7); /* outputs untouched on failure */
        assert_int_equal(w, -7);
    }
    assert_int_equal(iso_week_parse(NULL, &y, &w), ISO_WEEK_SYNTAX);
    assert_int_equal(iso_week_parse("2026-W00", &y, &w), ISO_WEEK_RANGE);
    assert_int_equal(iso_week_parse("2026-W54", &y, &w), ISO_WEEK_RANGE);
    assert_int_equal(iso_week_parse("2026-W99", &y, &w), ISO_WEEK_RANGE);
    assert_int_equal(iso_week_parse("2025-W53", &y, &w), ISO_WEEK_RANGE); /* 2025 has 52 weeks */
    assert_int_equal(iso_week_parse("2021-W53", &y, &w), ISO_WEEK_RANGE);
}

/* The KPI routes take weeks of the years their data can cover only: an absurd year is refused, not scanned. */
static void parse_within(void **state)
{
    (void)state;
    int y = -7, w = -7;
    const char *outside[] = {"0001-W01", "2019-W52", "2019-W01", "2028-W01", "9999-W52"};
    for (size_t i = 0; i < sizeof outside / sizeof outside[0]; i++) {
        assert_int_equal(iso_week_parse_within(outside[i], 2020, 2027, &y, &w), ISO_WEEK_OUTSIDE);
        assert_int_equal(y, -7); /* outputs untouched on failure */
        assert_int_equal(w, -7);
    }
    assert_int_equal(iso_week_parse_within("2020-W01", 2020, 2027, &y, &w), ISO_WEEK_OK);
    assert_int_equal(y, 2020);
    assert_int_equal(w, 1);
    assert_int_equal(iso_week_parse_within("2026-W53", 2020, 2027, &y, &w), ISO_WEEK_OK);
    assert_int_equal(iso_week_parse_within("2027-W52", 2020, 2027, &y, &w), ISO_WEEK_OK);
    assert_int_equal(y, 2027);
    assert_int_equal(w, 52);
    /* the other refusals keep their own codes, checked first */
    assert_int_equal(iso_week_parse_within("2027-W53", 2020, 2027, &y, &w), ISO_WEEK_RANGE);
    assert_int_equal(iso_week_parse_within("0001-W54", 2020, 2027, &y, &w), ISO_WEEK_RANGE);
    assert_int_equal(iso_week_parse_within("garbage", 2020, 2027, &y, &w), ISO_WEEK_SYNTAX);
}

static void monday(void **state)
{
    (void)state;
    assert_date(iso_week_monday(2026, 47), "2026-11-16");
    assert_date(iso_week_monday(2026, 47) + 6, "2026-11-22");
    assert_date(iso_week_monday(2026, 1), "2025-12-29");  /* week 1 starts in the previous year */
    assert_date(iso_week_monday(2026, 53), "2026-12-28");
    assert_date(iso_week_monday(2025, 1), "2024-12-30");
    assert_date(iso_week_monday(2021, 1), "2021-01-04");  /* the first days of 2021 are in 2020-W53 */
    assert_date(iso_week_monday(2020, 53), "2020-12-28");
    assert_date(iso_week_monday(2024, 1), "2024-01-01");
    assert_date(iso_week_monday(2009, 1), "2008-12-29");
}

static void week_of_day(void **state)
{
    (void)state;
    int y, w;
    char buf[16];
    iso_week_of_day(iso_days_from_civil(2026, 11, 22), &y, &w);
    assert_string_equal(iso_week_format(y, w, buf, sizeof buf), "2026-W47");
    iso_week_of_day(iso_days_from_civil(2026, 11, 23), &y, &w);
    assert_string_equal(iso_week_format(y, w, buf, sizeof buf), "2026-W48");
    iso_week_of_day(iso_days_from_civil(2021, 1, 1), &y, &w);
    assert_string_equal(iso_week_format(y, w, buf, sizeof buf), "2020-W53");
    iso_week_of_day(iso_days_from_civil(2010, 1, 3), &y, &w);
    assert_string_equal(iso_week_format(y, w, buf, sizeof buf), "2009-W53");
    iso_week_of_day(iso_days_from_civil(2025, 12, 29), &y, &w);
    assert_string_equal(iso_week_format(y, w, buf, sizeof buf), "2026-W01");
    iso_week_of_day(iso_days_from_civil(2024, 12, 31), &y, &w);
    assert_string_equal(iso_week_format(y, w, buf, sizeof buf), "2025-W01");
    /* every day lies in the week whose Monday is at most 6 days before it, and that week parses back */
    long first = iso_days_from_civil(1990, 1, 1), last = iso_days_from_civil(2060, 12, 31);
    for (long d = first; d <= last; d++) {
        iso_week_of_day(d, &y, &w);
        long mon = iso_week_monday(y, w);
        assert_true(d - mon >= 0 && d - mon <= 6);
        int py, pw;
        assert_int_equal(iso_week_parse(iso_week_format(y, w, buf, sizeof buf), &py, &pw), ISO_WEEK_OK);
        assert_int_equal(py, y);
        assert_int_equal(pw, w);
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(civil_days),
        cmocka_unit_test(weeks_in_year),
        cmocka_unit_test(parse),
        cmocka_unit_test(parse_within),
        cmocka_unit_test(monday),
        cmocka_unit_test(week_of_day),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
