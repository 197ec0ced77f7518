/* The estimated wait of a new ticket (see queue.h): a hint shown to the citizen, never a promise. Once the unit has
 * served enough tickets today, their mean time at the counter replaces the configured minutes per ticket. */
#include "queue.h"

#define WAIT_MAX_MINUTES (24 * 60)

int queue_wait_minutes(int ahead, int counters, double measured_s, int measured_n, int min_measured,
                       int configured_min)
{
    if (ahead <= 0)
        return 0;
    long long per_ticket_s = (long long)configured_min * 60;
    if (min_measured > 0 && measured_n >= min_measured && measured_s >= 1)
        per_ticket_s = (long long)(measured_s + 0.5);
    long long n = counters > 1 ? counters : 1;
    long long seconds = ((long long)ahead * per_ticket_s + n - 1) / n;
    long long minutes = (seconds + 59) / 60;
    if (minutes < 1)
        return 1;
    return minutes > WAIT_MAX_MINUTES ? WAIT_MAX_MINUTES : (int)minutes;
}
