/*
 * modules/procedures/catalog_trgm.h — pg_trgm's trigrams, in C (pure code).
 *
 * The catalog search (catalog_index.h; procedures migration 0016 in SQL) compares a query's trigrams with a text's as
 * pg_trgm cuts them (PostgreSQL 15's generate_trgm_only, what show_trgm shows): text is already folded (catalog_fold.h);
 * words are runs of word characters, each padded "  word " and cut into trigrams of three codepoints. A trigram is kept
 * whole (21 bits a codepoint) where pg_trgm keeps three bytes or, for non-ASCII, a CRC of them: the same trigrams
 * compare equal in both; only two non-ASCII trigrams whose CRCs collide in PostgreSQL could differ, which the
 * catalog's folded text never has.
 */
#ifndef CONG_PROCEDURES_CATALOG_TRGM_H
#define CONG_PROCEDURES_CATALOG_TRGM_H

#include <stddef.h>
#include <stdint.h>

typedef uint64_t catalog_trgm_t;

/** The trigrams of folded UTF-8 `text`, in order, duplicates kept (generate_trgm_only). `out` holds at least len + 1
 *  trigrams (a word of n codepoints gives n + 1). Returns how many; invalid UTF-8 ends the text there. */
size_t catalog_trgm_extract(const char *text, size_t len, catalog_trgm_t *out);

/** Sorts and removes duplicates; returns the new count. */
size_t catalog_trgm_unique(catalog_trgm_t *t, size_t n);

#endif
