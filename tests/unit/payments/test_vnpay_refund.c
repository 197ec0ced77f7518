/* modules/payments/vnpay_refund.c: VNPay's refund request (fields, VND x 100, GMT+7 dates, the pipe-joined
 * HMAC-SHA512) and the reading of its answer (signature, merchant code, response codes). The expected hashes were
 * computed independently (Python's hmac over the documented field order), not with the module's code. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>

#include "modules/payments/payments.h"
#include "modules/payments/provider.h"
#include "modules/payments/vnpay.h"

#define SECRET "SECRETKEY123456"

static int setup(void **state)
{
    (void)state;
    snprintf(payments_config.vnpay_secret, sizeof payments_config.vnpay_secret, "%s", SECRET);
    payments_config.vnpay_tmn_code = "CONGTEST";
    return 0;
}

static const payments_refund_ask_t ask = {
    .request_id = "a1b2c3", .txn_ref = "HN2026A1", .provider_txn = "14000001",
    .paid_created_at = 1796524200, /* 2026-12-06 09:30:00 GMT+7 */
    .amount_vnd = 20000, .full = 0, .created_by = "off1", .client_ip = "127.0.0.1",
    .reason = "Hoan tien ho so HN-1", .now = 1796527800, /* 10:30:00 GMT+7 */
};

static void request_is_signed_over_the_documented_order(void **state)
{
    (void)state;
    char *body = NULL;
    assert_int_equal(vnpay_refund_request(&ask, &body), 0);
    json_t *o = json_loads(body, 0, NULL);
    assert_non_null(o);
    assert_string_equal(json_string_value(json_object_get(o, "vnp_Command")), "refund");
    assert_string_equal(json_string_value(json_object_get(o, "vnp_Version")), "2.1.0");
    assert_string_equal(json_string_value(json_object_get(o, "vnp_TmnCode")), "CONGTEST");
    assert_string_equal(json_string_value(json_object_get(o, "vnp_TransactionType")), "03");
    assert_int_equal(json_integer_value(json_object_get(o, "vnp_Amount")), 2000000);
    assert_string_equal(json_string_value(json_object_get(o, "vnp_TransactionDate")), "20261206093000");
    assert_string_equal(json_string_value(json_object_get(o, "vnp_CreateDate")), "20261206103000");
    /* HMAC-SHA512(SECRET, "a1b2c3|2.1.0|refund|CONGTEST|03|HN2026A1|2000000|14000001|20261206093000|off1|
     * 20261206103000|127.0.0.1|Hoan tien ho so HN-1") */
    assert_string_equal(json_string_value(json_object_get(o, "vnp_SecureHash")),
                        "000fd0dc78ccece8f6b648a88a12b45da79adf3ad51458511140fe4fdd3bb390"
                        "b3edeb85b74f226480c04e204805b4720ce78c9c28f409f580b3b65bfbb4c125");
    json_decref(o);
    free(body);

    payments_refund_ask_t full = ask;
    full.full = 1;
    assert_int_equal(vnpay_refund_request(&full, &body), 0);
    assert_non_null(strstr(body, "\"vnp_TransactionType\":\"02\""));
    free(body);

    payments_refund_ask_t bad = ask;
    bad.reason = "Hoàn tiền"; /* VNPay takes printable ASCII only */
    assert_int_equal(vnpay_refund_request(&bad, &body), CONG_EINVAL);
    assert_null(body);
    bad = ask;
    bad.txn_ref = "a|b"; /* would shift the signed fields */
    assert_int_equal(vnpay_refund_request(&bad, &body), CONG_EINVAL);
}

/* An answer signed here with OpenSSL over the documented order (used for the variants of the fixed vectors). */
static char *answer(const char *code, const char *tmn, const char *txn_no, int sign)
{
    static char out[2048];
    char data[1024], hex[129] = "";
    snprintf(data, sizeof data, "r9|refund|%s|msg|%s|HN2026A1|2000000|NCB|20261206103001|%s|03|05|x", code, tmn,
             txn_no);
    unsigned char mac[64];
    unsigned int len = 0;
    HMAC(EVP_sha512(), SECRET, (int)strlen(SECRET), (unsigned char *)data, strlen(data), mac, &len);
    for (unsigned i = 0; i < len; i++)
        snprintf(hex + 2 * i, 3, "%02x", mac[i]);
    snprintf(out, sizeof out,
             "{\"vnp_ResponseId\":\"r9\",\"vnp_Command\":\"refund\",\"vnp_ResponseCode\":\"%s\","
             "\"vnp_Message\":\"msg\","
             "\"vnp_TmnCode\":\"%s\",\"vnp_TxnRef\":\"HN2026A1\",\"vnp_Amount\":2000000,\"vnp_BankCode\":\"NCB\","
             "\"vnp_PayDate\":\"20261206103001\",\"vnp_TransactionNo\":\"%s\",\"vnp_TransactionType\":\"03\","
             "\"vnp_TransactionStatus\":\"05\",\"vnp_OrderInfo\":\"x\"%s%s%s}",
             code, tmn, txn_no, sign ? ",\"vnp_SecureHash\":\"" : "", sign ? hex : "", sign ? "\"" : "");
    return out;
}

static int read_answer(const char *body, char txn[41], char code[8])
{
    return vnpay_refund_answer(body, strlen(body), txn, code);
}

static void answers_are_verified_and_read(void **state)
{
    (void)state;
    char txn[41], code[8];
    /* HMAC-SHA512(SECRET, "r1|refund|00|Refund success|CONGTEST|HN2026A1|2000000|NCB|20261206103001|14000099|03|05|
     * Hoan tien ho so HN-1"), in capitals as VNPay may send it */
    const char *ok = "{\"vnp_ResponseId\":\"r1\",\"vnp_Command\":\"refund\",\"vnp_ResponseCode\":\"00\","
                     "\"vnp_Message\":\"Refund success\",\"vnp_TmnCode\":\"CONGTEST\",\"vnp_TxnRef\":\"HN2026A1\","
                     "\"vnp_Amount\":\"2000000\",\"vnp_BankCode\":\"NCB\",\"vnp_PayDate\":\"20261206103001\","
                     "\"vnp_TransactionNo\":\"14000099\",\"vnp_TransactionType\":\"03\","
                     "\"vnp_TransactionStatus\":\"05\",\"vnp_OrderInfo\":\"Hoan tien ho so HN-1\",\"vnp_SecureHash\":"
                     "\"22FDD901D343D89C4F4C7EB305CD59931FAEB65502E267A1F78A009BEAD8FA4C"
                     "9815F743BFC2A4C630B8D6B735DCE00D7B8F37767BAAC8284D65CE5FD58FC20C\"}";
    assert_int_equal(read_answer(ok, txn, code), 0);
    assert_string_equal(txn, "14000099");
    assert_string_equal(code, "00");
    /* a refusal with the fields it does not state absent: HMAC over "r2|refund|95|Refused|CONGTEST|HN2026A1|2000000|||
     * |||" */
    const char *refused = "{\"vnp_ResponseId\":\"r2\",\"vnp_Command\":\"refund\",\"vnp_ResponseCode\":\"95\","
                          "\"vnp_Message\":\"Refused\",\"vnp_TmnCode\":\"CONGTEST\",\"vnp_TxnRef\":\"HN2026A1\","
                          "\"vnp_Amount\":2000000,\"vnp_SecureHash\":"
                          "\"2390fea9d63f51a736670443288623abe9c089202677f15fe9933e6c225c9ae6"
                          "4fe41258cf5aa4aacddb3f0d9d5a4276f96d8cfa818df28d98a4b0187ee90468\"}";
    assert_int_equal(read_answer(refused, txn, code), CONG_ESTATE);
    assert_string_equal(code, "95");
    assert_string_equal(txn, "");

    assert_int_equal(read_answer(answer("00", "CONGTEST", "14000100", 1), txn, code), 0);
    assert_int_equal(read_answer(answer("94", "CONGTEST", "", 1), txn, code), CONG_EUNAVAILABLE);
    assert_int_equal(read_answer(answer("99", "CONGTEST", "", 1), txn, code), CONG_EUNAVAILABLE);
    assert_int_equal(read_answer(answer("91", "CONGTEST", "", 1), txn, code), CONG_ESTATE);
    assert_int_equal(read_answer(answer("00", "OTHERTMN", "14000100", 1), txn, code), CONG_EPARSE);
    assert_int_equal(read_answer(answer("00", "CONGTEST", "14000100", 0), txn, code), CONG_EPERM);
    assert_string_equal(txn, "");
    /* one changed character: the signature no longer holds */
    char *tampered = answer("00", "CONGTEST", "14000100", 1);
    *strstr(tampered, "2000000") = '3';
    assert_int_equal(read_answer(tampered, txn, code), CONG_EPERM);
    assert_int_equal(read_answer("not json", txn, code), CONG_EPARSE);
    assert_int_equal(read_answer("[1]", txn, code), CONG_EPARSE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(request_is_signed_over_the_documented_order, setup),
        cmocka_unit_test_setup(answers_are_verified_and_read, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
