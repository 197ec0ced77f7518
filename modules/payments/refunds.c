/*
 * modules/payments/refunds.c — refunds, GOV.UK Pay's model over a VNPay-protocol provider.
 *
 *   POST /v1/payments/{id}/refunds  {amount_vnd, refund_amount_available, reason} + Idempotency-Key
 *   GET  /v1/payments/{id}/refunds  the payment's refunds and what is still refundable
 *
 * Who: an official of the dossier's unit refunds (user_roles, the desk's rule: not an official of any unit 403, of
 * another unit 404); nobody refunds acting for someone else. The payer, the subject and the unit's officials read (an
 * official's reading is an audit record, 'payment.refund_list'); the subject may be an organization, whose client has
 * no level: the list is registered with min_loa 0 and payments_payer_allowed decides first (a citizen: level 1).
 *
 * How: refund_reserve (0003) checks and reserves the amount under the payment's row lock, with the audit record
 * 'payment.refund_requested', and commits; THEN the provider is asked (provider.h refund_request, POST to the merchant
 * API within api_timeout_ms); THEN refund_finish records its answer (success: 'payment.refunded', a push to the payer;
 * refused: 'payment.refund_failed', the amount refundable again) and the client gets 201 with the refund. When the
 * provider does not answer in time (or answers what cannot be trusted), the refund stays 'submitted', the client gets
 * 202, and refund_retry.c's job asks again. refund_amount_available must equal what is refundable now (412), the
 * amount may not exceed it (422), the payment must be paid (409): two concurrent refunds can never exceed the payment.
 * A full refund (the whole remaining amount) is VNPay's type 02, a partial one 03.
 */
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "payments.h"
#include "provider.h"

#define IDEMPOTENCY_KEY_MAX 255
#define REASON_MAX_BYTES 500
#define AMOUNT_MAX_VND 9000000000000LL

/* ---- shared with refund_retry.c ---- */

const payments_provider_t *payments_refund_provider(const char *name)
{
    const payments_provider_t *p = payments_provider_find(name);
    return p != NULL && p->refund_request != NULL && p->refund_answer != NULL ? p : NULL;
}

const char *payments_refund_outcome(int answer_rc)
{
    switch (answer_rc) {
    case 0:
        return "success";
    case CONG_ESTATE:
        return "failed";
    case CONG_EPERM:
        return "unverified";
    default: /* no answer, a malformed one, "try later": ask again later */
        return NULL;
    }
}

int payments_refund_request_body(const cong_pg_result_t *res, int row, int col, const payments_provider_t **provider,
                                 char **body)
{
    const cong_api_t *api = payments_api;
    *body = NULL;
    *provider = payments_refund_provider(api->pg_value(res, row, col));
    if (*provider == NULL)
        return CONG_ENOTFOUND;
    char reason[80];
    snprintf(reason, sizeof reason, "Hoan tien ho so %s", api->pg_value(res, row, col + 8));
    payments_refund_ask_t ask = {
        .request_id = api->pg_value(res, row, col + 1),
        .txn_ref = api->pg_value(res, row, col + 2),
        .provider_txn = api->pg_is_null(res, row, col + 3) ? NULL : api->pg_value(res, row, col + 3),
        .paid_created_at = atoll(api->pg_value(res, row, col + 4)),
        .amount_vnd = atoll(api->pg_value(res, row, col + 5)),
        .full = api->pg_value(res, row, col + 6)[0] == 't',
        .created_by = api->pg_value(res, row, col + 7),
        /* VNPay asks for the address of the server calling its API, which cong does not know of itself */
        .client_ip = "127.0.0.1",
        .reason = reason,
        .now = (long long)time(NULL),
    };
    return (*provider)->refund_request(&ask, body);
}

void payments_refund_http_def(cong_http_request_t *def, const char *body)
{
    static const char *const headers[] = {"content-type: application/json", "accept: application/json", NULL};
    *def = (cong_http_request_t){
        .size = sizeof *def,
        .method = "POST",
        .url = payments_config.vnpay_api_url,
        .headers = headers,
        .body = body,
        .body_len = strlen(body),
        .timeout_ms = payments_config.api_timeout_ms,
        .max_response_bytes = 65536,
        .ca_file = payments_config.api_ca_file[0] != '\0' ? payments_config.api_ca_file : NULL,
    };
}

/* ---- POST /v1/payments/{id}/refunds ---- */

typedef struct refund_call {
    const payments_provider_t *provider;
    const char *refund_id;
    const char *submitted; /* the refund as reserved: the 202 answer when the provider does not answer */
} refund_call_t;

static int looks_like_uuid(const char *s)
{
    if (s == NULL || strlen(s) != 36)
        return 0;
    for (int i = 0; i < 36; i++) {
        int dash = i == 8 || i == 13 || i == 18 || i == 23;
        char c = s[i];
        if (dash ? c != '-' : !((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
            return 0;
    }
    return 1;
}

static void reply_submitted(cong_req_t *req, refund_call_t *call)
{
    payments_reply_outcome(req, "202", call->submitted);
}

static void on_finished(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    const cong_api_t *api = payments_api;
    if (err != 0 || api->pg_ntuples(res) != 1) {
        /* the provider answered but PostgreSQL did not take it: the refund stays submitted, the job asks again */
        api->log(CONG_LOG_WARN, PAYMENTS_MODULE, "refund %s: answer not recorded (%s); left to the retry job",
                 ((refund_call_t *)udata)->refund_id, api->strerror(err != 0 ? err : CONG_EIO));
        return reply_submitted(req, udata);
    }
    payments_reply_outcome(req, api->pg_value(res, 0, 0), api->pg_value(res, 0, 1));
}

static void on_provider(cong_req_t *req, int err, const cong_http_response_t *res, void *udata)
{
    const cong_api_t *api = payments_api;
    refund_call_t *call = udata;
    int status = err == 0 ? api->http_response_status(res) : 0;
    const char *outcome = NULL;
    char provider_txn[41] = "", code[8] = "";
    if (err == 0 && status >= 200 && status < 300) {
        size_t len = 0;
        const char *body = api->http_response_body(res, &len);
        outcome = payments_refund_outcome(call->provider->refund_answer(body, len, provider_txn, code));
    }
    if (outcome == NULL) {
        api->log(CONG_LOG_WARN, PAYMENTS_MODULE, "refund %s: no usable answer from the provider (%s, HTTP %d)",
                 call->refund_id, err != 0 ? api->strerror(err) : "answered", status);
        return reply_submitted(req, call);
    }
    const cong_principal_t *who = api->req_principal(req);
    const char *params[] = {call->refund_id, outcome, provider_txn[0] ? provider_txn : NULL, code[0] ? code : NULL,
                            who->subject, api->req_id(req)};
    if (api->pg_query(req,
                      "SELECT http_status, body FROM refund_finish($1::uuid, $2, $3, $4, $5, 'official', $6)", 6,
                      params, on_finished, call) != 0)
        reply_submitted(req, call);
}

static void on_reserved(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    (void)udata;
    const cong_api_t *api = payments_api;
    if (err != 0 || api->pg_ntuples(res) != 1)
        return payments_reply_store_error(req, err != 0 ? err : CONG_EIO);
    const char *status = api->pg_value(res, 0, 0), *body = api->pg_value(res, 0, 1);
    if (api->pg_value(res, 0, 2)[0] == 't')
        api->reply_header(req, "idempotent-replayed", "true");
    if (strcmp(status, "202") != 0 || api->pg_value(res, 0, 2)[0] == 't')
        return payments_reply_outcome(req, status, body);
    refund_call_t *call = api->req_alloc(req, sizeof *call);
    json_t *refund = json_loads(body, 0, NULL);
    const char *id = json_string_value(json_object_get(refund, "id"));
    if (call != NULL && id != NULL) {
        call->refund_id = payments_strdup(req, id);
        call->submitted = payments_strdup(req, body);
    }
    json_decref(refund);
    if (call == NULL || call->refund_id == NULL || call->submitted == NULL)
        return (void)api->reply_problem(req, 500, "internal-error", NULL, NULL);
    char *request = NULL;
    if (payments_refund_request_body(res, 0, 3, &call->provider, &request) != 0) {
        api->log(CONG_LOG_ERROR, PAYMENTS_MODULE, "refund %s: no request could be made for its provider",
                 call->refund_id);
        return reply_submitted(req, call);
    }
    cong_http_request_t def;
    payments_refund_http_def(&def, request);
    int rc = api->http_request(req, &def, on_provider, call);
    free(request); /* copied by http_request */
    if (rc != 0)
        reply_submitted(req, call);
}

static void reserve(cong_req_t *req, const char *payment_id, const char *key, json_t *body)
{
    const cong_api_t *api = payments_api;
    char amount[24], available[24], hash_hex[65];
    snprintf(amount, sizeof amount, "%" JSON_INTEGER_FORMAT, json_integer_value(json_object_get(body, "amount_vnd")));
    snprintf(available, sizeof available, "%" JSON_INTEGER_FORMAT,
             json_integer_value(json_object_get(body, "refund_amount_available")));
    const char *reason = json_string_value(json_object_get(body, "reason"));
    /* the request as the key stands for it: the payment and the three fields */
    json_t *canonical = json_pack("{s:s, s:s, s:s, s:s}", "payment_id", payment_id, "amount_vnd", amount,
                                  "refund_amount_available", available, "reason", reason);
    char *text = canonical != NULL ? json_dumps(canonical, JSON_COMPACT | JSON_SORT_KEYS) : NULL;
    json_decref(canonical);
    unsigned char digest[32];
    unsigned int digest_len = 0;
    int ok = text != NULL && EVP_Digest(text, strlen(text), digest, &digest_len, EVP_sha256(), NULL) == 1;
    free(text);
    if (!ok)
        return (void)api->reply_problem(req, 500, "internal-error", NULL, NULL);
    for (int i = 0; i < 32; i++)
        snprintf(hash_hex + 2 * i, 3, "%02x", digest[i]);
    const char *params[] = {payment_id, api->req_principal(req)->subject, key, hash_hex, amount, available, reason,
                            api->req_id(req)};
    payments_query(req,
                   "SELECT http_status, body, replayed, provider, request_id, txn_ref, provider_txn, paid_created_at, "
                   "amount_vnd, full_refund, requested_by, dossier_code FROM refund_reserve($1::uuid, $2, $3, $4, "
                   "$5::bigint, $6::bigint, $7, $8)",
                   8, params, on_reserved, NULL);
}

/* The body's field errors ([{field, code}], new reference). */
static json_t *body_errors(const json_t *body)
{
    json_t *errors = json_array();
    const json_t *amount = json_object_get(body, "amount_vnd");
    const json_t *available = json_object_get(body, "refund_amount_available");
    const json_t *reason = json_object_get(body, "reason");
    if (amount == NULL)
        json_array_append_new(errors, json_pack("{s:s, s:s}", "field", "amount_vnd", "code", "required"));
    else if (!json_is_integer(amount) || json_integer_value(amount) < 1 || json_integer_value(amount) > AMOUNT_MAX_VND)
        json_array_append_new(errors, json_pack("{s:s, s:s}", "field", "amount_vnd", "code", "invalid"));
    if (available == NULL)
        json_array_append_new(errors,
                              json_pack("{s:s, s:s}", "field", "refund_amount_available", "code", "required"));
    else if (!json_is_integer(available) || json_integer_value(available) < 0 ||
             json_integer_value(available) > AMOUNT_MAX_VND)
        json_array_append_new(errors, json_pack("{s:s, s:s}", "field", "refund_amount_available", "code", "invalid"));
    if (reason == NULL)
        json_array_append_new(errors, json_pack("{s:s, s:s}", "field", "reason", "code", "required"));
    else if (!json_is_string(reason) || json_string_length(reason) == 0 ||
             json_string_length(reason) > REASON_MAX_BYTES ||
             strlen(json_string_value(reason)) != json_string_length(reason)) /* no NUL inside */
        json_array_append_new(errors, json_pack("{s:s, s:s}", "field", "reason", "code", "invalid"));
    return errors;
}

static void create(cong_req_t *req, void *udata)
{
    (void)udata;
    const cong_api_t *api = payments_api;
    size_t key_len = 0, id_len = 0;
    const char *key = api->req_header(req, "idempotency-key", &key_len);
    int key_ok = key != NULL && key_len > 0 && key_len <= IDEMPOTENCY_KEY_MAX;
    for (size_t i = 0; key_ok && i < key_len; i++)
        key_ok = key[i] >= 0x21 && key[i] <= 0x7e;
    if (!key_ok)
        return (void)api->reply_problem(req, 400, "idempotency-key-required",
                                        "Cần tiêu đề Idempotency-Key (1–255 ký tự ASCII in được) để hoàn tiền an "
                                        "toàn khi gửi lại.",
                                        "An Idempotency-Key header (1-255 printable ASCII characters) is required, so "
                                        "that a retried request never refunds twice.");
    const char *id = api->req_path_param(req, "id", &id_len);
    if (!looks_like_uuid(id))
        return (void)api->reply_problem(req, 404, "not-found", NULL, NULL);
    json_t *body = api->req_json(req);
    if (!json_is_object(body))
        return (void)api->reply_problem(req, 400, "invalid-json", NULL, NULL);
    json_t *errors = body_errors(body);
    if (json_array_size(errors) > 0)
        return (void)api->reply_problem_ext(req, 422, "validation-failed", "Yêu cầu hoàn tiền không hợp lệ.",
                                            "The refund request is invalid.", json_pack("{s:o}", "errors", errors));
    json_decref(errors);
    if (payments_refund_provider("vnpay") == NULL)
        return (void)api->reply_problem(req, 503, "service-unavailable", "Cổng thanh toán chưa được cấu hình.",
                                        "No payment provider is configured.");
    char *key_copy = api->req_alloc(req, key_len + 1);
    if (key_copy == NULL)
        return (void)api->reply_problem(req, 500, "internal-error", NULL, NULL);
    memcpy(key_copy, key, key_len);
    reserve(req, id, key_copy, body);
}

/* ---- GET /v1/payments/{id}/refunds ---- */

static void on_listed(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    (void)udata;
    const cong_api_t *api = payments_api;
    if (err != 0 || api->pg_ntuples(res) != 1)
        return payments_reply_store_error(req, err != 0 ? err : CONG_EIO);
    api->reply_header(req, "cache-control", "no-store");
    payments_reply_outcome(req, api->pg_value(res, 0, 0), api->pg_value(res, 0, 1));
}

static void list(cong_req_t *req, void *udata)
{
    (void)udata;
    const cong_api_t *api = payments_api;
    if (!payments_payer_allowed(req))
        return;
    size_t len = 0;
    const char *id = api->req_path_param(req, "id", &len);
    if (!looks_like_uuid(id))
        return (void)api->reply_problem(req, 404, "not-found", NULL, NULL);
    const char *params[] = {id, api->req_principal(req)->subject, api->req_id(req)};
    payments_query(req, "SELECT http_status, body FROM refund_list($1::uuid, $2, $3)", 3, params, on_listed, NULL);
}

int payments_refunds_register(cong_module_ctx_t *ctx)
{
    const cong_route_def_t routes[] = {
        {.size = sizeof(cong_route_def_t), .method = "POST", .path = "/v1/payments/{id}/refunds", .handler = create,
         .auth = CONG_AUTH_REQUIRED, .min_loa = 2, .operation_id = "createPaymentRefund", .max_body_bytes = 4096,
         .mandate_action = NULL},
        {.size = sizeof(cong_route_def_t), .method = "GET", .path = "/v1/payments/{id}/refunds", .handler = list,
         .auth = CONG_AUTH_REQUIRED, .min_loa = 0, .operation_id = "listPaymentRefunds", .mandate_action = NULL},
    };
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        int rc = payments_api->register_route(ctx, &routes[i]);
        if (rc != 0)
            return rc;
    }
    return payments_refund_retry_register(ctx);
}
