#include "official_admin.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/session.h"

static int usage(void)
{
    fprintf(stderr, "usage: cong official add --unit UNIT_CODE (--citizen NUMBER | --subject SUB)\n"
                    "       cong official remove --unit UNIT_CODE (--citizen NUMBER | --subject SUB)\n"
                    "       cong official list [--unit UNIT_CODE]\n");
    return 2;
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

static int run_sql(PGconn *db, const char *sql, int nparams, const char *const *params, int print)
{
    PGresult *res = PQexecParams(db, sql, nparams, NULL, params, NULL, NULL, 0);
    ExecStatusType st = PQresultStatus(res);
    int ok = st == PGRES_COMMAND_OK || st == PGRES_TUPLES_OK;
    if (!ok)
        fprintf(stderr, "cong official: %s", PQresultErrorMessage(res));
    else if (print)
        for (int i = 0; i < PQntuples(res); i++)
            printf("%s\t%s\t%s\n", PQgetvalue(res, i, 0), PQgetvalue(res, i, 1), PQgetvalue(res, i, 2));
    else if (st == PGRES_COMMAND_OK && strcmp(PQcmdTuples(res), "0") == 0) {
        fprintf(stderr, "cong official: nothing changed\n");
        ok = 0;
    }
    PQclear(res);
    return ok ? 0 : 1;
}

static int grant(const cong_config_t *cfg, PGconn *db, int add, int argc, char **argv)
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
            return 1;
        subject = pseudonym;
    }
    const char *params[] = {subject, unit};
    if (!add)
        return run_sql(db, "DELETE FROM user_roles WHERE subject = $1 AND role = 'official' AND resource = $2", 2,
                       params, 0);
    /* The unit must exist when the procedures module is installed (units table); otherwise any code is taken. */
    int rc = run_sql(db,
                     "INSERT INTO user_roles (subject, role, resource) SELECT $1, 'official', $2 "
                     "WHERE to_regclass('units') IS NULL OR EXISTS (SELECT 1 FROM units WHERE code = $2) "
                     "ON CONFLICT DO NOTHING",
                     2, params, 0);
    if (rc == 0)
        printf("official %s: unit %s\n", subject, unit);
    return rc;
}

int cong_official_admin(const cong_config_t *cfg, int argc, char **argv)
{
    if (argc < 1)
        return usage();
    PGconn *db = PQconnectdb(cfg->postgres.conninfo);
    if (PQstatus(db) != CONNECTION_OK) {
        fprintf(stderr, "cong official: cannot connect to PostgreSQL\n");
        PQfinish(db);
        return 1;
    }
    int rc;
    if (strcmp(argv[0], "add") == 0 || strcmp(argv[0], "remove") == 0) {
        rc = grant(cfg, db, strcmp(argv[0], "add") == 0, argc - 1, argv + 1);
    } else if (strcmp(argv[0], "list") == 0 && (argc == 1 || (argc == 3 && strcmp(argv[1], "--unit") == 0))) {
        const char *params[] = {argc == 3 ? argv[2] : NULL};
        rc = run_sql(db,
                     "SELECT subject, resource, to_char(granted_at, 'YYYY-MM-DD\"T\"HH24:MI:SSOF') FROM user_roles "
                     "WHERE role = 'official' AND ($1::text IS NULL OR resource = $1) ORDER BY resource, subject",
                     1, params, 1);
    } else {
        rc = usage();
    }
    PQfinish(db);
    return rc;
}
