/*
 * modules/payments/vnpay_sign.c and vnpay.c: VNPay 2.1.0's canonical string and HMAC-SHA512, against worked examples
 * derived by hand from VNPay's published rules (the strings below are written literally, not computed by the code
 * under test); the expected HMACs were computed independently with
 *     printf '%s' "$CANONICAL" | openssl dgst -sha512 -hmac TESTSECRET0123456789
 * Then read_callback's refusals (a bad or missing hash, another merchant, a malformed amount), the IPN's answers, the
 * payment URL, and querydr's request and answer.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <jansson.h>

#include "modules/payments/payments.h"
#include "modules/payments/vnpay.h"

#define SECRET "TESTSECRET0123456789"
/* vnp_* sorted by name in byte order (TmnCode < TransactionNo < TransactionStatus < TxnRef), PHP urlencode: ':' %3A,
 * ' ' '+', '(' %28, '*' %2A, '~' %7E, ')' %29, '.' kept. */
#define CANONICAL                                                                                                  \
    "vnp_Amount=1000000&vnp_BankCode=NCB&vnp_OrderInfo=Le+phi%3A+10.000+VND+%28a%2Ab%7Ec%29&vnp_PayDate="           \
    "20260306101500&vnp_ResponseCode=00&vnp_TmnCode=CONGTEST&vnp_TransactionNo=14422574&vnp_TransactionStatus=00&" \
    "vnp_TxnRef=P1A2B3C4"
#define CANONICAL_HMAC                                                                                               \
    "04c279870e1bc0a55d6f455472d7e3af9c2b0926e3e13229274c7a4f35ed3e732421da2ec1802b3c1ee49e922a3fd01a0f4ba9e1054e796f" \
    "2351546e7c276a9f"
/* querydr: vnp_RequestId|vnp_Version|vnp_Command|vnp_TmnCode|vnp_TxnRef|vnp_TransactionDate|vnp_CreateDate|vnp_IpAddr|
 * vnp_OrderInfo */
#define QUERY_JOINED "R1|2.1.0|querydr|CONGTEST|P1A2B3C4|20260306101000|20260306103000|127.0.0.1|Le phi ho so"
#define QUERY_HMAC                                                                                                   \
    "a3cf1784c2f114ceda184dedaefb814c38dd6fdb6377835568eac25e43693d406cc941f56fb21c627a3fdd0937f2c5ea964a93b1039c00e0" \
    "4ba12e0efccd02ba"
#define T_100000 1772766600LL /* 2026-03-06 10:10:00 GMT+7 */

static int setup(void **state)
{
    (void)state;
    memset(&payments_config, 0, sizeof payments_config);
    strcpy(payments_config.vnpay_secret, SECRET);
    payments_config.vnpay_tmn_code = "CONGTEST";
    payments_config.vnpay_pay_url = "https://pay.test/vpcpay.html";
    payments_config.return_url = "https://cong.test/v1/payments/vnpay/return";
    return 0;
}

/* An IPN's query as VNPay sends it: the parameters in another order, a parameter that is not VNPay's, the hash. */
static char *ipn_query(const char *amount, const char *tmn, const char *hash)
{
    static char q[1024];
    snprintf(q, sizeof q,
             "vnp_TxnRef=P1A2B3C4&vnp_TmnCode=%s&vnp_Amount=%s&vnp_BankCode=NCB&utm_source=x&vnp_OrderInfo=Le+phi%%3A"
             "+10.000+VND+%%28a*b%%7Ec%%29&vnp_PayDate=20260306101500&vnp_ResponseCode=00&vnp_TransactionNo=14422574&"
             "vnp_TransactionStatus=00&vnp_SecureHashType=HmacSHA512%s%s",
             tmn, amount, hash != NULL ? "&vnp_SecureHash=" : "", hash != NULL ? hash : "");
    return q;
}

static void canonical_string(void **state)
{
    (void)state;
    vnpay_params_t p = {0};
    const char *q = ipn_query("1000000", "CONGTEST", CANONICAL_HMAC);
    assert_int_equal(vnpay_params_parse(q, strlen(q), &p), 0);
    assert_string_equal(vnpay_params_get(&p, "vnp_OrderInfo"), "Le phi: 10.000 VND (a*b~c)");
    char *canonical = vnpay_canonical(&p);
    assert_string_equal(canonical, CANONICAL);
    char hash[VNPAY_HASH_HEX + 1];
    assert_int_equal(vnpay_hmac_hex(SECRET, canonical, strlen(canonical), hash), 0);
    assert_string_equal(hash, CANONICAL_HMAC);
    free(canonical);
    vnpay_params_free(&p);

    vnpay_buf_t b = {0};
    vnpay_buf_add_urlencoded(&b, "Lệ phí a+b/c=d&e", strlen("Lệ phí a+b/c=d&e")); /* UTF-8 bytes, each escaped */
    char *s = vnpay_buf_take(&b);
    assert_string_equal(s, "L%E1%BB%87+ph%C3%AD+a%2Bb%2Fc%3Dd%26e");
    free(s);
}

static void hashes_compare(void **state)
{
    (void)state;
    char upper[VNPAY_HASH_HEX + 1];
    for (size_t i = 0; i <= VNPAY_HASH_HEX; i++)
        upper[i] = (char)(CANONICAL_HMAC[i] >= 'a' && CANONICAL_HMAC[i] <= 'f' ? CANONICAL_HMAC[i] - 32
                                                                                : CANONICAL_HMAC[i]);
    assert_true(vnpay_hash_equal(CANONICAL_HMAC, CANONICAL_HMAC));
    assert_true(vnpay_hash_equal(upper, CANONICAL_HMAC)); /* VNPay's .NET sample sends upper case */
    assert_false(vnpay_hash_equal(QUERY_HMAC, CANONICAL_HMAC));
    assert_false(vnpay_hash_equal("04c2", CANONICAL_HMAC));
    assert_false(vnpay_hash_equal(NULL, CANONICAL_HMAC));
    upper[0] = 'X'; /* lower-cased, still not the digit */
    assert_false(vnpay_hash_equal(upper, CANONICAL_HMAC));
}

static void dates_and_amounts(void **state)
{
    (void)state;
    char d[VNPAY_DATE_LEN + 1];
    vnpay_format_date(T_100000, d);
    assert_string_equal(d, "20260306101000");
    assert_int_equal(vnpay_parse_date("20260306101000"), T_100000);
    assert_int_equal(vnpay_parse_date("20260230101000"), -1); /* no 30 February */
    assert_int_equal(vnpay_parse_date("2026030610100"), -1);
    assert_int_equal(vnpay_parse_date("2026030610100x"), -1);
    assert_int_equal(vnpay_parse_amount("1000000"), 10000);
    assert_int_equal(vnpay_parse_amount("1000050"), -1); /* not a whole number of VND */
    assert_int_equal(vnpay_parse_amount("-100"), -1);
    assert_int_equal(vnpay_parse_amount("0100"), -1);
    assert_int_equal(vnpay_parse_amount(""), -1);
    assert_int_equal(vnpay_parse_amount("10000000000000000000"), -1);
}

static void callback_read(void **state)
{
    (void)state;
    const payments_provider_t *vnpay = payments_provider_find("vnpay");
    assert_non_null(vnpay);
    payments_result_t r;
    const char *q = ipn_query("1000000", "CONGTEST", CANONICAL_HMAC);
    assert_int_equal(vnpay->read_callback(q, strlen(q), &r), 0);
    assert_string_equal(r.txn_ref, "P1A2B3C4");
    assert_int_equal(r.amount_vnd, 10000);
    assert_int_equal(r.outcome, PAYMENTS_OUTCOME_SUCCESS);
    assert_string_equal(r.provider_txn, "14422574");
    assert_string_equal(r.bank_code, "NCB");
    assert_int_equal(r.paid_at, T_100000 + 300);
    assert_null(payments_provider_find("momo"));
}

/* The same query with its fields changed and signed again with SECRET (what a merchant that knows the key could send). */
static char *signed_query(const char *amount, const char *tmn, const char *response, const char *status)
{
    char base[1024];
    snprintf(base, sizeof base,
             "vnp_Amount=%s&vnp_BankCode=NCB&vnp_OrderInfo=x&vnp_PayDate=20260306101500&vnp_ResponseCode=%s&"
             "vnp_TmnCode=%s&vnp_TransactionNo=1&vnp_TransactionStatus=%s&vnp_TxnRef=P1",
             amount, response, tmn, status);
    vnpay_params_t p = {0};
    assert_int_equal(vnpay_params_parse(base, strlen(base), &p), 0);
    char *canonical = vnpay_canonical(&p), hash[VNPAY_HASH_HEX + 1];
    assert_int_equal(vnpay_hmac_hex(SECRET, canonical, strlen(canonical), hash), 0);
    static char q[1200];
    snprintf(q, sizeof q, "%s&vnp_SecureHash=%s", base, hash);
    free(canonical);
    vnpay_params_free(&p);
    return q;
}

static void callback_refusals(void **state)
{
    (void)state;
    const payments_provider_t *vnpay = payments_provider_find("vnpay");
    payments_result_t r;
    const char *q = ipn_query("2000000", "CONGTEST", CANONICAL_HMAC); /* the amount changed: the hash no longer fits */
    assert_int_equal(vnpay->read_callback(q, strlen(q), &r), CONG_EPERM);
    q = ipn_query("1000000", "CONGTEST", NULL);
    assert_int_equal(vnpay->read_callback(q, strlen(q), &r), CONG_EPERM); /* no hash */
    q = ipn_query("1000000", "CONGTEST", "");
    assert_int_equal(vnpay->read_callback(q, strlen(q), &r), CONG_EPERM);
    q = "vnp_TxnRef=%ZZ&vnp_SecureHash=00";
    assert_int_equal(vnpay->read_callback(q, strlen(q), &r), CONG_EPARSE);
    q = "vnp_TxnRef=a&vnp_TxnRef=b&vnp_SecureHash=00"; /* a parameter twice */
    assert_int_equal(vnpay->read_callback(q, strlen(q), &r), CONG_EPARSE);
    q = signed_query("1000000", "OTHERMER", "00", "00"); /* well signed, another merchant */
    assert_int_equal(vnpay->read_callback(q, strlen(q), &r), CONG_EPARSE);
    q = signed_query("1000050", "CONGTEST", "00", "00"); /* malformed amounts */
    assert_int_equal(vnpay->read_callback(q, strlen(q), &r), CONG_EPARSE);
    q = signed_query("abc", "CONGTEST", "00", "00");
    assert_int_equal(vnpay->read_callback(q, strlen(q), &r), CONG_EPARSE);
    q = signed_query("1000000", "CONGTEST", "24", "02"); /* cancelled by the payer */
    assert_int_equal(vnpay->read_callback(q, strlen(q), &r), 0);
    assert_int_equal(r.outcome, PAYMENTS_OUTCOME_CANCELLED);
    q = signed_query("1000000", "CONGTEST", "00", "02"); /* success needs both codes 00 */
    assert_int_equal(vnpay->read_callback(q, strlen(q), &r), 0);
    assert_int_equal(r.outcome, PAYMENTS_OUTCOME_FAILED);
    q = signed_query("1000000", "CONGTEST", "51", "02");
    assert_int_equal(vnpay->read_callback(q, strlen(q), &r), 0);
    assert_int_equal(r.outcome, PAYMENTS_OUTCOME_FAILED);
}

static void ipn_answers(void **state)
{
    (void)state;
    const payments_provider_t *vnpay = payments_provider_find("vnpay");
    const struct {
        int verdict;
        const char *body;
    } want[] = {
        {PAYMENTS_VERDICT_CONFIRMED, "{\"RspCode\":\"00\",\"Message\":\"Confirm Success\"}"},
        {PAYMENTS_VERDICT_NOT_FOUND, "{\"RspCode\":\"01\",\"Message\":\"Order not found\"}"},
        {PAYMENTS_VERDICT_ALREADY, "{\"RspCode\":\"02\",\"Message\":\"Order already confirmed\"}"},
        {PAYMENTS_VERDICT_BAD_AMOUNT, "{\"RspCode\":\"04\",\"Message\":\"invalid amount\"}"},
        {PAYMENTS_VERDICT_BAD_SIGNATURE, "{\"RspCode\":\"97\",\"Message\":\"Invalid signature\"}"},
        {PAYMENTS_VERDICT_OTHER, "{\"RspCode\":\"99\",\"Message\":\"Unknown error\"}"},
        {42, "{\"RspCode\":\"99\",\"Message\":\"Unknown error\"}"},
    };
    for (size_t i = 0; i < sizeof want / sizeof want[0]; i++) {
        int status = 0;
        const char *type = NULL;
        char *body = NULL;
        assert_int_equal(vnpay->callback_answer(want[i].verdict, &status, &type, &body), 0);
        assert_int_equal(status, 200);
        assert_string_equal(type, "application/json");
        assert_string_equal(body, want[i].body);
        free(body);
    }
}

static void pay_url(void **state)
{
    (void)state;
    const payments_provider_t *vnpay = payments_provider_find("vnpay");
    payments_start_t s = {.txn_ref = "P1A2B3C4", .amount_vnd = 10000, .order_info = "Le phi ho so",
                          .client_ip = "127.0.0.1", .created_at = T_100000, .expires_at = T_100000 + 900};
    char *url = NULL;
    assert_int_equal(vnpay->start_url(&s, &url), 0);
    const char *want = "https://pay.test/vpcpay.html?vnp_Amount=1000000&vnp_Command=pay&vnp_CreateDate=20260306101000&"
                       "vnp_CurrCode=VND&vnp_ExpireDate=20260306102500&vnp_IpAddr=127.0.0.1&vnp_Locale=vn&"
                       "vnp_OrderInfo=Le+phi+ho+so&vnp_OrderType=other&vnp_ReturnUrl=https%3A%2F%2Fcong.test%2Fv1%2F"
                       "payments%2Fvnpay%2Freturn&vnp_TmnCode=CONGTEST&vnp_TxnRef=P1A2B3C4&vnp_Version=2.1.0&"
                       "vnp_SecureHash=";
    assert_int_equal(strncmp(url, want, strlen(want)), 0);
    char hash[VNPAY_HASH_HEX + 1];
    const char *canonical = strchr(want, '?') + 1;
    assert_int_equal(vnpay_hmac_hex(SECRET, canonical, strlen(canonical) - strlen("&vnp_SecureHash="), hash), 0);
    assert_string_equal(url + strlen(want), hash);
    free(url);
    s.amount_vnd = 0;
    assert_int_equal(vnpay->start_url(&s, &url), CONG_EINVAL);
}

static void querydr(void **state)
{
    (void)state;
    const payments_provider_t *vnpay = payments_provider_find("vnpay");
    char *body = NULL;
    assert_int_equal(vnpay->query_request("R1", "P1A2B3C4", "Le phi ho so", T_100000, "127.0.0.1", T_100000 + 1200,
                                          &body),
                     0);
    json_t *o = json_loads(body, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(o, "vnp_SecureHash")), QUERY_HMAC);
    assert_string_equal(json_string_value(json_object_get(o, "vnp_TransactionDate")), "20260306101000");
    assert_string_equal(json_string_value(json_object_get(o, "vnp_Command")), "querydr");
    json_decref(o);
    free(body);

    /* its answer: vnp_ResponseId|vnp_Command|vnp_ResponseCode|vnp_Message|vnp_TmnCode|vnp_TxnRef|vnp_Amount|
     * vnp_BankCode|vnp_PayDate|vnp_TransactionNo|vnp_TransactionType|vnp_TransactionStatus|vnp_OrderInfo|
     * vnp_PromotionCode|vnp_PromotionAmount */
    const char *fields[] = {"A1", "querydr", "00", "QueryDR Success", "CONGTEST", "P1A2B3C4", "1000000", "NCB",
                            "20260306101500", "14422574", "01", "00", "Le phi ho so", "", ""};
    const char *names[] = {"vnp_ResponseId", "vnp_Command", "vnp_ResponseCode", "vnp_Message", "vnp_TmnCode",
                           "vnp_TxnRef", "vnp_Amount", "vnp_BankCode", "vnp_PayDate", "vnp_TransactionNo",
                           "vnp_TransactionType", "vnp_TransactionStatus", "vnp_OrderInfo", "vnp_PromotionCode",
                           "vnp_PromotionAmount"};
    char *joined = vnpay_pipe_join(fields, 15), hash[VNPAY_HASH_HEX + 1];
    vnpay_hmac_hex(SECRET, joined, strlen(joined), hash);
    free(joined);
    json_t *a = json_object();
    for (size_t i = 0; i < 15; i++)
        json_object_set_new(a, names[i], json_string(fields[i]));
    json_object_set_new(a, "vnp_SecureHash", json_string(hash));
    char *answer = json_dumps(a, JSON_COMPACT);
    payments_result_t r;
    assert_int_equal(vnpay->query_answer(answer, strlen(answer), &r), 0);
    assert_int_equal(r.outcome, PAYMENTS_OUTCOME_SUCCESS);
    assert_int_equal(r.amount_vnd, 10000);
    free(answer);
    json_object_set_new(a, "vnp_Amount", json_string("2000000")); /* tampered */
    answer = json_dumps(a, JSON_COMPACT);
    assert_int_equal(vnpay->query_answer(answer, strlen(answer), &r), CONG_EPERM);
    free(answer);
    json_decref(a);
    assert_int_equal(vnpay->query_answer("[]", 2, &r), CONG_EPARSE);
    assert_int_equal(vnpay->query_answer("{", 1, &r), CONG_EPARSE);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(canonical_string, setup), cmocka_unit_test_setup(hashes_compare, setup),
        cmocka_unit_test_setup(dates_and_amounts, setup), cmocka_unit_test_setup(callback_read, setup),
        cmocka_unit_test_setup(callback_refusals, setup), cmocka_unit_test_setup(ipn_answers, setup),
        cmocka_unit_test_setup(pay_url, setup),          cmocka_unit_test_setup(querydr, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
