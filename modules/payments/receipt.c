/*
 * modules/payments/receipt.c — the electronic receipt of a fee paid: a small JSON document signed with cong's document
 * key (jws_sign on a request's thread for the IPN, job_jws_sign on the job thread for querydr), filed in the
 * applicant's wallet (wallet_documents kind 'receipt', media type application/jose) by payment_apply_result in the
 * transaction that applies the success. Verifiable like results, by anyone holding it:
 *
 *   POST /v1/receipts/verify   {"signature": "<JWS>"} → 200 {"valid": true, "receipt": {...}} or
 *                              {"valid": false, "reason": "bad-signature" | "unknown-receipt"}
 *
 * The signature must verify with one of cong's document keys (every key it ever signed with), be a cong receipt
 * (typ "cong-receipt") and be the one cong filed for that payment, still a success.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "payments.h"

char *payments_receipt_payload(const char *payment_id, const char *dossier_code, long long amount_vnd,
                               const char *provider, const payments_result_t *result, long long now)
{
    char paid[32], issued[32];
    payments_iso_time(result->paid_at > 0 ? result->paid_at : now, paid);
    payments_iso_time(now, issued);
    json_t *doc = json_pack("{s:s, s:s, s:s, s:I, s:s, s:s, s:s, s:s}", "typ", "cong-receipt", "payment", payment_id,
                            "dossier", dossier_code, "amount_vnd", (json_int_t)amount_vnd, "provider", provider,
                            "provider_txn", result->provider_txn, "paid_at", paid, "issued_at", issued);
    char *text = doc != NULL ? json_dumps(doc, JSON_COMPACT) : NULL;
    json_decref(doc);
    return text;
}

char *payments_receipt_json(const char *payload, const char *signature)
{
    json_t *o = json_pack("{s:s, s:s}", "payload", payload, "signature", signature);
    char *text = o != NULL ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return text;
}

static void reply_verdict(cong_req_t *req, const char *reason, json_t *doc)
{
    json_t *body = reason == NULL ? json_pack("{s:b, s:O}", "valid", 1, "receipt", doc)
                                  : json_pack("{s:b, s:s}", "valid", 0, "reason", reason);
    json_decref(doc);
    payments_api->reply_header(req, "cache-control", "no-store");
    payments_api->reply_json(req, 200, body);
}

static void on_payment(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    json_t *doc = udata;
    if (err != 0) {
        json_decref(doc);
        return payments_reply_store_error(req, err);
    }
    reply_verdict(req, payments_api->pg_ntuples(res) == 1 ? NULL : "unknown-receipt", doc);
}

static void verify(cong_req_t *req, void *udata)
{
    (void)udata;
    const cong_api_t *api = payments_api;
    json_t *body = api->req_json(req);
    const char *signature = json_string_value(json_object_get(body, "signature"));
    if (signature == NULL || signature[0] == '\0') {
        api->reply_problem(req, 422, "validation-failed", "Cần chữ ký (signature) của biên lai.",
                           "The receipt's signature is required.");
        return;
    }
    const char *payload = NULL;
    size_t payload_len = 0;
    int rc = api->jws_verify(req, signature, strlen(signature), &payload, &payload_len);
    if (rc == CONG_ENOTFOUND)
        return (void)api->reply_problem(req, 503, "service-unavailable", NULL, NULL);
    json_t *doc = rc == 0 ? json_loadb(payload, payload_len, JSON_REJECT_DUPLICATES, NULL) : NULL;
    const char *typ = json_string_value(json_object_get(doc, "typ"));
    const char *payment = json_string_value(json_object_get(doc, "payment"));
    if (doc == NULL || typ == NULL || strcmp(typ, "cong-receipt") != 0 || payment == NULL ||
        strlen(payment) != 36) {
        reply_verdict(req, "bad-signature", doc);
        return;
    }
    const char *params[] = {payment, signature};
    rc = api->pg_query(req,
                       "SELECT 1 FROM payments WHERE id = $1::uuid AND receipt_signature = $2 AND state = 'success'",
                       2, params, on_payment, doc);
    if (rc != 0) {
        json_decref(doc);
        payments_reply_store_error(req, rc);
    }
}

int payments_receipt_register(cong_module_ctx_t *ctx)
{
    const cong_route_def_t route = {.size = sizeof route, .method = "POST", .path = "/v1/receipts/verify",
                                    .handler = verify, .auth = CONG_AUTH_NONE, .rate_limit_class = "default",
                                    .operation_id = "verifyReceipt"};
    return payments_api->register_route(ctx, &route);
}
