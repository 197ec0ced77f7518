/*
 * gateway/http_client.h — outbound HTTP on a worker's loop (module ABI 1.4 http_request).
 *
 * Each worker has one libcurl multi handle, made at its first call: libcurl tells which sockets to watch (a uv_poll
 * each) and when to wake it (one uv_timer); DNS runs on libcurl's resolver threads. Nothing blocks the loop. The
 * multi handle keeps the worker's connections (HTTP/2 ones multiplexed) between calls.
 *
 * A call belongs to its request: it holds a reference, and an anchor in the request's pool cancels it when the
 * request ends (client gone) — the transfer is dropped at once and the module's callback never called. At most
 * limits.outbound_http_in_flight calls per worker are under way; one more is refused with CONG_EBUSY.
 *
 * Ownership: the client hangs off its worker (w->http_client) and is closed by cong_http_client_close when the loop
 * has stopped (calls still under way are dropped without their callbacks); the loop then runs to let its handles close.
 */
#ifndef CONG_GATEWAY_HTTP_CLIENT_H
#define CONG_GATEWAY_HTTP_CLIENT_H

#include <curl/curl.h>

#include "cong/module.h"
#include "gateway/gateway.h"

typedef struct cong_http_client cong_http_client_t;

/** The ABI member: starts a call for `r` (its worker's thread only). */
int cong_http_request(cong_req_t *r, const cong_http_request_t *def, cong_http_cb cb, void *udata);
/*
 * The same multi handle for transfers the host drives itself (gateway/upstream/ proxy: streamed, paused, retried),
 * so a worker has one set of sockets, one timer and one connection cache. The owner sets up its easy handle (not
 * CURLOPT_PRIVATE, which is the client's) and attaches it; libcurl's callbacks then run on the worker's loop, and
 * `done` is called once, outside them, when the transfer ends (the handle already out of the multi). `drop` is
 * called instead when the worker closes its client with the transfer still attached. Detach takes a transfer out
 * early (neither is called then). Attached transfers are not counted in limits.outbound_http_in_flight: their owner
 * bounds them (the upstream's circuit breaker).
 */
typedef struct cong_http_owner cong_http_owner_t;
struct cong_http_owner {
    void (*done)(cong_http_owner_t *owner, CURLcode code);
    void (*drop)(cong_http_owner_t *owner);
    CURL *easy;                      /* the owner's */
    cong_http_owner_t *prev, *next;  /* the client's list */
    int is_call;                     /* the client's own module calls (http_client.c) */
};
/** 0, or CONG_ENOMEM. */
int cong_http_client_attach(cong_worker_t *w, cong_http_owner_t *owner);
void cong_http_client_detach(cong_worker_t *w, cong_http_owner_t *owner);

/** Drops every call of `w` and starts closing its handles (after its loop stopped). Safe when none was made. */
void cong_http_client_close(cong_worker_t *w);

#endif
