/*
 * tools/portal_standin/handlers.h — the portal's endpoints. Each answers exactly once, through http.h. `rest` is the
 * part of the path after the route's prefix (no query), not NUL-terminated.
 */
#ifndef PS_HANDLERS_H
#define PS_HANDLERS_H

#include "app.h"

#include <h2o.h>

/* api.c: PUT /api/v1/dossiers/{code}/versions/{version}, GET /api/v1/received[/{code}] */
void ps_serve_put_version(ps_app_t *app, h2o_req_t *req, h2o_iovec_t rest);
void ps_serve_received(ps_app_t *app, h2o_req_t *req, h2o_iovec_t rest);

/* control.c: POST /control/mode, POST /control/reset, GET /healthz */
void ps_serve_mode(ps_app_t *app, h2o_req_t *req, h2o_iovec_t rest);
void ps_serve_reset(ps_app_t *app, h2o_req_t *req, h2o_iovec_t rest);
void ps_serve_healthz(ps_app_t *app, h2o_req_t *req, h2o_iovec_t rest);

#endif
