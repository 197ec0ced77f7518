/*
 * modules/procedures/catalog_index.c — building a catalog index from loaded rows (see catalog_index.h; the tokens are
 * catalog_vocab.c's). Runs on the gateway's job thread (catalog_live.c), never on a worker's loop: it may take tens of
 * milliseconds.
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

/* The 1- and 2-byte sequences of every doc's search_text (a query word that short is looked for here; longer ones in
 * the tokens: catalog_vocab.c): a gram key has 26 bits, so (key << 16 | doc) sorts them by key then doc at once. */
static int build_grams(catalog_index_t *ix)
{
    size_t total = 0, n = 0;
    for (size_t d = 0; d < ix->count; d++)
        total += 2 * ix->docs[d].search_len;
    uint64_t *pairs = malloc((total + 1) * sizeof *pairs);
    if (pairs == NULL)
        return -1;
    for (size_t d = 0; d < ix->count; d++) {
        const catalog_doc_t *doc = &ix->docs[d];
        for (size_t i = 0; i < doc->search_len; i++)
            for (size_t k = 1; k <= 2 && i + k <= doc->search_len; k++)
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

/* Each doc's distinct pg_trgm trigrams, as posting lists (a search counts the query's trigrams a doc shares). */
static int build_trigrams(catalog_index_t *ix)
{
    size_t total = 0;
    for (size_t d = 0; d < ix->count; d++)
        total += ix->docs[d].search_len + 1;
    size_t *off = malloc((ix->count + 1) * sizeof *off);
    catalog_trgm_t *all = malloc((total + 1) * sizeof *all);
    int rc = -1;
    if (off == NULL || all == NULL)
        goto out;
    size_t at = 0;
    for (size_t d = 0; d < ix->count; d++) {
        const catalog_doc_t *doc = &ix->docs[d];
        off[d] = at;
        at += catalog_trgm_unique(all + at, catalog_trgm_extract(doc->search_text, doc->search_len, all + at));
    }
    off[ix->count] = at;
    rc = build_postings(&ix->trigrams, all, off, ix->count);
out:
    free(off), free(all);
    return rc;
}

typedef struct name_ref {
    const char *name;
    size_t doc;
} name_ref_t;

static int compare_name_ref(const void *a, const void *b)
{
    const name_ref_t *x = a, *y = b;
    int c = strcmp(x->name, y->name);
    return c != 0 ? c : (x->doc > y->doc) - (x->doc < y->doc);
}

const uint64_t *catalog_keyed_set(const catalog_keyed_sets_t *s, size_t set_words, const char *name, size_t len)
{
    size_t lo = 0, hi = s->count;
    while (lo < hi) {
        size_t mid = (lo + hi) / 2;
        int c = strncmp(s->names[mid], name, len);
        if (c == 0 && s->names[mid][len] == '\0')
            return s->sets + mid * set_words;
        if (c < 0 || (c == 0 && s->names[mid][len] == '\0'))
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* name -> the set of docs that carry it; each doc's names are names_of(doc): separated by spaces when `split` (the
 * unit codes), else one name (the domain) */
static int build_keyed_sets(catalog_index_t *ix, catalog_keyed_sets_t *s, const char *(*names_of)(const void *, size_t),
                            const void *rows, int split)
{
    size_t total = 0, n = 0;
    for (size_t d = 0; d < ix->count; d++)
        total += strlen(names_of(rows, d)) + 1;
    s->strings = malloc(total + 1);
    name_ref_t *refs = malloc((total / 2 + 1) * sizeof *refs);
    s->names = malloc((total / 2 + 1) * sizeof *s->names);
    if (s->strings == NULL || refs == NULL || s->names == NULL) {
        free(refs);
        return -1;
    }
    char *w = s->strings;
    for (size_t d = 0; d < ix->count; d++) {
        for (const char *u = names_of(rows, d); *u != '\0';) {
            size_t len = split ? strcspn(u, " ") : strlen(u);
            if (len > 0) {
                memcpy(w, u, len);
                w[len] = '\0';
                refs[n++] = (name_ref_t){w, d};
                w += len + 1;
            }
            u += len + (u[len] == ' ');
        }
    }
    qsort(refs, n, sizeof *refs, compare_name_ref);
    for (size_t i = 0; i < n; i++)
        if (s->count == 0 || strcmp(s->names[s->count - 1], refs[i].name) != 0)
            s->names[s->count++] = (char *)refs[i].name;
    s->sets = calloc(s->count * ix->set_words + 1, sizeof *s->sets);
    for (size_t i = 0, u = 0; s->sets != NULL && i < n; i++) {
        if (strcmp(s->names[u], refs[i].name) != 0)
            u++;
        s->sets[u * ix->set_words + refs[i].doc / 64] |= 1ULL << (refs[i].doc % 64);
    }
    free(refs);
    return s->sets != NULL ? 0 : -1;
}

static const char *units_of(const void *rows, size_t d)
{
    return ((const catalog_row_t *)rows)[d].units;
}

static const char *domain_of(const void *rows, size_t d)
{
    return ((const catalog_row_t *)rows)[d].domain;
}

static uint32_t capped_length(long length)
{
    return length < 0 ? 0 : length > 65535 ? 65535 : (uint32_t)length;
}

/* Every string of the rows (in tie order), copied into one block. */
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
        doc->length = capped_length(r->name_length);
    }
    return 0;
}

/* The rows in tie order (length(name_vi), then code: rows come sorted by code, so a stable sort by length), and
 * code_order / name_order over the new numbers. -1 when out of memory or the rows are not in code order. */
static int order_rows(catalog_index_t *ix, const catalog_row_t *rows, catalog_row_t **ranked)
{
    for (size_t d = 1; d < ix->count; d++)
        if (strcmp(rows[d - 1].code, rows[d].code) >= 0)
            return -1; /* not sorted by code: the ranks would lie */
    *ranked = malloc((ix->count + 1) * sizeof **ranked);
    ix->code_order = malloc((ix->count + 1) * sizeof *ix->code_order);
    ix->name_order = malloc((ix->count + 1) * sizeof *ix->name_order);
    size_t *count = calloc(65537, sizeof *count);
    name_ref_t *names = malloc((ix->count + 1) * sizeof *names);
    int rc = *ranked == NULL || ix->code_order == NULL || ix->name_order == NULL || count == NULL || names == NULL;
    for (size_t d = 0; !rc && d < ix->count; d++)
        count[capped_length(rows[d].name_length) + 1]++;
    for (size_t l = 0; !rc && l < 65536; l++)
        count[l + 1] += count[l];
    for (size_t d = 0; !rc && d < ix->count; d++) { /* counting sort: stable, so code order within a length */
        size_t rank = count[capped_length(rows[d].name_length)]++;
        (*ranked)[rank] = rows[d];
        ix->code_order[d] = (uint16_t)rank;
    }
    for (size_t d = 0; !rc && d < ix->count; d++)
        names[d] = (name_ref_t){(*ranked)[d].name_folded, d};
    if (!rc)
        qsort(names, ix->count, sizeof *names, compare_name_ref);
    for (size_t i = 0; !rc && i < ix->count; i++)
        ix->name_order[i] = (uint16_t)names[i].doc;
    free(count), free(names);
    return rc ? -1 : 0;
}

catalog_index_t *catalog_index_build(const catalog_row_t *rows, size_t count, long long version)
{
    if (count > 65535)
        return NULL;
    catalog_index_t *ix = calloc(1, sizeof *ix);
    if (ix == NULL)
        return NULL;
    catalog_row_t *ranked = NULL;
    ix->version = version;
    ix->count = count;
    ix->set_words = (count + 63) / 64;
    pthread_mutex_init(&ix->scratch_lock, NULL);
    ix->docs = calloc(count + 1, sizeof *ix->docs);
    if (ix->docs == NULL || order_rows(ix, rows, &ranked) != 0 || copy_rows(ix, ranked) != 0 ||
        build_grams(ix) != 0 || build_trigrams(ix) != 0 || catalog_vocab_build(ix) != 0 ||
        catalog_frequent_sets_build(&ix->frequent_grams, ix->grams.offs, ix->grams.docs, ix->grams.nkeys, count,
                                    ix->set_words) != 0 ||
        catalog_frequent_sets_build(&ix->frequent_trigrams, ix->trigrams.offs, ix->trigrams.docs,
                                    ix->trigrams.nkeys, count, ix->set_words) != 0 ||
        build_keyed_sets(ix, &ix->units, units_of, ranked, 1) != 0 ||
        build_keyed_sets(ix, &ix->domains, domain_of, ranked, 0) != 0) {
        free(ranked);
        catalog_index_free(ix);
        return NULL;
    }
    free(ranked);
    return ix;
}

static void free_postings(catalog_postings_t *p)
{
    free(p->keys), free(p->offs), free(p->docs);
}

static void free_keyed_sets(catalog_keyed_sets_t *s)
{
    free(s->names), free(s->strings), free(s->sets);
}

void catalog_index_free(catalog_index_t *ix)
{
    if (ix == NULL)
        return;
    catalog_scratch_free_all(ix);
    pthread_mutex_destroy(&ix->scratch_lock);
    free_postings(&ix->grams);
    free_postings(&ix->trigrams);
    catalog_frequent_sets_free(&ix->frequent_grams);
    catalog_frequent_sets_free(&ix->frequent_trigrams);
    catalog_vocab_free(ix);
    free_keyed_sets(&ix->units);
    free_keyed_sets(&ix->domains);
    free(ix->docs), free(ix->strings), free(ix->code_order), free(ix->name_order);
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
    size_t lo = 0, hi = ix->count; /* code_order: by code (bytes); order_rows refused rows in any other order */
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        int c = strcmp(ix->docs[ix->code_order[mid]].code, code);
        if (c == 0) {
            const catalog_doc_t *doc = &ix->docs[ix->code_order[mid]];
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
