/* push/webhook/schedule.c (the retry schedule: doubling, capped, equal jitter, a day at most) and seal.c (an
 * endpoint's secret as modules/orgs seals it opens here, and nowhere else). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "modules/orgs/orgs.h"
#include "push/webhook/schedule.h"
#include "push/webhook/seal.h"

static const webhook_schedule_t defaults = {WEBHOOK_RETRY_BASE_MS, WEBHOOK_RETRY_MAX_MS, WEBHOOK_RETRY_MAX_AGE_MS};

static void doubles_then_caps(void **state)
{
    (void)state;
    /* random % span == span - 1 gives the whole delay, 0 its half */
    int64_t expect = WEBHOOK_RETRY_BASE_MS;
    for (int tries = 1; tries <= 20; tries++) {
        int64_t span = expect - expect / 2 + 1;
        assert_int_equal(webhook_schedule_next(&defaults, tries, 0, 0, (uint32_t)(span - 1)), expect);
        assert_int_equal(webhook_schedule_next(&defaults, tries, 0, 0, 0), expect / 2);
        expect = expect * 2 > WEBHOOK_RETRY_MAX_MS ? WEBHOOK_RETRY_MAX_MS : expect * 2;
    }
    assert_int_equal(webhook_schedule_next(&defaults, 1000000, 0, 0, 0), WEBHOOK_RETRY_MAX_MS / 2);
}

static void jitter_stays_in_half_to_whole(void **state)
{
    (void)state;
    for (uint32_t r = 0; r < 100000; r += 7919) {
        int64_t d = webhook_schedule_next(&defaults, 3, 0, 0, r * 2654435761u);
        assert_true(d >= 10000 && d <= 20000);
    }
}

static void ends_after_max_age(void **state)
{
    (void)state;
    /* a series started a day ago less one second: a delay of 2.5 s or more would end past the day */
    int64_t day = WEBHOOK_RETRY_MAX_AGE_MS, now = 1800000000000;
    assert_int_equal(webhook_schedule_next(&defaults, 1, now - day + 1000, now, 0), -1);
    assert_int_equal(webhook_schedule_next(&defaults, 1, now - day + 3000, now, 0), 2500);
    /* over a day, with the defaults: about 18 tries when every delay is whole, 26 when every one is halved */
    int64_t t = 0, tries = 0, d;
    while ((d = webhook_schedule_next(&defaults, (int)tries + 1, 0, t, 0)) > 0 && tries < 100) {
        t += d;
        tries++;
    }
    assert_true(tries >= 15 && tries <= 30);
    const webhook_schedule_t quick = {200, 1000, 3000}; /* the integration test's */
    assert_true(webhook_schedule_next(&quick, 1, 0, 0, 0) == 100);
    assert_int_equal(webhook_schedule_next(&quick, 5, 0, 2500, 0), 500); /* ends at 3000: still in */
    assert_int_equal(webhook_schedule_next(&quick, 5, 0, 2501, 0), -1);
}

static void sealed_by_the_module_opens_here(void **state)
{
    (void)state;
    unsigned char key[32], other[32], sealed[128];
    assert_int_equal(webhook_seal_key_parse("000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f\n",
                                            key), 0);
    assert_int_equal(orgs_webhook_key_parse("000102030405060708090A0B0C0D0E0F101112131415161718191A1B1C1D1E1F", other),
                     0);
    assert_memory_equal(key, other, 32);
    assert_int_equal(webhook_seal_key_parse("0001", key), -1);
    assert_int_equal(webhook_seal_key_parse("zz0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f", other),
                     -1);
    char secret[ORGS_WEBHOOK_SECRET_TEXT_LEN + 1], id[37] = "0b6c3e1a-2f4d-4c8e-9a1b-3c5d7e9f1a2b";
    assert_int_equal(orgs_webhook_secret_new(secret), 0);
    long n = orgs_webhook_seal(key, id, secret, sealed, sizeof sealed);
    assert_int_equal(n, 12 + (long)strlen(secret) + 16);
    for (long i = 0; i + 6 <= n; i++)
        assert_false(memcmp(sealed + i, "whsec_", 6) == 0);
    webhook_secret_t opened, parsed;
    assert_int_equal(webhook_seal_open(key, id, sealed, (size_t)n, &opened), 0);
    assert_int_equal(webhook_secret_parse(secret, strlen(secret), &parsed), 0);
    assert_int_equal(opened.len, 32);
    assert_memory_equal(opened.key, parsed.key, 32);
    /* another endpoint's id, another key, one byte changed: nothing opens */
    assert_int_equal(webhook_seal_open(key, "0b6c3e1a-2f4d-4c8e-9a1b-3c5d7e9f1a2c", sealed, (size_t)n, &opened), -1);
    key[0] ^= 1;
    assert_int_equal(webhook_seal_open(key, id, sealed, (size_t)n, &opened), -1);
    key[0] ^= 1;
    sealed[20] ^= 1;
    assert_int_equal(webhook_seal_open(key, id, sealed, (size_t)n, &opened), -1);
    assert_int_equal(webhook_seal_open(key, id, sealed, 20, &opened), -1);
    assert_int_equal(orgs_webhook_seal(key, id, secret, sealed, 40), -1);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(doubles_then_caps),
        cmocka_unit_test(jitter_stays_in_half_to_whole),
        cmocka_unit_test(ends_after_max_age),
        cmocka_unit_test(sealed_by_the_module_opens_here),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
