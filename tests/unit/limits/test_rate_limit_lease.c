/* Unit tests for gateway/limits/rate_limit_lease.c: lease sizing, growth and shrinking, refusals remembered, the quota
 * case, the N×W×L bound, and a simulation of several workers leasing from one exact GCRA bucket; and the key
 * builder of gateway/limits/phase_rate_limit.c. */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include <cmocka.h>

#include "gateway/limits/rate_limit.h"
#include "gateway/limits/rate_limit_lease.h"

#define TTL 1000

static void cap_and_bound(void **state)
{
    (void)state;
    assert_int_equal(cong_lease_cap(16, 5), 1);      /* small bursts are never leased ahead */
    assert_int_equal(cong_lease_cap(16, 100), 12);   /* burst / 8 */
    assert_int_equal(cong_lease_cap(16, 10000000), 16);
    assert_int_equal(cong_lease_cap(1, 1000), 1);
    assert_int_equal(cong_lease_overshoot_bound(2, 2, 10), 40);
    assert_int_equal(cong_lease_overshoot_bound(0, 2, 10), 0);
    assert_true(cong_lease_overshoot_bound(LONG_MAX / 2, 4, 16) == LONG_MAX);
}

static void cold_key_asks_one(void **state)
{
    (void)state;
    cong_lease_t l;
    cong_rate_decision_t d;
    cong_lease_init(&l, 12);
    assert_int_equal(cong_lease_take(&l, 5000, 100, &d), 0);
    assert_int_equal(cong_lease_next_ask(&l, 5000, 1, TTL), 1);
    assert_int_equal(cong_lease_next_ask(&l, 5000, 3, TTL), 0); /* one lease at a time */
    cong_lease_granted(&l, 5001, 1, 98, 1200, 0, 0, TTL);
    assert_int_equal(cong_lease_take(&l, 5001, 100, &d), 1);
    assert_true(d.allowed);
    assert_int_equal(d.limit, 100);
    assert_int_equal(d.remaining, 98);
    assert_int_equal(d.reset_s, 2);
    assert_int_equal(cong_lease_next_ask(&l, 5001, 0, TTL), 0); /* k = 1: no lease ahead of need */
}

static void hot_key_grows_then_shrinks(void **state)
{
    (void)state;
    cong_lease_t l;
    cong_rate_decision_t d;
    cong_lease_init(&l, 16);
    uint64_t now = 10000;
    long expect[] = {1, 2, 4, 8, 16, 16};
    for (int i = 0; i < 6; i++) {
        long ask = cong_lease_next_ask(&l, now, 1, TTL);
        assert_int_equal(ask, expect[i]);
        cong_lease_granted(&l, now, ask, 1000, 10, 0, 0, TTL);
        while (cong_lease_take(&l, now, 1000, &d) == 1)
            ;
        now += 10;
    }
    /* half spent: a hot key asks ahead, never beyond the cap */
    long ask = cong_lease_next_ask(&l, now, 1, TTL);
    cong_lease_granted(&l, now, ask, 1000, 10, 0, 0, TTL);
    for (int i = 0; i < 8; i++)
        assert_int_equal(cong_lease_take(&l, now, 1000, &d), 1);
    ask = cong_lease_next_ask(&l, now, 0, TTL);
    assert_int_equal(ask, 8);
    assert_true(l.tokens + l.asked <= l.cap);
    cong_lease_granted(&l, now, ask, 1000, 10, 0, 0, TTL);
    assert_int_equal(l.tokens, 16);
    /* unspent past the TTL: dropped, k halves */
    assert_int_equal(cong_lease_take(&l, now + TTL, 1000, &d), 0);
    assert_int_equal(l.tokens, 0);
    assert_int_equal(l.k, 8);
    /* a key that comes back later than ttl/2 does not grow */
    ask = cong_lease_next_ask(&l, now + 10 * TTL, 1, TTL);
    assert_int_equal(ask, 8);
}

static void refusal_is_remembered(void **state)
{
    (void)state;
    cong_lease_t l;
    cong_rate_decision_t d;
    cong_lease_init(&l, 4);
    assert_int_equal(cong_lease_next_ask(&l, 1000, 1, TTL), 1);
    cong_lease_granted(&l, 1000, 0, 0, 50000, 2500, 0, TTL);
    assert_int_equal(cong_lease_take(&l, 1000, 5, &d), -1);
    assert_false(d.allowed);
    assert_int_equal(d.remaining, 0);
    assert_int_equal(d.reset_s, 3);
    assert_int_equal(cong_lease_take(&l, 3000, 5, &d), -1);
    assert_int_equal(d.reset_s, 1);
    assert_int_equal(cong_lease_next_ask(&l, 3000, 0, TTL), 0);
    assert_int_equal(cong_lease_take(&l, 3500, 5, &d), 0); /* the next token is due: ask again */
}

static void quota_clients_lease_one(void **state)
{
    (void)state;
    cong_lease_t l;
    cong_rate_decision_t d;
    cong_lease_init(&l, 16);
    for (uint64_t now = 100; now < 200; now += 5) {
        long ask = cong_lease_next_ask(&l, now, 4, TTL);
        /* before the first answer the quota is unknown: the 4 waiting requests are asked for at once (and spent at
         * once); after it, one token at a time, never ahead of need */
        assert_int_equal(ask, now == 100 ? 4 : 1);
        cong_lease_granted(&l, now, ask, 100, 10, 0, 1, TTL);
        while (cong_lease_take(&l, now, 100, &d) == 1)
            ;
    }
    assert_int_equal(cong_lease_next_ask(&l, 300, 4, TTL), 1);
}

/* An exact GCRA bucket (burst B, one token per T ms) and W workers that lease from it with random demand: accepted
 * never exceeds what the bucket reserved, no worker ever holds more than its cap, and at the end the reserved but
 * unspent tokens are at most W×L. */
static long gcra_reserve(double *tat, double now, double T, double tau, long n)
{
    if (*tat < now)
        *tat = now;
    long avail = (long)((tau - (*tat - now)) / T + 1e-9);
    if (avail > n)
        avail = n;
    if (avail < 0)
        avail = 0;
    *tat += (double)avail * T;
    return avail;
}

static void simulation_never_overissues(void **state)
{
    (void)state;
    enum { W = 4 };
    const long B = 200, cap = cong_lease_cap(16, B);
    const double T = 50.0, tau = T * (double)B;
    double tat = 0;
    cong_lease_t l[W];
    long waiting[W] = {0};
    for (int i = 0; i < W; i++)
        cong_lease_init(&l[i], cap);
    long reserved = 0, accepted = 0, refused = 0;
    srand(7);
    uint64_t now = 1;
    for (int step = 0; step < 20000; step++, now += (uint64_t)(rand() % 3)) {
        int wi = rand() % W;
        cong_rate_decision_t d;
        /* a lease under way completes */
        if (l[wi].asked > 0 && rand() % 2) {
            long g = gcra_reserve(&tat, (double)now, T, tau, l[wi].asked);
            reserved += g;
            double diff = tat - (double)now, retry = diff + T - tau;
            cong_lease_granted(&l[wi], now, g, (long)((tau - diff) / T), (long)diff, retry > 0 ? (long)retry + 1 : 0,
                               0, TTL);
            while (waiting[wi] > 0) {
                int got = cong_lease_take(&l[wi], now, B, &d);
                if (got == 0)
                    break;
                waiting[wi]--;
                if (got > 0)
                    accepted++;
                else
                    refused++;
            }
        }
        /* a request arrives */
        int got = waiting[wi] ? 0 : cong_lease_take(&l[wi], now, B, &d);
        if (got > 0)
            accepted++;
        else if (got < 0)
            refused++;
        else
            waiting[wi]++;
        cong_lease_next_ask(&l[wi], now, waiting[wi], TTL);
        assert_true(l[wi].tokens + l[wi].asked <= cap);
        assert_true(accepted <= reserved);
    }
    long held = 0;
    for (int i = 0; i < W; i++)
        held += l[i].tokens;
    assert_true(held <= cong_lease_overshoot_bound(1, W, cap));
    assert_true(accepted + held <= reserved); /* expired leases were dropped, never spent */
    /* the bucket admits at most B + elapsed/T over the run */
    assert_true(reserved <= B + (long)((double)now / T) + 1);
    assert_true(refused > 0);
}

/* cong_rate_key_join (gateway/limits/rate_limit.h): the key and lease-id builder that replaced snprintf. */
static void key_join_fits_and_truncates(void **state)
{
    (void)state;
    char buf[8];
    assert_int_equal(cong_rate_key_join(buf, sizeof buf, (const char *const[]){"sub:", "abc"}, 2), 7);
    assert_string_equal(buf, "sub:abc");
    assert_int_equal(cong_rate_key_join(buf, sizeof buf, (const char *const[]){"sub:", "abcd"}, 2), -1);
    assert_string_equal(buf, "sub:abc"); /* the prefix that fits, as snprintf leaves it */
    assert_int_equal(cong_rate_key_join(buf, sizeof buf, (const char *const[]){"a", "\n", "", "\n", "b"}, 5), 4);
    assert_memory_equal(buf, "a\n\nb", 5);
    assert_int_equal(cong_rate_key_join(buf, sizeof buf, (const char *const[]){"12345678"}, 1), -1);
    assert_string_equal(buf, "1234567");
    assert_int_equal(cong_rate_key_join(buf, 1, (const char *const[]){"x"}, 1), -1);
    assert_string_equal(buf, "");
    assert_int_equal(cong_rate_key_join(buf, sizeof buf, NULL, 0), 0);
    assert_string_equal(buf, "");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(cap_and_bound),
        cmocka_unit_test(cold_key_asks_one),
        cmocka_unit_test(hot_key_grows_then_shrinks),
        cmocka_unit_test(refusal_is_remembered),
        cmocka_unit_test(quota_clients_lease_one),
        cmocka_unit_test(simulation_never_overissues),
        cmocka_unit_test(key_join_fits_and_truncates),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
