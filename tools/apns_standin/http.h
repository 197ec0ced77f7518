/*
 * tools/apns_standin/http.h — routing, the request log line, the HTTP/1 refusal, held (slow) replies, and the
 * handlers. The generic helpers (standin_reply_json, standin_header..., standin_query, standin_now_ms (the wall
 * clock: APNs' timestamps), standin_reply_error for the control API's errors; APNs' own are {"reason": ...}) are
 * standin_server.h's and standin_request.h's.
 *
 * Every reply goes through standin_reply, which has apns_log_request write one log line per request: method, path
 * (a device token cut to its first 8 digits), status. Headers (the provider token, the control token), queries and
 * payloads are never logged.
 */
#ifndef APNS_HTTP_H
#define APNS_HTTP_H

#include "app.h"
#include "standin_hold.h"
#include "standin_request.h"
#include "standin_server.h"

#include <h2o.h>
#include <stdint.h>

/** The request log line (standin_options_t.log_request). */
void apns_log_request(int method_len, const char *method, const char *path, int status);
/** Routes a request: /3/device/ (HTTP/2 only, after the delay mode), /control/ (the control token), /healthz; 404
 *  BadPath otherwise. */
void apns_dispatch(apns_app_t *app, h2o_req_t *req);

/* handlers */
void apns_serve_push(apns_app_t *app, h2o_req_t *req); /* push.c */
void apns_serve_mode(apns_app_t *app, h2o_req_t *req); /* control.c */
void apns_serve_devices(apns_app_t *app, h2o_req_t *req);
void apns_serve_notifications(apns_app_t *app, h2o_req_t *req);
void apns_serve_stats(apns_app_t *app, h2o_req_t *req);
void apns_serve_reset(apns_app_t *app, h2o_req_t *req);

#endif
