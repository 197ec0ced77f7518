/*
 * tools/apns_standin/http.h — routing, the request log line, the HTTP/1 refusal, held (slow) replies, and the
 * handlers' shared helpers. The generic reply helpers (standin_reply_json, standin_header...) are standin_server.h's.
 *
 * Every reply goes through standin_reply, which has apns_log_request write one log line per request: method, path
 * (a device token cut to its first 8 digits), status. Headers (the provider token, the control token), queries and
 * payloads are never logged.
 */
#ifndef APNS_HTTP_H
#define APNS_HTTP_H

#include "app.h"
#include "standin_server.h"

#include <h2o.h>
#include <stdint.h>

/** The request log line (standin_options_t.log_request). */
void apns_log_request(int method_len, const char *method, const char *path, int status);
/** Routes a request: /3/device/ (HTTP/2 only, after the delay mode), /control/ (the control token), /healthz; 404
 *  BadPath otherwise. */
void apns_dispatch(apns_app_t *app, h2o_req_t *req);
/** {"error": text} with status (the control API's errors; APNs' own are {"reason": ...}). */
void apns_reply_error(h2o_req_t *req, int status, const char *text);
/** The request's query (after '?'), possibly empty. */
h2o_iovec_t apns_query(const h2o_req_t *req);
/** Milliseconds since the epoch (the wall clock: APNs' timestamps). */
int64_t apns_now_ms(void);

/* handlers */
void apns_serve_push(apns_app_t *app, h2o_req_t *req); /* push.c */
void apns_serve_mode(apns_app_t *app, h2o_req_t *req); /* control.c */
void apns_serve_devices(apns_app_t *app, h2o_req_t *req);
void apns_serve_notifications(apns_app_t *app, h2o_req_t *req);
void apns_serve_stats(apns_app_t *app, h2o_req_t *req);
void apns_serve_reset(apns_app_t *app, h2o_req_t *req);

#endif
