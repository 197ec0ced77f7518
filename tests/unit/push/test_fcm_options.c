/* Unit tests for push/delivery/fcm_options.c: the FCM adapter's options, their defaults and refusals (naming the key,
 * never the value), and which endpoints may carry a credential (fcm_http.c). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "cong/errors.h"
#include "push/delivery/fcm_http.h"
#include "push/delivery/fcm_options.h"

static char err[256];

static int parse(const char *const *options, fcm_options_t *o)
{
    err[0] = '\0';
    return fcm_options_parse(options, o, err, sizeof err);
}

static void defaults(void **state)
{
    (void)state;
    fcm_options_t o;
    const char *const opts[] = {"service_account_file=/etc/cong/fcm.json", NULL};
    assert_int_equal(parse(opts, &o), 0);
    assert_string_equal(o.service_account_file, "/etc/cong/fcm.json");
    assert_string_equal(o.endpoint, "https://fcm.googleapis.com");
    assert_null(o.project_id);
    assert_null(o.ca_file);
    assert_int_equal(o.h2_prior_knowledge, 0);
    assert_int_equal(o.connect_timeout_ms, 5000);
}

static void all_given(void **state)
{
    (void)state;
    fcm_options_t o;
    const char *const opts[] = {"service_account_file=sa.json", "endpoint=http://127.0.0.1:9", "project_id=cong-test",
                                "ca_file=ca.pem", "h2_prior_knowledge=1", "connect_timeout_ms=250", NULL};
    assert_int_equal(parse(opts, &o), 0);
    assert_string_equal(o.endpoint, "http://127.0.0.1:9");
    assert_string_equal(o.project_id, "cong-test");
    assert_string_equal(o.ca_file, "ca.pem");
    assert_int_equal(o.h2_prior_knowledge, 1);
    assert_int_equal(o.connect_timeout_ms, 250);
}

/* Refused, err naming `key` and not holding `value`. */
static void refused_naming(const char *const *opts, const char *key, const char *value)
{
    fcm_options_t o;
    assert_int_equal(parse(opts, &o), CONG_EINVAL);
    assert_non_null(strstr(err, key));
    if (value != NULL)
        assert_null(strstr(err, value));
}

static void refusals(void **state)
{
    (void)state;
    refused_naming((const char *const[]){NULL}, "service_account_file", NULL);
    refused_naming((const char *const[]){"service_account_file=a", "colour=s3cret-value", NULL}, "colour",
                   "s3cret-value");
    refused_naming((const char *const[]){"service_account_file=a", "h2_prior_knowledge=yes", NULL},
                   "h2_prior_knowledge", "yes");
    refused_naming((const char *const[]){"service_account_file=a", "connect_timeout_ms=0", NULL}, "connect_timeout_ms",
                   NULL);
    refused_naming((const char *const[]){"service_account_file=a", "endpoint=http://fcm.example.com", NULL}, "endpoint",
                   "example");
    refused_naming((const char *const[]){"service_account_file=a", "endpoint=https://fcm.googleapis.com/", NULL},
                   "endpoint", NULL);
    refused_naming((const char *const[]){"service_account_file=a", "endpoint=ftp://127.0.0.1", NULL}, "endpoint", NULL);
    refused_naming(
        (const char *const[]){"service_account_file=a", "endpoint=https://fcm.googleapis.com", "h2_prior_knowledge=1",
                              NULL},
        "h2_prior_knowledge", NULL);
    refused_naming((const char *const[]){"service_account_file=a", "project_id=Bad/Project", NULL}, "project_id",
                   "Bad");
    refused_naming((const char *const[]){"service_account_file=", NULL}, "service_account_file", NULL);
    refused_naming((const char *const[]){"service_account_file", NULL}, "service_account_file", NULL);
}

static void credential_endpoints(void **state)
{
    (void)state;
    assert_true(fcm_url_allowed("https://fcm.googleapis.com"));
    assert_true(fcm_url_allowed("https://oauth2.googleapis.com/token"));
    assert_true(fcm_url_allowed("http://127.0.0.1:8080/token"));
    assert_true(fcm_url_allowed("http://localhost/token"));
    assert_true(fcm_url_allowed("http://[::1]:9/token"));
    assert_false(fcm_url_allowed("http://oauth2.googleapis.com/token"));
    assert_false(fcm_url_allowed("http://127.0.0.1.evil.example/token"));
    assert_false(fcm_url_allowed("http://localhost.evil.example/"));
    assert_false(fcm_url_allowed("https://fcm.googleapis.com/ x"));
    assert_false(fcm_url_allowed("file:///etc/passwd"));
    assert_true(fcm_url_is_loopback("http://127.0.0.1"));
    assert_false(fcm_url_is_loopback("https://fcm.googleapis.com"));
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(defaults), cmocka_unit_test(all_given),
                                       cmocka_unit_test(refusals), cmocka_unit_test(credential_endpoints)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
