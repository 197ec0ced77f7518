/*
 * tools/standin_common/standin_form.h — decoding what browsers and merchants send the stand-ins as
 * application/x-www-form-urlencoded (a query string or a form body). No h2o, no I/O (common/hex.h's digits): linked
 * into the stand-ins' unit-tested parts too. Each stand-in keeps its own parameter table; this is the one decoder of a component.
 */
#ifndef STANDIN_FORM_H
#define STANDIN_FORM_H

#include <stddef.h>

/** One name or value (len bytes at s, not NUL-terminated) with '+' as space and %XX decoded, into a malloc'd
 *  NUL-terminated string the caller frees. NULL with *bad set on a malformed escape or %00 (which would cut the
 *  string), NULL with *bad untouched when out of memory. */
char *standin_form_decode(const char *s, size_t len, int *bad);

#endif
