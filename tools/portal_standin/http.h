/*
 * tools/portal_standin/http.h — replying through h2o (now or later), the request log, and the routing table.
 *
 * Every reply goes through ps_reply (or ps_reply_later), which writes the one log line per request: method, path
 * without the query, status. Bodies and the Authorization header are never logged.
 */
#ifndef PS_HTTP_H
#define PS_HTTP_H

#include "app.h"

#include <h2o.h>
#include <jansson.h>

void ps_header(h2o_req_t *req, const char *name, const char *value);
void ps_reply(h2o_req_t *req, int status, const char *content_type, const char *body, size_t len);
/** Replies with body as compact JSON and releases it (NULL body: 503). */
void ps_reply_json(h2o_req_t *req, int status, json_t *body);
/** {"error": error} with status. */
void ps_reply_error(h2o_req_t *req, int status, const char *error);

/** Replies with body (released here) after delay_ms on app's loop. If the client goes away first and h2o disposes
 *  of the request, nothing is sent. 0, or CONG_ENOMEM after replying 503 at once. */
int ps_reply_json_later(ps_app_t *app, h2o_req_t *req, int status, json_t *body, int delay_ms);

int ps_method_is(const h2o_req_t *req, const char *method);

/** Routes a request to its handler; answers 404/405 itself. */
void ps_dispatch(ps_app_t *app, h2o_req_t *req);

#endif
