/* Unit tests for push/delivery/fcm_message.c: the messages:send body built from a push_message_t. */
#include <jansson.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "push/delivery/fcm_message.h"

/* The body as JSON (parsed back), asserting it is built. */
static json_t *built(const push_message_t *m)
{
    char *text = fcm_message_json(m);
    assert_non_null(text);
    json_t *doc = json_loads(text, JSON_REJECT_DUPLICATES, NULL);
    free(text);
    assert_non_null(doc);
    return doc;
}

static void full_message(void **state)
{
    (void)state;
    push_message_t m = {.device_token = "dev-1:APA91b", .title = "Hồ sơ", .body = "đã chuyển",
                        .data_json = "{\"event\":\"dossier.moved\",\"id\":\"42\"}", .collapse_id = "dossier-42",
                        .event_id = "e-1", .ttl_s = 3600, .high_priority = 1};
    json_t *want = json_pack("{s:{s:s, s:{s:s, s:s}, s:{s:s, s:s}, s:{s:s, s:s, s:s}, s:{s:{s:s, s:s}}}}",
                             "message",
                             "token", "dev-1:APA91b", "notification", "title", "Hồ sơ", "body", "đã chuyển", "data",
                             "event", "dossier.moved", "id", "42", "android", "priority", "HIGH", "ttl", "3600s",
                             "collapse_key", "dossier-42", "apns", "headers", "apns-priority", "10",
                             "apns-collapse-id", "dossier-42");
    json_t *got = built(&m);
    assert_true(json_equal(want, got));
    json_decref(want);
    json_decref(got);
}

static void data_only_normal(void **state)
{
    (void)state;
    push_message_t m = {.device_token = "dev-2", .data_json = "{\"k\":\"v\"}"};
    json_t *want = json_pack("{s:{s:s, s:{s:s}, s:{s:s}, s:{s:{s:s}}}}", "message", "token", "dev-2", "data", "k",
                             "v", "android", "priority", "NORMAL", "apns", "headers", "apns-priority", "5");
    json_t *got = built(&m);
    assert_true(json_equal(want, got)); /* no notification, ttl, collapse key */
    json_decref(want);
    json_decref(got);
}

static void title_only(void **state)
{
    (void)state;
    push_message_t m = {.device_token = "dev-3", .title = "T"};
    json_t *got = built(&m);
    json_t *n = json_object_get(json_object_get(got, "message"), "notification");
    assert_int_equal(json_object_size(n), 1);
    assert_string_equal(json_string_value(json_object_get(n, "title")), "T");
    assert_null(json_object_get(json_object_get(got, "message"), "data"));
    json_decref(got);
}

static void refused(void **state)
{
    (void)state;
    push_message_t m = {.device_token = "dev-4", .data_json = "{\"n\":12}"};
    assert_null(fcm_message_json(&m)); /* FCM wants string values */
    m.data_json = "[\"a\"]";
    assert_null(fcm_message_json(&m));
    m.data_json = "{\"a\":\"1\",\"a\":\"2\"}";
    assert_null(fcm_message_json(&m));
    m.data_json = "not json";
    assert_null(fcm_message_json(&m));
    m = (push_message_t){.device_token = ""};
    assert_null(fcm_message_json(&m));
    m = (push_message_t){.device_token = "dev-5", .title = "\xff\xfe"};
    assert_null(fcm_message_json(&m)); /* not UTF-8 */
}

int main(void)
{
    const struct CMUnitTest tests[] = {cmocka_unit_test(full_message), cmocka_unit_test(data_only_normal),
                                       cmocka_unit_test(title_only), cmocka_unit_test(refused)};
    return cmocka_run_group_tests(tests, NULL, NULL);
}
