/* Periodic jobs on the gateway's job thread (contract in jobs.h). */
#include "jobs.h"

#include <ctype.h>
#include <libpq-fe.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <time.h>

#include "common/common.h"
#include "module_loader.h"

typedef struct job {
    char *owner, *name;
    long long interval_ms;
    cong_job_fn fn;
    void *udata;
    long long due_ms; /* monotonic; 0 = now */
} job_t;

struct cong_jobs {
    cong_gateway_t *gw;
    job_t *list;
    size_t count;
    pthread_t thread;
    pthread_mutex_t lock;
    pthread_cond_t changed; /* a wake or the stop; waits on CLOCK_MONOTONIC */
    int started;
    atomic_int stopping;
    PGconn *pg;             /* the job thread's only */
};

struct cong_job {
    cong_jobs_t *jobs;
    const job_t *job;
};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int name_ok(const char *name)
{
    if (name == NULL || name[0] == '\0' || strlen(name) > 64)
        return 0;
    for (const char *p = name; *p; p++)
        if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '_'))
            return 0;
    return 1;
}

static cong_jobs_t *jobs_of(cong_gateway_t *gw)
{
    if (gw->jobs != NULL)
        return gw->jobs;
    cong_jobs_t *j = calloc(1, sizeof *j);
    pthread_condattr_t attr;
    if (j == NULL || pthread_condattr_init(&attr) != 0) {
        free(j);
        return NULL;
    }
    pthread_condattr_setclock(&attr, CLOCK_MONOTONIC);
    pthread_mutex_init(&j->lock, NULL);
    pthread_cond_init(&j->changed, &attr);
    pthread_condattr_destroy(&attr);
    j->gw = gw;
    return gw->jobs = j;
}

int cong_jobs_add(cong_gateway_t *gw, const char *owner, const char *name, long long interval_ms, cong_job_fn fn,
                  void *udata)
{
    if (fn == NULL || !name_ok(name) || owner == NULL || interval_ms < CONG_JOB_MIN_INTERVAL_MS ||
        interval_ms > 7LL * 24 * 3600 * 1000)
        return CONG_EINVAL;
    cong_jobs_t *j = jobs_of(gw);
    if (j == NULL)
        return CONG_ENOMEM;
    if (j->started)
        return CONG_ESTATE;
    job_t *list = realloc(j->list, (j->count + 1) * sizeof *list);
    if (list == NULL)
        return CONG_ENOMEM;
    j->list = list;
    job_t *e = &list[j->count];
    *e = (job_t){strdup(owner), strdup(name), interval_ms, fn, udata, 0};
    if (e->owner == NULL || e->name == NULL) {
        free(e->owner);
        free(e->name);
        return CONG_ENOMEM;
    }
    return (int)j->count++;
}

/* ---- the thread's PostgreSQL connection ---- */

static void ignore_notice(void *arg, const char *message)
{
    (void)arg, (void)message;
}

static PGconn *connection(cong_jobs_t *j)
{
    if (j->pg != NULL && PQstatus(j->pg) == CONNECTION_OK)
        return j->pg;
    PQfinish(j->pg);
    const cong_config_t *cfg = j->gw->config;
    char timeout[24];
    snprintf(timeout, sizeof timeout, "%d", cfg->postgres.timeout_ms);
    /* conninfo first, then what bounds a blocking wait: connecting, and a peer that stops answering */
    const char *const keys[] = {"dbname", "connect_timeout", "tcp_user_timeout", "application_name", NULL};
    char name[96], host[64] = ""; /* names the instance in the audit records its jobs and commands write */
    gethostname(host, sizeof host - 1);
    snprintf(name, sizeof name, "cong-jobs %s:%ld", host, (long)getpid());
    const char *const values[] = {cfg->postgres.conninfo, "5", timeout, name, NULL};
    j->pg = PQconnectdbParams(keys, values, 1);
    if (PQstatus(j->pg) != CONNECTION_OK) {
        cong_log(CONG_LOG_WARN, "jobs", "cannot connect to PostgreSQL; the next statement tries again");
        PQfinish(j->pg);
        return j->pg = NULL;
    }
    PQsetNoticeProcessor(j->pg, ignore_notice, NULL);
    char set[64];
    snprintf(set, sizeof set, "SET statement_timeout = %d", cfg->postgres.timeout_ms);
    PQclear(PQexec(j->pg, set));
    return j->pg;
}

int cong_job_pg_exec(cong_job_t *job, const char *sql, int nparams, const char *const *params,
                     cong_pg_result_t **result)
{
    if (result != NULL)
        *result = NULL;
    if (job == NULL || sql == NULL || nparams < 0 || (nparams > 0 && params == NULL))
        return CONG_EINVAL;
    PGconn *c = connection(job->jobs);
    if (c == NULL)
        return CONG_EUNAVAILABLE;
    PGresult *res = PQexecParams(c, sql, nparams, NULL, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(res);
    if (st == PGRES_TUPLES_OK || st == PGRES_COMMAND_OK) {
        if (result != NULL)
            *result = (cong_pg_result_t *)res;
        else
            PQclear(res);
        return 0;
    }
    const char *state = res != NULL ? PQresultErrorField(res, PG_DIAG_SQLSTATE) : NULL;
    int rc = PQstatus(c) != CONNECTION_OK       ? CONG_EUNAVAILABLE
             : state && !strcmp(state, "57014") ? CONG_ETIMEDOUT /* statement_timeout */
                                                : CONG_EQUERY;
    /* the SQLSTATE only: a message may quote a value */
    cong_log(CONG_LOG_WARN, "jobs", "%s/%s: a statement failed (%s, SQLSTATE %s)", job->job->owner, job->job->name,
             cong_module_api.strerror(rc), state ? state : "none");
    PQclear(res);
    return rc;
}

void cong_job_pg_clear(cong_pg_result_t *result)
{
    PQclear((PGresult *)result);
}

cong_gateway_t *cong_job_gateway(cong_job_t *job)
{
    return job->jobs->gw;
}

int cong_job_stopping(cong_job_t *job)
{
    return job == NULL || atomic_load(&job->jobs->stopping) || job->jobs->gw->stop_requested;
}

/* ---- the thread ---- */

/* After a run: a transaction left open is rolled back, a connection in doubt is dropped. */
static void tidy_connection(cong_jobs_t *j)
{
    if (j->pg == NULL)
        return;
    PGTransactionStatusType t = PQtransactionStatus(j->pg);
    if (t == PQTRANS_INTRANS || t == PQTRANS_INERROR)
        PQclear(PQexec(j->pg, "ROLLBACK"));
    if (PQtransactionStatus(j->pg) != PQTRANS_IDLE) {
        PQfinish(j->pg);
        j->pg = NULL;
    }
}

/* The job due first, and when (called with the lock held). */
static job_t *next_job(cong_jobs_t *j, long long *due)
{
    job_t *next = NULL;
    for (size_t i = 0; i < j->count; i++)
        if (next == NULL || j->list[i].due_ms < next->due_ms)
            next = &j->list[i];
    *due = next != NULL ? next->due_ms : 0;
    return next;
}

static void *run(void *arg)
{
    cong_jobs_t *j = arg;
    pthread_mutex_lock(&j->lock);
    while (!atomic_load(&j->stopping)) {
        long long due = 0;
        job_t *next = next_job(j, &due);
        if (due > now_ms()) {
            struct timespec until = {(time_t)(due / 1000), (long)(due % 1000) * 1000000};
            pthread_cond_timedwait(&j->changed, &j->lock, &until);
            continue;
        }
        next->due_ms = now_ms() + next->interval_ms; /* a wake during the run brings it forward again */
        pthread_mutex_unlock(&j->lock);
        cong_job_t job = {j, next};
        next->fn(&job, next->udata);
        tidy_connection(j);
        pthread_mutex_lock(&j->lock);
    }
    pthread_mutex_unlock(&j->lock);
    PQfinish(j->pg);
    j->pg = NULL;
    return NULL;
}

int cong_jobs_start(cong_gateway_t *gw)
{
    cong_jobs_t *j = gw->jobs;
    if (j == NULL || j->count == 0 || j->started)
        return 0;
    long long now = now_ms();
    for (size_t i = 0; i < j->count; i++)
        j->list[i].due_ms = now + j->list[i].interval_ms;
    if (pthread_create(&j->thread, NULL, run, j) != 0)
        return CONG_ENOMEM;
    j->started = 1;
    return 0;
}

int cong_jobs_run_here(cong_gateway_t *gw, const char *owner, const char *name, cong_job_fn fn, void *udata)
{
    cong_jobs_t *j = jobs_of(gw);
    if (j == NULL)
        return CONG_ENOMEM;
    if (j->started) /* the connection is the job thread's */
        return CONG_ESTATE;
    job_t once = {(char *)owner, (char *)name, 0, fn, udata, 0};
    cong_job_t job = {j, &once};
    fn(&job, udata);
    tidy_connection(j);
    return 0;
}

void cong_jobs_wake(cong_gateway_t *gw, int id)
{
    cong_jobs_t *j = gw->jobs;
    if (j == NULL || id < 0 || (size_t)id >= j->count)
        return;
    pthread_mutex_lock(&j->lock);
    j->list[id].due_ms = 0;
    pthread_cond_signal(&j->changed);
    pthread_mutex_unlock(&j->lock);
}

void cong_jobs_stop(cong_gateway_t *gw)
{
    cong_jobs_t *j = gw->jobs;
    if (j == NULL)
        return;
    if (j->started) {
        pthread_mutex_lock(&j->lock);
        atomic_store(&j->stopping, 1);
        pthread_cond_signal(&j->changed);
        pthread_mutex_unlock(&j->lock);
        pthread_join(j->thread, NULL);
    }
    PQfinish(j->pg); /* cong_jobs_run_here's; the thread closed its own */
    for (size_t i = 0; i < j->count; i++) {
        free(j->list[i].owner);
        free(j->list[i].name);
    }
    free(j->list);
    pthread_cond_destroy(&j->changed);
    pthread_mutex_destroy(&j->lock);
    free(j);
    gw->jobs = NULL;
}
