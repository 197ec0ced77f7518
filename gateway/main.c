/*
 * cong — the city gateway.
 *
 *   cong [--config FILE]          serve (FILE defaults to $CONG_CONFIG, else built-in defaults + environment)
 *   cong --check-config FILE      validate FILE (+ environment, + module keys); errors as FILE:LINE: key: message
 *   cong --list-routes [--config FILE]   print "METHOD PATH operationId [mandate:ACTION]" for every registered route
 *   cong --list-modules [--config FILE]  print "NAME VERSION SOURCE" (built-in, or the shared object's path)
 *   cong --migrate [--config FILE]       apply pending SQL migrations and exit
 *   cong [--config FILE] COMMAND ARGS... a module's administrative command (module_commands.h), e.g.
 *                                        client create|list|revoke (identity), official add|remove|list (procedures)
 *   cong --help                   every command and what the exit status means (gateway/exit_status.h)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "exit_status.h"
#include "gateway/host/host.h"
#include "gateway.h"
#include "common/common.h"
#include "gateway/stores/stores.h"
#include "gateway/upstream/upstream.h"

extern char **environ;

enum command { SERVE, CHECK_CONFIG, LIST_ROUTES, LIST_MODULES, MIGRATE, HELP, MODULE_COMMAND };

static int usage(void)
{
    fprintf(stderr, "usage: cong [--config FILE] | --check-config FILE | --list-routes | --list-modules | --migrate | "
                    "COMMAND ... | --help\n");
    return CONG_EXIT_USAGE;
}

/* Every command with its options, then the exit statuses (gateway/exit_status.h). `gw` NULL: the modules could not
 * be loaded, so their commands are not known. */
static int help(const cong_gateway_t *gw)
{
    printf("cong — the city gateway\n\n"
           "cong [--config FILE]                 serve; FILE else $CONG_CONFIG else the defaults; CONG_* variables\n"
           "                                     override any key (cong.example.yaml lists them)\n"
           "cong --check-config FILE             validate FILE and the environment (FILE:LINE: key: message)\n"
           "cong --list-routes [--config FILE]   METHOD PATH operationId [mandate:ACTION] of every route\n"
           "cong --list-modules [--config FILE]  NAME VERSION SOURCE (built-in, or the shared object) of every module\n"
           "cong --migrate [--config FILE]       apply the pending SQL migrations and exit\n"
           "cong --help                          this text\n\n"
           "Administration (the modules' commands), each after an optional [--config FILE]:\n");
    if (gw != NULL)
        cong_module_commands_usage(gw, stdout);
    else
        printf("  (unknown: the configuration or a module did not load; see cong --check-config)\n");
    printf("\nExit status:\n"
           "  %d  done, or nothing needed doing (a grant that exists already, a removal of a grant that is not\n"
           "     there, a client revoked already: said on stdout)\n"
           "  %d  failure: a store could not be reached or refused, invalid configuration, could not serve\n"
           "  %d  usage: unknown command or option, missing argument\n"
           "  %d  not found: what the command names does not exist (a unit, an API client)\n",
           CONG_EXIT_OK, CONG_EXIT_FAILURE, CONG_EXIT_USAGE, CONG_EXIT_NOT_FOUND);
    return CONG_EXIT_OK;
}

/* What the module commands, --help and --list-modules need: the configuration and the modules, not a server (no
 * keys, OpenAPI document or access log). Only warnings and errors reach stderr (quiet: errors), so that a command's
 * own output stays its own. */
static int load_modules_only(cong_gateway_t *gw, cong_config_t *cfg, cong_config_errors_t *errs, int quiet)
{
    int level = cong_log_parse_level(cfg->log.level);
    cong_log_set_level(quiet ? CONG_LOG_ERROR : level >= 0 && level < CONG_LOG_WARN ? level : CONG_LOG_WARN);
    gw->config = cfg;
    gw->access_log_fd = -1;
    return cong_modules_load_all_for(gw, errs, CONG_LOAD_COMMAND);
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

/* --list-routes: "METHOD PATH operationId [mandate:ACTION]". */
static void print_route(const cong_route_entry_t *e, void *arg)
{
    (void)arg;
    printf("%s %s %s%s%s\n", e->method, e->path, e->operation_id, e->mandate_action ? " mandate:" : "",
           e->mandate_action ? cong_mandate_action_name(e->mandate_action) : "");
}

static void list_modules(const cong_gateway_t *gw)
{
    for (size_t i = 0; i < gw->module_count; i++)
        printf("%s %s %s\n", gw->modules[i]->name, cong_module_version(gw->modules[i]),
               gw->modules[i]->path != NULL ? gw->modules[i]->path : "built-in");
}

int main(int argc, char **argv)
{
    enum command cmd = SERVE;
    const char *path = getenv("CONG_CONFIG"), *command = NULL;
    int command_argc = 0;
    char **command_argv = NULL;
    for (int i = 1; i < argc && cmd != MODULE_COMMAND && cmd != HELP; i++) {
        if (strcmp(argv[i], "--config") == 0 && i + 1 < argc)
            path = argv[++i];
        else if (strcmp(argv[i], "--check-config") == 0 && i + 1 < argc)
            cmd = CHECK_CONFIG, path = argv[++i];
        else if (strcmp(argv[i], "--list-routes") == 0)
            cmd = LIST_ROUTES;
        else if (strcmp(argv[i], "--list-modules") == 0)
            cmd = LIST_MODULES;
        else if (strcmp(argv[i], "--migrate") == 0)
            cmd = MIGRATE;
        else if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
            cmd = HELP;
        else if (argv[i][0] != '-')
            cmd = MODULE_COMMAND, command = argv[i], command_argc = argc - i - 1, command_argv = argv + i + 1;
        else
            return usage();
    }
    cong_config_t cfg;
    cong_config_errors_t errs = {0};
    cong_gateway_t gw = {0};
    gw.config_path = path ? path : "-";
    int rc = cong_config_load(&cfg, path, environ, &errs);
    if (rc == 0) /* for citizen_subject; absent or short, that call reports it */
        cong_subject_secret_load(cfg.auth.subject_secret_file);
    if (rc == 0)
        rc = cmd == HELP || cmd == LIST_MODULES || cmd == MODULE_COMMAND
                 ? load_modules_only(&gw, &cfg, &errs, cmd == HELP)
                 : cong_gateway_init(&gw, &cfg, &errs);
    if (rc != 0 && cmd != HELP) {
        print_errors(&errs);
        cong_config_errors_free(&errs);
        cong_gateway_dispose(&gw);
        cong_config_free(&cfg);
        cong_subject_secret_clear();
        return CONG_EXIT_FAILURE;
    }
    switch (cmd) {
    case HELP:
        rc = help(rc == 0 ? &gw : NULL);
        break;
    case CHECK_CONFIG:
        printf("%s: ok\n", path);
        break;
    case LIST_ROUTES:
        for (size_t i = 0; i < gw.route_count; i++)
            if (!gw.routes[i]->metrics_only)
                print_route(gw.routes[i], NULL);
        cong_upstream_routes_each(print_route, NULL); /* the partner routes, in their own table */
        break;
    case LIST_MODULES:
        list_modules(&gw);
        break;
    case MODULE_COMMAND:
        rc = cong_module_command_run(&gw, command, command_argc, command_argv);
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
    cong_subject_secret_clear();
    /* --help and the module commands return an exit status already; the others a CONG_E* code or 0. */
    if (cmd == HELP || cmd == MODULE_COMMAND)
        return rc;
    return rc == 0 ? CONG_EXIT_OK : CONG_EXIT_FAILURE;
}
