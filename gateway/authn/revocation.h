/*
 * gateway/authn/revocation.h — session revocations that reach every gateway instance.
 *
 * Revoking a session (logout, session delete, refresh-token reuse) writes it to the Redis sorted set
 * "cong:revoked" (member = session id, score = until, the time after which no token of it can be valid any more) and
 * publishes "<sid> <until>" on the channel "cong:revocations". Every worker of every instance subscribes, and marks
 * the session revoked in its token cache as the message arrives. A subscription that stops answering its PINGs for
 * redis.timeout_ms is dropped and made again (redis_subscriber.h), so a frozen connection cannot silence a worker.
 * After every (re)subscription — at start, after Redis came back, after such a drop — a worker re-reads the whole
 * set (members with until > now), so an instance that lost Redis applies what it missed. The set is trimmed of
 * expired members on every revocation.
 */
#ifndef CONG_GATEWAY_REVOCATION_H
#define CONG_GATEWAY_REVOCATION_H

#include <stdint.h>

#include "cong/module.h"
#include "gateway/gateway.h"

#define CONG_REVOCATION_CHANNEL "cong:revocations"
#define CONG_REVOCATION_SET "cong:revoked"

/** Starts the worker's subscription. 0 or CONG_ENOMEM. */
int cong_revocation_start(cong_worker_t *w);
/** Called from the worker's tick: retries a catch-up that could not run yet. */
void cong_revocation_tick(cong_worker_t *w);
void cong_revocation_stop(cong_worker_t *w);

/** Revoke a session everywhere. cb(err, udata) is called once the revocation is stored and published (err != 0:
 *  it may not have reached other instances); the local worker applies it at once. 0, or CONG_E* (cb not called). */
int cong_revocation_publish(cong_worker_t *w, const char *sid, int64_t until, void (*cb)(int err, void *udata),
                            void *udata);

/** The module ABI's job_revoke_session (1.4, revocation_sync.c): the same revocation from a blocking context (a
 *  command, the job thread), until now + auth.access_token_ttl_s + 120 s. 0, CONG_EINVAL, CONG_EUNAVAILABLE,
 *  CONG_EQUERY. */
int cong_api_job_revoke_session(cong_job_t *job, const char *session_id);

#endif
