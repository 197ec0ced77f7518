#include "postgres_cancel.h"

#include <stdatomic.h>
#include <stdlib.h>

#include "cong/errors.h"
#include "common/common.h"

/* Cancels running in the whole process: every worker's pool shares libuv's thread pool. */
static atomic_int cancels_running;

typedef struct cancel_job {
    uv_work_t work;
    PGcancel *cancel;
    cong_pg_cancel_cb cb;
    void *udata;
    unsigned long tag;
    int sent;
    char error[256];
} cancel_job_t;

static void cancel_in_pool(uv_work_t *work)
{
    cancel_job_t *job = work->data;
    job->sent = PQcancel(job->cancel, job->error, sizeof job->error);
}

static void after_cancel(uv_work_t *work, int status)
{
    cancel_job_t *job = work->data;
    atomic_fetch_sub(&cancels_running, 1);
    int sent = status == 0 && job->sent;
    if (status == 0 && !job->sent)
        cong_log(CONG_LOG_WARN, "postgres", "cancel request not delivered: %s", job->error);
    PQfreeCancel(job->cancel);
    job->cb(job->udata, job->tag, sent);
    free(job);
}

int cong_pg_cancel_send(uv_loop_t *loop, PGconn *conn, cong_pg_cancel_cb cb, void *udata, unsigned long tag)
{
    if (atomic_fetch_add(&cancels_running, 1) >= CONG_PG_CANCELS_MAX) {
        atomic_fetch_sub(&cancels_running, 1);
        return CONG_EBUSY;
    }
    cancel_job_t *job = malloc(sizeof *job);
    PGcancel *cancel = job != NULL ? PQgetCancel(conn) : NULL;
    if (cancel == NULL) {
        int rc = job == NULL ? CONG_ENOMEM : CONG_EIO;
        free(job);
        atomic_fetch_sub(&cancels_running, 1);
        return rc;
    }
    *job = (cancel_job_t){.cancel = cancel, .cb = cb, .udata = udata, .tag = tag};
    job->work.data = job;
    if (uv_queue_work(loop, &job->work, cancel_in_pool, after_cancel) != 0) {
        PQfreeCancel(cancel);
        free(job);
        atomic_fetch_sub(&cancels_running, 1);
        return CONG_EIO;
    }
    return 0;
}
