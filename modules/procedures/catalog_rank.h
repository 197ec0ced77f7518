/*
 * modules/procedures/catalog_rank.h — the ranking step of one search (catalog_rank.c), and the working memory a
 * search borrows from its index (catalog_search.c owns it: borrowed for one search by one thread, given back after).
 * Internal to the catalog search; the contract is catalog_index.h.
 */
#ifndef CONG_PROCEDURES_CATALOG_RANK_H
#define CONG_PROCEDURES_CATALOG_RANK_H

#include "catalog_index_data.h"

/** One ranked hit: score desc, then tie asc (class << 16 | doc: class 0 the name is q, 1 it starts with q, 2 else). */
typedef struct catalog_hit {
    double score;        /* c / den as float8 */
    uint32_t tie;
    uint32_t c, den;     /* the score as a fraction (den 0: not computed, a bound) */
} catalog_hit_t;

struct catalog_scratch {
    catalog_scratch_t *next; /* in the index's spare list */
    uint16_t *in_query;      /* per trigram key of the index: the query trigram's number + 1, 0 for others */
    uint64_t *shared;        /* per doc, bit-sliced: plane k (set_words words at shared + k * set_words) holds bit k
                              * of how many of the query's trigrams the doc holds (an upper bound of c) */
    size_t planes;           /* in use: enough for nq */
    uint16_t *weight;        /* per doc: the weights of the query's words it holds */
    uint64_t *every, *match, *word, *equal, *starts, *level; /* doc sets */
    uint32_t *match_words;   /* the numbers of match's words that are not 0 */
    size_t nmatch_words;
    uint16_t *page;          /* the page's docs */
    uint64_t *slot_of;       /* per token: found << 32 | its slot this search; 0 (zero between searches): none of
                              * the query's trigrams */
    uint64_t *masks;         /* per slot: which of the query's trigrams the token has (mw words) */
    uint16_t *found;         /* per slot: how many */
    uint32_t *slot_token;    /* per slot: its token */
    size_t slots, slot_cap, mask_cap; /* mask_cap: uint64 words of masks */
    uint32_t *touch_slot, *u_before, *u_after; /* one doc's tokens that hold a query trigram (max_tokens each) */
    uint32_t *reach;         /* per such token: the query trigrams it and the later ones hold together */
    uint64_t *acc;           /* a window's mask */
    catalog_hit_t *hits;     /* the best hits (count entries) */
    char *q;
    size_t q_cap;
    catalog_trgm_t *tri;
    size_t tri_cap;
    int failed;              /* out of memory during this search */
};

/** The query as the ranking sees it. */
typedef struct catalog_query {
    const char *q; /* folded, single spaces */
    size_t qn;
    size_t nq;     /* distinct trigrams of q (in_query numbers 1..nq) */
    size_t mw;     /* uint64 words of a mask: (nq + 63) / 64, at least 1 */
} catalog_query_t;

/** counts[i] += weight for every bit i of `bits` (64 counters, 16-byte aligned: a doc set's word w is the counters
 *  w * 64 ..; catalog_counts.c). */
void catalog_counts_add_word(uint16_t *counts, uint64_t bits, uint16_t weight);

/** The same for every word of a doc set. */
void catalog_counts_add(uint16_t *counts, const uint64_t *set, size_t set_words, uint16_t weight);

/** Bit i set when counts[i] >= needed, for 64 counters (16-byte aligned). */
uint64_t catalog_counts_at_least(const uint16_t *counts, size_t needed);

/** The most planes `shared` has: enough for any nq up to 65,535. */
#define CATALOG_SHARED_PLANES 16

/** A scratch for ix (the index's spare one, or a new one: NULL when out of memory), to give back after the search. */
catalog_scratch_t *catalog_scratch_borrow(catalog_index_t *ix);
void catalog_scratch_give_back(catalog_index_t *ix, catalog_scratch_t *s);

/** Grows the per-query parts: q of q_cap bytes, nq_cap trigrams, masks of mw words.
 *  0, or -1 when out of memory. */
int catalog_scratch_fit(catalog_scratch_t *s, size_t q_cap, size_t nq_cap, size_t mw);

/** Starts a search. */
void catalog_scratch_next_search(catalog_scratch_t *s);

/** Which tokens hold which of the query's trigrams (keys: the query's trigrams the index has, numbered in
 *  s->in_query); catalog_rank_finish clears it after the search. */
void catalog_rank_prepare(const catalog_index_t *ix, catalog_scratch_t *s, const catalog_query_t *qy,
                          const size_t *keys, size_t nkeys);
void catalog_rank_finish(catalog_scratch_t *s);

/** The best `want` hits among s->match (s->shared their bounds), sorted best first into s->hits; returns how many
 *  (want, unless out of memory: s->failed). s->equal and s->starts give the classes. */
size_t catalog_rank(const catalog_index_t *ix, catalog_scratch_t *s, const catalog_query_t *qy, size_t want);

#endif
