/* tools/payment_standin/settle.c — the choice recorded, the return parameters, the IPN modes (see settle.h). */
#include "settle.h"

#include "ipn.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

const char *const pay_ipn_mode_names[6] = {"normal", "none", "duplicate", "late", "bad_hash", "wrong_amount"};

const char *pay_status_code(pay_status_t status)
{
    return status == PAY_PAID ? "00" : status == PAY_FAILED ? "02" : "01";
}

/* The signed return parameters (those of the return URL and the IPN), with amount_delta added to vnp_Amount. */
static char *return_query(const pay_app_t *app, const pay_txn_t *t, unsigned long long amount_delta)
{
    char amount[32];
    snprintf(amount, sizeof amount, "%llu", t->amount + amount_delta);
    const char *fields[][2] = {
        {"vnp_Amount", amount},
        {"vnp_BankCode", "NCB"},
        {"vnp_BankTranNo", t->bank_tran_no},
        {"vnp_CardType", "ATM"},
        {"vnp_OrderInfo", t->order_info},
        {"vnp_PayDate", t->pay_date},
        {"vnp_ResponseCode", t->response_code},
        {"vnp_TmnCode", app->config.tmn_code},
        {"vnp_TransactionNo", t->transaction_no},
        {"vnp_TransactionStatus", pay_status_code(t->status)},
        {"vnp_TxnRef", t->txn_ref},
    };
    vnp_params_t params = {.count = 0};
    int ok = 1;
    for (size_t i = 0; ok && i < sizeof fields / sizeof fields[0]; i++)
        ok = vnp_params_add(&params, fields[i][0], fields[i][1]) == 0;
    char *query = ok ? vnp_signed_query(&params, app->config.secret, app->config.secret_len) : NULL;
    vnp_params_free(&params);
    return query;
}

/* The last hex digit of the query's vnp_SecureHash changed: a signature that does not verify. */
static void corrupt_hash(char *query)
{
    size_t n = strlen(query);
    if (n > 0)
        query[n - 1] = query[n - 1] == '0' ? '1' : '0';
}

int pay_send_ipn(pay_app_t *app, const pay_txn_t *txn)
{
    if (txn->status == PAY_PENDING || !txn->return_query)
        return -1;
    pay_ipn_mode_t mode = app->ipn_mode;
    if (mode == PAY_IPN_NONE) {
        fprintf(stderr, "payment-standin: IPN mode none: no IPN sent\n");
        return 0;
    }
    char *query = mode == PAY_IPN_WRONG_AMOUNT ? return_query(app, txn, 100) : strdup(txn->return_query);
    if (!query)
        return -1;
    if (mode == PAY_IPN_BAD_HASH)
        corrupt_hash(query);
    pay_ipn_delivery_t d = {
        .ipn_url = app->config.ipn_url,
        .query = query,
        .txn_ref = txn->txn_ref,
        .mode = pay_ipn_mode_names[mode],
        .delay_ms = mode == PAY_IPN_LATE ? app->late_ms : 0,
        .retry_ms = app->config.ipn_retry_ms,
        .max_attempts = app->config.ipn_max_attempts,
    };
    int rc = pay_ipn_send(&d);
    if (mode == PAY_IPN_DUPLICATE && pay_ipn_send(&d) != 0)
        rc = -1;
    free(query);
    return rc;
}

char *pay_settle(pay_app_t *app, pay_txn_t *txn, int pay)
{
    txn->status = pay ? PAY_PAID : PAY_FAILED;
    snprintf(txn->response_code, sizeof txn->response_code, "%s", pay ? "00" : "24");
    pay_store_next_no(&app->store, txn->transaction_no);
    snprintf(txn->bank_tran_no, sizeof txn->bank_tran_no, "VNP%s", txn->transaction_no);
    vnp_format_date((long long)time(NULL), txn->pay_date);
    txn->return_query = return_query(app, txn, 0);
    standin_buf_t url = {0};
    standin_buf_add(&url, txn->return_url);
    standin_buf_add(&url, strchr(txn->return_url, '?') ? "&" : "?");
    standin_buf_add(&url, txn->return_query ? txn->return_query : "");
    if (!txn->return_query || url.failed) {
        free(txn->return_query);
        txn->return_query = NULL;
        txn->status = PAY_PENDING;
        standin_buf_free(&url);
        return NULL;
    }
    pay_send_ipn(app, txn);
    return url.data;
}
