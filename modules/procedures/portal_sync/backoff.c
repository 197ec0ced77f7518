/* modules/procedures/portal_sync/backoff.c — exponential backoff with jitter (see portal_sync.h). */
#include "portal_sync.h"

#include <stdlib.h>

int psync_backoff_ms(int attempts, int initial_ms, int max_ms)
{
    if (initial_ms < 1)
        initial_ms = 1;
    if (max_ms < initial_ms)
        max_ms = initial_ms;
    int64_t delay = initial_ms;
    for (int i = 1; i < attempts && delay < max_ms; i++)
        delay *= 2;
    if (delay > max_ms)
        delay = max_ms;
    int64_t half = delay / 2;
    /* random() is seeded once in main; the jitter only has to spread workers apart, not be unpredictable */
    return (int)(delay - half + (half > 0 ? random() % (half + 1) : 0));
}
