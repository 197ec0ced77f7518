/*
 * common/log.h — the error log: one line per event on stderr, "time level component: message".
 * Never pass a token, a secret or a citizen number. Thread-safe (one write(2) per line).
 */
#ifndef CONG_GATEWAY_LOG_H
#define CONG_GATEWAY_LOG_H

#include <stdarg.h>

#include "cong/errors.h"

/** Lines above `level` (enum cong_log_level) are dropped. Default CONG_LOG_INFO. */
void cong_log_set_level(int level);
/** Parse "error|warn|info|debug"; returns the level or -1. */
int cong_log_parse_level(const char *name);
void cong_log(int level, const char *component, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
void cong_logv(int level, const char *component, const char *fmt, va_list ap);

#endif
