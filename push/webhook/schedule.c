/* push/webhook/schedule.c — the retry schedule of webhook deliveries (schedule.h). */
#include "schedule.h"

int64_t webhook_schedule_next(const webhook_schedule_t *s, int tries, int64_t series_start_ms, int64_t now_ms,
                              uint32_t random)
{
    int64_t delay = s->base_ms;
    for (int i = 1; i < tries && delay < s->max_ms; i++)
        delay *= 2;
    if (delay > s->max_ms)
        delay = s->max_ms;
    int64_t half = delay / 2;
    delay = half + (int64_t)(random % (uint64_t)(delay - half + 1));
    if (delay < 1)
        delay = 1;
    return now_ms + delay > series_start_ms + s->max_age_ms ? -1 : delay;
}
