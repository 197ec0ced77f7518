/*
 * modules/payments/vnpay_refund.c — VNPay 2.1.0's refund (merchant API, vnp_Command=refund): the request body and
 * the reading of its answer, behind provider.h's refund_request / refund_answer. Pure: no API call, no I/O.
 *
 * Request: POST JSON to the merchant API with vnp_RequestId, vnp_Version, vnp_Command, vnp_TmnCode,
 * vnp_TransactionType (02 the whole remaining amount, 03 part of it), vnp_TxnRef, vnp_Amount (VND x 100),
 * vnp_OrderInfo, vnp_TransactionNo, vnp_TransactionDate (the payment's vnp_CreateDate), vnp_CreateBy, vnp_CreateDate,
 * vnp_IpAddr, and vnp_SecureHash = hex HMAC-SHA512 with the merchant secret over those values joined by '|' in the
 * documented order (not sorted by name, unlike the payment URL):
 *   RequestId|Version|Command|TmnCode|TransactionType|TxnRef|Amount|TransactionNo|TransactionDate|CreateBy|
 *   CreateDate|IpAddr|OrderInfo
 * Dates are yyyyMMddHHmmss in GMT+7.
 * Answer: JSON whose vnp_SecureHash covers
 *   ResponseId|Command|ResponseCode|Message|TmnCode|TxnRef|Amount|BankCode|PayDate|TransactionNo|TransactionType|
 *   TransactionStatus|OrderInfo
 * (an absent field counts as empty). Every answer must carry a valid signature, refusals included: an unsigned
 * "refused" could otherwise make cong give back an amount the provider did refund. vnp_ResponseCode: 00 refunded;
 * 94 (a refund of this transaction is already being processed) and 99 (other error): ask again later; 02, 03, 91, 95,
 * 97 and any other: refused.
 * The HMAC, its comparison and the dates are vnpay_sign.c's.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "payments.h"
#include "provider.h"
#include "vnpay.h"

static int printable(const char *s, size_t max)
{
    size_t n = s != NULL ? strlen(s) : 0;
    if (n == 0 || n > max)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (s[i] < 0x20 || s[i] > 0x7e || s[i] == '|')
            return 0;
    return 1;
}

int vnpay_refund_request(const payments_refund_ask_t *ask, char **body)
{
    *body = NULL;
    const char *txn_no = ask->provider_txn != NULL ? ask->provider_txn : "";
    if (!printable(ask->request_id, 32) || !printable(ask->txn_ref, 100) || !printable(ask->created_by, 250) ||
        !printable(ask->client_ip, 45) || !printable(ask->reason, 255) || (txn_no[0] && !printable(txn_no, 40)) ||
        ask->amount_vnd <= 0 || ask->amount_vnd > 9000000000000LL || payments_config.vnpay_tmn_code[0] == '\0' ||
        payments_config.vnpay_secret[0] == '\0')
        return CONG_EINVAL;
    char amount[24], txn_date[VNPAY_DATE_LEN + 1], create_date[VNPAY_DATE_LEN + 1], data[1024],
        hash[VNPAY_HASH_HEX + 1];
    snprintf(amount, sizeof amount, "%lld", ask->amount_vnd * 100);
    vnpay_format_date(ask->paid_created_at, txn_date);
    vnpay_format_date(ask->now, create_date);
    const char *type = ask->full ? "02" : "03";
    int n = snprintf(data, sizeof data, "%s|%s|refund|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s", ask->request_id, VNPAY_VERSION,
                     payments_config.vnpay_tmn_code, type, ask->txn_ref, amount, txn_no, txn_date, ask->created_by,
                     create_date, ask->client_ip, ask->reason);
    if (n < 0 || (size_t)n >= sizeof data || vnpay_hmac_hex(payments_config.vnpay_secret, data, (size_t)n, hash) != 0)
        return CONG_EINVAL;
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "vnp_RequestId",
                          ask->request_id, "vnp_Version", VNPAY_VERSION, "vnp_Command", "refund", "vnp_TmnCode",
                          payments_config.vnpay_tmn_code, "vnp_TransactionType", type, "vnp_TxnRef", ask->txn_ref,
                          "vnp_Amount", (json_int_t)(ask->amount_vnd * 100), "vnp_OrderInfo", ask->reason,
                          "vnp_TransactionNo", txn_no, "vnp_TransactionDate", txn_date, "vnp_CreateBy",
                          ask->created_by, "vnp_CreateDate", create_date, "vnp_IpAddr", ask->client_ip,
                          "vnp_SecureHash", hash);
    *body = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return *body != NULL ? 0 : CONG_ENOMEM;
}

/* The answer's field as the signature covers it: a string as is, an integer in decimal, absent or null "". */
static int field_text(const json_t *answer, const char *name, char *out, size_t size)
{
    const json_t *v = json_object_get(answer, name);
    int n;
    if (v == NULL || json_is_null(v))
        n = snprintf(out, size, "%s", "");
    else if (json_is_string(v))
        n = snprintf(out, size, "%s", json_string_value(v));
    else if (json_is_integer(v))
        n = snprintf(out, size, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
    else
        return CONG_EPARSE;
    return n >= 0 && (size_t)n < size ? 0 : CONG_EPARSE;
}

static const char *const signed_fields[] = {
    "vnp_ResponseId", "vnp_Command", "vnp_ResponseCode", "vnp_Message", "vnp_TmnCode", "vnp_TxnRef", "vnp_Amount",
    "vnp_BankCode", "vnp_PayDate", "vnp_TransactionNo", "vnp_TransactionType", "vnp_TransactionStatus",
    "vnp_OrderInfo",
};

/* 0 when the answer's vnp_SecureHash is the HMAC of its fields; CONG_EPERM when wrong or absent. */
static int verify(const json_t *answer)
{
    char data[4096], value[1024], expected[VNPAY_HASH_HEX + 1];
    size_t used = 0;
    for (size_t i = 0; i < sizeof signed_fields / sizeof signed_fields[0]; i++) {
        if (field_text(answer, signed_fields[i], value, sizeof value) != 0)
            return CONG_EPARSE;
        int n = snprintf(data + used, sizeof data - used, "%s%s", i ? "|" : "", value);
        if (n < 0 || (size_t)n >= sizeof data - used)
            return CONG_EPARSE;
        used += (size_t)n;
    }
    const char *hash = json_string_value(json_object_get(answer, "vnp_SecureHash"));
    if (payments_config.vnpay_secret[0] == '\0' ||
        vnpay_hmac_hex(payments_config.vnpay_secret, data, used, expected) != 0)
        return CONG_EPERM;
    return vnpay_hash_equal(hash, expected) ? 0 : CONG_EPERM; /* constant time; VNPay's hex may come in capitals */
}

int vnpay_refund_answer(const char *body, size_t len, char provider_txn[41], char response_code[8])
{
    provider_txn[0] = '\0';
    response_code[0] = '\0';
    json_t *answer = json_loadb(body, len, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(answer)) {
        json_decref(answer);
        return CONG_EPARSE;
    }
    int rc = verify(answer);
    char code[8] = "", tmn[64] = "", command[16] = "", txn_no[41] = "";
    if (rc == 0 && (field_text(answer, "vnp_ResponseCode", code, sizeof code) != 0 ||
                    field_text(answer, "vnp_TmnCode", tmn, sizeof tmn) != 0 ||
                    field_text(answer, "vnp_Command", command, sizeof command) != 0 ||
                    field_text(answer, "vnp_TransactionNo", txn_no, sizeof txn_no) != 0))
        rc = CONG_EPARSE;
    json_decref(answer);
    if (rc != 0)
        return rc;
    if (strcmp(tmn, payments_config.vnpay_tmn_code) != 0 || (command[0] && strcmp(command, "refund") != 0) ||
        strlen(code) != 2)
        return CONG_EPARSE;
    memcpy(response_code, code, sizeof code);
    if (strcmp(code, "00") == 0) {
        memcpy(provider_txn, txn_no, sizeof txn_no);
        return 0;
    }
    return strcmp(code, "94") == 0 || strcmp(code, "99") == 0 ? CONG_EUNAVAILABLE : CONG_ESTATE;
}
