/* common/relay_runtime/pg.c — one blocking PostgreSQL connection, reconnected with backoff (relay_runtime.h). */
#include "relay_runtime.h"

#include "cong/errors.h"

#include <string.h>

#define PG_BACKOFF_MIN_MS 250
#define PG_BACKOFF_MAX_MS 5000

/* The first line of libpq's message (they run over several lines; the conninfo never appears in them). */
static void first_line(const char *msg, char *out, size_t cap)
{
    size_t n = strcspn(msg ? msg : "", "\n");
    if (n >= cap)
        n = cap - 1;
    memcpy(out, msg ? msg : "", n);
    out[n] = '\0';
}

int relay_pg_ensure(relay_pg_t *pg)
{
    if (pg->conn && PQstatus(pg->conn) == CONNECTION_OK)
        return CONG_OK;
    if (pg->conn) {
        PQfinish(pg->conn);
        pg->conn = NULL;
    }
    /* defaults first: the conninfo (expanded at its place, later wins) may override them */
    const char *keys[] = {"connect_timeout", "application_name", "dbname", NULL};
    const char *values[] = {"5", pg->application_name, pg->conninfo, NULL};
    PGconn *c = PQconnectdbParams(keys, values, 1);
    if (!c || PQstatus(c) != CONNECTION_OK) {
        char msg[200];
        first_line(c ? PQerrorMessage(c) : "out of memory", msg, sizeof msg);
        relay_log_failure("postgres", "cannot connect: %s", msg);
        PQfinish(c);
        return CONG_EUNAVAILABLE;
    }
    if (pg->backoff_ms > 0)
        relay_log_info("postgres: connected");
    pg->conn = c;
    pg->backoff_ms = 0;
    return CONG_OK;
}

int relay_pg_backoff(relay_pg_t *pg)
{
    pg->backoff_ms = pg->backoff_ms ? pg->backoff_ms * 2 : PG_BACKOFF_MIN_MS;
    if (pg->backoff_ms > PG_BACKOFF_MAX_MS)
        pg->backoff_ms = PG_BACKOFF_MAX_MS;
    return pg->backoff_ms;
}

int relay_pg_query(relay_pg_t *pg, const char *sql, int nparams, const char *const *params, PGresult **out)
{
    *out = NULL;
    if (!pg->conn)
        return CONG_EUNAVAILABLE;
    PGresult *res = PQexecParams(pg->conn, sql, nparams, NULL, params, NULL, NULL, 0);
    ExecStatusType st = res ? PQresultStatus(res) : PGRES_FATAL_ERROR;
    if (st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK) {
        *out = res;
        return CONG_OK;
    }
    char msg[200];
    first_line(res ? PQresultErrorMessage(res) : PQerrorMessage(pg->conn), msg, sizeof msg);
    PQclear(res);
    if (PQstatus(pg->conn) != CONNECTION_OK) {
        relay_log_failure("postgres", "connection lost: %s", msg);
        PQfinish(pg->conn);
        pg->conn = NULL;
        return CONG_EUNAVAILABLE;
    }
    relay_log_failure("postgres-query", "%s", msg);
    return CONG_EQUERY;
}

int relay_pg_exec(relay_pg_t *pg, const char *sql, int nparams, const char *const *params)
{
    PGresult *res;
    int rc = relay_pg_query(pg, sql, nparams, params, &res);
    PQclear(res);
    return rc;
}

void relay_pg_rollback(relay_pg_t *pg)
{
    if (pg->conn && PQstatus(pg->conn) == CONNECTION_OK)
        PQclear(PQexec(pg->conn, "ROLLBACK"));
}

void relay_pg_close(relay_pg_t *pg)
{
    PQfinish(pg->conn);
    pg->conn = NULL;
}
