/*
 * modules/payments/statement.c — the provider's daily statement (CSV), read strictly. Pure: no API call, no I/O.
 *
 * Format (as the stand-in writes it at GET /control/statement?date=yyyyMMdd, after VNPay's merchant statement):
 *   tmn_code,txn_ref,transaction_no,transaction_type,amount,pay_date,status,bank_code
 * then one row per successful payment (type 01) and refund (02 full, 03 partial) of one GMT+7 day; amount in VND x 100
 * like vnp_Amount (so a multiple of 100), pay_date yyyyMMddHHmmss in GMT+7. Lines end in LF or CRLF; a UTF-8 byte
 * order mark before the header is skipped. Fields may be quoted as RFC 4180 says ("" for a quote inside), but no field
 * of this format may hold a line break, so a quote left open at the end of a line is an error.
 *
 * Strict: a statement with any malformed line is refused whole (a reconciliation of part of a day would report the
 * rest as missing), and every malformed line is named by its number. Bounded: lines of at most
 * PAYMENTS_STATEMENT_MAX_LINE bytes, at most max_rows rows.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "payments.h"

#define FIELDS 8
#define FIELD_MAX 128
static const char header[] = "tmn_code,txn_ref,transaction_no,transaction_type,amount,pay_date,status,bank_code";

typedef char field_t[FIELD_MAX + 1];

static void note_error(payments_statement_t *s, size_t line, const char *why)
{
    size_t used = strlen(s->errors);
    if (used < sizeof s->errors - 1)
        snprintf(s->errors + used, sizeof s->errors - used, "line %zu: %s\n", line, why);
    s->error_count++;
}

/* RFC 4180 fields of one line (without its line ending). NULL, or why the line is malformed. */
static const char *split(const char *p, size_t n, field_t fields[FIELDS], int *count)
{
    size_t i = 0;
    *count = 0;
    for (;;) {
        if (*count == FIELDS)
            return "more than 8 fields";
        char *out = fields[*count];
        size_t len = 0;
        if (i < n && p[i] == '"') {
            for (i++;; i++) {
                if (i >= n)
                    return "a quoted field is not closed on its line";
                if (p[i] == '"' && !(i + 1 < n && p[i + 1] == '"'))
                    break;
                if (p[i] == '"')
                    i++;
                if (len == FIELD_MAX)
                    return "a field is too long";
                out[len++] = p[i];
            }
            i++;
            if (i < n && p[i] != ',')
                return "text after a quoted field";
        } else {
            for (; i < n && p[i] != ','; i++) {
                if (p[i] == '"')
                    return "a quote inside an unquoted field";
                if (len == FIELD_MAX)
                    return "a field is too long";
                out[len++] = p[i];
            }
        }
        out[len] = '\0';
        (*count)++;
        if (i >= n)
            return NULL;
        i++; /* the comma */
    }
}

static int all_of(const char *s, size_t min, size_t max, const char *set)
{
    size_t n = strlen(s);
    return n >= min && n <= max && strspn(s, set) == n;
}

#define DIGITS "0123456789"
#define ALNUM DIGITS "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"

/* Days from 1970-01-01 to y-m-d (proleptic Gregorian; H. Hinnant's days_from_civil). */
static long long days_from_civil(long long y, unsigned m, unsigned d)
{
    y -= m <= 2;
    long long era = (y >= 0 ? y : y - 399) / 400;
    unsigned yoe = (unsigned)(y - era * 400);
    unsigned doy = (153 * (m + (m > 2 ? -3 : 9)) + 2) / 5 + d - 1;
    unsigned doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    return era * 146097 + (long long)doe - 719468;
}

/* yyyyMMddHHmmss in GMT+7 → seconds since the epoch; -1 when it is no valid time. */
static long long gmt7_time(const char *s)
{
    if (!all_of(s, 14, 14, DIGITS))
        return -1;
    int v[6], widths[6] = {4, 2, 2, 2, 2, 2};
    for (int k = 0, at = 0; k < 6; at += widths[k], k++) {
        v[k] = 0;
        for (int j = 0; j < widths[k]; j++)
            v[k] = v[k] * 10 + (s[at + j] - '0');
    }
    static const int month_days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (v[0] % 4 == 0 && v[0] % 100 != 0) || v[0] % 400 == 0;
    if (v[0] < 2000 || v[0] > 2099 || v[1] < 1 || v[1] > 12 || v[2] < 1 || v[2] > month_days[v[1] - 1] ||
        (v[1] == 2 && v[2] == 29 && !leap) || v[3] > 23 || v[4] > 59 || v[5] > 59)
        return -1;
    return days_from_civil(v[0], (unsigned)v[1], (unsigned)v[2]) * 86400 + v[3] * 3600 + v[4] * 60 + v[5] - 7 * 3600;
}

/* A field whose length read_row has checked, copied (the compiler cannot see the check: a plain snprintf "%s" warns
 * of truncation at -O1 and above). */
static void copy_checked(char *dst, size_t size, const char *src)
{
    size_t n = strnlen(src, size - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

/* One data row's fields checked and stored. NULL, or why the row is malformed. */
static const char *read_row(field_t f[FIELDS], payments_statement_row_t *row)
{
    if (!all_of(f[0], 1, 16, ALNUM))
        return "tmn_code: 1 to 16 letters or digits expected";
    if (!all_of(f[1], 1, 100, ALNUM "-_."))
        return "txn_ref: 1 to 100 letters, digits, '-', '_' or '.' expected";
    if (!all_of(f[2], 1, 40, ALNUM))
        return "transaction_no: 1 to 40 letters or digits expected";
    if (strcmp(f[3], "01") != 0 && strcmp(f[3], "02") != 0 && strcmp(f[3], "03") != 0)
        return "transaction_type: 01, 02 or 03 expected";
    if (!all_of(f[4], 3, 15, DIGITS) || f[4][0] == '0')
        return "amount: a positive whole number of VND x 100 expected";
    long long amount = strtoll(f[4], NULL, 10);
    if (amount % 100 != 0)
        return "amount: VND x 100 is a multiple of 100";
    long long paid_at = gmt7_time(f[5]);
    if (paid_at < 0)
        return "pay_date: a valid yyyyMMddHHmmss expected";
    if (!all_of(f[6], 2, 2, DIGITS))
        return "status: two digits expected";
    if (!all_of(f[7], 0, 20, ALNUM))
        return "bank_code: at most 20 letters or digits expected";
    copy_checked(row->tmn_code, sizeof row->tmn_code, f[0]);
    copy_checked(row->txn_ref, sizeof row->txn_ref, f[1]);
    copy_checked(row->transaction_no, sizeof row->transaction_no, f[2]);
    copy_checked(row->transaction_type, sizeof row->transaction_type, f[3]);
    row->amount_vnd = amount / 100;
    row->paid_at = paid_at;
    copy_checked(row->status, sizeof row->status, f[6]);
    copy_checked(row->bank_code, sizeof row->bank_code, f[7]);
    return NULL;
}

static int append(payments_statement_t *s, size_t *capacity, const payments_statement_row_t *row)
{
    if (s->count == *capacity) {
        size_t next = *capacity ? *capacity * 2 : 64;
        payments_statement_row_t *rows = realloc(s->rows, next * sizeof *rows);
        if (rows == NULL)
            return CONG_ENOMEM;
        s->rows = rows;
        *capacity = next;
    }
    s->rows[s->count++] = *row;
    return 0;
}

/* One physical line (its ending removed). 0, or CONG_ENOMEM / CONG_ETOOBIG that end the reading. */
static int read_line(payments_statement_t *s, size_t *capacity, size_t max_rows, size_t number, const char *p,
                     size_t n)
{
    if (n > PAYMENTS_STATEMENT_MAX_LINE)
        return note_error(s, number, "longer than the longest line allowed"), 0;
    if (number == 1) {
        if (n != sizeof header - 1 || memcmp(p, header, n) != 0)
            note_error(s, number, "the header is not " "tmn_code,txn_ref,transaction_no,transaction_type,amount,"
                                  "pay_date,status,bank_code");
        return 0;
    }
    if (n == 0)
        return note_error(s, number, "an empty line"), 0;
    field_t fields[FIELDS];
    int count = 0;
    const char *why = split(p, n, fields, &count);
    if (why == NULL && count != FIELDS)
        why = "fewer than 8 fields";
    payments_statement_row_t row = {.line = (int)number};
    if (why == NULL)
        why = read_row(fields, &row);
    if (why != NULL)
        return note_error(s, number, why), 0;
    if (s->count == max_rows)
        return CONG_ETOOBIG;
    return append(s, capacity, &row);
}

int payments_statement_parse(const char *text, size_t len, size_t max_rows, payments_statement_t *out)
{
    memset(out, 0, sizeof *out);
    if (len >= 3 && memcmp(text, "\xEF\xBB\xBF", 3) == 0) {
        text += 3;
        len -= 3;
    }
    size_t capacity = 0, number = 0, at = 0;
    int rc = 0;
    while (rc == 0 && at < len) {
        const char *nl = memchr(text + at, '\n', len - at);
        size_t end = nl != NULL ? (size_t)(nl - text) : len, n = end - at;
        if (n > 0 && text[at + n - 1] == '\r')
            n--;
        if (memchr(text + at, '\0', n) != NULL || memchr(text + at, '\r', n) != NULL)
            note_error(out, number + 1, "a NUL or a lone carriage return");
        else
            rc = read_line(out, &capacity, max_rows, number + 1, text + at, n);
        number++;
        at = end + 1;
    }
    if (rc == 0 && number == 0)
        note_error(out, 1, "no header: the statement is empty");
    if (rc == 0 && out->error_count > 0)
        rc = CONG_EPARSE;
    if (rc != 0) /* never part of a statement */
        payments_statement_free(out);
    return rc;
}

void payments_statement_free(payments_statement_t *s)
{
    free(s->rows);
    s->rows = NULL;
    s->count = 0;
}
