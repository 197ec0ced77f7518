/*
 * gateway/module_commands.h — administrative commands that live with their module (module ABI 1.4
 * register_command): `cong [--config FILE] NAME ARGS...` runs module NAME's command in the command-line process.
 *
 * A command runs on the main thread with a blocking job context (jobs.h cong_jobs_run_here): job_pg_exec works
 * there as on the job thread. Its return value is the process's exit status (exit_status.h; module.h spells the same
 * numbers enum cong_command_status). `cong --help` prints every command's usage lines.
 *
 * Ownership: a module entry owns its commands (freed by cong_module_commands_free, from cong_modules_unload_all).
 */
#ifndef CONG_GATEWAY_MODULE_COMMANDS_H
#define CONG_GATEWAY_MODULE_COMMANDS_H

#include <stdio.h>

#include "cong/module.h"
#include "gateway/gateway.h"

typedef struct cong_module_command {
    char *name, *usage;
    cong_command_fn fn;
    void *udata;
} cong_module_command_t;

/** Runs command `name` with the arguments after it. Returns the exit status: the command's, or CONG_EXIT_USAGE
 *  (no such command), CONG_EXIT_FAILURE (it could not be run). */
int cong_module_command_run(cong_gateway_t *gw, const char *name, int argc, char **argv);
/** Writes every command's usage lines, in load order. */
void cong_module_commands_usage(const cong_gateway_t *gw, FILE *out);
void cong_module_commands_free(cong_module_entry_t *m);

/* The member of the module ABI (1.4). */
int cong_loader_register_command(cong_module_ctx_t *ctx, const char *name, const char *usage, cong_command_fn fn,
                                 void *udata);

#endif
