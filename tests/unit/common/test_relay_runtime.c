/* Unit tests for common/relay_runtime/, the relays' blocking runtime: the failure log rate-limited per class (the
 * program's writer gets the lines), flags over environment variables, the PostgreSQL reconnect backoff, the --once
 * exit when PostgreSQL cannot be reached, and the stop signal ending the loop and the sleeps. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include "common/relay_runtime/relay_runtime.h"
#include "cong/errors.h"

static char lines[8][600];
static int nlines;

static void capture(const char *cls, long held_back, const char *msg)
{
    if (nlines < 8)
        snprintf(lines[nlines++], sizeof lines[0], "%s|%ld|%s", cls ? cls : "-", held_back, msg);
}

static int setup(void **state)
{
    (void)state;
    nlines = 0;
    relay_log_set_writer(capture);
    return 0;
}

static void failures_rate_limited_per_class(void **state)
{
    (void)state;
    relay_log_failure("test-a", "first %d", 1);
    relay_log_failure("test-a", "second"); /* within RELAY_LOG_INTERVAL_S: held back */
    relay_log_failure("test-b", "other class");
    relay_log_info("always %s", "written");
    relay_log_info("always %s", "written");
    assert_int_equal(nlines, 4);
    assert_string_equal(lines[0], "test-a|0|first 1");
    assert_string_equal(lines[1], "test-b|0|other class");
    assert_string_equal(lines[2], "-|0|always written");
    assert_string_equal(lines[3], "-|0|always written");
}

static int usage_calls;
static void usage(void)
{
    usage_calls++;
}

typedef struct parsed {
    const char *pg, *host;
    int port, batch, once;
} parsed_t;

static int parse(parsed_t *p, int argc, char **argv)
{
    *p = (parsed_t){.host = "default", .port = 6379, .batch = 20};
    const relay_text_option_t texts[] = {{"pg", "TEST_RELAY_PG", &p->pg}, {"host", NULL, &p->host}};
    const relay_int_option_t ints[] = {{"port", "TEST_RELAY_PORT", &p->port, 1, 65535},
                                       {"batch", "TEST_RELAY_BATCH", &p->batch, 1, 1000}};
    const relay_options_t o = {.program = "test", .usage = usage, .texts = texts, .ntexts = 2, .ints = ints,
                               .nints = 2, .once = &p->once};
    optind = 0; /* glibc: start a fresh scan */
    return relay_parse_options(argc, argv, &o);
}

static void flags_win_over_the_environment(void **state)
{
    (void)state;
    parsed_t p;
    setenv("TEST_RELAY_PG", "from-env", 1);
    setenv("TEST_RELAY_PORT", "7000", 1);
    char *none[] = {"test", NULL};
    assert_int_equal(parse(&p, 1, none), 0);
    assert_string_equal(p.pg, "from-env");
    assert_string_equal(p.host, "default");
    assert_int_equal(p.port, 7000);
    assert_int_equal(p.batch, 20);
    assert_int_equal(p.once, 0);
    char *flags[] = {"test", "--pg", "from-flag", "--port=7001", "--batch", "3", "--once", "--host", "h", NULL};
    assert_int_equal(parse(&p, 9, flags), 0);
    assert_string_equal(p.pg, "from-flag");
    assert_string_equal(p.host, "h");
    assert_int_equal(p.port, 7001);
    assert_int_equal(p.batch, 3);
    assert_int_equal(p.once, 1);
    char *operand[] = {"test", "--once", "stray", NULL};
    assert_int_equal(parse(&p, 3, operand), 0);
    assert_int_equal(optind, 2); /* the caller refuses the operand */
    unsetenv("TEST_RELAY_PG");
    unsetenv("TEST_RELAY_PORT");
}

static void bad_numbers_and_flags_exit_2(void **state)
{
    (void)state;
    parsed_t p;
    char *range[] = {"test", "--batch", "1001", NULL};
    assert_int_equal(parse(&p, 3, range), 2);
    char *junk[] = {"test", "--port", "80x", NULL};
    assert_int_equal(parse(&p, 3, junk), 2);
    setenv("TEST_RELAY_BATCH", "0", 1);
    char *none[] = {"test", NULL};
    assert_int_equal(parse(&p, 1, none), 2); /* the variable is read even when no flag sets it */
    unsetenv("TEST_RELAY_BATCH");
    usage_calls = 0;
    char *unknown[] = {"test", "--bogus", NULL};
    assert_int_equal(parse(&p, 2, unknown), 2);
    char *help[] = {"test", "--help", NULL};
    assert_int_equal(parse(&p, 2, help), 2);
    char *ambiguous[] = {"test", "--p", "x", NULL}; /* --pg or --port */
    assert_int_equal(parse(&p, 3, ambiguous), 2);
    assert_int_equal(usage_calls, 3);
}

static int count_passes(void *ctx, int *worked)
{
    (*(int *)ctx)++;
    *worked = 0;
    return CONG_OK;
}

static void postgres_down_backs_off_and_once_exits_1(void **state)
{
    (void)state;
    relay_pg_t pg = {.conninfo = "host=127.0.0.1 port=1 connect_timeout=2", .application_name = "test"};
    assert_int_equal(relay_pg_ensure(&pg), CONG_EUNAVAILABLE);
    assert_null(pg.conn);
    assert_int_equal(nlines, 1);
    assert_non_null(strstr(lines[0], "postgres|0|cannot connect: "));
    const int expected[] = {250, 500, 1000, 2000, 4000, 5000, 5000};
    for (size_t i = 0; i < sizeof expected / sizeof expected[0]; i++)
        assert_int_equal(relay_pg_backoff(&pg), expected[i]);
    int passes = 0;
    assert_int_equal(relay_run(&pg, 1, 10, count_passes, &passes), 1);
    assert_int_equal(passes, 0);
    assert_int_equal(relay_pg_query(&pg, "SELECT 1", 0, NULL, &(PGresult *){NULL}), CONG_EUNAVAILABLE);
    relay_pg_close(&pg);
}

static void stop_signal_ends_the_loop_and_the_sleeps(void **state)
{
    (void)state;
    relay_catch_stop_signals();
    assert_int_equal(relay_stopping(), 0);
    raise(SIGTERM);
    assert_int_equal(relay_stopping(), 1);
    int64_t before = relay_now_ms();
    relay_sleep_ms(60000);
    assert_true(relay_now_ms() - before < 30000);
    relay_pg_t pg = {.conninfo = "host=127.0.0.1 port=1", .application_name = "test"};
    int passes = 0;
    assert_int_equal(relay_run(&pg, 0, 10, count_passes, &passes), 0);
    assert_int_equal(passes, 0);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup(failures_rate_limited_per_class, setup),
        cmocka_unit_test_setup(flags_win_over_the_environment, setup),
        cmocka_unit_test_setup(bad_numbers_and_flags_exit_2, setup),
        cmocka_unit_test_setup(postgres_down_backs_off_and_once_exits_1, setup),
        cmocka_unit_test_setup(stop_signal_ends_the_loop_and_the_sleeps, setup),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
