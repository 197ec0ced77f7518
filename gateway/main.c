/*
 * cong — the city gateway.
 *
 *   cong [--config FILE]          serve (FILE defaults to $CONG_CONFIG, else built-in defaults + environment)
 *   cong --check-config FILE      validate FILE (+ environment, + module keys); errors as FILE:LINE: key: message
 *   cong --list-routes [--config FILE]   print "METHOD PATH operationId" for every registered route
 *   cong --migrate [--config FILE]       apply pending SQL migrations and exit
 *   cong [--config FILE] client create NAME [--scopes "a b"] [--quota N] | list | revoke CLIENT_ID
 *   cong [--config FILE] official add|remove --unit UNIT_CODE (--citizen NUMBER | --subject SUB) | list [--unit U]
 *   cong --help                   every command and what the exit status means (gateway/exit_status.h)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "client_admin.h"
#include "exit_status.h"
#include "gateway/host/document_keys.h"
#include "official_admin.h"
#include "gateway.h"
#include "gateway/host/jobs.h"
#include "common/log.h"
#include "gateway/stores/migrate.h"
#include "gateway/host/module_loader.h"

extern char **environ;

enum command { SERVE, CHECK_CONFIG, LIST_ROUTES, MIGRATE, CLIENT, OFFICIAL };

static int usage(void)
{
    fprintf(stderr, "usage: cong [--config FILE] | --check-config FILE | --list-routes | --migrate | client ... | "
                    "official ... | --help\n");
    return CONG_EXIT_USAGE;
}

/* Every command with its options, then the exit statuses (gateway/exit_status.h). */
static int help(void)
{
    printf("cong — the city gateway\n\n"
           "cong [--config FILE]                 serve; FILE else $CONG_CONFIG else the defaults; CONG_* variables\n"
           "                                     override any key (cong.example.yaml lists them)\n"
           "cong --check-config FILE             validate FILE and the environment (FILE:LINE: key: message)\n"
           "cong --list-routes [--config FILE]   METHOD PATH operationId of every route\n"
           "cong --migrate [--config FILE]       apply the pending SQL migrations and exit\n"
           "cong --help                          this text\n\n"
           "Administration, each after an optional [--config FILE]:\n"
           "%s%s\n"
           "Exit status:\n"
           "  %d  done, or nothing needed doing (a grant that exists already, a removal of a grant that is not\n"
           "     there, a client revoked already: said on stdout)\n"
           "  %d  failure: a store could not be reached or refused, invalid configuration, could not serve\n"
           "  %d  usage: unknown command or option, missing argument\n"
           "  %d  not found: what the command names does not exist (a unit, an API client)\n",
           cong_client_usage, cong_official_usage, CONG_EXIT_OK, CONG_EXIT_FAILURE, CONG_EXIT_USAGE,
           CONG_EXIT_NOT_FOUND);
    return CONG_EXIT_OK;
}

static void print_errors(const cong_config_errors_t *errs)
{
    for (size_t i = 0; i < errs->count; i++)
        fprintf(stderr, "%s\n", errs->lines[i]);
}

/* The gateway's migrations, then those each loaded module declared (in load order). */
static int migrate(const cong_gateway_t *gw, int *applied)
{
    cong_migration_set_t sets[64];
    size_t n = 0;
    for (size_t i = 0; i < gw->module_count && n < sizeof sets / sizeof sets[0]; i++)
        if (gw->modules[i]->migrations_dir != NULL)
            sets[n++] = (cong_migration_set_t){gw->modules[i]->name, gw->modules[i]->migrations_dir};
    return cong_migrate(gw->config->postgres.conninfo, gw->config->postgres.migrations_dir, sets, n, applied);
}

static int migrate_with_retries(const cong_gateway_t *gw)
{
    int applied = 0, rc = CONG_EUNAVAILABLE;
    for (int attempt = 0; attempt < 30 && rc == CONG_EUNAVAILABLE; attempt++) {
        if (attempt > 0)
            sleep(1);
        rc = migrate(gw, &applied);
    }
    if (rc == 0)
        cong_log(CONG_LOG_INFO, "migrate", "%d migration(s) applied", applied);
    return rc;
}

int main(int argc, char **argv)
{
    enum command cmd = SERVE;
    const char *path = getenv("CONG_CONFIG");
    int client_argc = 0;
    char **client_argv = NULL;
    for (int i = 1; i < argc && cmd != CLIENT && cmd != OFFICIAL; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            path = argv[++i];
        else if (strcmp(argv[i], "--check-config") == 0 && i + 1 < argc)
            cmd = CHECK_CONFIG, path = argv[++i];
        else if (strcmp(argv[i], "--list-routes") == 0)
            cmd = LIST_ROUTES;
        else if (strcmp(argv[i], "--migrate") == 0)
            cmd = MIGRATE;
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            return help();
        else if (strcmp(argv[i], "client") == 0)
            cmd = CLIENT, client_argc = argc - i - 1, client_argv = argv + i + 1;
        else if (strcmp(argv[i], "official") == 0)
            cmd = OFFICIAL, client_argc = argc - i - 1, client_argv = argv + i + 1;
        else
            return usage();
    }
    cong_config_t cfg;
    cong_config_errors_t errs = {0};
    cong_gateway_t gw = {0};
    gw.config_path = path ? path : "-";
    int rc = cong_config_load(&cfg, path, environ, &errs);
    if (rc == 0)
        rc = cmd == CLIENT || cmd == OFFICIAL ? 0 : cong_gateway_init(&gw, &cfg, &errs);
    if (rc != 0) {
        print_errors(&errs);
        cong_config_errors_free(&errs);
        cong_gateway_dispose(&gw);
        cong_config_free(&cfg);
        return CONG_EXIT_FAILURE;
    }
    switch (cmd) {
    case CHECK_CONFIG:
        printf("%s: ok\n", path);
        break;
    case LIST_ROUTES:
        for (size_t i = 0; i < gw.route_count; i++)
            printf("%s %s %s\n", gw.routes[i]->method, gw.routes[i]->path, gw.routes[i]->operation_id);
        break;
    case CLIENT:
        rc = cong_client_admin(&cfg, client_argc, client_argv);
        break;
    case OFFICIAL:
        rc = cong_official_admin(&cfg, client_argc, client_argv);
        break;
    case MIGRATE:
        rc = migrate(&gw, &(int){0});
        break;
    case SERVE:
        rc = migrate_with_retries(&gw);
        if (rc != 0)
            cong_log(CONG_LOG_ERROR, "server", "migrations could not be applied; not serving");
        else if ((rc = cong_document_keys_start(&gw)) != 0 || (rc = cong_jobs_start(&gw)) != 0)
            cong_log(CONG_LOG_ERROR, "server", "not serving");
        else
            rc = cong_gateway_serve(&gw);
        break;
    }
    cong_gateway_dispose(&gw);
    cong_config_errors_free(&errs);
    cong_config_free(&cfg);
    /* The administrative commands return an exit status already; the others a CONG_E* code or 0. */
    if (cmd == CLIENT || cmd == OFFICIAL)
        return rc;
    return rc == 0 ? CONG_EXIT_OK : CONG_EXIT_FAILURE;
}
