/*
 * tools/standin_common/standin_hold.h — holding a request on the loop before answering it (the stand-ins' delay,
 * stall and timeout modes), safe against the client leaving first.
 *
 * Contract: loop thread only (the server's loop, standin_server.h). The request's pool holds a guard pointing at the
 * hold: when h2o disposes of the request first (the client gone), the guard forgets the request and the timer later
 * calls fire(data, NULL), when nothing may be sent; when the timer fires first, it clears the guard before calling
 * fire(data, req), so the later disposal touches nothing freed. fire is called exactly once, from the timer; data
 * stays the caller's (fire frees what it must, in either case). The hold itself is freed after fire.
 */
#ifndef STANDIN_HOLD_H
#define STANDIN_HOLD_H

#include <h2o.h>
#include <stdint.h>
#include <uv.h>

/** Calls fire(data, req) delay_ms from now, or fire(data, NULL) then if the request was disposed of meanwhile.
 *  0, or -1 when out of memory (nothing armed: fire is never called, the caller answers at once). */
int standin_hold(uv_loop_t *loop, h2o_req_t *req, uint64_t delay_ms, void (*fire)(void *data, h2o_req_t *req),
                 void *data);

#endif
