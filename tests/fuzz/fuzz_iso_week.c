/*
 * tests/fuzz/fuzz_iso_week.c — libFuzzer target for modules/procedures/iso_week.c: the ISO week parser that reads
 * "YYYY-Www" from query strings (the KPI and dashboard routes), and the calendar arithmetic behind it.
 *
 * The input, as a C string (up to its first NUL), is parsed with iso_week_parse; its first four bytes are also read as
 * a day number within years 0001..9999. Oracles beyond "no crash":
 *   - syntax: iso_week_parse does not say ISO_WEEK_SYNTAX exactly when the string matches ^[0-9]{4}-W[0-9]{2}$ with a
 *     year other than 0000; ISO_WEEK_RANGE exactly when, besides, the week is 00 or beyond the year's weeks;
 *   - an accepted week formats back to the same string, its Monday is a Monday, and each of its seven days is in that
 *     week (parse → Monday → week of that day == same week); the day before is in the previous week;
 *   - iso_weeks_in_year is 53 exactly when 1 January is a Thursday, or a Wednesday in a leap year;
 *   - day numbers round-trip through the civil date; the week of a day, its weekday and its civil date agree with
 *     glibc (gmtime_r and strftime's %G, %V, %u), and its formatted week parses back.
 */
#include "modules/procedures/iso_week.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define FIRST_DAY (-719162L) /* 0001-01-01 */
#define LAST_DAY 2932896L    /* 9999-12-31 */
#define SPAN (LAST_DAY - FIRST_DAY + 1)

static int is_digit(char c)
{
    return c >= '0' && c <= '9';
}

/* ^[0-9]{4}-W[0-9]{2}$ */
static int well_formed(const char *s)
{
    return strlen(s) == 8 && is_digit(s[0]) && is_digit(s[1]) && is_digit(s[2]) && is_digit(s[3]) && s[4] == '-' &&
           s[5] == 'W' && is_digit(s[6]) && is_digit(s[7]);
}

static int leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* The week, weekday and date of a day as glibc sees them. */
static void glibc_day(long days, int *year, int *week, int *weekday, int *y, int *m, int *d)
{
    time_t t = (time_t)days * 86400;
    struct tm tm;
    char buf[64];
    if (gmtime_r(&t, &tm) == NULL || strftime(buf, sizeof buf, "%G %V %u", &tm) == 0 ||
        sscanf(buf, "%d %d %d", year, week, weekday) != 3)
        abort();
    *y = tm.tm_year + 1900;
    *m = tm.tm_mon + 1;
    *d = tm.tm_mday;
}

static void check_week(int year, int week)
{
    char buf[16];
    long monday = iso_week_monday(year, week);
    if (iso_weekday(monday) != 1)
        abort();
    for (int i = 0; i < 7; i++) {
        int y, w;
        iso_week_of_day(monday + i, &y, &w);
        if (y != year || w != week)
            abort(); /* parse → Monday → week of that day is not the same week */
    }
    int py, pw;
    iso_week_of_day(monday - 1, &py, &pw);
    if (week > 1 ? py != year || pw != week - 1 : py != year - 1 || pw != iso_weeks_in_year(year - 1))
        abort();
    iso_week_format(year, week, buf, sizeof buf);
    int ry, rw;
    if (year >= 1 && year <= 9999 && (iso_week_parse(buf, &ry, &rw) != ISO_WEEK_OK || ry != year || rw != week))
        abort();
}

static void check_text(const char *s)
{
    int year = -1, week = -1;
    int rc = iso_week_parse(s, &year, &week);
    int formed = well_formed(s);
    int y = formed ? (s[0] - '0') * 1000 + (s[1] - '0') * 100 + (s[2] - '0') * 10 + (s[3] - '0') : 0;
    int w = formed ? (s[6] - '0') * 10 + (s[7] - '0') : 0;
    if (!formed || y == 0) {
        if (rc != ISO_WEEK_SYNTAX)
            abort(); /* accepted something that is not exactly YYYY-Www */
        return;
    }
    int weeks = iso_weeks_in_year(y);
    if (w < 1 || w > weeks) {
        if (rc != ISO_WEEK_RANGE)
            abort();
        return;
    }
    if (rc != ISO_WEEK_OK || year != y || week != w)
        abort();
    char buf[16];
    if (strcmp(iso_week_format(year, week, buf, sizeof buf), s) != 0)
        abort();
    check_week(year, week);
}

static void check_year(int y)
{
    int weeks = iso_weeks_in_year(y);
    int jan1 = iso_weekday(iso_days_from_civil(y, 1, 1));
    if (weeks != ((jan1 == 4 || (jan1 == 3 && leap(y))) ? 53 : 52))
        abort();
}

static void check_day(long days)
{
    int y, m, d;
    iso_civil_from_days(days, &y, &m, &d);
    if (iso_days_from_civil(y, m, d) != days)
        abort();
    int gy, gw, gwd, cy, cm, cd;
    glibc_day(days, &gy, &gw, &gwd, &cy, &cm, &cd);
    if (y != cy || m != cm || d != cd || iso_weekday(days) != gwd)
        abort();
    int year, week;
    iso_week_of_day(days, &year, &week);
    if (year != gy || week != gw)
        abort();
    check_year(y);
    if (year >= 1 && year <= 9999) {
        char buf[16];
        iso_week_format(year, week, buf, sizeof buf);
        check_text(buf);
        long monday = iso_week_monday(year, week);
        if (days < monday || days >= monday + 7)
            abort();
    }
    char date[16];
    char expect[40]; /* room for any int, so the compiler can prove no truncation */
    snprintf(expect, sizeof expect, "%04d-%02d-%02d", cy, cm, cd);
    if (strcmp(iso_date_format(days, date, sizeof date), expect) != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size > 64)
        return 0;
    char text[65];
    memcpy(text, data, size);
    text[size] = '\0';
    check_text(text);
    if (size >= 4) {
        uint32_t raw = (uint32_t)data[0] | (uint32_t)data[1] << 8 | (uint32_t)data[2] << 16 | (uint32_t)data[3] << 24;
        check_day(FIRST_DAY + (long)(raw % (uint32_t)SPAN));
    }
    return 0;
}
