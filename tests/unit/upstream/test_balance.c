/*
 * tests/unit/upstream/test_balance.c — gateway/upstream/ balancing: smooth weighted round-robin, least outstanding,
 * the consistent-hash ring (only the keys of a target that leaves move), and the balancer that picks by policy.
 */
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/upstream/upstream.h"

static const unsigned char all[8] = {1, 1, 1, 1, 1, 1, 1, 1};

static void test_smooth_round_robin_spreads_by_weight(void **state)
{
    (void)state;
    cong_balance_rr_t rr;
    assert_int_equal(cong_balance_rr_init(&rr, (int[]){5, 1, 1}, 3), 0);
    char seq[15] = "";
    for (int i = 0; i < 14; i++)
        seq[i] = (char)('a' + cong_balance_rr_pick(&rr, all));
    assert_string_equal(seq, "aabacaaaabacaa"); /* nginx's sequence for 5,1,1, twice: never five a's in a row */
    cong_balance_rr_free(&rr);
}

static void test_round_robin_skips_unusable_and_keeps_proportions(void **state)
{
    (void)state;
    cong_balance_rr_t rr;
    assert_int_equal(cong_balance_rr_init(&rr, (int[]){3, 2, 1}, 3), 0);
    int counts[3] = {0};
    for (int i = 0; i < 600; i++)
        counts[cong_balance_rr_pick(&rr, all)]++;
    assert_int_equal(counts[0], 300);
    assert_int_equal(counts[1], 200);
    assert_int_equal(counts[2], 100);
    const unsigned char no_first[3] = {0, 1, 1};
    int seen[3] = {0};
    for (int i = 0; i < 300; i++)
        seen[cong_balance_rr_pick(&rr, no_first)]++;
    assert_int_equal(seen[0], 0);
    assert_int_equal(seen[1], 200);
    assert_int_equal(seen[2], 100);
    const unsigned char none[3] = {0, 0, 0};
    assert_int_equal(cong_balance_rr_pick(&rr, none), -1);
    cong_balance_rr_free(&rr);
}

static void test_least_outstanding(void **state)
{
    (void)state;
    cong_balance_least_t lo;
    assert_int_equal(cong_balance_least_init(&lo, (int[]){1, 3, 1}, 3), 0);
    assert_int_equal(cong_balance_least_pick(&lo, all), 1); /* all idle: the heaviest */
    int second = cong_balance_least_pick(&lo, all), third = cong_balance_least_pick(&lo, all);
    assert_true((second == 0 && third == 2) || (second == 2 && third == 0)); /* idle ones before busy 1 */
    /* 1 of each outstanding: the weight breaks the tie again. */
    assert_int_equal(cong_balance_least_pick(&lo, all), 1);
    cong_balance_least_done(&lo, 1);
    cong_balance_least_done(&lo, 1);
    assert_int_equal(cong_balance_least_pick(&lo, all), 1); /* 1 is idle again */
    cong_balance_least_free(&lo);

    /* Equal weights, equal load: ties go round. */
    assert_int_equal(cong_balance_least_init(&lo, (int[]){1, 1, 1}, 3), 0);
    int counts[3] = {0};
    for (int i = 0; i < 30; i++) {
        int t = cong_balance_least_pick(&lo, all);
        counts[t]++;
        cong_balance_least_done(&lo, t);
    }
    assert_int_equal(counts[0], 10);
    assert_int_equal(counts[1], 10);
    assert_int_equal(counts[2], 10);
    const unsigned char only_last[3] = {0, 0, 1};
    assert_int_equal(cong_balance_least_pick(&lo, only_last), 2);
    cong_balance_least_free(&lo);
}

#define KEYS 20000
#define TARGETS 5

static void key_of(int i, char *out, size_t cap)
{
    snprintf(out, cap, "subject-%d", i);
}

static void pick_all(const cong_hash_ring_t *ring, const unsigned char *usable, int *out)
{
    char key[32];
    for (int i = 0; i < KEYS; i++) {
        key_of(i, key, sizeof key);
        out[i] = cong_hash_ring_pick(ring, key, strlen(key), usable);
    }
}

static const char *const names[TARGETS] = {"10.0.0.1:80", "10.0.0.2:80", "10.0.0.3:80", "10.0.0.4:80", "10.0.0.5:80"};
static const int weights[TARGETS] = {1, 1, 1, 1, 1};

static void test_hash_ring_is_balanced_and_stable(void **state)
{
    (void)state;
    cong_hash_ring_t ring;
    assert_int_equal(cong_hash_ring_init(&ring, names, weights, TARGETS), 0);
    int *before = malloc(KEYS * sizeof *before), *again = malloc(KEYS * sizeof *again);
    pick_all(&ring, all, before);
    pick_all(&ring, all, again);
    assert_memory_equal(before, again, KEYS * sizeof *before);
    int counts[TARGETS] = {0};
    for (int i = 0; i < KEYS; i++)
        counts[before[i]]++;
    for (int t = 0; t < TARGETS; t++) /* 160 points each: within ±25% of an even share */
        assert_in_range(counts[t], KEYS / TARGETS * 3 / 4, KEYS / TARGETS * 5 / 4);
    free(before);
    free(again);
    cong_hash_ring_free(&ring);
}

/* A target becomes unusable: exactly its keys move, ~1/N of all, spread over the others. */
static void test_hash_ring_unusable_target_moves_only_its_keys(void **state)
{
    (void)state;
    cong_hash_ring_t ring;
    assert_int_equal(cong_hash_ring_init(&ring, names, weights, TARGETS), 0);
    int *before = malloc(KEYS * sizeof *before), *after = malloc(KEYS * sizeof *after);
    pick_all(&ring, all, before);
    const unsigned char without_2[TARGETS] = {1, 1, 0, 1, 1};
    pick_all(&ring, without_2, after);
    int moved = 0, to[TARGETS] = {0};
    for (int i = 0; i < KEYS; i++) {
        if (before[i] != 2)
            assert_int_equal(after[i], before[i]);
        else
            moved++, to[after[i]]++;
    }
    assert_in_range(moved, KEYS / TARGETS * 3 / 4, KEYS / TARGETS * 5 / 4);
    assert_int_equal(to[2], 0);
    for (int t = 0; t < TARGETS; t++)
        if (t != 2)
            assert_true(to[t] > moved / 8); /* spread, not all onto the next target */
    free(before);
    free(after);
    cong_hash_ring_free(&ring);
}

/* A target removed from the configuration (a ring built without it): the same keys move, and only those. */
static void test_hash_ring_rebuilt_without_a_target(void **state)
{
    (void)state;
    cong_hash_ring_t full, smaller;
    assert_int_equal(cong_hash_ring_init(&full, names, weights, TARGETS), 0);
    const char *const rest[TARGETS - 1] = {names[0], names[1], names[3], names[4]};
    assert_int_equal(cong_hash_ring_init(&smaller, rest, weights, TARGETS - 1), 0);
    int *before = malloc(KEYS * sizeof *before), *after = malloc(KEYS * sizeof *after);
    pick_all(&full, all, before);
    pick_all(&smaller, all, after);
    static const int index_in_full[TARGETS - 1] = {0, 1, 3, 4};
    int moved = 0;
    for (int i = 0; i < KEYS; i++) {
        if (before[i] != 2)
            assert_int_equal(index_in_full[after[i]], before[i]);
        else
            moved++;
    }
    assert_in_range(moved, KEYS / TARGETS * 3 / 4, KEYS / TARGETS * 5 / 4);
    free(before);
    free(after);
    cong_hash_ring_free(&full);
    cong_hash_ring_free(&smaller);
}

static void test_hash_ring_weights_and_none_usable(void **state)
{
    (void)state;
    cong_hash_ring_t ring;
    assert_int_equal(cong_hash_ring_init(&ring, names, (int[]){3, 1, 1, 1, 1}, TARGETS), 0);
    int *picks = malloc(KEYS * sizeof *picks), counts[TARGETS] = {0};
    pick_all(&ring, all, picks);
    for (int i = 0; i < KEYS; i++)
        counts[picks[i]]++;
    assert_in_range(counts[0], KEYS * 3 / 7 * 3 / 4, KEYS * 3 / 7 * 5 / 4);
    const unsigned char none[TARGETS] = {0};
    assert_int_equal(cong_hash_ring_pick(&ring, "k", 1, none), -1);
    free(picks);
    cong_hash_ring_free(&ring);
}

static cong_upstream_config_t upstream_of(int policy)
{
    static cong_upstream_target_config_t targets[3] = {
        {.host = "a.example", .port = 80, .weight = 1}, {.host = "b.example", .port = 80, .weight = 1},
        {.host = "c.example", .port = 80, .weight = 1}};
    return (cong_upstream_config_t){.targets = targets, .target_count = 3, .balance = {.policy = policy}};
}

static void test_balancer_by_policy(void **state)
{
    (void)state;
    cong_upstream_config_t u = upstream_of(CONG_BALANCE_CONSISTENT_HASH);
    cong_balancer_t *b = cong_balancer_new(&u);
    assert_non_null(b);
    int first = cong_balancer_pick(b, all, "citizen-1", 9);
    for (int i = 0; i < 20; i++)
        assert_int_equal(cong_balancer_pick(b, all, "citizen-1", 9), first);
    int counts[3] = {0}; /* no key: round-robin */
    for (int i = 0; i < 30; i++)
        counts[cong_balancer_pick(b, all, NULL, 0)]++;
    assert_int_equal(counts[0], 10);
    assert_int_equal(counts[2], 10);
    cong_balancer_free(b);

    u = upstream_of(CONG_BALANCE_LEAST_OUTSTANDING);
    b = cong_balancer_new(&u);
    int x = cong_balancer_pick(b, all, NULL, 0), y = cong_balancer_pick(b, all, NULL, 0);
    int z = cong_balancer_pick(b, all, NULL, 0);
    assert_true(x != y && y != z && x != z); /* each busy one is passed over */
    cong_balancer_done(b, y);
    assert_int_equal(cong_balancer_pick(b, all, NULL, 0), y);
    cong_balancer_free(b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_smooth_round_robin_spreads_by_weight),
        cmocka_unit_test(test_round_robin_skips_unusable_and_keeps_proportions),
        cmocka_unit_test(test_least_outstanding),
        cmocka_unit_test(test_hash_ring_is_balanced_and_stable),
        cmocka_unit_test(test_hash_ring_unusable_target_moves_only_its_keys),
        cmocka_unit_test(test_hash_ring_rebuilt_without_a_target),
        cmocka_unit_test(test_hash_ring_weights_and_none_usable),
        cmocka_unit_test(test_balancer_by_policy),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
