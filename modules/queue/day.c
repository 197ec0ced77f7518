/* The queue day (see queue.h): Hanoi time is UTC+7 all year (Vietnam has kept no daylight saving since 1975), so the
 * day is computed from the clock alone, the same on every instance, without the time zone database. */
#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "queue.h"

#define HANOI_OFFSET_S (7 * 3600)
#define DAY_S 86400

int queue_day(time_t now, int day_start_hour, char out[QUEUE_DAY_SIZE], int *weekday, int *seconds_left)
{
    if (day_start_hour < 0 || day_start_hour > 23)
        return -1;
    long long local = (long long)now + HANOI_OFFSET_S - (long long)day_start_hour * 3600;
    long long into_day = ((local % DAY_S) + DAY_S) % DAY_S;
    time_t shifted = (time_t)local;
    struct tm tm;
    if (gmtime_r(&shifted, &tm) == NULL)
        return -1;
    if (tm.tm_year + 1900 < 1 || tm.tm_year + 1900 > 9999 || strftime(out, QUEUE_DAY_SIZE, "%Y-%m-%d", &tm) == 0)
        return -1;
    if (weekday != NULL)
        *weekday = tm.tm_wday;
    if (seconds_left != NULL)
        *seconds_left = (int)(DAY_S - into_day);
    return 0;
}

int queue_open_days_parse(const char *text, unsigned *bits)
{
    static const char *const names[] = {"sun", "mon", "tue", "wed", "thu", "fri", "sat"};
    unsigned seen = 0;
    const char *p = text != NULL ? text : "";
    for (;;) {
        p += strspn(p, " ,");
        if (*p == '\0')
            break;
        size_t len = strcspn(p, " ,");
        int day = -1;
        for (int i = 0; i < 7 && len == 3; i++)
            if (strncasecmp(p, names[i], 3) == 0)
                day = i;
        if (day < 0 || (seen & (1u << day)))
            return -1;
        seen |= 1u << day;
        p += len;
    }
    if (seen == 0)
        return -1;
    *bits = seen;
    return 0;
}
