/* modules/payments/statement.c: the provider's daily statement, read strictly (rows, RFC 4180 quoting, line numbers of
 * every malformed line, bounds). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "modules/payments/payments.h"

#define HEADER "tmn_code,txn_ref,transaction_no,transaction_type,amount,pay_date,status,bank_code"

static int parse(const char *text, size_t max_rows, payments_statement_t *s)
{
    return payments_statement_parse(text, strlen(text), max_rows, s);
}

static void reads_rows(void **state)
{
    (void)state;
    payments_statement_t s;
    /* a byte order mark, CRLF and LF endings, quoted fields, an empty bank code, no final newline */
    const char *text = "\xEF\xBB\xBF" HEADER "\r\n"
                       "CONG0001,HN2026A1,14000001,01,5000000,20261206093000,00,NCB\r\n"
                       "CONG0001,\"HN2026A1\",14000002,03,\"2000000\",20240229000000,00,\n"
                       "CONG0001,HN-2026_B.2,14000003,02,100,20261206235959,00,VCB";
    assert_int_equal(parse(text, 10, &s), 0);
    assert_int_equal(s.count, 3);
    assert_int_equal(s.error_count, 0);
    assert_int_equal(s.rows[0].line, 2);
    assert_string_equal(s.rows[0].tmn_code, "CONG0001");
    assert_string_equal(s.rows[0].txn_ref, "HN2026A1");
    assert_string_equal(s.rows[0].transaction_no, "14000001");
    assert_string_equal(s.rows[0].transaction_type, "01");
    assert_int_equal(s.rows[0].amount_vnd, 50000); /* VND x 100 in the file */
    assert_int_equal(s.rows[0].paid_at, 1796524200); /* 2026-12-06 09:30:00 GMT+7 = 02:30:00 UTC */
    assert_string_equal(s.rows[0].status, "00");
    assert_string_equal(s.rows[0].bank_code, "NCB");
    assert_int_equal(s.rows[1].amount_vnd, 20000);
    assert_int_equal(s.rows[1].paid_at, 1709139600); /* 2024-02-29 00:00 GMT+7 = 02-28 17:00 UTC */
    assert_string_equal(s.rows[1].bank_code, "");
    assert_string_equal(s.rows[2].txn_ref, "HN-2026_B.2");
    assert_int_equal(s.rows[2].amount_vnd, 1);
    assert_int_equal(s.rows[2].line, 4);
    payments_statement_free(&s);

    assert_int_equal(parse(HEADER "\n", 10, &s), 0); /* a day without transactions */
    assert_int_equal(s.count, 0);
    payments_statement_free(&s);
}

/* The error text of a statement made of HEADER and `rows`, which must be refused. */
static const char *refused(const char *rows, size_t expected_errors)
{
    static char errors[2048];
    char text[8192];
    snprintf(text, sizeof text, HEADER "\n%s", rows);
    payments_statement_t s;
    assert_int_equal(parse(text, 100, &s), CONG_EPARSE);
    assert_int_equal(s.count, 0);
    assert_null(s.rows);
    assert_int_equal(s.error_count, expected_errors);
    snprintf(errors, sizeof errors, "%s", s.errors);
    return errors;
}

static void refuses_malformed_rows_by_line(void **state)
{
    (void)state;
    const char *e = refused("C1,T1,1,01,5000000,20261206093000,00,NCB\n"    /* 2: fine */
                            "C1,T2,2,01,5000050,20261206093000,00,NCB\n"    /* 3: not VND x 100 */
                            "C1,T3,3,04,5000000,20261206093000,00,NCB\n"    /* 4: no such type */
                            "C1,T4,4,01,5000000,20260230093000,00,NCB\n"    /* 5: 30 February */
                            "C1,T5,5,01,5000000,20261206093000,00\n"        /* 6: 7 fields */
                            "C1,T6,6,01,5000000,20261206093000,00,NCB,X\n"  /* 7: 9 fields */
                            "C1,\"T7,7,01,5000000,20261206093000,00,NCB\n"  /* 8: quote left open */
                            "C1,T\"8,8,01,5000000,20261206093000,00,NCB\n"  /* 9: quote inside a bare field */
                            "\n"                                            /* 10: empty */
                            "C1,T9,9,01,-5000000,20261206093000,00,NCB\n"   /* 11: negative */
                            "C1,T10,10,01,0500000,20261206093000,00,NCB\n"  /* 12: leading zero */
                            "C1,T 11,11,01,5000000,20261206093000,00,NCB\n" /* 13: space in txn_ref */
                            "C1,T12,12,01,5000000,20261206093000,0,NCB\n",  /* 14: status of one digit */
                            12);
    for (int line = 3; line <= 14; line++) {
        char needle[32];
        snprintf(needle, sizeof needle, "line %d: ", line);
        if (strstr(e, needle) == NULL)
            fail_msg("line %d not reported in:\n%s", line, e);
    }
    assert_null(strstr(e, "line 2: "));
    assert_non_null(strstr(e, "line 3: amount: VND x 100 is a multiple of 100"));
    assert_non_null(strstr(e, "line 8: a quoted field is not closed on its line"));
}

static void refuses_bad_headers_and_bounds(void **state)
{
    (void)state;
    payments_statement_t s;
    assert_int_equal(parse("", 10, &s), CONG_EPARSE);
    assert_non_null(strstr(s.errors, "line 1: no header"));
    assert_int_equal(parse("tmn_code,txn_ref\nC1,T1\n", 10, &s), CONG_EPARSE);
    assert_non_null(strstr(s.errors, "line 1: the header is not"));
    assert_int_equal(s.error_count, 2);

    char line[PAYMENTS_STATEMENT_MAX_LINE + 64];
    memset(line, 'A', sizeof line - 1);
    line[sizeof line - 1] = '\0';
    const char *e = refused(line, 1);
    assert_non_null(strstr(e, "line 2: longer than the longest line allowed"));
    e = refused("C1,T1,1,01,5000000,20261206093000,00,NCB\r\r\n", 1);
    assert_non_null(strstr(e, "line 2: a NUL or a lone carriage return"));

    /* at most max_rows rows */
    const char *three = HEADER "\nC1,T1,1,01,100,20261206093000,00,\nC1,T2,2,01,100,20261206093000,00,\n"
                               "C1,T3,3,01,100,20261206093000,00,\n";
    assert_int_equal(parse(three, 2, &s), CONG_ETOOBIG);
    assert_int_equal(s.count, 0);
    assert_int_equal(parse(three, 3, &s), 0);
    assert_int_equal(s.count, 3);
    payments_statement_free(&s);
}

static void errors_text_is_bounded(void **state)
{
    (void)state;
    /* a thousand bad lines: all counted, the text stays within its buffer */
    size_t size = 1000 * 8 + sizeof HEADER + 2;
    char *text = malloc(size);
    assert_non_null(text);
    size_t at = (size_t)snprintf(text, size, HEADER "\n");
    for (int i = 0; i < 1000; i++)
        at += (size_t)snprintf(text + at, size - at, "x,y,z\n");
    payments_statement_t s;
    assert_int_equal(payments_statement_parse(text, at, 100, &s), CONG_EPARSE);
    assert_int_equal(s.error_count, 1000);
    assert_true(strlen(s.errors) < sizeof s.errors);
    free(text);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(reads_rows),
        cmocka_unit_test(refuses_malformed_rows_by_line),
        cmocka_unit_test(refuses_bad_headers_and_bounds),
        cmocka_unit_test(errors_text_is_bounded),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
