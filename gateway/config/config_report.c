/* Error lines of the configuration (contract in config_report.h and, for the public calls, config.h). */
#include "config_report.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cong/module.h"

static int append_line(cong_config_errors_t *errs, char *text)
{
    char **grown = realloc(errs->lines, (errs->count + 1) * sizeof *grown);
    if (!grown) {
        free(text);
        return CONG_ENOMEM;
    }
    errs->lines = grown;
    errs->lines[errs->count++] = text;
    return 0;
}

static int append_errorv(cong_config_errors_t *errs, const char *file, int line, const char *key, const char *fmt,
                         va_list ap)
{
    if (!errs)
        return 0;
    char *message = NULL, *text = NULL;
    if (vasprintf(&message, fmt, ap) < 0)
        return CONG_ENOMEM;
    int n = asprintf(&text, "%s:%d: %s: %s", file ? file : "(config)", line, key ? key : "(config)", message);
    free(message);
    return n < 0 ? CONG_ENOMEM : append_line(errs, text);
}

int cong_config_error_line(cong_config_errors_t *errs, const char *fmt, ...)
{
    char *text = NULL;
    va_list ap;
    va_start(ap, fmt);
    int n = vasprintf(&text, fmt, ap);
    va_end(ap);
    return n < 0 ? CONG_ENOMEM : append_line(errs, text);
}

int cong_config_error(cong_config_errors_t *errs, const char *file, int line, const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int r = append_errorv(errs, file, line, key, fmt, ap);
    va_end(ap);
    return r;
}

void cong_config_errors_free(cong_config_errors_t *errs)
{
    if (!errs)
        return;
    for (size_t i = 0; i < errs->count; i++)
        free(errs->lines[i]);
    free(errs->lines);
    *errs = (cong_config_errors_t){0};
}

void cong_config_reportv(cong_config_report_t *rep, int line, const char *key, const char *fmt, va_list ap)
{
    if (rep->stop)
        return;
    if (append_errorv(rep->errs, rep->file, line, key, fmt, ap) != 0) {
        rep->nomem = rep->stop = 1;
        return;
    }
    if (++rep->count < CONG_CONFIG_MAX_ERRORS)
        return;
    if (cong_config_error(rep->errs, rep->file, line, "(config)", "too many errors, giving up") != 0)
        rep->nomem = 1;
    rep->stop = 1;
}

void cong_config_report(cong_config_report_t *rep, int line, const char *key, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    cong_config_reportv(rep, line, key, fmt, ap);
    va_end(ap);
}

void cong_config_report_nomem(cong_config_report_t *rep)
{
    rep->nomem = rep->stop = 1;
}

int cong_config_report_result(const cong_config_report_t *rep)
{
    return rep->nomem ? CONG_ENOMEM : rep->count ? CONG_EPARSE : 0;
}

void cong_config_printable_name(char *out, const char *name, size_t len)
{
    size_t shown = len <= CONG_CONFIG_KEY_MAX ? len : CONG_CONFIG_KEY_MAX;
    for (size_t i = 0; i < shown; i++)
        out[i] = name[i] >= 0x20 && name[i] <= 0x7e ? name[i] : '?';
    strcpy(out + shown, len > shown ? "..." : "");
}
