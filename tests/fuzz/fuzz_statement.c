/*
 * tests/fuzz/fuzz_statement.c — libFuzzer target for modules/payments/statement.c: the provider's daily statement
 * (CSV from outside cong, read by `cong payments reconcile`).
 *
 * Oracles beyond "no crash, no leak, no read outside the input":
 *   - the outcome is 0, CONG_EPARSE or CONG_ETOOBIG, the same when parsed twice;
 *   - 0: at most max_rows rows, each with line numbers rising from 2, a type of 01/02/03, an amount > 0, two-digit
 *     status, strings NUL-terminated within their fields; no error counted;
 *   - CONG_EPARSE: no row kept, at least one error counted, the error text NUL-terminated within its buffer.
 */
#include "modules/payments/payments.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define MAX_ROWS 64

static void check_row(const payments_statement_row_t *r, int previous_line)
{
    if (r->line <= previous_line || r->line < 2 || r->amount_vnd <= 0 || strlen(r->status) != 2 ||
        memchr(r->tmn_code, '\0', sizeof r->tmn_code) == NULL || memchr(r->txn_ref, '\0', sizeof r->txn_ref) == NULL ||
        memchr(r->transaction_no, '\0', sizeof r->transaction_no) == NULL ||
        memchr(r->bank_code, '\0', sizeof r->bank_code) == NULL || r->txn_ref[0] == '\0')
        abort();
    if (strcmp(r->transaction_type, "01") != 0 && strcmp(r->transaction_type, "02") != 0 &&
        strcmp(r->transaction_type, "03") != 0)
        abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* an exact-size copy: a read past the input shows under ASan */
    char *text = malloc(size ? size : 1);
    if (text == NULL)
        return 0;
    memcpy(text, data, size);
    payments_statement_t a, b;
    int rc = payments_statement_parse(text, size, MAX_ROWS, &a);
    int rc2 = payments_statement_parse(text, size, MAX_ROWS, &b);
    if (rc != rc2 || a.count != b.count || a.error_count != b.error_count || strcmp(a.errors, b.errors) != 0)
        abort();
    if (rc == 0) {
        if (a.count > MAX_ROWS || a.error_count != 0)
            abort();
        for (size_t i = 0; i < a.count; i++)
            check_row(&a.rows[i], i ? a.rows[i - 1].line : 1);
        if (a.count > 0 && memcmp(a.rows, b.rows, a.count * sizeof a.rows[0]) != 0)
            abort();
    } else if (rc == CONG_EPARSE) {
        if (a.count != 0 || a.rows != NULL || a.error_count == 0 ||
            memchr(a.errors, '\0', sizeof a.errors) == NULL)
            abort();
    } else if (rc != CONG_ETOOBIG) {
        abort();
    }
    payments_statement_free(&a);
    payments_statement_free(&b);
    free(text);
    return 0;
}
