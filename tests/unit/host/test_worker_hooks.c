/* Modules' worker hooks and timers (gateway/worker_hooks.c), on a real libuv loop run by the test's own thread as a
 * worker's: init hooks in load order and dispose hooks in reverse; one-shot and repeating timers; a stopped timer's
 * callback never runs again (stopped before it fired, from its own callback, at the worker's end); ids of timers that
 * ran out are not found; only the worker's own thread may start or stop its timers; timers are stopped before the
 * dispose hooks run, and every handle is closed when the loop is closed. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "gateway/host/module_loader.h"
#include "gateway/host/worker_hooks.h"

static const cong_api_t *api = &cong_module_api;

typedef struct probe {
    int fired, limit;        /* a repeating timer stops itself after `limit` fires */
    cong_timer_id_t id;
    int stop_rc;
} probe_t;

static char trace[64]; /* hooks append a letter each: order of calls */

static void trace_hook(cong_worker_t *w, int index, void *udata)
{
    (void)w;
    assert_int_equal(index, 3);
    strcat(trace, udata);
}

static cong_module_entry_t module_a = {.name = "a", .on_worker_init = trace_hook, .worker_udata = "A"};
static cong_module_entry_t module_b = {.name = "b", .on_worker_init = trace_hook, .on_worker_dispose = trace_hook,
                                       .worker_udata = "B"};
static cong_module_entry_t module_c = {.name = "c", .on_worker_dispose = trace_hook, .worker_udata = "C"};

typedef struct fixture {
    cong_gateway_t gw;
    cong_worker_t w;
    cong_module_entry_t *modules[3];
} fixture_t;

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    f->modules[0] = &module_a, f->modules[1] = &module_b, f->modules[2] = &module_c;
    f->gw.modules = f->modules;
    f->gw.module_count = 3;
    f->w.gateway = &f->gw;
    f->w.index = 3;
    uv_loop_init(&f->w.loop);
    trace[0] = '\0';
    assert_int_equal(cong_worker_hooks_start(&f->w), 0);
    assert_string_equal(trace, "AB"); /* init hooks, in load order */
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    cong_worker_timers_stop(&f->w);
    while (uv_run(&f->w.loop, UV_RUN_NOWAIT) != 0)
        ;
    trace[0] = '\0';
    cong_worker_hooks_dispose(&f->w);
    assert_string_equal(trace, "CB"); /* dispose hooks, in reverse */
    assert_int_equal(uv_loop_close(&f->w.loop), 0); /* every timer's handle is closed */
    free(f);
    return 0;
}

static void count(cong_worker_t *w, cong_timer_id_t id, void *udata)
{
    probe_t *p = udata;
    p->fired++;
    if (p->limit > 0 && p->fired == p->limit)
        p->stop_rc = api->timer_stop(w, id); /* from its own callback */
}

static void run_until(cong_worker_t *w, const int *fired, int n)
{
    for (int i = 0; i < 10000 && *fired < n; i++)
        uv_run(&w->loop, UV_RUN_ONCE);
    assert_true(*fired >= n);
}

static void one_shot_runs_once_and_is_over(void **state)
{
    fixture_t *f = *state;
    probe_t p = {0};
    assert_int_equal(api->timer_start(&f->w, 1, 0, count, &p, &p.id), 0);
    assert_true(p.id != 0);
    run_until(&f->w, &p.fired, 1);
    while (uv_run(&f->w.loop, UV_RUN_NOWAIT) != 0) /* nothing left to run: its handle closed */
        ;
    assert_int_equal(p.fired, 1);
    assert_int_equal(api->timer_stop(&f->w, p.id), CONG_ENOTFOUND); /* ran out */
    probe_t q = {0};
    assert_int_equal(api->timer_start(&f->w, 0, 0, count, &q, &q.id), 0); /* reuses the slot, not the id */
    assert_true(q.id != p.id);
    assert_int_equal(api->timer_stop(&f->w, p.id), CONG_ENOTFOUND);
    assert_int_equal(api->timer_stop(&f->w, q.id), 0);
}

static void stopped_timer_never_fires(void **state)
{
    fixture_t *f = *state;
    probe_t stopped = {0}, later = {0};
    assert_int_equal(api->timer_start(&f->w, 5, 0, count, &stopped, &stopped.id), 0);
    assert_int_equal(api->timer_start(&f->w, 30, 0, count, &later, NULL), 0);
    assert_int_equal(api->timer_stop(&f->w, stopped.id), 0);
    assert_int_equal(api->timer_stop(&f->w, stopped.id), CONG_ENOTFOUND);
    run_until(&f->w, &later.fired, 1); /* the later timer fired, so the earlier one would have */
    assert_int_equal(stopped.fired, 0);
}

static void repeating_timer_stops_itself(void **state)
{
    fixture_t *f = *state;
    probe_t three = {.limit = 3}, sentinel = {0};
    assert_int_equal(api->timer_start(&f->w, 1, 1, count, &three, &three.id), 0);
    run_until(&f->w, &three.fired, 3);
    assert_int_equal(three.stop_rc, 0);
    assert_int_equal(api->timer_start(&f->w, 20, 0, count, &sentinel, NULL), 0);
    run_until(&f->w, &sentinel.fired, 1); /* twenty of its periods later */
    assert_int_equal(three.fired, 3);
    assert_int_equal(api->timer_stop(&f->w, three.id), CONG_ENOTFOUND);
}

/* Stopped at the worker's end, before the dispose hooks: a running repeating timer fires no more. */
static void worker_end_stops_every_timer(void **state)
{
    fixture_t *f = *state;
    probe_t p = {0};
    assert_int_equal(api->timer_start(&f->w, 1, 1, count, &p, &p.id), 0);
    run_until(&f->w, &p.fired, 2);
    cong_worker_timers_stop(&f->w);
    int fired = p.fired;
    for (int i = 0; i < 5; i++)
        uv_run(&f->w.loop, UV_RUN_NOWAIT);
    assert_int_equal(p.fired, fired);
    assert_int_equal(api->timer_stop(&f->w, p.id), CONG_ENOTFOUND);
    probe_t q = {0};
    assert_int_equal(api->timer_start(&f->w, 0, 0, count, &q, NULL), CONG_ESTATE); /* the loop is over */
}

static void *start_elsewhere(void *arg)
{
    fixture_t *f = arg;
    probe_t p = {0};
    static int rc[2];
    rc[0] = api->timer_start(&f->w, 0, 0, count, &p, NULL);
    rc[1] = api->timer_stop(&f->w, 1ULL << 32 | 1);
    return rc;
}

static void only_the_workers_thread(void **state)
{
    fixture_t *f = *state;
    pthread_t t;
    void *out = NULL;
    assert_int_equal(pthread_create(&t, NULL, start_elsewhere, f), 0);
    pthread_join(t, &out);
    assert_int_equal(((int *)out)[0], CONG_ESTATE);
    assert_int_equal(((int *)out)[1], CONG_ESTATE);
    cong_worker_t other = {0}; /* another worker's handle, from this worker's thread */
    probe_t p = {0};
    assert_int_equal(api->timer_start(&other, 0, 0, count, &p, NULL), CONG_ESTATE);
    /* an id of worker 4's is not this worker's (3) timer with the same slot and generation */
    assert_int_equal(api->timer_start(&f->w, 1000, 0, count, &p, &p.id), 0);
    cong_timer_id_t of_worker_4 = (p.id & ~(0xfffULL << 20)) | 4ULL << 20;
    assert_int_equal(api->timer_stop(&f->w, of_worker_4), CONG_ENOTFOUND);
    assert_int_equal(api->timer_stop(&f->w, p.id), 0);
}

static void bad_arguments(void **state)
{
    fixture_t *f = *state;
    probe_t p = {0};
    assert_int_equal(api->timer_start(&f->w, 0, 0, NULL, &p, NULL), CONG_EINVAL);
    assert_int_equal(api->timer_start(&f->w, -1, 0, count, &p, NULL), CONG_EINVAL);
    assert_int_equal(api->timer_start(&f->w, 0, -5, count, &p, NULL), CONG_EINVAL);
    assert_int_equal(api->timer_start(&f->w, 8LL * 24 * 3600 * 1000, 0, count, &p, NULL), CONG_EINVAL);
    assert_int_equal(api->timer_stop(&f->w, 0), CONG_ENOTFOUND);
    assert_int_equal(api->timer_stop(&f->w, 12345), CONG_ENOTFOUND);
}

static void bounded_per_worker(void **state)
{
    fixture_t *f = *state;
    probe_t p = {0};
    for (int i = 0; i < CONG_TIMERS_PER_WORKER; i++)
        assert_int_equal(api->timer_start(&f->w, 3600 * 1000, 0, count, &p, NULL), 0);
    assert_int_equal(api->timer_start(&f->w, 3600 * 1000, 0, count, &p, NULL), CONG_EBUSY);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test_setup_teardown(one_shot_runs_once_and_is_over, setup, teardown),
        cmocka_unit_test_setup_teardown(stopped_timer_never_fires, setup, teardown),
        cmocka_unit_test_setup_teardown(repeating_timer_stops_itself, setup, teardown),
        cmocka_unit_test_setup_teardown(worker_end_stops_every_timer, setup, teardown),
        cmocka_unit_test_setup_teardown(only_the_workers_thread, setup, teardown),
        cmocka_unit_test_setup_teardown(bad_arguments, setup, teardown),
        cmocka_unit_test_setup_teardown(bounded_per_worker, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
