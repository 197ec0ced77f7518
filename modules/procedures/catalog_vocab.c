/*
 * modules/procedures/catalog_vocab.c — the tokens of a catalog index (catalog_index_data.h): every search_text split
 * on ' ' (as the SQL's regexp_split_to_array(search_text, ' ')), each distinct token once with its trigrams and the
 * docs that hold it, a 3-byte index of the tokens for the words of a query; and the doc sets of whatever many docs
 * hold (a search combines those as bits rather than walking their lists). Built on the job thread with the rest of
 * the index; read-only afterwards.
 */
#include <stdlib.h>
#include <string.h>

#include "catalog_index_data.h"

typedef struct token_ref {
    const char *text;
    uint32_t len;
    uint32_t doc, at; /* the doc, and the token's place among its tokens */
} token_ref_t;

static int compare_token_ref(const void *a, const void *b)
{
    const token_ref_t *x = a, *y = b;
    size_t n = x->len < y->len ? x->len : y->len;
    int c = memcmp(x->text, y->text, n);
    if (c != 0)
        return c;
    if (x->len != y->len)
        return x->len < y->len ? -1 : 1;
    return x->doc != y->doc ? (x->doc < y->doc ? -1 : 1) : (x->at > y->at) - (x->at < y->at);
}

/* Every non-empty token of every doc (an empty one, between two spaces, has no trigram: no score can see it). */
static token_ref_t *collect_tokens(catalog_index_t *ix, size_t *n)
{
    size_t cap = 1;
    for (size_t d = 0; d < ix->count; d++)
        cap += ix->docs[d].search_len / 2 + 1;
    token_ref_t *refs = malloc(cap * sizeof *refs);
    *n = 0;
    for (size_t d = 0; refs != NULL && d < ix->count; d++) {
        const catalog_doc_t *doc = &ix->docs[d];
        uint32_t at = 0;
        for (size_t i = 0; i < doc->search_len;) {
            size_t len = strcspn(doc->search_text + i, " ");
            if (len > 0)
                refs[(*n)++] = (token_ref_t){doc->search_text + i, (uint32_t)len, (uint32_t)d, at++};
            i += len + 1;
        }
    }
    return refs;
}

/* Numbers the distinct tokens (refs sorted), copies their text, gives each doc its token sequence and each token its
 * docs. */
static int number_tokens(catalog_index_t *ix, const token_ref_t *refs, size_t n)
{
    catalog_vocab_t *v = &ix->vocab;
    size_t distinct = 0, bytes = 0, pairs = 0;
    for (size_t i = 0; i < n; i++)
        if (i == 0 || refs[i - 1].len != refs[i].len || memcmp(refs[i - 1].text, refs[i].text, refs[i].len) != 0)
            distinct++, bytes += refs[i].len + 1;
    v->text = malloc((distinct + 1) * sizeof *v->text);
    v->len = malloc((distinct + 1) * sizeof *v->len);
    v->strings = malloc(bytes + 1);
    v->doc_offs = calloc(distinct + 2, sizeof *v->doc_offs);
    v->docs = malloc((n + 1) * sizeof *v->docs);
    ix->token_pool = malloc((n + 1) * sizeof *ix->token_pool);
    if (v->text == NULL || v->len == NULL || v->strings == NULL || v->doc_offs == NULL || v->docs == NULL ||
        ix->token_pool == NULL)
        return -1;
    size_t *start = calloc(ix->count + 1, sizeof *start); /* each doc's first place in token_pool */
    if (start == NULL)
        return -1;
    for (size_t i = 0; i < n; i++)
        start[refs[i].doc + 1]++;
    for (size_t d = 0; d < ix->count; d++) {
        start[d + 1] += start[d];
        ix->docs[d].tokens = ix->token_pool + start[d];
        ix->docs[d].ntokens = (uint32_t)(start[d + 1] - start[d]);
    }
    char *w = v->strings;
    for (size_t i = 0; i < n; i++) {
        int is_new = i == 0 || refs[i - 1].len != refs[i].len || memcmp(refs[i - 1].text, refs[i].text, refs[i].len);
        if (is_new) {
            memcpy(w, refs[i].text, refs[i].len);
            w[refs[i].len] = '\0';
            v->text[v->count] = w, v->len[v->count] = refs[i].len;
            w += refs[i].len + 1;
            v->doc_offs[v->count++] = (uint32_t)pairs;
        }
        if (is_new || refs[i - 1].doc != refs[i].doc)
            v->docs[pairs++] = (uint16_t)refs[i].doc;
        ix->token_pool[start[refs[i].doc] + refs[i].at] = (uint32_t)(v->count - 1);
    }
    v->doc_offs[v->count] = (uint32_t)pairs;
    free(start);
    return 0;
}

/* Each token's distinct trigrams, as numbers of the index's trigram keys (every one is there: the doc has it). */
static int token_trigrams(catalog_index_t *ix)
{
    catalog_vocab_t *v = &ix->vocab;
    size_t total = 0, max = 0;
    for (size_t t = 0; t < v->count; t++) {
        total += v->len[t] + 1;
        if (v->len[t] > max)
            max = v->len[t];
    }
    v->trgm_offs = malloc((v->count + 1) * sizeof *v->trgm_offs);
    v->trgm_keys = malloc((total + 1) * sizeof *v->trgm_keys);
    catalog_trgm_t *tri = malloc((max + 2) * sizeof *tri);
    int rc = v->trgm_offs == NULL || v->trgm_keys == NULL || tri == NULL ? -1 : 0;
    size_t at = 0;
    for (size_t t = 0; rc == 0 && t < v->count; t++) {
        size_t k = catalog_trgm_unique(tri, catalog_trgm_extract(v->text[t], v->len[t], tri));
        v->trgm_offs[t] = (uint32_t)at;
        for (size_t i = 0; i < k; i++) {
            size_t key = catalog_postings_key(&ix->trigrams, tri[i]);
            if (key == ix->trigrams.nkeys)
                rc = -1; /* cannot be: the doc's own trigrams were indexed */
            v->trgm_keys[at++] = (uint32_t)key;
        }
    }
    if (rc == 0)
        v->trgm_offs[v->count] = (uint32_t)at;
    free(tri);
    return rc;
}

/* trigram key -> the tokens that hold it (a search marks the tokens its query's trigrams are in, up front). */
static int tokens_by_trigram(catalog_index_t *ix)
{
    catalog_vocab_t *v = &ix->vocab;
    size_t nkeys = ix->trigrams.nkeys, total = v->trgm_offs[v->count];
    v->by_trigram_offs = calloc(nkeys + 2, sizeof *v->by_trigram_offs);
    v->by_trigram = malloc((total + 1) * sizeof *v->by_trigram);
    if (v->by_trigram_offs == NULL || v->by_trigram == NULL)
        return -1;
    for (size_t i = 0; i < total; i++)
        v->by_trigram_offs[v->trgm_keys[i] + 1]++;
    for (size_t k = 0; k < nkeys; k++)
        v->by_trigram_offs[k + 1] += v->by_trigram_offs[k];
    uint32_t *at = malloc((nkeys + 1) * sizeof *at);
    if (at == NULL)
        return -1;
    memcpy(at, v->by_trigram_offs, nkeys * sizeof *at);
    for (size_t t = 0; t < v->count; t++) /* in token order: each list ascending */
        for (uint32_t i = v->trgm_offs[t]; i < v->trgm_offs[t + 1]; i++)
            v->by_trigram[at[v->trgm_keys[i]]++] = (uint32_t)t;
    free(at);
    return 0;
}

static int compare_u64(const void *a, const void *b)
{
    uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
    return x < y ? -1 : x > y;
}

/* 3-byte sequence -> the tokens that hold it (pairs gram << 32 | token, sorted, deduplicated). */
static int token_grams(catalog_vocab_t *v)
{
    size_t total = 0, n = 0;
    for (size_t t = 0; t < v->count; t++)
        total += v->len[t] >= 3 ? v->len[t] - 2 : 0;
    uint64_t *pairs = malloc((total + 1) * sizeof *pairs);
    if (pairs == NULL)
        return -1;
    for (size_t t = 0; t < v->count; t++)
        for (size_t i = 0; i + 3 <= v->len[t]; i++)
            pairs[n++] = catalog_gram_key(v->text[t] + i, 3) << 32 | t;
    qsort(pairs, n, sizeof *pairs, compare_u64);
    v->gram_keys = malloc((n + 1) * sizeof *v->gram_keys);
    v->gram_offs = malloc((n + 2) * sizeof *v->gram_offs);
    v->gram_vocab = malloc((n + 1) * sizeof *v->gram_vocab);
    if (v->gram_keys == NULL || v->gram_offs == NULL || v->gram_vocab == NULL) {
        free(pairs);
        return -1;
    }
    size_t m = 0;
    for (size_t i = 0; i < n; i++) {
        if (i > 0 && pairs[i] == pairs[i - 1])
            continue;
        uint32_t key = (uint32_t)(pairs[i] >> 32);
        if (v->ngrams == 0 || v->gram_keys[v->ngrams - 1] != key) {
            v->gram_keys[v->ngrams] = key;
            v->gram_offs[v->ngrams++] = (uint32_t)m;
        }
        v->gram_vocab[m++] = (uint32_t)(pairs[i] & 0xFFFFFFFFu);
    }
    v->gram_offs[v->ngrams] = (uint32_t)m;
    free(pairs);
    return 0;
}

int catalog_frequent_sets_build(catalog_frequent_sets_t *f, const uint32_t *offs, const uint16_t *docs, size_t nkeys,
                                size_t count, size_t set_words)
{
    size_t frequent = 0;
    f->set_of = malloc((nkeys + 1) * sizeof *f->set_of);
    if (f->set_of == NULL)
        return -1;
    for (size_t k = 0; k < nkeys; k++)
        f->set_of[k] = offs[k + 1] - offs[k] > count / 32 ? (uint32_t)frequent++ : UINT32_MAX;
    f->sets = calloc(frequent * set_words + 1, sizeof *f->sets);
    if (f->sets == NULL)
        return -1;
    for (size_t k = 0; k < nkeys; k++) {
        if (f->set_of[k] == UINT32_MAX)
            continue;
        uint64_t *set = f->sets + (size_t)f->set_of[k] * set_words;
        for (uint32_t i = offs[k]; i < offs[k + 1]; i++)
            set[docs[i] / 64] |= 1ULL << (docs[i] % 64);
    }
    return 0;
}

void catalog_frequent_sets_free(catalog_frequent_sets_t *f)
{
    free(f->set_of), free(f->sets);
}

/* Each doc's tokens' trigram counts, beside the tokens (the ranking adds them up for every token it passes). */
static int token_sizes(catalog_index_t *ix, size_t n)
{
    ix->token_size_pool = malloc((n + 1) * sizeof *ix->token_size_pool);
    if (ix->token_size_pool == NULL)
        return -1;
    const catalog_vocab_t *v = &ix->vocab;
    for (size_t i = 0; i < n; i++) {
        uint32_t t = ix->token_pool[i], size = v->trgm_offs[t + 1] - v->trgm_offs[t];
        ix->token_size_pool[i] = (uint16_t)(size < 65535 ? size : 65535);
    }
    for (size_t d = 0; d < ix->count; d++)
        ix->docs[d].token_sizes = ix->token_size_pool + (ix->docs[d].tokens - ix->token_pool);
    return 0;
}

int catalog_vocab_build(catalog_index_t *ix)
{
    size_t n = 0;
    token_ref_t *refs = collect_tokens(ix, &n);
    if (refs == NULL)
        return -1;
    qsort(refs, n, sizeof *refs, compare_token_ref);
    int rc = number_tokens(ix, refs, n);
    free(refs);
    if (rc == 0)
        rc = token_trigrams(ix);
    if (rc == 0)
        rc = tokens_by_trigram(ix);
    if (rc == 0)
        rc = token_grams(&ix->vocab);
    if (rc == 0)
        rc = token_sizes(ix, n);
    if (rc == 0)
        rc = catalog_frequent_sets_build(&ix->vocab.frequent, ix->vocab.doc_offs, ix->vocab.docs, ix->vocab.count,
                                         ix->count, ix->set_words);
    return rc;
}

void catalog_vocab_free(catalog_index_t *ix)
{
    catalog_vocab_t *v = &ix->vocab;
    free(v->text), free(v->len), free(v->strings), free(v->trgm_offs), free(v->trgm_keys), free(v->doc_offs);
    free(v->docs), free(v->gram_keys), free(v->gram_offs), free(v->gram_vocab);
    catalog_frequent_sets_free(&v->frequent);
    free(v->by_trigram_offs), free(v->by_trigram);
    free(ix->token_pool), free(ix->token_size_pool);
}

const uint32_t *catalog_vocab_gram(const catalog_vocab_t *v, const char *s, size_t *n)
{
    uint32_t key = (uint32_t)catalog_gram_key(s, 3);
    size_t lo = 0, hi = v->ngrams;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (v->gram_keys[mid] < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    if (lo == v->ngrams || v->gram_keys[lo] != key) {
        *n = 0;
        return NULL;
    }
    *n = v->gram_offs[lo + 1] - v->gram_offs[lo];
    return v->gram_vocab + v->gram_offs[lo];
}
