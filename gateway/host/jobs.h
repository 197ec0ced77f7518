/*
 * gateway/host/jobs.h — periodic jobs, on one thread of the gateway's own: the modules' (ABI 1.3 register_job) and the
 * gateway's (the document-key refresh, gateway/host/document_keys.c).
 *
 * Jobs are added before the thread starts (while modules load, or at start). From cong_jobs_start to cong_jobs_stop
 * the thread runs each job when its interval has passed since its last run ended, one run at a time, never on a
 * worker's loop, so a job may block. The thread has its own blocking PostgreSQL connection (opened on first use,
 * opened again after a failure), each statement bounded by postgres.timeout_ms; a transaction a run leaves open is
 * rolled back. cong_jobs_wake asks for a job's next run now (from any thread).
 *
 * Ownership: the job table hangs off the gateway (gw->jobs) and is freed by cong_jobs_stop.
 */
#ifndef CONG_GATEWAY_JOBS_H
#define CONG_GATEWAY_JOBS_H

#include "cong/module.h"
#include "gateway/gateway.h"

#define CONG_JOB_MIN_INTERVAL_MS 100

typedef struct cong_jobs cong_jobs_t;

/** Adds a job (`owner` and `name` are copied, for log lines). Returns its id (≥ 0) for cong_jobs_wake, or CONG_EINVAL
 *  (bad name or interval), CONG_ESTATE (the thread runs already), CONG_ENOMEM. */
int cong_jobs_add(cong_gateway_t *gw, const char *owner, const char *name, long long interval_ms, cong_job_fn fn,
                  void *udata);
/** Starts the thread (nothing to do without jobs). 0 or CONG_ENOMEM. */
int cong_jobs_start(cong_gateway_t *gw);
/** Runs `fn` once, now, on the calling thread, with a job context of its own (job_pg_exec on the table's connection,
 *  opened on first use, closed by cong_jobs_stop): the administrative commands (module_commands.h). Never once the
 *  thread runs (CONG_ESTATE). `owner` and `name` are borrowed for the run (log lines). 0, CONG_ENOMEM. */
int cong_jobs_run_here(cong_gateway_t *gw, const char *owner, const char *name, cong_job_fn fn, void *udata);
/** The job's next run as soon as the thread is free. Any thread; a no-op before start or after stop. */
void cong_jobs_wake(cong_gateway_t *gw, int id);
/** Stops the thread (a run under way finishes; job_stopping tells it to hurry), closes its connection, frees the
 *  table. Safe when nothing was started. */
void cong_jobs_stop(cong_gateway_t *gw);

/* The job members of the module ABI (1.3); cong_loader_register_job is in module_loader.c. */
int cong_job_pg_exec(cong_job_t *job, const char *sql, int nparams, const char *const *params,
                     cong_pg_result_t **result);
void cong_job_pg_clear(cong_pg_result_t *result);
int cong_job_stopping(cong_job_t *job);
/** The gateway a job (or a command) runs in, for the host's own job-side members (revocation_sync.c). */
cong_gateway_t *cong_job_gateway(cong_job_t *job);

#endif
