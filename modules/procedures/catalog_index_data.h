/*
 * modules/procedures/catalog_index_data.h — the layout of a catalog index, shared by the files that build it
 * (catalog_index.c, catalog_vocab.c) and search it (catalog_search.c, catalog_rank.c). Nothing else reads it: the
 * contract is catalog_index.h.
 *
 * Docs are numbered in the order ties are broken (length(name_vi), then code), so a set of docs walked in number
 * order is already in that order; code_order gives them back in code order (empty q, lookups by code).
 */
#ifndef CONG_PROCEDURES_CATALOG_INDEX_DATA_H
#define CONG_PROCEDURES_CATALOG_INDEX_DATA_H

#include <pthread.h>

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
    uint32_t length;               /* length(name_vi) in codepoints */
    const uint32_t *tokens;        /* search_text's space-separated tokens, in order, as vocab numbers */
    const uint16_t *token_sizes;   /* each token's distinct trigrams */
    uint32_t ntokens;
} catalog_doc_t;

/* The doc sets of the keys of a posting list that more than one doc in 32 holds: set_of[key] is the number of its set
 * in `sets` (set_words words each), UINT32_MAX for a key whose list is short enough to walk. */
typedef struct catalog_frequent_sets {
    uint32_t *set_of;
    uint64_t *sets;
} catalog_frequent_sets_t;

/* The distinct tokens of every search_text (split on ' ' only, as the SQL's regexp_split_to_array(.., ' ')). */
typedef struct catalog_vocab {
    size_t count;
    const char **text; /* in `strings` */
    uint32_t *len;
    char *strings;
    uint32_t *trgm_offs; /* token v's distinct pg_trgm trigrams: trgm_keys[trgm_offs[v] .. trgm_offs[v + 1]), as */
    uint32_t *trgm_keys; /* numbers of the index's trigram postings keys */
    uint32_t *by_trigram_offs; /* trigram key k -> the tokens that hold it: by_trigram[by_trigram_offs[k] .. +1) */
    uint32_t *by_trigram;
    uint32_t *doc_offs;  /* the docs that hold token v: docs[doc_offs[v] .. doc_offs[v + 1]), ascending */
    uint16_t *docs;
    /* 3-byte sequence -> the tokens that hold it: gram_keys sorted, tokens of gram_keys[k] at
     * gram_vocab[gram_offs[k] .. gram_offs[k + 1]) (a query word of 3 bytes or more is looked for in these) */
    uint32_t *gram_keys, *gram_offs, *gram_vocab;
    size_t ngrams;
    catalog_frequent_sets_t frequent; /* of the tokens' doc lists */
} catalog_vocab_t;

/* A doc set as bits, set_words uint64 words (bit d of word d / 64). */
typedef struct catalog_keyed_sets {
    char **names; /* sorted, in `strings` */
    char *strings;
    size_t count;
    uint64_t *sets; /* count sets of set_words words */
} catalog_keyed_sets_t;

typedef struct catalog_scratch catalog_scratch_t; /* a search's working memory (catalog_search.c) */

struct catalog_index {
    long long version;
    size_t count; /* docs, in tie order (length, code) */
    catalog_doc_t *docs;
    uint16_t *code_order; /* doc numbers sorted by code (bytes) */
    uint16_t *name_order; /* doc numbers sorted by name_folded (bytes): names starting with q are a range */
    char *strings;
    uint32_t *token_pool;       /* the docs' tokens */
    uint16_t *token_size_pool;  /* and their sizes */
    catalog_postings_t grams;   /* 1- and 2-byte sequences of search_text (catalog_gram_key) -> docs */
    catalog_frequent_sets_t frequent_grams;
    catalog_postings_t trigrams; /* pg_trgm trigrams of search_text -> docs */
    catalog_frequent_sets_t frequent_trigrams;
    catalog_vocab_t vocab;
    size_t set_words; /* uint64 words of one doc set */
    catalog_keyed_sets_t units;   /* unit code -> the docs it handles */
    catalog_keyed_sets_t domains; /* domain code -> its docs */
    pthread_mutex_t scratch_lock; /* guards spare_scratch: searches on any thread borrow and give back */
    catalog_scratch_t *spare_scratch;
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

/** The set of `name` in `s` (len bytes), or NULL when no doc has it. */
const uint64_t *catalog_keyed_set(const catalog_keyed_sets_t *s, size_t set_words, const char *name, size_t len);

/** Builds ix->vocab and ix->docs[].tokens from the docs' search_text, and the trigram doc sets (catalog_vocab.c).
 *  Needs ix->trigrams built. 0, or -1 when out of memory. */
int catalog_vocab_build(catalog_index_t *ix);
void catalog_vocab_free(catalog_index_t *ix);

/** Builds the doc sets of the keys (offs/docs as in catalog_postings_t) that more than count / 32 docs hold. 0, or -1
 *  when out of memory (what was allocated is freed by catalog_frequent_sets_free). */
int catalog_frequent_sets_build(catalog_frequent_sets_t *f, const uint32_t *offs, const uint16_t *docs, size_t nkeys,
                                size_t count, size_t set_words);
void catalog_frequent_sets_free(catalog_frequent_sets_t *f);

/** The tokens that hold the 3-byte sequence s (*n of them), or NULL. */
const uint32_t *catalog_vocab_gram(const catalog_vocab_t *v, const char *s, size_t *n);

/** Frees the spare scratch a search left (catalog_search.c). */
void catalog_scratch_free_all(catalog_index_t *ix);

#endif
