/*
 * gateway/stores/postgres.h — a small pool of non-blocking PostgreSQL connections per worker loop (libpq + libuv).
 *
 * Queries wait in a FIFO queue for an idle connection. Every query has a deadline covering its wait and its run; a
 * query past its deadline fails with CONG_ETIMEDOUT at once. If it was running, the server is told to stop it: a
 * cancel request sent off the loop (postgres_cancel.h), the connection taken again only once the statement has ended;
 * when no cancel can be sent, the connection is reset, and every connection's statement_timeout (the deadline plus
 * 250 ms, set when it opens: postgres_conninfo.h) ends the statement on the server anyway. When no connection is up,
 * queries fail at once with CONG_EUNAVAILABLE; connections come back by themselves with exponential backoff (100 ms
 * doubling to 2 s). Connecting never blocks the loop.
 *
 * Shedding (issue 17). A query that has waited in the queue longer than the pool's wait bound (postgres.queue_wait_ms,
 * cong_pg_pool_set_wait_bound) without getting a connection fails with CONG_EBUSY, as one refused because the queue is
 * full: the pool is saturated, nothing of the query reached the server, and its caller answers 503 with Retry-After at
 * once instead of after the whole timeout. Once a query runs, only its deadline (timeout_ms from when it was queued)
 * applies.
 *
 * Contract: if cong_pg_query returns 0, `cb` is called exactly once, later; otherwise it is never called. `result` is
 * owned by the pool and valid only during the callback. err is 0 with a PGRES_TUPLES_OK/COMMAND_OK result,
 * CONG_EQUERY with the failed result (SQL error; also an error that follows the statement's own result, such as a
 * deferred constraint failing at the implicit COMMIT: postgres_result.h), CONG_ETIMEDOUT for a statement the server
 * cancelled (SQLSTATE 57014) as for the deadline, or another CONG_E* with result NULL.
 */
#ifndef CONG_GATEWAY_POSTGRES_H
#define CONG_GATEWAY_POSTGRES_H

#include <libpq-fe.h>
#include <uv.h>

typedef struct cong_pg_pool cong_pg_pool_t;
typedef void (*cong_pg_query_cb)(int err, PGresult *result, void *udata);

/** Creates the pool and starts connecting `size` connections. conninfo is copied. NULL on allocation failure. */
cong_pg_pool_t *cong_pg_pool_new(uv_loop_t *loop, const char *conninfo, int size, int timeout_ms, int max_queue);
/** Text-parameter query ($1..$n). sql and params are copied. 0, CONG_EUNAVAILABLE, CONG_EBUSY, CONG_ENOMEM. */
int cong_pg_query(cong_pg_pool_t *pool, const char *sql, int nparams, const char *const *params, cong_pg_query_cb cb,
                  void *udata);
/** Connections currently up (idle or busy). */
int cong_pg_pool_up(const cong_pg_pool_t *pool);
int cong_pg_pool_size(const cong_pg_pool_t *pool);
/** postgres.pool_size 0 (the default): connections per worker for a machine of `cores` cores running `workers`
 *  workers. A submission's commit mostly waits for the WAL flush, during which the connection is idle for cong's
 *  CPU and PostgreSQL's: the pool must hold enough transactions to keep those cores busy meanwhile and to let
 *  commits share one flush (group commit). 8 connections per core over the process (measured: bench/procedures.sh,
 *  bench/README.md), split among the workers, at least 4 and at most 64 per worker. */
int cong_pg_pool_size_for_machine(int cores, int workers);
/** How long a query may wait in the queue for a connection (ms) before it fails with CONG_EBUSY; 0 (the default of a
 *  new pool): only the deadline bounds the wait. Applies to queries queued from now on. */
void cong_pg_pool_set_wait_bound(cong_pg_pool_t *pool, int wait_ms);
/** Queries that failed with CONG_EBUSY since the pool was created (queue full or waited past the bound). */
unsigned long long cong_pg_pool_shed(const cong_pg_pool_t *pool);
/** Fails everything under way or queued (CONG_EUNAVAILABLE), closes connections, frees the pool once its handles are
 *  closed; run the loop afterwards. */
void cong_pg_pool_close(cong_pg_pool_t *pool);

#endif
