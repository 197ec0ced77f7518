/*
 * tools/payment_standin/control.c — the tests' controls (the stand-in's own, no part of VNPay), JSON in and out. With
 * --control-token-file every /control/ request needs "authorization: Bearer <token>" (http.c).
 *
 *   POST /control/mode          {"ipn": "normal"|"none"|"duplicate"|"late"|"bad_hash"|"wrong_amount",
 *                                "late_ms": 0..600000, "api": "normal"|"fail"|"timeout"} (each member optional; what
 *                                is absent stays) → 200 {"ipn","late_ms","api"}. Applies to what happens afterwards.
 *   POST /control/pay           {"txn_ref", "choice": "pay"|"cancel"} → 200 {"return_url": the URL the browser would
 *                                be sent to}; 404 when no payment URL with that TxnRef was accepted, 409 when chosen
 *                                already. The latest payment of that TxnRef.
 *   POST /control/ipn/resend    {"txn_ref"} → 202 {"txn_ref"}: the IPN again, as the current mode says; 404, 409 as
 *                                above (no choice yet).
 *   GET  /control/ipn-log[?txn_ref=R] → 200 [ {time, txn_ref, delivery, attempt, mode, http_status (0: no answer),
 *                                rsp_code, message, error, done} ], oldest first.
 *   GET  /control/transactions  → 200 {"payments": [...], "refunds": [...]} (amounts x 100, as vnp_Amount).
 *   GET  /healthz               → 200 ok
 */
#include "handlers.h"
#include "http.h"
#include "ipn.h"
#include "settle.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const api_mode_names[] = {"normal", "fail", "timeout"};

static int index_of(const char *name, const char *const *names, int n)
{
    for (int i = 0; name && i < n; i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    return -1;
}

void pay_serve_mode(pay_app_t *app, h2o_req_t *req)
{
    json_t *body = json_loadb(req->entity.base, req->entity.len, 0, NULL);
    json_t *ipn = json_object_get(body, "ipn"), *api = json_object_get(body, "api"),
           *late = json_object_get(body, "late_ms");
    int ipn_mode = ipn ? index_of(json_string_value(ipn), pay_ipn_mode_names, 6) : (int)app->ipn_mode;
    int api_mode = api ? index_of(json_string_value(api), api_mode_names, 3) : (int)app->api_mode;
    json_int_t late_ms = late ? json_integer_value(late) : app->late_ms;
    int late_ok = !late || (json_is_integer(late) && late_ms >= 0 && late_ms <= 600000);
    int ok = json_is_object(body) && ipn_mode >= 0 && api_mode >= 0 && late_ok;
    json_decref(body);
    if (!ok) {
        standin_reply_error(req, 400,
                        "expected {\"ipn\":\"normal|none|duplicate|late|bad_hash|wrong_amount\", "
                        "\"late_ms\":0..600000, \"api\":\"normal|fail|timeout\"}");
        return;
    }
    app->ipn_mode = (pay_ipn_mode_t)ipn_mode;
    app->api_mode = (pay_api_mode_t)api_mode;
    app->late_ms = (int)late_ms;
    fprintf(stderr, "payment-standin: mode ipn %s (late %d ms), api %s\n", pay_ipn_mode_names[ipn_mode], app->late_ms,
            api_mode_names[api_mode]);
    standin_reply_json(req, 200,
                       json_pack("{s:s, s:i, s:s}", "ipn", pay_ipn_mode_names[ipn_mode], "late_ms", app->late_ms, "api",
                                 api_mode_names[api_mode]));
}

/* The payment named by the body's "txn_ref" (the latest with it), or NULL after replying 400/404. */
static pay_txn_t *named_txn(pay_app_t *app, h2o_req_t *req, json_t *body)
{
    const char *ref = json_string_value(json_object_get(body, "txn_ref"));
    if (!ref) {
        standin_reply_error(req, 400, "expected {\"txn_ref\": \"...\"}");
        return NULL;
    }
    pay_txn_t *t = pay_store_find_latest(&app->store, ref);
    if (!t)
        standin_reply_error(req, 404, "no payment URL with this txn_ref was accepted");
    return t;
}

void pay_serve_control_pay(pay_app_t *app, h2o_req_t *req)
{
    json_t *body = json_loadb(req->entity.base, req->entity.len, 0, NULL);
    const char *choice = json_string_value(json_object_get(body, "choice"));
    int pay = choice && strcmp(choice, "pay") == 0, cancel = choice && strcmp(choice, "cancel") == 0;
    if (!pay && !cancel) {
        json_decref(body);
        standin_reply_error(req, 400, "expected {\"txn_ref\": \"...\", \"choice\": \"pay\"|\"cancel\"}");
        return;
    }
    pay_txn_t *t = named_txn(app, req, body);
    json_decref(body);
    if (!t)
        return;
    if (t->status != PAY_PENDING) {
        standin_reply_error(req, 409, "this payment has been chosen already");
        return;
    }
    char *location = pay_settle(app, t, pay);
    if (!location) {
        standin_reply_error(req, 503, "out of memory");
        return;
    }
    standin_reply_json(req, 200, json_pack("{s:s}", "return_url", location));
    free(location);
}

void pay_serve_ipn_resend(pay_app_t *app, h2o_req_t *req)
{
    json_t *body = json_loadb(req->entity.base, req->entity.len, 0, NULL);
    pay_txn_t *t = named_txn(app, req, body);
    json_decref(body);
    if (!t)
        return;
    if (t->status == PAY_PENDING) {
        standin_reply_error(req, 409, "this payment has no choice yet: there is no IPN to resend");
        return;
    }
    if (pay_send_ipn(app, t) != 0) {
        standin_reply_error(req, 503, "the IPN could not be started");
        return;
    }
    standin_reply_json(req, 202, json_pack("{s:s}", "txn_ref", t->txn_ref));
}

void pay_serve_ipn_log(pay_app_t *app, h2o_req_t *req)
{
    (void)app;
    h2o_iovec_t q = standin_query(req);
    vnp_params_t params;
    if (vnp_params_parse(q.base, q.len, &params) != VNP_PARSE_OK) {
        vnp_params_free(&params);
        standin_reply_error(req, 400, "bad query");
        return;
    }
    json_t *log = pay_ipn_log(vnp_params_get(&params, "txn_ref"));
    vnp_params_free(&params);
    standin_reply_json(req, 200, log);
}

static json_t *payment_json(const pay_txn_t *t)
{
    return json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:I, s:I}", "txn_ref", t->txn_ref,
                     "create_date", t->create_date, "expire_date", t->expire_date, "amount", (json_int_t)t->amount,
                     "order_info", t->order_info, "return_url", t->return_url, "status", pay_status_code(t->status),
                     "response_code", t->response_code, "transaction_no", t->transaction_no, "bank_tran_no",
                     t->bank_tran_no, "pay_date", t->pay_date, "refunded", (json_int_t)t->refunded, "remaining",
                     (json_int_t)(t->status == PAY_PAID ? t->amount - t->refunded : 0));
}

void pay_serve_transactions(pay_app_t *app, h2o_req_t *req)
{
    json_t *payments = json_array(), *refunds = json_array();
    const pay_store_t *s = &app->store;
    for (size_t i = 0; payments && i < s->count; i++)
        json_array_append_new(payments, payment_json(s->txns[i]));
    for (size_t i = 0; refunds && i < s->refund_count; i++) {
        const pay_refund_t *r = s->refunds[i];
        json_array_append_new(refunds,
                              json_pack("{s:s, s:s, s:s, s:I, s:s, s:s}", "txn_ref", r->txn->txn_ref, "transaction_no",
                                        r->transaction_no, "transaction_type", r->type, "amount", (json_int_t)r->amount,
                                        "date", r->date, "create_by", r->create_by));
    }
    standin_reply_json(req, 200, json_pack("{s:o, s:o}", "payments", payments, "refunds", refunds));
}

void pay_serve_healthz(pay_app_t *app, h2o_req_t *req)
{
    (void)app;
    standin_reply(req, 200, "text/plain", "ok\n", 3);
}
