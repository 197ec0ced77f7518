/*
 * `cong official add|remove|list` — the procedures module's administrative command (module ABI 1.4 register_command):
 * which cong users serve which units' desks as officials.
 *
 * An official is a person who logs in with VNeID like everyone else; the grant names them by citizen number (the
 * administrator knows their staff) or by their cong subject. The gateway turns a citizen number into its subject
 * (api->citizen_subject: this module never sees the subject secret); the number is never stored or printed, and
 * never taken from argv, which every user of the machine can read (ps, /proc): it comes from the first line of a
 * file or of stdin (--citizen-file PATH|-), and is wiped once turned into the subject. Grants
 * are rows of user_roles (role 'official', resource = unit code; this module's migration 0008), read on every desk
 * request (desk.c), so a grant or a removal takes effect on the next request.
 *
 * Each grant and removal writes the audit record 'admin.official_add' / 'admin.official_remove' (actor 'admin', subject
 * the official, object 'unit:<code>') in the statement that makes it.
 *
 * Exit status: 0 when done or when nothing needed doing (the grant exists already, the grant to remove is not there:
 * both said on stdout), 3 for a unit that does not exist, 2 for bad usage, 1 when PostgreSQL cannot be reached or
 * refuses.
 */
#include <stdio.h>
#include <string.h>

#include "procedures.h"

static const char usage[] =
    "cong official add --unit UNIT_CODE (--citizen-file PATH|- | --subject SUB)      serve the unit's desk\n"
    "cong official remove --unit UNIT_CODE (--citizen-file PATH|- | --subject SUB)   leave it\n"
    "cong official list [--unit UNIT_CODE]                                      subject, unit, granted at\n";

/* One statement; on failure says why on stderr (the gateway's log line above it has the SQLSTATE). */
static int run_sql(cong_job_t *job, const char *sql, int nparams, const char *const *params, cong_pg_result_t **res)
{
    const cong_api_t *api = procedures_api;
    int rc = api->job_pg_exec(job, sql, nparams, params, res);
    if (rc == CONG_EUNAVAILABLE)
        fprintf(stderr, "cong official: cannot connect to PostgreSQL\n");
    else if (rc != 0)
        fprintf(stderr, "cong official: PostgreSQL refused or did not answer (%s)\n", api->strerror(rc));
    return rc;
}

/* The number of rows a statement returned (its RETURNING rows), or -1 when it failed. */
static int rows_of(cong_job_t *job, const char *sql, int nparams, const char *const *params)
{
    cong_pg_result_t *res = NULL;
    if (run_sql(job, sql, nparams, params, &res) != 0)
        return -1;
    int rows = procedures_api->pg_ntuples(res);
    procedures_api->job_pg_clear(res);
    return rows;
}

/* The official's subject from the citizen number on the first line of PATH ("-": stdin). 0, or a command status. */
static int subject_from_file(const char *path, char subject[CONG_SUBJECT_SIZE])
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "cong official: cannot read the citizen number from %s\n", path);
        return CONG_COMMAND_USAGE;
    }
    char number[64] = {0};
    int got = fgets(number, sizeof number, f) != NULL;
    if (f != stdin)
        fclose(f);
    number[strcspn(number, "\r\n")] = '\0';
    int digits = strlen(number) == 12 && strspn(number, "0123456789") == 12;
    int rc = got && digits ? procedures_api->citizen_subject(number, subject, CONG_SUBJECT_SIZE) : CONG_EINVAL;
    explicit_bzero(number, sizeof number);
    if (!got || !digits) {
        fprintf(stderr, "cong official: the citizen number must be 12 digits on the first line of %s\n", path);
        return CONG_COMMAND_USAGE;
    }
    if (rc != 0) {
        fprintf(stderr, "cong official: auth.subject_secret_file must hold at least 32 bytes\n");
        return CONG_COMMAND_FAILURE;
    }
    return 0;
}

static int grant(cong_job_t *job, int add, int argc, char **argv)
{
    const char *unit = NULL, *file = NULL, *subject = NULL;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--unit") == 0 && i + 1 < argc)
            unit = argv[++i];
        else if (strcmp(argv[i], "--citizen-file") == 0 && i + 1 < argc)
            file = argv[++i];
        else if (strcmp(argv[i], "--subject") == 0 && i + 1 < argc)
            subject = argv[++i];
        else if (strcmp(argv[i], "--citizen") == 0) {
            fprintf(stderr, "cong official: a citizen number on the command line is visible to every user of this "
                            "machine; use --citizen-file PATH, or - for stdin\n");
            return CONG_COMMAND_USAGE;
        }
        else
            return CONG_COMMAND_USAGE;
    }
    if (unit == NULL || (file == NULL) == (subject == NULL))
        return CONG_COMMAND_USAGE;
    char pseudonym[CONG_SUBJECT_SIZE];
    if (file != NULL) {
        int rc = subject_from_file(file, pseudonym);
        if (rc != 0)
            return rc;
        subject = pseudonym;
    }
    const char *unit_param[] = {unit};
    int units = rows_of(job, "SELECT 1 FROM units WHERE code = $1", 1, unit_param);
    if (units <= 0) {
        if (units == 0)
            fprintf(stderr, "cong official: no unit %s\n", unit);
        return units == 0 ? CONG_COMMAND_NOT_FOUND : CONG_COMMAND_FAILURE;
    }
    const char *params[] = {subject, unit};
    /* the change and its audit record in one statement (one transaction); nothing recorded when nothing changed */
    int changed = add ? rows_of(job,
                                "WITH c AS (INSERT INTO user_roles (subject, role, resource) "
                                "VALUES ($1, 'official', $2) ON CONFLICT DO NOTHING RETURNING subject, resource) "
                                "SELECT cong_audit('procedures', 'admin', 'admin', c.subject, 'admin.official_add', "
                                "'unit:' || c.resource, NULL) FROM c",
                                2, params)
                      : rows_of(job,
                                "WITH c AS (DELETE FROM user_roles WHERE subject = $1 AND role = 'official' "
                                "AND resource = $2 RETURNING subject, resource) "
                                "SELECT cong_audit('procedures', 'admin', 'admin', c.subject, 'admin.official_remove', "
                                "'unit:' || c.resource, NULL) FROM c",
                                2, params);
    if (changed < 0)
        return CONG_COMMAND_FAILURE;
    if (changed > 0)
        printf("official %s: unit %s %s\n", subject, unit, add ? "granted" : "removed");
    else
        printf("official %s: unit %s %s; nothing changed\n", subject, unit,
               add ? "was granted already" : "was not granted");
    return CONG_COMMAND_OK;
}

static int list(cong_job_t *job, const char *unit)
{
    const cong_api_t *api = procedures_api;
    const char *params[] = {unit};
    cong_pg_result_t *res = NULL;
    if (run_sql(job,
                "SELECT subject, resource, to_char(granted_at, 'YYYY-MM-DD\"T\"HH24:MI:SSOF') FROM user_roles "
                "WHERE role = 'official' AND ($1::text IS NULL OR resource = $1) ORDER BY resource, subject",
                1, params, &res) != 0)
        return CONG_COMMAND_FAILURE;
    for (int i = 0; i < api->pg_ntuples(res); i++)
        printf("%s\t%s\t%s\n", api->pg_value(res, i, 0), api->pg_value(res, i, 1), api->pg_value(res, i, 2));
    api->job_pg_clear(res);
    return CONG_COMMAND_OK;
}

static int official(cong_job_t *job, int argc, char **argv, void *udata)
{
    (void)udata;
    if (argc >= 1 && (strcmp(argv[0], "add") == 0 || strcmp(argv[0], "remove") == 0))
        return grant(job, strcmp(argv[0], "add") == 0, argc - 1, argv + 1);
    if (argc >= 1 && strcmp(argv[0], "list") == 0 && (argc == 1 || (argc == 3 && strcmp(argv[1], "--unit") == 0)))
        return list(job, argc == 3 ? argv[2] : NULL);
    return CONG_COMMAND_USAGE;
}

int procedures_official_command_register(cong_module_ctx_t *ctx)
{
    return procedures_api->register_command(ctx, "official", usage, official, NULL);
}
