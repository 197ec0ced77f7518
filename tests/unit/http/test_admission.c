/* Unit tests for the per-address admission table (gateway/http/admission.h): the concurrent limit and its slots given
 * back, the token bucket (burst, shed, refill by the clock, capped), one log line per address per interval and the
 * process-wide bound, eviction of idle addresses only, keys (IPv4, IPv4-mapped, IPv6 by /64), and threads. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include <cmocka.h>
#include <pthread.h>

#include "gateway/http/admission.h"

static cong_admission_key_t key(const char *text)
{
    cong_admission_key_t k;
    assert_int_equal(cong_admission_key_of_text(text, &k), 1);
    return k;
}

static enum cong_admission_verdict enter(cong_admission_t *a, const char *text, uint64_t now_ms)
{
    cong_admission_key_t k = key(text);
    return cong_admission_enter(a, &k, now_ms).verdict;
}

static void concurrent_limit_and_slots_given_back(void **state)
{
    (void)state;
    cong_admission_limits_t limits = {.max_connections = 2, .capacity = 64};
    cong_admission_t *a = cong_admission_new(&limits);
    assert_int_equal(enter(a, "203.0.113.9", 1000), CONG_ADMISSION_ADMITTED);
    assert_int_equal(enter(a, "203.0.113.9", 1000), CONG_ADMISSION_ADMITTED);
    assert_int_equal(enter(a, "203.0.113.9", 1000), CONG_ADMISSION_SHED_CONCURRENT);
    assert_int_equal(enter(a, "203.0.113.10", 1000), CONG_ADMISSION_ADMITTED); /* another address: its own count */
    cong_admission_key_t k = key("203.0.113.9");
    cong_admission_leave(a, &k);
    assert_int_equal(enter(a, "203.0.113.9", 1000), CONG_ADMISSION_ADMITTED);
    assert_int_equal(enter(a, "203.0.113.9", 1000), CONG_ADMISSION_SHED_CONCURRENT);
    cong_admission_free(a);
}

static void bucket_sheds_then_refills(void **state)
{
    (void)state;
    cong_admission_limits_t limits = {.per_second = 2, .burst = 3, .capacity = 64};
    cong_admission_t *a = cong_admission_new(&limits);
    for (int i = 0; i < 3; i++)
        assert_int_equal(enter(a, "198.51.100.1", 5000), CONG_ADMISSION_ADMITTED);
    assert_int_equal(enter(a, "198.51.100.1", 5000), CONG_ADMISSION_SHED_RATE);
    assert_int_equal(enter(a, "198.51.100.1", 5499), CONG_ADMISSION_SHED_RATE); /* 0.998 of a token */
    assert_int_equal(enter(a, "198.51.100.1", 5500), CONG_ADMISSION_ADMITTED);  /* 2 a second: one per 500 ms */
    assert_int_equal(enter(a, "198.51.100.1", 5500), CONG_ADMISSION_SHED_RATE);
    /* An hour later the bucket holds its burst, not 7200 tokens. */
    for (int i = 0; i < 3; i++)
        assert_int_equal(enter(a, "198.51.100.1", 3600000), CONG_ADMISSION_ADMITTED);
    assert_int_equal(enter(a, "198.51.100.1", 3600000), CONG_ADMISSION_SHED_RATE);
    /* A clock that steps back (another thread's reading) takes nothing and gives nothing. */
    assert_int_equal(enter(a, "198.51.100.1", 3599000), CONG_ADMISSION_SHED_RATE);
    cong_admission_free(a);
}

static void burst_zero_means_the_rate(void **state)
{
    (void)state;
    cong_admission_limits_t limits = {.per_second = 2, .burst = 0, .capacity = 64};
    cong_admission_t *a = cong_admission_new(&limits);
    assert_int_equal(enter(a, "198.51.100.2", 1), CONG_ADMISSION_ADMITTED);
    assert_int_equal(enter(a, "198.51.100.2", 1), CONG_ADMISSION_ADMITTED);
    assert_int_equal(enter(a, "198.51.100.2", 1), CONG_ADMISSION_SHED_RATE);
    cong_admission_free(a);
}

static void a_shed_connection_takes_no_slot_and_no_token(void **state)
{
    (void)state;
    cong_admission_limits_t limits = {.max_connections = 1, .per_second = 1, .burst = 2, .capacity = 64};
    cong_admission_t *a = cong_admission_new(&limits);
    assert_int_equal(enter(a, "192.0.2.1", 0), CONG_ADMISSION_ADMITTED);
    for (int i = 0; i < 10; i++)
        assert_int_equal(enter(a, "192.0.2.1", 0), CONG_ADMISSION_SHED_CONCURRENT);
    cong_admission_key_t k = key("192.0.2.1");
    cong_admission_leave(a, &k);
    assert_int_equal(enter(a, "192.0.2.1", 0), CONG_ADMISSION_ADMITTED); /* the second token is still there */
    cong_admission_free(a);
}

static void one_log_line_per_address_per_interval(void **state)
{
    (void)state;
    cong_admission_limits_t limits = {.max_connections = 1, .capacity = 64};
    cong_admission_t *a = cong_admission_new(&limits);
    cong_admission_key_t k = key("192.0.2.7");
    assert_int_equal(cong_admission_enter(a, &k, 1000).log, 0); /* admitted: nothing to say */
    cong_admission_outcome_t first = cong_admission_enter(a, &k, 1000);
    assert_int_equal(first.verdict, CONG_ADMISSION_SHED_CONCURRENT);
    assert_int_equal(first.log, 1);
    for (uint64_t t = 1001; t < 1000 + CONG_ADMISSION_LOG_INTERVAL_MS; t += 997)
        assert_int_equal(cong_admission_enter(a, &k, t).log, 0);
    assert_int_equal(cong_admission_enter(a, &k, 1000 + CONG_ADMISSION_LOG_INTERVAL_MS).log, 1);
    cong_admission_free(a);
}

static void log_lines_bounded_for_the_process(void **state)
{
    (void)state;
    cong_admission_limits_t limits = {.per_second = 1, .burst = 1, .capacity = 1024};
    cong_admission_t *a = cong_admission_new(&limits);
    int lines = 0;
    for (int i = 0; i < 100; i++) { /* 100 addresses, each shed once, in the same second */
        char text[32];
        snprintf(text, sizeof text, "10.1.0.%d", i);
        cong_admission_key_t k = key(text);
        cong_admission_enter(a, &k, 20000);
        lines += cong_admission_enter(a, &k, 20000).log;
    }
    assert_int_equal(lines, CONG_ADMISSION_LOG_LINES_PER_S);
    cong_admission_key_t k = key("10.2.0.1"); /* the next second: a line, which tells how many were left out */
    cong_admission_enter(a, &k, 21000);
    cong_admission_outcome_t next = cong_admission_enter(a, &k, 21000);
    assert_int_equal(next.log, 1);
    assert_int_equal(next.suppressed, 100 - CONG_ADMISSION_LOG_LINES_PER_S);
    cong_admission_free(a);
}

static void bounded_table_evicts_idle_addresses_only(void **state)
{
    (void)state;
    cong_admission_limits_t limits = {.max_connections = 1, .per_second = 1, .burst = 1, .capacity = 16};
    cong_admission_t *a = cong_admission_new(&limits);
    /* One address holds a connection; thousands of others come once and leave. */
    assert_int_equal(enter(a, "192.0.2.200", 0), CONG_ADMISSION_ADMITTED);
    for (int i = 0; i < 5000; i++) {
        char text[32];
        snprintf(text, sizeof text, "10.%d.%d.1", i / 250, i % 250);
        cong_admission_key_t k = key(text);
        if (cong_admission_enter(a, &k, 0).verdict == CONG_ADMISSION_ADMITTED)
            cong_admission_leave(a, &k);
    }
    assert_true(cong_admission_tracked(a) <= 16 + 15); /* the capacity, rounded up to whole shards */
    /* The busy address was never forgotten: its open connection still counts. */
    assert_int_equal(enter(a, "192.0.2.200", 0), CONG_ADMISSION_SHED_CONCURRENT);
    cong_admission_free(a);
}

static void full_of_open_connections_admits_untracked(void **state)
{
    (void)state;
    cong_admission_limits_t limits = {.max_connections = 5, .capacity = 1};
    cong_admission_t *a = cong_admission_new(&limits);
    int untracked = 0;
    for (int i = 0; i < 200; i++) {
        char text[32];
        snprintf(text, sizeof text, "10.9.0.%d", i);
        enum cong_admission_verdict v = enter(a, text, 0);
        assert_true(v == CONG_ADMISSION_ADMITTED || v == CONG_ADMISSION_UNTRACKED);
        untracked += v == CONG_ADMISSION_UNTRACKED;
    }
    assert_true(untracked > 0);
    assert_true(cong_admission_tracked(a) <= 16);
    cong_admission_free(a);
}

static void keys_v4_mapped_and_v6_prefix(void **state)
{
    (void)state;
    cong_admission_key_t a = key("203.0.113.9"), b = key("::ffff:203.0.113.9");
    assert_memory_equal(&a, &b, sizeof a);
    cong_admission_key_t c = key("2001:db8:1:2::1"), d = key("2001:db8:1:2:ffff:1:2:3"), e = key("2001:db8:1:3::1");
    assert_memory_equal(&c, &d, sizeof c); /* one /64: one subscriber */
    assert_memory_not_equal(&c, &e, sizeof c);
    char text[64];
    cong_admission_key_text(&a, text);
    assert_string_equal(text, "203.0.113.9");
    cong_admission_key_text(&d, text);
    assert_string_equal(text, "2001:db8:1:2::/64");
    cong_admission_key_t k;
    assert_int_equal(cong_admission_key_of_text("not an address", &k), 0);
}

typedef struct {
    cong_admission_t *a;
    int admitted;
} worker_arg_t;

static void *worker(void *p)
{
    worker_arg_t *arg = p;
    cong_admission_key_t k = key("192.0.2.50");
    for (int i = 0; i < 20000; i++) {
        if (cong_admission_enter(arg->a, &k, 0).verdict == CONG_ADMISSION_ADMITTED) {
            arg->admitted++;
            cong_admission_leave(arg->a, &k);
        }
    }
    return NULL;
}

static void threads_share_one_count(void **state)
{
    (void)state;
    cong_admission_limits_t limits = {.max_connections = 1000, .per_second = 1, .burst = 5000, .capacity = 64};
    cong_admission_t *a = cong_admission_new(&limits);
    pthread_t t[4];
    worker_arg_t args[4];
    for (int i = 0; i < 4; i++) {
        args[i] = (worker_arg_t){a, 0};
        assert_int_equal(pthread_create(&t[i], NULL, worker, &args[i]), 0);
    }
    int admitted = 0;
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        admitted += args[i].admitted;
    }
    assert_int_equal(admitted, 5000); /* exactly the bucket, however the threads interleave */
    assert_int_equal(enter(a, "192.0.2.50", 0), CONG_ADMISSION_SHED_RATE);
    cong_admission_free(a);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(concurrent_limit_and_slots_given_back),
        cmocka_unit_test(bucket_sheds_then_refills),
        cmocka_unit_test(burst_zero_means_the_rate),
        cmocka_unit_test(a_shed_connection_takes_no_slot_and_no_token),
        cmocka_unit_test(one_log_line_per_address_per_interval),
        cmocka_unit_test(log_lines_bounded_for_the_process),
        cmocka_unit_test(bounded_table_evicts_idle_addresses_only),
        cmocka_unit_test(full_of_open_connections_admits_untracked),
        cmocka_unit_test(keys_v4_mapped_and_v6_prefix),
        cmocka_unit_test(threads_share_one_count),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
