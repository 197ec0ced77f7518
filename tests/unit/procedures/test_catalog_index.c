/* modules/procedures/catalog_index.c, catalog_search.c, catalog_rank.c: matching, ranking, filters, pages and the
 * answer's bytes. */
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "modules/procedures/catalog_index.h"

#define ITEM(code) "{\"code\": \"" code "\"}"

/* sorted by code, as loaded; search_text and name_folded as PostgreSQL stores them */
static const catalog_row_t ROWS[] = {
    {"1.001193", "ho-tich", "dang ky khai sinh birth registration 1.001193", "dang ky khai sinh", 17,
     ITEM("1.001193"), "HN-W-001 HN-W-002", NULL, 0, 1},
    {"2.000009", "ho-tich", "dang ky khai sinh luu dong birth registration — mobile 2.000009",
     "dang ky khai sinh luu dong", 26, ITEM("2.000009"), "HN-W-001", NULL, 0, 1},
    {"2.000024", "ho-tich", "dang ky ket hon marriage registration 2.000024", "dang ky ket hon", 15,
     ITEM("2.000024"), "HN-W-002", NULL, 0, 1},
    {"2.001250", "giao-thong", "dang ky xe vehicle registration 2.001250", "dang ky xe", 10, ITEM("2.001250"),
     "HN-D-CA", NULL, 0, 3},
    {"2.001300", "dat-dai", "cap giay chung nhan quyen su dung dat land use certificate 2.001300",
     "cap giay chung nhan quyen su dung dat", 38, ITEM("2.001300"), "", NULL, 0, 1},
};

static catalog_index_t *index_;

static int setup(void **state)
{
    (void)state;
    index_ = catalog_index_build(ROWS, sizeof ROWS / sizeof ROWS[0], 7);
    return index_ == NULL;
}

static int teardown(void **state)
{
    (void)state;
    catalog_index_free(index_);
    return 0;
}

/* the answer's codes in order, then " total=N" */
static const char *search(const char *q, const char *domain, const char *unit, int page, int size)
{
    static char out[512];
    catalog_search_args_t a = {q, q ? strlen(q) : 0, domain, domain ? strlen(domain) : 0,
                               unit, unit ? strlen(unit) : 0, page, size};
    size_t len = 0;
    int invalid = 0;
    char *body = catalog_index_search(index_, &a, &len, &invalid);
    if (body == NULL)
        return invalid ? "<invalid>" : "<error>";
    assert_int_equal(strlen(body), len);
    out[0] = '\0';
    for (const char *p = body; (p = strstr(p, "\"code\": \"")) != NULL; p += 9)
        snprintf(out + strlen(out), sizeof out - strlen(out), "%s%.8s", out[0] ? " " : "", p + 9);
    const char *total = strstr(body, "\"total\": ");
    snprintf(out + strlen(out), sizeof out - strlen(out), "%stotal=%d", out[0] ? " " : "", total ? atoi(total + 9) : -1);
    free(body);
    return out;
}

static void test_answer_is_jsonb_text(void **state)
{
    (void)state;
    catalog_search_args_t a = {"vehicle", 7, NULL, 0, NULL, 0, 1, 20};
    size_t len = 0;
    int invalid = 0;
    char *body = catalog_index_search(index_, &a, &len, &invalid);
    assert_string_equal(body, "{\"page\": 1, \"items\": [{\"code\": \"2.001250\"}], \"total\": 1, \"page_size\": 20}");
    free(body);
    assert_int_equal(catalog_index_version(index_), 7);
    assert_int_equal(catalog_index_count(index_), 5);
}

static void test_every_word_as_a_substring_accents_folded(void **state)
{
    (void)state;
    /* rank: score (all 1 here: the words side by side), name = q, name starts with q, shorter name, code */
    assert_string_equal(search("Đăng ký", NULL, NULL, 1, 20), "2.001250 2.000024 1.001193 2.000009 total=4");
    assert_string_equal(search("DANG KY KHAI SINH", NULL, NULL, 1, 20), "1.001193 2.000009 total=2");
    assert_string_equal(search("khai sin", NULL, NULL, 1, 20), "1.001193 2.000009 total=2");
    assert_string_equal(search("registration dang", NULL, NULL, 1, 20),
                        "2.001250 2.000024 1.001193 2.000009 total=4");
    assert_string_equal(search("1193", NULL, NULL, 1, 20), "1.001193 total=1");
    assert_string_equal(search("zzz", NULL, NULL, 1, 20), "total=0");
}

static void test_most_of_the_words_match(void **state)
{
    (void)state;
    /* no word "sjnh" anywhere, but the words found carry 13 of the words' 18 trigrams (>= 60 %) */
    assert_string_equal(search("dang ky khai sjnh", NULL, NULL, 1, 20), "1.001193 2.000009 total=2");
    assert_string_equal(search("giay chung nhan quyen su dung dxt", NULL, NULL, 1, 20), "2.001300 total=1");
    /* a word nobody has */
    assert_string_equal(search("dang ky khai sinh online", NULL, NULL, 1, 20), "1.001193 2.000009 total=2");
    /* but not half of them: "dang ky" alone carries 8 of 16 */
    assert_string_equal(search("dang ky ket hon", NULL, NULL, 1, 20), "2.000024 total=1");
}

static void test_words_side_by_side_rank_first(void **state)
{
    (void)state;
    /* "birth registration" side by side scores 1 (19 of 19 trigrams, nothing else in the window); "registration"
     * alone 13 / 19: the score comes before the name's length */
    assert_string_equal(search("birth registration", NULL, NULL, 1, 20), "1.001193 2.000009 2.001250 2.000024 total=4");
    /* the words apart: "dang ... registration" holds every trigram but also the words between them */
    assert_string_equal(search("registration dang", NULL, NULL, 1, 2), "2.001250 2.000024 total=4");
    assert_string_equal(search("birth registration", NULL, NULL, 2, 3), "2.000024 total=4");
}

static void test_filters_and_pages(void **state)
{
    (void)state;
    assert_string_equal(search(NULL, NULL, NULL, 1, 20), "1.001193 2.000009 2.000024 2.001250 2.001300 total=5");
    assert_string_equal(search(NULL, NULL, NULL, 2, 2), "2.000024 2.001250 total=5");
    assert_string_equal(search(NULL, NULL, NULL, 9, 2), "total=5");
    assert_string_equal(search("dang ky", "ho-tich", NULL, 1, 20), "2.000024 1.001193 2.000009 total=3");
    assert_string_equal(search("dang ky", NULL, "HN-W-002", 1, 20), "2.000024 1.001193 total=2");
    assert_string_equal(search("dang ky", NULL, "HN-W-00", 1, 20), "total=0");
    assert_string_equal(search(NULL, "ho-tic", NULL, 1, 20), "total=0");
}

static void test_not_utf8_is_invalid(void **state)
{
    (void)state;
    assert_string_equal(search("dang \xff", NULL, NULL, 1, 20), "<invalid>");
}

/* Searches on several threads at once, each with working memory borrowed from the index, give the answers one
 * thread gives. */
static const char *const THREAD_QUERIES[] = {"dang ky", "khai sinh", "registration", "dang ky ket hon", "xe",
                                             "cap giay chung nhan", "birth registration", "1193", "dang ky khai sjnh"};
#define NTHREAD_QUERIES (sizeof THREAD_QUERIES / sizeof THREAD_QUERIES[0])
static char *expected_[NTHREAD_QUERIES];

static void *search_many(void *arg)
{
    long mismatches = 0;
    for (int round = 0; round < 200; round++) {
        size_t i = ((size_t)round + (size_t)(intptr_t)arg) % NTHREAD_QUERIES;
        catalog_search_args_t a = {THREAD_QUERIES[i], strlen(THREAD_QUERIES[i]), NULL, 0, NULL, 0, 1, 20};
        size_t len = 0;
        int invalid = 0;
        char *body = catalog_index_search(index_, &a, &len, &invalid);
        mismatches += body == NULL || strcmp(body, expected_[i]) != 0;
        free(body);
    }
    return (void *)(intptr_t)mismatches;
}

static void test_threads_search_one_index(void **state)
{
    (void)state;
    for (size_t i = 0; i < NTHREAD_QUERIES; i++) {
        catalog_search_args_t a = {THREAD_QUERIES[i], strlen(THREAD_QUERIES[i]), NULL, 0, NULL, 0, 1, 20};
        size_t len = 0;
        int invalid = 0;
        expected_[i] = catalog_index_search(index_, &a, &len, &invalid);
        assert_non_null(expected_[i]);
    }
    pthread_t threads[4];
    for (intptr_t t = 0; t < 4; t++)
        assert_int_equal(pthread_create(&threads[t], NULL, search_many, (void *)t), 0);
    for (int t = 0; t < 4; t++) {
        void *mismatches = NULL;
        pthread_join(threads[t], &mismatches);
        assert_int_equal((intptr_t)mismatches, 0);
    }
    for (size_t i = 0; i < NTHREAD_QUERIES; i++)
        free(expected_[i]);
}

static void test_rows_out_of_code_order_are_refused(void **state)
{
    (void)state;
    catalog_row_t rows[2] = {ROWS[1], ROWS[0]};
    assert_null(catalog_index_build(rows, 2, 1));
}

/* catalog_index_procedure: what a submission checks, found by code (bytes); none without a loaded form */
static void test_procedure_by_code(void **state)
{
    (void)state;
    catalog_row_t rows[3] = {ROWS[0], ROWS[1], ROWS[3]};
    rows[0].form_fields = "[{\"name\": \"ho_ten\", \"type\": \"string\", \"required\": true}]";
    rows[0].min_loa = 2;
    rows[2].form_fields = "[]";
    rows[2].min_loa = 1;
    rows[2].applicants = CATALOG_APPLICANT_ORGANIZATION;
    catalog_index_t *ix = catalog_index_build(rows, 3, 1);
    assert_non_null(ix);
    catalog_procedure_t p;
    assert_int_equal(catalog_index_procedure(ix, "1.001193", &p), 1);
    assert_string_equal(p.domain, "ho-tich");
    assert_string_equal(p.form_fields, rows[0].form_fields);
    assert_int_equal(p.min_loa, 2);
    assert_int_equal(p.applicants, CATALOG_APPLICANT_CITIZEN);
    assert_int_equal(catalog_index_procedure(ix, "2.001250", &p), 1);
    assert_string_equal(p.domain, "giao-thong");
    assert_string_equal(p.form_fields, "[]");
    assert_int_equal(p.min_loa, 1);
    assert_int_equal(p.applicants, CATALOG_APPLICANT_ORGANIZATION);
    assert_int_equal(catalog_index_procedure(ix, "2.000009", &p), 0); /* its form was not loaded */
    assert_int_equal(catalog_index_procedure(ix, "2.000024", &p), 0); /* not in this index */
    assert_int_equal(catalog_index_procedure(ix, "", &p), 0);
    assert_int_equal(catalog_index_procedure(ix, "9", &p), 0);
    catalog_index_free(ix);
}

/* procedures.applicants' text (migrations 0014) as bits; anything else is nobody */
static void test_applicants_parse(void **state)
{
    (void)state;
    assert_int_equal(catalog_applicants_parse("citizen"), CATALOG_APPLICANT_CITIZEN);
    assert_int_equal(catalog_applicants_parse("organization"), CATALOG_APPLICANT_ORGANIZATION);
    assert_int_equal(catalog_applicants_parse("both"), CATALOG_APPLICANT_CITIZEN | CATALOG_APPLICANT_ORGANIZATION);
    assert_int_equal(catalog_applicants_parse("Both"), 0);
    assert_int_equal(catalog_applicants_parse(""), 0);
    assert_int_equal(catalog_applicants_parse(NULL), 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_answer_is_jsonb_text),
        cmocka_unit_test(test_every_word_as_a_substring_accents_folded),
        cmocka_unit_test(test_most_of_the_words_match),
        cmocka_unit_test(test_words_side_by_side_rank_first),
        cmocka_unit_test(test_filters_and_pages),
        cmocka_unit_test(test_not_utf8_is_invalid),
        cmocka_unit_test(test_threads_search_one_index),
        cmocka_unit_test(test_rows_out_of_code_order_are_refused),
        cmocka_unit_test(test_procedure_by_code),
        cmocka_unit_test(test_applicants_parse),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
