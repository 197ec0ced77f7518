/* The job thread (gateway/host/jobs.c): jobs run at their interval, one at a time, off the caller's thread; a wake runs one
 * now; stop tells a long run to hurry and waits for it; the thread's own PostgreSQL connection (TEST_PG_PORT, from
 * scripts/test.sh) runs statements, and a transaction a run leaves open is rolled back before the next run. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdatomic.h>
#include <time.h>

#include <cmocka.h>

#include "gateway/config/config.h"
#include "gateway/gateway.h"
#include "gateway/host/jobs.h"
#include "gateway/host/module_loader.h"

typedef struct probe {
    atomic_int runs, concurrent, overlap;
    pthread_t thread;
    int long_run; /* loops until job_stopping */
} probe_t;

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Polls *v every 10 ms for up to `ms` until it reaches `n`; 1 when it did. */
static int wait_for(atomic_int *v, int n, int ms)
{
    long long until = now_ms() + ms;
    while (atomic_load(v) < n && now_ms() < until) {
        struct timespec t = {0, 10000000};
        nanosleep(&t, NULL);
    }
    return atomic_load(v) >= n;
}

static void count(cong_job_t *job, void *udata)
{
    probe_t *p = udata;
    if (atomic_fetch_add(&p->concurrent, 1) != 0)
        atomic_store(&p->overlap, 1);
    p->thread = pthread_self();
    struct timespec t = {0, 20000000};
    nanosleep(&t, NULL);
    while (p->long_run && !cong_job_stopping(job))
        nanosleep(&t, NULL);
    atomic_fetch_sub(&p->concurrent, 1);
    atomic_fetch_add(&p->runs, 1);
}

static void gateway_with(cong_gateway_t *gw, cong_config_t *cfg, const char *conninfo)
{
    memset(gw, 0, sizeof *gw);
    assert_int_equal(cong_config_defaults(cfg), 0);
    free(cfg->postgres.conninfo);
    cfg->postgres.conninfo = strdup(conninfo);
    cfg->postgres.timeout_ms = 2000;
    gw->config = cfg;
}

static void test_runs_at_interval_one_at_a_time(void **state)
{
    (void)state;
    cong_gateway_t gw;
    cong_config_t cfg;
    gateway_with(&gw, &cfg, "host=127.0.0.1 port=1");
    probe_t a = {0}, b = {0};
    assert_true(cong_jobs_add(&gw, "test", "fast_a", 100, count, &a) >= 0);
    assert_true(cong_jobs_add(&gw, "test", "fast_b", 100, count, &b) >= 0);
    assert_int_equal(cong_jobs_add(&gw, "test", "Bad-Name", 100, count, &a), CONG_EINVAL);
    assert_int_equal(cong_jobs_add(&gw, "test", "too_often", 99, count, &a), CONG_EINVAL);
    assert_int_equal(atomic_load(&a.runs), 0);
    assert_int_equal(cong_jobs_start(&gw), 0);
    assert_int_equal(cong_jobs_add(&gw, "test", "late", 100, count, &a), CONG_ESTATE);
    assert_true(wait_for(&a.runs, 3, 10000) && wait_for(&b.runs, 3, 10000));
    cong_jobs_stop(&gw);
    assert_null(gw.jobs);
    assert_false(pthread_equal(a.thread, pthread_self())); /* never the caller's thread */
    assert_true(pthread_equal(a.thread, b.thread));       /* one thread for all jobs */
    assert_int_equal(atomic_load(&a.overlap), 0);
    cong_config_free(&cfg);
}

static void test_wake_and_stop(void **state)
{
    (void)state;
    cong_gateway_t gw;
    cong_config_t cfg;
    gateway_with(&gw, &cfg, "host=127.0.0.1 port=1");
    probe_t slow = {0}, busy = {.long_run = 1};
    int id = cong_jobs_add(&gw, "test", "hourly", 3600 * 1000, count, &slow);
    int busy_id = cong_jobs_add(&gw, "test", "busy", 3600 * 1000, count, &busy);
    assert_true(id >= 0 && busy_id >= 0);
    assert_int_equal(cong_jobs_start(&gw), 0);
    cong_jobs_wake(&gw, id);
    assert_true(wait_for(&slow.runs, 1, 5000)); /* an hourly job, run now */
    cong_jobs_wake(&gw, busy_id);
    assert_true(wait_for(&busy.concurrent, 1, 5000));
    long long t0 = now_ms();
    cong_jobs_stop(&gw); /* the busy run sees job_stopping and returns */
    assert_true(now_ms() - t0 < 2000);
    assert_int_equal(atomic_load(&busy.runs), 1);
    cong_config_free(&cfg);
}

/* ---- the thread's PostgreSQL connection ---- */

typedef struct sql_probe {
    atomic_int step;
    int rc[4];
    char value[4][64];
} sql_probe_t;

static void sql(cong_job_t *job, void *udata)
{
    sql_probe_t *p = udata;
    cong_pg_result_t *res = NULL;
    int i = atomic_load(&p->step);
    if (i == 0) { /* leaves a transaction open, with a setting local to it */
        p->rc[0] = cong_job_pg_exec(job, "BEGIN", 0, NULL, NULL);
        p->rc[1] = cong_job_pg_exec(job, "SET LOCAL application_name = 'left-open'", 0, NULL, NULL);
    } else if (i == 1) {
        const char *params[] = {"41"};
        p->rc[2] = cong_job_pg_exec(job, "SELECT current_setting('application_name'), $1::int + 1", 1, params, &res);
        if (p->rc[2] == 0)
            snprintf(p->value[2], sizeof p->value[2], "%s %s", cong_module_api.pg_value(res, 0, 0),
                     cong_module_api.pg_value(res, 0, 1));
        cong_job_pg_clear(res);
        p->rc[3] = cong_job_pg_exec(job, "SELECT no_such_column FROM no_such_table", 0, NULL, &res);
        snprintf(p->value[3], sizeof p->value[3], "%p", (void *)res);
    }
    atomic_fetch_add(&p->step, 1);
}

static void test_sql_and_rollback(void **state)
{
    (void)state;
    const char *port = getenv("TEST_PG_PORT");
    if (port == NULL)
        fail_msg("TEST_PG_PORT is not set: run through `make test` (scripts/test.sh starts the stores)");
    char conninfo[128];
    snprintf(conninfo, sizeof conninfo, "host=127.0.0.1 port=%s dbname=cong user=cong", port);
    cong_gateway_t gw;
    cong_config_t cfg;
    gateway_with(&gw, &cfg, conninfo);
    sql_probe_t p = {0};
    assert_true(cong_jobs_add(&gw, "test", "sql", 100, sql, &p) >= 0);
    assert_int_equal(cong_jobs_start(&gw), 0);
    assert_true(wait_for(&p.step, 2, 10000));
    cong_jobs_stop(&gw);
    assert_int_equal(p.rc[0], 0);
    assert_int_equal(p.rc[1], 0);
    assert_int_equal(p.rc[2], 0);
    /* the open transaction was rolled back between the runs; the connection names its instance (audit records) */
    assert_true(strncmp(p.value[2], "cong-jobs ", 10) == 0 && strstr(p.value[2], ":") != NULL);
    assert_string_equal(strrchr(p.value[2], ' '), " 42");
    assert_int_equal(p.rc[3], CONG_EQUERY);
    assert_string_equal(p.value[3], "(nil)");
    cong_config_free(&cfg);
}

static void unreachable(cong_job_t *job, void *udata)
{
    atomic_int **args = udata;
    atomic_store(args[0], cong_job_pg_exec(job, "SELECT 1", 0, NULL, NULL));
    atomic_store(args[1], 1);
}

static void test_store_down(void **state)
{
    (void)state;
    cong_gateway_t gw;
    cong_config_t cfg;
    gateway_with(&gw, &cfg, "host=127.0.0.1 port=1 dbname=cong user=cong");
    atomic_int rc = 1, done = 0;
    atomic_int *args[] = {&rc, &done};
    int id = cong_jobs_add(&gw, "test", "down", 3600 * 1000, unreachable, args);
    assert_int_equal(cong_jobs_start(&gw), 0);
    cong_jobs_wake(&gw, id);
    assert_true(wait_for(&done, 1, 10000));
    cong_jobs_stop(&gw);
    assert_int_equal(atomic_load(&rc), CONG_EUNAVAILABLE);
    cong_config_free(&cfg);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_runs_at_interval_one_at_a_time),
        cmocka_unit_test(test_wake_and_stop),
        cmocka_unit_test(test_sql_and_rollback),
        cmocka_unit_test(test_store_down),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
