/*
 * tools/webhook_standin/http.h — routing, the request log line, the control token, held answers, and the handlers.
 * The generic helpers (standin_reply_json, standin_header..., standin_query, standin_now_ms, standin_reply_error, the
 * control route lookup) are standin_server.h's and standin_request.h's.
 *
 * Every reply goes through standin_reply, which has wh_log_request write one log line per request: method, path (no
 * query), status. Headers (signatures, the control token), queries and bodies are never logged; a delivery adds one
 * line with its id and verdict.
 */
#ifndef WEBHOOK_STANDIN_HTTP_H
#define WEBHOOK_STANDIN_HTTP_H

#include "app.h"
#include "standin_hold.h"
#include "standin_request.h"
#include "standin_server.h"

#include <h2o.h>
#include <stdint.h>

/** The request log line (standin_options_t.log_request). */
void wh_log_request(int method_len, const char *method, const char *path, int status);
/** Routes a request: /control/ (the control token), /healthz, and any other path: a delivery (POST only). */
void wh_dispatch(wh_app_t *app, h2o_req_t *req);

/** Holds a request delay_ms on the loop, then calls answer(app, req, entry, arg); when the sender leaves first,
 *  answer is not called and the entry is noted abandoned. Takes a reference to entry (may be NULL) for the wait. */
void wh_hold(wh_app_t *app, h2o_req_t *req, int delay_ms, json_t *entry, int arg,
             void (*answer)(wh_app_t *app, h2o_req_t *req, json_t *entry, int arg));

/* handlers */
void wh_serve_delivery(wh_app_t *app, h2o_req_t *req);     /* receive.c */
void wh_serve_deliveries(wh_app_t *app, h2o_req_t *req);   /* control.c */
void wh_serve_behaviour(wh_app_t *app, h2o_req_t *req);
void wh_serve_reset(wh_app_t *app, h2o_req_t *req);
void wh_serve_reload_secrets(wh_app_t *app, h2o_req_t *req);

#endif
