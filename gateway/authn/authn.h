/*
 * gateway/authn/authn.h — the authn room's contract: bearer tokens at the gateway.
 *
 * Owns: the authenticate and authorize phases (their entry points are in http/pipeline.h), each worker's token cache
 * (verified tokens and revoked sessions) and the session revocations: publishing one, and catching up on them.
 * Offers: revocation.h (publish and apply revocations) and token_cache.h (the worker's cache, made and freed by the
 * worker's set-up in http/server.c).
 * Threading and ownership: a token cache belongs to one worker and is touched on its thread only; the worker owns it.
 * Revocations arrive on each worker's own subscriber (stores/), so no lock is shared between workers.
 * May use: the process (gateway/gateway.h), http/, limits/, stores/, config/, auth/ and common/. Not host/ nor
 * outbound/.
 */
#ifndef CONG_GATEWAY_AUTHN_H
#define CONG_GATEWAY_AUTHN_H

#include "revocation.h"
#include "token_cache.h"

#endif
