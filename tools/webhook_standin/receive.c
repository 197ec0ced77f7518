/*
 * tools/webhook_standin/receive.c — a delivery: POST to any path but /control/ and /healthz. Verified exactly as the
 * Standard Webhooks specification says (push/webhook/signature.h: the three headers, the tolerance, any of the
 * receiver's secrets), recorded (record.h), then answered as the behaviour rules say (behaviour.h).
 *
 * Answers when no rule intervenes: 204 verified; 400 {"reason"} when the request is no well-formed webhook (a header
 * missing, repeated or malformed, no v1 signature); 401 {"reason"} when it is well formed but not authentic now (no
 * matching signature, too old, too new); 500 when the receiver cannot decide (OpenSSL failed).
 */
#include "http.h"

#include <stdio.h>
#include <string.h>

/* The one value of header `name`, or {NULL, 0} when absent; *repeated set when it came more than once. */
static webhook_header_t one_header(const h2o_req_t *req, const char *name, size_t name_len, int *repeated)
{
    ssize_t i = h2o_find_header_by_str(&req->headers, name, name_len, -1);
    if (i < 0)
        return (webhook_header_t){NULL, 0};
    if (h2o_find_header_by_str(&req->headers, name, name_len, i) >= 0)
        *repeated = 1;
    return (webhook_header_t){req->headers.entries[i].value.base, req->headers.entries[i].value.len};
}

static webhook_verdict_t verify(wh_app_t *app, const h2o_req_t *req, int64_t now_s, int64_t *timestamp)
{
    int id_twice = 0, ts_twice = 0, sig_twice = 0;
    webhook_headers_t h = {
        .id = one_header(req, H2O_STRLIT("webhook-id"), &id_twice),
        .timestamp = one_header(req, H2O_STRLIT("webhook-timestamp"), &ts_twice),
        .signature = one_header(req, H2O_STRLIT("webhook-signature"), &sig_twice),
    };
    webhook_verdict_t v = webhook_verify(&h, req->entity.base, req->entity.len, app->secrets, app->n_secrets, now_s,
                                         app->config.tolerance_s, timestamp);
    /* a repeated header is as good as a malformed one: which of the values was signed? */
    if (v == WEBHOOK_OK || v == WEBHOOK_TOO_OLD || v == WEBHOOK_TOO_NEW || v == WEBHOOK_NO_MATCHING_SIGNATURE) {
        if (id_twice)
            return WEBHOOK_BAD_ID;
        if (ts_twice)
            return WEBHOOK_BAD_TIMESTAMP;
        if (sig_twice)
            return WEBHOOK_MALFORMED_SIGNATURE;
    }
    return v;
}

static int status_of(webhook_verdict_t v)
{
    switch (v) {
    case WEBHOOK_OK: return 204;
    case WEBHOOK_TOO_OLD:
    case WEBHOOK_TOO_NEW:
    case WEBHOOK_NO_MATCHING_SIGNATURE: return 401;
    case WEBHOOK_NO_SECRET:
    case WEBHOOK_CRYPTO_FAILED: return 500;
    default: return 400;
    }
}

/* Answers as verification said: `arg` is the verdict. */
static void answer_verdict(wh_app_t *app, h2o_req_t *req, json_t *entry, int arg)
{
    (void)app;
    int status = status_of((webhook_verdict_t)arg);
    if (entry)
        wh_record_answered(entry, status);
    if (status == 204)
        standin_reply(req, 204, NULL, "", 0);
    else
        standin_reply_json(req, status, json_pack("{s:s}", "reason", webhook_verdict_name((webhook_verdict_t)arg)));
}

/* Answers `arg` as the status, whatever verification said (fail, and stall's end). */
static void answer_status(wh_app_t *app, h2o_req_t *req, json_t *entry, int arg)
{
    (void)app;
    if (entry)
        wh_record_answered(entry, arg);
    standin_reply_json(req, arg, json_pack("{s:s}", "error", arg == 503 ? "stalled" : "told to fail"));
}

void wh_serve_delivery(wh_app_t *app, h2o_req_t *req)
{
    int64_t now_ms = standin_now_ms(), timestamp = -1;
    webhook_verdict_t v = verify(app, req, now_ms / 1000, &timestamp);
    char path[WH_PATH_MAX + 1];
    size_t n = standin_path_length(req);
    n = n < WH_PATH_MAX ? n : WH_PATH_MAX;
    for (size_t i = 0; i < n; i++) /* printable, for the record and the log */
        path[i] = req->path.base[i] >= 0x20 && req->path.base[i] < 0x7f ? req->path.base[i] : '?';
    path[n] = '\0';
    webhook_header_t id = {NULL, 0};
    int repeated = 0;
    id = one_header(req, H2O_STRLIT("webhook-id"), &repeated);
    wh_attempt_t attempt = {.id = id.base, .id_len = id.len, .timestamp = timestamp, .path = path,
                            .body = req->entity.base, .body_len = req->entity.len, .verdict = v, .at_ms = now_ms};
    json_t *entry = wh_record_add(&app->record, &attempt);
    int id_ok = id.base && webhook_id_valid(id.base, id.len);
    fprintf(stderr, "webhook-standin: delivery %.*s to %s: %s\n", id_ok ? (int)id.len : 1, id_ok ? id.base : "-",
            path, webhook_verdict_name(v));
    wh_rule_t rule = wh_rules_take(&app->rules, req->path.base, standin_path_length(req));
    switch (rule.action) {
    case WH_FAIL: answer_status(app, req, entry, rule.status); break;
    case WH_STALL: wh_hold(app, req, rule.delay_ms, entry, 503, answer_status); break;
    case WH_SLOW: wh_hold(app, req, rule.delay_ms, entry, (int)v, answer_verdict); break;
    default: answer_verdict(app, req, entry, (int)v); break;
    }
}
