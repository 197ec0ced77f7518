/*
 * modules/payments/intent.c — payment intents.
 *
 *   POST /v1/payments        {"dossier_code", "provider"} + Idempotency-Key → 201 the intent with redirect_url, the
 *                            provider's page the payer's browser goes to. The amount is the dossier's fee at filing
 *                            (SQL payment_create); acting for someone needs a mandate with "pay" covering the
 *                            dossier's procedure (mandate_covers here, one use counted in the SQL). A provider cong
 *                            knows but is not configured: 503 provider-unavailable.
 *   GET  /v1/payments/{id}   to whoever paid it, the applicant, or an official of the dossier's unit.
 *
 * redirect_url is computed from what the SQL answered (the same on a replayed Idempotency-Key: the same URL).
 */
#include <jansson.h>
#include <openssl/evp.h>
#include <stdlib.h>
#include <string.h>

#include "payments.h"

typedef struct intent {
    const char *key;
    char request_hash[65];
    const char *dossier;
    const char *provider;
} intent_t;

static const char *actor_of(cong_req_t *req)
{
    const cong_principal_t *p = payments_api->req_principal(req);
    return p->actor != NULL && p->actor[0] != '\0' ? p->actor : p->subject;
}

static const char *mandate_of(cong_req_t *req)
{
    const cong_principal_t *p = payments_api->req_principal(req);
    return p->actor != NULL && p->mandate_id != NULL && p->mandate_id[0] != '\0' ? p->mandate_id : NULL;
}

static void sha256_hex(const char *s, char out[65])
{
    unsigned char md[32];
    unsigned int n = 0;
    static const char digits[] = "0123456789abcdef";
    EVP_Digest(s, strlen(s), md, &n, EVP_sha256(), NULL);
    for (unsigned int i = 0; i < 32; i++) {
        out[2 * i] = digits[md[i] >> 4];
        out[2 * i + 1] = digits[md[i] & 15];
    }
    out[64] = '\0';
}

/* The 201 body: the SQL's answer with redirect_url, without what only the provider needed. */
static void reply_created(cong_req_t *req, const char *status_text, const char *body_text, const char *provider_name)
{
    const cong_api_t *api = payments_api;
    json_t *body = json_loads(body_text, 0, NULL);
    const payments_provider_t *provider = payments_provider_find(provider_name);
    if (body == NULL || provider == NULL) {
        json_decref(body);
        return (void)api->reply_problem(req, 500, "internal-error", NULL, NULL);
    }
    payments_start_t start = {
        .txn_ref = json_string_value(json_object_get(body, "txn_ref")),
        .amount_vnd = json_integer_value(json_object_get(body, "amount_vnd")),
        .order_info = json_string_value(json_object_get(body, "order_info")),
        .client_ip = json_string_value(json_object_get(body, "client_ip")),
        .created_at = json_integer_value(json_object_get(body, "created_epoch")),
        .expires_at = json_integer_value(json_object_get(body, "expires_epoch")),
        .lang_en = api->req_lang_en(req),
    };
    char *url = NULL;
    if (start.txn_ref == NULL || start.order_info == NULL || start.client_ip == NULL ||
        provider->start_url(&start, &url) != 0) {
        json_decref(body);
        api->log(CONG_LOG_ERROR, PAYMENTS_MODULE, "cannot build the provider's URL (request %s)", api->req_id(req));
        return (void)api->reply_problem(req, 500, "internal-error", NULL, NULL);
    }
    json_object_set_new(body, "redirect_url", json_string(url));
    free(url);
    const char *internal[] = {"txn_ref", "order_info", "client_ip", "created_epoch", "expires_epoch"};
    for (size_t i = 0; i < sizeof internal / sizeof internal[0]; i++)
        json_object_del(body, internal[i]);
    char location[96];
    snprintf(location, sizeof location, "/v1/payments/%s", json_string_value(json_object_get(body, "id")));
    api->reply_header(req, "location", location);
    api->reply_json(req, atoi(status_text), body);
}

static void on_created(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    intent_t *in = udata;
    if (err != 0)
        return payments_reply_store_error(req, err);
    const cong_api_t *api = payments_api;
    const char *status = api->pg_value(res, 0, 0), *body = api->pg_value(res, 0, 1);
    if (api->pg_ntuples(res) != 1)
        return (void)api->reply_problem(req, 500, "internal-error", NULL, NULL);
    if (strcmp(status, "201") == 0)
        return reply_created(req, status, body, in->provider);
    payments_reply_outcome(req, status, body);
}

static void create_intent(cong_req_t *req, intent_t *in)
{
    const cong_api_t *api = payments_api;
    char ttl[16];
    snprintf(ttl, sizeof ttl, "%d", payments_config.intent_ttl_s);
    const char *params[] = {actor_of(req), api->req_principal(req)->subject, mandate_of(req), in->key,
                            in->request_hash, in->dossier, in->provider, api->req_client_address(req), ttl,
                            api->req_id(req)};
    payments_query(req,
                   "SELECT http_status, body FROM payment_create($1, $2, $3::uuid, $4, $5, $6, $7, $8, $9::int, $10)",
                   10, params, on_created, in);
}

/* Acting for someone: the dossier's procedure must be covered by the mandate (the token's copy of its scope). */
static void on_dossier(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    const cong_api_t *api = payments_api;
    if (err != 0)
        return payments_reply_store_error(req, err);
    if (api->pg_ntuples(res) != 1)
        return (void)api->reply_problem(req, 404, "not-found", NULL, NULL);
    const char *procedure = api->pg_value(res, 0, 0), *domain = api->pg_value(res, 0, 1);
    if (api->mandate_covers(req, procedure, domain) != 0) {
        json_t *ext = json_pack("{s:s, s:s}", "missing", "procedure", "procedure_code", procedure);
        return (void)api->reply_problem_ext(req, 403, "mandate-does-not-cover", NULL, NULL, ext);
    }
    create_intent(req, udata);
}

static int key_ok(const char *key, size_t len)
{
    if (key == NULL || len == 0 || len > 255)
        return 0;
    for (size_t i = 0; i < len; i++)
        if (key[i] < 0x20 || key[i] > 0x7e)
            return 0;
    return 1;
}

static void post_payment(cong_req_t *req, void *udata)
{
    (void)udata;
    const cong_api_t *api = payments_api;
    if (!payments_payer_allowed(req))
        return;
    size_t key_len = 0;
    const char *key = api->req_header(req, "idempotency-key", &key_len);
    if (!key_ok(key, key_len))
        return (void)api->reply_problem(req, 400, "idempotency-key-required", NULL, NULL);
    json_t *body = api->req_json(req);
    if (!json_is_object(body))
        return (void)api->reply_problem(req, 400, "invalid-json", NULL, NULL);
    const char *dossier = json_string_value(json_object_get(body, "dossier_code"));
    const char *provider = json_string_value(json_object_get(body, "provider"));
    json_t *errors = json_array();
    if (dossier == NULL || dossier[0] == '\0' || strlen(dossier) > 64)
        json_array_append_new(errors, json_pack("{s:s, s:s}", "field", "dossier_code", "code", "required"));
    if (provider == NULL || strcmp(provider, "vnpay") != 0)
        json_array_append_new(errors, json_pack("{s:s, s:s}", "field", "provider", "code", "unknown-provider"));
    if (json_array_size(errors) > 0)
        return (void)api->reply_problem_ext(req, 422, "validation-failed", NULL, NULL,
                                            json_pack("{s:o}", "errors", errors));
    json_decref(errors);
    if (payments_provider_find(provider) == NULL)
        return (void)api->reply_problem(req, 503, "provider-unavailable", NULL, NULL);
    intent_t *in = api->req_alloc(req, sizeof *in);
    char *canonical = json_dumps(body, JSON_COMPACT | JSON_SORT_KEYS);
    char *key_copy = api->req_alloc(req, key_len + 1);
    if (in == NULL || canonical == NULL || key_copy == NULL) {
        free(canonical);
        return (void)api->reply_problem(req, 500, "internal-error", NULL, NULL);
    }
    memcpy(key_copy, key, key_len);
    key_copy[key_len] = '\0';
    sha256_hex(canonical, in->request_hash);
    free(canonical);
    in->key = key_copy;
    in->dossier = payments_strdup(req, dossier);
    in->provider = payments_strdup(req, provider);
    if (in->dossier == NULL || in->provider == NULL)
        return (void)api->reply_problem(req, 500, "internal-error", NULL, NULL);
    if (mandate_of(req) == NULL)
        return create_intent(req, in);
    const char *params[] = {in->dossier, api->req_principal(req)->subject};
    payments_query(req,
                   "SELECT d.procedure_code, p.domain FROM dossiers d JOIN procedures p ON p.code = d.procedure_code "
                   "WHERE d.code = $1 AND d.subject = $2",
                   2, params, on_dossier, in);
}

static void on_view(cong_req_t *req, int err, const cong_pg_result_t *res, void *udata)
{
    (void)udata;
    const cong_api_t *api = payments_api;
    if (err != 0)
        return payments_reply_store_error(req, err);
    if (api->pg_ntuples(res) != 1 || api->pg_is_null(res, 0, 0))
        return (void)api->reply_problem(req, 404, "not-found", NULL, NULL);
    api->reply_header(req, "cache-control", "no-store");
    payments_reply_outcome(req, "200", api->pg_value(res, 0, 0));
}

static int uuid_ok(const char *s)
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

static void get_payment(cong_req_t *req, void *udata)
{
    (void)udata;
    const cong_api_t *api = payments_api;
    if (!payments_payer_allowed(req))
        return;
    const char *id = api->req_path_param(req, "id", NULL);
    if (!uuid_ok(id))
        return (void)api->reply_problem(req, 404, "not-found", NULL, NULL);
    const char *actor = actor_of(req);
    const char *params[] = {id, actor, api->req_principal(req)->subject, mandate_of(req)};
    payments_query(req,
                   "SELECT payment_view($1::uuid, $2, $3, $4::uuid, ARRAY(SELECT resource FROM user_roles "
                   "WHERE subject = $2 AND role = 'official'))",
                   4, params, on_view, NULL);
}

/* min_loa 0: an organization's client has no level; payments_payer_allowed checks who pays first. */
int payments_intent_register(cong_module_ctx_t *ctx)
{
    const cong_route_def_t routes[] = {
        {.size = sizeof(cong_route_def_t), .method = "POST", .path = "/v1/payments", .handler = post_payment,
         .auth = CONG_AUTH_REQUIRED, .min_loa = 0, .rate_limit_class = "default", .operation_id = "createPayment",
         .max_body_bytes = 4096, .mandate_action = "pay"},
        {.size = sizeof(cong_route_def_t), .method = "GET", .path = "/v1/payments/{id}", .handler = get_payment,
         .auth = CONG_AUTH_REQUIRED, .min_loa = 0, .rate_limit_class = "default", .operation_id = "getPayment",
         .mandate_action = "view"},
    };
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        int rc = payments_api->register_route(ctx, &routes[i]);
        if (rc != 0)
            return rc;
    }
    return 0;
}
