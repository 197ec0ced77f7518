/*
 * The mandates job (ABI 1.3), every modules.mandates.job_interval_ms on the gateway's job thread:
 *   1. expiry: mandates past their last instant become expired, and those under a parent that ended are withdrawn
 *      (SQL mandate_expire_due: status, endings, audit, events in one transaction);
 *   2. publishing: every pending mandate_endings row is revoked as the session "mandate:<id>" on every instance
 *      (job_revoke_session), then marked published. The request that ended a mandate revoked it already when Redis
 *      answered; this is the guarantee for when it did not, or its instance died after the commit.
 * Every instance runs it: FOR UPDATE SKIP LOCKED shares the rows; publishing one twice is harmless.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mandates.h"

#define BATCH "200"

static void expire(cong_job_t *job)
{
    const cong_api_t *api = mandates_api;
    const char *params[] = {BATCH};
    cong_pg_result_t *res = NULL;
    if (api->job_pg_exec(job, "SELECT mandate_expire_due($1::int)", 1, params, &res) != 0)
        return;
    int n = api->pg_ntuples(res) == 1 ? atoi(api->pg_value(res, 0, 0)) : 0;
    api->job_pg_clear(res);
    if (n > 0)
        api->log(CONG_LOG_INFO, MANDATES_MODULE, "%d mandate(s) expired or ended with their parent", n);
}

/* One transaction: lock a batch of pending endings, revoke each, mark those done. Stops at the first failure (Redis
 * down): the rest stay pending for the next run. */
static void publish(cong_job_t *job)
{
    const cong_api_t *api = mandates_api;
    cong_pg_result_t *res = NULL;
    if (api->job_pg_exec(job, "BEGIN", 0, NULL, NULL) != 0)
        return;
    const char *params[] = {BATCH};
    if (api->job_pg_exec(job,
                         "SELECT id, mandate_id FROM mandate_endings WHERE published_at IS NULL ORDER BY id "
                         "LIMIT $1::int FOR UPDATE SKIP LOCKED",
                         1, params, &res) != 0) {
        api->job_pg_exec(job, "ROLLBACK", 0, NULL, NULL);
        return;
    }
    /* the ids revoked, as a PostgreSQL array: "{1,2,3}" (at most BATCH of 20 digits) */
    char *done = malloc(24 * (size_t)atoi(BATCH) + 3);
    size_t o = 0;
    if (done != NULL)
        done[o++] = '{';
    for (int i = 0; done != NULL && i < api->pg_ntuples(res) && !api->job_stopping(job); i++) {
        char sid[64];
        snprintf(sid, sizeof sid, "mandate:%s", api->pg_value(res, i, 1));
        if (api->job_revoke_session(job, sid) != 0)
            break;
        o += (size_t)sprintf(done + o, "%s%s", o > 1 ? "," : "", api->pg_value(res, i, 0));
    }
    api->job_pg_clear(res);
    if (done != NULL && o > 1) {
        done[o++] = '}';
        done[o] = '\0';
        const char *ids[] = {done};
        api->job_pg_exec(job, "UPDATE mandate_endings SET published_at = now() WHERE id = ANY ($1::bigint[])", 1, ids,
                         NULL);
    }
    free(done);
    api->job_pg_exec(job, "COMMIT", 0, NULL, NULL);
}

static void run(cong_job_t *job, void *udata)
{
    (void)udata;
    expire(job);
    publish(job);
}

int mandates_jobs_register(cong_module_ctx_t *ctx)
{
    return mandates_api->register_job(ctx, "mandates", mandates_config.job_interval_ms, run, NULL);
}
