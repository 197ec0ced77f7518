/* Unit tests for the APNs adapter's pure parts: answers onto outcomes (push/delivery/apns_answer.c), the payload,
 * headers and refusals of a notification (apns_request.c), the options (apns_options.c) and the cached provider
 * token (apns_token.c: reused, single signature, dropped only when it is the current one). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "auth/auth.h"
#include "push/delivery/apns_answer.h"
#include "push/delivery/apns_options.h"
#include "push/delivery/apns_request.h"
#include "push/delivery/apns_token.h"

#define NOW_S 1790000000LL
#define DEVICE "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"

static push_result_t answer(int status, const char *body, const char *retry_after)
{
    push_result_t r;
    memset(&r, 0x5a, sizeof r);
    apns_answer_map(status, body, body != NULL ? strlen(body) : 0, retry_after, NOW_S, &r);
    return r;
}

static void answers_onto_outcomes(void **state)
{
    (void)state;
    push_result_t r = answer(200, "", NULL);
    assert_int_equal(r.outcome, PUSH_SENT);
    assert_int_equal(r.http_status, 200);
    assert_string_equal(r.reason, "");
    r = answer(410, "{\"reason\":\"Unregistered\",\"timestamp\":1790000000123}", NULL);
    assert_int_equal(r.outcome, PUSH_GONE);
    assert_int_equal(r.gone_at_ms, 1790000000123LL);
    assert_string_equal(r.reason, "Unregistered");
    r = answer(410, "{\"reason\":\"ExpiredToken\",\"timestamp\":1790000000999}", NULL);
    assert_int_equal(r.outcome, PUSH_GONE);
    assert_int_equal(r.gone_at_ms, 1790000000999LL);
    r = answer(400, "{\"reason\":\"BadDeviceToken\"}", NULL);
    assert_int_equal(r.outcome, PUSH_GONE);
    assert_int_equal(r.gone_at_ms, 0);
    const char *drops[][2] = {{"400", "DeviceTokenNotForTopic"}, {"400", "TopicDisallowed"}, {"400", "BadCollapseId"},
                              {"413", "PayloadTooLarge"}, {"400", "BadPriority"}, {"405", "MethodNotAllowed"},
                              {"404", "BadPath"}, {"403", "Forbidden"}};
    for (size_t i = 0; i < sizeof drops / sizeof drops[0]; i++) {
        char body[100];
        snprintf(body, sizeof body, "{\"reason\":\"%s\"}", drops[i][1]);
        r = answer(atoi(drops[i][0]), body, "30");
        assert_int_equal(r.outcome, PUSH_DROP);
        assert_string_equal(r.reason, drops[i][1]);
        assert_int_equal(r.retry_after_s, 0);
    }
    r = answer(429, "{\"reason\":\"TooManyRequests\"}", "7");
    assert_int_equal(r.outcome, PUSH_RETRY);
    assert_int_equal(r.retry_after_s, 7);
    r = answer(429, "{\"reason\":\"TooManyProviderTokenUpdates\"}", NULL);
    assert_int_equal(r.outcome, PUSH_RETRY);
    assert_int_equal(r.retry_after_s, 0);
    assert_string_equal(r.reason, "TooManyProviderTokenUpdates");
    r = answer(500, "{\"reason\":\"InternalServerError\"}", " 12\r\n");
    assert_int_equal(r.outcome, PUSH_RETRY);
    assert_int_equal(r.retry_after_s, 12);
    r = answer(503, "{\"reason\":\"ServiceUnavailable\"}", "Mon, 21 Sep 2026 14:13:40 GMT"); /* NOW_S + 20 */
    assert_int_equal(r.outcome, PUSH_RETRY);
    assert_int_equal(r.retry_after_s, 20);
    assert_int_equal(r.http_status, 503);
    r = answer(403, "{\"reason\":\"ExpiredProviderToken\"}", NULL);
    assert_int_equal(r.outcome, PUSH_RETRY);
    assert_true(apns_answer_token_refused(&r));
    r = answer(403, "{\"reason\":\"InvalidProviderToken\"}", NULL);
    assert_true(apns_answer_token_refused(&r));
    r = answer(403, "{\"reason\":\"MissingProviderToken\"}", NULL);
    assert_int_equal(r.outcome, PUSH_RETRY);
    assert_false(apns_answer_token_refused(&r));
    r = answer(502, "<html>not json</html>", NULL); /* a proxy's page: no reason */
    assert_int_equal(r.outcome, PUSH_RETRY);
    assert_string_equal(r.reason, "");
    r = answer(400, "{\"reason\":\"Bad Reason\\n with a very long text that does not fit the 64 bytes of reason\"}", NULL);
    assert_int_equal(r.outcome, PUSH_DROP);
    assert_int_equal(strlen(r.reason), PUSH_REASON_SIZE - 1);
    assert_null(strchr(r.reason, ' '));
    apns_answer_no_answer("timeout", &r);
    assert_int_equal(r.outcome, PUSH_RETRY);
    assert_int_equal(r.http_status, 0);
    assert_string_equal(r.reason, "timeout");
}

static void retry_after_values(void **state)
{
    (void)state;
    assert_int_equal(apns_retry_after_s(NULL, NOW_S), 0);
    assert_int_equal(apns_retry_after_s("", NOW_S), 0);
    assert_int_equal(apns_retry_after_s("-5", NOW_S), 0);
    assert_int_equal(apns_retry_after_s("soon", NOW_S), 0);
    assert_int_equal(apns_retry_after_s("999999999", NOW_S), 86400);
    assert_int_equal(apns_retry_after_s("Mon, 21 Sep 2026 14:12:20 GMT", NOW_S), 0); /* in the past */
}

static push_message_t message(void)
{
    return (push_message_t){.device_token = DEVICE, .title = "Hồ sơ", .body = "Đã tiếp nhận",
                            .data_json = "{\"event\":\"dossier.accepted\",\"id\":\"42\",\"aps\":\"x\"}",
                            .collapse_id = "dossier-42", .event_id = "123E4567-E89B-12D3-A456-426655440000",
                            .ttl_s = 3600, .high_priority = 1};
}

static void alert_payload_and_headers(void **state)
{
    (void)state;
    push_message_t m = message();
    apns_request_t req;
    push_result_t r;
    assert_int_equal(apns_request_build(&m, NOW_S, &req, &r), 0);
    json_t *p = json_loadb(req.payload, req.payload_len, 0, NULL);
    assert_non_null(p);
    assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(p, "aps"), "alert"),
                                                          "title")), "Hồ sơ");
    assert_string_equal(json_string_value(json_object_get(json_object_get(json_object_get(p, "aps"), "alert"),
                                                          "body")), "Đã tiếp nhận");
    assert_string_equal(json_string_value(json_object_get(json_object_get(p, "aps"), "sound")), "default");
    assert_string_equal(json_string_value(json_object_get(p, "event")), "dossier.accepted");
    assert_string_equal(json_string_value(json_object_get(p, "id")), "42");
    assert_true(json_is_object(json_object_get(p, "aps"))); /* the data's "aps" never replaces ours */
    json_decref(p);
    char *lines[APNS_HEADER_LINES + 1];
    assert_int_equal(apns_request_headers(&req, "vn.gov.hanoi.cong", "h.c.s", lines), 0);
    const char *want[] = {"authorization: bearer h.c.s", "apns-topic: vn.gov.hanoi.cong", "apns-push-type: alert",
                          "apns-priority: 10", "apns-expiration: 1790003600", "apns-collapse-id: dossier-42",
                          "apns-id: 123e4567-e89b-12d3-a456-426655440000", "content-type: application/json", NULL};
    for (int i = 0; want[i] != NULL; i++)
        assert_string_equal(lines[i], want[i]);
    assert_null(lines[8]);
    apns_headers_free(lines);
    apns_request_free(&req);

    m.high_priority = 0, m.ttl_s = 0, m.collapse_id = NULL, m.event_id = "evt-42", m.title = NULL;
    assert_int_equal(apns_request_build(&m, NOW_S, &req, &r), 0);
    assert_string_equal(req.push_type, "alert");
    assert_int_equal(req.priority, 5);
    assert_int_equal(req.expiration, 0);
    assert_string_equal(req.apns_id, "");
    assert_int_equal(apns_request_headers(&req, "t", "j", lines), 0);
    assert_string_equal(lines[4], "apns-expiration: 0");
    assert_string_equal(lines[5], "content-type: application/json"); /* no collapse id, no apns-id */
    apns_headers_free(lines);
    apns_request_free(&req);
}

static void background_payload(void **state)
{
    (void)state;
    push_message_t m = message();
    m.title = NULL, m.body = "", m.data_json = NULL; /* high priority asked, but background must be 5 */
    apns_request_t req;
    push_result_t r;
    assert_int_equal(apns_request_build(&m, NOW_S, &req, &r), 0);
    assert_string_equal(req.push_type, "background");
    assert_int_equal(req.priority, 5);
    assert_string_equal(req.payload, "{\"aps\":{\"content-available\":1}}");
    apns_request_free(&req);
}

static void refusals_before_sending(void **state)
{
    (void)state;
    push_message_t m = message();
    apns_request_t req;
    push_result_t r;
    char collapse[66];
    memset(collapse, 'c', 64), collapse[64] = '\0';
    m.collapse_id = collapse;
    assert_int_equal(apns_request_build(&m, NOW_S, &req, &r), 0); /* 64 bytes: fine */
    apns_request_free(&req);
    collapse[64] = 'c', collapse[65] = '\0';
    assert_int_equal(apns_request_build(&m, NOW_S, &req, &r), -1);
    assert_int_equal(r.outcome, PUSH_DROP);
    assert_string_equal(r.reason, "BadCollapseId");
    assert_null(req.payload);

    /* {"aps":{"alert":{"body":"xxx"},"sound":"default"}} is 47 bytes + the body's length */
    char big[4200];
    m = message(), m.title = NULL, m.data_json = NULL;
    memset(big, 'x', 4049), big[4049] = '\0';
    m.body = big;
    assert_int_equal(apns_request_build(&m, NOW_S, &req, &r), 0);
    assert_int_equal(req.payload_len, 4096);
    apns_request_free(&req);
    big[4049] = 'x', big[4050] = '\0';
    assert_int_equal(apns_request_build(&m, NOW_S, &req, &r), -1);
    assert_int_equal(r.outcome, PUSH_DROP);
    assert_string_equal(r.reason, "PayloadTooLarge");

    m = message(), m.data_json = "[1]";
    assert_int_equal(apns_request_build(&m, NOW_S, &req, &r), -1);
    assert_int_equal(r.outcome, PUSH_DROP);
    assert_string_equal(r.reason, "BadData");
    const char *bad_tokens[] = {"", "0123/../x", "abc def", NULL};
    for (int i = 0; bad_tokens[i] != NULL; i++) {
        m = message(), m.device_token = bad_tokens[i];
        assert_int_equal(apns_request_build(&m, NOW_S, &req, &r), -1);
        assert_int_equal(r.outcome, PUSH_GONE);
        assert_string_equal(r.reason, "BadDeviceToken");
    }
    assert_true(apns_is_uuid("123e4567-e89b-12d3-a456-426655440000"));
    assert_false(apns_is_uuid("123e4567e89b-12d3-a456-4266554400000"));
    assert_false(apns_is_uuid("123e4567-e89b-12d3-a456-42665544000g"));
}

static int parse(const char *const *options, char *err)
{
    apns_options_t o;
    return apns_options_parse(options, &o, err, 128);
}

static void options(void **state)
{
    (void)state;
    char err[128];
    apns_options_t o;
    const char *good[] = {"auth_key_file=/k.p8", "key_id=ABC123DEFG", "team_id=DEF123GHIJ", "topic=vn.gov.hanoi.cong",
                          NULL};
    assert_int_equal(apns_options_parse(good, &o, err, sizeof err), 0);
    assert_string_equal(o.endpoint, "https://api.push.apple.com");
    assert_int_equal(o.token_refresh_s, 3000);
    assert_int_equal(o.h2_prior_knowledge, 0);
    const char *missing[] = {"auth_key_file=/k.p8", "key_id=ABC123DEFG", "topic=t", NULL};
    assert_int_not_equal(parse(missing, err), 0);
    assert_string_equal(err, "missing option team_id");
    const char *unknown[] = {"auth_key_file=/k.p8", "secret_key=hunter2", NULL};
    assert_int_not_equal(parse(unknown, err), 0);
    assert_string_equal(err, "unknown option secret_key");
    const char *bad_values[][2] = {{"token_refresh_s=1199", "token_refresh_s"}, {"token_refresh_s=3601", "token_refresh_s"},
                                   {"h2_prior_knowledge=yes", "h2_prior_knowledge"}, {"key_id=a\"b", "key_id"},
                                   {"topic=a b", "topic"}, {"endpoint=ftp://x", "endpoint"},
                                   {"connect_timeout_ms=0", "connect_timeout_ms"}};
    for (size_t i = 0; i < sizeof bad_values / sizeof bad_values[0]; i++) {
        const char *opts[] = {"auth_key_file=/k.p8", "key_id=K", "team_id=T", "topic=t", bad_values[i][0], NULL};
        assert_int_not_equal(parse(opts, err), 0);
        assert_non_null(strstr(err, bad_values[i][1]));
        assert_null(strstr(err, strchr(bad_values[i][0], '=') + 1)); /* never the value */
    }
    const char *h2c_remote[] = {"auth_key_file=/k", "key_id=K", "team_id=T", "topic=t", "h2_prior_knowledge=1",
                                "endpoint=http://127.0.0.1.example.com:80", NULL};
    assert_int_not_equal(parse(h2c_remote, err), 0);
    assert_non_null(strstr(err, "endpoint"));
    const char *cleartext[] = {"auth_key_file=/k", "key_id=K", "team_id=T", "topic=t", "endpoint=http://127.0.0.1:9",
                               NULL};
    assert_int_not_equal(parse(cleartext, err), 0);
    const char *h2c[] = {"auth_key_file=/k", "key_id=K", "team_id=T", "topic=t", "h2_prior_knowledge=1",
                         "endpoint=http://127.0.0.1:8443/", "token_refresh_s=1200", NULL};
    assert_int_equal(apns_options_parse(h2c, &o, err, sizeof err), 0);
    assert_string_equal(o.endpoint, "http://127.0.0.1:8443");
    assert_int_equal(o.token_refresh_s, 1200);
}

static void *get_token(void *cache)
{
    char *jwt = NULL;
    return apns_token_get(cache, NOW_S, &jwt) == 0 ? jwt : NULL;
}

static void provider_token_cached(void **state)
{
    (void)state;
    cong_jwt_key_t *key = NULL;
    /* a fresh P-256 key through openssl's command line, as make-auth-key.sh makes it */
    char dir[] = "/tmp/apns-unit.XXXXXX", cmd[300], path[200];
    assert_non_null(mkdtemp(dir));
    snprintf(path, sizeof path, "%s/k.p8", dir);
    snprintf(cmd, sizeof cmd, "openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out %s 2>/dev/null", path);
    assert_int_equal(system(cmd), 0);
    assert_int_equal(cong_jwt_key_load_private_file(path, &key), 0);
    apns_token_cache_t c;
    assert_int_equal(apns_token_init(&c, key, "ABC123DEFG", "DEF123GHIJ", 1200), 0);
    char *a = NULL, *b = NULL, *d = NULL;
    assert_int_equal(apns_token_get(&c, NOW_S, &a), 0);
    assert_int_equal(apns_token_get(&c, NOW_S + 1199, &b), 0);
    assert_string_equal(a, b); /* reused: one signature */
    assert_int_equal(c.signatures, 1);
    apns_token_drop(&c, "some.older.token"); /* not the current one: kept */
    free(b);
    assert_int_equal(apns_token_get(&c, NOW_S + 1199, &b), 0);
    assert_string_equal(a, b);
    apns_token_drop(&c, a); /* refused by APNs: a new one next time */
    assert_int_equal(apns_token_get(&c, NOW_S + 1199, &d), 0);
    assert_string_not_equal(a, d);
    assert_int_equal(c.signatures, 2);
    free(b);
    assert_int_equal(apns_token_get(&c, NOW_S + 1199 + 1200, &b), 0); /* refresh_s after its iat */
    assert_string_not_equal(b, d);
    assert_int_equal(c.signatures, 3);
    /* header {alg ES256, kid}, claims {iss, iat} */
    char header[200], body[200];
    const char *dot = strchr(b, '.'), *dot2 = strchr(dot + 1, '.');
    long hl = cong_b64url_decode(b, (size_t)(dot - b), (unsigned char *)header);
    long bl = cong_b64url_decode(dot + 1, (size_t)(dot2 - dot - 1), (unsigned char *)body);
    header[hl] = body[bl] = '\0';
    json_t *h = json_loads(header, 0, NULL), *cl = json_loads(body, 0, NULL);
    assert_string_equal(json_string_value(json_object_get(h, "alg")), "ES256");
    assert_string_equal(json_string_value(json_object_get(h, "kid")), "ABC123DEFG");
    assert_string_equal(json_string_value(json_object_get(cl, "iss")), "DEF123GHIJ");
    assert_int_equal(json_integer_value(json_object_get(cl, "iat")), NOW_S + 2399);
    json_decref(h), json_decref(cl);
    free(a), free(b), free(d);
    apns_token_fini(&c);

    /* single flight: eight threads finding no token at once make one signature and all get that token */
    assert_int_equal(cong_jwt_key_load_private_file(path, &key), 0);
    assert_int_equal(apns_token_init(&c, key, "ABC123DEFG", "DEF123GHIJ", 3000), 0);
    pthread_t threads[8];
    char *got[8];
    for (int i = 0; i < 8; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, get_token, &c), 0);
    for (int i = 0; i < 8; i++)
        assert_int_equal(pthread_join(threads[i], (void **)&got[i]), 0);
    assert_int_equal(c.signatures, 1);
    for (int i = 0; i < 8; i++) {
        assert_non_null(got[i]);
        assert_string_equal(got[i], got[0]);
    }
    for (int i = 0; i < 8; i++)
        free(got[i]);
    apns_token_fini(&c);
    unlink(path), rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(answers_onto_outcomes),   cmocka_unit_test(retry_after_values),
        cmocka_unit_test(alert_payload_and_headers), cmocka_unit_test(background_payload),
        cmocka_unit_test(refusals_before_sending), cmocka_unit_test(options),
        cmocka_unit_test(provider_token_cached),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
