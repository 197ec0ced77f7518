/*
 * tools/portal_standin/http.h — the request log line, error and delayed replies, and the routing table. The generic
 * reply helpers (standin_reply, standin_reply_json, standin_header...) are in standin_server.h.
 *
 * Every reply goes through standin_reply (ps_reply_json_later too, when its timer fires), which has ps_log_request
 * write the one log line per request: method, path without the query, status. Bodies and the Authorization header
 * are never logged.
 */
#ifndef PS_HTTP_H
#define PS_HTTP_H

#include "app.h"
#include "standin_hold.h"
#include "standin_request.h"
#include "standin_server.h"

#include <h2o.h>
#include <jansson.h>

/** The request log line: "portal-standin: METHOD PATH STATUS" (standin_options_t.log_request). */
void ps_log_request(int method_len, const char *method, const char *path, int status);

/** Replies with body (released here) after delay_ms on app's loop. If the client goes away first and h2o disposes
 *  of the request, nothing is sent. 0, or CONG_ENOMEM after replying 503 at once. */
int ps_reply_json_later(ps_app_t *app, h2o_req_t *req, int status, json_t *body, int delay_ms);

/** Routes a request to its handler; answers 404/405 itself. */
void ps_dispatch(ps_app_t *app, h2o_req_t *req);

#endif
