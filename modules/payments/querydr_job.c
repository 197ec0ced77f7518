/*
 * modules/payments/querydr_job.c — job payments_querydr: a payment whose IPN never came is asked about (VNPay querydr)
 * once it is past its expiry plus querydr_grace_s (an IPN may still be on its way; an open intent before its expiry is
 * never asked: the payer may still be on the provider's page). Every querydr_interval_ms, on the job thread, one
 * payment at a time (at most QUERYDR_BATCH a run), each in its own transaction holding the payment's row
 * (FOR UPDATE SKIP LOCKED: another instance, or an IPN under way, is left alone):
 *   - the provider's answer verifies: payment_apply_result(source 'querydr') — paid: success (the dossier moves on,
 *     the receipt is signed here with job_jws_sign); failed: failed; still pending or unknown (VNPay 01, 91) past
 *     the expiry: expired;
 *   - no answer, the provider's own error, an answer that does not verify: payment_query_failed backs off
 *     (next_query_at) and gives up as 'error' after QUERYDR_MAX_ATTEMPTS.
 * A unique vnp_RequestId per call: the payment's reference and the time in milliseconds.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>

#include "payments.h"

#define QUERYDR_BATCH 20
#define QUERYDR_MAX_ATTEMPTS 8
#define QUERYDR_BACKOFF_S 30 /* doubled with each failed attempt */

typedef struct due {
    char id[40], provider[16], txn_ref[101], order_info[256], client_ip[48], dossier[64];
    long long created_at, amount_vnd;
} due_t;

static const char *const SELECT_DUE =
    "SELECT id, provider, txn_ref, order_info, client_ip, floor(extract(epoch FROM created_at))::bigint, "
    "dossier_code, amount_vnd FROM payments WHERE finished_at IS NULL "
    "AND expires_at + make_interval(secs => $1::int) < now() AND (next_query_at IS NULL OR next_query_at <= now()) "
    "ORDER BY expires_at LIMIT 1 FOR UPDATE SKIP LOCKED";

static long long now_ms(void)
{
    struct timeval tv;
    gettimeofday(&tv, NULL);
    return (long long)tv.tv_sec * 1000 + tv.tv_usec / 1000;
}

/* Takes the next due payment (BEGIN already issued): 1 found, 0 none, < 0 error. */
static int take_due(cong_job_t *job, due_t *d)
{
    const cong_api_t *api = payments_api;
    char grace[16];
    snprintf(grace, sizeof grace, "%d", payments_config.querydr_grace_s);
    const char *params[] = {grace};
    cong_pg_result_t *res = NULL;
    int rc = api->job_pg_exec(job, SELECT_DUE, 1, params, &res);
    if (rc != 0)
        return rc;
    int found = api->pg_ntuples(res) == 1;
    if (found) {
        snprintf(d->id, sizeof d->id, "%s", api->pg_value(res, 0, 0));
        snprintf(d->provider, sizeof d->provider, "%s", api->pg_value(res, 0, 1));
        snprintf(d->txn_ref, sizeof d->txn_ref, "%s", api->pg_value(res, 0, 2));
        snprintf(d->order_info, sizeof d->order_info, "%s", api->pg_value(res, 0, 3));
        snprintf(d->client_ip, sizeof d->client_ip, "%s", api->pg_value(res, 0, 4));
        d->created_at = atoll(api->pg_value(res, 0, 5));
        snprintf(d->dossier, sizeof d->dossier, "%s", api->pg_value(res, 0, 6));
        d->amount_vnd = atoll(api->pg_value(res, 0, 7));
    }
    api->job_pg_clear(res);
    return found;
}

/* Asks the provider: 0 with *r, or the error (a provider's own, a bad signature, no answer). */
static int ask(cong_job_t *job, const payments_provider_t *provider, const due_t *d, payments_result_t *r)
{
    const cong_api_t *api = payments_api;
    char request_id[33], *body = NULL;
    snprintf(request_id, sizeof request_id, "%.18s%llu", d->txn_ref,
             (unsigned long long)(now_ms() % 100000000000000LL)); /* 18 + at most 14 digits */
    int rc = provider->query_request(request_id, d->txn_ref, d->order_info, d->created_at, d->client_ip,
                                     (long long)time(NULL), &body);
    if (rc != 0)
        return rc;
    const char *headers[] = {"Content-Type: application/json", NULL};
    cong_http_request_t def = {.size = sizeof def, .method = "POST", .url = payments_config.vnpay_api_url,
                               .headers = headers, .body = body, .body_len = strlen(body),
                               .timeout_ms = payments_config.api_timeout_ms, .max_response_bytes = 65536,
                               .ca_file = payments_config.api_ca_file[0] != '\0' ? payments_config.api_ca_file : NULL};
    cong_http_response_t *res = NULL;
    rc = api->job_http_request(job, &def, &res);
    free(body);
    if (rc != 0)
        return rc;
    size_t len = 0;
    const char *answer = api->http_response_body(res, &len);
    rc = api->http_response_status(res) == 200 ? provider->query_answer(answer, len, r) : CONG_EUNAVAILABLE;
    api->job_http_response_free(res);
    if (rc == 0 && strcmp(r->txn_ref, d->txn_ref) != 0)
        rc = CONG_EPARSE; /* an answer about another payment */
    return rc;
}

static int record_failure(cong_job_t *job, const due_t *d, int err)
{
    char backoff[16], max[16];
    snprintf(backoff, sizeof backoff, "%d", QUERYDR_BACKOFF_S);
    snprintf(max, sizeof max, "%d", QUERYDR_MAX_ATTEMPTS);
    const char *params[] = {d->id, payments_api->strerror(err), backoff, max};
    payments_api->log(CONG_LOG_WARN, PAYMENTS_MODULE, "querydr of payment %s: %s", d->id, payments_api->strerror(err));
    return payments_api->job_pg_exec(job, "SELECT payment_query_failed($1::uuid, $2, $3::int, $4::int)", 4, params,
                                     NULL);
}

static int settle(cong_job_t *job, const payments_provider_t *provider, const due_t *d, const payments_result_t *r)
{
    const cong_api_t *api = payments_api;
    char *receipt = NULL;
    if (r->outcome == PAYMENTS_OUTCOME_SUCCESS) {
        char *payload = payments_receipt_payload(d->id, d->dossier, d->amount_vnd, provider->name, r,
                                                 (long long)time(NULL));
        char *jws = NULL;
        int rc = payload != NULL ? api->job_jws_sign(job, payload, strlen(payload), &jws) : CONG_ENOMEM;
        receipt = rc == 0 ? payments_receipt_json(payload, jws) : NULL;
        free(payload);
        free(jws);
        if (receipt == NULL)
            return rc != 0 ? rc : CONG_ENOMEM; /* not settled without its receipt: asked again next run */
    }
    char amount[32], paid[32], raw[160];
    snprintf(amount, sizeof amount, "%lld", r->amount_vnd > 0 ? r->amount_vnd : d->amount_vnd);
    payments_iso_time(r->paid_at, paid);
    snprintf(raw, sizeof raw, "{\"response_code\":\"%s\",\"status_code\":\"%s\"}", r->response_code, r->status_code);
    const char *params[] = {provider->name, d->txn_ref, amount, payments_outcome_state(r->outcome), r->provider_txn,
                            r->bank_code, r->response_code, r->status_code, paid[0] != '\0' ? paid : NULL, raw,
                            receipt};
    cong_pg_result_t *res = NULL;
    int rc = api->job_pg_exec(job,
                              "SELECT verdict FROM payment_apply_result($1, $2, $3::bigint, $4, $5, $6, $7, $8, "
                              "$9::timestamptz, $10::jsonb, 'querydr', NULL, NULL, $11::jsonb)",
                              11, params, &res);
    free(receipt);
    if (rc == 0) {
        api->log(CONG_LOG_INFO, PAYMENTS_MODULE, "querydr settled payment %s: %s (%s)", d->id,
                 payments_outcome_state(r->outcome), api->pg_value(res, 0, 0));
        api->job_pg_clear(res);
    }
    return rc;
}

/* One payment, in its own transaction: 1 done, 0 none due, < 0 the store failed. */
static int one(cong_job_t *job)
{
    const cong_api_t *api = payments_api;
    int rc = api->job_pg_exec(job, "BEGIN", 0, NULL, NULL);
    due_t d;
    int found = rc == 0 ? take_due(job, &d) : rc;
    if (found <= 0) {
        api->job_pg_exec(job, "ROLLBACK", 0, NULL, NULL);
        return found;
    }
    const payments_provider_t *provider = payments_provider_find(d.provider);
    payments_result_t r;
    int asked = provider != NULL ? ask(job, provider, &d, &r) : CONG_ENOTFOUND;
    rc = asked == 0 ? settle(job, provider, &d, &r) : record_failure(job, &d, asked);
    if (asked == 0 && rc != 0 && rc != CONG_EUNAVAILABLE && rc != CONG_ETIMEDOUT) {
        api->job_pg_exec(job, "ROLLBACK", 0, NULL, NULL); /* e.g. the receipt could not be signed */
        api->job_pg_exec(job, "BEGIN", 0, NULL, NULL);
        rc = record_failure(job, &d, rc);
    }
    if (rc != 0) {
        api->job_pg_exec(job, "ROLLBACK", 0, NULL, NULL);
        return rc;
    }
    rc = api->job_pg_exec(job, "COMMIT", 0, NULL, NULL);
    return rc == 0 ? 1 : rc;
}

static void querydr(cong_job_t *job, void *udata)
{
    (void)udata;
    for (int i = 0; i < QUERYDR_BATCH && !payments_api->job_stopping(job); i++)
        if (one(job) <= 0)
            return;
}

int payments_querydr_register(cong_module_ctx_t *ctx)
{
    return payments_api->register_job(ctx, "payments_querydr", payments_config.querydr_interval_ms, querydr, NULL);
}
