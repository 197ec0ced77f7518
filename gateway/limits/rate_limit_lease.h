/*
 * gateway/limits/rate_limit_lease.h — (internal to gateway/limits/) the pure arithmetic of leased rate-limit tokens
 * (no I/O; unit-tested).
 *
 * A worker does not ask Redis once per request. For each (class, key, client) it leases a small batch of tokens from
 * the exact GCRA script (one atomic call reserves k emission intervals at once, or fewer when the bucket has fewer),
 * spends them locally, and asks for the next batch before the batch runs out. Requests that find no local token wait
 * for the lease under way instead of each sending a command.
 *
 * Lease size. k starts at 1 (a cold key costs exactly one round trip per request, as without leasing). When a key
 * needs a new lease less than ttl/2 after the previous one, k doubles, up to the cap L = cong_lease_cap(): at most
 * rate_limits.max_lease and at most burst/8 (so a burst of 5 is never leased ahead: exact). A lease that expires with
 * tokens unspent halves k. Keys of API clients with a daily quota always lease 1 (unspent leased tokens would be
 * quota lost for the day).
 *
 * The bound. Leases come from the exact GCRA: Redis never reserves more than the bucket holds, and a worker never
 * holds more than L unspent tokens (unspent + asked ≤ L at all times). Hence, with N instances × W workers:
 *   - cumulative: the requests a key gets accepted never exceed what the exact GCRA reserved for it — leasing never
 *     over-issues;
 *   - in any time window, accepted ≤ what exact GCRA admits in that window + tokens held unspent when it began, so at
 *     most N×W×L more; each lease lives at most lease_ttl_ms, so only tokens reserved within the last lease_ttl_ms
 *     can be carried into a window (a key starting from a full bucket, as in the tests, gets at most B + rate×t);
 *   - undershoot: up to N×W×L tokens may be reserved in Redis but unspent (they are dropped when the lease expires),
 *     so a client may be refused while up to N×W×L of its budget sits in other workers' hands.
 * cong_lease_overshoot_bound() computes N×W×L.
 *
 * Refusals are remembered: when the script answers that no token is left before time t, the worker refuses the key
 * locally until t (exact: the bucket only refills with time, and no one gives tokens back).
 */
#ifndef CONG_GATEWAY_RATE_LIMIT_LEASE_H
#define CONG_GATEWAY_RATE_LIMIT_LEASE_H

#include <stdint.h>

#include "rate_limit.h"

typedef struct cong_lease {
    long tokens;             /* leased, unspent, valid until expires_ms */
    long k;                  /* current lease size, 1..cap */
    long cap;                /* L for this key */
    long asked;              /* tokens asked in the lease under way (0: none) */
    int quota;               /* the key's client has a daily quota: leases of 1 */
    uint64_t granted_ms;     /* when the last lease arrived (0: never) */
    uint64_t expires_ms;     /* tokens are dropped at this time */
    long remaining;          /* the script's remaining count after that lease (tokens not leased to anyone) */
    long diff_ms;            /* the script's tat - now after that lease: time until the bucket is full */
    uint64_t denied_until_ms;/* no token before this time (0: none known) */
} cong_lease_t;

/** The most tokens one worker may hold for a key: min(max_lease, burst / 8), at least 1. */
long cong_lease_cap(long max_lease, long burst);
/** N×W×L: how far a key can be over (per window) or under the exact limit. Saturates at LONG_MAX. */
long cong_lease_overshoot_bound(long instances, long workers_per_instance, long max_lease);

/** A fresh lease state for a key whose cap is `cap`. */
void cong_lease_init(cong_lease_t *l, long cap);
/** Drops expired tokens (halving k when some were unspent). */
void cong_lease_expire(cong_lease_t *l, uint64_t now_ms);
/** Decides one request from local state: 1 allowed (a token spent), -1 refused (known empty until later), 0 a lease
 *  is needed. `out` is filled when the answer is 1 or -1; `limit` is the burst shown in RateLimit-Limit. */
int cong_lease_take(cong_lease_t *l, uint64_t now_ms, long limit, cong_rate_decision_t *out);
/** How many tokens to ask for now (0: none), given `waiting` requests without a token. Marks the lease as asked.
 *  Grows k when the key is hot. Never lets unspent + asked exceed the cap. */
long cong_lease_next_ask(cong_lease_t *l, uint64_t now_ms, long waiting, long ttl_ms);
/** Records the script's answer to a lease of l->asked tokens. retry_ms: time until the next token after it. */
void cong_lease_granted(cong_lease_t *l, uint64_t now_ms, long granted, long remaining, long diff_ms, long retry_ms,
                        int quota, long ttl_ms);
/** The lease under way failed (Redis unavailable): nothing granted. */
void cong_lease_failed(cong_lease_t *l);

#endif
