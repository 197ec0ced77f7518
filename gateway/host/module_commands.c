/* Modules' administrative commands (contract in module_commands.h). */
#include "module_commands.h"

#include <ctype.h>
#include <stdlib.h>
#include <string.h>

#include "gateway/gateway.h"
#include "jobs.h"
#include "module_loader.h"

/* module.h spells the exit statuses for modules; they are the gateway's own. */
_Static_assert((int)CONG_COMMAND_OK == (int)CONG_EXIT_OK && (int)CONG_COMMAND_FAILURE == (int)CONG_EXIT_FAILURE &&
                   (int)CONG_COMMAND_USAGE == (int)CONG_EXIT_USAGE &&
                   (int)CONG_COMMAND_NOT_FOUND == (int)CONG_EXIT_NOT_FOUND,
               "module.h's command statuses are exit_status.h's");

static int command_name_ok(const char *name)
{
    size_t n = name != NULL ? strlen(name) : 0;
    if (n == 0 || n > 32 || !islower((unsigned char)name[0]))
        return 0;
    for (const char *p = name; *p; p++)
        if (!(islower((unsigned char)*p) || isdigit((unsigned char)*p) || *p == '-'))
            return 0;
    return 1;
}

static const cong_module_command_t *find(const cong_gateway_t *gw, const char *name, const cong_module_entry_t **owner)
{
    for (size_t i = 0; i < gw->module_count; i++)
        for (size_t k = 0; k < gw->modules[i]->command_count; k++)
            if (strcmp(gw->modules[i]->commands[k].name, name) == 0) {
                if (owner != NULL)
                    *owner = gw->modules[i];
                return &gw->modules[i]->commands[k];
            }
    return NULL;
}

int cong_loader_register_command(cong_module_ctx_t *ctx, const char *name, const char *usage, cong_command_fn fn,
                                 void *udata)
{
    cong_module_entry_t *m = cong_loader_registering(ctx);
    if (m == NULL)
        return CONG_ESTATE;
    if (!command_name_ok(name) || usage == NULL || usage[0] == '\0' || fn == NULL)
        return CONG_EINVAL;
    if (find(cong_loader_gateway(ctx), name, NULL) != NULL)
        return CONG_EEXIST;
    cong_module_command_t *list = realloc(m->commands, (m->command_count + 1) * sizeof *list);
    if (list == NULL)
        return CONG_ENOMEM;
    m->commands = list;
    cong_module_command_t *c = &list[m->command_count];
    *c = (cong_module_command_t){strdup(name), strdup(usage), fn, udata};
    if (c->name == NULL || c->usage == NULL) {
        free(c->name);
        free(c->usage);
        return CONG_ENOMEM;
    }
    m->command_count++;
    return 0;
}

static void print_usage(const cong_module_command_t *c, FILE *out)
{
    size_t n = strlen(c->usage);
    fprintf(out, "%s%s", c->usage, c->usage[n - 1] == '\n' ? "" : "\n");
}

void cong_module_commands_usage(const cong_gateway_t *gw, FILE *out)
{
    for (size_t i = 0; i < gw->module_count; i++)
        for (size_t k = 0; k < gw->modules[i]->command_count; k++)
            print_usage(&gw->modules[i]->commands[k], out);
}

typedef struct command_run {
    const cong_module_command_t *command;
    int argc;
    char **argv;
    int status;
} command_run_t;

static void run_in_job(cong_job_t *job, void *udata)
{
    command_run_t *run = udata;
    run->status = run->command->fn(job, run->argc, run->argv, run->command->udata);
}

int cong_module_command_run(cong_gateway_t *gw, const char *name, int argc, char **argv)
{
    const cong_module_entry_t *owner = NULL;
    const cong_module_command_t *c = find(gw, name, &owner);
    if (c == NULL) {
        fprintf(stderr, "cong: no command %s (cong --help lists them)\n", name);
        return CONG_EXIT_USAGE;
    }
    command_run_t run = {c, argc, argv, CONG_EXIT_FAILURE};
    if (cong_jobs_run_here(gw, owner->name, c->name, run_in_job, &run) != 0)
        return CONG_EXIT_FAILURE;
    if (run.status == CONG_EXIT_USAGE) {
        fprintf(stderr, "usage:\n");
        print_usage(c, stderr);
    }
    return run.status >= CONG_EXIT_OK && run.status <= CONG_EXIT_NOT_FOUND ? run.status : CONG_EXIT_FAILURE;
}

void cong_module_commands_free(cong_module_entry_t *m)
{
    for (size_t k = 0; k < m->command_count; k++) {
        free(m->commands[k].name);
        free(m->commands[k].usage);
    }
    free(m->commands);
    m->commands = NULL;
    m->command_count = 0;
}
