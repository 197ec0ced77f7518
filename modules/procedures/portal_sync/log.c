/* modules/procedures/portal_sync/log.c — the worker's log lines, rate-limited per failure class (see portal_sync.h). */
#include "portal_sync.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#define MAX_CLASSES 16

typedef struct log_class {
    const char *name;
    int64_t last_ms; /* when its last line was written */
    long held_back;  /* lines not written since */
} log_class_t;

static log_class_t classes[MAX_CLASSES];

static void write_line(const char *cls, long held_back, const char *fmt, va_list ap)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    struct tm tm;
    gmtime_r(&tv.tv_sec, &tm);
    char when[32];
    strftime(when, sizeof when, "%Y-%m-%dT%H:%M:%S", &tm);
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (held_back > 0)
        fprintf(stderr, "cong-portal-sync: %s.%03dZ %s: %s (%ld similar lines held back)\n", when,
                (int)(tv.tv_usec / 1000), cls, msg, held_back);
    else
        fprintf(stderr, "cong-portal-sync: %s.%03dZ %s: %s\n", when, (int)(tv.tv_usec / 1000), cls, msg);
}

void psync_log_failure(const char *cls, const char *fmt, ...)
{
    log_class_t *c = NULL;
    for (int i = 0; i < MAX_CLASSES && !c; i++)
        if (!classes[i].name || strcmp(classes[i].name, cls) == 0)
            c = &classes[i];
    int64_t now = psync_now_ms();
    if (c && c->name && now - c->last_ms < PSYNC_LOG_INTERVAL_S * 1000) {
        c->held_back++;
        return;
    }
    long held = 0;
    if (c) {
        held = c->held_back;
        *c = (log_class_t){.name = cls, .last_ms = now};
    }
    va_list ap;
    va_start(ap, fmt);
    write_line(cls, held, fmt, ap);
    va_end(ap);
}

void psync_log_info(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    write_line("info", 0, fmt, ap);
    va_end(ap);
}

int64_t psync_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
