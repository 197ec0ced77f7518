/*
 * modules/procedures/catalog_search.c — one search of a catalog index (see catalog_index.h for what it answers).
 * Reads the index only: any number of threads search one index at once. Scratch is the call's own (malloc).
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_fold.h"
#include "catalog_index_data.h"

typedef struct search_scratch {
    uint16_t *shared;      /* per doc: how many of the query's distinct trigrams it holds */
    unsigned char *substr; /* per doc: holds every word of q */
    uint64_t *keys;        /* the hits' rank keys */
    int *lastpos;
    unsigned char *in_query; /* per key of the trigram postings: one of the query's trigrams */
} search_scratch_t;

static const uint64_t *unit_set(const catalog_index_t *ix, const char *unit, size_t len, int *none)
{
    size_t lo = 0, hi = ix->nunits;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strncmp(ix->units[mid], unit, len);
        if (c == 0 && ix->units[mid][len] == '\0')
            return ix->unit_sets + mid * ix->set_words;
        if (c < 0 || (c == 0 && ix->units[mid][len] == '\0'))
            lo = mid + 1;
        else
            hi = mid;
    }
    *none = 1; /* no procedure names that unit */
    return NULL;
}

static int passes(const catalog_index_t *ix, size_t d, const catalog_search_args_t *a, const uint64_t *units)
{
    const catalog_doc_t *doc = &ix->docs[d];
    if (a->domain != NULL && (strncmp(doc->domain, a->domain, a->domain_len) != 0 || doc->domain[a->domain_len]))
        return 0;
    return units == NULL || (units[d / 64] >> (d % 64) & 1);
}

/* substr[d] = 1 for every doc whose search_text holds every word of q (q: words separated by one space). */
static void mark_substrings(const catalog_index_t *ix, const char *q, size_t qn, unsigned char *substr)
{
    const uint16_t *best = NULL;
    size_t best_n = (size_t)-1;
    for (size_t i = 0; i < qn;) {
        size_t wl = strcspn(q + i, " ");
        for (size_t j = 0; j + (wl < 3 ? wl : 3) <= wl; j++) {
            size_t n = 0;
            const uint16_t *docs = catalog_postings_find(&ix->grams, catalog_gram_key(q + i + j, wl < 3 ? wl : 3), &n);
            if (n < best_n)
                best = docs, best_n = n;
            if (wl < 3)
                break;
        }
        i += wl + 1;
    }
    for (size_t k = 0; best != NULL && k < best_n; k++) {
        const catalog_doc_t *doc = &ix->docs[best[k]];
        int all = 1;
        for (size_t i = 0; all && i < qn;) {
            size_t wl = strcspn(q + i, " ");
            all = memmem(doc->search_text, doc->search_len, q + i, wl) != NULL;
            i += wl + 1;
        }
        substr[best[k]] = (unsigned char)all;
    }
}

/* Higher ranks sort first: similarity desc, name_folded = q, starts with q, name length asc, code asc. The key's
 * low 34 bits (rank_tie) break ties of similarity; they do not depend on it. */
static uint64_t rank_tie(const catalog_doc_t *doc, size_t d, const char *q, size_t qn)
{
    int starts = doc->folded_len >= qn && memcmp(doc->name_folded, q, qn) == 0;
    int equal = starts && doc->folded_len == qn;
    return ((uint64_t)!equal << 33) | ((uint64_t)!starts << 32) | ((uint64_t)doc->length << 16) | d;
}

static uint64_t rank_key(float sim, uint64_t tie)
{
    uint32_t bits;
    memcpy(&bits, &sim, sizeof bits); /* a float in [0, 1]: its bits grow with it */
    return ((uint64_t)(0x3F800000u - bits) << 34) | tie;
}

static int ascii_word(unsigned char c)
{
    return c < 0x80 && catalog_fold_is_word(c);
}

/* q appears in the doc's search_text between non-word characters (ASCII ones, or the ends): that stretch has exactly
 * q's words, so its trigrams are q's, an extent whose similarity is 1 — the greatest there is. */
static int holds_query_as_words(const catalog_doc_t *doc, const char *q, size_t qn)
{
    if (!ascii_word((unsigned char)q[0]) || !ascii_word((unsigned char)q[qn - 1]))
        return 0;
    const char *end = doc->search_text + doc->search_len;
    for (const char *p = doc->search_text; (p = memmem(p, (size_t)(end - p), q, qn)) != NULL; p++) {
        int left = p == doc->search_text || ((unsigned char)p[-1] < 0x80 && !ascii_word((unsigned char)p[-1]));
        int right = p + qn == end || ((unsigned char)p[qn] < 0x80 && !ascii_word((unsigned char)p[qn]));
        if (left && right)
            return 1;
    }
    return 0;
}

/* Sorts n values (shared << 16 | doc, shared <= max) by shared, most first (a counting sort: no callbacks); `out` gets
 * them, `count` is scratch of max + 2. */
static void by_shared_desc(const uint32_t *in, size_t n, uint32_t *out, size_t *count, size_t max)
{
    memset(count, 0, (max + 2) * sizeof *count);
    for (size_t i = 0; i < n; i++)
        count[max - (in[i] >> 16) + 1]++;
    for (size_t k = 0; k <= max; k++)
        count[k + 1] += count[k];
    for (size_t i = 0; i < n; i++)
        out[count[max - (in[i] >> 16)]++] = in[i];
}

/* The `want` best rank keys so far (the least), a max-heap: its root is the want-th; a hit whose key can only be
 * greater cannot be among the first `want`. */
typedef struct top_keys {
    uint64_t *v;
    size_t n, want;
} top_keys_t;

static void top_keys_add(top_keys_t *t, uint64_t key)
{
    if (t->want == 0)
        return;
    size_t i;
    if (t->n == t->want) {
        if (key >= t->v[0])
            return;
        t->v[0] = key; /* replace the greatest, sift down */
        for (i = 0;;) {
            size_t l = 2 * i + 1, r = l + 1, m = i;
            if (l < t->n && t->v[l] > t->v[m])
                m = l;
            if (r < t->n && t->v[r] > t->v[m])
                m = r;
            if (m == i)
                return;
            uint64_t x = t->v[i];
            t->v[i] = t->v[m], t->v[m] = x, i = m;
        }
    }
    i = t->n++; /* append, sift up */
    t->v[i] = key;
    while (i > 0 && t->v[(i - 1) / 2] < t->v[i]) {
        uint64_t x = t->v[i];
        t->v[i] = t->v[(i - 1) / 2], t->v[(i - 1) / 2] = x, i = (i - 1) / 2;
    }
}

/* Adds a ranked hit: its key to the answer's keys and to the best `want`. */
static void ranked(search_scratch_t *s, size_t *n, top_keys_t *top, uint64_t key)
{
    s->keys[(*n)++] = key;
    top_keys_add(top, key);
}

/* The least similarity a hit with these tie-breaks (rank_tie) needs to come before the want-th ranked key (0: fewer
 * ranked yet): that key's similarity if it wins the tie, the next float above it if not. */
static float similarity_needed(const top_keys_t *top, uint64_t tie)
{
    if (top->n < top->want || top->want == 0)
        return 0.0f;
    uint32_t bits = 0x3F800000u - (uint32_t)(top->v[0] >> 34);
    float sim;
    memcpy(&sim, &bits, sizeof sim);
    return rank_key(sim, tie) < top->v[0] ? sim : nextafterf(sim, 2.0f);
}

/* Whether doc d (a candidate: it holds every word of q, or enough of its trigrams) is a hit, ranking it when it could
 * be among the first `want`. word_similarity is what costs (pg_trgm's quadratic extent search), so its exact value is
 * computed only for a doc that could still come before the want-th key ranked so far: its similarity is at most
 * shared / nq, and below any value no extent of its text reaches (catalog_trgm_may_reach_keyed); a doc that cannot
 * is decided with the early-stopping check (as `<%` does). Exact similarity >= 0.6 and the check agree (the same
 * loop, stopped early), so either way a doc is a hit when pg_trgm's operator says so. */
static int decide(const catalog_index_t *ix, size_t d, size_t shared, size_t nq, const char *q, size_t qn,
                  search_scratch_t *s, size_t *n, top_keys_t *top)
{
    const catalog_doc_t *doc = &ix->docs[d];
    const uint32_t *keys = doc->seq_keys;
    float most = (float)shared / (float)nq; /* word_similarity <= shared / nq */
    uint64_t tie = rank_tie(doc, d, q, qn);
    if (top->n < top->want || rank_key(most, tie) < top->v[0]) {
        float needed = similarity_needed(top, tie);
        float tau = s->substr[d] || needed > CATALOG_TRGM_WORD_THRESHOLD ? needed : CATALOG_TRGM_WORD_THRESHOLD;
        if (catalog_trgm_may_reach_keyed(nq, &doc->trigrams, keys, s->in_query, tau)) {
            float sim = catalog_trgm_word_similarity_keyed(nq, &doc->trigrams, keys, s->in_query, s->lastpos);
            if (!s->substr[d] && !(sim >= CATALOG_TRGM_WORD_THRESHOLD))
                return 0;
            ranked(s, n, top, rank_key(sim, tie));
            return 1;
        }
        if (s->substr[d] || tau == CATALOG_TRGM_WORD_THRESHOLD)
            return s->substr[d]; /* below tau: cannot rank; below 0.6 too unless tau was more */
    }
    return s->substr[d] || catalog_trgm_word_similar_keyed(nq, &doc->trigrams, keys, s->in_query, s->lastpos);
}

/* Fills s->keys with the rank keys of at least the first `want` hits (all of them that could be among the first
 * `want`), returns the number of hits (the answer's total) and sets *nkeys. The candidates are decided in order of
 * shared trigrams, most first, so the want-th key soon bounds out the rest of them (decide). */
static size_t rank_hits(const catalog_index_t *ix, const catalog_search_args_t *a, const uint64_t *units,
                        const char *q, size_t qn, size_t want, search_scratch_t *s, size_t *nkeys)
{
    catalog_trgm_t *query = malloc((qn + 1) * sizeof *query);
    /* candidates as shared << 16 | doc, then the same sorted */
    uint32_t *cand = malloc(2 * (ix->count + 1) * sizeof *cand), *sorted = cand + ix->count + 1;
    size_t *count = malloc((qn + 3) * sizeof *count); /* nq <= qn + 1 */
    top_keys_t top = {malloc((want < ix->count ? want : ix->count) * sizeof(uint64_t) + 1), 0,
                      want < ix->count ? want : ix->count};
    size_t hits = 0, ncand = 0, n = 0;
    if (query == NULL || cand == NULL || count == NULL || top.v == NULL) {
        free(query), free(cand), free(count), free(top.v);
        return (size_t)-1;
    }
    size_t nq = catalog_trgm_unique(query, catalog_trgm_extract(q, qn, query));
    for (size_t t = 0; t < nq; t++) {
        size_t key = catalog_postings_key(&ix->trigrams, query[t]);
        if (key == ix->trigrams.nkeys)
            continue;
        s->in_query[key] = 1;
        for (uint32_t k = ix->trigrams.offs[key]; k < ix->trigrams.offs[key + 1]; k++)
            s->shared[ix->trigrams.docs[k]]++;
    }
    mark_substrings(ix, q, qn, s->substr);
    for (size_t d = 0; d < ix->count; d++) {
        /* word_similarity <= shared / nq: below 0.6 × nq shared trigrams only the substring test can match */
        int maybe_similar = s->shared[d] > 0 && (size_t)s->shared[d] * 5 >= nq * 3;
        if ((!s->substr[d] && !maybe_similar) || !passes(ix, d, a, units))
            continue;
        if (s->substr[d] && s->shared[d] == nq && holds_query_as_words(&ix->docs[d], q, qn)) {
            ranked(s, &n, &top, rank_key(1.0f, rank_tie(&ix->docs[d], d, q, qn)));
            hits++;
        } else if (s->shared[d] == 0) { /* holds every word, no trigram of q: similarity 0 */
            ranked(s, &n, &top, rank_key(0.0f, rank_tie(&ix->docs[d], d, q, qn)));
            hits++;
        } else {
            cand[ncand++] = (uint32_t)s->shared[d] << 16 | (uint32_t)d;
        }
    }
    by_shared_desc(cand, ncand, sorted, count, nq);
    for (size_t i = 0; i < ncand; i++)
        hits += (size_t)decide(ix, sorted[i] & 0xFFFF, sorted[i] >> 16, nq, q, qn, s, &n, &top);
    free(query), free(cand), free(count), free(top.v);
    *nkeys = n;
    return hits;
}

static int compare_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* {"page": P, "items": [...], "total": T, "page_size": S}: jsonb's key order (length, then bytes) and spacing. */
static char *render(const catalog_index_t *ix, const catalog_search_args_t *a, const uint64_t *keys, size_t total,
                    size_t *len)
{
    size_t from = (size_t)(a->page - 1) * (size_t)a->page_size, to = from + (size_t)a->page_size;
    if (to > total)
        to = total;
    size_t size = 96;
    for (size_t i = from; i < to; i++)
        size += ix->docs[keys[i] & 0xFFFF].item_len + 2;
    char *out = malloc(size);
    if (out == NULL)
        return NULL;
    size_t n = (size_t)snprintf(out, size, "{\"page\": %d, \"items\": [", a->page);
    for (size_t i = from; i < to; i++) {
        const catalog_doc_t *doc = &ix->docs[keys[i] & 0xFFFF];
        if (i > from)
            memcpy(out + n, ", ", 2), n += 2;
        memcpy(out + n, doc->item_json, doc->item_len);
        n += doc->item_len;
    }
    n += (size_t)snprintf(out + n, size - n, "], \"total\": %zu, \"page_size\": %d}", total, a->page_size);
    *len = n;
    return out;
}

char *catalog_index_search(const catalog_index_t *ix, const catalog_search_args_t *a, size_t *len, int *invalid)
{
    *invalid = 0;
    size_t cap = CATALOG_FOLD_MAX(a->q != NULL ? a->q_len : 0);
    char *q = malloc(cap);
    search_scratch_t s = {calloc(ix->count + 1, sizeof *s.shared), calloc(ix->count + 1, 1),
                          malloc((ix->count + 1) * sizeof *s.keys),
                          malloc((ix->max_distinct + 1) * sizeof *s.lastpos), calloc(ix->trigrams.nkeys + 1, 1)};
    char *out = NULL;
    long qn = q != NULL ? catalog_fold_query(a->q != NULL ? a->q : "", a->q != NULL ? a->q_len : 0, q, cap) : -1;
    if (q == NULL || s.shared == NULL || s.substr == NULL || s.keys == NULL || s.lastpos == NULL ||
        s.in_query == NULL)
        goto out;
    if (qn < 0) {
        *invalid = 1;
        goto out;
    }
    int none = 0;
    const uint64_t *units = a->unit != NULL ? unit_set(ix, a->unit, a->unit_len, &none) : NULL;
    size_t hits = 0;
    if (none) {
        hits = 0;
    } else if (qn == 0) { /* every procedure, in code order */
        for (size_t d = 0; d < ix->count; d++)
            if (passes(ix, d, a, units))
                s.keys[hits++] = d;
    } else {
        size_t nkeys = 0, want = (size_t)a->page * (size_t)a->page_size;
        hits = rank_hits(ix, a, units, q, (size_t)qn, want, &s, &nkeys);
        if (hits == (size_t)-1)
            goto out;
        qsort(s.keys, nkeys, sizeof *s.keys, compare_u64);
    }
    out = render(ix, a, s.keys, hits, len);
out:
    free(q), free(s.shared), free(s.substr), free(s.keys), free(s.lastpos), free(s.in_query);
    return out;
}
