/*
 * gateway/host/module_sessions.h — modules' session listeners (module ABI 1.8 register_session_listener): a revoked
 * session reaches every module that keeps something open for it (modules/push ends that session's event streams).
 *
 * The revocation itself belongs to gateway/authn/revocation.c: it applies each revocation on each worker (from the
 * channel "cong:revocations", from the catch-up after a resubscription, or at once on the worker that published it)
 * and then calls gw->session_ended, which the first registration points at cong_module_sessions_ended. So authn knows
 * nothing of modules, and a gateway without listeners pays one NULL test per revocation.
 * Ownership: each module entry holds its listener (fn, udata); nothing here allocates.
 */
#ifndef CONG_GATEWAY_MODULE_SESSIONS_H
#define CONG_GATEWAY_MODULE_SESSIONS_H

#include "cong/module.h"
#include "gateway/gateway.h"

/** The ABI member (1.8). */
int cong_loader_register_session_listener(cong_module_ctx_t *ctx, cong_session_ended_fn fn, void *udata);
/** On a worker's thread: every module's listener, in load order, with `session_id`. */
void cong_module_sessions_ended(cong_worker_t *w, const char *session_id);

#endif
