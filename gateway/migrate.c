#include "migrate.h"

#include <dirent.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cong/module.h"
#include "log.h"

#define MIGRATION_LOCK_ID "7361626"

typedef struct migration {
    int version;
    char name[256];
} migration_t;

static int by_version(const void *a, const void *b)
{
    return ((const migration_t *)a)->version - ((const migration_t *)b)->version;
}

static int list_migrations(const char *dir, migration_t **out, size_t *count)
{
    DIR *d = opendir(dir);
    if (d == NULL)
        return CONG_EIO;
    migration_t *list = NULL;
    size_t n = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        int version;
        if (len < 9 || len >= sizeof list->name || strcmp(e->d_name + len - 4, ".sql") != 0 ||
            sscanf(e->d_name, "%4d_", &version) != 1 || e->d_name[4] != '_')
            continue;
        migration_t *grown = realloc(list, (n + 1) * sizeof *list);
        if (grown == NULL) {
            free(list);
            closedir(d);
            return CONG_ENOMEM;
        }
        list = grown;
        list[n].version = version;
        snprintf(list[n].name, sizeof list[n].name, "%s", e->d_name);
        n++;
    }
    closedir(d);
    qsort(list, n, sizeof *list, by_version);
    *out = list;
    *count = n;
    return 0;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    if (f == NULL)
        return NULL;
    fseek(f, 0, SEEK_END);
    long size = ftell(f);
    fseek(f, 0, SEEK_SET);
    char *buf = size >= 0 ? malloc((size_t)size + 1) : NULL;
    if (buf != NULL && fread(buf, 1, (size_t)size, f) != (size_t)size) {
        free(buf);
        buf = NULL;
    }
    if (buf != NULL)
        buf[size] = '\0';
    fclose(f);
    return buf;
}

static void ignore_notice(void *arg, const char *message)
{
    (void)arg, (void)message;
}

static int exec_ok(PGconn *c, const char *sql, const char *what)
{
    PGresult *res = PQexec(c, sql);
    ExecStatusType st = PQresultStatus(res);
    int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (!ok)
        cong_log(CONG_LOG_ERROR, "migrate", "%s failed: %s", what, PQresultErrorMessage(res));
    PQclear(res);
    return ok;
}

static int already_applied(PGconn *c, int version)
{
    char v[16];
    snprintf(v, sizeof v, "%d", version);
    const char *params[] = {v};
    PGresult *res = PQexecParams(c, "SELECT 1 FROM schema_migrations WHERE version = $1", 1, NULL, params, NULL, NULL, 0);
    int found = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;
    PQclear(res);
    return found;
}

static int apply_one(PGconn *c, const char *dir, const migration_t *m)
{
    char path[4096];
    snprintf(path, sizeof path, "%s/%s", dir, m->name);
    char *sql = read_file(path);
    if (sql == NULL)
        return CONG_EIO;
    int ok = exec_ok(c, sql, m->name);
    free(sql);
    if (!ok)
        return CONG_EQUERY;
    char v[16];
    snprintf(v, sizeof v, "%d", m->version);
    const char *params[] = {v, m->name};
    PGresult *res = PQexecParams(c, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", 2, NULL, params,
                                 NULL, NULL, 0);
    ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    return ok ? 0 : CONG_EQUERY;
}

static int apply_pending(PGconn *c, const char *dir, migration_t *list, size_t n, int *applied)
{
    if (!exec_ok(c, "BEGIN", "BEGIN") ||
        !exec_ok(c, "SELECT pg_advisory_xact_lock(" MIGRATION_LOCK_ID ")", "migration lock") ||
        !exec_ok(c,
                 "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, "
                 "applied_at timestamptz NOT NULL DEFAULT now())",
                 "schema_migrations"))
        return CONG_EQUERY;
    for (size_t i = 0; i < n; i++) {
        if (already_applied(c, list[i].version))
            continue;
        int rc = apply_one(c, dir, &list[i]);
        if (rc != 0) {
            exec_ok(c, "ROLLBACK", "ROLLBACK");
            *applied = 0;
            return rc;
        }
        cong_log(CONG_LOG_INFO, "migrate", "applying %s", list[i].name);
        (*applied)++;
    }
    if (!exec_ok(c, "COMMIT", "COMMIT")) {
        *applied = 0;
        return CONG_EQUERY;
    }
    return 0;
}

int cong_migrate(const char *conninfo, const char *dir, int *applied)
{
    *applied = 0;
    migration_t *list = NULL;
    size_t n = 0;
    int rc = list_migrations(dir, &list, &n);
    if (rc != 0) {
        cong_log(CONG_LOG_ERROR, "migrate", "cannot read the migrations folder %s", dir);
        return rc;
    }
    PGconn *c = PQconnectdb(conninfo);
    if (PQstatus(c) != CONNECTION_OK) {
        cong_log(CONG_LOG_ERROR, "migrate", "cannot connect to PostgreSQL");
        PQfinish(c);
        free(list);
        return CONG_EUNAVAILABLE;
    }
    PQsetNoticeProcessor(c, ignore_notice, NULL);
    rc = apply_pending(c, dir, list, n, applied);
    PQfinish(c);
    free(list);
    return rc;
}
