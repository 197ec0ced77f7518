/*
 * modules/payments/reconcile.c — `cong payments reconcile --date YYYY-MM-DD --statement FILE`: the provider's daily
 * statement (CSV, read by statement.c) against cong's payments settled and refunds refunded that GMT+7 day.
 *
 * The comparison is payment_reconcile's (migration 0003), one transaction: one line on stdout per finding —
 *   KIND OBJECT txn_ref=... transaction_no=... [line=N] DETAIL
 * with KIND missing-in-cong, missing-at-provider, duplicate, mismatch or other-merchant, OBJECT payment or refund,
 * DETAIL a JSON object (the field, both sides' values, cong's state) — then a summary line; a payment_alarms row per
 * finding (kind 'reconcile-<KIND>') and the audit record 'payment.reconcile' (actor 'admin').
 *
 * Exit status (the gateway passes 0..3 through, as every command's):
 *   0  RECONCILE_MATCHED       every transaction matches (the summary says findings=0)
 *   1  RECONCILE_DIFFERENCES   findings (listed, summary line) — or no comparison could be made: the statement is
 *                              malformed (each bad line named on stderr), PostgreSQL could not be reached or refused,
 *                              or no merchant code is configured; then stdout has no summary line and stderr says why
 *   2  usage
 *   3  RECONCILE_NO_STATEMENT  the statement file does not exist or cannot be read
 * A store error cannot have a status of its own: the gateway maps every status above 3 to 1.
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "payments.h"

#define STATEMENT_MAX_BYTES (64L * 1024 * 1024)
#define STATEMENT_MAX_ROWS 200000

enum reconcile_status {
    RECONCILE_MATCHED = CONG_COMMAND_OK,
    RECONCILE_DIFFERENCES = 1,
    RECONCILE_USAGE = CONG_COMMAND_USAGE,
    RECONCILE_NO_STATEMENT = CONG_COMMAND_NOT_FOUND,
};

static const char usage[] =
    "cong payments reconcile --date YYYY-MM-DD --statement FILE   the provider's statement of that GMT+7 day "
    "against cong: exit 0 all match, 1 differences (or none could be compared: stderr says why), 3 no such "
    "statement file\n";

static int valid_date(const char *s)
{
    int y, m, d;
    char tail;
    if (strlen(s) != 10 || s[4] != '-' || s[7] != '-' || sscanf(s, "%4d-%2d-%2d%c", &y, &m, &d, &tail) != 3)
        return 0;
    static const int days[] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
    return y >= 2000 && y <= 2099 && m >= 1 && m <= 12 && d >= 1 && d <= days[m - 1] && !(m == 2 && d == 29 && !leap);
}

/* The whole file, NUL-terminated (malloc'd), or NULL with errno set. */
static char *read_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    char *text = malloc(STATEMENT_MAX_BYTES + 1);
    size_t n = text != NULL ? fread(text, 1, STATEMENT_MAX_BYTES + 1, f) : 0;
    int failed = text == NULL || ferror(f) || n > STATEMENT_MAX_BYTES;
    int saved = text == NULL ? ENOMEM : n > STATEMENT_MAX_BYTES ? EFBIG : EIO;
    fclose(f);
    if (failed) {
        free(text);
        errno = saved;
        return NULL;
    }
    text[n] = '\0';
    *len = n;
    return text;
}

/* The statement's rows as payment_reconcile takes them (compact JSON, malloc'd), or NULL. */
static char *rows_json(const payments_statement_t *s)
{
    json_t *rows = json_array();
    for (size_t i = 0; rows != NULL && i < s->count; i++) {
        const payments_statement_row_t *r = &s->rows[i];
        json_t *row = json_pack("{s:i, s:s, s:s, s:s, s:s, s:I, s:I, s:s, s:s}", "line", r->line, "tmn_code",
                                r->tmn_code, "txn_ref", r->txn_ref, "transaction_no", r->transaction_no,
                                "transaction_type", r->transaction_type, "amount_vnd", (json_int_t)r->amount_vnd,
                                "paid_at", (json_int_t)r->paid_at, "status", r->status, "bank_code", r->bank_code);
        if (row == NULL || json_array_append_new(rows, row) != 0) {
            json_decref(rows);
            rows = NULL;
        }
    }
    char *text = rows != NULL ? json_dumps(rows, JSON_COMPACT) : NULL;
    json_decref(rows);
    return text;
}

static void print_finding(const cong_pg_result_t *res, int i)
{
    const cong_api_t *api = payments_api;
    printf("%s %s txn_ref=%s transaction_no=%s", api->pg_value(res, i, 0), api->pg_value(res, i, 1),
           api->pg_value(res, i, 2), api->pg_value(res, i, 3));
    if (!api->pg_is_null(res, i, 4))
        printf(" line=%s", api->pg_value(res, i, 4));
    printf(" %s\n", api->pg_value(res, i, 5));
}

static int print_summary(const char *detail_json)
{
    json_t *d = json_loads(detail_json, 0, NULL);
    json_int_t findings = json_integer_value(json_object_get(d, "findings"));
    printf("summary date=%s statement_rows=%" JSON_INTEGER_FORMAT " cong_payments=%" JSON_INTEGER_FORMAT
           " cong_refunds=%" JSON_INTEGER_FORMAT " findings=%" JSON_INTEGER_FORMAT "\n",
           json_string_value(json_object_get(d, "date")), json_integer_value(json_object_get(d, "statement_rows")),
           json_integer_value(json_object_get(d, "cong_payments")),
           json_integer_value(json_object_get(d, "cong_refunds")), findings);
    json_decref(d);
    return findings == 0 ? RECONCILE_MATCHED : RECONCILE_DIFFERENCES;
}

static int compare(cong_job_t *job, const char *date, const char *rows)
{
    const cong_api_t *api = payments_api;
    const char *params[] = {date, payments_config.vnpay_tmn_code, rows};
    cong_pg_result_t *res = NULL;
    int rc = api->job_pg_exec(job,
                              "SELECT kind, object, coalesce(txn_ref, ''), coalesce(transaction_no, ''), line, "
                              "detail FROM payment_reconcile($1::date, 'vnpay', $2, $3::jsonb)",
                              3, params, &res);
    if (rc != 0) {
        fprintf(stderr, "cong payments reconcile: PostgreSQL %s (%s); nothing compared\n",
                rc == CONG_EUNAVAILABLE ? "could not be reached" : "refused or did not answer", api->strerror(rc));
        return RECONCILE_DIFFERENCES;
    }
    int n = api->pg_ntuples(res), status = RECONCILE_DIFFERENCES;
    for (int i = 0; i < n; i++) {
        if (strcmp(api->pg_value(res, i, 0), "summary") == 0)
            status = print_summary(api->pg_value(res, i, 5));
        else
            print_finding(res, i);
    }
    api->job_pg_clear(res);
    return status;
}

static int reconcile(cong_job_t *job, const char *date, const char *path)
{
    if (payments_config.vnpay_tmn_code[0] == '\0') {
        fprintf(stderr, "cong payments reconcile: modules.payments.vnpay_tmn_code is not configured\n");
        return RECONCILE_DIFFERENCES;
    }
    size_t len = 0;
    char *text = read_file(path, &len);
    if (text == NULL) {
        fprintf(stderr, "cong payments reconcile: cannot read %s: %s\n", path, strerror(errno));
        return RECONCILE_NO_STATEMENT;
    }
    payments_statement_t statement;
    int rc = payments_statement_parse(text, len, STATEMENT_MAX_ROWS, &statement);
    free(text);
    if (rc != 0) {
        if (rc == CONG_EPARSE)
            fprintf(stderr, "cong payments reconcile: %s: %zu malformed line(s); nothing compared\n%s", path,
                    statement.error_count, statement.errors);
        else
            fprintf(stderr, "cong payments reconcile: %s: %s\n", path,
                    rc == CONG_ETOOBIG ? "more than 200000 rows" : "out of memory");
        payments_statement_free(&statement);
        return RECONCILE_DIFFERENCES;
    }
    char *rows = rows_json(&statement);
    payments_statement_free(&statement);
    if (rows == NULL) {
        fprintf(stderr, "cong payments reconcile: out of memory\n");
        return RECONCILE_DIFFERENCES;
    }
    int status = compare(job, date, rows);
    free(rows);
    return status;
}

static int run(cong_job_t *job, int argc, char **argv, void *udata)
{
    (void)udata;
    const char *date = NULL, *path = NULL;
    if (argc < 1 || strcmp(argv[0], "reconcile") != 0)
        return RECONCILE_USAGE;
    for (int i = 1; i < argc; i++) {
        if (strcmp(argv[i], "--date") == 0 && i + 1 < argc)
            date = argv[++i];
        else if (strcmp(argv[i], "--statement") == 0 && i + 1 < argc)
            path = argv[++i];
        else
            return RECONCILE_USAGE;
    }
    if (date == NULL || path == NULL || !valid_date(date))
        return RECONCILE_USAGE;
    return reconcile(job, date, path);
}

int payments_reconcile_register(cong_module_ctx_t *ctx)
{
    return payments_api->register_command(ctx, "payments", usage, run, NULL);
}
