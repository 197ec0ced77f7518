/* ISO 8601 weeks: see iso_week.h. Calendar arithmetic on 400-year eras (146097 days each), with March as the first
 * month of the computing year so that the leap day falls at its end. */
#include "iso_week.h"

#include <stdio.h>

long iso_days_from_civil(int year, int month, int day)
{
    long y = month <= 2 ? year - 1 : year;
    long era = (y >= 0 ? y : y - 399) / 400;
    long year_of_era = y - era * 400;                                    /* 0..399 */
    long month_from_march = month > 2 ? month - 3 : month + 9;          /* 0..11 */
    long day_of_year = (153 * month_from_march + 2) / 5 + day - 1;      /* 0..365 */
    long day_of_era = year_of_era * 365 + year_of_era / 4 - year_of_era / 100 + day_of_year;
    return era * 146097 + day_of_era - 719468;                          /* 719468: 0000-03-01 .. 1970-01-01 */
}

void iso_civil_from_days(long days, int *year, int *month, int *day)
{
    long z = days + 719468;
    long era = (z >= 0 ? z : z - 146096) / 146097;
    long day_of_era = z - era * 146097;                                  /* 0..146096 */
    long year_of_era = (day_of_era - day_of_era / 1460 + day_of_era / 36524 - day_of_era / 146096) / 365;
    long day_of_year = day_of_era - (365 * year_of_era + year_of_era / 4 - year_of_era / 100);
    long month_from_march = (5 * day_of_year + 2) / 153;
    int d = (int)(day_of_year - (153 * month_from_march + 2) / 5 + 1);
    int m = (int)(month_from_march < 10 ? month_from_march + 3 : month_from_march - 9);
    *year = (int)(year_of_era + era * 400 + (m <= 2));
    *month = m;
    *day = d;
}

int iso_weekday(long days)
{
    /* 1970-01-01 was a Thursday (4) */
    long r = (days + 3) % 7;
    if (r < 0)
        r += 7;
    return (int)r + 1;
}

static long week1_monday(int year)
{
    long jan4 = iso_days_from_civil(year, 1, 4);
    return jan4 - (iso_weekday(jan4) - 1);
}

int iso_weeks_in_year(int year)
{
    return (int)((week1_monday(year + 1) - week1_monday(year)) / 7);
}

static int digit(char c)
{
    return c >= '0' && c <= '9' ? c - '0' : -1;
}

int iso_week_parse(const char *text, int *year, int *week)
{
    if (text == NULL)
        return ISO_WEEK_SYNTAX;
    int y = 0, w = 0;
    for (int i = 0; i < 4; i++) {
        if (digit(text[i]) < 0)
            return ISO_WEEK_SYNTAX;
        y = y * 10 + digit(text[i]);
    }
    if (text[4] != '-' || text[5] != 'W' || digit(text[6]) < 0 || digit(text[7]) < 0 || text[8] != '\0' || y == 0)
        return ISO_WEEK_SYNTAX;
    w = digit(text[6]) * 10 + digit(text[7]);
    if (w < 1 || w > iso_weeks_in_year(y))
        return ISO_WEEK_RANGE;
    *year = y;
    *week = w;
    return ISO_WEEK_OK;
}

int iso_week_parse_within(const char *text, int first_year, int last_year, int *year, int *week)
{
    int y, w, rc = iso_week_parse(text, &y, &w);
    if (rc != ISO_WEEK_OK)
        return rc;
    if (y < first_year || y > last_year)
        return ISO_WEEK_OUTSIDE;
    *year = y;
    *week = w;
    return ISO_WEEK_OK;
}

long iso_week_monday(int year, int week)
{
    return week1_monday(year) + 7L * (week - 1);
}

void iso_week_of_day(long days, int *year, int *week)
{
    long thursday = days - (iso_weekday(days) - 1) + 3; /* the week's Thursday names its year */
    int y, m, d;
    iso_civil_from_days(thursday, &y, &m, &d);
    *year = y;
    *week = (int)((thursday - iso_days_from_civil(y, 1, 1)) / 7 + 1);
}

char *iso_week_format(int year, int week, char *buf, size_t size)
{
    snprintf(buf, size, "%04d-W%02d", year, week);
    return buf;
}

char *iso_date_format(long days, char *buf, size_t size)
{
    int y, m, d;
    iso_civil_from_days(days, &y, &m, &d);
    snprintf(buf, size, "%04d-%02d-%02d", y, m, d);
    return buf;
}
