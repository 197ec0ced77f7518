/*
 * The job appointments_due, every job_interval_ms on the gateway's job thread: holds past their time expire (their
 * seats given back, the holder's appointment.changed row, an audit record), then the reminders that are due are
 * written (push_outbox, topic appointment.reminder: 24 hours before a confirmed appointment and an hour before, each
 * once). Each step is one statement, so one transaction, taking at most APPT_JOB_BATCH rows FOR UPDATE SKIP LOCKED:
 * several instances running the job at once share the work and never write a reminder twice.
 */
#include <stdio.h>
#include <stdlib.h>

#include "appointments.h"

static int run_step(cong_job_t *job, const char *sql, const char *what)
{
    const cong_api_t *api = appt_api;
    char batch[16];
    snprintf(batch, sizeof batch, "%d", APPT_JOB_BATCH);
    const char *params[] = {batch};
    cong_pg_result_t *res = NULL;
    int rc = api->job_pg_exec(job, sql, 1, params, &res);
    if (rc != 0) {
        api->log(CONG_LOG_WARN, APPT_MODULE, "%s: %s", what, api->strerror(rc));
        return 0;
    }
    int n = api->pg_ntuples(res) == 1 ? atoi(api->pg_value(res, 0, 0)) : 0;
    api->job_pg_clear(res);
    return n;
}

static void due(cong_job_t *job, void *udata)
{
    (void)udata;
    /* a full batch: more may be due; the next run (one interval later) takes them, unless the gateway is stopping */
    for (int round = 0; round < 5 && !appt_api->job_stopping(job); round++)
        if (run_step(job, "SELECT appointment_expire_due($1::int)", "expiring holds") < APPT_JOB_BATCH)
            break;
    for (int round = 0; round < 5 && !appt_api->job_stopping(job); round++)
        if (run_step(job, "SELECT appointment_remind_due($1::int)", "writing reminders") < APPT_JOB_BATCH)
            break;
}

int appt_jobs_register(cong_module_ctx_t *ctx)
{
    return appt_api->register_job(ctx, "appointments_due", appt_config.job_interval_ms, due, NULL);
}
