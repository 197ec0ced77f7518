/*
 * modules/procedures/catalog_search.c — one search of a catalog index (see catalog_index.h for what it answers): which
 * docs match (doc sets and per doc counters, no text scanned but the tokens a query word may be in), how many of the
 * query's trigrams each holds (the ranking's bound), then catalog_rank.c ranks the few that can be shown. Reads the
 * index only; the working memory is borrowed from it (catalog_scratch.c), so any number of threads search at once.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "catalog_fold.h"
#include "catalog_rank.h"

/* set |= the docs of key k: its doc set when it has one, else its list */
static void or_docs(uint64_t *set, size_t set_words, const catalog_frequent_sets_t *f, size_t k,
                    const uint16_t *docs, size_t n)
{
    if (f->set_of[k] != UINT32_MAX) {
        const uint64_t *src = f->sets + (size_t)f->set_of[k] * set_words;
        for (size_t w = 0; w < set_words; w++)
            set[w] |= src[w];
        return;
    }
    for (size_t i = 0; i < n; i++)
        set[docs[i] / 64] |= 1ULL << (docs[i] % 64);
}

/* s->word = the docs whose search_text holds `word` (no space in it, so it lies within one token): a word of one or
 * two bytes from the 1-/2-byte index of the texts, a longer one from the tokens that hold its rarest 3 bytes. */
static void word_docs(const catalog_index_t *ix, catalog_scratch_t *s, const char *word, size_t len)
{
    size_t sw = ix->set_words;
    memset(s->word, 0, sw * sizeof *s->word);
    if (len <= 2) {
        const catalog_postings_t *g = &ix->grams;
        size_t k = catalog_postings_key(g, catalog_gram_key(word, len));
        if (k < g->nkeys)
            or_docs(s->word, sw, &ix->frequent_grams, k, g->docs + g->offs[k], g->offs[k + 1] - g->offs[k]);
        return;
    }
    const uint32_t *rarest = NULL;
    size_t rarest_n = (size_t)-1;
    for (size_t i = 0; i + 3 <= len && rarest_n > 0; i++) {
        size_t n = 0;
        const uint32_t *tokens = catalog_vocab_gram(&ix->vocab, word + i, &n);
        if (n < rarest_n)
            rarest = tokens, rarest_n = n;
    }
    const catalog_vocab_t *v = &ix->vocab;
    for (size_t i = 0; i < rarest_n; i++) {
        uint32_t t = rarest[i];
        if (v->len[t] >= len && memmem(v->text[t], v->len[t], word, len) != NULL)
            or_docs(s->word, sw, &v->frequent, t, v->docs + v->doc_offs[t], v->doc_offs[t + 1] - v->doc_offs[t]);
    }
}

/* A word's weight: its distinct trigrams (0 for punctuation). */
static uint16_t word_weight(catalog_scratch_t *s, const char *word, size_t len)
{
    size_t n = catalog_trgm_unique(s->tri, catalog_trgm_extract(word, len, s->tri));
    return (uint16_t)(n < 65535 ? n : 65535);
}

/* s->match = the docs that hold every word of q, or words that carry at least 60 % of the words' trigrams; then
 * the filters. Returns how many. */
static size_t match_docs(const catalog_index_t *ix, catalog_scratch_t *s, const catalog_query_t *qy,
                         const uint64_t *filter)
{
    size_t sw = ix->set_words, total_weight = 0;
    memset(s->every, 0xFF, sw * sizeof *s->every);
    memset(s->weight, 0, sw * 64 * sizeof *s->weight);
    for (size_t i = 0; i < qy->qn;) {
        size_t len = strcspn(qy->q + i, " ");
        word_docs(ix, s, qy->q + i, len);
        uint16_t weight = word_weight(s, qy->q + i, len);
        for (size_t w = 0; w < sw; w++)
            s->every[w] &= s->word[w];
        if (weight > 0)
            catalog_counts_add(s->weight, s->word, sw, weight);
        total_weight += weight;
        i += len + 1;
    }
    size_t needed = (3 * total_weight + 4) / 5, total = 0; /* 5 Wp >= 3 W */
    s->nmatch_words = 0;
    for (size_t w = 0; w < sw; w++) {
        uint64_t enough = total_weight > 0 ? catalog_counts_at_least(s->weight + w * 64, needed) : 0;
        s->match[w] = (s->every[w] | enough) & (filter != NULL ? filter[w] : ~0ULL);
        if (w == sw - 1 && ix->count % 64 != 0)
            s->match[w] &= (1ULL << (ix->count % 64)) - 1;
        total += (size_t)__builtin_popcountll(s->match[w]);
        if (s->match[w] != 0)
            s->match_words[s->nmatch_words++] = (uint32_t)w;
    }
    return total;
}

/* Adds carry (bits of docs) to the bit-sliced counters of doc set word w: a ripple carry through the planes. */
static void add_one(uint64_t *planes, size_t nplanes, size_t set_words, size_t w, uint64_t carry)
{
    for (size_t k = 0; k < nplanes && carry != 0; k++) {
        uint64_t *plane = planes + k * set_words + w, t = *plane & carry;
        *plane ^= carry;
        carry = t;
    }
}

/* s->shared: how many of the query's trigrams each matching doc holds (keys: their numbers in ix->trigrams); the
 * others' counts are left out (the ranking reads only the matches'). */
static void count_shared(const catalog_index_t *ix, catalog_scratch_t *s, const size_t *keys, size_t nkeys, size_t nq)
{
    size_t sw = ix->set_words;
    s->planes = 1;
    while (s->planes < CATALOG_SHARED_PLANES && (nq >> s->planes) != 0)
        s->planes++;
    memset(s->shared, 0, s->planes * sw * sizeof *s->shared);
    const catalog_frequent_sets_t *f = &ix->frequent_trigrams;
    for (size_t i = 0; i < nkeys; i++) {
        size_t k = keys[i];
        if (f->set_of[k] != UINT32_MAX) {
            const uint64_t *set = f->sets + (size_t)f->set_of[k] * sw;
            for (size_t j = 0; j < s->nmatch_words; j++) {
                size_t w = s->match_words[j];
                add_one(s->shared, s->planes, sw, w, set[w] & s->match[w]);
            }
            continue;
        }
        for (uint32_t p = ix->trigrams.offs[k]; p < ix->trigrams.offs[k + 1]; p++) {
            uint16_t d = ix->trigrams.docs[p];
            if (s->match[d / 64] >> (d % 64) & 1)
                add_one(s->shared, s->planes, sw, d / 64, 1ULL << (d % 64));
        }
    }
}

/* The first of name_order whose name is not below q: with prefix set, the first that neither is below q nor starts
 * with it. */
static size_t name_bound(const catalog_index_t *ix, const char *q, size_t qn, int prefix)
{
    size_t lo = 0, hi = ix->count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        const char *name = ix->docs[ix->name_order[mid]].name_folded;
        int c = prefix ? strncmp(name, q, qn) : strcmp(name, q);
        if (c < 0 || (prefix && c == 0))
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* s->equal / s->starts: the docs whose name_folded is q / starts with q (names sorted: a range of name_order, the
 * ones equal to q first). */
static void name_classes(const catalog_index_t *ix, catalog_scratch_t *s, const char *q, size_t qn)
{
    memset(s->equal, 0, ix->set_words * sizeof *s->equal);
    memset(s->starts, 0, ix->set_words * sizeof *s->starts);
    size_t from = name_bound(ix, q, qn, 0), to = name_bound(ix, q, qn, 1);
    for (size_t i = from; i < to; i++) {
        uint16_t d = ix->name_order[i];
        s->starts[d / 64] |= 1ULL << (d % 64);
        if (ix->docs[d].folded_len == qn)
            s->equal[d / 64] |= 1ULL << (d % 64);
    }
}

/* {"page": P, "items": [...], "total": T, "page_size": S}: jsonb's key order (length, then bytes) and spacing; the
 * items are docs[order[from .. to)]. */
static char *render(const catalog_index_t *ix, const catalog_search_args_t *a, const uint16_t *order, size_t n,
                    size_t total, size_t *len)
{
    size_t size = 96;
    for (size_t i = 0; i < n; i++)
        size += ix->docs[order[i]].item_len + 2;
    char *out = malloc(size);
    if (out == NULL)
        return NULL;
    size_t at = (size_t)snprintf(out, size, "{\"page\": %d, \"items\": [", a->page);
    for (size_t i = 0; i < n; i++) {
        const catalog_doc_t *doc = &ix->docs[order[i]];
        if (i > 0)
            memcpy(out + at, ", ", 2), at += 2;
        memcpy(out + at, doc->item_json, doc->item_len);
        at += doc->item_len;
    }
    at += (size_t)snprintf(out + at, size - at, "], \"total\": %zu, \"page_size\": %d}", total, a->page_size);
    *len = at;
    return out;
}

/* q empty: every doc of the filter, in code order. */
static char *list_all(const catalog_index_t *ix, catalog_scratch_t *s, const catalog_search_args_t *a,
                      const uint64_t *filter, size_t *len)
{
    size_t from = (size_t)(a->page - 1) * (size_t)a->page_size, total = 0, n = 0;
    for (size_t i = 0; i < ix->count; i++) {
        size_t d = ix->code_order[i];
        if (filter != NULL && !(filter[d / 64] >> (d % 64) & 1))
            continue;
        if (total++ >= from && n < (size_t)a->page_size)
            s->page[n++] = (uint16_t)d;
    }
    return render(ix, a, s->page, n, total, len);
}

/* The query's distinct trigrams numbered 1..nq in s->in_query (those the index has; keys[] gets their key numbers,
 * *nkeys how many). Returns nq. */
static size_t number_trigrams(const catalog_index_t *ix, catalog_scratch_t *s, const char *q, size_t qn,
                              size_t *keys, size_t *nkeys)
{
    size_t nq = catalog_trgm_unique(s->tri, catalog_trgm_extract(q, qn, s->tri));
    *nkeys = 0;
    for (size_t t = 0; t < nq; t++) {
        size_t key = catalog_postings_key(&ix->trigrams, s->tri[t]);
        if (key == ix->trigrams.nkeys)
            continue; /* no doc has it: it counts in nq only */
        s->in_query[key] = (uint16_t)(t + 1);
        keys[(*nkeys)++] = key;
    }
    return nq;
}

/* q not empty: match, bound, rank, render. */
static char *search_text(const catalog_index_t *ix, catalog_scratch_t *s, const catalog_search_args_t *a,
                         const uint64_t *filter, size_t qn, size_t *len)
{
    size_t *keys = malloc((qn + 2) * sizeof *keys), nkeys = 0;
    if (keys == NULL)
        return NULL;
    catalog_query_t qy = {s->q, qn, 0, 1};
    char *out = NULL;
    if (catalog_scratch_fit(s, 0, qn + 2, (qn + 2) / 64 + 1) == 0) { /* nq <= qn + 1 */
        qy.nq = number_trigrams(ix, s, s->q, qn, keys, &nkeys);
        qy.mw = qy.nq / 64 + 1;
        size_t total = match_docs(ix, s, &qy, filter);
        size_t from = (size_t)(a->page - 1) * (size_t)a->page_size, want = from + (size_t)a->page_size, n = 0;
        if (want > total)
            want = total;
        if (from < want) {
            count_shared(ix, s, keys, nkeys, qy.nq);
            name_classes(ix, s, s->q, qn);
            catalog_rank_prepare(ix, s, &qy, keys, nkeys);
            n = s->failed ? 0 : catalog_rank(ix, s, &qy, want);
            catalog_rank_finish(s);
        }
        for (size_t i = from; i < n; i++) /* the page's docs, in place */
            s->page[i - from] = (uint16_t)(s->hits[i].tie & 0xFFFF);
        out = s->failed ? NULL : render(ix, a, s->page, n > from ? n - from : 0, total, len);
    }
    for (size_t i = 0; i < nkeys; i++)
        s->in_query[keys[i]] = 0;
    free(keys);
    return out;
}

char *catalog_index_search(const catalog_index_t *ix, const catalog_search_args_t *a, size_t *len, int *invalid)
{
    *invalid = 0;
    catalog_index_t *owner = (catalog_index_t *)ix; /* only its scratch list changes, under its lock */
    catalog_scratch_t *s = catalog_scratch_borrow(owner);
    size_t in_len = a->q != NULL ? a->q_len : 0;
    if (s == NULL || catalog_scratch_fit(s, CATALOG_FOLD_MAX(in_len), 1, 1) != 0) {
        if (s != NULL)
            catalog_scratch_give_back(owner, s);
        return NULL;
    }
    catalog_scratch_next_search(s);
    char *out = NULL;
    long qn = catalog_fold_query(a->q != NULL ? a->q : "", in_len, s->q, s->q_cap);
    const uint64_t *domain = a->domain != NULL ? catalog_keyed_set(&ix->domains, ix->set_words, a->domain,
                                                                   a->domain_len) : NULL;
    const uint64_t *unit = a->unit != NULL ? catalog_keyed_set(&ix->units, ix->set_words, a->unit, a->unit_len)
                                           : NULL;
    int filtered = domain != NULL || unit != NULL;
    uint64_t *filter = qn == 0 ? s->equal : s->match; /* the text search needs s->equal later; match_docs reads the
                                                       * filter word by word as it writes s->match */
    for (size_t w = 0; filtered && w < ix->set_words; w++)
        filter[w] = (domain != NULL ? domain[w] : ~0ULL) & (unit != NULL ? unit[w] : ~0ULL);
    if (qn < 0)
        *invalid = 1;
    else if ((a->domain != NULL && domain == NULL) || (a->unit != NULL && unit == NULL))
        out = render(ix, a, NULL, 0, 0, len); /* no procedure has that domain or unit */
    else if (qn == 0)
        out = list_all(ix, s, a, filtered ? filter : NULL, len);
    else
        out = search_text(ix, s, a, filtered ? filter : NULL, (size_t)qn, len);
    catalog_scratch_give_back(owner, s);
    return out;
}
