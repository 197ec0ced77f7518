/* modules/procedures/catalog_trgm.c: pg_trgm's trigrams and word_similarity, the values PostgreSQL 15 gives. */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "modules/procedures/catalog_trgm.h"

static catalog_trgm_t tri(const char *s)
{
    return ((catalog_trgm_t)(unsigned char)s[0] << 42) | ((catalog_trgm_t)(unsigned char)s[1] << 21) |
           (unsigned char)s[2];
}

/* word_similarity(q, text), or (check) q <% text, preparing both as the index does */
static float measure(const char *q, const char *text, int check)
{
    size_t qn = strlen(q), tn = strlen(text);
    catalog_trgm_t *query = calloc(qn + 1, sizeof *query), *seq = calloc(tn + 1, sizeof *seq);
    catalog_trgm_t *distinct = calloc(tn + 1, sizeof *distinct);
    uint16_t *ids = calloc(tn + 1, sizeof *ids);
    unsigned char *found = calloc(tn + 1, 1);
    int *lastpos = calloc(tn + 1, sizeof *lastpos);
    size_t nq = catalog_trgm_unique(query, catalog_trgm_extract(q, qn, query));
    size_t n = catalog_trgm_extract(text, tn, seq);
    memcpy(distinct, seq, n * sizeof *seq);
    size_t nd = catalog_trgm_unique(distinct, n);
    for (size_t i = 0; i < n; i++)
        for (size_t k = 0; k < nd; k++)
            if (distinct[k] == seq[i])
                ids[i] = (uint16_t)k;
    catalog_trgm_text_t t = {distinct, nd, ids, n};
    float sim = check ? (float)catalog_trgm_word_similar(query, nq, &t, found, lastpos)
                      : catalog_trgm_word_similarity(query, nq, &t, found, lastpos);
    free(query), free(seq), free(distinct), free(ids), free(found), free(lastpos);
    return sim;
}

static float similarity(const char *q, const char *text)
{
    return measure(q, text, 0);
}

static void test_trigrams_of_padded_words(void **state)
{
    (void)state;
    catalog_trgm_t t[16];
    assert_int_equal(catalog_trgm_extract("ab", 2, t), 3); /* show_trgm('ab'): {"  a"," ab","ab "} */
    assert_true(t[0] == tri("  a") && t[1] == tri(" ab") && t[2] == tri("ab "));
    assert_int_equal(catalog_trgm_extract("a-b.c", 5, t), 6); /* three words of one letter, two trigrams each */
    assert_int_equal(catalog_trgm_extract("--", 2, t), 0);
    t[0] = 5, t[1] = 3, t[2] = 5;
    assert_int_equal(catalog_trgm_unique(t, 3), 2);
}

static void test_word_similarity_equals_postgresql(void **state)
{
    (void)state;
    /* SELECT word_similarity(...) on PostgreSQL 15 with pg_trgm: the same float4, bit for bit */
    assert_true(similarity("word", "two words") == 0.8f);
    assert_true(similarity("dang ky khai sjnh", "dang ky khai sinh birth registration 1.001193") == 0.7647059f);
    assert_true(similarity("khai", "dang ky khai sinh") == 1.0f);
    assert_true(similarity("xyz", "dang ky") == 0.0f);
    assert_true(similarity("cap lai", "cap doi giay phep lai xe") == 0.5f);
    assert_true(similarity("giay phep xay dung", "cap giay phep xay dung nha o rieng le") == 1.0f);
    assert_true(similarity("!!!", "dang ky") == 0.0f); /* no trigram at all */
}

static void test_the_operator_stops_at_the_threshold(void **state)
{
    (void)state;
    assert_true(measure("dang ky khai sjnh", "dang ky khai sinh birth registration 1.001193", 1) == 1.0f); /* 0.76 */
    assert_true(measure("cap lai", "cap doi giay phep lai xe", 1) == 0.0f);                             /* 0.5 */
    assert_true(measure("word", "two words", 1) == 1.0f);                                               /* 0.8 */
}

/* pg_trgm's iterate_word_similarity as written (no bounds): the reference the bounded loop must equal, float for float */
static float reference(const catalog_trgm_t *query, size_t nq, const catalog_trgm_text_t *text, int check_only)
{
    unsigned char found[256];
    int lastpos[256], ulen1 = (int)nq, ulen2 = 0, count = 0, upper = -1, lower = -1;
    for (size_t id = 0; id < text->ndistinct; id++) {
        found[id] = 0, lastpos[id] = -1;
        for (size_t k = 0; k < nq; k++)
            found[id] |= query[k] == text->distinct[id];
    }
    float max = 0.0f;
    for (int i = 0; i < (int)text->nseq; i++) {
        int t = text->seq[i];
        if (lower >= 0 || found[t]) {
            if (lastpos[t] < 0) {
                ulen2++;
                count += found[t];
            }
            lastpos[t] = i;
        }
        if (!found[t])
            continue;
        upper = i;
        if (lower == -1)
            lower = i, ulen2 = 1;
        float cur = (float)count / (float)(ulen1 + ulen2 - count);
        int tc = count, tu = ulen2, prev_lower = lower;
        for (int tl = lower; tl <= upper; tl++) {
            float tmp = (float)tc / (float)(ulen1 + tu - tc);
            if (tmp > cur)
                cur = tmp, ulen2 = tu, lower = tl, count = tc;
            if (check_only && cur >= CATALOG_TRGM_WORD_THRESHOLD)
                break;
            int tt = text->seq[tl];
            if (lastpos[tt] == tl)
                tu--, tc -= found[tt];
        }
        max = cur > max ? cur : max;
        if (check_only && max >= CATALOG_TRGM_WORD_THRESHOLD)
            break;
        for (int tl = prev_lower; tl < lower; tl++)
            if (lastpos[text->seq[tl]] == tl)
                lastpos[text->seq[tl]] = -1;
    }
    return max;
}

/* The text numbered by its own ids, as catalog_search numbers it by the index's keys: keys[i] = seq[i], flagged at
 * the trigram's first occurrence; in_query[id] 1 for the query's trigrams */
static void keyed(const catalog_trgm_t *query, size_t nq, const catalog_trgm_text_t *t, uint32_t *keys,
                  unsigned char *in_query)
{
    for (size_t id = 0; id < t->ndistinct; id++) {
        in_query[id] = 0;
        for (size_t k = 0; k < nq; k++)
            in_query[id] |= query[k] == t->distinct[id];
    }
    unsigned char seen[1040] = {0};
    for (size_t i = 0; i < t->nseq; i++) {
        keys[i] = t->seq[i] | (seen[t->seq[i]] ? 0 : CATALOG_TRGM_FIRST);
        seen[t->seq[i]] = 1;
    }
}

/* The bounds (an extent scan stopped once it cannot improve, evaluated only where pg_trgm's choice can change; texts
 * skipped when no extent can reach 0.6 or a given tau) change no result: random texts and queries of a few short words
 * (repeats, words sharing trigrams, digits), against the unbounded loop, both forms, both ways of numbering. */
static void test_the_bounds_change_nothing(void **state)
{
    (void)state;
    static const char *words[] = {"dang", "ky", "khai", "sinh", "cap", "lai", "giay", "phep", "xay", "dung", "1", "12",
                                  "123", "an", "dan", "dang", "kyc", "sinhs", "phepx", "ang", "31998", "9", "doi"};
    const int nwords = (int)(sizeof words / sizeof *words);
    srand(17);
    for (int round = 0; round < 20000; round++) {
        char q[160] = "", text[1024] = "";
        for (int w = 0, n = 1 + rand() % 6; w < n; w++)
            strcat(strcat(q, w ? " " : ""), words[rand() % nwords]);
        for (int w = 0, n = 1 + rand() % (round % 2 ? 24 : 60); w < n; w++)
            strcat(strcat(text, w ? " " : ""), words[rand() % nwords]);
        catalog_trgm_t query[200], seq[1040], distinct[1040];
        uint16_t ids[1040];
        uint32_t keys[1040];
        unsigned char found[1040];
        int lastpos[1040];
        size_t nq = catalog_trgm_unique(query, catalog_trgm_extract(q, strlen(q), query));
        size_t n = catalog_trgm_extract(text, strlen(text), seq);
        memcpy(distinct, seq, n * sizeof *seq);
        size_t nd = catalog_trgm_unique(distinct, n);
        for (size_t i = 0; i < n; i++)
            for (size_t k = 0; k < nd; k++)
                if (distinct[k] == seq[i])
                    ids[i] = (uint16_t)k;
        catalog_trgm_text_t t = {distinct, nd, ids, n};
        float want = reference(query, nq, &t, 0);
        int want_hit = reference(query, nq, &t, 1) >= CATALOG_TRGM_WORD_THRESHOLD;
        assert_true(catalog_trgm_word_similarity(query, nq, &t, found, lastpos) == want);
        assert_int_equal(catalog_trgm_word_similar(query, nq, &t, found, lastpos), want_hit);
        assert_int_equal(want_hit, want >= CATALOG_TRGM_WORD_THRESHOLD);
        keyed(query, nq, &t, keys, found);
        assert_true(catalog_trgm_word_similarity_keyed(nq, &t, keys, found, lastpos) == want);
        assert_int_equal(catalog_trgm_word_similar_keyed(nq, &t, keys, found, lastpos), want_hit);
        /* a bound may only say "below tau" when it is: at the similarity itself, the next float, and anywhere */
        assert_true(catalog_trgm_may_reach_keyed(nq, &t, keys, found, want));
        float tau = (float)(rand() % 1001) / 1000.0f;
        if (!catalog_trgm_may_reach_keyed(nq, &t, keys, found, tau))
            assert_true(want < tau);
        if (!catalog_trgm_may_reach_keyed(nq, &t, keys, found, nextafterf(want, 2.0f)))
            assert_true(want < nextafterf(want, 2.0f));
    }
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_trigrams_of_padded_words),
        cmocka_unit_test(test_word_similarity_equals_postgresql),
        cmocka_unit_test(test_the_operator_stops_at_the_threshold),
        cmocka_unit_test(test_the_bounds_change_nothing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
