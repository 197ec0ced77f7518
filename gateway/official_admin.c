#include "official_admin.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/subject.h"
#include "exit_status.h"

const char cong_official_usage[] =
    "cong official add --unit UNIT_CODE (--citizen NUMBER | --subject SUB)      serve the unit's desk\n"
    "cong official remove --unit UNIT_CODE (--citizen NUMBER | --subject SUB)   leave it\n"
    "cong official list [--unit UNIT_CODE]                                      subject, unit, granted at\n";

static int usage(void)
{
    fprintf(stderr, "usage:\n%s", cong_official_usage);
    return CONG_EXIT_USAGE;
}

/* The pseudonym of a citizen number, with the deployment's subject secret (the same as at login). */
static int subject_of_citizen(const cong_config_t *cfg, const char *citizen, char out[CONG_SUBJECT_LEN + 1])
{
    unsigned char secret[64];
    FILE *f = cfg->auth.subject_secret_file[0] ? fopen(cfg->auth.subject_secret_file, "rb") : NULL;
    size_t n = f ? fread(secret, 1, sizeof secret, f) : 0;
    if (f)
        fclose(f);
    while (n > 0 && (secret[n - 1] == '\n' || secret[n - 1] == '\r')) /* as auth/identity.c reads it */
        n--;
    if (n < 32) {
        fprintf(stderr, "cong official: auth.subject_secret_file must hold at least 32 bytes\n");
        return -1;
    }
    int rc = cong_subject_from_citizen(secret, n, citizen, out);
    memset(secret, 0, sizeof secret);
    return rc == 0 ? 0 : -1;
}

/* One statement; `rows` (may be NULL) gets the number of rows it returned or changed. */
static int run_sql(PGconn *db, const char *sql, int nparams, const char *const *params, int print, int *rows)
{
    PGresult *res = PQexecParams(db, sql, nparams, NULL, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(res);
    int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (!ok)
        fprintf(stderr, "cong official: %s", PQresultErrorMessage(res));
    else if (print)
        for (int i = 0; i < PQntuples(res); i++)
            printf("%s\t%s\t%s\n", PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), PQgetvalue(res, i, 2));
    if (ok && rows != NULL)
        *rows = st == PGRES_TUPLES_OK ? PQntuples(res) : atoi(PQcmdTuples(res));
    PQclear(res);
    return ok ? CONG_EXIT_OK : CONG_EXIT_FAILURE;
}

/* The unit must exist when the procedures module is installed (units table); otherwise any code is taken. */
static int check_unit(PGconn *db, const char *unit)
{
    const char *params[] = {unit};
    int rows = 0;
    int rc = run_sql(db, "SELECT 1 WHERE to_regclass('units') IS NULL OR EXISTS (SELECT 1 FROM units WHERE code = $1)",
                     1, params, 0, &rows);
    if (rc == CONG_EXIT_OK && rows == 0) {
        fprintf(stderr, "cong official: no unit %s\n", unit);
        return CONG_EXIT_NOT_FOUND;
    }
    return rc;
}

static PGconn *connect_db(const cong_config_t *cfg)
{
    PGconn *db = PQconnectdb(cfg->postgres.conninfo);
    if (PQstatus(db) != CONNECTION_OK) {
        fprintf(stderr, "cong official: cannot connect to PostgreSQL\n");
        PQfinish(db);
        return NULL;
    }
    return db;
}

static int grant(const cong_config_t *cfg, int add, int argc, char **argv)
{
    const char *unit = NULL, *citizen = NULL, *subject = NULL;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--unit") == 0 && i + 1 < argc)
            unit = argv[++i];
        else if (strcmp(argv[i], "--citizen") == 0 && i + 1 < argc)
            citizen = argv[++i];
        else if (strcmp(argv[i], "--subject") == 0 && i + 1 < argc)
            subject = argv[++i];
        else
            return usage();
    }
    if (unit == NULL || (citizen == NULL) == (subject == NULL))
        return usage();
    char pseudonym[CONG_SUBJECT_LEN + 1];
    if (citizen != NULL) {
        if (subject_of_citizen(cfg, citizen, pseudonym) != 0)
            return CONG_EXIT_FAILURE;
        subject = pseudonym;
    }
    PGconn *db = connect_db(cfg);
    if (db == NULL)
        return CONG_EXIT_FAILURE;
    int rc = check_unit(db, unit), rows = 0;
    const char *params[] = {subject, unit};
    if (rc == CONG_EXIT_OK && add)
        rc = run_sql(db, "INSERT INTO user_roles (subject, role, resource) VALUES ($1, 'official', $2) "
                         "ON CONFLICT DO NOTHING", 2, params, 0, &rows);
    else if (rc == CONG_EXIT_OK)
        rc = run_sql(db, "DELETE FROM user_roles WHERE subject = $1 AND role = 'official' AND resource = $2", 2,
                     params, 0, &rows);
    PQfinish(db);
    if (rc != CONG_EXIT_OK)
        return rc;
    if (rows > 0)
        printf("official %s: unit %s %s\n", subject, unit, add ? "granted" : "removed");
    else
        printf("official %s: unit %s %s; nothing changed\n", subject, unit,
               add ? "was granted already" : "was not granted");
    return CONG_EXIT_OK;
}

static int list(const cong_config_t *cfg, const char *unit)
{
    PGconn *db = connect_db(cfg);
    if (db == NULL)
        return CONG_EXIT_FAILURE;
    const char *params[] = {unit};
    int rc = run_sql(db,
                     "SELECT subject, resource, to_char(granted_at, 'YYYY-MM-DD\"T\"HH24:MI:SSOF') FROM user_roles "
                     "WHERE role = 'official' AND ($1::text IS NULL OR resource = $1) ORDER BY resource, subject",
                     1, params, 1, NULL);
    PQfinish(db);
    return rc;
}

int cong_official_admin(const cong_config_t *cfg, int argc, char **argv)
{
    if (argc >= 1 && (strcmp(argv[0], "add") == 0 || strcmp(argv[0], "remove") == 0))
        return grant(cfg, strcmp(argv[0], "add") == 0, argc - 1, argv + 1);
    if (argc >= 1 && strcmp(argv[0], "list") == 0 && (argc == 1 || (argc == 3 && strcmp(argv[1], "--unit") == 0)))
        return list(cfg, argc == 3 ? argv[2] : NULL);
    return usage();
}
