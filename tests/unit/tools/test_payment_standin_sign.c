/* Unit tests for tools/payment_standin/vnp_sign.c, the stand-in VNPay's signing rules: the canonical query string of a
 * payment URL (VNPay's published example URL, worked out by hand from the rules in vnp_sign.h), the PHP and Java
 * encodings where they differ, the '|'-joined merchant API string, HMAC-SHA512 against values computed independently
 * with OpenSSL's command line:
 *   printf '%s' "<expected string>" | openssl dgst -sha512 -hmac 'STANDINTESTSECRET0123456789ABCDEF'
 * the constant-time comparison, the query parser, and the GMT+7 clock. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "vnp_sign.h"

#define SECRET "STANDINTESTSECRET0123456789ABCDEF"

/* VNPay's example payment URL (sandbox docs, "Tạo URL Thanh toán"), its parameters given out of order, with the two
 * that are never signed and one that is not VNPay's. */
static const char *const example[][2] = {
    {"vnp_Version", "2.1.0"},          {"vnp_TxnRef", "5"},
    {"vnp_ReturnUrl", "https://domainmerchant.vn/ReturnUrl"},
    {"vnp_SecureHash", "00"},          {"vnp_Amount", "1806000"},
    {"vnp_Command", "pay"},            {"vnp_CreateDate", "20210801153333"},
    {"vnp_CurrCode", "VND"},           {"vnp_IpAddr", "127.0.0.1"},
    {"utm_source", "not signed"},      {"vnp_Locale", "vn"},
    {"vnp_OrderInfo", "Thanh toan don hang :5"},
    {"vnp_SecureHashType", "HmacSHA512"},
    {"vnp_OrderType", "other"},        {"vnp_TmnCode", "DEMOV210"},
};

/* By hand: sorted by name, form-encoded (' ' -> '+', ':' -> %3A, '/' -> %2F), joined with '&'. */
static const char expected_canonical[] =
    "vnp_Amount=1806000&vnp_Command=pay&vnp_CreateDate=20210801153333&vnp_CurrCode=VND&vnp_IpAddr=127.0.0.1"
    "&vnp_Locale=vn&vnp_OrderInfo=Thanh+toan+don+hang+%3A5&vnp_OrderType=other"
    "&vnp_ReturnUrl=https%3A%2F%2Fdomainmerchant.vn%2FReturnUrl&vnp_TmnCode=DEMOV210&vnp_TxnRef=5&vnp_Version=2.1.0";

/* openssl dgst -sha512 -hmac SECRET over expected_canonical */
static const char expected_hmac[] = "0ceb13d2a5a7f65a76893d65fd674db0121e820d9dbcdef09a89090c77c7a2f7"
                                    "79785569735cb463583da451582327383ffecd426081e795e29a02b1bdf78cf0";

static void load_example(vnp_params_t *p)
{
    memset(p, 0, sizeof *p);
    for (size_t i = 0; i < sizeof example / sizeof example[0]; i++)
        assert_int_equal(vnp_params_add(p, example[i][0], example[i][1]), 0);
}

static void canonical_query_of_the_published_example(void **state)
{
    (void)state;
    vnp_params_t p;
    load_example(&p);
    char *canonical = vnp_canonical_query(&p, VNP_ENCODE_PHP);
    assert_string_equal(canonical, expected_canonical);
    free(canonical);
    canonical = vnp_canonical_query(&p, VNP_ENCODE_JAVA); /* no '*' here: the same string */
    assert_string_equal(canonical, expected_canonical);
    free(canonical);
    vnp_params_free(&p);
}

static void hmac_of_the_canonical_string(void **state)
{
    (void)state;
    char hash[VNP_HASH_HEX_LEN + 1];
    assert_int_equal(vnp_hmac_sha512_hex(SECRET, strlen(SECRET), expected_canonical, strlen(expected_canonical), hash),
                     0);
    assert_string_equal(hash, expected_hmac);
}

static void signed_query_appends_the_hash(void **state)
{
    (void)state;
    vnp_params_t p;
    load_example(&p);
    char *query = vnp_signed_query(&p, SECRET, strlen(SECRET));
    char expected[sizeof expected_canonical + 200];
    strcpy(expected, expected_canonical);
    strcat(expected, "&vnp_SecureHash=");
    strcat(expected, expected_hmac);
    assert_string_equal(query, expected);
    free(query);
    vnp_params_free(&p);
}

static void php_and_java_encodings_differ_only_on_star(void **state)
{
    (void)state;
    vnp_params_t p = {.count = 0};
    assert_int_equal(vnp_params_add(&p, "vnp_OrderInfo", "a*b~c d-e_f.g!(h)'i&j=k+l%m/n"), 0);
    assert_int_equal(vnp_params_add(&p, "vnp_Amount", "100"), 0);
    char *php = vnp_canonical_query(&p, VNP_ENCODE_PHP), *java = vnp_canonical_query(&p, VNP_ENCODE_JAVA);
    assert_string_equal(php, "vnp_Amount=100&vnp_OrderInfo=a%2Ab%7Ec+d-e_f.g%21%28h%29%27i%26j%3Dk%2Bl%25m%2Fn");
    assert_string_equal(java, "vnp_Amount=100&vnp_OrderInfo=a*b%7Ec+d-e_f.g%21%28h%29%27i%26j%3Dk%2Bl%25m%2Fn");
    free(php);
    free(java);
    vnp_params_free(&p);
}

static void names_sort_in_byte_order(void **state)
{
    (void)state;
    vnp_params_t p = {.count = 0};
    assert_int_equal(vnp_params_add(&p, "vnp_amount", "1"), 0); /* lower case sorts after every upper case */
    assert_int_equal(vnp_params_add(&p, "vnp_TxnRef", "2"), 0);
    assert_int_equal(vnp_params_add(&p, "vnp_TmnCode", "3"), 0);
    assert_int_equal(vnp_params_add(&p, "vnp_Bill_Mobile", "4"), 0);
    assert_int_equal(vnp_params_add(&p, "vnp_BankCode", "5"), 0);
    char *canonical = vnp_canonical_query(&p, VNP_ENCODE_PHP);
    assert_string_equal(canonical, "vnp_BankCode=5&vnp_Bill_Mobile=4&vnp_TmnCode=3&vnp_TxnRef=2&vnp_amount=1");
    free(canonical);
    vnp_params_free(&p);
}

static void querydr_pipe_string_and_hmac(void **state)
{
    (void)state;
    const char *values[] = {"REQ0001", "2.1.0", "querydr", "DEMOV210", "5", "20210801153333", "20210802090000",
                            "127.0.0.1", "Truy van GD 5"};
    char *data = vnp_pipe_join(values, 9);
    assert_string_equal(data, "REQ0001|2.1.0|querydr|DEMOV210|5|20210801153333|20210802090000|127.0.0.1|Truy van GD 5");
    char hash[VNP_HASH_HEX_LEN + 1];
    assert_int_equal(vnp_hmac_sha512_hex(SECRET, strlen(SECRET), data, strlen(data), hash), 0);
    assert_string_equal(hash, "a257cb804dcbbd6e5c32bf952cfcac6a821e7d8d2cc3a126b97c8fab341c1e16"
                              "3bee1394aeca101177dcb9bae054b7d26896998866944c8b1d01ca8a7dd62b13");
    free(data);
    const char *with_empty[] = {"a", NULL, "", "b"};
    data = vnp_pipe_join(with_empty, 4);
    assert_string_equal(data, "a|||b");
    free(data);
}

static void hash_comparison(void **state)
{
    (void)state;
    char upper[VNP_HASH_HEX_LEN + 1];
    for (size_t i = 0; i <= VNP_HASH_HEX_LEN; i++)
        upper[i] = (char)(expected_hmac[i] >= 'a' && expected_hmac[i] <= 'f' ? expected_hmac[i] - 32 : expected_hmac[i]);
    assert_true(vnp_hash_equal(expected_hmac, expected_hmac));
    assert_true(vnp_hash_equal(upper, expected_hmac)); /* either case */
    char wrong[VNP_HASH_HEX_LEN + 1];
    strcpy(wrong, expected_hmac);
    wrong[VNP_HASH_HEX_LEN - 1] = '1';
    assert_false(vnp_hash_equal(wrong, expected_hmac));
    wrong[VNP_HASH_HEX_LEN - 1] = expected_hmac[VNP_HASH_HEX_LEN - 1];
    wrong[0] = (char)(wrong[0] ^ 0x20); /* '0' ^ 0x20 is '\x10': not a digit in another case */
    assert_false(vnp_hash_equal(wrong, expected_hmac));
    assert_false(vnp_hash_equal("0ceb13d2", expected_hmac));
    assert_false(vnp_hash_equal(NULL, expected_hmac));
}

static void query_parsing(void **state)
{
    (void)state;
    vnp_params_t p;
    const char *q = "vnp_OrderInfo=Thanh+toan+%3A5&vnp_Amount=100&&empty=&bare";
    assert_int_equal(vnp_params_parse(q, strlen(q), &p), VNP_PARSE_OK);
    assert_string_equal(vnp_params_get(&p, "vnp_OrderInfo"), "Thanh toan :5");
    assert_string_equal(vnp_params_get(&p, "empty"), "");
    assert_string_equal(vnp_params_get(&p, "bare"), "");
    assert_null(vnp_params_get(&p, "missing"));
    vnp_params_free(&p);
    const char *bad[] = {"a=%zz", "a=%0", "a=%00", "a=1&a=2", "a=%4"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(vnp_params_parse(bad[i], strlen(bad[i]), &p), VNP_PARSE_BAD);
        vnp_params_free(&p);
    }
}

static void gmt7_clock(void **state)
{
    (void)state;
    /* 2021-08-01 15:33:33 in GMT+7 is 08:33:33 UTC: 1627806813 (python3 calendar.timegm) */
    assert_int_equal(vnp_parse_date("20210801153333"), 1627806813LL);
    char s[VNP_DATE_LEN + 1];
    vnp_format_date(1627806813LL, s);
    assert_string_equal(s, "20210801153333");
    vnp_format_date(1627806813LL + 9 * 3600, s); /* past midnight in Hanoi, still 1 August in UTC */
    assert_string_equal(s, "20210802003333");
    assert_int_equal(vnp_parse_date("20260231000000"), -1); /* 31 February */
    assert_int_equal(vnp_parse_date("2021080115333"), -1);
    assert_int_equal(vnp_parse_date("2021080115333x"), -1);
    assert_int_equal(vnp_parse_date("20210801246000"), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(canonical_query_of_the_published_example),
        cmocka_unit_test(hmac_of_the_canonical_string),
        cmocka_unit_test(signed_query_appends_the_hash),
        cmocka_unit_test(php_and_java_encodings_differ_only_on_star),
        cmocka_unit_test(names_sort_in_byte_order),
        cmocka_unit_test(querydr_pipe_string_and_hmac),
        cmocka_unit_test(hash_comparison),
        cmocka_unit_test(query_parsing),
        cmocka_unit_test(gmt7_clock),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
