/*
 * tools/payment_standin/statement.c — the daily statement (đối soát), GET /control/statement?date=yyyyMMdd, what
 * cong's reconciliation command reads. The format:
 *
 *   Content-Type: text/csv; charset=utf-8. Lines end with "\r\n" (RFC 4180). The first line is the header
 *     tmn_code,txn_ref,transaction_no,transaction_type,amount,pay_date,status,bank_code
 *   then one line per successful payment (transaction_type 01) and per refund (02 full, 03 partial) whose pay_date
 *   falls on that day in GMT+7, ordered by pay_date then transaction_no:
 *     tmn_code          the merchant's vnp_TmnCode
 *     txn_ref           the payment's vnp_TxnRef (a refund carries the TxnRef of the payment it refunds)
 *     transaction_no    VNPay's vnp_TransactionNo of this line (a refund has its own)
 *     transaction_type  01 payment, 02 full refund, 03 partial refund
 *     amount            VND x 100, as vnp_Amount (a refund's amount is positive)
 *     pay_date          yyyyMMddHHmmss, GMT+7
 *     status            00 (only settled lines are listed; cancelled and unfinished payments are not)
 *     bank_code         NCB
 *   A field holding ',', '"', CR or LF is quoted, with '"' doubled (only txn_ref can). A day without lines is the
 *   header alone. 400 {"error"} when date is not yyyyMMdd.
 */
#include "handlers.h"
#include "http.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct line {
    const char *txn_ref, *transaction_no, *type, *pay_date;
    unsigned long long amount;
} line_t;

static int by_time(const void *a, const void *b)
{
    const line_t *x = a, *y = b;
    int c = strcmp(x->pay_date, y->pay_date);
    if (c != 0)
        return c;
    size_t lx = strlen(x->transaction_no), ly = strlen(y->transaction_no);
    return lx != ly ? (lx < ly ? -1 : 1) : strcmp(x->transaction_no, y->transaction_no);
}

static void add_csv_field(standin_buf_t *b, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        standin_buf_add(b, s);
        return;
    }
    standin_buf_add(b, "\"");
    for (; *s; s++)
        standin_buf_add(b, *s == '"' ? "\"\"" : (char[2]){*s, '\0'});
    standin_buf_add(b, "\"");
}

static int valid_day(const char *d)
{
    char full[VNP_DATE_LEN + 1];
    return d && strlen(d) == 8 && snprintf(full, sizeof full, "%s000000", d) == VNP_DATE_LEN &&
           vnp_parse_date(full) >= 0;
}

/* The day's lines, sorted; *n their number. NULL (and *n 0) when there are none or no memory. */
static line_t *collect(const pay_store_t *s, const char *day, size_t *n)
{
    line_t *lines = malloc((s->count + s->refund_count + 1) * sizeof *lines);
    *n = 0;
    for (size_t i = 0; lines && i < s->count; i++) {
        const pay_txn_t *t = s->txns[i];
        if (t->status == PAY_PAID && strncmp(t->pay_date, day, 8) == 0)
            lines[(*n)++] = (line_t){t->txn_ref, t->transaction_no, "01", t->pay_date, t->amount};
    }
    for (size_t i = 0; lines && i < s->refund_count; i++) {
        const pay_refund_t *r = s->refunds[i];
        if (strncmp(r->date, day, 8) == 0)
            lines[(*n)++] = (line_t){r->txn->txn_ref, r->transaction_no, r->type, r->date, r->amount};
    }
    if (lines)
        qsort(lines, *n, sizeof *lines, by_time);
    return lines;
}

void pay_serve_statement(pay_app_t *app, h2o_req_t *req)
{
    h2o_iovec_t q = standin_query(req);
    vnp_params_t params;
    int parsed = vnp_params_parse(q.base, q.len, &params) == VNP_PARSE_OK;
    char day[9] = "";
    if (parsed && valid_day(vnp_params_get(&params, "date")))
        snprintf(day, sizeof day, "%s", vnp_params_get(&params, "date"));
    vnp_params_free(&params);
    if (!day[0]) {
        standin_reply_error(req, 400, "expected ?date=yyyyMMdd");
        return;
    }
    size_t n;
    line_t *lines = collect(&app->store, day, &n);
    int collected = lines != NULL;
    standin_buf_t b = {0};
    standin_buf_add(&b, "tmn_code,txn_ref,transaction_no,transaction_type,amount,pay_date,status,bank_code\r\n");
    for (size_t i = 0; i < n; i++) {
        standin_buf_printf(&b, "%s,", app->config.tmn_code);
        add_csv_field(&b, lines[i].txn_ref);
        standin_buf_printf(&b, ",%s,%s,%llu,%s,00,NCB\r\n", lines[i].transaction_no, lines[i].type, lines[i].amount,
                       lines[i].pay_date);
    }
    free(lines);
    if (!collected || b.failed)
        standin_reply_text(req, 503, "out of memory\n");
    else
        standin_reply(req, 200, "text/csv; charset=utf-8", b.data, b.len);
    standin_buf_free(&b);
}
