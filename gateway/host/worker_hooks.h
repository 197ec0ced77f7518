/*
 * gateway/worker_hooks.h — what modules run on each worker's loop besides requests (module ABI 1.4): their per-worker
 * init and dispose hooks, and their timers.
 *
 * A worker's life, as server.c drives it on the worker's own thread:
 *   cong_worker_hooks_start   the thread becomes the worker's (timers may start), modules' on_init in load order
 *   ... the loop runs: requests, store callbacks, timers ...
 *   cong_worker_timers_stop   the loop has stopped: every timer still running is stopped (its handle closed)
 *   ... the worker closes its stores and lets its handles close ...
 *   cong_worker_hooks_dispose modules' on_dispose in reverse load order; the thread is no worker's any more
 * So no timer callback runs after cong_worker_timers_stop, and dispose hooks find every timer stopped.
 *
 * Timers are this thread's alone (thread-local state): an id names a slot and its generation, so an id that ran out,
 * was stopped or belongs to another worker is simply not found. At most CONG_TIMERS_PER_WORKER running per worker.
 */
#ifndef CONG_GATEWAY_WORKER_HOOKS_H
#define CONG_GATEWAY_WORKER_HOOKS_H

#include "cong/module.h"
#include "gateway/gateway.h"

#define CONG_TIMERS_PER_WORKER 65536

/** On the worker's thread, before its loop runs. Returns 0 or CONG_ENOMEM (then no module timer can start). */
int cong_worker_hooks_start(cong_worker_t *w);
/** On the worker's thread, once uv_run has returned: stops every timer (their handles close on the next loop run). */
void cong_worker_timers_stop(cong_worker_t *w);
/** On the worker's thread, after its handles have closed: the dispose hooks, then the thread's timer state is freed. */
void cong_worker_hooks_dispose(cong_worker_t *w);

/* The members of the module ABI (1.4). */
int cong_loader_register_worker_hooks(cong_module_ctx_t *ctx, cong_worker_fn on_init, cong_worker_fn on_dispose,
                                      void *udata);
cong_worker_t *cong_api_req_worker(cong_req_t *req);
int cong_api_timer_start(cong_worker_t *w, long long delay_ms, long long repeat_ms, cong_timer_fn fn, void *udata,
                         cong_timer_id_t *id);
int cong_api_timer_stop(cong_worker_t *w, cong_timer_id_t id);

#endif
