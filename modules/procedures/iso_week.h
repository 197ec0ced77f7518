/*
 * modules/procedures/iso_week.h — ISO 8601 weeks ("2026-W47"), pure functions (no clock, no allocation, no locale).
 *
 * Days are counted as integers: day 0 is 1970-01-01, in the proleptic Gregorian calendar. An ISO week starts on a
 * Monday; week 01 of a year is the one holding that year's 4 January (its first Thursday), so a year has 52 or 53
 * weeks and the first days of January may belong to the last week of the previous year.
 */
#ifndef CONG_PROCEDURES_ISO_WEEK_H
#define CONG_PROCEDURES_ISO_WEEK_H

#include <stddef.h>

/* Results of iso_week_parse. */
enum {
    ISO_WEEK_OK = 0,
    ISO_WEEK_SYNTAX = -1,     /* not exactly YYYY-Www (four digits, "-W", two digits), or year 0000 */
    ISO_WEEK_RANGE = -2,      /* week 00, over 53, or 53 in a year that has only 52 weeks */
    ISO_WEEK_OUTSIDE = -3,    /* iso_week_parse_within: a real week, of a year outside the years allowed */
};

/** Days since 1970-01-01 of a valid calendar date (month 1..12, day 1..31 as the month allows). */
long iso_days_from_civil(int year, int month, int day);

/** The calendar date of a day number. */
void iso_civil_from_days(long days, int *year, int *month, int *day);

/** Day of the week of a day number: 1 = Monday .. 7 = Sunday. */
int iso_weekday(long days);

/** Number of ISO weeks in `year`: 52 or 53. */
int iso_weeks_in_year(int year);

/** Parses "YYYY-Www" strictly (the whole string, nothing before or after). ISO_WEEK_OK, _SYNTAX or _RANGE. */
int iso_week_parse(const char *text, int *year, int *week);

/** iso_week_parse, then ISO_WEEK_OUTSIDE for a week of an ISO week-year before first_year or after last_year. */
int iso_week_parse_within(const char *text, int first_year, int last_year, int *year, int *week);

/** Day number of the Monday of a valid ISO week. */
long iso_week_monday(int year, int week);

/** The ISO week (and its week-numbering year) that holds a day. */
void iso_week_of_day(long days, int *year, int *week);

/** Writes "YYYY-Www" (9 characters and a NUL) into buf; returns buf. `size` must be at least 9 + 1. */
char *iso_week_format(int year, int week, char *buf, size_t size);

/** Writes the day as "YYYY-MM-DD" (10 characters and a NUL) into buf; returns buf. `size` must be at least 11. */
char *iso_date_format(long days, char *buf, size_t size);

#endif
