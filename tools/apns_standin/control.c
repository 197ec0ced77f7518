/*
 * tools/apns_standin/control.c — the tests' controls (the stand-in's own, no part of APNs), JSON in and out. With
 * --control-token-file every /control/ request needs "authorization: Bearer <token>" (http.c). README.md has the
 * contract.
 */
#include "http.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

static const char *fail_name(apns_reason_t r)
{
    return r == APNS_OK ? "none" : apns_reason_name(r);
}

static json_t *mode_json(const apns_mode_t *m)
{
    return json_pack("{s:s, s:I, s:i, s:i}", "fail", fail_name(m->fail), "count", (json_int_t)m->fail_count,
                     "delay_ms", m->delay_ms, "retry_after_s", m->retry_after_s);
}

/* The fail mode named `name`, or -1. */
static int parse_fail(const char *name)
{
    if (strcmp(name, "none") == 0)
        return APNS_OK;
    int r = apns_reason_parse(name);
    return r == APNS_TOO_MANY_REQUESTS || r == APNS_INTERNAL_SERVER_ERROR || r == APNS_SERVICE_UNAVAILABLE ? r : -1;
}

void apns_serve_mode(apns_app_t *app, h2o_req_t *req)
{
    json_t *body = json_loadb(req->entity.base, req->entity.len, JSON_REJECT_DUPLICATES, NULL);
    json_t *fail = json_object_get(body, "fail");
    int f = fail == NULL ? (int)app->mode.fail : json_is_string(fail) ? parse_fail(json_string_value(fail)) : -1;
    long long count = fail != NULL ? 0 : app->mode.fail_count, delay = app->mode.delay_ms;
    long long retry_after = app->mode.retry_after_s;
    int ok = json_is_object(body) && f >= 0 && standin_json_int_member(body, "count", 0, 1000000, &count) == 0 &&
             standin_json_int_member(body, "delay_ms", 0, APNS_DELAY_MAX_MS, &delay) == 0 &&
             standin_json_int_member(body, "retry_after_s", 0, 86400, &retry_after) == 0;
    json_decref(body);
    if (!ok) {
        standin_reply_error(req, 400,
                         "expected {\"fail\": \"none|TooManyRequests|InternalServerError|ServiceUnavailable\", "
                         "\"count\": 0..1000000 (0: every request), \"delay_ms\": 0..600000, "
                         "\"retry_after_s\": 0..86400}");
        return;
    }
    app->mode = (apns_mode_t){.fail = (apns_reason_t)f, .fail_count = (long)count, .delay_ms = (int)delay,
                              .retry_after_s = (int)retry_after};
    fprintf(stderr, "apns-standin: mode fail %s (count %ld), delay %d ms\n", fail_name(app->mode.fail),
            app->mode.fail_count, app->mode.delay_ms);
    standin_reply_json(req, 200, mode_json(&app->mode));
}

/* A device mark's reason named `name` ("none" clears), or -1. */
static int parse_mark(const char *name)
{
    if (strcmp(name, "none") == 0)
        return APNS_OK;
    int r = apns_reason_parse(name);
    return r == APNS_UNREGISTERED || r == APNS_EXPIRED_TOKEN || r == APNS_BAD_DEVICE_TOKEN ||
                   r == APNS_DEVICE_TOKEN_NOT_FOR_TOPIC
               ? r
               : -1;
}

void apns_serve_devices(apns_app_t *app, h2o_req_t *req)
{
    json_t *body = json_loadb(req->entity.base, req->entity.len, JSON_REJECT_DUPLICATES, NULL);
    const char *token = json_string_value(json_object_get(body, "device_token"));
    const char *reason = json_string_value(json_object_get(body, "reason"));
    long long timestamp = standin_now_ms();
    int mark = reason != NULL ? parse_mark(reason) : -1;
    int ok = token != NULL && apns_check_device_token(token, strlen(token)) == APNS_OK && mark >= 0 &&
             standin_json_int_member(body, "timestamp", 0, INT64_MAX, &timestamp) == 0;
    if (!ok) {
        json_decref(body);
        standin_reply_error(req, 400,
                         "expected {\"device_token\": hex, \"reason\": \"Unregistered|ExpiredToken|BadDeviceToken|"
                         "DeviceTokenNotForTopic|none\", \"timestamp\": ms (optional)}");
        return;
    }
    if (apns_store_mark(&app->store, token, strlen(token), (apns_reason_t)mark, timestamp) != 0) {
        json_decref(body);
        standin_reply_error(req, 503, "too many marked device tokens, or out of memory");
        return;
    }
    json_t *answer = json_pack("{s:s, s:s, s:I}", "device_token", token, "reason", reason, "timestamp",
                               (json_int_t)timestamp);
    json_decref(body);
    standin_reply_json(req, 200, answer);
}

/* The query's device_token=, or an empty iovec. */
static h2o_iovec_t device_token_filter(const h2o_req_t *req)
{
    h2o_iovec_t q = standin_query(req);
    static const char name[] = "device_token=";
    for (size_t i = 0; i + sizeof name - 1 <= q.len; i++) {
        if ((i == 0 || q.base[i - 1] == '&') && memcmp(q.base + i, name, sizeof name - 1) == 0) {
            const char *v = q.base + i + sizeof name - 1, *end = memchr(v, '&', q.len - (size_t)(v - q.base));
            return h2o_iovec_init(v, end ? (size_t)(end - v) : q.len - (size_t)(v - q.base));
        }
    }
    return h2o_iovec_init("", 0);
}

void apns_serve_notifications(apns_app_t *app, h2o_req_t *req)
{
    h2o_iovec_t filter = device_token_filter(req);
    json_t *list = json_array();
    size_t i;
    json_t *n;
    json_array_foreach(app->store.notifications, i, n)
    {
        const char *t = json_string_value(json_object_get(n, "device_token"));
        if (list && (filter.len == 0 || (t && strlen(t) == filter.len && strncasecmp(t, filter.base, filter.len) == 0)))
            json_array_append(list, n);
    }
    standin_reply_json(req, 200, list ? json_pack("{s:o}", "notifications", list) : NULL);
}

void apns_serve_stats(apns_app_t *app, h2o_req_t *req)
{
    const apns_store_t *s = &app->store;
    json_t *by_reason = json_object(), *by_status = json_object();
    for (int r = 0; by_reason && by_status && r < APNS_REASON_COUNT; r++) {
        if (s->by_reason[r] == 0)
            continue;
        char status[8];
        snprintf(status, sizeof status, "%d", apns_reason_status((apns_reason_t)r));
        json_object_set_new(by_reason, r == APNS_OK ? "Success" : apns_reason_name((apns_reason_t)r),
                            json_integer(s->by_reason[r]));
        json_int_t before = json_integer_value(json_object_get(by_status, status));
        json_object_set_new(by_status, status, json_integer(before + s->by_reason[r]));
    }
    standin_reply_json(req, 200,
                       json_pack("{s:I, s:I, s:I, s:o, s:o, s:I, s:I, s:i, s:o}", "requests", (json_int_t)s->requests,
                                 "accepted", (json_int_t)s->by_reason[APNS_OK], "token_updates",
                                 (json_int_t)s->token_updates, "by_reason", by_reason, "by_status", by_status,
                                 "notifications", (json_int_t)json_array_size(s->notifications), "marked_devices",
                                 (json_int_t)json_object_size(s->marks), "held", app->held, "mode",
                                 mode_json(&app->mode)));
}

void apns_serve_reset(apns_app_t *app, h2o_req_t *req)
{
    apns_store_reset(&app->store);
    app->mode = (apns_mode_t){.fail = APNS_OK};
    fputs("apns-standin: reset\n", stderr);
    standin_reply_json(req, 200, json_pack("{s:b}", "reset", 1));
}
