/* The store plumbing against the real Redis and PostgreSQL started by scripts/test.sh (TEST_REDIS_PORT,
 * TEST_PG_PORT): commands, errors, timeouts that drop the connection and come back, refusal when down, migrations
 * in one transaction. Each test runs its own libuv loop. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <hiredis/hiredis.h>

#include "cong/module.h"
#include "gateway/stores/migrate.h"
#include "gateway/stores/postgres.h"
#include "gateway/stores/redis.h"

static int env_port(const char *name)
{
    const char *v = getenv(name);
    if (v == NULL) {
        fail_msg("%s is not set: run through `make test` (scripts/test.sh starts the stores)", name);
    }
    return atoi(v);
}

static char conninfo[256];

/* Runs the loop until *flag is set or ms elapse. */
static void run_until(uv_loop_t *loop, int *flag, int ms)
{
    for (int i = 0; i < ms / 5 && !*flag; i++) {
        uv_run(loop, UV_RUN_NOWAIT);
        usleep(5000);
    }
}

typedef struct outcome {
    int done, err, type;
    long long integer;
    char text[128];
} outcome_t;

static void on_redis(int err, struct redisReply *reply, void *udata)
{
    outcome_t *o = udata;
    o->done = 1;
    o->err = err;
    if (reply != NULL) {
        o->type = reply->type;
        o->integer = reply->integer;
        if (reply->str != NULL)
            snprintf(o->text, sizeof o->text, "%s", reply->str);
    }
}

static void redis_wait_up(uv_loop_t *loop, cong_redis_t *r)
{
    for (int i = 0; i < 400 && !cong_redis_is_up(r); i++) {
        uv_run(loop, UV_RUN_NOWAIT);
        usleep(5000);
    }
    assert_true(cong_redis_is_up(r));
}

static void close_loop(uv_loop_t *loop)
{
    for (int i = 0; i < 100 && uv_run(loop, UV_RUN_NOWAIT) != 0; i++)
        usleep(1000);
    uv_loop_close(loop);
}

static void redis_commands_and_timeout(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    cong_redis_t *r = cong_redis_new(&loop, "127.0.0.1", env_port("TEST_REDIS_PORT"), "", 300);
    redis_wait_up(&loop, r);

    const char *set[] = {"SET", "cong:test:k", "giá trị"};
    size_t set_len[] = {3, 11, strlen("giá trị")};
    outcome_t o = {0};
    assert_int_equal(cong_redis_command(r, 3, set, set_len, on_redis, &o), 0);
    assert_false(o.done); /* never called inside the call */
    run_until(&loop, &o.done, 2000);
    assert_int_equal(o.err, 0);
    assert_string_equal(o.text, "OK");

    const char *bad[] = {"NOSUCHCOMMAND"};
    size_t bad_len[] = {13};
    o = (outcome_t){0};
    assert_int_equal(cong_redis_command(r, 1, bad, bad_len, on_redis, &o), 0);
    run_until(&loop, &o.done, 2000);
    assert_int_equal(o.err, 0);
    assert_int_equal(o.type, REDIS_REPLY_ERROR);

    /* A Redis that does not answer within the timeout: ETIMEDOUT, the connection is dropped, then comes back. */
    const char *sleep_cmd[] = {"BLPOP", "cong:test:never", "0.8"}; /* blocks this connection for 0.8 s */
    size_t sleep_len[] = {5, 15, 3};
    o = (outcome_t){0};
    assert_int_equal(cong_redis_command(r, 3, sleep_cmd, sleep_len, on_redis, &o), 0);
    run_until(&loop, &o.done, 3000);
    assert_int_equal(o.err, CONG_ETIMEDOUT);
    assert_false(cong_redis_is_up(r));
    const char *ping[] = {"PING"};
    size_t ping_len[] = {4};
    assert_int_equal(cong_redis_command(r, 1, ping, ping_len, on_redis, &o), CONG_EUNAVAILABLE);
    assert_int_equal(cong_redis_disconnects(r), 1);
    redis_wait_up(&loop, r);
    o = (outcome_t){0};
    assert_int_equal(cong_redis_command(r, 1, ping, ping_len, on_redis, &o), 0);
    run_until(&loop, &o.done, 2000);
    assert_string_equal(o.text, "PONG");

    cong_redis_close(r);
    close_loop(&loop);
}

static void redis_down(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    cong_redis_t *r = cong_redis_new(&loop, "127.0.0.1", 1, "", 300); /* nothing listens on port 1 */
    int never = 0;
    run_until(&loop, &never, 200);
    assert_false(cong_redis_is_up(r));
    const char *ping[] = {"PING"};
    size_t ping_len[] = {4};
    outcome_t o = {0};
    assert_int_equal(cong_redis_command(r, 1, ping, ping_len, on_redis, &o), CONG_EUNAVAILABLE);
    cong_redis_close(r);
    close_loop(&loop);
}

typedef struct pg_outcome {
    int done, err, rows;
    char value[64];
} pg_outcome_t;

static void on_pg(int err, PGresult *res, void *udata)
{
    pg_outcome_t *o = udata;
    o->done = 1;
    o->err = err;
    if (res != NULL && err == 0) {
        o->rows = PQntuples(res);
        if (o->rows > 0)
            snprintf(o->value, sizeof o->value, "%s", PQgetvalue(res, 0, 0));
    }
}

static void pg_wait_up(uv_loop_t *loop, cong_pg_pool_t *p, int n)
{
    for (int i = 0; i < 600 && cong_pg_pool_up(p) < n; i++) {
        uv_run(loop, UV_RUN_NOWAIT);
        usleep(5000);
    }
    assert_int_equal(cong_pg_pool_up(p), n);
}

static void postgres_queries_and_timeout(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    cong_pg_pool_t *p = cong_pg_pool_new(&loop, conninfo, 2, 400, 8);
    pg_wait_up(&loop, p, 2);

    const char *params[] = {"41"};
    pg_outcome_t o = {0};
    assert_int_equal(cong_pg_query(p, "SELECT $1::int + 1", 1, params, on_pg, &o), 0);
    assert_false(o.done);
    run_until(&loop, &o.done, 2000);
    assert_int_equal(o.err, 0);
    assert_string_equal(o.value, "42");

    o = (pg_outcome_t){0};
    assert_int_equal(cong_pg_query(p, "SELECT * FROM no_such_table", 0, NULL, on_pg, &o), 0);
    run_until(&loop, &o.done, 2000);
    assert_int_equal(o.err, CONG_EQUERY);

    /* Five queries on two connections: all answered, in order of their queue. */
    pg_outcome_t many[5] = {{0}};
    for (int i = 0; i < 5; i++)
        assert_int_equal(cong_pg_query(p, "SELECT pg_sleep(0.02)::text || 'x'", 0, NULL, on_pg, &many[i]), 0);
    for (int i = 0; i < 5; i++) {
        run_until(&loop, &many[i].done, 3000);
        assert_int_equal(many[i].err, 0);
    }

    /* Longer than the deadline: ETIMEDOUT, the connection is reset, the pool recovers. */
    o = (pg_outcome_t){0};
    assert_int_equal(cong_pg_query(p, "SELECT pg_sleep(2)", 0, NULL, on_pg, &o), 0);
    run_until(&loop, &o.done, 3000);
    assert_int_equal(o.err, CONG_ETIMEDOUT);
    pg_wait_up(&loop, p, 2);
    o = (pg_outcome_t){0};
    assert_int_equal(cong_pg_query(p, "SELECT 'again'", 0, NULL, on_pg, &o), 0);
    run_until(&loop, &o.done, 2000);
    assert_string_equal(o.value, "again");

    /* The queue is bounded. */
    pg_outcome_t flood[12] = {{0}};
    int busy = 0;
    for (int i = 0; i < 12; i++)
        busy += cong_pg_query(p, "SELECT 1", 0, NULL, on_pg, &flood[i]) == CONG_EBUSY;
    assert_true(busy > 0);
    for (int i = 0; i < 12; i++)
        if (!busy || flood[i].done == 0)
            run_until(&loop, &flood[i].done, 50);

    cong_pg_pool_close(p);
    close_loop(&loop);
}

static void postgres_down(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    cong_pg_pool_t *p = cong_pg_pool_new(&loop, "host=127.0.0.1 port=1 dbname=x connect_timeout=1", 1, 300, 8);
    int never = 0;
    run_until(&loop, &never, 200);
    pg_outcome_t o = {0};
    assert_int_equal(cong_pg_query(p, "SELECT 1", 0, NULL, on_pg, &o), CONG_EUNAVAILABLE);
    cong_pg_pool_close(p);
    close_loop(&loop);
}

/* A blocking connection of the test's own, to look at the server from outside the pool. */
static PGconn *observer(void)
{
    PGconn *c = PQconnectdb(conninfo);
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    return c;
}

static void exec_ok(PGconn *c, const char *sql)
{
    PGresult *res = PQexec(c, sql);
    if (PQresultStatus(res) != PGRES_COMMAND_OK && PQresultStatus(res) != PGRES_TUPLES_OK)
        fail_msg("%s: %s", sql, PQresultErrorMessage(res));
    PQclear(res);
}

static int count_of(PGconn *c, const char *sql, const char *param)
{
    PGresult *res = PQexecParams(c, sql, 1, NULL, &param, NULL, NULL, 0);
    assert_int_equal(PQresultStatus(res), PGRES_TUPLES_OK);
    int n = atoi(PQgetvalue(res, 0, 0));
    PQclear(res);
    return n;
}

static uint64_t now_ms(uv_loop_t *loop)
{
    uv_update_time(loop);
    return uv_now(loop);
}

/* A statement past its deadline is stopped on the server, not only abandoned by the pool: with more of them at once
 * than cancels may run together (the rest are ended by the connection's statement_timeout), every backend is idle
 * again within a second of the deadline, and the pool serves the next queries on all its connections. */
static void postgres_deadline_stops_the_statement_on_the_server(void **state)
{
    (void)state;
    char app[48], info[400];
    snprintf(app, sizeof app, "cong-test-deadline-%d", getpid());
    snprintf(info, sizeof info, "%s application_name=%s", conninfo, app);
    uv_loop_t loop;
    uv_loop_init(&loop);
    cong_pg_pool_t *p = cong_pg_pool_new(&loop, info, 4, 300, 8);
    pg_wait_up(&loop, p, 4);
    PGconn *watch = observer();
    const char *running = "SELECT count(*) FROM pg_stat_activity WHERE application_name = $1 AND state = 'active'";

    pg_outcome_t slow[4] = {{0}};
    for (int i = 0; i < 4; i++)
        assert_int_equal(cong_pg_query(p, "SELECT pg_sleep(30)", 0, NULL, on_pg, &slow[i]), 0);
    for (int i = 0; i < 4; i++) {
        run_until(&loop, &slow[i].done, 3000);
        assert_int_equal(slow[i].err, CONG_ETIMEDOUT);
    }
    uint64_t give_up = now_ms(&loop) + 1000;
    int active = count_of(watch, running, app);
    while (active > 0 && now_ms(&loop) < give_up) {
        uv_run(&loop, UV_RUN_NOWAIT);
        usleep(5000);
        active = count_of(watch, running, app);
    }
    assert_int_equal(active, 0);

    pg_wait_up(&loop, p, 4);
    pg_outcome_t again[4] = {{0}};
    for (int i = 0; i < 4; i++)
        assert_int_equal(cong_pg_query(p, "SHOW statement_timeout", 0, NULL, on_pg, &again[i]), 0);
    for (int i = 0; i < 4; i++) {
        run_until(&loop, &again[i].done, 2000);
        assert_int_equal(again[i].err, 0);
        assert_string_equal(again[i].value, "550ms"); /* the deadline and a margin: the backstop of a lost cancel */
    }
    PQfinish(watch);
    cong_pg_pool_close(p);
    close_loop(&loop);
}

/* An error that comes after a statement's own result (here a deferred foreign key checked at the implicit COMMIT)
 * fails the query: the caller must never take it for a success. */
static void postgres_commit_time_error_fails_the_query(void **state)
{
    (void)state;
    char sql[512], parent[48], child[48];
    snprintf(parent, sizeof parent, "test_deferred_parent_%d", getpid());
    snprintf(child, sizeof child, "test_deferred_child_%d", getpid());
    PGconn *c = observer();
    snprintf(sql, sizeof sql,
             "DROP TABLE IF EXISTS %s; DROP TABLE IF EXISTS %s;"
             "CREATE TABLE %s (id int PRIMARY KEY); INSERT INTO %s VALUES (1);"
             "CREATE TABLE %s (id int REFERENCES %s DEFERRABLE INITIALLY DEFERRED)",
             child, parent, parent, parent, child, parent);
    exec_ok(c, sql);
    uv_loop_t loop;
    uv_loop_init(&loop);
    cong_pg_pool_t *p = cong_pg_pool_new(&loop, conninfo, 1, 2000, 8);
    pg_wait_up(&loop, p, 1);

    snprintf(sql, sizeof sql, "INSERT INTO %s VALUES ($1::int) RETURNING id", child);
    const char *good[] = {"1"}, *orphan[] = {"7"};
    pg_outcome_t o = {0};
    assert_int_equal(cong_pg_query(p, sql, 1, good, on_pg, &o), 0);
    run_until(&loop, &o.done, 2000);
    assert_int_equal(o.err, 0);
    assert_string_equal(o.value, "1");

    o = (pg_outcome_t){0};
    assert_int_equal(cong_pg_query(p, sql, 1, orphan, on_pg, &o), 0);
    run_until(&loop, &o.done, 2000);
    assert_true(o.done);
    assert_int_equal(o.err, CONG_EQUERY);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM %s WHERE id = $1::int", child);
    assert_int_equal(count_of(c, sql, "7"), 0);

    cong_pg_pool_close(p);
    close_loop(&loop);
    snprintf(sql, sizeof sql, "DROP TABLE %s; DROP TABLE %s", child, parent);
    exec_ok(c, sql);
    PQfinish(c);
}

/* postgres.h, shedding: a query that found no connection within the wait bound fails with CONG_EBUSY soon after
 * the bound (not at its deadline), and never reaches the server; the one running meanwhile is untouched, and once it
 * has, a query queued later runs under its whole deadline. */
static void postgres_wait_bound_sheds(void **state)
{
    (void)state;
    uv_loop_t loop;
    uv_loop_init(&loop);
    cong_pg_pool_t *p = cong_pg_pool_new(&loop, conninfo, 1, 5000, 8);
    cong_pg_pool_set_wait_bound(p, 200);
    pg_wait_up(&loop, p, 1);

    pg_outcome_t slow = {0}, shed = {0}, later = {0};
    assert_int_equal(cong_pg_query(p, "SELECT pg_sleep(0.8)::text || 'slow'", 0, NULL, on_pg, &slow), 0);
    uint64_t queued_at = uv_now(&loop);
    assert_int_equal(cong_pg_query(p, "SELECT 'never run'", 0, NULL, on_pg, &shed), 0);
    run_until(&loop, &shed.done, 3000);
    uv_update_time(&loop);
    uint64_t waited = uv_now(&loop) - queued_at;
    assert_int_equal(shed.err, CONG_EBUSY);
    assert_true(waited >= 190 && waited < 700); /* the bound, long before the slow query ends or the deadline */
    assert_false(slow.done);
    assert_int_equal(cong_pg_pool_shed(p), 1);

    run_until(&loop, &slow.done, 3000);
    assert_int_equal(slow.err, 0);
    assert_string_equal(slow.value, "slow");
    /* a query that runs longer than the bound: the bound is about waiting, not running */
    assert_int_equal(cong_pg_query(p, "SELECT pg_sleep(0.4)::text || 'ran'", 0, NULL, on_pg, &later), 0);
    run_until(&loop, &later.done, 3000);
    assert_int_equal(later.err, 0);
    assert_string_equal(later.value, "ran");

    cong_pg_pool_close(p);
    close_loop(&loop);
}

/* postgres.pool_size 0: 8 connections per core over the process, split among the workers, 4..64 per worker. */
static void postgres_pool_sized_to_the_machine(void **state)
{
    (void)state;
    assert_int_equal(cong_pg_pool_size_for_machine(2, 1), 16);
    assert_int_equal(cong_pg_pool_size_for_machine(2, 2), 8);
    assert_int_equal(cong_pg_pool_size_for_machine(16, 16), 8);
    assert_int_equal(cong_pg_pool_size_for_machine(3, 2), 12);
    assert_int_equal(cong_pg_pool_size_for_machine(1, 8), 4);
    assert_int_equal(cong_pg_pool_size_for_machine(64, 1), 64);
    assert_int_equal(cong_pg_pool_size_for_machine(0, 0), 8);
}

static void write_file(const char *dir, const char *name, const char *text)
{
    char path[512];
    snprintf(path, sizeof path, "%s/%s", dir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

static void migrations_are_atomic(void **state)
{
    (void)state;
    char db[64], admin[256], scratch[300], dir[] = "/tmp/cong-migrations-XXXXXX";
    snprintf(db, sizeof db, "cong_migrate_%d", getpid());
    snprintf(admin, sizeof admin, "host=127.0.0.1 port=%d dbname=postgres user=postgres", env_port("TEST_PG_PORT"));
    snprintf(scratch, sizeof scratch, "host=127.0.0.1 port=%d dbname=%s user=postgres", env_port("TEST_PG_PORT"), db);
    PGconn *c = PQconnectdb(admin);
    assert_int_equal(PQstatus(c), CONNECTION_OK);
    char sql[128];
    snprintf(sql, sizeof sql, "CREATE DATABASE %s", db);
    PQclear(PQexec(c, sql));
    assert_non_null(mkdtemp(dir));

    write_file(dir, "0001_a.sql", "CREATE TABLE a (id int);");
    write_file(dir, "0002_b.sql", "CREATE TABLE b (id int); INSERT INTO b VALUES (1);");
    int applied = -1;
    assert_int_equal(cong_migrate(scratch, dir, NULL, 0, &applied), 0);
    assert_int_equal(applied, 2);
    assert_int_equal(cong_migrate(scratch, dir, NULL, 0, &applied), 0);
    assert_int_equal(applied, 0);

    /* A failing migration applies nothing, not even the good one before it. */
    write_file(dir, "0003_c.sql", "CREATE TABLE c (id int);");
    write_file(dir, "0004_broken.sql", "CREATE TABLE d (id nosuchtype);");
    assert_int_equal(cong_migrate(scratch, dir, NULL, 0, &applied), CONG_EQUERY);
    assert_int_equal(applied, 0);
    PGconn *s = PQconnectdb(scratch);
    PGresult *res = PQexec(s, "SELECT count(*) FROM schema_migrations");
    assert_string_equal(PQgetvalue(res, 0, 0), "2");
    PQclear(res);
    res = PQexec(s, "SELECT to_regclass('c') IS NULL");
    assert_string_equal(PQgetvalue(res, 0, 0), "t");
    PQclear(res);
    PQfinish(s);

    snprintf(sql, sizeof sql, "DROP DATABASE %s", db);
    PQclear(PQexec(c, sql));
    PQfinish(c);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
    assert_int_equal(system(cmd), 0);
}

int main(void)
{
    snprintf(conninfo, sizeof conninfo, "host=127.0.0.1 port=%d dbname=cong user=cong",
             getenv("TEST_PG_PORT") ? atoi(getenv("TEST_PG_PORT")) : 0);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(redis_commands_and_timeout), cmocka_unit_test(redis_down),
        cmocka_unit_test(postgres_queries_and_timeout), cmocka_unit_test(postgres_down),
        cmocka_unit_test(postgres_deadline_stops_the_statement_on_the_server),
        cmocka_unit_test(postgres_commit_time_error_fails_the_query),
        cmocka_unit_test(postgres_wait_bound_sheds), cmocka_unit_test(postgres_pool_sized_to_the_machine),
        cmocka_unit_test(migrations_are_atomic),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
