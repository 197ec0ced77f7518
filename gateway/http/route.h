/*
 * gateway/http/route.h — a route as the request path reads it: method, template, what the phases check, its handler.
 *
 * The module host fills one entry per register_route call (gateway/host/module_loader.c owns them: created at load,
 * freed at unload, read-only while workers run); the router maps templates to them, and the phases and request hooks
 * read them. What they need of the module that registered the route is copied here (its name, index and whether it
 * is the gateway's own), so the request path never sees the host's module entries.
 */
#ifndef CONG_HTTP_ROUTE_H
#define CONG_HTTP_ROUTE_H

#include <stddef.h>

#include "cong/module.h"

typedef struct cong_route_entry {
    size_t index;                         /* metrics slot */
    const char *module_name;              /* the registering module's name (the host's string, process lifetime) */
    size_t module_index;                  /* its load-order index: metrics slot of module_errors */
    int module_is_host;                   /* registered by the gateway's own "system" module */
    char *method, *path, *operation_id, *rate_limit_class, *scopes;
    char **scope_list;
    size_t scope_count;
    int auth;                             /* enum cong_auth_mode */
    int min_loa;
    long long max_body_bytes;             /* 0: limits.max_body_bytes */
    unsigned mandate_action;              /* the CONG_MANDATE_* bit (auth.h) a caller acting under a mandate needs;
                                             0: no acting for someone on this route */
    cong_handler_fn handler;
    void *udata;
    int metrics_only;                     /* a metrics row for routes another table matches (the partner routes,
                                             swapped at SIGHUP: host/module_loader.h cong_loader_add_row): in no
                                             router, never a request's route, not listed */
} cong_route_entry_t;

#endif
