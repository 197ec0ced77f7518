/*
 * The fold of the KPI rollup's writer slots: a job (module ABI 1.3) every kpi_fold_interval_s on the gateway's job
 * thread, never on a worker's loop.
 *
 * Why: each writing session adds to its own slot of kpi_dossiers_weekly (migrations 0012: pg_backend_pid() % 8), so
 * that concurrent submissions to one unit do not queue on one row; readers sum the slots. Left alone, a unit's week
 * keeps up to eight rows for ever, and a week in the second half of a year reads up to 26 weeks of them (0015). The
 * fold (kpi_dossiers_weekly_fold, 0012) merges the slots of closed weeks into slot 0 in one transaction, so no figure
 * changes at any moment. Closed: weeks that ended at least KPI_FOLD_KEEP_WEEKS before this one in Hanoi time, which
 * writers seldom touch (a late completion may still change an old week: its row goes to a slot again and the next
 * fold takes it).
 *
 * Several instances run the job: a transaction-scoped advisory lock lets one fold at a time and the others skip, so
 * two folds never wait on each other's rows.
 */
#include <stdlib.h>

#include "procedures.h"

#define KPI_FOLD_KEEP_WEEKS "2"

static void fold(cong_job_t *job, void *udata)
{
    (void)udata;
    const cong_api_t *api = procedures_api;
    cong_pg_result_t *res = NULL;
    const char *params[] = {KPI_FOLD_KEEP_WEEKS};
    if (api->job_pg_exec(job,
                         "SELECT CASE WHEN pg_try_advisory_xact_lock(hashtext('cong:kpi_dossiers_weekly_fold')) "
                         "THEN kpi_dossiers_weekly_fold(date_trunc('week', now() AT TIME ZONE 'Asia/Ho_Chi_Minh')::date "
                         "- 7 * $1::int) ELSE -1 END",
                         1, params, &res) != 0)
        return; /* the store is down: the next run folds */
    long long folded = api->pg_ntuples(res) == 1 ? atoll(api->pg_value(res, 0, 0)) : 0;
    api->job_pg_clear(res);
    if (folded > 0)
        api->log(CONG_LOG_INFO, PROCEDURES_MODULE, "kpi fold: %lld writer-slot row(s) merged", folded);
}

int procedures_kpi_fold_register(cong_module_ctx_t *ctx)
{
    long long interval_ms = (long long)procedures_config.kpi_fold_interval_s * 1000;
    return procedures_api->register_job(ctx, "kpi_fold", interval_ms, fold, NULL);
}
