/* gateway/stores/postgres.c — the PostgreSQL pool and its queries: the FIFO queue, each query's deadline, the answer
 * (postgres.h states the contract, postgres_internal.h what this file shares with postgres_conn.c, each connection's
 * life). */
#include "postgres.h"

#include <stdlib.h>
#include <string.h>

#include "cong/errors.h"
#include "postgres_internal.h"

/* statement_timeout = the deadline plus this: the server ends a statement whose cancel was lost or never sent, yet
 * never before the pool's own deadline (which also counts the wait in the queue). */
#define STATEMENT_TIMEOUT_MARGIN_MS 250

/* ---- queries ---- */

static void free_query(uv_handle_t *h)
{
    pg_query_t *q = h->data;
    for (int i = 0; i < q->nparams; i++)
        free(q->params[i]);
    free(q->params);
    free(q->sql);
    free(q);
}

void cong_pg_query_finish(pg_query_t *q, int err)
{
    uv_timer_stop(&q->deadline);
    if (!q->answered) {
        q->answered = 1;
        q->cb(err, err == 0 || err == CONG_EQUERY ? q->result : NULL, q->udata);
    }
    if (q->result != NULL) {
        PQclear(q->result);
        q->result = NULL;
    }
    uv_close((uv_handle_t *)&q->deadline, free_query);
}

static pg_query_t *queue_pop(cong_pg_pool_t *pool)
{
    pg_query_t *q = pool->queue_head;
    if (q != NULL) {
        pool->queue_head = q->next;
        if (pool->queue_head == NULL)
            pool->queue_tail = NULL;
        pool->queued--;
        q->next = NULL;
    }
    return q;
}

static void queue_remove(cong_pg_pool_t *pool, pg_query_t *q)
{
    pg_query_t **link = &pool->queue_head, *prev = NULL;
    while (*link != NULL && *link != q) {
        prev = *link;
        link = &(*link)->next;
    }
    if (*link == NULL)
        return;
    *link = q->next;
    if (pool->queue_tail == q)
        pool->queue_tail = prev;
    pool->queued--;
    q->next = NULL;
}

void cong_pg_pool_fail_queue(cong_pg_pool_t *pool, int err)
{
    pg_query_t *q;
    while ((q = queue_pop(pool)) != NULL)
        cong_pg_query_finish(q, err);
}

static void on_query_deadline(uv_timer_t *t);

/* What is left of q's deadline (timeout_ms from when it was queued), at least 1 ms. */
static uint64_t deadline_left_ms(const pg_query_t *q)
{
    uint64_t waited = uv_now(q->pool->loop) - q->queued_at, timeout = (uint64_t)q->pool->timeout_ms;
    return waited < timeout ? timeout - waited : 1;
}

void cong_pg_pool_dispatch(cong_pg_pool_t *pool)
{
    for (int i = 0; i < pool->size && pool->queue_head != NULL; i++) {
        pg_conn_t *c = &pool->conns[i];
        if (c->state == CONN_IDLE) {
            pg_query_t *q = queue_pop(pool);
            if (pool->wait_ms > 0) /* the timer measured the wait bound: from now on, the deadline */
                uv_timer_start(&q->deadline, on_query_deadline, deadline_left_ms(q), 0);
            cong_pg_conn_run(c, q);
        }
    }
}

static void on_query_deadline(uv_timer_t *t)
{
    pg_query_t *q = t->data;
    cong_pg_pool_t *pool = q->pool;
    if (q->running_on == NULL) {
        /* still queued: past the wait bound (shed, CONG_EBUSY) unless the deadline itself came first */
        int shed = pool->wait_ms > 0 && pool->wait_ms < pool->timeout_ms;
        queue_remove(pool, q);
        pool->shed += (unsigned long long)shed;
        cong_pg_query_finish(q, shed ? CONG_EBUSY : CONG_ETIMEDOUT);
        return;
    }
    pg_conn_t *c = q->running_on;
    c->query = NULL;
    cong_pg_conn_cancel_statement(c);
    cong_pg_query_finish(q, CONG_ETIMEDOUT);
}

int cong_pg_query(cong_pg_pool_t *pool, const char *sql, int nparams, const char *const *params, cong_pg_query_cb cb,
                  void *udata)
{
    if (sql == NULL || cb == NULL || nparams < 0 || (nparams > 0 && params == NULL))
        return CONG_EINVAL;
    if (pool->closing || cong_pg_pool_up(pool) == 0)
        return CONG_EUNAVAILABLE;
    if (pool->queued >= pool->max_queue) {
        pool->shed++;
        return CONG_EBUSY;
    }
    pg_query_t *q = calloc(1, sizeof *q);
    if (q == NULL)
        return CONG_ENOMEM;
    q->pool = pool;
    q->cb = cb;
    q->udata = udata;
    q->sql = strdup(sql);
    q->params = nparams > 0 ? calloc((size_t)nparams, sizeof *q->params) : NULL;
    int ok = q->sql != NULL && (nparams == 0 || q->params != NULL);
    for (int i = 0; ok && i < nparams; i++) {
        if (params[i] != NULL && (q->params[i] = strdup(params[i])) == NULL)
            ok = 0;
        q->nparams = i + 1;
    }
    if (!ok) {
        for (int i = 0; i < q->nparams; i++)
            free(q->params[i]);
        free(q->params);
        free(q->sql);
        free(q);
        return CONG_ENOMEM;
    }
    uv_timer_init(pool->loop, &q->deadline);
    q->deadline.data = q;
    q->queued_at = uv_now(pool->loop);
    int wait = pool->wait_ms > 0 && pool->wait_ms < pool->timeout_ms ? pool->wait_ms : pool->timeout_ms;
    uv_timer_start(&q->deadline, on_query_deadline, (uint64_t)wait, 0);
    if (pool->queue_tail != NULL)
        pool->queue_tail->next = q;
    else
        pool->queue_head = q;
    pool->queue_tail = q;
    pool->queued++;
    cong_pg_pool_dispatch(pool);
    return 0;
}

static void free_pool(cong_pg_pool_t *pool)
{
    cong_pg_conninfo_free(&pool->conninfo);
    free(pool->conns);
    free(pool);
}

cong_pg_pool_t *cong_pg_pool_new(uv_loop_t *loop, const char *conninfo, int size, int timeout_ms, int max_queue)
{
    cong_pg_pool_t *pool = calloc(1, sizeof *pool);
    if (pool == NULL)
        return NULL;
    pool->timeout_ms = timeout_ms;
    pool->conns = calloc((size_t)size, sizeof *pool->conns);
    if (pool->conns == NULL ||
        cong_pg_conninfo_init(&pool->conninfo, conninfo, timeout_ms + STATEMENT_TIMEOUT_MARGIN_MS) != 0) {
        free_pool(pool);
        return NULL;
    }
    pool->loop = loop;
    pool->size = size;
    pool->max_queue = max_queue;
    for (int i = 0; i < size; i++) {
        pg_conn_t *c = &pool->conns[i];
        c->pool = pool;
        c->backoff_ms = BACKOFF_MIN_MS;
        uv_timer_init(loop, &c->timer);
        c->timer.data = c;
        pool->open_timers++;
        cong_pg_conn_start(c);
    }
    return pool;
}

int cong_pg_pool_up(const cong_pg_pool_t *pool)
{
    int up = 0;
    for (int i = 0; i < pool->size; i++)
        up += pool->conns[i].state == CONN_IDLE || pool->conns[i].state == CONN_BUSY ||
              pool->conns[i].state == CONN_CANCELLING;
    return up;
}

int cong_pg_pool_size(const cong_pg_pool_t *pool)
{
    return pool->size;
}

int cong_pg_pool_size_for_machine(int cores, int workers)
{
    enum { PER_CORE = 8, MIN_PER_WORKER = 4, MAX_PER_WORKER = 64 };
    if (cores < 1)
        cores = 1;
    if (workers < 1)
        workers = 1;
    int size = (PER_CORE * cores + workers - 1) / workers;
    return size < MIN_PER_WORKER ? MIN_PER_WORKER : size > MAX_PER_WORKER ? MAX_PER_WORKER : size;
}

void cong_pg_pool_set_wait_bound(cong_pg_pool_t *pool, int wait_ms)
{
    pool->wait_ms = wait_ms > 0 ? wait_ms : 0;
}

unsigned long long cong_pg_pool_shed(const cong_pg_pool_t *pool)
{
    return pool->shed;
}

/* Freed once no timer and no cancel job refers to its connections. */
void cong_pg_pool_free_if_done(cong_pg_pool_t *pool)
{
    if (pool->open_timers == 0 && pool->cancels_running == 0)
        free_pool(pool);
}

static void on_conn_timer_closed(uv_handle_t *h)
{
    pg_conn_t *c = h->data;
    cong_pg_pool_t *pool = c->pool;
    pool->open_timers--;
    cong_pg_pool_free_if_done(pool);
}

void cong_pg_pool_close(cong_pg_pool_t *pool)
{
    pool->closing = 1;
    cong_pg_pool_fail_queue(pool, CONG_EUNAVAILABLE);
    for (int i = 0; i < pool->size; i++) {
        pg_conn_t *c = &pool->conns[i];
        cong_pg_conn_lost(c, CONG_EUNAVAILABLE);
        c->state = CONN_CLOSED;
        uv_timer_stop(&c->timer);
        uv_close((uv_handle_t *)&c->timer, on_conn_timer_closed);
    }
}
