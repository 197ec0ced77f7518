/*
 * gateway/stores/postgres_cancel.h — (internal to gateway/stores/) asks PostgreSQL to cancel the statement a
 * connection is running, off the loop.
 *
 * libpq 15's PQcancel blocks (it opens a new connection to the server and waits for it to close), so it runs as a
 * job on libuv's thread pool. That pool is shared with file work (body_store.c) and a cancel to an unreachable
 * server may block for as long as connect(2) takes, so at most CONG_PG_CANCELS_MAX cancels run at once in the whole
 * process; past that, cong_pg_cancel_send refuses and the caller falls back on dropping the connection (the
 * connection's statement_timeout then ends the statement on the server: postgres.c).
 *
 * Contract: if cong_pg_cancel_send returns 0, cb(udata, tag, sent) is called exactly once, later, on the loop's
 * thread; sent is 1 when the server took the request (the statement, if still running, fails with SQLSTATE 57014).
 * Otherwise cb is never called. The PGconn may be closed while the job runs: the job holds only a PGcancel.
 */
#ifndef CONG_GATEWAY_POSTGRES_CANCEL_H
#define CONG_GATEWAY_POSTGRES_CANCEL_H

#include <libpq-fe.h>
#include <uv.h>

#define CONG_PG_CANCELS_MAX 2

typedef void (*cong_pg_cancel_cb)(void *udata, unsigned long tag, int sent);

/** 0, CONG_EBUSY (CONG_PG_CANCELS_MAX already running), CONG_ENOMEM or CONG_EIO. */
int cong_pg_cancel_send(uv_loop_t *loop, PGconn *conn, cong_pg_cancel_cb cb, void *udata, unsigned long tag);

#endif
