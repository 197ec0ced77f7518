/*
 * tools/webhook_standin/control.c — the tests' controls (the stand-in's own), JSON in and out. With
 * --control-token-file every /control/ request needs "authorization: Bearer <token>" (http.c). README.md has the
 * contract.
 */
#include "http.h"

#include <stdio.h>
#include <string.h>

/* The query's id= (up to WEBHOOK_ID_MAX bytes), copied into out; 1 when present. Compared raw, not percent-decoded:
 * the tests' ids are [A-Za-z0-9_-]. */
static int id_filter(const h2o_req_t *req, char out[WEBHOOK_ID_MAX + 1])
{
    h2o_iovec_t q = standin_query(req);
    for (size_t i = 0; i + 3 <= q.len; i++) {
        if ((i == 0 || q.base[i - 1] == '&') && memcmp(q.base + i, "id=", 3) == 0) {
            const char *v = q.base + i + 3, *end = memchr(v, '&', q.len - (size_t)(v - q.base));
            size_t n = end ? (size_t)(end - v) : q.len - (size_t)(v - q.base);
            n = n < WEBHOOK_ID_MAX ? n : WEBHOOK_ID_MAX;
            memcpy(out, v, n);
            out[n] = '\0';
            return 1;
        }
    }
    return 0;
}

void wh_serve_deliveries(wh_app_t *app, h2o_req_t *req)
{
    char id[WEBHOOK_ID_MAX + 1];
    json_t *answer = wh_record_json(&app->record, id_filter(req, id) ? id : NULL);
    if (answer)
        json_object_set_new(answer, "held", json_integer(app->held));
    standin_reply_json(req, 200, answer);
}

static void reply_rules(wh_app_t *app, h2o_req_t *req)
{
    json_t *rules = wh_rules_json(&app->rules);
    standin_reply_json(req, 200, rules ? json_pack("{s:o}", "behaviours", rules) : NULL);
}

void wh_serve_behaviour(wh_app_t *app, h2o_req_t *req)
{
    if (standin_method_is(req, "GET")) {
        reply_rules(app, req);
        return;
    }
    json_t *body = json_loadb(req->entity.base, req->entity.len, JSON_REJECT_DUPLICATES, NULL);
    json_t *path = json_object_get(body, "path");
    int action = wh_action_parse(json_string_value(json_object_get(body, "action")));
    long long status = 500, delay = 0, count = 0;
    int ok = json_is_object(body) && action >= 0 && (path == NULL || json_is_string(path)) &&
             standin_json_int_member(body, "status", 400, 599, &status) == 0 &&
             standin_json_int_member(body, "delay_ms", 0, WH_DELAY_MAX_MS, &delay) == 0 &&
             standin_json_int_member(body, "count", 0, 1000000, &count) == 0 &&
             wh_rules_set(&app->rules, json_string_value(path), (wh_action_t)action, (int)status, (int)delay,
                          (long)count) == 0;
    if (ok)
        fprintf(stderr, "webhook-standin: behaviour %s for %s (%lld deliveries, 0: until changed)\n",
                wh_action_name((wh_action_t)action), path ? json_string_value(path) : "any path", count);
    json_decref(body);
    if (!ok) {
        standin_reply_error(req, 400,
                       "expected {\"action\": \"normal|fail|stall|slow\", \"status\": 400..599 (fail), \"delay_ms\": "
                       "0..600000 (stall, slow), \"count\": 0..1000000 (0: until changed), \"path\": \"/...\" "
                       "(absent: any path)}, and at most 16 rules");
        return;
    }
    reply_rules(app, req);
}

void wh_serve_reset(wh_app_t *app, h2o_req_t *req)
{
    wh_record_reset(&app->record);
    app->rules.n = 0;
    fputs("webhook-standin: reset\n", stderr);
    standin_reply_json(req, 200, json_pack("{s:b}", "reset", 1));
}

void wh_serve_reload_secrets(wh_app_t *app, h2o_req_t *req)
{
    int n = wh_load_secrets(app);
    if (n < 0) {
        standin_reply_error(req, 422, "the secret file is unreadable or not 1 to 4 lines of whsec_<base64>: secrets kept");
        return;
    }
    fprintf(stderr, "webhook-standin: %d secret(s) loaded\n", n);
    standin_reply_json(req, 200, json_pack("{s:i}", "secrets", n));
}
