/*
 * tools/standin_common/standin_form.h — decoding what browsers and merchants send the stand-ins as
 * application/x-www-form-urlencoded (a query string or a form body). No h2o, no I/O (common/hex.h's digits): linked
 * into the stand-ins' unit-tested parts too. Each stand-in keeps its own parameter table; this is the one decoder and
 * splitter of a form. No state: callable from any thread.
 */
#ifndef STANDIN_FORM_H
#define STANDIN_FORM_H

#include <stddef.h>

/** One name or value (len bytes at s, not NUL-terminated) with '+' as space and %XX decoded, into a malloc'd
 *  NUL-terminated string the caller frees. NULL with *bad set on a malformed escape or %00 (which would cut the
 *  string), NULL with *bad untouched when out of memory. */
char *standin_form_decode(const char *s, size_t len, int *bad);

/* What standin_form_each returns besides 0 (every field handed over) and the handler's own stop value (> 0). */
#define STANDIN_FORM_BAD (-1)       /* a malformed escape or %00 */
#define STANDIN_FORM_TOO_MANY (-2)  /* a non-empty field after max_fields of them */
#define STANDIN_FORM_NO_MEMORY (-3)

/** Splits a form (len bytes at text) at '&', skips empty fields, and hands each field's decoded name and value
 *  (standin_form_decode; the value "" when the field has no '=') to field(ctx, name, value), which then owns both
 *  strings and returns 0 to go on or a positive value to stop (returned as is). At most max_fields are handed. */
int standin_form_each(const char *text, size_t len, size_t max_fields, int (*field)(void *ctx, char *name, char *value),
                      void *ctx);

#endif
