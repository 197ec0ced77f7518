/* common/relay_runtime/log.c — the relay's failure log, rate-limited per class; the program writes the lines
 * (relay_runtime.h). */
#include "relay_runtime.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define MAX_CLASSES 16

typedef struct log_class {
    const char *name;
    int64_t last_ms; /* when its last line was written */
    long held_back;  /* lines not written since */
} log_class_t;

static log_class_t classes[MAX_CLASSES];
static relay_log_writer_fn *writer;

void relay_log_set_writer(relay_log_writer_fn *fn)
{
    writer = fn;
}

static void write_line(const char *cls, long held_back, const char *fmt, va_list ap)
{
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    if (writer)
        writer(cls, held_back, msg);
    else
        fprintf(stderr, "%s: %s\n", cls ? cls : "info", msg); /* a program that forgot its writer still says why */
}

void relay_log_failure(const char *cls, const char *fmt, ...)
{
    log_class_t *c = NULL;
    for (int i = 0; i < MAX_CLASSES && !c; i++)
        if (!classes[i].name || strcmp(classes[i].name, cls) == 0)
            c = &classes[i];
    int64_t now = relay_now_ms();
    if (c && c->name && now - c->last_ms < RELAY_LOG_INTERVAL_S * 1000) {
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

void relay_log_info(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    write_line(NULL, 0, fmt, ap);
    va_end(ap);
}
