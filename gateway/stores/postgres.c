#include "postgres.h"

#include <stdlib.h>
#include <string.h>

#include "cong/errors.h"
#include "common/log.h"
#include "postgres_cancel.h"
#include "postgres_conninfo.h"
#include "postgres_result.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 2000
/* statement_timeout = the deadline plus this: the server ends a statement whose cancel was lost or never sent, yet
 * never before the pool's own deadline (which also counts the wait in the queue). */
#define STATEMENT_TIMEOUT_MARGIN_MS 250

typedef struct pg_conn pg_conn_t;

typedef struct pg_query {
    struct pg_query *next; /* queue link */
    cong_pg_pool_t *pool;
    char *sql;
    int nparams;
    char **params;
    cong_pg_query_cb cb;
    void *udata;
    uv_timer_t deadline;
    pg_conn_t *running_on; /* NULL while queued */
    int answered;
    PGresult *result; /* what the caller sees of the reply (postgres_result.h) */
} pg_query_t;

/* CONN_CANCELLING: its query was answered (deadline) and a cancel is on its way; the connection is used again only
 * once the server has finished the statement AND the cancel job is over, so a late cancel cannot hit the next query. */
enum conn_state { CONN_DOWN, CONN_CONNECTING, CONN_IDLE, CONN_BUSY, CONN_CANCELLING, CONN_CLOSED };

struct pg_conn {
    cong_pg_pool_t *pool;
    PGconn *conn;
    uv_poll_t *poll; /* heap-allocated: the socket may change while connecting */
    int poll_fd;
    enum conn_state state;
    pg_query_t *query;
    uv_timer_t timer; /* connect timeout, reconnect backoff, or how long a cancel may take */
    unsigned backoff_ms;
    int flushing;
    unsigned long generation; /* bumped when the connection is lost: a cancel job of an older one is stale */
    int cancel_running;       /* CONN_CANCELLING: the cancel job is not over */
    int statement_over;       /* CONN_CANCELLING: the server has sent its last result */
};

struct cong_pg_pool {
    uv_loop_t *loop;
    cong_pg_conninfo_t conninfo; /* with a statement_timeout */
    int size, timeout_ms, max_queue;
    pg_conn_t *conns;
    pg_query_t *queue_head, *queue_tail;
    int queued;
    int closing;
    int open_timers;
    int cancels_running; /* jobs that still point at this pool's connections */
};

static void conn_start(pg_conn_t *c);
static void conn_lost(pg_conn_t *c, int err);
static void dispatch(cong_pg_pool_t *pool);

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

static void finish_query(pg_query_t *q, int err)
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

static void fail_queue(cong_pg_pool_t *pool, int err)
{
    pg_query_t *q;
    while ((q = queue_pop(pool)) != NULL)
        finish_query(q, err);
}

/* ---- connections ---- */

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

static int pool_up(const cong_pg_pool_t *pool)
{
    int up = 0;
    for (int i = 0; i < pool->size; i++)
        up += pool->conns[i].state == CONN_IDLE || pool->conns[i].state == CONN_BUSY ||
              pool->conns[i].state == CONN_CANCELLING;
    return up;
}

static void on_conn_timer(uv_timer_t *t)
{
    pg_conn_t *c = t->data;
    if (c->state == CONN_DOWN) {
        conn_start(c);
    } else if (c->state == CONN_CANCELLING) {
        cong_log(CONG_LOG_WARN, "postgres", "a cancelled statement did not end in time; resetting its connection");
        conn_lost(c, CONG_EUNAVAILABLE);
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
static void conn_lost(pg_conn_t *c, int err)
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
        finish_query(q, err);
    if (pool_up(pool) == 0)
        fail_queue(pool, CONG_EUNAVAILABLE);
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
            conn_lost(c, CONG_EUNAVAILABLE);
        return;
    case PGRES_POLLING_WRITING:
        if (watch(c, UV_WRITABLE) != 0)
            conn_lost(c, CONG_EUNAVAILABLE);
        return;
    case PGRES_POLLING_OK:
        uv_timer_stop(&c->timer);
        if (PQsetnonblocking(c->conn, 1) != 0 || watch(c, UV_READABLE) != 0) {
            conn_lost(c, CONG_EUNAVAILABLE);
            return;
        }
        if (c->backoff_ms > BACKOFF_MIN_MS || pool_up(c->pool) == 0)
            cong_log(CONG_LOG_INFO, "postgres", "connected");
        c->state = CONN_IDLE;
        c->backoff_ms = BACKOFF_MIN_MS;
        dispatch(c->pool);
        return;
    default:
        conn_lost(c, CONG_EUNAVAILABLE);
        return;
    }
}

static void conn_start(pg_conn_t *c)
{
    c->conn = cong_pg_conninfo_connect_start(&c->pool->conninfo);
    if (c->conn == NULL || PQstatus(c->conn) == CONNECTION_BAD) {
        conn_lost(c, CONG_EUNAVAILABLE);
        return;
    }
    c->state = CONN_CONNECTING;
    uv_timer_start(&c->timer, on_conn_timer, (uint64_t)c->pool->timeout_ms, 0);
    if (watch(c, UV_WRITABLE) != 0)
        conn_lost(c, CONG_EUNAVAILABLE);
}

static void flush_and_watch(pg_conn_t *c)
{
    int f = PQflush(c->conn);
    if (f < 0) {
        conn_lost(c, CONG_EUNAVAILABLE);
        return;
    }
    c->flushing = f == 1;
    if (watch(c, c->flushing ? UV_READABLE | UV_WRITABLE : UV_READABLE) != 0)
        conn_lost(c, CONG_EUNAVAILABLE);
}

static void become_idle(pg_conn_t *c)
{
    uv_timer_stop(&c->timer);
    c->state = CONN_IDLE;
    dispatch(c->pool);
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
            finish_query(q, cong_pg_result_error(q->result));
        dispatch(c->pool);
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
        conn_lost(c, CONG_EUNAVAILABLE);
        return;
    }
    if ((events & UV_WRITABLE) && c->flushing) {
        flush_and_watch(c);
        if (c->state == CONN_DOWN)
            return;
    }
    if (events & UV_READABLE) {
        if (!PQconsumeInput(c->conn)) {
            conn_lost(c, CONG_EUNAVAILABLE);
            return;
        }
        PGnotify *n;
        while ((n = PQnotifies(c->conn)) != NULL)
            PQfreemem(n);
    }
    if (PQstatus(c->conn) == CONNECTION_BAD) {
        conn_lost(c, CONG_EUNAVAILABLE);
        return;
    }
    if (c->state == CONN_BUSY || c->state == CONN_CANCELLING)
        collect_results(c);
}

static void run_on(pg_conn_t *c, pg_query_t *q)
{
    c->state = CONN_BUSY;
    c->query = q;
    q->running_on = c;
    if (!PQsendQueryParams(c->conn, q->sql, q->nparams, NULL, (const char *const *)q->params, NULL, NULL, 0)) {
        conn_lost(c, CONG_EUNAVAILABLE);
        return;
    }
    flush_and_watch(c);
}

static void dispatch(cong_pg_pool_t *pool)
{
    for (int i = 0; i < pool->size && pool->queue_head != NULL; i++) {
        pg_conn_t *c = &pool->conns[i];
        if (c->state == CONN_IDLE)
            run_on(c, queue_pop(pool));
    }
}

static void free_pool_if_done(cong_pg_pool_t *pool);

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
        free_pool_if_done(pool);
}

/* The connection's statement is past its deadline (its caller is being answered): have the server stop it. Without a
 * free cancel slot the connection is reset instead, and its statement_timeout stops the statement on the server. */
static void cancel_statement(pg_conn_t *c)
{
    cong_pg_pool_t *pool = c->pool;
    c->state = CONN_CANCELLING;
    c->statement_over = 0;
    if (cong_pg_cancel_send(pool->loop, c->conn, on_cancel_done, c, c->generation) != 0) {
        cong_log(CONG_LOG_WARN, "postgres", "query timed out after %d ms; resetting its connection", pool->timeout_ms);
        c->backoff_ms = 0;
        conn_lost(c, CONG_EUNAVAILABLE);
        return;
    }
    cong_log(CONG_LOG_WARN, "postgres", "query timed out after %d ms; cancelling it on the server", pool->timeout_ms);
    c->cancel_running = 1;
    pool->cancels_running++;
    uv_timer_start(&c->timer, on_conn_timer, (uint64_t)pool->timeout_ms, 0);
}

static void on_query_deadline(uv_timer_t *t)
{
    pg_query_t *q = t->data;
    cong_pg_pool_t *pool = q->pool;
    if (q->running_on == NULL) {
        queue_remove(pool, q);
        finish_query(q, CONG_ETIMEDOUT);
        return;
    }
    pg_conn_t *c = q->running_on;
    c->query = NULL;
    cancel_statement(c);
    finish_query(q, CONG_ETIMEDOUT);
}

int cong_pg_query(cong_pg_pool_t *pool, const char *sql, int nparams, const char *const *params, cong_pg_query_cb cb,
                  void *udata)
{
    if (sql == NULL || cb == NULL || nparams < 0 || (nparams > 0 && params == NULL))
        return CONG_EINVAL;
    if (pool->closing || pool_up(pool) == 0)
        return CONG_EUNAVAILABLE;
    if (pool->queued >= pool->max_queue)
        return CONG_EBUSY;
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
    uv_timer_start(&q->deadline, on_query_deadline, (uint64_t)pool->timeout_ms, 0);
    if (pool->queue_tail != NULL)
        pool->queue_tail->next = q;
    else
        pool->queue_head = q;
    pool->queue_tail = q;
    pool->queued++;
    dispatch(pool);
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
        conn_start(c);
    }
    return pool;
}

int cong_pg_pool_up(const cong_pg_pool_t *pool)
{
    return pool_up(pool);
}

int cong_pg_pool_size(const cong_pg_pool_t *pool)
{
    return pool->size;
}

/* Freed once no timer and no cancel job refers to its connections. */
static void free_pool_if_done(cong_pg_pool_t *pool)
{
    if (pool->open_timers == 0 && pool->cancels_running == 0)
        free_pool(pool);
}

static void on_conn_timer_closed(uv_handle_t *h)
{
    pg_conn_t *c = h->data;
    cong_pg_pool_t *pool = c->pool;
    pool->open_timers--;
    free_pool_if_done(pool);
}

void cong_pg_pool_close(cong_pg_pool_t *pool)
{
    pool->closing = 1;
    fail_queue(pool, CONG_EUNAVAILABLE);
    for (int i = 0; i < pool->size; i++) {
        pg_conn_t *c = &pool->conns[i];
        conn_lost(c, CONG_EUNAVAILABLE);
        c->state = CONN_CLOSED;
        uv_timer_stop(&c->timer);
        uv_close((uv_handle_t *)&c->timer, on_conn_timer_closed);
    }
}
