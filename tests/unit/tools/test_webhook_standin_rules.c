/* Unit tests for tools/webhook_standin's pure parts: the answer rules (behaviour.c: per path before any path, counted
 * down and gone at zero, replaced, removed by "normal", bounds) and the record (record.c: one entry per webhook-id with
 * its attempts and duplicates, one per delivery without a usable id, the event type, answers and abandons, the bound,
 * reset). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "behaviour.h"
#include "record.h"

static void rules_by_path_then_any(void **state)
{
    (void)state;
    wh_rules_t rules = {0};
    assert_int_equal(wh_rules_set(&rules, NULL, WH_FAIL, 500, 0, 2), 0);
    assert_int_equal(wh_rules_set(&rules, "/slow", WH_SLOW, 0, 300, 0), 0);
    wh_rule_t r = wh_rules_take(&rules, "/slow", 5);
    assert_int_equal(r.action, WH_SLOW);
    assert_int_equal(r.delay_ms, 300);
    assert_int_equal(wh_rules_take(&rules, "/slow", 5).action, WH_SLOW); /* until changed */
    r = wh_rules_take(&rules, "/a", 2);
    assert_int_equal(r.action, WH_FAIL);
    assert_int_equal(r.status, 500);
    assert_int_equal(wh_rules_take(&rules, "/b", 2).action, WH_FAIL);
    assert_int_equal(wh_rules_take(&rules, "/b", 2).action, WH_NORMAL); /* the two are used */
    assert_int_equal(rules.n, 1);
    assert_int_equal(wh_rules_set(&rules, "/slow", WH_STALL, 0, 50, 1), 0); /* replaces */
    assert_int_equal(rules.n, 1);
    assert_int_equal(wh_rules_take(&rules, "/slow", 5).action, WH_STALL);
    assert_int_equal(rules.n, 0);
    assert_int_equal(wh_rules_set(&rules, "/x", WH_FAIL, 503, 0, 0), 0);
    assert_int_equal(wh_rules_set(&rules, "/x", WH_NORMAL, 0, 0, 0), 0);
    assert_int_equal(rules.n, 0);
    json_t *j = wh_rules_json(&rules);
    assert_int_equal(json_array_size(j), 0);
    json_decref(j);
}

static void rule_bounds(void **state)
{
    (void)state;
    wh_rules_t rules = {0};
    assert_int_equal(wh_rules_set(&rules, "nopath", WH_FAIL, 500, 0, 0), -1);
    assert_int_equal(wh_rules_set(&rules, "/", WH_FAIL, 200, 0, 0), -1);
    assert_int_equal(wh_rules_set(&rules, "/", WH_FAIL, 600, 0, 0), -1);
    assert_int_equal(wh_rules_set(&rules, "/", WH_STALL, 0, WH_DELAY_MAX_MS + 1, 0), -1);
    assert_int_equal(wh_rules_set(&rules, "/", WH_STALL, 0, 10, -1), -1);
    char path[WH_PATH_MAX + 2];
    memset(path, 'a', sizeof path);
    path[0] = '/';
    path[WH_PATH_MAX + 1] = '\0';
    assert_int_equal(wh_rules_set(&rules, path, WH_FAIL, 500, 0, 0), -1);
    for (int i = 0; i < WH_MAX_RULES; i++) {
        char p[16];
        snprintf(p, sizeof p, "/p%d", i);
        assert_int_equal(wh_rules_set(&rules, p, WH_FAIL, 500, 0, 0), 0);
    }
    assert_int_equal(wh_rules_set(&rules, "/one-more", WH_FAIL, 500, 0, 0), -1);
    json_t *j = wh_rules_json(&rules);
    assert_int_equal(json_array_size(j), WH_MAX_RULES);
    assert_string_equal(json_string_value(json_object_get(json_array_get(j, 0), "action")), "fail");
    assert_true(json_is_null(json_object_get(json_array_get(j, 0), "remaining")));
    json_decref(j);
    assert_int_equal(wh_action_parse("stall"), WH_STALL);
    assert_int_equal(wh_action_parse("Stall"), -1);
    assert_int_equal(wh_action_parse(NULL), -1);
}

static json_t *add(wh_record_t *r, const char *id, webhook_verdict_t v, const char *body)
{
    wh_attempt_t a = {.id = id, .id_len = id ? strlen(id) : 0, .timestamp = 1800000000, .path = "/hooks",
                      .body = body, .body_len = strlen(body), .verdict = v, .at_ms = 1800000000000};
    return wh_record_add(r, &a);
}

static void one_entry_per_id(void **state)
{
    (void)state;
    wh_record_t r;
    assert_int_equal(wh_record_init(&r), 0);
    json_t *e = add(&r, "msg_1", WEBHOOK_NO_MATCHING_SIGNATURE, "{\"type\":\"dossier.status_changed\"}");
    wh_record_answered(e, 401);
    assert_false(json_is_true(json_object_get(e, "verified")));
    add(&r, "msg_1", WEBHOOK_OK, "{\"type\":\"dossier.status_changed\"}");
    e = add(&r, "msg_1", WEBHOOK_OK, "{\"type\":\"dossier.status_changed\"}");
    wh_record_answered(e, 0);
    wh_record_answered(e, 204);
    add(&r, "msg_2", WEBHOOK_OK, "not json");
    add(&r, NULL, WEBHOOK_MISSING_ID, "{}");
    add(&r, "bad.id", WEBHOOK_BAD_ID, "{}");
    json_t *all = wh_record_json(&r, NULL);
    assert_int_equal(json_integer_value(json_object_get(all, "requests")), 6);
    assert_int_equal(json_integer_value(json_object_get(all, "verified")), 3);
    assert_int_equal(json_integer_value(json_object_get(all, "refused")), 3);
    assert_int_equal(json_integer_value(json_object_get(all, "duplicates")), 1);
    assert_int_equal(json_integer_value(json_object_get(all, "unique_ids")), 2);
    json_t *list = json_object_get(all, "deliveries");
    assert_int_equal(json_array_size(list), 4);
    json_t *first = json_array_get(list, 0);
    assert_string_equal(json_string_value(json_object_get(first, "id")), "msg_1");
    assert_int_equal(json_integer_value(json_object_get(first, "attempts")), 3);
    assert_int_equal(json_integer_value(json_object_get(first, "verified_attempts")), 2);
    assert_int_equal(json_integer_value(json_object_get(first, "abandoned")), 1);
    assert_int_equal(json_integer_value(json_object_get(first, "status")), 204);
    assert_string_equal(json_string_value(json_object_get(first, "type")), "dossier.status_changed");
    assert_string_equal(json_string_value(json_object_get(first, "reason")), "ok");
    assert_true(json_is_null(json_object_get(json_array_get(list, 1), "type")));
    assert_true(json_is_null(json_object_get(json_array_get(list, 2), "id")));
    assert_string_equal(json_string_value(json_object_get(json_array_get(list, 3), "reason")), "bad_id");
    json_decref(all);
    all = wh_record_json(&r, "msg_2");
    assert_int_equal(json_array_size(json_object_get(all, "deliveries")), 1);
    json_decref(all);
    wh_record_reset(&r);
    all = wh_record_json(&r, NULL);
    assert_int_equal(json_array_size(json_object_get(all, "deliveries")), 0);
    assert_int_equal(json_integer_value(json_object_get(all, "requests")), 0);
    json_decref(all);
    json_decref(r.entries);
    json_decref(r.by_id);
}

static void the_record_is_bounded(void **state)
{
    (void)state;
    wh_record_t r;
    assert_int_equal(wh_record_init(&r), 0);
    char id[32];
    for (int i = 0; i < WH_MAX_ENTRIES + 5; i++) {
        snprintf(id, sizeof id, "msg_%d", i);
        assert_non_null(add(&r, id, WEBHOOK_OK, "{}"));
    }
    assert_int_equal(json_array_size(r.entries), WH_MAX_ENTRIES);
    assert_int_equal(json_object_size(r.by_id), WH_MAX_ENTRIES);
    assert_null(json_object_get(r.by_id, "msg_4"));
    assert_non_null(json_object_get(r.by_id, "msg_5"));
    json_decref(r.entries);
    json_decref(r.by_id);
}

static void event_types(void **state)
{
    (void)state;
    char type[WH_TYPE_MAX + 1];
    assert_int_equal(wh_event_type("{\"type\":\"payment.succeeded\",\"data\":{}}", 38, type), 0);
    assert_string_equal(type, "payment.succeeded");
    assert_int_equal(wh_event_type("{\"type\":1}", 10, type), -1);
    assert_int_equal(wh_event_type("[]", 2, type), -1);
    assert_int_equal(wh_event_type("", 0, type), -1);
    assert_int_equal(wh_event_type("{\"type\":\"a\",\"type\":\"b\"}", 23, type), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(rules_by_path_then_any),
        cmocka_unit_test(rule_bounds),
        cmocka_unit_test(one_entry_per_id),
        cmocka_unit_test(the_record_is_bounded),
        cmocka_unit_test(event_types),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
