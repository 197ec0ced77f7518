/* The health of an upstream's targets, shared by every worker (contract in upstream.h): active check results with
 * thresholds, passive outlier ejection with doubling ejection times and a cap on the share of targets ejected, and
 * recovery by time (an ejection simply ends) or by active checks.
 *
 * Readers (every request) load atomics only. Writers that change one field of one target (a failure counted, a row
 * reset) use atomics too; a transition that must see several targets or several fields at once (an ejection and
 * the cap, an active result and its row) takes the upstream's mutex. */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>

#include "upstream.h"

typedef struct target_health {
    _Atomic uint64_t ejected_until_ms; /* 0: never ejected; ≤ now: the ejection is over */
    _Atomic unsigned failures_in_row;  /* passive: failed requests since the last success */
    _Atomic int unhealthy;             /* active checks took it down */
    _Atomic unsigned ejections;        /* the doubling step of its next ejection */
    uint64_t step_since_ms;            /* under lock: when `ejections` last changed or its ejection ended */
    int passes, fails;                 /* under lock: active results in a row */
} target_health_t;

struct cong_upstream_health {
    pthread_mutex_t lock;
    size_t count;
    int consecutive_failures, base_ejection_ms, max_ejection_percent;
    int healthy_threshold, unhealthy_threshold;
    target_health_t targets[];
};

cong_upstream_health_t *cong_upstream_health_new(const cong_upstream_config_t *u)
{
    cong_upstream_health_t *h = calloc(1, sizeof *h + u->target_count * sizeof h->targets[0]);
    if (!h)
        return NULL;
    pthread_mutex_init(&h->lock, NULL);
    h->count = u->target_count;
    h->consecutive_failures = u->outlier.consecutive_failures;
    h->base_ejection_ms = u->outlier.base_ejection_ms;
    h->max_ejection_percent = u->outlier.max_ejection_percent;
    h->healthy_threshold = u->health.healthy_threshold;
    h->unhealthy_threshold = u->health.unhealthy_threshold;
    return h;
}

void cong_upstream_health_free(cong_upstream_health_t *h)
{
    if (!h)
        return;
    pthread_mutex_destroy(&h->lock);
    free(h);
}

static int ejected(const target_health_t *t, uint64_t now_ms)
{
    return atomic_load_explicit(&t->ejected_until_ms, memory_order_acquire) > now_ms;
}

enum cong_target_state cong_upstream_health_state(const cong_upstream_health_t *h, size_t target, uint64_t now_ms)
{
    const target_health_t *t = &h->targets[target];
    if (atomic_load_explicit(&t->unhealthy, memory_order_acquire))
        return CONG_TARGET_UNHEALTHY;
    return ejected(t, now_ms) ? CONG_TARGET_EJECTED : CONG_TARGET_HEALTHY;
}

size_t cong_upstream_health_usable(const cong_upstream_health_t *h, uint64_t now_ms, unsigned char *usable)
{
    size_t n = 0;
    for (size_t i = 0; i < h->count; i++) {
        usable[i] = cong_upstream_health_state(h, i, now_ms) == CONG_TARGET_HEALTHY;
        n += usable[i];
    }
    return n;
}

unsigned cong_upstream_health_ejections(const cong_upstream_health_t *h, size_t target)
{
    return atomic_load(&h->targets[target].ejections);
}

/* base × 2^step, within [base, max(base, CONG_MAX_EJECTION_MS)]. */
static uint64_t ejection_ms(const cong_upstream_health_t *h, unsigned step)
{
    uint64_t base = (uint64_t)h->base_ejection_ms, cap = base > CONG_MAX_EJECTION_MS ? base : CONG_MAX_EJECTION_MS;
    uint64_t ms = base << (step < 20 ? step : 20);
    return ms < cap ? ms : cap;
}

/* Under lock: ejects `t` when the cap allows. The cap rounds down, so a lone target is never ejected: sending to a
 * failing target beats refusing every request. */
static void eject_locked(cong_upstream_health_t *h, target_health_t *t, uint64_t now_ms)
{
    if (ejected(t, now_ms))
        return;
    size_t already = 0;
    for (size_t i = 0; i < h->count; i++)
        already += ejected(&h->targets[i], now_ms);
    if ((already + 1) * 100 > (size_t)h->max_ejection_percent * h->count)
        return;
    unsigned step = atomic_load(&t->ejections);
    uint64_t until = now_ms + ejection_ms(h, step);
    atomic_store(&t->ejections, step + 1);
    atomic_store_explicit(&t->ejected_until_ms, until, memory_order_release);
    atomic_store(&t->failures_in_row, 0); /* it comes back with a clean row: one failure will not eject it again */
    t->step_since_ms = until;
}

/* Under lock: a target that served base_ejection_ms without a new ejection takes one step off its doubling. */
static void decay_locked(cong_upstream_health_t *h, target_health_t *t, uint64_t now_ms)
{
    unsigned step = atomic_load(&t->ejections);
    if (step > 0 && !ejected(t, now_ms) && now_ms >= t->step_since_ms + (uint64_t)h->base_ejection_ms) {
        atomic_store(&t->ejections, step - 1);
        t->step_since_ms = now_ms;
    }
}

void cong_upstream_health_report(cong_upstream_health_t *h, size_t target, int ok, uint64_t now_ms)
{
    if (target >= h->count)
        return;
    target_health_t *t = &h->targets[target];
    if (ok) {
        if (atomic_load_explicit(&t->failures_in_row, memory_order_relaxed) != 0)
            atomic_store(&t->failures_in_row, 0);
        if (atomic_load_explicit(&t->ejections, memory_order_relaxed) != 0) {
            pthread_mutex_lock(&h->lock);
            decay_locked(h, t, now_ms);
            pthread_mutex_unlock(&h->lock);
        }
        return;
    }
    if (ejected(t, now_ms)) /* requests sent before it was ejected: they must not count against its return */
        return;
    unsigned row = atomic_fetch_add(&t->failures_in_row, 1) + 1;
    if (h->consecutive_failures == 0 || row < (unsigned)h->consecutive_failures)
        return;
    pthread_mutex_lock(&h->lock);
    eject_locked(h, t, now_ms);
    pthread_mutex_unlock(&h->lock);
}

void cong_upstream_health_check_result(cong_upstream_health_t *h, size_t target, int ok, uint64_t now_ms)
{
    if (target >= h->count)
        return;
    target_health_t *t = &h->targets[target];
    pthread_mutex_lock(&h->lock);
    t->passes = ok ? t->passes + 1 : 0;
    t->fails = ok ? 0 : t->fails + 1;
    if (ok && t->passes >= h->healthy_threshold) {
        atomic_store_explicit(&t->unhealthy, 0, memory_order_release);
        if (ejected(t, now_ms)) { /* the checks see it well: its ejection ends now */
            atomic_store_explicit(&t->ejected_until_ms, now_ms, memory_order_release);
            atomic_store(&t->failures_in_row, 0);
            t->step_since_ms = now_ms;
        }
    } else if (!ok && t->fails >= h->unhealthy_threshold) {
        atomic_store_explicit(&t->unhealthy, 1, memory_order_release);
    }
    pthread_mutex_unlock(&h->lock);
}

void cong_upstream_health_carry(cong_upstream_health_t *to, size_t to_target, cong_upstream_health_t *from,
                                size_t from_target)
{
    if (to_target >= to->count || from_target >= from->count)
        return;
    pthread_mutex_lock(&from->lock);
    const target_health_t *src = &from->targets[from_target];
    target_health_t *dst = &to->targets[to_target];
    atomic_store(&dst->ejected_until_ms, atomic_load(&src->ejected_until_ms));
    atomic_store(&dst->failures_in_row, atomic_load(&src->failures_in_row));
    atomic_store(&dst->unhealthy, atomic_load(&src->unhealthy));
    atomic_store(&dst->ejections, atomic_load(&src->ejections));
    dst->step_since_ms = src->step_since_ms;
    dst->passes = src->passes;
    dst->fails = src->fails;
    pthread_mutex_unlock(&from->lock);
}
