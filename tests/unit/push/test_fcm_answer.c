/* Unit tests for push/delivery/fcm_answer.c: every FCM HTTP v1 answer provider.h names, mapped onto its outcome. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>

#include "push/delivery/fcm_answer.h"

#define FCM_TYPE "type.googleapis.com/google.firebase.fcm.v1.FcmError"

/* Google's error body: status, message, and an FcmError detail when code is not NULL. */
static push_result_t answer(int status, const char *google_status, const char *code, const char *message,
                            int retry_after_s)
{
    char body[1024];
    if (code != NULL)
        snprintf(body, sizeof body,
                 "{\"error\":{\"code\":%d,\"message\":\"%s\",\"status\":\"%s\",\"details\":[{\"@type\":\"" FCM_TYPE
                 "\",\"errorCode\":\"%s\"}]}}",
                 status, message, google_status, code);
    else
        snprintf(body, sizeof body, "{\"error\":{\"code\":%d,\"message\":\"%s\",\"status\":\"%s\"}}", status, message,
                 google_status);
    push_result_t r;
    fcm_answer_map(status, body, strlen(body), retry_after_s, &r);
    return r;
}

static void sent(void **state)
{
    (void)state;
    const char *ok = "{\"name\":\"projects/p/messages/0:1%abc\"}";
    push_result_t r;
    fcm_answer_map(200, ok, strlen(ok), -1, &r);
    assert_int_equal(r.outcome, PUSH_SENT);
    assert_int_equal(r.http_status, 200);
    assert_string_equal(r.reason, "");
    assert_int_equal(r.retry_after_s, 0);
}

static void unregistered_is_gone(void **state)
{
    (void)state;
    push_result_t r = answer(404, "NOT_FOUND", "UNREGISTERED", "Requested entity was not found.", -1);
    assert_int_equal(r.outcome, PUSH_GONE);
    assert_int_equal(r.http_status, 404);
    assert_string_equal(r.reason, "UNREGISTERED");
    /* A bare 404 (a wrong path, a proxy) deletes no device. */
    r = answer(404, "NOT_FOUND", NULL, "Not found", -1);
    assert_int_equal(r.outcome, PUSH_DROP);
    assert_string_equal(r.reason, "NOT_FOUND");
}

static void invalid_argument(void **state)
{
    (void)state;
    push_result_t r = answer(400, "INVALID_ARGUMENT", "INVALID_ARGUMENT",
                             "Message is too big: 5000 bytes of payload, at most 4096.", -1);
    assert_int_equal(r.outcome, PUSH_DROP);
    assert_string_equal(r.reason, "INVALID_ARGUMENT");
    r = answer(400, "INVALID_ARGUMENT", "INVALID_ARGUMENT",
               "The registration token is not a valid FCM registration token", -1);
    assert_int_equal(r.outcome, PUSH_GONE);
    assert_string_equal(r.reason, "INVALID_ARGUMENT");
    const char *field = "{\"error\":{\"code\":400,\"status\":\"INVALID_ARGUMENT\",\"details\":[{\"@type\":"
                        "\"type.googleapis.com/google.rpc.BadRequest\",\"fieldViolations\":[{\"field\":"
                        "\"message.token\",\"description\":\"Invalid registration token\"}]}]}}";
    fcm_answer_map(400, field, strlen(field), -1, &r);
    assert_int_equal(r.outcome, PUSH_GONE);
    const char *data_field = "{\"error\":{\"code\":400,\"status\":\"INVALID_ARGUMENT\",\"details\":[{\"@type\":"
                             "\"type.googleapis.com/google.rpc.BadRequest\",\"fieldViolations\":[{\"field\":"
                             "\"message.data[0].value\"}]}]}}";
    fcm_answer_map(400, data_field, strlen(data_field), -1, &r);
    assert_int_equal(r.outcome, PUSH_DROP);
}

static void sender_id_mismatch_is_dropped(void **state)
{
    (void)state;
    push_result_t r = answer(403, "PERMISSION_DENIED", "SENDER_ID_MISMATCH", "SenderId mismatch", -1);
    assert_int_equal(r.outcome, PUSH_DROP);
    assert_string_equal(r.reason, "SENDER_ID_MISMATCH");
    r = answer(403, "PERMISSION_DENIED", NULL, "Permission denied", -1);
    assert_int_equal(r.outcome, PUSH_DROP);
    assert_string_equal(r.reason, "PERMISSION_DENIED");
}

static void retried(void **state)
{
    (void)state;
    push_result_t r = answer(429, "RESOURCE_EXHAUSTED", "QUOTA_EXCEEDED", "Quota exceeded", 7);
    assert_int_equal(r.outcome, PUSH_RETRY);
    assert_int_equal(r.retry_after_s, 7);
    assert_string_equal(r.reason, "QUOTA_EXCEEDED");
    r = answer(503, "UNAVAILABLE", "UNAVAILABLE", "The service is unavailable", 3);
    assert_int_equal(r.outcome, PUSH_RETRY);
    assert_int_equal(r.retry_after_s, 3);
    assert_string_equal(r.reason, "UNAVAILABLE");
    r = answer(500, "INTERNAL", "INTERNAL", "Internal error", -1);
    assert_int_equal(r.outcome, PUSH_RETRY);
    assert_int_equal(r.retry_after_s, 0);
    assert_string_equal(r.reason, "INTERNAL");
    r = answer(401, "UNAUTHENTICATED", NULL, "Request had invalid authentication credentials.", -1);
    assert_int_equal(r.outcome, PUSH_RETRY);
    assert_string_equal(r.reason, "UNAUTHENTICATED");
}

static void no_json(void **state)
{
    (void)state;
    push_result_t r;
    fcm_answer_map(502, "<html>bad gateway</html>", 24, -1, &r);
    assert_int_equal(r.outcome, PUSH_RETRY);
    assert_string_equal(r.reason, "http 502");
    fcm_answer_map(418, NULL, 0, 5, &r);
    assert_int_equal(r.outcome, PUSH_DROP);
    assert_int_equal(r.retry_after_s, 0); /* only a retry carries one */
    assert_string_equal(r.reason, "http 418");
    fcm_answer_no_answer("timeout", &r);
    assert_int_equal(r.outcome, PUSH_RETRY);
    assert_int_equal(r.http_status, 0);
    assert_string_equal(r.reason, "timeout");
}

static void retry_after_values(void **state)
{
    (void)state;
    assert_int_equal(fcm_retry_after_parse(" 12\r\n", 5), 12);
    assert_int_equal(fcm_retry_after_parse("0", 1), 0);
    assert_int_equal(fcm_retry_after_parse("999999999", 9), 86400);
    assert_int_equal(fcm_retry_after_parse("Wed, 21 Oct 2015 07:28:00 GMT", 29), -1);
    assert_int_equal(fcm_retry_after_parse("-1", 2), -1);
    assert_int_equal(fcm_retry_after_parse(" \r\n", 3), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(sent),      cmocka_unit_test(unregistered_is_gone),         cmocka_unit_test(invalid_argument),
        cmocka_unit_test(retried),   cmocka_unit_test(sender_id_mismatch_is_dropped), cmocka_unit_test(no_json),
        cmocka_unit_test(retry_after_values),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
