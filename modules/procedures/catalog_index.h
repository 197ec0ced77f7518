/*
 * modules/procedures/catalog_index.h — the catalog searched in memory (pure code: no I/O, no gateway API).
 *
 * Built once from the rows PostgreSQL holds (catalog_live.c loads them), then read-only: any number of threads may
 * search one index at the same time. It answers what catalog_search (migrations 0004) answers, to the byte:
 *   * matching: the query q is folded and normalised (catalog_fold_query); with q empty every procedure matches;
 *     otherwise a procedure matches when its search_text (folded name_vi, name_en and code, as PostgreSQL stored it)
 *     contains every space-separated word of q as a substring, or when word_similarity(q, search_text) >= 0.6
 *     (catalog_trgm.h); then the domain (equal) and unit (handles it) filters;
 *   * order: word_similarity desc, name_folded = q first, name_folded starting with q first, length(name_vi) in
 *     codepoints asc, code asc (bytes: the C.UTF-8 collation's order); with q empty: code asc;
 *   * answer: {"page": P, "items": [...], "total": T, "page_size": S}, each item the jsonb text PostgreSQL rendered
 *     at load time, in jsonb's own key order and spacing.
 * The substring test is narrowed by an index of every 1-, 2- and 3-byte sequence of search_text (the rarest one of
 * the query's words gives the candidates, memmem confirms); the similarity by an inverted index of pg_trgm trigrams
 * (a procedure sharing fewer than 0.6 × the query's distinct trigrams cannot reach 0.6). Only the first page × size
 * hits need their exact similarity (pg_trgm's quadratic extent scan): candidates are taken most shared trigrams
 * first, and one whose bounds (shared / query trigrams; no extent reaching the want-th key's similarity) put it
 * after the want-th hit ranked so far is only checked for `<%` (catalog_search.c).
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
 *  when out of memory or the rows are not so. */
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
