/* gateway/stores/postgres_conn.c — one connection of the PostgreSQL pool: connect, send, read results, cancel a
 * statement past its deadline, reconnect with backoff (postgres.h states the pool's contract, postgres_internal.h
 * what this file shares with postgres.c, the pool and its queries). */
#include <stdlib.h>

#include "cong/errors.h"
#include "common/common.h"
#include "postgres_cancel.h"
#include "postgres_internal.h"
#include "postgres_result.h"

static void free_handle(uv_handle_t *h)
{
    free(h);
}

static void close_poll(pg_conn_t *c)
{
    if (c->poll != NULL) {
        uv_poll_stop(c->poll);
        uv_close((uv_handle_t *)c->poll, free_handle);
        c->poll = NULL;
    }
}

static void on_poll(uv_poll_t *h, int status, int events);

static int watch(pg_conn_t *c, int events)
{
    int fd = PQsocket(c->conn);
    if (fd < 0)
        return -1;
    if (c->poll != NULL && c->poll_fd != fd)
        close_poll(c);
    if (c->poll == NULL) {
        c->poll = malloc(sizeof *c->poll);
        if (c->poll == NULL)
            return -1;
        if (uv_poll_init(c->pool->loop, c->poll, fd) != 0) {
            free(c->poll);
            c->poll = NULL;
            return -1;
        }
        c->poll->data = c;
        c->poll_fd = fd;
    }
    return uv_poll_start(c->poll, events, on_poll);
}

static void on_conn_timer(uv_timer_t *t)
{
    pg_conn_t *c = t->data;
    if (c->state == CONN_DOWN) {
        cong_pg_conn_start(c);
    } else if (c->state == CONN_CANCELLING) {
        cong_log(CONG_LOG_WARN, "postgres", "a cancelled statement did not end in time; resetting its connection");
        cong_pg_conn_lost(c, CONG_EUNAVAILABLE);
    } else if (c->state == CONN_CONNECTING) {
        cong_log(CONG_LOG_WARN, "postgres", "connect timed out");
        close_poll(c);
        PQfinish(c->conn);
        c->conn = NULL;
        c->state = CONN_DOWN;
        uv_timer_start(&c->timer, on_conn_timer, c->backoff_ms, 0);
    }
}

/* The connection is gone: fail its query, close it, come back after a backoff. */
void cong_pg_conn_lost(pg_conn_t *c, int err)
{
    cong_pg_pool_t *pool = c->pool;
    int was_up = c->state == CONN_IDLE || c->state == CONN_BUSY || c->state == CONN_CANCELLING;
    pg_query_t *q = c->query;
    c->query = NULL;
    close_poll(c);
    if (c->conn != NULL)
        PQfinish(c->conn);
    c->conn = NULL;
    c->state = CONN_DOWN;
    c->generation++;
    c->cancel_running = 0;
    if (was_up && !pool->closing)
        cong_log(CONG_LOG_WARN, "postgres", "connection lost; reconnecting");
    if (q != NULL)
        cong_pg_query_finish(q, err);
    if (cong_pg_pool_up(pool) == 0)
        cong_pg_pool_fail_queue(pool, CONG_EUNAVAILABLE);
    if (!pool->closing) {
        uv_timer_start(&c->timer, on_conn_timer, c->backoff_ms, 0);
        c->backoff_ms = c->backoff_ms * 2 > BACKOFF_MAX_MS ? BACKOFF_MAX_MS : c->backoff_ms * 2;
        if (c->backoff_ms < BACKOFF_MIN_MS)
            c->backoff_ms = BACKOFF_MIN_MS;
    }
}

static void continue_connect(pg_conn_t *c)
{
    switch (PQconnectPoll(c->conn)) {
    case PGRES_POLLING_READING:
        if (watch(c, UV_READABLE) != 0)
            cong_pg_conn_lost(c, CONG_EUNAVAILABLE);
        return;
    case PGRES_POLLING_WRITING:
        if (watch(c, UV_WRITABLE) != 0)
            cong_pg_conn_lost(c, CONG_EUNAVAILABLE);
        return;
    case PGRES_POLLING_OK:
        uv_timer_stop(&c->timer);
        if (PQsetnonblocking(c->conn, 1) != 0 || watch(c, UV_READABLE) != 0) {
            cong_pg_conn_lost(c, CONG_EUNAVAILABLE);
            return;
        }
        if (c->backoff_ms > BACKOFF_MIN_MS || cong_pg_pool_up(c->pool) == 0)
            cong_log(CONG_LOG_INFO, "postgres", "connected");
        c->state = CONN_IDLE;
        c->backoff_ms = BACKOFF_MIN_MS;
        cong_pg_pool_dispatch(c->pool);
        return;
    default:
        cong_pg_conn_lost(c, CONG_EUNAVAILABLE);
        return;
    }
}

void cong_pg_conn_start(pg_conn_t *c)
{
    c->conn = cong_pg_conninfo_connect_start(&c->pool->conninfo);
    if (c->conn == NULL || PQstatus(c->conn) == CONNECTION_BAD) {
        cong_pg_conn_lost(c, CONG_EUNAVAILABLE);
        return;
    }
    c->state = CONN_CONNECTING;
    uv_timer_start(&c->timer, on_conn_timer, (uint64_t)c->pool->timeout_ms, 0);
    if (watch(c, UV_WRITABLE) != 0)
        cong_pg_conn_lost(c, CONG_EUNAVAILABLE);
}

static void flush_and_watch(pg_conn_t *c)
{
    int f = PQflush(c->conn);
    if (f < 0) {
        cong_pg_conn_lost(c, CONG_EUNAVAILABLE);
        return;
    }
    c->flushing = f == 1;
    if (watch(c, c->flushing ? UV_READABLE | UV_WRITABLE : UV_READABLE) != 0)
        cong_pg_conn_lost(c, CONG_EUNAVAILABLE);
}

static void become_idle(pg_conn_t *c)
{
    uv_timer_stop(&c->timer);
    c->state = CONN_IDLE;
    cong_pg_pool_dispatch(c->pool);
}

static void collect_results(pg_conn_t *c)
{
    while (!PQisBusy(c->conn)) {
        PGresult *res = PQgetResult(c->conn);
        if (res != NULL) {
            if (c->query != NULL)
                c->query->result = cong_pg_result_fold(c->query->result, res);
            else
                PQclear(res);
            continue;
        }
        if (c->state == CONN_CANCELLING) {
            c->statement_over = 1;
            if (!c->cancel_running)
                become_idle(c);
            return;
        }
        pg_query_t *q = c->query;
        c->query = NULL;
        c->state = CONN_IDLE;
        if (q != NULL)
            cong_pg_query_finish(q, cong_pg_result_error(q->result));
        cong_pg_pool_dispatch(c->pool);
        return;
    }
}

static void on_poll(uv_poll_t *h, int status, int events)
{
    pg_conn_t *c = h->data;
    if (c->state == CONN_CONNECTING) {
        continue_connect(c);
        return;
    }
    if (status < 0) {
        cong_pg_conn_lost(c, CONG_EUNAVAILABLE);
        return;
    }
    if ((events & UV_WRITABLE) && c->flushing) {
        flush_and_watch(c);
        if (c->state == CONN_DOWN)
            return;
    }
    if (events & UV_READABLE) {
        if (!PQconsumeInput(c->conn)) {
            cong_pg_conn_lost(c, CONG_EUNAVAILABLE);
            return;
        }
        PGnotify *n;
        while ((n = PQnotifies(c->conn)) != NULL)
            PQfreemem(n);
    }
    if (PQstatus(c->conn) == CONNECTION_BAD) {
        cong_pg_conn_lost(c, CONG_EUNAVAILABLE);
        return;
    }
    if (c->state == CONN_BUSY || c->state == CONN_CANCELLING)
        collect_results(c);
}

void cong_pg_conn_run(pg_conn_t *c, pg_query_t *q)
{
    c->state = CONN_BUSY;
    c->query = q;
    q->running_on = c;
    if (!PQsendQueryParams(c->conn, q->sql, q->nparams, NULL, (const char *const *)q->params, NULL, NULL, 0)) {
        cong_pg_conn_lost(c, CONG_EUNAVAILABLE);
        return;
    }
    flush_and_watch(c);
}

static void on_cancel_done(void *udata, unsigned long generation, int sent)
{
    (void)sent; /* not sent: the statement runs on until its statement_timeout; the connection's timer bounds that */
    pg_conn_t *c = udata;
    cong_pg_pool_t *pool = c->pool;
    pool->cancels_running--;
    if (generation == c->generation && c->state == CONN_CANCELLING) {
        c->cancel_running = 0;
        if (c->statement_over)
            become_idle(c);
    }
    if (pool->closing)
        cong_pg_pool_free_if_done(pool);
}

/* The connection's statement is past its deadline (its caller is being answered): have the server stop it. Without a
 * free cancel slot the connection is reset instead, and its statement_timeout stops the statement on the server. */
void cong_pg_conn_cancel_statement(pg_conn_t *c)
{
    cong_pg_pool_t *pool = c->pool;
    c->state = CONN_CANCELLING;
    c->statement_over = 0;
    if (cong_pg_cancel_send(pool->loop, c->conn, on_cancel_done, c, c->generation) != 0) {
        cong_log(CONG_LOG_WARN, "postgres", "query timed out after %d ms; resetting its connection", pool->timeout_ms);
        c->backoff_ms = 0;
        cong_pg_conn_lost(c, CONG_EUNAVAILABLE);
        return;
    }
    cong_log(CONG_LOG_WARN, "postgres", "query timed out after %d ms; cancelling it on the server", pool->timeout_ms);
    c->cancel_running = 1;
    pool->cancels_running++;
    uv_timer_start(&c->timer, on_conn_timer, (uint64_t)pool->timeout_ms, 0);
}
