#include "standin_buf.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int reserve(standin_buf_t *b, size_t more)
{
    if (b->failed)
        return 0;
    if (b->len + more + 1 <= b->cap)
        return 1;
    size_t cap = b->cap ? b->cap : 256;
    while (cap < b->len + more + 1)
        cap *= 2;
    char *data = realloc(b->data, cap);
    if (!data) {
        b->failed = 1;
        return 0;
    }
    b->data = data;
    b->cap = cap;
    return 1;
}

void standin_buf_add_n(standin_buf_t *b, const char *s, size_t n)
{
    if (!reserve(b, n))
        return;
    memcpy(b->data + b->len, s, n);
    b->len += n;
    b->data[b->len] = '\0';
}

void standin_buf_add(standin_buf_t *b, const char *s)
{
    standin_buf_add_n(b, s, strlen(s));
}

void standin_buf_printf(standin_buf_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n < 0 || !reserve(b, (size_t)n)) {
        b->failed = 1;
        return;
    }
    va_start(ap, fmt);
    vsnprintf(b->data + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

void standin_buf_add_html(standin_buf_t *b, const char *s)
{
    for (; *s; s++) {
        switch (*s) {
        case '&': standin_buf_add(b, "&amp;"); break;
        case '<': standin_buf_add(b, "&lt;"); break;
        case '>': standin_buf_add(b, "&gt;"); break;
        case '"': standin_buf_add(b, "&quot;"); break;
        case '\'': standin_buf_add(b, "&#39;"); break;
        default: standin_buf_add_n(b, s, 1);
        }
    }
}

void standin_buf_free(standin_buf_t *b)
{
    free(b->data);
    *b = (standin_buf_t){0};
}
