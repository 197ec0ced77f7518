/* push/relay/log.c — the relay's log lines (common/log.h), rate-limited per failure class (relay.h). */
#include "relay.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "common/log.h"

#define MAX_CLASSES 16
#define COMPONENT "cong-push-relay"

typedef struct log_class {
    const char *name;
    int64_t last_ms; /* when its last line was written */
    long held_back;  /* lines not written since */
} log_class_t;

static log_class_t classes[MAX_CLASSES];

void push_relay_log_failure(const char *cls, const char *fmt, ...)
{
    log_class_t *c = NULL;
    for (int i = 0; i < MAX_CLASSES && !c; i++)
        if (!classes[i].name || strcmp(classes[i].name, cls) == 0)
            c = &classes[i];
    int64_t now = push_relay_now_ms();
    if (c && c->name && now - c->last_ms < PUSH_RELAY_LOG_INTERVAL_S * 1000) {
        c->held_back++;
        return;
    }
    long held = 0;
    if (c) {
        held = c->held_back;
        *c = (log_class_t){.name = cls, .last_ms = now};
    }
    char msg[512];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (held > 0)
        cong_log(CONG_LOG_WARN, COMPONENT, "%s: %s (%ld similar lines held back)", cls, msg, held);
    else
        cong_log(CONG_LOG_WARN, COMPONENT, "%s: %s", cls, msg);
}

void push_relay_log_info(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cong_logv(CONG_LOG_INFO, COMPONENT, fmt, ap);
    va_end(ap);
}

int64_t push_relay_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}
