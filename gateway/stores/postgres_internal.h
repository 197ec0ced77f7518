/*
 * gateway/stores/postgres_internal.h — (internal to gateway/stores/) what the two halves of the PostgreSQL pool share
 * (postgres.h is the contract):
 * postgres.c owns the pool and its queries (queue, deadlines, answers), postgres_conn.c owns each connection (connect,
 * send, read results, cancel, reconnect). Both run on the pool's loop only.
 */
#ifndef CONG_GATEWAY_POSTGRES_INTERNAL_H
#define CONG_GATEWAY_POSTGRES_INTERNAL_H

#include <stdint.h>

#include "postgres.h"
#include "postgres_conninfo.h"

#define BACKOFF_MIN_MS 100
#define BACKOFF_MAX_MS 2000

typedef struct pg_pool_conn pg_conn_t; /* not libpq's struct pg_conn (PGconn): a connection of the pool */

typedef struct pg_query {
    struct pg_query *next; /* queue link */
    cong_pg_pool_t *pool;
    char *sql;
    int nparams;
    char **params;
    cong_pg_query_cb cb;
    void *udata;
    uv_timer_t deadline;   /* while queued: the wait bound (or the deadline if sooner); then the deadline */
    uint64_t queued_at;    /* loop time (ms) when it was queued: the deadline counts from there */
    pg_conn_t *running_on; /* NULL while queued */
    int answered;
    PGresult *result; /* what the caller sees of the reply (postgres_result.h) */
} pg_query_t;

/* CONN_CANCELLING: its query was answered (deadline) and a cancel is on its way; the connection is used again only
 * once the server has finished the statement AND the cancel job is over, so a late cancel cannot hit the next query. */
enum conn_state { CONN_DOWN, CONN_CONNECTING, CONN_IDLE, CONN_BUSY, CONN_CANCELLING, CONN_CLOSED };

struct pg_pool_conn {
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
    int wait_ms;                   /* 0: no wait bound (postgres.h, shedding) */
    unsigned long long shed;       /* queries answered CONG_EBUSY */
    pg_conn_t *conns;
    pg_query_t *queue_head, *queue_tail;
    int queued;
    int closing;
    int open_timers;
    int cancels_running; /* jobs that still point at this pool's connections */
};

/* postgres.c: the pool and its queries. */
/** Answers q once (result when err is 0 or CONG_EQUERY), then frees it. */
void cong_pg_query_finish(pg_query_t *q, int err);
/** Answers every queued query with err. */
void cong_pg_pool_fail_queue(cong_pg_pool_t *pool, int err);
/** Starts queued queries on the idle connections. */
void cong_pg_pool_dispatch(cong_pg_pool_t *pool);
/** Frees a closing pool once no timer and no cancel job refers to its connections. */
void cong_pg_pool_free_if_done(cong_pg_pool_t *pool);

/* postgres_conn.c: one connection of the pool. */
/** Starts connecting (never blocks); on failure the connection is lost and retried after its backoff. */
void cong_pg_conn_start(pg_conn_t *c);
/** The connection is gone: fails its query with err, closes it, comes back after a backoff (unless closing). */
void cong_pg_conn_lost(pg_conn_t *c, int err);
/** Sends q on the idle connection c. */
void cong_pg_conn_run(pg_conn_t *c, pg_query_t *q);
/** c's statement is past its deadline (its caller is being answered): has the server stop it. */
void cong_pg_conn_cancel_statement(pg_conn_t *c);

#endif
