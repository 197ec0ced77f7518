/*
 * tools/vneid_standin/form.h — application/x-www-form-urlencoded in (its field table, on standin_form.h's decoder)
 * and out (URL-encoding onto tools/standin_common's growable string, which also escapes HTML).
 */
#ifndef VS_FORM_H
#define VS_FORM_H

#include <stddef.h>

#include "standin_buf.h" /* the growable string its pages are built in */

#define VS_FORM_MAX_FIELDS 64

typedef struct vs_form {
    size_t count;
    char *names[VS_FORM_MAX_FIELDS];
    char *values[VS_FORM_MAX_FIELDS];
} vs_form_t;

typedef enum vs_form_result {
    VS_FORM_OK = 0,
    VS_FORM_BAD_ENCODING, /* a bad %-escape, %00, or too many fields */
    VS_FORM_DUPLICATE,    /* a parameter given twice (RFC 6749 §3.1 forbids it) */
    VS_FORM_NO_MEMORY,
} vs_form_result_t;

/** Parses name=value&... (a query string or a form body). Free with vs_form_free, also after an error. */
vs_form_result_t vs_form_parse(const char *text, size_t len, vs_form_t *form);
void vs_form_free(vs_form_t *form);
/** The decoded value, or NULL when absent. */
const char *vs_form_get(const vs_form_t *form, const char *name);

/** s percent-encoded for a URL query component (everything but the RFC 3986 unreserved set). */
void vs_buf_add_url(standin_buf_t *b, const char *s);

#endif
