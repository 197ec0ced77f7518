/*
 * gateway/host/host.h — the host room's contract: the module host.
 *
 * Owns: the module loader, the ABI table (include/cong/module.h) and its members' implementations (identity services,
 * stores, worker hooks and timers, module commands, the subject secret), the built-in modules, periodic jobs, the
 * system routes, the /docs page and the document keys.
 * Offers: module_loader.h (load, route table, dispose), worker_hooks.h (modules' per-worker init and dispose),
 * module_channels.h (modules' live channels, 1.7),
 * jobs.h, module_commands.h, document_keys.h, docs_page.h, subject_secret.h. builtin_modules.h,
 * module_api_identity.h and module_api_stores.h are internal.
 * Threading and ownership: modules are loaded and their routes registered on the main thread before the workers
 * start; the gateway owns every module entry. A module's request callbacks run on the request's worker.
 * May use: every other room of the host and the process (gateway/gateway.h), auth/ and common/. Only the process and
 * http/server.c (where a worker is put together) include it.
 */
#ifndef CONG_GATEWAY_HOST_H
#define CONG_GATEWAY_HOST_H

#include "docs_page.h"
#include "document_keys.h"
#include "jobs.h"
#include "module_channels.h"
#include "module_commands.h"
#include "module_loader.h"
#include "subject_secret.h"
#include "worker_hooks.h"

#endif
