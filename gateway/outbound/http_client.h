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

#include "cong/module.h"
#include "gateway/gateway.h"

typedef struct cong_http_client cong_http_client_t;

/** The ABI member: starts a call for `r` (its worker's thread only). */
int cong_http_request(cong_req_t *r, const cong_http_request_t *def, cong_http_cb cb, void *udata);
/** Drops every call of `w` and starts closing its handles (after its loop stopped). Safe when none was made. */
void cong_http_client_close(cong_worker_t *w);

#endif
