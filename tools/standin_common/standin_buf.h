/*
 * tools/standin_common/standin_buf.h — the growable string the stand-ins build their pages, redirects and signed
 * strings in (vneid-standin, payment-standin). No h2o, no I/O: linked into the stand-ins' unit-tested parts too.
 *
 * Contract: a zeroed standin_buf_t is empty and ready; data is NUL-terminated once anything was added and while
 * `failed` is 0. Memory running out sets `failed` and drops every later addition (the contents are then incomplete:
 * check `failed` before using them). The owner frees data with standin_buf_free. Not thread-safe (one owner).
 */
#ifndef STANDIN_BUF_H
#define STANDIN_BUF_H

#include <stddef.h>

typedef struct standin_buf {
    char *data;
    size_t len, cap;
    int failed;
} standin_buf_t;

void standin_buf_add(standin_buf_t *b, const char *s);
void standin_buf_add_n(standin_buf_t *b, const char *s, size_t n);
void standin_buf_printf(standin_buf_t *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/** s with & < > " ' escaped, for HTML text and attribute values. */
void standin_buf_add_html(standin_buf_t *b, const char *s);
void standin_buf_free(standin_buf_t *b);

#endif
