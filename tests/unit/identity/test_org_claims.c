/* Unit tests for modules/identity/org_claims.c: the organization claims of a VNeID ID token (issue 18). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "cong/errors.h"
#include "modules/identity/b64url.h"
#include "modules/identity/org_claims.h"

/* "<header>.<payload>.<signature>" with the payload's JSON encoded (the signature is not this file's to check). */
static const char *token_of(const char *payload_json)
{
    static char token[4096];
    char payload[3000];
    cong_idm_b64url_encode((const unsigned char *)payload_json, strlen(payload_json), payload);
    snprintf(token, sizeof token, "eyJhbGciOiJFUzI1NiJ9.%s.c2lnbmF0dXJl", payload);
    return token;
}

static int claims_of(const char *payload_json, cong_idm_org_claims_t *out)
{
    const char *t = token_of(payload_json);
    return cong_idm_org_claims(t, strlen(t), out);
}

static void test_citizen_account(void **state)
{
    (void)state;
    cong_idm_org_claims_t c;
    assert_int_equal(0, claims_of("{\"sub\":\"001099000001\",\"acr\":\"2\"}", &c));
    assert_int_equal(0, c.organization);
    assert_int_equal(0, claims_of("{\"sub\":\"001099000001\",\"account_type\":\"citizen\"}", &c));
    assert_int_equal(0, c.organization);
    assert_string_equal("", c.tax_code);
}

static void test_organization_account(void **state)
{
    (void)state;
    cong_idm_org_claims_t c;
    assert_int_equal(0, claims_of("{\"sub\":\"001099000001\",\"account_type\":\"organization\","
                                  "\"org_tax_code\":\"0109990001\",\"org_name\":\"Công ty TNHH Sông Hồng\"}",
                                  &c));
    assert_int_equal(1, c.organization);
    assert_string_equal("0109990001", c.tax_code);
    assert_string_equal("Công ty TNHH Sông Hồng", c.name);
    assert_int_equal(0, claims_of("{\"account_type\":\"organization\",\"org_tax_code\":\"0109990002-001\","
                                  "\"org_name\":\"Chi nhánh\"}",
                                  &c));
    assert_string_equal("0109990002-001", c.tax_code);
}

static void test_refused(void **state)
{
    (void)state;
    static const char *const bad[] = {
        "{\"account_type\":\"organization\",\"org_name\":\"X\"}",                          /* no code */
        "{\"account_type\":\"organization\",\"org_tax_code\":\"0109990001\"}",             /* no name */
        "{\"account_type\":\"organization\",\"org_tax_code\":\"0109990001\",\"org_name\":\"\"}",
        "{\"account_type\":\"organization\",\"org_tax_code\":\"010999000\",\"org_name\":\"X\"}",
        "{\"account_type\":\"organization\",\"org_tax_code\":\"0109990001-000\",\"org_name\":\"X\"}",
        "{\"account_type\":\"organization\",\"org_tax_code\":\"0109990001-01\",\"org_name\":\"X\"}",
        "{\"account_type\":\"organization\",\"org_tax_code\":109990001,\"org_name\":\"X\"}",
        "{\"account_type\":\"robot\"}",
        "{\"account_type\":1}",
        "[1,2]",
        "not json",
    };
    cong_idm_org_claims_t c;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(CONG_EINVAL, claims_of(bad[i], &c));
        assert_int_equal(0, c.organization);
    }
    assert_int_equal(CONG_EINVAL, cong_idm_org_claims("no-dots-at-all", 14, &c));
    assert_int_equal(CONG_EINVAL, cong_idm_org_claims("a.!!!.c", 7, &c));
    assert_int_equal(CONG_EINVAL, cong_idm_org_claims(NULL, 0, &c));
}

/* 300 characters of name are taken (Vietnamese letters are 2-3 bytes each), 301 are not. */
static void test_name_length_in_characters(void **state)
{
    (void)state;
    char payload[2048], name[1300];
    size_t o = 0;
    for (int i = 0; i < 300; i++)
        o += (size_t)snprintf(name + o, sizeof name - o, "ệ"); /* 3 bytes */
    snprintf(payload, sizeof payload,
             "{\"account_type\":\"organization\",\"org_tax_code\":\"0109990001\",\"org_name\":\"%s\"}", name);
    cong_idm_org_claims_t c;
    assert_int_equal(0, claims_of(payload, &c));
    assert_int_equal(900, strlen(c.name));
    snprintf(payload, sizeof payload,
             "{\"account_type\":\"organization\",\"org_tax_code\":\"0109990001\",\"org_name\":\"%sa\"}", name);
    assert_int_equal(CONG_EINVAL, claims_of(payload, &c));
}

static void test_tax_codes(void **state)
{
    (void)state;
    assert_int_equal(1, cong_idm_tax_code_valid("0101234567"));
    assert_int_equal(1, cong_idm_tax_code_valid("0101234567-999"));
    assert_int_equal(0, cong_idm_tax_code_valid("0101234567-"));
    assert_int_equal(0, cong_idm_tax_code_valid("0101234567-1234"));
    assert_int_equal(0, cong_idm_tax_code_valid(NULL));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_citizen_account),          cmocka_unit_test(test_organization_account),
        cmocka_unit_test(test_refused),                  cmocka_unit_test(test_name_length_in_characters),
        cmocka_unit_test(test_tax_codes),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
