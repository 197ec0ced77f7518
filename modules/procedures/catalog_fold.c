/* modules/procedures/catalog_fold.c — see catalog_fold.h. */
#include "catalog_fold.h"

#include <string.h>

int catalog_utf8_next(const char *s, size_t len, size_t *i, uint32_t *cp)
{
    const unsigned char *p = (const unsigned char *)s + *i;
    size_t left = len - *i;
    uint32_t c = p[0];
    size_t n = c < 0x80 ? 1 : (c & 0xE0) == 0xC0 ? 2 : (c & 0xF0) == 0xE0 ? 3 : (c & 0xF8) == 0xF0 ? 4 : 0;
    if (n == 0 || n > left || c == 0)
        return -1;
    if (n > 1) {
        c &= 0x3F >> (n - 1);
        for (size_t k = 1; k < n; k++) {
            if ((p[k] & 0xC0) != 0x80)
                return -1;
            c = (c << 6) | (p[k] & 0x3F);
        }
        static const uint32_t least[] = {0, 0, 0x80, 0x800, 0x10000};
        if (c < least[n] || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF))
            return -1;
    }
    *cp = c;
    *i += n;
    return 0;
}

static const char *fold_of(uint32_t cp)
{
    size_t lo = 0, hi = catalog_fold_map_count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (catalog_fold_map[mid].cp == cp)
            return catalog_fold_map[mid].to;
        if (catalog_fold_map[mid].cp < cp)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

static int is_space(uint32_t cp)
{
    if (cp > ' ' && cp < 0x80)
        return 0; /* printable ASCII: no space (every query is mostly these) */
    for (size_t k = 0; k < catalog_fold_spaces_count; k++)
        if (catalog_fold_spaces[k] == cp)
            return 1;
    return 0;
}

int catalog_fold_is_word(uint32_t cp)
{
    if (cp < 0x80)
        return (cp >= 'a' && cp <= 'z') || (cp >= 'A' && cp <= 'Z') || (cp >= '0' && cp <= '9');
    size_t lo = 0, hi = catalog_fold_nonword_count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (cp < catalog_fold_nonword[mid][0])
            hi = mid;
        else if (cp > catalog_fold_nonword[mid][1])
            lo = mid + 1;
        else
            return 0;
    }
    return 1;
}

/* cong_fold: every codepoint on its own (ASCII: lower case; others: the generated map, else unchanged). */
static long fold(const char *in, size_t len, char *out, size_t cap)
{
    size_t i = 0, o = 0;
    while (i < len) {
        uint32_t cp;
        size_t start = i;
        if (catalog_utf8_next(in, len, &i, &cp) != 0)
            return -1;
        const char *to = cp >= 0x80 ? fold_of(cp) : NULL;
        size_t n = to != NULL ? strlen(to) : i - start;
        if (o + n + 1 > cap)
            return -1;
        if (to != NULL)
            memcpy(out + o, to, n);
        else if (cp >= 'A' && cp <= 'Z')
            out[o] = (char)(cp + ('a' - 'A'));
        else
            memcpy(out + o, in + start, n);
        o += n;
    }
    out[o] = '\0';
    return (long)o;
}

long catalog_fold_query(const char *in, size_t len, char *out, size_t cap)
{
    long folded = fold(in, len, out, cap);
    if (folded < 0)
        return -1;
    /* \s+ -> ' ' then btrim(' '), in place: the result is never longer */
    size_t i = 0, o = 0, n = (size_t)folded;
    int pending_space = 0;
    while (i < n) {
        uint32_t cp;
        size_t start = i;
        if (catalog_utf8_next(out, n, &i, &cp) != 0)
            return -1;
        if (is_space(cp)) {
            pending_space = o > 0;
            continue;
        }
        if (pending_space)
            out[o++] = ' ';
        pending_space = 0;
        memmove(out + o, out + start, i - start);
        o += i - start;
    }
    out[o] = '\0';
    return (long)o;
}
