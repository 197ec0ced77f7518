/*
 * modules/payments/vnpay.c — the VNPay 2.1.0 provider behind provider.h: the payment URL, the reading of a signed
 * callback (IPN and browser return share one format), the IPN's answer, querydr. Pure computation on the arguments and
 * payments_config (no API call), so unit-testable and safe on the job thread. Signing rules: vnpay.h, vnpay_sign.c.
 * The refund half (vnpay_refund_request/_answer) is vnpay_refund.c.
 *
 * VNPay's units stay here: vnp_Amount is VND × 100; dates are yyyyMMddHHmmss in GMT+7. A payment succeeded only when
 * vnp_ResponseCode and vnp_TransactionStatus are both "00"; vnp_ResponseCode "24" is the payer's cancellation.
 */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "payments.h"
#include "vnpay.h"

/* Adds name=value, or records that it failed (rc keeps the first error). */
static void add(vnpay_params_t *p, const char *name, const char *value, int *rc)
{
    if (*rc == 0)
        *rc = vnpay_params_add(p, name, value);
}

static int vnpay_start_url(const payments_start_t *start, char **url)
{
    const payments_config_t *c = &payments_config;
    char amount[32], created[VNPAY_DATE_LEN + 1], expires[VNPAY_DATE_LEN + 1];
    if (start->amount_vnd <= 0 || start->amount_vnd > 9999999999LL)
        return CONG_EINVAL;
    snprintf(amount, sizeof amount, "%lld", start->amount_vnd * 100);
    vnpay_format_date(start->created_at, created);
    vnpay_format_date(start->expires_at, expires);
    vnpay_params_t p = {0};
    int rc = 0;
    add(&p, "vnp_Version", VNPAY_VERSION, &rc);
    add(&p, "vnp_Command", "pay", &rc);
    add(&p, "vnp_TmnCode", c->vnpay_tmn_code, &rc);
    add(&p, "vnp_Amount", amount, &rc);
    add(&p, "vnp_CurrCode", "VND", &rc);
    add(&p, "vnp_TxnRef", start->txn_ref, &rc);
    add(&p, "vnp_OrderInfo", start->order_info, &rc);
    add(&p, "vnp_OrderType", "other", &rc);
    add(&p, "vnp_Locale", start->lang_en ? "en" : "vn", &rc);
    add(&p, "vnp_ReturnUrl", c->return_url, &rc);
    add(&p, "vnp_IpAddr", start->client_ip, &rc);
    add(&p, "vnp_CreateDate", created, &rc);
    add(&p, "vnp_ExpireDate", expires, &rc);
    char *canonical = rc == 0 ? vnpay_canonical(&p) : NULL;
    vnpay_params_free(&p);
    char hash[VNPAY_HASH_HEX + 1];
    if (canonical == NULL || vnpay_hmac_hex(c->vnpay_secret, canonical, strlen(canonical), hash) != 0) {
        free(canonical);
        return rc != 0 ? rc : CONG_ENOMEM;
    }
    vnpay_buf_t b = {0};
    vnpay_buf_adds(&b, c->vnpay_pay_url);
    vnpay_buf_adds(&b, "?");
    vnpay_buf_adds(&b, canonical);
    vnpay_buf_adds(&b, "&vnp_SecureHash=");
    vnpay_buf_adds(&b, hash);
    free(canonical);
    *url = vnpay_buf_take(&b);
    return *url != NULL ? 0 : CONG_ENOMEM;
}

/* s copied into out[size]; 0, or CONG_EPARSE when it does not fit or holds a control character. */
static int copy_field(char *out, size_t size, const char *s)
{
    size_t n = s != NULL ? strlen(s) : 0;
    if (n >= size)
        return CONG_EPARSE;
    for (size_t i = 0; i < n; i++)
        if ((unsigned char)s[i] < 0x20 || s[i] == 0x7f)
            return CONG_EPARSE;
    memcpy(out, s != NULL ? s : "", n + 1);
    return 0;
}

static int outcome_of(const char *response_code, const char *status_code)
{
    if (strcmp(response_code, "00") == 0 && strcmp(status_code, "00") == 0)
        return PAYMENTS_OUTCOME_SUCCESS;
    if (strcmp(response_code, "24") == 0)
        return PAYMENTS_OUTCOME_CANCELLED;
    return PAYMENTS_OUTCOME_FAILED;
}

/* The fields of a verified callback or querydr answer, read through `get`, into out. */
static int read_fields(const char *(*get)(const void *, const char *), const void *src, payments_result_t *out)
{
    memset(out, 0, sizeof *out);
    const char *tmn = get(src, "vnp_TmnCode"), *ref = get(src, "vnp_TxnRef");
    if (tmn == NULL || strcmp(tmn, payments_config.vnpay_tmn_code) != 0 || ref == NULL || ref[0] == '\0')
        return CONG_EPARSE; /* not ours */
    long long amount = vnpay_parse_amount(get(src, "vnp_Amount"));
    const char *paid = get(src, "vnp_PayDate");
    if (amount <= 0 || copy_field(out->txn_ref, sizeof out->txn_ref, ref) != 0 ||
        copy_field(out->provider_txn, sizeof out->provider_txn, get(src, "vnp_TransactionNo")) != 0 ||
        copy_field(out->bank_code, sizeof out->bank_code, get(src, "vnp_BankCode")) != 0 ||
        copy_field(out->response_code, sizeof out->response_code, get(src, "vnp_ResponseCode")) != 0 ||
        copy_field(out->status_code, sizeof out->status_code, get(src, "vnp_TransactionStatus")) != 0 ||
        out->response_code[0] == '\0')
        return CONG_EPARSE;
    out->amount_vnd = amount;
    out->paid_at = paid != NULL && paid[0] != '\0' ? vnpay_parse_date(paid) : 0;
    if (out->paid_at < 0)
        return CONG_EPARSE;
    return 0;
}

static const char *param_get(const void *src, const char *name) { return vnpay_params_get(src, name); }

static int vnpay_read_callback(const char *query, size_t len, payments_result_t *out)
{
    vnpay_params_t p = {0};
    int rc = vnpay_params_parse(query, len, &p);
    const char *given = rc == 0 ? vnpay_params_get(&p, "vnp_SecureHash") : NULL;
    if (rc == 0 && given == NULL)
        rc = CONG_EPERM;
    char *canonical = rc == 0 ? vnpay_canonical(&p) : NULL;
    char hash[VNPAY_HASH_HEX + 1];
    if (rc == 0 && (canonical == NULL || vnpay_hmac_hex(payments_config.vnpay_secret, canonical, strlen(canonical),
                                                        hash) != 0))
        rc = CONG_ENOMEM;
    if (rc == 0 && !vnpay_hash_equal(given, hash))
        rc = CONG_EPERM;
    if (rc == 0)
        rc = read_fields(param_get, &p, out);
    if (rc == 0)
        out->outcome = outcome_of(out->response_code, out->status_code);
    free(canonical);
    vnpay_params_free(&p);
    return rc;
}

static int vnpay_callback_answer(int verdict, int *status, const char **content_type, char **body)
{
    static const struct {
        const char *code, *message;
    } answers[] = {
        [PAYMENTS_VERDICT_CONFIRMED] = {"00", "Confirm Success"},
        [PAYMENTS_VERDICT_NOT_FOUND] = {"01", "Order not found"},
        [PAYMENTS_VERDICT_ALREADY] = {"02", "Order already confirmed"},
        [PAYMENTS_VERDICT_BAD_AMOUNT] = {"04", "invalid amount"},
        [PAYMENTS_VERDICT_BAD_SIGNATURE] = {"97", "Invalid signature"},
        [PAYMENTS_VERDICT_OTHER] = {"99", "Unknown error"},
    };
    if (verdict < PAYMENTS_VERDICT_CONFIRMED || verdict > PAYMENTS_VERDICT_OTHER)
        verdict = PAYMENTS_VERDICT_OTHER;
    char text[96];
    snprintf(text, sizeof text, "{\"RspCode\":\"%s\",\"Message\":\"%s\"}", answers[verdict].code,
             answers[verdict].message);
    *status = 200;
    *content_type = "application/json";
    *body = strdup(text);
    return *body != NULL ? 0 : CONG_ENOMEM;
}

/* The merchant API's request fields of querydr, in the order its hash joins them. */
static const char *const query_order[] = {"vnp_RequestId", "vnp_Version",         "vnp_Command", "vnp_TmnCode",
                                          "vnp_TxnRef",    "vnp_TransactionDate", "vnp_CreateDate", "vnp_IpAddr",
                                          "vnp_OrderInfo"};
/* ... and of its answer. */
static const char *const answer_order[] = {
    "vnp_ResponseId",    "vnp_Command",       "vnp_ResponseCode", "vnp_Message",           "vnp_TmnCode",
    "vnp_TxnRef",        "vnp_Amount",        "vnp_BankCode",     "vnp_PayDate",           "vnp_TransactionNo",
    "vnp_TransactionType", "vnp_TransactionStatus", "vnp_OrderInfo", "vnp_PromotionCode", "vnp_PromotionAmount"};
#define COUNT(a) (sizeof(a) / sizeof((a)[0]))

static int vnpay_query_request(const char *request_id, const char *txn_ref, const char *order_info,
                               long long created_at, const char *client_ip, long long now, char **body)
{
    char created[VNPAY_DATE_LEN + 1], at[VNPAY_DATE_LEN + 1], hash[VNPAY_HASH_HEX + 1];
    vnpay_format_date(created_at, created);
    vnpay_format_date(now, at);
    const char *values[] = {request_id, VNPAY_VERSION, "querydr", payments_config.vnpay_tmn_code, txn_ref,
                            created,    at,            client_ip, order_info};
    char *joined = vnpay_pipe_join(values, COUNT(values));
    int rc = joined != NULL ? vnpay_hmac_hex(payments_config.vnpay_secret, joined, strlen(joined), hash) : CONG_ENOMEM;
    free(joined);
    if (rc != 0)
        return rc;
    json_t *o = json_object();
    for (size_t i = 0; i < COUNT(query_order); i++)
        json_object_set_new(o, query_order[i], json_string(values[i] != NULL ? values[i] : ""));
    json_object_set_new(o, "vnp_SecureHash", json_string(hash));
    *body = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    return *body != NULL ? 0 : CONG_ENOMEM;
}

/* A string member of the merchant API's answer (every field is a string in VNPay 2.1.0), or NULL. */
static const char *json_get(const void *src, const char *name)
{
    const json_t *v = json_object_get(src, name);
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static int vnpay_query_answer(const char *body, size_t len, payments_result_t *out)
{
    json_t *o = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(o)) {
        json_decref(o);
        return CONG_EPARSE;
    }
    const char *values[COUNT(answer_order)];
    int rc = 0;
    for (size_t i = 0; i < COUNT(answer_order); i++) {
        const json_t *v = json_object_get(o, answer_order[i]);
        values[i] = json_is_string(v) ? json_string_value(v) : NULL;
        if (v != NULL && !json_is_string(v))
            rc = CONG_EPARSE;
    }
    const char *given = json_get(o, "vnp_SecureHash");
    char *joined = rc == 0 ? vnpay_pipe_join(values, COUNT(values)) : NULL;
    char hash[VNPAY_HASH_HEX + 1];
    if (rc == 0 && joined == NULL)
        rc = CONG_ENOMEM;
    if (rc == 0 && vnpay_hmac_hex(payments_config.vnpay_secret, joined, strlen(joined), hash) != 0)
        rc = CONG_EIO;
    if (rc == 0 && !vnpay_hash_equal(given, hash))
        rc = CONG_EPERM;
    free(joined);
    const char *code = json_get(o, "vnp_ResponseCode");
    if (rc == 0 && code != NULL && strcmp(code, "91") == 0) { /* the provider does not know the transaction */
        memset(out, 0, sizeof *out);
        const char *tmn = json_get(o, "vnp_TmnCode"), *ref = json_get(o, "vnp_TxnRef");
        if (tmn != NULL && strcmp(tmn, payments_config.vnpay_tmn_code) != 0)
            rc = CONG_EPARSE;
        else if (copy_field(out->txn_ref, sizeof out->txn_ref, ref) != 0 ||
                 copy_field(out->response_code, sizeof out->response_code, code) != 0)
            rc = CONG_EPARSE;
        out->outcome = PAYMENTS_OUTCOME_UNKNOWN;
    } else if (rc == 0 && (code == NULL || strcmp(code, "00") != 0)) {
        rc = code == NULL ? CONG_EPARSE : CONG_EUNAVAILABLE; /* its own error (99, 94 duplicate request...) */
    } else if (rc == 0 && (rc = read_fields(json_get, o, out)) == 0) {
        const char *status = out->status_code;
        out->outcome = strcmp(status, "00") == 0   ? PAYMENTS_OUTCOME_SUCCESS
                       : strcmp(status, "01") == 0 ? PAYMENTS_OUTCOME_PENDING
                                                   : PAYMENTS_OUTCOME_FAILED;
    }
    json_decref(o);
    return rc;
}

static const payments_provider_t vnpay = {
    .name = "vnpay",
    .start_url = vnpay_start_url,
    .read_callback = vnpay_read_callback,
    .callback_answer = vnpay_callback_answer,
    .query_request = vnpay_query_request,
    .query_answer = vnpay_query_answer,
    .refund_request = vnpay_refund_request,
    .refund_answer = vnpay_refund_answer,
};

const payments_provider_t *payments_provider_find(const char *name)
{
    if (name == NULL || strcmp(name, "vnpay") != 0 || payments_config.vnpay_tmn_code == NULL ||
        payments_config.vnpay_tmn_code[0] == '\0')
        return NULL;
    return &vnpay;
}
