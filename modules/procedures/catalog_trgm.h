/*
 * modules/procedures/catalog_trgm.h — pg_trgm's trigrams and word_similarity, in C (pure code).
 *
 * catalog_search matches a procedure when `q <% search_text` (word_similarity(q, search_text) >= 0.6, pg_trgm's
 * default pg_trgm.word_similarity_threshold) and ranks by word_similarity first, so the in-memory search computes the
 * same float, step by step as contrib/pg_trgm/trgm_op.c (PostgreSQL 15: generate_trgm_only, calc_word_similarity,
 * iterate_word_similarity without the strict flag). Text is already folded (catalog_fold.h): words are runs of word
 * characters, each padded "  word " and cut into trigrams of three codepoints. A trigram is kept whole (21 bits a
 * codepoint) where pg_trgm keeps three bytes or, for non-ASCII, a CRC of them: the same trigrams compare equal in both;
 * only two non-ASCII trigrams whose CRCs collide in PostgreSQL could differ, which the catalog's folded text never has.
 * pg_trgm's extent scan is quadratic in a text's trigrams; it is cut short only where no later step can change the
 * result (catalog_trgm.c says why each bound is exact), so every float is still pg_trgm's.
 */
#ifndef CONG_PROCEDURES_CATALOG_TRGM_H
#define CONG_PROCEDURES_CATALOG_TRGM_H

#include <stddef.h>
#include <stdint.h>

typedef uint64_t catalog_trgm_t;

/** pg_trgm's default word similarity threshold (a float GUC: 0.6f, compared as double). */
#define CATALOG_TRGM_WORD_THRESHOLD 0.6f

/** The trigrams of folded UTF-8 `text`, in order, duplicates kept (generate_trgm_only). `out` holds at least len + 1
 *  trigrams (a word of n codepoints gives n + 1). Returns how many; invalid UTF-8 ends the text there. */
size_t catalog_trgm_extract(const char *text, size_t len, catalog_trgm_t *out);

/** Sorts and removes duplicates; returns the new count. */
size_t catalog_trgm_unique(catalog_trgm_t *t, size_t n);

/** One text prepared for word_similarity: its trigram sequence as ids into its own sorted distinct trigrams. */
typedef struct catalog_trgm_text {
    const catalog_trgm_t *distinct; /* sorted, no duplicates */
    size_t ndistinct;
    const uint16_t *seq; /* seq[i]: the id (index into distinct) of the i-th trigram */
    size_t nseq;
} catalog_trgm_text_t;

/** word_similarity(query, text) as pg_trgm computes it: `query` is the query's sorted distinct trigrams. `found` and
 *  `lastpos` are scratch of text->ndistinct entries each. -1 when out of memory (a copy of the sequence). */
float catalog_trgm_word_similarity(const catalog_trgm_t *query, size_t nquery, const catalog_trgm_text_t *text,
                                   unsigned char *found, int *lastpos);

/** query <% text: word_similarity >= 0.6, stopping as soon as an extent reaches it (pg_trgm's CHECK_ONLY), as the
 *  operator does; cheaper than the full similarity when it holds. 0 when out of memory. */
int catalog_trgm_word_similar(const catalog_trgm_t *query, size_t nquery, const catalog_trgm_text_t *text,
                              unsigned char *found, int *lastpos);

/** In a position's key: that position holds the first occurrence of its trigram in the text. */
#define CATALOG_TRGM_FIRST 0x80000000u

/** The same two for a search that numbers trigrams its own way (catalog_search.c: the index's postings keys), so no
 *  merge of sorted trigrams is needed: keys[i] (i < text->nseq) is the number of the trigram at position i, with
 *  CATALOG_TRGM_FIRST at its first occurrence in the text; in_query[number] is 1 for the query's nquery distinct
 *  trigrams, 0 for any other. lastpos: scratch of text->ndistinct entries (indexed by text->seq). */
float catalog_trgm_word_similarity_keyed(size_t nquery, const catalog_trgm_text_t *text, const uint32_t *keys,
                                         const unsigned char *in_query, int *lastpos);
int catalog_trgm_word_similar_keyed(size_t nquery, const catalog_trgm_text_t *text, const uint32_t *keys,
                                    const unsigned char *in_query, int *lastpos);

/** 0 when word_similarity is certainly below tau (no extent of the text can reach it: a bound, one pass, no
 *  quadratic scan), else 1. Keys as above. */
int catalog_trgm_may_reach_keyed(size_t nquery, const catalog_trgm_text_t *text, const uint32_t *keys,
                                 const unsigned char *in_query, float tau);

#endif
