/*
 * modules/payments/refund_retry.c — job payments_refund_retry: refunds the provider did not answer (a timeout, the
 * provider down, a client gone before the answer, PostgreSQL down when it came) are asked again, with the same
 * vnp_RequestId, so that the provider answers the first request's result instead of refunding twice.
 *
 * Runs every querydr_interval_ms (the two jobs ask the same merchant API, at the same pace). A refund is first asked
 * again 2 x api_timeout_ms + 1 s after it was made (its own call is over by then), then after twice the delay each
 * time up to an hour; after RETRY_MAX_ATTEMPTS the job gives up: the refund becomes 'error', its amount stays
 * reserved, and the alarm 'refund-unresolved' asks an operator to settle it with the provider. Several instances run
 * the job: refund_claim_due claims its batch with SKIP LOCKED and pushes each refund's next attempt back first.
 * Each state change is refund_finish's, with its audit record (actor 'system').
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "payments.h"
#include "provider.h"

#define RETRY_BATCH 20
#define RETRY_MAX_ATTEMPTS 10

static void finish(cong_job_t *job, const char *refund_id, const char *outcome, const char *provider_txn,
                   const char *code)
{
    const cong_api_t *api = payments_api;
    const char *params[] = {refund_id, outcome, provider_txn, code};
    int rc = api->job_pg_exec(job,
                              "SELECT http_status FROM refund_finish($1::uuid, $2, $3, $4, 'system', 'system', NULL)",
                              4, params, NULL);
    if (rc != 0)
        api->log(CONG_LOG_WARN, PAYMENTS_MODULE, "refund %s: %s not recorded (%s); asked again later", refund_id,
                 outcome, api->strerror(rc));
}

static void ask_again(cong_job_t *job, const cong_pg_result_t *res, int row)
{
    const cong_api_t *api = payments_api;
    const char *refund_id = api->pg_value(res, row, 0);
    const payments_provider_t *provider = NULL;
    char *request = NULL;
    if (payments_refund_request_body(res, row, 2, &provider, &request) != 0) {
        api->log(CONG_LOG_ERROR, PAYMENTS_MODULE, "refund %s: no request could be made for its provider", refund_id);
        return;
    }
    cong_http_request_t def;
    payments_refund_http_def(&def, request);
    cong_http_response_t *answer = NULL;
    int rc = api->job_http_request(job, &def, &answer);
    free(request);
    const char *outcome = NULL;
    char provider_txn[41] = "", code[8] = "";
    int status = rc == 0 ? api->http_response_status(answer) : 0;
    if (rc == 0 && status >= 200 && status < 300) {
        size_t len = 0;
        const char *body = api->http_response_body(answer, &len);
        outcome = payments_refund_outcome(provider->refund_answer(body, len, provider_txn, code));
    }
    if (answer != NULL)
        api->job_http_response_free(answer);
    if (outcome == NULL) {
        api->log(CONG_LOG_INFO, PAYMENTS_MODULE, "refund %s: still no usable answer (%s, HTTP %d)", refund_id,
                 rc != 0 ? api->strerror(rc) : "answered", status);
        return;
    }
    finish(job, refund_id, outcome, provider_txn[0] ? provider_txn : NULL, code[0] ? code : NULL);
}

static void retry(cong_job_t *job, void *udata)
{
    (void)udata;
    const cong_api_t *api = payments_api;
    char batch[16], first_delay[24], max_attempts[16];
    snprintf(batch, sizeof batch, "%d", RETRY_BATCH);
    snprintf(first_delay, sizeof first_delay, "%lld", 2LL * payments_config.api_timeout_ms + 1000);
    snprintf(max_attempts, sizeof max_attempts, "%d", RETRY_MAX_ATTEMPTS);
    const char *params[] = {batch, first_delay, max_attempts};
    cong_pg_result_t *due = NULL;
    if (api->job_pg_exec(job,
                         "SELECT refund_id, give_up, provider, request_id, txn_ref, provider_txn, paid_created_at, "
                         "amount_vnd, full_refund, requested_by, dossier_code "
                         "FROM refund_claim_due($1::int, $2::bigint, $3::int)",
                         3, params, &due) != 0)
        return; /* PostgreSQL is away: the next run tries again */
    for (int i = 0; i < api->pg_ntuples(due) && !api->job_stopping(job); i++) {
        if (api->pg_value(due, i, 1)[0] == 't')
            finish(job, api->pg_value(due, i, 0), "error", NULL, NULL);
        else
            ask_again(job, due, i);
    }
    api->job_pg_clear(due);
}

int payments_refund_retry_register(cong_module_ctx_t *ctx)
{
    return payments_api->register_job(ctx, "payments_refund_retry", payments_config.querydr_interval_ms, retry, NULL);
}
