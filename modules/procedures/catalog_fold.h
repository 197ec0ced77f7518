/*
 * modules/procedures/catalog_fold.h — the catalog search's text rules, exactly as PostgreSQL applies them (pure code).
 *
 * catalog_search (migrations 0004) folds the query with cong_fold (lower(unaccent(...)), đ/Đ -> d: "Đăng ký" -> "dang
 * ky"), turns every run of regexp \s into one space and trims the ends; pg_trgm cuts text into words at the characters
 * it does not count as word characters. The tables that say which codepoint folds to what, which are spaces and which
 * are not word characters are read from PostgreSQL by scripts/gen-catalog-fold.py (catalog_fold_table.c, generated),
 * so the in-memory search (catalog_index.h) folds a query to the same bytes as the SQL does. Folding is per codepoint
 * (unaccent.rules has no rule of several characters, and lower() maps one codepoint at a time).
 */
#ifndef CONG_PROCEDURES_CATALOG_FOLD_H
#define CONG_PROCEDURES_CATALOG_FOLD_H

#include <stddef.h>
#include <stdint.h>

typedef struct catalog_fold_entry {
    uint32_t cp;    /* a codepoint that cong_fold changes */
    const char *to; /* what it becomes (UTF-8; may be empty: combining marks) */
} catalog_fold_entry_t;

/* Generated tables (catalog_fold_table.c), sorted by codepoint. */
extern const catalog_fold_entry_t catalog_fold_map[];
extern const size_t catalog_fold_map_count;
extern const uint32_t catalog_fold_spaces[];
extern const size_t catalog_fold_spaces_count;
extern const uint32_t catalog_fold_nonword[][2];
extern const size_t catalog_fold_nonword_count;

/** The longest a folded query can be for `len` input bytes (one codepoint folds to at most 5 codepoints). */
#define CATALOG_FOLD_MAX(len) ((len) * 16 + 1)

/** Decodes the UTF-8 codepoint at s[*i] (len bytes in all), advancing *i; 0, or -1 for invalid UTF-8 (overlong,
 *  surrogate, truncated, beyond U+10FFFF) or a NUL byte, which PostgreSQL refuses in text. */
int catalog_utf8_next(const char *s, size_t len, size_t *i, uint32_t *cp);

/** 1 when pg_trgm counts `cp` (a folded codepoint) as a word character. */
int catalog_fold_is_word(uint32_t cp);

/** catalog_search's query normalisation: btrim(regexp_replace(cong_fold(in), '\s+', ' ', 'g')) into out (at least
 *  CATALOG_FOLD_MAX(len) bytes), NUL-terminated. The folded length, or -1 when `in` is not valid UTF-8. */
long catalog_fold_query(const char *in, size_t len, char *out, size_t cap);

#endif
