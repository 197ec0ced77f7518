/*
 * modules/procedures/catalog_index.h — the catalog searched in memory (pure code: no I/O, no gateway API).
 *
 * Built once from the rows PostgreSQL holds (catalog_live.c loads them), then read-only: any number of threads may
 * search one index at the same time (each borrows its own working memory from the index). It answers what
 * catalog_search (procedures migration 0016) answers, to the byte:
 *   * q is folded and normalised (catalog_fold_query); with q empty every procedure matches, in code order;
 *   * words: q split on its spaces; a word's weight is its distinct pg_trgm trigrams (catalog_trgm.h). A procedure
 *     matches when its search_text (folded name_vi, name_en and code, as PostgreSQL stored it) contains every word
 *     as a substring, or words that carry at least 60 % of the words' weight (5 found >= 3 all: a misspelt or an
 *     extra word may be missing); then the domain (equal) and unit (handles it) filters;
 *   * score: search_text's tokens (split on ' ') each have their distinct trigrams; over the windows of consecutive
 *     tokens that start and end on a token holding one of q's trigrams, the greatest c / (nq + u) — c: q's trigrams
 *     the window holds, nq: q's distinct trigrams, u: the other trigrams of the window's tokens, token by token — as a
 *     float8 division (words side by side, nothing else between them: 1; the words apart, or partly: less);
 *   * order: score desc, name_folded = q first, name_folded starting with q first, length(name_vi) in codepoints
 *     asc, code asc (bytes);
 *   * answer: {"page": P, "items": [...], "total": T, "page_size": S}, each item the jsonb text PostgreSQL rendered
 *     at load time, in jsonb's own key order and spacing.
 * How (catalog_search.c, catalog_rank.c): the words are looked up in the tokens that hold their rarest 3 bytes (1-
 * and 2-byte words in an index of the texts), the weights and the query's shared trigrams are counted per doc as
 * bits, and only hits that could be on the page are scored — by shared count, most first, a Kadane bound before the
 * windows — so a search costs tens of microseconds where pg_trgm's word_similarity cost hundreds.
 */
#ifndef CONG_PROCEDURES_CATALOG_INDEX_H
#define CONG_PROCEDURES_CATALOG_INDEX_H

#include <stddef.h>
#include <stdint.h>

/** Who may apply for a procedure (procedures.applicants, migrations 0014): bits, both for 'both'. */
enum catalog_applicants {
    CATALOG_APPLICANT_CITIZEN = 1,      /* a person (on their own affairs, or for someone under a mandate) */
    CATALOG_APPLICANT_ORGANIZATION = 2, /* an organization: subject "org:<id>" (modules/orgs/orgs.h) */
};

/** procedures.applicants' text as its bits: "citizen" 1, "organization" 2, "both" 3; 0 for anything else. Pure. */
int catalog_applicants_parse(const char *text);

/** One procedure as loaded; strings are copied by catalog_index_build. */
typedef struct catalog_row {
    const char *code;
    const char *domain;
    const char *search_text; /* procedures.search_text */
    const char *name_folded; /* procedures.name_folded */
    long name_length;        /* length(name_vi), codepoints */
    const char *item_json;   /* the answer's item for this procedure, jsonb text */
    const char *units;       /* the codes of the units that handle it, space-separated */
    const char *form_fields; /* procedures.form_fields, jsonb text; NULL: not loaded (no catalog_index_procedure) */
    int min_loa;             /* procedures.min_loa */
    int applicants;          /* procedures.applicants as enum catalog_applicants bits */
} catalog_row_t;

typedef struct catalog_index catalog_index_t;

/** Builds an index of `count` rows, which must be sorted by code (bytes) without duplicates, at most 65,535. NULL
 *  when out of memory or the rows are not so. The rows' strings are copied. */
catalog_index_t *catalog_index_build(const catalog_row_t *rows, size_t count, long long version);
void catalog_index_free(catalog_index_t *index);
long long catalog_index_version(const catalog_index_t *index);
size_t catalog_index_count(const catalog_index_t *index);

/** What a submission checks against (dossiers.c), without asking PostgreSQL; the strings live as long as the index
 *  (read them while it is held: catalog_live_acquire). */
typedef struct catalog_procedure {
    const char *domain;
    const char *form_fields; /* jsonb text */
    int min_loa;
    int applicants;          /* enum catalog_applicants bits */
} catalog_procedure_t;

/** The procedure of that code: 1 and *out set, or 0 when the index has none (or its form was not loaded). */
int catalog_index_procedure(const catalog_index_t *index, const char *code, catalog_procedure_t *out);

/** One search: q as the client sent it (NULL: none), domain/unit filters (NULL: none), page >= 1, page_size >= 1. */
typedef struct catalog_search_args {
    const char *q;
    size_t q_len;
    const char *domain;
    size_t domain_len;
    const char *unit;
    size_t unit_len;
    int page;
    int page_size;
} catalog_search_args_t;

/** The answer's JSON text (malloc'd, NUL-terminated, *len set), or NULL: *invalid is set when q is not valid UTF-8
 *  (PostgreSQL would refuse it), else out of memory. */
char *catalog_index_search(const catalog_index_t *index, const catalog_search_args_t *args, size_t *len,
                           int *invalid);

#endif
