/* modules/procedures/catalog_trgm.c — see catalog_trgm.h. */
#include "catalog_trgm.h"

#include <stdlib.h>
#include <string.h>

#include "catalog_fold.h"

/* make_trigrams on one padded word: "  " word " " (LPADDING 2, RPADDING 1). */
static size_t word_trigrams(const uint32_t *cps, size_t n, catalog_trgm_t *out)
{
    size_t k = 0;
    for (size_t i = 0; i + 2 < n; i++)
        out[k++] = ((catalog_trgm_t)cps[i] << 42) | ((catalog_trgm_t)cps[i + 1] << 21) | cps[i + 2];
    return k;
}

size_t catalog_trgm_extract(const char *text, size_t len, catalog_trgm_t *out)
{
    uint32_t small[256]; /* a query's word, a token: no allocation */
    uint32_t *word = len + 3 <= 256 ? small : malloc((len + 3) * sizeof *word);
    if (word == NULL)
        return 0;
    size_t i = 0, n = 0, count = 0;
    int ok = 1;
    while (ok) {
        uint32_t cp = ' ';
        ok = i < len && catalog_utf8_next(text, len, &i, &cp) == 0;
        if (ok && catalog_fold_is_word(cp)) {
            if (n == 0)
                word[n++] = ' ', word[n++] = ' ';
            word[n++] = cp;
            continue;
        }
        if (n > 0) {
            word[n++] = ' ';
            count += word_trigrams(word, n, out + count);
            n = 0;
        }
    }
    if (word != small)
        free(word);
    return count;
}

static int compare_trgm(const void *a, const void *b)
{
    catalog_trgm_t x = *(const catalog_trgm_t *)a, y = *(const catalog_trgm_t *)b;
    return x < y ? -1 : x > y;
}

size_t catalog_trgm_unique(catalog_trgm_t *t, size_t n)
{
    if (n < 2)
        return n;
    if (n <= 48) { /* a query's words: an insertion sort beats qsort's calls */
        for (size_t i = 1; i < n; i++) {
            catalog_trgm_t x = t[i];
            size_t j = i;
            for (; j > 0 && t[j - 1] > x; j--)
                t[j] = t[j - 1];
            t[j] = x;
        }
    } else {
        qsort(t, n, sizeof *t, compare_trgm);
    }
    size_t k = 1;
    for (size_t i = 1; i < n; i++)
        if (t[i] != t[k - 1])
            t[k++] = t[i];
    return k;
}
