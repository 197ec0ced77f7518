/*
 * modules/payments — fees paid online (issue 13): a payment intent per fee-bearing dossier, paid through a provider
 * that speaks VNPay 2.1.0 (provider.h), settled by the provider's signed server-to-server callback (IPN) or, when
 * none came, by asking the provider (querydr); refunds; a signed electronic receipt in the payer's wallet; daily
 * reconciliation against the provider's statement. A dossier's applicant pays: a citizen, or an organization (its API
 * client or someone acting for it; issue 18), whose receipt goes to the organization's wallet. Built on
 * include/cong/module.h (1.6: req_client_address, job_jws_sign).
 *
 * States follow GOV.UK Pay: created → started → success | failed | cancelled | expired | error ("finished" on the last
 * five); refunds are their own objects (submitted → success | failed | error). Amounts are integer VND everywhere
 * (bigint in SQL, long long in C); the provider's ×100 appears only inside provider.h's implementations.
 *
 * The files and who decides what:
 *   payments.c        entry point: name, configuration (modules.payments.*), migrations, each file's routes and jobs
 *   vnpay_sign.c      VNPay's canonical query string and HMAC-SHA512 (pure: no API calls; unit-tested; vnpay.h)
 *   vnpay.c           the VNPay provider behind provider.h: pay URL, IPN/return verification, querydr (the refund
 *                     half, vnpay_refund_request/_answer, is the refunds' file)
 *   intent.c          POST /v1/payments (Idempotency-Key), GET /v1/payments/{id} (a dossier's list of payments is
 *                     not built yet)
 *   ipn.c             GET /v1/payments/vnpay/ipn: the source of truth, answered in VNPay's {"RspCode","Message"}
 *   return_page.c     GET /v1/payments/vnpay/return: the browser's page (shows the state; decides nothing)
 *   receipt.c         the receipt's payload (payment, dossier, amount, provider transaction, time), signed with the
 *                     document key (jws_sign / job_jws_sign); POST /v1/receipts/verify, like results' verify
 *   querydr_job.c     job: intents past their expiry with no IPN are asked with querydr and settled
 *   refunds.c         POST/GET /v1/payments/{id}/refunds (officials of the dossier's unit), refund request
 *   reconcile.c       `cong payments reconcile --date D --statement FILE`, statement.c the CSV reader (pure)
 * The rules that must hold under concurrency (the amount, one settlement, refundable amount) are SQL functions in
 * migrations/ (one transaction each, with the audit record and the outbox rows of the change):
 *   payment_create(...)        the intent, amount from the catalog, idempotency (first answer replayed; another body
 *                              422), mandate 'pay' use
 *   payment_apply_result(...)  one settlement per payment: success/failed/cancelled, amount compared, raw callback
 *                              recorded, dossier moved on, receipt filed in the wallet, push + portal outbox, audit
 *   refund_reserve(...)        refund reserved against the remaining refundable amount under the payment's row lock
 */
#ifndef CONG_MODULE_PAYMENTS_H
#define CONG_MODULE_PAYMENTS_H

#include <cong/module.h>
#include <stddef.h>

#include "provider.h"

#define PAYMENTS_MODULE "payments"
#define PAYMENTS_VERSION "1.0.0"

/** modules.payments.* as read at load (cong.example.yaml documents each with its default). Strings are the
 *  gateway's (config_get), valid for the process lifetime. The merchant secret is read from vnpay_secret_file at
 *  load and kept here only; it is never logged. */
typedef struct payments_config {
    const char *vnpay_pay_url;     /* the provider's payment page (vpcpay.html) */
    const char *vnpay_api_url;     /* the provider's merchant API (querydr, refund) */
    const char *vnpay_tmn_code;    /* vnp_TmnCode; "" disables the provider (intents answer 503 provider-unavailable) */
    char vnpay_secret[129];        /* vnp_HashSecret from vnpay_secret_file ("" when disabled) */
    const char *return_url;        /* vnp_ReturnUrl: cong's GET /v1/payments/vnpay/return, as the browser reaches it */
    const char *ipn_allow;         /* space-separated addresses / CIDR prefixes the IPN may come from */
    const char *api_ca_file;       /* PEM bundle for the merchant API's TLS, or "" for the system's */
    int intent_ttl_s;              /* vnp_ExpireDate - vnp_CreateDate (default 900) */
    int api_timeout_ms;            /* querydr / refund deadline */
    int querydr_interval_ms;       /* the querydr job's period */
    int querydr_grace_s;           /* ask only this long after expiry (an IPN may still be on its way) */
} payments_config_t;

extern const cong_api_t *payments_api;
extern payments_config_t payments_config;

/* ---- payments.c: shared replies (the mandates module's pattern) ---- */
/** 503 for a store down or busy (cong adds Retry-After), else 500 with a log line naming the request. */
void payments_reply_store_error(cong_req_t *req, int err);
/** Replies with an (http_status, body) answer of the SQL layer: a body with "problem" becomes problem+json. */
void payments_reply_outcome(cong_req_t *req, const char *status_text, const char *body_json);
/** pg_query that answers payments_reply_store_error itself when the call fails synchronously. */
void payments_query(cong_req_t *req, const char *sql, int nparams, const char *const *params, cong_pg_cb cb,
                    void *udata);
/** A copy of s in the request's pool (NULL when out of memory). */
char *payments_strdup(cong_req_t *req, const char *s);
/** First thing of POST /v1/payments, GET /v1/payments/{id} and GET /v1/payments/{id}/refunds (registered with
 *  min_loa 0, issue 18): 1 to go on for an organization (subject "org:<id>": its API client, level 0, or someone
 *  acting for it) and a citizen at level 1 or more; 0 when it answered: 403 applicant-not-allowed for a plain API
 *  client (no organization), 401 step-up-required for a citizen below level 1 — what the gateway answered when the
 *  routes needed level 1. The procedures module's applicant.c decides the same way for the dossiers. */
int payments_payer_allowed(cong_req_t *req);

/* ---- receipt.c: the receipt's payload (malloc'd JSON text, NULL when out of memory), and {payload, signature} as
 *      payment_apply_result takes it ---- */
char *payments_receipt_payload(const char *payment_id, const char *dossier_code, long long amount_vnd,
                               const char *provider, const payments_result_t *result, long long now);
char *payments_receipt_json(const char *payload, const char *signature);

/* ---- payments.c: settling (ipn.c and querydr_job.c share it) ---- */
/** The outcome's state for payment_apply_result ("success", "failed", "cancelled"; pending and unknown: "expired"). */
const char *payments_outcome_state(int outcome);
/** Seconds since the epoch as "YYYY-MM-DDTHH:MM:SSZ" (what PostgreSQL's timestamptz takes), "" for 0. */
void payments_iso_time(long long t, char out[32]);

/* ---- routes, jobs and commands: each file's register function, called by payments.c at load ---- */
int payments_intent_register(cong_module_ctx_t *ctx);
int payments_ipn_register(cong_module_ctx_t *ctx);
int payments_return_register(cong_module_ctx_t *ctx);
int payments_querydr_register(cong_module_ctx_t *ctx);
int payments_receipt_register(cong_module_ctx_t *ctx);
int payments_refunds_register(cong_module_ctx_t *ctx);
int payments_reconcile_register(cong_module_ctx_t *ctx); /* the command; registered for every load purpose */

/* ---- refunds and reconciliation (refunds.c, refund_retry.c, statement.c, reconcile.c; VNPay's half: vnpay.h) ---- */
/** The retry job (refund_retry.c): refunds the provider did not answer are asked again. */
int payments_refund_retry_register(cong_module_ctx_t *ctx);
/* refunds.c, for refund_retry.c: the provider of a payment (NULL when unknown, unconfigured or unable to refund);
 * refund_finish's outcome for what refund_answer returned (NULL: no usable answer, ask again later); the request
 * body for the refund of result row `row` whose columns from `col` on are refund_reserve's / refund_claim_due's
 * (provider, request_id, txn_ref, provider_txn, paid_created_at, amount_vnd, full_refund, requested_by,
 * dossier_code); the merchant API call that carries it (body borrowed). */
struct payments_provider;
const struct payments_provider *payments_refund_provider(const char *name);
const char *payments_refund_outcome(int answer_rc);
int payments_refund_request_body(const cong_pg_result_t *res, int row, int col,
                                 const struct payments_provider **provider, char **body);
void payments_refund_http_def(cong_http_request_t *def, const char *body);

#define PAYMENTS_STATEMENT_MAX_LINE 1024
/** One row of the provider's daily statement (statement.c), checked. */
typedef struct payments_statement_row {
    int line;                   /* its line number in the file (the header is line 1) */
    char tmn_code[17];
    char txn_ref[101];
    char transaction_no[41];
    char transaction_type[3];   /* "01" payment, "02" full refund, "03" partial refund */
    long long amount_vnd;       /* the file's amount / 100 */
    long long paid_at;          /* seconds since the epoch (the file's pay_date is GMT+7) */
    char status[3];
    char bank_code[21];
} payments_statement_row_t;

typedef struct payments_statement {
    payments_statement_row_t *rows; /* malloc'd: payments_statement_free */
    size_t count;
    size_t error_count;             /* malformed lines */
    char errors[2048];              /* the first of them, "line N: why\n" each */
} payments_statement_t;

/** Reads a statement (pure): 0 with every row; CONG_EPARSE when any line is malformed (no row kept: errors names
 *  them); CONG_ETOOBIG over max_rows rows; CONG_ENOMEM. Free *out in every case. */
int payments_statement_parse(const char *text, size_t len, size_t max_rows, payments_statement_t *out);
void payments_statement_free(payments_statement_t *s);

#endif
