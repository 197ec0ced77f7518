/*
 * modules/procedures/catalog_index.c — building a catalog index from loaded rows (see catalog_index.h). Runs on the
 * gateway's job thread (catalog_live.c), never on a worker's loop: it may take tens of milliseconds.
 */
#include <stdlib.h>
#include <string.h>

#include "catalog_fold.h"
#include "catalog_index_data.h"

size_t catalog_postings_key(const catalog_postings_t *p, uint64_t key)
{
    size_t lo = 0, hi = p->nkeys;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (p->keys[mid] == key)
            return mid;
        if (p->keys[mid] < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return p->nkeys;
}

const uint16_t *catalog_postings_find(const catalog_postings_t *p, uint64_t key, size_t *n)
{
    size_t k = catalog_postings_key(p, key);
    *n = k < p->nkeys ? p->offs[k + 1] - p->offs[k] : 0;
    return k < p->nkeys ? p->docs + p->offs[k] : NULL;
}

/* LSD radix sort of n values whose set bits are all below `bits`: no comparison callbacks (the build sorts
 * millions of grams; qsort made a load take seconds on a loaded machine). */
static int radix_sort(uint64_t *v, size_t n, unsigned bits)
{
    uint64_t *tmp = malloc((n + 1) * sizeof *tmp);
    if (tmp == NULL)
        return -1;
    for (unsigned shift = 0; shift < bits; shift += 8) {
        size_t count[257] = {0};
        for (size_t i = 0; i < n; i++)
            count[((v[i] >> shift) & 0xFF) + 1]++;
        for (int b = 0; b < 256; b++)
            count[b + 1] += count[b];
        for (size_t i = 0; i < n; i++)
            tmp[count[(v[i] >> shift) & 0xFF]++] = v[i];
        memcpy(v, tmp, n * sizeof *v);
    }
    free(tmp);
    return 0;
}

static size_t dedupe_sorted(uint64_t *v, size_t n)
{
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (k == 0 || v[i] != v[k - 1])
            v[k++] = v[i];
    return k;
}

/* pairs: (key id << 16 | doc), key ids into keys[nkeys]; sorted and deduplicated into postings */
static int postings_from_pairs(catalog_postings_t *p, uint64_t *keys, size_t nkeys, uint64_t *pairs, size_t npairs)
{
    unsigned bits = 16;
    while (bits < 64 && (nkeys >> (bits - 16)) != 0)
        bits++;
    if (radix_sort(pairs, npairs, bits) != 0)
        return -1;
    npairs = dedupe_sorted(pairs, npairs);
    p->keys = keys;
    p->nkeys = nkeys;
    p->offs = calloc(nkeys + 1, sizeof *p->offs);
    p->docs = malloc((npairs + 1) * sizeof *p->docs);
    if (p->offs == NULL || p->docs == NULL)
        return -1;
    for (size_t i = 0; i < npairs; i++) {
        p->offs[(pairs[i] >> 16) + 1]++;
        p->docs[i] = (uint16_t)(pairs[i] & 0xFFFF);
    }
    for (size_t k = 0; k < nkeys; k++)
        p->offs[k + 1] += p->offs[k];
    return 0;
}

static size_t key_id(const uint64_t *keys, size_t nkeys, uint64_t key)
{
    size_t lo = 0, hi = nkeys;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        if (keys[mid] < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

/* Every distinct key of all docs (raw[off[d] .. off[d + 1]) for doc d) becomes a posting list. */
static int build_postings(catalog_postings_t *p, const uint64_t *raw, const size_t *off, size_t count)
{
    size_t total = off[count];
    uint64_t *keys = malloc((total + 1) * sizeof *keys), *pairs = malloc((total + 1) * sizeof *pairs);
    if (keys == NULL || pairs == NULL) {
        free(keys), free(pairs);
        return -1;
    }
    memcpy(keys, raw, total * sizeof *keys);
    if (radix_sort(keys, total, 64) != 0) {
        free(keys), free(pairs);
        return -1;
    }
    size_t nkeys = dedupe_sorted(keys, total);
    for (size_t d = 0; d < count; d++)
        for (size_t i = off[d]; i < off[d + 1]; i++)
            pairs[i] = ((uint64_t)key_id(keys, nkeys, raw[i]) << 16) | d;
    int rc = postings_from_pairs(p, keys, nkeys, pairs, total);
    free(pairs);
    return rc;
}

/* The 1-, 2- and 3-byte sequences of every doc's search_text: a gram key has 26 bits, so (key << 16 | doc) sorts
 * them by key then doc in one radix sort. */
static int build_grams(catalog_index_t *ix)
{
    size_t total = 0, n = 0;
    for (size_t d = 0; d < ix->count; d++)
        total += 3 * ix->docs[d].search_len;
    uint64_t *pairs = malloc((total + 1) * sizeof *pairs);
    if (pairs == NULL)
        return -1;
    for (size_t d = 0; d < ix->count; d++) {
        const catalog_doc_t *doc = &ix->docs[d];
        for (size_t i = 0; i < doc->search_len; i++)
            for (size_t k = 1; k <= 3 && i + k <= doc->search_len; k++)
                pairs[n++] = catalog_gram_key(doc->search_text + i, k) << 16 | d;
    }
    int rc = radix_sort(pairs, n, 42);
    n = rc == 0 ? dedupe_sorted(pairs, n) : 0;
    catalog_postings_t *p = &ix->grams;
    p->keys = malloc((n + 1) * sizeof *p->keys);
    p->offs = malloc((n + 2) * sizeof *p->offs);
    p->docs = malloc((n + 1) * sizeof *p->docs);
    if (rc != 0 || p->keys == NULL || p->offs == NULL || p->docs == NULL) {
        free(pairs);
        return -1;
    }
    for (size_t i = 0; i < n; i++) {
        uint64_t key = pairs[i] >> 16;
        if (p->nkeys == 0 || p->keys[p->nkeys - 1] != key) {
            p->keys[p->nkeys] = key;
            p->offs[p->nkeys++] = (uint32_t)i;
        }
        p->docs[i] = (uint16_t)(pairs[i] & 0xFFFF);
    }
    p->offs[p->nkeys] = (uint32_t)n;
    free(pairs);
    return 0;
}

/* Each doc's pg_trgm trigrams: the sequence (as ids into its distinct ones) for word_similarity, and the index. */
static int build_trigrams(catalog_index_t *ix)
{
    size_t total = 0;
    for (size_t d = 0; d < ix->count; d++)
        total += ix->docs[d].search_len + 1;
    size_t *off = malloc((ix->count + 1) * sizeof *off);
    ix->distinct_pool = malloc(total * sizeof *ix->distinct_pool);
    ix->seq_pool = malloc(total * sizeof *ix->seq_pool);
    catalog_trgm_t *seq = malloc(total * sizeof *seq);
    int rc = -1;
    if (off == NULL || ix->distinct_pool == NULL || ix->seq_pool == NULL || seq == NULL)
        goto out;
    size_t at = 0, dat = 0;
    for (size_t d = 0; d < ix->count; d++) {
        catalog_doc_t *doc = &ix->docs[d];
        size_t n = catalog_trgm_extract(doc->search_text, doc->search_len, seq + at);
        catalog_trgm_t *distinct = ix->distinct_pool + dat;
        memcpy(distinct, seq + at, n * sizeof *distinct);
        size_t nd = catalog_trgm_unique(distinct, n);
        if (nd > 65535)
            goto out;
        for (size_t i = 0; i < n; i++)
            ix->seq_pool[at + i] = (uint16_t)key_id(distinct, nd, seq[at + i]);
        doc->trigrams = (catalog_trgm_text_t){distinct, nd, ix->seq_pool + at, n};
        off[d] = dat;
        at += n, dat += nd;
        if (nd > ix->max_distinct)
            ix->max_distinct = nd;
    }
    off[ix->count] = dat;
    rc = build_postings(&ix->trigrams, ix->distinct_pool, off, ix->count);
    ix->seq_key_pool = rc == 0 ? malloc((at + 1) * sizeof *ix->seq_key_pool) : NULL;
    uint32_t *distinct_keys = rc == 0 ? malloc((ix->max_distinct + 1) * sizeof *distinct_keys) : NULL;
    if (rc == 0 && (ix->seq_key_pool == NULL || distinct_keys == NULL))
        rc = -1;
    for (size_t d = 0, pos = 0; rc == 0 && d < ix->count; d++) { /* a search tells found trigrams by these numbers */
        catalog_doc_t *doc = &ix->docs[d];
        for (size_t id = 0; id < doc->trigrams.ndistinct; id++)
            distinct_keys[id] = (uint32_t)catalog_postings_key(&ix->trigrams, doc->trigrams.distinct[id]);
        for (size_t i = 0; i < doc->trigrams.nseq; i++) {
            uint16_t id = doc->trigrams.seq[i];
            uint32_t first = ~distinct_keys[id] & CATALOG_TRGM_FIRST; /* the flag is still clear: not seen before */
            ix->seq_key_pool[pos + i] = (distinct_keys[id] & ~CATALOG_TRGM_FIRST) | first;
            distinct_keys[id] |= CATALOG_TRGM_FIRST; /* seen: its later occurrences are not the first */
        }
        doc->seq_keys = ix->seq_key_pool + pos;
        pos += doc->trigrams.nseq;
    }
    free(distinct_keys);
out:
    free(off), free(seq);
    return rc;
}

typedef struct unit_ref {
    const char *code;
    size_t doc;
} unit_ref_t;

static int compare_unit_ref(const void *a, const void *b)
{
    const unit_ref_t *x = a, *y = b;
    int c = strcmp(x->code, y->code);
    return c != 0 ? c : (x->doc > y->doc) - (x->doc < y->doc);
}

/* unit code -> the set of docs it handles */
static int build_units(catalog_index_t *ix, const catalog_row_t *rows)
{
    size_t total = 0, n = 0;
    for (size_t d = 0; d < ix->count; d++)
        total += strlen(rows[d].units) + 1;
    ix->unit_strings = malloc(total + 1);
    unit_ref_t *refs = malloc((total / 2 + 1) * sizeof *refs);
    ix->units = malloc((total / 2 + 1) * sizeof *ix->units);
    ix->set_words = (ix->count + 63) / 64;
    if (ix->unit_strings == NULL || refs == NULL || ix->units == NULL) {
        free(refs);
        return -1;
    }
    char *w = ix->unit_strings;
    for (size_t d = 0; d < ix->count; d++) {
        for (const char *u = rows[d].units; *u != '\0';) {
            size_t len = strcspn(u, " ");
            if (len > 0) {
                memcpy(w, u, len);
                w[len] = '\0';
                refs[n++] = (unit_ref_t){w, d};
                w += len + 1;
            }
            u += len + (u[len] == ' ');
        }
    }
    qsort(refs, n, sizeof *refs, compare_unit_ref);
    for (size_t i = 0; i < n; i++)
        if (ix->nunits == 0 || strcmp(ix->units[ix->nunits - 1], refs[i].code) != 0)
            ix->units[ix->nunits++] = (char *)refs[i].code;
    ix->unit_sets = calloc(ix->nunits * ix->set_words + 1, sizeof *ix->unit_sets);
    for (size_t i = 0, u = 0; ix->unit_sets != NULL && i < n; i++) {
        if (strcmp(ix->units[u], refs[i].code) != 0)
            u++;
        ix->unit_sets[u * ix->set_words + refs[i].doc / 64] |= 1ULL << (refs[i].doc % 64);
    }
    free(refs);
    return ix->unit_sets != NULL ? 0 : -1;
}

/* Every string of the rows, copied into one block. */
static int copy_rows(catalog_index_t *ix, const catalog_row_t *rows)
{
    size_t total = 0;
    for (size_t d = 0; d < ix->count; d++)
        total += strlen(rows[d].domain) + strlen(rows[d].search_text) + strlen(rows[d].name_folded) +
                 strlen(rows[d].item_json) + strlen(rows[d].code) +
                 (rows[d].form_fields != NULL ? strlen(rows[d].form_fields) : 0) + 6;
    ix->strings = malloc(total + 1);
    if (ix->strings == NULL)
        return -1;
    char *w = ix->strings;
    for (size_t d = 0; d < ix->count; d++) {
        const catalog_row_t *r = &rows[d];
        if (d > 0 && strcmp(rows[d - 1].code, r->code) >= 0)
            return -1; /* not sorted by code: the ranks would lie */
        catalog_doc_t *doc = &ix->docs[d];
        const char *src[] = {r->domain, r->search_text, r->name_folded, r->item_json, r->code, r->form_fields};
        const char **dst[] = {&doc->domain,   &doc->search_text, &doc->name_folded,
                              &doc->item_json, &doc->code,        &doc->form_fields};
        size_t *lens[] = {NULL, &doc->search_len, &doc->folded_len, &doc->item_len, NULL, NULL};
        for (size_t k = 0; k < 6; k++) {
            if (src[k] == NULL) /* only form_fields may be absent */
                continue;
            size_t len = strlen(src[k]);
            memcpy(w, src[k], len + 1);
            *dst[k] = w;
            if (lens[k] != NULL)
                *lens[k] = len;
            w += len + 1;
        }
        doc->min_loa = r->min_loa;
        doc->applicants = r->applicants;
        doc->length = r->name_length < 0 ? 0 : r->name_length > 65535 ? 65535 : (uint32_t)r->name_length;
    }
    return 0;
}

catalog_index_t *catalog_index_build(const catalog_row_t *rows, size_t count, long long version)
{
    if (count > 65535)
        return NULL;
    catalog_index_t *ix = calloc(1, sizeof *ix);
    if (ix == NULL)
        return NULL;
    ix->version = version;
    ix->count = count;
    ix->docs = calloc(count + 1, sizeof *ix->docs);
    if (ix->docs == NULL || copy_rows(ix, rows) != 0 || build_grams(ix) != 0 || build_trigrams(ix) != 0 ||
        build_units(ix, rows) != 0) {
        catalog_index_free(ix);
        return NULL;
    }
    return ix;
}

static void free_postings(catalog_postings_t *p)
{
    free(p->keys), free(p->offs), free(p->docs);
}

void catalog_index_free(catalog_index_t *ix)
{
    if (ix == NULL)
        return;
    free_postings(&ix->grams);
    /* the trigram postings' keys are their own copy; distinct_pool is the docs' */
    free_postings(&ix->trigrams);
    free(ix->docs), free(ix->strings), free(ix->distinct_pool), free(ix->seq_pool), free(ix->seq_key_pool);
    free(ix->units), free(ix->unit_strings), free(ix->unit_sets);
    free(ix);
}

long long catalog_index_version(const catalog_index_t *ix)
{
    return ix->version;
}

size_t catalog_index_count(const catalog_index_t *ix)
{
    return ix->count;
}

int catalog_index_procedure(const catalog_index_t *ix, const char *code, catalog_procedure_t *out)
{
    size_t lo = 0, hi = ix->count; /* docs are sorted by code (bytes): copy_rows refused any other order */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(ix->docs[mid].code, code);
        if (c == 0) {
            const catalog_doc_t *doc = &ix->docs[mid];
            if (doc->form_fields == NULL)
                return 0;
            *out = (catalog_procedure_t){doc->domain, doc->form_fields, doc->min_loa, doc->applicants};
            return 1;
        }
        if (c < 0)
            lo = mid + 1;
        else
            hi = mid;
    }
    return 0;
}

int catalog_applicants_parse(const char *text)
{
    if (text == NULL)
        return 0;
    if (strcmp(text, "citizen") == 0)
        return CATALOG_APPLICANT_CITIZEN;
    if (strcmp(text, "organization") == 0)
        return CATALOG_APPLICANT_ORGANIZATION;
    if (strcmp(text, "both") == 0)
        return CATALOG_APPLICANT_CITIZEN | CATALOG_APPLICANT_ORGANIZATION;
    return 0;
}
