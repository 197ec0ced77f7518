#include "standin_form.h"

#include <stdlib.h>

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
