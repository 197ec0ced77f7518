/* modules/orgs/webhook_rules.c: what an endpoint may be (its URL, its event types), and the UUIDs of its paths. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "modules/orgs/orgs.h"

static void https_urls(void **state)
{
    (void)state;
    const char *good[] = {"https://erp.example.vn/hooks", "https://erp.example.vn", "https://a.b:8443/x?y=1",
                          "https://127.0.0.1:9/h", "https://x/"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++) {
        assert_true(orgs_webhook_url_ok(good[i], 0));
        assert_true(orgs_webhook_url_ok(good[i], 1));
    }
}

static void http_only_to_loopback_when_allowed(void **state)
{
    (void)state;
    assert_false(orgs_webhook_url_ok("http://127.0.0.1:8080/h", 0));
    assert_true(orgs_webhook_url_ok("http://127.0.0.1:8080/h", 1));
    assert_true(orgs_webhook_url_ok("http://127.0.0.1/h", 1));
    assert_false(orgs_webhook_url_ok("http://127.0.0.10/h", 1));
    assert_false(orgs_webhook_url_ok("http://127.0.0.1.evil.vn/h", 1));
    assert_false(orgs_webhook_url_ok("http://localhost/h", 1));
    assert_false(orgs_webhook_url_ok("http://erp.example.vn/h", 1));
}

static void not_urls(void **state)
{
    (void)state;
    const char *bad[] = {NULL, "", "https://", "ftp://x/y", "HTTPS://x/y", "https://u:p@x/y", "https://x/y#f",
                         "https://x y/", "https://x/a b", "https://x:0/", "https://x:65536/", "https://x:/",
                         "https://.x/", "https://x../", "https://x/\x7f", "https://x:08/", "https://[::1]/"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        assert_false(orgs_webhook_url_ok(bad[i], 1));
    char longer[ORGS_WEBHOOK_URL_MAX + 16] = "https://x/";
    memset(longer + 10, 'a', sizeof longer - 11);
    longer[sizeof longer - 1] = '\0';
    assert_false(orgs_webhook_url_ok(longer, 0));
}

static void event_types(void **state)
{
    (void)state;
    const char *good[] = {"dossier.status_changed", "dossier.supplement_requested", "payment.succeeded",
                          "payment.refunded", "dossier.result_issued"};
    for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
        assert_true(orgs_webhook_event_type_ok(good[i]));
    assert_false(orgs_webhook_event_type_ok(NULL));
    assert_false(orgs_webhook_event_type_ok("dossier.status"));
    assert_false(orgs_webhook_event_type_ok("payment.succeeded "));
    assert_false(orgs_webhook_event_type_ok("*"));
}

static void uuids(void **state)
{
    (void)state;
    assert_true(orgs_uuid_ok("0b6c3e1a-2f4d-4c8e-9a1b-3c5d7e9f1a2b"));
    assert_false(orgs_uuid_ok("0B6C3E1A-2F4D-4C8E-9A1B-3C5D7E9F1A2B"));
    assert_false(orgs_uuid_ok("0b6c3e1a2f4d4c8e9a1b3c5d7e9f1a2b"));
    assert_false(orgs_uuid_ok("0b6c3e1a-2f4d-4c8e-9a1b-3c5d7e9f1a2"));
    assert_false(orgs_uuid_ok(NULL));
    char id[37];
    assert_int_equal(orgs_webhook_uuid_new(id), 0);
    assert_true(orgs_uuid_ok(id));
    assert_int_equal(id[14], '4');
}

static void delivery_log_cursors(void **state)
{
    (void)state;
    const char *id = "0b6c3e1a-2f4d-4c8e-9a1b-3c5d7e9f1a2b";
    char c[128];
    snprintf(c, sizeof c, "2026-12-07T03:18:24.123456Z_%s", id);
    assert_true(orgs_webhook_cursor_ok(c));
    snprintf(c, sizeof c, "2026-12-07T03:18:24.123Z_%s", id); /* milliseconds only: not this cursor */
    assert_false(orgs_webhook_cursor_ok(c));
    snprintf(c, sizeof c, "2026-12-07 03:18:24.123456Z_%s", id);
    assert_false(orgs_webhook_cursor_ok(c));
    snprintf(c, sizeof c, "2026-12-07T03:18:24.123456Z_%s'", id);
    assert_false(orgs_webhook_cursor_ok(c));
    snprintf(c, sizeof c, "2026-12-07T03:18:24.123456Z_%.35sB", id);
    assert_false(orgs_webhook_cursor_ok(c));
    assert_false(orgs_webhook_cursor_ok(""));
    assert_false(orgs_webhook_cursor_ok(NULL));
    /* the right shape, not a time: PostgreSQL would refuse it with an error (a 500), so it is no cursor */
    const char *not_times[] = {"2026-13-07T03:18:24", "2026-02-31T03:18:24", "2026-12-07T24:00:00",
                               "2026-12-07T03:60:24", "2026-12-07T03:18:61", "2026-00-07T03:18:24"};
    for (size_t i = 0; i < sizeof not_times / sizeof not_times[0]; i++) {
        snprintf(c, sizeof c, "%s.123456Z_%s", not_times[i], id);
        assert_false(orgs_webhook_cursor_ok(c));
    }
    snprintf(c, sizeof c, "2028-02-29T23:59:59.999999Z_%s", id); /* a leap day */
    assert_true(orgs_webhook_cursor_ok(c));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(https_urls), cmocka_unit_test(http_only_to_loopback_when_allowed),
        cmocka_unit_test(not_urls),   cmocka_unit_test(event_types),
        cmocka_unit_test(uuids),      cmocka_unit_test(delivery_log_cursors),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
