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
    uint32_t *word = malloc((len + 3) * sizeof *word);
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
    qsort(t, n, sizeof *t, compare_trgm);
    size_t k = 1;
    for (size_t i = 1; i < n; i++)
        if (t[i] != t[k - 1])
            t[k++] = t[i];
    return k;
}

static inline float calc_sml(int count, int len1, int len2)
{
    return (float)count / (float)(len1 + len2 - count); /* pg_trgm's CALCSML, in float4 */
}

#define FOUND(i) (in_query[keys[i] & ~CATALOG_TRGM_FIRST]) /* position i holds one of the query's trigrams */

/* 0 when no extent of the text can reach the threshold, so no run of pg_trgm's loop can (every value it computes is
 * that of an extent: count / (nquery + ulen2 - count)). An extent reaches 0.6 only if 5 count >= 3 (nquery + ulen2 -
 * count); count is at most the extent's found trigrams (each +5), ulen2 - count at least the extent's unfound trigrams
 * seen there for the first time in the text (each -3): the best extent's sum (Kadane) bounds 5 count - 3 (ulen2 -
 * count). Integers, so below 3 nquery the float similarity is below 0.6f by far more than a rounding. */
static int may_reach_threshold(size_t nquery, const catalog_trgm_text_t *text, const uint32_t *keys,
                               const unsigned char *in_query)
{
    long cur = 0, need = 3 * (long)nquery;
    for (size_t i = 0; i < text->nseq; i++) {
        cur += FOUND(i) ? 5 : (keys[i] & CATALOG_TRGM_FIRST) ? -3 : 0;
        if (cur < 0)
            cur = 0;
        if (cur >= need)
            return 1;
    }
    return 0;
}

/* The same bound for any tau, in double: weights +1 per query trigram and -tau' per other trigram seen for the first
 * time, tau' = tau - 1e-6. A best sum below tau' nquery gives every extent count / (nquery + n) < tau', which as a
 * float (rounded by 2^-24 of it at most) stays below tau; the 1e-9 slack absorbs the double sums' own rounding. */
static int may_reach(size_t nquery, const catalog_trgm_text_t *text, const uint32_t *keys,
                     const unsigned char *in_query, float tau)
{
    double t = (double)tau - 1e-6, cur = 0.0, need = t * (double)nquery - 1e-9;
    for (size_t i = 0; i < text->nseq; i++) {
        cur += FOUND(i) ? 1.0 : (keys[i] & CATALOG_TRGM_FIRST) ? -t : 0.0;
        if (cur < 0.0)
            cur = 0.0;
        if (cur >= need)
            return 1;
    }
    return 0;
}

/* calc_word_similarity's loop (iterate_word_similarity, plain, not strict); check_only: pg_trgm's
 * WORD_SIMILARITY_CHECK_ONLY (stops once the threshold is reached; then only "at least the threshold" is meaningful in
 * the value returned).
 *
 * pg_trgm's inner loop tries every lower bound tmp_lower of the extent [tmp_lower, upper] and keeps the first that
 * strictly improves; this one evaluates only where that choice can be made, with the same result: moving tmp_lower
 * past the last occurrence of a trigram the query lacks lowers ulen2 and raises the value strictly (count >= 1: the
 * extent holds upper; count / (ulen1 + n) and count / (ulen1 + n - 1) are distinct floats for any n this side of
 * 2^23), past any other position changes nothing, past the last occurrence of one of the query's trigrams lowers the
 * value. So between two such query trigrams the values only grow, and the first of them that pg_trgm would keep is
 * the last: the state reached just before the query trigram is removed, first taken at `first` (the position after
 * the last change). One division per query trigram of the extent instead of one per position. */
static float word_similarity(size_t nquery, const catalog_trgm_text_t *text, const uint32_t *keys,
                             const unsigned char *in_query, int *lastpos, int check_only)
{
    for (size_t id = 0; id < text->ndistinct; id++)
        lastpos[id] = -1;
    const uint16_t *idx = text->seq;
    int ulen1 = (int)nquery, ulen2 = 0, count = 0, upper = -1, lower = -1, i = 0;
    float smlr_max = 0.0f;
    while (i < (int)text->nseq && !FOUND(i))
        i++; /* before the first of the query's trigrams nothing is tracked */
    for (; i < (int)text->nseq; i++) {
        int t = idx[i], found = FOUND(i);
        if (lastpos[t] < 0) {
            ulen2++;
            count += found;
        }
        lastpos[t] = i;
        if (!found)
            continue;
        upper = i;
        if (lower == -1) {
            lower = i;
            ulen2 = 1;
        }
        float smlr_cur = calc_sml(count, ulen1, ulen2);
        int tmp_count = count, tmp_ulen2 = ulen2, prev_lower = lower, first = lower;
        /* the most any later extent of this loop can give: its count only falls and its ulen2 - count is >= 0, so
         * its similarity is <= tmp_count / ulen1 (float division is monotonic); once that cannot beat smlr_cur no
         * later step changes anything (improvements are strict): stopping there gives pg_trgm's very result */
        float reachable = calc_sml(tmp_count, ulen1, tmp_count);
        for (int tmp_lower = lower; tmp_lower <= upper && reachable > smlr_cur; tmp_lower++) {
            if (lastpos[idx[tmp_lower]] != tmp_lower)
                continue; /* not the last occurrence in the extent: removing it changes nothing */
            if (!FOUND(tmp_lower)) {
                tmp_ulen2--;
                first = tmp_lower + 1;
                continue;
            }
            float smlr_tmp = calc_sml(tmp_count, ulen1, tmp_ulen2); /* the extents [first, tmp_lower] .. upper */
            if (smlr_tmp > smlr_cur) {
                smlr_cur = smlr_tmp;
                ulen2 = tmp_ulen2;
                lower = first;
                count = tmp_count;
            }
            if (check_only && smlr_cur >= CATALOG_TRGM_WORD_THRESHOLD)
                break;
            tmp_ulen2--;
            tmp_count--;
            first = tmp_lower + 1;
            reachable = calc_sml(tmp_count, ulen1, tmp_count);
        }
        if (smlr_cur > smlr_max)
            smlr_max = smlr_cur;
        if (check_only && smlr_max >= CATALOG_TRGM_WORD_THRESHOLD)
            break;
        for (int tmp_lower = prev_lower; tmp_lower < lower; tmp_lower++) {
            int tt = idx[tmp_lower];
            if (lastpos[tt] == tmp_lower)
                lastpos[tt] = -1;
        }
    }
    return smlr_max;
}

float catalog_trgm_word_similarity_keyed(size_t nquery, const catalog_trgm_text_t *text, const uint32_t *keys,
                                         const unsigned char *in_query, int *lastpos)
{
    return word_similarity(nquery, text, keys, in_query, lastpos, 0);
}

int catalog_trgm_word_similar_keyed(size_t nquery, const catalog_trgm_text_t *text, const uint32_t *keys,
                                    const unsigned char *in_query, int *lastpos)
{
    return may_reach_threshold(nquery, text, keys, in_query) &&
           word_similarity(nquery, text, keys, in_query, lastpos, 1) >= CATALOG_TRGM_WORD_THRESHOLD;
}

int catalog_trgm_may_reach_keyed(size_t nquery, const catalog_trgm_text_t *text, const uint32_t *keys,
                                 const unsigned char *in_query, float tau)
{
    return tau <= 0.0f || may_reach(nquery, text, keys, in_query, tau);
}

/* The text numbered by its own ids: keys[i] = seq[i] (| CATALOG_TRGM_FIRST at a first occurrence), and found[id] set
 * where the text's trigram is one of the query's (both sorted: a merge); NULL when out of memory. */
static uint32_t *own_keys(const catalog_trgm_t *query, size_t nquery, const catalog_trgm_text_t *text,
                          unsigned char *found)
{
    uint32_t *keys = malloc((text->nseq + 1) * sizeof *keys);
    if (keys == NULL)
        return NULL;
    size_t a = 0;
    for (size_t id = 0; id < text->ndistinct; id++) {
        while (a < nquery && query[a] < text->distinct[id])
            a++;
        found[id] = 0x80 | (a < nquery && query[a] == text->distinct[id]); /* 0x80: not seen yet */
    }
    for (size_t i = 0; i < text->nseq; i++) {
        keys[i] = text->seq[i] | ((found[text->seq[i]] & 0x80) ? CATALOG_TRGM_FIRST : 0);
        found[text->seq[i]] &= 1;
    }
    return keys;
}

float catalog_trgm_word_similarity(const catalog_trgm_t *query, size_t nquery, const catalog_trgm_text_t *text,
                                   unsigned char *found, int *lastpos)
{
    uint32_t *keys = own_keys(query, nquery, text, found);
    float sim = keys != NULL ? word_similarity(nquery, text, keys, found, lastpos, 0) : -1.0f;
    free(keys);
    return sim;
}

int catalog_trgm_word_similar(const catalog_trgm_t *query, size_t nquery, const catalog_trgm_text_t *text,
                              unsigned char *found, int *lastpos)
{
    uint32_t *keys = own_keys(query, nquery, text, found);
    int similar = keys != NULL && catalog_trgm_word_similar_keyed(nquery, text, keys, found, lastpos);
    free(keys);
    return similar;
}
