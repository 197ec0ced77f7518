/*
 * tools/payment_standin/api.c — VNPay's merchant API, POST /merchant_webapi/api/transaction (JSON in, JSON out, always
 * HTTP 200 with a vnp_ResponseCode), for vnp_Command "querydr" and "refund".
 *
 * A request is checked in this order: vnp_TmnCode ours (else 02), vnp_SecureHash = hex HMAC-SHA512 over its fields
 * joined with '|' in VNPay's order (else 97), the format (else 03), vnp_RequestId not used today (GMT+7) for the same
 * command (else 94), then the transaction: vnp_TxnRef with vnp_TransactionDate = the payment URL's vnp_CreateDate, and
 * vnp_TransactionNo when given (else 91). Field values are JSON strings (integers are read as their digits).
 *   querydr request hash: RequestId|Version|Command|TmnCode|TxnRef|TransactionDate|CreateDate|IpAddr|OrderInfo
 *   refund request hash:  RequestId|Version|Command|TmnCode|TransactionType|TxnRef|Amount|TransactionNo|
 *                         TransactionDate|CreateBy|CreateDate|IpAddr|OrderInfo
 *   answers (every field a string, "" when unknown), hash over
 *     ResponseId|Command|ResponseCode|Message|TmnCode|TxnRef|Amount|BankCode|PayDate|TransactionNo|TransactionType|
 *     TransactionStatus|OrderInfo, and for querydr also |PromotionCode|PromotionAmount (both "").
 * querydr: 00 with the payment (vnp_TransactionType 01; vnp_TransactionStatus 00 paid, 01 URL accepted but no choice
 * yet, 02 cancelled). refund (vnp_TransactionType 02 full, 03 partial, vnp_Amount x 100): 95 when the payment is not
 * paid, 94 when nothing is left to refund, 03 when a 02 is not for the whole remaining amount or a 03 is for more than
 * it; 00 records the refund under its own vnp_TransactionNo and answers vnp_TransactionStatus 05 (VNPay's "refund
 * being processed"; the stand-in settles it at once: statement, remaining amount).
 * The api modes: fail answers 99 (signed), timeout holds the request (http.h).
 */
#include "handlers.h"
#include "http.h"
#include "settle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define VALUE_MAX 511
#define QUERYDR_ANSWER_FIELDS 15
#define REFUND_ANSWER_FIELDS 13

enum request_field {
    F_REQUEST_ID, F_VERSION, F_COMMAND, F_TMN_CODE, F_TXN_REF, F_TRANSACTION_DATE, F_CREATE_DATE, F_IP_ADDR,
    F_ORDER_INFO, F_TRANSACTION_NO, F_TRANSACTION_TYPE, F_AMOUNT, F_CREATE_BY, F_COUNT
};

static const char *const request_names[F_COUNT] = {
    "vnp_RequestId", "vnp_Version", "vnp_Command", "vnp_TmnCode", "vnp_TxnRef", "vnp_TransactionDate",
    "vnp_CreateDate", "vnp_IpAddr", "vnp_OrderInfo", "vnp_TransactionNo", "vnp_TransactionType", "vnp_Amount",
    "vnp_CreateBy",
};

typedef struct request {
    char v[F_COUNT][VALUE_MAX + 1];
    int present[F_COUNT];
    int malformed; /* a value that is neither a string nor an integer, or too long */
} request_t;

enum answer_field {
    A_RESPONSE_ID, A_COMMAND, A_RESPONSE_CODE, A_MESSAGE, A_TMN_CODE, A_TXN_REF, A_AMOUNT, A_BANK_CODE, A_PAY_DATE,
    A_TRANSACTION_NO, A_TRANSACTION_TYPE, A_TRANSACTION_STATUS, A_ORDER_INFO, A_PROMOTION_CODE, A_PROMOTION_AMOUNT,
    A_COUNT
};

static const char *const answer_names[A_COUNT] = {
    "vnp_ResponseId", "vnp_Command", "vnp_ResponseCode", "vnp_Message", "vnp_TmnCode", "vnp_TxnRef", "vnp_Amount",
    "vnp_BankCode", "vnp_PayDate", "vnp_TransactionNo", "vnp_TransactionType", "vnp_TransactionStatus",
    "vnp_OrderInfo", "vnp_PromotionCode", "vnp_PromotionAmount",
};

typedef struct answer {
    char v[A_COUNT][VALUE_MAX + 1];
} answer_t;

static void set(answer_t *a, enum answer_field f, const char *value)
{
    snprintf(a->v[f], sizeof a->v[f], "%s", value ? value : "");
}

static void read_request(json_t *body, request_t *r)
{
    memset(r, 0, sizeof *r);
    for (int f = 0; f < F_COUNT; f++) {
        json_t *v = json_object_get(body, request_names[f]);
        if (!v)
            continue;
        r->present[f] = 1;
        int n = json_is_string(v)    ? snprintf(r->v[f], sizeof r->v[f], "%s", json_string_value(v))
                : json_is_integer(v) ? snprintf(r->v[f], sizeof r->v[f], "%" JSON_INTEGER_FORMAT, json_integer_value(v))
                                     : -1;
        if (n < 0 || n > VALUE_MAX || (json_is_string(v) && strlen(json_string_value(v)) != (size_t)n))
            r->malformed = 1;
    }
}

/* Whether vnp_SecureHash signs the fields listed, joined with '|'. */
static int request_signed(const pay_app_t *app, json_t *body, const request_t *r, const int *fields, size_t n)
{
    const char *values[F_COUNT];
    for (size_t i = 0; i < n; i++)
        values[i] = r->v[fields[i]];
    char *data = vnp_pipe_join(values, n), hash[VNP_HASH_HEX_LEN + 1];
    int ok = data && vnp_hmac_sha512_hex(app->config.secret, app->config.secret_len, data, strlen(data), hash) == 0 &&
             vnp_hash_equal(json_string_value(json_object_get(body, "vnp_SecureHash")), hash);
    free(data);
    return ok;
}

static int digits(const char *s, size_t min, size_t max)
{
    size_t n = strlen(s);
    return n >= min && n <= max && strspn(s, "0123456789") == n;
}

static int alnum(const char *s, size_t min, size_t max)
{
    size_t n = strlen(s);
    return n >= min && n <= max &&
           strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789") == n;
}

/* The fields both commands require, well formed. */
static int common_format_ok(const request_t *r, const int *required, size_t n)
{
    for (size_t i = 0; i < n; i++)
        if (!r->present[required[i]] || !r->v[required[i]][0])
            return 0;
    return !r->malformed && alnum(r->v[F_REQUEST_ID], 1, 32) && strcmp(r->v[F_VERSION], "2.1.0") == 0 &&
           strlen(r->v[F_TXN_REF]) <= PAY_TXN_REF_MAX && vnp_parse_date(r->v[F_TRANSACTION_DATE]) >= 0 &&
           vnp_parse_date(r->v[F_CREATE_DATE]) >= 0 && strlen(r->v[F_IP_ADDR]) <= 45 &&
           strlen(r->v[F_ORDER_INFO]) <= 255 && (!r->v[F_TRANSACTION_NO][0] || digits(r->v[F_TRANSACTION_NO], 1, 20));
}

/* The checks both commands share: merchant, signature, format, request id, transaction. The transaction, or NULL
 * with the code and message set. */
static pay_txn_t *find_checked(pay_app_t *app, json_t *body, const request_t *r, const int *hashed, size_t n_hashed,
                               const int *required, size_t n_required, answer_t *a)
{
    if (strcmp(r->v[F_TMN_CODE], app->config.tmn_code) != 0) {
        set(a, A_RESPONSE_CODE, "02"), set(a, A_MESSAGE, "Invalid TmnCode");
        return NULL;
    }
    if (!request_signed(app, body, r, hashed, n_hashed)) {
        set(a, A_RESPONSE_CODE, "97"), set(a, A_MESSAGE, "Invalid Checksum");
        return NULL;
    }
    if (!common_format_ok(r, required, n_required) ||
        (strcmp(r->v[F_COMMAND], "refund") == 0 &&
         (!digits(r->v[F_AMOUNT], 3, 14) || r->v[F_AMOUNT][0] == '0' ||
          strcmp(r->v[F_AMOUNT] + strlen(r->v[F_AMOUNT]) - 2, "00") != 0 ||
          (strcmp(r->v[F_TRANSACTION_TYPE], "02") != 0 && strcmp(r->v[F_TRANSACTION_TYPE], "03") != 0) ||
          strlen(r->v[F_CREATE_BY]) > 250))) {
        set(a, A_RESPONSE_CODE, "03"), set(a, A_MESSAGE, "Invalid data format");
        return NULL;
    }
    int seen = pay_store_request_seen(&app->store, r->v[F_COMMAND], r->v[F_REQUEST_ID]);
    if (seen != 0) {
        set(a, A_RESPONSE_CODE, seen > 0 ? "94" : "99");
        set(a, A_MESSAGE, seen > 0 ? "Duplicate request (vnp_RequestId used today)" : "Too many requests recorded");
        return NULL;
    }
    pay_txn_t *t = pay_store_find(&app->store, r->v[F_TXN_REF], r->v[F_TRANSACTION_DATE]);
    const char *no = r->v[F_TRANSACTION_NO];
    if (!t || (no[0] && strcmp(no, "0") != 0 && strcmp(no, t->transaction_no) != 0)) {
        set(a, A_RESPONSE_CODE, "91"), set(a, A_MESSAGE, "Transaction not found");
        return NULL;
    }
    return t;
}

static void querydr(pay_app_t *app, json_t *body, const request_t *r, answer_t *a)
{
    static const int hashed[] = {F_REQUEST_ID, F_VERSION, F_COMMAND, F_TMN_CODE, F_TXN_REF, F_TRANSACTION_DATE,
                                 F_CREATE_DATE, F_IP_ADDR, F_ORDER_INFO};
    pay_txn_t *t = find_checked(app, body, r, hashed, 9, hashed, 9, a);
    if (!t)
        return;
    char amount[32];
    snprintf(amount, sizeof amount, "%llu", t->amount);
    set(a, A_RESPONSE_CODE, "00"), set(a, A_MESSAGE, "QueryDR Success");
    set(a, A_AMOUNT, amount);
    set(a, A_BANK_CODE, t->status == PAY_PENDING ? "" : "NCB");
    set(a, A_PAY_DATE, t->pay_date);
    set(a, A_TRANSACTION_NO, t->transaction_no);
    set(a, A_TRANSACTION_TYPE, "01");
    set(a, A_TRANSACTION_STATUS, pay_status_code(t->status));
    set(a, A_ORDER_INFO, t->order_info);
}

static void refund(pay_app_t *app, json_t *body, const request_t *r, answer_t *a)
{
    static const int hashed[] = {F_REQUEST_ID, F_VERSION, F_COMMAND, F_TMN_CODE, F_TRANSACTION_TYPE, F_TXN_REF,
                                 F_AMOUNT, F_TRANSACTION_NO, F_TRANSACTION_DATE, F_CREATE_BY, F_CREATE_DATE,
                                 F_IP_ADDR, F_ORDER_INFO};
    static const int required[] = {F_REQUEST_ID, F_VERSION, F_COMMAND, F_TMN_CODE, F_TRANSACTION_TYPE, F_TXN_REF,
                                   F_AMOUNT, F_TRANSACTION_DATE, F_CREATE_BY, F_CREATE_DATE, F_IP_ADDR, F_ORDER_INFO};
    pay_txn_t *t = find_checked(app, body, r, hashed, 13, required, 12, a);
    if (!t)
        return;
    unsigned long long amount = strtoull(r->v[F_AMOUNT], NULL, 10);
    unsigned long long remaining = t->amount - t->refunded;
    int full = strcmp(r->v[F_TRANSACTION_TYPE], "02") == 0;
    if (t->status != PAY_PAID) {
        set(a, A_RESPONSE_CODE, "95"), set(a, A_MESSAGE, "The transaction was not paid: refund refused");
        return;
    }
    if (remaining == 0) {
        set(a, A_RESPONSE_CODE, "94"), set(a, A_MESSAGE, "The transaction has been refunded already");
        return;
    }
    if ((full && amount != remaining) || (!full && amount > remaining)) {
        set(a, A_RESPONSE_CODE, "03");
        set(a, A_MESSAGE, full ? "A full refund must be for the whole remaining amount"
                               : "The refund is over the remaining refundable amount");
        return;
    }
    pay_refund_t *rf = pay_store_add_refund(&app->store, t, r->v[F_CREATE_BY]);
    if (!rf) {
        set(a, A_RESPONSE_CODE, "99"), set(a, A_MESSAGE, "Too many refunds recorded");
        return;
    }
    t->refunded += amount;
    rf->amount = amount;
    memcpy(rf->type, full ? "02" : "03", sizeof rf->type);
    pay_store_next_no(&app->store, rf->transaction_no);
    vnp_format_date((long long)time(NULL), rf->date);
    set(a, A_RESPONSE_CODE, "00"), set(a, A_MESSAGE, "Refund success");
    set(a, A_AMOUNT, r->v[F_AMOUNT]);
    set(a, A_BANK_CODE, "NCB");
    set(a, A_PAY_DATE, rf->date);
    set(a, A_TRANSACTION_NO, rf->transaction_no);
    set(a, A_TRANSACTION_TYPE, rf->type);
    set(a, A_TRANSACTION_STATUS, "05");
    set(a, A_ORDER_INFO, r->v[F_ORDER_INFO]);
}

static void reply_signed(pay_app_t *app, h2o_req_t *req, answer_t *a, size_t n)
{
    const char *values[A_COUNT];
    for (size_t i = 0; i < n; i++)
        values[i] = a->v[i];
    char *data = vnp_pipe_join(values, n), hash[VNP_HASH_HEX_LEN + 1];
    json_t *json = json_object();
    int ok = data && json &&
             vnp_hmac_sha512_hex(app->config.secret, app->config.secret_len, data, strlen(data), hash) == 0;
    for (size_t i = 0; ok && i < n; i++)
        ok = json_object_set_new(json, answer_names[i], json_string(a->v[i])) == 0;
    if (ok)
        ok = json_object_set_new(json, "vnp_SecureHash", json_string(hash)) == 0;
    free(data);
    if (!ok) {
        json_decref(json);
        json = NULL;
    }
    standin_reply_json(req, 200, json);
}

void pay_serve_merchant_api(pay_app_t *app, h2o_req_t *req)
{
    if (app->api_mode == PAY_API_TIMEOUT) {
        fprintf(stderr, "payment-standin: api mode timeout: request held %d ms\n", PAY_API_HOLD_MS);
        pay_hold_request(app, req);
        return;
    }
    json_t *body = json_loadb(req->entity.base, req->entity.len, 0, NULL);
    request_t r;
    read_request(body, &r);
    answer_t a;
    memset(&a, 0, sizeof a);
    char id[PAY_TOKEN_HEX + 1] = "";
    pay_random_hex(id);
    set(&a, A_RESPONSE_ID, id);
    set(&a, A_COMMAND, r.v[F_COMMAND]);
    set(&a, A_TMN_CODE, r.v[F_TMN_CODE]);
    set(&a, A_TXN_REF, r.v[F_TXN_REF]);
    int is_querydr = strcmp(r.v[F_COMMAND], "querydr") == 0, is_refund = strcmp(r.v[F_COMMAND], "refund") == 0;
    if (!json_is_object(body) || (!is_querydr && !is_refund))
        set(&a, A_RESPONSE_CODE, "03"), set(&a, A_MESSAGE, "Invalid data format (vnp_Command)");
    else if (app->api_mode == PAY_API_FAIL)
        set(&a, A_RESPONSE_CODE, "99"), set(&a, A_MESSAGE, "Other error (api mode fail)");
    else if (is_querydr)
        querydr(app, body, &r, &a);
    else
        refund(app, body, &r, &a);
    json_decref(body);
    reply_signed(app, req, &a, is_refund ? REFUND_ANSWER_FIELDS : QUERYDR_ANSWER_FIELDS);
}
