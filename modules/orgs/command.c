/*
 * `cong org create|list|suspend|activate` — organizations, the orgs module's administrative command (module ABI 1.4
 * register_command).
 *
 * The legal representative is named by citizen number, read from a file or from stdin (--representative-citizen-file
 * PATH, "-" for stdin) and never from argv, which other users of the machine can read; or by their cong subject
 * (--representative-subject). The gateway turns the number into the subject (api->citizen_subject); the number is never
 * stored, printed or logged, and its buffer is wiped once used.
 *
 * Each change writes its audit record ('org.create', 'org.suspend', 'org.activate': actor 'admin', subject the
 * representative, object 'org:<id>') in the statement that makes it. Creating an organization whose code exists
 * changes nothing and says so (exit 0: a set-up may run twice); suspending revokes the live tokens of each of its API
 * clients on every instance (their sessions "client:<client_id>") and the acting-for tokens of its staff (the sessions
 * "mandate:<id>" of its live mandates, which stay: none is exchanged while it is suspended), and is safe to run again.
 *
 * Exit status: 0 when done; 2 for bad usage or a malformed code, name or citizen number; 3 for an unknown code; 1 when
 * PostgreSQL or Redis cannot be reached or refuses.
 */
#include <openssl/crypto.h>
#include <stdio.h>
#include <string.h>

#include "orgs.h"

#define api orgs_api

static const char usage[] =
    "cong org create --code CODE --name NAME (--representative-citizen-file PATH|- | --representative-subject SUB)\n"
    "                                an organization; the representative's citizen number is read from PATH or stdin\n"
    "cong org list                   the organizations\n"
    "cong org suspend CODE           its clients get no token, their live tokens and its staff's acting-for\n"
    "                                tokens refused on every instance\n"
    "cong org activate CODE          active again\n";

static void say_store_error(int rc, const char *what)
{
    if (rc == CONG_EUNAVAILABLE)
        fprintf(stderr, "cong org: cannot connect to PostgreSQL\n");
    else
        fprintf(stderr, "cong org: %s (%s)\n", what, api->strerror(rc));
}

/* The representative's subject from the first line of PATH ("-": stdin). 0, or a command status. */
static int subject_from_file(const char *path, char subject[CONG_SUBJECT_SIZE])
{
    FILE *f = strcmp(path, "-") == 0 ? stdin : fopen(path, "r");
    if (f == NULL) {
        fprintf(stderr, "cong org: cannot read the representative's citizen number from %s\n", path);
        return CONG_COMMAND_USAGE;
    }
    char number[64] = {0};
    int got = fgets(number, sizeof number, f) != NULL;
    if (f != stdin)
        fclose(f);
    number[strcspn(number, "\r\n")] = '\0';
    size_t n = strlen(number);
    int digits = n == 12;
    for (size_t i = 0; digits && i < n; i++)
        digits = number[i] >= '0' && number[i] <= '9';
    int rc = got && digits ? api->citizen_subject(number, subject, CONG_SUBJECT_SIZE) : CONG_EINVAL;
    OPENSSL_cleanse(number, sizeof number); /* a wipe the compiler keeps */
    if (!got || !digits) {
        fprintf(stderr, "cong org: the representative's citizen number must be 12 digits on the first line\n");
        return CONG_COMMAND_USAGE;
    }
    if (rc != 0) {
        fprintf(stderr, "cong org: no subject secret configured (auth.subject_secret_file)\n");
        return CONG_COMMAND_FAILURE;
    }
    return 0;
}

static int subject_valid(const char *s)
{
    size_t n = strlen(s);
    if (n != CONG_SUBJECT_SIZE - 1)
        return 0;
    for (size_t i = 0; i < n; i++)
        if (!((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z') || (s[i] >= '0' && s[i] <= '9') ||
              s[i] == '-' || s[i] == '_'))
            return 0;
    return 1;
}

static int insert_org(cong_job_t *job, const char *code, const char *name, const char *representative)
{
    const char *params[] = {code, name, representative};
    cong_pg_result_t *res = NULL;
    int rc = api->job_pg_exec(job,
                              "WITH o AS (INSERT INTO organizations (code, name, representative) VALUES ($1, $2, $3) "
                              "           ON CONFLICT (code) DO NOTHING RETURNING id, code, name, representative), "
                              "a AS (SELECT cong_audit('orgs', 'admin', 'admin', representative, 'org.create', "
                              "      'org:' || id, NULL, jsonb_build_object('code', code, 'name', name)) FROM o) "
                              "SELECT (SELECT id::text FROM o), (SELECT count(*) FROM a)",
                              3, params, &res);
    if (rc != 0) {
        say_store_error(rc, "could not create the organization");
        return CONG_COMMAND_FAILURE;
    }
    if (api->pg_is_null(res, 0, 0))
        printf("an organization with code %s exists already; nothing changed\n", code);
    else
        printf("organization: %s\ncode: %s\nsubject: org:%s\n", api->pg_value(res, 0, 0), code,
               api->pg_value(res, 0, 0));
    api->job_pg_clear(res);
    return CONG_COMMAND_OK;
}

static int create_org(cong_job_t *job, int argc, char **argv)
{
    const char *code = NULL, *name = NULL, *file = NULL, *subject = NULL;
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--code") == 0 && i + 1 < argc)
            code = argv[++i];
        else if (strcmp(argv[i], "--name") == 0 && i + 1 < argc)
            name = argv[++i];
        else if (strcmp(argv[i], "--representative-citizen-file") == 0 && i + 1 < argc)
            file = argv[++i];
        else if (strcmp(argv[i], "--representative-subject") == 0 && i + 1 < argc)
            subject = argv[++i];
        else if (strcmp(argv[i], "--representative-citizen") == 0) {
            fprintf(stderr, "cong org: a citizen number never goes on the command line (others can read it): "
                            "use --representative-citizen-file PATH, or - for stdin\n");
            return CONG_COMMAND_USAGE;
        } else
            return CONG_COMMAND_USAGE;
    }
    if (code == NULL || name == NULL || (file == NULL) == (subject == NULL))
        return CONG_COMMAND_USAGE;
    if (!orgs_code_valid(code)) {
        fprintf(stderr, "cong org: %s is not an enterprise/tax code (10 digits, or 10 digits, '-' and a branch "
                        "number 001..999)\n", code);
        return CONG_COMMAND_USAGE;
    }
    size_t name_len = strlen(name);
    if (name_len == 0 || name_len > ORGS_NAME_MAX) {
        fprintf(stderr, "cong org: the name must have 1 to %d characters\n", ORGS_NAME_MAX);
        return CONG_COMMAND_USAGE;
    }
    char representative[CONG_SUBJECT_SIZE];
    if (subject != NULL) {
        if (!subject_valid(subject)) {
            fprintf(stderr, "cong org: --representative-subject is not a citizen's subject\n");
            return CONG_COMMAND_USAGE;
        }
        snprintf(representative, sizeof representative, "%s", subject);
    } else {
        int status = subject_from_file(file, representative);
        if (status != 0)
            return status;
    }
    return insert_org(job, code, name, representative);
}

static int list_orgs(cong_job_t *job)
{
    cong_pg_result_t *res = NULL;
    int rc = api->job_pg_exec(job,
                              "SELECT code, status, id::text, created_at::date, name FROM organizations "
                              "ORDER BY created_at",
                              0, NULL, &res);
    if (rc != 0) {
        say_store_error(rc, "could not list the organizations");
        return CONG_COMMAND_FAILURE;
    }
    printf("%-14s %-9s %-36s %-10s %s\n", "code", "status", "id", "created", "name");
    for (int i = 0; i < api->pg_ntuples(res); i++)
        printf("%-14s %-9s %-36s %-10s %s\n", api->pg_value(res, i, 0), api->pg_value(res, i, 1),
               api->pg_value(res, i, 2), api->pg_value(res, i, 3), api->pg_value(res, i, 4));
    api->job_pg_clear(res);
    return CONG_COMMAND_OK;
}

/* Revokes the live tokens of each client of the organization `code` (after a suspension). */
static int revoke_clients(cong_job_t *job, const char *code)
{
    const char *params[] = {code};
    cong_pg_result_t *res = NULL;
    int rc = api->job_pg_exec(job,
                              "SELECT c.client_id FROM api_clients c JOIN organizations o ON o.id = c.organization_id "
                              "WHERE o.code = $1",
                              1, params, &res);
    if (rc != 0) {
        say_store_error(rc, "could not list the organization's clients");
        return CONG_COMMAND_FAILURE;
    }
    int status = CONG_COMMAND_OK;
    for (int i = 0; i < api->pg_ntuples(res) && status == CONG_COMMAND_OK; i++) {
        char session[96];
        snprintf(session, sizeof session, "client:%s", api->pg_value(res, i, 0));
        if (api->job_revoke_session(job, session) != 0) {
            fprintf(stderr, "cong org: suspended in PostgreSQL, but Redis could not be told: its clients' tokens "
                            "stay valid until they expire; run the command again once Redis is back\n");
            status = CONG_COMMAND_FAILURE;
        }
    }
    api->job_pg_clear(res);
    return status;
}

/* Revokes the acting-for tokens of the organization's live mandates (their sessions "mandate:<id>", which the
 * gateway's mandate phase refuses on every instance): its staff stop acting for it at once. The mandates themselves
 * stay (a suspension is not a withdrawal); while it lasts none is exchanged (modules/mandates, mandate_exchange). */
static int revoke_mandates(cong_job_t *job, const char *code)
{
    const char *params[] = {code};
    cong_pg_result_t *res = NULL;
    int rc = api->job_pg_exec(job,
                              "SELECT m.id::text FROM mandates m JOIN organizations o ON m.grantor = 'org:' || o.id "
                              "WHERE o.code = $1 AND m.status IN ('requested', 'active')",
                              1, params, &res);
    if (rc != 0) {
        say_store_error(rc, "could not list the organization's mandates");
        return CONG_COMMAND_FAILURE;
    }
    int status = CONG_COMMAND_OK;
    for (int i = 0; i < api->pg_ntuples(res) && status == CONG_COMMAND_OK; i++) {
        char session[64];
        snprintf(session, sizeof session, "mandate:%s", api->pg_value(res, i, 0));
        if (api->job_revoke_session(job, session) != 0) {
            fprintf(stderr, "cong org: suspended in PostgreSQL, but Redis could not be told: its staff's acting-for "
                            "tokens stay valid until they expire; run the command again once Redis is back\n");
            status = CONG_COMMAND_FAILURE;
        }
    }
    api->job_pg_clear(res);
    return status;
}

static int set_status(cong_job_t *job, const char *code, const char *status)
{
    if (!orgs_code_valid(code)) {
        fprintf(stderr, "cong org: %s is not an enterprise/tax code\n", code);
        return CONG_COMMAND_USAGE;
    }
    const char *params[] = {code, status};
    cong_pg_result_t *res = NULL;
    int rc = api->job_pg_exec(job,
                              "WITH u AS (UPDATE organizations SET status = $2 WHERE code = $1 AND status <> $2 "
                              "           RETURNING id, representative), "
                              "a AS (SELECT cong_audit('orgs', 'admin', 'admin', representative, 'org.' || "
                              "      CASE $2 WHEN 'suspended' THEN 'suspend' ELSE 'activate' END, 'org:' || id, NULL) "
                              "      FROM u) "
                              "SELECT EXISTS (SELECT 1 FROM u), EXISTS (SELECT 1 FROM organizations WHERE code = $1) "
                              "FROM (SELECT count(*) FROM a) recorded",
                              2, params, &res);
    if (rc != 0) {
        say_store_error(rc, "could not change the organization");
        return CONG_COMMAND_FAILURE;
    }
    int changed = strcmp(api->pg_value(res, 0, 0), "t") == 0, known = strcmp(api->pg_value(res, 0, 1), "t") == 0;
    api->job_pg_clear(res);
    if (!known) {
        fprintf(stderr, "cong org: no organization %s\n", code);
        return CONG_COMMAND_NOT_FOUND;
    }
    /* a suspension run again publishes the revocations again, so a retry after Redis was unreachable completes it */
    if (strcmp(status, "suspended") == 0 &&
        (revoke_clients(job, code) != CONG_COMMAND_OK || revoke_mandates(job, code) != CONG_COMMAND_OK))
        return CONG_COMMAND_FAILURE;
    printf(changed ? "%s is %s\n" : "%s was %s already; nothing changed\n", code, status);
    return CONG_COMMAND_OK;
}

static int org(cong_job_t *job, int argc, char **argv, void *udata)
{
    (void)udata;
    if (argc >= 1 && strcmp(argv[0], "create") == 0)
        return create_org(job, argc - 1, argv + 1);
    if (argc == 1 && strcmp(argv[0], "list") == 0)
        return list_orgs(job);
    if (argc == 2 && strcmp(argv[0], "suspend") == 0)
        return set_status(job, argv[1], "suspended");
    if (argc == 2 && strcmp(argv[0], "activate") == 0)
        return set_status(job, argv[1], "active");
    return CONG_COMMAND_USAGE;
}

int orgs_command_register(cong_module_ctx_t *ctx)
{
    return api->register_command(ctx, "org", usage, org, NULL);
}
