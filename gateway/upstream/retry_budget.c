/* Envoy's retry budget for one upstream across every worker (contract in upstream.h): retries under way may be at
 * most a share of the requests under way, with a floor of retries per second, and only idempotent methods retry. */
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "upstream.h"

struct cong_retry_budget {
    int permille, min_per_s;
    _Atomic int active;        /* retries under way */
    _Atomic uint64_t second;   /* the floor's window: (second << 24) | retries taken from it in that second */
};

int cong_method_is_idempotent(const char *method)
{
    static const char *const idempotent[] = {"GET", "HEAD", "OPTIONS", "TRACE", "PUT", "DELETE"};
    for (size_t i = 0; method && i < sizeof idempotent / sizeof idempotent[0]; i++)
        if (strcmp(method, idempotent[i]) == 0)
            return 1;
    return 0;
}

cong_retry_budget_t *cong_retry_budget_new(int budget_permille, int min_per_s)
{
    cong_retry_budget_t *rb = calloc(1, sizeof *rb);
    if (rb) {
        rb->permille = budget_permille;
        rb->min_per_s = min_per_s;
    }
    return rb;
}

void cong_retry_budget_free(cong_retry_budget_t *rb)
{
    free(rb);
}

/* Takes one retry of this second's floor: 1, or 0 when min_per_s are taken already. */
static int take_floor(cong_retry_budget_t *rb, uint64_t now_ms)
{
    uint64_t second = now_ms / 1000, seen = atomic_load(&rb->second);
    for (;;) {
        uint64_t taken = seen >> 24 == (second & 0xffffffffffULL) ? seen & 0xffffff : 0;
        if (taken >= (uint64_t)rb->min_per_s)
            return 0;
        uint64_t next = ((second & 0xffffffffffULL) << 24) | (taken + 1);
        if (atomic_compare_exchange_weak(&rb->second, &seen, next))
            return 1;
    }
}

int cong_retry_budget_try(cong_retry_budget_t *rb, const char *method, int active_requests, uint64_t now_ms)
{
    if (!cong_method_is_idempotent(method))
        return 0;
    int retries = atomic_fetch_add(&rb->active, 1) + 1;
    if ((long long)retries * 1000 <= (long long)rb->permille * (active_requests > 0 ? active_requests : 0))
        return 1;
    if (take_floor(rb, now_ms))
        return 1;
    atomic_fetch_sub(&rb->active, 1);
    return 0;
}

void cong_retry_budget_done(cong_retry_budget_t *rb)
{
    atomic_fetch_sub(&rb->active, 1);
}
