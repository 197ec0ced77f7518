/* A partner's quota (partner.quota: per_minute, burst, daily), checked before a partner route's request goes to
 * the upstream (contract in upstream.h). The limiter is the gateway's own (limits/rate_limit.h: the exact GCRA
 * script in Redis, leases, refusals remembered), given the partner's plan instead of a class's numbers.
 *
 * Keyed by the partner AND the caller — the same caller the rate-limit phase counts (the subject, else the API
 * client, else the client's address): a plan says how much one caller may use of one partner, so one busy citizen
 * or app cannot spend a partner's whole day for everyone. A partner with several upstreams under one name shares one
 * bucket per caller. Over it: 429 rate-limited with Retry-After (midnight UTC when the day's quota is spent) and the
 * plan's RateLimit-* headers when they are tighter than the route class's. */
#include "proxy_internal.h"

static void quota_decided(cong_req_t *r, const cong_rate_decision_t *d)
{
    if (cong_rate_decision_reply(r, d))
        cong_proxy_forward(r, r->route->udata);
}

void cong_proxy_handle(cong_req_t *r, void *udata)
{
    const cong_proxy_route_t *route = udata;
    const cong_rate_plan_t *plan = &route->upstream->plan;
    if ((plan->per_minute <= 0 && plan->daily <= 0) || cong_rate_limiter->check_plan == NULL) {
        cong_proxy_forward(r, route);
        return;
    }
    char key[256];
    cong_rate_decision_t d;
    if (!cong_rate_limiter->check_plan(cong_rate_limiter, r, plan, cong_rate_limit_key(r, key, sizeof key), &d,
                                       quota_decided))
        return; /* quota_decided goes on */
    if (cong_rate_decision_reply(r, &d))
        cong_proxy_forward(r, route);
}
