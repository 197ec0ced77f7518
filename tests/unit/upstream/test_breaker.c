/*
 * tests/unit/upstream/test_breaker.c — gateway/upstream/breaker.c: concurrent and queued limits, the open breaker,
 * its Retry-After from the state, and the limits holding under several threads.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <pthread.h>
#include <stdatomic.h>

#include "gateway/upstream/upstream.h"

static void test_admit_queue_open(void **state)
{
    (void)state;
    cong_breaker_t *b = cong_breaker_new(2, 1);
    assert_int_equal(cong_breaker_enter(b), CONG_BREAKER_ADMIT);
    assert_int_equal(cong_breaker_enter(b), CONG_BREAKER_ADMIT);
    assert_int_equal(cong_breaker_enter(b), CONG_BREAKER_QUEUE);
    assert_int_equal(cong_breaker_enter(b), CONG_BREAKER_OPEN);
    assert_int_equal(cong_breaker_active(b), 2);
    assert_int_equal(cong_breaker_queued(b), 1);
    assert_int_equal(cong_breaker_promote(b), 0); /* no slot yet */
    cong_breaker_exit(b, 10);
    /* A freed slot goes to the queue first: a newcomer queues behind it instead of overtaking. */
    assert_int_equal(cong_breaker_enter(b), CONG_BREAKER_OPEN);
    assert_int_equal(cong_breaker_promote(b), 1);
    assert_int_equal(cong_breaker_active(b), 2);
    assert_int_equal(cong_breaker_queued(b), 0);
    assert_int_equal(cong_breaker_enter(b), CONG_BREAKER_QUEUE);
    cong_breaker_leave_queue(b); /* gave up waiting */
    assert_int_equal(cong_breaker_queued(b), 0);
    cong_breaker_exit(b, 10);
    cong_breaker_exit(b, 10);
    assert_int_equal(cong_breaker_active(b), 0);
    assert_int_equal(cong_breaker_enter(b), CONG_BREAKER_ADMIT);
    cong_breaker_free(b);

    b = cong_breaker_new(1, 0); /* no queue: open as soon as the slot is taken */
    assert_int_equal(cong_breaker_enter(b), CONG_BREAKER_ADMIT);
    assert_int_equal(cong_breaker_enter(b), CONG_BREAKER_OPEN);
    cong_breaker_free(b);
}

/* A reload: the upstream of the same name shares its breaker with the generation before (retain), with new limits;
 * requests over them stay, newcomers see them; the last reference frees it. */
static void test_reload_shares_and_changes_limits(void **state)
{
    (void)state;
    cong_breaker_t *b = cong_breaker_new(2, 0);
    assert_int_equal(cong_breaker_enter(b), CONG_BREAKER_ADMIT);
    assert_int_equal(cong_breaker_enter(b), CONG_BREAKER_ADMIT);
    cong_breaker_t *shared = cong_breaker_retain(b);
    assert_ptr_equal(shared, b);
    cong_breaker_set_limits(shared, 1, 1);
    assert_int_equal(cong_breaker_enter(shared), CONG_BREAKER_QUEUE); /* two under way, one allowed now */
    cong_breaker_exit(b, 5);                                           /* an old request ends */
    assert_int_equal(cong_breaker_promote(shared), 0);                 /* still one under way: at the limit */
    cong_breaker_exit(b, 5);
    assert_int_equal(cong_breaker_promote(shared), 1);
    cong_breaker_free(b); /* the old generation goes: the new one still has it */
    assert_int_equal(cong_breaker_active(shared), 1);
    cong_breaker_set_limits(shared, 3, 0);
    assert_int_equal(cong_breaker_enter(shared), CONG_BREAKER_ADMIT);
    assert_int_equal(cong_breaker_enter(shared), CONG_BREAKER_ADMIT);
    assert_int_equal(cong_breaker_enter(shared), CONG_BREAKER_OPEN);
    cong_breaker_free(shared);
}

static void test_retry_after_from_the_state(void **state)
{
    (void)state;
    cong_breaker_t *b = cong_breaker_new(2, 10);
    assert_int_equal(cong_breaker_retry_after_s(b), 1); /* nothing known yet: the least */
    for (int i = 0; i < 2; i++)
        assert_int_equal(cong_breaker_enter(b), CONG_BREAKER_ADMIT);
    for (int i = 0; i < 64; i++) { /* the mean settles at 3000 ms */
        cong_breaker_exit(b, 3000);
        assert_int_equal(cong_breaker_enter(b), CONG_BREAKER_ADMIT);
    }
    for (int i = 0; i < 9; i++)
        assert_int_equal(cong_breaker_enter(b), CONG_BREAKER_QUEUE);
    /* 9 queued + the refused one = 10 requests through 2 slots of 3 s each: 15 s. */
    assert_int_equal(cong_breaker_retry_after_s(b), 15);
    assert_int_equal(cong_breaker_enter(b), CONG_BREAKER_QUEUE);
    assert_int_equal(cong_breaker_enter(b), CONG_BREAKER_OPEN);
    assert_int_equal(cong_breaker_retry_after_s(b), 17); /* 11 × 3 / 2 = 16.5, rounded up */
    cong_breaker_free(b);

    b = cong_breaker_new(1, 0); /* a slow upstream: capped at a minute */
    assert_int_equal(cong_breaker_enter(b), CONG_BREAKER_ADMIT);
    cong_breaker_exit(b, 3600000);
    assert_int_equal(cong_breaker_enter(b), CONG_BREAKER_ADMIT);
    assert_int_equal(cong_breaker_retry_after_s(b), 60);
    cong_breaker_free(b);
}

typedef struct hammer {
    cong_breaker_t *b;
    _Atomic int *inside, *most;
} hammer_t;

static void *enter_and_exit(void *arg)
{
    hammer_t *h = arg;
    for (int i = 0; i < 50000; i++) {
        enum cong_breaker_verdict v = cong_breaker_enter(h->b);
        if (v == CONG_BREAKER_QUEUE) {
            if (!cong_breaker_promote(h->b)) {
                cong_breaker_leave_queue(h->b);
                continue;
            }
        } else if (v == CONG_BREAKER_OPEN) {
            continue;
        }
        int now = atomic_fetch_add(h->inside, 1) + 1;
        for (int seen = atomic_load(h->most); now > seen && !atomic_compare_exchange_weak(h->most, &seen, now);)
            ;
        atomic_fetch_sub(h->inside, 1);
        cong_breaker_exit(h->b, 1);
    }
    return NULL;
}

static void test_limits_hold_across_threads(void **state)
{
    (void)state;
    cong_breaker_t *b = cong_breaker_new(3, 2);
    _Atomic int inside = 0, most = 0;
    hammer_t h = {b, &inside, &most};
    pthread_t threads[6];
    for (int i = 0; i < 6; i++)
        assert_int_equal(pthread_create(&threads[i], NULL, enter_and_exit, &h), 0);
    for (int i = 0; i < 6; i++)
        pthread_join(threads[i], NULL);
    assert_true(atomic_load(&most) <= 3);
    assert_int_equal(cong_breaker_active(b), 0);
    assert_int_equal(cong_breaker_queued(b), 0);
    cong_breaker_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_admit_queue_open),
        cmocka_unit_test(test_reload_shares_and_changes_limits),
        cmocka_unit_test(test_retry_after_from_the_state),
        cmocka_unit_test(test_limits_hold_across_threads),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
