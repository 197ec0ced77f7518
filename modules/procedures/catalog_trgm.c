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

/* found[id]: the text's trigram id is one of the query's (both arrays sorted: a merge) */
static void mark_found(const catalog_trgm_t *query, size_t nquery, const catalog_trgm_text_t *text,
                       unsigned char *found)
{
    size_t a = 0;
    for (size_t id = 0; id < text->ndistinct; id++) {
        while (a < nquery && query[a] < text->distinct[id])
            a++;
        found[id] = a < nquery && query[a] == text->distinct[id];
    }
}

/* 0 when no extent of the text can reach the threshold, so no run of pg_trgm's loop can (every value it computes is
 * that of an extent: count / (nquery + ulen2 - count)). An extent reaches 0.6 only if 5 count >= 3 (nquery + ulen2 -
 * count); count is at most the extent's found trigrams (each +5), ulen2 - count at least the extent's unfound trigrams
 * seen there for the first time in the text (each -3): the best extent's sum (Kadane) bounds 5 count - 3 (ulen2 -
 * count). Integers, so below 3 nquery the float similarity is below 0.6f by far more than a rounding. `seen` is
 * scratch of text->ndistinct entries. */
static int may_reach_threshold(size_t nquery, const catalog_trgm_text_t *text, const unsigned char *found, int *seen)
{
    memset(seen, 0, text->ndistinct * sizeof *seen);
    long cur = 0, need = 3 * (long)nquery;
    for (size_t i = 0; i < text->nseq; i++) {
        int t = text->seq[i];
        cur += found[t] ? 5 : seen[t] ? 0 : -3;
        seen[t] = 1;
        if (cur < 0)
            cur = 0;
        if (cur >= need)
            return 1;
    }
    return 0;
}

/* calc_word_similarity, found[] already marked (mark_found); check_only: pg_trgm's WORD_SIMILARITY_CHECK_ONLY (stops
 * once the threshold is reached) */
static float word_similarity(size_t nquery, const catalog_trgm_text_t *text, const unsigned char *found, int *lastpos,
                             int check_only)
{
    for (size_t id = 0; id < text->ndistinct; id++)
        lastpos[id] = -1;
    /* iterate_word_similarity, plain (not strict), full maximum (not CHECK_ONLY): the same loop, the same floats */
    const uint16_t *idx = text->seq;
    int ulen1 = (int)nquery, ulen2 = 0, count = 0, upper = -1, lower = -1;
    float smlr_max = 0.0f;
    for (int i = 0; i < (int)text->nseq; i++) {
        int t = idx[i];
        if (lower >= 0 || found[t]) {
            if (lastpos[t] < 0) {
                ulen2++;
                if (found[t])
                    count++;
            }
            lastpos[t] = i;
        }
        if (!found[t])
            continue;
        upper = i;
        if (lower == -1) {
            lower = i;
            ulen2 = 1;
        }
        float smlr_cur = calc_sml(count, ulen1, ulen2);
        int tmp_count = count, tmp_ulen2 = ulen2, prev_lower = lower;
        /* the most any later extent of this loop can give: its count only falls and its ulen2 - count is >= 0, so
         * its similarity is <= tmp_count / ulen1 (float division is monotonic); once that cannot beat smlr_cur no
         * later step changes anything (improvements are strict): stopping there gives pg_trgm's very result */
        float reachable = calc_sml(tmp_count, ulen1, tmp_count);
        for (int tmp_lower = lower; tmp_lower <= upper; tmp_lower++) {
            if (reachable <= smlr_cur)
                break;
            float smlr_tmp = calc_sml(tmp_count, ulen1, tmp_ulen2);
            if (smlr_tmp > smlr_cur) {
                smlr_cur = smlr_tmp;
                ulen2 = tmp_ulen2;
                lower = tmp_lower;
                count = tmp_count;
            }
            if (check_only && smlr_cur >= CATALOG_TRGM_WORD_THRESHOLD)
                break;
            int tt = idx[tmp_lower];
            if (lastpos[tt] == tmp_lower) {
                tmp_ulen2--;
                if (found[tt]) {
                    tmp_count--;
                    reachable = calc_sml(tmp_count, ulen1, tmp_count);
                }
            }
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

float catalog_trgm_word_similarity(const catalog_trgm_t *query, size_t nquery, const catalog_trgm_text_t *text,
                                   unsigned char *found, int *lastpos)
{
    mark_found(query, nquery, text, found);
    return catalog_trgm_word_similarity_found(nquery, text, found, lastpos);
}

int catalog_trgm_word_similar(const catalog_trgm_t *query, size_t nquery, const catalog_trgm_text_t *text,
                              unsigned char *found, int *lastpos)
{
    mark_found(query, nquery, text, found);
    return catalog_trgm_word_similar_found(nquery, text, found, lastpos);
}

float catalog_trgm_word_similarity_found(size_t nquery, const catalog_trgm_text_t *text, const unsigned char *found,
                                         int *lastpos)
{
    return word_similarity(nquery, text, found, lastpos, 0);
}

int catalog_trgm_word_similar_found(size_t nquery, const catalog_trgm_text_t *text, const unsigned char *found,
                                    int *lastpos)
{
    if (!may_reach_threshold(nquery, text, found, lastpos))
        return 0;
    return word_similarity(nquery, text, found, lastpos, 1) >= CATALOG_TRGM_WORD_THRESHOLD;
}
