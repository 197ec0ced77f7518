/*
 * tools/fcm_standin/handlers.h — the stand-in's endpoints. Each answers exactly once, through http.h.
 */
#ifndef FCM_HANDLERS_H
#define FCM_HANDLERS_H

#include "app.h"

#include <h2o.h>

/* oauth.c: POST /token (the service account's token_uri) */
void fcm_serve_token(fcm_app_t *app, h2o_req_t *req);

/* send.c: POST /v1/projects/{project}/messages:send; project_len bytes of the path name the project */
void fcm_serve_send(fcm_app_t *app, h2o_req_t *req, const char *project, size_t project_len);

/* control.c: the tests' controls, and GET /healthz */
void fcm_serve_behaviour(fcm_app_t *app, h2o_req_t *req);
void fcm_serve_messages(fcm_app_t *app, h2o_req_t *req);
void fcm_serve_stats(fcm_app_t *app, h2o_req_t *req);
void fcm_serve_reset(fcm_app_t *app, h2o_req_t *req);
void fcm_serve_expire_tokens(fcm_app_t *app, h2o_req_t *req);
void fcm_serve_healthz(fcm_app_t *app, h2o_req_t *req);

#endif
