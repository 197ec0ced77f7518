/* Dates and times of the appointments (see appointments.h): Hanoi time is UTC+7 all year (no daylight saving since
 * 1975), so a local day and an instant convert by arithmetic alone, the same on every instance, without the time zone
 * database. Day numbers count days from 1970-01-01 (civil calendar, proleptic Gregorian). */
#include <stdio.h>
#include <string.h>

#include "appointments.h"

#define DAY_S 86400LL

/* Days from 1970-01-01 of a civil date (Howard Hinnant's days_from_civil). */
static long long days_from_civil(long long y, int m, int d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    long long yoe = y - era * 400;
    long long doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + doe - 719468;
}

static void civil_from_days(long long z, int *y, int *m, int *d)
{
    z += 719468;
    long long era = (z >= 0 ? z : z - 146096) / 146097;
    long long doe = z - era * 146097;
    long long yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
    long long doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    long long mp = (5 * doy + 2) / 153;
    *d = (int)(doy - (153 * mp + 2) / 5 + 1);
    *m = (int)(mp < 10 ? mp + 3 : mp - 9);
    *y = (int)(yoe + era * 400 + (*m <= 2));
}

static int digits(const char *s, int n, int *out)
{
    int v = 0;
    for (int i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    *out = v;
    return 0;
}

static int days_in_month(int y, int m)
{
    static const int days[] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return m == 2 && leap ? 29 : days[m - 1];
}

/* "YYYY-MM-DD" at the start of s (no more is read). */
static int date_prefix(const char *s, long long *day)
{
    int y, m, d;
    if (strnlen(s, 10) < 10 || s[4] != '-' || s[7] != '-' || digits(s, 4, &y) || digits(s + 5, 2, &m) ||
        digits(s + 8, 2, &d))
        return -1;
    if (y < 2000 || y > 2999 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
        return -1;
    *day = days_from_civil(y, m, d);
    return 0;
}

int appt_date_parse(const char *s, long long *day)
{
    if (s == NULL || strlen(s) != 10)
        return -1;
    return date_prefix(s, day);
}

void appt_date_format(long long day, char out[APPT_DATE_SIZE])
{
    int y, m, d;
    civil_from_days(day, &y, &m, &d);
    /* the bounds only tell the compiler that the text fits: a month and a day always are in them */
    snprintf(out, APPT_DATE_SIZE, "%04u-%02u-%02u", (unsigned)y % 10000u, (unsigned)m % 100u, (unsigned)d % 100u);
}

int appt_weekday(long long day)
{
    long long w = (day + 3) % 7; /* 1970-01-01 was a Thursday (ISO 4): day 0 → 3 */
    if (w < 0)
        w += 7;
    return (int)w + 1;
}

long long appt_day_of(time_t t)
{
    long long local = (long long)t + APPT_HANOI_OFFSET_S;
    return local >= 0 ? local / DAY_S : -((-local + DAY_S - 1) / DAY_S);
}

int appt_hhmm_parse(const char *s, int *minutes)
{
    int h, m;
    if (s == NULL || strlen(s) != 5 || s[2] != ':' || digits(s, 2, &h) || digits(s + 3, 2, &m))
        return -1;
    if (m > 59 || h > 24 || (h == 24 && m != 0))
        return -1;
    *minutes = h * 60 + m;
    return 0;
}

int appt_iso_parse(const char *s, long long *epoch)
{
    long long day;
    int h, mi, sec = 0, oh = 0, om = 0, sign = 1;
    if (s == NULL || date_prefix(s, &day) != 0 || s[10] != 'T' || digits(s + 11, 2, &h) || s[13] != ':' ||
        digits(s + 14, 2, &mi))
        return -1;
    const char *p = s + 16;
    if (*p == ':') {
        if (digits(p + 1, 2, &sec))
            return -1;
        p += 3;
    }
    if (*p == 'Z') {
        p++;
    } else if (*p == '+' || *p == '-') {
        sign = *p == '-' ? -1 : 1;
        if (digits(p + 1, 2, &oh) || p[3] != ':' || digits(p + 4, 2, &om) || oh > 14 || om > 59)
            return -1;
        p += 6;
    } else {
        return -1;
    }
    if (*p != '\0' || h > 23 || mi > 59 || sec > 59)
        return -1;
    *epoch = day * DAY_S + h * 3600LL + mi * 60LL + sec - sign * (oh * 3600LL + om * 60LL);
    return 0;
}

void appt_iso_format(long long epoch, char out[APPT_ISO_SIZE])
{
    long long local = epoch + APPT_HANOI_OFFSET_S;
    long long day = appt_day_of((time_t)epoch);
    long long into = local - day * DAY_S;
    int y, m, d;
    civil_from_days(day, &y, &m, &d);
    snprintf(out, APPT_ISO_SIZE, "%04u-%02u-%02uT%02u:%02u:%02u+07:00", (unsigned)y % 10000u, (unsigned)m % 100u,
             (unsigned)d % 100u, (unsigned)(into / 3600) % 100u, (unsigned)(into / 60 % 60), (unsigned)(into % 60));
}
