/*
 * push/webhook/schedule.h — when a failed webhook delivery is tried again (issue 18: "exponential backoff over about
 * a day"). Pure; any thread. The delivery worker (push/webhook_worker/) owns the numbers (its flags; tests use
 * milliseconds, production the defaults below).
 *
 * After the n-th failed try of a series (n >= 1; a series starts at the event, or at a replay): the delay is
 * base_ms * 2^(n-1), capped at max_ms, then jittered down to a uniform value in [delay/2, delay] ("equal jitter": many
 * deliveries failing together at one receiver's outage do not all come back in the same millisecond, yet the delay
 * never shrinks below half). When the next attempt would start later than series start + max_age_ms, the series is
 * over: the delivery has failed (and its endpoint, when it delivered nothing meanwhile, is disabled: modules/orgs).
 * With the defaults (5 s doubling, capped at 3 h, one day) that is about 18 tries.
 */
#ifndef CONG_PUSH_WEBHOOK_SCHEDULE_H
#define CONG_PUSH_WEBHOOK_SCHEDULE_H

#include <stdint.h>

#define WEBHOOK_RETRY_BASE_MS 5000
#define WEBHOOK_RETRY_MAX_MS (3 * 3600 * 1000)
#define WEBHOOK_RETRY_MAX_AGE_MS (24LL * 3600 * 1000)

typedef struct webhook_schedule {
    int64_t base_ms, max_ms, max_age_ms;
} webhook_schedule_t;

/** The delay before the try after the `tries`-th failed one (tries >= 1), jittered by `random` (any 32-bit value);
 *  or -1 when that try would begin after series_start_ms + max_age_ms (the schedule is exhausted). now_ms and
 *  series_start_ms on one clock (wall ms). */
int64_t webhook_schedule_next(const webhook_schedule_t *s, int tries, int64_t series_start_ms, int64_t now_ms,
                              uint32_t random);

#endif
