/*
 * gateway/limits/limits.h — the limits room's contract: rate limits.
 *
 * Owns: GCRA in Redis, the local leases that spare Redis a round trip per request, and the rate-limit phase (its
 * entry point is in http/pipeline.h).
 * Offers: rate_limit.h (checking a budget, by class and key, for a request — or by a plan with numbers of its own:
 * partners' quotas, gateway/upstream/partner_quota.c); rate_limit_lease.h is internal.
 * Threading and ownership: a check runs on the request's worker and answers through a callback on that thread, with
 * the request retained until then; leases are per worker.
 * May use: the process (gateway/gateway.h), http/, config/, auth/ and common/. Not host/, authn/, stores/ (it speaks
 * to the worker's Redis through the worker) nor outbound/.
 */
#ifndef CONG_GATEWAY_LIMITS_H
#define CONG_GATEWAY_LIMITS_H

#include "rate_limit.h"

#endif
