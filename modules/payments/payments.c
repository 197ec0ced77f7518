/*
 * modules/payments — the entry point: the module's name, its configuration keys (modules.payments.*), the merchant
 * secret (read from its file here, kept in payments_config only), its migrations, then each file's routes, job and
 * command. Needs ABI 1.6 (req_client_address for the IPN allow-list, job_jws_sign for receipts settled by the job).
 * Loaded for a command, it declares its keys, migrations and the reconcile command only.
 *
 *   POST /v1/payments                          a payment intent for a dossier (Idempotency-Key)   intent.c
 *   GET  /v1/payments/{id}                     one, to its payer, the applicant or the unit        intent.c
 *     (both: a citizen's or an organization's own dossier, payments_payer_allowed)
 *   GET  /v1/payments/vnpay/ipn                VNPay's server-to-server callback                   ipn.c
 *   GET  /v1/payments/vnpay/return             the payer's browser back from VNPay                 return_page.c
 *   POST /v1/receipts/verify                   a receipt's signature checked (public)              receipt.c
 *   POST /v1/payments/{id}/refunds             an official refunds (Idempotency-Key)               refunds.c
 *   GET  /v1/payments/{id}/refunds             its refunds                                         refunds.c
 *   job  payments.querydr                      open intents past expiry asked with querydr         querydr_job.c
 *   cong payments reconcile --date D --statement FILE                                              reconcile.c
 */
#include <errno.h>
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "payments.h"

const cong_api_t *payments_api;
payments_config_t payments_config;

#define KEY(name, type, def, help) {sizeof(cong_config_key_def_t), name, type, def, help}
static const cong_config_key_def_t config_keys[] = {
    KEY("migrations_dir", CONG_CONFIG_STRING, "modules/payments/migrations", "the module's SQL migrations"),
    KEY("vnpay_pay_url", CONG_CONFIG_STRING, "https://sandbox.vnpayment.vn/paymentv2/vpcpay.html",
        "VNPay's payment page the payer's browser is sent to"),
    KEY("vnpay_api_url", CONG_CONFIG_STRING, "https://sandbox.vnpayment.vn/merchant_webapi/api/transaction",
        "VNPay's merchant API (querydr, refund)"),
    KEY("vnpay_tmn_code", CONG_CONFIG_STRING, "", "the merchant code (vnp_TmnCode); empty: VNPay is not offered"),
    KEY("vnpay_secret_file", CONG_CONFIG_STRING, "",
        "file holding the merchant's hash secret (vnp_HashSecret); required with vnpay_tmn_code"),
    KEY("return_url", CONG_CONFIG_STRING, "https://localhost:8443/v1/payments/vnpay/return",
        "vnp_ReturnUrl: where the provider sends the payer's browser back (cong's /v1/payments/vnpay/return)"),
    KEY("ipn_allow", CONG_CONFIG_STRING, "",
        "space-separated addresses or CIDR prefixes VNPay's IPN may come from; empty: every IPN is refused"),
    KEY("api_ca_file", CONG_CONFIG_STRING, "", "PEM bundle verifying the merchant API's TLS; empty: the system's"),
    KEY("intent_ttl_s", CONG_CONFIG_INT, "900", "seconds a payment intent may be paid in (60..86400)"),
    KEY("api_timeout_ms", CONG_CONFIG_INT, "10000", "deadline of a querydr or refund call (100..60000)"),
    KEY("querydr_interval_ms", CONG_CONFIG_INT, "60000", "period of the querydr job (100..3600000)"),
    KEY("querydr_grace_s", CONG_CONFIG_INT, "300",
        "seconds after an intent's expiry before it is asked with querydr (0..86400)"),
};

void payments_reply_store_error(cong_req_t *req, int err)
{
    const cong_api_t *api = payments_api;
    if (err == CONG_EUNAVAILABLE || err == CONG_ETIMEDOUT || err == CONG_EBUSY) {
        api->reply_problem(req, 503, "service-unavailable", NULL, NULL);
        return;
    }
    api->log(CONG_LOG_ERROR, PAYMENTS_MODULE, "store error %s (request %s)", api->strerror(err), api->req_id(req));
    api->reply_problem(req, 500, "internal-error", NULL, NULL);
}

void payments_reply_outcome(cong_req_t *req, const char *status_text, const char *body_json)
{
    const cong_api_t *api = payments_api;
    int status = status_text != NULL ? atoi(status_text) : 0;
    json_t *body = body_json != NULL ? json_loads(body_json, 0, NULL) : NULL;
    if (status < 200 || status > 599 || body == NULL) {
        json_decref(body);
        api->reply_problem(req, 500, "internal-error", NULL, NULL);
        return;
    }
    const char *problem = json_string_value(json_object_get(body, "problem"));
    if (problem == NULL) {
        api->reply_json(req, status, body);
        return;
    }
    char slug[65];
    snprintf(slug, sizeof slug, "%s", problem);
    json_object_del(body, "problem");
    api->reply_problem_ext(req, status, slug, NULL, NULL, body);
}

void payments_query(cong_req_t *req, const char *sql, int nparams, const char *const *params, cong_pg_cb cb,
                    void *udata)
{
    int rc = payments_api->pg_query(req, sql, nparams, params, cb, udata);
    if (rc != 0)
        payments_reply_store_error(req, rc);
}

char *payments_strdup(cong_req_t *req, const char *s)
{
    size_t n = strlen(s);
    char *copy = payments_api->req_alloc(req, n + 1);
    if (copy != NULL)
        memcpy(copy, s, n + 1);
    return copy;
}

/* An organization's subject (modules/orgs/orgs.h ORGS_SUBJECT_PREFIX; a module includes no other's header). */
#define ORG_SUBJECT_PREFIX "org:"

int payments_payer_allowed(cong_req_t *req)
{
    const cong_principal_t *p = payments_api->req_principal(req);
    if (strncmp(p->subject, ORG_SUBJECT_PREFIX, sizeof ORG_SUBJECT_PREFIX - 1) == 0)
        return 1; /* an organization: its client (level 0) or someone acting for it */
    if (p->client_id != NULL && p->client_id[0] != '\0') {
        payments_api->reply_problem(req, 403, "applicant-not-allowed",
                                    "Ứng dụng này không thuộc tổ chức nào nên không có hồ sơ để nộp phí.",
                                    "This API client belongs to no organization, so it has no dossiers to pay for.");
        return 0;
    }
    if (p->loa >= 1)
        return 1;
    payments_api->reply_header(req, "www-authenticate",
                               "Bearer realm=\"cong\", error=\"insufficient_user_authentication\", acr_values=\"1\"");
    payments_api->reply_problem(req, 401, "step-up-required", NULL, NULL);
    return 0;
}

const char *payments_outcome_state(int outcome)
{
    switch (outcome) {
    case PAYMENTS_OUTCOME_SUCCESS:
        return "success";
    case PAYMENTS_OUTCOME_CANCELLED:
        return "cancelled";
    case PAYMENTS_OUTCOME_PENDING:
    case PAYMENTS_OUTCOME_UNKNOWN:
        return "expired"; /* asked only once past the expiry: the payer never finished */
    default:
        return "failed";
    }
}

void payments_iso_time(long long t, char out[32])
{
    out[0] = '\0';
    if (t <= 0)
        return;
    time_t tt = (time_t)t;
    struct tm tm;
    gmtime_r(&tt, &tm);
    strftime(out, 32, "%Y-%m-%dT%H:%M:%SZ", &tm);
}

/* The secret: one line (a trailing newline dropped), 8..128 printable characters. */
static int read_secret(const char *path)
{
    FILE *f = fopen(path, "r");
    if (f == NULL) {
        payments_api->log(CONG_LOG_ERROR, PAYMENTS_MODULE, "cannot read vnpay_secret_file %s: %s", path,
                          strerror(errno));
        return CONG_EINVAL;
    }
    char *s = payments_config.vnpay_secret;
    size_t n = fread(s, 1, sizeof payments_config.vnpay_secret - 1, f);
    int more = fgetc(f) != EOF;
    fclose(f);
    s[n] = '\0';
    while (n > 0 && (s[n - 1] == '\n' || s[n - 1] == '\r'))
        s[--n] = '\0';
    for (size_t i = 0; i < n; i++)
        if (s[i] < 0x21 || s[i] > 0x7e)
            more = 1;
    if (more || n < 8) {
        memset(s, 0, sizeof payments_config.vnpay_secret);
        payments_api->log(CONG_LOG_ERROR, PAYMENTS_MODULE,
                          "vnpay_secret_file %s: one line of 8 to 128 printable characters expected", path);
        return CONG_EINVAL;
    }
    return 0;
}

static int in_range(int v, int lo, int hi) { return v >= lo && v <= hi; }

static int read_config(cong_module_ctx_t *ctx)
{
    const cong_api_t *api = payments_api;
    for (size_t i = 0; i < sizeof config_keys / sizeof config_keys[0]; i++) {
        int rc = api->register_config(ctx, &config_keys[i]);
        if (rc != 0)
            return rc;
    }
    payments_config_t *c = &payments_config;
    c->vnpay_pay_url = api->config_get(ctx, "vnpay_pay_url");
    c->vnpay_api_url = api->config_get(ctx, "vnpay_api_url");
    c->vnpay_tmn_code = api->config_get(ctx, "vnpay_tmn_code");
    c->return_url = api->config_get(ctx, "return_url");
    c->ipn_allow = api->config_get(ctx, "ipn_allow");
    c->api_ca_file = api->config_get(ctx, "api_ca_file");
    c->intent_ttl_s = atoi(api->config_get(ctx, "intent_ttl_s"));
    c->api_timeout_ms = atoi(api->config_get(ctx, "api_timeout_ms"));
    c->querydr_interval_ms = atoi(api->config_get(ctx, "querydr_interval_ms"));
    c->querydr_grace_s = atoi(api->config_get(ctx, "querydr_grace_s"));
    if (!in_range(c->intent_ttl_s, 60, 86400) || !in_range(c->api_timeout_ms, 100, 60000) ||
        !in_range(c->querydr_interval_ms, 100, 3600000) || !in_range(c->querydr_grace_s, 0, 86400)) {
        api->log(CONG_LOG_ERROR, PAYMENTS_MODULE, "a configured value is out of range");
        return CONG_EINVAL;
    }
    const char *secret_file = api->config_get(ctx, "vnpay_secret_file");
    if (c->vnpay_tmn_code[0] != '\0') {
        if (secret_file[0] == '\0') {
            api->log(CONG_LOG_ERROR, PAYMENTS_MODULE, "vnpay_tmn_code is set without vnpay_secret_file");
            return CONG_EINVAL;
        }
        int rc = read_secret(secret_file);
        if (rc != 0)
            return rc;
    }
    return api->register_migrations(ctx, api->config_get(ctx, "migrations_dir"));
}

int cong_payments_onload(cong_module_ctx_t *ctx, const cong_api_t *api)
{
    if (api->abi_major != CONG_MODULE_ABI_MAJOR || !CONG_API_HAS(api, req_query))
        return CONG_EVERSION; /* 1.6: req_client_address (the IPN's allow-list), job_jws_sign (receipts settled by
                                 querydr), req_query (the IPN's signed parameters) */
    payments_api = api;
    int rc = api->declare_module(ctx, PAYMENTS_MODULE, PAYMENTS_VERSION);
    if (rc == 0)
        rc = read_config(ctx);
    if (rc == 0)
        rc = payments_reconcile_register(ctx);
    if (rc != 0 || api->load_purpose(ctx) != CONG_LOAD_SERVE)
        return rc;
    int (*const registers[])(cong_module_ctx_t *) = {
        payments_intent_register,  payments_ipn_register,     payments_return_register,
        payments_querydr_register, payments_refunds_register, payments_receipt_register,
    };
    for (size_t i = 0; rc == 0 && i < sizeof registers / sizeof registers[0]; i++)
        if (registers[i] != NULL)
            rc = registers[i](ctx);
    return rc;
}
