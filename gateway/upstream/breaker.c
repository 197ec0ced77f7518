/* Circuit breaking of one upstream across every worker (contract in upstream.h): at most max_concurrent requests
 * under way and max_queued waiting for one of their slots; past both the breaker is open and the request is refused
 * at once with a Retry-After the state computes. One fetch-add to get in, one to get out. */
#include <stdatomic.h>
#include <stdlib.h>

#include "upstream.h"

struct cong_breaker {
    _Atomic int max_concurrent, max_queued; /* a reload may change them (cong_breaker_set_limits) */
    _Atomic int refs;                       /* generations of the proxy sharing it (proxy_gen.c) */
    _Atomic int active, queued;
    _Atomic uint64_t mean_ms_x16; /* latency estimate, fixed point ×16: an exponentially weighted mean (1/8) */
};

cong_breaker_t *cong_breaker_new(int max_concurrent, int max_queued)
{
    cong_breaker_t *b = calloc(1, sizeof *b);
    if (b) {
        atomic_init(&b->max_concurrent, max_concurrent);
        atomic_init(&b->max_queued, max_queued);
        atomic_init(&b->refs, 1);
    }
    return b;
}

void cong_breaker_free(cong_breaker_t *b)
{
    if (b != NULL && atomic_fetch_sub(&b->refs, 1) == 1)
        free(b);
}

cong_breaker_t *cong_breaker_retain(cong_breaker_t *b)
{
    atomic_fetch_add(&b->refs, 1);
    return b;
}

void cong_breaker_set_limits(cong_breaker_t *b, int max_concurrent, int max_queued)
{
    atomic_store(&b->max_concurrent, max_concurrent);
    atomic_store(&b->max_queued, max_queued);
}

/* Takes one of `limit` places counted by `counter`: 1, or 0 with the counter as it was. */
static int take(_Atomic int *counter, int limit)
{
    if (atomic_fetch_add(counter, 1) < limit)
        return 1;
    atomic_fetch_sub(counter, 1);
    return 0;
}

enum cong_breaker_verdict cong_breaker_enter(cong_breaker_t *b)
{
    /* A queue that holds someone keeps newcomers behind it: they queue rather than overtake. */
    if (atomic_load(&b->queued) == 0 && take(&b->active, atomic_load(&b->max_concurrent)))
        return CONG_BREAKER_ADMIT;
    if (take(&b->queued, atomic_load(&b->max_queued)))
        return CONG_BREAKER_QUEUE;
    return CONG_BREAKER_OPEN;
}

int cong_breaker_promote(cong_breaker_t *b)
{
    if (!take(&b->active, atomic_load(&b->max_concurrent)))
        return 0;
    atomic_fetch_sub(&b->queued, 1);
    return 1;
}

void cong_breaker_leave_queue(cong_breaker_t *b)
{
    atomic_fetch_sub(&b->queued, 1);
}

void cong_breaker_exit(cong_breaker_t *b, uint64_t duration_ms)
{
    atomic_fetch_sub(&b->active, 1);
    uint64_t sample = (duration_ms > 3600000 ? 3600000 : duration_ms) * 16;
    uint64_t mean = atomic_load_explicit(&b->mean_ms_x16, memory_order_relaxed);
    mean = mean == 0 ? sample : mean - mean / 8 + sample / 8;
    atomic_store_explicit(&b->mean_ms_x16, mean, memory_order_relaxed); /* a lost sample under a race is harmless */
}

int cong_breaker_retry_after_s(const cong_breaker_t *b)
{
    uint64_t mean_ms = atomic_load_explicit(&b->mean_ms_x16, memory_order_relaxed) / 16;
    uint64_t backlog = (uint64_t)atomic_load(&b->queued) + 1;
    int slots = atomic_load(&b->max_concurrent);
    uint64_t drain_ms = mean_ms * backlog / (uint64_t)(slots > 0 ? slots : 1);
    uint64_t s = (drain_ms + 999) / 1000;
    return s < 1 ? 1 : s > 60 ? 60 : (int)s;
}

int cong_breaker_active(const cong_breaker_t *b)
{
    return atomic_load(&b->active);
}

int cong_breaker_queued(const cong_breaker_t *b)
{
    return atomic_load(&b->queued);
}
