/*
 * modules/procedures/catalog_index_data.h — the layout of a catalog index, shared by the two files that build
 * (catalog_index.c) and search (catalog_search.c) it. Nothing else reads it: the contract is catalog_index.h.
 */
#ifndef CONG_PROCEDURES_CATALOG_INDEX_DATA_H
#define CONG_PROCEDURES_CATALOG_INDEX_DATA_H

#include "catalog_index.h"
#include "catalog_trgm.h"

/* key -> the sorted docs that hold it: keys sorted, docs of keys[k] at docs[offs[k] .. offs[k + 1]) */
typedef struct catalog_postings {
    uint64_t *keys;
    uint32_t *offs;
    uint16_t *docs;
    size_t nkeys;
} catalog_postings_t;

typedef struct catalog_doc {
    const char *domain, *search_text, *name_folded, *item_json; /* in the index's string block */
    const char *code, *form_fields; /* in the string block too; form_fields NULL when not loaded */
    int min_loa, applicants;       /* procedures.min_loa; applicants: enum catalog_applicants bits */
    size_t search_len, folded_len, item_len;
    uint32_t length;               /* length(name_vi), capped at 65,535 (the rank key's 16 bits) */
    catalog_trgm_text_t trigrams;  /* points into the index's trigram pools */
    const uint32_t *seq_keys;      /* per position of trigrams.seq: its trigram's key number in the index's
                                    * trigrams postings, | CATALOG_TRGM_FIRST at its first occurrence (catalog_trgm.h) */
} catalog_doc_t;

struct catalog_index {
    long long version;
    size_t count; /* docs, sorted by code: a doc's number is its rank in code order */
    catalog_doc_t *docs;
    char *strings;
    catalog_trgm_t *distinct_pool;
    uint16_t *seq_pool;
    uint32_t *seq_key_pool;      /* the docs' seq_keys */
    size_t max_distinct;         /* the largest doc's distinct trigrams: the search's scratch size */
    catalog_postings_t grams;    /* 1-, 2-, 3-byte sequences of search_text (catalog_gram_key) */
    catalog_postings_t trigrams; /* pg_trgm trigrams */
    char **units;                /* sorted unit codes, in unit_strings */
    char *unit_strings;
    size_t nunits, set_words;    /* set_words: uint64 words of one doc set */
    uint64_t *unit_sets;         /* nunits sets of docs, set_words each */
};

/** The key of 1 to 3 bytes as the grams index stores it. */
static inline uint64_t catalog_gram_key(const char *s, size_t n)
{
    uint64_t k = (uint64_t)n << 24;
    for (size_t i = 0; i < n; i++)
        k |= (uint64_t)(unsigned char)s[i] << (16 - 8 * i);
    return k;
}

/** The number of `key` among p->keys, or p->nkeys when it has none. */
size_t catalog_postings_key(const catalog_postings_t *p, uint64_t key);

/** The docs that hold `key` (*n of them), or NULL (*n 0). */
const uint16_t *catalog_postings_find(const catalog_postings_t *p, uint64_t key, size_t *n);

#endif
