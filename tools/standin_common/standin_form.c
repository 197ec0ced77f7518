#include "standin_form.h"

#include <stdlib.h>
#include <string.h>

#include "common/hex.h"

char *standin_form_decode(const char *s, size_t len, int *bad)
{
    char *out = malloc(len + 1);
    size_t o = 0;
    for (size_t i = 0; out && i < len; i++) {
        if (s[i] == '+') {
            out[o++] = ' ';
        } else if (s[i] != '%') {
            out[o++] = s[i];
        } else {
            int hi = i + 2 < len ? cong_hex_digit(s[i + 1]) : -1;
            int lo = hi >= 0 ? cong_hex_digit(s[i + 2]) : -1;
            if (hi < 0 || lo < 0 || (hi == 0 && lo == 0)) {
                free(out);
                *bad = 1;
                return NULL;
            }
            out[o++] = (char)(hi << 4 | lo);
            i += 2;
        }
    }
    if (out)
        out[o] = '\0';
    return out;
}

int standin_form_each(const char *text, size_t len, size_t max_fields, int (*field)(void *ctx, char *name, char *value),
                      void *ctx)
{
    size_t i = 0, count = 0;
    while (i < len) {
        const char *f = text + i;
        const char *amp = memchr(f, '&', len - i);
        size_t field_len = amp ? (size_t)(amp - f) : len - i;
        i += field_len + 1;
        if (field_len == 0)
            continue;
        if (count == max_fields)
            return STANDIN_FORM_TOO_MANY;
        const char *eq = memchr(f, '=', field_len);
        size_t name_len = eq ? (size_t)(eq - f) : field_len;
        int bad = 0;
        char *name = standin_form_decode(f, name_len, &bad);
        char *value = name ? standin_form_decode(eq ? eq + 1 : "", eq ? field_len - name_len - 1 : 0, &bad) : NULL;
        if (!name || !value) {
            free(name);
            return bad ? STANDIN_FORM_BAD : STANDIN_FORM_NO_MEMORY;
        }
        count++;
        int stop = field(ctx, name, value);
        if (stop != 0)
            return stop;
    }
    return 0;
}
