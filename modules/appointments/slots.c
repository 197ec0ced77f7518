/* The slot grid of a schedule (see appointments.h): on each open day, each period from its start every slot_minutes
 * while the whole slot fits before its end. The SQL's appointment_slot_offered is the same rule for one instant. */
#include "appointments.h"

static int closed_day(long long day, const long long *closed, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (closed[i] == day)
            return 1;
    return 0;
}

int appt_slots_generate(const appt_schedule_t *s, long long from_day, long long to_day, const long long *closed,
                        size_t nclosed, long long not_before, appt_slot_t *out, int max)
{
    int n = 0;
    for (long long day = from_day; day <= to_day; day++) {
        if (!(s->weekdays & (1u << appt_weekday(day))) || closed_day(day, closed, nclosed))
            continue;
        long long midnight = day * 86400LL - APPT_HANOI_OFFSET_S;
        for (int p = 0; p < s->nperiods; p++) {
            for (int m = s->periods[p].start_min; m + s->slot_minutes <= s->periods[p].end_min; m += s->slot_minutes) {
                long long at = midnight + m * 60LL;
                if (at <= not_before)
                    continue;
                if (n >= max)
                    return -1;
                out[n++].starts_at = at;
            }
        }
    }
    return n;
}
