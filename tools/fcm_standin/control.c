/*
 * tools/fcm_standin/control.c — the tests' controls (the stand-in's own, no part of FCM), JSON in and out. With
 * --control-token-file every /control/ request needs "authorization: Bearer <token>" (http.c). README.md lists them.
 */
#include "grant_form.h"
#include "handlers.h"
#include "http.h"
#include "message.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define BEHAVIOUR_USAGE                                                                                                \
    "expected {\"token\"?: \"...\", \"mode\": \"normal|unregistered|quota_exceeded|unavailable|internal|"             \
    "sender_id_mismatch\", \"count\"?: 1.., \"retry_after_s\"?: 0..3600, \"delay_ms\"?: 0..600000}"

static int mode_index(const char *name)
{
    for (int i = 0; name && i < FCM_MODE_COUNT; i++)
        if (strcmp(name, fcm_mode_names[i]) == 0)
            return i;
    return -1;
}

/* An optional integer member within [min, max] (def when absent); -2 when present and bad. */
static long long member_int(json_t *body, const char *name, long long min, long long max, long long def)
{
    json_t *v = json_object_get(body, name);
    if (!v)
        return def;
    long long n = json_is_integer(v) ? json_integer_value(v) : min - 1;
    return n >= min && n <= max ? n : -2;
}

void fcm_serve_behaviour(fcm_app_t *app, h2o_req_t *req)
{
    json_t *body = json_loadb(req->entity.base, req->entity.len, 0, NULL);
    json_t *token = json_object_get(body, "token");
    int mode = mode_index(json_string_value(json_object_get(body, "mode")));
    long long count = member_int(body, "count", 1, 1000000000, -1);
    long long retry = member_int(body, "retry_after_s", 0, 3600, 1);
    long long delay = member_int(body, "delay_ms", 0, 600000, 0);
    const char *t = json_string_value(token);
    int ok = json_is_object(body) && mode >= 0 && count != -2 && retry >= 0 && delay >= 0 &&
             (!token || (t && t[0] && strlen(t) <= FCM_MAX_TOKEN_BYTES));
    fcm_rule_t rule = {.mode = (fcm_mode_t)mode, .remaining = count, .retry_after_s = (int)retry, .delay_ms = (int)delay};
    if (!ok) {
        json_decref(body);
        standin_reply_error(req, 400, BEHAVIOUR_USAGE);
        return;
    }
    if (fcm_rule_set(app, t, &rule) != 0) {
        json_decref(body);
        standin_reply_error(req, 409, "too many per-token behaviours (10000)");
        return;
    }
    fprintf(stderr, "fcm-standin: behaviour %s %s (%lld sends, delay %lld ms)\n", t ? "of a token" : "global",
            fcm_mode_names[mode], count, delay);
    json_t *answer = json_pack("{s:s, s:I, s:i, s:i}", "mode", fcm_mode_names[mode], "count", (json_int_t)count,
                               "retry_after_s", rule.retry_after_s, "delay_ms", rule.delay_ms);
    json_object_set_new(answer, "token", t ? json_string(t) : json_null());
    json_decref(body);
    standin_reply_json(req, 200, answer);
}

static json_t *record_json(const fcm_record_t *r)
{
    json_t *message = json_loads(r->message_json, 0, NULL);
    return json_pack("{s:s, s:s, s:o, s:I}", "name", r->name, fcm_target_name((fcm_target_kind_t)r->target_kind),
                     r->target, "message", message ? message : json_null(), "received_ms",
                     (json_int_t)r->received_ms);
}

void fcm_serve_messages(fcm_app_t *app, h2o_req_t *req)
{
    h2o_iovec_t q = standin_query(req);
    char *token = NULL;
    fcm_form_result_t r = fcm_form_get(q.base, q.len, "token", &token);
    if (r == FCM_FORM_BAD || r == FCM_FORM_NOMEM) {
        standin_reply_error(req, 400, "bad query: expected ?token=<device token> or nothing");
        return;
    }
    json_t *list = json_array();
    size_t first = (app->records_next + FCM_MESSAGES_MAX - app->records_count) % FCM_MESSAGES_MAX;
    for (size_t i = 0; list && i < app->records_count; i++) {
        const fcm_record_t *rec = &app->records[(first + i) % FCM_MESSAGES_MAX];
        if (!token || (rec->target_kind == FCM_TARGET_TOKEN && strcmp(rec->target, token) == 0))
            json_array_append_new(list, record_json(rec));
    }
    free(token);
    standin_reply_json(req, 200, list ? json_pack("{s:o}", "messages", list) : NULL);
}

void fcm_serve_stats(fcm_app_t *app, h2o_req_t *req)
{
    json_t *sends = json_object();
    for (int i = 0; sends && i < FCM_OUT_COUNT; i++)
        json_object_set_new(sends, fcm_outcome_names[i], json_integer((json_int_t)app->sends[i]));
    standin_reply_json(req, 200,
                       sends ? json_pack("{s:I, s:I, s:o, s:I}", "tokens_issued", (json_int_t)app->tokens_issued,
                                         "assertions_refused", (json_int_t)app->assertions_refused, "sends", sends,
                                         "messages_kept", (json_int_t)app->records_count)
                             : NULL);
}

void fcm_serve_reset(fcm_app_t *app, h2o_req_t *req)
{
    fcm_store_reset(app);
    fputs("fcm-standin: reset\n", stderr);
    standin_reply_json(req, 200, json_pack("{s:b}", "reset", 1));
}

void fcm_serve_expire_tokens(fcm_app_t *app, h2o_req_t *req)
{
    size_t n = fcm_token_expire_all(app, (int64_t)time(NULL));
    standin_reply_json(req, 200, json_pack("{s:I}", "expired", (json_int_t)n));
}

void fcm_serve_healthz(fcm_app_t *app, h2o_req_t *req)
{
    (void)app;
    standin_reply(req, 200, "text/plain", "ok\n", 3);
}
