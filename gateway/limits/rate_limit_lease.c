/* The arithmetic of leased rate-limit tokens; the contract and the bound are in rate_limit_lease.h. */
#include "rate_limit_lease.h"

#include <limits.h>

#define CAP_BURST_DIVISOR 8

long cong_lease_cap(long max_lease, long burst)
{
    long cap = burst / CAP_BURST_DIVISOR;
    if (cap > max_lease)
        cap = max_lease;
    return cap < 1 ? 1 : cap;
}

long cong_lease_overshoot_bound(long instances, long workers_per_instance, long max_lease)
{
    if (instances <= 0 || workers_per_instance <= 0 || max_lease <= 0)
        return 0;
    if (instances > LONG_MAX / workers_per_instance)
        return LONG_MAX;
    long nw = instances * workers_per_instance;
    return nw > LONG_MAX / max_lease ? LONG_MAX : nw * max_lease;
}

void cong_lease_init(cong_lease_t *l, long cap)
{
    *l = (cong_lease_t){.k = 1, .cap = cap < 1 ? 1 : cap};
}

static long effective_cap(const cong_lease_t *l)
{
    return l->quota ? 1 : l->cap;
}

void cong_lease_expire(cong_lease_t *l, uint64_t now_ms)
{
    if (l->tokens > 0 && now_ms >= l->expires_ms) {
        l->tokens = 0;
        l->k = l->k / 2 < 1 ? 1 : l->k / 2;
    }
    if (l->denied_until_ms != 0 && now_ms >= l->denied_until_ms)
        l->denied_until_ms = 0;
}

static long ceil_s(long ms)
{
    return ms <= 0 ? 0 : (ms + 999) / 1000;
}

int cong_lease_take(cong_lease_t *l, uint64_t now_ms, long limit, cong_rate_decision_t *out)
{
    cong_lease_expire(l, now_ms);
    if (l->tokens > 0) {
        l->tokens--;
        long remaining = l->remaining + l->tokens;
        if (remaining > limit)
            remaining = limit;
        long elapsed = (long)(now_ms - l->granted_ms);
        *out = (cong_rate_decision_t){.allowed = 1, .limit = limit, .remaining = remaining < 0 ? 0 : remaining,
                                      .reset_s = ceil_s(l->diff_ms - elapsed)};
        return 1;
    }
    if (l->denied_until_ms > now_ms) {
        long retry = ceil_s((long)(l->denied_until_ms - now_ms));
        *out = (cong_rate_decision_t){.allowed = 0, .limit = limit, .remaining = 0, .reset_s = retry < 1 ? 1 : retry};
        return -1;
    }
    return 0;
}

long cong_lease_next_ask(cong_lease_t *l, uint64_t now_ms, long waiting, long ttl_ms)
{
    if (l->asked > 0)
        return 0;
    long cap = effective_cap(l);
    if (waiting <= 0) {
        /* ahead of need: only hot keys (k >= 2) refill, once half their lease is spent, and never while refused */
        if (l->k < 2 || cap < 2 || l->tokens * 2 > l->k || l->denied_until_ms > now_ms)
            return 0;
    }
    int hot = l->granted_ms != 0 && now_ms - l->granted_ms < (uint64_t)(ttl_ms / 2);
    if (hot && l->k < cap)
        l->k = l->k * 2 > cap ? cap : l->k * 2;
    if (l->k > cap)
        l->k = cap;
    long want = l->k - l->tokens;
    if (want < waiting)
        want = waiting;
    if (want > cap - l->tokens)
        want = cap - l->tokens;
    if (want <= 0)
        return 0;
    l->asked = want;
    return want;
}

void cong_lease_granted(cong_lease_t *l, uint64_t now_ms, long granted, long remaining, long diff_ms, long retry_ms,
                        int quota, long ttl_ms)
{
    if (granted < 0)
        granted = 0;
    if (granted > l->asked)
        granted = l->asked; /* never more than asked, whatever the reply says */
    l->asked = 0;
    l->quota = quota;
    if (granted > 0) {
        cong_lease_expire(l, now_ms);
        l->tokens += granted;
        l->granted_ms = now_ms;
        l->expires_ms = now_ms + (uint64_t)(ttl_ms > 0 ? ttl_ms : 0);
        l->remaining = remaining;
        l->diff_ms = diff_ms;
    }
    if (retry_ms > 0)
        l->denied_until_ms = now_ms + (uint64_t)retry_ms;
    if (l->k > effective_cap(l))
        l->k = effective_cap(l);
}

void cong_lease_failed(cong_lease_t *l)
{
    l->asked = 0;
}
