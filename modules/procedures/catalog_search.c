/*
 * modules/procedures/catalog_search.c — one search of a catalog index (see catalog_index.h for what it answers).
 * Reads the index only: any number of threads search one index at once. Scratch is the call's own (malloc).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_fold.h"
#include "catalog_index_data.h"

typedef struct search_scratch {
    uint16_t *shared;      /* per doc: how many of the query's distinct trigrams it holds */
    unsigned char *substr; /* per doc: holds every word of q */
    uint64_t *keys;        /* the hits' rank keys */
    unsigned char *found;
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

/* Higher ranks sort first: similarity desc, name_folded = q, starts with q, name length asc, code asc. */
static uint64_t rank_key(const catalog_doc_t *doc, size_t d, float sim, const char *q, size_t qn)
{
    uint32_t bits;
    memcpy(&bits, &sim, sizeof bits); /* a float in [0, 1]: its bits grow with it */
    int starts = doc->folded_len >= qn && memcmp(doc->name_folded, q, qn) == 0;
    int equal = starts && doc->folded_len == qn;
    return ((uint64_t)(0x3F800000u - bits) << 34) | ((uint64_t)!equal << 33) | ((uint64_t)!starts << 32) |
           ((uint64_t)doc->length << 16) | d;
}

/* s->found for doc d: which of its distinct trigrams are the query's (a lookup each, no merge of sorted trigrams) */
static const catalog_trgm_text_t *mark_found(const catalog_index_t *ix, size_t d, search_scratch_t *s)
{
    const catalog_doc_t *doc = &ix->docs[d];
    for (size_t id = 0; id < doc->trigrams.ndistinct; id++)
        s->found[id] = s->in_query[doc->trigram_keys[id]];
    return &doc->trigrams;
}

static float similarity(const catalog_index_t *ix, size_t d, size_t nq, search_scratch_t *s)
{
    return catalog_trgm_word_similarity_found(nq, mark_found(ix, d, s), s->found, s->lastpos);
}

static int similar(const catalog_index_t *ix, size_t d, size_t nq, search_scratch_t *s)
{
    return catalog_trgm_word_similar_found(nq, mark_found(ix, d, s), s->found, s->lastpos);
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

static int by_shared_desc(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a >> 16, y = *(const uint32_t *)b >> 16;
    return (y > x) - (y < x);
}

/* How many of the ranked keys have a similarity above `sim` (the key's top 30 bits hold 1.0f - sim). */
static size_t ranked_above(const uint64_t *keys, size_t n, float sim)
{
    uint32_t bits;
    memcpy(&bits, &sim, sizeof bits);
    size_t above = 0;
    for (size_t i = 0; i < n; i++)
        above += (keys[i] >> 34) < 0x3F800000u - bits;
    return above;
}

/* Fills s->keys with the rank keys of at least the first `want` hits (all of them that could be among the first
 * `want`), returns the number of hits (the answer's total) and sets *nkeys. word_similarity is what costs (pg_trgm's
 * quadratic extent search): a hit by similarity alone is decided with the early-stopping check (as `<%` does), and
 * the exact similarity of any hit is computed only while it could still rank among the first `want`: it is at most
 * shared / nq, so once `want` ranked hits are above that bound, the rest cannot come before them. */
static size_t rank_hits(const catalog_index_t *ix, const catalog_search_args_t *a, const uint64_t *units,
                        const char *q, size_t qn, size_t want, search_scratch_t *s, size_t *nkeys)
{
    catalog_trgm_t *query = malloc((qn + 1) * sizeof *query);
    uint32_t *pending = malloc((ix->count + 1) * sizeof *pending); /* shared << 16 | doc: holds every word */
    size_t hits = 0, npending = 0, n = 0;
    if (query == NULL || pending == NULL) {
        free(query), free(pending);
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
            s->keys[n++] = rank_key(&ix->docs[d], d, 1.0f, q, qn);
            hits++;
            continue;
        }
        if (s->shared[d] == 0) { /* holds every word, no trigram of q: similarity 0 */
            s->keys[n++] = rank_key(&ix->docs[d], d, 0.0f, q, qn);
            hits++;
        } else if (s->substr[d] || similar(ix, d, nq, s)) {
            pending[npending++] = (uint32_t)s->shared[d] << 16 | (uint32_t)d; /* a hit; its rank if it can matter */
            hits++;
        }
    }
    qsort(pending, npending, sizeof *pending, by_shared_desc);
    for (size_t i = 0; i < npending;) {
        uint32_t shared = pending[i] >> 16;
        if (n >= want && ranked_above(s->keys, n, (float)shared / (float)nq) >= want)
            break; /* none of the rest can be among the first `want` */
        for (; i < npending && pending[i] >> 16 == shared; i++) {
            size_t d = pending[i] & 0xFFFF;
            s->keys[n++] = rank_key(&ix->docs[d], d, similarity(ix, d, nq, s), q, qn);
        }
    }
    free(query), free(pending);
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
                          malloc((ix->count + 1) * sizeof *s.keys), malloc(ix->max_distinct + 1),
                          malloc((ix->max_distinct + 1) * sizeof *s.lastpos), calloc(ix->trigrams.nkeys + 1, 1)};
    char *out = NULL;
    long qn = q != NULL ? catalog_fold_query(a->q != NULL ? a->q : "", a->q != NULL ? a->q_len : 0, q, cap) : -1;
    if (q == NULL || s.shared == NULL || s.substr == NULL || s.keys == NULL || s.found == NULL || s.lastpos == NULL ||
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
    free(q), free(s.shared), free(s.substr), free(s.keys), free(s.found), free(s.lastpos), free(s.in_query);
    return out;
}
