#include "migrate.h"

#include <dirent.h>
#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cong/errors.h"
#include "common/common.h"

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

/* module NULL: the gateway's own (schema_migrations); else module_migrations. */
static int already_applied(PGconn *c, const char *module, int version)
{
    char v[16];
    snprintf(v, sizeof v, "%d", version);
    const char *params[] = {v, module};
    PGresult *res = module == NULL
                        ? PQexecParams(c, "SELECT 1 FROM schema_migrations WHERE version = $1", 1, NULL, params, NULL,
                                       NULL, 0)
                        : PQexecParams(c, "SELECT 1 FROM module_migrations WHERE version = $1 AND module = $2", 2, NULL,
                                       params, NULL, NULL, 0);
    int found = PQresultStatus(res) == PGRES_TUPLES_OK && PQntuples(res) == 1;
    PQclear(res);
    return found;
}

static int apply_one(PGconn *c, const char *module, const char *dir, const migration_t *m)
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
    const char *params[] = {v, m->name, module};
    PGresult *res =
        module == NULL
            ? PQexecParams(c, "INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", 2, NULL, params, NULL,
                           NULL, 0)
            : PQexecParams(c, "INSERT INTO module_migrations (version, name, module) VALUES ($1, $2, $3)", 3, NULL,
                           params, NULL, NULL, 0);
    ok = PQresultStatus(res) == PGRES_COMMAND_OK;
    PQclear(res);
    return ok ? 0 : CONG_EQUERY;
}

/* Applies one folder's pending migrations inside the caller's transaction. */
static int apply_folder(PGconn *c, const char *module, const char *dir, int *applied)
{
    migration_t *list = NULL;
    size_t n = 0;
    int rc = list_migrations(dir, &list, &n);
    if (rc != 0) {
        cong_log(CONG_LOG_ERROR, "migrate", "cannot read the migrations folder %s", dir);
        return rc;
    }
    for (size_t i = 0; i < n && rc == 0; i++) {
        if (already_applied(c, module, list[i].version))
            continue;
        rc = apply_one(c, module, dir, &list[i]);
        if (rc == 0) {
            cong_log(CONG_LOG_INFO, "migrate", "applied %s%s%s", module ? module : "", module ? "/" : "", list[i].name);
            (*applied)++;
        }
    }
    free(list);
    return rc;
}

static int apply_pending(PGconn *c, const char *dir, const cong_migration_set_t *modules, size_t module_count,
                         int *applied)
{
    if (!exec_ok(c, "BEGIN", "BEGIN") ||
        !exec_ok(c, "SELECT pg_advisory_xact_lock(" MIGRATION_LOCK_ID ")", "migration lock") ||
        !exec_ok(c,
                 "CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, name text NOT NULL, "
                 "applied_at timestamptz NOT NULL DEFAULT now());"
                 "CREATE TABLE IF NOT EXISTS module_migrations (module text NOT NULL, version integer NOT NULL, "
                 "name text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now(), PRIMARY KEY (module, version))",
                 "migration tables"))
        return CONG_EQUERY;
    int rc = apply_folder(c, NULL, dir, applied);
    for (size_t i = 0; i < module_count && rc == 0; i++)
        rc = apply_folder(c, modules[i].module, modules[i].dir, applied);
    if (rc != 0) {
        exec_ok(c, "ROLLBACK", "ROLLBACK");
        *applied = 0;
        return rc;
    }
    if (!exec_ok(c, "COMMIT", "COMMIT")) {
        *applied = 0;
        return CONG_EQUERY;
    }
    return 0;
}

int cong_migrate(const char *conninfo, const char *dir, const cong_migration_set_t *modules, size_t module_count,
                 int *applied)
{
    *applied = 0;
    PGconn *c = PQconnectdb(conninfo);
    if (PQstatus(c) != CONNECTION_OK) {
        cong_log(CONG_LOG_ERROR, "migrate", "cannot connect to PostgreSQL");
        PQfinish(c);
        return CONG_EUNAVAILABLE;
    }
    PQsetNoticeProcessor(c, ignore_notice, NULL);
    int rc = apply_pending(c, dir, modules, module_count, applied);
    PQfinish(c);
    return rc;
}
