/* modules/procedures/portal_sync/log.c — how the worker's lines read (see portal_sync.h); the rate limit per failure
 * class is the relays' runtime's (relay_runtime.h). */
#include "portal_sync.h"

#include <stdio.h>
#include <sys/time.h>
#include <time.h>

void psync_log_writer(const char *cls, long held_back, const char *msg)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    char when[32];
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!cls)
        cls = "info";
    if (held_back > 0)
        fprintf(stderr, "cong-portal-sync: %s.%03dZ %s: %s (%ld similar lines held back)\n", when,
                (int)(tv.tv_usec / 1000), cls, msg, held_back);
    else
        fprintf(stderr, "cong-portal-sync: %s.%03dZ %s: %s\n", when, (int)(tv.tv_usec / 1000), cls, msg);
}
