/*
 * gateway/config/config_report.h — the error lines of one reading of the configuration (internal to gateway/config/).
 *
 * Every reader (defaults, the YAML file, the environment) reports through a report_t: lines "FILE:LINE: key: message"
 * go to the caller's cong_config_errors_t, at most CONG_CONFIG_MAX_ERRORS, then one "too many errors" line and the
 * reading stops. No message ever quotes a value (secrets); names are shown through cong_config_printable_name.
 */
#ifndef CONG_GATEWAY_CONFIG_REPORT_H
#define CONG_GATEWAY_CONFIG_REPORT_H

#include <stdarg.h>
#include <stddef.h>

#include "config.h"

#define CONG_CONFIG_MAX_ERRORS 100               /* per call; then one "too many errors" line */
#define CONG_CONFIG_KEY_MAX 64                   /* longer keys are shown truncated (and are unknown) */
#define CONG_CONFIG_PATH_LEN (2 * CONG_CONFIG_KEY_MAX + 32) /* "modules.<name>.<key>" and friends */

/* The errors of one call: where they go, how many, and whether to stop. */
typedef struct cong_config_report {
    cong_config_errors_t *errs; /* may be NULL: errors are then only counted */
    const char *file;
    size_t count;
    int nomem;
    int stop;
} cong_config_report_t;

void cong_config_reportv(cong_config_report_t *rep, int line, const char *key, const char *fmt, va_list ap);
void cong_config_report(cong_config_report_t *rep, int line, const char *key, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
/** Out of memory: the reading stops and ends with CONG_ENOMEM. */
void cong_config_report_nomem(cong_config_report_t *rep);
/** 0, CONG_EPARSE when errors were reported, CONG_ENOMEM. */
int cong_config_report_result(const cong_config_report_t *rep);

/** Copies a key or variable name for an error line (out holds CONG_CONFIG_KEY_MAX + 4): unprintable bytes become '?',
 *  long names end with "...". */
void cong_config_printable_name(char *out, const char *name, size_t len);

#endif
